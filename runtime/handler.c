/* Runs one probe or hook action asynchronously on the sandbox's loop: an exec
 * inside the container (pidfd + output pipe), a non-blocking TCP connect, an
 * HTTP GET over it, or a sleep; each bounded by its deadline timer. Results
 * and messages in kubelet's (Go's) words. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "handler.h"
#include "syscalls.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static struct handler_run *runs_in_flight;

void handler_run_init(struct handler_run *run)
{
        memset(run, 0, sizeof(*run));
        run->io_w.fd = run->proc_w.fd = run->timer_w.fd = run->start_fd = -1;
}

static void run_unlink(struct handler_run *run)
{
        for (struct handler_run **pp = &runs_in_flight; *pp; pp = &(*pp)->next)
                if (*pp == run) {
                        *pp = run->next;
                        break;
                }
        run->next = NULL;
}

/* Back to idle: every fd closed, every buffer freed. */
static void run_reset(struct sbx *s, struct handler_run *run)
{
        run_unlink(run);
        sbx_watch_remove(s, &run->io_w);
        sbx_watch_remove(s, &run->proc_w);
        sbx_timer_disarm(s, &run->timer_w);
        if (run->start_fd >= 0)
                close(steal_fd(&run->start_fd));
        pfs_buf_free(&run->in);
        free(run->request);
        free(run->target);
        free(run->url);
        http_target_free(&run->cur);
        free(run->first_host);
        free(run->first_authority);
        free(run->referer);
        for (size_t i = 0; i < run->n_headers; i++) {
                free(run->headers[i].key);
                free(run->headers[i].value);
        }
        free(run->headers);
        run->first_host = run->first_authority = run->referer = NULL;
        run->strip_sensitive = false;
        run->headers = NULL;
        run->n_headers = 0;
        run->hops = 0;
        run->n_1xx = 0;
        free(run->cmdline);
        free(run->pending_msg);
        run->request = run->target = run->url = run->cmdline = run->pending_msg = NULL;
        run->req_off = 0;
        run->pid = 0;
        run->has_pending = false;
        run->busy = false;
}

static void run_complete(struct sbx *s, struct handler_run *run, enum handler_result res, const char *msg)
{
        _cleanup_free_ char *m = xstrdup(msg ? msg : "");
        handler_done_fn fn = run->fn;
        void *data = run->data;

        run_reset(s, run);
        fn(s, data, res, m);
}

void handler_cancel(struct sbx *s, struct handler_run *run)
{
        if (!run->busy)
                return;
        if (run->pid > 0 && run->proc_w.fd >= 0)
                pfs_pidfd_send_signal(run->proc_w.fd, SIGKILL);
        run_reset(s, run);
}

static void on_timer(struct sbx *s, struct sbx_watch *w, uint32_t events);

/* A result known at once is delivered from the loop, never from handler_start. */
static int complete_later(struct sbx *s, struct handler_run *run, enum handler_result res, const char *msg,
                          struct pfs_error *err)
{
        run->pending = res;
        free(run->pending_msg);
        run->pending_msg = xstrdup(msg);
        run->has_pending = true;
        return sbx_timer_arm(s, &run->timer_w, pfs_now_monotonic_ns(), on_timer, run, err);
}

/* ---- exec ---- */

static void exec_drain(struct handler_run *run)
{
        char chunk[4096];

        for (;;) {
                ssize_t n = read(run->io_w.fd, chunk, sizeof(chunk));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                if (run->in.len < HANDLER_MAX_OUTPUT) {
                        size_t keep = HANDLER_MAX_OUTPUT - run->in.len;

                        pfs_buf_append(&run->in, chunk, (size_t)n < keep ? (size_t)n : keep);
                }
        }
}

static void on_exec_output(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct handler_run *run = w->data;
        char c;

        exec_drain(run);
        /* EOF: the writers are gone; the exit decides. */
        if ((events & (EPOLLHUP | EPOLLERR)) && read(w->fd, &c, 1) == 0)
                sbx_watch_remove(s, w);
}

/* What containerd's ExecSync answers when the process could not start, as
 * the kubelet prints it: the gRPC status around the CRI plugin's words
 * (with a fresh exec id) around the shim's around runc's. */
