/* Pod Security Standards: the checks of k8s.io/pod-security-admission
 * (policy/check_*.go) at "latest", with their reasons and details, for
 * levels baseline and restricted; the violations joined as the admission
 * plugin does ("violates PodSecurity \"restricted:latest\": reason (detail),
 * ..."): the baseline checks in the order of their IDs, then at restricted
 * the restricted ones (those that override a baseline check replace it). */
#include <stdio.h>
#include <string.h>
#include "pfs/pss.h"
#include "pfs/util.h"
#include "pss_internal.h"
#include "spec_internal.h"

void sset_add(struct sset *s, const char *x)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->v[i], x))
                        return;
        s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
        s->v[s->n++] = xstrdup(x);
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

void sset_sort(struct sset *s)
{
        if (s->n > 1)
                qsort(s->v, s->n, sizeof(*s->v), cmp_str);
}

void sset_free(struct sset *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (struct sset){ 0 };
}

void join_quote(struct pfs_buf *b, struct sset *s, bool sorted)
{
        if (sorted)
                sset_sort(s);
        for (size_t i = 0; i < s->n; i++) {
                _cleanup_free_ char *q = spec_quote(s->v[i]);

                pfs_buf_printf(b, "%s%s", i ? ", " : "", q);
        }
}

const char *plural(const char *one, const char *many, size_t n)
{
        return n == 1 ? one : many;
}

/* ---- the result ---- */

void violation(struct pss_out *o, const char *reason, const char *detail)
{
        pfs_buf_printf(&o->b, "%s%s", o->n++ ? ", " : "", reason);
        if (detail && *detail)
                pfs_buf_printf(&o->b, " (%s)", detail);
}

/* "container[s] "a", "b" WHAT" into o as one violation, when any. */
static void containers_violation(struct pss_out *o, const char *reason, struct sset *names, const char *what)
{
        struct pfs_buf d = { 0 };

        if (!names->n)
                return;
        pfs_buf_printf(&d, "%s ", plural("container", "containers", names->n));
        join_quote(&d, names, false);
        pfs_buf_printf(&d, " %s", what);
        violation(o, reason, d.data);
        free(d.data);
}

void visit(const struct pod_spec *s, ctr_visit f, void *data)
{
        for (size_t i = 0; i < s->n_init_containers; i++)
                f(&s->init_containers[i], data);
        for (size_t i = 0; i < s->n_containers; i++)
                f(&s->containers[i], data);
}

/* ---- checks ---- */

static void v_ape(const struct pod_container *c, void *data)
{
        if (!c->security || c->security->allow_privilege_escalation != 0)
                sset_add(data, c->name);
}

static void check_allow_privilege_escalation(const struct pod_spec *s, struct pss_out *o)
{
        struct sset bad = { 0 };

        visit(s, v_ape, &bad);
        containers_violation(o, "allowPrivilegeEscalation != false", &bad,
                             "must set securityContext.allowPrivilegeEscalation=false");
        sset_free(&bad);
}

struct caps_ctx {
        bool restricted;
        struct sset missing_drop, adding, forbidden;
};

static bool cap_allowed(const char *cap, bool restricted)
{
        static const char *const baseline[] = {
                "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
        };

        if (restricted)
                return !strcmp(cap, "NET_BIND_SERVICE");
        for (size_t i = 0; i < ARRAY_SIZE(baseline); i++)
                if (!strcmp(cap, baseline[i]))
                        return true;
        return false;
}

static void v_caps(const struct pod_container *c, void *data)
{
        struct caps_ctx *x = data;
        const struct pod_security_context *sc = c->security;
        bool drop_all = false, adds = false;

        for (size_t i = 0; sc && i < sc->n_cap_drop; i++)
                drop_all |= !strcmp(sc->cap_drop[i], "ALL");
        if (x->restricted && !drop_all)
                sset_add(&x->missing_drop, c->name);
        for (size_t i = 0; sc && i < sc->n_cap_add; i++) {
                if (cap_allowed(sc->cap_add[i], x->restricted))
                        continue;
                adds = true;
                sset_add(&x->forbidden, sc->cap_add[i]);
        }
        if (adds)
                sset_add(&x->adding, c->name);
}

