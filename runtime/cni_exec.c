/* One CNI plugin call as the spec says: exec BIN_DIR/TYPE with the CNI_*
 * environment and the network config on stdin, the result (or an error
 * object) on stdout. The plugin runs in the host's mount and network
 * namespaces (joined by the child before exec), bounded by CNI_TIMEOUT_MS. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pfs/spawn.h"
#include "cni.h"
#include "pfs/yval.h"
#include "syscalls.h"

/* libcni's FindInPath: the first BIN_DIR entry holding an executable TYPE. */
static char *plugin_find(const char *bin_dir, const char *type, struct pfs_error *err)
{
        const char *p = bin_dir;

        if (*type && !strchr(type, '/'))
                while (*p) {
                        size_t n = strcspn(p, ":");
                        char *path = xasprintf("%.*s/%s", (int)n, p, type);

                        if (n && access(path, X_OK) == 0)
                                return cni_path_trusted(path, "plugin", err) < 0 ? (free(path), NULL) : path;
                        free(path);
                        p += n + (p[n] == ':');
                }
        pfs_error_set(err, ENOENT, "failed to find plugin \"%s\" in path [%s]", type, bin_dir);
        return NULL;
}

#define PLUGIN_ENV_N 8

/* The CNI_* environment (and a PATH) of a call; free with env_free. */
static void env_build(const struct cni_call *c, char *env[PLUGIN_ENV_N])
{
        env[0] = xasprintf("CNI_COMMAND=%s", c->command);
        env[1] = xasprintf("CNI_CONTAINERID=%s", c->container_id);
        env[2] = xasprintf("CNI_NETNS=%s", c->netns);
        env[3] = xasprintf("CNI_IFNAME=%s", c->ifname);
        env[4] = xasprintf("CNI_PATH=%s", c->bin_dir);
        env[5] = xasprintf("CNI_ARGS=%s", c->args ? c->args : "");
        env[6] = xstrdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env[7] = NULL;
}

static void env_free(char *env[PLUGIN_ENV_N])
{
        for (int i = 0; env[i]; i++)
                free(env[i]);
}

static _Noreturn void plugin_child(const struct cni_call *c, const char *path, char **env, int in, int out)
{
        char *argv[] = { (char *)path, NULL };
        sigset_t none;

        if ((c->host_mnt_fd >= 0 && setns(c->host_mnt_fd, CLONE_NEWNS) < 0) ||
            (c->host_net_fd >= 0 && setns(c->host_net_fd, CLONE_NEWNET) < 0))
                _exit(126);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
                _exit(126);
        close_range(3, ~0U, 0);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (chdir("/") < 0)
                _exit(126);
        execve(path, argv, env);
        _exit(127);
}

/* Already in the host's namespaces: posix_spawn (vfork-like, no copy of our
 * page tables), stdin and stdout on the pipes, stderr ours, nothing else
 * open, signals default and unblocked, cwd /. */
static int plugin_spawn(const char *path, char **env, int in, int out, pid_t *ret_pid)
{
        char *argv[] = { (char *)path, NULL };

        return pfs_spawn(path, argv, env, &(struct pfs_spawn){ .fd = { in, out, PFS_SPAWN_KEEP }, .cwd = "/" },
                         ret_pid);
}

/* Feed conf, collect stdout until EOF and the exit, all before the deadline. */
static int plugin_talk(pid_t pid, int pidfd, int wr, int rd, const char *conf, size_t len, struct pfs_buf *out)
{
        int64_t deadline = pfs_now_monotonic_ns() + (int64_t)CNI_TIMEOUT_MS * 1000000;
        bool exited = false;
        size_t off = 0;

        fcntl(wr, F_SETFL, O_NONBLOCK);
        while (rd >= 0 || !exited) {
                struct pollfd p[3] = { { .fd = rd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN },
                                       { .fd = off < len ? wr : -1, .events = POLLOUT } };
                int64_t left = (deadline - pfs_now_monotonic_ns()) / 1000000;

                if (left <= 0 || poll(p, 3, (int)left) < 0) {
                        if (left > 0 && errno == EINTR)
                                continue;
                        kill(pid, SIGKILL);
                        return -ETIMEDOUT;
                }
                if (p[2].revents) {
                        ssize_t n = write(wr, conf + off, len - off);

                        off = n > 0 ? off + (size_t)n : len;
                        if (off >= len)
                                close(steal_fd(&wr));
                }
                if (p[0].revents) {
                        char buf[8192];
                        ssize_t n = read(rd, buf, sizeof(buf));

                        if (n > 0 && out->len < 1024 * 1024)
                                pfs_buf_append(out, buf, (size_t)n);
                        else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                                close(steal_fd(&rd));
                }
                if (p[1].revents)
                        exited = true;
                if (exited && off < len && wr >= 0)
                        close(steal_fd(&wr));
        }
        if (wr >= 0)
                close(wr);
        return 0;
}

