/* The API server's defaults for a Pod, the defaulted spec as the Kubernetes
 * JSON object (field order of the Go types), and semantic equality. */
#include <string.h>
#include "spec_internal.h"
#include "pfs/status.h"

/* The image's tag as the kubelet's ParseImageName sees it: "latest" when the
 * reference has neither tag nor digest, "" when it has only a digest. */
char *spec_image_tag(const char *image)
{
        const char *last = strrchr(image, '/'), *at, *colon;

        last = last ? last + 1 : image;
        at = strchr(last, '@');
        colon = strchr(last, ':');
        if (colon && (!at || colon < at))
                return at ? xstrndup(colon + 1, (size_t)(at - colon - 1)) : xstrdup(colon + 1);
        return xstrdup(at ? "" : "latest");
}

static void set_default(char **field, const char *value)
{
        if (!*field || !**field) {
                free(*field);
                *field = xstrdup(value);
        }
}

static void handler_defaults(struct pod_handler *h)
{
        if (!h)
                return;
        if (h->kind == POD_HANDLER_HTTP_GET) {
                set_default(&h->path, "/");
                set_default(&h->scheme, "HTTP");
        }
        if (h->kind == POD_HANDLER_GRPC && !h->service)
                h->service = xstrdup("");
}

static void set_default_int(int32_t *field, int32_t value)
{
        if (*field == 0)
                *field = value;
}

/* SetDefaults_Probe: 0 (absent) takes the default; negative stays (invalid). */
static void probe_defaults(struct pod_probe *p)
{
        if (!p)
                return;
        handler_defaults(&p->h);
        set_default_int(&p->timeout_seconds, 1);
        set_default_int(&p->period_seconds, 10);
        set_default_int(&p->success_threshold, 1);
        set_default_int(&p->failure_threshold, 3);
}

static void container_defaults(struct pod_container *c)
{
        if ((!c->image_pull_policy || !*c->image_pull_policy) && c->image) {
                _cleanup_free_ char *tag = spec_image_tag(c->image);

                set_default(&c->image_pull_policy, !strcmp(tag, "latest") ? "Always" : "IfNotPresent");
        }
        set_default(&c->termination_message_path, "/dev/termination-log");
        set_default(&c->termination_message_policy, "File");
        for (size_t i = 0; i < c->n_ports; i++)
                set_default(&c->ports[i].protocol, "TCP");
        for (size_t i = 0; i < c->n_env; i++) {
                if (!c->env[i].value)
                        c->env[i].value = xstrdup("");
                if (c->env[i].value_from && c->env[i].value_from->field_ref)
                        set_default(&c->env[i].value_from->field_ref->api_version, "v1");
        }
        handler_defaults(c->post_start);
        handler_defaults(c->pre_stop);
        probe_defaults(c->liveness);
        probe_defaults(c->readiness);
        probe_defaults(c->startup);
        /* An unset request defaults to the limit. */
        if (!c->cpu_request && c->cpu_limit)
                c->cpu_request = xstrdup(c->cpu_limit);
        if (!c->memory_request && c->memory_limit)
                c->memory_request = xstrdup(c->memory_limit);
        if (!c->ephemeral_storage_request && c->ephemeral_storage_limit)
                c->ephemeral_storage_request = xstrdup(c->ephemeral_storage_limit);
}

void spec_apply_defaults(struct pod_spec *s)
{
        for (size_t i = 0; i < s->n_containers; i++)
                container_defaults(&s->containers[i]);
        for (size_t i = 0; i < s->n_init_containers; i++)
                container_defaults(&s->init_containers[i]);
        for (size_t i = 0; i < s->n_volumes; i++) {
                struct pod_volume *v = &s->volumes[i];

                if (v->kind == POD_VOLUME_HOST_PATH && !v->host_path_type)
                        v->host_path_type = xstrdup("");
                if (v->kind == POD_VOLUME_EMPTY_DIR && !v->medium)
                        v->medium = xstrdup("");
                spec_volsrc_defaults(v);
        }
        set_default(&s->dns_policy, "ClusterFirst");
        set_default(&s->scheduler_name, "default-scheduler");
        if (s->hostname && !*s->hostname) {
                free(s->hostname);
                s->hostname = NULL;
        }
}

