/* The daemon's model (fs/model.c) and what sits on it, apply.c and
 * delete.c, driven against a temp state dir: no mount, no sandbox. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../fs/fs.h"
#include "pfs/store.h"
#include "tap.h"

/* What the observer heard, "what ns name" per line (changes counted apart). */
static char heard[4096];
static int changes;

static void observer(void *data, const struct model_event *ev)
{
        static const char *const names[] = { "appeared", "changed", "gone", "removed", "last-error" };
        size_t l = strlen(heard);

        if (ev->what == MODEL_POD_CHANGED) {
                changes++;
                return;
        }
        snprintf(heard + l, sizeof(heard) - l, "%s %s %s\n", names[ev->what], ev->ns, ev->name ? ev->name : "-");
}

static void test_names_and_namespaces(void)
{
        struct model m;
        char ns[32], name[32];
        bool all = true;

        model_init(&m, NULL);
        model_observe(&m, observer, NULL);
        for (int i = 0; i < 5000; i++) {
                snprintf(ns, sizeof(ns), "ns%d", i % 7);
                snprintf(name, sizeof(name), "pod-%d", i);
                model_name_get(&m, ns, name, true)->epoch = (unsigned)i + 2;
        }
        for (int i = 0; i < 5000 && all; i++) {
                snprintf(ns, sizeof(ns), "ns%d", i % 7);
                snprintf(name, sizeof(name), "pod-%d", i);
                all = model_name_epoch(&m, ns, name) == (unsigned)i + 2;
        }
        tap_ok(all, "5000 names found again by hash");
        tap_is_int(model_name_epoch(&m, "ns1", "pod-0"), 1, "a name never seen (other namespace): epoch 1");
        tap_ok(model_name_get(&m, "ns0", "nope", false) == NULL, "lookup without create creates nothing");

        heard[0] = '\0';
        model_last_error_set(&m, "default", 1000, "rejected A");
        model_last_error_set(&m, "default", 1001, "rejected B");
        tap_ok(strstr(model_last_error(&m, "default", 1000), " rejected A\n") != NULL, "uid 1000 sees its error");
        tap_ok(strstr(model_last_error(&m, "default", 1001), " rejected B\n") != NULL, "uid 1001 sees its own");
        tap_is_str(model_last_error(&m, "default", 1002), "", "another user sees nothing");
        tap_is_str(model_last_error(&m, "other", 1000), "", "nor another namespace");
        tap_is_str(heard, "last-error default -\nlast-error default -\n", "the observer heard both");
        model_fini(&m);
}

static void test_pods_and_tmps(void)
{
        struct model m;
        struct pod_rt *a, *b;
        struct tmpfile *t, *u;
        int reaped = 0;

        model_init(&m, NULL);
        a = model_pod_new("11111111-1111-1111-1111-111111111111", "default", "a", NULL);
        b = model_pod_new("22222222-2222-2222-2222-222222222222", "default", "b", NULL);
        model_pod_insert(&m, a);
        model_pod_insert(&m, b);
        tap_ok(model_pod_find(&m, a->uid) == a && model_pod_find(&m, b->uid) == b, "pods found by uid");
        model_pod_retire(&m, a);
        tap_ok(model_pod_find(&m, a->uid) == NULL && a->removed, "a retired pod is not found");
        tap_ok(m.pods == b && !b->next && m.dead == a, "... and waits on the dead list");
        for (struct pod_rt *p = m.dead; p; p = p->next)
                reaped++;
        model_pod_reap(&m, model_pod_free);
        tap_ok(reaped == 1 && !m.dead, "reaped after the batch");
        model_pod_retire(&m, b);
        model_pod_reap(&m, model_pod_free);

        t = model_tmp_add(&m, "default", NULL, "x.yaml");
        u = model_tmp_add(&m, "default", "web", "x.yaml");
        tap_ok(model_tmp_find(&m, "default", NULL, "x.yaml") == t, "temp file in the namespace dir");
        tap_ok(model_tmp_find(&m, "default", "", "x.yaml") == t, "... \"\" is the namespace dir too");
        tap_ok(model_tmp_find(&m, "default", "web", "x.yaml") == u, "the same name in a pod dir is another");
        tap_ok(model_tmp_find_id(&m, u->id) == u, "found by id (a node's)");
        model_tmp_rename(&m, t, "y.yaml");
        tap_ok(!model_tmp_find(&m, "default", NULL, "x.yaml") && model_tmp_find(&m, "default", NULL, "y.yaml") == t,
               "rename moves it in the index");
        tap_ok(model_tmp_any_in(&m, "default", "web") && !model_tmp_any_in(&m, "default", "db"),
               "a pod dir holds a temp file, another not");
        model_tmp_remove(&m, u);
        model_tmp_remove(&m, u);
        tap_ok(!model_tmp_find_id(&m, u->id) && !model_tmp_any_in(&m, "default", "web"), "removed (twice: once)");
        model_tmp_remove(&m, t);
        tap_ok(m.tmps == NULL, "none left");
        for (struct tmpfile *x = t; x; x = x == t ? u : NULL) {
                free(x->ns);
                free(x->pod);
                free(x->name);
                free(x);
        }
        model_fini(&m);
}

