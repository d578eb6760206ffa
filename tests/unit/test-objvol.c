/* Unit tests of the sandbox's object volumes without a pod: the AtomicWriter
 * layout and its swaps, payload comparison, and subPathExpr expansion. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "objvol.h"
#include "pfs/util.h"
#include "tap.h"

/* Through the symlinks, as a reader in the container does. */
static char *read_at(int dfd, const char *path)
{
        char buf[256];
        int fd = openat(dfd, path, O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

        if (fd >= 0)
                close(fd);
        if (n < 0)
                return xstrdup("(none)");
        buf[n] = '\0';
        return xstrdup(buf);
}

/* The entries of dfd starting with "..2" (timestamp dirs). */
static int ts_dirs(int dfd)
{
        DIR *d = fdopendir(dup(dfd));
        struct dirent *de;
        int n = 0;

        while (d && (de = readdir(d)))
                n += !strncmp(de->d_name, "..2", 3);
        if (d)
                closedir(d);
        return n;
}

static void test_writer(void)
{
        char tmpl[] = "/tmp/test-objvol.XXXXXX", link[PATH_MAX];
        struct objvol_payload p = { 0 };
        struct pfs_error err = { 0 };
        struct stat st;
        char *s1, *s2, *v;
        size_t l1, l2;
        ssize_t n;
        int dfd;

        if (!mkdtemp(tmpl)) {
                tap_ok(false, "mkdtemp");
                return;
        }
        dfd = open(tmpl, O_RDONLY | O_DIRECTORY);
        objvol_payload_add(&p, "b.txt", "beta", 4, 0644);
        objvol_payload_add(&p, "dir/a.txt", "alpha", 5, 0600);
        tap_ok(objvol_write_at(dfd, &p, &err) == 0, "first write: %s", err.msg);
        n = readlinkat(dfd, "..data", link, sizeof(link) - 1);
        link[n > 0 ? n : 0] = '\0';
        tap_ok(n > 0 && !strncmp(link, "..2", 3) && strlen(link) > 22, "..data -> ..<timestamp>: %s", link);
        n = readlinkat(dfd, "dir", link, sizeof(link) - 1);
        link[n > 0 ? n : 0] = '\0';
        tap_is_str(link, "..data/dir", "a top-level path is a link into ..data");
        v = read_at(dfd, "dir/a.txt");
        tap_is_str(v, "alpha", "content through the links");
        free(v);
        tap_ok(fstatat(dfd, "dir/a.txt", &st, 0) == 0 && (st.st_mode & 07777) == 0600, "mode 0600");
        tap_ok(fstatat(dfd, "b.txt", &st, 0) == 0 && (st.st_mode & 07777) == 0644, "mode 0644");
        tap_ok(fstatat(dfd, "..data", &st, 0) == 0 && (st.st_mode & 07777) == 0755, "timestamp dir 0755");
        s1 = objvol_payload_serialize(&p, &l1);
        objvol_payload_free(&p);

        objvol_payload_add(&p, "dir/a.txt", "alpha", 5, 0600);
        objvol_payload_add(&p, "c", "gamma", 5, 0444);
        s2 = objvol_payload_serialize(&p, &l2);
        tap_ok(l1 != l2 || memcmp(s1, s2, l1), "a changed payload compares different");
        tap_ok(objvol_write_at(dfd, &p, &err) == 0, "second write: %s", err.msg);
        v = read_at(dfd, "c");
        tap_is_str(v, "gamma", "a new key appears");
        free(v);
        tap_ok(faccessat(dfd, "b.txt", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT,
               "a key no longer in the payload is gone");
        tap_is_int(ts_dirs(dfd), 1, "the old timestamp dir is removed");
        objvol_payload_free(&p);
        free(s1);
        free(s2);

        objvol_payload_add(&p, "x", "1", 1, 0644);
        objvol_payload_add(&p, "x", "2", 1, 0400);
        tap_is_int((long long)p.n, 1, "a path set twice is one file (the later source wins)");
        tap_ok(p.files[0].data[0] == '2' && p.files[0].mode == 0400, "the later content and mode");
        objvol_payload_free(&p);
        close(dfd);
        pfs_rm_rf_at(AT_FDCWD, tmpl, NULL);
}

static void expand_is(const struct pod_container *c, const char *expr, const char *want)
{
        struct pfs_error err = { 0 };
        char *got = NULL;

        if (objvol_expand_sub_path(c, NULL, expr, &got, &err) < 0)
                got = xasprintf("ERROR %s", err.msg);
        tap_is_str(got, want, expr);
        free(got);
}

static void test_expand(void)
{
        struct pod_env env[] = { { "WHO", "alice" }, { "EMPTY", "" }, { "N", "1" }, { "N", "2" } };
        struct pod_container c = { .name = "c", .env = env, .n_env = 4 };

        expand_is(&c, "home/$(WHO)", "home/alice");
        expand_is(&c, "$(N)-$$(WHO)-$", "2-$(WHO)-$");
        expand_is(&c, "a/$(WHO", "a/$(WHO");
        expand_is(&c, "$(NOPE)/$(EMPTY)/$(NOPE)", "ERROR missing value for EMPTY, NOPE");
        expand_is(&c, "$(SLASH)x", "ERROR missing value for SLASH");
        env[1].value = "/abs";
        expand_is(&c, "$(EMPTY)", "ERROR error SubPath `/abs` must not be an absolute path");
        env[1].value = "a/../..";
        expand_is(&c, "$(EMPTY)", "ERROR unable to provision SubPath `a/../..`: must not contain '..'");
        env[1].value = "a..b/..c";
        expand_is(&c, "$(EMPTY)", "a..b/..c");
}

int main(void)
{
        test_writer();
        test_expand();
        return tap_done();
}
