/* An intrusive hash table, chained, growing by doubling: the entry embeds a
 * struct htab_link; the caller hashes its key and compares keys along the
 * chain. Lookups of the daemon's objects by name, uid, id or watch number. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct htab_link {
        struct htab_link *next;
        uint64_t hash;
};
struct htab {
        struct htab_link **b;
        size_t cap;             /* a power of two, or 0 */
        size_t n;
};
void htab_put(struct htab *t, struct htab_link *l, uint64_t hash);
void htab_del(struct htab *t, struct htab_link *l);
/* The chain hash falls into (compare l->hash, then the key). */
struct htab_link *htab_chain(const struct htab *t, uint64_t hash);
void htab_free(struct htab *t);
/* The entry a link is embedded in. */
#define htab_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
/* A 64-bit mix for integer keys. */
static inline uint64_t htab_hash_u64(uint64_t x)
{
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        return x ^ (x >> 33);
}
