/* The FUSE low-level ops table: thin wrappers that resolve nodes, call the
 * helpers (which return negative errno) and reply exactly once. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/statvfs.h>
#include "fs.h"

#define ENTRY_TIMEOUT 1.0
#define DIR_ATTR_TIMEOUT 1.0

static struct podfs *ctx_fs(fuse_req_t req)
{
        struct podfs *fs = fuse_req_userdata(req);
        const struct fuse_ctx *c = fuse_req_ctx(req);

        fs->req_pid = c->pid;
        fs->req_uid = c->uid;
        fs->req_gid = c->gid;
        return fs;
}

/* The daemon, without taking the request's caller (forget has none). */
static struct podfs *fuse_fs(fuse_req_t req)
{
        return fuse_req_userdata(req);
}

static bool from_notifier(fuse_req_t req)
{
        return notifier_is(ctx_fs(req), fuse_req_ctx(req)->pid);
}

static struct fh *fh_of(struct fuse_file_info *fi)
{
        return (struct fh *)(uintptr_t)fi->fh;
}

void fh_free(struct podfs *fs, struct fh *fh)
{
        if (!fh)
                return;
        stdin_release(fs, fh);
        free(fh->data);
        wbuf_free(fs, fh->owner, &fh->wbuf);
        for (size_t i = 0; i < fh->n_names; i++)
                free(fh->names[i]);
        free(fh->names);
        free(fh->modes);
        if (fh->ph)
                fuse_pollhandle_destroy(fh->ph);
        free(fh);
}

/* ---- dispatch through the node's kind (node_kinds[], nodes.c) ---- */

static int node_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        memset(st, 0, sizeof(*st));
        st->st_ino = n->ino;
        st->st_nlink = 1;
        st->st_blksize = 4096;
        return node_kinds[n->kind]->stat(fs, n, st);
}

static int node_lookup(struct podfs *fs, struct node *parent, const char *name, bool notifier, struct node **ret)
{
        const struct node_ops *o = node_kinds[parent->kind];

        if (!model_name_valid(name))
                return -ENOENT;
        return o->lookup ? o->lookup(fs, parent, name, notifier, ret) : -ENOTDIR;
}

static int node_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        const struct node_ops *o = node_kinds[dir->kind];

        return o->list ? o->list(fs, dir, fn, data) : -ENOTDIR;
}

static int node_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        const struct node_ops *o = node_kinds[n->kind];

        return o->open ? o->open(fs, n, flags, fh) : -EISDIR;
}

static int node_setattr(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        return node_kinds[n->kind]->setattr(fs, n, fh, attr, to_set);
}

static double attr_timeout(const struct stat *st)
{
        return S_ISDIR(st->st_mode) ? DIR_ATTR_TIMEOUT : 0.0;
}

/* Reply with an entry for n (counting the lookup), or an error. */
static void reply_node_entry(fuse_req_t req, struct node *n, int r, struct fuse_file_info *fi)
{
        struct podfs *fs = ctx_fs(req);
        struct fuse_entry_param e;

        if (r >= 0)
                r = node_stat(fs, n, &e.attr);
        if (r < 0) {
                if (n && n->nlookup == 0)
                        node_forget(&fuse_fs(req)->nodes, n, 0);
                if (fi)
                        fh_free(fs, fh_of(fi));
                fuse_reply_err(req, -r);
                return;
        }
        memset(&e, 0, offsetof(struct fuse_entry_param, attr));
        e.ino = n->ino;
        e.generation = 1;
        e.attr_timeout = attr_timeout(&e.attr);
        e.entry_timeout = n->kind == NODE_TMP ? 0.0 : ENTRY_TIMEOUT;
        n->nlookup++;
        if (fi) {
                if (fuse_reply_create(req, &e, fi) != 0) {
                        n->nlookup--;
                        fh_free(fs, fh_of(fi));
                }
        } else if (fuse_reply_entry(req, &e) != 0) {
                n->nlookup--;
        }
}

