/* Node kind: a namespace dir <ns>/: its pods (index links and placeholder
 * dirs), .last-error, the objects' dirs (.configmaps, .secrets, .pvcs) and
 * the temp files written into it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "fs.h"

static int ns_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        struct name_ent *e;
        struct pod_ref ref;
        struct tmpfile *t;

        if (!model_ns_exists(&fs->model, dir->ns))
                return -ENOENT;
        if (!strcmp(name, ".last-error")) {
                *ret = node_child(fs, &(struct node_key){ .kind = NODE_LAST_ERROR, .ns = dir->ns });
                return 0;
        }
        if (!strcmp(name, ".namespace.yaml")) {
                *ret = node_child(fs, &(struct node_key){ .kind = NODE_NS_YAML, .ns = dir->ns });
                return 0;
        }
        if (objects_kind_of_dir(name) >= 0) {
                *ret = node_child(fs, &(struct node_key){ .kind = NODE_OBJ_KIND, .ns = dir->ns,
                                                          .file = objects_kind_of_dir(name) });
                return 0;
        }
        t = model_tmp_find(&fs->model, dir->ns, NULL, name);
        /* an applied drop file is found for a moment by its writer only */
        if (t && t->ghost && t->writer != fs->req_pid)
                t = NULL;
        if (t) {
                *ret = node_tmp_child(fs, t, dir->ns, "", 0, name);
                return 0;
        }
        e = model_name_get(&fs->model, dir->ns, name, false);
        if (model_pod_ref(&fs->model, dir->ns, name, &ref) < 0) {
                if (notifier && e && e->tomb) {
                        *ret = tree_pod_node(fs, dir->ns, name);
                        return 0;
                }
                return -ENOENT;
        }
        if (notifier && e && e->announce_until > pfs_now_monotonic_ns())
                return -ENOENT;
        *ret = tree_pod_node(fs, dir->ns, name);
        return 0;
}

static int ns_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        int fd = openat(fs->dirs.ns_fd, dir->ns, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        struct pod_ref ref;
        struct dirent *de;
        DIR *d;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        fn(data, ".last-error", S_IFREG);
        fn(data, ".namespace.yaml", S_IFREG);
        for (int k = 0; objects_kind_dir(k); k++)
                fn(data, objects_kind_dir(k), S_IFDIR);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && (de->d_type == DT_DIR || de->d_type == DT_LNK) &&
                    model_pod_ref(&fs->model, dir->ns, de->d_name, &ref) == 0)
                        fn(data, de->d_name, S_IFDIR);
        closedir(d);
        for (struct tmpfile *t = fs->model.tmps; t; t = t->next) /* a listing: all of them */
                if (!t->pod && !t->ghost && !strcmp(t->ns, dir->ns))
                        fn(data, t->name, S_IFREG);
        return 0;
}

static int ns_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        struct stat s;

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
}

static struct timespec setattr_time(int to_set, int set, int now, struct timespec t)
{
        if (!(to_set & set))
                return (struct timespec){ .tv_nsec = UTIME_OMIT };
        return (to_set & now) ? (struct timespec){ .tv_nsec = UTIME_NOW } : t;
}

/* The namespace's own dir carries mode and owner: its owner (or root) sets
 * the mode, root the owner, the owner a group. */
static int ns_setattr(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set)
{
        uid_t caller = fs->req_uid;
        struct stat st;

        if (fstatat(fs->dirs.ns_fd, n->ns, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (to_set & FUSE_SET_ATTR_MODE) {
                if (caller != 0 && caller != st.st_uid)
                        return -EPERM;
                if (fchmodat(fs->dirs.ns_fd, n->ns, attr->st_mode & 07777, 0) < 0)
                        return -errno;
        }
        if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
                uid_t u = (to_set & FUSE_SET_ATTR_UID) ? attr->st_uid : (uid_t)-1;
                gid_t g = (to_set & FUSE_SET_ATTR_GID) ? attr->st_gid : (gid_t)-1;

                if (caller != 0 && (u != (uid_t)-1 || caller != st.st_uid))
                        return -EPERM;
                if (fchownat(fs->dirs.ns_fd, n->ns, u, g, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
        }
        if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
                struct timespec ts[2] = {
                        setattr_time(to_set, FUSE_SET_ATTR_ATIME, FUSE_SET_ATTR_ATIME_NOW, attr->st_atim),
                        setattr_time(to_set, FUSE_SET_ATTR_MTIME, FUSE_SET_ATTR_MTIME_NOW, attr->st_mtim),
                };

                if (utimensat(fs->dirs.ns_fd, n->ns, ts, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
        }
        return 0;
}

const struct node_ops node_ns_ops = {
        .lookup = ns_lookup,
        .list = ns_list,
        .stat = ns_stat,
        .setattr = ns_setattr,
};
