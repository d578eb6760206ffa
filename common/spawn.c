/* pfs_spawn: see pfs/spawn.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pfs/spawn.h"

static int stream_action(posix_spawn_file_actions_t *fa, int fd, int target)
{
        if (fd == PFS_SPAWN_KEEP)
                return 0;
        if (fd == PFS_SPAWN_NULL)
                return posix_spawn_file_actions_addopen(fa, target, "/dev/null", target ? O_WRONLY : O_RDONLY, 0);
        /* fd == target: glibc clears its close-on-exec flag */
        return posix_spawn_file_actions_adddup2(fa, fd, target);
}

static int file_actions(posix_spawn_file_actions_t *fa, const struct pfs_spawn *o)
{
        int r = 0;

        for (int i = 0; i < 3 && !r; i++)
                r = stream_action(fa, o->fd[i], i);
        /* not /dev/fuse (received without close-on-exec), not what we inherited */
        if (!r)
                r = posix_spawn_file_actions_addclosefrom_np(fa, 3);
        if (!r && o->cwd)
                r = posix_spawn_file_actions_addchdir_np(fa, o->cwd);
        return r;
}

static int attributes(posix_spawnattr_t *attr, const struct pfs_spawn *o)
{
        short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (o->setsid ? POSIX_SPAWN_SETSID : 0);
        sigset_t none, all;
        int r;

        sigemptyset(&none);
        sigfillset(&all);
        r = posix_spawnattr_setflags(attr, flags);
        if (!r)
                r = posix_spawnattr_setsigmask(attr, o->mask ? o->mask : &none);
        if (!r)
                r = posix_spawnattr_setsigdefault(attr, &all);
        return r;
}

/* NAME looked up in the PATH the child gets (ours when ENVP has none): the
 * first executable regular file; -ENOENT when there is none. */
static int path_lookup(const char *name, char *const envp[], char buf[PATH_MAX])
{
        const char *dirs = getenv("PATH");
        struct stat st;

        for (size_t i = 0; envp && envp[i]; i++)
                if (!strncmp(envp[i], "PATH=", 5))
                        dirs = envp[i] + 5;
        if (!dirs)
                dirs = "/usr/local/bin:/usr/bin:/bin";
        while (*dirs) {
                size_t len = strcspn(dirs, ":");

                /* an empty element (the cwd, for execvp) is skipped: we run as root */
                if (len && snprintf(buf, PATH_MAX, "%.*s/%s", (int)len, dirs, name) < PATH_MAX &&
                    stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
                        return 0;
                dirs += len + (dirs[len] == ':');
        }
        return -ENOENT;
}

int pfs_spawn(const char *path, char *const argv[], char *const envp[], const struct pfs_spawn *o,
              pid_t *ret_pid)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        char found[PATH_MAX];
        int r;

        if (o->search_path && !strchr(path, '/')) {
                r = path_lookup(path, envp, found);
                if (r < 0)
                        return r;
                path = found;
        }
        if (posix_spawn_file_actions_init(&fa) != 0)
                return -ENOMEM;
        if (posix_spawnattr_init(&attr) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return -ENOMEM;
        }
        r = file_actions(&fa, o);
        if (!r)
                r = attributes(&attr, o);
        if (!r)
                r = posix_spawn(ret_pid, path, &fa, &attr, argv, envp);
        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        return -r;
}
