/* Resource limits and OOM kills of a container's cgroup. On v2 the limits go
 * into podfs/<uid>/<child> itself; where the controllers are v1 (a pure v1
 * host, or the hybrid layout whose unified hierarchy has none) into a twin
 * podfs/<uid>/<child> in each v1 hierarchy, which the container joins right
 * after clone (ctr_spawn finds the twins with pod_cgroup_twins_open). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "cgroup_internal.h"
#include "pfs/status.h"
#include "pfs/util.h"

#define V1_ROOT "/sys/fs/cgroup"

/* The controllers whose limits this file sets. */
static const char *const v1_controllers[] = { "memory", "cpu", "pids" };
/* Every v1 hierarchy that may hold a twin: the limits', and the device policy's
 * (cgroup_devices.c). */
static const char *const twin_controllers[POD_CGROUP_TWINS_MAX] = { "memory", "cpu", "pids", "devices" };

static bool is_v1_hierarchy(const char *path)
{
        struct statfs s;

        return statfs(path, &s) == 0 && s.f_type == CGROUP_SUPER_MAGIC;
}

/* "podfs/<uid>/<child>" from the pod cgroup's path. */
static char *rel_path(const struct pod_cgroup *cg, const char *child)
{
        const char *p = strstr(cg->path, "/podfs/");

        return xasprintf("%s/%s", p ? p + 1 : cg->path, child);
}

/* Does the v2 cgroup DIRFD offer controller NAME? */
static bool v2_has(int dirfd, const char *name)
{
        char buf[512], *save = NULL;

        if (dirfd < 0 || cgroup_read_at(dirfd, "cgroup.controllers", buf, sizeof(buf)) < 0)
                return false;
        for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
                if (!strcmp(t, name))
                        return true;
        return false;
}

static int write_limit(int dirfd, const char *file, const char *value, struct pfs_error *err)
{
        int r = cgroup_write_at(dirfd, file, value);

        return r < 0 ? pfs_error_set(err, -r, "write %s to %s", value, file) : 0;
}

static int v2_apply(int fd, const struct pod_cgroup_limits *l, struct pfs_error *err)
{
        char buf[64];
        int r = 0;

        if (l->memory_max) {
                snprintf(buf, sizeof(buf), "%lld", (long long)l->memory_max);
                r = write_limit(fd, "memory.max", buf, err);
                if (r >= 0)
                        cgroup_write_at(fd, "memory.swap.max", "0");    /* Kubernetes runs without swap */
        }
        if (r >= 0 && l->cpu_quota_us) {
                snprintf(buf, sizeof(buf), "%lld %lld", (long long)l->cpu_quota_us,
                         (long long)(l->cpu_period_us ? l->cpu_period_us : 100000));
                r = write_limit(fd, "cpu.max", buf, err);
        }
        if (r >= 0 && l->cpu_weight) {
                snprintf(buf, sizeof(buf), "%lld", (long long)l->cpu_weight);
                r = write_limit(fd, "cpu.weight", buf, err);
        }
        if (r >= 0 && l->pids_max) {
                snprintf(buf, sizeof(buf), "%lld", (long long)l->pids_max);
                r = write_limit(fd, "pids.max", buf, err);
        }
        return r;
}

static bool v1_needed(const char *ctrl, const struct pod_cgroup_limits *l)
{
        if (!strcmp(ctrl, "memory"))
                return l->memory_max != 0;
        if (!strcmp(ctrl, "cpu"))
                return l->cpu_quota_us || l->cpu_weight;
        return l->pids_max != 0;
}

