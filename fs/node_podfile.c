/* Node kind: a pod's own files <ns>/<pod>/<file>: spec.yaml (writable:
 * tmpfile.c, accepted by apply.c), the rendered status files, and the control files delete (a
 * deletion request: delete.c) and wait (blocks until the pod is gone). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "fs.h"

/* Who may read what (README "Security model"). A pod's files can hold secrets
 * (env values in the spec, exec probe and hook output in events and status,
 * termination messages, logs): its owner and root only. phase, conditions
 * (types, True/False, kubelet's fixed reasons) and wait tell only what state
 * the pod is in, ip where it is: everybody. delete: its owner (and root). */
static mode_t pod_file_mode(int file)
{
        switch (file) {
        case PF_SPEC:
                return 0600;
        case PF_PHASE:
        case PF_CONDITIONS:
        case PF_WAIT:
        case PF_IP:
                return 0444;
        case PF_DELETE:
                return 0200;
        default:
                return 0400;
        }
}

/* spec.yaml opened for writing: what the writer holds starts as the
 * accepted manifest (unless truncated); applied on flush (tmpfile.c). */
static int open_spec_for_writing(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        const char *c;
        size_t len;
        int r;

        fh->kind = FH_SPEC;
        fh->append = (flags & O_APPEND) != 0;
        if (flags & O_TRUNC) {
                fh->dirty = true;
                return 0;
        }
        r = node_pod_content(fs, n, &c, &len);
        if (r < 0)
                return r;
        return wbuf_write_at(fs, fh->owner, &fh->wbuf, c, len, 0);
}

static int pod_file_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        const char *c;
        size_t len;
        int r = node_in_live_pod_stat(fs, n, st);

        if (r < 0)
                return r;
        if (n->file == PF_SPEC) {
                struct name_ent *e = model_name_get(&fs->model, n->ns, n->pod, false);

                if (e && e->spec_hidden)
                        return -ENOENT;
        }
        r = node_pod_content(fs, n, &c, &len);
        if (r < 0)
                return r;
        st->st_mode = S_IFREG | pod_file_mode(n->file);
        st->st_size = (off_t)len;
        return 0;
}

static int pod_file_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        int acc = flags & O_ACCMODE;
        struct pod_ref ref;
        int r;

        if (n->file == PF_SPEC && acc != O_RDONLY)
                return open_spec_for_writing(fs, n, flags, fh);
        if (n->file == PF_DELETE) {
                if (acc != O_WRONLY)
                        return -EACCES;
                fh->kind = FH_DELETE;
                fh->dirty = (flags & O_TRUNC) != 0;
                return 0;
        }
        if (acc != O_RDONLY)
                return -EACCES;
        if (n->file != PF_WAIT)
                return node_open_snapshot(fs, n, fh);
        r = model_pod_ref(&fs->model, n->ns, n->pod, &ref);
        if (r < 0)
                return r;
        fh->kind = FH_WAIT;
        memcpy(fh->uid, ref.uid, 37);
        return 0;
}

/* mode, owner and times of spec.yaml follow the pod: writers like
 * install/cp -p/rsync set them, and that must not fail */
static int pod_file_setattr(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        if (!(to_set & FUSE_SET_ATTR_SIZE))
                return 0;
        if (n->file == PF_SPEC || n->file == PF_DELETE)
                return tmpfile_truncate(fs, n, fh, attr->st_size);
        return -EACCES;
}

const struct node_ops node_pod_file_ops = {
        .stat = pod_file_stat,
        .content = node_pod_content,
        .open = pod_file_open,
        .setattr = pod_file_setattr,
};
