/* Unit tests of the asynchronous probe/hook actions (runtime/handler.c) and
 * the probe thresholds (runtime/probe.c) on a bare epoll loop: tcpSocket and
 * httpGet against servers on 127.0.0.1 in this process, their failures and
 * time limits in kubelet's words, sleep. No root needed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "handler.h"
#include "probe.h"
#include "tap.h"

static struct sbx S = {.epfd = -1};

/* A server socket on 127.0.0.1 (port chosen by the kernel) that answers the
 * first request of a connection with reply (NULL: never answers). */
struct server {
        struct sbx_watch w;
        const char *reply;
        const char *later;      /* the reply on later connections, if not NULL */
        int port;
        char request[2048];
        struct sbx_watch conns[16];
        int n_conns;
};

static void on_request(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct server *sv = w->data;
        ssize_t n = recv(w->fd, sv->request, sizeof(sv->request) - 1, MSG_DONTWAIT);

        if (n < 0 && errno == EAGAIN)
                return;
        sv->request[n > 0 ? n : 0] = '\0';
        const char *reply = sv->later && w != &sv->conns[0] ? sv->later : sv->reply;

        if (n > 0 && reply && send(w->fd, reply, strlen(reply), MSG_NOSIGNAL) < 0)
                tap_ok(false, "server send: %s", strerror(errno));
        /* keep the connection open, stop watching it */
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

static void on_client(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct server *sv = w->data;
        int c = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC);

        if (c < 0)
                return;
        if (sv->n_conns == 16 || sbx_watch_add(s, &sv->conns[sv->n_conns], c, EPOLLIN, on_request, sv, NULL) < 0) {
                close(c);
                return;
        }
        sv->n_conns++;
}

static void server_start(struct server *sv, const char *reply)
{
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        memset(sv, 0, sizeof(*sv));
        sv->reply = reply;
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0 ||
            getsockname(fd, (struct sockaddr *)&a, &len) < 0)
                tap_ok(false, "server: %s", strerror(errno));
        sv->port = ntohs(a.sin_port);
        sbx_watch_add(&S, &sv->w, fd, EPOLLIN, on_client, sv, NULL);
}

static void server_stop(struct server *sv)
{
        sbx_watch_remove(&S, &sv->w);
        for (int i = 0; i < sv->n_conns; i++)
                sbx_watch_remove(&S, &sv->conns[i]);
}

/* A port with nobody listening. */
static int closed_port(void)
{
        struct server sv;
        int port;

        server_start(&sv, NULL);
        port = sv.port;
        server_stop(&sv);
        return port;
}

struct outcome {
        bool done;
        enum handler_result res;
        char msg[1024];
};

static void on_done(struct sbx *s, void *data, enum handler_result res, const char *message)
{
        struct outcome *o = data;

        o->done = true;
        o->res = res;
        snprintf(o->msg, sizeof(o->msg), "%s", message);
}

/* Run the loop until *flag or the deadline (ms); false on timeout. */
static bool loop_until(const bool *flag, int ms)
{
        int64_t end = pfs_now_monotonic_ns() + (int64_t)ms * 1000000;
        struct epoll_event evs[8];

        while (!*flag) {
                int64_t left = (end - pfs_now_monotonic_ns()) / 1000000;
                int n;

                if (left <= 0)
                        return false;
                n = epoll_wait(S.epfd, evs, 8, (int)left);
                for (int i = 0; i < n; i++) {
                        struct sbx_watch *w = evs[i].data.ptr;

                        if (w->fd >= 0)
                                w->fn(&S, w, evs[i].events);
                }
        }
        return true;
}

static void run(struct handler_req *req, struct outcome *o)
{
        static struct handler_run r;
        struct pfs_error err = {0};

        memset(o, 0, sizeof(*o));
        handler_run_init(&r);
        if (handler_start(&S, &r, req, on_done, o, &err) < 0) {
                tap_ok(false, "handler_start: %s", err.msg);
                return;
        }
        tap_ok(!o->done, "no callback from handler_start");
        tap_ok(loop_until(&o->done, 5000), "the action ends");
}