static struct yval *strv_to_yval(char *const *v, size_t n)
{
        struct yval *l = yval_new_list();

        for (size_t i = 0; i < n; i++)
                yval_list_push(l, yval_new_str(v[i]));
        return l;
}

static void ports_to_yval(const struct pod_container *c, bool host_network, struct yval *ctr)
{
        struct yval *l = yval_map_set(ctr, "ports", yval_new_list());

        for (size_t i = 0; i < c->n_ports; i++) {
                struct yval *p = yval_list_push(l, yval_new_map());

                if (c->ports[i].name && *c->ports[i].name)
                        yval_map_set(p, "name", yval_new_str(c->ports[i].name));
                /* with hostNetwork the API server defaults an unset hostPort to
                 * containerPort (an init container's may differ) */
                if (c->ports[i].host_port)
                        yval_map_set(p, "hostPort", yval_new_int(c->ports[i].host_port));
                else if (host_network)
                        yval_map_set(p, "hostPort", yval_new_int(c->ports[i].container_port));
                yval_map_set(p, "containerPort", yval_new_int(c->ports[i].container_port));
                yval_map_set(p, "protocol", yval_new_str(c->ports[i].protocol ? c->ports[i].protocol : "TCP"));
                if (c->ports[i].host_ip && *c->ports[i].host_ip)
                        yval_map_set(p, "hostIP", yval_new_str(c->ports[i].host_ip));
        }
}

static void map_set_str_opt(struct yval *map, const char *key, const char *value);

static void key_ref_to_yval(struct yval *parent, const char *key, const struct pod_key_selector *k)
{
        struct yval *m;

        if (!k)
                return;
        m = yval_map_set(parent, key, yval_new_map());
        yval_map_set(m, "name", yval_new_str(k->name ? k->name : ""));
        if (k->key)
                yval_map_set(m, "key", yval_new_str(k->key));
        if (k->optional_set)
                yval_map_set(m, "optional", yval_new_bool(k->optional));
}

static void value_from_to_yval(struct yval *e, const struct pod_env_source *v)
{
        struct yval *m = yval_map_set(e, "valueFrom", yval_new_map()), *f;

        if (v->field_ref) {
                f = yval_map_set(m, "fieldRef", yval_new_map());
                yval_map_set(f, "apiVersion", yval_new_str(v->field_ref->api_version ? v->field_ref->api_version : "v1"));
                yval_map_set(f, "fieldPath", yval_new_str(v->field_ref->field_path ? v->field_ref->field_path : ""));
        }
        if (v->resource_field_ref) {
                const struct pod_resource_selector *r = v->resource_field_ref;
                const char *div = spec_divisor_canonical(r->resource ? r->resource : "", r->divisor);

                f = yval_map_set(m, "resourceFieldRef", yval_new_map());
                map_set_str_opt(f, "containerName", r->container_name);
                yval_map_set(f, "resource", yval_new_str(r->resource ? r->resource : ""));
                yval_map_set(f, "divisor", yval_new_str(div ? div : r->divisor));
        }
        key_ref_to_yval(m, "configMapKeyRef", v->config_map_key_ref);
        key_ref_to_yval(m, "secretKeyRef", v->secret_key_ref);
}

static void env_to_yval(const struct pod_container *c, struct yval *ctr)
{
        struct yval *l = yval_map_set(ctr, "env", yval_new_list());

        for (size_t i = 0; i < c->n_env; i++) {
                struct yval *e = yval_list_push(l, yval_new_map());

                yval_map_set(e, "name", yval_new_str(c->env[i].name));
                if (c->env[i].value && *c->env[i].value)
                        yval_map_set(e, "value", yval_new_str(c->env[i].value));
                if (c->env[i].value_from)
                        value_from_to_yval(e, c->env[i].value_from);
        }
}

