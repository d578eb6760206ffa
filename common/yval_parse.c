/* YAML/JSON text -> struct yval via libyaml events, with YAML 1.2 core-schema
 * typing of plain scalars, source lines, and the limits a daemon needs
 * against hostile input (size, depth, no aliases, no duplicate keys). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <yaml.h>
#include "pfs/yval.h"

struct yparser {
        yaml_parser_t p;
        yaml_event_t ev;
        bool have_ev;
        const char *text;
        size_t len;
        struct pfs_error *err;
};

static int ev_line(const yaml_event_t *ev)
{
        return (int)ev->start_mark.line + 1;
}

static int yparser_next(struct yparser *yp)
{
        if (yp->have_ev)
                yaml_event_delete(&yp->ev);
        yp->have_ev = false;
        if (!yaml_parser_parse(&yp->p, &yp->ev)) {
                const char *problem = yp->p.problem ? yp->p.problem : "unknown error";
                int line = (int)yp->p.problem_mark.line + 1;

                if (yp->p.context)
                        return pfs_error_set(yp->err, EINVAL, "line %d: YAML syntax error: %s %s", line,
                                             problem, yp->p.context);
                return pfs_error_set(yp->err, EINVAL, "line %d: YAML syntax error: %s", line, problem);
        }
        yp->have_ev = true;
        return 0;
}

static bool all_digits(const char *s, const char *set)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (!strchr(set, *s))
                        return false;
        return true;
}

static bool is_core_null(const char *s)
{
        return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int core_bool(const char *s)
{
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
                return 1;
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
                return 0;
        return -1;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_core_float_syntax(const char *s)
{
        size_t ndig = 0;

        if (*s == '-' || *s == '+')
                s++;
        while (*s >= '0' && *s <= '9')
                s++, ndig++;
        if (*s == '.') {
                s++;
                while (*s >= '0' && *s <= '9')
                        s++, ndig++;
        }
        if (ndig == 0)
                return false;
        if (*s == 'e' || *s == 'E') {
                s++;
                if (*s == '-' || *s == '+')
                        s++;
                if (!all_digits(s, "0123456789"))
                        return false;
                return true;
        }
        return *s == '\0';
}

static bool core_special_float(const char *s, double *ret)
{
        const char *p = s;
        double sign = 1;

        if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
                *ret = NAN;
                return true;
        }
        if (*p == '-' || *p == '+')
                sign = *p++ == '-' ? -1 : 1;
        if (!strcmp(p, ".inf") || !strcmp(p, ".Inf") || !strcmp(p, ".INF")) {
                *ret = sign * INFINITY;
                return true;
        }
        return false;
}

/* Integer forms of the core schema; false if s is none (or overflows). */
static bool core_int(const char *s, int64_t *ret)
{
        const char *d = s;
        char *end;
        int base = 10;

        if (s[0] == '0' && s[1] == 'o' && all_digits(s + 2, "01234567"))
                base = 8, d = s + 2;
        else if (s[0] == '0' && s[1] == 'x' && all_digits(s + 2, "0123456789abcdefABCDEF"))
                base = 16, d = s + 2;
        else if (!all_digits(s + (*s == '-' || *s == '+'), "0123456789"))
                return false;
        errno = 0;
        if (base == 10) {
                long long v = strtoll(d, &end, 10);

                if (errno || *end)
                        return false;
                *ret = v;
        } else {
                unsigned long long v = strtoull(d, &end, base);

                if (errno || *end || v > INT64_MAX)
                        return false;
                *ret = (int64_t)v;
        }
        return true;
}

/* Resolve a plain scalar by the YAML 1.2 core schema. */
static struct yval *resolve_plain(const char *s, size_t len)
{
        int64_t i;
        double f;
        int b;

        if (strlen(s) != len)
                return yval_new_strn(s, len);
        if (is_core_null(s))
                return yval_new_null();
        if ((b = core_bool(s)) >= 0)
                return yval_new_bool(b);
        if (core_int(s, &i))
                return yval_new_int(i);
        if (core_special_float(s, &f))
                return yval_new_float(f);
        if (is_core_float_syntax(s))
                return yval_new_float(strtod(s, NULL));
        return yval_new_strn(s, len);
}

#define TAG_PREFIX "tag:yaml.org,2002:"

