/* The API server's validation of a container's env and envFrom (ValidateEnv,
 * validateEnvVarValueFrom, validateObjectFieldSelector,
 * validateContainerResourceFieldSelector, ValidateEnvFrom), in its words. Env
 * var names follow RelaxedEnvironmentVariableValidation (GA since
 * Kubernetes 1.34): printable ASCII other than '='. */
#include <string.h>
#include "pfs/status.h"
#include "spec_internal.h"

#define RELAXED_ENV_NAME_MSG \
        "a valid environment variable name must consist only of printable ASCII characters other than '='"
/* What env fieldRef may name (validEnvDownwardAPIFieldPathExpressions), sorted. */
static const char *const env_field_paths[] = {
        "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
        "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
};
/* What ConvertDownwardAPIFieldLabel knows (spec.host aside). */
static const char *const convertible_paths[] = {
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
        "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName", "status.phase",
        "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
};
static const char *const resource_paths[] = {
        "limits.cpu", "limits.ephemeral-storage", "limits.memory",
        "requests.cpu", "requests.ephemeral-storage", "requests.memory",
};
static const char *const cpu_divisors[] = { "1m", "1" };
static const char *const byte_divisors[] = {
        "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(s, list[i]))
                        return true;
        return false;
}

static void validate_relaxed_env_name(struct spec_errs *e, const char *p, const char *name)
{
        for (const char *c = name; *c; c++) {
                if (*c < 0x20 || *c > 0x7e || *c == '=') {
                        spec_err_invalid_str(e, p, name, RELAXED_ENV_NAME_MSG);
                        return;
                }
        }
}

/* A quantity's format as resource.Quantity keeps it: 'b' binary (Ki), 'x'
 * exponent (1e3), 'd' decimal. */
static char quantity_format(const char *q)
{
        const char *sfx = q + strspn(q, "+-0123456789.");

        if (strchr(sfx, 'i'))
                return 'b';
        if ((sfx[0] == 'e' || sfx[0] == 'E') && sfx[1])
                return 'x';
        return 'd';
}

const char *spec_divisor_canonical(const char *resource, const char *divisor)
{
        const char *const *list = NULL;
        size_t n = 0;
        int cmp;

        if (!divisor || (pod_quantity_cmp(divisor, "0", &cmp) == 0 && cmp == 0))
                return "0";
        if (!strcmp(resource, "limits.cpu") || !strcmp(resource, "requests.cpu")) {
                list = cpu_divisors;
                n = ARRAY_SIZE(cpu_divisors);
        } else if (!strncmp(resource, "limits.", 7) || !strncmp(resource, "requests.", 9)) {
                list = byte_divisors;
                n = ARRAY_SIZE(byte_divisors);
        }
        for (size_t i = 0; i < n; i++)
                if (quantity_format(divisor) == quantity_format(list[i]) &&
                    pod_quantity_cmp(divisor, list[i], &cmp) == 0 && cmp == 0)
                        return list[i];
        return NULL;
}

static void validate_divisor(struct spec_errs *e, const char *p, const char *resource, const char *divisor)
{
        _cleanup_free_ char *dp = spec_path_key(p, "divisor");
        const char *what;

        if (spec_divisor_canonical(resource, divisor))
                return;
        if (!strcmp(resource, "limits.cpu") || !strcmp(resource, "requests.cpu"))
                what = "only divisor's values 1m and 1 are supported with the cpu resource";
        else if (!strcmp(resource, "limits.memory") || !strcmp(resource, "requests.memory"))
                what = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are "
                       "supported with the memory resource";
        else if (!strcmp(resource, "limits.ephemeral-storage") || !strcmp(resource, "requests.ephemeral-storage"))
                what = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are "
                       "supported with the local ephemeral storage resource";
        else
                return;
        spec_err_invalid_str(e, dp, resource, what);
}

