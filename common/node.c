/* The Node object of this machine (include/pfs/node.h): its labels and
 * taints in the state dir, its capacity from the kernel, and the checks the
 * kubelet's admission makes against it (node affinity, taints). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "pfs/downward.h"
#include "pfs/node.h"
#include "pfs/yval.h"
#include "spec_internal.h"

static const char *node_arch(void)
{
        static const struct { const char *uname, *go; } arches[] = {
                { "x86_64", "amd64" }, { "aarch64", "arm64" }, { "armv7l", "arm" }, { "ppc64le", "ppc64le" },
                { "s390x", "s390x" }, { "riscv64", "riscv64" }, { "i686", "386" },
        };
        static struct utsname u;

        if (!u.machine[0] && uname(&u) < 0)
                return "amd64";
        for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
                if (!strcmp(u.machine, arches[i].uname))
                        return arches[i].go;
        return u.machine;
}

static void kv_add(struct pod_kv **v, size_t *n, const char *key, const char *value)
{
        *v = xrealloc(*v, (*n + 1) * sizeof(**v));
        (*v)[*n].key = xstrdup(key);
        (*v)[(*n)++].value = xstrdup(value);
}

static void builtin_labels(struct pfs_node *n)
{
        kv_add(&n->labels, &n->n_labels, "beta.kubernetes.io/arch", node_arch());
        kv_add(&n->labels, &n->n_labels, "beta.kubernetes.io/os", "linux");
        kv_add(&n->labels, &n->n_labels, "kubernetes.io/arch", node_arch());
        kv_add(&n->labels, &n->n_labels, "kubernetes.io/hostname", n->name);
        kv_add(&n->labels, &n->n_labels, "kubernetes.io/os", "linux");
        n->n_builtin = n->n_labels;
}

static ssize_t label_index(const struct pfs_node *n, const char *key)
{
        for (size_t i = 0; i < n->n_labels; i++)
                if (!strcmp(n->labels[i].key, key))
                        return (ssize_t)i;
        return -1;
}

const char *pfs_node_label(const struct pfs_node *n, const char *key)
{
        ssize_t i = label_index(n, key);

        return i < 0 ? NULL : n->labels[i].value;
}

/* ---- the files ---- */

static void trim(char *s)
{
        size_t l = strlen(s);

        while (l && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r'))
                s[--l] = '\0';
}

static const char *const taint_effects[] = { "NoSchedule", "PreferNoSchedule", "NoExecute" };

/* One line of the labels file into key and value (split in place); a line
 * that is not key=value is an error in e. */
static bool parse_label(struct spec_errs *e, char *line, char **ret_key, char **ret_value)
{
        char *eq = strchr(line, '=');

        if (!eq) {
                spec_err_invalid_str(e, "metadata.labels", line, "must be key=value");
                return false;
        }
        *eq = '\0';
        *ret_key = line;
        *ret_value = eq + 1;
        spec_validate_qualified_name(e, "metadata.labels", line);
        spec_validate_label_value(e, "metadata.labels", eq + 1);
        return true;
}

/* key[=value]:Effect */
static bool parse_taint(struct spec_errs *e, size_t i, char *line, struct pfs_taint *t)
{
        _cleanup_free_ char *p = spec_path_idx("spec.taints", i), *ep = spec_path_key(p, "effect"),
                            *kp = spec_path_key(p, "key"), *vp = spec_path_key(p, "value");
        char *colon = strrchr(line, ':'), *eq;

        if (!colon) {
                spec_err_required(e, ep, NULL);
                return false;
        }
        *colon = '\0';
        eq = strchr(line, '=');
        if (eq)
                *eq = '\0';
        t->key = xstrdup(line);
        t->value = xstrdup(eq ? eq + 1 : "");
        t->effect = xstrdup(colon + 1);
        spec_validate_qualified_name(e, kp, t->key);
        spec_validate_label_value(e, vp, t->value);
        spec_check_enum(e, ep, t->effect, taint_effects, ARRAY_SIZE(taint_effects));
        return true;
}

/* Calls fn for each non-empty line that is not a # comment. */
static void each_line(char *text, void (*fn)(void *data, char *line), void *data)
{
        char *save = NULL;

        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                l += strspn(l, " \t");
                trim(l);
                if (*l && *l != '#')
                        fn(data, l);
        }
}

