/* Unit tests of the value tree: core-schema typing, limits, document ranges,
 * JSON escaping and layout, YAML quoting, and round trips through the parser. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include "pfs/yval.h"
#include "tap.h"

static struct yval *parse1(const char *text, struct pfs_error *err)
{
        struct ydoc *docs = NULL;
        size_t n = 0;
        struct yval *root;

        if (yval_parse_stream(text, strlen(text), &docs, &n, err) < 0 || n != 1)
                return NULL;
        root = docs[0].root;
        docs[0].root = NULL;
        ydoc_free_array(docs, n);
        return root;
}

static char *json(const struct yval *v, bool pretty)
{
        struct pfs_buf b = { 0 };

        yval_emit_json(v, pretty, &b);
        return pfs_buf_steal(&b);
}

static char *yaml(const struct yval *v)
{
        struct pfs_buf b = { 0 };

        yval_emit_yaml(v, &b);
        return pfs_buf_steal(&b);
}

static void test_typing(void)
{
        static const struct { const char *text, *want; } cases[] = {
                { "~", "null" }, { "null", "null" }, { "Null", "null" }, { "NULL", "null" }, { "", "null" },
                { "true", "true" }, { "False", "false" }, { "TRUE", "true" },
                { "yes", "\"yes\"" }, { "on", "\"on\"" }, { "tRue", "\"tRue\"" },
                { "0", "0" }, { "-12", "-12" }, { "+7", "7" }, { "0o17", "15" }, { "0x1F", "31" },
                { "0755", "493" }, { "0400", "256" }, { "089", "89" }, { "9223372036854775807", "9223372036854775807" },
                { "1.5", "1.5" }, { "-.5", "-0.5" }, { "1e3", "1000.0" }, { "1.5e-7", "1.5e-07" }, { "123456789.125", "123456789.125" }, { "2.", "2.0" },
                { ".inf", "null" }, { ".nan", "null" },
                { "'true'", "\"true\"" }, { "\"12\"", "\"12\"" }, { "!!str 12", "\"12\"" },
                { "1_000", "\"1_000\"" }, { "0b101", "\"0b101\"" }, { "1:20", "\"1:20\"" },
                { "64Mi", "\"64Mi\"" }, { "hello world", "\"hello world\"" },
                { "\"a\\tb\\u00e9\"", "\"a\\tbé\"" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *text = xasprintf("v: %s\n", cases[i].text);
                struct pfs_error err = { 0 };
                struct yval *root = parse1(text, &err);
                char *got = root ? json(yval_map_get(root, "v"), false) : xstrdup(err.msg);
                char name[96];

                snprintf(name, sizeof(name), "scalar %s", cases[i].text);
                tap_is_str(got, cases[i].want, name);
                free(got);
                free(text);
                yval_free(root);
        }
}

static void test_types_and_lines(void)
{
        struct pfs_error err = { 0 };
        struct yval *root = parse1("# comment\na: 1\nb:\n  - x\n  - {c: 2.5}\nd: \"s\"\n", &err);
        const struct yval *b;

        tap_ok(root && root->type == YVAL_MAP && root->map.n == 3, "a map of three");
        if (!root)
                return;
        tap_is_int(yval_map_get(root, "a")->type, YVAL_INT, "a is an integer");
        tap_is_int(yval_map_get(root, "a")->line, 2, "a is on line 2");
        b = yval_map_get(root, "b");
        tap_ok(b && b->type == YVAL_LIST && b->list.n == 2, "b is a list of two");
        tap_is_int(b->list.items[1]->line, 5, "b[1] is on line 5");
        tap_is_int(yval_map_member(root, "d")->line, 6, "member line");
        tap_ok(yval_map_get(b->list.items[1], "c")->type == YVAL_FLOAT, "c is a float");
        tap_is_str(yval_get_str(root, "d", NULL), "s", "get_str");
        tap_is_str(yval_get_str(root, "a", "def"), "def", "get_str of another type gives the default");
        tap_is_int(yval_get_int(root, "a", 0), 1, "get_int");
        tap_ok(yval_get_bool(root, "zz", true), "get_bool default");
        tap_is_str(yval_type_name(YVAL_MAP), "object", "type name of a map");
        tap_is_str(yval_type_name(YVAL_LIST), "array", "type name of a list");
        yval_free(root);
}

static void expect_error(const char *text, size_t len, int code, const char *msg, const char *name)
{
        struct pfs_error err = { 0 };
        struct ydoc *docs = NULL;
        size_t n = 0;
        int r = yval_parse_stream(text, len, &docs, &n, &err);

        tap_ok(r == -code && docs == NULL, "%s: rejected", name);
        tap_is_str(err.msg, msg, name);
}

static void test_rejections(void)
{
        char *deep, *big;
        struct pfs_error err = { 0 };
        struct yval *root;

        expect_error("a: 1\nb: 2\na: 3\n", 15, EINVAL, "line 3: duplicate key \"a\"", "duplicate key");
        expect_error("a: &x 1\n", 8, EINVAL, "line 1: YAML anchors and aliases are not supported", "anchor");
        expect_error("a: [1, 2\n", 9, EINVAL,
                     "line 2: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence",
                     "syntax error");
        expect_error("a: !!int x\n", 11, EINVAL, "line 1: the value is not a valid !!int", "bad !!int");
        expect_error("a: !foo x\n", 10, EINVAL, "line 1: unsupported YAML tag \"!foo\"", "unknown tag");
        expect_error("? [a]\n: 1\n", 10, EINVAL, "line 1: a mapping key must be a scalar", "complex key");
        expect_error("\"a\\0b\": 1\n", 10, EINVAL, "line 1: a mapping key must not contain NUL characters",
                     "NUL in a key");
        /* 64 levels are fine, 65 are not. */
        deep = xasprintf("%.64s%.64s", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                         "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
        root = parse1(deep, &err);
        tap_ok(root != NULL, "64 levels of nesting are accepted");
        yval_free(root);
        free(deep);
        deep = xasprintf("[%.64s%.64s]", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                         "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
        expect_error(deep, strlen(deep), EINVAL, "line 1: nesting deeper than 64 levels", "65 levels");
        free(deep);
        big = xmalloc(YVAL_MAX_INPUT + 2);
        memset(big, ' ', YVAL_MAX_INPUT + 1);
        big[YVAL_MAX_INPUT + 1] = '\0';
        expect_error(big, YVAL_MAX_INPUT + 1, EFBIG, "input is larger than the limit of 1 MiB (1048576 bytes)",
                     "larger than 1 MiB");
        free(big);
}

static void test_surrogates(void)
{
        static const char text[] = "{\"e\": \"\\ud83d\\ude00!\", \"k\": \"\\\\ud83d\\\\ude00\"}\n---\n{\"x\": 1}\n";
        struct ydoc *d = NULL;
        size_t n = 0;
        const char *raw;
        char *out;

        tap_ok(yval_parse_stream(text, strlen(text), &d, &n, NULL) == 0 && n == 2,
               "JSON with a surrogate pair (as Python writes it) parses");
        if (n != 2)
                return;
        tap_is_str(yval_get_str(d[0].root, "e", NULL), "😀!", "the pair becomes one UTF-8 character");
        tap_is_str(yval_get_str(d[0].root, "k", NULL), "\\ud83d\\ude00", "an escaped backslash stays text");
        tap_ok(d[1].start == (size_t)(strstr(text, "---") - text) && d[1].end == strlen(text),
               "document ranges point into the original text");
        ydoc_free_array(d, n);
        d = NULL;
        n = 0;
        raw = "[\"del\x7f c1\xc2\x9b ls\xe2\x80\xa8 nc\xef\xbf\xbf\"]";
        tap_ok(yval_parse_stream(raw, strlen(raw), &d, &n, NULL) == 0 && n == 1 &&
               !strcmp(d[0].root->list.items[0]->str.s, "del\x7f c1\xc2\x9b ls\xe2\x80\xa8 nc\xef\xbf\xbf"),
               "JSON strings with raw DEL, C1, U+2028, U+FFFF parse");
        out = n == 1 ? json(d[0].root, false) : NULL;
        tap_is_str(out, "[\"del\\u007f c1\\u009b ls\\u2028 nc\\uffff\"]", "and are emitted as escapes");
        free(out);
        ydoc_free_array(d, n);
        expect_error("{\"b\": \"\\ud83d\"}", 15, EINVAL,
                     "line 1: YAML syntax error: found invalid Unicode character escape code while parsing a quoted scalar",
                     "a lone surrogate");
}

static void test_documents(void)
{
        static const char text[] = "# one\na: 1\n---\nb: 2\n...\n---\n# empty\n---\nc: é\n";
        struct pfs_error err = { 0 };
        struct ydoc *d = NULL;
        size_t n = 0;

        tap_ok(yval_parse_stream(text, strlen(text), &d, &n, &err) == 0 && n == 4, "four documents");
        if (n != 4)
                return;
        tap_ok(d[0].start == 0 && !strncmp(text + d[0].end, "---\nb", 5), "first document's range");
        tap_ok(!strncmp(text + d[1].start, "---\nb: 2\n...\n", d[1].end - d[1].start), "second document's range");
        tap_ok(d[2].root == NULL, "an empty document has no root");
        tap_is_int(d[3].line, 8, "fourth document's line");
        tap_ok(d[3].end == strlen(text) && !strcmp(text + d[3].start, "---\nc: é\n"),
               "last document runs to the end (bytes, not characters)");
        tap_is_str(yval_get_str(d[3].root, "c", NULL), "é", "UTF-8 value");
        ydoc_free_array(d, n);
        tap_ok(yval_parse_stream("", 0, &d, &n, &err) == 0 && n == 0, "empty input has no documents");
        ydoc_free_array(d, n);
}

static struct yval *sample(void)
{
        struct yval *m = yval_new_map(), *l, *inner;

        yval_map_set(m, "name", yval_new_str("web"));
        l = yval_map_set(m, "items", yval_new_list());
        yval_list_push(l, yval_new_int(-3));
        yval_list_push(l, yval_new_bool(false));
        yval_list_push(l, yval_new_null());
        inner = yval_list_push(l, yval_new_map());
        yval_map_set(inner, "x", yval_new_float(0.1));
        yval_map_set(inner, "y", yval_new_list());
        yval_map_set(m, "empty", yval_new_map());
        return m;
}

static void test_json(void)
{
        static const char raw[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f é€😀 \xff end";
        static const char cooked[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f é€😀 \xef\xbf\xbd end";
        struct yval *m = sample(), *s, *back;
        struct pfs_error err = { 0 };
        char *out;

        out = json(m, true);
        tap_is_str(out,
                   "{\n"
                   "  \"name\": \"web\",\n"
                   "  \"items\": [\n"
                   "    -3,\n"
                   "    false,\n"
                   "    null,\n"
                   "    {\n"
                   "      \"x\": 0.1,\n"
                   "      \"y\": []\n"
                   "    }\n"
                   "  ],\n"
                   "  \"empty\": {}\n"
                   "}\n", "pretty JSON layout");
        back = parse1(out, &err);
        tap_ok(back && yval_equal(back, m), "pretty JSON parses back equal");
        yval_free(back);
        free(out);
        out = json(m, false);
        tap_is_str(out, "{\"name\":\"web\",\"items\":[-3,false,null,{\"x\":0.1,\"y\":[]}],\"empty\":{}}", "compact JSON");
        free(out);
        yval_free(m);

        s = yval_new_strn(raw, sizeof(raw) - 1);
        out = json(s, false);
        tap_is_str(out, "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f é€😀 \\ufffd end\"", "JSON string escapes");
        back = parse1(out, &err);
        tap_ok(back && back->type == YVAL_STRING && back->str.len == sizeof(cooked) - 1 &&
               !memcmp(back->str.s, cooked, sizeof(cooked) - 1),
               "escaped string parses back (invalid byte as U+FFFD)");
        yval_free(back);
        free(out);
        yval_free(s);
}

/* JSON object keys longer than YAML's 1024-character implicit keys (found by
 * fuzz-yval: our own JSON output did not parse back). */
static void test_json_long_key(void)
{
        struct yval *m = yval_new_map(), *back;
        struct pfs_error err = { 0 };
        char key[3001];
        char *out;

        memset(key, 'k', sizeof(key) - 1);
        key[sizeof(key) - 1] = '\0';
        yval_map_set(m, key, yval_new_str("v"));
        yval_map_set(m, "short", yval_new_int(1));
        for (int pretty = 0; pretty <= 1; pretty++) {
                out = json(m, pretty);
                back = parse1(out, &err);
                tap_ok(back && yval_equal(back, m), "a 3000-byte JSON key parses back (%s)",
                       pretty ? "pretty" : "compact");
                yval_free(back);
                free(out);
        }
        yval_free(m);
}

static void test_yaml_quoting(void)
{
        static const struct { const char *s, *want; } cases[] = {
                { "plain", "plain" }, { "", "\"\"" }, { "true", "\"true\"" }, { "yes", "\"yes\"" }, { "No", "\"No\"" },
                { "null", "\"null\"" }, { "~", "\"~\"" }, { "123", "\"123\"" }, { "1.5", "\"1.5\"" }, { "0x1F", "\"0x1F\"" },
                { "1e3", "\"1e3\"" }, { ".inf", "\".inf\"" }, { "1:20", "\"1:20\"" }, { "a: b", "'a: b'" },
                { "a:b", "a:b" }, { "x:", "'x:'" }, { "a #b", "'a #b'" }, { "a#b", "a#b" }, { "#c", "'#c'" },
                { "-c", "-c" }, { "--flag=1", "--flag=1" }, { "- x", "'- x'" }, { "-", "'-'" }, { "---", "'---'" },
                { "-1", "\"-1\"" }, { "?x", "'?x'" }, { ":x", "':x'" }, { "[a]", "'[a]'" }, { "{a}", "'{a}'" },
                { "*ref", "'*ref'" }, { "&a", "'&a'" }, { "!tag", "'!tag'" }, { "|x", "'|x'" }, { ">x", "'>x'" },
                { "%x", "'%x'" }, { "@x", "'@x'" }, { "`x", "'`x'" }, { "'q'", "'''q'''" }, { "\"q\"", "'\"q\"'" },
                { " lead", "' lead'" }, { "trail ", "'trail '" }, { "it's", "it's" }, { "é", "é" },
                { "64Mi", "64Mi" }, { "busybox:1.36", "busybox:1.36" }, { "/dev/termination-log", "/dev/termination-log" },
                { "line\nbreak", "|-\n  line\n  break" }, { "tab\there", "\"tab\\there\"" }, { "echo $A", "echo $A" },
                { "1.36-alpine", "1.36-alpine" }, { "2026-11-22T15:40:48Z", "\"2026-11-22T15:40:48Z\"" },
                { "2026-11-22", "\"2026-11-22\"" }, { "2026-11-22 15:40:48.5 +1", "\"2026-11-22 15:40:48.5 +1\"" },
                { "v2026-11-22", "v2026-11-22" }, { "a, b", "a, b" }, { "=", "\"=\"" }, { "<<", "\"<<\"" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct yval *m = yval_new_map(), *back;
                struct pfs_error err = { 0 };
                char *out, *want, name[96];

                yval_map_set(m, "k", yval_new_str(cases[i].s));
                out = yaml(m);
                want = xasprintf("k: %s\n", cases[i].want);
                snprintf(name, sizeof(name), "YAML of \"%s\"", cases[i].s);
                tap_is_str(out, want, name);
                back = parse1(out, &err);
                tap_ok(back && yval_equal(back, m), "%s reads back as the same string", name);
                yval_free(back);
                free(out);
                free(want);
                yval_free(m);
        }
}

static void test_yaml_layout(void)
{
        struct yval *m = sample(), *back, *key = yval_new_map();
        struct pfs_error err = { 0 };
        char *out = yaml(m);

        tap_is_str(out,
                   "name: web\n"
                   "items:\n"
                   "- -3\n"
                   "- false\n"
                   "- null\n"
                   "- x: 0.1\n"
                   "  \"y\": []\n"
                   "empty: {}\n", "block YAML layout (lists at the key's column, like kubectl)");
        back = parse1(out, &err);
        tap_ok(back && yval_equal(back, m), "YAML parses back equal");
        yval_free(back);
        free(out);
        yval_free(m);

        yval_map_set(key, "123", yval_new_list());
        yval_list_push(yval_list_push((struct yval *)yval_map_get(key, "123"), yval_new_list()), yval_new_str("a"));
        out = yaml(key);
        tap_is_str(out, "\"123\":\n- - a\n", "numeric key is quoted; nested lists");
        back = parse1(out, &err);
        tap_ok(back && yval_equal(back, key), "reads back equal");
        yval_free(back);
        free(out);
        yval_free(key);
}

static void test_yaml_literal(void)
{
        static const struct { const char *s, *want; } cases[] = {
                { "echo a\necho b\n", "k: |\n  echo a\n  echo b\n" },
                { "a\n\n  b", "k: |-\n  a\n\n    b\n" },
                /* libyaml ends an open-ended (kept) block scalar at the end of the stream with "..." */
                { "a\n\n", "k: |+\n  a\n\n...\n" },
                { " lead\nx", "k: \" lead\\nx\"\n" },
                { "tab\tx\ny", "k: \"tab\\tx\\ny\"\n" },
                { "cr\r\n", "k: \"cr\\r\\n\"\n" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct yval *m = yval_new_map(), *l, *back;
                struct pfs_error err = { 0 };
                char *out, name[64];

                yval_map_set(m, "k", yval_new_str(cases[i].s));
                out = yaml(m);
                snprintf(name, sizeof(name), "multi-line string %zu", i);
                tap_is_str(out, cases[i].want, name);
                free(out);
                l = yval_map_set(m, "list", yval_new_list());
                yval_list_push(yval_map_set(yval_list_push(l, yval_new_map()), "args", yval_new_list()),
                               yval_new_str(cases[i].s));
                out = yaml(m);
                back = parse1(out, &err);
                tap_ok(back && yval_equal(back, m), "%s reads back the same, also nested", name);
                yval_free(back);
                free(out);
                yval_free(m);
        }
}

static void test_tree_ops(void)
{
        struct yval *m = sample(), *c;

        c = yval_clone(m);
        tap_ok(yval_equal(m, c), "clone is equal");
        yval_map_set(c, "name", yval_new_str("db"));
        tap_ok(!yval_equal(m, c), "replaced value differs");
        tap_is_int(c->map.n, 3, "replacing keeps the member count");
        tap_is_str(c->map.m[0].key, "name", "and the position");
        yval_free(c);
        c = yval_new_map();
        yval_map_set(c, "empty", yval_new_map());
        yval_map_set(c, "items", yval_clone(yval_map_get(m, "items")));
        yval_map_set(c, "name", yval_new_str("web"));
        tap_ok(yval_equal(m, c), "maps compare regardless of key order");
        yval_free(c);
        tap_ok(!yval_equal(yval_map_get(m, "items"), NULL), "NULL differs from a value");
        yval_free(m);
}

/* Issue 8: mappings of many keys (duplicates found through an index past 16
 * keys), equality and clones of big maps, NaN, and input not NUL-terminated. */
static void test_big_maps(void)
{
        struct pfs_buf b = { 0 };
        struct pfs_error err = { 0 };
        struct yval *v, *c;

        for (int i = 0; i < 20000; i++)
                pfs_buf_printf(&b, "k%d: %d\n", i, i);
        v = parse1(b.data, &err);
        tap_ok(v && v->type == YVAL_MAP && v->map.n == 20000, "a mapping of 20000 keys parses");
        c = yval_clone(v);
        tap_ok(c && c->map.n == 20000 && c->map.m[19999].line == 20000 && yval_equal(v, c),
               "its clone is equal, lines kept");
        yval_map_set(c, "k12345", yval_new_int(-1));
        tap_ok(!yval_equal(v, c), "a changed value makes it differ");
        yval_free(c);
        yval_free(v);
        pfs_buf_puts(&b, "k17: again\n");
        v = parse1(b.data, &err);
        tap_ok(!v, "a duplicate of the 18th key after 20000 is refused");
        tap_is_str(err.msg, "line 20001: duplicate key \"k17\"", "duplicate key message");
        pfs_buf_free(&b);
        v = parse1("a: 1\nb: 2\nc: 3\na: 4\n", &err);
        tap_ok(!v && strstr(err.msg, "line 4: duplicate key \"a\""), "a duplicate in a small mapping is refused");
        v = parse1("[.nan, 1.5]", &err);
        c = yval_clone(v);
        tap_ok(v && yval_equal(v, c), "a document with .nan equals itself");
        yval_free(c);
        yval_free(v);
}

static void test_len_honoured(void)
{
        static const char *const inputs[] = { "\t", " \n", "[\"\\ud83d\\ude0", "{\"a\": \"\\u12",
                                              "{\"a\": \"\\ud83d\\ude00\"}" };
        struct pfs_error err = { 0 };

        for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
                size_t len = strlen(inputs[i]), n = 0;
                char *exact = xmalloc(len);     /* no terminating NUL: ASan sees a read past it */
                struct ydoc *docs = NULL;
                int r;

                memcpy(exact, inputs[i], len);
                r = yval_parse_stream(exact, len, &docs, &n, &err);
                tap_ok(r == 0 || r == -EINVAL, "input %zu (%zu bytes, not NUL-terminated) is parsed within its length",
                       i, len);
                if (r == 0)
                        ydoc_free_array(docs, n);
                free(exact);
        }
}

int main(void)
{
        test_typing();
        test_types_and_lines();
        test_rejections();
        test_documents();
        test_surrogates();
        test_json();
        test_json_long_key();
        test_yaml_quoting();
        test_yaml_layout();
        test_yaml_literal();
        test_tree_ops();
        test_big_maps();
        test_len_honoured();
        return tap_done();
}