static void env_from_to_yval(const struct pod_container *c, struct yval *ctr)
{
        struct yval *l = yval_map_set(ctr, "envFrom", yval_new_list());

        for (size_t i = 0; i < c->n_env_from; i++) {
                struct yval *e = yval_list_push(l, yval_new_map());

                if (c->env_from[i].prefix && *c->env_from[i].prefix)
                        yval_map_set(e, "prefix", yval_new_str(c->env_from[i].prefix));
                key_ref_to_yval(e, "configMapRef", c->env_from[i].config_map_ref);
                key_ref_to_yval(e, "secretRef", c->env_from[i].secret_ref);
        }
}

static void mounts_to_yval(const struct pod_container *c, struct yval *ctr)
{
        struct yval *l = yval_map_set(ctr, "volumeMounts", yval_new_list());

        for (size_t i = 0; i < c->n_mounts; i++) {
                const struct pod_volume_mount *m = &c->mounts[i];
                struct yval *y = yval_list_push(l, yval_new_map());

                yval_map_set(y, "name", yval_new_str(m->name));
                if (m->read_only)
                        yval_map_set(y, "readOnly", yval_new_bool(true));
                yval_map_set(y, "mountPath", yval_new_str(m->mount_path));
                if (m->sub_path)
                        yval_map_set(y, "subPath", yval_new_str(m->sub_path));
                if (m->sub_path_expr)
                        yval_map_set(y, "subPathExpr", yval_new_str(m->sub_path_expr));
        }
}

static void map_set_str_opt(struct yval *map, const char *key, const char *value)
{
        if (value)
                yval_map_set(map, key, yval_new_str(value));
}

static struct yval *port_ref_to_yval(const struct pod_handler *h)
{
        return h->port_name ? yval_new_str(h->port_name) : yval_new_int(h->port);
}

static struct yval *http_get_to_yval(const struct pod_handler *h)
{
        struct yval *y = yval_new_map(), *l;

        if (h->path && *h->path)
                yval_map_set(y, "path", yval_new_str(h->path));
        yval_map_set(y, "port", port_ref_to_yval(h));
        if (h->host && *h->host)
                yval_map_set(y, "host", yval_new_str(h->host));
        map_set_str_opt(y, "scheme", h->scheme);
        if (h->n_headers) {
                l = yval_map_set(y, "httpHeaders", yval_new_list());
                for (size_t i = 0; i < h->n_headers; i++) {
                        struct yval *hd = yval_list_push(l, yval_new_map());

                        yval_map_set(hd, "name", yval_new_str(h->headers[i].key));
                        yval_map_set(hd, "value", yval_new_str(h->headers[i].value));
                }
        }
        return y;
}

static struct yval *action_to_yval(const struct pod_handler *h)
{
        struct yval *y = yval_new_map();

        switch (h->kind) {
        case POD_HANDLER_EXEC:
                if (h->n_command)
                        yval_map_set(y, "command", strv_to_yval(h->command, h->n_command));
                break;
        case POD_HANDLER_HTTP_GET:
                yval_free(y);
                return http_get_to_yval(h);
        case POD_HANDLER_TCP_SOCKET:
                yval_map_set(y, "port", port_ref_to_yval(h));
                if (h->host && *h->host)
                        yval_map_set(y, "host", yval_new_str(h->host));
                break;
        case POD_HANDLER_GRPC:
                yval_map_set(y, "port", yval_new_int(h->port));
                yval_map_set(y, "service", yval_new_str(h->service ? h->service : ""));
                break;
        case POD_HANDLER_SLEEP:
                yval_map_set(y, "seconds", yval_new_int(h->seconds));
                break;
        case POD_HANDLER_NONE:
                break;
        }
        return y;
}

