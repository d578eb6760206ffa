/* The state directory's small files: pod meta (key=value), the append-only
 * events log, sandbox liveness (flock on `lock`) and log directory names. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include "pfs/store.h"
#include "pfs/util.h"

void pod_meta_free(struct pod_meta *meta)
{
        if (!meta)
                return;
        free(meta->namespace);
        free(meta->name);
        free(meta->predecessor);
        free(meta);
}

static int parse_i64(const char *s, int64_t *ret)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno || end == s || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int meta_set(struct pod_meta *m, const char *key, const char *val)
{
        if (!strcmp(key, "uid")) {
                if (strlen(val) >= sizeof(m->uid))
                        return -EINVAL;
                strcpy(m->uid, val);
        } else if (!strcmp(key, "namespace")) {
                free(m->namespace);
                m->namespace = xstrdup(val);
        } else if (!strcmp(key, "name")) {
                free(m->name);
                m->name = xstrdup(val);
        } else if (!strcmp(key, "creationTimestamp")) {
                return pfs_time_parse(val, &m->creation_ns);
        } else if (!strcmp(key, "deletionTimestamp")) {
                return pfs_time_parse(val, &m->deletion_ns);
        } else if (!strcmp(key, "deletionGracePeriodSeconds")) {
                return parse_i64(val, &m->deletion_grace_seconds);
        } else if (!strcmp(key, "predecessor")) {
                free(m->predecessor);
                m->predecessor = *val ? xstrdup(val) : NULL;
        }
        /* unknown keys: written by a newer version, ignored */
        return 0;
}

static int meta_parse(char *text, struct pod_meta *m, struct pfs_error *err)
{
        char *save = NULL;
        int lineno = 0;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');

                lineno++;
                if (!eq)
                        return pfs_error_set(err, EINVAL, "meta: line %d: no '='", lineno);
                *eq = '\0';
                if (meta_set(m, line, eq + 1) < 0)
                        return pfs_error_set(err, EINVAL, "meta: line %d: bad value for %s", lineno, line);
        }
        if (!m->uid[0] || !m->namespace || !m->name)
                return pfs_error_set(err, EINVAL, "meta: uid, namespace or name missing");
        return 0;
}

int pod_meta_read_at(int pod_dirfd, struct pod_meta **ret_meta, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct pod_meta *m;
        int r;

        r = pfs_read_file_at(pod_dirfd, PFS_META_FILE, &text, NULL, err);
        if (r < 0)
                return r;
        m = xcalloc(1, sizeof(*m));
        r = meta_parse(text, m, err);
        if (r < 0) {
                pod_meta_free(m);
                return r;
        }
        *ret_meta = m;
        return 0;
}

static bool meta_value_ok(const char *s)
{
        return !s || !strchr(s, '\n');
}

int pod_meta_write_at(int pod_dirfd, const struct pod_meta *meta, struct pfs_error *err)
{
        struct pfs_buf b = {0};
        char ts[40];
        int r;

        if (!meta->uid[0] || !meta->namespace || !meta->name || !meta_value_ok(meta->namespace) ||
            !meta_value_ok(meta->name) || !meta_value_ok(meta->predecessor))
                return pfs_error_set(err, EINVAL, "meta: bad identity");
        pfs_time_format(meta->creation_ns, false, ts);
        pfs_buf_printf(&b, "uid=%s\nnamespace=%s\nname=%s\ncreationTimestamp=%s\n", meta->uid,
                       meta->namespace, meta->name, ts);
        if (meta->deletion_ns) {
                pfs_time_format(meta->deletion_ns, false, ts);
                pfs_buf_printf(&b, "deletionTimestamp=%s\ndeletionGracePeriodSeconds=%" PRId64 "\n",
                               ts, meta->deletion_grace_seconds);
        }
        if (meta->predecessor)
                pfs_buf_printf(&b, "predecessor=%s\n", meta->predecessor);
        r = pfs_write_file_atomic_at(pod_dirfd, PFS_META_FILE, b.data, b.len, 0644, err);
        pfs_buf_free(&b);
        return r;
}

/* ---- events ---- */

static void put_field(struct pfs_buf *b, const char *s, char sep)
{
        size_t start = b->len;

        pfs_buf_puts(b, s ? s : "");
        for (size_t i = start; i < b->len; i++)
                if (b->data[i] == '\t' || b->data[i] == '\n' || b->data[i] == '\r')
                        b->data[i] = ' ';
        pfs_buf_append(b, &sep, 1);
}

int pod_event_append_at(int pod_dirfd, const char *type, const char *reason, const char *object,
                        const char *source, const char *message, struct pfs_error *err)
{
        struct pfs_buf b = {0};
        char ts[40];
        int r;

        pfs_time_format(pfs_now_realtime_ns(), true, ts);
        put_field(&b, ts, '\t');
        put_field(&b, type, '\t');
        put_field(&b, reason, '\t');
        put_field(&b, object, '\t');
        put_field(&b, source, '\t');
        put_field(&b, message, '\n');
        r = pfs_append_file_at(pod_dirfd, PFS_EVENTS_FILE, b.data, b.len, err);
        pfs_buf_free(&b);
        return r;
}

