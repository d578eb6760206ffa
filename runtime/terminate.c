/* Pod termination as one state machine (term_table.c): a deletion request
 * (new meta), SIGTERM to the sandbox, activeDeadlineSeconds or an eviction
 * stops every container (preStop, SIGTERM, SIGKILL at the end of the grace
 * period); when no container will run again, the pause process goes, then
 * the end of the pod: final status, `finished`, leave the loop. Everything
 * that changes the pod's termination is an event of that table. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "pfs/trace.h"
#include "sandbox.h"

#define NSEC 1000000000LL
#define DEADLINE_MSG "Pod was active on the node longer than the specified deadline"

static void term_dispatch(struct sbx *s, enum pod_term_event ev, int64_t arg)
{
        fsm_dispatch(&s->term.sm, ev, arg);
}

/* ---- queries ---- */

bool term_begun(const struct sbx *s)
{
        return s->term.sm.state != PT_STARTING && s->term.sm.state != PT_RUNNING;
}

bool term_is_done(const struct sbx *s)
{
        return s->term.sm.state == PT_DONE;
}

bool term_grace_is_over(const struct sbx *s)
{
        return s->term.sm.state == PT_KILLING;
}

bool term_skips_pre_stop(const struct sbx *s)
{
        return s->term.cause == PT_CAUSE_EVICTED;
}

int64_t term_grace_deadline(const struct sbx *s)
{
        return s->term.grace_deadline;
}

/* ---- actions ---- */

/* SIGKILL, except that a preStop cut by the grace leaves SIGTERM its 2 s. */
static void kill_everything(struct sbx *s)
{
        sidecar_stop_all(s);
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (s->ctrs[i].sm.state == CS_KILLING && !health_grace_over(s, &s->ctrs[i]))
                        ctr_signal(&s->ctrs[i], SIGKILL);
}

static void on_grace_timer(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return;
        sbx_timer_disarm(s, w);
        pfs_log(LOG_INFO, "grace period over: killing what is left");
        term_dispatch(s, TE_GRACE_OVER, 0);
}

/* Arms the grace timer at grace_deadline; a deadline already past is over now. */
static enum pod_term_event grace_arm(struct sbx *s)
{
        struct pfs_error err = {0};

        if (s->term.grace_deadline <= pfs_now_monotonic_ns()) {
                sbx_timer_disarm(s, &s->grace_w);
                return TE_GRACE_OVER;
        }
        if (sbx_timer_arm(s, &s->grace_w, s->term.grace_deadline, on_grace_timer, NULL, &err) < 0) {
                pfs_log(LOG_ERR, "%s: killing now", err.msg);
                kill_everything(s);
        }
        return TE_NONE;
}

/* A deletion outranks a stop (the pod finishes instead of waiting for a new
 * sandbox); a failure outranks both (its phase stays Failed). */
static void note_cause(struct sbx *s, enum pod_term_event ev)
{
        if (ev == TE_DELETE && s->term.cause <= PT_CAUSE_STOPPED)
                s->term.cause = PT_CAUSE_DELETED;
        else if (ev == TE_STOP && s->term.cause == PT_CAUSE_NONE)
                s->term.cause = PT_CAUSE_STOPPED;
        s->status_dirty = true;
}

static const char *const cause_names[] = {
        [PT_CAUSE_NONE] = "ended", [PT_CAUSE_STOPPED] = "sandbox stopped", [PT_CAUSE_DELETED] = "deleted",
        [PT_CAUSE_FAILED] = "deadline exceeded", [PT_CAUSE_EVICTED] = "evicted",
};

static int act_begin(struct sbx *s, enum pod_term_event ev, int64_t grace_seconds, int *ret_follow)
{
        note_cause(s, ev);
        s->term.grace_deadline = pfs_now_monotonic_ns() + grace_seconds * NSEC;
        pfs_log(LOG_INFO, "terminating the pod (%s, grace %llds)", cause_names[s->term.cause],
                (long long)grace_seconds);
        /* kubelet: running sidecars stop after the app containers, in reverse order */
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (!sidecar_defer_stop(&s->ctrs[i]))
                        sup_dispatch(s, &s->ctrs[i], EV_DELETE);
        sidecar_stop_next(s);
        *ret_follow = grace_arm(s);
        term_check_done(s);
        return FSM_KEEP;
}

