/* Registry images in the sandbox, the kubelet's image manager: the pull
 * policy decides between the store and a pull; a pull is podfs-image pull
 * (skopeo) run as a child that the event loop never waits for: its exit
 * comes through SIGCHLD (sup_reap -> pull_reaped) and its few lines of
 * output are in its pipes by then. Events and messages are the kubelet's. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "image_internal.h"
#include "pfs/imageref.h"
#include "pfs/imagestore.h"
#include "sandbox.h"

/* Go's Duration.String() of NS truncated to milliseconds: "523ms", "1.2s", "1m2.5s". */
static char *ms_duration(int64_t ns)
{
        int64_t ms = ns / 1000000, s = ms / 1000;
        char frac[8] = "";

        if (ms == 0)
                return xstrdup("0s");
        if (ms < 1000)
                return xasprintf("%lldms", (long long)ms);
        if (ms % 1000) {
                snprintf(frac, sizeof(frac), ".%03lld", (long long)(ms % 1000));
                for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
                        frac[n - 1] = '\0';
        }
        if (s < 60)
                return xasprintf("%lld%ss", (long long)s, frac);
        if (s < 3600)
                return xasprintf("%lldm%lld%ss", (long long)(s / 60), (long long)(s % 60), frac);
        return xasprintf("%lldh%lldm%lld%ss", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60), frac);
}

const char *pull_image(const struct sbx *s, const struct ctr *c)
{
        return c->pull_ref ? c->pull_ref : c->spec->image;
}

const char *pull_policy(const struct sbx *s, const struct ctr *c)
{
        return c->pull_ref ? s->spec->volumes[c->pull_vol].pull_policy : c->spec->image_pull_policy;
}

/* The kubelet pulls image volumes for the pod (getImageVolumes): its image
 * manager's events name the pod, not a container. */
struct ctr *pull_event_object(struct ctr *c)
{
        return c->pull_ref ? NULL : c;
}

/* Since v1.32 the image manager keeps the last pull's "REASON: message"
 * (prevPullErrMsg) and adds it to its back-off message, which becomes the
 * waiting message; without one (none kept) the message is the event's. The
 * reason of every pull failure here is ErrImagePull. */
char *pull_backoff_message(const char *image, const char *prev)
{
        if (prev && *prev)
                return xasprintf("Back-off pulling image \"%s\": ErrImagePull: %s", image, prev);
        return xasprintf("Back-off pulling image \"%s\"", image);
}

static bool policy_is(const struct sbx *s, const struct ctr *c, const char *p)
{
        const char *policy = pull_policy(s, c);

        return policy && !strcmp(policy, p);
}

enum pull_decision pull_decide(struct sbx *s, struct ctr *c, char **ret_rootfs, char **ret_id, struct pfs_error *err)
{
        struct pfs_image_record rec = {0};
        struct pfs_image_ref ref;
        _cleanup_free_ char *full = NULL;
        int r;

        r = pfs_image_ref_parse(pull_image(s, c), &ref, err);
        if (r < 0) {
                pfs_error_wrap(err, "Failed to apply default image tag \"%s\"", pull_image(s, c));
                return PULL_INVALID;
        }
        full = pfs_image_ref_full(&ref);
        pfs_image_ref_free(&ref);
        if (!policy_is(s, c, "Always") && pfs_image_record_read(s->state_dir, full, &rec, NULL) == 0) {
                pfs_image_use(s->state_dir, full, s->uid);
                *ret_rootfs = steal_ptr(&rec.rootfs);
                *ret_id = steal_ptr(&rec.id);
                pfs_image_record_free(&rec);
                return PULL_PRESENT;
        }
        if (policy_is(s, c, "Never")) {
                pfs_error_set(err, ENOENT, "Container image \"%s\" is not present with pull policy of Never",
                              pull_image(s, c));
                return PULL_NEVER;
        }
#ifndef HAVE_OCI
        pfs_error_set(err, ENOTSUP, "this build has no OCI support (libarchive, libcrypto): it cannot pull");
        return PULL_FAILED;
#else
        return PULL_NEEDED;
#endif
}

