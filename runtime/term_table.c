/* The pod termination machine's table (machines.h); the actions are in
 * terminate.c. A request that comes while the pod is already stopping may
 * only shorten the grace (kubelet) and record its cause; the end is always
 * REAP (every container final) then, once no process of the pod is left,
 * FINISH. */
#include "machines.h"

#define T(a, n) {a, n}
static const struct fsm_transition table[PT__MAX][TE__MAX] = {
        [PT_STARTING] = {
                [TE_STARTED] = T(TA_RUN, PT_RUNNING),
        },
        [PT_RUNNING] = {
                [TE_STOP] = T(TA_BEGIN, PT_STOPPING),
                [TE_DELETE] = T(TA_BEGIN, PT_STOPPING),
                [TE_DEADLINE] = T(TA_FAIL_DEADLINE, PT_STOPPING),
                [TE_EVICT] = T(TA_FAIL_EVICT, PT_STOPPING),
                [TE_CTRS_FINAL] = T(TA_REAP, FSM_KEEP),         /* FINISHING | DONE */
                [TE_APPS_DONE] = T(TA_BEGIN, PT_STOPPING),      /* the pod ends by itself: stop the sidecars */
        },
        [PT_STOPPING] = {
                [TE_STOP] = T(TA_SHORTEN, FSM_KEEP),
                [TE_DELETE] = T(TA_SHORTEN, FSM_KEEP),
                [TE_GRACE_EXTEND] = T(TA_EXTEND, FSM_KEEP),
                [TE_GRACE_OVER] = T(TA_KILL_ALL, PT_KILLING),
                [TE_CTRS_FINAL] = T(TA_REAP, FSM_KEEP),         /* FINISHING | DONE */
        },
        [PT_KILLING] = {
                [TE_STOP] = T(TA_NOTE, FSM_KEEP),
                [TE_DELETE] = T(TA_NOTE, FSM_KEEP),
                [TE_CTRS_FINAL] = T(TA_REAP, FSM_KEEP),         /* FINISHING | DONE */
        },
        [PT_FINISHING] = {
                [TE_STOP] = T(TA_NOTE, FSM_KEEP),
                [TE_DELETE] = T(TA_NOTE, FSM_KEEP),
                [TE_PAUSE_GONE] = T(TA_FINISH, PT_DONE),
        },
        [PT_DONE] = {{0}},
};

static const char *const state_names[PT__MAX] = {
        [PT_STARTING] = "starting", [PT_RUNNING] = "running", [PT_STOPPING] = "stopping",
        [PT_KILLING] = "killing", [PT_FINISHING] = "finishing", [PT_DONE] = "done",
};

static const char *const event_names[TE__MAX] = {
        [TE_NONE] = "none", [TE_STARTED] = "started", [TE_STOP] = "stop", [TE_DELETE] = "delete",
        [TE_DEADLINE] = "deadline", [TE_EVICT] = "evict", [TE_GRACE_EXTEND] = "grace-extend",
        [TE_GRACE_OVER] = "grace-over", [TE_CTRS_FINAL] = "containers-final", [TE_PAUSE_GONE] = "pause-gone",
        [TE_APPS_DONE] = "apps-done",
};

static const char *const action_names[TA__MAX] = {
        [TA_RUN] = "run", [TA_BEGIN] = "begin", [TA_FAIL_DEADLINE] = "fail-deadline",
        [TA_FAIL_EVICT] = "fail-evict", [TA_SHORTEN] = "shorten", [TA_NOTE] = "note", [TA_EXTEND] = "extend",
        [TA_KILL_ALL] = "kill-all", [TA_REAP] = "reap", [TA_FINISH] = "finish",
};

const struct fsm_def term_fsm = {
        .what = "pod",
        .n_states = PT__MAX,
        .n_events = TE__MAX,
        .table = &table[0][0],
        .state_names = state_names,
        .event_names = event_names,
        .action_names = action_names,
};
