/* Images beyond plain root filesystem directories: OCI layouts unpacked into
 * a cache (image_oci.c) and the image configuration that goes with a rootfs
 * (entrypoint, cmd, env, workingDir, user; image.c), used by ctr_spawn. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "pfs/error.h"

/* Beside an unpacked rootfs: DIR/rootfs + DIR/image-config.json (the OCI image
 * config blob as is). A runtime bundle (umoci unpack) has DIR/config.json. */
#define IMAGE_CONFIG_FILE "image-config.json"
#define IMAGE_BUNDLE_CONFIG_FILE "config.json"

/* Unpack the manifest that TAG names in the OCI layout LAYOUT (or its only one
 * when !tag_required) into STATE/cache/images/<digest>/ unless already there. */
int image_oci_unpack(const char *state_dir, const char *layout, const char *ref_name, const char *tag,
                     bool tag_required, char **ret_rootfs, char **ret_image_id, struct pfs_error *err);

struct image_config {
        char **entrypoint;      /* NULL-terminated, or NULL */
        char **cmd;
        char **env;             /* "K=V" */
        char *working_dir;
        char *user;             /* "uid[:gid]" or "name[:group]", or NULL */
};

/* The configuration that goes with ROOTFS, or *ret_config = NULL when it has none. */
int image_config_load(const char *rootfs, struct image_config **ret_config, struct pfs_error *err);
void image_config_free(struct image_config *c);

/* Resolve a user spec ("1000", "1000:1000", "nobody", "app:staff") against the
 * image's /etc/passwd and /etc/group (read inside the root, never following a
 * link out of it). */
int image_user_resolve(const char *rootfs, const char *user, uid_t *ret_uid, gid_t *ret_gid,
                       struct pfs_error *err);