static int scalar_new(struct yparser *yp, struct yval **ret)
{
        const char *s = (const char *)yp->ev.data.scalar.value;
        size_t len = yp->ev.data.scalar.length;
        const char *tag = (const char *)yp->ev.data.scalar.tag;
        struct yval *v;

        if (tag && strcmp(tag, "!") != 0 && strcmp(tag, TAG_PREFIX "str") != 0) {
                static const char *const typed[] = { "null", "bool", "int", "float" };
                static const enum yval_type types[] = { YVAL_NULL, YVAL_BOOL, YVAL_INT, YVAL_FLOAT };

                for (size_t k = 0; k < ARRAY_SIZE(typed); k++) {
                        if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0 ||
                            strcmp(tag + strlen(TAG_PREFIX), typed[k]) != 0)
                                continue;
                        v = resolve_plain(s, len);
                        if (v->type == types[k] || (types[k] == YVAL_FLOAT && v->type == YVAL_INT)) {
                                if (types[k] == YVAL_FLOAT && v->type == YVAL_INT) {
                                        double f = (double)v->i;

                                        v->type = YVAL_FLOAT;
                                        v->f = f;
                                }
                                *ret = v;
                                return 0;
                        }
                        yval_free(v);
                        return pfs_error_set(yp->err, EINVAL, "line %d: invalid !!%s value \"%.64s\"",
                                             ev_line(&yp->ev), typed[k], s);
                }
                return pfs_error_set(yp->err, EINVAL, "line %d: unsupported YAML tag \"%.64s\"",
                                     ev_line(&yp->ev), tag);
        }
        if (yp->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag)
                *ret = resolve_plain(s, len);
        else
                *ret = yval_new_strn(s, len);
        return 0;
}

static int check_anchor(struct yparser *yp, const yaml_char_t *anchor)
{
        if (anchor)
                return pfs_error_set(yp->err, EINVAL, "line %d: YAML anchors and aliases are not supported",
                                     ev_line(&yp->ev));
        return 0;
}

static int parse_node(struct yparser *yp, int depth, struct yval **ret);

static int parse_seq(struct yparser *yp, int depth, struct yval *list)
{
        for (;;) {
                struct yval *item = NULL;
                int r = yparser_next(yp);

                if (r < 0)
                        return r;
                if (yp->ev.type == YAML_SEQUENCE_END_EVENT)
                        return 0;
                r = parse_node(yp, depth, &item);
                if (r < 0)
                        return r;
                yval_list_push(list, item);
        }
}

static int map_key(struct yparser *yp, char **ret_key, int *ret_line)
{
        int line = ev_line(&yp->ev);

        if (yp->ev.type == YAML_ALIAS_EVENT)
                return check_anchor(yp, (const yaml_char_t *)"*");
        if (yp->ev.type != YAML_SCALAR_EVENT)
                return pfs_error_set(yp->err, EINVAL, "line %d: a mapping key must be a scalar", line);
        if (check_anchor(yp, yp->ev.data.scalar.anchor) < 0)
                return -EINVAL;
        /* "image\0x" must not pass for "image". */
        if (strlen((const char *)yp->ev.data.scalar.value) != yp->ev.data.scalar.length)
                return pfs_error_set(yp->err, EINVAL, "line %d: a mapping key must not contain NUL characters",
                                     line);
        *ret_key = xstrndup((const char *)yp->ev.data.scalar.value, yp->ev.data.scalar.length);
        *ret_line = line;
        return 0;
}

static int parse_map(struct yparser *yp, int depth, struct yval *map)
{
        for (;;) {
                _cleanup_free_ char *key = NULL;
                struct yval *val = NULL;
                int line = 0, r = yparser_next(yp);

                if (r < 0)
                        return r;
                if (yp->ev.type == YAML_MAPPING_END_EVENT)
                        return 0;
                r = map_key(yp, &key, &line);
                if (r < 0)
                        return r;
                if (yval_map_member(map, key))
                        return pfs_error_set(yp->err, EINVAL, "line %d: duplicate key \"%.128s\"", line, key);
                r = yparser_next(yp);
                if (r < 0)
                        return r;
                r = parse_node(yp, depth, &val);
                if (r < 0)
                        return r;
                yval_map_set(map, key, val);
                map->map.m[map->map.n - 1].line = line;
        }
}

