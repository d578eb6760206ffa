/* The inode table: one node per object of the tree, identified by a typed
 * key (its kind and what it stands for, inside a pod dir also the dir's
 * incarnation), stable nodeids, lookup counts honoured on forget. Only the
 * loop thread touches it; it is the daemon's (struct podfs), not a static. */
#include <string.h>
#include "fs.h"

uint64_t content_hash(const char *s, size_t len)
{
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)s[i];
                h *= 1099511628211ULL;
        }
        return h ^ len;
}

static uint64_t str_hash(const char *s)
{
        return s ? content_hash(s, strlen(s)) : 0;
}

static uint64_t key_hash(const struct node_key *k)
{
        uint64_t h = htab_hash_u64((uint64_t)k->kind + 1);

        h = (h ^ str_hash(k->ns)) * 0x100000001b3ULL;
        h = (h ^ str_hash(k->pod)) * 0x100000001b3ULL;
        h = (h ^ str_hash(k->ctr)) * 0x100000001b3ULL;
        h ^= htab_hash_u64(((uint64_t)k->epoch << 32) ^ ((uint64_t)(unsigned)k->file << 1) ^ k->previous);
        return h ^ htab_hash_u64(k->tmp_id);
}

static bool str_eq(const char *a, const char *b)
{
        return a == b || (a && b && !strcmp(a, b));
}

static bool key_eq(const struct node_key *a, const struct node_key *b)
{
        return a->kind == b->kind && a->epoch == b->epoch && a->file == b->file && a->previous == b->previous &&
               a->tmp_id == b->tmp_id && str_eq(a->ns, b->ns) && str_eq(a->pod, b->pod) && str_eq(a->ctr, b->ctr);
}

void node_table_init(struct node_table *t)
{
        bool created;
        struct node *root;

        *t = (struct node_table){ .next_ino = FUSE_ROOT_ID + 1 };
        root = node_intern(t, &(struct node_key){ .kind = NODE_ROOT }, &created);
        root->nlookup = 1; /* never forgotten */
}

struct node *node_get(const struct node_table *t, uint64_t ino)
{
        uint64_t h = htab_hash_u64(ino);

        for (struct htab_link *l = htab_chain(&t->by_ino, h); l; l = l->next) {
                struct node *n = htab_entry(l, struct node, link_ino);

                if (n->ino == ino)
                        return n;
        }
        return NULL;
}

struct node *node_find(const struct node_table *t, const struct node_key *k)
{
        uint64_t h = key_hash(k);

        for (struct htab_link *l = htab_chain(&t->by_key, h); l; l = l->next) {
                struct node *n = htab_entry(l, struct node, link_key);

                if (l->hash == h && key_eq(&n->key, k))
                        return n;
        }
        return NULL;
}

static char *dup0(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

struct node *node_intern(struct node_table *t, const struct node_key *k, bool *ret_created)
{
        struct node *n = node_find(t, k);

        *ret_created = false;
        if (n)
                return n;
        n = xcalloc(1, sizeof(*n));
        n->key = *k;
        n->key.ns = dup0(k->ns);
        n->key.pod = dup0(k->pod);
        n->key.ctr = dup0(k->ctr);
        n->kind = k->kind;
        n->ino = k->kind == NODE_ROOT ? FUSE_ROOT_ID : t->next_ino++;
        htab_put(&t->by_key, &n->link_key, key_hash(k));
        htab_put(&t->by_ino, &n->link_ino, htab_hash_u64(n->ino));
        *ret_created = true;
        return n;
}

void node_rename_ctr(struct node_table *t, const struct node_key *from, const char *to)
{
        struct node_key k = *from;
        struct node *n = node_find(t, from), *old;

        k.ctr = to;
        old = node_find(t, &k);
        /* the replaced file keeps its inode until forgotten, found by no name */
        if (old && old != n)
                htab_del(&t->by_key, &old->link_key);
        if (!n)
                return;
        htab_del(&t->by_key, &n->link_key);
        free((char *)n->key.ctr);
        n->key.ctr = xstrdup(to);
        free(n->ctr);
        n->ctr = xstrdup(to);
        node_cache_drop(n);
        htab_put(&t->by_key, &n->link_key, key_hash(&n->key));
}

void node_cache_drop(struct node *n)
{
        free(n->cache);
        n->cache = NULL;
        n->cache_len = 0;
        n->cache_valid = false;
}

static void node_free(struct node *n)
{
        node_cache_drop(n);
        log_index_free(n->log);
        free((char *)n->key.ns);
        free((char *)n->key.pod);
        free((char *)n->key.ctr);
        free(n->ns);
        free(n->pod);
        free(n->ctr);
        free(n->name);
        free(n);
}

void node_forget(struct node_table *t, struct node *n, uint64_t nlookup)
{
        if (n->kind == NODE_ROOT)
                return;
        n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
        if (n->nlookup > 0)
                return;
        htab_del(&t->by_key, &n->link_key);
        htab_del(&t->by_ino, &n->link_ino);
        node_free(n);
}

void node_table_free(struct node_table *t)
{
        for (size_t i = 0; i < t->by_ino.cap; i++)
                while (t->by_ino.b[i]) {
                        struct htab_link *l = t->by_ino.b[i];

                        t->by_ino.b[i] = l->next;
                        node_free(htab_entry(l, struct node, link_ino));
                }
        htab_free(&t->by_ino);
        htab_free(&t->by_key);
}
