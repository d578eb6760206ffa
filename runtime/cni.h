/* Pod networking through CNI plugins (doc/internals.md, "The pod network"):
 * the sandbox runs ADD when it creates the pod's network namespace, DEL when
 * the pod ends; `podfs-sandbox --cleanup` runs DEL for a sandbox that died.
 * Plugins always run in the host's mount and network namespaces, with
 * CNI_NETNS naming the pod's, pinned by a bind mount under PFS_NETNS_DIR. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "pfs/error.h"
#include "pfs/sandbox_config.h"
#include "pfs/spec.h"
#include "pfs/util.h"
#include "pfs/cni_conf.h"

#define PFS_NETNS_DIR "/run/podfs/netns"
#define CNI_IFNAME "eth0"
#define CNI_TIMEOUT_MS 30000            /* one plugin call */

/* One plugin call (cni_exec.c). */
struct cni_call {
        const char *bin_dir;            /* CNI_PATH: ':'-separated dirs */
        const char *command;            /* "ADD", "DEL", "CHECK" */
        const char *container_id;
        const char *netns;              /* "" when there is none (DEL after a reboot) */
        const char *ifname;
        const char *args;               /* CNI_ARGS */
        int host_mnt_fd, host_net_fd;   /* joined by the plugin's process; -1 = where we are */
        /* NULL, or run once the plugin started and before it reads its stdin
         * (it can do nothing before): 0, or -errno and err, which stop the call */
        int (*before_stdin)(void *arg, struct pfs_error *err);
        void *before_stdin_arg;
};
/* Run plugin TYPE with CONF on stdin; its stdout in out. A failure's message
 * is libcni's ("failed to find plugin ...", the plugin's error msg). Already
 * in the host's namespaces (both fds -1), the plugin is spawned without a
 * fork (posix_spawn: no copy of our page tables); else a forked child joins them. */
int cni_exec(const struct cni_call *c, const char *type, const char *conf, size_t len, struct pfs_buf *out,
             struct pfs_error *err);
/* Run fn(arg) in the host's mount namespace (in a child when mnt_fd >= 0);
 * fn returns 0 or -errno. */
int cni_in_host_mnt(int mnt_fd, int (*fn)(void *arg), void *arg);

/* The pod's network (cni.c). */
struct cni_host {
        int mnt_fd, net_fd;             /* the host's namespaces, opened before ours; -1 = in them */
};
int cni_host_open(struct cni_host *h, struct pfs_error *err);
void cni_host_close(struct cni_host *h);
/* ADD for the pod whose network namespace the calling process (pid) holds:
 * records what DEL needs in POD_FD/network.json first. ret_ips: the pod's
 * first IPv4 address (else first address), then its first address of the
 * other family (dual-stack; else NULL). A failure is kubelet's message
 * (`failed to setup network for sandbox "UID": plugin type="bridge" failed (add): ...`);
 * whatever ADD did is undone by the caller's cni_teardown. A caller already in
 * the host's mount namespace (h->mnt_fd -1) but not its network namespace
 * (h->net_fd open) is a process of its own: it joins that netns once the pin
 * is made, and the plugins start without a fork (cni_exec). */
int cni_setup(int pod_fd, const char *uid, const struct pod_spec *spec, const struct pfs_sandbox_config *cfg,
              const struct cni_host *h, char *ret_ips[2], struct pfs_error *err);
/* DEL from POD_FD/network.json (nothing to do without it; an empty one, torn
 * by a crash before any plugin ran, is dropped), every plugin even past one
 * that fails, then unpin the netns and remove the record. Kept when DEL
 * failed after a completed ADD, for the next try; dropped with a warning
 * after an ADD that failed.
 * own_netns: the caller is in the pod's netns (the sandbox at the pod's end),
 * else the recorded pin is used when it is there (a record left behind). */
int cni_teardown(int pod_fd, const char *uid, const char *bin_dir, const struct cni_host *h, bool own_netns,
                 struct pfs_error *err);
