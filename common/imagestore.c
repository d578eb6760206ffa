/* Records of pulled images (pfs/imagestore.h): "key value" lines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pfs/imagestore.h"
#include "pfs/sha256.h"
#include "pfs/util.h"
#include "pfs/yval.h"

char *pfs_image_record_path(const char *state_dir, const char *ref)
{
        char hex[65];

        pfs_sha256_hex(ref, strlen(ref), hex);
        return xasprintf("%s/%s/%s", state_dir, PFS_IMAGE_RECORD_DIR, hex);
}

void pfs_image_record_free(struct pfs_image_record *r)
{
        free(r->ref);
        free(r->id);
        free(r->digest);
        free(r->rootfs);
        memset(r, 0, sizeof(*r));
}

static void record_set(struct pfs_image_record *r, const char *key, const char *val)
{
        char **slot = !strcmp(key, "ref") ? &r->ref : !strcmp(key, "id") ? &r->id :
                      !strcmp(key, "digest") ? &r->digest : !strcmp(key, "rootfs") ? &r->rootfs : NULL;

        if (slot) {
                free(*slot);
                *slot = xstrdup(val);
        } else if (!strcmp(key, "size")) {
                r->size = strtoll(val, NULL, 10);
        }
}

int pfs_image_record_read_path(const char *path, struct pfs_image_record *ret, struct pfs_error *err)
{
        struct pfs_image_record r = {0};
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len;
        char *line, *save = NULL;
        int rc;

        rc = pfs_read_file_at(AT_FDCWD, path, &data, &len, err);
        if (rc < 0)
                return rc;
        for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *sp = strchr(line, ' ');

                if (!sp)
                        continue;
                *sp = '\0';
                record_set(&r, line, sp + 1);
        }
        if (!r.ref || !r.id || !r.digest || !r.rootfs) {
                pfs_image_record_free(&r);
                return pfs_error_set(err, EBADMSG, "image record '%s' is incomplete", path);
        }
        if (stat(r.rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
                rc = pfs_error_set(err, ENOENT, "image \"%s\": '%s' is gone", r.ref, r.rootfs);
                pfs_image_record_free(&r);
                return rc;
        }
        *ret = r;
        return 0;
}

int pfs_image_record_read(const char *state_dir, const char *ref, struct pfs_image_record *ret,
                          struct pfs_error *err)
{
        _cleanup_free_ char *path = pfs_image_record_path(state_dir, ref);

        return pfs_image_record_read_path(path, ret, err);
}

int pfs_image_record_write(const char *state_dir, const struct pfs_image_record *r, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", state_dir, PFS_IMAGE_RECORD_DIR);
        _cleanup_free_ char *path = pfs_image_record_path(state_dir, r->ref);
        _cleanup_free_ char *text = xasprintf("ref %s\nid %s\ndigest %s\nrootfs %s\nsize %lld\n", r->ref, r->id,
                                              r->digest, r->rootfs, (long long)r->size);
        int rc;

        rc = pfs_mkdir_p_at(AT_FDCWD, dir, 0700, err);
        if (rc < 0)
                return rc;
        return pfs_write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600, err);
}

static char *record_name(const char *ref)
{
        char hex[65];

        pfs_sha256_hex(ref, strlen(ref), hex);
        return xstrdup(hex);
}

void pfs_image_use(const char *state_dir, const char *ref, const char *uid)
{
        _cleanup_free_ char *name = record_name(ref);
        _cleanup_free_ char *dir = xasprintf("%s/%s/%s", state_dir, PFS_IMAGE_INUSE_DIR, name);
        _cleanup_free_ char *rec = pfs_image_record_path(state_dir, ref);
        int fd;

        if (pfs_mkdir_p_at(AT_FDCWD, dir, 0700, NULL) < 0)
                return;
        fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                int f = openat(fd, uid, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

                if (f >= 0)
                        close(f);
                close(fd);
        }
        utimensat(AT_FDCWD, rec, NULL, 0);
}

char **pfs_image_users(const char *state_dir, const char *ref)
{
        _cleanup_free_ char *name = record_name(ref);
        _cleanup_free_ char *dir = xasprintf("%s/%s/%s", state_dir, PFS_IMAGE_INUSE_DIR, name);
        DIR *d = opendir(dir);
        struct dirent *de;
        char **v = xcalloc(1, sizeof(*v));
        size_t n = 0;

        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                v = xrealloc(v, (n + 2) * sizeof(*v));
                v[n++] = xstrdup(de->d_name);
                v[n] = NULL;
        }
        if (d)
                closedir(d);
        return v;
}

char *pfs_image_file_name(const char *ref)
{
        struct pfs_buf b = {0};

        for (const char *p = ref; *p; p++) {
                if (*p == '/')
                        pfs_buf_puts(&b, "%2F");
                else if (*p == '%')
                        pfs_buf_puts(&b, "%25");
                else
                        pfs_buf_append(&b, p, 1);
        }
        return pfs_buf_steal(&b);
}

char *pfs_image_file_ref(const char *name)
{
        struct pfs_buf b = {0};

        for (const char *p = name; *p; p++) {
                if (!strncmp(p, "%2F", 3)) {
                        pfs_buf_puts(&b, "/");
                        p += 2;
                } else if (!strncmp(p, "%25", 3)) {
                        pfs_buf_puts(&b, "%");
                        p += 2;
                } else {
                        pfs_buf_append(&b, p, 1);
                }
        }
        return pfs_buf_steal(&b);
}

/* ---- removal ---- */

