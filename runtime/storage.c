/* Local ephemeral storage as kubelet's eviction manager polices it: a
 * container's writable layer (its overlay upper dir) and its logs count
 * against its resources.limits.ephemeral-storage; those plus the disk-backed
 * emptyDirs against the sum of the containers' limits; an emptyDir against its
 * sizeLimit. The filesystem under the state dir has no usable project quotas
 * in general, so usage is measured as du does (allocated blocks), every 10 s
 * (kubelet's housekeeping period), by a walk bounded in entries and depth, and
 * only in a pod that sets a limit: other pods cost nothing. Over a limit the
 * pod is evicted: phase Failed, reason Evicted, kubelet's message and event. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "sandbox.h"

#define STORAGE_PERIOD_NS (10LL * 1000000000LL)
#define STORAGE_WALK_MAX_ENTRIES 200000  /* per check, over all trees: a bounded pause of the loop */
#define STORAGE_WALK_MAX_DEPTH 128       /* one open directory per level */

/* kubelet's eviction messages (pkg/kubelet/eviction/helpers.go) */
#define EMPTY_DIR_MSG "Usage of EmptyDir volume \"%s\" exceeds the limit \"%s\". "
#define POD_MSG "Pod ephemeral local storage usage exceeds the total limit of containers %s. "
#define CONTAINER_MSG "Container %s exceeded its local ephemeral storage limit \"%s\". "

struct du_walk {
        uint64_t bytes;
        size_t entries;         /* left over all walks of one check */
        dev_t dev;
};

/* Allocated bytes below the directory dfd (consumed), on its filesystem only,
 * symlinks not followed. Past the budget or the depth the rest is not counted. */
static void du_dir(int dfd, struct du_walk *w, int depth)
{
        DIR *d = fdopendir(dfd);
        struct dirent *de;

        if (!d) {
                close(dfd);
                return;
        }
        while (w->entries > 0 && (de = readdir(d))) {
                struct stat st;
                int fd;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                        continue;
                w->entries--;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                w->bytes += (uint64_t)st.st_blocks * 512;
                if (!S_ISDIR(st.st_mode) || st.st_dev != w->dev || depth >= STORAGE_WALK_MAX_DEPTH)
                        continue;
                fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd >= 0)
                        du_dir(fd, w, depth + 1);
        }
        closedir(d);
}

/* du of dirfd/path (0 when it does not exist); budget shared by the caller. */
static uint64_t du_at(int dirfd, const char *path, size_t *budget)
{
        struct du_walk w = { .entries = *budget };
        struct stat st;
        int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return 0;
        if (fstat(fd, &st) < 0) {
                close(fd);
                return 0;
        }
        w.dev = st.st_dev;
        w.bytes = (uint64_t)st.st_blocks * 512;
        du_dir(fd, &w, 0);
        *budget = w.entries;
        return w.bytes;
}

/* resource.Quantity's canonical String() of bytes, in the format of the
 * quantity q it came from (BinarySI "10Mi", DecimalSI "10M", DecimalExponent "1e7"). */
char *storage_quantity_string(const char *q, uint64_t bytes)
{
        static const char *const bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
        static const char *const dec[] = { "", "k", "M", "G", "T", "P", "E" };
        bool binary = strchr(q, 'i') != NULL, exponent = strpbrk(q, "eE") != NULL;
        unsigned base = binary ? 1024 : 1000;
        int k = 0;

        if (bytes == 0)
                return xstrdup("0");
        if (binary && bytes < 1024)
                return xasprintf("%llu", (unsigned long long)bytes);
        while (k < 6 && bytes % base == 0) {
                bytes /= base;
                k++;
        }
        if (binary)
                return xasprintf("%llu%s", (unsigned long long)bytes, bin[k]);
        if (exponent)
                return k ? xasprintf("%llue%d", (unsigned long long)bytes, 3 * k)
                         : xasprintf("%llu", (unsigned long long)bytes);
        return xasprintf("%llu%s", (unsigned long long)bytes, dec[k]);
}

static bool limit_bytes(const char *q, uint64_t *ret)
{
        return q && pod_quantity_parse_bytes(q, ret) == 0 && *ret > 0;
}

/* kubelet's PodLimits for ephemeral-storage: the sum over containers, at least
 * each init container's; the quantity whose format String() keeps in *ret_fmt. */
