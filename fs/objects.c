/* ConfigMaps, Secrets and claims in the daemon: applying them (from a
 * manifest, mkdir, a key written or removed, rmdir), with the rules the API
 * server enforces and podfs's owner rule, then waking the namespace's
 * sandboxes and telling watchers. The store is common/object*.c. A rejection
 * goes to .last-error; a Secret's values never reach a message or the log. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "fs.h"
#include "pfs/object.h"
#include "pfs/store.h"

/* Only the owner or root changes an object (the kernel checked the rest). */
static int may_change(struct podfs *fs, const struct pfs_object *o, const char *verb, struct pfs_error *err)
{
        if (fs->req_uid == 0 || fs->req_uid == o->owner)
                return 0;
        return pfs_error_set(err, EACCES,
                             "%s \"%s\" is forbidden: User \"%u\" cannot %s resource \"%s\" in API group \"\" in "
                             "the namespace \"%s\": it belongs to user %u",
                             pfs_object_kind_dir(o->kind), o->name, (unsigned)fs->req_uid, verb,
                             pfs_object_kind_dir(o->kind), o->namespace, (unsigned)o->owner);
}

static const char *const tree_dirs[PFS_OBJ_KINDS] = { ".configmaps", ".secrets", ".pvcs" };

static const char *kind_tree_dir(enum pfs_object_kind k)
{
        return tree_dirs[k];
}

const char *objects_kind_dir(int kind)
{
        return (unsigned)kind < PFS_OBJ_KINDS ? tree_dirs[kind] : NULL;
}

int objects_kind_of_dir(const char *name)
{
        for (int k = 0; k < PFS_OBJ_KINDS; k++)
                if (!strcmp(name, tree_dirs[k]))
                        return k;
        return -1;
}

#define ANNOUNCE_NS (2LL * 1000000000LL)

static void announce_add(struct podfs *fs, const char *ns, const char *dir)
{
        objects_announce_pending(fs, ns, 0, "", false); /* drops the expired ones */
        fs->obj_announce = xrealloc(fs->obj_announce, (fs->n_obj_announce + 1) * sizeof(*fs->obj_announce));
        fs->obj_announce[fs->n_obj_announce].rel = xasprintf("%s/%s", ns, dir);
        fs->obj_announce[fs->n_obj_announce].until = pfs_now_monotonic_ns() + ANNOUNCE_NS;
        fs->n_obj_announce++;
}

/* Linear: a few entries at most, each gone within 2 s. */
bool objects_announce_pending(struct podfs *fs, const char *ns, int kind, const char *name, bool take)
{
        _cleanup_free_ char *rel = xasprintf("%s/%s/%s", ns, objects_kind_dir(kind), name);
        int64_t now = pfs_now_monotonic_ns();
        bool found = false;
        size_t j = 0;

        for (size_t i = 0; i < fs->n_obj_announce; i++) {
                struct obj_announce *a = &fs->obj_announce[i];
                bool match = !strcmp(a->rel, rel) && a->until > now;

                found |= match;
                if ((match && take) || a->until <= now) {
                        free(a->rel);
                        continue;
                }
                fs->obj_announce[j++] = *a;
        }
        fs->n_obj_announce = j;
        return found;
}

int objects_get(struct podfs *fs, int kind, const char *ns, const char *name, const struct pfs_object **ret)
{
        struct obj_cache *c = &fs->obj_cache;
        struct pfs_object_stamp st;
        struct pfs_object *o = NULL;
        int r = pfs_object_stamp_at(fs->dirs.state_fd, (enum pfs_object_kind)kind, ns, name, &st);

        if (r < 0)
                return r;
        if (c->o && c->kind == kind && !strcmp(c->o->namespace, ns) && !strcmp(c->o->name, name) &&
            pfs_object_stamp_equal(c->stamp, &st)) {
                *ret = c->o;
                return 0;
        }
        r = pfs_object_read_at(fs->dirs.state_fd, (enum pfs_object_kind)kind, ns, name, &o, NULL);
        if (r < 0)
                return r;
        pfs_object_free(c->o);
        if (!c->stamp)
                c->stamp = xmalloc(sizeof(*c->stamp));
        /* the stamp from before the read: a write in between shows as a change next time */
        *c->stamp = st;
        c->o = o;
        c->kind = kind;
        *ret = o;
        return 0;
}

