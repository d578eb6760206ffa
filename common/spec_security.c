/* securityContext of a Pod and of its containers: decoding (strict field
 * names and types), the API server's validation (ValidateSecurityContext,
 * ValidatePodSecurityContext, in its words), pod.json and the effective values
 * the sandbox applies (the container's wins over the pod's, as the kubelet's
 * DetermineEffectiveSecurityContext). */
#include <stdio.h>
#include <string.h>
#include "spec_internal.h"

/* ---- small typed getters (a wrong type is a fatal error, as elsewhere) ---- */

static const struct yval *sc_get(struct spec_errs *e, const struct yval *m, const char *key, const char *path,
                                 enum yval_type t, const char *want)
{
        const struct yval *v = yval_map_get(m, key);
        _cleanup_free_ char *p = NULL, *r = NULL;

        if (!v || v->type == YVAL_NULL)
                return NULL;
        if (v->type == t)
                return v;
        p = spec_path_key(path, key);
        r = spec_value_repr(v);
        spec_errs_add(e, p, "Invalid value: %s: must be %s", r, want);
        e->n_fatal++;
        return NULL;
}

static int8_t sc_bool(struct spec_errs *e, const struct yval *m, const char *key, const char *path)
{
        const struct yval *v = sc_get(e, m, key, path, YVAL_BOOL, "a boolean (true or false)");

        return v ? (int8_t)v->b : POD_UNSET;
}

static int64_t sc_int(struct spec_errs *e, const struct yval *m, const char *key, const char *path,
                      int64_t *ret)
{
        const struct yval *v = sc_get(e, m, key, path, YVAL_INT, "an integer");

        if (v)
                *ret = v->i;
        return v ? 1 : 0;
}

static char *sc_str(struct spec_errs *e, const struct yval *m, const char *key, const char *path)
{
        const struct yval *v = sc_get(e, m, key, path, YVAL_STRING, "a string");

        return v ? xstrdup(v->str.s) : NULL;
}

static void sc_str_list(struct spec_errs *e, const struct yval *m, const char *key, const char *path,
                        char ***ret, size_t *ret_n)
{
        const struct yval *l = sc_get(e, m, key, path, YVAL_LIST, "an array");
        _cleanup_free_ char *p = spec_path_key(path, key);

        if (!l)
                return;
        *ret = xcalloc(l->list.n + 1, sizeof(char *));
        for (size_t i = 0; i < l->list.n; i++) {
                _cleanup_free_ char *ip = spec_path_idx(p, i), *r = NULL;

                if (l->list.items[i]->type == YVAL_STRING) {
                        (*ret)[(*ret_n)++] = xstrdup(l->list.items[i]->str.s);
                        continue;
                }
                r = spec_value_repr(l->list.items[i]);
                spec_errs_add(e, ip, "Invalid value: %s: must be a string", r);
                e->n_fatal++;
        }
}

/* ---- decoding ---- */

static const char *const profile_fields[] = { "type", "localhostProfile" };
static const char *const se_linux_fields[] = { "user", "role", "type", "level" };
static const char *const caps_fields[] = { "add", "drop" };
static const char *const sysctl_fields[] = { "name", "value" };
static const char *const ctr_sc_fields[] = {
        "capabilities", "privileged", "seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup",
        "runAsNonRoot", "readOnlyRootFilesystem", "allowPrivilegeEscalation", "procMount", "seccompProfile",
        "appArmorProfile",
};
static const char *const pod_sc_fields[] = {
        "seLinuxOptions", "windowsOptions", "runAsUser", "runAsGroup", "runAsNonRoot", "supplementalGroups",
        "supplementalGroupsPolicy", "fsGroup", "sysctls", "fsGroupChangePolicy", "seccompProfile",
        "appArmorProfile", "seLinuxChangePolicy",
};

static void decode_profile(struct spec_errs *e, const struct yval *m, const char *key, const char *path,
                           struct pod_seccomp_profile *p)
{
        const struct yval *v = sc_get(e, m, key, path, YVAL_MAP, "an object");
        _cleanup_free_ char *pp = spec_path_key(path, key);

        if (!v)
                return;
        spec_check_known(e, v, pp, profile_fields, ARRAY_SIZE(profile_fields));
        p->type = sc_str(e, v, "type", pp);
        p->localhost_profile = sc_str(e, v, "localhostProfile", pp);
        if (!p->type)
                p->type = xstrdup("");
}

static void decode_se_linux(struct spec_errs *e, const struct yval *m, const char *path,
                            struct pod_security_context *sc)
{
        const struct yval *v = sc_get(e, m, "seLinuxOptions", path, YVAL_MAP, "an object");
        _cleanup_free_ char *pp = spec_path_key(path, "seLinuxOptions");