static void wait_wake(void *data);
static void stdin_done(void *data, ssize_t r);

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
        delete_waiters_on(userdata, wait_wake);
        stdin_replies_on(userdata, stdin_done);
        if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
                conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
        conn->want &= ~FUSE_CAP_READDIRPLUS;
        conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct podfs *fs = ctx_fs(req);
        struct node *p = node_get(&fuse_fs(req)->nodes, parent), *n = NULL;
        int r;

        if (!p) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        r = node_lookup(fs, p, name, from_notifier(req), &n);
        reply_node_entry(req, n, r, NULL);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
        struct node *n = node_get(&fuse_fs(req)->nodes, ino);

        if (n)
                node_forget(&fuse_fs(req)->nodes, n, nlookup);
        fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
        for (size_t i = 0; i < count; i++) {
                struct node *n = node_get(&fuse_fs(req)->nodes, forgets[i].ino);

                if (n)
                        node_forget(&fuse_fs(req)->nodes, n, forgets[i].nlookup);
        }
        fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct node *n = node_get(&fuse_fs(req)->nodes, ino);
        struct stat st;
        int r;

        if (!n) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        r = node_stat(ctx_fs(req), n, &st);
        if (r < 0) {
                fuse_reply_err(req, -r);
                return;
        }
        /* a writer's own view of spec.yaml: what it wrote so far */
        if (fi && fh_of(fi) && (fh_of(fi)->kind == FH_SPEC || fh_of(fi)->kind == FH_OBJKEY))
                st.st_size = (off_t)fh_of(fi)->wbuf.len;
        fuse_reply_attr(req, &st, attr_timeout(&st));
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
        struct podfs *fs = ctx_fs(req);
        struct node *n = node_get(&fuse_fs(req)->nodes, ino);
        struct fh *fh = fi ? fh_of(fi) : NULL;
        struct stat st;
        int r;

        if (!n) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        /* the notifier's truncate: one IN_MODIFY for watchers, no change */
        r = from_notifier(req) ? 0 : node_setattr(fs, n, fh, attr, to_set);
        if (r >= 0)
                r = node_stat(fs, n, &st);
        if (r < 0) {
                fuse_reply_err(req, -r);
                return;
        }
        if (fh && (fh->kind == FH_SPEC || fh->kind == FH_OBJKEY))
                st.st_size = (off_t)fh->wbuf.len;
        fuse_reply_attr(req, &st, attr_timeout(&st));
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
        struct podfs *fs = ctx_fs(req);
        struct node *p = node_get(&fuse_fs(req)->nodes, parent), *n = NULL;
        int r;

        if (!p) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        if (from_notifier(req) && p->kind == NODE_NS) {
                struct name_ent *e = model_name_get(&fs->model, p->ns, name, false);
                struct pod_ref ref;

                if (e)
                        e->announce_until = 0;
                if (model_pod_ref(&fs->model, p->ns, name, &ref) < 0) {
                        fuse_reply_err(req, ENOENT);
                        return;
                }
                reply_node_entry(req, tree_pod_node(fs, p->ns, name), 0, NULL);
                return;
        }
        if (from_notifier(req) && p->kind == NODE_OBJ_KIND) {
                /* an object made without a mkdir on the mount: announce it */
                objects_announce_pending(fs, p->ns, p->file, name, true);
                r = node_lookup(fs, p, name, true, &n);
                reply_node_entry(req, n, r, NULL);
                return;
        }
        r = apply_mkdir(fs, p, name, mode);
        if (r >= 0)
                r = node_lookup(fs, p, name, false, &n);
        reply_node_entry(req, n, r, NULL);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct node *p = node_get(&fuse_fs(req)->nodes, parent);

        if (!p) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        fuse_reply_err(req, -delete_rmdir(ctx_fs(req), p, name, from_notifier(req)));
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
        struct node *p = node_get(&fuse_fs(req)->nodes, parent);

        if (!p) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        fuse_reply_err(req, -tmpfile_remove(ctx_fs(req), p, name));
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                      const char *newname, unsigned int flags)
{
        struct node *p = node_get(&fuse_fs(req)->nodes, parent), *np = node_get(&fuse_fs(req)->nodes, newparent);

        if (!p || !np) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        fuse_reply_err(req, -tmpfile_rename(ctx_fs(req), p, name, np, newname, flags));
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi)
{
        struct podfs *fs = ctx_fs(req);
        struct node *p = node_get(&fuse_fs(req)->nodes, parent), *n = NULL;
        struct fh *fh = NULL;
        int r;

        if (!p) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        r = tmpfile_create(fs, p, name, mode, fi->flags, &fh);
        if (r >= 0)
                r = node_lookup(fs, p, name, false, &n);
        if (r >= 0)
                fh->node = n;
        fi->fh = (uintptr_t)fh;
        if (r < 0) {
                fh_free(fs, fh);
                fuse_reply_err(req, -r);
                return;
        }
        fi->direct_io = 1;
        reply_node_entry(req, n, 0, fi);
}

