/* Step timestamps for the benchmark's breakdown (include/pfs/trace.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "pfs/trace.h"
#include "pfs/util.h"

static int trace_fd = -2; /* -2: not looked at yet, -1: off */

bool pfs_trace_enabled(void)
{
        if (trace_fd == -2) {
                const char *path = getenv("PODFS_TRACE");

                trace_fd = path && *path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
        }
        return trace_fd >= 0;
}

void pfs_trace(const char *key, const char *step)
{
        char line[512];
        int n;

        if (!pfs_trace_enabled())
                return;
        n = snprintf(line, sizeof(line), "%s %s %lld\n", key && *key ? key : "-", step,
                     (long long)pfs_now_monotonic_ns());
        if (n > 0 && (size_t)n < sizeof(line))
                (void)!write(trace_fd, line, (size_t)n);
}
