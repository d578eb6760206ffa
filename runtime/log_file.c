/* A container run's CRI log file on disk, rotated as kubelet's container log
 * manager does it (containerLogMaxSize, containerLogMaxFiles): the current
 * file is <restartCount>.log, rotated ones <restartCount>.log.<YYYYmmdd-HHMMSS>
 * beside it, so shippers that read *.log see each line exactly once. Rotation
 * happens between two whole records and is a rename plus an open: never a copy,
 * never a compression on the sandbox's loop (kubelet gzips older rotations;
 * we keep them plain, so the directory is bounded by MaxSize x MaxFiles). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "sandbox.h"

#define LOG_FLUSH_AT (64 * 1024)  /* records are batched into writes of about this size */

struct rotated_ent {
        char *name;
        int64_t mtime_ns;
};

static void rotated_push(struct log_file *lf, char *name)
{
        lf->rotated = xrealloc(lf->rotated, (lf->n_rotated + 1) * sizeof(*lf->rotated));
        lf->rotated[lf->n_rotated++] = name;
}

/* Keep at most keep rotated files, the newest. */
static void rotated_prune(struct log_file *lf, size_t keep)
{
        size_t drop;

        if (lf->n_rotated <= keep)
                return;
        drop = lf->n_rotated - keep;
        for (size_t i = 0; i < drop; i++) {
                if (unlinkat(lf->dir_fd, lf->rotated[i], 0) < 0 && errno != ENOENT)
                        pfs_log(LOG_WARNING, "remove rotated log '%s': %m", lf->rotated[i]);
                free(lf->rotated[i]);
        }
        memmove(lf->rotated, lf->rotated + drop, keep * sizeof(*lf->rotated));
        lf->n_rotated = keep;
}

