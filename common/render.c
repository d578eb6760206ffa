/* The tree's pod files rendered from a pod's state directory: phase,
 * conditions, status.yaml/json, pod.json, events and containers/<c>/<file>. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pfs/downward.h"
#include "pfs/render.h"
#include "pfs/util.h"

void pod_view_free(struct pod_view *v)
{
        if (!v)
                return;
        pod_meta_free(v->meta);
        pod_spec_free(v->spec);
        pod_status_free(v->status);
        pod_events_free(v->events, v->n_events);
        free(v->node_name);
        free(v->ctr_pids);
        pod_sandbox_file_free(v->sandbox);
        free(v);
}

static int load_spec(int pod_dirfd, struct pod_view *v, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct pod_spec **pods = NULL;
        size_t len = 0, n = 0;
        int r;

        r = pfs_read_file_at(pod_dirfd, PFS_SPEC_FILE, &text, &len, err);
        if (r < 0)
                return r;
        r = pod_manifest_parse(text, len, PFS_SPEC_FILE, v->meta->namespace, v->meta->name, &pods,
                               &n, err);
        if (r < 0)
                return r;
        v->spec = pods[0];
        pods[0] = NULL;
        pod_spec_free_array(pods, n);
        return 0;
}

static int load_status(int pod_dirfd, struct pod_view *v, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct ydoc *docs = NULL;
        size_t len = 0, n = 0;
        int r;

        r = pfs_read_file_at(pod_dirfd, PFS_STATUS_FILE, &text, &len, err);
        if (r == -ENOENT) {
                /* the sandbox has not published yet: what kubelet shows first */
                pfs_error_clear(err);
                v->status = pod_status_new(v->spec, v->meta->creation_ns);
                return 0;
        }
        if (r < 0)
                return r;
        r = yval_parse_stream(text, len, &docs, &n, err);
        if (r >= 0)
                r = pod_status_from_yval(n ? docs[0].root : NULL, &v->status, err);
        ydoc_free_array(docs, n);
        return r < 0 ? pfs_error_wrap(err, "%s", PFS_STATUS_FILE) : 0;
}

static void load_events(int pod_dirfd, struct pod_view *v)
{
        if (pod_events_read_at(pod_dirfd, &v->events, &v->n_events, NULL) < 0) {
                v->events = NULL;
                v->n_events = 0;
        }
}

/* One pass over the sandbox file's containers, each found through the
 * spec's index (a search per container was quadratic). */
static void load_pids(int pod_dirfd, struct pod_view *v)
{
        v->ctr_pids = xcalloc(v->spec->n_containers + 1, sizeof(*v->ctr_pids));
        if (pod_sandbox_file_read_at(pod_dirfd, &v->sandbox, NULL) < 0) {
                v->sandbox = NULL;
                return;
        }
        for (size_t i = v->sandbox->n_ctrs; i-- > 0;) {
                const struct pod_container *c = pod_spec_find_container(v->spec, v->sandbox->ctrs[i].name);

                /* the first entry of a name wins, as pod_sandbox_ctr_pid's search */
                if (c)
                        v->ctr_pids[c - v->spec->containers] = v->sandbox->ctrs[i].pid;
        }
}

static void view_drop_status(struct pod_view *v)
{
        pod_status_free(v->status);
        v->status = NULL;
}

static void view_drop_events(struct pod_view *v)
{
        pod_events_free(v->events, v->n_events);
        v->events = NULL;
        v->n_events = 0;
}

static void view_drop_pids(struct pod_view *v)
{
        free(v->ctr_pids);
        v->ctr_pids = NULL;
        pod_sandbox_file_free(v->sandbox);
        v->sandbox = NULL;
}

int pod_view_load_at(int pod_dirfd, struct pod_view **ret_view, struct pfs_error *err)
{
        struct pod_view *v = xcalloc(1, sizeof(*v));
        int r;

        r = pod_meta_read_at(pod_dirfd, &v->meta, err);
        if (r >= 0)
                r = load_spec(pod_dirfd, v, err);
        if (r >= 0)
                r = load_status(pod_dirfd, v, err);
        if (r < 0) {
                pod_view_free(v);
                return r;
        }
        load_events(pod_dirfd, v);
        load_pids(pod_dirfd, v);
        v->node_name = pod_node_name();
        *ret_view = v;
        return 0;
}

/* ---- pod files ---- */

