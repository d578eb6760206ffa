/* Exec inside a running container (what `crictl exec` / runc exec do for
 * exec probes and hooks): join the namespaces of its main process by pidfd,
 * its root and cwd, its environment, user and capabilities. The sandbox only
 * clones; the child reports a failure to start on an error pipe that its
 * exec closes, never on the command's output. The child is
 * born in the container's pid namespace, where the container sees it: it is
 * non-dumpable from birth, keeps only the fds it needs and drops those too
 * (the container's root and cwd, its pidfd) before it switches user. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "child.h"
#include "handler.h"
#include "runtime.h"
#include "security.h"
#include "syscalls.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What the child takes from the container, gathered before clone. */
struct enter_ctx {
        int err_fd;             /* close-on-exec: a struct pfs_error when it cannot start */
        int root_fd, cwd_fd, out_fd, ctr_pidfd;
        int in_fd;              /* stdin: a pipe nobody writes to (reads end-of-file) */
        char **env;             /* NULL-terminated, from /proc/PID/environ */
        uid_t uid;
        gid_t gid;
        uint64_t cap_bnd;
        cap_t caps;
        gid_t groups[CTR_SEC_MAX_GROUPS];       /* the container's supplementary groups */
        int n_groups;
        bool no_new_privs, seccomp;             /* as the container's main process (security.c) */
        void *profile;                          /* its Localhost profile, NULL: RuntimeDefault */
        char *apparmor;                         /* its AppArmor label, NULL: unconfined or none */
        int join_fds[POD_CGROUP_JOIN_MAX];      /* v1 cgroups of the container to join */
        int n_join;
        bool userns;                            /* hostUsers: false: join its user namespace too */
};

static void enter_ctx_free(struct enter_ctx *x)
{
        if (x->root_fd >= 0)
                close(x->root_fd);
        if (x->cwd_fd >= 0)
                close(x->cwd_fd);
        if (x->in_fd >= 0)
                close(x->in_fd);
        for (int i = 0; i < x->n_join; i++)
                close(x->join_fds[i]);
        for (size_t i = 0; x->env && x->env[i]; i++)
                free(x->env[i]);
        free(x->env);
        free(x->apparmor);
        if (x->caps)
                cap_free(x->caps);
}

static int env_load(struct enter_ctx *x, pid_t pid, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/environ", (int)pid), *data = NULL;
        size_t len = 0, n = 0;
        int r;

        r = pfs_read_file_at(AT_FDCWD, path, &data, &len, err);
        if (r < 0)
                return r;
        x->env = xcalloc(1, sizeof(*x->env));
        for (size_t off = 0; off < len; off += strlen(data + off) + 1) {
                if (!data[off])
                        continue;
                x->env = xrealloc(x->env, (n + 2) * sizeof(*x->env));
                x->env[n++] = xstrdup(data + off);
                x->env[n] = NULL;
        }
        return 0;
}

/* Its groups, no_new_privs and seccomp mode: an exec child gets the same
 * (the only filter podfs gives a container is RuntimeDefault). */
static int status_load_security(struct enter_ctx *x, const char *data)
{
        const char *p = strstr(data, "\nGroups:");
        int v = 0;

        for (p = p ? p + 8 : ""; *p && *p != '\n' && x->n_groups < CTR_SEC_MAX_GROUPS;) {
                char *end;
                unsigned long g = strtoul(p, &end, 10);

                if (end == p) {
                        p++;
                        continue;
                }
                x->groups[x->n_groups++] = (gid_t)g;
                p = end;
        }
        if ((p = strstr(data, "\nNoNewPrivs:")) && sscanf(p + 12, "%d", &v) == 1)
                x->no_new_privs = v == 1;
        if ((p = strstr(data, "\nSeccomp:")) && sscanf(p + 9, "%d", &v) == 1)
                x->seccomp = v == 2;
        return 0;
}

/* Effective uid/gid and the bounding set of the container's main process. */
static int status_load(struct enter_ctx *x, pid_t pid, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/status", (int)pid), *data = NULL;
        const char *p;
        unsigned long long bnd = 0;
        unsigned u = 0, g = 0;
        int r;

        r = pfs_read_file_at(AT_FDCWD, path, &data, NULL, err);
        if (r < 0)
                return r;
        if (!(p = strstr(data, "\nUid:")) || sscanf(p + 5, "%*u %u", &u) != 1 ||
            !(p = strstr(data, "\nGid:")) || sscanf(p + 5, "%*u %u", &g) != 1 ||
            !(p = strstr(data, "\nCapBnd:")) || sscanf(p + 8, "%llx", &bnd) != 1)
                return pfs_error_set(err, EINVAL, "cannot parse %s", path);
        x->uid = u;
        x->gid = g;
        x->cap_bnd = bnd;
        return status_load_security(x, data);
}

