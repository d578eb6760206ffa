/* YAML/JSON text -> struct yval via libyaml events, with YAML 1.2 core-schema
 * typing of plain scalars, source lines, and the limits a daemon needs
 * against hostile input (size, depth, no aliases, no duplicate keys). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#include "pfs/strindex.h"
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
        else if (s[0] == '0' && s[1] && all_digits(s + 1, "01234567"))
                base = 8, d = s + 1;    /* YAML 1.1, as kubectl reads "defaultMode: 0644" */
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
                        /* the value is not quoted: it may be a Secret's */
                        return pfs_error_set(yp->err, EINVAL, "line %d: the value is not a valid !!%s",
                                             ev_line(&yp->ev), typed[k]);
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

/* Keys seen so far in one mapping: searched while few, indexed beyond
 * (a 1 MiB mapping of short keys would make a search per key quadratic). */
#define KEYS_INDEX_MIN 16

static bool key_seen(struct pfs_strindex *idx, const struct yval *map, const char *key)
{
        if (map->map.n < KEYS_INDEX_MIN)
                return yval_map_member(map, key) != NULL;
        if (!idx->cap) {
                pfs_strindex_init(idx, 2 * map->map.n);
                for (size_t i = 0; i < map->map.n; i++)
                        pfs_strindex_put(idx, map->map.m[i].key, i);
        }
        return pfs_strindex_get(idx, key, NULL);
}

static int parse_map_member(struct yparser *yp, int depth, struct yval *map, struct pfs_strindex *idx)
{
        _cleanup_free_ char *key = NULL;
        struct yval *val = NULL;
        int line = 0, r;

        r = map_key(yp, &key, &line);
        if (r < 0)
                return r;
        if (key_seen(idx, map, key))
                return pfs_error_set(yp->err, EINVAL, "line %d: duplicate key \"%.128s\"", line, key);
        r = yparser_next(yp);
        if (r < 0)
                return r;
        r = parse_node(yp, depth, &val);
        if (r < 0)
                return r;
        yval_map_add(map, steal_ptr(&key), line, val);
        if (idx->cap)
                pfs_strindex_put(idx, map->map.m[map->map.n - 1].key, map->map.n - 1);
        return 0;
}

static int parse_map(struct yparser *yp, int depth, struct yval *map)
{
        struct pfs_strindex idx = { 0 };
        int r;

        for (;;) {
                r = yparser_next(yp);
                if (r < 0 || yp->ev.type == YAML_MAPPING_END_EVENT)
                        break;
                r = parse_map_member(yp, depth, map, &idx);
                if (r < 0)
                        break;
        }
        pfs_strindex_free(&idx);
        return r;
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

        /* not strspn: s is not NUL-terminated (the input honours its length) */
        if (avail < 4)
                return false;
        for (size_t k = 0; k < 4; k++)
                if (!isxdigit((unsigned char)s[k]))
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

/* What a JSON string may hold raw that libyaml refuses: DEL, the C1
 * controls and U+FFFE/U+FFFF (not printable to YAML), U+2028 and U+2029
 * (line breaks to YAML).
 * Writes the escape into esc and returns the bytes it replaces, or 0. */
static size_t json_raw_escape(const char *s, size_t avail, char esc[static 8])
{
        const unsigned char *p = (const unsigned char *)s;
        unsigned cp;
        size_t n;

        if (p[0] == 0x7F)
                cp = 0x7F, n = 1;
        else if (avail >= 2 && p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
                cp = p[1], n = 2;
        else if (avail >= 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9))
                cp = 0x2000 + p[2] - 0x80, n = 3;
        else if (avail >= 3 && p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF))
                cp = 0xFFC0 + p[2] - 0x80, n = 3;
        else
                return 0;
        snprintf(esc, 8, "\\u%04x", cp);
        return n;
}

struct normalized {
        char *text;
        size_t len;
        size_t *orig;           /* original offset of every byte of text (and of its end) */
};

static void norm_put(struct normalized *nm, const char *bytes, size_t n, size_t orig)
{
        memcpy(nm->text + nm->len, bytes, n);
        for (size_t k = 0; k < n; k++)
                nm->orig[nm->len++] = orig;
}

