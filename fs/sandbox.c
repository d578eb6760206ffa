/* Sandbox supervision from the daemon's side: spawn `podfs-sandbox` per pod,
 * watch it by pidfd, adopt running ones on start, clean up and restart dead
 * ones, remove deleted pods once nothing of them is left. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "pfs/spawn.h"
#include "fs.h"
#include "pfs/backoff.h"
#include "pfs/generation.h"
#include "pfs/render.h"
#include "pfs/store.h"
#include "pfs/trace.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* fds kept free for requests, writes and the state dir: a sandbox starts
 * only while its pidfd leaves that many below RLIMIT_NOFILE */
#define FD_RESERVE 64

#define RESTART_BACKOFF_MIN_NS (1000000000LL)
#define RESTART_BACKOFF_MAX_NS (60LL * 1000000000LL)

extern char **environ;

static int pidfd_open_(pid_t pid)
{
        return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Tell a running sandbox that its meta changed (a deletion request): SIGHUP
 * through the pidfd, which names the sandbox that held the pod's lock when
 * it was opened, never a reused pid (without one, the pid of the lock's
 * holder). The sandbox blocks SIGHUP from its first instruction on and reads
 * meta after that, so a request is never missed. */
static void sandbox_wake(struct podfs *fs, struct pod_rt *p)
{
        _cleanup_close_ int dfd = -1;
        struct pod_sandbox_file *f = NULL;
        pid_t holder = 0;
        bool sighup;
        int r;

        if (p->state != RT_RUNNING) {
                /* a sandbox starting now may have read the objects before the
                 * change: it is woken once it is watched */
                p->wake_pending = true;
                return;
        }
        p->wake_pending = false;
        dfd = pod_dir_open_at(fs->dirs.pods_fd, p->uid);
        if (dfd < 0 || pod_sandbox_file_read_at(dfd, &f, NULL) < 0) {
                pfs_log(LOG_WARNING, "pod %s/%s: cannot wake its sandbox now: %m",
                        p->ns, p->name);
                return;
        }
        /* a sandbox of an older podfs watches meta itself and dies of SIGHUP */
        sighup = f->wake_sighup;
        pod_sandbox_file_free(f);
        if (!sighup)
                return;
        if (p->pidfd >= 0) {
                r = (int)syscall(SYS_pidfd_send_signal, p->pidfd, SIGHUP, NULL, 0);
        } else {
                if (pod_sandbox_alive_at(dfd, &holder) != 1 || holder != p->pid)
                        return;
                r = kill(holder, SIGHUP);
        }
        if (r < 0 && errno != ESRCH)
                pfs_log(LOG_WARNING, "pod %s/%s: cannot signal its sandbox: %m", p->ns, p->name);
}

void sandbox_wake_namespace(struct podfs *fs, const char *ns)
{
        for (struct pod_rt *p = fs->model.pods; p; p = p->next)
                if (!p->removed && !strcmp(p->ns, ns))
                        sandbox_wake(fs, p);
}

/* ---- file descriptors: one pidfd per running sandbox ---- */

static void fd_starve(struct podfs *fs, struct pod_rt *p, bool starved)
{
        if (p->fd_starved == starved)
                return;
        p->fd_starved = starved;
        if (starved)
                fs->fds.starved++;
        else
                fs->fds.starved--;
}

/* Room for one more pidfd with FD_RESERVE left over (the limit is read
 * each time: an administrator may change it while the daemon runs). */
static bool fd_room(struct podfs *fs, rlim_t *ret_limit)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return true;
        *ret_limit = rl.rlim_cur;
        return (rlim_t)fs->fds.base + fs->fds.pidfds + 1 + FD_RESERVE <= rl.rlim_cur;
}

static void fd_count_base(struct podfs *fs)
{
        DIR *d = opendir("/proc/self/fd");
        unsigned n = 0;

        if (!d)
                return;
        while (readdir(d))
                n++;
        closedir(d);
        fs->fds.base = n > 3 ? n - 3 : 0; /* ".", ".." and the DIR's own fd */
}

static bool pod_file_exists(struct podfs *fs, const char *uid, const char *name)
{
        return pod_file_exists_at(fs->dirs.pods_fd, uid, name);
}

static bool pod_dir_exists(struct podfs *fs, const char *uid)
{
        return pod_dir_exists_at(fs->dirs.pods_fd, uid);
}

