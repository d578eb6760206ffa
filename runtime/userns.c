/* Pods with `hostUsers: false` (KEP-127), as containerd 2 and runc give them
 * a user namespace:
 *
 * - the pod's user namespace maps 0..65535 to its host range H..H+65535
 *   (uids and gids; common/userns_ranges.c allocates it) and owns the pod's
 *   net, ipc and uts namespaces: a helper is cloned into all four at once,
 *   its maps written by the sandbox, and the sandbox joins the last three
 *   (CNI keeps working from the host's side, the sandbox being host root);
 * - each container (and every exec probe or hook) builds its root as host
 *   root, then joins the user namespace last, before its credentials and
 *   capabilities are set: root in the pod is H on the host, its capabilities
 *   count only in the pod's namespaces (a container's mount namespace is then
 *   made anew in the user namespace, its mounts locked);
 * - the image is the lower layer of the container's overlay through an
 *   idmapped mount (never a chowned copy), and the writable layer is owned
 *   by H, as containerd's overlay snapshotter chowns it: what the pod writes
 *   there belongs to H..H+65535 on the host;
 * - every bind mount into the container (volumes of every kind, the pod's
 *   /etc files, /dev/shm, the termination message file) is idmapped with the
 *   pod's mapping, as the kubelet asks through the CRI Mount's uidMappings:
 *   host uid 0 shows as root inside, and what pod root writes there is uid 0
 *   on the host. A filesystem without idmapped mounts fails the container
 *   with runc's message; nothing is ever mounted without the mapping. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child.h"
#include "pfs/util.h"
#include "runtime.h"
#include "syscalls.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* ---- the pod's namespaces ---- */

/* The helper, born in the new user namespace with the new net, ipc and uts
 * namespaces it owns: once its maps are written ("g" on go_fd) it brings lo
 * up and sets the hostname (it holds every capability there), reports, and
 * lives until the sandbox has joined (end-of-file on go_fd). */
