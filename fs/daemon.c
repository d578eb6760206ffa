/* The daemon's life: open the state dir, mount, adopt the pods, run the
 * loop, unmount and tear down. main.c only parses options. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include "fs.h"
#include "pfs/store.h"

static void fuse_log_to_pfs(enum fuse_log_level level, const char *fmt, va_list ap)
{
        pfs_logv((int)level, fmt, ap);
}

/* Leave nothing for the leak checker: pods, names, temp files, nodes. */
static void podfs_free_all(struct podfs *fs)
{
        sandbox_free_all(fs);
        while (fs->names) {
                struct name_ent *e = fs->names;

                fs->names = e->next;
                for (size_t i = 0; i < e->n_hashes; i++)
                        free(e->hashes[i].rel);
                free(e->hashes);
                pfs_strindex_free(&e->hash_index);
                free(e->ns);
                free(e->name);
                free(e);
        }
        ns_info_free_all(fs);
        while (fs->tmps)
                tmp_unlink(fs, fs->tmps);
        quota_free_all(fs);
        node_table_free();
}

/* The state dir is root's alone: pods' writable layers and emptyDirs below it
 * hold whatever a container wrote (setuid binaries included), specs and logs
 * hold secrets, and a namespace's real directory carries the mode the mount
 * shows (1777 for a shared one). STATE is 0711 (like containerd's root), what
 * is below 0700 (like its snapshots); older state dirs (0755) are tightened
 * here, on every start: a chmod, nothing else changes. */
static const char *const state_private_dirs[] = { "namespaces", "pods", "logs", "images" };

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

