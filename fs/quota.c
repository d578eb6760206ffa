/* What writers may hold in the daemon's memory: temp files (rsync's, editors')
 * and write buffers of spec.yaml/delete live in RAM until applied or removed,
 * so they are charged to a user like a disk quota (EDQUOT past the user's
 * share, ENOSPC past the daemon's total, EFBIG past the size of one file).
 * The objects a user owns (ConfigMaps, Secrets, claims) stay on the node's
 * disk: their stored bytes are charged the same way, against a limit of the
 * daemon's command line. */
#include <errno.h>
#include <malloc.h>
#include <string.h>
#include "fs.h"
#include "pfs/object.h"
#include "pfs/status.h"

struct mem_quota {
        uid_t uid;
        size_t bytes;
        size_t files;
        size_t conns;           /* open stdin files (connections to sandboxes) */
        uint64_t obj_bytes;     /* stored objects it owns, all namespaces */
        struct mem_quota *next;
};

static struct mem_quota *quota_get(struct podfs *fs, uid_t uid, bool create)
{
        struct mem_quota *q;

        for (q = fs->quotas; q; q = q->next)
                if (q->uid == uid)
                        return q;
        if (!create)
                return NULL;
        q = xcalloc(1, sizeof(*q));
        q->uid = uid;
        q->next = fs->quotas;
        fs->quotas = q;
        return q;
}

/* A user who holds nothing costs nothing. */
static void quota_put(struct podfs *fs, struct mem_quota *q)
{
        if (q->bytes || q->files || q->conns || q->obj_bytes)
                return;
        for (struct mem_quota **pp = &fs->quotas; *pp; pp = &(*pp)->next)
                if (*pp == q) {
                        *pp = q->next;
                        free(q);
                        return;
                }
}

int quota_resize(struct podfs *fs, uid_t uid, size_t old_len, size_t new_len)
{
        struct mem_quota *q;

        if (new_len == old_len)
                return 0;
        if (new_len > PFS_MANIFEST_MAX)
                return -EFBIG;
        q = quota_get(fs, uid, true);
        if (new_len > old_len) {
                size_t more = new_len - old_len;

                if (q->bytes + more > PFS_WRITE_MEM_PER_USER) {
                        quota_put(fs, q);
                        return -EDQUOT;
                }
                if (fs->mem_total + more > PFS_WRITE_MEM_TOTAL) {
                        quota_put(fs, q);
                        return -ENOSPC;
                }
                q->bytes += more;
                fs->mem_total += more;
                return 0;
        }
        q->bytes -= old_len - new_len < q->bytes ? old_len - new_len : q->bytes;
        fs->mem_total -= old_len - new_len < fs->mem_total ? old_len - new_len : fs->mem_total;
        quota_put(fs, q);
        return 0;
}

int quota_file_add(struct podfs *fs, uid_t uid)
{
        struct mem_quota *q = quota_get(fs, uid, true);

        if (q->files >= PFS_WRITE_FILES_PER_USER) {
                quota_put(fs, q);
                return -EDQUOT;
        }
        q->files++;
        return 0;
}

void quota_file_del(struct podfs *fs, uid_t uid)
{
        struct mem_quota *q = quota_get(fs, uid, false);

        if (!q)
                return;
        if (q->files)
                q->files--;
        quota_put(fs, q);
}

int quota_conn_add(struct podfs *fs, uid_t uid)
{
        struct mem_quota *q = quota_get(fs, uid, true);

        if (uid != 0 && q->conns >= PFS_STDIN_OPEN_PER_USER) {
                quota_put(fs, q);
                return -EMFILE;
        }
        q->conns++;
        return 0;
}

void quota_conn_del(struct podfs *fs, uid_t uid)
{
        struct mem_quota *q = quota_get(fs, uid, false);

        if (!q)
                return;
        if (q->conns)
                q->conns--;
        quota_put(fs, q);
}

int wbuf_write_at(struct podfs *fs, uid_t uid, struct pfs_buf *b, const char *data, size_t size, off_t off)
{
        size_t end;
        int r;

        if (off < 0)
                return -EINVAL;
        if ((size_t)off > PFS_MANIFEST_MAX || size > PFS_MANIFEST_MAX - (size_t)off)
                return -EFBIG;
        end = (size_t)off + size;
        if (end > b->len) {
                size_t old = b->len;

                r = quota_resize(fs, uid, old, end);
                if (r < 0)
                        return r;
                pfs_buf_append(b, NULL, 0);
                b->data = xrealloc(b->data, end + 1);
                b->cap = end + 1;
                memset(b->data + old, 0, end - old);
                b->len = end;
                b->data[end] = '\0';
        }
        if (size)
                memcpy(b->data + off, data, size);
        return 0;
}

