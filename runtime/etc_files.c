/* The pod's managed /etc/hosts, /etc/hostname and /etc/resolv.conf, as the
 * kubelet writes them: hosts with the localhost lines, the pod's IP and
 * hostname (FQDN first with a subdomain) and the hostAliases; resolv.conf
 * from dnsPolicy (Default: the node's; ClusterFirst: podfs has no cluster
 * DNS, so the node's, as the kubelet falls back; None: dnsConfig only) with
 * dnsConfig merged in as the kubelet's appendDNSConfig does, then cut to
 * its limits (3 nameservers, 32 search paths, 2048 characters) with its
 * DNSConfigForming warnings. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pfs/util.h"
#include "runtime.h"

/* the kubelet's limits of a pod's resolv.conf (the API's validation's) */
#define DNS_MAX_NAMESERVERS 3
#define DNS_MAX_SEARCH_PATHS 32
#define DNS_MAX_SEARCH_PATH_LEN 253     /* a longer one makes glibc 2.28 abort() */
#define DNS_MAX_SEARCH_LIST_CHARS 2048
#define POD_HOSTNAME_MAX 63
#define POD_FQDN_MAX 64
/* No cluster DNS: the kubelet's usual --cluster-domain all the same, for subdomains. */
#define CLUSTER_DOMAIN "cluster.local"

/* kubelet's truncatePodHostnameIfNeeded: 63 characters, no trailing '-' or '.'. */
static char *short_hostname(const struct pod_spec *spec)
{
        const char *name = pod_ns_hostname(spec);
        size_t len = strlen(name);

        if (len > POD_HOSTNAME_MAX)
                len = POD_HOSTNAME_MAX;
        while (len > 0 && (name[len - 1] == '-' || name[len - 1] == '.'))
                len--;
        return xstrndup(name, len);
}

char *pod_domain(const struct pod_spec *spec)
{
        if (!spec->subdomain || !*spec->subdomain)
                return NULL;
        return xasprintf("%s.%s.svc.%s", spec->subdomain, spec->namespace ? spec->namespace : "default",
                         CLUSTER_DOMAIN);
}

int pod_uts_hostname(const struct pod_spec *spec, char **ret, struct pfs_error *err)
{
        _cleanup_free_ char *host = short_hostname(spec), *domain = pod_domain(spec);
        char *fqdn;

        if (!spec->set_hostname_as_fqdn || !domain) {
                *ret = steal_ptr(&host);
                return 0;
        }
        fqdn = xasprintf("%s.%s", host, domain);
        if (strlen(fqdn) > POD_FQDN_MAX) {
                int r = pfs_error_set(err, EINVAL,
                                      "failed to construct FQDN from pod hostname and cluster domain, FQDN %s is "
                                      "too long (%d characters is the max, %zu characters requested)",
                                      fqdn, POD_FQDN_MAX, strlen(fqdn));

                free(fqdn);
                return r;
        }
        *ret = fqdn;
        return 0;
}

static void hosts_aliases(const struct pod_spec *spec, struct pfs_buf *b)
{
        if (spec->n_host_aliases == 0)
                return;
        pfs_buf_puts(b, "\n# Entries added by HostAliases.\n");
        for (size_t i = 0; i < spec->n_host_aliases; i++) {
                const struct pod_host_alias *a = &spec->host_aliases[i];

                pfs_buf_puts(b, a->ip ? a->ip : "");
                pfs_buf_puts(b, "\t");
                for (size_t j = 0; j < a->n_hostnames; j++)
                        pfs_buf_printf(b, "%s%s", j ? "\t" : "", a->hostnames[j]);
                pfs_buf_puts(b, "\n");
        }
}

/* One line per pod IP (kubelet's managedHostsFileContent): the FQDN first with a subdomain. */
static void hosts_pod_line(struct pfs_buf *b, const char *ip, const char *host, const char *domain)
{
        if (domain)
                pfs_buf_printf(b, "%s\t%s.%s\t%s\n", ip, host, domain, host);
        else
                pfs_buf_printf(b, "%s\t%s\n", ip, host);
}

char *pod_hosts_content(const struct pod_spec *spec, const char *pod_ip, const char *pod_ip2)
{
        _cleanup_free_ char *host = short_hostname(spec), *domain = pod_domain(spec);
        struct pfs_buf b = {0};

        if (spec->host_network) {
                /* its header, the node's own file, then the aliases (kubelet's nodeHostsFileContent) */
                _cleanup_free_ char *node = NULL;

                if (pfs_read_file_at(AT_FDCWD, "/etc/hosts", &node, NULL, NULL) < 0)
                        node = xstrdup("127.0.0.1\tlocalhost\n");
                pfs_buf_puts(&b, "# Kubernetes-managed hosts file (host network).\n");
                pfs_buf_puts(&b, node);
        } else {
                pfs_buf_puts(&b, "# Kubernetes-managed hosts file.\n"
                                 "127.0.0.1\tlocalhost\n"
                                 "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                 "fe00::0\tip6-localnet\n"
                                 "fe00::0\tip6-mcastprefix\n"
                                 "fe00::1\tip6-allnodes\n"
                                 "fe00::2\tip6-allrouters\n");
                /* before the network is up (or without a pod IP): the Debian way */
                if (!pod_ip || !*pod_ip)
                        pod_ip = "127.0.1.1";
                hosts_pod_line(&b, pod_ip, host, domain);
                if (pod_ip2 && *pod_ip2)
                        hosts_pod_line(&b, pod_ip2, host, domain);
        }
        hosts_aliases(spec, &b);
        pfs_buf_append(&b, "", 1);
        return b.data;
}

