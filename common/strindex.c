/* Open-addressing hash table of borrowed strings (FNV-1a, linear probing,
 * at most half full), so lookups by name stay O(1) whatever a manifest holds. */
#include <string.h>
#include "pfs/strindex.h"
#include "pfs/util.h"

uint64_t pfs_strindex_hash(const char *key)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
                h ^= *p;
                h *= 0x100000001b3ULL;
        }
        return h ^ (h >> 29);
}

static void table_alloc(struct pfs_strindex *x, size_t cap)
{
        x->slots = xcalloc(cap, sizeof(*x->slots));
        x->cap = cap;
        x->n = 0;
}

void pfs_strindex_init(struct pfs_strindex *x, size_t n_hint)
{
        size_t cap = 16;

        while (cap < 2 * n_hint + 2)
                cap *= 2;
        table_alloc(x, cap);
}

void pfs_strindex_free(struct pfs_strindex *x)
{
        free(x->slots);
        x->slots = NULL;
        x->cap = x->n = 0;
}

/* The slot holding key, or the empty slot where it would go. */
static struct pfs_strindex_slot *slot_find(const struct pfs_strindex *x, const char *key, uint64_t h)
{
        size_t i = (size_t)h & (x->cap - 1);

        for (;; i = (i + 1) & (x->cap - 1)) {
                struct pfs_strindex_slot *s = &x->slots[i];

                if (!s->key || (s->hash == h && !strcmp(s->key, key)))
                        return s;
        }
}

static void table_grow(struct pfs_strindex *x)
{
        struct pfs_strindex_slot *old = x->slots;
        size_t old_cap = x->cap;

        table_alloc(x, old_cap ? old_cap * 2 : 16);
        for (size_t i = 0; i < old_cap; i++)
                if (old[i].key) {
                        *slot_find(x, old[i].key, old[i].hash) = old[i];
                        x->n++;
                }
        free(old);
}

bool pfs_strindex_put(struct pfs_strindex *x, const char *key, size_t val)
{
        uint64_t h = pfs_strindex_hash(key);
        struct pfs_strindex_slot *s;

        if (2 * (x->n + 1) > x->cap)
                table_grow(x);
        s = slot_find(x, key, h);
        if (s->key)
                return false;
        *s = (struct pfs_strindex_slot){ .key = key, .hash = h, .val = val };
        x->n++;
        return true;
}

bool pfs_strindex_get(const struct pfs_strindex *x, const char *key, size_t *ret_val)
{
        const struct pfs_strindex_slot *s;

        if (!x->cap)
                return false;
        s = slot_find(x, key, pfs_strindex_hash(key));
        if (!s->key)
                return false;
        if (ret_val)
                *ret_val = s->val;
        return true;
}
