/* Field errors for the spec module, worded like the API server's field.Error
 * so users see the strings they know from kubectl. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "spec_internal.h"

/* Follows PATH ("spec.containers[0].name", "metadata.labels[app]") from root
 * as far as the document has it: *ret_line gets the line of the last node
 * reached; returns the node when the whole path was found. */
static const struct yval *walk_path(const struct yval *root, const char *path, int *ret_line)
{
        const struct yval *cur = root;
        int line = root ? root->line : 1;
        const char *p = path;

        while (cur && *p) {
                size_t klen = strcspn(p, ".[");
                const struct ymember *m;

                if (klen > 0) {
                        _cleanup_free_ char *key = xstrndup(p, klen);

                        m = yval_map_member(cur, key);
                        if (!m)
                                goto out;
                        line = m->line;
                        cur = m->val;
                        p += klen;
                }
                while (cur && *p == '[') {
                        const char *close = strchr(p, ']');
                        _cleanup_free_ char *sub = close ? xstrndup(p + 1, (size_t)(close - p - 1)) : NULL;

                        if (!sub)
                                goto out;
                        if (cur->type == YVAL_MAP && (m = yval_map_member(cur, sub))) {
                                /* metadata.labels[app] */
                                line = m->line;
                                cur = m->val;
                        } else if (cur->type == YVAL_LIST && strtoul(sub, NULL, 10) < cur->list.n) {
                                cur = cur->list.items[strtoul(sub, NULL, 10)];
                                line = cur->line;
                        } else {
                                goto out;
                        }
                        p = close + 1;
                }
                if (*p == '.')
                        p++;
        }
out:
        *ret_line = line > 0 ? line : 1;
        return *p ? NULL : cur;
}

int spec_line_of(const struct yval *root, const char *path)
{
        int line;

        walk_path(root, path, &line);
        return line;
}

const struct yval *spec_node_at(const struct yval *root, const char *path)
{
        int line;

        return walk_path(root, path, &line);
}

static void errs_push(struct spec_errs *e, const char *path, char *msg)
{
        e->v = xrealloc(e->v, (e->n + 1) * sizeof(*e->v));
        e->v[e->n].line = spec_line_of(e->root, e->line_path ? e->line_path : path);
        e->v[e->n].late = e->late;
        e->v[e->n].msg = msg;
        e->n++;
}

void spec_errs_add(struct spec_errs *e, const char *path, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        errs_push(e, path, *path ? xasprintf("%s: %s", path, msg) : steal_ptr(&msg));
}

void spec_errs_add_plain(struct spec_errs *e, const char *path, const char *fmt, ...)
{
        char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        errs_push(e, path, msg);
}

void spec_errs_clear(struct spec_errs *e)
{
        for (size_t i = 0; i < e->n; i++)
                free(e->v[i].msg);
        free(e->v);
        e->v = NULL;
        e->n = 0;
}

char *spec_path_key(const char *parent, const char *key)
{
        return *parent ? xasprintf("%s.%s", parent, key) : xstrdup(key);
}

char *spec_path_idx(const char *parent, size_t i)
{
        return xasprintf("%s[%zu]", parent, i);
}

char *spec_quote(const char *s)
{
        struct pfs_buf b = { 0 };
        struct yval *v = yval_new_str(s);

        yval_emit_json(v, false, &b);
        yval_free(v);
        return pfs_buf_steal(&b);
}

char *spec_value_repr(const struct yval *v)
{
        struct pfs_buf b = { 0 };

        yval_emit_json(v, false, &b);
        if (b.len > 80) {
                b.len = 77;
                b.data[b.len] = '\0';
                pfs_buf_puts(&b, "...");
        }
        return pfs_buf_steal(&b);
}

void spec_err_required(struct spec_errs *e, const char *path, const char *detail)
{
        if (detail)
                spec_errs_add(e, path, "Required value: %s", detail);
        else
                spec_errs_add(e, path, "Required value");
}

void spec_err_invalid_str(struct spec_errs *e, const char *path, const char *value, const char *why)
{
        _cleanup_free_ char *q = spec_quote(value);

        spec_errs_add(e, path, "Invalid value: %s: %s", q, why);
}

void spec_err_invalid_int(struct spec_errs *e, const char *path, long long value, const char *why)
{
        spec_errs_add(e, path, "Invalid value: %lld: %s", value, why);
}

void spec_err_unsupported(struct spec_errs *e, const char *path, const char *value,
                          const char *const *supported, size_t n)
{
        _cleanup_free_ char *q = spec_quote(value);
        struct pfs_buf list = { 0 };

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *s = spec_quote(supported[i]);

                pfs_buf_printf(&list, "%s%s", i ? ", " : "", s);
        }
        spec_errs_add(e, path, "Unsupported value: %s: supported values: %s", q, list.data ? list.data : "");
        pfs_buf_free(&list);
}

bool spec_check_enum(struct spec_errs *e, const char *path, const char *value,
                     const char *const *supported, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strcmp(value, supported[i]))
                        return true;
        spec_err_unsupported(e, path, value, supported, n);
        return false;
}

void spec_err_duplicate(struct spec_errs *e, const char *path, const char *value)
{
        _cleanup_free_ char *q = spec_quote(value);

        spec_errs_add(e, path, "Duplicate value: %s", q);
}

void spec_err_not_found(struct spec_errs *e, const char *path, const char *value)
{
        _cleanup_free_ char *q = spec_quote(value);

        spec_errs_add(e, path, "Not found: %s", q);
}

void spec_err_forbidden(struct spec_errs *e, const char *path, const char *detail)
{
        spec_errs_add(e, path, "Forbidden: %s", detail);
}