struct parse_ctx {
        struct spec_errs *e;
        struct pfs_node *n;
};

static void label_line(void *data, char *line)
{
        struct parse_ctx *c = data;
        char *k, *v;
        ssize_t i;

        if (!parse_label(c->e, line, &k, &v))
                return;
        i = label_index(c->n, k);
        if (i < 0) {
                kv_add(&c->n->labels, &c->n->n_labels, k, v);
        } else {
                free(c->n->labels[i].value);
                c->n->labels[i].value = xstrdup(v);
        }
}

static void taint_line(void *data, char *line)
{
        struct parse_ctx *c = data;
        struct pfs_node *n = c->n;
        struct pfs_taint t = { 0 };

        if (!parse_taint(c->e, n->n_taints, line, &t))
                return;
        n->taints = xrealloc(n->taints, (n->n_taints + 1) * sizeof(*n->taints));
        n->taints[n->n_taints++] = t;
}

static int read_into(int state_fd, const char *file, void (*fn)(void *, char *), struct parse_ctx *c,
                     struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = pfs_read_file_at(state_fd, file, &text, &len, err);

        if (r == -ENOENT) {
                *err = (struct pfs_error){ 0 };
                return 0;
        }
        if (r < 0)
                return r;
        each_line(text, fn, c);
        return 0;
}

static int64_t dir_created(int state_fd)
{
        struct stat st;

        if (fstatat(state_fd, PFS_NODE_DIR, &st, 0) < 0 &&
            (mkdirat(state_fd, PFS_NODE_DIR, 0755) < 0 || fstatat(state_fd, PFS_NODE_DIR, &st, 0) < 0))
                return pfs_now_realtime_ns();
        return (int64_t)st.st_mtim.tv_sec * 1000000000LL; /* the dir is never rewritten */
}

