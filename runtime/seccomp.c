/* seccompProfile RuntimeDefault: containerd's default profile
 * (contrib/seccomp/seccomp_default.go), an allowlist: every system call not
 * named below fails with EPERM (the profile's SCMP_ACT_ERRNO, runc's default
 * errno); some are allowed only with a capability in the bounding set (its
 * per-capability additions), clone only without namespace flags and clone3
 * with ENOSYS unless CAP_SYS_ADMIN (libc then falls back to clone),
 * personality only with the values containerd lists, socket for every family
 * but AF_ALG and AF_VSOCK. A name the running libseccomp does not know is
 * skipped, as runc does. The architectures are containerd's: x86_64 with x86
 * and x32, aarch64 with arm (libseccomp resolves a name of the 32-bit ABI for
 * the compat arch). Built with libseccomp in the container's child (and exec
 * children), loaded just before exec, with runc's ENOSYS stub for calls newer
 * than the profile (seccomp_enosys.c). */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include "pfs/util.h"
#include "security.h"

/* The allowed list, as the profile's first rule (NULL-terminated). */
static const char *const allowed[] = {
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
        "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
        "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
        "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
        "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
        "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
        "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
        "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr",
        "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
        "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait",
        "futex_waitv", "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
        "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer",
        "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
        "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid",
        "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
        "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel",
        "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get",
        "ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
        "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr",
        "llistxattr", "_llseek", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
        "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock",
        "mlock2", "mlockall", "map_shadow_stack", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
        "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
        "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
        "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2",
        "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect",
        "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64",
        "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read",
        "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
        "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
        "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
        "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
        "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
        "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
        "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
        "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64", "sendmmsg",
        "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
        "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
        "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
        "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32",
        "setxattr", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
        "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat", "stat64", "statfs",
        "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee",
        "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
        "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
        "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate",
        "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
        "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
        /* the profile's "kernel >= 4.8" addition (podfs needs a newer kernel anyway) */
        "process_vm_readv", "process_vm_writev", "ptrace",
        NULL,
};

/* The per-architecture additions. */
static const char *const allowed_x86_64[] = { "arch_prctl", "modify_ldt", NULL };
static const char *const allowed_arm[] = {
        "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls", NULL,
};

