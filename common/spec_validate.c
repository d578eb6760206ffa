/* The API server's validation of a Pod (ValidatePod and the apimachinery name
 * rules), with its exact wording, restricted to the fields podfs implements. */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include "pfs/status.h"
#include "spec_internal.h"

const char *const spec_restart_policies[3] = { "Always", "OnFailure", "Never" };
const char *const spec_dns_policies[4] = { "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None" };
const char *const spec_pull_policies[3] = { "Always", "IfNotPresent", "Never" };
const char *const spec_message_policies[2] = { "File", "FallbackToLogsOnError" };
const char *const spec_protocols[3] = { "SCTP", "TCP", "UDP" };
const char *const spec_host_path_types[8] = {
        "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket",
};
const struct spec_handler_type spec_handler_types[5] = {
        { "exec", POD_HANDLER_EXEC }, { "httpGet", POD_HANDLER_HTTP_GET }, { "tcpSocket", POD_HANDLER_TCP_SOCKET },
        { "grpc", POD_HANDLER_GRPC }, { "sleep", POD_HANDLER_SLEEP },
};

const char *spec_handler_key(enum pod_handler_kind kind)
{
        for (size_t k = 0; k < ARRAY_SIZE(spec_handler_types); k++)
                if (spec_handler_types[k].kind == kind)
                        return spec_handler_types[k].key;
        return NULL;
}

#define DNS1123_LABEL_FMT "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS1123_LABEL_MSG                                                                       \
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " \
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', " \
        "regex used for validation is '" DNS1123_LABEL_FMT "')"
#define DNS1123_SUBDOMAIN_MSG                                                                   \
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "    \
        "regex used for validation is '" DNS1123_LABEL_FMT "(\\." DNS1123_LABEL_FMT ")*')"
/* IsDNS1123SubdomainWithUnderscore (dnsConfig.searches, RelaxedDNSSearchValidation) */
#define DNS1123_LABEL_US_FMT "_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
#define DNS1123_SUBDOMAIN_US_MSG                                                                \
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', " \
        "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', " \
        "regex used for validation is '" DNS1123_LABEL_US_FMT "(\\." DNS1123_LABEL_US_FMT ")*')"
#define QUALIFIED_NAME_FMT "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
#define QUALIFIED_NAME_MSG                                                                      \
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with " \
        "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "   \
        "for validation is '" QUALIFIED_NAME_FMT "')"
#define LABEL_VALUE_MSG                                                                         \
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' " \
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "   \
        "'my_value',  or '12345', regex used for validation is '(" QUALIFIED_NAME_FMT ")?')"
#define HTTP_HEADER_NAME_MSG                                                                    \
        "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', " \
        "regex used for validation is '[-A-Za-z0-9]+')"
#define PORT_RANGE_MSG "must be between 1 and 65535, inclusive"

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool label_chars_ok(const char *s, size_t n)
{
        if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_lower_alnum(s[i]) && s[i] != '-')
                        return false;
        return true;
}

bool pod_name_is_dns1123_label(const char *s)
{
        size_t n = strlen(s);

        return n <= 63 && label_chars_ok(s, n);
}

/* Labels that LABEL_OK accepts, joined by dots. */
static bool labels_ok(const char *s, bool (*label_ok)(const char *s, size_t n))
{
        for (;;) {
                size_t n = strcspn(s, ".");

                if (!label_ok(s, n))
                        return false;
                if (!s[n])
                        return true;
                s += n + 1;
        }
}

static bool subdomain_chars_ok(const char *s)
{
        return labels_ok(s, label_chars_ok);
}

bool pod_name_is_dns1123_subdomain(const char *s)
{
        return strlen(s) <= 253 && subdomain_chars_ok(s);
}

const char *pod_name_dns1123_label_error(const char *s)
{
        if (strlen(s) > 63)
                return "must be no more than 63 characters";
        return label_chars_ok(s, strlen(s)) ? NULL : DNS1123_LABEL_MSG;
}

const char *pod_name_dns1123_subdomain_error(const char *s)
{
        if (strlen(s) > 253)
                return "must be no more than 253 characters";
        return subdomain_chars_ok(s) ? NULL : DNS1123_SUBDOMAIN_MSG;
}

static void validate_label(struct spec_errs *e, const char *path, const char *v)
{
        if (strlen(v) > 63)
                spec_err_invalid_str(e, path, v, "must be no more than 63 characters");
        if (!label_chars_ok(v, strlen(v)))
                spec_err_invalid_str(e, path, v, DNS1123_LABEL_MSG);
}

static void validate_subdomain(struct spec_errs *e, const char *path, const char *v)
{
        if (strlen(v) > 253)
                spec_err_invalid_str(e, path, v, "must be no more than 253 characters");
        if (!subdomain_chars_ok(v))
                spec_err_invalid_str(e, path, v, DNS1123_SUBDOMAIN_MSG);
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] over s[0..n) */
static bool qname_chars_ok(const char *s, size_t n)
{
        if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
                        return false;
        return true;
}