/* The handler's action as its one member ("exec", "httpGet", ...) of map. */
static void handler_to_yval(const struct pod_handler *h, struct yval *map)
{
        const char *key = spec_handler_key(h->kind);

        if (key)
                yval_map_set(map, key, action_to_yval(h));
}

static struct yval *probe_to_yval(const struct pod_probe *p)
{
        struct yval *y = yval_new_map();

        handler_to_yval(&p->h, y);
        if (p->initial_delay_seconds)
                yval_map_set(y, "initialDelaySeconds", yval_new_int(p->initial_delay_seconds));
        yval_map_set(y, "timeoutSeconds", yval_new_int(p->timeout_seconds));
        yval_map_set(y, "periodSeconds", yval_new_int(p->period_seconds));
        yval_map_set(y, "successThreshold", yval_new_int(p->success_threshold));
        yval_map_set(y, "failureThreshold", yval_new_int(p->failure_threshold));
        if (p->termination_grace_period_seconds != -1)
                yval_map_set(y, "terminationGracePeriodSeconds", yval_new_int(p->termination_grace_period_seconds));
        return y;
}

static void hooks_and_probes_to_yval(const struct pod_container *c, struct yval *ctr)
{
        struct yval *l;

        if (c->liveness)
                yval_map_set(ctr, "livenessProbe", probe_to_yval(c->liveness));
        if (c->readiness)
                yval_map_set(ctr, "readinessProbe", probe_to_yval(c->readiness));
        if (c->startup)
                yval_map_set(ctr, "startupProbe", probe_to_yval(c->startup));
        if (!c->post_start && !c->pre_stop && !c->stop_signal)
                return;
        l = yval_map_set(ctr, "lifecycle", yval_new_map());
        if (c->post_start)
                handler_to_yval(c->post_start, yval_map_set(l, "postStart", yval_new_map()));
        if (c->pre_stop)
                handler_to_yval(c->pre_stop, yval_map_set(l, "preStop", yval_new_map()));
        if (c->stop_signal)
                yval_map_set(l, "stopSignal", yval_new_str(c->stop_signal));
}

/* Field order of the Go Container type, omitempty as the API server does. */
/* {limits: {cpu, ephemeral-storage, memory}, requests: {...}}, keys sorted as the API server writes maps. */
static struct yval *resources_to_yval(const struct pod_container *c)
{
        const char *const q[2][3] = { { c->cpu_limit, c->ephemeral_storage_limit, c->memory_limit },
                                      { c->cpu_request, c->ephemeral_storage_request, c->memory_request } };
        const char *const keys[2] = { "limits", "requests" };
        struct yval *y = yval_new_map();

        for (int i = 0; i < 2; i++) {
                struct yval *m;

                if (!q[i][0] && !q[i][1] && !q[i][2])
                        continue;
                m = yval_map_set(y, keys[i], yval_new_map());
                map_set_str_opt(m, "cpu", q[i][0]);
                map_set_str_opt(m, "ephemeral-storage", q[i][1]);
                map_set_str_opt(m, "memory", q[i][2]);
        }
        return y;
}

static struct yval *container_to_yval(const struct pod_container *c, bool host_network)
{
        struct yval *y = yval_new_map();

