/* Starting a helper program the one way podfs does it: posix_spawn (no copy
 * of the caller's page tables), the child's stdin, stdout and stderr chosen,
 * nothing else of ours open, every signal at its default, the mask chosen. */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#define PFS_SPAWN_NULL (-1)     /* the stream is /dev/null */
#define PFS_SPAWN_KEEP (-2)     /* the stream is ours, as it is */

struct pfs_spawn {
        int fd[3];              /* stdin, stdout, stderr: an fd of ours, or one of the above */
        const sigset_t *mask;   /* blocked in the child; NULL: nothing */
        const char *cwd;        /* NULL: ours */
        bool setsid;            /* a session of its own */
        bool search_path;       /* a path without '/' is looked up in ENVP's PATH (else ours) */
};

/* Start PATH with ARGV and ENVP as O says; 0 and *ret_pid, or -errno. */
int pfs_spawn(const char *path, char *const argv[], char *const envp[], const struct pfs_spawn *o,
              pid_t *ret_pid);
