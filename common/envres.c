/* The kubelet's makeEnvironmentVariables without the kubelet: env from
 * ConfigMaps, Secrets and the downward API, through lookups (envres.h). */
#include <errno.h>
#include <string.h>
#include "pfs/envres.h"
#include "pfs/util.h"

const char *pod_env_get(const struct pod_env_list *env, const char *name, size_t len)
{
        for (size_t i = 0; i < env->n; i++)
                if (strlen(env->v[i].name) == len && !memcmp(env->v[i].name, name, len))
                        return env->v[i].value;
        return NULL;
}

void pod_env_set(struct pod_env_list *env, const char *name, const char *value)
{
        for (size_t i = 0; i < env->n; i++) {
                if (!strcmp(env->v[i].name, name)) {
                        free(env->v[i].value);
                        env->v[i].value = xstrdup(value);
                        return;
                }
        }
        env->v = xrealloc(env->v, (env->n + 1) * sizeof(*env->v));
        env->v[env->n].name = xstrdup(name);
        env->v[env->n].value = xstrdup(value);
        env->n++;
}

void pod_env_list_free(struct pod_env_list *env)
{
        for (size_t i = 0; i < env->n; i++) {
                free(env->v[i].name);
                free(env->v[i].value);
        }
        free(env->v);
        env->v = NULL;
        env->n = 0;
}

/* third_party/forked/golang/expansion: "$$" is "$", "$(NAME)" maps NAME (an
 * unknown one stays "$(NAME)"), "$(" without ")" and "$x" stay as written. */
char *pod_env_expand(const struct pod_env_list *env, const char *s)
{
        struct pfs_buf b = { 0 };

        pfs_buf_puts(&b, "");
        while (*s) {
                const char *close;

                if (s[0] == '$' && s[1] == '$') {
                        pfs_buf_puts(&b, "$");
                        s += 2;
                } else if (s[0] == '$' && s[1] == '(' && (close = strchr(s + 2, ')'))) {
                        const char *v = pod_env_get(env, s + 2, (size_t)(close - s - 2));

                        if (v)
                                pfs_buf_puts(&b, v);
                        else
                                pfs_buf_append(&b, s, (size_t)(close - s + 1));
                        s = close + 1;
                } else {
                        pfs_buf_append(&b, s, 1);
                        s++;
                }
        }
        return pfs_buf_steal(&b);
}

static const struct pfs_object_item *item_of(const struct pfs_object *o, const char *key)
{
        for (size_t i = 0; i < o->n_items; i++)
                if (!strcmp(o->items[i].key, key))
                        return &o->items[i];
        return NULL;
}

/* The object, NULL when it is missing and optional (*ret_r 0), or an error. */
static const struct pfs_object *object_get(const struct pod_env_lookup *l, enum pfs_object_kind k,
                                           const struct pod_key_selector *ref, int *ret_r, struct pfs_error *err)
{
        const struct pfs_object *o = NULL;
        int r = l->object(l->data, k, ref->name, &o, err);

        *ret_r = 0;
        if (r == -ENOENT && ref->optional)
                return NULL;
        if (r == -ENOENT)
                *ret_r = pfs_error_set(err, ENOENT, "%s \"%s\" not found",
                                       k == PFS_OBJ_SECRET ? "secret" : "configmap", ref->name);
        else if (r < 0)
                *ret_r = r;
        return r < 0 ? NULL : o;
}

static int env_from_add(const struct pod_env_from *ef, const struct pod_env_lookup *l, struct pod_env_list *env,
                        struct pfs_error *err)
{
        bool secret = ef->secret_ref != NULL;
        const struct pod_key_selector *ref = secret ? ef->secret_ref : ef->config_map_ref;
        const struct pfs_object *o;
        int r;

        if (!ref)
                return 0;
        o = object_get(l, secret ? PFS_OBJ_SECRET : PFS_OBJ_CONFIGMAP, ref, &r, err);
        for (size_t i = 0; o && i < o->n_items; i++) {
                _cleanup_free_ char *name = NULL;

                if (!secret && o->items[i].binary)
                        continue;       /* envFrom takes a ConfigMap's data only */
                name = xasprintf("%s%s", ef->prefix ? ef->prefix : "", o->items[i].key);
                pod_env_set(env, name, (const char *)o->items[i].value);
        }
        return r;
}

/* A key's value in *ret; NULL (and 0) when it is missing and optional. */
static int key_value(const struct pod_spec *spec, const struct pod_key_selector *ref, bool secret,
                     const struct pod_env_lookup *l, char **ret, struct pfs_error *err)
{
        const struct pfs_object *o;
        const struct pfs_object_item *it;
        int r;

        o = object_get(l, secret ? PFS_OBJ_SECRET : PFS_OBJ_CONFIGMAP, ref, &r, err);
        if (!o)
                return r;
        it = item_of(o, ref->key);
        if (it && !secret && it->binary)
                it = NULL;      /* configMapKeyRef reads data, not binaryData */
        if (it)
                *ret = xstrdup((const char *)it->value);
        else if (!ref->optional)
                return pfs_error_set(err, ENOENT, "couldn't find key %s in %s %s/%s", ref->key,
                                     secret ? "Secret" : "ConfigMap", spec->namespace ? spec->namespace : "default",
                                     ref->name);
        return 0;
}

/* valueFrom's value in *ret; NULL (and 0) when an optional source is missing. */
static int source_value(const struct pod_spec *spec, const struct pod_container *c, const struct pod_env_source *v,
                        const struct pod_env_lookup *l, char **ret, struct pfs_error *err)
{
        if (v->field_ref) {
                const char *path = v->field_ref->field_path;

                return l->field(l->data, !strcmp(path, "spec.host") ? "spec.nodeName" : path, ret, err);
        }
        if (v->resource_field_ref) {
                const struct pod_resource_selector *r = v->resource_field_ref;

                return l->resource(l->data, r->container_name && *r->container_name ? r->container_name : c->name,
                                   r->resource, r->divisor, ret, err);
        }
        if (v->config_map_key_ref)
                return key_value(spec, v->config_map_key_ref, false, l, ret, err);
        if (v->secret_key_ref)
                return key_value(spec, v->secret_key_ref, true, l, ret, err);
        *ret = xstrdup("");
        return 0;
}

int pod_env_resolve(const struct pod_spec *spec, const struct pod_container *c, const struct pod_env_lookup *l,
                    struct pod_env_list *ret, struct pfs_error *err)
{
        struct pod_env_list env = { 0 };
        int r = 0;

        for (size_t i = 0; i < c->n_env_from && r >= 0; i++)
                r = env_from_add(&c->env_from[i], l, &env, err);
        for (size_t i = 0; i < c->n_env && r >= 0; i++) {
                const struct pod_env *e = &c->env[i];
                char *val = NULL;

                if (e->value && *e->value)
                        val = pod_env_expand(&env, e->value);
                else if (e->value_from)
                        r = source_value(spec, c, e->value_from, l, &val, err);
                else
                        val = xstrdup("");
                if (val)
                        pod_env_set(&env, e->name, val);
                free(val);
        }
        if (r < 0) {
                pod_env_list_free(&env);
                return r;
        }
        *ret = env;
        return 0;
}
