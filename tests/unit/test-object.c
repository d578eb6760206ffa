/* Unit tests for ConfigMaps, Secrets and claims: decoding and the API
 * server's validation messages, base64, the immutable rules, the manifest
 * of several kinds, and the store in a temp state dir. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "pfs/object.h"
#include "pfs/util.h"
#include "tap.h"

/* Parse one document; the error message ("" when accepted). */
static char *parse_msg(const char *yaml, struct pfs_object **ret)
{
        struct pfs_manifest m = { 0 };
        struct pfs_error err = { 0 };
        int r = pfs_manifest_parse(yaml, strlen(yaml), "x.yaml", "default", &m, &err);

        if (r < 0)
                return xstrdup(err.msg);
        if (ret && m.n_objects == 1)
                *ret = steal_ptr(&m.objects[0]);
        pfs_manifest_free(&m);
        return xstrdup("");
}

static void is_msg(const char *yaml, const char *want, const char *name)
{
        _cleanup_free_ char *got = parse_msg(yaml, NULL);

        tap_is_str(got, want, name);
}

#define CM "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"
#define SECRET "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
#define PVC "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n"
#define KEY_MSG "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. " \
        "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"

static void test_configmap(void)
{
        struct pfs_object *o = NULL;
        _cleanup_free_ char *msg = parse_msg(CM "data:\n  a: \"1\"\n  b: two\nbinaryData:\n  c: aGVsbG8=\n", &o);
        const struct pfs_object_item *it;

        tap_is_str(msg, "", "configmap: accepted");
        tap_ok(o && o->n_items == 3, "configmap: 3 items");
        it = o ? pfs_object_item(o, "c") : NULL;
        tap_ok(it && it->binary && it->len == 5 && !memcmp(it->value, "hello", 5), "configmap: binaryData decoded");
        tap_is_str(o ? o->namespace : NULL, "default", "configmap: namespace from the directory");
        pfs_object_free(o);
        is_msg(CM "data:\n  a b: x\n", "x.yaml: line 6: ConfigMap \"app\" is invalid: data[a b]: Invalid value: "
               "\"a b\": " KEY_MSG, "configmap: bad key");
        is_msg(CM "data:\n  ..a: x\n", "x.yaml: line 6: ConfigMap \"app\" is invalid: data[..a]: Invalid value: "
               "\"..a\": must not start with '..'", "configmap: key starting with ..");
        is_msg(CM "data:\n  .: x\n", "x.yaml: line 6: ConfigMap \"app\" is invalid: data[.]: Invalid value: "
               "\".\": must not be '.'", "configmap: key .");
        is_msg(CM "data:\n  k: x\nbinaryData:\n  k: eA==\n",
               "x.yaml: line 6: ConfigMap \"app\" is invalid: [data[k]: Invalid value: \"k\": duplicate of key "
               "present in binaryData, binaryData[k]: Invalid value: \"k\": duplicate of key present in data]",
               "configmap: key in data and binaryData");
        is_msg(CM "data:\n  k: x\nextra: 1\n", "x.yaml: line 7: ConfigMap \"app\" is invalid: unknown field \"extra\"",
               "configmap: unknown field");
        is_msg("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: App\n",
               "x.yaml: line 4: ConfigMap \"App\" is invalid: metadata.name: Invalid value: \"App\": a lowercase "
               "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
               "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
               "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')", "configmap: bad name");
        is_msg(CM "  namespace: other\n", "x.yaml: line 5: ConfigMap \"app\" is invalid: metadata.namespace: "
               "Invalid value: \"other\": the namespace of the object does not match the namespace of the "
               "directory it was written to (default)", "configmap: other namespace");
        is_msg(CM "data:\n  n: 3\n", "x.yaml: line 6: ConfigMap \"app\" is invalid: data[n]: Invalid value: 3: "
               "must be a string", "configmap: a number as a value");
}