int wbuf_truncate(struct podfs *fs, uid_t uid, struct pfs_buf *b, off_t size)
{
        if (size < 0)
                return -EINVAL;
        if ((size_t)size > PFS_MANIFEST_MAX)
                return -EFBIG;
        if ((size_t)size > b->len)
                return wbuf_write_at(fs, uid, b, NULL, 0, size);
        quota_resize(fs, uid, b->len, (size_t)size);
        pfs_buf_append(b, NULL, 0);
        b->len = (size_t)size;
        b->data[b->len] = '\0';
        return 0;
}

void wbuf_free(struct podfs *fs, uid_t uid, struct pfs_buf *b)
{
        quota_resize(fs, uid, b->len, 0);
        pfs_buf_free(b);
}

/* ---- objects stored in the state dir ---- */

uint64_t quota_obj_used(struct podfs *fs, uid_t uid)
{
        struct mem_quota *q = quota_get(fs, uid, false);

        return q ? q->obj_bytes : 0;
}

/* The API server's ResourceQuota refusal, with the user's quota as the
 * ResourceQuota and the amounts in the format the limit was given in. */
static int obj_exceeded(struct podfs *fs, uid_t owner, uint64_t more, uint64_t used, const char *resource,
                        const char *name, struct pfs_error *err)
{
        const char *fmt = fs->obj_bytes_max_text ? fs->obj_bytes_max_text : "";
        _cleanup_free_ char *req = pod_quantity_string(fmt, more), *now = pod_quantity_string(fmt, used),
                            *lim = pod_quantity_string(fmt, fs->obj_bytes_max);

        return pfs_error_set(err, EDQUOT,
                             "%s \"%s\" is forbidden: exceeded quota: podfs-user-%u, requested: %s=%s, used: %s=%s, "
                             "limited: %s=%s", resource, name, (unsigned)owner, PFS_OBJECT_QUOTA_KEY, req,
                             PFS_OBJECT_QUOTA_KEY, now, PFS_OBJECT_QUOTA_KEY, lim);
}

int quota_obj_charge(struct podfs *fs, uid_t owner, uid_t writer, int64_t delta, const char *resource,
                     const char *name, struct pfs_error *err)
{
        struct mem_quota *q;
        uint64_t more;

        if (delta == 0)
                return 0;
        q = quota_get(fs, owner, true);
        if (delta < 0) {
                uint64_t less = (uint64_t)-delta;

                q->obj_bytes -= less < q->obj_bytes ? less : q->obj_bytes;
                quota_put(fs, q);
                return 0;
        }
        more = (uint64_t)delta;
        /* root, as CAP_SYS_RESOURCE passes a disk quota: root's own objects,
         * and whatever root writes for a user (charged, never refused) */
        if (fs->obj_bytes_max && owner != 0 && writer != 0 && q->obj_bytes + more > fs->obj_bytes_max) {
                uint64_t used = q->obj_bytes;

                quota_put(fs, q);
                return obj_exceeded(fs, owner, more, used, resource, name, err);
        }
        q->obj_bytes += more;
        return 0;
}

static void obj_scan_one(void *data, uid_t owner, uint64_t size)
{
        struct podfs *fs = data;

        quota_get(fs, owner, true)->obj_bytes += size;
}

int quota_obj_scan(struct podfs *fs, struct pfs_error *err)
{
        return pfs_object_sizes_at(fs->dirs.state_fd, obj_scan_one, fs, err);
}

int quota_obj_max_parse(const char *s, uint64_t *ret_bytes, struct pfs_error *err)
{
        if (pod_quantity_bytes(s, ret_bytes) < 0)
                return pfs_error_set(err, EINVAL,
                                     "--max-object-bytes-per-user '%s': must be a quantity (256Mi; 0 = no limit)", s);
        return 0;
}

void quota_free_all(struct podfs *fs)
{
        while (fs->quotas) {
                struct mem_quota *q = fs->quotas;

                fs->quotas = q->next;
                free(q);
        }
        fs->mem_total = 0;
}

void quota_malloc_setup(void)
{
        /* A fixed threshold: buffers past it are mmap()ed and go back to the
         * kernel on free. glibc's default raises the threshold after the first
         * such free, after which 1 MiB temp files stayed on the heap and the
         * RSS they raised was never returned. */
        mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}
