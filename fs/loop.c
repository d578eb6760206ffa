/* The daemon's one event loop: FUSE requests, signals, inotify on the state
 * dir, pidfds of sandboxes and a timer list on one timerfd. No polling. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include "fs.h"

struct timer {
        int64_t when;
        void (*fn)(struct podfs *, void *);
        void *data;
        struct timer *next;
};

struct ino_reg {
        int wd;
        pfs_ino_fn fn;
        void *data;
        struct ino_reg *next;
};

static struct timer *timers;
static struct ino_reg *ino_regs;
static int sigfd = -1;
static struct podfs *loop_fs;

static void fuse_ready(struct pfs_watch *w, uint32_t events);
static void sig_ready(struct pfs_watch *w, uint32_t events);
static void ino_ready(struct pfs_watch *w, uint32_t events);
static void timer_ready(struct pfs_watch *w, uint32_t events);

static struct pfs_watch fuse_watch = { fuse_ready };
static struct pfs_watch sig_watch = { sig_ready };
static struct pfs_watch ino_watch = { ino_ready };
static struct pfs_watch timer_watch = { timer_ready };

int podfs_epoll_add(struct podfs *fs, int fd, struct pfs_watch *w)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

        return epoll_ctl(fs->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void podfs_epoll_del(struct podfs *fs, int fd)
{
        if (fs->epfd >= 0)
                epoll_ctl(fs->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* ---- timers ---- */

static void timer_arm(struct podfs *fs)
{
        struct itimerspec its = {0};

        if (fs->timerfd < 0)
                return;
        if (timers) {
                int64_t w = timers->when > 0 ? timers->when : 1;

                its.it_value.tv_sec = w / 1000000000LL;
                its.it_value.tv_nsec = w % 1000000000LL;
                if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
                        its.it_value.tv_nsec = 1;
        }
        timerfd_settime(fs->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void podfs_timer_add(struct podfs *fs, int64_t when_ns, void (*fn)(struct podfs *, void *), void *data)
{
        struct timer *t = xcalloc(1, sizeof(*t)), **pp;

        t->when = when_ns;
        t->fn = fn;
        t->data = data;
        for (pp = &timers; *pp && (*pp)->when <= when_ns; pp = &(*pp)->next)
                ;
        t->next = *pp;
        *pp = t;
        timer_arm(fs);
}

void podfs_timer_cancel(struct podfs *fs, void *data)
{
        for (struct timer **pp = &timers; *pp;) {
                if ((*pp)->data == data) {
                        struct timer *t = *pp;

                        *pp = t->next;
                        free(t);
                } else {
                        pp = &(*pp)->next;
                }
        }
        timer_arm(fs);
}

static void timer_ready(struct pfs_watch *w, uint32_t events)
{
        struct podfs *fs = loop_fs;
        uint64_t n;
        int64_t now = pfs_now_monotonic_ns();

        (void)!read(fs->timerfd, &n, sizeof(n));
        while (timers && timers->when <= now) {
                struct timer *t = timers;

                timers = t->next;
                t->fn(fs, t->data);
                free(t);
        }
        timer_arm(fs);
}

/* ---- inotify ---- */

int podfs_inotify_add(struct podfs *fs, const char *path, uint32_t mask, pfs_ino_fn fn, void *data)
{
        int wd = inotify_add_watch(fs->inofd, path, mask);
        struct ino_reg *r;

        if (wd < 0)
                return -errno;
        for (r = ino_regs; r; r = r->next)
                if (r->wd == wd) {
                        r->fn = fn;
                        r->data = data;
                        return wd;
                }
        r = xcalloc(1, sizeof(*r));
        r->wd = wd;
        r->fn = fn;
        r->data = data;
        r->next = ino_regs;
        ino_regs = r;
        return wd;
}

static void ino_reg_drop(int wd)
{
        for (struct ino_reg **pp = &ino_regs; *pp; pp = &(*pp)->next)
                if ((*pp)->wd == wd) {
                        struct ino_reg *r = *pp;

                        *pp = r->next;
                        free(r);
                        return;
                }
}

void podfs_inotify_rm(struct podfs *fs, int wd)
{
        if (wd < 0)
                return;
        if (fs->inofd >= 0)
                inotify_rm_watch(fs->inofd, wd);
        ino_reg_drop(wd);
}

static void ino_ready(struct pfs_watch *w, uint32_t events)
{
        struct podfs *fs = loop_fs;
        char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t n = read(fs->inofd, buf, sizeof(buf));

                if (n <= 0)
                        return;
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *ev = (struct inotify_event *)p;

                        p += sizeof(*ev) + ev->len;
                        if (ev->mask & IN_Q_OVERFLOW) {
                                /* changes were lost: treat every pod as changed */
                                pfs_log(LOG_WARNING, "inotify queue overflow; re-reading every pod");
                                sandbox_all_changed(fs);
                                continue;
                        }
                        for (struct ino_reg *r = ino_regs; r; r = r->next)
                                if (r->wd == ev->wd) {
                                        pfs_ino_fn fn = r->fn;
                                        void *data = r->data;

                                        if (ev->mask & IN_IGNORED)
                                                ino_reg_drop(ev->wd);
                                        fn(fs, data, ev->mask, ev->len ? ev->name : "");
                                        break;
                                }
                }
        }
}

