/* podfs-sandbox: option parsing only; the sandbox lives in sandbox.c. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sandbox.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: podfs-sandbox --state-dir STATE --uid UID [--pod-pids-limit N] [--cleanup]\n"
                   "Run (or resume) the pod STATE/pods/UID; with --cleanup, kill what is left\n"
                   "of a pod whose sandbox died and return when nothing is left.\n"
                   "--pod-pids-limit N: pids.max of the pod's cgroup (default %d, -1 = none).\n",
                PFS_POD_PIDS_LIMIT_DEFAULT);
}

/* -1, or 1 .. the kernel's PID_MAX_LIMIT */
static bool pids_limit_parse(const char *s, int64_t *ret)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end || !(v == -1 || (v >= 1 && v <= PFS_POD_PIDS_LIMIT_MAX)))
                return false;
        *ret = v;
        return true;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"state-dir", required_argument, NULL, 's'},
                {"uid", required_argument, NULL, 'u'},
                {"cleanup", no_argument, NULL, 'c'},
                {"pod-pids-limit", required_argument, NULL, 'P'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {0},
        };
        const char *state_dir = NULL, *uid = NULL;
        struct sandbox_options so = { .pod_pids_limit = PFS_POD_PIDS_LIMIT_DEFAULT };
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
                case 'P':
                        if (!pids_limit_parse(optarg, &so.pod_pids_limit)) {
                                fprintf(stderr, "podfs-sandbox: --pod-pids-limit: -1 or 1..%d, not '%s'\n",
                                        PFS_POD_PIDS_LIMIT_MAX, optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("podfs-sandbox %s\n", PODFS_VERSION);
                        return 0;
                default:
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
        return cleanup ? sandbox_cleanup(state_dir, uid) : sandbox_run(state_dir, uid, &so);
}
