/* Thin wrappers for the syscalls the mechanics use that older C libraries
 * lack (clone3, openat2, pidfd_*, pivot_root, mount_setattr). */
#pragma once
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

static inline pid_t pfs_clone3(struct clone_args *args)
{
        return (pid_t)syscall(SYS_clone3, args, sizeof(*args));
}

static inline int pfs_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
        struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };

        return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static inline int pfs_pidfd_open(pid_t pid, unsigned int flags)
{
        return (int)syscall(SYS_pidfd_open, pid, flags);
}

static inline int pfs_pidfd_send_signal(int pidfd, int sig)
{
        return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* "Signal by pidfd, else kill": the pidfd cannot hit a recycled pid; kill(2)
 * only when there is no pidfd or the kernel refuses it (a zombie's pid is
 * still ours: we have not reaped it). */
static inline int pfs_signal_child(int pidfd, pid_t pid, int sig)
{
        if (pidfd >= 0 && pfs_pidfd_send_signal(pidfd, sig) == 0)
                return 0;
        return kill(pid, sig);
}

static inline int pfs_pivot_root(const char *new_root, const char *put_old)
{
        return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/* struct mount_attr of the kernel ABI (first version, 32 bytes). */
struct pfs_mount_attr {
        uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static inline int pfs_mount_setattr(int dirfd, const char *path, unsigned int flags,
                                    const struct pfs_mount_attr *attr)
{
        return (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, sizeof(*attr));
}