/* ---- FUSE and signals ---- */

static struct fuse_buf fbuf;

static void fuse_ready(struct pfs_watch *w, uint32_t events)
{
        struct podfs *fs = loop_fs;
        int r = fuse_session_receive_buf(fs->se, &fbuf);

        if (r == -EINTR || r == -EAGAIN)
                return;
        if (r <= 0) {
                if (r < 0 && r != -ENODEV)
                        pfs_log(LOG_ERR, "reading FUSE requests: %s", strerror(-r));
                fs->stopping = true;
                return;
        }
        fuse_session_process_buf(fs->se, &fbuf);
}

static void sig_ready(struct pfs_watch *w, uint32_t events)
{
        struct podfs *fs = loop_fs;
        struct signalfd_siginfo si;

        while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP) {
                        pfs_log(LOG_INFO, "signal %d: unmounting", (int)si.ssi_signo);
                        fs->stopping = true;
                }
        }
}

int podfs_loop_init(struct podfs *fs, struct pfs_error *err)
{
        sigset_t mask;

        loop_fs = fs;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGPIPE);
        if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
                return pfs_error_set(err, EINVAL, "block signals");
        sigdelset(&mask, SIGPIPE);
        sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        fs->epfd = epoll_create1(EPOLL_CLOEXEC);
        fs->inofd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        fs->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (sigfd < 0 || fs->epfd < 0 || fs->inofd < 0 || fs->timerfd < 0)
                return pfs_error_set(err, errno, "create event loop fds");
        if (podfs_epoll_add(fs, fuse_session_fd(fs->se), &fuse_watch) < 0 ||
            podfs_epoll_add(fs, sigfd, &sig_watch) < 0 || podfs_epoll_add(fs, fs->inofd, &ino_watch) < 0 ||
            podfs_epoll_add(fs, fs->timerfd, &timer_watch) < 0)
                return pfs_error_set(err, errno, "epoll_ctl");
        return 0;
}

int podfs_loop_run(struct podfs *fs)
{
        struct epoll_event evs[32];

        while (!fs->stopping && !fuse_session_exited(fs->se)) {
                int n = epoll_wait(fs->epfd, evs, ARRAY_SIZE(evs), -1);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        pfs_log(LOG_ERR, "epoll_wait: %m");
                        return -errno;
                }
                for (int i = 0; i < n && !fs->stopping; i++) {
                        struct pfs_watch *w = evs[i].data.ptr;

                        w->fn(w, evs[i].events);
                }
                sandbox_reap_dead(fs);
        }
        return 0;
}

void podfs_loop_fini(struct podfs *fs)
{
        free(fbuf.mem);
        fbuf.mem = NULL;
        while (timers) {
                struct timer *t = timers;

                timers = t->next;
                free(t);
        }
        while (ino_regs) {
                struct ino_reg *r = ino_regs;

                ino_regs = r->next;
                free(r);
        }
        if (sigfd >= 0)
                close(sigfd);
        if (fs->epfd >= 0)
                close(fs->epfd);
        if (fs->inofd >= 0)
                close(fs->inofd);
        if (fs->timerfd >= 0)
                close(fs->timerfd);
        sigfd = fs->epfd = fs->inofd = fs->timerfd = -1;
}
