/* The sandbox's side of configMap, secret, downwardAPI, projected and
 * persistentVolumeClaim volumes: set up before the first container (a
 * missing object keeps the containers waiting in ContainerCreating with the
 * kubelet's FailedMount event), and refreshed on every wake-up (SIGHUP: the
 * daemon changed an object of the namespace or the pod's labels/annotations):
 * the pod starts once its objects exist, and a changed object or label
 * reaches the files by an atomic swap of "..data". */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "objvol.h"
#include "security.h"
#include "pfs/object.h"
#include "pfs/store.h"
#include "sandbox.h"

/* What the sandbox remembers of one file volume. */
struct objvol_state {
        char *written;          /* the serialized payload last written; NULL = none yet */
        size_t written_len;
        bool immutable;         /* its objects are immutable: never read again */
        char *failed;           /* the FailedMount message last reported */
        bool bound;             /* a claim: its data dir is bound */
};

static bool is_memory_backed(const struct pod_volume *v)
{
        /* the kubelet wraps secret, downwardAPI and projected volumes in a
         * medium Memory emptyDir, configMap in a disk one */
        return v->kind != POD_VOLUME_CONFIG_MAP;
}

static int files_dir_prepare(struct sbx *s, const struct pod_volume *v, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", s->volumes_dir, v->name);
        _cleanup_free_ char *opts = NULL;
        struct stat a, b;
        uint64_t size;

        if (mkdir(path, 0777) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "mkdir '%s'", path);
        if (!is_memory_backed(v)) {
                chmod(path, 0777);
                return 0;
        }
        if (stat(path, &a) == 0 && stat(s->volumes_dir, &b) == 0 && a.st_dev != b.st_dev)
                return 0;       /* already a tmpfs */
        size = pod_empty_dir_memory_size(s->spec, v);
        opts = size ? xasprintf("mode=1777,size=%llu", (unsigned long long)size) : xstrdup("mode=1777");
        if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
                return pfs_error_set(err, errno, "mount tmpfs on '%s'", path);
        return 0;
}

/* A claim's data dir, bound on the volume's dir in the sandbox's mount
 * namespace; containers bind it from there (read-only with readOnly). */
static int claim_bind(struct sbx *s, const struct pod_volume *v, struct pfs_error *err)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", s->volumes_dir, v->name);
        _cleanup_close_ int fd = pfs_claim_dir_open_at(s->state_fd, s->spec->namespace, v->claim_name, true, err);
        char src[64], real[PATH_MAX];
        struct stat a, b;
        ssize_t n;

        if (fd < 0)
                return pfs_error_wrap(err, "persistentvolumeclaim \"%s\"", v->claim_name);
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return pfs_error_set(err, errno, "mkdir '%s'", path);
        if (stat(path, &a) == 0 && fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                return 0;       /* bound already */
        /* by its path: the fd's mount belongs to the namespace it was opened in
         * (the state dir was opened before the sandbox had its own) */
        snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
        n = readlink(src, real, sizeof(real) - 1);
        if (n <= 0 || (size_t)n >= sizeof(real) - 1)
                return pfs_error_set(err, n < 0 ? errno : ENAMETOOLONG, "the claim's data dir");
        real[n] = '\0';
        if (mount(real, path, NULL, MS_BIND, NULL) < 0)
                return pfs_error_set(err, errno, "bind the claim's data on '%s'", path);
        /* the kubelet's local volume: fsGroup on the first mount, unless read-only */
        return v->read_only ? 0 : pod_volume_ownership(path, s->spec, false, true, err);
}

static void mount_failed(struct sbx *s, struct objvol_state *st, const char *msg)
{
        if (st->failed && !strcmp(st->failed, msg))
                return;
        sbx_event(s, NULL, "Warning", "FailedMount", "%s", msg);
        free(st->failed);
        st->failed = xstrdup(msg);
}

/* A claim's volume: bound once its PersistentVolumeClaim exists (the
 * kubelet's volume manager fetches it first); 1 bound, 0 waiting (event
 * reported), < 0 error (event reported). */
static int claim_sync(struct sbx *s, const struct pod_volume *v, struct objvol_state *st)
{
        struct pfs_object_stamp stamp;
        struct pfs_error err = { 0 };
        _cleanup_free_ char *msg = NULL;
        int r;

        if (st->bound)
                return 1;
        r = pfs_object_stamp_at(s->state_fd, PFS_OBJ_PVC, s->spec->namespace, v->claim_name, &stamp);
        if (r == -ENOENT) {
                msg = xasprintf("Unable to attach or mount volumes: unmounted volumes=[%s], unattached volumes=[], "
                                "failed to process volumes=[%s]: error processing PVC %s/%s: failed to fetch PVC "
                                "from API server: persistentvolumeclaims \"%s\" not found",
                                v->name, v->name, s->spec->namespace, v->claim_name, v->claim_name);
                mount_failed(s, st, msg);
                return 0;
        }
        if (r < 0)
                pfs_error_set(&err, -r, "persistentvolumeclaim \"%s\"", v->claim_name);
        if (r < 0 || claim_bind(s, v, &err) < 0) {
                msg = xasprintf("MountVolume.SetUp failed for volume \"%s\" : %s", v->name, err.msg);
                pfs_log(LOG_ERR, "%s", msg);
                mount_failed(s, st, msg);
                return -err.code;
        }
        free(st->failed);
        st->failed = NULL;
        st->bound = true;
        return 1;
}

