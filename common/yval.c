/* The generic value tree: constructors, ownership, lookups and comparison.
 * Parsing lives in yval_parse.c, emitting in yval_emit.c. */
#include <math.h>
#include <string.h>
#include "pfs/strindex.h"
#include "pfs/yval.h"

static struct yval *yval_new(enum yval_type t)
{
        struct yval *v = xcalloc(1, sizeof(*v));

        v->type = t;
        return v;
}

struct yval *yval_new_null(void)
{
        return yval_new(YVAL_NULL);
}

struct yval *yval_new_bool(bool b)
{
        struct yval *v = yval_new(YVAL_BOOL);

        v->b = b;
        return v;
}

struct yval *yval_new_int(int64_t i)
{
        struct yval *v = yval_new(YVAL_INT);

        v->i = i;
        return v;
}

struct yval *yval_new_float(double f)
{
        struct yval *v = yval_new(YVAL_FLOAT);

        v->f = f;
        return v;
}

struct yval *yval_new_strn(const char *s, size_t n)
{
        struct yval *v = yval_new(YVAL_STRING);

        v->str.s = xmalloc(n + 1);
        memcpy(v->str.s, s, n);
        v->str.s[n] = '\0';
        v->str.len = n;
        return v;
}

/* NULL gives a null value: a missing field must not bring a daemon down. */
struct yval *yval_new_str(const char *s)
{
        if (!s)
                return yval_new_null();
        return yval_new_strn(s, strlen(s));
}

struct yval *yval_new_list(void)
{
        return yval_new(YVAL_LIST);
}

struct yval *yval_new_map(void)
{
        return yval_new(YVAL_MAP);
}

/* Arrays grow by doubling; capacity is implied by n (powers of two). */
static bool needs_growth(size_t n)
{
        return n == 0 || (n & (n - 1)) == 0;
}

struct yval *yval_map_set(struct yval *map, const char *key, struct yval *val)
{
        if (!map || map->type != YVAL_MAP) {
                /* A caller bug; dropping the value beats corrupting a union. */
                yval_free(val);
                return NULL;
        }
        for (size_t i = 0; i < map->map.n; i++) {
                if (strcmp(map->map.m[i].key, key) == 0) {
                        yval_free(map->map.m[i].val);
                        map->map.m[i].val = val;
                        return val;
                }
        }
        if (needs_growth(map->map.n))
                map->map.m = xrealloc(map->map.m, (map->map.n ? map->map.n * 2 : 1) * sizeof(struct ymember));
        map->map.m[map->map.n++] = (struct ymember){ .key = xstrdup(key), .line = val ? val->line : 0, .val = val };
        return val;
}

struct yval *yval_map_add(struct yval *map, char *key, int line, struct yval *val)
{
        if (!map || map->type != YVAL_MAP) {
                free(key);
                yval_free(val);
                return NULL;
        }
        if (needs_growth(map->map.n))
                map->map.m = xrealloc(map->map.m, (map->map.n ? map->map.n * 2 : 1) * sizeof(struct ymember));
        map->map.m[map->map.n++] = (struct ymember){ .key = key, .line = line, .val = val };
        return val;
}

struct yval *yval_list_push(struct yval *list, struct yval *val)
{
        if (!list || list->type != YVAL_LIST) {
                yval_free(val);
                return NULL;
        }
        if (needs_growth(list->list.n))
                list->list.items = xrealloc(list->list.items,
                                            (list->list.n ? list->list.n * 2 : 1) * sizeof(struct yval *));
        list->list.items[list->list.n++] = val;
        return val;
}

struct yval *yval_clone(const struct yval *v)
{
        struct yval *c;

        if (!v)
                return NULL;
        switch (v->type) {
        case YVAL_STRING:
                c = yval_new_strn(v->str.s, v->str.len);
                break;
        case YVAL_LIST:
                c = yval_new_list();
                for (size_t i = 0; i < v->list.n; i++)
                        yval_list_push(c, yval_clone(v->list.items[i]));
                break;
        case YVAL_MAP:
                c = yval_new_map();
                /* keys of a map are distinct: no lookups (quadratic on big maps) */
                for (size_t i = 0; i < v->map.n; i++)
                        yval_map_add(c, xstrdup(v->map.m[i].key), v->map.m[i].line,
                                     yval_clone(v->map.m[i].val));
                break;
        default:
                c = yval_new(v->type);
                *c = *v;
                break;
        }
        c->line = v->line;
        return c;
}

