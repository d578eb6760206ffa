/* Image references to root filesystems: STATE/images/NAME:TAG, STATE/images/NAME
 * (symlinks followed, so `ln -s` registers an image) or an absolute path; each
 * a rootfs directory, a runtime bundle (rootfs/ + config.json) or an OCI image
 * layout (image_spawn.c). Also the image configuration that goes with a rootfs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "image_internal.h"
#include "pfs/util.h"
#include "pfs/yval.h"
#include "runtime.h"
#include "syscalls.h"

/* A relative reference must stay inside STATE/images: no empty, "." or ".." component. */
static bool image_name_is_safe(const char *name)
{
        const char *p = name;

        if (!*name || *name == '/')
                return false;
        while (*p) {
                size_t n = strcspn(p, "/");

                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += n;
                if (*p == '/')
                        p++;
                else
                        break;
        }
        return p[-1] != '/';
}

/* The tag is what follows the last ':' after the last '/' ("host:5000/app:1" -> "1").
 * A digest reference ("app@sha256:...") is looked up as written. */
static void image_split_tag(const char *image, char **ret_name, const char **ret_tag)
{
        const char *slash = strrchr(image, '/');
        const char *colon = strrchr(slash ? slash : image, ':');

        if (strchr(image, '@') || !colon) {
                *ret_name = xstrdup(image);
                *ret_tag = NULL;
                return;
        }
        *ret_name = xstrndup(image, (size_t)(colon - image));
        *ret_tag = colon + 1;
}

static bool is_oci_layout(const char *dir)
{
        _cleanup_free_ char *p = xasprintf("%s/oci-layout", dir);
        _cleanup_free_ char *q = xasprintf("%s/index.json", dir);

        return access(p, F_OK) == 0 && access(q, F_OK) == 0;
}

/* Follow symlinks to a directory; ret_real is the canonical path. */
static int image_candidate(const char *path, char **ret_real)
{
        char *real = realpath(path, NULL);
        struct stat st;

        if (!real)
                return -errno;
        if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
                free(real);
                return -ENOTDIR;
        }
        *ret_real = real;
        return 0;
}

