/* The sandbox's single epoll loop: signalfd (SIGCHLD; SIGTERM, SIGINT: stop;
 * SIGHUP: the daemon wrote a new meta), pidfds, timerfds and log pipes,
 * dispatched through epoll_event.data.ptr. Nothing polls: an idle pod sleeps
 * in epoll_wait. No inotify instance: the kernel allows a user only 128 by
 * default, and a node holds more pods than that. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include "sandbox.h"

int sbx_watch_add(struct sbx *s, struct sbx_watch *w, int fd, uint32_t events, sbx_watch_fn fn,
                  void *data, struct pfs_error *err)
{
        struct epoll_event ev = {.events = events, .data.ptr = w};

        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return pfs_error_set(err, errno, "epoll_ctl add fd %d", fd);
        w->fd = fd;
        w->fn = fn;
        w->data = data;
        return 0;
}

void sbx_watch_remove(struct sbx *s, struct sbx_watch *w)
{
        if (w->fd < 0)
                return;
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, w->fd, NULL);
        close(w->fd);
        w->fd = -1;
}

int sbx_timer_arm(struct sbx *s, struct sbx_watch *w, int64_t deadline_mono, sbx_watch_fn fn,
                  void *data, struct pfs_error *err)
{
        struct itimerspec its = {0};
        int r;

        if (w->fd < 0) {
                int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

                if (fd < 0)
                        return pfs_error_set(err, errno, "timerfd_create");
                r = sbx_watch_add(s, w, fd, EPOLLIN, fn, data, err);
                if (r < 0) {
                        close(fd);
                        return r;
                }
        }
        w->fn = fn;
        w->data = data;
        if (deadline_mono <= 0)
                deadline_mono = 1; /* an all-zero value would disarm */
        its.it_value.tv_sec = deadline_mono / 1000000000LL;
        its.it_value.tv_nsec = deadline_mono % 1000000000LL;
        if (timerfd_settime(w->fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
                return pfs_error_set(err, errno, "timerfd_settime");
        return 0;
}

void sbx_timer_disarm(struct sbx *s, struct sbx_watch *w)
{
        sbx_watch_remove(s, w);
}

static void on_signal(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct signalfd_siginfo si;
        bool child = false, meta = false;

        for (;;) {
                ssize_t n = read(w->fd, &si, sizeof(si));

                if (n != (ssize_t)sizeof(si))
                        break;
                if (si.ssi_signo == SIGCHLD) {
                        child = true;
                } else if (si.ssi_signo == SIGHUP) {
                        meta = true;
                } else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                        pfs_log(LOG_NOTICE, "signal %d: stopping the pod (grace %llds)", (int)si.ssi_signo,
                                (long long)s->spec->termination_grace_period_seconds);
                        term_begin(s, s->spec->termination_grace_period_seconds, false);
                }
        }
        if (meta) {
                term_meta_changed(s);
                update_wake(s);
                objvol_wake(s);
                sup_env_recheck(s);
        }
        if (child)
                sup_reap(s);
}

static int signals_setup(struct sbx *s, struct pfs_error *err)
{
        sigset_t mask;
        int fd, r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return pfs_error_set(err, errno, "sigprocmask");
        fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (fd < 0)
                return pfs_error_set(err, errno, "signalfd");
        r = sbx_watch_add(s, &s->sig_w, fd, EPOLLIN, on_signal, NULL, err);
        if (r < 0)
                close(fd);
        return r;
}

int sbx_loop_init(struct sbx *s, struct pfs_error *err)
{
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (s->epfd < 0)
                return pfs_error_set(err, errno, "epoll_create1");
        return signals_setup(s, err);
}

int sbx_loop_run(struct sbx *s)
{
        struct epoll_event evs[16];

        while (!term_is_done(s)) {
                int n = epoll_wait(s->epfd, evs, (int)ARRAY_SIZE(evs), -1);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        pfs_log(LOG_ERR, "epoll_wait: %m");
                        return -errno;
                }
                for (int i = 0; i < n && !term_is_done(s); i++) {
                        struct sbx_watch *w = evs[i].data.ptr;

                        /* A handler may have removed a watch reported in this batch. */
                        if (w->fd >= 0)
                                w->fn(s, w, evs[i].events);
                }
                if (!term_is_done(s) && (s->status_dirty || s->sandbox_dirty))
                        sbx_publish(s);
        }
        return 0;
}