/* apimachinery's IsQualifiedName: [prefix/]name. */
static void validate_qualified_name(struct spec_errs *e, const char *path, const char *key, const char *v)
{
        const char *slash = strchr(v, '/'), *name = slash ? slash + 1 : v;

        if (slash && strchr(name, '/')) {
                spec_err_invalid_str(e, path, key, "a qualified name " QUALIFIED_NAME_MSG
                                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return;
        }
        if (slash) {
                _cleanup_free_ char *prefix = xstrndup(v, (size_t)(slash - v));

                if (!*prefix)
                        spec_err_invalid_str(e, path, key, "prefix part must be non-empty");
                else if (strlen(prefix) > 253)
                        spec_err_invalid_str(e, path, key, "prefix part must be no more than 253 characters");
                if (*prefix && !subdomain_chars_ok(prefix))
                        spec_err_invalid_str(e, path, key, "prefix part " DNS1123_SUBDOMAIN_MSG);
        }
        if (!*name)
                spec_err_invalid_str(e, path, key, "name part must be non-empty");
        else if (strlen(name) > 63)
                spec_err_invalid_str(e, path, key, "name part must be no more than 63 characters");
        if (!qname_chars_ok(name, strlen(name)))
                spec_err_invalid_str(e, path, key, "name part " QUALIFIED_NAME_MSG);
}

static void validate_labels(struct spec_errs *e, const struct pod_kv *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                /* The API server names the map; the line is the label's own. */
                _cleanup_free_ char *at = xasprintf("metadata.labels[%s]", kv[i].key);

                e->line_path = at;
                validate_qualified_name(e, "metadata.labels", kv[i].key, kv[i].key);
                if (strlen(kv[i].value) > 63)
                        spec_err_invalid_str(e, "metadata.labels", kv[i].value, "must be no more than 63 characters");
                if (*kv[i].value && !qname_chars_ok(kv[i].value, strlen(kv[i].value)))
                        spec_err_invalid_str(e, "metadata.labels", kv[i].value, LABEL_VALUE_MSG);
                e->line_path = NULL;
        }
}

#define ANNOTATIONS_MAX_BYTES (256 * 1024)

static void validate_annotations(struct spec_errs *e, const struct pod_kv *kv, size_t n)
{
        size_t total = 0;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *lower = xstrdup(kv[i].key);
                _cleanup_free_ char *at = xasprintf("metadata.annotations[%s]", kv[i].key);

                for (char *c = lower; *c; c++)
                        *c = (char)tolower((unsigned char)*c);
                e->line_path = at;
                validate_qualified_name(e, "metadata.annotations", kv[i].key, lower);
                e->line_path = NULL;
                total += strlen(kv[i].key) + strlen(kv[i].value);
        }
        if (total > ANNOTATIONS_MAX_BYTES)
                spec_errs_add(e, "metadata.annotations", "Too long: may not be more than %d bytes",
                              ANNOTATIONS_MAX_BYTES);
}

static void validate_meta(struct spec_errs *e, const struct pod_spec *s)
{
        if (!s->name || !*s->name)
                spec_err_required(e, "metadata.name", "name or generateName is required");
        else
                validate_subdomain(e, "metadata.name", s->name);
        if (!s->namespace || !*s->namespace)
                spec_err_required(e, "metadata.namespace", NULL);
        else
                validate_label(e, "metadata.namespace", s->namespace);
        validate_labels(e, s->labels, s->n_labels);
        validate_annotations(e, s->annotations, s->n_annotations);
}

void spec_validate_object_meta(struct spec_errs *e, const struct spec_meta *m)
{
        struct pod_spec tmp = { .name = m->name, .namespace = m->namespace, .labels = m->labels,
                                .n_labels = m->n_labels, .annotations = m->annotations,
                                .n_annotations = m->n_annotations };

        validate_meta(e, &tmp);
}

/* No ".." path element (validatePathNoBacksteps). */
static bool path_has_backsteps(const char *p)
{
        for (;;) {
                size_t n = strcspn(p, "/");

                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return true;
                if (!p[n])
                        return false;
                p += n + 1;
        }
}

static void validate_volume(struct spec_errs *e, const struct pod_volume *v, const char *p)
{
        _cleanup_free_ char *path = NULL, *type = NULL, *medium = NULL;
        static const char *const media[] = { "", "Memory" };

        if (v->kind == POD_VOLUME_HOST_PATH) {
                path = spec_path_key(p, "hostPath.path");
                type = spec_path_key(p, "hostPath.type");
                if (!v->host_path || !*v->host_path) {
                        spec_err_required(e, path, NULL);
                        return;
                }
                if (path_has_backsteps(v->host_path))
                        spec_err_invalid_str(e, path, v->host_path, "must not contain '..'");
                if (v->host_path_type)
                        spec_check_enum(e, type, v->host_path_type, spec_host_path_types,
                                        ARRAY_SIZE(spec_host_path_types));
        } else if (v->medium) {
                medium = spec_path_key(p, "emptyDir.medium");
                spec_check_enum(e, medium, v->medium, media, ARRAY_SIZE(media));
                int cmp;

                if (v->size_limit && pod_quantity_cmp(v->size_limit, "0", &cmp) == 0 && cmp < 0) {
                        _cleanup_free_ char *sl = spec_path_key(p, "emptyDir.sizeLimit");

                        /* the API server's words (validateVolumeSource) */
                        spec_err_forbidden(e, sl, "SizeLimit field must be a valid resource quantity");
                }
        }
}

