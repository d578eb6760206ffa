/* podfs: parse the options, hand over to the daemon (daemon.c). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"
#include "pfs/pss.h"
#include "pfs/status.h"
#include "pfs/store.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: podfs [--state-dir DIR] [--cni-conf-dir DIR] [--cni-bin-dir DIR] [-f] [-d] [-o FUSE_OPTIONS]\n"
                "             [OPTION]... MOUNTPOINT\n"
                "\n"
                "A node-local pod runtime whose interface is this filesystem: write a Pod\n"
                "manifest to MOUNTPOINT/<namespace>/<pod>/spec.yaml (or drop a *.yaml into\n"
                "MOUNTPOINT/<namespace>/) and the pod runs; its phase, conditions, status,\n"
                "events and logs are files. rmdir of a pod dir deletes the pod.\n"
                "\n"
                "  --state-dir DIR   durable state (default %s)\n"
                "  -f                stay in the foreground\n"
                "  -d                debug: log every FUSE request (implies -f)\n"
                "  -o OPTIONS        extra mount options (comma separated)\n"
                "  --pod-pids-limit N  pids.max of every pod's cgroup: a fork bomb stays in\n"
                "                    its pod (kubelet's podPidsLimit; default %d, -1 = no\n"
                "                    limit)\n"
                "  --max-pods N      the most pods the node runs at once, as kubelet's\n"
                "                    maxPods: one more fails with OutOfpods (default 110)\n"
                "  --container-log-max-size QUANTITY\n"
                "                    rotate a container's log file past this size, as\n"
                "                    kubelet's containerLogMaxSize (default 10Mi)\n"
                "  --container-log-max-files N\n"
                "                    log files kept per container run, the current one\n"
                "                    included, as kubelet's containerLogMaxFiles (default 5, >= 2)\n"
                "  --cni-conf-dir DIR  the pod network: the first *.conflist, *.conf or *.json\n"
                "                    in DIR (default /etc/cni/net.d); when there is none,\n"
                "                    podfs writes its default bridge network there (podfs.conflist;\n"
                "                    its subnet's masquerade rule made sure of at every start)\n"
                "  --cni-bin-dir DIR   the CNI plugins (default /usr/lib/cni; ':' separates dirs);\n"
                "                    a config or plugin that users other than root could change\n"
                "                    (it or a directory above it) is not used\n"
                "  --image-gc-high-threshold PERCENT\n"
                "  --image-gc-low-threshold PERCENT\n"
                "                    when the state dir's filesystem is fuller than the high\n"
                "                    threshold after a pull, pulled images no pod uses are\n"
                "                    removed, least recently used first, down to the low one\n"
                "                    (kubelet's imageGCHigh/LowThresholdPercent; 85, 80)\n"
                "  --pod-security-enforce LEVEL\n"
                "                    the Pod Security Standard (privileged, baseline,\n"
                "                    restricted) a namespace enforces when it has no\n"
                "                    pod-security.kubernetes.io/enforce label (default\n"
                "                    privileged: nothing refused)\n"
                "  --pod-security-warn LEVEL\n"
                "                    the same for warn: a violating pod is accepted and the\n"
                "                    warning goes to <ns>/.last-error (default privileged)\n"
                "  --pod-security-exempt-namespaces LIST\n"
                "                    namespaces (comma separated) Pod Security does not\n"
                "                    check at all, whatever their labels (the admission's\n"
                "                    exemptions.namespaces)\n"
                "  --allowed-unsafe-sysctls LIST\n"
                "                    namespaced sysctls outside the kubelet's safe set a pod\n"
                "                    may set (comma separated, 'net.*' for a prefix), as the\n"
                "                    kubelet's flag; a pod with another fails (SysctlForbidden)\n"
                "  --max-object-bytes-per-user QUANTITY\n"
                "                    the most bytes the ConfigMaps, Secrets and claims a\n"
                "                    user owns may take in the state dir, all namespaces\n"
                "                    together, as a disk quota: a change past it fails\n"
                "                    with EDQUOT (\"exceeded quota: podfs-user-UID\" in\n"
                "                    .last-error). Root is not limited (default 256Mi,\n"
                "                    0 = no limit)\n"
                "  --userns-range FIRST:LENGTH\n"
                "                    host uids/gids for pods with hostUsers: false, 65536 per\n"
                "                    pod (default: the range of user \"podfs\" in /etc/subuid\n"
                "                    and /etc/subgid, else 65536:4294901760 as the kubelet,\n"
                "                    above the users' subordinate ids there)\n"
                "  -h, --help        this help\n"
                "  -V, --version     print the version\n"
                "\n"
                "Control files:\n"
                "  <ns>/<pod>/delete      write N: delete the pod with a grace period of N\n"
                "                         seconds (0 = now); rmdir uses the pod's\n"
                "                         terminationGracePeriodSeconds. Returns at once.\n"
                "  <ns>/<pod>/wait        a read blocks until the pod is gone, then returns\n"
                "                         end of file (interruptible).\n"
                "  <ns>/.last-error       the last rejected write in the namespace: time and\n"
                "                         reason (file, line, field). A rejected manifest fails\n"
                "                         the writer's close() with EINVAL (EFBIG above 1 MiB,\n"
                "                         EEXIST while a pod of that name terminates).\n"
                "\n"
                "Without -f the daemon logs to STATE/podfs.log.\n"
                "Unmount with: fusermount3 -u MOUNTPOINT\n",
                PFS_STATE_DIR_DEFAULT, PFS_POD_PIDS_LIMIT_DEFAULT);
}

/* Adds -o options to *extra (comma-joined). */
static void fuse_option_add(char **extra, const char *opt)
{
        char *joined = *extra ? xasprintf("%s,%s", *extra, opt) : xstrdup(opt);

        free(*extra);
        *extra = joined;
}

