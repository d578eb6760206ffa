/* The kubelet's AtomicWriter layout of a configMap, secret, downwardAPI or
 * projected volume: the files live in a "..<timestamp>" directory, "..data"
 * is a symlink to it, and each top-level path of the payload is a symlink
 * "<path> -> ..data/<path>". An update writes a new timestamp directory,
 * renames a fresh "..data_tmp" symlink over "..data" (one atomic step: a
 * reader sees the old set or the new set, never a mix), then removes the old
 * directory and the top-level paths the new payload no longer has. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "objvol.h"
#include "pfs/util.h"

#define DATA_DIR "..data"
#define DATA_TMP "..data_tmp"

/* "..2026_12_01_03_50_35.<random>", made 0755 whatever the umask. */
static int ts_dir_make(int dirfd, char name[static 64], struct pfs_error *err)
{
        time_t now = time(NULL);
        struct tm tm;
        char stamp[32];

        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "..%Y_%m_%d_%H_%M_%S.", &tm);
        for (int tries = 0; tries < 100; tries++) {
                uint32_t r = 0;

                if (getrandom(&r, sizeof(r), 0) != sizeof(r))
                        r = (uint32_t)rand();
                snprintf(name, 64, "%s%u", stamp, r);
                if (mkdirat(dirfd, name, 0755) == 0) {
                        fchmodat(dirfd, name, 0755, 0);
                        return 0;
                }
                if (errno != EEXIST)
                        return pfs_error_set(err, errno, "mkdir '%s'", name);
        }
        return pfs_error_set(err, EEXIST, "no free timestamp directory name");
}

/* SetVolumeOwnership's changeFilePermission for a read-only volume (roMask):
 * name in dirfd gets the group; a directory setgid, g+rx; a file g+r; a
 * symlink only the group. */
static int owner_set(int dirfd, const char *name, const struct objvol_payload *p, struct pfs_error *err)
{
        struct stat st;
        mode_t mask;

        if (!p->has_fs_group)
                return 0;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            fchownat(dirfd, name, (uid_t)-1, p->fs_group, AT_SYMLINK_NOFOLLOW) < 0)
                return pfs_error_set(err, errno, "set the fsGroup of '%s'", name);
        if (S_ISLNK(st.st_mode))
                return 0;
        mask = S_ISDIR(st.st_mode) ? 0440 | S_ISGID | 0110 : 0440;
        if (fchmodat(dirfd, name, (st.st_mode & 07777) | mask, 0) < 0)
                return pfs_error_set(err, errno, "chmod '%s'", name);
        return 0;
}

/* Each parent directory of path (inside dirfd) gets the fsGroup. */
static int parents_owner_set(int dirfd, const char *path, const struct objvol_payload *p, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xstrdup(path);
        int r = 0;

        for (char *slash = strchr(dir, '/'); slash && r == 0; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                r = owner_set(dirfd, dir, p, err);
                *slash = '/';
        }
        return r;
}

/* Parents of path inside dirfd (0755), then the file with its mode. */
static int file_write_at(int dirfd, const struct objvol_file *f, const struct objvol_payload *p,
                         struct pfs_error *err)
{
        _cleanup_free_ char *dir = xstrdup(f->path);
        char *slash = strrchr(dir, '/');
        _cleanup_close_ int fd = -1;
        size_t off = 0;