static void validate_volumes(struct spec_errs *e, const struct pod_spec *s)
{
        for (size_t i = 0; i < s->n_volumes; i++) {
                _cleanup_free_ char *p = spec_path_idx("spec.volumes", i);

                spec_volsrc_validate(e, &s->volumes[i], p);
        }
        for (size_t i = 0; i < s->n_volumes; i++) {
                const struct pod_volume *v = &s->volumes[i];
                _cleanup_free_ char *p = spec_path_idx("spec.volumes", i);
                _cleanup_free_ char *np = spec_path_key(p, "name");

                validate_volume(e, v, p);
                if (!v->name || !*v->name) {
                        spec_err_required(e, np, NULL);
                        continue;
                }
                validate_label(e, np, v->name);
                if (spec_index_volume(s, v->name) != (ssize_t)i)
                        spec_err_duplicate(e, np, v->name);
        }
}

/* validateLocalDescendingPath on a mount's subPath or subPathExpr: the API
 * server passes it the list's path, not the item's, so its errors read
 * "volumeMounts.subPath" (p is "...volumeMounts[i]"); the line shown is
 * still the item's. */
static void validate_sub_path(struct spec_errs *e, const char *p, const char *key, const char *v)
{
        const char *idx = strrchr(p, '[');
        _cleanup_free_ char *lp = xasprintf("%.*s.%s", (int)(idx ? idx - p : (ptrdiff_t)strlen(p)), p, key);
        _cleanup_free_ char *ip = spec_path_key(p, key);

        e->line_path = ip;
        if (v[0] == '/')
                spec_err_invalid_str(e, lp, v, "must be a relative path");
        if (path_has_backsteps(v))
                spec_err_invalid_str(e, lp, v, "must not contain '..'");
        e->line_path = NULL;
}

/* paths: the container's mount paths seen so far (each must be unique). */
static void validate_mount(struct spec_errs *e, const struct pod_spec *s, const struct pod_container *c,
                           size_t i, const char *p, struct pfs_strindex *paths)
{
        const struct pod_volume_mount *m = &c->mounts[i];
        _cleanup_free_ char *np = spec_path_key(p, "name"), *mp = spec_path_key(p, "mountPath");
        const char *name = m->name ? m->name : "";

        if (!*name)
                spec_err_required(e, np, NULL);
        if (spec_index_volume(s, name) < 0)
                spec_err_not_found(e, np, name);
        if (!m->mount_path || !*m->mount_path) {
                spec_err_required(e, mp, NULL);
        } else {
                if (!pfs_strindex_put(paths, m->mount_path, i))
                        spec_err_invalid_str(e, mp, m->mount_path, "must be unique");
        }
        if (m->sub_path)
                validate_sub_path(e, p, "subPath", m->sub_path);
        if (m->sub_path_expr) {
                _cleanup_free_ char *xp = spec_path_key(p, "subPathExpr");

                if (m->sub_path)
                        spec_err_invalid_str(e, xp, m->sub_path_expr, "subPathExpr and subPath are mutually exclusive");
                validate_sub_path(e, p, "subPathExpr", m->sub_path_expr);
        }
}

static void validate_port_name(struct spec_errs *e, const char *p, const char *n)
{
        size_t len = strlen(n);

        if (len > 15)
                spec_err_invalid_str(e, p, n, "must be no more than 15 characters");
        if (len == 0 || strspn(n, "-abcdefghijklmnopqrstuvwxyz0123456789") != len)
                spec_err_invalid_str(e, p, n, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        if (!strpbrk(n, "abcdefghijklmnopqrstuvwxyz"))
                spec_err_invalid_str(e, p, n, "must contain at least one letter (a-z)");
        if (strstr(n, "--"))
                spec_err_invalid_str(e, p, n, "must not contain consecutive hyphens");
        if (len > 0 && (n[0] == '-' || n[len - 1] == '-'))
                spec_err_invalid_str(e, p, n, "must not begin or end with a hyphen");
}

/* names: the container's port names seen so far (each must be unique).
 * In validateContainerPorts' order: name, containerPort, hostPort, protocol. */
static void validate_port(struct spec_errs *e, const struct pod_container *c, size_t i, const char *pp,
                          struct pfs_strindex *names)
{
        const struct pod_port *port = &c->ports[i];
        _cleanup_free_ char *np = spec_path_key(pp, "name"), *cpp = spec_path_key(pp, "containerPort");
        _cleanup_free_ char *prp = spec_path_key(pp, "protocol");
        size_t n = e->n;

        if (port->name && *port->name) {
                validate_port_name(e, np, port->name);
                if (!pfs_strindex_put(names, port->name, i) && e->n == n)
                        spec_err_duplicate(e, np, port->name);
        }
        if (port->container_port == 0)
                spec_err_required(e, cpp, NULL);
        else if (port->container_port < 1 || port->container_port > 65535)
                spec_err_invalid_int(e, cpp, port->container_port, PORT_RANGE_MSG);
        if (port->host_port != 0 && (port->host_port < 1 || port->host_port > 65535)) {
                _cleanup_free_ char *hpp = spec_path_key(pp, "hostPort");

                spec_err_invalid_int(e, hpp, port->host_port, PORT_RANGE_MSG);
        }
        if (port->protocol)
                spec_check_enum(e, prp, port->protocol, spec_protocols, ARRAY_SIZE(spec_protocols));
}

/* The API server's checkHostPortConflicts: "PROTOCOL/HOSTIP/PORT" once among
 * the n containers c (their hostPorts as defaulted), named as the items of a list lp of their own. c[0] is
 * item FIRST of lp in the document: the line shown is the real item's. */
static void validate_host_ports(struct spec_errs *e, bool host_network, const struct pod_container *c, size_t n,
                                const char *lp, size_t first)
{
        struct pfs_strindex seen;
        char **keys;
        size_t n_ports = 0, k = 0;

        for (size_t i = 0; i < n; i++)
                n_ports += c[i].n_ports;
        keys = xcalloc(n_ports + 1, sizeof(*keys)); /* the index borrows them */
        pfs_strindex_init(&seen, n_ports);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < c[i].n_ports; j++) {
                        const struct pod_port *port = &c[i].ports[j];
                        int32_t hp = pod_port_host_port(host_network, port);
                        _cleanup_free_ char *path = NULL, *line = NULL;

                        if (hp == 0)
                                continue;
                        keys[k] = xasprintf("%s/%s/%d", port->protocol ? port->protocol : "TCP",
                                            port->host_ip ? port->host_ip : "", (int)hp);
                        if (pfs_strindex_put(&seen, keys[k], i)) {
                                k++;
                                continue;
                        }
                        path = xasprintf("%s[%zu].ports[%zu].hostPort", lp, i, j);
                        line = xasprintf("%s[%zu].ports[%zu].hostPort", lp, first + i, j);
                        e->line_path = line;
                        spec_err_duplicate(e, path, keys[k++]);
                        e->line_path = NULL;
                }
        pfs_strindex_free(&seen);
        for (size_t i = 0; i < k; i++)
                free(keys[i]);
        free(keys);
}

