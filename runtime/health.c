/* Probes and lifecycle hooks wired into supervision: startup gates liveness
 * and readiness, readiness sets `ready`, a liveness/startup failure restarts
 * the container (per restartPolicy), postStart after Started, preStop before
 * SIGTERM. The runners themselves live in probe.c, hook.c and handler.c. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "hook.h"
#include "probe.h"
#include "sandbox.h"

#define NSEC 1000000000LL

struct ctr_health {
        struct probe probes[PROBE__MAX];
        bool has[PROBE__MAX];
        struct hook post_start, pre_stop;
        struct sbx_watch kill_w;        /* grace of a probe- or hook-triggered kill, or
                                         * SIGTERM's 2 s after a preStop cut by the grace */
        int64_t started_real;           /* the process started; the container runs after postStart */
        int64_t restart_grace_s;        /* a kill for a restart (CS_RESTARTING): its grace, */
        char *restart_why;              /* its Killing event's message */
        int64_t restart_deadline;       /* the monotonic end of its grace */
};

static const struct pod_probe *probe_spec(const struct pod_container *c, enum probe_kind k)
{
        switch (k) {
        case PROBE_STARTUP:
                return c->startup;
        case PROBE_LIVENESS:
                return c->liveness;
        default:
                return c->readiness;
        }
}

static void on_kill_grace(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct ctr *c = w->data;
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return;
        sbx_timer_disarm(s, w);
        ctr_signal(c, SIGKILL);
}

/* SIGTERM, SIGKILL at the end of the restart kill's grace (after a preStop:
 * at least 2 s later, kubelet's minimumGracePeriodInSeconds). */
static void restart_term(struct sbx *s, struct ctr *c, bool after_pre_stop)
{
        struct ctr_health *h = c->health;
        int64_t now = pfs_now_monotonic_ns(), end = h->restart_deadline;
        struct pfs_error err = {0};

        if (after_pre_stop && end < now + 2 * NSEC)
                end = now + 2 * NSEC;
        if (end <= now) {
                ctr_signal(c, SIGKILL);
                return;
        }
        ctr_signal(c, ctr_stop_signal(c));
        if (sbx_timer_arm(s, &h->kill_w, end, on_kill_grace, c, &err) < 0) {
                pfs_log(LOG_ERR, "container '%s': %s", c->name, err.msg);
                ctr_signal(c, SIGKILL);
        }
}

static void on_pre_stop(struct sbx *s, struct hook *k, enum hook_outcome outcome, const char *message,
                        void *data);

void health_kill_for_restart(struct sbx *s, struct ctr *c, int64_t grace_s, const char *why)
{
        struct ctr_health *h = c->health;

        h->restart_grace_s = grace_s;
        free(h->restart_why);
        h->restart_why = xstrdup(why);
        sup_dispatch(s, c, EV_UNHEALTHY); /* only a running container: sup_table.c */
}

/* kubelet's killContainer for an unhealthy container (or a failed postStart):
 * its preStop, SIGTERM, SIGKILL after the probe's (else the pod's) grace
 * period; the exit then goes through restartPolicy as any other. */
void health_restart_kill(struct sbx *s, struct ctr *c)
{
        struct ctr_health *h = c->health;
        int64_t grace_s = h->restart_grace_s;
        struct pfs_error err = {0};

        if (grace_s < 0)
                grace_s = s->spec->termination_grace_period_seconds;
        h->restart_deadline = pfs_now_monotonic_ns() + grace_s * NSEC;
        sbx_event(s, c, "Normal", "Killing", "%s", h->restart_why ? h->restart_why : "");
        for (int k = 0; k < PROBE__MAX; k++)
                probe_stop(s, &h->probes[k]);
        hook_cancel(s, &h->post_start);
        if (grace_s > 0 && c->spec->pre_stop) {
                if (hook_start(s, &h->pre_stop, c->spec, c->spec->pre_stop, s->pod_ref, c->pid, c->pidfd_w.fd,
                               c->cgroup_fd, grace_s * NSEC, on_pre_stop, c, &err) == 0)
                        return; /* SIGTERM follows the hook */
                sbx_event(s, c, "Warning", "FailedPreStopHook", "%s", err.msg);
        }
        restart_term(s, c, false);
}

