/* Deletion: rmdir/delete requests made durable in meta (never waiting for the
 * grace), namespace and placeholder removal, removing a finished pod from the
 * state dir, and the `wait` file's reads that are answered when a pod is gone. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <string.h>
#include "fs.h"
#include "pfs/spec.h"
#include "pfs/store.h"
#include "pfs/trace.h"

static int spec_grace(struct podfs *fs, int dfd, const char *ns, const char *name, int64_t *ret)
{
        _cleanup_free_ char *text = NULL;
        struct pod_spec **pods = NULL;
        size_t len = 0, n = 0;
        int r;

        *ret = 30;
        r = pfs_read_file_at(dfd, PFS_SPEC_FILE, &text, &len, NULL);
        if (r < 0)
                return r;
        r = pod_manifest_parse(text, len, PFS_SPEC_FILE, ns, name, &pods, &n, NULL);
        if (r < 0)
                return r;
        if (n > 0)
                *ret = pods[0]->termination_grace_period_seconds;
        pod_spec_free_array(pods, n);
        return 0;
}

int delete_request_uid(struct podfs *fs, const char *uid, int64_t grace, bool use_spec_grace,
                       struct pfs_error *err)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, uid);
        struct pod_meta *meta = NULL;
        struct pod_rt *p;
        int64_t now = pfs_now_realtime_ns(), deadline;
        int r;

        if (dfd < 0)
                return pfs_error_set(err, -dfd, "pod %s", uid);
        r = pod_meta_read_at(dfd, &meta, err);
        if (r < 0)
                return r;
        if (use_spec_grace)
                spec_grace(fs, dfd, meta->namespace, meta->name, &grace);
        if (grace < 0)
                grace = 0;
        deadline = now + grace * 1000000000LL;
        /* a second request only ever shortens the grace */
        if (!meta->deletion_ns || deadline < meta->deletion_ns) {
                /* the first request is a new generation (rest.BeforeDelete) */
                if (!meta->deletion_ns)
                        meta->generation++;
                meta->deletion_ns = deadline;
                meta->deletion_grace_seconds = grace;
                r = pod_meta_write_at(dfd, meta, err);
                if (r < 0) {
                        pod_meta_free(meta);
                        return r;
                }
                pfs_log(LOG_INFO, "pod %s/%s (%s): deletion requested, grace %llds", meta->namespace, meta->name,
                        uid, (long long)grace);
        }
        pod_meta_free(meta);
        pfs_trace(uid, "daemon:deletion-durable");
        p = model_pod_find(&fs->model, uid);
        if (p) {
                p->deleted = true;
                p->version++;
                p->changed_ns = now;
                model_announce(&fs->model, MODEL_POD_CHANGED, p->ns, p->name);
                sandbox_deletion_requested(fs, p);
        }
        return 0;
}

int delete_request(struct podfs *fs, const char *ns, const char *name, int64_t grace, bool use_spec_grace,
                   struct pfs_error *err)
{
        struct pod_ref ref;
        int r = model_pod_ref(&fs->model, ns, name, &ref);

        if (r < 0)
                return pfs_error_set(err, -r, "pods \"%s\" not found", name);
        if (ref.placeholder)
                return pfs_error_set(err, ENOENT, "pods \"%s\" not found", name);
        return delete_request_uid(fs, ref.uid, grace, use_spec_grace, err);
}

static int ns_is_empty(struct podfs *fs, const char *ns)
{
        int fd = openat(fs->dirs.ns_fd, ns, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        DIR *d;
        struct dirent *de;
        int r = 1;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
                        r = 0;
                        break;
                }
        closedir(d);
        if (r && model_tmp_any_in(&fs->model, ns, NULL))
                r = 0;
        return r;
}

static int rmdir_namespace(struct podfs *fs, const char *name)
{
        struct pfs_error err = {0};
        int r;

        if (!model_ns_exists(&fs->model, name))
                return -ENOENT;
        if (!strcmp(name, "default")) {
                pfs_error_set(&err, EPERM, "namespace \"default\" cannot be removed");
                pfs_log(LOG_WARNING, "%s", err.msg);
                model_last_error_set(&fs->model, "default", fs->req_uid, err.msg);
                return -EPERM;
        }
        r = ns_is_empty(fs, name);
        if (r < 0)
                return r;
        if (!r || objects_any_in(fs, name))
                return -ENOTEMPTY;
        if (unlinkat(fs->dirs.ns_fd, name, AT_REMOVEDIR) < 0)
                return -errno;
        pfs_fsync_dir_at(fs->dirs.ns_fd, ".");
        ns_labels_remove(fs, name);
        pfs_log(LOG_INFO, "namespace %s removed", name);
        return 0;
}

/* rmdir of a pod dir: a placeholder goes at once, a pod gets a deletion
 * request (grace from its spec) and goes when it has terminated. */
