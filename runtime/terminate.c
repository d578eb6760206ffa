/* Pod termination: a deletion request (new meta) or SIGTERM to the sandbox
 * stops every container (SIGTERM, SIGKILL at the end of the grace period),
 * and the end of the pod: final status, `finished`, leave the loop. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include "sandbox.h"

#define NSEC 1000000000LL

static void signal_ctr(struct ctr *c, int sig)
{
        if (c->pid <= 0)
                return;
        if (syscall(SYS_pidfd_send_signal, c->pidfd_w.fd, sig, NULL, 0) < 0 && kill(c->pid, sig) < 0 &&
            errno != ESRCH)
                pfs_log(LOG_WARNING, "container '%s': signal %d: %m", c->name, sig);
}

/* SIGKILL, except that a preStop cut by the grace leaves SIGTERM its 2 s. */
static void kill_everything(struct sbx *s)
{
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (s->ctrs[i].state == CS_KILLING && !health_grace_over(s, &s->ctrs[i]))
                        signal_ctr(&s->ctrs[i], SIGKILL);
}

static void on_grace_expired(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return;
        sbx_timer_disarm(s, w);
        s->grace_expired = true;
        pfs_log(LOG_INFO, "grace period over: killing what is left");
        kill_everything(s);
}

static void grace_arm(struct sbx *s)
{
        struct pfs_error err = {0};

        if (s->grace_deadline <= pfs_now_monotonic_ns()) {
                sbx_timer_disarm(s, &s->grace_w);
                s->grace_expired = true;
                kill_everything(s);
                return;
        }
        if (sbx_timer_arm(s, &s->grace_w, s->grace_deadline, on_grace_expired, NULL, &err) < 0) {
                pfs_log(LOG_ERR, "%s: killing now", err.msg);
                kill_everything(s);
        }
}

void term_grace_at_least(struct sbx *s, int64_t left_ns)
{
        int64_t now = pfs_now_monotonic_ns();

        if (!s->terminating || s->grace_expired || s->grace_deadline - now >= left_ns)
                return;
        s->grace_deadline = now + left_ns;
        grace_arm(s);
}

void term_begin(struct sbx *s, int64_t grace_seconds, bool deletion)
{
        int64_t deadline;

        if (grace_seconds < 0)
                grace_seconds = 0;
        deadline = pfs_now_monotonic_ns() + grace_seconds * NSEC;
        if (deletion)
                s->deletion = true;
        if (s->terminating) {
                /* A later request may only shorten the deadline. */
                if (deadline < s->grace_deadline && !s->grace_expired) {
                        pfs_log(LOG_INFO, "grace period shortened to %llds", (long long)grace_seconds);
                        s->grace_deadline = deadline;
                        grace_arm(s);
                }
                s->status_dirty = true;
                return;
        }
        s->terminating = true;
        s->grace_deadline = deadline;
        pfs_log(LOG_INFO, "terminating the pod (%s, grace %llds)", deletion ? "deleted" : "sandbox stopped",
                (long long)grace_seconds);
        for (size_t i = 0; i < s->n_ctrs; i++)
                sup_dispatch(s, &s->ctrs[i], EV_DELETE);
        if (!s->done)
                grace_arm(s);
        term_check_done(s);
}

void term_meta_changed(struct sbx *s)
{
        struct pod_meta *m = NULL;
        struct pfs_error err = {0};

        if (pod_meta_read_at(s->pod_fd, &m, &err) < 0) {
                pfs_log(LOG_WARNING, "re-read meta: %s", err.msg);
                return;
        }
        pod_meta_free(s->meta);
        s->meta = m;
        if (m->deletion_ns != 0)
                term_begin(s, m->deletion_grace_seconds, true);
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

static void finish(struct sbx *s)
{
        struct pfs_error err = {0};
        bool finished = s->deletion || s->failed || !s->terminating;

        if (s->cg) {
                if (pod_cgroup_kill_all(s->cg, &err) < 0)
                        pfs_log(LOG_WARNING, "cgroup: %s", err.msg);
                pod_cgroup_remove(s->cg);
        }
        sbx_timer_disarm(s, &s->grace_w);
        sbx_timer_disarm(s, &s->deadline_w);
        storage_stop(s);
        if (s->deletion && !s->failed)
                s->final_phase = terminal_phase(s);
        s->sandbox_dirty = true;
        sbx_publish(s);
        if (finished) {
                pod_volumes_release(s->spec, s->volumes_dir);
                if (pfs_write_file_atomic_at(s->pod_fd, PFS_FINISHED_FILE, "", 0, 0644, &err) < 0)
                        pfs_log(LOG_ERR, "%s", err.msg);
        }
        pfs_log(LOG_INFO, "pod %s: %s, phase %s", s->pod_ref,
                finished ? "finished" : "stopped (to be restarted)", s->status->phase);
        s->done = true;
}

void term_check_done(struct sbx *s)
{
        if (s->done || !s->started)
                return;
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (!sup_state_is_final(s->ctrs[i].state))
                        return;
        /* No container will run again: make sure no process of the pod is left. */
        if (s->ns.pause_pid > 0) {
                if (!s->finishing) {
                        s->finishing = true;
                        if (kill(s->ns.pause_pid, SIGKILL) < 0 && errno != ESRCH)
                                pfs_log(LOG_WARNING, "kill pause: %m");
                }
                return; /* sup_reap calls back when it is gone */
        }
        finish(s);
}

void term_fail(struct sbx *s, const char *reason, const char *message, int64_t grace_seconds)
{
        if (s->terminating)
                return;
        /* kubelet: the pod fails at once; its containers stop with the given grace. */
        s->failed = true;
        free(s->status->reason);
        free(s->status->message);
        s->status->reason = xstrdup(reason);
        s->status->message = xstrdup(message);
        s->final_phase = "Failed";
        term_begin(s, grace_seconds, false);
}

#define DEADLINE_MSG "Pod was active on the node longer than the specified deadline"

static void on_deadline(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return;
        sbx_timer_disarm(s, w);
        if (s->terminating)
                return;
        sbx_event(s, NULL, "Normal", "DeadlineExceeded", DEADLINE_MSG); /* kubelet's activeDeadlineHandler */
        term_fail(s, "DeadlineExceeded", DEADLINE_MSG, s->spec->termination_grace_period_seconds);
}

void term_deadline_arm(struct sbx *s)
{
        struct pfs_error err = {0};
        int64_t left;

        if (s->done || s->terminating || s->spec->active_deadline_seconds < 0)
                return;
        left = s->spec->active_deadline_seconds * NSEC - (pfs_now_realtime_ns() - s->status->start_time);
        if (left < 0)
                left = 0;
        if (sbx_timer_arm(s, &s->deadline_w, pfs_now_monotonic_ns() + left, on_deadline, NULL, &err) < 0)
                pfs_log(LOG_ERR, "activeDeadlineSeconds: %s", err.msg);
}
