/* Sandbox startup and teardown (doc/internals.md, "The sandbox"): detach from
 * the daemon, take the pod's lock, load meta/spec/previous status, set up the
 * pod's namespaces and cgroup, then hand over to the loop. Also --cleanup. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "pfs/yval.h"
#include "pfs/trace.h"
#include "sandbox.h"
#include "security.h"

bool sandbox_uid_valid(const char *uid)
{
        size_t n = strlen(uid);

        if (n == 0 || n > 36)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((uid[i] >= '0' && uid[i] <= '9') || (uid[i] >= 'a' && uid[i] <= 'f') ||
                      (uid[i] >= 'A' && uid[i] <= 'F') || uid[i] == '-'))
                        return false;
        return true;
}

/* Field 22 of /proc/self/stat: what makes (pid, starttime) unique. */
static int read_starttime(char buf[static 32], struct pfs_error *err)
{
        _cleanup_free_ char *stat = NULL;
        const char *p;
        int r;

        r = pfs_read_file_at(AT_FDCWD, "/proc/self/stat", &stat, NULL, err);
        if (r < 0)
                return r;
        p = strrchr(stat, ')');
        /* ") S ppid ..." : after ')' come fields 3..; field 22 is the 20th. */
        for (int field = 2; p && field < 22; field++) {
                p = strchr(p + 1, ' ');
        }
        if (!p)
                return pfs_error_set(err, EINVAL, "cannot parse /proc/self/stat");
        p++;
        snprintf(buf, 32, "%.*s", (int)strcspn(p, " \n"), p);
        return 0;
}

static int lock_take(struct sbx *s, struct pfs_error *err)
{
        s->lock_fd = openat(s->pod_fd, PFS_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (s->lock_fd < 0)
                return pfs_error_set(err, errno, "open lock");
        /* An OFD lock: the daemon can test it (F_OFD_GETLK) without taking it. */
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

        if (fcntl(s->lock_fd, F_OFD_SETLK, &fl) < 0) {
                if (errno == EAGAIN || errno == EACCES)
                        return pfs_error_set(err, EBUSY, "a sandbox for pod %s is already running", s->uid);
                return pfs_error_set(err, errno, "lock '%s'", PFS_LOCK_FILE);
        }
        return 0;
}

static int spec_load(struct sbx *s, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct pod_spec **pods = NULL;
        size_t len, n = 0;
        int r;

        r = pod_meta_read_at(s->pod_fd, &s->meta, err);
        if (r < 0)
                return pfs_error_wrap(err, "meta");
        r = pfs_read_file_at(s->pod_fd, PFS_SPEC_FILE, &text, &len, err);
        if (r < 0)
                return r;
        r = pod_manifest_parse(text, len, PFS_SPEC_FILE, s->meta->namespace, s->meta->name, &pods, &n, err);
        if (r < 0)
                return r;
        if (n != 1) {
                pod_spec_free_array(pods, n);
                return pfs_error_set(err, EINVAL, "%s: expected one Pod, found %zu", PFS_SPEC_FILE, n);
        }
        s->spec = pods[0];
        free(pods);
        return 0;
}

static void ctrs_init(struct sbx *s)
{
        size_t n_init = s->spec->n_init_containers;

        s->n_ctrs = n_init + s->spec->n_containers;
        s->ctrs = xcalloc(s->n_ctrs ? s->n_ctrs : 1, sizeof(*s->ctrs));
        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct ctr *c = &s->ctrs[i];

                c->is_init = i < n_init;
                c->spec = c->is_init ? &s->spec->init_containers[i] : &s->spec->containers[i - n_init];
                c->is_sidecar = c->is_init && pod_container_is_sidecar(c->spec);
                c->name = c->spec->name;
                sup_init(s, c);
                c->pidfd_w.fd = c->timer_w.fd = c->out.w.fd = c->err.w.fd = -1;
                c->log.fd = c->log.dir_fd = -1;
                c->cgroup_fd = -1;
                c->pull_fds[0] = c->pull_fds[1] = -1;
                health_ctr_init(s, c);
        }
}

