/* Updates in place of a running pod, the sandbox's side. The daemon rewrote
 * spec.yaml with only what the API server updates in place changed
 * (pod_spec_update_kind) and woke the sandbox with SIGHUP:
 *  - labels, annotations (downwardAPI volumes follow: objvol.c), and
 *    activeDeadlineSeconds (the deadline is re-armed from startTime);
 *  - a container's image: the kubelet kills the container ("Container c
 *    definition changed, will be restarted") and starts it again with the new
 *    image, whatever the restart policy; the others keep running;
 *  - cpu/memory of app containers and sidecars (KEP-1287, as the kubelet's
 *    allocation manager and handlePodResourcesResize in 1.34): the desired
 *    requests must fit the node (PodResizePending Infeasible or Deferred,
 *    nothing changes, tried again on every wake), then they are allocated
 *    (allocatedResources) and actuated: the cgroup is written with the
 *    container running on (resizePolicy NotRequired), or the container is
 *    restarted ("Container c resize requires restart", RestartContainer);
 *    PodResizeInProgress while allocated and actual differ (reason Error when
 *    a memory limit would go below the usage: tried again on every wake).
 * s->spec holds the allocated resources; s->desired the latest spec.yaml
 * while a resize waits. A resumed pod's allocation continues from its last
 * status (containerStatuses[].resources). */
#include <signal.h>
#include <string.h>
#include "pfs/generation.h"
#include "sandbox.h"

/* A Deferred resize and an actuation that failed are tried again on every
 * wake and after this long (the kubelet's periodic pod sync). */
#define RESIZE_RETRY_NS (60 * 1000000000LL)

static void retry_arm(struct sbx *s);

/* ---- the status of a container's resources ---- */

static void set_opt(struct yval *m, const char *key, const char *q)
{
        if (q)
                yval_map_set(m, key, yval_new_str(q));
}

static struct yval *requests_of(const struct pod_container *c)
{
        struct yval *m = yval_new_map();

        set_opt(m, "cpu", c->cpu_request ?: c->cpu_limit);
        set_opt(m, "memory", c->memory_request ?: c->memory_limit);
        return m;
}

static struct yval *limits_of(const struct pod_container *c)
{
        struct yval *m = yval_new_map();

        set_opt(m, "cpu", c->cpu_limit);
        set_opt(m, "memory", c->memory_limit);
        return m;
}

static bool has_resources(const struct pod_container *c)
{
        return c->cpu_limit || c->cpu_request || c->memory_limit || c->memory_request;
}

/* resources: what the container runs (or will next run) with: r. */
static void status_actual_of(struct sbx *s, struct ctr *c, const struct pod_container *r)
{
        struct ctr_status *cs = pod_status_find(s->status, c->name);
        struct yval *m;

        if (!cs)
                return;
        yval_free(cs->resources);
        cs->resources = NULL;
        s->status_dirty = true;
        if (!has_resources(r))
                return;
        m = cs->resources = yval_new_map();
        if (r->cpu_limit || r->memory_limit)
                yval_map_set(m, "limits", limits_of(r));
        yval_map_set(m, "requests", requests_of(r));
}

static void status_actual(struct sbx *s, struct ctr *c)
{
        status_actual_of(s, c, c->spec);
}

/* allocatedResources: the requests the node granted (resizable containers). */
static void status_allocated(struct sbx *s, struct ctr *c)
{
        struct ctr_status *cs = pod_status_find(s->status, c->name);

        if (!cs)
                return;
        yval_free(cs->allocated_resources);
        cs->allocated_resources = NULL;
        if (has_resources(c->spec) && pod_container_resizable(s->spec, c->spec))
                cs->allocated_resources = requests_of(c->spec);
        s->status_dirty = true;
}

void update_init(struct sbx *s)
{
        for (size_t i = 0; i < s->n_ctrs; i++) {
                status_allocated(s, &s->ctrs[i]);
                status_actual(s, &s->ctrs[i]);
        }
}

static char *xstrdup_opt(const char *q)
{
        return q ? xstrdup(q) : NULL;
}

/* ---- actuation ---- */

static bool running(const struct ctr *c)
{
        return c->pid > 0 && (c->sm.state == CS_RUNNING || c->sm.state == CS_RESTARTING);
}

/* The kubelet's ResizeCompleted event (1.34) once every allocated resize is
 * actuated: the allocated resources and the generation. */
static void resize_completed(struct sbx *s)
{
        _cleanup_free_ char *msg = NULL;

        if (!s->resize_report)
                return;
        s->resize_report = false;
        msg = pod_resize_completed_message(s->spec, s->resize_gen);
        sbx_event(s, NULL, "Normal", "ResizeCompleted", "%s", msg);
}