static int state_tighten(struct podfs *fs, struct pfs_error *err)
{
        DIR *d;
        struct dirent *de;

        if (fchmod(fs->state_fd, 0711) < 0)
                return pfs_error_set(err, errno, "chmod 0711 state dir '%s'", fs->state_dir);
        for (size_t i = 0; i < ARRAY_SIZE(state_private_dirs); i++)
                state_dir_chmod(fs->state_fd, state_private_dirs[i], 0700);
        /* each pod's own dir and its volumes too, should a parent be opened up */
        d = fdopendir(openat(fs->pods_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_free_ char *vol = NULL;

                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                vol = xasprintf("%s/volumes", de->d_name);
                state_dir_chmod(fs->pods_fd, de->d_name, 0700);
                state_dir_chmod(fs->pods_fd, vol, 0700);
        }
        closedir(d);
        return 0;
}

static int state_open(struct podfs *fs, struct pfs_error *err)
{
        int r = pfs_mkdir_p_at(AT_FDCWD, fs->state_dir, 0711, err);

        if (r < 0)
                return r;
        fs->state_fd = open(fs->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fs->state_fd < 0)
                return pfs_error_set(err, errno, "open state dir '%s'", fs->state_dir);
        for (size_t i = 0; i < ARRAY_SIZE(state_private_dirs); i++)
                if ((r = pfs_mkdir_p_at(fs->state_fd, state_private_dirs[i], 0700, err)) < 0)
                        return r;
        /* "default" is root's (0755): a pod is root-equivalent, so letting
         * users create pods is the admin's choice (chmod/chown it) */
        if (mkdirat(fs->state_fd, "namespaces/default", 0755) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "mkdir 'namespaces/default'");
        fs->ns_fd = openat(fs->state_fd, "namespaces", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        fs->pods_fd = openat(fs->state_fd, "pods", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        fs->logs_fd = openat(fs->state_fd, "logs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fs->ns_fd < 0 || fs->pods_fd < 0 || fs->logs_fd < 0)
                return pfs_error_set(err, errno, "open state dir '%s'", fs->state_dir);
        return state_tighten(fs, err);
}

int podfs_daemon_run(const struct podfs_options *o)
{
        struct podfs fs = { .state_fd = -1, .ns_fd = -1, .pods_fd = -1, .logs_fd = -1, .epfd = -1,
                            .inofd = -1, .timerfd = -1 };
        struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
        struct pfs_error err = {0};
        _cleanup_free_ char *opts = NULL;
        int ret = 1;

        pfs_log_init("podfs", o->debug ? LOG_DEBUG : LOG_INFO);
        quota_malloc_setup();
        fuse_set_log_func(fuse_log_to_pfs);
        fs.mountpoint = (char *)o->mountpoint;
        fs.sandbox = o->sandbox;
        fs.state_dir = xstrdup(o->state_dir ? o->state_dir : PFS_STATE_DIR_DEFAULT);
        if (state_open(&fs, &err) < 0) {
                pfs_log(LOG_ERR, "%s", err.msg);
                free(fs.state_dir);
                return 1;
        }
        {
                /* the sandboxes get an absolute path */
                char p[PATH_MAX];
                _cleanup_free_ char *link = xasprintf("/proc/self/fd/%d", fs.state_fd);
                ssize_t n = readlink(link, p, sizeof(p) - 1);

                if (n > 0) {
                        p[n] = '\0';
                        free(fs.state_dir);
                        fs.state_dir = xstrdup(p);
                }
        }
        gethostname(fs.hostname, sizeof(fs.hostname) - 1);
        fs.sandbox_path = sandbox_find_binary();
        if (!fs.sandbox_path)
                pfs_log(LOG_WARNING, "podfs-sandbox not found (set PODFS_SANDBOX); pods will not start");

        /* the kernel checks mode bits and owners (the ones node_stat shows);
         * nothing in the mount is a device or runs setuid */
        opts = xasprintf("default_permissions,nosuid,nodev,fsname=podfs,subtype=podfs%s%s%s",
                         getuid() == 0 ? ",allow_other" : "", o->fuse_options ? "," : "",
                         o->fuse_options ? o->fuse_options : "");
        if (fuse_opt_add_arg(&args, "podfs") || fuse_opt_add_arg(&args, "-o") || fuse_opt_add_arg(&args, opts) ||
            (o->debug && fuse_opt_add_arg(&args, "-d")))
                goto out_args;
        node_table_init();
        fs.se = fuse_session_new(&args, &podfs_ops, sizeof(podfs_ops), &fs);
        if (!fs.se)
                goto out_args;
        if (fuse_session_mount(fs.se, fs.mountpoint) != 0)
                goto out_session;
        if (fuse_daemonize(o->foreground) != 0)
                goto out_unmount;
        if (!o->foreground) {
                /* in the background the daemon log is STATE/podfs.log */
                int lfd = openat(fs.state_fd, "podfs.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

                if (lfd >= 0) {
                        dup2(lfd, STDERR_FILENO);
                        close(lfd);
                }
        }
        if (podfs_loop_init(&fs, &err) < 0) {
                pfs_log(LOG_ERR, "%s", err.msg);
                goto out_unmount;
        }
        if (notifier_start(&fs, &err) < 0) {
                pfs_log(LOG_ERR, "%s", err.msg);
                goto out_loop;
        }
        sandbox_adopt_all(&fs);
        pfs_log(LOG_INFO, "podfs %s: %s mounted, state in %s", PODFS_VERSION, fs.mountpoint, fs.state_dir);
        ret = podfs_loop_run(&fs) < 0 ? 1 : 0;
        pfs_log(LOG_INFO, "unmounting %s", fs.mountpoint);
out_loop:
        /* lazy unmount, then closing the session aborts whatever the
         * notifier child still waits for on the mount */
        fuse_session_unmount(fs.se);
        fuse_session_destroy(fs.se);
        fs.se = NULL;
        notifier_stop(&fs);
        podfs_loop_fini(&fs);
        podfs_free_all(&fs);
        goto out_args;
out_unmount:
        fuse_session_unmount(fs.se);
out_session:
        if (fs.se)
                fuse_session_destroy(fs.se);
out_args:
        fuse_opt_free_args(&args);
        free(fs.sandbox_path);
        free(fs.state_dir);
        for (int *fd = (int[]){ fs.logs_fd, fs.pods_fd, fs.ns_fd, fs.state_fd, -2 }; *fd != -2; fd++)
                if (*fd >= 0)
                        close(*fd);
        return ret;
}
