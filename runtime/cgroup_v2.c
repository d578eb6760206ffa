/* cgroup v2 driver, also used for the unified hierarchy of the hybrid layout:
 * containers are cloned straight into podfs/<uid>/<container>
 * (CLONE_INTO_CGROUP), killed with cgroup.kill, and the end of the pod is
 * seen as "populated 0" in cgroup.events: poll(POLLPRI) on the file itself
 * wakes on each change (no inotify instance: a user has only 128, and
 * closing one costs an RCU grace period). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include "cgroup_internal.h"
#include "pfs/util.h"

/* Delegate what the parent offers (cpu, memory, pids, io, ...): best effort,
 * since a host may offer none (the hybrid layout's unified hierarchy). */
static void controllers_enable_at(int dirfd)
{
        char avail[1024], *save = NULL, *tok;

        if (cgroup_read_at(dirfd, "cgroup.controllers", avail, sizeof(avail)) < 0)
                return;
        for (tok = strtok_r(avail, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
                char buf[64];

                snprintf(buf, sizeof(buf), "+%s", tok);
                cgroup_write_at(dirfd, "cgroup.subtree_control", buf);
        }
}

static int v2_open(struct pod_cgroup *cg, struct pfs_error *err)
{
        int r = cgroup_pod_dir_open(cg, controllers_enable_at, err);

        if (r < 0)
                return r;
        controllers_enable_at(cg->dirfd);
        return 0;
}

static int v2_child_fd(struct pod_cgroup *cg, const char *child, struct pfs_error *err)
{
        /* A fresh cgroup when the last one is empty: one that went through
         * cgroup.kill may kill what is cloned into it (see pod_cgroup_kill_child). */
        unlinkat(cg->dirfd, child, AT_REMOVEDIR);
        return cgroup_mkdir_open_at(cg->dirfd, child, err);
}

/* 1 populated, 0 empty, -errno. Reading from offset 0 also re-arms POLLPRI. */
static int populated(int fd)
{
        char ev[256];
        const char *p;
        ssize_t n = pread(fd, ev, sizeof(ev) - 1, 0);

        if (n < 0)
                return errno == ENODEV || errno == ENOENT ? -ENOENT : -errno;
        ev[n] = '\0';
        p = strstr(ev, "populated ");
        return p ? p[10] == '1' : -EINVAL;
}

static int v2_kill_all(struct pod_cgroup *cg, struct pfs_error *err)
{
        _cleanup_close_ int fd = openat(cg->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        int64_t deadline = pfs_now_monotonic_ns() + POD_CGROUP_KILL_TIMEOUT_MS * 1000000LL;
        bool have_kill;

        if (fd < 0)
                return errno == ENOENT ? 0 : pfs_error_set(err, errno, "open '%s/cgroup.events'", cg->path);
        /* cgroup.kill (5.14+) kills the whole subtree atomically, forks
         * included; before it, kill what is listed every 10 ms. */
        have_kill = cgroup_write_at(cg->dirfd, "cgroup.kill", "1") == 0;
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLPRI };
                int64_t left;
                int pop;

                if (!have_kill)
                        cgroup_kill_listed_at(cg->dirfd);
                pop = populated(fd);
                if (pop == 0 || pop == -ENOENT)
                        return 0;
                if (pop < 0)
                        return pfs_error_set(err, -pop, "read '%s/cgroup.events'", cg->path);
                left = (deadline - pfs_now_monotonic_ns()) / 1000000;
                if (left <= 0)
                        return pfs_error_set(err, ETIMEDOUT, "cgroup '%s' still has processes after %d ms",
                                             cg->path, POD_CGROUP_KILL_TIMEOUT_MS);
                if (poll(&pfd, 1, have_kill ? (int)left : 10) < 0 && errno != EINTR)
                        return pfs_error_set(err, errno, "poll");
        }
}

const struct pod_cgroup_ops pod_cgroup_v2_ops = {
        .name = "v2",
        .open = v2_open,
        .child_fd = v2_child_fd,
        .kill_all = v2_kill_all,
};
