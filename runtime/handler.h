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
        /* sleep */
        int64_t sleep_ns;
        /* 0 = no time limit (a hook); else the action fails after it */
        int64_t timeout_ns;
};

enum handler_result {
        HANDLER_OK,             /* exit 0, connected, HTTP 200-399, slept */
        HANDLER_FAILED,         /* exit != 0, refused, HTTP status, timed out */
        HANDLER_ERRORED,        /* could not be run at all (kubelet: "probe errored") */
};

/* Called once when the action ends (never from handler_start, never after
 * handler_cancel); the run is freed right after it returns. message is what
 * kubelet would print: the command's output, "dial tcp ...", "HTTP probe
 * failed with statuscode: 500". */
typedef void (*handler_done_fn)(struct sbx *s, void *data, enum handler_result result,
                                const char *message);

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
        pid_t pid;
        struct pfs_buf in;              /* exec output / HTTP response (bounded) */
        char *request;                  /* http */
        size_t req_off;
        char *target;                   /* "127.0.0.1:8080" */
        char *url;                      /* http */
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
 * to out_fd. Does not wait for the exec: a failure to exec is written to
 * out_fd in the runtime's words and the process exits 126/127. */
int ctr_enter_spawn(pid_t ctr_pid, int ctr_pidfd, char *const argv[], int cgroup_fd, int out_fd,
                    pid_t *ret_pid, int *ret_pidfd, struct pfs_error *err);

/* ---- the HTTP/1.1 client's text (http.c) ---- */
/* "GET path HTTP/1.1" with Host, User-Agent kube-probe/1.28, Accept; headers
 * override those by name (case-insensitive). hostport is "host:port" or "[v6]:port". */
char *http_request_build(const char *hostport, const char *path, const struct pod_kv *headers,
                         size_t n_headers);
/* Status code of a response whose status line is complete in buf; 0 when
 * more bytes are needed; -EINVAL when it is not HTTP. */
int http_response_status(const char *buf, size_t len);
/* The probe URL as Go prints it in errors: "http://127.0.0.1:8080/healthz". */
char *http_url(const char *hostport, const char *path);

/* The request for a spec handler of container c (exec/httpGet/tcpSocket/sleep):
 * strings point into the spec; the exec target fields are left for the caller.
 * -ENOTSUP for kinds the runtime does not do (grpc, HTTPS), -ENOENT for a
 * port name c does not declare; err says it in kubelet's words. */
int handler_req_from_spec(struct handler_req *req, const struct pod_container *c,
                          const struct pod_handler *h, struct pfs_error *err);
