/* podfs: parse the options, hand over to the daemon (daemon.c). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fs.h"
#include "pfs/status.h"
#include "pfs/store.h"

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: podfs [--state-dir DIR] [-f] [-d] [-o FUSE_OPTIONS] MOUNTPOINT\n"
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
                "  --container-log-max-size QUANTITY\n"
                "                    rotate a container's log file past this size, as\n"
                "                    kubelet's containerLogMaxSize (default 10Mi)\n"
                "  --container-log-max-files N\n"
                "                    log files kept per container run, the current one\n"
                "                    included, as kubelet's containerLogMaxFiles (default 5, >= 2)\n"
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
                PFS_STATE_DIR_DEFAULT);
}

/* --container-log-max-size: a quantity of bytes ("10Mi", "500k", "1048576"), at least 1 KiB. */
static int log_max_size_parse(const char *s, uint64_t *ret)
{
        int64_t milli;

        if (pod_quantity_milli(s, &milli) < 0 || milli < 1024 * 1000) {
                fprintf(stderr, "podfs: --container-log-max-size '%s': must be a quantity of at least 1Ki\n", s);
                return -EINVAL;
        }
        *ret = (uint64_t)((milli + 999) / 1000);
        return 0;
}

/* --container-log-max-files: 2 (current + one rotated) or more, as kubelet requires. */
static int log_max_files_parse(const char *s, int *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 2 || v > 1000) {
                fprintf(stderr, "podfs: --container-log-max-files '%s': must be a number from 2 to 1000\n", s);
                return -EINVAL;
        }
        *ret = (int)v;
        return 0;
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "state-dir", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { "container-log-max-size", required_argument, NULL, 'L' },
                { "container-log-max-files", required_argument, NULL, 'N' },
                {},
        };
        struct podfs_options o = {0};
        _cleanup_free_ char *extra = NULL;
        char mnt[PATH_MAX];
        int c;

        if (argc == 4 && !strcmp(argv[1], NOTIFIER_CHILD_FLAG))
                return notifier_child_run(argv[2], (pid_t)strtol(argv[3], NULL, 10));
        while ((c = getopt_long(argc, argv, "fdo:hV", longopts, NULL)) != -1) {
                switch (c) {
                case 's':
                        o.state_dir = optarg;
                        break;
                case 'f':
                        o.foreground = true;
                        break;
                case 'd':
                        o.debug = o.foreground = true;
                        break;
                case 'o': {
                        char *joined = extra ? xasprintf("%s,%s", extra, optarg) : xstrdup(optarg);

                        free(extra);
                        extra = joined;
                        break;
                }
                case 'L':
                        if (log_max_size_parse(optarg, &o.container_log_max_size) < 0)
                                return 2;
                        break;
                case 'N':
                        if (log_max_files_parse(optarg, &o.container_log_max_files) < 0)
                                return 2;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("podfs %s\n", PODFS_VERSION);
                        return 0;
                default:
                        usage(stderr);
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
