/* Unit tests for the QoS class, quantity comparison and bytes, and the
 * back-off policy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "pfs/backoff.h"
#include "pfs/status.h"
#include "tap.h"

static void cmp_is(const char *a, const char *b, int want)
{
        int got = 99;
        char name[96];

        snprintf(name, sizeof(name), "quantity %s vs %s", a, b);
        tap_ok(pod_quantity_cmp(a, b, &got) == 0 && got == want, "%s", name);
}

static void test_quantities(void)
{
        int c;

        cmp_is("500m", "0.5", 0);
        cmp_is("1", "1000m", 0);
        cmp_is("64Mi", "67108864", 0);
        cmp_is("1Gi", "1024Mi", 0);
        cmp_is("1G", "1e9", 0);
        cmp_is("1k", "1000", 0);
        cmp_is("100m", "0.1", 0);
        cmp_is("1Ki", "1k", 1);
        cmp_is("250m", "1", -1);
        cmp_is("1n", "0", 1);
        cmp_is("8Ei", "9E", 1);
        tap_ok(pod_quantity_cmp("1Xi", "1", &c) < 0, "bad suffix rejected");
        tap_ok(pod_quantity_cmp("", "1", &c) < 0, "empty rejected");
        tap_ok(pod_quantity_cmp("1.2.3", "1", &c) < 0, "two dots rejected");
}

static void test_classes(void)
{
        struct pod_qos_container none[2] = {{0}, {0}};
        struct pod_qos_container g[2] = {
                {"500m", "500m", "64Mi", "64Mi"},
                {NULL, "1", NULL, "1Gi"},       /* requests default to limits */
        };
        struct pod_qos_container b1[1] = {{"100m", "500m", "32Mi", "64Mi"}};
        struct pod_qos_container b2[2] = {{"500m", "500m", "64Mi", "64Mi"}, {0}};
        struct pod_qos_container b3[1] = {{NULL, "1", NULL, NULL}};
        struct pod_qos_container z[1] = {{"0", "0", "0", NULL}};
        struct pod_qos_container eq[1] = {{"0.5", "500m", "67108864", "64Mi"}};

        tap_is_str(pod_qos_class(none, 2), "BestEffort", "no resources: BestEffort");
        tap_is_str(pod_qos_class(NULL, 0), "BestEffort", "no containers: BestEffort");
        tap_is_str(pod_qos_class(z, 1), "BestEffort", "zero quantities: BestEffort");
        tap_is_str(pod_qos_class(g, 2), "Guaranteed", "limits = requests everywhere: Guaranteed");
        tap_is_str(pod_qos_class(eq, 1), "Guaranteed", "equal in value, not in spelling: Guaranteed");
        tap_is_str(pod_qos_class(b1, 1), "Burstable", "requests below limits: Burstable");
        tap_is_str(pod_qos_class(b2, 2), "Burstable", "one container without resources: Burstable");
        tap_is_str(pod_qos_class(b3, 1), "Burstable", "only a cpu limit: Burstable");
}

/* The one parser of byte quantities (sizeLimit, ephemeral-storage, memory):
 * exact, rounded up as resource.Quantity's Value(). */
static void test_bytes(void)
{
        static const struct { const char *s; long long want; } cases[] = {
                { "64Mi", 67108864 }, { "1G", 1000000000 }, { "1.5Gi", 1610612736 }, { "500k", 500000 },
                { "1e3", 1000 }, { "42", 42 }, { "1500m", 2 }, { "0.5", 1 }, { "0", 0 },
                { "7Ei", 8070450532247928832LL }, { "9Ei", -ERANGE }, { "0.1Ki", 103 },
                /* past 2^53 a double loses the last digit */
                { "9007199254740993", 9007199254740993LL }, { "1.1G", 1100000000 }, { "4.4e9", 4400000000LL },
                { "0x10", -EINVAL }, { "abc", -EINVAL }, { "nan", -EINVAL }, { "-1Mi", -EINVAL },
                { "1Qi", -EINVAL }, { "", -EINVAL },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint64_t v = 0;
                int r = pod_quantity_bytes(cases[i].s, &v);

                tap_is_int(r < 0 ? r : (long long)v, cases[i].want, cases[i].s);
        }
}

static void test_format(void)
{
        static const struct { const char *q; uint64_t bytes; const char *want; } cases[] = {
                { "10Mi", 10485760, "10Mi" }, { "1Gi", 1073741824 + 1048576, "1025Mi" },
                { "1e6", 1000000, "1e6" }, { "10M", 10000000, "10M" }, { "1Ki", 1000, "1000" }, { "5", 0, "0" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *s = pod_quantity_string(cases[i].q, cases[i].bytes);

                tap_is_str(s, cases[i].want, cases[i].q);
                free(s);
        }
}

/* resource.Quantity's String(): what the API server stores and the kubelet prints. */
static void test_canonical_string(void)
{
        static const struct { const char *q, *want; } cases[] = {
                { "500m", "500m" }, { "0.5", "500m" }, { "1000m", "1" }, { "1500m", "1500m" }, { "0.1", "100m" },
                { "2", "2" }, { "2000000", "2M" }, { "1k", "1k" }, { "1E", "1E" }, { "1n", "1n" }, { "0", "0" },
                { "64Mi", "64Mi" }, { "1024Mi", "1Gi" }, { "1.5Gi", "1536Mi" }, { "1.5Ki", "1536" },
                { "512Ki", "512Ki" }, { "0.5Ki", "512" }, { "0Mi", "0" }, { "1e3", "1e3" }, { "1500e-3", "1500e-3" },
                { "100e6", "100e6" }, { "134217728", "134217728" }, { "128M", "128M" },
        };
        char *s;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                s = pod_quantity_canonical_string(cases[i].q);
                tap_is_str(s, cases[i].want, cases[i].q);
                free(s);
        }
        tap_ok(pod_quantity_canonical_string("1x") == NULL, "canonical string: not a quantity");
}

static void test_backoff(void)
{
        int64_t d = 0, want[] = { 10, 20, 40, 80, 160, 300, 300 };

        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                tap_is_int(pfs_backoff_step(&d, 10, 300), want[i], "back-off doubles up to its maximum");
        d = 0;
        tap_is_int(pfs_backoff_step(&d, 1, 60), 1, "back-off starts again at its initial delay");
}

int main(void)
{
        test_quantities();
        test_bytes();
        test_format();
        test_canonical_string();
        test_backoff();
        test_classes();
        return tap_done();
}
