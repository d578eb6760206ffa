/* The daemon's model (model.h): namespaces, names, pods, temp files, each
 * in a list (for walks, newest first as before) and a hash (for lookups). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "model.h"
#include "pfs/render.h"
#include "pfs/store.h"

/* Hash of a key made of several strings (NULL counts as ""). */
static uint64_t key_hash(const char *a, const char *b, const char *c)
{
        uint64_t h = pfs_strindex_hash(a);

        h = (h ^ pfs_strindex_hash(b ? b : "")) * 0x100000001b3ULL;
        if (c)
                h = (h ^ pfs_strindex_hash(c)) * 0x100000001b3ULL;
        return h;
}

/* ---- life ---- */

void model_init(struct model *m, const struct pfs_state_dirs *dirs)
{
        *m = (struct model){ .tmp_next_id = 1, .dirs = dirs };
}

static void name_ent_free(struct name_ent *e)
{
        for (size_t i = 0; i < e->n_hashes; i++)
                free(e->hashes[i].rel);
        free(e->hashes);
        pfs_strindex_free(&e->hash_index);
        free(e->ns);
        free(e->name);
        free(e);
}

static void ns_info_free(struct ns_info *i)
{
        while (i->errors) {
                struct last_error *e = i->errors;

                i->errors = e->next;
                free(e->msg);
                free(e);
        }
        free(i->ns);
        free(i);
}

void model_fini(struct model *m)
{
        while (m->names) {
                struct name_ent *e = m->names;

                m->names = e->next;
                name_ent_free(e);
        }
        while (m->nss) {
                struct ns_info *i = m->nss;

                m->nss = i->next;
                ns_info_free(i);
        }
        htab_free(&m->names_by_key);
        htab_free(&m->nss_by_name);
        htab_free(&m->pods_by_uid);
        htab_free(&m->tmps_by_name);
        htab_free(&m->tmps_by_id);
}

void model_observe(struct model *m, model_observer_fn fn, void *data)
{
        m->observer = fn;
        m->observer_data = data;
}

void model_announce(struct model *m, enum model_change what, const char *ns, const char *name)
{
        struct model_event ev = { .what = what, .ns = ns, .name = name };

        if (m->observer)
                m->observer(m->observer_data, &ev);
}

void model_announce_removed(struct model *m, struct pod_rt *p)
{
        struct model_event ev = { .what = MODEL_POD_REMOVED, .ns = p->ns, .name = p->name, .pod = p };

        if (m->observer)
                m->observer(m->observer_data, &ev);
}

/* ---- namespaces ---- */

static struct ns_info *ns_info_get(const struct model *m, const char *ns)
{
        uint64_t h = key_hash(ns, NULL, NULL);

        for (struct htab_link *l = htab_chain(&m->nss_by_name, h); l; l = l->next) {
                struct ns_info *i = htab_entry(l, struct ns_info, link);

                if (l->hash == h && !strcmp(i->ns, ns))
                        return i;
        }
        return NULL;
}

static struct ns_info *ns_info_add(struct model *m, const char *ns)
{
        struct ns_info *i = xcalloc(1, sizeof(*i));

        i->ns = xstrdup(ns);
        i->next = m->nss;
        m->nss = i;
        htab_put(&m->nss_by_name, &i->link, key_hash(ns, NULL, NULL));
        return i;
}

/* Per namespace, few users write: a list. */
static struct last_error *last_error_get(struct ns_info *i, uid_t uid, bool create)
{
        struct last_error *e;

        for (e = i->errors; e; e = e->next)
                if (e->uid == uid)
                        return e;
        if (!create)
                return NULL;
        e = xcalloc(1, sizeof(*e));
        e->uid = uid;
        e->next = i->errors;
        i->errors = e;
        return e;
}

void model_last_error_set(struct model *m, const char *ns, uid_t uid, const char *msg)
{
        struct ns_info *i = ns_info_get(m, ns);
        struct last_error *le;
        char ts[40];

        if (!i)
                i = ns_info_add(m, ns);
        le = last_error_get(i, uid, true);
        pfs_time_format(pfs_now_realtime_ns(), false, ts);
        free(le->msg);
        le->msg = xasprintf("%s %s\n", ts, msg);
        model_announce(m, MODEL_LAST_ERROR, ns, NULL);
}

