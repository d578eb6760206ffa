/* Internal API of the FUSE daemon: the daemon context, the inode table, the
 * view of the state directory and the modules that change it. Everything here
 * runs on the loop thread, the daemon's only thread (notify.c's syscalls on the
 * mount run in a child process). */
#pragma once
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "pfs/error.h"
#include "pfs/render.h"
#include "pfs/sandbox_config.h"
#include "pfs/store.h"
#include "pfs/strindex.h"
#include "pfs/util.h"
#include "model.h"

#define PFS_MANIFEST_MAX (1024 * 1024)

struct notifier;
struct pod_rt;

/* ---- the daemon's life (daemon.c) ---- */

struct podfs_options {
        const char *state_dir;          /* NULL: PFS_STATE_DIR_DEFAULT */
        const char *mountpoint;         /* absolute */
        const char *fuse_options;       /* extra -o options or NULL */
        bool foreground, debug;
        struct pfs_sandbox_config sandbox;      /* --pod-pids-limit, --container-log-max-* */
        int pss_enforce, pss_warn;      /* --pod-security-enforce/-warn (pss.h levels) */
        const char *pss_exempt_namespaces;      /* --pod-security-exempt-namespaces: "a,b" or NULL */
        uint64_t obj_bytes_max;         /* --max-object-bytes-per-user (quota.c) */
        const char *obj_bytes_max_text;
};
/* Mount, serve until unmounted or signalled; returns the exit status. */
int podfs_daemon_run(const struct podfs_options *o);

/* ---- the event loop (loop.c) ---- */

/* The event loop (loop.c): epoll over the FUSE fd (daemon.c adds it),
 * signals, inotify, pidfds and one timerfd for a timer list. The daemon
 * registers what runs between batches and when inotify lost events. */
/* The inode table (inode.c): nodes by typed key and by nodeid. */
struct node_table {
        struct htab by_key, by_ino;
        uint64_t next_ino;
};

struct timer;
struct podfs_loop {
        int epfd, inofd, timerfd, sigfd;
        bool stopping;
        struct timer *timers;           /* by deadline */
        struct htab ino_regs;           /* inotify wd -> what to call */
        struct pfs_watch sig_watch, ino_watch, timer_watch;
        struct podfs *fs;
        void (*after_batch)(struct podfs *fs);
        void (*events_lost)(struct podfs *fs);
};

struct podfs {
        char *state_dir;
        char *mountpoint;               /* absolute */
        struct pfs_state_dirs dirs;     /* STATE and its top dirs (store.h) */
        char *sandbox_path;
        struct fuse_session *se;
        struct podfs_loop loop;
        struct pfs_watch fuse_watch;    /* daemon.c: requests from the kernel */
        struct fuse_buf fbuf;
        struct notifier *notifier;
        struct pod_changes {            /* changes.c: the paced change checks */
                bool armed;             /* a flush is scheduled */
                struct name_ent **pending;      /* the names to look at (change_pending set) */
                size_t n_pending, cap_pending;
                int64_t end_ns, cost_ns;        /* monotonic: when the last ended, what it took */
        } changes;
        struct node_table nodes;        /* the inode table (inode.c) */
        struct model model;             /* namespaces, names, pods, temp files (model.h) */
        struct log_poller *log_pollers; /* logs.c: log readers waiting in poll */
        char hostname[256];
        pid_t req_pid;                  /* the caller of the request being handled */
        uid_t req_uid;                  /* ... and its fsuid/fsgid */
        gid_t req_gid;
        void (*wait_wake)(void *req);   /* delete.c: answers a woken reader of "wait" (ops.c's) */
        struct waiter *wait_registering;        /* ops.c: see wait_interrupted */
        void (*stdin_done)(void *req, ssize_t r);       /* ops.c: answers a held stdin write */
        struct fh *stdin_registering;           /* ops.c: see stdin_interrupted */
        bool stdin_interrupted_early;
        bool wait_interrupted_early;
        struct mem_quota *quotas;       /* write buffers held, objects stored, per user (quota.c) */
        size_t mem_total;               /* bytes of write buffers held, all users */
        uint64_t obj_bytes_max;         /* --max-object-bytes-per-user (0: no limit) */
        const char *obj_bytes_max_text; /* ... as given: the format of its messages */
        struct pfs_sandbox_config sandbox;      /* passed to every sandbox on its command line */
        int pss_enforce, pss_warn;      /* Pod Security levels of a namespace without labels (pss_admit.c) */
        const char *pss_exempt_namespaces;      /* not checked at all, comma separated (or NULL) */
        struct obj_cache {              /* objects.c: the object the tree read last */
                struct pfs_object *o;
                struct pfs_object_stamp *stamp;
                int kind;
        } obj_cache;
        struct obj_announce {           /* objects.c: object dirs the notifier still has to mkdir */
                char *rel;              /* "<ns>/.configmaps/<name>" */
                int64_t until;          /* monotonic: bounded, as a pod's announce_until */
        } *obj_announce;
        size_t n_obj_announce;
        struct sandbox_fds {            /* sandbox.c: one pidfd per sandbox, within RLIMIT_NOFILE */
                unsigned base;          /* fds open before any pod's */
                unsigned pidfds;        /* held for pods */
                unsigned starved;       /* pods waiting for one */
                bool freed;             /* one was closed: starved pods try again */
        } fds;
};

