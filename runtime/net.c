/* The sandbox's side of the pod network: the host's namespaces are opened
 * before the pod's are made, ADD runs once the pod's netns exists, in a
 * process of its own while the first containers are made (each one's exec
 * waits for it: ctr_launch.created), its address goes into
 * status.podIP/podIPs and /etc/hosts, DEL
 * when the pod ends (cni.c does the CNI work). The kubelet's MissingClusterDNS
 * warning comes with every start of a ClusterFirst pod (podfs has no cluster
 * DNS), its DNSConfigForming ones with every start of a pod whose resolv.conf
 * had to be cut to the limits. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pfs/trace.h"
#include "sandbox.h"

int sbx_net_open(struct sbx *s, struct pfs_error *err)
{
        _cleanup_free_ char *uts = NULL;

        s->host_ns.mnt_fd = s->host_ns.net_fd = -1;
        /* the kubelet's check of setHostnameAsFQDN, before anything is made */
        if (!s->spec->host_network && pod_uts_hostname(s->spec, &uts, err) < 0) {
                s->net_failed = true;   /* its message says it all */
                return -EINVAL;
        }
        if (s->spec->host_network)
                return 0;
        return cni_host_open(&s->host_ns, err);
}

/* The kubelet's warnings about the pod's DNS, with every start. */
static void dns_events(struct sbx *s)
{
        char *warn[2];

        if (pod_dns_falls_back(s->spec))
                sbx_event(s, NULL, "Warning", "MissingClusterDNS",
                          "pod: \"%s\". kubelet does not have ClusterDNS IP configured and cannot create Pod "
                          "using \"ClusterFirst\" policy. Falling back to \"Default\" policy.", s->pod_ref);
        pod_dns_warnings(s->spec, warn);
        for (int i = 0; i < 2; i++)
                if (warn[i]) {
                        sbx_event(s, NULL, "Warning", "DNSConfigForming", "%s", warn[i]);
                        free(warn[i]);
                }
}

/* A container's env with the pod's IP (status.podIP/podIPs): its ADD must be over before any container is made. */
static bool ip_needed_early(const struct pod_spec *spec)
{
        const struct pod_container *lists[] = { spec->init_containers, spec->containers };
        const size_t ns[] = { spec->n_init_containers, spec->n_containers };

        for (size_t l = 0; l < ARRAY_SIZE(lists); l++)
                for (size_t i = 0; i < ns[l]; i++)
                        for (size_t j = 0; j < lists[l][i].n_env; j++) {
                                const struct pod_env_source *src = lists[l][i].env[j].value_from;

                                if (src && src->field_ref && src->field_ref->field_path &&
                                    !strncmp(src->field_ref->field_path, "status.podIP", 12))
                                        return true;
                        }
        return false;
}

/* ADD's outcome into the pod: its addresses in status and /etc/hosts, or the
 * daemon's event: "Failed to create pod sandbox: " and this, as the kubelet's over containerd. */
static int net_apply(struct sbx *s, int r, char *ips[2], struct pfs_error *err)
{
        if (r < 0) {
                char msg[sizeof(err->msg)];

                free(ips[0]);
                free(ips[1]);
                s->net_failed = true;
                snprintf(msg, sizeof(msg), "rpc error: code = Unknown desc = %.2000s", err->msg);
                return pfs_error_set(err, err->code ? err->code : EIO, "%s", msg);
        }
        pfs_log(LOG_INFO, "pod %s: network up, IP %s%s%s", s->pod_ref, ips[0] ? ips[0] : "none",
                ips[1] ? " " : "", ips[1] ? ips[1] : "");
        free(s->status->pod_ip);
        free(s->status->pod_ip2);
        s->status->pod_ip = ips[0];
        s->status->pod_ip2 = ips[1];
        /* in place: a container made meanwhile has it bound already (none runs yet) */
        if (ips[0] && pod_etc_hosts_update(s->volumes_dir, s->spec, ips[0], ips[1], err) < 0)
                return pfs_error_wrap(err, "pod /etc/hosts");
        return 0;
}

/* What the ADD process tells the sandbox: one write, below PIPE_BUF. */
struct net_report {
        int r;
        struct pfs_error err;
        char ips[2][64];
};

static _Noreturn void net_worker(struct sbx *s, int fd)
{
        struct net_report rep = { 0 };
        struct cni_host in_host_mnt = { -1, s->host_ns.net_fd };
        char *ips[2] = { NULL, NULL };
        ssize_t n;

        /* in the host's mount namespace from here on (and its netns once the pod's is
         * pinned): the pin needs no child to get there, the plugins no fork (cni.h) */
        if (setns(s->host_ns.mnt_fd, CLONE_NEWNS) < 0)
                rep.r = pfs_error_set(&rep.err, errno, "join the host's mount namespace");
        else
                rep.r = cni_setup(s->pod_fd, s->uid, s->spec, &s->cfg, &in_host_mnt, ips, &rep.err);
        for (int i = 0; i < 2; i++)
                if (ips[i])
                        snprintf(rep.ips[i], sizeof(rep.ips[i]), "%s", ips[i]);
        n = write(fd, &rep, sizeof(rep));
        _exit(n == (ssize_t)sizeof(rep) ? 0 : 1);
}

