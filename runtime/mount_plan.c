/* The mount plan of one container run, prepared by the sandbox before clone:
 * the pod's /etc files and /dev/shm, the volumeMounts (emptyDir, hostPath,
 * subPath, readOnly), the termination message file, and a fresh overlay
 * layer over the image. mount.c carries it out in the child. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "mount.h"
#include "objvol.h"
#include "pfs/util.h"

static const char *own(struct ctr_mount_plan *x, char *s)
{
        x->strings = xrealloc(x->strings, (x->n_strings + 1) * sizeof(*x->strings));
        x->strings[x->n_strings++] = s;
        return s;
}

static struct ctr_mount *mount_add(struct ctr_mount_plan *x)
{
        x->mounts = xrealloc(x->mounts, (x->n_mounts + 1) * sizeof(*x->mounts));
        memset(&x->mounts[x->n_mounts], 0, sizeof(*x->mounts));
        return &x->mounts[x->n_mounts++];
}

static const struct pod_volume *volume_find(const struct pod_spec *pod, const char *name)
{
        for (size_t i = 0; i < pod->n_volumes; i++)
                if (strcmp(pod->volumes[i].name, name) == 0)
                        return &pod->volumes[i];
        return NULL;
}

char *ctr_termination_log_path(const char *volumes_dir, const char *ctr_name)
{
        return xasprintf("%s/%s/%s", volumes_dir, POD_TERMINATION_DIR, ctr_name);
}

static int termination_log_create(const char *path, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xstrdup(path);
        int fd;

        *strrchr(dir, '/') = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "mkdir '%s'", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0)
                return pfs_error_set(err, errno, "create '%s'", path);
        fchmod(fd, 0666);
        close(fd);
        return 0;
}

static void etc_mount_add(struct ctr_mount_plan *x, const char *volumes_dir, const char *name)
{
        struct ctr_mount *m = mount_add(x);

        m->source = own(x, xasprintf("%s/%s/%s", volumes_dir, POD_ETC_DIR, name));
        m->target = own(x, xasprintf("/etc/%s", name));
        m->if_etc = true;
        m->optional = true;
}

/* subPathExpr: expanded from the container's environment and checked as the
 * kubelet does (the supervisor checked it before: a failure here is rare). */
static int sub_path_expand(struct ctr_mount_plan *x, const struct ctr_launch *l, const struct pod_volume_mount *vm,
                           const char **ret, struct pfs_error *err)
{
        char *sp = NULL;

        if (objvol_expand_sub_path(l->ctr, l->env, vm->sub_path_expr, &sp, err) < 0)
                return -err->code;
        *ret = own(x, sp);
        return 0;
}

static int r_fail(struct pfs_error *err, const char *name)
{
        pfs_log(LOG_DEBUG, "volumeMount \"%s\": %s", name, err->msg);
        return -err->code;
}

static int mounts_add_all(struct ctr_mount_plan *x, const struct ctr_launch *l, struct pfs_error *err)
{
        const struct pod_container *c = l->ctr;
        struct ctr_mount *m;

        etc_mount_add(x, l->volumes_dir, "hostname");
        etc_mount_add(x, l->volumes_dir, "hosts");
        etc_mount_add(x, l->volumes_dir, "resolv.conf");
        m = mount_add(x);
        /* hostIPC: the node's /dev/shm, as containerd binds it. */
        m->source = l->pod->host_ipc ? "/dev/shm" : own(x, xasprintf("%s/%s", l->volumes_dir, POD_SHM_DIR));
        m->target = "/dev/shm";
        m->optional = true;
        for (size_t i = 0; i < c->n_mounts; i++) {
                const struct pod_volume_mount *vm = &c->mounts[i];
                const struct pod_volume *v = volume_find(l->pod, vm->name);

                if (!v)
                        return pfs_error_set(err, ENOENT, "volumeMount \"%s\": no volume of that name", vm->name);
                if (!vm->mount_path || vm->mount_path[0] != '/' || !vm->mount_path[1])
                        return pfs_error_set(err, EINVAL, "volumeMount \"%s\": invalid mountPath \"%s\"",
                                             vm->name, vm->mount_path ? vm->mount_path : "");
                m = mount_add(x);
                if (v->kind == POD_VOLUME_HOST_PATH)
                        m->source = v->host_path;
                else if (v->kind == POD_VOLUME_IMAGE && l->image_roots && l->image_roots[v - l->pod->volumes])
                        m->source = l->image_roots[v - l->pod->volumes];
                else
                        m->source = own(x, xasprintf("%s/%s", l->volumes_dir, v->name));
                m->sub_path = vm->sub_path;
                if (vm->sub_path_expr && sub_path_expand(x, l, vm, &m->sub_path, err) < 0)
                        return r_fail(err, vm->name);
                m->target = vm->mount_path;
                /* the kubelet mounts the files of objects read-only, and image volumes */
                m->read_only = vm->read_only || objvol_is_files(v) || v->kind == POD_VOLUME_IMAGE ||
                               (v->kind == POD_VOLUME_PVC && v->read_only);
                m->nosuid_nodev = v->kind == POD_VOLUME_IMAGE;
        }
        if (c->termination_message_path && c->termination_message_path[0] == '/') {
                const char *src = own(x, ctr_termination_log_path(l->volumes_dir, c->name));
                int r = termination_log_create(src, err);

                if (r < 0)
                        return pfs_error_wrap(err, "termination message file");
                m = mount_add(x);
                m->source = src;
                m->target = c->termination_message_path;
        }
        return 0;
}

