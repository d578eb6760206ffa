/* Liveness, readiness and startup probes as kubelet's prober workers run
 * them: a fixed grid of attempts (timerfd, absolute deadlines: no drift), at
 * most one attempt in flight (handler.c, bounded by timeoutSeconds), and
 * success/failure thresholds over consecutive outcomes (an attempt that
 * errored is not an outcome). */
#include <errno.h>
#include <string.h>
#include "probe.h"

#define NSEC 1000000000LL

static const char *const kind_names[PROBE__MAX] = {
        [PROBE_STARTUP] = "Startup", [PROBE_LIVENESS] = "Liveness", [PROBE_READINESS] = "Readiness",
};

const char *probe_kind_name(enum probe_kind k)
{
        return k < PROBE__MAX ? kind_names[k] : "?";
}

void probe_init(struct probe *p, enum probe_kind kind, const struct pod_container *c,
                const struct pod_probe *spec, probe_result_fn fn, void *data)
{
        memset(p, 0, sizeof(*p));
        handler_run_init(&p->run);
        p->tick_w.fd = -1;
        p->pidfd = p->cgroup_fd = -1;
        p->kind = kind;
        p->ctr = c;
        p->spec = spec;
        p->fn = fn;
        p->data = data;
        p->result = kind == PROBE_LIVENESS;
}

static int64_t period_ns(const struct probe *p)
{
        return (p->spec->period_seconds > 0 ? p->spec->period_seconds : 10) * NSEC;
}

static void on_tick(struct sbx *s, struct sbx_watch *w, uint32_t events);

/* The next slot of the grid that is still ahead of now. */
static void schedule_next(struct sbx *s, struct probe *p)
{
        int64_t now = pfs_now_monotonic_ns(), period = period_ns(p);
        struct pfs_error err = {0};

        while (p->next_mono <= now)
                p->next_mono += period;
        if (sbx_timer_arm(s, &p->tick_w, p->next_mono, on_tick, p, &err) < 0)
                pfs_log(LOG_ERR, "container '%s': %s probe: %s", p->ctr->name, probe_kind_name(p->kind), err.msg);
}

static bool threshold_reached(const struct probe *p, bool ok)
{
        int32_t t = ok ? p->spec->success_threshold : p->spec->failure_threshold;

        return p->run_len >= (t > 0 ? t : 1);
}

static void on_attempt(struct sbx *s, void *data, enum handler_result outcome, const char *message)
{
        struct probe *p = data;
        struct probe_attempt a = {.outcome = outcome, .message = message};
        bool ok = outcome == HANDLER_OK || outcome == HANDLER_WARNING;

        if (!p->active)
                return;
        /* kubelet's worker throws an errored attempt away: it neither counts
         * toward a threshold nor breaks a run (a command that cannot start
         * never restarts the container). */
        if (outcome == HANDLER_ERRORED) {
                a.result = p->result;
                schedule_next(s, p);
                p->fn(s, p, &a, p->data);
                return;
        }
        if (p->run_len > 0 && p->last_ok == ok)
                p->run_len++;
        else
                p->run_len = 1;
        p->last_ok = ok;
        if (threshold_reached(p, ok)) {
                /* kubelet: a liveness/startup failure at the threshold always acts. */
                a.changed = p->result != ok || (!ok && p->kind != PROBE_READINESS);
                p->result = ok;
                if (!ok && p->kind != PROBE_READINESS)
                        p->run_len = 0;
        }
        a.result = p->result;
        /* Schedule before calling back: the callback may stop us. */
        schedule_next(s, p);
        p->fn(s, p, &a, p->data);
}

static void attempt_start(struct sbx *s, struct probe *p)
{
        struct pfs_error err = {0};
        struct handler_req req;
        int r;

        r = handler_req_from_spec(&req, p->ctr, &p->spec->h, &err);
        if (r < 0) {
                struct probe_attempt a = {.outcome = HANDLER_ERRORED, .message = err.msg, .result = p->result};

                schedule_next(s, p);
                p->fn(s, p, &a, p->data);
                return;
        }
        req.ctr_pid = p->pid;
        req.ctr_pidfd = p->pidfd;
        req.cgroup_fd = p->cgroup_fd;
        req.timeout_ns = (p->spec->timeout_seconds > 0 ? p->spec->timeout_seconds : 1) * NSEC;
        if (handler_start(s, &p->run, &req, on_attempt, p, &err) < 0) {
                pfs_log(LOG_WARNING, "container '%s': %s probe: %s", p->ctr->name, probe_kind_name(p->kind),
                        err.msg);
                on_attempt(s, p, HANDLER_ERRORED, err.msg);
        }
}

static void on_tick(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct probe *p = w->data;
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return; /* stale: re-armed since */
        /* The timerfd stays: schedule_next re-arms it. */
        if (!p->active || p->run.busy)
                return;
        attempt_start(s, p);
}

int probe_start(struct sbx *s, struct probe *p, pid_t pid, int pidfd, int cgroup_fd, int64_t started_mono,
                struct pfs_error *err)
{
        int64_t now = pfs_now_monotonic_ns(), first;

        probe_stop(s, p);
        p->active = true;
        p->pid = pid;
        p->pidfd = pidfd;
        p->cgroup_fd = cgroup_fd;
        first = started_mono + (int64_t)p->spec->initial_delay_seconds * NSEC;
        p->next_mono = first > now ? first : now;
        return sbx_timer_arm(s, &p->tick_w, p->next_mono, on_tick, p, err);
}

void probe_stop(struct sbx *s, struct probe *p)
{
        handler_cancel(s, &p->run);
        sbx_timer_disarm(s, &p->tick_w);
        p->active = false;
        p->run_len = 0;
        p->result = p->kind == PROBE_LIVENESS;
        p->pid = 0;
        p->pidfd = p->cgroup_fd = -1;
}
