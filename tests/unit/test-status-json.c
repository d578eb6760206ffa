/* Unit tests for the .status JSON shape: exact strings, round trip through
 * the emitter and parser, and (when installed) the Kubernetes models check. */
#include <string.h>
#include <sys/wait.h>
#include "pfs/status.h"
#include "pfs/util.h"
#include "tap.h"

#define SEC 1000000000LL
#define T0 (1795362048LL * SEC) /* 2026-11-22T15:40:48Z */

static struct pod_container ctrs[2] = {
        {.name = (char *)"app", .image = (char *)"busybox:1.36"},
        {.name = (char *)"side", .image = (char *)"busybox"},
};

static struct pod_spec spec = {.name = (char *)"web", .namespace = (char *)"default",
                               .containers = ctrs, .n_containers = 2,
                               .restart_policy = POD_RESTART_ALWAYS};

/* A status with every kind of state: running, waiting after a crash. */
static struct pod_status *sample(void)
{
        struct pod_status *st = pod_status_new(&spec, T0);
        struct ctr_status *a = &st->containers[0], *b = &st->containers[1];

        free(st->host_ip);
        st->host_ip = xstrdup("10.0.0.5");
        st->pod_ip = xstrdup("10.0.0.5");
        ctr_state_set_running(&a->state, T0 + 2 * SEC);
        a->ready = a->started = true;
        a->image_id = xstrdup("podfs:///var/lib/podfs/images/busybox:1.36");
        a->container_id = xstrdup("podfs://0123abcd");
        ctr_state_set_waiting(&b->state, "CrashLoopBackOff",
                              "back-off 10s restarting failed container=side pod=web_default(u)");
        ctr_state_set_terminated(&b->last_state, 137, 9, NULL, "killed", T0 + SEC, T0 + 3 * SEC,
                                 "podfs://4567ef");
        b->restart_count = 1;
        pod_status_refresh(&spec, st, T0 + 4 * SEC);
        return st;
}

static bool conform_available(void)
{
        return access("/usr/bin/python3", X_OK) == 0 &&
               system("/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1") == 0;
}

/* The Kubernetes models checker: $K8S_CONFORM, else k8s-conform in $PATH,
 * else the one beside the repo (as tests/integration/lib.sh finds it). */
static char *conform_tool(void)
{
        const char *t = getenv("K8S_CONFORM"), *current = getenv("K8S_CONFORM_CURRENT");
        const char *path = getenv("PATH");
        _cleanup_free_ char *copy = xstrdup(path ? path : "");
        char *save = NULL, *c;

        if (t && access(t, X_OK) == 0)
                return xstrdup(t);
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
                c = xasprintf("%s/k8s-conform", d);
                if (access(c, X_OK) == 0)
                        return c;
                free(c);
        }
        if (!current)
                return NULL;
        /* CURRENT is TOP/tests/k8s-conform-current: TOP/../shared/tools/k8s-conform */
        const char *slash = strrchr(current, '/');

        c = xasprintf("%.*s/../../shared/tools/k8s-conform", (int)(slash ? slash - current : 0), current);
        if (access(c, X_OK) == 0)
                return c;
        free(c);
        return NULL;
}

static void check_conform(const char *json)
{
        _cleanup_free_ char *tool = conform_tool();
        char path[] = "/tmp/podfs-status-XXXXXX";
        _cleanup_free_ char *cmd = NULL;
        int fd, rc;

        if (!tool || !conform_available()) {
                tap_ok(true, "k8s-conform # SKIP k8s-conform or python3-kubernetes not found");
                return;
        }
        fd = mkstemp(path);
        if (fd < 0 || write(fd, json, strlen(json)) < 0) {
                tap_ok(false, "write temp file");
                return;
        }
        close(fd);
        /* through the wrapper that knows the v1 fields newer than the checker's models */
        if (getenv("K8S_CONFORM_CURRENT"))
                cmd = xasprintf("K8S_CONFORM_TOOL='%s' /usr/bin/python3 '%s' --kind PodStatus '%s'", tool,
                                getenv("K8S_CONFORM_CURRENT"), path);
        else
                cmd = xasprintf("/usr/bin/python3 '%s' --kind PodStatus '%s'", tool, path);
        rc = system(cmd);
        unlink(path);
        tap_ok(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "k8s-conform --kind PodStatus");
}