int podfs_loop_init(struct podfs *fs, struct pfs_error *err);
/* What the daemon runs after each batch of events / when inotify lost events. */
void podfs_loop_on(struct podfs *fs, void (*after_batch)(struct podfs *), void (*events_lost)(struct podfs *));
/* One epoll_wait and its events; the number of events or -errno. */
int podfs_loop_turn(struct podfs *fs, int timeout_ms);
/* Turns until podfs_loop_stop (or a signal). */
int podfs_loop_run(struct podfs *fs);
void podfs_loop_stop(struct podfs *fs);
void podfs_loop_fini(struct podfs *fs);
int podfs_epoll_add(struct podfs *fs, int fd, struct pfs_watch *w);
/* Watch fd for writability (EPOLLOUT) instead. */
int podfs_epoll_add_out(struct podfs *fs, int fd, struct pfs_watch *w);
void podfs_epoll_del(struct podfs *fs, int fd);
/* One-shot timers (monotonic ns); fire calls fn(data). */
void podfs_timer_add(struct podfs *fs, int64_t when_ns, void (*fn)(struct podfs *, void *), void *data);
void podfs_timer_cancel(struct podfs *fs, void *data);
/* Inotify watches on the state dir: fn(fs, data, mask, name). */
typedef void (*pfs_ino_fn)(struct podfs *fs, void *data, uint32_t mask, const char *name);
int podfs_inotify_add(struct podfs *fs, const char *path, uint32_t mask, pfs_ino_fn fn, void *data);
void podfs_inotify_rm(struct podfs *fs, int wd);

/* ---- inode table (inode.c) ---- */

enum node_kind {
        NODE_ROOT,
        NODE_NS,                /* <ns>/ */
        NODE_LAST_ERROR,        /* <ns>/.last-error */
        NODE_POD,               /* <ns>/<pod>/ (a pod or a placeholder) */
        NODE_POD_FILE,          /* <ns>/<pod>/<file> */
        NODE_LOGS_DIR,
        NODE_LOG,               /* logs/<c>, logs/<c>.previous */
        NODE_CTRS_DIR,
        NODE_CTR_DIR,
        NODE_CTR_FILE,
        NODE_TMP,               /* an in-memory temp file in a ns or pod dir */
        NODE_OBJ_KIND,          /* <ns>/.configmaps, .secrets, .pvcs (file: enum pfs_object_kind) */
        NODE_OBJ,               /* <ns>/.configmaps/<name> (pod: the name) */
        NODE_OBJ_FILE,          /* .../<name>/<key>, ..object.yaml, path (ctr: the file name) */
        NODE_IMAGES,            /* .images/ (node_images.c) */
        NODE_IMAGE,             /* .images/<reference> (pod: the file name) */
        NODE_NODE_DIR,          /* .node/ (node_node.c) */
        NODE_NODE_FILE,         /* .node/node.json, labels, taints (file: which) */
        NODE_NS_YAML,           /* <ns>/.namespace.yaml (pss_admit.c) */
        NODE_CTR_STDIN,         /* containers/<c>/stdin (node_stdin.c) */
        NODE__MAX,
};

