/* metadata.generation (generation.c): which updates count, the spec digest
 * (one spec, one digest, whatever its spelling), the recovery of an update a
 * daemon died in the middle of (counted once), and the kubelet's
 * ResizeCompleted message. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pfs/generation.h"
#include "pfs/spec.h"
#include "pfs/store.h"
#include "pfs/util.h"
#include "tap.h"

static struct pod_spec *parse(const char *yaml)
{
        struct pfs_error err = { 0 };
        struct pod_spec **pods = NULL, *s;
        size_t n = 0;

        if (pod_manifest_parse(yaml, strlen(yaml), "t.yaml", "default", NULL, &pods, &n, &err) < 0) {
                printf("# unexpected error: %s\n", err.msg);
                return NULL;
        }
        s = pods[0];
        pods[0] = NULL;
        pod_spec_free_array(pods, n);
        return s;
}

#define HEAD "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
#define BASE HEAD "spec:\n  containers:\n  - name: c\n    image: busybox\n" \
        "    resources:\n      requests: {cpu: 100m, memory: 64Mi}\n      limits: {cpu: 200m, memory: 128Mi}\n"
#define LABELED HEAD "  labels: {app: x}\n  annotations: {a: b}\nspec:\n  containers:\n  - name: c\n    image: busybox\n" \
        "    resources:\n      requests: {cpu: 100m, memory: 64Mi}\n      limits: {cpu: 200m, memory: 128Mi}\n"
/* the same spec spelled otherwise: key order, quantity spellings */
#define RESPELLED HEAD "spec:\n  containers:\n  - image: busybox\n    name: c\n" \
        "    resources:\n      limits: {memory: 134217728, cpu: \"0.2\"}\n      requests: {memory: 64Mi, cpu: 100m}\n"
#define RESIZED HEAD "spec:\n  containers:\n  - name: c\n    image: busybox\n" \
        "    resources:\n      requests: {cpu: 150m, memory: 64Mi}\n      limits: {cpu: 200m, memory: 128Mi}\n"
#define DEADLINE HEAD "spec:\n  activeDeadlineSeconds: 60\n  containers:\n  - name: c\n    image: busybox\n" \
        "    resources:\n      requests: {cpu: 100m, memory: 64Mi}\n      limits: {cpu: 200m, memory: 128Mi}\n"

static void test_bumps(void)
{
        struct pod_spec *a = parse(BASE), *l = parse(LABELED), *r = parse(RESIZED), *d = parse(DEADLINE);
        struct pod_spec *sp = parse(RESPELLED);
        char ha[65], hl[65], hr[65], hs[65];

        tap_ok(a && l && r && d && sp, "specs parse");
        if (!a || !l || !r || !d || !sp)
                return;
        tap_ok(!pod_spec_update_bumps_generation(a, l), "labels and annotations: same generation");
        tap_ok(pod_spec_update_bumps_generation(a, r), "a resize: a new generation");
        tap_ok(pod_spec_update_bumps_generation(a, d), "activeDeadlineSeconds: a new generation");
        tap_ok(!pod_spec_update_bumps_generation(a, sp), "the same spec spelled otherwise: same generation");
        pod_spec_generation_hash(a, ha);
        pod_spec_generation_hash(l, hl);
        pod_spec_generation_hash(r, hr);
        pod_spec_generation_hash(sp, hs);
        tap_is_int((long long)strlen(ha), 64, "hash: 64 hex digits");
        tap_is_str(hl, ha, "hash: metadata left out");
        tap_is_str(hs, ha, "hash: key order and quantity spellings left out");
        tap_ok(strcmp(hr, ha) != 0, "hash: a resize changes it");
        pod_spec_free(a);
        pod_spec_free(l);
        pod_spec_free(r);
        pod_spec_free(d);
        pod_spec_free(sp);
}

static void put(int dfd, const char *name, const char *text)
{
        struct pfs_error err = { 0 };

        if (pfs_write_file_atomic_at(dfd, name, text, strlen(text), 0600, &err) < 0)
                printf("# write %s: %s\n", name, err.msg);
}

