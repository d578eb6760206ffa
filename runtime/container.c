/* Starting one container: the sandbox prepares what it runs (process.c),
 * its mounts (mount_plan.c) and its capabilities, clones the child into its
 * own namespaces (and cgroup), and waits on a CLOEXEC pipe until exec
 * succeeded (EOF) or failed (an error record). With shareProcessNamespace the
 * other containers see the child from birth: it is non-dumpable until execve
 * and holds nothing of the sandbox but the few fds it names (child.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cgroup_internal.h"
#include "child.h"
#include "ctr_stdio.h"
#include "mount.h"
#include "pfs/store.h"
#include "pfs/util.h"
#include "process.h"
#include "runtime.h"
#include "security.h"
#include "syscalls.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* Everything the child needs, built before clone. */
struct ctr_exec {
        struct ctr_process proc;
        struct ctr_mount_plan plan;
        struct ctr_sec sec;
        int twins[POD_CGROUP_TWINS_MAX]; /* v1 twins of the cgroup to join (cgroup_limits.c) */
        int n_twins;
        int tty_sock;           /* with a terminal: the child's end of the master's way back */
        int gate_fd;            /* with l->created: a byte here lets the child exec (EOF: it leaves) */
};

static void ctr_exec_free(struct ctr_exec *x)
{
        ctr_process_free(&x->proc);
        ctr_mount_plan_free(&x->plan);
        ctr_seccomp_profile_free(x->sec.profile);
        for (int i = 0; i < x->n_twins; i++)
                close(x->twins[i]);
}

/* ---- the child ---- */

static _Noreturn void child_fail(int errfd, struct pfs_error *e)
{
        ssize_t n = write(errfd, e, sizeof(*e));

        (void)n;
        _exit(127);
}