static bool pod_limit(const struct pod_spec *spec, uint64_t *ret, const char **ret_fmt)
{
        uint64_t sum = 0, v;
        const char *fmt = NULL;

        for (size_t i = 0; i < spec->n_containers; i++) {
                const char *q = spec->containers[i].ephemeral_storage_limit;

                if (!q || pod_quantity_parse_bytes(q, &v) < 0)
                        continue;
                if (!fmt)
                        fmt = q;
                sum += v;
        }
        for (size_t i = 0; i < spec->n_init_containers; i++) {
                const char *q = spec->init_containers[i].ephemeral_storage_limit;

                if (!q || pod_quantity_parse_bytes(q, &v) < 0)
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
        /* kubelet kills with a grace override of 0: no preStop, its minimum 2 s for SIGTERM */
        s->skip_pre_stop = true;
        term_fail(s, "Evicted", msg, 2);
}

/* Usage of container c: writable layer + its log directory (all its runs). */
static uint64_t ctr_usage(struct sbx *s, const struct ctr *c, int vfd, size_t *budget)
{
        _cleanup_free_ char *upper = xasprintf("%s/%s/upper", POD_OVERLAY_DIR, c->name);
        _cleanup_free_ char *logs = xasprintf("%s/%s", s->log_dir, c->name);

        return du_at(vfd, upper, budget) + du_at(s->state_fd, logs, budget);
}

/* kubelet's localStorageEviction for one pod, in its order: emptyDir limits,
 * then the pod's total, then each container. Returns the message or NULL. */
static char *storage_verdict(struct sbx *s, int vfd, size_t *budget)
{
        _cleanup_free_ uint64_t *used = xcalloc(s->n_ctrs + 1, sizeof(*used));
        uint64_t total = 0, lim, v;
        const char *fmt;

        for (size_t i = 0; i < s->spec->n_volumes; i++) {
                const struct pod_volume *vol = &s->spec->volumes[i];
                bool memory = vol->medium && !strcmp(vol->medium, "Memory");

                if (vol->kind != POD_VOLUME_EMPTY_DIR)
                        continue;
                v = du_at(vfd, vol->name, budget);
                if (!memory)
                        total += v;     /* a tmpfs is memory, not ephemeral storage */
                if (limit_bytes(vol->size_limit, &lim) && v > lim) {
                        _cleanup_free_ char *q = storage_quantity_string(vol->size_limit, lim);

                        return xasprintf(EMPTY_DIR_MSG, vol->name, q);
                }
        }
        total += du_at(vfd, POD_ETC_DIR, budget);       /* kubelet counts etc-hosts too */
        for (size_t i = 0; i < s->n_ctrs; i++) {
                used[i] = ctr_usage(s, &s->ctrs[i], vfd, budget);
                total += used[i];
        }
        if (pod_limit(s->spec, &lim, &fmt) && total > lim) {
                _cleanup_free_ char *q = storage_quantity_string(fmt, lim);

                return xasprintf(POD_MSG, q);
        }
        for (size_t i = 0; i < s->n_ctrs; i++) {
                const char *q = s->ctrs[i].spec->ephemeral_storage_limit;

                /* kubelet looks at the app containers' limits only */
                if (s->ctrs[i].is_init || !limit_bytes(q, &lim) || used[i] <= lim)
                        continue;
                {
                        _cleanup_free_ char *qs = storage_quantity_string(q, lim);

                        return xasprintf(CONTAINER_MSG, s->ctrs[i].name, qs);
                }
        }
        return NULL;
}

static void on_storage_tick(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct pfs_error err = {0};
        _cleanup_close_ int vfd = -1;
        _cleanup_free_ char *msg = NULL;
        size_t budget = STORAGE_WALK_MAX_ENTRIES;
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return;
        if (s->done || s->terminating) {
                sbx_timer_disarm(s, w);
                return;
        }
        vfd = open(s->volumes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (vfd >= 0)
                msg = storage_verdict(s, vfd, &budget);
        if (budget == 0)
                pfs_log(LOG_WARNING, "pod %s: more than %d files: storage usage counted in part", s->pod_ref,
                        STORAGE_WALK_MAX_ENTRIES);
        if (msg) {
                sbx_timer_disarm(s, w);
                evict(s, msg);
                return;
        }
        if (sbx_timer_arm(s, w, pfs_now_monotonic_ns() + STORAGE_PERIOD_NS, on_storage_tick, NULL, &err) < 0)
                pfs_log(LOG_ERR, "storage check: %s", err.msg);
}

void storage_check_arm(struct sbx *s)
{
        struct pfs_error err = {0};

        if (s->done || s->terminating || !pod_has_storage_limit(s->spec))
                return;
        if (sbx_timer_arm(s, &s->storage_w, pfs_now_monotonic_ns() + STORAGE_PERIOD_NS, on_storage_tick, NULL,
                          &err) < 0)
                pfs_log(LOG_ERR, "storage check: %s", err.msg);
}
