/* Container logs in the CRI format kubelet writes:
 *   2016-10-06T00:17:09.669794202Z stdout F a whole line
 *   2016-10-06T00:17:09.669794202Z stderr P a partial line (no newline yet)
 * The sandbox writes them; the daemon shows them as plain text. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pfs/util.h"

#define CRI_LOG_MAX_LINE 16384  /* longer lines are split into P records, like kubelet */

/* Append one record for msg[0..len) (without its newline) to out. */
void cri_log_format(struct pfs_buf *out, int64_t ts_ns, const char *stream, bool partial,
                    const char *msg, size_t len);
/* Convert CRI records in data[0..len) to plain text (F records get their newline
 * back, P records none). Only complete records (ending in '\n') are consumed;
 * returns the number of input bytes consumed. Malformed records are passed through. */
size_t cri_log_to_plain(const char *data, size_t len, struct pfs_buf *out);