static void check_capabilities(const struct pod_spec *s, bool restricted, struct pss_out *o)
{
        struct caps_ctx x = { .restricted = restricted };
        struct pfs_buf d = { 0 };

        visit(s, v_caps, &x);
        if (x.missing_drop.n) {
                pfs_buf_printf(&d, "%s ", plural("container", "containers", x.missing_drop.n));
                join_quote(&d, &x.missing_drop, false);
                pfs_buf_printf(&d, " must set securityContext.capabilities.drop=[\"ALL\"]");
        }
        if (x.adding.n) {
                pfs_buf_printf(&d, "%s%s ", d.len ? "; " : "", plural("container", "containers", x.adding.n));
                join_quote(&d, &x.adding, false);
                pfs_buf_printf(&d, " must not include ");
                join_quote(&d, &x.forbidden, true);
                pfs_buf_printf(&d, " in securityContext.capabilities.add");
        }
        if (d.len)
                violation(o, restricted ? "unrestricted capabilities" : "non-default capabilities", d.data);
        free(d.data);
        sset_free(&x.missing_drop);
        sset_free(&x.adding);
        sset_free(&x.forbidden);
}

static void check_host_namespaces(const struct pod_spec *s, struct pss_out *o)
{
        struct pfs_buf d = { 0 };

        if (s->host_network)
                pfs_buf_printf(&d, "hostNetwork=true");
        if (s->host_pid)
                pfs_buf_printf(&d, "%shostPID=true", d.len ? ", " : "");
        if (s->host_ipc)
                pfs_buf_printf(&d, "%shostIPC=true", d.len ? ", " : "");
        if (d.len)
                violation(o, "host namespaces", d.data);
        free(d.data);
}

static void check_host_path(const struct pod_spec *s, bool restricted_types, struct pss_out *o)
{
        struct sset names = { 0 };
        struct pfs_buf d = { 0 };

        for (size_t i = 0; i < s->n_volumes; i++)
                if (s->volumes[i].kind == POD_VOLUME_HOST_PATH)
                        sset_add(&names, s->volumes[i].name);
        if (names.n) {
                pfs_buf_printf(&d, "%s ", plural("volume", "volumes", names.n));
                join_quote(&d, &names, false);
                if (restricted_types)
                        pfs_buf_printf(&d, " %s restricted volume type \"hostPath\"", plural("uses", "use", names.n));
                violation(o, restricted_types ? "restricted volume types" : "hostPath volumes", d.data);
        }
        free(d.data);
        sset_free(&names);
}

struct ports_ctx {
        struct sset names, ports;
        bool host_network;      /* the check sees the hostPorts as defaulted */
};

static void v_ports(const struct pod_container *c, void *data)
{
        struct ports_ctx *x = data;

        for (size_t i = 0; i < c->n_ports; i++) {
                int32_t hp = pod_port_host_port(x->host_network, &c->ports[i]);
                char p[16];

                if (!hp)
                        continue;
                sset_add(&x->names, c->name);
                snprintf(p, sizeof(p), "%d", (int)hp);
                sset_add(&x->ports, p);
        }
}

static void check_host_ports(const struct pod_spec *s, struct pss_out *o)
{
        struct ports_ctx x = { .host_network = s->host_network };
        struct pfs_buf d = { 0 };

        visit(s, v_ports, &x);
        if (x.names.n) {
                pfs_buf_printf(&d, "%s ", plural("container", "containers", x.names.n));
                join_quote(&d, &x.names, false);
                pfs_buf_printf(&d, " %s %s ", plural("uses", "use", x.names.n),
                               plural("hostPort", "hostPorts", x.ports.n));
                for (size_t i = 0; i < x.ports.n; i++)
                        pfs_buf_printf(&d, "%s%s", i ? ", " : "", x.ports.v[i]);
                violation(o, "hostPort", d.data);
        }
        free(d.data);
        sset_free(&x.names);
        sset_free(&x.ports);
}

static void v_privileged(const struct pod_container *c, void *data)
{
        if (pod_container_privileged(c))
                sset_add(data, c->name);
}

static void check_privileged(const struct pod_spec *s, struct pss_out *o)
{
        struct sset bad = { 0 };

        visit(s, v_privileged, &bad);
        containers_violation(o, "privileged", &bad, "must not set securityContext.privileged=true");
        sset_free(&bad);
}

struct nonroot_ctx {
        const struct pod_spec *s;
        struct sset explicit_bad, implicit_bad;
};

