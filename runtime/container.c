/* Starting one container: the sandbox prepares argv, environment, mounts and
 * capabilities, clones the child into its own namespaces, and waits on a
 * CLOEXEC pipe until exec succeeded (EOF) or failed (an error record). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>
#include "image_internal.h"
#include "mount.h"
#include "pfs/util.h"
#include "runtime.h"
#include "syscalls.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The default capability set of containerd/CRI-O for a container. */
static const cap_value_t default_caps[] = {
        CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW,
        CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE,
        CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
};

/* Everything the child needs, built before clone. */
struct ctr_exec {
        struct pfs_buf envbuf;  /* unused storage holder */
        char **env;             /* "K=V", NULL-terminated */
        size_t n_env;
        char **argv;            /* NULL-terminated */
        size_t n_argv;
        cap_t caps;
        struct ctr_mount *mounts;
        size_t n_mounts;
        const char *merged_dir, *overlay_opts;
        const char *working_dir;        /* spec, else image, else "/" */
        bool set_user;                  /* the image names a user: switch to uid/gid */
        uid_t uid;
        gid_t gid;
        char **strings;         /* owned strings the mounts point to */
        size_t n_strings;
        char hostname[256];
};

static void ctr_exec_free(struct ctr_exec *x)
{
        for (size_t i = 0; i < x->n_env; i++)
                free(x->env[i]);
        free(x->env);
        for (size_t i = 0; i < x->n_argv; i++)
                free(x->argv[i]);
        free(x->argv);
        if (x->caps)
                cap_free(x->caps);
        free(x->mounts);
        for (size_t i = 0; i < x->n_strings; i++)
                free(x->strings[i]);
        free(x->strings);
}

static const char *own(struct ctr_exec *x, char *s)
{
        x->strings = xrealloc(x->strings, (x->n_strings + 1) * sizeof(*x->strings));
        x->strings[x->n_strings++] = s;
        return s;
}

/* ---- environment and $(VAR) expansion ---- */

static const char *env_get(const struct ctr_exec *x, const char *name, size_t len)
{
        for (size_t i = 0; i < x->n_env; i++)
                if (strncmp(x->env[i], name, len) == 0 && x->env[i][len] == '=')
                        return x->env[i] + len + 1;
        return NULL;
}

static void env_set(struct ctr_exec *x, const char *name, const char *value)
{
        char *kv = xasprintf("%s=%s", name, value);
        size_t len = strlen(name);

        for (size_t i = 0; i < x->n_env; i++) {
                if (strncmp(x->env[i], name, len) == 0 && x->env[i][len] == '=') {
                        free(x->env[i]);
                        x->env[i] = kv;
                        return;
                }
        }
        x->env = xrealloc(x->env, (x->n_env + 2) * sizeof(*x->env));
        x->env[x->n_env++] = kv;
        x->env[x->n_env] = NULL;
}

/* Kubernetes' expansion: $(NAME) -> its value if defined (else left as is), $$ -> $. */
static char *env_expand(const struct ctr_exec *x, const char *s)
{
        struct pfs_buf b = { 0 };

        pfs_buf_puts(&b, "");
        while (*s) {
                const char *close;

                if (s[0] == '$' && s[1] == '$') {
                        pfs_buf_puts(&b, "$");
                        s += 2;
                } else if (s[0] == '$' && s[1] == '(' && (close = strchr(s + 2, ')'))) {
                        const char *v = env_get(x, s + 2, (size_t)(close - s - 2));

                        if (v)
                                pfs_buf_puts(&b, v);
                        else
                                pfs_buf_append(&b, s, (size_t)(close - s + 1));
                        s = close + 1;
                } else {
                        pfs_buf_append(&b, s, 1);
                        s++;
                }
        }
        return pfs_buf_steal(&b);
}

