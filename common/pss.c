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
#include "spec_internal.h"

/* An ordered set of strings (first appearance order). */
struct sset {
        char **v;
        size_t n;
};

static void sset_add(struct sset *s, const char *x)
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

static void sset_free(struct sset *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (struct sset){ 0 };
}

/* "a", "b" (Go's %q of each, joined with ", "); sorted for a set's List(). */
static void join_quote(struct pfs_buf *b, struct sset *s, bool sorted)
{
        if (sorted)
                qsort(s->v, s->n, sizeof(*s->v), cmp_str);
        for (size_t i = 0; i < s->n; i++) {
                _cleanup_free_ char *q = spec_quote(s->v[i]);

                pfs_buf_printf(b, "%s%s", i ? ", " : "", q);
        }
}

static const char *plural(const char *one, const char *many, size_t n)
{
        return n == 1 ? one : many;
}

/* ---- the result ---- */

struct pss_out {
        struct pfs_buf b;
        size_t n;
};

static void violation(struct pss_out *o, const char *reason, const char *detail)
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

typedef void (*ctr_visit)(const struct pod_container *c, void *data);

/* Init containers first, as the admission's visitContainers. */
static void visit(const struct pod_spec *s, ctr_visit f, void *data)
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
};

static void v_ports(const struct pod_container *c, void *data)
{
        struct ports_ctx *x = data;

        for (size_t i = 0; i < c->n_ports; i++) {
                char p[16];

                if (!c->ports[i].host_port)
                        continue;
                sset_add(&x->names, c->name);
                snprintf(p, sizeof(p), "%d", (int)c->ports[i].host_port);
                sset_add(&x->ports, p);
        }
}

static void check_host_ports(const struct pod_spec *s, struct pss_out *o)
{
        struct ports_ctx x = { 0 };
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

/* Only hostUsers: false pods get past validation with Unmasked; Kubernetes
 * v1.34 relaxes this check for them only behind the alpha gate
 * UserNamespacesPodSecurityStandards (off by default): not here. */
static void v_proc_mount(const struct pod_container *c, void *data)
{
        if (c->security && c->security->proc_mount && strcmp(c->security->proc_mount, "Default"))
                sset_add(data, c->name);
}

static void check_proc_mount(const struct pod_spec *s, struct pss_out *o)
{
        struct sset bad = { 0 };

        visit(s, v_proc_mount, &bad);
        containers_violation(o, "procMount", &bad, "must not set securityContext.procMount to \"Unmasked\"");
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

static void check_sysctls(const struct pod_spec *s, struct pss_out *o)
{
        struct pfs_buf d = { 0 };

        for (size_t i = 0; s->security && i < s->security->n_sysctls; i++) {
                const char *n = s->security->sysctls[i].key;

                if (n && !pod_sysctl_is_safe(n))
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

static char *finish(struct pss_out *o, enum pfs_pss_level level)
{
        char *msg = NULL;

        if (o->n)
                msg = xasprintf("violates PodSecurity \"%s:latest\": %s", pfs_pss_level_name(level), o->b.data);
        free(o->b.data);
        return msg;
}

char *pfs_pss_check(const struct pod_spec *s, enum pfs_pss_level level)
{
        bool r = level == PFS_PSS_RESTRICTED;
        struct pss_out o = { 0 };

        if (level == PFS_PSS_PRIVILEGED)
                return NULL;
        /* the baseline checks by ID, less those a restricted one overrides ... */
        if (!r)
                check_capabilities(s, false, &o);
        check_host_namespaces(s, &o);
        if (!r)
                check_host_path(s, false, &o);
        check_host_ports(s, &o);
        check_privileged(s, &o);
        check_proc_mount(s, &o);
        if (!r)
                check_seccomp(s, false, &o);
        check_sysctls(s, &o);
        if (!r)
                return finish(&o, level);
        /* ... then the restricted ones by ID */
        check_allow_privilege_escalation(s, &o);
        check_capabilities(s, true, &o);
        check_host_path(s, true, &o);
        check_run_as_non_root(s, &o);
        check_run_as_user(s, &o);
        check_seccomp(s, true, &o);
        return finish(&o, level);
}
