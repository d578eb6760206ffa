/* Table-driven state machines: states x events in one table of (action,
 * next state), one dispatcher that runs the action and logs every transition.
 * The container machine (supervise.c) and the pod's termination machine
 * (terminate.c) are two tables (machines.h) driven by it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FSM_KEEP (-1)   /* "next" of a transition or an action's result: no change */
#define FSM_QUEUE_MAX 16

struct fsm_transition {
        int action;     /* 0: the event is ignored in this state */
        int next;       /* FSM_KEEP: the state stays unless the action names one */
};

struct fsm_def {
        const char *what;                       /* "container", "pod": the logs' subject */
        int n_states, n_events;
        const struct fsm_transition *table;     /* [state * n_events + event] */
        const char *const *state_names;
        const char *const *event_names;
        const char *const *action_names;
};

/* Runs one action for obj on event ev (with its argument); returns the next
 * state or FSM_KEEP (the table's target), and may queue a follow-up event in
 * *ret_follow (0 = none), dispatched right after this transition. */
typedef int (*fsm_action_fn)(void *obj, int action, int ev, int64_t arg, int *ret_follow);

struct fsm_queued {
        int ev;
        int64_t arg;
};

struct fsm {
        const struct fsm_def *def;
        const char *who;        /* the object's name in logs */
        int state;
        fsm_action_fn run;
        void *obj;
        bool busy;              /* inside an action: events raised now wait their turn */
        size_t n_queued;
        struct fsm_queued queued[FSM_QUEUE_MAX];
};

void fsm_init(struct fsm *m, const struct fsm_def *def, const char *who, int state, fsm_action_fn run,
              void *obj);
/* Feeds ev into m, run to completion: an event raised by an action of the same
 * machine (directly or through another machine) is queued and dispatched once
 * the current transition is complete, so an action always sees the state
 * it was looked up in and no transition is overwritten. */
/* Returns the number of transitions made (0: ignored, or queued). */
int fsm_dispatch(struct fsm *m, int ev, int64_t arg);
/* The transition the table holds for (state, ev); NULL when out of range. */
const struct fsm_transition *fsm_lookup(const struct fsm_def *def, int state, int ev);
const char *fsm_state_name(const struct fsm_def *def, int state);
const char *fsm_event_name(const struct fsm_def *def, int ev);
const char *fsm_action_name(const struct fsm_def *def, int action);
