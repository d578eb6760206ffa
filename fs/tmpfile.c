/* The write path: per-open write buffers (spec.yaml, delete) and in-memory
 * temp files, their bytes charged to the writer (quota.c); write, truncate,
 * flush, release, unlink and rename. A closed spec.yaml or *.yaml drop file,
 * or a temp file renamed onto such a name (rsync, sed -i, editors), goes to
 * apply.c to be accepted as a manifest; a closed delete file to delete.c; a
 * key file of a ConfigMap or Secret to objects_keyfile.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"
#include "pfs/object.h"

#define GHOST_NS (2LL * 1000000000LL)

/* ---- temp files ---- */

static void tmp_free(struct podfs *fs, struct tmpfile *t)
{
        if (!t->ghost)
                quota_file_del(fs, t->uid);
        wbuf_free(fs, t->uid, &t->data);
        free(t->ns);
        free(t->pod);
        free(t->name);
        free(t);
}

void tmp_unlink(struct podfs *fs, struct tmpfile *t)
{
        podfs_timer_cancel(fs, t);
        model_tmp_remove(&fs->model, t);
        if (t->open_count > 0)
                t->orphan = true;
        else
                tmp_free(fs, t);
}

static void ghost_expire(struct podfs *fs, void *data)
{
        struct tmpfile *t = data;

        if (t->open_count > 0) {
                podfs_timer_add(fs, pfs_now_monotonic_ns() + GHOST_NS, ghost_expire, t);
                return;
        }
        tmp_unlink(fs, t);
}

/* NULL when uid holds its share of temp files already (EDQUOT). */
static struct tmpfile *tmp_new(struct podfs *fs, const char *ns, const char *pod, const char *name, mode_t mode,
                               uid_t uid, gid_t gid)
{
        struct tmpfile *t;

        if (quota_file_add(fs, uid) < 0)
                return NULL;
        t = model_tmp_add(&fs->model, ns, pod, name);
        t->mode = mode & 07777;
        t->uid = uid;
        t->gid = gid;
        t->mtime_ns = pfs_now_realtime_ns();
        return t;
}

bool name_is_manifest(const char *name)
{
        size_t l = strlen(name);

        if (name[0] == '.')
                return false;
        return (l > 5 && !strcmp(name + l - 5, ".yaml")) || (l > 4 && !strcmp(name + l - 4, ".yml")) ||
               (l > 5 && !strcmp(name + l - 5, ".json"));
}

/* A temp file in a pod dir: spec.yaml of a placeholder (or after unlink), or
 * any name the pod does not have. */
static int create_in_pod(struct podfs *fs, struct node *dir, const char *name, mode_t mode, struct tmpfile **ret)
{
        struct name_ent *e = model_name_get(&fs->model, dir->ns, dir->pod, false);
        struct pod_ref ref;
        int r = model_pod_ref(&fs->model, dir->ns, dir->pod, &ref);

        if (r < 0)
                return r;
        if (model_tmp_find(&fs->model, dir->ns, dir->pod, name))
                return -EEXIST;
        if (!strcmp(name, "spec.yaml")) {
                if (!ref.placeholder && !(e && e->spec_hidden))
                        return -EEXIST;
        } else if (!ref.placeholder && pod_name_class(name) != POD_NAME_FREE) {
                return -EEXIST;
        }
        *ret = tmp_new(fs, dir->ns, dir->pod, name, mode, fs->req_uid, fs->req_gid);
        if (!*ret)
                return -EDQUOT;
        (*ret)->pod_spec = !strcmp(name, "spec.yaml");
        return 0;
}

/* A temp file in a namespace dir (a *.yaml is applied on close). */
static int create_in_ns(struct podfs *fs, struct node *dir, const char *name, mode_t mode, struct tmpfile **ret)
{
        struct pod_ref ref;
        struct tmpfile *t;

        if (!strcmp(name, ".last-error") || objects_kind_of_dir(name) >= 0)
                return -EEXIST;
        t = model_tmp_find(&fs->model, dir->ns, NULL, name);
        if (t && t->ghost)
                tmp_unlink(fs, t);
        else if (t)
                return -EEXIST;
        if (model_pod_ref(&fs->model, dir->ns, name, &ref) == 0)
                return -EEXIST;
        *ret = tmp_new(fs, dir->ns, NULL, name, mode, fs->req_uid, fs->req_gid);
        if (!*ret)
                return -EDQUOT;
        (*ret)->manifest_drop = name_is_manifest(name);
        return 0;
}

