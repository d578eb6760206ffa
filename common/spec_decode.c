/* Manifest tree -> struct pod_spec: strict field names (unknown fields and
 * fields podfs does not implement are errors, never ignored) and types. */
#include <string.h>
#include "pfs/status.h"
#include "spec_internal.h"

/* A value that changes nothing: null, false, 0, "", {} or []. */
static bool is_empty_value(const struct yval *v)
{
        if (!v)
                return true;
        switch (v->type) {
        case YVAL_NULL:
                return true;
        case YVAL_BOOL:
                return !v->b;
        case YVAL_INT:
                return v->i == 0;
        case YVAL_FLOAT:
                return v->f == 0;
        case YVAL_STRING:
                return v->str.len == 0;
        case YVAL_LIST:
                return v->list.n == 0;
        case YVAL_MAP:
                return v->map.n == 0;
        }
        return false;
}

static void check_member(struct spec_errs *e, const struct ymember *m, const char *path,
                         const struct field *f)
{
        _cleanup_free_ char *p = spec_path_key(path, m->key);

        if (!f) {
                spec_errs_add_plain(e, p, "unknown field \"%s\"", p);
                e->n_fatal++;
                return;
        }
        if (f->kind == FLD_OK || f->kind == FLD_ANY || !m->val || m->val->type == YVAL_NULL)
                return;
        if (!f->strict && is_empty_value(m->val))
                return;
        if (f->dflt) {
                _cleanup_free_ char *repr = spec_value_repr(m->val);

                if (!strcmp(repr, f->dflt))
                        return;
        }
        if (f->kind == FLD_SYSTEM)
                spec_err_forbidden(e, p, "assigned by podfs, may not be set in a manifest");
        else if (f->kind == FLD_NOT_ON_CREATE)
                spec_err_forbidden(e, p, "cannot be set on create");
        else
                spec_err_forbidden(e, p, "not supported by podfs yet");
}

static void check_fields(struct spec_errs *e, const struct yval *map, const char *path,
                         const struct field *fields, size_t n)
{
        for (size_t i = 0; i < map->map.n; i++) {
                const struct field *f = NULL;

                for (size_t k = 0; k < n && !f; k++)
                        if (!strcmp(fields[k].name, map->map.m[i].key))
                                f = &fields[k];
                check_member(e, &map->map.m[i], path, f);
        }
}

static void type_error(struct spec_errs *e, const char *path, const struct yval *v, const char *want)
{
        _cleanup_free_ char *r = spec_value_repr(v);

        spec_errs_add(e, path, "Invalid value: %s: must be %s", r, want);
        e->n_fatal++;
}

/* The member's value if it has type t; NULL when absent or null; a type error otherwise. */
static const struct yval *get_typed(struct spec_errs *e, const struct yval *map, const char *key,
                                    const char *path, enum yval_type t, const char *want)
{
        const struct yval *v = yval_map_get(map, key);
        _cleanup_free_ char *p = NULL;

        if (!v || v->type == YVAL_NULL)
                return NULL;
        if (v->type == t)
                return v;
        p = spec_path_key(path, key);
        type_error(e, p, v, want);
        return NULL;
}

static bool str_ok(struct spec_errs *e, const char *path, const struct yval *v)
{
        if (v->type != YVAL_STRING) {
                type_error(e, path, v, "a string");
                return false;
        }
        if (strlen(v->str.s) != v->str.len) {
                _cleanup_free_ char *r = spec_value_repr(v);

                spec_errs_add(e, path, "Invalid value: %s: must not contain NUL characters", r);
                e->n_fatal++;
                return false;
        }
        return true;
}

/* NULL when absent, null or of the wrong type (then an error is recorded). */
static char *get_str(struct spec_errs *e, const struct yval *map, const char *key, const char *path)
{
        const struct yval *v = yval_map_get(map, key);
        _cleanup_free_ char *p = spec_path_key(path, key);

        if (!v || v->type == YVAL_NULL || !str_ok(e, p, v))
                return NULL;
        return xstrdup(v->str.s);
}

static bool get_bool(struct spec_errs *e, const struct yval *map, const char *key, const char *path,
                     bool def)
{
        const struct yval *v = get_typed(e, map, key, path, YVAL_BOOL, "a boolean (true or false)");

        return v ? v->b : def;
}

static int64_t get_int(struct spec_errs *e, const struct yval *map, const char *key, const char *path,
                       int64_t min, int64_t max, int64_t def)
{
        const struct yval *v = get_typed(e, map, key, path, YVAL_INT, "an integer");
        _cleanup_free_ char *p = NULL;

        if (!v)
                return def;
        if (v->i < min || v->i > max) {
                p = spec_path_key(path, key);
                spec_err_invalid_int(e, p, (long long)v->i, max > INT32_MAX ? "out of range of a 64-bit integer"
                                                                             : "must fit in a 32-bit integer");
                /* the API server's decoder refuses it: nothing is validated
                 * (the default in its place would add a "Required value") */
                e->n_fatal++;
                return def;
        }
        return v->i;
}

static const struct yval *get_map(struct spec_errs *e, const struct yval *map, const char *key,
                                  const char *path)
{
        return get_typed(e, map, key, path, YVAL_MAP, "an object");
}

static const struct yval *get_list(struct spec_errs *e, const struct yval *map, const char *key,
                                   const char *path)
{
        return get_typed(e, map, key, path, YVAL_LIST, "an array");
}

static void get_str_list(struct spec_errs *e, const struct yval *map, const char *key, const char *path,
                         char ***ret, size_t *ret_n)
{
        const struct yval *l = get_list(e, map, key, path);
        _cleanup_free_ char *p = spec_path_key(path, key);

        if (!l)
                return;
        *ret = xcalloc(l->list.n + 1, sizeof(char *));
        for (size_t i = 0; i < l->list.n; i++) {
                _cleanup_free_ char *ip = spec_path_idx(p, i);

                if (str_ok(e, ip, l->list.items[i]))
                        (*ret)[(*ret_n)++] = xstrdup(l->list.items[i]->str.s);
        }
}

