/* metadata.generation of pods (KEP-5067, Kubernetes 1.34): what counts as a
 * new generation (the API server's updatePodGeneration: any change of the
 * spec, not of labels or annotations; rest.BeforeDelete: the first graceful
 * deletion), the digests meta keeps so that a daemon killed between writing
 * spec.yaml and meta counts once, and the kubelet's ResizeCompleted message
 * (events.PodResizeCompletedMsg), which names the generation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/generation.h"
#include "pfs/sha256.h"
#include "pfs/spec.h"
#include "pfs/status.h"

bool pod_spec_update_bumps_generation(const struct pod_spec *old, const struct pod_spec *new)
{
        return !pod_spec_same_but_metadata(old, new);
}

static int member_cmp(const void *a, const void *b)
{
        return strcmp((*(const struct ymember *const *)a)->key, (*(const struct ymember *const *)b)->key);
}

/* The value into the digest, maps by sorted keys: one spec, one digest,
 * whatever order its fields were written in. */
static void hash_yval(struct pfs_sha256 *h, const struct yval *v)
{
        struct pfs_buf b = { 0 };
        const struct ymember **m;

        if (!v || (v->type != YVAL_LIST && v->type != YVAL_MAP)) {
                yval_emit_json(v, false, &b);
                pfs_sha256_update(h, b.data, b.len);
                pfs_sha256_update(h, ",", 1);
                pfs_buf_free(&b);
                return;
        }
        if (v->type == YVAL_LIST) {
                pfs_sha256_update(h, "[", 1);
                for (size_t i = 0; i < v->list.n; i++)
                        hash_yval(h, v->list.items[i]);
                pfs_sha256_update(h, "]", 1);
                return;
        }
        m = xcalloc(v->map.n + 1, sizeof(*m));
        for (size_t i = 0; i < v->map.n; i++)
                m[i] = &v->map.m[i];
        qsort(m, v->map.n, sizeof(*m), member_cmp);
        pfs_sha256_update(h, "{", 1);
        for (size_t i = 0; i < v->map.n; i++) {
                pfs_sha256_update(h, m[i]->key, strlen(m[i]->key) + 1);
                hash_yval(h, m[i]->val);
        }
        pfs_sha256_update(h, "}", 1);
        free(m);
}

void pod_spec_generation_hash(const struct pod_spec *s, char out[65])
{
        static const char hex[] = "0123456789abcdef";
        struct yval *y = pod_spec_to_yval_canonical(s);
        struct pfs_sha256 h;
        uint8_t d[32];

        pfs_sha256_init(&h);
        hash_yval(&h, y);
        pfs_sha256_final(&h, d);
        yval_free(y);
        for (size_t i = 0; i < 32; i++) {
                out[2 * i] = hex[d[i] >> 4];
                out[2 * i + 1] = hex[d[i] & 15];
        }
        out[64] = '\0';
}

void pod_meta_set_spec(struct pod_meta *m, const struct pod_spec *s)
{
        pfs_sha256_hex(s->source ? s->source : "", s->source ? s->source_len : 0, m->spec_sum);
        pod_spec_generation_hash(s, m->spec_hash);
}

static struct pod_spec *parse_one(const char *text, size_t len, const struct pod_meta *m)
{
        struct pod_spec **pods = NULL, *one = NULL;
        size_t n = 0;

        if (pod_manifest_parse(text, len, PFS_SPEC_FILE, m->namespace, m->name, &pods, &n, NULL) < 0)
                return NULL;
        if (n == 1) {
                one = pods[0];
                pods[0] = NULL;
        }
        pod_spec_free_array(pods, n);
        return one;
}

int pod_generation_recover(int pod_dirfd, struct pod_meta *m, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct pod_spec *s;
        char sum[65], hash[65];
        size_t len = 0;
        int r;

        if (strlen(m->spec_sum) != 64 || strlen(m->spec_hash) != 64)
                return 0;
        r = pfs_read_file_at(pod_dirfd, PFS_SPEC_FILE, &text, &len, err);
        if (r < 0)
                return r;
        pfs_sha256_hex(text, len, sum);
        if (!strcmp(sum, m->spec_sum))
                return 0;
        s = parse_one(text, len, m);
        if (!s)
                return pfs_error_set(err, EINVAL, "%s: not one valid Pod", PFS_SPEC_FILE);
        pod_spec_generation_hash(s, hash);
        pod_spec_free(s);
        r = strcmp(hash, m->spec_hash) != 0;
        if (r)
                m->generation++;
        memcpy(m->spec_sum, sum, 65);
        memcpy(m->spec_hash, hash, 65);
        if (pod_meta_write_at(pod_dirfd, m, err) < 0)
                return -err->code;
        return r;
}

/* ---- the kubelet's ResizeCompleted message ---- */

/* A container's resources in the allocated spec: each quantity as the API
 * server stores it (canonical); an unset request is the limit (the API
 * server's defaulting). Keys sorted, as Go's encoding/json writes a map;
 * empty lists left out (omitempty). */
static void resources_json(struct pfs_buf *b, const struct pod_container *c)
{
        const char *lim[3] = { c->cpu_limit, c->ephemeral_storage_limit, c->memory_limit };
        const char *req[3] = { c->cpu_request ?: c->cpu_limit,
                               c->ephemeral_storage_request ?: c->ephemeral_storage_limit,
                               c->memory_request ?: c->memory_limit };
        bool has_lim = lim[0] || lim[1] || lim[2], has_req = req[0] || req[1] || req[2];
        static const char *const names[3] = { "cpu", "ephemeral-storage", "memory" };

        pfs_buf_puts(b, "{");
        for (int k = 0; k < 2; k++) {
                const char *const *q = k ? req : lim;
                bool any = false;

                if (!(k ? has_req : has_lim))
                        continue;
                pfs_buf_printf(b, "%s\"%s\":{", k && has_lim ? "," : "", k ? "requests" : "limits");
                for (size_t i = 0; i < 3; i++)
                        if (q[i]) {
                                _cleanup_free_ char *canon = pod_quantity_canonical_string(q[i]);

                                pfs_buf_printf(b, "%s\"%s\":\"%s\"", any ? "," : "", names[i], canon ? canon : q[i]);
                                any = true;
                        }
                pfs_buf_puts(b, "}");
        }
        pfs_buf_puts(b, "}");
}

static void containers_json(struct pfs_buf *b, const char *key, const struct pod_container *c, size_t n,
                            bool *first)
{
        if (!n)
                return;
        pfs_buf_printf(b, "%s\"%s\":[", *first ? "" : ",", key);
        for (size_t i = 0; i < n; i++) {
                pfs_buf_printf(b, "%s{\"name\":\"%s\",\"resources\":", i ? "," : "", c[i].name);
                resources_json(b, &c[i]);
                pfs_buf_puts(b, "}");
        }
        pfs_buf_puts(b, "]");
        *first = false;
}

char *pod_resize_completed_message(const struct pod_spec *allocated, int64_t generation)
{
        struct pfs_buf b = { 0 };
        bool first = true;

        pfs_buf_puts(&b, "Pod resize completed: {");
        containers_json(&b, "initContainers", allocated->init_containers, allocated->n_init_containers, &first);
        containers_json(&b, "containers", allocated->containers, allocated->n_containers, &first);
        pfs_buf_printf(&b, "%s\"generation\":%lld}", first ? "" : ",", (long long)generation);
        return pfs_buf_steal(&b);
}
