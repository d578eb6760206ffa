/* The kubelet's admission of a pod bound to this node (lifecycle/predicate.go):
 * the sysctl handler (admit_sec.c); the pod's OS; the node's resources (pods,
 * cpu and memory requests), the required node affinity and nodeSelector,
 * spec.nodeName, and the taints (the kubelet looks at NoExecute only; with no
 * scheduler in front of it podfs refuses an untolerated NoSchedule taint
 * too); the AppArmor handler (admit_sec.c). A pod that does not fit fails at once,
 * as kubelet's rejectPod leaves it: phase Failed, the first reason, message
 * "Pod was rejected: ...", a Warning event; no container runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "pfs/node.h"
#include "sandbox.h"

struct usage {
        int64_t pods, cpu_milli, memory;
};

static int64_t ctr_request(const char *req, const char *lim, bool cpu)
{
        const char *q = req ? req : lim;
        int64_t milli = 0;
        uint64_t bytes = 0;

        if (!q)
                return 0;
        if (cpu)
                return pod_quantity_milli(q, &milli) < 0 ? 0 : milli;
        return pod_quantity_bytes(q, &bytes) < 0 ? 0 : (int64_t)bytes;
}

/* resourcehelper.PodRequests: the app containers and the sidecars together,
 * or an init container with the sidecars started before it, whichever is more. */
static int64_t pod_request(const struct pod_spec *p, bool cpu)
{
        int64_t apps = 0, side = 0, init_max = 0;
        const struct pod_container *pr = p->pod_resources;

        /* pod-level requests, when set, are the pod's */
        if (pr && (cpu ? pr->cpu_request || pr->cpu_limit : pr->memory_request || pr->memory_limit))
                return ctr_request(cpu ? pr->cpu_request : pr->memory_request, cpu ? pr->cpu_limit : pr->memory_limit,
                                   cpu);
        for (size_t i = 0; i < p->n_containers; i++)
                apps += ctr_request(cpu ? p->containers[i].cpu_request : p->containers[i].memory_request,
                                    cpu ? p->containers[i].cpu_limit : p->containers[i].memory_limit, cpu);
        for (size_t i = 0; i < p->n_init_containers; i++) {
                const struct pod_container *c = &p->init_containers[i];
                int64_t r = ctr_request(cpu ? c->cpu_request : c->memory_request,
                                        cpu ? c->cpu_limit : c->memory_limit, cpu);

                if (pod_container_is_sidecar(c))
                        side += r;
                if (side + (pod_container_is_sidecar(c) ? 0 : r) > init_max)
                        init_max = side + (pod_container_is_sidecar(c) ? 0 : r);
        }
        return apps + side > init_max ? apps + side : init_max;
}

static void add_pod_requests(int pod_fd, struct usage *u)
{
        _cleanup_free_ char *text = NULL;
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL;
        size_t len = 0, n = 0;

        if (pfs_read_file_at(pod_fd, PFS_SPEC_FILE, &text, &len, &err) < 0 ||
            pod_manifest_parse(text, len, PFS_SPEC_FILE, NULL, NULL, &pods, &n, &err) < 0 || n < 1)
                return;
        u->cpu_milli += pod_request(pods[0], true);
        u->memory += pod_request(pods[0], false);
        pod_spec_free_array(pods, n);
}

/* The other pods the node runs: every pod admitted (marked so under the
 * admission lock; the mark goes when it finishes). A pod still waiting for
 * its admission, or gated (never admitted), does not count. */