        yval_map_set(y, "name", yval_new_str(c->name));
        yval_map_set(y, "image", yval_new_str(c->image));
        if (c->n_command)
                yval_map_set(y, "command", strv_to_yval(c->command, c->n_command));
        if (c->n_args)
                yval_map_set(y, "args", strv_to_yval(c->args, c->n_args));
        map_set_str_opt(y, "workingDir", c->working_dir);
        if (c->n_ports)
                ports_to_yval(c, host_network, y);
        if (c->n_env_from)
                env_from_to_yval(c, y);
        if (c->n_env)
                env_to_yval(c, y);
        yval_map_set(y, "resources", resources_to_yval(c));
        if (c->n_resize_policy)
                yval_map_set(y, "resizePolicy", spec_resize_policy_to_yval(c));
        if (c->n_mounts)
                mounts_to_yval(c, y);
        hooks_and_probes_to_yval(c, y);
        map_set_str_opt(y, "terminationMessagePath", c->termination_message_path);
        map_set_str_opt(y, "terminationMessagePolicy", c->termination_message_policy);
        map_set_str_opt(y, "imagePullPolicy", c->image_pull_policy);
        map_set_str_opt(y, "restartPolicy", c->restart_policy);
        if (c->security)
                yval_map_set(y, "securityContext", spec_container_security_to_yval(c->security));
        spec_container_stdio_to_yval(c, y);
        return y;
}

static struct yval *volume_to_yval(const struct pod_volume *v)
{
        struct yval *y = yval_new_map(), *src;

        yval_map_set(y, "name", yval_new_str(v->name));
        if (v->kind >= POD_VOLUME_CONFIG_MAP)
                return spec_volsrc_to_yval(v, y);
        if (v->kind == POD_VOLUME_HOST_PATH) {
                src = yval_map_set(y, "hostPath", yval_new_map());
                yval_map_set(src, "path", yval_new_str(v->host_path));
                yval_map_set(src, "type", yval_new_str(v->host_path_type ? v->host_path_type : ""));
        } else {
                src = yval_map_set(y, "emptyDir", yval_new_map());
                if (v->medium && *v->medium)
                        yval_map_set(src, "medium", yval_new_str(v->medium));
                map_set_str_opt(src, "sizeLimit", v->size_limit);
        }
        return y;
}

static void dns_config_to_yval(const struct pod_dns_config *d, struct yval *y)
{
        struct yval *m = yval_map_set(y, "dnsConfig", yval_new_map());

        if (d->n_nameservers)
                yval_map_set(m, "nameservers", strv_to_yval(d->nameservers, d->n_nameservers));
        if (d->n_searches)
                yval_map_set(m, "searches", strv_to_yval(d->searches, d->n_searches));
        if (d->n_options) {
                struct yval *l = yval_map_set(m, "options", yval_new_list());

                for (size_t i = 0; i < d->n_options; i++) {
                        struct yval *o = yval_list_push(l, yval_new_map());

                        map_set_str_opt(o, "name", d->options[i].name);
                        map_set_str_opt(o, "value", d->options[i].value);
                }
        }
}

/* subdomain, setHostnameAsFQDN, hostAliases, dnsConfig: shown as written. */
static void net_identity_to_yval(const struct pod_spec *s, struct yval *y)
{
        map_set_str_opt(y, "subdomain", s->subdomain);
        if (s->set_hostname_as_fqdn)
                yval_map_set(y, "setHostnameAsFQDN", yval_new_bool(true));
        if (s->n_host_aliases) {
                struct yval *l = yval_map_set(y, "hostAliases", yval_new_list());

                for (size_t i = 0; i < s->n_host_aliases; i++) {
                        struct yval *a = yval_list_push(l, yval_new_map());

                        map_set_str_opt(a, "ip", s->host_aliases[i].ip);
                        if (s->host_aliases[i].n_hostnames)
                                yval_map_set(a, "hostnames",
                                             strv_to_yval(s->host_aliases[i].hostnames, s->host_aliases[i].n_hostnames));
                }
        }
        if (s->dns_config.present)
                dns_config_to_yval(&s->dns_config, y);
}

