/* Unit tests for the runtime's two state machines (runtime/machines.h): the
 * container's supervision table and the pod's termination table, driven by
 * runtime/fsm.c with synthetic events. No process, no root: a recording
 * action function stands in for the real actions and returns what they
 * would (the follow-up event of a spawn, restartPolicy's verdict after an
 * exit, the pause process still alive or not). */
#include <stdio.h>
#include <string.h>
#include "machines.h"
#include "tap.h"

/* ---- a recording stand-in for the actions ---- */

struct script {
        struct fsm m;
        char log[512];          /* "spawn started ..." : the actions run, in order */
        int seen_state[16];     /* the machine's state as each action saw it */
        int64_t seen_arg[16];
        int n;
        int spawn_follow;       /* SA_SPAWN: EV_START_OK | EV_START_FAILED | EV_PULL_FAILED */
        int exit_next;          /* SA_EXITED / SA_START_FAILED: restartPolicy's verdict */
        int reap_next;          /* TA_REAP: PT_FINISHING (pause alive) or PT_DONE */
        int begin_follow;       /* TA_BEGIN: TE_GRACE_OVER when the grace is 0 */
        int nested_action;      /* this action raises nested_ev on its own machine */
        int nested_ev;
};

static void record(struct script *sc, int action, int64_t arg)
{
        const char *name = fsm_action_name(sc->m.def, action);

        if (sc->n < 16) {
                sc->seen_state[sc->n] = sc->m.state;
                sc->seen_arg[sc->n] = arg;
        }
        sc->n++;
        if (sc->log[0])
                strncat(sc->log, " ", sizeof(sc->log) - strlen(sc->log) - 1);
        strncat(sc->log, name, sizeof(sc->log) - strlen(sc->log) - 1);
}

static int sup_record(void *obj, int action, int ev, int64_t arg, int *ret_follow)
{
        struct script *sc = obj;

        record(sc, action, arg);
        if (action == sc->nested_action)
                tap_is_int(fsm_dispatch(&sc->m, sc->nested_ev, 0), 0, "an event raised inside an action waits");
        switch (action) {
        case SA_SPAWN:
                *ret_follow = sc->spawn_follow;
                return FSM_KEEP;
        case SA_EXITED:
        case SA_START_FAILED:
                if (sc->exit_next == CS_CREATING)
                        *ret_follow = EV_START;
                return sc->exit_next;
        case SA_RETRY:
                *ret_follow = EV_START;
                return FSM_KEEP;
        default:
                return FSM_KEEP;
        }
}

static int term_record(void *obj, int action, int ev, int64_t arg, int *ret_follow)
{
        struct script *sc = obj;

        record(sc, action, arg);
        if (action == sc->nested_action)
                fsm_dispatch(&sc->m, sc->nested_ev, 0);
        switch (action) {
        case TA_BEGIN:
        case TA_FAIL_DEADLINE:
        case TA_FAIL_EVICT:
                *ret_follow = sc->begin_follow;
                return FSM_KEEP;
        case TA_REAP:
                return sc->reap_next;
        case TA_FINISH:
                return PT_DONE;
        default:
                return FSM_KEEP;
        }
}

static void ctr_new(struct script *sc)
{
        memset(sc, 0, sizeof(*sc));
        sc->spawn_follow = EV_START_OK;
        sc->exit_next = CS_EXITED;
        fsm_init(&sc->m, &sup_fsm, "c", CS_CREATING, sup_record, sc);
}

static void pod_new(struct script *sc, int state)
{
        memset(sc, 0, sizeof(*sc));
        sc->reap_next = PT_FINISHING;
        fsm_init(&sc->m, &term_fsm, "p", state, term_record, sc);
}

