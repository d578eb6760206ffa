/* The pod status model: kubelet's phase and condition rules and restart
 * back-off. The JSON shape of .status lives in status-json.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "pfs/backoff.h"
#include "pfs/status.h"
#include "pfs/strindex.h"
#include "pfs/util.h"

static const char *const condition_names[POD_COND__MAX] = {
        [POD_COND_RESIZE_PENDING] = "PodResizePending",
        [POD_COND_RESIZE_IN_PROGRESS] = "PodResizeInProgress",
        [POD_COND_READY_TO_START_CONTAINERS] = "PodReadyToStartContainers",
        [POD_COND_INITIALIZED] = "Initialized",
        [POD_COND_READY] = "Ready",
        [POD_COND_CONTAINERS_READY] = "ContainersReady",
        [POD_COND_SCHEDULED] = "PodScheduled",
};

const char *pod_condition_type_name(enum pod_condition_type t)
{
        return (unsigned)t < POD_COND__MAX ? condition_names[t] : NULL;
}

int pod_condition_type_from_name(const char *name)
{
        for (int t = 0; t < POD_COND__MAX; t++)
                if (name && !strcmp(name, condition_names[t]))
                        return t;
        return -EINVAL;
}

/* The interface of the IPv4 default route (/proc/net/route), or "" when none. */
static void default_route_iface(char name[IF_NAMESIZE])
{
        FILE *f = fopen("/proc/net/route", "re");
        char line[256], ifn[IF_NAMESIZE];
        unsigned long dst, flags;

        name[0] = '\0';
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "%15s %lx %*x %lx", ifn, &dst, &flags) == 3 && dst == 0 && (flags & 1)) {
                        memcpy(name, ifn, IF_NAMESIZE);
                        break;
                }
        if (f)
                fclose(f);
}

/* The node's primary address: that of the default route's interface, else
 * the first address of an interface that is up (never a pod bridge's first:
 * a default route does not go through one). */
char *pod_node_ip(void)
{
        struct ifaddrs *ifa, *i;
        char buf[INET_ADDRSTRLEN], dflt[IF_NAMESIZE];
        char *ip = NULL, *any = NULL;

        if (getifaddrs(&ifa) < 0)
                return xstrdup("127.0.0.1");
        default_route_iface(dflt);
        for (i = ifa; i && !ip; i = i->ifa_next) {
                const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;

                if (!sin || sin->sin_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
                    !(i->ifa_flags & IFF_UP))
                        continue;
                if (*dflt && strcmp(i->ifa_name, dflt)) {
                        if (!any && inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)))
                                any = xstrdup(buf);
                        continue;
                }
                if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf)))
                        ip = xstrdup(buf);
        }
        freeifaddrs(ifa);
        if (ip) {
                free(any);
                return ip;
        }
        return any ? any : xstrdup("127.0.0.1");
}

void ctr_state_clear(struct ctr_state *s)
{
        free(s->reason);
        free(s->message);
        free(s->container_id);
        memset(s, 0, sizeof(*s));
}

void ctr_state_set_waiting(struct ctr_state *s, const char *reason, const char *message)
{
        ctr_state_clear(s);
        s->kind = CTR_STATE_WAITING;
        s->reason = xstrdup(reason);
        s->message = xstrdup(message);
}

void ctr_state_set_running(struct ctr_state *s, int64_t started_at)
{
        ctr_state_clear(s);
        s->kind = CTR_STATE_RUNNING;
        s->started_at = started_at;
}

void ctr_state_set_terminated(struct ctr_state *s, int32_t exit_code, int32_t signal,
                              const char *reason, const char *message, int64_t started_at,
                              int64_t finished_at, const char *container_id)
{
        ctr_state_clear(s);
        s->kind = CTR_STATE_TERMINATED;
        s->exit_code = exit_code;
        s->signal = signal;
        s->reason = xstrdup(reason ? reason : exit_code == 0 ? "Completed" : "Error");
        s->message = xstrdup(message);
        s->started_at = started_at;
        s->finished_at = finished_at;
        s->container_id = xstrdup(container_id);
}

void ctr_state_copy(struct ctr_state *dst, const struct ctr_state *src)
{
        if (dst == src)
                return;
        ctr_state_clear(dst);
        *dst = *src;
        dst->reason = xstrdup(src->reason);
        dst->message = xstrdup(src->message);
        dst->container_id = xstrdup(src->container_id);
}

