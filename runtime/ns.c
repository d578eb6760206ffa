/* The pod's shared namespaces: net (loopback up), ipc, uts (pod hostname) and,
 * with shareProcessNamespace, a pid namespace whose pid 1 is a tiny pause
 * process; and the sandbox's own mount namespace, so that the pod's mounts
 * (Memory emptyDirs, /dev/shm) vanish with it. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "pfs/util.h"
#include "runtime.h"
#include "syscalls.h"

/* Kubernetes truncates a pod name used as hostname to 63 characters. */
#define POD_HOSTNAME_MAX 63

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
        const char *name = pod_ns_hostname(spec);
        size_t len = strlen(name);

        if (len > POD_HOSTNAME_MAX)
                len = POD_HOSTNAME_MAX;
        while (len > 0 && (name[len - 1] == '-' || name[len - 1] == '.'))
                len--;
        if (sethostname(name, len) < 0)
                return pfs_error_set(err, errno, "sethostname '%.*s'", (int)len, name);
        return 0;
}

/* pid 1 of the shared pid namespace: reaps orphans (SIGCHLD ignored with
 * SA_NOCLDWAIT reaps them in the kernel) and dies with the sandbox. */
static _Noreturn void pause_main(int parent_pidfd)
{
        struct sigaction sa = { .sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT };
        struct pollfd pfd = { .fd = parent_pidfd, .events = POLLIN };
        sigset_t none;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* The sandbox may have died before PDEATHSIG was armed: its pidfd says so. */
        if (poll(&pfd, 1, 0) != 0)
                _exit(0);
        prctl(PR_SET_NAME, "pause");
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigaction(SIGCHLD, &sa, NULL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Hold nothing of the sandbox: not its lock, not its pipes, not its cwd. */
        close_range(3, ~0U, 0);
        if (chdir("/") < 0)
                _exit(1);
        for (;;)
                pause();
}

static int pause_start(struct pod_ns *ns, struct pfs_error *err)
{
        _cleanup_close_ int self = pfs_pidfd_open(getpid(), 0);
        int pidfd = -1;
        struct clone_args args = {
                .flags = CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        pid_t pid;

        if (self < 0)
                return pfs_error_set(err, errno, "pidfd_open of the sandbox");
        pid = pfs_clone3(&args);
        if (pid < 0)
                return pfs_error_set(err, errno, "start the pause process");
        if (pid == 0)
                pause_main(self);
        ns->pause_pid = pid;
        ns->pause_pidfd = pidfd;
        return 0;
}

int pod_ns_setup(const struct pod_spec *spec, struct pod_ns *ret_ns, struct pfs_error *err)
{
        struct pod_ns ns = {
                .own_net = !spec->host_network,
                .share_pid = spec->share_process_namespace,
                .pause_pid = 0,
                .pause_pidfd = -1,
        };
        /* As in Kubernetes, hostNetwork also means the node's UTS namespace. */
        int flags = CLONE_NEWIPC | (ns.own_net ? CLONE_NEWNET | CLONE_NEWUTS : 0);
        int r;

        r = pod_mount_ns_enter(err);
        if (r < 0)
                return r;
        if (ns.share_pid)
                flags |= CLONE_NEWPID;
        if (unshare(flags) < 0)
                return pfs_error_set(err, errno, "unshare the pod namespaces");
        if (ns.own_net) {
                r = loopback_up(err);
                if (r < 0)
                        return r;
                r = set_hostname(spec, err);
                if (r < 0)
                        return r;
        }
        if (ns.share_pid) {
                r = pause_start(&ns, err);
                if (r < 0)
                        return r;
        }
        *ret_ns = ns;
        return 0;
}
