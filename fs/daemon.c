/* The daemon's life: open the state dir, mount, adopt the pods, run the
 * loop, unmount and tear down. main.c only parses options. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "fs.h"
#include "pfs/cni_conf.h"
#include "pfs/store.h"

static void fuse_log_to_pfs(enum fuse_log_level level, const char *fmt, va_list ap)
{
        pfs_logv((int)level, fmt, ap);
}

/* The model's one observer: what watchers of the mount must hear of goes to
 * the notifier (a .last-error only when the kernel knows the node), a pod's
 * changes to change detection, a removed pod's waiters are woken. */
static void model_changed(void *data, const struct model_event *ev)
{
        struct podfs *fs = data;
        _cleanup_free_ char *rel = NULL;
        struct node *n;

        switch (ev->what) {
        case MODEL_POD_APPEARED:
        case MODEL_POD_GONE:
                rel = xasprintf("%s/%s", ev->ns, ev->name);
                notifier_queue(fs, ev->what == MODEL_POD_APPEARED ? NOTIFY_MKDIR : NOTIFY_RMDIR, rel);
                break;
        case MODEL_POD_CHANGED:
                changes_pod_changed(fs, ev->ns, ev->name);
                break;
        case MODEL_POD_REMOVED:
                delete_waiters_wake(fs, ev->pod);
                break;
        case MODEL_OBJECT_APPEARED:
        case MODEL_OBJECT_GONE:
        case MODEL_OBJECT_CHANGED:
                rel = xasprintf("%s/%s", ev->ns, ev->name);
                notifier_queue(fs, ev->what == MODEL_OBJECT_APPEARED ? NOTIFY_MKDIR
                                   : ev->what == MODEL_OBJECT_GONE ? NOTIFY_RMDIR : NOTIFY_WRITE, rel);
                break;
        case MODEL_LAST_ERROR:
                n = node_find(&fs->nodes, &(struct node_key){ .kind = NODE_LAST_ERROR, .ns = ev->ns });
                rel = xasprintf("%s/.last-error", ev->ns);
                if (n && n->nlookup > 0)
                        notifier_queue(fs, NOTIFY_WRITE, rel);
                break;
        }
}

static void fuse_ready(struct pfs_watch *w, uint32_t events)
{
        struct podfs *fs = htab_entry(w, struct podfs, fuse_watch);
        int r = fuse_session_receive_buf(fs->se, &fs->fbuf);

        if (r == -EINTR || r == -EAGAIN)
                return;
        if (r <= 0) {
                if (r < 0 && r != -ENODEV)
                        pfs_log(LOG_ERR, "reading FUSE requests: %s", strerror(-r));
                podfs_loop_stop(fs);
                return;
        }
        fuse_session_process_buf(fs->se, &fs->fbuf);
        if (fuse_session_exited(fs->se))
                podfs_loop_stop(fs);
}

/* The loop, with what the daemon does between batches (free removed pods)
 * and when inotify lost events (look at every pod again). */
static int loop_setup(struct podfs *fs, struct pfs_error *err)
{
        int r = podfs_loop_init(fs, err);

        if (r < 0)
                return r;
        podfs_loop_on(fs, sandbox_reap_dead, sandbox_all_changed);
        fs->fuse_watch.fn = fuse_ready;
        if (podfs_epoll_add(fs, fuse_session_fd(fs->se), &fs->fuse_watch) < 0)
                return pfs_error_set(err, errno, "epoll_ctl");
        return 0;
}

/* Leave nothing for the leak checker: pods, names, temp files, nodes. */
static void podfs_free_all(struct podfs *fs)
{
        delete_waiters_drop_all(fs);
        sandbox_free_all(fs);
        while (fs->model.tmps)
                tmp_unlink(fs, fs->model.tmps);
        model_fini(&fs->model);
        free(fs->changes.pending);
        quota_free_all(fs);
        objects_announce_free(fs);
        node_table_free(&fs->nodes);
}

/* The pod network: podfs's default bridge network when the CNI config dir has none. */
static void network_default_write(const struct pfs_sandbox_config *cfg)
{
        struct pfs_error err = {0};
        int r = cni_conf_default_write(cfg->cni_conf_dir, &err);

        if (r < 0)
                pfs_log(LOG_WARNING, "pod network: %s (pods without hostNetwork will not start)", err.msg);
        else if (r > 0)
                pfs_log(LOG_INFO, "no network config in %s: wrote the default (podfs.conflist)", cfg->cni_conf_dir);
}

/* Open the state dir; the sandboxes get its absolute path. */
static int daemon_state_open(struct podfs *fs, const struct podfs_options *o)
{
        struct pfs_error err = {0};
        char p[PATH_MAX];
        _cleanup_free_ char *link = NULL;
        ssize_t n;

        fs->state_dir = xstrdup(o->state_dir ? o->state_dir : PFS_STATE_DIR_DEFAULT);
        if (pfs_state_dirs_open(fs->state_dir, &fs->dirs, &err) < 0) {
                pfs_log(LOG_ERR, "%s", err.msg);
                return -1;
        }
        link = xasprintf("/proc/self/fd/%d", fs->dirs.state_fd);
        n = readlink(link, p, sizeof(p) - 1);
        if (n > 0) {
                p[n] = '\0';
                free(fs->state_dir);
                fs->state_dir = xstrdup(p);
        }
        return 0;
}

/* The mount's options: the kernel checks mode bits and owners (the ones
 * node_stat shows); nothing in the mount is a device or runs setuid. */
