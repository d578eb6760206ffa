/* One asynchronous action of a probe or a lifecycle hook, run on the
 * sandbox's epoll loop (handler.c): exec inside a running container
 * (ctr_enter.c), a TCP connect, an HTTP GET (http.c), or a sleep. The
 * sandbox stays single-threaded and never blocks on one of them. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pfs/error.h"
#include "pfs/spec.h"
#include "pfs/util.h"
#include "sandbox.h"

enum handler_kind { HANDLER_EXEC, HANDLER_TCP, HANDLER_HTTP, HANDLER_SLEEP };

/* What to do; the strings are borrowed for the duration of handler_start only. */
struct handler_req {
        enum handler_kind kind;
        /* exec: argv inside the container (pid/pidfd of its main process) */
        char *const *command;
        size_t n_command;
        pid_t ctr_pid;
        int ctr_pidfd;
        int cgroup_fd;                  /* the container's cgroup for the exec'd process, or -1 */
        /* tcp / http: host NULL or "" = the pod: its IP, else 127.0.0.1 (hostNetwork) */
        const char *host;
        int port;
        const char *path;               /* http: default "/" */
        const struct pod_kv *headers;   /* http: httpHeaders (name, value) */
        size_t n_headers;
        bool follow_any_host;           /* http: follow redirects to other hosts too (hooks) */
        /* sleep */
        int64_t sleep_ns;
        /* 0 = no time limit (a hook); else the action fails after it */
        int64_t timeout_ns;
};

enum handler_result {
        HANDLER_OK,             /* exit 0, connected, HTTP 200-299, slept */
        HANDLER_WARNING,        /* HTTP 3xx not followed (another host): success, kubelet's
                                 * ProbeWarning "Probe terminated redirects, ..." */
        HANDLER_FAILED,         /* exit != 0, refused, HTTP status, timed out */
        HANDLER_ERRORED,        /* could not be run at all: the command could not start
                                 * (containerd's ExecSync error), no such port (kubelet:
                                 * "probe errored", the attempt does not count) */
};

/* Called once when the action ends (never from handler_start, never after
 * handler_cancel); the run is freed right after it returns. message is what
 * kubelet would print: the command's output, "dial tcp ...", "HTTP probe
 * failed with statuscode: 500". */
typedef void (*handler_done_fn)(struct sbx *s, void *data, enum handler_result result,
                                const char *message);

/* A request's URL as Go's url.URL holds it: the first one's, or where a
 * Location points, resolved against the request it answers. */
struct http_target {
        char *scheme;           /* lower case: "http", "https", or another */
        char *userinfo;         /* "user[:password]", NULL if none */
        char *host;             /* as written, without brackets: Go's URL.Hostname(); "" if none */
        char *authority;        /* host[:port] as written: the Host header; NULL if none */
        int port;               /* as written (may be out of range, or 0), else the scheme's */
        char *path;             /* escaped (Go's EscapedPath), dot segments removed */
        char *query;            /* "?..." as written, NULL if none */
        char *opaque;           /* "http:foo" has "foo" and no host */
        char *url;              /* as Go prints it in errors (a password masked) */
        bool absolute;          /* the Location named a scheme or a host */
};
/* One action in flight. The owner embeds it (zeroed by handler_run_init) and
 * keeps it for its own lifetime: the loop's events point into it, so it is
 * never freed while the loop runs. A finished run is idle again and may be
 * restarted from its own callback. */
struct handler_run {
        struct handler_run *next;       /* runs in flight (handler_reaped) */
        bool busy;
        enum handler_kind kind;
        handler_done_fn fn;
        void *data;
        struct sbx_watch io_w;          /* exec output pipe, or the socket */
        struct sbx_watch proc_w;        /* exec: pidfd */
        struct sbx_watch timer_w;       /* deadline, sleep, or a result to deliver */
        int start_fd;                   /* exec: the child's error pipe, read once it exited */
        pid_t pid;
        struct pfs_buf in;              /* exec output / HTTP response (bounded) */
        char *request;                  /* http */
        size_t req_off;
        char *target;                   /* "127.0.0.1:8080" */
        char *url;                      /* http */
        struct http_target cur;         /* http: the request in flight, */
        char *first_host;               /* the first one's hostname, as given (redirects stay on it), */
        char *first_authority;          /* ... and its host[:port], */
        char *referer;                  /* the URL before the request in flight, */
        int hops;                       /* redirects followed, */
        int n_1xx;                      /* informational responses to the request in flight, */
        bool follow_any_host;
        bool strip_sensitive;           /* a hop left the first host's domain: no credentials since */
        struct pod_kv *headers;         /* httpHeaders (copies) for the next request */
        size_t n_headers;
        char *cmdline;                  /* exec, for messages */
        enum handler_result pending;    /* delivered by the timer when has_pending */
        char *pending_msg;
        bool has_pending;
        int exit_code;                  /* exec: of the last finished run (kept when idle) */
        bool timed_out;                 /* the last finished run hit its time limit (kept when idle) */
};

