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

/* Which pods use an image: STATE/cache/inuse/<record name>/<pod uid>, made by
 * the sandbox when a container starts with a stored image (and the record's
 * mtime set: its last use). An entry counts while its pod exists (as the
 * kubelet counts the images of containers that exist, running or not). */
#define PFS_IMAGE_INUSE_DIR "cache/inuse"
void pfs_image_use(const char *state_dir, const char *ref, const char *uid);
/* The uids recorded for REF (NULL-terminated; free with each and the array). */
char **pfs_image_users(const char *state_dir, const char *ref);
/* Remove REF from the store: its record, its users' entries, its rootfs tree
 * when no other reference has the same manifest, its tag in the layout and
 * the blobs no remaining manifest needs. -EBUSY when a pull holds the store. */
int pfs_image_remove(const char *state_dir, const char *ref, struct pfs_error *err);
/* The same for a caller that holds the store's lock. */
int pfs_image_remove_locked(const char *state_dir, const char *ref, struct pfs_error *err);
/* The tree's file name of a reference: '%' and '/' escaped ("%25", "%2F"), and back. */
char *pfs_image_file_name(const char *ref);
char *pfs_image_file_ref(const char *name);