static int rotated_cmp(const void *a, const void *b)
{
        const struct rotated_ent *x = a, *y = b;

        if (x->mtime_ns != y->mtime_ns)
                return x->mtime_ns < y->mtime_ns ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* "<run>.log" -> the run; -1 for anything else. rotated: "<run>.log.<suffix>". */
static int log_name_run(const char *name, bool *ret_rotated)
{
        char *end;
        long v;

        if (name[0] < '0' || name[0] > '9')
                return -1;
        v = strtol(name, &end, 10);
        if (v < 0 || v > 1000000000 || strncmp(end, ".log", 4) != 0)
                return -1;
        if (end[4] == '\0')
                *ret_rotated = false;
        else if (end[4] == '.' && end[5] != '\0')
                *ret_rotated = true;
        else
                return -1;
        return (int)v;
}

/* A new run starts: kubelet keeps the logs of the last dead instance only
 * (the previous run's current file, what `kubectl logs --previous` reads), so
 * older runs and the previous run's rotations go; a resumed run's own
 * rotations are picked up in age order. One readdir per container start. */
static void log_dir_scan(struct log_file *lf)
{
        struct rotated_ent *ents = NULL;
        size_t n = 0;
        struct dirent *de;
        DIR *d;
        int fd = openat(lf->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset, unlike dup */

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                bool rotated = false;
                int run = log_name_run(de->d_name, &rotated);
                struct stat st;

                if (run < 0 && de->d_name[0] == '.' && strstr(de->d_name, ".log.new")) {
                        unlinkat(lf->dir_fd, de->d_name, 0);   /* a rotation cut short */
                        continue;
                }
                if (run < 0 || (run == lf->run - 1 && !rotated) || (run == lf->run && !rotated))
                        continue;
                if (run != lf->run) {
                        if (unlinkat(lf->dir_fd, de->d_name, 0) < 0 && errno != ENOENT)
                                pfs_log(LOG_WARNING, "remove old log '%s': %m", de->d_name);
                        continue;
                }
                if (fstatat(lf->dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                ents = xrealloc(ents, (n + 1) * sizeof(*ents));
                ents[n++] = (struct rotated_ent){ xstrdup(de->d_name),
                                                  st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec };
        }
        closedir(d);
        if (n > 0)
                qsort(ents, n, sizeof(*ents), rotated_cmp);
        for (size_t i = 0; i < n; i++)
                rotated_push(lf, ents[i].name);
        free(ents);
}

static int current_open(struct log_file *lf, struct pfs_error *err)
{
        char name[32];
        struct stat st;
        int fd;

        snprintf(name, sizeof(name), "%d.log", lf->run);
        fd = openat(lf->dir_fd, name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0)
                return pfs_error_set(err, errno, "open log '%s'", name);
        lf->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
        if (lf->fd >= 0)
                close(lf->fd);
        lf->fd = fd;
        return 0;
}

int log_file_open(struct sbx *s, struct ctr *c, int run, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", s->log_dir, c->name);
        struct log_file *lf = &c->log;
        int r;

        log_file_close(c);
        r = pfs_mkdir_p_at(s->state_fd, dir, 0755, err);
        if (r < 0)
                return r;
        lf->dir_fd = openat(s->state_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (lf->dir_fd < 0)
                return pfs_error_set(err, errno, "open log directory '%s'", dir);
        lf->run = run;
        log_dir_scan(lf);
        rotated_prune(lf, (size_t)s->cfg.log_max_files - 1);
        return current_open(lf, err);
}

/* The first suffix free for a rotation at ts: after the newest rotated file's
 * when that one has the same time (pruning may free older names: never reuse
 * them, names must keep sorting by age). */
static int next_suffix(const struct log_file *lf, const char *cur, const char *ts)
{
        const char *last;
        size_t n = strlen(cur), m = strlen(ts);

        if (lf->n_rotated == 0)
                return 0;
        last = lf->rotated[lf->n_rotated - 1];
        if (strncmp(last, cur, n) || last[n] != '.' || strncmp(last + n + 1, ts, m))
                return 0;
        if (last[n + 1 + m] == '\0')
                return 1;
        return last[n + 1 + m] == '.' ? atoi(last + n + 2 + m) + 1 : 0;
}

/* <run>.log becomes <run>.log.<time> (a later rotation within the same
 * second gets .001, .002, ...: names sort by age) and a fresh <run>.log takes
 * its place in one rename, so the name always exists for readers: link the
 * current file to its rotated name, create the new one beside, rename it over.
 * A reader holding the old file keeps it; the daemon sees a new inode. */
static int rotate(struct sbx *s, struct log_file *lf)
{
        char cur[32], tmp[40], ts[32], name[128];
        time_t now = time(NULL);
        struct tm tm;
        int fd;

        /* kubelet's removeExcessLogs first: MaxFiles - 2 rotated + the one made now + the current */
        rotated_prune(lf, (size_t)s->cfg.log_max_files - 2);
        snprintf(cur, sizeof(cur), "%d.log", lf->run);
        snprintf(tmp, sizeof(tmp), ".%d.log.new", lf->run);
        gmtime_r(&now, &tm);
        strftime(ts, sizeof(ts), "%Y%m%d-%H%M%S", &tm);
        for (int k = next_suffix(lf, cur, ts);; k++) {
                if (k == 0)
                        snprintf(name, sizeof(name), "%s.%s", cur, ts);
                else
                        snprintf(name, sizeof(name), "%s.%s.%03d", cur, ts, k);
                if (linkat(lf->dir_fd, cur, lf->dir_fd, name, 0) == 0)
                        break;
                if (errno != EEXIST || k >= 999) {
                        pfs_log(LOG_WARNING, "rotate log '%s': link: %m", cur);
                        return -errno;
                }
        }
        unlinkat(lf->dir_fd, tmp, 0);
        fd = openat(lf->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
        if (fd < 0 || renameat(lf->dir_fd, tmp, lf->dir_fd, cur) < 0) {
                int r = -errno;

                pfs_log(LOG_WARNING, "rotate log '%s': new file: %m", cur);
                if (fd >= 0) {
                        close(fd);
                        unlinkat(lf->dir_fd, tmp, 0);
                }
                unlinkat(lf->dir_fd, name, 0);  /* keep writing the current file */
                return r;
        }
        close(lf->fd);
        lf->fd = fd;
        lf->size = 0;
        rotated_push(lf, xstrdup(name));
        return 0;
}

void log_file_flush(struct log_file *lf)
{
        const char *p = lf->pending.data;
        size_t left = lf->pending.len;

        while (lf->fd >= 0 && left > 0) {
                ssize_t n = write(lf->fd, p, left);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        pfs_log(LOG_WARNING, "write log: %m");
                        break;
                }
                p += n;
                left -= (size_t)n;
                lf->size += (uint64_t)n;
        }
        lf->pending.len = 0;
}

void log_file_append(struct sbx *s, struct log_file *lf, const char *rec, size_t len)
{
        if (lf->fd < 0)
                return;
        /* A record never straddles two files: rotate before the one that would cross MaxSize. */
        if (lf->size + lf->pending.len + len > s->cfg.log_max_size && lf->size + lf->pending.len > 0) {
                log_file_flush(lf);
                rotate(s, lf);
        }
        pfs_buf_append(&lf->pending, rec, len);
        if (lf->pending.len >= LOG_FLUSH_AT)
                log_file_flush(lf);
}

void log_file_close(struct ctr *c)
{
        struct log_file *lf = &c->log;

        log_file_flush(lf);
        pfs_buf_free(&lf->pending);
        if (lf->fd >= 0)
                close(lf->fd);
        if (lf->dir_fd >= 0)
                close(lf->dir_fd);
        for (size_t i = 0; i < lf->n_rotated; i++)
                free(lf->rotated[i]);
        free(lf->rotated);
        *lf = (struct log_file){ .fd = -1, .dir_fd = -1 };
}
