/* The node's host ids for user-namespaced pods and each pod's slice of them
 * (include/pfs/userns.h): the kubelet's userns manager, with its file format
 * and messages, over the state dir instead of a map in memory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "pfs/store.h"
#include "pfs/userns.h"
#include "pfs/util.h"
#include "pfs/yval.h"

static int u32_parse(const char *s, size_t n, uint32_t *ret)
{
        char buf[24], *end;
        unsigned long long v;

        if (n == 0 || n >= sizeof(buf) || s[0] < '0' || s[0] > '9')
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        errno = 0;
        v = strtoull(buf, &end, 10);
        if (errno || *end || v > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t)v;
        return 0;
}

int pfs_userns_range_parse(const char *s, struct pfs_userns_range *ret, struct pfs_error *err)
{
        const char *colon = strchr(s, ':');
        struct pfs_userns_range r;

        if (!colon || u32_parse(s, (size_t)(colon - s), &r.first) < 0 ||
            u32_parse(colon + 1, strlen(colon + 1), &r.length) < 0)
                return pfs_error_set(err, EINVAL, "--userns-range '%s': must be FIRST:LENGTH", s);
        *ret = r;
        return 0;
}

/* USER's lines of a subid file: 1 (one, in *ret), 0 (none), -errno. */
static int subid_read(const char *path, const char *user, struct pfs_userns_range *ret, struct pfs_error *err)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        size_t ulen = strlen(user);
        char line[512];
        int found = 0;

        if (!f)
                return errno == ENOENT ? 0 : pfs_error_set(err, errno, "open %s", path);
        while (fgets(line, sizeof(line), f)) {
                char *c1, *c2;

                line[strcspn(line, "\n")] = '\0';
                if (strncmp(line, user, ulen) != 0 || line[ulen] != ':')
                        continue;
                c1 = line + ulen + 1;
                c2 = strchr(c1, ':');
                if (!c2 || u32_parse(c1, (size_t)(c2 - c1), &ret->first) < 0 ||
                    u32_parse(c2 + 1, strlen(c2 + 1), &ret->length) < 0)
                        return pfs_error_set(err, EINVAL, "%s: invalid line \"%s\"", path, line);
                if (found++)
                        return pfs_error_set(err, EINVAL, "%s: more than one range for user \"%s\"", path, user);
        }
        return found;
}

/* The end of the highest range any user has in a subid file (0: none). */
static uint64_t subid_max_end(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        uint64_t max = 0;
        char line[512];

        while (f && fgets(line, sizeof(line), f)) {
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                uint32_t first, length;

                line[strcspn(line, "\n")] = '\0';
                if (c2 && u32_parse(c1 + 1, (size_t)(c2 - c1 - 1), &first) == 0 &&
                    u32_parse(c2 + 1, strlen(c2 + 1), &length) == 0 && (uint64_t)first + length > max)
                        max = (uint64_t)first + length;
        }
        return max;
}

void pfs_userns_default_above_subids(struct pfs_userns_range *r, const char *subuid, const char *subgid)
{
        const uint64_t n = PFS_USERNS_LENGTH;
        uint64_t end = subid_max_end(subuid), g = subid_max_end(subgid);
        uint64_t first;

        if (g > end)
                end = g;
        first = (end + n - 1) / n * n;
        if (first <= r->first || first >= (uint64_t)UINT32_MAX + 1 - n * PFS_USERNS_MAX_PODS)
                return;
        r->first = (uint32_t)first;
        r->length = (uint32_t)(((uint64_t)UINT32_MAX + 1 - first) / n * n);
}

int pfs_userns_range_subid(const char *subuid, const char *subgid, const char *user,
                           struct pfs_userns_range *ret, struct pfs_error *err)
{
        struct pfs_userns_range u = { 0 }, g = { 0 };
        int ru = subid_read(subuid, user, &u, err), rg;

        if (ru < 0)
                return ru;
        rg = subid_read(subgid, user, &g, err);
        if (rg < 0)
                return rg;
        if (ru != rg || u.first != g.first || u.length != g.length)
                return pfs_error_set(err, EINVAL, "mismatched subuids and subgids for user \"%s\"", user);
        if (ru)
                *ret = u;
        return ru;
}

