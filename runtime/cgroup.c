/* The pod's cgroup "podfs/<uid>": picks the driver from the host's layout
 * (v2, the hybrid layout's unified hierarchy, or pure v1) and owns the parts
 * the drivers share (kill by listing, removal). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "cgroup_internal.h"
#include "pfs/util.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"

static bool fs_is(const char *path, unsigned long magic)
{
        struct statfs s;

        return statfs(path, &s) == 0 && (unsigned long)s.f_type == magic;
}

bool cgroup_is_v1_hierarchy(const char *path)
{
        return fs_is(path, CGROUP_SUPER_MAGIC);
}

/* v1 hierarchy for kill-by-listing: freezer (freeze, then kill: no fork race), else pids, else systemd's. */
static const char *v1_hierarchy(bool *ret_freezer)
{
        static const char *const cands[] = { CGROUP_MOUNT "/freezer", CGROUP_MOUNT "/pids", CGROUP_MOUNT "/systemd" };

        for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
                if (fs_is(cands[i], CGROUP_SUPER_MAGIC)) {
                        *ret_freezer = i == 0;
                        return cands[i];
                }
        }
        return NULL;
}

static int cgroup_pick(struct pod_cgroup *cg, enum pod_cgroup_driver driver, struct pfs_error *err)
{
        const char *v1;

        if (driver != POD_CGROUP_V1 && fs_is(CGROUP_MOUNT, CGROUP2_SUPER_MAGIC)) {
                cg->ops = &pod_cgroup_v2_ops;
                cg->root = xstrdup(CGROUP_MOUNT);
                return 0;
        }
        if (driver != POD_CGROUP_V1 && fs_is(CGROUP_MOUNT "/unified", CGROUP2_SUPER_MAGIC)) {
                cg->ops = &pod_cgroup_v2_ops;
                cg->root = xstrdup(CGROUP_MOUNT "/unified");
                return 0;
        }
        if (driver != POD_CGROUP_V2 && (v1 = v1_hierarchy(&cg->freezer))) {
                cg->ops = &pod_cgroup_v1_ops;
                cg->root = xstrdup(v1);
                return 0;
        }
        return pfs_error_set(err, ENOTSUP, "no usable cgroup hierarchy under %s", CGROUP_MOUNT);
}

int pod_cgroup_open_driver(const char *uid, enum pod_cgroup_driver driver, struct pod_cgroup **ret_cg,
                           struct pfs_error *err)
{
        struct pod_cgroup *cg = xcalloc(1, sizeof(*cg));
        int r;

        cg->dirfd = -1;
        r = cgroup_pick(cg, driver, err);
        if (r >= 0) {
                cg->path = xasprintf("%s/podfs/%s", cg->root, uid);
                r = cg->ops->open(cg, err);
        }
        if (r < 0) {
                pod_cgroup_free(cg);
                return r;
        }
        *ret_cg = cg;
        return 0;
}

int pod_cgroup_open(const char *uid, struct pod_cgroup **ret_cg, struct pfs_error *err)
{
        return pod_cgroup_open_driver(uid, POD_CGROUP_AUTO, ret_cg, err);
}

const char *pod_cgroup_driver_name(const struct pod_cgroup *cg)
{
        return cg->ops->name;
}

const char *pod_cgroup_path(const struct pod_cgroup *cg)
{
        return cg->path;
}

int pod_cgroup_child_fd(struct pod_cgroup *cg, const char *child, struct pfs_error *err)
{
        int r;

        pfs_error_clear(err);
        pod_cgroup_twins_reset(cg, child);
        r = cg->ops->child_fd(cg, child, err);
        /* -1 means "unsupported"; never let EPERM look like it. */
        return r == -EPERM ? pfs_error_set(err, EACCES, "%s", err ? err->msg : "") : r;
}

int pod_cgroup_kill_all(struct pod_cgroup *cg, struct pfs_error *err)
{
        return cg->ops->kill_all(cg, err);
}

