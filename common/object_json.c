/* An object <-> the JSON the API server serves (and podfs stores, with
 * "podfsOwner"): keys sorted as kubectl prints them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "pfs/object.h"
#include "pfs/util.h"

static struct yval *kv_to_yval(const struct pod_kv *kv, size_t n)
{
        struct yval *m = yval_new_map();
        /* sorted: kubectl prints map keys in order */
        size_t *order = xcalloc(n + 1, sizeof(*order));

        for (size_t i = 0; i < n; i++) {
                size_t j = i;

                while (j > 0 && strcmp(kv[order[j - 1]].key, kv[i].key) > 0) {
                        order[j] = order[j - 1];
                        j--;
                }
                order[j] = i;
        }
        for (size_t i = 0; i < n; i++)
                yval_map_set(m, kv[order[i]].key, yval_new_str(kv[order[i]].value));
        free(order);
        return m;
}

static struct yval *meta_to_yval(const struct pfs_object *o)
{
        struct yval *m = yval_new_map();
        char ts[40], rv[24];

        pfs_time_format(o->creation_ns, false, ts);
        snprintf(rv, sizeof(rv), "%" PRIu64, o->resource_version);
        if (o->n_annotations)
                yval_map_set(m, "annotations", kv_to_yval(o->annotations, o->n_annotations));
        yval_map_set(m, "creationTimestamp", yval_new_str(ts));
        if (o->n_labels)
                yval_map_set(m, "labels", kv_to_yval(o->labels, o->n_labels));
        yval_map_set(m, "name", yval_new_str(o->name));
        yval_map_set(m, "namespace", yval_new_str(o->namespace));
        yval_map_set(m, "resourceVersion", yval_new_str(rv));
        yval_map_set(m, "uid", yval_new_str(o->uid));
        return m;
}

/* data or binaryData (NULL when empty): base64 unless plain. */
static struct yval *items_to_yval(const struct pfs_object *o, bool binary, bool plain)
{
        struct yval *m = NULL;

        for (size_t i = 0; i < o->n_items; i++) {
                const struct pfs_object_item *it = &o->items[i];
                struct yval *v;

                if (it->binary != binary)
                        continue;
                if (!m)
                        m = yval_new_map();
                if (plain) {
                        v = yval_new_strn((const char *)it->value, it->len);
                } else {
                        _cleanup_free_ char *b64 = pfs_base64_encode(it->value, it->len);

                        v = yval_new_strn(b64, strlen(b64));
                }
                /* keys are unique and sorted: no lookup (a map can hold many) */
                yval_map_add(m, xstrdup(it->key), 0, v);
        }
        return m;
}

static void set_opt(struct yval *m, const char *key, struct yval *v)
{
        if (v)
                yval_map_set(m, key, v);
}

static struct yval *pvc_status(const struct pfs_object *o)
{
        struct yval *st = yval_new_map();
        const struct yval *modes = yval_map_get(o->pvc_spec, "accessModes");
        const struct yval *res = yval_map_get(o->pvc_spec, "resources");
        const struct yval *req = yval_map_get(res, "requests");
        const struct yval *storage = yval_map_get(req, "storage");

        if (modes)
                yval_map_set(st, "accessModes", yval_clone(modes));
        if (storage)
                yval_map_set(yval_map_set(st, "capacity", yval_new_map()), "storage", yval_clone(storage));
        yval_map_set(st, "phase", yval_new_str("Bound"));
        return st;
}

struct yval *pfs_object_to_yval(const struct pfs_object *o, bool with_owner)
{
        struct yval *m = yval_new_map();

        yval_map_set(m, "apiVersion", yval_new_str("v1"));
        if (o->kind == PFS_OBJ_CONFIGMAP)
                set_opt(m, "binaryData", items_to_yval(o, true, false));
        if (o->kind != PFS_OBJ_PVC)
                set_opt(m, "data", items_to_yval(o, false, o->kind == PFS_OBJ_CONFIGMAP));
        if (o->immutable)
                yval_map_set(m, "immutable", yval_new_bool(true));
        yval_map_set(m, "kind", yval_new_str(pfs_object_kind_name(o->kind)));
        yval_map_set(m, "metadata", meta_to_yval(o));
        if (with_owner) {
                char own[32];

                snprintf(own, sizeof(own), "%u:%u", (unsigned)o->owner, (unsigned)o->group);
                yval_map_set(m, "podfsOwner", yval_new_str(own));
        }
        if (o->kind == PFS_OBJ_PVC) {
                yval_map_set(m, "spec", o->pvc_spec ? yval_clone(o->pvc_spec) : yval_new_map());
                yval_map_set(m, "status", pvc_status(o));
        }
        if (o->kind == PFS_OBJ_SECRET)
                yval_map_set(m, "type", yval_new_str(o->type ? o->type : "Opaque"));
        return m;
}

