/* Unit tests for common/spawn.c: what a helper program gets from pfs_spawn
 * (its three streams, nothing else open, signals clean, PATH from its env). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pfs/spawn.h"
#include "pfs/util.h"
#include "tap.h"

extern char **environ;

/* Run sh -c SCRIPT as O says (stdout onto a pipe when O's is 0); its output and exit status. */
static int run(const char *script, struct pfs_spawn o, char *envp[], char *out, size_t len, int *ret_status)
{
        char *argv[] = { "sh", "-c", (char *)script, NULL };
        int p[2], st = 0, r;
        size_t got = 0;
        ssize_t n;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        if (o.fd[1] == 0)
                o.fd[1] = p[1];
        r = pfs_spawn(o.search_path ? "sh" : "/bin/sh", argv, envp ? envp : environ, &o, &pid);
        close(p[1]);
        while (r == 0 && got + 1 < len && (n = read(p[0], out + got, len - 1 - got)) > 0)
                got += (size_t)n;
        out[got] = '\0';
        close(p[0]);
        if (r < 0)
                return r;
        waitpid(pid, &st, 0);
        *ret_status = st;
        return 0;
}

static void test_streams(void)
{
        char out[4096];
        int st = -1, leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: must not reach the child */

        tap_is_int(run("read x; echo \"in=[$x]\"; echo err >&2; ls /proc/self/fd | tr '\\n' ' '",
                       (struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, 0, PFS_SPAWN_NULL } }, NULL, out, sizeof(out), &st),
                   0, "spawned");
        /* fds 0-2 and the one ls opened for /proc/self/fd: nothing of ours */
        tap_is_str(out, "in=[]\n0 1 2 3 ", "stdin /dev/null, stdout ours, stderr /dev/null, nothing else open");
        tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit 0");
        close(leak);
}

static void test_signals(void)
{
        sigset_t blocked, old;
        char out[256];
        int st = -1;

        /* what we block and ignore is not what the child gets */
        sigemptyset(&blocked);
        sigaddset(&blocked, SIGTERM);
        sigprocmask(SIG_BLOCK, &blocked, &old);
        signal(SIGINT, SIG_IGN);
        run("awk '/^Sig(Blk|Ign)/ { print $2 }' /proc/$$/status | tr '\\n' ' '",
            (struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, 0, PFS_SPAWN_KEEP } }, NULL, out, sizeof(out), &st);
        tap_ok(strncmp(out, "0000000000000000 ", 17) == 0, "no signal blocked: %s", out);
        /* of the standard signals (glibc's own two above them, 32 and 33, it
         * leaves ignored in every posix_spawn child: the program sets them up) */
        tap_ok(strlen(out) >= 34 && (strtoull(out + 17, NULL, 16) & 0x7fffffffULL) == 0, "none ignored: %s", out);
        run("grep -E '^SigBlk' /proc/$$/status | tr '\\t\\n' '  '",
            (struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, 0, PFS_SPAWN_KEEP }, .mask = &blocked }, NULL, out,
            sizeof(out), &st);
        tap_is_str(out, "SigBlk: 0000000000004000 ", "the mask asked for (SIGTERM)");
        signal(SIGINT, SIG_DFL);
        sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_cwd_and_path(void)
{
        char *env[] = { "PATH=/nonexistent::/bin", NULL }, *nopath[] = { "PATH=/nonexistent", NULL };
        char out[256];
        int st = -1;

        run("pwd", (struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, 0, PFS_SPAWN_KEEP }, .cwd = "/" }, NULL, out,
            sizeof(out), &st);
        tap_is_str(out, "/\n", "cwd");
        tap_is_int(run("echo found", (struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, 0, PFS_SPAWN_KEEP }, .search_path = true },
                       env, out, sizeof(out), &st),
                   0, "sh found in the PATH of the child's env");
        tap_is_str(out, "found\n", "and run");
        tap_is_int(run("echo found", (struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, 0, PFS_SPAWN_KEEP }, .search_path = true },
                       nopath, out, sizeof(out), &st),
                   -ENOENT, "not in that PATH: ENOENT (ours is not looked at)");
        {
                /* a directory of the name comes first in PATH: skipped, as execvp does */
                char dir[] = "/tmp/pfs-test-spawn.XXXXXX", sub[64], pathvar[128];
                char *withdir[] = { pathvar, NULL };

                if (mkdtemp(dir)) {
                        snprintf(sub, sizeof(sub), "%s/sh", dir);
                        mkdir(sub, 0755);
                        snprintf(pathvar, sizeof(pathvar), "PATH=%s:/bin", dir);
                        tap_is_int(run("echo found", (struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, 0, PFS_SPAWN_KEEP },
                                                                         .search_path = true },
                                       withdir, out, sizeof(out), &st),
                                   0, "a directory named sh in PATH is skipped");
                        tap_is_str(out, "found\n", "the sh after it runs");
                        rmdir(sub);
                        rmdir(dir);
                }
        }
        tap_is_int(run("true", (struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, 0, PFS_SPAWN_KEEP }, .cwd = "/nonexistent" },
                       NULL, out, sizeof(out), &st),
                   -ENOENT, "a cwd that is not there: its errno, nothing run");
}

int main(void)
{
        test_streams();
        test_signals();
        test_cwd_and_path();
        return tap_done();
}
