/* Unpacking an OCI image layout into a root filesystem, once, cached by
 * manifest digest under STATE/cache/images/ (podfs-image only: libarchive
 * reads the layers, libcrypto digests them as they stream). Every blob's
 * digest is verified; layers are applied in order by a child chrooted into the
 * new root, so neither a layer's paths and links nor its whiteouts (.wh.NAME,
 * .wh..wh..opq) can reach outside it. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "image_internal.h"
#include "pfs/util.h"
#include "pfs/yval.h"

static void hex_of(const unsigned char *md, unsigned int len, char out[static 65])
{
        for (unsigned int i = 0; i < len && i < 32; i++)
                snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- applying layers (in a child chrooted into the new root) ---- */

struct layer_src {
        int fd;
        EVP_MD_CTX *md;
        char buf[65536];
};

static la_ssize_t layer_read(struct archive *a, void *data, const void **ret_buf)
{
        struct layer_src *s = data;
        ssize_t n;

        do
                n = read(s->fd, s->buf, sizeof(s->buf));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                archive_set_error(a, errno, "read layer");
                return -1;
        }
        EVP_DigestUpdate(s->md, s->buf, (size_t)n);
        *ret_buf = s->buf;
        return n;
}

/* "./a/b/" -> "a/b"; NULL for the root itself or a path with "..". */
static const char *entry_path(const char *p, char *out, size_t size)
{
        size_t len;

        while (p[0] == '/' || (p[0] == '.' && p[1] == '/'))
                p += p[0] == '/' ? 1 : 2;
        len = strlen(p);
        while (len > 0 && p[len - 1] == '/')
                len--;
        if (len == 0 || len >= size || (len == 1 && p[0] == '.'))
                return NULL;
        memcpy(out, p, len);
        out[len] = '\0';
        for (const char *c = out; (c = strstr(c, "..")); c += 2)
                if ((c == out || c[-1] == '/') && (c[2] == '/' || c[2] == '\0'))
                        return NULL;
        return out;
}

/* Paths this layer created, so an opaque whiteout spares them. */
struct seen {
        char **v;
        size_t n;
};

static bool seen_has(const struct seen *s, const char *p)
{
        for (size_t i = 0; i < s->n; i++)
                if (!strcmp(s->v[i], p))
                        return true;
        return false;
}

static void seen_free(struct seen *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        s->v = NULL;
        s->n = 0;
}

static void opaque_apply(const char *dir, const struct seen *s)
{
        DIR *d = opendir(*dir ? dir : ".");
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                p = *dir ? xasprintf("%s/%s", dir, de->d_name) : xstrdup(de->d_name);
                if (!seen_has(s, p))
                        pfs_rm_rf_at(dirfd(d), de->d_name, NULL);
        }
        closedir(d);
}

/* A whiteout entry: returns true when ENTRY was one (and was applied). */
static bool whiteout_apply(const char *path, const struct seen *s)
{
        const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
        _cleanup_free_ char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("");
        _cleanup_free_ char *victim = NULL;

        if (strncmp(base, ".wh.", 4) != 0)
                return false;
        if (!strcmp(base, ".wh..wh..opq")) {
                opaque_apply(dir, s);
                return true;
        }
        victim = *dir ? xasprintf("%s/%s", dir, base + 4) : xstrdup(base + 4);
        pfs_rm_rf_at(AT_FDCWD, victim, NULL);
        return true;
}

