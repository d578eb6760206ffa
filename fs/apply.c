/* Manifest acceptance: a manifest written into the mount (a spec.yaml write
 * buffer or a temp file, closed or renamed onto its name: tmpfile.c)
 * validated and made durable in the state dir; mkdir of namespaces and
 * placeholder pods, chown of pods. A rejected manifest changes nothing: the
 * writer gets errno, people get the message in .last-error. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "fs.h"
#include "pfs/generation.h"
#include "pfs/object.h"
#include "pfs/spec.h"
#include "pfs/store.h"
#include "pfs/trace.h"

/* ---- accepting manifests ---- */

static int create_pod(struct podfs *fs, const char *ns, const struct pod_spec *spec, const char *predecessor,
                      const struct pod_ref *ref, uid_t uid, gid_t gid, struct pfs_error *err)
{
        char puid[37];
        _cleanup_close_ int dfd = -1;
        struct pod_meta meta = {0};
        struct name_ent *e;
        struct pod_rt *p;
        int r;

        pfs_uuid_new(puid);
        dfd = pod_dir_create_at(fs->dirs.pods_fd, puid);
        if (dfd < 0)
                return pfs_error_set(err, -dfd, "create pod directory for %s/%s", ns, spec->name);
        memcpy(meta.uid, puid, 37);
        meta.namespace = (char *)ns;
        meta.name = spec->name;
        meta.creation_ns = pfs_now_realtime_ns();
        meta.predecessor = (char *)predecessor;
        meta.owner = uid;
        meta.group = gid;
        meta.generation = 1;
        pod_meta_set_spec(&meta, spec);
        pfs_trace(puid, "daemon:pod-dir");
        r = pod_files_create_at(dfd, &meta, spec->source, spec->source_len, err);
        pfs_trace(puid, "daemon:meta-spec-durable");
        if (r >= 0)
                r = pfs_fsync_dir_at(fs->dirs.pods_fd, ".");
        /* durable once the index link is in place */
        if (r >= 0)
                r = pod_index_link_at(fs->dirs.ns_fd, ns, spec->name, puid, uid, gid, err);
        pfs_trace(puid, "daemon:index-durable");
        if (r < 0) {
                pod_dir_remove_at(fs->dirs.pods_fd, puid, NULL);
                return r;
        }

        p = pod_rt_add(fs, puid, ns, spec->name, predecessor);
        hostports_note(p, spec);
        p->owner = uid;
        p->group = gid;
        if (!pod_spec_is_gated(spec)) {
                char msg[512];

                snprintf(msg, sizeof(msg), "Successfully assigned %s/%s to %s", ns, spec->name, fs->hostname);
                _cleanup_free_ char *obj = xasprintf("pod/%s", spec->name);
                pod_event_append_at(dfd, "Normal", "Scheduled", obj, "default-scheduler", msg, NULL);
        }
        e = model_name_get(&fs->model, ns, spec->name, true);
        e->spec_hidden = false;
        e->tomb = false;
        if (!ref->exists) {
                e->announce_until = pfs_now_monotonic_ns() + 2000000000LL;
                model_announce(&fs->model, MODEL_POD_APPEARED, ns, spec->name);
        }
        pfs_log(LOG_INFO, "pod %s/%s accepted (uid %s, owner %u%s%s)", ns, spec->name, puid, (unsigned)uid,
                predecessor ? ", replaces " : "", predecessor ? predecessor : "");
        sandbox_start(fs, p);
        pfs_trace(puid, "daemon:sandbox-spawned");
        model_announce(&fs->model, MODEL_POD_CHANGED, ns, spec->name);
        return 0;
}

static int read_meta(struct podfs *fs, const char *uid, struct pod_meta **ret)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, uid);

        if (dfd < 0)
                return dfd;
        return pod_meta_read_at(dfd, ret, NULL);
}

static int read_accepted_spec(struct podfs *fs, const char *uid, const char *ns, const char *name,
                              struct pod_spec **ret)
{
        _cleanup_close_ int dfd = pod_dir_open_at(fs->dirs.pods_fd, uid);
        _cleanup_free_ char *text = NULL;
        struct pod_spec **pods = NULL;
        size_t len = 0, n = 0;
        int r;