/* -1: go on and run; else the exit status (--help, --version, a bad option). */
static int options_parse(int argc, char **argv, struct podfs_options *o, char **extra)
{
        static const struct option longopts[] = {
                { "state-dir", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                PFS_SANDBOX_CONFIG_OPTIONS,
                { "pod-security-enforce", required_argument, NULL, 'E' },
                { "pod-security-warn", required_argument, NULL, 'W' },
                { "pod-security-exempt-namespaces", required_argument, NULL, 'X' },
                { "max-object-bytes-per-user", required_argument, NULL, 'Q' },
                {},
        };
        struct pfs_error err = {0};
        int c;

        while ((c = getopt_long(argc, argv, "fdo:hV", longopts, NULL)) != -1) {
                switch (c) {
                case 's':
                        o->state_dir = optarg;
                        break;
                case 'f':
                        o->foreground = true;
                        break;
                case 'd':
                        o->debug = o->foreground = true;
                        break;
                case 'o':
                        fuse_option_add(extra, optarg);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("podfs %s\n", PODFS_VERSION);
                        return 0;
                case 'E':
                case 'W':
                        if (pfs_pss_level_of(optarg) < 0) {
                                fprintf(stderr, "podfs: --pod-security-%s: \"%s\": must be privileged, baseline or "
                                        "restricted\n", c == 'E' ? "enforce" : "warn", optarg);
                                return 2;
                        }
                        *(c == 'E' ? &o->pss_enforce : &o->pss_warn) = pfs_pss_level_of(optarg);
                        break;
                case 'X':
                        o->pss_exempt_namespaces = optarg;
                        break;
                case 'Q':
                        if (quota_obj_max_parse(optarg, &o->obj_bytes_max, &err) < 0) {
                                fprintf(stderr, "podfs: %s\n", err.msg);
                                return 2;
                        }
                        o->obj_bytes_max_text = optarg;
                        break;
                default:
                        if (c >= PFS_OPT_POD_PIDS_LIMIT && pfs_sandbox_config_set(&o->sandbox, c, optarg, &err) == 0)
                                break;
                        if (err.code)
                                fprintf(stderr, "podfs: %s\n", err.msg);
                        else
                                usage(stderr);
                        return 2;
                }
        }
        return -1;
}

int main(int argc, char **argv)
{
        struct podfs_options o = { .sandbox = PFS_SANDBOX_CONFIG_DEFAULT,
                                   .obj_bytes_max = PFS_OBJECT_BYTES_PER_USER_DEFAULT,
                                   .obj_bytes_max_text = PFS_OBJECT_BYTES_PER_USER_DEFAULT_TEXT };
        _cleanup_free_ char *extra = NULL;
        char mnt[PATH_MAX];
        int r;

        if (argc == 4 && !strcmp(argv[1], NOTIFIER_CHILD_FLAG))
                return notifier_child_run(argv[2], (pid_t)strtol(argv[3], NULL, 10));
        r = options_parse(argc, argv, &o, &extra);
        if (r >= 0)
                return r;
        {
                struct pfs_error err = {0};

                if (pfs_sandbox_config_check(&o.sandbox, &err) < 0 ||
                    pfs_sandbox_config_userns(&o.sandbox, &err) < 0) {
                        fprintf(stderr, "podfs: %s\n", err.msg);
                        return 2;
                }
        }
        if (optind != argc - 1) {
                usage(stderr);
                return 2;
        }
        if (!realpath(argv[optind], mnt)) {
                fprintf(stderr, "podfs: mountpoint '%s': %s\n", argv[optind], strerror(errno));
                return 1;
        }
        o.mountpoint = mnt;
        o.fuse_options = extra;
        return podfs_daemon_run(&o);
}
