/* OCI image layouts from the sandbox: a layout already unpacked in the cache
 * is found here (its manifest digest checked, nothing spawned); otherwise
 * podfs-image unpacks it, so podfs-sandbox links neither libarchive nor
 * libcrypto. podfs-image prints the rootfs and the image id on stdout, its
 * error message on stderr, and exits with the failure's errno. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pfs/spawn.h"
#include "image_internal.h"
#include "pfs/util.h"

extern char **environ;

#define OUTPUT_MAX 8192         /* of each stream; more is read and dropped */

char *image_find_binary(void)
{
#ifdef PODFS_LIBEXECDIR
        return pfs_helper_find("PODFS_IMAGE", "podfs-image", PODFS_LIBEXECDIR);
#else
        return pfs_helper_find("PODFS_IMAGE", "podfs-image", NULL);
#endif
}

/* Start BIN with ARGV, its stdout on *ret_out, its stderr on *ret_err, stdin /dev/null. */
static int spawn_piped(const char *bin, char **argv, pid_t *ret_pid, int *ret_out, int *ret_err)
{
        int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, r;

        if (pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(errp, O_CLOEXEC) < 0) {
                r = errno;
                close(out[0]);
                close(out[1]);
                return -r;
        }
        /* the sandbox blocks signals it reads from a signalfd; the helper starts clean */
        r = pfs_spawn(bin, argv, environ, &(struct pfs_spawn){ .fd = { PFS_SPAWN_NULL, out[1], errp[1] } }, ret_pid);
        close(out[1]);
        close(errp[1]);
        if (r < 0) {
                close(out[0]);
                close(errp[0]);
                return r;
        }
        *ret_out = out[0];
        *ret_err = errp[0];
        return 0;
}

/* Read FDS[0] into OUT[0] and FDS[1] into OUT[1] until both end (each kept to OUTPUT_MAX). */
static void drain(const int fds[2], struct pfs_buf out[2])
{
        struct pollfd p[2] = { { .fd = fds[0], .events = POLLIN }, { .fd = fds[1], .events = POLLIN } };
        char chunk[4096];

        while (p[0].fd >= 0 || p[1].fd >= 0) {
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                for (int i = 0; i < 2; i++) {
                        ssize_t n;

                        if (p[i].fd < 0 || !p[i].revents)
                                continue;
                        n = read(p[i].fd, chunk, sizeof(chunk));
                        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (n <= 0)
                                p[i].fd = -1;
                        else if (out[i].len < OUTPUT_MAX)
                                pfs_buf_append(&out[i], chunk, (size_t)n);
                }
        }
}

static void chomp(struct pfs_buf *b)
{
        while (b->len > 0 && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\0'))
                b->data[--b->len] = '\0';
}

/* Run podfs-image; ret_out is its stdout when it succeeded. */
static int image_run(const char *ref_name, char **argv, struct pfs_buf *ret_out, struct pfs_error *err)
{
        _cleanup_free_ char *bin = image_find_binary();
        struct pfs_buf io[2] = { { 0 }, { 0 } };
        int fds[2] = { -1, -1 }, status = -1, r;
        pid_t pid;

        if (!bin)
                return pfs_error_set(err, ENOENT, "unpack OCI image \"%s\": podfs-image not found (set PODFS_IMAGE)",
                                     ref_name);
        argv[0] = bin;
        r = spawn_piped(bin, argv, &pid, &fds[0], &fds[1]);
        if (r < 0)
                return pfs_error_set(err, -r, "unpack OCI image \"%s\": run '%s': %s", ref_name, bin, strerror(-r));
        drain(fds, io);
        close(fds[0]);
        close(fds[1]);
        /* status stays -1 (not "exited 0") should waitpid fail */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        pfs_buf_append(&io[1], "", 1);
        chomp(&io[1]);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                r = 0;
        else if (io[1].len > 0)
                r = pfs_error_set(err, WIFEXITED(status) ? WEXITSTATUS(status) : EIO, "%s", io[1].data);
        else
                r = pfs_error_set(err, EIO, "unpack OCI image \"%s\": %s failed (status %d)", ref_name, bin, status);
        pfs_buf_free(&io[1]);
        if (r < 0)
                pfs_buf_free(&io[0]);
        else
                *ret_out = io[0];
        return r;
}

int image_oci_resolve(const char *state_dir, const char *layout, const char *ref_name, const char *tag,
                      bool tag_required, char **ret_rootfs, char **ret_image_id, struct pfs_error *err)
{
        char *argv[] = { NULL, "unpack", "--state-dir", (char *)state_dir, "--layout", (char *)layout,
                         "--name", (char *)ref_name, tag ? "--tag" : NULL, (char *)tag,
                         tag_required ? "--tag-required" : NULL, NULL };
        struct pfs_buf out = { 0 };
        char *nl;
        int r;

        r = image_oci_cached(state_dir, layout, ref_name, tag, tag_required, ret_rootfs, ret_image_id, err);
        if (r != 0)
                return r < 0 ? r : 0;
        r = image_run(ref_name, argv, &out, err);
        if (r < 0)
                return r;
        /* "ROOTFS\nIMAGE_ID\n" (the id is the rest: a reference may hold anything) */
        pfs_buf_append(&out, "", 1);
        chomp(&out);
        nl = strchr(out.data, '\n');
        if (!nl || !nl[1]) {
                pfs_buf_free(&out);
                return pfs_error_set(err, EPROTO, "unpack OCI image \"%s\": podfs-image printed no image", ref_name);
        }
        *ret_rootfs = xstrndup(out.data, (size_t)(nl - out.data));
        *ret_image_id = xstrdup(nl + 1);
        pfs_buf_free(&out);
        return 0;
}
