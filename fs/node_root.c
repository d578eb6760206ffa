/* Node kind: the mount's root, the namespaces (STATE/namespaces/<ns>/). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "fs.h"

static int root_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        if (!strcmp(name, ".images")) {
                *ret = node_child(fs, &(struct node_key){ .kind = NODE_IMAGES });
                return 0;
        }
        if (!strcmp(name, ".node")) {
                *ret = node_child(fs, &(struct node_key){ .kind = NODE_NODE_DIR });
                return 0;
        }
        if (!model_ns_exists(&fs->model, name))
                return -ENOENT;
        *ret = node_child(fs, &(struct node_key){ .kind = NODE_NS, .ns = name });
        return 0;
}

static int root_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        int fd = openat(fs->dirs.ns_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        DIR *d;
        struct dirent *de;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -ENOMEM;
        }
        fn(data, ".images", S_IFDIR);
        fn(data, ".node", S_IFDIR);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && de->d_type == DT_DIR)
                        fn(data, de->d_name, S_IFDIR);
        closedir(d);
        return 0;
}

static int root_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        struct stat s;

        if (fstat(fs->dirs.ns_fd, &s) < 0)
                return -errno;
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        st->st_atim = s.st_atim;
        st->st_mtim = s.st_mtim;
        st->st_ctim = s.st_ctim;
        return 0;
}

const struct node_ops node_root_ops = {
        .lookup = root_lookup,
        .list = root_list,
        .stat = root_stat,
        .setattr = node_setattr_times_only,
};
