/* What every process the sandbox clones does before anything of a container
 * can see it (runc's nsexec, crun's init): it is born non-dumpable and keeps
 * only the fds it names. */
#pragma once
#include <stddef.h>
#include <sys/types.h>
#include "pfs/error.h"
#include "syscalls.h"

/* clone3 with the sandbox made non-dumpable first: clone copies the flag, so
 * the child is never dumpable, not even before its first instruction, and a
 * container sharing its pid namespace cannot open its /proc/PID/{fd,cwd,root,exe}.
 * The sandbox itself thereby becomes non-dumpable, as runc init is.
 * In the child, returns 0 after making it non-dumpable once more. */
pid_t child_clone3(struct clone_args *args);

/* The soft limit of open files every child has once child_fds_keep is done (hard: inherited). */
#define CHILD_NOFILE_SOFT 1024

/* In the child: move the fds *FDS[0..N) to 3, 4, ... (close-on-exec; a
 * negative entry keeps its slot closed), update them, and close every other
 * fd above 2 for real (close_range), not merely mark it close-on-exec.
 * Returns 0 or a negative errno. */
int child_fds_keep(int *const fds[], size_t n);

/* In the child: exec argv[0] as runc does (Go's exec.LookPath: a name with a
 * slash as it is, else the first executable in the ':'-separated path) with
 * env. Returns only on failure, err in runc's words: `exec: "x": stat x: no
 * such file or directory`, `exec: "x": executable file not found in $PATH`. */
int child_exec_lookpath(char *const argv[], char *const env[], const char *path, struct pfs_error *err);
