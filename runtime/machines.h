/* The runtime's two state machines as data (fsm.h): a container's supervision
 * (actions in supervise.c) and the pod's termination (actions in
 * terminate.c). Pure tables: tests/unit/test-machines.c drives them. */
#pragma once
#include "fsm.h"

/* ---- one container (supervise.c, health.c) ---- */
enum ctr_sup_state {
        CS_CREATING,            /* waiting ContainerCreating: a start is due */
        CS_RUNNING,
        CS_RESTARTING,          /* running, killed for a restart (failed probe or postStart) */
        CS_CRASH_BACKOFF,       /* waiting CrashLoopBackOff, timer armed */
        CS_PULLING,             /* waiting ContainerCreating, podfs-image pull running (pull.c) */
        CS_PULL_ERROR,          /* waiting ErrImagePull, timer armed */
        CS_PULL_BACKOFF,        /* waiting ImagePullBackOff, timer armed */
        CS_CONFIG_ERROR,        /* waiting CreateContainerConfigError (env sources) or CreateContainerError, timer armed */
        CS_EXITED,              /* terminated, restartPolicy says no more runs */
        CS_KILLING,             /* running, told to stop (pod terminating) */
        CS_STOPPED,             /* terminated by pod termination */
        CS__MAX,
};

enum ctr_sup_event {
        EV_NONE,
        EV_START,               /* try to start (resolve image, spawn) */
        EV_START_OK,
        EV_START_FAILED,        /* exec or setup failure: StartError */
        EV_PULL_FAILED,         /* image missing, or the pull failed */
        EV_PULLED,              /* the pull succeeded: start with its image */
        EV_IMAGE_REFUSED,       /* ErrImageNeverPull, InvalidImageName: tried again on the sync period */
        EV_EXIT,                /* main process reaped */
        EV_TIMER,               /* back-off timer fired */
        EV_DELETE,              /* pod termination began */
        EV_SKIP,                /* an init container failed for good: never start */
        EV_UNHEALTHY,           /* liveness/startup probe or postStart failed: kill for a restart */
        EV_CONFIG_FAILED,       /* the env's ConfigMap/Secret (or key) is missing, or the creation failed (c->msg_reason) */
        EV_WAKE,                /* SIGHUP: objects of the namespace may have changed */
        EV__MAX,
};

enum ctr_sup_action {
        SA_NONE,
        SA_SPAWN,               /* resolve the image and env, spawn: START_OK | START_FAILED | PULL_FAILED | CONFIG_FAILED */
        SA_STARTED,             /* Started, probes and postStart */
        SA_START_FAILED,        /* StartError, then restartPolicy: CRASH_BACKOFF | CREATING | EXITED */
        SA_PULL_FAILED,         /* ErrImagePull, pull back-off grows */
        SA_PULL_BACKOFF,        /* ImagePullBackOff until the back-off ends */
        SA_RETRY,               /* the back-off ended: START */
        SA_EXITED,              /* record the exit, then restartPolicy: CRASH_BACKOFF | CREATING | EXITED */
        SA_KILL,                /* preStop, SIGTERM (SIGKILL once the grace is over) */
        SA_KILLED,              /* record the exit of a killed container */
        SA_ABANDON,             /* no process: its final state as kubelet shows it */
        SA_SKIP,                /* never runs: stays PodInitializing */
        SA_RESTART_KILL,        /* Killing, preStop, SIGTERM, SIGKILL after the probe's grace */
        SA_CONFIG_FAILED,       /* c->msg_reason (CreateContainerConfigError, CreateContainerError), tried again on the sync back-off or a wake */
        SA_PULL_CANCEL,         /* pod terminating while pulling: stop the pull, as ABANDON */
        SA_IMAGE_REFUSED,       /* waiting with c->msg_reason, tried again on the sync back-off or a wake */
        SA__MAX,
};

extern const struct fsm_def sup_fsm;

/* ---- the pod's termination (terminate.c) ---- */
enum pod_term_state {
        PT_STARTING,            /* sandbox setting up: containers are not judged yet */
        PT_RUNNING,             /* no termination */
        PT_STOPPING,            /* termination began: no more starts, containers stop within the grace */
        PT_KILLING,             /* the grace is over: SIGKILL to what is left */
        PT_FINISHING,           /* no container will run again: waiting for the pause process */
        PT_DONE,                /* final status, `finished` when due: leave the loop */
        PT__MAX,
};

enum pod_term_event {
        TE_NONE,
        TE_STARTED,             /* startup complete */
        TE_STOP,                /* SIGTERM to the sandbox (arg: grace seconds) */
        TE_DELETE,              /* deletion requested in meta (arg: grace seconds) */
        TE_DEADLINE,            /* activeDeadlineSeconds passed */
        TE_EVICT,               /* over a storage limit (arg: grace seconds) */
        TE_GRACE_EXTEND,        /* a preStop ended: SIGTERM needs arg ns left */
        TE_GRACE_OVER,          /* the grace timer fired (or the grace is 0) */
        TE_CTRS_FINAL,          /* no container will run again */
        TE_PAUSE_GONE,          /* the pause process was reaped */
        TE_APPS_DONE,           /* the app containers are done, sidecars run (arg: grace seconds) */
        TE__MAX,
};

enum pod_term_action {
        TA_NONE,
        TA_RUN,                 /* startup complete: nothing to do but change state */
        TA_BEGIN,               /* record the cause, stop every container, arm the grace */
        TA_FAIL_DEADLINE,       /* DeadlineExceeded: the pod fails, then as BEGIN */
        TA_FAIL_EVICT,          /* Evicted: the pod fails without preStop hooks, then as BEGIN */
        TA_SHORTEN,             /* a later request may only shorten the grace */
        TA_NOTE,                /* a later request while killing or finishing: its cause only */
        TA_EXTEND,              /* keep arg ns for SIGTERM after a preStop */
        TA_KILL_ALL,            /* SIGKILL, except a cut preStop's 2 s SIGTERM */
        TA_REAP,                /* kill the pause process (FINISHING), or finish now (DONE) */
        TA_FINISH,              /* final status, `finished`, release the volumes */
        TA__MAX,
};

/* Why the pod terminates: decides the final phase and whether it is finished. */
enum pod_term_cause {
        PT_CAUSE_NONE,          /* the pod reached a terminal phase by itself */
        PT_CAUSE_STOPPED,       /* the sandbox was stopped (SIGTERM): to be restarted */
        PT_CAUSE_DELETED,       /* deletion requested */
        PT_CAUSE_FAILED,        /* activeDeadlineSeconds: phase Failed */
        PT_CAUSE_EVICTED,       /* eviction: phase Failed, no preStop hooks */
};

extern const struct fsm_def term_fsm;
