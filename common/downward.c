/* The downward API: fieldRef and resourceFieldRef values as the kubelet
 * computes them (podFieldSelectorRuntimeValue, fieldpath.ExtractFieldPath,
 * resource.ExtractContainerResourceValue), for env and volumes alike. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "pfs/downward.h"
#include "pfs/status.h"
#include "pfs/util.h"

static int kv_cmp(const void *a, const void *b)
{
        const struct pod_kv *const *x = a, *const *y = b;

        return strcmp((*x)->key, (*y)->key);
}

/* fieldpath.FormatMap: sorted `key="value"` lines, no newline after the last. */
static char *format_map(const struct pod_kv *kv, size_t n)
{
        _cleanup_free_ const struct pod_kv **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
        struct pfs_buf b = { 0 };

        for (size_t i = 0; i < n; i++)
                sorted[i] = &kv[i];
        qsort(sorted, n, sizeof(*sorted), kv_cmp);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        pfs_buf_puts(&b, "\n");
                pfs_buf_printf(&b, "%s=", sorted[i]->key);
                pfs_buf_append_go_quoted(&b, sorted[i]->value);
        }
        return pfs_buf_steal(&b);
}

static const char *kv_get(const struct pod_kv *kv, size_t n, const char *key)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(kv[i].key, key))
                        return kv[i].value;
        return "";
}

/* metadata.labels['k'] / metadata.annotations['k']: the map's name and the key. */
static bool split_subscript(const char *path, char **ret_path, char **ret_key)
{
        const char *open = strchr(path, '[');
        size_t n = strlen(path);

        if (!open || n < 4 || path[n - 1] != ']' || path[n - 2] != '\'' || open[1] != '\'' ||
            open + 2 > path + n - 2)
                return false;
        *ret_path = xstrndup(path, (size_t)(open - path));
        *ret_key = xstrndup(open + 2, (size_t)(path + n - 2 - (open + 2)));
        return true;
}

static int subscripted(const struct pod_spec *s, const char *path, char **ret, struct pfs_error *err)
{
        _cleanup_free_ char *map = NULL, *key = NULL;

        if (!split_subscript(path, &map, &key))
                return 1;
        if (!*key)
                return pfs_error_set(err, EINVAL, "invalid key subscript in %s: %s", path,
                                     "name part must be non-empty");
        if (!strcmp(map, "metadata.annotations"))
                *ret = xstrdup(kv_get(s->annotations, s->n_annotations, key));
        else if (!strcmp(map, "metadata.labels"))
                *ret = xstrdup(kv_get(s->labels, s->n_labels, key));
        else
                return pfs_error_set(err, EINVAL, "fieldPath \"%s\" does not support subscript", path);
        return 0;
}

int pod_downward_field(const struct pod_downward_ctx *ctx, const char *path, char **ret, struct pfs_error *err)
{
        const struct pod_spec *s = ctx->spec;
        const char *v = NULL;
        int r;

        if (!strcmp(path, "spec.nodeName"))
                v = ctx->node_name;
        else if (!strcmp(path, "spec.serviceAccountName"))
                v = "";         /* podfs has no service accounts (static pods have none either) */
        else if (!strcmp(path, "status.hostIP") || !strcmp(path, "status.hostIPs"))
                v = ctx->host_ip;
        else if (!strcmp(path, "status.podIP"))
                v = ctx->pod_ip;
        else if (!strcmp(path, "status.podIPs") && ctx->pod_ip2 && *ctx->pod_ip2 && ctx->pod_ip && *ctx->pod_ip)
                return *ret = xasprintf("%s,%s", ctx->pod_ip, ctx->pod_ip2), 0;
        else if (!strcmp(path, "status.podIPs"))
                v = ctx->pod_ip;
        else if (!strcmp(path, "metadata.name"))
                v = s->name;
        else if (!strcmp(path, "metadata.namespace"))
                v = s->namespace;
        else if (!strcmp(path, "metadata.uid"))
                v = ctx->uid;
        else if (!strcmp(path, "metadata.labels"))
                return *ret = format_map(s->labels, s->n_labels), 0;
        else if (!strcmp(path, "metadata.annotations"))
                return *ret = format_map(s->annotations, s->n_annotations), 0;
        else if ((r = subscripted(s, path, ret, err)) <= 0)
                return r;
        else
                return pfs_error_set(err, EINVAL, "unsupported fieldPath: %s", path);
        *ret = xstrdup(v ? v : "");
        return 0;
}

/* ---- resourceFieldRef ---- */

int64_t pod_node_allocatable_cpu_milli(void)
{
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        return n > 0 ? (int64_t)n * 1000 : 0;
}