/* Feeds ev, then checks the state reached and the actions run (cleared after). */
static void step(struct script *sc, int ev, int64_t arg, int want_state, const char *want_actions)
{
        char name[160];

        sc->log[0] = '\0';
        sc->n = 0;
        fsm_dispatch(&sc->m, ev, arg);
        snprintf(name, sizeof(name), "%s %s -> %s", sc->m.def->what, fsm_event_name(sc->m.def, ev),
                 fsm_state_name(sc->m.def, want_state));
        tap_is_str(fsm_state_name(sc->m.def, sc->m.state), fsm_state_name(sc->m.def, want_state), name);
        snprintf(name, sizeof(name), "%s %s: actions", sc->m.def->what, fsm_event_name(sc->m.def, ev));
        tap_is_str(sc->log, want_actions, name);
}

/* ---- the container table ---- */

static void test_ctr_start_exit_restart(void)
{
        struct script sc;

        ctr_new(&sc);
        step(&sc, EV_START, 0, CS_RUNNING, "spawn started");
        sc.exit_next = CS_CRASH_BACKOFF;
        step(&sc, EV_EXIT, 0, CS_CRASH_BACKOFF, "exited");
        step(&sc, EV_EXIT, 0, CS_CRASH_BACKOFF, "");            /* no process: nothing to reap */
        step(&sc, EV_TIMER, 0, CS_RUNNING, "retry spawn started");
        sc.exit_next = CS_CREATING;                             /* back-off 0: at once */
        step(&sc, EV_EXIT, 0, CS_RUNNING, "exited spawn started");
        sc.exit_next = CS_EXITED;
        step(&sc, EV_EXIT, 0, CS_EXITED, "exited");
        step(&sc, EV_START, 0, CS_EXITED, "");
        step(&sc, EV_DELETE, 0, CS_EXITED, "");
}

static void test_ctr_start_failures(void)
{
        struct script sc;

        ctr_new(&sc);
        sc.spawn_follow = EV_START_FAILED;
        sc.exit_next = CS_CRASH_BACKOFF;
        step(&sc, EV_START, 0, CS_CRASH_BACKOFF, "spawn start-failed");
        step(&sc, EV_DELETE, 0, CS_STOPPED, "abandon");

        ctr_new(&sc);
        sc.spawn_follow = EV_PULL_FAILED;
        step(&sc, EV_START, 0, CS_PULL_ERROR, "spawn pull-failed");
        step(&sc, EV_TIMER, 0, CS_PULL_BACKOFF, "pull-backoff");
        step(&sc, EV_TIMER, 0, CS_PULL_ERROR, "retry spawn pull-failed");
        step(&sc, EV_TIMER, 0, CS_PULL_BACKOFF, "pull-backoff");
        sc.spawn_follow = EV_START_OK;
        step(&sc, EV_TIMER, 0, CS_RUNNING, "retry spawn started");

        /* CreateContainerConfigError: tried again on the back-off timer or a
         * wake (SIGHUP), never by itself in the other states. */
        ctr_new(&sc);
        sc.spawn_follow = EV_CONFIG_FAILED;
        step(&sc, EV_START, 0, CS_CONFIG_ERROR, "spawn config-failed");
        step(&sc, EV_TIMER, 0, CS_CONFIG_ERROR, "retry spawn config-failed");
        step(&sc, EV_WAKE, 0, CS_CONFIG_ERROR, "retry spawn config-failed");
        sc.spawn_follow = EV_START_OK;
        step(&sc, EV_WAKE, 0, CS_RUNNING, "retry spawn started");
        step(&sc, EV_WAKE, 0, CS_RUNNING, "");
        ctr_new(&sc);
        sc.spawn_follow = EV_CONFIG_FAILED;
        step(&sc, EV_START, 0, CS_CONFIG_ERROR, "spawn config-failed");
        step(&sc, EV_DELETE, 0, CS_STOPPED, "abandon");
}