enum pod_file_kind {
        PF_SPEC,
        PF_PHASE,
        PF_CONDITIONS,
        PF_STATUS_YAML,
        PF_STATUS_JSON,
        PF_POD_JSON,
        PF_EVENTS,
        PF_DELETE,
        PF_WAIT,
        PF_IP,                  /* the pod's IP (status.podIP), one line */
        PF__MAX,
};
extern const char *const pod_file_names[PF__MAX];

/* A node's identity: what it stands for, typed (fields its kind does not
 * use are 0 / NULL). Inside a pod dir the dir's incarnation (epoch) is part
 * of it: a name served again after rmdir is a new node. */
struct node_key {
        enum node_kind kind;
        const char *ns, *pod;
        unsigned epoch;
        const char *ctr;        /* NODE_LOG, NODE_CTR_DIR, NODE_CTR_FILE */
        int file;               /* NODE_POD_FILE: enum pod_file_kind; NODE_CTR_FILE: enum ctr_file */
        bool previous;          /* NODE_LOG: <c>.previous */
        uint64_t tmp_id;        /* NODE_TMP (nothing else: renames keep the node) */
};

struct node {
        uint64_t ino;
        struct node_key key;            /* owned copies */
        uint64_t nlookup;
        enum node_kind kind;
        char *ns, *pod, *ctr, *name;    /* name: tmp file name */
        unsigned epoch;                 /* pod dir incarnation */
        int file;                       /* enum pod_file_kind / ctr_file */
        bool previous;                  /* NODE_LOG */
        uint64_t tmp_id;                /* NODE_TMP */
        /* cached rendering */
        char cache_uid[37];
        uint64_t cache_ver;
        char *cache;
        size_t cache_len;
        bool cache_valid;
        struct log_index *log;          /* NODE_LOG */
        struct htab_link link_key, link_ino;
};

void node_table_init(struct node_table *t);
void node_table_free(struct node_table *t);
struct node *node_get(const struct node_table *t, uint64_t ino);
struct node *node_find(const struct node_table *t, const struct node_key *k);
/* Find or create the node for k (the kind's fields filled by the caller on creation). */
struct node *node_intern(struct node_table *t, const struct node_key *k, bool *ret_created);
void node_forget(struct node_table *t, struct node *n, uint64_t nlookup);
/* A rename(2) the kernel made: the node of from (if any) now stands for the
 * name to (its ctr), the one that stood for to (replaced) for no name. */
void node_rename_ctr(struct node_table *t, const struct node_key *from, const char *to);
void node_cache_drop(struct node *n);
uint64_t content_hash(const char *s, size_t len);

/* ---- the view (tree.c) ---- */


/* Record msg as the last rejection in ns for the caller of the request being handled (fs->req_uid). */
void ns_set_last_error(struct podfs *fs, const char *ns, const char *msg);
/* The caller's last rejection in ns ("" when none). */
const char *ns_last_error(struct podfs *fs, const char *ns);

/* ---- node kinds (node_*.c; the registry nodes.c; what they share: tree.c) ---- */

struct fh;
typedef void (*node_list_fn)(void *data, const char *name, mode_t type);

/* What a kind of node does, the model of fuse_lowlevel_ops one level down:
 * ops.c resolves the node, calls its kind and replies. All return 0 or a
 * negative errno; a NULL entry answers ENOTDIR (lookup, list) or EISDIR
 * (content, open). */
struct node_ops {
        /* directories: resolve name (valid, checked) to a node, nlookup untouched */
        int (*lookup)(struct podfs *fs, struct node *dir, const char *name, bool notifier, struct node **ret);
        int (*list)(struct podfs *fs, struct node *dir, node_list_fn fn, void *data);
        /* st comes zeroed, with st_ino, st_nlink 1, st_blksize set */
        int (*stat)(struct podfs *fs, struct node *n, struct stat *st);
        /* files: the content, borrowed (the node's cache or the model's) */
        int (*content)(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len);
        /* open(2) flags; fh is the new open file (owner, group, node set) */
        int (*open)(struct podfs *fs, struct node *n, int flags, struct fh *fh);
        /* chmod/chown/truncate/utimes through setattr(2) (fh: NULL unless ftruncate etc.) */
        int (*setattr)(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set);
};
extern const struct node_ops *const node_kinds[NODE__MAX];
extern const struct node_ops node_root_ops, node_ns_ops, node_last_error_ops, node_pod_ops, node_pod_file_ops,
        node_logs_dir_ops, node_log_ops, node_ctrs_dir_ops, node_ctr_dir_ops, node_ctr_file_ops, node_tmp_ops,
        node_obj_kind_ops, node_obj_ops, node_obj_file_ops, node_images_ops, node_image_ops,
        node_node_dir_ops, node_node_file_ops, node_ns_yaml_ops, node_ctr_stdin_ops;
