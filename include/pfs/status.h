/* The Pod status model: container states, kubelet's phase and condition rules,
 * restart back-off arithmetic, and the Kubernetes JSON shape of .status.
 * The sandbox owns a struct pod_status and publishes it as status.json; the
 * daemon reads status.json back to serve phase, conditions, containers/. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pfs/error.h"
#include "pfs/spec.h"
#include "pfs/yval.h"

enum ctr_state_kind { CTR_STATE_NONE, CTR_STATE_WAITING, CTR_STATE_RUNNING, CTR_STATE_TERMINATED };

struct ctr_state {
        enum ctr_state_kind kind;
        char *reason;           /* waiting/terminated: e.g. "ContainerCreating", "CrashLoopBackOff", "Completed", "Error" */
        char *message;
        int32_t exit_code;      /* terminated */
        int32_t signal;         /* terminated: signal number that killed it, 0 if none */
        int64_t started_at;     /* realtime ns; 0 = unset */
        int64_t finished_at;    /* terminated; realtime ns */
        char *container_id;     /* terminated: "podfs://<id>" */
};

struct ctr_status {
        char *name;
        char *image;            /* as in the spec */
        char *image_id;         /* resolved image, e.g. "podfs:///var/lib/podfs/images/busybox" */
        char *container_id;     /* "podfs://<64 hex>" once created, NULL before */
        struct ctr_state state;
        struct ctr_state last_state;    /* kind NONE when there was no previous run */
        bool ready;
        bool started;
        int32_t restart_count;
        int64_t pid;            /* host pid of the container's main process while running (not in JSON) */
        /* Addition (KEP-1287): allocatedResources (the allocated requests) and
         * resources (requests and limits the container runs with), as
         * ResourceList maps; NULL = not shown. */
        struct yval *allocated_resources, *resources;
        char *stop_signal;      /* stopSignal (ContainerStopSignals): the spec's lifecycle.stopSignal, NULL = none */
};

enum pod_condition_type {
        POD_COND_RESIZE_PENDING,                /* PodResizePending (KEP-1287): Infeasible, Deferred */
        POD_COND_RESIZE_IN_PROGRESS,            /* PodResizeInProgress: allocated, not yet actuated */
        POD_COND_READY_TO_START_CONTAINERS,     /* PodReadyToStartContainers */
        POD_COND_INITIALIZED,
        POD_COND_READY,
        POD_COND_CONTAINERS_READY,
        POD_COND_SCHEDULED,                     /* PodScheduled */
        POD_COND__MAX,
};

struct pod_condition {
        bool present;
        bool status;            /* "True" / "False" */
        char *reason;
        char *message;
        int64_t last_transition; /* realtime ns */
        /* observedGeneration of a resize condition: the generation of the
         * resize it is about (PodResizeInProgress keeps the allocated one's
         * while a newer spec waits); 0 = the status's observed_generation,
         * as every other condition shows. */
        int64_t observed_generation;
};

struct pod_status {
        char *phase;            /* "Pending", "Running", "Succeeded", "Failed", "Unknown" */
        char *reason;           /* pod-level reason, e.g. "DeadlineExceeded"; NULL */
        char *message;
        char *host_ip;          /* node address (first non-loopback IPv4, else 127.0.0.1) */
        char *pod_ip;           /* hostNetwork: host_ip; otherwise NULL (loopback-only netns) */
        char *pod_ip2;          /* dual-stack: the pod's address of the other family, else NULL */
        int64_t start_time;     /* realtime ns when the sandbox accepted the pod */
        char *qos_class;        /* "BestEffort" */
        struct pod_condition conditions[POD_COND__MAX];
        struct ctr_status *containers;
        size_t n_containers;
        /* Addition: initContainerStatuses, in spec order (none = no init containers). */
        struct ctr_status *init_containers;
        size_t n_init_containers;
        /* Private: pod_status_find's index, built on demand. Whoever replaces
         * the container arrays other than through the functions here must
         * drop it (pod_status_set_init_containers does). */
        struct pod_status_index *index;
        /* Refused by admission: served as kubelet's rejectPod leaves it, phase,
         * reason, message and startTime only (no conditions, no container
         * statuses); read back from a status without containerStatuses. */
        bool rejected;
        /* Held by schedulingGates: never scheduled, so phase Pending, the
         * PodScheduled condition and qosClass only (as the API server shows a
         * pod no kubelet has seen); read back from a status with conditions
         * but without containerStatuses. */
        bool gated;
        /* observedGeneration (PodObservedGenerationTracking, beta in 1.34):
         * the metadata.generation the sandbox acted on last, shown on the
         * status and on every condition the kubelet writes; 0 = not shown
         * (a gated or rejected pod). */
        int64_t observed_generation;
};

const char *pod_condition_type_name(enum pod_condition_type t);
/* Set a condition (its transition time moves only when the status flips),
 * or drop it. */
void pod_status_condition_set(struct pod_status *st, enum pod_condition_type t, bool status, const char *reason,
                              const char *message, int64_t now_ns);
void pod_status_condition_clear(struct pod_status *st, enum pod_condition_type t);

/* New status for a pod that has not started anything: phase Pending, every
 * container waiting with reason ContainerCreating, conditions as kubelet sets them. */
struct pod_status *pod_status_new(const struct pod_spec *spec, int64_t now_ns);
void pod_status_free(struct pod_status *st);
struct ctr_status *pod_status_find(struct pod_status *st, const char *name);