static void test_shape(void)
{
        struct pod_status *st = sample();
        struct yval *y = pod_status_to_yval(st);
        struct pfs_buf out = {0};

        yval_emit_json(y, false, &out);
        tap_ok(strstr(out.data, "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"PodReadyToStartContainers\","
                                "\"status\":\"True\",\"lastProbeTime\":null,"
                                "\"lastTransitionTime\":\"2026-11-22T15:40:52Z\"}") == out.data,
               "json starts with phase and conditions");
        tap_ok(strstr(out.data, "{\"type\":\"Ready\",\"status\":\"False\",\"lastProbeTime\":null,"
                                "\"lastTransitionTime\":\"2026-11-22T15:40:48Z\",\"reason\":\"ContainersNotReady\","
                                "\"message\":\"containers with unready status: [side]\"}") != NULL,
               "Ready condition");
        tap_ok(strstr(out.data, "\"hostIP\":\"10.0.0.5\",\"hostIPs\":[{\"ip\":\"10.0.0.5\"}],\"podIP\":\"10.0.0.5\","
                                "\"podIPs\":[{\"ip\":\"10.0.0.5\"}],"
                                "\"startTime\":\"2026-11-22T15:40:48Z\"") != NULL, "ips and startTime");
        tap_ok(strstr(out.data, "{\"name\":\"app\",\"state\":{\"running\":{\"startedAt\":\"2026-11-22T15:40:50Z\"}},"
                                "\"lastState\":{},\"ready\":true,\"restartCount\":0,\"image\":\"busybox:1.36\","
                                "\"imageID\":\"podfs:///var/lib/podfs/images/busybox:1.36\","
                                "\"containerID\":\"podfs://0123abcd\",\"started\":true}") != NULL,
               "running container status");
        tap_ok(strstr(out.data, "\"lastState\":{\"terminated\":{\"exitCode\":137,\"signal\":9,\"reason\":\"Error\","
                                "\"message\":\"killed\",\"startedAt\":\"2026-11-22T15:40:49Z\","
                                "\"finishedAt\":\"2026-11-22T15:40:51Z\",\"containerID\":\"podfs://4567ef\"}}") != NULL,
               "terminated last state");
        tap_ok(strstr(out.data, "\"imageID\":\"\",\"started\":false}],\"qosClass\":\"BestEffort\"}") != NULL,
               "empty imageID, no containerID, qosClass last");
        pfs_buf_free(&out);
        yval_emit_json(y, true, &out);
        check_conform(out.data);
        pfs_buf_free(&out);
        yval_free(y);
        pod_status_free(st);
}

static void parse(const char *text, struct ydoc **docs, size_t *n)
{
        struct pfs_error err = {0};

        if (yval_parse_stream(text, strlen(text), docs, n, &err) < 0 || *n == 0)
                abort();
}

static void test_round_trip(void)
{
        struct pod_status *st = sample(), *back = NULL;
        struct yval *y = pod_status_to_yval(st), *y2;
        struct pfs_buf a = {0}, b = {0};
        struct pfs_error err = {0};
        struct ydoc *docs = NULL;
        size_t n = 0;

        yval_emit_json(y, true, &a);
        tap_is_int(yval_parse_stream(a.data, a.len, &docs, &n, &err), 0, "parse emitted json");
        tap_is_int(pod_status_from_yval(docs[0].root, &back, &err), 0, "status from yval");
        y2 = pod_status_to_yval(back);
        yval_emit_json(y2, true, &b);
        tap_is_str(b.data, a.data, "round trip is identical");
        tap_is_int(back->containers[1].last_state.signal, 9, "round trip: signal");
        tap_is_int(back->containers[1].restart_count, 1, "round trip: restartCount");
        tap_ok(back->conditions[POD_COND_READY].present && !back->conditions[POD_COND_READY].status,
               "round trip: Ready False");
        tap_is_int(back->conditions[POD_COND_READY_TO_START_CONTAINERS].last_transition, T0 + 4 * SEC,
                   "round trip: transition time");
        yval_free(y2);
        pod_status_free(back);
        ydoc_free_array(docs, n);

        docs = NULL;
        parse("{\"conditions\":[]}", &docs, &n);
        tap_ok(pod_status_from_yval(docs[0].root, &back, &err) < 0, "status without phase rejected");
        ydoc_free_array(docs, n);
        docs = NULL;
        parse("{\"phase\":\"Running\",\"startTime\":\"noon\"}", &docs, &n);
        tap_ok(pod_status_from_yval(docs[0].root, &back, &err) < 0, "bad time rejected: %s", err.msg);
        ydoc_free_array(docs, n);
        pfs_buf_free(&a);
        pfs_buf_free(&b);
        yval_free(y);
        pod_status_free(st);
}

