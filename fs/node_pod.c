/* Node kind: a pod dir <ns>/<pod>/ (a pod, or a placeholder made by mkdir
 * until its spec.yaml is written): its files, logs/, containers/ and the
 * temp files written into it. */
#include <errno.h>
#include <string.h>
#include "fs.h"

/* A name of the pod's own files, logs/ or containers/. */
static int pod_child(struct podfs *fs, struct node *dir, const char *name, struct node **ret)
{
        struct node_key k = { .ns = dir->ns, .pod = dir->pod, .epoch = dir->epoch };
        int f = pod_file_lookup(name);

        if (f >= 0) {
                struct name_ent *e = model_name_get(&fs->model, dir->ns, dir->pod, false);

                if (f == PF_SPEC && e && e->spec_hidden)
                        return -ENOENT;
                k.kind = NODE_POD_FILE;
                k.file = f;
                *ret = node_child(fs, &k);
                return 0;
        }
        if (pod_name_class(name) == POD_NAME_DIR) {
                k.kind = !strcmp(name, "logs") ? NODE_LOGS_DIR : NODE_CTRS_DIR;
                *ret = node_child(fs, &k);
                return 0;
        }
        return -ENOENT;
}

static int pod_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        struct pod_ref ref;
        struct tmpfile *t;
        int r = model_pod_ref(&fs->model, dir->ns, dir->pod, &ref);

        if (r < 0)
                return r;
        t = model_tmp_find(&fs->model, dir->ns, dir->pod, name);
        if (t) {
                *ret = node_tmp_child(fs, t, dir->ns, dir->pod, dir->epoch, name);
                return 0;
        }
        if (ref.placeholder)
                return -ENOENT;
        return pod_child(fs, dir, name, ret);
}

static int pod_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        struct name_ent *e = model_name_get(&fs->model, dir->ns, dir->pod, false);
        struct pod_ref ref;
        int r = model_pod_ref(&fs->model, dir->ns, dir->pod, &ref);

        if (r < 0)
                return r;
        if (!ref.placeholder) {
                for (int f = 0; f < PF__MAX; f++)
                        if (f != PF_SPEC || !(e && e->spec_hidden))
                                fn(data, pod_file_names[f], S_IFREG);
                fn(data, "logs", S_IFDIR);
                fn(data, "containers", S_IFDIR);
        }
        for (struct tmpfile *t = fs->model.tmps; t; t = t->next) /* a listing: all of them */
                if (t->pod && !strcmp(t->ns, dir->ns) && !strcmp(t->pod, dir->pod))
                        fn(data, t->name, S_IFREG);
        return 0;
}

static int pod_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        struct pod_ref ref;
        int r = node_in_pod_stat(fs, n, st, &ref);

        if (r < 0) {
                /* a pod dir that is gone, until the notifier rmdirs it */
                struct name_ent *e = model_name_get(&fs->model, n->ns, n->pod, false);

                if (e && (e->epoch != n->epoch || e->tomb)) {
                        st->st_mode = S_IFDIR | 0755;
                        st->st_nlink = e->epoch != n->epoch ? 0 : 2;
                        return 0;
                }
                return r;
        }
        /* a placeholder is the caller's mkdir: its mode; a pod's
         * dir lets everybody see phase, conditions and wait */
        st->st_mode = S_IFDIR | (ref.placeholder ? ref.mode : 0755);
        /* an incarnation the kernel saw removed stays removed:
         * nlink 2 would undo rmdir's clear_nlink (no IN_DELETE_SELF) */
        st->st_nlink = n->epoch == model_name_epoch(&fs->model, n->ns, n->pod) ? 2 : 0;
        return 0;
}

static int pod_setattr(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
                return apply_pod_setattr(fs, n->ns, n->pod, (to_set & FUSE_SET_ATTR_MODE) ? &attr->st_mode : NULL,
                                         (to_set & FUSE_SET_ATTR_UID) ? &attr->st_uid : NULL,
                                         (to_set & FUSE_SET_ATTR_GID) ? &attr->st_gid : NULL);
        return node_setattr_times_only(fs, n, fh, attr, to_set);
}

const struct node_ops node_pod_ops = {
        .lookup = pod_lookup,
        .list = pod_list,
        .stat = pod_stat,
        .setattr = pod_setattr,
};