/* libcni's pluginErr: the plugin's {code, msg, details}, else what is known. */
static int plugin_error(const struct pfs_buf *out, int status, struct pfs_error *err)
{
        struct ydoc *docs = NULL;
        size_t n = 0;
        int r;

        if (out->len && yval_parse_stream(out->data, out->len, &docs, &n, NULL) == 0 && n == 1 && docs[0].root &&
            yval_get_str(docs[0].root, "msg", NULL)) {
                const char *msg = yval_get_str(docs[0].root, "msg", "");
                const char *det = yval_get_str(docs[0].root, "details", "");

                r = pfs_error_set(err, EIO, "%s%s%s", msg, *det ? "; " : "", det);
        } else if (out->len) {
                r = pfs_error_set(err, EIO, "netplugin failed but error parsing its diagnostic message \"%.*s\"",
                                  (int)(out->len > 512 ? 512 : out->len), out->data);
        } else {
                r = pfs_error_set(err, EIO, "netplugin failed with no error message: exit status %d", status);
        }
        ydoc_free_array(docs, n);
        return r;
}

int cni_exec(const struct cni_call *c, const char *type, const char *conf, size_t len, struct pfs_buf *out,
             struct pfs_error *err)
{
        _cleanup_free_ char *path = plugin_find(c->bin_dir, type, err);
        _cleanup_close_ int pidfd = -1;
        char *env[PLUGIN_ENV_N];
        int in[2], outp[2], st = 0, r;
        pid_t pid = -1;

        if (!path)
                return -err->code;
        if (pipe2(in, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe");
        if (pipe2(outp, O_CLOEXEC) < 0) {
                close(in[0]);
                close(in[1]);
                return pfs_error_set(err, errno, "pipe");
        }
        env_build(c, env);
        if (c->host_mnt_fd < 0 && c->host_net_fd < 0) {
                r = plugin_spawn(path, env, in[0], outp[1], &pid);
                if (r < 0) {
                        errno = -r;
                        pid = -1;
                }
        } else {
                pid = fork();
                if (pid == 0)
                        plugin_child(c, path, env, in[0], outp[1]);
        }
        env_free(env);
        close(in[0]);
        close(outp[1]);
        pidfd = pid > 0 ? pfs_pidfd_open(pid, 0) : -1;
        if (pid < 0 || pidfd < 0) {
                int e = errno;

                close(in[1]);
                close(outp[0]);
                if (pid > 0) {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                }
                return pfs_error_set(err, e, "start plugin %s", type);
        }
        r = c->before_stdin ? c->before_stdin(c->before_stdin_arg, err) : 0;
        if (r < 0) {
                close(in[1]);
                close(outp[0]);
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return r;
        }
        r = plugin_talk(pid, pidfd, in[1], outp[0], conf, len, out);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (r == -ETIMEDOUT)
                return pfs_error_set(err, ETIMEDOUT, "netplugin timed out after %d s", CNI_TIMEOUT_MS / 1000);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        return plugin_error(out, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), err);
}

int cni_in_host_mnt(int mnt_fd, int (*fn)(void *arg), void *arg)
{
        int st = 0;
        pid_t pid;

        if (mnt_fd < 0)
                return fn(arg);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0)
                _exit(setns(mnt_fd, CLONE_NEWNS) < 0 ? errno : -fn(arg));
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(st) ? -WEXITSTATUS(st) : -EIO;
}
