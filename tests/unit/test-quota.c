/* The daemon's bound on what writers hold in memory (fs/quota.c). */
#include <errno.h>
#include <string.h>
#include "../../fs/fs.h"
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

int main(void)
{
        struct podfs fs;

        memset(&fs, 0, sizeof(fs));
        test_per_file(&fs);
        test_per_user_and_total(&fs);
        test_files(&fs);
        return tap_done();
}