static int host_net_fd = -1;

static void pull_auth_remove(struct ctr *c)
{
        if (c->pull_authfile)
                unlink(c->pull_authfile);
        free(c->pull_authfile);
        c->pull_authfile = NULL;
}

void pull_host_net_save(void)
{
        if (host_net_fd < 0)
                host_net_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
}

#ifdef HAVE_OCI
/* The child: the node's network namespace, stdout/stderr on the pipes, signals clean. */
static _Noreturn void pull_exec(const char *bin, char **argv, int out_w, int err_w)
{
        sigset_t none;
        int null = open("/dev/null", O_RDONLY);

        sigemptyset(&none);
        for (int sig = 1; sig < NSIG; sig++)
                signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* dies with its sandbox (and skopeo with it): what it left is swept by the next pull */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (host_net_fd >= 0 && setns(host_net_fd, CLONE_NEWNET) < 0)
                dprintf(err_w, "enter the node's network namespace: %s\n", strerror(errno)), _exit(EIO);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
                _exit(EIO);
        execv(bin, argv);
        dprintf(2, "run '%s': %s\n", bin, strerror(errno));
        _exit(ENOENT);
}

static int pull_spawn(const char *bin, char **argv, pid_t *ret_pid, int fds[2])
{
        int out[2], errp[2], r;
        pid_t pid;

        if (pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(errp, O_CLOEXEC) < 0) {
                r = -errno;
                close(out[0]);
                close(out[1]);
                return r;
        }
        pid = fork();
        if (pid == 0)
                pull_exec(bin, argv, out[1], errp[1]);
        r = pid < 0 ? -errno : 0;
        close(out[1]);
        close(errp[1]);
        if (r < 0) {
                close(out[0]);
                close(errp[0]);
                return r;
        }
        *ret_pid = pid;
        fds[0] = out[0];
        fds[1] = errp[0];
        return 0;
}

int pull_start(struct sbx *s, struct ctr *c, struct pfs_error *err)
{
        _cleanup_free_ char *bin = image_find_binary();
        char *argv[14] = { NULL, "pull", "--state-dir", s->state_dir, "--image", (char *)pull_image(s, c) };
        char high[16], low[16];
        int n = 6, r;

        if (!bin)
                return pfs_error_set(err, ENOENT, "podfs-image not found (set PODFS_IMAGE)");
        argv[0] = bin;
        if (!policy_is(s, c, "Always"))
                argv[n++] = "--if-not-present";
        snprintf(high, sizeof(high), "%d", s->cfg.image_gc_high);
        snprintf(low, sizeof(low), "%d", s->cfg.image_gc_low);
        argv[n++] = "--gc-high";
        argv[n++] = high;
        argv[n++] = "--gc-low";
        argv[n++] = low;
        r = pull_auth_write(s, c, &c->pull_authfile, err);
        if (r < 0)
                return r;
        if (c->pull_authfile) {
                argv[n++] = "--authfile";
                argv[n++] = c->pull_authfile;
        }
        argv[n] = NULL;
        sbx_image_event(s, c, "Normal", "Pulling", "Pulling image \"%s\"", pull_image(s, c));
        c->pull_start_mono = pfs_now_monotonic_ns();
        r = pull_spawn(bin, argv, &c->pull_pid, c->pull_fds);
        if (r < 0) {
                pull_auth_remove(c);
                return pfs_error_set(err, -r, "run '%s': %s", bin, strerror(-r));
        }
        fcntl(c->pull_fds[0], F_SETFL, O_NONBLOCK);
        fcntl(c->pull_fds[1], F_SETFL, O_NONBLOCK);
        return 0;
}
#else
int pull_start(struct sbx *s, struct ctr *c, struct pfs_error *err)
{
        return pfs_error_set(err, ENOTSUP, "this build cannot pull images");
}
#endif

