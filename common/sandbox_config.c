/* The daemon's flags for every sandbox: parsed here by both programs, so the
 * sandbox accepts exactly what the daemon accepted and passed on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/sandbox_config.h"
#include "pfs/spec.h"
#include "pfs/status.h"
#include "pfs/util.h"

static int pids_limit_set(struct pfs_sandbox_config *cfg, const char *s, struct pfs_error *err)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end || !(v == -1 || (v >= 1 && v <= PFS_POD_PIDS_LIMIT_MAX)))
                return pfs_error_set(err, EINVAL, "--pod-pids-limit: -1 or 1..%d, not '%s'",
                                     PFS_POD_PIDS_LIMIT_MAX, s);
        cfg->pod_pids_limit = v;
        return 0;
}

static int log_max_size_set(struct pfs_sandbox_config *cfg, const char *s, struct pfs_error *err)
{
        int64_t milli;

        if (pod_quantity_milli(s, &milli) < 0 || milli < 1024 * 1000)
                return pfs_error_set(err, EINVAL, "--container-log-max-size '%s': must be a quantity of at least 1Ki", s);
        cfg->log_max_size = (uint64_t)((milli + 999) / 1000);
        return 0;
}

static int log_max_files_set(struct pfs_sandbox_config *cfg, const char *s, struct pfs_error *err)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 2 || v > 1000)
                return pfs_error_set(err, EINVAL, "--container-log-max-files '%s': must be a number from 2 to 1000", s);
        cfg->log_max_files = (int)v;
        return 0;
}

static int dir_set(const char **field, const char *flag, const char *s, struct pfs_error *err)
{
        if (s[0] != '/')
                return pfs_error_set(err, EINVAL, "--%s '%s': must be an absolute path", flag, s);
        *field = s;
        return 0;
}

static int max_pods_set(struct pfs_sandbox_config *cfg, const char *s, struct pfs_error *err)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 1 || v > PFS_MAX_PODS_MAX)
                return pfs_error_set(err, EINVAL, "--max-pods '%s': must be a number from 1 to %d", s,
                                     PFS_MAX_PODS_MAX);
        cfg->max_pods = (int)v;
        return 0;
}

/* --image-gc-high-threshold / --image-gc-low-threshold: a percentage 0..100. */
static int percent_set(int *slot, const char *opt, const char *s, struct pfs_error *err)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 0 || v > 100)
                return pfs_error_set(err, EINVAL, "--%s '%s': must be a percentage from 0 to 100", opt, s);
        *slot = (int)v;
        return 0;
}

/* The kubelet's rule (NewAllowlist): only sysctls known to be namespaced
 * (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*), a trailing '*'
 * for a prefix. */
static int unsafe_sysctls_set(struct pfs_sandbox_config *cfg, const char *list, struct pfs_error *err)
{
        _cleanup_free_ char *l = xstrdup(list);

        for (char *save = NULL, *t = strtok_r(l, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                _cleanup_free_ char *probe = xstrdup(t);
                size_t n = strlen(probe);

                if (n && probe[n - 1] == '*')
                        probe[n - 1] = 'x'; /* "net.*" -> "net.x": namespaced when its prefix is */
                if (!pod_sysctl_is_namespaced(probe) && strcmp(t, "kernel.shm*") && strcmp(t, "kernel.msg*"))
                        return pfs_error_set(err, EINVAL, "--allowed-unsafe-sysctls: \"%s\": the sysctl is not "
                                             "namespaced (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)", t);
        }
        cfg->allowed_unsafe_sysctls = *list ? list : NULL;
        return 0;
}

int pfs_sandbox_config_check(const struct pfs_sandbox_config *cfg, struct pfs_error *err)
{
        if (cfg->image_gc_low >= cfg->image_gc_high)
                return pfs_error_set(err, EINVAL, "--image-gc-low-threshold (%d) must be less than "
                                     "--image-gc-high-threshold (%d)", cfg->image_gc_low, cfg->image_gc_high);
        return 0;
}

int pfs_sandbox_config_userns(struct pfs_sandbox_config *cfg, struct pfs_error *err)
{
        if (cfg->userns.first)
                return 0;
        return pfs_userns_range_resolve(NULL, &cfg->userns, err);
}

int pfs_sandbox_config_set(struct pfs_sandbox_config *cfg, int opt, const char *value, struct pfs_error *err)
{
        switch (opt) {
        case PFS_OPT_POD_PIDS_LIMIT:
                return pids_limit_set(cfg, value, err);
        case PFS_OPT_LOG_MAX_SIZE:
                return log_max_size_set(cfg, value, err);
        case PFS_OPT_LOG_MAX_FILES:
                return log_max_files_set(cfg, value, err);
        case PFS_OPT_CNI_CONF_DIR:
                return dir_set(&cfg->cni_conf_dir, "cni-conf-dir", value, err);
        case PFS_OPT_CNI_BIN_DIR:
                return dir_set(&cfg->cni_bin_dir, "cni-bin-dir", value, err);
        case PFS_OPT_IMAGE_GC_HIGH:
                return percent_set(&cfg->image_gc_high, "image-gc-high-threshold", value, err);
        case PFS_OPT_IMAGE_GC_LOW:
                return percent_set(&cfg->image_gc_low, "image-gc-low-threshold", value, err);
        case PFS_OPT_ALLOWED_UNSAFE_SYSCTLS:
                return unsafe_sysctls_set(cfg, value, err);
        case PFS_OPT_USERNS_RANGE:
                return pfs_userns_range_resolve(value, &cfg->userns, err);
        case PFS_OPT_MAX_PODS:
                return max_pods_set(cfg, value, err);
        default:
                return 1;
        }
}

size_t pfs_sandbox_config_argv(const struct pfs_sandbox_config *cfg, char *argv[PFS_SANDBOX_CONFIG_ARGC],
                               char buf[7][24])
{
        snprintf(buf[0], 24, "%lld", (long long)cfg->pod_pids_limit);
        snprintf(buf[1], 24, "%llu", (unsigned long long)cfg->log_max_size);
        snprintf(buf[2], 24, "%d", cfg->log_max_files);
        argv[0] = "--pod-pids-limit";
        argv[1] = buf[0];
        argv[2] = "--container-log-max-size";
        argv[3] = buf[1];
        argv[4] = "--container-log-max-files";
        argv[5] = buf[2];
        argv[6] = "--cni-conf-dir";
        argv[7] = (char *)cfg->cni_conf_dir;
        argv[8] = "--cni-bin-dir";
        argv[9] = (char *)cfg->cni_bin_dir;
        snprintf(buf[3], 24, "%d", cfg->image_gc_high);
        snprintf(buf[4], 24, "%d", cfg->image_gc_low);
        argv[10] = "--image-gc-high-threshold";
        argv[11] = buf[3];
        argv[12] = "--image-gc-low-threshold";
        argv[13] = buf[4];
        argv[14] = "--allowed-unsafe-sysctls";
        argv[15] = (char *)(cfg->allowed_unsafe_sysctls ? cfg->allowed_unsafe_sysctls : "");
        snprintf(buf[6], 24, "%d", cfg->max_pods);
        argv[16] = "--max-pods";
        argv[17] = buf[6];
        if (!cfg->userns.first)
                return 18;
        snprintf(buf[5], 24, "%u:%u", (unsigned)cfg->userns.first, (unsigned)cfg->userns.length);
        argv[18] = "--userns-range";
        argv[19] = buf[5];
        return PFS_SANDBOX_CONFIG_ARGC;
}
