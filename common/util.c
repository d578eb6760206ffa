/* Shared helpers: buffers, allocation, atomic files, time, logging, uuids. */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "pfs/util.h"

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (!p)
                abort();
        return p;
}

void *xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);

        if (!p)
                abort();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                abort();
        return p;
}

char *xstrdup(const char *s)
{
        return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
        char *p;

        n = strnlen(s, n); /* strndup's semantics: never read past the NUL */
        p = xmalloc(n + 1);

        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *s;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        return s;
}

static void buf_reserve(struct pfs_buf *b, size_t extra)
{
        size_t need = b->len + extra + 1;

        if (need <= b->cap)
                return;
        b->cap = b->cap ? b->cap : 64;
        while (b->cap < need)
                b->cap *= 2;
        b->data = xrealloc(b->data, b->cap);
}

void pfs_buf_append(struct pfs_buf *b, const void *data, size_t len)
{
        buf_reserve(b, len);
        if (len)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
}

void pfs_buf_puts(struct pfs_buf *b, const char *s)
{
        pfs_buf_append(b, s, strlen(s));
}

void pfs_buf_printf(struct pfs_buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        buf_reserve(b, (size_t)n);
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
}

char *pfs_buf_steal(struct pfs_buf *b)
{
        char *p;

        buf_reserve(b, 0);
        b->data[b->len] = '\0';
        p = b->data;
        b->data = NULL;
        b->len = b->cap = 0;
        return p;
}

void pfs_buf_free(struct pfs_buf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

int pfs_fsync_dir_at(int dirfd, const char *name)
{
        _cleanup_close_ int fd = -1;

        /* the dir itself: no second fd (an O_PATH one cannot be synced) */
        if ((!name || !strcmp(name, ".")) && dirfd >= 0) {
                if (fsync(dirfd) == 0)
                        return 0;
                if (errno != EBADF && errno != EINVAL)
                        return -errno;
        }
        fd = openat(dirfd, name ? name : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || fsync(fd) < 0)
                return -errno;
        return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int pfs_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len,
                             mode_t mode, struct pfs_error *err)
{
        return pfs_write_file_sync_at(dirfd, name, data, len, mode, PFS_SYNC_DURABLE, err);
}

int pfs_write_file_sync_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                           enum pfs_sync sync, struct pfs_error *err)
{
        _cleanup_free_ char *tmp = xasprintf("%s.tmp", name);
        _cleanup_close_ int fd = -1;
        int r;

        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return pfs_error_set(err, errno, "create '%s'", tmp);
        r = write_all(fd, data, len);
        if (r < 0 || (sync != PFS_SYNC_NONE && fsync(fd) < 0)) {
                r = r < 0 ? -r : errno;
                unlinkat(dirfd, tmp, 0);
                return pfs_error_set(err, r, "write '%s'", tmp);
        }
        if (renameat(dirfd, tmp, dirfd, name) < 0) {
                r = errno;
                unlinkat(dirfd, tmp, 0);
                return pfs_error_set(err, r, "rename '%s' to '%s'", tmp, name);
        }
        if (sync != PFS_SYNC_DURABLE)
                return 0;
        r = pfs_fsync_dir_at(dirfd, ".");
        if (r < 0)
                return pfs_error_set(err, -r, "fsync directory of '%s'", name);
        return 0;
}

int pfs_read_file_at(int dirfd, const char *name, char **ret_data, size_t *ret_len,
                     struct pfs_error *err)
{
        /* never blocks: a FIFO or a device where a file should be (a hostile
         * image's /etc/passwd) is refused instead of opened for reading */
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        struct pfs_buf b = {0};
        char chunk[16384];
        struct stat st;

        if (fd < 0)
                return pfs_error_set(err, errno, "open '%s'", name);
        if (fstat(fd, &st) < 0)
                return pfs_error_set(err, errno, "stat '%s'", name);
        if (!S_ISREG(st.st_mode))
                return pfs_error_set(err, EINVAL, "'%s' is not a regular file", name);
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof(chunk));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        pfs_buf_free(&b);
                        return pfs_error_set(err, errno, "read '%s'", name);
                }
                if (n == 0)
                        break;
                pfs_buf_append(&b, chunk, (size_t)n);
        }
        if (ret_len)
                *ret_len = b.len;
        *ret_data = pfs_buf_steal(&b);
        return 0;
}

