/* pfs_manifest_parse: a manifest stream of Pods, ConfigMaps, Secrets and
 * PersistentVolumeClaims -> all of them validated, or an error. */
#include <errno.h>
#include <string.h>
#include "object_internal.h"

void pfs_manifest_free(struct pfs_manifest *m)
{
        if (!m)
                return;
        pod_spec_free_array(m->pods, m->n_pods);
        for (size_t i = 0; i < m->n_objects; i++)
                pfs_object_free(m->objects[i]);
        free(m->objects);
        pfs_ns_doc_free(m->ns);
        *m = (struct pfs_manifest){ 0 };
}

static int duplicate_error(const char *filename, const struct ydoc *d, const char *kind, const char *name,
                           int first_line, struct pfs_error *err)
{
        return pfs_error_set(err, EINVAL,
                             "%s: line %d: %s \"%s\" is invalid: metadata.name: Duplicate value: \"%s\": the "
                             "document at line %d has the same name",
                             filename, spec_line_of(d->root, "metadata.name"), kind, name, name, first_line);
}

/* The last one added (pod or object) against those before it. */
static int check_duplicate(const struct pfs_manifest *m, bool pod, const struct ydoc *d, const char *filename,
                           struct pfs_error *err)
{
        if (pod) {
                const struct pod_spec *s = m->pods[m->n_pods - 1];

                for (size_t j = 0; j + 1 < m->n_pods; j++)
                        if (!strcmp(s->name, m->pods[j]->name))
                                return duplicate_error(filename, d, "Pod", s->name, m->pods[j]->source_line, err);
                return 0;
        }
        {
                const struct pfs_object *o = m->objects[m->n_objects - 1];

                for (size_t j = 0; j + 1 < m->n_objects; j++)
                        if (o->kind == m->objects[j]->kind && !strcmp(o->name, m->objects[j]->name))
                                return duplicate_error(filename, d, pfs_object_kind_name(o->kind), o->name,
                                                       m->objects[j]->source_line, err);
        }
        return 0;
}

/* A kind podfs does not accept (Namespace, Deployment, ...): named as written. */
static int other_kind(const struct ydoc *d, const char *filename, const char *kind, struct pfs_error *err)
{
        const char *name = yval_get_str(yval_map_get(d->root, "metadata"), "name", "");
        _cleanup_free_ char *qn = spec_quote(name), *qk = spec_quote(kind);

        return pfs_error_set(err, EINVAL, "%s: line %d: %s %s is invalid: kind: Unsupported value: %s: supported "
                             "values: \"ConfigMap\", \"Namespace\", \"PersistentVolumeClaim\", \"Pod\", \"Secret\"", filename,
                             spec_line_of(d->root, "kind"), kind, qn, qk);
}

static int parse_one(const char *text, const struct ydoc *d, const char *filename, const char *ns_hint,
                     struct pfs_manifest *m, struct pfs_error *err)
{
        const char *kind = d->root && d->root->type == YVAL_MAP ? yval_get_str(d->root, "kind", "") : "";
        int r;

        if (!strcmp(kind, "Namespace")) {
                if (m->ns)
                        return pfs_error_set(err, EINVAL, "%s: line %d: only one Namespace document in a manifest",
                                             filename, d->root->line);
                return pfs_ns_doc_parse(d->root, filename, ns_hint, &m->ns, err);
        }
        if (*kind && strcmp(kind, "Pod") && pfs_object_kind_of(kind) < 0)
                return other_kind(d, filename, kind, err);
        if (pfs_object_kind_of(kind) >= 0) {
                r = pfs_object_from_doc(d->root, filename, ns_hint, &m->objects[m->n_objects], err);
                if (r == 0)
                        m->n_objects++;
        } else {
                r = spec_parse_pod_document(text, d, filename, ns_hint, NULL, true, &m->pods[m->n_pods], err);
                if (r == 0)
                        m->n_pods++;
        }
        if (r == 0)
                r = check_duplicate(m, pfs_object_kind_of(kind) < 0, d, filename, err);
        return r;
}

static int parse_all(const char *text, const struct ydoc *docs, size_t n_docs, const char *filename,
                     const char *ns_hint, struct pfs_manifest *m, struct pfs_error *err)
{
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < n_docs; i++)
                n += docs[i].root != NULL;
        if (n > POD_MAX_PER_MANIFEST)
                return pfs_error_set(err, EINVAL, "%s: Too many: %zu documents: must have at most %d documents in "
                                     "one manifest (write the others as separate files)", filename, n,
                                     POD_MAX_PER_MANIFEST);
        m->pods = xcalloc(n + 1, sizeof(*m->pods));
        m->objects = xcalloc(n + 1, sizeof(*m->objects));
        for (size_t i = 0; i < n_docs && r == 0; i++)
                if (docs[i].root)
                        r = parse_one(text, &docs[i], filename, ns_hint, m, err);
        if (r == 0 && n == 0)
                r = pfs_error_set(err, EINVAL, "%s: no object in the manifest (it is empty)", filename);
        return r;
}

int pfs_manifest_parse(const char *text, size_t len, const char *filename, const char *ns_hint,
                       struct pfs_manifest *ret, struct pfs_error *err)
{
        struct pfs_manifest m = { 0 };
        struct ydoc *docs = NULL;
        struct pfs_error local;
        size_t n_docs = 0;
        int r;

        if (!err)
                err = &local;
        if (!filename)
                filename = "manifest";
        r = yval_parse_stream(text, len, &docs, &n_docs, err);
        if (r < 0)
                return pfs_error_wrap(err, "%s", filename);
        r = parse_all(text, docs, n_docs, filename, ns_hint, &m, err);
        ydoc_free_array(docs, n_docs);
        if (r < 0) {
                pfs_manifest_free(&m);
                return r;
        }
        *ret = m;
        return 0;
}
