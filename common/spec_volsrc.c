/* Volume sources beyond emptyDir and hostPath: configMap, secret, downwardAPI,
 * projected (files the sandbox writes), persistentVolumeClaim and image
 * (directories it binds). Decoding, the API server's validation (its
 * messages, and its field paths, quirks included), defaults and pod.json. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/status.h"
#include "spec_internal.h"

#define FILE_MODE_MSG "must be a number between 0 and 0777 (octal), both inclusive"

/* ---- decoding ---- */

static const struct field key_path_fields[] = { { "key", FLD_OK }, { "path", FLD_OK }, { "mode", FLD_OK } };
static const struct field field_ref_fields[] = { { "apiVersion", FLD_OK }, { "fieldPath", FLD_OK } };
static const struct field res_ref_fields[] = {
        { "containerName", FLD_OK }, { "resource", FLD_OK }, { "divisor", FLD_OK },
};
static const struct field dw_file_fields[] = {
        { "path", FLD_OK }, { "fieldRef", FLD_OK }, { "resourceFieldRef", FLD_OK }, { "mode", FLD_OK },
};

static int32_t get_mode(struct spec_errs *e, const struct yval *v, const char *key, const char *p)
{
        return (int32_t)spec_get_int(e, v, key, p, INT32_MIN, INT32_MAX, -1);
}

static void decode_items(struct spec_errs *e, const struct yval *v, const char *p, struct pod_projection *src)
{
        const struct yval *l = spec_get_list(e, v, "items", p);
        _cleanup_free_ char *lp = spec_path_key(p, "items");

        if (!l)
                return;
        src->items = xcalloc(l->list.n + 1, sizeof(*src->items));
        for (size_t i = 0; i < l->list.n; i++) {
                _cleanup_free_ char *ip = spec_path_idx(lp, i);
                const struct yval *it = l->list.items[i];
                struct pod_key_path *kp;

                if (!spec_is_object(e, it, ip))
                        continue;
                kp = &src->items[src->n_items++];
                spec_check_fields(e, it, ip, key_path_fields, ARRAY_SIZE(key_path_fields));
                kp->key = spec_get_str(e, it, "key", ip);
                kp->path = spec_get_str(e, it, "path", ip);
                kp->mode = get_mode(e, it, "mode", ip);
        }
}

static void decode_dw_file(struct spec_errs *e, const struct yval *it, const char *ip, struct pod_downward_file *f)
{
        const struct yval *fr, *rr;
        _cleanup_free_ char *fp = spec_path_key(ip, "fieldRef"), *rp = spec_path_key(ip, "resourceFieldRef");

        spec_check_fields(e, it, ip, dw_file_fields, ARRAY_SIZE(dw_file_fields));
        f->path = spec_get_str(e, it, "path", ip);
        f->mode = get_mode(e, it, "mode", ip);
        if ((fr = spec_get_map(e, it, "fieldRef", ip))) {
                spec_check_fields(e, fr, fp, field_ref_fields, ARRAY_SIZE(field_ref_fields));
                f->api_version = spec_get_str(e, fr, "apiVersion", fp);
                f->field_path = spec_get_str(e, fr, "fieldPath", fp);
                if (!f->field_path)
                        f->field_path = xstrdup("");
        }
        if ((rr = spec_get_map(e, it, "resourceFieldRef", ip))) {
                spec_check_fields(e, rr, rp, res_ref_fields, ARRAY_SIZE(res_ref_fields));
                f->container_name = spec_get_str(e, rr, "containerName", rp);
                f->resource = spec_get_str(e, rr, "resource", rp);
                if (!f->resource)
                        f->resource = xstrdup("");
                f->divisor = spec_decode_quantity(e, rr, "divisor", rp);
        }
}

static void decode_dw_items(struct spec_errs *e, const struct yval *v, const char *p, struct pod_projection *src)
{
        const struct yval *l = spec_get_list(e, v, "items", p);
        _cleanup_free_ char *lp = spec_path_key(p, "items");

        if (!l)
                return;
        src->files = xcalloc(l->list.n + 1, sizeof(*src->files));
        for (size_t i = 0; i < l->list.n; i++) {
                _cleanup_free_ char *ip = spec_path_idx(lp, i);

                if (spec_is_object(e, l->list.items[i], ip))
                        decode_dw_file(e, l->list.items[i], ip, &src->files[src->n_files++]);
        }
}

static struct pod_projection *add_source(struct pod_volume *vol, enum pod_projection_kind k)
{
        struct pod_projection *src;