/* One step inside a JSON string at text[i]; returns the input bytes consumed. */
static size_t norm_in_string(struct normalized *nm, const char *text, size_t len, size_t i)
{
        uint32_t cp = text[i] == '\\' ? surrogate_pair(text + i, len - i) : 0;
        char esc[8];
        size_t n;

        if (cp) {
                char u[4] = { (char)(0xF0 | (cp >> 18)), (char)(0x80 | ((cp >> 12) & 0x3F)),
                              (char)(0x80 | ((cp >> 6) & 0x3F)), (char)(0x80 | (cp & 0x3F)) };

                norm_put(nm, u, 4, i);
                return 12;
        }
        if ((n = json_raw_escape(text + i, len - i, esc))) {
                norm_put(nm, esc, strlen(esc), i);
                return n;
        }
        n = text[i] == '\\' && i + 1 < len ? 2 : 1;
        for (size_t k = 0; k < n; k++)
                norm_put(nm, text + i + k, 1, i + k);
        return n;
}

/* YAML limits an implicit key to 1024 characters; JSON does not. A string
 * just ended at text[i - 1] that is an object key (':' follows) and longer
 * than that (counted in bytes, never fewer than characters) becomes an
 * explicit flow key: "? " goes before it. The buffer has room (6 bytes per
 * input byte, a key of 1000 takes 2 more). */
#define YAML_SIMPLE_KEY_MAX 1000

static void norm_long_key(struct normalized *nm, size_t start, const char *text, size_t len, size_t i)
{
        size_t n = nm->len - start;

        if (n <= YAML_SIMPLE_KEY_MAX)
                return;
        while (i < len && memchr(" \t\r\n", text[i], 4))
                i++;
        if (i >= len || text[i] != ':')
                return;
        memmove(nm->text + start + 2, nm->text + start, n);
        memmove(nm->orig + start + 2, nm->orig + start, n * sizeof(*nm->orig));
        nm->text[start] = '?';
        nm->text[start + 1] = ' ';
        nm->orig[start + 1] = nm->orig[start] = nm->orig[start + 2];
        nm->len += 2;
}

/* JSON that libyaml refuses although it is valid JSON: surrogate pairs (as
 * Python's json.dumps writes characters beyond the BMP), the raw characters
 * above inside strings, and keys longer than YAML's implicit keys. Only for input that looks like JSON
 * (no single quotes or comments to confuse the string tracking). Returns
 * false when there is nothing to change. */
static bool json_normalize(const char *text, size_t len, struct normalized *nm)
{
        size_t i = 0, str_start = 0;
        bool in_str = false;

        while (i < len && memchr(" \t\r\n", text[i], 4))
                i++;

        if (i >= len || (text[i] != '{' && text[i] != '['))
                return false;
        nm->text = xmalloc(len * 6 + 1);
        nm->orig = xmalloc((len * 6 + 1) * sizeof(size_t));
        nm->len = 0;
        for (i = 0; i < len;) {
                if (text[i] == '"') {
                        in_str = !in_str;
                        if (in_str)
                                str_start = nm->len;
                        norm_put(nm, text + i, 1, i);
                        i++;
                        if (!in_str)
                                norm_long_key(nm, str_start, text, len, i);
                } else if (in_str) {
                        i += norm_in_string(nm, text, len, i);
                } else {
                        norm_put(nm, text + i, 1, i);
                        i++;
                }
        }
        nm->text[nm->len] = '\0';
        nm->orig[nm->len] = len;
        if (nm->len == len && !memcmp(nm->text, text, len)) {
                free(nm->text);
                free(nm->orig);
                return false;
        }
        return true;
}

static int parse_normalized(const char *text, size_t len, struct ydoc **ret_docs, size_t *ret_n,
                            struct pfs_error *err)
{
        struct normalized nm = { 0 };
        int r;

        if (!json_normalize(text, len, &nm))
                return -err->code;
        r = parse_text(nm.text, nm.len, ret_docs, ret_n, err);
        for (size_t i = 0; r == 0 && i < *ret_n; i++) {
                (*ret_docs)[i].start = nm.orig[(*ret_docs)[i].start];
                (*ret_docs)[i].end = nm.orig[(*ret_docs)[i].end];
        }
        free(nm.text);
        free(nm.orig);
        return r;
}

int yval_parse_stream(const char *text, size_t len, struct ydoc **ret_docs, size_t *ret_n,
                      struct pfs_error *err)
{
        if (len > YVAL_MAX_INPUT)
                return pfs_error_set(err, EFBIG, "input is larger than the limit of 1 MiB (%d bytes)",
                                     YVAL_MAX_INPUT);
        return yval_parse_stream_unbounded(text, len, ret_docs, ret_n, err);
}

int yval_parse_stream_unbounded(const char *text, size_t len, struct ydoc **ret_docs, size_t *ret_n,
                                struct pfs_error *err)
{
        struct pfs_error local;
        int r;

        if (!err)
                err = &local;
        r = parse_text(text, len, ret_docs, ret_n, err);
        if (r < 0)
                r = parse_normalized(text, len, ret_docs, ret_n, err);
        return r;
}