void objects_announce_free(struct podfs *fs)
{
        pfs_object_free(fs->obj_cache.o);
        free(fs->obj_cache.stamp);
        fs->obj_cache = (struct obj_cache){ 0 };
        for (size_t i = 0; i < fs->n_obj_announce; i++)
                free(fs->obj_announce[i].rel);
        free(fs->obj_announce);
        fs->obj_announce = NULL;
        fs->n_obj_announce = 0;
}

/* Every running sandbox of ns re-reads the objects; watchers hear of it:
 * a new or removed object dir, else its files whose content changed. */
static void objects_changed(struct podfs *fs, const struct pfs_object *o, const struct pfs_object *old,
                            enum model_change what, bool by_mount)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", kind_tree_dir(o->kind), o->name);

        sandbox_wake_namespace(fs, o->namespace);
        if (what != MODEL_OBJECT_CHANGED) {
                /* a mkdir or rmdir on the mount: the kernel told watchers */
                if (by_mount)
                        return;
                if (what == MODEL_OBJECT_APPEARED)
                        announce_add(fs, o->namespace, dir);
                model_announce(&fs->model, what, o->namespace, dir);
                return;
        }
        for (size_t i = 0; i < o->n_items; i++) {
                const struct pfs_object_item *was = pfs_object_item(old, o->items[i].key);
                _cleanup_free_ char *rel = NULL;

                if (was && was->len == o->items[i].len && !memcmp(was->value, o->items[i].value, was->len))
                        continue;
                rel = xasprintf("%s/%s", dir, o->items[i].key);
                model_announce(&fs->model, what, o->namespace, rel);
        }
        {
                _cleanup_free_ char *rel = xasprintf("%s/..object.yaml", dir);

                model_announce(&fs->model, what, o->namespace, rel);
        }
}

static int read_object(struct podfs *fs, enum pfs_object_kind k, const char *ns, const char *name,
                       struct pfs_object **ret, struct pfs_error *err)
{
        int r = pfs_object_read_at(fs->dirs.state_fd, k, ns, name, ret, err);

        if (r == -ENOENT)
                pfs_error_clear(err);
        return r;
}

/* The daemon writes every object: the tree's copy goes with each write (a
 * file's stamp alone could repeat: an inode number is reused at once). */
static void cache_drop(struct podfs *fs)
{
        pfs_object_free(fs->obj_cache.o);
        fs->obj_cache.o = NULL;
}

/* The resource a kind's API messages name. */
static const char *api_resource(enum pfs_object_kind k)
{
        return k == PFS_OBJ_PVC ? "persistentvolumeclaims" : pfs_object_kind_dir(k);
}

/* What an update keeps of the stored object: identity and owner. */
static void object_inherit(struct pfs_object *o, const struct pfs_object *old)
{
        memcpy(o->uid, old->uid, sizeof(o->uid));
        o->creation_ns = old->creation_ns;
        o->resource_version = old->resource_version + 1;
        o->owner = old->owner;
        o->group = old->group;
}

/* The bytes ns/name takes in the state dir now (0: none). */
static uint64_t stored_size(struct podfs *fs, enum pfs_object_kind k, const char *ns, const char *name)
{
        struct pfs_object_stamp st;

        return pfs_object_stamp_at(fs->dirs.state_fd, k, ns, name, &st) == 0 ? (uint64_t)st.size : 0;
}

/* Charge o's owner for o taking the place of what is stored (the state
 * dir's file sizes, as counted at start): the bytes charged in *ret_delta. */
static int object_charge(struct podfs *fs, const struct pfs_object *o, uid_t writer, int64_t *ret_delta,
                         struct pfs_error *err)
{
        int64_t delta = (int64_t)pfs_object_stored_size(o) - (int64_t)stored_size(fs, o->kind, o->namespace, o->name);
        int r = quota_obj_charge(fs, o->owner, writer, delta, api_resource(o->kind), o->name, err);

        if (r == 0)
                *ret_delta = delta;
        return r;
}

static void object_uncharge(struct podfs *fs, const struct pfs_object *o, int64_t delta)
{
        quota_obj_charge(fs, o->owner, 0, -delta, NULL, NULL, NULL);
}

