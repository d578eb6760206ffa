/* The daemon's model: what it keeps in memory about the state dir and the
 * writers, indexed by hash. Namespaces (their per-user .last-error), the
 * memory kept per pod name (epoch, hidden spec.yaml, what watchers were
 * told), the pods it knows (their runtime record) and the in-memory temp
 * files. No FUSE types: the kernel side (nodes, replies) sits above it, and a
 * unit test drives it against a temp state dir. Changes that watchers of the
 * mount must hear of go to the one observer (model_observe). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pfs/strindex.h"
#include "pfs/util.h"
#include "htab.h"

/* ---- what is kept ---- */

/* The last rejection per namespace and user: a user sees only the message of
 * their own writes (it quotes their manifest), never another user's. */
struct last_error {
        uid_t uid;
        char *msg;
        struct last_error *next;
};
struct ns_info {
        char *ns;
        struct last_error *errors;
        struct htab_link link;
        struct ns_info *next;
};

struct file_hash {
        char *rel;              /* "phase", "containers/app/state" */
        uint64_t hash;
        bool seen;
};

struct name_ent {
        char *ns, *name;
        unsigned epoch;
        bool spec_hidden;       /* spec.yaml unlinked (install), until re-created */
        int64_t announce_until; /* monotonic: the notifier still has to mkdir this pod dir
                                 * (bounded, so a failed mkdir can't hide the pod from it) */
        bool tomb;              /* gone: the notifier still has to rmdir it */
        struct file_hash *hashes;       /* what watchers were last told, per file */
        size_t n_hashes;
        struct pfs_strindex hash_index; /* rel -> position in hashes */
        bool change_pending;            /* tree_pod_changed: to be looked at on the next turn */
        struct htab_link link;
        struct name_ent *next;
};

/* Something in the epoll set: dispatch through data.ptr. */
struct pfs_watch {
        void (*fn)(struct pfs_watch *w, uint32_t events);
};

enum pod_rt_state {
        RT_IDLE,                /* nothing running (finished, or not started yet) */
        RT_SPAWNING,            /* the intermediate process is running */
        RT_RUNNING,             /* a sandbox holds the lock; pidfd watched */
        RT_CLEANUP,             /* podfs-sandbox --cleanup running */
        RT_WAIT_PRED,           /* waits for its predecessor to be gone */
        RT_BACKOFF,             /* restart scheduled */
};

struct waiter;          /* delete.c: a blocked read of "wait" */
struct podfs;

/* A pod the daemon knows (a pods/<uid> dir) and what runs for it. */
/* A (protocol, address, port) a pod holds on the node: a hostPort, or a
 * containerPort of a hostNetwork pod (hostports.c). */
struct node_port {
        int32_t port;
        char *proto;
        char *ip;               /* NULL: every address */
};

struct pod_rt {
        char uid[37];
        char *ns, *name;
        enum pod_rt_state state;
        uint64_t version;
        int64_t changed_ns;
        struct pod_view_cache *view;    /* tree.c: the parsed pod at version (render.h) */
        uint64_t view_used;             /* tree.c: when view was last used (LRU clock) */
        bool deleted;
        bool removed;
        bool wake_pending;      /* woken (objects, labels) while its sandbox was not watched yet */
        char *predecessor;
        int pidfd;              /* -1: none (not running, or the daemon had no fd left) */
        bool fd_starved;        /* waits for a free fd: to start, or to watch its sandbox */
        pid_t pid;
        struct pfs_watch watch;
        int wd;
        int restarts;
        int64_t backoff_ns;
        off_t log_off;                  /* sandbox.log's size when the last sandbox was spawned */
        uid_t owner;                    /* from meta (0:0 when it has none) */
        gid_t group;
        /* hostports.c: its ports on the node, read from its spec once (a
         * spec never changes them: a new spec is a new pod); terminal once
         * its phase was seen Succeeded or Failed (it never leaves them) */
        struct node_port *node_ports;
        size_t n_node_ports;
        bool node_ports_known;
        bool terminal;
        struct waiter *waiters;
        struct podfs *fs;
        struct htab_link link;
        struct pod_rt *prev, *next;
};

struct tmpfile {
        uint64_t id;
        char *ns, *pod;         /* pod NULL: in the namespace dir */
        char *name;
        struct pfs_buf data;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        int64_t mtime_ns;
        int open_count;
        bool manifest_drop;     /* *.yaml written into a ns dir: applied on close, then gone */
        bool pod_spec;          /* spec.yaml of a placeholder (or after unlink): applied on close */
        bool dirty;
        bool too_big;
        int write_err;          /* as struct fh's: never applied while set */
        bool orphan;            /* unlinked while open: freed on the last release */
        pid_t writer;           /* the (thread) pid that last opened it for writing */
        bool ghost;             /* an applied drop file: still found by name for a moment
                                 * by its writer (install/cp chmod it by path after close),
                                 * never listed, gone for everybody else */
        size_t ghost_len;       /* its size (the data itself is freed when applied) */
        struct htab_link link_name, link_id;
        struct tmpfile *prev, *next;
};

/* What changed, for those above the model: watchers of the mount (ns/name
 * relative to the mount root) and the readers blocked on a pod. */
