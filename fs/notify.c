/* The notifier thread: inotify only reports syscalls made on the mount, so this
 * thread (never a FUSE handler, holding no lock a handler needs while it works)
 * pwrites one byte to a changed file (-> one IN_MODIFY; the write handler
 * recognises its TID and changes nothing) and mkdirs/rmdirs pod dirs that
 * appeared or vanished (-> IN_CREATE/IN_DELETE/IN_DELETE_SELF). The loop
 * queues work without ever blocking on it; duplicates coalesce. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include "fs.h"

#define NOTIFY_QUEUE_MAX 8192

struct notify_item {
        enum notify_op op;
        char *path;
        uint64_t ino;
};

struct notifier {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct notify_item *items;
        size_t n;
        bool stop;
        bool dropped;
        _Atomic pid_t tid;
        char *mnt;
        dev_t dev;
        struct fuse_session *se;
};

static struct notifier the_notifier = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .cond = PTHREAD_COND_INITIALIZER,
};
static bool started;

bool notifier_is(struct podfs *fs, pid_t tid)
{
        return started && tid != 0 && atomic_load(&the_notifier.tid) == tid;
}

static void queue_item(enum notify_op op, const char *relpath, uint64_t ino)
{
        struct notifier *nt = &the_notifier;

        pthread_mutex_lock(&nt->lock);
        for (size_t i = 0; i < nt->n; i++)
                if (nt->items[i].op == op && nt->items[i].ino == ino && !strcmp(nt->items[i].path, relpath)) {
                        pthread_mutex_unlock(&nt->lock);
                        return;
                }
        if (nt->n >= NOTIFY_QUEUE_MAX) {
                if (!nt->dropped)
                        pfs_log(LOG_WARNING, "notifier queue full; dropping change notifications");
                nt->dropped = true;
                pthread_mutex_unlock(&nt->lock);
                return;
        }
        nt->items = xrealloc(nt->items, (nt->n + 1) * sizeof(*nt->items));
        nt->items[nt->n].op = op;
        nt->items[nt->n].path = xstrdup(relpath);
        nt->items[nt->n].ino = ino;
        nt->n++;
        pthread_cond_signal(&nt->cond);
        pthread_mutex_unlock(&nt->lock);
}

void notifier_queue(struct podfs *fs, enum notify_op op, const char *relpath)
{
        queue_item(op, relpath, 0);
}

void notifier_queue_inval(struct podfs *fs, uint64_t dir_ino)
{
        queue_item(NOTIFY_INVAL_CHILDREN, "", dir_ino);
}

static void inval_children(struct notifier *nt, uint64_t ino)
{
        for (int f = 0; f < PF__MAX; f++)
                fuse_lowlevel_notify_inval_entry(nt->se, ino, pod_file_names[f], strlen(pod_file_names[f]));
        fuse_lowlevel_notify_inval_entry(nt->se, ino, "logs", 4);
        fuse_lowlevel_notify_inval_entry(nt->se, ino, "containers", 10);
}

static bool still_mounted(struct notifier *nt)
{
        struct stat st;

        return stat(nt->mnt, &st) == 0 && st.st_dev == nt->dev;
}

static void run_item(struct notifier *nt, const struct notify_item *it)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", nt->mnt, it->path);
        int fd;

        switch (it->op) {
        case NOTIFY_WRITE:
                fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
                if (fd < 0)
                        return;
                (void)!pwrite(fd, "\n", 1, 0);
                close(fd);
                return;
        case NOTIFY_MKDIR:
                if (mkdir(path, 0755) < 0)
                        pfs_log(LOG_NOTICE, "notifier: mkdir %s: %m", it->path);
                return;
        case NOTIFY_RMDIR: {
                struct stat st;
                bool known = stat(path, &st) == 0;

                if (rmdir(path) < 0) {
                        pfs_log(LOG_NOTICE, "notifier: rmdir %s: %m", it->path);
                        return;
                }
                /* cached child dentries (a file that was open in the dir)
                 * pin the dead dir's dentry: IN_DELETE_SELF only comes when
                 * it goes, so drop them */
                if (known)
                        inval_children(nt, st.st_ino);
                return;
        }
        case NOTIFY_INVAL_CHILDREN:
                inval_children(nt, it->ino);
                return;
        }
}

static void *notifier_main(void *arg)
{
        struct notifier *nt = arg;

        struct stat st;

        atomic_store(&nt->tid, gettid());
        /* the mount's device, asked through the mount (the loop answers) */
        if (stat(nt->mnt, &st) == 0)
                nt->dev = st.st_dev;
        for (;;) {
                struct notify_item *items;
                size_t n;

                pthread_mutex_lock(&nt->lock);
                while (!nt->stop && nt->n == 0)
                        pthread_cond_wait(&nt->cond, &nt->lock);
                if (nt->stop) {
                        pthread_mutex_unlock(&nt->lock);
                        break;
                }
                items = nt->items;
                n = nt->n;
                nt->items = NULL;
                nt->n = 0;
                nt->dropped = false;
                pthread_mutex_unlock(&nt->lock);

                bool mounted = still_mounted(nt);

                for (size_t i = 0; i < n; i++) {
                        if (mounted && !nt->stop)
                                run_item(nt, &items[i]);
                        free(items[i].path);
                }
                free(items);
        }
        return NULL;
}

int notifier_start(struct podfs *fs, struct pfs_error *err)
{
        struct notifier *nt = &the_notifier;
        int r;

        nt->mnt = xstrdup(fs->mountpoint);
        nt->se = fs->se;
        r = pthread_create(&nt->thread, NULL, notifier_main, nt);
        if (r != 0)
                return pfs_error_set(err, r, "start the notifier thread");
        started = true;
        fs->notifier = nt;
        return 0;
}

void notifier_stop(struct podfs *fs)
{
        struct notifier *nt = &the_notifier;

        if (!started)
                return;
        pthread_mutex_lock(&nt->lock);
        nt->stop = true;
        pthread_cond_signal(&nt->cond);
        pthread_mutex_unlock(&nt->lock);
        pthread_join(nt->thread, NULL);
        started = false;
        for (size_t i = 0; i < nt->n; i++)
                free(nt->items[i].path);
        free(nt->items);
        nt->items = NULL;
        nt->n = 0;
        free(nt->mnt);
        nt->mnt = NULL;
}
