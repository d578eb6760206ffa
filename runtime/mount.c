/* The container's root, built in the child's own mount namespace: rootfs (a
 * writable overlay on the image), /proc, a minimal /dev, /sys, volumes,
 * pivot_root. The rootfs is hostile input: every target is resolved inside it
 * (openat2 RESOLVE_IN_ROOT) and mounted through its /proc/self/fd path, so a
 * symlink cannot lead out; the kernel's filesystems (/proc, /dev, /sys) go on
 * ordinary directories only, as runc requires, and every failure is an error:
 * a container never runs with a mask silently missing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "mount.h"
#include "pfs/util.h"
#include "syscalls.h"

#define RESOLVE_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
/* For the kernel's filesystems: no symlink on the way at all. */
#define RESOLVE_STRICT (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS)

struct fdpath {
        char s[32];
};

static const char *fd_path(struct fdpath *p, int fd)
{
        snprintf(p->s, sizeof(p->s), "/proc/self/fd/%d", fd);
        return p->s;
}

static int open_in_root_how(int rootfd, const char *path, int flags, uint64_t resolve)
{
        return pfs_openat2(rootfd, path, O_PATH | O_CLOEXEC | flags, 0, resolve);
}

static int open_in_root(int rootfd, const char *path, int flags)
{
        return open_in_root_how(rootfd, path, flags, RESOLVE_ROOT);
}

/* hostUsers: false: what the runtime creates in the container's root (mount
 * points, /dev's directories) is the pod root's, host uid H, as runc creates
 * it from inside the user namespace; not what it creates in a volume. */
static struct {
        int rootfd;     /* the container's root, -1 when not in a user namespace */
        uid_t host;
} created_owner = { -1, 0 };

static void created_chown(int rootfd, int dirfd, const char *name)
{
        if (created_owner.rootfd >= 0 && rootfd == created_owner.rootfd)
                (void)fchownat(dirfd, name, created_owner.host, (gid_t)created_owner.host, AT_SYMLINK_NOFOLLOW);
}

/* mkdir -p PATH inside the root, resolving with RESOLVE; returns an O_PATH fd of the directory. */
static int mkdir_in_root_how(int rootfd, const char *path, uint64_t resolve, struct pfs_error *err)
{
        char buf[PATH_MAX];
        size_t len = strlen(path), i = 0;
        int fd = open_in_root_how(rootfd, "/", O_DIRECTORY, resolve);

        if (len >= sizeof(buf) || fd < 0) {
                if (fd >= 0)
                        close(fd);
                return pfs_error_set(err, len >= sizeof(buf) ? ENAMETOOLONG : errno, "resolve '%s'", path);
        }
        memcpy(buf, path, len + 1);
        while (i < len) {
                size_t start, end;
                int next;

                while (buf[i] == '/')
                        i++;
                if (!buf[i])
                        break;
                start = i;
                while (buf[i] && buf[i] != '/')
                        i++;
                end = i;
                buf[end] = '\0';
                next = open_in_root_how(rootfd, buf, O_DIRECTORY, resolve);
                if (next < 0 && errno == ENOENT) {
                        if (mkdirat(fd, buf + start, 0755) < 0 && errno != EEXIST) {
                                close(fd);
                                return pfs_error_set(err, errno, "mkdir '%s' in the container root", buf);
                        }
                        created_chown(rootfd, fd, buf + start);
                        next = open_in_root_how(rootfd, buf, O_DIRECTORY, resolve);
                }
                if (next < 0) {
                        close(fd);
                        return pfs_error_set(err, errno, "resolve '%s' in the container root", buf);
                }
                close(fd);
                fd = next;
                if (end < len)
                        buf[end] = '/';
        }
        return fd;
}

static int mkdir_in_root(int rootfd, const char *path, struct pfs_error *err)
{
        return mkdir_in_root_how(rootfd, path, RESOLVE_ROOT, err);
}