void spec_validate_resource_field(struct spec_errs *e, const char *p, bool volume, const char *container_name,
                                  const char *resource, const char *divisor)
{
        _cleanup_free_ char *rp = spec_path_key(p, "resource"), *cp = spec_path_key(p, "containerName");

        if (volume && (!container_name || !*container_name))
                spec_err_required(e, cp, NULL);
        else if (!resource || !*resource)
                spec_err_required(e, rp, NULL);
        else if (!strncmp(resource, "limits.hugepages-", 17) || !strncmp(resource, "requests.hugepages-", 19))
                spec_err_forbidden(e, rp, "not supported by podfs yet");
        else if (!in_list(resource, resource_paths, ARRAY_SIZE(resource_paths)))
                spec_err_unsupported(e, rp, resource, resource_paths, ARRAY_SIZE(resource_paths));
        if (resource && *resource)
                validate_divisor(e, p, resource, divisor);
}

/* fieldpath.SplitMaybeSubscriptedPath: "metadata.labels['k']" -> path, subscript. */
static bool split_subscript(const char *fp, char **ret_path, char **ret_sub)
{
        size_t n = strlen(fp);
        const char *open;

        if (n < 2 || strcmp(fp + n - 2, "']"))
                return false;
        open = strstr(fp, "['");
        if (!open || open == fp || open + 2 > fp + n - 2)
                return false;
        *ret_path = xstrndup(fp, (size_t)(open - fp));
        *ret_sub = xstrndup(open + 2, (size_t)(fp + n - 2 - (open + 2)));
        return true;
}

static void validate_subscript(struct spec_errs *e, const char *p, const char *path, char *sub)
{
        if (!strcmp(path, "metadata.annotations")) {
                for (char *c = sub; *c; c++)
                        if (*c >= 'A' && *c <= 'Z')
                                *c = (char)(*c - 'A' + 'a');
                spec_validate_qualified_name(e, p, sub);
        } else if (!strcmp(path, "metadata.labels")) {
                spec_validate_qualified_name(e, p, sub);
        } else {
                spec_err_invalid_str(e, p, path, "does not support subscript");
        }
}

static void validate_field_ref(struct spec_errs *e, const char *p, const struct pod_field_selector *f)
{
        _cleanup_free_ char *ap = spec_path_key(p, "apiVersion"), *fp = spec_path_key(p, "fieldPath");
        _cleanup_free_ char *path = NULL, *sub = NULL, *why = NULL;
        const char *fpath = f->field_path;

        if (!f->api_version || !*f->api_version) {
                spec_err_required(e, ap, NULL);
                return;
        }
        if (!fpath || !*fpath) {
                spec_err_required(e, fp, NULL);
                return;
        }
        if (strcmp(f->api_version, "v1"))
                why = xasprintf("error converting fieldPath: unsupported pod version: %s", f->api_version);
        else if (split_subscript(fpath, &path, &sub)) {
                if (strcmp(path, "metadata.annotations") && strcmp(path, "metadata.labels"))
                        why = xasprintf("error converting fieldPath: field label does not support subscript: %s",
                                        fpath);
        } else if (strcmp(fpath, "spec.host") &&
                   !in_list(fpath, convertible_paths, ARRAY_SIZE(convertible_paths)))
                why = xasprintf("error converting fieldPath: field label not supported: %s", fpath);
        if (why)
                spec_err_invalid_str(e, fp, fpath, why);
        else if (sub)
                validate_subscript(e, p, path, sub);
        else if (strcmp(fpath, "spec.host") && !in_list(fpath, env_field_paths, ARRAY_SIZE(env_field_paths)))
                spec_err_unsupported(e, fp, fpath, env_field_paths, ARRAY_SIZE(env_field_paths));
}

/* validateConfigMapKeySelector / validateSecretKeySelector. */
static void validate_key_ref(struct spec_errs *e, const char *p, const struct pod_key_selector *k)
{
        _cleanup_free_ char *np = spec_path_key(p, "name"), *kp = spec_path_key(p, "key");

        spec_validate_subdomain(e, np, k->name ? k->name : "");
        if (!k->key || !*k->key)
                spec_err_required(e, kp, NULL);
        else
                spec_validate_config_key(e, kp, k->key);
}

