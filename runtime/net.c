/* The sandbox's side of the pod network: the host's namespaces are opened
 * before the pod's are made, ADD runs once the pod's netns exists (before any
 * container), its address goes into status.podIP/podIPs and /etc/hosts, DEL
 * when the pod ends (cni.c does the CNI work). The kubelet's MissingClusterDNS
 * warning comes with every start of a ClusterFirst pod (podfs has no cluster
 * DNS), its DNSConfigForming ones with every start of a pod whose resolv.conf
 * had to be cut to the limits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int sbx_net_setup(struct sbx *s, struct pfs_error *err)
{
        char *ips[2] = { NULL, NULL };
        int r;

        dns_events(s);
        if (s->spec->host_network)
                return 0;
        /* a record a failed DEL left (its address is still held): DEL it first */
        if (cni_teardown(s->pod_fd, s->uid, s->cfg.cni_bin_dir, &s->host_ns, false, err) < 0)
                pfs_log(LOG_WARNING, "pod %s: the previous network: %s", s->pod_ref, err->msg);
        pfs_error_clear(err);
        r = cni_setup(s->pod_fd, s->uid, s->spec, &s->cfg, &s->host_ns, ips, err);
        if (r < 0) {
                /* the daemon's event: "Failed to create pod sandbox: " and this, as the kubelet's over containerd */
                s->net_failed = true;
                char msg[sizeof(err->msg)];

                snprintf(msg, sizeof(msg), "rpc error: code = Unknown desc = %.2000s", err->msg);
                return pfs_error_set(err, err->code ? err->code : EIO, "%s", msg);
        }
        pfs_log(LOG_INFO, "pod %s: network up, IP %s%s%s", s->pod_ref, ips[0] ? ips[0] : "none",
                ips[1] ? " " : "", ips[1] ? ips[1] : "");
        free(s->status->pod_ip);
        free(s->status->pod_ip2);
        s->status->pod_ip = ips[0];
        s->status->pod_ip2 = ips[1];
        if (ips[0] && pod_etc_hosts_update(s->volumes_dir, s->spec, ips[0], ips[1], err) < 0)
                return pfs_error_wrap(err, "pod /etc/hosts");
        return 0;
}

void sbx_net_teardown(struct sbx *s)
{
        struct pfs_error err = {0};

        if (!s->spec || s->spec->host_network || s->host_ns.mnt_fd < 0)
                return;
        if (cni_teardown(s->pod_fd, s->uid, s->cfg.cni_bin_dir, &s->host_ns, true, &err) < 0)
                pfs_log(LOG_WARNING, "pod %s: %s", s->pod_ref ? s->pod_ref : s->uid, err.msg);
}