static void pod_unwatch_pid(struct pod_rt *p)
{
        if (p->pidfd >= 0) {
                podfs_epoll_del(p->fs, p->pidfd);
                close(p->pidfd);
                p->pidfd = -1;
                p->fs->fds.pidfds--;
                p->fs->fds.freed = true;
        }
}

static void pod_hold_pidfd(struct pod_rt *p, int fd)
{
        p->pidfd = fd;
        p->fs->fds.pidfds++;
        fd_starve(p->fs, p, false);
}

void pod_rt_free(struct pod_rt *p)
{
        if (!p)
                return;
        pod_unwatch_pid(p);
        fd_starve(p->fs, p, false);
        podfs_timer_cancel(p->fs, p);
        podfs_inotify_rm(p->fs, p->wd);
        model_pod_free(p);
}

/* Events of this epoll batch may still name p: free it after the batch. */
static void pod_rt_unlink_free(struct podfs *fs, struct pod_rt *p)
{
        pod_unwatch_pid(p);
        fd_starve(fs, p, false);
        podfs_timer_cancel(fs, p);
        podfs_inotify_rm(fs, p->wd);
        p->wd = -1;
        model_pod_retire(&fs->model, p);
}

void sandbox_free_all(struct podfs *fs)
{
        while (fs->model.pods) {
                struct pod_rt *p = fs->model.pods;

                model_pod_retire(&fs->model, p);
        }
        sandbox_reap_dead(fs);
}


/* Remove a finished, deleted pod from the state dir: index, state, logs;
 * tell watchers and waiters; start a successor that waited for it. */
static void pod_remove_state(struct podfs *fs, struct pod_rt *p)
{
        struct pfs_error err = {0};
        struct pod_ref ref;
        _cleanup_free_ char *logdir = pod_log_dir_name(p->ns, p->name, p->uid);
        bool indexed = model_pod_ref(&fs->model, p->ns, p->name, &ref) == 0 && !ref.placeholder &&
                       !strcmp(ref.uid, p->uid);
        bool left = false;

        if (indexed)
                pod_index_unlink_at(fs->dirs.ns_fd, p->ns, p->name);
        /* what stays on disk is removed again on the next start (a finished pod with a deletion request) */
        if (pod_dir_remove_at(fs->dirs.pods_fd, p->uid, &err) < 0) {
                pfs_log(LOG_ERR, "pod %s/%s (%s): its state dir stays on disk: %s", p->ns, p->name, p->uid, err.msg);
                left = true;
        }
        if (pfs_rm_rf_at(fs->dirs.logs_fd, logdir, &err) < 0) {
                pfs_log(LOG_ERR, "pod %s/%s (%s): its logs stay on disk: %s", p->ns, p->name, p->uid, err.msg);
                left = true;
        }
        if (!left)
                pfs_log(LOG_INFO, "pod %s/%s (%s) removed", p->ns, p->name, p->uid);
        pfs_trace(p->uid, "daemon:state-removed");
        p->removed = true;
        if (indexed) {
                struct name_ent *e = model_name_get(&fs->model, p->ns, p->name, true);

                e->tomb = true;
                e->announce_until = 0;
                e->spec_hidden = false;
                model_announce(&fs->model, MODEL_POD_GONE, p->ns, p->name);
        }
        model_announce_removed(&fs->model, p);
        /* a successor waiting for this pod starts now */
        for (struct pod_rt *s = fs->model.pods, *next; s; s = next) {
                next = s->next;
                if (s == p || s->state != RT_WAIT_PRED || !s->predecessor || strcmp(s->predecessor, p->uid))
                        continue;
                /* p never ran (it waited itself): its successor waits for
                 * what p was waiting for */
                if (p->predecessor && strcmp(p->predecessor, s->uid)) {
                        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, s->uid);
                        struct pod_meta *m = NULL;

                        if (dfd >= 0 && pod_meta_read_at(dfd, &m, NULL) == 0) {
                                free(m->predecessor);
                                m->predecessor = xstrdup(p->predecessor);
                                pod_meta_write_at(dfd, m, NULL);
                                pod_meta_free(m);
                        }
                        free(s->predecessor);
                        s->predecessor = xstrdup(p->predecessor);
                }
                sandbox_start(fs, s);
        }
}

