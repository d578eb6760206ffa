/* The text of the tiny HTTP/1.1 client of httpGet probes and hooks: the
 * request kubelet sends (User-Agent kube-probe/1.34, kube-lifecycle/1.34
 * for a hook) and the status line of
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

static char *request_target(const char *path_query);

char *http_url(const char *hostport, const char *path)
{
        _cleanup_free_ char *target = request_target(path);

        return xasprintf("http://%s%s", hostport, target);
}

char *http_request_build(const char *hostport, const char *path, const char *user_agent,
                         const struct pod_kv *headers, size_t n_headers)
{
        const char *const defaults[][2] = {
                {"Host", NULL}, {"User-Agent", user_agent}, {"Accept", "*/*"},
        };
        _cleanup_free_ char *target = request_target(path);
        struct pfs_buf b = {0};

        /* escaped: nothing in the path can split the request line */
        pfs_buf_printf(&b, "GET %s HTTP/1.1\r\n", target);
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
                return len > 4096 ? -EINVAL : -EAGAIN;
        if (eol - buf < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
                return -EINVAL;
        for (int i = 9; i < 12; i++) {
                if (!isdigit((unsigned char)buf[i]))
                        return -EINVAL;
                code = code * 10 + (buf[i] - '0');
        }
        /* Go's: exactly 3 digits ("2000" is no 200), then the reason or the line's end */
        if (buf[12] != ' ' && buf[12] != '\n' && !(buf[12] == '\r' && buf + 13 == eol))
                return -EINVAL;
        return code;
}

/* ---- the response head and body ---- */

static int unhex(char c)
{
        return isdigit((unsigned char)c) ? c - '0' : isxdigit((unsigned char)c) ? (c | 0x20) - 'a' + 10 : -1;
}

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

/* The first header line of [buf, end) Go's textproto refuses: no colon,
 * or a byte in its value that is a control byte other than HTAB (a bare
 * CR could smuggle a header); trimmed as Go prints it; NULL if none. */
static char *header_malformed(const char *buf, const char *end)
{
        const char *l = memchr(buf, '\n', (size_t)(end - buf));

        for (; l && ++l < end; l = memchr(l, '\n', (size_t)(end - l))) {
                const char *e = memchr(l, '\n', (size_t)(end - l)), *colon;

                e = e ? e : end;
                colon = memchr(l, ':', (size_t)(e - l));
                while (e > l && isspace((unsigned char)e[-1]))
                        e--;
                if (!colon)
                        return xstrndup(l, (size_t)(e - l));
                for (const char *c = colon + 1; c < e; c++)
                        if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
                                return xstrndup(l, (size_t)(e - l));
        }
        return NULL;
}

/* Go's bodyAllowedForStatus: 1xx, 204 and 304 never have a body. */
static bool status_bodiless(int status)
{
        return (status >= 100 && status < 200) || status == 204 || status == 304;
}

/* The '\n' ending the head's last line, before its first empty line:
 * "\r\n" or "\n" (Go's textproto takes either), whichever comes first;
 * *ret_sep the bytes from there to the body. NULL while none. */
static const char *head_end(const char *buf, size_t len, size_t *ret_sep)
{
        const char *end = buf + len;

        for (const char *l = memchr(buf, '\n', len); l; l = memchr(l + 1, '\n', (size_t)(end - l - 1))) {
                if (l + 1 < end && l[1] == '\n') {
                        *ret_sep = 2;
                        return l;
                }
                if (l + 2 < end && l[1] == '\r' && l[2] == '\n') {
                        *ret_sep = 3;
                        return l;
                }
        }
        return NULL;
}

