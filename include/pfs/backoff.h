/* The one back-off policy (kubelet's flowcontrol.Backoff): a delay that starts
 * at an initial value and doubles on every step up to a maximum. Container
 * restarts (CrashLoopBackOff, with kubelet's reset rule in pod_backoff_next)
 * and image pulls (ImagePullBackOff) step it. */
#pragma once
#include <stdint.h>

/* *delay_ns becomes initial_ns when 0, else doubles, capped at max_ns; returns it. */
int64_t pfs_backoff_step(int64_t *delay_ns, int64_t initial_ns, int64_t max_ns);