static void start_now(struct podfs *fs, struct pod_rt *p, bool cleanup);

/* Nothing of the pod runs any more and it was deleted: remove it, once its
 * network is released. A DEL that failed left its record: the cleanup
 * tries again first (and again, with back-off, while it fails), and the
 * pod stays, terminating, as the kubelet keeps a pod whose sandbox it
 * could not stop; its address is never lost with its record. */
static void pod_remove(struct podfs *fs, struct pod_rt *p)
{
        if (p->state != RT_CLEANUP && pod_file_exists(fs, p->uid, PFS_NETWORK_FILE)) {
                pod_unwatch_pid(p);
                podfs_timer_cancel(fs, p);
                fd_starve(fs, p, false);
                start_now(fs, p, true);
                return;
        }
        pod_remove_state(fs, p);
        pod_rt_unlink_free(fs, p);
}

static void pod_event(struct podfs *fs, struct pod_rt *p, const char *type, const char *reason, const char *msg)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, p->uid);
        _cleanup_free_ char *obj = xasprintf("pod/%s", p->name);

        if (dfd >= 0)
                pod_event_append_at(dfd, type, reason, obj, "podfs", msg, NULL);
}

static bool meta_deleted(struct podfs *fs, struct pod_rt *p)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, p->uid);
        struct pod_meta *m = NULL;
        bool d;

        if (dfd < 0 || pod_meta_read_at(dfd, &m, NULL) < 0)
                return p->deleted;
        d = m->deletion_ns != 0;
        pod_meta_free(m);
        if (d)
                p->deleted = true;
        return d;
}

static void pod_changed(struct podfs *fs, struct pod_rt *p)
{
        p->version++;
        p->changed_ns = pfs_now_realtime_ns();
        model_announce(&fs->model, MODEL_POD_CHANGED, p->ns, p->name);
}

static void pod_dir_event(struct podfs *fs, void *data, uint32_t mask, const char *name)
{
        struct pod_rt *p = data;
        size_t l = strlen(name);

        if (mask & IN_IGNORED) {
                p->wd = -1;
                return;
        }
        if (p->removed)
                return;
        if (!*name || (l > 4 && !strcmp(name + l - 4, ".tmp")) || !strcmp(name, PFS_LOCK_FILE) ||
            !strcmp(name, PFS_SANDBOX_LOG_FILE) || !strcmp(name, PFS_ADMITTED_FILE))
                return;
        if (!strcmp(name, PFS_STATUS_FILE))
                pfs_trace(p->uid, "daemon:status-seen");
        pod_changed(fs, p);
        /* spawning or cleaning up: child_ready removes it once its own child is reaped */
        if (!strcmp(name, PFS_FINISHED_FILE) && p->state != RT_SPAWNING && p->state != RT_CLEANUP &&
            pod_file_exists(fs, p->uid, PFS_FINISHED_FILE) && !p->removed && meta_deleted(fs, p)) {
                pod_unwatch_pid(p);
                pod_remove(fs, p);
        }
}

struct pod_rt *pod_rt_add(struct podfs *fs, const char *uid, const char *ns, const char *name,
                          const char *predecessor)
{
        struct pod_rt *p = model_pod_new(uid, ns, name, predecessor);
        _cleanup_free_ char *path = pod_path(fs->state_dir, uid, NULL);

        p->fs = fs;
        p->wd = podfs_inotify_add(fs, path,
                                  IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_ONLYDIR,
                                  pod_dir_event, p);
        if (p->wd < 0)
                pfs_log(LOG_WARNING, "inotify on %s: %s", path, strerror(-p->wd));
        model_pod_insert(&fs->model, p);
        return p;
}

void sandbox_all_changed(struct podfs *fs)
{
        for (struct pod_rt *p = fs->model.pods, *next; p; p = next) {
                next = p->next;
                pod_changed(fs, p);
                if (pod_file_exists(fs, p->uid, PFS_FINISHED_FILE) && meta_deleted(fs, p) &&
                    p->state != RT_CLEANUP && p->state != RT_SPAWNING) {
                        pod_unwatch_pid(p);
                        pod_remove(fs, p);
                }
        }
}

/* ---- processes ---- */

