/* hostPort admission: a node has each (protocol, hostIP, port) once, as the
 * kubelet's NodePorts predicate says. Checked when a manifest is applied,
 * against every pod that is not terminal; the walk over the pods happens
 * only for a manifest that asks for a hostPort. */
#include <errno.h>
#include <string.h>
#include "fs.h"
#include "pfs/util.h"

/* hostNetwork pods hold their containerPorts on the node's addresses. */
static int32_t port_on_node(const struct pod_spec *s, const struct pod_port *p)
{
        return s->host_network ? p->container_port : p->host_port;
}

static const char *proto(const struct pod_port *p)
{
        return p->protocol ? p->protocol : "TCP";
}

/* Two mappings collide on the same port and protocol when an address is
 * shared: equal, or one of them is every address: none or 0.0.0.0, as the
 * scheduler's HostPortInfo (DefaultBindAllHostIP; "::" is one address there). */
static bool any_ip(const char *ip)
{
        return !ip || !*ip || !strcmp(ip, "0.0.0.0");
}

static bool collide(const struct pod_spec *a, const struct pod_port *pa, const struct pod_spec *b,
                    const struct pod_port *pb)
{
        int32_t na = port_on_node(a, pa), nb = port_on_node(b, pb);

        if (na <= 0 || na != nb || strcmp(proto(pa), proto(pb)))
                return false;
        return any_ip(pa->host_ip) || any_ip(pb->host_ip) || !strcmp(pa->host_ip, pb->host_ip);
}

/* The first port of a that one of b's ports holds on the node, or NULL. */
static const struct pod_port *port_taken(const struct pod_spec *a, const struct pod_port *pa,
                                         const struct pod_spec *b)
{
        for (size_t k = 0; k < b->n_containers; k++)
                for (size_t l = 0; l < b->containers[k].n_ports; l++)
                        if (collide(a, pa, b, &b->containers[k].ports[l]))
                                return pa;
        return NULL;
}

static const struct pod_port *first_collision(const struct pod_spec *a, const struct pod_spec *b)
{
        for (size_t i = 0; i < a->n_containers; i++)
                for (size_t j = 0; j < a->containers[i].n_ports; j++) {
                        const struct pod_port *pa = &a->containers[i].ports[j];

                        if (port_on_node(a, pa) > 0 && port_taken(a, pa, b))
                                return pa;
                }
        return NULL;
}

static bool wants_node_ports(const struct pod_spec *s)
{
        for (size_t i = 0; i < s->n_containers; i++)
                for (size_t j = 0; j < s->containers[i].n_ports; j++)
                        if (port_on_node(s, &s->containers[i].ports[j]) > 0)
                                return true;
        return false;
}

static int rejected(const char *filename, const struct pod_spec *spec, const struct pod_port *hit, const char *ns,
                    const char *name, struct pfs_error *err)
{
        return pfs_error_set(err, EADDRINUSE,
                             "%s: Pod \"%s\" was rejected: Predicate NodePorts failed: node(s) didn't have free "
                             "ports for the requested pod ports (hostPort %d/%s is used by pod %s/%s)",
                             filename, spec->name, (int)port_on_node(spec, hit), proto(hit), ns, name);
}

int hostports_admit(struct podfs *fs, const char *filename, const char *ns, struct pod_spec *const *pods, size_t i,
                    struct pfs_error *err)
{
        const struct pod_spec *spec = pods[i];

        if (!wants_node_ports(spec))
                return 0;
        for (size_t j = 0; j < i; j++) {
                const struct pod_port *hit = first_collision(spec, pods[j]);

                if (hit)
                        return rejected(filename, spec, hit, ns, pods[j]->name, err);
        }
        for (struct pod_rt *p = fs->model.pods; p; p = p->next) {
                _cleanup_(pod_view_freep) struct pod_view *owned = NULL;
                const struct pod_view *v = NULL;
                const struct pod_port *hit;

                /* the pod it replaces gives its ports up */
                if (p->removed || (!strcmp(p->ns, ns) && !strcmp(p->name, spec->name)))
                        continue;
                if (model_view_get(&fs->model, p->uid, &v, &owned) < 0 || !v->spec)
                        continue;
                if (v->status && v->status->phase &&
                    (!strcmp(v->status->phase, "Succeeded") || !strcmp(v->status->phase, "Failed")))
                        continue;
                hit = first_collision(spec, v->spec);
                if (hit)
                        return rejected(filename, spec, hit, p->ns, p->name, err);
        }
        return 0;
}