int pfs_node_load(int state_fd, struct pfs_node **ret, struct pfs_error *err)
{
        struct pfs_node *n = xcalloc(1, sizeof(*n));
        struct spec_errs e = { 0 };
        struct parse_ctx c = { .e = &e, .n = n };
        int r;

        n->name = pod_node_name();
        n->created_ns = dir_created(state_fd);
        builtin_labels(n);
        r = read_into(state_fd, PFS_NODE_LABELS_FILE, label_line, &c, err);
        if (r == 0)
                r = read_into(state_fd, PFS_NODE_TAINTS_FILE, taint_line, &c, err);
        spec_errs_clear(&e); /* what was written was checked: a bad line is skipped */
        if (r < 0) {
                pfs_node_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

void pfs_node_free(struct pfs_node *n)
{
        if (!n)
                return;
        for (size_t i = 0; i < n->n_labels; i++) {
                free(n->labels[i].key);
                free(n->labels[i].value);
        }
        for (size_t i = 0; i < n->n_taints; i++) {
                free(n->taints[i].key);
                free(n->taints[i].value);
                free(n->taints[i].effect);
        }
        free(n->labels);
        free(n->taints);
        free(n->name);
        free(n);
}

char *pfs_node_labels_text(const struct pfs_node *n)
{
        struct pfs_buf b = { 0 };

        for (size_t i = 0; i < n->n_labels; i++)
                pfs_buf_printf(&b, "%s=%s\n", n->labels[i].key, n->labels[i].value);
        return b.data ? pfs_buf_steal(&b) : xstrdup("");
}

char *pfs_node_taints_text(const struct pfs_node *n)
{
        struct pfs_buf b = { 0 };

        for (size_t i = 0; i < n->n_taints; i++) {
                const struct pfs_taint *t = &n->taints[i];

                pfs_buf_printf(&b, "%s%s%s:%s\n", t->key, *t->value ? "=" : "", t->value, t->effect);
        }
        return b.data ? pfs_buf_steal(&b) : xstrdup("");
}

/* ---- rewrites ---- */

static int check_report(struct spec_errs *e, const char *name, struct pfs_error *err)
{
        if (e->n == 0)
                return 0;
        return spec_errs_report(e, NULL, "Node", name, err);
}

static int node_file_set(int state_fd, const char *file, void (*fn)(void *, char *), const char *text, size_t len,
                         struct pfs_error *err)
{
        struct pfs_node *n = xcalloc(1, sizeof(*n));
        struct spec_errs e = { 0 };
        struct parse_ctx c = { .e = &e, .n = n };
        _cleanup_free_ char *copy = xstrndup(text, len), *out = NULL;
        struct pfs_node shown;
        int r;

        n->name = pod_node_name();
        builtin_labels(n);
        if (len > PFS_NODE_FILE_MAX) {
                pfs_node_free(n);
                return pfs_error_set(err, EFBIG, "%s: Too long: must have at most %d bytes", file, PFS_NODE_FILE_MAX);
        }
        each_line(copy, fn, &c);
        r = check_report(&e, n->name, err);
        if (r == 0) {
                /* the kubelet's own labels are not stored: it sets them at each start */
                shown = *n;
                shown.labels += n->n_builtin;
                shown.n_labels -= n->n_builtin;
                out = fn == label_line ? pfs_node_labels_text(&shown) : pfs_node_taints_text(n);
                if (mkdirat(state_fd, PFS_NODE_DIR, 0755) < 0 && errno != EEXIST)
                        r = pfs_error_set(err, errno, "mkdir %s", PFS_NODE_DIR);
                else
                        r = pfs_write_file_atomic_at(state_fd, file, out, strlen(out), 0644, err);
        }
        pfs_node_free(n);
        return r;
}

int pfs_node_labels_set(int state_fd, const char *text, size_t len, struct pfs_error *err)
{
        return node_file_set(state_fd, PFS_NODE_LABELS_FILE, label_line, text, len, err);
}

int pfs_node_taints_set(int state_fd, const char *text, size_t len, struct pfs_error *err)
{
        return node_file_set(state_fd, PFS_NODE_TAINTS_FILE, taint_line, text, len, err);
}

/* ---- capacity ---- */

static int64_t mem_total(void)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        struct pfs_error err = { 0 };
        const char *p;

        if (pfs_read_file_at(AT_FDCWD, "/proc/meminfo", &text, &len, &err) < 0 ||
            !(p = strstr(text, "MemTotal:")))
                return 0;
        return strtoll(p + 9, NULL, 10) * 1024;
}

static int64_t storage_total(int state_fd)
{
        struct statvfs v;

        if (state_fd < 0 || fstatvfs(state_fd, &v) < 0)
                return 0;
        return (int64_t)v.f_blocks * (int64_t)v.f_frsize;
}

/* resource.Quantity's BinarySI form of a byte count: 16393520Ki, 1Gi, 1000. */
static char *binary_si(int64_t v)
{
        static const char *const suf[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
        size_t s = 0;

        while (v != 0 && v % 1024 == 0 && s + 1 < ARRAY_SIZE(suf)) {
                v /= 1024;
                s++;
        }
        return xasprintf("%lld%s", (long long)v, suf[s]);
}

#define EVICTION_MEMORY (100LL * 1024 * 1024)   /* memory.available<100Mi */

void pfs_node_allocatable(int64_t *ret_cpu_milli, int64_t *ret_memory)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);

        *ret_cpu_milli = (cpus > 0 ? cpus : 1) * 1000;
        *ret_memory = mem_total() - EVICTION_MEMORY;
}

