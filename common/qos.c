/* The pod's QoS class (BestEffort, Burstable, Guaranteed) from container
 * cpu/memory requests and limits, with Kubernetes quantity arithmetic. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "pfs/status.h"
#include "pfs/util.h"

#define NANO_MAX ((__int128)1 << 120)

static int suffix_scale(const char *s, __int128 *mul, int *exp10)
{
        static const struct { const char *sfx; int bin_shift, exp10; } tab[] = {
                {"Ki", 10, 0}, {"Mi", 20, 0}, {"Gi", 30, 0}, {"Ti", 40, 0}, {"Pi", 50, 0}, {"Ei", 60, 0},
                {"n", 0, -9}, {"u", 0, -6}, {"m", 0, -3}, {"", 0, 0}, {"k", 0, 3}, {"M", 0, 6},
                {"G", 0, 9}, {"T", 0, 12}, {"P", 0, 15}, {"E", 0, 18},
        };
        char *end;
        long e;

        for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
                if (!strcmp(s, tab[i].sfx)) {
                        *mul = (__int128)1 << tab[i].bin_shift;
                        *exp10 = tab[i].exp10;
                        return 0;
                }
        /* decimal exponent: "1e3", "5E-2" */
        if (s[0] != 'e' && s[0] != 'E')
                return -EINVAL;
        e = strtol(s + 1, &end, 10);
        if (end == s + 1 || *end || e < -30 || e > 30)
                return -EINVAL;
        *mul = 1;
        *exp10 = (int)e;
        return 0;
}

/* Scale v by 10^exp10, saturating; digits below 1 nano are dropped. */
static __int128 scale10(__int128 v, int exp10)
{
        for (; exp10 > 0; exp10--)
                v = v > NANO_MAX / 10 ? NANO_MAX : v * 10;
        for (; exp10 < 0; exp10++)
                v /= 10;
        return v;
}

/* A quantity ("500m", "0.5", "64Mi", "1e3") in units of 10^-9. */
static int quantity_nanos(const char *s, __int128 *ret)
{
        __int128 mant = 0, mul;
        int frac = 0, exp10, digits = 0;
        bool neg = *s == '-', dot = false;

        if (*s == '-' || *s == '+')
                s++;
        for (; (*s >= '0' && *s <= '9') || (*s == '.' && !dot); s++) {
                if (*s == '.') {
                        dot = true;
                        continue;
                }
                if (mant < NANO_MAX / 10)
                        mant = mant * 10 + (*s - '0');
                else if (!dot)
                        return -ERANGE;
                else
                        continue;       /* insignificant fraction digits */
                frac += dot;
                digits++;
        }
        if (!digits || suffix_scale(s, &mul, &exp10) < 0)
                return -EINVAL;
        mant = scale10(mant, exp10 - frac + 9);
        *ret = (mant > NANO_MAX / mul ? NANO_MAX : mant * mul) * (neg ? -1 : 1);
        return 0;
}

int pod_quantity_cmp(const char *a, const char *b, int *ret_cmp)
{
        __int128 x, y;

        if (quantity_nanos(a, &x) < 0 || quantity_nanos(b, &y) < 0)
                return -EINVAL;
        *ret_cmp = x < y ? -1 : x > y;
        return 0;
}

char *pod_quantity_canonical(const char *s)
{
        char buf[48], *p = buf + sizeof(buf) - 1;
        __int128 v;
        bool neg;

        if (quantity_nanos(s, &v) < 0)
                return NULL;
        neg = v < 0;
        *p = '\0';
        do {
                *--p = (char)('0' + (int)((neg ? -(v % 10) : v % 10)));
                v /= 10;
        } while (v);
        if (neg)
                *--p = '-';
        return xasprintf("%sn", p);
}

int pod_quantity_milli(const char *s, int64_t *ret_milli)
{
        __int128 v, m;
        int r = quantity_nanos(s, &v);

        if (r < 0)
                return r;
        m = v >= 0 ? (v + 999999) / 1000000 : v / 1000000;
        if (m > INT64_MAX || m < INT64_MIN)
                return -ERANGE;
        *ret_milli = (int64_t)m;
        return 0;
}

int pod_quantity_bytes(const char *s, uint64_t *ret_bytes)
{
        __int128 v, b;
        int r = quantity_nanos(s, &v);

        if (r < 0)
                return r;
        if (v < 0)
                return -EINVAL;
        b = (v + 999999999) / 1000000000; /* resource.Quantity's Value() rounds up */
        if (b > (__int128)(UINT64_MAX / 2))
                return -ERANGE;
        *ret_bytes = (uint64_t)b;
        return 0;
}

/* resource.Quantity's canonical String() of bytes in the format of fmt_of:
 * BinarySI "10Mi" (a suffix with 'i'), DecimalExponent "1e7", else DecimalSI "10M". */
