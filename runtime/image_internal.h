/* Images beyond plain root filesystem directories: OCI layouts unpacked into
 * a cache (image_manifest.c, image_oci.c, image_spawn.c) and the image
 * configuration that goes with a rootfs (entrypoint, cmd, env, workingDir,
 * user; image.c), used by ctr_spawn. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "pfs/error.h"

struct ydoc;

/* Beside an unpacked rootfs: DIR/rootfs + DIR/image-config.json (the OCI image
 * config blob as is). A runtime bundle (umoci unpack) has DIR/config.json. */
#define IMAGE_CONFIG_FILE "image-config.json"
#define IMAGE_BUNDLE_CONFIG_FILE "config.json"

/* ---- OCI image layouts: blobs and manifests (image_manifest.c) ---- */

struct blob_ref {
        char hex[65];
};

/* "sha256:<64 hex>" only. */
int image_digest_parse(const char *digest, struct blob_ref *ret, struct pfs_error *err);
int image_blob_open(const char *layout, const struct blob_ref *b, struct pfs_error *err);
/* Read a small blob (index, manifest, config) and check its digest. */
int image_blob_read(const char *layout, const char *digest, char **ret_data, size_t *ret_len,
                    struct pfs_error *err);
/* The image manifest that TAG names in LAYOUT's index.json (or its only one
 * when !tag_required), through nested indexes by the host's platform. */
int image_manifest_load(const char *layout, const char *tag, bool tag_required, struct ydoc **ret_docs,
                        size_t *ret_n, char **ret_digest, struct pfs_error *err);
/* STATE/cache/images/<hex>: where the manifest DIGEST is unpacked. */
char *image_cache_dir(const char *state_dir, const char *digest);
/* 1 with ret_rootfs/ret_image_id when the manifest is unpacked already, 0 when not. */
int image_oci_cached(const char *state_dir, const char *layout, const char *ref_name, const char *tag,
                     bool tag_required, char **ret_rootfs, char **ret_image_id, struct pfs_error *err);

/* ---- unpacking (image_oci.c, in podfs-image: libarchive, libcrypto) ---- */

/* Unpack the manifest that TAG names in the OCI layout LAYOUT (or its only one
 * when !tag_required) into STATE/cache/images/<digest>/ unless already there. */
int image_oci_unpack(const char *state_dir, const char *layout, const char *ref_name, const char *tag,
                     bool tag_required, char **ret_rootfs, char **ret_image_id, struct pfs_error *err);

/* ---- in the sandbox (image_spawn.c) ---- */

/* image_oci_cached, else run podfs-image to unpack the layout; its error
 * message (on its stderr) becomes ERR's. */
int image_oci_resolve(const char *state_dir, const char *layout, const char *ref_name, const char *tag,
                      bool tag_required, char **ret_rootfs, char **ret_image_id, struct pfs_error *err);
/* podfs-image: $PODFS_IMAGE, next to this program, or in the libexec directory. */
char *image_find_binary(void);

/* ---- the image configuration (image.c) ---- */

struct image_config {
        char **entrypoint;      /* NULL-terminated, or NULL */
        char **cmd;
        char **env;             /* "K=V" */
        char *working_dir;
        char *user;             /* "uid[:gid]" or "name[:group]", or NULL */
        char *stop_signal;      /* StopSignal ("SIGQUIT", "QUIT", "3"), or NULL */
};

/* The configuration that goes with ROOTFS, or *ret_config = NULL when it has none. */
int image_config_load(const char *rootfs, struct image_config **ret_config, struct pfs_error *err);
void image_config_free(struct image_config *c);

/* Resolve a user spec ("1000", "1000:1000", "nobody", "app:staff") against the
 * image's /etc/passwd and /etc/group (read inside the root, never following a
 * link out of it). */
int image_user_resolve(const char *rootfs, const char *user, uid_t *ret_uid, gid_t *ret_gid,
                       struct pfs_error *err);

/* ---- pulls (image_pull.c, in podfs-image) ---- */

struct pfs_image_record;
/* Pull IMAGE with skopeo into the store and unpack it; with IF_NOT_PRESENT a
 * record written meanwhile (another pod's pull) is taken as is. ret_ns: how
 * long the pull took once it had the store (the wait for it not counted). */
int image_pull(const char *state_dir, const char *image, bool if_not_present, const char *authfile,
               int gc_high, int gc_low, struct pfs_image_record *ret, int64_t *ret_ns, struct pfs_error *err);
/* image_gc.c: the kubelet's image GC over the store (caller holds its lock). */
void image_gc(const char *state_dir, int high, int low, const char *keep);
