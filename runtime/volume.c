/* The pod's volumes on the host: emptyDir directories under volumes_dir (tmpfs
 * for medium Memory), hostPath type checks as kubelet does them, and the
 * pod-wide /etc/hostname, /etc/hosts and /etc/resolv.conf files containers get. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include "security.h"
#include "pfs/downward.h"
#include "pfs/util.h"
#include "pfs/status.h"
#include "runtime.h"

static bool is_mount_point_at(int dirfd, const char *name)
{
        struct statx sx;
        struct stat a, b;
        _cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
                return false;
        /* STATX_ATTR_MOUNT_ROOT (5.8+) also sees a bind mount of the same filesystem. */
        if (statx(fd, "", AT_EMPTY_PATH, 0, &sx) == 0 && (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
                return sx.stx_attributes & STATX_ATTR_MOUNT_ROOT;
        if (fstat(fd, &a) < 0 || fstatat(fd, "..", &b, 0) < 0)
                return false;
        return a.st_dev != b.st_dev;
}

/* The pod's memory limit as its cgroup gets it: only when every container
 * sets one, the sum of the app containers', at least each init container's. */
static uint64_t pod_memory_limit(const struct pod_spec *spec)
{
        uint64_t sum = 0, v;

        for (size_t i = 0; i < spec->n_containers; i++) {
                if (!spec->containers[i].memory_limit ||
                    pod_quantity_bytes(spec->containers[i].memory_limit, &v) < 0)
                        return 0;
                sum += v;
        }
        for (size_t i = 0; i < spec->n_init_containers; i++) {
                if (!spec->init_containers[i].memory_limit ||
                    pod_quantity_bytes(spec->init_containers[i].memory_limit, &v) < 0)
                        return 0;
                if (v > sum)
                        sum = v;
        }
        return sum;
}

/* kubelet's calculateEmptyDirMemorySize: node allocatable memory, lowered to
 * the pod's memory limit, lowered to sizeLimit; never the kernel's default
 * tmpfs size (half the host's RAM). 0 only when nothing is known. */
uint64_t pod_empty_dir_memory_size(const struct pod_spec *spec, const struct pod_volume *v)
{
        uint64_t size = pod_node_allocatable_memory(), pod = pod_memory_limit(spec), lim = 0;

        if (pod > 0 && (size == 0 || pod <= size))
                size = pod;
        if (v->size_limit && pod_quantity_bytes(v->size_limit, &lim) == 0 && lim > 0 &&
            (size == 0 || lim <= size))
                size = lim;
        return size;
}

static int empty_dir_prepare(int vfd, const char *vdir, const struct pod_spec *spec, const struct pod_volume *v,
                             struct pfs_error *err)
{
        _cleanup_free_ char *path = NULL, *opts = NULL;
        uint64_t bytes = 0;

        /* kubelet makes emptyDir world-writable so any container user can use it. */
        if (mkdirat(vfd, v->name, 0777) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "emptyDir \"%s\": mkdir", v->name);
        if (fchmodat(vfd, v->name, 0777, AT_SYMLINK_NOFOLLOW) < 0 && errno != EOPNOTSUPP)
                return pfs_error_set(err, errno, "emptyDir \"%s\": chmod", v->name);
        if (!v->medium || strcmp(v->medium, "Memory") != 0 || is_mount_point_at(vfd, v->name))
                return 0;
        if (v->size_limit && pod_quantity_bytes(v->size_limit, &bytes) < 0)
                return pfs_error_set(err, EINVAL, "emptyDir \"%s\": invalid sizeLimit \"%s\"",
                                     v->name, v->size_limit);
        bytes = pod_empty_dir_memory_size(spec, v);
        opts = bytes ? xasprintf("mode=0777,size=%llu", (unsigned long long)bytes) : xstrdup("mode=0777");
        path = xasprintf("%s/%s", vdir, v->name);
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
                return pfs_error_set(err, errno, "emptyDir \"%s\": mount tmpfs on '%s'", v->name, path);
        return 0;
}

static int host_path_check(const char *path, const char *type, struct pfs_error *err)
{
        struct stat st;
        bool exists;
        const char *want;

        /* the API server lets it through (a Windows pod's C:\...); the node cannot mount it */
        if (path[0] != '/')
                return pfs_error_set(err, EINVAL, "hostPath \"%s\" is not an absolute path", path);
        exists = stat(path, &st) == 0;
        if (!type || !*type) {
                /* Like containerd's CRI: a missing bind source becomes a directory. */
                if (!exists)
                        return pfs_mkdir_p_at(AT_FDCWD, path, 0755, err);
                return 0;
        }
        if (!strcmp(type, "DirectoryOrCreate") && !exists)
                return pfs_mkdir_p_at(AT_FDCWD, path, 0755, err);
        if (!strcmp(type, "FileOrCreate") && !exists) {
                int fd = open(path, O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC, 0644);

                if (fd < 0)
                        return pfs_error_set(err, errno, "hostPath: create file %s", path);
                close(fd);
                return 0;
        }
        if (!strcmp(type, "Directory") || !strcmp(type, "DirectoryOrCreate")) {
                if (exists && S_ISDIR(st.st_mode))
                        return 0;
                want = "a directory";
        } else if (!strcmp(type, "File") || !strcmp(type, "FileOrCreate")) {
                if (exists && S_ISREG(st.st_mode))
                        return 0;
                want = "a file";
        } else if (!strcmp(type, "Socket")) {
                if (exists && S_ISSOCK(st.st_mode))
                        return 0;
                want = "a socket file";
        } else if (!strcmp(type, "CharDevice")) {
                if (exists && S_ISCHR(st.st_mode))
                        return 0;
                want = "a character device";
        } else if (!strcmp(type, "BlockDevice")) {
                if (exists && S_ISBLK(st.st_mode))
                        return 0;
                want = "a block device";
        } else {
                return pfs_error_set(err, EINVAL, "%s is an invalid volume type", type);
        }
        return pfs_error_set(err, exists ? EINVAL : ENOENT, "hostPath type check failed: %s is not %s",
                             path, want);
}

static int write_small_file_at(int dirfd, const char *name, const char *data, struct pfs_error *err)
{
        return pfs_write_file_sync_at(dirfd, name, data, strlen(data), 0644, PFS_SYNC_NONE, err);
}

/* The pod's managed /etc files, shared by its containers like kubelet's etc-hosts. */
static int etc_files_prepare(int vfd, const struct pod_spec *spec, struct pfs_error *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *hosts = NULL, *hostname = NULL, *resolv = NULL, *uts = NULL;
        char host[HOST_NAME_MAX + 1] = "";
        int r;

        if (mkdirat(vfd, POD_ETC_DIR, 0755) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "mkdir '%s'", POD_ETC_DIR);
        fd = openat(vfd, POD_ETC_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return pfs_error_set(err, errno, "open '%s'", POD_ETC_DIR);
        if (spec->host_network) {
                gethostname(host, sizeof(host) - 1);
                hostname = xasprintf("%s\n", host);
        } else {
                r = pod_uts_hostname(spec, &uts, err);
                if (r < 0)
                        return r;
                hostname = xasprintf("%s\n", uts);
        }
        /* etc_files.c: the pod's IP is added once its network is up */
        hosts = pod_hosts_content(spec, NULL, NULL);
        resolv = pod_resolv_content(spec);
        r = write_small_file_at(fd, "hosts", hosts, err);
        if (r >= 0)
                r = write_small_file_at(fd, "hostname", hostname, err);
        if (r >= 0)
                r = write_small_file_at(fd, "resolv.conf", resolv, err);
        return r;
}

/* One /dev/shm per pod, as the pause container's is shared in Kubernetes. */
static int shm_prepare(int vfd, const char *vdir, struct pfs_error *err)
{
        _cleanup_free_ char *path = NULL;

        if (mkdirat(vfd, POD_SHM_DIR, 01777) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "mkdir '%s'", POD_SHM_DIR);
        if (is_mount_point_at(vfd, POD_SHM_DIR))
                return 0;
        path = xasprintf("%s/%s", vdir, POD_SHM_DIR);
        if (mount("shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
                return pfs_error_set(err, errno, "mount the pod's /dev/shm on '%s'", path);
        return 0;
}

static void unmount_and_remove_at(int vfd, const char *vdir, const char *name)
{
        if (is_mount_point_at(vfd, name)) {
                _cleanup_free_ char *path = xasprintf("%s/%s", vdir, name);

                if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
                        return;         /* never delete below a mount we could not remove */
        }
        pfs_rm_rf_at(vfd, name, NULL);
}

int pod_volumes_prepare(const struct pod_spec *spec, const char *volumes_dir, struct pfs_error *err)
{
        _cleanup_close_ int vfd = -1;
        int r;

        r = pod_mount_ns_enter(err);
        if (r < 0)
                return r;
        r = pfs_mkdir_p_at(AT_FDCWD, volumes_dir, 0700, err);
        if (r < 0)
                return pfs_error_wrap(err, "volumes directory");
        vfd = open(volumes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (vfd < 0)
                return pfs_error_set(err, errno, "open '%s'", volumes_dir);
        /* Root only, like kubelet's pods dir: the world-writable emptyDirs and
         * the writable layers below hold what containers wrote (setuid
         * binaries too), which no host user may reach. (A resumed pod of an
         * older version had 0755.) */
        if (fchmod(vfd, 0700) < 0)
                return pfs_error_set(err, errno, "chmod '%s'", volumes_dir);
        for (size_t i = 0; i < spec->n_volumes; i++) {
                const struct pod_volume *v = &spec->volumes[i];

                if (v->kind == POD_VOLUME_EMPTY_DIR)
                        r = empty_dir_prepare(vfd, volumes_dir, spec, v, err) < 0 ? -1
                            : pod_volume_fs_group(vfd, spec, v->name, err);
                else if (v->kind == POD_VOLUME_HOST_PATH)
                        r = host_path_check(v->host_path, v->host_path_type, err);
                else
                        r = 0;  /* objects, claims, images: objvol.c and the container's start */
                if (r < 0)
                        return pfs_error_wrap(err, "MountVolume.SetUp failed for volume \"%s\"", v->name);
        }
        r = etc_files_prepare(vfd, spec, err);
        if (r < 0)
                return pfs_error_wrap(err, "pod /etc files");
        return shm_prepare(vfd, volumes_dir, err);
}

void pod_volumes_unmount(const char *volumes_dir)
{
        _cleanup_close_ int vfd = open(volumes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d;
        struct dirent *de;

        if (vfd < 0 || !(d = fdopendir(dup(vfd))))
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL;

                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !is_mount_point_at(vfd, de->d_name))
                        continue;
                path = xasprintf("%s/%s", volumes_dir, de->d_name);
                umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
        }
        closedir(d);
}

void pod_volumes_release(const struct pod_spec *spec, const char *volumes_dir)
{
        _cleanup_close_ int vfd = open(volumes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (vfd < 0)
                return;
        pod_volumes_unmount(volumes_dir);
        for (size_t i = 0; i < spec->n_volumes; i++) {
                /* a claim's bind is gone with the mount above (its data stays in the
                 * claim's dir); what remains is an empty mount point */
                if (spec->volumes[i].kind != POD_VOLUME_HOST_PATH)
                        unmount_and_remove_at(vfd, volumes_dir, spec->volumes[i].name);
        }
        unmount_and_remove_at(vfd, volumes_dir, POD_SHM_DIR);
        pfs_rm_rf_at(vfd, POD_ETC_DIR, NULL);
        pfs_rm_rf_at(vfd, POD_TERMINATION_DIR, NULL);
        pfs_rm_rf_at(vfd, POD_OVERLAY_DIR, NULL);
}
