/* SHA-256 (FIPS 180-4) for the digests of small OCI blobs (index, manifest,
 * config) checked in the sandbox without linking a crypto library. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct pfs_sha256 {
        uint32_t h[8];
        uint64_t len;           /* bytes hashed so far */
        uint8_t buf[64];
        size_t n;               /* bytes in buf */
};

void pfs_sha256_init(struct pfs_sha256 *s);
void pfs_sha256_update(struct pfs_sha256 *s, const void *data, size_t len);
void pfs_sha256_final(struct pfs_sha256 *s, uint8_t out[32]);
/* The lowercase hex digest of DATA. */
void pfs_sha256_hex(const void *data, size_t len, char out[65]);
