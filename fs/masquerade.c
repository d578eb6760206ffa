/* Masquerade for the pod network's subnets, installed once by the daemon at
 * its start (not per pod by the bridge plugin's ipMasq, whose iptables runs
 * cost a pod 35-50 ms at ADD and 45-55 ms at DEL on a busy 2-CPU VM,
 * bench/pods.sh --bridge): for each subnet the
 * network's config lists under "podfsMasquerade" (the default network's
 * 10.85.0.0/16), one rule in the nat table of iptables (ip6tables for an
 * IPv6 subnet), through the iptables command as the CNI plugins do, with
 * what the bridge plugin's per-pod chain does (no masquerade within the
 * subnet nor to multicast):
 *
 *   -A POSTROUTING -s SUBNET ! -d SUBNET -m addrtype ! --dst-type MULTICAST
 *      -m comment --comment "podfs masquerade" -j MASQUERADE
 *
 * Idempotent (appended only when `-C` does not find it); never removed by
 * podfs, like the bridge itself: podfs(8) says how.
 *
 * And where the network has the portmap plugin, one rule in the filter
 * table's INPUT, kube-proxy's for CVE-2020-8558: portmap sets
 * route_localnet on the bridge (so that a hostPort
 * on 127.0.0.1 reaches its pod), which lets a pod send to the node's
 * 127.0.0.1 services through its gateway. Only what portmap itself
 * forwarded (DNAT) and replies pass:
 *
 *   -I INPUT ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment
 *      "podfs: block incoming localnet connections"
 *      -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "pfs/spawn.h"
#include "fs.h"
#include "pfs/cni_conf.h"

#define MASQ_COMMENT "podfs masquerade"
#define LOCALNET_COMMENT "podfs: block incoming localnet connections"

/* Run ARGV (PATH lookup), stdin and stdout /dev/null, stderr's first line
 * into ERRBUF (when given). Returns the exit status, or -errno. */
static int run(char *const argv[], char *errbuf, size_t errlen)
{
        char *env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        struct pfs_spawn o = { .fd = { PFS_SPAWN_NULL, PFS_SPAWN_NULL, PFS_SPAWN_NULL }, .search_path = true };
        int errp[2], st = 0, r;
        pid_t pid;

        if (pipe2(errp, O_CLOEXEC) < 0)
                return -errno;
        if (errbuf)
                o.fd[2] = errp[1];
        r = -pfs_spawn(argv[0], argv, env, &o, &pid);
        close(errp[1]);
        if (r == 0 && errbuf) {
                /* read to EOF: the command's exit closes it */
                ssize_t n = read(errp[0], errbuf, errlen - 1);

                errbuf[n > 0 ? n : 0] = '\0';
                errbuf[strcspn(errbuf, "\n")] = '\0';
        }
        close(errp[0]);
        if (r)
                return -r;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ADDRESS/PREFIX, IPv4 or IPv6 */
static bool cidr_ok(const char *s)
{
        char addr[INET6_ADDRSTRLEN + 1], *end;
        unsigned char buf[sizeof(struct in6_addr)];
        const char *slash = strchr(s, '/');
        bool v6 = strchr(s, ':');
        long prefix;

        if (!slash || (size_t)(slash - s) >= sizeof(addr))
                return false;
        snprintf(addr, sizeof(addr), "%.*s", (int)(slash - s), s);
        prefix = strtol(slash + 1, &end, 10);
        return inet_pton(v6 ? AF_INET6 : AF_INET, addr, buf) == 1 && end != slash + 1 && !*end && prefix >= 0 &&
               prefix <= (v6 ? 128 : 32);
}

/* One rule for SUBNET, appended when `-C` does not find it. */
static void masquerade_subnet(const char *subnet)
{
        const char *ipt = strchr(subnet, ':') ? "ip6tables" : "iptables";
        char err[256] = "";
        /* the xtables lock (legacy backend) waited for 5 s at most: the daemon's start waits */
        char *argv[] = { (char *)ipt, "-w", "5", "-t", "nat", "-C", "POSTROUTING", "-s", (char *)subnet, "!", "-d",
                         (char *)subnet, "-m", "addrtype", "!", "--dst-type", "MULTICAST", "-m", "comment",
                         "--comment", MASQ_COMMENT, "-j", "MASQUERADE", NULL };
        int r;

        if (!cidr_ok(subnet)) {
                pfs_log(LOG_WARNING, "pod network: podfsMasquerade: \"%s\" is no subnet (ADDRESS/PREFIX)", subnet);
                return;
        }
        r = run(argv, NULL, 0);
        if (r == 0)
                return;
        argv[5] = "-A";
        r = run(argv, err, sizeof(err));
        if (r != 0)
                pfs_log(LOG_WARNING, "pod network: masquerade for %s with %s: %s (pods reach the node and each "
                        "other, not beyond)", subnet, ipt, r < 0 ? strerror(-r) : *err ? err : "failed");
        else
                pfs_log(LOG_INFO, "pod network: %s nat POSTROUTING masquerades %s's egress", ipt, subnet);
}

/* The localnet rule (above), inserted first in INPUT when `-C` does not find it. */
static void localnet_guard(void)
{
        char err[256] = "";
        char *argv[] = { "iptables", "-w", "5", "-t", "filter", "-C", "INPUT", "!", "-s", "127.0.0.0/8", "-d",
                         "127.0.0.0/8", "-m", "comment", "--comment", LOCALNET_COMMENT, "-m", "conntrack", "!",
                         "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "DROP", NULL };
        int r = run(argv, NULL, 0);

        if (r == 0)
                return;
        argv[5] = "-I";
        r = run(argv, err, sizeof(err));
        if (r != 0)
                pfs_log(LOG_WARNING, "pod network: iptables filter INPUT: %s (with a hostPort, pods may reach the "
                        "node's 127.0.0.1)", r < 0 ? strerror(-r) : *err ? err : "failed");
        else
                pfs_log(LOG_INFO, "pod network: iptables filter INPUT drops what pods send to 127.0.0.0/8");
}

void network_masquerade(const char *conf_dir)
{
        struct pfs_error err = {0};
        char **subnets = NULL;
        int n = cni_conf_masquerade(conf_dir, &subnets, &err);

        /* no network config at all: already said (network_default_write) */
        if (n < 0 && n != -ENOENT)
                pfs_log(LOG_WARNING, "pod network: %s", err.msg);
        if (cni_conf_has_plugin(conf_dir, "portmap"))
                localnet_guard();
        for (int i = 0; i < n; i++)
                masquerade_subnet(subnets[i]);
        for (char **s = subnets; s && *s; s++)
                free(*s);
        free(subnets);
}