/* ADD in a process of its own; sbx_net_finish collects it. */
static int net_start(struct sbx *s, struct pfs_error *err)
{
        int p[2];
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe for the network setup");
        pid = fork();
        if (pid < 0) {
                int e = errno;

                close(p[0]);
                close(p[1]);
                return pfs_error_set(err, e, "fork for the network setup");
        }
        if (pid == 0) {
                close(p[0]);
                net_worker(s, p[1]);
        }
        close(p[1]);
        s->net_job.pid = pid;
        s->net_job.fd = p[0];
        return 0;
}

int sbx_net_setup(struct sbx *s, struct pfs_error *err)
{
        char *ips[2] = { NULL, NULL };
        int r;

        dns_events(s);
        if (s->spec->host_network)
                return 0;
        /* a record a failed DEL left (its address is still held): DEL it
         * first; as the kubelet, no new sandbox while the old one is not
         * stopped (a new ADD would lose the record) */
        r = cni_teardown(s->pod_fd, s->uid, s->cfg.cni_bin_dir, &s->host_ns, false, err);
        if (r < 0)
                return net_apply(s, r, ips, err);
        s->net_added = true;
        return net_start(s, err);
}

int sbx_net_await_early(struct sbx *s, struct pfs_error *err)
{
        return sbx_net_pending(s) && ip_needed_early(s->spec) ? sbx_net_finish(s, err) : 0;
}

bool sbx_net_pending(const struct sbx *s)
{
        return s->net_job.pid > 0;
}

bool sbx_net_failed(const struct sbx *s)
{
        return s->net_job.failed != NULL;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
        size_t got = 0;

        while (got < len) {
                ssize_t n = read(fd, (char *)buf + got, len - got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

void sbx_net_hold_event(struct sbx *s, const char *type, const char *reason, const char *object, const char *msg)
{
        const char *f[] = { type, reason, object, msg };

        for (size_t i = 0; i < ARRAY_SIZE(f); i++)
                pfs_buf_append(&s->net_job.held, f[i], strlen(f[i]) + 1);
}

/* The held events out (ok) or dropped. */
static void held_events_release(struct sbx *s, bool ok)
{
        const char *p = s->net_job.held.data, *end = p + s->net_job.held.len, *f[4];

        while (ok && p < end) {
                for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
                        f[i] = p;
                        p += strlen(p) + 1;
                }
                sbx_event_raw(s, f[0], f[1], f[2], f[3]);
        }
        pfs_buf_free(&s->net_job.held);
}

int sbx_net_finish(struct sbx *s, struct pfs_error *err)
{
        struct net_report rep = { 0 };
        char *ips[2] = { NULL, NULL };
        int st = 0, r;

        if (s->net_job.failed) {
                *err = *s->net_job.failed;
                return -(err->code ? err->code : EIO);
        }
        if (!sbx_net_pending(s))
                return 0;
        if (read_full(s->net_job.fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
                rep.r = -1;
        close(s->net_job.fd);
        while (waitpid(s->net_job.pid, &st, 0) < 0 && errno == EINTR)
                ;
        s->net_job.pid = 0;
        s->net_job.fd = -1;
        pfs_trace(s->uid, "sandbox:net-ready");
        if (rep.r == -1 && !rep.err.code)
                pfs_error_set(&rep.err, EIO, "the network setup process died (status 0x%x)", (unsigned)st);
        rep.err.msg[sizeof(rep.err.msg) - 1] = '\0';
        for (int i = 0; i < 2; i++)
                if (rep.ips[i][0])
                        ips[i] = xstrndup(rep.ips[i], sizeof(rep.ips[i]) - 1);
        r = net_apply(s, rep.r, ips, &rep.err);
        held_events_release(s, r >= 0);
        if (r < 0) {
                *err = rep.err;
                s->net_job.failed = xmalloc(sizeof(*err));
                *s->net_job.failed = rep.err;
        }
        return r;
}

void sbx_net_teardown(struct sbx *s)
{
        struct pfs_error err = {0};

        /* DEL only once the ADD is over, whatever it gave */
        if (sbx_net_pending(s))
                (void)sbx_net_finish(s, &err);
        pfs_error_clear(&err);
        free(s->net_job.failed);
        s->net_job.failed = NULL;
        /* a record of an earlier sandbox whose DEL failed is the daemon's
         * cleanup's (its pinned netns), not ours to DEL in our own netns */
        if (!s->spec || s->spec->host_network || s->host_ns.mnt_fd < 0 || !s->net_added)
                return;
        if (cni_teardown(s->pod_fd, s->uid, s->cfg.cni_bin_dir, &s->host_ns, true, &err) < 0) {
                _cleanup_free_ char *msg = pod_event_kill_sandbox_failed(s->uid, err.msg);

                /* the record stays: DEL is tried again (the daemon's cleanup
                 * before the pod goes, or the pod's next sandbox) */
                pfs_log(LOG_WARNING, "pod %s: %s", s->pod_ref ? s->pod_ref : s->uid, err.msg);
                sbx_event(s, NULL, "Warning", "FailedKillPod", "%s", msg);
        }
}
