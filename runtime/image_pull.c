/* podfs-image pull: a registry image into the store (pfs/imagestore.h) with
 * skopeo, never a registry client of our own. Under one lock on the store
 * (STATE/cache/oci.lock): two pods pulling the same image at once pull it
 * once, and skopeo never writes the shared layout twice at a time.
 * skopeo reads the node's containers configuration as it would for a user
 * (registries.conf: mirrors, insecure registries; policy.json; auth.json);
 * CONTAINERS_REGISTRIES_CONF, when set, is handed to it as --registries-conf. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "image_internal.h"
#include "pfs/imageref.h"
#include "pfs/imagestore.h"
#include "pfs/util.h"
#include "pfs/yval.h"

#define SKOPEO_OUTPUT_MAX 65536

static int store_lock(const char *state_dir, struct pfs_error *err)
{
        _cleanup_free_ char *dir = xasprintf("%s/cache", state_dir);
        _cleanup_free_ char *path = xasprintf("%s/%s", state_dir, PFS_IMAGE_LOCK_FILE);
        int fd, r;

        r = pfs_mkdir_p_at(AT_FDCWD, dir, 0700, err);
        if (r < 0)
                return r;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return pfs_error_set(err, errno, "open '%s'", path);
        while (flock(fd, LOCK_EX) < 0) {
                if (errno != EINTR) {
                        r = pfs_error_set(err, errno, "lock '%s'", path);
                        close(fd);
                        return r;
                }
        }
        return fd;
}

static bool pid_alive(const char *s)
{
        long pid = strtol(s, NULL, 10);

        return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* What a pull or an unpack killed half-way left: skopeo's temporary blobs in
 * the layout, unpack trees of processes that are gone. Under the store lock. */
static void store_sweep(const char *state_dir, const char *layout)
{
        _cleanup_free_ char *cache = xasprintf("%s/cache/images", state_dir);
        const char *dirs[2] = { layout, cache };

        for (int i = 0; i < 2; i++) {
                DIR *d = opendir(dirs[i]);
                struct dirent *de;

                while (d && (de = readdir(d))) {
                        bool stale = i == 0 ? !strncmp(de->d_name, "oci-put-blob", 12)
                                            : !strncmp(de->d_name, ".tmp-", 5) && !pid_alive(de->d_name + 5);

                        if (stale)
                                pfs_rm_rf_at(dirfd(d), de->d_name, NULL);
                }
                if (d)
                        closedir(d);
        }
}

/* skopeo's last "msg=..." (logrus) unquoted, else its last line. */
static void skopeo_message(char *out, struct pfs_error *err, int status)
{
        char *m = NULL, *p, *q;

        for (p = out; (p = strstr(p, "msg=\"")); p += 5)
                m = p + 5;
        if (m) {
                for (p = q = m; *p && *p != '"'; p++)
                        *q++ = (*p == '\\' && p[1]) ? *++p : *p;
                *q = '\0';
        } else {
                size_t n = strlen(out);

                while (n > 0 && out[n - 1] == '\n')
                        out[--n] = '\0';
                m = strrchr(out, '\n');
                m = m ? m + 1 : out;
        }
        if (!*m)
                pfs_error_set(err, EIO, "skopeo failed (status %d)", status);
        else
                pfs_error_set(err, EIO, "%s", m);
}

static _Noreturn void skopeo_exec(char **argv, int out_w)
{
        int null = open("/dev/null", O_RDONLY);

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
                _exit(127);
        execvp(argv[0], argv);
        fprintf(stderr, "msg=\"run %s: %s\"\n", argv[0], strerror(errno));
        _exit(127);
}

