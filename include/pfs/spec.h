/* The Pod spec model: YAML manifest -> validated, defaulted structs, and back
 * to the Kubernetes JSON shape (with defaults) for pod.json. One module used by
 * the daemon (validation, pod.json) and the sandbox (what to run). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pfs/error.h"
#include "pfs/yval.h"

struct pod_kv {
        char *key;
        char *value;
};

/* env[].valueFrom and envFrom[] (the API's EnvVarSource, EnvFromSource). */
struct pod_field_selector {             /* ObjectFieldSelector */
        char *api_version;              /* default "v1" */
        char *field_path;               /* metadata.name, metadata.labels['k'], status.podIP, ... */
};

struct pod_resource_selector {          /* ResourceFieldSelector */
        char *container_name;           /* NULL = the container itself */
        char *resource;                 /* limits.cpu, requests.memory, ... */
        char *divisor;                  /* a quantity; NULL = unset ("0" in pod.json: 1) */
};

struct pod_key_selector {               /* ConfigMapKeySelector, SecretKeySelector */
        char *name;
        char *key;
        bool optional;
        bool optional_set;              /* optional was written (pod.json shows it) */
};

struct pod_env_source {                 /* exactly one is set in an accepted spec */
        struct pod_field_selector *field_ref;
        struct pod_resource_selector *resource_field_ref;
        struct pod_key_selector *config_map_key_ref;
        struct pod_key_selector *secret_key_ref;
        bool file_key_ref;              /* written: refused as not supported */
};

struct pod_env {
        char *name;
        char *value;            /* "" when value is omitted */
        struct pod_env_source *value_from;      /* NULL when absent */
};

struct pod_env_from {
        char *prefix;           /* NULL when absent */
        /* Exactly one is set in an accepted spec (key unused). */
        struct pod_key_selector *config_map_ref;
        struct pod_key_selector *secret_ref;
};

struct pod_volume_mount {
        char *name;
        char *mount_path;
        char *sub_path;         /* NULL when absent */
        bool read_only;
        char *sub_path_expr;    /* NULL when absent; $(VAR) of the container's env, expanded at start */
};

/* The pod's network identity: hostAliases, dnsConfig. */
struct pod_host_alias {
        char *ip;
        char **hostnames;
        size_t n_hostnames;
};
struct pod_dns_option {
        char *name;
        char *value;            /* NULL when absent */
};
struct pod_dns_config {
        bool present;
        char **nameservers;
        size_t n_nameservers;
        char **searches;
        size_t n_searches;
        struct pod_dns_option *options;
        size_t n_options;
};

struct pod_port {
        char *name;             /* NULL when absent */
        int32_t container_port;
        char *protocol;         /* default "TCP" */
        int32_t host_port;      /* 0 = none */
        char *host_ip;          /* NULL = all the node's addresses */
};

/* The hostPort a port has once the API server defaulted it: with
 * hostNetwork an unset one is the containerPort (defaultHostNetworkPorts,
 * app and init containers alike). 0: none. */
static inline int32_t pod_port_host_port(bool host_network, const struct pod_port *p)
{
        return p->host_port ? p->host_port : host_network ? p->container_port : 0;
}

/* A hook's or probe's action (the API server's LifecycleHandler / ProbeHandler). */
enum pod_handler_kind {
        POD_HANDLER_NONE,       /* zero value; never in an accepted spec */
        POD_HANDLER_EXEC,
        POD_HANDLER_HTTP_GET,
        POD_HANDLER_TCP_SOCKET, /* probes only (refused in hooks: Kubernetes never runs it there) */
        POD_HANDLER_SLEEP,      /* lifecycle hooks only */
        POD_HANDLER_GRPC,       /* probes only; validation refuses it (no HTTP/2 in the sandbox) */
};