static struct yval *resources_yval(int state_fd, bool allocatable, int max_pods)
{
        struct yval *m = yval_new_map();
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int64_t mem = mem_total(), disk = storage_total(state_fd);
        _cleanup_free_ char *ms = NULL, *ds = NULL, *cs = xasprintf("%ld", cpus > 0 ? cpus : 1);
        char pods[24];

        if (allocatable) {
                mem -= EVICTION_MEMORY;
                disk -= (int64_t)((double)disk * 0.1); /* nodefs.available<10% */
        }
        ms = binary_si(mem);
        ds = binary_si(disk);
        yval_map_set(m, "cpu", yval_new_str(cs));
        yval_map_set(m, "ephemeral-storage", yval_new_str(ds));
        yval_map_set(m, "hugepages-1Gi", yval_new_str("0"));
        yval_map_set(m, "hugepages-2Mi", yval_new_str("0"));
        yval_map_set(m, "memory", yval_new_str(ms));
        snprintf(pods, sizeof(pods), "%d", max_pods);
        yval_map_set(m, "pods", yval_new_str(pods));
        return m;
}

/* ---- the object ---- */

static char *first_line(const char *path, const char *key)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        struct pfs_error err = { 0 };
        char *p, *end;

        if (pfs_read_file_at(AT_FDCWD, path, &text, &len, &err) < 0)
                return xstrdup("");
        p = text;
        if (key) {
                p = strstr(text, key);
                if (!p)
                        return xstrdup("");
                p += strlen(key);
                p += *p == '"';
        }
        end = p + strcspn(p, "\"\n");
        return xstrndup(p, (size_t)(end - p));
}

static void time_set(struct yval *m, const char *key, int64_t ns)
{
        char ts[40];

        pfs_time_format(ns, false, ts);
        yval_map_set(m, key, yval_new_str(ts));
}

static void condition_add(struct yval *l, const char *type, const char *status, const char *reason,
                          const char *msg, int64_t since)
{
        struct yval *c = yval_list_push(l, yval_new_map());

        yval_map_set(c, "type", yval_new_str(type));
        yval_map_set(c, "status", yval_new_str(status));
        time_set(c, "lastHeartbeatTime", pfs_now_realtime_ns());
        time_set(c, "lastTransitionTime", since);
        yval_map_set(c, "reason", yval_new_str(reason));
        yval_map_set(c, "message", yval_new_str(msg));
}

/* A string value made of s, which is freed. */
static struct yval *str_taken(char *s)
{
        struct yval *v = yval_new_str(s);

        free(s);
        return v;
}

static struct yval *node_info(void)
{
        struct yval *m = yval_new_map();
        struct utsname u;

        if (uname(&u) < 0)
                memset(&u, 0, sizeof(u));
        yval_map_set(m, "architecture", yval_new_str(node_arch()));
        yval_map_set(m, "bootID", str_taken(first_line("/proc/sys/kernel/random/boot_id", NULL)));
        yval_map_set(m, "containerRuntimeVersion", yval_new_str("podfs://" PODFS_VERSION));
        yval_map_set(m, "kernelVersion", yval_new_str(u.release));
        yval_map_set(m, "kubeProxyVersion", yval_new_str(""));
        yval_map_set(m, "kubeletVersion", yval_new_str("v1.34.0"));
        yval_map_set(m, "machineID", str_taken(first_line("/etc/machine-id", NULL)));
        yval_map_set(m, "operatingSystem", yval_new_str("linux"));
        yval_map_set(m, "osImage", str_taken(first_line("/etc/os-release", "PRETTY_NAME=")));
        yval_map_set(m, "systemUUID", str_taken(first_line("/sys/class/dmi/id/product_uuid", NULL)));
        return m;
}

