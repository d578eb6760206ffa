/* Base64 as Go's encoding/base64 StdEncoding (what the API server uses for a
 * Secret's data and a ConfigMap's binaryData), with its error offsets. */
#include <errno.h>
#include <string.h>
#include "pfs/object.h"
#include "pfs/util.h"

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *pfs_base64_encode(const unsigned char *d, size_t len)
{
        char *out = xmalloc((len + 2) / 3 * 4 + 1);
        size_t o = 0;

        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)d[i] << 16;

                if (i + 1 < len)
                        v |= (uint32_t)d[i + 1] << 8;
                if (i + 2 < len)
                        v |= d[i + 2];
                out[o++] = b64_chars[(v >> 18) & 63];
                out[o++] = b64_chars[(v >> 12) & 63];
                out[o++] = i + 1 < len ? b64_chars[(v >> 6) & 63] : '=';
                out[o++] = i + 2 < len ? b64_chars[v & 63] : '=';
        }
        out[o] = '\0';
        return out;
}

static int b64_value(char c)
{
        const char *p = c ? strchr(b64_chars, c) : NULL;

        return p ? (int)(p - b64_chars) : -1;
}

/* The next input byte that is not CR or LF: its index, or len. */
static size_t skip_newlines(const char *s, size_t len, size_t i)
{
        while (i < len && (s[i] == '\r' || s[i] == '\n'))
                i++;
        return i;
}

/* After "xx=" or "xxx=": the rest must be "=" (for "xx=") then nothing. */
static int b64_padding(const char *s, size_t len, size_t si, int j, size_t *ret_bad)
{
        if (j == 2) {
                si = skip_newlines(s, len, si);
                if (si >= len || s[si] != '=') {
                        *ret_bad = si >= len ? si - 1 : si;
                        return -EINVAL;
                }
                si++;
        }
        si = skip_newlines(s, len, si);
        if (si < len) {
                *ret_bad = si;
                return -EINVAL;
        }
        return 0;
}

/* One quantum from s[*si]: up to 3 bytes to out; 1 at the end of the input. */
static int b64_quantum(const char *s, size_t len, size_t *si, unsigned char *out, size_t *o, size_t *ret_bad)
{
        uint32_t v = 0;
        int j = 0;

        while (j < 4) {
                size_t i = skip_newlines(s, len, *si);
                int c;

                if (i >= len) {
                        if (j == 0)
                                return 1;
                        *ret_bad = i - (size_t)j;
                        return -EINVAL;
                }
                *si = i + 1;
                if (s[i] == '=') {
                        if (j < 2) {
                                *ret_bad = i;
                                return -EINVAL;
                        }
                        if (b64_padding(s, len, *si, j, ret_bad) < 0)
                                return -EINVAL;
                        break;
                }
                if ((c = b64_value(s[i])) < 0) {
                        *ret_bad = i;
                        return -EINVAL;
                }
                v |= (uint32_t)c << (18 - 6 * j);
                j++;
        }
        for (int k = 0; k < j - 1; k++)
                out[(*o)++] = (unsigned char)(v >> (16 - 8 * k));
        return j < 4 ? 1 : 0;
}

int pfs_base64_decode(const char *s, size_t len, unsigned char **ret, size_t *ret_len, size_t *ret_bad)
{
        unsigned char *out = xmalloc(len / 4 * 3 + 4);
        size_t si = 0, o = 0, bad = 0;
        int r;

        while ((r = b64_quantum(s, len, &si, out, &o, &bad)) == 0)
                ;
        if (r < 0) {
                free(out);
                if (ret_bad)
                        *ret_bad = bad;
                return -EINVAL;
        }
        out[o] = '\0';
        *ret = out;
        *ret_len = o;
        return 0;
}
