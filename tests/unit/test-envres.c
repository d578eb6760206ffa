/* Unit tests of a container's environment from ConfigMaps, Secrets and the
 * downward API (envres.h), against objects built here: the kubelet's order,
 * prefixes, optional sources, $(VAR) expansion and its error messages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/envres.h"
#include "pfs/util.h"
#include "tap.h"

#define HDR "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: team\nspec:\n" \
            "  containers:\n  - name: app\n    image: busybox\n"

static struct pfs_object_item cm_items[] = {
        { .key = "bin", .value = (unsigned char *)"raw", .len = 3, .binary = true },
        { .key = "color", .value = (unsigned char *)"blue", .len = 4 },
        { .key = "size", .value = (unsigned char *)"$(COLOR)-xl", .len = 11 },
};
static struct pfs_object_item sec_items[] = {
        { .key = "password", .value = (unsigned char *)"s3cret", .len = 6 },
};
static struct pfs_object cm = { .kind = PFS_OBJ_CONFIGMAP, .name = "cfg", .items = cm_items, .n_items = 3 };
static struct pfs_object sec = { .kind = PFS_OBJ_SECRET, .name = "sec", .items = sec_items, .n_items = 1 };

static int fake_object(void *data, enum pfs_object_kind k, const char *name, const struct pfs_object **ret,
                       struct pfs_error *err)
{
        int *lookups = data;

        (*lookups)++;
        if (k == PFS_OBJ_CONFIGMAP && !strcmp(name, "cfg"))
                *ret = &cm;
        else if (k == PFS_OBJ_SECRET && !strcmp(name, "sec"))
                *ret = &sec;
        else if (!strcmp(name, "broken"))
                return pfs_error_set(err, EIO, "read broken: Input/output error");
        else
                return -ENOENT;
        return 0;
}

static int fake_field(void *data, const char *path, char **ret, struct pfs_error *err)
{
        *ret = xasprintf("<%s>", path);
        return 0;
}

static int fake_resource(void *data, const char *ctr, const char *res, const char *div, char **ret,
                         struct pfs_error *err)
{
        *ret = xasprintf("%s/%s/%s", ctr, res, div ? div : "-");
        return 0;
}

static int lookups;
static const struct pod_env_lookup lookup = {
        .object = fake_object, .field = fake_field, .resource = fake_resource, .data = &lookups,
};

static struct pod_spec *parse(const char *yaml)
{
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL, *s = NULL;
        size_t n = 0;

        if (pod_manifest_parse(yaml, strlen(yaml), "t.yaml", "team", NULL, &pods, &n, &err) == 0 && n == 1) {
                s = pods[0];
                free(pods);
        } else {
                fprintf(stderr, "# parse: %s\n", err.msg);
        }
        return s;
}

/* "K=V K=V" of the resolved list, or "ERROR: message". */
static char *resolve(const char *yaml)
{
        struct pod_spec *s = parse(yaml);
        struct pod_env_list env = { 0 };
        struct pfs_error err = { 0 };
        struct pfs_buf b = { 0 };

        pfs_buf_puts(&b, "");
        if (!s)
                return pfs_buf_steal(&b);
        if (pod_env_resolve(s, &s->containers[0], &lookup, &env, &err) < 0)
                pfs_buf_printf(&b, "ERROR: %s", err.msg);
        for (size_t i = 0; i < env.n; i++)
                pfs_buf_printf(&b, "%s%s=%s", i ? " " : "", env.v[i].name, env.v[i].value);
        pod_env_list_free(&env);
        pod_spec_free(s);
        return pfs_buf_steal(&b);
}

struct want {
        const char *yaml;
        const char *env;
        const char *what;
};

