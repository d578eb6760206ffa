/* The supervisor side of the pod sandbox: one struct sbx per process, one
 * struct ctr per container, the event loop's watches, and the entry points of
 * sandbox.c, loop.c, supervise.c, logs.c, terminate.c and publish.c. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "pfs/error.h"
#include "pfs/sandbox_config.h"
#include "pfs/spec.h"
#include "pfs/status.h"
#include "pfs/store.h"
#include "pfs/util.h"
#include "machines.h"
#include "runtime.h"
#include "cni.h"

struct sbx;
struct sbx_watch;
typedef void (*sbx_watch_fn)(struct sbx *s, struct sbx_watch *w, uint32_t events);

/* Anything the epoll loop waits on; epoll_event.data.ptr points here. */
struct sbx_watch {
        int fd;                 /* -1 when not registered */
        sbx_watch_fn fn;
        void *data;
};

struct ctr;
struct ctr_health;

/* The pod's termination (terminate.c; its table in term_table.c). */
struct pod_term {
        struct fsm sm;          /* sm.state is an enum pod_term_state */
        enum pod_term_cause cause;
        int64_t grace_deadline; /* monotonic ns; 0 = none */
        char *evict_message;    /* TE_EVICT's message, until its action takes it */
};

struct log_stream {
        struct sbx_watch w;     /* read end of the pipe (non-blocking) */
        struct sbx *s;
        struct ctr *c;
        const char *name;       /* "stdout" | "stderr" */
        struct pfs_buf partial; /* bytes of a line not yet ended by '\n' */
};

/* The current run's CRI log file and its rotations (log_file.c). */
struct log_file {
        int fd;                 /* <run>.log, -1 when none */
        int dir_fd;             /* logs/<ns>_<pod>_<uid>/<container>/, -1 when none */
        int run;                /* the restartCount the file is named after */
        uint64_t size;          /* bytes written to the current file */
        struct pfs_buf pending; /* whole records not written yet (flushed before the loop waits) */
        char **rotated;         /* this run's rotated files, oldest first */
        size_t n_rotated;
};

struct ctr {
        struct sbx *sbx;
        const struct pod_container *spec;
        char *name;
        bool is_init;           /* spec.initContainers: run in order, each to completion */
        bool is_sidecar;        /* an init container with restartPolicy Always (sidecar.c) */
        bool sidecar_up;        /* a sidecar that was started once: the next init container may start */
        struct fsm sm;          /* its supervision: sm.state is an enum ctr_sup_state (sup_table.c) */
        pid_t pid;              /* 0 when no process */
        struct sbx_watch pidfd_w;
        struct sbx_watch timer_w;
        struct log_stream out, err;
        struct log_file log;    /* current run's CRI log file */
        int64_t started_mono;   /* monotonic start of the current run */
        struct pod_backoff backoff;
        int64_t pull_delay_ns;  /* image pull back-off */
        bool has_run;           /* a previous instance existed (restartCount grows on the next start) */
        int wait_status;        /* raw status of the last exit */
        char *msg;              /* message of the last start/pull failure */
        char *pull_ref;         /* the image volume's image being pulled or missing (NULL: the container's image) */
        size_t pull_vol;        /* with pull_ref: that volume's index in spec.volumes */
        char **vol_roots;       /* image volumes resolved for the start in preparation (by spec.volumes index) */
        pid_t pull_pid;         /* podfs-image pull running for this container, or 0 (pull.c) */
        int pull_fds[2];        /* its stdout and stderr (non-blocking), -1 when none */
        int64_t pull_start_mono; /* when Pulling was announced */
        char *pull_rootfs, *pull_id; /* what the last pull gave, until the start takes it */
        char *pull_authfile;    /* the pull's auth file (imagePullSecrets), removed when it ends */
        const char *msg_reason; /* waiting reason of EV_IMAGE_REFUSED, EV_CONFIG_FAILED (ErrImageNeverPull, CreateContainerError...) */
        struct ctr_health *health; /* probes and hooks (health.c) */
        int cgroup_fd;          /* the current run's cgroup (execs of probes and hooks join it), or -1 */
        /* update.c: killed for an update (an image change, a RestartContainer
         * resize): restarted at once, whatever the restart policy; a resize
         * allocated but not yet actuated in its cgroup */
        bool update_restart, resize_pending;
        struct ctr_stdin *in;   /* stdin: true: its open stdin (stdin_fwd.c), else NULL */
        int stop_signal;        /* the run's: lifecycle.stopSignal, else the image's StopSignal, else SIGTERM */
};

