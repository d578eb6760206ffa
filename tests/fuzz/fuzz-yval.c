/* libFuzzer harness: the YAML/JSON value parser on arbitrary bytes (not
 * NUL-terminated), and the emitters' round trip: what yval_emit_json and
 * yval_emit_yaml write must parse back to the same value (JSON has no
 * NaN/Inf: those come back as null, as the emitter documents). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/yval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct yval *a, const struct yval *b, bool json);

static bool same_map(const struct yval *a, const struct yval *b, bool json)
{
        if (a->map.n != b->map.n)
                return false;
        for (size_t i = 0; i < a->map.n; i++) {
                /* emitters keep insertion order */
                if (strcmp(a->map.m[i].key, b->map.m[i].key) || !same(a->map.m[i].val, b->map.m[i].val, json))
                        return false;
        }
        return true;
}

static bool same(const struct yval *a, const struct yval *b, bool json)
{
        if (a && a->type == YVAL_FLOAT && (isnan(a->f) || isinf(a->f))) {
                if (json)
                        return !b || b->type == YVAL_NULL;
                return b && b->type == YVAL_FLOAT && (isnan(a->f) ? isnan(b->f) : a->f == b->f);
        }
        if (!a || !b || a->type != b->type)
                return a == b || (!a && b->type == YVAL_NULL) || (!b && a->type == YVAL_NULL);
        switch (a->type) {
        case YVAL_LIST:
                if (a->list.n != b->list.n)
                        return false;
                for (size_t i = 0; i < a->list.n; i++)
                        if (!same(a->list.items[i], b->list.items[i], json))
                                return false;
                return true;
        case YVAL_MAP:
                return same_map(a, b, json);
        default:
                return yval_equal(a, b);
        }
}

static void round_trip(const struct yval *v, bool json)
{
        struct pfs_buf b = { 0 };
        struct ydoc *docs = NULL;
        struct pfs_error err = { 0 };
        size_t n = 0;
        char *copy;

        if (json)
                yval_emit_json(v, true, &b);
        else
                yval_emit_yaml(v, &b);
        if (b.len > YVAL_MAX_INPUT) {
                pfs_buf_free(&b);
                return;
        }
        copy = malloc(b.len ? b.len : 1);
        memcpy(copy, b.data, b.len);
        if (yval_parse_stream(copy, b.len, &docs, &n, &err) < 0 || n != 1 || !same(v, docs[0].root, json)) {
                fprintf(stderr, "%s round trip failed (%s):\n%s\n", json ? "JSON" : "YAML",
                        err.code ? err.msg : "value differs", b.data);
                abort();
        }
        ydoc_free_array(docs, n);
        free(copy);
        pfs_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size ? size : 1);
        struct ydoc *docs = NULL;
        struct pfs_error err = { 0 };
        size_t n = 0;

        memcpy(text, data, size);
        if (yval_parse_stream(text, size, &docs, &n, &err) == 0) {
                for (size_t i = 0; i < n; i++) {
                        struct yval *c = yval_clone(docs[i].root);

                        if (!yval_equal(c, docs[i].root))
                                abort();
                        yval_free(c);
                        if (!docs[i].root)
                                continue;
                        round_trip(docs[i].root, true);
                        round_trip(docs[i].root, false);
                }
                ydoc_free_array(docs, n);
        }
        free(text);
        return 0;
}