/* ---- resolv.conf ---- */

struct strv {
        char **v;
        size_t n;
};

static void strv_add(struct strv *s, const char *x, bool unique)
{
        for (size_t i = 0; unique && i < s->n; i++)
                if (!strcmp(s->v[i], x))
                        return;
        s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
        s->v[s->n++] = xstrdup(x);
}

static void strv_clear(struct strv *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        s->v = NULL;
        s->n = 0;
}

struct dns {
        struct strv servers, searches, options;
};

/* kubelet's parseResolvConf normalises a search path: "." dropped, a trailing dot trimmed. */
static void search_add(struct strv *s, char *f)
{
        size_t n = strlen(f);

        if (n > 1 && f[n - 1] == '.')
                f[n - 1] = '\0';
        if (strcmp(f, "."))
                strv_add(s, f, false);
}

/* kubelet's parseResolvConf: nameserver, search (the last line wins), options. */
static void resolv_parse(char *text, struct dns *d)
{
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
                char *save = NULL, *kw = strtok_r(line, " \t\r", &save), *f;

                if (!kw || kw[0] == '#' || kw[0] == ';')
                        continue;
                if (!strcmp(kw, "search"))
                        strv_clear(&d->searches);
                while ((f = strtok_r(NULL, " \t\r", &save))) {
                        if (!strcmp(kw, "nameserver")) {
                                strv_add(&d->servers, f, false);
                                break;
                        }
                        if (!strcmp(kw, "search"))
                                search_add(&d->searches, f);
                        else if (!strcmp(kw, "options"))
                                strv_add(&d->options, f, false);
                }
        }
}

static void node_resolv(struct dns *d)
{
        /* systemd-resolved's stub (127.0.0.53) is unreachable from a pod netns: prefer the real list. */
        static const char *const paths[] = { "/run/systemd/resolve/resolv.conf", "/etc/resolv.conf" };

        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                _cleanup_free_ char *text = NULL;

                if (pfs_read_file_at(AT_FDCWD, paths[i], &text, NULL, NULL) == 0) {
                        resolv_parse(text, d);
                        return;
                }
        }
}

/* mergeDNSOptions: a dnsConfig option replaces the one of the same name. */
static void option_merge(struct strv *opts, const struct pod_dns_option *o)
{
        _cleanup_free_ char *opt = o->value ? xasprintf("%s:%s", o->name, o->value) : xstrdup(o->name);
        size_t n = strlen(o->name);

        for (size_t i = 0; i < opts->n; i++)
                if (!strncmp(opts->v[i], o->name, n) && (opts->v[i][n] == ':' || !opts->v[i][n])) {
                        free(opts->v[i]);
                        opts->v[i] = steal_ptr(&opt);
                        return;
                }
        strv_add(opts, opt, false);
}

static void dns_config_append(struct dns *d, const struct pod_dns_config *c)
{
        struct strv servers = d->servers, searches = d->searches;

        d->servers = (struct strv){0};
        d->searches = (struct strv){0};
        for (size_t i = 0; i < servers.n; i++)
                strv_add(&d->servers, servers.v[i], true);
        for (size_t i = 0; i < c->n_nameservers; i++)
                strv_add(&d->servers, c->nameservers[i], true);
        for (size_t i = 0; i < searches.n; i++)
                strv_add(&d->searches, searches.v[i], true);
        for (size_t i = 0; i < c->n_searches; i++)
                strv_add(&d->searches, c->searches[i], true);
        for (size_t i = 0; i < c->n_options; i++)
                option_merge(&d->options, &c->options[i]);
        strv_clear(&servers);
        strv_clear(&searches);
}

bool pod_dns_falls_back(const struct pod_spec *spec)
{
        const char *p = spec->dns_policy ? spec->dns_policy : "ClusterFirst";

        /* kubelet's getPodDNSType: ClusterFirstWithHostNet is cluster DNS
         * for every pod, ClusterFirst only off the host's network */
        return (!strcmp(p, "ClusterFirst") && !spec->host_network) || !strcmp(p, "ClusterFirstWithHostNet");
}

