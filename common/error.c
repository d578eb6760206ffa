/* Error objects (crun style): set with errno and message, wrap with context. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "pfs/error.h"

int pfs_error_set(struct pfs_error *err, int code, const char *fmt, ...)
{
        va_list ap;

        if (code < 0)
                code = -code;
        if (code == 0)
                code = EIO;
        if (!err)
                return -code;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        return -code;
}

int pfs_error_wrap(struct pfs_error *err, const char *fmt, ...)
{
        char prefix[512], old[sizeof(err->msg)];
        size_t n, len;
        va_list ap;

        if (!err)
                return -EIO;
        if (err->code == 0)
                err->code = EIO;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        n = strlen(prefix);
        if (n > sizeof(err->msg) - 3)
                n = sizeof(err->msg) - 3;
        memcpy(err->msg, prefix, n);
        memcpy(err->msg + n, ": ", 2);
        n += 2;
        len = strnlen(old, sizeof(old) - 1);
        if (len > sizeof(err->msg) - 1 - n)
                len = sizeof(err->msg) - 1 - n;
        memcpy(err->msg + n, old, len);
        err->msg[n + len] = '\0';
        return -err->code;
}

void pfs_error_clear(struct pfs_error *err)
{
        if (!err)
                return;
        err->code = 0;
        err->msg[0] = '\0';
}

void pfs_error_add_reason(struct pfs_error *err)
{
        const char *why;
        size_t len;

        if (!err || !err->code)
                return;
        why = strerror(err->code);
        if (strstr(err->msg, why))
                return;
        len = strlen(err->msg);
        snprintf(err->msg + len, sizeof(err->msg) - len, "%s%s", len ? ": " : "", why);
}
