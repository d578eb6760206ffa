/* Volumes made of objects and of the pod itself (configMap, secret,
 * downwardAPI, projected: files the sandbox writes with the kubelet's
 * AtomicWriter layout) and volumes bound from elsewhere
 * (persistentVolumeClaim: the claim's data dir; image: an image's rootfs). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "pfs/downward.h"
#include "pfs/error.h"
#include "pfs/spec.h"

struct objvol_file {
        char *path;             /* relative, no ".." */
        unsigned char *data;
        size_t len;
        mode_t mode;
};

struct objvol_payload {
        struct objvol_file *files;
        size_t n;
        bool has_fs_group;      /* the pod's fsGroup: set on everything written (objvol_write_at) */
        gid_t fs_group;
};

/* atomic_writer.c */
void objvol_payload_add(struct objvol_payload *p, const char *path, const void *data, size_t len, mode_t mode);
/* Sorted by path, as one comparable string (length in *ret_len). */
char *objvol_payload_serialize(struct objvol_payload *p, size_t *ret_len);
void objvol_payload_free(struct objvol_payload *p);
/* Write p into the volume directory dirfd (AtomicWriter). With an fsGroup,
 * what SetVolumeOwnership does to a read-only volume, before the swap of
 * ..data (the kubelet's setPerms): everything in the volume, the volume's
 * directory too, gets the group (symlinks included); files get g+r (mode |
 * 0440), directories setgid and g+rx (mode | 02550). */
int objvol_write_at(int dirfd, const struct objvol_payload *p, struct pfs_error *err);

/* objvol_payload.c: the files of volume v as the kubelet computes them.
 * -ENOENT / -EINVAL with the kubelet's message (`configmap "x" not found`,
 * `configmap references non-existent config key: k`) when a source that is
 * not optional is missing. *ret_immutable: every object read is immutable. */
int objvol_payload_build(int state_fd, const struct pod_downward_ctx *ctx, const struct pod_volume *v,
                         struct objvol_payload *ret, bool *ret_immutable, struct pfs_error *err);

/* Whether volume v is one of the file kinds (written by the sandbox). */
bool objvol_is_files(const struct pod_volume *v);

/* subPathExpr: $(VAR) from the container's environment (env, resolved for
 * this start; NULL: c's literal env values), as the kubelet expands it;
 * "missing value for A, B" when a variable is unset or empty. */
struct pod_env_list;
int objvol_expand_sub_path(const struct pod_container *c, const struct pod_env_list *env, const char *expr,
                           char **ret, struct pfs_error *err);