/* A previous sandbox of this pod left status.json: continue from it. */
static void status_resume(struct sbx *s)
{
        _cleanup_free_ char *text = NULL;
        struct pod_status *prev = NULL;
        struct pfs_error err = {0};
        struct ydoc *docs = NULL;
        size_t len, n = 0;

        if (pfs_read_file_at(s->pod_fd, PFS_STATUS_FILE, &text, &len, &err) < 0)
                return;
        if (yval_parse_stream(text, len, &docs, &n, &err) < 0 || n < 1 || !docs[0].root ||
            pod_status_from_yval(docs[0].root, &prev, &err) < 0) {
                pfs_log(LOG_WARNING, "previous %s ignored: %s", PFS_STATUS_FILE, err.msg);
                ydoc_free_array(docs, n);
                return;
        }
        ydoc_free_array(docs, n);
        pfs_log(LOG_INFO, "resuming pod %s from its previous status", s->pod_ref);
        if (prev->start_time)
                s->status->start_time = prev->start_time;
        sup_resume(s, prev);
        update_resume(s, prev);
        pod_status_free(prev);
}

static int state_open(struct sbx *s, const char *state_dir, const char *uid, struct pfs_error *err)
{
        _cleanup_free_ char *pod = pod_dir_rel(uid);

        s->state_dir = xstrdup(state_dir);
        snprintf(s->uid, sizeof(s->uid), "%s", uid);
        s->state_fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->state_fd < 0)
                return pfs_error_set(err, errno, "open state directory '%s'", state_dir);
        s->pod_fd = openat(s->state_fd, pod, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (s->pod_fd < 0)
                return pfs_error_set(err, errno, "open '%s/%s'", state_dir, pod);
        return 0;
}

/* hostUsers: false: the pod's host ids (kept across its sandboxes, as the
 * kubelet's pods/<uid>/userns), then its namespaces in its user namespace.
 * A failed allocation is the kubelet's message as it is. */
static int pod_userns_setup(struct sbx *s, struct pfs_error *err)
{
        uint32_t host;
        int r = pfs_sandbox_config_userns(&s->cfg, err);

        if (r >= 0)
                r = pfs_userns_allocate(s->state_fd, s->uid, &s->cfg.userns, &host, err);
        if (r < 0) {
                s->msg_final = true;
                return r;
        }
        pfs_log(LOG_INFO, "pod %s: user namespace 0:%u:%u", s->pod_ref, (unsigned)host, PFS_USERNS_LENGTH);
        r = pod_ns_setup_userns(s->spec, host, &s->ns, err);
        return r < 0 ? pfs_error_wrap(err, "pod namespaces") : 0;
}

/* The pod's cgroup (its pids limit and pod-level resources). Without one
 * the pod runs on, its containers cannot start (they need a device policy). */
static int pod_cgroup_setup(struct sbx *s, struct pfs_error *err)
{
        struct pfs_error cgerr = {0};

        if (pod_cgroup_open(s->uid, &s->cg, &cgerr) < 0) {
                pfs_log(LOG_WARNING, "pod cgroup: %s (continuing without: its containers cannot start, "
                        "they need a device policy)", cgerr.msg);
                s->cg = NULL;
        } else if (pod_cgroup_pids_limit(s->cg, s->cfg.pod_pids_limit, &cgerr) < 0) {
                pfs_log(LOG_WARNING, "pod cgroup: pids limit %lld: %s", (long long)s->cfg.pod_pids_limit,
                        cgerr.msg);
        }
        if (s->cg && s->spec->pod_resources) {
                /* pod-level resources: the pod's own cgroup ("." below it) */
                struct pod_container pod = *s->spec->pod_resources;

                pod.name = (char *)".";
                if (pod_cgroup_child_limits_spec(s->cg, &pod, &cgerr) < 0)
                        return pfs_error_set(err, cgerr.code ? cgerr.code : EINVAL, "pod resources: %s", cgerr.msg);
        }
        return 0;
}

static int pod_volumes_setup(struct sbx *s, struct pfs_error *err)
{
        /* root only: the writable layers and emptyDirs below are the pod's */
        int r = pfs_mkdir_p_at(AT_FDCWD, s->volumes_dir, 0700, err);

        if (r < 0)
                return r;
        r = pod_volumes_prepare(s->spec, s->volumes_dir, err);
        if (r >= 0)
                r = objvol_setup(s, err);
        return r < 0 ? pfs_error_wrap(err, "volumes") : 0;
}

/* The network first: its ADD (a process of its own, the plugins' exec the
 * longest step of a start) runs while the cgroup, the volumes and the first
 * containers are made. */