        vol->sources = xrealloc(vol->sources, (vol->n_sources + 1) * sizeof(*vol->sources));
        src = &vol->sources[vol->n_sources++];
        memset(src, 0, sizeof(*src));
        src->kind = k;
        src->optional = -1;
        return src;
}

/* A configMap or secret source; name_key "name" or "secretName". */
static void decode_object_source(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume *vol,
                                 enum pod_projection_kind k, const char *name_key, bool with_mode)
{
        const struct field fields[] = {
                { name_key, FLD_OK }, { "items", FLD_OK }, { "optional", FLD_OK },
                { with_mode ? "defaultMode" : "optional", FLD_OK },
        };
        struct pod_projection *src = add_source(vol, k);

        spec_check_fields(e, v, p, fields, ARRAY_SIZE(fields));
        src->name = spec_get_str(e, v, name_key, p);
        if (yval_map_get(v, "optional") && yval_map_get(v, "optional")->type != YVAL_NULL)
                src->optional = spec_get_bool(e, v, "optional", p, false);
        decode_items(e, v, p, src);
        if (with_mode)
                vol->default_mode = get_mode(e, v, "defaultMode", p);
}

static void decode_downward(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume *vol,
                            bool with_mode)
{
        static const struct field fields[] = { { "items", FLD_OK }, { "defaultMode", FLD_OK } };
        struct pod_projection *src = add_source(vol, POD_PROJ_DOWNWARD_API);

        spec_check_fields(e, v, p, fields, ARRAY_SIZE(fields) - !with_mode);
        decode_dw_items(e, v, p, src);
        if (with_mode)
                vol->default_mode = get_mode(e, v, "defaultMode", p);
}

static const struct field projection_fields[] = {
        { "secret", FLD_OK }, { "configMap", FLD_OK }, { "downwardAPI", FLD_OK },
        { "serviceAccountToken", FLD_OK }, { "clusterTrustBundle", FLD_OK }, { "podCertificate", FLD_OK },
};

/* One element of projected.sources: each kind present is a source (more
 * than one is reported by validation). */
static void decode_projection(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume *vol)
{
        size_t before = vol->n_sources, n = 0;
        const char *idx = strrchr(p, '[');

        spec_check_fields(e, v, p, projection_fields, ARRAY_SIZE(projection_fields));
        for (size_t i = 0; i < ARRAY_SIZE(projection_fields); i++) {
                const struct yval *s = yval_map_get(v, projection_fields[i].name);
                _cleanup_free_ char *sp = spec_path_key(p, projection_fields[i].name);

                if (!s || s->type == YVAL_NULL)
                        continue;
                n++;
                if (!spec_is_object(e, s, sp))
                        continue;
                if (i == 0)
                        decode_object_source(e, s, sp, vol, POD_PROJ_SECRET, "name", false);
                else if (i == 1)
                        decode_object_source(e, s, sp, vol, POD_PROJ_CONFIG_MAP, "name", false);
                else if (i == 2)
                        decode_downward(e, s, sp, vol, false);
                else if (i == 3)
                        spec_err_forbidden(e, sp, "not supported by podfs: there is no service account token issuer");
                else
                        spec_err_forbidden(e, sp, "not supported by podfs: there is no certificate issuer");
        }
        if (n > 1)
                spec_err_forbidden(e, p, "may not specify more than 1 volume type");
        for (size_t i = before; i < vol->n_sources; i++)
                vol->sources[i].src_index = idx ? strtoul(idx + 1, NULL, 10) : 0;
}

static void decode_projected(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume *vol)
{
        static const struct field fields[] = { { "sources", FLD_OK }, { "defaultMode", FLD_OK } };
        const struct yval *l;
        _cleanup_free_ char *lp = spec_path_key(p, "sources");

        spec_check_fields(e, v, p, fields, ARRAY_SIZE(fields));
        vol->default_mode = get_mode(e, v, "defaultMode", p);
        if (!(l = spec_get_list(e, v, "sources", p)))
                return;
        for (size_t i = 0; i < l->list.n; i++) {
                _cleanup_free_ char *ip = spec_path_idx(lp, i);

                if (spec_is_object(e, l->list.items[i], ip))
                        decode_projection(e, l->list.items[i], ip, vol);
        }
}

static void decode_pvc(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume *vol)
{
        static const struct field fields[] = { { "claimName", FLD_OK }, { "readOnly", FLD_OK } };

        spec_check_fields(e, v, p, fields, ARRAY_SIZE(fields));
        vol->claim_name = spec_get_str(e, v, "claimName", p);
        vol->read_only = spec_get_bool(e, v, "readOnly", p, false);
}