static int open_node(struct podfs *fs, fuse_req_t req, struct node *n, struct fuse_file_info *fi,
                     struct fh *fh)
{
        fh->node = n;
        fh->owner = fuse_req_ctx(req)->uid;
        fh->group = fuse_req_ctx(req)->gid;
        if ((fi->flags & O_ACCMODE) != O_RDONLY && from_notifier(req)) {
                fh->kind = FH_NOTIFY;
                return 0;
        }
        return node_open(fs, n, fi->flags, fh);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct podfs *fs = ctx_fs(req);
        struct node *n = node_get(&fuse_fs(req)->nodes, ino);
        struct fh *fh;
        int r;

        if (!n) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        fh = xcalloc(1, sizeof(*fh));
        r = open_node(fs, req, n, fi, fh);
        if (r < 0) {
                fh_free(fs, fh);
                fuse_reply_err(req, -r);
                return;
        }
        fi->fh = (uintptr_t)fh;
        fi->direct_io = 1;
        fi->nonseekable = 0;
        if (fh->kind == FH_LOG || fh->kind == FH_WAIT)
                fi->keep_cache = 0;
        if (fuse_reply_open(req, fi) != 0) {
                if (fh->kind == FH_TMP)
                        fh->tmp->open_count--;
                fh_free(fs, fh);
        }
}

/* ---- readers of "wait" (their registry is delete.c's) ---- */

/* The pod is gone: the read ends with EOF. */
static void wait_wake(void *data)
{
        fuse_req_t req = data;

        fuse_req_interrupt_func(req, NULL, NULL);
        fuse_reply_buf(req, NULL, 0);
}

/* Set while registering the interrupt callback: libfuse calls it at once
 * (holding the request's lock) when the request was already interrupted;
 * the reply then waits until the registration returned. */
static void wait_interrupted(fuse_req_t req, void *data)
{
        struct waiter *w = data;
        struct podfs *fs = w->fs;

        if (w == fs->wait_registering) {
                fs->wait_interrupted_early = true;
                return;
        }
        if (delete_wait_cancel(w))
                fuse_reply_err(req, EINTR);
}

static int wait_read(struct podfs *fs, fuse_req_t req, struct fh *fh)
{
        struct waiter *w = delete_wait_add(fs, fh->uid, req);

        if (!w) {
                fuse_reply_buf(req, NULL, 0);
                return 1;
        }
        fs->wait_registering = w;
        fs->wait_interrupted_early = false;
        fuse_req_interrupt_func(req, wait_interrupted, w);
        fs->wait_registering = NULL;
        if (fs->wait_interrupted_early) {
                delete_wait_cancel(w);
                fuse_req_interrupt_func(req, NULL, NULL);
                fuse_reply_err(req, EINTR);
        }
        return 1;
}

