/* Go's strconv.Quote (fmt's %q of a string), as the kubelet's and the API
 * server's messages quote values; the UTF-8 decoding it and the emitter use;
 * Go's text of an errno. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "pfs/util.h"

size_t pfs_utf8_decode(const unsigned char *s, size_t n, uint32_t *rune)
{
        size_t len;
        uint32_t r, min;

        if (s[0] < 0x80)
                return *rune = s[0], 1;
        if ((s[0] & 0xe0) == 0xc0)
                len = 2, r = s[0] & 0x1f, min = 0x80;
        else if ((s[0] & 0xf0) == 0xe0)
                len = 3, r = s[0] & 0x0f, min = 0x800;
        else if ((s[0] & 0xf8) == 0xf0)
                len = 4, r = s[0] & 0x07, min = 0x10000;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                r = r << 6 | (s[i] & 0x3f);
        }
        if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
                return 0;
        *rune = r;
        return len;
}

/* unicode.IsPrint for what labels and annotations hold: letters, marks,
 * numbers, punctuation and symbols print; controls, format characters,
 * spaces other than U+0020, separators, private use and noncharacters do
 * not. (Unassigned code points are taken as printable.) */
static bool rune_is_print(uint32_t r)
{
        if (r < 0x20 || (r >= 0x7f && r <= 0xa0) || r == 0xad)
                return false;
        if (r == 0x1680 || r == 0x180e || (r >= 0x2000 && r <= 0x200f) || (r >= 0x2028 && r <= 0x202f) ||
            (r >= 0x205f && r <= 0x206f) || r == 0x3000 || r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb))
                return false;
        if ((r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000 || (r & 0xfffe) == 0xfffe || (r >= 0xfdd0 && r <= 0xfdef))
                return false;
        if (r == 0x61c || (r >= 0x600 && r <= 0x605) || r == 0x6dd || r == 0x70f || r == 0x110bd ||
            (r >= 0x1d173 && r <= 0x1d17a) || r == 0xe0001 || (r >= 0xe0020 && r <= 0xe007f))
                return false;
        return true;
}

static void quote_rune(struct pfs_buf *b, uint32_t r)
{
        static const char esc[] = { ['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
                                    ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v' };

        if (r < sizeof(esc) && esc[r])
                pfs_buf_printf(b, "\\%c", esc[r]);
        else if (r < 0x20 || r == 0x7f)
                pfs_buf_printf(b, "\\x%02x", r);
        else if (r < 0x10000)
                pfs_buf_printf(b, "\\u%04x", r);
        else
                pfs_buf_printf(b, "\\U%08x", r);
}

void pfs_buf_append_go_quoted(struct pfs_buf *b, const char *str)
{
        const unsigned char *s = (const unsigned char *)str;
        size_t n = strlen(str);

        pfs_buf_puts(b, "\"");
        while (n > 0) {
                uint32_t r;
                size_t len = pfs_utf8_decode(s, n, &r);

                if (len == 0) {
                        pfs_buf_printf(b, "\\x%02x", s[0]);
                        len = 1;
                } else if (r == '"' || r == '\\') {
                        pfs_buf_printf(b, "\\%c", (char)r);
                } else if (rune_is_print(r)) {
                        pfs_buf_append(b, s, len);
                } else {
                        quote_rune(b, r);
                }
                s += len;
                n -= len;
        }
        pfs_buf_puts(b, "\"");
}

char *pfs_go_quote(const char *s)
{
        struct pfs_buf b = {0};

        pfs_buf_append_go_quoted(&b, s);
        return pfs_buf_steal(&b);
}

const char *pfs_go_strerror(int e, char buf[static 128])
{
        snprintf(buf, 128, "%s", strerror(e));
        if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
                buf[0] = (char)(buf[0] - 'A' + 'a');
        return buf;
}
