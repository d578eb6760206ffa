/* The pod's shared namespaces: net (loopback up), ipc, uts (pod hostname) and,
 * with shareProcessNamespace, a pid namespace whose pid 1 is a tiny pause
 * process; and the sandbox's own mount namespace, so that the pod's mounts
 * (Memory emptyDirs, /dev/shm) vanish with it. */
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "child.h"
#include "cni.h"
#include "pfs/util.h"
#include "runtime.h"
#include "syscalls.h"


const char *pod_ns_hostname(const struct pod_spec *spec)
{
        return spec->hostname && *spec->hostname ? spec->hostname : spec->name;
}

/* mountinfo escapes space, tab, newline and backslash as \\ooo. */
static void mountinfo_unescape(char *s)
{
        char *w = s;

        for (; *s; s++, w++) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
                        *w = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
                        s += 3;
                } else {
                        *w = *s;
                }
        }
        *w = '\0';
}

/* Our copy of podfs' own FUSE mount would keep the daemon's connection alive
 * after the host unmounts it (when / is not shared): drop it from our view.
 * Other FUSE mounts stay (a hostPath may live on one). */
static void podfs_mounts_detach(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[8192];

        while (f && fgets(line, sizeof(line), f)) {
                char mp[4096], fstype[256];
                const char *sep = strstr(line, " - ");

                if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
                    sscanf(sep + 3, "%255s", fstype) != 1 || strcmp(fstype, "fuse.podfs") != 0)
                        continue;
                mountinfo_unescape(mp);
                umount2(mp, MNT_DETACH);
        }
}

int pod_mount_ns_enter(struct pfs_error *err)
{
        static bool done;

        if (done)
                return 0;
        if (unshare(CLONE_NEWNS) < 0)
                return pfs_error_set(err, errno, "unshare the sandbox's mount namespace");
        /* Slave: host mounts (a hostPath's submounts) still reach us, ours never leak out. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return pfs_error_set(err, errno, "make the sandbox's mounts slaves of the host's");
        podfs_mounts_detach();
        /* Other pods' pinned netns: no copy of them may keep one alive. */
        while (umount2(PFS_NETNS_DIR, MNT_DETACH) == 0)
                ;
        done = true;
        return 0;
}

static int loopback_up(struct pfs_error *err)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = { 0 };

        if (fd < 0)
                return pfs_error_set(err, errno, "socket for loopback setup");
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return pfs_error_set(err, errno, "get flags of 'lo'");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return pfs_error_set(err, errno, "bring 'lo' up");
        return 0;
}

static int set_hostname(const struct pod_spec *spec, struct pfs_error *err)
{
        _cleanup_free_ char *name = NULL;
        int r = pod_uts_hostname(spec, &name, err);

        if (r < 0)
                return r;
        if (sethostname(name, strlen(name)) < 0)
                return pfs_error_set(err, errno, "sethostname '%s'", name);
        return 0;
}

int pod_ns_net_init(const struct pod_spec *spec, struct pfs_error *err)
{
        int r = loopback_up(err);

        return r < 0 ? r : set_hostname(spec, err);
}

/* The pause process reports a failed confinement step as (errno, step). */
struct pause_report {
        int code;
        char step[64];
};

static _Noreturn void pause_fail(int fd, const char *step)
{
        struct pause_report rep = { .code = errno };
        ssize_t n;

        snprintf(rep.step, sizeof(rep.step), "%s", step);
        n = write(fd, &rep, sizeof(rep));
        (void)n;
        _exit(1);
}

/* An empty read-only root of its own: the host's / and the sandbox's cwd are
 * out of reach of a container that sees pid 1 (/proc/1/root, /proc/1/cwd).
 * The tmpfs goes over /proc, a directory every sandbox has; pivot_root(".",
 * ".") then stacks the old root on it, and detaching that leaves the tmpfs. */
