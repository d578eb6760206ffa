/* A generic YAML/JSON value tree with source lines: the manifest parser reads
 * into it, and status/pod.json are built as trees and emitted as JSON or YAML. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pfs/error.h"
#include "pfs/util.h"

enum yval_type { YVAL_NULL, YVAL_BOOL, YVAL_INT, YVAL_FLOAT, YVAL_STRING, YVAL_LIST, YVAL_MAP };

struct yval;

struct ymember {
        char *key;
        int line;
        struct yval *val;
};

struct yval {
        enum yval_type type;
        int line;               /* 1-based source line; 0 for built values */
        union {
                bool b;
                int64_t i;
                double f;
                struct { char *s; size_t len; } str;
                struct { struct yval **items; size_t n; } list;
                struct { struct ymember *m; size_t n; } map;
        };
};

/* One document of a YAML stream, with its source text (for spec.yaml). */
struct ydoc {
        struct yval *root;      /* NULL for an empty document */
        size_t start, end;      /* byte range of the document in the input */
        int line;               /* first line of the document */
};

/* Parse a YAML (or JSON) stream. Plain scalars follow YAML 1.2 core schema:
 * null/~/empty -> NULL, true/false -> BOOL, integers -> INT, floats -> FLOAT,
 * everything else and every quoted scalar -> STRING. Anchors/aliases and
 * duplicate keys are rejected ("line N: duplicate key \"x\""). Limits:
 * depth 64, 1 MiB input. */
int yval_parse_stream(const char *text, size_t len, struct ydoc **ret_docs, size_t *ret_n,
                      struct pfs_error *err);
/* The same without the 1 MiB limit: for podfs's own files (a stored
 * Secret's data in base64 is larger than the data). */
int yval_parse_stream_unbounded(const char *text, size_t len, struct ydoc **ret_docs, size_t *ret_n,
                                struct pfs_error *err);
void ydoc_free_array(struct ydoc *docs, size_t n);

struct yval *yval_new_null(void);
struct yval *yval_new_bool(bool b);
struct yval *yval_new_int(int64_t i);
struct yval *yval_new_str(const char *s);       /* NULL gives a null value */
struct yval *yval_new_strn(const char *s, size_t n);
struct yval *yval_new_list(void);
struct yval *yval_new_map(void);
/* Takes ownership of val; replaces an existing key in place. Returns val. */
struct yval *yval_map_set(struct yval *map, const char *key, struct yval *val);
struct yval *yval_list_push(struct yval *list, struct yval *val);
/* Appends key (taken, not copied) without looking for it: for callers that
 * know it is new (a parser that checked, a clone). Returns val. */
struct yval *yval_map_add(struct yval *map, char *key, int line, struct yval *val);
struct yval *yval_clone(const struct yval *v);
void yval_free(struct yval *v);

const struct yval *yval_map_get(const struct yval *map, const char *key);
/* Convenience getters: return def when missing or of another type. */
const char *yval_get_str(const struct yval *map, const char *key, const char *def);
int64_t yval_get_int(const struct yval *map, const char *key, int64_t def);
bool yval_get_bool(const struct yval *map, const char *key, bool def);
const char *yval_type_name(enum yval_type t); /* "string", "integer", "boolean", "object", "array", "null", "number" */

/* Emit JSON (pretty: 2-space indent and trailing newline, like kubectl -o json)
 * or YAML (block style, like kubectl -o yaml). Map keys keep insertion order. */
void yval_emit_json(const struct yval *v, bool pretty, struct pfs_buf *out);
void yval_emit_yaml(const struct yval *v, struct pfs_buf *out);

/* Additions. */
struct yval *yval_new_float(double f);
/* The member (key, line, value) of map named key, or NULL. */
const struct ymember *yval_map_member(const struct yval *map, const char *key);
/* Deep equality; maps compare as sets of keys, lists in order, NaN equals NaN.
 * NULL == NULL. */
bool yval_equal(const struct yval *a, const struct yval *b);
/* Input limits of yval_parse_stream. */
#define YVAL_MAX_INPUT (1024 * 1024)
#define YVAL_MAX_DEPTH 64
