/* Change detection: when a pod changed (its sandbox wrote, a manifest was
 * applied, a deletion requested), render the files watchers can see and
 * tell the notifier about those whose content differs from what watchers
 * were last told (hashes kept per name in the model). Paced: one look per
 * loop turn for all the pods that changed. */
#include <string.h>
#include "fs.h"
#include "pfs/render.h"
#include "pfs/spec.h"
#include "pfs/trace.h"

/* What watchers were last told about rel; created on first use. */
static struct file_hash *file_hash_get(struct name_ent *e, const char *rel)
{
        struct file_hash *fh;
        size_t i;

        if (pfs_strindex_get(&e->hash_index, rel, &i))
                return &e->hashes[i];
        e->hashes = xrealloc(e->hashes, (e->n_hashes + 1) * sizeof(*e->hashes));
        fh = &e->hashes[e->n_hashes];
        fh->rel = xstrdup(rel);
        fh->seen = false;
        pfs_strindex_put(&e->hash_index, fh->rel, e->n_hashes++);
        return fh;
}

/* Tell watchers about rel (relative to the pod dir) when its content differs
 * from what they were last told. */
static void hash_check(struct podfs *fs, struct name_ent *e, const char *rel, const char *content, size_t len)
{
        uint64_t h = content_hash(content, len);
        struct file_hash *fh = file_hash_get(e, rel);
        _cleanup_free_ char *path = NULL;

        if (fh->seen && fh->hash == h)
                return;
        fh->seen = true;
        fh->hash = h;
        path = xasprintf("%s/%s/%s", e->ns, e->name, rel);
        notifier_queue(fs, NOTIFY_WRITE, path);
}

/* Files are rendered only where somebody can watch them: in a directory the
 * kernel knows (an inotify watch on it reports its files too, and a watch on
 * a file needs its directory). For the others, what watchers were told is
 * forgotten, so that the first change after a lookup is told. A pod of many
 * containers thereby costs per change what its watchers look at, not the
 * rendering of every container's files. */
static bool dir_known(struct podfs *fs, const struct node_key *k)
{
        struct node *n = node_find(&fs->nodes, k);

        return n && n->nlookup > 0;
}

static void hash_forget(struct name_ent *e, const char *rel)
{
        size_t i;

        if (e->n_hashes && pfs_strindex_get(&e->hash_index, rel, &i))
                e->hashes[i].seen = false;
}

static void pod_files_check(struct podfs *fs, struct name_ent *e, const struct pod_view *v)
{
        for (int f = 0; f < PF__MAX; f++) {
                char *c;
                size_t len = 0;

                if (f == PF_DELETE || f == PF_WAIT)
                        continue;
                if (f == PF_SPEC) {
                        c = xstrndup(v->spec->source ? v->spec->source : "", v->spec->source_len);
                        len = v->spec->source_len;
                } else {
                        c = pod_view_render(v, pod_file_render_kind[f], &len);
                }
                hash_check(fs, e, pod_file_names[f], c, len);
                free(c);
        }
}

static void ctr_files_check(struct podfs *fs, struct name_ent *e, const struct pod_view *v)
{
        for (size_t i = 0; i < v->spec->n_init_containers + v->spec->n_containers; i++) {
                const char *cn = pod_spec_container_at(v->spec, i)->name;
                struct node_key dk = { .kind = NODE_CTR_DIR, .ns = e->ns, .pod = e->name, .epoch = e->epoch,
                                       .ctr = cn };
                bool known = dir_known(fs, &dk);

                if (!known && e->n_hashes == 0)
                        continue;
                for (int f = 0; f < CTR_FILE__MAX; f++) {
                        _cleanup_free_ char *rel = xasprintf("containers/%s/%s", cn, ctr_file_name((enum ctr_file)f));
                        size_t len = 0;
                        char *c;

                        if (!known) {
                                hash_forget(e, rel);
                                continue;
                        }
                        c = pod_view_render_container(v, cn, (enum ctr_file)f, &len);
                        if (c)
                                hash_check(fs, e, rel, c, len);
                        free(c);
                }
        }
}

static void pod_changed_flush_one(struct podfs *fs, struct name_ent *e)
{
        _cleanup_(pod_view_freep) struct pod_view *owned = NULL;
        struct node_key dk = { .kind = NODE_POD, .ns = e->ns, .pod = e->name, .epoch = e->epoch };
        const struct pod_view *v = NULL;
        struct pod_ref ref;

        if (model_pod_ref(&fs->model, e->ns, e->name, &ref) < 0 || ref.placeholder)
                return;
        /* nobody can watch a file of a pod dir the kernel does not know:
         * such a pod is not even loaded (a big pod nobody looks at is free) */
        if (!dir_known(fs, &dk)) {
                for (size_t i = 0; i < e->n_hashes; i++)
                        e->hashes[i].seen = false;
                return;
        }
        pfs_trace(ref.uid, "daemon:change-check");
        if (model_view_get(&fs->model, ref.uid, &v, &owned) < 0)
                return;
        pod_files_check(fs, e, v);
        ctr_files_check(fs, e, v);
}

static void pod_changed_flush(struct podfs *fs, void *data)
{
        int64_t t0 = pfs_now_monotonic_ns();

        struct pod_changes *c = &fs->changes;

        c->armed = false;
        /* only what changed: never a walk over every pod (name entries live
         * as long as the model, so the pointers stay valid) */
        for (size_t i = 0; i < c->n_pending; i++) {
                struct name_ent *e = c->pending[i];

                e->change_pending = false;
                pod_changed_flush_one(fs, e);
        }
        c->n_pending = 0;
        fs->changes.end_ns = pfs_now_monotonic_ns();
        fs->changes.cost_ns = fs->changes.end_ns - t0;
}

/* Coalesced: every change of one loop turn (a sandbox writes status.json,
 * the sandbox file and events for one container start) is looked at once,
 * on a later turn, after the FUSE requests already waiting. A flush that
 * took long (big watched pods changing all the time) delays the next by
 * twice its time, at most 1 s: change checks take at most a third of the
 * daemon's time, and requests are served in between. */
void changes_pod_changed(struct podfs *fs, const char *ns, const char *name)
{
        struct name_ent *e;
        struct pod_ref ref;
        int64_t pause;

        if (model_pod_ref(&fs->model, ns, name, &ref) < 0 || ref.placeholder)
                return;
        e = model_name_get(&fs->model, ns, name, true);
        if (!e->change_pending) {
                struct pod_changes *c = &fs->changes;

                if (c->n_pending == c->cap_pending) {
                        c->cap_pending = c->cap_pending ? 2 * c->cap_pending : 16;
                        c->pending = xrealloc(c->pending, c->cap_pending * sizeof(*c->pending));
                }
                c->pending[c->n_pending++] = e;
                e->change_pending = true;
        }
        if (fs->changes.armed)
                return;
        fs->changes.armed = true;
        pause = fs->changes.cost_ns * 2 < 1000000000LL ? fs->changes.cost_ns * 2 : 1000000000LL;
        podfs_timer_add(fs, fs->changes.end_ns + pause, pod_changed_flush, &fs->changes);
}
