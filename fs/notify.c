/* The notifier: inotify only reports syscalls made on the mount, so a child
 * process truncates a changed file (-> one IN_MODIFY; the setattr handler
 * recognises its pid and changes nothing) and mkdirs/rmdirs pod dirs
 * that appeared or vanished (-> IN_CREATE/IN_DELETE/IN_DELETE_SELF).
 * A process, not a thread: a daemon thread waiting in a request on its own
 * mount can't be killed (the kernel waits out a request already read), so a
 * SIGKILLed daemon would never release /dev/fuse and never end. The child
 * holds no /dev/fuse fd; when the daemon dies the connection is aborted and
 * the child ends (EOF, PR_SET_PDEATHSIG). The loop queues work without ever
 * blocking on it (duplicates coalesce) and hands the child one item at a
 * time over a socketpair; the child answers each, and the loop then does
 * what must follow it (cache invalidation stays in the daemon). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "pfs/spawn.h"
#include "fs.h"
#include "pfs/trace.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* pending items at most: every file of 10,000 pods changing at once */
#define NOTIFY_QUEUE_MAX 131072
/* restarts in a row of a child that died young, before giving up */
#define NOTIFY_RESTARTS_MAX 5
#define NOTIFY_YOUNG_NS (10 * 1000000000LL)

extern char **environ;

/* One message each way on the socketpair (SOCK_SEQPACKET keeps them whole). */
struct notify_msg {
        uint32_t op;            /* enum notify_op */
        int32_t err;            /* reply: 0 or an errno */
        uint64_t ino;           /* request: NOTIFY_INVAL_CHILDREN's dir; reply: the removed dir's */
        char path[PATH_MAX];    /* request only, relative to the mount */
};
#define NOTIFY_MSG_HDR offsetof(struct notify_msg, path)

struct notify_item {
        enum notify_op op;
        char *path;
        uint64_t ino;                   /* NOTIFY_WAKE: a sequence number (never coalesced) */
        struct waiter *waiters;         /* NOTIFY_WAKE: woken when the item is done or lost */
        struct htab_link link;          /* in pending_by_key while pending */
        struct notify_item *next;
};

struct notifier {
        struct podfs *fs;
        struct notify_item *first, **last;      /* pending, oldest first */
        size_t n_pending;
        struct htab pending_by_key;     /* the same items: duplicates coalesce in O(1) */
        struct notify_item *sent;       /* handed to the child, not answered yet */
        bool busy;
        bool dropped;
        pid_t pid;                      /* the child (0: none) */
        int sock, pidfd;
        struct pfs_watch sock_watch, pid_watch;
        int64_t started_ns;
        int restarts;
        bool restart_pending;
        bool gave_up;
        bool stopping;                  /* the session is gone: waiters are dropped, not answered */
        uint64_t wake_seq;
};

bool notifier_is(struct podfs *fs, pid_t tid)
{
        /* the child is single-threaded: its TID is its pid */
        return fs->notifier && tid != 0 && fs->notifier->pid == tid;
}

/* ---- the child ---- */

static int child_run_item(const char *mnt, const struct notify_msg *m, struct notify_msg *reply)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", mnt, m->path);
        struct stat st;

        switch (m->op) {
        case NOTIFY_WRITE:
                /* one SETATTR request (open, write, flush, release would be
                 * four); the kernel reports a size change as IN_MODIFY */
                return truncate(path, 0) < 0 ? errno : 0;
        case NOTIFY_MKDIR:
                return mkdir(path, 0755) < 0 ? errno : 0;
        case NOTIFY_RMDIR:
                /* the daemon drops the dead dir's cached children by inode */
                if (stat(path, &st) == 0)
                        reply->ino = st.st_ino;
                return rmdir(path) < 0 ? errno : 0;
        case NOTIFY_INVAL_CHILDREN:
                /* nothing on the mount: the answer tells the loop to do it */
                reply->ino = m->ino;
                return 0;
        case NOTIFY_WAKE:
                return 0;       /* everything before it is done */
        }
        return EINVAL;
}

static bool child_still_mounted(const char *mnt, dev_t dev)
{
        struct stat st;

        return stat(mnt, &st) == 0 && st.st_dev == dev;
}

