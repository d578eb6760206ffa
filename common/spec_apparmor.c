/* AppArmor in the API server's words: the deprecated annotations
 * container.apparmor.security.beta.kubernetes.io/<container>
 * (ValidateAppArmorPodAnnotations: a container of the pod, a profile name
 * "runtime/default", "unconfined" or "localhost/<name>"), which must agree
 * with the container's appArmorProfile when both are set
 * (validateAppArmorAnnotationsAndFieldsMatchOnCreate); and the effective
 * profile of a container, the annotation standing for the field as the API
 * server syncs it (applyAppArmorVersionSkew). */
#include <string.h>
#include "spec_internal.h"

#define APPARMOR_ANNOTATION_PREFIX "container.apparmor.security.beta.kubernetes.io/"

const char *pod_apparmor_annotation(const struct pod_spec *s, const char *container)
{
        size_t n = strlen(APPARMOR_ANNOTATION_PREFIX);

        for (size_t i = 0; i < s->n_annotations; i++)
                if (!strncmp(s->annotations[i].key, APPARMOR_ANNOTATION_PREFIX, n) &&
                    !strcmp(s->annotations[i].key + n, container))
                        return s->annotations[i].value;
        return NULL;
}

bool pod_effective_apparmor(const struct pod_spec *s, const struct pod_container *c, const char **ret_type,
                            const char **ret_name)
{
        const char *a = pod_apparmor_annotation(s, c->name);

        *ret_name = NULL;
        if (c->security && c->security->app_armor.type) {
                *ret_type = c->security->app_armor.type;
                *ret_name = c->security->app_armor.localhost_profile;
        } else if (s->security && s->security->app_armor.type) {
                *ret_type = s->security->app_armor.type;
                *ret_name = s->security->app_armor.localhost_profile;
        } else if (a && !strcmp(a, "runtime/default")) {
                *ret_type = "RuntimeDefault";
        } else if (a && !strcmp(a, "unconfined")) {
                *ret_type = "Unconfined";
        } else if (a && !strncmp(a, "localhost/", 10)) {
                *ret_type = "Localhost";
                *ret_name = a + 10;
        } else {
                return false;
        }
        return true;
}

static const struct pod_container *container_named(const struct pod_spec *s, const char *name)
{
        for (size_t i = 0; i < s->n_init_containers; i++)
                if (!strcmp(s->init_containers[i].name, name))
                        return &s->init_containers[i];
        for (size_t i = 0; i < s->n_containers; i++)
                if (!strcmp(s->containers[i].name, name))
                        return &s->containers[i];
        return NULL;
}

/* The field agrees with the annotation a. */
static void check_match(struct spec_errs *e, const char *cpath, const struct pod_seccomp_profile *f, const char *a)
{
        _cleanup_free_ char *pp = xasprintf("%s.securityContext.appArmorProfile", cpath), *want = NULL;
        _cleanup_free_ char *tp = spec_path_key(pp, "type"), *lp = spec_path_key(pp, "localhostProfile");

        if (!strcmp(f->type, "Unconfined") && strcmp(a, "unconfined"))
                spec_err_forbidden(e, tp, "apparmor type in annotation and field must match");
        else if (!strcmp(f->type, "RuntimeDefault") && strcmp(a, "runtime/default"))
                spec_err_forbidden(e, tp, "apparmor type in annotation and field must match");
        else if (!strcmp(f->type, "Localhost") && f->localhost_profile &&
                 strcmp(a, (want = xasprintf("localhost/%s", f->localhost_profile))))
                spec_err_forbidden(e, lp, "apparmor profile in annotation and field must match");
}

static char *container_path(const struct pod_spec *s, const struct pod_container *c)
{
        bool init = c >= s->init_containers && c < s->init_containers + s->n_init_containers;

        return init ? xasprintf("spec.initContainers[%zu]", (size_t)(c - s->init_containers))
                    : xasprintf("spec.containers[%zu]", (size_t)(c - s->containers));
}

