/* The NoExecute taint manager (kube-controller-manager's taint eviction
 * controller) for the one node: after a rewrite of .node/taints, every pod
 * that does not tolerate a NoExecute taint is deleted (its own grace period),
 * at once, or after the smallest tolerationSeconds of the tolerations that
 * let it stay for a while; a toleration without tolerationSeconds lets it
 * stay. A delayed eviction looks again when its time comes (the taint may be
 * gone). Taints change nothing else for running pods. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fs.h"
#include "pfs/node.h"
#include "pfs/yval.h"

#define NO_EVICTION INT64_MAX

static bool tolerates(const struct yval *t, const struct pfs_taint *taint)
{
        const char *eff = yval_get_str(t, "effect", ""), *key = yval_get_str(t, "key", ""),
                   *op = yval_get_str(t, "operator", ""), *val = yval_get_str(t, "value", "");

        if ((*eff && strcmp(eff, taint->effect)) || (*key && strcmp(key, taint->key)))
                return false;
        return (!*op || !strcmp(op, "Equal")) ? !strcmp(val, taint->value) : !strcmp(op, "Exists");
}

/* Seconds the pod may stay (0: evict now), or NO_EVICTION. */
static int64_t stay_seconds(const struct pfs_node *n, const struct pod_spec *s)
{
        int64_t min = NO_EVICTION;

        for (size_t i = 0; i < n->n_taints; i++) {
                const struct yval *used = NULL;
                const struct yval *secs;

                if (strcmp(n->taints[i].effect, "NoExecute"))
                        continue;
                for (size_t k = 0; s->tolerations && k < s->tolerations->list.n && !used; k++)
                        if (tolerates(s->tolerations->list.items[k], &n->taints[i]))
                                used = s->tolerations->list.items[k];
                if (!used)
                        return 0;
                secs = yval_map_get(used, "tolerationSeconds");
                if (secs && secs->type == YVAL_INT && secs->i < min)
                        min = secs->i < 0 ? 0 : secs->i;
        }
        return min;
}

static int64_t pod_stay(struct podfs *fs, const struct pfs_node *n, const struct pod_rt *p)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, p->uid);
        _cleanup_free_ char *text = NULL;
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        size_t len = 0, k = 0;
        int64_t stay = NO_EVICTION;

        if (dfd < 0 || faccessat(dfd, PFS_FINISHED_FILE, F_OK, 0) == 0 ||
            pfs_read_file_at(dfd, PFS_SPEC_FILE, &text, &len, &err) < 0 ||
            pod_manifest_parse(text, len, PFS_SPEC_FILE, NULL, NULL, &pods, &k, &err) < 0)
                return NO_EVICTION;
        if (k > 0)
                stay = stay_seconds(n, pods[0]);
        pod_spec_free_array(pods, k);
        return stay;
}

static void evict(struct podfs *fs, const char *uid)
{
        struct pod_rt *p = model_pod_find(&fs->model, uid);
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *msg = NULL, *obj = NULL;
        struct pfs_error err = { 0 };

        if (!p || p->deleted || p->removed)
                return;
        dfd = pod_dir_open_at(fs->dirs.pods_fd, uid);
        msg = xasprintf("Marking for deletion Pod %s/%s", p->ns, p->name);
        obj = xasprintf("pod/%s", p->name);
        if (dfd >= 0)
                pod_event_append_at(dfd, "Normal", "TaintManagerEviction", obj, "taint-eviction-controller", msg, NULL);
        pfs_log(LOG_INFO, "%s (NoExecute taint)", msg);
        if (delete_request_uid(fs, uid, 0, true, &err) < 0)
                pfs_log(LOG_WARNING, "taint eviction of %s: %s", uid, err.msg);
}

static void on_timer(struct podfs *fs, void *data)
{
        char *uid = data;
        struct pfs_node *n = NULL;
        struct pfs_error err = { 0 };
        struct pod_rt *p = model_pod_find(&fs->model, uid);

        if (p && pfs_node_load(fs->dirs.state_fd, &n, &err) == 0 && pod_stay(fs, n, p) != NO_EVICTION)
                evict(fs, uid);
        pfs_node_free(n);
        free(uid);
}

void taints_changed(struct podfs *fs)
{
        struct pfs_node *n = NULL;
        struct pfs_error err = { 0 };

        if (pfs_node_load(fs->dirs.state_fd, &n, &err) < 0) {
                pfs_log(LOG_WARNING, "node: %s", err.msg);
                return;
        }
        for (struct pod_rt *p = fs->model.pods; p; p = p->next) {
                int64_t stay;

                if (p->deleted || p->removed)
                        continue;
                stay = pod_stay(fs, n, p);
                if (stay == 0)
                        evict(fs, p->uid);
                else if (stay != NO_EVICTION)
                        podfs_timer_add(fs, pfs_now_monotonic_ns() + stay * 1000000000LL, on_timer, xstrdup(p->uid));
        }
        pfs_node_free(n);
}
