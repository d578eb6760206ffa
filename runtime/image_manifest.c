/* OCI image layouts (as skopeo/umoci write them): the blobs, each checked
 * against its digest, and the choice of the image manifest a tag (and the
 * host's platform) names. Shared by the sandbox, which looks for the manifest
 * in the cache without spawning anything, and podfs-image, which unpacks it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "image_internal.h"
#include "pfs/sha256.h"
#include "pfs/util.h"
#include "pfs/yval.h"

#define BLOB_MAX (4 * 1024 * 1024)      /* index, manifest, config */
#define MT_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

/* ---- blobs and digests ---- */

int image_digest_parse(const char *digest, struct blob_ref *ret, struct pfs_error *err)
{
        if (!digest || strncmp(digest, "sha256:", 7) != 0)
                return pfs_error_set(err, ENOTSUP, "unsupported digest \"%s\" (sha256 only)", digest ? digest : "");
        if (strlen(digest + 7) != 64 || strspn(digest + 7, "0123456789abcdef") != 64)
                return pfs_error_set(err, EINVAL, "malformed digest \"%s\"", digest);
        memcpy(ret->hex, digest + 7, 65);
        return 0;
}

int image_blob_open(const char *layout, const struct blob_ref *b, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("%s/blobs/sha256/%s", layout, b->hex);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

        if (fd < 0)
                return pfs_error_set(err, errno, "open blob '%s'", path);
        return fd;
}

/* Read a small blob and check its digest. */
int image_blob_read(const char *layout, const char *digest, char **ret_data, size_t *ret_len,
                     struct pfs_error *err)
{
        struct blob_ref b;
        struct pfs_buf buf = { 0 };
        char got[65] = "", chunk[16384];
        _cleanup_close_ int fd = -1;
        int r = image_digest_parse(digest, &b, err);
        ssize_t n;

        if (r < 0)
                return r;
        fd = image_blob_open(layout, &b, err);
        if (fd < 0)
                return fd;
        while ((n = read(fd, chunk, sizeof(chunk))) > 0 && buf.len <= BLOB_MAX)
                pfs_buf_append(&buf, chunk, (size_t)n);
        if (n < 0 || buf.len > BLOB_MAX) {
                pfs_buf_free(&buf);
                return pfs_error_set(err, n < 0 ? errno : EFBIG, "read blob %s", digest);
        }
        pfs_sha256_hex(buf.data ? buf.data : "", buf.len, got);
        if (strcmp(got, b.hex) != 0) {
                pfs_buf_free(&buf);
                return pfs_error_set(err, EINVAL, "blob %s: digest mismatch (content is sha256:%s)", digest, got);
        }
        *ret_len = buf.len;
        *ret_data = buf.data ? pfs_buf_steal(&buf) : xstrdup("");
        return 0;
}

static int json_read(const char *text, size_t len, const char *what, struct ydoc **ret_docs, size_t *ret_n,
                     struct pfs_error *err)
{
        int r = yval_parse_stream(text, len, ret_docs, ret_n, err);

        if (r < 0)
                return pfs_error_wrap(err, "%s", what);
        if (*ret_n < 1 || !(*ret_docs)[0].root || (*ret_docs)[0].root->type != YVAL_MAP) {
                ydoc_free_array(*ret_docs, *ret_n);
                return pfs_error_set(err, EINVAL, "%s: not a JSON object", what);
        }
        return 0;
}

/* ---- choosing the manifest ---- */

static const char *host_arch(void)
{
        static struct utsname u;

        uname(&u);
        if (!strcmp(u.machine, "x86_64"))
                return "amd64";
        if (!strcmp(u.machine, "aarch64"))
                return "arm64";
        if (!strncmp(u.machine, "arm", 3))
                return "arm";
        return u.machine;
}

static const struct yval *manifests_of(const struct yval *index)
{
        const struct yval *m = yval_map_get(index, "manifests");

        return m && m->type == YVAL_LIST ? m : NULL;
}

/* By the tag in org.opencontainers.image.ref.name ("1.36" or "busybox:1.36"),
 * else the only manifest when the tag is optional. */
