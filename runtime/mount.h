/* The container's filesystem, planned by the sandbox before clone
 * (mount_plan.c) and built by the child in its new mount namespace (mount.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "pfs/error.h"
#include "runtime.h"

/* One bind mount into the container. Sources are host paths (trusted: the
 * pod's volumes dir or a hostPath); targets are resolved inside the rootfs
 * (hostile: symlinks are followed as if the rootfs were /). */
struct ctr_mount {
        const char *source;     /* host path */
        const char *sub_path;   /* path below source (created as a directory if missing), or NULL */
        const char *target;     /* absolute path inside the container */
        bool read_only;
        bool if_etc;            /* only when the image has an /etc directory (hostname, hosts) */
        bool optional;          /* skip when the source is missing */
        bool nosuid_nodev;      /* image volumes */
};

struct ctr_root {
        const char *rootfs;     /* host path of the image root filesystem */
        /* A fresh writable layer over the image, like a container runtime's
         * snapshot: overlay mounted on merged_dir with these options. Required:
         * when the kernel refuses it the container does not start (the image
         * is shared and is never bound itself). */
        const char *merged_dir;
        const char *overlay_opts;
        const struct ctr_mount *mounts;
        size_t n_mounts;
        /* securityContext (security.c): privileged = the host's devices, /sys
         * read-write, no masked or read-only paths; read_only_root = the root
         * filesystem mounted read-only (volumes keep their own mode). */
        bool privileged, read_only_root;
        /* hostUsers: false (userns.c): the image idmapped on lower_dir (the
         * overlay's lowerdir), every bind mount idmapped, the kernel's tmpfs
         * owned by the pod's root (host id userns_host); unmasked = procMount
         * Unmasked: no masked or read-only paths. */
        bool userns, unmasked;
        int userns_fd;
        uint32_t userns_host;
        const char *lower_dir;
};

/* In the child: private /, rootfs (overlay or bind), /proc, /dev, /sys, the mounts, then
 * pivot_root into it. Leaves the cwd at the new /. */
int ctr_root_setup(const struct ctr_root *root, struct pfs_error *err);

/* A privileged container's /dev: a node for each of the host's /dev devices
 * (security.c). */
int ctr_host_devices(int rootfd, struct pfs_error *err);

/* One run's plan; owns the strings its mounts point to. */
struct ctr_mount_plan {
        struct ctr_mount *mounts;
        size_t n_mounts;
        const char *merged_dir, *overlay_opts;  /* see struct ctr_root */
        const char *lower_dir;                  /* hostUsers: false: where the idmapped image goes */
        char **strings;
        size_t n_strings;
};

int ctr_mount_plan_build(struct ctr_mount_plan *plan, const struct ctr_launch *l, struct pfs_error *err);
void ctr_mount_plan_free(struct ctr_mount_plan *plan);
