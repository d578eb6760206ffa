/* Unit tests for the QoS class and quantity comparison. */
#include <stdio.h>
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

int main(void)
{
        test_quantities();
        test_classes();
        return tap_done();
}
