/* Node kind: <ns>/.last-error, a control file: the caller's last rejection
 * in the namespace (each user sees only their own). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "fs.h"

static int last_error_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        if (!model_ns_exists(&fs->model, n->ns))
                return -ENOENT;
        st->st_mode = S_IFREG | 0444;
        st->st_size = (off_t)strlen(ns_last_error(fs, n->ns));
        node_ts_set(&st->st_mtim, pfs_now_realtime_ns());
        st->st_atim = st->st_ctim = st->st_mtim;
        return 0;
}

static int last_error_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len)
{
        const char *s = ns_last_error(fs, n->ns);

        node_cache_drop(n);
        n->cache = xstrdup(s);
        n->cache_len = strlen(s);
        *ret = n->cache;
        *ret_len = n->cache_len;
        return 0;
}

static int last_error_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        if ((flags & O_ACCMODE) != O_RDONLY)
                return -EACCES;
        return node_open_snapshot(fs, n, fh);
}

const struct node_ops node_last_error_ops = {
        .stat = last_error_stat,
        .content = last_error_content,
        .open = last_error_open,
        .setattr = node_setattr_none,
};