static void test_size(void)
{
        size_t n = PFS_OBJECT_MAX_DATA / 2 + 10;
        struct pfs_object *o = pfs_object_new(PFS_OBJ_CONFIGMAP, "default", "big");
        char *v = xmalloc(n);
        struct pfs_error err = { 0 };

        memset(v, 'x', n);
        pfs_object_item_set(o, "a", v, n, false);
        tap_is_int(pfs_object_validate(o, &err), 0, "size: half the limit is fine");
        pfs_object_item_set(o, "b", v, n, false);
        tap_is_int(pfs_object_validate(o, &err), -EFBIG, "size: over 1 MiB is EFBIG");
        tap_is_str(err.msg, "ConfigMap \"big\" is invalid: []: Too long: must have at most 1048576 bytes",
                   "size: the API server's message");
        o->kind = PFS_OBJ_SECRET;
        pfs_object_validate(o, &err);
        tap_is_str(err.msg, "Secret \"big\" is invalid: data: Too long: must have at most 1048576 bytes",
                   "size: a Secret's message");
        free(v);
        pfs_object_free(o);
}

static void test_secret(void)
{
        struct pfs_object *o = NULL;
        _cleanup_free_ char *msg = parse_msg(SECRET "data:\n  user: YWRtaW4=\n  pw: b2xk\nstringData:\n  pw: s3cr3t\n", &o);
        const struct pfs_object_item *it = o ? pfs_object_item(o, "pw") : NULL;

        tap_is_str(msg, "", "secret: accepted");
        tap_ok(it && it->len == 6 && !memcmp(it->value, "s3cr3t", 6), "secret: stringData wins over data");
        it = o ? pfs_object_item(o, "user") : NULL;
        tap_ok(it && it->len == 5 && !memcmp(it->value, "admin", 5), "secret: data decoded");
        tap_is_str(o ? o->type : NULL, "Opaque", "secret: type defaults to Opaque");
        pfs_object_free(o);
        is_msg(SECRET "data:\n  pw: not*base64\n", "x.yaml: line 6: Secret in version \"v1\" cannot be handled as a "
               "Secret: illegal base64 data at input byte 3", "secret: bad base64");
        is_msg(SECRET "data:\n  pw: abc\n", "x.yaml: line 6: Secret in version \"v1\" cannot be handled as a "
               "Secret: illegal base64 data at input byte 0", "secret: base64 without padding");
        is_msg(SECRET "type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: nope-s3cr3t\n",
               "x.yaml: line 5: Secret \"s\" is invalid: data[.dockerconfigjson]: Invalid value: \"<secret contents "
               "redacted>\": invalid character 'o' in literal null (expecting 'u')", "secret: dockerconfigjson not JSON");
        is_msg(SECRET "type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: s3cr3t\n",
               "x.yaml: line 5: Secret \"s\" is invalid: data[.dockerconfigjson]: Invalid value: \"<secret contents "
               "redacted>\": invalid character 's' looking for beginning of value", "secret: dockerconfigjson not JSON (2)");
        is_msg(SECRET "type: kubernetes.io/dockerconfigjson\n", "x.yaml: line 5: Secret \"s\" is invalid: "
               "data[.dockerconfigjson]: Required value", "secret: dockerconfigjson without its key");
        is_msg(SECRET "type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\":{}}'\n", "",
               "secret: dockerconfigjson with JSON");
        is_msg(SECRET "type: kubernetes.io/tls\nstringData:\n  tls.crt: x\n", "x.yaml: line 5: Secret \"s\" is "
               "invalid: data[tls.key]: Required value", "secret: tls without its key");
        is_msg(SECRET "type: kubernetes.io/basic-auth\n", "x.yaml: line 5: Secret \"s\" is invalid: "
               "[data[username]: Required value, data[password]: Required value]", "secret: basic-auth");
        is_msg(SECRET "type: kubernetes.io/ssh-auth\n", "x.yaml: line 5: Secret \"s\" is invalid: "
               "data[ssh-privatekey]: Required value", "secret: ssh-auth");
        is_msg(SECRET "type: kubernetes.io/service-account-token\n", "x.yaml: line 5: Secret \"s\" is invalid: "
               "metadata.annotations[kubernetes.io/service-account.name]: Required value", "secret: sa token");
        is_msg(SECRET "data: s3cr3t\n", "x.yaml: line 5: Secret \"s\" is invalid: data: Invalid value: must be an "
               "object", "secret: data not a map, not shown");
        is_msg(SECRET "data:\n  pw: 3\n", "x.yaml: line 6: Secret \"s\" is invalid: data[pw]: Invalid value: must "
               "be a string", "secret: a number, its value not shown");
}

