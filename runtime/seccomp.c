/* seccompProfile RuntimeDefault: containerd's (moby's) default profile,
 * written as what it denies, with EPERM (its defaultErrnoRet), for a
 * process with the given capabilities: the system calls the profile only
 * allows with a capability stay allowed when the container holds it (as the
 * profile's "includes: caps" rules do); clone3 fails with ENOSYS so that libc
 * falls back to clone, whose namespace flags are then checked. Built with
 * libseccomp in the container's child, loaded just before exec. */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/capability.h>
#include "pfs/util.h"
#include "security.h"

#define NEVER (-1)

struct denied {
        const char *name;
        int unless_cap;         /* allowed when the process holds it; NEVER */
};

static const struct denied denied[] = {
        { "acct", CAP_SYS_PACCT }, { "add_key", NEVER }, { "bpf", CAP_SYS_ADMIN },
        { "clock_adjtime", CAP_SYS_TIME }, { "clock_settime", CAP_SYS_TIME }, { "create_module", NEVER },
        { "delete_module", CAP_SYS_MODULE }, { "finit_module", CAP_SYS_MODULE }, { "get_kernel_syms", NEVER },
        { "get_mempolicy", CAP_SYS_NICE }, { "init_module", CAP_SYS_MODULE }, { "ioperm", CAP_SYS_RAWIO },
        { "iopl", CAP_SYS_RAWIO }, { "kcmp", CAP_SYS_PTRACE }, { "pidfd_getfd", CAP_SYS_PTRACE },
        { "kexec_file_load", CAP_SYS_BOOT }, { "kexec_load", CAP_SYS_BOOT }, { "keyctl", NEVER },
        { "lookup_dcookie", CAP_SYS_ADMIN }, { "mbind", CAP_SYS_NICE }, { "mount", CAP_SYS_ADMIN },
        { "mount_setattr", CAP_SYS_ADMIN }, { "move_mount", CAP_SYS_ADMIN }, { "open_tree", CAP_SYS_ADMIN },
        { "fsopen", CAP_SYS_ADMIN }, { "fsconfig", CAP_SYS_ADMIN }, { "fsmount", CAP_SYS_ADMIN },
        { "fspick", CAP_SYS_ADMIN }, { "move_pages", CAP_SYS_NICE }, { "name_to_handle_at", CAP_SYS_ADMIN },
        { "open_by_handle_at", CAP_DAC_READ_SEARCH }, { "nfsservctl", NEVER }, { "perf_event_open", CAP_SYS_ADMIN },
        { "pivot_root", CAP_SYS_ADMIN }, { "query_module", NEVER }, { "quotactl", CAP_SYS_ADMIN },
        { "quotactl_fd", CAP_SYS_ADMIN }, { "reboot", CAP_SYS_BOOT }, { "request_key", NEVER },
        { "set_mempolicy", CAP_SYS_NICE }, { "setns", CAP_SYS_ADMIN }, { "settimeofday", CAP_SYS_TIME },
        { "stime", CAP_SYS_TIME }, { "swapon", CAP_SYS_ADMIN }, { "swapoff", CAP_SYS_ADMIN },
        { "sysfs", NEVER }, { "_sysctl", NEVER }, { "syslog", CAP_SYSLOG }, { "umount", CAP_SYS_ADMIN },
        { "umount2", CAP_SYS_ADMIN }, { "unshare", CAP_SYS_ADMIN }, { "uselib", NEVER },
        { "userfaultfd", NEVER }, { "ustat", NEVER }, { "vm86", NEVER }, { "vm86old", NEVER },
        { "vhangup", CAP_SYS_TTY_CONFIG }, { "fanotify_init", CAP_SYS_ADMIN },
};

static const uint64_t ns_flags[] = {
        CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

static int deny(scmp_filter_ctx ctx, int errno_ret, const char *name)
{
        int nr = seccomp_syscall_resolve_name(name);

        if (nr == __NR_SCMP_ERROR)
                return 0; /* not on this architecture */
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t)errno_ret), nr, 0);
}

static int rules_add(scmp_filter_ctx ctx, uint64_t caps)
{
        bool sys_admin = caps & (1ULL << CAP_SYS_ADMIN);
        int r = 0;

        for (size_t i = 0; i < ARRAY_SIZE(denied) && r == 0; i++)
                if (denied[i].unless_cap == NEVER || !(caps & (1ULL << denied[i].unless_cap)))
                        r = deny(ctx, EPERM, denied[i].name);
        if (r < 0 || sys_admin)
                return r;
        r = deny(ctx, ENOSYS, "clone3");
        for (size_t i = 0; i < ARRAY_SIZE(ns_flags) && r == 0; i++)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
        return r;
}

int ctr_seccomp_load_default(uint64_t caps, struct pfs_error *err)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
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
        if (r == 0)
                r = rules_add(ctx, caps);
        if (r == 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        if (r < 0)
                return pfs_error_set(err, -r, "load the RuntimeDefault seccomp profile");
        return 0;
}
