/* Error objects: an errno plus a human message that gains context on the way up. */
#pragma once
#include <stddef.h>

struct pfs_error {
        int code;           /* positive errno, 0 = no error */
        char msg[2048];
};

/* Set code and message; returns -code (code given as positive errno). err may be NULL. */
int pfs_error_set(struct pfs_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prepend "context: " to the message; returns -err->code (or -EIO if unset). */
int pfs_error_wrap(struct pfs_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void pfs_error_clear(struct pfs_error *err);
/* Append ": " and the errno's text unless the message already holds it
 * ("open lock" -> "open lock: Too many open files"). */
void pfs_error_add_reason(struct pfs_error *err);
