/* Internal API of the pod sandbox: the mechanics (namespaces, images, mounts,
 * spawning containers, cgroups) used by the supervisor (sandbox.c & co). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pfs/error.h"
#include "pfs/spec.h"
#include "pfs/userns.h"

/* ---- pod namespaces (ns.c) ---- */
struct pod_ns {
        bool own_net;           /* false with hostNetwork */
        bool share_pid;         /* shareProcessNamespace */
        bool host_pid, host_ipc; /* hostPID, hostIPC: the node's namespaces */
        pid_t pause_pid;        /* pid 1 of the shared pid namespace, or 0 */
        int pause_pidfd;        /* or -1 */
        /* hostUsers: false (userns.c): the pod's user namespace, which owns its
         * net, ipc and uts namespaces, maps 0..65535 to userns_host.. */
        bool userns;
        int userns_fd;          /* valid when userns */
        uint32_t userns_host;
};
/* Unshare NEWNET (unless hostNetwork; bring lo up), NEWIPC, NEWUTS (sethostname)
 * in the calling process. */
int pod_ns_setup(const struct pod_spec *spec, struct pod_ns *ret_ns, struct pfs_error *err);
/* hostUsers: false, instead (userns.c): a user namespace mapping 0..65535 to
 * HOST.., owning new net, ipc and uts namespaces (lo up, the hostname), which
 * the calling process joins; ret_ns->userns_fd keeps the user namespace. */
int pod_ns_setup_userns(const struct pod_spec *spec, uint32_t host, struct pod_ns *ret_ns, struct pfs_error *err);
/* lo up and the pod's hostname, in the caller's net and uts namespaces (ns.c). */
int pod_ns_net_init(const struct pod_spec *spec, struct pfs_error *err);
/* In a container's child, its root set up: join the pod's user namespace as
 * its root (userns.c). */
int ctr_userns_join(int userns_fd, struct pfs_error *err);
/* A detached copy of the mount at SRC_FD (with its submounts) whose top is
 * idmapped with the user namespace's mapping: an fd for ctr_idmap_attach, or
 * -errno with runc's message when the filesystem cannot do it. */
int ctr_idmap_clone(int src_fd, const char *source, int userns_fd, struct pfs_error *err);
int ctr_idmap_attach(int tree, int dst_fd, const char *target, struct pfs_error *err);
int ctr_idmap_bind_path(const char *source, const char *target, int userns_fd, struct pfs_error *err);

/* Then, with shareProcessNamespace, NEWPID and a pause process (pid 1 there,
 * reaps, PDEATHSIG SIGKILL); after the pod network's ADD, whose plugins must
 * not be forked into the pod's pid namespace. */
int pod_ns_pid_setup(struct pod_ns *ns, struct pfs_error *err);

/* ---- images (image.c) ---- */
/* Resolve "NAME[:TAG]" to STATE/images/NAME:TAG, else STATE/images/NAME (symlinks
 * followed), or an absolute path. Returns -ENOENT with a message when missing.
 * ret_image_id is what containerStatuses[].imageID shows. */
int image_resolve(const char *state_dir, const char *image, char **ret_rootfs,
                  char **ret_image_id, struct pfs_error *err);

/* The image's StopSignal as a number, 0 when it names none (image.c). */
int image_stop_signal(const char *rootfs);
/* The image that goes with ROOTFS has an Entrypoint or a Cmd (or a
 * configuration that cannot be read: its error is the start's to report). */
bool image_has_command(const char *rootfs);

/* ---- cgroups (cgroup.c, v2 / hybrid unified / v1 behind an ops table) ---- */
struct pod_cgroup;
/* Create (or reopen) the pod's cgroup "podfs/<uid>". */
int pod_cgroup_open(const char *uid, struct pod_cgroup **ret_cg, struct pfs_error *err);
/* fd of a child cgroup for clone3(CLONE_INTO_CGROUP), or -1 when unsupported. */
int pod_cgroup_child_fd(struct pod_cgroup *cg, const char *child, struct pfs_error *err);
/* Kill every process in the pod's cgroup and wait until it is empty (bounded). */
int pod_cgroup_kill_all(struct pod_cgroup *cg, struct pfs_error *err);
void pod_cgroup_remove(struct pod_cgroup *cg); /* rmdir the (empty) cgroups */
void pod_cgroup_free(struct pod_cgroup *cg);

