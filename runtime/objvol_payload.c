/* The payload of a configMap, secret, downwardAPI or projected volume as the
 * kubelet's volume plugins compute it (MakePayload, CollectData): which files,
 * with what bytes and modes; and subPathExpr expansion. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "objvol.h"
#include "pfs/envres.h"
#include "pfs/object.h"
#include "pfs/util.h"

bool objvol_is_files(const struct pod_volume *v)
{
        return v->kind == POD_VOLUME_CONFIG_MAP || v->kind == POD_VOLUME_SECRET ||
               v->kind == POD_VOLUME_DOWNWARD_API || v->kind == POD_VOLUME_PROJECTED;
}

/* The kubelet aggregates the errors of a volume's sources: one as is, more as "[a, b]". */
struct errlist {
        char **v;
        size_t n;
        int code;
};

static void errlist_add(struct errlist *l, int code, const char *msg)
{
        l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
        l->v[l->n++] = xstrdup(msg);
        if (!l->code)
                l->code = code;
}

static int errlist_report(struct errlist *l, struct pfs_error *err)
{
        struct pfs_buf b = { 0 };
        int r = 0;

        if (l->n == 1) {
                r = pfs_error_set(err, l->code, "%s", l->v[0]);
        } else if (l->n > 1) {
                pfs_buf_puts(&b, "[");
                for (size_t i = 0; i < l->n; i++)
                        pfs_buf_printf(&b, "%s%s", i ? ", " : "", l->v[i]);
                pfs_buf_puts(&b, "]");
                r = pfs_error_set(err, l->code, "%s", b.data);
                pfs_buf_free(&b);
        }
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        return r;
}

static mode_t mode_of(int32_t mode, int32_t dflt)
{
        return (mode_t)(mode >= 0 ? mode : dflt >= 0 ? dflt : 0644);
}

/* A configMap or secret source (configmap.MakePayload / secret.MakePayload). */
static void object_source(int state_fd, const char *ns, const struct pod_projection *src, int32_t dflt,
                          struct objvol_payload *p, bool *immutable, struct errlist *errs)
{
        bool cm = src->kind == POD_PROJ_CONFIG_MAP, optional = src->optional == 1;
        struct pfs_object *o = NULL;
        struct pfs_error err = { 0 };
        int r = pfs_object_read_at(state_fd, cm ? PFS_OBJ_CONFIGMAP : PFS_OBJ_SECRET, ns, src->name, &o, &err);
        _cleanup_free_ char *msg = NULL;

        if (r == -ENOENT) {
                *immutable = false;
                if (!optional) {
                        msg = xasprintf("%s \"%s\" not found", cm ? "configmap" : "secret", src->name);
                        errlist_add(errs, ENOENT, msg);
                }
                return;
        }
        if (r < 0) {
                *immutable = false;
                errlist_add(errs, -r, err.msg);
                return;
        }
        if (!o->immutable)
                *immutable = false;
        if (src->n_items == 0) {
                for (size_t i = 0; i < o->n_items; i++)
                        objvol_payload_add(p, o->items[i].key, o->items[i].value, o->items[i].len, mode_of(-1, dflt));
        }
        for (size_t i = 0; i < src->n_items; i++) {
                const struct pod_key_path *kp = &src->items[i];
                const struct pfs_object_item *it = pfs_object_item(o, kp->key);

                if (it) {
                        objvol_payload_add(p, kp->path, it->value, it->len, mode_of(kp->mode, dflt));
                } else if (!optional) {
                        free(msg);
                        msg = cm ? xasprintf("configmap references non-existent config key: %s", kp->key)
                                 : xasprintf("references non-existent secret key: %s", kp->key);
                        errlist_add(errs, EINVAL, msg);
                        break;
                }
        }
        pfs_object_free(o);
}