struct sbx {
        struct pfs_sandbox_config cfg; /* the daemon's flags */
        char *state_dir;
        char uid[37];
        int state_fd;           /* STATE */
        int pod_fd;             /* STATE/pods/<uid> */
        int lock_fd;
        int epfd;
        struct pod_meta *meta;
        struct pod_spec *spec;
        struct pod_status *status;
        struct ctr *ctrs;
        size_t n_ctrs;
        struct pod_ns ns;
        struct pod_cgroup *cg;
        char *log_dir;          /* "logs/<ns>_<name>_<uid>" relative to state_fd */
        char *volumes_dir;      /* absolute STATE/pods/<uid>/volumes */
        char *pod_ref;          /* "web_default(UID)" as kubelet prints pods */
        char starttime[32];     /* our /proc/self/stat field 22 */
        struct sbx_watch sig_w, grace_w, pause_w, deadline_w;
        struct storage *storage;        /* storage.c: periodic usage check, only with a limit */
        struct pod_term term;   /* terminate.c */
        bool sandbox_dirty;     /* the sandbox file needs rewriting */
        bool sandbox_pid_new;   /* ... with a container's pid it does not have yet */
        bool status_dirty;
        struct pfs_buf published; /* the status.json last written (rewritten only when it differs) */
        const char *final_phase; /* overrides the computed phase in the last status */
        /* objvol.c: configMap, secret, downwardAPI, projected, claim volumes */
        struct objvol_state *objvols;   /* one per spec volume */
        bool volumes_ready;     /* every volume set up: containers may start */
        char *node_name;        /* spec.nodeName (read before the pod's UTS namespace) */
        struct cni_host host_ns; /* the host's mount and net namespaces (net.c), -1 with hostNetwork */
        bool net_failed;        /* startup failed in CNI ADD: the message is the plugin's */
        bool net_added;         /* this sandbox ran ADD (network.json is its own): its DEL is ours */
        struct sbx_net_job {    /* net.c: the ADD running beside the first containers' setup */
                pid_t pid;      /* > 0 while it runs */
                int fd;         /* its report */
                struct pfs_error *failed; /* its error once it failed, else NULL */
                /* containers' events while it runs (an image present, a config
                 * error): out once it succeeded, dropped when it failed, as
                 * the kubelet makes no container before its sandbox is up */
                struct pfs_buf held;
        } net_job;
        bool msg_final;         /* startup failed with a message that says it all (userns allocation) */
        bool rejected;          /* admit.c: the node refused the pod; it is finished */
        bool gated;             /* schedulingGates: nothing is set up, nothing starts */
        struct pod_spec *desired; /* update.c: the latest spec.yaml (the desired resources) */
        struct sbx_watch resize_w; /* update.c: the retry of a Deferred resize or an actuation error */
        bool resize_report;        /* update.c: a resize was allocated: ResizeCompleted once actuated */
        int64_t resize_gen;        /* update.c: the generation of the last allocated resize */
};

/* sandbox.c */
int sandbox_run(const char *state_dir, const char *uid, const struct pfs_sandbox_config *cfg);
int sandbox_cleanup(const char *state_dir, const char *uid, const struct pfs_sandbox_config *cfg);
bool sandbox_uid_valid(const char *uid);

/* net.c: the pod network (CNI) of a pod without hostNetwork */
int sbx_net_open(struct sbx *s, struct pfs_error *err);     /* before any namespace is made */
/* In the pod's new netns: ADD, in a process of its own. While it runs the
 * pod's cgroup, volumes and first containers are made; each one's exec
 * waits in sbx_net_finish. */
int sbx_net_setup(struct sbx *s, struct pfs_error *err);
/* Once the volumes are there (/etc/hosts): a container's env reads the pod's
 * IP, so the ADD must be over before any container is made: waits for it. */
int sbx_net_await_early(struct sbx *s, struct pfs_error *err);
bool sbx_net_pending(const struct sbx *s);
bool sbx_net_failed(const struct sbx *s);      /* the ADD run beside the containers failed: nothing starts */
/* Waits for the ADD, if it still runs, and applies its result (status, /etc/hosts).
 * Once it failed it fails again, with the same message. */