struct strset {
        char **v;
        size_t n;
};

static void strset_add(struct strset *s, const char *digest)
{
        if (!digest || strncmp(digest, "sha256:", 7) != 0)
                return;
        s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
        s->v[s->n++] = xstrdup(digest + 7);
}

static bool strset_has(const struct strset *s, const char *hex)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->v[i], hex))
                        return true;
        return false;
}

static void strset_free(struct strset *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
}

static struct ydoc *json_load(const char *path, size_t *ret_n)
{
        _cleanup_free_ char *data = NULL;
        struct ydoc *docs = NULL;
        size_t len;

        *ret_n = 0;
        if (pfs_read_file_at(AT_FDCWD, path, &data, &len, NULL) < 0 ||
            yval_parse_stream_unbounded(data, len, &docs, ret_n, NULL) < 0 || *ret_n == 0 || !docs[0].root) {
                if (docs)
                        ydoc_free_array(docs, *ret_n);
                *ret_n = 0;
                return NULL;
        }
        return docs;
}

/* The blobs MANIFEST (a descriptor in index.json) needs; false when it is not a plain image manifest. */
static bool manifest_blobs(const char *layout, const struct yval *desc, struct strset *keep)
{
        const char *digest = yval_get_str(desc, "digest", NULL);
        _cleanup_free_ char *path = NULL;
        const struct yval *layers;
        struct ydoc *docs;
        size_t n;

        if (!digest || strncmp(digest, "sha256:", 7) != 0)
                return false;
        strset_add(keep, digest);
        path = xasprintf("%s/blobs/sha256/%s", layout, digest + 7);
        docs = json_load(path, &n);
        if (!docs)
                return false;
        layers = yval_map_get(docs[0].root, "layers");
        if (yval_map_get(docs[0].root, "manifests") || !layers || layers->type != YVAL_LIST) {
                ydoc_free_array(docs, n);
                return false;
        }
        strset_add(keep, yval_get_str(yval_map_get(docs[0].root, "config"), "digest", NULL));
        for (size_t i = 0; i < layers->list.n; i++)
                strset_add(keep, yval_get_str(layers->list.items[i], "digest", NULL));
        ydoc_free_array(docs, n);
        return true;
}

/* Drop REF's tag from the layout's index.json; KEEP gets what the rest needs.
 * false when the rest cannot be told (then no blob is removed). */
