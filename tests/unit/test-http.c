/* Unit tests for the text of the httpGet client (runtime/http.c). */
#include <errno.h>
#include <string.h>
#include "handler.h"
#include "tap.h"

static void test_request(void)
{
        struct pod_kv h[] = {{"X-Probe", "yes"}, {"user-agent", "mine"}, {"Connection", "keep-alive"}};
        char *r = http_request_build("127.0.0.1:8080", "/healthz", HTTP_USER_AGENT_PROBE, NULL, 0);

        tap_is_str(r, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: kube-probe/1.34\r\n"
                      "Accept: */*\r\nConnection: close\r\n\r\n", "default request");
        free(r);
        r = http_request_build("[::1]:80", NULL, HTTP_USER_AGENT_PROBE, h, 3);
        tap_is_str(r, "GET / HTTP/1.1\r\nHost: [::1]:80\r\nAccept: */*\r\nX-Probe: yes\r\nuser-agent: mine\r\n"
                      "Connection: close\r\n\r\n", "headers override defaults; path defaults to /");
        free(r);
        r = http_url("127.0.0.1:80", "x");
        tap_is_str(r, "http://127.0.0.1:80/x", "url");
        free(r);
        r = http_request_build("h:80", "/p q?a b", HTTP_USER_AGENT_HOOK, NULL, 0);
        tap_ok(strstr(r, "\r\nUser-Agent: kube-lifecycle/1.34\r\n") != NULL, "a hook's User-Agent");
        tap_ok(strncmp(r, "GET /p%20q?a%20b HTTP/1.1\r\n", 27) == 0, "a space cannot split the request line");
        free(r);
}

static void test_status(void)
{
        const char *ok = "HTTP/1.1 200 OK\r\n";
        const char *redirect = "HTTP/1.0 302 Found\r\nLocation: /\r\n";

        tap_is_int(http_response_status(ok, strlen(ok)), 200, "200");
        tap_is_int(http_response_status(redirect, strlen(redirect)), 302, "302");
        tap_is_int(http_response_status("HTTP/1.1 50", 11), -EAGAIN, "incomplete");
        tap_is_int(http_response_status("HTTP/1.1 2000 OK\r\n", 18), -EINVAL, "4 digits are no status code");
        tap_is_int(http_response_status("HTTP/1.1 200x\r\n", 15), -EINVAL, "3 digits then no space");
        tap_is_int(http_response_status("HTTP/1.1 200\r\n", 14), 200, "3 digits then the line's end");
        tap_is_int(http_response_status("HTTP/1.1 000 Zero\r\n", 20), 0, "000 is status 0, not \"more bytes\"");
        tap_is_int(http_response_status("SSH-2.0-x\r\n", 11), -EINVAL, "not HTTP");
}

static void resolve_from(const char *base_path, const char *loc, const char *want, const char *what)
{
        struct pfs_error err = {0};
        struct http_target base, t;
        _cleanup_free_ char *got = NULL;

        http_target_init(&base, "10.0.0.5", 8080, base_path);
        if (http_location_resolve(&base, loc, &t, &err) < 0) {
                got = xstrdup(err.msg);
        } else {
                got = xasprintf("%s%s%s %d %s%s%s", strcmp(t.scheme, "http") ? t.scheme : "",
                                strcmp(t.scheme, "http") ? " " : "", t.host, t.port, t.path,
                                t.query ? t.query : "", t.absolute ? " abs" : "");
                http_target_free(&t);
        }
        http_target_free(&base);
        tap_is_str(got, want, what);
}

static void resolve_is(const char *loc, const char *want, const char *what)
{
        resolve_from("/a/b?x=1", loc, want, what);
}

static void test_location(void)
{
        resolve_is("/next", "10.0.0.5 8080 /next", "an absolute path: same host and port");
        resolve_is("c?y=2", "10.0.0.5 8080 /a/c?y=2", "a relative path: merged with the base's directory");
        resolve_is("?y=2", "10.0.0.5 8080 /a/b?y=2", "a query alone");
        resolve_is("", "10.0.0.5 8080 /a/b?x=1", "empty: the base, its query too");
        resolve_is("http://10.0.0.5:9090/x#frag", "10.0.0.5 9090 /x abs", "another port, fragment dropped");
        resolve_is("http://0.0.0.0/", "0.0.0.0 80 / abs", "another host, default port");
        resolve_is("//[::1]:81?q", "::1 81 ?q abs", "scheme-relative, IPv6: Go's Hostname() has no brackets");
        resolve_is("https://10.0.0.5/", "https 10.0.0.5 443 / abs", "https");
        resolve_is("ftp://h/", "ftp h 80 / abs", "another scheme parses (the transport refuses it)");
}

