/* Node kinds of logs/: one file per container (its current run) and
 * <c>.previous (the run before a restart), read through logs.c. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "fs.h"

static int logs_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        _cleanup_free_ char *ctr = NULL;
        bool prev = false;
        int r = node_pod_container_find(fs, dir, name, &prev);

        if (r < 0)
                return r;
        ctr = prev ? xstrndup(name, strlen(name) - strlen(".previous")) : xstrdup(name);
        *ret = node_child(fs, &(struct node_key){ .kind = NODE_LOG, .ns = dir->ns, .pod = dir->pod,
                                                  .epoch = dir->epoch, .ctr = ctr, .previous = prev });
        return 0;
}

static int logs_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        char **names = NULL;
        int32_t *restarts = NULL;
        size_t nn = 0;
        int r = node_pod_containers(fs, dir, &names, &restarts, &nn);

        if (r < 0)
                return r;
        for (size_t i = 0; i < nn; i++) {
                fn(data, names[i], S_IFREG);
                if (restarts[i] > 0) {
                        _cleanup_free_ char *p = xasprintf("%s.previous", names[i]);

                        fn(data, p, S_IFREG);
                }
        }
        node_strv_free(names, nn);
        free(restarts);
        return 0;
}

static int log_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        uint64_t size = 0;
        int r = node_in_live_pod_stat(fs, n, st);

        if (r < 0)
                return r;
        r = log_size(fs, n, &size);
        if (r < 0 && r != -ENOENT)
                return r;
        st->st_mode = S_IFREG | 0400;
        st->st_size = (off_t)size;
        return 0;
}

static int log_node_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        if ((flags & O_ACCMODE) != O_RDONLY)
                return -EACCES;
        return log_open(fs, n, fh);
}

const struct node_ops node_logs_dir_ops = {
        .lookup = logs_lookup,
        .list = logs_list,
        .stat = node_pod_subdir_stat,
        .setattr = node_setattr_none,
};

const struct node_ops node_log_ops = {
        .stat = log_stat,
        .open = log_node_open,
        .setattr = node_setattr_none,
};
