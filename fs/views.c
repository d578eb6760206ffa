/* The parsed pods (render.h views) the model keeps per pod: parsed once,
 * refreshed when the pod's version moves on, bounded in memory. */
#include <string.h>
#include "model.h"
#include "pfs/render.h"
#include "pfs/spec.h"
#include "pfs/status.h"
#include "pfs/store.h"

void pod_view_freep(struct pod_view **v)
{
        pod_view_free(*v);
}

/* What the kept views may hold together: a pod's view holds its spec (up
 * to a 1 MiB manifest, parsed), so they are not kept for every pod ever read;
 * past the budget the least recently used go (and are parsed again when
 * read again). */
#define VIEWS_BUDGET (32u << 20)
static void views_trim(struct model *m, const struct pod_rt *keep)
{
        for (;;) {
                struct pod_rt *lru = NULL;
                size_t total = 0;

                for (struct pod_rt *p = m->pods; p; p = p->next) {
                        if (!p->view)
                                continue;
                        total += pod_view_cache_size(p->view);
                        if (p != keep && (!lru || p->view_used < lru->view_used))
                                lru = p;
                }
                if (total <= VIEWS_BUDGET || !lru)
                        return;
                pod_view_cache_free(steal_ptr(&lru->view));
        }
}

/* The pod's view: the one its pod_rt keeps (parsed once, refreshed when
 * the pod's version moves on), else loaded for this request into *owned. */
int model_view_get(struct model *m, const char *uid, const struct pod_view **ret, struct pod_view **owned)
{
        _cleanup_close_ int dfd = pod_dir_open_at(m->dirs->pods_fd, uid);
        struct pod_rt *p = model_pod_find(m, uid);
        struct pfs_error err = {0};
        bool fresh;
        int r;

        if (dfd < 0)
                return dfd;
        if (p) {
                fresh = !p->view;
                if (fresh)
                        p->view = pod_view_cache_new();
                r = pod_view_cache_get_at(p->view, dfd, p->version, ret, &err);
                p->view_used = ++m->views_clock;
                if (r >= 0 && fresh)
                        views_trim(m, p);
        } else {
                r = pod_view_load_at(dfd, owned, &err);
                if (r >= 0)
                        *ret = *owned;
        }
        if (r < 0)
                pfs_log(LOG_DEBUG, "pod %s: %s", uid, err.msg);
        return r;
}

/* The i-th container of the spec: init containers first, as kubectl describe lists them. */
const struct pod_container *pod_spec_container_at(const struct pod_spec *spec, size_t i)
{
        return i < spec->n_init_containers ? &spec->init_containers[i]
                                           : &spec->containers[i - spec->n_init_containers];
}

/* Container names of the pod the index names now (spec order, init containers
 * first: `kubectl logs -c` and the containers/ files serve them too). */
int model_pod_containers(struct model *m, const char *uid, char ***ret_names, int32_t **ret_restarts,
                          size_t *ret_n)
{
        _cleanup_(pod_view_freep) struct pod_view *owned = NULL;
        const struct pod_view *v = NULL;
        char **names;
        int32_t *restarts;
        int r = model_view_get(m, uid, &v, &owned);
        size_t n;

        if (r < 0)
                return r;
        n = v->spec->n_init_containers + v->spec->n_containers;
        names = xcalloc(n + 1, sizeof(char *));
        restarts = xcalloc(n + 1, sizeof(int32_t));
        for (size_t i = 0; i < n; i++) {
                struct ctr_status *cs;

                names[i] = xstrdup(pod_spec_container_at(v->spec, i)->name);
                cs = v->status ? pod_status_find(v->status, names[i]) : NULL;
                restarts[i] = cs ? cs->restart_count : 0;
        }
        *ret_n = n;
        *ret_names = names;
        *ret_restarts = restarts;
        return 0;
}