int http_response_head(const char *buf, size_t len, struct http_head *ret)
{
        size_t sep = 0;
        const char *end = head_end(buf, len, &sep);
        _cleanup_free_ char *cl = NULL, *te = NULL;
        int status = http_response_status(buf, len);

        if (status < 0)
                return status == -EAGAIN ? 0 : status;
        if (!end)
                return len > 65536 ? -EINVAL : 0;
        memset(ret, 0, sizeof(*ret));
        ret->status = status;
        ret->body_off = (size_t)(end - buf) + sep;
        ret->content_length = -1;
        ret->location = header_value(buf, end, "Location");
        ret->malformed = header_malformed(buf, end);
        cl = header_value(buf, end, "Content-Length");
        te = header_value(buf, end, "Transfer-Encoding");
        if (cl && *cl)
                ret->content_length = strtoll(cl, NULL, 10);
        ret->chunked = te && strcasestr(te, "chunked");
        if (ret->chunked)
                ret->content_length = -1; /* as Go: the chunks frame the body, whatever the length says */
        if (status_bodiless(status)) {
                ret->content_length = 0;
                ret->chunked = false;
        }
        return 1;
}

void http_head_free(struct http_head *h)
{
        free(h->location);
        free(h->malformed);
        h->location = h->malformed = NULL;
}

/* A chunk-size line [p, eol) as Go's chunked reader takes it: hex digits
 * (16 at most), then an extension after ';' or blanks to the line's end.
 * false for anything else. */
static bool chunk_size(const char *p, const char *eol, unsigned long long *ret)
{
        unsigned long long n = 0;
        const char *c = p;

        for (; c < eol && unhex(*c) >= 0; c++) {
                if (c - p == 16)
                        return false;
                n = n << 4 | (unsigned)unhex(*c);
        }
        if (c == p)
                return false;
        if (c < eol && *c == ';')
                c = eol;
        while (c < eol && (*c == ' ' || *c == '\t' || *c == '\r'))
                c++;
        *ret = n;
        return c == eol;
}

/* Chunked transfer coding: the data of the chunks complete in [p, end), up
 * to max bytes, into b; true once the last chunk was seen. */
static bool dechunk(const char *p, const char *end, size_t max, struct pfs_buf *b)
{
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                unsigned long long n;

                if (!eol)
                        return false;
                if (!chunk_size(p, eol, &n))
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
        size_t got = len - h->body_off;
        struct pfs_buf b = {0};
        bool done;

        if (got >= max + 64)
                return true; /* bounded even if the framing is garbage */
        if (h->chunked) {
                done = dechunk(buf + h->body_off, buf + len, max, &b);
                done = done || b.len >= max;
                pfs_buf_free(&b);
                return done;
        }
        /* a reader limited to max stops there, even short of Content-Length */
        if (h->content_length >= 0)
                return (long long)got >= h->content_length || got >= max;
        return got >= max;
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

/* ---- URLs as Go's net/url parses, resolves and prints them ---- */

static bool is_alnum(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* url.shouldEscape(c, encodePath). NUL (a decoded %00) is no member of
 * the set: strchr would find the string's end. */
static bool path_should_escape(unsigned char c)
{
        return !is_alnum(c) && (!c || !strchr("-_.~$&+,/:;=@", c));
}


/* url.validEncoded(s, encodePath): a path Go sends as written. */
static bool path_valid_encoded(const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];

                if (c == '%' || strchr("!$&'()*+,;=:@[]", c) || !path_should_escape(c))
                        continue;
                return false;
        }
        return true;
}

static bool is_escape(const char *p, size_t i, size_t n)
{
        return p[i] == '%' && i + 2 < n && unhex(p[i + 1]) >= 0 && unhex(p[i + 2]) >= 0;
}

/* A "%zz" in the path: Go's EscapeError, as url.Error prints it. */
static int path_check_escapes(const char *raw, const char *p, size_t n, struct pfs_error *err)
{
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *e = NULL, *q = NULL, *u = NULL;

                if (p[i] != '%' || is_escape(p, i, n))
                        continue;
                e = xstrndup(p + i, n - i < 3 ? n - i : 3);
                q = pfs_go_quote(e);
                u = pfs_go_quote(raw);
                return pfs_error_set(err, EINVAL, "parse %s: invalid URL escape %s", u, q);
        }
        return 0;
}

/* URL.EscapedPath() of the path [p, p+n) (escaped as written) into b:
 * kept when validly encoded, else decoded and escaped again. */