static void env_build(struct ctr_exec *x, const struct pod_container *c, const struct image_config *img)
{
        x->env = xcalloc(1, sizeof(*x->env));
        env_set(x, "PATH", DEFAULT_PATH);
        for (size_t i = 0; img && img->env && img->env[i]; i++) {
                _cleanup_free_ char *k = xstrdup(img->env[i]);
                char *eq = strchr(k, '=');

                if (eq) {
                        *eq = '\0';
                        env_set(x, k, eq + 1);
                }
        }
        if (gethostname(x->hostname, sizeof(x->hostname) - 1) < 0)
                x->hostname[0] = '\0';
        env_set(x, "HOSTNAME", x->hostname);
        if (!env_get(x, "HOME", 4))
                env_set(x, "HOME", x->set_user && x->uid != 0 ? "/" : "/root");
        for (size_t i = 0; i < c->n_env; i++) {
                _cleanup_free_ char *v = env_expand(x, c->env[i].value ? c->env[i].value : "");

                env_set(x, c->env[i].name, v);
        }
}

static void argv_add(struct ctr_exec *x, char *s)
{
        x->argv = xrealloc(x->argv, (x->n_argv + 2) * sizeof(*x->argv));
        x->argv[x->n_argv++] = s;
        x->argv[x->n_argv] = NULL;
}

/* Kubernetes: command replaces the image's Entrypoint (and drops its Cmd);
 * args replace Cmd. */
static int argv_build(struct ctr_exec *x, const struct pod_container *c, const struct image_config *img,
                      struct pfs_error *err)
{
        for (size_t i = 0; i < c->n_command; i++)
                argv_add(x, env_expand(x, c->command[i]));
        for (size_t i = 0; !c->n_command && img && img->entrypoint && img->entrypoint[i]; i++)
                argv_add(x, xstrdup(img->entrypoint[i]));
        for (size_t i = 0; i < c->n_args; i++)
                argv_add(x, env_expand(x, c->args[i]));
        for (size_t i = 0; !c->n_command && !c->n_args && img && img->cmd && img->cmd[i]; i++)
                argv_add(x, xstrdup(img->cmd[i]));
        if (x->n_argv == 0)
                return pfs_error_set(err, EINVAL, "no command specified");
        return 0;
}

static int caps_build(struct ctr_exec *x, struct pfs_error *err)
{
        x->caps = cap_init();
        if (!x->caps)
                return pfs_error_set(err, errno, "cap_init");
        if (cap_set_flag(x->caps, CAP_EFFECTIVE, ARRAY_SIZE(default_caps), default_caps, CAP_SET) < 0 ||
            cap_set_flag(x->caps, CAP_PERMITTED, ARRAY_SIZE(default_caps), default_caps, CAP_SET) < 0 ||
            cap_set_flag(x->caps, CAP_INHERITABLE, ARRAY_SIZE(default_caps), default_caps, CAP_SET) < 0)
                return pfs_error_set(err, errno, "cap_set_flag");
        return 0;
}

/* ---- mounts ---- */

static struct ctr_mount *mount_add(struct ctr_exec *x)
{
        x->mounts = xrealloc(x->mounts, (x->n_mounts + 1) * sizeof(*x->mounts));
        memset(&x->mounts[x->n_mounts], 0, sizeof(*x->mounts));
        return &x->mounts[x->n_mounts++];
}

static const struct pod_volume *volume_find(const struct pod_spec *pod, const char *name)
{
        for (size_t i = 0; i < pod->n_volumes; i++)
                if (strcmp(pod->volumes[i].name, name) == 0)
                        return &pod->volumes[i];
        return NULL;
}

char *ctr_termination_log_path(const char *volumes_dir, const char *ctr_name)
{
        return xasprintf("%s/%s/%s", volumes_dir, POD_TERMINATION_DIR, ctr_name);
}

static int termination_log_create(const char *path, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xstrdup(path);
        int fd;

        *strrchr(dir, '/') = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "mkdir '%s'", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0)
                return pfs_error_set(err, errno, "create '%s'", path);
        fchmod(fd, 0666);
        close(fd);
        return 0;
}