static const char manifest[] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n"
                               "  containers:\n  - name: app\n    image: busybox\n";

static void fs_open(struct podfs *fs, const char *dir)
{
        struct pfs_error err = {0};

        memset(fs, 0, sizeof(*fs));
        fs->dirs = (struct pfs_state_dirs)PFS_STATE_DIRS_INIT;
        fs->loop.epfd = fs->loop.inofd = fs->loop.timerfd = fs->loop.sigfd = -1;
        fs->state_dir = xstrdup(dir);
        snprintf(fs->hostname, sizeof(fs->hostname), "node");
        fs->sandbox = (struct pfs_sandbox_config)PFS_SANDBOX_CONFIG_DEFAULT;
        fs->sandbox.pod_pids_limit = -1;
        model_init(&fs->model, &fs->dirs);
        model_observe(&fs->model, observer, fs);
        node_table_init(&fs->nodes);
        tap_is_int(pfs_state_dirs_open(dir, &fs->dirs, &err), 0, "state dir opened");
        tap_is_int(podfs_loop_init(fs, &err), 0, "loop without a mount");
        podfs_loop_on(fs, sandbox_reap_dead, sandbox_all_changed);
}

static void fs_close(struct podfs *fs)
{
        sandbox_free_all(fs);
        while (fs->model.tmps)
                tmp_unlink(fs, fs->model.tmps);
        model_fini(&fs->model);
        quota_free_all(fs);
        node_table_free(&fs->nodes);
        podfs_loop_fini(fs);
        pfs_state_dirs_close(&fs->dirs);
        free(fs->state_dir);
}

static void test_apply_delete(const char *dir)
{
        struct podfs fs;
        struct pfs_error err = {0};
        struct pod_rt *p;
        char uid[37] = "";
        int r;

        fs_open(&fs, dir);
        heard[0] = '\0';
        changes = 0;
        r = apply_manifest(&fs, "default", NULL, "web.yaml", manifest, strlen(manifest), 1000, 1000, &err);
        tap_is_int(r, 0, "a manifest is accepted");
        tap_is_int(pod_index_read_at(fs.dirs.ns_fd, "default", "web", uid, NULL), 1, "the index names the pod");
        p = model_pod_find(&fs.model, uid);
        tap_ok(p && !strcmp(p->name, "web") && p->owner == 1000, "the model holds it, owned by its writer");
        tap_ok(pod_file_exists_at(fs.dirs.pods_fd, uid, PFS_META_FILE) &&
               pod_file_exists_at(fs.dirs.pods_fd, uid, PFS_SPEC_FILE), "meta and spec.yaml are durable");
        tap_is_str(heard, "appeared default web\n", "the observer heard the pod appear");
        tap_ok(changes > 0, "... and change");

        fs.req_uid = 1000;
        r = apply_manifest(&fs, "default", NULL, "bad.yaml", "kind: Pod\n", 10, 1000, 1000, &err);
        tap_ok(r < 0, "a broken manifest is refused: %s", err.msg);
        r = apply_manifest(&fs, "nope", NULL, "web.yaml", manifest, strlen(manifest), 1000, 1000, &err);
        tap_is_int(r, -ENOENT, "a manifest for a missing namespace: ENOENT");

        heard[0] = '\0';
        r = delete_request(&fs, "default", "web", 0, false, &err);
        tap_is_int(r, 0, "deletion requested");
        podfs_loop_turn(&fs, 0);
        tap_is_int(pod_index_read_at(fs.dirs.ns_fd, "default", "web", uid, NULL), -ENOENT, "the index link is gone");
        tap_ok(!pod_dir_exists_at(fs.dirs.pods_fd, uid), "... and the pod dir (nothing ran)");
        tap_ok(model_pod_find(&fs.model, uid) == NULL && fs.model.dead == NULL, "the model forgot it");
        tap_is_str(heard, "gone default web\nremoved default web\n", "the observer heard it go");
        tap_is_int(delete_request(&fs, "default", "web", 0, false, &err), -ENOENT, "deleting it again: ENOENT");
        fs_close(&fs);
}

/* metadata.generation as meta holds it, -1 when unreadable. */
static int64_t meta_generation(struct podfs *fs, const char *uid)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, uid);
        struct pod_meta *m = NULL;
        int64_t g;

        if (dfd < 0 || pod_meta_read_at(dfd, &m, NULL) < 0)
                return -1;
        g = m->generation;
        pod_meta_free(m);
        return g;
}

/* Only labels/annotations changed: the same pod (uid), its spec.yaml
 * rewritten; an identical rewrite changes nothing; an image change is an
 * update in place too; any other change replaces it (a new uid). */