static void probe_begin(struct sbx *s, struct ctr *c, enum probe_kind k)
{
        struct ctr_health *h = c->health;
        struct pfs_error err = {0};

        if (h->has[k] && probe_start(s, &h->probes[k], c->pid, c->pidfd_w.fd, c->cgroup_fd, c->started_mono, &err) < 0)
                pfs_log(LOG_ERR, "container '%s': %s probe: %s", c->name, probe_kind_name(k), err.msg);
}

static void on_probe(struct sbx *s, struct probe *p, const struct probe_attempt *a, void *data)
{
        struct ctr *c = data;
        struct ctr_status *cs = pod_status_find(s->status, c->name);
        _cleanup_free_ char *why = NULL;

        /* An errored probe's result is probe.Unknown: kubelet prints "unknown". */
        if (a->outcome == HANDLER_ERRORED)
                sbx_event(s, c, "Warning", "Unhealthy", "%s probe errored and resulted in unknown state: %s",
                          probe_kind_name(p->kind), a->message ? a->message : "");
        else if (a->outcome == HANDLER_FAILED)
                sbx_event(s, c, "Warning", "Unhealthy", "%s probe failed: %s", probe_kind_name(p->kind),
                          a->message ? a->message : "");
        else if (a->outcome == HANDLER_WARNING)
                sbx_event(s, c, "Warning", "ProbeWarning", "%s probe warning: %s", probe_kind_name(p->kind),
                          a->message ? a->message : "");
        if (!a->changed || !cs)
                return;
        switch (p->kind) {
        case PROBE_READINESS:
                cs->ready = a->result;
                s->status_dirty = true;
                break;
        case PROBE_STARTUP:
                if (a->result) {
                        cs->started = true;
                        s->status_dirty = true;
                        probe_stop(s, p);
                        probe_begin(s, c, PROBE_LIVENESS);
                        probe_begin(s, c, PROBE_READINESS);
                        sidecar_started(s, c);
                        break;
                }
                /* fallthrough */
        case PROBE_LIVENESS:
                if (a->result)
                        break;
                why = xasprintf("Container %s failed %s probe, will be restarted", c->name,
                                p->kind == PROBE_STARTUP ? "startup" : "liveness");
                health_kill_for_restart(s, c, p->spec->termination_grace_period_seconds, why);
                break;
        default:
                break;
        }
}

/* The container runs for Kubernetes: state running, flags, probes. */
static void health_running(struct sbx *s, struct ctr *c)
{
        struct ctr_health *h = c->health;
        struct ctr_status *cs = pod_status_find(s->status, c->name);

        ctr_state_set_running(&cs->state, h->started_real);
        /* No probe: started and ready while running (init containers: ready once done). */
        cs->started = !h->has[PROBE_STARTUP];
        cs->ready = (!c->is_init || c->is_sidecar) && !h->has[PROBE_READINESS];
        s->status_dirty = true;
        if (cs->started)
                sidecar_started(s, c);
        if (h->has[PROBE_STARTUP]) {
                probe_begin(s, c, PROBE_STARTUP);
        } else {
                probe_begin(s, c, PROBE_LIVENESS);
                probe_begin(s, c, PROBE_READINESS);
        }
}

static void on_post_start(struct sbx *s, struct hook *k, enum hook_outcome outcome, const char *message,
                          void *data)
{
        struct ctr *c = data;

        if (outcome == HOOK_OK) {
                if (c->sm.state == CS_RUNNING)
                        health_running(s, c);
                return;
        }
        sbx_event(s, c, "Warning", "FailedPostStartHook", "%s", message ? message : "");
        health_kill_for_restart(s, c, -1, "FailedPostStartHook");
}

void health_ctr_init(struct sbx *s, struct ctr *c)
{
        struct ctr_health *h = xcalloc(1, sizeof(*h));

        for (int k = 0; k < PROBE__MAX; k++) {
                const struct pod_probe *ps = probe_spec(c->spec, k);

                h->has[k] = ps != NULL && (!c->is_init || c->is_sidecar);
                probe_init(&h->probes[k], k, c->spec, ps, on_probe, c);
        }
        hook_init(&h->post_start);
        hook_init(&h->pre_stop);
        h->kill_w.fd = -1;
        c->health = h;
}

