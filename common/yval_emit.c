/* struct yval -> JSON (kubectl -o json layout) and block YAML (kubectl -o yaml
 * layout, written by libyaml's emitter), quoting every string that a YAML
 * reader would otherwise mistype. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <yaml.h>
#include "pfs/util.h"
#include "pfs/yval.h"

/* Characters that must travel as escapes: C0/C1 controls and DEL (not
 * printable in YAML), U+0085/U+2028/U+2029 (line breaks to YAML, and
 * escaped by Go's JSON encoder), the BOM and the non-characters U+FFFE/F. */
static bool must_escape(uint32_t cp)
{
        return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF ||
               cp == 0xFFFE || cp == 0xFFFF;
}

/* Shared by both emitters: a double-quoted string with JSON escapes (a subset
 * of YAML's double-quoted escapes, so valid in both). Invalid UTF-8 becomes U+FFFD. */
static void emit_dquoted(const char *s, size_t n, struct pfs_buf *out)
{
        const unsigned char *p = (const unsigned char *)s;

        pfs_buf_puts(out, "\"");
        for (size_t i = 0; i < n;) {
                unsigned char c = p[i];
                uint32_t cp;
                size_t l;

                switch (c) {
                case '"': pfs_buf_puts(out, "\\\""); i++; continue;
                case '\\': pfs_buf_puts(out, "\\\\"); i++; continue;
                case '\b': pfs_buf_puts(out, "\\b"); i++; continue;
                case '\f': pfs_buf_puts(out, "\\f"); i++; continue;
                case '\n': pfs_buf_puts(out, "\\n"); i++; continue;
                case '\r': pfs_buf_puts(out, "\\r"); i++; continue;
                case '\t': pfs_buf_puts(out, "\\t"); i++; continue;
                default: break;
                }
                l = pfs_utf8_decode(p + i, n - i, &cp);
                if (l == 0) {
                        pfs_buf_puts(out, "\\ufffd");
                        i++;
                        continue;
                }
                if (must_escape(cp))
                        pfs_buf_printf(out, "\\u%04x", (unsigned)cp);
                else
                        pfs_buf_append(out, p + i, l);
                i += l;
        }
        pfs_buf_puts(out, "\"");
}

/* Shortest representation that reads back as the same double: digits like
 * Go's encoder (plain notation for 1e-6 <= |f| < 1e21), and always with a
 * fraction or exponent so that it reads back as a float, not an integer. */
static void emit_float(double f, struct pfs_buf *out, bool yaml)
{
        char tmp[64];
        int prec, exp10;

        if (isnan(f) || isinf(f)) {
                if (!yaml)
                        pfs_buf_puts(out, "null");
                else
                        pfs_buf_puts(out, isnan(f) ? ".nan" : f > 0 ? ".inf" : "-.inf");
                return;
        }
        for (prec = 1; prec < 17; prec++) {
                snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
                if (strtod(tmp, NULL) == f)
                        break;
        }
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
        exp10 = atoi(strchr(tmp, 'e') + 1);
        if (f == 0 || (exp10 >= -6 && exp10 < 21))
                snprintf(tmp, sizeof(tmp), "%.*f", prec - 1 - exp10 > 0 ? prec - 1 - exp10 : 0, f);
        if (!strpbrk(tmp, ".e"))
                strcat(tmp, ".0");
        pfs_buf_puts(out, tmp);
}

static void emit_scalar_json(const struct yval *v, struct pfs_buf *out)
{
        switch (v->type) {
        case YVAL_NULL:
                pfs_buf_puts(out, "null");
                break;
        case YVAL_BOOL:
                pfs_buf_puts(out, v->b ? "true" : "false");
                break;
        case YVAL_INT:
                pfs_buf_printf(out, "%lld", (long long)v->i);
                break;
        case YVAL_FLOAT:
                emit_float(v->f, out, false);
                break;
        case YVAL_STRING:
                emit_dquoted(v->str.s, v->str.len, out);
                break;
        default:
                break;
        }
}

static void json_newline(struct pfs_buf *out, bool pretty, int indent)
{
        if (!pretty)
                return;
        pfs_buf_puts(out, "\n");
        for (int i = 0; i < indent; i++)
                pfs_buf_puts(out, "  ");
}

static void emit_json_at(const struct yval *v, bool pretty, int indent, struct pfs_buf *out)
{
        if (!v) {
                pfs_buf_puts(out, "null");
                return;
        }
        if (v->type == YVAL_LIST && v->list.n > 0) {
                pfs_buf_puts(out, "[");
                for (size_t i = 0; i < v->list.n; i++) {
                        if (i)
                                pfs_buf_puts(out, ",");
                        json_newline(out, pretty, indent + 1);
                        emit_json_at(v->list.items[i], pretty, indent + 1, out);
                }
                json_newline(out, pretty, indent);
                pfs_buf_puts(out, "]");
        } else if (v->type == YVAL_MAP && v->map.n > 0) {
                pfs_buf_puts(out, "{");
                for (size_t i = 0; i < v->map.n; i++) {
                        if (i)
                                pfs_buf_puts(out, ",");
                        json_newline(out, pretty, indent + 1);
                        emit_dquoted(v->map.m[i].key, strlen(v->map.m[i].key), out);
                        pfs_buf_puts(out, pretty ? ": " : ":");
                        emit_json_at(v->map.m[i].val, pretty, indent + 1, out);
                }
                json_newline(out, pretty, indent);
                pfs_buf_puts(out, "}");
        } else if (v->type == YVAL_LIST) {
                pfs_buf_puts(out, "[]");
        } else if (v->type == YVAL_MAP) {
                pfs_buf_puts(out, "{}");
        } else {
                emit_scalar_json(v, out);
        }
}

