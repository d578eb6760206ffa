/* Unit tests for the status model: kubelet's phase rules for every restart
 * policy, conditions and their transition times, restart back-off. */
#include <string.h>
#include "pfs/status.h"
#include "pfs/util.h"
#include "tap.h"

#define SEC 1000000000LL

static struct pod_container ctrs[3] = {
        {.name = (char *)"a", .image = (char *)"busybox"},
        {.name = (char *)"b", .image = (char *)"busybox"},
        {.name = (char *)"c", .image = (char *)"busybox"},
};

static struct pod_spec make_spec(size_t n, enum pod_restart_policy p)
{
        return (struct pod_spec){.name = (char *)"web", .namespace = (char *)"default",
                                 .containers = ctrs, .n_containers = n, .restart_policy = p};
}

/* One letter per container: W waiting (ContainerCreating), B waiting after a
 * run (CrashLoopBackOff, last state terminated), R running, S terminated 0,
 * F terminated 1, ? no status at all. */
static void set_states(struct pod_status *st, const char *states)
{
        for (size_t i = 0; i < st->n_containers; i++) {
                struct ctr_status *c = &st->containers[i];

                ctr_state_clear(&c->last_state);
                switch (states[i]) {
                case 'W':
                        ctr_state_set_waiting(&c->state, "ContainerCreating", NULL);
                        break;
                case 'B':
                        ctr_state_set_waiting(&c->state, "CrashLoopBackOff", "back-off 10s");
                        ctr_state_set_terminated(&c->last_state, 1, 0, NULL, NULL, SEC, 2 * SEC, NULL);
                        break;
                case 'R':
                        ctr_state_set_running(&c->state, SEC);
                        break;
                case 'S':
                        ctr_state_set_terminated(&c->state, 0, 0, NULL, NULL, SEC, 2 * SEC, NULL);
                        break;
                case 'F':
                        ctr_state_set_terminated(&c->state, 1, 0, NULL, NULL, SEC, 2 * SEC, NULL);
                        break;
                case '?':
                        free(c->name);
                        c->name = xstrdup("gone");
                        break;
                }
        }
}

struct phase_case {
        const char *states;
        const char *always, *on_failure, *never;
};

static const struct phase_case phase_cases[] = {
        {"W", "Pending", "Pending", "Pending"},
        {"R", "Running", "Running", "Running"},
        {"S", "Running", "Succeeded", "Succeeded"},
        {"F", "Running", "Running", "Failed"},
        {"B", "Running", "Running", "Failed"},
        {"RW", "Pending", "Pending", "Pending"},
        {"RS", "Running", "Running", "Running"},
        {"RF", "Running", "Running", "Running"},
        {"RB", "Running", "Running", "Running"},
        {"SS", "Running", "Succeeded", "Succeeded"},
        {"SF", "Running", "Running", "Failed"},
        {"SB", "Running", "Running", "Failed"},
        {"SW", "Pending", "Pending", "Pending"},
        {"R?", "Pending", "Pending", "Pending"},
        {"S?", "Pending", "Pending", "Pending"},
        {"RRS", "Running", "Running", "Running"},
        {"SSS", "Running", "Succeeded", "Succeeded"},
        {"FFF", "Running", "Running", "Failed"},
};

static void test_phase_table(void)
{
        static const enum pod_restart_policy pols[] = {POD_RESTART_ALWAYS, POD_RESTART_ON_FAILURE,
                                                       POD_RESTART_NEVER};
        static const char *pol_names[] = {"Always", "OnFailure", "Never"};

        for (size_t i = 0; i < ARRAY_SIZE(phase_cases); i++) {
                const struct phase_case *pc = &phase_cases[i];
                const char *want[] = {pc->always, pc->on_failure, pc->never};

                for (size_t p = 0; p < 3; p++) {
                        struct pod_spec spec = make_spec(strlen(pc->states), pols[p]);
                        struct pod_status *st = pod_status_new(&spec, SEC);
                        char name[64];

                        set_states(st, pc->states);
                        snprintf(name, sizeof(name), "phase %s %s", pc->states, pol_names[p]);
                        tap_is_str(pod_phase_compute(&spec, st), want[p], name);
                        pod_status_free(st);
                }
        }
}

