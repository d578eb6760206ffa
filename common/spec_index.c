/* Name indexes of a parsed pod (containers, init containers, volumes): built
 * once per parse, so that validation and every later lookup by name stay
 * linear in the size of the pod, however many containers a manifest lists. */
#include "spec_internal.h"

struct pod_spec_index {
        struct pfs_strindex ctrs, init, volumes;
};

void spec_index_free(struct pod_spec_index *x)
{
        if (!x)
                return;
        pfs_strindex_free(&x->ctrs);
        pfs_strindex_free(&x->init);
        pfs_strindex_free(&x->volumes);
        free(x);
}

/* The first of equal names wins: a duplicate is then told by its position. */
static void index_containers(struct pfs_strindex *x, const struct pod_container *c, size_t n)
{
        pfs_strindex_init(x, n);
        for (size_t i = 0; i < n; i++)
                if (c[i].name)
                        pfs_strindex_put(x, c[i].name, i);
}

void spec_index_build(struct pod_spec *s)
{
        struct pod_spec_index *x = xcalloc(1, sizeof(*x));

        index_containers(&x->ctrs, s->containers, s->n_containers);
        index_containers(&x->init, s->init_containers, s->n_init_containers);
        pfs_strindex_init(&x->volumes, s->n_volumes);
        for (size_t i = 0; i < s->n_volumes; i++)
                if (s->volumes[i].name)
                        pfs_strindex_put(&x->volumes, s->volumes[i].name, i);
        spec_index_free(s->index);
        s->index = x;
}

/* A spec built by hand (tests) has no index: search it. */
static ssize_t search(const struct pod_container *c, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (c[i].name && !strcmp(c[i].name, name))
                        return (ssize_t)i;
        return -1;
}

ssize_t spec_index_container(const struct pod_spec *s, const char *name)
{
        size_t i;

        if (!s->index)
                return search(s->containers, s->n_containers, name);
        return pfs_strindex_get(&s->index->ctrs, name, &i) ? (ssize_t)i : -1;
}

ssize_t spec_index_init_container(const struct pod_spec *s, const char *name)
{
        size_t i;

        if (!s->index)
                return search(s->init_containers, s->n_init_containers, name);
        return pfs_strindex_get(&s->index->init, name, &i) ? (ssize_t)i : -1;
}

ssize_t spec_index_volume(const struct pod_spec *s, const char *name)
{
        size_t i;

        if (!s->index) {
                for (i = 0; i < s->n_volumes; i++)
                        if (s->volumes[i].name && !strcmp(s->volumes[i].name, name))
                                return (ssize_t)i;
                return -1;
        }
        return pfs_strindex_get(&s->index->volumes, name, &i) ? (ssize_t)i : -1;
}