static bool layout_untag(const char *layout, const char *ref, struct strset *keep)
{
        _cleanup_free_ char *path = xasprintf("%s/index.json", layout);
        const struct yval *old;
        struct yval *kept = yval_new_list();
        struct pfs_buf out = {0};
        struct ydoc *docs;
        bool whole = true;
        size_t n;

        docs = json_load(path, &n);
        old = docs ? yval_map_get(docs[0].root, "manifests") : NULL;
        if (!old || old->type != YVAL_LIST) {
                yval_free(kept);
                if (docs)
                        ydoc_free_array(docs, n);
                return false;
        }
        for (size_t i = 0; i < old->list.n; i++) {
                const struct yval *d = old->list.items[i];
                const char *name = yval_get_str(yval_map_get(d, "annotations"), "org.opencontainers.image.ref.name", "");

                if (!strcmp(name, ref))
                        continue;
                whole = manifest_blobs(layout, d, keep) && whole;
                yval_list_push(kept, yval_clone(d));
        }
        yval_map_set(docs[0].root, "manifests", kept);
        yval_emit_json(docs[0].root, false, &out);
        if (pfs_write_file_atomic_at(AT_FDCWD, path, out.data, out.len, 0644, NULL) < 0)
                whole = false;
        pfs_buf_free(&out);
        ydoc_free_array(docs, n);
        return whole;
}

static void blobs_sweep(const char *layout, const struct strset *keep)
{
        _cleanup_free_ char *dir = xasprintf("%s/blobs/sha256", layout);
        DIR *d = opendir(dir);
        struct dirent *de;

        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.' && !strset_has(keep, de->d_name))
                        unlinkat(dirfd(d), de->d_name, 0);
        if (d)
                closedir(d);
}

/* Another record with DIGEST (then its rootfs tree stays). */
static bool digest_shared(const char *state_dir, const char *digest)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", state_dir, PFS_IMAGE_RECORD_DIR);
        DIR *d = opendir(dir);
        struct dirent *de;
        bool shared = false;

        while (d && !shared && (de = readdir(d))) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                struct pfs_image_record r = {0};

                if (strchr(de->d_name, '.') || pfs_image_record_read_path(p, &r, NULL) < 0)
                        continue;
                shared = !strcmp(r.digest, digest);
                pfs_image_record_free(&r);
        }
        if (d)
                closedir(d);
        return shared;
}

int pfs_image_remove(const char *state_dir, const char *ref, struct pfs_error *err)
{
        _cleanup_free_ char *lock = xasprintf("%s/%s", state_dir, PFS_IMAGE_LOCK_FILE);
        int fd, r;

        fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return pfs_error_set(err, errno, "open '%s'", lock);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                r = pfs_error_set(err, errno == EWOULDBLOCK ? EBUSY : errno, "the image store is busy (a pull)");
                close(fd);
                return r;
        }
        r = pfs_image_remove_locked(state_dir, ref, err);
        close(fd);
        return r;
}

int pfs_image_remove_locked(const char *state_dir, const char *ref, struct pfs_error *err)
{
        _cleanup_free_ char *layout = xasprintf("%s/%s", state_dir, PFS_IMAGE_LAYOUT_DIR);
        _cleanup_free_ char *rec_path = pfs_image_record_path(state_dir, ref), *name = record_name(ref);
        _cleanup_free_ char *inuse = xasprintf("%s/%s/%s", state_dir, PFS_IMAGE_INUSE_DIR, name);
        struct pfs_image_record rec = {0};
        struct strset keep = {0};
        int r;

        r = pfs_image_record_read_path(rec_path, &rec, err);
        if (r == 0) {
                unlink(rec_path);
                pfs_rm_rf_at(AT_FDCWD, inuse, NULL);
                if (!digest_shared(state_dir, rec.digest)) {
                        _cleanup_free_ char *tree = xasprintf("%s/cache/images/%s", state_dir, rec.digest + 7);

                        pfs_rm_rf_at(AT_FDCWD, tree, NULL);
                }
                if (layout_untag(layout, rec.ref, &keep))
                        blobs_sweep(layout, &keep);
        }
        strset_free(&keep);
        pfs_image_record_free(&rec);
        return r;
}