static void pod_fields_to_yval(const struct pod_spec *s, struct yval *y)
{
        yval_map_set(y, "restartPolicy", yval_new_str(pod_restart_policy_name(s->restart_policy)));
        yval_map_set(y, "terminationGracePeriodSeconds", yval_new_int(s->termination_grace_period_seconds));
        if (s->active_deadline_seconds != -1)
                yval_map_set(y, "activeDeadlineSeconds", yval_new_int(s->active_deadline_seconds));
        if (s->n_image_pull_secrets > 0) {
                struct yval *l = yval_map_set(y, "imagePullSecrets", yval_new_list());

                for (size_t i = 0; i < s->n_image_pull_secrets; i++)
                        yval_map_set(yval_list_push(l, yval_new_map()), "name", yval_new_str(s->image_pull_secrets[i]));
        }
        yval_map_set(y, "dnsPolicy", yval_new_str(s->dns_policy ? s->dns_policy : "ClusterFirst"));
        if (s->node_selector)
                yval_map_set(y, "nodeSelector", yval_clone(s->node_selector));
        map_set_str_opt(y, "nodeName", s->node_name);
        if (s->host_network)
                yval_map_set(y, "hostNetwork", yval_new_bool(true));
        if (s->share_process_namespace)
                yval_map_set(y, "shareProcessNamespace", yval_new_bool(true));
        if (s->host_pid)
                yval_map_set(y, "hostPID", yval_new_bool(true));
        if (s->host_ipc)
                yval_map_set(y, "hostIPC", yval_new_bool(true));
        yval_map_set(y, "securityContext", spec_pod_security_to_yval(s->security));
        map_set_str_opt(y, "hostname", s->hostname);
        if (s->host_users_set)
                yval_map_set(y, "hostUsers", yval_new_bool(!s->userns));
        net_identity_to_yval(s, y);
        if (s->affinity)
                yval_map_set(y, "affinity", yval_clone(s->affinity));
        yval_map_set(y, "schedulerName", yval_new_str(s->scheduler_name ? s->scheduler_name : "default-scheduler"));
        if (s->tolerations)
                yval_map_set(y, "tolerations", yval_clone(s->tolerations));
        map_set_str_opt(y, "priorityClassName", s->priority_class_name);
        yval_map_set(y, "priority", yval_new_int(s->priority));
        yval_map_set(y, "enableServiceLinks", yval_new_bool(s->enable_service_links));
        yval_map_set(y, "preemptionPolicy", yval_new_str("PreemptLowerPriority"));
        if (s->topology_spread_constraints)
                yval_map_set(y, "topologySpreadConstraints", yval_clone(s->topology_spread_constraints));
        if (s->os_name)
                yval_map_set(yval_map_set(y, "os", yval_new_map()), "name", yval_new_str(s->os_name));
        if (s->scheduling_gates)
                yval_map_set(y, "schedulingGates", yval_clone(s->scheduling_gates));
        if (s->pod_resources)
                yval_map_set(y, "resources", resources_to_yval(s->pod_resources));
}

struct yval *pod_spec_to_yval(const struct pod_spec *s)
{
        struct yval *y = yval_new_map(), *l;

        if (s->n_volumes) {
                l = yval_map_set(y, "volumes", yval_new_list());
                for (size_t i = 0; i < s->n_volumes; i++)
                        yval_list_push(l, volume_to_yval(&s->volumes[i]));
        }
        if (s->n_init_containers) {
                l = yval_map_set(y, "initContainers", yval_new_list());
                for (size_t i = 0; i < s->n_init_containers; i++)
                        yval_list_push(l, container_to_yval(&s->init_containers[i], s->host_network));
        }
        l = yval_map_set(y, "containers", yval_new_list());
        for (size_t i = 0; i < s->n_containers; i++)
                yval_list_push(l, container_to_yval(&s->containers[i], s->host_network));
        pod_fields_to_yval(s, y);
        return y;
}

static struct yval *kv_to_yval(const struct pod_kv *kv, size_t n)
{
        struct yval *m = yval_new_map();

        for (size_t i = 0; i < n; i++)
                yval_map_set(m, kv[i].key, yval_new_str(kv[i].value));
        return m;
}

static bool str_equal(const char *a, const char *b)
{
        return a && b ? !strcmp(a, b) : a == b;
}

