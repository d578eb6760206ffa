/* What a container runs, as a container runtime derives it: Kubernetes'
 * command/args over the image's Entrypoint/Cmd, the environment (default
 * PATH, image Env, HOSTNAME, HOME, the resolved spec env), the
 * working directory and the image's user. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "image_internal.h"
#include "pfs/envres.h"
#include "pfs/util.h"
#include "process.h"

static const char *env_get(const struct ctr_process *x, const char *name, size_t len)
{
        for (size_t i = 0; i < x->n_env; i++)
                if (strncmp(x->env[i], name, len) == 0 && x->env[i][len] == '=')
                        return x->env[i] + len + 1;
        return NULL;
}

static void env_set(struct ctr_process *x, const char *name, const char *value)
{
        char *kv = xasprintf("%s=%s", name, value);
        size_t len = strlen(name);

        for (size_t i = 0; i < x->n_env; i++) {
                if (strncmp(x->env[i], name, len) == 0 && x->env[i][len] == '=') {
                        free(x->env[i]);
                        x->env[i] = kv;
                        return;
                }
        }
        x->env = xrealloc(x->env, (x->n_env + 2) * sizeof(*x->env));
        x->env[x->n_env++] = kv;
        x->env[x->n_env] = NULL;
}

/* The runtime's order (containerd): PATH, the image's Env, HOSTNAME, HOME,
 * then what the kubelet resolved (envres.h), each replacing an earlier one. */
static void env_build(struct ctr_process *x, const struct pod_env_list *env, const struct image_config *img)
{
        char host[HOST_NAME_MAX + 1] = "";

        x->env = xcalloc(1, sizeof(*x->env));
        env_set(x, "PATH", CTR_DEFAULT_PATH);
        for (size_t i = 0; img && img->env && img->env[i]; i++) {
                _cleanup_free_ char *k = xstrdup(img->env[i]);
                char *eq = strchr(k, '=');

                if (eq) {
                        *eq = '\0';
                        env_set(x, k, eq + 1);
                }
        }
        if (gethostname(host, sizeof(host) - 1) < 0)
                host[0] = '\0';
        env_set(x, "HOSTNAME", host);
        if (!env_get(x, "HOME", 4))
                env_set(x, "HOME", x->set_user && x->uid != 0 ? "/" : "/root");
        for (size_t i = 0; env && i < env->n; i++)
                env_set(x, env->v[i].name, env->v[i].value);
}

static void argv_add(struct ctr_process *x, char *s)
{
        x->argv = xrealloc(x->argv, (x->n_argv + 2) * sizeof(*x->argv));
        x->argv[x->n_argv++] = s;
        x->argv[x->n_argv] = NULL;
}

/* Kubernetes: command replaces the image's Entrypoint (and drops its Cmd);
 * args replace Cmd. $(VAR) in command and args names the kubelet's
 * variables only (ExpandContainerCommandAndArgs), not the image's. */
static int argv_build(struct ctr_process *x, const struct pod_container *c, const struct pod_env_list *env,
                      const struct image_config *img, struct pfs_error *err)
{
        static const struct pod_env_list none = { 0 };

        if (!env)
                env = &none;
        for (size_t i = 0; i < c->n_command; i++)
                argv_add(x, pod_env_expand(env, c->command[i]));
        for (size_t i = 0; !c->n_command && img && img->entrypoint && img->entrypoint[i]; i++)
                argv_add(x, xstrdup(img->entrypoint[i]));
        for (size_t i = 0; i < c->n_args; i++)
                argv_add(x, pod_env_expand(env, c->args[i]));
        for (size_t i = 0; !c->n_command && !c->n_args && img && img->cmd && img->cmd[i]; i++)
                argv_add(x, xstrdup(img->cmd[i]));
        if (x->n_argv == 0)
                return pfs_error_set(err, EINVAL, "no command specified");
        return 0;
}

static void settings_from_image(struct ctr_process *x, const struct pod_container *c, const struct image_config *img)
{
        const char *wd = c->working_dir && *c->working_dir ? c->working_dir
                : img && img->working_dir ? img->working_dir : "/";

        x->working_dir = xstrdup(wd);
}

int ctr_process_build(struct ctr_process *x, const struct pod_container *c, const struct pod_env_list *env,
                      const char *rootfs, struct pfs_error *err)
{
        struct image_config *img = NULL;
        int r;

        r = image_config_load(rootfs, &img, err);
        if (r < 0)
                return r;
        settings_from_image(x, c, img);
        if (img && img->user) {
                x->set_user = true;
                r = image_user_resolve(rootfs, img->user, &x->uid, &x->gid, err);
        }
        if (r >= 0) {
                env_build(x, env, img);
                r = argv_build(x, c, env, img, err);
        }
        image_config_free(img);
        return r;
}

void ctr_process_free(struct ctr_process *x)
{
        for (size_t i = 0; i < x->n_env; i++)
                free(x->env[i]);
        free(x->env);
        for (size_t i = 0; i < x->n_argv; i++)
                free(x->argv[i]);
        free(x->argv);
        free(x->working_dir);
}

void ctr_process_setenv(struct ctr_process *x, const char *name, const char *value)
{
        env_set(x, name, value);
}

const char *ctr_process_getenv(const struct ctr_process *x, const char *name)
{
        return env_get(x, name, strlen(name));
}