static void read_all(int *fd, struct pfs_buf *b)
{
        char chunk[4096];
        ssize_t n;

        while (*fd >= 0 && (n = read(*fd, chunk, sizeof(chunk))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                if (b->len < 65536)
                        pfs_buf_append(b, chunk, (size_t)n);
        }
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
        pfs_buf_append(b, "", 1);
        while (b->len > 1 && (b->data[b->len - 2] == '\n'))
                b->data[--b->len - 1] = '\0';
}

/* "ROOTFS\nID\nSIZE\nNS" from podfs-image pull. */
static int pull_parse(struct ctr *c, char *out, int64_t *ret_size, int64_t *ret_ns)
{
        char *lines[4], *save = NULL;
        int n = 0;

        for (char *l = strtok_r(out, "\n", &save); l && n < 4; l = strtok_r(NULL, "\n", &save))
                lines[n++] = l;
        if (n < 4)
                return -EPROTO;
        *ret_size = strtoll(lines[2], NULL, 10);
        *ret_ns = strtoll(lines[3], NULL, 10);
        if (c->pull_ref && c->vol_roots) {
                /* an image volume's: for the start in preparation (start_image.c) */
                free(c->vol_roots[c->pull_vol]);
                c->vol_roots[c->pull_vol] = xstrdup(lines[0]);
                return 0;
        }
        free(c->pull_rootfs);
        free(c->pull_id);
        c->pull_rootfs = xstrdup(lines[0]);
        c->pull_id = xstrdup(lines[1]);
        return 0;
}

static void mark_used(struct sbx *s, struct ctr *c)
{
        struct pfs_image_ref ref;
        _cleanup_free_ char *full = NULL;

        if (pfs_image_ref_parse(pull_image(s, c), &ref, NULL) < 0)
                return;
        full = pfs_image_ref_full(&ref);
        pfs_image_ref_free(&ref);
        pfs_image_use(s->state_dir, full, s->uid);
}

static void pull_finish(struct sbx *s, struct ctr *c, int wstatus)
{
        struct pfs_buf out = {0}, errb = {0};
        int64_t size = 0, ns = 0, total = pfs_now_monotonic_ns() - c->pull_start_mono;
        bool ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;

        c->pull_pid = 0;
        pull_auth_remove(c);
        read_all(&c->pull_fds[0], &out);
        read_all(&c->pull_fds[1], &errb);
        if (ok && pull_parse(c, out.data, &size, &ns) == 0) {
                _cleanup_free_ char *d1 = ms_duration(ns), *d2 = ms_duration(total);

                sbx_image_event(s, c, "Normal", "Pulled",
                                "Successfully pulled image \"%s\" in %s (%s including waiting). Image size: %lld bytes.",
                          pull_image(s, c), d1, d2, (long long)size);
                mark_used(s, c);
                sup_dispatch(s, c, EV_PULLED);
        } else {
                free(c->msg);
                c->msg = errb.len > 1 ? xstrdup(errb.data)
                                      : xasprintf("podfs-image pull failed (status %d)", wstatus);
                sup_dispatch(s, c, EV_PULL_FAILED);
        }
        pfs_buf_free(&out);
        pfs_buf_free(&errb);
}

bool pull_reaped(struct sbx *s, pid_t pid, int wstatus)
{
        for (size_t i = 0; i < s->n_ctrs; i++) {
                if (s->ctrs[i].pull_pid == pid && pid > 0) {
                        pull_finish(s, &s->ctrs[i], wstatus);
                        return true;
                }
        }
        return false;
}

/* The pod terminates while its image is pulled: stop the pull (skopeo dies
 * with podfs-image; what they left is swept by the next pull). */
void pull_cancel(struct sbx *s, struct ctr *c)
{
        if (c->pull_pid > 0)
                kill(c->pull_pid, SIGKILL);
        /* its exit is reaped as an unknown child */
        c->pull_pid = 0;
        pull_auth_remove(c);
        for (int i = 0; i < 2; i++) {
                if (c->pull_fds[i] >= 0)
                        close(c->pull_fds[i]);
                c->pull_fds[i] = -1;
        }
}