static void v_nonroot(const struct pod_container *c, void *data)
{
        struct nonroot_ctx *x = data;
        int v = c->security ? c->security->run_as_non_root : POD_UNSET;

        if (v == 0)
                sset_add(&x->explicit_bad, c->name);
        else if (v == POD_UNSET && (!x->s->security || x->s->security->run_as_non_root != 1))
                sset_add(&x->implicit_bad, c->name);
}

static void check_run_as_non_root(const struct pod_spec *s, struct pss_out *o)
{
        struct nonroot_ctx x = { .s = s };
        struct pfs_buf d = { 0 };
        bool pod_false = s->security && s->security->run_as_non_root == 0;

        visit(s, v_nonroot, &x);
        /* explicit "false" setters, joined with " and "; else the implicit ones */
        if (pod_false)
                pfs_buf_printf(&d, "pod");
        if (x.explicit_bad.n) {
                pfs_buf_printf(&d, "%s%s ", d.len ? " and " : "", plural("container", "containers", x.explicit_bad.n));
                join_quote(&d, &x.explicit_bad, false);
        }
        if (d.len)
                pfs_buf_printf(&d, " must not set securityContext.runAsNonRoot=false");
        else if (x.implicit_bad.n) {
                pfs_buf_printf(&d, "pod or %s ", plural("container", "containers", x.implicit_bad.n));
                join_quote(&d, &x.implicit_bad, false);
                pfs_buf_printf(&d, " must set securityContext.runAsNonRoot=true");
        }
        if (d.len)
                violation(o, "runAsNonRoot != true", d.data);
        free(d.data);
        sset_free(&x.explicit_bad);
        sset_free(&x.implicit_bad);
}

static void v_root_user(const struct pod_container *c, void *data)
{
        if (c->security && c->security->run_as_user == 0)
                sset_add(data, c->name);
}

static void check_run_as_user(const struct pod_spec *s, struct pss_out *o)
{
        struct sset bad = { 0 };
        struct pfs_buf d = { 0 };

        if (s->security && s->security->run_as_user == 0)
                pfs_buf_printf(&d, "pod");
        visit(s, v_root_user, &bad);
        if (bad.n) {
                pfs_buf_printf(&d, "%s%s ", d.len ? " and " : "", plural("container", "containers", bad.n));
                join_quote(&d, &bad, false);
        }
        if (d.len) {
                pfs_buf_printf(&d, " must not set runAsUser=0");
                violation(o, "runAsUser=0", d.data);
        }
        free(d.data);
        sset_free(&bad);
}

struct seccomp_ctx {
        const struct pod_spec *s;
        bool restricted;
        struct sset explicit_bad, implicit_bad;
};

static bool seccomp_ok(const char *type)
{
        return !strcmp(type, "RuntimeDefault") || !strcmp(type, "Localhost");
}

static void v_seccomp(const struct pod_container *c, void *data)
{
        struct seccomp_ctx *x = data;
        const char *t = c->security ? c->security->seccomp.type : NULL;
        const char *pt = x->s->security ? x->s->security->seccomp.type : NULL;

        if (t && !seccomp_ok(t))
                sset_add(&x->explicit_bad, c->name);
        else if (!t && x->restricted && (!pt || !seccomp_ok(pt)))
                sset_add(&x->implicit_bad, c->name);
}

static void check_seccomp(const struct pod_spec *s, bool restricted, struct pss_out *o)
{
        struct seccomp_ctx x = { .s = s, .restricted = restricted };
        const char *pt = s->security ? s->security->seccomp.type : NULL;
        struct pfs_buf d = { 0 };
        bool pod_bad = pt && !seccomp_ok(pt);

        visit(s, v_seccomp, &x);
        if (pod_bad)
                pfs_buf_printf(&d, "pod must not set securityContext.seccompProfile.type to \"%s\"", pt);
        if (x.explicit_bad.n) {
                pfs_buf_printf(&d, "%s%s ", d.len ? "; " : "", plural("container", "containers", x.explicit_bad.n));
                join_quote(&d, &x.explicit_bad, false);
                pfs_buf_printf(&d, " must not set securityContext.seccompProfile.type to \"Unconfined\"");
        }
        if (x.implicit_bad.n && !pod_bad) {
                pfs_buf_printf(&d, "%spod or %s ", d.len ? "; " : "",
                               plural("container", "containers", x.implicit_bad.n));
                join_quote(&d, &x.implicit_bad, false);
                pfs_buf_printf(&d, " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or "
                                   "\"Localhost\"");
        }
        if (d.len)
                violation(o, "seccompProfile", d.data);
        free(d.data);
        sset_free(&x.explicit_bad);
        sset_free(&x.implicit_bad);
}

