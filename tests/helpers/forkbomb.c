/* forkbomb [MAX]: every process forks for ever (hostile-pids.sh), until MAX
 * processes exist in all (default 1000): a safety stop, so that without a
 * pids limit the bomb shows the limit missing instead of taking the test
 * machine down. A refused fork is retried after a short pause, so the bomb
 * keeps pressing on its limit without burning a whole CPU. Prints:
 *   fork ERRNO      once, from the first process, at the first refused fork
 *   cap MAX         once, when the safety stop was reached
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        struct timespec pause = { .tv_sec = 0, .tv_nsec = 20 * 1000000L };
        long max = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
        long *count = mmap(NULL, sizeof(*count), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        pid_t first = getpid();
        int told = 0;

        if (count == MAP_FAILED)
                return 1;
        setvbuf(stdout, NULL, _IOLBF, 0);
        *count = 1;
        for (;;) {
                /* a place is reserved before the fork: MAX is never passed */
                if (__atomic_add_fetch(count, 1, __ATOMIC_SEQ_CST) > max) {
                        __atomic_sub_fetch(count, 1, __ATOMIC_SEQ_CST);
                        if (getpid() == first && told < 2) {
                                printf("cap %ld\n", max);
                                told = 2;
                        }
                        nanosleep(&pause, NULL);
                        continue;
                }
                if (fork() >= 0)
                        continue;
                __atomic_sub_fetch(count, 1, __ATOMIC_SEQ_CST);
                if (!told && getpid() == first) {
                        printf("fork %s\n", errno == EAGAIN ? "EAGAIN" : strerror(errno));
                        told = 1;
                }
                nanosleep(&pause, NULL);
        }
}