/* ---- back from the stored JSON ---- */

static int kv_from_yval(const struct yval *m, struct pod_kv **ret, size_t *ret_n)
{
        if (!m)
                return 0;
        if (m->type != YVAL_MAP)
                return -EINVAL;
        *ret = xcalloc(m->map.n + 1, sizeof(**ret));
        for (size_t i = 0; i < m->map.n; i++) {
                const struct yval *v = m->map.m[i].val;

                if (!v || v->type != YVAL_STRING)
                        return -EINVAL;
                (*ret)[i].key = xstrdup(m->map.m[i].key);
                (*ret)[i].value = xstrdup(v->str.s);
                (*ret_n)++;
        }
        return 0;
}

static int items_from_yval(struct pfs_object *o, const struct yval *m, bool binary, bool plain)
{
        if (!m)
                return 0;
        if (m->type != YVAL_MAP)
                return -EINVAL;
        for (size_t i = 0; i < m->map.n; i++) {
                const struct yval *v = m->map.m[i].val;
                _cleanup_free_ unsigned char *dec = NULL;
                size_t len;

                if (!v || v->type != YVAL_STRING)
                        return -EINVAL;
                if (plain) {
                        pfs_object_item_set(o, m->map.m[i].key, v->str.s, v->str.len, binary);
                        continue;
                }
                if (pfs_base64_decode(v->str.s, v->str.len, &dec, &len, NULL) < 0)
                        return -EINVAL;
                pfs_object_item_set(o, m->map.m[i].key, dec, len, binary);
        }
        return 0;
}

static int meta_from_yval(struct pfs_object *o, const struct yval *md)
{
        const char *uid = yval_get_str(md, "uid", ""), *ts = yval_get_str(md, "creationTimestamp", "");
        const char *rv = yval_get_str(md, "resourceVersion", "1");

        o->name = xstrdup(yval_get_str(md, "name", ""));
        o->namespace = xstrdup(yval_get_str(md, "namespace", ""));
        if (strlen(uid) != 36 || !*o->name || pfs_time_parse(ts, &o->creation_ns) < 0)
                return -EINVAL;
        memcpy(o->uid, uid, 37);
        o->resource_version = strtoull(rv, NULL, 10);
        if (kv_from_yval(yval_map_get(md, "labels"), &o->labels, &o->n_labels) < 0)
                return -EINVAL;
        return kv_from_yval(yval_map_get(md, "annotations"), &o->annotations, &o->n_annotations);
}

static int body_from_yval(struct pfs_object *o, const struct yval *v)
{
        unsigned u = 0, g = 0;

        if (sscanf(yval_get_str(v, "podfsOwner", "0:0"), "%u:%u", &u, &g) != 2)
                return -EINVAL;
        o->owner = u;
        o->group = g;
        o->immutable = yval_get_bool(v, "immutable", false);
        if (o->kind == PFS_OBJ_SECRET)
                o->type = xstrdup(yval_get_str(v, "type", "Opaque"));
        if (o->kind == PFS_OBJ_PVC) {
                const struct yval *spec = yval_map_get(v, "spec");

                o->pvc_spec = spec ? yval_clone(spec) : yval_new_map();
                return 0;
        }
        if (items_from_yval(o, yval_map_get(v, "data"), false, o->kind == PFS_OBJ_CONFIGMAP) < 0)
                return -EINVAL;
        return items_from_yval(o, yval_map_get(v, "binaryData"), true, false);
}

int pfs_object_from_yval(const struct yval *v, enum pfs_object_kind k, struct pfs_object **ret,
                         struct pfs_error *err)
{
        struct pfs_object *o = xcalloc(1, sizeof(*o));

        o->kind = k;
        if (!v || v->type != YVAL_MAP || strcmp(yval_get_str(v, "kind", ""), pfs_object_kind_name(k)) ||
            meta_from_yval(o, yval_map_get(v, "metadata")) < 0 || body_from_yval(o, v) < 0) {
                pfs_object_free(o);
                return pfs_error_set(err, EINVAL, "not a stored %s", pfs_object_kind_name(k));
        }
        *ret = o;
        return 0;
}