/* validatePodHostNetworkDeps: an app container's hostPort is its
 * containerPort (defaulting fills a 0 in). It walks spec.containers only, so
 * an init container's may differ. The API server runs it after both container
 * lists: its error sorts after theirs. */
static void validate_host_network_ports(struct spec_errs *e, const struct pod_spec *s)
{
        if (!s->host_network)
                return;
        e->late = true;
        for (size_t i = 0; i < s->n_containers; i++)
                for (size_t j = 0; j < s->containers[i].n_ports; j++) {
                        const struct pod_port *port = &s->containers[i].ports[j];
                        _cleanup_free_ char *path = NULL;

                        if (port->host_port == 0 || port->host_port == port->container_port)
                                continue;
                        path = xasprintf("spec.containers[%zu].ports[%zu].hostPort", i, j);
                        spec_err_invalid_int(e, path, port->host_port,
                                             "must match `containerPort` when `hostNetwork` is true");
                }
        e->late = false;
}

/* ---- hooks and probes ---- */

/* IntOrString: a number in range, or an IANA_SVC_NAME (ValidatePortNumOrName).
 * A name need not be among the container's ports: the kubelet fails the probe
 * or hook at run time, as Kubernetes does. */
static void validate_port_ref(struct spec_errs *e, const struct pod_handler *h, const char *hp)
{
        _cleanup_free_ char *p = spec_path_key(hp, "port");

        if (h->port_name)
                validate_port_name(e, p, h->port_name);
        else if (h->port < 1 || h->port > 65535)
                spec_err_invalid_int(e, p, h->port, PORT_RANGE_MSG);
}

