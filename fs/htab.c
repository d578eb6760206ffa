/* An intrusive chained hash table (htab.h). */
#include "htab.h"
#include "pfs/util.h"

static void htab_grow(struct htab *t)
{
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct htab_link **b = xcalloc(cap, sizeof(*b));

        for (size_t i = 0; i < t->cap; i++)
                while (t->b[i]) {
                        struct htab_link *l = t->b[i];

                        t->b[i] = l->next;
                        l->next = b[l->hash & (cap - 1)];
                        b[l->hash & (cap - 1)] = l;
                }
        free(t->b);
        t->b = b;
        t->cap = cap;
}

void htab_put(struct htab *t, struct htab_link *l, uint64_t hash)
{
        if (t->n + 1 > t->cap / 2)
                htab_grow(t);
        l->hash = hash;
        l->next = t->b[hash & (t->cap - 1)];
        t->b[hash & (t->cap - 1)] = l;
        t->n++;
}

void htab_del(struct htab *t, struct htab_link *l)
{
        if (!t->cap)
                return;
        for (struct htab_link **pp = &t->b[l->hash & (t->cap - 1)]; *pp; pp = &(*pp)->next)
                if (*pp == l) {
                        *pp = l->next;
                        l->next = NULL;
                        t->n--;
                        return;
                }
}

struct htab_link *htab_chain(const struct htab *t, uint64_t hash)
{
        return t->cap ? t->b[hash & (t->cap - 1)] : NULL;
}

void htab_free(struct htab *t)
{
        free(t->b);
        *t = (struct htab){0};
}