static bool is_dir(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* REAL (taken over) is the directory the reference resolved to: a rootfs, a
 * runtime bundle, or an OCI layout in which tag/tag_required pick the manifest. */
static int image_use_dir(const char *state_dir, const char *image, char *real, const char *ref_name,
                         const char *tag, bool tag_required, char **ret_rootfs, char **ret_image_id,
                         struct pfs_error *err)
{
        _cleanup_free_ char *dir = real, *bundle_root = xasprintf("%s/rootfs", real);
        _cleanup_free_ char *bundle_cfg = xasprintf("%s/%s", real, IMAGE_BUNDLE_CONFIG_FILE);

        if (is_oci_layout(dir)) {
#ifdef HAVE_OCI
                return image_oci_resolve(state_dir, dir, ref_name, tag, tag_required, ret_rootfs,
                                         ret_image_id, err);
#else
                return pfs_error_set(err, ENOTSUP, "image \"%s\": '%s' is an OCI image layout and this "
                                     "build has no OCI support (libarchive, libcrypto); unpack it into a "
                                     "root filesystem directory (e.g. `umoci unpack`)", image, dir);
#endif
        }
        *ret_image_id = xstrdup(dir);
        if (is_dir(bundle_root) && access(bundle_cfg, F_OK) == 0)
                *ret_rootfs = steal_ptr(&bundle_root);
        else
                *ret_rootfs = steal_ptr(&dir);
        return 0;
}

int image_resolve(const char *state_dir, const char *image, char **ret_rootfs,
                  char **ret_image_id, struct pfs_error *err)
{
        _cleanup_free_ char *name = NULL, *with_tag = NULL, *plain = NULL;
        const char *tag;
        char *real = NULL;
        int r;

        if (!image || !*image)
                return pfs_error_set(err, EINVAL, "empty image reference");
        if (image[0] == '/') {
                r = image_candidate(image, &real);
                if (r < 0)
                        return pfs_error_set(err, -r, "image \"%s\": %s", image,
                                             r == -ENOTDIR ? "not a directory" : strerror(-r));
                return image_use_dir(state_dir, image, real, image, NULL, false, ret_rootfs, ret_image_id, err);
        }
        image_split_tag(image, &name, &tag);
        if (!image_name_is_safe(name))
                return pfs_error_set(err, EINVAL, "invalid image reference \"%s\"", image);
        with_tag = xasprintf("%s/images/%s:%s", state_dir, name, tag ? tag : "latest");
        plain = xasprintf("%s/images/%s", state_dir, name);
        /* NAME:TAG is the image itself; in NAME the tag picks a manifest (an untagged
         * reference takes "latest", or the only one). */
        if (image_candidate(with_tag, &real) == 0)
                return image_use_dir(state_dir, image, real, name, tag, false, ret_rootfs, ret_image_id, err);
        if (image_candidate(plain, &real) == 0)
                return image_use_dir(state_dir, image, real, name, tag ? tag : "latest", tag != NULL, ret_rootfs,
                                     ret_image_id, err);
        return pfs_error_set(err, ENOENT, "image \"%s\" not found: neither '%s' nor '%s' is a directory",
                             image, with_tag, plain);
}

/* ---- the image configuration ---- */

static char **strv_from(const struct yval *list)
{
        char **v;
        size_t n = 0;

        if (!list || list->type != YVAL_LIST)
                return NULL;
        v = xcalloc(list->list.n + 1, sizeof(*v));
        for (size_t i = 0; i < list->list.n; i++)
                if (list->list.items[i]->type == YVAL_STRING)
                        v[n++] = xstrdup(list->list.items[i]->str.s);
        return v;
}

static void strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

void image_config_free(struct image_config *c)
{
        if (!c)
                return;
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        strv_free(c->env);
        free(c->working_dir);
        free(c->user);
        free(c->stop_signal);
        free(c);
}

static char *str_or_null(const struct yval *map, const char *key)
{
        const char *s = map ? yval_get_str(map, key, NULL) : NULL;

        return s && *s ? xstrdup(s) : NULL;
}

/* OCI image config: {"config": {"Entrypoint", "Cmd", "Env", "WorkingDir", "User"}}. */
static struct image_config *config_from_image(const struct yval *root)
{
        const struct yval *cfg = yval_map_get(root, "config");
        struct image_config *c = xcalloc(1, sizeof(*c));

        if (!cfg || cfg->type != YVAL_MAP)
                return c;
        c->entrypoint = strv_from(yval_map_get(cfg, "Entrypoint"));
        c->cmd = strv_from(yval_map_get(cfg, "Cmd"));
        c->env = strv_from(yval_map_get(cfg, "Env"));
        c->working_dir = str_or_null(cfg, "WorkingDir");
        c->user = str_or_null(cfg, "User");
        c->stop_signal = str_or_null(cfg, "StopSignal");
        return c;
}

/* Runtime bundle config.json: {"process": {"args", "env", "cwd", "user": {"uid", "gid"}}}. */
static struct image_config *config_from_bundle(const struct yval *root)
{
        const struct yval *proc = yval_map_get(root, "process"), *user;
        struct image_config *c = xcalloc(1, sizeof(*c));

        if (!proc || proc->type != YVAL_MAP)
                return c;
        c->entrypoint = strv_from(yval_map_get(proc, "args"));
        c->env = strv_from(yval_map_get(proc, "env"));
        c->working_dir = str_or_null(proc, "cwd");
        user = yval_map_get(proc, "user");
        if (user && user->type == YVAL_MAP)
                c->user = xasprintf("%lld:%lld", (long long)yval_get_int(user, "uid", 0),
                                    (long long)yval_get_int(user, "gid", 0));
        return c;
}

int image_config_load(const char *rootfs, struct image_config **ret_config, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xstrdup(rootfs), *text = NULL, *path = NULL;
        char *slash = strrchr(dir, '/');
        struct ydoc *docs = NULL;
        size_t n = 0, len = 0;
        bool bundle = false;
        int r;

        *ret_config = NULL;
        if (!slash || strcmp(slash, "/rootfs") != 0)
                return 0;
        *slash = '\0';
        path = xasprintf("%s/%s", dir, IMAGE_CONFIG_FILE);
        if (access(path, F_OK) < 0) {
                free(path);
                path = xasprintf("%s/%s", dir, IMAGE_BUNDLE_CONFIG_FILE);
                bundle = true;
                if (access(path, F_OK) < 0)
                        return 0;
        }
        r = pfs_read_file_at(AT_FDCWD, path, &text, &len, err);
        if (r >= 0)
                r = yval_parse_stream(text, len, &docs, &n, err);
        if (r < 0)
                return pfs_error_wrap(err, "image configuration '%s'", path);
        if (n > 0 && docs[0].root && docs[0].root->type == YVAL_MAP)
                *ret_config = bundle ? config_from_bundle(docs[0].root) : config_from_image(docs[0].root);
        ydoc_free_array(docs, n);
        return 0;
}

#define DB_READ_MAX (4u << 20)

/* Field 2 (uid or gid) and field 3 (gid, passwd only) of the line whose first field is NAME. */
static bool db_lookup(const char *rootfs, const char *file, const char *name, long *ret_id, long *ret_gid)
{
        _cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int fd = -1;
        _cleanup_fclose_ FILE *f = NULL;
        char line[1024];
        size_t nl = strlen(name);
        struct stat st;

        if (root < 0)
                return false;
        /* the image is hostile input: a FIFO or device here must not block the sandbox */
        fd = pfs_openat2(root, file, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(f = fdopen(steal_fd(&fd), "r")))
                return false;
        /* and a huge one must not keep it busy: its first 4 MiB only */
        for (size_t seen = 0; seen < DB_READ_MAX && fgets(line, sizeof(line), f); seen += strlen(line)) {
                char *p;

                if (strncmp(line, name, nl) != 0 || line[nl] != ':' || !(p = strchr(line + nl + 1, ':')))
                        continue;
                *ret_id = strtol(p + 1, &p, 10);
                if (ret_gid)
                        *ret_gid = *p == ':' ? strtol(p + 1, NULL, 10) : *ret_id;
                return true;
        }
        return false;
}

static bool parse_id(const char *s, long *ret)
{
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 0)
                return false;
        *ret = v;
        return true;
}

