/* runc's -ENOSYS stub for the RuntimeDefault profile: a system call newer
 * than every call the profile names (for the native architecture, as the
 * node's libseccomp resolves them) fails with ENOSYS rather than the
 * profile's EPERM, so that libc falls back to an older call (glibc's
 * fchmodat2, for one) as it does on a kernel without it. A second filter,
 * loaded after the profile: the kernel runs the newest filter first and keeps
 * its errno over another ERRNO's; for the calls it lets through, the profile
 * decides. The compat ABIs (x86, arm) and x32 are left to the profile. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include "pfs/util.h"
#include "security.h"

#define X32_SYSCALL_BIT 0x40000000

int ctr_seccomp_enosys_stub(int max_nr, struct pfs_error *err)
{
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 0, 4),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, 2, 0),
                BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max_nr, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };

        if (max_nr <= 0)
                return 0;
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
                return pfs_error_set(err, errno, "load the seccomp ENOSYS stub");
        return 0;
}