static void test_pvc(void)
{
        struct pfs_object *o = NULL;
        _cleanup_free_ char *msg = parse_msg(PVC "spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n"
                                             "    requests:\n      storage: 1Gi\n", &o);
        struct pfs_buf b = { 0 };
        struct yval *v;

        tap_is_str(msg, "", "pvc: accepted");
        tap_is_str(o ? yval_get_str(o->pvc_spec, "volumeMode", NULL) : NULL, "Filesystem", "pvc: volumeMode default");
        v = o ? pfs_object_to_yval(o, false) : NULL;
        yval_emit_json(yval_map_get(v, "status"), false, &b);
        tap_is_str(b.data, "{\"accessModes\":[\"ReadWriteOnce\"],\"capacity\":{\"storage\":\"1Gi\"},\"phase\":\"Bound\"}",
                   "pvc: status Bound");
        pfs_buf_free(&b);
        yval_free(v);
        pfs_object_free(o);
        is_msg(PVC "spec:\n  resources:\n    requests:\n      storage: 1Gi\n", "x.yaml: line 5: PersistentVolumeClaim "
               "\"data\" is invalid: spec.accessModes: Required value: at least 1 access mode is required",
               "pvc: no access mode");
        is_msg(PVC "spec:\n  accessModes: [ReadWriteAlways]\n  resources:\n    requests:\n      storage: 1Gi\n",
               "x.yaml: line 6: PersistentVolumeClaim \"data\" is invalid: spec.accessModes: Unsupported value: "
               "\"ReadWriteAlways\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", "
               "\"ReadWriteOncePod\"", "pvc: bad access mode");
        is_msg(PVC "spec:\n  accessModes: [ReadWriteOnce]\n", "x.yaml: line 5: PersistentVolumeClaim \"data\" is "
               "invalid: spec.resources[storage]: Required value", "pvc: no storage");
        is_msg(PVC "spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: \"0\"\n",
               "x.yaml: line 9: PersistentVolumeClaim \"data\" is invalid: spec.resources[storage]: Invalid value: "
               "\"0\": must be greater than zero", "pvc: zero storage");
        is_msg(PVC "spec:\n  accessModes: [ReadWriteOnce]\n  volumeMode: Disk\n  resources:\n    requests:\n"
               "      storage: 1Gi\n", "x.yaml: line 7: PersistentVolumeClaim \"data\" is invalid: spec.volumeMode: "
               "Unsupported value: \"Disk\": supported values: \"Block\", \"Filesystem\"", "pvc: bad volumeMode");
}

static void test_update(void)
{
        struct pfs_object *a = pfs_object_new(PFS_OBJ_SECRET, "default", "s"), *b;
        struct pfs_error err = { 0 };

        pfs_object_item_set(a, "k", "v", 1, false);
        a->immutable = true;
        b = pfs_object_clone(a);
        tap_ok(pfs_object_same(a, b), "update: a clone is the same");
        tap_is_int(pfs_object_validate_update(a, b, &err), 0, "update: same data of an immutable Secret");
        pfs_object_item_set(b, "k", "w", 1, false);
        tap_is_int(pfs_object_validate_update(a, b, &err), -EPERM, "update: immutable data: EPERM");
        tap_is_str(err.msg, "Secret \"s\" is invalid: data: Forbidden: field is immutable when `immutable` is set",
                   "update: immutable message");
        pfs_object_item_set(b, "k", "v", 1, false);
        b->immutable = false;
        pfs_object_validate_update(a, b, &err);
        tap_is_str(err.msg, "Secret \"s\" is invalid: immutable: Forbidden: field is immutable when `immutable` is set",
                   "update: immutable cannot be unset");
        b->immutable = true;
        free(b->type);
        b->type = xstrdup("kubernetes.io/tls");
        pfs_object_validate_update(a, b, &err);
        tap_is_str(err.msg, "Secret \"s\" is invalid: type: Invalid value: \"kubernetes.io/tls\": field is immutable",
                   "update: a Secret's type");
        pfs_object_free(a);
        pfs_object_free(b);
}