static void path_escape(struct pfs_buf *b, const char *p, size_t n)
{
        if (path_valid_encoded(p, n)) {
                pfs_buf_append(b, p, n);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];

                if (is_escape(p, i, n)) {
                        c = (unsigned char)(unhex(p[i + 1]) << 4 | unhex(p[i + 2]));
                        i += 2;
                }
                if (path_should_escape(c))
                        pfs_buf_printf(b, "%%%02X", c);
                else
                        pfs_buf_append(b, &c, 1);
        }
}

/* The request-target of "path?query": the path as Go escapes it; the
 * query is Go's RawQuery, sent as written, except that a space or a
 * control byte would split the request line: those are escaped. */
static char *request_target(const char *path_query)
{
        const char *pq = path_or_root(path_query), *q = strchr(pq, '?');
        size_t plen = q ? (size_t)(q - pq) : strlen(pq);
        struct pfs_buf b = {0};

        if (pq[0] != '/')
                pfs_buf_puts(&b, "/");
        path_escape(&b, pq, plen);
        for (; q && *q; q++) {
                if ((unsigned char)*q <= ' ' || *q == 0x7f)
                        pfs_buf_printf(&b, "%%%02X", (unsigned char)*q);
                else
                        pfs_buf_append(&b, q, 1);
        }
        return pfs_buf_steal(&b);
}

/* RFC 3986 5.2.4 remove_dot_segments as Go's resolvePath does it, on
 * full = the merged path: always rooted, a trailing "." or ".." keeps its
 * slash. */
static char *dot_segments_remove(const char *full)
{
        struct pfs_buf b = {0};
        const char *rem = full, *elem;
        size_t elen = 0;
        bool first = true, found = true;

        pfs_buf_puts(&b, "/");
        while (found) {
                const char *slash = strchr(rem, '/');

                elem = rem;
                elen = slash ? (size_t)(slash - rem) : strlen(rem);
                found = slash != NULL;
                rem = slash ? slash + 1 : rem + elen;
                if (elen == 1 && elem[0] == '.') {
                        first = false;
                } else if (elen == 2 && elem[0] == '.' && elem[1] == '.') {
                        char *last = memrchr(b.data + 1, '/', b.len - 1);

                        b.len = last ? (size_t)(last - b.data) : 1;
                        b.data[b.len] = '\0';
                        first = !last;
                } else {
                        if (!first)
                                pfs_buf_puts(&b, "/");
                        pfs_buf_append(&b, elem, elen);
                        first = false;
                }
        }
        if ((elen == 1 && elem[0] == '.') || (elen == 2 && elem[0] == '.' && elem[1] == '.'))
                pfs_buf_puts(&b, "/");
        /* the leading '/' written above, not two */
        if (b.len > 1 && b.data[1] == '/') {
                memmove(b.data, b.data + 1, b.len);
                b.len--;
        }
        return pfs_buf_steal(&b);
}

/* Go's resolvePath: ref against base (both escaped paths, no query). */
static char *path_resolve(const char *base, const char *ref)
{
        _cleanup_free_ char *full = NULL;
        const char *slash = strrchr(base, '/');

        if (!*ref)
                full = xstrdup(base);
        else if (ref[0] != '/')
                full = xasprintf("%.*s%s", slash ? (int)(slash - base + 1) : 0, base, ref);
        else
                full = xstrdup(ref);
        return *full ? dot_segments_remove(full) : xstrdup("");
}

/* Go's url.parseAuthority: [userinfo@]host[:port], host "[v6]" too. */
static int authority_parse(const char *raw, const char *a, size_t n, struct http_target *ret,
                           struct pfs_error *err)
{
        _cleanup_free_ char *qraw = pfs_go_quote(raw);
        const char *at = memrchr(a, '@', n), *h = at ? at + 1 : a, *end = a + n, *colon, *hend;