int pfs_userns_range_check(const struct pfs_userns_range *r, struct pfs_error *err)
{
        const uint32_t n = PFS_USERNS_LENGTH;

        if (r->first % n != 0)
                return pfs_error_set(err, EINVAL, "kubelet user assigned ID %" PRIu32 " is not a multiple of %" PRIu32,
                                     r->first, n);
        if (r->first < n)
                return pfs_error_set(err, EINVAL, "kubelet user assigned ID %" PRIu32 " must be greater or equal to %"
                                     PRIu32, r->first, n);
        if (r->length % n != 0)
                return pfs_error_set(err, EINVAL, "kubelet user assigned IDs length %" PRIu32 " is not a multiple of %"
                                     PRIu32, r->length, n);
        if (r->length / n < PFS_USERNS_MAX_PODS)
                return pfs_error_set(err, EINVAL, "kubelet user assigned IDs are not enough to support %d pods",
                                     PFS_USERNS_MAX_PODS);
        if ((uint64_t)r->first + r->length > (uint64_t)UINT32_MAX + 1)
                return pfs_error_set(err, EINVAL, "kubelet user assigned IDs %" PRIu32 "+%" PRIu32 " exceed 2^32",
                                     r->first, r->length);
        return 0;
}

int pfs_userns_range_resolve(const char *flag, struct pfs_userns_range *ret, struct pfs_error *err)
{
        struct pfs_userns_range r = { PFS_USERNS_DEFAULT_FIRST, PFS_USERNS_DEFAULT_LENGTH };
        int found;

        if (flag) {
                if (pfs_userns_range_parse(flag, &r, err) < 0)
                        return -EINVAL;
                if (pfs_userns_range_check(&r, err) < 0)
                        return pfs_error_wrap(err, "--userns-range %s", flag);
        } else {
                found = pfs_userns_range_subid("/etc/subuid", "/etc/subgid", PFS_USERNS_SUBID_USER, &r, err);
                if (found < 0)
                        return pfs_error_wrap(err, "kubelet mappings");
                if (!found)
                        pfs_userns_default_above_subids(&r, "/etc/subuid", "/etc/subgid");
                if (pfs_userns_range_check(&r, err) < 0)
                        return found ? pfs_error_wrap(err, "/etc/subuid, /etc/subgid (%s)", PFS_USERNS_SUBID_USER)
                                     : -err->code;
        }
        *ret = r;
        return 0;
}

/* ---- one pod's mapping file ---- */

/* One {"hostId","containerId","length"} list of one entry: 0, or -EINVAL with why. */
static int mapping_list(const struct yval *root, const char *key, uint32_t *host, struct pfs_error *err)
{
        const struct yval *l = yval_map_get(root, key), *m;
        int64_t h, c, n;

        if (!l || l->type != YVAL_LIST || l->list.n != 1)
                return pfs_error_set(err, EINVAL, "invalid user namespace configuration: no more than one mapping "
                                     "allowed.");
        m = l->list.items[0];
        h = yval_get_int(m, "hostId", -1);
        c = yval_get_int(m, "containerId", -1);
        n = yval_get_int(m, "length", -1);
        if (c != 0)
                return pfs_error_set(err, EINVAL, "invalid user namespace configuration: %s 0 must be mapped",
                                     key[0] == 'u' ? "UID" : "GID");
        if (n != PFS_USERNS_LENGTH)
                return pfs_error_set(err, EINVAL, "wrong user namespace length %lld", (long long)n);
        if (h < 0 || h > UINT32_MAX || h % PFS_USERNS_LENGTH)
                return pfs_error_set(err, EINVAL, "wrong user namespace offset specified %lld", (long long)h);
        *host = (uint32_t)h;
        return 0;
}

int pfs_userns_mapping_read_at(int pod_dirfd, uint32_t *ret_host, struct pfs_error *err)
{
        _cleanup_free_ char *text = NULL;
        struct ydoc *docs = NULL;
        uint32_t hu = 0, hg = 0;
        size_t len, n = 0;
        int r;

        r = pfs_read_file_at(pod_dirfd, PFS_USERNS_FILE, &text, &len, err);
        if (r == -ENOENT) {
                pfs_error_clear(err);
                return 0;
        }
        if (r < 0)
                return r;
        r = yval_parse_stream(text, len, &docs, &n, err);
        if (r >= 0 && (n != 1 || !docs[0].root || docs[0].root->type != YVAL_MAP))
                r = pfs_error_set(err, EINVAL, "invalid user namespace mappings file");
        if (r >= 0)
                r = mapping_list(docs[0].root, "uidMappings", &hu, err);
        if (r >= 0)
                r = mapping_list(docs[0].root, "gidMappings", &hg, err);
        if (r >= 0 && hu != hg)
                r = pfs_error_set(err, EINVAL, "invalid user namespace configuration: GID and UID mapping should be "
                                  "identical");
        ydoc_free_array(docs, n);
        if (r < 0)
                return r;
        *ret_host = hu;
        return 1;
}

static int mapping_write_at(int pod_dirfd, uint32_t host, struct pfs_error *err)
{
        _cleanup_free_ char *m = xasprintf("[{\"hostId\":%" PRIu32 ",\"containerId\":0,\"length\":%u}]", host,
                                           PFS_USERNS_LENGTH);
        _cleanup_free_ char *text = xasprintf("{\"uidMappings\":%s,\"gidMappings\":%s}\n", m, m);

        return pfs_write_file_atomic_at(pod_dirfd, PFS_USERNS_FILE, text, strlen(text), 0600, err);
}