/* The content and its length; "" (not NULL) when nothing was rendered. */
static char *buf_steal(struct pfs_buf *out, size_t *ret_len)
{
        pfs_buf_append(out, "", 0);     /* allocates and terminates even when empty */
        if (ret_len)
                *ret_len = out->len;
        return pfs_buf_steal(out);
}

static void render_conditions(const struct pod_status *st, struct pfs_buf *out)
{
        for (int t = 0; t < POD_COND__MAX; t++) {
                const struct pod_condition *c = &st->conditions[t];

                if (!c->present)
                        continue;
                pfs_buf_printf(out, "%s %s", pod_condition_type_name(t), c->status ? "True" : "False");
                if (c->reason && *c->reason)
                        pfs_buf_printf(out, " %s", c->reason);
                pfs_buf_puts(out, "\n");
        }
}

static void set_time(struct yval *map, const char *key, int64_t ns)
{
        char ts[40];

        pfs_time_format(ns, false, ts);
        yval_map_set(map, key, yval_new_str(ts));
}

static struct yval *kv_to_yval(const struct pod_kv *kv, size_t n)
{
        struct yval *m = yval_new_map();

        for (size_t i = 0; i < n; i++)
                yval_map_set(m, kv[i].key, yval_new_str(kv[i].value ? kv[i].value : ""));
        return m;
}

/* ObjectMeta in the API server's field order. */
static struct yval *metadata_to_yval(const struct pod_view *v)
{
        struct yval *m = yval_new_map();

        yval_map_set(m, "name", yval_new_str(v->meta->name));
        yval_map_set(m, "namespace", yval_new_str(v->meta->namespace));
        yval_map_set(m, "uid", yval_new_str(v->meta->uid));
        yval_map_set(m, "generation", yval_new_int(v->meta->generation > 0 ? v->meta->generation : 1));
        set_time(m, "creationTimestamp", v->meta->creation_ns);
        if (v->meta->deletion_ns) {
                set_time(m, "deletionTimestamp", v->meta->deletion_ns);
                yval_map_set(m, "deletionGracePeriodSeconds", yval_new_int(v->meta->deletion_grace_seconds));
        }
        if (v->spec->n_labels)
                yval_map_set(m, "labels", kv_to_yval(v->spec->labels, v->spec->n_labels));
        if (v->spec->n_annotations)
                yval_map_set(m, "annotations", kv_to_yval(v->spec->annotations, v->spec->n_annotations));
        return m;
}

struct yval *pod_view_to_yval(const struct pod_view *v)
{
        struct yval *pod = yval_new_map();
        struct yval *spec;

        yval_map_set(pod, "apiVersion", yval_new_str("v1"));
        yval_map_set(pod, "kind", yval_new_str("Pod"));
        yval_map_set(pod, "metadata", metadata_to_yval(v));
        spec = yval_map_set(pod, "spec", pod_spec_to_yval(v->spec));
        /* bound to this node, unless the manifest named another (the pod is then
         * rejected) or it is gated (not scheduled) */
        if (spec && spec->type == YVAL_MAP && v->node_name && !v->spec->node_name && !pod_spec_is_gated(v->spec))
                yval_map_set(spec, "nodeName", yval_new_str(v->node_name));
        yval_map_set(pod, "status", pod_status_to_yval(v->status));
        return pod;
}

static void render_yval(struct yval *y, bool json, struct pfs_buf *out)
{
        if (json)
                yval_emit_json(y, true, out);
        else
                yval_emit_yaml(y, out);
        yval_free(y);
}

static size_t width(const char *s)
{
        return s ? strlen(s) : 0;
}

/* Columns TIME TYPE REASON OBJECT MESSAGE, two spaces apart, like kubectl. */
static void render_events(const struct pod_view *v, struct pfs_buf *out)
{
        size_t wt = 0, wr = 0, wo = 0;
        char ts[40];

        for (size_t i = 0; i < v->n_events; i++) {
                const struct pod_event *e = &v->events[i];

                wt = width(e->type) > wt ? width(e->type) : wt;
                wr = width(e->reason) > wr ? width(e->reason) : wr;
                wo = width(e->object) > wo ? width(e->object) : wo;
        }
        for (size_t i = 0; i < v->n_events; i++) {
                const struct pod_event *e = &v->events[i];

                pfs_time_format(e->time_ns, false, ts);
                pfs_buf_printf(out, "%s  %-*s  %-*s  %-*s  %s\n", ts, (int)wt, e->type, (int)wr,
                               e->reason, (int)wo, e->object, e->message);
        }
}

