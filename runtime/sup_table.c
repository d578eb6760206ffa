/* The container machine's table (machines.h); the actions are in supervise.c. */
#include "machines.h"

#define T(a, n) {a, n}
static const struct fsm_transition table[CS__MAX][EV__MAX] = {
        [CS_CREATING] = {
                [EV_START] = T(SA_SPAWN, FSM_KEEP),
                [EV_START_OK] = T(SA_STARTED, CS_RUNNING),
                [EV_START_FAILED] = T(SA_START_FAILED, FSM_KEEP),  /* CRASH_BACKOFF | CREATING | EXITED */
                [EV_PULL_FAILED] = T(SA_PULL_FAILED, CS_PULL_ERROR),
                [EV_CONFIG_FAILED] = T(SA_CONFIG_FAILED, CS_CONFIG_ERROR),
                [EV_IMAGE_REFUSED] = T(SA_IMAGE_REFUSED, CS_CONFIG_ERROR),
                [EV_DELETE] = T(SA_ABANDON, CS_STOPPED),
                [EV_SKIP] = T(SA_SKIP, CS_EXITED),
        },
        [CS_PULLING] = {
                [EV_PULLED] = T(SA_SPAWN, CS_CREATING),
                [EV_PULL_FAILED] = T(SA_PULL_FAILED, CS_PULL_ERROR),
                [EV_DELETE] = T(SA_PULL_CANCEL, CS_STOPPED),
        },
        [CS_RUNNING] = {
                [EV_EXIT] = T(SA_EXITED, FSM_KEEP),                /* CRASH_BACKOFF | CREATING | EXITED */
                [EV_DELETE] = T(SA_KILL, CS_KILLING),
                [EV_UNHEALTHY] = T(SA_RESTART_KILL, CS_RESTARTING),
        },
        [CS_RESTARTING] = {
                [EV_EXIT] = T(SA_EXITED, FSM_KEEP),
                [EV_DELETE] = T(SA_KILL, CS_KILLING),
        },
        [CS_CRASH_BACKOFF] = {
                [EV_TIMER] = T(SA_RETRY, CS_CREATING),
                [EV_DELETE] = T(SA_ABANDON, CS_STOPPED),
        },
        [CS_PULL_ERROR] = {
                [EV_TIMER] = T(SA_PULL_BACKOFF, CS_PULL_BACKOFF),
                [EV_DELETE] = T(SA_ABANDON, CS_STOPPED),
        },
        [CS_PULL_BACKOFF] = {
                [EV_TIMER] = T(SA_RETRY, CS_CREATING),
                [EV_DELETE] = T(SA_ABANDON, CS_STOPPED),
        },
        [CS_CONFIG_ERROR] = {
                [EV_TIMER] = T(SA_RETRY, CS_CREATING),
                [EV_WAKE] = T(SA_RETRY, CS_CREATING),
                [EV_DELETE] = T(SA_ABANDON, CS_STOPPED),
        },
        [CS_EXITED] = {{0}},
        [CS_KILLING] = {
                [EV_EXIT] = T(SA_KILLED, CS_STOPPED),
        },
        [CS_STOPPED] = {{0}},
};

static const char *const state_names[CS__MAX] = {
        [CS_CREATING] = "creating", [CS_RUNNING] = "running", [CS_RESTARTING] = "restarting",
        [CS_CRASH_BACKOFF] = "crash-backoff", [CS_PULLING] = "pulling", [CS_PULL_ERROR] = "pull-error",
        [CS_PULL_BACKOFF] = "pull-backoff", [CS_CONFIG_ERROR] = "config-error", [CS_EXITED] = "exited",
        [CS_KILLING] = "killing",
        [CS_STOPPED] = "stopped",
};

static const char *const event_names[EV__MAX] = {
        [EV_NONE] = "none", [EV_START] = "start", [EV_START_OK] = "start-ok",
        [EV_START_FAILED] = "start-failed", [EV_PULL_FAILED] = "pull-failed", [EV_EXIT] = "exit",
        [EV_TIMER] = "timer", [EV_DELETE] = "delete", [EV_SKIP] = "skip", [EV_UNHEALTHY] = "unhealthy",
        [EV_CONFIG_FAILED] = "config-failed", [EV_WAKE] = "wake",
        [EV_PULLED] = "pulled", [EV_IMAGE_REFUSED] = "image-refused",
};

static const char *const action_names[SA__MAX] = {
        [SA_SPAWN] = "spawn", [SA_STARTED] = "started", [SA_START_FAILED] = "start-failed",
        [SA_PULL_FAILED] = "pull-failed", [SA_PULL_BACKOFF] = "pull-backoff", [SA_RETRY] = "retry",
        [SA_EXITED] = "exited", [SA_KILL] = "kill", [SA_KILLED] = "killed", [SA_ABANDON] = "abandon",
        [SA_SKIP] = "skip", [SA_RESTART_KILL] = "restart-kill", [SA_CONFIG_FAILED] = "config-failed",
        [SA_PULL_CANCEL] = "pull-cancel", [SA_IMAGE_REFUSED] = "image-refused",
};

const struct fsm_def sup_fsm = {
        .what = "container",
        .n_states = CS__MAX,
        .n_events = EV__MAX,
        .table = &table[0][0],
        .state_names = state_names,
        .event_names = event_names,
        .action_names = action_names,
};
