/* The images of a container's start, as the kubelet gets them: first the
 * pod's image volumes the container mounts (KEP-4639: getImageVolumes, each
 * with its volume's pullPolicy, before the containers that mount them
 * start), then the container's own image (EnsureImageExists in
 * startContainer). A local image (a rootfs, layout, bundle, absolute path)
 * wins; else the store and the pull policy decide (pull.c). A pull runs
 * asynchronously: the start goes on at EV_PULLED where it stopped, with the
 * volumes already resolved kept in c->vol_roots. */
#include <errno.h>
#include <string.h>
#include "sandbox.h"

static void set_msg(struct ctr *c, const char *msg)
{
        free(c->msg);
        c->msg = xstrdup(msg);
}

static void image_present(struct sbx *s, struct ctr *c)
{
        sbx_image_event(s, c, "Normal", "Pulled",
                        "Container image \"%s\" already present on machine and can be accessed by the pod", pull_image(s, c));
}

/* After the local images (image_resolve), the kubelet's image manager (pull.c). */
static int image_from_store(struct sbx *s, struct ctr *c, char **ret_rootfs, char **ret_id,
                            enum ctr_sup_event *ret_ev)
{
        struct pfs_error err = {0};

        switch (pull_decide(s, c, ret_rootfs, ret_id, &err)) {
        case PULL_PRESENT:
                image_present(s, c);
                return 0;
        case PULL_NEEDED:
                if (pull_start(s, c, &err) == 0)
                        return 1;
                break;
        case PULL_NEVER:
                c->msg_reason = "ErrImageNeverPull";
                set_msg(c, err.msg);
                *ret_ev = EV_IMAGE_REFUSED;
                return -1;
        case PULL_INVALID:
                c->msg_reason = "InvalidImageName";
                set_msg(c, err.msg);
                *ret_ev = EV_IMAGE_REFUSED;
                return -1;
        case PULL_FAILED:
                break;
        }
        set_msg(c, err.msg);
        *ret_ev = EV_PULL_FAILED;
        return -1;
}

/* The image pull_image names: 0 resolved, 1 a pull began, -1 failed (*ret_ev). */
static int image_get(struct sbx *s, struct ctr *c, char **ret_rootfs, char **ret_id, enum ctr_sup_event *ret_ev)
{
        const char *image = pull_image(s, c);
        struct pfs_error err = {0};

        if (image_resolve(s->state_dir, image, ret_rootfs, ret_id, &err) == 0) {
                image_present(s, c);
                return 0;
        }
        if (image && image[0] != '/' && (err.code == ENOENT || err.code == EINVAL))
                return image_from_store(s, c, ret_rootfs, ret_id, ret_ev);
        set_msg(c, err.msg);
        *ret_ev = EV_PULL_FAILED;
        return -1;
}

static bool ctr_mounts(const struct ctr *c, const char *volume)
{
        for (size_t i = 0; i < c->spec->n_mounts; i++)
                if (!strcmp(c->spec->mounts[i].name, volume))
                        return true;
        return false;
}

/* The image volumes c mounts, in spec.volumes order, into c->vol_roots; on a
 * pull or a failure c->pull_ref names the volume's image. */
static int image_volumes_get(struct sbx *s, struct ctr *c, enum ctr_sup_event *ret_ev)
{
        if (!c->vol_roots)
                c->vol_roots = xcalloc(s->spec->n_volumes + 1, sizeof(*c->vol_roots));
        for (size_t v = 0; v < s->spec->n_volumes; v++) {
                const struct pod_volume *vol = &s->spec->volumes[v];
                _cleanup_free_ char *id = NULL;
                int r;

                if (vol->kind != POD_VOLUME_IMAGE || c->vol_roots[v] || !ctr_mounts(c, vol->name))
                        continue;
                free(c->pull_ref);
                c->pull_ref = xstrdup(vol->reference);
                c->pull_vol = v;
                r = image_get(s, c, &c->vol_roots[v], &id, ret_ev);
                if (r != 0)
                        return r;
        }
        free(c->pull_ref);
        c->pull_ref = NULL;
        return 0;
}

int start_images_get(struct sbx *s, struct ctr *c, char **ret_rootfs, char **ret_id, enum ctr_sup_event *ret_ev)
{
        int r = image_volumes_get(s, c, ret_ev);

        if (r != 0)
                return r;
        if (c->pull_rootfs) {
                *ret_rootfs = steal_ptr(&c->pull_rootfs);
                *ret_id = steal_ptr(&c->pull_id);
                return 0;
        }
        return image_get(s, c, ret_rootfs, ret_id, ret_ev);
}

void start_images_drop(struct sbx *s, struct ctr *c)
{
        for (size_t v = 0; c->vol_roots && v < s->spec->n_volumes; v++)
                free(c->vol_roots[v]);
        free(c->vol_roots);
        c->vol_roots = NULL;
}
