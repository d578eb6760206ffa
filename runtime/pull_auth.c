/* imagePullSecrets for a pull: the credentials of the pod's Secrets of type
 * kubernetes.io/dockerconfigjson (".dockerconfigjson": {"auths": {...}}) and
 * kubernetes.io/dockercfg (".dockercfg": {...}), then the node's own auth
 * files for registries they do not name, merged into one auth file that
 * skopeo gets with --authfile (it reads nothing else then). The file is
 * 0600 in a 0700 directory and removed when the pull ends. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pfs/object.h"
#include "pfs/yval.h"
#include "sandbox.h"

/* Add SRC's registries (a map of registry -> {auth: ...}) that AUTHS has not. */
static void auths_merge(struct yval *auths, const struct yval *src)
{
        if (!src || src->type != YVAL_MAP)
                return;
        for (size_t i = 0; i < src->map.n; i++) {
                const struct ymember *p = &src->map.m[i];

                if (p->val && p->val->type == YVAL_MAP && !yval_map_get(auths, p->key))
                        yval_map_set(auths, p->key, yval_clone(p->val));
        }
}

static void json_auths(const char *text, size_t len, bool wrapped, struct yval *auths)
{
        struct ydoc *docs = NULL;
        size_t n = 0;

        if (yval_parse_stream_unbounded(text, len, &docs, &n, NULL) < 0)
                return;
        if (n > 0)
                auths_merge(auths, wrapped ? yval_map_get(docs[0].root, "auths") : docs[0].root);
        ydoc_free_array(docs, n);
}

static void secret_auths(const struct pfs_object *o, struct yval *auths)
{
        const struct pfs_object_item *it;

        if (o->type && !strcmp(o->type, "kubernetes.io/dockerconfigjson") &&
            (it = pfs_object_item(o, ".dockerconfigjson")) && it->len > 0)
                json_auths((const char *)it->value, it->len, true, auths);
        else if (o->type && !strcmp(o->type, "kubernetes.io/dockercfg") && (it = pfs_object_item(o, ".dockercfg")) &&
                 it->len > 0)
                json_auths((const char *)it->value, it->len, false, auths);
}

/* The files skopeo reads by default (containers-auth.json(5)), in its order. */
static void node_auths(struct yval *auths)
{
        const char *env = getenv("REGISTRY_AUTH_FILE"), *xdg = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
        char *paths[4] = {
                env && *env ? xstrdup(env)
                : xdg && *xdg ? xasprintf("%s/containers/auth.json", xdg)
                              : xasprintf("/run/containers/%u/auth.json", (unsigned)getuid()),
                home ? xasprintf("%s/.config/containers/auth.json", home) : NULL,
                home ? xasprintf("%s/.docker/config.json", home) : NULL,
                NULL,
        };

        for (int i = 0; i < 3; i++) {
                _cleanup_free_ char *data = NULL;
                size_t len;

                if (paths[i] && pfs_read_file_at(AT_FDCWD, paths[i], &data, &len, NULL) == 0)
                        json_auths(data, len, true, auths);
                free(paths[i]);
        }
}

/* The pod's Secrets: their auths into AUTHS, the missing ones' names into MISSING. */
static void pod_secret_auths(struct sbx *s, struct yval *auths, struct pfs_buf *missing)
{
        for (size_t i = 0; i < s->spec->n_image_pull_secrets; i++) {
                const char *name = s->spec->image_pull_secrets[i];
                struct pfs_object *o = NULL;

                if (!*name)
                        continue;
                if (pfs_object_read_at(s->state_fd, PFS_OBJ_SECRET, s->spec->namespace, name, &o, NULL) < 0) {
                        pfs_buf_printf(missing, "%s%s", missing->len ? ", " : "", name);
                        continue;
                }
                secret_auths(o, auths);
                pfs_object_free(o);
        }
}

int pull_auth_write(struct sbx *s, struct ctr *c, char **ret_path, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/cache/auth", s->state_dir);
        struct yval *root, *auths;
        struct pfs_buf missing = {0}, json = {0};
        int r = 0;

        *ret_path = NULL;
        if (s->spec->n_image_pull_secrets == 0)
                return 0;
        root = yval_new_map();
        auths = yval_map_set(root, "auths", yval_new_map());
        pod_secret_auths(s, auths, &missing);
        if (missing.len) {
                sbx_event(s, NULL, "Warning", "FailedToRetrieveImagePullSecret",
                          "Unable to retrieve some image pull secrets (%s); attempting to pull the image may not "
                          "succeed.", missing.data);
        }
        pfs_buf_free(&missing);
        if (auths->map.n > 0) {
                node_auths(auths);
                yval_emit_json(root, false, &json);
                *ret_path = xasprintf("%s/%s-%s.json", dir, s->uid, c->name);
                r = pfs_mkdir_p_at(AT_FDCWD, dir, 0700, err);
                if (r >= 0)
                        r = pfs_write_file_sync_at(AT_FDCWD, *ret_path, json.data, json.len, 0600, PFS_SYNC_NONE, err);
                if (r < 0) {
                        free(*ret_path);
                        *ret_path = NULL;
                }
        }
        pfs_buf_free(&json);
        yval_free(root);
        return r;
}
