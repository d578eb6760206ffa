/* Node kinds: a namespace's objects, <ns>/.configmaps/<name>/<key> (and
 * .secrets, .pvcs): one dir per object, one file per key (the decoded
 * value), "..object.yaml" (the object as kubectl get -o yaml shows it; no key
 * can start with ".."), and a claim's "path" (its data dir on the node).
 * Everything is read from the state dir on each request. Secrets show as
 * root's, 0700/0600, whatever the mount's permissions. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "fs.h"
#include "pfs/object.h"

#define OBJECT_FILE "..object.yaml"
#define CLAIM_PATH_FILE "path"

/* Borrowed (objects.c keeps the last one read): never freed here. */
static int obj_read(struct podfs *fs, const struct node *n, const struct pfs_object **ret)
{
        int r = objects_get(fs, n->file, n->ns, n->pod, ret);

        return r == -ENOENT ? r : r < 0 ? -EIO : 0;
}

/* ---- <ns>/.configmaps ---- */

static int kind_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        const struct pfs_object *o;
        int r;

        if (notifier && objects_announce_pending(fs, dir->ns, dir->file, name, false))
                return -ENOENT;
        r = objects_get(fs, dir->file, dir->ns, name, &o);
        if (r < 0)
                return r == -ENOENT ? r : -EIO;
        /* an object made again under the same name is a new dir (the kernel
         * marked the removed one dead): its incarnation is its uid */
        *ret = node_child(fs, &(struct node_key){ .kind = NODE_OBJ, .ns = dir->ns, .pod = name, .file = dir->file,
                                                  .epoch = (unsigned)content_hash(o->uid, strlen(o->uid)) });
        return 0;
}

static int kind_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        char **names = NULL;
        size_t n = 0;
        int r = pfs_object_list_at(fs->dirs.state_fd, (enum pfs_object_kind)dir->file, dir->ns, &names, &n, NULL);

        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                fn(data, names[i], S_IFDIR);
                free(names[i]);
        }
        free(names);
        return 0;
}

/* Who may create pods in the namespace may create objects: its mode and owner. */
static int kind_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        struct stat s;

        if (fstatat(fs->dirs.ns_fd, n->ns, &s, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        st->st_mode = S_IFDIR | (s.st_mode & 07777);
        st->st_nlink = 2;
        st->st_uid = s.st_uid;
        st->st_gid = s.st_gid;
        st->st_atim = s.st_atim;
        st->st_mtim = s.st_mtim;
        st->st_ctim = s.st_ctim;
        return 0;
}

const struct node_ops node_obj_kind_ops = {
        .lookup = kind_lookup,
        .list = kind_list,
        .stat = kind_stat,
        .setattr = node_setattr_none,
};

/* ---- <ns>/.configmaps/<name> ---- */

static int obj_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        const struct pfs_object *o = NULL;
        bool found;
        int r = obj_read(fs, dir, &o);

        if (r < 0)
                return r;
        if (o->kind == PFS_OBJ_PVC)
                found = !strcmp(name, OBJECT_FILE) || !strcmp(name, CLAIM_PATH_FILE);
        else
                found = !strcmp(name, OBJECT_FILE) || pfs_object_item(o, name);
        if (!found)
                return -ENOENT;
        *ret = node_child(fs, &(struct node_key){ .kind = NODE_OBJ_FILE, .ns = dir->ns, .pod = dir->pod,
                                                  .ctr = name, .file = dir->file, .epoch = dir->epoch });
        return 0;
}

static int obj_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        const struct pfs_object *o = NULL;
        int r = obj_read(fs, dir, &o);

        if (r < 0)
                return r;
        fn(data, OBJECT_FILE, S_IFREG);
        if (o->kind == PFS_OBJ_PVC)
                fn(data, CLAIM_PATH_FILE, S_IFREG);
        for (size_t i = 0; i < o->n_items; i++)
                fn(data, o->items[i].key, S_IFREG);
        return 0;
}

/* Owner, group and times of what shows an object (a Secret's: root's). */
static void obj_attrs(const struct pfs_object *o, struct stat *st, mode_t mode)
{
        bool secret = o->kind == PFS_OBJ_SECRET;

        st->st_mode = mode;
        st->st_uid = secret ? 0 : o->owner;
        st->st_gid = secret ? 0 : o->group;
        node_ts_set(&st->st_mtim, o->creation_ns);
        st->st_atim = st->st_ctim = st->st_mtim;
}