static char *exec_start_error(const char *why)
{
        char id[65];

        pfs_random_id(id);
        return xasprintf("rpc error: code = Unknown desc = failed to exec in container: failed to start exec \"%s\": "
                         "OCI runtime exec failed: exec failed: unable to start container process: %s: unknown",
                         id, why);
}

/* The child's report on its error pipe, complete once it exited: false
 * when there is none (the command ran; its status is its own). */
static bool exec_start_failed(struct handler_run *run, struct pfs_error *ret)
{
        ssize_t n;

        if (run->start_fd < 0)
                return false;
        do
                n = read(run->start_fd, ret, sizeof(*ret));
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(*ret))
                return false;
        ret->msg[sizeof(ret->msg) - 1] = '\0';
        return true;
}

static void exec_exited(struct sbx *s, struct handler_run *run, int wstatus)
{
        struct pfs_error e = {0};

        if (run->io_w.fd >= 0)
                exec_drain(run);
        if (exec_start_failed(run, &e)) {
                _cleanup_free_ char *m = exec_start_error(e.msg);

                run_complete(s, run, HANDLER_ERRORED, m);
                return;
        }
        run->exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
                run_complete(s, run, HANDLER_OK, run->in.data);
        else
                run_complete(s, run, HANDLER_FAILED, run->in.data);
}

static void on_exec_exit(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct handler_run *run = w->data;
        siginfo_t info = {0};
        int wstatus;

        if (waitid((idtype_t)P_PIDFD, (id_t)w->fd, &info, WEXITED | WNOHANG) < 0) {
                if (errno == ECHILD) /* reaped by someone else without telling us */
                        run_complete(s, run, HANDLER_ERRORED, "the exec'd process' status was lost");
                return;
        }
        if (info.si_pid == 0)
                return; /* not yet (a stale event) */
        wstatus = info.si_code == CLD_EXITED ? (info.si_status & 0xff) << 8 : info.si_status & 0x7f;
        exec_exited(s, run, wstatus);
}

bool handler_reaped(struct sbx *s, pid_t pid, int wstatus)
{
        for (struct handler_run *run = runs_in_flight; run; run = run->next) {
                if (run->kind != HANDLER_EXEC || run->pid != pid)
                        continue;
                exec_exited(s, run, wstatus);
                return true;
        }
        return false;
}

static int exec_start(struct sbx *s, struct handler_run *run, const struct handler_req *req,
                      struct pfs_error *err)
{
        _cleanup_free_ char **argv = xcalloc(req->n_command + 1, sizeof(*argv));
        struct pfs_buf cmd = {0};
        int p[2], e[2], pidfd = -1, r;
        pid_t pid = 0;

        for (size_t i = 0; i < req->n_command; i++) {
                argv[i] = req->command[i];
                pfs_buf_printf(&cmd, "%s%s", i ? " " : "", req->command[i]);
        }
        run->cmdline = pfs_buf_steal(&cmd);
        if (req->n_command == 0)
                return complete_later(s, run, HANDLER_ERRORED, "no command", err);
        if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
                return pfs_error_set(err, errno, "pipe");
        r = sbx_watch_add(s, &run->io_w, p[0], EPOLLIN, on_exec_output, run, err);
        if (r < 0) {
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pipe2(e, O_CLOEXEC | O_NONBLOCK) < 0) {
                close(p[1]);
                return pfs_error_set(err, errno, "pipe");
        }
        run->start_fd = e[0];
        /* The child's end blocks as a terminal's would. */
        fcntl(p[1], F_SETFL, 0);
        r = ctr_enter_spawn(req->ctr_pid, req->ctr_pidfd, argv, req->cgroup_fd, p[1], e[1], &pid, &pidfd, err);
        close(p[1]);
        close(e[1]);
        if (r < 0) {
                _cleanup_free_ char *m = exec_start_error(err->msg);

                pfs_error_clear(err);
                return complete_later(s, run, HANDLER_ERRORED, m, err);
        }
        run->pid = pid;
        r = sbx_watch_add(s, &run->proc_w, pidfd, EPOLLIN, on_exec_exit, run, err);
        if (r < 0)
                close(pidfd); /* SIGCHLD still brings the exit (handler_reaped) */
        return 0;
}

/* ---- tcp / http ---- */

