/* Unit tests of the downward API: fieldRef values (the labels/annotations
 * file format with Go's %q quoting) and resourceFieldRef with divisors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/downward.h"
#include "pfs/util.h"
#include "tap.h"

static const char *field(const struct pod_downward_ctx *ctx, const char *path)
{
        static char *last;
        struct pfs_error err = { 0 };

        free(last);
        last = NULL;
        if (pod_downward_field(ctx, path, &last, &err) < 0)
                return err.msg[0] ? "ERROR" : "ERROR?";
        return last;
}

static const char *res(const struct pod_downward_ctx *ctx, const char *ctr, const char *r, const char *div)
{
        static char *last;
        struct pfs_error err = { 0 };

        free(last);
        last = NULL;
        if (pod_downward_resource(ctx, ctr, r, div, &last, &err) < 0)
                return "ERROR";
        return last;
}

static void test_fields(void)
{
        struct pod_kv labels[] = {
                { "tier", "web" }, { "app", "shop" }, { "zone", "a\"b\\c" },
        };
        struct pod_kv annotations[] = {
                { "note", "line1\nline2\ttab" }, { "bin", "\x01\x7f\xff" }, { "utf", "h\xc3\xa9llo \xe2\x82\xac" },
                { "nbsp", "a\xc2\xa0" "b" }, { "emoji", "\xf0\x9f\x98\x80" }, { "bom", "\xef\xbb\xbf" },
        };
        struct pod_spec spec = {
                .name = "web", .namespace = "team", .labels = labels, .n_labels = 3,
                .annotations = annotations, .n_annotations = 6,
        };
        struct pod_downward_ctx ctx = {
                .spec = &spec, .uid = "6f1c0000-0000-4000-8000-000000000001", .node_name = "node1",
                .host_ip = "10.0.0.5", .pod_ip = "",
        };
        struct pod_spec empty = { .name = "e", .namespace = "default" };
        struct pod_downward_ctx ectx = { .spec = &empty, .uid = "u", .node_name = "n", .host_ip = "", .pod_ip = "" };
        char *v = NULL;
        struct pfs_error err = { 0 };

        tap_is_str(field(&ctx, "metadata.name"), "web", "metadata.name");
        tap_is_str(field(&ctx, "metadata.namespace"), "team", "metadata.namespace");
        tap_is_str(field(&ctx, "metadata.uid"), "6f1c0000-0000-4000-8000-000000000001", "metadata.uid");
        tap_is_str(field(&ctx, "spec.nodeName"), "node1", "spec.nodeName");
        tap_is_str(field(&ctx, "spec.serviceAccountName"), "", "spec.serviceAccountName");
        tap_is_str(field(&ctx, "status.hostIP"), "10.0.0.5", "status.hostIP");
        tap_is_str(field(&ctx, "status.hostIPs"), "10.0.0.5", "status.hostIPs");
        tap_is_str(field(&ctx, "status.podIP"), "", "status.podIP");
        tap_is_str(field(&ctx, "status.podIPs"), "", "status.podIPs");
        ctx.pod_ip = "10.85.0.7";
        tap_is_str(field(&ctx, "status.podIPs"), "10.85.0.7", "status.podIPs: one");
        ctx.pod_ip2 = "fd85::7";
        tap_is_str(field(&ctx, "status.podIP"), "10.85.0.7", "status.podIP: the first of two");
        tap_is_str(field(&ctx, "status.podIPs"), "10.85.0.7,fd85::7", "status.podIPs: both, comma-separated");
        ctx.pod_ip = "";
        ctx.pod_ip2 = NULL;
        tap_is_str(field(&ctx, "metadata.labels"), "app=\"shop\"\ntier=\"web\"\nzone=\"a\\\"b\\\\c\"",
                   "labels: sorted key=\"value\" lines, quotes escaped, no final newline");
        tap_is_str(field(&ctx, "metadata.annotations"),
                   "bin=\"\\x01\\x7f\\xff\"\n"
                   "bom=\"\\ufeff\"\n"
                   "emoji=\"\xf0\x9f\x98\x80\"\n"
                   "nbsp=\"a\\u00a0b\"\n"
                   "note=\"line1\\nline2\\ttab\"\n"
                   "utf=\"h\xc3\xa9llo \xe2\x82\xac\"",
                   "annotations: Go %q (controls, invalid UTF-8, non-printing runes escaped; printing UTF-8 kept)");
        tap_is_str(field(&ctx, "metadata.labels['tier']"), "web", "metadata.labels['tier']");
        tap_is_str(field(&ctx, "metadata.annotations['note']"), "line1\nline2\ttab", "annotation subscript raw");
        tap_is_str(field(&ctx, "metadata.labels['none']"), "", "missing label subscript: empty");
        tap_is_str(field(&ectx, "metadata.labels"), "", "no labels: empty file");
        tap_is_str(field(&ectx, "metadata.annotations"), "", "no annotations: empty file");
        tap_ok(pod_downward_field(&ctx, "metadata.generateName", &v, &err) == -EINVAL &&
               !strcmp(err.msg, "unsupported fieldPath: metadata.generateName"), "unknown path: %s", err.msg);
        pfs_error_clear(&err);
        tap_ok(pod_downward_field(&ctx, "metadata.name['x']", &v, &err) == -EINVAL &&
               strstr(err.msg, "does not support subscript"), "subscript on a scalar: %s", err.msg);
}

static void test_resources(void)
{
        struct pod_container ctrs[] = {
                { .name = "app", .cpu_limit = "1250m", .cpu_request = "250m", .memory_limit = "64Mi",
                  .ephemeral_storage_limit = "1Gi", .ephemeral_storage_request = "100M" },
                { .name = "bare" },
        };
        struct pod_container init[] = { { .name = "setup", .cpu_limit = "2", .memory_request = "1G" } };
        struct pod_spec spec = { .name = "p", .namespace = "default", .containers = ctrs, .n_containers = 2,
                                 .init_containers = init, .n_init_containers = 1 };
        struct pod_downward_ctx ctx = {
                .spec = &spec, .uid = "u", .node_name = "n", .host_ip = "", .pod_ip = "",
                .node_cpu_milli = 2000, .node_memory = 4ULL << 30, .node_ephemeral_storage = 50000000000ULL,
        };
        struct pod_downward_ctx host = ctx;
        char want[64];

        tap_is_str(res(&ctx, "app", "limits.cpu", NULL), "2", "limits.cpu 1250m, divisor 1: rounded up to 2");
        tap_is_str(res(&ctx, "app", "limits.cpu", "1m"), "1250", "limits.cpu divisor 1m");
        tap_is_str(res(&ctx, "app", "limits.cpu", "500m"), "3", "limits.cpu divisor 500m: ceil(2.5)");
        tap_is_str(res(&ctx, "app", "requests.cpu", NULL), "1", "requests.cpu 250m: 1");
        tap_is_str(res(&ctx, "app", "requests.cpu", "1m"), "250", "requests.cpu in millicores");
        tap_is_str(res(&ctx, "app", "limits.memory", NULL), "67108864", "limits.memory in bytes");
        tap_is_str(res(&ctx, "app", "limits.memory", "1Mi"), "64", "limits.memory divisor 1Mi");
        tap_is_str(res(&ctx, "app", "limits.memory", "1M"), "68", "limits.memory divisor 1M: ceil(67.1)");
        tap_is_str(res(&ctx, "app", "requests.memory", "1Mi"), "64", "requests.memory defaults to the limit");
        tap_is_str(res(&ctx, "app", "limits.ephemeral-storage", "1Gi"), "1", "limits.ephemeral-storage");
        tap_is_str(res(&ctx, "app", "requests.ephemeral-storage", "1Mi"), "96", "requests.ephemeral-storage 100M / 1Mi");
        tap_is_str(res(&ctx, "bare", "limits.cpu", NULL), "2", "unset limits.cpu: node allocatable");
        tap_is_str(res(&ctx, "bare", "limits.cpu", "1m"), "2000", "unset limits.cpu in millicores");
        tap_is_str(res(&ctx, "bare", "limits.memory", "1Mi"), "4096", "unset limits.memory: node allocatable");
        tap_is_str(res(&ctx, "bare", "limits.ephemeral-storage", "1G"), "50", "unset ephemeral limit: allocatable");
        tap_is_str(res(&ctx, "bare", "requests.cpu", NULL), "0", "unset requests.cpu: 0");
        tap_is_str(res(&ctx, "bare", "requests.memory", NULL), "0", "unset requests.memory: 0");
        tap_is_str(res(&ctx, "setup", "limits.cpu", NULL), "2", "an init container's limit");
        tap_is_str(res(&ctx, "setup", "requests.memory", "1k"), "1000000", "an init container's request");
        tap_is_str(res(&ctx, "app", "limits.nvidia.com/gpu", NULL), "ERROR", "unknown resource refused");
        tap_is_str(res(&ctx, "ghost", "limits.cpu", NULL), "ERROR", "unknown container refused");
        host.node_cpu_milli = 0;
        snprintf(want, sizeof(want), "%lld", (long long)(pod_node_allocatable_cpu_milli() / 1000));
        tap_is_str(res(&host, "bare", "limits.cpu", NULL), want, "unset limits.cpu: this machine's CPUs");
        tap_ok(pod_node_allocatable_memory() > 0, "this machine's allocatable memory is known");
}

int main(void)
{
        _cleanup_free_ char *name = pod_node_name(), *ip = pod_node_host_ip();

        test_fields();
        test_resources();
        tap_ok(name && *name, "node name: %s", name);
        tap_ok(ip && strcmp(ip, "127.0.0.1") != 0, "host IP is not loopback: '%s'", ip);
        return tap_done();
}
