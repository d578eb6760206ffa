/* What the sandbox tells the world: status.json (atomic rename), the sandbox
 * file (our pid, start time and container pids) and kubelet-style events. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "pfs/trace.h"
#include "pfs/yval.h"
#include "sandbox.h"

int sbx_write_sandbox_file(struct sbx *s, struct pfs_error *err)
{
        struct pod_sandbox_ctr ctrs[s->n_ctrs ? s->n_ctrs : 1];
        /* wake=sighup: the daemon signals a deletion request (an older
         * sandbox watched meta with inotify and dies of a SIGHUP) */
        struct pod_sandbox_file f = {.pid = getpid(), .ctrs = ctrs, .wake_sighup = true};

        f.starttime = strtoull(s->starttime, NULL, 10);
        for (size_t i = 0; i < s->n_ctrs; i++)
                if (s->ctrs[i].pid > 0)
                        ctrs[f.n_ctrs++] = (struct pod_sandbox_ctr){.name = s->ctrs[i].name, .pid = s->ctrs[i].pid};
        return pod_sandbox_file_write_at(s->pod_fd, &f, err);
}

static int status_write(struct sbx *s, struct pfs_error *err)
{
        struct yval *v;
        struct pfs_buf b = {0};
        int r;

        /* A terminal phase set before the refresh sticks and shapes the conditions. */
        if (s->final_phase && strcmp(s->status->phase, s->final_phase) != 0) {
                free(s->status->phase);
                s->status->phase = xstrdup(s->final_phase);
        }
        pod_status_refresh(s->spec, s->status, pfs_now_realtime_ns());
        v = pod_status_to_yval(s->status);
        yval_emit_json(v, true, &b);
        yval_free(v);
        /* Each write wakes the daemon, which reloads the status: a change
         * that changed nothing (a probe that succeeded again, a pod of many
         * containers publishing after every event) costs no write. */
        if (s->published.data && b.len == s->published.len && !memcmp(b.data, s->published.data, b.len)) {
                pfs_buf_free(&b);
                return 0;
        }
        /* one fsync per status change: never torn; after a crash of the
         * machine a resumed pod may miss the last change of a pod whose
         * processes died with it anyway */
        r = pfs_write_file_sync_at(s->pod_fd, PFS_STATUS_FILE, b.data, b.len, 0644, PFS_SYNC_UNTORN, err);
        if (pfs_trace_enabled()) {
                _cleanup_free_ char *step = xasprintf("sandbox:published-%s", s->status->phase);

                pfs_trace(s->uid, step);
        }
        if (r >= 0) {
                pfs_buf_free(&s->published);
                s->published = b;
        } else {
                pfs_buf_free(&b);
        }
        return r;
}

static void sandbox_file_publish(struct sbx *s)
{
        struct pfs_error err = {0};

        if (sbx_write_sandbox_file(s, &err) < 0) {
                pfs_log(LOG_WARNING, "%s", err.msg);
                return;
        }
        s->sandbox_dirty = false;
        s->sandbox_pid_new = false;
}

void sbx_publish(struct sbx *s)
{
        struct pfs_error err = {0};

        /* A new pid goes into the sandbox file first: a reader that sees a
         * running container in status.json then finds its pid. A pid gone
         * goes after: the status a watcher waits for (an exit) is not held
         * up by it, and a pid is shown only while the status says running. */
        if (s->sandbox_dirty && s->sandbox_pid_new)
                sandbox_file_publish(s);
        if (status_write(s, &err) < 0)
                pfs_log(LOG_WARNING, "publish status: %s", err.msg);
        else
                s->status_dirty = false;
        if (s->sandbox_dirty)
                sandbox_file_publish(s);
}

/* An event of container c (NULL: of the pod). Held while the pod's ADD
 * runs when it is about a container (hold) or says so (an image volume's). */
static void event_vemit(struct sbx *s, struct ctr *c, bool hold, const char *type, const char *reason,
                        const char *fmt, va_list ap)
{
        _cleanup_free_ char *object = NULL, *msg = NULL;

        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        if (!msg)
                return;
        object = c ? xasprintf("spec.%s{%s}", c->is_init ? "initContainers" : "containers", c->name)
                   : xasprintf("pod/%s", s->spec->name);
        if ((c || hold) && sbx_net_pending(s))
                sbx_net_hold_event(s, type, reason, object, msg);
        else
                sbx_event_raw(s, type, reason, object, msg);
}

void sbx_event(struct sbx *s, struct ctr *c, const char *type, const char *reason, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        event_vemit(s, c, false, type, reason, fmt, ap);
        va_end(ap);
}

void sbx_image_event(struct sbx *s, struct ctr *c, const char *type, const char *reason, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        event_vemit(s, pull_event_object(c), true, type, reason, fmt, ap);
        va_end(ap);
}

void sbx_event_raw(struct sbx *s, const char *type, const char *reason, const char *object, const char *msg)
{
        struct pfs_error err = {0};

        if (pod_event_append_at(s->pod_fd, type, reason, object, "kubelet", msg, &err) < 0)
                pfs_log(LOG_WARNING, "event %s: %s", reason, err.msg);
        pfs_log(LOG_INFO, "%s %s %s: %s", type, reason, object, msg);
}

char *sbx_go_duration(int64_t ns)
{
        int64_t sec = ns / 1000000000LL;

        /* Go's time.Duration.String() for whole seconds. */
        if (sec < 60)
                return xasprintf("%llds", (long long)sec);
        if (sec < 3600)
                return xasprintf("%lldm%llds", (long long)(sec / 60), (long long)(sec % 60));
        return xasprintf("%lldh%lldm%llds", (long long)(sec / 3600), (long long)(sec / 60 % 60),
                         (long long)(sec % 60));
}