/* The safe sysctls of each policy version (sysctlsV1Dot0 .. V1Dot32). */
static bool sysctl_safe_at(const char *n, int minor)
{
        static const struct { const char *name; int since; } safe[] = {
                { "kernel.shm_rmid_forced", 0 }, { "net.ipv4.ip_local_port_range", 0 },
                { "net.ipv4.tcp_syncookies", 0 }, { "net.ipv4.ping_group_range", 0 },
                { "net.ipv4.ip_unprivileged_port_start", 0 }, { "net.ipv4.ip_local_reserved_ports", 27 },
                { "net.ipv4.tcp_keepalive_time", 29 }, { "net.ipv4.tcp_fin_timeout", 29 },
                { "net.ipv4.tcp_keepalive_intvl", 29 }, { "net.ipv4.tcp_keepalive_probes", 29 },
                { "net.ipv4.tcp_rmem", 32 }, { "net.ipv4.tcp_wmem", 32 },
        };

        for (size_t i = 0; i < ARRAY_SIZE(safe); i++)
                if (!strcmp(n, safe[i].name))
                        return minor >= safe[i].since;
        return false;
}

static void check_sysctls(const struct pss_ctx *x, struct pss_out *o)
{
        const struct pod_spec *s = x->s;
        struct pfs_buf d = { 0 };

        for (size_t i = 0; s->security && i < s->security->n_sysctls; i++) {
                const char *n = s->security->sysctls[i].key;

                if (n && !sysctl_safe_at(n, x->minor))
                        pfs_buf_printf(&d, "%s%s", d.len ? ", " : "", n);
        }
        if (d.len)
                violation(o, "forbidden sysctls", d.data);
        free(d.data);
}

int pfs_pss_level_of(const char *name)
{
        if (!strcmp(name, "privileged"))
                return PFS_PSS_PRIVILEGED;
        if (!strcmp(name, "baseline"))
                return PFS_PSS_BASELINE;
        if (!strcmp(name, "restricted"))
                return PFS_PSS_RESTRICTED;
        return -1;
}

const char *pfs_pss_level_name(enum pfs_pss_level l)
{
        return l == PFS_PSS_RESTRICTED ? "restricted" : l == PFS_PSS_BASELINE ? "baseline" : "privileged";
}

int pfs_pss_version_minor(const char *v)
{
        char *end;
        long m;

        if (!v || !strcmp(v, "latest"))
                return PFS_PSS_LATEST_MINOR;
        if (strncmp(v, "v1.", 3) || !v[3] || (v[3] == '0' && v[4]))
                return -1;
        m = strtol(v + 3, &end, 10);
        if (*end || m < 0 || m > 1000)
                return -1;
        /* a version past the newest check is evaluated as the newest */
        return m > PFS_PSS_LATEST_MINOR ? PFS_PSS_LATEST_MINOR : (int)m;
}

/* ---- the registry: each check's level, the policy version it exists from,
 * and the baseline check a restricted one replaces ---- */

static void c_caps_baseline(const struct pss_ctx *x, struct pss_out *o) { check_capabilities(x->s, false, o); }
static void c_caps_restricted(const struct pss_ctx *x, struct pss_out *o) { check_capabilities(x->s, true, o); }
static void c_host_ns(const struct pss_ctx *x, struct pss_out *o) { check_host_namespaces(x->s, o); }
static void c_host_path(const struct pss_ctx *x, struct pss_out *o) { check_host_path(x->s, false, o); }
static void c_restricted_volumes(const struct pss_ctx *x, struct pss_out *o) { check_host_path(x->s, true, o); }
static void c_host_ports(const struct pss_ctx *x, struct pss_out *o) { check_host_ports(x->s, o); }
static void c_privileged(const struct pss_ctx *x, struct pss_out *o) { check_privileged(x->s, o); }
static void c_seccomp_baseline(const struct pss_ctx *x, struct pss_out *o) { check_seccomp(x->s, false, o); }
static void c_seccomp_restricted(const struct pss_ctx *x, struct pss_out *o) { check_seccomp(x->s, true, o); }
static void c_ape(const struct pss_ctx *x, struct pss_out *o) { check_allow_privilege_escalation(x->s, o); }
static void c_non_root(const struct pss_ctx *x, struct pss_out *o) { check_run_as_non_root(x->s, o); }
static void c_run_as_user(const struct pss_ctx *x, struct pss_out *o) { check_run_as_user(x->s, o); }

