/* Container output capture (the conmon part): stdout/stderr pipes into the CRI
 * log file logs/<ns>_<pod>_<uid>/<container>/<restartCount>.log (log_file.c
 * rotates it), whole records with O_APPEND, written before the loop waits
 * again, so what was read is on disk even if we crash. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include "pfs/crilog.h"
#include "sandbox.h"

static void log_write(struct sbx *s, struct ctr *c, const char *stream, bool partial, const char *msg,
                      size_t len)
{
        struct pfs_buf rec = {0};

        if (c->log.fd < 0)
                return;
        cri_log_format(&rec, pfs_now_realtime_ns(), stream, partial, msg, len);
        /* cri_log_format splits overlong lines; each record goes to the file whole */
        for (size_t off = 0; off < rec.len;) {
                const char *nl = memchr(rec.data + off, '\n', rec.len - off);
                size_t n = nl ? (size_t)(nl - (rec.data + off)) + 1 : rec.len - off;

                log_file_append(s, &c->log, rec.data + off, n);
                off += n;
        }
        pfs_buf_free(&rec);
}

/* Emit every complete line of ls->partial, and P records for overlong lines. */
static void stream_emit_lines(struct log_stream *ls)
{
        struct pfs_buf *b = &ls->partial;
        size_t start = 0;

        for (;;) {
                char *nl = memchr(b->data + start, '\n', b->len - start);
                size_t len = nl ? (size_t)(nl - (b->data + start)) : b->len - start;

                if (len >= CRI_LOG_MAX_LINE) {
                        log_write(ls->s, ls->c, ls->name, true, b->data + start, CRI_LOG_MAX_LINE);
                        start += CRI_LOG_MAX_LINE;
                        continue;
                }
                if (!nl)
                        break;
                /* containerd's readLine: a line ends with "\n" or "\r\n" (a terminal's ONLCR) */
                log_write(ls->s, ls->c, ls->name, false, b->data + start,
                          len > 0 && b->data[start + len - 1] == '\r' ? len - 1 : len);
                start += len + 1;
        }
        if (start > 0) {
                memmove(b->data, b->data + start, b->len - start);
                b->len -= start;
                b->data[b->len] = '\0';
        }
}

/* Read what the pipe holds now, a bounded amount per wake-up: a writer that
 * never pauses (`yes`) must not keep the loop from timers, signals and
 * deletion (epoll is level-triggered: the rest comes next round). Returns
 * true at EOF or on error. */
static bool stream_read(struct log_stream *ls, int max_chunks)
{
        char chunk[65536];

        for (int i = 0;; i++) {
                if (i == max_chunks) {
                        log_file_flush(&ls->c->log);
                        return false;
                }
                ssize_t n = read(ls->w.fd, chunk, sizeof(chunk));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        log_file_flush(&ls->c->log);
                        return false;
                }
                if (n <= 0) {
                        log_file_flush(&ls->c->log);
                        return true;
                }
                pfs_buf_append(&ls->partial, chunk, (size_t)n);
                stream_emit_lines(ls);
        }
}

static void stream_close(struct sbx *s, struct log_stream *ls)
{
        if (ls->w.fd >= 0) {
                stream_read(ls, 64);   /* the run is over: what the pipe holds (bounded) */
                sbx_watch_remove(s, &ls->w);
        }
        /* The run is over: a last line without newline goes out as P, like conmon. */
        if (ls->partial.len > 0)
                log_write(ls->s, ls->c, ls->name, true, ls->partial.data, ls->partial.len);
        pfs_buf_free(&ls->partial);
}

static void on_log_readable(struct sbx *s, struct sbx_watch *w, uint32_t events)
{
        struct log_stream *ls = w->data;

        /* EOF only means the writers are gone; the partial line is flushed
         * when the run ends (logs_drain_close), so the order of records holds. */
        if (stream_read(ls, 16))
                sbx_watch_remove(s, &ls->w);
}

