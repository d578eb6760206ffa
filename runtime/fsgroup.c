/* fsGroup on a volume's tree, as the kubelet's SetVolumeOwnership
 * (pkg/volume/volume_linux.go): every file and directory, the volume's own
 * directory too, gets the group fsGroup (symlinks included, not followed); a
 * directory also setgid and g+rwx (g+rx when the volume is read-only), a
 * file g+rw (g+r). With fsGroupChangePolicy OnRootMismatch nothing is walked
 * when the root has the group, those bits and setgid already. A failing
 * chown or chmod is logged and the walk goes on, as the kubelet's. Used for
 * persistentVolumeClaim data (the kubelet's local volumes: not when mounted
 * read-only); emptyDir and the AtomicWriter volumes have their own (security.c,
 * atomic_writer.c). hostPath is never changed. Each entry is opened anew
 * beneath the volume's directory with no symlink followed (openat2), and
 * changed through that descriptor: a pod that shares the claim cannot turn a
 * directory into a symlink under the walk and have the node's files changed. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pfs/util.h"
#include "security.h"
#include "syscalls.h"

#define RW_MASK 0660
#define RO_MASK 0440
#define EXEC_MASK 0110

/* nftw has no context argument: the walk's, one walk at a time */
static struct {
        int root_fd;
        size_t root_len;
        gid_t gid;
        mode_t mask;
} walk;

/* changeFilePermission on the entry at path (below the root), by descriptor */
static void change_one(const char *path)
{
        const char *rel = path[walk.root_len] == '/' ? path + walk.root_len + 1 : ".";
        _cleanup_close_ int fd = pfs_openat2(walk.root_fd, *rel ? rel : ".", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                                             RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
        char proc[64];
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0) {
                pfs_log(LOG_WARNING, "fsGroup: %s: %s", path, strerror(errno));
                return;
        }
        if (fchownat(fd, "", (uid_t)-1, walk.gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
                pfs_log(LOG_WARNING, "fsGroup: lchown %s: %s", path, strerror(errno));
        if (S_ISLNK(st.st_mode))
                return;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        if (chmod(proc, (st.st_mode & 07777) | walk.mask | (S_ISDIR(st.st_mode) ? S_ISGID | EXEC_MASK : 0)) < 0)
                pfs_log(LOG_WARNING, "fsGroup: chmod %s: %s", path, strerror(errno));
}

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if (type == FTW_NS || type == FTW_DNR)
                return -1;
        change_one(path);
        return 0;
}

/* requiresPermissionChange */
static bool root_mismatch(const char *dir, gid_t gid, mode_t mask)
{
        struct stat st;

        if (stat(dir, &st) < 0 || st.st_gid != gid || !S_ISDIR(st.st_mode))
                return true;
        mask |= EXEC_MASK;
        return (st.st_mode & mask) != mask || !(st.st_mode & S_ISGID);
}

int pod_volume_ownership(const char *dir, const struct pod_spec *spec, bool read_only, bool honour_policy,
                         struct pfs_error *err)
{
        const struct pod_security_context *sc = spec->security;
        int r;

        if (!sc || sc->fs_group < 0)
                return 0;
        walk.gid = (gid_t)sc->fs_group;
        walk.mask = read_only ? RO_MASK : RW_MASK;
        if (honour_policy && sc->fs_group_change_policy && !strcmp(sc->fs_group_change_policy, "OnRootMismatch") &&
            !root_mismatch(dir, walk.gid, walk.mask))
                return 0;
        walk.root_fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        walk.root_len = strlen(dir);
        if (walk.root_fd < 0)
                return pfs_error_set(err, errno, "set the fsGroup of '%s'", dir);
        r = nftw(dir, walk_one, 16, FTW_PHYS | FTW_MOUNT);
        close(walk.root_fd);
        if (r != 0)
                return pfs_error_set(err, errno ? errno : EIO, "set the fsGroup of '%s'", dir);
        return 0;
}