char *pod_view_render(const struct pod_view *v, enum pod_file f, size_t *ret_len)
{
        struct pfs_buf out = {0};

        switch (f) {
        case POD_FILE_PHASE:
                pfs_buf_printf(&out, "%s\n", v->status->phase ? v->status->phase : "Unknown");
                break;
        case POD_FILE_CONDITIONS:
                render_conditions(v->status, &out);
                break;
        case POD_FILE_STATUS_YAML:
        case POD_FILE_STATUS_JSON:
                render_yval(pod_status_to_yval(v->status), f == POD_FILE_STATUS_JSON, &out);
                break;
        case POD_FILE_POD_JSON:
                render_yval(pod_view_to_yval(v), true, &out);
                break;
        case POD_FILE_EVENTS:
                render_events(v, &out);
                break;
        case POD_FILE_IP:
                pfs_buf_printf(&out, "%s\n", v->status->pod_ip ? v->status->pod_ip : "");
                break;
        }
        return buf_steal(&out, ret_len);
}

/* ---- containers/<c>/ ---- */

static const char *const ctr_file_names[CTR_FILE__MAX] = {
        [CTR_FILE_STATE] = "state",
        [CTR_FILE_REASON] = "reason",
        [CTR_FILE_EXIT_CODE] = "exit_code",
        [CTR_FILE_RESTARTS] = "restarts",
        [CTR_FILE_READY] = "ready",
        [CTR_FILE_STARTED] = "started",
        [CTR_FILE_PID] = "pid",
        [CTR_FILE_IMAGE] = "image",
};

const char *ctr_file_name(enum ctr_file f)
{
        return (unsigned)f < CTR_FILE__MAX ? ctr_file_names[f] : NULL;
}

int ctr_file_from_name(const char *name)
{
        for (int f = 0; f < CTR_FILE__MAX; f++)
                if (name && !strcmp(name, ctr_file_names[f]))
                        return f;
        return -ENOENT;
}

static const char *state_name(enum ctr_state_kind k)
{
        switch (k) {
        case CTR_STATE_WAITING:
                return "waiting";
        case CTR_STATE_RUNNING:
                return "running";
        case CTR_STATE_TERMINATED:
                return "terminated";
        default:
                return "";
        }
}

static void render_exit_code(const struct ctr_status *c, struct pfs_buf *out)
{
        if (c && c->state.kind == CTR_STATE_TERMINATED)
                pfs_buf_printf(out, "%" PRId32, c->state.exit_code);
        else if (c && c->last_state.kind == CTR_STATE_TERMINATED)
                pfs_buf_printf(out, "%" PRId32, c->last_state.exit_code);
}

/* What containers/<c>/ shows of one container, regular or init. */
struct ctr_ref {
        const struct ctr_status *status;        /* NULL before the sandbox reported it */
        const char *image;
        pid_t pid;
};

static void render_ctr_file(const struct ctr_ref *c, enum ctr_file f, struct pfs_buf *out)
{
        const struct ctr_status *s = c->status;

        switch (f) {
        case CTR_FILE_STATE:
                pfs_buf_puts(out, state_name(s ? s->state.kind : CTR_STATE_NONE));
                break;
        case CTR_FILE_REASON:
                if (s && s->state.reason && s->state.kind != CTR_STATE_RUNNING)
                        pfs_buf_puts(out, s->state.reason);
                break;
        case CTR_FILE_EXIT_CODE:
                render_exit_code(s, out);
                break;
        case CTR_FILE_RESTARTS:
                pfs_buf_printf(out, "%" PRId32, s ? s->restart_count : 0);
                break;
        case CTR_FILE_READY:
                pfs_buf_puts(out, s && s->ready ? "true" : "false");
                break;
        case CTR_FILE_STARTED:
                pfs_buf_puts(out, s && s->started ? "true" : "false");
                break;
        case CTR_FILE_PID:
                if (s && s->state.kind == CTR_STATE_RUNNING && c->pid > 0)
                        pfs_buf_printf(out, "%d", (int)c->pid);
                break;
        case CTR_FILE_IMAGE:
                pfs_buf_puts(out, c->image ? c->image : "");
                break;
        default:
                break;
        }
        pfs_buf_puts(out, "\n");
}

