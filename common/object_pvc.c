/* A PersistentVolumeClaim's spec: strict fields, what podfs implements (a
 * claim is a local directory, always Bound), the API server's defaults. */
#include <inttypes.h>
#include <string.h>
#include "object_internal.h"

static const char *const spec_fields[] = { "accessModes", "resources", "storageClassName", "volumeMode",
                                           "selector", "volumeName", "dataSource", "dataSourceRef",
                                           "volumeAttributesClassName" };
static const char *const unsupported[] = { "selector", "volumeName", "dataSource", "dataSourceRef",
                                           "volumeAttributesClassName" };

static bool empty(const struct yval *v)
{
        return !v || v->type == YVAL_NULL || (v->type == YVAL_STRING && !v->str.len) ||
               (v->type == YVAL_MAP && !v->map.n) || (v->type == YVAL_LIST && !v->list.n);
}

static void type_error(struct spec_errs *e, const char *path, const struct yval *v, const char *want)
{
        _cleanup_free_ char *r = spec_value_repr(v);

        spec_errs_add(e, path, "Invalid value: %s: must be %s", r, want);
        e->n_fatal++;
}

/* A list of strings (accessModes), cloned; NULL when absent. */
static struct yval *str_list(struct spec_errs *e, const struct yval *spec, const char *key)
{
        const struct yval *v = yval_map_get(spec, key);
        _cleanup_free_ char *p = spec_path_key("spec", key);

        if (!v || v->type == YVAL_NULL)
                return NULL;
        if (v->type != YVAL_LIST) {
                type_error(e, p, v, "an array");
                return NULL;
        }
        for (size_t i = 0; i < v->list.n; i++)
                if (v->list.items[i]->type != YVAL_STRING) {
                        _cleanup_free_ char *ip = spec_path_idx(p, i);

                        type_error(e, ip, v->list.items[i], "a string");
                        return NULL;
                }
        return yval_clone(v);
}

/* requests or limits: resource name -> quantity (a string; a plain number
 * is shown as one, as the API server does). */
static struct yval *quantities(struct spec_errs *e, const struct yval *res, const char *key)
{
        const struct yval *v = yval_map_get(res, key);
        _cleanup_free_ char *p = spec_path_key("spec.resources", key);
        struct yval *out;

        if (!v || v->type == YVAL_NULL)
                return NULL;
        if (v->type != YVAL_MAP) {
                type_error(e, p, v, "an object");
                return NULL;
        }
        out = yval_new_map();
        for (size_t i = 0; i < v->map.n; i++) {
                const struct yval *q = v->map.m[i].val;
                _cleanup_free_ char *qp = xasprintf("%s[%s]", p, v->map.m[i].key);

                if (q && q->type == YVAL_INT) {
                        _cleanup_free_ char *s = xasprintf("%" PRId64, q->i);

                        yval_map_set(out, v->map.m[i].key, yval_new_str(s));
                } else if (q && q->type == YVAL_STRING) {
                        yval_map_set(out, v->map.m[i].key, yval_new_str(q->str.s));
                } else {
                        type_error(e, qp, q, "a quantity (a string such as \"1Gi\")");
                }
        }
        return out;
}

static struct yval *resources(struct spec_errs *e, const struct yval *spec)
{
        static const char *const fields[] = { "requests", "limits" };
        const struct yval *v = yval_map_get(spec, "resources");
        struct yval *out = yval_new_map(), *q;

        if (!v || v->type == YVAL_NULL)
                return out;
        if (v->type != YVAL_MAP) {
                type_error(e, "spec.resources", v, "an object");
                return out;
        }
        spec_check_known(e, v, "spec.resources", fields, ARRAY_SIZE(fields));
        if ((q = quantities(e, v, "limits")))
                yval_map_set(out, "limits", q);
        if ((q = quantities(e, v, "requests")))
                yval_map_set(out, "requests", q);
        return out;
}

static void set_str(struct spec_errs *e, struct yval *out, const struct yval *spec, const char *key,
                    const char *dflt)
{
        const struct yval *v = yval_map_get(spec, key);
        _cleanup_free_ char *p = spec_path_key("spec", key);

        if (v && v->type != YVAL_NULL && v->type != YVAL_STRING)
                type_error(e, p, v, "a string");
        else if (v && v->type == YVAL_STRING && (v->str.len || !dflt))
                yval_map_set(out, key, yval_new_str(v->str.s));
        else if (dflt)
                yval_map_set(out, key, yval_new_str(dflt));
}

/* The spec as the API shows it (sorted keys), or NULL after fatal errors. */
struct yval *object_pvc_spec_decode(struct spec_errs *e, const struct yval *root)
{
        static const char *const modes[] = { "Block", "Filesystem" };
        const struct yval *spec = yval_map_get(root, "spec");
        struct yval *out = yval_new_map(), *l;
        const char *vm;

        if (spec && spec->type != YVAL_MAP && spec->type != YVAL_NULL)
                type_error(e, "spec", spec, "an object");
        if (!spec || spec->type != YVAL_MAP)
                spec = NULL;
        if (spec)
                spec_check_known(e, spec, "spec", spec_fields, ARRAY_SIZE(spec_fields));
        for (size_t i = 0; spec && i < ARRAY_SIZE(unsupported); i++)
                if (!empty(yval_map_get(spec, unsupported[i]))) {
                        _cleanup_free_ char *p = spec_path_key("spec", unsupported[i]);

                        spec_err_forbidden(e, p, "not supported by podfs yet");
                }
        if ((l = str_list(e, spec, "accessModes")))
                yval_map_set(out, "accessModes", l);
        yval_map_set(out, "resources", resources(e, spec));
        set_str(e, out, spec, "storageClassName", NULL);
        set_str(e, out, spec, "volumeMode", "Filesystem");
        vm = yval_get_str(out, "volumeMode", "Filesystem");
        if (spec_check_enum(e, "spec.volumeMode", vm, modes, ARRAY_SIZE(modes)) && !strcmp(vm, "Block"))
                spec_err_forbidden(e, "spec.volumeMode", "not supported by podfs yet (a claim is a directory)");
        return out;
}
