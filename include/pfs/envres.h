/* A container's environment as the kubelet makes it (makeEnvironmentVariables):
 * envFrom entries in order (each key of the ConfigMap's data or the Secret's
 * data, with the prefix), then env in order: a value with its $(VAR)
 * references expanded against what came before, or the value of its
 * valueFrom. A pure function of the spec and what the lookups return, so the
 * sandbox and the unit tests share it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "pfs/error.h"
#include "pfs/object.h"
#include "pfs/spec.h"

struct pod_env_lookup {
        /* An object of the pod's namespace in *ret (owned by the lookup, valid
         * until the resolution returns): 0, -ENOENT when there is none, or
         * -errno with a message in err. */
        int (*object)(void *data, enum pfs_object_kind k, const char *name, const struct pfs_object **ret,
                      struct pfs_error *err);
        /* pod_downward_field / pod_downward_resource of the pod. */
        int (*field)(void *data, const char *path, char **ret, struct pfs_error *err);
        int (*resource)(void *data, const char *ctr, const char *resource, const char *divisor, char **ret,
                        struct pfs_error *err);
        void *data;
};

struct pod_env_var {
        char *name;
        char *value;
};

struct pod_env_list {
        struct pod_env_var *v;  /* in order of first definition; a later one replaces the value */
        size_t n;
};

/* 0 with the variables in *ret, or -errno with the message the kubelet gives
 * the container (waiting reason CreateContainerConfigError):
 * `configmap "x" not found`, `secret "x" not found`,
 * `couldn't find key K in ConfigMap NS/NAME` (or Secret). Messages never
 * carry a value. */
int pod_env_resolve(const struct pod_spec *spec, const struct pod_container *c, const struct pod_env_lookup *l,
                    struct pod_env_list *ret, struct pfs_error *err);
/* Kubernetes' $(VAR) expansion over env (command, args and env values): $$ is
 * $, $(NAME) is NAME's value when env has it, else left as written. */
char *pod_env_expand(const struct pod_env_list *env, const char *s);
const char *pod_env_get(const struct pod_env_list *env, const char *name, size_t len);
void pod_env_set(struct pod_env_list *env, const char *name, const char *value);
void pod_env_list_free(struct pod_env_list *env);
