/* The tree: what each path of the mount shows, resolved from the state dir on
 * every request. The node kinds (node_*.c, registry nodes.c) do the work,
 * ops.c dispatches to them; here is what the kinds share (interning child
 * nodes, the stat of what is inside a pod dir, the cached rendering of a
 * pod's files, the pod's container list, the reserved names of a pod dir). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "fs.h"
#include "pfs/render.h"
#include "pfs/spec.h"
#include "pfs/store.h"
#include "pfs/strindex.h"

const char *const pod_file_names[PF__MAX] = {
        [PF_SPEC] = "spec.yaml",
        [PF_PHASE] = "phase",
        [PF_CONDITIONS] = "conditions",
        [PF_STATUS_YAML] = "status.yaml",
        [PF_STATUS_JSON] = "status.json",
        [PF_POD_JSON] = "pod.json",
        [PF_EVENTS] = "events",
        [PF_DELETE] = "delete",
        [PF_WAIT] = "wait",
        [PF_IP] = "ip",
};

const enum pod_file pod_file_render_kind[PF__MAX] = {
        [PF_PHASE] = POD_FILE_PHASE,
        [PF_CONDITIONS] = POD_FILE_CONDITIONS,
        [PF_STATUS_YAML] = POD_FILE_STATUS_YAML,
        [PF_STATUS_JSON] = POD_FILE_STATUS_JSON,
        [PF_POD_JSON] = POD_FILE_POD_JSON,
        [PF_EVENTS] = POD_FILE_EVENTS,
        [PF_IP] = POD_FILE_IP,
};

/* ---- per-namespace memory (model.c), for the caller of the request ---- */

void ns_set_last_error(struct podfs *fs, const char *ns, const char *msg)
{
        model_last_error_set(&fs->model, ns, fs->req_uid, msg);
}

const char *ns_last_error(struct podfs *fs, const char *ns)
{
        return model_last_error(&fs->model, ns, fs->req_uid);
}

/* The one check of a pod's reserved names: its own files. */
int pod_file_lookup(const char *name)
{
        for (int f = 0; f < PF__MAX; f++)
                if (!strcmp(name, pod_file_names[f]))
                        return f;
        return -1;
}

enum pod_name_class pod_name_class(const char *name)
{
        if (pod_file_lookup(name) >= 0)
                return POD_NAME_FILE;
        if (!strcmp(name, "logs") || !strcmp(name, "containers"))
                return POD_NAME_DIR;
        return POD_NAME_FREE;
}

/* ---- what the kinds share ---- */

void node_strv_free(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

void node_ts_set(struct timespec *ts, int64_t ns)
{
        ts->tv_sec = ns / 1000000000LL;
        ts->tv_nsec = ns % 1000000000LL;
}

static uint64_t pod_version(struct podfs *fs, const char *uid, int64_t *ret_changed)
{
        struct pod_rt *p = model_pod_find(&fs->model, uid);

        if (ret_changed)
                *ret_changed = p ? p->changed_ns : 0;
        return p ? p->version : 0;
}

static int render_node(struct podfs *fs, struct node *n, const char *uid, char **ret, size_t *ret_len)
{
        _cleanup_(pod_view_freep) struct pod_view *owned = NULL;
        const struct pod_view *v = NULL;
        int r;

        if (n->kind == NODE_POD_FILE && n->file == PF_SPEC) {
                _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, uid);

                if (dfd < 0)
                        return dfd;
                return pfs_read_file_at(dfd, PFS_SPEC_FILE, ret, ret_len, NULL);
        }
        if (n->kind == NODE_POD_FILE && (n->file == PF_DELETE || n->file == PF_WAIT)) {
                *ret = xstrdup("");
                *ret_len = 0;
                return 0;
        }
        r = model_view_get(&fs->model, uid, &v, &owned);
        if (r < 0)
                return r;
        if (n->kind == NODE_POD_FILE) {
                *ret = pod_view_render(v, pod_file_render_kind[n->file], ret_len);
        } else {
                *ret = pod_view_render_container(v, n->ctr, (enum ctr_file)n->file, ret_len);
                if (!*ret)
                        r = -ENOENT;
        }
        return r;
}

/* The content of a pod's rendered file, cached on the node per pod and version. */
int node_pod_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len)
{
        struct pod_ref ref;
        uint64_t ver;
        char *data = NULL;
        size_t len = 0;
        int r;

        r = model_pod_ref(&fs->model, n->ns, n->pod, &ref);
        if (r < 0)
                return r;
        if (ref.placeholder)
                return -ENOENT;
        ver = pod_version(fs, ref.uid, NULL);
        if (n->cache_valid && !strcmp(n->cache_uid, ref.uid) && n->cache_ver == ver) {
                *ret = n->cache;
                *ret_len = n->cache_len;
                return 0;
        }
        r = render_node(fs, n, ref.uid, &data, &len);
        if (r < 0)
                return r;
        node_cache_drop(n);
        n->cache = data;
        n->cache_len = len;
        n->cache_ver = ver;
        memcpy(n->cache_uid, ref.uid, 37);
        n->cache_valid = true;
        *ret = n->cache;
        *ret_len = n->cache_len;
        return 0;
}