static void check_cond(const struct pod_status *st, enum pod_condition_type t, bool status,
                       const char *reason, const char *message, const char *what)
{
        const struct pod_condition *c = &st->conditions[t];
        char name[128];

        snprintf(name, sizeof(name), "%s: %s", what, pod_condition_type_name(t));
        tap_ok(c->present && c->status == status, "%s status %s", name, status ? "True" : "False");
        tap_is_str(c->reason, reason, name);
        tap_is_str(c->message, message, name);
}

static void test_new(void)
{
        struct pod_spec spec = make_spec(2, POD_RESTART_ALWAYS);
        struct pod_status *st = pod_status_new(&spec, 5 * SEC);
        const char *msg = "containers with unready status: [a b]";

        tap_is_str(st->phase, "Pending", "new: phase Pending");
        tap_is_int((long long)st->n_containers, 2, "new: two container statuses");
        tap_ok(st->containers[1].state.kind == CTR_STATE_WAITING, "new: waiting");
        tap_is_str(st->containers[1].state.reason, "ContainerCreating", "new: ContainerCreating");
        tap_is_str(st->containers[0].image, "busybox", "new: image");
        tap_is_str(st->qos_class, "BestEffort", "new: qosClass");
        tap_ok(st->host_ip && *st->host_ip, "new: hostIP set");
        tap_ok(st->pod_ip == NULL, "new: no podIP without hostNetwork");
        tap_is_int(st->start_time, 5 * SEC, "new: startTime");
        check_cond(st, POD_COND_READY_TO_START_CONTAINERS, false, NULL, NULL, "new");
        check_cond(st, POD_COND_INITIALIZED, true, NULL, NULL, "new");
        check_cond(st, POD_COND_READY, false, "ContainersNotReady", msg, "new");
        check_cond(st, POD_COND_CONTAINERS_READY, false, "ContainersNotReady", msg, "new");
        check_cond(st, POD_COND_SCHEDULED, true, NULL, NULL, "new");
        tap_is_int(st->conditions[POD_COND_READY].last_transition, 5 * SEC, "new: transition time");
        tap_ok(pod_status_find(st, "b") == &st->containers[1], "find b");
        tap_ok(pod_status_find(st, "zz") == NULL, "find missing");
        pod_status_free(st);

        spec.host_network = true;
        st = pod_status_new(&spec, SEC);
        tap_is_str(st->pod_ip, st->host_ip, "new: hostNetwork podIP = hostIP");
        pod_status_free(st);
}

static void test_refresh(void)
{
        struct pod_spec spec = make_spec(2, POD_RESTART_NEVER);
        struct pod_status *st = pod_status_new(&spec, 1 * SEC);

        set_states(st, "RR");
        st->containers[0].ready = true;
        pod_status_refresh(&spec, st, 2 * SEC);
        tap_is_str(st->phase, "Running", "refresh: Running");
        check_cond(st, POD_COND_READY_TO_START_CONTAINERS, true, NULL, NULL, "one ready");
        check_cond(st, POD_COND_READY, false, "ContainersNotReady",
                   "containers with unready status: [b]", "one ready");
        tap_is_int(st->conditions[POD_COND_READY].last_transition, 1 * SEC,
                   "refresh: Ready stays False, time unchanged");
        tap_is_int(st->conditions[POD_COND_READY_TO_START_CONTAINERS].last_transition, 2 * SEC,
                   "refresh: PodReadyToStartContainers flipped, time moved");

        st->containers[1].ready = true;
        pod_status_refresh(&spec, st, 3 * SEC);
        check_cond(st, POD_COND_READY, true, NULL, NULL, "all ready");
        check_cond(st, POD_COND_CONTAINERS_READY, true, NULL, NULL, "all ready");
        tap_is_int(st->conditions[POD_COND_READY].last_transition, 3 * SEC, "refresh: Ready flip time");
        tap_is_int(st->conditions[POD_COND_SCHEDULED].last_transition, 1 * SEC,
                   "refresh: PodScheduled time unchanged");

        set_states(st, "SS");
        st->containers[0].ready = st->containers[1].ready = false;
        pod_status_refresh(&spec, st, 4 * SEC);
        tap_is_str(st->phase, "Succeeded", "refresh: Succeeded");
        check_cond(st, POD_COND_READY, false, "PodCompleted", NULL, "succeeded");
        check_cond(st, POD_COND_CONTAINERS_READY, false, "PodCompleted", NULL, "succeeded");
        check_cond(st, POD_COND_READY_TO_START_CONTAINERS, false, NULL, NULL, "succeeded");
        check_cond(st, POD_COND_INITIALIZED, true, "PodCompleted", NULL, "succeeded");

        set_states(st, "RR");
        pod_status_refresh(&spec, st, 5 * SEC);
        tap_is_str(st->phase, "Succeeded", "refresh: terminal phase is sticky");
        pod_status_free(st);

        st = pod_status_new(&spec, 1 * SEC);
        set_states(st, "SF");
        pod_status_refresh(&spec, st, 2 * SEC);
        tap_is_str(st->phase, "Failed", "refresh: Failed");
        check_cond(st, POD_COND_READY, false, "PodFailed", NULL, "failed");
        check_cond(st, POD_COND_CONTAINERS_READY, false, "PodFailed", NULL, "failed");
        check_cond(st, POD_COND_INITIALIZED, true, NULL, NULL, "failed");
        pod_status_free(st);

        st = pod_status_new(&spec, 1 * SEC);
        ctr_state_set_waiting(&st->containers[0].state, "ErrImagePull", "image \"x\" not found");
        pod_status_refresh(&spec, st, 2 * SEC);
        tap_is_str(st->phase, "Pending", "ErrImagePull: Pending");
        check_cond(st, POD_COND_READY_TO_START_CONTAINERS, true, NULL, NULL, "ErrImagePull");
        pod_status_free(st);
}

