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
        /* PersistentVolumeClaim: its spec and status, as the API shows them. */
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