int sbx_net_finish(struct sbx *s, struct pfs_error *err);
/* A container's event while the ADD runs: written once it succeeded. */
void sbx_net_hold_event(struct sbx *s, const char *type, const char *reason, const char *object, const char *msg);
void sbx_net_teardown(struct sbx *s);                       /* DEL; logs a failure */

/* loop.c */
int sbx_loop_init(struct sbx *s, struct pfs_error *err);
int sbx_watch_add(struct sbx *s, struct sbx_watch *w, int fd, uint32_t events, sbx_watch_fn fn,
                  void *data, struct pfs_error *err);
void sbx_watch_remove(struct sbx *s, struct sbx_watch *w); /* closes the fd */
/* Arm w as a one-shot timer at a monotonic deadline (creating the timerfd). */
int sbx_timer_arm(struct sbx *s, struct sbx_watch *w, int64_t deadline_mono, sbx_watch_fn fn,
                  void *data, struct pfs_error *err);
void sbx_timer_disarm(struct sbx *s, struct sbx_watch *w);
int sbx_loop_run(struct sbx *s);

/* supervise.c */
void sup_init(struct sbx *s, struct ctr *c);
void sup_dispatch(struct sbx *s, struct ctr *c, enum ctr_sup_event ev);
/* env.c: the container's env values for this start (envres.h; err holds the
 * CreateContainerConfigError message), and the re-check of containers waiting
 * for a ConfigMap or Secret when the daemon wakes the sandbox (SIGHUP). */
struct pod_env_list;
int sbx_env_resolve(struct sbx *s, struct ctr *c, struct pod_env_list *ret, struct pfs_error *err);
void sup_env_recheck(struct sbx *s);
/* Before the pod's namespaces: the node's name for fieldRef spec.nodeName. */
void sbx_env_node_capture(void);
void sup_advance(struct sbx *s);      /* start what is due: the next init container, or the app containers */
void sup_reap(struct sbx *s);
void sup_reap_watch(struct sbx *s, struct sbx_watch *w, uint32_t events);
void sup_timer_watch(struct sbx *s, struct sbx_watch *w, uint32_t events);
bool sup_state_is_final(int st);
void ctr_signal(struct ctr *c, int sig); /* by pidfd, else kill; no-op without a process */
/* What stops c gracefully (its stop_signal; SIGTERM before any run). */
int ctr_stop_signal(const struct ctr *c);

/* sidecar.c: native sidecars (KEP-753), restartable init containers */
void sidecar_started(struct sbx *s, struct ctr *c);  /* started (startup probe passed): the next one may start */
void sidecar_ctr_final(struct sbx *s);               /* a container became final: end or stop sidecars */
bool sidecar_defer_stop(const struct ctr *c);        /* a running sidecar stops after the app containers */
void sidecar_stop_next(struct sbx *s);               /* termination: stop the last running sidecar when due */
void sidecar_stop_all(struct sbx *s);                /* the grace is over: stop every sidecar now */

/* admit.c: the kubelet's admission; false = rejected (status Failed and
 * `finished` written: the sandbox leaves). */
/* Admitted, or rejected (its status says so, finished). *ret_lock (-1
 * when none) is closed by the caller once the first status is published. */
bool sbx_admit(struct sbx *s, int *ret_lock);
/* admit_sec.c: the kubelet's sysctl and AppArmor admission handlers; true
 * (reason and message set) when the pod is refused. */
bool sbx_sysctls_rejected(const struct pod_spec *spec, const char *allowed, char **ret_reason, char **ret_msg);
bool sbx_apparmor_rejected(const struct pod_spec *spec, char **ret_reason, char **ret_msg);

/* The kubelet's check of a resize (canResizePod): 0 when the desired
 * requests fit, else the PodResizePending reason (Infeasible: above the
 * node's allocatable; Deferred: the other pods leave too little) and message. */
int sbx_resize_fits(struct sbx *s, const struct pod_spec *desired, const char **ret_reason, char **ret_msg);

/* update.c: updates in place of a running pod (the daemon rewrote spec.yaml
 * with only what pod_spec_update_kind allows changed, and woke the sandbox):
 * labels, annotations, activeDeadlineSeconds, images (the container restarts
 * with the new one), resizes (KEP-1287: cgroups updated, or the container
 * restarted by its resizePolicy; allocatedResources/resources and the
 * PodResizePending/PodResizeInProgress conditions in the status). */
