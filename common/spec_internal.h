/* Private to the spec module: the error list that decoding and validation
 * fill (reported together, like the API server), and field-path helpers. */
#pragma once
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include "pfs/spec.h"
#include "pfs/strindex.h"

struct spec_err {
        int line;
        bool late;              /* sorted with the spec's own fields, whatever its path */
        char *msg;              /* "spec.containers[0].name: Required value" */
};

struct spec_errs {
        const struct yval *root;        /* the document, to find an error's line from its path */
        struct spec_err *v;
        size_t n;
        size_t n_fatal;                 /* unknown fields and wrong types: the decoded spec is partial */
        const char *line_path;          /* when set, errors take their line from this path */
        bool late;                      /* when set, errors are late (struct spec_err) */
        bool any_kind;                  /* a manifest of any kind (pfs_manifest_parse): the
                                         * kind error lists every kind podfs accepts */
};

/* An object's metadata (ConfigMap, Secret, PVC), decoded and checked with
 * the Pod's rules. */
struct spec_meta {
        char *name, *namespace;
        struct pod_kv *labels;
        size_t n_labels;
        struct pod_kv *annotations;
        size_t n_annotations;
};
/* apiVersion v1 and a kind podfs accepts (else the errors, fatal). */
bool spec_decode_type_meta(struct spec_errs *e, const struct yval *root);
/* root's metadata into m (m's fields are the caller's to free). */
void spec_decode_object_meta(struct spec_errs *e, const struct yval *root, struct spec_meta *m);
void spec_validate_object_meta(struct spec_errs *e, const struct spec_meta *m);
/* Unknown members of map (path "" for the top) are errors (fatal). */
void spec_check_known(struct spec_errs *e, const struct yval *map, const char *path, const char *const *names,
                      size_t n);
/* The errors (sorted as the API server reports them) as one message
 * "[FILE: line N: ]KIND "name" is invalid: ..." (EINVAL); clears e. */
int spec_errs_report(struct spec_errs *e, const char *filename, const char *kind, const char *name,
                     struct pfs_error *err);

/* Adds "PATH: MESSAGE"; the line is the one of the node PATH names (or of its
 * nearest ancestor present in the document). */