/* downwardapi.CollectData */
static void downward_source(const struct pod_downward_ctx *ctx, const struct pod_projection *src, int32_t dflt,
                            struct objvol_payload *p, struct errlist *errs)
{
        for (size_t i = 0; i < src->n_files; i++) {
                const struct pod_downward_file *f = &src->files[i];
                struct pfs_error err = { 0 };
                _cleanup_free_ char *v = NULL;
                int r;

                if (f->field_path)
                        r = pod_downward_field(ctx, f->field_path, &v, &err);
                else
                        r = pod_downward_resource(ctx, f->container_name, f->resource, f->divisor, &v, &err);
                if (r < 0) {
                        errlist_add(errs, -r, err.msg);
                        continue;
                }
                objvol_payload_add(p, f->path, v, strlen(v), mode_of(f->mode, dflt));
        }
}

int objvol_payload_build(int state_fd, const struct pod_downward_ctx *ctx, const struct pod_volume *v,
                         struct objvol_payload *ret, bool *ret_immutable, struct pfs_error *err)
{
        struct errlist errs = { 0 };
        bool immutable = true;

        for (size_t i = 0; i < v->n_sources; i++) {
                const struct pod_projection *src = &v->sources[i];

                if (src->kind == POD_PROJ_DOWNWARD_API) {
                        immutable = false;
                        downward_source(ctx, src, v->default_mode, ret, &errs);
                } else {
                        object_source(state_fd, ctx->spec->namespace, src, v->default_mode, ret, &immutable, &errs);
                }
        }
        *ret_immutable = immutable;
        if (errs.n) {
                objvol_payload_free(ret);
                return errlist_report(&errs, err);
        }
        return errlist_report(&errs, err);
}

/* ---- subPathExpr (kubecontainer.ExpandContainerVolumeMounts) ---- */

static const char *env_get(const struct pod_container *c, const struct pod_env_list *env, const char *name,
                           size_t n)
{
        const char *v = NULL;

        if (env)
                return pod_env_get(env, name, n);
        /* the last definition wins, as in the container's environment */
        for (size_t i = 0; i < c->n_env; i++)
                if (strlen(c->env[i].name) == n && !strncmp(c->env[i].name, name, n))
                        v = c->env[i].value;
        return v;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int objvol_expand_sub_path(const struct pod_container *c, const struct pod_env_list *env, const char *expr,
                           char **ret, struct pfs_error *err)
{
        struct pfs_buf b = { 0 }, missing = { 0 };
        char **names = NULL;
        size_t n_names = 0;

        for (const char *s = expr; *s;) {
                const char *close;

                if (s[0] == '$' && s[1] == '$') {
                        pfs_buf_puts(&b, "$");
                        s += 2;
                } else if (s[0] == '$' && s[1] == '(' && (close = strchr(s + 2, ')'))) {
                        size_t n = (size_t)(close - s - 2);
                        const char *v = env_get(c, env, s + 2, n);

                        if (!v || !*v) {
                                names = xrealloc(names, (n_names + 1) * sizeof(*names));
                                names[n_names++] = xstrndup(s + 2, n);
                        }
                        pfs_buf_puts(&b, v ? v : "");
                        s = close + 1;
                } else {
                        pfs_buf_append(&b, s++, 1);
                }
        }
        if (n_names)
                qsort(names, n_names, sizeof(*names), name_cmp);
        for (size_t i = 0; i < n_names; i++)
                if (i == 0 || strcmp(names[i], names[i - 1]))
                        pfs_buf_printf(&missing, "%s%s", missing.len ? ", " : "", names[i]);
        for (size_t i = 0; i < n_names; i++)
                free(names[i]);
        free(names);
        if (missing.len) {
                pfs_error_set(err, EINVAL, "missing value for %s", missing.data);
                pfs_buf_free(&missing);
                pfs_buf_free(&b);
                return -EINVAL;
        }
        /* the kubelet's checks of the result (makeMounts) */
        if (b.data[0] == '/') {
                pfs_error_set(err, EINVAL, "error SubPath `%s` must not be an absolute path", b.data);
                pfs_buf_free(&b);
                return -EINVAL;
        }
        for (const char *p = b.data; *p; p += strcspn(p, "/"), p += *p == '/') {
                if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2])) {
                        pfs_error_set(err, EINVAL, "unable to provision SubPath `%s`: must not contain '..'", b.data);
                        pfs_buf_free(&b);
                        return -EINVAL;
                }
        }
        *ret = pfs_buf_steal(&b);
        return 0;
}