/* node_stdin.c: containers/<c>/stdin exists (the container has stdin: true);
 * its open file's last close; a write of it. */
bool node_ctr_has_stdin(struct podfs *fs, const char *ns, const char *pod, const char *ctr);
void stdin_release(struct podfs *fs, struct fh *fh);
/* A write of buf to the container's stdin: 0 with *ret_n bytes taken (maybe
 * fewer), -errno (EAGAIN for a nonblocking writer when there is no room,
 * EPIPE once the stdin is closed), or 1: no room, so the write is held and
 * answered through the callback of stdin_replies_on (bytes or -errno) once
 * the container has read, as a pipe's writer waits; the loop never waits. */
int stdin_write(struct podfs *fs, struct fh *fh, void *req, const char *buf, size_t size, bool nonblock,
                size_t *ret_n);
void stdin_replies_on(struct podfs *fs, void (*done)(void *req, ssize_t r));
/* The held write of fh (an interrupt): dropped, its request returned to be
 * answered (EINTR); NULL when there is none. */
void *stdin_write_cancel(struct podfs *fs, struct fh *fh);
/* rm of .images/NAME (node_images.c) */
int images_remove(struct podfs *fs, const char *name);
/* node_node.c: a rewrite of .node/labels or .node/taints (on close / truncate). */
int node_file_set(struct podfs *fs, int file, const char *text, size_t len);
int node_file_flush(struct podfs *fs, struct fh *fh, bool last);
/* taint_evict.c: the NoExecute taint manager, after a rewrite of the taints. */
void taints_changed(struct podfs *fs);

/* ---- Pod Security admission per namespace (pss_admit.c) ---- */
struct pfs_ns_doc;
/* Check pods against ns's enforce level (the pending Namespace document's
 * labels when not NULL, else the stored ones, else --pod-security-enforce):
 * -EACCES with the API server's message; warn-level violations come back in
 * *ret_warning (NULL when none; caller frees). */
int pss_admit(struct podfs *fs, const char *ns, const struct pfs_ns_doc *pending, const char *filename,
              struct pod_spec *const *pods, size_t n, char **ret_warning, struct pfs_error *err);
int ns_labels_commit(struct podfs *fs, const struct pfs_ns_doc *d, struct pfs_error *err);
void ns_labels_remove(struct podfs *fs, const char *ns);
/* 0 when uid may set ns's labels (root, the namespace dir's owner), else -EPERM. */
int ns_labels_may_update(struct podfs *fs, const char *ns, const char *filename, uid_t uid, struct pfs_error *err);
/* The Namespace as <ns>/.namespace.yaml shows it. */
char *ns_namespace_yaml(struct podfs *fs, const char *ns);

/* ops.c dispatches lookup, list, stat, open and setattr through node_kinds[];
 * the content of a file node, through its kind (tree.c): */
int node_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len);

/* Shared by the kinds (tree.c). */
/* The node for k, its fields set from k when new. */
struct node *node_child(struct podfs *fs, const struct node_key *k);
struct node *tree_pod_node(struct podfs *fs, const char *ns, const char *pod);
struct node *node_tmp_child(struct podfs *fs, const struct tmpfile *t, const char *ns, const char *pod,
                            unsigned epoch, const char *name);
int node_in_pod_stat(struct podfs *fs, struct node *n, struct stat *st, struct pod_ref *ref);
int node_in_live_pod_stat(struct podfs *fs, struct node *n, struct stat *st);
int node_pod_subdir_stat(struct podfs *fs, struct node *n, struct stat *st);
int node_pod_content(struct podfs *fs, struct node *n, const char **ret, size_t *ret_len);
int node_open_snapshot(struct podfs *fs, struct node *n, struct fh *fh);
int node_setattr_times_only(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set);
int node_setattr_none(struct podfs *fs, struct node *n, struct fh *fh, const struct stat *attr, int to_set);
/* A directory podfs makes up (.images, .node): root's 0755, its times now. */
int node_stat_dir_now(struct podfs *fs, struct node *n, struct stat *st);
int node_pod_containers(struct podfs *fs, struct node *dir, char ***ret_names, int32_t **ret_restarts,
                        size_t *ret_n);
