/* devprobe: what a container can do with device nodes (hostile-devices.sh).
 *
 *   devprobe serve        one round at once, then one more per SIGUSR1
 *   devprobe probe FILE   one round (as an exec probe would), written to FILE
 *                         with this process's /proc/self/cgroup
 *
 * A round prints, one per line and prefixed with "rN ":
 *   mknod NAME OK|ERRNO        a node the container makes itself (host devices)
 *   open NAME OK|ERRNO         opening it (or an allowed /dev node) read-write
 *   read NAME OK|ERRNO         reading from it when the open worked
 *   end                        the round is complete
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *errname(int e)
{
        static char buf[16];

        switch (e) {
        case 0: return "OK";
        case EPERM: return "EPERM";
        case EACCES: return "EACCES";
        case ENXIO: return "ENXIO";
        case ENODEV: return "ENODEV";
        case ENOENT: return "ENOENT";
        case EEXIST: return "EEXIST";
        case EINVAL: return "EINVAL";
        case EIO: return "EIO";
        case EBUSY: return "EBUSY";
        case EROFS: return "EROFS";
        case EAGAIN: return "EAGAIN";
        }
        snprintf(buf, sizeof(buf), "E%d", e);
        return buf;
}

/* Nodes a hostile container makes: the host's loop0, kvm, loop-control, tty1. */
static const struct { const char *name; mode_t type; unsigned maj, min; } made[] = {
        { "hostloop", S_IFBLK, 7, 0 },
        { "kvm", S_IFCHR, 10, 232 },
        { "loop-control", S_IFCHR, 10, 237 },
        { "tty1", S_IFCHR, 4, 1 },
};

/* What every container may open (the OCI default devices). */
static const char *const allowed[] = {
        "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
        "/dev/ptmx", "/dev/pts/ptmx",
};

static void open_one(FILE *out, const char *tag, const char *label, const char *path, int do_read)
{
        int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        char buf[16];

        fprintf(out, "%s open %s %s\n", tag, label, errname(fd < 0 ? errno : 0));
        if (fd < 0)
                return;
        if (do_read)
                fprintf(out, "%s read %s %s\n", tag, label, errname(read(fd, buf, sizeof(buf)) < 0 ? errno : 0));
        close(fd);
}

/* The slave side of a new pty (c 136:N). */
static void pts_one(FILE *out, const char *tag)
{
        int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        char *name;

        if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || !(name = ptsname(m))) {
                fprintf(out, "%s open pts-slave %s\n", tag, errname(errno));
                if (m >= 0)
                        close(m);
                return;
        }
        open_one(out, tag, "pts-slave", name, 0);
        close(m);
}

/* PREFIX: where the nodes are made ("/dev/", "/dev/probe-"). */
static void round_run(FILE *out, const char *tag, const char *prefix)
{
        char path[256];

        for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
                snprintf(path, sizeof(path), "%s%s", prefix, made[i].name);
                unlink(path);
                fprintf(out, "%s mknod %s %s\n", tag, made[i].name,
                        errname(mknod(path, made[i].type | 0600, makedev(made[i].maj, made[i].min)) < 0 ? errno : 0));
                open_one(out, tag, made[i].name, path, 1);
        }
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
                open_one(out, tag, allowed[i] + 5, allowed[i], 0);
        pts_one(out, tag);
        fprintf(out, "%s end\n", tag);
        fflush(out);
}

static volatile sig_atomic_t rounds_asked;

static void on_usr1(int sig)
{
        (void)sig;
        rounds_asked++;
}

static _Noreturn void serve(void)
{
        sigset_t block, old;
        int done = 0;
        char tag[16];

        setvbuf(stdout, NULL, _IOLBF, 0);
        signal(SIGUSR1, on_usr1);
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        round_run(stdout, "r0", "/dev/");
        for (;;) {
                sigprocmask(SIG_BLOCK, &block, &old);
                while (done == rounds_asked)
                        sigsuspend(&old);
                sigprocmask(SIG_SETMASK, &old, NULL);
                done++;
                snprintf(tag, sizeof(tag), "r%d", done);
                round_run(stdout, tag, "/dev/");
        }
}

static int probe(const char *file)
{
        char tmp[256], line[512];
        FILE *out, *cg;

        snprintf(tmp, sizeof(tmp), "%s.tmp", file);
        out = fopen(tmp, "w");
        if (!out)
                return 1;
        round_run(out, "probe", "/dev/probe-");
        cg = fopen("/proc/self/cgroup", "r");
        while (cg && fgets(line, sizeof(line), cg))
                fprintf(out, "cgroup %s", line);
        if (cg)
                fclose(cg);
        fclose(out);
        return rename(tmp, file) < 0;
}

int main(int argc, char **argv)
{
        if (argc == 2 && !strcmp(argv[1], "serve"))
                serve();
        if (argc == 3 && !strcmp(argv[1], "probe"))
                return probe(argv[2]);
        fprintf(stderr, "usage: devprobe serve | devprobe probe FILE\n");
        return 2;
}
