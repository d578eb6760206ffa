/* Minimal TAP producer: numbered ok/not ok lines, plan printed at the end. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "tap.h"

static int tap_count, tap_failed;

void tap_ok(bool cond, const char *fmt, ...)
{
        va_list ap;

        tap_count++;
        if (!cond)
                tap_failed++;
        printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
}

void tap_is_str(const char *got, const char *want, const char *name)
{
        bool same = got && want ? strcmp(got, want) == 0 : got == want;

        tap_ok(same, "%s", name);
        if (!same)
                printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
}

void tap_is_int(long long got, long long want, const char *name)
{
        tap_ok(got == want, "%s", name);
        if (got != want)
                printf("#   got:  %lld\n#   want: %lld\n", got, want);
}

int tap_done(void)
{
        printf("1..%d\n", tap_count);
        return tap_failed ? 1 : 0;
}
