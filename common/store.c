/* The state directory: its layout (the paths of the index, pod dirs, logs;
 * nothing else formats them) and its small files: pod meta (key=value), the
 * append-only events log, sandbox liveness (an OFD lock on `lock`). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
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
        } else if (!strcmp(key, "owner") || !strcmp(key, "group")) {
                int64_t id;

                if (parse_i64(val, &id) < 0 || id < 0 || id >= (int64_t)UINT32_MAX)
                        return -EINVAL;
                if (key[0] == 'o')
                        m->owner = (uid_t)id;
                else
                        m->group = (gid_t)id;
        } else if (!strcmp(key, "generation")) {
                return parse_i64(val, &m->generation) < 0 || m->generation < 1 ? -EINVAL : 0;
        } else if (!strcmp(key, "specSum") || !strcmp(key, "specHash")) {
                char *dst = key[4] == 'S' ? m->spec_sum : m->spec_hash;

                if (strlen(val) != 64)
                        return -EINVAL;
                memcpy(dst, val, 65);
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
        if (!m->generation)
                m->generation = 1;      /* a pod of a version that did not count */
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

static int meta_write(int pod_dirfd, const struct pod_meta *meta, enum pfs_sync sync, struct pfs_error *err)
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
        pfs_buf_printf(&b, "owner=%u\ngroup=%u\n", (unsigned)meta->owner, (unsigned)meta->group);
        if (meta->deletion_ns) {
                pfs_time_format(meta->deletion_ns, false, ts);
                pfs_buf_printf(&b, "deletionTimestamp=%s\ndeletionGracePeriodSeconds=%" PRId64 "\n",
                               ts, meta->deletion_grace_seconds);
        }
        if (meta->predecessor)
                pfs_buf_printf(&b, "predecessor=%s\n", meta->predecessor);
        pfs_buf_printf(&b, "generation=%" PRId64 "\n", meta->generation > 0 ? meta->generation : 1);
        if (strlen(meta->spec_sum) == 64 && strlen(meta->spec_hash) == 64)
                pfs_buf_printf(&b, "specSum=%s\nspecHash=%s\n", meta->spec_sum, meta->spec_hash);
        r = pfs_write_file_sync_at(pod_dirfd, PFS_META_FILE, b.data, b.len, 0644, sync, err);
        pfs_buf_free(&b);
        return r;
}

int pod_meta_write_at(int pod_dirfd, const struct pod_meta *meta, struct pfs_error *err)
{
        return meta_write(pod_dirfd, meta, PFS_SYNC_DURABLE, err);
}

int pod_files_create_at(int pod_dirfd, const struct pod_meta *meta, const char *spec, size_t spec_len,
                        struct pfs_error *err)
{
        int r = meta_write(pod_dirfd, meta, PFS_SYNC_UNTORN, err);

        if (r >= 0)
                r = pfs_write_file_sync_at(pod_dirfd, PFS_SPEC_FILE, spec, spec_len, 0600, PFS_SYNC_UNTORN, err);
        if (r >= 0 && (r = pfs_fsync_dir_at(pod_dirfd, ".")) < 0)
                pfs_error_set(err, -r, "fsync the pod directory");
        return r;
}

/* ---- events ---- */

/* One field of a record: tabs and line ends become spaces (a record is one
 * line), other control characters "\x1b" (a probe's output must not drive
 * the terminal of whoever cats events, as kubectl describe escapes them). */
static void put_field(struct pfs_buf *b, const char *s, char sep)
{
        for (; s && *s; s++) {
                unsigned char c = (unsigned char)*s;
                char esc[8];

                if (c == '\t' || c == '\n' || c == '\r') {
                        pfs_buf_append(b, " ", 1);
                } else if (c < 0x20 || c == 0x7f) {
                        snprintf(esc, sizeof(esc), "\\x%02x", c);
                        pfs_buf_puts(b, esc);
                } else {
                        pfs_buf_append(b, s, 1);
                }
        }
        pfs_buf_append(b, &sep, 1);
}

/* The events file, opened for appending and locked (appenders and the
 * compaction serialise on flock). An appender that finds the name moved to a
 * compacted file while it waited retries on the new one. */
