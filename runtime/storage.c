/* Local ephemeral storage as kubelet's eviction manager polices it: a
 * container's writable layer (its overlay upper dir) and its logs count
 * against its resources.limits.ephemeral-storage; those plus the disk-backed
 * emptyDirs against the sum of the containers' limits; an emptyDir against its
 * sizeLimit. The filesystem under the state dir has no usable project quotas
 * in general, so usage is measured as du does (allocated blocks), every 10 s
 * (kubelet's housekeeping period), and only in a pod that sets a limit: other
 * pods cost nothing. The walk runs in a short-lived child (niced, bounded in
 * entries, deep trees followed with its own fd limit), so a hostile tree never
 * stalls the sandbox's loop; the child writes one number per measured tree
 * into a pipe. Over a limit the pod is evicted: phase Failed, reason Evicted,
 * kubelet's message and event. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "sandbox.h"

#define STORAGE_PERIOD_NS (10LL * 1000000000LL)
#define STORAGE_WALK_MAX_ENTRIES 1000000 /* per tree and check: bounded work for the child, and
                                           * one tree full of files cannot hide another */
#define STORAGE_WALK_NOFILE 131072       /* the child's fd limit: one open directory per level */

struct storage {
        struct sbx_watch timer_w;
        struct sbx_watch pipe_w;        /* the walker's report, -1 when none runs */
        struct pfs_buf report;
};

/* kubelet's eviction messages (pkg/kubelet/eviction/helpers.go) */
#define EMPTY_DIR_MSG "Usage of EmptyDir volume \"%s\" exceeds the limit \"%s\". "
#define POD_MSG "Pod ephemeral local storage usage exceeds the total limit of containers %s. "
#define CONTAINER_MSG "Container %s exceeded its local ephemeral storage limit \"%s\". "

/* Allocated bytes of the tree at atfd/path (0 when missing), on its
 * filesystem only, symlinks not followed; depth-first with one open directory
 * per level (no recursion: trees may be 60,000 levels deep). Past the entry
 * budget, or past the fd limit in depth, the rest is not counted (a directory
 * too big to read through still counts its own blocks). *ret_cut says so. */
