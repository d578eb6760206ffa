/* libFuzzer harness: pod_manifest_parse and pfs_manifest_parse on arbitrary
 * bytes that are not NUL-terminated (the API takes a length), then what the
 * daemon does with an accepted pod (pod.json's spec, both emitters, the
 * comparison a rewrite makes) and object (its JSON, stored and read back,
 * the update rules). Any read past the input or other sanitizer report is a
 * finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/object.h"
#include "pfs/spec.h"
#include "pfs/yval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct pod_spec *s)
{
        struct pfs_buf b = { 0 };
        struct yval *v = pod_spec_to_yval(s);

        yval_emit_json(v, true, &b);
        yval_emit_yaml(v, &b);
        yval_free(v);
        pfs_buf_free(&b);
        if (!pod_spec_equal(s, s))
                abort();
        for (size_t i = 0; i < s->n_containers; i++)
                if (pod_spec_find_container(s, s->containers[i].name) != &s->containers[i])
                        abort();
}

static void exercise_object(const struct pfs_object *o)
{
        struct pfs_buf b = { 0 };
        struct yval *v = pfs_object_to_yval(o, true);
        struct pfs_object *back = NULL, *c = pfs_object_clone(o);

        yval_emit_json(v, true, &b);
        yval_emit_yaml(v, &b);
        if (pfs_object_from_yval(v, o->kind, &back, NULL) != 0 || !pfs_object_same(o, back))
                abort();
        if (!pfs_object_same(o, c) || pfs_object_validate_update(o, c, NULL) != 0 || pfs_object_validate(c, NULL))
                abort();
        yval_free(v);
        pfs_buf_free(&b);
        pfs_object_free(back);
        pfs_object_free(c);
}

static void mixed(const char *text, size_t size)
{
        struct pfs_manifest m = { 0 };

        if (pfs_manifest_parse(text, size, "fuzz.yaml", "default", &m, NULL) != 0)
                return;
        for (size_t i = 0; i < m.n_pods; i++)
                exercise(m.pods[i]);
        for (size_t i = 0; i < m.n_objects; i++)
                exercise_object(m.objects[i]);
        pfs_manifest_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* an exact-size copy: ASan catches a read one past the end */
        char *text = malloc(size ? size : 1);
        struct pod_spec **pods = NULL;
        struct pfs_error err = { 0 };
        size_t n = 0;

        memcpy(text, data, size);
        if (pod_manifest_parse(text, size, "fuzz.yaml", "default", NULL, &pods, &n, &err) == 0) {
                for (size_t i = 0; i < n; i++)
                        exercise(pods[i]);
                pod_spec_free_array(pods, n);
        }
        mixed(text, size);
        free(text);
        return 0;
}