const char *model_last_error(const struct model *m, const char *ns, uid_t uid)
{
        struct ns_info *i = ns_info_get(m, ns);
        struct last_error *le = i ? last_error_get(i, uid, false) : NULL;

        return le && le->msg ? le->msg : "";
}

/* ---- names ---- */

struct name_ent *model_name_get(struct model *m, const char *ns, const char *name, bool create)
{
        uint64_t h = key_hash(ns, name, NULL);
        struct name_ent *e;

        for (struct htab_link *l = htab_chain(&m->names_by_key, h); l; l = l->next) {
                e = htab_entry(l, struct name_ent, link);
                if (l->hash == h && !strcmp(e->ns, ns) && !strcmp(e->name, name))
                        return e;
        }
        if (!create)
                return NULL;
        e = xcalloc(1, sizeof(*e));
        e->ns = xstrdup(ns);
        e->name = xstrdup(name);
        e->epoch = 1;
        e->next = m->names;
        m->names = e;
        htab_put(&m->names_by_key, &e->link, h);
        return e;
}

unsigned model_name_epoch(const struct model *m, const char *ns, const char *name)
{
        struct name_ent *e = model_name_get((struct model *)m, ns, name, false);

        return e ? e->epoch : 1;
}

/* ---- the index: what a name refers to ---- */

bool model_name_valid(const char *name)
{
        return name && *name && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/') &&
               strlen(name) <= 255;
}

