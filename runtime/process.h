/* What a container runs: argv, environment, workingDir and user, from the
 * container spec and its image's configuration (process.c). Built by the
 * sandbox before clone; the child only reads it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "pfs/error.h"
#include "pfs/spec.h"

#define CTR_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct ctr_process {
        char **argv;            /* NULL-terminated */
        size_t n_argv;
        char **env;             /* "K=V", NULL-terminated */
        size_t n_env;
        char *working_dir;      /* spec, else image, else "/" */
        bool set_user;          /* the image names a user: switch to uid/gid */
        uid_t uid;
        gid_t gid;
};

struct pod_env_list;
/* -EINVAL "no command specified" when neither the spec nor the image has one.
 * env: the container's variables as resolved at this start (envres.h; NULL =
 * none). */
int ctr_process_build(struct ctr_process *p, const struct pod_container *c, const struct pod_env_list *env,
                      const char *rootfs, struct pfs_error *err);
void ctr_process_free(struct ctr_process *p);
/* Set NAME=VALUE in p->env (replacing it). */
void ctr_process_setenv(struct ctr_process *p, const char *name, const char *value);
/* The value of NAME in p->env, or NULL (async-signal-safe: no allocation). */
const char *ctr_process_getenv(const struct ctr_process *p, const char *name);
