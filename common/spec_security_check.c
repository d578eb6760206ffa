/* securityContext: the API server's validation (in its words), what podfs
 * refuses on this node, capability names, and the pod.json rendering. */
#include <stdio.h>
#include <string.h>
#include "spec_internal.h"

static const char *const cap_names[] = {
        "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
        "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
        "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
        "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
        "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
        "CHECKPOINT_RESTORE",
};

int pod_capability_number(const char *name)
{
        if (!strcmp(name, "ALL"))
                return -2;
        if (!strncmp(name, "CAP_", 4))
                name += 4;
        for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
                if (!strcmp(cap_names[i], name))
                        return (int)i;
        return -1;
}

/* ---- validation ---- */

#define ID_MSG "must be between 0 and 2147483647, inclusive"

static void check_id(struct spec_errs *e, const char *path, const char *key, int64_t v, bool set)
{
        _cleanup_free_ char *p = NULL;

        if (!set || (v >= 0 && v <= 2147483647))
                return;
        p = spec_path_key(path, key);
        spec_err_invalid_int(e, p, (long long)v, ID_MSG);
}

/* validateSeccompProfileField / validateAppArmorProfileField. */
static void check_profile(struct spec_errs *e, const char *path, const char *key,
                          const struct pod_seccomp_profile *p, const char *what)
{
        static const char *const types[] = { "Localhost", "RuntimeDefault", "Unconfined" };
        _cleanup_free_ char *pp = spec_path_key(path, key), *tp = NULL, *lp = NULL;
        char msg[96];

        if (!p->type)
                return;
        tp = spec_path_key(pp, "type");
        lp = spec_path_key(pp, "localhostProfile");
        if (!strcmp(p->type, "Localhost")) {
                snprintf(msg, sizeof(msg), "must be set when %s type is Localhost", what);
                if (!p->localhost_profile || !*p->localhost_profile)
                        spec_err_required(e, lp, msg);
                else if (p->localhost_profile[0] == '/' || strstr(p->localhost_profile, ".."))
                        spec_err_invalid_str(e, lp, p->localhost_profile,
                                             p->localhost_profile[0] == '/' ? "must be a relative path"
                                                                            : "must not contain '..'");
        } else if (spec_check_enum(e, tp, p->type, types, ARRAY_SIZE(types)) && p->localhost_profile) {
                snprintf(msg, sizeof(msg), "can only be set when %s type is Localhost", what);
                spec_err_invalid_str(e, lp, p->localhost_profile, msg);
        }
}

static void check_common(struct spec_errs *e, const char *p, const struct pod_security_context *sc)
{
        check_id(e, p, "runAsUser", sc->run_as_user, sc->run_as_user != POD_ID_UNSET);
        check_id(e, p, "runAsGroup", sc->run_as_group, sc->run_as_group != POD_ID_UNSET);
        check_profile(e, p, "seccompProfile", &sc->seccomp, "seccomp");
        check_profile(e, p, "appArmorProfile", &sc->app_armor, "AppArmor");
}

static bool adds_literal_sys_admin(const struct pod_security_context *sc)
{
        for (size_t i = 0; i < sc->n_cap_add; i++)
                if (!strcmp(sc->cap_add[i], "CAP_SYS_ADMIN"))
                        return true;
        return false;
}

static void check_container(struct spec_errs *e, const char *cp, const struct pod_container *c, bool userns)
{
        static const char *const proc_mounts[] = { "Default", "Unmasked" };
        const struct pod_security_context *sc = c->security;
        _cleanup_free_ char *p = spec_path_key(cp, "securityContext"), *pm = NULL, *repr = NULL;

        if (!sc)
                return;
        check_common(e, p, sc);
        if (sc->allow_privilege_escalation == 0 && (sc->privileged == 1 || adds_literal_sys_admin(sc)))
                repr = spec_value_repr(spec_node_at(e->root, p));
        if (repr && sc->privileged == 1)
                spec_errs_add(e, p, "Invalid value: %s: cannot set `allowPrivilegeEscalation` to false and "
                              "`privileged` to true", repr);
        for (size_t i = 0; repr && i < sc->n_cap_add; i++)
                if (!strcmp(sc->cap_add[i], "CAP_SYS_ADMIN"))
                        spec_errs_add(e, p, "Invalid value: %s: cannot set `allowPrivilegeEscalation` to false "
                                      "and `capabilities.Add` CAP_SYS_ADMIN", repr);
        pm = spec_path_key(p, "procMount");
        if (sc->proc_mount && spec_check_enum(e, pm, sc->proc_mount, proc_mounts, ARRAY_SIZE(proc_mounts)) &&
            !strcmp(sc->proc_mount, "Unmasked") && !userns)
                spec_err_forbidden(e, pm, "`hostUsers` must be false to use `Unmasked`");
}