static void decode_image(struct spec_errs *e, const struct yval *v, const char *p, struct pod_volume *vol)
{
        static const struct field fields[] = { { "reference", FLD_OK }, { "pullPolicy", FLD_OK } };

        spec_check_fields(e, v, p, fields, ARRAY_SIZE(fields));
        vol->reference = spec_get_str(e, v, "reference", p);
        vol->pull_policy = spec_get_str(e, v, "pullPolicy", p);
}

bool spec_volsrc_decode(struct spec_errs *e, const struct ymember *m, const char *p, struct pod_volume *vol)
{
        static const struct { const char *key; enum pod_volume_kind kind; } kinds[] = {
                { "configMap", POD_VOLUME_CONFIG_MAP }, { "secret", POD_VOLUME_SECRET },
                { "downwardAPI", POD_VOLUME_DOWNWARD_API }, { "projected", POD_VOLUME_PROJECTED },
                { "persistentVolumeClaim", POD_VOLUME_PVC }, { "image", POD_VOLUME_IMAGE },
        };
        size_t i = 0;

        while (i < ARRAY_SIZE(kinds) && strcmp(kinds[i].key, m->key))
                i++;
        if (i == ARRAY_SIZE(kinds))
                return false;
        vol->kind = kinds[i].kind;
        vol->default_mode = -1;
        if (!spec_is_object(e, m->val, p))
                return true;
        switch (vol->kind) {
        case POD_VOLUME_CONFIG_MAP:
                decode_object_source(e, m->val, p, vol, POD_PROJ_CONFIG_MAP, "name", true);
                break;
        case POD_VOLUME_SECRET:
                decode_object_source(e, m->val, p, vol, POD_PROJ_SECRET, "secretName", true);
                break;
        case POD_VOLUME_DOWNWARD_API:
                decode_downward(e, m->val, p, vol, true);
                break;
        case POD_VOLUME_PROJECTED:
                decode_projected(e, m->val, p, vol);
                break;
        case POD_VOLUME_PVC:
                decode_pvc(e, m->val, p, vol);
                break;
        default:
                decode_image(e, m->val, p, vol);
                break;
        }
        return true;
}

/* ---- validation ---- */

static void validate_mode(struct spec_errs *e, const char *parent, const char *key, int32_t mode)
{
        _cleanup_free_ char *p = spec_path_key(parent, key);

        if (mode != -1 && (mode < 0 || mode > 0777))
                spec_err_invalid_int(e, p, mode, FILE_MODE_MSG);
}

/* ValidateLocalNonReservedPath */
static void validate_local_path(struct spec_errs *e, const char *p, const char *path)
{
        bool back = spec_path_has_backsteps(path);

        if (path[0] == '/')
                spec_err_invalid_str(e, p, path, "must be a relative path");
        if (back)
                spec_err_invalid_str(e, p, path, "must not contain '..'");
        else if (!strncmp(path, "..", 2))
                spec_err_invalid_str(e, p, path, "must not start with '..'");
}

/* allPaths of a projected volume: "conflicting duplicate paths" on its path. */
struct seen_paths {
        const char **v;
        size_t n;
        const char *vol_path;   /* NULL: not a projected volume */
};

static void note_path(struct spec_errs *e, struct seen_paths *seen, const char *path, const char *shown)
{
        if (!seen->vol_path || !*path)
                return;
        for (size_t i = 0; i < seen->n; i++) {
                if (!strcmp(seen->v[i], path)) {
                        spec_err_invalid_str(e, seen->vol_path, shown ? shown : "", "conflicting duplicate paths");
                        return;
                }
        }
        seen->v = xrealloc(seen->v, (seen->n + 1) * sizeof(*seen->v));
        seen->v[seen->n++] = path;
}

static void validate_key_path(struct spec_errs *e, const struct pod_key_path *kp, const char *ip)
{
        _cleanup_free_ char *kpath = spec_path_key(ip, "key"), *ppath = spec_path_key(ip, "path");

        if (!kp->key || !*kp->key)
                spec_err_required(e, kpath, NULL);
        if (!kp->path || !*kp->path)
                spec_err_required(e, ppath, NULL);
        validate_local_path(e, ppath, kp->path ? kp->path : "");
        validate_mode(e, ip, "mode", kp->mode);
}

