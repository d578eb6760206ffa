/* The Pod .status as the Kubernetes API serves it (field names, order and
 * strings), and reading it back from status.json. */
#include <errno.h>
#include <string.h>
#include "pfs/status.h"
#include "pfs/util.h"

static void set_time(struct yval *map, const char *key, int64_t ns)
{
        char buf[40];

        pfs_time_format(ns, false, buf);
        yval_map_set(map, key, yval_new_str(buf));
}

static void set_opt_str(struct yval *map, const char *key, const char *s)
{
        if (s && *s)
                yval_map_set(map, key, yval_new_str(s));
}

static struct yval *condition_to_yval(enum pod_condition_type t, const struct pod_condition *c, int64_t gen)
{
        struct yval *m = yval_new_map();

        yval_map_set(m, "type", yval_new_str(pod_condition_type_name(t)));
        if (gen > 0)
                yval_map_set(m, "observedGeneration", yval_new_int(gen));
        yval_map_set(m, "status", yval_new_str(c->status ? "True" : "False"));
        yval_map_set(m, "lastProbeTime", yval_new_null());
        set_time(m, "lastTransitionTime", c->last_transition);
        set_opt_str(m, "reason", c->reason);
        set_opt_str(m, "message", c->message);
        return m;
}

static struct yval *terminated_to_yval(const struct ctr_state *s)
{
        struct yval *t = yval_new_map();

        yval_map_set(t, "exitCode", yval_new_int(s->exit_code));
        if (s->signal)
                yval_map_set(t, "signal", yval_new_int(s->signal));
        yval_map_set(t, "reason", yval_new_str(s->reason ? s->reason : ""));
        set_opt_str(t, "message", s->message);
        if (s->started_at)
                set_time(t, "startedAt", s->started_at);
        if (s->finished_at)
                set_time(t, "finishedAt", s->finished_at);
        set_opt_str(t, "containerID", s->container_id);
        return t;
}

static struct yval *state_to_yval(const struct ctr_state *s)
{
        struct yval *m = yval_new_map();
        struct yval *w;

        switch (s->kind) {
        case CTR_STATE_WAITING:
                w = yval_map_set(m, "waiting", yval_new_map());
                set_opt_str(w, "reason", s->reason);
                set_opt_str(w, "message", s->message);
                break;
        case CTR_STATE_RUNNING:
                w = yval_map_set(m, "running", yval_new_map());
                if (s->started_at)
                        set_time(w, "startedAt", s->started_at);
                break;
        case CTR_STATE_TERMINATED:
                yval_map_set(m, "terminated", terminated_to_yval(s));
                break;
        default:
                break;
        }
        return m;
}

static struct yval *ctr_status_to_yval(const struct ctr_status *c)
{
        struct yval *m = yval_new_map();

        yval_map_set(m, "name", yval_new_str(c->name));
        yval_map_set(m, "state", state_to_yval(&c->state));
        yval_map_set(m, "lastState", state_to_yval(&c->last_state));
        yval_map_set(m, "ready", yval_new_bool(c->ready));
        yval_map_set(m, "restartCount", yval_new_int(c->restart_count));
        yval_map_set(m, "image", yval_new_str(c->image ? c->image : ""));
        yval_map_set(m, "imageID", yval_new_str(c->image_id ? c->image_id : ""));
        set_opt_str(m, "containerID", c->container_id);
        yval_map_set(m, "started", yval_new_bool(c->started));
        if (c->allocated_resources)
                yval_map_set(m, "allocatedResources", yval_clone(c->allocated_resources));
        if (c->resources)
                yval_map_set(m, "resources", yval_clone(c->resources));
        set_opt_str(m, "stopSignal", c->stop_signal);
        return m;
}

/* kubelet's rejectPod: SetPodStatus(Phase Failed, Reason, Message); the status
 * manager adds startTime. */
static struct yval *rejected_to_yval(const struct pod_status *st)
{
        struct yval *m = yval_new_map();

        /* SetPodStatus stamps every status it caches */
        if (st->observed_generation > 0)
                yval_map_set(m, "observedGeneration", yval_new_int(st->observed_generation));
        yval_map_set(m, "phase", yval_new_str(st->phase ? st->phase : "Failed"));
        set_opt_str(m, "message", st->message);
        set_opt_str(m, "reason", st->reason);
        if (st->start_time)
                set_time(m, "startTime", st->start_time);
        return m;
}

/* A gated pod: what the API server and the scheduler wrote, nothing of a kubelet. */
static struct yval *gated_to_yval(const struct pod_status *st)
{
        struct yval *m = yval_new_map();

