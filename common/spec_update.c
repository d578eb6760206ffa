/* Updates of a running pod (KEP-1287 in-place resize, image updates): the
 * containers' resizePolicy (decoded, validated as validateResizePolicy, shown
 * in pod.json) and the classification of a rewrite into nothing, an update in
 * place or a replacement (ValidatePodUpdate's updatable fields plus
 * ValidatePodResize's, Kubernetes 1.34). */
#include <stdlib.h>
#include <string.h>
#include "pfs/status.h"
#include "spec_internal.h"

static const struct field policy_fields[] = { { "resourceName", FLD_OK }, { "restartPolicy", FLD_OK } };

void spec_decode_resize_policy(struct spec_errs *e, const struct yval *ctr, const char *path, struct pod_container *c)
{
        const struct yval *l = spec_get_list(e, ctr, "resizePolicy", path);
        _cleanup_free_ char *lp = spec_path_key(path, "resizePolicy");

        if (!l || !l->list.n)
                return;
        c->resize_policy = xcalloc(l->list.n, sizeof(*c->resize_policy));
        for (size_t i = 0; i < l->list.n; i++) {
                _cleanup_free_ char *p = spec_path_idx(lp, i);
                const struct yval *v = l->list.items[i];

                if (!spec_is_object(e, v, p))
                        continue;
                spec_check_fields(e, v, p, policy_fields, ARRAY_SIZE(policy_fields));
                c->resize_policy[c->n_resize_policy].resource_name = spec_get_str(e, v, "resourceName", p);
                c->resize_policy[c->n_resize_policy++].restart_policy = spec_get_str(e, v, "restartPolicy", p);
        }
}

void spec_resize_policy_free(struct pod_container *c)
{
        for (size_t i = 0; i < c->n_resize_policy; i++) {
                free(c->resize_policy[i].resource_name);
                free(c->resize_policy[i].restart_policy);
        }
        free(c->resize_policy);
}

struct yval *spec_resize_policy_to_yval(const struct pod_container *c)
{
        struct yval *l = yval_new_list();

        for (size_t i = 0; i < c->n_resize_policy; i++) {
                struct yval *m = yval_list_push(l, yval_new_map());

                yval_map_set(m, "resourceName", yval_new_str(c->resize_policy[i].resource_name ?: ""));
                yval_map_set(m, "restartPolicy", yval_new_str(c->resize_policy[i].restart_policy ?: ""));
        }
        return l;
}

/* validateResizePolicy, for one container at path cp. */
void spec_validate_resize_policy(struct spec_errs *e, const struct pod_spec *s, const struct pod_container *c,
                                 const char *cp)
{
        static const char *const resources[] = { "cpu", "memory" };
        static const char *const policies[] = { "NotRequired", "RestartContainer" };
        _cleanup_free_ char *lp = spec_path_key(cp, "resizePolicy");

        for (size_t i = 0; i < c->n_resize_policy; i++) {
                const char *rn = c->resize_policy[i].resource_name ?: "";
                const char *rp = c->resize_policy[i].restart_policy ?: "";

                for (size_t j = 0; j < i; j++)
                        if (!strcmp(c->resize_policy[j].resource_name ?: "", rn)) {
                                _cleanup_free_ char *ip = spec_path_idx(lp, i);

                                spec_err_duplicate(e, ip, rn);
                                break;
                        }
                if (!*rn)
                        spec_err_required(e, lp, NULL);
                else
                        spec_check_enum(e, lp, rn, resources, 2);
                if (!*rp)
                        spec_err_required(e, lp, NULL);
                else
                        spec_check_enum(e, lp, rp, policies, 2);
                if (s->restart_policy == POD_RESTART_NEVER && strcmp(rp, "NotRequired"))
                        spec_err_invalid_str(e, lp, rp, "must be 'NotRequired' when `restartPolicy` is 'Never'");
        }
}

const char *pod_container_resize_policy(const struct pod_container *c, bool memory)
{
        for (size_t i = 0; i < c->n_resize_policy; i++)
                if (c->resize_policy[i].resource_name && !strcmp(c->resize_policy[i].resource_name, memory ? "memory" : "cpu") &&
                    c->resize_policy[i].restart_policy && !strcmp(c->resize_policy[i].restart_policy, "RestartContainer"))
                        return "RestartContainer";
        return "NotRequired";
}

static bool quantity_equal(const char *a, const char *b)
{
        int cmp;

        if (!a || !b)
                return a == b;
        return pod_quantity_cmp(a, b, &cmp) == 0 && cmp == 0;
}

bool pod_container_resources_equal(const struct pod_container *a, const struct pod_container *b, bool memory)
{
        const char *la = memory ? a->memory_limit : a->cpu_limit, *lb = memory ? b->memory_limit : b->cpu_limit;
        const char *ra = memory ? a->memory_request : a->cpu_request, *rb = memory ? b->memory_request : b->cpu_request;

        return quantity_equal(la, lb) && quantity_equal(ra ?: la, rb ?: lb);
}

bool pod_container_resizable(const struct pod_spec *s, const struct pod_container *c)
{
        return (c >= s->containers && c < s->containers + s->n_containers) || pod_container_is_sidecar(c);
}

