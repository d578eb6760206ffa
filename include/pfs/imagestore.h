/* The store of pulled images (STATE/cache): one OCI image layout shared by
 * every pull (STATE/cache/oci, written by skopeo; a blob is stored once),
 * rootfs trees unpacked per manifest (STATE/cache/images/<hex>/) and one
 * record per reference (STATE/cache/pulled/<sha256 of the reference>) that
 * says what the reference names. A record is written (atomically) only once
 * its rootfs is complete, so a record names a usable image. */
#pragma once
#include <stdint.h>
#include "pfs/error.h"

#define PFS_IMAGE_LAYOUT_DIR "cache/oci"
#define PFS_IMAGE_LOCK_FILE "cache/oci.lock"
#define PFS_IMAGE_RECORD_DIR "cache/pulled"

struct pfs_image_record {
        char *ref;              /* "docker.io/library/busybox:1" */
        char *id;               /* "docker.io/library/busybox@sha256:..." */
        char *digest;           /* the manifest's "sha256:..." */
        char *rootfs;           /* STATE/cache/images/<hex>/rootfs */
        int64_t size;           /* bytes of its blobs (manifest's config and layers) */
};

/* STATE/cache/pulled/<hex> (the file name: sha256 of REF) */
char *pfs_image_record_path(const char *state_dir, const char *ref);
/* 0 with *ret filled; -ENOENT (err set) when REF has no record or its rootfs is gone. */
int pfs_image_record_read(const char *state_dir, const char *ref, struct pfs_image_record *ret,
                          struct pfs_error *err);
int pfs_image_record_read_path(const char *path, struct pfs_image_record *ret, struct pfs_error *err);
int pfs_image_record_write(const char *state_dir, const struct pfs_image_record *r, struct pfs_error *err);
void pfs_image_record_free(struct pfs_image_record *r);