int tmpfile_create(struct podfs *fs, struct node *parent, const char *name, mode_t mode, int flags,
                 struct fh **ret_fh)
{
        struct tmpfile *t = NULL;
        struct fh *fh;
        int r;

        if (!model_name_valid(name))
                return -EINVAL;
        if (parent->kind == NODE_POD)
                r = create_in_pod(fs, parent, name, mode, &t);
        else if (parent->kind == NODE_NS)
                r = create_in_ns(fs, parent, name, mode, &t);
        else if (parent->kind == NODE_OBJ)
                return objects_key_create(fs, parent, name, flags, ret_fh);
        else
                r = -EPERM;
        if (r < 0)
                return r;
        t->open_count = 1;
        t->writer = fs->req_pid;
        fh = xcalloc(1, sizeof(*fh));
        fh->kind = FH_TMP;
        fh->tmp = t;
        fh->append = (flags & O_APPEND) != 0;
        *ret_fh = fh;
        return 0;
}

static int delete_write_check(struct podfs *fs, struct fh *fh);

int tmpfile_write(struct podfs *fs, struct fh *fh, const char *buf, size_t size, off_t off)
{
        struct pfs_buf *b;
        uid_t who = fh->owner;
        int r;

        switch (fh->kind) {
        case FH_SPEC:
        case FH_DELETE:
        case FH_OBJKEY:
                b = &fh->wbuf;
                break;
        case FH_TMP:
                b = &fh->tmp->data;
                who = fh->tmp->uid;
                break;
        default:
                return -EBADF;
        }
        if (fh->append)
                off = (off_t)b->len;
        /* a grace period in seconds: nothing to hold a megabyte for */
        if (fh->kind == FH_DELETE && (off < 0 || (size_t)off + size > 4096))
                return -EFBIG;
        r = wbuf_write_at(fs, who, b, buf, size, off);
        if (r == -EFBIG) {
                fh->too_big = true;
                if (fh->kind == FH_TMP)
                        fh->tmp->too_big = true;
        } else if (r < 0) {
                fh->write_err = -r;
                if (fh->kind == FH_TMP)
                        fh->tmp->write_err = -r;
        }
        if (r < 0)
                return r;
        if (fh->kind == FH_DELETE && (r = delete_write_check(fs, fh)) < 0)
                return r;
        fh->dirty = true;
        if (fh->kind == FH_TMP) {
                fh->tmp->dirty = true;
                fh->tmp->mtime_ns = pfs_now_realtime_ns();
        }
        return 0;
}

int tmpfile_truncate(struct podfs *fs, struct node *n, struct fh *fh, off_t size)
{
        int r;

        if (n->kind == NODE_TMP) {
                struct tmpfile *t = fh && fh->kind == FH_TMP ? fh->tmp : model_tmp_find_id(&fs->model, n->tmp_id);

                if (!t)
                        return -ENOENT;
                r = wbuf_truncate(fs, t->uid, &t->data, size);
                if (r < 0)
                        return r;
                if (size == 0) {
                        /* a fresh start: what failed before is gone */
                        t->too_big = false;
                        t->write_err = 0;
                }
                t->dirty = true;
                t->mtime_ns = pfs_now_realtime_ns();
                return 0;
        }
        if (!fh || (fh->kind != FH_SPEC && fh->kind != FH_DELETE && fh->kind != FH_OBJKEY))
                return -EPERM;
        r = wbuf_truncate(fs, fh->owner, &fh->wbuf, size);
        if (r < 0)
                return r;
        if (size == 0) {
                fh->too_big = false;
                fh->write_err = 0;
        }
        fh->dirty = true;
        return 0;
}

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\n';
}