void yval_emit_json(const struct yval *v, bool pretty, struct pfs_buf *out)
{
        emit_json_at(v, pretty, 0, out);
        if (pretty)
                pfs_buf_puts(out, "\n");
}

/* ---- YAML ---- */

/* Words that some YAML reader (1.1 or 1.2) resolves to a non-string. */
static bool yaml_reserved_word(const char *s)
{
        static const char *const words[] = {
                "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
                "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON",
                "off", "Off", "OFF", ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", "+.inf",
                "+.Inf", "+.INF", ".nan", ".NaN", ".NAN", "=", "<<",
        };

        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if (!strcmp(s, words[i]))
                        return true;
        return false;
}

/* Could a 1.1 or 1.2 reader take this for a number (ints, floats, hex, octal,
 * sexagesimal 1:20, 1_000)? Being generous only costs a pair of quotes, but
 * "64Mi" or "1.36-alpine" stay plain as kubectl prints them. */
static bool yaml_numberish(const char *s)
{
        if (*s == '-' || *s == '+')
                s++;
        if (*s == '.')
                s++;
        if (*s < '0' || *s > '9')
                return false;
        return strspn(s, "0123456789_.:+-eExXoObBabcdefABCDEF") == strlen(s);
}

static bool needs_double_quotes(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;

        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t l = pfs_utf8_decode(p + i, n - i, &cp);

                if (l == 0 || must_escape(cp))
                        return true;
                i += l;
        }
        return false;
}

/* A leading indicator makes a plain scalar something else; "-c" and
 * "--flag" stay plain (as kubectl prints args), "- x" and "---" do not. */
static bool starts_with_indicator(const char *s, size_t n)
{
        if (s[0] == '-' && n > 1 && s[1] != ' ' && s[1] != '\t' && strncmp(s, "---", 3) != 0)
                return false;
        return strchr("-?:,[]{}#&*!|>'\"%@` \t", s[0]) != NULL;
}

/* YAML 1.1 timestamps (2026-11-22, 2026-11-22T15:40:48Z): PyYAML and
 * go-yaml read them as dates. */
static bool yaml_timestamp_like(const char *s)
{
        return strspn(s, "0123456789") == 4 && s[4] == '-' && s[5] >= '0' && s[5] <= '9';
}

enum yaml_style { YAML_PLAIN, YAML_SINGLE, YAML_DOUBLE };

/* As go-yaml (and so kubectl) writes a string: double quotes when a reader
 * would take it for another type ("true", "123", "", a timestamp) or it holds
 * characters only escapes can carry; single quotes when it is a string but
 * not a valid plain scalar ("a: b", "*x", " lead"); plain otherwise. */
static enum yaml_style yaml_string_style(const char *s, size_t n)
{
        if (n == 0 || strlen(s) != n || needs_double_quotes(s, n))
                return YAML_DOUBLE;
        if (yaml_reserved_word(s) || yaml_numberish(s) || yaml_timestamp_like(s))
                return YAML_DOUBLE;
        if (starts_with_indicator(s, n))
                return YAML_SINGLE;
        if (s[n - 1] == ' ' || s[n - 1] == ':' || s[n - 1] == '\t')
                return YAML_SINGLE;
        if (strstr(s, ": ") || strstr(s, " #") || strstr(s, ":\t") || strstr(s, "\t#"))
                return YAML_SINGLE;
        return YAML_PLAIN;
}

/* Multi-line text reads best as a literal block ("|"), as kubectl shows a
 * script in args; anything a literal block cannot carry exactly (control
 * characters, CR, a leading space or newline, invalid UTF-8) stays quoted. */
static bool literal_ok(const char *s, size_t n)
{
        if (!memchr(s, '\n', n) || strlen(s) != n)
                return false;
        if (s[0] == ' ' || s[0] == '\n' || s[0] == '\t')
                return false;
        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t l = pfs_utf8_decode((const unsigned char *)s + i, n - i, &cp);

                if (l == 0 || (cp != '\n' && must_escape(cp)))
                        return false;
                i += l;
        }
        return true;
}

