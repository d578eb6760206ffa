/* A container's open stdin (stdin: true), held by the sandbox: the write end
 * of its stdin pipe, or the master of its terminal. The daemon never holds
 * it: while the run lasts the sandbox listens on STATE/pods/<uid>/stdin/<name>
 * (a unix stream socket in a 0700 dir: root only), each writer of the tree's
 * containers/<name>/stdin is one connection, and what comes in is copied to
 * the container, through a bounded buffer: while the container does not read,
 * the sandbox stops reading the connections, so the daemon's nonblocking sends
 * fill the socket and its writer gets short writes, then EAGAIN. A restart of
 * the daemon closes only its connections: the stdin stays open. stdinOnce:
 * when the first writer closes, the stdin is closed (what is buffered first
 * reaches the container), as the kubelet closes it after a single attach; with
 * a terminal, which has no end of its own, the terminal's EOF character
 * (^D, twice after a partial line) tells the reader instead. The container
 * closing its stdin, or its run ending, closes every connection (EPIPE) and
 * removes the socket (an open finds none: ENXIO). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>
#include "sandbox.h"

#define STDIN_CONNS_MAX 8
#define STDIN_BUF (64 * 1024)

struct stdin_conn {
        struct sbx_watch w;
        struct ctr_stdin *in;
};

struct ctr_stdin {
        struct sbx *s;
        struct ctr *c;
        int rfd;                /* the pipe's read end until the child has it, else -1 */
        int wfd;                /* the pipe's write end or a dup of the master (nonblocking), -1 = closed */
        bool tty, once, closing;
        bool paused;            /* the connections are out of the epoll set (the buffer is full) */
        struct sbx_watch listen_w, out_w;
        struct stdin_conn conns[STDIN_CONNS_MAX];
        char last;              /* the last byte the container got */
        size_t off, len;
        char buf[STDIN_BUF];
};

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static struct ctr_stdin *stdin_get(struct sbx *s, struct ctr *c)
{
        if (!c->in) {
                c->in = xcalloc(1, sizeof(*c->in));
                c->in->listen_w.fd = c->in->out_w.fd = -1;
                for (size_t i = 0; i < STDIN_CONNS_MAX; i++) {
                        c->in->conns[i].w.fd = -1;
                        c->in->conns[i].in = c->in;
                }
                c->in->rfd = c->in->wfd = -1;
        }
        c->in->s = s;
        c->in->c = c;
        return c->in;
}

/* Out of the epoll set while the buffer is full, not merely without
 * EPOLLIN: a hang-up would still be reported, at every turn. */
static void conns_pause(struct ctr_stdin *in, bool pause)
{
        if (in->paused == pause)
                return;
        in->paused = pause;
        for (size_t i = 0; i < STDIN_CONNS_MAX; i++) {
                struct sbx_watch *w = &in->conns[i].w;
                struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

                if (w->fd >= 0)
                        epoll_ctl(in->s->epfd, pause ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, w->fd, &ev);
        }
}

static void conn_close(struct ctr_stdin *in, struct sbx_watch *w)
{
        if (w->fd < 0)
                return;
        if (in->paused) {
                close(w->fd);   /* not in the epoll set */
                w->fd = -1;
                return;
        }
        sbx_watch_remove(in->s, w);
}

static void listen_close(struct ctr_stdin *in)
{
        _cleanup_free_ char *name = xasprintf("%s/%s", PFS_STDIN_DIR, in->c->name);

        if (in->listen_w.fd < 0)
                return;
        sbx_watch_remove(in->s, &in->listen_w);
        unlinkat(in->s->pod_fd, name, 0);
}

/* Nobody may write any more: the socket goes, every writer gets EPIPE. */
static void writers_close(struct ctr_stdin *in)
{
        listen_close(in);
        for (size_t i = 0; i < STDIN_CONNS_MAX; i++)
                conn_close(in, &in->conns[i].w);
        in->paused = false;
        sbx_watch_remove(in->s, &in->out_w);
        in->off = in->len = 0;
}

static void input_end(struct ctr_stdin *in)
{
        if (in->tty && in->wfd >= 0) {
                struct termios t;
                char eof[2];
                ssize_t n;

                eof[0] = eof[1] = (char)(tcgetattr(in->wfd, &t) == 0 && t.c_cc[VEOF] ? t.c_cc[VEOF] : 4);
                n = write(in->wfd, eof, in->last && in->last != '\n' ? 2 : 1);
                (void)n;
        }
        close_fd(&in->wfd);
        writers_close(in);
}

static void on_out(struct sbx *s, struct sbx_watch *w, uint32_t events);

static void flush(struct ctr_stdin *in)
{
        while (in->len > 0) {
                ssize_t n = write(in->wfd, in->buf + in->off, in->len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n <= 0) {
                        /* the container closed its stdin */
                        close_fd(&in->wfd);
                        writers_close(in);
                        return;
                }
                in->last = in->buf[in->off + (size_t)n - 1];
                in->off += (size_t)n;
                in->len -= (size_t)n;
        }
        if (in->len > 0) {
                struct pfs_error err = { 0 };
                int fd = in->out_w.fd >= 0 ? -1 : fcntl(in->wfd, F_DUPFD_CLOEXEC, 3);

                conns_pause(in, true);
                if (fd >= 0 && sbx_watch_add(in->s, &in->out_w, fd, EPOLLOUT, on_out, in, &err) < 0)
                        close(fd);
                return;
        }
        sbx_watch_remove(in->s, &in->out_w);
        if (in->closing)
                input_end(in);
        else
                conns_pause(in, false);
}