static int events_open_locked(int pod_dirfd, struct pfs_error *err)
{
        for (int tries = 0; tries < 16; tries++) {
                _cleanup_close_ int fd = openat(pod_dirfd, PFS_EVENTS_FILE,
                                                O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
                struct stat a, b;

                if (fd < 0)
                        return pfs_error_set(err, errno, "open '%s'", PFS_EVENTS_FILE);
                if (flock(fd, LOCK_EX) < 0)
                        return pfs_error_set(err, errno, "lock '%s'", PFS_EVENTS_FILE);
                if (fstat(fd, &a) < 0)
                        return pfs_error_set(err, errno, "stat '%s'", PFS_EVENTS_FILE);
                if (fstatat(pod_dirfd, PFS_EVENTS_FILE, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino &&
                    a.st_dev == b.st_dev)
                        return steal_fd(&fd);
        }
        return pfs_error_set(err, EAGAIN, "'%s' keeps being replaced", PFS_EVENTS_FILE);
}

/* Keep the newest records (from a line start) once the file grew past the
 * bound, like the API server's event TTL keeps a pod's events bounded. The
 * caller holds the lock on the current file. */
static void events_compact(int pod_dirfd, int fd)
{
        _cleanup_free_ char *text = NULL;
        struct pfs_error err = {0};
        struct stat st;
        const char *keep;
        size_t len;

        if (fstat(fd, &st) < 0 || st.st_size <= POD_EVENTS_MAX_BYTES)
                return;
        if (pfs_read_file_at(pod_dirfd, PFS_EVENTS_FILE, &text, &len, &err) < 0 || len <= POD_EVENTS_KEEP_BYTES)
                return;
        keep = memchr(text + len - POD_EVENTS_KEEP_BYTES, '\n', POD_EVENTS_KEEP_BYTES);
        if (!keep)
                return;
        keep++;
        if (pfs_write_file_atomic_at(pod_dirfd, PFS_EVENTS_FILE, keep, len - (size_t)(keep - text), 0644, &err) < 0)
                pfs_log(LOG_WARNING, "compact events: %s", err.msg);
}

char *pod_event_kill_sandbox_failed(const char *sandbox_id, const char *desc)
{
        _cleanup_free_ char *id = pfs_go_quote(sandbox_id);
        _cleanup_free_ char *rpc = xasprintf("rpc error: code = Unknown desc = %s", desc);
        _cleanup_free_ char *q = pfs_go_quote(rpc);

        /* "error killing pod: %v" of PodSyncResult.Error()'s
         * `failed to %q for %q with %v: %q` for its KillPodSandbox result */
        return xasprintf("error killing pod: failed to \"KillPodSandbox\" for %s with KillPodSandboxError: %s", id, q);
}

int pod_event_append_at(int pod_dirfd, const char *type, const char *reason, const char *object,
                        const char *source, const char *message, struct pfs_error *err)
{
        _cleanup_close_ int fd = -1;
        struct pfs_buf b = {0};
        char ts[40];
        int r = 0;

        pfs_time_format(pfs_now_realtime_ns(), true, ts);
        put_field(&b, ts, '\t');
        put_field(&b, type, '\t');
        put_field(&b, reason, '\t');
        put_field(&b, object, '\t');
        put_field(&b, source, '\t');
        /* events.k8s.io: a note is at most 1 kB */
        {
                _cleanup_free_ char *m = xstrndup(message ? message : "", POD_EVENT_MAX_MESSAGE);

                put_field(&b, m, '\n');
        }
        fd = events_open_locked(pod_dirfd, err);
        if (fd < 0) {
                pfs_buf_free(&b);
                return fd;
        }
        for (size_t off = 0; off < b.len;) {
                ssize_t n = write(fd, b.data + off, b.len - off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = pfs_error_set(err, errno, "append to '%s'", PFS_EVENTS_FILE);
                        break;
                }
                off += (size_t)n;
        }
        /* not synced: events are a best-effort record (an API server keeps
         * them an hour); the kernel writes them back within seconds */
        if (r == 0)
                events_compact(pod_dirfd, fd);
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

        if (!strcmp(key, "wake")) {
                f->wake_sighup = !strcmp(val, "sighup");
                return;
        }
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
        if (f->wake_sighup)
                pfs_buf_puts(&b, "wake=sighup\n");
        for (size_t i = 0; i < f->n_ctrs; i++)
                pfs_buf_printf(&b, "ctr.%s=%d\n", f->ctrs[i].name, (int)f->ctrs[i].pid);
        /* pids mean nothing after a reboot: atomic for readers, never synced */
        r = pfs_write_file_sync_at(pod_dirfd, PFS_SANDBOX_FILE, b.data, b.len, 0644, PFS_SYNC_NONE, err);
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
        } else {
                /* Test without taking the lock (an OFD lock query), so a sandbox
                 * starting at this very moment never finds it held by us. */
                struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

                if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
                        return -errno;
                alive = fl.l_type != F_UNLCK;
        }
        if (ret_pid)
                *ret_pid = alive ? sandbox_pid_read(pod_dirfd) : 0;
        return alive;
}

char *pod_log_dir_name(const char *ns, const char *name, const char *uid)
{
        return xasprintf("%s_%s_%s", ns, name, uid);
}

/* ---- the layout ---- */

/* The state dir is root's alone: pods' writable layers and emptyDirs below it
 * hold whatever a container wrote (setuid binaries included), specs and logs
 * hold secrets, and a namespace's real directory carries the mode the mount
 * shows (1777 for a shared one). STATE is 0711 (like containerd's root), what
 * is below 0700 (like its snapshots); older state dirs (0755) are tightened
 * here, on every start: a chmod, nothing else changes. */
/* Below STATE (0711) everything is root's alone: pods' files, logs, images
 * (a private registry's too), objects (Secrets), claims' data, the node. */
static const char *const state_private_dirs[] = { PFS_NAMESPACES_DIR, PFS_PODS_DIR, PFS_LOGS_DIR, PFS_IMAGES_DIR,
                                                  "objects", "claims", "cache", "node" };

static void state_dir_chmod(int dirfd, const char *name, mode_t mode)
{
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || (st.st_mode & 07777) == mode)
                return;
        if (fchmod(fd, mode) < 0)
                pfs_log(LOG_WARNING, "chmod %04o '%s': %m", (unsigned)mode, name);
        else
                pfs_log(LOG_NOTICE, "state dir: '%s' was %04o, now %04o", name, (unsigned)(st.st_mode & 07777),
                        (unsigned)mode);
}