static void set_str(char **dst, const char *src)
{
        free(*dst);
        *dst = xstrdup(src);
}

/* Set a condition; the transition time moves only when the status flips. */
static void condition_set(struct pod_condition *c, bool status, const char *reason,
                          const char *message, int64_t now_ns)
{
        if (!c->present || c->status != status)
                c->last_transition = now_ns;
        c->present = true;
        c->status = status;
        set_str(&c->reason, reason);
        set_str(&c->message, message);
}

/* kubelet's QoS class over the app and init containers. */
char *pod_spec_qos_class(const struct pod_spec *spec)
{
        size_t n = spec->n_containers + spec->n_init_containers;
        _cleanup_free_ struct pod_qos_container *q = xcalloc(n + 1, sizeof(*q));
        const struct pod_container *pr = spec->pod_resources;

        /* pod-level resources (KEP-2837) decide alone when they are set */
        if (pr && (pr->cpu_request || pr->cpu_limit || pr->memory_request || pr->memory_limit)) {
                q[0] = (struct pod_qos_container){ pr->cpu_request, pr->cpu_limit, pr->memory_request, pr->memory_limit };
                return xstrdup(pod_qos_class(q, 1));
        }

        for (size_t i = 0; i < n; i++) {
                const struct pod_container *c = i < spec->n_containers ? &spec->containers[i]
                                                                        : &spec->init_containers[i - spec->n_containers];

                q[i] = (struct pod_qos_container){ c->cpu_request, c->cpu_limit, c->memory_request, c->memory_limit };
        }
        return xstrdup(pod_qos_class(q, n));
}

void pod_status_condition_set(struct pod_status *st, enum pod_condition_type t, bool status, const char *reason,
                              const char *message, int64_t now_ns)
{
        condition_set(&st->conditions[t], status, reason, message, now_ns);
}

void pod_status_condition_clear(struct pod_status *st, enum pod_condition_type t)
{
        struct pod_condition *c = &st->conditions[t];

        free(c->reason);
        free(c->message);
        memset(c, 0, sizeof(*c));
}

struct pod_status *pod_status_new(const struct pod_spec *spec, int64_t now_ns)
{
        struct pod_status *st = xcalloc(1, sizeof(*st));

        st->phase = xstrdup("Pending");
        st->gated = pod_spec_is_gated(spec);
        st->host_ip = pod_node_ip();
        if (spec->host_network)
                st->pod_ip = xstrdup(st->host_ip);
        st->start_time = now_ns;
        st->qos_class = pod_spec_qos_class(spec);
        st->n_containers = spec->n_containers;
        st->containers = xcalloc(spec->n_containers, sizeof(*st->containers));
        for (size_t i = 0; i < spec->n_containers; i++) {
                struct ctr_status *c = &st->containers[i];

                c->name = xstrdup(spec->containers[i].name);
                c->image = xstrdup(spec->containers[i].image);
                ctr_state_set_waiting(&c->state, "ContainerCreating", NULL);
        }
        pod_status_refresh(spec, st, now_ns);
        return st;
}

static void ctr_status_clear(struct ctr_status *c)
{
        free(c->name);
        free(c->image);
        free(c->image_id);
        free(c->container_id);
        free(c->stop_signal);
        ctr_state_clear(&c->state);
        ctr_state_clear(&c->last_state);
        yval_free(c->allocated_resources);
        yval_free(c->resources);
}

static void status_index_drop(struct pod_status *st);

void pod_status_free(struct pod_status *st)
{
        if (!st)
                return;
        free(st->phase);
        free(st->reason);
        free(st->message);
        free(st->host_ip);
        free(st->pod_ip);
        free(st->pod_ip2);
        free(st->qos_class);
        for (int t = 0; t < POD_COND__MAX; t++) {
                free(st->conditions[t].reason);
                free(st->conditions[t].message);
        }
        for (size_t i = 0; i < st->n_containers; i++)
                ctr_status_clear(&st->containers[i]);
        free(st->containers);
        for (size_t i = 0; i < st->n_init_containers; i++)
                ctr_status_clear(&st->init_containers[i]);
        free(st->init_containers);
        status_index_drop(st);
        free(st);
}

/* The by-name index of the container statuses: built on the first lookup
 * (the sandbox and the daemon look a container up on every change; a
 * search per lookup made a pod of many containers quadratic). Regular
 * containers first, as the search was. */
