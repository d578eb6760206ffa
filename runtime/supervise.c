/* Container supervision as one explicit state machine (states x events in
 * one table): starts, exits, restartPolicy with kubelet's back-off, image
 * pull errors, and the container statuses and events kubelet would show. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <sys/epoll.h>
#include "pfs/backoff.h"
#include "pfs/trace.h"
#include "handler.h"
#include "syscalls.h"
#include "pfs/envres.h"
#include "objvol.h"
#include "sandbox.h"
#include "security.h"

static enum ctr_sup_state act_spawn(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_started(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_start_failed(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_pull_failed(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_pull_backoff(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_retry(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_exited(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_kill(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_killed(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_abandon(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_skip(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_restart_kill(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_config_failed(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_pull_cancel(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);
static enum ctr_sup_state act_image_refused(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);

/* An action returns the next state (KEEP: the table's target) and may queue
 * a follow-up event in *ret_ev. The table is in sup_table.c. */
typedef enum ctr_sup_state (*sup_action_fn)(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev);

#define KEEP FSM_KEEP
static const sup_action_fn sup_actions[SA__MAX] = {
        [SA_SPAWN] = act_spawn, [SA_STARTED] = act_started, [SA_START_FAILED] = act_start_failed,
        [SA_PULL_FAILED] = act_pull_failed, [SA_PULL_BACKOFF] = act_pull_backoff, [SA_RETRY] = act_retry,
        [SA_EXITED] = act_exited, [SA_KILL] = act_kill, [SA_KILLED] = act_killed, [SA_ABANDON] = act_abandon,
        [SA_SKIP] = act_skip, [SA_RESTART_KILL] = act_restart_kill, [SA_CONFIG_FAILED] = act_config_failed,
        [SA_PULL_CANCEL] = act_pull_cancel, [SA_IMAGE_REFUSED] = act_image_refused,
};

static int sup_act(void *obj, int action, int ev, int64_t arg, int *ret_follow)
{
        struct ctr *c = obj;
        enum ctr_sup_event follow = EV_NONE;
        int next = (int)sup_actions[action](c->sbx, c, &follow);

        *ret_follow = follow;
        return next;
}

bool sup_state_is_final(int st)
{
        return st == CS_EXITED || st == CS_STOPPED;
}

void sup_init(struct sbx *s, struct ctr *c)
{
        c->sbx = s;
        fsm_init(&c->sm, &sup_fsm, c->name, CS_CREATING, sup_act, c);
}

void sup_dispatch(struct sbx *s, struct ctr *c, enum ctr_sup_event ev)
{
        /* An event ignored, or queued behind the container's current transition, changes nothing yet. */
        if (fsm_dispatch(&c->sm, ev, 0) == 0)
                return;
        s->status_dirty = true;
        if (sup_state_is_final(c->sm.state)) {
                if (c->is_init)
                        sup_advance(s);
                sidecar_ctr_final(s);
                term_check_done(s);
        }
}

void ctr_signal(struct ctr *c, int sig)
{
        if (c->pid <= 0)
                return;
        if (pfs_signal_child(c->pidfd_w.fd, c->pid, sig) < 0 && errno != ESRCH)
                pfs_log(LOG_WARNING, "container '%s': signal %d: %m", c->name, sig);
}

/* KEP-4960 with ContainerStopSignals: the spec's, else the image's
 * StopSignal, else SIGTERM (containerd's stopContainer), fixed at the start. */
int ctr_stop_signal(const struct ctr *c)
{
        return c->stop_signal > 0 ? c->stop_signal : SIGTERM;
}

/* The run's stop signal, as containerd fixes it at the container's creation. */
static void stop_signal_fix(struct ctr *c, struct ctr_status *cs, const char *rootfs)
{
        free(cs->stop_signal);
        cs->stop_signal = c->spec->stop_signal ? xstrdup(c->spec->stop_signal) : NULL;
        c->stop_signal = pod_signal_number(c->spec->stop_signal);
        if (c->stop_signal <= 0)
                c->stop_signal = image_stop_signal(rootfs);
        if (c->stop_signal <= 0)
                c->stop_signal = SIGTERM;
}