struct pod_handler {
        enum pod_handler_kind kind;
        /* exec */
        char **command;
        size_t n_command;
        /* httpGet, tcpSocket: port by number, or by name (port 0, port_name set);
         * see pod_handler_port(). host NULL or "" = the pod's IP. */
        char *path;             /* httpGet: default "/" */
        char *host;
        char *scheme;           /* httpGet: "HTTP" (default); "HTTPS" is refused (no TLS) */
        struct pod_kv *headers; /* httpGet httpHeaders (key = name), in order */
        size_t n_headers;
        int32_t port;           /* httpGet, tcpSocket, grpc */
        char *port_name;        /* httpGet, tcpSocket: NULL when port is a number */
        /* sleep */
        int64_t seconds;        /* 0 .. the pod's terminationGracePeriodSeconds */
        /* grpc */
        char *service;          /* grpc: default "" (the server's overall health) */
};

struct pod_probe {
        struct pod_handler h;
        int32_t initial_delay_seconds;          /* default 0 */
        int32_t timeout_seconds;                /* default 1 */
        int32_t period_seconds;                 /* default 10 */
        int32_t success_threshold;              /* default 1 */
        int32_t failure_threshold;              /* default 3 */
        int64_t termination_grace_period_seconds; /* -1 = unset (the pod's applies) */
};

/* securityContext (spec_security.c): a Pod's (PodSecurityContext) or a
 * container's (SecurityContext); one struct, the pod-only fields unused in a
 * container's. Unset integers are -1, unset tri-states POD_UNSET. */
#define POD_UNSET (-1)
#define POD_ID_UNSET INT64_MIN          /* runAsUser, runAsGroup, fsGroup not written */
struct pod_seccomp_profile {
        char *type;                     /* NULL = unset; RuntimeDefault, Unconfined, Localhost */
        char *localhost_profile;        /* NULL = unset */
};
struct pod_se_linux_options {
        char *user, *role, *type, *level;
};
struct pod_security_context {
        int64_t run_as_user, run_as_group;      /* POD_ID_UNSET = unset */
        int8_t run_as_non_root;                 /* POD_UNSET, 0, 1 */
        struct pod_seccomp_profile seccomp;
        struct pod_seccomp_profile app_armor;   /* type NULL = unset */
        struct pod_se_linux_options *se_linux;  /* NULL = unset */
        /* container only */
        int8_t privileged, allow_privilege_escalation, read_only_root_filesystem;
        bool has_capabilities;
        char **cap_add, **cap_drop;             /* as written */
        size_t n_cap_add, n_cap_drop;
        char *proc_mount;                       /* NULL = unset; Default, Unmasked */
        /* pod only */
        int64_t fs_group;                       /* POD_ID_UNSET = unset */
        int64_t *supplemental_groups;
        size_t n_supplemental_groups;
        char *supplemental_groups_policy;       /* NULL = unset (Merge) */
        char *fs_group_change_policy;           /* NULL = unset (Always) */
        struct pod_kv *sysctls;
        size_t n_sysctls;
};

/* A container's resizePolicy entry: what a resize of one resource needs. */
struct pod_resize_policy {
        char *resource_name;            /* "cpu", "memory" */
        char *restart_policy;           /* "NotRequired", "RestartContainer" */
};

struct pod_container {
        char *name;
        char *image;
        char *image_pull_policy;        /* default: "Always" for :latest or no tag, else "IfNotPresent" */
        char **command;
        size_t n_command;
        char **args;
        size_t n_args;
        struct pod_env *env;
        size_t n_env;
        struct pod_env_from *env_from;
        size_t n_env_from;
        char *working_dir;              /* NULL = image default ("/") */
        struct pod_volume_mount *mounts;
        size_t n_mounts;
        struct pod_port *ports;
        size_t n_ports;
        char *termination_message_path;   /* default "/dev/termination-log" */
        char *termination_message_policy; /* default "File" */
        /* Additions: lifecycle hooks and probes (NULL = none). */
        struct pod_handler *post_start, *pre_stop;
        struct pod_probe *liveness, *readiness, *startup;
        /* Addition: resources.limits / resources.requests cpu and memory, the
         * quantity strings as written; NULL = unset (an unset request defaults
         * to the limit). Enforced through the container's cgroup. */
        char *cpu_limit, *memory_limit;
        char *cpu_request, *memory_request;
        /* Addition: resources limits/requests "ephemeral-storage": the
         * container's writable layer and logs count against the limit; the
         * sandbox evicts the pod beyond it, as kubelet does. */
        char *ephemeral_storage_limit, *ephemeral_storage_request;
        /* Addition: restartPolicy, only "Always" and only on an init
         * container: a sidecar (KEP-753), see pod_container_is_sidecar(). */
        char *restart_policy;
        /* Addition: securityContext, NULL when absent (spec_security.c). */
        struct pod_security_context *security;
        /* Addition: resizePolicy (KEP-1287, spec_update.c), as written. */
        struct pod_resize_policy *resize_policy;
        size_t n_resize_policy;
        /* Addition (spec_stdio.c): stdin, stdinOnce, tty; lifecycle.stopSignal
         * ("SIGUSR1", NULL = unset: the image's, else SIGTERM). */
        bool stdin_open, stdin_once, tty;
        char *stop_signal;
};

