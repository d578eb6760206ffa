/* Updates of a running pod (spec_update.c): what a rewrite is (nothing, an
 * update in place: metadata, images, a resize; or a replacement), the QoS
 * refusal of a resize, and resizePolicy's validation in the API server's words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/spec.h"
#include "pfs/util.h"
#include "tap.h"

static struct pod_spec *parse(const char *yaml, char **ret_err)
{
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL, *s;
        size_t n = 0;

        if (ret_err)
                *ret_err = NULL;
        if (pod_manifest_parse(yaml, strlen(yaml), "t.yaml", "default", NULL, &pods, &n, &err) < 0) {
                if (ret_err)
                        *ret_err = xstrdup(err.msg);
                else
                        printf("# unexpected error: %s\n", err.msg);
                return NULL;
        }
        s = pods[0];
        pods[0] = NULL;
        pod_spec_free_array(pods, n);
        return s;
}

/* A pod: PRE (pod-level lines), the container's extra lines CTR, an init container INIT ("" = none). */
static char *pod(const char *pre, const char *ctr, const char *init)
{
        return xasprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n%s%s  containers:\n"
                         "  - name: c\n    image: busybox\n%s",
                         pre, init, ctr);
}

#define BURST "    resources:\n      requests: {cpu: 100m, memory: 64Mi}\n      limits: {cpu: 200m, memory: 128Mi}\n"
#define BURST2 "    resources:\n      requests: {cpu: 150m, memory: 64Mi}\n      limits: {cpu: \"1\", memory: 256Mi}\n"
#define GUAR "    resources:\n      limits: {cpu: 200m, memory: 128Mi}\n"
#define GUAR2 "    resources:\n      limits: {cpu: 500m, memory: 100Mi}\n"
#define GUAR_REQ "    resources:\n      requests: {cpu: 100m, memory: 128Mi}\n      limits: {cpu: 200m, memory: 128Mi}\n"
#define CPU_ONLY "    resources:\n      limits: {cpu: 200m}\n"
#define SIDE(res) "  initContainers:\n  - name: s\n    image: busybox\n    restartPolicy: Always\n" res
#define INIT(res) "  initContainers:\n  - name: i\n    image: busybox\n" res

static void check(const char *name, const char *pre_a, const char *ctr_a, const char *init_a, const char *pre_b,
                  const char *ctr_b, const char *init_b, enum pod_update_kind want, const char *want_error)
{
        _cleanup_free_ char *ya = pod(pre_a, ctr_a, init_a), *yb = pod(pre_b, ctr_b, init_b), *error = NULL;
        struct pod_spec *a = parse(ya, NULL), *b = parse(yb, NULL);
        enum pod_update_kind k = a && b ? pod_spec_update_kind(a, b, &error) : (enum pod_update_kind)-1;

        tap_ok(k == want, "%s: kind %d (want %d)", name, (int)k, (int)want);
        tap_is_str(error, want_error, name);
        if (want == POD_UPDATE_IN_PLACE && !want_error)
                tap_ok(a && b && pod_spec_same_but_updatable(a, b), "%s: updatable", name);
        pod_spec_free(a);
        pod_spec_free(b);
}

static void test_classify(void)
{
        check("identical", "", BURST, "", "", BURST, "", POD_UPDATE_NONE, NULL);
        check("same quantities spelled otherwise", "", BURST, "",
              "", "    resources:\n      requests: {cpu: \"0.1\", memory: 64Mi}\n      limits: {cpu: 200m, memory: 128Mi}\n",
              "", POD_UPDATE_NONE, NULL);
        check("image", "", "", "", "", "    imagePullPolicy: IfNotPresent\n", "", POD_UPDATE_REPLACE, NULL);
        check("resize burstable", "", BURST, "", "", BURST2, "", POD_UPDATE_IN_PLACE, NULL);
        check("resize guaranteed", "", GUAR, "", "", GUAR2, "", POD_UPDATE_IN_PLACE, NULL);
        check("a limit added", "", "    resources:\n      requests: {cpu: 100m}\n      limits: {cpu: 200m}\n", "", "",
              "    resources:\n      requests: {cpu: 100m}\n      limits: {cpu: 200m, memory: 64Mi}\n", "",
              POD_UPDATE_IN_PLACE, NULL);
        check("a limit removed", "", BURST, "", "",
              "    resources:\n      requests: {cpu: 100m, memory: 64Mi}\n      limits: {cpu: 200m}\n", "",
              POD_UPDATE_REPLACE, NULL);
        check("guaranteed to burstable", "", GUAR, "", "", GUAR_REQ, "", POD_UPDATE_IN_PLACE,
              "spec: Invalid value: \"Guaranteed\": Pod QOS Class may not change as a result of resizing");
        check("best-effort to burstable", "", "", "", "", CPU_ONLY, "", POD_UPDATE_IN_PLACE,
              "spec: Invalid value: \"BestEffort\": Pod QOS Class may not change as a result of resizing");
        check("ephemeral-storage", "", BURST, "", "",
              "    resources:\n      requests: {cpu: 100m, memory: 64Mi, ephemeral-storage: 1Gi}\n"
              "      limits: {cpu: 200m, memory: 128Mi}\n",
              "", POD_UPDATE_REPLACE, NULL);
        check("a sidecar's resize", "", BURST, SIDE(BURST), "", BURST, SIDE(BURST2), POD_UPDATE_IN_PLACE, NULL);
        check("an init container's resources", "", BURST, INIT(BURST), "", BURST, INIT(BURST2),
              POD_UPDATE_REPLACE, NULL);
        check("an init container's image", "", BURST, INIT(""), "", BURST,
              "  initContainers:\n  - name: i\n    image: busybox:1.36\n", POD_UPDATE_IN_PLACE, NULL);
        check("pod-level resources", "  resources:\n    limits: {cpu: \"1\"}\n", BURST, "",
              "  resources:\n    limits: {cpu: \"1\"}\n", BURST2, "", POD_UPDATE_REPLACE, NULL);
        check("resizePolicy changed", "", BURST, "", "",
              BURST "    resizePolicy:\n    - {resourceName: cpu, restartPolicy: RestartContainer}\n", "",
              POD_UPDATE_REPLACE, NULL);
        check("a command", "", BURST, "", "", BURST "    command: [sh]\n", "", POD_UPDATE_REPLACE, NULL);
        check("deadline and resize", "", BURST, "", "  activeDeadlineSeconds: 30\n", BURST2, "",
              POD_UPDATE_IN_PLACE, NULL);
}