/* The quantities of a map ({cpu: 1, memory: 1Gi}; only the key only, unless
 * NULL) in one spelling each. */
static void canon_quantity_map(struct yval *m, const char *only)
{
        for (size_t i = 0; m && m->type == YVAL_MAP && i < m->map.n; i++) {
                struct yval *v = m->map.m[i].val;
                bool take = v && v->type == YVAL_STRING && (!only || !strcmp(m->map.m[i].key, only));
                char *c = take ? pod_quantity_canonical(v->str.s) : NULL;

                if (c) {
                        yval_free(v);
                        m->map.m[i].val = yval_new_str(c);
                        free(c);
                }
        }
}

static void canon_resources(struct yval *owner)
{
        struct yval *r = (struct yval *)yval_map_get(owner, "resources");

        canon_quantity_map((struct yval *)yval_map_get(r, "limits"), NULL);
        canon_quantity_map((struct yval *)yval_map_get(r, "requests"), NULL);
}

/* Quantities compared by value, as the API server's semantic equality does:
 * "cpu: 1" and "cpu: 1000m", "memory: 1Gi" and "1073741824" are one spec. */
static void canon_quantities(struct yval *spec)
{
        static const char *const lists[] = { "initContainers", "containers" };
        const struct yval *l;

        canon_resources(spec);
        for (size_t k = 0; k < 2; k++) {
                l = yval_map_get(spec, lists[k]);
                for (size_t i = 0; l && l->type == YVAL_LIST && i < l->list.n; i++)
                        canon_resources(l->list.items[i]);
        }
        l = yval_map_get(spec, "volumes");
        for (size_t i = 0; l && l->type == YVAL_LIST && i < l->list.n; i++)
                canon_quantity_map((struct yval *)yval_map_get(l->list.items[i], "emptyDir"), "sizeLimit");
}

struct yval *pod_spec_to_yval_canonical(const struct pod_spec *s)
{
        struct yval *y = pod_spec_to_yval(s);

        canon_quantities(y);
        return y;
}

bool pod_spec_same_but_metadata(const struct pod_spec *a, const struct pod_spec *b)
{
        struct yval *ya, *yb;
        bool same;

        if (!str_equal(a->name, b->name) || !str_equal(a->namespace, b->namespace))
                return false;
        ya = pod_spec_to_yval_canonical(a);
        yb = pod_spec_to_yval_canonical(b);
        same = yval_equal(ya, yb);
        yval_free(ya);
        yval_free(yb);
        return same;
}

bool pod_spec_same_but_updatable(const struct pod_spec *a, const struct pod_spec *b)
{
        char *why = NULL;
        bool ok = pod_spec_update_kind(a, b, &why) != POD_UPDATE_REPLACE && !why;

        free(why);
        return ok;
}

const char *pod_spec_deadline_update_error(const struct pod_spec *old, const struct pod_spec *new)
{
        if (new->active_deadline_seconds < 0)
                return old->active_deadline_seconds < 0 ? NULL : "must not update from a positive integer to nil value";
        if (old->active_deadline_seconds >= 0 && new->active_deadline_seconds > old->active_deadline_seconds)
                return "must be less than or equal to previous value";
        return NULL;
}

bool pod_spec_equal(const struct pod_spec *a, const struct pod_spec *b)
{
        struct yval *ya, *yb;
        bool same;

        if (!pod_spec_same_but_metadata(a, b))
                return false;
        ya = kv_to_yval(a->labels, a->n_labels);
        yb = kv_to_yval(b->labels, b->n_labels);
        same = yval_equal(ya, yb);
        yval_free(ya);
        yval_free(yb);
        if (!same)
                return false;
        ya = kv_to_yval(a->annotations, a->n_annotations);
        yb = kv_to_yval(b->annotations, b->n_annotations);
        same = yval_equal(ya, yb);
        yval_free(ya);
        yval_free(yb);
        return same;
}