/* kubelet: the pod fails at once; its containers stop with the given grace. */
static int act_fail(struct sbx *s, enum pod_term_cause cause, const char *reason, char *message,
                    int64_t grace_seconds, int *ret_follow)
{
        free(s->status->reason);
        free(s->status->message);
        s->status->reason = xstrdup(reason);
        s->status->message = message;
        s->final_phase = "Failed";
        s->term.cause = cause;
        return act_begin(s, TE_NONE, grace_seconds, ret_follow);
}

static int act_fail_deadline(struct sbx *s, int *ret_follow)
{
        sbx_event(s, NULL, "Normal", "DeadlineExceeded", DEADLINE_MSG); /* kubelet's activeDeadlineHandler */
        return act_fail(s, PT_CAUSE_FAILED, "DeadlineExceeded", xstrdup(DEADLINE_MSG),
                        s->spec->termination_grace_period_seconds, ret_follow);
}

static int act_fail_evict(struct sbx *s, int64_t grace_seconds, int *ret_follow)
{
        char *msg = s->term.evict_message ? s->term.evict_message : xstrdup("");

        s->term.evict_message = NULL;
        return act_fail(s, PT_CAUSE_EVICTED, "Evicted", msg, grace_seconds, ret_follow);
}

/* A later request may only shorten the deadline. */
static int act_shorten(struct sbx *s, enum pod_term_event ev, int64_t grace_seconds, int *ret_follow)
{
        int64_t deadline = pfs_now_monotonic_ns() + grace_seconds * NSEC;

        note_cause(s, ev);
        if (deadline < s->term.grace_deadline) {
                pfs_log(LOG_INFO, "grace period shortened to %llds", (long long)grace_seconds);
                s->term.grace_deadline = deadline;
                *ret_follow = grace_arm(s);
        }
        return FSM_KEEP;
}

static int act_extend(struct sbx *s, int64_t left_ns, int *ret_follow)
{
        int64_t now = pfs_now_monotonic_ns();

        if (s->term.grace_deadline - now < left_ns) {
                s->term.grace_deadline = now + left_ns;
                *ret_follow = grace_arm(s);
        }
        return FSM_KEEP;
}

/* kubelet's phase for a pod that will run nothing again. */
static const char *terminal_phase(struct sbx *s)
{
        for (size_t i = 0; i < s->status->n_containers; i++) {
                const struct ctr_status *cs = &s->status->containers[i];

                if (cs->state.kind != CTR_STATE_TERMINATED || cs->state.exit_code != 0)
                        return "Failed";
        }
        return "Succeeded";
}

/* A stopped sandbox leaves the pod to the next one; any other end is final. */
static int act_finish(struct sbx *s)
{
        struct pfs_error err = {0};
        bool finished = s->term.cause != PT_CAUSE_STOPPED;

        pfs_trace(s->uid, "sandbox:pod-stopped");
        sbx_timer_disarm(s, &s->grace_w);
        sbx_timer_disarm(s, &s->deadline_w);
        storage_stop(s);
        if (s->term.cause == PT_CAUSE_DELETED)
                s->final_phase = terminal_phase(s);
        /* the final phase is known now: tell it before cleaning up (no
         * container runs; what kill_all may still find is no container's) */
        s->sandbox_dirty = true;
        sbx_publish(s);
        if (s->cg) {
                if (pod_cgroup_kill_all(s->cg, &err) < 0)
                        pfs_log(LOG_WARNING, "cgroup: %s", err.msg);
                pod_cgroup_remove(s->cg);
        }
        pfs_trace(s->uid, "sandbox:cgroup-removed");
        sbx_net_teardown(s);
        if (finished) {
                /* durable, but for a deleted pod: lost in a crash, the
                 * daemon finds its durable deletion request and no sandbox,
                 * and its cleanup removes the pod all the same */
                enum pfs_sync sync = s->term.cause == PT_CAUSE_DELETED ? PFS_SYNC_NONE : PFS_SYNC_DURABLE;

                pod_volumes_release(s->spec, s->volumes_dir);
                /* admissions count it no more (their one look per pod: admit.c) */
                if (unlinkat(s->pod_fd, PFS_ADMITTED_FILE, 0) < 0 && errno != ENOENT)
                        pfs_log(LOG_WARNING, "remove %s: %m", PFS_ADMITTED_FILE);
                if (pfs_write_file_sync_at(s->pod_fd, PFS_FINISHED_FILE, "", 0, 0644, sync, &err) < 0)
                        pfs_log(LOG_ERR, "%s", err.msg);
                pfs_trace(s->uid, "sandbox:finished");
        }
        pfs_log(LOG_INFO, "pod %s: %s, phase %s", s->pod_ref,
                finished ? "finished" : "stopped (to be restarted)", s->status->phase);
        return PT_DONE;
}