static int layer_extract(struct archive *in, struct archive *out, struct pfs_error *err)
{
        struct archive_entry *e;
        struct seen seen = { 0 };
        char path[4096], link[4096];
        int r;

        while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
                const char *hl = archive_entry_hardlink(e);
                const void *buf;
                size_t size;
                la_int64_t off;

                if (!entry_path(archive_entry_pathname(e), path, sizeof(path)))
                        continue;
                if (whiteout_apply(path, &seen))
                        continue;
                archive_entry_set_pathname(e, path);
                if (hl) {
                        if (!entry_path(hl, link, sizeof(link)))
                                continue;
                        archive_entry_set_hardlink(e, link);
                }
                seen.v = xrealloc(seen.v, (seen.n + 1) * sizeof(*seen.v));
                seen.v[seen.n++] = xstrdup(path);
                if (archive_write_header(out, e) < ARCHIVE_WARN) {
                        pfs_error_set(err, EIO, "extract '%s': %s", path, archive_error_string(out));
                        seen_free(&seen);
                        return -EIO;
                }
                while (archive_entry_size(e) > 0 && (r = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
                        archive_write_data_block(out, buf, size, off);
                archive_write_finish_entry(out);
        }
        seen_free(&seen);
        if (r != ARCHIVE_EOF)
                return pfs_error_set(err, EIO, "read layer: %s", archive_error_string(in));
        return 0;
}

static int layer_apply(int fd, const char *hex, struct pfs_error *err)
{
        struct layer_src src = { .fd = fd, .md = EVP_MD_CTX_new() };
        struct archive *in = archive_read_new(), *out = archive_write_disk_new();
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        char got[65] = "";
        int r = 0;

        EVP_DigestInit_ex(src.md, EVP_sha256(), NULL);
        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
                                       ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                       ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
        if (archive_read_open(in, &src, NULL, layer_read, NULL) != ARCHIVE_OK)
                r = pfs_error_set(err, EIO, "open layer: %s", archive_error_string(in));
        if (r >= 0)
                r = layer_extract(in, out, err);
        /* The digest covers the whole blob, including what follows the tar's end. */
        while (r >= 0 && layer_read(in, &src, &(const void *){ NULL }) > 0)
                ;
        EVP_DigestFinal_ex(src.md, md, &mdlen);
        hex_of(md, mdlen, got);
        if (r >= 0 && strcmp(got, hex) != 0)
                r = pfs_error_set(err, EINVAL, "layer sha256:%s: digest mismatch (content is sha256:%s)", hex, got);
        archive_read_free(in);
        archive_write_free(out);
        EVP_MD_CTX_free(src.md);
        return r;
}

static _Noreturn void unpack_child(const char *rootfs, const int *fds, char **hexes, size_t n, int errfd)
{
        struct pfs_error e = { 0 };
        ssize_t w;

        umask(022);
        if (chroot(rootfs) < 0 || chdir("/") < 0) {
                pfs_error_set(&e, errno, "chroot '%s'", rootfs);
        } else {
                for (size_t i = 0; i < n; i++)
                        if (layer_apply(fds[i], hexes[i], &e) < 0)
                                break;
        }
        if (e.code) {
                w = write(errfd, &e, sizeof(e));
                (void)w;
                _exit(1);
        }
        _exit(0);
}

static int layers_apply(const char *layout, const struct yval *manifest, const char *rootfs, struct pfs_error *err)
{
        const struct yval *layers = yval_map_get(manifest, "layers");
        size_t n = layers && layers->type == YVAL_LIST ? layers->list.n : 0;
        _cleanup_free_ int *fds = xcalloc(n + 1, sizeof(int));
        _cleanup_free_ char **hexes = xcalloc(n + 1, sizeof(char *));
        struct blob_ref *refs = xcalloc(n + 1, sizeof(*refs));
        struct pfs_error e = { 0 };
        int p[2] = { -1, -1 }, status = 0, r = 0;
        pid_t pid;
        ssize_t got;

        for (size_t i = 0; i < n; i++)
                fds[i] = -1;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = image_digest_parse(yval_get_str(layers->list.items[i], "digest", NULL), &refs[i], err);
                if (r >= 0)
                        r = fds[i] = image_blob_open(layout, &refs[i], err);
                hexes[i] = refs[i].hex;
        }
        if (r >= 0 && pipe2(p, O_CLOEXEC) < 0)
                r = pfs_error_set(err, errno, "pipe");
        if (r >= 0 && (pid = fork()) < 0)
                r = pfs_error_set(err, errno, "fork");
        if (r >= 0 && pid == 0)
                unpack_child(rootfs, fds, hexes, n, p[1]);
        if (r >= 0) {
                close(p[1]);
                p[1] = -1;
                got = read(p[0], &e, sizeof(e));
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
                if (got == (ssize_t)sizeof(e))
                        r = pfs_error_set(err, e.code, "%s", e.msg);
                else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        r = pfs_error_set(err, EIO, "unpacking layers failed (status %d)", status);
        }
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        if (p[0] >= 0)
                close(p[0]);
        if (p[1] >= 0)
                close(p[1]);
        free(refs);
        return r;
}

/* ---- the cache ---- */

static int unpack_into(const char *layout, const struct yval *manifest, const char *dir, struct pfs_error *err)
{
        _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir), *config = NULL;
        const struct yval *cdesc = yval_map_get(manifest, "config");
        _cleanup_close_ int dfd = -1;
        size_t len = 0;
        int r;

        r = pfs_mkdir_p_at(AT_FDCWD, rootfs, 0755, err);
        if (r < 0)
                return r;
        if (cdesc) {
                r = image_blob_read(layout, yval_get_str(cdesc, "digest", NULL), &config, &len, err);
                if (r < 0)
                        return pfs_error_wrap(err, "image config");
                dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = pfs_write_file_atomic_at(dfd, IMAGE_CONFIG_FILE, config, len, 0644, err);
                if (r < 0)
                        return r;
        }
        return layers_apply(layout, manifest, rootfs, err);
}

int image_oci_unpack(const char *state_dir, const char *layout, const char *ref_name, const char *tag,
                     bool tag_required, char **ret_rootfs, char **ret_image_id, struct pfs_error *err)
{
        _cleanup_free_ char *digest = NULL, *cache = xasprintf("%s/cache/images", state_dir);
        _cleanup_free_ char *final = NULL, *tmp = NULL, *rootfs = NULL;
        struct ydoc *docs = NULL;
        size_t n = 0;
        struct stat st;
        int r;

        r = image_manifest_load(layout, tag, tag_required, &docs, &n, &digest, err);
        if (r < 0)
                return pfs_error_wrap(err, "OCI image layout '%s'", layout);
        final = image_cache_dir(state_dir, digest);
        rootfs = xasprintf("%s/rootfs", final);
        if (stat(rootfs, &st) < 0) {
                tmp = xasprintf("%s/.tmp-%d-%s", cache, (int)getpid(), digest + 7);
                pfs_rm_rf_at(AT_FDCWD, tmp, NULL);
                r = pfs_mkdir_p_at(AT_FDCWD, tmp, 0700, err);
                if (r >= 0)
                        r = unpack_into(layout, docs[0].root, tmp, err);
                if (r >= 0 && chmod(tmp, 0755) < 0)
                        r = pfs_error_set(err, errno, "chmod '%s'", tmp);
                /* Another sandbox may have won the race: its copy is as good as ours. */
                if (r >= 0 && rename(tmp, final) < 0 && errno != EEXIST && errno != ENOTEMPTY)
                        r = pfs_error_set(err, errno, "rename '%s'", tmp);
                pfs_rm_rf_at(AT_FDCWD, tmp, NULL);
        }
        ydoc_free_array(docs, n);
        if (r < 0)
                return pfs_error_wrap(err, "unpack OCI image \"%s\"", ref_name);
        *ret_image_id = xasprintf("%s@%s", ref_name, digest);
        *ret_rootfs = steal_ptr(&rootfs);
        return 0;
}