static void get_str_map(struct spec_errs *e, const struct yval *map, const char *key, const char *path,
                        struct pod_kv **ret, size_t *ret_n)
{
        const struct yval *m = get_map(e, map, key, path);
        _cleanup_free_ char *p = spec_path_key(path, key);

        if (!m)
                return;
        *ret = xcalloc(m->map.n + 1, sizeof(struct pod_kv));
        for (size_t i = 0; i < m->map.n; i++) {
                _cleanup_free_ char *kp = xasprintf("%s[%s]", p, m->map.m[i].key);
                const struct yval *v = m->map.m[i].val;

                if (v && v->type == YVAL_NULL)
                        v = NULL;
                if (v && !str_ok(e, kp, v))
                        continue;
                (*ret)[*ret_n].key = xstrdup(m->map.m[i].key);
                (*ret)[*ret_n].value = xstrdup(v ? v->str.s : "");
                (*ret_n)++;
        }
}

/* An object at path (list items must be objects). */
static bool is_object(struct spec_errs *e, const struct yval *v, const char *path)
{
        if (v && v->type == YVAL_MAP)
                return true;
        type_error(e, path, v, "an object");
        return false;
}

/* ---- metadata ---- */

static const struct field meta_fields[] = {
        { "name", FLD_OK }, { "namespace", FLD_OK }, { "labels", FLD_OK }, { "annotations", FLD_OK },
        { "generateName", FLD_UNSUPPORTED }, { "ownerReferences", FLD_UNSUPPORTED }, { "finalizers", FLD_UNSUPPORTED },
        { "selfLink", FLD_SYSTEM }, { "uid", FLD_SYSTEM }, { "resourceVersion", FLD_SYSTEM },
        { "generation", FLD_SYSTEM }, { "creationTimestamp", FLD_SYSTEM }, { "deletionTimestamp", FLD_SYSTEM },
        { "deletionGracePeriodSeconds", FLD_SYSTEM }, { "managedFields", FLD_SYSTEM },
        { "clusterName", FLD_SYSTEM },     /* gone since Kubernetes 1.25; old dumps carry it empty */
};

static void decode_meta(struct spec_errs *e, const struct yval *m, struct pod_spec *s)
{
        const char *p = "metadata";

        check_fields(e, m, p, meta_fields, ARRAY_SIZE(meta_fields));
        s->name = get_str(e, m, "name", p);
        s->namespace = get_str(e, m, "namespace", p);
        get_str_map(e, m, "labels", p, &s->labels, &s->n_labels);
        get_str_map(e, m, "annotations", p, &s->annotations, &s->n_annotations);
}

/* ---- containers ---- */

static const struct field field_ref_fields[] = { { "apiVersion", FLD_OK }, { "fieldPath", FLD_OK } };
static const struct field resource_ref_fields[] = {
        { "containerName", FLD_OK }, { "resource", FLD_OK }, { "divisor", FLD_OK },
};
static const struct field key_ref_fields[] = { { "name", FLD_OK }, { "key", FLD_OK }, { "optional", FLD_OK } };
static const struct field obj_ref_fields[] = { { "name", FLD_OK }, { "optional", FLD_OK } };
static const struct field value_from_fields[] = {
        { "fieldRef", FLD_OK }, { "resourceFieldRef", FLD_OK }, { "configMapKeyRef", FLD_OK },
        { "secretKeyRef", FLD_OK }, { "fileKeyRef", FLD_UNSUPPORTED },
};
static const struct field env_from_fields[] = {
        { "prefix", FLD_OK }, { "configMapRef", FLD_OK }, { "secretRef", FLD_OK },
};
static const struct field env_fields[] = {
        { "name", FLD_OK }, { "value", FLD_OK }, { "valueFrom", FLD_OK },
};

static char *decode_quantity(struct spec_errs *e, const struct yval *map, const char *key, const char *path);

/* A key/object selector (ConfigMapKeySelector, SecretKeySelector,
 * ConfigMapEnvSource, SecretEnvSource); NULL when absent or null. */
static struct pod_key_selector *decode_key_ref(struct spec_errs *e, const struct yval *map, const char *key,
                                               const char *path, bool with_key)
{
        const struct yval *v = get_map(e, map, key, path);
        _cleanup_free_ char *p = spec_path_key(path, key);
        struct pod_key_selector *k;

        if (!v)
                return NULL;
        if (with_key)
                check_fields(e, v, p, key_ref_fields, ARRAY_SIZE(key_ref_fields));
        else
                check_fields(e, v, p, obj_ref_fields, ARRAY_SIZE(obj_ref_fields));
        k = xcalloc(1, sizeof(*k));
        k->name = get_str(e, v, "name", p);
        if (with_key)
                k->key = get_str(e, v, "key", p);
        k->optional_set = yval_map_get(v, "optional") && yval_map_get(v, "optional")->type != YVAL_NULL;
        k->optional = get_bool(e, v, "optional", p, false);
        return k;
}

static struct pod_field_selector *decode_field_ref(struct spec_errs *e, const struct yval *map, const char *path)
{
        const struct yval *v = get_map(e, map, "fieldRef", path);
        _cleanup_free_ char *p = spec_path_key(path, "fieldRef");
        struct pod_field_selector *f;

        if (!v)
                return NULL;
        check_fields(e, v, p, field_ref_fields, ARRAY_SIZE(field_ref_fields));
        f = xcalloc(1, sizeof(*f));
        f->api_version = get_str(e, v, "apiVersion", p);
        f->field_path = get_str(e, v, "fieldPath", p);
        return f;
}

static struct pod_resource_selector *decode_resource_ref(struct spec_errs *e, const struct yval *map,
                                                         const char *path)
{
        const struct yval *v = get_map(e, map, "resourceFieldRef", path);
        _cleanup_free_ char *p = spec_path_key(path, "resourceFieldRef");
        struct pod_resource_selector *r;

        if (!v)
                return NULL;
        check_fields(e, v, p, resource_ref_fields, ARRAY_SIZE(resource_ref_fields));
        r = xcalloc(1, sizeof(*r));
        r->container_name = get_str(e, v, "containerName", p);
        r->resource = get_str(e, v, "resource", p);
        r->divisor = decode_quantity(e, v, "divisor", p);
        return r;
}

