/* Minimal TAP producer for the unit tests. */
#pragma once
#include <stdbool.h>

void tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_is_str(const char *got, const char *want, const char *name);
void tap_is_int(long long got, long long want, const char *name);
/* Prints the plan ("1..N") and returns the exit status (0 when all passed). */
int tap_done(void);