/* Write o (new, or the update of old) durably, charged to its owner (the
 * writer refused past the owner's quota); a claim gets its directory. */
static int object_store(struct podfs *fs, struct pfs_object *o, const struct pfs_object *old, uid_t writer,
                        bool by_mount, struct pfs_error *err)
{
        int64_t delta = 0;
        int r;

        if (old)
                object_inherit(o, old);
        r = object_charge(fs, o, writer, &delta, err);
        if (r < 0)
                return r;
        cache_drop(fs);
        r = pfs_object_write_at(fs->dirs.state_fd, o, err);
        if (r < 0) {
                object_uncharge(fs, o, delta);
                return r;
        }
        if (o->kind == PFS_OBJ_PVC) {
                int fd = pfs_claim_dir_open_at(fs->dirs.state_fd, o->namespace, o->name, true, err);

                if (fd < 0)
                        return fd;
                close(fd);
        }
        pfs_log(LOG_INFO, "%s %s/%s %s (resourceVersion %llu)", pfs_object_kind_name(o->kind), o->namespace,
                o->name, old ? "updated" : "created", (unsigned long long)o->resource_version);
        objects_changed(fs, o, old, old ? MODEL_OBJECT_CHANGED : MODEL_OBJECT_APPEARED, by_mount);
        return 0;
}

/* The rules of an update of the stored object into o, then its owner's
 * quota, charged (*ret_delta) as objects_commit will: 1 when o changes nothing. */
static int check_one(struct podfs *fs, struct pfs_object *o, const char *filename, uid_t uid, gid_t gid,
                     int64_t *ret_delta, struct pfs_error *err)
{
        struct pfs_object *old = NULL;
        int r = read_object(fs, o->kind, o->namespace, o->name, &old, err);

        if (r < 0 && r != -ENOENT)
                return r;
        r = old ? may_change(fs, old, "update", err) : 0;
        if (r == 0 && old && pfs_object_same(old, o))
                r = 1;
        if (r == 0 && old)
                r = pfs_object_validate_update(old, o, err);
        if (r == 0) {
                /* as stored by objects_commit, so that the size is the one written */
                o->owner = uid;
                o->group = gid;
                if (old)
                        object_inherit(o, old);
                r = object_charge(fs, o, uid, ret_delta, err);
        }
        pfs_object_free(old);
        if (r < 0 && filename)
                return pfs_error_wrap(err, "%s", filename);
        return r;
}

int objects_check(struct podfs *fs, struct pfs_object *const *objs, size_t n, const char *filename, uid_t uid,
                  gid_t gid, struct pfs_error *err)
{
        int64_t *charged = xcalloc(n + 1, sizeof(*charged));
        int r = 0;

        /* charged one after the other, as the API server admits each object
         * of a manifest: the first past the quota is the one named */
        for (size_t i = 0; i < n && r >= 0; i++)
                r = check_one(fs, objs[i], filename, uid, gid, &charged[i], err);
        /* objects_commit charges them again as it writes them */
        for (size_t i = 0; i < n; i++)
                object_uncharge(fs, objs[i], charged[i]);
        free(charged);
        return r < 0 ? r : 0;
}