enum pod_volume_kind {
        POD_VOLUME_EMPTY_DIR,
        POD_VOLUME_HOST_PATH,
        /* Additions: files the sandbox writes (kubelet's AtomicWriter layout). */
        POD_VOLUME_CONFIG_MAP,
        POD_VOLUME_SECRET,
        POD_VOLUME_DOWNWARD_API,
        POD_VOLUME_PROJECTED,
        /* Additions: directories bound in. */
        POD_VOLUME_PVC,
        POD_VOLUME_IMAGE,
};

/* configMap/secret items: key -> path (mode -1 = unset: the defaultMode). */
struct pod_key_path {
        char *key;
        char *path;
        int32_t mode;
};

/* A downwardAPI item: fieldRef (field_path set) or resourceFieldRef (resource set). */
struct pod_downward_file {
        char *path;
        char *api_version;      /* fieldRef.apiVersion: default "v1" */
        char *field_path;
        char *container_name;   /* resourceFieldRef */
        char *resource;
        char *divisor;          /* NULL = unset ("0" in pod.json, 1 in effect) */
        int32_t mode;           /* -1 = unset */
};

enum pod_projection_kind { POD_PROJ_CONFIG_MAP, POD_PROJ_SECRET, POD_PROJ_DOWNWARD_API };

/* One source of files: a configMap, secret or downwardAPI volume has one, a
 * projected volume any number. */
struct pod_projection {
        enum pod_projection_kind kind;
        char *name;             /* the ConfigMap's or Secret's name */
        int optional;           /* -1 = unset, 0, 1 */
        struct pod_key_path *items;
        size_t n_items;
        struct pod_downward_file *files;        /* downwardAPI */
        size_t n_files;
        size_t src_index;       /* projected: its element of sources */
};

struct pod_volume {
        char *name;
        enum pod_volume_kind kind;
        char *medium;           /* emptyDir: "" or "Memory" */
        char *size_limit;       /* emptyDir: quantity string or NULL */
        char *host_path;        /* hostPath: absolute path */
        char *host_path_type;   /* hostPath: "", DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice */
        /* configMap, secret, downwardAPI (one source), projected (any). */
        struct pod_projection *sources;
        size_t n_sources;
        int32_t default_mode;   /* default 0644 (420); -1 = unset (before defaults) */
        /* persistentVolumeClaim */
        char *claim_name;
        bool read_only;
        /* image */
        char *reference;
        char *pull_policy;      /* default as a container's imagePullPolicy */
};

enum pod_restart_policy { POD_RESTART_ALWAYS, POD_RESTART_ON_FAILURE, POD_RESTART_NEVER };