int notifier_child_run(const char *mnt, pid_t parent)
{
        struct notify_msg m, reply;
        struct stat st;
        dev_t dev = 0;

        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                return 1;
        if (chdir("/") < 0)
                return 1;
        /* the mount's device, asked through the mount (the daemon answers) */
        if (stat(mnt, &st) == 0)
                dev = st.st_dev;
        for (;;) {
                ssize_t len = recv(STDIN_FILENO, &m, sizeof(m) - 1, 0);

                if (len < 0 && errno == EINTR)
                        continue;
                if (len < (ssize_t)NOTIFY_MSG_HDR)
                        return 0;       /* the daemon is gone */
                ((char *)&m)[len] = '\0';
                reply = (struct notify_msg){ .op = m.op };
                /* never act on what lies under the mount once it is gone */
                if (dev && child_still_mounted(mnt, dev))
                        reply.err = child_run_item(mnt, &m, &reply);
                else
                        reply.err = ENOTCONN;
                if (send(STDIN_FILENO, &reply, NOTIFY_MSG_HDR, MSG_NOSIGNAL) < 0)
                        return 0;
        }
}

/* ---- the daemon's side ---- */

static void pump(struct notifier *nt);
static int child_start(struct notifier *nt);

static void inval_children(struct podfs *fs, uint64_t ino)
{
        for (int f = 0; f < PF__MAX; f++)
                fuse_lowlevel_notify_inval_entry(fs->se, ino, pod_file_names[f], strlen(pod_file_names[f]));
        fuse_lowlevel_notify_inval_entry(fs->se, ino, "logs", 4);
        fuse_lowlevel_notify_inval_entry(fs->se, ino, "containers", 10);
}

/* "ns/pod/phase" -> key "ns/pod", step "daemon:notified-phase" */
static void trace_written(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (!pfs_trace_enabled() || !slash)
                return;
        _cleanup_free_ char *key = xstrndup(path, (size_t)(slash - path));
        _cleanup_free_ char *step = xasprintf("daemon:notified-%s", slash + 1);

        pfs_trace(key, step);
}

/* The child did the item (called from the loop, never in a FUSE handler). */
static void item_done(struct notifier *nt, const struct notify_item *it, const struct notify_msg *reply)
{
        int e = reply->err;

        if (e == ENOTCONN)
                return;
        switch (it->op) {
        case NOTIFY_WRITE:
                trace_written(it->path);
                return;
        case NOTIFY_MKDIR:
                if (e)
                        pfs_log(LOG_NOTICE, "notifier: mkdir %s: %s", it->path, strerror(e));
                return;
        case NOTIFY_RMDIR:
                pfs_trace(it->path, "daemon:notified-rmdir");
                if (e) {
                        pfs_log(LOG_NOTICE, "notifier: rmdir %s: %s", it->path, strerror(e));
                        return;
                }
                /* cached child dentries (a file that was open in the dir)
                 * pin the dead dir's dentry: IN_DELETE_SELF only comes when
                 * it goes, so drop them */
                if (reply->ino && nt->fs->se)
                        inval_children(nt->fs, reply->ino);
                return;
        case NOTIFY_INVAL_CHILDREN:
                if (nt->fs->se)
                        inval_children(nt->fs, it->ino);
                return;
        case NOTIFY_WAKE:
                return; /* item_free wakes them */
        }
}

/* A NOTIFY_WAKE item's waiters are answered however it ends: done, lost
 * with a dead child, or dropped when the notifier gives up. */
static void item_free(struct notifier *nt, struct notify_item *it)
{
        if (!it)
                return;
        if (it->waiters && nt->stopping)
                delete_waiters_drop_list(it->waiters);
        else if (it->waiters)
                delete_waiters_wake_list(nt->fs, it->waiters);
        free(it->path);
        free(it);
}

static uint64_t item_hash(enum notify_op op, const char *path, uint64_t ino)
{
        return pfs_strindex_hash(path) ^ htab_hash_u64(ino * 8 + (uint64_t)op);
}

static struct notify_item *pending_find(struct notifier *nt, enum notify_op op, const char *path, uint64_t ino)
{
        uint64_t h = item_hash(op, path, ino);

        for (struct htab_link *l = htab_chain(&nt->pending_by_key, h); l; l = l->next) {
                struct notify_item *it = htab_entry(l, struct notify_item, link);

                if (l->hash == h && it->op == op && it->ino == ino && !strcmp(it->path, path))
                        return it;
        }
        return NULL;
}

static struct notify_item *pending_pop(struct notifier *nt)
{
        struct notify_item *it = nt->first;

        if (!it)
                return NULL;
        nt->first = it->next;
        if (!nt->first)
                nt->last = &nt->first;
        htab_del(&nt->pending_by_key, &it->link);
        nt->n_pending--;
        return it;
}

static void pending_free_all(struct notifier *nt)
{
        struct notify_item *it;

        while ((it = pending_pop(nt)))
                item_free(nt, it);
        htab_free(&nt->pending_by_key);
}

