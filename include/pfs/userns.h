/* User namespaces of pods with `hostUsers: false` (KEP-127): the node's range
 * of host ids for pods, and each pod's slice of it, as the kubelet's userns
 * manager keeps them.
 *
 *   STATE/userns.lock          flock(LOCK_EX) around one allocation (the sandboxes allocate)
 *   STATE/pods/<uid>/userns    the pod's mapping, written once by its sandbox (durable), as the
 *                              kubelet's pods/<uid>/userns: {"uidMappings":[{"hostId":H,
 *                              "containerId":0,"length":65536}],"gidMappings":[...the same...]}
 *
 * A range is in use while its pod's directory exists: the daemon removes it
 * when the pod is gone, and with it the allocation. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "pfs/error.h"

#define PFS_USERNS_LENGTH 65536u                /* ids per pod, 0..65535 inside */
#define PFS_USERNS_FILE "userns"
#define PFS_USERNS_LOCK_FILE "userns.lock"
#define PFS_USERNS_SUBID_USER "podfs"           /* its /etc/subuid and /etc/subgid entry */
/* Without configuration, as the kubelet: every host id but those below 65536
 * (the node's own users). */
#define PFS_USERNS_DEFAULT_FIRST 65536u
#define PFS_USERNS_DEFAULT_LENGTH 4294901760u   /* 2^32 - 65536 */
#define PFS_USERNS_MAX_PODS 110                 /* the node's pod capacity must fit */

struct pfs_userns_range {
        uint32_t first;         /* first host id for pods; 0 = not configured yet */
        uint32_t length;
};

/* "FIRST:LENGTH" (podfs --userns-range). */
int pfs_userns_range_parse(const char *s, struct pfs_userns_range *ret, struct pfs_error *err);
/* The entry of USER in the subuid and subgid files ("name:first:count"
 * lines): 1 found (both alike), 0 none in either, -errno with a message
 * (one file only, several entries, the two differ). */
int pfs_userns_range_subid(const char *subuid, const char *subgid, const char *user,
                           struct pfs_userns_range *ret, struct pfs_error *err);
/* The kubelet's checks of its range (MakeUserNsManager), in its words. */
int pfs_userns_range_check(const struct pfs_userns_range *r, struct pfs_error *err);
/* The default range R moved above every range the subid files give users
 * (useradd's from 100000 up), so that no pod's ids are a local user's
 * subordinate ids; unchanged when they give none, or too high a one. */
void pfs_userns_default_above_subids(struct pfs_userns_range *r, const char *subuid, const char *subgid);
/* FLAG (NULL when not given), else /etc/subuid + /etc/subgid for "podfs",
 * else the default above the users' subordinate ids; checked. */
int pfs_userns_range_resolve(const char *flag, struct pfs_userns_range *ret, struct pfs_error *err);

/* The pod's mapping file in POD_DIRFD: 1 with *ret_host, 0 when there is
 * none, -errno when it is not one podfs (or the kubelet) would write. */
int pfs_userns_mapping_read_at(int pod_dirfd, uint32_t *ret_host, struct pfs_error *err);
/* The pod's host id: its recorded mapping (checked against R and the other
 * pods), or the lowest free slot of R, recorded durably in pods/<uid>/userns
 * under STATE/userns.lock. No free slot: "could not find an empty slot to
 * allocate a user namespace" (-ENOSPC). */
int pfs_userns_allocate(int state_fd, const char *uid, const struct pfs_userns_range *r, uint32_t *ret_host,
                        struct pfs_error *err);
