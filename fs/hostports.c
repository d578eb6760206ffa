/* hostPort admission: a node has each (protocol, hostIP, port) once, as the
 * kubelet's NodePorts predicate says. Checked when a manifest is applied
 * (after the API server's checks and Pod Security), against every pod that
 * is not terminal; the walk over the pods happens only for a manifest that
 * asks for a hostPort, and reads the spec of a pod once in the daemon's life
 * (its ports are kept with it). */
#include <errno.h>
#include <string.h>
#include "fs.h"
#include "pfs/util.h"

/* hostNetwork pods hold their containerPorts on the node's addresses. */
static int32_t port_on_node(const struct pod_spec *s, const struct pod_port *p)
{
        return pod_port_host_port(s->host_network, p);
}

/* What s holds on the node (copies): n, the list in *ret (NULL when none). */
static size_t node_ports_of(const struct pod_spec *s, struct node_port **ret)
{
        struct node_port *v = NULL;
        size_t n = 0;

        for (size_t i = 0; i < s->n_containers; i++)
                for (size_t j = 0; j < s->containers[i].n_ports; j++) {
                        const struct pod_port *p = &s->containers[i].ports[j];

                        if (port_on_node(s, p) <= 0)
                                continue;
                        v = xrealloc(v, (n + 1) * sizeof(*v));
                        v[n].port = port_on_node(s, p);
                        v[n].proto = xstrdup(p->protocol ? p->protocol : "TCP");
                        v[n].ip = p->host_ip && *p->host_ip ? xstrdup(p->host_ip) : NULL;
                        n++;
                }
        *ret = v;
        return n;
}

static void node_ports_free(struct node_port *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].proto);
                free(v[i].ip);
        }
        free(v);
}

/* Two mappings collide on the same port and protocol when an address is
 * shared: equal, or one of them is every address: none or 0.0.0.0, as the
 * scheduler's HostPortInfo (DefaultBindAllHostIP; "::" is one address there). */
static bool any_ip(const char *ip)
{
        return !ip || !strcmp(ip, "0.0.0.0");
}

static bool collide(const struct node_port *a, const struct node_port *b)
{
        if (a->port != b->port || strcmp(a->proto, b->proto))
                return false;
        return any_ip(a->ip) || any_ip(b->ip) || !strcmp(a->ip, b->ip);
}

/* The first of a's ports that one of b's holds, or NULL. */
static const struct node_port *first_collision(const struct node_port *a, size_t na, const struct node_port *b,
                                               size_t nb)
{
        for (size_t i = 0; i < na; i++)
                for (size_t j = 0; j < nb; j++)
                        if (collide(&a[i], &b[j]))
                                return &a[i];
        return NULL;
}

void hostports_note(struct pod_rt *p, const struct pod_spec *s)
{
        if (p->node_ports_known)
                return;
        p->n_node_ports = node_ports_of(s, &p->node_ports);
        p->node_ports_known = true;
}

/* p holds its ports: they are known (its spec read once: a pod the daemon
 * found at its start) and it is not terminal. Only a pod with ports is
 * looked at further, so the walk parses nothing for the others. */
static bool pod_holds_ports(struct podfs *fs, struct pod_rt *p)
{
        _cleanup_(pod_view_freep) struct pod_view *owned = NULL;
        const struct pod_view *v = NULL;

        if (p->terminal || (p->node_ports_known && p->n_node_ports == 0))
                return false;
        if (model_view_get(&fs->model, p->uid, &v, &owned) < 0 || !v->spec)
                return false;
        hostports_note(p, v->spec);
        if (v->status && v->status->phase &&
            (!strcmp(v->status->phase, "Succeeded") || !strcmp(v->status->phase, "Failed")))
                p->terminal = true;
        return !p->terminal && p->n_node_ports > 0;
}

/* The kubelet's words; which pod holds the port goes to the daemon's log
 * only (the writer may not be allowed to see that pod's namespace). */
static int rejected(const char *filename, const struct pod_spec *spec, const struct node_port *hit, const char *ns,
                    const char *name, struct pfs_error *err)
{
        pfs_log(LOG_INFO, "%s: pod %s: hostPort %d/%s%s%s is held by pod %s/%s", filename, spec->name,
                (int)hit->port, hit->proto, hit->ip ? " on " : "", hit->ip ? hit->ip : "", ns, name);
        return pfs_error_set(err, EADDRINUSE,
                             "%s: Pod \"%s\" was rejected: Predicate NodePorts failed: node(s) didn't have free "
                             "ports for the requested pod ports", filename, spec->name);
}

static int admit_one(struct podfs *fs, const char *filename, const char *ns, struct pod_spec *const *pods, size_t i,
                     const struct node_port *want, size_t n_want, struct pfs_error *err)
{
        const struct pod_spec *spec = pods[i];

        for (size_t j = 0; j < i; j++) {
                struct node_port *other = NULL;
                size_t n_other = node_ports_of(pods[j], &other);
                const struct node_port *hit = first_collision(want, n_want, other, n_other);
                int r = hit ? rejected(filename, spec, hit, ns, pods[j]->name, err) : 0;

                node_ports_free(other, n_other);
                if (r < 0)
                        return r;
        }
        for (struct pod_rt *p = fs->model.pods; p; p = p->next) {
                const struct node_port *hit;

                /* the pod it replaces gives its ports up */
                if (p->removed || (!strcmp(p->ns, ns) && !strcmp(p->name, spec->name)))
                        continue;
                if (!pod_holds_ports(fs, p))
                        continue;
                hit = first_collision(want, n_want, p->node_ports, p->n_node_ports);
                if (hit)
                        return rejected(filename, spec, hit, p->ns, p->name, err);
        }
        return 0;
}

int hostports_admit(struct podfs *fs, const char *filename, const char *ns, struct pod_spec *const *pods, size_t i,
                    struct pfs_error *err)
{
        struct node_port *want = NULL;
        size_t n_want = node_ports_of(pods[i], &want);
        int r = n_want ? admit_one(fs, filename, ns, pods, i, want, n_want, err) : 0;

        node_ports_free(want, n_want);
        return r;
}