int node_pod_container_find(struct podfs *fs, struct node *dir, const char *name, bool *ret_prev);
void node_strv_free(char **v, size_t n);
void node_ts_set(struct timespec *ts, int64_t ns);
/* A pod's own file name -> enum pod_file_kind, or -1. */
int pod_file_lookup(const char *name);
/* The one check of the names inside a pod dir that only the pod has: its
 * files (PF_*), its dirs (logs, containers); the rest is free for temp files. */
enum pod_name_class { POD_NAME_FREE, POD_NAME_FILE, POD_NAME_DIR };
enum pod_name_class pod_name_class(const char *name);

extern const enum pod_file pod_file_render_kind[PF__MAX];

/* ---- change detection (changes.c) ---- */

/* Pod content changed (version bump): queue notifications for changed files. */
void changes_pod_changed(struct podfs *fs, const char *ns, const char *name);

extern const struct fuse_lowlevel_ops podfs_ops;

/* ---- open files ---- */

enum fh_kind { FH_CONTENT, FH_SPEC, FH_TMP, FH_DELETE, FH_WAIT, FH_LOG, FH_NOTIFY, FH_DIR, FH_OBJKEY, FH_STDIN };

struct fh {
        enum fh_kind kind;
        char *data;             /* FH_CONTENT: snapshot */
        size_t len;
        struct pfs_buf wbuf;    /* FH_SPEC/FH_DELETE: what is being written */
        bool dirty;             /* written or truncated since the last apply */
        bool too_big;
        int write_err;          /* a write failed (EDQUOT, ENOSPC): what is held is partial */
        bool append;
        uid_t owner;            /* the opener (owner of what it creates) */
        gid_t group;
        char uid[37];           /* FH_WAIT */
        struct tmpfile *tmp;    /* FH_TMP */
        struct node *node;
        uint64_t read_pos;      /* FH_LOG: highest offset read */
        struct fuse_pollhandle *ph;
        int stdin_fd;           /* FH_STDIN: the connection to the sandbox */
        struct stdin_pending *pending;  /* FH_STDIN: a write waiting for room (node_stdin.c) */
        /* FH_DIR */
        char **names;
        mode_t *modes;
        size_t n_names;
};
void fh_free(struct podfs *fs, struct fh *fh);

/* ---- the write path (tmpfile.c) ---- */

void tmp_unlink(struct podfs *fs, struct tmpfile *t);
bool name_is_manifest(const char *name);
int tmpfile_create(struct podfs *fs, struct node *parent, const char *name, mode_t mode, int flags,
                   struct fh **ret_fh);
int tmpfile_write(struct podfs *fs, struct fh *fh, const char *buf, size_t size, off_t off);
int tmpfile_flush(struct podfs *fs, struct fh *fh);
void tmpfile_release(struct podfs *fs, struct fh *fh);
int tmpfile_truncate(struct podfs *fs, struct node *n, struct fh *fh, off_t size);
/* unlink(2) of a name: a temp file goes, spec.yaml is hidden, the rest refused. */
int tmpfile_remove(struct podfs *fs, struct node *parent, const char *name);
int tmpfile_rename(struct podfs *fs, struct node *p, const char *name, struct node *np, const char *newname,
                   unsigned int flags);

/* ---- manifest acceptance (apply.c) ---- */

/* Accept a temp file's content as the manifest named target_name (in a
 * namespace) or as its pod's spec.yaml. */
int apply_tmp(struct podfs *fs, struct tmpfile *t, const char *target_name);
/* Accept a closed spec.yaml write buffer. */
int apply_spec(struct podfs *fs, const char *ns, const char *pod, const struct pfs_buf *b, bool too_big, int write_err,
               uid_t uid, gid_t gid);
/* A rejection: the writer gets r, people get the message in .last-error. */
int apply_rejected(struct podfs *fs, const char *ns, struct pfs_error *err, int r);
int apply_mkdir(struct podfs *fs, struct node *parent, const char *name, mode_t mode);
/* masquerade.c: the pod network's masquerade (the subnets its config lists
 * under "podfsMasquerade") and, with portmap, the rule that keeps pods from
 * the node's 127.0.0.1, made sure of at the daemon's start. */