/* Neither a host node nor one of the container's (which it may have replaced)
 * as stdin: the read end of a pipe whose write end closes now, so a read
 * gets end-of-file as from /dev/null. */
static int stdin_open(struct enter_ctx *x, struct pfs_error *err)
{
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe for stdin");
        close(p[1]);
        x->in_fd = p[0];
        return 0;
}

/* hostUsers: false: the container's ids as its user namespace sees them
 * (what /proc/PID/status shows us are the host's). */
static int userns_load(struct enter_ctx *x, pid_t pid, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("/proc/%d/uid_map", (int)pid), *data = NULL;
        unsigned inside, outside, count;
        int r;

        r = pfs_read_file_at(AT_FDCWD, path, &data, NULL, err);
        if (r < 0)
                return r;
        if (sscanf(data, "%u %u %u", &inside, &outside, &count) != 3)
                return pfs_error_set(err, EINVAL, "cannot parse %s", path);
        if (inside == 0 && outside == 0)
                return 0;       /* the node's user namespace */
        x->userns = true;
        x->uid -= outside;
        x->gid -= outside;
        for (int i = 0; i < x->n_groups; i++)
                x->groups[i] -= outside;
        return 0;
}

static int ctx_build(struct enter_ctx *x, pid_t pid, struct pfs_error *err)
{
        _cleanup_free_ char *root = xasprintf("/proc/%d/root", (int)pid);
        _cleanup_free_ char *cwd = xasprintf("/proc/%d/cwd", (int)pid);
        int r;

        x->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (x->root_fd < 0)
                return pfs_error_set(err, errno, "open %s", root);
        x->cwd_fd = open(cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
        r = stdin_open(x, err);
        if (r >= 0)
                r = env_load(x, pid, err);
        if (r >= 0)
                r = status_load(x, pid, err);
        if (r >= 0)
                r = userns_load(x, pid, err);
        if (r < 0)
                return r;
        x->caps = cap_get_pid(pid);
        if (!x->caps)
                return pfs_error_set(err, errno, "capabilities of pid %d", (int)pid);
        /* Never inheritable capabilities (CVE-2022-29162), whatever the container holds. */
        if (cap_clear_flag(x->caps, CAP_INHERITABLE) < 0)
                return pfs_error_set(err, errno, "clear inheritable capabilities");
        return 0;
}

/* ---- the child ---- */

static const char *env_path(char *const *env)
{
        for (size_t i = 0; env && env[i]; i++)
                if (strncmp(env[i], "PATH=", 5) == 0)
                        return env[i] + 5;
        return DEFAULT_PATH;
}

/* err_fd's slot in the child: the first fd child_fds_keep keeps. */
#define ERR_SLOT 3

/* runc's "unable to start container process: ..." reaches the sandbox as an
 * error, not as an exit status: the status of a command that ran is its own. */
static _Noreturn void child_fail(const struct pfs_error *e)
{
        ssize_t n = write(ERR_SLOT, e, sizeof(*e));

        (void)n;
        _exit(127);
}

/* A setup step failed with errno: "what: <Go's text of errno>". */
static _Noreturn void child_die(const char *what)
{
        struct pfs_error e = {0};
        int code = errno;
        char eb[128];

        pfs_error_set(&e, code, "%s: %s", what, pfs_go_strerror(code, eb));
        child_fail(&e);
}

/* exec.LookPath inside the container's root, then exec. */
static _Noreturn void child_exec(char *const argv[], char *const env[])
{
        struct pfs_error e = {0};

        child_exec_lookpath(argv, env, env_path(env), &e);
        child_fail(&e);
}

static void child_creds(const struct enter_ctx *x)
{
        int last = (int)cap_max_bits() - 1;
        struct pfs_error e = { 0 };
        cap_t none;

        if (x->apparmor && ctr_apparmor_exec(x->apparmor, &e) < 0) {
                errno = e.code;
                child_die("apply the AppArmor profile");
        }
        /* While we still hold CAP_SYS_ADMIN (the profile allows what follows). */
        if (x->seccomp && (x->profile ? ctr_seccomp_profile_apply(x->profile, &e)
                                      : ctr_seccomp_load_default(x->cap_bnd, &e)) < 0) {
                errno = e.code;
                child_die("load the seccomp profile");
        }
        if (setgroups((size_t)x->n_groups, x->groups) < 0)
                child_die("set the container's groups");
        if (x->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_die("set no_new_privs");
        for (int c = 0; c <= last && c < 64; c++)
                if (!(x->cap_bnd & (1ULL << c)))
                        prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        if (x->uid == 0) {
                if (x->userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                        child_die("become root of the pod's user namespace");
                if (cap_set_proc(x->caps) < 0)
                        child_die("set capabilities");
                return;
        }
        if (setgid(x->gid) < 0 || setuid(x->uid) < 0)
                child_die("switch to the container's user");
        /* setuid cleared permitted and effective; inheritable stays unless cleared. */
        none = cap_init();
        if (!none || cap_set_proc(none) < 0)
                child_die("clear capabilities");
        cap_free(none);
        /* A user change makes us dumpable again if fs.suid_dumpable says so: not before execve. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static _Noreturn void enter_child(struct enter_ctx *x, char *const argv[])
{
        int *keep[6 + POD_CGROUP_JOIN_MAX] = { &x->err_fd, &x->out_fd, &x->in_fd, &x->root_fd, &x->cwd_fd,
                                               &x->ctr_pidfd };
        size_t n_keep = 6;
        sigset_t none;

        for (int i = 0; i < x->n_join; i++)
                keep[n_keep++] = &x->join_fds[i];
        /* Non-dumpable since clone (child_clone3); now nothing else of the sandbox stays open. */
        if (child_fds_keep(keep, n_keep) < 0 || dup2(x->in_fd, 0) < 0 ||
            dup2(x->out_fd, 1) < 0 || dup2(x->out_fd, 2) < 0)
                _exit(126);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* Its device policy and pids limit hold before anything of the container runs. */
        if (pod_cgroup_join_fds(x->join_fds, (size_t)x->n_join) < 0)
                child_die("join the container's cgroup");
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setsid();
        if (setns(x->ctr_pidfd, CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET) < 0)
                child_die("join the container's namespaces");
        if (fchdir(x->root_fd) < 0 || chroot(".") < 0)
                child_die("enter the container's root");
        if (x->cwd_fd < 0 || fchdir(x->cwd_fd) < 0)
                if (chdir("/") < 0)
                        child_die("chdir");
        /* Last, as the container joined it: never host root inside a user-namespaced pod. */
        if (x->userns && setns(x->ctr_pidfd, CLONE_NEWUSER) < 0)
                child_die("join the container's user namespace");
        /* Only 0, 1, 2 and the error pipe (close-on-exec) from here on: no
         * directory fd, no pidfd of the sandbox's. */
        close_range(ERR_SLOT + 1, ~0U, 0);
        child_creds(x);
        child_exec(argv, x->env);
}

/* ---- the sandbox side ---- */

static bool fd_is_cgroup2(int fd)
{
        struct statfs s;

        return fd >= 0 && fstatfs(fd, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

/* clone3 into the container's pid namespace: our pid_for_children points
 * there for the clone only (a pid namespace is entered by one's children). */
static pid_t clone_into_pidns(int ctr_pidfd, struct clone_args *args, struct pfs_error *err)
{
        _cleanup_close_ int own = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
        pid_t pid;
        int e;

        if (own < 0)
                return pfs_error_set(err, errno, "open our pid_for_children");
        if (setns(ctr_pidfd, CLONE_NEWPID) < 0)
                return pfs_error_set(err, errno, "enter the container's pid namespace");
        pid = child_clone3(args);
        e = errno;
        if (pid == 0)
                return 0;
        if (setns(own, CLONE_NEWPID) < 0)
                pfs_log(LOG_ERR, "cannot restore our pid namespace for children: %m");
        if (pid < 0)
                return pfs_error_set(err, e, "clone3 into the container");
        return pid;
}

int ctr_enter_spawn(pid_t ctr_pid, int ctr_pidfd, char *const argv[], int cgroup_fd, int out_fd,
                    int err_fd, pid_t *ret_pid, int *ret_pidfd, struct pfs_error *err)
{
        struct enter_ctx x = {.root_fd = -1, .cwd_fd = -1, .in_fd = -1, .out_fd = out_fd, .err_fd = err_fd,
                              .ctr_pidfd = ctr_pidfd};
        int pidfd = -1;
        struct clone_args args = {
                .flags = CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        pid_t pid;
        int r;

        if (!argv || !argv[0])
                return pfs_error_set(err, EINVAL, "no command");
        r = ctx_build(&x, ctr_pid, err);
        if (r < 0)
                goto out;
        x.profile = ctr_seccomp_registered(ctr_pid);
        x.apparmor = ctr_apparmor_host_enabled() ? ctr_apparmor_label_of(ctr_pid) : NULL;
        x.n_join = pod_cgroup_join_fds_open(cgroup_fd, x.join_fds, ARRAY_SIZE(x.join_fds));
        if (fd_is_cgroup2(cgroup_fd)) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)cgroup_fd;
        }
        pid = clone_into_pidns(ctr_pidfd, &args, err);
        if (pid == 0)
                enter_child(&x, argv);
        if (pid < 0) {
                r = pid;
                goto out;
        }
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        r = 0;
out:
        enter_ctx_free(&x);
        return r;
}