static int state_tighten(const char *state_dir, const struct pfs_state_dirs *d, struct pfs_error *err)
{
        DIR *dir;
        struct dirent *de;

        if (fchmod(d->state_fd, 0711) < 0)
                return pfs_error_set(err, errno, "chmod 0711 state dir '%s'", state_dir);
        for (size_t i = 0; i < ARRAY_SIZE(state_private_dirs); i++)
                state_dir_chmod(d->state_fd, state_private_dirs[i], 0700);
        /* each pod's own dir and its volumes too, should a parent be opened up */
        dir = fdopendir(openat(d->pods_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!dir)
                return 0;
        while ((de = readdir(dir))) {
                _cleanup_free_ char *vol = NULL;

                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                vol = xasprintf("%s/" PFS_VOLUMES_DIR, de->d_name);
                state_dir_chmod(d->pods_fd, de->d_name, 0700);
                state_dir_chmod(d->pods_fd, vol, 0700);
        }
        closedir(dir);
        return 0;
}

int pfs_state_dirs_open(const char *state_dir, struct pfs_state_dirs *d, struct pfs_error *err)
{
        int r = pfs_mkdir_p_at(AT_FDCWD, state_dir, 0711, err);

        if (r < 0)
                return r;
        d->state_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d->state_fd < 0)
                return pfs_error_set(err, errno, "open state dir '%s'", state_dir);
        for (size_t i = 0; i < ARRAY_SIZE(state_private_dirs); i++)
                if ((r = pfs_mkdir_p_at(d->state_fd, state_private_dirs[i], 0700, err)) < 0)
                        return r;
        /* "default" is root's (0755): a pod is root-equivalent, so letting
         * users create pods is the admin's choice (chmod/chown it) */
        if (mkdirat(d->state_fd, PFS_NAMESPACES_DIR "/default", 0755) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "mkdir '" PFS_NAMESPACES_DIR "/default'");
        d->ns_fd = openat(d->state_fd, PFS_NAMESPACES_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d->pods_fd = openat(d->state_fd, PFS_PODS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        d->logs_fd = openat(d->state_fd, PFS_LOGS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (d->ns_fd < 0 || d->pods_fd < 0 || d->logs_fd < 0)
                return pfs_error_set(err, errno, "open state dir '%s'", state_dir);
        return state_tighten(state_dir, d, err);
}

void pfs_state_dirs_close(struct pfs_state_dirs *d)
{
        for (int *fd = (int[]){ d->logs_fd, d->pods_fd, d->ns_fd, d->state_fd, -2 }; *fd != -2; fd++)
                if (*fd >= 0)
                        close(*fd);
        *d = (struct pfs_state_dirs)PFS_STATE_DIRS_INIT;
}

char *pod_path(const char *state_dir, const char *uid, const char *file)
{
        return file ? xasprintf("%s/" PFS_PODS_DIR "/%s/%s", state_dir, uid, file)
                    : xasprintf("%s/" PFS_PODS_DIR "/%s", state_dir, uid);
}

char *pod_dir_rel(const char *uid)
{
        return xasprintf(PFS_PODS_DIR "/%s", uid);
}

int pod_dir_open_at(int pods_fd, const char *uid)
{
        int fd = openat(pods_fd, uid, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

int pod_dir_create_at(int pods_fd, const char *uid)
{
        /* root only: a pod's writable layer and volumes live below */
        if (mkdirat(pods_fd, uid, 0700) < 0)
                return -errno;
        return pod_dir_open_at(pods_fd, uid);
}

bool pod_dir_exists_at(int pods_fd, const char *uid)
{
        struct stat st;

        return fstatat(pods_fd, uid, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

bool pod_file_exists_at(int pods_fd, const char *uid, const char *file)
{
        _cleanup_free_ char *rel = xasprintf("%s/%s", uid, file);

        return faccessat(pods_fd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int pod_dir_remove_at(int pods_fd, const char *uid, struct pfs_error *err)
{
        return pfs_rm_rf_at(pods_fd, uid, err);
}

char *pod_log_dir_rel(const char *ns, const char *name, const char *uid)
{
        _cleanup_free_ char *d = pod_log_dir_name(ns, name, uid);

        return xasprintf(PFS_LOGS_DIR "/%s", d);
}

char *pod_ctr_log_dir_path(const char *state_dir, const char *ns, const char *name, const char *uid,
                           const char *ctr)
{
        _cleanup_free_ char *d = pod_log_dir_name(ns, name, uid);

        return xasprintf("%s/" PFS_LOGS_DIR "/%s/%s", state_dir, d, ctr);
}

/* ---- the index ---- */

int pod_index_link_at(int ns_fd, const char *ns, const char *name, const char *uid, uid_t owner, gid_t group,
                      struct pfs_error *err)
{
        _cleanup_free_ char *target = xasprintf("../../" PFS_PODS_DIR "/%s", uid);
        _cleanup_free_ char *tmp = xasprintf("%s/.%s.%s.tmp", ns, name, uid);
        _cleanup_free_ char *idx = xasprintf("%s/%s", ns, name);
        int r;

        if (symlinkat(target, ns_fd, tmp) < 0)
                return pfs_error_set(err, errno, "create index for %s/%s", ns, name);
        (void)fchownat(ns_fd, tmp, owner, group, AT_SYMLINK_NOFOLLOW);
        /* a placeholder dir made by mkdir gives way (rename can't replace a dir by a link) */
        (void)unlinkat(ns_fd, idx, AT_REMOVEDIR);
        if (renameat(ns_fd, tmp, ns_fd, idx) < 0) {
                r = pfs_error_set(err, errno, "rename index for %s/%s", ns, name);
                unlinkat(ns_fd, tmp, 0);
                return r;
        }
        pfs_fsync_dir_at(ns_fd, ns);
        return 0;
}

int pod_index_unlink_at(int ns_fd, const char *ns, const char *name)
{
        _cleanup_free_ char *idx = xasprintf("%s/%s", ns, name);
        int r = 0;

        if (unlinkat(ns_fd, idx, 0) < 0 && errno != ENOENT) {
                r = -errno;
                pfs_log(LOG_WARNING, "remove index %s: %m", idx);
        }
        pfs_fsync_dir_at(ns_fd, ns);
        return r;
}

int pod_index_read_at(int ns_fd, const char *ns, const char *name, char ret_uid[37], struct stat *ret_st)
{
        _cleanup_free_ char *rel = xasprintf("%s/%s", ns, name);
        char target[PATH_MAX];
        struct stat st;
        const char *base;
        ssize_t n;

        if (fstatat(ns_fd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (ret_st)
                *ret_st = st;
        if (S_ISDIR(st.st_mode))
                return 0;
        if (!S_ISLNK(st.st_mode))
                return -ENOENT;
        n = readlinkat(ns_fd, rel, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        base = strrchr(target, '/');
        base = base ? base + 1 : target;
        if (strlen(base) != 36)
                return -ENOENT;
        memcpy(ret_uid, base, 37);
        return 1;
}

static bool index_tmp_name(const char *name)
{
        size_t l = strlen(name);

        return name[0] == '.' && l > 4 && !strcmp(name + l - 4, ".tmp");
}

static void index_scan_ns(int ns_fd, const char *ns,
                          void (*fn)(void *data, const char *ns, const char *name, const char *uid), void *data)
{
        int fd = openat(ns_fd, ns, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;
        char uid[37];

        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((de = readdir(d))) {
                if (de->d_type != DT_LNK)
                        continue;
                if (index_tmp_name(de->d_name))
                        unlinkat(dirfd(d), de->d_name, 0);
                else if (de->d_name[0] != '.' && pod_index_read_at(ns_fd, ns, de->d_name, uid, NULL) == 1)
                        fn(data, ns, de->d_name, uid);
        }
        closedir(d);
}

void pod_index_scan_at(int ns_fd, void (*fn)(void *data, const char *ns, const char *name, const char *uid),
                       void *data)
{
        DIR *d = fdopendir(openat(ns_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && de->d_type == DT_DIR)
                        index_scan_ns(ns_fd, de->d_name, fn, data);
        closedir(d);
}