        if (dfd < 0)
                return dfd;
        r = pfs_read_file_at(dfd, PFS_SPEC_FILE, &text, &len, NULL);
        if (r < 0)
                return r;
        r = pod_manifest_parse(text, len, PFS_SPEC_FILE, ns, name, &pods, &n, NULL);
        if (r < 0)
                return r;
        if (n < 1) {
                pod_spec_free_array(pods, n);
                return -EINVAL;
        }
        *ret = pods[0];
        pods[0] = NULL;
        pod_spec_free_array(pods, n);
        return 0;
}

/* Only what the API server updates in place differs (pod_spec_update_kind:
 * labels, annotations, activeDeadlineSeconds, images, container cpu/memory):
 * same uid; the new spec.yaml is made durable, then meta with the generation
 * (one more when the spec changed, not only its metadata) and the new spec's
 * digests (a kill between the two: pod_generation_recover counts once), and
 * the sandbox woken, which takes the new metadata (downwardAPI volumes
 * follow), re-arms its deadline, resizes and restarts what an image change
 * restarts (runtime/update.c). 1 when the pod is terminating (it is replaced
 * as any other change). */
static int update_in_place(struct podfs *fs, const char *uid, const char *ns, const struct pod_spec *spec,
                           bool bump, struct pfs_error *err)
{
        struct pod_rt *p = model_pod_find(&fs->model, uid);
        _cleanup_close_ int dfd = -1;
        struct pod_meta *m = NULL;
        int r;

        if (!p || p->deleted)
                return 1;
        dfd = pod_dir_open_at(fs->dirs.pods_fd, uid);
        if (dfd < 0)
                return pfs_error_set(err, -dfd, "pod %s/%s", ns, spec->name);
        if (pod_meta_read_at(dfd, &m, err) < 0)
                return pfs_error_wrap(err, "pod %s/%s", ns, spec->name);
        r = pfs_write_file_atomic_at(dfd, PFS_SPEC_FILE, spec->source, spec->source_len, 0600, err);
        if (r < 0) {
                pod_meta_free(m);
                return pfs_error_wrap(err, "pod %s/%s: %s", ns, spec->name, PFS_SPEC_FILE);
        }
        if (bump)
                m->generation++;
        pod_meta_set_spec(m, spec);
        r = pod_meta_write_at(dfd, m, err);
        pfs_log(LOG_INFO, "pod %s/%s: updated in place (generation %lld)", ns, spec->name, (long long)m->generation);
        pod_meta_free(m);
        if (r < 0)
                pfs_log(LOG_WARNING, "pod %s/%s: meta: %s (counted at the next start)", ns, spec->name, err->msg);
        sandbox_spec_changed(fs, p);
        return 0;
}

static int apply_one(struct podfs *fs, const char *ns, const struct pod_spec *spec, uid_t uid, gid_t gid,
                     struct pfs_error *err)
{
        struct pod_ref ref;
        struct pod_spec *old = NULL;
        bool same;
        int r;

        if (model_pod_ref(&fs->model, ns, spec->name, &ref) < 0)
                memset(&ref, 0, sizeof(ref));
        /* root's edits keep the owner; a user who may replace it owns the new pod */
        if (ref.exists && uid == 0) {
                uid = ref.owner;
                gid = ref.group;
        }
        if (!ref.exists || ref.placeholder)
                return create_pod(fs, ns, spec, NULL, &ref, uid, gid, err);
        r = read_accepted_spec(fs, ref.uid, ns, spec->name, &old);
        same = r >= 0 && pod_spec_equal(old, spec);
        if (same) {
                struct name_ent *e = model_name_get(&fs->model, ns, spec->name, false);

                pod_spec_free(old);
                if (e)
                        e->spec_hidden = false;
                pfs_log(LOG_INFO, "pod %s/%s unchanged", ns, spec->name);
                return 0;
        }
        if (r >= 0 && pod_spec_same_but_updatable(old, spec)) {
                bool bump = pod_spec_update_bumps_generation(old, spec);

                pod_spec_free(old);
                r = update_in_place(fs, ref.uid, ns, spec, bump, err);
                if (r != 1)
                        return r;
                old = NULL;
        }
        pod_spec_free(old);
        /* replacement: the new pod waits until the old one is gone */
        {
                char olduid[37];

                memcpy(olduid, ref.uid, 37);
                r = create_pod(fs, ns, spec, olduid, &ref, uid, gid, err);
                if (r < 0)
                        return r;
                r = delete_request_uid(fs, olduid, 0, true, err);
                if (r < 0)
                        pfs_log(LOG_WARNING, "pod %s/%s: replace: %s", ns, spec->name, err->msg);
        }
        return 0;
}