/* meta written for spec text `was` (generation gen), then spec.yaml := now. */
static int recover(int dfd, const char *was, const char *now, int64_t gen, int64_t *ret_gen)
{
        struct pod_spec *s = parse(was);
        struct pod_meta m = { .namespace = (char *)"default", .name = (char *)"p", .generation = gen };
        struct pod_meta *got = NULL;
        struct pfs_error err = { 0 };
        int r;

        strcpy(m.uid, "u-1");
        pod_meta_set_spec(&m, s);
        pod_spec_free(s);
        pod_meta_write_at(dfd, &m, &err);
        put(dfd, "spec.yaml", now);
        pod_meta_read_at(dfd, &got, &err);
        r = pod_generation_recover(dfd, got, &err);
        pod_meta_free(got);
        got = NULL;
        /* a second start finds meta up to date */
        pod_meta_read_at(dfd, &got, &err);
        if (pod_generation_recover(dfd, got, &err) != 0)
                r = -100;
        *ret_gen = got->generation;
        pod_meta_free(got);
        return r;
}

static void test_recover(int dfd)
{
        int64_t gen = 0;

        tap_is_int(recover(dfd, BASE, BASE, 3, &gen), 0, "recover: spec.yaml as meta says: nothing");
        tap_is_int(gen, 3, "recover: ... generation kept");
        tap_is_int(recover(dfd, BASE, RESIZED, 3, &gen), 1, "recover: a resize meta missed: counted");
        tap_is_int(gen, 4, "recover: ... once");
        tap_is_int(recover(dfd, BASE, LABELED, 3, &gen), 0, "recover: a label change meta missed: not counted");
        tap_is_int(gen, 3, "recover: ... generation kept");
        put(dfd, "meta", "uid=u-1\nnamespace=default\nname=p\n");
        put(dfd, "spec.yaml", RESIZED);
        {
                struct pod_meta *got = NULL;
                struct pfs_error err = { 0 };

                pod_meta_read_at(dfd, &got, &err);
                tap_is_int(pod_generation_recover(dfd, got, &err), 0, "recover: meta of an older version: nothing");
                tap_is_int(got->generation, 1, "recover: ... generation 1");
                pod_meta_free(got);
        }
}

static void test_message(void)
{
        struct pod_spec *s = parse(HEAD "spec:\n  initContainers:\n  - name: s\n    image: busybox\n"
                                        "    restartPolicy: Always\n    resources:\n      limits: {cpu: 200m}\n"
                                        "      requests: {cpu: 100m}\n  - name: i\n    image: busybox\n"
                                        "  containers:\n  - name: c1\n    image: busybox\n"
                                        "    resources:\n      limits: {memory: 200Mi}\n"
                                        "  - name: c2\n    image: busybox\n"
                                        "    resources:\n      requests: {memory: 102400Ki, cpu: \"0.2\"}\n");
        _cleanup_free_ char *m = s ? pod_resize_completed_message(s, 2) : NULL;

        tap_is_str(m, "Pod resize completed: {\"initContainers\":[{\"name\":\"s\",\"resources\":{\"limits\":"
                      "{\"cpu\":\"200m\"},\"requests\":{\"cpu\":\"100m\"}}},{\"name\":\"i\",\"resources\":{}}],"
                      "\"containers\":[{\"name\":\"c1\",\"resources\":{\"limits\":{\"memory\":\"200Mi\"},"
                      "\"requests\":{\"memory\":\"200Mi\"}}},{\"name\":\"c2\",\"resources\":{\"requests\":"
                      "{\"cpu\":\"200m\",\"memory\":\"100Mi\"}}}],\"generation\":2}",
                   "ResizeCompleted message (events.PodResizeCompletedMsg)");
        pod_spec_free(s);
        s = parse(HEAD "spec:\n  containers:\n  - name: c0\n    image: busybox\n");
        free(m);
        m = s ? pod_resize_completed_message(s, 3) : NULL;
        tap_is_str(m, "Pod resize completed: {\"containers\":[{\"name\":\"c0\",\"resources\":{}}],\"generation\":3}",
                   "ResizeCompleted message: best-effort");
        pod_spec_free(s);
}

int main(void)
{
        char tmpl[] = "/tmp/podfs-test-generation-XXXXXX";
        char *dir = mkdtemp(tmpl);
        int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

        test_bumps();
        test_message();
        tap_ok(dfd >= 0, "temp dir");
        if (dfd >= 0) {
                test_recover(dfd);
                pfs_rm_rf_at(AT_FDCWD, dir, NULL);
                close(dfd);
        }
        return tap_done();
}