static void validate_http_get(struct spec_errs *e, const struct pod_handler *h, const char *hp)
{
        static const char *const schemes[] = { "HTTP", "HTTPS" };
        _cleanup_free_ char *pp = spec_path_key(hp, "path"), *sp = spec_path_key(hp, "scheme");
        _cleanup_free_ char *hdp = spec_path_key(hp, "httpHeaders");

        if (!h->path || !*h->path)
                spec_err_required(e, pp, NULL);
        validate_port_ref(e, h, hp);
        if (h->scheme)
                spec_check_enum(e, sp, h->scheme, schemes, ARRAY_SIZE(schemes));
        /* No TLS library among podfs' dependencies: refuse rather than fail at run time. */
        if (h->scheme && !strcmp(h->scheme, "HTTPS"))
                spec_err_forbidden(e, sp, "HTTPS is not supported by podfs yet");
        for (size_t i = 0; i < h->n_headers; i++) {
                const char *n = h->headers[i].key;

                if (!*n || strspn(n, "-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != strlen(n))
                        spec_err_invalid_str(e, hdp, n, HTTP_HEADER_NAME_MSG);
        }
}

/* The action's own rules; ap is the action's path ("...livenessProbe.httpGet"). */
static void validate_action(struct spec_errs *e, const struct pod_handler *h, const char *ap, int64_t grace,
                            bool hook)
{
        _cleanup_free_ char *cp = spec_path_key(ap, "command");
        _cleanup_free_ char *why = NULL;

        switch (h->kind) {
        case POD_HANDLER_EXEC:
                if (h->n_command == 0)
                        spec_err_required(e, cp, NULL);
                break;
        case POD_HANDLER_HTTP_GET:
                validate_http_get(e, h, ap);
                break;
        case POD_HANDLER_TCP_SOCKET:
                /* The API server accepts it in a hook only for compatibility and
                 * the kubelet fails such a hook when it runs: say so now. */
                if (hook)
                        spec_err_forbidden(e, ap, "tcpSocket is not supported in lifecycle hooks (Kubernetes "
                                           "accepts it but the hook fails when it runs); use exec, httpGet or sleep");
                else
                        validate_port_ref(e, h, ap);
                break;
        case POD_HANDLER_GRPC:
                /* grpc.health.v1 needs HTTP/2, which the sandbox does not speak. */
                spec_err_forbidden(e, ap, "not supported by podfs yet (grpc probes need HTTP/2)");
                break;
        case POD_HANDLER_SLEEP:
                if (h->seconds < 0 || h->seconds > grace) {
                        why = xasprintf("must be non-negative and less than terminationGracePeriodSeconds (%lld)",
                                        (long long)grace);
                        spec_err_invalid_int(e, ap, (long long)h->seconds, why);
                }
                break;
        case POD_HANDLER_NONE:
                break;
        }
}

/* Exactly one action, counted in the document (the decoded handler holds the
 * first one), in the API server's order. */
static void validate_handler(struct spec_errs *e, const struct pod_handler *h, const char *hp, int64_t grace,
                             bool hook)
{
        const struct yval *node = spec_node_at(e->root, hp);
        size_t n = 0;

        for (size_t k = 0; k < ARRAY_SIZE(spec_handler_types); k++) {
                const struct yval *v = yval_map_get(node, spec_handler_types[k].key);
                _cleanup_free_ char *ap = NULL;

                if (!v || v->type == YVAL_NULL)
                        continue;
                ap = spec_path_key(hp, spec_handler_types[k].key);
                if (n++ > 0)
                        spec_err_forbidden(e, ap, "may not specify more than 1 handler type");
                else
                        validate_action(e, h, ap, grace, hook);
        }
        if (n == 0)
                spec_err_required(e, hp, "must specify a handler type");
}

enum probe_type { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP };

static void validate_nonnegative(struct spec_errs *e, const char *pp, const char *key, long long v)
{
        _cleanup_free_ char *p = spec_path_key(pp, key);

        if (v < 0)
                spec_err_invalid_int(e, p, v, "must be greater than or equal to 0");
}

static void validate_probe(struct spec_errs *e, const struct pod_probe *pr, const char *pp, int64_t grace,
                           enum probe_type type)
{
        _cleanup_free_ char *tp = spec_path_key(pp, "terminationGracePeriodSeconds");
        _cleanup_free_ char *sp = spec_path_key(pp, "successThreshold");
        const struct yval *tgps = spec_node_at(e->root, tp);

        if (!pr)
                return;
        validate_handler(e, &pr->h, pp, grace, false);
        validate_nonnegative(e, pp, "initialDelaySeconds", pr->initial_delay_seconds);
        validate_nonnegative(e, pp, "timeoutSeconds", pr->timeout_seconds);
        validate_nonnegative(e, pp, "periodSeconds", pr->period_seconds);
        validate_nonnegative(e, pp, "successThreshold", pr->success_threshold);
        validate_nonnegative(e, pp, "failureThreshold", pr->failure_threshold);
        if (tgps && tgps->type != YVAL_INT)
                tgps = NULL;
        if (tgps && tgps->i <= 0)
                spec_err_invalid_int(e, tp, (long long)tgps->i, "must be greater than 0");
        if (type != PROBE_READINESS && pr->success_threshold != 1)
                spec_err_invalid_int(e, sp, pr->success_threshold, "must be 1");
        if (type == PROBE_READINESS && tgps)
                spec_err_invalid_int(e, tp, (long long)tgps->i, "must not be set for readinessProbes");
}

static void validate_hooks_and_probes(struct spec_errs *e, const struct pod_spec *s, const struct pod_container *c,
                                      const char *p)
{
        _cleanup_free_ char *lp = spec_path_key(p, "lifecycle");
        _cleanup_free_ char *psp = spec_path_key(lp, "postStart"), *pre = spec_path_key(lp, "preStop");
        _cleanup_free_ char *lv = spec_path_key(p, "livenessProbe"), *rd = spec_path_key(p, "readinessProbe");
        _cleanup_free_ char *st = spec_path_key(p, "startupProbe");
        int64_t grace = s->termination_grace_period_seconds;

        if (c->post_start)
                validate_handler(e, c->post_start, psp, grace, true);
        if (c->pre_stop)
                validate_handler(e, c->pre_stop, pre, grace, true);
        validate_probe(e, c->liveness, lv, grace, PROBE_LIVENESS);
        validate_probe(e, c->readiness, rd, grace, PROBE_READINESS);
        validate_probe(e, c->startup, st, grace, PROBE_STARTUP);
}

static bool has_edge_space(const char *s)
{
        size_t n = strlen(s);

        return n && (isspace((unsigned char)s[0]) || isspace((unsigned char)s[n - 1]));
}

/* One quantity of limits or requests (the decoder checked its syntax): not negative. */
static bool validate_quantity(struct spec_errs *e, const char *lp, const char *name, const char *q)
{
        _cleanup_free_ char *kp = xasprintf("%s[%s]", lp, name);
        int cmp;

        if (!q || pod_quantity_cmp(q, "0", &cmp) < 0)
                return false;
        if (cmp < 0) {
                spec_err_invalid_str(e, kp, q, "must be greater than or equal to 0");
                return false;
        }
        return true;
}

/* ValidateResourceRequirements for cpu, memory, ephemeral-storage: a request at most its limit. */
static void validate_resources(struct spec_errs *e, const struct pod_container *c, const char *p)
{
        const char *const names[3] = { "cpu", "memory", "ephemeral-storage" };
        const char *lim[3] = { c->cpu_limit, c->memory_limit, c->ephemeral_storage_limit };
        const char *req[3] = { c->cpu_request, c->memory_request, c->ephemeral_storage_request };
        _cleanup_free_ char *lp = xasprintf("%s.resources.limits", p), *rp = xasprintf("%s.resources.requests", p);

        for (int i = 0; i < 3; i++) {
                bool lim_ok = validate_quantity(e, lp, names[i], lim[i]);
                bool req_ok = validate_quantity(e, rp, names[i], req[i]);
                _cleanup_free_ char *why = NULL;
                int cmp;

                if (!lim_ok || !req_ok || pod_quantity_cmp(req[i], lim[i], &cmp) < 0 || cmp <= 0)
                        continue;
                why = xasprintf("must be less than or equal to %s limit of %s", names[i], lim[i]);
                spec_err_invalid_str(e, rp, req[i], why);
        }
}

static void validate_container_fields(struct spec_errs *e, const struct pod_spec *s,
                                      const struct pod_container *c, const char *p)
{
        _cleanup_free_ char *ip = spec_path_key(p, "image"), *pp = spec_path_key(p, "imagePullPolicy");
        _cleanup_free_ char *tp = spec_path_key(p, "terminationMessagePolicy");
        struct pfs_strindex seen;

        if (!c->image || !*c->image)
                spec_err_required(e, ip, NULL);
        else if (has_edge_space(c->image))
                spec_err_invalid_str(e, ip, c->image, "must not have leading or trailing whitespace");
        pfs_strindex_init(&seen, c->n_ports);
        for (size_t i = 0; i < c->n_ports; i++) {
                _cleanup_free_ char *portp = xasprintf("%s.ports[%zu]", p, i);

                validate_port(e, c, i, portp, &seen);
        }
        pfs_strindex_free(&seen);
        spec_validate_env(e, c, p);
        validate_resources(e, c, p);
        spec_validate_resize_policy(e, s, c, p);
        pfs_strindex_init(&seen, c->n_mounts);
        for (size_t i = 0; i < c->n_mounts; i++) {
                _cleanup_free_ char *mp = xasprintf("%s.volumeMounts[%zu]", p, i);

                validate_mount(e, s, c, i, mp, &seen);
        }
        pfs_strindex_free(&seen);
        if (c->image_pull_policy)
                spec_check_enum(e, pp, c->image_pull_policy, spec_pull_policies, ARRAY_SIZE(spec_pull_policies));
        if (c->termination_message_policy && strcmp(c->termination_message_policy, "File") &&
            strcmp(c->termination_message_policy, "FallbackToLogsOnError"))
                spec_err_invalid_str(e, tp, c->termination_message_policy,
                                     "must be 'File' or 'FallbackToLogsOnError'");
}

static void validate_containers(struct spec_errs *e, const struct pod_spec *s)
{
        if (s->n_containers == 0)
                spec_err_required(e, "spec.containers", NULL);
        for (size_t i = 0; i < s->n_containers; i++) {
                const struct pod_container *c = &s->containers[i];
                _cleanup_free_ char *p = spec_path_idx("spec.containers", i);
                _cleanup_free_ char *np = spec_path_key(p, "name");

                if (!c->name || !*c->name) {
                        spec_err_required(e, np, NULL);
                } else {
                        validate_label(e, np, c->name);
                        if (spec_index_container(s, c->name) != (ssize_t)i)
                                spec_err_duplicate(e, np, c->name);
                }
                validate_container_fields(e, s, c, p);
                validate_hooks_and_probes(e, s, c, p);
                if (c->restart_policy) {
                        _cleanup_free_ char *rp = spec_path_key(p, "restartPolicy");

                        /* the API server's words while ContainerRestartRules (KEP-5307) is alpha (1.34) */
                        spec_err_forbidden(e, rp, "may not be set for non-init containers");
                }
        }
}

/* "Always", the only restartPolicy an init container may have: a sidecar. */
static bool validate_init_restart_policy(struct spec_errs *e, const struct pod_container *c, const char *p)
{
        static const char *const always[] = { "Always" };
        _cleanup_free_ char *rp = NULL;

        if (!c->restart_policy)
                return false;
        rp = spec_path_key(p, "restartPolicy");
        return spec_check_enum(e, rp, c->restart_policy, always, 1);
}

/* Hooks and probes belong to sidecars: validated as an app container's. */
static void validate_init_extras(struct spec_errs *e, const struct pod_spec *s,
                                 const struct pod_container *c, const char *p, bool sidecar)
{
        static const char *const keys[] = { "lifecycle", "livenessProbe", "readinessProbe", "startupProbe" };
        const struct yval *ctr = spec_node_at(e->root, p);

        if (c->restart_policy) {
                if (sidecar)
                        validate_hooks_and_probes(e, s, c, p);
                return;
        }
        for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
                const struct yval *v = yval_map_get(ctr, keys[k]);
                _cleanup_free_ char *kp = NULL;

                if (!v || v->type == YVAL_NULL)
                        continue;
                kp = spec_path_key(p, keys[k]);
                spec_err_forbidden(e, kp, "may not be set for init containers without restartPolicy=Always");
        }
}

/* Same rules as containers; names unique across init and app containers. */
static void validate_init_containers(struct spec_errs *e, const struct pod_spec *s)
{
        for (size_t i = 0; i < s->n_init_containers; i++) {
                const struct pod_container *c = &s->init_containers[i];
                _cleanup_free_ char *p = spec_path_idx("spec.initContainers", i);
                _cleanup_free_ char *np = spec_path_key(p, "name");
                bool sidecar;

                if (!c->name || !*c->name) {
                        spec_err_required(e, np, NULL);
                } else {
                        validate_label(e, np, c->name);
                        if (spec_index_container(s, c->name) >= 0 ||
                            spec_index_init_container(s, c->name) != (ssize_t)i)
                                spec_err_duplicate(e, np, c->name);
                }
                validate_container_fields(e, s, c, p);
                sidecar = validate_init_restart_policy(e, c, p);
                /* Init containers run one at a time: the API server checks
                 * each one's ports alone, as a one-element list, and so
                 * names it [0] whichever init container it is. */
                validate_host_ports(e, s->host_network, c, 1, "spec.initContainers", i);
                validate_init_extras(e, s, c, p, sidecar);
        }
}

/* As written: -1 in the document is invalid, not "unset". */
static void validate_active_deadline(struct spec_errs *e)
{
        const struct yval *v = spec_node_at(e->root, "spec.activeDeadlineSeconds");

        if (v && v->type == YVAL_INT && (v->i < 1 || v->i > INT32_MAX))
                spec_err_invalid_int(e, "spec.activeDeadlineSeconds", (long long)v->i,
                                     "must be between 1 and 2147483647, inclusive");
}

/* ---- the pod's network identity (the API server's ValidateHostAliases, validatePodDNSConfig) ---- */

#define IP_MSG "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
#define MAX_DNS_NAMESERVERS 3
#define MAX_DNS_SEARCH_PATHS 32
#define MAX_DNS_SEARCH_LIST_CHARS 2048

/* IPv4 as netutils.ParseIPSloppy reads it: four decimal fields of at most
 * 255, leading zeros allowed (the API server's legacy IP fields, while
 * StrictIPCIDRValidation is off, as by default in v1.34). */
static bool ipv4_sloppy_ok(const char *s)
{
        for (int field = 0; field < 4; field++) {
                unsigned n = 0;
                const char *start = s;

                for (; *s >= '0' && *s <= '9'; s++)
                        if ((n = n * 10 + (unsigned)(*s - '0')) > 255)
                                return false;
                if (s == start || *s != (field < 3 ? '.' : '\0'))
                        return false;
                s += field < 3;
        }
        return true;
}

static void validate_ip(struct spec_errs *e, const char *path, const char *ip)
{
        unsigned char buf[16];

        if (!ip || (!ipv4_sloppy_ok(ip) && inet_pton(AF_INET6, ip, buf) != 1))
                spec_err_invalid_str(e, path, ip ? ip : "", IP_MSG);
}

/* A []string as field.Invalid shows it (Go's %#v): []string{"a", "b"}. */
static void invalid_strv(struct spec_errs *e, const char *path, char *const *v, size_t n, const char *why)
{
        struct pfs_buf b = {0};

        pfs_buf_puts(&b, "[]string{");
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *q = spec_quote(v[i]);

                pfs_buf_printf(&b, "%s%s", i ? ", " : "", q);
        }
        pfs_buf_puts(&b, "}");
        pfs_buf_append(&b, "", 1);
        spec_errs_add(e, path, "Invalid value: %s: %s", b.data, why);
        pfs_buf_free(&b);
}

