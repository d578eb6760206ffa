/* The daemon's one event loop: signals, inotify on the state dir, pidfds of
 * sandboxes, a timer list on one timerfd, and what the daemon adds (the FUSE
 * fd). No polling; its state is struct podfs_loop, not file statics. */
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
        struct htab_link link;
};

static struct podfs_loop *loop_of(struct pfs_watch *w, size_t offset)
{
        return (struct podfs_loop *)((char *)w - offset);
}

int podfs_epoll_add(struct podfs *fs, int fd, struct pfs_watch *w)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

        return epoll_ctl(fs->loop.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int podfs_epoll_add_out(struct podfs *fs, int fd, struct pfs_watch *w)
{
        struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = w };

        return epoll_ctl(fs->loop.epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void podfs_epoll_del(struct podfs *fs, int fd)
{
        if (fs->loop.epfd >= 0)
                epoll_ctl(fs->loop.epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* ---- timers ---- */

static void timer_arm(struct podfs *fs)
{
        struct itimerspec its = {0};

        struct podfs_loop *l = &fs->loop;

        if (l->timerfd < 0)
                return;
        if (l->timers) {
                int64_t w = l->timers->when > 0 ? l->timers->when : 1;

                its.it_value.tv_sec = w / 1000000000LL;
                its.it_value.tv_nsec = w % 1000000000LL;
                if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
                        its.it_value.tv_nsec = 1;
        }
        timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

void podfs_timer_add(struct podfs *fs, int64_t when_ns, void (*fn)(struct podfs *, void *), void *data)
{
        struct timer *t = xcalloc(1, sizeof(*t)), **pp;

        t->when = when_ns;
        t->fn = fn;
        t->data = data;
        for (pp = &fs->loop.timers; *pp && (*pp)->when <= when_ns; pp = &(*pp)->next)
                ;
        t->next = *pp;
        *pp = t;
        timer_arm(fs);
}

void podfs_timer_cancel(struct podfs *fs, void *data)
{
        for (struct timer **pp = &fs->loop.timers; *pp;) {
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
        struct podfs_loop *l = loop_of(w, offsetof(struct podfs_loop, timer_watch));
        struct podfs *fs = l->fs;
        uint64_t n;
        int64_t now = pfs_now_monotonic_ns();

        (void)!read(l->timerfd, &n, sizeof(n));
        while (l->timers && l->timers->when <= now) {
                struct timer *t = l->timers;

                l->timers = t->next;
                t->fn(fs, t->data);
                free(t);
        }
        timer_arm(fs);
}

/* ---- inotify ---- */

static struct ino_reg *ino_reg_find(struct podfs_loop *l, int wd)
{
        uint64_t h = htab_hash_u64((uint64_t)wd);

        for (struct htab_link *k = htab_chain(&l->ino_regs, h); k; k = k->next) {
                struct ino_reg *r = htab_entry(k, struct ino_reg, link);

                if (r->wd == wd)
                        return r;
        }
        return NULL;
}

int podfs_inotify_add(struct podfs *fs, const char *path, uint32_t mask, pfs_ino_fn fn, void *data)
{
        int wd = inotify_add_watch(fs->loop.inofd, path, mask);
        struct ino_reg *r;

        if (wd < 0)
                return -errno;
        r = ino_reg_find(&fs->loop, wd);
        if (!r) {
                r = xcalloc(1, sizeof(*r));
                r->wd = wd;
                htab_put(&fs->loop.ino_regs, &r->link, htab_hash_u64((uint64_t)wd));
        }
        r->fn = fn;
        r->data = data;
        return wd;
}

static void ino_reg_drop(struct podfs_loop *l, int wd)
{
        struct ino_reg *r = ino_reg_find(l, wd);

        if (r) {
                htab_del(&l->ino_regs, &r->link);
                free(r);
        }
}

void podfs_inotify_rm(struct podfs *fs, int wd)
{
        if (wd < 0)
                return;
        if (fs->loop.inofd >= 0)
                inotify_rm_watch(fs->loop.inofd, wd);
        ino_reg_drop(&fs->loop, wd);
}

static void ino_event(struct podfs_loop *l, const struct inotify_event *ev)
{
        struct ino_reg *r;
        pfs_ino_fn fn;
        void *data;

        if (ev->mask & IN_Q_OVERFLOW) {
                /* changes were lost: the daemon treats every pod as changed */
                pfs_log(LOG_WARNING, "inotify queue overflow; re-reading every pod");
                if (l->events_lost)
                        l->events_lost(l->fs);
                return;
        }
        r = ino_reg_find(l, ev->wd);
        if (!r)
                return;
        fn = r->fn;
        data = r->data;
        if (ev->mask & IN_IGNORED)
                ino_reg_drop(l, ev->wd);
        fn(l->fs, data, ev->mask, ev->len ? ev->name : "");
}

static void ino_ready(struct pfs_watch *w, uint32_t events)
{
        struct podfs_loop *l = loop_of(w, offsetof(struct podfs_loop, ino_watch));
        char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t n = read(l->inofd, buf, sizeof(buf));

                if (n <= 0)
                        return;
                for (char *p = buf; p < buf + n;) {
                        struct inotify_event *ev = (struct inotify_event *)p;

                        p += sizeof(*ev) + ev->len;
                        ino_event(l, ev);
                }
        }
}

/* ---- signals and the loop ---- */

static void sig_ready(struct pfs_watch *w, uint32_t events)
{
        struct podfs_loop *l = loop_of(w, offsetof(struct podfs_loop, sig_watch));
        struct signalfd_siginfo si;

        while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP) {
                        pfs_log(LOG_INFO, "signal %d: unmounting", (int)si.ssi_signo);
                        l->stopping = true;
                }
        }
}

int podfs_loop_init(struct podfs *fs, struct pfs_error *err)
{
        struct podfs_loop *l = &fs->loop;
        sigset_t mask;

        l->fs = fs;
        l->sig_watch.fn = sig_ready;
        l->ino_watch.fn = ino_ready;
        l->timer_watch.fn = timer_ready;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGPIPE);
        if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
                return pfs_error_set(err, EINVAL, "block signals");
        sigdelset(&mask, SIGPIPE);
        l->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        l->inofd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (l->sigfd < 0 || l->epfd < 0 || l->inofd < 0 || l->timerfd < 0)
                return pfs_error_set(err, errno, "create event loop fds");
        if (podfs_epoll_add(fs, l->sigfd, &l->sig_watch) < 0 || podfs_epoll_add(fs, l->inofd, &l->ino_watch) < 0 ||
            podfs_epoll_add(fs, l->timerfd, &l->timer_watch) < 0)
                return pfs_error_set(err, errno, "epoll_ctl");
        return 0;
}

void podfs_loop_on(struct podfs *fs, void (*after_batch)(struct podfs *), void (*events_lost)(struct podfs *))
{
        fs->loop.after_batch = after_batch;
        fs->loop.events_lost = events_lost;
}

int podfs_loop_turn(struct podfs *fs, int timeout_ms)
{
        struct podfs_loop *l = &fs->loop;
        struct epoll_event evs[32];
        int n = epoll_wait(l->epfd, evs, ARRAY_SIZE(evs), timeout_ms);

        if (n < 0) {
                if (errno == EINTR)
                        return 0;
                pfs_log(LOG_ERR, "epoll_wait: %m");
                return -errno;
        }
        for (int i = 0; i < n && !l->stopping; i++) {
                struct pfs_watch *w = evs[i].data.ptr;

                w->fn(w, evs[i].events);
        }
        if (l->after_batch)
                l->after_batch(fs);
        return n;
}

int podfs_loop_run(struct podfs *fs)
{
        while (!fs->loop.stopping) {
                int r = podfs_loop_turn(fs, -1);

                if (r < 0)
                        return r;
        }
        return 0;
}

void podfs_loop_stop(struct podfs *fs)
{
        fs->loop.stopping = true;
}

void podfs_loop_fini(struct podfs *fs)
{
        struct podfs_loop *l = &fs->loop;

        while (l->timers) {
                struct timer *t = l->timers;

                l->timers = t->next;
                free(t);
        }
        for (size_t i = 0; i < l->ino_regs.cap; i++)
                while (l->ino_regs.b[i]) {
                        struct htab_link *k = l->ino_regs.b[i];

                        l->ino_regs.b[i] = k->next;
                        free(htab_entry(k, struct ino_reg, link));
                }
        htab_free(&l->ino_regs);
        for (int *fd = (int[]){ l->sigfd, l->epfd, l->inofd, l->timerfd, -2 }; *fd != -2; fd++)
                if (*fd >= 0)
                        close(*fd);
        l->sigfd = l->epfd = l->inofd = l->timerfd = -1;
}