int node_open_snapshot(struct podfs *fs, struct node *n, struct fh *fh)
{
        const char *c;
        size_t len;
        int r = node_content(fs, n, &c, &len);

        if (r < 0)
                return r;
        fh->kind = FH_CONTENT;
        fh->data = xmalloc(len + 1);
        memcpy(fh->data, c, len);
        fh->len = len;
        return 0;
}

/* Owner and times of what is inside a pod dir (the pod's; a file's mtime
 * moves with the pod's status). */
int node_in_pod_stat(struct podfs *fs, struct node *n, struct stat *st, struct pod_ref *ref)
{
        int64_t mt;
        int r = model_pod_ref(&fs->model, n->ns, n->pod, ref);

        if (r < 0)
                return r;
        st->st_uid = ref->owner;
        st->st_gid = ref->group;
        mt = ref->mtime_ns;
        if (!ref->placeholder) {
                int64_t changed;

                pod_version(fs, ref->uid, &changed);
                if (changed > mt && n->kind != NODE_POD)
                        mt = changed;
        }
        node_ts_set(&st->st_mtim, mt);
        st->st_atim = st->st_ctim = st->st_mtim;
        return 0;
}

/* The same for what exists only in a pod that has a spec (not in the
 * placeholder a mkdir made). */
int node_in_live_pod_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        struct pod_ref ref;
        int r = node_in_pod_stat(fs, n, st, &ref);

        if (r < 0)
                return r;
        return ref.placeholder ? -ENOENT : 0;
}

int node_pod_subdir_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        int r = node_in_live_pod_stat(fs, n, st);

        if (r < 0)
                return r;
        st->st_mode = S_IFDIR | 0500;
        st->st_nlink = 2;
        return 0;
}

#define SETATTR_TIMES (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW | \
                       FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)

/* times only (touch): accepted, nothing to keep */
int node_setattr_times_only(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        return (to_set & ~SETATTR_TIMES) ? -EPERM : 0;
}

int node_stat_dir_now(struct podfs *fs, struct node *n, struct stat *st)
{
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        node_ts_set(&st->st_mtim, pfs_now_realtime_ns());
        st->st_atim = st->st_ctim = st->st_mtim;
        return 0;
}

int node_setattr_none(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        if (!(to_set & ~SETATTR_TIMES))
                return 0;
        return (to_set & FUSE_SET_ATTR_SIZE) ? -EACCES : -EPERM;
}

struct node *node_child(struct podfs *fs, const struct node_key *k)
{
        bool created;
        struct node *n = node_intern(&fs->nodes, k, &created);

        if (created) {
                n->ns = xstrdup(k->ns ? k->ns : "");
                n->pod = xstrdup(k->pod ? k->pod : "");
                n->epoch = k->epoch;
                n->ctr = k->ctr ? xstrdup(k->ctr) : NULL;
                n->file = k->file;
                n->previous = k->previous;
        }
        return n;
}

struct node *tree_pod_node(struct podfs *fs, const char *ns, const char *pod)
{
        struct node_key k = { .kind = NODE_POD, .ns = ns, .pod = pod,
                              .epoch = model_name_epoch(&fs->model, ns, pod) };

        return node_child(fs, &k);
}

/* The containers of the pod a dir inside it belongs to (not of a placeholder). */
int node_pod_containers(struct podfs *fs, struct node *dir, char ***ret_names, int32_t **ret_restarts,
                        size_t *ret_n)
{
        struct pod_ref ref;
        int r = model_pod_ref(&fs->model, dir->ns, dir->pod, &ref);

        if (r < 0)
                return r;
        if (ref.placeholder)
                return -ENOENT;
        return model_pod_containers(&fs->model, ref.uid, ret_names, ret_restarts, ret_n);
}

static bool container_known(char **names, int32_t *restarts, size_t n, const char *name, bool *ret_prev)
{
        size_t l = strlen(name);

        for (size_t i = 0; i < n; i++) {
                if (!strcmp(names[i], name)) {
                        if (ret_prev)
                                *ret_prev = false;
                        return true;
                }
                if (ret_prev && l == strlen(names[i]) + 9 && !strncmp(name, names[i], strlen(names[i])) &&
                    !strcmp(name + strlen(names[i]), ".previous") && restarts[i] > 0) {
                        *ret_prev = true;
                        return true;
                }
        }
        return false;
}

/* Is name a container of the pod (ret_prev: or "<c>.previous" of one that restarted)? */
int node_pod_container_find(struct podfs *fs, struct node *dir, const char *name, bool *ret_prev)
{
        char **names = NULL;
        int32_t *restarts = NULL;
        size_t nn = 0;
        bool known;
        int r = node_pod_containers(fs, dir, &names, &restarts, &nn);

        if (r < 0)
                return r;
        known = container_known(names, restarts, nn, name, ret_prev);
        node_strv_free(names, nn);
        free(restarts);
        return known ? 0 : -ENOENT;
}

/* The content of a file node, through its kind. */
int node_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len)
{
        const struct node_ops *o = node_kinds[n->kind];

        return o->content ? o->content(fs, n, ret, ret_len) : -EISDIR;
}
