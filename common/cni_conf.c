/* The pod network's configuration: found as libcni does (the first *.conf,
 * *.conflist or *.json of the directory in name order), a single plugin's
 * .conf wrapped into a list, and each plugin's stdin built as libcni's
 * buildOneConfig does (name, cniVersion, prevResult, runtimeConfig filtered
 * by the plugin's capabilities). The default network masquerades its pods'
 * egress once for the subnet (podfsMasquerade, installed by the daemon:
 * fs/masquerade.c), not per pod by the bridge plugin's ipMasq. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "pfs/cni_conf.h"
#include "pfs/util.h"
#include "pfs/yval.h"

static bool conf_name(const char *name)
{
        const char *dot = strrchr(name, '.');

        return name[0] != '.' && dot &&
               (!strcmp(dot, ".conf") || !strcmp(dot, ".conflist") || !strcmp(dot, ".json"));
}

static int conf_filter(const struct dirent *d)
{
        return conf_name(d->d_name);
}

/* Root's, and writable by no other user (a directory with the sticky bit,
 * such as /tmp, may be: nobody else can replace what root has in it). */
static int stat_trusted(const char *path, const char *what, const char *shown, struct pfs_error *err)
{
        struct stat st;
        bool sticky_dir;

        if (stat(path, &st) < 0)
                return pfs_error_set(err, errno, "%s \"%s\": stat '%s': %s", what, shown, path, strerror(errno));
        sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX);
        if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
            (!sticky_dir && ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0))))
                return pfs_error_set(err, EPERM,
                                     "%s \"%s\" is not used: '%s' (owner %u, group %u, mode %04o) may be changed by "
                                     "users other than root",
                                     what, shown, path, (unsigned)st.st_uid, (unsigned)st.st_gid,
                                     (unsigned)(st.st_mode & 07777));
        return 0;
}

/* REAL (resolved) and every directory above it, to /. */
static int chain_trusted(char *real, const char *what, const char *shown, struct pfs_error *err)
{
        for (;;) {
                char *slash;
                int r = stat_trusted(real, what, shown, err);

                if (r < 0 || !strcmp(real, "/"))
                        return r;
                slash = strrchr(real, '/');
                if (slash == real)
                        slash[1] = '\0';
                else
                        *slash = '\0';
        }
}

int cni_path_trusted(const char *path, const char *what, struct pfs_error *err)
{
        _cleanup_free_ char *real = realpath(path, NULL), *named = xstrdup(path), *named_dir = NULL;
        char *slash = strrchr(named, '/');
        int r;

        if (!real)
                return pfs_error_set(err, errno, "%s \"%s\": %s", what, path, strerror(errno));
        /* where the name is (a symlink there could be swapped), and what it leads to */
        if (slash)
                *slash = '\0';
        named_dir = realpath(slash ? (*named ? named : "/") : ".", NULL);
        if (!named_dir)
                return pfs_error_set(err, errno, "%s \"%s\": %s", what, path, strerror(errno));
        r = chain_trusted(named_dir, what, path, err);
        return r < 0 ? r : chain_trusted(real, what, path, err);
}

int cni_conf_find(const char *dir, char **ret_path, struct pfs_error *err)
{
        struct dirent **names = NULL;
        int n = scandir(dir, &names, conf_filter, alphasort), r;

        *ret_path = NULL;
        for (int i = 0; i < n; i++) {
                char *path = xasprintf("%s/%s", dir, names[i]->d_name);
                struct stat st;

                if (!*ret_path && stat(path, &st) == 0 && S_ISREG(st.st_mode))
                        *ret_path = path;
                else
                        free(path);
                free(names[i]);
        }
        free(names);
        if (!*ret_path)
                return pfs_error_set(err, ENOENT, "no network config found in %s", dir);
        r = cni_path_trusted(*ret_path, "network config", err);
        if (r < 0) {
                free(*ret_path);
                *ret_path = NULL;
        }
        return r;
}