        yval_map_set(m, "phase", yval_new_str("Pending"));
        if (st->conditions[POD_COND_SCHEDULED].present)
                yval_list_push(yval_map_set(m, "conditions", yval_new_list()),
                               condition_to_yval(POD_COND_SCHEDULED, &st->conditions[POD_COND_SCHEDULED], 0));
        set_opt_str(m, "qosClass", st->qos_class);
        return m;
}

struct yval *pod_status_to_yval(const struct pod_status *st)
{
        struct yval *m;
        struct yval *l;

        if (st->rejected)
                return rejected_to_yval(st);
        if (st->gated)
                return gated_to_yval(st);
        m = yval_new_map();
        if (st->observed_generation > 0)
                yval_map_set(m, "observedGeneration", yval_new_int(st->observed_generation));
        yval_map_set(m, "phase", yval_new_str(st->phase ? st->phase : "Pending"));
        l = yval_map_set(m, "conditions", yval_new_list());
        for (int t = 0; t < POD_COND__MAX; t++)
                if (st->conditions[t].present)
                        yval_list_push(l, condition_to_yval(t, &st->conditions[t],
                                                            st->conditions[t].observed_generation
                                                                    ?: st->observed_generation));
        set_opt_str(m, "message", st->message);
        set_opt_str(m, "reason", st->reason);
        if (st->host_ip && *st->host_ip) {
                /* hostIPs: the node's addresses (v1 since 1.28), podfs knows one */
                yval_map_set(m, "hostIP", yval_new_str(st->host_ip));
                l = yval_map_set(m, "hostIPs", yval_new_list());
                yval_map_set(yval_list_push(l, yval_new_map()), "ip", yval_new_str(st->host_ip));
        }
        if (st->pod_ip && *st->pod_ip) {
                yval_map_set(m, "podIP", yval_new_str(st->pod_ip));
                l = yval_map_set(m, "podIPs", yval_new_list());
                yval_map_set(yval_list_push(l, yval_new_map()), "ip", yval_new_str(st->pod_ip));
                if (st->pod_ip2 && *st->pod_ip2)
                        yval_map_set(yval_list_push(l, yval_new_map()), "ip", yval_new_str(st->pod_ip2));
        }
        if (st->start_time)
                set_time(m, "startTime", st->start_time);
        if (st->n_init_containers) {
                l = yval_map_set(m, "initContainerStatuses", yval_new_list());
                for (size_t i = 0; i < st->n_init_containers; i++)
                        yval_list_push(l, ctr_status_to_yval(&st->init_containers[i]));
        }
        l = yval_map_set(m, "containerStatuses", yval_new_list());
        for (size_t i = 0; i < st->n_containers; i++)
                yval_list_push(l, ctr_status_to_yval(&st->containers[i]));
        set_opt_str(m, "qosClass", st->qos_class);
        return m;
}

/* ---- reading it back ---- */

static char *get_dup(const struct yval *m, const char *key)
{
        const char *s = yval_get_str(m, key, NULL);

        return s && *s ? xstrdup(s) : NULL;
}

static int get_time(const struct yval *m, const char *key, int64_t *ret_ns, struct pfs_error *err)
{
        const char *s = yval_get_str(m, key, NULL);

        if (!s) {
                *ret_ns = 0;
                return 0;
        }
        if (pfs_time_parse(s, ret_ns) < 0)
                return pfs_error_set(err, EINVAL, "%s: bad time \"%s\"", key, s);
        return 0;
}

static int condition_from_yval(const struct yval *c, struct pod_status *st, struct pfs_error *err)
{
        int t = pod_condition_type_from_name(yval_get_str(c, "type", NULL));
        struct pod_condition *pc;

        if (t < 0)
                return 0;       /* a type we do not model: ignore */
        pc = &st->conditions[t];
        pc->present = true;
        pc->status = !strcmp(yval_get_str(c, "status", ""), "True");
        pc->reason = get_dup(c, "reason");
        pc->message = get_dup(c, "message");
        /* a resize condition keeps its resize's generation; the others are the status's */
        if (t == POD_COND_RESIZE_IN_PROGRESS || t == POD_COND_RESIZE_PENDING)
                pc->observed_generation = yval_get_int(c, "observedGeneration", 0);
        return get_time(c, "lastTransitionTime", &pc->last_transition, err);
}

static int state_from_yval(const struct yval *v, struct ctr_state *s, struct pfs_error *err)
{
        const struct yval *w;
        int r;

        if (!v || v->type != YVAL_MAP)
                return 0;
        if ((w = yval_map_get(v, "waiting"))) {
                s->kind = CTR_STATE_WAITING;
        } else if ((w = yval_map_get(v, "running"))) {
                s->kind = CTR_STATE_RUNNING;
        } else if ((w = yval_map_get(v, "terminated"))) {
                s->kind = CTR_STATE_TERMINATED;
                s->exit_code = (int32_t)yval_get_int(w, "exitCode", 0);
                s->signal = (int32_t)yval_get_int(w, "signal", 0);
                s->container_id = get_dup(w, "containerID");
                r = get_time(w, "finishedAt", &s->finished_at, err);
                if (r < 0)
                        return r;
        } else {
                return 0;
        }
        s->reason = get_dup(w, "reason");
        s->message = get_dup(w, "message");
        return get_time(w, "startedAt", &s->started_at, err);
}