static void validate_host_aliases(struct spec_errs *e, const struct pod_spec *s)
{
        for (size_t i = 0; i < s->n_host_aliases; i++) {
                const struct pod_host_alias *a = &s->host_aliases[i];
                _cleanup_free_ char *p = xasprintf("spec.hostAliases[%zu]", i), *ip = spec_path_key(p, "ip");

                validate_ip(e, ip, a->ip);
                for (size_t j = 0; j < a->n_hostnames; j++) {
                        _cleanup_free_ char *hp = xasprintf("%s.hostnames[%zu]", p, j);

                        validate_subdomain(e, hp, a->hostnames[j]);
                }
        }
}

/* _?[a-z0-9]([-_a-z0-9]*[a-z0-9])? over s[0..n), then joined by dots */
static bool label_us_chars_ok(const char *s, size_t n)
{
        if (n && s[0] == '_')
                s++, n--;
        if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_lower_alnum(s[i]) && s[i] != '-' && s[i] != '_')
                        return false;
        return true;
}

/* The API server's searches[i] since RelaxedDNSSearchValidation (beta, on
 * by default since v1.33): "." alone is valid, and underscores are. */
static void validate_dns_search(struct spec_errs *e, const char *path, const char *search)
{
        _cleanup_free_ char *v = xstrdup(search);
        size_t n = strlen(v);

        if (!strcmp(v, "."))
                return;
        if (n && v[n - 1] == '.')       /* a trailing dot is fine */
                v[n - 1] = '\0';
        if (strlen(v) > 253)
                spec_err_invalid_str(e, path, v, "must be no more than 253 characters");
        if (!labels_ok(v, label_us_chars_ok))
                spec_err_invalid_str(e, path, v, DNS1123_SUBDOMAIN_US_MSG);
}