/* ---- container status helpers ---- */

static struct ctr_status *cstat(struct sbx *s, struct ctr *c)
{
        return pod_status_find(s->status, c->name);
}

static char *container_id_new(void)
{
        char hex[65];

        pfs_random_id(hex);
        return xasprintf("podfs://%s", hex);
}

static void set_msg(struct ctr *c, const char *msg)
{
        free(c->msg);
        c->msg = xstrdup(msg);
}

/* ---- starting ---- */

/* subPathExpr of each of c's mounts, expanded from env: the kubelet fails
 * the container's config (CreateContainerConfigError) when it cannot. */
static int sub_paths_check(const struct ctr *c, const struct pod_env_list *env, struct pfs_error *err)
{
        for (size_t i = 0; i < c->spec->n_mounts; i++) {
                char *sp = NULL;

                if (!c->spec->mounts[i].sub_path_expr)
                        continue;
                if (objvol_expand_sub_path(c->spec, env, c->spec->mounts[i].sub_path_expr, &sp, err) < 0)
                        return -err->code;
                free(sp);
        }
        return 0;
}

/* A container made while the pod's ADD still runs: it execs once the
 * network is up (then it is Created), or is killed when ADD failed. */
struct net_gate {
        struct sbx *s;
        struct ctr *c;
};

static int net_gate_wait(void *arg, struct pfs_error *err)
{
        struct net_gate *g = arg;
        int r = sbx_net_finish(g->s, err);

        if (r >= 0)
                sbx_event(g->s, g->c, "Normal", "Created", "Created container: %s", g->c->name);
        return r;
}

/* A start that failed before its gate while ADD ran: as the kubelet, which
 * creates containers only in a sandbox whose network is up, the container
 * was Created once ADD succeeded (then Failed); when ADD failed, the sandbox
 * did and no container event is written. */
static void net_then_created(struct sbx *s, struct ctr *c)
{
        struct pfs_error err = {0};

        if (sbx_net_finish(s, &err) >= 0)
                sbx_event(s, c, "Normal", "Created", "Created container: %s", c->name);
}

static int spawn_process(struct sbx *s, struct ctr *c, const char *rootfs, const struct pod_env_list *env,
                         char **image_roots,
                         struct pfs_error *err)
{
        _cleanup_close_ int out_w = -1, err_w = -1, cg_fd = -1;
        struct pfs_error cgerr = {0};
        struct ctr_launch l = {0};
        struct ctr_stdio stdio = {0};
        struct net_gate gate = { s, c };
        int master = -1;
        pid_t pid = 0;
        int pidfd = -1, r;