static int spawn(struct podfs *fs, struct pod_rt *p, bool cleanup, pid_t *ret_pid)
{
        _cleanup_free_ char *log = pod_path(fs->state_dir, p->uid, PFS_SANDBOX_LOG_FILE);
        char *argv[7 + PFS_SANDBOX_CONFIG_ARGC] = { "podfs-sandbox", "--state-dir", fs->state_dir, "--uid", p->uid };
        char cfg_buf[7][24];
        size_t argc = 5;
        _cleanup_close_ int out = -1;

        if (!fs->sandbox_path)
                return -ENOENT;
        if (cleanup)
                argv[argc++] = "--cleanup";
        argc += pfs_sandbox_config_argv(&fs->sandbox, argv + argc, cfg_buf);
        out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (out < 0)
                return -errno;
        /* what this run logs starts here (sandbox_log_why) */
        p->log_off = lseek(out, 0, SEEK_END);
        if (p->log_off < 0)
                p->log_off = 0;
        /* nothing of the daemon but stdio */
        return pfs_spawn(fs->sandbox_path, argv, environ,
                         &(struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, out, out }, .setsid = true }, ret_pid);
}

static void sandbox_died(struct podfs *fs, struct pod_rt *p);
static void restart_later(struct podfs *fs, struct pod_rt *p);

/* A sandbox that could not start: a deleted pod is removed, a live one retried. */
static void start_failed(struct podfs *fs, struct pod_rt *p)
{
        p->state = RT_IDLE;
        if (meta_deleted(fs, p))
                pod_remove(fs, p);
        else
                restart_later(fs, p);
}

static void sandbox_pid_ready(struct pfs_watch *w, uint32_t events)
{
        struct pod_rt *p = (struct pod_rt *)((char *)w - offsetof(struct pod_rt, watch));

        if (p->removed || p->pidfd < 0)
                return;
        pod_unwatch_pid(p);
        sandbox_died(p->fs, p);
}

/* Watch the sandbox that holds the pod's lock. Returns false when none
 * does. One that runs while the daemon has no fd left for its pidfd is
 * running all the same (never taken for dead and cleaned up): it is watched
 * once an fd is free. */
static bool fd_short(int e)
{
        return e == EMFILE || e == ENFILE;
}

static void rewatch_timer(struct podfs *fs, void *data);

/* Alive, or not known to be dead, but not watchable for want of an fd: keep
 * it running, tell it of a deletion by its pid, look again in 5 s (or when
 * a pidfd is closed). */
static bool watch_later(struct podfs *fs, struct pod_rt *p, pid_t pid)
{
        pfs_log(LOG_WARNING, "pod %s/%s: no file descriptor left to watch its sandbox; looking again later",
                p->ns, p->name);
        p->pid = pid;
        p->state = RT_RUNNING;
        fd_starve(fs, p, true);
        podfs_timer_cancel(fs, p);
        podfs_timer_add(fs, pfs_now_monotonic_ns() + 5000000000LL, rewatch_timer, p);
        if ((p->deleted || p->wake_pending) && pid > 0)
                sandbox_wake(fs, p);
        return true;
}

static bool watch_sandbox(struct podfs *fs, struct pod_rt *p)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, p->uid);
        rlim_t limit;
        pid_t pid = 0;
        int alive, fd;

        if (dfd < 0)
                return fd_short(errno) ? watch_later(fs, p, 0) : false;
        alive = pod_sandbox_alive_at(dfd, &pid);
        if (alive < 0 && fd_short(-alive))
                return watch_later(fs, p, 0);
        if (alive != 1 || pid <= 0)
                return false;
        if (!fd_room(fs, &limit))
                return watch_later(fs, p, pid);
        fd = pidfd_open_(pid);
        if (fd < 0 && fd_short(errno))
                return watch_later(fs, p, pid);
        if (fd < 0)
                return false;
        /* the lock is still held: the pid is the sandbox, not a reused one */
        if (pod_sandbox_alive_at(dfd, NULL) != 1) {
                close(fd);
                return false;
        }
        p->pid = pid;
        pod_hold_pidfd(p, fd);
        p->watch.fn = sandbox_pid_ready;
        p->state = RT_RUNNING;
        podfs_epoll_add(fs, fd, &p->watch);
        /* a request (or an object's change) made while it started (or while no daemon ran) */
        if (p->deleted || p->wake_pending)
                sandbox_wake(fs, p);
        return true;
}

static void child_ready(struct pfs_watch *w, uint32_t events);

