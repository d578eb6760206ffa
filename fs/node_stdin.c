/* Node kind: containers/<name>/stdin, only for a container with stdin: true.
 * Write-only, its pod's owner's (mode 0200, as delete): whoever may replace
 * the pod may type into it. An open connects to the socket the sandbox
 * listens on while the container's stdin is open (runtime/stdin_fwd.c) and
 * fails with ENXIO when there is none (the container is not running, or a
 * stdinOnce stdin was closed), as opening a FIFO without a reader does with
 * O_NONBLOCK. A write is one nonblocking send: short when the container reads
 * slower; when there is no room at all it is held (a pipe's writer waits)
 * and answered once the socket is writable, EAGAIN for an O_NONBLOCK writer
 * (the daemon itself never waits for a pod), EPIPE once the container's stdin
 * is closed. The close of the open file is what
 * stdinOnce counts. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "fs.h"
#include "model.h"
#include "pfs/render.h"
#include "pfs/store.h"

/* Connections the daemon holds (each is an fd): PFS_STDIN_OPEN_MAX at most,
 * PFS_STDIN_OPEN_PER_USER of them a user's (quota.c). */
static unsigned stdin_open_count;

bool node_ctr_has_stdin(struct podfs *fs, const char *ns, const char *pod, const char *ctr)
{
        const struct pod_view *v;
        struct pod_view *owned = NULL;
        const struct pod_container *c;
        struct pod_ref ref;
        bool has = false;

        if (model_pod_ref(&fs->model, ns, pod, &ref) < 0 || ref.placeholder)
                return false;
        if (model_view_get(&fs->model, ref.uid, &v, &owned) < 0)
                return false;
        c = v->spec ? pod_spec_find_container(v->spec, ctr) : NULL;
        has = c && c->stdin_open;
        pod_view_freep(&owned);
        return has;
}

static int stdin_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        int r = node_in_live_pod_stat(fs, n, st);

        if (r < 0)
                return r;
        if (!node_ctr_has_stdin(fs, n->ns, n->pod, n->ctr))
                return -ENOENT;
        st->st_mode = S_IFREG | 0200;
        st->st_size = 0;
        return 0;
}

static int stdin_connect(struct podfs *fs, const char *uid, const char *ctr)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", uid, PFS_STDIN_DIR);
        _cleanup_close_ int dfd = openat(fs->dirs.pods_fd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int fd, n;

        if (dfd < 0)
                return errno == ENOENT ? -ENXIO : -errno;
        n = snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s", dfd, ctr);
        if (n < 0 || (size_t)n >= sizeof(a.sun_path))
                return -ENAMETOOLONG;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                int e = errno;

                close(fd);
                return e == ENOENT || e == ECONNREFUSED ? -ENXIO : -e;
        }
        return fd;
}

static int stdin_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        struct pod_ref ref;
        int r;

        if ((flags & O_ACCMODE) != O_WRONLY)
                return -EACCES;
        if (!node_ctr_has_stdin(fs, n->ns, n->pod, n->ctr))
                return -ENOENT;
        r = model_pod_ref(&fs->model, n->ns, n->pod, &ref);
        if (r < 0)
                return r;
        if (stdin_open_count >= PFS_STDIN_OPEN_MAX)
                return -ENFILE;
        r = quota_conn_add(fs, fh->owner);
        if (r < 0)
                return r;
        r = stdin_connect(fs, ref.uid, n->ctr);
        if (r < 0) {
                quota_conn_del(fs, fh->owner);
                return r;
        }
        fh->kind = FH_STDIN;
        fh->stdin_fd = r;
        stdin_open_count++;
        return 0;
}

/* A write held until the sandbox's socket has room. */
struct stdin_pending {
        struct pfs_watch watch;
        struct podfs *fs;
        struct fh *fh;
        void *req;
        char *buf;
        size_t len;
};

/* Bytes taken (maybe fewer than size) or -errno. */
static ssize_t stdin_send(struct fh *fh, const char *buf, size_t size)
{
        ssize_t n = send(fh->stdin_fd, buf, size, MSG_DONTWAIT | MSG_NOSIGNAL);

        if (n >= 0)
                return n;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
                return -EAGAIN;
        if (errno == ECONNRESET || errno == ENOTCONN)
                return -EPIPE;
        return -errno;
}

void stdin_replies_on(struct podfs *fs, void (*done)(void *req, ssize_t r))
{
        fs->stdin_done = done;
}

/* The held write's request (or NULL), unwatched and freed. */
static void *pending_drop(struct fh *fh)
{
        struct stdin_pending *p = fh->pending;
        void *req;

        if (!p)
                return NULL;
        podfs_epoll_del(p->fs, fh->stdin_fd);
        req = p->req;
        free(p->buf);
        free(p);
        fh->pending = NULL;
        return req;
}

static void pending_ready(struct pfs_watch *w, uint32_t events)
{
        struct stdin_pending *p = (struct stdin_pending *)w;
        struct podfs *fs = p->fs;
        ssize_t n = stdin_send(p->fh, p->buf, p->len);
        void *req;

        (void)events;
        if (n == -EAGAIN)
                return;
        req = pending_drop(p->fh);
        fs->stdin_done(req, n);
}

int stdin_write(struct podfs *fs, struct fh *fh, void *req, const char *buf, size_t size, bool nonblock,
                size_t *ret_n)
{
        ssize_t n = stdin_send(fh, buf, size);
        struct stdin_pending *p;

        if (n >= 0) {
                *ret_n = (size_t)n;
                return 0;
        }
        if (n != -EAGAIN || nonblock || fh->pending || !fs->stdin_done)
                return (int)n;
        p = xcalloc(1, sizeof(*p));
        p->watch.fn = pending_ready;
        p->fs = fs;
        p->fh = fh;
        p->req = req;
        p->buf = xmalloc(size);
        memcpy(p->buf, buf, size);
        p->len = size;
        if (podfs_epoll_add_out(fs, fh->stdin_fd, &p->watch) < 0) {
                free(p->buf);
                free(p);
                return -EAGAIN;
        }
        fh->pending = p;
        return 1;
}

void *stdin_write_cancel(struct podfs *fs, struct fh *fh)
{
        (void)fs;
        return pending_drop(fh);
}

void stdin_release(struct podfs *fs, struct fh *fh)
{
        if (fh->kind != FH_STDIN || fh->stdin_fd < 0)
                return;
        pending_drop(fh);       /* only at shutdown: a write in flight holds the file */
        close(fh->stdin_fd);
        fh->stdin_fd = -1;
        stdin_open_count--;
        quota_conn_del(fs, fh->owner);
}

/* `> stdin` truncates first: nothing to truncate */
static int stdin_setattr(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        if ((to_set & FUSE_SET_ATTR_SIZE) && attr->st_size == 0)
                to_set &= ~FUSE_SET_ATTR_SIZE;
        return node_setattr_none(fs, n, fh, attr, to_set);
}

const struct node_ops node_ctr_stdin_ops = {
        .stat = stdin_stat,
        .open = stdin_open,
        .setattr = stdin_setattr,
};