/* ---- containers (container.c, mount.c) ---- */
/* The container's stdio beyond the log pipes (ctr_stdio.c). */
struct ctr_stdio {
        bool tty;               /* a pseudo-terminal of its own /dev/pts: stdin, stdout, stderr */
        int stdin_fd;           /* without tty: the read end of its stdin pipe; -1 = /dev/null */
        int *ret_master;        /* with tty: set to the master the child sends back */
};
struct ctr_launch {
        const struct pod_spec *pod;
        const struct pod_container *ctr;
        const struct pod_ns *ns;
        const char *rootfs;             /* resolved image root filesystem */
        const char *volumes_dir;        /* STATE/pods/<uid>/volumes: emptyDir <name>/ live here */
        int stdout_fd, stderr_fd;       /* write ends of the log pipes */
        int cgroup_fd;                  /* from pod_cgroup_child_fd, or -1 */
        const struct pod_env_list *env; /* the spec's env resolved for this start (envres.h), or NULL */
        char *const *image_roots;       /* per spec volume: an image volume's rootfs, else NULL (may be NULL) */
        const char *state_dir;          /* STATE (seccomp Localhost profiles are in STATE/seccomp) */
        const struct ctr_stdio *stdio;  /* NULL: stdin /dev/null, no terminal */
        /* Called once the child is cloned, while it sets itself up; it execs
         * only once this returned 0 (an error kills it and is ctr_spawn's).
         * NULL: none. */
        int (*created)(void *arg, struct pfs_error *err);
        void *created_arg;
};
/* Clone the container (own mount ns, own pid ns unless shared), set up its
 * root (private /, rootfs bind, /proc, minimal /dev, volumes, pivot_root, env,
 * workingDir, capabilities) and exec. Returns once exec succeeded or failed:
 * failures before exec ("executable file not found in $PATH", a bad mount)
 * come back as an error with the child already reaped (-ENOENT for a missing
 * executable). */
int ctr_spawn(const struct ctr_launch *l, pid_t *ret_pid, int *ret_pidfd, struct pfs_error *err);

/* Prepare the pod's volumes before the first container: emptyDir dirs (tmpfs
 * for medium Memory), hostPath type checks/creation. */
int pod_volumes_prepare(const struct pod_spec *spec, const char *volumes_dir, struct pfs_error *err);
void pod_volumes_release(const struct pod_spec *spec, const char *volumes_dir);

/* ---- additions by the mechanics ---- */

/* The pod's hostname: spec.hostname, else the pod name (ns.c). */
const char *pod_ns_hostname(const struct pod_spec *spec);

/* ---- the pod's /etc files (etc_files.c), as the kubelet writes them ---- */
/* "SUB.NS.svc.cluster.local" with a subdomain, else NULL. */
char *pod_domain(const struct pod_spec *spec);
/* The UTS hostname: the pod's hostname (63 characters at most), its FQDN
 * with setHostnameAsFQDN and a subdomain (an error beyond 64, kubelet's). */
int pod_uts_hostname(const struct pod_spec *spec, char **ret, struct pfs_error *err);
/* /etc/hosts: the kubelet's managed file (pod_ip NULL before the network
 * is up: 127.0.1.1), the node's with hostNetwork; hostAliases appended. */
char *pod_hosts_content(const struct pod_spec *spec, const char *pod_ip, const char *pod_ip2);
/* /etc/resolv.conf from dnsPolicy and dnsConfig. */
char *pod_resolv_content(const struct pod_spec *spec);
/* The kubelet's DNSConfigForming warnings for that resolv.conf (NULL when
 * none): warn[0] when nameservers were cut, warn[1] when search paths were. */
void pod_dns_warnings(const struct pod_spec *spec, char *warn[2]);
/* ClusterFirst without a cluster DNS: the kubelet falls back to Default
 * (and says so with a MissingClusterDNS event). */