/* No container will run again: make sure no process of the pod is left. */
static int act_reap(struct sbx *s)
{
        if (s->ns.pause_pid <= 0)
                return act_finish(s);
        if (kill(s->ns.pause_pid, SIGKILL) < 0 && errno != ESRCH)
                pfs_log(LOG_WARNING, "kill pause: %m");
        return PT_FINISHING; /* sup_reap reports when it is gone */
}

static int term_act(void *obj, int action, int ev, int64_t arg, int *ret_follow)
{
        struct sbx *s = obj;

        switch ((enum pod_term_action)action) {
        case TA_BEGIN:
                return act_begin(s, ev, arg < 0 ? 0 : arg, ret_follow);
        case TA_FAIL_DEADLINE:
                return act_fail_deadline(s, ret_follow);
        case TA_FAIL_EVICT:
                return act_fail_evict(s, arg, ret_follow);
        case TA_SHORTEN:
                return act_shorten(s, ev, arg < 0 ? 0 : arg, ret_follow);
        case TA_NOTE:
                note_cause(s, ev);
                return FSM_KEEP;
        case TA_EXTEND:
                return act_extend(s, arg, ret_follow);
        case TA_KILL_ALL:
                kill_everything(s);
                return FSM_KEEP;
        case TA_REAP:
                return act_reap(s);
        case TA_FINISH:
                return act_finish(s);
        default:
                return FSM_KEEP; /* TA_RUN: the state is all */
        }
}

/* ---- event sources ---- */

void term_init(struct sbx *s)
{
        fsm_init(&s->term.sm, &term_fsm, "", PT_STARTING, term_act, s);
}

void term_free(struct sbx *s)
{
        free(s->term.evict_message);
        s->term.evict_message = NULL;
}

void term_started(struct sbx *s)
{
        s->term.sm.who = s->pod_ref;
        term_dispatch(s, TE_STARTED, 0);
}

void term_begin(struct sbx *s, int64_t grace_seconds, bool deletion)
{
        term_dispatch(s, deletion ? TE_DELETE : TE_STOP, grace_seconds);
}

void term_meta_changed(struct sbx *s)
{
        struct pod_meta *m = NULL;
        struct pfs_error err = {0};

        if (pod_meta_read_at(s->pod_fd, &m, &err) < 0) {
                pfs_log(LOG_WARNING, "re-read meta: %s", err.msg);
                return;
        }
        pfs_trace(s->uid, "sandbox:meta-read");
        pod_meta_free(s->meta);
        s->meta = m;
        if (m->deletion_ns != 0)
                term_begin(s, m->deletion_grace_seconds, true);
}

void term_check_done(struct sbx *s)
{
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (!sup_state_is_final(s->ctrs[i].sm.state))
                        return;
        term_dispatch(s, TE_CTRS_FINAL, 0);
}

void term_apps_done(struct sbx *s)
{
        term_dispatch(s, TE_APPS_DONE, s->spec->termination_grace_period_seconds);
}

void term_pause_gone(struct sbx *s)
{
        term_dispatch(s, TE_PAUSE_GONE, 0);
}

void term_grace_at_least(struct sbx *s, int64_t left_ns)
{
        term_dispatch(s, TE_GRACE_EXTEND, left_ns);
}

void term_evict(struct sbx *s, const char *message)
{
        free(s->term.evict_message);
        s->term.evict_message = xstrdup(message);
        /* kubelet kills with a grace override of 0: no preStop, its minimum 2 s for SIGTERM */
        term_dispatch(s, TE_EVICT, 2);
}

static void on_deadline(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return;
        sbx_timer_disarm(s, w);
        term_dispatch(s, TE_DEADLINE, 0);
}

void term_deadline_arm(struct sbx *s)
{
        struct pfs_error err = {0};
        int64_t left;

        if (term_begun(s) || s->spec->active_deadline_seconds < 0)
                return;
        left = s->spec->active_deadline_seconds * NSEC - (pfs_now_realtime_ns() - s->status->start_time);
        if (left < 0)
                left = 0;
        if (sbx_timer_arm(s, &s->deadline_w, pfs_now_monotonic_ns() + left, on_deadline, NULL, &err) < 0)
                pfs_log(LOG_ERR, "activeDeadlineSeconds: %s", err.msg);
}