static struct pod_env_source *decode_value_from(struct spec_errs *e, const struct yval *map, const char *path)
{
        const struct yval *v = get_map(e, map, "valueFrom", path);
        _cleanup_free_ char *p = spec_path_key(path, "valueFrom");
        struct pod_env_source *src;

        if (!v)
                return NULL;
        check_fields(e, v, p, value_from_fields, ARRAY_SIZE(value_from_fields));
        src = xcalloc(1, sizeof(*src));
        src->field_ref = decode_field_ref(e, v, p);
        src->resource_field_ref = decode_resource_ref(e, v, p);
        src->config_map_key_ref = decode_key_ref(e, v, "configMapKeyRef", p, true);
        src->secret_key_ref = decode_key_ref(e, v, "secretKeyRef", p, true);
        src->file_key_ref = yval_map_get(v, "fileKeyRef") && yval_map_get(v, "fileKeyRef")->type != YVAL_NULL;
        return src;
}

static void decode_env(struct spec_errs *e, const struct yval *v, const char *p, struct pod_env *env)
{
        check_fields(e, v, p, env_fields, ARRAY_SIZE(env_fields));
        env->name = get_str(e, v, "name", p);
        env->value = get_str(e, v, "value", p);
        if (!env->value)
                env->value = xstrdup("");
        env->value_from = decode_value_from(e, v, p);
}

static void decode_env_from(struct spec_errs *e, const struct yval *v, const char *p, struct pod_env_from *ef)
{
        check_fields(e, v, p, env_from_fields, ARRAY_SIZE(env_from_fields));
        ef->prefix = get_str(e, v, "prefix", p);
        ef->config_map_ref = decode_key_ref(e, v, "configMapRef", p, false);
        ef->secret_ref = decode_key_ref(e, v, "secretRef", p, false);
}

static const struct field mount_fields[] = {
        { "name", FLD_OK }, { "mountPath", FLD_OK }, { "subPath", FLD_OK }, { "readOnly", FLD_OK },
        { "recursiveReadOnly", FLD_UNSUPPORTED, "\"Disabled\"" }, { "mountPropagation", FLD_UNSUPPORTED, "\"None\"" },
        { "subPathExpr", FLD_OK },
};

static void decode_mount(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume_mount *m)
{
        check_fields(e, v, p, mount_fields, ARRAY_SIZE(mount_fields));
        m->name = get_str(e, v, "name", p);
        m->mount_path = get_str(e, v, "mountPath", p);
        m->sub_path = get_str(e, v, "subPath", p);
        if (m->sub_path && !*m->sub_path) {
                free(m->sub_path);
                m->sub_path = NULL;
        }
        m->read_only = get_bool(e, v, "readOnly", p, false);
        m->sub_path_expr = get_str(e, v, "subPathExpr", p);
        if (m->sub_path_expr && !*m->sub_path_expr) {
                free(m->sub_path_expr);
                m->sub_path_expr = NULL;
        }
}

static const struct field port_fields[] = {
        { "name", FLD_OK }, { "containerPort", FLD_OK }, { "protocol", FLD_OK },
        { "hostPort", FLD_OK }, { "hostIP", FLD_OK },
};

static void decode_port(struct spec_errs *e, const struct yval *v, const char *p, struct pod_port *port)
{
        check_fields(e, v, p, port_fields, ARRAY_SIZE(port_fields));
        port->name = get_str(e, v, "name", p);
        port->container_port = (int32_t)get_int(e, v, "containerPort", p, INT32_MIN, INT32_MAX, 0);
        port->protocol = get_str(e, v, "protocol", p);
        port->host_port = (int32_t)get_int(e, v, "hostPort", p, INT32_MIN, INT32_MAX, 0);
        port->host_ip = get_str(e, v, "hostIP", p);
}

/* Decode list KEY of objects into a new array with fn (one element per object). */
#define DECODE_LIST(e_, map_, key_, path_, arr_, n_, fn_)                                       \
        do {                                                                                    \
                const struct yval *l_ = get_list(e_, map_, key_, path_);                        \
                _cleanup_free_ char *lp_ = spec_path_key(path_, key_);                          \
                if (!l_)                                                                        \
                        break;                                                                  \
                (arr_) = xcalloc(l_->list.n + 1, sizeof(*(arr_)));                              \
                for (size_t i_ = 0; i_ < l_->list.n; i_++) {                                    \
                        _cleanup_free_ char *ip_ = spec_path_idx(lp_, i_);                      \
                        if (is_object(e_, l_->list.items[i_], ip_))                             \
                                fn_(e_, l_->list.items[i_], ip_, &(arr_)[(n_)++]);              \
                }                                                                               \
        } while (0)

/* ---- hooks and probes ---- */

static const struct field exec_fields[] = { { "command", FLD_OK } };
static const struct field http_get_fields[] = {
        { "path", FLD_OK }, { "port", FLD_OK }, { "host", FLD_OK }, { "scheme", FLD_OK }, { "httpHeaders", FLD_OK },
};
static const struct field header_fields[] = { { "name", FLD_OK }, { "value", FLD_OK } };
static const struct field tcp_socket_fields[] = { { "port", FLD_OK }, { "host", FLD_OK } };
static const struct field grpc_fields[] = { { "port", FLD_OK }, { "service", FLD_OK } };
static const struct field sleep_fields[] = { { "seconds", FLD_OK } };

/* An IntOrString port: a number, or a name looked up in the container's ports. */
static void decode_port_ref(struct spec_errs *e, const struct yval *map, const char *path, struct pod_handler *h)
{
        const struct yval *v = yval_map_get(map, "port");
        _cleanup_free_ char *p = spec_path_key(path, "port");

        if (v && v->type == YVAL_STRING)
                h->port_name = get_str(e, map, "port", path);
        else if (v && v->type != YVAL_NULL && v->type != YVAL_INT)
                type_error(e, p, v, "an integer or a string (a port number or name)");
        else
                h->port = (int32_t)get_int(e, map, "port", path, INT32_MIN, INT32_MAX, 0);
}

