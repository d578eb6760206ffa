/* Shared by the Pod Security checks (pss.c, pss_checks.c): ordered string
 * sets, the violation list, the container visitor and the evaluation's
 * context (the pod, the policy's minor version). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "pfs/pss.h"
#include "pfs/util.h"

/* An ordered set of strings (first appearance order). */
struct sset {
        char **v;
        size_t n;
};
void sset_add(struct sset *s, const char *x);
void sset_free(struct sset *s);
void sset_sort(struct sset *s);
/* "a", "b" (Go's %q of each, joined with ", "); sorted first for a set's List(). */
void join_quote(struct pfs_buf *b, struct sset *s, bool sorted);
const char *plural(const char *one, const char *many, size_t n);

struct pss_out {
        struct pfs_buf b;
        size_t n;
};
void violation(struct pss_out *o, const char *reason, const char *detail);

/* What a check sees: the pod, and the policy version's minor (v1.N). */
struct pss_ctx {
        const struct pod_spec *s;
        int minor;
};

typedef void (*ctr_visit)(const struct pod_container *c, void *data);
/* Init containers first, as the admission's visitContainers. */
void visit(const struct pod_spec *s, ctr_visit f, void *data);

/* pss_checks.c: the checks added to the first ones (pss.c). */
void pss_check_apparmor(const struct pss_ctx *x, struct pss_out *o);
void pss_check_probe_hosts(const struct pss_ctx *x, struct pss_out *o);
void pss_check_proc_mount(const struct pss_ctx *x, struct pss_out *o);
void pss_check_selinux(const struct pss_ctx *x, struct pss_out *o);