static void test_location_paths(void)
{
        resolve_from("/app/health?r=/x", "login", "10.0.0.5 8080 /app/login",
                     "merged with the path's directory, not the query's last '/'");
        resolve_from("/a/b/c", "../x", "10.0.0.5 8080 /a/x", "dot segments removed (..)");
        resolve_from("/a/b/c", "./x/./y/..", "10.0.0.5 8080 /a/b/x/", "dot segments removed (., trailing ..)");
        resolve_from("/a", "../../x", "10.0.0.5 8080 /x", "never above the root");
        resolve_is("http://h/a/../b", "h 80 /b abs", "dot segments of an absolute Location too");
        resolve_is("/p q", "10.0.0.5 8080 /p%20q", "a space in the path: escaped");
        resolve_is("/\xc3\xa9", "10.0.0.5 8080 /%C3%A9", "non-ASCII in the path: escaped");
        resolve_is("/a%2Fb", "10.0.0.5 8080 /a%2Fb", "a valid escape kept as written");
        resolve_is("/x%00y z", "10.0.0.5 8080 /x%00y%20z", "a %00 stays escaped, never a NUL that ends the path");
}

static void test_location_hosts(void)
{
        resolve_is("http://u@127.0.0.1/", "127.0.0.1 80 / abs", "userinfo is not the hostname");
        resolve_is("http://u:pw@127.0.0.1:81/", "127.0.0.1 81 / abs", "user and password");
        resolve_is("http://127.0.0.1:99999/", "127.0.0.1 99999 / abs", "a port out of range parses (the dial refuses it)");
        resolve_is("http://10.0.0.5:0/", "10.0.0.5 0 / abs", "port 0 is port 0, not the scheme's");
        resolve_is("http://10.0.0.5:/", "10.0.0.5 80 / abs", "an empty port is the scheme's");
        resolve_is("http:foo", " 80  abs", "http:foo: opaque, no host");
        resolve_is("http:///x", " 80 /x abs", "an empty authority: no host");
        resolve_is("http://LocalHost/", "LocalHost 80 / abs", "the hostname as written (compared case-sensitively)");
}

static void test_location_errors(void)
{
        resolve_is("/a\tb", "parse \"/a\\tb\": net/url: invalid control character in URL", "a control byte");
        resolve_is("http://127.0.0.1:8o/", "parse \"http://127.0.0.1:8o/\": invalid port \":8o\" after host",
                   "a port that is no number");
        resolve_is("http://[::1/", "parse \"http://[::1/\": missing ']' in host", "an unclosed IPv6 bracket");
        resolve_is("http://a b/", "parse \"http://a b/\": invalid character \" \" in host name", "a space in the host");
        resolve_is(":x", "parse \":x\": missing protocol scheme", "no scheme before ':'");
        resolve_is("a_b:c", "parse \"a_b:c\": first path segment in URL cannot contain colon", "a colon in a first segment");
        resolve_is("/%zz", "parse \"/%zz\": invalid URL escape \"%zz\"", "a bad escape");
}