/* By listing, not cgroup.kill: on some kernels a cgroup once killed through
 * cgroup.kill also kills every process later cloned into it (CLONE_INTO_CGROUP),
 * and the container's next run reuses this cgroup. */
int pod_cgroup_kill_child(struct pod_cgroup *cg, const char *child, struct pfs_error *err)
{
        _cleanup_close_ int fd = openat(cg->dirfd, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r = 0;

        if (fd < 0)
                return errno == ENOENT ? 0 : pfs_error_set(err, errno, "open cgroup '%s'", child);
        /* A few rounds catch what was forking while we listed. */
        for (int i = 0; i < 3 && (r = cgroup_kill_listed_at(fd)) > 0; i++)
                ;
        return r < 0 ? pfs_error_set(err, -r, "kill the processes of cgroup '%s'", child) : 0;
}

static void rmdir_children_at(int dirfd)
{
        DIR *d;
        struct dirent *de;
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                int sub;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0) {
                        rmdir_children_at(sub);
                        close(sub);
                }
                unlinkat(dirfd, de->d_name, AT_REMOVEDIR);
        }
        closedir(d);
}

void cgroup_rmdir_tree(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return;
        rmdir_children_at(fd);
        rmdir(path);
}

void pod_cgroup_remove(struct pod_cgroup *cg)
{
        if (!cg || cg->dirfd < 0)
                return;
        cgroup_rmdir_tree(cg->path);
        pod_cgroup_twins_remove(cg);
}

void pod_cgroup_free(struct pod_cgroup *cg)
{
        if (!cg)
                return;
        if (cg->dirfd >= 0)
                close(cg->dirfd);
        free(cg->root);
        free(cg->path);
        free(cg);
}

/* ---- helpers for the drivers ---- */

int cgroup_write_at(int dirfd, const char *file, const char *value)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(value);

        if (fd < 0)
                return -errno;
        if (write(fd, value, len) != (ssize_t)len)
                return -errno;
        return 0;
}

int cgroup_read_at(int dirfd, const char *file, char *buf, size_t size)
{
        _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return (int)n;
}

int cgroup_pod_dir_open(struct pod_cgroup *cg, void (*top_hook)(int top_fd), struct pfs_error *err)
{
        _cleanup_close_ int rootfd = open(cg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int top = -1;
        const char *uid = strrchr(cg->path, '/') + 1;

        if (rootfd < 0)
                return pfs_error_set(err, errno, "open '%s'", cg->root);
        top = cgroup_mkdir_open_at(rootfd, "podfs", err);
        if (top < 0)
                return top;
        if (top_hook)
                top_hook(top);
        cg->dirfd = cgroup_mkdir_open_at(top, uid, err);
        return cg->dirfd < 0 ? cg->dirfd : 0;
}

int cgroup_mkdir_open_at(int dirfd, const char *name, struct pfs_error *err)
{
        int fd;

        if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "create cgroup '%s'", name);
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return pfs_error_set(err, errno, "open cgroup '%s'", name);
        return fd;
}

static int kill_procs_at(int dirfd)
{
        _cleanup_close_ int fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        _cleanup_fclose_ FILE *f = NULL;
        long pid;
        int n = 0;

        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        f = fdopen(steal_fd(&fd), "r");
        if (!f)
                return -errno;
        while (fscanf(f, "%ld", &pid) == 1) {
                if (pid <= 0 || pid == getpid())
                        continue;
                kill((pid_t)pid, SIGKILL);
                n++;
        }
        return n;
}

int cgroup_kill_listed_at(int dirfd)
{
        DIR *d;
        struct dirent *de;
        int n = kill_procs_at(dirfd), fd;

        if (n < 0)
                return n;
        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || !(d = fdopendir(fd))) {
                if (fd >= 0)
                        close(fd);
                return n;
        }
        while ((de = readdir(d))) {
                int sub, k;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        continue;
                k = cgroup_kill_listed_at(sub);
                close(sub);
                if (k > 0)
                        n += k;
        }
        closedir(d);
        return n;
}
