/* podfs-image: unpacks an OCI image layout into the sandbox's image cache
 * (image_oci.c), and pulls registry images with skopeo (image_pull.c). A program of its own so that podfs-sandbox, which runs it
 * only when a layout is not unpacked yet, links neither libarchive nor
 * libcrypto (and what they pull in) and starts fast. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "image_internal.h"
#include "pfs/imagestore.h"
#include "pfs/util.h"

static void usage(FILE *f)
{
        fprintf(f, "Usage: podfs-image unpack --state-dir STATE --layout DIR --name REF\n"
                   "                          [--tag TAG [--tag-required]]\n"
                   "Unpack the image manifest that TAG names in the OCI image layout DIR (with\n"
                   "no TAG or without --tag-required, its only manifest will do) into\n"
                   "STATE/cache/images/<digest>/ unless it is there already, and print two\n"
                   "lines: the root filesystem's path and the image id (REF@sha256:...).\n"
                   "On failure the message is on stderr and the exit status is the errno\n"
                   "of the failure (1 when above 125); 2 also for a usage error.\n"
                   "\n"
                   "       podfs-image pull --state-dir STATE --image REF [--if-not-present]\n"
                   "                        [--authfile FILE] [--gc-high PERCENT --gc-low PERCENT]\n"
                   "Pull REF with skopeo into the image store under STATE/cache and unpack it;\n"
                   "print four lines: the root filesystem, the image id (REPO@sha256:...), its\n"
                   "size in bytes and the nanoseconds the pull took. With --gc-high, the images\n"
                   "no pod uses are then removed, least recently used first, while the state\n"
                   "dir's filesystem is fuller than that (down to --gc-low).\n");
}

/* Exit status of a failure: its errno when it fits. */
static int fail(const struct pfs_error *err)
{
        fprintf(stderr, "%s\n", err->msg);
        return err->code > 0 && err->code <= 125 ? err->code : 1;
}

struct args {
        const char *cmd, *state_dir, *layout, *name, *tag, *image, *authfile;
        bool tag_required, if_not_present;
        int gc_high, gc_low;
};

/* 0 to go on, else 1 + the exit status. */
static int parse_args(int argc, char **argv, struct args *a)
{
        static const struct option opts[] = {
                {"state-dir", required_argument, NULL, 's'},
                {"layout", required_argument, NULL, 'l'},
                {"name", required_argument, NULL, 'n'},
                {"tag", required_argument, NULL, 't'},
                {"tag-required", no_argument, NULL, 'r'},
                {"image", required_argument, NULL, 'i'},
                {"authfile", required_argument, NULL, 'a'},
                {"if-not-present", no_argument, NULL, 'p'},
                {"gc-high", required_argument, NULL, 'G'},
                {"gc-low", required_argument, NULL, 'g'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {0},
        };
        int o;

        while ((o = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
                if (o == 's')
                        a->state_dir = optarg;
                else if (o == 'l')
                        a->layout = optarg;
                else if (o == 'n')
                        a->name = optarg;
                else if (o == 't')
                        a->tag = optarg;
                else if (o == 'r')
                        a->tag_required = true;
                else if (o == 'i')
                        a->image = optarg;
                else if (o == 'a')
                        a->authfile = optarg;
                else if (o == 'p')
                        a->if_not_present = true;
                else if (o == 'G')
                        a->gc_high = atoi(optarg);
                else if (o == 'g')
                        a->gc_low = atoi(optarg);
                else if (o == 'h')
                        return usage(stdout), 1;
                else if (o == 'V')
                        return printf("podfs-image %s\n", PODFS_VERSION), 1;
                else
                        return usage(stderr), 1 + 2;
        }
        if (optind + 1 != argc || !a->state_dir)
                return usage(stderr), 1 + 2;
        a->cmd = argv[optind];
        if (!strcmp(a->cmd, "pull") && a->image)
                return 0;
        if (strcmp(a->cmd, "unpack") != 0 || !a->layout || !a->name || (a->tag_required && !a->tag))
                return usage(stderr), 1 + 2;
        return 0;
}

static int pull(const struct args *a)
{
        struct pfs_image_record rec = {0};
        struct pfs_error err = {0};
        int64_t ns = 0;

        if (image_pull(a->state_dir, a->image, a->if_not_present, a->authfile, a->gc_high, a->gc_low, &rec, &ns,
                       &err) < 0)
                return fail(&err);
        printf("%s\n%s\n%lld\n%lld\n", rec.rootfs, rec.id, (long long)rec.size, (long long)ns);
        pfs_image_record_free(&rec);
        return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
        _cleanup_free_ char *rootfs = NULL, *id = NULL;
        struct pfs_error err = {0};
        struct args a = { .gc_high = -1 };
        int r;

        /* like the sandbox that runs it: no ptrace or /proc access to it from a pod
         * (exec made it dumpable again), and nothing the caller left open reaches
         * the child that applies layers */
        prctl(PR_SET_DUMPABLE, 0);
        syscall(SYS_close_range, 3U, ~0U, 0U);
        r = parse_args(argc, argv, &a);
        if (r > 0)
                return r - 1;
        if (!strcmp(a.cmd, "pull"))
                return pull(&a);
        if (image_oci_unpack(a.state_dir, a.layout, a.name, a.tag, a.tag_required, &rootfs, &id, &err) < 0)
                return fail(&err);
        printf("%s\n%s\n", rootfs, id);
        return fflush(stdout) == 0 ? 0 : 1;
}
