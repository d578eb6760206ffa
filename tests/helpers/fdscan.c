/* fdscan: run inside a container, look for a way out through the processes
 * it can see (runc CVE-2016-9962, CVE-2019-5736, CVE-2024-21626 class).
 *
 * In a loop, for every other process in /proc: open /proc/PID/{exe,cwd,root}
 * and every /proc/PID/fd/N. For a directory, climb ".." to the top and, when
 * the top is the host's root, read its etc/hostname; when the directory is
 * in the state dir, create a file in it. Prints one line per finding (each
 * once):
 *   ESCAPE PID WHAT -> LINK      a directory whose top is the host's root
 *   READ PID WHAT: TEXT          the host's etc/hostname read through it
 *   CREATE PID WHAT: NAME        a file created in the host's directory
 *   HOST PID WHAT -> LINK        a forbidden object (-f) or path (-s)
 *   DEVICE PID WHAT -> LINK      a device outside the OCI default set
 *   OPAQUE PID WHAT -> LINK      anything of a process that must stay shut (-o)
 * and, not findings: "SEEN PID COMM" once per process seen, "SCANNING" after
 * the first round, "DONE ROUNDS" when the time (-t) is up; then it sleeps.
 *
 * Options: -r DEV:INO the host's root; -f DEV:INO a forbidden object (any
 * number); -s TEXT a forbidden path prefix (any number); -o PID a process
 * whose fds, cwd, root and exe must not open; -t SECONDS how long to scan
 * (default 20). DEV:INO as `stat -c %d:%i` prints them. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST 16
#define MAX_SEEN 65536
#define MAX_PRINTED 4096

struct ident {
        unsigned long long dev, ino;
};

static struct ident host_root, forbidden[MAX_LIST];
static int have_host_root, n_forbidden;
static const char *forbidden_paths[MAX_LIST];
static int n_forbidden_paths;
static long opaque[MAX_LIST];
static int n_opaque;
static unsigned char seen[MAX_SEEN / 8];
static unsigned long printed[MAX_PRINTED];
static int n_printed;

static unsigned long hash(const char *s)
{
        unsigned long h = 5381;

        for (; *s; s++)
                h = h * 33 + (unsigned char)*s;
        return h;
}

/* Print LINE once. */
static void report(const char *line)
{
        unsigned long h = hash(line);

        for (int i = 0; i < n_printed; i++)
                if (printed[i] == h)
                        return;
        if (n_printed < MAX_PRINTED)
                printed[n_printed++] = h;
        printf("%s\n", line);
        fflush(stdout);
}

static int ident_parse(const char *s, struct ident *id)
{
        return sscanf(s, "%llu:%llu", &id->dev, &id->ino) == 2 ? 0 : -1;
}

static int ident_is(const struct stat *st, const struct ident *id)
{
        return (unsigned long long)st->st_dev == id->dev && (unsigned long long)st->st_ino == id->ino;
}

static int is_opaque(long pid)
{
        for (int i = 0; i < n_opaque; i++)
                if (opaque[i] == pid)
                        return 1;
        return 0;
}

/* The OCI default devices: null zero full random urandom, tty console ptmx, pts. */
static int device_allowed(const struct stat *st)
{
        unsigned int ma = major(st->st_rdev), mi = minor(st->st_rdev);

        if (ma == 1)
                return mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9;
        if (ma == 5)
                return mi <= 2;
        return ma == 136;
}

/* Climb ".." from DIR; returns the top directory's fd (or -1). */
static int climb(int dir)
{
        int cur = dup(dir);

        for (int i = 0; cur >= 0 && i < 4096; i++) {
                struct stat a, b;
                int up = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

                if (up < 0 || fstat(cur, &a) < 0 || fstat(up, &b) < 0) {
                        if (up >= 0)
                                close(up);
                        break;
                }
                if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
                        close(up);
                        return cur;
                }
                close(cur);
                cur = up;
        }
        if (cur >= 0)
                close(cur);
        return -1;
}