struct pod_spec {
        /* metadata */
        char *name;
        char *namespace;
        struct pod_kv *labels;
        size_t n_labels;
        struct pod_kv *annotations;
        size_t n_annotations;
        /* spec */
        struct pod_container *containers;
        size_t n_containers;
        struct pod_volume *volumes;
        size_t n_volumes;
        enum pod_restart_policy restart_policy;     /* default Always */
        int64_t termination_grace_period_seconds;   /* default 30 */
        char *hostname;                             /* NULL = pod name */
        bool share_process_namespace;
        bool host_network;
        char *dns_policy;                           /* default "ClusterFirst" ("ClusterFirstWithHostNet" allowed) */
        char *scheduler_name;                       /* default "default-scheduler" */
        /* The document's source text, as accepted (what spec.yaml shows). */
        char *source;
        size_t source_len;
        /* Additions. */
        bool enable_service_links;                  /* default true */
        int source_line;                            /* first line of the document in the file */
        struct pod_container *init_containers;      /* run in order, each to completion, before containers */
        size_t n_init_containers;
        int64_t active_deadline_seconds;            /* -1 = unset */
        char *subdomain;                            /* NULL = none */
        bool set_hostname_as_fqdn;
        struct pod_host_alias *host_aliases;
        size_t n_host_aliases;
        struct pod_dns_config dns_config;
        char **image_pull_secrets;                  /* names of Secrets in the pod's namespace */
        size_t n_image_pull_secrets;
        /* Addition: the scheduling fields (common/spec_sched.c), as written once
         * valid; NULL = unset. One node has nothing to choose; the kubelet's
         * admission of a pod bound to it reads nodeName, nodeSelector, the
         * required node affinity and the tolerations. */
        struct yval *node_selector, *affinity, *tolerations, *topology_spread_constraints;
        struct yval *scheduling_gates;
        char *node_name, *priority_class_name, *preemption_policy;
        int32_t priority;                           /* from the priority class (admission) */
        bool priority_set;                          /* spec.priority was written */
        /* Addition: pod-level spec.resources (KEP-2837), cpu and memory only,
         * in a container's fields (name NULL); NULL = unset. Applied to the
         * pod's cgroup; the QoS class and the admission use it. */
        struct pod_container *pod_resources;
        /* securityContext (NULL when absent), hostPID, hostIPC (spec_security.c). */
        struct pod_security_context *security;
        bool host_pid, host_ipc;
        /* spec.hostUsers (KEP-127): userns = it is false, the pod has its own
         * user namespace (include/pfs/userns.h); host_users_set = written. */
        bool userns, host_users_set;
        /* Addition (spec_stdio.c): spec.os.name, NULL = unset. */
        char *os_name;
        /* Private: name indexes (NULL in a spec built by hand: searched). */
        struct pod_spec_index *index;
};

/* Containers plus init containers of one pod: podfs' own bound (Kubernetes
 * sets none, etcd's 1.5 MiB object limit aside), so that a pod is something
 * one node can start, supervise and show. Refused as the API server refuses
 * a list that is too long: "spec.containers: Too many: N: must have at most
 * 250 items". */
#define POD_MAX_CONTAINERS 250
/* Pods in one manifest (a multi-document stream): each is made durable and
 * started while the writer's close waits, and the daemon serves nobody else
 * meanwhile (about 8 ms a pod on a 2-CPU VM). */
#define POD_MAX_PER_MANIFEST 100

/* Parse and validate a manifest file that may hold several documents.
 * filename is used in messages; ns_hint is the namespace of the directory it
 * was written to (a document naming another namespace is rejected), name_hint
 * the pod directory's name or NULL (a document naming another pod is rejected;
 * a document without metadata.name takes name_hint). All documents must be
 * Pods (apiVersion v1, kind Pod); all are valid or an error is returned
 * (EINVAL, message "FILE: line N: Pod \"x\" is invalid: spec.containers[0].image: Required value").
 * Empty documents are skipped; a stream with no Pod is an error. */
int pod_manifest_parse(const char *text, size_t len, const char *filename, const char *ns_hint,
                       const char *name_hint, struct pod_spec ***ret_pods, size_t *ret_n,
                       struct pfs_error *err);
void pod_spec_free(struct pod_spec *spec);
void pod_spec_free_array(struct pod_spec **pods, size_t n);