static void test_ctr_kill_paths(void)
{
        struct script sc;

        ctr_new(&sc);
        step(&sc, EV_START, 0, CS_RUNNING, "spawn started");
        step(&sc, EV_UNHEALTHY, 0, CS_RESTARTING, "restart-kill");
        step(&sc, EV_UNHEALTHY, 0, CS_RESTARTING, "");          /* one kill at a time */
        sc.exit_next = CS_CREATING;
        step(&sc, EV_EXIT, 0, CS_RUNNING, "exited spawn started");
        step(&sc, EV_DELETE, 0, CS_KILLING, "kill");
        step(&sc, EV_UNHEALTHY, 0, CS_KILLING, "");              /* no restart once the pod stops */
        step(&sc, EV_TIMER, 0, CS_KILLING, "");
        step(&sc, EV_EXIT, 0, CS_STOPPED, "killed");

        /* the pod stops during a restart kill: the pod's kill takes over */
        ctr_new(&sc);
        step(&sc, EV_START, 0, CS_RUNNING, "spawn started");
        step(&sc, EV_UNHEALTHY, 0, CS_RESTARTING, "restart-kill");
        step(&sc, EV_DELETE, 0, CS_KILLING, "kill");
        tap_is_int(sc.seen_state[0], CS_RESTARTING, "the kill sees the restart kill it takes over");
        step(&sc, EV_EXIT, 0, CS_STOPPED, "killed");

        ctr_new(&sc);
        step(&sc, EV_SKIP, 0, CS_EXITED, "skip");
}

/* Final states take no event; each transition's names are known. */
static void test_ctr_table_shape(void)
{
        int finals[] = {CS_EXITED, CS_STOPPED};
        bool ok = true;

        for (size_t i = 0; i < 2; i++)
                for (int ev = 0; ev < EV__MAX; ev++)
                        ok = ok && fsm_lookup(&sup_fsm, finals[i], ev)->action == 0;
        tap_ok(ok, "no event leaves a final container state");
        ok = true;
        for (int st = 0; st < CS__MAX; st++) {
                ok = ok && strcmp(fsm_state_name(&sup_fsm, st), "?") != 0;
                for (int ev = 1; ev < EV__MAX; ev++) {
                        const struct fsm_transition *t = fsm_lookup(&sup_fsm, st, ev);

                        ok = ok && strcmp(fsm_event_name(&sup_fsm, ev), "?") != 0;
                        ok = ok && (t->action == 0 || strcmp(fsm_action_name(&sup_fsm, t->action), "none"));
                }
        }
        tap_ok(ok, "every state, event and action of the container table has a name");
        tap_ok(fsm_lookup(&sup_fsm, CS__MAX, EV_START) == NULL && fsm_lookup(&sup_fsm, 0, EV__MAX) == NULL,
               "out-of-range lookups are refused");
}

/* An action raising an event on its own machine: it runs after the transition. */
static void test_ctr_nested(void)
{
        struct script sc;

        ctr_new(&sc);
        sc.nested_action = SA_STARTED;  /* a postStart that fails at once */
        sc.nested_ev = EV_UNHEALTHY;
        step(&sc, EV_START, 0, CS_RESTARTING, "spawn started restart-kill");
        tap_is_int(sc.seen_state[2], CS_RUNNING, "the queued event sees the state its predecessor left");
}

/* ---- the termination table ---- */

static void test_term_deletion(void)
{
        struct script sc;

        pod_new(&sc, PT_STARTING);
        step(&sc, TE_CTRS_FINAL, 0, PT_STARTING, "");           /* not judged during startup */
        step(&sc, TE_STARTED, 0, PT_RUNNING, "run");
        step(&sc, TE_DELETE, 30, PT_STOPPING, "begin");
        tap_is_int(sc.seen_arg[0], 30, "begin gets the grace seconds");
        step(&sc, TE_DELETE, 5, PT_STOPPING, "shorten");
        step(&sc, TE_STOP, 5, PT_STOPPING, "shorten");
        step(&sc, TE_DEADLINE, 0, PT_STOPPING, "");             /* already terminating */
        step(&sc, TE_EVICT, 2, PT_STOPPING, "");
        step(&sc, TE_GRACE_EXTEND, 2000000000, PT_STOPPING, "extend");
        tap_is_int(sc.seen_arg[0], 2000000000, "extend gets the time SIGTERM needs");
        step(&sc, TE_GRACE_OVER, 0, PT_KILLING, "kill-all");
        step(&sc, TE_GRACE_EXTEND, 2000000000, PT_KILLING, "");  /* no grace after the grace */
        step(&sc, TE_GRACE_OVER, 0, PT_KILLING, "");
        step(&sc, TE_DELETE, 0, PT_KILLING, "note");
        step(&sc, TE_PAUSE_GONE, 0, PT_KILLING, "");            /* containers still stopping */
        step(&sc, TE_CTRS_FINAL, 0, PT_FINISHING, "reap");
        step(&sc, TE_CTRS_FINAL, 0, PT_FINISHING, "");          /* the pause process is killed once */
        step(&sc, TE_STOP, 0, PT_FINISHING, "note");
        step(&sc, TE_PAUSE_GONE, 0, PT_DONE, "finish");
        for (int ev = 1; ev < TE__MAX; ev++)
                step(&sc, ev, 0, PT_DONE, "");
}

