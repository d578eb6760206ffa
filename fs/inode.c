/* The inode table: one node per path object (keyed by a string that names the
 * object and the pod dir's incarnation), stable nodeids, lookup counts honoured
 * on forget. Only the loop thread touches it. */
#include <string.h>
#include "fs.h"

#define NODE_BUCKETS 4096

static struct node *by_key[NODE_BUCKETS];
static struct node *by_ino[NODE_BUCKETS];
static uint64_t next_ino = FUSE_ROOT_ID + 1;

uint64_t content_hash(const char *s, size_t len)
{
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */

        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)s[i];
                h *= 1099511628211ULL;
        }
        return h ^ len;
}

static size_t key_bucket(const char *key)
{
        return content_hash(key, strlen(key)) % NODE_BUCKETS;
}

void node_table_init(void)
{
        bool created;
        struct node *root = node_intern("/", NODE_ROOT, &created);

        root->nlookup = 1; /* never forgotten */
}

struct node *node_get(uint64_t ino)
{
        for (struct node *n = by_ino[ino % NODE_BUCKETS]; n; n = n->hnext_ino)
                if (n->ino == ino)
                        return n;
        return NULL;
}

struct node *node_find_key(const char *key)
{
        for (struct node *n = by_key[key_bucket(key)]; n; n = n->hnext_key)
                if (!strcmp(n->key, key))
                        return n;
        return NULL;
}

struct node *node_intern(const char *key, enum node_kind kind, bool *ret_created)
{
        struct node *n = node_find_key(key);
        size_t b;

        *ret_created = false;
        if (n)
                return n;
        n = xcalloc(1, sizeof(*n));
        n->key = xstrdup(key);
        n->kind = kind;
        n->ino = kind == NODE_ROOT ? FUSE_ROOT_ID : next_ino++;
        b = key_bucket(key);
        n->hnext_key = by_key[b];
        by_key[b] = n;
        n->hnext_ino = by_ino[n->ino % NODE_BUCKETS];
        by_ino[n->ino % NODE_BUCKETS] = n;
        *ret_created = true;
        return n;
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
        struct node **pp;

        for (pp = &by_key[key_bucket(n->key)]; *pp; pp = &(*pp)->hnext_key)
                if (*pp == n) {
                        *pp = n->hnext_key;
                        break;
                }
        for (pp = &by_ino[n->ino % NODE_BUCKETS]; *pp; pp = &(*pp)->hnext_ino)
                if (*pp == n) {
                        *pp = n->hnext_ino;
                        break;
                }
        node_cache_drop(n);
        log_index_free(n->log);
        free(n->key);
        free(n->ns);
        free(n->pod);
        free(n->ctr);
        free(n->name);
        free(n);
}

void node_forget(struct node *n, uint64_t nlookup)
{
        if (n->kind == NODE_ROOT)
                return;
        n->nlookup = nlookup >= n->nlookup ? 0 : n->nlookup - nlookup;
        if (n->nlookup == 0)
                node_free(n);
}

void node_foreach(void (*fn)(struct node *n, void *data), void *data)
{
        for (size_t b = 0; b < NODE_BUCKETS; b++) {
                struct node *n = by_key[b], *next;

                for (; n; n = next) {
                        next = n->hnext_key;
                        fn(n, data);
                }
        }
}

void node_table_free(void)
{
        for (size_t b = 0; b < NODE_BUCKETS; b++) {
                while (by_key[b]) {
                        struct node *n = by_key[b];

                        by_key[b] = n->hnext_key;
                        node_cache_drop(n);
                        log_index_free(n->log);
                        free(n->key);
                        free(n->ns);
                        free(n->pod);
                        free(n->ctr);
                        free(n->name);
                        free(n);
                }
                by_ino[b] = NULL;
        }
}