void update_wake(struct sbx *s);                        /* SIGHUP */
/* status.observedGeneration (and the conditions') from meta's generation. */
void update_generation(struct sbx *s);
void update_init(struct sbx *s);                        /* the new status: each container's resources */
void update_resume(struct sbx *s, struct pod_status *prev); /* a resumed pod: its allocation continues */
void update_ctr_started(struct sbx *s, struct ctr *c);  /* a run began with c->spec's resources */
void update_free(struct sbx *s);

/* resume.c */
void sup_resume(struct sbx *s, struct pod_status *prev);

/* logs.c */
int logs_open_run(struct sbx *s, struct ctr *c, int *ret_out_w, int *ret_err_w, struct pfs_error *err);
void logs_drain_close(struct sbx *s, struct ctr *c);
/* tty: the run's output is the terminal's master (read as "stdout"), which the log takes. */
void logs_use_tty(struct sbx *s, struct ctr *c, int master);
/* stdin_fwd.c: the open stdin of a container with stdin: true. stdin_prepare
 * before ctr_spawn fills st (a pipe, or the terminal's master into *master);
 * stdin_started after it: the log takes the master, the socket the daemon
 * connects to is made; stdin_stop when the run ends (or its start failed). */
int stdin_prepare(struct sbx *s, struct ctr *c, struct ctr_stdio *st, int *master, struct pfs_error *err);
void stdin_started(struct sbx *s, struct ctr *c, int master);
void stdin_stop(struct sbx *s, struct ctr *c);
void stdin_free(struct sbx *s, struct ctr *c);
/* terminated.message: the terminationMessagePath file (4096 bytes at most), or
 * with FallbackToLogsOnError after a failure the log's tail. NULL when none. */
char *logs_termination_message(struct sbx *s, struct ctr *c, int32_t restart_count, int32_t exit_code);

/* log_file.c: the run's log file, rotated past cfg.log_max_size */
int log_file_open(struct sbx *s, struct ctr *c, int run, struct pfs_error *err);
void log_file_append(struct sbx *s, struct log_file *lf, const char *rec, size_t len); /* one whole record */
void log_file_flush(struct log_file *lf);
void log_file_close(struct ctr *c);

/* terminate.c: every request goes through the termination table. */
void term_init(struct sbx *s);
void term_free(struct sbx *s);
void term_started(struct sbx *s);       /* startup complete: containers may be judged */
/* SIGTERM to the sandbox (deletion false) or a deletion request. */
void term_begin(struct sbx *s, int64_t grace_seconds, bool deletion);
void term_meta_changed(struct sbx *s);
void term_check_done(struct sbx *s);    /* the pod ends once no container will run again */
void term_apps_done(struct sbx *s);     /* the app containers are done, sidecars still run: stop them */
void term_pause_gone(struct sbx *s);    /* the pause process was reaped */
void term_grace_at_least(struct sbx *s, int64_t left_ns); /* extend the grace so left_ns remain */
void term_deadline_arm(struct sbx *s);  /* activeDeadlineSeconds, counted from status.startTime */
/* kubelet's eviction: the pod fails with reason Evicted and this message,
 * its containers stop with 2 s and no preStop hook. No-op when terminating. */
void term_evict(struct sbx *s, const char *message);
bool term_begun(const struct sbx *s);   /* stopping or ending: nothing starts any more */
bool term_is_done(const struct sbx *s); /* leave the loop */
bool term_grace_is_over(const struct sbx *s);
bool term_skips_pre_stop(const struct sbx *s);
int64_t term_grace_deadline(const struct sbx *s);

/* storage.c: ephemeral-storage limits and emptyDir sizeLimits, checked every
 * 10 s (kubelet's housekeeping) only in a pod that sets one, by a child
 * process that measures and reports; over a limit the pod is evicted with
 * kubelet's reason and message. storage_stop ends the checks (termination),
 * storage_free releases what storage_check_arm made. */
void storage_check_arm(struct sbx *s);
void storage_stop(struct sbx *s);
void storage_free(struct sbx *s);

/* health.c: probes and lifecycle hooks of one container */
void health_ctr_init(struct sbx *s, struct ctr *c);
void health_ctr_free(struct sbx *s, struct ctr *c);
void health_started(struct sbx *s, struct ctr *c);     /* sets ready/started, starts probes, postStart */
void health_stopped(struct sbx *s, struct ctr *c);     /* the run ended: probes and hooks stop */
/* Termination of a running container: true when a preStop hook runs (it sends
 * SIGTERM when done), false when the caller signals now. */