static void net_failed(struct sbx *s, struct handler_run *run, const char *what)
{
        _cleanup_free_ char *dial = xasprintf("dial tcp %s: %s", run->target, what);

        if (run->kind == HANDLER_HTTP) {
                _cleanup_free_ char *m = xasprintf("Get \"%s\": %s", run->url, dial);

                run_complete(s, run, HANDLER_FAILED, m);
        } else {
                run_complete(s, run, HANDLER_FAILED, dial);
        }
}

static int net_dial(struct sbx *s, struct handler_run *run, const char *host, int port, struct pfs_error *err);

/* Bytes of a redirect's body Go's client reads before following it (its
 * maxBodySlurpSize; none when Content-Length is larger). */
#define HTTP_REDIRECT_SLURP 2048
/* Go's max1xxResponses (before 1.24 made it a byte limit). */
#define HTTP_MAX_1XX 5
/* What one wakeup reads of a response at most. */
#define HTTP_READ_PER_WAKEUP (64 * 1024)

/* A 3xx the client returns (kubelet's CheckRedirect stopped it, or no
 * redirect): the probe reads 10 KiB of its body and warns. */
static void http_terminated(struct sbx *s, struct handler_run *run, const struct http_head *h, bool eof)
{
        _cleanup_free_ char *m = NULL, *body = NULL;

        if (!eof && !http_body_complete(h, run->in.data, run->in.len, HANDLER_MAX_OUTPUT))
                return;
        body = http_body_text(h, run->in.data, run->in.len, HANDLER_MAX_OUTPUT);
        m = xasprintf("Probe terminated redirects, Response body: %s", body);
        run_complete(s, run, HANDLER_WARNING, m);
}

/* Go's isDomainOrSubdomain: sub is parent or ends in "." parent (never
 * for an IPv6 address: the suffix could be its zone). */
static bool host_domain_or_sub(const char *sub, const char *parent)
{
        size_t sl = strlen(sub), pl = strlen(parent);

        if (strcmp(sub, parent) == 0)
                return true;
        if (strpbrk(sub, ":%") || sl <= pl)
                return false;
        return strcmp(sub + sl - pl, parent) == 0 && sub[sl - pl - 1] == '.';
}

/* Go's client's checks on the next request, then the request: the hop
 * count (via), then what its Transport refuses. Takes t. */
static void http_follow(struct sbx *s, struct handler_run *run, const char *loc, struct http_target *t)
{
        _cleanup_free_ char *m = NULL, *q = NULL;
        struct pfs_error err = {0};

        if (run->hops + 1 >= 10) {
                m = xasprintf("Get \"%s\": stopped after 10 redirects", loc);
        } else if (strcmp(t->scheme, "https") == 0) {
                /* kubelet would go on over TLS; podfs has none: a failure, counted, never silent */
                m = xasprintf("Get \"%s\": redirect to https not followed: podfs does not speak HTTPS "
                              "(the kubelet would follow it over TLS)", t->url);
        } else if (strcmp(t->scheme, "http") != 0) {
                q = pfs_go_quote(t->scheme);
                m = xasprintf("Get \"%s\": unsupported protocol scheme %s", t->url, q);
        } else if (!*t->host) {
                m = xasprintf("Get \"%s\": http: no Host in request URL", t->url);
        }
        if (m) {
                http_target_free(t);
                run_complete(s, run, HANDLER_FAILED, m);
                return;
        }
        run->hops++;
        /* Go's client since 1.22.11: once a hop leaves, for good */
        if (strcmp(t->authority ? t->authority : "", run->first_authority) != 0 &&
            !host_domain_or_sub(t->host, run->first_host))
                run->strip_sensitive = true;
        sbx_watch_remove(s, &run->io_w);
        pfs_buf_free(&run->in);
        free(run->referer);
        run->referer = http_target_referer(&run->cur);
        http_target_free(&run->cur);
        run->cur = *t;
        memset(t, 0, sizeof(*t));
        if (net_dial(s, run, run->cur.host, run->cur.port, &err) < 0)
                run_complete(s, run, HANDLER_FAILED, err.msg);
}

/* Go's http.Client with kubelet's CheckRedirect: a Location url.Parse
 * refuses fails the probe; one on the first request's hostname (Go's
 * Hostname(), compared as strings) is followed once up to 2 KiB of the
 * body is in (10 requests at most); one elsewhere ends the probe with the
 * redirect as its response (a warning). Hooks use a plain client: any host. */