/* An image change (its defaulted pull policy follows) is in place. */
static void test_image(void)
{
        static const char a[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                                "  - {name: c, image: busybox:1}\n  - {name: d, image: busybox:1}\n";
        static const char b[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                                "  - {name: c, image: busybox}\n  - {name: d, image: busybox:1}\n";
        static const char c[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                                "  - {name: c, image: busybox:1}\n  - {name: e, image: busybox:1}\n";
        struct pod_spec *pa = parse(a, NULL), *pb = parse(b, NULL), *pc = parse(c, NULL);

        tap_ok(pa && pb && pod_spec_update_kind(pa, pb, NULL) == POD_UPDATE_IN_PLACE,
               "image: another tag (pull policy re-defaulted) is in place");
        tap_ok(pa && pc && pod_spec_update_kind(pa, pc, NULL) == POD_UPDATE_REPLACE, "image: a renamed container is not");
        pod_spec_free(pa);
        pod_spec_free(pb);
        pod_spec_free(pc);
}

static void bad_policy(const char *policy, const char *pre, const char *want)
{
        _cleanup_free_ char *y = xasprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n%s  containers:\n"
                                           "  - name: c\n    image: busybox\n    resizePolicy:\n%s",
                                           pre, policy);
        char *error = NULL;
        struct pod_spec *s = parse(y, &error);

        tap_ok(!s, "resizePolicy refused: %s", want);
        tap_ok(error && strstr(error, want), "message: %s", error ? error : "(none)");
        if (error && !strstr(error, want))
                printf("# want: %s\n", want);
        free(error);
        pod_spec_free(s);
}

static void test_policy(void)
{
        _cleanup_free_ char *y = pod("", BURST "    resizePolicy:\n    - {resourceName: cpu, restartPolicy: NotRequired}\n"
                                            "    - {resourceName: memory, restartPolicy: RestartContainer}\n", "");
        struct pod_spec *s = parse(y, NULL);
        struct yval *v = s ? pod_spec_to_yval(s) : NULL;
        const struct yval *l = yval_map_get(yval_map_get(v, "containers")->list.items[0], "resizePolicy");

        tap_ok(s && !strcmp(pod_container_resize_policy(&s->containers[0], false), "NotRequired"), "policy: cpu");
        tap_ok(s && !strcmp(pod_container_resize_policy(&s->containers[0], true), "RestartContainer"), "policy: memory");
        tap_ok(l && l->type == YVAL_LIST && l->list.n == 2, "policy: shown in pod.json");
        yval_free(v);
        pod_spec_free(s);
        bad_policy("    - {resourceName: gpu, restartPolicy: NotRequired}\n", "",
                   "spec.containers[0].resizePolicy: Unsupported value: \"gpu\": supported values: \"cpu\", \"memory\"");
        bad_policy("    - {resourceName: cpu, restartPolicy: Sometimes}\n", "",
                   "spec.containers[0].resizePolicy: Unsupported value: \"Sometimes\": supported values: "
                   "\"NotRequired\", \"RestartContainer\"");
        bad_policy("    - {resourceName: cpu, restartPolicy: NotRequired}\n"
                   "    - {resourceName: cpu, restartPolicy: NotRequired}\n", "",
                   "spec.containers[0].resizePolicy[1]: Duplicate value: \"cpu\"");
        bad_policy("    - {resourceName: cpu}\n", "", "spec.containers[0].resizePolicy: Required value");
        bad_policy("    - {resourceName: memory, restartPolicy: RestartContainer}\n", "  restartPolicy: Never\n",
                   "spec.containers[0].resizePolicy: Invalid value: \"RestartContainer\": must be 'NotRequired' "
                   "when `restartPolicy` is 'Never'");
}

int main(void)
{
        test_classify();
        test_image();
        test_policy();
        return tap_done();
}