int pfs_rewrite_file_at(int dirfd, const char *name, const void *data, size_t len, struct pfs_error *err)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        struct stat st;
        int r;

        if (fd < 0)
                return pfs_error_set(err, errno, "open '%s'", name);
        if (fstat(fd, &st) < 0)
                return pfs_error_set(err, errno, "stat '%s'", name);
        if (!S_ISREG(st.st_mode))
                return pfs_error_set(err, EINVAL, "'%s' is not a regular file", name);
        r = write_all(fd, data, len);
        if (r < 0)
                return pfs_error_set(err, -r, "write '%s'", name);
        return 0;
}

int pfs_append_file_at(int dirfd, const char *name, const void *data, size_t len,
                       struct pfs_error *err)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
        int r;

        if (fd < 0)
                return pfs_error_set(err, errno, "open '%s'", name);
        r = write_all(fd, data, len);
        if (r < 0 || fdatasync(fd) < 0)
                return pfs_error_set(err, r < 0 ? -r : errno, "append to '%s'", name);
        return 0;
}

int pfs_mkdir_p_at(int dirfd, const char *path, mode_t mode, struct pfs_error *err)
{
        _cleanup_free_ char *copy = xstrdup(path);
        char *p = copy;

        while (*p == '/')
                p++;
        for (;; p++) {
                char c = *p;

                if (c != '/' && c != '\0')
                        continue;
                *p = '\0';
                if (*copy && mkdirat(dirfd, copy, mode) < 0 && errno != EEXIST)
                        return pfs_error_set(err, errno, "mkdir '%s'", copy);
                *p = c;
                if (c == '\0')
                        break;
        }
        return 0;
}

/* rm -rf without recursion and with a bounded number of open fds: a pod can
 * write a tree deeper than the fd limit (60,000 levels gave EMFILE) or than
 * PATH_MAX. Each level remembers its name and inode; the first RM_OPEN_DIRS
 * levels keep their directory stream open, deeper ones are re-read from the
 * start when the walk comes back up (their entries are gone by then). The
 * walk goes up through ".." and checks that it lands on the directory it came
 * from, and never descends into another filesystem (a mount). */
#define RM_OPEN_DIRS 32

struct rm_level {
        DIR *d;                 /* open stream, or NULL past RM_OPEN_DIRS */
        int fd;                 /* the directory (owned by d when d is set) */
        char *name;             /* its name in the level above */
        bool busy;              /* changed since the stream was (re)started */
        dev_t dev;
        ino_t ino;
};

struct rm_walk {
        struct rm_level *lv;
        size_t n, cap;
        dev_t dev;              /* the filesystem of the top directory */
};

static void rm_level_close(struct rm_level *l)
{
        if (l->d)
                closedir(l->d);
        else if (l->fd >= 0)
                close(l->fd);
        l->d = NULL;
        l->fd = -1;
        free(l->name);
        l->name = NULL;
}

static int rm_level_push(struct rm_walk *w, int fd, const char *name, struct pfs_error *err)
{
        struct rm_level *l;
        struct stat st;

        if (fstat(fd, &st) < 0) {
                close(fd);
                return pfs_error_set(err, errno, "stat '%s'", name);
        }
        if (w->n > 0 && st.st_dev != w->dev) {
                close(fd);
                return pfs_error_set(err, EXDEV, "'%s' is on another filesystem (a mount point)", name);
        }
        if (w->n == w->cap) {
                w->cap = w->cap ? 2 * w->cap : 16;
                w->lv = xrealloc(w->lv, w->cap * sizeof(*w->lv));
        }
        l = &w->lv[w->n++];
        *l = (struct rm_level){ .fd = fd, .name = xstrdup(name), .dev = st.st_dev, .ino = st.st_ino };
        if (w->n == 1)
                w->dev = st.st_dev;
        return 0;
}

