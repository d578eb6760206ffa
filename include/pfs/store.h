/* The durable state directory shared by the daemon and the sandboxes.
 *
 *   STATE/images/                       image store (rootfs dirs, OCI layouts, symlinks)
 *   STATE/namespaces/<ns>/              one directory per namespace (its mode/owner is the namespace's)
 *   STATE/namespaces/<ns>/<name>        symlink "../../pods/<uid>" = the pod the name refers to,
 *                                       or an empty directory = a pod dir made by mkdir, no spec yet
 *   STATE/pods/<uid>/meta               daemon: identity, owner + deletion request (key=value, atomic)
 *   STATE/pods/<uid>/spec.yaml          daemon: the accepted manifest (one document)
 *   STATE/pods/<uid>/status.json        sandbox: the Pod .status (atomic rename)
 *   STATE/pods/<uid>/events             both: appended event records
 *   STATE/pods/<uid>/sandbox            sandbox: "pid=N\nstarttime=TICKS\nctr.<name>=PID\n..." (atomic)
 *   STATE/pods/<uid>/lock               sandbox holds an OFD write lock on it for its whole life
 *   STATE/pods/<uid>/finished           sandbox: written when no process of the pod is left and
 *                                       it has nothing more to do (pod terminal or deleted)
 *   STATE/logs/<ns>_<name>_<uid>/<container>/<restartCount>.log   CRI-format logs
 *   STATE/objects/, STATE/claims/       ConfigMaps, Secrets, claims: see object.h
 *   STATE/pods/<uid>/userns             sandbox: hostUsers: false pods' host id range, and
 *   STATE/userns.lock                   the allocation's lock: see userns.h
 *   STATE/node/labels, STATE/node/taints  daemon: the Node's user labels ("key=value" lines) and
 *                                       taints ("key[=value]:Effect" lines); read by the sandboxes
 *                                       for the kubelet's admission: see node.h
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "pfs/error.h"

#define PFS_STATE_DIR_DEFAULT "/var/lib/podfs"
/* pids.max of every pod's cgroup unless `podfs --pod-pids-limit` says otherwise
 * (the daemon passes it to each sandbox as --pod-pids-limit): room for any
 * sane pod (podman allows 2048 per container), an eighth of the kernel's usual
 * pid_max of 32768, so one fork bomb cannot take the node's pids. */
#define PFS_POD_PIDS_LIMIT_DEFAULT 4096
/* The kernel's PID_MAX_LIMIT: pids.max takes nothing larger. */
#define PFS_POD_PIDS_LIMIT_MAX 4194304
#define PFS_META_FILE "meta"
#define PFS_SPEC_FILE "spec.yaml"
#define PFS_STATUS_FILE "status.json"
#define PFS_EVENTS_FILE "events"
#define PFS_SANDBOX_FILE "sandbox"
#define PFS_LOCK_FILE "lock"
#define PFS_FINISHED_FILE "finished"
#define PFS_ADMITTED_FILE "admitted"    /* the node admitted the pod (empty; runtime/admit.c) */
#define PFS_NETWORK_FILE "network.json"    /* what the pod network's DEL needs (runtime/cni.c) */

struct pod_meta {
        char uid[37];
        char *namespace;
        char *name;
        int64_t creation_ns;            /* realtime */
        int64_t deletion_ns;            /* realtime; 0 = not being deleted */
        int64_t deletion_grace_seconds; /* valid when deletion_ns != 0 */
        char *predecessor;              /* uid of the pod this one replaces, or NULL */
        uid_t owner;                    /* who created it (the user whose request made it); */
        gid_t group;                    /* 0:0 for pods of versions that did not record one */
        /* metadata.generation (KEP-5067): 1 at create, +1 for every update in
         * place that changes the spec (not labels/annotations only) and for
         * the first deletion request, as the API server counts. spec_sum is
         * the sha256 of the spec.yaml it counts up to, spec_hash that of its
         * spec without metadata (pod_spec_generation_hash): a daemon killed
         * between writing spec.yaml and meta finds them different and counts
         * once (pod_generation_recover). Empty (older meta): not checked. */
        int64_t generation;
        char spec_sum[65], spec_hash[65];
};

int pod_meta_read_at(int pod_dirfd, struct pod_meta **ret_meta, struct pfs_error *err);
int pod_meta_write_at(int pod_dirfd, const struct pod_meta *meta, struct pfs_error *err);
/* A new pod's meta and spec.yaml (mode 0600), both durable on return: one
 * fsync each and one of the pod dir. */
int pod_files_create_at(int pod_dirfd, const struct pod_meta *meta, const char *spec, size_t spec_len,
                        struct pfs_error *err);
void pod_meta_free(struct pod_meta *meta);

/* One event, as kubectl describe shows them. */
struct pod_event {
        int64_t time_ns;
        char *type;             /* "Normal" | "Warning" */
        char *reason;           /* "Pulled", "Created", "Started", "Killing", "BackOff", "Failed", ... */
        char *object;           /* "pod/web" or "spec.containers{app}" */
        char *source;           /* "kubelet" or "podfs" */
        char *message;
};
/* Append one event record (a single write, tabs/newlines in fields become
 * spaces, the message cut at 1 kB as events.k8s.io does). The file is
 * bounded: past POD_EVENTS_MAX_BYTES it is replaced (atomically, under
 * flock with the appenders) by its newest POD_EVENTS_KEEP_BYTES of records. */
#define POD_EVENT_MAX_MESSAGE 1024
#define POD_EVENTS_MAX_BYTES (256 * 1024)
#define POD_EVENTS_KEEP_BYTES (128 * 1024)
int pod_event_append_at(int pod_dirfd, const char *type, const char *reason, const char *object,
                        const char *source, const char *message, struct pfs_error *err);
