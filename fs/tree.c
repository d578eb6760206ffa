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

static const enum pod_file render_kind[PF__MAX] = {
        [PF_PHASE] = POD_FILE_PHASE,
        [PF_CONDITIONS] = POD_FILE_CONDITIONS,
        [PF_STATUS_YAML] = POD_FILE_STATUS_YAML,
        [PF_STATUS_JSON] = POD_FILE_STATUS_JSON,
        [PF_POD_JSON] = POD_FILE_POD_JSON,
        [PF_EVENTS] = POD_FILE_EVENTS,
};

bool name_is_valid(const char *name)
{
        return name && *name && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/') &&
               strlen(name) <= 255;
}

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

bool ns_exists(struct podfs *fs, const char *ns)
{
        struct stat st;

        if (!name_is_valid(ns) || ns[0] == '.')
                return false;
        return fstatat(fs->dirs.ns_fd, ns, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* The owner recorded in a pod's meta (the daemon keeps it per pod; meta of
 * older versions has none: root's). */
static void pod_owner_get(struct podfs *fs, const char *uid, uid_t *ret_owner, gid_t *ret_group)
{
        struct pod_rt *p = model_pod_find(&fs->model, uid);
        _cleanup_close_ int dfd = -1;
        struct pod_meta *m = NULL;

        *ret_owner = 0;
        *ret_group = 0;
        if (p) {
                *ret_owner = p->owner;
                *ret_group = p->group;
                return;
        }
        dfd = pod_dir_open_at(fs->dirs.pods_fd, uid);
        if (dfd >= 0 && pod_meta_read_at(dfd, &m, NULL) == 0) {
                *ret_owner = m->owner;
                *ret_group = m->group;
                pod_meta_free(m);
        }
}

int pod_ref_get(struct podfs *fs, const char *ns, const char *name, struct pod_ref *ret)
{
        struct stat st;
        int r;

        memset(ret, 0, sizeof(*ret));
        if (!name_is_valid(name) || name[0] == '.')
                return -ENOENT;
        r = pod_index_read_at(fs->dirs.ns_fd, ns, name, ret->uid, &st);
        if (r < 0)
                return r;
        ret->owner = st.st_uid;
        ret->group = st.st_gid;
        ret->mode = st.st_mode & 07777;
        ret->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        ret->exists = true;
        ret->placeholder = r == 0;
        if (!ret->placeholder)
                pod_owner_get(fs, ret->uid, &ret->owner, &ret->group);
        return 0;
}

/* ---- rendering ---- */

static int pod_dir_open(struct podfs *fs, const char *uid)
{
        return pod_dir_open_at(fs->dirs.pods_fd, uid);
}

static void pod_view_freep(struct pod_view **v)
{
        pod_view_free(*v);
}

/* What the kept views may hold together: a pod's view holds its spec (up
 * to a 1 MiB manifest, parsed), so they are not kept for every pod ever read;
 * past the budget the least recently used go (and are parsed again when
 * read again). */
#define VIEWS_BUDGET (32u << 20)
static uint64_t views_clock;

static void views_trim(struct podfs *fs, const struct pod_rt *keep)
{
        for (;;) {
                struct pod_rt *lru = NULL;
                size_t total = 0;

                for (struct pod_rt *p = fs->model.pods; p; p = p->next) {
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
static int view_get(struct podfs *fs, const char *uid, const struct pod_view **ret, struct pod_view **owned)
{
        _cleanup_close_ int dfd = pod_dir_open(fs, uid);
        struct pod_rt *p = model_pod_find(&fs->model, uid);
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
                p->view_used = ++views_clock;
                if (r >= 0 && fresh)
                        views_trim(fs, p);
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
static const struct pod_container *spec_container_at(const struct pod_spec *spec, size_t i)
{
        return i < spec->n_init_containers ? &spec->init_containers[i]
                                           : &spec->containers[i - spec->n_init_containers];
}

/* Container names of the pod the index names now (spec order, init containers
 * first: `kubectl logs -c` and the containers/ files serve them too). */
static int pod_containers(struct podfs *fs, const char *uid, char ***ret_names, int32_t **ret_restarts,
                          size_t *ret_n)
{
        _cleanup_(pod_view_freep) struct pod_view *owned = NULL;
        const struct pod_view *v = NULL;
        char **names;
        int32_t *restarts;
        int r = view_get(fs, uid, &v, &owned);
        size_t n;

        if (r < 0)
                return r;
        n = v->spec->n_init_containers + v->spec->n_containers;
        names = xcalloc(n + 1, sizeof(char *));
        restarts = xcalloc(n + 1, sizeof(int32_t));
        for (size_t i = 0; i < n; i++) {
                struct ctr_status *cs;

                names[i] = xstrdup(spec_container_at(v->spec, i)->name);
                cs = v->status ? pod_status_find(v->status, names[i]) : NULL;
                restarts[i] = cs ? cs->restart_count : 0;
        }
        *ret_n = n;
        *ret_names = names;
        *ret_restarts = restarts;
        return 0;
}

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
                _cleanup_close_ int dfd = pod_dir_open(fs, uid);

                if (dfd < 0)
                        return dfd;
                return pfs_read_file_at(dfd, PFS_SPEC_FILE, ret, ret_len, NULL);
        }
        if (n->kind == NODE_POD_FILE && (n->file == PF_DELETE || n->file == PF_WAIT)) {
                *ret = xstrdup("");
                *ret_len = 0;
                return 0;
        }
        r = view_get(fs, uid, &v, &owned);
        if (r < 0)
                return r;
        if (n->kind == NODE_POD_FILE) {
                *ret = pod_view_render(v, render_kind[n->file], ret_len);
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
                struct tmpfile *t = tmp_find_node(fs, n);

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
        r = pod_ref_get(fs, n->ns, n->pod, &ref);
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

                if (!ns_exists(fs, n->ns))
                        return -ENOENT;
                node_content(fs, n, &c, &len);
                st->st_mode = S_IFREG | 0444;
                st->st_size = (off_t)len;
                ts_set(&st->st_mtim, pfs_now_realtime_ns());
                st->st_atim = st->st_ctim = st->st_mtim;
                return 0;
        }
        case NODE_TMP: {
                struct tmpfile *t = tmp_find_node(fs, n);

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
        r = pod_ref_get(fs, n->ns, n->pod, &ref);
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

        if (!name_is_valid(name))
                return -ENOENT;
        switch (parent->kind) {
        case NODE_ROOT:
                if (!ns_exists(fs, name))
                        return -ENOENT;
                key = xasprintf("n:%s", name);
                *ret = child(key, NODE_NS, name, "", 0);
                return 0;
        case NODE_NS: {
                struct name_ent *e;

                if (!ns_exists(fs, parent->ns))
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
                r = pod_ref_get(fs, parent->ns, name, &ref);
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

                r = pod_ref_get(fs, parent->ns, parent->pod, &ref);
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

                r = pod_ref_get(fs, parent->ns, parent->pod, &ref);
                if (r < 0)
                        return r;
                if (ref.placeholder)
                        return -ENOENT;
                r = pod_containers(fs, ref.uid, &names, &restarts, &nn);
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
                                if (pod_ref_get(fs, dir->ns, de->d_name, &ref) == 0)
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

                r = pod_ref_get(fs, dir->ns, dir->pod, &ref);
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

                r = pod_ref_get(fs, dir->ns, dir->pod, &ref);
                if (r < 0)
                        return r;
                if (ref.placeholder)
                        return -ENOENT;
                r = pod_containers(fs, ref.uid, &names, &restarts, &nn);
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

/* ---- change notification ---- */

/* What watchers were last told about rel; created on first use. */
static struct file_hash *file_hash_get(struct name_ent *e, const char *rel)
{
        struct file_hash *fh;
        size_t i;

        if (pfs_strindex_get(&e->hash_index, rel, &i))
                return &e->hashes[i];
        e->hashes = xrealloc(e->hashes, (e->n_hashes + 1) * sizeof(*e->hashes));
        fh = &e->hashes[e->n_hashes];
        fh->rel = xstrdup(rel);
        fh->seen = false;
        pfs_strindex_put(&e->hash_index, fh->rel, e->n_hashes++);
        return fh;
}

/* Tell watchers about rel (relative to the pod dir) when its content differs
 * from what they were last told. */
static void hash_check(struct podfs *fs, struct name_ent *e, const char *rel, const char *content, size_t len)
{
        uint64_t h = content_hash(content, len);
        struct file_hash *fh = file_hash_get(e, rel);
        _cleanup_free_ char *path = NULL;

        if (fh->seen && fh->hash == h)
                return;
        fh->seen = true;
        fh->hash = h;
        path = xasprintf("%s/%s/%s", e->ns, e->name, rel);
        notifier_queue(fs, NOTIFY_WRITE, path);
}

/* Files are rendered only where somebody can watch them: in a directory the
 * kernel knows (an inotify watch on it reports its files too, and a watch on
 * a file needs its directory). For the others, what watchers were told is
 * forgotten, so that the first change after a lookup is told. A pod of many
 * containers thereby costs per change what its watchers look at, not the
 * rendering of every container's files. */
static bool dir_known(const char *key)
{
        struct node *n = node_find_key(key);

        return n && n->nlookup > 0;
}

static void hash_forget(struct name_ent *e, const char *rel)
{
        size_t i;

        if (e->n_hashes && pfs_strindex_get(&e->hash_index, rel, &i))
                e->hashes[i].seen = false;
}

static void pod_files_check(struct podfs *fs, struct name_ent *e, const struct pod_view *v)
{
        for (int f = 0; f < PF__MAX; f++) {
                char *c;
                size_t len = 0;

                if (f == PF_DELETE || f == PF_WAIT)
                        continue;
                if (f == PF_SPEC) {
                        c = xstrndup(v->spec->source ? v->spec->source : "", v->spec->source_len);
                        len = v->spec->source_len;
                } else {
                        c = pod_view_render(v, render_kind[f], &len);
                }
                hash_check(fs, e, pod_file_names[f], c, len);
                free(c);
        }
}

static void ctr_files_check(struct podfs *fs, struct name_ent *e, const struct pod_view *v)
{
        for (size_t i = 0; i < v->spec->n_init_containers + v->spec->n_containers; i++) {
                const char *cn = spec_container_at(v->spec, i)->name;
                _cleanup_free_ char *dkey = xasprintf("C:%s/%s#%u/%s", e->ns, e->name, e->epoch, cn);
                bool known = dir_known(dkey);

                if (!known && e->n_hashes == 0)
                        continue;
                for (int f = 0; f < CTR_FILE__MAX; f++) {
                        _cleanup_free_ char *rel = xasprintf("containers/%s/%s", cn, ctr_file_name((enum ctr_file)f));
                        size_t len = 0;
                        char *c;

                        if (!known) {
                                hash_forget(e, rel);
                                continue;
                        }
                        c = pod_view_render_container(v, cn, (enum ctr_file)f, &len);
                        if (c)
                                hash_check(fs, e, rel, c, len);
                        free(c);
                }
        }
}

static void pod_changed_flush_one(struct podfs *fs, struct name_ent *e)
{
        _cleanup_(pod_view_freep) struct pod_view *owned = NULL;
        _cleanup_free_ char *key = NULL;
        const struct pod_view *v = NULL;
        struct pod_ref ref;

        if (pod_ref_get(fs, e->ns, e->name, &ref) < 0 || ref.placeholder)
                return;
        /* nobody can watch a file of a pod dir the kernel does not know:
         * such a pod is not even loaded (a big pod nobody looks at is free) */
        key = xasprintf("p:%s/%s#%u", e->ns, e->name, e->epoch);
        if (!dir_known(key)) {
                for (size_t i = 0; i < e->n_hashes; i++)
                        e->hashes[i].seen = false;
                return;
        }
        if (view_get(fs, ref.uid, &v, &owned) < 0)
                return;
        pod_files_check(fs, e, v);
        ctr_files_check(fs, e, v);
}

static char flush_token;        /* the flush timer's identity */
static bool flush_armed;
static int64_t flush_end_ns, flush_cost_ns;     /* monotonic: when the last flush ended, what it took */

static void pod_changed_flush(struct podfs *fs, void *data)
{
        int64_t t0 = pfs_now_monotonic_ns();

        flush_armed = false;
        for (struct name_ent *e = fs->model.names; e; e = e->next)
                if (e->change_pending) {
                        e->change_pending = false;
                        pod_changed_flush_one(fs, e);
                }
        flush_end_ns = pfs_now_monotonic_ns();
        flush_cost_ns = flush_end_ns - t0;
}

/* Coalesced: every change of one loop turn (a sandbox writes status.json,
 * the sandbox file and events for one container start) is looked at once,
 * on a later turn, after the FUSE requests already waiting. A flush that
 * took long (big watched pods changing all the time) delays the next by
 * twice its time, at most 1 s: change checks take at most a third of the
 * daemon's time, and requests are served in between. */
void tree_pod_changed(struct podfs *fs, const char *ns, const char *name)
{
        struct name_ent *e;
        struct pod_ref ref;
        int64_t pause;

        if (pod_ref_get(fs, ns, name, &ref) < 0 || ref.placeholder)
                return;
        e = model_name_get(&fs->model, ns, name, true);
        e->change_pending = true;
        if (flush_armed)
                return;
        flush_armed = true;
        pause = flush_cost_ns * 2 < 1000000000LL ? flush_cost_ns * 2 : 1000000000LL;
        podfs_timer_add(fs, flush_end_ns + pause, pod_changed_flush, &flush_token);
}