bool pod_dns_falls_back(const struct pod_spec *spec);
/* Rewrite volumes_dir's hosts once the pod has its IP, in place (containers made
 * meanwhile have it bound already). */
int pod_etc_hosts_update(const char *volumes_dir, const struct pod_spec *spec, const char *pod_ip,
                         const char *pod_ip2, struct pfs_error *err);

/* Entries of volumes_dir that are not emptyDirs (volume names are DNS labels,
 * so a leading dot never collides): the pod's /etc/{hostname,hosts,resolv.conf}
 * (bound into containers whose image has /etc), the pod-wide /dev/shm tmpfs,
 * the files bound at each container's terminationMessagePath, and the
 * containers' writable layers. pod_volumes_release removes them all. */
#define POD_ETC_DIR ".etc"
#define POD_SHM_DIR ".shm"
#define POD_TERMINATION_DIR ".termination"
/* Each container's writable layer over its image (<name>/{upper,work,merged}),
 * reset by every ctr_spawn: the image directory is never written to. */
#define POD_OVERLAY_DIR ".overlay"

/* Host path of the file bound at the container's terminationMessagePath; ctr_spawn
 * creates it empty before each start. Read it once the container exited (at most
 * 4096 bytes count, as kubelet does). Caller frees. */
char *ctr_termination_log_path(const char *volumes_dir, const char *ctr_name);

/* The size of a medium Memory emptyDir's tmpfs, as kubelet sizes it: the
 * smallest of node allocatable memory, the pod's memory limit (when every
 * container has one) and sizeLimit (volume.c). */
uint64_t pod_empty_dir_memory_size(const struct pod_spec *spec, const struct pod_volume *v);

/* Cgroup driver choice (cgroup.c); pod_cgroup_open is POD_CGROUP_AUTO: v2 when
 * /sys/fs/cgroup is cgroup2, else the hybrid layout's unified hierarchy, else
 * v1. Forcing V1 on a hybrid host tests the v1 driver. */
enum pod_cgroup_driver { POD_CGROUP_AUTO, POD_CGROUP_V2, POD_CGROUP_V1 };
int pod_cgroup_open_driver(const char *uid, enum pod_cgroup_driver driver, struct pod_cgroup **ret_cg,
                           struct pfs_error *err);
const char *pod_cgroup_driver_name(const struct pod_cgroup *cg);  /* "v2" or "v1" */
const char *pod_cgroup_path(const struct pod_cgroup *cg);         /* e.g. /sys/fs/cgroup/podfs/<uid> */
/* Notes: pod_cgroup_child_fd's fd belongs to the caller (close it after ctr_spawn);
 * on v1 it is a v1 directory that the container joins itself after clone.
 * Errors are negative errno other than -1 (-1 = unsupported, err cleared). */

/* Unmount every mount directly below volumes_dir (Memory emptyDirs, the pod's
 * /dev/shm) without needing the spec: for cleaning up after a dead sandbox,
 * before removing the pod directory (volume.c). */
void pod_volumes_unmount(const char *volumes_dir);

/* SIGKILL what is left in one container's cgroup (podfs/<uid>/<child>), e.g.
 * processes a container left behind in a shared pid namespace; does not wait.
 * 0 when the cgroup does not exist (cgroup.c). */
int pod_cgroup_kill_child(struct pod_cgroup *cg, const char *child, struct pfs_error *err);

/* The sandbox's own mount namespace (a slave of the host's, podfs' FUSE
 * mounts dropped), entered once by pod_volumes_prepare or pod_ns_setup, whichever
 * runs first: the pod's tmpfs mounts live there and vanish with the sandbox,
 * so a killed sandbox leaves no mount behind on the host (ns.c). */
int pod_mount_ns_enter(struct pfs_error *err);

/* Resource limits of one container (cgroup_limits.c), 0 = none. On v2 they go
 * into its cgroup; where memory/cpu/pids are v1 controllers (pure v1, or the
 * hybrid layout) into twins in those hierarchies, which ctr_spawn makes the
 * container join. Call after pod_cgroup_child_fd, before ctr_spawn.
 * -ENOTSUP when the host has no such controller. */