void network_masquerade(const char *conf_dir);
/* hostports.c: pods[i] may have its hostPorts (the kubelet's NodePorts
 * predicate): none is held by a pod that is not terminal, nor by pods[j < i]
 * of the same manifest. -EADDRINUSE with the kubelet's words otherwise. */
int hostports_admit(struct podfs *fs, const char *filename, const char *ns, struct pod_spec *const *pods, size_t i,
                    struct pfs_error *err);
/* Keeps what p's spec holds on the node (once: a spec never changes its ports). */
void hostports_note(struct pod_rt *p, const struct pod_spec *s);
/* Parse and apply a manifest written to ns (pod NULL) or ns/pod/spec.yaml. */
int apply_manifest(struct podfs *fs, const char *ns, const char *pod, const char *filename,
                   const char *text, size_t len, uid_t uid, gid_t gid, struct pfs_error *err);
int apply_namespace_mkdir(struct podfs *fs, const char *ns, mode_t mode, uid_t uid, gid_t gid);
/* chmod/chown of a pod dir (its owner is in meta), or of a placeholder. */
int apply_pod_setattr(struct podfs *fs, const char *ns, const char *pod, const mode_t *mode, const uid_t *uid,
                      const gid_t *gid);

/* ---- memory held for writers (quota.c) ---- */

/* Temp files and write buffers live in the daemon's memory: each file is at
 * most PFS_MANIFEST_MAX (EFBIG), a user holds at most PFS_WRITE_MEM_PER_USER
 * bytes in at most PFS_WRITE_FILES_PER_USER temp files (EDQUOT), all users
 * together at most PFS_WRITE_MEM_TOTAL (ENOSPC). Charged to the file's owner. */
#define PFS_WRITE_MEM_PER_USER (16 * 1024 * 1024)
#define PFS_WRITE_MEM_TOTAL (64 * 1024 * 1024)
#define PFS_WRITE_FILES_PER_USER 1024
struct mem_quota;
/* Charge uid for a buffer going from old_len to new_len bytes (shrinking never fails). */
int quota_resize(struct podfs *fs, uid_t uid, size_t old_len, size_t new_len);
int quota_file_add(struct podfs *fs, uid_t uid);
void quota_file_del(struct podfs *fs, uid_t uid);
/* Open stdin files a user other than root holds at most (EMFILE past it):
 * one user cannot take them all (PFS_STDIN_OPEN_MAX in all, ENFILE). */
#define PFS_STDIN_OPEN_PER_USER 32
#define PFS_STDIN_OPEN_MAX 256
int quota_conn_add(struct podfs *fs, uid_t uid);
void quota_conn_del(struct podfs *fs, uid_t uid);
/* Stored objects (ConfigMaps, Secrets, claims: files in the state dir) are
 * charged to their owner, all namespaces together: a user other than root
 * holds at most fs->obj_bytes_max bytes of them (0: no limit). Counted from
 * the state dir at start (quota_obj_scan), then kept by every change. */
#define PFS_OBJECT_BYTES_PER_USER_DEFAULT (256ULL * 1024 * 1024)
#define PFS_OBJECT_BYTES_PER_USER_DEFAULT_TEXT "256Mi"
#define PFS_OBJECT_QUOTA_KEY "objects.bytes"
/* Charge owner delta bytes for writer's change of resource ("configmaps")
 * name: -EDQUOT, nothing charged, with the API server's "exceeded quota"
 * message in err when it takes a user past the limit. Shrinking, root's
 * objects and root's writes are never refused. */
int quota_obj_charge(struct podfs *fs, uid_t owner, uid_t writer, int64_t delta, const char *resource,
                     const char *name, struct pfs_error *err);
