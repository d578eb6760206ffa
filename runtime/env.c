/* A container's env values at each start (the kubelet resolves them in
 * generateContainerConfig): ConfigMaps and Secrets of the pod's namespace from
 * the state dir, fieldRef/resourceFieldRef through the downward API. A
 * running container keeps what it started with. */
#include <errno.h>
#include <string.h>
#include "pfs/downward.h"
#include "pfs/envres.h"
#include "pfs/object.h"
#include "sandbox.h"

/* spec.nodeName: the host's name, read before the pod's UTS namespace hides it. */
static char *node_name;

void sbx_env_node_capture(void)
{
        if (!node_name)
                node_name = pod_node_name();
}

/* The objects read during one resolution: each one read once, like the
 * kubelet's maps in makeEnvironmentVariables. */
struct env_lookup {
        struct sbx *s;
        struct pod_downward_ctx ctx;
        struct pfs_object **objs;
        size_t n;
};

static int lookup_object(void *data, enum pfs_object_kind k, const char *name, const struct pfs_object **ret,
                         struct pfs_error *err)
{
        struct env_lookup *l = data;
        struct pfs_object *o = NULL;
        int r;

        for (size_t i = 0; i < l->n; i++) {
                if (l->objs[i]->kind == k && !strcmp(l->objs[i]->name, name)) {
                        *ret = l->objs[i];
                        return 0;
                }
        }
        r = pfs_object_read_at(l->s->state_fd, k, l->s->spec->namespace, name, &o, err);
        if (r < 0)
                return r;
        l->objs = xrealloc(l->objs, (l->n + 1) * sizeof(*l->objs));
        l->objs[l->n++] = o;
        *ret = o;
        return 0;
}

static int lookup_field(void *data, const char *path, char **ret, struct pfs_error *err)
{
        struct env_lookup *l = data;

        return pod_downward_field(&l->ctx, path, ret, err);
}

static int lookup_resource(void *data, const char *ctr, const char *resource, const char *divisor, char **ret,
                           struct pfs_error *err)
{
        struct env_lookup *l = data;

        return pod_downward_resource(&l->ctx, ctr, resource, divisor, ret, err);
}

int sbx_env_resolve(struct sbx *s, struct ctr *c, struct pod_env_list *ret, struct pfs_error *err)
{
        struct env_lookup l = {
                .s = s,
                .ctx = {
                        .spec = s->spec,
                        .uid = s->uid,
                        .node_name = node_name ? node_name : "",
                        .host_ip = s->status->host_ip ? s->status->host_ip : "",
                        .pod_ip = s->status->pod_ip ? s->status->pod_ip : "",
                        .pod_ip2 = s->status->pod_ip2,
                },
        };
        const struct pod_env_lookup lookup = {
                .object = lookup_object, .field = lookup_field, .resource = lookup_resource, .data = &l,
        };
        int r;

        if (c->spec->n_env == 0 && c->spec->n_env_from == 0)
                return 0;
        r = pod_env_resolve(s->spec, c->spec, &lookup, ret, err);
        for (size_t i = 0; i < l.n; i++)
                pfs_object_free(l.objs[i]);
        free(l.objs);
        return r;
}

/* SIGHUP: a ConfigMap or Secret of the namespace may have been written. */
void sup_env_recheck(struct sbx *s)
{
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (s->ctrs[i].sm.state == CS_CONFIG_ERROR)
                        sup_dispatch(s, &s->ctrs[i], EV_WAKE);
}