/* Create the file PATH inside the root if missing; returns an O_PATH fd of it. */
static int mkfile_in_root(int rootfd, const char *path, struct pfs_error *err)
{
        char dir[PATH_MAX];
        const char *base = strrchr(path, '/');
        _cleanup_close_ int dfd = -1;
        int fd;

        fd = open_in_root(rootfd, path, 0);
        if (fd >= 0 || errno != ENOENT || !base || (size_t)(base - path) >= sizeof(dir))
                return fd >= 0 ? fd : pfs_error_set(err, errno, "resolve '%s' in the container root", path);
        memcpy(dir, path, (size_t)(base - path));
        dir[base - path] = '\0';
        dfd = mkdir_in_root(rootfd, *dir ? dir : "/", err);
        if (dfd < 0)
                return dfd;
        if (mknodat(dfd, base + 1, S_IFREG | 0644, 0) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "create '%s' in the container root", path);
        created_chown(rootfd, dfd, base + 1);
        fd = open_in_root(rootfd, path, 0);
        if (fd < 0)
                return pfs_error_set(err, errno, "resolve '%s' in the container root", path);
        return fd;
}

static int mount_at_fd(const char *src, int fd, const char *fstype, unsigned long flags, const char *data,
                       const char *what, struct pfs_error *err)
{
        struct fdpath p;

        if (mount(src, fd_path(&p, fd), fstype, flags, data) < 0)
                return pfs_error_set(err, errno, "mount %s", what);
        return 0;
}

/* Make the mount now at PATH (inside the root) read-only, recursively. */
static int remount_ro_in_root_how(int rootfd, const char *path, bool nosuid_nodev, struct pfs_error *err)
{
        struct pfs_mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
        _cleanup_close_ int fd = open_in_root(rootfd, path, 0);
        struct fdpath p;

        if (fd < 0)
                return pfs_error_set(err, errno, "reopen '%s'", path);
        if (nosuid_nodev)
                attr.attr_set |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
        if (pfs_mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr) == 0)
                return 0;
        if (errno != ENOSYS)
                return pfs_error_set(err, errno, "make '%s' read-only", path);
        if (mount(NULL, fd_path(&p, fd), NULL,
                  MS_REMOUNT | MS_BIND | MS_RDONLY | (nosuid_nodev ? MS_NOSUID | MS_NODEV : 0), NULL) < 0)
                return pfs_error_set(err, errno, "remount '%s' read-only", path);
        return 0;
}

static int remount_ro_in_root(int rootfd, const char *path, struct pfs_error *err)
{
        return remount_ro_in_root_how(rootfd, path, false, err);
}

/* The directory a kernel filesystem goes on: an ordinary directory of the
 * image (or created), never reached through a symlink (runc refuses it too:
 * /proc -> elsewhere would leave procfs where the masks below do not look). */
static int fs_target_open(int rootfd, const char *target, const char *fstype, struct pfs_error *err)
{
        int fd = mkdir_in_root_how(rootfd, target, RESOLVE_STRICT, err);

        if (fd < 0 && (err->code == ELOOP || err->code == ENOTDIR))
                return pfs_error_set(err, err->code,
                                     "error mounting \"%s\" to rootfs at \"%s\": filesystem \"%s\" must be "
                                     "mounted on ordinary directory", fstype, target, fstype);
        return fd;
}

static int mount_fs_in_root(int rootfd, const char *target, const char *src, const char *fstype,
                            unsigned long flags, const char *data, struct pfs_error *err)
{
        _cleanup_close_ int fd = fs_target_open(rootfd, target, fstype, err);

        if (fd < 0)
                return fd;
        return mount_at_fd(src, fd, fstype, flags, data, target, err);
}

/* mknod where allowed, else (a devices cgroup or user namespace says no) a
 * bind of the host's node onto an empty file. */