static void test_relabel(const char *dir)
{
        static const char labeled[] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {tier: api}\n"
                                      "spec:\n  containers:\n  - name: app\n    image: busybox\n";
        static const char other[] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {tier: api}\n"
                                    "spec:\n  containers:\n  - name: app\n    image: busybox\n    command: [sh]\n";
        struct podfs fs;
        struct pfs_error err = {0};
        char uid[37] = "", uid2[37] = "", uid3[37] = "";
        _cleanup_close_ int dfd = -1;
        _cleanup_free_ char *text = NULL;

        fs_open(&fs, dir);
        tap_is_int(apply_manifest(&fs, "default", NULL, "web.yaml", manifest, strlen(manifest), 0, 0, &err), 0,
                   "relabel: created");
        pod_index_read_at(fs.dirs.ns_fd, "default", "web", uid, NULL);
        tap_is_int(apply_manifest(&fs, "default", NULL, "web.yaml", labeled, strlen(labeled), 0, 0, &err), 0,
                   "relabel: other labels accepted");
        pod_index_read_at(fs.dirs.ns_fd, "default", "web", uid2, NULL);
        tap_is_str(uid2, uid, "relabel: the same pod (uid)");
        tap_is_int(meta_generation(&fs, uid), 1, "relabel: generation 1 (metadata only)");
        dfd = pod_dir_open_at(fs.dirs.pods_fd, uid);
        tap_ok(dfd >= 0 && pfs_read_file_at(dfd, PFS_SPEC_FILE, &text, NULL, NULL) == 0 && strstr(text, "tier: api"),
               "relabel: spec.yaml holds the new labels");
        tap_is_int(apply_manifest(&fs, "default", NULL, "web.yaml", other, strlen(other), 0, 0, &err), 0,
                   "relabel: another command accepted");
        pod_index_read_at(fs.dirs.ns_fd, "default", "web", uid3, NULL);
        tap_ok(strcmp(uid3, uid) != 0, "relabel: another command is a new pod");
        fs_close(&fs);
}

/* A resize is an update in place (same uid, the new spec.yaml durable); one
 * that changes the QoS class is refused with the API server's message and
 * changes nothing. */
static void test_resize(const char *dir)
{
        static const char fmt[] = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: rs\nspec:\n  containers:\n"
                                  "  - name: app\n    image: busybox\n    resources:\n      limits: {cpu: %s, memory: 64Mi}\n"
                                  "%s";
        _cleanup_free_ char *a = xasprintf(fmt, "200m", ""), *b = xasprintf(fmt, "300m", "");
        _cleanup_free_ char *c = xasprintf(fmt, "300m", "      requests: {cpu: 100m}\n");
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int dfd = -1;
        struct pfs_error err = {0};
        char uid[37] = "", uid2[37] = "";
        struct podfs fs;

        fs_open(&fs, dir);
        tap_is_int(apply_manifest(&fs, "default", NULL, "rs.yaml", a, strlen(a), 0, 0, &err), 0, "resize: created");
        pod_index_read_at(fs.dirs.ns_fd, "default", "rs", uid, NULL);
        tap_is_int(apply_manifest(&fs, "default", NULL, "rs.yaml", b, strlen(b), 0, 0, &err), 0, "resize: accepted");
        pod_index_read_at(fs.dirs.ns_fd, "default", "rs", uid2, NULL);
        tap_is_str(uid2, uid, "resize: the same pod (uid)");
        tap_is_int(meta_generation(&fs, uid), 2, "resize: generation 2");
        dfd = pod_dir_open_at(fs.dirs.pods_fd, uid);
        tap_ok(dfd >= 0 && pfs_read_file_at(dfd, PFS_SPEC_FILE, &text, NULL, NULL) == 0 && strstr(text, "cpu: 300m"),
               "resize: spec.yaml holds the new limits");
        tap_is_int(apply_manifest(&fs, "default", NULL, "rs.yaml", c, strlen(c), 0, 0, &err), -EINVAL,
                   "resize: a QoS change is refused");
        tap_is_str(err.msg,
                   "rs.yaml: line 1: Pod \"rs\" is invalid: spec: Invalid value: \"Guaranteed\": Pod QOS Class may not "
                   "change as a result of resizing",
                   "resize: the API server's message");
        free(text);
        text = NULL;
        tap_ok(dfd >= 0 && pfs_read_file_at(dfd, PFS_SPEC_FILE, &text, NULL, NULL) == 0 && !strstr(text, "requests"),
               "resize: a refused change changes nothing");
        tap_is_int(meta_generation(&fs, uid), 2, "resize: ... nor the generation");
        tap_is_int(apply_manifest(&fs, "default", NULL, "rs.yaml", b, strlen(b), 0, 0, &err), 0,
                   "resize: an identical rewrite");
        tap_is_int(meta_generation(&fs, uid), 2, "resize: ... counts nothing");
        fs_close(&fs);
}

int main(void)
{
        char dir[] = "/tmp/podfs-test-model.XXXXXX";

        pfs_log_init("test-model", LOG_CRIT);
        test_names_and_namespaces();
        test_pods_and_tmps();
        if (!mkdtemp(dir)) {
                tap_ok(false, "mkdtemp: %s", strerror(errno));
                return tap_done();
        }
        test_apply_delete(dir);
        test_relabel(dir);
        test_resize(dir);
        pfs_rm_rf_at(AT_FDCWD, dir, NULL);
        return tap_done();
}