struct pod_status_index {
        struct pfs_strindex names;
        size_t n_containers, n_init;
};

static void status_index_drop(struct pod_status *st)
{
        if (!st->index)
                return;
        pfs_strindex_free(&st->index->names);
        free(st->index);
        st->index = NULL;
}

static void status_index_build(struct pod_status *st)
{
        struct pod_status_index *x = xcalloc(1, sizeof(*x));

        x->n_containers = st->n_containers;
        x->n_init = st->n_init_containers;
        pfs_strindex_init(&x->names, x->n_containers + x->n_init);
        for (size_t i = 0; i < st->n_containers; i++)
                if (st->containers[i].name)
                        pfs_strindex_put(&x->names, st->containers[i].name, i);
        for (size_t i = 0; i < st->n_init_containers; i++)
                if (st->init_containers[i].name)
                        pfs_strindex_put(&x->names, st->init_containers[i].name, x->n_containers + i);
        st->index = x;
}

struct ctr_status *pod_status_find(struct pod_status *st, const char *name)
{
        size_t i;

        if (!st)
                return NULL;
        if (st->index && (st->index->n_containers != st->n_containers || st->index->n_init != st->n_init_containers))
                status_index_drop(st);
        if (!st->index)
                status_index_build(st);
        if (!pfs_strindex_get(&st->index->names, name, &i))
                return NULL;
        return i < st->n_containers ? &st->containers[i] : &st->init_containers[i - st->n_containers];
}

bool pod_status_is_init(const struct pod_status *st, const struct ctr_status *c)
{
        return st->n_init_containers && c >= st->init_containers &&
               c < st->init_containers + st->n_init_containers;
}

static bool waiting_for(const struct ctr_state *s, const char *reason)
{
        return s->kind == CTR_STATE_WAITING && s->reason && !strcmp(s->reason, reason);
}

void pod_status_set_init_containers(struct pod_status *st, const struct pod_container *ctrs, size_t n)
{
        status_index_drop(st);
        for (size_t i = 0; i < st->n_init_containers; i++)
                ctr_status_clear(&st->init_containers[i]);
        free(st->init_containers);
        st->n_init_containers = n;
        st->init_containers = n ? xcalloc(n, sizeof(*st->init_containers)) : NULL;
        for (size_t i = 0; i < n; i++) {
                struct ctr_status *c = &st->init_containers[i];

                c->name = xstrdup(ctrs[i].name);
                c->image = xstrdup(ctrs[i].image);
                ctr_state_set_waiting(&c->state, "PodInitializing", NULL);
        }
        for (size_t i = 0; n && i < st->n_containers; i++)
                if (waiting_for(&st->containers[i].state, "ContainerCreating"))
                        ctr_state_set_waiting(&st->containers[i].state, "PodInitializing", NULL);
}

/* A regular container's status. */
static const struct ctr_status *find_const(const struct pod_status *st, const char *name)
{
        for (size_t i = 0; st && i < st->n_containers; i++)
                if (!strcmp(st->containers[i].name, name))
                        return &st->containers[i];
        return NULL;
}