/* What is accepted (like kubectl's strict validation plus the API server's
 * ValidatePod, in its words):
 *  - a field Kubernetes does not know: 'unknown field "spec.containers[0].imag"'
 *    (such a manifest, or one with a wrong type, is not validated further);
 *  - a Kubernetes field podfs does not implement (resources other than cpu and
 *    memory and ephemeral-storage limits/requests, resources.claims, securityContext,
 *    env valueFrom.fileKeyRef, volume kinds other than emptyDir, hostPath,
 *    configMap, secret, downwardAPI, projected, persistentVolumeClaim and image, restartPolicyRules (KEP-5307,
 *    alpha in Kubernetes 1.34), lifecycle.stopSignal, ...):
 *    "PATH: Forbidden: not supported by podfs yet", unless its value is empty
 *    (null, false, 0, "", {}, []) or the default;
 *  - hooks and probes follow the API server's rules (one handler type; ports
 *    1-65535 or an IANA service name, not checked against the container's
 *    ports; probe periods and thresholds >= 0 with 0 meaning the default;
 *    liveness/startup successThreshold 1; no terminationGracePeriodSeconds on
 *    readiness probes; sleep between 0 and the pod's grace; no hooks or probes
 *    on init containers); one exception: a tcpSocket hook, which Kubernetes
 *    accepts but never runs successfully, is refused;
 *  - fields podfs assigns (uid, creationTimestamp, resourceVersion, ...): only
 *    empty values ("creationTimestamp: null" as kubectl writes it); a top-level
 *    status of any content is ignored, as on create. */

/* The "spec" object with every default applied, as the API server returns it. */
struct yval *pod_spec_to_yval(const struct pod_spec *spec);
/* Same semantics (identical rewrite = no change): compares metadata labels/
 * annotations and the defaulted spec, not the source text's formatting. */
bool pod_spec_equal(const struct pod_spec *a, const struct pod_spec *b);
/* Equal but for metadata.labels and annotations: a rewrite the API server
 * applies in place (the pod keeps running, its downwardAPI files follow). */
bool pod_spec_same_but_metadata(const struct pod_spec *a, const struct pod_spec *b);
/* An update in place without an error (pod_spec_update_kind): labels,
 * annotations, activeDeadlineSeconds, images, container cpu/memory. */
bool pod_spec_same_but_updatable(const struct pod_spec *a, const struct pod_spec *b);
/* ValidatePodUpdate's word on activeDeadlineSeconds going from old to new (it
 * may be set or lowered, never raised or removed): NULL when allowed. */
const char *pod_spec_deadline_update_error(const struct pod_spec *old, const struct pod_spec *new);

/* ---- updates of a running pod (spec_update.c) ----
 * What a rewrite of a pod's manifest from old to new is, as the API server
 * (update and resize subresource) and the kubelet take it:
 *  - NONE: the same spec;
 *  - IN_PLACE: only labels, annotations, activeDeadlineSeconds, containers'
 *    and initContainers' image, and the cpu/memory requests and limits of
 *    app containers and sidecars differ (no request or limit removed, no
 *    pod-level resources): the pod keeps its uid, the sandbox applies it;
 *  - REPLACE: anything else (podfs replaces the pod).
 * An in-place resize that would change the QoS class is refused by the API
 * server: *ret_error (may be NULL) gets its message ("spec: Invalid value:
 * \"Burstable\": Pod QOS Class may not change as a result of resizing"). */
enum pod_update_kind { POD_UPDATE_NONE, POD_UPDATE_IN_PLACE, POD_UPDATE_REPLACE };
enum pod_update_kind pod_spec_update_kind(const struct pod_spec *old, const struct pod_spec *new, char **ret_error);
/* The container's resizePolicy for cpu (memory false) or memory: "NotRequired"
 * unless it says "RestartContainer". */
const char *pod_container_resize_policy(const struct pod_container *c, bool memory);
/* Same cpu (memory false) or memory requests and limits, by value; an unset
 * request is the limit. */
bool pod_container_resources_equal(const struct pod_container *a, const struct pod_container *b, bool memory);
/* The container takes part in resizes: an app container or a sidecar. */
bool pod_container_resizable(const struct pod_spec *s, const struct pod_container *c);
/* kubelet's QoS class of the spec ("Guaranteed", "Burstable", "BestEffort"). Caller frees. */
char *pod_spec_qos_class(const struct pod_spec *s);
/* The spec as pod_spec_to_yval, quantities in one spelling each. */
struct yval *pod_spec_to_yval_canonical(const struct pod_spec *s);

const char *pod_restart_policy_name(enum pod_restart_policy p); /* "Always", "OnFailure", "Never" */
/* An init container with restartPolicy Always (a native sidecar): starts in
 * order, runs beside the app containers, restarted whatever the pod's policy. */
