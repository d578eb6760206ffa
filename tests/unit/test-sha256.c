/* Unit tests for common/sha256.c: the FIPS 180-4 examples, every padding
 * boundary against sha256sum(1), and updates split at every offset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/sha256.h"
#include "tap.h"

static void test_vectors(void)
{
        static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        char hex[65], *million = malloc(1000000);

        pfs_sha256_hex("", 0, hex);
        tap_is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "empty input");
        pfs_sha256_hex("abc", 3, hex);
        tap_is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "\"abc\"");
        pfs_sha256_hex(two_blocks, strlen(two_blocks), hex);
        tap_is_str(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "448 bits (two blocks)");
        memset(million, 'a', 1000000);
        pfs_sha256_hex(million, 1000000, hex);
        tap_is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", "a million 'a'");
        free(million);
}

/* Lengths 0..199 (all padding cases) against sha256sum, when there is one. */
static void test_lengths(void)
{
        char data[200], hex[65], want[80], cmd[600];
        int bad = -1;
        FILE *f;

        for (int i = 0; i < 200; i++)
                data[i] = (char)('a' + i % 26);
        for (int len = 0; len < 200; len++) {
                snprintf(cmd, sizeof(cmd), "printf '%%s' '%.*s' | sha256sum 2>/dev/null", len, data);
                f = popen(cmd, "r");
                if (!f || !fgets(want, sizeof(want), f) || strlen(want) < 64) {
                        if (f)
                                pclose(f);
                        printf("# no sha256sum: lengths not compared\n");
                        return;
                }
                pclose(f);
                want[64] = '\0';
                pfs_sha256_hex(data, (size_t)len, hex);
                if (strcmp(hex, want) != 0 && bad < 0)
                        bad = len;
        }
        tap_ok(bad < 0, "lengths 0..199 agree with sha256sum (first difference: %d)", bad);
}

static void test_split(void)
{
        char data[300], whole[65], hex[65];
        unsigned char md[32];
        int bad = -1;

        for (int i = 0; i < 300; i++)
                data[i] = (char)(i * 7);
        pfs_sha256_hex(data, sizeof(data), whole);
        for (size_t cut = 0; cut <= sizeof(data); cut++) {
                struct pfs_sha256 s;

                pfs_sha256_init(&s);
                pfs_sha256_update(&s, data, cut);
                pfs_sha256_update(&s, data + cut, sizeof(data) - cut);
                pfs_sha256_final(&s, md);
                for (int i = 0; i < 32; i++)
                        snprintf(hex + 2 * i, 3, "%02x", md[i]);
                if (strcmp(hex, whole) != 0 && bad < 0)
                        bad = (int)cut;
        }
        tap_ok(bad < 0, "an update split at any offset gives the same digest (first difference: %d)", bad);
}

int main(void)
{
        test_vectors();
        test_lengths();
        test_split();
        return tap_done();
}
