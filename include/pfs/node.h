/* The Node object of this machine: what `kubectl get node -o json` shows
 * for the one node podfs is. Its labels are the kubelet's own
 * (kubernetes.io/hostname, kubernetes.io/os, kubernetes.io/arch and their
 * beta.* forms) plus the user's, kept in STATE/node/labels ("key=value"
 * lines); its taints in STATE/node/taints ("key[=value]:Effect" lines). Both
 * files are written by the daemon only (atomically, durably) and read by
 * the daemon (MNT/.node/) and by each sandbox at its start (the kubelet's
 * admission of a pod bound to the node). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "pfs/error.h"
#include "pfs/spec.h"

#define PFS_NODE_DIR "node"
#define PFS_NODE_LABELS_FILE "node/labels"
#define PFS_NODE_TAINTS_FILE "node/taints"
#define PFS_NODE_FILE_MAX (64 * 1024)   /* labels or taints text */

struct pfs_taint {
        char *key, *value, *effect;
};

struct pfs_node {
        char *name;
        struct pod_kv *labels;          /* built-in ones first, then the user's in file order */
        size_t n_labels;
        size_t n_builtin;
        struct pfs_taint *taints;
        size_t n_taints;
        int64_t created_ns;             /* realtime: when STATE/node was made */
};

/* This node as the state dir says (missing files: no user labels or taints). */
int pfs_node_load(int state_fd, struct pfs_node **ret, struct pfs_error *err);
void pfs_node_free(struct pfs_node *n);
const char *pfs_node_label(const struct pfs_node *n, const char *key);
/* The text of the labels (all of them) and taints files. */
char *pfs_node_labels_text(const struct pfs_node *n);
char *pfs_node_taints_text(const struct pfs_node *n);
/* A rewrite of MNT/.node/labels or taints: checked (the API server's words,
 * EINVAL), then STATE/node/<file> replaced durably. Built-in labels are not
 * stored (the kubelet sets them again at each start). */
int pfs_node_labels_set(int state_fd, const char *text, size_t len, struct pfs_error *err);
int pfs_node_taints_set(int state_fd, const char *text, size_t len, struct pfs_error *err);
/* The Node object (apiVersion, kind, metadata, spec, status); max_pods: the
 * "pods" of its capacity and allocatable (--max-pods). */
struct yval *pfs_node_to_yval(const struct pfs_node *n, int state_fd, int max_pods);
/* allocatable: cpu in millicores, memory and ephemeral-storage in bytes
 * (capacity less the kubelet's default hard eviction thresholds). */
void pfs_node_allocatable(int64_t *ret_cpu_milli, int64_t *ret_memory);
/* The kubelet's untolerated-taint check: the first taint with one of the
 * effects given ("NoSchedule", "NoExecute") that no toleration of spec
 * tolerates, or NULL. */
const struct pfs_taint *pfs_node_untolerated(const struct pfs_node *n, const struct pod_spec *spec);
/* The required node affinity and nodeSelector match the node's labels. */
bool pfs_node_matches(const struct pfs_node *n, const struct pod_spec *spec);