        if (at)
                ret->userinfo = xstrndup(a, (size_t)(at - a));
        if (h < end && h[0] == '[') {
                hend = memrchr(h, ']', (size_t)(end - h));
                if (!hend)
                        return pfs_error_set(err, EINVAL, "parse %s: missing ']' in host", qraw);
                colon = hend + 1 < end ? hend + 1 : NULL;
                ret->host = xstrndup(h + 1, (size_t)(hend - h - 1));
        } else {
                colon = memrchr(h, ':', (size_t)(end - h));
                hend = colon ? colon : end;
                for (const char *c = h; c < hend; c++) {
                        _cleanup_free_ char *ch = NULL, *q = NULL;

                        if ((unsigned char)*c >= 0x80 || is_alnum((unsigned char)*c) ||
                            strchr("-._~!$&'()*+,;=[]<>\"%", *c))
                                continue;
                        ch = xstrndup(c, 1);
                        q = pfs_go_quote(ch);
                        return pfs_error_set(err, EINVAL, "parse %s: invalid character %s in host name", qraw, q);
                }
                ret->host = xstrndup(h, (size_t)(hend - h));
        }
        if (colon) {
                _cleanup_free_ char *cp = xstrndup(colon, (size_t)(end - colon)), *q = pfs_go_quote(cp);

                if (cp[0] != ':' || strspn(cp + 1, "0123456789") != strlen(cp + 1))
                        return pfs_error_set(err, EINVAL, "parse %s: invalid port %s after host", qraw, q);
                if (cp[1])
                        ret->port = strlen(cp + 1) > 9 ? 999999999 : atoi(cp + 1);
        }
        ret->authority = xstrndup(h, (size_t)(end - h));
        return 0;
}

/* The scheme of Go's getScheme: "" when there is none; -EINVAL for ":x". */
static int scheme_get(const char *raw, const char *u, const char **ret_rest, char **ret_scheme,
                      struct pfs_error *err)
{
        for (size_t i = 0; u[i]; i++) {
                unsigned char c = (unsigned char)u[i];

                if (isalpha(c))
                        continue;
                if ((isdigit(c) || c == '+' || c == '-' || c == '.') && i > 0)
                        continue;
                if (c == ':' && i == 0) {
                        _cleanup_free_ char *q = pfs_go_quote(raw);

                        return pfs_error_set(err, EINVAL, "parse %s: missing protocol scheme", q);
                }
                if (c == ':') {
                        *ret_scheme = xstrndup(u, i);
                        for (char *p = *ret_scheme; *p; p++)
                                *p = (char)tolower((unsigned char)*p);
                        *ret_rest = u + i + 1;
                        return 0;
                }
                break;
        }
        *ret_rest = u;
        return 0;
}

/* Go's url.Parse of a Location (no fragment): scheme, authority, path and
 * query into ret; the path not yet resolved. */
static int location_parse(const char *u, struct http_target *ret, struct pfs_error *err)
{
        _cleanup_free_ char *rest_path = NULL;
        const char *rest = u, *q, *slash;
        size_t plen;
        int r;

        for (const char *c = u; *c; c++)
                if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                        _cleanup_free_ char *qu = pfs_go_quote(u);

                        return pfs_error_set(err, EINVAL, "parse %s: net/url: invalid control character in URL", qu);
                }
        r = scheme_get(u, u, &rest, &ret->scheme, err);
        if (r < 0)
                return r;
        q = strchr(rest, '?');
        plen = q ? (size_t)(q - rest) : strlen(rest);
        ret->query = q ? xstrdup(q) : NULL;
        if (rest[0] != '/' && ret->scheme) {
                ret->opaque = xstrndup(rest, plen); /* "http:foo": no host */
                return 0;
        }
        slash = memchr(rest, '/', plen);
        if (rest[0] != '/' && memchr(rest, ':', slash ? (size_t)(slash - rest) : plen)) {
                _cleanup_free_ char *qu = pfs_go_quote(u);

                return pfs_error_set(err, EINVAL, "parse %s: first path segment in URL cannot contain colon", qu);
        }
        if (plen >= 2 && rest[0] == '/' && rest[1] == '/' && (ret->scheme || plen < 3 || rest[2] != '/')) {
                const char *a = rest + 2, *ae = memchr(a, '/', plen - 2);
                size_t alen = ae ? (size_t)(ae - a) : plen - 2;

                r = authority_parse(u, a, alen, ret, err);
                if (r < 0)
                        return r;
                plen -= 2 + alen;
                rest = a + alen;
        }
        rest_path = xstrndup(rest, plen);
        r = path_check_escapes(u, rest_path, plen, err);
        if (r < 0)
                return r;
        ret->path = steal_ptr(&rest_path);
        return 0;
}