int image_user_resolve(const char *rootfs, const char *user, uid_t *ret_uid, gid_t *ret_gid,
                       struct pfs_error *err)
{
        _cleanup_free_ char *u = xstrdup(user);
        char *g = strchr(u, ':');
        long uid = 0, gid = 0;
        bool have_gid = false;

        if (g)
                *g++ = '\0';
        if (!parse_id(u, &uid) && !db_lookup(rootfs, "/etc/passwd", u, &uid, &gid))
                return pfs_error_set(err, ENOENT, "unable to find user %s: no matching entries in passwd file", u);
        if (g) {
                have_gid = parse_id(g, &gid) || db_lookup(rootfs, "/etc/group", g, &gid, NULL);
                if (!have_gid)
                        return pfs_error_set(err, ENOENT, "unable to find group %s: no matching entries in group file", g);
        }
        *ret_uid = (uid_t)uid;
        *ret_gid = (gid_t)gid;
        return 0;
}

bool image_has_command(const char *rootfs)
{
        struct image_config *img = NULL;
        struct pfs_error err = { 0 };
        bool has;

        /* a configuration that cannot be read: the start says why (StartError) */
        if (image_config_load(rootfs, &img, &err) < 0)
                return true;
        if (!img)
                return false;
        has = (img->entrypoint && img->entrypoint[0]) || (img->cmd && img->cmd[0]);
        image_config_free(img);
        return has;
}

/* moby's ParseSignal, which containerd applies to the image's StopSignal: a
 * number, or a name with or without "SIG", any case. */
int image_stop_signal(const char *rootfs)
{
        struct image_config *img = NULL;
        struct pfs_error err = { 0 };
        char name[32] = "SIG";
        const char *s;
        int sig = 0;

        if (image_config_load(rootfs, &img, &err) < 0 || !img || !img->stop_signal) {
                image_config_free(img);
                return 0;
        }
        s = img->stop_signal;
        if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s) && strlen(s) < 3) {
                sig = atoi(s);
        } else {
                if (strncasecmp(s, "SIG", 3) == 0)
                        s += 3;
                for (size_t i = 3; *s && i < sizeof(name) - 1; i++, s++)
                        name[i] = (char)(*s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
                sig = pod_signal_number(name);
        }
        image_config_free(img);
        return sig > 0 && sig <= 64 ? sig : 0;
}
