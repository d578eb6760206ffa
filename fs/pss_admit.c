/* Pod Security admission per namespace: a namespace's labels (written with a
 * kind: Namespace manifest) live in STATE/namespace-labels/<ns> (JSON, the
 * labels as written); its enforce and warn levels come from the
 * pod-security.kubernetes.io/ labels, else from the daemon's
 * --pod-security-enforce/-warn. Enforce refuses a violating pod at apply
 * (EACCES, the API server's "pods \"x\" is forbidden: violates PodSecurity
 * ..."), warn accepts it and leaves the warning in .last-error, audit goes to
 * the daemon's log. <ns>/.namespace.yaml shows the Namespace. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fs.h"
#include "pfs/object.h"
#include "pfs/pss.h"

#define LABELS_DIR "namespace-labels"

/* The stored labels of ns as a map (NULL when none). */
static struct yval *labels_load(struct podfs *fs, const char *ns)
{
        _cleanup_free_ char *path = xasprintf(LABELS_DIR "/%s", ns), *text = NULL;
        struct ydoc *docs = NULL;
        struct yval *v = NULL;
        size_t len = 0, n = 0;
        struct pfs_error err = { 0 };

        if (pfs_read_file_at(fs->dirs.state_fd, path, &text, &len, &err) < 0)
                return NULL;
        if (yval_parse_stream(text, len, &docs, &n, NULL) == 0 && n && docs[0].root &&
            docs[0].root->type == YVAL_MAP) {
                /* taken from the document */
                v = docs[0].root;
                docs[0].root = NULL;
        }
        ydoc_free_array(docs, n);
        return v;
}

int ns_labels_commit(struct podfs *fs, const struct pfs_ns_doc *d, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf(LABELS_DIR "/%s", d->name);
        struct yval *m = yval_new_map();
        struct pfs_buf b = { 0 };
        int r;

        for (size_t i = 0; i < d->n_labels; i++)
                yval_map_set(m, d->labels[i].key, yval_new_str(d->labels[i].value));
        yval_emit_json(m, true, &b);
        yval_free(m);
        if (mkdirat(fs->dirs.state_fd, LABELS_DIR, 0700) < 0 && errno != EEXIST)
                r = pfs_error_set(err, errno, "mkdir %s", LABELS_DIR);
        else
                r = pfs_write_file_atomic_at(fs->dirs.state_fd, path, b.data, b.len, 0600, err);
        pfs_buf_free(&b);
        if (r == 0)
                pfs_log(LOG_INFO, "namespace %s: labels set (%zu)", d->name, d->n_labels);
        return r;
}

/* A namespace's labels are its owner's (and root's) to set: whoever else may
 * create pods there must not lower its Pod Security level. */