enum model_change {
        MODEL_POD_APPEARED,     /* ns/name: a pod dir that was not there */
        MODEL_POD_CHANGED,      /* ns/name: the pod's content may differ */
        MODEL_POD_GONE,         /* ns/name: the pod dir is gone */
        MODEL_POD_REMOVED,      /* pod: removed from the state dir (indexed or not) */
        MODEL_LAST_ERROR,       /* ns/.last-error: a new rejection (name NULL) */
        MODEL_OBJECT_APPEARED,  /* ns/name: an object dir (name ".configmaps/app") appeared */
        MODEL_OBJECT_CHANGED,   /* ns/name: its content changed */
        MODEL_OBJECT_GONE,      /* ns/name: it is gone */
};
struct model_event {
        enum model_change what;
        const char *ns, *name;
        struct pod_rt *pod;     /* MODEL_POD_REMOVED */
};
typedef void (*model_observer_fn)(void *data, const struct model_event *ev);

struct pfs_state_dirs;
struct model {
        const struct pfs_state_dirs *dirs;      /* the state dir (store.h), borrowed */
        struct ns_info *nss;
        struct htab nss_by_name;
        struct name_ent *names;
        struct htab names_by_key;
        struct pod_rt *pods;            /* every pods/<uid> we know */
        struct pod_rt *dead;            /* removed; freed after the current epoll batch */
        struct htab pods_by_uid;
        struct tmpfile *tmps;
        struct htab tmps_by_name, tmps_by_id;
        uint64_t tmp_next_id;
        uint64_t views_clock;           /* views.c: LRU clock of the kept views */
        model_observer_fn observer;
        void *observer_data;
};

void model_init(struct model *m, const struct pfs_state_dirs *dirs);
/* Frees namespaces and names; pods and temp files are freed by their owners first. */
void model_fini(struct model *m);
void model_observe(struct model *m, model_observer_fn fn, void *data);
void model_announce(struct model *m, enum model_change what, const char *ns, const char *name);
void model_announce_removed(struct model *m, struct pod_rt *p);

/* ---- namespaces ---- */
/* Record msg (timestamped) as uid's last rejection in ns; announces MODEL_LAST_ERROR. */
void model_last_error_set(struct model *m, const char *ns, uid_t uid, const char *msg);
/* uid's last rejection in ns ("" when none). */
const char *model_last_error(const struct model *m, const char *ns, uid_t uid);

/* ---- the index (store.h), as the tree shows it ---- */
/* What a name in a namespace refers to now. */
struct pod_ref {
        bool exists;
        bool placeholder;
        char uid[37];
        uid_t owner;            /* the pod's owner (meta), or the placeholder dir's */
        gid_t group;
        mode_t mode;            /* permission bits of a placeholder dir */
        int64_t mtime_ns;
};
int model_pod_ref(const struct model *m, const char *ns, const char *name, struct pod_ref *ret);
bool model_ns_exists(const struct model *m, const char *ns);
/* A name a directory entry may have (not ".", "..", no '/', at most 255 bytes). */
bool model_name_valid(const char *name);

/* ---- names ---- */
struct name_ent *model_name_get(struct model *m, const char *ns, const char *name, bool create);
/* The incarnation of the pod dir ns/name (1 for a name never seen). */
unsigned model_name_epoch(const struct model *m, const char *ns, const char *name);

/* ---- pods ---- */
struct pod_rt *model_pod_find(const struct model *m, const char *uid);
/* A new record (not yet in the model; fields beyond these are the caller's). */
struct pod_rt *model_pod_new(const char *uid, const char *ns, const char *name, const char *predecessor);
void model_pod_insert(struct model *m, struct pod_rt *p);
/* Out of the lookups and the list, onto the dead list (events of the current
 * batch may still name it): reap frees them with free_fn. */
void model_pod_retire(struct model *m, struct pod_rt *p);
void model_pod_reap(struct model *m, void (*free_fn)(struct pod_rt *p));
/* Frees the record's own fields (the caller released what it holds first). */
void model_pod_free(struct pod_rt *p);

/* ---- temp files ---- */
/* The temp file ns[/pod]/name (pod NULL or "": in the namespace dir). */
struct tmpfile *model_tmp_find(const struct model *m, const char *ns, const char *pod, const char *name);
struct tmpfile *model_tmp_find_id(const struct model *m, uint64_t id);
/* Inserts a new temp file (its id assigned here). */
struct tmpfile *model_tmp_add(struct model *m, const char *ns, const char *pod, const char *name);
void model_tmp_rename(struct model *m, struct tmpfile *t, const char *newname);
/* Out of the model (the caller frees it). */
void model_tmp_remove(struct model *m, struct tmpfile *t);
/* Is a temp file (not a ghost) in ns (any dir) / in ns/pod? */
bool model_tmp_any_in(const struct model *m, const char *ns, const char *pod);

/* ---- the kept views (views.c) ---- */
struct pod_view;
struct pod_spec;
struct pod_container;
/* The pod's view: the one its record keeps, else loaded for this request
 * into *owned (free with pod_view_freep). */
int model_view_get(struct model *m, const char *uid, const struct pod_view **ret, struct pod_view **owned);
void pod_view_freep(struct pod_view **v);
/* Container names (init containers first) and restart counts of the pod. */
int model_pod_containers(struct model *m, const char *uid, char ***ret_names, int32_t **ret_restarts,
                         size_t *ret_n);
/* The i-th container of the spec: init containers first, as kubectl describe lists them. */
const struct pod_container *pod_spec_container_at(const struct pod_spec *spec, size_t i);
