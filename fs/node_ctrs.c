/* Node kinds of containers/: the dir of the pod's containers, one dir per
 * container, and its rendered files (state, ready, restarts, ...). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "fs.h"

static int ctrs_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        struct node_key k = { .kind = NODE_CTR_DIR, .ns = dir->ns, .pod = dir->pod, .epoch = dir->epoch,
                              .ctr = name };
        int r = node_pod_container_find(fs, dir, name, NULL);

        if (r < 0)
                return r;
        *ret = node_child(fs, &k);
        return 0;
}

static int ctrs_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        char **names = NULL;
        int32_t *restarts = NULL;
        size_t nn = 0;
        int r = node_pod_containers(fs, dir, &names, &restarts, &nn);

        if (r < 0)
                return r;
        for (size_t i = 0; i < nn; i++)
                fn(data, names[i], S_IFDIR);
        node_strv_free(names, nn);
        free(restarts);
        return 0;
}

static int ctr_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        if (!strcmp(name, "stdin")) {
                struct node_key k = { .kind = NODE_CTR_STDIN, .ns = dir->ns, .pod = dir->pod, .epoch = dir->epoch,
                                      .ctr = dir->ctr };

                if (!node_ctr_has_stdin(fs, dir->ns, dir->pod, dir->ctr))
                        return -ENOENT;
                *ret = node_child(fs, &k);
                return 0;
        }
        for (int f = 0; f < CTR_FILE__MAX; f++) {
                struct node_key k = { .kind = NODE_CTR_FILE, .ns = dir->ns, .pod = dir->pod, .epoch = dir->epoch,
                                      .ctr = dir->ctr, .file = f };

                if (strcmp(name, ctr_file_name((enum ctr_file)f)))
                        continue;
                *ret = node_child(fs, &k);
                return 0;
        }
        return -ENOENT;
}

static int ctr_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        for (int f = 0; f < CTR_FILE__MAX; f++)
                fn(data, ctr_file_name((enum ctr_file)f), S_IFREG);
        if (node_ctr_has_stdin(fs, dir->ns, dir->pod, dir->ctr))
                fn(data, "stdin", S_IFREG);
        return 0;
}

static int ctr_file_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        const char *c;
        size_t len;
        int r = node_in_live_pod_stat(fs, n, st);

        if (r < 0)
                return r;
        r = node_pod_content(fs, n, &c, &len);
        if (r < 0)
                return r;
        st->st_mode = S_IFREG | 0400;
        st->st_size = (off_t)len;
        return 0;
}

static int ctr_file_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        if ((flags & O_ACCMODE) != O_RDONLY)
                return -EACCES;
        return node_open_snapshot(fs, n, fh);
}

const struct node_ops node_ctrs_dir_ops = {
        .lookup = ctrs_lookup,
        .list = ctrs_list,
        .stat = node_pod_subdir_stat,
        .setattr = node_setattr_none,
};

const struct node_ops node_ctr_dir_ops = {
        .lookup = ctr_lookup,
        .list = ctr_list,
        .stat = node_pod_subdir_stat,
        .setattr = node_setattr_none,
};

const struct node_ops node_ctr_file_ops = {
        .stat = ctr_file_stat,
        .content = node_pod_content,
        .open = ctr_file_open,
        .setattr = node_setattr_none,
};