int ns_labels_may_update(struct podfs *fs, const char *ns, const char *filename, uid_t uid, struct pfs_error *err)
{
        struct stat st;

        if (uid == 0)
                return 0;
        if (fstatat(fs->dirs.ns_fd, ns, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return pfs_error_set(err, errno, "%s: namespace \"%s\"", filename, ns);
        if (st.st_uid == uid)
                return 0;
        return pfs_error_set(err, EPERM, "%s: namespaces \"%s\" is forbidden: User \"%u\" cannot update resource "
                             "\"namespaces\" in API group \"\" at the cluster scope (only the namespace's owner "
                             "and root set its labels)", filename, ns, (unsigned)uid);
}

void ns_labels_remove(struct podfs *fs, const char *ns)
{
        _cleanup_free_ char *path = xasprintf(LABELS_DIR "/%s", ns);

        unlinkat(fs->dirs.state_fd, path, 0);
}

char *ns_namespace_yaml(struct podfs *fs, const char *ns)
{
        struct yval *y = yval_new_map(), *meta, *labels = labels_load(fs, ns);
        struct pfs_buf b = { 0 };

        yval_map_set(y, "apiVersion", yval_new_str("v1"));
        yval_map_set(y, "kind", yval_new_str("Namespace"));
        meta = yval_map_set(y, "metadata", yval_new_map());
        yval_map_set(meta, "name", yval_new_str(ns));
        if (labels && labels->map.n)
                yval_map_set(meta, "labels", labels);
        else
                yval_free(labels);
        yval_emit_yaml(y, &b);
        yval_free(y);
        return pfs_buf_steal(&b);
}

/* The label "pod-security.kubernetes.io/KEY" of the pending Namespace, else
 * of the stored one (copied), or NULL. */
static char *label_of(struct podfs *fs, const char *ns, const struct pfs_ns_doc *pending, const char *key)
{
        _cleanup_free_ char *full = xasprintf("pod-security.kubernetes.io/%s", key);
        struct yval *stored = NULL;
        const char *v = NULL;
        char *r;

        if (pending)
                v = pfs_ns_doc_label(pending->labels, pending->n_labels, key);
        else if ((stored = labels_load(fs, ns)))
                v = yval_get_str(stored, full, NULL);
        r = v ? xstrdup(v) : NULL;
        yval_free(stored);
        return r;
}

/* MODE's policy ("enforce", "warn", "audit"): its level label, else the
 * daemon's default; its -version label, else "latest". */
struct pss_policy {
        int level;
        char *version;
};

static struct pss_policy policy_of(struct podfs *fs, const char *ns, const struct pfs_ns_doc *pending,
                                   const char *mode, int dflt)
{
        _cleanup_free_ char *l = label_of(fs, ns, pending, mode), *vk = xasprintf("%s-version", mode);
        struct pss_policy p = { .level = l ? pfs_pss_level_of(l) : -1, .version = label_of(fs, ns, pending, vk) };

        if (p.level < 0)
                p.level = dflt;
        if (!p.version || pfs_pss_version_minor(p.version) < 0) {
                free(p.version);
                p.version = xstrdup("latest");
        }
        return p;
}

static char *check(const struct pod_spec *pod, const struct pss_policy *p)
{
        return pfs_pss_check_at(pod, (enum pfs_pss_level)p->level, p->version);
}

/* enforce refuses; warn adds to *w; audit goes to the daemon's log (the
 * node's own audit record: podfs has no audit log of the API server). */
static int admit_one(const char *ns, const char *filename, const struct pod_spec *pod, const struct pss_policy *pol,
                     struct pfs_buf *w, struct pfs_error *err)
{
        _cleanup_free_ char *v = check(pod, &pol[0]);

        if (v)
                return pfs_error_set(err, EACCES, "%s: pods \"%s\" is forbidden: %s", filename, pod->name, v);
        free(v);
        v = check(pod, &pol[1]);
        if (v)
                pfs_buf_printf(w, "%s%s: Warning: would violate%s (pod \"%s\" was accepted)", w->len ? "\n" : "",
                               filename, v + strlen("violates"), pod->name);
        free(v);
        v = check(pod, &pol[2]);
        if (v)
                pfs_log(LOG_NOTICE, "namespace %s: audit: pod \"%s\" would violate%s", ns, pod->name,
                        v + strlen("violates"));
        return 0;
}

/* The admission's exemptions.namespaces: such a namespace is not evaluated. */
static bool ns_exempt(const struct podfs *fs, const char *ns)
{
        size_t n = strlen(ns);

        for (const char *t = fs->pss_exempt_namespaces; t && *t; t += strcspn(t, ","), t += *t == ',')
                if (strcspn(t, ",") == n && !strncmp(t, ns, n))
                        return true;
        return false;
}

int pss_admit(struct podfs *fs, const char *ns, const struct pfs_ns_doc *pending, const char *filename,
              struct pod_spec *const *pods, size_t n, char **ret_warning, struct pfs_error *err)
{
        struct pss_policy pol[3];
        struct pfs_buf w = { 0 };
        int r = 0;

        *ret_warning = NULL;
        if (ns_exempt(fs, ns))
                return 0;
        pol[0] = policy_of(fs, ns, pending, "enforce", fs->pss_enforce);
        pol[1] = policy_of(fs, ns, pending, "warn", fs->pss_warn);
        pol[2] = policy_of(fs, ns, pending, "audit", PFS_PSS_PRIVILEGED);
        for (size_t i = 0; i < n && r == 0; i++)
                r = admit_one(ns, filename, pods[i], pol, &w, err);
        for (size_t i = 0; i < ARRAY_SIZE(pol); i++)
                free(pol[i].version);
        *ret_warning = r == 0 && w.len ? pfs_buf_steal(&w) : NULL;
        pfs_buf_free(&w);
        return r;
}

/* ---- <ns>/.namespace.yaml ---- */

static int ns_yaml_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        _cleanup_free_ char *s = NULL;

        if (!model_ns_exists(&fs->model, n->ns))
                return -ENOENT;
        s = ns_namespace_yaml(fs, n->ns);
        st->st_mode = S_IFREG | 0444;
        st->st_size = (off_t)strlen(s);
        node_ts_set(&st->st_mtim, pfs_now_realtime_ns());
        st->st_atim = st->st_ctim = st->st_mtim;
        return 0;
}

static int ns_yaml_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len)
{
        node_cache_drop(n);
        n->cache = ns_namespace_yaml(fs, n->ns);
        n->cache_len = strlen(n->cache);
        *ret = n->cache;
        *ret_len = n->cache_len;
        return 0;
}

static int ns_yaml_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        if ((flags & O_ACCMODE) != O_RDONLY)
                return -EACCES;
        return node_open_snapshot(fs, n, fh);
}

const struct node_ops node_ns_yaml_ops = {
        .stat = ns_yaml_stat,
        .content = ns_yaml_content,
        .open = ns_yaml_open,
        .setattr = node_setattr_none,
};
