/* Small helpers shared by the daemon and the sandbox: cleanup attributes,
 * fds, atomic files, buffers, time and logging. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "pfs/error.h"

static inline void pfs_freep(void *p) { free(*(void **)p); }
static inline void pfs_closep(int *fd) { if (*fd >= 0) close(*fd); }
static inline void pfs_fclosep(FILE **f) { if (*f) fclose(*f); }
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(pfs_freep)
#define _cleanup_close_ _cleanup_(pfs_closep)
#define _cleanup_fclose_ _cleanup_(pfs_fclosep)

static inline int steal_fd(int *fd) { int r = *fd; *fd = -1; return r; }
#define steal_ptr(pp) ({ __typeof__(*(pp)) _p = *(pp); *(pp) = NULL; _p; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Growable byte buffer; data is always NUL-terminated. */
struct pfs_buf {
        char *data;
        size_t len, cap;
};
void pfs_buf_append(struct pfs_buf *b, const void *data, size_t len);
void pfs_buf_puts(struct pfs_buf *b, const char *s);
void pfs_buf_printf(struct pfs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *pfs_buf_steal(struct pfs_buf *b); /* returns data (never NULL), resets b */
void pfs_buf_free(struct pfs_buf *b);

/* Allocation that aborts on OOM (there is nothing sensible left to do). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* How far a replaced file must be on disk when the write returns. Readers
 * always see the old or the new content whole (NAME.tmp renamed over NAME). */
enum pfs_sync {
        PFS_SYNC_DURABLE,       /* fsync, rename, fsync dir: the new content survives a crash */
        PFS_SYNC_UNTORN,        /* fsync, rename: after a crash the old or the new, never a mix */
        PFS_SYNC_NONE,          /* rename only: what has no meaning after a reboot */
};
/* Write NAME in DIRFD atomically: NAME.tmp, fsync, rename, fsync dir. */
int pfs_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len,
                             mode_t mode, struct pfs_error *err);
/* The same with the sync level of the content. */
int pfs_write_file_sync_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                           enum pfs_sync sync, struct pfs_error *err);
/* Rewrite the existing regular file NAME in place (same inode: its bind
 * mounts see the new content; not atomic for a reader meanwhile). */
int pfs_rewrite_file_at(int dirfd, const char *name, const void *data, size_t len, struct pfs_error *err);
/* Read a whole file (NUL-terminated). */
int pfs_read_file_at(int dirfd, const char *name, char **ret_data, size_t *ret_len,
                     struct pfs_error *err);
/* Append one record with a single write(2) (O_APPEND), then fdatasync. */
int pfs_append_file_at(int dirfd, const char *name, const void *data, size_t len,
                       struct pfs_error *err);
/* mkdir -p relative to dirfd (or absolute path when dirfd == AT_FDCWD). */
int pfs_mkdir_p_at(int dirfd, const char *path, mode_t mode, struct pfs_error *err);
/* rm -rf of NAME inside DIRFD, never following symlinks. */
int pfs_rm_rf_at(int dirfd, const char *name, struct pfs_error *err);
int pfs_fsync_dir_at(int dirfd, const char *name);
/* Where one of podfs's helper programs is: $ENV_VAR if set, else NAME beside
 * the running program, else ../runtime/NAME beside it (the build tree), else
 * LIBEXECDIR/NAME (may be NULL). NULL when none is executable. */
char *pfs_helper_find(const char *env_var, const char *name, const char *libexecdir);
/* The length of the UTF-8 sequence at S (1..4, at most N bytes) and its code
 * point in *RUNE, or 0 when it is invalid (overlong, a surrogate, > U+10FFFF). */
size_t pfs_utf8_decode(const unsigned char *s, size_t n, uint32_t *rune);
/* Go's strconv.Quote of S (%q): appended to B, or a new string. */
void pfs_buf_append_go_quoted(struct pfs_buf *b, const char *s);
char *pfs_go_quote(const char *s);
/* Go's syscall.Errno text (strerror with a lower-case first letter), in buf. */
const char *pfs_go_strerror(int e, char buf[static 128]);

/* Time. Wall clock for what users see; monotonic for timers. */
int64_t pfs_now_realtime_ns(void);
int64_t pfs_now_monotonic_ns(void);
/* "2026-11-22T15:40:48Z" (nanos=false) or "2016-10-06T00:17:09.669794202Z" (nanos=true). */
void pfs_time_format(int64_t realtime_ns, bool nanos, char buf[static 40]);
/* Parse the RFC 3339 forms above (Z only); returns 0 or -EINVAL. */
int pfs_time_parse(const char *s, int64_t *ret_ns);

/* Logging with syslog levels to stderr (and the daemon's log). */
void pfs_log_init(const char *ident, int max_level);
void pfs_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pfs_logv(int level, const char *fmt, va_list ap);

/* Random RFC 4122 v4 UUID, lower-case, 36 chars + NUL. */
void pfs_uuid_new(char buf[static 37]);
/* 64 random lower-case hex digits + NUL, as containerd's container and exec ids. */
void pfs_random_id(char buf[static 65]);