static int list_check(const struct yval *list, const char *path, struct pfs_error *err)
{
        const struct yval *plugins = yval_map_get(list, "plugins");

        if (!yval_get_str(list, "name", NULL) || !*yval_get_str(list, "name", ""))
                return pfs_error_set(err, EINVAL, "error parsing configuration list: no name (%s)", path);
        if (!plugins || plugins->type != YVAL_LIST || plugins->list.n == 0)
                return pfs_error_set(err, EINVAL, "error parsing configuration list: no 'plugins' key (%s)", path);
        for (size_t i = 0; i < plugins->list.n; i++)
                if (plugins->list.items[i]->type != YVAL_MAP || !yval_get_str(plugins->list.items[i], "type", NULL))
                        return pfs_error_set(err, EINVAL, "%s: plugins[%zu]: no 'type' key", path, i);
        return 0;
}

/* libcni's ConfListFromConf: a single plugin's config as a list of one. */
static struct yval *list_from_conf(struct yval *conf)
{
        struct yval *list = yval_new_map();

        yval_map_set(list, "cniVersion", yval_new_str(yval_get_str(conf, "cniVersion", "0.1.0")));
        yval_map_set(list, "name", yval_new_str(yval_get_str(conf, "name", "")));
        yval_list_push(yval_map_set(list, "plugins", yval_new_list()), conf);
        return list;
}

int cni_conf_load(const char *path, struct yval **ret_list, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct ydoc *docs = NULL;
        struct yval *v;
        size_t len, n = 0;
        int r;

        r = pfs_read_file_at(AT_FDCWD, path, &text, &len, err);
        if (r < 0)
                return r;
        r = yval_parse_stream(text, len, &docs, &n, err);
        if (r < 0)
                return pfs_error_wrap(err, "error parsing configuration %s", path);
        if (n != 1 || !docs[0].root || docs[0].root->type != YVAL_MAP) {
                ydoc_free_array(docs, n);
                return pfs_error_set(err, EINVAL, "error parsing configuration %s: not a JSON object", path);
        }
        v = docs[0].root;
        docs[0].root = NULL;
        ydoc_free_array(docs, n);
        if (!yval_map_get(v, "plugins"))
                v = list_from_conf(v);
        r = list_check(v, path, err);
        if (r < 0) {
                yval_free(v);
                return r;
        }
        *ret_list = v;
        return 0;
}

/* runtimeConfig: the keys of rtconf the plugin's "capabilities" enable. */
static struct yval *rtconf_for(const struct yval *plugin, const struct yval *rtconf)
{
        const struct yval *caps = yval_map_get(plugin, "capabilities");
        struct yval *out = NULL;

        if (!caps || caps->type != YVAL_MAP || !rtconf || rtconf->type != YVAL_MAP)
                return NULL;
        for (size_t i = 0; i < rtconf->map.n; i++) {
                const struct ymember *m = &rtconf->map.m[i];

                if (!yval_get_bool(caps, m->key, false))
                        continue;
                if (!out)
                        out = yval_new_map();
                yval_map_set(out, m->key, yval_clone(m->val));
        }
        return out;
}

char *cni_plugin_conf(const struct yval *list, size_t i, const struct yval *prev, const struct yval *rtconf,
                      size_t *ret_len)
{
        const struct yval *plugin = yval_map_get(list, "plugins")->list.items[i];
        struct yval *c = yval_clone(plugin), *rt = rtconf_for(plugin, rtconf);
        struct pfs_buf b = {0};

        yval_map_set(c, "name", yval_new_str(yval_get_str(list, "name", "")));
        yval_map_set(c, "cniVersion", yval_new_str(yval_get_str(list, "cniVersion", "0.1.0")));
        if (prev)
                yval_map_set(c, "prevResult", yval_clone(prev));
        if (rt)
                yval_map_set(c, "runtimeConfig", rt);
        yval_emit_json(c, false, &b);
        yval_free(c);
        pfs_buf_append(&b, "", 1);
        *ret_len = b.len - 1;
        return b.data;
}