        r = logs_open_run(s, c, &out_w, &err_w, err);
        if (r < 0)
                return r;
        if (s->cg) {
                cg_fd = pod_cgroup_child_fd(s->cg, c->name, &cgerr);
                if (cg_fd < 0 && cgerr.code)
                        pfs_log(LOG_WARNING, "container '%s': cgroup: %s", c->name, cgerr.msg);
        }
        r = pod_container_privileged(c->spec) ? pod_cgroup_child_devices_all(s->cg, c->name, err)
                                              : pod_cgroup_child_devices(s->cg, c->name, err);
        if (r >= 0)
                r = pod_cgroup_child_pids(s->cg, c->name, err);
        if (r >= 0)
                r = pod_cgroup_child_limits_spec(s->cg, c->spec, err);
        if (r >= 0 && s->cg && s->spec->pod_resources)
                r = pod_cgroup_child_twins(s->cg, c->name, err);
        if (r >= 0)
                r = stdin_prepare(s, c, &stdio, &master, err);
        if (r < 0)
                return r;
        l.stdio = &stdio;
        l.pod = s->spec;
        l.ctr = c->spec;
        l.ns = &s->ns;
        l.rootfs = rootfs;
        l.volumes_dir = s->volumes_dir;
        l.stdout_fd = out_w;
        l.stderr_fd = err_w;
        l.cgroup_fd = cg_fd;
        l.env = env;
        l.image_roots = image_roots;
        l.state_dir = s->state_dir;
        if (sbx_net_pending(s)) {
                l.created = net_gate_wait;
                l.created_arg = &gate;
        }
        pfs_trace(s->uid, "sandbox:container-cgroup");
        r = ctr_spawn(&l, &pid, &pidfd, err);
        if (r < 0) {
                stdin_stop(s, c);
                return r;
        }
        stdin_started(s, c, master);
        pfs_trace(s->uid, "sandbox:container-exec");
        c->pid = pid;
        if (c->cgroup_fd >= 0)
                close(c->cgroup_fd);
        c->cgroup_fd = steal_fd(&cg_fd);
        r = sbx_watch_add(s, &c->pidfd_w, pidfd, EPOLLIN, sup_reap_watch, c, err);
        if (r < 0)
                close(pidfd); /* SIGCHLD still reports the exit */
        return 0;
}

/* The start of a run once its images are there (start_image.c). */
static enum ctr_sup_state spawn_with(struct sbx *s, struct ctr *c, const char *rootfs, const char *image_id,
                                     enum ctr_sup_event *ret_ev)
{
        struct ctr_status *cs = cstat(s, c);
        struct pod_env_list env = {0};
        struct pfs_error err = {0};
        int r;

        pfs_trace(s->uid, "sandbox:image");
        c->pull_delay_ns = 0;
        free(cs->image_id);
        cs->image_id = xstrdup(image_id);
        if (sbx_env_resolve(s, c, &env, &err) < 0 || sub_paths_check(c, &env, &err) < 0 ||
            ctr_sec_verify_non_root(s->spec, s->uid, c->spec, rootfs, &err) < 0) {
                pod_env_list_free(&env);
                set_msg(c, err.msg);
                c->msg_reason = "CreateContainerConfigError";
                *ret_ev = EV_CONFIG_FAILED;
                return KEEP;
        }
        if (ctr_sec_create_check(s->spec, c->spec, s->state_dir, &err) < 0) {
                /* the kubelet's CreateContainerError: CRI CreateContainer failed, nothing was created */
                pod_env_list_free(&env);
                free(c->msg);
                c->msg = xasprintf("failed to create containerd container: %s", err.msg);
                c->msg_reason = "CreateContainerError";
                *ret_ev = EV_CONFIG_FAILED;
                return KEEP;
        }
        if (!c->spec->n_command && !c->spec->n_args && !image_has_command(rootfs)) {
                /* containerd's spec generation refuses it: CreateContainerError, nothing runs */
                char id[65];

                pfs_random_id(id);
                pod_env_list_free(&env);
                free(c->msg);
                c->msg = xasprintf("failed to generate container \"%s\" spec: failed to generate spec: "
                                   "no command specified", id);
                c->msg_reason = "CreateContainerError";
                *ret_ev = EV_CONFIG_FAILED;
                return KEEP;
        }
        if (c->has_run)
                cs->restart_count++;
        c->has_run = true;
        free(cs->container_id);
        cs->container_id = container_id_new();
        stop_signal_fix(c, cs, rootfs);
        c->started_mono = pfs_now_monotonic_ns();
        if (!sbx_net_pending(s))        /* else once the network is up (net_gate_wait) */
                sbx_event(s, c, "Normal", "Created", "Created container: %s", c->name);
        r = spawn_process(s, c, rootfs, &env, c->vol_roots, &err);
        pod_env_list_free(&env);
        if (r < 0 && sbx_net_pending(s))
                net_then_created(s, c);
        if (r < 0 && sbx_net_failed(s))
                return KEEP;    /* the sandbox failed to start: it ends without running anything */
        if (r < 0) {
                set_msg(c, err.msg);
                *ret_ev = EV_START_FAILED;
                return KEEP;
        }
        *ret_ev = EV_START_OK;
        return KEEP;
}