static const struct want cases[] = {
        { HDR "    envFrom:\n    - configMapRef: {name: cfg}\n    - {prefix: S_, secretRef: {name: sec}}\n",
          "color=blue size=$(COLOR)-xl S_password=s3cret", "envFrom: data only, prefix, values not expanded" },
        { HDR "    envFrom:\n    - configMapRef: {name: cfg}\n    env:\n    - {name: color, value: red}\n"
              "    - {name: X, value: \"$(color)$$(color)$$$(nope)$(\"}\n",
          "color=red size=$(COLOR)-xl X=red$(color)$$(nope)$(", "env replaces envFrom; $(VAR), $$, unknown kept" },
        { HDR "    env:\n    - {name: B, value: \"$(A)\"}\n    - {name: A, value: a}\n    - {name: C, value: \"$(A)$(B)\"}\n"
              "    - {name: P, value: \"$(PATH)\"}\n",
          "B=$(A) A=a C=a$(A) P=$(PATH)", "only variables defined before (no image env, no PATH)" },
        { HDR "    env:\n    - name: K\n      valueFrom: {configMapKeyRef: {name: cfg, key: size}}\n"
              "    - name: S\n      valueFrom: {secretKeyRef: {name: sec, key: password}}\n",
          "K=$(COLOR)-xl S=s3cret", "keyRefs: values as stored, never expanded" },
        { HDR "    env:\n    - name: N\n      valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}\n"
              "    - name: H\n      valueFrom: {fieldRef: {fieldPath: spec.host}}\n"
              "    - name: M\n      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}\n"
              "    - name: C\n      valueFrom: {resourceFieldRef: {containerName: other, resource: requests.cpu}}\n",
          "N=<metadata.labels['app']> H=<spec.nodeName> M=app/limits.memory/1Mi C=other/requests.cpu/-",
          "downward API through the lookups" },
        { HDR "    envFrom:\n    - configMapRef: {name: gone, optional: true}\n"
              "    env:\n    - name: A\n      valueFrom: {configMapKeyRef: {name: cfg, key: nope, optional: true}}\n"
              "    - name: B\n      valueFrom: {secretKeyRef: {name: gone, key: k, optional: true}}\n"
              "    - name: C\n      valueFrom: {configMapKeyRef: {name: cfg, key: bin, optional: true}}\n",
          "", "optional sources that are missing define nothing" },
        { HDR "    env:\n    - name: A\n      valueFrom: {configMapKeyRef: {name: gone, key: k}}\n",
          "ERROR: configmap \"gone\" not found", "missing ConfigMap" },
        { HDR "    envFrom:\n    - secretRef: {name: gone}\n", "ERROR: secret \"gone\" not found", "missing Secret" },
        { HDR "    env:\n    - name: A\n      valueFrom: {configMapKeyRef: {name: cfg, key: nope}}\n",
          "ERROR: couldn't find key nope in ConfigMap team/cfg", "missing ConfigMap key" },
        { HDR "    env:\n    - name: A\n      valueFrom: {configMapKeyRef: {name: cfg, key: bin}}\n",
          "ERROR: couldn't find key bin in ConfigMap team/cfg", "binaryData is not data" },
        { HDR "    env:\n    - name: A\n      valueFrom: {secretKeyRef: {name: sec, key: nope}}\n",
          "ERROR: couldn't find key nope in Secret team/sec", "missing Secret key" },
        { HDR "    envFrom:\n    - configMapRef: {name: broken, optional: true}\n",
          "ERROR: read broken: Input/output error", "an error other than not found is one even when optional" },
};

static void test_cases(void)
{
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *got = resolve(cases[i].yaml);

                tap_is_str(got, cases[i].env, cases[i].what);
                free(got);
        }
}

static void test_expand(void)
{
        struct pod_env_list env = { 0 };
        char *s;

        pod_env_set(&env, "A", "x");
        pod_env_set(&env, "A", "y");
        tap_ok(env.n == 1 && !strcmp(pod_env_get(&env, "A", 1), "y"), "set replaces");
        s = pod_env_expand(&env, "$(A)$$(A)$$$$(A)$(A$()$");
        tap_is_str(s, "y$(A)$$(A)$(A$()$", "expansion edge cases");
        free(s);
        pod_env_list_free(&env);
}

int main(void)
{
        test_cases();
        test_expand();
        return tap_done();
}
