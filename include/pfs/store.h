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
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
};

int pod_meta_read_at(int pod_dirfd, struct pod_meta **ret_meta, struct pfs_error *err);
int pod_meta_write_at(int pod_dirfd, const struct pod_meta *meta, struct pfs_error *err);
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
};
int pod_sandbox_file_read_at(int pod_dirfd, struct pod_sandbox_file **ret_file, struct pfs_error *err);
/* Atomic (tmp + fsync + rename). */
int pod_sandbox_file_write_at(int pod_dirfd, const struct pod_sandbox_file *f, struct pfs_error *err);
void pod_sandbox_file_free(struct pod_sandbox_file *f);
/* The container's pid in f, 0 when none (f may be NULL). */
pid_t pod_sandbox_ctr_pid(const struct pod_sandbox_file *f, const char *ctr);