void spec_validate_apparmor(const struct pod_spec *s, struct spec_errs *e)
{
        size_t n = strlen(APPARMOR_ANNOTATION_PREFIX);

        for (size_t i = 0; i < s->n_annotations; i++) {
                const char *k = s->annotations[i].key, *v = s->annotations[i].value;
                const struct pod_container *c;
                _cleanup_free_ char *path = NULL, *why = NULL;

                if (strncmp(k, APPARMOR_ANNOTATION_PREFIX, n))
                        continue;
                path = xasprintf("metadata.annotations[%s]", k);
                e->line_path = "metadata.annotations";
                if (!(c = container_named(s, k + n)))
                        spec_err_invalid_str(e, path, k + n, "container not found");
                if (*v && strcmp(v, "runtime/default") && strcmp(v, "unconfined") && strncmp(v, "localhost/", 10)) {
                        _cleanup_free_ char *q = spec_quote(v);

                        why = xasprintf("invalid AppArmor profile name: %s", q);
                        spec_err_invalid_str(e, path, v, why);
                }
                e->line_path = NULL;
                if (c && c->security && c->security->app_armor.type && *c->security->app_armor.type) {
                        _cleanup_free_ char *cp = container_path(s, c);

                        check_match(e, cp, &c->security->app_armor, v);
                }
        }
}

/* ---- applyAppArmorVersionSkew ---- */

static char *annotation_for(const struct pod_seccomp_profile *f)
{
        if (!strcmp(f->type, "RuntimeDefault"))
                return xstrdup("runtime/default");
        if (!strcmp(f->type, "Unconfined"))
                return xstrdup("unconfined");
        if (!strcmp(f->type, "Localhost") && f->localhost_profile)
                return xasprintf("localhost/%s", f->localhost_profile);
        return NULL;
}

/* The field an annotation stands for; false when it is not a valid one. */
static bool field_for(const char *a, struct pod_seccomp_profile *f)
{
        if (!strcmp(a, "runtime/default"))
                f->type = "RuntimeDefault";
        else if (!strcmp(a, "unconfined"))
                f->type = "Unconfined";
        else if (!strncmp(a, "localhost/", 10) && a[10 + strspn(a + 10, " \t")])
                f->type = "Localhost", f->localhost_profile = (char *)a + 10;
        else
                return false;
        return true;
}

static bool profile_equal(const struct pod_seccomp_profile *a, const struct pod_seccomp_profile *b)
{
        return a && a->type && b->type && !strcmp(a->type, b->type) &&
               !strcmp(a->localhost_profile ? a->localhost_profile : "", b->localhost_profile ? b->localhost_profile : "");
}

static void sync_one(struct pod_spec *s, struct pod_container *c)
{
        const struct pod_seccomp_profile *pod = s->security && s->security->app_armor.type && *s->security->app_armor.type
                                                        ? &s->security->app_armor : NULL;
        const struct pod_seccomp_profile *own = c->security && c->security->app_armor.type && *c->security->app_armor.type
                                                        ? &c->security->app_armor : NULL;
        const char *a = pod_apparmor_annotation(s, c->name);
        struct pod_seccomp_profile f = { 0 };
        char *v;

        if (!a && (v = own || pod ? annotation_for(own ? own : pod) : NULL)) {
                s->annotations = xrealloc(s->annotations, (s->n_annotations + 1) * sizeof(*s->annotations));
                s->annotations[s->n_annotations++] =
                        (struct pod_kv){ .key = xasprintf(APPARMOR_ANNOTATION_PREFIX "%s", c->name), .value = v };
        } else if (a && !own && field_for(a, &f) && !profile_equal(pod, &f)) {
                if (!c->security)
                        c->security = spec_security_context_new();
                free(c->security->app_armor.type);
                free(c->security->app_armor.localhost_profile);
                c->security->app_armor.type = xstrdup(f.type);
                c->security->app_armor.localhost_profile = f.localhost_profile ? xstrdup(f.localhost_profile) : NULL;
        }
}

void spec_apparmor_sync(struct pod_spec *s)
{
        for (size_t i = 0; i < s->n_init_containers; i++)
                sync_one(s, &s->init_containers[i]);
        for (size_t i = 0; i < s->n_containers; i++)
                sync_one(s, &s->containers[i]);
}