/* The additions for a capability in the bounding set. */
static const struct {
        int cap;
        const char *const names[25];
} by_cap[] = {
        { CAP_DAC_READ_SEARCH, { "open_by_handle_at" } },
        { CAP_SYS_ADMIN, { "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
                           "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
                           "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
                           "umount2", "unshare" } },
        { CAP_SYS_BOOT, { "reboot" } },
        { CAP_SYS_CHROOT, { "chroot" } },
        { CAP_SYS_MODULE, { "delete_module", "init_module", "finit_module" } },
        { CAP_SYS_PACCT, { "acct" } },
        { CAP_SYS_PTRACE, { "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
                            "ptrace" } },
        { CAP_SYS_RAWIO, { "iopl", "ioperm" } },
        { CAP_SYS_TIME, { "settimeofday", "stime", "clock_settime", "clock_settime64" } },
        { CAP_SYS_TTY_CONFIG, { "vhangup" } },
        { CAP_SYS_NICE, { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node" } },
        { CAP_SYSLOG, { "syslog" } },
        { CAP_BPF, { "bpf" } },
        { CAP_PERFMON, { "perf_event_open" } },
};

/* personality(2) values the profile allows: PER_LINUX, PER_LINUX32,
 * UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff. */
static const uint64_t personalities[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

#define CLONE_NS_FLAGS \
        (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

/* The highest native system call number the filter names (for the stub). */
static int max_nr;

/* One rule; a name the running libseccomp does not know is skipped. */
static int rule(scmp_filter_ctx ctx, uint32_t act, const char *name, unsigned n, const struct scmp_arg_cmp *cmp)
{
        int nr = seccomp_syscall_resolve_name(name), r;

        if (nr == __NR_SCMP_ERROR)
                return 0;
        if (nr > max_nr)
                max_nr = nr;
        r = seccomp_rule_add_array(ctx, act, nr, n, cmp);
        /* EEXIST: already allowed (a name in two lists); EDOM / EINVAL: a
         * pseudo syscall that none of the filter's architectures has */
        return r == -EEXIST || r == -EDOM ? 0 : r;
}

static int allow_all(scmp_filter_ctx ctx, const char *const *names)
{
        int r = 0;

        for (size_t i = 0; names[i] && r == 0; i++)
                r = rule(ctx, SCMP_ACT_ALLOW, names[i], 0, NULL);
        return r;
}

static int allow_with_args(scmp_filter_ctx ctx, bool admin)
{
        /* socket: family < AF_ALG, == AF_ALG + 1, > AF_VSOCK (three rules, as containerd) */
        struct scmp_arg_cmp sock[] = {
                SCMP_A0(SCMP_CMP_LT, AF_ALG), SCMP_A0(SCMP_CMP_EQ, AF_ALG + 1), SCMP_A0(SCMP_CMP_GT, AF_VSOCK),
        };
        /* clone's flags are its first argument, but the second on s390 */
        struct scmp_arg_cmp clone_flags = seccomp_arch_native() == SCMP_ARCH_S390X
                                                  ? SCMP_A1(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0)
                                                  : SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0);
        int r = 0;

        for (size_t i = 0; i < ARRAY_SIZE(sock) && r == 0; i++)
                r = rule(ctx, SCMP_ACT_ALLOW, "socket", 1, &sock[i]);
        for (size_t i = 0; i < ARRAY_SIZE(personalities) && r == 0; i++) {
                struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, personalities[i]);

                r = rule(ctx, SCMP_ACT_ALLOW, "personality", 1, &c);
        }
        if (r < 0 || admin)
                return r;
        r = rule(ctx, SCMP_ACT_ALLOW, "clone", 1, &clone_flags);
        return r < 0 ? r : rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
}

static int rules_add(scmp_filter_ctx ctx, uint64_t caps)
{
        uint32_t arch = seccomp_arch_native();
        int r = allow_all(ctx, allowed);

        if (r == 0 && arch == SCMP_ARCH_X86_64)
                r = allow_all(ctx, allowed_x86_64);
        if (r == 0 && (arch == SCMP_ARCH_AARCH64 || arch == SCMP_ARCH_ARM))
                r = allow_all(ctx, allowed_arm);
        for (size_t i = 0; i < ARRAY_SIZE(by_cap) && r == 0; i++)
                if (caps & (1ULL << by_cap[i].cap))
                        for (size_t j = 0; j < ARRAY_SIZE(by_cap[i].names) && by_cap[i].names[j] && r == 0; j++)
                                r = rule(ctx, SCMP_ACT_ALLOW, by_cap[i].names[j], 0, NULL);
        return r < 0 ? r : allow_with_args(ctx, caps & (1ULL << CAP_SYS_ADMIN));
}

int ctr_seccomp_load_default(uint64_t caps, struct pfs_error *err)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
        int r;

        if (!ctx)
                return pfs_error_set(err, ENOMEM, "seccomp_init");
        /* no_new_privs is allowPrivilegeEscalation's to decide, not libseccomp's. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        /* the profile's architectures: the native one and its compat ABIs */
        if (r == 0 && seccomp_arch_native() == SCMP_ARCH_X86_64) {
                seccomp_arch_add(ctx, SCMP_ARCH_X86);
                seccomp_arch_add(ctx, SCMP_ARCH_X32);
        } else if (r == 0 && seccomp_arch_native() == SCMP_ARCH_AARCH64) {
                seccomp_arch_add(ctx, SCMP_ARCH_ARM);
        }
        max_nr = 0;
        if (r == 0)
                r = rules_add(ctx, caps);
        if (r == 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        if (r < 0)
                return pfs_error_set(err, -r, "load the RuntimeDefault seccomp profile");
        return ctr_seccomp_enosys_stub(max_nr, err);
}