bool pod_container_is_sidecar(const struct pod_container *c);
/* spec.schedulingGates is not empty: the pod waits, Pending, PodScheduled
 * False SchedulingGated, until a rewrite removes them. */
bool pod_spec_is_gated(const struct pod_spec *s);
/* The first image (of a container, an init container or an image volume)
 * given as a path of the node ("/srv/rootfs"), or NULL. */
const char *pod_spec_path_image(const struct pod_spec *s);
const struct pod_container *pod_spec_find_container(const struct pod_spec *spec, const char *name);
/* An app or init container by name; *ret_is_init (may be NULL) says which. */
const struct pod_container *pod_spec_find_any_container(const struct pod_spec *spec, const char *name,
                                                        bool *ret_is_init);
/* The port a httpGet/tcpSocket/grpc handler of container c targets: its number,
 * or the containerPort of c's port named port_name; -1 when no port has that
 * name (the kubelet then fails the probe or hook at run time). */
int32_t pod_handler_port(const struct pod_container *c, const struct pod_handler *h);

/* DNS-1123 label (<= 63, [a-z0-9]([-a-z0-9]*[a-z0-9])?) and subdomain (<= 253). */
bool pod_name_is_dns1123_label(const char *s);
bool pod_name_is_dns1123_subdomain(const char *s);
/* Why s is not one, in the API server's words ("must be no more than 63
 * characters", "a lowercase RFC 1123 label must consist of ... (e.g. ...)"),
 * or NULL when it is. Static strings. */
const char *pod_name_dns1123_label_error(const char *s);
const char *pod_name_dns1123_subdomain_error(const char *s);

/* ---- securityContext (spec_security.c) ---- */
void pod_security_context_free(struct pod_security_context *sc);
/* The effective value for container c (the container's wins, else the pod's;
 * -1 / POD_UNSET when neither sets it), as the kubelet's
 * DetermineEffectiveSecurityContext. */
int64_t pod_effective_run_as_user(const struct pod_spec *s, const struct pod_container *c);
int64_t pod_effective_run_as_group(const struct pod_spec *s, const struct pod_container *c);
int pod_effective_run_as_non_root(const struct pod_spec *s, const struct pod_container *c);
/* The seccomp profile type (RuntimeDefault, Unconfined, Localhost) or NULL
 * when neither sets one (the kubelet's default: Unconfined). */
const struct pod_seccomp_profile *pod_effective_seccomp(const struct pod_spec *s, const struct pod_container *c);
/* The AppArmor profile of container c: the container's appArmorProfile, else
 * the pod's, else the deprecated annotation
 * container.apparmor.security.beta.kubernetes.io/<name> ("runtime/default",
 * "localhost/<profile>", "unconfined") as the API server syncs it into the
 * field. type is RuntimeDefault, Localhost (name set) or Unconfined; false
 * when nothing names one. */
bool pod_effective_apparmor(const struct pod_spec *s, const struct pod_container *c, const char **ret_type,
                            const char **ret_name);
/* The value of that annotation for the container named so, or NULL. */
const char *pod_apparmor_annotation(const struct pod_spec *s, const char *container);
bool pod_container_privileged(const struct pod_container *c);
/* A core.Signal name the API server accepts for Linux ("SIGUSR1",
 * "SIGRTMIN+3") -> its number, -1 when none; and back (spec_stdio.c). */
int pod_signal_number(const char *name);
const char *pod_signal_name(int num);
/* no_new_privs: allowPrivilegeEscalation false (never with privileged or CAP_SYS_ADMIN). */
bool pod_container_no_new_privs(const struct pod_container *c);
bool pod_container_read_only_root(const struct pod_container *c);
/* sysctls: the kubelet's safe set; namespaced (net.*, the ipc ones: what a
 * pod may set when a daemon flag allows it). */
bool pod_sysctl_is_safe(const char *name);
bool pod_sysctl_is_namespaced(const char *name);
/* A capability name as written ("NET_ADMIN", "CAP_NET_ADMIN", "ALL") to its
 * number; -1 when unknown, -2 for ALL. */
int pod_capability_number(const char *name);