        if (!v)
                return;
        spec_check_known(e, v, pp, se_linux_fields, ARRAY_SIZE(se_linux_fields));
        sc->se_linux = xcalloc(1, sizeof(*sc->se_linux));
        sc->se_linux->user = sc_str(e, v, "user", pp);
        sc->se_linux->role = sc_str(e, v, "role", pp);
        sc->se_linux->type = sc_str(e, v, "type", pp);
        sc->se_linux->level = sc_str(e, v, "level", pp);
}

static void decode_common(struct spec_errs *e, const struct yval *v, const char *p, struct pod_security_context *sc)
{
        sc_int(e, v, "runAsUser", p, &sc->run_as_user);
        sc_int(e, v, "runAsGroup", p, &sc->run_as_group);
        sc->run_as_non_root = sc_bool(e, v, "runAsNonRoot", p);
        decode_profile(e, v, "seccompProfile", p, &sc->seccomp);
        decode_profile(e, v, "appArmorProfile", p, &sc->app_armor);
        decode_se_linux(e, v, p, sc);
        /* windowsOptions: ignored on Linux, as the kubelet does. */
        (void)sc_get(e, v, "windowsOptions", p, YVAL_MAP, "an object");
}

static void decode_caps(struct spec_errs *e, const struct yval *v, const char *p, struct pod_security_context *sc)
{
        const struct yval *c = sc_get(e, v, "capabilities", p, YVAL_MAP, "an object");
        _cleanup_free_ char *cp = spec_path_key(p, "capabilities");

        if (!c)
                return;
        spec_check_known(e, c, cp, caps_fields, ARRAY_SIZE(caps_fields));
        sc->has_capabilities = true;
        sc_str_list(e, c, "add", cp, &sc->cap_add, &sc->n_cap_add);
        sc_str_list(e, c, "drop", cp, &sc->cap_drop, &sc->n_cap_drop);
}

struct pod_security_context *spec_security_context_new(void)
{
        struct pod_security_context *sc = xcalloc(1, sizeof(*sc));

        sc->run_as_user = sc->run_as_group = sc->fs_group = POD_ID_UNSET;
        sc->run_as_non_root = sc->privileged = sc->allow_privilege_escalation = POD_UNSET;
        sc->read_only_root_filesystem = POD_UNSET;
        return sc;
}

void spec_decode_container_security(struct spec_errs *e, const struct yval *ctr, const char *path,
                                    struct pod_container *c)
{
        const struct yval *v = sc_get(e, ctr, "securityContext", path, YVAL_MAP, "an object");
        _cleanup_free_ char *p = spec_path_key(path, "securityContext");
        struct pod_security_context *sc;

        if (!v)
                return;
        spec_check_known(e, v, p, ctr_sc_fields, ARRAY_SIZE(ctr_sc_fields));
        c->security = sc = spec_security_context_new();
        decode_common(e, v, p, sc);
        decode_caps(e, v, p, sc);
        sc->privileged = sc_bool(e, v, "privileged", p);
        sc->allow_privilege_escalation = sc_bool(e, v, "allowPrivilegeEscalation", p);
        sc->read_only_root_filesystem = sc_bool(e, v, "readOnlyRootFilesystem", p);
        sc->proc_mount = sc_str(e, v, "procMount", p);
}

static void decode_sysctls(struct spec_errs *e, const struct yval *v, const char *p, struct pod_security_context *sc)
{
        const struct yval *l = sc_get(e, v, "sysctls", p, YVAL_LIST, "an array");
        _cleanup_free_ char *lp = spec_path_key(p, "sysctls");

        if (!l)
                return;
        sc->sysctls = xcalloc(l->list.n + 1, sizeof(*sc->sysctls));
        for (size_t i = 0; i < l->list.n; i++) {
                _cleanup_free_ char *ip = spec_path_idx(lp, i);
                const struct yval *it = l->list.items[i];
                struct pod_kv *kv = &sc->sysctls[sc->n_sysctls++];

                if (it->type != YVAL_MAP) {
                        _cleanup_free_ char *r = spec_value_repr(it);

                        spec_errs_add(e, ip, "Invalid value: %s: must be an object", r);
                        e->n_fatal++;
                        continue;
                }
                spec_check_known(e, it, ip, sysctl_fields, ARRAY_SIZE(sysctl_fields));
                kv->key = sc_str(e, it, "name", ip);
                kv->value = sc_str(e, it, "value", ip);
        }
}