/* A manifest that names an existing pod (or a placeholder) replaces it. The
 * kernel checked that the caller may write the namespace or the pod's dir;
 * what it cannot see is which pod a manifest names, so the sticky bit's rule
 * (unlink(2)'s) is applied here: in a sticky namespace only the pod's owner,
 * the namespace's owner or root may replace it. */
static int may_replace(struct podfs *fs, const char *ns, const char *filename, const char *name,
                       const struct pod_ref *ref, struct pfs_error *err)
{
        uid_t who = fs->req_uid;
        struct stat st;

        if (who == 0 || who == ref->owner)
                return 0;
        if (fstatat(fs->dirs.ns_fd, ns, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return pfs_error_set(err, errno, "namespace \"%s\"", ns);
        if (!(st.st_mode & S_ISVTX) || st.st_uid == who)
                return 0;
        return pfs_error_set(err, EPERM,
                             "%s: pods \"%s\" is forbidden: User \"%u\" cannot update resource \"pods\" in API group \"\" in the namespace \"%s\": the namespace is sticky (mode %04o) and the pod belongs to user %u",
                             filename, name, (unsigned)who, ns, (unsigned)(st.st_mode & 07777),
                             (unsigned)ref->owner);
}

/* An update in place of activeDeadlineSeconds sets or lowers it, never raises
 * or removes it (ValidatePodUpdate); a resize keeps the QoS class
 * (ValidatePodResize); other changes replace the pod. */
static int update_may_apply(struct podfs *fs, const char *uid, const char *ns, const char *filename,
                            const struct pod_spec *spec, struct pfs_error *err)
{
        _cleanup_free_ char *qos = NULL;
        struct pod_spec *old = NULL;
        const char *why = NULL;
        char val[32];

        if (read_accepted_spec(fs, uid, ns, spec->name, &old) < 0)
                return 0;
        if (pod_spec_update_kind(old, spec, &qos) == POD_UPDATE_IN_PLACE && !qos)
                why = pod_spec_deadline_update_error(old, spec);
        pod_spec_free(old);
        if (qos)
                return pfs_error_set(err, EINVAL, "%s: line %d: Pod \"%s\" is invalid: %s", filename, spec->source_line,
                                     spec->name, qos);
        if (!why)
                return 0;
        if (spec->active_deadline_seconds < 0)
                snprintf(val, sizeof(val), "\"null\"");
        else
                snprintf(val, sizeof(val), "%lld", (long long)spec->active_deadline_seconds);
        return pfs_error_set(err, EINVAL,
                             "%s: line %d: Pod \"%s\" is invalid: spec.activeDeadlineSeconds: Invalid value: %s: %s",
                             filename, spec->source_line, spec->name, val, why);
}

/* Every pod of the manifest may be created or replaced (0), else why not. */
/* An image given as a path of the node is any directory of it, read as the
 * pod's user (root by default): root's alone to name, as the state dir's
 * images are root's to register. */
static int path_images_admit(struct podfs *fs, const char *filename, const struct pod_spec *spec,
                             struct pfs_error *err)
{
        const char *img = fs->req_uid == 0 ? NULL : pod_spec_path_image(spec);

        if (!img)
                return 0;
        return pfs_error_set(err, EPERM,
                             "%s: pods \"%s\" is forbidden: image \"%s\": only root may name an image by a path of "
                             "the node (register it in the state dir's images, or use a registry)",
                             filename, spec->name, img);
}

static int check_pods(struct podfs *fs, const char *ns, const char *filename, struct pod_spec *const *pods,
                      size_t n, struct pfs_error *err)
{
        for (size_t i = 0; i < n; i++) {
                struct pod_ref ref;
                struct pod_meta *meta = NULL;
                int r;

                for (size_t j = 0; j < i; j++)
                        if (!strcmp(pods[i]->name, pods[j]->name))
                                return pfs_error_set(err, EINVAL, "%s: Pod \"%s\" appears twice", filename,
                                                     pods[i]->name);
                r = path_images_admit(fs, filename, pods[i], err);
                if (r < 0)
                        return r;
                if (model_pod_ref(&fs->model, ns, pods[i]->name, &ref) < 0 || !ref.exists)
                        continue;
                r = may_replace(fs, ns, filename, pods[i]->name, &ref, err);
                if (r < 0)
                        return r;
                if (ref.placeholder)
                        continue;
                r = update_may_apply(fs, ref.uid, ns, filename, pods[i], err);
                if (r < 0)
                        return r;
                if (read_meta(fs, ref.uid, &meta) == 0 && meta->deletion_ns) {
                        pod_meta_free(meta);
                        return pfs_error_set(err, EEXIST, "%s: object is being deleted: pods \"%s\" already exists",
                                             filename, pods[i]->name);
                }
                pod_meta_free(meta);
        }
        return 0;
}

/* A manifest of a namespace or a pod's spec.yaml: only Pods in spec.yaml;
 * ConfigMaps, Secrets and claims too in a file written to the namespace. */
static int parse_manifest(const char *ns, const char *pod, const char *filename, const char *text, size_t len,
                          struct pfs_manifest *m, struct pfs_error *err)
{
        int r;

        if (!pod)
                return pfs_manifest_parse(text, len, filename, ns, m, err);
        r = pod_manifest_parse(text, len, filename, ns, pod, &m->pods, &m->n_pods, err);
        if (r == 0 && m->n_pods != 1)
                r = pfs_error_set(err, EINVAL, "%s: a pod's spec.yaml holds exactly one Pod, found %zu", filename,
                                  m->n_pods);
        return r;
}

int apply_manifest(struct podfs *fs, const char *ns, const char *pod, const char *filename, const char *text,
                   size_t len, uid_t uid, gid_t gid, struct pfs_error *err)
{
        _cleanup_free_ char *key = pfs_trace_enabled() && pod ? xasprintf("%s/%s", ns, pod) : NULL;
        struct pfs_manifest m = { 0 };
        _cleanup_free_ char *warning = NULL;
        int r;

        pfs_trace(key, "daemon:apply");
        if (len > PFS_MANIFEST_MAX)
                return pfs_error_set(err, EFBIG, "%s: manifest is larger than 1 MiB", filename);
        if (!model_ns_exists(&fs->model, ns))
                return pfs_error_set(err, ENOENT, "namespace \"%s\" not found", ns);
        r = parse_manifest(ns, pod, filename, text, len, &m, err);
        if (r < 0)
                goto out;
        pfs_trace(key, "daemon:parsed");
        /* all or nothing: every check before anything is written; objects
         * first, so that the pods that use them find them */
        r = check_pods(fs, ns, filename, m.pods, m.n_pods, err);
        if (r == 0 && m.ns)
                r = ns_labels_may_update(fs, ns, filename, uid, err);
        if (r == 0)
                r = pss_admit(fs, ns, m.ns, filename, m.pods, m.n_pods, &warning, err);
        /* the node's admission, once the API server took the pods */
        for (size_t i = 0; i < m.n_pods && r == 0; i++)
                r = hostports_admit(fs, filename, ns, m.pods, i, err);
        if (r == 0)
                r = objects_check(fs, m.objects, m.n_objects, filename, uid, gid, err);
        if (r == 0 && m.ns)
                r = ns_labels_commit(fs, m.ns, err);
        if (r == 0)
                r = objects_commit(fs, m.objects, m.n_objects, uid, gid, err);
        for (size_t i = 0; i < m.n_pods && r == 0; i++)
                r = apply_one(fs, ns, m.pods[i], uid, gid, err);
        if (r == 0 && warning) {
                pfs_log(LOG_WARNING, "namespace %s: %s", ns, warning);
                model_last_error_set(&fs->model, ns, fs->req_uid, warning);
        }
out:
        pfs_manifest_free(&m);
        return r;
}

/* A rejection: the writer gets errno, people get the message. */
int apply_rejected(struct podfs *fs, const char *ns, struct pfs_error *err, int r)
{
        if (!err->code)
                pfs_error_set(err, -r, "%s", strerror(-r));
        else if (err->code == EMFILE || err->code == ENFILE || err->code == EIO || err->code == ENOSPC)
                pfs_error_add_reason(err); /* a system failure, not the manifest's: say which */
        pfs_log(LOG_WARNING, "namespace %s: rejected: %s", ns, err->msg);
        model_last_error_set(&fs->model, ns, fs->req_uid, err->msg);
        return r;
}

/* What a writer got when a write failed is partial: never applied. */
static int write_failed(struct pfs_error *err, const char *fname, int e)
{
        return pfs_error_set(err, e, "%s: a write failed (%s): nothing applied%s", fname, strerror(e),
                             e == EDQUOT || e == ENOSPC
                                     ? "; unapplied files written into the mount are held in memory, "
                                       "16 MiB per user, 64 MiB in all"
                                     : "");
}

int apply_tmp(struct podfs *fs, struct tmpfile *t, const char *target_name)
{
        struct pfs_error err = {0};
        _cleanup_free_ char *fname = t->pod ? xasprintf("%s/%s/spec.yaml", t->ns, t->pod)
                                            : xasprintf("%s/%s", t->ns, target_name);
        int r;

        if (t->too_big || t->data.len > PFS_MANIFEST_MAX)
                r = pfs_error_set(&err, EFBIG, "%s: manifest is larger than 1 MiB", fname);
        else if (t->write_err)
                r = write_failed(&err, fname, t->write_err);
        else
                r = apply_manifest(fs, t->ns, t->pod, fname, t->data.data ? t->data.data : "", t->data.len,
                                   t->uid, t->gid, &err);
        if (r < 0)
                return apply_rejected(fs, t->ns, &err, r);
        if (t->pod) {
                struct name_ent *e = model_name_get(&fs->model, t->ns, t->pod, false);

                if (e)
                        e->spec_hidden = false;
        }
        return 0;
}

/* A spec.yaml write buffer closed: accept it as the pod's manifest. */
int apply_spec(struct podfs *fs, const char *ns, const char *pod, const struct pfs_buf *b, bool too_big, int write_err,
               uid_t uid, gid_t gid)
{
        struct pfs_error err = {0};
        _cleanup_free_ char *fname = xasprintf("%s/%s/spec.yaml", ns, pod);
        int r;

        if (too_big) {
                r = pfs_error_set(&err, EFBIG, "%s: manifest is larger than 1 MiB", fname);
                return apply_rejected(fs, ns, &err, r);
        }
        if (write_err)
                return apply_rejected(fs, ns, &err, write_failed(&err, fname, write_err));
        r = apply_manifest(fs, ns, pod, fname, b->data ? b->data : "", b->len, uid, gid, &err);
        if (r < 0)
                return apply_rejected(fs, ns, &err, r);
        return 0;
}

/* chmod/chown of a pod dir (the kernel checked who may: a new owner only by
 * root, a group by the owner among its own). A pod's owner lives in its meta:
 * root hands a pod to a user this way. A placeholder is a plain directory. A
 * pod's mode is fixed (README "Security model"). */
int apply_pod_setattr(struct podfs *fs, const char *ns, const char *pod, const mode_t *mode, const uid_t *uid,
                      const gid_t *gid)
{
        _cleanup_free_ char *rel = xasprintf("%s/%s", ns, pod);
        _cleanup_close_ int dfd = -1;
        struct pfs_error err = {0};
        struct pod_meta *m = NULL;
        struct pod_ref ref;
        struct pod_rt *p;
        uid_t u;
        gid_t g;
        int r = model_pod_ref(&fs->model, ns, pod, &ref);

        if (r < 0)
                return r;
        u = uid ? *uid : ref.owner;
        g = gid ? *gid : ref.group;
        if (ref.placeholder) {
                if (mode && fchmodat(fs->dirs.ns_fd, rel, *mode & 0777, 0) < 0)
                        return -errno;
                if ((uid || gid) && fchownat(fs->dirs.ns_fd, rel, u, g, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;
                return 0;
        }
        if (mode)
                return -EPERM;
        if (u == ref.owner && g == ref.group)
                return 0;
        dfd = pod_dir_open_at(fs->dirs.pods_fd, ref.uid);
        if (dfd < 0)
                return dfd;
        r = pod_meta_read_at(dfd, &m, &err);
        if (r >= 0) {
                m->owner = u;
                m->group = g;
                r = pod_meta_write_at(dfd, m, &err);
        }
        pod_meta_free(m);
        if (r < 0) {
                pfs_log(LOG_WARNING, "chown pod %s: %s", rel, err.msg);
                return r;
        }
        p = model_pod_find(&fs->model, ref.uid);
        if (p) {
                p->owner = u;
                p->group = g;
        }
        (void)fchownat(fs->dirs.ns_fd, rel, u, g, AT_SYMLINK_NOFOLLOW);
        pfs_log(LOG_INFO, "pod %s (%s): owner %u:%u", rel, ref.uid, (unsigned)u, (unsigned)g);
        return 0;
}

int apply_namespace_mkdir(struct podfs *fs, const char *ns, mode_t mode, uid_t uid, gid_t gid)
{
        if (mkdirat(fs->dirs.ns_fd, ns, mode & 07777) < 0)
                return -errno;
        (void)fchownat(fs->dirs.ns_fd, ns, uid, gid, AT_SYMLINK_NOFOLLOW);
        (void)fchmodat(fs->dirs.ns_fd, ns, mode & 07777, 0);
        pfs_fsync_dir_at(fs->dirs.ns_fd, ".");
        pfs_log(LOG_INFO, "namespace %s created", ns);
        return 0;
}

/* mkdir in a namespace: a placeholder pod dir, the caller's (its owner and
 * mode, its umask applied, ours not), until spec.yaml is written into it. */
static int mkdir_placeholder(struct podfs *fs, struct node *dir, const char *name, mode_t mode)
{
        _cleanup_free_ char *rel = xasprintf("%s/%s", dir->ns, name);
        struct name_ent *e;

        if (mkdirat(fs->dirs.ns_fd, rel, mode & 0777) < 0)
                return -errno;
        (void)fchownat(fs->dirs.ns_fd, rel, fs->req_uid, fs->req_gid, AT_SYMLINK_NOFOLLOW);
        (void)fchmodat(fs->dirs.ns_fd, rel, mode & 0777, 0);
        pfs_fsync_dir_at(fs->dirs.ns_fd, dir->ns);
        e = model_name_get(&fs->model, dir->ns, name, true);
        e->tomb = false;
        e->announce_until = 0;
        e->spec_hidden = false;
        return 0;
}

static int mkdir_in_ns(struct podfs *fs, struct node *dir, const char *name, mode_t mode)
{
        struct pfs_error err = {0};
        struct pod_ref ref;

        if (!model_ns_exists(&fs->model, dir->ns))
                return -ENOENT;
        if (!strcmp(name, ".last-error") || objects_kind_of_dir(name) >= 0 ||
            model_tmp_find(&fs->model, dir->ns, NULL, name))
                return -EEXIST;
        if (model_pod_ref(&fs->model, dir->ns, name, &ref) == 0) {
                struct pod_meta *meta = NULL;

                if (!ref.placeholder && read_meta(fs, ref.uid, &meta) == 0 && meta->deletion_ns) {
                        pfs_error_set(&err, EEXIST, "%s/%s: object is being deleted: pods \"%s\" already exists",
                                      dir->ns, name, name);
                        apply_rejected(fs, dir->ns, &err, -EEXIST);
                }
                pod_meta_free(meta);
                return -EEXIST;
        }
        if (!pod_name_is_dns1123_subdomain(name)) {
                pfs_error_set(&err, EINVAL,
                              "%s/%s: Pod \"%s\" is invalid: metadata.name: Invalid value: \"%s\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                              dir->ns, name, name, name);
                return apply_rejected(fs, dir->ns, &err, -EINVAL);
        }
        return mkdir_placeholder(fs, dir, name, mode);
}

int apply_mkdir(struct podfs *fs, struct node *parent, const char *name, mode_t mode)
{
        if (!model_name_valid(name))
                return -EINVAL;
        switch (parent->kind) {
        case NODE_ROOT:
                if (!pod_name_is_dns1123_label(name)) {
                        pfs_log(LOG_WARNING, "mkdir namespace \"%s\": not a DNS-1123 label", name);
                        return -EINVAL;
                }
                return apply_namespace_mkdir(fs, name, mode, fs->req_uid, fs->req_gid);
        case NODE_NS:
                return mkdir_in_ns(fs, parent, name, mode);
        case NODE_OBJ_KIND:
                if (!model_ns_exists(&fs->model, parent->ns))
                        return -ENOENT;
                return objects_mkdir(fs, parent->ns, parent->file, name);
        default:
                return -EPERM;
        }
}