static int ctr_status_from_yval(const struct yval *v, struct ctr_status *c, struct pfs_error *err)
{
        int r;

        if (!v || v->type != YVAL_MAP || !yval_get_str(v, "name", NULL))
                return pfs_error_set(err, EINVAL, "containerStatuses: entry without a name");
        c->name = xstrdup(yval_get_str(v, "name", NULL));
        c->image = get_dup(v, "image");
        c->image_id = get_dup(v, "imageID");
        c->container_id = get_dup(v, "containerID");
        c->stop_signal = get_dup(v, "stopSignal");
        c->ready = yval_get_bool(v, "ready", false);
        c->started = yval_get_bool(v, "started", false);
        c->restart_count = (int32_t)yval_get_int(v, "restartCount", 0);
        if (yval_map_get(v, "allocatedResources"))
                c->allocated_resources = yval_clone(yval_map_get(v, "allocatedResources"));
        if (yval_map_get(v, "resources"))
                c->resources = yval_clone(yval_map_get(v, "resources"));
        r = state_from_yval(yval_map_get(v, "state"), &c->state, err);
        if (r >= 0)
                r = state_from_yval(yval_map_get(v, "lastState"), &c->last_state, err);
        if (r < 0)
                return pfs_error_wrap(err, "container \"%s\"", c->name);
        return 0;
}

static int ctr_list_from_yval(const struct yval *l, struct ctr_status **ret, size_t *ret_n,
                              struct pfs_error *err)
{
        int r;

        if (!l || l->type != YVAL_LIST || l->list.n == 0)
                return 0;
        *ret = xcalloc(l->list.n, sizeof(**ret));
        for (size_t i = 0; i < l->list.n; i++) {
                r = ctr_status_from_yval(l->list.items[i], &(*ret)[i], err);
                *ret_n = i + 1; /* so pod_status_free sees it */
                if (r < 0)
                        return r;
        }
        return 0;
}

static int lists_from_yval(const struct yval *v, struct pod_status *st, struct pfs_error *err)
{
        const struct yval *l = yval_map_get(v, "conditions");
        int r;

        for (size_t i = 0; l && l->type == YVAL_LIST && i < l->list.n; i++) {
                r = condition_from_yval(l->list.items[i], st, err);
                if (r < 0)
                        return pfs_error_wrap(err, "conditions[%zu]", i);
        }
        r = ctr_list_from_yval(yval_map_get(v, "initContainerStatuses"), &st->init_containers,
                               &st->n_init_containers, err);
        if (r < 0)
                return r;
        return ctr_list_from_yval(yval_map_get(v, "containerStatuses"), &st->containers,
                                  &st->n_containers, err);
}

int pod_status_from_yval(const struct yval *v, struct pod_status **ret_st, struct pfs_error *err)
{
        struct pod_status *st;
        int r;

        if (!v || v->type != YVAL_MAP)
                return pfs_error_set(err, EINVAL, "status: not an object");
        if (!yval_get_str(v, "phase", NULL))
                return pfs_error_set(err, EINVAL, "status: no phase");
        st = xcalloc(1, sizeof(*st));
        st->phase = xstrdup(yval_get_str(v, "phase", NULL));
        st->reason = get_dup(v, "reason");
        st->message = get_dup(v, "message");
        st->qos_class = get_dup(v, "qosClass");
        st->observed_generation = yval_get_int(v, "observedGeneration", 0);
        st->host_ip = get_dup(v, "hostIP");
        st->pod_ip = get_dup(v, "podIP");
        {
                const struct yval *ips = yval_map_get(v, "podIPs");

                if (ips && ips->type == YVAL_LIST && ips->list.n > 1)
                        st->pod_ip2 = get_dup(ips->list.items[1], "ip");
        }
        st->rejected = !yval_map_get(v, "containerStatuses") && !yval_map_get(v, "conditions");
        st->gated = !yval_map_get(v, "containerStatuses") && yval_map_get(v, "conditions");
        r = get_time(v, "startTime", &st->start_time, err);
        if (r >= 0)
                r = lists_from_yval(v, st, err);
        if (r < 0) {
                pod_status_free(st);
                return pfs_error_wrap(err, "status");
        }
        *ret_st = st;
        return 0;
}
