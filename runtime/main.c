/* podfs-sandbox: option parsing only; the sandbox lives in sandbox.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sandbox.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: podfs-sandbox --state-dir STATE --uid UID [--cleanup]\n"
                   "                     [--pod-pids-limit N] [--container-log-max-size QUANTITY]\n"
                   "                     [--container-log-max-files N] [--cni-conf-dir DIR] [--cni-bin-dir DIR]\n"
                   "                     [--allowed-unsafe-sysctls LIST] [--userns-range FIRST:LENGTH]\n"
                   "Run (or resume) the pod STATE/pods/UID; with --cleanup, kill what is left\n"
                   "of a pod whose sandbox died and return when nothing is left.\n"
                   "The daemon passes its own --pod-pids-limit (default %d, -1 = none),\n"
                   "--container-log-max-size (default 10Mi) and --container-log-max-files\n"
                   "(default %d): see podfs(8).\n",
                PFS_POD_PIDS_LIMIT_DEFAULT, PFS_LOG_MAX_FILES_DEFAULT);
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"state-dir", required_argument, NULL, 's'},
                {"uid", required_argument, NULL, 'u'},
                {"cleanup", no_argument, NULL, 'c'},
                PFS_SANDBOX_CONFIG_OPTIONS,
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {0},
        };
        const char *state_dir = NULL, *uid = NULL;
        struct pfs_sandbox_config cfg = PFS_SANDBOX_CONFIG_DEFAULT;
        struct pfs_error err = {0};
        bool cleanup = false;
        int o;

        while ((o = getopt_long(argc, argv, "s:u:chV", opts, NULL)) != -1) {
                switch (o) {
                case 's':
                        state_dir = optarg;
                        break;
                case 'u':
                        uid = optarg;
                        break;
                case 'c':
                        cleanup = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("podfs-sandbox %s\n", PODFS_VERSION);
                        return 0;
                default:
                        if (o >= PFS_OPT_POD_PIDS_LIMIT && pfs_sandbox_config_set(&cfg, o, optarg, &err) == 0)
                                break;
                        if (err.code)
                                fprintf(stderr, "podfs-sandbox: %s\n", err.msg);
                        else
                                usage(stderr);
                        return 2;
                }
        }
        if (!state_dir || !uid || optind != argc) {
                usage(stderr);
                return 2;
        }
        if (!sandbox_uid_valid(uid)) {
                fprintf(stderr, "podfs-sandbox: invalid pod uid '%s'\n", uid);
                return 2;
        }
        return cleanup ? sandbox_cleanup(state_dir, uid, &cfg) : sandbox_run(state_dir, uid, &cfg);
}
