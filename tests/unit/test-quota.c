/* The daemon's bound on what writers hold in memory and on the objects a
 * user stores (fs/quota.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../fs/fs.h"
#include "pfs/object.h"
#include "tap.h"

#define MIB (1024 * 1024)

static void test_per_file(struct podfs *fs)
{
        struct pfs_buf b = {0};
        static char chunk[64 * 1024];

        tap_is_int(wbuf_write_at(fs, 1000, &b, chunk, sizeof(chunk), 0), 0, "write 64 KiB");
        tap_is_int((long long)b.len, sizeof(chunk), "... held");
        tap_is_int(wbuf_write_at(fs, 1000, &b, chunk, 1, MIB), -EFBIG, "a byte past 1 MiB: EFBIG");
        tap_is_int(wbuf_write_at(fs, 1000, &b, chunk, 1, MIB - 1), 0, "the last byte of 1 MiB");
        tap_is_int((long long)fs->mem_total, MIB, "a sparse write is charged what it holds");
        tap_is_int(wbuf_truncate(fs, 1000, &b, MIB + 1), -EFBIG, "truncate past 1 MiB: EFBIG");
        tap_is_int(wbuf_truncate(fs, 1000, &b, 10), 0, "truncate to 10 bytes");
        tap_is_int((long long)fs->mem_total, 10, "... uncharged");
        wbuf_free(fs, 1000, &b);
        tap_is_int((long long)fs->mem_total, 0, "free uncharges");
        tap_ok(fs->quotas == NULL, "a user who holds nothing costs nothing");
}

static void test_per_user_and_total(struct podfs *fs)
{
        struct pfs_buf b[PFS_WRITE_MEM_TOTAL / MIB + 2];
        static char one[MIB];
        size_t per_user = PFS_WRITE_MEM_PER_USER / MIB, users = PFS_WRITE_MEM_TOTAL / PFS_WRITE_MEM_PER_USER;
        size_t n = 0;
        int r = 0;

        memset(b, 0, sizeof(b));
        for (size_t i = 0; i < per_user; i++)
                r |= wbuf_write_at(fs, 1000, &b[n++], one, MIB, 0);
        tap_is_int(r, 0, "a user's share, 1 MiB at a time");
        tap_is_int(wbuf_write_at(fs, 1000, &b[n], one, 1, 0), -EDQUOT, "one byte more: EDQUOT");
        tap_is_int((long long)b[n].len, 0, "... nothing held");
        for (uid_t u = 1001; u < 1000 + users; u++)
                for (size_t i = 0; i < per_user; i++)
                        r |= wbuf_write_at(fs, u, &b[n++], one, MIB, 0);
        tap_is_int(r, 0, "other users fill the total");
        tap_is_int(wbuf_write_at(fs, 2000, &b[n], one, 1, 0), -ENOSPC, "past the total: ENOSPC");
        wbuf_free(fs, 1000, &b[0]);
        tap_is_int(wbuf_write_at(fs, 2000, &b[n], one, 1, 0), 0, "room again once a file goes");
        wbuf_free(fs, 2000, &b[n]);
        for (size_t i = 1; i < n; i++)
                wbuf_free(fs, 1000 + (uid_t)((i) / per_user), &b[i]);
        tap_is_int((long long)fs->mem_total, 0, "all returned");
        tap_ok(fs->quotas == NULL, "no user left");
}

static void test_files(struct podfs *fs)
{
        int r = 0;

        for (int i = 0; i < PFS_WRITE_FILES_PER_USER; i++)
                r |= quota_file_add(fs, 1000);
        tap_is_int(r, 0, "a user's temp files");
        tap_is_int(quota_file_add(fs, 1000), -EDQUOT, "one more: EDQUOT");
        tap_is_int(quota_file_add(fs, 1001), 0, "another user's own count");
        quota_file_del(fs, 1000);
        tap_is_int(quota_file_add(fs, 1000), 0, "room again after one goes");
        quota_free_all(fs);
}

static void test_objects_limit(struct podfs *fs)
{
        struct pfs_error err = {0};

        fs->obj_bytes_max = 3 * MIB;
        fs->obj_bytes_max_text = "3Mi";
        tap_is_int(quota_obj_charge(fs, 1001, 1001, 2 * MIB, "configmaps", "a", &err), 0, "objects: 2 MiB");
        tap_is_int(quota_obj_charge(fs, 1001, 1001, MIB, "configmaps", "b", &err), 0, "objects: up to the limit");
        tap_is_int(quota_obj_charge(fs, 1001, 1001, 1, "secrets", "c", &err), -EDQUOT, "objects: a byte more: EDQUOT");
        tap_is_str(err.msg, "secrets \"c\" is forbidden: exceeded quota: podfs-user-1001, requested: "
                   "objects.bytes=1, used: objects.bytes=3Mi, limited: objects.bytes=3Mi", "objects: the API's words");
        tap_is_int((long long)quota_obj_used(fs, 1001), 3 * MIB, "objects: nothing charged by a refusal");
        tap_is_int(quota_obj_charge(fs, 1002, 1002, 3 * MIB, "configmaps", "a", &err), 0, "objects: per user");
        tap_is_int(quota_obj_charge(fs, 1001, 0, 4 * MIB, "configmaps", "a", &err), 0,
                   "objects: root writes for a user past it");
        tap_is_int(quota_obj_charge(fs, 0, 0, 64 * MIB, "configmaps", "r", &err), 0, "objects: root's own");
        tap_is_int(quota_obj_charge(fs, 1001, 1001, -5 * (int64_t)MIB, NULL, NULL, NULL), 0,
                   "objects: shrinking never fails");
        tap_is_int((long long)quota_obj_used(fs, 1001), 2 * MIB, "objects: ... uncharged");
        tap_is_int(quota_obj_charge(fs, 1001, 1001, -3 * (int64_t)MIB, NULL, NULL, NULL), 0,
                   "objects: more than held");
        tap_is_int((long long)quota_obj_used(fs, 1001), 0, "objects: ... down to nothing");
        fs->obj_bytes_max = 0;
        tap_is_int(quota_obj_charge(fs, 1001, 1001, 100 * MIB, "configmaps", "a", &err), 0, "objects: 0 = no limit");
        quota_free_all(fs);
        tap_ok(fs->quotas == NULL, "objects: all freed");
}

static void test_objects_max_parse(void)
{
        struct pfs_error err = {0};
        uint64_t v = 1;

        tap_is_int(quota_obj_max_parse("256Mi", &v, &err), 0, "max: 256Mi");
        tap_is_int((long long)v, 256 * MIB, "max: ... in bytes");
        tap_is_int(quota_obj_max_parse("0", &v, &err), 0, "max: 0");
        tap_is_int((long long)v, 0, "max: ... no limit");
        tap_is_int(quota_obj_max_parse("1G", &v, &err), 0, "max: 1G");
        tap_is_int((long long)v, 1000000000, "max: ... decimal");
        tap_is_int(quota_obj_max_parse("-1Mi", &v, &err), -EINVAL, "max: negative refused");
        tap_is_int(quota_obj_max_parse("lots", &v, &err), -EINVAL, "max: not a quantity");
}

/* What the daemon counts at start: each object file's size, by its owner. */
static void test_objects_scan(struct podfs *fs)
{
        char tmpl[] = "/tmp/test-quota-XXXXXX";
        const char *dir = mkdtemp(tmpl);
        struct pfs_object *a = pfs_object_new(PFS_OBJ_CONFIGMAP, "team", "a");
        struct pfs_object *b = pfs_object_new(PFS_OBJ_SECRET, "other", "b");
        struct pfs_object *c = pfs_object_new(PFS_OBJ_PVC, "team", "c");
        struct pfs_error err = {0};
        struct stat st;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint64_t want;

        tap_is_int(quota_obj_scan(&(struct podfs){ .dirs.state_fd = fd }, &err), 0, "scan: no objects dir");
        pfs_object_item_set(a, "k", "0123456789", 10, false);
        pfs_object_item_set(b, "podfsOwner", "0:0", 3, false);  /* a key cannot pass for the owner */
        a->owner = b->owner = 1001;
        c->owner = 1002;
        c->pvc_spec = yval_new_map();
        pfs_object_write_at(fd, a, &err);
        pfs_object_write_at(fd, b, &err);
        pfs_object_write_at(fd, c, &err);
        fs->dirs.state_fd = fd;
        tap_is_int(quota_obj_scan(fs, &err), 0, "scan");
        want = pfs_object_stored_size(a) + pfs_object_stored_size(b);
        tap_is_int((long long)quota_obj_used(fs, 1001), (long long)want, "scan: a user's, all namespaces");
        fstatat(fd, "objects/team/configmaps/a", &st, 0);
        tap_is_int((long long)pfs_object_stored_size(a), (long long)st.st_size, "scan: a stored size is the file's");
        tap_is_int((long long)quota_obj_used(fs, 1002), (long long)pfs_object_stored_size(c), "scan: claims count");
        tap_is_int((long long)quota_obj_used(fs, 0), 0, "scan: root owns none");
        quota_free_all(fs);
        pfs_rm_rf_at(AT_FDCWD, dir, NULL);
        close(fd);
        fs->dirs.state_fd = -1;
        pfs_object_free(a);
        pfs_object_free(b);
        pfs_object_free(c);
}

int main(void)
{
        struct podfs fs;

        memset(&fs, 0, sizeof(fs));
        test_per_file(&fs);
        test_per_user_and_total(&fs);
        test_files(&fs);
        test_objects_limit(&fs);
        test_objects_max_parse();
        test_objects_scan(&fs);
        return tap_done();
}