        if (slash) {
                *slash = '\0';
                if (pfs_mkdir_p_at(dirfd, dir, 0755, err) < 0)
                        return pfs_error_wrap(err, "%s", f->path);
        }
        fd = openat(dirfd, f->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return pfs_error_set(err, errno, "create '%s'", f->path);
        while (off < f->len) {
                ssize_t n = write(fd, f->data + off, f->len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return pfs_error_set(err, errno, "write '%s'", f->path);
                off += (size_t)n;
        }
        if (fchmod(fd, f->mode & 07777) < 0)
                return pfs_error_set(err, errno, "chmod '%s'", f->path);
        return parents_owner_set(dirfd, f->path, p, err) < 0 ? -err->code : owner_set(dirfd, f->path, p, err);
}

static char *top_level(const char *path)
{
        return xstrndup(path, strcspn(path, "/"));
}

static bool payload_has_top(const struct objvol_payload *p, const char *name)
{
        size_t n = strlen(name);

        for (size_t i = 0; i < p->n; i++)
                if (!strncmp(p->files[i].path, name, n) && (p->files[i].path[n] == '/' || !p->files[i].path[n]))
                        return true;
        return false;
}

/* The user-visible symlinks: one per top-level path, and none else. */
static int visible_links_sync(int dirfd, const struct objvol_payload *p, struct pfs_error *err)
{
        DIR *d;
        struct dirent *de;
        int dfd;

        for (size_t i = 0; i < p->n; i++) {
                _cleanup_free_ char *top = top_level(p->files[i].path);
                _cleanup_free_ char *target = xasprintf(DATA_DIR "/%s", top);

                if (symlinkat(target, dirfd, top) < 0 && errno != EEXIST)
                        return pfs_error_set(err, errno, "symlink '%s'", top);
                if (owner_set(dirfd, top, p, err) < 0)
                        return -err->code;
        }
        dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || !(d = fdopendir(dfd))) {
                if (dfd >= 0)
                        close(dfd);
                return pfs_error_set(err, errno, "list the volume");
        }
        while ((de = readdir(d))) {
                if (!strncmp(de->d_name, "..", 2) || !strcmp(de->d_name, ".") || payload_has_top(p, de->d_name))
                        continue;
                if (de->d_type == DT_LNK)
                        unlinkat(dirfd, de->d_name, 0);
        }
        closedir(d);
        return 0;
}

int objvol_write_at(int dirfd, const struct objvol_payload *p, struct pfs_error *err)
{
        char ts[64], old[PATH_MAX];
        ssize_t n_old = readlinkat(dirfd, DATA_DIR, old, sizeof(old) - 1);
        _cleanup_close_ int tsfd = -1;
        int r = 0;

        if (ts_dir_make(dirfd, ts, err) < 0)
                return -err->code;
        tsfd = openat(dirfd, ts, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (tsfd < 0)
                r = pfs_error_set(err, errno, "open '%s'", ts);
        for (size_t i = 0; i < p->n && r >= 0; i++)
                r = file_write_at(tsfd, &p->files[i], p, err);
        if (r >= 0)
                r = owner_set(dirfd, ts, p, err);
        if (r >= 0)
                r = owner_set(dirfd, ".", p, err);
        if (r >= 0) {
                unlinkat(dirfd, DATA_TMP, 0);
                if (symlinkat(ts, dirfd, DATA_TMP) < 0)
                        r = pfs_error_set(err, errno, "symlink '%s'", DATA_TMP);
                else if (owner_set(dirfd, DATA_TMP, p, err) < 0)
                        r = -err->code;
                else if (renameat(dirfd, DATA_TMP, dirfd, DATA_DIR) < 0)
                        r = pfs_error_set(err, errno, "rename '%s'", DATA_TMP);
        }
        if (r < 0) {
                pfs_rm_rf_at(dirfd, ts, NULL);
                return r;
        }
        r = visible_links_sync(dirfd, p, err);
        if (n_old > 0) {
                old[n_old] = '\0';
                if (!strncmp(old, "..", 2) && !strchr(old, '/') && strcmp(old, ts) != 0)
                        pfs_rm_rf_at(dirfd, old, NULL);
        }
        return r;
}

/* ---- payloads ---- */

void objvol_payload_add(struct objvol_payload *p, const char *path, const void *data, size_t len, mode_t mode)
{
        struct objvol_file *f;

        for (size_t i = 0; i < p->n; i++) {
                if (!strcmp(p->files[i].path, path)) {
                        /* a later source wins, as the kubelet's map of the payload */
                        free(p->files[i].data);
                        f = &p->files[i];
                        goto set;
                }
        }
        p->files = xrealloc(p->files, (p->n + 1) * sizeof(*p->files));
        f = &p->files[p->n++];
        f->path = xstrdup(path);
set:
        f->data = xmalloc(len + 1);
        memcpy(f->data, data, len);
        f->data[len] = '\0';
        f->len = len;
        f->mode = mode;
}

static int file_cmp(const void *a, const void *b)
{
        return strcmp(((const struct objvol_file *)a)->path, ((const struct objvol_file *)b)->path);
}

char *objvol_payload_serialize(struct objvol_payload *p, size_t *ret_len)
{
        struct pfs_buf b = { 0 };

        if (p->n)
                qsort(p->files, p->n, sizeof(*p->files), file_cmp);
        for (size_t i = 0; i < p->n; i++) {
                pfs_buf_append(&b, p->files[i].path, strlen(p->files[i].path) + 1);
                pfs_buf_printf(&b, "%o:%zu:", (unsigned)p->files[i].mode, p->files[i].len);
                pfs_buf_append(&b, p->files[i].data, p->files[i].len);
        }
        *ret_len = b.len;
        return pfs_buf_steal(&b);
}

void objvol_payload_free(struct objvol_payload *p)
{
        for (size_t i = 0; i < p->n; i++) {
                free(p->files[i].path);
                free(p->files[i].data);
        }
        free(p->files);
        p->files = NULL;
        p->n = 0;
}