static void try_escape(long pid, const char *what, int dir, const char *link)
{
        char line[8192], text[256];
        struct stat st;
        int top = climb(dir), fd;
        ssize_t n;

        if (top < 0)
                return;
        if (!have_host_root || fstat(top, &st) < 0 || !ident_is(&st, &host_root)) {
                close(top);
                return;
        }
        snprintf(line, sizeof(line), "ESCAPE %ld %s -> %s", pid, what, link);
        report(line);
        fd = openat(top, "etc/hostname", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                n = read(fd, text, sizeof(text) - 1);
                text[n > 0 ? n : 0] = '\0';
                text[strcspn(text, "\n")] = '\0';
                snprintf(line, sizeof(line), "READ %ld %s: %s", pid, what, text);
                report(line);
                close(fd);
        }
        close(top);
        for (int i = 0; i < n_forbidden_paths; i++) {
                if (strncmp(link, forbidden_paths[i], strlen(forbidden_paths[i])) != 0)
                        continue;
                snprintf(text, sizeof(text), "fdscan-escape-%ld", pid);
                fd = openat(dir, text, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                if (fd >= 0) {
                        snprintf(line, sizeof(line), "CREATE %ld %s: %s/%s", pid, what, link, text);
                        report(line);
                        close(fd);
                }
                break;
        }
}

static void check_link(long pid, const char *what)
{
        char path[400], link[4096], line[8192];
        struct stat st;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%ld/%s", pid, what);
        n = readlink(path, link, sizeof(link) - 1);
        if (n < 0)
                return;
        link[n] = '\0';
        fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return;
        if (fstat(fd, &st) < 0) {
                close(fd);
                return;
        }
        if (is_opaque(pid)) {
                snprintf(line, sizeof(line), "OPAQUE %ld %s -> %s", pid, what, link);
                report(line);
        }
        for (int i = 0; i < n_forbidden; i++)
                if (ident_is(&st, &forbidden[i])) {
                        snprintf(line, sizeof(line), "HOST %ld %s -> %s", pid, what, link);
                        report(line);
                }
        for (int i = 0; i < n_forbidden_paths; i++)
                if (strncmp(link, forbidden_paths[i], strlen(forbidden_paths[i])) == 0) {
                        snprintf(line, sizeof(line), "HOST %ld %s -> %s", pid, what, link);
                        report(line);
                }
        if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && !device_allowed(&st)) {
                snprintf(line, sizeof(line), "DEVICE %ld %s -> %s", pid, what, link);
                report(line);
        }
        if (S_ISDIR(st.st_mode))
                try_escape(pid, what, fd, link);
        close(fd);
}

static void scan_pid(long pid)
{
        char path[64], what[300];
        struct dirent *de;
        DIR *d;

        if (pid > 0 && pid < MAX_SEEN && !(seen[pid / 8] & (1 << (pid % 8)))) {
                char comm[64] = "", line[128];
                FILE *f;

                seen[pid / 8] |= (unsigned char)(1 << (pid % 8));
                snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
                if ((f = fopen(path, "re"))) {
                        if (fgets(comm, sizeof(comm), f))
                                comm[strcspn(comm, "\n")] = '\0';
                        fclose(f);
                }
                snprintf(line, sizeof(line), "SEEN %ld %s", pid, comm);
                report(line);
        }
        check_link(pid, "exe");
        check_link(pid, "cwd");
        check_link(pid, "root");
        snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(what, sizeof(what), "fd/%s", de->d_name);
                check_link(pid, what);
        }
        closedir(d);
}

static void scan_round(long self)
{
        struct dirent *de;
        DIR *d = opendir("/proc");

        if (!d)
                return;
        while ((de = readdir(d))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);

                if (*end || pid <= 0 || pid == self)
                        continue;
                scan_pid(pid);
        }
        closedir(d);
}

static void on_term(int sig)
{
        (void)sig;
        _exit(0);
}

int main(int argc, char **argv)
{
        long seconds = 20, rounds = 0, self = (long)getpid();
        struct timespec start, now;
        int o;

        while ((o = getopt(argc, argv, "r:f:s:o:t:")) != -1) {
                switch (o) {
                case 'r':
                        have_host_root = ident_parse(optarg, &host_root) == 0;
                        break;
                case 'f':
                        if (n_forbidden < MAX_LIST && ident_parse(optarg, &forbidden[n_forbidden]) == 0)
                                n_forbidden++;
                        break;
                case 's':
                        if (n_forbidden_paths < MAX_LIST)
                                forbidden_paths[n_forbidden_paths++] = optarg;
                        break;
                case 'o':
                        if (n_opaque < MAX_LIST)
                                opaque[n_opaque++] = atol(optarg);
                        break;
                case 't':
                        seconds = atol(optarg);
                        break;
                default:
                        fprintf(stderr, "usage: fdscan [-r DEV:INO] [-f DEV:INO]... [-s PATH]... [-o PID]... [-t SECONDS]\n");
                        return 2;
                }
        }
        signal(SIGTERM, on_term);   /* as pid 1 a default action would be ignored */
        clock_gettime(CLOCK_MONOTONIC, &start);
        for (;;) {
                scan_round(self);
                if (rounds++ == 0)
                        report("SCANNING");
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= seconds)
                        break;
        }
        printf("DONE %ld\n", rounds);
        fflush(stdout);
        for (;;)
                pause();
}