void handler_run_init(struct handler_run *run);
int handler_start(struct sbx *s, struct handler_run *run, const struct handler_req *req,
                  handler_done_fn fn, void *data, struct pfs_error *err);
/* Stop a run without calling back: kills an exec'd process, closes sockets. */
void handler_cancel(struct sbx *s, struct handler_run *run);
/* The supervisor reaped pid (waitpid(-1)): true if it was one of ours, which
 * then completes with that status. */
bool handler_reaped(struct sbx *s, pid_t pid, int wstatus);
/* Bytes of a command's output kept (kubelet's 10 KiB). */
#define HANDLER_MAX_OUTPUT (10 * 1024)

/* ---- exec inside a running container (ctr_enter.c) ---- */
/* Start argv in the namespaces (mount, pid, ipc, uts, net), root, cwd,
 * environment, user and capabilities of the container whose main process is
 * ctr_pid (ctr_pidfd), in cgroup_fd (or -1). stdin /dev/null; stdout and stderr
 * to out_fd. Does not wait for the exec. err_fd is the write end of a
 * close-on-exec pipe: when the command cannot start (not found, not
 * executable, a setup step), a struct pfs_error in runc's words (`exec:
 * "/x": stat /x: no such file or directory`) is written to it and the
 * process exits; once the command runs, nothing ever is. */
int ctr_enter_spawn(pid_t ctr_pid, int ctr_pidfd, char *const argv[], int cgroup_fd, int out_fd,
                    int err_fd, pid_t *ret_pid, int *ret_pidfd, struct pfs_error *err);

/* ---- the HTTP/1.1 client's text (http.c) ---- */
/* The kubelet's (NewRequestForHTTPGetAction: "kube-<what>/<major>.<minor>"). */
#define HTTP_USER_AGENT_PROBE "kube-probe/1.34"
#define HTTP_USER_AGENT_HOOK "kube-lifecycle/1.34"
/* "GET path HTTP/1.1" with Host, User-Agent user_agent, Accept; headers
 * override those by name (case-insensitive). hostport is "host:port" or "[v6]:port". */
char *http_request_build(const char *hostport, const char *path, const char *user_agent,
                         const struct pod_kv *headers, size_t n_headers);
/* Status code of a response whose status line is complete in buf (may be
 * 0: "000"); -EAGAIN when more bytes are needed; -EINVAL when it is not HTTP. */
int http_response_status(const char *buf, size_t len);
/* The probe URL as Go prints it in errors: "http://127.0.0.1:8080/healthz". */
char *http_url(const char *hostport, const char *path);

/* A response's head, once complete in the buffer. */
struct http_head {
        int status;
        size_t body_off;                /* the body starts here */
        long long content_length;       /* -1: not given */
        bool chunked;
        char *location;                 /* the Location header, NULL if none */
        char *malformed;                /* a header line Go's textproto refuses, NULL if none */
};
/* 1 and *ret filled when the head is complete in buf; 0 when more bytes are
 * needed; -EINVAL when it is not HTTP. */
int http_response_head(const char *buf, size_t len, struct http_head *ret);
void http_head_free(struct http_head *h);
/* The body (de-chunked) has all arrived, or max bytes of it have. */
bool http_body_complete(const struct http_head *h, const char *buf, size_t len, size_t max);
/* The body's first max bytes (de-chunked), as a string. */
char *http_body_text(const struct http_head *h, const char *buf, size_t len, size_t max);
/* A redirect Go's http.Client follows: 301, 302, 303, 307, 308 with a Location. */
bool http_is_redirect(const struct http_head *h);

/* The first request's: host and port as the probe gives them (kubelet's formatURL). */
void http_target_init(struct http_target *t, const char *host, int port, const char *path);
/* Its URL without userinfo: the Referer of the next hop (Go's refererForURL). */
char *http_target_referer(const struct http_target *t);
/* 0 and *ret filled; -EINVAL for a Location Go's url.Parse refuses, err
 * then saying why in url.Error's words: `parse "<loc>": <why>`. */
int http_location_resolve(const struct http_target *base, const char *loc, struct http_target *ret,
                          struct pfs_error *err);
void http_target_free(struct http_target *t);

/* The request for a spec handler of container c (exec/httpGet/tcpSocket/sleep):
 * strings point into the spec; the exec target fields are left for the caller.
 * -ENOTSUP for kinds the runtime does not do (grpc, HTTPS), -ENOENT for a
 * port name c does not declare; err says it in kubelet's words. */
int handler_req_from_spec(struct handler_req *req, const struct pod_container *c,
                          const struct pod_handler *h, struct pfs_error *err);