static int v1_apply_one(int fd, const char *ctrl, const struct pod_cgroup_limits *l, struct pfs_error *err)
{
        char buf[64];
        int r = 0;

        if (!strcmp(ctrl, "memory")) {
                snprintf(buf, sizeof(buf), "%lld", (long long)l->memory_max);
                /* limit <= memsw.limit: a raise (a resize) moves memsw first */
                if (cgroup_write_at(fd, "memory.limit_in_bytes", buf) == -EINVAL)
                        cgroup_write_at(fd, "memory.memsw.limit_in_bytes", buf);
                r = write_limit(fd, "memory.limit_in_bytes", buf, err);
                if (r >= 0)
                        cgroup_write_at(fd, "memory.memsw.limit_in_bytes", buf);
                return r;
        }
        if (!strcmp(ctrl, "cpu")) {
                if (l->cpu_quota_us) {
                        snprintf(buf, sizeof(buf), "%lld", (long long)(l->cpu_period_us ? l->cpu_period_us : 100000));
                        r = write_limit(fd, "cpu.cfs_period_us", buf, err);
                        snprintf(buf, sizeof(buf), "%lld", (long long)l->cpu_quota_us);
                        if (r >= 0)
                                r = write_limit(fd, "cpu.cfs_quota_us", buf, err);
                }
                if (r >= 0 && l->cpu_weight) {
                        /* The inverse of the kernel's shares -> weight mapping. */
                        snprintf(buf, sizeof(buf), "%lld", (long long)(2 + ((l->cpu_weight - 1) * 262142) / 9999));
                        r = write_limit(fd, "cpu.shares", buf, err);
                }
                return r;
        }
        snprintf(buf, sizeof(buf), "%lld", (long long)l->pids_max);
        return write_limit(fd, "pids.max", buf, err);
}

/* The twin for this run: fresh, since pod_cgroup_child_fd removed the last
 * run's (its oom_kill counter starts at 0). Not removed here: where
 * hierarchies are co-mounted, two controllers share one twin, and the
 * device policy is written into it before the limits. */
static int v1_twin_create(const char *ctrl, const char *rel, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/%s", V1_ROOT, ctrl, rel);
        int r;

        r = pfs_mkdir_p_at(AT_FDCWD, path, 0755, err);
        if (r < 0)
                return r;
        r = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return r < 0 ? pfs_error_set(err, errno, "open '%s'", path) : r;
}

int pod_cgroup_twin_open(const struct pod_cgroup *cg, const char *ctrl, const char *child, struct pfs_error *err)
{
        _cleanup_free_ char *rel = rel_path(cg, child);

        return v1_twin_create(ctrl, rel, err);
}

int pod_cgroup_child_limits(struct pod_cgroup *cg, const char *child, const struct pod_cgroup_limits *l,
                            struct pfs_error *err)
{
        static const char *const v2_names[] = { "memory", "cpu", "pids" };
        _cleanup_close_ int fd = openat(cg->dirfd, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *rel = rel_path(cg, child);
        bool v2 = cg->ops == &pod_cgroup_v2_ops;
        int r = 0;

        if (fd < 0)
                return pfs_error_set(err, errno, "open cgroup '%s' (call pod_cgroup_child_fd first)", child);
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(v1_controllers); i++) {
                const char *ctrl = v1_controllers[i];
                _cleanup_free_ char *hier = xasprintf("%s/%s", V1_ROOT, ctrl);
                _cleanup_close_ int twin = -1;

                if (!v1_needed(ctrl, l))
                        continue;
                if (v2 && v2_has(fd, v2_names[i]))
                        continue;       /* applied below, in the cgroup itself */
                if (!is_v1_hierarchy(hier))
                        return pfs_error_set(err, ENOTSUP, "no %s controller for the container's cgroup", ctrl);
                if (!strcmp(hier, cg->root)) {          /* the v1 driver's own hierarchy */
                        r = v1_apply_one(fd, ctrl, l, err);
                        continue;
                }
                twin = v1_twin_create(ctrl, rel, err);
                if (twin < 0)
                        return twin;
                r = v1_apply_one(twin, ctrl, l, err);
        }
        if (r >= 0 && v2)
                r = v2_apply(fd, &(struct pod_cgroup_limits){
                        .memory_max = v2_has(fd, "memory") ? l->memory_max : 0,
                        .cpu_quota_us = v2_has(fd, "cpu") ? l->cpu_quota_us : 0,
                        .cpu_period_us = l->cpu_period_us,
                        .cpu_weight = v2_has(fd, "cpu") ? l->cpu_weight : 0,
                        .pids_max = v2_has(fd, "pids") ? l->pids_max : 0,
                }, err);
        return r < 0 ? pfs_error_wrap(err, "limits of container cgroup '%s'", child) : 0;
}

