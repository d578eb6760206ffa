/* The API server's validation of ConfigMaps, Secrets and claims, with its
 * messages (pkg/apis/core/validation: ValidateConfigMap, ValidateSecret,
 * ValidatePersistentVolumeClaim and their Update variants). A Secret's
 * values never appear in a message: only key names do. */
#include <errno.h>
#include <string.h>
#include "pfs/status.h"
#include "object_internal.h"

#define CONFIG_KEY_FMT "[-._a-zA-Z0-9]+"
#define CONFIG_KEY_MSG                                                                            \
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "        \
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '" CONFIG_KEY_FMT "')"
#define IMMUTABLE_MSG "field is immutable when `immutable` is set"

static bool key_chars_ok(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!(*s == '-' || *s == '.' || *s == '_' || (*s >= 'a' && *s <= 'z') ||
                      (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
                        return false;
        return true;
}

/* IsConfigMapKey's first complaint (it has up to three). */
const char *pfs_object_key_error(const char *s)
{
        if (strlen(s) > 253)
                return "must be no more than 253 characters";
        if (!key_chars_ok(s))
                return CONFIG_KEY_MSG;
        if (!strcmp(s, "."))
                return "must not be '.'";
        if (!strcmp(s, ".."))
                return "must not be '..'";
        if (!strncmp(s, "..", 2))
                return "must not start with '..'";
        return NULL;
}

/* IsConfigMapKey, each of its complaints (the pods' key selectors use it too). */
void spec_validate_config_key(struct spec_errs *e, const char *p, const char *key)
{
        if (strlen(key) > 253)
                spec_err_invalid_str(e, p, key, "must be no more than 253 characters");
        if (!key_chars_ok(key))
                spec_err_invalid_str(e, p, key, CONFIG_KEY_MSG);
        if (!strcmp(key, "."))
                spec_err_invalid_str(e, p, key, "must not be '.'");
        else if (!strcmp(key, ".."))
                spec_err_invalid_str(e, p, key, "must not be '..'");
        else if (!strncmp(key, "..", 2))
                spec_err_invalid_str(e, p, key, "must not start with '..'");
}

static void validate_key(struct spec_errs *e, const char *bag, const char *key)
{
        _cleanup_free_ char *p = xasprintf("%s[%s]", bag, key);

        spec_validate_config_key(e, p, key);
}

static size_t validate_items(const struct pfs_object *o, struct spec_errs *e)
{
        size_t total = 0;

        for (size_t i = 0; i < o->n_items; i++) {
                validate_key(e, o->items[i].binary ? "binaryData" : "data", o->items[i].key);
                total += o->items[i].len;
        }
        return total;
}

/* What Go's json.Unmarshal into a map says of v (NULL: it is an object). */
static const char *json_object_error(const struct pfs_object_item *it, char buf[static 64])
{
        const char *s = (const char *)it->value;
        struct ydoc *docs = NULL;
        size_t n = 0;
        bool ok;

        s += strspn(s, " \t\r\n");
        if (!*s)
                return "unexpected end of JSON input";
        if (!strchr("{[\"-0123456789tfn", *s)) {
                snprintf(buf, 64, "invalid character '%c' looking for beginning of value", *s);
                return buf;
        }
        if (strchr("tfn", *s)) {
                const char *lit = *s == 't' ? "true" : *s == 'f' ? "false" : "null";
                size_t i = 1;

                while (lit[i] && s[i] == lit[i])
                        i++;
                if (lit[i]) {
                        snprintf(buf, 64, "invalid character '%c' in literal %s (expecting '%c')", s[i], lit, lit[i]);
                        return buf;
                }
        }
        if (*s != '{')
                return "json: cannot unmarshal non-object into Go value of type map[string]interface {}";
        ok = yval_parse_stream(s, strlen(s), &docs, &n, NULL) == 0 && n == 1 && docs[0].root &&
             docs[0].root->type == YVAL_MAP && strlen(s) == it->len - (size_t)(s - (const char *)it->value);
        ydoc_free_array(docs, n);
        return ok ? NULL : "unexpected end of JSON input";
}

static void require_key(struct spec_errs *e, const struct pfs_object *o, const char *key)
{
        _cleanup_free_ char *p = xasprintf("data[%s]", key);

        if (!pfs_object_item(o, key))
                spec_err_required(e, p, NULL);
}

static void validate_docker_json(struct spec_errs *e, const struct pfs_object *o, const char *key)
{
        const struct pfs_object_item *it = pfs_object_item(o, key);
        _cleanup_free_ char *p = xasprintf("data[%s]", key);
        const char *why;
        char buf[64];

        if (!it) {
                spec_err_required(e, p, NULL);
                return;
        }
        if ((why = json_object_error(it, buf)))
                spec_err_invalid_str(e, p, "<secret contents redacted>", why);
}

static bool has_annotation(const struct pfs_object *o, const char *key)
{
        for (size_t i = 0; i < o->n_annotations; i++)
                if (!strcmp(o->annotations[i].key, key) && *o->annotations[i].value)
                        return true;
        return false;
}

static void validate_secret_type(const struct pfs_object *o, struct spec_errs *e)
{
        const char *t = o->type ? o->type : "Opaque";
        const struct pfs_object_item *it;

        if (!strcmp(t, "kubernetes.io/service-account-token")) {
                if (!has_annotation(o, "kubernetes.io/service-account.name"))
                        spec_err_required(e, "metadata.annotations[kubernetes.io/service-account.name]", NULL);
        } else if (!strcmp(t, "kubernetes.io/dockercfg")) {
                validate_docker_json(e, o, ".dockercfg");
        } else if (!strcmp(t, "kubernetes.io/dockerconfigjson")) {
                validate_docker_json(e, o, ".dockerconfigjson");
        } else if (!strcmp(t, "kubernetes.io/basic-auth")) {
                if (!pfs_object_item(o, "username") && !pfs_object_item(o, "password")) {
                        require_key(e, o, "username");
                        require_key(e, o, "password");
                }
        } else if (!strcmp(t, "kubernetes.io/ssh-auth")) {
                it = pfs_object_item(o, "ssh-privatekey");
                if (!it || it->len == 0)
                        spec_err_required(e, "data[ssh-privatekey]", NULL);
        } else if (!strcmp(t, "kubernetes.io/tls")) {
                require_key(e, o, "tls.crt");
                require_key(e, o, "tls.key");
        }
}

void object_validate_storage(struct spec_errs *e, const char *path, const char *q)
{
        int cmp;

        if (pod_quantity_cmp(q, "0", &cmp) < 0)
                spec_err_invalid_str(e, path, q, "quantities must match the regular expression "
                                     "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
        else if (cmp <= 0)
                spec_err_invalid_str(e, path, q, "must be greater than zero");
}

static void validate_pvc(const struct pfs_object *o, struct spec_errs *e)
{
        static const char *const modes[] = { "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod" };
        const struct yval *am = yval_map_get(o->pvc_spec, "accessModes");
        const struct yval *req = yval_map_get(yval_map_get(o->pvc_spec, "resources"), "requests");
        const char *storage = yval_get_str(req, "storage", NULL), *sc;
        bool rwop = false;

        if (!am || am->type != YVAL_LIST || am->list.n == 0)
                spec_err_required(e, "spec.accessModes", "at least 1 access mode is required");
        for (size_t i = 0; am && am->type == YVAL_LIST && i < am->list.n; i++) {
                const char *m = am->list.items[i]->type == YVAL_STRING ? am->list.items[i]->str.s : "";

                spec_check_enum(e, "spec.accessModes", m, modes, ARRAY_SIZE(modes));
                rwop |= !strcmp(m, "ReadWriteOncePod");
        }
        if (rwop && am->list.n > 1)
                spec_err_forbidden(e, "spec.accessModes", "may not use ReadWriteOncePod with other access modes");
        if (!storage)
                spec_err_required(e, "spec.resources[storage]", NULL);
        else {
                e->line_path = "spec.resources.requests.storage";
                object_validate_storage(e, "spec.resources[storage]", storage);
                e->line_path = NULL;
        }
        sc = yval_get_str(o->pvc_spec, "storageClassName", "");
        if (*sc && pod_name_dns1123_subdomain_error(sc))
                spec_err_invalid_str(e, "spec.storageClassName", sc, pod_name_dns1123_subdomain_error(sc));
}

void object_validate_errs(const struct pfs_object *o, struct spec_errs *e)
{
        struct spec_meta m = { .name = o->name, .namespace = o->namespace, .labels = o->labels,
                               .n_labels = o->n_labels, .annotations = o->annotations,
                               .n_annotations = o->n_annotations };
        size_t total;

        spec_validate_object_meta(e, &m);
        if (o->kind == PFS_OBJ_PVC) {
                validate_pvc(o, e);
                return;
        }
        total = validate_items(o, e);
        if (total > PFS_OBJECT_MAX_DATA)
                spec_errs_add(e, o->kind == PFS_OBJ_SECRET ? "data" : "[]", "Too long: must have at most %d bytes",
                              PFS_OBJECT_MAX_DATA);
        if (o->kind == PFS_OBJ_SECRET) {
                e->line_path = "type";  /* a missing key is missing for this type */
                validate_secret_type(o, e);
                e->line_path = NULL;
        }
}

static bool too_big(const struct pfs_object *o)
{
        size_t total = 0;

        for (size_t i = 0; i < o->n_items; i++)
                total += o->items[i].len;
        return total > PFS_OBJECT_MAX_DATA;
}

int pfs_object_validate(const struct pfs_object *o, struct pfs_error *err)
{
        struct spec_errs e = { 0 };
        struct pfs_error local;

        if (!err)
                err = &local;
        object_validate_errs(o, &e);
        if (e.n == 0)
                return 0;
        spec_errs_report(&e, NULL, pfs_object_kind_name(o->kind), o->name, err);
        if (too_big(o))
                err->code = EFBIG;
        return -err->code;
}

/* ValidateImmutableField and the `immutable` rules of ConfigMaps and Secrets. */
static void validate_immutable(const struct pfs_object *old, const struct pfs_object *new, struct spec_errs *e)
{
        if (old->kind == PFS_OBJ_SECRET && strcmp(old->type ? old->type : "Opaque", new->type ? new->type : "Opaque"))
                spec_err_invalid_str(e, "type", new->type ? new->type : "Opaque", "field is immutable");
        if (!old->immutable)
                return;
        if (!new->immutable)
                spec_err_forbidden(e, "immutable", IMMUTABLE_MSG);
        if (!pfs_object_items_same(old, new, false))
                spec_err_forbidden(e, "data", IMMUTABLE_MSG);
        if (old->kind == PFS_OBJ_CONFIGMAP && !pfs_object_items_same(old, new, true))
                spec_err_forbidden(e, "binaryData", IMMUTABLE_MSG);
}

/* A bound claim's spec may change only in resources.requests, and not shrink. */
static void validate_pvc_update(const struct pfs_object *old, const struct pfs_object *new, struct spec_errs *e)
{
        struct yval *a = yval_clone(old->pvc_spec), *b = yval_clone(new->pvc_spec);
        const char *qa = yval_get_str(yval_map_get(yval_map_get(a, "resources"), "requests"), "storage", "0");
        const char *qb = yval_get_str(yval_map_get(yval_map_get(b, "resources"), "requests"), "storage", "0");
        int cmp = 0;

        if (pod_quantity_cmp(qb, qa, &cmp) == 0 && cmp < 0)
                spec_err_forbidden(e, "spec.resources.requests.storage", "field can not be less than previous value");
        yval_map_set(a, "resources", yval_new_null());
        yval_map_set(b, "resources", yval_new_null());
        if (!yval_equal(a, b))
                spec_err_forbidden(e, "spec", "spec is immutable after creation except resources.requests and "
                                   "volumeAttributesClassName for bound claims");
        yval_free(a);
        yval_free(b);
}

int pfs_object_validate_update(const struct pfs_object *old, const struct pfs_object *new, struct pfs_error *err)
{
        struct spec_errs e = { 0 };
        struct pfs_error tmp;

        if (old->kind == PFS_OBJ_PVC)
                validate_pvc_update(old, new, &e);
        else
                validate_immutable(old, new, &e);
        if (e.n == 0)
                return 0;
        spec_errs_report(&e, NULL, pfs_object_kind_name(new->kind), new->name, &tmp);
        return pfs_error_set(err, EPERM, "%s", tmp.msg);
}