static uint64_t du_at(int atfd, const char *path, size_t max_depth, bool *ret_cut)
{
        size_t left = STORAGE_WALK_MAX_ENTRIES;
        _cleanup_free_ DIR **stack = xcalloc(1, sizeof(*stack));
        size_t depth = 1, cap = 1;
        uint64_t bytes;
        struct stat st;
        int fd = openat(atfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        dev_t dev;

        if (fd < 0)
                return 0;
        if (fstat(fd, &st) < 0 || !(stack[0] = fdopendir(fd))) {
                close(fd);
                return 0;
        }
        dev = st.st_dev;
        bytes = (uint64_t)st.st_blocks * 512;
        while (depth > 0) {
                DIR *d = stack[depth - 1];
                struct dirent *de = left > 0 ? readdir(d) : NULL;

                if (!de) {
                        if (left == 0)
                                *ret_cut = true;
                        closedir(d);
                        depth--;
                        continue;
                }
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                left--;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                bytes += (uint64_t)st.st_blocks * 512;
                if (!S_ISDIR(st.st_mode) || st.st_dev != dev)
                        continue;
                if (depth >= max_depth) {
                        *ret_cut = true;
                        continue;
                }
                fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        continue;
                if (depth == cap) {
                        cap *= 2;
                        stack = xrealloc(stack, cap * sizeof(*stack));
                }
                if (!(stack[depth] = fdopendir(fd))) {
                        close(fd);
                        continue;
                }
                depth++;
        }
        return bytes;
}

static bool limit_bytes(const char *q, uint64_t *ret)
{
        return q && pod_quantity_bytes(q, ret) == 0 && *ret > 0;
}

/* kubelet's PodLimits for ephemeral-storage: the sum over containers, at least
 * each init container's; the quantity whose format String() keeps in *ret_fmt. */
static bool pod_limit(const struct pod_spec *spec, uint64_t *ret, const char **ret_fmt)
{
        uint64_t sum = 0, v;
        const char *fmt = NULL;

        for (size_t i = 0; i < spec->n_containers; i++) {
                const char *q = spec->containers[i].ephemeral_storage_limit;

                if (!q || pod_quantity_bytes(q, &v) < 0)
                        continue;
                if (!fmt)
                        fmt = q;
                sum += v;
        }
        for (size_t i = 0; i < spec->n_init_containers; i++) {
                const char *q = spec->init_containers[i].ephemeral_storage_limit;

                if (!q || pod_quantity_bytes(q, &v) < 0)
                        continue;
                if (!fmt || v > sum) {
                        fmt = q;
                        sum = v > sum ? v : sum;
                }
        }
        *ret = sum;
        *ret_fmt = fmt;
        return fmt != NULL;
}

static bool pod_has_storage_limit(const struct pod_spec *spec)
{
        uint64_t v;
        const char *fmt;

        /* a Memory emptyDir's tmpfs is sized to its limit: it cannot exceed it */
        for (size_t i = 0; i < spec->n_volumes; i++)
                if (spec->volumes[i].kind == POD_VOLUME_EMPTY_DIR && strcmp(spec->volumes[i].medium, "Memory") &&
                    limit_bytes(spec->volumes[i].size_limit, &v))
                        return true;
        return pod_limit(spec, &v, &fmt);
}

static void evict(struct sbx *s, const char *msg)
{
        pfs_log(LOG_WARNING, "evicting pod %s: %s", s->pod_ref, msg);
        sbx_event(s, NULL, "Warning", "Evicted", "%s", msg);
        term_evict(s, msg);
}

/* What the walker measures, in this order: each volume (0 unless emptyDir),
 * the pod's /etc files, then per container its writable layer and its logs. */
static size_t report_len(const struct sbx *s)
{
        return s->spec->n_volumes + 1 + 2 * s->n_ctrs;
}

/* The child: measure, write the numbers, exit. Holds nothing of the sandbox's. */
static void walker_run(struct sbx *s, int wfd)
{
        size_t n = report_len(s), k = 0, depth = 1024;
        bool cut = false;
        _cleanup_free_ uint64_t *u = xcalloc(n, sizeof(*u));
        _cleanup_free_ char *logs = xasprintf("%s/%s", s->state_dir, s->log_dir);
        struct rlimit rl = { STORAGE_WALK_NOFILE, STORAGE_WALK_NOFILE };
        const char *p;
        size_t left;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
                depth = STORAGE_WALK_NOFILE - 64;
        if (setpriority(PRIO_PROCESS, 0, 19) < 0)
                pfs_log(LOG_DEBUG, "storage walker: nice: %m");
        for (size_t i = 0; i < s->spec->n_volumes; i++, k++) {
                const struct pod_volume *v = &s->spec->volumes[i];
                _cleanup_free_ char *path = xasprintf("%s/%s", s->volumes_dir, v->name);

                if (v->kind == POD_VOLUME_EMPTY_DIR)
                        u[k] = du_at(AT_FDCWD, path, depth, &cut);
        }
        {
                _cleanup_free_ char *etc = xasprintf("%s/%s", s->volumes_dir, POD_ETC_DIR);

                u[k++] = du_at(AT_FDCWD, etc, depth, &cut);
        }
        for (size_t i = 0; i < s->n_ctrs; i++) {
                _cleanup_free_ char *upper = xasprintf("%s/%s/%s/upper", s->volumes_dir, POD_OVERLAY_DIR,
                                                       s->ctrs[i].name);
                _cleanup_free_ char *log = xasprintf("%s/%s", logs, s->ctrs[i].name);

                u[k++] = du_at(AT_FDCWD, upper, depth, &cut);
                u[k++] = du_at(AT_FDCWD, log, depth, &cut);
        }
        if (cut)
                pfs_log(LOG_WARNING, "pod %s: a tree of more than %d files: storage usage counted in part",
                        s->pod_ref, STORAGE_WALK_MAX_ENTRIES);
        for (p = (const char *)u, left = n * sizeof(*u); left > 0;) {
                ssize_t w = write(wfd, p, left);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        _exit(1);
                p += w;
                left -= (size_t)w;
        }
        _exit(0);
}

/* kubelet's localStorageEviction for one pod, in its order: emptyDir limits,
 * then the pod's total, then each app container. Returns the message or NULL. */
static char *storage_verdict(struct sbx *s, const uint64_t *u)
{
        const uint64_t *ctr = u + s->spec->n_volumes + 1;
        uint64_t total = u[s->spec->n_volumes], lim;    /* kubelet counts etc-hosts too */
        const char *fmt;

        for (size_t i = 0; i < s->spec->n_volumes; i++) {
                const struct pod_volume *vol = &s->spec->volumes[i];

                if (vol->kind != POD_VOLUME_EMPTY_DIR)
                        continue;
                if (strcmp(vol->medium, "Memory"))
                        total += u[i];  /* a tmpfs is memory, not ephemeral storage */
                if (limit_bytes(vol->size_limit, &lim) && u[i] > lim) {
                        _cleanup_free_ char *q = pod_quantity_string(vol->size_limit, lim);

                        return xasprintf(EMPTY_DIR_MSG, vol->name, q);
                }
        }
        for (size_t i = 0; i < s->n_ctrs; i++)
                total += ctr[2 * i] + ctr[2 * i + 1];
        if (pod_limit(s->spec, &lim, &fmt) && total > lim) {
                _cleanup_free_ char *q = pod_quantity_string(fmt, lim);

                return xasprintf(POD_MSG, q);
        }
        for (size_t i = 0; i < s->n_ctrs; i++) {
                const char *q = s->ctrs[i].spec->ephemeral_storage_limit;
                _cleanup_free_ char *qs = NULL;

                /* kubelet looks at the app containers' limits only */
                if (s->ctrs[i].is_init || !limit_bytes(q, &lim) || ctr[2 * i] + ctr[2 * i + 1] <= lim)
                        continue;
                qs = pod_quantity_string(q, lim);
                return xasprintf(CONTAINER_MSG, s->ctrs[i].name, qs);
        }
        return NULL;
}

static void timer_arm(struct sbx *s);

/* The walker's numbers arrive; at EOF judge them and wait for the next period. */
static void on_report(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct storage *st = s->storage;
        _cleanup_free_ char *msg = NULL;
        char buf[4096];
        ssize_t n;

        while ((n = read(w->fd, buf, sizeof(buf))) > 0)
                pfs_buf_append(&st->report, buf, (size_t)n);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        sbx_watch_remove(s, w);
        if (st->report.len == report_len(s) * sizeof(uint64_t) && !term_begun(s)) {
                _cleanup_free_ uint64_t *u = xmalloc(st->report.len);

                memcpy(u, st->report.data, st->report.len);
                msg = storage_verdict(s, u);
        } else if (!term_begun(s)) {
                pfs_log(LOG_WARNING, "storage check: the walker reported %zu bytes", st->report.len);
        }
        st->report.len = 0;
        if (msg) {
                evict(s, msg);
                return;
        }
        timer_arm(s);
}

static int walker_start(struct sbx *s, struct pfs_error *err)
{
        int p[2], r;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return pfs_error_set(err, errno, "pipe");
        pid = fork();
        if (pid < 0) {
                r = pfs_error_set(err, errno, "fork");
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pid == 0) {
                int fl = fcntl(p[1], F_GETFL);

                /* nothing of the sandbox's (its lock, the state dir) stays open in the walker */
                if (p[1] > 3)
                        close_range(3, (unsigned)p[1] - 1, 0);
                close_range((unsigned)p[1] + 1, ~0U, 0);
                fcntl(p[1], F_SETFL, fl & ~O_NONBLOCK);
                walker_run(s, p[1]);
        }
        close(p[1]);    /* the child is reaped by sup_reap's waitpid(-1) */
        r = sbx_watch_add(s, &s->storage->pipe_w, p[0], EPOLLIN, on_report, NULL, err);
        if (r < 0)
                close(p[0]);
        return r;
}

static void on_tick(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct pfs_error err = {0};
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return;
        if (term_begun(s)) {
                storage_stop(s);
                return;
        }
        if (s->storage->pipe_w.fd >= 0)
                return;         /* the last walk is still running: no pile-up */
        if (walker_start(s, &err) < 0) {
                pfs_log(LOG_ERR, "storage check: %s", err.msg);
                timer_arm(s);
        }
}

static void timer_arm(struct sbx *s)
{
        struct pfs_error err = {0};

        if (sbx_timer_arm(s, &s->storage->timer_w, pfs_now_monotonic_ns() + STORAGE_PERIOD_NS, on_tick, NULL,
                          &err) < 0)
                pfs_log(LOG_ERR, "storage check: %s", err.msg);
}

void storage_check_arm(struct sbx *s)
{
        if (term_begun(s) || s->storage || !pod_has_storage_limit(s->spec))
                return;
        s->storage = xcalloc(1, sizeof(*s->storage));
        s->storage->timer_w.fd = s->storage->pipe_w.fd = -1;
        timer_arm(s);
}

void storage_stop(struct sbx *s)
{
        if (!s->storage)
                return;
        sbx_timer_disarm(s, &s->storage->timer_w);
        sbx_watch_remove(s, &s->storage->pipe_w);       /* a walker still running gets EPIPE */
}

void storage_free(struct sbx *s)
{
        if (!s->storage)
                return;
        storage_stop(s);
        pfs_buf_free(&s->storage->report);
        free(s->storage);
        s->storage = NULL;
}