static int pod_setup(struct sbx *s, struct pfs_error *err)
{
        int r;

        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                pfs_log(LOG_WARNING, "PR_SET_CHILD_SUBREAPER: %m");
        pfs_trace(s->uid, "sandbox:loop");
        r = sbx_net_open(s, err);
        if (r < 0)
                return r;
        pull_host_net_save();
        if (s->spec->userns)
                r = pod_userns_setup(s, err);
        else if ((r = pod_ns_setup(s->spec, &s->ns, err)) < 0)
                pfs_error_wrap(err, "pod namespaces");
        if (r < 0)
                return r;
        pfs_trace(s->uid, "sandbox:pod-netns");
        r = pod_sysctls_apply(s->spec, err);
        if (r < 0)
                return pfs_error_wrap(err, "sysctls");
        r = sbx_net_setup(s, err);
        if (r < 0)
                return r;
        r = pod_cgroup_setup(s, err);
        if (r < 0)
                return r;
        pfs_trace(s->uid, "sandbox:pod-cgroup");
        r = pod_volumes_setup(s, err);
        if (r < 0)
                return r;
        pfs_trace(s->uid, "sandbox:volumes");
        r = sbx_net_await_early(s, err);
        if (r < 0)
                return r;
        r = pod_ns_pid_setup(&s->ns, err);
        if (r < 0)
                return pfs_error_wrap(err, "pod namespaces");
        if (s->ns.pause_pidfd >= 0) {
                r = sbx_watch_add(s, &s->pause_w, s->ns.pause_pidfd, EPOLLIN, sup_reap_watch, NULL, err);
                if (r < 0)
                        return r;
                s->ns.pause_pidfd = -1; /* owned by the watch now */
        }
        return 0;
}

static int sandbox_start(struct sbx *s, const char *state_dir, const char *uid, struct pfs_error *err)
{
        int admission = -1, r;

        r = state_open(s, state_dir, uid, err);
        if (r < 0)
                return r;
        pfs_trace(uid, "sandbox:running");
        r = lock_take(s, err);
        if (r < 0)
                return r;
        r = read_starttime(s->starttime, err);
        if (r < 0)
                return r;
        r = sbx_write_sandbox_file(s, err);
        if (r < 0)
                return r;
        pfs_trace(uid, "sandbox:locked");
        r = spec_load(s, err);
        if (r < 0)
                return r;
        pfs_trace(uid, "sandbox:spec-loaded");
        s->pod_ref = xasprintf("%s_%s(%s)", s->spec->name, s->meta->namespace, s->uid);
        s->log_dir = pod_log_dir_rel(s->meta->namespace, s->meta->name, s->uid);
        s->volumes_dir = pod_path(s->state_dir, s->uid, PFS_VOLUMES_DIR);
        s->status = pod_status_new(s->spec, pfs_now_realtime_ns());
        s->status->observed_generation = s->meta->generation;
        sbx_env_node_capture();
        if (s->spec->n_init_containers > 0)
                pod_status_set_init_containers(s->status, s->spec->init_containers,
                                               s->spec->n_init_containers);
        ctrs_init(s);
        update_init(s);
        s->gated = pod_spec_is_gated(s->spec);
        if (!s->gated && !sbx_admit(s, &admission)) {
                s->rejected = true;
                return 0;
        }
        status_resume(s);
        sbx_publish(s);
        if (admission >= 0)
                close(admission);
        r = sbx_loop_init(s, err);
        if (r < 0)
                return r;
        /* a gated pod waits for a rewrite (a new pod) or its deletion: nothing to set up */
        r = s->gated ? 0 : pod_setup(s, err);
        if (r < 0)
                return r;
        pfs_trace(uid, "sandbox:pod-namespaces");
        term_started(s);
        return 0;
}

static void sandbox_free(struct sbx *s)
{
        for (size_t i = 0; i < s->n_ctrs; i++) {
                struct ctr *c = &s->ctrs[i];

                health_ctr_free(s, c);
                logs_drain_close(s, c);
                stdin_free(s, c);
                if (c->cgroup_fd >= 0)
                        close(c->cgroup_fd);
                sbx_watch_remove(s, &c->pidfd_w);
                sbx_watch_remove(s, &c->timer_w);
                pull_cancel(s, c);
                start_images_drop(s, c);
                free(c->pull_rootfs);
                free(c->pull_id);
                free(c->msg);
                free(c->pull_ref);
        }
        free(s->ctrs);
        sbx_watch_remove(s, &s->sig_w);
        sbx_watch_remove(s, &s->grace_w);
        sbx_watch_remove(s, &s->pause_w);
        sbx_watch_remove(s, &s->deadline_w);
        storage_free(s);
        objvol_free(s);
        update_free(s);
        term_free(s);
        if (s->cg)
                pod_cgroup_free(s->cg);
        cni_host_close(&s->host_ns);
        free(s->net_job.failed);
        if (s->ns.userns && s->ns.userns_fd >= 0)
                close(s->ns.userns_fd);
        pod_status_free(s->status);
        pod_spec_free(s->spec);
        pod_meta_free(s->meta);
        free(s->pod_ref);
        pfs_buf_free(&s->published);
        free(s->log_dir);
        free(s->volumes_dir);
        free(s->state_dir);
        if (s->epfd >= 0)
                close(s->epfd);
        if (s->pod_fd >= 0)
                close(s->pod_fd);
        if (s->state_fd >= 0)
                close(s->state_fd);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
}

