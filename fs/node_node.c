/* Node kinds: MNT/.node/, the Node object of this machine (include/pfs/node.h):
 * node.json (kubectl get node -o json), and labels and taints, text files
 * root may rewrite (`echo disktype=ssd >> MNT/.node/labels`, lines
 * `key=value:NoSchedule` in taints). A rewrite is checked and made durable
 * in STATE/node/ on close; a wrong line refuses the whole write (EINVAL, the
 * message in the daemon's log). Everything is read from the state dir per
 * request. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "fs.h"
#include "pfs/node.h"
#include "pfs/yval.h"

enum { NF_JSON, NF_LABELS, NF_TAINTS, NF__MAX };
static const char *const node_file_names[NF__MAX] = { "node.json", "labels", "taints" };

static int dir_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        for (int i = 0; i < NF__MAX; i++)
                if (!strcmp(name, node_file_names[i])) {
                        *ret = node_child(fs, &(struct node_key){ .kind = NODE_NODE_FILE, .file = i });
                        return 0;
                }
        return -ENOENT;
}

static int dir_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        for (int i = 0; i < NF__MAX; i++)
                fn(data, node_file_names[i], S_IFREG);
        return 0;
}

const struct node_ops node_node_dir_ops = {
        .lookup = dir_lookup,
        .list = dir_list,
        .stat = node_stat_dir_now,
        .setattr = node_setattr_times_only,
};

static int render(struct podfs *fs, int file, char **ret, size_t *ret_len)
{
        struct pfs_node *nd = NULL;
        struct pfs_error err = { 0 };
        struct pfs_buf b = { 0 };
        struct yval *y;
        int r = pfs_node_load(fs->dirs.state_fd, &nd, &err);

        if (r < 0) {
                pfs_log(LOG_WARNING, "node: %s", err.msg);
                return r;
        }
        if (file == NF_LABELS) {
                *ret = pfs_node_labels_text(nd);
        } else if (file == NF_TAINTS) {
                *ret = pfs_node_taints_text(nd);
        } else {
                y = pfs_node_to_yval(nd, fs->dirs.state_fd, fs->sandbox.max_pods);
                yval_emit_json(y, true, &b);
                yval_free(y);
                *ret = b.data ? pfs_buf_steal(&b) : xstrdup("");
        }
        *ret_len = strlen(*ret);
        pfs_node_free(nd);
        return 0;
}

static int file_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len)
{
        char *c = NULL;
        size_t len = 0;
        int r = render(fs, n->file, &c, &len);

        if (r < 0)
                return r;
        node_cache_drop(n);
        n->cache = c;
        n->cache_len = len;
        *ret = c;
        *ret_len = len;
        return 0;
}

static int file_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        const char *c;
        size_t len;
        int r = file_content(fs, n, &c, &len);

        if (r < 0)
                return r;
        st->st_mode = S_IFREG | (n->file == NF_JSON ? 0444 : 0644);
        st->st_size = (off_t)len;
        node_ts_set(&st->st_mtim, pfs_now_realtime_ns());
        st->st_atim = st->st_ctim = st->st_mtim;
        return 0;
}

/* A write buffer as a ConfigMap key's (FH_OBJKEY): objects_key_flush hands it to node_file_flush. */
static int file_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        const char *c;
        size_t len;
        int r;

        if ((flags & O_ACCMODE) == O_RDONLY)
                return node_open_snapshot(fs, n, fh);
        if (n->file == NF_JSON)
                return -EACCES;
        fh->kind = FH_OBJKEY;
        fh->append = (flags & O_APPEND) != 0;
        if (flags & O_TRUNC) {
                fh->dirty = true;
                return 0;
        }
        r = file_content(fs, n, &c, &len);
        return r < 0 ? r : wbuf_write_at(fs, fh->owner, &fh->wbuf, c, len, 0);
}

static int file_setattr(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        if (!(to_set & FUSE_SET_ATTR_SIZE) || n->file == NF_JSON)
                return node_setattr_none(fs, n, fh, attr, to_set);
        if (fh && fh->kind == FH_OBJKEY)
                return tmpfile_truncate(fs, n, fh, attr->st_size);
        if (attr->st_size != 0)
                return -EPERM;
        return n->file == NF_LABELS ? node_file_set(fs, NF_LABELS, "", 0) : node_file_set(fs, NF_TAINTS, "", 0);
}

const struct node_ops node_node_file_ops = {
        .stat = file_stat,
        .content = file_content,
        .open = file_open,
        .setattr = file_setattr,
};

int node_file_set(struct podfs *fs, int file, const char *text, size_t len)
{
        struct pfs_error err = { 0 };
        int r = file == NF_LABELS ? pfs_node_labels_set(fs->dirs.state_fd, text, len, &err)
                                  : pfs_node_taints_set(fs->dirs.state_fd, text, len, &err);

        if (r < 0)
                pfs_log(LOG_WARNING, ".node/%s: %s", node_file_names[file], err.msg);
        else if (file == NF_TAINTS)
                taints_changed(fs);
        return r;
}

int node_file_flush(struct podfs *fs, struct fh *fh, bool last)
{
        if (!fh->dirty || (!last && fh->wbuf.len == 0))
                return 0;
        fh->dirty = false;
        if (fh->too_big)
                return -EFBIG;
        if (fh->write_err)
                return -fh->write_err;
        return node_file_set(fs, fh->node->file, fh->wbuf.data ? fh->wbuf.data : "", fh->wbuf.len);
}
