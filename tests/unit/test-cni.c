/* Unit tests of the pod network's configuration (common/cni_conf.c): which
 * file of the directory is the network, a .conf wrapped as a list, each
 * plugin's stdin (name, cniVersion, prevResult, runtimeConfig filtered by the
 * plugin's capabilities), and the default network. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pfs/cni_conf.h"
#include "pfs/util.h"
#include "pfs/yval.h"
#include "tap.h"

static char dir[] = "/tmp/podfs-test-cni.XXXXXX";

static void put(const char *name, const char *text)
{
        char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        fputs(text, f);
        fclose(f);
}

static struct yval *parse(const char *s, size_t len)
{
        struct ydoc *docs = NULL;
        size_t n = 0;
        struct yval *v = NULL;

        if (yval_parse_stream(s, len, &docs, &n, NULL) == 0 && n == 1) {
                v = docs[0].root;
                docs[0].root = NULL;
        }
        ydoc_free_array(docs, n);
        return v;
}

/* The default network (the only config of dir): its subnet's masquerade. */
static void test_masquerade(void)
{
        struct pfs_error err = {0};
        char **subnets = NULL;
        int n = cni_conf_masquerade(dir, &subnets, &err);

        tap_ok(n == 1 && subnets && !strcmp(subnets[0], "10.85.0.0/16") && !subnets[1],
               "the default network lists its subnet under podfsMasquerade");
        for (int i = 0; subnets && subnets[i]; i++)
                free(subnets[i]);
        free(subnets);
}

static void test_find(void)
{
        struct pfs_error err = {0};
        char *path = NULL;

        tap_ok(cni_conf_find(dir, &path, &err) < 0 && strstr(err.msg, "no network config found in "),
               "an empty dir has no network (%s)", err.msg);
        tap_ok(cni_conf_default_write(dir, &err) == 1, "the default network is written into it");
        tap_ok(cni_conf_default_write(dir, &err) == 0, "and only once");
        test_masquerade();
        put("10-b.conflist", "{\"cniVersion\": \"1.0.0\", \"name\": \"b\", \"plugins\": [{\"type\": \"bridge\"}]}");
        put("05-a.conf", "{\"cniVersion\": \"0.4.0\", \"name\": \"a\", \"type\": \"ptp\"}");
        put("01-x.txt", "not a config");
        tap_ok(cni_conf_find(dir, &path, &err) == 0 && strstr(path, "/05-a.conf"),
               "the first *.conf/*.conflist/*.json by name is the network");
        free(path);
        {
                char **subnets = NULL;

                tap_ok(cni_conf_masquerade(dir, &subnets, &err) == 0 && subnets && !subnets[0],
                       "a network without podfsMasquerade: no masquerade of podfs's");
                free(subnets);
        }
}

static void test_load(void)
{
        struct pfs_error err = {0};
        struct yval *l = NULL;
        char path[256];

        snprintf(path, sizeof(path), "%s/05-a.conf", dir);
        tap_ok(cni_conf_load(path, &l, &err) == 0, "a .conf loads");
        tap_ok(l && !strcmp(yval_get_str(l, "name", ""), "a") && !strcmp(yval_get_str(l, "cniVersion", ""), "0.4.0") &&
                       yval_map_get(l, "plugins")->list.n == 1,
               "as a list of one, with its name and version");
        yval_free(l);
        put("bad.conflist", "{\"cniVersion\": \"1.0.0\", \"name\": \"x\", \"plugins\": [{\"bridge\": \"y\"}]}");
        snprintf(path, sizeof(path), "%s/bad.conflist", dir);
        tap_ok(cni_conf_load(path, &l, &err) < 0 && strstr(err.msg, "plugins[0]: no 'type' key"),
               "a plugin without type is refused (%s)", err.msg);
        snprintf(path, sizeof(path), "%s/podfs.conflist", dir);
        l = NULL;
        tap_ok(cni_conf_load(path, &l, &err) == 0 && l, "the default network loads");
        yval_free(l);
}

static void test_plugin_conf(void)
{
        static const char list_s[] =
                "{\"cniVersion\": \"1.0.0\", \"name\": \"net\", \"plugins\": ["
                "{\"type\": \"bridge\", \"mtu\": 1500, \"isGateway\": true},"
                "{\"type\": \"portmap\", \"capabilities\": {\"portMappings\": true}}]}";
        struct yval *list = parse(list_s, strlen(list_s));
        static const char prev_s[] = "{\"ips\": [{\"address\": \"10.0.0.2/24\"}]}";
        static const char rt_s[] = "{\"portMappings\": [{\"hostPort\": 80}], \"bandwidth\": {}}";
        struct yval *prev = parse(prev_s, strlen(prev_s)), *rt = parse(rt_s, strlen(rt_s));
        size_t len;
        char *c0 = cni_plugin_conf(list, 0, NULL, rt, &len);
        char *c1 = cni_plugin_conf(list, 1, prev, rt, &len);
        struct yval *v0 = parse(c0, strlen(c0)), *v1 = parse(c1, len);

        tap_ok(v0 && !strcmp(yval_get_str(v0, "name", ""), "net") && !strcmp(yval_get_str(v0, "cniVersion", ""), "1.0.0") &&
                       yval_get_int(v0, "mtu", 0) == 1500 && yval_get_bool(v0, "isGateway", false),
               "a plugin's config gets the list's name and cniVersion, keeps its own keys and types");
        tap_ok(v0 && !yval_map_get(v0, "prevResult") && !yval_map_get(v0, "runtimeConfig"),
               "the first plugin: no prevResult, no runtimeConfig without capabilities");
        tap_ok(v1 && yval_map_get(v1, "prevResult") &&
                       yval_map_get(yval_map_get(v1, "runtimeConfig"), "portMappings") &&
                       !yval_map_get(yval_map_get(v1, "runtimeConfig"), "bandwidth"),
               "the next: prevResult, and only the runtimeConfig its capabilities ask for");
        free(c0);
        free(c1);
        yval_free(v0);
        yval_free(v1);
        yval_free(list);
        yval_free(prev);
        yval_free(rt);
}

/* libcni's pluginDescription, the plugin's part of an ADD or DEL error. */
static void test_describe(void)
{
        static const char list_s[] =
                "{\"cniVersion\": \"1.0.0\", \"name\": \"net\", \"plugins\": ["
                "{\"type\": \"bridge\"}, {\"type\": \"tuning\", \"name\": \"my \\\"t\\\"\"}]}";
        struct yval *list = parse(list_s, strlen(list_s)), *conf = NULL;
        struct pfs_error err = {0};
        char path[256], *d;

        d = cni_plugin_describe(list, 0);
        tap_is_str(d, "type=\"bridge\"", "a conflist's plugin without a name: its type");
        free(d);
        d = cni_plugin_describe(list, 1);
        tap_is_str(d, "type=\"tuning\" name=\"my \\\"t\\\"\"", "one with a name of its own: both, Go-quoted");
        free(d);
        snprintf(path, sizeof(path), "%s/05-a.conf", dir);
        d = cni_conf_load(path, &conf, &err) == 0 ? cni_plugin_describe(conf, 0) : NULL;
        tap_is_str(d, "type=\"ptp\" name=\"a\"", "a single plugin's .conf keeps its name in the plugin: both");
        free(d);
        yval_free(conf);
        yval_free(list);
}

int main(void)
{
        char cmd[300];

        if (!mkdtemp(dir))
                return 1;
        test_find();
        test_load();
        test_plugin_conf();
        test_describe();
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                tap_ok(false, "remove %s", dir);
        return tap_done();
}