static struct pod_container init_ctrs[2] = {
        {.name = (char *)"i1", .image = (char *)"busybox"},
        {.name = (char *)"i2", .image = (char *)"alpine"},
};

static struct pod_status *init_status(const struct pod_spec *spec)
{
        struct pod_status *st = pod_status_new(spec, SEC);

        pod_status_set_init_containers(st, init_ctrs, 2);
        pod_status_refresh(spec, st, SEC);
        return st;
}

static void init_exit(struct ctr_status *c, int code)
{
        ctr_state_set_terminated(&c->state, code, 0, NULL, NULL, SEC, 2 * SEC, NULL);
        c->ready = code == 0;
}

static void test_init(void)
{
        struct pod_spec spec = make_spec(1, POD_RESTART_ALWAYS);
        struct pod_status *st = init_status(&spec);

        tap_is_int((long long)st->n_init_containers, 2, "init: two init statuses");
        tap_is_str(st->init_containers[1].image, "alpine", "init: image");
        tap_is_str(st->init_containers[0].state.reason, "PodInitializing", "init: init waits PodInitializing");
        tap_is_str(st->containers[0].state.reason, "PodInitializing", "init: main waits PodInitializing");
        tap_is_str(st->phase, "Pending", "init: Pending");
        check_cond(st, POD_COND_INITIALIZED, false, "ContainersNotInitialized",
                   "containers with incomplete status: [i1 i2]", "init");
        check_cond(st, POD_COND_READY_TO_START_CONTAINERS, false, NULL, NULL, "init");
        tap_ok(pod_status_find(st, "i2") == &st->init_containers[1], "init: find init container");
        tap_ok(pod_status_is_init(st, &st->init_containers[0]) && !pod_status_is_init(st, &st->containers[0]),
               "init: is_init");

        ctr_state_set_running(&st->init_containers[0].state, 2 * SEC);
        pod_status_refresh(&spec, st, 2 * SEC);
        tap_is_str(st->phase, "Pending", "init: Pending while i1 runs");
        check_cond(st, POD_COND_READY_TO_START_CONTAINERS, true, NULL, NULL, "init running");

        init_exit(&st->init_containers[0], 0);
        pod_status_refresh(&spec, st, 3 * SEC);
        check_cond(st, POD_COND_INITIALIZED, false, "ContainersNotInitialized",
                   "containers with incomplete status: [i2]", "i1 done");
        init_exit(&st->init_containers[1], 0);
        pod_status_refresh(&spec, st, 4 * SEC);
        check_cond(st, POD_COND_INITIALIZED, true, NULL, NULL, "all init done");
        tap_is_int(st->conditions[POD_COND_INITIALIZED].last_transition, 4 * SEC, "init: Initialized flip time");
        tap_is_str(st->phase, "Pending", "init: Pending until main starts");
        ctr_state_set_running(&st->containers[0].state, 5 * SEC);
        pod_status_refresh(&spec, st, 5 * SEC);
        tap_is_str(st->phase, "Running", "init: Running");
        pod_status_free(st);

        for (int p = 0; p < 3; p++) {
                static const char *want[] = {"Pending", "Pending", "Failed"};
                char name[64];

                spec.restart_policy = (enum pod_restart_policy)p;
                st = init_status(&spec);
                init_exit(&st->init_containers[0], 1);
                snprintf(name, sizeof(name), "init: failed init container, policy %d", p);
                tap_is_str(pod_phase_compute(&spec, st), want[p], name);
                ctr_state_copy(&st->init_containers[0].last_state, &st->init_containers[0].state);
                ctr_state_set_waiting(&st->init_containers[0].state, "CrashLoopBackOff", "back-off 10s");
                snprintf(name, sizeof(name), "init: init in back-off, policy %d", p);
                tap_is_str(pod_phase_compute(&spec, st), want[p], name);
                pod_status_free(st);
        }

        spec.restart_policy = POD_RESTART_NEVER;
        st = init_status(&spec);
        init_exit(&st->init_containers[0], 0);
        init_exit(&st->init_containers[1], 0);
        set_states(st, "S");
        pod_status_refresh(&spec, st, 6 * SEC);
        tap_is_str(st->phase, "Succeeded", "init: Succeeded");
        check_cond(st, POD_COND_INITIALIZED, true, "PodCompleted", NULL, "succeeded with init");
        pod_status_set_init_containers(st, NULL, 0);
        tap_ok(st->n_init_containers == 0 && !st->init_containers, "init: cleared");
        pod_status_free(st);
}

