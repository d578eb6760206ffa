/* suidprobe: a setuid-root attack by a container on the host's users.
 *
 *   suidprobe plant PATH...   (in a container, as root) copy this binary to
 *                             each PATH, chown 0:0, chmod 4755; prints
 *                             "planted PATH" or "plant-failed PATH ERRNO"
 *   suidprobe shadow          (run by a host user) prints "ruid=N euid=N",
 *                             then "shadow=readable" or "shadow=<errno name>"
 *
 * The test decides what the lines mean. libc only, linked statically. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e)
{
        switch (e) {
        case EACCES: return "EACCES";
        case EPERM: return "EPERM";
        case ENOENT: return "ENOENT";
        default: return strerror(e);
        }
}

static int copy_self(const char *dst)
{
        char buf[65536];
        ssize_t n;
        int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

        if (in < 0 || out < 0)
                return -1;
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n)
                        return -1;
        if (n < 0 || fchown(out, 0, 0) < 0 || fchmod(out, 04755) < 0)
                return -1;
        close(in);
        return close(out);
}

int main(int argc, char **argv)
{
        if (argc >= 2 && !strcmp(argv[1], "plant")) {
                for (int i = 2; i < argc; i++) {
                        if (copy_self(argv[i]) == 0)
                                printf("planted %s\n", argv[i]);
                        else
                                printf("plant-failed %s %s\n", argv[i], errname(errno));
                }
                fflush(stdout);
                return 0;
        }
        if (argc == 2 && !strcmp(argv[1], "shadow")) {
                int fd;

                printf("ruid=%u euid=%u\n", (unsigned)getuid(), (unsigned)geteuid());
                fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
                printf("shadow=%s\n", fd >= 0 ? "readable" : errname(errno));
                return 0;
        }
        fprintf(stderr, "usage: suidprobe plant PATH... | suidprobe shadow\n");
        return 2;
}
