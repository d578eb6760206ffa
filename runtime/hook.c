/* postStart / preStop handlers as kubelet's handler runner does them: exec in
 * the container, httpGet (only a transport error fails it: kubelet does not
 * look at the status code of a hook's response), sleep; failures described
 * in kubelet's words for the FailedPostStartHook / FailedPreStopHook events. */
#include <errno.h>
#include <string.h>
#include "hook.h"

void hook_init(struct hook *k)
{
        memset(k, 0, sizeof(*k));
        handler_run_init(&k->run);
}

bool hook_busy(const struct hook *k)
{
        return k->run.busy;
}

/* Go's %v of a []string: [sh -c exit 1]. */
static char *go_strings(char *const *v, size_t n, const char *sep, const char *open, const char *close)
{
        struct pfs_buf b = {0};

        pfs_buf_puts(&b, open);
        for (size_t i = 0; i < n; i++)
                pfs_buf_printf(&b, "%s%s", i ? sep : "", v[i]);
        pfs_buf_puts(&b, close);
        return pfs_buf_steal(&b);
}

static char *failure_message(struct hook *k, enum handler_result res, const char *msg)
{
        const struct pod_handler *h = k->h;

        if (h->kind == POD_HANDLER_EXEC) {
                _cleanup_free_ char *cmd = go_strings(h->command, h->n_command, " ", "[", "]");
                _cleanup_free_ char *line = go_strings(h->command, h->n_command, " ", "", "");
                _cleanup_free_ char *out = pfs_go_quote(msg);
                _cleanup_free_ char *e = res == HANDLER_FAILED && k->run.exit_code >= 0 ?
                        xasprintf("command '%s' exited with %d: %s", line, k->run.exit_code, msg) : xstrdup(msg);

                return xasprintf("Exec lifecycle hook (%s) for Container \"%s\" in Pod \"%s\" failed - error: %s, message: %s",
                                 cmd, k->ctr->name, k->pod_ref, e, res == HANDLER_FAILED ? out : "\"\"");
        }
        return xasprintf("HTTP lifecycle hook (%s) for Container \"%s\" in Pod \"%s\" failed - error: %s",
                         h->path ? h->path : "", k->ctr->name, k->pod_ref, msg);
}

static void on_done(struct sbx *s, void *data, enum handler_result res, const char *msg)
{
        struct hook *k = data;
        _cleanup_free_ char *m = NULL;

        /* kubelet ignores a hook's HTTP status: only a transport error counts. */
        if (res == HANDLER_FAILED && k->h->kind == POD_HANDLER_HTTP_GET &&
            strncmp(msg, "HTTP probe failed with statuscode", 33) == 0)
                res = HANDLER_OK;
        if (res == HANDLER_OK || res == HANDLER_WARNING) {
                k->fn(s, k, HOOK_OK, "", k->data);
                return;
        }
        if (res == HANDLER_FAILED && k->run.timed_out) {
                k->fn(s, k, HOOK_CUT, msg, k->data);
                return;
        }
        m = failure_message(k, res, msg);
        k->fn(s, k, HOOK_FAILED, m, k->data);
}

int hook_start(struct sbx *s, struct hook *k, const struct pod_container *c, const struct pod_handler *h,
               const char *pod_ref, pid_t pid, int pidfd, int cgroup_fd, int64_t timeout_ns, hook_done_fn fn,
               void *data, struct pfs_error *err)
{
        struct handler_req req;
        int r;

        k->ctr = c;
        k->h = h;
        k->pod_ref = pod_ref;
        k->fn = fn;
        k->data = data;
        r = handler_req_from_spec(&req, c, h, err);
        if (r < 0)
                return r;
        req.ctr_pid = pid;
        req.ctr_pidfd = pidfd;
        req.cgroup_fd = cgroup_fd;
        /* kubelet's handler runner uses a plain http.Client: redirects to any host. */
        req.follow_any_host = true;
        /* A sleep is its own limit; the deadline still cuts it. */
        req.timeout_ns = timeout_ns;
        if (req.kind == HANDLER_SLEEP && timeout_ns > 0 && req.sleep_ns > timeout_ns)
                req.sleep_ns = timeout_ns;
        return handler_start(s, &k->run, &req, on_done, k, err);
}

void hook_cancel(struct sbx *s, struct hook *k)
{
        handler_cancel(s, &k->run);
}