static void decode_groups(struct spec_errs *e, const struct yval *v, const char *p, struct pod_security_context *sc)
{
        const struct yval *l = sc_get(e, v, "supplementalGroups", p, YVAL_LIST, "an array");
        _cleanup_free_ char *lp = spec_path_key(p, "supplementalGroups");

        if (!l)
                return;
        sc->supplemental_groups = xcalloc(l->list.n + 1, sizeof(int64_t));
        for (size_t i = 0; i < l->list.n; i++) {
                _cleanup_free_ char *ip = spec_path_idx(lp, i), *r = NULL;

                if (l->list.items[i]->type == YVAL_INT) {
                        sc->supplemental_groups[sc->n_supplemental_groups++] = l->list.items[i]->i;
                        continue;
                }
                r = spec_value_repr(l->list.items[i]);
                spec_errs_add(e, ip, "Invalid value: %s: must be an integer", r);
                e->n_fatal++;
        }
}

void spec_decode_pod_security(struct spec_errs *e, const struct yval *spec, const char *path, struct pod_spec *s)
{
        const struct yval *v = sc_get(e, spec, "securityContext", path, YVAL_MAP, "an object");
        _cleanup_free_ char *p = spec_path_key(path, "securityContext");
        struct pod_security_context *sc;
        int8_t hu;

        s->host_pid = sc_bool(e, spec, "hostPID", path) == 1;
        s->host_ipc = sc_bool(e, spec, "hostIPC", path) == 1;
        hu = sc_bool(e, spec, "hostUsers", path);
        s->userns = hu == 0;
        s->host_users_set = hu != POD_UNSET;
        if (!v)
                return;
        spec_check_known(e, v, p, pod_sc_fields, ARRAY_SIZE(pod_sc_fields));
        s->security = sc = spec_security_context_new();
        decode_common(e, v, p, sc);
        sc_int(e, v, "fsGroup", p, &sc->fs_group);
        decode_groups(e, v, p, sc);
        sc->supplemental_groups_policy = sc_str(e, v, "supplementalGroupsPolicy", p);
        sc->fs_group_change_policy = sc_str(e, v, "fsGroupChangePolicy", p);
        decode_sysctls(e, v, p, sc);
        /* seLinuxChangePolicy: no SELinux here; accepted as the API server does. */
        (void)sc_get(e, v, "seLinuxChangePolicy", p, YVAL_STRING, "a string");
}

void pod_security_context_free(struct pod_security_context *sc)
{
        if (!sc)
                return;
        free(sc->seccomp.type);
        free(sc->seccomp.localhost_profile);
        free(sc->app_armor.type);
        free(sc->app_armor.localhost_profile);
        if (sc->se_linux) {
                free(sc->se_linux->user);
                free(sc->se_linux->role);
                free(sc->se_linux->type);
                free(sc->se_linux->level);
                free(sc->se_linux);
        }
        for (size_t i = 0; i < sc->n_cap_add; i++)
                free(sc->cap_add[i]);
        for (size_t i = 0; i < sc->n_cap_drop; i++)
                free(sc->cap_drop[i]);
        free(sc->cap_add);
        free(sc->cap_drop);
        free(sc->proc_mount);
        free(sc->supplemental_groups);
        free(sc->supplemental_groups_policy);
        free(sc->fs_group_change_policy);
        for (size_t i = 0; i < sc->n_sysctls; i++) {
                free(sc->sysctls[i].key);
                free(sc->sysctls[i].value);
        }
        free(sc->sysctls);
        free(sc);
}

/* ---- effective values ---- */

int64_t pod_effective_run_as_user(const struct pod_spec *s, const struct pod_container *c)
{
        if (c->security && c->security->run_as_user != POD_ID_UNSET)
                return c->security->run_as_user;
        return s->security && s->security->run_as_user != POD_ID_UNSET ? s->security->run_as_user : -1;
}

int64_t pod_effective_run_as_group(const struct pod_spec *s, const struct pod_container *c)
{
        if (c->security && c->security->run_as_group != POD_ID_UNSET)
                return c->security->run_as_group;
        return s->security && s->security->run_as_group != POD_ID_UNSET ? s->security->run_as_group : -1;
}

int pod_effective_run_as_non_root(const struct pod_spec *s, const struct pod_container *c)
{
        if (c->security && c->security->run_as_non_root != POD_UNSET)
                return c->security->run_as_non_root;
        return s->security ? s->security->run_as_non_root : POD_UNSET;
}

const struct pod_seccomp_profile *pod_effective_seccomp(const struct pod_spec *s, const struct pod_container *c)
{
        if (c->security && c->security->seccomp.type)
                return &c->security->seccomp;
        if (s->security && s->security->seccomp.type)
                return &s->security->seccomp;
        return NULL;
}

bool pod_container_privileged(const struct pod_container *c)
{
        return c->security && c->security->privileged == 1;
}

bool pod_container_no_new_privs(const struct pod_container *c)
{
        return c->security && c->security->allow_privilege_escalation == 0;
}

bool pod_container_read_only_root(const struct pod_container *c)
{
        return c->security && c->security->read_only_root_filesystem == 1;
}