static const struct yval *index_pick_tag(const struct yval *index, const char *tag, bool tag_required)
{
        const struct yval *list = manifests_of(index);

        if (!list)
                return NULL;
        for (size_t i = 0; tag && i < list->list.n; i++) {
                const struct yval *ann = yval_map_get(list->list.items[i], "annotations");
                const char *ref = ann ? yval_get_str(ann, "org.opencontainers.image.ref.name", NULL) : NULL;
                size_t rl = ref ? strlen(ref) : 0, tl = strlen(tag);

                if (ref && (!strcmp(ref, tag) || (rl > tl && ref[rl - tl - 1] == ':' && !strcmp(ref + rl - tl, tag))))
                        return list->list.items[i];
        }
        return !tag_required && list->list.n == 1 ? list->list.items[0] : NULL;
}

static const struct yval *index_pick_platform(const struct yval *index)
{
        const struct yval *list = manifests_of(index);

        for (size_t i = 0; list && i < list->list.n; i++) {
                const struct yval *p = yval_map_get(list->list.items[i], "platform");

                if (p && !strcmp(yval_get_str(p, "os", ""), "linux") &&
                    !strcmp(yval_get_str(p, "architecture", ""), host_arch()))
                        return list->list.items[i];
        }
        return NULL;
}

/* Resolve the layout's entry to an image manifest; ret_digest is its digest. */
int image_manifest_load(const char *layout, const char *tag, bool tag_required, struct ydoc **ret_docs,
                         size_t *ret_n, char **ret_digest, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL, *digest = NULL, *path = xasprintf("%s/index.json", layout);
        struct ydoc *docs = NULL;
        size_t n = 0, len = 0;
        const struct yval *desc;
        int r;

        r = pfs_read_file_at(AT_FDCWD, path, &text, &len, err);
        if (r < 0 || (r = json_read(text, len, "index.json", &docs, &n, err)) < 0)
                return r;
        desc = index_pick_tag(docs[0].root, tag, tag_required);
        for (int depth = 0;; depth++) {
                _cleanup_free_ char *mt = NULL;

                if (!desc || depth > 2) {
                        ydoc_free_array(docs, n);
                        if (depth == 0)
                                return pfs_error_set(err, ENOENT, "tag \"%s\" not found in the OCI image layout",
                                                     tag ? tag : "latest");
                        return pfs_error_set(err, ENOENT, "no linux/%s image in the OCI image index", host_arch());
                }
                free(digest);
                digest = xstrdup(yval_get_str(desc, "digest", ""));
                mt = xstrdup(yval_get_str(desc, "mediaType", ""));
                ydoc_free_array(docs, n);
                docs = NULL;
                free(text);
                text = NULL;
                r = image_blob_read(layout, digest, &text, &len, err);
                if (r < 0 || (r = json_read(text, len, "manifest", &docs, &n, err)) < 0)
                        return r;
                if (strcmp(mt, MT_INDEX) != 0 && strcmp(mt, MT_DOCKER_LIST) != 0 &&
                    !manifests_of(docs[0].root))
                        break;
                desc = index_pick_platform(docs[0].root);
        }
        *ret_docs = docs;
        *ret_n = n;
        *ret_digest = steal_ptr(&digest);
        return 0;
}

char *image_cache_dir(const char *state_dir, const char *digest)
{
        return xasprintf("%s/cache/images/%s", state_dir, digest + strlen("sha256:"));
}

int image_oci_cached(const char *state_dir, const char *layout, const char *ref_name, const char *tag,
                     bool tag_required, char **ret_rootfs, char **ret_image_id, struct pfs_error *err)
{
        _cleanup_free_ char *digest = NULL, *dir = NULL, *rootfs = NULL;
        struct ydoc *docs = NULL;
        size_t n = 0;
        struct stat st;
        int r;

        r = image_manifest_load(layout, tag, tag_required, &docs, &n, &digest, err);
        if (r < 0)
                return pfs_error_wrap(err, "OCI image layout '%s'", layout);
        ydoc_free_array(docs, n);
        dir = image_cache_dir(state_dir, digest);
        rootfs = xasprintf("%s/rootfs", dir);
        if (stat(rootfs, &st) < 0)
                return 0;
        *ret_image_id = xasprintf("%s@%s", ref_name, digest);
        *ret_rootfs = steal_ptr(&rootfs);
        return 1;
}
