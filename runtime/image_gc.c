/* Garbage collection of pulled images, the kubelet's image GC: when the
 * state dir's filesystem is fuller than the high threshold (percent), the
 * images no existing pod uses are removed, least recently used first, until
 * it is down to the low threshold. Run by podfs-image after a pull, under the
 * store's lock; never removes the image just pulled. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "image_internal.h"
#include "pfs/imagestore.h"
#include "pfs/util.h"

struct gc_candidate {
        char *ref;
        time_t used;
};

static int usage_percent(const char *state_dir)
{
        struct statvfs v;

        if (statvfs(state_dir, &v) < 0 || v.f_blocks == 0)
                return -1;
        return (int)((v.f_blocks - v.f_bavail) * 100 / v.f_blocks);
}

/* A user entry counts while its pod exists (STATE/pods/<uid>). */
static bool image_in_use(const char *state_dir, const char *ref)
{
        char **uids = pfs_image_users(state_dir, ref);
        bool used = false;

        for (size_t i = 0; uids[i]; i++) {
                _cleanup_free_ char *p = xasprintf("%s/pods/%s", state_dir, uids[i]);

                used = used || access(p, F_OK) == 0;
                free(uids[i]);
        }
        free(uids);
        return used;
}

static int by_use(const void *a, const void *b)
{
        const struct gc_candidate *x = a, *y = b;

        return x->used < y->used ? -1 : x->used > y->used;
}

static size_t gc_candidates(const char *state_dir, const char *keep, struct gc_candidate **ret)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s", state_dir, PFS_IMAGE_RECORD_DIR);
        struct gc_candidate *v = NULL;
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        while (d && (de = readdir(d))) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
                struct pfs_image_record r = {0};
                struct stat st;

                if (strchr(de->d_name, '.') || stat(p, &st) < 0 || pfs_image_record_read_path(p, &r, NULL) < 0)
                        continue;
                if (strcmp(r.ref, keep) != 0 && !image_in_use(state_dir, r.ref)) {
                        v = xrealloc(v, (n + 1) * sizeof(*v));
                        v[n].ref = steal_ptr(&r.ref);
                        v[n++].used = st.st_mtime;
                }
                pfs_image_record_free(&r);
        }
        if (d)
                closedir(d);
        if (n > 1)
                qsort(v, n, sizeof(*v), by_use);
        *ret = v;
        return n;
}

void image_gc(const char *state_dir, int high, int low, const char *keep)
{
        struct gc_candidate *c = NULL;
        int pct = usage_percent(state_dir);
        size_t n, i;

        if (pct < 0 || pct < high)
                return;
        n = gc_candidates(state_dir, keep, &c);
        for (i = 0; i < n && (pct = usage_percent(state_dir)) > low; i++) {
                struct pfs_error err = {0};

                if (pfs_image_remove_locked(state_dir, c[i].ref, &err) == 0)
                        fprintf(stderr, "image GC: removed \"%s\" (disk %d%% used, high %d%%, low %d%%)\n",
                                c[i].ref, pct, high, low);
        }
        for (i = 0; i < n; i++)
                free(c[i].ref);
        free(c);
}