static void test_yaml(void)
{
        struct pod_status *st = pod_status_new(&spec, T0);
        struct yval *y = pod_status_to_yval(st);
        struct pfs_buf out = {0};

        yval_emit_yaml(y, &out);
        tap_ok(strncmp(out.data, "phase: Pending\n", 15) == 0, "yaml starts with phase");
        tap_ok(strstr(out.data, "reason: ContainerCreating") != NULL, "yaml ContainerCreating");
        pfs_buf_free(&out);
        yval_free(y);
        pod_status_free(st);
}

/* What an API server serves carries fields podfs does not model: ignored. */
static void test_foreign(void)
{
        static const char text[] =
                "phase: Running\n"
                "conditions:\n"
                "- type: Ready\n"
                "  status: \"True\"\n"
                "  lastProbeTime: null\n"
                "  lastTransitionTime: \"2026-11-22T15:40:48Z\"\n"
                "- type: DisruptionTarget\n"
                "  status: \"True\"\n"
                "hostIP: 10.1.2.3\n"
                "hostIPs:\n"
                "- ip: 10.1.2.3\n"
                "containerStatuses:\n"
                "- name: app\n"
                "  state:\n"
                "    running:\n"
                "      startedAt: \"2026-11-22T15:40:50Z\"\n"
                "  lastState: {}\n"
                "  ready: true\n"
                "  restartCount: 4\n"
                "  image: busybox\n"
                "  imageID: \"\"\n"
                "  started: true\n"
                "  volumeMounts: []\n";
        struct pod_status *st = NULL;
        struct pfs_error err = {0};
        struct ydoc *docs = NULL;
        size_t n = 0;

        parse(text, &docs, &n);
        tap_is_int(pod_status_from_yval(docs[0].root, &st, &err), 0, "foreign fields ignored");
        ydoc_free_array(docs, n);
        if (!st)
                return;
        tap_is_str(st->host_ip, "10.1.2.3", "foreign: hostIP");
        tap_ok(st->conditions[POD_COND_READY].present && st->conditions[POD_COND_READY].status,
               "foreign: Ready True");
        tap_ok(!st->conditions[POD_COND_SCHEDULED].present, "foreign: absent condition stays absent");
        tap_is_int(st->containers[0].restart_count, 4, "foreign: restartCount");
        tap_is_int(st->containers[0].state.started_at, T0 + 2 * SEC, "foreign: startedAt");
        tap_ok(st->containers[0].last_state.kind == CTR_STATE_NONE, "foreign: no last state");
        tap_ok(st->containers[0].image_id == NULL, "foreign: empty imageID reads as none");
        pod_status_free(st);

        parse("{\"phase\":\"Running\",\"containerStatuses\":[{\"ready\":true}]}", &docs, &n);
        tap_ok(pod_status_from_yval(docs[0].root, &st, &err) < 0, "container without name rejected");
        ydoc_free_array(docs, n);
}