void spec_errs_add(struct spec_errs *e, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Adds MESSAGE as is, at the line of PATH (for "unknown field" errors). */
void spec_errs_add_plain(struct spec_errs *e, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void spec_errs_clear(struct spec_errs *e);
int spec_line_of(const struct yval *root, const char *path);
/* The node PATH names in the document, or NULL (for rules on what was written,
 * such as "set" versus "absent"). */
const struct yval *spec_node_at(const struct yval *root, const char *path);

/* "parent.key" / "parent[i]" (parent "" gives "key"). */
char *spec_path_key(const char *parent, const char *key);
char *spec_path_idx(const char *parent, size_t i);

/* A value the way field.Invalid shows it: strings quoted, others as JSON. */
char *spec_value_repr(const struct yval *v);
/* A Go-style quoted string ("app"). */
char *spec_quote(const char *s);

/* The API server's field.Error kinds. */
void spec_err_required(struct spec_errs *e, const char *path, const char *detail);
void spec_err_invalid_str(struct spec_errs *e, const char *path, const char *value, const char *why);
/* validateContainerResourceFieldSelector at path p (spec_validate_env.c):
 * resource and divisor; volume: containerName is required. */
void spec_validate_resource_field(struct spec_errs *e, const char *p, bool volume, const char *container_name,
                                  const char *resource, const char *divisor);
/* IsConfigMapKey of key at path p (object_validate.c). */
void spec_validate_config_key(struct spec_errs *e, const char *p, const char *key);
void spec_err_invalid_int(struct spec_errs *e, const char *path, long long value, const char *why);
void spec_err_unsupported(struct spec_errs *e, const char *path, const char *value,
                          const char *const *supported, size_t n);
void spec_err_duplicate(struct spec_errs *e, const char *path, const char *value);
void spec_err_not_found(struct spec_errs *e, const char *path, const char *value);
void spec_err_forbidden(struct spec_errs *e, const char *path, const char *detail);
/* One of a field's allowed values, or an Unsupported value error. */
bool spec_check_enum(struct spec_errs *e, const char *path, const char *value,
                     const char *const *supported, size_t n);

enum field_kind {
        FLD_OK,           /* decoded by podfs */
        FLD_UNSUPPORTED,  /* a Kubernetes field podfs does not implement: only empty values */
        FLD_SYSTEM,       /* assigned by podfs (uid, creationTimestamp, ...): only empty values */
        FLD_ANY,          /* accepted and ignored, as the API server does (a Pod's status) */
        FLD_NOT_ON_CREATE, /* set by a later request only (ephemeralContainers): only empty values */
};

struct field {
        const char *name;
        enum field_kind kind;
        const char *dflt;       /* FLD_UNSUPPORTED: this value is the default and changes nothing */
        bool strict;            /* FLD_UNSUPPORTED: an empty value is not a no-op, only dflt is */
};

/* The decoder's typed getters (spec_decode.c), for the other decoders. */
void spec_check_fields(struct spec_errs *e, const struct yval *map, const char *path,
                       const struct field *fields, size_t n);
char *spec_get_str(struct spec_errs *e, const struct yval *map, const char *key, const char *path);
bool spec_get_bool(struct spec_errs *e, const struct yval *map, const char *key, const char *path, bool def);
int64_t spec_get_int(struct spec_errs *e, const struct yval *map, const char *key, const char *path,
                     int64_t min, int64_t max, int64_t def);
const struct yval *spec_get_map(struct spec_errs *e, const struct yval *map, const char *key, const char *path);
const struct yval *spec_get_list(struct spec_errs *e, const struct yval *map, const char *key, const char *path);
bool spec_is_object(struct spec_errs *e, const struct yval *v, const char *path);
char *spec_decode_quantity(struct spec_errs *e, const struct yval *map, const char *key, const char *path);

/* The volume sources beyond emptyDir and hostPath (spec_volsrc.c): decode
 * member m of a volume (false when m is none of them), validate, default,
 * show in pod.json, free. */
bool spec_volsrc_decode(struct spec_errs *e, const struct ymember *m, const char *path, struct pod_volume *vol);
void spec_volsrc_validate(struct spec_errs *e, const struct pod_volume *v, const char *path);
void spec_volsrc_defaults(struct pod_volume *v);
struct yval *spec_volsrc_to_yval(const struct pod_volume *v, struct yval *y);
void spec_volsrc_free(struct pod_volume *v);

/* Validation helpers (spec_validate.c): a ".." path element; apimachinery's
 * IsQualifiedName with the API server's messages. */
bool spec_path_has_backsteps(const char *p);
void spec_validate_qualified_name(struct spec_errs *e, const char *path, const char *v);
/* The image's tag as the kubelet sees it ("latest" when none; spec_yval.c). */
char *spec_image_tag(const char *image);

/* resizePolicy (spec_update.c): decode, validate (validateResizePolicy), show, free. */
void spec_decode_resize_policy(struct spec_errs *e, const struct yval *ctr, const char *path, struct pod_container *c);
void spec_validate_resize_policy(struct spec_errs *e, const struct pod_spec *s, const struct pod_container *c,
                                 const char *cp);
struct yval *spec_resize_policy_to_yval(const struct pod_container *c);
void spec_resize_policy_free(struct pod_container *c);

/* Decode a document's root into spec (types and field names only). */
void spec_decode(const struct yval *root, struct pod_spec *spec, struct spec_errs *errs);
/* Semantic validation of a decoded spec (the API server's rules). */
void spec_validate(const struct pod_spec *spec, struct spec_errs *errs);
/* The API server's rules shared by validation files (spec_validate.c):
 * IsDNS1123Subdomain and IsQualifiedName with its messages. */
void spec_validate_subdomain(struct spec_errs *e, const char *path, const char *v);
void spec_validate_qualified_name(struct spec_errs *e, const char *path, const char *v);
void spec_validate_label_value(struct spec_errs *e, const char *path, const char *v);
/* spec_sched.c: the scheduling fields (nodeSelector, nodeName, affinity,
 * tolerations, topologySpreadConstraints, schedulingGates, priority),
 * checked as the API server does and kept as written. */
void spec_decode_sched(struct spec_errs *e, const struct yval *spec, struct pod_spec *s);
/* spec_podres.c: pod-level resources against the containers' (validatePodResourceConsistency). */
void spec_validate_pod_resources(struct spec_errs *e, const struct pod_spec *s);
/* The priority admission plugin: the built-in classes only. 0 or EPERM. */
int spec_sched_admit(struct pod_spec *s, const char *filename, struct pfs_error *err);
/* A container's env and envFrom (spec_validate_env.c); cp is its path. */
void spec_validate_env(struct spec_errs *e, const struct pod_container *c, const char *cp);
/* A resourceFieldRef divisor's canonical form ("1Mi", "1m") when the API
 * server accepts it for resource, else NULL; divisor NULL or 0 gives "0". */
const char *spec_divisor_canonical(const char *resource, const char *divisor);
/* securityContext, hostPID, hostIPC (spec_security.c, spec_security_check.c). */
void spec_decode_container_security(struct spec_errs *e, const struct yval *ctr, const char *path,
                                    struct pod_container *c);
void spec_decode_pod_security(struct spec_errs *e, const struct yval *spec, const char *path, struct pod_spec *s);
void spec_validate_security(const struct pod_spec *s, struct spec_errs *e);
/* The deprecated AppArmor annotations (spec_apparmor.c): validated; synced
 * with the fields as the API server's applyAppArmorVersionSkew does at create,
 * before validation. */
void spec_validate_apparmor(const struct pod_spec *s, struct spec_errs *e);
void spec_apparmor_sync(struct pod_spec *s);
/* An empty securityContext (every field unset). */
struct pod_security_context *spec_security_context_new(void);
/* stdin, stdinOnce, tty, lifecycle.stopSignal, spec.os (spec_stdio.c) */
void spec_decode_container_stdio(struct spec_errs *e, const struct yval *ctr, const char *path,
                                 struct pod_container *c);
void spec_decode_pod_os(struct spec_errs *e, const struct yval *spec, const char *path, struct pod_spec *s);
void spec_validate_stdio(const struct pod_spec *s, struct spec_errs *e);
void spec_container_stdio_to_yval(const struct pod_container *c, struct yval *y);
struct yval *spec_container_security_to_yval(const struct pod_security_context *sc);
struct yval *spec_pod_security_to_yval(const struct pod_security_context *sc);
/* Defaults the API server applies on create. */
void spec_apply_defaults(struct pod_spec *spec);

extern const char *const spec_restart_policies[3];
extern const char *const spec_dns_policies[4];
extern const char *const spec_pull_policies[3];
extern const char *const spec_message_policies[2];
extern const char *const spec_protocols[3];
extern const char *const spec_host_path_types[8];
/* A handler's actions in the API server's order (exec, httpGet, tcpSocket, grpc, sleep). */
struct spec_handler_type {
        const char *key;
        enum pod_handler_kind kind;
};
extern const struct spec_handler_type spec_handler_types[5];
const char *spec_handler_key(enum pod_handler_kind kind); /* NULL for POD_HANDLER_NONE */

/* Name indexes of a spec (spec_index.c): built after decoding, freed by
 * pod_spec_free. Lookups give the position of the first container (init
 * container, volume) of that name, or -1; a spec without an index (built
 * by hand) is searched. */
void spec_index_build(struct pod_spec *spec);
void spec_index_free(struct pod_spec_index *x);
ssize_t spec_index_container(const struct pod_spec *spec, const char *name);
ssize_t spec_index_init_container(const struct pod_spec *spec, const char *name);
ssize_t spec_index_volume(const struct pod_spec *spec, const char *name);

/* One Pod document of a stream (any_kind: the stream may hold other kinds). */
int spec_parse_pod_document(const char *text, const struct ydoc *d, const char *filename, const char *ns_hint,
                            const char *name_hint, bool any_kind, struct pod_spec **ret, struct pfs_error *err);
