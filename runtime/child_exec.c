/* The last act of a child the sandbox clones for a container's main process
 * or an exec inside it: find argv[0] as runc does (Go's exec.LookPath) and
 * exec it, and when that fails say why in runc's words, which containerd
 * passes on to the kubelet's events. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "child.h"
#include "pfs/util.h"

/* Go's findExecutable: 0, or the error text after `exec: "NAME": `. */
static int find_executable(const char *file, char why[static 256])
{
        char eb[128];
        struct stat st;

        if (stat(file, &st) < 0) {
                int e = errno;

                snprintf(why, 256, "stat %s: %s", file, pfs_go_strerror(e, eb));
                return -e;
        }
        if (S_ISDIR(st.st_mode)) {
                snprintf(why, 256, "%s", pfs_go_strerror(EISDIR, eb));
                return -EISDIR;
        }
        if (faccessat(AT_FDCWD, file, X_OK, AT_EACCESS) == 0)
                return 0;
        /* As Go: EPERM (a seccomp filter) or ENOSYS fall back to the mode bits. */
        if (errno != EPERM && errno != ENOSYS) {
                int e = errno;

                snprintf(why, 256, "%s", pfs_go_strerror(e, eb));
                return -e;
        }
        if (st.st_mode & 0111)
                return 0;
        snprintf(why, 256, "%s", pfs_go_strerror(EACCES, eb));
        return -EACCES;
}

static int exec_found(const char *file, char *const argv[], char *const env[], struct pfs_error *err)
{
        char eb[128];
        int e;

        execve(file, argv, env);
        e = errno;
        /* runc's system.Exec: an os.PathError with Op "exec". */
        return pfs_error_set(err, e, "exec %s: %s", file, pfs_go_strerror(e, eb));
}

int child_exec_lookpath(char *const argv[], char *const env[], const char *path, struct pfs_error *err)
{
        const char *cmd = argv[0], *p = path ? path : "";
        char buf[4096], why[256];
        int r;

        if (strchr(cmd, '/')) {
                r = find_executable(cmd, why);
                if (r < 0)
                        return pfs_error_set(err, -r, "exec: \"%s\": %s", cmd, why);
                return exec_found(cmd, argv, env, err);
        }
        for (;;) {
                size_t n = strcspn(p, ":");

                /* An empty element is the current directory, as in Go. */
                snprintf(buf, sizeof(buf), "%.*s/%s", (int)(n ? n : 1), n ? p : ".", cmd);
                if (find_executable(buf, why) == 0)
                        return exec_found(buf, argv, env, err);
                if (!p[n])
                        break;
                p += n + 1;
        }
        return pfs_error_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", cmd);
}
