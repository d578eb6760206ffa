/* Node kinds: MNT/.images/, the store of pulled images (pfs/imagestore.h),
 * one read-only file per image named by its reference ('/' as "%2F", '%' as
 * "%25"): ref, id, digest, size, last_used, pods. `rm` (root) removes an image
 * no pod uses (EBUSY while one does, or while a pull holds the store). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "fs.h"
#include "pfs/imagestore.h"

/* The record of the image file NAME. */
static int image_record(struct podfs *fs, const char *name, struct pfs_image_record *ret, struct stat *ret_st)
{
        _cleanup_free_ char *ref = pfs_image_file_ref(name), *path = NULL;
        _cleanup_free_ char *back = pfs_image_file_name(ref);

        if (strcmp(back, name) != 0)
                return -ENOENT;
        path = pfs_image_record_path(fs->state_dir, ref);
        if (ret_st && stat(path, ret_st) < 0)
                return -errno;
        return pfs_image_record_read_path(path, ret, NULL) < 0 ? -ENOENT : 0;
}

/* "NS/NAME" of each existing pod among REF's users, space-separated. */
static char *image_pods(struct podfs *fs, const char *ref)
{
        char **uids = pfs_image_users(fs->state_dir, ref);
        struct pfs_buf b = {0};

        for (size_t i = 0; uids[i]; i++) {
                struct pod_rt *p = model_pod_find(&fs->model, uids[i]);

                if (p && !p->removed)
                        pfs_buf_printf(&b, "%s%s/%s", b.len ? " " : "", p->ns, p->name);
                free(uids[i]);
        }
        free(uids);
        pfs_buf_append(&b, "", 1);
        b.len--;
        return pfs_buf_steal(&b);
}

static int images_lookup(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret)
{
        struct pfs_image_record r = {0};

        if (image_record(fs, name, &r, NULL) < 0)
                return -ENOENT;
        pfs_image_record_free(&r);
        *ret = node_child(fs, &(struct node_key){ .kind = NODE_IMAGE, .pod = name });
        return 0;
}

static int images_list(struct podfs *fs, struct node *dir, node_list_fn fn, void *data)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", fs->state_dir, PFS_IMAGE_RECORD_DIR);
        DIR *d = opendir(path);
        struct dirent *de;

        while (d && (de = readdir(d))) {
                _cleanup_free_ char *p = xasprintf("%s/%s", path, de->d_name);
                struct pfs_image_record r = {0};

                if (strchr(de->d_name, '.') || pfs_image_record_read_path(p, &r, NULL) < 0)
                        continue;
                _cleanup_free_ char *name = pfs_image_file_name(r.ref);

                fn(data, name, S_IFREG);
                pfs_image_record_free(&r);
        }
        if (d)
                closedir(d);
        return 0;
}

const struct node_ops node_images_ops = {
        .lookup = images_lookup,
        .list = images_list,
        .stat = node_stat_dir_now,
        .setattr = node_setattr_none,
};

/* ---- one image ---- */

static int image_render(struct podfs *fs, struct node *n, char **ret, size_t *ret_len, struct stat *ret_st)
{
        struct pfs_image_record r = {0};
        struct stat st;
        struct tm tm;
        char used[32];
        int rc = image_record(fs, n->pod, &r, &st);

        if (rc < 0)
                return rc;
        _cleanup_free_ char *pods = image_pods(fs, r.ref);

        gmtime_r(&st.st_mtime, &tm);
        strftime(used, sizeof(used), "%Y-%m-%dT%H:%M:%SZ", &tm);
        *ret = xasprintf("ref %s\nid %s\ndigest %s\nsize %lld\nlast_used %s\npods %s\n", r.ref, r.id, r.digest,
                         (long long)r.size, used, pods);
        *ret_len = strlen(*ret);
        if (ret_st)
                *ret_st = st;
        pfs_image_record_free(&r);
        return 0;
}

static int image_stat(struct podfs *fs, struct node *n, struct stat *st)
{
        _cleanup_free_ char *c = NULL;
        struct stat rs;
        size_t len;
        int r = image_render(fs, n, &c, &len, &rs);

        if (r < 0)
                return r;
        st->st_mode = S_IFREG | 0444;
        st->st_size = (off_t)len;
        st->st_mtim = rs.st_mtim;
        st->st_atim = st->st_ctim = rs.st_mtim;
        return 0;
}

static int image_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len)
{
        char *c = NULL;
        size_t len;
        int r = image_render(fs, n, &c, &len, NULL);

        if (r < 0)
                return r;
        node_cache_drop(n);
        n->cache = c;
        n->cache_len = len;
        *ret = c;
        *ret_len = len;
        return 0;
}

static int image_open(struct podfs *fs, struct node *n, int flags, struct fh *fh)
{
        if ((flags & O_ACCMODE) != O_RDONLY)
                return -EACCES;
        return node_open_snapshot(fs, n, fh);
}

const struct node_ops node_image_ops = {
        .stat = image_stat,
        .content = image_content,
        .open = image_open,
        .setattr = node_setattr_none,
};

int images_remove(struct podfs *fs, const char *name)
{
        struct pfs_image_record r = {0};
        struct pfs_error err = {0};
        _cleanup_free_ char *pods = NULL;
        int rc;

        if (image_record(fs, name, &r, NULL) < 0)
                return -ENOENT;
        if (fs->req_uid != 0) {
                pfs_image_record_free(&r);
                return -EACCES;
        }
        pods = image_pods(fs, r.ref);
        if (*pods) {
                pfs_image_record_free(&r);
                return -EBUSY;
        }
        rc = pfs_image_remove(fs->state_dir, r.ref, &err);
        if (rc < 0)
                pfs_log(LOG_WARNING, "remove image \"%s\": %s", r.ref, err.msg);
        else
                pfs_log(LOG_INFO, "image \"%s\" removed", r.ref);
        pfs_image_record_free(&r);
        return rc;
}