uint64_t pod_node_allocatable_memory(void)
{
        _cleanup_free_ char *meminfo = NULL;
        unsigned long long kb = 0;
        const char *p;

        if (pfs_read_file_at(AT_FDCWD, "/proc/meminfo", &meminfo, NULL, NULL) < 0 ||
            !(p = strstr(meminfo, "MemTotal:")) || sscanf(p, "MemTotal: %llu kB", &kb) != 1)
                return 0;
        kb *= 1024;
        return kb > 200ULL << 20 ? kb - (100ULL << 20) : kb;
}

uint64_t pod_node_allocatable_ephemeral_storage(void)
{
        struct statvfs sv;
        uint64_t cap;

        if (statvfs("/", &sv) < 0)
                return 0;
        cap = (uint64_t)sv.f_blocks * sv.f_frsize;
        return cap - cap / 10;
}

char *pod_node_name(void)
{
        char host[HOST_NAME_MAX + 1] = "";

        if (gethostname(host, sizeof(host)) < 0 || !host[0])
                return xstrdup("localhost");
        host[HOST_NAME_MAX] = '\0';
        return xstrdup(host);
}

char *pod_node_host_ip(void)
{
        struct ifaddrs *ifa = NULL;
        char buf[INET_ADDRSTRLEN] = "";

        if (getifaddrs(&ifa) < 0)
                return xstrdup("");
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK))
                        continue;
                inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, buf, sizeof(buf));
                break;
        }
        freeifaddrs(ifa);
        return xstrdup(buf);
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
        return a / b + (a % b != 0);
}

/* One amount: the container's value (limit: else the node's allocatable;
 * request: else the limit, as the API server defaults it, else 0) over the divisor. */
static int resource_value(const struct pod_downward_ctx *ctx, const struct pod_container *c, const char *res,
                          const char *divisor, char **ret, struct pfs_error *err)
{
        bool limit = !strncmp(res, "limits.", 7);
        const char *what = res + (limit ? 7 : 9), *q;
        uint64_t v = 0, d = 0, alloc;
        int64_t mv, md;

        if (!strcmp(what, "cpu")) {
                q = limit ? c->cpu_limit : (c->cpu_request ? c->cpu_request : c->cpu_limit);
                alloc = (uint64_t)(ctx->node_cpu_milli ? ctx->node_cpu_milli : pod_node_allocatable_cpu_milli());
                if (pod_quantity_milli(divisor, &md) < 0 || md <= 0)
                        return pfs_error_set(err, EINVAL, "invalid divisor \"%s\" for %s", divisor, res);
                if (!q)
                        mv = limit ? (int64_t)alloc : 0;
                else if (pod_quantity_milli(q, &mv) < 0 || mv < 0)
                        return pfs_error_set(err, EINVAL, "invalid quantity \"%s\" of %s", q, res);
                *ret = xasprintf("%llu", (unsigned long long)ceil_div((uint64_t)mv, (uint64_t)md));
                return 0;
        }
        if (!strcmp(what, "memory")) {
                q = limit ? c->memory_limit : (c->memory_request ? c->memory_request : c->memory_limit);
                alloc = ctx->node_memory ? ctx->node_memory : pod_node_allocatable_memory();
        } else {
                q = limit ? c->ephemeral_storage_limit
                          : (c->ephemeral_storage_request ? c->ephemeral_storage_request
                                                          : c->ephemeral_storage_limit);
                alloc = ctx->node_ephemeral_storage ? ctx->node_ephemeral_storage
                                                    : pod_node_allocatable_ephemeral_storage();
        }
        if (pod_quantity_bytes(divisor, &d) < 0 || d == 0)
                return pfs_error_set(err, EINVAL, "invalid divisor \"%s\" for %s", divisor, res);
        if (!q)
                v = limit ? alloc : 0;
        else if (pod_quantity_bytes(q, &v) < 0)
                return pfs_error_set(err, EINVAL, "invalid quantity \"%s\" of %s", q, res);
        *ret = xasprintf("%llu", (unsigned long long)ceil_div(v, d));
        return 0;
}

int pod_downward_resource(const struct pod_downward_ctx *ctx, const char *ctr, const char *resource,
                          const char *divisor, char **ret, struct pfs_error *err)
{
        static const char *const known[] = { "limits.cpu", "limits.memory", "limits.ephemeral-storage",
                                             "requests.cpu", "requests.memory", "requests.ephemeral-storage" };
        const struct pod_container *c = pod_spec_find_any_container(ctx->spec, ctr, NULL);
        bool ok = false;

        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                ok = ok || !strcmp(resource, known[i]);
        if (!ok)
                return pfs_error_set(err, EINVAL, "unsupported container resource : %s", resource);
        if (!c)
                return pfs_error_set(err, EINVAL, "container %s not found", ctr);
        return resource_value(ctx, c, resource, divisor && *divisor ? divisor : "1", ret, err);
}