/* What was written to delete so far: blanks, digits, blanks. With done
 * (the close), the digits must be there; else they may still come. */
static bool delete_text_ok(const char *s, size_t len, bool done)
{
        size_t i = 0, digits;

        while (i < len && is_blank(s[i]))
                i++;
        for (digits = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
                digits++;
        while (i < len && is_blank(s[i]))
                i++;
        return i == len && (digits > 0 || !done) && digits <= 18;
}

static int delete_refused(struct podfs *fs, struct fh *fh)
{
        struct pfs_error err = {0};
        const char *s = fh->wbuf.data ? fh->wbuf.data : "";
        size_t len = fh->wbuf.len, skip = 0;
        int l;

        while (skip < len && is_blank(s[skip]))
                skip++;
        l = (int)strcspn(s + skip, "\n");
        if ((size_t)l > len - skip)
                l = (int)(len - skip);
        pfs_error_set(&err, EINVAL, "%s/%s/delete: write a grace period in seconds (0 = now), got \"%.*s\"",
                      fh->node->ns, fh->node->pod, l > 40 ? 40 : l, s + skip);
        return apply_rejected(fs, fh->node->ns, &err, -EINVAL);
}

/* A write that cannot become a grace period fails at once (EINVAL), not at
 * the close: a shell's `echo 5s > delete` reports it (the shell ignores the
 * close's error). What was written is dropped. */
static int delete_write_check(struct podfs *fs, struct fh *fh)
{
        int r;

        if (delete_text_ok(fh->wbuf.data, fh->wbuf.len, false))
                return 0;
        r = delete_refused(fs, fh);
        wbuf_truncate(fs, fh->owner, &fh->wbuf, 0);     /* uncharged too */
        fh->dirty = false;
        return r;
}

static int flush_delete(struct podfs *fs, struct fh *fh)
{
        struct pfs_error err = {0};
        long long grace;
        int r;

        if (!delete_text_ok(fh->wbuf.data, fh->wbuf.len, true))
                return delete_refused(fs, fh);
        grace = strtoll(fh->wbuf.data, NULL, 10);
        r = delete_request(fs, fh->node->ns, fh->node->pod, grace, false, &err);
        if (r < 0)
                return apply_rejected(fs, fh->node->ns, &err, r);
        return 0;
}

int tmpfile_flush(struct podfs *fs, struct fh *fh)
{
        int r;

        switch (fh->kind) {
        case FH_SPEC:
                /* `cmd > spec.yaml`: the shell opens with O_TRUNC, dup2()s
                 * and closes its fd before cmd writes: nothing to apply yet */
                if (!fh->dirty || fh->wbuf.len == 0)
                        return 0;
                fh->dirty = false;
                return apply_spec(fs, fh->node->ns, fh->node->pod, &fh->wbuf, fh->too_big, fh->write_err, fh->owner,
                                  fh->group);
        case FH_DELETE:
                if (!fh->dirty || fh->wbuf.len == 0)
                        return 0;
                fh->dirty = false;
                return flush_delete(fs, fh);
        case FH_OBJKEY:
                return objects_key_flush(fs, fh, false);
        case FH_TMP: {
                struct tmpfile *t = fh->tmp;

                if (t->orphan || !(t->pod_spec || t->manifest_drop))
                        return 0;
                if (!t->dirty || t->data.len == 0)
                        return 0;
                t->dirty = false;
                r = apply_tmp(fs, t, t->name);
                if (r == 0 && t->manifest_drop) {
                        /* applied: only its name and size stay for a moment */
                        if (!t->ghost)
                                quota_file_del(fs, t->uid);
                        t->ghost = true;
                        t->ghost_len = t->data.len;
                        wbuf_free(fs, t->uid, &t->data);
                        podfs_timer_cancel(fs, t);
                        podfs_timer_add(fs, pfs_now_monotonic_ns() + GHOST_NS, ghost_expire, t);
                } else {
                        tmp_unlink(fs, t);
                }
                return r;
        }
        default:
                return 0;
        }
}

void tmpfile_release(struct podfs *fs, struct fh *fh)
{
        struct tmpfile *t = fh->kind == FH_TMP ? fh->tmp : NULL;

        if (fh->kind == FH_OBJKEY)
                objects_key_flush(fs, fh, true);
        if (!t)
                return;
        t->open_count--;
        if (t->open_count > 0)
                return;
        if (t->orphan) {
                tmp_free(fs, t);
                return;
        }
        /* an untouched drop file or spec.yaml does not stay either */
        if ((t->manifest_drop && !t->ghost) || t->pod_spec)
                tmp_unlink(fs, t);
}

int tmpfile_remove(struct podfs *fs, struct node *parent, const char *name)
{
        struct pod_ref ref;
        struct tmpfile *t;

        if (!model_name_valid(name))
                return -ENOENT;
        switch (parent->kind) {
        case NODE_IMAGES:
                return images_remove(fs, name);
        case NODE_POD:
                t = model_tmp_find(&fs->model, parent->ns, parent->pod, name);
                if (t) {
                        tmp_unlink(fs, t);
                        return 0;
                }
                if (model_pod_ref(&fs->model, parent->ns, parent->pod, &ref) < 0 || ref.placeholder)
                        return -ENOENT;
                if (!strcmp(name, "spec.yaml")) {
                        struct name_ent *e = model_name_get(&fs->model, parent->ns, parent->pod, true);

                        if (e->spec_hidden)
                                return -ENOENT;
                        /* install(1) unlinks the destination first: hide the
                         * entry until it is written again, the pod stays */
                        e->spec_hidden = true;
                        return 0;
                }
                switch (pod_name_class(name)) {
                case POD_NAME_FILE:
                        return -EPERM;
                case POD_NAME_DIR:
                        return -EISDIR;
                default:
                        return -ENOENT;
                }
        case NODE_NS:
                t = model_tmp_find(&fs->model, parent->ns, NULL, name);
                if (t) {
                        tmp_unlink(fs, t);
                        return 0;
                }
                if (!strcmp(name, ".last-error"))
                        return -EPERM;
                if (model_pod_ref(&fs->model, parent->ns, name, &ref) == 0 || objects_kind_of_dir(name) >= 0)
                        return -EISDIR;
                return -ENOENT;
        case NODE_OBJ:
                if (!strncmp(name, "..", 2) || (parent->file == PFS_OBJ_PVC && !strcmp(name, "path")))
                        return -EPERM;
                return objects_key_change(fs, parent->ns, parent->file, parent->pod, name, NULL, 0);
        case NODE_ROOT:
                return model_ns_exists(&fs->model, name) ? -EISDIR : -ENOENT;
        default:
                return -EPERM;
        }
}

static bool same_dir(const struct node *a, const struct node *b)
{
        if (a->kind != b->kind)
                return false;
        if (a->kind == NODE_NS)
                return !strcmp(a->ns, b->ns);
        if (a->kind == NODE_POD)
                return !strcmp(a->ns, b->ns) && !strcmp(a->pod, b->pod);
        return a == b;
}

/* rename of something that is not a temp file: pods, namespaces and the
 * files of a pod don't move. */
static int rename_not_tmp(struct podfs *fs, struct node *p, const char *name)
{
        struct pod_ref ref;

        if (p->kind == NODE_NS && model_pod_ref(&fs->model, p->ns, name, &ref) == 0)
                return -EPERM;
        if (p->kind == NODE_POD && model_pod_ref(&fs->model, p->ns, p->pod, &ref) == 0 && !ref.placeholder &&
            pod_name_class(name) == POD_NAME_FILE)
                return -EPERM;
        return -ENOENT;
}

/* A temp file renamed in a pod dir onto a free name: onto spec.yaml it is
 * applied (1: done), onto the pod's own names refused, else 0: a plain rename. */
static int rename_in_pod(struct podfs *fs, struct node *p, struct tmpfile *t, const char *newname,
                         unsigned int flags)
{
        struct name_ent *e = model_name_get(&fs->model, p->ns, p->pod, false);
        struct pod_ref ref;
        enum pod_name_class c;
        int r;

        if (!strcmp(newname, "spec.yaml")) {
                r = model_pod_ref(&fs->model, p->ns, p->pod, &ref);
                if (r < 0)
                        return r;
                if ((flags & RENAME_NOREPLACE) && !ref.placeholder && !(e && e->spec_hidden))
                        return -EEXIST;
                r = apply_tmp(fs, t, "spec.yaml");
                if (r < 0)
                        return r;
                tmp_unlink(fs, t);
                return 1;
        }
        if (model_pod_ref(&fs->model, p->ns, p->pod, &ref) < 0 || ref.placeholder)
                return 0;
        c = pod_name_class(newname);
        if (c != POD_NAME_FREE)
                return c == POD_NAME_FILE ? -EPERM : -EISDIR;
        return 0;
}

/* A temp file renamed in a namespace onto a free name: onto *.yaml it is
 * applied (1: done), onto a pod or .last-error refused, else 0. */
static int rename_in_ns(struct podfs *fs, struct node *p, struct tmpfile *t, const char *newname)
{
        struct pod_ref ref;
        int r;

        if (!strcmp(newname, ".last-error"))
                return -EPERM;
        if (model_pod_ref(&fs->model, p->ns, newname, &ref) == 0)
                return -EISDIR;
        if (!name_is_manifest(newname))
                return 0;
        r = apply_tmp(fs, t, newname);
        if (r < 0)
                return r;
        tmp_unlink(fs, t);
        return 1;
}

/* A key of a ConfigMap or Secret renamed within it (sed -i, editors). */
static int rename_in_object(struct podfs *fs, struct node *p, const char *name, struct node *np, const char *newname,
                            unsigned int flags)
{
        if (np->kind != NODE_OBJ || np->file != p->file || strcmp(np->ns, p->ns) || strcmp(np->pod, p->pod))
                return -EXDEV;
        if (!strncmp(name, "..", 2) || !strncmp(newname, "..", 2) || p->file == PFS_OBJ_PVC)
                return -EPERM;
        int r = objects_key_rename(fs, p->ns, p->file, p->pod, name, newname, flags & RENAME_NOREPLACE);

        /* the kernel moves the inode: it stands for the new name now */
        if (r == 0)
                node_rename_ctr(&fs->nodes, &(struct node_key){ .kind = NODE_OBJ_FILE, .ns = p->ns, .pod = p->pod,
                                                                 .ctr = name, .file = p->file,
                                                                 .epoch = p->epoch },
                                newname);
        return r;
}

int tmpfile_rename(struct podfs *fs, struct node *p, const char *name, struct node *np, const char *newname,
                 unsigned int flags)
{
        const char *pod = p->kind == NODE_POD ? p->pod : NULL;
        struct tmpfile *t, *dst;
        int r = 0;

        if (!model_name_valid(name) || !model_name_valid(newname))
                return -EINVAL;
        if (flags & RENAME_EXCHANGE)
                return -EINVAL;
        if (p->kind == NODE_OBJ)
                return rename_in_object(fs, p, name, np, newname, flags);
        if (p->kind != NODE_NS && p->kind != NODE_POD)
                return -EPERM;
        t = model_tmp_find(&fs->model, p->ns, pod, name);
        if (!t)
                return rename_not_tmp(fs, p, name);
        if (!same_dir(p, np))
                return -EXDEV;
        if (!strcmp(name, newname))
                return 0;
        dst = model_tmp_find(&fs->model, p->ns, pod, newname);
        if (dst && dst->ghost) {
                tmp_unlink(fs, dst);
                dst = NULL;
        }
        if (!dst)
                r = p->kind == NODE_POD ? rename_in_pod(fs, p, t, newname, flags) : rename_in_ns(fs, p, t, newname);
        if (r != 0)
                return r < 0 ? r : 0;
        if (dst) {
                if (flags & RENAME_NOREPLACE)
                        return -EEXIST;
                tmp_unlink(fs, dst);
        }
        model_tmp_rename(&fs->model, t, newname);
        if (p->kind == NODE_NS)
                t->manifest_drop = false; /* a renamed temp stays until renamed onto *.yaml */
        return 0;
}