static int dev_node(int devfd, const char *name, unsigned int maj, unsigned int min, struct pfs_error *err)
{
        _cleanup_close_ int dst = -1;
        char host[64];
        struct fdpath p;

        if (mknodat(devfd, name, S_IFCHR | 0666, makedev(maj, min)) == 0) {
                if (fchmodat(devfd, name, 0666, 0) < 0)
                        return pfs_error_set(err, errno, "chmod /dev/%s", name);
                return 0;
        }
        if (errno != EPERM)
                return pfs_error_set(err, errno, "mknod /dev/%s", name);
        dst = openat(devfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (dst < 0)
                return pfs_error_set(err, errno, "create /dev/%s", name);
        snprintf(host, sizeof(host), "/dev/%s", name);
        if (mount(host, fd_path(&p, dst), NULL, MS_BIND, NULL) < 0)
                return pfs_error_set(err, errno, "bind the host's /dev/%s", name);
        /* read-only: the device still reads and writes, but a container's
         * chmod/chown would otherwise change the host's node (the name, looked
         * up again, is the bind mount now; dst is the file under it) */
        close(steal_fd(&dst));
        dst = openat(devfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (dst < 0 || mount(NULL, fd_path(&p, dst), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
                             NULL) < 0)
                return pfs_error_set(err, errno, "make the bind of the host's /dev/%s read-only", name);
        return 0;
}

/* A tmpfs of the container's: in a user namespace, its root's (runc mounts
 * them from inside the namespace). */
static const char *tmpfs_opts(const struct ctr_root *root, const char *opts, char buf[static 96])
{
        if (!root->userns)
                return opts;
        snprintf(buf, 96, "%s,uid=%u,gid=%u", opts, (unsigned)root->userns_host, (unsigned)root->userns_host);
        return buf;
}

/* tmpfs /dev with the OCI default devices, pts, shm, mqueue and the fd links. */
static int dev_setup(int rootfd, const struct ctr_root *root, struct pfs_error *err)
{
        static const struct { const char *name; unsigned int maj, min; } nodes[] = {
                { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
                { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
        };
        static const struct { const char *name, *to; } links[] = {
                { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" },
                { "stdout", "/proc/self/fd/1" }, { "stderr", "/proc/self/fd/2" },
                { "ptmx", "pts/ptmx" }, { "core", "/proc/kcore" },
        };
        _cleanup_close_ int devfd = -1;
        char buf[96];
        int r;

        r = mount_fs_in_root(rootfd, "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
                             tmpfs_opts(root, "mode=755,size=65536k", buf), err);
        if (r < 0)
                return r;
        /* The fresh tmpfs is ours: plain *at() calls below it are safe. */
        devfd = pfs_openat2(rootfd, "/dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_STRICT);
        if (devfd < 0)
                return pfs_error_set(err, errno, "open /dev");
        for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
                r = dev_node(devfd, nodes[i].name, nodes[i].maj, nodes[i].min, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ARRAY_SIZE(links); i++)
                if (symlinkat(links[i].to, devfd, links[i].name) < 0)
                        return pfs_error_set(err, errno, "symlink /dev/%s", links[i].name);
        /* runc's: group tty (5) owns the terminals; where gid 5 does not exist
         * (a user namespace without it) the kernel refuses it: without gid=, as runc rootless */
        r = mount_fs_in_root(rootfd, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                             "newinstance,ptmxmode=0666,mode=0620,gid=5", err);
        if (r < 0 && err->code == EINVAL) {
                pfs_error_clear(err);
                r = mount_fs_in_root(rootfd, "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
                                     "newinstance,ptmxmode=0666,mode=0620", err);
        }
        if (r < 0)
                return r;
        /* Private unless the pod's shared /dev/shm is bound over it (see ctr_spawn). */
        r = mount_fs_in_root(rootfd, "/dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                             tmpfs_opts(root, "mode=1777,size=65536k", buf), err);
        if (r < 0)
                return r;
        r = mount_fs_in_root(rootfd, "/dev/mqueue", "mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                             NULL, err);
        if (r < 0 && err->code == ENODEV) {
                pfs_error_clear(err);   /* optional: not every kernel has POSIX mqueues */
                return 0;
        }
        return r;
}

static int sys_setup(int rootfd, bool rw, struct pfs_error *err)
{
        _cleanup_close_ int fd = fs_target_open(rootfd, "/sys", "sysfs", err);
        int r;

        if (fd < 0)
                return fd;
        if (mount_at_fd("sysfs", fd, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | (rw ? 0 : MS_RDONLY), NULL,
                        "sysfs", err) == 0)
                return 0;
        pfs_error_clear(err);
        /* sysfs may be refused (e.g. hostNetwork in a user namespace): bind the host's. */
        r = mount_at_fd("/sys", fd, NULL, MS_BIND | MS_REC, NULL, "/sys (bind)", err);
        if (r < 0 || rw)
                return r;
        return remount_ro_in_root(rootfd, "/sys", err);
}

/* The OCI runtime-spec defaults containerd applies: hide what leaks host state,
 * make the kernel's knobs read-only. */
static const char *const masked_paths[] = {
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
        "/sys/firmware", "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* Under /proc and /sys, which we just mounted: only the kernel's own entries.
 * *RET_FD is -1 when this kernel has no such entry (nothing to protect). */
static int kernel_path_open(int rootfd, const char *path, int *ret_fd, struct stat *st, struct pfs_error *err)
{
        _cleanup_close_ int fd = open_in_root_how(rootfd, path, O_NOFOLLOW, RESOLVE_STRICT);

        if (fd < 0 && errno == ENOENT) {
                *ret_fd = -1;
                return 0;
        }
        if (fd < 0 || fstat(fd, st) < 0)
                return pfs_error_set(err, errno, "open '%s' in the container root", path);
        *ret_fd = steal_fd(&fd);
        return 0;
}

static int mask_path(int rootfd, const char *path, struct pfs_error *err)
{
        _cleanup_close_ int fd = -1, null = -1;
        struct fdpath p, q;
        struct stat st;
        int r;

        r = kernel_path_open(rootfd, path, &fd, &st, err);
        if (r < 0 || fd < 0)
                return r;
        if (S_ISDIR(st.st_mode))
                return mount_at_fd("tmpfs", fd, "tmpfs", MS_RDONLY, "size=0", path, err);
        null = open_in_root(rootfd, "/dev/null", O_NOFOLLOW);
        if (null < 0)
                return pfs_error_set(err, errno, "open /dev/null");
        if (mount(fd_path(&p, null), fd_path(&q, fd), NULL, MS_BIND, NULL) < 0)
                return pfs_error_set(err, errno, "mask %s", path);
        return 0;
}

static int readonly_path(int rootfd, const char *path, struct pfs_error *err)
{
        _cleanup_close_ int fd = -1;
        struct fdpath p;
        struct stat st;
        int r;

        r = kernel_path_open(rootfd, path, &fd, &st, err);
        if (r < 0 || fd < 0)
                return r;
        if (mount(fd_path(&p, fd), p.s, NULL, MS_BIND | MS_REC, NULL) < 0)
                return pfs_error_set(err, errno, "bind %s", path);
        return remount_ro_in_root(rootfd, path, err);
}

static int kernel_paths_protect(int rootfd, struct pfs_error *err)
{
        int r = 0;

        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(masked_paths); i++)
                r = mask_path(rootfd, masked_paths[i], err);
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(readonly_paths); i++)
                r = readonly_path(rootfd, readonly_paths[i], err);
        return r;
}

static bool root_has_etc(int rootfd)
{
        struct stat st;
        _cleanup_close_ int fd = open_in_root(rootfd, "/etc", 0);

        return fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The bind source: SOURCE, or SUB_PATH below it without leaving it (created as
 * a directory when missing, like kubelet's subPath). Returns an O_PATH fd. */
static int bind_source_open(const struct ctr_mount *m, struct pfs_error *err)
{
        _cleanup_close_ int base = open(m->source, O_PATH | O_CLOEXEC);
        int fd;

        if (base < 0)
                return pfs_error_set(err, errno, "open volume source '%s'", m->source);
        if (!m->sub_path || !*m->sub_path)
                return steal_fd(&base);
        fd = pfs_openat2(base, m->sub_path, O_PATH | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        if (fd < 0 && errno == ENOENT) {
                /* Create below the resolved base only; a symlink escaping it is refused below. */
                int dfd = mkdir_in_root(base, m->sub_path, err);

                if (dfd < 0)
                        return pfs_error_wrap(err, "subPath \"%s\"", m->sub_path);
                close(dfd);
                fd = pfs_openat2(base, m->sub_path, O_PATH | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        }
        if (fd < 0)
                return pfs_error_set(err, errno, "subPath \"%s\" of '%s'%s", m->sub_path, m->source,
                                     errno == EXDEV ? ": it leaves the volume" : "");
        return fd;
}

/* hostUsers: false: the same bind, idmapped with the pod's mapping. */
static int bind_idmapped(const struct ctr_root *root, int src, int dst, const struct ctr_mount *m,
                         struct pfs_error *err)
{
        _cleanup_close_ int tree = ctr_idmap_clone(src, m->source, root->userns_fd, err);

        if (tree < 0)
                return tree;
        return ctr_idmap_attach(tree, dst, m->target, err);
}

static int bind_mount(int rootfd, const struct ctr_root *root, const struct ctr_mount *m, struct pfs_error *err)
{
        _cleanup_close_ int src = -1, dst = -1;
        struct fdpath p, q;
        struct stat st;

        if (m->if_etc && !root_has_etc(rootfd))
                return 0;
        if (m->optional && access(m->source, F_OK) < 0)
                return 0;
        src = bind_source_open(m, err);
        if (src < 0)
                return src;
        if (fstat(src, &st) < 0)
                return pfs_error_set(err, errno, "stat '%s'", m->source);
        dst = S_ISDIR(st.st_mode) ? mkdir_in_root(rootfd, m->target, err) : mkfile_in_root(rootfd, m->target, err);
        if (dst < 0)
                return dst;
        if (root->userns) {
                int r = bind_idmapped(root, src, dst, m, err);

                if (r < 0)
                        return r;
        } else if (mount(fd_path(&p, src), fd_path(&q, dst), NULL, MS_BIND | MS_REC, NULL) < 0) {
                return pfs_error_set(err, errno, "bind '%s' on '%s'", m->source, m->target);
        }
        if (!m->read_only)
                return 0;
        return remount_ro_in_root_how(rootfd, m->target, m->nosuid_nodev, err);
}

static int pivot(const char *rootfs, struct pfs_error *err)
{
        /* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves the new. */
        if (chdir(rootfs) < 0)
                return pfs_error_set(err, errno, "chdir '%s'", rootfs);
        if (pfs_pivot_root(".", ".") < 0)
                return pfs_error_set(err, errno, "pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                return pfs_error_set(err, errno, "detach the old root");
        if (chdir("/") < 0)
                return pfs_error_set(err, errno, "chdir /");
        return 0;
}

/* "volatile" (Linux 5.10): the layer is never synced to the filesystem
 * below, so its unmount, when the container's last process exits, does not
 * wait for a sync of the state dir's filesystem (ms at every container end).
 * Nothing is lost: a layer lives for one run (the next one starts from a
 * fresh one, overlay_build), and a crash ends the run anyway. An older
 * kernel refuses the option: then without it. */
static int overlay_mount(const char *target, const char *opts)
{
        _cleanup_free_ char *volatile_opts = xasprintf("%s,volatile", opts);

        if (mount("overlay", target, "overlay", 0, volatile_opts) == 0)
                return 0;
        if (errno != EINVAL)
                return -1;
        return mount("overlay", target, "overlay", 0, opts);
}

/* The writable layer over the image, also the mount point pivot_root needs.
 * No fallback: binding the image itself would let the pod change an image
 * that other pods share. */
static const char *root_mount(const struct ctr_root *root, struct pfs_error *err)
{
        if (!root->merged_dir || !root->overlay_opts) {
                pfs_error_set(err, EINVAL, "no writable layer for the image '%s'", root->rootfs);
                return NULL;
        }
        if (root->userns && ctr_idmap_bind_path(root->rootfs, root->lower_dir, root->userns_fd, err) < 0)
                return NULL;
        if (overlay_mount(root->merged_dir, root->overlay_opts) < 0) {
                int e = errno;

                pfs_error_set(err, e, "mount the container's writable layer (overlay on the image '%s'): %s",
                              root->rootfs, strerror(e));
                return NULL;
        }
        return root->merged_dir;
}

int ctr_root_setup(const struct ctr_root *root, struct pfs_error *err)
{
        _cleanup_close_ int rootfd = -1;
        const char *top;
        int r;

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return pfs_error_set(err, errno, "make / private");
        top = root_mount(root, err);
        if (!top)
                return -err->code;
        rootfd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return pfs_error_set(err, errno, "open '%s'", top);
        if (root->userns) {
                created_owner.rootfd = rootfd;
                created_owner.host = (uid_t)root->userns_host;
        }
        r = mount_fs_in_root(rootfd, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
        if (r >= 0)
                r = dev_setup(rootfd, root, err);
        if (r >= 0 && root->privileged)
                r = ctr_host_devices(rootfd, err);
        if (r >= 0)
                r = sys_setup(rootfd, root->privileged, err);
        if (r >= 0 && !root->privileged && !root->unmasked)
                r = kernel_paths_protect(rootfd, err);
        for (size_t i = 0; r >= 0 && i < root->n_mounts; i++)
                r = bind_mount(rootfd, root, &root->mounts[i], err);
        if (r >= 0 && root->read_only_root &&
            mount(NULL, top, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
                r = pfs_error_set(err, errno, "make the root filesystem read-only");
        if (r < 0)
                return r;
        return pivot(top, err);
}