static void reply_slice(fuse_req_t req, const char *data, size_t len, size_t size, off_t off)
{
        if (off < 0 || (size_t)off >= len) {
                fuse_reply_buf(req, NULL, 0);
                return;
        }
        if (size > len - (size_t)off)
                size = len - (size_t)off;
        fuse_reply_buf(req, data + off, size);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
        struct podfs *fs = ctx_fs(req);
        struct fh *fh = fh_of(fi);

        switch (fh->kind) {
        case FH_CONTENT:
                reply_slice(req, fh->data, fh->len, size, off);
                return;
        case FH_SPEC:
        case FH_OBJKEY:
                reply_slice(req, fh->wbuf.data, fh->wbuf.len, size, off);
                return;
        case FH_TMP:
                reply_slice(req, fh->tmp->data.data, fh->tmp->data.len, size, off);
                return;
        case FH_WAIT: {
                int r = wait_read(fs, req, fh);

                if (r < 0)
                        fuse_reply_err(req, -r);
                /* r > 0: answered later */
                return;
        }
        case FH_LOG: {
                struct pfs_buf out = {0};
                int r = log_read(fs, fh->node, fh, size, off, &out);

                if (r < 0)
                        fuse_reply_err(req, -r);
                else
                        fuse_reply_buf(req, out.data, out.len);
                pfs_buf_free(&out);
                return;
        }
        default:
                fuse_reply_err(req, EBADF);
                return;
        }
}

/* ---- writes to a container's stdin held for room (node_stdin.c) ---- */

static void stdin_done(void *data, ssize_t r)
{
        fuse_req_t req = data;

        fuse_req_interrupt_func(req, NULL, NULL);
        if (r < 0)
                fuse_reply_err(req, (int)-r);
        else
                fuse_reply_write(req, (size_t)r);
}

/* As wait_interrupted: an early call (during the registration) only marks it. */
static void stdin_interrupted(fuse_req_t req, void *data)
{
        struct fh *fh = data;
        struct podfs *fs = ctx_fs(req);

        if (fh == fs->stdin_registering) {
                fs->stdin_interrupted_early = true;
                return;
        }
        if (stdin_write_cancel(fs, fh))
                fuse_reply_err(req, EINTR);
}

static void stdin_op_write(fuse_req_t req, struct fh *fh, const char *buf, size_t size, struct fuse_file_info *fi)
{
        struct podfs *fs = ctx_fs(req);
        size_t n = 0;
        int r = stdin_write(fs, fh, req, buf, size, fi->flags & O_NONBLOCK, &n);

        if (r < 0) {
                fuse_reply_err(req, -r);
                return;
        }
        if (r == 0) {
                fuse_reply_write(req, n);
                return;
        }
        fs->stdin_registering = fh;
        fs->stdin_interrupted_early = false;
        fuse_req_interrupt_func(req, stdin_interrupted, fh);
        fs->stdin_registering = NULL;
        if (fs->stdin_interrupted_early && stdin_write_cancel(fs, fh)) {
                fuse_req_interrupt_func(req, NULL, NULL);
                fuse_reply_err(req, EINTR);
        }
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
        struct fh *fh = fh_of(fi);
        int r;

        if (fh->kind == FH_NOTIFY) {
                /* the notifier: "content changed", nothing else */
                fuse_reply_write(req, size);
                return;
        }
        if (fh->kind == FH_STDIN) {
                stdin_op_write(req, fh, buf, size, fi);
                return;
        }
        r = tmpfile_write(ctx_fs(req), fh, buf, size, off);
        if (r < 0)
                fuse_reply_err(req, -r);
        else
                fuse_reply_write(req, size);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct fh *fh = fh_of(fi);

        if (fh->kind == FH_NOTIFY) {
                fuse_reply_err(req, 0);
                return;
        }
        fuse_reply_err(req, -tmpfile_flush(ctx_fs(req), fh));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct podfs *fs = ctx_fs(req);
        struct fh *fh = fh_of(fi);

        if (fh->kind == FH_LOG)
                log_release(fs, fh);
        tmpfile_release(fs, fh);
        fh_free(fs, fh);
        fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
        /* accepted manifests are durable before close returns */
        fuse_reply_err(req, 0);
}