static void validate_value_from(struct spec_errs *e, const char *p, const struct pod_env *env)
{
        const struct pod_env_source *v = env->value_from;
        int n = 0;

        if (v->field_ref) {
                _cleanup_free_ char *sp = spec_path_key(p, "fieldRef");

                n++;
                validate_field_ref(e, sp, v->field_ref);
        }
        if (v->resource_field_ref) {
                _cleanup_free_ char *sp = spec_path_key(p, "resourceFieldRef");

                n++;
                spec_validate_resource_field(e, sp, false, NULL, v->resource_field_ref->resource,
                                             v->resource_field_ref->divisor);
        }
        if (v->config_map_key_ref) {
                _cleanup_free_ char *sp = spec_path_key(p, "configMapKeyRef");

                n++;
                validate_key_ref(e, sp, v->config_map_key_ref);
        }
        if (v->secret_key_ref) {
                _cleanup_free_ char *sp = spec_path_key(p, "secretKeyRef");

                n++;
                validate_key_ref(e, sp, v->secret_key_ref);
        }
        if (n == 0 && v->file_key_ref)
                return;         /* refused by decoding */
        if (n == 0)
                spec_err_invalid_str(e, p, "",
                                     "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`");
        else if (env->value && *env->value)
                spec_err_invalid_str(e, p, "", "may not be specified when `value` is not empty");
        else if (n > 1)
                spec_err_invalid_str(e, p, "", "may not have more than one field specified at a time");
}

/* validateConfigMapEnvSource / validateSecretEnvSource. */
static void validate_env_source(struct spec_errs *e, const char *p, const struct pod_key_selector *k)
{
        _cleanup_free_ char *np = spec_path_key(p, "name");

        if (!k->name || !*k->name)
                spec_err_required(e, np, NULL);
        else
                spec_validate_subdomain(e, np, k->name);
}

static void validate_env_from(struct spec_errs *e, const struct pod_env_from *ef, const char *lp, size_t i)
{
        _cleanup_free_ char *p = spec_path_idx(lp, i), *pp = spec_path_key(p, "prefix");
        int n = 0;

        if (ef->prefix && *ef->prefix)
                validate_relaxed_env_name(e, pp, ef->prefix);
        if (ef->config_map_ref) {
                _cleanup_free_ char *sp = spec_path_key(p, "configMapRef");

                n++;
                validate_env_source(e, sp, ef->config_map_ref);
        }
        if (ef->secret_ref) {
                _cleanup_free_ char *sp = spec_path_key(p, "secretRef");

                n++;
                validate_env_source(e, sp, ef->secret_ref);
        }
        /* The API server names the list here, not the item. */
        if (n == 0)
                spec_err_invalid_str(e, lp, "", "must specify one of: `configMapRef` or `secretRef`");
        else if (n > 1)
                spec_err_invalid_str(e, lp, "", "may not have more than one field specified at a time");
}

void spec_validate_env(struct spec_errs *e, const struct pod_container *c, const char *cp)
{
        _cleanup_free_ char *lp = spec_path_key(cp, "envFrom");

        for (size_t i = 0; i < c->n_env; i++) {
                _cleanup_free_ char *p = xasprintf("%s.env[%zu]", cp, i);
                _cleanup_free_ char *np = spec_path_key(p, "name"), *vp = spec_path_key(p, "valueFrom");

                if (!c->env[i].name || !*c->env[i].name)
                        spec_err_required(e, np, NULL);
                else
                        validate_relaxed_env_name(e, np, c->env[i].name);
                if (c->env[i].value_from)
                        validate_value_from(e, vp, &c->env[i]);
        }
        for (size_t i = 0; i < c->n_env_from; i++)
                validate_env_from(e, &c->env_from[i], lp, i);
}