static int watch_child(struct podfs *fs, struct pod_rt *p, pid_t pid)
{
        int fd = pidfd_open_(pid);

        if (fd < 0) {
                /* cannot happen for our own unreaped child; reap blocking */
                int st;

                waitpid(pid, &st, 0);
                return -errno;
        }
        p->pid = pid;
        pod_hold_pidfd(p, fd);
        p->watch.fn = child_ready;
        podfs_epoll_add(fs, fd, &p->watch);
        return 0;
}

/* "TIME podfs-sandbox[PID]: error: pod UID: cannot start: WHY" -> "WHY"
 * (also after "cleanup: "): an event says what went wrong, not how the log
 * line looked. */
static char *log_line_message(const char *line)
{
        static const char *const levels[] = { "error: ", "warning: ", "notice: ", "info: " };
        const char *p = strstr(line, "]: "), *why;

        if (!p)
                return xstrdup(line);
        p += 3;
        for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
                if (!strncmp(p, levels[i], strlen(levels[i]))) {
                        p += strlen(levels[i]);
                        break;
                }
        why = strstr(p, ": cannot start: ");
        if (why && !strncmp(p, "pod ", 4))
                return xstrdup(why + 16);
        why = strstr(p, ": cleanup: ");
        return xstrdup(why && !strncmp(p, "pod ", 4) ? why + 11 : p);
}

/* The last line of TEXT that has MARKER, else its last line (NUL-ended in place). */
static const char *log_line_find(char *text, const char *marker)
{
        char *found = NULL, *last = text, *nl;

        for (char *line = text; *line; line = nl + 1) {
                nl = strchrnul(line, '\n');
                if (nl > line) {
                        last = line;
                        if (memmem(line, (size_t)(nl - line), marker, strlen(marker)))
                                found = line;
                }
                if (!*nl)
                        break;
        }
        if (!found)
                found = last;
        *strchrnul(found, '\n') = '\0';
        return found;
}

/* Why the last sandbox failed: the last line with MARKER of what it logged
 * (a start's failure is followed by the undoing of what it set up, which
 * may log too), else its last line. */
static char *sandbox_log_why(struct podfs *fs, struct pod_rt *p, const char *marker)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, p->uid);
        _cleanup_free_ char *data = NULL;
        size_t len = 0, off = (size_t)p->log_off;

        if (dfd < 0 || pfs_read_file_at(dfd, PFS_SANDBOX_LOG_FILE, &data, &len, NULL) < 0)
                len = 0;
        if (off > len)
                off = 0;        /* the log was replaced meanwhile */
        if (len == off)
                return xstrdup("the sandbox exited without a message");
        return log_line_message(log_line_find(data + off, marker));
}

/* A cleanup left the pod's network record: its DEL failed. The kubelet's
 * event, and the next try with back-off (pod_remove or the next sandbox). */
static void cleanup_failed(struct podfs *fs, struct pod_rt *p)
{
        _cleanup_free_ char *why = sandbox_log_why(fs, p, ": cleanup: ");
        _cleanup_free_ char *msg = pod_event_kill_sandbox_failed(p->uid, why);

        pfs_log(LOG_WARNING, "pod %s/%s: %s", p->ns, p->name, msg);
        pod_event(fs, p, "Warning", "FailedKillPod", msg);
        restart_later(fs, p);
}

static void child_ready(struct pfs_watch *w, uint32_t events)
{
        struct pod_rt *p = (struct pod_rt *)((char *)w - offsetof(struct pod_rt, watch));
        struct podfs *fs = p->fs;
        siginfo_t si = {0};
        int code, r;

        if (p->removed || p->pidfd < 0)
                return;
        /* not exited yet (an event of an earlier child of the same watch,
         * still queued): nothing; already reaped (ECHILD): as exited */
        r = waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG);
        if (r < 0 ? errno != ECHILD : si.si_pid == 0)
                return;
        pod_unwatch_pid(p);
        pfs_trace(p->uid, "daemon:sandbox-detached");
        code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        if (p->state == RT_CLEANUP) {
                if (code != 0)
                        pfs_log(LOG_WARNING, "pod %s/%s: cleanup exited with %d", p->ns, p->name, code);
                p->state = RT_IDLE;
                if (pod_file_exists(fs, p->uid, PFS_NETWORK_FILE))
                        cleanup_failed(fs, p);
                else if (meta_deleted(fs, p))
                        pod_remove(fs, p);
                else
                        restart_later(fs, p);
                return;
        }
        /* the intermediate process of a start */
        if (code != 0) {
                _cleanup_free_ char *msg = sandbox_log_why(fs, p, ": cannot start: ");
                _cleanup_free_ char *ev = xasprintf("Failed to create pod sandbox: %s", msg);

                pfs_log(LOG_WARNING, "pod %s/%s: sandbox failed to start (exit %d): %s", p->ns, p->name, code,
                        msg);
                pod_event(fs, p, "Warning", "FailedCreatePodSandBox", ev);
                if (code == PFS_SANDBOX_EXIT_DIED)
                        start_now(fs, p, true); /* undo what it set up (network, cgroups), then as below */
                else
                        start_failed(fs, p);
                return;
        }
        if (!watch_sandbox(fs, p))
                sandbox_died(fs, p);
}