static void collect_name(void *data, const char *name, mode_t mode)
{
        struct fh *fh = data;

        fh->names = xrealloc(fh->names, (fh->n_names + 1) * sizeof(char *));
        fh->modes = xrealloc(fh->modes, (fh->n_names + 1) * sizeof(mode_t));
        fh->names[fh->n_names] = xstrdup(name);
        fh->modes[fh->n_names] = mode;
        fh->n_names++;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        struct podfs *fs = ctx_fs(req);
        struct node *n = node_get(&fuse_fs(req)->nodes, ino);
        struct fh *fh;
        int r;

        if (!n) {
                fuse_reply_err(req, ESTALE);
                return;
        }
        fh = xcalloc(1, sizeof(*fh));
        fh->kind = FH_DIR;
        fh->node = n;
        collect_name(fh, ".", S_IFDIR);
        collect_name(fh, "..", S_IFDIR);
        r = node_list(fs, n, collect_name, fh);
        if (r < 0) {
                fh_free(fs, fh);
                fuse_reply_err(req, -r);
                return;
        }
        fi->fh = (uintptr_t)fh;
        if (fuse_reply_open(req, fi) != 0)
                fh_free(fs, fh);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
        struct fh *fh = fh_of(fi);
        char *buf = xmalloc(size);
        size_t used = 0;

        for (size_t i = off < 0 ? 0 : (size_t)off; i < fh->n_names; i++) {
                /* d_ino 0 entries are skipped by readdir(3): any non-zero value */
                struct stat st = { .st_ino = content_hash(fh->names[i], strlen(fh->names[i])) | 1,
                                   .st_mode = fh->modes[i] };
                size_t need = fuse_add_direntry(req, buf + used, size - used, fh->names[i], &st, (off_t)i + 1);

                if (need > size - used)
                        break;
                used += need;
        }
        fuse_reply_buf(req, buf, used);
        free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        fh_free(ctx_fs(req), fh_of(fi));
        fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
        struct statvfs sv;

        if (fstatvfs(ctx_fs(req)->dirs.state_fd, &sv) < 0)
                memset(&sv, 0, sizeof(sv));
        sv.f_namemax = 255;
        fuse_reply_statfs(req, &sv);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
        struct fh *fh = fh_of(fi);
        unsigned revents = POLLIN | POLLRDNORM;
        int r;

        if (fh->kind == FH_LOG) {
                r = log_poll(ctx_fs(req), fh->node, fh, ph, &revents);
                if (r < 0) {
                        fuse_reply_err(req, -r);
                        return;
                }
        } else {
                if (fh->kind != FH_CONTENT && fh->kind != FH_WAIT)
                        revents |= POLLOUT | POLLWRNORM;
                if (ph)
                        fuse_pollhandle_destroy(ph);
        }
        fuse_reply_poll(req, revents);
}

/* Nothing in the tree is a link or a device node. */
static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
        fuse_reply_err(req, EPERM);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
        fuse_reply_err(req, EPERM);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
        fuse_reply_err(req, EPERM);
}

const struct fuse_lowlevel_ops podfs_ops = {
        .init = op_init,
        .lookup = op_lookup,
        .forget = op_forget,
        .forget_multi = op_forget_multi,
        .getattr = op_getattr,
        .setattr = op_setattr,
        .mkdir = op_mkdir,
        .mknod = op_mknod,
        .symlink = op_symlink,
        .link = op_link,
        .unlink = op_unlink,
        .rmdir = op_rmdir,
        .rename = op_rename,
        .create = op_create,
        .open = op_open,
        .read = op_read,
        .write = op_write,
        .flush = op_flush,
        .release = op_release,
        .fsync = op_fsync,
        .opendir = op_opendir,
        .readdir = op_readdir,
        .releasedir = op_releasedir,
        .statfs = op_statfs,
        .poll = op_poll,
};