char *cni_plugin_describe(const struct yval *list, size_t i)
{
        const struct yval *plugin = yval_map_get(list, "plugins")->list.items[i];
        const char *name = yval_get_str(plugin, "name", "");
        _cleanup_free_ char *t = pfs_go_quote(yval_get_str(plugin, "type", ""));
        _cleanup_free_ char *n = *name ? pfs_go_quote(name) : NULL;

        return n ? xasprintf("type=%s name=%s", t, n) : xasprintf("type=%s", t);
}

static const char default_conflist[] =
        "{\n"
        "  \"cniVersion\": \"1.0.0\",\n"
        "  \"name\": \"podfs\",\n"
        "  \"podfsMasquerade\": [\"10.85.0.0/16\"],\n"
        "  \"plugins\": [\n"
        "    {\n"
        "      \"type\": \"bridge\",\n"
        "      \"bridge\": \"podfs0\",\n"
        "      \"isGateway\": true,\n"
        "      \"ipMasq\": false,\n"
        "      \"hairpinMode\": true,\n"
        "      \"ipam\": {\n"
        "        \"type\": \"host-local\",\n"
        "        \"routes\": [{ \"dst\": \"0.0.0.0/0\" }],\n"
        "        \"ranges\": [[{ \"subnet\": \"10.85.0.0/16\", \"gateway\": \"10.85.0.1\" }]]\n"
        "      }\n"
        "    },\n"
        "    { \"type\": \"portmap\", \"capabilities\": { \"portMappings\": true } }\n"
        "  ]\n"
        "}\n";

int cni_conf_masquerade(const char *dir, char ***ret, struct pfs_error *err)
{
        _cleanup_free_ char *path = NULL;
        const struct yval *l;
        struct yval *list = NULL;
        size_t n = 0;
        int r;

        *ret = NULL;
        r = cni_conf_find(dir, &path, err);
        if (r >= 0)
                r = cni_conf_load(path, &list, err);
        if (r < 0)
                return r;
        l = yval_map_get(list, "podfsMasquerade");
        if (l && l->type != YVAL_LIST)
                l = NULL;
        *ret = xcalloc(l ? l->list.n + 1 : 1, sizeof(char *));
        for (size_t i = 0; l && i < l->list.n; i++) {
                const struct yval *v = l->list.items[i];

                if (v->type != YVAL_STRING) {
                        r = pfs_error_set(err, EINVAL, "%s: podfsMasquerade[%zu]: not a string", path, i);
                        break;
                }
                (*ret)[n++] = xstrdup(v->str.s);
        }
        yval_free(list);
        return r < 0 ? r : (int)n;
}

bool cni_conf_has_plugin(const char *dir, const char *type)
{
        _cleanup_free_ char *path = NULL;
        const struct yval *l;
        struct yval *list = NULL;
        bool found = false;

        if (cni_conf_find(dir, &path, NULL) < 0 || cni_conf_load(path, &list, NULL) < 0)
                return false;
        l = yval_map_get(list, "plugins");
        for (size_t i = 0; l && l->type == YVAL_LIST && i < l->list.n && !found; i++) {
                const struct yval *t = yval_map_get(l->list.items[i], "type");

                found = t && t->type == YVAL_STRING && !strcmp(t->str.s, type);
        }
        yval_free(list);
        return found;
}

int cni_conf_default_write(const char *dir, struct pfs_error *err)
{
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *found = NULL;
        int r;

        /* a config that is there but not used (cni_path_trusted) is no
         * reason to write ours beside it: the error says what to fix */
        r = cni_conf_find(dir, &found, err);
        if (r != -ENOENT)
                return r < 0 ? r : 0;
        pfs_error_clear(err);
        r = pfs_mkdir_p_at(AT_FDCWD, dir, 0755, err);
        if (r < 0)
                return r;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return pfs_error_set(err, errno, "open '%s'", dir);
        r = pfs_write_file_atomic_at(dfd, "podfs.conflist", default_conflist, sizeof(default_conflist) - 1, 0644,
                                     err);
        return r < 0 ? r : 1;
}