static int stream_open(struct sbx *s, struct ctr *c, struct log_stream *ls, const char *name,
                       int *ret_w, struct pfs_error *err)
{
        int p[2], r;

        if (pipe2(p, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe for %s", name);
        if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
                r = pfs_error_set(err, errno, "fcntl O_NONBLOCK");
                goto fail;
        }
        ls->s = s;
        ls->c = c;
        ls->name = name;
        r = sbx_watch_add(s, &ls->w, p[0], EPOLLIN, on_log_readable, ls, err);
        if (r < 0)
                goto fail;
        *ret_w = p[1];
        return 0;
fail:
        close(p[0]);
        close(p[1]);
        return r;
}

int logs_open_run(struct sbx *s, struct ctr *c, int *ret_out_w, int *ret_err_w, struct pfs_error *err)
{
        struct ctr_status *cs = pod_status_find(s->status, c->name);
        int out_w = -1, err_w = -1, r;

        logs_drain_close(s, c);
        r = log_file_open(s, c, cs ? (int)cs->restart_count : 0, err);
        if (r < 0)
                return r;
        r = stream_open(s, c, &c->out, "stdout", &out_w, err);
        if (r < 0)
                goto fail;
        r = stream_open(s, c, &c->err, "stderr", &err_w, err);
        if (r < 0)
                goto fail;
        *ret_out_w = out_w;
        *ret_err_w = err_w;
        return 0;
fail:
        if (out_w >= 0)
                close(out_w);
        logs_drain_close(s, c);
        return r;
}

void logs_use_tty(struct sbx *s, struct ctr *c, int master)
{
        struct pfs_error err = { 0 };

        sbx_watch_remove(s, &c->out.w);
        fcntl(master, F_SETFL, O_NONBLOCK);
        if (sbx_watch_add(s, &c->out.w, master, EPOLLIN, on_log_readable, &c->out, &err) < 0) {
                pfs_log(LOG_WARNING, "container '%s': terminal: %s", c->name, err.msg);
                close(master);
        }
}

void logs_drain_close(struct sbx *s, struct ctr *c)
{
        stdin_stop(s, c);
        stream_close(s, &c->out);
        stream_close(s, &c->err);
        log_file_close(c);
}

/* Up to max bytes from the end of the file at dirfd/name (from a line start). */
static char *file_tail(int dirfd, const char *name, size_t max)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat stbuf;
        char *buf, *p;
        off_t off;
        ssize_t n;

        if (fd < 0 || fstat(fd, &stbuf) < 0)
                return NULL;
        off = stbuf.st_size > (off_t)max ? stbuf.st_size - (off_t)max : 0;
        buf = xmalloc(max + 1);
        n = pread(fd, buf, max, off);
        if (n < 0)
                n = 0;
        buf[n] = '\0';
        p = off > 0 ? strchr(buf, '\n') : NULL;
        if (p)
                memmove(buf, p + 1, strlen(p + 1) + 1);
        return buf;
}

/* kubelet's FallbackToLogsOnError: the last 80 lines, at most 2048 bytes. */
static char *log_tail_plain(struct sbx *s, struct ctr *c, int32_t restart_count)
{
        _cleanup_free_ char *name = xasprintf("%s/%s/%d.log", s->log_dir, c->name, (int)restart_count);
        _cleanup_free_ char *cri = file_tail(s->state_fd, name, 65536);
        struct pfs_buf plain = {0};
        const char *p;
        int lines = 0;

        if (!cri)
                return NULL;
        cri_log_to_plain(cri, strlen(cri), &plain);
        if (plain.len == 0) {
                pfs_buf_free(&plain);
                return NULL;
        }
        p = plain.data + plain.len;
        if (p > plain.data && p[-1] == '\n')
                p--;
        while (p > plain.data && plain.data + plain.len - p < 2048) {
                if (p[-1] == '\n' && ++lines == 80)
                        break;
                p--;
        }
        {
                char *r = xstrdup(p);

                pfs_buf_free(&plain);
                return r;
        }
}

char *logs_termination_message(struct sbx *s, struct ctr *c, int32_t restart_count, int32_t exit_code)
{
        _cleanup_free_ char *path = ctr_termination_log_path(s->volumes_dir, c->name);
        char *msg = file_tail(AT_FDCWD, path, 4096);
        const char *policy = c->spec->termination_message_policy;

        if (msg && msg[0] == '\0') {
                free(msg);
                msg = NULL;
        }
        if (!msg && exit_code != 0 && policy && strcmp(policy, "FallbackToLogsOnError") == 0)
                msg = log_tail_plain(s, c, restart_count);
        return msg;
}