static bool ctr_ref_find(const struct pod_view *v, const char *name, struct ctr_ref *ret)
{
        const struct ctr_status *s = pod_status_find(v->status, name);
        const struct pod_container *c = pod_spec_find_container(v->spec, name);

        if (c) {
                *ret = (struct ctr_ref){s, c->image, v->ctr_pids[c - v->spec->containers]};
                return true;
        }
        if (!s || !pod_status_is_init(v->status, s))
                return false;
        *ret = (struct ctr_ref){s, s->image, pod_sandbox_ctr_pid(v->sandbox, name)};
        return true;
}

char *pod_view_render_container(const struct pod_view *v, const char *ctr, enum ctr_file f,
                                size_t *ret_len)
{
        struct pfs_buf out = {0};
        struct ctr_ref c;

        if (!ctr_ref_find(v, ctr, &c))
                return NULL;
        render_ctr_file(&c, f, &out);
        return buf_steal(&out, ret_len);
}

/* ---- change detection ---- */

int pod_view_stamp_at(int pod_dirfd, struct pod_view_stamp *ret_stamp)
{
        static const char *const files[5] = {PFS_META_FILE, PFS_SPEC_FILE, PFS_STATUS_FILE,
                                             PFS_EVENTS_FILE, PFS_SANDBOX_FILE};
        struct pod_view_stamp s;

        memset(&s, 0, sizeof(s));
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                struct stat st;

                if (fstatat(pod_dirfd, files[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT)
                                return -errno;
                        continue;
                }
                s.f[i][0] = (uint64_t)st.st_ino;
                s.f[i][1] = (uint64_t)st.st_size;
                s.f[i][2] = (uint64_t)st.st_mtim.tv_sec;
                s.f[i][3] = (uint64_t)st.st_mtim.tv_nsec;
        }
        *ret_stamp = s;
        return 0;
}

bool pod_view_stamp_equal(const struct pod_view_stamp *a, const struct pod_view_stamp *b)
{
        return memcmp(a, b, sizeof(*a)) == 0;
}

/* ---- a view kept between requests ---- */

enum { STAMP_META, STAMP_SPEC };

struct pod_view_cache {
        struct pod_view *view;
        struct pod_view_stamp stamp;
        uint64_t generation;
};

struct pod_view_cache *pod_view_cache_new(void)
{
        return xcalloc(1, sizeof(struct pod_view_cache));
}

void pod_view_cache_free(struct pod_view_cache *c)
{
        if (!c)
                return;
        pod_view_free(c->view);
        free(c);
}

size_t pod_view_cache_size(const struct pod_view_cache *c)
{
        const struct pod_view *v = c ? c->view : NULL;

        if (!v)
                return 0;
        return sizeof(*v) + (v->spec ? v->spec->source_len * 2 : 0) +
               (v->spec ? (v->spec->n_containers + v->spec->n_init_containers) * 1024 : 0) + v->n_events * 256;
}

static bool stamp_part_equal(const struct pod_view_stamp *a, const struct pod_view_stamp *b, int i)
{
        return memcmp(a->f[i], b->f[i], sizeof(a->f[i])) == 0;
}

/* What the sandbox rewrites: status.json, events, the sandbox file. */
static int cache_reload_status(struct pod_view_cache *c, int pod_dirfd, struct pfs_error *err)
{
        struct pod_view *v = c->view;

        view_drop_status(v);
        view_drop_events(v);
        view_drop_pids(v);
        load_events(pod_dirfd, v);
        load_pids(pod_dirfd, v);
        return load_status(pod_dirfd, v, err);
}

int pod_view_cache_get_at(struct pod_view_cache *c, int pod_dirfd, uint64_t generation,
                          const struct pod_view **ret_view, struct pfs_error *err)
{
        struct pod_view_stamp now;
        int r;

        if (c->view && c->generation == generation) {
                *ret_view = c->view;
                return 0;
        }
        /* stamp before reading: what is read is at least as new as the stamp */
        r = pod_view_stamp_at(pod_dirfd, &now);
        if (r < 0)
                return pfs_error_set(err, -r, "stat pod files");
        if (c->view && stamp_part_equal(&c->stamp, &now, STAMP_META) &&
            stamp_part_equal(&c->stamp, &now, STAMP_SPEC))
                r = cache_reload_status(c, pod_dirfd, err);
        else
                r = -ESTALE;
        if (r < 0) {
                pod_view_free(steal_ptr(&c->view));
                r = pod_view_load_at(pod_dirfd, &c->view, err);
                if (r < 0)
                        return r;
        }
        c->stamp = now;
        c->generation = generation;
        *ret_view = c->view;
        return 0;
}