static void test_term_other_causes(void)
{
        struct script sc;

        /* the pod ends by itself: no termination, straight to the end */
        pod_new(&sc, PT_RUNNING);
        sc.reap_next = PT_DONE;
        step(&sc, TE_CTRS_FINAL, 0, PT_DONE, "reap");

        pod_new(&sc, PT_RUNNING);
        step(&sc, TE_DEADLINE, 0, PT_STOPPING, "fail-deadline");
        step(&sc, TE_DEADLINE, 0, PT_STOPPING, "");

        pod_new(&sc, PT_RUNNING);
        step(&sc, TE_EVICT, 2, PT_STOPPING, "fail-evict");
        step(&sc, TE_DELETE, 30, PT_STOPPING, "shorten");       /* may only shorten */

        pod_new(&sc, PT_RUNNING);
        step(&sc, TE_STOP, 30, PT_STOPPING, "begin");
        step(&sc, TE_GRACE_OVER, 0, PT_KILLING, "kill-all");
        sc.reap_next = PT_DONE;
        step(&sc, TE_CTRS_FINAL, 0, PT_DONE, "reap");

        /* sidecars: the app containers are done for good, the sidecars stop as in a termination */
        pod_new(&sc, PT_RUNNING);
        step(&sc, TE_APPS_DONE, 30, PT_STOPPING, "begin");
        tap_is_int(sc.seen_arg[0], 30, "apps-done begins with the pod's grace");
        step(&sc, TE_APPS_DONE, 30, PT_STOPPING, "");
        step(&sc, TE_DELETE, 5, PT_STOPPING, "shorten");

        pod_new(&sc, PT_RUNNING);
        step(&sc, TE_GRACE_OVER, 0, PT_RUNNING, "");            /* a stale timer */
        step(&sc, TE_PAUSE_GONE, 0, PT_RUNNING, "");            /* the pause died early: reap finishes */
        step(&sc, TE_GRACE_EXTEND, 1, PT_RUNNING, "");
}

/* Grace 0 and every container without a process: begin's follow-up (the
 * grace is over) comes first, then what the containers raised meanwhile. */
static void test_term_nested(void)
{
        struct script sc;

        pod_new(&sc, PT_RUNNING);
        sc.begin_follow = TE_GRACE_OVER;
        sc.nested_action = TA_BEGIN;
        sc.nested_ev = TE_CTRS_FINAL;
        step(&sc, TE_DELETE, 0, PT_FINISHING, "begin kill-all reap");
        tap_is_int(sc.seen_state[2], PT_KILLING, "reap runs after begin's transition, not inside it");

        pod_new(&sc, PT_RUNNING);
        sc.nested_action = TA_BEGIN;
        sc.nested_ev = TE_CTRS_FINAL;
        sc.reap_next = PT_DONE;
        step(&sc, TE_STOP, 10, PT_DONE, "begin reap");
        tap_is_int(sc.seen_state[1], PT_STOPPING, "a done pod is not set back to stopping");
}

int main(void)
{
        test_ctr_start_exit_restart();
        test_ctr_start_failures();
        test_ctr_kill_paths();
        test_ctr_table_shape();
        test_ctr_nested();
        test_term_deletion();
        test_term_other_causes();
        test_term_nested();
        return tap_done();
}