/* Invalid UTF-8 (which libyaml refuses) becomes U+FFFD, as in JSON. NULL when s is valid. */
static char *utf8_sanitized(const char *s, size_t n, size_t *ret_n)
{
        struct pfs_buf b = {0};
        bool bad = false;

        for (size_t i = 0; i < n;) {
                uint32_t cp;
                size_t l = pfs_utf8_decode((const unsigned char *)s + i, n - i, &cp);

                if (l == 0) {
                        pfs_buf_puts(&b, "\xef\xbf\xbd");
                        bad = true;
                        i++;
                        continue;
                }
                pfs_buf_append(&b, s + i, l);
                i += l;
        }
        if (!bad) {
                pfs_buf_free(&b);
                return NULL;
        }
        *ret_n = b.len;
        return (char *)b.data;
}

/* The YAML writer is libyaml's emitter; the choices a YAML 1.1 or 1.2 reader
 * needs (which strings must be quoted, when a literal block reads best) and
 * kubectl's number format stay ours. */
struct yemit {
        yaml_emitter_t em;
        bool failed;
};

static void yemit(struct yemit *y, yaml_event_t *ev, int initialized)
{
        if (!initialized) {
                y->failed = true;
                return;
        }
        if (y->failed) {
                yaml_event_delete(ev);
                return;
        }
        if (!yaml_emitter_emit(&y->em, ev)) /* destroys ev, also on failure */
                y->failed = true;
}

static void yemit_scalar(struct yemit *y, const char *s, size_t n, yaml_scalar_style_t style)
{
        yaml_event_t ev;

        yemit(y, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, 1, 1, style));
}

static void yemit_string(struct yemit *y, const char *s, size_t n, bool block_ok)
{
        static const yaml_scalar_style_t styles[] = {
                [YAML_PLAIN] = YAML_PLAIN_SCALAR_STYLE, [YAML_SINGLE] = YAML_SINGLE_QUOTED_SCALAR_STYLE,
                [YAML_DOUBLE] = YAML_DOUBLE_QUOTED_SCALAR_STYLE,
        };
        yaml_scalar_style_t style = block_ok && literal_ok(s, n) ? YAML_LITERAL_SCALAR_STYLE
                                                                 : styles[yaml_string_style(s, n)];
        size_t clean_n = 0;
        char *clean = utf8_sanitized(s, n, &clean_n);

        yemit_scalar(y, clean ? clean : s, clean ? clean_n : n, style);
        free(clean);
}

static void yemit_node(struct yemit *y, const struct yval *v);

static void yemit_collection(struct yemit *y, const struct yval *v)
{
        bool map = v->type == YVAL_MAP, empty = map ? v->map.n == 0 : v->list.n == 0;
        yaml_event_t ev;

        if (map)
                yemit(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                                  empty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
        else
                yemit(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                                   empty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
        for (size_t i = 0; map && i < v->map.n; i++) {
                yemit_string(y, v->map.m[i].key, strlen(v->map.m[i].key), false);
                yemit_node(y, v->map.m[i].val);
        }
        for (size_t i = 0; !map && i < v->list.n; i++)
                yemit_node(y, v->list.items[i]);
        if (map)
                yemit(y, &ev, yaml_mapping_end_event_initialize(&ev));
        else
                yemit(y, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void yemit_node(struct yemit *y, const struct yval *v)
{
        struct pfs_buf text = {0};

        if (v && (v->type == YVAL_MAP || v->type == YVAL_LIST)) {
                yemit_collection(y, v);
                return;
        }
        if (v && v->type == YVAL_STRING) {
                yemit_string(y, v->str.s, v->str.len, true);
                return;
        }
        if (v && v->type == YVAL_FLOAT)
                emit_float(v->f, &text, true);
        else if (v)
                emit_scalar_json(v, &text); /* null, true/false, integers: as JSON writes them */
        else
                pfs_buf_puts(&text, "null");
        yemit_scalar(y, (const char *)text.data, text.len, YAML_PLAIN_SCALAR_STYLE);
        pfs_buf_free(&text);
}

static int yemit_write(void *data, unsigned char *buf, size_t size)
{
        pfs_buf_append(data, buf, size);
        return 1;
}

void yval_emit_yaml(const struct yval *v, struct pfs_buf *out)
{
        struct yemit y = {0};
        yaml_event_t ev;

        if (!yaml_emitter_initialize(&y.em))
                abort(); /* out of memory, as xmalloc */
        yaml_emitter_set_output(&y.em, yemit_write, out);
        yaml_emitter_set_unicode(&y.em, 1);
        yaml_emitter_set_width(&y.em, -1);      /* kubectl does not fold long lines */
        yaml_emitter_set_indent(&y.em, 2);
        yaml_emitter_set_break(&y.em, YAML_LN_BREAK);
        yemit(&y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
        yemit(&y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
        yemit_node(&y, v);
        yemit(&y, &ev, yaml_document_end_event_initialize(&ev, 1));
        yemit(&y, &ev, yaml_stream_end_event_initialize(&ev));
        if (y.failed)
                pfs_log(LOG_ERR, "YAML emitter: %s", y.em.problem ? y.em.problem : "failed");
        yaml_emitter_delete(&y.em);
}