static void on_out(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        flush(w->data);
}

/* stdinOnce: the first writer closed. */
static void once_over(struct ctr_stdin *in)
{
        in->closing = true;
        listen_close(in);
        for (size_t i = 0; i < STDIN_CONNS_MAX; i++)
                conn_close(in, &in->conns[i].w);
        if (in->len == 0)
                input_end(in);
}

static void on_conn(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct stdin_conn *cn = w->data;
        struct ctr_stdin *in = cn->in;
        ssize_t n;

        if (in->len > 0)
                return; /* paused: not reached */
        n = read(w->fd, in->buf, sizeof(in->buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                conn_close(in, w);
                if (in->once)
                        once_over(in);
                return;
        }
        in->off = 0;
        in->len = (size_t)n;
        flush(in);
}

/* Only a peer of our own uid (the daemon): the dir's mode says so already. */
static bool peer_ok(int fd)
{
        struct ucred cr;
        socklen_t len = sizeof(cr);

        return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.uid == geteuid();
}

static void on_accept(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct ctr_stdin *in = w->data;
        int fd;

        while ((fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                struct pfs_error err = { 0 };
                size_t i = 0;

                while (i < STDIN_CONNS_MAX && in->conns[i].w.fd >= 0)
                        i++;
                if (i == STDIN_CONNS_MAX || in->closing || !peer_ok(fd)) {
                        close(fd);
                        continue;
                }
                if (sbx_watch_add(s, &in->conns[i].w, fd, EPOLLIN, on_conn, &in->conns[i], &err) < 0) {
                        close(fd);
                        continue;
                }
                if (in->paused) /* joins the others out of the set */
                        epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
        }
}

static int listen_open(struct sbx *s, struct ctr_stdin *in, struct pfs_error *err)
{
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        int fd, n, r;

        if (mkdirat(s->pod_fd, PFS_STDIN_DIR, 0700) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "mkdir %s", PFS_STDIN_DIR);
        n = snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s/%s", s->pod_fd, PFS_STDIN_DIR,
                     in->c->name);
        if (n < 0 || (size_t)n >= sizeof(a.sun_path))
                return pfs_error_set(err, ENAMETOOLONG, "stdin socket path");
        unlink(a.sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return pfs_error_set(err, errno, "socket for stdin");
        /* the daemon connects without waiting (its loop must not block): a
         * backlog past what it may hold open (256) never refuses an open,
         * however late this loop accepts */
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, SOMAXCONN) < 0) {
                r = pfs_error_set(err, errno, "listen on %s/%s", PFS_STDIN_DIR, in->c->name);
                close(fd);
                return r;
        }
        r = sbx_watch_add(s, &in->listen_w, fd, EPOLLIN, on_accept, in, err);
        if (r < 0)
                close(fd);
        return r;
}

int stdin_prepare(struct sbx *s, struct ctr *c, struct ctr_stdio *st, int *master, struct pfs_error *err)
{
        struct ctr_stdin *in;
        int p[2];

        *master = -1;
        st->tty = c->spec->tty;
        st->stdin_fd = -1;
        st->ret_master = master;
        if (!c->spec->stdin_open)
                return 0;
        in = stdin_get(s, c);
        stdin_stop(s, c);
        in->tty = c->spec->tty;
        in->once = c->spec->stdin_once;
        in->closing = false;
        in->last = 0;
        if (in->tty)
                return 0;
        if (pipe2(p, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe for stdin");
        in->rfd = st->stdin_fd = p[0];
        in->wfd = p[1];
        if (fcntl(in->wfd, F_SETFL, O_NONBLOCK) < 0) {
                stdin_stop(s, c);
                return pfs_error_set(err, errno, "fcntl O_NONBLOCK");
        }
        return 0;
}

void stdin_started(struct sbx *s, struct ctr *c, int master)
{
        struct pfs_error err = { 0 };
        struct ctr_stdin *in = c->in;

        if (master >= 0 && in && c->spec->stdin_open) {
                in->wfd = fcntl(master, F_DUPFD_CLOEXEC, 3);
                if (in->wfd >= 0)
                        fcntl(in->wfd, F_SETFL, O_NONBLOCK);
        }
        if (master >= 0)
                logs_use_tty(s, c, master);
        if (!in || !c->spec->stdin_open)
                return;
        close_fd(&in->rfd);
        if (in->wfd >= 0 && listen_open(s, in, &err) < 0)
                pfs_log(LOG_WARNING, "container '%s': stdin: %s", c->name, err.msg);
}

void stdin_stop(struct sbx *s, struct ctr *c)
{
        if (!c->in)
                return;
        c->in->s = s;
        writers_close(c->in);
        close_fd(&c->in->rfd);
        close_fd(&c->in->wfd);
}

void stdin_free(struct sbx *s, struct ctr *c)
{
        stdin_stop(s, c);
        free(c->in);
        c->in = NULL;
}