static void check_pod_lists(struct spec_errs *e, const char *p, const struct pod_security_context *sc)
{
        static const char *const sgp[] = { "Merge", "Strict" };
        static const char *const fgcp[] = { "Always", "OnRootMismatch" };
        _cleanup_free_ char *gp = spec_path_key(p, "supplementalGroups");
        _cleanup_free_ char *sp = spec_path_key(p, "supplementalGroupsPolicy");
        _cleanup_free_ char *fp = spec_path_key(p, "fsGroupChangePolicy");

        for (size_t i = 0; i < sc->n_supplemental_groups; i++) {
                _cleanup_free_ char *ip = spec_path_idx(gp, i);
                int64_t g = sc->supplemental_groups[i];

                if (g < 0 || g > 2147483647)
                        spec_err_invalid_int(e, ip, (long long)g, ID_MSG);
        }
        if (sc->supplemental_groups_policy)
                spec_check_enum(e, sp, sc->supplemental_groups_policy, sgp, ARRAY_SIZE(sgp));
        if (sc->fs_group_change_policy)
                spec_check_enum(e, fp, sc->fs_group_change_policy, fgcp, ARRAY_SIZE(fgcp));
}

/* ---- sysctls ---- */

/* The kubelet's safe set (SafeSysctlAllowlist). */
static const char *const safe_sysctls[] = {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
};

bool pod_sysctl_is_safe(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(safe_sysctls); i++)
                if (!strcmp(name, safe_sysctls[i]))
                        return true;
        return false;
}

static bool sysctl_is_ipc(const char *n)
{
        return !strncmp(n, "kernel.shm", 10) || !strncmp(n, "kernel.msg", 10) || !strcmp(n, "kernel.sem") ||
               !strncmp(n, "fs.mqueue.", 10);
}

/* 'n' namespaced by the net or ipc namespace (what a pod may set at all). */
bool pod_sysctl_is_namespaced(const char *n)
{
        return sysctl_is_ipc(n) || !strncmp(n, "net.", 4);
}

/* IsValidSysctlName: ([a-z0-9]([-_a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-_a-z0-9]*[a-z0-9])?, 253 at most. */
static bool sysctl_name_ok(const char *s)
{
        size_t len = strlen(s);

        if (!len || len > 253)
                return false;
        for (const char *seg = s; ; ) {
                size_t n = strcspn(seg, ".");

                if (!n || strspn(seg, "-_abcdefghijklmnopqrstuvwxyz0123456789") < n ||
                    !strchr("abcdefghijklmnopqrstuvwxyz0123456789", seg[0]) ||
                    !strchr("abcdefghijklmnopqrstuvwxyz0123456789", seg[n - 1]))
                        return false;
                if (!seg[n])
                        return true;
                seg += n + 1;
        }
}

static void check_sysctls(struct spec_errs *e, const struct pod_spec *s, const struct pod_security_context *sc)
{
        for (size_t i = 0; i < sc->n_sysctls; i++) {
                _cleanup_free_ char *p = xasprintf("spec.securityContext.sysctls[%zu].name", i);
                const char *n = sc->sysctls[i].key;

                if (!n || !*n)
                        spec_err_required(e, p, NULL);
                else if (!sysctl_name_ok(n))
                        spec_err_invalid_str(e, p, n, "must have at most 253 characters and match regex "
                                             "([a-z0-9]([-_a-z0-9]*[a-z0-9])?\\.)*[a-z0-9]([-_a-z0-9]*[a-z0-9])?");
                else if (s->host_network && !strncmp(n, "net.", 4))
                        spec_err_invalid_str(e, p, n, "may not be specified when 'hostNetwork' is true");
                else if (s->host_ipc && sysctl_is_ipc(n))
                        spec_err_invalid_str(e, p, n, "may not be specified when 'hostIPC' is true");
        }
}

/* validateHostUsers: a user namespace with none of the node's namespaces
 * (the API's internal field names, the manifest's lines). */
static void check_host_users(const struct pod_spec *s, struct spec_errs *e)
{
        static const char msg[] = "when `pod.Spec.HostUsers` is false";

        if (!s->userns)
                return;
        if (s->host_network)
                spec_err_forbidden(e, "spec.hostNetwork", msg);
        e->line_path = "spec.hostPID";
        if (s->host_pid)
                spec_err_forbidden(e, "spec.HostPID", msg);
        e->line_path = "spec.hostIPC";
        if (s->host_ipc)
                spec_err_forbidden(e, "spec.HostIPC", msg);
        e->line_path = NULL;
}

void spec_validate_security(const struct pod_spec *s, struct spec_errs *e)
{
        const struct pod_security_context *sc = s->security;

        if (s->host_pid && s->share_process_namespace) {
                /* the API's internal path; the line is the field's in the manifest */
                e->line_path = "spec.shareProcessNamespace";
                spec_errs_add(e, "spec.securityContext.shareProcessNamespace",
                              "Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled");
                e->line_path = NULL;
        }
        for (size_t i = 0; i < s->n_init_containers; i++) {
                _cleanup_free_ char *cp = xasprintf("spec.initContainers[%zu]", i);

                check_container(e, cp, &s->init_containers[i], s->userns);
        }
        for (size_t i = 0; i < s->n_containers; i++) {
                _cleanup_free_ char *cp = xasprintf("spec.containers[%zu]", i);

                check_container(e, cp, &s->containers[i], s->userns);
        }
        spec_validate_apparmor(s, e);
        check_host_users(s, e);
        if (!sc)
                return;
        check_common(e, "spec.securityContext", sc);
        check_id(e, "spec.securityContext", "fsGroup", sc->fs_group, sc->fs_group != POD_ID_UNSET);
        check_pod_lists(e, "spec.securityContext", sc);
        check_sysctls(e, s, sc);
}