static struct yval *requests_of(struct pfs_object *o)
{
        return (struct yval *)yval_map_get(yval_map_get(o->pvc_spec, "resources"), "requests");
}

static void test_pvc_update(void)
{
        static const char *const y = PVC "spec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n"
                                     "      storage: 2Gi\n";
        struct pfs_object *a = NULL, *b;
        struct pfs_error err = { 0 };
        _cleanup_free_ char *msg = parse_msg(y, &a);

        tap_is_str(msg, "", "pvc update: the claim");
        if (!a)
                return;
        b = pfs_object_clone(a);
        yval_map_set(requests_of(b), "storage", yval_new_str("3Gi"));
        tap_is_int(pfs_object_validate_update(a, b, &err), 0, "pvc update: a larger request is fine");
        yval_map_set(requests_of(b), "storage", yval_new_str("1Gi"));
        tap_is_int(pfs_object_validate_update(a, b, &err), -EPERM, "pvc update: a smaller request: EPERM");
        tap_is_str(err.msg, "PersistentVolumeClaim \"data\" is invalid: spec.resources.requests.storage: Forbidden: "
                   "field can not be less than previous value", "pvc update: the API's message");
        pfs_object_free(b);
        b = pfs_object_clone(a);
        yval_map_set(b->pvc_spec, "accessModes", yval_new_list());
        yval_list_push((struct yval *)yval_map_get(b->pvc_spec, "accessModes"), yval_new_str("ReadWriteMany"));
        tap_is_int(pfs_object_validate_update(a, b, &err), -EPERM, "pvc update: other access modes: EPERM");
        tap_is_str(err.msg, "PersistentVolumeClaim \"data\" is invalid: spec: Forbidden: spec is immutable after "
                   "creation except resources.requests and volumeAttributesClassName for bound claims",
                   "pvc update: spec is immutable");
        pfs_object_free(a);
        pfs_object_free(b);
}

static void test_no_secret_values(void)
{
        _cleanup_free_ char *m1 = parse_msg(SECRET "type: kubernetes.io/dockercfg\nstringData:\n  .dockercfg: "
                                            "TOPSECRET\n", NULL);
        _cleanup_free_ char *m2 = parse_msg(SECRET "data:\n  k: TOPSECRET\n", NULL);
        _cleanup_free_ char *m3 = parse_msg(SECRET "stringData:\n  k: [TOPSECRET]\n", NULL);

        tap_ok(*m1 && !strstr(m1, "TOPSECRET"), "secret: a bad .dockercfg is not quoted (%s)", m1);
        tap_ok(*m2 && !strstr(m2, "TOPSECRET"), "secret: bad base64 is not quoted (%s)", m2);
        tap_ok(*m3 && !strstr(m3, "TOPSECRET"), "secret: a value of a wrong type is not quoted (%s)", m3);
}

static void test_base64(void)
{
        unsigned char *d = NULL;
        size_t len = 0, bad = 99;
        char *e = pfs_base64_encode((const unsigned char *)"hello!!", 7);

        tap_is_str(e, "aGVsbG8hIQ==", "base64: encode");
        tap_is_int(pfs_base64_decode(e, strlen(e), &d, &len, &bad), 0, "base64: decode");
        tap_ok(len == 7 && !memcmp(d, "hello!!", 7), "base64: roundtrip");
        free(d);
        tap_is_int(pfs_base64_decode("aGVs\nbG8=", 9, &d, &len, &bad), 0, "base64: newlines ignored");
        free(d);
        tap_is_int(pfs_base64_decode("aG=s", 4, &d, &len, &bad), -EINVAL, "base64: padding inside");
        tap_is_int((long long)bad, 3, "base64: offset of the error");
        free(e);
}

