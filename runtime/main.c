/* podfs-sandbox: option parsing only; the sandbox lives in sandbox.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sandbox.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: podfs-sandbox --state-dir STATE --uid UID [--cleanup]\n"
                   "Run (or resume) the pod STATE/pods/UID; with --cleanup, kill what is left\n"
                   "of a pod whose sandbox died and return when nothing is left.\n");
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                {"state-dir", required_argument, NULL, 's'},
                {"uid", required_argument, NULL, 'u'},
                {"cleanup", no_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {0},
        };
        const char *state_dir = NULL, *uid = NULL;
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
        return cleanup ? sandbox_cleanup(state_dir, uid) : sandbox_run(state_dir, uid);
}