static void decode_header(struct spec_errs *e, const struct yval *v, const char *p, struct pod_kv *kv)
{
        check_fields(e, v, p, header_fields, ARRAY_SIZE(header_fields));
        kv->key = get_str(e, v, "name", p);
        kv->value = get_str(e, v, "value", p);
        if (!kv->key)
                kv->key = xstrdup("");
        if (!kv->value)
                kv->value = xstrdup("");
}

static void decode_exec(struct spec_errs *e, const struct yval *v, const char *p, struct pod_handler *h)
{
        check_fields(e, v, p, exec_fields, ARRAY_SIZE(exec_fields));
        get_str_list(e, v, "command", p, &h->command, &h->n_command);
}

static void decode_http_get(struct spec_errs *e, const struct yval *v, const char *p, struct pod_handler *h)
{
        check_fields(e, v, p, http_get_fields, ARRAY_SIZE(http_get_fields));
        h->path = get_str(e, v, "path", p);
        decode_port_ref(e, v, p, h);
        h->host = get_str(e, v, "host", p);
        h->scheme = get_str(e, v, "scheme", p);
        DECODE_LIST(e, v, "httpHeaders", p, h->headers, h->n_headers, decode_header);
}

static void decode_tcp_socket(struct spec_errs *e, const struct yval *v, const char *p, struct pod_handler *h)
{
        check_fields(e, v, p, tcp_socket_fields, ARRAY_SIZE(tcp_socket_fields));
        decode_port_ref(e, v, p, h);
        h->host = get_str(e, v, "host", p);
}

static void decode_grpc(struct spec_errs *e, const struct yval *v, const char *p, struct pod_handler *h)
{
        check_fields(e, v, p, grpc_fields, ARRAY_SIZE(grpc_fields));
        h->port = (int32_t)get_int(e, v, "port", p, INT32_MIN, INT32_MAX, 0);
        h->service = get_str(e, v, "service", p);
}

static void decode_sleep(struct spec_errs *e, const struct yval *v, const char *p, struct pod_handler *h)
{
        check_fields(e, v, p, sleep_fields, ARRAY_SIZE(sleep_fields));
        h->seconds = get_int(e, v, "seconds", p, INT64_MIN, INT64_MAX, 0);
}

typedef void handler_decode_fn(struct spec_errs *e, const struct yval *v, const char *p, struct pod_handler *h);

/* In the order of spec_handler_types. */
static handler_decode_fn *const handler_decoders[] = {
        decode_exec, decode_http_get, decode_tcp_socket, decode_grpc, decode_sleep,
};

/* The first action present in map (validation reports any other, as the API
 * server does; unknown keys were reported by check_fields). */
static void decode_handler(struct spec_errs *e, const struct yval *map, const char *path, struct pod_handler *h)
{
        for (size_t k = 0; k < ARRAY_SIZE(spec_handler_types) && h->kind == POD_HANDLER_NONE; k++) {
                const struct yval *v = yval_map_get(map, spec_handler_types[k].key);
                _cleanup_free_ char *p = spec_path_key(path, spec_handler_types[k].key);

                if (!v || v->type == YVAL_NULL || !is_object(e, v, p))
                        continue;
                h->kind = spec_handler_types[k].kind;
                handler_decoders[k](e, v, p, h);
        }
}

static const struct field hook_fields[] = {
        { "exec", FLD_OK }, { "httpGet", FLD_OK }, { "tcpSocket", FLD_OK }, { "sleep", FLD_OK },
};

static struct pod_handler *decode_hook(struct spec_errs *e, const struct yval *map, const char *key,
                                       const char *path)
{
        const struct yval *v = get_map(e, map, key, path);
        _cleanup_free_ char *p = spec_path_key(path, key);
        struct pod_handler *h;

        if (!v)
                return NULL;
        h = xcalloc(1, sizeof(*h));
        check_fields(e, v, p, hook_fields, ARRAY_SIZE(hook_fields));
        decode_handler(e, v, p, h);
        return h;
}

static const struct field lifecycle_fields[] = {
        { "postStart", FLD_OK }, { "preStop", FLD_OK }, { "stopSignal", FLD_OK },
};

static void decode_lifecycle(struct spec_errs *e, const struct yval *ctr, const char *path, struct pod_container *c)
{
        const struct yval *v = get_map(e, ctr, "lifecycle", path);
        _cleanup_free_ char *p = spec_path_key(path, "lifecycle");

        if (!v)
                return;
        check_fields(e, v, p, lifecycle_fields, ARRAY_SIZE(lifecycle_fields));
        c->post_start = decode_hook(e, v, "postStart", p);
        c->pre_stop = decode_hook(e, v, "preStop", p);
}

static const struct field probe_fields[] = {
        { "exec", FLD_OK }, { "httpGet", FLD_OK }, { "tcpSocket", FLD_OK }, { "grpc", FLD_OK },
        { "initialDelaySeconds", FLD_OK }, { "timeoutSeconds", FLD_OK }, { "periodSeconds", FLD_OK },
        { "successThreshold", FLD_OK }, { "failureThreshold", FLD_OK },
        { "terminationGracePeriodSeconds", FLD_OK },
};

