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
