/* Image references to root filesystems: STATE/images/NAME:TAG, STATE/images/NAME
 * (symlinks followed, so `ln -s` registers an image) or an absolute path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include "pfs/util.h"
#include "runtime.h"

/* A relative reference must stay inside STATE/images: no empty, "." or ".." component. */
static bool image_name_is_safe(const char *name)
{
        const char *p = name;

        if (!*name || *name == '/')
                return false;
        while (*p) {
                size_t n = strcspn(p, "/");

                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += n;
                if (*p == '/')
                        p++;
                else
                        break;
        }
        return p[-1] != '/';
}

/* The tag is what follows the last ':' after the last '/' ("host:5000/app:1" -> "1").
 * A digest reference ("app@sha256:...") is looked up as written. */
static void image_split_tag(const char *image, char **ret_name, const char **ret_tag)
{
        const char *slash = strrchr(image, '/');
        const char *colon = strrchr(slash ? slash : image, ':');

        if (strchr(image, '@') || !colon) {
                *ret_name = xstrdup(image);
                *ret_tag = NULL;
                return;
        }
        *ret_name = xstrndup(image, (size_t)(colon - image));
        *ret_tag = colon + 1;
}

static bool is_oci_layout(const char *dir)
{
        _cleanup_free_ char *p = xasprintf("%s/oci-layout", dir);
        _cleanup_free_ char *q = xasprintf("%s/index.json", dir);

        return access(p, F_OK) == 0 && access(q, F_OK) == 0;
}

/* Follow symlinks to a directory; ret_real is the canonical path. */
static int image_candidate(const char *path, char **ret_real)
{
        char *real = realpath(path, NULL);
        struct stat st;

        if (!real)
                return -errno;
        if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
                free(real);
                return -ENOTDIR;
        }
        *ret_real = real;
        return 0;
}

static int image_use_dir(const char *image, char *real, char **ret_rootfs, char **ret_image_id,
                         struct pfs_error *err)
{
        if (is_oci_layout(real)) {
                pfs_error_set(err, ENOTSUP, "image \"%s\": '%s' is an OCI image layout; "
                              "unpack it into a root filesystem directory (e.g. `umoci unpack`)",
                              image, real);
                free(real);
                return -ENOTSUP;
        }
        *ret_image_id = xstrdup(real);
        *ret_rootfs = real;
        return 0;
}

int image_resolve(const char *state_dir, const char *image, char **ret_rootfs,
                  char **ret_image_id, struct pfs_error *err)
{
        _cleanup_free_ char *name = NULL, *with_tag = NULL, *plain = NULL;
        const char *tag;
        char *real = NULL;
        int r;

        if (!image || !*image)
                return pfs_error_set(err, EINVAL, "empty image reference");
        if (image[0] == '/') {
                r = image_candidate(image, &real);
                if (r < 0)
                        return pfs_error_set(err, -r, "image \"%s\": %s", image,
                                             r == -ENOTDIR ? "not a directory" : strerror(-r));
                return image_use_dir(image, real, ret_rootfs, ret_image_id, err);
        }
        image_split_tag(image, &name, &tag);
        if (!image_name_is_safe(name))
                return pfs_error_set(err, EINVAL, "invalid image reference \"%s\"", image);
        with_tag = xasprintf("%s/images/%s:%s", state_dir, name, tag ? tag : "latest");
        plain = xasprintf("%s/images/%s", state_dir, name);
        if (image_candidate(with_tag, &real) == 0 || image_candidate(plain, &real) == 0)
                return image_use_dir(image, real, ret_rootfs, ret_image_id, err);
        return pfs_error_set(err, ENOENT, "image \"%s\" not found: neither '%s' nor '%s' is a directory",
                             image, with_tag, plain);
}