static void http_redirect(struct sbx *s, struct handler_run *run, const struct http_head *h, bool eof)
{
        struct pfs_error err = {0};
        struct http_target t;

        if (http_location_resolve(&run->cur, h->location, &t, &err) < 0) {
                _cleanup_free_ char *q = pfs_go_quote(h->location);
                _cleanup_free_ char *m = xasprintf("Get \"%s\": failed to parse Location header %s: %s", run->url,
                                                   q, err.msg);

                run_complete(s, run, HANDLER_FAILED, m);
                return;
        }
        if (!run->follow_any_host && strcmp(t.host, run->first_host) != 0) {
                http_target_free(&t);
                http_terminated(s, run, h, eof);
                return;
        }
        if (!eof && h->content_length <= HTTP_REDIRECT_SLURP &&
            !http_body_complete(h, run->in.data, run->in.len, HTTP_REDIRECT_SLURP)) {
                http_target_free(&t);
                return;
        }
        http_follow(s, run, h->location, &t);
}

/* The response's head is in: its status decides, a 3xx once what Go reads of its body is in. */
static void http_response(struct sbx *s, struct handler_run *run, const struct http_head *h, bool eof)
{
        _cleanup_free_ char *m = NULL;

        if (h->malformed) {
                m = xasprintf("Get \"%s\": net/http: HTTP/1.x transport connection broken: "
                              "malformed MIME header line: %s", run->url, h->malformed);
                run_complete(s, run, HANDLER_FAILED, m);
        } else if (h->status >= 200 && h->status < 300) {
                run_complete(s, run, HANDLER_OK, "");
        } else if (h->status < 300 || h->status >= 400) {
                m = xasprintf("HTTP probe failed with statuscode: %d", h->status);
                run_complete(s, run, HANDLER_FAILED, m);
        } else if (http_is_redirect(h)) {
                http_redirect(s, run, h, eof);
        } else {
                http_terminated(s, run, h, eof);
        }
}

/* Go's Transport reads past an informational response (1xx but 101) to
 * the one that follows: drop its head. */
static bool http_informational(const struct http_head *h)
{
        return h->status >= 100 && h->status < 200 && h->status != 101;
}

static void http_informational_skip(struct handler_run *run, const struct http_head *h)
{
        memmove(run->in.data, run->in.data + h->body_off, run->in.len - h->body_off);
        run->in.len -= h->body_off;
}

/* The head in the buffer, past the informational ones (Go's transport
 * allows 5 per request: more would keep a sandbox's loop reading). */
static int http_head_next(struct handler_run *run, struct http_head *h)
{
        int r = run->in.len ? http_response_head(run->in.data, run->in.len, h) : 0;

        while (r > 0 && http_informational(h)) {
                http_head_free(h);
                if (++run->n_1xx > HTTP_MAX_1XX)
                        return -E2BIG;
                http_informational_skip(run, h);
                r = run->in.len ? http_response_head(run->in.data, run->in.len, h) : 0;
        }
        return r;
}

static const char *http_read_error(int r)
{
        return r == -E2BIG ? "net/http: too many 1xx informational responses" :
                             "net/http: HTTP/1.x transport connection broken: malformed HTTP response";
}

static void http_read(struct sbx *s, struct handler_run *run)
{
        char chunk[4096], eb[128];
        struct http_head h = {0};
        size_t total = 0;
        int r = 0;

        for (;;) {
                ssize_t n;

                /* back to the loop now and then: it has other runs, and the
                 * deadline (level-triggered, the socket wakes it again) */
                if (total >= HTTP_READ_PER_WAKEUP)
                        return;
                n = read(run->io_w.fd, chunk, sizeof(chunk));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n > 0) {
                        pfs_buf_append(&run->in, chunk, (size_t)n);
                        total += (size_t)n;
                }
                r = http_head_next(run, &h);
                if (r > 0) {
                        http_response(s, run, &h, n <= 0);
                        http_head_free(&h);
                        return;
                }
                if (r < 0 || n == 0) {
                        _cleanup_free_ char *m = r < 0 ? xasprintf("Get \"%s\": %s", run->url, http_read_error(r)) :
                                                         xasprintf("Get \"%s\": EOF", run->url);

                        run_complete(s, run, HANDLER_FAILED, m);
                        return;
                }
                if (n < 0) {
                        _cleanup_free_ char *m = xasprintf("Get \"%s\": %s", run->url, pfs_go_strerror(errno, eb));

                        run_complete(s, run, HANDLER_FAILED, m);
                        return;
                }
        }
}