static int collection_tag_check(struct yparser *yp, const yaml_char_t *tag, const char *want)
{
        if (tag && strcmp((const char *)tag, want) != 0)
                return pfs_error_set(yp->err, EINVAL, "line %d: unsupported YAML tag \"%.64s\"",
                                     ev_line(&yp->ev), (const char *)tag);
        return 0;
}

static int parse_collection(struct yparser *yp, int depth, struct yval **ret)
{
        bool seq = yp->ev.type == YAML_SEQUENCE_START_EVENT;
        const yaml_char_t *anchor = seq ? yp->ev.data.sequence_start.anchor : yp->ev.data.mapping_start.anchor;
        const yaml_char_t *tag = seq ? yp->ev.data.sequence_start.tag : yp->ev.data.mapping_start.tag;
        int line = ev_line(&yp->ev), r;
        struct yval *v;

        if (check_anchor(yp, anchor) < 0)
                return -EINVAL;
        if (collection_tag_check(yp, tag, seq ? TAG_PREFIX "seq" : TAG_PREFIX "map") < 0)
                return -EINVAL;
        if (depth + 1 > YVAL_MAX_DEPTH)
                return pfs_error_set(yp->err, EINVAL, "line %d: nesting deeper than %d levels", line,
                                     YVAL_MAX_DEPTH);
        v = seq ? yval_new_list() : yval_new_map();
        v->line = line;
        r = seq ? parse_seq(yp, depth + 1, v) : parse_map(yp, depth + 1, v);
        if (r < 0) {
                yval_free(v);
                return r;
        }
        *ret = v;
        return 0;
}

/* Consumes the current event and, for collections, everything up to the end. */
static int parse_node(struct yparser *yp, int depth, struct yval **ret)
{
        int r;

        switch (yp->ev.type) {
        case YAML_SCALAR_EVENT:
                if (check_anchor(yp, yp->ev.data.scalar.anchor) < 0)
                        return -EINVAL;
                r = scalar_new(yp, ret);
                if (r == 0)
                        (*ret)->line = ev_line(&yp->ev);
                return r;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
                return parse_collection(yp, depth, ret);
        case YAML_ALIAS_EVENT:
                return check_anchor(yp, (const yaml_char_t *)"*");
        default:
                return pfs_error_set(yp->err, EINVAL, "line %d: unexpected YAML event", ev_line(&yp->ev));
        }
}

/* libyaml counts marks in characters; the document ranges are bytes. */
static size_t char_to_byte(const char *text, size_t len, size_t chars)
{
        size_t b = 0;

        while (b < len && chars > 0) {
                b++;
                while (b < len && ((unsigned char)text[b] & 0xC0) == 0x80)
                        b++;
                chars--;
        }
        return b;
}

static int parse_document(struct yparser *yp, struct ydoc *doc)
{
        struct yval *root = NULL;
        int r;

        doc->line = ev_line(&yp->ev);
        doc->start = yp->ev.start_mark.index;
        r = yparser_next(yp);
        if (r < 0)
                return r;
        r = parse_node(yp, 0, &root);
        if (r < 0)
                return r;
        if (root->type == YVAL_NULL) {
                yval_free(root);
                root = NULL;
        }
        doc->root = root;
        r = yparser_next(yp);
        if (r < 0)
                return r;
        doc->end = yp->ev.end_mark.index;
        return 0;
}

static int parse_stream(struct yparser *yp, struct ydoc **docs, size_t *n)
{
        int r = yparser_next(yp);

        if (r < 0)
                return r;
        for (;;) {
                r = yparser_next(yp);
                if (r < 0)
                        return r;
                if (yp->ev.type == YAML_STREAM_END_EVENT)
                        return 0;
                *docs = xrealloc(*docs, (*n + 1) * sizeof(**docs));
                (*docs)[*n] = (struct ydoc){ 0 };
                (*n)++;
                r = parse_document(yp, &(*docs)[*n - 1]);
                if (r < 0)
                        return r;
        }
}

static int parse_text(const char *text, size_t len, struct ydoc **ret_docs, size_t *ret_n,
                      struct pfs_error *err)
{
        struct yparser yp = { .text = text, .len = len, .err = err };
        struct ydoc *docs = NULL;
        size_t n = 0;
        int r;