static void test_backoff(void)
{
        static const int64_t want[] = {0, 10, 20, 40, 80, 160, 300, 300};
        struct pod_backoff b = {0};
        int64_t now = 1000 * SEC;

        for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
                char name[64];

                snprintf(name, sizeof(name), "backoff crash %zu: %llds", i + 1, (long long)want[i]);
                tap_is_int(pod_backoff_next(&b, now, 1 * SEC) / SEC, want[i], name);
                now += b.delay_ns + 1 * SEC;
        }
        tap_is_int(pod_backoff_next(&b, now, 600 * SEC), 0, "backoff: reset after a 10 min run");
        tap_is_int(pod_backoff_next(&b, now + SEC, SEC) / SEC, 10, "backoff: then 10 s again");
        tap_is_int(pod_backoff_next(&b, now + 2 * SEC, SEC) / SEC, 20, "backoff: then 20 s");
        tap_is_int(pod_backoff_next(&b, now + 700 * SEC, SEC), 0,
                   "backoff: reset 10 min after the last crash");
        tap_is_int(pod_backoff_next(&b, now + 701 * SEC, 599 * SEC) / SEC, 10,
                   "backoff: a 599 s run does not reset");
}

static void test_helpers(void)
{
        struct ctr_state a = {0}, b = {0};

        tap_is_int(pod_condition_type_from_name("ContainersReady"), POD_COND_CONTAINERS_READY,
                   "condition type from name");
        tap_ok(pod_condition_type_from_name("Bogus") < 0, "unknown condition type");
        tap_ok(pod_phase_is_terminal("Failed") && !pod_phase_is_terminal("Running"), "terminal phases");
        ctr_state_set_terminated(&a, 137, 9, NULL, "bye", SEC, 2 * SEC, "podfs://x");
        tap_is_str(a.reason, "Error", "terminated default reason Error");
        ctr_state_copy(&b, &a);
        tap_is_str(b.container_id, "podfs://x", "copy container id");
        tap_is_int(b.signal, 9, "copy signal");
        ctr_state_set_terminated(&a, 0, 0, NULL, NULL, SEC, 2 * SEC, NULL);
        tap_is_str(a.reason, "Completed", "terminated default reason Completed");
        ctr_state_clear(&a);
        ctr_state_clear(&b);
}

/* Issue 8: lookups by name go through an index; replacing the init
 * containers drops it (no stale name survives). */
static void test_find_index(void)
{
        struct pod_container init[2] = {
                {.name = (char *)"i0", .image = (char *)"busybox"},
                {.name = (char *)"i1", .image = (char *)"busybox"},
        };
        struct pod_spec spec = make_spec(3, POD_RESTART_ALWAYS);
        struct pod_status *st = pod_status_new(&spec, 1);

        tap_ok(pod_status_find(st, "c") == &st->containers[2], "container c found");
        tap_ok(!pod_status_find(st, "i1"), "no init container yet");
        pod_status_set_init_containers(st, init, 2);
        tap_ok(pod_status_find(st, "i1") == &st->init_containers[1], "init container i1 found after they were set");
        tap_ok(pod_status_find(st, "a") == &st->containers[0], "container a still found");
        pod_status_set_init_containers(st, init, 1);
        tap_ok(!pod_status_find(st, "i1") && pod_status_find(st, "i0") == &st->init_containers[0],
               "replaced init containers: i1 gone, i0 found");
        tap_ok(!pod_status_find(NULL, "a"), "no status: nothing found");
        pod_status_free(st);
}

