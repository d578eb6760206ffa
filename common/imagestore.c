/* Records of pulled images (pfs/imagestore.h): "key value" lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "pfs/imagestore.h"
#include "pfs/sha256.h"
#include "pfs/util.h"

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
