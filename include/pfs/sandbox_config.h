/* What the daemon's flags set for every sandbox: one struct, parsed by both
 * programs with the same rules (sandbox_config.c), handed from the daemon to
 * each sandbox on its command line. */
#pragma once
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include "pfs/error.h"
#include "pfs/store.h"
#include "pfs/userns.h"

struct pfs_sandbox_config {
        int64_t pod_pids_limit;         /* pids.max of the pod's cgroup, -1 = none (kubelet's podPidsLimit) */
        uint64_t log_max_size;          /* kubelet's containerLogMaxSize: rotate the current log beyond it */
        int log_max_files;              /* kubelet's containerLogMaxFiles (>= 2): current + rotated of one run */
        const char *cni_conf_dir;       /* the pod network's configuration (kubelet's --cni-conf-dir) */
        const char *cni_bin_dir;        /* where the CNI plugins are, ':'-separated (CNI_PATH) */
        int image_gc_high;              /* kubelet's imageGCHighThresholdPercent: GC of pulled images beyond it */
        int image_gc_low;               /* ... imageGCLowThresholdPercent: down to it */
        const char *allowed_unsafe_sysctls;     /* kubelet's --allowed-unsafe-sysctls: "a,b,net.*", or NULL */
        struct pfs_userns_range userns; /* host ids of hostUsers: false pods (userns.h); first 0 = unresolved */
        int max_pods;                   /* kubelet's maxPods: the node's pod capacity (admission, node.json) */
};

#define PFS_LOG_MAX_SIZE_DEFAULT (10ULL * 1024 * 1024)  /* 10Mi */
#define PFS_LOG_MAX_FILES_DEFAULT 5
#define PFS_CNI_CONF_DIR_DEFAULT "/etc/cni/net.d"
#define PFS_CNI_BIN_DIR_DEFAULT "/usr/lib/cni"
#define PFS_MAX_PODS_DEFAULT 110        /* the kubelet's default maxPods */
#define PFS_MAX_PODS_MAX 1000000
#define PFS_SANDBOX_CONFIG_DEFAULT \
        { PFS_POD_PIDS_LIMIT_DEFAULT, PFS_LOG_MAX_SIZE_DEFAULT, PFS_LOG_MAX_FILES_DEFAULT, \
          PFS_CNI_CONF_DIR_DEFAULT, PFS_CNI_BIN_DIR_DEFAULT, 85, 80, NULL, { 0, 0 }, PFS_MAX_PODS_DEFAULT }

/* getopt_long values of the options, and their table entries for both programs. */
enum { PFS_OPT_POD_PIDS_LIMIT = 0x100, PFS_OPT_LOG_MAX_SIZE, PFS_OPT_LOG_MAX_FILES, PFS_OPT_CNI_CONF_DIR,
       PFS_OPT_CNI_BIN_DIR, PFS_OPT_IMAGE_GC_HIGH, PFS_OPT_IMAGE_GC_LOW, PFS_OPT_ALLOWED_UNSAFE_SYSCTLS,
       PFS_OPT_USERNS_RANGE, PFS_OPT_MAX_PODS };
#define PFS_SANDBOX_CONFIG_OPTIONS \
        { "pod-pids-limit", required_argument, NULL, PFS_OPT_POD_PIDS_LIMIT }, \
        { "container-log-max-size", required_argument, NULL, PFS_OPT_LOG_MAX_SIZE }, \
        { "container-log-max-files", required_argument, NULL, PFS_OPT_LOG_MAX_FILES }, \
        { "cni-conf-dir", required_argument, NULL, PFS_OPT_CNI_CONF_DIR }, \
        { "cni-bin-dir", required_argument, NULL, PFS_OPT_CNI_BIN_DIR }, \
        { "image-gc-high-threshold", required_argument, NULL, PFS_OPT_IMAGE_GC_HIGH }, \
        { "image-gc-low-threshold", required_argument, NULL, PFS_OPT_IMAGE_GC_LOW }, \
        { "allowed-unsafe-sysctls", required_argument, NULL, PFS_OPT_ALLOWED_UNSAFE_SYSCTLS }, \
        { "userns-range", required_argument, NULL, PFS_OPT_USERNS_RANGE }, \
        { "max-pods", required_argument, NULL, PFS_OPT_MAX_PODS }

/* OPT (one of PFS_OPT_*) = VALUE into cfg: --pod-pids-limit -1 or 1..4194304,
 * --container-log-max-size a quantity ("10Mi", "500k", "1048576") of at least
 * 1Ki, --container-log-max-files 2..1000, --cni-conf-dir and --cni-bin-dir
 * absolute paths, --allowed-unsafe-sysctls namespaced sysctls or prefixes
 * ("net.*"; "" for none), --max-pods 1..1000000 (VALUE is kept, not copied). 1 when OPT is none of them, 0
 * when set, -EINVAL with err saying why. */
int pfs_sandbox_config_set(struct pfs_sandbox_config *cfg, int opt, const char *value, struct pfs_error *err);

/* --userns-range FIRST:LENGTH is checked as the kubelet checks its range.
 * Unless it was given: /etc/subuid and /etc/subgid's range for "podfs", else
 * the default (pfs_userns_range_resolve); the daemon resolves it at start,
 * a sandbox started by hand when its pod needs it. */
int pfs_sandbox_config_userns(struct pfs_sandbox_config *cfg, struct pfs_error *err);

/* After all options: the kubelet's check that the low threshold is below the high one. */
int pfs_sandbox_config_check(const struct pfs_sandbox_config *cfg, struct pfs_error *err);

/* The sandbox's options for cfg, appended to argv (PFS_SANDBOX_CONFIG_ARGC
 * entries at most: --userns-range only once resolved); the numbers are
 * written into buf. Returns the number of entries. */
#define PFS_SANDBOX_CONFIG_ARGC 20
size_t pfs_sandbox_config_argv(const struct pfs_sandbox_config *cfg, char *argv[PFS_SANDBOX_CONFIG_ARGC],
                               char buf[7][24]);