/* PodResizeInProgress while a container's allocation is not actuated. */
static void in_progress_refresh(struct sbx *s, const char *error)
{
        bool pending = false;

        for (size_t i = 0; i < s->n_ctrs; i++)
                pending |= s->ctrs[i].resize_pending;
        if (!pending) {
                pod_status_condition_clear(s->status, POD_COND_RESIZE_IN_PROGRESS);
                resize_completed(s);
        } else {
                pod_status_condition_set(s->status, POD_COND_RESIZE_IN_PROGRESS, true, error ? "Error" : NULL, error,
                                         pfs_now_realtime_ns());
                s->status->conditions[POD_COND_RESIZE_IN_PROGRESS].observed_generation = s->resize_gen;
        }
        if (error)
                retry_arm(s);
        s->status_dirty = true;
}

static int64_t actual_memory_limit(struct sbx *s, struct ctr *c)
{
        struct ctr_status *cs = pod_status_find(s->status, c->name);
        const char *q = yval_get_str(yval_map_get(cs ? cs->resources : NULL, "limits"), "memory", NULL);
        uint64_t b = 0;

        return q && pod_quantity_bytes(q, &b) == 0 ? (int64_t)b : -1;
}

/* The allocated cpu/memory into the running container's cgroup; a memory
 * limit below the usage is not written (the kubelet's best-effort check):
 * *ret_error says so and the container stays pending. */
static void actuate(struct sbx *s, struct ctr *c, char **ret_error)
{
        struct pod_container l = *c->spec;
        struct pfs_error err = { 0 };
        uint64_t want = 0;
        int64_t usage, had = actual_memory_limit(s, c);
        bool mem_ok = true;

        if (l.memory_limit && pod_quantity_bytes(l.memory_limit, &want) == 0 && (had < 0 || (int64_t)want < had)) {
                usage = s->cg ? pod_cgroup_child_memory_usage(s->cg, c->name) : -1;
                if (usage > (int64_t)want) {
                        free(*ret_error);
                        *ret_error = xasprintf("attempting to set container %s memory limit (%llu) below current "
                                               "usage (%lld)", c->name, (unsigned long long)want, (long long)usage);
                        l.memory_limit = NULL;
                        mem_ok = false;
                }
        }
        if (pod_cgroup_child_limits_spec(s->cg, &l, &err) < 0) {
                free(*ret_error);
                *ret_error = xstrdup(err.msg);
                return;
        }
        pfs_log(LOG_INFO, "container '%s': resized in place (cpu %s/%s, memory %s/%s)", c->name,
                l.cpu_request ?: "-", l.cpu_limit ?: "-", l.memory_request ?: "-", l.memory_limit ?: "-");
        if (!mem_ok) {
                /* the cpu is actual, the memory limit the old one */
                struct ctr_status *cs = pod_status_find(s->status, c->name);
                _cleanup_free_ char *old = xstrdup_opt(yval_get_str(yval_map_get(cs ? cs->resources : NULL, "limits"),
                                                                    "memory", NULL));

                l.memory_limit = old;
                status_actual_of(s, c, &l);
                return;
        }
        c->resize_pending = false;
        status_actual(s, c);
}

static void actuate_all(struct sbx *s)
{
        _cleanup_free_ char *error = NULL;

        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct ctr *c = &s->ctrs[i];

                if (c->resize_pending && !c->update_restart && running(c))
                        actuate(s, c, &error);
        }
        in_progress_refresh(s, error);
}

void update_ctr_started(struct sbx *s, struct ctr *c)
{
        bool was = c->resize_pending;

        c->update_restart = false;
        c->resize_pending = false;
        status_actual(s, c);
        if (was)
                in_progress_refresh(s, NULL);
}

static void restart_for_update(struct sbx *s, struct ctr *c, const char *why)
{
        _cleanup_free_ char *msg = xasprintf("Container %s %s", c->name, why);

        if (!running(c) || c->update_restart)
                return;
        c->update_restart = true;
        health_kill_for_restart(s, c, -1, msg);
}

/* ---- allocation ---- */

static struct pod_container *twin_in(const struct sbx *s, const struct ctr *c, struct pod_spec *other)
{
        size_t i = c->is_init ? (size_t)(c->spec - s->spec->init_containers) : (size_t)(c->spec - s->spec->containers);

        if (c->is_init)
                return i < other->n_init_containers ? &other->init_containers[i] : NULL;
        return i < other->n_containers ? &other->containers[i] : NULL;
}