static void notify(int fd, char code, const char *msg)
{
        struct pfs_buf b = {0};

        if (fd < 0)
                return;
        pfs_buf_append(&b, &code, 1);
        pfs_buf_puts(&b, msg);
        if (write(fd, b.data, b.len) < 0)
                pfs_log(LOG_DEBUG, "readiness pipe: %m");
        pfs_buf_free(&b);
        close(fd);
}

/* Blocked from the start, so a SIGTERM during startup waits for the signalfd
 * and a SIGHUP (the daemon's "meta changed", possibly sent before our loop
 * runs: spec_load reads meta after this) cannot kill us;
 * SIGPIPE blocked (not ignored: containers must not inherit SIG_IGN) so a gone
 * reader of the readiness pipe is an EPIPE. Containers get an empty mask. */
static void block_signals_early(void)
{
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGPIPE);
        sigprocmask(SIG_BLOCK, &mask, NULL);
}

/* The detached child: the sandbox proper. Returns the process exit status. */
static int sandbox_child(const char *state_dir, const char *uid, const struct pfs_sandbox_config *cfg, int ready_fd)
{
        struct sbx s = {.cfg = *cfg, .state_fd = -1, .pod_fd = -1, .lock_fd = -1, .epfd = -1,
                        .host_ns = {-1, -1}};
        struct pfs_error err = {0};
        bool advanced = false;
        int r;

        block_signals_early();
        term_init(&s);
        s.sig_w.fd = s.grace_w.fd = s.pause_w.fd = s.deadline_w.fd = s.resize_w.fd = -1;
        s.ns.pause_pidfd = -1;
        s.ns.userns_fd = -1;
        r = sandbox_start(&s, state_dir, uid, &err);
        if (r == -EBUSY) {
                notify(ready_fd, 'B', err.msg);
                sandbox_free(&s);
                return 0;
        }
        /* The first containers are made while the pod's ADD runs: they exec
         * once it is over (net.c); a failed ADD is the sandbox's failure. */
        if (r >= 0 && sbx_net_pending(&s)) {
                if (s.meta->deletion_ns == 0) {
                        sup_advance(&s);
                        advanced = true;
                }
                r = sbx_net_finish(&s, &err);
        }
        if (r < 0) {
                /* "open lock" alone does not say why: the errno's text does
                 * (a network plugin's message says it all) */
                if (!s.net_failed && !s.msg_final)
                        pfs_error_add_reason(&err);
                pfs_log(LOG_ERR, "pod %s: cannot start: %s", uid, err.msg);
                notify(ready_fd, 'E', err.msg);
                /* Whatever got started must not outlive us. */
                if (s.ns.pause_pid > 0)
                        kill(s.ns.pause_pid, SIGKILL);
                sbx_net_teardown(&s);
                sandbox_free(&s);
                return 1;
        }
        notify(ready_fd, 'R', "");
        if (s.rejected) {
                sandbox_free(&s);
                return 0;
        }
        pfs_trace(uid, "sandbox:ready");
        pfs_log(LOG_INFO, "pod %s: sandbox running", s.pod_ref);
        /* A pod already being deleted starts nothing: it just finishes. */
        if (s.meta->deletion_ns != 0)
                term_begin(&s, s.meta->deletion_grace_seconds, true);
        term_deadline_arm(&s);
        storage_check_arm(&s);
        if (!s.gated && !advanced)
                sup_advance(&s);
        if (!term_is_done(&s))
                sbx_publish(&s);
        r = sbx_loop_run(&s);
        sandbox_free(&s);
        return r < 0 ? 1 : 0;
}

/* The original process: wait for the child's verdict, then leave. */
static int sandbox_parent(pid_t child, int ready_fd)
{
        char buf[2200];
        ssize_t got;

        /* One read: the child's verdict is a single write below PIPE_BUF, and
         * a process it forked without exec (pause) may hold the pipe open. */
        do
                got = read(ready_fd, buf, sizeof(buf) - 1);
        while (got < 0 && errno == EINTR);
        close(ready_fd);
        if (got < 0)
                got = 0;
        buf[got] = '\0';
        if (got == 0) {
                int st;

                if (waitpid(child, &st, WNOHANG) == child) {
                        pfs_log(LOG_ERR, "sandbox died during startup (status 0x%x)", st);
                        return PFS_SANDBOX_EXIT_DIED;
                }
                pfs_log(LOG_ERR, "sandbox closed its readiness pipe without a word");
                return 1;
        }
        switch (buf[0]) {
        case 'R':
                return 0;
        case 'B':
                pfs_log(LOG_NOTICE, "%s", buf + 1);
                return 0;
        default:
                return 1; /* the child logged the reason */
        }
}