static void http_write(struct sbx *s, struct handler_run *run)
{
        size_t len = strlen(run->request);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &run->io_w};
        char eb[128];

        while (run->req_off < len) {
                ssize_t n = send(run->io_w.fd, run->request + run->req_off, len - run->req_off, MSG_NOSIGNAL);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n < 0) {
                        _cleanup_free_ char *m = xasprintf("Get \"%s\": write tcp %s: %s", run->url,
                                                           run->target, pfs_go_strerror(errno, eb));

                        run_complete(s, run, HANDLER_FAILED, m);
                        return;
                }
                run->req_off += (size_t)n;
        }
        epoll_ctl(s->epfd, EPOLL_CTL_MOD, run->io_w.fd, &ev);
}

static void on_socket(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct handler_run *run = w->data;
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer), elen;
        int soerr = 0;
        char eb[128];

        if (run->request && run->req_off == strlen(run->request)) {
                http_read(s, run);
                return;
        }
        elen = sizeof(soerr);
        if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &elen) < 0)
                soerr = errno;
        if (soerr) {
                _cleanup_free_ char *what = xasprintf("connect: %s", pfs_go_strerror(soerr, eb));

                net_failed(s, run, what);
                return;
        }
        if (getpeername(w->fd, (struct sockaddr *)&peer, &plen) < 0)
                return; /* still connecting (a stale event) */
        if (run->kind == HANDLER_TCP)
                run_complete(s, run, HANDLER_OK, "");
        else
                http_write(s, run);
}

/* host "" / NULL (no pod IP): 127.0.0.1 in the pod's network namespace. */
static int addr_parse(const char *host, int port, struct sockaddr_storage *ret, socklen_t *ret_len,
                      char **ret_target)
{
        struct sockaddr_in *v4 = (struct sockaddr_in *)ret;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ret;

        memset(ret, 0, sizeof(*ret));
        if (!host || !*host || strcmp(host, "localhost") == 0)
                host = "127.0.0.1";
        if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
                v4->sin_family = AF_INET;
                v4->sin_port = htons((uint16_t)port);
                *ret_len = sizeof(*v4);
                *ret_target = xasprintf("%s:%d", host, port);
                return 0;
        }
        if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
                v6->sin6_family = AF_INET6;
                v6->sin6_port = htons((uint16_t)port);
                *ret_len = sizeof(*v6);
                *ret_target = xasprintf("[%s]:%d", host, port);
                return 0;
        }
        *ret_target = xasprintf("%s:%d", host, port);
        return -EINVAL;
}

/* A hook's requests (which follow redirects to any host) say so. */
static const char *run_user_agent(const struct handler_run *run)
{
        return run->follow_any_host ? HTTP_USER_AGENT_HOOK : HTTP_USER_AGENT_PROBE;
}

/* Headers Go's client drops on a redirect off the first host's domain
 * (shouldCopyHeaderOnRedirect): a hook must not hand them to any host. */
static bool header_sensitive(const char *key)
{
        static const char *const names[] = {
                "Authorization", "Www-Authenticate", "Cookie", "Cookie2", "Proxy-Authorization", "Proxy-Authenticate",
        };

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (strcasecmp(key, names[i]) == 0)
                        return true;
        return false;
}

/* The request of a redirect's hop: the same httpHeaders (but credentials
 * off the first host's domain), a custom Host only for a relative Location
 * (as Go), and Referer the URL before unless httpHeaders have one (Go's
 * refererForURL keeps an explicit Referer). */
