/* The CRI container log format kubelet writes ("TIME STREAM TAG MSG"), and
 * its conversion back to the plain text `kubectl logs` shows. */
#include <string.h>
#include "pfs/crilog.h"

static void record(struct pfs_buf *out, const char *ts, const char *stream, bool partial,
                   const char *msg, size_t len)
{
        pfs_buf_printf(out, "%s %s %c ", ts, stream, partial ? 'P' : 'F');
        pfs_buf_append(out, msg, len);
        pfs_buf_append(out, "\n", 1);
}

void cri_log_format(struct pfs_buf *out, int64_t ts_ns, const char *stream, bool partial,
                    const char *msg, size_t len)
{
        char ts[40];

        pfs_time_format(ts_ns, true, ts);
        /* kubelet splits long lines into partial records */
        while (len > CRI_LOG_MAX_LINE) {
                record(out, ts, stream, true, msg, CRI_LOG_MAX_LINE);
                msg += CRI_LOG_MAX_LINE;
                len -= CRI_LOG_MAX_LINE;
        }
        record(out, ts, stream, partial, msg, len);
}

/* Where MSG starts in one record line (without its '\n'), and whether it is
 * partial; NULL when the line is not a CRI record. */
static const char *record_msg(const char *line, size_t len, bool *ret_partial)
{
        const char *end = line + len;
        const char *ts_end = memchr(line, ' ', len);
        const char *stream, *stream_end, *tag, *tag_end;

        if (!ts_end || ts_end == line || ts_end[-1] != 'Z')
                return NULL;
        stream = ts_end + 1;
        stream_end = memchr(stream, ' ', (size_t)(end - stream));
        if (!stream_end || stream_end == stream)
                return NULL;
        tag = stream_end + 1;
        tag_end = memchr(tag, ' ', (size_t)(end - tag));
        if (!tag_end)
                tag_end = end;  /* "TS stdout F" = an empty line */
        if (tag_end == tag)
                return NULL;
        /* tags may be "F", "P" or ':'-joined lists; the first one is the line tag */
        if ((tag[0] != 'F' && tag[0] != 'P') || (tag + 1 != tag_end && tag[1] != ':'))
                return NULL;
        *ret_partial = tag[0] == 'P';
        return tag_end < end ? tag_end + 1 : end;
}

size_t cri_log_to_plain(const char *data, size_t len, struct pfs_buf *out)
{
        size_t done = 0;

        while (done < len) {
                const char *line = data + done;
                const char *nl = memchr(line, '\n', len - done);
                size_t n;
                const char *msg;
                bool partial = false;

                if (!nl)
                        break;
                n = (size_t)(nl - line);
                msg = record_msg(line, n, &partial);
                if (!msg) {
                        pfs_buf_append(out, line, n + 1);  /* not ours: pass through */
                } else {
                        pfs_buf_append(out, msg, (size_t)(nl - msg));
                        if (!partial)
                                pfs_buf_append(out, "\n", 1);
                }
                done += n + 1;
        }
        return done;
}