        if (!yaml_parser_initialize(&yp.p))
                return pfs_error_set(err, ENOMEM, "cannot initialize the YAML parser");
        yaml_parser_set_input_string(&yp.p, (const unsigned char *)text, len);
        yaml_parser_set_encoding(&yp.p, YAML_UTF8_ENCODING);
        r = parse_stream(&yp, &docs, &n);
        if (yp.have_ev)
                yaml_event_delete(&yp.ev);
        yaml_parser_delete(&yp.p);
        if (r < 0) {
                ydoc_free_array(docs, n);
                return r;
        }
        /* Comments between documents belong to the next one; the last one
         * runs to the end of the input. */
        for (size_t i = 0; i < n; i++) {
                docs[i].start = i == 0 ? 0 : docs[i - 1].end;
                docs[i].end = i + 1 == n ? len : char_to_byte(text, len, docs[i].end);
        }
        *ret_docs = docs;
        *ret_n = n;
        return 0;
}

static bool hex4(const char *s, size_t avail, unsigned *ret)
{
        char tmp[5];
        char *end;

        if (avail < 4 || strspn(s, "0123456789abcdefABCDEF") < 4)
                return false;
        memcpy(tmp, s, 4);
        tmp[4] = '\0';
        *ret = (unsigned)strtoul(tmp, &end, 16);
        return true;
}

/* "\ud83d\ude00" at s (avail bytes) -> the code point, or 0. */
static uint32_t surrogate_pair(const char *s, size_t avail)
{
        unsigned hi, lo;

        if (avail < 12 || s[1] != 'u' || !hex4(s + 2, avail - 2, &hi) || hi < 0xD800 || hi > 0xDBFF ||
            s[6] != '\\' || s[7] != 'u' || !hex4(s + 8, avail - 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return 0;
        return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
}

/* JSON writers such as Python's json.dumps escape characters beyond the BMP
 * as surrogate pairs, which libyaml refuses: a copy of text with the pairs of
 * double-quoted strings turned into UTF-8, and the original offset of every
 * byte of the copy (so that document ranges still point into text). */
static char *join_surrogates(const char *text, size_t len, size_t *ret_len, size_t **ret_orig)
{
        char *out = xmalloc(len + 1);
        size_t *orig = xmalloc((len + 1) * sizeof(size_t));
        size_t o = 0, i = 0;
        bool in_str = false;

        while (i < len) {
                uint32_t cp = in_str && text[i] == '\\' ? surrogate_pair(text + i, len - i) : 0;
                size_t copy = in_str && text[i] == '\\' && i + 1 < len ? 2 : 1;

                if (cp) {
                        unsigned char u[4] = { 0xF0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3F),
                                               0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F) };

                        for (int k = 0; k < 4; k++, o++) {
                                out[o] = (char)u[k];
                                orig[o] = i;
                        }
                        i += 12;
                        continue;
                }
                if (text[i] == '"')
                        in_str = !in_str;
                for (size_t k = 0; k < copy; k++, o++, i++) {
                        out[o] = text[i];
                        orig[o] = i;
                }
        }
        out[o] = '\0';
        orig[o] = len;
        *ret_len = o;
        *ret_orig = orig;
        return out;
}

static int parse_joined(const char *text, size_t len, struct ydoc **ret_docs, size_t *ret_n,
                        struct pfs_error *err)
{
        _cleanup_free_ size_t *orig = NULL;
        _cleanup_free_ char *joined = NULL;
        size_t jlen = 0;
        int r;

        joined = join_surrogates(text, len, &jlen, &orig);
        r = parse_text(joined, jlen, ret_docs, ret_n, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < *ret_n; i++) {
                (*ret_docs)[i].start = orig[(*ret_docs)[i].start];
                (*ret_docs)[i].end = orig[(*ret_docs)[i].end];
        }
        return 0;
}

int yval_parse_stream(const char *text, size_t len, struct ydoc **ret_docs, size_t *ret_n,
                      struct pfs_error *err)
{
        struct pfs_error local;
        int r;

        if (!err)
                err = &local;
        if (len > YVAL_MAX_INPUT)
                return pfs_error_set(err, EFBIG, "input is larger than the limit of 1 MiB (%d bytes)",
                                     YVAL_MAX_INPUT);
        r = parse_text(text, len, ret_docs, ret_n, err);
        if (r < 0 && strstr(err->msg, "invalid Unicode character escape code") &&
            (memmem(text, len, "\\ud", 3) || memmem(text, len, "\\uD", 3)))
                r = parse_joined(text, len, ret_docs, ret_n, err);
        return r;
}