uint64_t quota_obj_used(struct podfs *fs, uid_t uid);
int quota_obj_scan(struct podfs *fs, struct pfs_error *err);
/* --max-object-bytes-per-user: a quantity in bytes, 0 = no limit. */
int quota_obj_max_parse(const char *s, uint64_t *ret_bytes, struct pfs_error *err);
void quota_free_all(struct podfs *fs);
void quota_malloc_setup(void);
/* A write buffer charged to uid: write/truncate as a file does, free uncharges. */
int wbuf_write_at(struct podfs *fs, uid_t uid, struct pfs_buf *b, const char *data, size_t size, off_t off);
int wbuf_truncate(struct podfs *fs, uid_t uid, struct pfs_buf *b, off_t size);
void wbuf_free(struct podfs *fs, uid_t uid, struct pfs_buf *b);

/* ---- ConfigMaps, Secrets, claims (objects.c; the tree: node_objects.c) ---- */

struct pfs_object;
/* A manifest's objects: the update rules, the owner's and the owner's quota
 * (uid writes them), all checked before anything is written (objects_check),
 * then made durable (objects_commit). */
int objects_check(struct podfs *fs, struct pfs_object *const *objs, size_t n, const char *filename, uid_t uid,
                  gid_t gid, struct pfs_error *err);
int objects_commit(struct podfs *fs, struct pfs_object *const *objs, size_t n, uid_t uid, gid_t gid,
                   struct pfs_error *err);
/* The shell's ways (int kind: enum pfs_object_kind); a rejection goes to .last-error.
 * objects_key_rename: rename(2) of a key within its object (one update). */
int objects_mkdir(struct podfs *fs, const char *ns, int kind, const char *name);
int objects_rmdir(struct podfs *fs, const char *ns, int kind, const char *name);
int objects_key_rename(struct podfs *fs, const char *ns, int kind, const char *name, const char *from,
                       const char *to, bool noreplace);
/* Set (data not NULL) or remove key. */
int objects_key_change(struct podfs *fs, const char *ns, int kind, const char *name, const char *key,
                       const char *data, size_t len);
bool objects_any_in(struct podfs *fs, const char *ns);
/* ns/name of kind as stored now (0, -ENOENT, -errno): borrowed, valid until
 * the next call. A listing stats each key: one parse per change, not per key. */
int objects_get(struct podfs *fs, int kind, const char *ns, const char *name, const struct pfs_object **ret);
/* A rejection of a change of objects: the writer gets r, people get the
 * message (prefixed with path when not NULL) in .last-error and the log. */
int objects_rejected(struct podfs *fs, const char *ns, struct pfs_error *err, int r, const char *path);
/* Is ns/<kind dir>/name an object dir the notifier has yet to announce (its
 * lookup then says ENOENT, so that its mkdir reaches us)? take: it is done. */
bool objects_announce_pending(struct podfs *fs, const char *ns, int kind, const char *name, bool take);
void objects_announce_free(struct podfs *fs);
/* The names of the dot-dirs in a namespace: ".configmaps" ... (-1: none). */
int objects_kind_of_dir(const char *name);
const char *objects_kind_dir(int kind);
/* Open a key file for writing: its write buffer (fh->wbuf) starts with the
 * value unless truncated; applied on flush/release (tmpfile.c). */
int objects_key_open(struct podfs *fs, struct node *n, int flags, struct fh *fh);
int objects_key_create(struct podfs *fs, struct node *dir, const char *name, int flags, struct fh **ret_fh);
int objects_key_flush(struct podfs *fs, struct fh *fh, bool last);

/* ---- deletion (delete.c) ---- */

int delete_request(struct podfs *fs, const char *ns, const char *name, int64_t grace, bool use_spec_grace,
                   struct pfs_error *err);
int delete_request_uid(struct podfs *fs, const char *uid, int64_t grace, bool use_spec_grace,
                       struct pfs_error *err);
int delete_rmdir(struct podfs *fs, struct node *parent, const char *name, bool notifier);

/* Blocked readers of a pod's "wait" file, per pod (delete.c); answered when
 * the pod is gone through the callback of delete_waiters_on: only ops.c
 * replies to the kernel, so the request is opaque here. */
struct waiter {
        void *req;
        struct podfs *fs;
        struct waiter **head;   /* the list it is on: its pod's, or the notifier's */
        struct waiter *next;
};
/* ops.c: how a woken reader is answered (EOF). */
void delete_waiters_on(struct podfs *fs, void (*wake)(void *req));
/* A blocked read of the pod's wait file (a pod gone already: answered once
 * the notifier caught up); NULL when it must be answered at once. */