static void pause_root_leave(int repfd)
{
        if (unshare(CLONE_NEWNS) < 0)
                pause_fail(repfd, "unshare the mount namespace");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                pause_fail(repfd, "make / private");
        if (mount("pause", "/proc", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555") < 0)
                pause_fail(repfd, "mount an empty root");
        if (chdir("/proc") < 0 || pfs_pivot_root(".", ".") < 0)
                pause_fail(repfd, "pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                pause_fail(repfd, "detach the old root");
        if (chdir("/") < 0)
                pause_fail(repfd, "chdir /");
}

/* No capability in any set, no way to gain one (no_new_privs), not dumpable. */
static void pause_caps_drop(int repfd)
{
        int last = (int)cap_max_bits() - 1;
        cap_t none;

        for (int c = 0; c <= last; c++)
                if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        pause_fail(repfd, "drop the bounding set");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
                pause_fail(repfd, "clear the ambient set");
        none = cap_init();
        if (!none || cap_set_proc(none) < 0)
                pause_fail(repfd, "clear the capabilities");
        cap_free(none);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                pause_fail(repfd, "set no_new_privs");
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                pause_fail(repfd, "set non-dumpable");
}

/* hostUsers: false: root of the pod's user namespace, as containerd's pause. */
static void pause_userns_join(int repfd, int userns_fd)
{
        if (userns_fd < 0)
                return;
        if (setns(userns_fd, CLONE_NEWUSER) < 0)
                pause_fail(repfd, "join the pod's user namespace");
        if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                pause_fail(repfd, "become root of the pod's user namespace");
        close(userns_fd);
}

/* pid 1 of the shared pid namespace: reaps orphans (SIGCHLD ignored with
 * SA_NOCLDWAIT reaps them in the kernel) and dies with the sandbox. Every
 * container of the pod sees it, so it holds nothing: no fd, no capability,
 * no host directory as root or cwd. */
static _Noreturn void pause_main(int parent_pidfd, int repfd, int userns_fd)
{
        int *const keep[] = { &parent_pidfd, &repfd, &userns_fd };
        struct sigaction sa = { .sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT };
        struct pollfd pfd = { .events = POLLIN };
        sigset_t none;

        /* Non-dumpable since clone (child_clone3). */
        if (child_fds_keep(keep, ARRAY_SIZE(keep)) < 0)
                pause_fail(repfd, "close the sandbox's fds");
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* The sandbox may have died before PDEATHSIG was armed: its pidfd says so. */
        pfd.fd = parent_pidfd;
        if (poll(&pfd, 1, 0) != 0)
                _exit(0);
        prctl(PR_SET_NAME, "pause");
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigaction(SIGCHLD, &sa, NULL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        pause_root_leave(repfd);
        pause_userns_join(repfd, userns_fd);
        pause_caps_drop(repfd);
        /* Not even stdio (the sandbox's log): EOF on the report pipe says "confined". */
        close_range(0, ~0U, 0);
        for (;;)
                pause();
}

/* Wait for the pause process to confine itself (a few syscalls) and say how it went. */
static int pause_confined_wait(int rd, struct pfs_error *err)
{
        struct pause_report rep = { 0 };
        ssize_t n;

        do
                n = read(rd, &rep, sizeof(rep));
        while (n < 0 && errno == EINTR);
        if (n == 0)
                return 0;
        if (n != (ssize_t)sizeof(rep))
                return pfs_error_set(err, n < 0 ? errno : EIO, "the pause process did not report");
        rep.step[sizeof(rep.step) - 1] = '\0';
        return pfs_error_set(err, rep.code ? rep.code : EIO, "pause process: %s", rep.step);
}

static int pause_start(struct pod_ns *ns, struct pfs_error *err)
{
        _cleanup_close_ int self = pfs_pidfd_open(getpid(), 0), rd = -1, wr = -1;
        int pidfd = -1, pipefd[2], r;
        struct clone_args args = {
                .flags = CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        pid_t pid;

        if (self < 0)
                return pfs_error_set(err, errno, "pidfd_open of the sandbox");
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe");
        rd = pipefd[0];
        wr = pipefd[1];
        pid = child_clone3(&args);
        if (pid < 0)
                return pfs_error_set(err, errno, "start the pause process");
        if (pid == 0)
                pause_main(self, wr, ns->userns ? ns->userns_fd : -1);
        close(steal_fd(&wr));
        ns->pause_pid = pid;
        ns->pause_pidfd = pidfd;
        r = pause_confined_wait(rd, err);
        if (r < 0)
                return r;
        return 0;
}

int pod_ns_setup(const struct pod_spec *spec, struct pod_ns *ret_ns, struct pfs_error *err)
{
        struct pod_ns ns = {
                .own_net = !spec->host_network,
                .share_pid = spec->share_process_namespace,
                .host_pid = spec->host_pid,
                .host_ipc = spec->host_ipc,
                .pause_pid = 0,
                .pause_pidfd = -1,
                .userns_fd = -1,
        };
        /* As in Kubernetes, hostNetwork also means the node's UTS namespace. */
        int flags = (ns.host_ipc ? 0 : CLONE_NEWIPC) | (ns.own_net ? CLONE_NEWNET | CLONE_NEWUTS : 0);
        int r;

        r = pod_mount_ns_enter(err);
        if (r < 0)
                return r;
        if (unshare(flags) < 0)
                return pfs_error_set(err, errno, "unshare the pod namespaces");
        if (ns.own_net) {
                r = pod_ns_net_init(spec, err);
                if (r < 0)
                        return r;
        }
        *ret_ns = ns;
        return 0;
}

int pod_ns_pid_setup(struct pod_ns *ns, struct pfs_error *err)
{
        if (!ns->share_pid)
                return 0;
        if (unshare(CLONE_NEWPID) < 0)
                return pfs_error_set(err, errno, "unshare the pod's pid namespace");
        return pause_start(ns, err);
}
