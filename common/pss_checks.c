/* Pod Security checks beyond the first ones (pss.c), from
 * k8s.io/pod-security-admission/policy: appArmorProfile (the fields, as the
 * API server syncs them with the deprecated annotations, and the
 * annotations), hostProbesAndHostLifecycle (v1.34), procMount and
 * seLinuxOptions (container_engine_t from v1.31). */
#include <string.h>
#include "pss_internal.h"
#include "spec_internal.h"

static bool apparmor_type_ok(const char *t)
{
        return !strcmp(t, "RuntimeDefault") || !strcmp(t, "Localhost");
}

/* The container's appArmorProfile.type as the API server stores it: its own,
 * else the one its annotation gave it (applyAppArmorVersionSkew copies a
 * valid annotation that differs from the pod's profile). NULL: none. */
static const char *ctr_apparmor_type(const struct pod_spec *s, const struct pod_container *c)
{
        const char *a = pod_apparmor_annotation(s, c->name), *t = NULL;
        const struct pod_seccomp_profile *pp = s->security ? &s->security->app_armor : NULL;

        if (c->security && c->security->app_armor.type && *c->security->app_armor.type)
                return c->security->app_armor.type;
        if (!a)
                return NULL;
        if (!strcmp(a, "runtime/default"))
                t = "RuntimeDefault";
        else if (!strcmp(a, "unconfined"))
                t = "Unconfined";
        else if (!strncmp(a, "localhost/", 10) && a[10])
                t = "Localhost";
        if (t && pp && pp->type && !strcmp(pp->type, t) &&
            (strcmp(t, "Localhost") || (pp->localhost_profile && !strcmp(pp->localhost_profile, a + 10))))
                return NULL;    /* the same as the pod's: not copied */
        return t;
}

struct aa_ctx {
        const struct pod_spec *s;
        struct sset containers, values;
};

static void v_apparmor(const struct pod_container *c, void *data)
{
        struct aa_ctx *x = data;
        const char *t = ctr_apparmor_type(x->s, c);

        if (t && !apparmor_type_ok(t)) {
                sset_add(&x->containers, c->name);
                sset_add(&x->values, t);
        }
}

/* Forbidden annotation values, as `key="value"`, sorted, after the values. */
static size_t apparmor_annotations(const struct pod_spec *s, struct sset *values)
{
        const char *prefix = "container.apparmor.security.beta.kubernetes.io/";
        struct sset bad = { 0 };
        size_t n;

        for (size_t i = 0; i < s->n_annotations; i++) {
                const char *k = s->annotations[i].key, *v = s->annotations[i].value;
                _cleanup_free_ char *q = NULL, *kv = NULL;

                if (strncmp(k, prefix, strlen(prefix)) || !*v || !strcmp(v, "runtime/default") ||
                    !strncmp(v, "localhost/", 10))
                        continue;
                q = spec_quote(v);
                kv = xasprintf("%s=%s", k, q);
                sset_add(&bad, kv);
        }
        n = bad.n;
        sset_sort(&bad);
        for (size_t i = 0; i < bad.n; i++)
                sset_add(values, bad.v[i]);
        sset_free(&bad);
        return n;
}

void pss_check_apparmor(const struct pss_ctx *x, struct pss_out *o)
{
        const struct pod_spec *s = x->s;
        const char *pt = s->security ? s->security->app_armor.type : NULL;
        struct aa_ctx a = { .s = s };
        struct pfs_buf setters = { 0 }, d = { 0 };
        struct sset values = { 0 };
        size_t n_ann;

        if (pt && *pt && !apparmor_type_ok(pt)) {
                pfs_buf_printf(&setters, "pod");
                sset_add(&values, pt);
        }
        visit(s, v_apparmor, &a);
        for (size_t i = 0; i < a.values.n; i++)
                sset_add(&values, a.values.v[i]);
        sset_sort(&values);     /* the field values: a set's List() */
        if (a.containers.n) {
                pfs_buf_printf(&setters, "%s%s ", setters.len ? " and " : "",
                               plural("container", "containers", a.containers.n));
                join_quote(&setters, &a.containers, false);
        }
        n_ann = apparmor_annotations(s, &values);
        if (n_ann)
                pfs_buf_printf(&setters, "%s%s", setters.len ? " and " : "", plural("annotation", "annotations", n_ann));
        if (setters.len) {
                pfs_buf_printf(&d, "%s must not set AppArmor profile type to ", setters.data);
                join_quote(&d, &values, false);
                violation(o, plural("forbidden AppArmor profile", "forbidden AppArmor profiles", values.n), d.data);
        }
        free(setters.data);
        free(d.data);
        sset_free(&values);
        sset_free(&a.containers);
        sset_free(&a.values);
}

/* ---- hostProbesAndHostLifecycle (v1.34): no host in httpGet / tcpSocket ---- */

struct hosts_ctx {
        struct sset containers, hosts;
};