/* Thresholds and periods as written (0 when absent: defaults apply later). */
static struct pod_probe *decode_probe(struct spec_errs *e, const struct yval *ctr, const char *key,
                                      const char *path)
{
        const struct yval *v = get_map(e, ctr, key, path);
        _cleanup_free_ char *p = spec_path_key(path, key);
        struct pod_probe *pr;

        if (!v)
                return NULL;
        pr = xcalloc(1, sizeof(*pr));
        check_fields(e, v, p, probe_fields, ARRAY_SIZE(probe_fields));
        decode_handler(e, v, p, &pr->h);
        pr->initial_delay_seconds = (int32_t)get_int(e, v, "initialDelaySeconds", p, INT32_MIN, INT32_MAX, 0);
        pr->timeout_seconds = (int32_t)get_int(e, v, "timeoutSeconds", p, INT32_MIN, INT32_MAX, 0);
        pr->period_seconds = (int32_t)get_int(e, v, "periodSeconds", p, INT32_MIN, INT32_MAX, 0);
        pr->success_threshold = (int32_t)get_int(e, v, "successThreshold", p, INT32_MIN, INT32_MAX, 0);
        pr->failure_threshold = (int32_t)get_int(e, v, "failureThreshold", p, INT32_MIN, INT32_MAX, 0);
        pr->termination_grace_period_seconds = get_int(e, v, "terminationGracePeriodSeconds", p, INT64_MIN,
                                                       INT64_MAX, -1);
        return pr;
}

/* ---- resources ---- */


static const struct field resources_fields[] = {
        { "limits", FLD_OK }, { "requests", FLD_OK }, { "claims", FLD_UNSUPPORTED },
};

/* limits or requests: cpu, memory and ephemeral-storage; any other resource
 * (hugepages-*, extended resources) is refused, even at 0. */
static void decode_resource_list(struct spec_errs *e, const struct yval *res, const char *key, const char *path,
                                 char **ret_cpu, char **ret_memory, char **ret_storage)
{
        const struct yval *v = get_map(e, res, key, path);
        _cleanup_free_ char *p = spec_path_key(path, key);

        if (!v)
                return;
        for (size_t i = 0; i < v->map.n; i++) {
                const char *name = v->map.m[i].key;
                _cleanup_free_ char *kp = NULL;

                if (!strcmp(name, "cpu") || !strcmp(name, "memory") || !strcmp(name, "ephemeral-storage"))
                        continue;
                kp = xasprintf("%s[%s]", p, name);
                spec_err_forbidden(e, kp, "not supported by podfs yet");
        }
        *ret_cpu = decode_quantity(e, v, "cpu", p);
        *ret_memory = decode_quantity(e, v, "memory", p);
        *ret_storage = decode_quantity(e, v, "ephemeral-storage", p);
}

static void decode_resources(struct spec_errs *e, const struct yval *ctr, const char *path, struct pod_container *c)
{
        const struct yval *v = get_map(e, ctr, "resources", path);
        _cleanup_free_ char *p = spec_path_key(path, "resources");

        if (!v)
                return;
        check_fields(e, v, p, resources_fields, ARRAY_SIZE(resources_fields));
        decode_resource_list(e, v, "limits", p, &c->cpu_limit, &c->memory_limit, &c->ephemeral_storage_limit);
        decode_resource_list(e, v, "requests", p, &c->cpu_request, &c->memory_request,
                             &c->ephemeral_storage_request);
}

static const struct field container_fields[] = {
        { "name", FLD_OK }, { "image", FLD_OK }, { "command", FLD_OK }, { "args", FLD_OK },
        { "workingDir", FLD_OK }, { "ports", FLD_OK }, { "env", FLD_OK }, { "volumeMounts", FLD_OK },
        { "terminationMessagePath", FLD_OK }, { "terminationMessagePolicy", FLD_OK },
        { "imagePullPolicy", FLD_OK },
        { "envFrom", FLD_OK }, { "resources", FLD_OK }, { "resizePolicy", FLD_OK },
        { "livenessProbe", FLD_OK }, { "readinessProbe", FLD_OK }, { "startupProbe", FLD_OK },
        { "lifecycle", FLD_OK },
        { "restartPolicy", FLD_OK }, { "restartPolicyRules", FLD_ANY }, { "volumeDevices", FLD_UNSUPPORTED },
        { "securityContext", FLD_OK }, { "stdin", FLD_OK }, { "stdinOnce", FLD_OK }, { "tty", FLD_OK },
};

static void decode_container(struct spec_errs *e, const struct yval *v, const char *p,
                             struct pod_container *c)
{
        check_fields(e, v, p, container_fields, ARRAY_SIZE(container_fields));
        c->name = get_str(e, v, "name", p);
        c->image = get_str(e, v, "image", p);
        get_str_list(e, v, "command", p, &c->command, &c->n_command);
        get_str_list(e, v, "args", p, &c->args, &c->n_args);
        c->working_dir = get_str(e, v, "workingDir", p);
        if (c->working_dir && !*c->working_dir) {
                free(c->working_dir);
                c->working_dir = NULL;
        }
        DECODE_LIST(e, v, "ports", p, c->ports, c->n_ports, decode_port);
        DECODE_LIST(e, v, "env", p, c->env, c->n_env, decode_env);
        DECODE_LIST(e, v, "envFrom", p, c->env_from, c->n_env_from, decode_env_from);
        DECODE_LIST(e, v, "volumeMounts", p, c->mounts, c->n_mounts, decode_mount);
        c->termination_message_path = get_str(e, v, "terminationMessagePath", p);
        c->termination_message_policy = get_str(e, v, "terminationMessagePolicy", p);
        c->image_pull_policy = get_str(e, v, "imagePullPolicy", p);
        c->restart_policy = get_str(e, v, "restartPolicy", p);
        if (yval_map_get(v, "restartPolicyRules") && !is_empty_value(yval_map_get(v, "restartPolicyRules"))) {
                _cleanup_free_ char *kp = spec_path_key(p, "restartPolicyRules");

                spec_err_forbidden(e, kp, "not supported by podfs yet: ContainerRestartRules (KEP-5307) is alpha in "
                                          "Kubernetes 1.34");
        }
        decode_lifecycle(e, v, p, c);
        spec_decode_container_stdio(e, v, p, c);
        c->liveness = decode_probe(e, v, "livenessProbe", p);
        c->readiness = decode_probe(e, v, "readinessProbe", p);
        c->startup = decode_probe(e, v, "startupProbe", p);
        decode_resources(e, v, p, c);
        spec_decode_resize_policy(e, v, p, c);
        spec_decode_container_security(e, v, p, c);
}

/* ---- volumes ---- */

