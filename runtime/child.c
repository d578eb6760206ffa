/* The first acts of a child the sandbox clones (see child.h): after clone it
 * still holds every fd of the sandbox, its cwd and root and its binary as
 * /proc/PID/exe; none of it may reach a container that sees the child. */
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include "child.h"

/* The daemon raised its soft limit of open files to the hard one (a pidfd
 * per pod); a container gets the usual soft 1024 back (containerd 2's
 * default: some programs close every fd up to the limit), hard unchanged. */
static void nofile_default(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > CHILD_NOFILE_SOFT) {
                rl.rlim_cur = rl.rlim_max < CHILD_NOFILE_SOFT ? rl.rlim_max : CHILD_NOFILE_SOFT;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
}

pid_t child_clone3(struct clone_args *args)
{
        pid_t pid;

        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return -1;
        pid = pfs_clone3(args);
        if (pid == 0)
                prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        return pid;
}

int child_fds_keep(int *const fds[], size_t n)
{
        int first_free = 3 + (int)n;

        /* Above the target slots first, so that moving down never clobbers a kept fd. */
        for (size_t i = 0; i < n; i++) {
                int fd;

                if (*fds[i] < 0)
                        continue;
                fd = fcntl(*fds[i], F_DUPFD_CLOEXEC, first_free);
                if (fd < 0)
                        return -errno;
                *fds[i] = fd;
        }
        for (size_t i = 0; i < n; i++) {
                int slot = 3 + (int)i;

                if (*fds[i] < 0) {
                        close(slot);
                        continue;
                }
                if (dup3(*fds[i], slot, O_CLOEXEC) < 0)
                        return -errno;
                *fds[i] = slot;
        }
        if (close_range((unsigned int)first_free, ~0U, 0) < 0)
                return -errno;
        /* only now: a lower limit would forbid the moves of fds numbered above it */
        nofile_default();
        return 0;
}
