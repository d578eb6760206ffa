/* logs/<c> and logs/<c>.previous: the CRI log files shown as plain text,
 * the current file of the run only, as `kubectl logs` shows it (the sandbox
 * rotates <run>.log; a new inode restarts the index, and tail -f, seeing the
 * size drop, reads the new file from its start),
 * converted incrementally (an index of (raw, plain) offsets per log node, so
 * no read or stat re-scans a big log), and poll() woken by inotify on the
 * container's log dir. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include "fs.h"
#include "pfs/crilog.h"
#include "pfs/store.h"

#define LOG_CHUNK (128 * 1024)
#define LOG_CHECKPOINT (256 * 1024)

struct log_cp {
        uint64_t raw, plain;
};

struct log_index {
        dev_t dev;
        ino_t ino;
        struct log_cp *cps;     /* cps[0] = {0,0}; increasing */
        size_t n_cps;
        struct log_cp end;      /* converted up to here (a record boundary) */
};

struct log_poller {
        struct fh *fh;
        int wd;
        struct log_poller *next;
};

void log_index_free(struct log_index *li)
{
        if (!li)
                return;
        free(li->cps);
        free(li);
}

static void log_index_reset(struct log_index *li, dev_t dev, ino_t ino)
{
        li->dev = dev;
        li->ino = ino;
        li->cps = xrealloc(li->cps, sizeof(struct log_cp));
        li->cps[0] = (struct log_cp){ 0, 0 };
        li->n_cps = 1;
        li->end = li->cps[0];
}

/* The container's log dir for the pod the node's name refers to now. */
static char *log_dir_path(struct podfs *fs, struct node *n)
{
        struct pod_ref ref;

        if (model_pod_ref(&fs->model, n->ns, n->pod, &ref) < 0 || ref.placeholder)
                return NULL;
        return pod_ctr_log_dir_path(fs->state_dir, n->ns, n->pod, ref.uid, n->ctr);
}

/* Highest restart number with a log file (the current run); -1 when none. */
static int log_latest(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        int best = -1;

        if (!d)
                return -1;
        while ((de = readdir(d))) {
                char *end;
                long v = strtol(de->d_name, &end, 10);

                if (end != de->d_name && !strcmp(end, ".log") && v >= 0 && v > best && v < 1000000)
                        best = (int)v;
        }
        closedir(d);
        return best;
}

char *log_current_path(struct podfs *fs, struct node *n)
{
        _cleanup_free_ char *dir = log_dir_path(fs, n);
        int k;

        if (!dir)
                return NULL;
        k = log_latest(dir);
        if (n->previous)
                k--;
        if (k < 0)
                return NULL;
        return xasprintf("%s/%d.log", dir, k);
}

static int log_fd(struct podfs *fs, struct node *n, struct stat *st)
{
        _cleanup_free_ char *path = log_current_path(fs, n);
        int fd;

        if (!path)
                return -ENOENT;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        if (fstat(fd, st) < 0) {
                close(fd);
                return -errno;
        }
        if (!n->log)
                n->log = xcalloc(1, sizeof(*n->log));
        if (n->log->n_cps == 0 || n->log->dev != st->st_dev || n->log->ino != st->st_ino ||
            (uint64_t)st->st_size < n->log->end.raw)
                log_index_reset(n->log, st->st_dev, st->st_ino);
        return fd;
}

/* Convert from cp on; emit the plain bytes in [want_off, want_off + want) into
 * out (when out != NULL). Stops at EOF or when out is full. Returns the
 * position reached. */
static struct log_cp log_convert(struct log_index *li, int fd, uint64_t raw_size, struct log_cp cp,
                                 uint64_t want_off, size_t want, struct pfs_buf *out, bool extend_index)
{
        char *chunk = xmalloc(LOG_CHUNK);
        struct pfs_buf plain = {0};

        while (cp.raw < raw_size) {
                size_t toread = raw_size - cp.raw < LOG_CHUNK ? raw_size - cp.raw : LOG_CHUNK;
                ssize_t got = pread(fd, chunk, toread, (off_t)cp.raw);
                size_t used;

                if (got <= 0)
                        break;
                plain.len = 0;
                used = cri_log_to_plain(chunk, (size_t)got, &plain);
                if (used == 0)
                        break; /* an incomplete last record */
                if (out && plain.len) {
                        uint64_t s = cp.plain, e = cp.plain + plain.len;
                        uint64_t from = want_off > s ? want_off : s;
                        uint64_t to = want_off + want < e ? want_off + want : e;

                        if (from < to)
                                pfs_buf_append(out, plain.data + (from - s), to - from);
                }
                cp.raw += used;
                cp.plain += plain.len;
                if (extend_index && cp.raw > li->end.raw) {
                        li->end = cp;
                        if (cp.plain - li->cps[li->n_cps - 1].plain >= LOG_CHECKPOINT) {
                                li->cps = xrealloc(li->cps, (li->n_cps + 1) * sizeof(*li->cps));
                                li->cps[li->n_cps++] = cp;
                        }
                }
                if (out && out->len >= want)
                        break;
        }
        pfs_buf_free(&plain);
        free(chunk);
        return cp;
}

