/* The text of the tiny HTTP/1.1 client of httpGet probes and hooks: the
 * request kubelet sends (User-Agent kube-probe/1.28) and the status line of
 * the response. The socket side is handler.c's. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include "handler.h"

static const struct pod_kv *header_find(const struct pod_kv *h, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (h[i].key && strcasecmp(h[i].key, name) == 0)
                        return &h[i];
        return NULL;
}

static void header_put(struct pfs_buf *b, const char *name, const char *value)
{
        /* CR/LF inside a value would split the request: drop them. */
        pfs_buf_printf(b, "%s: ", name);
        for (const char *p = value ? value : ""; *p; p++)
                if (*p != '\r' && *p != '\n')
                        pfs_buf_append(b, p, 1);
        pfs_buf_puts(b, "\r\n");
}

static const char *path_or_root(const char *path)
{
        return path && *path ? path : "/";
}

char *http_url(const char *hostport, const char *path)
{
        const char *p = path_or_root(path);

        return xasprintf("http://%s%s%s", hostport, p[0] == '/' ? "" : "/", p);
}

char *http_request_build(const char *hostport, const char *path, const struct pod_kv *headers,
                         size_t n_headers)
{
        static const char *const defaults[][2] = {
                {"Host", NULL}, {"User-Agent", "kube-probe/1.28"}, {"Accept", "*/*"},
        };
        const char *p = path_or_root(path);
        struct pfs_buf b = {0};

        pfs_buf_printf(&b, "GET %s%s HTTP/1.1\r\n", p[0] == '/' ? "" : "/", p);
        for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
                const struct pod_kv *h = header_find(headers, n_headers, defaults[i][0]);

                if (!h)
                        header_put(&b, defaults[i][0], defaults[i][1] ? defaults[i][1] : hostport);
        }
        for (size_t i = 0; i < n_headers; i++)
                if (headers[i].key && *headers[i].key && strcasecmp(headers[i].key, "Connection") != 0)
                        header_put(&b, headers[i].key, headers[i].value);
        pfs_buf_puts(&b, "Connection: close\r\n\r\n");
        return pfs_buf_steal(&b);
}

int http_response_status(const char *buf, size_t len)
{
        const char *eol = memchr(buf, '\n', len);
        int code = 0;

        if (!eol)
                return len > 4096 ? -EINVAL : 0;
        if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
                return -EINVAL;
        for (int i = 9; i < 12; i++) {
                if (!isdigit((unsigned char)buf[i]))
                        return -EINVAL;
                code = code * 10 + (buf[i] - '0');
        }
        return code;
}

/* ---- the response head and body ---- */

/* The value of header NAME in the head [buf, end), trimmed; NULL if absent. */
static char *header_value(const char *buf, const char *end, const char *name)
{
        size_t nlen = strlen(name);
        const char *l = buf;

        /* Each line after the status line. */
        while ((l = memchr(l, '\n', (size_t)(end - l))) && ++l < end) {
                const char *v = l, *e;

                if ((size_t)(end - v) <= nlen || strncasecmp(v, name, nlen) != 0 || v[nlen] != ':')
                        continue;
                for (v += nlen + 1; v < end && (*v == ' ' || *v == '\t'); v++)
                        ;
                for (e = v; e < end && *e != '\n'; e++)
                        ;
                while (e > v && isspace((unsigned char)e[-1]))
                        e--;
                return xstrndup(v, (size_t)(e - v));
        }
        return NULL;
}

int http_response_head(const char *buf, size_t len, struct http_head *ret)
{
        const char *end = memmem(buf, len, "\r\n\r\n", 4);
        size_t sep = 4;
        _cleanup_free_ char *cl = NULL, *te = NULL;
        int status = http_response_status(buf, len);

        if (status <= 0)
                return status;
        if (!end) {
                end = memmem(buf, len, "\n\n", 2);
                sep = 2;
        }
        if (!end)
                return len > 65536 ? -EINVAL : 0;
        memset(ret, 0, sizeof(*ret));
        ret->status = status;
        ret->body_off = (size_t)(end - buf) + sep;
        ret->content_length = -1;
        ret->location = header_value(buf, end, "Location");
        cl = header_value(buf, end, "Content-Length");
        te = header_value(buf, end, "Transfer-Encoding");
        if (cl && *cl)
                ret->content_length = strtoll(cl, NULL, 10);
        ret->chunked = te && strcasestr(te, "chunked");
        return 1;
}

void http_head_free(struct http_head *h)
{
        free(h->location);
        h->location = NULL;
}

/* Chunked transfer coding: the data of the chunks complete in [p, end), up
 * to max bytes, into b; true once the last chunk was seen. */