/* The kubelet's FailedKillPod message when its sandbox could not be stopped
 * (DESC: the runtime's error, e.g. a failed network DEL). */
char *pod_event_kill_sandbox_failed(const char *sandbox_id, const char *desc);
int pod_events_read_at(int pod_dirfd, struct pod_event **ret_events, size_t *ret_n, struct pfs_error *err);
void pod_events_free(struct pod_event *ev, size_t n);

/* Sandbox liveness: returns 1 if a sandbox holds the pod's lock, 0 if not; pid from the sandbox file. */
int pod_sandbox_alive_at(int pod_dirfd, pid_t *ret_pid);

/* "<ns>_<name>_<uid>" (the kubelet's pod log directory name). */
char *pod_log_dir_name(const char *ns, const char *name, const char *uid);

/* ---- the sandbox file (additions) ---- */
struct pod_sandbox_ctr {
        char *name;
        pid_t pid;
};
struct pod_sandbox_file {
        pid_t pid;                      /* the sandbox process */
        uint64_t starttime;             /* field 22 of /proc/PID/stat */
        struct pod_sandbox_ctr *ctrs;   /* running containers: "ctr.<name>=PID" */
        size_t n_ctrs;
        bool wake_sighup;               /* "wake=sighup": re-reads meta on SIGHUP (else: inotify) */
};
int pod_sandbox_file_read_at(int pod_dirfd, struct pod_sandbox_file **ret_file, struct pfs_error *err);
/* Atomic (tmp + fsync + rename). */
int pod_sandbox_file_write_at(int pod_dirfd, const struct pod_sandbox_file *f, struct pfs_error *err);
void pod_sandbox_file_free(struct pod_sandbox_file *f);
/* The container's pid in f, 0 when none (f may be NULL). */
pid_t pod_sandbox_ctr_pid(const struct pod_sandbox_file *f, const char *ctr);

/* ---- the layout (the only code that knows the paths above) ---- */
#define PFS_NAMESPACES_DIR "namespaces"
#define PFS_PODS_DIR "pods"
#define PFS_ADMISSION_LOCK_FILE "admission.lock"  /* sandboxes admit pods one at a time (flock) */
#define PFS_LOGS_DIR "logs"
#define PFS_IMAGES_DIR "images"
#define PFS_SANDBOX_LOG_FILE "sandbox.log"     /* the sandbox's stderr */
/* podfs-sandbox's exit status when the sandbox died while it started, before
 * its verdict (killed): nothing of what it set up was undone, a cleanup must run */
#define PFS_SANDBOX_EXIT_DIED 3
#define PFS_VOLUMES_DIR "volumes"              /* a pod's volumes, below its dir */
/* A pod's stdin sockets, below its dir (0700): <container> listens while
 * that container's stdin is open (runtime/stdin_fwd.c; the daemon connects). */
#define PFS_STDIN_DIR "stdin"

/* The state dir's top directories, open. */
struct pfs_state_dirs {
        int state_fd, ns_fd, pods_fd, logs_fd;
};
#define PFS_STATE_DIRS_INIT { .state_fd = -1, .ns_fd = -1, .pods_fd = -1, .logs_fd = -1 }
/* Create what is missing (STATE 0711, what is below 0700, namespaces/default
 * root's 0755), tighten the modes of older state dirs, open the top dirs. */
int pfs_state_dirs_open(const char *state_dir, struct pfs_state_dirs *ret, struct pfs_error *err);
void pfs_state_dirs_close(struct pfs_state_dirs *d);

/* "STATE/pods/<uid>", or "STATE/pods/<uid>/<file>" when file is not NULL. */
char *pod_path(const char *state_dir, const char *uid, const char *file);
/* "pods/<uid>" relative to STATE. */
char *pod_dir_rel(const char *uid);
/* Open / create (0700, then open) pods/<uid>; pods_fd is STATE/pods. -errno. */
int pod_dir_open_at(int pods_fd, const char *uid);
int pod_dir_create_at(int pods_fd, const char *uid);
bool pod_dir_exists_at(int pods_fd, const char *uid);
bool pod_file_exists_at(int pods_fd, const char *uid, const char *file);
int pod_dir_remove_at(int pods_fd, const char *uid, struct pfs_error *err);

/* "logs/<ns>_<name>_<uid>" relative to STATE; with ctr (not NULL) the
 * absolute "STATE/logs/<ns>_<name>_<uid>/<ctr>". */
char *pod_log_dir_rel(const char *ns, const char *name, const char *uid);
char *pod_ctr_log_dir_path(const char *state_dir, const char *ns, const char *name, const char *uid,
                           const char *ctr);

/* The index: namespaces/<ns>/<name> -> the pod (ns_fd is STATE/namespaces).
 * link makes it durable atomically (a temp link renamed over the name; a
 * placeholder dir there is removed first), owned by owner:group. */
int pod_index_link_at(int ns_fd, const char *ns, const char *name, const char *uid, uid_t owner, gid_t group,
                      struct pfs_error *err);
int pod_index_unlink_at(int ns_fd, const char *ns, const char *name);
/* What ns/name is: 1 a pod (its uid in ret_uid), 0 a placeholder dir, -ENOENT
 * nothing (or something that is neither), -errno; ret_st (may be NULL) the
 * entry's own stat. */
int pod_index_read_at(int ns_fd, const char *ns, const char *name, char ret_uid[37], struct stat *ret_st);
/* fn for every pod link of every namespace (uid: what it points to); the
 * temp links an interrupted pod_index_link_at left are removed. */
void pod_index_scan_at(int ns_fd, void (*fn)(void *data, const char *ns, const char *name, const char *uid),
                       void *data);