/* Run ARGV (skopeo), its output (stdout and stderr, bounded) into ERR on failure. */
static int skopeo_run(char **argv, struct pfs_error *err)
{
        struct pfs_buf out = {0};
        char chunk[4096];
        int p[2], status = -1;
        pid_t pid;
        ssize_t n;

        if (pipe2(p, O_CLOEXEC) < 0)
                return pfs_error_set(err, errno, "pipe");
        pid = fork();
        if (pid < 0) {
                close(p[0]);
                close(p[1]);
                return pfs_error_set(err, errno, "fork");
        }
        if (pid == 0)
                skopeo_exec(argv, p[1]);
        close(p[1]);
        while ((n = read(p[0], chunk, sizeof(chunk))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                if (out.len < SKOPEO_OUTPUT_MAX)
                        pfs_buf_append(&out, chunk, (size_t)n);
        }
        close(p[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        pfs_buf_append(&out, "", 1);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                pfs_buf_free(&out);
                return 0;
        }
        skopeo_message(out.data, err, status);
        pfs_buf_free(&out);
        return -err->code;
}

static int skopeo_copy(const char *ref, const char *layout, const char *authfile, struct pfs_error *err)
{
        const char *skopeo = getenv("PODFS_SKOPEO"), *conf = getenv("CONTAINERS_REGISTRIES_CONF");
        _cleanup_free_ char *src = xasprintf("docker://%s", ref), *dst = xasprintf("oci:%s:%s", layout, ref);
        char *argv[12];
        int n = 0;

        argv[n++] = (char *)(skopeo && *skopeo ? skopeo : "skopeo");
        if (conf && *conf) {
                argv[n++] = "--registries-conf";
                argv[n++] = (char *)conf;
        }
        argv[n++] = "copy";
        argv[n++] = "--quiet";
        if (authfile) {
                argv[n++] = "--authfile";
                argv[n++] = (char *)authfile;
        }
        argv[n++] = src;
        argv[n++] = dst;
        argv[n] = NULL;
        return skopeo_run(argv, err);
}

/* Bytes of the image: the manifest's config and layers (what the kubelet's
 * "Image size" counts: the content as stored, compressed). */
static int64_t manifest_size(const char *layout, const char *ref)
{
        struct ydoc *docs = NULL;
        char *digest = NULL;
        size_t n = 0;
        int64_t size = 0;
        const struct yval *layers;

        if (image_manifest_load(layout, ref, true, &docs, &n, &digest, NULL) < 0)
                return 0;
        size += yval_get_int(yval_map_get(docs[0].root, "config"), "size", 0);
        layers = yval_map_get(docs[0].root, "layers");
        for (size_t i = 0; layers && layers->type == YVAL_LIST && i < layers->list.n; i++)
                size += yval_get_int(layers->list.items[i], "size", 0);
        ydoc_free_array(docs, n);
        free(digest);
        return size;
}

/* Under the lock: copy, unpack, record. */
static int pull_locked(const char *state_dir, const struct pfs_image_ref *ref, const char *authfile,
                       struct pfs_image_record *rec, struct pfs_error *err)
{
        _cleanup_free_ char *layout = xasprintf("%s/%s", state_dir, PFS_IMAGE_LAYOUT_DIR);
        _cleanup_free_ char *repo = pfs_image_ref_repo(ref);
        int r;

        store_sweep(state_dir, layout);
        r = skopeo_copy(rec->ref, layout, authfile, err);
        if (r < 0) {
                store_sweep(state_dir, layout);
                return r;
        }
        r = image_oci_unpack(state_dir, layout, repo, rec->ref, true, &rec->rootfs, &rec->id, err);
        if (r < 0)
                return r;
        rec->digest = xstrdup(strchr(rec->id, '@') + 1);
        rec->size = manifest_size(layout, rec->ref);
        return pfs_image_record_write(state_dir, rec, err);
}

int image_pull(const char *state_dir, const char *image, bool if_not_present, const char *authfile,
               int gc_high, int gc_low, struct pfs_image_record *ret, int64_t *ret_ns, struct pfs_error *err)
{
        struct pfs_image_record rec = {0};
        struct pfs_image_ref ref;
        int lock, r;

        r = pfs_image_ref_parse(image, &ref, err);
        if (r < 0)
                return r;
        rec.ref = pfs_image_ref_full(&ref);
        lock = store_lock(state_dir, err);
        if (lock < 0) {
                pfs_image_ref_free(&ref);
                pfs_image_record_free(&rec);
                return lock;
        }
        *ret_ns = pfs_now_monotonic_ns();
        /* another pod pulled it while this one waited for the lock */
        if (if_not_present && pfs_image_record_read(state_dir, rec.ref, ret, NULL) == 0)
                r = 1;
        else
                r = pull_locked(state_dir, &ref, authfile, &rec, err);
        *ret_ns = pfs_now_monotonic_ns() - *ret_ns;
        if (r == 0 && gc_high >= 0)
                image_gc(state_dir, gc_high, gc_low, rec.ref);
        close(lock);
        pfs_image_ref_free(&ref);
        if (r == 0)
                *ret = rec;
        else
                pfs_image_record_free(&rec);
        return r < 0 ? r : 0;
}
