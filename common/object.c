/* ConfigMaps, Secrets and PersistentVolumeClaims in memory: kinds, items,
 * the API's JSON shape (object_store.c keeps it in the state dir). */
#include <errno.h>
#include <string.h>
#include "pfs/object.h"
#include "pfs/util.h"

static const char *const kind_dirs[PFS_OBJ_KINDS] = { "configmaps", "secrets", "pvcs" };
static const char *const kind_names[PFS_OBJ_KINDS] = { "ConfigMap", "Secret", "PersistentVolumeClaim" };

const char *pfs_object_kind_dir(enum pfs_object_kind k)
{
        return (unsigned)k < PFS_OBJ_KINDS ? kind_dirs[k] : "?";
}

const char *pfs_object_kind_name(enum pfs_object_kind k)
{
        return (unsigned)k < PFS_OBJ_KINDS ? kind_names[k] : "?";
}

int pfs_object_kind_of(const char *name)
{
        for (int k = 0; k < PFS_OBJ_KINDS; k++)
                if (name && !strcmp(name, kind_names[k]))
                        return k;
        return -1;
}

/* The position of key, or where it would go (*found false). */
static size_t item_pos(const struct pfs_object *o, const char *key, bool *found)
{
        size_t lo = 0, hi = o->n_items;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(o->items[mid].key, key);

                if (c == 0) {
                        *found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = false;
        return lo;
}

const struct pfs_object_item *pfs_object_item(const struct pfs_object *o, const char *key)
{
        bool found;
        size_t i = item_pos(o, key, &found);

        return found ? &o->items[i] : NULL;
}

void pfs_object_item_set(struct pfs_object *o, const char *key, const void *value, size_t len, bool binary)
{
        bool found;
        size_t i = item_pos(o, key, &found);
        struct pfs_object_item *it;

        if (!found) {
                o->items = xrealloc(o->items, (o->n_items + 1) * sizeof(*o->items));
                memmove(&o->items[i + 1], &o->items[i], (o->n_items - i) * sizeof(*o->items));
                o->n_items++;
                o->items[i] = (struct pfs_object_item){ .key = xstrdup(key) };
        }
        it = &o->items[i];
        free(it->value);
        it->value = xmalloc(len + 1);
        memcpy(it->value, value, len);
        it->value[len] = '\0';
        it->len = len;
        it->binary = binary;
}

bool pfs_object_item_remove(struct pfs_object *o, const char *key)
{
        bool found;
        size_t i = item_pos(o, key, &found);

        if (!found)
                return false;
        free(o->items[i].key);
        free(o->items[i].value);
        memmove(&o->items[i], &o->items[i + 1], (o->n_items - i - 1) * sizeof(*o->items));
        o->n_items--;
        return true;
}

struct pfs_object *pfs_object_new(enum pfs_object_kind k, const char *ns, const char *name)
{
        struct pfs_object *o = xcalloc(1, sizeof(*o));

        o->kind = k;
        o->namespace = xstrdup(ns);
        o->name = xstrdup(name);
        pfs_uuid_new(o->uid);
        o->creation_ns = pfs_now_realtime_ns();
        o->resource_version = 1;
        if (k == PFS_OBJ_SECRET)
                o->type = xstrdup("Opaque");
        return o;
}

static void kv_free(struct pod_kv *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

static struct pod_kv *kv_clone(const struct pod_kv *kv, size_t n)
{
        struct pod_kv *c = xcalloc(n + 1, sizeof(*c));

        for (size_t i = 0; i < n; i++) {
                c[i].key = xstrdup(kv[i].key);
                c[i].value = xstrdup(kv[i].value);
        }
        return c;
}

void pfs_object_free(struct pfs_object *o)
{
        if (!o)
                return;
        free(o->name);
        free(o->namespace);
        kv_free(o->labels, o->n_labels);
        kv_free(o->annotations, o->n_annotations);
        for (size_t i = 0; i < o->n_items; i++) {
                free(o->items[i].key);
                free(o->items[i].value);
        }
        free(o->items);
        free(o->type);
        yval_free(o->pvc_spec);
        free(o);
}

struct pfs_object *pfs_object_clone(const struct pfs_object *o)
{
        struct pfs_object *c = xcalloc(1, sizeof(*c));

        *c = *o;
        c->name = xstrdup(o->name);
        c->namespace = xstrdup(o->namespace);
        c->labels = kv_clone(o->labels, o->n_labels);
        c->annotations = kv_clone(o->annotations, o->n_annotations);
        c->items = xcalloc(o->n_items + 1, sizeof(*c->items));
        for (size_t i = 0; i < o->n_items; i++) {
                c->items[i] = o->items[i];
                c->items[i].key = xstrdup(o->items[i].key);
                c->items[i].value = xmalloc(o->items[i].len + 1);
                memcpy(c->items[i].value, o->items[i].value, o->items[i].len + 1);
        }
        c->type = o->type ? xstrdup(o->type) : NULL;
        c->pvc_spec = o->pvc_spec ? yval_clone(o->pvc_spec) : NULL;
        return c;
}

static bool kv_same(const struct pod_kv *a, size_t na, const struct pod_kv *b, size_t nb)
{
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++) {
                size_t j = 0;

                while (j < nb && strcmp(a[i].key, b[j].key))
                        j++;
                if (j == nb || strcmp(a[i].value, b[j].value))
                        return false;
        }
        return true;
}

bool pfs_object_items_same(const struct pfs_object *a, const struct pfs_object *b, bool binary)
{
        size_t i = 0, j = 0;

        for (;;) {
                while (i < a->n_items && a->items[i].binary != binary)
                        i++;
                while (j < b->n_items && b->items[j].binary != binary)
                        j++;
                if (i == a->n_items || j == b->n_items)
                        return i == a->n_items && j == b->n_items;
                if (strcmp(a->items[i].key, b->items[j].key) || a->items[i].len != b->items[j].len ||
                    memcmp(a->items[i].value, b->items[j].value, a->items[i].len))
                        return false;
                i++, j++;
        }
}

bool pfs_object_same(const struct pfs_object *a, const struct pfs_object *b)
{
        return a->kind == b->kind && a->immutable == b->immutable &&
               !strcmp(a->type ? a->type : "", b->type ? b->type : "") &&
               pfs_object_items_same(a, b, false) && pfs_object_items_same(a, b, true) &&
               kv_same(a->labels, a->n_labels, b->labels, b->n_labels) &&
               kv_same(a->annotations, a->n_annotations, b->annotations, b->n_annotations) &&
               yval_equal(a->pvc_spec, b->pvc_spec);
}

bool pfs_spec_uses_claim(const struct yval *pod, const char *claim)
{
        const struct yval *vols = yval_map_get(yval_map_get(pod, "spec"), "volumes");

        for (size_t i = 0; vols && vols->type == YVAL_LIST && i < vols->list.n; i++) {
                const struct yval *pvc = yval_map_get(vols->list.items[i], "persistentVolumeClaim");

                if (!strcmp(yval_get_str(pvc, "claimName", ""), claim))
                        return true;
        }
        return false;
}
