/* Step timestamps for `bench/pods.sh --breakdown`. Off unless PODFS_TRACE
 * names a file in the environment (the daemon passes its environment on to
 * every sandbox); then every step of the daemon and of the sandboxes is one
 * line appended to that file with one write(2):
 *     UID-or-NS/NAME STEP CLOCK_MONOTONIC_NS */
#pragma once
#include <stdbool.h>

bool pfs_trace_enabled(void);
void pfs_trace(const char *key, const char *step);