static void etc_mount_add(struct ctr_exec *x, const char *volumes_dir, const char *name)
{
        struct ctr_mount *m = mount_add(x);

        m->source = own(x, xasprintf("%s/%s/%s", volumes_dir, POD_ETC_DIR, name));
        m->target = own(x, xasprintf("/etc/%s", name));
        m->if_etc = true;
        m->optional = true;
}

static int mounts_build(struct ctr_exec *x, const struct ctr_launch *l, struct pfs_error *err)
{
        const struct pod_container *c = l->ctr;
        struct ctr_mount *m;

        etc_mount_add(x, l->volumes_dir, "hostname");
        etc_mount_add(x, l->volumes_dir, "hosts");
        etc_mount_add(x, l->volumes_dir, "resolv.conf");
        m = mount_add(x);
        m->source = own(x, xasprintf("%s/%s", l->volumes_dir, POD_SHM_DIR));
        m->target = "/dev/shm";
        m->optional = true;
        for (size_t i = 0; i < c->n_mounts; i++) {
                const struct pod_volume_mount *vm = &c->mounts[i];
                const struct pod_volume *v = volume_find(l->pod, vm->name);

                if (!v)
                        return pfs_error_set(err, ENOENT, "volumeMount \"%s\": no volume of that name", vm->name);
                if (!vm->mount_path || vm->mount_path[0] != '/' || !vm->mount_path[1])
                        return pfs_error_set(err, EINVAL, "volumeMount \"%s\": invalid mountPath \"%s\"",
                                             vm->name, vm->mount_path ? vm->mount_path : "");
                m = mount_add(x);
                m->source = v->kind == POD_VOLUME_HOST_PATH
                        ? v->host_path : own(x, xasprintf("%s/%s", l->volumes_dir, v->name));
                m->sub_path = vm->sub_path;
                m->target = vm->mount_path;
                m->read_only = vm->read_only;
        }
        if (c->termination_message_path && c->termination_message_path[0] == '/') {
                const char *src = own(x, ctr_termination_log_path(l->volumes_dir, c->name));
                int r = termination_log_create(src, err);

                if (r < 0)
                        return pfs_error_wrap(err, "termination message file");
                m = mount_add(x);
                m->source = src;
                m->target = c->termination_message_path;
        }
        return 0;
}

/* overlayfs options: '\\', ':' and ',' in paths are escaped with a backslash. */
static void overlay_opt_add(struct pfs_buf *b, const char *key, const char *path)
{
        pfs_buf_printf(b, "%s%s=", b->len ? "," : "", key);
        for (; *path; path++) {
                if (*path == '\\' || *path == ':' || *path == ',')
                        pfs_buf_puts(b, "\\");
                pfs_buf_append(b, path, 1);
        }
}

