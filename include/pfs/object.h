/* ConfigMaps, Secrets and PersistentVolumeClaims: the namespaced objects a pod
 * refers to, kept in the state dir without an API server. One module used by
 * the daemon (apply, the .configmaps/.secrets/.pvcs tree) and the sandbox
 * (env values, configMap/secret/projected volumes, claims).
 *
 * In the state dir (the only code that knows these paths is common/object*.c):
 *
 *   STATE/objects/<ns>/configmaps/<name>   the object as the API server returns
 *   STATE/objects/<ns>/secrets/<name>      it, JSON (kubectl get -o json), plus
 *   STATE/objects/<ns>/pvcs/<name>         one podfs member "podfsOwner": "UID:GID";
 *                                          mode 0600; written durably (tmp +
 *                                          fsync + rename + fsync dir)
 *   STATE/claims/<ns>/<claim>/             a claim's data: made on first use (by a
 *                                          pod or when its PVC is applied), kept
 *                                          when pods go, removed with the claim
 *
 * Values are kept as the API keeps them: a ConfigMap's data as strings, its
 * binaryData and a Secret's data in base64 (a Secret's stringData is merged
 * into data on apply, as the API server does). In memory every value is
 * decoded (items). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "pfs/error.h"
#include "pfs/spec.h"
#include "pfs/yval.h"

enum pfs_object_kind {
        PFS_OBJ_CONFIGMAP,
        PFS_OBJ_SECRET,
        PFS_OBJ_PVC,
};
#define PFS_OBJ_KINDS 3

/* The API server's limit of a ConfigMap's or Secret's data (all keys). */
#define PFS_OBJECT_MAX_DATA (1024 * 1024)

struct pfs_object_item {
        char *key;
        unsigned char *value;   /* decoded bytes, NUL-terminated for convenience */
        size_t len;
        bool binary;            /* ConfigMap: from binaryData */
};

struct pfs_object {
        enum pfs_object_kind kind;
        char *name;
        char *namespace;
        char uid[37];
        int64_t creation_ns;            /* realtime */
        uint64_t resource_version;      /* +1 on every change */
        struct pod_kv *labels;
        size_t n_labels;
        struct pod_kv *annotations;
        size_t n_annotations;
        /* ConfigMap, Secret: sorted by key, keys unique. */
        struct pfs_object_item *items;
        size_t n_items;
        char *type;                     /* Secret: default "Opaque" */
        bool immutable;                 /* ConfigMap, Secret */
        /* PersistentVolumeClaim: its spec, defaulted, as the API shows it (the
         * status shown is derived: phase Bound, the requested capacity). */
        struct yval *pvc_spec;
        uid_t owner;                    /* who created it */
        gid_t group;
        int source_line;                /* first line of its document (0 when not from a file) */
};

/* "configmaps", "secrets", "pvcs" (the state dir's and the tree's names). */
const char *pfs_object_kind_dir(enum pfs_object_kind k);
/* "ConfigMap", "Secret", "PersistentVolumeClaim". */
const char *pfs_object_kind_name(enum pfs_object_kind k);

/* The item key in o, or NULL. */
const struct pfs_object_item *pfs_object_item(const struct pfs_object *o, const char *key);

/* Read one object: 0, -ENOENT when there is none, -errno (message in err). */
int pfs_object_read_at(int state_fd, enum pfs_object_kind k, const char *ns, const char *name,
                       struct pfs_object **ret, struct pfs_error *err);
/* Names of ns's objects of kind k, sorted. */
int pfs_object_list_at(int state_fd, enum pfs_object_kind k, const char *ns, char ***ret_names,
                       size_t *ret_n, struct pfs_error *err);
void pfs_object_free(struct pfs_object *o);

/* Claims: the data directory of ns/claim, created (0755, root) when missing.
 * Returns an O_PATH|O_DIRECTORY fd or -errno. */
int pfs_claim_dir_open_at(int state_fd, const char *ns, const char *claim, bool create, struct pfs_error *err);

/* ---- the write side (the daemon) ---- */

/* Base64 (RFC 4648 with padding, as Go's StdEncoding; CR and LF ignored on
 * decode). Decode: 0, or -EINVAL with *ret_bad the input byte Go would name. */
char *pfs_base64_encode(const unsigned char *data, size_t len);
int pfs_base64_decode(const char *s, size_t len, unsigned char **ret, size_t *ret_len, size_t *ret_bad);

/* The object as the API server shows it (kubectl get -o json/yaml: sorted
 * keys, Secret data and ConfigMap binaryData in base64), plus "podfsOwner"
 * when with_owner. */
struct yval *pfs_object_to_yval(const struct pfs_object *o, bool with_owner);
/* Write it durably (the dirs made as needed) / remove it (0 or -ENOENT). */
int pfs_object_write_at(int state_fd, const struct pfs_object *o, struct pfs_error *err);
int pfs_object_remove_at(int state_fd, enum pfs_object_kind k, const char *ns, const char *name,
                         struct pfs_error *err);