static enum ctr_sup_state act_spawn(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        _cleanup_free_ char *rootfs = NULL, *image_id = NULL;
        enum ctr_sup_state next;
        int r;

        if (term_begun(s) || sbx_net_failed(s))
                return KEEP;
        free(c->pull_ref);
        c->pull_ref = NULL;
        r = start_images_get(s, c, &rootfs, &image_id, ret_ev);
        if (r > 0)
                return CS_PULLING; /* the image volumes resolved so far wait in c->vol_roots */
        next = KEEP;
        if (r == 0)
                next = spawn_with(s, c, rootfs, image_id, ret_ev);
        start_images_drop(s, c);
        return next;
}

static enum ctr_sup_state act_started(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        struct ctr_status *cs = cstat(s, c);

        cs->pid = c->pid;
        s->sandbox_dirty = true;
        s->sandbox_pid_new = true;
        update_ctr_started(s, c);
        sbx_event(s, c, "Normal", "Started", "Started container %s", c->name);
        /* running for Kubernetes now, or once its postStart hook is done */
        health_started(s, c);
        return KEEP;
}

/* After a run ended (exit or start failure): restart now, back off, or stay terminated. */
static enum ctr_sup_state decide_restart(struct sbx *s, struct ctr *c, int32_t code,
                                         enum ctr_sup_event *ret_ev)
{
        struct ctr_status *cs = cstat(s, c);
        int64_t now = pfs_now_monotonic_ns(), delay;
        _cleanup_free_ char *dur = NULL, *msg = NULL;
        struct pfs_error err = {0};
        bool restart;

        switch (c->is_sidecar ? POD_RESTART_ALWAYS : s->spec->restart_policy) {
        case POD_RESTART_ALWAYS:
                /* An init container that succeeded is done, whatever the policy; a sidecar never is. */
                restart = !c->is_init || c->is_sidecar || code != 0;
                break;
        case POD_RESTART_ON_FAILURE:
                restart = code != 0;
                break;
        default:
                restart = false;
        }
        /* killed for an update (update.c): started again at once, whatever the policy */
        if (c->update_restart)
                restart = true;
        if (!restart || term_begun(s))
                return CS_EXITED;
        /* kubelet: state waiting, lastState = the run that just ended. */
        ctr_state_copy(&cs->last_state, &cs->state);
        delay = c->update_restart ? 0 : pod_backoff_next(&c->backoff, now, now - c->started_mono);
        if (delay <= 0) {
                ctr_state_set_waiting(&cs->state, "ContainerCreating", NULL);
                *ret_ev = EV_START;
                return CS_CREATING;
        }
        dur = sbx_go_duration(delay);
        msg = xasprintf("back-off %s restarting failed container=%s pod=%s", dur, c->name, s->pod_ref);
        ctr_state_set_waiting(&cs->state, "CrashLoopBackOff", msg);
        sbx_event(s, c, "Warning", "BackOff", "Back-off restarting failed container %s in pod %s",
                  c->name, s->pod_ref);
        if (sbx_timer_arm(s, &c->timer_w, now + delay, sup_timer_watch, c, &err) < 0) {
                pfs_log(LOG_ERR, "container '%s': %s; restarting now", c->name, err.msg);
                *ret_ev = EV_START;
                return CS_CREATING;
        }
        return CS_CRASH_BACKOFF;
}

static void run_ended(struct sbx *s, struct ctr *c)
{
        struct ctr_status *cs = cstat(s, c);
        struct pfs_error err = {0};

        /* What the main process left behind (shared pid namespace) goes with it, as with runc. */
        health_stopped(s, c);
        if (s->cg && pod_cgroup_kill_child(s->cg, c->name, &err) < 0)
                pfs_log(LOG_WARNING, "container '%s': %s", c->name, err.msg);
        logs_drain_close(s, c);
        sbx_watch_remove(s, &c->pidfd_w);
        if (c->cgroup_fd >= 0)
                close(steal_fd(&c->cgroup_fd));
        c->pid = 0;
        cs->pid = 0;
        cs->ready = false;
        cs->started = false;
        s->sandbox_dirty = true;
}