bool model_ns_exists(const struct model *m, const char *ns)
{
        struct stat st;

        if (!model_name_valid(ns) || ns[0] == '.')
                return false;
        return fstatat(m->dirs->ns_fd, ns, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* The owner recorded in a pod's meta (the daemon keeps it per pod; meta of
 * older versions has none: root's). */
static void pod_owner_get(const struct model *m, const char *uid, uid_t *ret_owner, gid_t *ret_group)
{
        struct pod_rt *p = model_pod_find(m, uid);
        _cleanup_close_ int dfd = -1;
        struct pod_meta *meta = NULL;

        *ret_owner = 0;
        *ret_group = 0;
        if (p) {
                *ret_owner = p->owner;
                *ret_group = p->group;
                return;
        }
        dfd = pod_dir_open_at(m->dirs->pods_fd, uid);
        if (dfd >= 0 && pod_meta_read_at(dfd, &meta, NULL) == 0) {
                *ret_owner = meta->owner;
                *ret_group = meta->group;
                pod_meta_free(meta);
        }
}

int model_pod_ref(const struct model *m, const char *ns, const char *name, struct pod_ref *ret)
{
        struct stat st;
        int r;

        memset(ret, 0, sizeof(*ret));
        if (!model_name_valid(name) || name[0] == '.')
                return -ENOENT;
        r = pod_index_read_at(m->dirs->ns_fd, ns, name, ret->uid, &st);
        if (r < 0)
                return r;
        ret->owner = st.st_uid;
        ret->group = st.st_gid;
        ret->mode = st.st_mode & 07777;
        ret->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        ret->exists = true;
        ret->placeholder = r == 0;
        if (!ret->placeholder)
                pod_owner_get(m, ret->uid, &ret->owner, &ret->group);
        return 0;
}

/* ---- pods ---- */

struct pod_rt *model_pod_find(const struct model *m, const char *uid)
{
        uint64_t h = key_hash(uid, NULL, NULL);

        for (struct htab_link *l = htab_chain(&m->pods_by_uid, h); l; l = l->next) {
                struct pod_rt *p = htab_entry(l, struct pod_rt, link);

                if (l->hash == h && !strcmp(p->uid, uid))
                        return p;
        }
        return NULL;
}

struct pod_rt *model_pod_new(const char *uid, const char *ns, const char *name, const char *predecessor)
{
        struct pod_rt *p = xcalloc(1, sizeof(*p));

        snprintf(p->uid, sizeof(p->uid), "%s", uid);
        p->ns = xstrdup(ns);
        p->name = xstrdup(name);
        p->predecessor = xstrdup(predecessor);
        p->pidfd = -1;
        p->wd = -1;
        p->version = 1;
        p->changed_ns = pfs_now_realtime_ns();
        return p;
}

void model_pod_insert(struct model *m, struct pod_rt *p)
{
        p->prev = NULL;
        p->next = m->pods;
        if (m->pods)
                m->pods->prev = p;
        m->pods = p;
        htab_put(&m->pods_by_uid, &p->link, key_hash(p->uid, NULL, NULL));
}

void model_pod_retire(struct model *m, struct pod_rt *p)
{
        if (p->prev)
                p->prev->next = p->next;
        else if (m->pods == p)
                m->pods = p->next;
        if (p->next)
                p->next->prev = p->prev;
        htab_del(&m->pods_by_uid, &p->link);
        p->removed = true;
        p->prev = NULL;
        p->next = m->dead;
        m->dead = p;
}

void model_pod_reap(struct model *m, void (*free_fn)(struct pod_rt *p))
{
        while (m->dead) {
                struct pod_rt *p = m->dead;

                m->dead = p->next;
                free_fn(p);
        }
}

void model_pod_free(struct pod_rt *p)
{
        if (!p)
                return;
        free(p->ns);
        free(p->name);
        free(p->predecessor);
        for (size_t i = 0; i < p->n_node_ports; i++) {
                free(p->node_ports[i].proto);
                free(p->node_ports[i].ip);
        }
        free(p->node_ports);
        pod_view_cache_free(p->view);
        free(p);
}

/* ---- temp files ---- */

struct tmpfile *model_tmp_find(const struct model *m, const char *ns, const char *pod, const char *name)
{
        const char *dir = pod && *pod ? pod : NULL;
        uint64_t h = key_hash(ns, dir, name);

        for (struct htab_link *l = htab_chain(&m->tmps_by_name, h); l; l = l->next) {
                struct tmpfile *t = htab_entry(l, struct tmpfile, link_name);

                if (l->hash != h || strcmp(t->ns, ns) || strcmp(t->name, name))
                        continue;
                if (dir ? (t->pod && !strcmp(t->pod, dir)) : !t->pod)
                        return t;
        }
        return NULL;
}

struct tmpfile *model_tmp_find_id(const struct model *m, uint64_t id)
{
        uint64_t h = htab_hash_u64(id);

        for (struct htab_link *l = htab_chain(&m->tmps_by_id, h); l; l = l->next) {
                struct tmpfile *t = htab_entry(l, struct tmpfile, link_id);

                if (t->id == id)
                        return t;
        }
        return NULL;
}

struct tmpfile *model_tmp_add(struct model *m, const char *ns, const char *pod, const char *name)
{
        struct tmpfile *t = xcalloc(1, sizeof(*t));

        t->id = m->tmp_next_id++;
        t->ns = xstrdup(ns);
        t->pod = pod && *pod ? xstrdup(pod) : NULL;
        t->name = xstrdup(name);
        t->next = m->tmps;
        if (m->tmps)
                m->tmps->prev = t;
        m->tmps = t;
        htab_put(&m->tmps_by_name, &t->link_name, key_hash(t->ns, t->pod, t->name));
        htab_put(&m->tmps_by_id, &t->link_id, htab_hash_u64(t->id));
        return t;
}

void model_tmp_rename(struct model *m, struct tmpfile *t, const char *newname)
{
        htab_del(&m->tmps_by_name, &t->link_name);
        free(t->name);
        t->name = xstrdup(newname);
        htab_put(&m->tmps_by_name, &t->link_name, key_hash(t->ns, t->pod, t->name));
}

void model_tmp_remove(struct model *m, struct tmpfile *t)
{
        bool linked = t->prev || m->tmps == t;

        if (!linked)
                return;
        if (t->prev)
                t->prev->next = t->next;
        else
                m->tmps = t->next;
        if (t->next)
                t->next->prev = t->prev;
        t->prev = t->next = NULL;
        htab_del(&m->tmps_by_name, &t->link_name);
        htab_del(&m->tmps_by_id, &t->link_id);
}

bool model_tmp_any_in(const struct model *m, const char *ns, const char *pod)
{
        for (const struct tmpfile *t = m->tmps; t; t = t->next) {
                if (t->ghost || strcmp(t->ns, ns))
                        continue;
                if (!pod || (t->pod && !strcmp(t->pod, pod)))
                        return true;
        }
        return false;
}
