/* kind: Namespace documents: only metadata (name and labels) means
 * something to podfs, for the Pod Security admission labels
 * (pod-security.kubernetes.io/enforce|warn|audit and their -version),
 * validated as the admission plugin validates a namespace's labels. */
#include <errno.h>
#include <string.h>
#include "pfs/object.h"
#include "pfs/pss.h"
#include "spec_internal.h"

#define PSS_PREFIX "pod-security.kubernetes.io/"

void pfs_ns_doc_free(struct pfs_ns_doc *d)
{
        if (!d)
                return;
        free(d->name);
        for (size_t i = 0; i < d->n_labels; i++) {
                free(d->labels[i].key);
                free(d->labels[i].value);
        }
        free(d->labels);
        free(d);
}

/* ParseVersion: "latest" or "v1.N" (N without a leading zero). */
static bool version_ok(const char *v)
{
        return pfs_pss_version_minor(v) >= 0;
}

static void check_pss_label(struct spec_errs *e, const struct pod_kv *kv)
{
        static const char *const modes[] = { "enforce", "warn", "audit" };
        _cleanup_free_ char *p = NULL;
        const char *mode;

        if (strncmp(kv->key, PSS_PREFIX, strlen(PSS_PREFIX)))
                return;
        mode = kv->key + strlen(PSS_PREFIX);
        p = xasprintf("metadata.labels[%s]", kv->key);
        for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
                size_t n = strlen(modes[i]);

                if (!strcmp(mode, modes[i]) && pfs_pss_level_of(kv->value) < 0)
                        spec_err_invalid_str(e, p, kv->value, "must be one of privileged, baseline, restricted");
                else if (!strncmp(mode, modes[i], n) && !strcmp(mode + n, "-version") && !version_ok(kv->value))
                        spec_err_invalid_str(e, p, kv->value, "must be \"latest\" or \"v1.x\"");
        }
}

int pfs_ns_doc_parse(const struct yval *root, const char *filename, const char *ns_hint, struct pfs_ns_doc **ret,
                     struct pfs_error *err)
{
        static const char *const top[] = { "apiVersion", "kind", "metadata", "spec", "status" };
        struct spec_errs e = { .root = root, .any_kind = true };
        struct spec_meta m = { 0 };
        struct pfs_ns_doc *d = xcalloc(1, sizeof(*d));
        int r;

        if (spec_decode_type_meta(&e, root)) {
                spec_check_known(&e, root, "", top, ARRAY_SIZE(top));
                spec_decode_object_meta(&e, root, &m);
        }
        d->name = m.name ? m.name : xstrdup(ns_hint ? ns_hint : "");
        d->labels = m.labels;
        d->n_labels = m.n_labels;
        if (e.n_fatal == 0) {
                if (m.namespace && *m.namespace)
                        spec_err_forbidden(&e, "metadata.namespace", "not allowed on this type");
                if (ns_hint && strcmp(d->name, ns_hint))
                        spec_err_invalid_str(&e, "metadata.name", d->name,
                                             "a Namespace manifest applies to the namespace it is written into");
                for (size_t i = 0; i < d->n_labels; i++)
                        check_pss_label(&e, &d->labels[i]);
        }
        free(m.namespace);
        for (size_t i = 0; i < m.n_annotations; i++) {
                free(m.annotations[i].key);
                free(m.annotations[i].value);
        }
        free(m.annotations);
        d->source_line = root->line;
        r = e.n ? spec_errs_report(&e, filename, "Namespace", d->name, err) : 0;
        if (r < 0) {
                pfs_ns_doc_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

const char *pfs_ns_doc_label(const struct pod_kv *labels, size_t n, const char *mode)
{
        for (size_t i = 0; i < n; i++)
                if (!strncmp(labels[i].key, PSS_PREFIX, strlen(PSS_PREFIX)) &&
                    !strcmp(labels[i].key + strlen(PSS_PREFIX), mode))
                        return labels[i].value;
        return NULL;
}