int objects_commit(struct podfs *fs, struct pfs_object *const *objs, size_t n, uid_t uid, gid_t gid,
                   struct pfs_error *err)
{
        for (size_t i = 0; i < n; i++) {
                struct pfs_object *o = objs[i], *old = NULL;
                int r = read_object(fs, o->kind, o->namespace, o->name, &old, err);

                if (r < 0 && r != -ENOENT)
                        return r;
                if (old && pfs_object_same(old, o)) {
                        pfs_log(LOG_INFO, "%s %s/%s unchanged", pfs_object_kind_name(o->kind), o->namespace,
                                o->name);
                        pfs_object_free(old);
                        continue;
                }
                o->owner = uid;
                o->group = gid;
                r = object_store(fs, o, old, uid, false, err);
                pfs_object_free(old);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- shell management: mkdir, rmdir, a key written or removed ---- */

int objects_rejected(struct podfs *fs, const char *ns, struct pfs_error *err, int r, const char *path)
{
        if (path)
                pfs_error_wrap(err, "%s", path);
        if (!err->code)
                pfs_error_set(err, -r, "%s", strerror(-r));
        pfs_log(LOG_WARNING, "namespace %s: rejected: %s", ns, err->msg);
        model_last_error_set(&fs->model, ns, fs->req_uid, err->msg);
        return r;
}

/* What mkdir .pvcs/NAME claims: one ReadWriteOnce directory, 1Gi nominal
 * (nothing enforces a claim's size: it is a directory of the node's disk). */
static struct yval *pvc_default_spec(void)
{
        struct yval *spec = yval_new_map(), *modes = yval_new_list(), *res = yval_new_map();

        yval_list_push(modes, yval_new_str("ReadWriteOnce"));
        yval_map_set(spec, "accessModes", modes);
        yval_map_set(yval_map_set(res, "requests", yval_new_map()), "storage", yval_new_str("1Gi"));
        yval_map_set(spec, "resources", res);
        yval_map_set(spec, "volumeMode", yval_new_str("Filesystem"));
        return spec;
}

int objects_mkdir(struct podfs *fs, const char *ns, int k, const char *name)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/%s", ns, kind_tree_dir(k), name);
        struct pfs_error err = { 0 };
        struct pfs_object *o, *old = NULL;
        int r = read_object(fs, k, ns, name, &old, &err);

        pfs_object_free(old);
        if (r == 0)
                return -EEXIST;
        if (r != -ENOENT)
                return objects_rejected(fs, ns, &err, r, path);
        o = pfs_object_new(k, ns, name);
        if (k == PFS_OBJ_PVC)
                o->pvc_spec = pvc_default_spec();
        o->owner = fs->req_uid;
        o->group = fs->req_gid;
        r = pfs_object_validate(o, &err);
        if (r == 0)
                r = object_store(fs, o, NULL, fs->req_uid, true, &err);
        pfs_object_free(o);
        return r < 0 ? objects_rejected(fs, ns, &err, r, path) : 0;
}

/* A pod of ns that has not finished and mounts the claim: its name, or NULL. */
static char *claim_user(struct podfs *fs, const char *ns, const char *claim)
{
        for (struct pod_rt *p = fs->model.pods; p; p = p->next) {
                _cleanup_close_ int dfd = -1;
                _cleanup_free_ char *text = NULL;
                struct ydoc *docs = NULL;
                size_t len, n = 0;
                bool uses = false;

                if (p->removed || strcmp(p->ns, ns) || pod_file_exists_at(fs->dirs.pods_fd, p->uid, PFS_FINISHED_FILE))
                        continue;
                dfd = pod_dir_open_at(fs->dirs.pods_fd, p->uid);
                if (dfd < 0 || pfs_read_file_at(dfd, PFS_SPEC_FILE, &text, &len, NULL) < 0 ||
                    yval_parse_stream(text, len, &docs, &n, NULL) < 0)
                        continue;
                uses = n > 0 && pfs_spec_uses_claim(docs[0].root, claim);
                ydoc_free_array(docs, n);
                if (uses)
                        return xstrdup(p->name);
        }
        return NULL;
}

int objects_rmdir(struct podfs *fs, const char *ns, int k, const char *name)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/%s", ns, kind_tree_dir(k), name), *user = NULL;
        struct pfs_error err = { 0 };
        struct pfs_object *o = NULL;
        int r = read_object(fs, k, ns, name, &o, &err);

        if (r == -ENOENT)
                return r;
        if (r == 0)
                r = may_change(fs, o, "delete", &err);
        if (r == 0 && k == PFS_OBJ_PVC && (user = claim_user(fs, ns, name)))
                r = pfs_error_set(&err, EBUSY, "persistentvolumeclaims \"%s\" is in use by pod \"%s\", which has "
                                  "not finished: delete the pod first", name, user);
        if (r == 0) {
                uint64_t size = stored_size(fs, k, ns, name);

                cache_drop(fs);
                r = pfs_object_remove_at(fs->dirs.state_fd, k, ns, name, &err);
                if (r == 0)
                        object_uncharge(fs, o, (int64_t)size);
        }
        if (r == 0 && k == PFS_OBJ_PVC)
                r = pfs_claim_dir_remove_at(fs->dirs.state_fd, ns, name, &err);
        if (r == 0) {
                pfs_log(LOG_INFO, "%s %s/%s deleted", pfs_object_kind_name(k), ns, name);
                objects_changed(fs, o, NULL, MODEL_OBJECT_GONE, true);
        }
        pfs_object_free(o);
        return r < 0 ? objects_rejected(fs, ns, &err, r, path) : 0;
}

