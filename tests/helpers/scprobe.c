/* scprobe: system calls a seccomp profile allows or refuses, made directly
 * (no libc wrapper that could fall back or hide the errno).
 *
 *   scprobe NAME...   for each NAME, prints "NAME ok" or "NAME <ERRNO NAME>"
 *
 * NAMEs: unshare (CLONE_NEWUSER), keyctl, add_key, perf_event_open, ptrace
 * (PEEKDATA of the parent), personality0 (the query 0xffffffff),
 * personality-bad (ADDR_NO_RANDOMIZE, a value the default profile does not
 * list), clone (no flags), clone-newns (clone with CLONE_NEWNS), clone3,
 * getpid, socket-alg (AF_ALG), socket-inet, mount, chroot, syslog,
 * fchmodat2 (number 452 on x86_64 and aarch64, of a missing path: ENOENT when
 * the call is allowed, ENOSYS when refused as "too new"), mseal (462, newer
 * than every call of containerd's profile; EINVAL when it runs).
 * An argument is made so that an allowed call fails harmlessly or succeeds
 * without effect; the test decides what the lines mean. libc only, static. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif

static const char *errname(int e)
{
        static const struct { int e; const char *n; } t[] = {
                { EPERM, "EPERM" }, { ENOSYS, "ENOSYS" }, { EINVAL, "EINVAL" }, { EACCES, "EACCES" },
                { EFAULT, "EFAULT" }, { ENOENT, "ENOENT" }, { EAFNOSUPPORT, "EAFNOSUPPORT" }, { EBADF, "EBADF" },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                if (t[i].e == e)
                        return t[i].n;
        return strerror(e);
}

/* a child that calls clone(flags) and reports its errno through the exit code */
static long clone_with(unsigned long flags)
{
        long r = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
        int st;

        if (r == 0)
                _exit(0);
        if (r < 0)
                return -1;
        waitpid((pid_t)r, &st, 0);
        return 0;
}

static long call(const char *n)
{
        if (!strcmp(n, "unshare"))
                return syscall(SYS_unshare, CLONE_NEWUSER);
        if (!strcmp(n, "keyctl"))
                return syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
        if (!strcmp(n, "add_key"))
                return syscall(SYS_add_key, "user", "podfs-probe", "x", 1, -3);
        if (!strcmp(n, "perf_event_open"))
                return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
        if (!strcmp(n, "ptrace"))
                return syscall(SYS_ptrace, PTRACE_PEEKDATA, getppid(), NULL, NULL);
        if (!strcmp(n, "personality0"))
                return syscall(SYS_personality, 0xffffffffUL);
        if (!strcmp(n, "personality-bad"))
                return syscall(SYS_personality, 0x0040000UL);
        if (!strcmp(n, "clone-newns"))
                return clone_with(CLONE_NEWNS);
        if (!strcmp(n, "clone"))
                return clone_with(0);
        if (!strcmp(n, "clone3"))
                return syscall(SYS_clone3, NULL, 0);
        if (!strcmp(n, "getpid"))
                return syscall(SYS_getpid);
        if (!strcmp(n, "socket-alg"))
                return syscall(SYS_socket, AF_ALG, SOCK_SEQPACKET, 0);
        if (!strcmp(n, "socket-inet"))
                return syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
        if (!strcmp(n, "mount"))
                return syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL);
        if (!strcmp(n, "chroot"))
                return syscall(SYS_chroot, "/");
        if (!strcmp(n, "fchmodat2"))
                return syscall(452, AT_FDCWD, "/nonexistent-scprobe", 0644, 0);
        if (!strcmp(n, "mseal"))
                return syscall(462, 1, 0, 0);
        if (!strcmp(n, "syslog"))
                return syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
        errno = EINVAL;
        return -2;
}

int main(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                long r;

                errno = 0;
                r = call(argv[i]);
                if (r == -2)
                        printf("%s unknown-probe\n", argv[i]);
                else if (r < 0)
                        printf("%s %s\n", argv[i], errname(errno));
                else
                        printf("%s ok\n", argv[i]);
        }
        fflush(stdout);
        return 0;
}