bool pod_phase_is_terminal(const char *phase)
{
        return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

struct phase_counts {
        size_t unknown, running, waiting, stopped, succeeded;
};

static void count_container(const struct ctr_status *c, struct phase_counts *n)
{
        if (!c) {
                n->unknown++;
                return;
        }
        switch (c->state.kind) {
        case CTR_STATE_RUNNING:
                n->running++;
                break;
        case CTR_STATE_TERMINATED:
                n->stopped++;
                if (c->state.exit_code == 0)
                        n->succeeded++;
                break;
        case CTR_STATE_WAITING:
                /* waiting to be restarted after a run counts as stopped */
                if (c->last_state.kind == CTR_STATE_TERMINATED)
                        n->stopped++;
                else
                        n->waiting++;
                break;
        default:
                n->unknown++;
        }
}

struct init_counts {
        size_t pending, failed;
        size_t sidecars_pending;        /* restartable init containers not started yet */
};

static bool is_sidecar(const struct pod_spec *spec, const char *name)
{
        bool is_init = false;
        const struct pod_container *c = pod_spec_find_any_container(spec, name, &is_init);

        return c && is_init && pod_container_is_sidecar(c);
}

/* kubelet's getPhase for a restartable init container: running counts as
 * running (pending until started), a terminated one counts for nothing. */
static void count_sidecar(const struct ctr_status *c, struct init_counts *in, struct phase_counts *n)
{
        switch (c->state.kind) {
        case CTR_STATE_RUNNING:
                in->sidecars_pending += !c->started;
                n->running++;
                break;
        case CTR_STATE_TERMINATED:
                break;
        case CTR_STATE_WAITING:
                if (c->last_state.kind != CTR_STATE_TERMINATED) {
                        in->sidecars_pending++;
                        n->waiting++;
                }
                break;
        default:
                n->unknown++;
        }
}

static void count_init(const struct ctr_status *c, struct init_counts *n)
{
        const struct ctr_state *last = &c->last_state;

        switch (c->state.kind) {
        case CTR_STATE_TERMINATED:
                n->failed += c->state.exit_code != 0;
                break;
        case CTR_STATE_WAITING:
                if (last->kind != CTR_STATE_TERMINATED)
                        n->pending++;
                else
                        n->failed += last->exit_code != 0;
                break;
        default:        /* running, or unknown */
                n->pending++;
        }
}

/* kubelet's HasAnyRegularContainerStarted. */
static bool regular_started(const struct pod_status *st)
{
        for (size_t i = 0; i < st->n_containers; i++) {
                enum ctr_state_kind k = st->containers[i].state.kind;

                if (k == CTR_STATE_RUNNING || k == CTR_STATE_TERMINATED)
                        return true;
        }
        return false;
}

const char *pod_phase_compute(const struct pod_spec *spec, const struct pod_status *st)
{
        struct phase_counts n = {0};
        struct init_counts in = {0};

        for (size_t i = 0; i < st->n_init_containers; i++) {
                if (is_sidecar(spec, st->init_containers[i].name))
                        count_sidecar(&st->init_containers[i], &in, &n);
                else
                        count_init(&st->init_containers[i], &in);
        }
        for (size_t i = 0; i < spec->n_containers; i++)
                count_container(find_const(st, spec->containers[i].name), &n);
        if (in.failed > 0 && spec->restart_policy == POD_RESTART_NEVER)
                return "Failed";
        if (((in.pending > 0 || in.sidecars_pending > 0) && !regular_started(st)) || n.waiting > 0)
                return "Pending";
        if (n.running > 0 && n.unknown == 0)
                return "Running";
        if (n.running > 0 || n.stopped == 0 || n.unknown > 0)
                return "Pending";
        if (spec->restart_policy == POD_RESTART_ALWAYS)
                return "Running";
        if (n.stopped == n.succeeded)
                return "Succeeded";
        if (spec->restart_policy == POD_RESTART_NEVER)
                return "Failed";
        return "Running";
}

/* kubelet's "containers with unknown status: [a], containers with unready status: [b c]". */
static char *unready_message(const struct pod_spec *spec, const struct pod_status *st)
{
        struct pfs_buf unknown = {0}, unready = {0}, msg = {0};

        /* kubelet: restartable init containers first, then the app containers */
        for (size_t i = 0; i < st->n_init_containers; i++) {
                const struct ctr_status *c = &st->init_containers[i];

                if (is_sidecar(spec, c->name) && !c->ready)
                        pfs_buf_printf(&unready, "%s%s", unready.len ? " " : "", c->name);
        }
        for (size_t i = 0; i < spec->n_containers; i++) {
                const char *name = spec->containers[i].name;
                const struct ctr_status *c = find_const(st, name);
                struct pfs_buf *b = !c ? &unknown : !c->ready ? &unready : NULL;

                if (b)
                        pfs_buf_printf(b, "%s%s", b->len ? " " : "", name);
        }
        if (unknown.len)
                pfs_buf_printf(&msg, "containers with unknown status: [%s]", unknown.data);
        if (unready.len)
                pfs_buf_printf(&msg, "%scontainers with unready status: [%s]", msg.len ? ", " : "",
                               unready.data);
        pfs_buf_free(&unknown);
        pfs_buf_free(&unready);
        if (!msg.len)
                return NULL;
        return pfs_buf_steal(&msg);
}

/* Past the initial waiting state: something was tried in the sandbox. */
static bool ctr_touched(const struct ctr_status *c)
{
        return c->container_id || c->last_state.kind != CTR_STATE_NONE ||
               !(waiting_for(&c->state, "ContainerCreating") || waiting_for(&c->state, "PodInitializing"));
}

/* The sandbox is up once any container got past its initial waiting state. */
static bool sandbox_ready(const struct pod_status *st)
{
        for (size_t i = 0; i < st->n_containers; i++)
                if (ctr_touched(&st->containers[i]))
                        return true;
        for (size_t i = 0; i < st->n_init_containers; i++)
                if (ctr_touched(&st->init_containers[i]))
                        return true;
        return false;
}

/* kubelet: a regular init container is done once it succeeded, a restartable one once started. */
static bool init_done(const struct pod_spec *spec, const struct ctr_status *c)
{
        if (is_sidecar(spec, c->name))
                return c->started;
        return c->ready || (c->state.kind == CTR_STATE_TERMINATED && c->state.exit_code == 0);
}

/* kubelet's Initialized condition. */
static void refresh_initialized(const struct pod_spec *spec, struct pod_status *st, int64_t now_ns)
{
        struct pod_condition *c = &st->conditions[POD_COND_INITIALIZED];
        struct pfs_buf names = {0};
        _cleanup_free_ char *msg = NULL;

        if (st->phase && !strcmp(st->phase, "Succeeded")) {
                condition_set(c, true, "PodCompleted", NULL, now_ns);
                return;
        }
        for (size_t i = 0; i < st->n_init_containers && !regular_started(st); i++)
                if (!init_done(spec, &st->init_containers[i]))
                        pfs_buf_printf(&names, "%s%s", names.len ? " " : "", st->init_containers[i].name);
        if (!names.len) {
                condition_set(c, true, NULL, NULL, now_ns);
                return;
        }
        msg = xasprintf("containers with incomplete status: [%s]", names.data);
        pfs_buf_free(&names);
        condition_set(c, false, "ContainersNotInitialized", msg, now_ns);
}

static void refresh_ready(const struct pod_spec *spec, struct pod_status *st, int64_t now_ns)
{
        struct pod_condition *cr = &st->conditions[POD_COND_CONTAINERS_READY];
        struct pod_condition *r = &st->conditions[POD_COND_READY];
        _cleanup_free_ char *msg = NULL;

        if (pod_phase_is_terminal(st->phase)) {
                const char *reason = !strcmp(st->phase, "Failed") ? "PodFailed" : "PodCompleted";

                condition_set(cr, false, reason, NULL, now_ns);
                condition_set(r, false, reason, NULL, now_ns);
                return;
        }
        msg = unready_message(spec, st);
        condition_set(cr, !msg, msg ? "ContainersNotReady" : NULL, msg, now_ns);
        condition_set(r, !msg, msg ? "ContainersNotReady" : NULL, msg, now_ns);
}

void pod_status_refresh(const struct pod_spec *spec, struct pod_status *st, int64_t now_ns)
{
        bool terminal = pod_phase_is_terminal(st->phase);

        /* like kubelet, a terminal phase is never left again */
        if (!terminal)
                set_str(&st->phase, pod_phase_compute(spec, st));
        terminal = pod_phase_is_terminal(st->phase);
        condition_set(&st->conditions[POD_COND_READY_TO_START_CONTAINERS],
                      !terminal && sandbox_ready(st), NULL, NULL, now_ns);
        refresh_initialized(spec, st, now_ns);
        refresh_ready(spec, st, now_ns);
        if (pod_spec_is_gated(spec))
                condition_set(&st->conditions[POD_COND_SCHEDULED], false, "SchedulingGated",
                              "Scheduling is blocked due to non-empty scheduling gates", now_ns);
        else
                condition_set(&st->conditions[POD_COND_SCHEDULED], true, NULL, NULL, now_ns);
}

int64_t pod_backoff_next(struct pod_backoff *b, int64_t now_ns, int64_t ran_ns)
{
        bool fresh = b->last_exit_ns == 0 || ran_ns >= POD_BACKOFF_RESET_NS ||
                     now_ns - b->last_exit_ns >= POD_BACKOFF_RESET_NS;

        if (fresh)
                b->delay_ns = 0;
        else
                pfs_backoff_step(&b->delay_ns, POD_BACKOFF_INITIAL_NS, POD_BACKOFF_MAX_NS);
        /* 0 means "no crash yet": never store it for a real crash */
        b->last_exit_ns = now_ns ? now_ns : 1;
        return b->delay_ns;
}
