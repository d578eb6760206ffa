/* The pod's network through CNI (doc/internals.md, "The pod network"): ADD
 * when the sandbox made the pod's network namespace, DEL when it ends or, for
 * a sandbox that died, from `podfs-sandbox --cleanup`. What DEL needs (the
 * config used, container id, ifname, netns, the result) is recorded in the
 * pod's state dir before the first plugin runs. The netns is pinned by a bind
 * mount (PFS_NETNS_DIR/<uid>, in the host's mount namespace, under a private
 * mount so that no other namespace gets a copy) so that DEL after the
 * sandbox's death still finds the pod's interface. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "cni.h"
#include "pfs/trace.h"
#include "pfs/yval.h"

int cni_host_open(struct cni_host *h, struct pfs_error *err)
{
        h->mnt_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        h->net_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (h->mnt_fd < 0 || h->net_fd < 0) {
                int e = errno;

                cni_host_close(h);
                return pfs_error_set(err, e, "open the host's namespaces");
        }
        return 0;
}

void cni_host_close(struct cni_host *h)
{
        if (h->mnt_fd >= 0)
                close(h->mnt_fd);
        if (h->net_fd >= 0)
                close(h->net_fd);
        h->mnt_fd = h->net_fd = -1;
}

/* ---- the netns pin ---- */

struct pin {
        const char *uid;
        pid_t pid;
};

