/* Lifecycle hooks (hook.c): postStart and preStop handlers (exec inside the
 * container, httpGet by the runtime, sleep by the runtime), with kubelet's
 * failure messages. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "handler.h"

enum hook_outcome {
        HOOK_OK,
        HOOK_FAILED,            /* message: kubelet's "Exec lifecycle hook (...) ... failed - error: ..." */
        HOOK_CUT,               /* its time limit ran out (preStop: the grace period) */
};

struct hook;
typedef void (*hook_done_fn)(struct sbx *s, struct hook *k, enum hook_outcome outcome, const char *message,
                             void *data);

struct hook {
        struct handler_run run;
        const struct pod_container *ctr;
        const struct pod_handler *h;
        const char *pod_ref;    /* "name_ns(uid)" */
        hook_done_fn fn;
        void *data;
};

void hook_init(struct hook *k);
bool hook_busy(const struct hook *k);
/* Run handler h of container c (main process pid/pidfd, its cgroup or -1
 * for an exec); timeout_ns 0 = none. */
int hook_start(struct sbx *s, struct hook *k, const struct pod_container *c, const struct pod_handler *h,
               const char *pod_ref, pid_t pid, int pidfd, int cgroup_fd, int64_t timeout_ns, hook_done_fn fn,
               void *data, struct pfs_error *err);
/* Abandon a running hook (no callback). */
void hook_cancel(struct sbx *s, struct hook *k);