static const char *const dw_volume_paths[] = {
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
};
static const char *const dw_known_paths[] = {
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
        "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName",
        "status.phase", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs", "spec.host",
};

static bool in_list(const char *s, const char *const *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(s, v[i]))
                        return true;
        return false;
}

/* validateObjectFieldSelector with the volume's expressions. */
static void validate_field_ref(struct spec_errs *e, const struct pod_downward_file *f, const char *fp)
{
        _cleanup_free_ char *ap = spec_path_key(fp, "apiVersion"), *pp = spec_path_key(fp, "fieldPath");
        _cleanup_free_ char *why = NULL, *map = NULL;
        const char *path = f->field_path, *open = strchr(path, '[');
        size_t n = strlen(path);

        if (!f->api_version || !*f->api_version)
                return spec_err_required(e, ap, NULL);
        if (!*path)
                return spec_err_required(e, pp, NULL);
        if (strcmp(f->api_version, "v1") != 0)
                why = xasprintf("error converting fieldPath: unsupported pod version: %s", f->api_version);
        else if (open && n >= 4 && path[n - 1] == ']' && path[n - 2] == '\'' && open[1] == '\'' && open + 2 <= path + n - 2) {
                _cleanup_free_ char *key = xstrndup(open + 2, (size_t)(path + n - 2 - (open + 2)));

                map = xstrndup(path, (size_t)(open - path));
                if (!strcmp(map, "metadata.annotations") || !strcmp(map, "metadata.labels")) {
                        for (char *c = key; *c && !strcmp(map, "metadata.annotations"); c++)
                                *c = (char)tolower((unsigned char)*c);
                        spec_validate_qualified_name(e, fp, key);
                        return;
                }
                why = xasprintf("error converting fieldPath: field label does not support subscript: %s", path);
        } else if (!in_list(path, dw_known_paths, ARRAY_SIZE(dw_known_paths))) {
                why = xasprintf("error converting fieldPath: field label not supported: %s", path);
        }
        if (why)
                return spec_err_invalid_str(e, pp, path, why);
        if (!in_list(path, dw_volume_paths, ARRAY_SIZE(dw_volume_paths)))
                spec_err_unsupported(e, pp, path, dw_volume_paths, ARRAY_SIZE(dw_volume_paths));
}

/* validateContainerResourceFieldSelector (volume: containerName required). */
static void validate_res_ref(struct spec_errs *e, const struct pod_downward_file *f, const char *rp)
{
        spec_validate_resource_field(e, rp, true, f->container_name, f->resource, f->divisor);
}

/* validateDownwardAPIVolumeFile: p is the source's path (items are not indexed). */
static void validate_dw_file(struct spec_errs *e, const struct pod_downward_file *f, const char *p,
                             struct seen_paths *seen)
{
        _cleanup_free_ char *pp = spec_path_key(p, "path"), *fp = spec_path_key(p, "fieldRef");
        _cleanup_free_ char *rp = spec_path_key(p, "resourceFieldRef");

        if (!f->path || !*f->path)
                spec_err_required(e, pp, NULL);
        validate_local_path(e, pp, f->path ? f->path : "");
        if (f->field_path) {
                validate_field_ref(e, f, fp);
                if (f->resource)
                        spec_err_invalid_str(e, p, "resource",
                                             "fieldRef and resourceFieldRef can not be specified simultaneously");
        } else if (f->resource) {
                validate_res_ref(e, f, rp);
        } else {
                spec_err_required(e, p, "one of fieldRef and resourceFieldRef is required");
        }
        validate_mode(e, p, "mode", f->mode);
        note_path(e, seen, f->path ? f->path : "", f->path);
}

static void validate_source(struct spec_errs *e, const struct pod_projection *src, const char *sp,
                            struct seen_paths *seen)
{
        _cleanup_free_ char *lp = spec_path_key(sp, "items");

        if (src->kind == POD_PROJ_DOWNWARD_API) {
                for (size_t i = 0; i < src->n_files; i++)
                        validate_dw_file(e, &src->files[i], sp, seen);
                return;
        }
        for (size_t i = 0; i < src->n_items; i++) {
                _cleanup_free_ char *ip = spec_path_idx(lp, i);

                validate_key_path(e, &src->items[i], ip);
                note_path(e, seen, src->items[i].path ? src->items[i].path : "", src->name);
        }
}

static const char *proj_key(enum pod_projection_kind k)
{
        return k == POD_PROJ_CONFIG_MAP ? "configMap" : k == POD_PROJ_SECRET ? "secret" : "downwardAPI";
}