static enum ctr_sup_state act_start_failed(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        struct ctr_status *cs = cstat(s, c);

        run_ended(s, c);
        /* containerd's shape for a container whose process could not start. */
        ctr_state_set_terminated(&cs->state, 128, 0, "StartError", c->msg, 0, pfs_now_realtime_ns(),
                                 cs->container_id);
        sbx_event(s, c, "Warning", "Failed", "Error: %s", c->msg);
        return decide_restart(s, c, 128, ret_ev);
}

static void exit_code_of(int wstatus, int32_t *ret_code)
{
        if (WIFEXITED(wstatus))
                *ret_code = WEXITSTATUS(wstatus);
        else if (WIFSIGNALED(wstatus))
                *ret_code = 128 + WTERMSIG(wstatus);
        else
                *ret_code = 255;
}

static void record_exit(struct sbx *s, struct ctr *c, int32_t *ret_code)
{
        struct ctr_status *cs = cstat(s, c);
        int64_t started = cs->state.kind == CTR_STATE_RUNNING ? cs->state.started_at : 0;
        _cleanup_free_ char *msg = NULL;
        const char *reason = NULL;
        int32_t code;

        exit_code_of(c->wait_status, &code);
        /* Read before run_ended: the OOM counter belongs to this run's cgroup. */
        if (code == 128 + SIGKILL && s->cg && pod_cgroup_child_oom_kills(s->cg, c->name) > 0)
                reason = "OOMKilled";
        run_ended(s, c);
        msg = logs_termination_message(s, c, cs->restart_count, code);
        ctr_state_set_terminated(&cs->state, code, 0, reason, msg, started, pfs_now_realtime_ns(),
                                 cs->container_id);
        *ret_code = code;
}

static enum ctr_sup_state act_exited(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        int32_t code;

        record_exit(s, c, &code);
        if (c->is_init && !c->is_sidecar && code == 0)
                cstat(s, c)->ready = true;
        return decide_restart(s, c, code, ret_ev);
}

/* App containers of a pod whose init container failed for good: they never
 * run and keep waiting with PodInitializing, as kubelet shows them. */
static enum ctr_sup_state act_skip(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        return KEEP;
}

static enum ctr_sup_state act_killed(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        int32_t code;

        record_exit(s, c, &code);
        return KEEP;
}

/* The image manager's "Error: REASON"; for an image volume's image it names
 * the pod, and the container's start fails with it too
 * (toKubeContainerImageVolumes: FailedToCreateContainer, "Error: " and the
 * error's text, which is REASON). */
static void image_error_events(struct sbx *s, struct ctr *c, const char *reason)
{
        sbx_image_event(s, c, "Warning", "Failed", "Error: %s", reason);
        if (c->pull_ref)
                sbx_event(s, c, "Warning", "Failed", "Error: %s", reason);
}

static enum ctr_sup_state act_pull_failed(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        struct ctr_status *cs = cstat(s, c);
        int64_t now = pfs_now_monotonic_ns();
        struct pfs_error err = {0};

        start_images_drop(s, c); /* a pull of an image volume's ended the start in preparation */
        ctr_state_set_waiting(&cs->state, "ErrImagePull", c->msg);
        sbx_image_event(s, c, "Warning", "Failed", "Failed to pull image \"%s\": %s",
                        pull_image(s, c), c->msg);
        image_error_events(s, c, "ErrImagePull");
        pfs_backoff_step(&c->pull_delay_ns, POD_BACKOFF_INITIAL_NS, POD_BACKOFF_MAX_NS);
        /* ErrImagePull shows until kubelet's next sync turns it into ImagePullBackOff. */
        if (sbx_timer_arm(s, &c->timer_w, now + 1000000000LL, sup_timer_watch, c, &err) < 0)
                pfs_log(LOG_ERR, "container '%s': %s", c->name, err.msg);
        return KEEP;
}

