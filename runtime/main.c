/* podfs-sandbox: option parsing only; the sandbox lives in sandbox.c. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sandbox.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: podfs-sandbox --state-dir STATE --uid UID [--cleanup]\n"
                   "                     [--container-log-max-size BYTES] [--container-log-max-files N]\n"
                   "Run (or resume) the pod STATE/pods/UID; with --cleanup, kill what is left\n"
                   "of a pod whose sandbox died and return when nothing is left.\n"
                   "Logs rotate past BYTES (default 10Mi), N files per run at most (default 5).\n");
}

/* A positive decimal number of at most max; the daemon converted quantities. */
static bool parse_count(const char *s, uint64_t max, uint64_t *ret)
{
        char *end;
        uintmax_t v;

        errno = 0;
        v = strtoumax(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v == 0 || v > max)
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
                {"container-log-max-size", required_argument, NULL, 'S'},
                {"container-log-max-files", required_argument, NULL, 'F'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {0},
        };
        const char *state_dir = NULL, *uid = NULL;
        struct sbx_config cfg = { SBX_LOG_MAX_SIZE_DEFAULT, SBX_LOG_MAX_FILES_DEFAULT };
        bool cleanup = false;
        uint64_t v;
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
                case 'S':
                        if (!parse_count(optarg, INT64_MAX, &v)) {
                                fprintf(stderr, "podfs-sandbox: invalid --container-log-max-size '%s'\n", optarg);
                                return 2;
                        }
                        cfg.log_max_size = v;
                        break;
                case 'F':
                        if (!parse_count(optarg, 1000, &v) || v < 2) {
                                fprintf(stderr, "podfs-sandbox: --container-log-max-files '%s': must be 2 to 1000\n",
                                        optarg);
                                return 2;
                        }
                        cfg.log_max_files = (int)v;
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
        return cleanup ? sandbox_cleanup(state_dir, uid) : sandbox_run(state_dir, uid, &cfg);
}
