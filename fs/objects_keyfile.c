/* A key file of a ConfigMap or Secret opened for writing: a write buffer
 * (FH_OBJKEY, charged to the writer as spec.yaml's is), set as the key's
 * value on close through objects.c. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "fs.h"
#include "pfs/object.h"

int objects_key_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        struct pfs_object *o = NULL;
        const struct pfs_object_item *it;
        int r;

        fh->kind = FH_OBJKEY;
        fh->append = (flags & O_APPEND) != 0;
        if (flags & O_TRUNC) {
                fh->dirty = true;
                return 0;
        }
        r = pfs_object_read_at(fs->dirs.state_fd, (enum pfs_object_kind)n->file, n->ns, n->pod, &o, NULL);
        if (r < 0)
                return r;
        it = pfs_object_item(o, n->ctr);
        r = it ? wbuf_write_at(fs, fh->owner, &fh->wbuf, (const char *)it->value, it->len, 0) : -ENOENT;
        pfs_object_free(o);
        return r;
}

int objects_key_create(struct podfs *fs, struct node *dir, const char *name, int flags, struct fh **ret_fh)
{
        struct pfs_object *o = NULL;
        const struct pfs_object_item *it;
        struct fh *fh;
        int r = pfs_object_read_at(fs->dirs.state_fd, (enum pfs_object_kind)dir->file, dir->ns, dir->pod, &o, NULL);

        if (r < 0)
                return r;
        it = pfs_object_item(o, name);
        if (dir->file == PFS_OBJ_PVC || !strncmp(name, "..", 2))
                r = -EPERM;
        /* the key exists at once (empty), as touch(1) expects */
        else if (!it)
                r = objects_key_change(fs, dir->ns, dir->file, dir->pod, name, "", 0);
        if (r < 0) {
                pfs_object_free(o);
                return r;
        }
        fh = xcalloc(1, sizeof(*fh));
        fh->kind = FH_OBJKEY;
        fh->owner = fs->req_uid;
        fh->group = fs->req_gid;
        fh->append = (flags & O_APPEND) != 0;
        fh->dirty = it && (flags & O_TRUNC);
        if (it && !(flags & O_TRUNC))
                r = wbuf_write_at(fs, fh->owner, &fh->wbuf, (const char *)it->value, it->len, 0);
        pfs_object_free(o);
        if (r < 0) {
                fh_free(fs, fh);
                return r;
        }
        *ret_fh = fh;
        return 0;
}

/* On close: an empty value only at the last close (a shell's `> key` closes
 * its first fd before the command writes). */
int objects_key_flush(struct podfs *fs, struct fh *fh, bool last)
{
        struct node *n = fh->node;
        struct pfs_error err = { 0 };
        _cleanup_free_ char *path = NULL;

        if (n && n->kind == NODE_NODE_FILE)
                return node_file_flush(fs, fh, last);
        if (!fh->dirty || !n || (!last && fh->wbuf.len == 0))
                return 0;
        fh->dirty = false;
        path = xasprintf("%s/%s/%s/%s", n->ns, objects_kind_dir(n->file), n->pod, n->ctr);
        if (fh->too_big)
                return objects_rejected(fs, n->ns, &err, pfs_error_set(&err, EFBIG, "%s: Too long: must have at "
                                                                       "most %d bytes", path, PFS_OBJECT_MAX_DATA),
                                        NULL);
        if (fh->write_err)
                return objects_rejected(fs, n->ns, &err, pfs_error_set(&err, fh->write_err, "%s: a write failed "
                                                                       "(%s): nothing applied", path,
                                                                       strerror(fh->write_err)),
                                        NULL);
        return objects_key_change(fs, n->ns, n->file, n->pod, n->ctr, fh->wbuf.data ? fh->wbuf.data : "",
                                  fh->wbuf.len);
}