static _Noreturn void helper_main(const struct pod_spec *spec, int go_fd, int rep_fd)
{
        int *const keep[] = { &go_fd, &rep_fd };
        struct pfs_error e = { 0 };
        char c;

        if (child_fds_keep(keep, ARRAY_SIZE(keep)) < 0)
                _exit(1);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (read(go_fd, &c, 1) != 1)
                _exit(1);
        pod_ns_net_init(spec, &e);
        if (write(rep_fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
                _exit(1);
        close(rep_fd);
        while (read(go_fd, &c, 1) > 0)
                ;
        _exit(0);
}

static int map_write(pid_t pid, const char *file, uint32_t host, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
        _cleanup_free_ char *line = xasprintf("0 %u %u\n", (unsigned)host, PFS_USERNS_LENGTH);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

        if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
                return pfs_error_set(err, errno, "write %s", path);
        return 0;
}

/* Maps written, then the helper sets up net and uts and says how it went. */
static int helper_run(pid_t pid, uint32_t host, int go_fd, int rep_fd, struct pfs_error *err)
{
        struct pfs_error e = { 0 };
        ssize_t n;
        int r;

        r = map_write(pid, "uid_map", host, err);
        if (r >= 0)
                r = map_write(pid, "gid_map", host, err);
        if (r < 0)
                return r;
        if (write(go_fd, "g", 1) != 1)
                return pfs_error_set(err, errno, "start the user namespace's helper");
        do
                n = read(rep_fd, &e, sizeof(e));
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(e))
                return pfs_error_set(err, n < 0 ? errno : EIO, "the user namespace's helper did not report");
        e.msg[sizeof(e.msg) - 1] = '\0';
        if (e.code)
                return pfs_error_set(err, e.code, "%s", e.msg);
        return 0;
}

static int helper_join(pid_t pid, int pidfd, struct pod_ns *ns, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/ns/user", (int)pid);

        ns->userns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (ns->userns_fd < 0)
                return pfs_error_set(err, errno, "open %s", path);
        if (setns(pidfd, CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
                return pfs_error_set(err, errno, "join the pod's namespaces");
        return 0;
}

int pod_ns_setup_userns(const struct pod_spec *spec, uint32_t host, struct pod_ns *ret_ns, struct pfs_error *err)
{
        struct pod_ns ns = { .own_net = true, .share_pid = spec->share_process_namespace, .pause_pidfd = -1,
                             .userns = true, .userns_fd = -1, .userns_host = host };
        _cleanup_close_ int pidfd = -1, go_r = -1, go_w = -1, rep_r = -1, rep_w = -1;
        struct clone_args args = {
                .flags = CLONE_PIDFD | CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        int go[2], rep[2], r;
        siginfo_t info;
        pid_t pid;

        r = pod_mount_ns_enter(err);
        if (r < 0)
                return r;
        if (pipe2(go, O_CLOEXEC) < 0 || (go_r = go[0], go_w = go[1], pipe2(rep, O_CLOEXEC) < 0))
                return pfs_error_set(err, errno, "pipe");
        rep_r = rep[0];
        rep_w = rep[1];
        pid = child_clone3(&args);
        if (pid < 0)
                return pfs_error_set(err, errno, "create the pod's user namespace");
        if (pid == 0)
                helper_main(spec, go_r, rep_w);
        close(steal_fd(&go_r));
        close(steal_fd(&rep_w));
        r = helper_run(pid, host, go_w, rep_r, err);
        if (r >= 0)
                r = helper_join(pid, pidfd, &ns, err);
        close(steal_fd(&go_w));
        if (r < 0)
                kill(pid, SIGKILL);
        while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0 && errno == EINTR)
                ;
        if (r < 0) {
                if (ns.userns_fd >= 0)
                        close(ns.userns_fd);
                return r;
        }
        *ret_ns = ns;
        return 0;
}

/* ---- in a container's child ---- */

int ctr_userns_join(int userns_fd, struct pfs_error *err)
{
        if (setns(userns_fd, CLONE_NEWUSER) < 0)
                return pfs_error_set(err, errno, "join the pod's user namespace");
        /* root of the pod (host uid H), its groups set later by ctr_sec_apply */
        if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return pfs_error_set(err, errno, "become root of the pod's user namespace");
        /* A mount namespace of the pod's user namespace, as runc makes it:
         * capabilities given to the container count there, and the mounts
         * copied from ours are locked (none can be undone or changed, a mask
         * never lifted). */
        if (unshare(CLONE_NEWNS) < 0)
                return pfs_error_set(err, errno, "unshare the container's mount namespace in the pod's user "
                                     "namespace");
        return 0;
}

/* runc's words for a mount the filesystem cannot idmap. */
static int idmap_error(const char *source, struct pfs_error *err)
{
        int e = errno;
        char reason[128];

        snprintf(reason, sizeof(reason), "%s", strerror(e));
        if (reason[0] >= 'A' && reason[0] <= 'Z')
                reason[0] = (char)(reason[0] - 'A' + 'a');
        return pfs_error_set(err, e, "failed to fulfil mount request: failed to set MOUNT_ATTR_IDMAP on %s: %s%s",
                             source, reason,
                             e == EINVAL ? " (maybe the filesystem used doesn't support idmap mounts on this kernel?)"
                                         : "");
}

int ctr_idmap_clone(int src_fd, const char *source, int userns_fd, struct pfs_error *err)
{
        struct pfs_mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
        int tree = open_tree(src_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);

        if (tree < 0)
                return pfs_error_set(err, errno, "clone the mount of '%s'", source);
        /* the top mount only, as runc's "idmap" (not "ridmap") */
        if (pfs_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0) {
                int r = idmap_error(source, err);

                close(tree);
                return r;
        }
        return tree;
}

int ctr_idmap_attach(int tree, int dst_fd, const char *target, struct pfs_error *err)
{
        if (move_mount(tree, "", dst_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return pfs_error_set(err, errno, "mount the idmapped '%s'", target);
        return 0;
}

int ctr_idmap_bind_path(const char *source, const char *target, int userns_fd, struct pfs_error *err)
{
        _cleanup_close_ int src = open(source, O_PATH | O_CLOEXEC), dst = open(target, O_PATH | O_CLOEXEC);
        _cleanup_close_ int tree = -1;

        if (src < 0 || dst < 0)
                return pfs_error_set(err, errno, "open '%s'", src < 0 ? source : target);
        tree = ctr_idmap_clone(src, source, userns_fd, err);
        if (tree < 0)
                return tree;
        return ctr_idmap_attach(tree, dst, target, err);
}