static char *url_print(const struct http_target *t, bool with_user)
{
        _cleanup_free_ char *user = NULL;
        const char *colon;

        if (t->opaque)
                return xasprintf("%s:%s%s", t->scheme, t->opaque, t->query ? t->query : "");
        /* Go's stripPassword: a password is never printed. */
        if (!with_user || !t->userinfo)
                user = NULL;
        else if ((colon = strchr(t->userinfo, ':')))
                user = xasprintf("%.*s:***@", (int)(colon - t->userinfo), t->userinfo);
        else
                user = xasprintf("%s@", t->userinfo);
        return xasprintf("%s://%s%s%s%s", t->scheme, user ? user : "", t->authority ? t->authority : "",
                         t->path, t->query ? t->query : "");
}

char *http_target_referer(const struct http_target *t)
{
        return url_print(t, false);
}

void http_target_init(struct http_target *t, const char *host, int port, const char *path)
{
        _cleanup_free_ char *target = request_target(path);
        char *tq = strchr(target, '?');

        memset(t, 0, sizeof(*t));
        t->scheme = xstrdup("http");
        t->host = xstrdup(host);
        t->port = port;
        /* net.JoinHostPort, as kubelet's formatURL */
        t->authority = strchr(host, ':') ? xasprintf("[%s]:%d", host, port) : xasprintf("%s:%d", host, port);
        t->query = tq ? xstrdup(tq) : NULL;
        t->path = xstrndup(target, tq ? (size_t)(tq - target) : strlen(target));
        t->url = url_print(t, true);
}

/* Go's URL.ResolveReference of the parsed Location against base: a
 * Location without scheme, host or userinfo keeps base's authority. */
static void location_resolve_ref(const struct http_target *base, struct http_target *t)
{
        _cleanup_free_ char *escaped = NULL;
        struct pfs_buf b = {0};

        t->absolute = t->scheme || (t->authority && *t->authority) || t->userinfo;
        if (!t->scheme)
                t->scheme = xstrdup(base->scheme);
        if (t->absolute && t->port < 0)
                t->port = strcmp(t->scheme, "https") == 0 ? 443 : 80;
        if (t->opaque)
                return;
        path_escape(&b, t->path, strlen(t->path));
        escaped = pfs_buf_steal(&b);
        free(t->path);
        if (t->absolute) {
                t->path = path_resolve(escaped, "");
                return;
        }
        if (!*escaped && !t->query && base->query)
                t->query = xstrdup(base->query);
        t->path = path_resolve(base->path, escaped);
        free(t->authority);
        free(t->host);
        t->host = xstrdup(base->host);
        t->authority = xstrdup(base->authority);
        t->userinfo = base->userinfo ? xstrdup(base->userinfo) : NULL;
        t->port = base->port;
}

int http_location_resolve(const struct http_target *base, const char *loc, struct http_target *ret,
                          struct pfs_error *err)
{
        _cleanup_free_ char *l = xstrndup(loc, strcspn(loc, "#"));
        struct http_target t = {.port = -1}; /* none given; ":0" is port 0, as Go dials it */
        int r;

        r = location_parse(l, &t, err);
        if (r < 0) {
                http_target_free(&t);
                return r;
        }
        location_resolve_ref(base, &t);
        if (!t.host)
                t.host = xstrdup("");
        if (!t.path)
                t.path = xstrdup("");
        t.url = url_print(&t, true);
        *ret = t;
        return 0;
}

void http_target_free(struct http_target *t)
{
        free(t->scheme);
        free(t->userinfo);
        free(t->host);
        free(t->authority);
        free(t->path);
        free(t->query);
        free(t->opaque);
        free(t->url);
        memset(t, 0, sizeof(*t));
}