/* ---- pod.json: as written, in the API's field order ---- */

static void set_int(struct yval *m, const char *k, int64_t v)
{
        if (v != POD_ID_UNSET)
                yval_map_set(m, k, yval_new_int(v));
}

static void set_bool(struct yval *m, const char *k, int8_t v)
{
        if (v != POD_UNSET)
                yval_map_set(m, k, yval_new_bool(v == 1));
}

static void set_str(struct yval *m, const char *k, const char *v)
{
        if (v)
                yval_map_set(m, k, yval_new_str(v));
}

static void set_profile(struct yval *m, const char *k, const struct pod_seccomp_profile *p)
{
        struct yval *y;

        if (!p->type)
                return;
        y = yval_map_set(m, k, yval_new_map());
        set_str(y, "type", p->type);
        set_str(y, "localhostProfile", p->localhost_profile);
}

static void set_se_linux(struct yval *m, const struct pod_se_linux_options *o)
{
        struct yval *y;

        if (!o)
                return;
        y = yval_map_set(m, "seLinuxOptions", yval_new_map());
        set_str(y, "user", o->user);
        set_str(y, "role", o->role);
        set_str(y, "type", o->type);
        set_str(y, "level", o->level);
}

static struct yval *strs(char *const *v, size_t n)
{
        struct yval *l = yval_new_list();

        for (size_t i = 0; i < n; i++)
                yval_list_push(l, yval_new_str(v[i]));
        return l;
}

static void set_caps(struct yval *m, const struct pod_security_context *sc)
{
        struct yval *c;

        if (!sc->has_capabilities)
                return;
        c = yval_map_set(m, "capabilities", yval_new_map());
        if (sc->n_cap_add)
                yval_map_set(c, "add", strs(sc->cap_add, sc->n_cap_add));
        if (sc->n_cap_drop)
                yval_map_set(c, "drop", strs(sc->cap_drop, sc->n_cap_drop));
}

struct yval *spec_container_security_to_yval(const struct pod_security_context *sc)
{
        struct yval *m = yval_new_map();

        set_caps(m, sc);
        set_bool(m, "privileged", sc->privileged);
        set_se_linux(m, sc->se_linux);
        set_int(m, "runAsUser", sc->run_as_user);
        set_int(m, "runAsGroup", sc->run_as_group);
        set_bool(m, "runAsNonRoot", sc->run_as_non_root);
        set_bool(m, "readOnlyRootFilesystem", sc->read_only_root_filesystem);
        set_bool(m, "allowPrivilegeEscalation", sc->allow_privilege_escalation);
        set_str(m, "procMount", sc->proc_mount);
        set_profile(m, "seccompProfile", &sc->seccomp);
        set_profile(m, "appArmorProfile", &sc->app_armor);
        return m;
}

/* The API server always shows the pod's securityContext ({} when absent). */
struct yval *spec_pod_security_to_yval(const struct pod_security_context *sc)
{
        struct yval *m = yval_new_map();

        if (!sc)
                return m;
        set_se_linux(m, sc->se_linux);
        set_int(m, "runAsUser", sc->run_as_user);
        set_int(m, "runAsGroup", sc->run_as_group);
        set_bool(m, "runAsNonRoot", sc->run_as_non_root);
        if (sc->n_supplemental_groups) {
                struct yval *l = yval_map_set(m, "supplementalGroups", yval_new_list());

                for (size_t i = 0; i < sc->n_supplemental_groups; i++)
                        yval_list_push(l, yval_new_int(sc->supplemental_groups[i]));
        }
        set_str(m, "supplementalGroupsPolicy", sc->supplemental_groups_policy);
        set_int(m, "fsGroup", sc->fs_group);
        if (sc->n_sysctls) {
                struct yval *l = yval_map_set(m, "sysctls", yval_new_list());

                for (size_t i = 0; i < sc->n_sysctls; i++) {
                        struct yval *o = yval_list_push(l, yval_new_map());

                        set_str(o, "name", sc->sysctls[i].key ? sc->sysctls[i].key : "");
                        set_str(o, "value", sc->sysctls[i].value ? sc->sysctls[i].value : "");
                }
        }
        set_str(m, "fsGroupChangePolicy", sc->fs_group_change_policy);
        set_profile(m, "seccompProfile", &sc->seccomp);
        set_profile(m, "appArmorProfile", &sc->app_armor);
        return m;
}