/* The resources map of a container without cpu and memory (what a resize may
 * not change): only ephemeral-storage is left. */
static void drop_cpu_memory(struct yval *ctr)
{
        const struct yval *r = yval_map_get(ctr, "resources");
        struct yval *n = yval_new_map();
        static const char *const keys[] = { "limits", "requests" };

        for (size_t k = 0; k < 2; k++) {
                const char *es = yval_get_str(yval_map_get(r, keys[k]), "ephemeral-storage", NULL);

                if (es)
                        yval_map_set(yval_map_set(n, keys[k], yval_new_map()), "ephemeral-storage", yval_new_str(es));
        }
        yval_map_set(ctr, "resources", n);
}

/* Blank what an update in place may change in one list of containers; the
 * image (and its defaulted pull policy) where it differs. */
static void blank_list(struct yval *ya, struct yval *yb, const char *key, const struct pod_spec *s)
{
        const struct yval *la = yval_map_get(ya, key), *lb = yval_map_get(yb, key);
        const struct pod_container *cs = !strcmp(key, "containers") ? s->containers : s->init_containers;

        if (!la || !lb || la->type != YVAL_LIST || lb->type != YVAL_LIST || la->list.n != lb->list.n)
                return;
        for (size_t i = 0; i < la->list.n; i++) {
                struct yval *a = la->list.items[i], *b = lb->list.items[i];

                if (!yval_equal(yval_map_get(a, "image"), yval_map_get(b, "image"))) {
                        static const char *const k[] = { "image", "imagePullPolicy" };

                        for (size_t j = 0; j < 2; j++) {
                                yval_map_set(a, k[j], yval_new_null());
                                yval_map_set(b, k[j], yval_new_null());
                        }
                }
                if (pod_container_resizable(s, &cs[i])) {
                        drop_cpu_memory(a);
                        drop_cpu_memory(b);
                }
        }
}

static bool removed(const char *old, const char *new)
{
        return old && !new;
}

/* validateContainerResize: a request or limit may be changed or added, not removed. */
static bool resources_removed(const struct pod_container *a, const struct pod_container *b)
{
        return removed(a->cpu_limit, b->cpu_limit) || removed(a->memory_limit, b->memory_limit) ||
               removed(a->cpu_request ?: a->cpu_limit, b->cpu_request ?: b->cpu_limit) ||
               removed(a->memory_request ?: a->memory_limit, b->memory_request ?: b->memory_limit);
}

/* 1 when some resizable container's cpu/memory differ, -1 when a resize is
 * not allowed (a removal, pod-level resources), 0 when nothing differs. */
static int resize_of(const struct pod_spec *old, const struct pod_spec *new)
{
        bool differ = false;

        for (size_t k = 0; k < old->n_containers + old->n_init_containers; k++) {
                bool init = k >= old->n_containers;
                const struct pod_container *a = init ? &old->init_containers[k - old->n_containers] : &old->containers[k];
                const struct pod_container *b = init ? &new->init_containers[k - old->n_containers] : &new->containers[k];

                if (pod_container_resources_equal(a, b, false) && pod_container_resources_equal(a, b, true))
                        continue;
                if (resources_removed(a, b))
                        return -1;
                differ = true;
        }
        if (differ && (old->pod_resources || new->pod_resources))
                return -1;      /* "pods with pod-level resources cannot be resized" */
        return differ;
}

static bool same_shape(const struct pod_spec *a, const struct pod_spec *b)
{
        return a->name && b->name && !strcmp(a->name, b->name) && a->namespace && b->namespace &&
               !strcmp(a->namespace, b->namespace) && a->n_containers == b->n_containers &&
               a->n_init_containers == b->n_init_containers;
}

enum pod_update_kind pod_spec_update_kind(const struct pod_spec *old, const struct pod_spec *new, char **ret_error)
{
        struct yval *ya, *yb;
        bool same;
        int resize;

        if (ret_error)
                *ret_error = NULL;
        if (!same_shape(old, new))
                return POD_UPDATE_REPLACE;
        if (pod_spec_equal(old, new))
                return POD_UPDATE_NONE;
        resize = resize_of(old, new);
        if (resize < 0)
                return POD_UPDATE_REPLACE;
        ya = pod_spec_to_yval_canonical(old);
        yb = pod_spec_to_yval_canonical(new);
        yval_map_set(ya, "activeDeadlineSeconds", yval_new_null());
        yval_map_set(yb, "activeDeadlineSeconds", yval_new_null());
        blank_list(ya, yb, "containers", old);
        blank_list(ya, yb, "initContainers", old);
        same = yval_equal(ya, yb);
        yval_free(ya);
        yval_free(yb);
        if (!same)
                return POD_UPDATE_REPLACE;
        if (resize && ret_error) {
                _cleanup_free_ char *qa = pod_spec_qos_class(old), *qb = pod_spec_qos_class(new);

                if (strcmp(qa, qb))
                        *ret_error = xasprintf("spec: Invalid value: \"%s\": Pod QOS Class may not change as a "
                                               "result of resizing", qa);
        }
        return POD_UPDATE_IN_PLACE;
}