static bool dechunk(const char *p, const char *end, size_t max, struct pfs_buf *b)
{
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                unsigned long long n;
                char *num_end;

                if (!eol)
                        return false;
                n = strtoull(p, &num_end, 16);
                if (num_end == p)
                        return true; /* not chunked after all: stop */
                if (n == 0)
                        return true;
                p = eol + 1;
                if ((unsigned long long)(end - p) < n) {
                        n = (unsigned long long)(end - p);
                        end = p; /* a partial chunk: keep what came */
                }
                if (b->len < max)
                        pfs_buf_append(b, p, b->len + n > max ? max - b->len : (size_t)n);
                p += n;
                p += p < end && *p == '\r';
                p += p < end && *p == '\n';
        }
        return false;
}

bool http_body_complete(const struct http_head *h, const char *buf, size_t len, size_t max)
{
        struct pfs_buf b = {0};
        bool done;

        if (len - h->body_off >= max + 64)
                return true;
        if (h->chunked) {
                done = dechunk(buf + h->body_off, buf + len, max, &b);
                done = done || b.len >= max;
                pfs_buf_free(&b);
                return done;
        }
        if (h->content_length >= 0)
                return (long long)(len - h->body_off) >= h->content_length;
        return len - h->body_off >= max;
}

char *http_body_text(const struct http_head *h, const char *buf, size_t len, size_t max)
{
        struct pfs_buf b = {0};
        size_t n = len - h->body_off;

        if (h->chunked) {
                dechunk(buf + h->body_off, buf + len, max, &b);
                return pfs_buf_steal(&b);
        }
        if (h->content_length >= 0 && (long long)n > h->content_length)
                n = (size_t)h->content_length;
        return xstrndup(buf + h->body_off, n < max ? n : max);
}

/* ---- redirects ---- */

bool http_is_redirect(const struct http_head *h)
{
        /* Go's http.Client follows these, and only with a Location. */
        return (h->status == 301 || h->status == 302 || h->status == 303 || h->status == 307 ||
                h->status == 308) && h->location && *h->location;
}

/* "host[:port]" or "[v6][:port]" of length n into ret (port default_port). */
static int authority_parse(const char *a, size_t n, int default_port, struct http_target *ret)
{
        const char *colon = NULL, *host = a;
        size_t hlen = n;

        if (n && a[0] == '[') {
                const char *close = memchr(a, ']', n);

                if (!close)
                        return -EINVAL;
                host = a + 1;
                hlen = (size_t)(close - a - 1);
                if ((size_t)(close - a) + 1 < n) {
                        if (close[1] != ':')
                                return -EINVAL;
                        colon = close + 1;
                }
        } else if ((colon = memchr(a, ':', n))) {
                hlen = (size_t)(colon - a);
        }
        ret->port = default_port;
        if (colon && colon + 1 < a + n) {
                char *e;
                long p = strtol(colon + 1, &e, 10);

                if (e != a + n || p <= 0 || p > 65535)
                        return -EINVAL;
                ret->port = (int)p;
        }
        if (hlen == 0)
                return -EINVAL;
        ret->host = xstrndup(host, hlen);
        return 0;
}

/* A path relative to the base's: its directory + ref (RFC 3986 merge). */
static char *path_merge(const char *base_path, const char *ref)
{
        const char *bp = path_or_root(base_path), *slash = strrchr(bp, '/');
        size_t q = strcspn(bp, "?");

        if (ref[0] == '?')
                return xasprintf("%.*s%s", (int)q, bp, ref);
        if (!slash || (size_t)(slash - bp) > q)
                slash = memchr(bp, '/', q);
        return xasprintf("%.*s/%s", slash ? (int)(slash - bp) : 0, bp, ref);
}

int http_location_resolve(const char *base_host, int base_port, const char *base_path, const char *loc,
                          struct http_target *ret)
{
        _cleanup_free_ char *l = xstrndup(loc, strcspn(loc, "#"));
        const char *rest = l, *slash;
        int r;

        memset(ret, 0, sizeof(*ret));
        if (strncasecmp(l, "http://", 7) == 0 || strncasecmp(l, "https://", 8) == 0) {
                ret->https = tolower((unsigned char)l[4]) == 's';
                rest = l + (ret->https ? 6 : 5);
        } else if (strchr(l, ':') && strcspn(l, ":") < strcspn(l, "/?")) {
                return -EPROTONOSUPPORT; /* another scheme */
        }
        if (rest[0] == '/' && rest[1] == '/') {
                ret->absolute = true;
                rest += 2;
                slash = rest + strcspn(rest, "/?");
                r = authority_parse(rest, (size_t)(slash - rest), ret->https ? 443 : 80, ret);
                if (r < 0)
                        return r;
                ret->path = xstrdup(*slash == '/' ? slash : "/");
                if (*slash == '?')
                        ret->path = (free(ret->path), xasprintf("/%s", slash));
                return 0;
        }
        if (rest != l)
                return -EINVAL; /* "http:foo" */
        ret->host = xstrdup(base_host);
        ret->port = base_port;
        ret->path = rest[0] == '/' ? xstrdup(rest) : rest[0] ? path_merge(base_path, rest) : xstrdup(path_or_root(base_path));
        return 0;
}

void http_target_free(struct http_target *t)
{
        free(t->host);
        free(t->path);
        t->host = t->path = NULL;
}
