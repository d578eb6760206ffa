/* Unit tests for the Node object (common/node.c): labels and taints files
 * (checked rewrites, persisted), node affinity and nodeSelector matching,
 * taint toleration, the object's shape. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pfs/node.h"
#include "pfs/sandbox_config.h"
#include "pfs/util.h"
#include "pfs/yval.h"
#include "tap.h"

#define HDR "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
#define CTR "  containers:\n  - {name: app, image: busybox}\n"

static struct pod_spec *pod(const char *extra)
{
        _cleanup_free_ char *y = xasprintf(HDR "%s" CTR, extra);
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL, *s;
        size_t n = 0;

        if (pod_manifest_parse(y, strlen(y), "t.yaml", "default", NULL, &pods, &n, &err) < 0) {
                printf("# %s\n", err.msg);
                return NULL;
        }
        s = pods[0];
        pods[0] = NULL;
        pod_spec_free_array(pods, n);
        return s;
}

static void check_match(const struct pfs_node *nd, const char *extra, bool want, const char *name)
{
        struct pod_spec *s = pod(extra);

        tap_ok(s && pfs_node_matches(nd, s) == want, "%s", name);
        pod_spec_free(s);
}

static void check_tol(const struct pfs_node *nd, const char *extra, bool want_untolerated, const char *name)
{
        struct pod_spec *s = pod(extra);

        tap_ok(s && (pfs_node_untolerated(nd, s) != NULL) == want_untolerated, "%s", name);
        pod_spec_free(s);
}

int main(void)
{
        char dir[] = "/tmp/podfs-test-node.XXXXXX";
        struct pfs_error err = { 0 };
        struct pfs_node *nd = NULL;
        _cleanup_free_ char *labels = NULL, *taints = NULL;
        struct yval *y;
        struct pfs_buf b = { 0 };
        int fd;

        if (!mkdtemp(dir))
                return 1;
        fd = open(dir, O_RDONLY | O_DIRECTORY);
        tap_is_int(pfs_node_labels_set(fd, "disktype=ssd\n# comment\n\nzone=a\n", 36, &err), 0, "labels set");
        tap_is_int(pfs_node_labels_set(fd, "bad key=x\n", 10, &err), -EINVAL, "a bad label key is refused");
        tap_ok(strstr(err.msg, "Node \"") && strstr(err.msg, "metadata.labels: Invalid value: \"bad key\""),
               "the API server's words: %s", err.msg);
        tap_is_int(pfs_node_taints_set(fd, "dedicated=gpu:NoSchedule\nmaint:NoExecute\n", 40, &err), 0, "taints set");
        err = (struct pfs_error){ 0 };
        tap_is_int(pfs_node_taints_set(fd, "a=b:Sometimes\n", 14, &err), -EINVAL, "a bad effect is refused");
        tap_ok(strstr(err.msg, "spec.taints[0].effect: Unsupported value: \"Sometimes\"") != NULL, "%s", err.msg);
        tap_is_int(pfs_node_load(fd, &nd, &err), 0, "node loads");
        tap_is_str(pfs_node_label(nd, "disktype"), "ssd", "user label");
        tap_is_str(pfs_node_label(nd, "kubernetes.io/os"), "linux", "built-in label");
        tap_is_str(pfs_node_label(nd, "kubernetes.io/hostname"), nd->name, "hostname label");
        tap_is_int((long long)nd->n_taints, 2, "two taints");
        labels = pfs_node_labels_text(nd);
        tap_ok(strstr(labels, "disktype=ssd\nzone=a\n") != NULL, "labels text");
        taints = pfs_node_taints_text(nd);
        tap_is_str(taints, "dedicated=gpu:NoSchedule\nmaint:NoExecute\n", "taints text");

        check_match(nd, "", true, "no selector matches");
        check_match(nd, "  nodeSelector: {disktype: ssd}\n", true, "nodeSelector matches");
        check_match(nd, "  nodeSelector: {disktype: hdd}\n", false, "nodeSelector does not match");
        check_match(nd, "  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
                    "[{matchExpressions: [{key: zone, operator: NotIn, values: [a]}]}, "
                    "{matchExpressions: [{key: disktype, operator: Exists}]}]}}}\n", true, "terms are ORed");
        check_match(nd, "  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
                    "[{matchExpressions: [{key: zone, operator: In, values: [a]}, {key: gpu, operator: Exists}]}]}}}\n",
                    false, "expressions are ANDed");
        check_match(nd, "  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
                    "[{matchFields: [{key: metadata.name, operator: In, values: [elsewhere]}]}]}}}\n", false,
                    "matchFields metadata.name");
        check_tol(nd, "", true, "untolerated taints");
        check_tol(nd, "  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]\n", true,
                  "NoExecute still untolerated");
        check_tol(nd, "  tolerations: [{key: dedicated, operator: Equal, value: gpu}, {key: maint, operator: Exists}]\n",
                  false, "both tolerated");
        check_tol(nd, "  tolerations: [{operator: Exists}]\n", false, "an empty key with Exists tolerates all");
        check_tol(nd, "  tolerations: [{key: dedicated, value: cpu}, {key: maint, operator: Exists}]\n", true,
                  "another value does not tolerate");

        y = pfs_node_to_yval(nd, fd, PFS_MAX_PODS_DEFAULT);
        yval_emit_json(y, false, &b);
        tap_ok(strstr(b.data, "\"kind\":\"Node\"") && strstr(b.data, "\"pods\":\"110\""), "node object");
        tap_ok(strstr(b.data, "\"taints\":[{\"effect\":\"NoSchedule\",\"key\":\"dedicated\",\"value\":\"gpu\"}") != NULL,
               "taints in spec");
        tap_ok(strstr(b.data, "\"reason\":\"KubeletReady\"") != NULL, "Ready condition");
        pfs_buf_free(&b);
        yval_free(y);
        pfs_node_free(nd);
        pfs_rm_rf_at(AT_FDCWD, dir, &err);
        close(fd);
        return tap_done();
}
