/* Probe runners (probe.c): one per (container, probe kind), as kubelet's
 * prober workers. A timerfd on a fixed grid (initialDelaySeconds, then every
 * periodSeconds), one attempt in flight at most, bounded by timeoutSeconds;
 * missed slots are skipped, never piled up. Thresholds turn attempts into the
 * result the supervisor acts on. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "handler.h"

enum probe_kind { PROBE_STARTUP, PROBE_LIVENESS, PROBE_READINESS, PROBE__MAX };

struct probe;

/* One finished attempt. result is the thresholded result after it; changed
 * says it flipped (or, for a failure of liveness/startup, reached the
 * threshold: the container must be restarted). An attempt that errored
 * changes nothing. */
struct probe_attempt {
        enum handler_result outcome;
        const char *message;
        bool result;
        bool changed;
};
typedef void (*probe_result_fn)(struct sbx *s, struct probe *p, const struct probe_attempt *a, void *data);

struct probe {
        enum probe_kind kind;
        const struct pod_probe *spec;
        const struct pod_container *ctr;
        struct handler_run run;
        struct sbx_watch tick_w;
        int64_t next_mono;      /* the grid slot of the next attempt */
        bool active;
        bool result;            /* thresholded: liveness starts true, the others false */
        int32_t run_len;        /* consecutive attempts with the same outcome */
        bool last_ok;
        pid_t pid;
        int pidfd;              /* borrowed from the supervisor */
        int cgroup_fd;          /* the container's cgroup for exec probes (borrowed), or -1 */
        probe_result_fn fn;
        void *data;
};

/* "Liveness", "Readiness", "Startup" (for "Liveness probe failed: ..."). */
const char *probe_kind_name(enum probe_kind k);
void probe_init(struct probe *p, enum probe_kind kind, const struct pod_container *c,
                const struct pod_probe *spec, probe_result_fn fn, void *data);
/* Start probing the container's current run (main process pid/pidfd, its
 * cgroup or -1), which started at started_mono: the first attempt at
 * started_mono + initialDelaySeconds (or now, if that is past). */
int probe_start(struct sbx *s, struct probe *p, pid_t pid, int pidfd, int cgroup_fd, int64_t started_mono,
                struct pfs_error *err);
/* Stop: an attempt in flight is abandoned, the timer disarmed, counts reset. */
void probe_stop(struct sbx *s, struct probe *p);
