/* The pod cgroup's backends (cgroup_v2.c for v2 and the hybrid layout's unified
 * hierarchy, cgroup_v1.c for a pure v1 host) behind one small ops table. */
#pragma once
#include <stdbool.h>
#include "pfs/error.h"
#include "runtime.h"

struct pod_cgroup_ops {
        const char *name;
        /* Create (or reopen) cg->path; cg->root and cg->path are set. */
        int (*open)(struct pod_cgroup *cg, struct pfs_error *err);
        int (*child_fd)(struct pod_cgroup *cg, const char *child, struct pfs_error *err);
        int (*kill_all)(struct pod_cgroup *cg, struct pfs_error *err);
};

struct pod_cgroup {
        const struct pod_cgroup_ops *ops;
        char *root;             /* mount point of the hierarchy used */
        char *path;             /* ROOT/podfs/<uid> */
        int dirfd;              /* of path */
        bool freezer;           /* v1: the hierarchy is the freezer's */
        bool pids_twins;        /* the pod's pids limit is in the v1 pids hierarchy:
                                 * every container joins a twin below it (cgroup_pids.c) */
};

#define CGROUP_V1_ROOT "/sys/fs/cgroup"
/* Is PATH the mount point of a v1 hierarchy (cgroup.c)? */
bool cgroup_is_v1_hierarchy(const char *path);

extern const struct pod_cgroup_ops pod_cgroup_v2_ops;
extern const struct pod_cgroup_ops pod_cgroup_v1_ops;

/* Shared helpers (cgroup.c). */
#define POD_CGROUP_KILL_TIMEOUT_MS 5000
int cgroup_write_at(int dirfd, const char *file, const char *value);
/* Read a small cgroup file into BUF (NUL-terminated); returns its length or -errno. */
int cgroup_read_at(int dirfd, const char *file, char *buf, size_t size);
/* SIGKILL every pid listed in DIRFD/cgroup.procs and in every descendant's;
 * returns how many were listed (0 = the subtree is empty) or -errno. */
int cgroup_kill_listed_at(int dirfd);
/* mkdir NAME in DIRFD (EEXIST is fine) and open it. */
int cgroup_mkdir_open_at(int dirfd, const char *name, struct pfs_error *err);
/* Create (or open) ROOT/podfs and ROOT/podfs/<uid> for cg (cg->root, cg->path
 * set); calls top_hook on the "podfs" dir fd first when given. Sets cg->dirfd. */
int cgroup_pod_dir_open(struct pod_cgroup *cg, void (*top_hook)(int top_fd), struct pfs_error *err);
/* rmdir a cgroup and its descendants (each must be empty). */
void cgroup_rmdir_tree(const char *path);

/* cgroup_limits.c: the v1 twins of a container's cgroup (see there), in the
 * memory, cpu, pids and devices hierarchies. Opens
 * the twins of the cgroup CGROUP_FD in the v1 hierarchies into FDS (at most
 * MAX); returns how many. */
#define POD_CGROUP_TWINS_MAX 4
int pod_cgroup_twins_open(int cgroup_fd, int *fds, size_t max);
/* Create the twin of CHILD in the v1 hierarchy of CTRL (the caller checked it
 * is one) and open it. */
int pod_cgroup_twin_open(const struct pod_cgroup *cg, const char *ctrl, const char *child, struct pfs_error *err);
void pod_cgroup_twins_remove(const struct pod_cgroup *cg);
/* Drop the twins of CHILD from an earlier run (limits are per run). */
void pod_cgroup_twins_reset(const struct pod_cgroup *cg, const char *child);