static int rmdir_pod(struct podfs *fs, const char *ns, const char *name)
{
        struct pfs_error err = {0};
        struct pod_ref ref;
        int r = model_pod_ref(&fs->model, ns, name, &ref);

        if (r < 0)
                return r;
        if (ref.placeholder) {
                _cleanup_free_ char *rel = xasprintf("%s/%s", ns, name);

                if (model_tmp_any_in(&fs->model, ns, name))
                        return -ENOTEMPTY;
                if (unlinkat(fs->dirs.ns_fd, rel, AT_REMOVEDIR) < 0)
                        return -errno;
                pfs_fsync_dir_at(fs->dirs.ns_fd, ns);
                return 0;
        }
        r = delete_request_uid(fs, ref.uid, 0, true, &err);
        if (r < 0)
                pfs_log(LOG_WARNING, "rmdir %s/%s: %s", ns, name, err.msg);
        return r;
}

static int rmdir_in_ns(struct podfs *fs, struct node *parent, const char *name, bool notifier)
{
        struct name_ent *e = model_name_get(&fs->model, parent->ns, name, false);
        struct node *old;
        int r;

        if (notifier) {
                /* the notifier announces a pod dir that is gone */
                if (!e || !e->tomb)
                        return -ENOENT;
                e->tomb = false;
                e->epoch++;
                return 0;
        }
        if (model_tmp_find(&fs->model, parent->ns, NULL, name))
                return -ENOTDIR;
        r = rmdir_pod(fs, parent->ns, name);
        if (r < 0)
                return r;
        /* the kernel now holds the old inode dead: serve the name
         * (a terminating pod) under a new nodeid; its cached
         * children must go for IN_DELETE_SELF to reach watchers */
        e = model_name_get(&fs->model, parent->ns, name, true);
        old = node_find(&fs->nodes, &(struct node_key){ .kind = NODE_POD, .ns = parent->ns, .pod = name,
                                                         .epoch = e->epoch });
        if (old)
                notifier_queue_inval(fs, old->ino);
        e->epoch++;
        return 0;
}

int delete_rmdir(struct podfs *fs, struct node *parent, const char *name, bool notifier)
{
        if (!model_name_valid(name))
                return -EINVAL;
        switch (parent->kind) {
        case NODE_ROOT:
                return rmdir_namespace(fs, name);
        case NODE_NS:
                if (objects_kind_of_dir(name) >= 0)
                        return -EPERM;
                return rmdir_in_ns(fs, parent, name, notifier);
        case NODE_OBJ_KIND: {
                const struct pfs_object *o;

                if (notifier) /* announcing a deletion: done when it is gone */
                        return objects_get(fs, parent->file, parent->ns, name, &o) == 0 ? -EBUSY : 0;
                return objects_rmdir(fs, parent->ns, parent->file, name);
        }
        case NODE_POD:
                return pod_name_class(name) == POD_NAME_DIR ? -EPERM : -ENOTDIR;
        default:
                return -EPERM;
        }
}

/* ---- readers of "wait": answered when the pod is gone ---- */

void delete_waiters_on(struct podfs *fs, void (*wake)(void *req))
{
        fs->wait_wake = wake;
}

struct waiter *delete_wait_add(struct podfs *fs, const char *uid, void *req)
{
        struct pod_rt *p = model_pod_find(&fs->model, uid);
        struct waiter *w = xcalloc(1, sizeof(*w));

        w->req = req;
        w->fs = fs;
        if (p && !p->removed) {
                w->head = &p->waiters;
                w->next = p->waiters;
                p->waiters = w;
                return w;
        }
        /* gone already: answered once the kernel's view shows it gone too */
        if (notifier_queue_wake(fs, w))
                return w;
        free(w);
        return NULL;
}

bool delete_wait_cancel(struct waiter *w)
{
        for (struct waiter **pp = w->head; *pp; pp = &(*pp)->next)
                if (*pp == w) {
                        *pp = w->next;
                        free(w);
                        return true;
                }
        return false;
}

void delete_waiters_wake_list(struct podfs *fs, struct waiter *list)
{
        while (list) {
                struct waiter *w = list;

                list = w->next;
                fs->wait_wake(w->req);
                free(w);
        }
}

void delete_waiters_drop_list(struct waiter *list)
{
        while (list) {
                struct waiter *w = list;

                list = w->next;
                free(w);
        }
}

void delete_waiters_wake(struct podfs *fs, struct pod_rt *p)
{
        struct waiter *list = p->waiters;

        p->waiters = NULL;
        if (list && !notifier_queue_wake(fs, list))
                delete_waiters_wake_list(fs, list);
}

void delete_waiters_drop_all(struct podfs *fs)
{
        for (struct pod_rt *p = fs->model.pods; p; p = p->next) {
                delete_waiters_drop_list(p->waiters);
                p->waiters = NULL;
        }
}
