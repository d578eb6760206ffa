/* The view: what each path of the mount shows, resolved from the state dir on
 * every request (namespaces, index symlinks, pod files rendered by render.c),
 * plus the little the daemon keeps in memory (epochs, .last-error). */
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
};

const enum pod_file pod_file_render_kind[PF__MAX] = {
        [PF_PHASE] = POD_FILE_PHASE,
        [PF_CONDITIONS] = POD_FILE_CONDITIONS,
        [PF_STATUS_YAML] = POD_FILE_STATUS_YAML,
        [PF_STATUS_JSON] = POD_FILE_STATUS_JSON,
        [PF_POD_JSON] = POD_FILE_POD_JSON,
        [PF_EVENTS] = POD_FILE_EVENTS,
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

static unsigned name_epoch(struct podfs *fs, const char *ns, const char *name)
{
        return model_name_epoch(&fs->model, ns, name);
}

/* ---- rendering ---- */

static void strv_free(char **v, size_t n)
{
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
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

int node_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len)
{
        struct pod_ref ref;
        uint64_t ver;
        char *data = NULL;
        size_t len = 0;
        int r;

        switch (n->kind) {
        case NODE_LAST_ERROR: {
                const char *s = ns_last_error(fs, n->ns);

                node_cache_drop(n);
                n->cache = xstrdup(s);
                n->cache_len = strlen(s);
                *ret = n->cache;
                *ret_len = n->cache_len;
                return 0;
        }
        case NODE_TMP: {
                _cleanup_free_ char *dummy = NULL;
                struct tmpfile *t = model_tmp_find_id(&fs->model, n->tmp_id);

                if (!t)
                        return -ENOENT;
                *ret = t->data.data ? t->data.data : "";
                *ret_len = t->data.len;
                return 0;
        }
        case NODE_POD_FILE:
        case NODE_CTR_FILE:
                break;
        default:
                return -EISDIR;
        }
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

/* Who may read what (README "Security model"). A pod's files can hold secrets
 * (env values in the spec, exec probe and hook output in events and status,
 * termination messages, logs): its owner and root only. phase, conditions
 * (types, True/False, kubelet's fixed reasons) and wait tell only what state
 * the pod is in: everybody. delete: its owner (and root). */
static mode_t pod_file_mode(const struct node *n)
{
        if (n->kind != NODE_POD_FILE)
                return 0400;
        switch (n->file) {
        case PF_SPEC:
                return 0600;
        case PF_PHASE:
        case PF_CONDITIONS:
        case PF_WAIT:
                return 0444;
        case PF_DELETE:
                return 0200;
        default:
                return 0400;
        }
}

static void ts_set(struct timespec *ts, int64_t ns)
{
        ts->tv_sec = ns / 1000000000LL;
        ts->tv_nsec = ns % 1000000000LL;
}

int node_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        struct pod_ref ref = {0};
        struct stat s;
        int64_t mt = 0;
        int r;

        memset(st, 0, sizeof(*st));
        st->st_ino = n->ino;
        st->st_nlink = 1;
        st->st_blksize = 4096;
        switch (n->kind) {
        case NODE_ROOT:
                if (fstat(fs->dirs.ns_fd, &s) < 0)
                        return -errno;
                st->st_mode = S_IFDIR | 0755;
                st->st_nlink = 2;
                st->st_atim = s.st_atim;
                st->st_mtim = s.st_mtim;
                st->st_ctim = s.st_ctim;
                return 0;
        case NODE_NS:
                if (fstatat(fs->dirs.ns_fd, n->ns, &s, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
                if (!S_ISDIR(s.st_mode))
                        return -ENOENT;
                st->st_mode = s.st_mode;
                st->st_nlink = 2;
                st->st_uid = s.st_uid;
                st->st_gid = s.st_gid;
                st->st_atim = s.st_atim;
                st->st_mtim = s.st_mtim;
                st->st_ctim = s.st_ctim;
                return 0;
        case NODE_LAST_ERROR: {
                const char *c;
                size_t len;

                if (!model_ns_exists(&fs->model, n->ns))
                        return -ENOENT;
                node_content(fs, n, &c, &len);
                st->st_mode = S_IFREG | 0444;
                st->st_size = (off_t)len;
                ts_set(&st->st_mtim, pfs_now_realtime_ns());
                st->st_atim = st->st_ctim = st->st_mtim;
                return 0;
        }
        case NODE_TMP: {
                struct tmpfile *t = model_tmp_find_id(&fs->model, n->tmp_id);

                if (!t)
                        return -ENOENT;
                st->st_mode = S_IFREG | (t->mode & 07777);
                st->st_uid = t->uid;
                st->st_gid = t->gid;
                st->st_size = (off_t)(t->ghost && !t->data.len ? t->ghost_len : t->data.len);
                ts_set(&st->st_mtim, t->mtime_ns);
                st->st_atim = st->st_ctim = st->st_mtim;
                return 0;
        }
        default:
                break;
        }
        /* everything inside a pod dir */
        r = model_pod_ref(&fs->model, n->ns, n->pod, &ref);
        if (r < 0 && n->kind == NODE_POD) {
                /* a pod dir that is gone, until the notifier rmdirs it */
                struct name_ent *e = model_name_get(&fs->model, n->ns, n->pod, false);

                if (e && e->epoch != n->epoch) {
                        st->st_mode = S_IFDIR | 0755;
                        st->st_nlink = 0;
                        return 0;
                }
                if (e && e->tomb) {
                        st->st_mode = S_IFDIR | 0755;
                        st->st_nlink = 2;
                        return 0;
                }
        }
        if (r < 0)
                return r;
        st->st_uid = ref.owner;
        st->st_gid = ref.group;
        mt = ref.mtime_ns;
        if (!ref.placeholder) {
                int64_t changed;

                pod_version(fs, ref.uid, &changed);
                if (changed > mt && n->kind != NODE_POD)
                        mt = changed;
        }
        ts_set(&st->st_mtim, mt);
        st->st_atim = st->st_ctim = st->st_mtim;
        switch (n->kind) {
        case NODE_POD:
                /* a placeholder is the caller's mkdir: its mode; a pod's
                 * dir lets everybody see phase, conditions and wait */
                st->st_mode = S_IFDIR | (ref.placeholder ? ref.mode : 0755);
                /* an incarnation the kernel saw removed stays removed:
                 * nlink 2 would undo rmdir's clear_nlink (no IN_DELETE_SELF) */
                st->st_nlink = n->epoch == name_epoch(fs, n->ns, n->pod) ? 2 : 0;
                return 0;
        case NODE_LOGS_DIR:
        case NODE_CTRS_DIR:
        case NODE_CTR_DIR:
                if (ref.placeholder)
                        return -ENOENT;
                st->st_mode = S_IFDIR | 0500;
                st->st_nlink = 2;
                return 0;
        case NODE_LOG: {
                uint64_t size = 0;

                if (ref.placeholder)
                        return -ENOENT;
                r = log_size(fs, n, &size);
                if (r < 0 && r != -ENOENT)
                        return r;
                st->st_mode = S_IFREG | 0400;
                st->st_size = (off_t)size;
                return 0;
        }
        case NODE_POD_FILE:
        case NODE_CTR_FILE: {
                const char *c;
                size_t len;

                if (ref.placeholder)
                        return -ENOENT;
                if (n->kind == NODE_POD_FILE && n->file == PF_SPEC) {
                        struct name_ent *e = model_name_get(&fs->model, n->ns, n->pod, false);

                        if (e && e->spec_hidden)
                                return -ENOENT;
                }
                r = node_content(fs, n, &c, &len);
                if (r < 0)
                        return r;
                st->st_mode = S_IFREG | pod_file_mode(n);
                st->st_size = (off_t)len;
                return 0;
        }
        default:
                return -ENOENT;
        }
}

/* ---- lookup ---- */

static struct node *child(const char *key, enum node_kind kind, const char *ns, const char *pod,
                          unsigned epoch)
{
        bool created;
        struct node *n = node_intern(key, kind, &created);

        if (created) {
                n->ns = xstrdup(ns);
                n->pod = xstrdup(pod);
                n->epoch = epoch;
        }
        return n;
}

struct node *tree_pod_node(struct podfs *fs, const char *ns, const char *pod)
{
        unsigned epoch = name_epoch(fs, ns, pod);
        _cleanup_free_ char *key = xasprintf("p:%s/%s#%u", ns, pod, epoch);

        return child(key, NODE_POD, ns, pod, epoch);
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

int tree_lookup(struct podfs *fs, struct node *parent, const char *name, bool notifier, struct node **ret)
{
        _cleanup_free_ char *key = NULL;
        struct pod_ref ref;
        struct tmpfile *t;
        struct node *n;
        int r;

        if (!model_name_valid(name))
                return -ENOENT;
        switch (parent->kind) {
        case NODE_ROOT:
                if (!model_ns_exists(&fs->model, name))
                        return -ENOENT;
                key = xasprintf("n:%s", name);
                *ret = child(key, NODE_NS, name, "", 0);
                return 0;
        case NODE_NS: {
                struct name_ent *e;

                if (!model_ns_exists(&fs->model, parent->ns))
                        return -ENOENT;
                if (!strcmp(name, ".last-error")) {
                        key = xasprintf("e:%s", parent->ns);
                        *ret = child(key, NODE_LAST_ERROR, parent->ns, "", 0);
                        return 0;
                }
                t = model_tmp_find(&fs->model, parent->ns, NULL, name);
                if (t && t->ghost && t->writer != fs->req_pid)
                        t = NULL;
                if (t) {
                        key = xasprintf("t:%llu", (unsigned long long)t->id);
                        n = child(key, NODE_TMP, parent->ns, "", 0);
                        n->tmp_id = t->id;
                        if (!n->name)
                                n->name = xstrdup(name);
                        else if (strcmp(n->name, name)) {
                                free(n->name);
                                n->name = xstrdup(name);
                        }
                        *ret = n;
                        return 0;
                }
                e = model_name_get(&fs->model, parent->ns, name, false);
                r = model_pod_ref(&fs->model, parent->ns, name, &ref);
                if (r < 0) {
                        if (notifier && e && e->tomb) {
                                *ret = tree_pod_node(fs, parent->ns, name);
                                return 0;
                        }
                        return -ENOENT;
                }
                if (notifier && e && e->announce_until > pfs_now_monotonic_ns())
                        return -ENOENT;
                *ret = tree_pod_node(fs, parent->ns, name);
                return 0;
        }
        case NODE_POD: {
                const char *pk = parent->key + 2; /* "<ns>/<pod>#<epoch>" */

                r = model_pod_ref(&fs->model, parent->ns, parent->pod, &ref);
                if (r < 0)
                        return r;
                t = model_tmp_find(&fs->model, parent->ns, parent->pod, name);
                if (t) {
                        key = xasprintf("t:%llu", (unsigned long long)t->id);
                        n = child(key, NODE_TMP, parent->ns, parent->pod, parent->epoch);
                        n->tmp_id = t->id;
                        if (!n->name || strcmp(n->name, name)) {
                                free(n->name);
                                n->name = xstrdup(name);
                        }
                        *ret = n;
                        return 0;
                }
                if (ref.placeholder)
                        return -ENOENT;
                for (int f = 0; f < PF__MAX; f++) {
                        if (strcmp(name, pod_file_names[f]))
                                continue;
                        if (f == PF_SPEC) {
                                struct name_ent *e = model_name_get(&fs->model, parent->ns, parent->pod, false);

                                if (e && e->spec_hidden)
                                        return -ENOENT;
                        }
                        key = xasprintf("f:%s/%s", pk, name);
                        n = child(key, NODE_POD_FILE, parent->ns, parent->pod, parent->epoch);
                        n->file = f;
                        *ret = n;
                        return 0;
                }
                if (!strcmp(name, "logs")) {
                        key = xasprintf("l:%s", pk);
                        *ret = child(key, NODE_LOGS_DIR, parent->ns, parent->pod, parent->epoch);
                        return 0;
                }
                if (!strcmp(name, "containers")) {
                        key = xasprintf("c:%s", pk);
                        *ret = child(key, NODE_CTRS_DIR, parent->ns, parent->pod, parent->epoch);
                        return 0;
                }
                return -ENOENT;
        }
        case NODE_LOGS_DIR:
        case NODE_CTRS_DIR: {
                const char *pk = strchr(parent->key, ':') + 1;
                char **names = NULL;
                int32_t *restarts = NULL;
                size_t nn = 0;
                bool prev = false, known;

                r = model_pod_ref(&fs->model, parent->ns, parent->pod, &ref);
                if (r < 0)
                        return r;
                if (ref.placeholder)
                        return -ENOENT;
                r = model_pod_containers(&fs->model, ref.uid, &names, &restarts, &nn);
                if (r < 0)
                        return r;
                known = container_known(names, restarts, nn, name,
                                        parent->kind == NODE_LOGS_DIR ? &prev : NULL);
                strv_free(names, nn);
                free(restarts);
                if (!known)
                        return -ENOENT;
                if (parent->kind == NODE_LOGS_DIR) {
                        key = xasprintf("L:%s/%s", pk, name);
                        n = child(key, NODE_LOG, parent->ns, parent->pod, parent->epoch);
                        if (!n->ctr) {
                                n->ctr = prev ? xstrndup(name, strlen(name) - 9) : xstrdup(name);
                                n->previous = prev;
                        }
                } else {
                        key = xasprintf("C:%s/%s", pk, name);
                        n = child(key, NODE_CTR_DIR, parent->ns, parent->pod, parent->epoch);
                        if (!n->ctr)
                                n->ctr = xstrdup(name);
                }
                *ret = n;
                return 0;
        }
        case NODE_CTR_DIR: {
                const char *pk = strchr(parent->key, ':') + 1;

                for (int f = 0; f < CTR_FILE__MAX; f++) {
                        if (strcmp(name, ctr_file_name((enum ctr_file)f)))
                                continue;
                        key = xasprintf("F:%s/%s", pk, name);
                        n = child(key, NODE_CTR_FILE, parent->ns, parent->pod, parent->epoch);
                        if (!n->ctr) {
                                n->ctr = xstrdup(parent->ctr);
                                n->file = f;
                        }
                        *ret = n;
                        return 0;
                }
                return -ENOENT;
        }
        default:
                return -ENOTDIR;
        }
}

/* ---- listing ---- */

int tree_list(struct podfs *fs, struct node *dir, void (*fn)(void *, const char *, mode_t), void *data)
{
        struct pod_ref ref;
        int r;

        switch (dir->kind) {
        case NODE_ROOT:
        case NODE_NS: {
                int fd = openat(fs->dirs.ns_fd, dir->kind == NODE_ROOT ? "." : dir->ns,
                                O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                DIR *d;
                struct dirent *de;

                if (fd < 0)
                        return -errno;
                d = fdopendir(fd);
                if (!d) {
                        close(fd);
                        return -ENOMEM;
                }
                if (dir->kind == NODE_NS)
                        fn(data, ".last-error", S_IFREG);
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        if (dir->kind == NODE_ROOT) {
                                if (de->d_type == DT_DIR)
                                        fn(data, de->d_name, S_IFDIR);
                        } else if (de->d_type == DT_DIR || de->d_type == DT_LNK) {
                                if (model_pod_ref(&fs->model, dir->ns, de->d_name, &ref) == 0)
                                        fn(data, de->d_name, S_IFDIR);
                        }
                }
                closedir(d);
                if (dir->kind == NODE_NS)
                        for (struct tmpfile *t = fs->model.tmps; t; t = t->next) /* a listing: all of them */
                                if (!t->pod && !t->ghost && !strcmp(t->ns, dir->ns))
                                        fn(data, t->name, S_IFREG);
                return 0;
        }
        case NODE_POD: {
                struct name_ent *e = model_name_get(&fs->model, dir->ns, dir->pod, false);

                r = model_pod_ref(&fs->model, dir->ns, dir->pod, &ref);
                if (r < 0)
                        return r;
                if (!ref.placeholder) {
                        for (int f = 0; f < PF__MAX; f++)
                                if (f != PF_SPEC || !(e && e->spec_hidden))
                                        fn(data, pod_file_names[f], S_IFREG);
                        fn(data, "logs", S_IFDIR);
                        fn(data, "containers", S_IFDIR);
                }
                for (struct tmpfile *t = fs->model.tmps; t; t = t->next)
                        if (t->pod && !strcmp(t->ns, dir->ns) && !strcmp(t->pod, dir->pod))
                                fn(data, t->name, S_IFREG);
                return 0;
        }
        case NODE_LOGS_DIR:
        case NODE_CTRS_DIR: {
                char **names = NULL;
                int32_t *restarts = NULL;
                size_t nn = 0;

                r = model_pod_ref(&fs->model, dir->ns, dir->pod, &ref);
                if (r < 0)
                        return r;
                if (ref.placeholder)
                        return -ENOENT;
                r = model_pod_containers(&fs->model, ref.uid, &names, &restarts, &nn);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < nn; i++) {
                        if (dir->kind == NODE_CTRS_DIR) {
                                fn(data, names[i], S_IFDIR);
                                continue;
                        }
                        fn(data, names[i], S_IFREG);
                        if (restarts[i] > 0) {
                                _cleanup_free_ char *p = xasprintf("%s.previous", names[i]);

                                fn(data, p, S_IFREG);
                        }
                }
                strv_free(names, nn);
                free(restarts);
                return 0;
        }
        case NODE_CTR_DIR:
                for (int f = 0; f < CTR_FILE__MAX; f++)
                        fn(data, ctr_file_name((enum ctr_file)f), S_IFREG);
                return 0;
        default:
                return -ENOTDIR;
        }
}