void yval_free(struct yval *v)
{
        if (!v)
                return;
        switch (v->type) {
        case YVAL_STRING:
                free(v->str.s);
                break;
        case YVAL_LIST:
                for (size_t i = 0; i < v->list.n; i++)
                        yval_free(v->list.items[i]);
                free(v->list.items);
                break;
        case YVAL_MAP:
                for (size_t i = 0; i < v->map.n; i++) {
                        free(v->map.m[i].key);
                        yval_free(v->map.m[i].val);
                }
                free(v->map.m);
                break;
        default:
                break;
        }
        free(v);
}

void ydoc_free_array(struct ydoc *docs, size_t n)
{
        if (!docs)
                return;
        for (size_t i = 0; i < n; i++)
                yval_free(docs[i].root);
        free(docs);
}

const struct ymember *yval_map_member(const struct yval *map, const char *key)
{
        if (!map || map->type != YVAL_MAP)
                return NULL;
        for (size_t i = 0; i < map->map.n; i++)
                if (strcmp(map->map.m[i].key, key) == 0)
                        return &map->map.m[i];
        return NULL;
}

const struct yval *yval_map_get(const struct yval *map, const char *key)
{
        const struct ymember *m = yval_map_member(map, key);

        return m ? m->val : NULL;
}

const char *yval_get_str(const struct yval *map, const char *key, const char *def)
{
        const struct yval *v = yval_map_get(map, key);

        return v && v->type == YVAL_STRING ? v->str.s : def;
}

int64_t yval_get_int(const struct yval *map, const char *key, int64_t def)
{
        const struct yval *v = yval_map_get(map, key);

        return v && v->type == YVAL_INT ? v->i : def;
}

bool yval_get_bool(const struct yval *map, const char *key, bool def)
{
        const struct yval *v = yval_map_get(map, key);

        return v && v->type == YVAL_BOOL ? v->b : def;
}

const char *yval_type_name(enum yval_type t)
{
        switch (t) {
        case YVAL_NULL:
                return "null";
        case YVAL_BOOL:
                return "boolean";
        case YVAL_INT:
                return "integer";
        case YVAL_FLOAT:
                return "number";
        case YVAL_STRING:
                return "string";
        case YVAL_LIST:
                return "array";
        case YVAL_MAP:
                return "object";
        }
        return "unknown";
}

/* Small maps are searched; a big one (annotations of a hostile manifest)
 * is indexed so that comparing it stays linear. */
#define MAP_INDEX_MIN 16

/* Maps compare as sets of keys (order is formatting, not meaning). */
static bool map_equal(const struct yval *a, const struct yval *b)
{
        struct pfs_strindex idx = { 0 };
        bool eq = true;

        if (a->map.n != b->map.n)
                return false;
        if (b->map.n >= MAP_INDEX_MIN) {
                pfs_strindex_init(&idx, b->map.n);
                for (size_t i = 0; i < b->map.n; i++)
                        pfs_strindex_put(&idx, b->map.m[i].key, i);
        }
        for (size_t i = 0; eq && i < a->map.n; i++) {
                const struct ymember *m = NULL;
                size_t j;

                if (idx.cap)
                        m = pfs_strindex_get(&idx, a->map.m[i].key, &j) ? &b->map.m[j] : NULL;
                else
                        m = yval_map_member(b, a->map.m[i].key);
                eq = m && yval_equal(a->map.m[i].val, m->val);
        }
        pfs_strindex_free(&idx);
        return eq;
}

bool yval_equal(const struct yval *a, const struct yval *b)
{
        if (!a || !b)
                return a == b;
        if (a->type != b->type)
                return false;
        switch (a->type) {
        case YVAL_NULL:
                return true;
        case YVAL_BOOL:
                return a->b == b->b;
        case YVAL_INT:
                return a->i == b->i;
        case YVAL_FLOAT:
                /* the same document twice is equal, .nan included */
                return a->f == b->f || (isnan(a->f) && isnan(b->f));
        case YVAL_STRING:
                return a->str.len == b->str.len && memcmp(a->str.s, b->str.s, a->str.len) == 0;
        case YVAL_LIST:
                if (a->list.n != b->list.n)
                        return false;
                for (size_t i = 0; i < a->list.n; i++)
                        if (!yval_equal(a->list.items[i], b->list.items[i]))
                                return false;
                return true;
        case YVAL_MAP:
                return map_equal(a, b);
        }
        return false;
}