static int obj_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        const struct pfs_object *o = NULL;
        int r = obj_read(fs, n, &o);

        if (r < 0)
                return r;
        obj_attrs(o, st, S_IFDIR | (o->kind == PFS_OBJ_SECRET ? 0700 : 0755));
        st->st_nlink = 2;
        return 0;
}

const struct node_ops node_obj_ops = {
        .lookup = obj_lookup,
        .list = obj_list,
        .stat = obj_stat,
        .setattr = node_setattr_none,
};

/* ---- the files of an object ---- */

/* The file's bytes (a new string) or -ENOENT. */
static int file_render(struct podfs *fs, const struct pfs_object *o, const char *name, char **ret, size_t *ret_len)
{
        const struct pfs_object_item *it;

        if (!strcmp(name, OBJECT_FILE)) {
                struct pfs_buf b = { 0 };
                struct yval *v = pfs_object_to_yval(o, false);

                yval_emit_yaml(v, &b);
                yval_free(v);
                *ret_len = b.len;
                *ret = pfs_buf_steal(&b);
                return 0;
        }
        if (o->kind == PFS_OBJ_PVC) {
                if (strcmp(name, CLAIM_PATH_FILE))
                        return -ENOENT;
                *ret = xasprintf("%s/claims/%s/%s\n", fs->state_dir, o->namespace, o->name);
                *ret_len = strlen(*ret);
                return 0;
        }
        if (!(it = pfs_object_item(o, name)))
                return -ENOENT;
        *ret = xmalloc(it->len + 1);
        memcpy(*ret, it->value, it->len + 1);
        *ret_len = it->len;
        return 0;
}

static mode_t file_mode(const struct pfs_object *o, const char *name)
{
        bool ro = !strcmp(name, OBJECT_FILE) || o->kind == PFS_OBJ_PVC;

        if (o->kind == PFS_OBJ_SECRET)
                return S_IFREG | (ro ? 0400 : 0600);
        return S_IFREG | (ro ? 0444 : 0644);
}

static int file_load(struct podfs *fs, struct node *n, const struct pfs_object **ret_o, char **ret, size_t *ret_len)
{
        const struct pfs_object *o = NULL;
        int r = obj_read(fs, n, &o);

        if (r < 0)
                return r;
        r = file_render(fs, o, n->ctr, ret, ret_len);
        if (r == 0 && ret_o)
                *ret_o = o;
        return r;
}

static int file_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        const struct pfs_object *o = NULL;
        _cleanup_free_ char *c = NULL;
        size_t len;
        int r = file_load(fs, n, &o, &c, &len);

        if (r < 0)
                return r;
        obj_attrs(o, st, file_mode(o, n->ctr));
        st->st_size = (off_t)len;
        return 0;
}

static int file_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len)
{
        char *c = NULL;
        size_t len;
        int r = file_load(fs, n, NULL, &c, &len);

        if (r < 0)
                return r;
        node_cache_drop(n);
        n->cache = c;
        n->cache_len = len;
        *ret = c;
        *ret_len = len;
        return 0;
}

static bool file_writable(const struct node *n)
{
        return n->file != PFS_OBJ_PVC && strcmp(n->ctr, OBJECT_FILE);
}

static int file_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        if ((flags & O_ACCMODE) == O_RDONLY)
                return node_open_snapshot(fs, n, fh);
        if (!file_writable(n))
                return -EACCES;
        return objects_key_open(fs, n, flags, fh);
}

/* truncate(2): a key's value cut or zero-filled (with an open writer: its buffer). */
static int file_setattr(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        const char *c;
        char *v;
        size_t len, size;
        int r;

        if (!(to_set & FUSE_SET_ATTR_SIZE) || (fh && fh->kind != FH_OBJKEY))
                return node_setattr_none(fs, n, fh, attr, to_set);
        if (!file_writable(n))
                return -EACCES;
        if (fh)
                return tmpfile_truncate(fs, n, fh, attr->st_size);
        if (attr->st_size < 0 || attr->st_size > PFS_OBJECT_MAX_DATA)
                return -EFBIG;
        r = node_content(fs, n, &c, &len);
        if (r < 0)
                return r;
        size = (size_t)attr->st_size;
        v = xcalloc(1, size + 1);
        memcpy(v, c, len < size ? len : size);
        r = objects_key_change(fs, n->ns, n->file, n->pod, n->ctr, v, size);
        free(v);
        return r;
}

const struct node_ops node_obj_file_ops = {
        .stat = file_stat,
        .content = file_content,
        .open = file_open,
        .setattr = file_setattr,
};