/* overlayfs options: '\\', ':' and ',' in paths are escaped with a backslash. */
static void overlay_opt_add(struct pfs_buf *b, const char *key, const char *path)
{
        pfs_buf_printf(b, "%s%s=", b->len ? "," : "", key);
        for (; *path; path++) {
                if (*path == '\\' || *path == ':' || *path == ',')
                        pfs_buf_puts(b, "\\");
                pfs_buf_append(b, path, 1);
        }
}

/* hostUsers: false: the image goes under the overlay through an idmapped
 * mount on lower/ (mount.c), and the writable layer is the pod root's, as
 * containerd's overlay snapshotter chowns it to the pod's host uid/gid. */
static int userns_layer_prepare(struct ctr_mount_plan *x, const char *base, const char *upper, uint32_t host,
                                struct pfs_error *err)
{
        const char *lower = own(x, xasprintf("%s/lower", base));
        int r = pfs_mkdir_p_at(AT_FDCWD, lower, 0755, err);

        if (r < 0)
                return r;
        if (chown(upper, (uid_t)host, (gid_t)host) < 0)
                return pfs_error_set(err, errno, "chown '%s'", upper);
        x->lower_dir = lower;
        return 0;
}

/* A fresh writable layer for this run (kubelet gives a restarted container a new one). */
static int overlay_build(struct ctr_mount_plan *x, const struct ctr_launch *l, struct pfs_error *err)
{
        _cleanup_free_ char *base = xasprintf("%s/%s/%s", l->volumes_dir, POD_OVERLAY_DIR, l->ctr->name);
        _cleanup_free_ char *upper = xasprintf("%s/upper", base), *work = xasprintf("%s/work", base);
        const char *merged = own(x, xasprintf("%s/merged", base));
        struct pfs_buf b = { 0 };
        int r;

        r = pfs_rm_rf_at(AT_FDCWD, base, err);
        if (r >= 0)
                r = pfs_mkdir_p_at(AT_FDCWD, upper, 0755, err);
        if (r >= 0)
                r = pfs_mkdir_p_at(AT_FDCWD, work, 0755, err);
        if (r >= 0)
                r = pfs_mkdir_p_at(AT_FDCWD, merged, 0755, err);
        if (r >= 0 && l->ns && l->ns->userns)
                r = userns_layer_prepare(x, base, upper, l->ns->userns_host, err);
        if (r < 0)
                return pfs_error_wrap(err, "container writable layer");
        overlay_opt_add(&b, "lowerdir", x->lower_dir ? x->lower_dir : l->rootfs);
        overlay_opt_add(&b, "upperdir", upper);
        overlay_opt_add(&b, "workdir", work);
        x->overlay_opts = own(x, pfs_buf_steal(&b));
        x->merged_dir = merged;
        return 0;
}

static size_t path_depth(const char *p)
{
        size_t n = 0;

        for (; *p; p++)
                n += p[0] == '/' && p[1] && p[1] != '/';
        return n;
}

/* Parents before children (/data before /data/cache) whatever the spec's
 * order, keeping the order of equals, as containerd sorts mounts. */
static void mounts_sort(struct ctr_mount_plan *x)
{
        for (size_t i = 1; i < x->n_mounts; i++) {
                struct ctr_mount m = x->mounts[i];
                size_t j = i, d = path_depth(m.target);

                for (; j > 0 && path_depth(x->mounts[j - 1].target) > d; j--)
                        x->mounts[j] = x->mounts[j - 1];
                x->mounts[j] = m;
        }
}

int ctr_mount_plan_build(struct ctr_mount_plan *x, const struct ctr_launch *l, struct pfs_error *err)
{
        int r = mounts_add_all(x, l, err);

        if (r < 0)
                return r;
        mounts_sort(x);
        return overlay_build(x, l, err);
}

void ctr_mount_plan_free(struct ctr_mount_plan *x)
{
        free(x->mounts);
        for (size_t i = 0; i < x->n_strings; i++)
                free(x->strings[i]);
        free(x->strings);
}