/* c->msg is still the failed pull's error (the ErrImagePull message). */
static enum ctr_sup_state act_pull_backoff(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        struct ctr_status *cs = cstat(s, c);
        _cleanup_free_ char *msg = pull_backoff_message(pull_image(s, c), c->msg);
        _cleanup_free_ char *ev = pull_backoff_message(pull_image(s, c), NULL);
        int64_t now = pfs_now_monotonic_ns();
        struct pfs_error err = {0};

        ctr_state_set_waiting(&cs->state, "ImagePullBackOff", msg);
        sbx_image_event(s, c, "Normal", "BackOff", "%s", ev);
        image_error_events(s, c, "ImagePullBackOff");
        if (sbx_timer_arm(s, &c->timer_w, now + c->pull_delay_ns - 1000000000LL,
                          sup_timer_watch, c, &err) < 0)
                pfs_log(LOG_ERR, "container '%s': %s", c->name, err.msg);
        return KEEP;
}

/* The kubelet: generateContainerConfig failed (a missing ConfigMap, Secret or
 * key: CreateContainerConfigError), or the runtime's CreateContainer (a
 * Localhost seccomp profile it cannot load: CreateContainerError); the pod
 * worker syncs again after its back-off (10 s), or at once when the daemon
 * wakes the sandbox (sup_env_recheck). */
#define CONFIG_RETRY_NS (10 * 1000000000LL)

static enum ctr_sup_state act_config_failed(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        struct ctr_status *cs = cstat(s, c);
        struct pfs_error err = {0};

        ctr_state_set_waiting(&cs->state, c->msg_reason, c->msg);
        sbx_event(s, c, "Warning", "Failed", "Error: %s", c->msg);
        if (sbx_timer_arm(s, &c->timer_w, pfs_now_monotonic_ns() + CONFIG_RETRY_NS, sup_timer_watch, c, &err) < 0)
                pfs_log(LOG_ERR, "container '%s': %s", c->name, err.msg);
        return KEEP;
}

/* ErrImageNeverPull, InvalidImageName: no back-off in the kubelet, the pod
 * worker's next sync tries again (a local image may have appeared). */
static enum ctr_sup_state act_image_refused(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        struct ctr_status *cs = cstat(s, c);
        struct pfs_error err = {0};
        bool never = !strcmp(c->msg_reason, "ErrImageNeverPull");

        ctr_state_set_waiting(&cs->state, c->msg_reason, c->msg);
        sbx_image_event(s, c, "Warning", never ? "ErrImageNeverPull" : "InspectFailed", "%s", c->msg);
        image_error_events(s, c, c->msg_reason);
        if (sbx_timer_arm(s, &c->timer_w, pfs_now_monotonic_ns() + CONFIG_RETRY_NS, sup_timer_watch, c, &err) < 0)
                pfs_log(LOG_ERR, "container '%s': %s", c->name, err.msg);
        return KEEP;
}

static enum ctr_sup_state act_pull_cancel(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        pull_cancel(s, c);
        return act_abandon(s, c, ret_ev);
}

static enum ctr_sup_state act_retry(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        sbx_timer_disarm(s, &c->timer_w);
        *ret_ev = EV_START;
        return KEEP;
}

static enum ctr_sup_state act_kill(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        bool over = term_grace_deadline(s) <= pfs_now_monotonic_ns();

        sbx_event(s, c, "Normal", "Killing", "Stopping container %s", c->name);
        if (!over && health_pre_stop(s, c))
                return KEEP; /* the stop signal follows the hook */
        ctr_signal(c, over ? SIGKILL : ctr_stop_signal(c));
        return KEEP;
}