static char *strv_join(const struct strv *s)
{
        struct pfs_buf b = {0};

        for (size_t i = 0; i < s->n; i++)
                pfs_buf_printf(&b, "%s%s", i ? " " : "", s->v[i]);
        pfs_buf_append(&b, "", 1);
        return b.data;
}

static void strv_cut(struct strv *s, size_t n)
{
        while (s->n > n)
                free(s->v[--s->n]);
}

/* kubelet's formDNSSearchFitsLimits: 32 paths, none over 253 characters,
 * 2048 characters in the line (the last paths cut). True when cut. */
static bool dns_fit_searches(struct strv *s)
{
        bool cut = s->n > DNS_MAX_SEARCH_PATHS;
        size_t len = 0, j = 0;

        strv_cut(s, DNS_MAX_SEARCH_PATHS);
        for (size_t i = 0; i < s->n; i++) {
                if (strlen(s->v[i]) > DNS_MAX_SEARCH_PATH_LEN) {
                        free(s->v[i]);
                        cut = true;
                        continue;
                }
                s->v[j++] = s->v[i];
        }
        s->n = j;
        for (size_t i = 0; i < s->n; i++)
                len += strlen(s->v[i]) + (i > 0);
        while (s->n && len > DNS_MAX_SEARCH_LIST_CHARS) {
                len -= strlen(s->v[s->n - 1]) + (s->n > 1);
                strv_cut(s, s->n - 1);
                cut = true;
        }
        return cut;
}

/* kubelet's formDNSConfigFitsLimits, with its DNSConfigForming warnings. */
static void dns_fit(struct dns *d, char *warn[2])
{
        if (d->servers.n > DNS_MAX_NAMESERVERS) {
                _cleanup_free_ char *line = NULL;

                strv_cut(&d->servers, DNS_MAX_NAMESERVERS);
                line = strv_join(&d->servers);
                if (warn)
                        warn[0] = xasprintf("Nameserver limits were exceeded, some nameservers have been omitted, "
                                            "the applied nameserver line is: %s", line);
        }
        if (dns_fit_searches(&d->searches) && warn) {
                _cleanup_free_ char *line = strv_join(&d->searches);

                warn[1] = xasprintf("Search Line limits were exceeded, some search paths have been omitted, "
                                    "the applied search line is: %s", line);
        }
}

/* The kubelet's GetPodDNS: the base of dnsPolicy, dnsConfig appended, fit to the limits. */
static void dns_form(const struct pod_spec *spec, struct dns *d, char *warn[2])
{
        if (!spec->dns_policy || strcmp(spec->dns_policy, "None"))
                node_resolv(d);
        if (spec->dns_config.present)
                dns_config_append(d, &spec->dns_config);
        dns_fit(d, warn);
}

void pod_dns_warnings(const struct pod_spec *spec, char *warn[2])
{
        struct dns d = {0};

        warn[0] = warn[1] = NULL;
        dns_form(spec, &d, warn);
        strv_clear(&d.servers);
        strv_clear(&d.searches);
        strv_clear(&d.options);
}

char *pod_resolv_content(const struct pod_spec *spec)
{
        struct dns d = {0};
        struct pfs_buf b = {0};

        dns_form(spec, &d, NULL);
        /* containerd's layout: search, nameserver, options */
        if (d.searches.n) {
                pfs_buf_puts(&b, "search");
                for (size_t i = 0; i < d.searches.n; i++)
                        pfs_buf_printf(&b, " %s", d.searches.v[i]);
                pfs_buf_puts(&b, "\n");
        }
        for (size_t i = 0; i < d.servers.n; i++)
                pfs_buf_printf(&b, "nameserver %s\n", d.servers.v[i]);
        if (d.options.n) {
                pfs_buf_puts(&b, "options");
                for (size_t i = 0; i < d.options.n; i++)
                        pfs_buf_printf(&b, " %s", d.options.v[i]);
                pfs_buf_puts(&b, "\n");
        }
        pfs_buf_append(&b, "", 1);
        strv_clear(&d.servers);
        strv_clear(&d.searches);
        strv_clear(&d.options);
        return b.data;
}

int pod_etc_hosts_update(const char *volumes_dir, const struct pod_spec *spec, const char *pod_ip,
                         const char *pod_ip2, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", volumes_dir, POD_ETC_DIR);
        _cleanup_free_ char *hosts = pod_hosts_content(spec, pod_ip, pod_ip2);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r;

        if (fd < 0)
                return pfs_error_set(err, errno, "open '%s'", dir);
        /* in place: containers made before the pod's IP was known have it bound already */
        r = pfs_rewrite_file_at(fd, "hosts", hosts, strlen(hosts), err);
        if (r != -ENOENT)
                return r;
        pfs_error_clear(err);
        return pfs_write_file_sync_at(fd, "hosts", hosts, strlen(hosts), 0644, PFS_SYNC_NONE, err);
}
