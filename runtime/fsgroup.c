/* fsGroup on a volume's tree, as the kubelet's SetVolumeOwnership
 * (pkg/volume/volume_linux.go): every file and directory, the volume's own
 * directory too, gets the group fsGroup (symlinks included, not followed); a
 * directory also setgid and g+rwx (g+rx when the volume is read-only), a
 * file g+rw (g+r). With fsGroupChangePolicy OnRootMismatch nothing is walked
 * when the root has the group, those bits and setgid already. A failing
 * chown or chmod is logged and the walk goes on, as the kubelet's. Used for
 * persistentVolumeClaim data (the kubelet's local volumes: not when mounted
 * read-only); emptyDir and the AtomicWriter volumes have their own (security.c,
 * atomic_writer.c). hostPath is never changed. */
#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pfs/util.h"
#include "security.h"

#define RW_MASK 0660
#define RO_MASK 0440
#define EXEC_MASK 0110

/* nftw has no context argument: the walk's, one walk at a time */
static struct {
        gid_t gid;
        mode_t mask;
} walk;

static int walk_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)ftw;
        if (type == FTW_NS || type == FTW_DNR)
                return -1;
        if (lchown(path, (uid_t)-1, walk.gid) < 0)
                pfs_log(LOG_WARNING, "fsGroup: lchown %s: %s", path, strerror(errno));
        if (type == FTW_SL || type == FTW_SLN)
                return 0;
        if (chmod(path, (st->st_mode & 07777) | walk.mask | (S_ISDIR(st->st_mode) ? S_ISGID | EXEC_MASK : 0)) < 0)
                pfs_log(LOG_WARNING, "fsGroup: chmod %s: %s", path, strerror(errno));
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

        if (!sc || sc->fs_group < 0)
                return 0;
        walk.gid = (gid_t)sc->fs_group;
        walk.mask = read_only ? RO_MASK : RW_MASK;
        if (honour_policy && sc->fs_group_change_policy && !strcmp(sc->fs_group_change_policy, "OnRootMismatch") &&
            !root_mismatch(dir, walk.gid, walk.mask))
                return 0;
        if (nftw(dir, walk_one, 16, FTW_PHYS | FTW_MOUNT) != 0)
                return pfs_error_set(err, errno ? errno : EIO, "set the fsGroup of '%s'", dir);
        return 0;
}