int sandbox_run(const char *state_dir, const char *uid, const struct pfs_sandbox_config *cfg)
{
        int p[2];
        pid_t pid;

        pfs_log_init("podfs-sandbox", LOG_INFO);
        pfs_trace(uid, "sandbox:exec");
        if (pipe2(p, O_CLOEXEC) < 0) {
                pfs_log(LOG_ERR, "pipe: %m");
                return 1;
        }
        pid = fork();
        if (pid < 0) {
                pfs_log(LOG_ERR, "fork: %m");
                return 1;
        }
        if (pid > 0) {
                close(p[1]);
                return sandbox_parent(pid, p[0]);
        }
        close(p[0]);
        if (setsid() < 0)
                pfs_log(LOG_WARNING, "setsid: %m");
        return sandbox_child(state_dir, uid, cfg, p[1]);
}

/* DEL of a pod whose sandbox died (or of a reboot): we are in the host's namespaces. */
static int cleanup_network(const char *state_dir, const char *uid, const struct pfs_sandbox_config *cfg)
{
        _cleanup_free_ char *pod = pod_path(state_dir, uid, NULL);
        _cleanup_close_ int pod_fd = open(pod, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        struct pfs_error err = {0};

        if (pod_fd >= 0 && cni_teardown(pod_fd, uid, cfg->cni_bin_dir, NULL, false, &err) < 0) {
                /* the daemon's FailedKillPod event quotes what follows "cleanup: " */
                pfs_log(LOG_ERR, "pod %s: cleanup: %s", uid, err.msg);
                return -1;
        }
        return 0;
}

static void alarm_noop(int sig)
{
        (void)sig;
}

/* A process the dead sandbox forked may still hold the pod's lock: its ADD
 * process, while a plugin runs. DEL waits for it (at most a plugin's timeout
 * and 15 s): the CNI spec wants no parallel operations on one container, and
 * a DEL before ADD's allocation would leave the address held. */
static void lock_wait(const char *state_dir, const char *uid)
{
        _cleanup_free_ char *path = pod_path(state_dir, uid, PFS_LOCK_FILE);
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        struct sigaction sa = { .sa_handler = alarm_noop };     /* no SA_RESTART: the wait ends */
        sigset_t alrm;

        if (fd < 0)
                return;
        sigaction(SIGALRM, &sa, NULL);
        sigemptyset(&alrm);
        sigaddset(&alrm, SIGALRM);
        sigprocmask(SIG_UNBLOCK, &alrm, NULL);
        alarm(CNI_TIMEOUT_MS / 1000 + 15);
        if (fcntl(fd, F_OFD_SETLKW, &fl) < 0)
                pfs_log(LOG_WARNING, "pod %s: cleanup: the pod's lock: %m (going on)", uid);
        alarm(0);
}

int sandbox_cleanup(const char *state_dir, const char *uid, const struct pfs_sandbox_config *cfg)
{
        struct pod_cgroup *cg = NULL;
        struct pfs_error err = {0};
        int r;

        pfs_log_init("podfs-sandbox", LOG_INFO);
        if (pod_cgroup_open(uid, &cg, &err) < 0) {
                pfs_log(LOG_ERR, "pod %s: cleanup: %s", uid, err.msg);
                lock_wait(state_dir, uid);
                return cleanup_network(state_dir, uid, cfg) < 0 ? 2 : 1;
        }
        r = pod_cgroup_kill_all(cg, &err);
        if (r < 0)
                pfs_log(LOG_ERR, "pod %s: cleanup: %s", uid, err.msg);
        else
                pod_cgroup_remove(cg);
        pod_cgroup_free(cg);
        lock_wait(state_dir, uid);
        /* Normally gone with the sandbox's mount namespace; a backstop. */
        {
                _cleanup_free_ char *volumes = pod_path(state_dir, uid, PFS_VOLUMES_DIR);

                pod_volumes_unmount(volumes);
        }
        /* last: a DEL's failure is the last line of the log */
        if (cleanup_network(state_dir, uid, cfg) < 0)
                return 2;
        return r < 0 ? 1 : 0;
}
