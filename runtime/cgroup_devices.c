/* Which devices a container may use: what runc gives a container, deny
 * everything but the OCI default devices (plus mknod, which alone opens
 * nothing). CAP_MKNOD stays in the default capability set, as containerd
 * keeps it: the cgroup is the guard, for the container's processes and for
 * every exec probe or hook child, which run in the container's cgroup.
 *
 * Where it goes: the v1 devices controller when the host has one (pure v1,
 * and the hybrid layout), as "devices.deny a" + devices.allow lines in a twin
 * of the container's cgroup; and on cgroup v2 (pure v2, and the hybrid
 * layout's unified hierarchy) a BPF_CGROUP_DEVICE program on the container's
 * cgroup. On the hybrid layout both: the kernel asks the program of the
 * task's cgroup2 cgroup and then the v1 controller, and a process must pass
 * both; the program also covers an exec child from the moment it is cloned
 * into the container's cgroup (CLONE_INTO_CGROUP), before it joins the v1
 * twins. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>
#include "cgroup_devices.h"
#include "cgroup_internal.h"
#include "pfs/util.h"

#define DEV(t, maj, min, acc) { .type = (t), .major = (maj), .minor = (min), .access = (acc) }

const struct pod_device_rule pod_device_rules_default[] = {
        DEV('c', POD_DEV_ANY, POD_DEV_ANY, POD_DEV_MKNOD),
        DEV('b', POD_DEV_ANY, POD_DEV_ANY, POD_DEV_MKNOD),
        DEV('c', 1, 3, POD_DEV_RWM),                    /* /dev/null */
        DEV('c', 1, 5, POD_DEV_RWM),                    /* /dev/zero */
        DEV('c', 1, 7, POD_DEV_RWM),                    /* /dev/full */
        DEV('c', 1, 8, POD_DEV_RWM),                    /* /dev/random */
        DEV('c', 1, 9, POD_DEV_RWM),                    /* /dev/urandom */
        DEV('c', 5, 0, POD_DEV_RWM),                    /* /dev/tty */
        DEV('c', 5, 1, POD_DEV_RWM),                    /* /dev/console */
        DEV('c', 5, 2, POD_DEV_RWM),                    /* /dev/ptmx */
        DEV('c', 136, POD_DEV_ANY, POD_DEV_RWM),        /* /dev/pts/N */
};
const size_t pod_device_rules_default_n = ARRAY_SIZE(pod_device_rules_default);

static void id_format(char *buf, size_t size, int64_t id)
{
        if (id == POD_DEV_ANY)
                snprintf(buf, size, "*");
        else
                snprintf(buf, size, "%" PRId64, id);
}

int pod_device_rule_format(const struct pod_device_rule *r, char *buf, size_t size)
{
        char maj[24], min[24], acc[4];
        size_t k = 0;
        int n;

        id_format(maj, sizeof(maj), r->major);
        id_format(min, sizeof(min), r->minor);
        if (r->access & POD_DEV_READ)
                acc[k++] = 'r';
        if (r->access & POD_DEV_WRITE)
                acc[k++] = 'w';
        if (r->access & POD_DEV_MKNOD)
                acc[k++] = 'm';
        acc[k] = '\0';
        n = r->type == 'a' ? snprintf(buf, size, "a") : snprintf(buf, size, "%c %s:%s %s", r->type, maj, min, acc);
        return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* v1: a fresh twin denies everything, then allows the rules. */
static int devices_v1_apply(const struct pod_cgroup *cg, const char *child, const struct pod_device_rule *rules,
                            size_t n, struct pfs_error *err)
{
        _cleanup_close_ int fd = pod_cgroup_twin_open(cg, "devices", child, err);
        char line[64];
        int r;

        if (fd < 0)
                return fd;
        r = cgroup_write_at(fd, "devices.deny", "a");
        if (r < 0)
                return pfs_error_set(err, -r, "write \"a\" to devices.deny");
        for (size_t i = 0; i < n; i++) {
                pod_device_rule_format(&rules[i], line, sizeof(line));
                r = cgroup_write_at(fd, "devices.allow", line);
                if (r < 0)
                        return pfs_error_set(err, -r, "write \"%s\" to devices.allow", line);
        }
        return 0;
}

static int devices_v2_apply(const struct pod_cgroup *cg, const char *child, const struct pod_device_rule *rules,
                            size_t n, struct pfs_error *err)
{
        _cleanup_close_ int fd = openat(cg->dirfd, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return pfs_error_set(err, errno, "open cgroup '%s'", child);
        return pod_device_prog_attach(fd, rules, n, err);
}

/* A privileged container: every device, as runc gives it. */
static const struct pod_device_rule rules_all[] = { DEV('a', POD_DEV_ANY, POD_DEV_ANY, POD_DEV_RWM) };

static int child_devices(struct pod_cgroup *cg, const char *child, const struct pod_device_rule *rules, size_t n,
                         struct pfs_error *err)
{
        bool v1 = cgroup_is_v1_hierarchy(CGROUP_V1_ROOT "/devices");
        int r = 0;

        if (!cg)
                return pfs_error_set(err, ENOTSUP, "the pod has no cgroup to confine its devices");
        if (!v1 && cg->ops != &pod_cgroup_v2_ops)
                return pfs_error_set(err, ENOTSUP, "no devices controller and no cgroup2 hierarchy");
        if (v1)
                r = devices_v1_apply(cg, child, rules, n, err);
        /* Everything allowed needs no program (and the verifier refuses one whose deny is unreachable). */
        if (r >= 0 && cg->ops == &pod_cgroup_v2_ops && rules != rules_all) {
                struct pfs_error e2 = { 0 };

                r = devices_v2_apply(cg, child, rules, n, &e2);
                /* With the v1 controller in place the program only adds depth. */
                if (r < 0 && v1) {
                        pfs_log(LOG_WARNING, "container cgroup '%s': %s (the v1 devices controller guards it)",
                                child, e2.msg);
                        r = 0;
                } else if (r < 0) {
                        pfs_error_set(err, e2.code, "%s", e2.msg);
                }
        }
        return r < 0 ? pfs_error_wrap(err, "device policy of container cgroup '%s'", child) : 0;
}

int pod_cgroup_child_devices(struct pod_cgroup *cg, const char *child, struct pfs_error *err)
{
        return child_devices(cg, child, pod_device_rules_default, pod_device_rules_default_n, err);
}

int pod_cgroup_child_devices_all(struct pod_cgroup *cg, const char *child, struct pfs_error *err)
{
        return child_devices(cg, child, rules_all, ARRAY_SIZE(rules_all), err);
}