/* The bytes pfs_object_write_at would store for o (its file's size). */
uint64_t pfs_object_stored_size(const struct pfs_object *o);
/* fn(data, owner, size of its file) for every stored object of every
 * namespace (one that cannot be read is skipped): what each user holds. */
typedef void (*pfs_object_size_fn)(void *data, uid_t owner, uint64_t size);
int pfs_object_sizes_at(int state_fd, pfs_object_size_fn fn, void *data, struct pfs_error *err);
/* rm -rf of the claim's data dir (0 when there is none). */
int pfs_claim_dir_remove_at(int state_fd, const char *ns, const char *claim, struct pfs_error *err);

/* The kind a document names (ConfigMap, Secret, PersistentVolumeClaim), or -1. */
int pfs_object_kind_of(const char *kind_name);

/* An empty object of kind k named ns/name (a new uid, no data). */
struct pfs_object *pfs_object_new(enum pfs_object_kind k, const char *ns, const char *name);
struct pfs_object *pfs_object_clone(const struct pfs_object *o);
/* Set (copy) or remove an item; sorted order kept. remove: false when absent. */
void pfs_object_item_set(struct pfs_object *o, const char *key, const void *value, size_t len, bool binary);
bool pfs_object_item_remove(struct pfs_object *o, const char *key);
/* Validation as the API server does it, messages "KIND \"name\" is invalid: ..."
 * (EINVAL; EFBIG for the size limit). Never quotes a Secret's values. */
int pfs_object_validate(const struct pfs_object *o, struct pfs_error *err);
/* The rules of an update of old into new (immutable, a Secret's type, a
 * claim's spec): 0 or -EPERM with the API's message. */
int pfs_object_validate_update(const struct pfs_object *old, const struct pfs_object *new, struct pfs_error *err);
/* What an apply compares: same data, type, immutable, labels, annotations, spec. */
bool pfs_object_same(const struct pfs_object *a, const struct pfs_object *b);
/* Is s a valid key (IsConfigMapKey)? NULL, or the API server's reason. */
const char *pfs_object_key_error(const char *s);

/* A manifest stream: its Pods and objects, all valid or an error (EINVAL,
 * "FILE: line N: ConfigMap \"x\" is invalid: ..."). */
/* A kind: Namespace document (namespace_doc.c): its name and labels. */
struct pfs_ns_doc {
        char *name;
        struct pod_kv *labels;
        size_t n_labels;
        int source_line;
};
int pfs_ns_doc_parse(const struct yval *root, const char *filename, const char *ns_hint, struct pfs_ns_doc **ret,
                     struct pfs_error *err);
void pfs_ns_doc_free(struct pfs_ns_doc *d);
/* The value of label pod-security.kubernetes.io/MODE ("enforce", "warn-version"), or NULL. */
const char *pfs_ns_doc_label(const struct pod_kv *labels, size_t n, const char *mode);

struct pfs_manifest {
        struct pod_spec **pods;
        size_t n_pods;
        struct pfs_object **objects;
        size_t n_objects;
        struct pfs_ns_doc *ns;          /* a kind: Namespace document, or NULL */
};
int pfs_manifest_parse(const char *text, size_t len, const char *filename, const char *ns_hint,
                       struct pfs_manifest *ret, struct pfs_error *err);
void pfs_manifest_free(struct pfs_manifest *m);
/* One document of kind ConfigMap, Secret or PersistentVolumeClaim (root is
 * its tree): decoded, defaulted and validated. */
int pfs_object_from_doc(const struct yval *root, const char *filename, const char *ns_hint,
                        struct pfs_object **ret, struct pfs_error *err);
/* What tells a stored object's versions apart (a write renames a new file
 * into place): for a reader's cache. */
struct pfs_object_stamp {
        dev_t dev;
        ino_t ino;
        int64_t mtime_ns, ctime_ns;
        off_t size;
};
/* 0, -ENOENT when there is none, -errno. */
int pfs_object_stamp_at(int state_fd, enum pfs_object_kind k, const char *ns, const char *name,
                        struct pfs_object_stamp *ret);
bool pfs_object_stamp_equal(const struct pfs_object_stamp *a, const struct pfs_object_stamp *b);
/* Same items of one bag (binary: a ConfigMap's binaryData, else data). */
bool pfs_object_items_same(const struct pfs_object *a, const struct pfs_object *b, bool binary);
/* The object from its stored JSON (pfs_object_to_yval with the owner). */
int pfs_object_from_yval(const struct yval *v, enum pfs_object_kind k, struct pfs_object **ret,
                         struct pfs_error *err);
/* Does the Pod document (its tree) mount the claim (spec.volumes[].persistentVolumeClaim.claimName)? */
bool pfs_spec_uses_claim(const struct yval *pod, const char *claim);