/* No fd left for another sandbox's pidfd: the pod waits (Pending, an
 * event saying why) and starts as soon as a pod ends, or at its back-off. */
static bool start_starved(struct podfs *fs, struct pod_rt *p)
{
        rlim_t limit = 0;
        char msg[512];

        if (fd_room(fs, &limit))
                return false;
        snprintf(msg, sizeof(msg),
                 "Failed to create pod sandbox: no file descriptor left for another pod: %u pods hold one "
                 "each and the open files limit of podfs is %llu (%d kept for requests); delete pods or "
                 "raise the limit (LimitNOFILE)",
                 fs->fds.pidfds, (unsigned long long)limit, FD_RESERVE);
        pfs_log(LOG_WARNING, "pod %s/%s: %s", p->ns, p->name, msg);
        pod_event(fs, p, "Warning", "FailedCreatePodSandBox", msg);
        fd_starve(fs, p, true);
        p->state = RT_IDLE;
        restart_later(fs, p);
        return true;
}

static void start_now(struct podfs *fs, struct pod_rt *p, bool cleanup)
{
        pid_t pid;
        int r;

        if (!cleanup && start_starved(fs, p))
                return;
        if (!cleanup)
                fd_starve(fs, p, false);
        r = spawn(fs, p, cleanup, &pid);

        if (r < 0) {
                _cleanup_free_ char *msg = xasprintf("Failed to create pod sandbox: cannot run %s: %s",
                                                     fs->sandbox_path ? fs->sandbox_path : "podfs-sandbox",
                                                     strerror(-r));

                pfs_log(LOG_ERR, "pod %s/%s: %s", p->ns, p->name, msg);
                if (!cleanup)
                        pod_event(fs, p, "Warning", "FailedCreatePodSandBox", msg);
                if (cleanup && pod_file_exists(fs, p->uid, PFS_NETWORK_FILE)) {
                        /* its network's DEL is never skipped (nor tried again
                         * at once by pod_remove): later, with back-off */
                        p->state = RT_IDLE;
                        restart_later(fs, p);
                        return;
                }
                start_failed(fs, p);
                return;
        }
        p->state = cleanup ? RT_CLEANUP : RT_SPAWNING;
        if (watch_child(fs, p, pid) < 0) {
                p->state = RT_IDLE;
                restart_later(fs, p);
        }
}

static void restart_timer(struct podfs *fs, void *data)
{
        struct pod_rt *p = data;

        if (p->state == RT_BACKOFF) {
                p->state = RT_IDLE;
                sandbox_start(fs, p);
        }
}

static void restart_later(struct podfs *fs, struct pod_rt *p)
{
        int64_t delay = p->backoff_ns;

        /* the first restart at once, then 1 s doubling up to 60 s */
        pfs_backoff_step(&p->backoff_ns, RESTART_BACKOFF_MIN_NS, RESTART_BACKOFF_MAX_NS);
        p->state = RT_BACKOFF;
        podfs_timer_add(fs, pfs_now_monotonic_ns() + delay, restart_timer, p);
}

