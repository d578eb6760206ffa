/* Unit tests of the container log files (runtime/log_file.c): rotation before
 * a record would cross the size, kubelet's names, at most MaxFiles files, every
 * record once; a new run keeps the previous run's current file only. And the
 * quantity strings of storage.c's eviction messages. No root needed. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sandbox.h"
#include "tap.h"

static int count_files(int dfd, const char *prefix, off_t *ret_max_size)
{
        DIR *d = fdopendir(openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct dirent *de;
        int n = 0;

        *ret_max_size = 0;
        while (d && (de = readdir(d))) {
                struct stat st;

                if (de->d_name[0] == '.' || strncmp(de->d_name, prefix, strlen(prefix)))
                        continue;
                n++;
                if (fstatat(dfd, de->d_name, &st, 0) == 0 && st.st_size > *ret_max_size)
                        *ret_max_size = st.st_size;
        }
        if (d)
                closedir(d);
        return n;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The records of run 0 in name order (rotated by age, the current last), one string. */
static char *all_records(int dfd)
{
        DIR *d = fdopendir(openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct dirent *de;
        char *names[64];
        size_t n = 0;
        struct pfs_buf b = {0};

        while (d && (de = readdir(d)))
                if (!strncmp(de->d_name, "0.log.", 6) && n < 64)
                        names[n++] = xstrdup(de->d_name);
        if (d)
                closedir(d);
        qsort(names, n, sizeof(*names), cmp_str);
        names[n++] = xstrdup("0.log");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *data = NULL;
                size_t len = 0;

                if (pfs_read_file_at(dfd, names[i], &data, &len, NULL) == 0)
                        pfs_buf_append(&b, data, len);
                free(names[i]);
        }
        pfs_buf_append(&b, "", 1);
        return pfs_buf_steal(&b);
}

static void test_rotation(const char *root)
{
        struct sbx s = {.cfg = {.pod_pids_limit = -1, .log_max_size = 1000, .log_max_files = 3}};
        struct ctr c = {.name = "main", .log = {.fd = -1, .dir_fd = -1}};
        struct pfs_error err = {0};
        _cleanup_free_ char *got = NULL;
        char rec[64], *p;
        int last = -1, ok = 1;
        off_t max;

        s.state_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        s.log_dir = xstrdup("logs/default_p_u");
        tap_ok(log_file_open(&s, &c, 0, &err) == 0, "open run 0: %s", err.msg);
        for (int i = 0; i < 500; i++) {
                int n = snprintf(rec, sizeof(rec), "2026-01-01T00:00:00.000000000Z stdout F %d\n", i);

                log_file_append(&s, &c.log, rec, (size_t)n);
        }
        log_file_flush(&c.log);
        tap_is_int(count_files(c.log.dir_fd, "0.log", &max), 3, "at most max-files files");
        tap_ok(max <= 1000, "no file above max-size (largest %lld)", (long long)max);
        tap_ok(c.log.n_rotated == 2, "two rotated files tracked");
        tap_ok(c.log.n_rotated > 0 && !strncmp(c.log.rotated[0], "0.log.20", 8),
               "rotated names are <run>.log.<YYYYmmdd-HHMMSS>[.NNN] (%s)", c.log.n_rotated ? c.log.rotated[0] : "");
        got = all_records(c.log.dir_fd);
        for (p = got; (p = strstr(p, " stdout F ")); p++) {
                int v = atoi(p + 10);

                if (last >= 0 && v != last + 1 && ok) {
                        ok = 0;
                        printf("# %d after %d\n", v, last);
                }
                last = v;
        }
        tap_ok(ok && last == 499, "records consecutive to the last one, none doubled (last %d)", last);

        /* a new run: the previous run's current file stays, its rotations go */
        tap_ok(log_file_open(&s, &c, 1, &err) == 0, "open run 1: %s", err.msg);
        tap_is_int(count_files(c.log.dir_fd, "0.log.", &max), 0, "run 1: run 0's rotated files removed");
        tap_ok(faccessat(c.log.dir_fd, "0.log", F_OK, 0) == 0, "run 1: 0.log kept (.previous)");
        tap_ok(log_file_open(&s, &c, 2, &err) == 0, "open run 2: %s", err.msg);
        tap_ok(faccessat(c.log.dir_fd, "0.log", F_OK, 0) != 0, "run 2: 0.log removed");
        tap_ok(faccessat(c.log.dir_fd, "1.log", F_OK, 0) == 0, "run 2: 1.log kept");
        log_file_close(&c);
        free(s.log_dir);
        close(s.state_fd);
}

static void test_quantity(void)
{
        static const struct { const char *q; uint64_t bytes; const char *want; } cases[] = {
                { "10Mi", 10485760, "10Mi" }, { "1Gi", 1073741824 + 1048576, "1025Mi" },
                { "1536Mi", 1610612736, "1536Mi" }, { "1.5Gi", 1610612736, "1536Mi" },
                { "500", 500, "500" }, { "10M", 10000000, "10M" }, { "1500k", 1500000, "1500k" },
                { "1e6", 1000000, "1e6" }, { "1Ki", 1000, "1000" }, { "2048", 2048, "2048" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *s = pod_quantity_string(cases[i].q, cases[i].bytes);

                tap_is_str(s, cases[i].want, cases[i].q);
        }
}

int main(void)
{
        char root[] = "/tmp/podfs-test-logfile.XXXXXX";

        if (!mkdtemp(root)) {
                tap_ok(false, "mkdtemp");
                return tap_done();
        }
        test_rotation(root);
        test_quantity();
        pfs_rm_rf_at(AT_FDCWD, root, NULL);
        return tap_done();
}
