/* Pod-level resources (KEP-2837, spec.resources): cpu and memory only; the
 * pod's requests at least the containers' aggregate requests, no container
 * limit above the pod's limit (the API server's validatePodResourceConsistency,
 * its words). */
#include <stdlib.h>
#include "pfs/status.h"
#include "spec_internal.h"

static const char *res_of(const struct pod_container *c, bool cpu, bool limit)
{
        if (limit)
                return cpu ? c->cpu_limit : c->memory_limit;
        /* an unset request defaults to the limit */
        if (cpu)
                return c->cpu_request ? c->cpu_request : c->cpu_limit;
        return c->memory_request ? c->memory_request : c->memory_limit;
}

/* milli-cpu or bytes; 0 when unset or not a quantity */
static int64_t amount(const char *q, bool cpu)
{
        int64_t milli = 0;
        uint64_t bytes = 0;

        if (!q)
                return 0;
        if (cpu)
                return pod_quantity_milli(q, &milli) < 0 ? 0 : milli;
        return pod_quantity_bytes(q, &bytes) < 0 ? 0 : (int64_t)bytes;
}

/* AggregateContainerRequests: the app containers plus the sidecars, or an
 * init container plus the sidecars before it, whichever is more. */
static int64_t aggregate(const struct pod_spec *s, bool cpu, const char **ret_fmt)
{
        int64_t apps = 0, side = 0, init_max = 0;

        *ret_fmt = NULL;
        for (size_t i = 0; i < s->n_containers; i++) {
                const char *q = res_of(&s->containers[i], cpu, false);

                apps += amount(q, cpu);
                if (q && !*ret_fmt)
                        *ret_fmt = q;
        }
        for (size_t i = 0; i < s->n_init_containers; i++) {
                const struct pod_container *c = &s->init_containers[i];
                int64_t r = amount(res_of(c, cpu, false), cpu);

                if (pod_container_is_sidecar(c)) {
                        side += r;
                        r = 0;
                }
                if (side + r > init_max)
                        init_max = side + r;
        }
        return apps + side > init_max ? apps + side : init_max;
}

static char *quantity_str(int64_t v, bool cpu, const char *fmt)
{
        if (cpu)
                return v % 1000 ? xasprintf("%lldm", (long long)v) : xasprintf("%lld", (long long)(v / 1000));
        return pod_quantity_string(fmt ? fmt : "", (uint64_t)v);
}

static void check_requests(struct spec_errs *e, const struct pod_spec *s, bool cpu)
{
        const char *pod_req = cpu ? s->pod_resources->cpu_request : s->pod_resources->memory_request, *fmt;
        int64_t agg = aggregate(s, cpu, &fmt);
        _cleanup_free_ char *p = NULL, *q = NULL, *why = NULL;

        if (!pod_req || amount(pod_req, cpu) == 0 || agg <= amount(pod_req, cpu))
                return;
        p = xasprintf("spec.resources.requests[%s]", cpu ? "cpu" : "memory");
        q = quantity_str(agg, cpu, fmt);
        why = xasprintf("must be greater than or equal to aggregate container requests of %s", q);
        spec_err_invalid_str(e, p, pod_req, why);
}

static void check_limits(struct spec_errs *e, const struct pod_spec *s, bool cpu)
{
        const char *pod_lim = cpu ? s->pod_resources->cpu_limit : s->pod_resources->memory_limit;

        for (size_t i = 0; pod_lim && i < s->n_containers; i++) {
                const char *lim = res_of(&s->containers[i], cpu, true);
                _cleanup_free_ char *p = NULL, *why = NULL;
                int cmp;

                if (!lim || pod_quantity_cmp(lim, pod_lim, &cmp) < 0 || cmp <= 0)
                        continue;
                p = xasprintf("spec.containers[%zu].resources.limits[%s]", i, cpu ? "cpu" : "memory");
                why = xasprintf("must be less than or equal to pod limit of %s", pod_lim);
                spec_err_invalid_str(e, p, lim, why);
        }
}

void spec_validate_pod_resources(struct spec_errs *e, const struct pod_spec *s)
{
        static const char *const supported[] = { "cpu", "memory" };
        const struct pod_container *r = s->pod_resources;

        if (r->ephemeral_storage_limit)
                spec_err_unsupported(e, "spec.resources.limits[ephemeral-storage]", "ephemeral-storage", supported, 2);
        if (r->ephemeral_storage_request)
                spec_err_unsupported(e, "spec.resources.requests[ephemeral-storage]", "ephemeral-storage", supported,
                                     2);
        for (int cpu = 0; cpu < 2; cpu++) {
                check_requests(e, s, cpu);
                check_limits(e, s, cpu);
        }
}
