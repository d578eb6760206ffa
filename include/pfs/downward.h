/* The downward API: the values of a fieldRef or resourceFieldRef, as the
 * kubelet computes them, for env valueFrom and downwardAPI volumes alike. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "pfs/error.h"
#include "pfs/spec.h"

/* What the pod knows of itself beyond its spec. */
struct pod_downward_ctx {
        const struct pod_spec *spec;
        const char *uid;
        const char *node_name;          /* spec.nodeName: this node's name */
        const char *host_ip;            /* status.hostIP ("" when unknown) */
        const char *pod_ip;             /* status.podIP ("" when none yet) */
        const char *pod_ip2;            /* status.podIPs[1].ip (NULL or "" when none) */
        /* Addition: the node's allocatable amounts for unset limits; 0 = this
         * machine's (pod_node_allocatable()). Tests set them. */
        int64_t node_cpu_milli;
        uint64_t node_memory, node_ephemeral_storage;
};

/* The value of fieldRef path (metadata.name, metadata.namespace, metadata.uid,
 * metadata.labels, metadata.annotations, metadata.labels['k'],
 * metadata.annotations['k'], spec.nodeName, spec.serviceAccountName,
 * status.hostIP, status.hostIPs, status.podIP, status.podIPs) in *ret
 * (malloc'd). Whole labels/annotations come as the kubelet writes them into a
 * file: sorted `key="value"` lines, values quoted like Go's %q. -EINVAL with a
 * message for a path the API server would not accept. */
int pod_downward_field(const struct pod_downward_ctx *ctx, const char *path, char **ret, struct pfs_error *err);

/* The value of a resourceFieldRef (resource limits.cpu, limits.memory,
 * limits.ephemeral-storage, requests.*) of container ctr (by name) with
 * divisor (a quantity; NULL = "1"), as the kubelet computes it: an unset limit
 * is the node's allocatable amount, cpu rounds up to the divisor. */
int pod_downward_resource(const struct pod_downward_ctx *ctx, const char *ctr, const char *resource,
                          const char *divisor, char **ret, struct pfs_error *err);

/* Addition: this node's allocatable cpu (millicores: online CPUs x 1000),
 * memory (MemTotal less the default hard eviction threshold of 100Mi) and
 * ephemeral storage (the root filesystem less the default 10% nodefs
 * threshold), as a kubelet with no reservations reports them; 0 = unknown. */
int64_t pod_node_allocatable_cpu_milli(void);
uint64_t pod_node_allocatable_memory(void);
uint64_t pod_node_allocatable_ephemeral_storage(void);
/* Addition: the node's name (the host name) and its primary IPv4 address
 * (the first non-loopback one; "" when none). Caller frees. */
char *pod_node_name(void);
char *pod_node_host_ip(void);
