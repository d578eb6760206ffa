/* A ConfigMap, Secret or PersistentVolumeClaim document -> struct
 * pfs_object: strict field names and types (as Pods), the API server's
 * defaults (Secret type Opaque, stringData merged into data, volumeMode
 * Filesystem) and validation (object_validate.c). */
#include <errno.h>
#include <string.h>
#include "object_internal.h"

struct dec {
        struct spec_errs e;
        struct pfs_object *o;
        bool bad_b64;           /* base64 that did not decode: a decode error, not a field's */
        size_t bad_at;          /* Go's offset of the bad byte */
        int bad_line;
};

static const char *const cm_fields[] = { "apiVersion", "kind", "metadata", "data", "binaryData", "immutable" };
static const char *const secret_fields[] = { "apiVersion", "kind", "metadata", "data", "stringData", "type",
                                             "immutable" };
static const char *const pvc_fields[] = { "apiVersion", "kind", "metadata", "spec", "status" };

/* The value of a data member as a string; NULL (and an error) otherwise.
 * A Secret's value is never shown. */
static const char *item_str(struct dec *d, const char *bag, const struct ymember *m, size_t *ret_len)
{
        const struct yval *v = m->val;
        _cleanup_free_ char *p = xasprintf("%s[%s]", bag, m->key);

        if (!v || v->type == YVAL_NULL) {
                *ret_len = 0;
                return "";
        }
        if (v->type == YVAL_STRING) {
                *ret_len = v->str.len;
                return v->str.s;
        }
        if (d->o->kind == PFS_OBJ_SECRET) {
                spec_errs_add(&d->e, p, "Invalid value: must be a string");
        } else {
                _cleanup_free_ char *r = spec_value_repr(v);

                spec_errs_add(&d->e, p, "Invalid value: %s: must be a string", r);
        }
        d->e.n_fatal++;
        return NULL;
}

static const struct yval *bag_map(struct dec *d, const char *bag)
{
        const struct yval *v = yval_map_get(d->e.root, bag);

        if (!v || v->type == YVAL_NULL)
                return NULL;
        if (v->type != YVAL_MAP) {
                _cleanup_free_ char *r = d->o->kind == PFS_OBJ_SECRET ? NULL : spec_value_repr(v);

                /* a Secret's value is never shown */
                spec_errs_add(&d->e, bag, "Invalid value: %s%smust be an object", r ? r : "", r ? ": " : "");
                d->e.n_fatal++;
                return NULL;
        }
        return v;
}

/* A ConfigMap's key in both bags: the API server names both. */
static bool duplicate(struct dec *d, const char *key)
{
        _cleanup_free_ char *pd = xasprintf("data[%s]", key), *pb = xasprintf("binaryData[%s]", key);

        if (!pfs_object_item(d->o, key))
                return false;
        spec_err_invalid_str(&d->e, pd, key, "duplicate of key present in binaryData");
        spec_err_invalid_str(&d->e, pb, key, "duplicate of key present in data");
        return true;
}

/* data, binaryData or stringData into the items (b64: decoded). */
static void decode_bag(struct dec *d, const char *bag, bool binary, bool b64)
{
        const struct yval *m = bag_map(d, bag);

        for (size_t i = 0; m && i < m->map.n; i++) {
                _cleanup_free_ unsigned char *dec = NULL;
                const char *s;
                size_t len;

                if (!(s = item_str(d, bag, &m->map.m[i], &len)))
                        continue;
                if (binary && duplicate(d, m->map.m[i].key))
                        continue;
                if (!b64) {
                        pfs_object_item_set(d->o, m->map.m[i].key, s, len, binary);
                        continue;
                }
                if (pfs_base64_decode(s, len, &dec, &len, &d->bad_at) < 0) {
                        if (!d->bad_b64)
                                d->bad_line = m->map.m[i].line;
                        d->bad_b64 = true;
                        continue;
                }
                pfs_object_item_set(d->o, m->map.m[i].key, dec, len, binary);
        }
}

static bool get_bool(struct dec *d, const char *key)
{
        const struct yval *v = yval_map_get(d->e.root, key);

        if (!v || v->type == YVAL_NULL)
                return false;
        if (v->type == YVAL_BOOL)
                return v->b;
        {
                _cleanup_free_ char *r = spec_value_repr(v);

                spec_errs_add(&d->e, key, "Invalid value: %s: must be a boolean (true or false)", r);
                d->e.n_fatal++;
        }
        return false;
}