static struct pod_downward_ctx downward_ctx(struct sbx *s)
{
        /* status.hostIP and status.podIP as the pod's status shows them */
        struct pod_downward_ctx ctx = {
                .spec = s->spec, .uid = s->uid, .node_name = s->node_name,
                .host_ip = s->status->host_ip ? s->status->host_ip : "",
                .pod_ip = s->status->pod_ip ? s->status->pod_ip : "",
                .pod_ip2 = s->status->pod_ip2,
        };

        return ctx;
}

/* One file volume: 1 written or unchanged, 0 waiting (event reported), < 0 error. */
static int files_sync(struct sbx *s, const struct pod_volume *v, struct objvol_state *st)
{
        struct pod_downward_ctx ctx = downward_ctx(s);
        struct objvol_payload p = { 0 };
        struct pfs_error err = { 0 };
        _cleanup_free_ char *ser = NULL, *path = NULL;
        _cleanup_close_ int dfd = -1;
        bool immutable = false;
        size_t len;

        if (st->written && st->immutable)
                return 1;
        if (objvol_payload_build(s->state_fd, &ctx, v, &p, &immutable, &err) < 0) {
                _cleanup_free_ char *msg = xasprintf("MountVolume.SetUp failed for volume \"%s\" : %s", v->name,
                                                     err.msg);

                mount_failed(s, st, msg);
                return 0;
        }
        free(st->failed);
        st->failed = NULL;
        if (s->spec->security && s->spec->security->fs_group >= 0) {
                p.has_fs_group = true;
                p.fs_group = (gid_t)s->spec->security->fs_group;
        }
        ser = objvol_payload_serialize(&p, &len);
        if (st->written && st->written_len == len && !memcmp(st->written, ser, len)) {
                objvol_payload_free(&p);
                return 1;
        }
        path = xasprintf("%s/%s", s->volumes_dir, v->name);
        dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0 || objvol_write_at(dfd, &p, &err) < 0) {
                if (dfd < 0)
                        pfs_error_set(&err, errno, "open '%s'", path);
                pfs_log(LOG_ERR, "volume \"%s\": %s", v->name, err.msg);
                objvol_payload_free(&p);
                return -err.code;
        }
        objvol_payload_free(&p);
        free(st->written);
        st->written = ser;
        ser = NULL;
        st->written_len = len;
        st->immutable = immutable;
        pfs_log(LOG_INFO, "volume \"%s\": files written", v->name);
        return 1;
}

/* Every file volume: true when all are set up. */
static bool objvol_sync(struct sbx *s)
{
        bool ready = true;

        for (size_t i = 0; i < s->spec->n_volumes; i++) {
                const struct pod_volume *v = &s->spec->volumes[i];

                if ((objvol_is_files(v) && files_sync(s, v, &s->objvols[i]) <= 0) ||
                    (v->kind == POD_VOLUME_PVC && claim_sync(s, v, &s->objvols[i]) <= 0))
                        ready = false;
        }
        return ready;
}

int objvol_setup(struct sbx *s, struct pfs_error *err)
{
        s->objvols = xcalloc(s->spec->n_volumes + 1, sizeof(*s->objvols));
        s->node_name = pod_node_name();
        for (size_t i = 0; i < s->spec->n_volumes; i++) {
                const struct pod_volume *v = &s->spec->volumes[i];
                int r = 0;

                if (objvol_is_files(v))
                        r = files_dir_prepare(s, v, err);
                if (r < 0)
                        return pfs_error_wrap(err, "MountVolume.SetUp failed for volume \"%s\"", v->name);
        }
        s->volumes_ready = objvol_sync(s);
        return 0;
}

void objvol_wake(struct sbx *s)
{
        bool was_ready = s->volumes_ready;

        if (!s->objvols || term_begun(s))
                return;
        if (objvol_sync(s) && !was_ready) {
                s->volumes_ready = true;
                pfs_log(LOG_INFO, "volumes ready: starting the containers");
                sup_advance(s);
        }
}

void objvol_free(struct sbx *s)
{
        for (size_t i = 0; s->objvols && i < s->spec->n_volumes; i++) {
                free(s->objvols[i].written);
                free(s->objvols[i].failed);
        }
        free(s->objvols);
        free(s->node_name);
}