/* The level's directory stream, opened (again) when needed. */
static DIR *rm_level_stream(struct rm_level *l, struct pfs_error *err)
{
        int fd;

        if (l->d)
                return l->d;
        fd = openat(l->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(l->d = fdopendir(fd))) {
                pfs_error_set(err, errno, "open directory '%s'", l->name);
                if (fd >= 0)
                        close(fd);
                return NULL;
        }
        close(l->fd);
        l->fd = dirfd(l->d);
        l->busy = false;
        return l->d;
}

/* Deeper levels give up their stream (they keep only an O_PATH-like fd). */
static void rm_level_park(struct rm_walk *w)
{
        struct rm_level *l = &w->lv[w->n - 1];
        int fd;

        if (w->n <= RM_OPEN_DIRS || !l->d)
                return;
        fd = fcntl(dirfd(l->d), F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return;
        closedir(l->d);
        l->d = NULL;
        l->fd = fd;
}

/* Removes the non-directories of the top level; returns 1 with the name of a
 * subdirectory to descend into, 0 when the level is empty, or an error. */
static int rm_level_scan(struct rm_walk *w, char **ret_sub, struct pfs_error *err)
{
        struct rm_level *l = &w->lv[w->n - 1];
        DIR *d = rm_level_stream(l, err);
        struct dirent *de;
        struct stat st;

        if (!d)
                return -errno;
        for (;;) {
                while ((errno = 0, de = readdir(d))) {
                        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                                continue;
                        if (fstatat(l->fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                                if (errno == ENOENT)
                                        continue;
                                return pfs_error_set(err, errno, "stat '%s'", de->d_name);
                        }
                        l->busy = true;
                        if (S_ISDIR(st.st_mode)) {
                                *ret_sub = xstrdup(de->d_name);
                                return 1;
                        }
                        if (unlinkat(l->fd, de->d_name, 0) < 0 && errno != ENOENT)
                                return pfs_error_set(err, errno, "unlink '%s'", de->d_name);
                }
                if (errno)
                        return pfs_error_set(err, errno, "read directory '%s'", l->name);
                /* entries removed while the stream was open: one clean pass proves it empty */
                if (!l->busy)
                        break;
                l->busy = false;
                rewinddir(d);
        }
        return 0;
}

/* Back to the level above (through ".." unless its fd is still open) and
 * remove the emptied directory from it. */
static int rm_level_pop(struct rm_walk *w, struct pfs_error *err)
{
        struct rm_level *l = &w->lv[w->n - 1], *up = &w->lv[w->n - 2];
        struct stat st;

        if (up->fd < 0) {
                up->fd = openat(l->fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (up->fd < 0)
                        return pfs_error_set(err, errno, "open the parent of '%s'", l->name);
                if (fstat(up->fd, &st) < 0 || st.st_dev != up->dev || st.st_ino != up->ino)
                        return pfs_error_set(err, EXDEV, "'%s' moved while it was being removed", l->name);
        }
        if (unlinkat(up->fd, l->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return pfs_error_set(err, errno, "rmdir '%s'", l->name);
        rm_level_close(l);
        w->n--;
        return 0;
}

/* A level far from the streams still open keeps no fd at all: it is found
 * again through ".." on the way up. */
static void rm_level_release(struct rm_walk *w)
{
        struct rm_level *l;

        if (w->n <= RM_OPEN_DIRS + 1)
                return;
        l = &w->lv[w->n - 2];
        if (!l->d && l->fd >= 0 && w->n - 2 >= RM_OPEN_DIRS) {
                close(l->fd);
                l->fd = -1;
        }
}

static int rm_walk_run(struct rm_walk *w, struct pfs_error *err)
{
        for (;;) {
                struct rm_level *l = &w->lv[w->n - 1];
                _cleanup_free_ char *sub = NULL;
                int fd, r;

                r = rm_level_scan(w, &sub, err);
                if (r < 0)
                        return r;
                if (r == 0) {
                        if (w->n == 1)
                                return 0;
                        r = rm_level_pop(w, err);
                        if (r < 0)
                                return r;
                        continue;
                }
                fd = openat(l->fd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return pfs_error_set(err, errno, "open '%s'", sub);
                rm_level_park(w);
                r = rm_level_push(w, fd, sub, err);
                if (r < 0)
                        return r;
                rm_level_release(w);
        }
}

int pfs_rm_rf_at(int dirfd, const char *name, struct pfs_error *err)
{
        struct rm_walk w = { 0 };
        struct stat st;
        int fd, r;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : pfs_error_set(err, errno, "stat '%s'", name);
        if (!S_ISDIR(st.st_mode)) {
                if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                        return pfs_error_set(err, errno, "unlink '%s'", name);
                return 0;
        }
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return pfs_error_set(err, errno, "open '%s'", name);
        r = rm_level_push(&w, fd, name, err);
        if (r >= 0)
                r = rm_walk_run(&w, err);
        while (w.n > 0)
                rm_level_close(&w.lv[--w.n]);
        free(w.lv);
        if (r < 0)
                return pfs_error_wrap(err, "remove '%s'", name);
        if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                return pfs_error_set(err, errno, "rmdir '%s'", name);
        return 0;
}

int64_t pfs_now_realtime_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t pfs_now_monotonic_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void pfs_time_format(int64_t ns, bool nanos, char buf[static 40])
{
        time_t sec = (time_t)(ns / 1000000000LL);
        struct tm tm;
        size_t n;

        gmtime_r(&sec, &tm);
        n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
        if (nanos)
                snprintf(buf + n, 40 - n, ".%09lldZ", (long long)(ns % 1000000000LL));
        else
                snprintf(buf + n, 40 - n, "Z");
}

int pfs_time_parse(const char *s, int64_t *ret_ns)
{
        struct tm tm = {0};
        const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        int64_t frac = 0;
        int digits = 0;

        if (!p)
                return -EINVAL;
        if (*p == '.') {
                for (p++; *p >= '0' && *p <= '9'; p++, digits++)
                        if (digits < 9)
                                frac = frac * 10 + (*p - '0');
                for (; digits < 9; digits++)
                        frac *= 10;
        }
        if (strcmp(p, "Z") != 0)
                return -EINVAL;
        *ret_ns = (int64_t)timegm(&tm) * 1000000000LL + frac;
        return 0;
}

static const char *log_ident = "podfs";
static int log_max_level = LOG_INFO;

void pfs_log_init(const char *ident, int max_level)
{
        log_ident = ident;
        log_max_level = max_level;
}

void pfs_logv(int level, const char *fmt, va_list ap)
{
        static const char *names[] = {"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"};
        char line[4096], ts[40];
        int n;

        if (level > log_max_level)
                return;
        pfs_time_format(pfs_now_realtime_ns(), false, ts);
        n = snprintf(line, sizeof(line), "%s %s[%d]: %s: ", ts, log_ident, (int)getpid(),
                     names[level & 7]);
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        fprintf(stderr, "%s\n", line);
}

void pfs_log(int level, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        pfs_logv(level, fmt, ap);
        va_end(ap);
}

static void random_fill(unsigned char *b, size_t len)
{
        size_t got = 0;

        while (got < len) {
                ssize_t n = getrandom(b + got, len - got, 0);

                if (n > 0)
                        got += (size_t)n;
        }
}

void pfs_uuid_new(char buf[static 37])
{
        unsigned char b[16];

        random_fill(b, sizeof(b));
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}

void pfs_random_id(char buf[static 65])
{
        unsigned char b[32];

        random_fill(b, sizeof(b));
        for (size_t i = 0; i < sizeof(b); i++)
                snprintf(buf + 2 * i, 3, "%02x", b[i]);
}

char *pfs_helper_find(const char *env_var, const char *name, const char *libexecdir)
{
        const char *env = getenv(env_var);
        const char *const rel[] = { "", "/../runtime" };
        char self[PATH_MAX], *slash;
        ssize_t n;

        if (env && *env)
                return xstrdup(env);
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                slash = strrchr(self, '/');
                if (slash)
                        *slash = '\0';
                for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
                        char *p = xasprintf("%s%s/%s", self, rel[i], name);

                        if (access(p, X_OK) == 0)
                                return p;
                        free(p);
                }
        }
        if (libexecdir) {
                char *p = xasprintf("%s/%s", libexecdir, name);

                if (access(p, X_OK) == 0)
                        return p;
                free(p);
        }
        return NULL;
}