/* ---- allocation ---- */

struct slots {
        uint8_t *used;          /* one bit per slot of the range */
        uint32_t n;             /* slots usable: the last one never reaches id 2^32-1 */
        uint32_t first;
};

static void slots_mark_pod(struct slots *s, int pods_fd, const char *uid)
{
        _cleanup_close_ int fd = pod_dir_open_at(pods_fd, uid);
        struct pfs_error e = { 0 };
        uint32_t host, i;

        if (fd < 0 || pfs_userns_mapping_read_at(fd, &host, &e) <= 0 || host < s->first)
                return;
        i = (host - s->first) / PFS_USERNS_LENGTH;
        if (i < s->n)
                s->used[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* Every other pod's slot, from the files of the pods that still exist. */
static int slots_scan(struct slots *s, int pods_fd, const char *uid, struct pfs_error *err)
{
        int dfd = dup(pods_fd);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *de;

        if (!d) {
                if (dfd >= 0)
                        close(dfd);
                return pfs_error_set(err, errno, "read %s", PFS_PODS_DIR);
        }
        rewinddir(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && strcmp(de->d_name, uid) != 0)
                        slots_mark_pod(s, pods_fd, de->d_name);
        closedir(d);
        return 0;
}

static bool slot_taken(const struct slots *s, uint32_t i)
{
        return s->used[i / 8] & (1u << (i % 8));
}

/* The pod's recorded mapping: in the range, and nobody else's (kubelet's record()). */
static int recorded_check(const struct slots *s, const char *uid, uint32_t host, struct pfs_error *err)
{
        uint32_t i;

        if (host < s->first || (i = (host - s->first) / PFS_USERNS_LENGTH) >= s->n)
                return pfs_error_set(err, EINVAL, "user namespace: id %" PRIu32 " is out of range", host);
        if (slot_taken(s, i))
                return pfs_error_set(err, EEXIST, "user namespace: range picked for pod \"%s\" already taken", uid);
        return 0;
}

static int allocate_locked(int pods_fd, int pod_fd, const char *uid, const struct pfs_userns_range *r,
                           uint32_t *ret_host, struct pfs_error *err)
{
        uint64_t end = (uint64_t)r->first + r->length;
        struct slots s = { .first = r->first, .n = r->length / PFS_USERNS_LENGTH };
        uint32_t host;
        int rec, ret;

        if (end > UINT32_MAX)
                s.n--;  /* the last slot would map (uid_t)-1 */
        rec = pfs_userns_mapping_read_at(pod_fd, &host, err);
        if (rec < 0)
                return pfs_error_wrap(err, "user namespace");
        s.used = xcalloc(s.n / 8 + 1, 1);
        ret = slots_scan(&s, pods_fd, uid, err);
        if (ret >= 0 && rec)
                ret = recorded_check(&s, uid, host, err);
        for (uint32_t i = 0; ret >= 0 && !rec; i++) {
                if (i == s.n) {
                        ret = pfs_error_set(err, ENOSPC, "create user namespace: could not find an empty slot to "
                                            "allocate a user namespace");
                        break;
                }
                if (slot_taken(&s, i))
                        continue;
                host = r->first + i * PFS_USERNS_LENGTH;
                ret = mapping_write_at(pod_fd, host, err);
                if (ret < 0)
                        pfs_error_wrap(err, "create user namespace");
                rec = 1;
        }
        free(s.used);
        if (ret < 0)
                return ret;
        *ret_host = host;
        return 0;
}

int pfs_userns_allocate(int state_fd, const char *uid, const struct pfs_userns_range *r, uint32_t *ret_host,
                        struct pfs_error *err)
{
        _cleanup_close_ int lock = openat(state_fd, PFS_USERNS_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                                          0600);
        _cleanup_close_ int pods_fd = openat(state_fd, PFS_PODS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int pod_fd = -1;

        if (lock < 0 || pods_fd < 0)
                return pfs_error_set(err, errno, "open %s", lock < 0 ? PFS_USERNS_LOCK_FILE : PFS_PODS_DIR);
        pod_fd = pod_dir_open_at(pods_fd, uid);
        if (pod_fd < 0)
                return pfs_error_set(err, -pod_fd, "open %s/%s", PFS_PODS_DIR, uid);
        while (flock(lock, LOCK_EX) < 0)
                if (errno != EINTR)
                        return pfs_error_set(err, errno, "lock %s", PFS_USERNS_LOCK_FILE);
        /* the lock goes with the fd */
        return allocate_locked(pods_fd, pod_fd, uid, r, ret_host, err);
}