static enum ctr_sup_state act_restart_kill(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        health_restart_kill(s, c);
        return KEEP;
}

/* A container without a process when the pod terminates: its final state. */
static enum ctr_sup_state act_abandon(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        struct ctr_status *cs = cstat(s, c);

        sbx_timer_disarm(s, &c->timer_w);
        if (cs->state.kind == CTR_STATE_WAITING && cs->state.reason &&
            strcmp(cs->state.reason, "PodInitializing") == 0) {
                /* never got its turn: stays as kubelet shows it */
        } else if (cs->last_state.kind == CTR_STATE_TERMINATED) {
                ctr_state_copy(&cs->state, &cs->last_state);
                ctr_state_clear(&cs->last_state);
        } else if (cs->state.kind != CTR_STATE_TERMINATED) {
                ctr_state_set_terminated(&cs->state, 137, 0, "ContainerStatusUnknown",
                                         "The container could not be located when the pod was terminated",
                                         0, pfs_now_realtime_ns(), NULL);
        }
        cs->ready = false;
        cs->started = false;
        return KEEP;
}

/* ---- event sources ---- */

void sup_timer_watch(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct ctr *c = w->data;
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return; /* stale: re-armed since */
        sbx_timer_disarm(s, w);
        sup_dispatch(s, c, EV_TIMER);
}

void sup_reap_watch(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        sup_reap(s);
}

void sup_reap(struct sbx *s)
{
        int wstatus;
        pid_t pid;

        while ((pid = waitpid(-1, &wstatus, WNOHANG | __WALL)) > 0) {
                bool known = false;

                if (pid == s->ns.pause_pid) {
                        s->ns.pause_pid = 0;
                        sbx_watch_remove(s, &s->pause_w);
                        pfs_log(LOG_INFO, "pause process exited");
                        term_pause_gone(s);
                        continue;
                }
                for (size_t i = 0; i < s->n_ctrs; i++) {
                        struct ctr *c = &s->ctrs[i];

                        if (c->pid != pid)
                                continue;
                        known = true;
                        pfs_trace(s->uid, "sandbox:container-reaped");
                        c->wait_status = wstatus;
                        sup_dispatch(s, c, EV_EXIT);
                        break;
                }
                if (!known && !pull_reaped(s, pid, wstatus) && !handler_reaped(s, pid, wstatus))
                        pfs_log(LOG_DEBUG, "reaped unknown process %d", (int)pid);
        }
}

static bool init_succeeded(struct sbx *s, struct ctr *c)
{
        struct ctr_status *cs = cstat(s, c);

        return c->sm.state == CS_EXITED && cs->state.kind == CTR_STATE_TERMINATED && cs->state.exit_code == 0;
}

void sup_advance(struct sbx *s)
{
        /* a volume waits for its object: containers stay ContainerCreating */
        if (term_begun(s) || !s->volumes_ready)
                return;
        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct ctr *c = &s->ctrs[i];

                if (!c->is_init)
                        break;
                if (init_succeeded(s, c) || c->sidecar_up)
                        continue;
                if (c->is_sidecar && c->sm.state == CS_CREATING) {
                        /* started at once without a startup probe or postStart hook */
                        sup_dispatch(s, c, EV_START);
                        if (c->sidecar_up)
                                continue;
                        term_check_done(s);
                        return;
                }
                if (c->sm.state == CS_EXITED) {
                        /* failed and not to be restarted: nothing after it runs */
                        for (size_t j = i + 1; j < s->n_ctrs; j++)
                                sup_dispatch(s, &s->ctrs[j], EV_SKIP);
                } else if (c->sm.state == CS_CREATING) {
                        sup_dispatch(s, c, EV_START);
                }
                term_check_done(s);
                return;
        }
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (!s->ctrs[i].is_init && s->ctrs[i].sm.state == CS_CREATING)
                        sup_dispatch(s, &s->ctrs[i], EV_START);
        term_check_done(s);
}