int log_size(struct podfs *fs, struct node *n, uint64_t *ret_size)
{
        struct stat st;
        int fd = log_fd(fs, n, &st);

        *ret_size = 0;
        if (fd < 0)
                return fd;
        log_convert(n->log, fd, (uint64_t)st.st_size, n->log->end, 0, 0, NULL, true);
        close(fd);
        *ret_size = n->log->end.plain;
        return 0;
}

int log_open(struct podfs *fs, struct node *n, struct fh *fh)
{
        uint64_t size;
        int r = log_size(fs, n, &size);

        if (r < 0)
                return r;
        fh->kind = FH_LOG;
        fh->node = n;
        return 0;
}

int log_read(struct podfs *fs, struct node *n, struct fh *fh, size_t size, off_t off, struct pfs_buf *out)
{
        struct stat st;
        struct log_index *li;
        struct log_cp cp;
        int fd;

        if (off < 0)
                return -EINVAL;
        fd = log_fd(fs, n, &st);
        if (fd == -ENOENT)
                return 0; /* the run's log is not there (yet): empty */
        if (fd < 0)
                return fd;
        li = n->log;
        /* bring the index up to date, then start at the nearest checkpoint */
        log_convert(li, fd, (uint64_t)st.st_size, li->end, 0, 0, NULL, true);
        if ((uint64_t)off >= li->end.plain) {
                close(fd);
                if ((uint64_t)off > fh->read_pos)
                        fh->read_pos = (uint64_t)off;
                return 0;
        }
        cp = li->cps[0];
        for (size_t i = 0; i < li->n_cps && li->cps[i].plain <= (uint64_t)off; i++)
                cp = li->cps[i];
        log_convert(li, fd, li->end.raw, cp, (uint64_t)off, size, out, false);
        close(fd);
        if ((uint64_t)off + out->len > fh->read_pos)
                fh->read_pos = (uint64_t)off + out->len;
        return 0;
}

static void poller_remove(struct podfs *fs, struct log_poller **pp)
{
        struct log_poller *pl = *pp;
        int wd = pl->wd;

        *pp = pl->next;
        free(pl);
        for (struct log_poller *o = fs->log_pollers; o; o = o->next)
                if (o->wd == wd)
                        return;
        podfs_inotify_rm(fs, wd);
}

static void log_dir_event(struct podfs *fs, void *data, uint32_t mask, const char *name)
{
        int wd = (int)(intptr_t)data;

        for (struct log_poller **pp = &fs->log_pollers; *pp;) {
                struct log_poller *pl = *pp;

                if (pl->wd != wd) {
                        pp = &pl->next;
                        continue;
                }
                if (pl->fh->ph) {
                        fuse_lowlevel_notify_poll(pl->fh->ph);
                        fuse_pollhandle_destroy(pl->fh->ph);
                        pl->fh->ph = NULL;
                }
                if (mask & IN_IGNORED) {
                        *pp = pl->next;
                        free(pl);
                } else {
                        poller_remove(fs, pp);
                }
        }
}

int log_poll(struct podfs *fs, struct node *n, struct fh *fh, struct fuse_pollhandle *ph, unsigned *ret_revents)
{
        _cleanup_free_ char *dir = NULL;
        struct log_poller *pl;
        uint64_t size = 0;
        int wd;

        log_size(fs, n, &size);
        if (size > fh->read_pos) {
                *ret_revents = POLLIN | POLLRDNORM;
                if (ph)
                        fuse_pollhandle_destroy(ph);
                return 0;
        }
        *ret_revents = 0;
        if (!ph)
                return 0;
        if (fh->ph)
                fuse_pollhandle_destroy(fh->ph);
        fh->ph = ph;
        for (pl = fs->log_pollers; pl; pl = pl->next)
                if (pl->fh == fh)
                        return 0;
        dir = log_dir_path(fs, n);
        if (!dir)
                return 0;
        /* the dir may not exist before the first run: watch the pod's log dir */
        wd = podfs_inotify_add(fs, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_ONLYDIR, log_dir_event, NULL);
        if (wd < 0) {
                char *slash = strrchr(dir, '/');

                *slash = '\0';
                wd = podfs_inotify_add(fs, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_ONLYDIR, log_dir_event,
                                       NULL);
        }
        if (wd < 0)
                return 0;
        /* re-register with the wd as data */
        podfs_inotify_add(fs, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_ONLYDIR, log_dir_event,
                          (void *)(intptr_t)wd);
        pl = xcalloc(1, sizeof(*pl));
        pl->fh = fh;
        pl->wd = wd;
        pl->next = fs->log_pollers;
        fs->log_pollers = pl;
        return 0;
}

void log_release(struct podfs *fs, struct fh *fh)
{
        for (struct log_poller **pp = &fs->log_pollers; *pp;) {
                if ((*pp)->fh == fh)
                        poller_remove(fs, pp);
                else
                        pp = &(*pp)->next;
        }
}
