/* The pod's pids limit (kubelet's podPidsLimit): pids.max of the pod's cgroup
 * podfs/<uid>, so a fork bomb stays inside its pod. On v2 the pod cgroup
 * itself holds it; where pids is a v1 controller (pure v1, or the hybrid
 * layout, whose unified hierarchy has none) podfs/<uid> of the pids
 * hierarchy does, and every container joins a twin below it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cgroup_internal.h"
#include "pfs/util.h"

static int pids_max_write(int dirfd, int64_t limit, struct pfs_error *err)
{
        char buf[32];
        int r;

        if (limit < 0)
                snprintf(buf, sizeof(buf), "max");
        else
                snprintf(buf, sizeof(buf), "%lld", (long long)limit);
        r = cgroup_write_at(dirfd, "pids.max", buf);
        return r < 0 ? pfs_error_set(err, -r, "write %s to pids.max", buf) : 0;
}

int pod_cgroup_pids_limit(struct pod_cgroup *cg, int64_t limit, struct pfs_error *err)
{
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -1;
        const char *rel = strstr(cg->path, "/podfs/");
        int r;

        /* v2 with the pids controller, or the v1 driver on the pids hierarchy */
        if (faccessat(cg->dirfd, "pids.max", F_OK, 0) == 0)
                return pids_max_write(cg->dirfd, limit, err);
        dir = xasprintf("%s/pids%s", CGROUP_V1_ROOT, rel ? rel : "");
        if (!rel || !cgroup_is_v1_hierarchy(CGROUP_V1_ROOT "/pids"))
                return limit < 0 ? 0 : pfs_error_set(err, ENOTSUP, "no pids controller for the pod's cgroup");
        r = pfs_mkdir_p_at(AT_FDCWD, dir, 0755, err);
        if (r < 0)
                return r;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return pfs_error_set(err, errno, "open '%s'", dir);
        r = pids_max_write(fd, limit, err);
        if (r >= 0)
                cg->pids_twins = true;
        return r;
}

int pod_cgroup_child_pids(struct pod_cgroup *cg, const char *child, struct pfs_error *err)
{
        int fd;

        if (!cg || !cg->pids_twins)
                return 0;
        fd = pod_cgroup_twin_open(cg, "pids", child, err);
        if (fd < 0)
                return pfs_error_wrap(err, "pids cgroup of container '%s'", child);
        close(fd);
        return 0;
}