static void test_store(void)
{
        char tmpl[] = "/tmp/test-object-XXXXXX";
        const char *dir = mkdtemp(tmpl);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct pfs_object *o = pfs_object_new(PFS_OBJ_SECRET, "default", "s"), *got = NULL;
        struct pfs_error err = { 0 };
        char **names = NULL;
        size_t n = 0;
        int cfd;

        pfs_object_item_set(o, "bin", "\0\1\2", 3, false);
        o->owner = 1000;
        o->group = 100;
        tap_is_int(pfs_object_write_at(fd, o, &err), 0, "store: write");
        tap_is_int(pfs_object_read_at(fd, PFS_OBJ_SECRET, "default", "s", &got, &err), 0, "store: read");
        tap_ok(got && pfs_object_same(o, got) && !strcmp(got->uid, o->uid) && got->owner == 1000 &&
               got->group == 100 && got->creation_ns / 1000000000 == o->creation_ns / 1000000000,
               "store: roundtrip");
        pfs_object_free(got);
        tap_is_int(pfs_object_list_at(fd, PFS_OBJ_SECRET, "default", &names, &n, &err), 0, "store: list");
        tap_ok(n == 1 && !strcmp(names[0], "s"), "store: list names the object");
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        tap_is_int(pfs_object_list_at(fd, PFS_OBJ_PVC, "default", &names, &n, &err), 0, "store: list of none");
        tap_is_int((long long)n, 0, "store: no claims");
        free(names);
        tap_is_int(pfs_object_remove_at(fd, PFS_OBJ_SECRET, "default", "s", &err), 0, "store: remove");
        tap_is_int(pfs_object_read_at(fd, PFS_OBJ_SECRET, "default", "s", &got, &err), -ENOENT, "store: gone");
        cfd = pfs_claim_dir_open_at(fd, "default", "data", true, &err);
        tap_ok(cfd >= 0, "store: claim dir made");
        close(cfd);
        tap_is_int(pfs_claim_dir_open_at(fd, "default", "data", false, &err) >= 0, 1, "store: claim dir found");
        tap_is_int(pfs_claim_dir_remove_at(fd, "default", "data", &err), 0, "store: claim dir removed");
        tap_is_int(pfs_claim_dir_open_at(fd, "default", "data", false, &err), -ENOENT, "store: claim dir gone");
        pfs_object_free(o);
        pfs_rm_rf_at(AT_FDCWD, dir, NULL);
        close(fd);
}

static void test_manifest(void)
{
        static const char *const y = CM "---\n" SECRET "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
                                     "spec:\n  containers:\n  - name: c\n    image: busybox\n";
        struct pfs_manifest m = { 0 };
        struct pfs_error err = { 0 };

        tap_is_int(pfs_manifest_parse(y, strlen(y), "x.yaml", "default", &m, &err), 0, "manifest: mixed kinds");
        tap_ok(m.n_pods == 1 && m.n_objects == 2, "manifest: one pod, two objects");
        pfs_manifest_free(&m);
        is_msg("apiVersion: v1\nkind: Deployment\nmetadata:\n  name: x\n", "x.yaml: line 2: Deployment \"x\" is invalid: kind: "
               "Unsupported value: \"Deployment\": supported values: \"ConfigMap\", \"Namespace\", "
               "\"PersistentVolumeClaim\", \"Pod\", \"Secret\"", "manifest: another kind lists the kinds accepted");
        is_msg("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n", "x.yaml: line 4: Namespace \"x\" is invalid: "
               "metadata.name: Invalid value: \"x\": a Namespace manifest applies to the namespace it is written into",
               "manifest: a Namespace names the namespace it is written into");
        is_msg("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: default\n  labels:\n"
               "    pod-security.kubernetes.io/enforce: strict\n", "x.yaml: line 6: Namespace \"default\" is invalid: "
               "metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of "
               "privileged, baseline, restricted", "manifest: a Pod Security level is checked");
        is_msg(CM "---\n" CM, "x.yaml: line 9: ConfigMap \"app\" is invalid: metadata.name: Duplicate value: \"app\": the "
               "document at line 1 has the same name", "manifest: the same object twice");
}

int main(void)
{
        test_configmap();
        test_size();
        test_secret();
        test_pvc();
        test_update();
        test_pvc_update();
        test_no_secret_values();
        test_base64();
        test_store();
        test_manifest();
        return tap_done();
}
