/* Unit tests for the text of the httpGet client (runtime/http.c). */
#include <errno.h>
#include <string.h>
#include "handler.h"
#include "tap.h"

static void test_request(void)
{
        struct pod_kv h[] = {{"X-Probe", "yes"}, {"user-agent", "mine"}, {"Connection", "keep-alive"}};
        char *r = http_request_build("127.0.0.1:8080", "/healthz", NULL, 0);

        tap_is_str(r, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: kube-probe/1.28\r\n"
                      "Accept: */*\r\nConnection: close\r\n\r\n", "default request");
        free(r);
        r = http_request_build("[::1]:80", NULL, h, 3);
        tap_is_str(r, "GET / HTTP/1.1\r\nHost: [::1]:80\r\nAccept: */*\r\nX-Probe: yes\r\nuser-agent: mine\r\n"
                      "Connection: close\r\n\r\n", "headers override defaults; path defaults to /");
        free(r);
        r = http_url("127.0.0.1:80", "x");
        tap_is_str(r, "http://127.0.0.1:80/x", "url");
        free(r);
}

static void test_status(void)
{
        const char *ok = "HTTP/1.1 200 OK\r\n";
        const char *redirect = "HTTP/1.0 302 Found\r\nLocation: /\r\n";

        tap_is_int(http_response_status(ok, strlen(ok)), 200, "200");
        tap_is_int(http_response_status(redirect, strlen(redirect)), 302, "302");
        tap_is_int(http_response_status("HTTP/1.1 50", 11), 0, "incomplete");
        tap_is_int(http_response_status("SSH-2.0-x\r\n", 11), -EINVAL, "not HTTP");
}

static void resolve_is(const char *loc, const char *want, const char *what)
{
        struct http_target t;
        _cleanup_free_ char *got = NULL;

        if (http_location_resolve("10.0.0.5", 8080, "/a/b?x=1", loc, &t) < 0) {
                got = xstrdup("error");
        } else {
                got = xasprintf("%s%s %d %s%s", t.https ? "https " : "", t.host, t.port, t.path,
                                t.absolute ? " abs" : "");
                http_target_free(&t);
        }
        tap_is_str(got, want, what);
}

static void test_location(void)
{
        resolve_is("/next", "10.0.0.5 8080 /next", "an absolute path: same host and port");
        resolve_is("c?y=2", "10.0.0.5 8080 /a/c?y=2", "a relative path: merged with the base's directory");
        resolve_is("?y=2", "10.0.0.5 8080 /a/b?y=2", "a query alone");
        resolve_is("http://10.0.0.5:9090/x#frag", "10.0.0.5 9090 /x abs", "another port, fragment dropped");
        resolve_is("http://0.0.0.0/", "0.0.0.0 80 / abs", "another host, default port");
        resolve_is("//[::1]:81?q", "::1 81 /?q abs", "scheme-relative, IPv6: Go's Hostname() has no brackets");
        resolve_is("https://10.0.0.5/", "https 10.0.0.5 443 / abs", "https");
        resolve_is("ftp://h/", "error", "another scheme");
}

static void test_head_body(void)
{
        const char *plain = "HTTP/1.1 302 Found\r\nlocation:  /x \r\nContent-Length: 3\r\n\r\nabcdef";
        const char *chunked = "HTTP/1.1 302 Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        struct http_head h;
        _cleanup_free_ char *b1 = NULL, *b2 = NULL;

        tap_is_int(http_response_head(plain, 30, &h), 0, "head: incomplete");
        tap_is_int(http_response_head(plain, strlen(plain), &h), 1, "head: complete");
        tap_is_str(h.location, "/x", "head: Location, any case, trimmed");
        tap_ok(http_is_redirect(&h), "head: 302 with a Location is a redirect");
        tap_ok(http_body_complete(&h, plain, strlen(plain), 10240), "body: Content-Length reached");
        b1 = http_body_text(&h, plain, strlen(plain), 10240);
        tap_is_str(b1, "abc", "body: cut at Content-Length");
        http_head_free(&h);
        tap_is_int(http_response_head(chunked, strlen(chunked), &h), 1, "chunked: head");
        tap_ok(!http_body_complete(&h, chunked, strlen(chunked) - 5, 10240), "chunked: not before the last chunk");
        tap_ok(http_body_complete(&h, chunked, strlen(chunked), 10240), "chunked: complete");
        b2 = http_body_text(&h, chunked, strlen(chunked), 4);
        tap_is_str(b2, "abcd", "chunked: de-chunked, truncated");
        tap_ok(!http_is_redirect(&h), "chunked: a 302 without Location is no redirect");
        http_head_free(&h);
}

int main(void)
{
        test_request();
        test_status();
        test_location();
        test_head_body();
        return tap_done();
}