static const struct field empty_dir_fields[] = { { "medium", FLD_OK }, { "sizeLimit", FLD_OK } };
static const struct field host_path_fields[] = { { "path", FLD_OK }, { "type", FLD_OK } };

/* resource.Quantity's syntax (then its parser, pod_quantity_cmp, has the last word): ^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$ */
static bool quantity_syntax_ok(const char *s)
{
        size_t n = strspn(s + (*s == '+' || *s == '-'), "0123456789.");

        if (n == 0)
                return false;
        s += (*s == '+' || *s == '-') + n;
        s += strspn(s, "eEinumkKMGTP");
        s += (*s == '+' || *s == '-');
        s += strspn(s, "0123456789");
        return *s == '\0';
}

static char *decode_quantity(struct spec_errs *e, const struct yval *map, const char *key, const char *path)
{
        const struct yval *v = yval_map_get(map, key);
        _cleanup_free_ char *p = spec_path_key(path, key);
        char *q;
        int cmp;

        if (!v || v->type == YVAL_NULL)
                return NULL;
        if (v->type == YVAL_INT)
                return xasprintf("%lld", (long long)v->i);
        if (v->type != YVAL_STRING) {
                type_error(e, p, v, "a quantity (a string such as \"1Gi\", or an integer)");
                return NULL;
        }
        q = xstrdup(v->str.s);
        if (!quantity_syntax_ok(q) || pod_quantity_cmp(q, "0", &cmp) < 0) {
                spec_err_invalid_str(e, p, q,
                                     "quantities must match the regular expression "
                                     "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
                free(q);
                return NULL;
        }
        return q;
}

static void decode_empty_dir(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume *vol)
{
        vol->kind = POD_VOLUME_EMPTY_DIR;
        check_fields(e, v, p, empty_dir_fields, ARRAY_SIZE(empty_dir_fields));
        vol->medium = get_str(e, v, "medium", p);
        if (!vol->medium)
                vol->medium = xstrdup("");
        vol->size_limit = decode_quantity(e, v, "sizeLimit", p);
}

static void decode_host_path(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume *vol)
{
        vol->kind = POD_VOLUME_HOST_PATH;
        check_fields(e, v, p, host_path_fields, ARRAY_SIZE(host_path_fields));
        vol->host_path = get_str(e, v, "path", p);
        vol->host_path_type = get_str(e, v, "type", p);
}

/* Sources in the order the API server checks them (the second one found is
 * the one reported as "more than 1 volume type"). */
static const struct field volume_fields[] = {
        { "name", FLD_OK }, { "emptyDir", FLD_OK }, { "hostPath", FLD_OK },
        { "gitRepo", FLD_UNSUPPORTED }, { "gcePersistentDisk", FLD_UNSUPPORTED }, { "awsElasticBlockStore", FLD_UNSUPPORTED },
        { "secret", FLD_OK }, { "nfs", FLD_UNSUPPORTED }, { "iscsi", FLD_UNSUPPORTED }, { "glusterfs", FLD_UNSUPPORTED },
        { "flocker", FLD_UNSUPPORTED }, { "persistentVolumeClaim", FLD_OK }, { "rbd", FLD_UNSUPPORTED },
        { "quobyte", FLD_UNSUPPORTED }, { "cinder", FLD_UNSUPPORTED }, { "cephfs", FLD_UNSUPPORTED }, { "downwardAPI", FLD_OK },
        { "fc", FLD_UNSUPPORTED }, { "flexVolume", FLD_UNSUPPORTED }, { "configMap", FLD_OK }, { "azureFile", FLD_UNSUPPORTED },
        { "vsphereVolume", FLD_UNSUPPORTED }, { "photonPersistentDisk", FLD_UNSUPPORTED }, { "portworxVolume", FLD_UNSUPPORTED },
        { "azureDisk", FLD_UNSUPPORTED }, { "storageos", FLD_UNSUPPORTED }, { "projected", FLD_OK }, { "scaleIO", FLD_UNSUPPORTED },
        { "csi", FLD_UNSUPPORTED }, { "ephemeral", FLD_UNSUPPORTED }, { "image", FLD_OK },
};

static void decode_volume_source(struct spec_errs *e, const struct ymember *m, const char *p,
                                 struct pod_volume *vol)
{
        _cleanup_free_ char *mp = spec_path_key(p, m->key);

        if (!strcmp(m->key, "hostPath")) {
                if (is_object(e, m->val, mp))
                        decode_host_path(e, m->val, mp, vol);
        } else if (!strcmp(m->key, "emptyDir")) {
                if (is_object(e, m->val, mp))
                        decode_empty_dir(e, m->val, mp, vol);
        } else if (spec_volsrc_decode(e, m, mp, vol)) {
                /* configMap, secret, downwardAPI, projected, persistentVolumeClaim, image */
        } else if (is_empty_value(m->val)) {
                /* "secret: {}" still selects a volume type (check_fields reported
                 * the non-empty ones). */
                spec_err_forbidden(e, mp, "not supported by podfs yet");
        }
}

/* Exactly one source, as the API server requires. */
static void decode_volume(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume *vol)
{
        size_t n_src = 0;

        check_fields(e, v, p, volume_fields, ARRAY_SIZE(volume_fields));
        vol->name = get_str(e, v, "name", p);
        for (size_t i = 1; i < ARRAY_SIZE(volume_fields); i++) {
                const struct ymember *m = yval_map_member(v, volume_fields[i].name);
                _cleanup_free_ char *mp = NULL;

                if (!m || !m->val || m->val->type == YVAL_NULL)
                        continue;
                if (++n_src == 1) {
                        decode_volume_source(e, m, p, vol);
                        continue;
                }
                mp = spec_path_key(p, m->key);
                spec_err_forbidden(e, mp, "may not specify more than 1 volume type");
        }
        if (n_src == 0)
                spec_err_required(e, p, "must specify a volume type");
}

/* ---- pod spec ---- */

static const struct field spec_fields[] = {
        { "volumes", FLD_OK }, { "containers", FLD_OK }, { "restartPolicy", FLD_OK },
        { "terminationGracePeriodSeconds", FLD_OK }, { "dnsPolicy", FLD_OK }, { "hostNetwork", FLD_OK },
        { "shareProcessNamespace", FLD_OK }, { "hostname", FLD_OK }, { "schedulerName", FLD_OK },
        { "enableServiceLinks", FLD_OK }, { "initContainers", FLD_OK }, { "activeDeadlineSeconds", FLD_OK },
        { "preemptionPolicy", FLD_ANY }, { "priority", FLD_ANY },
        { "ephemeralContainers", FLD_NOT_ON_CREATE }, { "nodeSelector", FLD_ANY },
        /* no service account tokens: only the default account, without its token */
        { "serviceAccountName", FLD_UNSUPPORTED, "\"default\"" }, { "serviceAccount", FLD_UNSUPPORTED, "\"default\"" },
        { "automountServiceAccountToken", FLD_UNSUPPORTED, "false", true }, { "nodeName", FLD_ANY }, { "hostPID", FLD_OK },
        { "hostIPC", FLD_OK }, { "securityContext", FLD_OK }, { "imagePullSecrets", FLD_OK },
        { "subdomain", FLD_OK }, { "affinity", FLD_ANY }, { "tolerations", FLD_ANY },
        { "hostAliases", FLD_OK }, { "priorityClassName", FLD_ANY }, { "dnsConfig", FLD_OK },
        { "readinessGates", FLD_UNSUPPORTED }, { "runtimeClassName", FLD_UNSUPPORTED }, { "overhead", FLD_UNSUPPORTED },
        { "topologySpreadConstraints", FLD_ANY }, { "setHostnameAsFQDN", FLD_OK }, { "os", FLD_OK },
        { "hostUsers", FLD_OK }, { "schedulingGates", FLD_ANY }, { "resourceClaims", FLD_UNSUPPORTED },
        { "resources", FLD_OK }, { "hostnameOverride", FLD_UNSUPPORTED },
};

/* ---- the pod's network identity: hostAliases, dnsConfig ---- */

static const struct field host_alias_fields[] = { { "ip", FLD_OK }, { "hostnames", FLD_OK } };
static const struct field dns_config_fields[] = {
        { "nameservers", FLD_OK }, { "searches", FLD_OK }, { "options", FLD_OK },
};
static const struct field dns_option_fields[] = { { "name", FLD_OK }, { "value", FLD_OK } };

static void decode_host_alias(struct spec_errs *e, const struct yval *v, const char *p, struct pod_host_alias *a)
{
        check_fields(e, v, p, host_alias_fields, ARRAY_SIZE(host_alias_fields));
        a->ip = get_str(e, v, "ip", p);
        get_str_list(e, v, "hostnames", p, &a->hostnames, &a->n_hostnames);
}

static void decode_dns_option(struct spec_errs *e, const struct yval *v, const char *p, struct pod_dns_option *o)
{
        check_fields(e, v, p, dns_option_fields, ARRAY_SIZE(dns_option_fields));
        o->name = get_str(e, v, "name", p);
        o->value = get_str(e, v, "value", p);
}

static void decode_net_identity(struct spec_errs *e, const struct yval *v, const char *p, struct pod_spec *s)
{
        const struct yval *dc;

        s->subdomain = get_str(e, v, "subdomain", p);
        s->set_hostname_as_fqdn = get_bool(e, v, "setHostnameAsFQDN", p, false);
        DECODE_LIST(e, v, "hostAliases", p, s->host_aliases, s->n_host_aliases, decode_host_alias);
        dc = get_map(e, v, "dnsConfig", p);
        if (!dc)
                return;
        s->dns_config.present = true;
        check_fields(e, dc, "spec.dnsConfig", dns_config_fields, ARRAY_SIZE(dns_config_fields));
        get_str_list(e, dc, "nameservers", "spec.dnsConfig", &s->dns_config.nameservers,
                     &s->dns_config.n_nameservers);
        get_str_list(e, dc, "searches", "spec.dnsConfig", &s->dns_config.searches, &s->dns_config.n_searches);
        DECODE_LIST(e, dc, "options", "spec.dnsConfig", s->dns_config.options, s->dns_config.n_options,
                    decode_dns_option);
}

/* A LocalObjectReference: only name may be set (the API server's validateImagePullSecrets). */
static const struct field pull_secret_fields[] = { { "name", FLD_OK } };

static void decode_pull_secret(struct spec_errs *e, const struct yval *v, const char *p, char **ret)
{
        check_fields(e, v, p, pull_secret_fields, ARRAY_SIZE(pull_secret_fields));
        *ret = get_str(e, v, "name", p);
        if (!*ret)
                *ret = xstrdup("");
}

static void decode_pod_spec(struct spec_errs *e, const struct yval *v, struct pod_spec *s)
{
        const char *p = "spec";
        char *rp;

        check_fields(e, v, p, spec_fields, ARRAY_SIZE(spec_fields));
        spec_decode_sched(e, v, s);
        if (yval_map_get(v, "resources") && yval_map_get(v, "resources")->type != YVAL_NULL) {
                s->pod_resources = xcalloc(1, sizeof(*s->pod_resources));
                decode_resources(e, v, p, s->pod_resources);
        }
        DECODE_LIST(e, v, "volumes", p, s->volumes, s->n_volumes, decode_volume);
        DECODE_LIST(e, v, "initContainers", p, s->init_containers, s->n_init_containers, decode_container);
        DECODE_LIST(e, v, "containers", p, s->containers, s->n_containers, decode_container);
        DECODE_LIST(e, v, "imagePullSecrets", p, s->image_pull_secrets, s->n_image_pull_secrets, decode_pull_secret);
        rp = get_str(e, v, "restartPolicy", p);
        if (rp && *rp) {
                size_t i = 0;

                while (i < ARRAY_SIZE(spec_restart_policies) && strcmp(rp, spec_restart_policies[i]))
                        i++;
                if (i < ARRAY_SIZE(spec_restart_policies))
                        s->restart_policy = (enum pod_restart_policy)i;
                else
                        spec_err_unsupported(e, "spec.restartPolicy", rp, spec_restart_policies,
                                             ARRAY_SIZE(spec_restart_policies));
        }
        free(rp);
        s->termination_grace_period_seconds = get_int(e, v, "terminationGracePeriodSeconds", p, INT64_MIN,
                                                      INT64_MAX, 30);
        s->dns_policy = get_str(e, v, "dnsPolicy", p);
        s->host_network = get_bool(e, v, "hostNetwork", p, false);
        s->share_process_namespace = get_bool(e, v, "shareProcessNamespace", p, false);
        s->hostname = get_str(e, v, "hostname", p);
        s->scheduler_name = get_str(e, v, "schedulerName", p);
        s->enable_service_links = get_bool(e, v, "enableServiceLinks", p, true);
        s->active_deadline_seconds = get_int(e, v, "activeDeadlineSeconds", p, INT64_MIN, INT64_MAX, -1);
        decode_net_identity(e, v, p, s);
        spec_decode_pod_security(e, v, p, s);
        spec_decode_pod_os(e, v, p, s);
}

/* ---- the Pod ---- */

static const struct field pod_fields[] = {
        { "apiVersion", FLD_OK }, { "kind", FLD_OK }, { "metadata", FLD_OK }, { "spec", FLD_OK }, { "status", FLD_ANY },
};

/* apiVersion v1 and kind Pod (or another kind podfs accepts, in a manifest
 * file), else nothing else is worth reporting. */
bool spec_decode_type_meta(struct spec_errs *e, const struct yval *root)
{
        static const char *const v1[] = { "v1" }, *const pod[] = { "Pod" };
        static const char *const kinds[] = { "ConfigMap", "Namespace", "PersistentVolumeClaim", "Pod", "Secret" };
        _cleanup_free_ char *api = get_str(e, root, "apiVersion", "");
        _cleanup_free_ char *kind = get_str(e, root, "kind", "");
        size_t n = e->n;

        if (!api || !*api)
                spec_err_required(e, "apiVersion", NULL);
        else
                spec_check_enum(e, "apiVersion", api, v1, 1);
        if (!kind || !*kind)
                spec_err_required(e, "kind", NULL);
        else
                spec_check_enum(e, "kind", kind, e->any_kind ? kinds : pod, e->any_kind ? ARRAY_SIZE(kinds) : 1);
        /* Not a Pod: its other fields are not worth reporting. */
        e->n_fatal += e->n - n;
        return e->n == n;
}

void spec_decode(const struct yval *root, struct pod_spec *s, struct spec_errs *e)
{
        const struct yval *v;

        s->restart_policy = POD_RESTART_ALWAYS;
        s->termination_grace_period_seconds = 30;
        s->enable_service_links = true;
        s->active_deadline_seconds = -1;
        if (!root || root->type != YVAL_MAP) {
                type_error(e, "", root, "an object (a Pod manifest)");
                return;
        }
        if (!spec_decode_type_meta(e, root)) {
                /* the message still names the pod */
                const struct yval *m = yval_map_get(root, "metadata");
                const char *name = m && m->type == YVAL_MAP ? yval_get_str(m, "name", NULL) : NULL;

                if (name && !s->name)
                        s->name = xstrdup(name);
                return;
        }
        check_fields(e, root, "", pod_fields, ARRAY_SIZE(pod_fields));
        if ((v = get_map(e, root, "metadata", "")))
                decode_meta(e, v, s);
        if ((v = get_map(e, root, "spec", "")))
                decode_pod_spec(e, v, s);
}

/* ---- for the other decoders of the module (spec_volsrc.c) ---- */

void spec_check_fields(struct spec_errs *e, const struct yval *map, const char *path,
                       const struct field *fields, size_t n)
{
        check_fields(e, map, path, fields, n);
}

char *spec_get_str(struct spec_errs *e, const struct yval *map, const char *key, const char *path)
{
        return get_str(e, map, key, path);
}

bool spec_get_bool(struct spec_errs *e, const struct yval *map, const char *key, const char *path, bool def)
{
        return get_bool(e, map, key, path, def);
}

int64_t spec_get_int(struct spec_errs *e, const struct yval *map, const char *key, const char *path,
                     int64_t min, int64_t max, int64_t def)
{
        return get_int(e, map, key, path, min, max, def);
}

const struct yval *spec_get_map(struct spec_errs *e, const struct yval *map, const char *key, const char *path)
{
        return get_map(e, map, key, path);
}

const struct yval *spec_get_list(struct spec_errs *e, const struct yval *map, const char *key, const char *path)
{
        return get_list(e, map, key, path);
}

bool spec_is_object(struct spec_errs *e, const struct yval *v, const char *path)
{
        return is_object(e, v, path);
}

char *spec_decode_quantity(struct spec_errs *e, const struct yval *map, const char *key, const char *path)
{
        return decode_quantity(e, map, key, path);
}

/* ---- what objects other than Pods share with them ---- */

void spec_decode_object_meta(struct spec_errs *e, const struct yval *root, struct spec_meta *m)
{
        struct pod_spec tmp = { 0 };
        const struct yval *v = get_map(e, root, "metadata", "");

        if (v)
                decode_meta(e, v, &tmp);
        m->name = tmp.name;
        m->namespace = tmp.namespace;
        m->labels = tmp.labels;
        m->n_labels = tmp.n_labels;
        m->annotations = tmp.annotations;
        m->n_annotations = tmp.n_annotations;
}

void spec_check_known(struct spec_errs *e, const struct yval *map, const char *path, const char *const *names,
                      size_t n)
{
        for (size_t i = 0; i < map->map.n; i++) {
                size_t k = 0;

                while (k < n && strcmp(names[k], map->map.m[i].key))
                        k++;
                if (k == n) {
                        _cleanup_free_ char *p = spec_path_key(path, map->map.m[i].key);

                        spec_errs_add_plain(e, p, "unknown field \"%s\"", p);
                        e->n_fatal++;
                }
        }
}
