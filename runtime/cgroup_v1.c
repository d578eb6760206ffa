/* cgroup v1 driver (pure v1 hosts): one hierarchy (freezer, else pids, else
 * systemd's named one) only to find the pod's processes. A container joins
 * podfs/<uid>/<container> itself right after clone (v1 has no
 * CLONE_INTO_CGROUP); kill_all freezes the tree, SIGKILLs every listed pid,
 * thaws, and repeats until it is empty (v1 has no populated event to wait on). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include "cgroup_internal.h"
#include "pfs/util.h"

static int v1_open(struct pod_cgroup *cg, struct pfs_error *err)
{
        return cgroup_pod_dir_open(cg, NULL, err);
}

static int v1_child_fd(struct pod_cgroup *cg, const char *child, struct pfs_error *err)
{
        return cgroup_mkdir_open_at(cg->dirfd, child, err);
}

static void sleep_ms(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

        nanosleep(&ts, NULL);
}

/* Freeze so nothing forks while we list; bounded: a task in D state may not freeze. */
static void freeze(struct pod_cgroup *cg)
{
        for (int i = 0; i < 200; i++) {
                char state[64];

                if (cgroup_write_at(cg->dirfd, "freezer.state", "FROZEN") < 0)
                        return;
                if (cgroup_read_at(cg->dirfd, "freezer.state", state, sizeof(state)) < 0 ||
                    strncmp(state, "FROZEN", 6) == 0)
                        return;
                sleep_ms(1);
        }
}

static int v1_kill_all(struct pod_cgroup *cg, struct pfs_error *err)
{
        int64_t deadline = pfs_now_monotonic_ns() + POD_CGROUP_KILL_TIMEOUT_MS * 1000000LL;
        long delay = 1;

        if (cg->freezer)
                freeze(cg);
        for (;;) {
                int n = cgroup_kill_listed_at(cg->dirfd);

                if (cg->freezer)
                        cgroup_write_at(cg->dirfd, "freezer.state", "THAWED");
                if (n == 0)
                        return 0;
                if (n < 0)
                        return pfs_error_set(err, -n, "list the processes of '%s'", cg->path);
                if (pfs_now_monotonic_ns() > deadline)
                        return pfs_error_set(err, ETIMEDOUT, "cgroup '%s' still has processes after %d ms",
                                             cg->path, POD_CGROUP_KILL_TIMEOUT_MS);
                sleep_ms(delay);
                if (delay < 50)
                        delay *= 2;
        }
}

const struct pod_cgroup_ops pod_cgroup_v1_ops = {
        .name = "v1",
        .open = v1_open,
        .child_fd = v1_child_fd,
        .kill_all = v1_kill_all,
};
