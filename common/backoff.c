/* The one back-off policy (pfs/backoff.h). */
#include "pfs/backoff.h"

int64_t pfs_backoff_step(int64_t *delay_ns, int64_t initial_ns, int64_t max_ns)
{
        if (*delay_ns <= 0)
                *delay_ns = initial_ns;
        else if (*delay_ns >= max_ns / 2)
                *delay_ns = max_ns;
        else
                *delay_ns *= 2;
        if (*delay_ns > max_ns)
                *delay_ns = max_ns;
        return *delay_ns;
}