void sandbox_start(struct podfs *fs, struct pod_rt *p)
{
        if (p->state == RT_RUNNING || p->state == RT_SPAWNING || p->state == RT_CLEANUP)
                return;
        if (p->predecessor && pod_dir_exists(fs, p->predecessor)) {
                p->state = RT_WAIT_PRED;
                return;
        }
        if (p->predecessor) {
                /* the predecessor is gone: drop the reference from meta */
                _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, p->uid);
                struct pod_meta *m = NULL;

                if (dfd >= 0 && pod_meta_read_at(dfd, &m, NULL) == 0) {
                        free(m->predecessor);
                        m->predecessor = NULL;
                        pod_meta_write_at(dfd, m, NULL);
                        pod_meta_free(m);
                }
                free(p->predecessor);
                p->predecessor = NULL;
        }
        if (meta_deleted(fs, p)) {
                pod_remove(fs, p);
                return;
        }
        p->restarts++;
        start_now(fs, p, false);
}

/* The sandbox process is gone (or never came up). */
static void sandbox_died(struct podfs *fs, struct pod_rt *p)
{
        p->state = RT_IDLE;
        fd_starve(fs, p, false);
        podfs_timer_cancel(fs, p);
        pod_changed(fs, p);
        if (pod_file_exists(fs, p->uid, PFS_FINISHED_FILE)) {
                if (meta_deleted(fs, p))
                        pod_remove(fs, p);
                return;
        }
        pfs_log(LOG_WARNING, "pod %s/%s: sandbox died; cleaning up", p->ns, p->name);
        if (!meta_deleted(fs, p))
                pod_event(fs, p, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
        start_now(fs, p, true);
}

void sandbox_spec_changed(struct podfs *fs, struct pod_rt *p)
{
        sandbox_wake(fs, p);
}

void sandbox_deletion_requested(struct podfs *fs, struct pod_rt *p)
{
        switch (p->state) {
        case RT_WAIT_PRED:
                pod_remove(fs, p);
                return;
        case RT_BACKOFF:
                podfs_timer_cancel(fs, p);
                p->state = RT_IDLE;
                start_now(fs, p, true);
                return;
        case RT_IDLE:
                if (pod_file_exists(fs, p->uid, PFS_FINISHED_FILE)) {
                        pod_remove(fs, p);
                        return;
                }
                start_now(fs, p, true);
                return;
        case RT_RUNNING:
                /* the sandbox reads the new meta and terminates the pod */
                sandbox_wake(fs, p);
                return;
        default:
                /* spawning: the sandbox reads meta after it took the lock,
                 * and watch_sandbox wakes it once it holds it */
                return;
        }
}

/* A pidfd was closed: pods waiting for one start (or are watched) now,
 * oldest first, while there is room. */
static void fd_starved_retry(struct podfs *fs)
{
        rlim_t limit;

        fs->fds.freed = false;
        for (struct pod_rt *p = fs->model.pods, *next; p && fs->fds.starved && fd_room(fs, &limit); p = next) {
                next = p->next;
                if (!p->fd_starved || p->removed)
                        continue;
                if (p->state == RT_RUNNING && p->pidfd < 0) {
                        if (!watch_sandbox(fs, p))
                                sandbox_died(fs, p);
                } else if (p->state == RT_BACKOFF) {
                        podfs_timer_cancel(fs, p);
                        p->state = RT_IDLE;
                        fd_starve(fs, p, false);
                        sandbox_start(fs, p);
                }
                if (next && next->removed) {
                        /* p's end took the next one with it: the rest next batch */
                        fs->fds.freed = true;
                        break;
                }
        }
}

static void rewatch_timer(struct podfs *fs, void *data)
{
        struct pod_rt *p = data;

        if (p->removed || !p->fd_starved || p->state != RT_RUNNING || p->pidfd >= 0)
                return;
        if (!watch_sandbox(fs, p))
                sandbox_died(fs, p);
}

void sandbox_reap_dead(struct podfs *fs)
{
        if (fs->fds.freed && fs->fds.starved)
                fd_starved_retry(fs);
        model_pod_reap(&fs->model, pod_rt_free);
}

/* ---- startup ---- */

/* An update in place the daemon died in the middle of (spec.yaml written,
 * meta not): counted now, once. */
static void generation_recover(int dfd, struct pod_meta *m)
{
        struct pfs_error err = {0};
        int r = pod_generation_recover(dfd, m, &err);

        if (r < 0)
                pfs_log(LOG_WARNING, "pods/%s: generation: %s", m->uid, err.msg);
        else if (r > 0)
                pfs_log(LOG_INFO, "pods/%s: spec.yaml newer than meta: generation %lld", m->uid,
                        (long long)m->generation);
}

static void adopt_one(struct podfs *fs, const char *uid)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, uid);
        struct pod_meta *m = NULL;
        struct pfs_error err = {0};
        struct pod_rt *p;

        if (dfd < 0) {
                pfs_log(LOG_ERR, "pods/%s: %m; not adopted (left as it is until the next start)", uid);
                return;
        }
        if (pod_meta_read_at(dfd, &m, &err) < 0) {
                /* a failure to read (no fd, I/O) is no proof of anything: keep it */
                if (err.code != ENOENT && err.code != EINVAL) {
                        pfs_error_add_reason(&err);
                        pfs_log(LOG_ERR, "pods/%s: %s; not adopted (left as it is until the next start)", uid,
                                err.msg);
                        return;
                }
                /* a create that never became durable (no or a torn meta): nothing refers to it */
                pfs_log(LOG_WARNING, "pods/%s: %s; removing the incomplete pod", uid, err.msg);
                pod_dir_remove_at(fs->dirs.pods_fd, uid, NULL);
                return;
        }
        generation_recover(dfd, m);
        p = pod_rt_add(fs, uid, m->namespace, m->name, m->predecessor);
        p->deleted = m->deletion_ns != 0;
        p->owner = m->owner;
        p->group = m->group;
        pod_meta_free(m);
        /* a spec.yaml updated in place just before a daemon died may not
         * have been signalled: every adopted sandbox reads it again (a wake
         * that finds nothing new changes nothing) */
        p->wake_pending = true;
        if (watch_sandbox(fs, p)) {
                pfs_log(LOG_INFO, "pod %s/%s: adopted sandbox %d", p->ns, p->name, (int)p->pid);
                return;
        }
        if (pod_file_exists(fs, uid, PFS_FINISHED_FILE)) {
                if (p->deleted)
                        pod_remove(fs, p);
                return;
        }
        if (p->predecessor && pod_dir_exists(fs, p->predecessor)) {
                p->state = RT_WAIT_PRED;
                return;
        }
        if (!pod_file_exists(fs, uid, PFS_SANDBOX_FILE) && !pod_file_exists(fs, uid, PFS_STATUS_FILE)) {
                /* never started */
                sandbox_start(fs, p);
                return;
        }
        pfs_log(LOG_INFO, "pod %s/%s: sandbox gone; cleaning up", p->ns, p->name);
        start_now(fs, p, true);
}