static bool utf8_valid(const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n;) {
                size_t len = s[i] < 0x80 ? 1 : (s[i] >> 5) == 6 ? 2 : (s[i] >> 4) == 14 ? 3 : (s[i] >> 3) == 30 ? 4 : 0;

                if (!len || i + len > n)
                        return false;
                for (size_t j = 1; j < len; j++)
                        if ((s[i + j] & 0xc0) != 0x80)
                                return false;
                i += len;
        }
        return true;
}

/* Set (data != NULL) or remove key of ns/name: the API's rules, then durable. */
int objects_key_change(struct podfs *fs, const char *ns, int k, const char *name, const char *key,
                       const char *data, size_t len)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/%s/%s", ns, kind_tree_dir(k), name, key);
        struct pfs_error err = { 0 };
        struct pfs_object *old = NULL, *o = NULL;
        int r = read_object(fs, k, ns, name, &old, &err);

        if (r == 0 && k == PFS_OBJ_PVC)
                r = pfs_error_set(&err, EPERM, "a claim has no keys: its data is in the directory named by \"path\"");
        if (r == 0)
                r = may_change(fs, old, "update", &err);
        if (r == 0) {
                o = pfs_object_clone(old);
                if (!data && !pfs_object_item_remove(o, key))
                        r = -ENOENT;
                else if (data)
                        pfs_object_item_set(o, key, data, len,
                                            k == PFS_OBJ_CONFIGMAP && !utf8_valid((const unsigned char *)data, len));
        }
        if (r == 0 && !pfs_object_same(old, o)) {
                r = pfs_object_validate(o, &err);
                if (r == 0)
                        r = pfs_object_validate_update(old, o, &err);
                if (r == 0)
                        r = object_store(fs, o, old, fs->req_uid, true, &err);
        }
        pfs_object_free(old);
        pfs_object_free(o);
        if (r == -ENOENT)
                return r;
        return r < 0 ? objects_rejected(fs, ns, &err, r, path) : 0;
}

/* rename(2) of key from onto to in one update (sed -i, editors: a temp key
 * renamed over the real one). noreplace: EEXIST when to exists. */
int objects_key_rename(struct podfs *fs, const char *ns, int k, const char *name, const char *from, const char *to,
                       bool noreplace)
{
        _cleanup_free_ char *path = xasprintf("%s/%s/%s/%s", ns, kind_tree_dir(k), name, to);
        struct pfs_error err = { 0 };
        struct pfs_object *old = NULL, *o = NULL;
        const struct pfs_object_item *it;
        int r = read_object(fs, k, ns, name, &old, &err);

        if (r == 0)
                r = may_change(fs, old, "update", &err);
        if (r == 0 && !(it = pfs_object_item(old, from)))
                r = -ENOENT;
        else if (r == 0 && noreplace && pfs_object_item(old, to))
                r = -EEXIST;
        if (r == 0 && strcmp(from, to)) {
                o = pfs_object_clone(old);
                pfs_object_item_set(o, to, it->value, it->len, it->binary);
                pfs_object_item_remove(o, from);
                r = pfs_object_validate(o, &err);
                if (r == 0)
                        r = pfs_object_validate_update(old, o, &err);
                if (r == 0)
                        r = object_store(fs, o, old, fs->req_uid, true, &err);
        }
        pfs_object_free(old);
        pfs_object_free(o);
        if (r == -ENOENT || r == -EEXIST)
                return r;
        return r < 0 ? objects_rejected(fs, ns, &err, r, path) : 0;
}

/* Objects of ns (a namespace with some is not empty). */
bool objects_any_in(struct podfs *fs, const char *ns)
{
        for (int k = 0; k < PFS_OBJ_KINDS; k++) {
                char **names = NULL;
                size_t n = 0;

                if (pfs_object_list_at(fs->dirs.state_fd, (enum pfs_object_kind)k, ns, &names, &n, NULL) == 0) {
                        for (size_t i = 0; i < n; i++)
                                free(names[i]);
                        free(names);
                }
                if (n)
                        return true;
        }
        return false;
}
