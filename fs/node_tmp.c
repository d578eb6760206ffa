/* Node kind: an in-memory temp file in a namespace or pod dir (editors,
 * rsync, install write one and rename it onto spec.yaml or *.yaml; a *.yaml
 * dropped into a namespace is applied on close). The file itself is the
 * model's (struct tmpfile); writes go through tmpfile.c. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "fs.h"

struct node *node_tmp_child(struct podfs *fs, const struct tmpfile *t, const char *ns, const char *pod,
                            unsigned epoch, const char *name)
{
        bool created;
        struct node *n = node_intern(&fs->nodes, &(struct node_key){ .kind = NODE_TMP, .tmp_id = t->id }, &created);

        if (created) {
                n->ns = xstrdup(ns);
                n->pod = xstrdup(pod);
                n->epoch = epoch;
        }
        n->tmp_id = t->id;
        if (!n->name || strcmp(n->name, name)) {
                free(n->name);
                n->name = xstrdup(name);
        }
        return n;
}

static int tmp_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        struct tmpfile *t = model_tmp_find_id(&fs->model, n->tmp_id);

        if (!t)
                return -ENOENT;
        st->st_mode = S_IFREG | (t->mode & 07777);
        st->st_uid = t->uid;
        st->st_gid = t->gid;
        st->st_size = (off_t)(t->ghost && !t->data.len ? t->ghost_len : t->data.len);
        node_ts_set(&st->st_mtim, t->mtime_ns);
        st->st_atim = st->st_ctim = st->st_mtim;
        return 0;
}

static int tmp_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len)
{
        struct tmpfile *t = model_tmp_find_id(&fs->model, n->tmp_id);

        if (!t)
                return -ENOENT;
        *ret = t->data.data ? t->data.data : "";
        *ret_len = t->data.len;
        return 0;
}

static int tmp_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        struct tmpfile *t = model_tmp_find_id(&fs->model, n->tmp_id);
        bool wr = (flags & O_ACCMODE) != O_RDONLY;

        if (!t)
                return -ENOENT;
        fh->kind = FH_TMP;
        fh->tmp = t;
        t->open_count++;
        if (wr)
                t->writer = fs->req_pid;
        if (wr && (flags & O_TRUNC)) {
                wbuf_truncate(fs, t->uid, &t->data, 0);
                t->too_big = false;
                t->write_err = 0;
                t->dirty = true;
        }
        return 0;
}

/* (the kernel lets only root chown) the new owner is charged, as a disk
 * quota does: EDQUOT when it holds its share */
static int tmp_chown(struct podfs *fs, struct tmpfile *t, uid_t uid)
{
        int r;

        quota_resize(fs, t->uid, t->data.len, 0);
        if (!t->ghost)
                quota_file_del(fs, t->uid);
        r = quota_resize(fs, uid, 0, t->data.len);
        if (r == 0 && !t->ghost && (r = quota_file_add(fs, uid)) < 0)
                quota_resize(fs, uid, t->data.len, 0);
        if (r < 0) {
                quota_resize(fs, t->uid, 0, t->data.len);
                if (!t->ghost)
                        quota_file_add(fs, t->uid);
                return -EDQUOT;
        }
        t->uid = uid;
        return 0;
}

static int tmp_setattr(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        struct tmpfile *t = model_tmp_find_id(&fs->model, n->tmp_id);
        int r;

        if (!t)
                return -ENOENT;
        if (to_set & FUSE_SET_ATTR_MODE)
                t->mode = attr->st_mode & 07777;
        if ((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != t->uid && (r = tmp_chown(fs, t, attr->st_uid)) < 0)
                return r;
        if (to_set & FUSE_SET_ATTR_GID)
                t->gid = attr->st_gid;
        if ((to_set & FUSE_SET_ATTR_SIZE) && (r = tmpfile_truncate(fs, n, NULL, attr->st_size)) < 0)
                return r;
        if (to_set & FUSE_SET_ATTR_MTIME)
                t->mtime_ns = (to_set & FUSE_SET_ATTR_MTIME_NOW)
                                      ? pfs_now_realtime_ns()
                                      : (int64_t)attr->st_mtim.tv_sec * 1000000000LL + attr->st_mtim.tv_nsec;
        return 0;
}

const struct node_ops node_tmp_ops = {
        .stat = tmp_stat,
        .content = tmp_content,
        .open = tmp_open,
        .setattr = tmp_setattr,
};