static void validate_dns_searches(struct spec_errs *e, const struct pod_dns_config *d)
{
        size_t chars = d->n_searches ? d->n_searches - 1 : 0;

        for (size_t i = 0; i < d->n_searches; i++)
                chars += strlen(d->searches[i]);
        if (d->n_searches > MAX_DNS_SEARCH_PATHS)
                invalid_strv(e, "spec.dnsConfig.searches", d->searches, d->n_searches,
                             "must not have more than 32 search paths");
        if (chars > MAX_DNS_SEARCH_LIST_CHARS)
                invalid_strv(e, "spec.dnsConfig.searches", d->searches, d->n_searches,
                             "must not have more than 2048 characters (including spaces) in the search list");
        for (size_t i = 0; i < d->n_searches; i++) {
                _cleanup_free_ char *p = xasprintf("spec.dnsConfig.searches[%zu]", i);

                validate_dns_search(e, p, d->searches[i]);
        }
}

static void validate_dns_config(struct spec_errs *e, const struct pod_spec *s)
{
        const struct pod_dns_config *d = &s->dns_config;
        const struct yval *spec = yval_map_get(e->root, "spec");

        if (s->dns_policy && !strcmp(s->dns_policy, "None") && !yval_map_get(spec, "dnsConfig")) {
                spec_errs_add_plain(e, "spec.dnsPolicy", "spec.dnsConfig: Required value: must provide "
                                    "`dnsConfig` when `dnsPolicy` is None");
                return;
        }
        if (s->dns_policy && !strcmp(s->dns_policy, "None") && d->present && d->n_nameservers == 0) {
                spec_err_required(e, "spec.dnsConfig.nameservers",
                                  "must provide at least one DNS nameserver when `dnsPolicy` is None");
                return;
        }
        if (!d->present)
                return;
        if (d->n_nameservers > MAX_DNS_NAMESERVERS)
                invalid_strv(e, "spec.dnsConfig.nameservers", d->nameservers, d->n_nameservers,
                             "must not have more than 3 nameservers");
        for (size_t i = 0; i < d->n_nameservers; i++) {
                _cleanup_free_ char *p = xasprintf("spec.dnsConfig.nameservers[%zu]", i);

                validate_ip(e, p, d->nameservers[i]);
        }
        validate_dns_searches(e, d);
        for (size_t i = 0; i < d->n_options; i++)
                if (!d->options[i].name || !*d->options[i].name) {
                        _cleanup_free_ char *p = xasprintf("spec.dnsConfig.options[%zu]", i);

                        spec_err_required(e, p, "must not be empty");
                }
}