static void sock_ready(struct pfs_watch *w, uint32_t events)
{
        struct notifier *nt = htab_entry(w, struct notifier, sock_watch);
        struct notify_msg reply;
        ssize_t len;

        if (nt->sock < 0)
                return;
        len = recv(nt->sock, &reply, NOTIFY_MSG_HDR, MSG_DONTWAIT);
        if (len < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (len != (ssize_t)NOTIFY_MSG_HDR) {
                /* the child is gone: its pidfd says when it can be reaped */
                podfs_epoll_del(nt->fs, nt->sock);
                close(nt->sock);
                nt->sock = -1;
                return;
        }
        if (nt->busy) {
                struct notify_item *it = nt->sent;

                nt->sent = NULL;
                nt->busy = false;
                item_done(nt, it, &reply);
                item_free(nt, it);
        }
        pump(nt);
}

/* Hand the next pending item to an idle child. Never blocks. */
static void pump(struct notifier *nt)
{
        struct notify_msg m;
        struct notify_item *it;
        size_t plen;

        if (nt->busy || nt->sock < 0 || !nt->first)
                return;
        it = nt->first;
        plen = strlen(it->path);
        m.op = it->op;
        m.err = 0;
        m.ino = it->ino;
        memcpy(m.path, it->path, plen);
        if (send(nt->sock, &m, NOTIFY_MSG_HDR + plen, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return; /* the child is gone; a new one gets the item */
        nt->sent = pending_pop(nt);
        nt->busy = true;
        nt->dropped = false;
}

static void restart_fire(struct podfs *fs, void *data);

/* Start a new child, at once after a long life, else after a growing pause
 * (a child that can't live must not make the daemon spin); bounded. */
static void restart_schedule(struct notifier *nt, bool young)
{
        nt->restarts = young ? nt->restarts + 1 : 0;
        if (nt->restarts > NOTIFY_RESTARTS_MAX) {
                pfs_log(LOG_ERR, "notifier keeps failing; watchers of the mount get no more change events");
                nt->gave_up = true;
                pending_free_all(nt);
                return;
        }
        nt->restart_pending = true;
        podfs_timer_add(nt->fs, pfs_now_monotonic_ns() + (young ? 100000000LL << nt->restarts : 0),
                        restart_fire, nt);
}

static void restart_fire(struct podfs *fs, void *data)
{
        struct notifier *nt = data;

        nt->restart_pending = false;
        if (child_start(nt) < 0) {
                restart_schedule(nt, true);
                return;
        }
        pump(nt);
}

static void child_reaped(struct notifier *nt, const siginfo_t *si)
{
        if (si->si_code == CLD_EXITED)
                pfs_log(LOG_WARNING, "notifier (pid %d) exited with status %d", (int)si->si_pid, si->si_status);
        else
                pfs_log(LOG_WARNING, "notifier (pid %d) killed by signal %d", (int)si->si_pid, si->si_status);
        restart_schedule(nt, pfs_now_monotonic_ns() - nt->started_ns < NOTIFY_YOUNG_NS);
}

static void child_forget(struct notifier *nt)
{
        if (nt->sock >= 0) {
                podfs_epoll_del(nt->fs, nt->sock);
                close(nt->sock);
        }
        if (nt->pidfd >= 0) {
                podfs_epoll_del(nt->fs, nt->pidfd);
                close(nt->pidfd);
        }
        nt->sock = nt->pidfd = -1;
        nt->pid = 0;
        /* what it had in hand is lost: change events are best effort */
        item_free(nt, nt->sent);
        nt->sent = NULL;
        nt->busy = false;
}

static void pid_ready(struct pfs_watch *w, uint32_t events)
{
        struct notifier *nt = htab_entry(w, struct notifier, pid_watch);
        siginfo_t si = {0};

        if (nt->pidfd < 0)
                return;
        if (waitid((idtype_t)P_PIDFD, (id_t)nt->pidfd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
                return;
        child_forget(nt);
        child_reaped(nt, &si);
}

static int child_spawn(struct notifier *nt, int sock, pid_t *ret_pid)
{
        _cleanup_free_ char *parent = xasprintf("%d", (int)getpid());
        char *argv[] = { "podfs", NOTIFIER_CHILD_FLAG, nt->fs->mountpoint, parent, NULL };
        sigset_t blocked;

        /* it ends with the daemon, not with a terminal's or a user's signal */
        sigemptyset(&blocked);
        sigaddset(&blocked, SIGINT);
        sigaddset(&blocked, SIGTERM);
        sigaddset(&blocked, SIGHUP);
        sigaddset(&blocked, SIGPIPE);
        /* the socket is its stdin; nothing else is inherited (no /dev/fuse) */
        return pfs_spawn("/proc/self/exe", argv, environ,
                         &(struct pfs_spawn){ .fd = { sock, PFS_SPAWN_KEEP, PFS_SPAWN_KEEP }, .mask = &blocked },
                         ret_pid);
}

static int child_start(struct notifier *nt)
{
        _cleanup_close_ int child_end = -1;
        int sv[2], pidfd;
        pid_t pid;
        int r;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
                pfs_log(LOG_ERR, "notifier: socketpair: %m");
                return -1;
        }
        child_end = sv[1];
        r = child_spawn(nt, child_end, &pid);
        if (r < 0) {
                pfs_log(LOG_ERR, "notifier: start: %s", strerror(-r));
                close(sv[0]);
                return -1;
        }
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                /* cannot happen for our own unreaped child */
                pfs_log(LOG_ERR, "notifier: pidfd_open: %m");
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                close(sv[0]);
                return -1;
        }
        nt->pid = pid;
        nt->sock = sv[0];
        nt->pidfd = pidfd;
        nt->started_ns = pfs_now_monotonic_ns();
        podfs_epoll_add(nt->fs, nt->sock, &nt->sock_watch);
        podfs_epoll_add(nt->fs, nt->pidfd, &nt->pid_watch);
        return 0;
}

static void item_append(struct notifier *nt, struct notify_item *it);

/* Not started (or stopped): nothing to tell. */
static void queue_item(struct notifier *nt, enum notify_op op, const char *relpath, uint64_t ino)
{
        struct notify_item *it;

        if (!nt || nt->gave_up)
                return;
        if (strlen(relpath) >= PATH_MAX - 1)
                return;
        if (pending_find(nt, op, relpath, ino))
                return;
        if (nt->n_pending >= NOTIFY_QUEUE_MAX) {
                if (!nt->dropped)
                        pfs_log(LOG_WARNING, "notifier queue full; dropping change notifications");
                nt->dropped = true;
                return;
        }
        it = xcalloc(1, sizeof(*it));
        it->op = op;
        it->path = xstrdup(relpath);
        it->ino = ino;
        item_append(nt, it);
}

static void item_append(struct notifier *nt, struct notify_item *it)
{
        *nt->last = it;
        nt->last = &it->next;
        htab_put(&nt->pending_by_key, &it->link, item_hash(it->op, it->path, it->ino));
        nt->n_pending++;
        pump(nt);
}

bool notifier_queue_wake(struct podfs *fs, struct waiter *list)
{
        struct notifier *nt = fs->notifier;
        struct notify_item *it;

        if (!nt || nt->gave_up || nt->stopping || nt->n_pending >= NOTIFY_QUEUE_MAX)
                return false;
        it = xcalloc(1, sizeof(*it));
        it->op = NOTIFY_WAKE;
        it->path = xstrdup("");
        it->ino = ++nt->wake_seq;
        it->waiters = list;
        for (struct waiter *w = list; w; w = w->next)
                w->head = &it->waiters;
        item_append(nt, it);
        return true;
}

void notifier_queue(struct podfs *fs, enum notify_op op, const char *relpath)
{
        queue_item(fs->notifier, op, relpath, 0);
}

void notifier_queue_inval(struct podfs *fs, uint64_t dir_ino)
{
        queue_item(fs->notifier, NOTIFY_INVAL_CHILDREN, "", dir_ino);
}

int notifier_start(struct podfs *fs, struct pfs_error *err)
{
        struct notifier *nt = xcalloc(1, sizeof(*nt));

        nt->sock = nt->pidfd = -1;
        nt->last = &nt->first;
        nt->fs = fs;
        nt->sock_watch.fn = sock_ready;
        nt->pid_watch.fn = pid_ready;
        if (child_start(nt) < 0) {
                free(nt);
                return pfs_error_set(err, EAGAIN, "start the notifier process");
        }
        fs->notifier = nt;
        return 0;
}

/* Called once the session is gone: the connection is aborted, so the child
 * can't be stuck on the mount and ends at once. */
void notifier_stop(struct podfs *fs)
{
        struct notifier *nt = fs->notifier;
        pid_t pid;

        if (!nt)
                return;
        nt->stopping = true;
        pid = nt->pid;
        if (nt->restart_pending)
                podfs_timer_cancel(fs, nt);
        nt->restart_pending = false;
        if (pid > 0)
                kill(pid, SIGKILL);
        child_forget(nt);
        if (pid > 0)
                waitpid(pid, NULL, 0);
        pending_free_all(nt);
        item_free(nt, nt->sent);
        free(nt);
        fs->notifier = NULL;
}