static char *http_request_next(struct handler_run *run, const char *referer)
{
        _cleanup_free_ struct pod_kv *h = xcalloc(run->n_headers + 1, sizeof(*h));
        _cleanup_free_ char *pq = xasprintf("%s%s", run->cur.path, run->cur.query ? run->cur.query : "");
        bool has_referer = false;
        size_t n = 0;

        for (size_t i = 0; i < run->n_headers; i++) {
                if ((run->cur.absolute && strcasecmp(run->headers[i].key, "Host") == 0) ||
                    (run->strip_sensitive && header_sensitive(run->headers[i].key)))
                        continue;
                /* Go's Header.Get: an empty Referer is none */
                if (strcasecmp(run->headers[i].key, "Referer") == 0 && !*run->headers[i].value)
                        continue;
                has_referer = has_referer || strcasecmp(run->headers[i].key, "Referer") == 0;
                h[n++] = run->headers[i];
        }
        if (!has_referer)
                h[n++] = (struct pod_kv){(char *)"Referer", (char *)referer};
        return http_request_build(run->cur.authority, pq, run_user_agent(run), h, n);
}

static char *http_request_first(struct handler_run *run)
{
        _cleanup_free_ char *pq = xasprintf("%s%s", run->cur.path, run->cur.query ? run->cur.query : "");

        return http_request_build(run->cur.authority, pq, run_user_agent(run), run->headers, run->n_headers);
}

/* A dial error as the probe reports it: httpGet's inside Go's url.Error. */
static int dial_failed_later(struct sbx *s, struct handler_run *run, const char *dial, struct pfs_error *err)
{
        _cleanup_free_ char *m = run->kind == HANDLER_HTTP ? xasprintf("Get \"%s\": %s", run->url, dial) :
                                                             xstrdup(dial);

        return complete_later(s, run, HANDLER_FAILED, m, err);
}

/* Connect to host:port (literal addresses only: no resolver in a sandbox
 * that must not block); http: for run->cur. An immediate failure completes
 * the run from the loop. */
static int net_dial(struct sbx *s, struct handler_run *run, const char *host, int port, struct pfs_error *err)
{
        struct sockaddr_storage sa;
        socklen_t len = 0;
        char eb[128];
        int fd, r;

        free(run->target);
        free(run->request);
        free(run->url);
        run->target = run->request = run->url = NULL;
        run->req_off = 0;
        run->n_1xx = 0;
        r = addr_parse(host, port, &sa, &len, &run->target);
        if (run->kind == HANDLER_HTTP) {
                run->request = run->hops ? http_request_next(run, run->referer) : http_request_first(run);
                run->url = xstrdup(run->cur.url);
        }
        if (r < 0) {
                _cleanup_free_ char *m = xasprintf("dial tcp %s: lookup %s: no such host", run->target, host);

                return dial_failed_later(s, run, m, err);
        }
        if (port < 0 || port > 65535) { /* 0 is dialed (and refused), as Go does */
                _cleanup_free_ char *m = xasprintf("dial tcp: address %d: invalid port", port);

                return dial_failed_later(s, run, m, err);
        }
        fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return pfs_error_set(err, errno, "socket");
        r = sbx_watch_add(s, &run->io_w, fd, EPOLLOUT, on_socket, run, err);
        if (r < 0) {
                close(fd);
                return r;
        }
        if (connect(fd, (struct sockaddr *)&sa, len) < 0 && errno != EINPROGRESS) {
                _cleanup_free_ char *dial = xasprintf("dial tcp %s: connect: %s", run->target,
                                                      pfs_go_strerror(errno, eb));

                sbx_watch_remove(s, &run->io_w);
                return dial_failed_later(s, run, dial, err);
        }
        return 0; /* connected or in progress: EPOLLOUT tells */
}

static int net_start(struct sbx *s, struct handler_run *run, const struct handler_req *req,
                     struct pfs_error *err)
{
        const char *host = req->host;

        /* as the kubelet: no host is the pod's IP (its own network's; 127.0.0.1 with hostNetwork) */
        if ((!host || !*host) && s->spec && !s->spec->host_network && s->status && s->status->pod_ip &&
            *s->status->pod_ip)
                host = s->status->pod_ip;
        if (!host || !*host)
                host = "127.0.0.1";
        /* as given ("localhost" too): Go compares hostnames as strings; only
         * the dial maps localhost to 127.0.0.1 (addr_parse) */
        run->first_host = xstrdup(host);
        run->follow_any_host = req->follow_any_host;
        run->headers = xcalloc(req->n_headers + 1, sizeof(*run->headers));
        for (size_t i = 0; i < req->n_headers; i++)
                if (req->headers[i].key) {
                        run->headers[run->n_headers].key = xstrdup(req->headers[i].key);
                        run->headers[run->n_headers++].value = xstrdup(req->headers[i].value ? req->headers[i].value : "");
                }
        if (req->kind == HANDLER_HTTP) {
                http_target_init(&run->cur, host, req->port, req->path);
                run->first_authority = xstrdup(run->cur.authority);
        }
        return net_dial(s, run, host, req->port, err);
}