struct pod_cgroup_limits {
        int64_t memory_max;     /* bytes (limits.memory) */
        int64_t cpu_quota_us;   /* limits.cpu * period */
        int64_t cpu_period_us;  /* 0 = 100000 */
        int64_t cpu_weight;     /* v2 cpu.weight 1..10000 (from requests.cpu), v1 cpu.shares derived */
        int64_t pids_max;
};
int pod_cgroup_child_limits(struct pod_cgroup *cg, const char *child, const struct pod_cgroup_limits *lim,
                            struct pfs_error *err);
/* Pod-level resources on v1 memory/cpu hierarchies: the container's twins
 * below the pod's, made even without limits of its own, so that it joins
 * them and the pod's limits bound it. */
int pod_cgroup_child_twins(struct pod_cgroup *cg, const char *child, struct pfs_error *err);
/* The container's resources.limits (memory, cpu with period 100000) and
 * requests.cpu (weight), as kubelet sets them, into its cgroup: 0 and nothing
 * written when it has none; -ENOTSUP when it has some but cg is NULL (the pod
 * got no cgroup), so limits are never silently dropped. Call after pod_cgroup_child_fd, before ctr_spawn. */
int pod_cgroup_child_limits_spec(struct pod_cgroup *cg, const struct pod_container *c, struct pfs_error *err);
/* OOM kills in the container's cgroup since pod_cgroup_child_fd /
 * pod_cgroup_child_limits made it: > 0 after a SIGKILL exit means OOMKilled. */
int pod_cgroup_child_oom_kills(struct pod_cgroup *cg, const char *child);
/* The memory the container's cgroup uses now (v2 memory.current, v1
 * memory.usage_in_bytes of its twin), in bytes; -1 when unknown. */
int64_t pod_cgroup_child_memory_usage(struct pod_cgroup *cg, const char *child);

/* ---- confinement of every container (cgroup_devices.c, cgroup_pids.c) ---- */

/* The pod's pids limit (kubelet's podPidsLimit), -1 = none: pids.max of the
 * pod's cgroup (v2), else of podfs/<uid> in the v1 pids hierarchy, which every
 * container then joins (pod_cgroup_child_pids). -ENOTSUP without a pids
 * controller. Call once after pod_cgroup_open. */
int pod_cgroup_pids_limit(struct pod_cgroup *cg, int64_t limit, struct pfs_error *err);
/* Per run, after pod_cgroup_child_fd, before ctr_spawn: the container's place
 * below the pod's v1 pids limit (nothing to do on v2 or without a limit). */
int pod_cgroup_child_pids(struct pod_cgroup *cg, const char *child, struct pfs_error *err);
/* Per run, after pod_cgroup_child_fd, before ctr_spawn: runc's device policy
 * (deny all, allow the OCI default devices and mknod) on the container's
 * cgroup: the v1 devices controller where the host has one, a BPF device
 * program on cgroup2, both on the hybrid layout. Fails (-ENOTSUP) when CG is
 * NULL or neither is there: a container never runs without it. */
int pod_cgroup_child_devices(struct pod_cgroup *cg, const char *child, struct pfs_error *err);
/* A privileged container's: every device. */
int pod_cgroup_child_devices_all(struct pod_cgroup *cg, const char *child, struct pfs_error *err);

/* For a process cloned into a running container (exec probe, hook): the v1
 * cgroups it must join itself, as ctr_spawn's child does (on a v1 host the
 * container's cgroup; its v1 twins: limits, pids, devices). Opens them into
 * FDS (O_CLOEXEC, at most max); returns how many. */
#define POD_CGROUP_JOIN_MAX 5
int pod_cgroup_join_fds_open(int cgroup_fd, int *fds, size_t max);
/* In that child (single-threaded), before it runs anything of the container:
 * join each (v1 hierarchies only). */
int pod_cgroup_join_fds(const int *fds, size_t n);