void health_ctr_free(struct sbx *s, struct ctr *c)
{
        health_stopped(s, c);
        free(c->health->restart_why);
        free(c->health);
        c->health = NULL;
}

/* kubelet: a container is not running (status, probes) until its postStart
 * hook completed; a failed hook kills it (restart per restartPolicy). */
void health_started(struct sbx *s, struct ctr *c)
{
        struct ctr_health *h = c->health;
        struct pfs_error err = {0};

        h->started_real = pfs_now_realtime_ns();
        if (!c->spec->post_start) {
                health_running(s, c);
                return;
        }
        if (hook_start(s, &h->post_start, c->spec, c->spec->post_start, s->pod_ref, c->pid, c->pidfd_w.fd, c->cgroup_fd, 0,
                       on_post_start, c, &err) < 0) {
                sbx_event(s, c, "Warning", "FailedPostStartHook", "%s", err.msg);
                health_kill_for_restart(s, c, -1, "FailedPostStartHook");
        }
}

void health_stopped(struct sbx *s, struct ctr *c)
{
        struct ctr_health *h = c->health;

        if (!h)
                return;
        for (int k = 0; k < PROBE__MAX; k++)
                probe_stop(s, &h->probes[k]);
        hook_cancel(s, &h->post_start);
        hook_cancel(s, &h->pre_stop);
        sbx_timer_disarm(s, &h->kill_w);
}

static void on_pre_stop(struct sbx *s, struct hook *k, enum hook_outcome outcome, const char *message,
                        void *data)
{
        struct ctr *c = data;

        if (outcome == HOOK_FAILED)
                sbx_event(s, c, "Warning", "FailedPreStopHook", "%s", message ? message : "");
        if (c->sm.state == CS_RESTARTING) {
                restart_term(s, c, true);
                return;
        }
        if (c->sm.state != CS_KILLING)
                return;
        /* kubelet leaves SIGTERM at least 2 s after preStop. */
        term_grace_at_least(s, 2 * NSEC);
        ctr_signal(c, term_grace_is_over(s) ? SIGKILL : ctr_stop_signal(c));
}

bool health_pre_stop(struct sbx *s, struct ctr *c)
{
        struct ctr_health *h = c->health;
        struct pfs_error err = {0};
        int64_t left = term_grace_deadline(s) - pfs_now_monotonic_ns();

        for (int k = 0; k < PROBE__MAX; k++)
                if (k != PROBE_READINESS)
                        probe_stop(s, &h->probes[k]);
        hook_cancel(s, &h->post_start);
        /* A restart kill's preStop already running: SIGTERM follows it. */
        if (hook_busy(&h->pre_stop))
                return true;
        if (!c->spec->pre_stop || left <= 0 || c->sm.state == CS_RESTARTING || term_skips_pre_stop(s))
                return false;
        if (hook_start(s, &h->pre_stop, c->spec, c->spec->pre_stop, s->pod_ref, c->pid, c->pidfd_w.fd,
                       c->cgroup_fd, left, on_pre_stop, c, &err) < 0) {
                sbx_event(s, c, "Warning", "FailedPreStopHook", "%s", err.msg);
                return false;
        }
        return true;
}

/* The pod's grace ran out. A preStop still running is abandoned and SIGTERM
 * gets kubelet's one-off 2 s (the kill timer then sends SIGKILL): true. A
 * container with that timer already pending keeps it: true. Else false: the
 * caller sends SIGKILL now. */
bool health_grace_over(struct sbx *s, struct ctr *c)
{
        struct ctr_health *h = c->health;
        struct pfs_error err = {0};

        if (!h)
                return false;
        if (!hook_busy(&h->pre_stop))
                return h->kill_w.fd >= 0;
        hook_cancel(s, &h->pre_stop);
        pfs_log(LOG_INFO, "container '%s': preStop hook not completed in grace period", c->name);
        ctr_signal(c, ctr_stop_signal(c));
        if (sbx_timer_arm(s, &h->kill_w, pfs_now_monotonic_ns() + 2 * NSEC, on_kill_grace, c, &err) < 0) {
                pfs_log(LOG_ERR, "container '%s': %s", c->name, err.msg);
                return false;
        }
        return true;
}