static int kv_cmp(const void *a, const void *b)
{
        return strcmp(((const struct pod_kv *)a)->key, ((const struct pod_kv *)b)->key);
}

static struct yval *metadata(const struct pfs_node *n)
{
        struct yval *m = yval_new_map(), *l, *a;
        struct pod_kv *sorted = xmalloc((n->n_labels ? n->n_labels : 1) * sizeof(*sorted));

        memcpy(sorted, n->labels, n->n_labels * sizeof(*sorted));
        qsort(sorted, n->n_labels, sizeof(*sorted), kv_cmp); /* as Go marshals a map */
        a = yval_map_set(m, "annotations", yval_new_map());
        yval_map_set(a, "node.alpha.kubernetes.io/ttl", yval_new_str("0"));
        yval_map_set(a, "volumes.kubernetes.io/controller-managed-attach-detach", yval_new_str("true"));
        time_set(m, "creationTimestamp", n->created_ns);
        l = yval_map_set(m, "labels", yval_new_map());
        for (size_t i = 0; i < n->n_labels; i++)
                yval_map_set(l, sorted[i].key, yval_new_str(sorted[i].value));
        free(sorted);
        yval_map_set(m, "name", yval_new_str(n->name));
        return m;
}

struct yval *pfs_node_to_yval(const struct pfs_node *n, int state_fd, int max_pods)
{
        struct yval *y = yval_new_map(), *spec, *st, *l, *a;
        _cleanup_free_ char *ip = pod_node_host_ip();

        yval_map_set(y, "apiVersion", yval_new_str("v1"));
        yval_map_set(y, "kind", yval_new_str("Node"));
        yval_map_set(y, "metadata", metadata(n));
        spec = yval_map_set(y, "spec", yval_new_map());
        if (n->n_taints) {
                l = yval_map_set(spec, "taints", yval_new_list());
                for (size_t i = 0; i < n->n_taints; i++) {
                        struct yval *t = yval_list_push(l, yval_new_map());

                        yval_map_set(t, "effect", yval_new_str(n->taints[i].effect));
                        yval_map_set(t, "key", yval_new_str(n->taints[i].key));
                        if (*n->taints[i].value)
                                yval_map_set(t, "value", yval_new_str(n->taints[i].value));
                }
        }
        st = yval_map_set(y, "status", yval_new_map());
        l = yval_map_set(st, "addresses", yval_new_list());
        if (*ip) {
                a = yval_list_push(l, yval_new_map());
                yval_map_set(a, "address", yval_new_str(ip));
                yval_map_set(a, "type", yval_new_str("InternalIP"));
        }
        a = yval_list_push(l, yval_new_map());
        yval_map_set(a, "address", yval_new_str(n->name));
        yval_map_set(a, "type", yval_new_str("Hostname"));
        yval_map_set(st, "allocatable", resources_yval(state_fd, true, max_pods));
        yval_map_set(st, "capacity", resources_yval(state_fd, false, max_pods));
        l = yval_map_set(st, "conditions", yval_new_list());
        condition_add(l, "MemoryPressure", "False", "KubeletHasSufficientMemory",
                      "kubelet has sufficient memory available", n->created_ns);
        condition_add(l, "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure",
                      n->created_ns);
        condition_add(l, "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available",
                      n->created_ns);
        condition_add(l, "Ready", "True", "KubeletReady", "kubelet is posting ready status", n->created_ns);
        yval_map_set(st, "nodeInfo", node_info());
        return y;
}

/* ---- matching (component-helpers' nodeaffinity, v1 helper's ToleratesTaint) ---- */

static bool tolerates(const struct yval *t, const struct pfs_taint *taint)
{
        const char *eff = yval_get_str(t, "effect", ""), *key = yval_get_str(t, "key", ""),
                   *op = yval_get_str(t, "operator", ""), *val = yval_get_str(t, "value", "");

        if (*eff && strcmp(eff, taint->effect))
                return false;
        if (*key && strcmp(key, taint->key))
                return false;
        if (!*op || !strcmp(op, "Equal"))
                return !strcmp(val, taint->value);
        return !strcmp(op, "Exists");
}