/* *dst becomes a copy of src (the desired spec stays whole: a retry compares with it). */
static void copy_str(char **dst, const char *src)
{
        free(*dst);
        *dst = src ? xstrdup(src) : NULL;
}

/* The allocated resources become the desired ones; what that asks of the
 * container (a restart by its resizePolicy, or a cgroup update). */
static void allocate(struct sbx *s, struct ctr *c, const struct pod_container *want)
{
        struct pod_container *have = (struct pod_container *)c->spec;
        bool cpu = !pod_container_resources_equal(have, want, false);
        bool mem = !pod_container_resources_equal(have, want, true);

        copy_str(&have->cpu_limit, want->cpu_limit);
        copy_str(&have->cpu_request, want->cpu_request);
        copy_str(&have->memory_limit, want->memory_limit);
        copy_str(&have->memory_request, want->memory_request);
        pfs_log(LOG_INFO, "container '%s': resize allocated", c->name);
        s->resize_report = true;
        s->resize_gen = s->status->observed_generation;
        status_allocated(s, c);
        if (!running(c)) {
                status_actual(s, c);    /* its next run's */
                return;
        }
        c->resize_pending = true;
        if ((cpu && !strcmp(pod_container_resize_policy(have, false), "RestartContainer")) ||
            (mem && !strcmp(pod_container_resize_policy(have, true), "RestartContainer")))
                restart_for_update(s, c, "resize requires restart");
}

static bool resize_wanted(struct sbx *s)
{
        for (size_t i = 0; s->desired && i < s->n_ctrs; i++) {
                struct ctr *c = &s->ctrs[i];
                struct pod_container *want = twin_in(s, c, s->desired);

                if (want && pod_container_resizable(s->spec, c->spec) &&
                    (!pod_container_resources_equal(c->spec, want, false) ||
                     !pod_container_resources_equal(c->spec, want, true)))
                        return true;
        }
        return false;
}

/* handlePodResourcesResize: allocate the desired resources if they fit. */
static void resize_evaluate(struct sbx *s)
{
        _cleanup_free_ char *msg = NULL;
        const char *reason = NULL;

        if (!resize_wanted(s)) {
                pod_status_condition_clear(s->status, POD_COND_RESIZE_PENDING);
                s->status_dirty = true;
                return;
        }
        if (sbx_resize_fits(s, s->desired, &reason, &msg) < 0) {
                pfs_log(LOG_INFO, "resize %s: %s", reason, msg);
                pod_status_condition_set(s->status, POD_COND_RESIZE_PENDING, true, reason, msg, pfs_now_realtime_ns());
                s->status_dirty = true;
                if (!strcmp(reason, "Deferred"))
                        retry_arm(s);
                return;
        }
        pod_status_condition_clear(s->status, POD_COND_RESIZE_PENDING);
        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct ctr *c = &s->ctrs[i];
                struct pod_container *want = twin_in(s, c, s->desired);

                if (want && pod_container_resizable(s->spec, c->spec) &&
                    (!pod_container_resources_equal(c->spec, want, false) ||
                     !pod_container_resources_equal(c->spec, want, true)))
                        allocate(s, c, want);
        }
}

static void on_retry(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        sbx_timer_disarm(s, w);
        if (term_begun(s))
                return;
        resize_evaluate(s);
        actuate_all(s);
}

static void retry_arm(struct sbx *s)
{
        struct pfs_error err = { 0 };

        if (s->resize_w.fd >= 0 || s->epfd < 0)
                return;
        if (sbx_timer_arm(s, &s->resize_w, pfs_now_monotonic_ns() + RESIZE_RETRY_NS, on_retry, NULL, &err) < 0)
                pfs_log(LOG_WARNING, "resize retry: %s", err.msg);
}

/* ---- images ---- */

static void images_update(struct sbx *s, struct pod_spec *new)
{
        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct ctr *c = &s->ctrs[i];
                struct pod_container *have = (struct pod_container *)c->spec, *want = twin_in(s, c, new);
                struct ctr_status *cs = pod_status_find(s->status, c->name);

                if (!want || !strcmp(have->image, want->image))
                        continue;
                pfs_log(LOG_INFO, "container '%s': image %s -> %s", c->name, have->image, want->image);
                copy_str(&have->image, want->image);
                copy_str(&have->image_pull_policy, want->image_pull_policy);
                free(c->pull_rootfs);
                free(c->pull_id);
                c->pull_rootfs = c->pull_id = NULL;
                if (cs) {
                        free(cs->image);
                        cs->image = xstrdup(have->image);
                        s->status_dirty = true;
                }
                /* the kubelet restarts app containers and sidecars for a changed
                 * spec; a running plain init container takes it at its next run */
                if (!c->is_init || c->is_sidecar)
                        restart_for_update(s, c, "definition changed, will be restarted");
        }
}