/* A fresh writable layer for this run (kubelet gives a restarted container a new one). */
static int overlay_build(struct ctr_exec *x, const struct ctr_launch *l, struct pfs_error *err)
{
        _cleanup_free_ char *base = xasprintf("%s/%s/%s", l->volumes_dir, POD_OVERLAY_DIR, l->ctr->name);
        _cleanup_free_ char *upper = xasprintf("%s/upper", base), *work = xasprintf("%s/work", base);
        const char *merged = own(x, xasprintf("%s/merged", base));
        struct pfs_buf b = { 0 };
        int r;

        r = pfs_rm_rf_at(AT_FDCWD, base, err);
        if (r >= 0)
                r = pfs_mkdir_p_at(AT_FDCWD, upper, 0755, err);
        if (r >= 0)
                r = pfs_mkdir_p_at(AT_FDCWD, work, 0755, err);
        if (r >= 0)
                r = pfs_mkdir_p_at(AT_FDCWD, merged, 0755, err);
        if (r < 0)
                return pfs_error_wrap(err, "container writable layer");
        overlay_opt_add(&b, "lowerdir", l->rootfs);
        overlay_opt_add(&b, "upperdir", upper);
        overlay_opt_add(&b, "workdir", work);
        x->overlay_opts = own(x, pfs_buf_steal(&b));
        x->merged_dir = merged;
        return 0;
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

static int stdio_setup(const struct ctr_launch *l, struct pfs_error *err)
{
        int out = fcntl(l->stdout_fd, F_DUPFD_CLOEXEC, 3);
        int errfd = fcntl(l->stderr_fd, F_DUPFD_CLOEXEC, 3);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (out < 0 || errfd < 0 || null < 0)
                return pfs_error_set(err, errno, "prepare stdio");
        if (dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
                return pfs_error_set(err, errno, "dup2 stdio");
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

static int caps_apply(const struct ctr_exec *x, struct pfs_error *err)
{
        int last = (int)cap_max_bits() - 1;

        for (int c = 0; c <= last; c++) {
                bool keep = false;

                for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
                        keep |= default_caps[i] == c;
                if (!keep && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return pfs_error_set(err, errno, "drop capability %d from the bounding set", c);
        }
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        if (cap_set_proc(x->caps) < 0)
                return pfs_error_set(err, errno, "set capabilities");
        if (!x->set_user)
                return 0;
        /* A non-root user keeps no capabilities across exec, as in Kubernetes. */
        if (setgroups(1, &x->gid) < 0 || setgid(x->gid) < 0 || setuid(x->uid) < 0)
                return pfs_error_set(err, errno, "switch to user %u:%u", (unsigned)x->uid, (unsigned)x->gid);
        return 0;
}

/* Go's wording, which containerd and runc users know. */
static const char *go_strerror(int e, char buf[static 128])
{
        snprintf(buf, 128, "%s", strerror(e));
        if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a')
                buf[0] = (char)(buf[0] - 'A' + 'a');
        return buf;
}

static bool is_executable(const char *path, struct stat *st)
{
        return stat(path, st) == 0 && !S_ISDIR(st->st_mode) && (st->st_mode & 0111);
}

/* Resolve argv[0] like exec.LookPath inside the new root, then exec. */
static int exec_command(const struct ctr_exec *x, struct pfs_error *err)
{
        const char *cmd = x->argv[0], *path = env_get(x, "PATH", 4);
        char buf[4096], ebuf[128];
        struct stat st;

        if (strchr(cmd, '/')) {
                if (stat(cmd, &st) < 0)
                        return pfs_error_set(err, errno, "exec: \"%s\": stat %s: %s", cmd, cmd,
                                             go_strerror(errno, ebuf));
                if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
                        return pfs_error_set(err, EACCES, "exec: \"%s\": permission denied", cmd);
                execve(cmd, x->argv, x->env);
                return pfs_error_set(err, errno, "exec: \"%s\": %s", cmd, go_strerror(errno, ebuf));
        }
        for (const char *p = path ? path : ""; *cmd; ) {
                size_t n = strcspn(p, ":");

                snprintf(buf, sizeof(buf), "%.*s/%s", (int)(n ? n : 1), n ? p : ".", cmd);
                if (is_executable(buf, &st)) {
                        execve(buf, x->argv, x->env);
                        return pfs_error_set(err, errno, "exec: \"%s\": %s", cmd, go_strerror(errno, ebuf));
                }
                if (!p[n])
                        break;
                p += n + 1;
        }
        return pfs_error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", cmd);
}

static bool fd_is_cgroup2(int fd)
{
        struct statfs s;

        return fstatfs(fd, &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC;
}

/* v1 has no CLONE_INTO_CGROUP: the child moves itself before it can fork. */
static int cgroup_v1_join(int cgroup_fd, struct pfs_error *err)
{
        int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);

        if (fd < 0 || write(fd, "0", 1) != 1)
                return pfs_error_set(err, errno, "join the container's cgroup");
        close(fd);
        return 0;
}

static _Noreturn void ctr_child(const struct ctr_launch *l, const struct ctr_exec *x, int errfd, int parent_pidfd)
{
        struct pollfd pfd = { .fd = parent_pidfd, .events = POLLIN };
        struct ctr_root root = {
                .rootfs = l->rootfs,
                .merged_dir = x->merged_dir,
                .overlay_opts = x->overlay_opts,
                .mounts = x->mounts,
                .n_mounts = x->n_mounts,
        };
        struct pfs_error e = { 0 };

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* The sandbox may have died before PDEATHSIG was armed (getppid() is 0 in a new pid ns). */
        if (poll(&pfd, 1, 0) != 0)
                _exit(127);
        if (l->cgroup_fd >= 0 && !fd_is_cgroup2(l->cgroup_fd) && cgroup_v1_join(l->cgroup_fd, &e) < 0)
                child_fail(errfd, &e);
        signals_reset();
        setsid();
        umask(0);
        if (ctr_root_setup(&root, &e) < 0 ||
            workdir_enter(x->working_dir, &e) < 0 ||
            stdio_setup(l, &e) < 0 ||
            caps_apply(x, &e) < 0)
                child_fail(errfd, &e);
        umask(022);
        /* Nothing of the sandbox leaks into the container. */
        close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
        exec_command(x, &e);
        child_fail(errfd, &e);
}

/* ---- the parent ---- */

static int image_settings(struct ctr_exec *x, const struct ctr_launch *l, const struct image_config *img,
                          struct pfs_error *err)
{
        x->working_dir = l->ctr->working_dir && *l->ctr->working_dir ? l->ctr->working_dir
                : img && img->working_dir ? own(x, xstrdup(img->working_dir)) : "/";
        if (!img || !img->user)
                return 0;
        x->set_user = true;
        return image_user_resolve(l->rootfs, img->user, &x->uid, &x->gid, err);
}

static int ctr_exec_build(struct ctr_exec *x, const struct ctr_launch *l, struct pfs_error *err)
{
        struct image_config *img = NULL;
        int r;

        r = image_config_load(l->rootfs, &img, err);
        if (r < 0)
                return r;
        r = image_settings(x, l, img, err);
        if (r < 0) {
                image_config_free(img);
                return r;
        }
        env_build(x, l->ctr, img);
        r = argv_build(x, l->ctr, img, err);
        image_config_free(img);
        if (r >= 0)
                r = caps_build(x, err);
        if (r >= 0)
                r = mounts_build(x, l, err);
        if (r >= 0)
                r = overlay_build(x, l, err);
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

int ctr_spawn(const struct ctr_launch *l, pid_t *ret_pid, int *ret_pidfd, struct pfs_error *err)
{
        _cleanup_(ctr_exec_free) struct ctr_exec x = { 0 };
        _cleanup_close_ int self = -1, rd = -1, wr = -1, pidfd = -1;
        int pipefd[2];
        struct clone_args args = {
                .flags = CLONE_PIDFD | CLONE_NEWNS,
                .exit_signal = SIGCHLD,
        };
        pid_t pid;
        int r;

        r = ctr_exec_build(&x, l, err);
        if (r < 0)
                return r;
        self = pfs_pidfd_open(getpid(), 0);
        if (self < 0)
                return pfs_error_set(err, errno, "pidfd_open of the sandbox");
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe");
        rd = pipefd[0];
        wr = pipefd[1];
        args.pidfd = (uint64_t)(uintptr_t)&pidfd;
        if (!l->ns || !l->ns->share_pid)
                args.flags |= CLONE_NEWPID;
        if (l->cgroup_fd >= 0 && fd_is_cgroup2(l->cgroup_fd)) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t)l->cgroup_fd;
        }
        pid = pfs_clone3(&args);
        if (pid < 0)
                return pfs_error_set(err, errno, "clone3");
        if (pid == 0)
                ctr_child(l, &x, wr, self);
        close(steal_fd(&wr));
        r = child_wait_exec(rd, pidfd, err);
        if (r < 0)
                return r;
        *ret_pid = pid;
        *ret_pidfd = steal_fd(&pidfd);
        return 0;
}