static char *get_str(struct dec *d, const struct yval *map, const char *key, const char *path)
{
        const struct yval *v = yval_map_get(map, key);
        _cleanup_free_ char *p = spec_path_key(path, key);

        if (!v || v->type == YVAL_NULL)
                return NULL;
        if (v->type == YVAL_STRING && strlen(v->str.s) == v->str.len)
                return xstrdup(v->str.s);
        {
                _cleanup_free_ char *r = spec_value_repr(v);

                spec_errs_add(&d->e, p, "Invalid value: %s: must be a string", r);
                d->e.n_fatal++;
        }
        return NULL;
}

static void decode_configmap(struct dec *d)
{
        spec_check_known(&d->e, d->e.root, "", cm_fields, ARRAY_SIZE(cm_fields));
        decode_bag(d, "data", false, false);
        decode_bag(d, "binaryData", true, true);
        d->o->immutable = get_bool(d, "immutable");
}

static void decode_secret(struct dec *d)
{
        spec_check_known(&d->e, d->e.root, "", secret_fields, ARRAY_SIZE(secret_fields));
        decode_bag(d, "data", false, true);
        /* the API server merges stringData into data, stringData winning */
        decode_bag(d, "stringData", false, false);
        d->o->immutable = get_bool(d, "immutable");
        d->o->type = get_str(d, d->e.root, "type", "");
        if (!d->o->type || !*d->o->type) {
                free(d->o->type);
                d->o->type = xstrdup("Opaque");
        }
}

static void decode_pvc(struct dec *d)
{
        spec_check_known(&d->e, d->e.root, "", pvc_fields, ARRAY_SIZE(pvc_fields));
        d->o->pvc_spec = object_pvc_spec_decode(&d->e, d->e.root);
}

static void decode_meta(struct dec *d)
{
        struct spec_meta m = { 0 };

        spec_decode_object_meta(&d->e, d->e.root, &m);
        d->o->name = m.name;
        d->o->namespace = m.namespace;
        d->o->labels = m.labels;
        d->o->n_labels = m.n_labels;
        d->o->annotations = m.annotations;
        d->o->n_annotations = m.n_annotations;
}

/* The namespace of the directory written to, as for Pods. */
static void apply_ns_hint(struct dec *d, const char *ns_hint)
{
        struct pfs_object *o = d->o;

        if (!o->namespace || !*o->namespace) {
                free(o->namespace);
                o->namespace = xstrdup(ns_hint ? ns_hint : "default");
        } else if (ns_hint && strcmp(o->namespace, ns_hint)) {
                _cleanup_free_ char *why = xasprintf("the namespace of the object does not match the "
                                                     "namespace of the directory it was written to (%s)", ns_hint);

                spec_err_invalid_str(&d->e, "metadata.namespace", o->namespace, why);
        }
}

static int decode_failed(struct dec *d, const char *filename, struct pfs_error *err)
{
        const char *kind = pfs_object_kind_name(d->o->kind);
        int r;

        if (d->bad_b64 && d->e.n_fatal == 0) {
                /* what the API server's decoder says: no field, no value */
                spec_errs_clear(&d->e);
                r = pfs_error_set(err, EINVAL, "%s: line %d: %s in version \"v1\" cannot be handled as a %s: "
                                  "illegal base64 data at input byte %zu", filename, d->bad_line, kind, kind,
                                  d->bad_at);
        } else {
                r = spec_errs_report(&d->e, filename, kind, d->o->name, err);
        }
        pfs_object_free(d->o);
        return r;
}

int pfs_object_from_doc(const struct yval *root, const char *filename, const char *ns_hint,
                        struct pfs_object **ret, struct pfs_error *err)
{
        struct dec d = { .e = { .root = root, .any_kind = true } };
        int k = pfs_object_kind_of(yval_get_str(root, "kind", ""));

        if (!filename)
                filename = "manifest";
        d.o = pfs_object_new(k < 0 ? PFS_OBJ_CONFIGMAP : (enum pfs_object_kind)k, "", "");
        free(d.o->name);
        free(d.o->namespace);
        free(d.o->type);
        d.o->name = d.o->namespace = d.o->type = NULL;
        if (!root || root->type != YVAL_MAP || k < 0 || !spec_decode_type_meta(&d.e, root))
                return d.e.n ? decode_failed(&d, filename, err)
                             : (pfs_object_free(d.o), pfs_error_set(err, EINVAL, "%s: not an object", filename));
        decode_meta(&d);
        if (k == PFS_OBJ_CONFIGMAP)
                decode_configmap(&d);
        else if (k == PFS_OBJ_SECRET)
                decode_secret(&d);
        else
                decode_pvc(&d);
        if (d.e.n_fatal == 0 && !d.bad_b64) {
                apply_ns_hint(&d, ns_hint);
                object_validate_errs(d.o, &d.e);
        }
        if (d.e.n > 0 || d.bad_b64)
                return decode_failed(&d, filename, err);
        d.o->source_line = root->line;
        *ret = d.o;
        return 0;
}