const struct pfs_taint *pfs_node_untolerated(const struct pfs_node *n, const struct pod_spec *spec)
{
        for (size_t i = 0; i < n->n_taints; i++) {
                const struct pfs_taint *t = &n->taints[i];
                bool ok = false;

                if (strcmp(t->effect, "NoSchedule") && strcmp(t->effect, "NoExecute"))
                        continue;
                for (size_t k = 0; spec->tolerations && k < spec->tolerations->list.n && !ok; k++)
                        ok = tolerates(spec->tolerations->list.items[k], t);
                if (!ok)
                        return t;
        }
        return NULL;
}

static bool in_values(const struct yval *req, const char *v)
{
        const struct yval *l = yval_map_get(req, "values");

        for (size_t i = 0; v && l && l->type == YVAL_LIST && i < l->list.n; i++)
                if (l->list.items[i]->type == YVAL_STRING && !strcmp(l->list.items[i]->str.s, v))
                        return true;
        return false;
}

static bool req_matches(const struct yval *req, const char *v)
{
        const char *op = yval_get_str(req, "operator", "");
        const struct yval *l = yval_map_get(req, "values");
        char *end;
        long long have, want;

        if (!strcmp(op, "In"))
                return in_values(req, v);
        if (!strcmp(op, "NotIn"))
                return !in_values(req, v);
        if (!strcmp(op, "Exists"))
                return v != NULL;
        if (!strcmp(op, "DoesNotExist"))
                return v == NULL;
        if (!v || !l || l->type != YVAL_LIST || l->list.n != 1 || l->list.items[0]->type != YVAL_STRING)
                return false;
        have = strtoll(v, &end, 10);
        if (*end)
                return false;
        want = strtoll(l->list.items[0]->str.s, &end, 10);
        if (*end)
                return false;
        return !strcmp(op, "Gt") ? have > want : have < want;
}

static bool term_matches(const struct pfs_node *n, const struct yval *term)
{
        const struct yval *ex = yval_map_get(term, "matchExpressions"), *f = yval_map_get(term, "matchFields");
        size_t n_ex = ex && ex->type == YVAL_LIST ? ex->list.n : 0, n_f = f && f->type == YVAL_LIST ? f->list.n : 0;

        if (n_ex + n_f == 0)
                return false; /* an empty term matches no objects */
        for (size_t i = 0; i < n_ex; i++) {
                const struct yval *r = ex->list.items[i];

                if (!req_matches(r, pfs_node_label(n, yval_get_str(r, "key", ""))))
                        return false;
        }
        for (size_t i = 0; i < n_f; i++)
                if (!req_matches(f->list.items[i], n->name))
                        return false;
        return true;
}

bool pfs_node_matches(const struct pfs_node *n, const struct pod_spec *spec)
{
        const struct yval *req = NULL, *terms;
        bool any = false;

        for (size_t i = 0; spec->node_selector && i < spec->node_selector->map.n; i++) {
                const struct ymember *m = &spec->node_selector->map.m[i];
                const char *v = pfs_node_label(n, m->key);

                if (!v || m->val->type != YVAL_STRING || strcmp(v, m->val->str.s))
                        return false;
        }
        if (spec->affinity && (req = yval_map_get(spec->affinity, "nodeAffinity")))
                req = yval_map_get(req, "requiredDuringSchedulingIgnoredDuringExecution");
        terms = req ? yval_map_get(req, "nodeSelectorTerms") : NULL;
        if (!terms || terms->type != YVAL_LIST)
                return true;
        for (size_t i = 0; i < terms->list.n && !any; i++)
                any = term_matches(n, terms->list.items[i]);
        return any;
}