struct pss_check {
        const char *id;
        enum pfs_pss_level level;
        int since;                      /* the first policy minor version (v1.N) with the check */
        const char *overrides;          /* restricted: the baseline check it replaces */
        void (*run)(const struct pss_ctx *x, struct pss_out *o);
};

/* By level, then by ID (the order of the admission's messages). Not here:
 * windowsHostProcess (windowsOptions are ignored on Linux), the seccomp
 * annotations of versions before v1.19 (podfs reads no seccomp annotation).
 * A user-namespace relaxation (hostUsers: false) goes into the checks it
 * relaxes (runAsNonRoot, runAsUser, procMount). */
static const struct pss_check registry[] = {
        { "appArmorProfile", PFS_PSS_BASELINE, 0, NULL, pss_check_apparmor },
        { "capabilities_baseline", PFS_PSS_BASELINE, 0, NULL, c_caps_baseline },
        { "hostNamespaces", PFS_PSS_BASELINE, 0, NULL, c_host_ns },
        { "hostPathVolumes", PFS_PSS_BASELINE, 0, NULL, c_host_path },
        { "hostPorts", PFS_PSS_BASELINE, 0, NULL, c_host_ports },
        { "hostProbesAndHostLifecycle", PFS_PSS_BASELINE, 34, NULL, pss_check_probe_hosts },
        { "privileged", PFS_PSS_BASELINE, 0, NULL, c_privileged },
        { "procMount", PFS_PSS_BASELINE, 0, NULL, pss_check_proc_mount },
        { "seLinuxOptions", PFS_PSS_BASELINE, 0, NULL, pss_check_selinux },
        { "seccompProfile_baseline", PFS_PSS_BASELINE, 19, NULL, c_seccomp_baseline },
        { "sysctls", PFS_PSS_BASELINE, 0, NULL, check_sysctls },
        { "allowPrivilegeEscalation", PFS_PSS_RESTRICTED, 8, NULL, c_ape },
        { "capabilities_restricted", PFS_PSS_RESTRICTED, 22, "capabilities_baseline", c_caps_restricted },
        { "restrictedVolumes", PFS_PSS_RESTRICTED, 0, "hostPathVolumes", c_restricted_volumes },
        { "runAsNonRoot", PFS_PSS_RESTRICTED, 0, NULL, c_non_root },
        { "runAsUser", PFS_PSS_RESTRICTED, 23, NULL, c_run_as_user },
        { "seccompProfile_restricted", PFS_PSS_RESTRICTED, 19, "seccompProfile_baseline", c_seccomp_restricted },
};

/* A baseline check that a restricted check in force at minor replaces. */
static bool overridden(const char *id, int minor)
{
        for (size_t i = 0; i < ARRAY_SIZE(registry); i++)
                if (registry[i].overrides && !strcmp(registry[i].overrides, id) && minor >= registry[i].since)
                        return true;
        return false;
}

char *pfs_pss_check_at(const struct pod_spec *s, enum pfs_pss_level level, const char *version)
{
        struct pss_ctx x = { .s = s, .minor = pfs_pss_version_minor(version) };
        struct pss_out o = { 0 };
        char *msg = NULL;

        if (level == PFS_PSS_PRIVILEGED)
                return NULL;
        if (x.minor < 0)
                x.minor = PFS_PSS_LATEST_MINOR;
        for (size_t i = 0; i < ARRAY_SIZE(registry); i++) {
                const struct pss_check *c = &registry[i];

                if (c->level > level || x.minor < c->since ||
                    (level == PFS_PSS_RESTRICTED && c->level == PFS_PSS_BASELINE && overridden(c->id, x.minor)))
                        continue;
                c->run(&x, &o);
        }
        if (o.n)
                msg = xasprintf("violates PodSecurity \"%s:%s\": %s", pfs_pss_level_name(level),
                                version ? version : "latest", o.b.data);
        free(o.b.data);
        return msg;
}

char *pfs_pss_check(const struct pod_spec *s, enum pfs_pss_level level)
{
        return pfs_pss_check_at(s, level, "latest");
}