void pod_events_free(struct pod_event *ev, size_t n)
{
        for (size_t i = 0; ev && i < n; i++) {
                free(ev[i].type);
                free(ev[i].reason);
                free(ev[i].object);
                free(ev[i].source);
                free(ev[i].message);
        }
        free(ev);
}

/* One record; false for a malformed (e.g. torn) line. */
static bool event_parse(char *line, struct pod_event *ev)
{
        char *f[6];
        size_t n = 0;

        f[n++] = line;
        for (char *p = line; *p && n < 6; p++)
                if (*p == '\t') {
                        *p = '\0';
                        f[n++] = p + 1;
                }
        if (n != 6 || strchr(f[5], '\t') || pfs_time_parse(f[0], &ev->time_ns) < 0 || !*f[1])
                return false;
        ev->type = xstrdup(f[1]);
        ev->reason = xstrdup(f[2]);
        ev->object = xstrdup(f[3]);
        ev->source = xstrdup(f[4]);
        ev->message = xstrdup(f[5]);
        return true;
}

int pod_events_read_at(int pod_dirfd, struct pod_event **ret_events, size_t *ret_n, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct pod_event *ev = NULL;
        size_t n = 0, cap = 0;
        char *line, *next;
        int r;

        r = pfs_read_file_at(pod_dirfd, PFS_EVENTS_FILE, &text, NULL, err);
        if (r < 0)
                return r;
        for (line = text; *line; line = next) {
                char *nl = strchr(line, '\n');

                if (!nl)
                        break;  /* a record still being written */
                *nl = '\0';
                next = nl + 1;
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        ev = xrealloc(ev, cap * sizeof(*ev));
                }
                memset(&ev[n], 0, sizeof(*ev));
                if (event_parse(line, &ev[n]))
                        n++;
        }
        *ret_events = ev;
        *ret_n = n;
        return 0;
}

/* ---- the sandbox file ---- */

void pod_sandbox_file_free(struct pod_sandbox_file *f)
{
        if (!f)
                return;
        for (size_t i = 0; i < f->n_ctrs; i++)
                free(f->ctrs[i].name);
        free(f->ctrs);
        free(f);
}

static void sandbox_line(struct pod_sandbox_file *f, const char *key, const char *val)
{
        int64_t v;

        if (parse_i64(val, &v) < 0 || v < 0)
                return;
        if (!strcmp(key, "pid")) {
                f->pid = (pid_t)v;
        } else if (!strcmp(key, "starttime")) {
                f->starttime = (uint64_t)v;
        } else if (!strncmp(key, "ctr.", 4) && key[4]) {
                f->ctrs = xrealloc(f->ctrs, (f->n_ctrs + 1) * sizeof(*f->ctrs));
                f->ctrs[f->n_ctrs].name = xstrdup(key + 4);
                f->ctrs[f->n_ctrs++].pid = (pid_t)v;
        }
}

int pod_sandbox_file_read_at(int pod_dirfd, struct pod_sandbox_file **ret_file, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct pod_sandbox_file *f;
        char *save = NULL;
        int r;

        r = pfs_read_file_at(pod_dirfd, PFS_SANDBOX_FILE, &text, NULL, err);
        if (r < 0)
                return r;
        f = xcalloc(1, sizeof(*f));
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');

                if (!eq)
                        continue;
                *eq = '\0';
                sandbox_line(f, line, eq + 1);
        }
        *ret_file = f;
        return 0;
}

int pod_sandbox_file_write_at(int pod_dirfd, const struct pod_sandbox_file *f, struct pfs_error *err)
{
        struct pfs_buf b = {0};
        int r;

        pfs_buf_printf(&b, "pid=%d\nstarttime=%" PRIu64 "\n", (int)f->pid, f->starttime);
        for (size_t i = 0; i < f->n_ctrs; i++)
                pfs_buf_printf(&b, "ctr.%s=%d\n", f->ctrs[i].name, (int)f->ctrs[i].pid);
        r = pfs_write_file_atomic_at(pod_dirfd, PFS_SANDBOX_FILE, b.data, b.len, 0644, err);
        pfs_buf_free(&b);
        return r;
}

pid_t pod_sandbox_ctr_pid(const struct pod_sandbox_file *f, const char *ctr)
{
        for (size_t i = 0; f && i < f->n_ctrs; i++)
                if (!strcmp(f->ctrs[i].name, ctr))
                        return f->ctrs[i].pid;
        return 0;
}

static pid_t sandbox_pid_read(int pod_dirfd)
{
        struct pod_sandbox_file *f = NULL;
        pid_t pid;

        if (pod_sandbox_file_read_at(pod_dirfd, &f, NULL) < 0)
                return 0;
        pid = f->pid;
        pod_sandbox_file_free(f);
        return pid;
}

/* ---- sandbox liveness ---- */

int pod_sandbox_alive_at(int pod_dirfd, pid_t *ret_pid)
{
        _cleanup_close_ int fd = openat(pod_dirfd, PFS_LOCK_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        int alive;

        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                alive = 0;
        } else if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return -errno;
                alive = 1;
        } else {
                alive = 0;      /* we got it: nobody holds it; closing fd drops it */
        }
        if (ret_pid)
                *ret_pid = alive ? sandbox_pid_read(pod_dirfd) : 0;
        return alive;
}

char *pod_log_dir_name(const char *ns, const char *name, const char *uid)
{
        return xasprintf("%s_%s_%s", ns, name, uid);
}
