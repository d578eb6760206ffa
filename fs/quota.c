/* What writers may hold in the daemon's memory: temp files (rsync's, editors')
 * and write buffers of spec.yaml/delete live in RAM until applied or removed,
 * so they are charged to a user like a disk quota (EDQUOT past the user's
 * share, ENOSPC past the daemon's total, EFBIG past the size of one file). */
#include <errno.h>
#include <malloc.h>
#include <string.h>
#include "fs.h"

struct mem_quota {
        uid_t uid;
        size_t bytes;
        size_t files;
        size_t conns;           /* open stdin files (connections to sandboxes) */
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
        if (q->bytes || q->files || q->conns)
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