static int mount_args(const struct podfs_options *o, struct fuse_args *args)
{
        _cleanup_free_ char *opts = xasprintf("default_permissions,nosuid,nodev,fsname=podfs,subtype=podfs%s%s%s",
                                              getuid() == 0 ? ",allow_other" : "", o->fuse_options ? "," : "",
                                              o->fuse_options ? o->fuse_options : "");

        if (fuse_opt_add_arg(args, "podfs") || fuse_opt_add_arg(args, "-o") || fuse_opt_add_arg(args, opts) ||
            (o->debug && fuse_opt_add_arg(args, "-d")))
                return -1;
        return 0;
}

/* One pidfd per running sandbox: the soft limit of open files (1024 on most
 * systems) would cap a node near 1,000 pods, so raise it to the hard limit,
 * as containerd's service does (LimitNOFILE). The sandboxes inherit it (a
 * pod of 250 containers holds ~4 fds each); their children start with the
 * usual soft 1024 again (runtime/child.c). */
static void nofile_raise(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                pfs_log(LOG_WARNING, "cannot raise the open files limit to %llu: %m",
                        (unsigned long long)rl.rlim_max);
}

/* What each user's objects take, once: from here on every change keeps it. */
static int daemon_objects_count(struct podfs *fs)
{
        struct pfs_error err = {0};

        if (quota_obj_scan(fs, &err) < 0) {
                pfs_log(LOG_ERR, "counting the objects in %s: %s", fs->state_dir, err.msg);
                return -1;
        }
        return 0;
}

/* In the background the daemon log is STATE/podfs.log. */
static void log_to_state_dir(struct podfs *fs)
{
        int lfd = openat(fs->dirs.state_fd, "podfs.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

        if (lfd >= 0) {
                dup2(lfd, STDERR_FILENO);
                close(lfd);
        }
}

/* Mounted: run the loop until unmounted or signalled, then tear down all
 * but the session's unmount. Returns the exit status. */
static int daemon_serve(struct podfs *fs)
{
        struct pfs_error err = {0};
        int ret = 1;

        if (loop_setup(fs, &err) < 0) {
                pfs_log(LOG_ERR, "%s", err.msg);
                return -1;
        }
        if (notifier_start(fs, &err) < 0) {
                pfs_log(LOG_ERR, "%s", err.msg);
        } else {
                sandbox_adopt_all(fs);
                pfs_log(LOG_INFO, "podfs %s: %s mounted, state in %s", PODFS_VERSION, fs->mountpoint, fs->state_dir);
                ret = podfs_loop_run(fs) < 0 ? 1 : 0;
                pfs_log(LOG_INFO, "unmounting %s", fs->mountpoint);
        }
        /* lazy unmount, then closing the session aborts whatever the
         * notifier child still waits for on the mount */
        fuse_session_unmount(fs->se);
        fuse_session_destroy(fs->se);
        fs->se = NULL;
        notifier_stop(fs);
        podfs_loop_fini(fs);
        free(fs->fbuf.mem);
        podfs_free_all(fs);
        return ret;
}

int podfs_daemon_run(const struct podfs_options *o)
{
        struct podfs fs = { .dirs = PFS_STATE_DIRS_INIT,
                            .loop = { .epfd = -1, .inofd = -1, .timerfd = -1, .sigfd = -1 } };
        struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
        int ret = 1;

        pfs_log_init("podfs", o->debug ? LOG_DEBUG : LOG_INFO);
        quota_malloc_setup();
        nofile_raise();
        fuse_set_log_func(fuse_log_to_pfs);
        fs.mountpoint = (char *)o->mountpoint;
        fs.sandbox = o->sandbox;
        fs.pss_enforce = o->pss_enforce;
        fs.pss_warn = o->pss_warn;
        fs.pss_exempt_namespaces = o->pss_exempt_namespaces;
        fs.obj_bytes_max = o->obj_bytes_max;
        fs.obj_bytes_max_text = o->obj_bytes_max_text;
        model_init(&fs.model, &fs.dirs);
        model_observe(&fs.model, model_changed, &fs);
        if (daemon_state_open(&fs, o) < 0 || daemon_objects_count(&fs) < 0)
                goto out;
        gethostname(fs.hostname, sizeof(fs.hostname) - 1);
        network_default_write(&fs.sandbox);
        network_masquerade(fs.sandbox.cni_conf_dir);
        fs.sandbox_path = sandbox_find_binary();
        if (!fs.sandbox_path)
                pfs_log(LOG_WARNING, "podfs-sandbox not found (set PODFS_SANDBOX); pods will not start");
        if (mount_args(o, &args) < 0)
                goto out;
        node_table_init(&fs.nodes);
        fs.se = fuse_session_new(&args, &podfs_ops, sizeof(podfs_ops), &fs);
        if (!fs.se)
                goto out;
        if (fuse_session_mount(fs.se, fs.mountpoint) != 0) {
                fuse_session_destroy(fs.se);
                goto out;
        }
        if (fuse_daemonize(o->foreground) == 0) {
                if (!o->foreground)
                        log_to_state_dir(&fs);
                ret = daemon_serve(&fs);
                if (ret >= 0)
                        goto out;
                ret = 1;        /* no loop: unmount */
        }
        fuse_session_unmount(fs.se);
        fuse_session_destroy(fs.se);
out:
        fuse_opt_free_args(&args);
        free(fs.sandbox_path);
        free(fs.state_dir);
        pfs_state_dirs_close(&fs.dirs);
        return ret;
}