/* kubelet's getPhase over the container statuses and the restart policy. */
const char *pod_phase_compute(const struct pod_spec *spec, const struct pod_status *st);
/* Recompute phase and the conditions from container states; a condition's
 * lastTransitionTime changes only when its status flips. */
void pod_status_refresh(const struct pod_spec *spec, struct pod_status *st, int64_t now_ns);

/* The Pod's .status as the API server serves it. */
struct yval *pod_status_to_yval(const struct pod_status *st);
/* Read a .status object (as written by pod_status_to_yval) back. */
int pod_status_from_yval(const struct yval *v, struct pod_status **ret_st, struct pfs_error *err);

/* Restart back-off as kubelet does it: the first restart at once, then 10 s,
 * doubling up to 300 s; reset when the container ran 10 minutes without a crash. */
struct pod_backoff {
        int64_t delay_ns;       /* the delay used for the last restart (0 = none yet) */
        int64_t last_exit_ns;   /* monotonic time of the last crash */
};
#define POD_BACKOFF_INITIAL_NS (10LL * 1000000000LL)
#define POD_BACKOFF_MAX_NS (300LL * 1000000000LL)
#define POD_BACKOFF_RESET_NS (600LL * 1000000000LL)
/* Called when a container exited and will be restarted: returns the delay
 * before the restart and updates b. ran_ns is how long the run lasted. */
int64_t pod_backoff_next(struct pod_backoff *b, int64_t now_ns, int64_t ran_ns);

/* ---- helpers (additions) ---- */
/* Condition type from its API name, or -EINVAL. */
int pod_condition_type_from_name(const char *name);
/* "Succeeded" or "Failed". */
bool pod_phase_is_terminal(const char *phase);
/* The node's address: first non-loopback IPv4 that is up, else "127.0.0.1" (malloc'd). */
char *pod_node_ip(void);
/* Container state setters: each frees what the state held before. */
void ctr_state_clear(struct ctr_state *s);
void ctr_state_copy(struct ctr_state *dst, const struct ctr_state *src);
void ctr_state_set_waiting(struct ctr_state *s, const char *reason, const char *message);
void ctr_state_set_running(struct ctr_state *s, int64_t started_at);
/* reason NULL = kubelet's default: "Completed" for exit 0, else "Error". */
void ctr_state_set_terminated(struct ctr_state *s, int32_t exit_code, int32_t signal,
                              const char *reason, const char *message, int64_t started_at,
                              int64_t finished_at, const char *container_id);
/* Give the status its init containers (spec order): each waits with reason
 * PodInitializing, and so do regular containers still waiting with
 * ContainerCreating, as kubelet shows a pod with init containers. Replaces
 * any init statuses st had. Phase and conditions then follow kubelet's init
 * rules: Initialized False ContainersNotInitialized "containers with
 * incomplete status: [a]" until each init container terminated with exit 0
 * (or is marked ready); a failed init container fails a Never pod. */
void pod_status_set_init_containers(struct pod_status *st, const struct pod_container *ctrs, size_t n);
/* Whether c is one of st's init container statuses (pod_status_find() looks in
 * containerStatuses, then in initContainerStatuses). */
bool pod_status_is_init(const struct pod_status *st, const struct ctr_status *c);

/* ---- QoS class (qos.c, additions) ---- */
/* One container's (regular or init) cpu/memory requests and limits as
 * Kubernetes quantity strings ("500m", "64Mi", "1e3"); NULL = unset. */
struct pod_qos_container {
        const char *cpu_request, *cpu_limit;
        const char *memory_request, *memory_limit;
};
/* kubelet's QoS class over every container: "BestEffort" (no cpu/memory request
 * or limit anywhere), "Guaranteed" (every container limits cpu and memory and
 * the pod's requests equal its limits; an unset request defaults to the
 * limit), else "Burstable". Unparsable quantities count as unset. */
const char *pod_qos_class(const struct pod_qos_container *c, size_t n);
/* Compare two quantities exactly ("0.5" == "500m"): -EINVAL if one is not a quantity. */
int pod_quantity_cmp(const char *a, const char *b, int *ret_cmp);
/* A quantity's exact value as one string ("1", "1000m" and "1e3m" give the
 * same), to compare spellings of one quantity: NULL if not a quantity. Caller frees. */
char *pod_quantity_canonical(const char *s);
/* A quantity in thousandths, rounded up as resource.Quantity's MilliValue
 * ("500m" -> 500, "2" -> 2000): -EINVAL if not a quantity, -ERANGE if too large. */
int pod_quantity_milli(const char *s, int64_t *ret_milli);
/* A quantity in bytes, rounded up as resource.Quantity's Value() ("64Mi",
 * "1.5Gi", "1e6"; exact integer arithmetic): -EINVAL if not a non-negative
 * quantity, -ERANGE from 2^63 on. */
int pod_quantity_bytes(const char *s, uint64_t *ret_bytes);
/* resource.Quantity's String() of bytes in the format of quantity fmt_of
 * ("10Mi", "10M", "1e7"), as kubelet's messages print limits. Caller frees. */
char *pod_quantity_string(const char *fmt_of, uint64_t bytes);
/* resource.Quantity's String() of s as the API server stores it: "0.5" ->
 * "500m", "1000m" -> "1", "2000000" -> "2M", "1024Mi" -> "1Gi", "1.5Ki" ->
 * "1536", "1e3" -> "1e3". NULL if not a quantity. Caller frees. */
char *pod_quantity_canonical_string(const char *s);