static void signals_reset(void)
{
        sigset_t none;

        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

/* stdout and stderr at once (the sandbox's log would be there otherwise). */
static int stdout_setup(int out, int errout, struct pfs_error *err)
{
        if (dup2(out, 1) < 0 || dup2(errout, 2) < 0)
                return pfs_error_set(err, errno, "dup2 stdio");
        close(out);
        close(errout);
        return 0;
}

static int workdir_enter(const char *dir, struct pfs_error *err)
{
        if (!dir || !*dir)
                dir = "/";
        if (chdir(dir) == 0)
                return 0;
        /* kubelet/containerd create a missing workingDir. */
        if (errno == ENOENT && pfs_mkdir_p_at(AT_FDCWD, dir, 0755, err) == 0 && chdir(dir) == 0)
                return 0;
        return pfs_error_set(err, errno, "chdir to cwd (\"%s\") set in config.json failed", dir);
}

/* Resolve argv[0] like exec.LookPath inside the new root, then exec. */
static int exec_command(const struct ctr_exec *x, struct pfs_error *err)
{
        return child_exec_lookpath(x->proc.argv, x->proc.env, ctr_process_getenv(&x->proc, "PATH"), err);
}

static bool fd_is_cgroup2(int fd)
{
        struct statfs s;

        return fstatfs(fd, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

/* v1 has no CLONE_INTO_CGROUP: the child moves itself before it can fork
 * (into its cgroup on a v1 host, into the v1 twins that hold its limits). */
static int cgroup_v1_join(int cgroup_fd, struct pfs_error *err)
{
        int r = pod_cgroup_join_fds(&cgroup_fd, 1);

        return r < 0 ? pfs_error_set(err, -r, "join the container's cgroup") : 0;
}

/* Keep the fds the child needs (moved to 3, 4, ...), close everything else of the sandbox. */
static void child_fds_setup(const struct ctr_launch *l, struct ctr_exec *x, int *errfd, int *parent_pidfd,
                            int *cgroup_fd, int *userns_fd, struct ctr_stdio_child *st)
{
        int out = l->stdout_fd, errout = l->stderr_fd;
        int *keep[9 + ARRAY_SIZE(x->twins)] = { errfd, parent_pidfd, cgroup_fd, &out, &errout, userns_fd,
                                                &st->tty_sock, &st->stdin_fd, &x->gate_fd };
        size_t n = 9;
        struct pfs_error e = { 0 };
        int r;

        for (int i = 0; i < x->n_twins; i++)
                keep[n++] = &x->twins[i];
        r = child_fds_keep(keep, n);
        if (r < 0) {
                pfs_error_set(&e, -r, "container setup: close the sandbox's fds");
                child_fail(*errfd, &e);
        }
        if (stdout_setup(out, errout, &e) < 0)
                child_fail(*errfd, &e);
}

/* With a gate, the child waits there until the sandbox lets it run
 * (ctr_launch.created): set up, but not yet running anything of the image. */
static void gate_pass(struct ctr_exec *x)
{
        char go;
        ssize_t n;

        if (x->gate_fd < 0)
                return;
        do
                n = read(x->gate_fd, &go, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                _exit(0);       /* the sandbox said no: it kills and reaps us */
        close(x->gate_fd);
        x->gate_fd = -1;
}

/* procMount Unmasked (allowed only with hostUsers: false). */
static bool proc_unmasked(const struct ctr_launch *l)
{
        const struct pod_security_context *sc = l->ctr->security;

        return l->ns && l->ns->userns && sc && sc->proc_mount && !strcmp(sc->proc_mount, "Unmasked");
}

static _Noreturn void ctr_child(const struct ctr_launch *l, struct ctr_exec *x, int errfd, int parent_pidfd)
{
        bool userns = l->ns && l->ns->userns;
        int userns_fd = userns ? l->ns->userns_fd : -1;
        struct pollfd pfd = { .events = POLLIN };
        struct ctr_root root = {
                .rootfs = l->rootfs,
                .merged_dir = x->plan.merged_dir,
                .overlay_opts = x->plan.overlay_opts,
                .mounts = x->plan.mounts,
                .n_mounts = x->plan.n_mounts,
                .privileged = x->sec.privileged,
                .read_only_root = x->sec.read_only_root,
                .userns = userns,
                .unmasked = proc_unmasked(l),
                .userns_host = userns ? l->ns->userns_host : 0,
                .lower_dir = x->plan.lower_dir,
        };
        struct pfs_error e = { 0 };
        int cgroup_fd = l->cgroup_fd;
        struct ctr_stdio_child st = {
                .tty = l->stdio && l->stdio->tty,
                .tty_sock = x->tty_sock,
                .stdin_fd = l->stdio && !l->stdio->tty ? l->stdio->stdin_fd : -1,
                .uid = x->proc.uid,
                .chown_to_user = x->proc.set_user && x->proc.uid != 0,
        };

        /* Non-dumpable since clone (child_clone3); first, let go of the sandbox's fds. */
        child_fds_setup(l, x, &errfd, &parent_pidfd, &cgroup_fd, &userns_fd, &st);
        root.userns_fd = userns_fd;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* The sandbox may have died before PDEATHSIG was armed (getppid() is 0 in a new pid ns). */
        pfd.fd = parent_pidfd;
        if (poll(&pfd, 1, 0) != 0)
                _exit(127);
        close(parent_pidfd);
        if (cgroup_fd >= 0 && !fd_is_cgroup2(cgroup_fd) && cgroup_v1_join(cgroup_fd, &e) < 0)
                child_fail(errfd, &e);
        for (int i = 0; i < x->n_twins; i++)
                if (cgroup_v1_join(x->twins[i], &e) < 0)
                        child_fail(errfd, &e);
        if (cgroup_fd >= 0)
                close(cgroup_fd);
        for (int i = 0; i < x->n_twins; i++)
                close(x->twins[i]);
        signals_reset();
        setsid();
        umask(0);
        /* The root is built as the host's root; the pod's user namespace is joined last. */
        if (ctr_root_setup(&root, &e) < 0 ||
            (userns && ctr_userns_join(userns_fd, &e) < 0) ||
            workdir_enter(x->proc.working_dir, &e) < 0 ||
            ctr_stdio_child(&st, &e) < 0)
                child_fail(errfd, &e);
        gate_pass(x);
        if (ctr_sec_apply(&x->sec, &x->proc, &e) < 0)
                child_fail(errfd, &e);
        umask(022);
        /* Only stdio and the error pipe (close-on-exec) are left: no cgroup or other host fd. */
        if (errfd > 3)
                close_range(3, (unsigned int)errfd - 1, 0);
        close_range((unsigned int)errfd + 1, ~0U, 0);
        exec_command(x, &e);
        child_fail(errfd, &e);
}

static int ctr_exec_build(struct ctr_exec *x, const struct ctr_launch *l, struct pfs_error *err)
{
        int r = ctr_process_build(&x->proc, l->ctr, l->env, l->rootfs, err);

        if (r >= 0)
                r = ctr_sec_build(&x->sec, &x->proc, l->pod, l->ctr, l->rootfs,
                                  l->state_dir ? l->state_dir : PFS_STATE_DIR_DEFAULT, err);
        if (r >= 0)
                r = ctr_mount_plan_build(&x->plan, l, err);
        if (r >= 0 && l->cgroup_fd >= 0)
                x->n_twins = pod_cgroup_twins_open(l->cgroup_fd, x->twins, ARRAY_SIZE(x->twins));
        return r;
}

static int child_wait_exec(int errfd, int pidfd, struct pfs_error *err)
{
        struct pfs_error e = { 0 };
        siginfo_t info;
        ssize_t n;

        do
                n = read(errfd, &e, sizeof(e));
        while (n < 0 && errno == EINTR);
        if (n == 0)
                return 0;
        if (n != (ssize_t)sizeof(e)) {
                e.code = n < 0 ? errno : EIO;
                snprintf(e.msg, sizeof(e.msg), "container setup: lost the child's report");
        }
        while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0 && errno == EINTR)
                ;
        e.msg[sizeof(e.msg) - 1] = '\0';
        return pfs_error_set(err, e.code ? e.code : EIO, "%s", e.msg);
}

static void child_kill(int pidfd)
{
        siginfo_t info;

        pfs_pidfd_send_signal(pidfd, SIGKILL);
        while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &info, WEXITED) < 0 && errno == EINTR)
                ;
}

/* The sandbox's say while the child sets itself up: a byte through the
 * gate lets it exec; an error kills it. */
static int gate_open(const struct ctr_launch *l, int *gate_w, int pidfd, struct pfs_error *err)
{
        int r = l->created(l->created_arg, err);
        ssize_t n;

        if (r < 0) {
                close(steal_fd(gate_w));
                child_kill(pidfd);
                return r;
        }
        n = write(*gate_w, "g", 1);     /* EPIPE: the child failed before the gate (errfd says why) */
        (void)n;
        close(steal_fd(gate_w));
        return 0;
}

/* The terminal's master, sent by the child before exec; without it the
 * container (already exec'd) is killed and reaped. */
static int master_take(const struct ctr_launch *l, int sock, int pidfd, struct pfs_error *err)
{
        *l->stdio->ret_master = ctr_stdio_recv_master(sock);
        if (*l->stdio->ret_master >= 0)
                return 0;
        child_kill(pidfd);
        return pfs_error_set(err, EIO, "container setup: the terminal did not come back");
}

int ctr_spawn(const struct ctr_launch *l, pid_t *ret_pid, int *ret_pidfd, struct pfs_error *err)
{
        _cleanup_(ctr_exec_free) struct ctr_exec x = { 0 };
        _cleanup_close_ int self = -1, rd = -1, wr = -1, pidfd = -1, tty_parent = -1, tty_child = -1;
        _cleanup_close_ int gate_r = -1, gate_w = -1;
        int pipefd[2], sp[2];
        struct clone_args args = {
                .flags = CLONE_PIDFD | CLONE_NEWNS,
                .exit_signal = SIGCHLD,
        };
        pid_t pid;
        int r;

        x.tty_sock = x.gate_fd = -1;
        r = ctr_exec_build(&x, l, err);
        if (r < 0)
                return r;
        if (l->stdio && l->stdio->tty) {
                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                        return pfs_error_set(err, errno, "socketpair for the terminal");
                tty_parent = sp[0];
                x.tty_sock = tty_child = sp[1];
        }
        self = pfs_pidfd_open(getpid(), 0);
        if (self < 0)
                return pfs_error_set(err, errno, "pidfd_open of the sandbox");
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe");
        rd = pipefd[0];
        wr = pipefd[1];
        if (l->created) {
                if (pipe2(pipefd, O_CLOEXEC) < 0)
                        return pfs_error_set(err, errno, "pipe");
                x.gate_fd = gate_r = pipefd[0];
                gate_w = pipefd[1];
        }
        args.pidfd = (uint64_t)(uintptr_t)&pidfd;
        if (!l->ns || (!l->ns->share_pid && !l->ns->host_pid))
                args.flags |= CLONE_NEWPID;
        if (l->cgroup_fd >= 0 && fd_is_cgroup2(l->cgroup_fd)) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)l->cgroup_fd;
        }
        pid = child_clone3(&args);
        if (pid < 0)
                return pfs_error_set(err, errno, "clone3");
        if (pid == 0)
                ctr_child(l, &x, wr, self);
        close(steal_fd(&wr));
        if (tty_child >= 0)
                close(steal_fd(&tty_child));
        if (gate_r >= 0)
                close(steal_fd(&gate_r));
        if (gate_w >= 0 && gate_open(l, &gate_w, pidfd, err) < 0)
                return -(err->code ? err->code : EIO);
        r = child_wait_exec(rd, pidfd, err);
        if (r < 0)
                return r;
        if (tty_parent >= 0 && master_take(l, tty_parent, pidfd, err) < 0)
                return -EIO;
        *ret_pid = pid;
        *ret_pidfd = steal_fd(&pidfd);
        /* exec probes and hooks find the container's profile by its pid */
        ctr_seccomp_register(pid, x.sec.profile);
        x.sec.profile = NULL;
        return 0;
}
