/* What the tree shows for one pod, rendered from its state directory: phase,
 * conditions, status.yaml/json, pod.json, events, containers/<c>/<file>.
 * Pure functions over files; the daemon serves their output. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pfs/error.h"
#include "pfs/spec.h"
#include "pfs/status.h"
#include "pfs/store.h"

struct pod_view {
        struct pod_meta *meta;
        struct pod_spec *spec;          /* the accepted spec.yaml */
        struct pod_status *status;      /* status.json, or pod_status_new() before the sandbox wrote one */
        struct pod_event *events;
        size_t n_events;
        char *node_name;                /* this machine's hostname (spec.nodeName) */
        pid_t *ctr_pids;                /* per spec container, from the sandbox file (0 = none) */
        /* Addition: the sandbox file (pids of every running container, init ones
         * too), or NULL when there is none. */
        struct pod_sandbox_file *sandbox;
};

int pod_view_load_at(int pod_dirfd, struct pod_view **ret_view, struct pfs_error *err);
void pod_view_free(struct pod_view *v);

enum pod_file {
        POD_FILE_PHASE,         /* "Running\n" */
        POD_FILE_CONDITIONS,    /* "Ready True\nContainersReady False ContainersNotReady\n..." */
        POD_FILE_STATUS_YAML,
        POD_FILE_STATUS_JSON,
        POD_FILE_POD_JSON,      /* apiVersion, kind, metadata (uid, creationTimestamp, deletion*), spec (defaulted), status */
        POD_FILE_EVENTS,        /* one line per event: TIME TYPE REASON OBJECT MESSAGE, aligned like kubectl describe */
        POD_FILE_IP,            /* status.podIP: "10.85.0.2\n", "\n" while there is none */
};
/* Returns malloc'd content (never NULL) and its length. */
char *pod_view_render(const struct pod_view *v, enum pod_file f, size_t *ret_len);

enum ctr_file {
        CTR_FILE_STATE,         /* "waiting\n" | "running\n" | "terminated\n" */
        CTR_FILE_REASON,        /* state's reason or "\n" */
        CTR_FILE_EXIT_CODE,     /* terminated state's exit code, else last terminated's, else "\n" */
        CTR_FILE_RESTARTS,      /* "0\n" */
        CTR_FILE_READY,         /* "true\n" | "false\n" */
        CTR_FILE_STARTED,       /* "true\n" | "false\n" */
        CTR_FILE_PID,           /* host pid while running, else "\n" */
        CTR_FILE_IMAGE,         /* the spec's image */
        CTR_FILE__MAX,
};
const char *ctr_file_name(enum ctr_file f);     /* "state", "reason", "exit_code", ... */
/* NULL when the pod has no such container (init containers count: they are
 * found through the status's initContainerStatuses; their image is the status's). */
char *pod_view_render_container(const struct pod_view *v, const char *ctr, enum ctr_file f,
                                size_t *ret_len);

/* ---- additions ---- */
/* The whole Pod object (what pod.json shows) as a value tree; caller frees. */
struct yval *pod_view_to_yval(const struct pod_view *v);
/* enum ctr_file for "state", "reason", ..., or -ENOENT. */
int ctr_file_from_name(const char *name);

/* Cheap change detection for caching views: (inode, size, mtime) of meta,
 * spec.yaml, status.json, events and sandbox (files are replaced by rename or
 * appended, so any change shows). A missing file stamps as zeros. */
struct pod_view_stamp {
        uint64_t f[5][4];
};
int pod_view_stamp_at(int pod_dirfd, struct pod_view_stamp *ret_stamp);
bool pod_view_stamp_equal(const struct pod_view_stamp *a, const struct pod_view_stamp *b);

/* A pod's view kept between requests, so that the spec is parsed and
 * validated once, not on every read or status change. generation is the
 * caller's change counter for the pod directory (the daemon bumps it on
 * every inotify event there): the same value returns the kept view; a new
 * one reloads status.json, events and the sandbox file, and the meta and
 * the spec only when their files changed (stamps). The view is borrowed,
 * valid until the next call or pod_view_cache_free. */
struct pod_view_cache;
struct pod_view_cache *pod_view_cache_new(void);
void pod_view_cache_free(struct pod_view_cache *c);
int pod_view_cache_get_at(struct pod_view_cache *c, int pod_dirfd, uint64_t generation,
                          const struct pod_view **ret_view, struct pfs_error *err);
/* Roughly the memory the kept view holds (0 when none): for a caller that
 * bounds what it keeps over many pods. */
size_t pod_view_cache_size(const struct pod_view_cache *c);
