/* A string -> index hash table over borrowed keys: the lookups by name that
 * a hostile manifest could otherwise make quadratic (container names, map
 * keys, per-container status). Keys must outlive the table. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pfs_strindex_slot {
        const char *key;        /* NULL = empty */
        uint64_t hash;
        size_t val;
};

struct pfs_strindex {
        struct pfs_strindex_slot *slots;
        size_t cap;             /* a power of two, or 0 */
        size_t n;
};

/* Room for n_hint keys without growing (0 is fine). */
void pfs_strindex_init(struct pfs_strindex *x, size_t n_hint);
void pfs_strindex_free(struct pfs_strindex *x);
/* Adds key -> val; false (nothing changed) when key is already there. */
bool pfs_strindex_put(struct pfs_strindex *x, const char *key, size_t val);
/* The value of key, or false when it is not there. */
bool pfs_strindex_get(const struct pfs_strindex *x, const char *key, size_t *ret_val);
uint64_t pfs_strindex_hash(const char *key);