static bool is_mount_root(const char *path)
{
        struct statx stx;

        return statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) == 0 &&
               (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static int pin_fn(void *arg)
{
        const struct pin *p = arg;
        char path[256], src[64];
        int fd;

        /* root's only: a user who could open a pin would keep the pod's
         * netns alive after its end (and learn every pod's uid) */
        if (pfs_mkdir_p_at(AT_FDCWD, PFS_NETNS_DIR, 0700, NULL) < 0 || chmod(PFS_NETNS_DIR, 0700) < 0)
                return -errno;
        /* A private mount of its own: the pins propagate nowhere. */
        if (!is_mount_root(PFS_NETNS_DIR) &&
            (mount(PFS_NETNS_DIR, PFS_NETNS_DIR, NULL, MS_BIND, NULL) < 0 ||
             mount(NULL, PFS_NETNS_DIR, NULL, MS_PRIVATE, NULL) < 0))
                return -errno;
        snprintf(path, sizeof(path), "%s/%s", PFS_NETNS_DIR, p->uid);
        snprintf(src, sizeof(src), "/proc/%d/ns/net", (int)p->pid);
        fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
        if (fd < 0)
                return -errno;
        close(fd);
        /* a pin left by an earlier start is replaced, never stacked under */
        while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                ;
        if (mount(src, path, NULL, MS_BIND, NULL) < 0)
                return -errno;
        return 0;
}

static int unpin_fn(void *arg)
{
        const struct pin *p = arg;
        char path[256];

        snprintf(path, sizeof(path), "%s/%s", PFS_NETNS_DIR, p->uid);
        while (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                ;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static int pinned_fn(void *arg)
{
        struct statfs sf;

        if (statfs(arg, &sf) == 0 && (sf.f_type == NSFS_MAGIC || sf.f_type == PROC_SUPER_MAGIC))
                return 0;
        return -ENOENT;
}

/* The pinned netns (looked at in the host's mount namespace), or "" when
 * there is none (a reboot, a pin that failed): DEL then releases the address. */
static const char *netns_pinned(const char *path, int mnt_fd)
{
        return *path && cni_in_host_mnt(mnt_fd, pinned_fn, (void *)path) == 0 ? path : "";
}

/* ---- the record ---- */

static int record_write(int pod_fd, const struct yval *rec, enum pfs_sync sync, struct pfs_error *err)
{
        struct pfs_buf b = {0};
        int r;

        yval_emit_json(rec, true, &b);
        r = pfs_write_file_sync_at(pod_fd, PFS_NETWORK_FILE, b.data, b.len, 0600, sync, err);
        pfs_buf_free(&b);
        return r;
}

static int record_read(int pod_fd, struct yval **ret, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct ydoc *docs = NULL;
        size_t len, n = 0;
        int r;

        r = pfs_read_file_at(pod_fd, PFS_NETWORK_FILE, &text, &len, err);
        if (r < 0)
                return r;
        r = yval_parse_stream(text, len, &docs, &n, err);
        if (r < 0 || n != 1 || !docs[0].root || !yval_map_get(docs[0].root, "config")) {
                ydoc_free_array(docs, n);
                return r < 0 ? r : pfs_error_set(err, EINVAL, "%s: not a network record", PFS_NETWORK_FILE);
        }
        *ret = docs[0].root;
        docs[0].root = NULL;
        ydoc_free_array(docs, n);
        return 0;
}

/* ---- ADD / DEL ---- */

/* portmap's runtimeConfig.portMappings from the pod's hostPorts. */
static struct yval *runtime_config(const struct pod_spec *spec)
{
        struct yval *rt = yval_new_map(), *pm = NULL;

        for (size_t i = 0; i < spec->n_containers; i++)
                for (size_t j = 0; j < spec->containers[i].n_ports; j++) {
                        const struct pod_port *p = &spec->containers[i].ports[j];
                        struct yval *m;
                        char proto[8];

                        if (p->host_port <= 0)
                                continue;
                        if (!pm)
                                pm = yval_map_set(rt, "portMappings", yval_new_list());
                        m = yval_list_push(pm, yval_new_map());
                        yval_map_set(m, "hostPort", yval_new_int(p->host_port));
                        yval_map_set(m, "containerPort", yval_new_int(p->container_port));
                        snprintf(proto, sizeof(proto), "%s", p->protocol ? p->protocol : "TCP");
                        for (char *c = proto; *c; c++)
                                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
                        yval_map_set(m, "protocol", yval_new_str(proto));
                        if (p->host_ip && *p->host_ip)
                                yval_map_set(m, "hostIP", yval_new_str(p->host_ip));
                }
        return rt;
}

/* libcni injects prevResult into DEL from 0.4.0 on. */
static bool version_has_prev_del(const char *v)
{
        return strcmp(v, "0.1.0") && strcmp(v, "0.2.0") && strcmp(v, "0.3.0") && strcmp(v, "0.3.1");
}

static bool is_loopback(const char *a)
{
        return !strncmp(a, "127.", 4) || !strncmp(a, "::1/", 4);
}

/* The pod's addresses in a result: ips[].address (0.3.0 on), else ip4.ip
 * and ip6.ip (0.2.0); never a loopback address (a loopback-only network
 * gives the pod none of its own). As the kubelet orders podIPs (the node's
 * family, IPv4 here, first): ret[0] the first IPv4 address, else the first
 * address; ret[1] the first of the other family, else NULL. */
static void result_ips(const struct yval *res, char *ret[2])
{
        const struct yval *ips = yval_map_get(res, "ips");
        const char *v4 = NULL, *v6 = NULL;

        for (size_t i = 0; ips && ips->type == YVAL_LIST && i < ips->list.n; i++) {
                const char *a = yval_get_str(ips->list.items[i], "address", NULL);

                if (!a || is_loopback(a))
                        continue;
                if (strchr(a, ':') ? !v6 : !v4)
                        *(strchr(a, ':') ? &v6 : &v4) = a;
        }
        if (!v4 && !v6) {
                v4 = yval_get_str(yval_map_get(res, "ip4"), "ip", NULL);
                v6 = yval_get_str(yval_map_get(res, "ip6"), "ip", NULL);
        }
        if (!v4) {
                v4 = v6;
                v6 = NULL;
        }
        ret[0] = v4 ? xstrndup(v4, strcspn(v4, "/")) : NULL;
        ret[1] = v6 ? xstrndup(v6, strcspn(v6, "/")) : NULL;
}

static void call_init(struct cni_call *c, const struct yval *rec, const char *cmd, const char *bin_dir,
                      const struct cni_host *h)
{
        c->bin_dir = bin_dir;
        c->command = cmd;
        c->container_id = yval_get_str(rec, "containerID", "");
        c->netns = yval_get_str(rec, "netns", "");
        c->ifname = yval_get_str(rec, "ifName", CNI_IFNAME);
        c->args = yval_get_str(rec, "args", "");
        c->host_mnt_fd = h ? h->mnt_fd : -1;
        c->host_net_fd = h ? h->net_fd : -1;
        c->before_stdin = NULL;
        c->before_stdin_arg = NULL;
}

/* A step of --breakdown's trace per plugin call: sandbox:cni-COMMAND-TYPE. */
static void trace_plugin(const struct cni_call *call, const char *type)
{
        char step[96];

        if (!pfs_trace_enabled())
                return;
        snprintf(step, sizeof(step), "sandbox:cni-%s-%s", call->command, type);
        for (char *c = step; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        pfs_trace(call->container_id, step);
}

/* A plugin that succeeded with something else than a JSON object on stdout:
 * what it printed (its first 256 bytes) says why. */
static int result_invalid(const struct pfs_buf *out, struct pfs_error *err)
{
        _cleanup_free_ char *head = xstrndup(out->data ? out->data : "", out->len < 256 ? out->len : 256);
        _cleanup_free_ char *q = pfs_go_quote(head);

        return pfs_error_set(err, EINVAL, "invalid result (not a JSON object): %s%s", q, out->len > 256 ? "..." : "");
}

/* libcni's AddNetworkList error: "plugin type="T" [name="N"] failed (add): ...". */
static int add_failed(const struct yval *list, size_t i, struct pfs_error *err)
{
        _cleanup_free_ char *what = cni_plugin_describe(list, i);

        return pfs_error_wrap(err, "plugin %s failed (add)", what);
}

/* ADD through the list, each plugin's result the next one's prevResult. */
static int add_list(const struct cni_call *call, const struct yval *list, const struct yval *rt, struct yval **ret,
                    struct pfs_error *err)
{
        const struct yval *plugins = yval_map_get(list, "plugins");
        struct yval *prev = NULL;

        for (size_t i = 0; i < plugins->list.n; i++) {
                const char *type = yval_get_str(plugins->list.items[i], "type", "");
                struct pfs_buf out = {0};
                struct ydoc *docs = NULL;
                size_t len, n = 0;
                char *conf = cni_plugin_conf(list, i, prev, rt, &len);
                int r = cni_exec(call, type, conf, len, &out, err);

                trace_plugin(call, type);
                free(conf);
                if (r == 0 && (yval_parse_stream(out.data ? out.data : "", out.len, &docs, &n, err) < 0 || n != 1 ||
                               !docs[0].root || docs[0].root->type != YVAL_MAP))
                        r = result_invalid(&out, err);
                pfs_buf_free(&out);
                if (r < 0) {
                        ydoc_free_array(docs, n);
                        yval_free(prev);
                        return add_failed(list, i, err);
                }
                yval_free(prev);
                prev = docs[0].root;
                docs[0].root = NULL;
                ydoc_free_array(docs, n);
        }
        *ret = prev;
        return 0;
}

static struct yval *record_new(const char *uid, const struct pod_spec *spec, const char *conf_path,
                               struct yval *list)
{
        struct yval *rec = yval_new_map();
        char *args = xasprintf("IgnoreUnknown=1;K8S_POD_NAMESPACE=%s;K8S_POD_NAME=%s;"
                               "K8S_POD_INFRA_CONTAINER_ID=%s;K8S_POD_UID=%s", spec->namespace, spec->name, uid, uid);
        char *netns = xasprintf("%s/%s", PFS_NETNS_DIR, uid);

        yval_map_set(rec, "containerID", yval_new_str(uid));
        yval_map_set(rec, "ifName", yval_new_str(CNI_IFNAME));
        yval_map_set(rec, "netns", yval_new_str(netns));
        yval_map_set(rec, "args", yval_new_str(args));
        yval_map_set(rec, "file", yval_new_str(conf_path));
        yval_map_set(rec, "config", list);
        yval_map_set(rec, "runtimeConfig", runtime_config(spec));
        free(args);
        free(netns);
        return rec;
}

static int setup_record(int pod_fd, const char *uid, const struct pod_spec *spec, const char *conf_dir,
                        struct yval **ret_rec, struct pfs_error *err)
{
        _cleanup_free_ char *path = NULL;
        struct yval *list = NULL;
        int r;

        r = cni_conf_find(conf_dir, &path, err);
        if (r < 0)
                return r;
        r = cni_conf_load(path, &list, err);
        if (r < 0)
                return r;
        *ret_rec = record_new(uid, spec, path, list);
        /* made durable by record_sync before the first plugin reads its config */
        return record_write(pod_fd, *ret_rec, PFS_SYNC_NONE, err);
}

/* The record is durable before any plugin has its config (after a reboot,
 * DEL must find what host-local allocated), and its fsyncs overlap the
 * first plugin's start instead of coming before it: a plugin does nothing
 * before it has read its stdin. */
struct record_sync {
        int pod_fd;
        bool done;
};

static int record_sync(void *arg, struct pfs_error *err)
{
        struct record_sync *rs = arg;
        _cleanup_close_ int fd = -1;
        int r;

        if (rs->done)
                return 0;
        fd = openat(rs->pod_fd, PFS_NETWORK_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || fsync(fd) < 0)
                return pfs_error_set(err, errno, "fsync '%s': %s", PFS_NETWORK_FILE, strerror(errno));
        r = pfs_fsync_dir_at(rs->pod_fd, ".");
        if (r < 0)
                return pfs_error_set(err, -r, "fsync the directory of '%s': %s", PFS_NETWORK_FILE, strerror(-r));
        rs->done = true;
        return 0;
}

int cni_setup(int pod_fd, const char *uid, const struct pod_spec *spec, const struct pfs_sandbox_config *cfg,
              const struct cni_host *h, char *ret_ips[2], struct pfs_error *err)
{
        struct yval *rec = NULL, *res = NULL;
        struct pin pin = { uid, getpid() };
        struct record_sync rs = { pod_fd, false };
        struct cni_call call;
        int r;

        ret_ips[0] = ret_ips[1] = NULL;
        r = setup_record(pod_fd, uid, spec, cfg->cni_conf_dir, &rec, err);
        pfs_trace(uid, "sandbox:cni-record");
        if (r >= 0) {
                r = cni_in_host_mnt(h->mnt_fd, pin_fn, &pin);
                if (r < 0)
                        r = pfs_error_set(err, -r, "pin the network namespace in %s", PFS_NETNS_DIR);
                pfs_trace(uid, "sandbox:cni-pinned");
        }
        /* a process of its own in the host's mount namespace: into its netns too, now that the pod's is pinned */
        if (r >= 0 && h->mnt_fd < 0 && h->net_fd >= 0) {
                if (setns(h->net_fd, CLONE_NEWNET) < 0)
                        r = pfs_error_set(err, errno, "join the host's network namespace");
                h = NULL;
        }
        if (r >= 0) {
                call_init(&call, rec, "ADD", cfg->cni_bin_dir, h);
                call.before_stdin = record_sync;
                call.before_stdin_arg = &rs;
                r = add_list(&call, yval_map_get(rec, "config"), yval_map_get(rec, "runtimeConfig"), &res, err);
        }
        pfs_trace(uid, "sandbox:cni-add");
        if (r >= 0) {
                result_ips(res, ret_ips);
                yval_map_set(rec, "result", res);
                r = record_write(pod_fd, rec, PFS_SYNC_UNTORN, err);
        }
        yval_free(rec);
        if (r < 0)
                return pfs_error_wrap(err, "failed to setup network for sandbox \"%s\"", uid);
        return 0;
}

/* Every plugin's DEL, last to first, even past one that fails (a plugin
 * that is missing or broken does not keep host-local from releasing the
 * address); the first failure is the result, and the record stays for
 * the next try (DEL is idempotent). A plugin not found after an ADD that
 * did not complete is no failure: it never ran (the ADD failed at it, or
 * before it), so nothing of it is to undo. */
static int del_list(const struct cni_call *call, const struct yval *rec, struct pfs_error *err)
{
        const struct yval *list = yval_map_get(rec, "config"), *plugins = yval_map_get(list, "plugins");
        const struct yval *res = yval_map_get(rec, "result");
        bool completed = res != NULL;
        struct pfs_error first = {0};

        if (!version_has_prev_del(yval_get_str(list, "cniVersion", "0.1.0")))
                res = NULL;
        for (size_t i = plugins && plugins->type == YVAL_LIST ? plugins->list.n : 0; i-- > 0;) {
                const char *type = yval_get_str(plugins->list.items[i], "type", "");
                struct pfs_buf out = {0};
                size_t len;
                char *conf = cni_plugin_conf(list, i, res, yval_map_get(rec, "runtimeConfig"), &len);
                int r = cni_exec(call, type, conf, len, &out, err);

                trace_plugin(call, type);
                free(conf);
                pfs_buf_free(&out);
                if (r == -ENOENT && !completed) {
                        pfs_log(LOG_WARNING, "pod %s: DEL: %s (skipped: not found after a failed ADD)",
                                call->container_id, err->msg);
                        r = 0;
                }
                if (r < 0 && !first.code) {
                        _cleanup_free_ char *what = cni_plugin_describe(list, i);

                        pfs_error_wrap(err, "plugin %s failed (delete)", what);
                        first = *err;
                }
                pfs_error_clear(err);
        }
        if (!first.code)
                return 0;
        *err = first;
        return -first.code;
}

int cni_teardown(int pod_fd, const char *uid, const char *bin_dir, const struct cni_host *h, bool own_netns,
                 struct pfs_error *err)
{
        struct yval *rec = NULL;
        struct pin pin = { uid, 0 };
        struct cni_call call;
        bool completed;
        int r;

        r = record_read(pod_fd, &rec, err);
        if (r == -ENOENT)
                return 0;
        if (r == -EINVAL) {
                /* torn by a crash of the machine before record_sync: no plugin had its config */
                pfs_log(LOG_WARNING, "pod %s: %s (no plugin ran with it: removed)", uid, err->msg);
                pfs_error_clear(err);
                (void)cni_in_host_mnt(h ? h->mnt_fd : -1, unpin_fn, &pin);
                return unlinkat(pod_fd, PFS_NETWORK_FILE, 0) < 0 && errno != ENOENT
                               ? pfs_error_set(err, errno, "remove %s", PFS_NETWORK_FILE) : 0;
        }
        if (r < 0)
                return r;
        char self[64];

        call_init(&call, rec, "DEL", bin_dir, h);
        /* The sandbox itself holds the netns (its mount namespace has no pin). */
        snprintf(self, sizeof(self), "/proc/%d/ns/net", (int)getpid());
        call.netns = own_netns ? self : netns_pinned(call.netns, h ? h->mnt_fd : -1);
        r = del_list(&call, rec, err);
        completed = yval_map_get(rec, "result") != NULL;
        yval_free(rec);
        pfs_trace(uid, "sandbox:cni-del");
        if (r < 0 && completed)
                return pfs_error_wrap(err, "failed to destroy network for sandbox \"%s\"", uid);
        if (r < 0) {
                /* after an ADD that failed: what ran of it was undone as far as
                 * DEL could (every plugin tried); its config may be what
                 * failed, and would fail every DEL for ever */
                pfs_log(LOG_WARNING, "pod %s: DEL after a failed ADD: %s (the record is dropped)", uid, err->msg);
                pfs_error_clear(err);
        }
        r = cni_in_host_mnt(h ? h->mnt_fd : -1, unpin_fn, &pin);
        if (r < 0)
                pfs_log(LOG_WARNING, "pod %s: unpin its network namespace: %s", uid, strerror(-r));
        pfs_trace(uid, "sandbox:cni-unpinned");
        if (unlinkat(pod_fd, PFS_NETWORK_FILE, 0) < 0 && errno != ENOENT)
                return pfs_error_set(err, errno, "remove %s", PFS_NETWORK_FILE);
        return 0;
}
