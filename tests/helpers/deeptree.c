/* deeptree DIR DEPTH: a chain of DEPTH directories "d" under DIR (created),
 * walked down with openat so neither PATH_MAX nor the fd limit stops it.
 * Prints "made DEPTH" or where it stopped. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        int fd, next, depth, i;

        if (argc != 3)
                return 2;
        depth = atoi(argv[2]);
        mkdir(argv[1], 0755);
        fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (i = 0; fd >= 0 && i < depth; i++) {
                if (mkdirat(fd, "d", 0755) < 0 && errno != EEXIST)
                        break;
                next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(fd);
                fd = next;
        }
        if (i < depth) {
                printf("stopped at %d: %s\n", i, strerror(errno));
                return 1;
        }
        printf("made %d\n", depth);
        return 0;
}