bool health_pre_stop(struct sbx *s, struct ctr *c);
/* The pod's grace ran out: true when c still gets 2 s for SIGTERM (its preStop was cut). */
bool health_grace_over(struct sbx *s, struct ctr *c);
/* A failed liveness/startup probe or postStart: kill c for a restart with
 * grace_s (< 0: the pod's), Killing event with why. */
void health_kill_for_restart(struct sbx *s, struct ctr *c, int64_t grace_s, const char *why);
/* SA_RESTART_KILL: the kill that health_kill_for_restart requested. */
void health_restart_kill(struct sbx *s, struct ctr *c);

/* objvol.c: volumes of objects, of the pod's own fields, and of claims.
 * objvol_setup in the sandbox's mount namespace before the first container
 * (sets volumes_ready); objvol_wake on SIGHUP: labels/annotations changed in
 * place are taken, the volumes refreshed, and the containers start once
 * every volume could be set up. */
int objvol_setup(struct sbx *s, struct pfs_error *err);
void objvol_wake(struct sbx *s);
void objvol_free(struct sbx *s);
/* pull.c: the kubelet's image manager for registry images */
enum pull_decision {
        PULL_PRESENT,           /* in the store and the policy allows it: ret_rootfs, ret_id */
        PULL_NEEDED,            /* pull_start */
        PULL_NEVER,             /* ErrImageNeverPull (err: the kubelet's message) */
        PULL_INVALID,           /* InvalidImageName (err: the kubelet's message) */
        PULL_FAILED,            /* cannot pull at all (err) */
};
/* The image c's next pull is for (the image volume pull_ref's, else c's own)
 * and its pull policy; an image volume's pull events are the pod's (NULL). */
const char *pull_image(const struct sbx *s, const struct ctr *c);
const char *pull_policy(const struct sbx *s, const struct ctr *c);
struct ctr *pull_event_object(struct ctr *c);
/* "Back-off pulling image "IMAGE"" (the BackOff event's words); with prev,
 * the last pull's error, what the waiting ImagePullBackOff shows. */
char *pull_backoff_message(const char *image, const char *prev);
enum pull_decision pull_decide(struct sbx *s, struct ctr *c, char **ret_rootfs, char **ret_id,
                               struct pfs_error *err);
/* Pulling event, podfs-image pull started; its end dispatches EV_PULLED or EV_PULL_FAILED. */
int pull_start(struct sbx *s, struct ctr *c, struct pfs_error *err);
bool pull_reaped(struct sbx *s, pid_t pid, int wstatus);
/* Before the pod's namespaces: pulls run in the node's network namespace, as the kubelet's. */
void pull_host_net_save(void);
/* start_image.c: the images of c's start, its image volumes' (c->vol_roots)
 * then its own: 0 all there, 1 a pull began (EV_PULLED goes on), -1 failed
 * (*ret_ev; c->msg, c->pull_ref names an image volume's image). */
int start_images_get(struct sbx *s, struct ctr *c, char **ret_rootfs, char **ret_id, enum ctr_sup_event *ret_ev);
void start_images_drop(struct sbx *s, struct ctr *c);
/* pull_auth.c: the auth file of c's pull from the pod's imagePullSecrets (NULL when none);
 * FailedToRetrieveImagePullSecret for those missing. */
int pull_auth_write(struct sbx *s, struct ctr *c, char **ret_path, struct pfs_error *err);
void pull_cancel(struct sbx *s, struct ctr *c);

/* publish.c */
void sbx_publish(struct sbx *s);        /* status.json (+ sandbox file when dirty) */
int sbx_write_sandbox_file(struct sbx *s, struct pfs_error *err);
/* An event as it is (OBJECT "pod/NAME" or "spec.containers{NAME}"). */
void sbx_event_raw(struct sbx *s, const char *type, const char *reason, const char *object, const char *msg);
void sbx_event(struct sbx *s, struct ctr *c, const char *type, const char *reason,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The image manager's events for c's image or image volume (pull.c's
 * pull_event_object: a volume's name the pod); like a container's, held
 * while the pod's ADD runs (the kubelet pulls in a sandbox that is up). */
void sbx_image_event(struct sbx *s, struct ctr *c, const char *type, const char *reason,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
char *sbx_go_duration(int64_t ns);      /* "10s", "1m20s", "5m0s" */