static void validate_projected(struct spec_errs *e, const struct pod_volume *v, const char *vp)
{
        _cleanup_free_ char *pp = spec_path_key(vp, "projected");
        struct seen_paths seen = { .vol_path = pp };

        for (size_t i = 0; i < v->n_sources; i++) {
                const struct pod_projection *src = &v->sources[i];
                _cleanup_free_ char *sp = NULL, *np = NULL;
                sp = xasprintf("%s.sources[%zu].%s", pp, src->src_index, proj_key(src->kind));
                np = spec_path_key(sp, "name");
                if (src->kind != POD_PROJ_DOWNWARD_API && (!src->name || !*src->name))
                        spec_err_required(e, np, NULL);
                validate_source(e, src, sp, &seen);
        }
        free(seen.v);
}

void spec_volsrc_validate(struct spec_errs *e, const struct pod_volume *v, const char *vp)
{
        static const char *const keys[] = { [POD_VOLUME_CONFIG_MAP] = "configMap", [POD_VOLUME_SECRET] = "secret",
                                            [POD_VOLUME_DOWNWARD_API] = "downwardAPI", [POD_VOLUME_PROJECTED] = "projected",
                                            [POD_VOLUME_PVC] = "persistentVolumeClaim", [POD_VOLUME_IMAGE] = "image" };
        _cleanup_free_ char *p = NULL, *np = NULL;
        struct seen_paths none = { 0 };

        if (v->kind < POD_VOLUME_CONFIG_MAP)
                return;
        p = spec_path_key(vp, keys[v->kind]);
        if (v->kind == POD_VOLUME_PVC) {
                np = spec_path_key(p, "claimName");
                if (!v->claim_name || !*v->claim_name)
                        spec_err_required(e, np, NULL);
                return;
        }
        if (v->kind == POD_VOLUME_IMAGE) {
                np = spec_path_key(p, "reference");
                if (!v->reference || !*v->reference)
                        spec_err_required(e, np, NULL);
                _cleanup_free_ char *pp = spec_path_key(p, "pullPolicy");

                if (v->pull_policy && *v->pull_policy)
                        spec_check_enum(e, pp, v->pull_policy, spec_pull_policies, ARRAY_SIZE(spec_pull_policies));
                return;
        }
        validate_mode(e, p, "defaultMode", v->default_mode);
        if (v->kind == POD_VOLUME_PROJECTED)
                return validate_projected(e, v, vp);
        if (v->n_sources != 1)
                return;
        np = spec_path_key(p, v->kind == POD_VOLUME_SECRET ? "secretName" : "name");
        if (v->kind != POD_VOLUME_DOWNWARD_API && (!v->sources[0].name || !*v->sources[0].name))
                spec_err_required(e, np, NULL);
        validate_source(e, &v->sources[0], p, &none);
}

/* ---- defaults, pod.json, free ---- */

void spec_volsrc_defaults(struct pod_volume *v)
{
        if (v->kind < POD_VOLUME_CONFIG_MAP)
                return;
        if (v->default_mode == -1 && v->kind != POD_VOLUME_PVC && v->kind != POD_VOLUME_IMAGE)
                v->default_mode = 0644;
        for (size_t i = 0; i < v->n_sources; i++) {
                for (size_t k = 0; k < v->sources[i].n_files; k++) {
                        struct pod_downward_file *f = &v->sources[i].files[k];

                        if (f->field_path && (!f->api_version || !*f->api_version)) {
                                free(f->api_version);
                                f->api_version = xstrdup("v1");
                        }
                }
        }
        if (v->kind == POD_VOLUME_IMAGE && v->reference && (!v->pull_policy || !*v->pull_policy)) {
                _cleanup_free_ char *tag = spec_image_tag(v->reference);

                free(v->pull_policy);
                v->pull_policy = xstrdup(!strcmp(tag, "latest") ? "Always" : "IfNotPresent");
        }
}