static void test_url(void)
{
        struct http_target t, r;
        struct pfs_error err = {0};
        char *ref;

        http_target_init(&t, "::1", 80, "/h");
        tap_is_str(t.url, "http://[::1]:80/h", "url: IPv6 joined as net.JoinHostPort");
        tap_ok(http_location_resolve(&t, "http://u:pw@h:81/x?q", &r, &err) == 0, "url: resolve");
        tap_is_str(r.url, "http://u:***@h:81/x?q", "url: the password masked, as Go's errors");
        ref = http_target_referer(&r);
        tap_is_str(ref, "http://h:81/x?q", "url: the Referer has no userinfo");
        free(ref);
        http_target_free(&r);
        http_target_free(&t);
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

static void test_head_end(void)
{
        const char *lf = "HTTP/1.1 302 Found\nContent-Length: 19\n\nLocation: /b\r\n\r\nxx";
        const char *cont = "HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\r\n\r\n";
        struct http_head h;

        tap_is_int(http_response_head(lf, strlen(lf), &h), 1, "LF head: complete");
        tap_ok(h.location == NULL, "LF head: ends at its blank line, the body's text is no header");
        tap_is_int((int)h.body_off, 39, "LF head: the body after \\n\\n");
        http_head_free(&h);
        tap_is_int(http_response_head(cont, strlen(cont), &h), 1, "1xx LF head: complete");
        tap_is_int((int)h.body_off, 23, "1xx LF head: ends before the next response");
        http_head_free(&h);
}

/* Where Go's reader fails or decides otherwise than a lenient one. */
static void test_head_strict(void)
{
        const char *zero = "HTTP/1.1 000 Zero\r\n\r\n";
        const char *nocolon = "HTTP/1.1 200 OK\r\nNoColon \r\nContent-Length: 0\r\n\r\n";
        const char *both = "HTTP/1.1 302 Found\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "3\r\nabc\r\n0\r\n\r\n";
        const char *blank = "HTTP/1.1 302 Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n\r\n2\r\nde\r\n0\r\n\r\n";
        const char *plus = "HTTP/1.1 302 Found\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n";
        const char *ext = "HTTP/1.1 302 Found\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2 \r\nde\r\n0\r\n\r\n";
        struct http_head h;
        char *b;

        tap_is_int(http_response_head(zero, strlen(zero), &h), 1, "000: a complete head");
        tap_is_int(h.status, 0, "000: status 0");
        http_head_free(&h);
        http_response_head(nocolon, strlen(nocolon), &h);
        tap_is_str(h.malformed, "NoColon", "a header line without a colon is malformed");
        http_head_free(&h);
        http_response_head(both, strlen(both), &h);
        tap_ok(h.chunked && h.content_length == -1, "chunked and Content-Length: chunked wins");
        b = http_body_text(&h, both, strlen(both), 10240);
        tap_is_str(b, "abc", "chunked and Content-Length: the chunks' data");
        free(b);
        http_head_free(&h);
        http_response_head(blank, strlen(blank), &h);
        b = http_body_text(&h, blank, strlen(blank), 10240);
        tap_is_str(b, "abc", "an empty chunk-size line stops the body (no size from the next line)");
        free(b);
        http_head_free(&h);
        http_response_head(plus, strlen(plus), &h);
        b = http_body_text(&h, plus, strlen(plus), 10240);
        tap_is_str(b, "", "a chunk size is hex digits only (no sign)");
        free(b);
        http_head_free(&h);
        http_response_head(ext, strlen(ext), &h);
        b = http_body_text(&h, ext, strlen(ext), 10240);
        tap_is_str(b, "abcde", "a chunk extension and trailing blanks are allowed");
        free(b);
        http_head_free(&h);
}

static void test_head_checks(void)
{
        const char *cr = "HTTP/1.1 302 Found\r\nLocation: /a\rX-Injected: 1\r\nContent-Length: 0\r\n\r\n";
        const char *tab = "HTTP/1.1 302 Found\r\nLocation: /a\tb\r\n\r\n";
        const char *nm = "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n";
        struct http_head h;

        tap_is_int(http_response_head(cr, strlen(cr), &h), 1, "bare CR: head");
        tap_is_str(h.malformed, "Location: /a\rX-Injected: 1", "bare CR: the line Go's textproto refuses");
        http_head_free(&h);
        http_response_head(tab, strlen(tab), &h);
        tap_ok(h.malformed == NULL, "a tab is a valid header byte (url.Parse refuses it)");
        http_head_free(&h);
        http_response_head(nm, strlen(nm), &h);
        tap_ok(http_body_complete(&h, nm, strlen(nm), 10240), "304: no body, whatever Content-Length says");
        http_head_free(&h);
}

int main(void)
{
        test_request();
        test_status();
        test_location();
        test_location_paths();
        test_location_hosts();
        test_location_errors();
        test_url();
        test_head_body();
        test_head_end();
        test_head_strict();
        test_head_checks();
        return tap_done();
}
