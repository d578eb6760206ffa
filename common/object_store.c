/* Objects and claims in the state dir (the layout in object.h): one JSON file
 * per object, written durably; a claim's data dir. The only code that knows
 * these paths. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "pfs/object.h"
#include "pfs/util.h"

/* Names reach here validated (DNS labels and subdomains); this keeps a bad
 * one from leaving its directory all the same. */
static bool name_ok(const char *s)
{
        return s && *s && *s != '.' && !strchr(s, '/') && strlen(s) <= 253;
}

static int kind_dir_open(int state_fd, enum pfs_object_kind k, const char *ns, bool create, struct pfs_error *err)
{
        _cleanup_free_ char *rel = xasprintf("objects/%s/%s", ns, pfs_object_kind_dir(k));
        int fd;

        if (!name_ok(ns))
                return pfs_error_set(err, EINVAL, "bad namespace name");
        if (create) {
                int r = pfs_mkdir_p_at(state_fd, rel, 0700, err);

                if (r < 0)
                        return r;
        }
        fd = openat(state_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? -ENOENT : pfs_error_set(err, errno, "open '%s'", rel);
        return fd;
}

int pfs_object_read_at(int state_fd, enum pfs_object_kind k, const char *ns, const char *name,
                       struct pfs_object **ret, struct pfs_error *err)
{
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *text = NULL;
        struct ydoc *docs = NULL;
        size_t len, n = 0;
        int r;

        if (!name_ok(name))
                return -ENOENT;
        dfd = kind_dir_open(state_fd, k, ns, false, err);
        if (dfd < 0)
                return dfd;
        r = pfs_read_file_at(dfd, name, &text, &len, err);
        if (r < 0)
                return err && err->code == ENOENT ? -ENOENT : r;
        r = yval_parse_stream_unbounded(text, len, &docs, &n, err);
        if (r == 0)
                r = pfs_object_from_yval(n == 1 ? docs[0].root : NULL, k, ret, err);
        ydoc_free_array(docs, n);
        if (r < 0)
                return pfs_error_wrap(err, "%s %s/%s", pfs_object_kind_name(k), ns, name);
        return 0;
}

int pfs_object_stamp_at(int state_fd, enum pfs_object_kind k, const char *ns, const char *name,
                        struct pfs_object_stamp *ret)
{
        _cleanup_close_ int dfd = -1;
        struct stat st;

        if (!name_ok(name))
                return -ENOENT;
        dfd = kind_dir_open(state_fd, k, ns, false, NULL);
        if (dfd < 0)
                return dfd;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        *ret = (struct pfs_object_stamp){ .dev = st.st_dev, .ino = st.st_ino, .size = st.st_size,
                                          .mtime_ns = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
                                          .ctime_ns = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec };
        return 0;
}

bool pfs_object_stamp_equal(const struct pfs_object_stamp *a, const struct pfs_object_stamp *b)
{
        return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns &&
               a->ctime_ns == b->ctime_ns;
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int pfs_object_list_at(int state_fd, enum pfs_object_kind k, const char *ns, char ***ret_names,
                       size_t *ret_n, struct pfs_error *err)
{
        int fd = kind_dir_open(state_fd, k, ns, false, err);
        char **names = xcalloc(1, sizeof(*names));
        size_t n = 0;
        struct dirent *de;
        DIR *d;

        if (fd == -ENOENT)
                goto out;
        if (fd < 0 || !(d = fdopendir(fd))) {
                free(names);
                if (fd >= 0)
                        close(fd);
                return fd < 0 ? fd : pfs_error_set(err, errno, "list %s", pfs_object_kind_dir(k));
        }
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')       /* ".", "..", temp files */
                        continue;
                names = xrealloc(names, (n + 2) * sizeof(*names));
                names[n++] = xstrdup(de->d_name);
        }
        closedir(d);
        qsort(names, n, sizeof(*names), name_cmp);
out:
        names[n] = NULL;
        *ret_names = names;
        *ret_n = n;
        return 0;
}

/* NAME through .NAME.tmp (a dot-name is never an object), fsync, rename, fsync dir. */
static int write_durable(int dfd, const char *name, const char *data, size_t len, struct pfs_error *err)
{
        _cleanup_free_ char *tmp = xasprintf(".%s.tmp", name);
        _cleanup_close_ int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        size_t off = 0;

        if (fd < 0)
                return pfs_error_set(err, errno, "create '%s'", tmp);
        while (off < len) {
                ssize_t w = write(fd, data + off, len - off);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        goto fail;
                off += (size_t)w;
        }
        if (fsync(fd) < 0 || renameat(dfd, tmp, dfd, name) < 0)
                goto fail;
        if (pfs_fsync_dir_at(dfd, ".") < 0)
                return pfs_error_set(err, errno ? errno : EIO, "fsync the directory of '%s'", name);
        return 0;
fail:
        {
                int e = errno;

                unlinkat(dfd, tmp, 0);
                return pfs_error_set(err, e, "write '%s'", name);
        }
}

/* The stored form: the object as the API shows it, plus its owner. */
static void stored_form(const struct pfs_object *o, struct pfs_buf *b)
{
        struct yval *v = pfs_object_to_yval(o, true);

        yval_emit_json(v, true, b);
        yval_free(v);
}

uint64_t pfs_object_stored_size(const struct pfs_object *o)
{
        struct pfs_buf b = { 0 };
        uint64_t n;

        stored_form(o, &b);
        n = b.len;
        pfs_buf_free(&b);
        return n;
}

int pfs_object_write_at(int state_fd, const struct pfs_object *o, struct pfs_error *err)
{
        _cleanup_close_ int dfd = -1;
        struct pfs_buf b = { 0 };
        int r;

        if (!name_ok(o->name))
                return pfs_error_set(err, EINVAL, "bad object name");
        dfd = kind_dir_open(state_fd, o->kind, o->namespace, true, err);
        if (dfd < 0)
                return dfd;
        stored_form(o, &b);
        r = write_durable(dfd, o->name, b.data, b.len, err);
        pfs_buf_free(&b);
        return r;
}

int pfs_object_remove_at(int state_fd, enum pfs_object_kind k, const char *ns, const char *name,
                         struct pfs_error *err)
{
        _cleanup_close_ int dfd = -1;

        if (!name_ok(name))
                return -ENOENT;
        dfd = kind_dir_open(state_fd, k, ns, false, err);
        if (dfd < 0)
                return dfd;
        if (unlinkat(dfd, name, 0) < 0)
                return errno == ENOENT ? -ENOENT : pfs_error_set(err, errno, "remove '%s'", name);
        if (pfs_fsync_dir_at(dfd, ".") < 0)
                return pfs_error_set(err, EIO, "fsync the directory of '%s'", name);
        return 0;
}

/* The objects of one namespace dir: each readable one's owner and size. */
static void sizes_of_ns(int state_fd, const char *ns, pfs_object_size_fn fn, void *data)
{
        for (int k = 0; k < PFS_OBJ_KINDS; k++) {
                char **names = NULL;
                size_t n = 0;

                if (pfs_object_list_at(state_fd, (enum pfs_object_kind)k, ns, &names, &n, NULL) < 0)
                        continue;
                for (size_t i = 0; i < n; i++) {
                        struct pfs_object_stamp st;
                        struct pfs_object *o = NULL;

                        /* an object the daemon cannot read is not shown either */
                        if (pfs_object_stamp_at(state_fd, (enum pfs_object_kind)k, ns, names[i], &st) == 0 &&
                            pfs_object_read_at(state_fd, (enum pfs_object_kind)k, ns, names[i], &o, NULL) == 0)
                                fn(data, o->owner, (uint64_t)st.size);
                        pfs_object_free(o);
                        free(names[i]);
                }
                free(names);
        }
}

int pfs_object_sizes_at(int state_fd, pfs_object_size_fn fn, void *data, struct pfs_error *err)
{
        int fd = openat(state_fd, "objects", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        struct dirent *de;
        DIR *d;

        if (fd < 0)
                return errno == ENOENT ? 0 : pfs_error_set(err, errno, "open 'objects'");
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return pfs_error_set(err, errno, "list 'objects'");
        }
        while ((de = readdir(d)))
                if (name_ok(de->d_name))
                        sizes_of_ns(state_fd, de->d_name, fn, data);
        closedir(d);
        return 0;
}

int pfs_claim_dir_open_at(int state_fd, const char *ns, const char *claim, bool create, struct pfs_error *err)
{
        _cleanup_free_ char *rel = NULL;
        int fd;

        if (!name_ok(ns) || !name_ok(claim))
                return pfs_error_set(err, EINVAL, "bad claim name");
        rel = xasprintf("claims/%s/%s", ns, claim);
        if (create) {
                int r = pfs_mkdir_p_at(state_fd, rel, 0755, err);

                if (r < 0)
                        return r;
        }
        fd = openat(state_fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT && !create ? -ENOENT : pfs_error_set(err, errno, "open '%s'", rel);
        return fd;
}

int pfs_claim_dir_remove_at(int state_fd, const char *ns, const char *claim, struct pfs_error *err)
{
        _cleanup_free_ char *rel = NULL;
        _cleanup_close_ int dfd = -1;

        if (!name_ok(ns) || !name_ok(claim))
                return pfs_error_set(err, EINVAL, "bad claim name");
        rel = xasprintf("claims/%s", ns);
        dfd = openat(state_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return errno == ENOENT ? 0 : pfs_error_set(err, errno, "open '%s'", rel);
        return pfs_rm_rf_at(dfd, claim, err);
}