static void test_tcp(void)
{
        struct handler_req req = {.kind = HANDLER_TCP, .timeout_ns = 1000000000LL};
        struct outcome o;
        struct server sv;
        char want[128];

        server_start(&sv, NULL);
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(o.res, HANDLER_OK, "tcp: connect to a listener succeeds");
        server_stop(&sv);
        req.port = closed_port();
        run(&req, &o);
        tap_is_int(o.res, HANDLER_FAILED, "tcp: refused fails");
        snprintf(want, sizeof(want), "dial tcp 127.0.0.1:%d: connect: connection refused", req.port);
        tap_is_str(o.msg, want, "tcp: Go's message");
        req.host = "no.such.name";
        run(&req, &o);
        tap_ok(o.res == HANDLER_FAILED && strstr(o.msg, "no such host"), "tcp: names are not resolved: %s", o.msg);
}

static void test_http(void)
{
        struct pod_kv hdr = {"X-Probe", "yes"};
        struct handler_req req = {.kind = HANDLER_HTTP, .timeout_ns = 1000000000LL, .path = "/healthz",
                                  .headers = &hdr, .n_headers = 1};
        struct outcome o;
        struct server sv;
        char want[256];

        server_start(&sv, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(o.res, HANDLER_OK, "http: 200 succeeds");
        tap_ok(strncmp(sv.request, "GET /healthz HTTP/1.1\r\n", 23) == 0, "http: request line");
        tap_ok(strstr(sv.request, "\r\nUser-Agent: kube-probe/1.34\r\n") && strstr(sv.request, "\r\nX-Probe: yes\r\n"),
               "http: kubelet's User-Agent and the httpHeaders");
        server_stop(&sv);

        server_start(&sv, "HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\nContent-Length: 5\r\n\r\nmoved");
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(o.res, HANDLER_WARNING, "http: a redirect to another host is not followed: a warning");
        tap_is_str(o.msg, "Probe terminated redirects, Response body: moved", "http: kubelet's warning");
        tap_is_int(sv.n_conns, 1, "http: ... and no second request");
        server_stop(&sv);

        server_start(&sv, "HTTP/1.1 301 Moved\r\nLocation: /next\r\nContent-Length: 0\r\n\r\n");
        sv.later = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(sv.n_conns, 2, "http: a redirect on the same host is followed");
        tap_ok(strncmp(sv.request, "GET /next HTTP/1.1\r\n", 20) == 0 && strstr(sv.request, "\r\nX-Probe: yes\r\n"),
               "http: ... with the same httpHeaders (%s)", sv.request);
        snprintf(want, sizeof(want), "\r\nReferer: http://127.0.0.1:%d/healthz\r\n", sv.port);
        tap_ok(strstr(sv.request, want) != NULL, "http: ... and the URL before as Referer");
        tap_is_str(o.msg, "HTTP probe failed with statuscode: 404", "http: the last response decides");
        server_stop(&sv);

        server_start(&sv, "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(sv.n_conns, 10, "http: a redirect loop: 10 requests");
        tap_is_str(o.msg, "Get \"/loop\": stopped after 10 redirects", "http: Go's message after 10 requests");
        server_stop(&sv);

        server_start(&sv, "HTTP/1.1 304 Not Modified\r\n\r\n");
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(o.res, HANDLER_WARNING, "http: a 304 has no body: no wait on an open connection");
        tap_is_str(o.msg, "Probe terminated redirects, Response body: ", "http: ... kubelet's warning");
        server_stop(&sv);

        server_start(&sv, "HTTP/1.1 000 Zero\r\n\r\n");
        req.port = sv.port;
        run(&req, &o);
        tap_is_str(o.msg, "HTTP probe failed with statuscode: 0", "http: status 000 fails at once, as Go");
        server_stop(&sv);

        server_start(&sv, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(o.res, HANDLER_FAILED, "http: 503 fails");
        tap_is_str(o.msg, "HTTP probe failed with statuscode: 503", "http: kubelet's message");
        server_stop(&sv);

        server_start(&sv, NULL);
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(o.res, HANDLER_FAILED, "http: no answer within timeoutSeconds fails");
        snprintf(want, sizeof(want), "Get \"http://127.0.0.1:%d/healthz\": context deadline exceeded "
                 "(Client.Timeout exceeded while awaiting headers)", sv.port);
        tap_is_str(o.msg, want, "http: timeout message");
        server_stop(&sv);

        req.port = closed_port();
        run(&req, &o);
        snprintf(want, sizeof(want), "Get \"http://127.0.0.1:%d/healthz\": dial tcp 127.0.0.1:%d: connect: "
                 "connection refused", req.port, req.port);
        tap_is_str(o.msg, want, "http: refused");
}

/* One request against a server answering reply first and later after. */
static void http_once(struct handler_req *req, struct server *sv, const char *reply, const char *later,
                      struct outcome *o)
{
        server_start(sv, reply);
        sv->later = later;
        req->port = sv->port;
        run(req, o);
        server_stop(sv);
}

#define CONTINUE "HTTP/1.1 100 Continue\r\n\r\n"

/* A server answering with 1xx responses without end must not keep the
 * loop reading: Go allows 5 per request. */
static void test_http_1xx_limit(struct handler_req *req)
{
        struct outcome o;
        struct server sv;
        char want[256];

        http_once(req, &sv, CONTINUE CONTINUE CONTINUE CONTINUE CONTINUE "HTTP/1.1 200 OK\r\n\r\n", NULL, &o);
        tap_is_int(o.res, HANDLER_OK, "1xx: five informational responses are read past");
        http_once(req, &sv, CONTINUE CONTINUE CONTINUE CONTINUE CONTINUE CONTINUE "HTTP/1.1 200 OK\r\n\r\n", NULL, &o);
        tap_is_int(o.res, HANDLER_FAILED, "1xx: a sixth fails the attempt");
        snprintf(want, sizeof(want), "Get \"http://127.0.0.1:%d/\": net/http: too many 1xx informational responses",
                 req->port);
        tap_is_str(o.msg, want, "1xx: ... in Go's words");
}

static void test_http_redirect_body(void)
{
        struct handler_req req = {.kind = HANDLER_HTTP, .timeout_ns = 1000000000LL, .path = "/"};
        struct outcome o;
        struct server sv;

        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: /next\r\nContent-Length: 5000\r\n\r\n",
                  "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &o);
        tap_is_int(o.res, HANDLER_OK, "redirect: Content-Length over 2 KiB: followed without its body (Go reads none)");
        tap_is_int(sv.n_conns, 2, "redirect: ... a second request");
        http_once(&req, &sv, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", NULL, &o);
        tap_is_int(o.res, HANDLER_OK, "1xx: Go's transport reads on to the final response");
        http_once(&req, &sv, "HTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", NULL, &o);
        tap_is_int(o.res, HANDLER_OK, "1xx: an LF-only head ends at its blank line, not the next one's");
        test_http_1xx_limit(&req);
}

static void test_http_redirect_location(void)
{
        struct handler_req req = {.kind = HANDLER_HTTP, .timeout_ns = 1000000000LL, .path = "/healthz"};
        const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        char want[512];
        struct outcome o;
        struct server sv;

        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: /p q\xc3\xa9\r\nContent-Length: 0\r\n\r\n", ok, &o);
        tap_ok(strncmp(sv.request, "GET /p%20q%C3%A9 HTTP/1.1\r\n", 27) == 0, "redirect: a space and non-ASCII escaped");
        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: /a\rX-Injected: 1\r\nContent-Length: 0\r\n\r\n", ok, &o);
        tap_is_int(o.res, HANDLER_FAILED, "redirect: a bare CR in a header fails (Go's textproto)");
        snprintf(want, sizeof(want), "Get \"http://127.0.0.1:%d/healthz\": net/http: HTTP/1.x transport connection "
                 "broken: malformed MIME header line: Location: /a\rX-Injected: 1", req.port);
        tap_is_str(o.msg, want, "redirect: ... in Go's words");
        tap_is_int(sv.n_conns, 1, "redirect: ... and nothing is sent");
        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: /a\tb\r\nContent-Length: 0\r\n\r\n", ok, &o);
        snprintf(want, sizeof(want), "Get \"http://127.0.0.1:%d/healthz\": failed to parse Location header "
                 "\"/a\\tb\": parse \"/a\\tb\": net/url: invalid control character in URL", req.port);
        tap_is_int(o.res, HANDLER_FAILED, "redirect: a control byte in Location fails, counted");
        tap_is_str(o.msg, want, "redirect: ... url.Parse's error");
        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:8o/\r\nContent-Length: 0\r\n\r\n",
                  ok, &o);
        tap_ok(o.res == HANDLER_FAILED && strstr(o.msg, ": failed to parse Location header \"http://127.0.0.1:8o/\": "
                                                       "parse \"http://127.0.0.1:8o/\": invalid port \":8o\" after host"),
               "redirect: a Location Go cannot parse fails: %s", o.msg);
        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:99999/\r\nContent-Length: 0\r\n\r\n",
                  ok, &o);
        tap_is_int(o.res, HANDLER_FAILED, "redirect: port out of range: followed, the dial fails");
        tap_is_str(o.msg, "Get \"http://127.0.0.1:99999/\": dial tcp: address 99999: invalid port", "redirect: ... Go's words");
        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:0/\r\nContent-Length: 0\r\n\r\n",
                  ok, &o);
        tap_is_str(o.msg, "Get \"http://127.0.0.1:0/\": dial tcp 127.0.0.1:0: connect: connection refused",
                   "redirect: port 0 is dialed, as Go does");
        http_once(&req, &sv, "HTTP/1.1 301 Moved\r\nLocation: https://127.0.0.1/\r\nContent-Length: 0\r\n\r\n", ok, &o);
        tap_is_int(o.res, HANDLER_FAILED, "redirect: to https on the same host fails, counted");
        tap_ok(strstr(o.msg, "podfs does not speak HTTPS") != NULL, "redirect: ... and says why: %s", o.msg);
}

static void test_http_redirect_path(void)
{
        struct handler_req req = {.kind = HANDLER_HTTP, .timeout_ns = 1000000000LL, .path = "/app/health?r=/x"};
        const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        struct outcome o;
        struct server sv;

        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: login\r\nContent-Length: 0\r\n\r\n", ok, &o);
        tap_ok(strncmp(sv.request, "GET /app/login HTTP/1.1\r\n", 25) == 0,
               "redirect: merged with the path's directory, not after a '/' in the query");
        req.path = "/a/b/c";
        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: ../x\r\nContent-Length: 0\r\n\r\n", ok, &o);
        tap_ok(strncmp(sv.request, "GET /a/x HTTP/1.1\r\n", 19) == 0, "redirect: dot segments removed");
}

static void test_http_redirect_host(void)
{
        struct handler_req req = {.kind = HANDLER_HTTP, .timeout_ns = 1000000000LL, .path = "/", .host = "localhost"};
        const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        char loc[256];
        struct outcome o;
        struct server sv;

        server_start(&sv, NULL);
        snprintf(loc, sizeof(loc), "HTTP/1.1 302 Found\r\nLocation: http://localhost:%d/x\r\nContent-Length: 0\r\n\r\n",
                 sv.port);
        sv.reply = loc;
        sv.later = ok;
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(o.res, HANDLER_OK, "redirect: host localhost, Location on localhost: followed");
        tap_is_int(sv.n_conns, 2, "redirect: ... a second request");
        tap_ok(strstr(sv.request, "GET /x HTTP/1.1\r\nHost: localhost:") == sv.request, "redirect: ... Host as the URL has it");
        server_stop(&sv);
        req.host = "127.0.0.1";
        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: http://u@127.0.0.1/x\r\nContent-Length: 0\r\n\r\n", ok, &o);
        tap_ok(o.res == HANDLER_FAILED && strstr(o.msg, "dial tcp 127.0.0.1:80"),
               "redirect: userinfo@127.0.0.1 is host 127.0.0.1: followed (to port 80): %s", o.msg);
        req.follow_any_host = true;
        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: http:foo\r\nContent-Length: 0\r\n\r\n", ok, &o);
        tap_is_str(o.msg, "Get \"http:foo\": http: no Host in request URL", "redirect: a hook to no host: Go's transport error");
}

/* An explicit Referer stays (Go's refererForURL); credentials do not go
 * to another host (Go's shouldCopyHeaderOnRedirect). */
static void test_http_redirect_headers(void)
{
        struct pod_kv hdr[] = {{"Referer", "http://mine/"}, {"Authorization", "Bearer s"}, {"cookie", "c=1"},
                               {"X-Probe", "yes"}};
        struct handler_req req = {.kind = HANDLER_HTTP, .timeout_ns = 1000000000LL, .path = "/", .host = "127.0.0.1",
                                  .headers = hdr, .n_headers = 4, .follow_any_host = true};
        const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        char loc[256];
        struct outcome o;
        struct server sv;

        http_once(&req, &sv, "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", ok, &o);
        tap_ok(strstr(sv.request, "\r\nReferer: http://mine/\r\n") && !strstr(strstr(sv.request, "Referer") + 1, "Referer"),
               "redirect: the httpHeaders' Referer kept, no other (%s)", sv.request);
        tap_ok(strstr(sv.request, "\r\nAuthorization: Bearer s\r\n") && strstr(sv.request, "\r\ncookie: c=1\r\n"),
               "redirect: same host: credentials sent");
        server_start(&sv, NULL);
        snprintf(loc, sizeof(loc), "HTTP/1.1 302 Found\r\nLocation: http://localhost:%d/x\r\nContent-Length: 0\r\n\r\n",
                 sv.port);
        sv.reply = loc;
        sv.later = ok;
        req.port = sv.port;
        run(&req, &o);
        tap_is_int(sv.n_conns, 2, "redirect: a hook to another host: followed");
        tap_ok(!strcasestr(sv.request, "\r\nAuthorization:") && !strcasestr(sv.request, "\r\nCookie:"),
               "redirect: ... without Authorization and Cookie (%s)", sv.request);
        tap_ok(strstr(sv.request, "\r\nX-Probe: yes\r\n") != NULL, "redirect: ... other httpHeaders kept");
        server_stop(&sv);
}

static void test_sleep(void)
{
        struct handler_req req = {.kind = HANDLER_SLEEP, .sleep_ns = 200000000LL};
        int64_t t0 = pfs_now_monotonic_ns();
        struct outcome o;

        run(&req, &o);
        tap_is_int(o.res, HANDLER_OK, "sleep: ok");
        tap_ok(pfs_now_monotonic_ns() - t0 >= 200000000LL, "sleep: took its time");
}

/* ---- probe thresholds ---- */

struct tally {
        int attempts, changes, errored;
        bool result, done;
};

static void on_probe(struct sbx *s, struct probe *p, const struct probe_attempt *a, void *data)
{
        struct tally *t = data;

        t->attempts++;
        t->changes += a->changed;
        t->errored += a->outcome == HANDLER_ERRORED;
        t->result = a->result;
        if (t->attempts == 3)
                t->done = true;
}

static void test_probe(void)
{
        struct pod_container c = {.name = (char *)"app"};
        struct pod_probe ps = {.h = {.kind = POD_HANDLER_TCP_SOCKET}, .timeout_seconds = 1, .period_seconds = 1,
                               .success_threshold = 1, .failure_threshold = 3,
                               .termination_grace_period_seconds = -1};
        struct pfs_error err = {0};
        struct tally t = {0};
        struct probe p;
        int64_t t0;

        ps.h.port = closed_port();
        probe_init(&p, PROBE_LIVENESS, &c, &ps, on_probe, &t);
        tap_ok(p.result, "liveness starts successful");
        t0 = pfs_now_monotonic_ns();
        tap_is_int(probe_start(&S, &p, 0, -1, -1, t0, &err), 0, "probe_start");
        tap_ok(loop_until(&t.done, 5000), "three attempts");
        tap_ok(pfs_now_monotonic_ns() - t0 >= 1900000000LL, "on the 1 s grid (first at once)");
        tap_is_int(t.changes, 1, "liveness fails once, at failureThreshold 3");
        tap_ok(!t.result, "liveness result false");
        probe_stop(&S, &p);
}

/* An attempt that errored is thrown away as kubelet's worker does: no
 * threshold is ever reached. An exec with no command gets as far as the
 * handler, which completes it HANDLER_ERRORED (a command that cannot start
 * does the same), so the attempt reaches on_attempt's errored branch. */
static void test_probe_errored(void)
{
        struct pod_container c = {.name = (char *)"app"};
        struct pod_probe ps = {.h = {.kind = POD_HANDLER_EXEC, .n_command = 0},
                               .timeout_seconds = 1, .period_seconds = 1, .success_threshold = 1,
                               .failure_threshold = 1, .termination_grace_period_seconds = -1};
        struct pfs_error err = {0};
        struct tally t = {0};
        struct probe p;

        probe_init(&p, PROBE_LIVENESS, &c, &ps, on_probe, &t);
        tap_is_int(probe_start(&S, &p, 0, -1, -1, pfs_now_monotonic_ns(), &err), 0, "errored: probe_start");
        tap_ok(loop_until(&t.done, 5000), "errored: three attempts");
        tap_is_int(t.errored, 3, "errored: each attempt errored (no command)");
        tap_is_int(t.changes, 0, "errored: failureThreshold 1 is never reached");
        tap_ok(t.result, "errored: liveness stays successful");
        probe_stop(&S, &p);
}

int main(void)
{
        S.epfd = epoll_create1(EPOLL_CLOEXEC);
        tap_ok(S.epfd >= 0, "epoll");
        test_tcp();
        test_http();
        test_http_redirect_body();
        test_http_redirect_location();
        test_http_redirect_path();
        test_http_redirect_host();
        test_http_redirect_headers();
        test_sleep();
        test_probe();
        test_probe_errored();
        close(S.epfd);
        return tap_done();
}
