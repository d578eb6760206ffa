/* Unit tests for common/util.c: pfs_rm_rf_at on what a hostile pod can leave
 * behind (a tree deeper than the fd limit and than PATH_MAX, symlinks that
 * lead out, wide directories). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pfs/util.h"
#include "tap.h"

/* A chain of DEPTH directories "d" under DIRFD/NAME, a file at the bottom. */
static int make_deep(int dirfd, const char *name, int depth)
{
        int fd, next;

        if (mkdirat(dirfd, name, 0755) < 0)
                return -1;
        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (int i = 0; fd >= 0 && i < depth; i++) {
                if (mkdirat(fd, "d", 0755) < 0)
                        break;
                next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(fd);
                fd = next;
        }
        if (fd < 0)
                return -1;
        close(openat(fd, "bottom", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        close(fd);
        return 0;
}

static void test_deep(int top)
{
        struct pfs_error err = {0};
        struct rlimit old, low = {.rlim_cur = 64};

        getrlimit(RLIMIT_NOFILE, &old);
        low.rlim_max = old.rlim_max;
        tap_ok(make_deep(top, "deep", 3000) == 0, "deep: 3,000 levels made");
        /* the removal must work far below the depth with few fds */
        setrlimit(RLIMIT_NOFILE, &low);
        tap_is_int(pfs_rm_rf_at(top, "deep", &err), 0, "deep: removed with 64 fds");
        setrlimit(RLIMIT_NOFILE, &old);
        if (err.code)
                printf("# %s\n", err.msg);
        tap_ok(faccessat(top, "deep", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT, "deep: gone");
}

static void test_wide_and_links(int top)
{
        struct pfs_error err = {0};
        char name[32];
        int fd;

        mkdirat(top, "outside", 0755);
        close(openat(top, "outside/keep", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        mkdirat(top, "wide", 0755);
        fd = openat(top, "wide", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (int i = 0; i < 300; i++) {
                snprintf(name, sizeof(name), "sub%d", i);
                mkdirat(fd, name, 0755);
                snprintf(name, sizeof(name), "sub%d/f", i);
                close(openat(fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
                snprintf(name, sizeof(name), "file%d", i);
                close(openat(fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        }
        symlinkat("../outside", fd, "link-dir");
        symlinkat("../outside/keep", fd, "link-file");
        mkdirat(fd, "sub0/nest", 0700);
        symlinkat("../../../outside", fd, "sub0/nest/up");
        close(fd);
        tap_is_int(pfs_rm_rf_at(top, "wide", &err), 0, "wide: removed");
        tap_ok(faccessat(top, "wide", F_OK, AT_SYMLINK_NOFOLLOW) < 0, "wide: gone");
        tap_ok(faccessat(top, "outside/keep", F_OK, 0) == 0, "symlinks were not followed");
        tap_is_int(pfs_rm_rf_at(top, "missing", &err), 0, "a missing name is no error");
        close(openat(top, "plain", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        tap_is_int(pfs_rm_rf_at(top, "plain", &err), 0, "a plain file is unlinked");
}

int main(void)
{
        char dir[] = "/tmp/pfs-test-util.XXXXXX";
        int top;

        if (!mkdtemp(dir))
                return 1;
        top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        test_deep(top);
        test_wide_and_links(top);
        close(top);
        pfs_rm_rf_at(AT_FDCWD, dir, NULL);
        return tap_done();
}