/* ---- deadline ---- */

static void timed_out(struct sbx *s, struct handler_run *run)
{
        _cleanup_free_ char *m = NULL, *q = NULL;

        run->timed_out = true;
        switch (run->kind) {
        case HANDLER_EXEC:
                if (run->pid > 0)
                        pfs_signal_child(run->proc_w.fd, run->pid, SIGKILL);
                q = pfs_go_quote(run->cmdline ? run->cmdline : "");
                m = xasprintf("command %s timed out", q);
                break;
        case HANDLER_TCP:
                m = xasprintf("dial tcp %s: i/o timeout", run->target);
                break;
        case HANDLER_HTTP:
                m = xasprintf("Get \"%s\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                              run->url);
                break;
        case HANDLER_SLEEP:
                run_complete(s, run, HANDLER_OK, "");
                return;
        }
        run_complete(s, run, HANDLER_FAILED, m);
}

static void on_timer(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct handler_run *run = w->data;
        uint64_t ticks;

        if (read(w->fd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
                return; /* stale: re-armed since */
        sbx_timer_disarm(s, w);
        if (run->has_pending) {
                _cleanup_free_ char *m = steal_ptr(&run->pending_msg);

                run_complete(s, run, run->pending, m);
                return;
        }
        timed_out(s, run);
}

int handler_start(struct sbx *s, struct handler_run *run, const struct handler_req *req,
                  handler_done_fn fn, void *data, struct pfs_error *err)
{
        int64_t limit = req->kind == HANDLER_SLEEP ? req->sleep_ns : req->timeout_ns;
        int r = 0;

        if (run->busy)
                return pfs_error_set(err, EBUSY, "an action is already in flight");
        run->busy = true;
        run->exit_code = -1;
        run->timed_out = false;
        run->kind = req->kind;
        run->fn = fn;
        run->data = data;
        run->next = runs_in_flight;
        runs_in_flight = run;
        switch (req->kind) {
        case HANDLER_EXEC:
                r = exec_start(s, run, req, err);
                break;
        case HANDLER_TCP:
        case HANDLER_HTTP:
                r = net_start(s, run, req, err);
                break;
        case HANDLER_SLEEP:
                if (limit <= 0)
                        r = complete_later(s, run, HANDLER_OK, "", err);
                break;
        }
        if (r >= 0 && !run->has_pending && limit > 0)
                r = sbx_timer_arm(s, &run->timer_w, pfs_now_monotonic_ns() + limit, on_timer, run, err);
        if (r < 0)
                handler_cancel(s, run);
        return r;
}

int handler_req_from_spec(struct handler_req *req, const struct pod_container *c,
                          const struct pod_handler *h, struct pfs_error *err)
{
        memset(req, 0, sizeof(*req));
        req->ctr_pidfd = req->cgroup_fd = -1;
        switch (h->kind) {
        case POD_HANDLER_EXEC:
                req->kind = HANDLER_EXEC;
                req->command = h->command;
                req->n_command = h->n_command;
                return 0;
        case POD_HANDLER_SLEEP:
                req->kind = HANDLER_SLEEP;
                req->sleep_ns = h->seconds * 1000000000LL;
                return 0;
        case POD_HANDLER_HTTP_GET:
                if (h->scheme && strcmp(h->scheme, "HTTP") != 0)
                        return pfs_error_set(err, ENOTSUP, "scheme %s is not supported by podfs", h->scheme);
                req->kind = HANDLER_HTTP;
                req->path = h->path;
                req->headers = h->headers;
                req->n_headers = h->n_headers;
                break;
        case POD_HANDLER_TCP_SOCKET:
                req->kind = HANDLER_TCP;
                break;
        default:
                return pfs_error_set(err, ENOTSUP, "this handler is not supported by podfs");
        }
        req->host = h->host;
        req->port = pod_handler_port(c, h);
        if (req->port < 0)
                return pfs_error_set(err, ENOENT, "couldn't find port: %s in %s", h->port_name ? h->port_name : "",
                                     c->name);
        return 0;
}