static void node_usage(struct sbx *s, bool requests, struct usage *u)
{
        int fd = openat(s->state_fd, PFS_PODS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                char mark[sizeof(de->d_name) + sizeof(PFS_ADMITTED_FILE) + 1];
                int pfd;

                if (de->d_name[0] == '.' || !strcmp(de->d_name, s->uid))
                        continue;
                /* one look per pod: the mark goes when the pod finishes */
                snprintf(mark, sizeof(mark), "%s/%s", de->d_name, PFS_ADMITTED_FILE);
                if (faccessat(dirfd(d), mark, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                u->pods++;
                if (!requests)
                        continue;
                pfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (pfd >= 0) {
                        add_pod_requests(pfd, u);
                        close(pfd);
                }
        }
        closedir(d);
}

#define INSUFFICIENT "Node didn't have enough resource: %s, requested: %lld, used: %lld, capacity: %lld"

/* noderesources.Fits: the first resource short, or false. */
static bool resources_short(struct sbx *s, char **ret_reason, char **ret_msg)
{
        int64_t cpu = pod_request(s->spec, true), mem = pod_request(s->spec, false), cap_cpu, cap_mem;
        struct usage u = { 0 };

        node_usage(s, cpu > 0 || mem > 0, &u);
        pfs_node_allocatable(&cap_cpu, &cap_mem);
        if (u.pods + 1 > s->cfg.max_pods) {
                *ret_reason = xstrdup("OutOfpods");
                *ret_msg = xasprintf(INSUFFICIENT, "pods", 1LL, (long long)u.pods, (long long)s->cfg.max_pods);
        } else if (cpu > 0 && cpu > cap_cpu - u.cpu_milli) {
                *ret_reason = xstrdup("OutOfcpu");
                *ret_msg = xasprintf(INSUFFICIENT, "cpu", (long long)cpu, (long long)u.cpu_milli, (long long)cap_cpu);
        } else if (mem > 0 && mem > cap_mem - u.memory) {
                *ret_reason = xstrdup("OutOfmemory");
                *ret_msg = xasprintf(INSUFFICIENT, "memory", (long long)mem, (long long)u.memory, (long long)cap_mem);
        } else {
                return false;
        }
        return true;
}

int sbx_resize_fits(struct sbx *s, const struct pod_spec *desired, const char **ret_reason, char **ret_msg)
{
        int64_t cpu = pod_request(desired, true), mem = pod_request(desired, false), cap_cpu, cap_mem;
        struct usage u = { 0 };

        pfs_node_allocatable(&cap_cpu, &cap_mem);
        /* the kubelet names memory first, then cpu */
        if (mem > cap_mem || cpu > cap_cpu) {
                *ret_reason = "Infeasible";
                *ret_msg = mem > cap_mem ? xasprintf("Node didn't have enough capacity: memory, requested: %lld, capacity: %lld",
                                                     (long long)mem, (long long)cap_mem)
                                         : xasprintf("Node didn't have enough capacity: cpu, requested: %lld, capacity: %lld",
                                                     (long long)cpu, (long long)cap_cpu);
                return -1;
        }
        node_usage(s, true, &u);
        *ret_reason = "Deferred";
        if (cpu > 0 && cpu > cap_cpu - u.cpu_milli) {
                *ret_msg = xasprintf(INSUFFICIENT, "cpu", (long long)cpu, (long long)u.cpu_milli, (long long)cap_cpu);
                return -1;
        }
        if (mem > 0 && mem > cap_mem - u.memory) {
                *ret_msg = xasprintf(INSUFFICIENT, "memory", (long long)mem, (long long)u.memory, (long long)cap_mem);
                return -1;
        }
        *ret_reason = NULL;
        return 0;
}

static bool predicate(char **ret_reason, char **ret_msg, const char *name, const char *desc)
{
        *ret_reason = xstrdup(name);
        *ret_msg = xasprintf("Predicate %s failed: %s", name, desc);
        return true;
}

/* The kubelet's OS checks: rejectPodAdmissionBasedOnOSSelector (the pod's own
 * kubernetes.io/os label, not its nodeSelector), rejectPodAdmissionBasedOnOSField. */
static bool os_rejected(const struct pod_spec *spec, char **ret_reason, char **ret_msg)
{
        for (size_t i = 0; i < spec->n_labels; i++) {
                if (strcmp(spec->labels[i].key, "kubernetes.io/os") || !strcmp(spec->labels[i].value, "linux"))
                        continue;
                *ret_reason = xstrdup("PodOSSelectorNodeLabelDoesNotMatch");
                *ret_msg = xstrdup("Failed to admit pod as the `kubernetes.io/os` label doesn't match node label");
                return true;
        }
        if (spec->os_name && strcmp(spec->os_name, "linux")) {
                *ret_reason = xstrdup("PodOSNotSupported");
                *ret_msg = xstrdup("Failed to admit pod as the OS field doesn't match node OS");
                return true;
        }
        return false;
}

/* generalFilter's first failure, or false when the pod fits. */
static bool rejected(struct sbx *s, char **ret_reason, char **ret_msg)
{
        struct pfs_node *n = NULL;
        struct pfs_error err = { 0 };
        bool r = false;

        /* the sysctl handler; then the predicate handler's checks that
         * preemption cannot help (the OS), before the resources */
        if (sbx_sysctls_rejected(s->spec, s->cfg.allowed_unsafe_sysctls, ret_reason, ret_msg) ||
            os_rejected(s->spec, ret_reason, ret_msg) || resources_short(s, ret_reason, ret_msg))
                return true;
        if (pfs_node_load(s->state_fd, &n, &err) < 0) {
                pfs_log(LOG_WARNING, "node: %s", err.msg);
                return false;
        }
        if (!pfs_node_matches(n, s->spec))
                r = predicate(ret_reason, ret_msg, "NodeAffinity", "node(s) didn't match Pod's node affinity/selector");
        else if (s->spec->node_name && strcmp(s->spec->node_name, n->name))
                r = predicate(ret_reason, ret_msg, "NodeName", "node(s) didn't match the requested node name");
        else if (pfs_node_untolerated(n, s->spec))
                r = predicate(ret_reason, ret_msg, "TaintToleration", "node(s) had taints that the pod didn't tolerate");
        else
                r = sbx_apparmor_rejected(s->spec, ret_reason, ret_msg);
        pfs_node_free(n);
        return r;
}

/* The kubelet admits pods one at a time: sandboxes starting together take
 * turns on the state dir's admission lock, held until the verdict (the
 * pod's first status) is out: then the next one counts it. */
#define ADMISSION_WAIT_S 60

static void alarm_noop(int sig)
{
}

static int admission_lock(struct sbx *s)
{
        int fd = openat(s->state_fd, PFS_ADMISSION_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0) {
                pfs_log(LOG_WARNING, "admission lock: %m (admitting without it)");
                return -1;
        }
        /* A holder admits in milliseconds (a burst of hundreds of pods in
         * seconds); one stuck (a hung disk under its fsync) must not stop
         * every pod of the node: after 60 s, without.
         * The wait blocks (nothing polls); SIGALRM ends it. */
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                struct sigaction sa = { .sa_handler = alarm_noop }, old;
                int r;

                sigaction(SIGALRM, &sa, &old);  /* no SA_RESTART: flock returns EINTR */
                alarm(ADMISSION_WAIT_S);
                r = flock(fd, LOCK_EX) < 0 ? errno : 0;
                alarm(0);
                sigaction(SIGALRM, &old, NULL);
                if (r)
                        pfs_log(LOG_WARNING, "admission lock: %s (admitting without it)",
                                r == EINTR ? "held for 60 s by another sandbox" : strerror(r));
        }
        return fd;
}

/* Counted by node_usage from now on. Not fsynced: after a crash a pod
 * whose status is there is marked again at its next start. */
static void admitted_mark(struct sbx *s)
{
        int fd = openat(s->pod_fd, PFS_ADMITTED_FILE, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

        if (fd < 0)
                pfs_log(LOG_WARNING, "mark admitted: %m");
        else
                close(fd);
}

bool sbx_admit(struct sbx *s, int *ret_lock)
{
        _cleanup_free_ char *reason = NULL, *msg = NULL;
        _cleanup_close_ int lock = -1;
        struct pfs_error err = { 0 };

        /* a pod admitted once (a status exists) is not judged again */
        if (faccessat(s->pod_fd, PFS_STATUS_FILE, F_OK, 0) == 0) {
                admitted_mark(s);       /* one an earlier podfs admitted */
                return true;
        }
        lock = admission_lock(s);
        if (!rejected(s, &reason, &msg)) {
                admitted_mark(s);
                *ret_lock = steal_fd(&lock);
                return true;
        }
        pfs_log(LOG_INFO, "pod %s rejected: %s", s->pod_ref, msg);
        sbx_event(s, NULL, "Warning", reason, "%s", msg);
        free(s->status->reason);
        free(s->status->message);
        s->status->reason = xstrdup(reason);
        s->status->message = xasprintf("Pod was rejected: %s", msg);
        s->status->rejected = true;
        s->final_phase = "Failed";
        s->sandbox_dirty = true;
        sbx_publish(s);
        if (pfs_write_file_atomic_at(s->pod_fd, PFS_FINISHED_FILE, "", 0, 0644, &err) < 0)
                pfs_log(LOG_ERR, "%s", err.msg);
        return false;
}