static void test_init_json(void)
{
        struct pod_container init = {.name = (char *)"setup", .image = (char *)"busybox"};
        struct pod_status *st = pod_status_new(&spec, T0), *back = NULL;
        struct yval *y, *y2;
        struct pfs_buf a = {0}, b = {0};
        struct pfs_error err = {0};
        struct ydoc *docs = NULL;
        size_t n = 0;

        pod_status_set_init_containers(st, &init, 1);
        ctr_state_set_running(&st->init_containers[0].state, T0 + SEC);
        pod_status_refresh(&spec, st, T0 + SEC);
        y = pod_status_to_yval(st);
        yval_emit_json(y, false, &a);
        tap_ok(strstr(a.data, "\"startTime\":\"2026-11-22T15:40:48Z\",\"initContainerStatuses\":[{\"name\":\"setup\","
                              "\"state\":{\"running\":") != NULL, "initContainerStatuses after startTime");
        tap_ok(strstr(a.data, "\"reason\":\"ContainersNotInitialized\",\"message\":\"containers with "
                              "incomplete status: [setup]\"") != NULL, "Initialized False message");
        tap_ok(strstr(a.data, "{\"waiting\":{\"reason\":\"PodInitializing\"}}") != NULL, "PodInitializing");
        pfs_buf_free(&a);
        yval_emit_json(y, true, &a);
        check_conform(a.data);
        parse(a.data, &docs, &n);
        tap_is_int(pod_status_from_yval(docs[0].root, &back, &err), 0, "init: from yval");
        tap_is_int((long long)back->n_init_containers, 1, "init: one init status back");
        y2 = pod_status_to_yval(back);
        yval_emit_json(y2, true, &b);
        tap_is_str(b.data, a.data, "init: round trip identical");
        ydoc_free_array(docs, n);
        pfs_buf_free(&a);
        pfs_buf_free(&b);
        yval_free(y);
        yval_free(y2);
        pod_status_free(st);
        pod_status_free(back);
}

/* A pod refused by admission: rejectPod's status, phase, reason, message and
 * startTime, nothing else; read back, it stays so. */
static void test_rejected(void)
{
        struct pod_status *st = pod_status_new(&spec, T0), *back = NULL;
        struct pfs_buf a = {0}, b = {0};
        struct pfs_error err = {0};
        struct ydoc *docs = NULL;
        struct yval *y, *y2;
        size_t n = 0;

        st->rejected = true;
        free(st->phase);
        st->phase = xstrdup("Failed");
        st->reason = xstrdup("NodeName");
        st->message = xstrdup("Pod was rejected: x");
        y = pod_status_to_yval(st);
        yval_emit_json(y, false, &a);
        tap_is_str(a.data, "{\"phase\":\"Failed\",\"message\":\"Pod was rejected: x\",\"reason\":\"NodeName\","
                           "\"startTime\":\"2026-11-22T15:40:48Z\"}", "rejected: only phase, message, reason, startTime");
        parse(a.data, &docs, &n);
        tap_is_int(pod_status_from_yval(docs[0].root, &back, &err), 0, "rejected: from yval");
        tap_ok(back->rejected && back->n_containers == 0, "rejected: read back as rejected");
        y2 = pod_status_to_yval(back);
        yval_emit_json(y2, false, &b);
        tap_is_str(b.data, a.data, "rejected: round trip identical");
        ydoc_free_array(docs, n);
        pfs_buf_free(&a);
        pfs_buf_free(&b);
        yval_free(y);
        yval_free(y2);
        pod_status_free(st);
        pod_status_free(back);
}

/* observedGeneration (1.34): first on the status, after type on every
 * condition; read back; not on a rejected pod. */