/* Native sidecars: kubelet's getPhase and conditions for restartable init containers. */
static void test_sidecar(void)
{
        struct pod_container ics[2] = {
                {.name = (char *)"side", .image = (char *)"busybox", .restart_policy = (char *)"Always"},
                {.name = (char *)"i2", .image = (char *)"busybox"},
        };
        struct pod_spec spec = make_spec(1, POD_RESTART_NEVER);
        struct pod_status *st;
        struct ctr_status *sc;

        spec.init_containers = ics;
        spec.n_init_containers = 2;
        st = pod_status_new(&spec, SEC);
        pod_status_set_init_containers(st, ics, 2);
        sc = &st->init_containers[0];
        ctr_state_set_running(&sc->state, 2 * SEC);
        pod_status_refresh(&spec, st, 2 * SEC);
        tap_is_str(st->phase, "Pending", "sidecar: running, not started: Pending");
        check_cond(st, POD_COND_INITIALIZED, false, "ContainersNotInitialized",
                   "containers with incomplete status: [side i2]", "sidecar not started");
        sc->started = true;
        init_exit(&st->init_containers[1], 0);
        pod_status_refresh(&spec, st, 3 * SEC);
        check_cond(st, POD_COND_INITIALIZED, true, NULL, NULL, "sidecar started, i2 done");
        tap_is_str(st->phase, "Pending", "sidecar: Pending until the app starts");
        ctr_state_set_running(&st->containers[0].state, 4 * SEC);
        pod_status_refresh(&spec, st, 4 * SEC);
        check_cond(st, POD_COND_READY, false, "ContainersNotReady", "containers with unready status: [side a]",
                   "sidecar unready");
        sc->ready = true;
        st->containers[0].ready = true;
        pod_status_refresh(&spec, st, 5 * SEC);
        check_cond(st, POD_COND_READY, true, NULL, NULL, "all ready");
        set_states(st, "S");
        pod_status_refresh(&spec, st, 6 * SEC);
        tap_is_str(st->phase, "Running", "sidecar: app done, sidecar running: Running");
        ctr_state_set_terminated(&sc->state, 143, 0, "Error", NULL, 2 * SEC, 7 * SEC, NULL);
        tap_is_str(pod_phase_compute(&spec, st), "Succeeded", "sidecar: its exit code does not count");
        set_states(st, "F");
        tap_is_str(pod_phase_compute(&spec, st), "Failed", "sidecar: a failed app container fails the pod");
        ctr_state_copy(&sc->last_state, &sc->state);
        ctr_state_set_waiting(&sc->state, "CrashLoopBackOff", "back-off 10s");
        spec.restart_policy = POD_RESTART_ALWAYS;
        set_states(st, "R");
        tap_is_str(pod_phase_compute(&spec, st), "Running", "sidecar: in back-off after a run: Running");
        pod_status_free(st);
}

/* Pod-level resources decide the QoS class alone (KEP-2837). */
static void test_pod_level_qos(void)
{
        struct pod_container pr = {.cpu_limit = (char *)"1", .memory_limit = (char *)"64Mi"};
        struct pod_spec spec = make_spec(1, POD_RESTART_ALWAYS);
        struct pod_status *st;

        spec.pod_resources = &pr;
        st = pod_status_new(&spec, SEC);
        tap_is_str(st->qos_class, "Guaranteed", "pod-level limits only: Guaranteed");
        pod_status_free(st);
        pr.memory_limit = NULL;
        st = pod_status_new(&spec, SEC);
        tap_is_str(st->qos_class, "Burstable", "pod-level cpu only: Burstable");
        pod_status_free(st);
}

int main(void)
{
        test_phase_table();
        test_new();
        test_refresh();
        test_init();
        test_sidecar();
        test_pod_level_qos();
        test_backoff();
        test_helpers();
        test_find_index();
        return tap_done();
}