/* In ValidatePodSpec's order: dnsPolicy, dnsConfig, activeDeadlineSeconds,
 * hostname, subdomain, hostAliases. */
static void validate_pod_fields(struct spec_errs *e, const struct pod_spec *s)
{
        if (s->dns_policy)
                spec_check_enum(e, "spec.dnsPolicy", s->dns_policy, spec_dns_policies, ARRAY_SIZE(spec_dns_policies));
        if (s->termination_grace_period_seconds < 0)
                spec_err_invalid_int(e, "spec.terminationGracePeriodSeconds",
                                     (long long)s->termination_grace_period_seconds,
                                     "must be greater than or equal to 0");
        validate_dns_config(e, s);
        validate_active_deadline(e);
        if (s->hostname && *s->hostname)
                validate_label(e, "spec.hostname", s->hostname);
        if (s->subdomain && *s->subdomain)
                validate_label(e, "spec.subdomain", s->subdomain);
        validate_host_aliases(e, s);
}

/* POD_MAX_CONTAINERS over containers and init containers together, in
 * field.TooMany's words. Beyond it the containers are not validated one by
 * one: thousands of errors about a pod that is refused anyway help nobody. */
static bool validate_container_count(struct spec_errs *e, const struct pod_spec *s)
{
        if (s->n_containers > POD_MAX_CONTAINERS) {
                spec_errs_add(e, "spec.containers", "Too many: %zu: must have at most %d items", s->n_containers,
                              POD_MAX_CONTAINERS);
                return false;
        }
        if (s->n_containers + s->n_init_containers > POD_MAX_CONTAINERS) {
                spec_errs_add(e, "spec.initContainers", "Too many: %zu: must have at most %zu items",
                              s->n_init_containers, POD_MAX_CONTAINERS - s->n_containers);
                return false;
        }
        return true;
}

void spec_validate(const struct pod_spec *s, struct spec_errs *e)
{
        validate_meta(e, s);
        validate_volumes(e, s);
        if (validate_container_count(e, s)) {
                validate_containers(e, s);
                validate_host_ports(e, s->host_network, s->containers, s->n_containers, "spec.containers", 0);
                validate_init_containers(e, s);
                validate_host_network_ports(e, s);
        }
        validate_pod_fields(e, s);
        if (s->pod_resources) {
                validate_resources(e, s->pod_resources, "spec");
                spec_validate_pod_resources(e, s);
        }
        spec_validate_security(s, e);
        spec_validate_stdio(s, e);
}

bool spec_path_has_backsteps(const char *p)
{
        return path_has_backsteps(p);
}

void spec_validate_qualified_name(struct spec_errs *e, const char *path, const char *v)
{
        validate_qualified_name(e, path, v, v);
}

void spec_validate_label_value(struct spec_errs *e, const char *path, const char *v)
{
        if (strlen(v) > 63)
                spec_err_invalid_str(e, path, v, "must be no more than 63 characters");
        if (*v && !qname_chars_ok(v, strlen(v)))
                spec_err_invalid_str(e, path, v, LABEL_VALUE_MSG);
}

void spec_validate_subdomain(struct spec_errs *e, const char *path, const char *v)
{
        validate_subdomain(e, path, v);
}