static bool handler_host(const struct pod_handler *h, struct sset *hosts)
{
        if (!h || (h->kind != POD_HANDLER_HTTP_GET && h->kind != POD_HANDLER_TCP_SOCKET) || !h->host || !*h->host)
                return false;
        sset_add(hosts, h->host);
        return true;
}

static void v_probe_hosts(const struct pod_container *c, void *data)
{
        struct hosts_ctx *x = data;
        bool bad = false;

        bad |= handler_host(c->liveness ? &c->liveness->h : NULL, &x->hosts);
        bad |= handler_host(c->readiness ? &c->readiness->h : NULL, &x->hosts);
        bad |= handler_host(c->startup ? &c->startup->h : NULL, &x->hosts);
        bad |= handler_host(c->post_start, &x->hosts);
        bad |= handler_host(c->pre_stop, &x->hosts);
        if (bad)
                sset_add(&x->containers, c->name);
}

void pss_check_probe_hosts(const struct pss_ctx *x, struct pss_out *o)
{
        struct hosts_ctx h = { 0 };
        struct pfs_buf d = { 0 };

        visit(x->s, v_probe_hosts, &h);
        if (h.containers.n) {
                pfs_buf_printf(&d, "%s ", plural("container", "containers", h.containers.n));
                join_quote(&d, &h.containers, true);
                pfs_buf_printf(&d, " %s %s ", plural("uses", "use", h.containers.n),
                               plural("probe or lifecycle host", "probe or lifecycle hosts", h.hosts.n));
                join_quote(&d, &h.hosts, true);
                violation(o, "probe or lifecycle host", d.data);
        }
        free(d.data);
        sset_free(&h.containers);
        sset_free(&h.hosts);
}

/* ---- procMount: Default or unset (a hostUsers: false relaxation would go
 * here, from the version that has it) ---- */

struct pm_ctx {
        struct sset containers, types;
};

static void v_proc_mount(const struct pod_container *c, void *data)
{
        struct pm_ctx *x = data;

        if (c->security && c->security->proc_mount && strcmp(c->security->proc_mount, "Default")) {
                sset_add(&x->containers, c->name);
                sset_add(&x->types, c->security->proc_mount);
        }
}

void pss_check_proc_mount(const struct pss_ctx *x, struct pss_out *o)
{
        struct pm_ctx p = { 0 };
        struct pfs_buf d = { 0 };

        visit(x->s, v_proc_mount, &p);
        if (p.containers.n) {
                pfs_buf_printf(&d, "%s ", plural("container", "containers", p.containers.n));
                join_quote(&d, &p.containers, false);
                pfs_buf_printf(&d, " must not set securityContext.procMount to ");
                join_quote(&d, &p.types, true);
                violation(o, "procMount", d.data);
        }
        free(d.data);
        sset_free(&p.containers);
        sset_free(&p.types);
}

/* ---- seLinuxOptions: an allowed type, no user, no role ---- */

struct se_ctx {
        int minor;
        struct sset containers, types;
        bool user, role;
};

static bool se_ok(struct se_ctx *x, const struct pod_se_linux_options *o)
{
        static const char *const types[] = { "", "container_t", "container_init_t", "container_kvm_t" };
        const char *t = o->type ? o->type : "";
        bool ok = x->minor >= 31 && !strcmp(t, "container_engine_t");

        for (size_t i = 0; i < ARRAY_SIZE(types) && !ok; i++)
                ok = !strcmp(t, types[i]);
        if (!ok)
                sset_add(&x->types, t);
        if (o->user && *o->user)
                ok = false, x->user = true;
        if (o->role && *o->role)
                ok = false, x->role = true;
        return ok;
}

static void v_selinux(const struct pod_container *c, void *data)
{
        if (c->security && c->security->se_linux && !se_ok(data, c->security->se_linux))
                sset_add(&((struct se_ctx *)data)->containers, c->name);
}

void pss_check_selinux(const struct pss_ctx *x, struct pss_out *o)
{
        struct se_ctx e = { .minor = x->minor };
        struct pfs_buf d = { 0 };
        bool pod = x->s->security && x->s->security->se_linux && !se_ok(&e, x->s->security->se_linux);

        visit(x->s, v_selinux, &e);
        if (pod)
                pfs_buf_printf(&d, "pod");
        if (e.containers.n) {
                pfs_buf_printf(&d, "%s%s ", pod ? " and " : "", plural("container", "containers", e.containers.n));
                join_quote(&d, &e.containers, false);
        }
        if (d.len) {
                const char *sep = "";

                pfs_buf_printf(&d, " set forbidden securityContext.seLinuxOptions: ");
                if (e.types.n) {
                        pfs_buf_printf(&d, "%s ", plural("type", "types", e.types.n));
                        join_quote(&d, &e.types, true);
                        sep = "; ";
                }
                if (e.user)
                        pfs_buf_printf(&d, "%suser may not be set", sep), sep = "; ";
                if (e.role)
                        pfs_buf_printf(&d, "%srole may not be set", sep);
                violation(o, "seLinuxOptions", d.data);
        }
        free(d.data);
        sset_free(&e.containers);
        sset_free(&e.types);
}