/* ---- metadata ---- */

/* A new activeDeadlineSeconds, counted from startTime as before. */
static void deadline_update(struct sbx *s, int64_t seconds)
{
        if (seconds == s->spec->active_deadline_seconds)
                return;
        pfs_log(LOG_INFO, "activeDeadlineSeconds: %lld", (long long)seconds);
        s->spec->active_deadline_seconds = seconds;
        if (seconds < 0)
                sbx_timer_disarm(s, &s->deadline_w);
        else
                term_deadline_arm(s);
}

static void metadata_take(struct sbx *s, struct pod_spec *new)
{
        struct pod_kv *kv;
        size_t nkv;

        deadline_update(s, new->active_deadline_seconds);
        kv = s->spec->labels, nkv = s->spec->n_labels;
        s->spec->labels = new->labels, s->spec->n_labels = new->n_labels;
        new->labels = kv, new->n_labels = nkv;
        kv = s->spec->annotations, nkv = s->spec->n_annotations;
        s->spec->annotations = new->annotations, s->spec->n_annotations = new->n_annotations;
        new->annotations = kv, new->n_annotations = nkv;
}

/* ---- entry points ---- */

static struct pod_spec *spec_read(struct sbx *s)
{
        _cleanup_free_ char *text = NULL;
        struct pod_spec **pods = NULL, *one = NULL;
        struct pfs_error err = { 0 };
        size_t len, n = 0;

        if (pfs_read_file_at(s->pod_fd, PFS_SPEC_FILE, &text, &len, &err) < 0 ||
            pod_manifest_parse(text, len, PFS_SPEC_FILE, s->meta->namespace, s->meta->name, &pods, &n, &err) < 0) {
                pfs_log(LOG_WARNING, "re-read %s: %s", PFS_SPEC_FILE, err.msg);
                return NULL;
        }
        if (n == 1) {
                one = pods[0];
                pods[0] = NULL;
        }
        pod_spec_free_array(pods, n);
        return one;
}

void update_generation(struct sbx *s)
{
        if (!s->status || !s->meta || s->status->observed_generation == s->meta->generation)
                return;
        s->status->observed_generation = s->meta->generation;
        s->status_dirty = true;
}

void update_wake(struct sbx *s)
{
        struct pod_spec *new;

        update_generation(s);
        if (s->rejected || s->gated || term_begun(s))
                return;
        new = spec_read(s);
        if (!new)
                return;
        /* anything else waits for the pod's replacement */
        if (!pod_spec_same_but_updatable(s->spec, new)) {
                pod_spec_free(new);
                return;
        }
        metadata_take(s, new);
        images_update(s, new);
        pod_spec_free(s->desired);
        s->desired = new;
        resize_evaluate(s);
        actuate_all(s);
}

/* The previous sandbox's allocation (status resources) over the spec's; the
 * spec.yaml is the desired state, allocated now if it fits. */
void update_resume(struct sbx *s, struct pod_status *prev)
{
        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct ctr *c = &s->ctrs[i];
                struct ctr_status *ps = pod_status_find(prev, c->name);
                struct pod_container *have = (struct pod_container *)c->spec;
                const struct yval *lim, *req;

                if (!ps || !ps->resources || !pod_container_resizable(s->spec, c->spec))
                        continue;
                lim = yval_map_get(ps->resources, "limits");
                req = yval_map_get(ps->resources, "requests");
                free(have->cpu_limit);
                free(have->memory_limit);
                free(have->cpu_request);
                free(have->memory_request);
                have->cpu_limit = xstrdup_opt(yval_get_str(lim, "cpu", NULL));
                have->memory_limit = xstrdup_opt(yval_get_str(lim, "memory", NULL));
                have->cpu_request = xstrdup_opt(yval_get_str(req, "cpu", NULL));
                have->memory_request = xstrdup_opt(yval_get_str(req, "memory", NULL));
                status_allocated(s, c);
                status_actual(s, c);
        }
        s->desired = spec_read(s);
        if (s->desired)
                resize_evaluate(s);
        if (s->resize_report)
                in_progress_refresh(s, NULL);
}

void update_free(struct sbx *s)
{
        sbx_watch_remove(s, &s->resize_w);
        pod_spec_free(s->desired);
        s->desired = NULL;
}