struct waiter *delete_wait_add(struct podfs *fs, const char *uid, void *req);
/* Take w off its pod (an interrupted read) and free it; false when it was
 * woken already. */
bool delete_wait_cancel(struct waiter *w);
/* The pod is gone: wake its waiters once the notifier has removed its dir
 * from the kernel's view (a `test -d` after `cat wait` sees it gone). */
void delete_waiters_wake(struct podfs *fs, struct pod_rt *p);
/* Answer and free every waiter of list. */
void delete_waiters_wake_list(struct podfs *fs, struct waiter *list);
/* Free every waiter of list unanswered (the session is gone). */
void delete_waiters_drop_list(struct waiter *list);
/* Daemon shutdown: forget every pod's waiters unanswered (the session ends). */
void delete_waiters_drop_all(struct podfs *fs);


/* ---- sandboxes (sandbox.c) ---- */




struct pod_rt *pod_rt_add(struct podfs *fs, const char *uid, const char *ns, const char *name,
                          const char *predecessor);
/* Wake (SIGHUP) every running sandbox of ns that asked for it: objects changed. */
void sandbox_wake_namespace(struct podfs *fs, const char *ns);
/* Start the pod's sandbox (or wait for its predecessor). */
void sandbox_start(struct podfs *fs, struct pod_rt *p);
/* Scan STATE/pods on startup: adopt, clean up, restart, remove. */
void sandbox_adopt_all(struct podfs *fs);
/* A deletion request was made durable: act on pods with nothing running. */
void sandbox_deletion_requested(struct podfs *fs, struct pod_rt *p);
/* spec.yaml changed in place (labels, annotations): wake the running sandbox. */
void sandbox_spec_changed(struct podfs *fs, struct pod_rt *p);
void pod_rt_free(struct pod_rt *p);
/* Free removed pods (called by the loop between epoll batches). */
void sandbox_reap_dead(struct podfs *fs);
void sandbox_free_all(struct podfs *fs);
/* Every pod's state may have changed (lost inotify events). */
void sandbox_all_changed(struct podfs *fs);
char *sandbox_find_binary(void);

/* ---- logs (logs.c) ---- */

struct log_index;
void log_index_free(struct log_index *li);
int log_open(struct podfs *fs, struct node *n, struct fh *fh);
int log_read(struct podfs *fs, struct node *n, struct fh *fh, size_t size, off_t off, struct pfs_buf *out);
int log_size(struct podfs *fs, struct node *n, uint64_t *ret_size);
int log_poll(struct podfs *fs, struct node *n, struct fh *fh, struct fuse_pollhandle *ph, unsigned *ret_revents);
void log_release(struct podfs *fs, struct fh *fh);
/* The path of the log file a log node shows now (NULL when none). */
char *log_current_path(struct podfs *fs, struct node *n);

/* ---- notifier process (notify.c) ---- */

/* The hidden first argument that makes podfs the notifier child:
 * podfs NOTIFIER_CHILD_FLAG MOUNTPOINT DAEMON_PID, its socket on stdin. */
#define NOTIFIER_CHILD_FLAG "--notifier-child"
int notifier_child_run(const char *mnt, pid_t parent);
/* Start the child (after the mount, with the loop's fds set up). */
int notifier_start(struct podfs *fs, struct pfs_error *err);
/* Stop it once the FUSE session is destroyed. */
void notifier_stop(struct podfs *fs);
/* Is tid (fuse_req_ctx()->pid) the notifier? */
bool notifier_is(struct podfs *fs, pid_t tid);
enum notify_op { NOTIFY_WRITE, NOTIFY_MKDIR, NOTIFY_RMDIR, NOTIFY_INVAL_CHILDREN, NOTIFY_WAKE };
/* path relative to the mount root. Never blocks; coalesces duplicates. */
void notifier_queue(struct podfs *fs, enum notify_op op, const char *relpath);
/* Drop the kernel's cached children of a removed pod dir (they pin its
 * dentry, so IN_DELETE_SELF would never come). */
void notifier_queue_inval(struct podfs *fs, uint64_t dir_ino);
/* Wake the waiters of list (delete_waiters_wake_list) once the child has
 * done everything queued before; false when it cannot (the caller wakes
 * them). Never loses them: a lost child's items wake theirs. */
bool notifier_queue_wake(struct podfs *fs, struct waiter *list);