int pod_cgroup_child_twins(struct pod_cgroup *cg, const char *child, struct pfs_error *err)
{
        static const char *const ctrls[] = { "memory", "cpu" };
        _cleanup_close_ int fd = openat(cg->dirfd, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *rel = rel_path(cg, child);
        bool v2 = cg->ops == &pod_cgroup_v2_ops;

        for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++) {
                _cleanup_free_ char *hier = xasprintf("%s/%s", V1_ROOT, ctrls[i]);
                int twin;

                if ((v2 && v2_has(fd, ctrls[i])) || !is_v1_hierarchy(hier) || !strcmp(hier, cg->root))
                        continue;       /* the container's cgroup is below the pod's already */
                twin = v1_twin_create(ctrls[i], rel, err);
                if (twin < 0)
                        return twin;
                close(twin);
        }
        return 0;
}

/* kubelet's MilliCPUToShares, then the kernel's shares -> weight mapping. */
static int64_t cpu_weight_of(int64_t milli)
{
        int64_t shares = milli * 1024 / 1000;

        shares = shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
        return 1 + ((shares - 2) * 9999) / 262142;
}

int pod_cgroup_child_limits_spec(struct pod_cgroup *cg, const struct pod_container *c, struct pfs_error *err)
{
        struct pod_cgroup_limits l = { .cpu_period_us = 100000 };
        uint64_t bytes = 0;
        int64_t milli = 0;

        if (!c->memory_limit && !c->cpu_limit && !c->cpu_request)
                return 0;
        if (!cg)
                return pfs_error_set(err, ENOTSUP, "resources of container \"%s\": the pod has no cgroup", c->name);
        if (c->memory_limit && (pod_quantity_bytes(c->memory_limit, &bytes) < 0 || bytes > INT64_MAX))
                return pfs_error_set(err, EINVAL, "invalid memory limit \"%s\"", c->memory_limit);
        l.memory_max = (int64_t)bytes;
        if (c->cpu_limit && (pod_quantity_milli(c->cpu_limit, &milli) < 0 || milli > INT64_MAX / 100))
                return pfs_error_set(err, EINVAL, "invalid cpu limit \"%s\"", c->cpu_limit);
        if (milli)      /* kubelet's MilliCPUToQuota, at least 1 ms */
                l.cpu_quota_us = milli * 100 < 1000 ? 1000 : milli * 100;
        if (c->cpu_request && pod_quantity_milli(c->cpu_request, &milli) == 0 && milli > 0)
                l.cpu_weight = cpu_weight_of(milli);
        return pod_cgroup_child_limits(cg, c->name, &l, err);
}

static long long counter_in(int dirfd, const char *file, const char *key)
{
        char buf[1024], *p;
        size_t kl = strlen(key);

        if (dirfd < 0 || cgroup_read_at(dirfd, file, buf, sizeof(buf)) < 0)
                return -1;
        for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
                if (!strncmp(p, key, kl) && p[kl] == ' ')
                        return strtoll(p + kl + 1, NULL, 10);
        return -1;
}

