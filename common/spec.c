/* pod_manifest_parse: a manifest stream -> validated, defaulted pods, all or
 * nothing, with errors worded like the API server's and located by line. */
#include <errno.h>
#include <string.h>
#include "spec_internal.h"

static void kv_free(struct pod_kv *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

static void strv_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void handler_free(struct pod_handler *h)
{
        if (!h)
                return;
        strv_free(h->command, h->n_command);
        free(h->path);
        free(h->host);
        free(h->scheme);
        kv_free(h->headers, h->n_headers);
        free(h->port_name);
        free(h->service);
}

static void probe_free(struct pod_probe *p)
{
        if (p)
                handler_free(&p->h);
        free(p);
}

static void key_selector_free(struct pod_key_selector *k)
{
        if (k) {
                free(k->name);
                free(k->key);
        }
        free(k);
}

static void env_source_free(struct pod_env_source *v)
{
        if (!v)
                return;
        if (v->field_ref) {
                free(v->field_ref->api_version);
                free(v->field_ref->field_path);
                free(v->field_ref);
        }
        if (v->resource_field_ref) {
                free(v->resource_field_ref->container_name);
                free(v->resource_field_ref->resource);
                free(v->resource_field_ref->divisor);
                free(v->resource_field_ref);
        }
        key_selector_free(v->config_map_key_ref);
        key_selector_free(v->secret_key_ref);
        free(v);
}

static void env_free(struct pod_container *c)
{
        for (size_t i = 0; i < c->n_env; i++) {
                free(c->env[i].name);
                free(c->env[i].value);
                env_source_free(c->env[i].value_from);
        }
        free(c->env);
        for (size_t i = 0; i < c->n_env_from; i++) {
                free(c->env_from[i].prefix);
                key_selector_free(c->env_from[i].config_map_ref);
                key_selector_free(c->env_from[i].secret_ref);
        }
        free(c->env_from);
}

static void container_free(struct pod_container *c)
{
        free(c->name);
        free(c->image);
        free(c->image_pull_policy);
        strv_free(c->command, c->n_command);
        strv_free(c->args, c->n_args);
        env_free(c);
        free(c->working_dir);
        for (size_t i = 0; i < c->n_mounts; i++) {
                free(c->mounts[i].name);
                free(c->mounts[i].mount_path);
                free(c->mounts[i].sub_path);
                free(c->mounts[i].sub_path_expr);
        }
        free(c->mounts);
        for (size_t i = 0; i < c->n_ports; i++) {
                free(c->ports[i].name);
                free(c->ports[i].protocol);
                free(c->ports[i].host_ip);
        }
        free(c->ports);
        free(c->termination_message_path);
        free(c->termination_message_policy);
        free(c->restart_policy);
        free(c->stop_signal);
        handler_free(c->post_start);
        free(c->post_start);
        handler_free(c->pre_stop);
        free(c->pre_stop);
        probe_free(c->liveness);
        probe_free(c->readiness);
        probe_free(c->startup);
        free(c->cpu_limit);
        free(c->memory_limit);
        free(c->cpu_request);
        free(c->memory_request);
        free(c->ephemeral_storage_limit);
        free(c->ephemeral_storage_request);
        pod_security_context_free(c->security);
        spec_resize_policy_free(c);
}

void pod_spec_free(struct pod_spec *s)
{
        if (!s)
                return;
        free(s->name);
        free(s->namespace);
        kv_free(s->labels, s->n_labels);
        kv_free(s->annotations, s->n_annotations);
        for (size_t i = 0; i < s->n_containers; i++)
                container_free(&s->containers[i]);
        free(s->containers);
        for (size_t i = 0; i < s->n_init_containers; i++)
                container_free(&s->init_containers[i]);
        free(s->init_containers);
        for (size_t i = 0; i < s->n_image_pull_secrets; i++)
                free(s->image_pull_secrets[i]);
        free(s->image_pull_secrets);
        for (size_t i = 0; i < s->n_volumes; i++) {
                free(s->volumes[i].name);
                free(s->volumes[i].medium);
                free(s->volumes[i].size_limit);
                free(s->volumes[i].host_path);
                free(s->volumes[i].host_path_type);
                spec_volsrc_free(&s->volumes[i]);
        }
        free(s->volumes);
        for (size_t i = 0; i < s->n_host_aliases; i++) {
                free(s->host_aliases[i].ip);
                strv_free(s->host_aliases[i].hostnames, s->host_aliases[i].n_hostnames);
        }
        free(s->host_aliases);
        strv_free(s->dns_config.nameservers, s->dns_config.n_nameservers);
        strv_free(s->dns_config.searches, s->dns_config.n_searches);
        for (size_t i = 0; i < s->dns_config.n_options; i++) {
                free(s->dns_config.options[i].name);
                free(s->dns_config.options[i].value);
        }
        free(s->dns_config.options);
        free(s->subdomain);
        free(s->hostname);
        free(s->dns_policy);
        free(s->scheduler_name);
        if (s->pod_resources) {
                container_free(s->pod_resources);
                free(s->pod_resources);
        }
        yval_free(s->node_selector);
        yval_free(s->affinity);
        yval_free(s->tolerations);
        yval_free(s->topology_spread_constraints);
        yval_free(s->scheduling_gates);
        free(s->node_name);
        free(s->os_name);
        free(s->priority_class_name);
        free(s->preemption_policy);
        pod_security_context_free(s->security);
        free(s->source);
        spec_index_free(s->index);
        free(s);
}

void pod_spec_free_array(struct pod_spec **pods, size_t n)
{
        if (!pods)
                return;
        for (size_t i = 0; i < n; i++)
                pod_spec_free(pods[i]);
        free(pods);
}

bool pod_spec_is_gated(const struct pod_spec *s)
{
        return s->scheduling_gates && s->scheduling_gates->type == YVAL_LIST && s->scheduling_gates->list.n > 0;
}

const char *pod_spec_path_image(const struct pod_spec *s)
{
        for (size_t i = 0; i < s->n_containers; i++)
                if (s->containers[i].image && s->containers[i].image[0] == '/')
                        return s->containers[i].image;
        for (size_t i = 0; i < s->n_init_containers; i++)
                if (s->init_containers[i].image && s->init_containers[i].image[0] == '/')
                        return s->init_containers[i].image;
        for (size_t i = 0; i < s->n_volumes; i++)
                if (s->volumes[i].kind == POD_VOLUME_IMAGE && s->volumes[i].reference &&
                    s->volumes[i].reference[0] == '/')
                        return s->volumes[i].reference;
        return NULL;
}

bool pod_container_is_sidecar(const struct pod_container *c)
{
        return c->restart_policy && !strcmp(c->restart_policy, "Always");
}

const char *pod_restart_policy_name(enum pod_restart_policy p)
{
        if ((size_t)p < ARRAY_SIZE(spec_restart_policies))
                return spec_restart_policies[p];
        return "Always";
}

const struct pod_container *pod_spec_find_container(const struct pod_spec *spec, const char *name)
{
        ssize_t i = spec_index_container(spec, name);

        return i < 0 ? NULL : &spec->containers[i];
}

const struct pod_container *pod_spec_find_any_container(const struct pod_spec *spec, const char *name,
                                                        bool *ret_is_init)
{
        const struct pod_container *c = pod_spec_find_container(spec, name);
        ssize_t i;

        if (c) {
                if (ret_is_init)
                        *ret_is_init = false;
                return c;
        }
        i = spec_index_init_container(spec, name);
        if (i < 0)
                return NULL;
        if (ret_is_init)
                *ret_is_init = true;
        return &spec->init_containers[i];
}

int32_t pod_handler_port(const struct pod_container *c, const struct pod_handler *h)
{
        if (!h->port_name)
                return h->port;
        for (size_t i = 0; i < c->n_ports; i++)
                if (c->ports[i].name && !strcmp(c->ports[i].name, h->port_name))
                        return c->ports[i].container_port;
        return -1;
}

/* Namespace and name from the directory the manifest was written to. */
static void apply_hints(struct spec_errs *e, struct pod_spec *s, const char *ns_hint, const char *name_hint)
{
        if (!s->namespace || !*s->namespace) {
                free(s->namespace);
                s->namespace = xstrdup(ns_hint ? ns_hint : "default");
        } else if (ns_hint && strcmp(s->namespace, ns_hint)) {
                _cleanup_free_ char *why = xasprintf("the namespace of the object does not match the "
                                                     "namespace of the directory it was written to (%s)", ns_hint);

                spec_err_invalid_str(e, "metadata.namespace", s->namespace, why);
        }
        if (!s->name || !*s->name) {
                free(s->name);
                s->name = name_hint ? xstrdup(name_hint) : NULL;
        } else if (name_hint && strcmp(s->name, name_hint)) {
                _cleanup_free_ char *why = xasprintf("the name of the object does not match the name of "
                                                     "the pod directory it was written to (%s)", name_hint);

                spec_err_invalid_str(e, "metadata.name", s->name, why);
        }
}

/* The API server reports metadata, then volumes, then containers, then the
 * rest of the spec; decoding and validation find them in another order. */
static const char *const err_order[] = { "apiVersion", "kind", "unknown field", "metadata",
                                         "spec.volumes", "spec.containers", "spec.initContainers" };
#define ERR_RANKS (ARRAY_SIZE(err_order) + 1)

static int err_rank(const struct spec_err *e)
{
        if (e->late)
                return (int)ARRAY_SIZE(err_order);
        for (size_t i = 0; i < ARRAY_SIZE(err_order); i++)
                if (!strncmp(e->msg, err_order[i], strlen(err_order[i])))
                        return (int)i;
        return (int)ARRAY_SIZE(err_order);
}

/* Stable, and linear: a hostile manifest can carry thousands of errors. */
static void errs_sort(struct spec_errs *e)
{
        size_t start[ERR_RANKS + 1] = { 0 };
        struct spec_err *sorted = xcalloc(e->n ? e->n : 1, sizeof(*sorted));
        int *rank = xcalloc(e->n ? e->n : 1, sizeof(*rank));

        for (size_t i = 0; i < e->n; i++) {
                rank[i] = err_rank(&e->v[i]);
                start[rank[i] + 1]++;
        }
        for (size_t r = 0; r < ERR_RANKS; r++)
                start[r + 1] += start[r];
        for (size_t i = 0; i < e->n; i++)
                sorted[start[rank[i]]++] = e->v[i];
        free(e->v);
        free(rank);
        e->v = sorted;
}

/* "FILE: line N: Pod "x" is invalid: a" or "...: [a, b]". */
static int errs_to_error(const struct spec_errs *e, const char *filename, const char *kind, const char *name,
                         struct pfs_error *err)
{
        struct pfs_buf b = { 0 };
        _cleanup_free_ char *q = spec_quote(name ? name : "");
        int r;

        if (filename)
                pfs_buf_printf(&b, "%s: line %d: ", filename, e->v[0].line);
        pfs_buf_printf(&b, "%s %s is invalid: %s", kind, q, e->n > 1 ? "[" : "");
        for (size_t i = 0; i < e->n; i++) {
                /* Whole errors only: the message must fit struct pfs_error. */
                if (i > 0 && b.len + strlen(e->v[i].msg) + 32 >= sizeof(err->msg)) {
                        pfs_buf_printf(&b, ", and %zu more", e->n - i);
                        break;
                }
                pfs_buf_printf(&b, "%s%s", i ? ", " : "", e->v[i].msg);
        }
        if (e->n > 1)
                pfs_buf_puts(&b, "]");
        r = pfs_error_set(err, EINVAL, "%s", b.data);
        pfs_buf_free(&b);
        return r;
}

int spec_errs_report(struct spec_errs *e, const char *filename, const char *kind, const char *name,
                     struct pfs_error *err)
{
        int r;

        errs_sort(e);
        r = errs_to_error(e, filename, kind, name, err);
        spec_errs_clear(e);
        return r;
}

/* The document's text for spec.yaml, without a leading "---" line. */
static void set_source(struct pod_spec *s, const char *text, const struct ydoc *d)
{
        size_t start = d->start;

        if (d->end - start >= 4 && !memcmp(text + start, "---", 3) &&
            (text[start + 3] == '\n' || (text[start + 3] == '\r' && d->end - start >= 5 && text[start + 4] == '\n')))
                start += text[start + 3] == '\n' ? 4 : 5;
        s->source = xstrndup(text + start, d->end - start);
        s->source_len = d->end - start;
        s->source_line = d->line;
}

int spec_parse_pod_document(const char *text, const struct ydoc *d, const char *filename, const char *ns_hint,
                            const char *name_hint, bool any_kind, struct pod_spec **ret, struct pfs_error *err)
{
        struct spec_errs e = { .root = d->root, .any_kind = any_kind };
        struct pod_spec *s = xcalloc(1, sizeof(*s));
        int r = 0;

        spec_decode(d->root, s, &e);
        spec_index_build(s);
        /* Like the API server: a manifest that does not decode is not validated
         * (a misspelt field would only add a spurious "Required value"). */
        if (e.n_fatal == 0) {
                apply_hints(&e, s, ns_hint, name_hint);
                /* the priority admission plugin runs before validation, as in the API server */
                if (spec_sched_admit(s, filename, err) < 0) {
                        spec_errs_clear(&e);
                        pod_spec_free(s);
                        return -err->code;
                }
                spec_apply_defaults(s);
                spec_apparmor_sync(s);
                spec_validate(s, &e);
        }
        if (e.n > 0) {
                r = spec_errs_report(&e, filename, "Pod", s->name, err);
                pod_spec_free(s);
                return r;
        }
        set_source(s, text, d);
        *ret = s;
        return 0;
}

/* Two documents of one stream naming the same pod: the second is an error. */
static int check_duplicate(struct pod_spec **pods, size_t n, const struct ydoc *d, const char *filename,
                           struct pfs_error *err)
{
        const struct pod_spec *s = pods[n];

        for (size_t j = 0; j < n; j++) {
                if (strcmp(s->name, pods[j]->name) || strcmp(s->namespace, pods[j]->namespace))
                        continue;
                return pfs_error_set(err, EINVAL,
                                     "%s: line %d: Pod \"%s\" is invalid: metadata.name: Duplicate value: "
                                     "\"%s\": the document at line %d has the same name",
                                     filename, spec_line_of(d->root, "metadata.name"), s->name, s->name,
                                     pods[j]->source_line);
        }
        return 0;
}

static int parse_documents(const char *text, const struct ydoc *docs, size_t n_docs, const char *filename,
                           const char *ns_hint, const char *name_hint, struct pod_spec ***ret_pods,
                           size_t *ret_n, struct pfs_error *err)
{
        struct pod_spec **pods;
        size_t n = 0, n_pods = 0;
        int r = 0;

        /* Each pod of a manifest is made durable and started within the one
         * request that applies it: bounded, so that no write blocks the mount. */
        for (size_t i = 0; i < n_docs; i++)
                n_pods += docs[i].root != NULL;
        if (n_pods > POD_MAX_PER_MANIFEST)
                return pfs_error_set(err, EINVAL, "%s: Too many: %zu documents: must have at most %d Pods in one "
                                     "manifest (write the others as separate files)", filename, n_pods,
                                     POD_MAX_PER_MANIFEST);
        pods = xcalloc(n_docs + 1, sizeof(*pods));

        for (size_t i = 0; i < n_docs && r == 0; i++) {
                if (!docs[i].root)
                        continue;
                r = spec_parse_pod_document(text, &docs[i], filename, ns_hint, name_hint, false, &pods[n], err);
                if (r == 0)
                        n++;
                if (r == 0)
                        r = check_duplicate(pods, n - 1, &docs[i], filename, err);
        }
        if (r == 0 && n == 0)
                r = pfs_error_set(err, EINVAL, "%s: no Pod in the manifest (it is empty)", filename);
        if (r < 0) {
                pod_spec_free_array(pods, n);
                return r;
        }
        *ret_pods = pods;
        *ret_n = n;
        return 0;
}

int pod_manifest_parse(const char *text, size_t len, const char *filename, const char *ns_hint,
                       const char *name_hint, struct pod_spec ***ret_pods, size_t *ret_n,
                       struct pfs_error *err)
{
        struct ydoc *docs = NULL;
        struct pfs_error local;
        size_t n_docs = 0;
        int r;

        if (!err)
                err = &local;
        if (!filename)
                filename = "manifest";
        r = yval_parse_stream(text, len, &docs, &n_docs, err);
        if (r < 0)
                return pfs_error_wrap(err, "%s", filename);
        r = parse_documents(text, docs, n_docs, filename, ns_hint, name_hint, ret_pods, ret_n, err);
        ydoc_free_array(docs, n_docs);
        return r;
}