static void items_to_yval(const struct pod_projection *src, struct yval *y)
{
        struct yval *l;

        if (src->n_items) {
                l = yval_map_set(y, "items", yval_new_list());
                for (size_t i = 0; i < src->n_items; i++) {
                        struct yval *it = yval_list_push(l, yval_new_map());

                        yval_map_set(it, "key", yval_new_str(src->items[i].key ? src->items[i].key : ""));
                        yval_map_set(it, "path", yval_new_str(src->items[i].path ? src->items[i].path : ""));
                        if (src->items[i].mode != -1)
                                yval_map_set(it, "mode", yval_new_int(src->items[i].mode));
                }
        }
        if (src->n_files) {
                l = yval_map_set(y, "items", yval_new_list());
                for (size_t i = 0; i < src->n_files; i++) {
                        const struct pod_downward_file *f = &src->files[i];
                        struct yval *it = yval_list_push(l, yval_new_map()), *r;

                        yval_map_set(it, "path", yval_new_str(f->path ? f->path : ""));
                        if (f->field_path) {
                                r = yval_map_set(it, "fieldRef", yval_new_map());
                                yval_map_set(r, "apiVersion", yval_new_str(f->api_version ? f->api_version : "v1"));
                                yval_map_set(r, "fieldPath", yval_new_str(f->field_path));
                        }
                        if (f->resource) {
                                r = yval_map_set(it, "resourceFieldRef", yval_new_map());
                                if (f->container_name)
                                        yval_map_set(r, "containerName", yval_new_str(f->container_name));
                                yval_map_set(r, "resource", yval_new_str(f->resource));
                                yval_map_set(r, "divisor", yval_new_str(f->divisor ? f->divisor : "0"));
                        }
                        if (f->mode != -1)
                                yval_map_set(it, "mode", yval_new_int(f->mode));
                }
        }
}

static void source_to_yval(const struct pod_projection *src, const char *name_key, struct yval *y)
{
        if (src->kind != POD_PROJ_DOWNWARD_API)
                yval_map_set(y, name_key, yval_new_str(src->name ? src->name : ""));
        items_to_yval(src, y);
}

static void optional_to_yval(const struct pod_projection *src, struct yval *y)
{
        if (src->optional != -1)
                yval_map_set(y, "optional", yval_new_bool(src->optional));
}

struct yval *spec_volsrc_to_yval(const struct pod_volume *v, struct yval *y)
{
        static const char *const keys[] = { [POD_VOLUME_CONFIG_MAP] = "configMap", [POD_VOLUME_SECRET] = "secret",
                                            [POD_VOLUME_DOWNWARD_API] = "downwardAPI", [POD_VOLUME_PROJECTED] = "projected",
                                            [POD_VOLUME_PVC] = "persistentVolumeClaim", [POD_VOLUME_IMAGE] = "image" };
        struct yval *src = yval_map_set(y, keys[v->kind], yval_new_map()), *l;

        switch (v->kind) {
        case POD_VOLUME_PVC:
                yval_map_set(src, "claimName", yval_new_str(v->claim_name ? v->claim_name : ""));
                if (v->read_only)
                        yval_map_set(src, "readOnly", yval_new_bool(true));
                return y;
        case POD_VOLUME_IMAGE:
                yval_map_set(src, "reference", yval_new_str(v->reference ? v->reference : ""));
                if (v->pull_policy)
                        yval_map_set(src, "pullPolicy", yval_new_str(v->pull_policy));
                return y;
        case POD_VOLUME_PROJECTED:
                l = yval_map_set(src, "sources", yval_new_list());
                for (size_t i = 0; i < v->n_sources; i++) {
                        struct yval *s = yval_list_push(l, yval_new_map());

                        struct yval *k = yval_map_set(s, proj_key(v->sources[i].kind), yval_new_map());

                        source_to_yval(&v->sources[i], "name", k);
                        optional_to_yval(&v->sources[i], k);
                }
                break;
        default:
                if (v->n_sources)
                        source_to_yval(&v->sources[0], v->kind == POD_VOLUME_SECRET ? "secretName" : "name", src);
                break;
        }
        if (v->default_mode != -1)
                yval_map_set(src, "defaultMode", yval_new_int(v->default_mode));
        if (v->kind != POD_VOLUME_PROJECTED && v->n_sources)
                optional_to_yval(&v->sources[0], src);
        return y;
}

void spec_volsrc_free(struct pod_volume *v)
{
        for (size_t i = 0; i < v->n_sources; i++) {
                struct pod_projection *s = &v->sources[i];

                free(s->name);
                for (size_t k = 0; k < s->n_items; k++) {
                        free(s->items[k].key);
                        free(s->items[k].path);
                }
                free(s->items);
                for (size_t k = 0; k < s->n_files; k++) {
                        free(s->files[k].path);
                        free(s->files[k].api_version);
                        free(s->files[k].field_path);
                        free(s->files[k].container_name);
                        free(s->files[k].resource);
                        free(s->files[k].divisor);
                }
                free(s->files);
        }
        free(v->sources);
        free(v->claim_name);
        free(v->reference);
        free(v->pull_policy);
}