char *pod_quantity_string(const char *fmt_of, uint64_t bytes)
{
        static const char *const bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
        static const char *const dec[] = { "", "k", "M", "G", "T", "P", "E" };
        bool binary = strchr(fmt_of, 'i') != NULL, exponent = strpbrk(fmt_of, "eE") != NULL;
        unsigned base = binary ? 1024 : 1000;
        int k = 0;

        if (bytes == 0)
                return xstrdup("0");
        if (binary && bytes < 1024)
                return xasprintf("%llu", (unsigned long long)bytes);
        while (k < 6 && bytes % base == 0) {
                bytes /= base;
                k++;
        }
        if (binary)
                return xasprintf("%llu%s", (unsigned long long)bytes, bin[k]);
        if (exponent)
                return k ? xasprintf("%llue%d", (unsigned long long)bytes, 3 * k)
                         : xasprintf("%llu", (unsigned long long)bytes);
        return xasprintf("%llu%s", (unsigned long long)bytes, dec[k]);
}

/* The format resource.ParseQuantity gives s: 'b' BinarySI (a suffix in i),
 * 'e' DecimalExponent ("1e3"), 'd' DecimalSI (no suffix or an SI one, "1E"
 * is exa). */
static char quantity_format(const char *s)
{
        size_t n = strlen(s);
        const char *e;

        if (n && s[n - 1] == 'i')
                return 'b';
        e = strpbrk(s, "eE");
        if (e && (e[1] == '-' || e[1] == '+' || (e[1] >= '0' && e[1] <= '9')))
                return 'e';
        return 'd';
}

/* Decimal: mantissa and power of ten, trailing zeros removed, the power
 * then lowered to a multiple of 3 (inf.Dec's AsCanonicalBytes). */
static char *decimal_canonical(__int128 v, bool exponent_form)
{
        static const char *const si[] = { "n", "u", "m", "", "k", "M", "G", "T", "P", "E" };
        int exp = -9;

        if (v == 0)
                return xstrdup("0");
        while (v % 10 == 0) {
                v /= 10;
                exp++;
        }
        switch (((exp % 3) + 3) % 3) {
        case 1:
                v *= 10, exp -= 1;
                break;
        case 2:
                v *= 100, exp -= 2;
                break;
        }
        if (exponent_form || exp > 18)
                return exp ? xasprintf("%llde%d", (long long)v, exp) : xasprintf("%lld", (long long)v);
        return xasprintf("%lld%s", (long long)v, si[(exp + 9) / 3]);
}

char *pod_quantity_canonical_string(const char *s)
{
        static const char *const bin[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
        const __int128 one = 1000000000;
        char f = s ? quantity_format(s) : 'd';
        __int128 v, b;
        int k = 0;

        if (!s || quantity_nanos(s, &v) < 0)
                return NULL;
        /* BinarySI only for whole numbers outside (-1024, 1024) */
        if (f != 'b' || (v > -1024 * one && v < 1024 * one) || v % one)
                return decimal_canonical(v, f == 'e');
        b = v / one;
        while (k < 6 && b % 1024 == 0) {
                b /= 1024;
                k++;
        }
        return xasprintf("%lld%s", (long long)b, bin[k]);
}

struct qos_sum {
        __int128 v;
        bool set;
};

/* Adds a positive quantity; returns whether it counted. */
static bool qos_add(struct qos_sum *sum, const char *q)
{
        __int128 v;

        if (!q || quantity_nanos(q, &v) < 0 || v <= 0)
                return false;
        sum->v += v;
        sum->set = true;
        return true;
}

const char *pod_qos_class(const struct pod_qos_container *c, size_t n)
{
        struct qos_sum req[2] = {{0}}, lim[2] = {{0}};
        bool guaranteed = true;

        for (size_t i = 0; i < n; i++) {
                /* the API server defaults an unset request to the limit */
                const char *rq[2] = {c[i].cpu_request ? c[i].cpu_request : c[i].cpu_limit,
                                     c[i].memory_request ? c[i].memory_request : c[i].memory_limit};
                const char *lm[2] = {c[i].cpu_limit, c[i].memory_limit};
                bool both = true;

                for (int r = 0; r < 2; r++) {
                        qos_add(&req[r], rq[r]);
                        both &= qos_add(&lim[r], lm[r]);
                }
                guaranteed &= both;
        }
        if (!req[0].set && !req[1].set && !lim[0].set && !lim[1].set)
                return "BestEffort";
        for (int r = 0; r < 2 && guaranteed; r++)
                guaranteed = req[r].set == lim[r].set && req[r].v == lim[r].v;
        return guaranteed ? "Guaranteed" : "Burstable";
}