static void drop_stale_link(void *data, const char *ns, const char *name, const char *uid)
{
        struct podfs *fs = data;

        if (!pod_dir_exists(fs, uid)) {
                pfs_log(LOG_WARNING, "namespaces/%s/%s points to a missing pod; removing it", ns, name);
                pod_index_unlink_at(fs->dirs.ns_fd, ns, name);
        }
}

static void drop_stale_index(struct podfs *fs)
{
        pod_index_scan_at(fs->dirs.ns_fd, drop_stale_link, fs);
}

void sandbox_adopt_all(struct podfs *fs)
{
        fd_count_base(fs);
        DIR *d = fdopendir(openat(fs->dirs.pods_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct dirent *de;
        char **uids = NULL;
        size_t n = 0;

        if (d) {
                while ((de = readdir(d))) {
                        if (strlen(de->d_name) != 36 || de->d_type != DT_DIR)
                                continue;
                        uids = xrealloc(uids, (n + 1) * sizeof(char *));
                        uids[n++] = xstrdup(de->d_name);
                }
                closedir(d);
        }
        for (size_t i = 0; i < n; i++) {
                adopt_one(fs, uids[i]);
                free(uids[i]);
        }
        free(uids);
        drop_stale_index(fs);
        /* successors whose predecessor vanished while we were away */
        for (struct pod_rt *p = fs->model.pods, *next; p; p = next) {
                next = p->next;
                if (p->state == RT_WAIT_PRED && !pod_dir_exists(fs, p->predecessor))
                        sandbox_start(fs, p);
        }
}

char *sandbox_find_binary(void)
{
#ifdef PODFS_LIBEXECDIR
        return pfs_helper_find("PODFS_SANDBOX", "podfs-sandbox", PODFS_LIBEXECDIR);
#else
        return pfs_helper_find("PODFS_SANDBOX", "podfs-sandbox", NULL);
#endif
}