static void test_observed_generation(void)
{
        struct pod_status *st = sample(), *back = NULL;
        struct pfs_error err = {0};
        struct pfs_buf out = {0};
        struct ydoc *docs = NULL;
        struct yval *y;
        size_t n = 0;

        st->observed_generation = 2;
        y = pod_status_to_yval(st);
        yval_emit_json(y, false, &out);
        tap_ok(strstr(out.data, "{\"observedGeneration\":2,\"phase\":\"Running\",\"conditions\":[{\"type\":"
                                "\"PodReadyToStartContainers\",\"observedGeneration\":2,\"status\":\"True\",") == out.data,
               "observedGeneration: first on the status and after type on a condition");
        tap_ok(strstr(out.data, "{\"type\":\"Ready\",\"observedGeneration\":2,\"status\":\"False\"") != NULL,
               "observedGeneration: on Ready");
        parse(out.data, &docs, &n);
        tap_is_int(pod_status_from_yval(docs[0].root, &back, &err), 0, "observedGeneration: read back");
        tap_is_int(back ? back->observed_generation : -1, 2, "observedGeneration: its value read back");
        ydoc_free_array(docs, n);
        pod_status_free(back);
        pfs_buf_free(&out);
        yval_emit_json(y, true, &out);
        check_conform(out.data);
        pfs_buf_free(&out);
        yval_free(y);
        pod_status_condition_set(st, POD_COND_RESIZE_IN_PROGRESS, true, NULL, NULL, T0);
        st->conditions[POD_COND_RESIZE_IN_PROGRESS].observed_generation = 1;
        y = pod_status_to_yval(st);
        yval_emit_json(y, false, &out);
        tap_ok(strstr(out.data, "{\"type\":\"PodResizeInProgress\",\"observedGeneration\":1,") != NULL,
               "observedGeneration: a resize in progress keeps its resize's generation");
        parse(out.data, &docs, &n);
        back = NULL;
        tap_is_int(pod_status_from_yval(docs[0].root, &back, &err), 0, "observedGeneration: read back (resize)");
        tap_is_int(back ? back->conditions[POD_COND_RESIZE_IN_PROGRESS].observed_generation : -1, 1,
                   "observedGeneration: the resize condition's read back");
        tap_is_int(back ? back->conditions[POD_COND_READY].observed_generation : -1, 0,
                   "observedGeneration: Ready's is the status's");
        ydoc_free_array(docs, n);
        pod_status_free(back);
        pfs_buf_free(&out);
        yval_free(y);
        st->rejected = true;
        y = pod_status_to_yval(st);
        yval_emit_json(y, false, &out);
        tap_ok(strstr(out.data, "{\"observedGeneration\":2,\"phase\":") == out.data,
               "observedGeneration: on a rejected pod too (SetPodStatus)");
        pfs_buf_free(&out);
        yval_free(y);
        st->rejected = false;
        st->gated = true;
        y = pod_status_to_yval(st);
        yval_emit_json(y, false, &out);
        tap_ok(!strstr(out.data, "observedGeneration"), "observedGeneration: not on a gated pod");
        pfs_buf_free(&out);
        yval_free(y);
        pod_status_free(st);
}

/* A dual-stack pod: podIP the IPv4 address, podIPs both (IPv4 first), read back. */
static void test_dual_stack(void)
{
        struct pod_status *st = sample(), *back = NULL;
        struct pfs_error err = {0};
        struct pfs_buf out = {0};
        struct ydoc *docs = NULL;
        struct yval *y;
        size_t n = 0;

        free(st->pod_ip);
        st->pod_ip = xstrdup("10.85.0.7");
        st->pod_ip2 = xstrdup("fd85::7");
        y = pod_status_to_yval(st);
        yval_emit_json(y, false, &out);
        tap_ok(strstr(out.data,
                      "\"podIP\":\"10.85.0.7\",\"podIPs\":[{\"ip\":\"10.85.0.7\"},{\"ip\":\"fd85::7\"}],") != NULL,
               "dual-stack: podIPs has both, IPv4 first");
        parse(out.data, &docs, &n);
        tap_is_int(pod_status_from_yval(docs[0].root, &back, &err), 0, "dual-stack: read back");
        tap_is_str(back ? back->pod_ip2 : NULL, "fd85::7", "dual-stack: the second podIP read back");
        ydoc_free_array(docs, n);
        pod_status_free(back);
        pfs_buf_free(&out);
        yval_free(y);
        pod_status_free(st);
}

int main(void)
{
        test_rejected();
        test_init_json();
        test_foreign();
        test_shape();
        test_round_trip();
        test_dual_stack();
        test_observed_generation();
        test_yaml();
        return tap_done();
}
