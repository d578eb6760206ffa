/* Unit tests for the CRI log format and its conversion to plain text. */
#include <string.h>
#include "pfs/crilog.h"
#include "tap.h"

#define TS 1475713029669794202LL /* 2016-10-06T00:17:09.669794202Z */

static void test_format(void)
{
        struct pfs_buf b = {0};
        char *big;
        size_t nl = 0;

        cri_log_format(&b, TS, "stdout", false, "hello world", 11);
        tap_is_str(b.data, "2016-10-06T00:17:09.669794202Z stdout F hello world\n", "format F");
        pfs_buf_free(&b);
        cri_log_format(&b, TS, "stderr", true, "part", 4);
        tap_is_str(b.data, "2016-10-06T00:17:09.669794202Z stderr P part\n", "format P");
        pfs_buf_free(&b);
        cri_log_format(&b, TS, "stdout", false, "", 0);
        tap_is_str(b.data, "2016-10-06T00:17:09.669794202Z stdout F \n", "format empty line");
        pfs_buf_free(&b);
        cri_log_format(&b, 5, "stdout", false, "x", 1);
        tap_is_str(b.data, "1970-01-01T00:00:00.000000005Z stdout F x\n", "nanoseconds zero-padded");
        pfs_buf_free(&b);

        big = malloc(CRI_LOG_MAX_LINE * 2 + 10);
        memset(big, 'x', CRI_LOG_MAX_LINE * 2 + 10);
        cri_log_format(&b, TS, "stdout", false, big, CRI_LOG_MAX_LINE * 2 + 10);
        for (size_t i = 0; i < b.len; i++)
                nl += b.data[i] == '\n';
        tap_is_int((long long)nl, 3, "long line split in three records");
        tap_ok(strstr(b.data, " stdout P ") && strstr(b.data, " stdout F "), "split: P then F");
        {
                struct pfs_buf plain = {0};

                cri_log_to_plain(b.data, b.len, &plain);
                tap_is_int((long long)plain.len, CRI_LOG_MAX_LINE * 2 + 11, "split: plain joins back");
                pfs_buf_free(&plain);
        }
        pfs_buf_free(&b);
        free(big);
}

static void test_plain(void)
{
        const char *in = "2016-10-06T00:17:09.669794202Z stdout F line one\n"
                         "2016-10-06T00:17:09.669794203Z stderr P par\n"
                         "2016-10-06T00:17:09.669794204Z stderr F tial\n"
                         "2016-10-06T00:17:09.669794205Z stdout F \n"
                         "2016-10-06T00:17:09.669794205Z stdout F\n"
                         "not a record at all\n"
                         "2016-10-06T00:17:09.669794206Z stdout F:x tagged\n"
                         "2016-10-06T00:17:09.669794207Z stdout F incompl";
        struct pfs_buf out = {0};
        size_t used = cri_log_to_plain(in, strlen(in), &out);

        tap_is_str(out.data, "line one\npartial\n\n\nnot a record at all\ntagged\n", "to plain");
        tap_is_int((long long)used, (long long)(strrchr(in, '\n') + 1 - in), "incomplete record not consumed");
        pfs_buf_free(&out);
        used = cri_log_to_plain("", 0, &out);
        tap_is_int((long long)used, 0, "empty input");
        pfs_buf_free(&out);
}

int main(void)
{
        test_format();
        test_plain();
        return tap_done();
}