int pod_cgroup_child_oom_kills(struct pod_cgroup *cg, const char *child)
{
        _cleanup_close_ int fd = openat(cg->dirfd, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *rel = rel_path(cg, child), *twin = xasprintf("%s/memory/%s", V1_ROOT, rel);
        _cleanup_close_ int tfd = open(twin, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        long long n = cg->ops == &pod_cgroup_v2_ops ? counter_in(fd, "memory.events", "oom_kill") : -1;

        if (n < 0)
                n = counter_in(tfd, "memory.oom_control", "oom_kill");
        return n > 0 ? (int)n : 0;
}

static int64_t value_in(int dirfd, const char *file)
{
        char buf[64];

        if (dirfd < 0 || cgroup_read_at(dirfd, file, buf, sizeof(buf)) < 0)
                return -1;
        return strtoll(buf, NULL, 10);
}

int64_t pod_cgroup_child_memory_usage(struct pod_cgroup *cg, const char *child)
{
        _cleanup_close_ int fd = openat(cg->dirfd, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_free_ char *rel = rel_path(cg, child), *twin = xasprintf("%s/memory/%s", V1_ROOT, rel);
        _cleanup_close_ int tfd = open(twin, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int64_t n = cg->ops == &pod_cgroup_v2_ops ? value_in(fd, "memory.current") : -1;

        return n >= 0 ? n : value_in(tfd, "memory.usage_in_bytes");
}

int pod_cgroup_twins_open(int cgroup_fd, int *fds, size_t max)
{
        char link[64], path[4096];
        const char *rel;
        size_t n = 0;
        ssize_t len;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", cgroup_fd);
        len = readlink(link, path, sizeof(path) - 1);
        if (len <= 0)
                return 0;
        path[len] = '\0';
        rel = strstr(path, "/podfs/");
        for (size_t i = 0; rel && i < ARRAY_SIZE(twin_controllers) && n < max; i++) {
                _cleanup_free_ char *twin = xasprintf("%s/%s%s", V1_ROOT, twin_controllers[i], rel);
                int fd;

                if (strcmp(twin, path) == 0)
                        continue;
                fd = open(twin, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0)
                        fds[n++] = fd;
        }
        return (int)n;
}

int pod_cgroup_join_fds_open(int cgroup_fd, int *fds, size_t max)
{
        struct statfs s;
        size_t n = 0;

        if (cgroup_fd < 0 || max < 1)
                return 0;
        if (fstatfs(cgroup_fd, &s) == 0 && s.f_type == CGROUP_SUPER_MAGIC) {
                fds[n] = fcntl(cgroup_fd, F_DUPFD_CLOEXEC, 3);
                if (fds[n] >= 0)
                        n++;
        }
        return (int)n + pod_cgroup_twins_open(cgroup_fd, fds + n, max - n);
}

/* "0" into a v1 "tasks" file moves the calling thread alone, and the kernel
 * needs no lock against the rest of its thread group for that; through
 * "cgroup.procs" it takes the global threadgroup lock, whose first writer
 * after a quiet moment waits for an RCU grace period (5-25 ms). The callers
 * are freshly cloned, single-threaded children, so the thread is the process. */
int pod_cgroup_join_fds(const int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                int fd = openat(fds[i], "tasks", O_WRONLY | O_CLOEXEC);

                if (fd < 0 || write(fd, "0", 1) != 1)
                        return -errno;
                close(fd);
        }
        return 0;
}

void pod_cgroup_twins_reset(const struct pod_cgroup *cg, const char *child)
{
        _cleanup_free_ char *rel = rel_path(cg, child);

        for (size_t i = 0; i < ARRAY_SIZE(twin_controllers); i++) {
                _cleanup_free_ char *twin = xasprintf("%s/%s/%s", V1_ROOT, twin_controllers[i], rel);

                if (strncmp(twin, cg->root, strlen(cg->root)) != 0)
                        rmdir(twin);
        }
}

void pod_cgroup_twins_remove(const struct pod_cgroup *cg)
{
        const char *p = strstr(cg->path, "/podfs/");

        for (size_t i = 0; p && i < ARRAY_SIZE(twin_controllers); i++) {
                _cleanup_free_ char *dir = xasprintf("%s/%s%s", V1_ROOT, twin_controllers[i], p);

                if (strcmp(dir, cg->path) != 0)
                        cgroup_rmdir_tree(dir);
        }
}
