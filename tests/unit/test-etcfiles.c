/* Unit tests of the pod's resolv.conf (runtime/etc_files.c) cut to the
 * kubelet's limits, with its DNSConfigForming warnings: dnsPolicy None, so
 * that the node's resolv.conf plays no part. No root needed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime.h"
#include "tap.h"

static struct pod_spec spec_none(char **servers, size_t n_servers, char **searches, size_t n_searches)
{
        struct pod_spec s = {0};

        s.name = "p";
        s.namespace = "default";
        s.dns_policy = "None";
        s.dns_config.present = true;
        s.dns_config.nameservers = servers;
        s.dns_config.n_nameservers = n_servers;
        s.dns_config.searches = searches;
        s.dns_config.n_searches = n_searches;
        return s;
}

static void test_within(void)
{
        char *servers[] = { "10.0.0.1", "10.0.0.2" }, *searches[] = { "a.example", "b.example." };
        struct pod_spec s = spec_none(servers, 2, searches, 2);
        char *warn[2], *text = pod_resolv_content(&s);

        tap_is_str(text, "search a.example b.example.\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n",
                   "within the limits: as given");
        pod_dns_warnings(&s, warn);
        tap_ok(!warn[0] && !warn[1], "no warning");
        free(text);
}

static void test_nameservers(void)
{
        char *servers[] = { "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.2" };
        struct pod_spec s = spec_none(servers, 5, NULL, 0);
        char *warn[2], *text = pod_resolv_content(&s);

        tap_is_str(text, "nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n",
                   "nameservers: duplicates omitted, the first 3 kept");
        pod_dns_warnings(&s, warn);
        tap_is_str(warn[0] ? warn[0] : "",
                   "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver "
                   "line is: 10.0.0.1 10.0.0.2 10.0.0.3",
                   "the kubelet's nameserver warning");
        tap_ok(!warn[1], "no search warning");
        free(warn[0]);
        free(text);
}

/* n search paths s0.example ... (plus a long one at index `longat`, -1: none) */
static char **searches_make(size_t n, int longat, size_t longlen)
{
        char **v = calloc(n, sizeof(*v));

        for (size_t i = 0; i < n; i++) {
                if ((int)i == longat) {
                        v[i] = calloc(longlen + 1, 1);
                        memset(v[i], 'x', longlen);
                } else if (asprintf(&v[i], "s%zu.example", i) < 0) {
                        abort();
                }
        }
        return v;
}

static void searches_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void test_searches(void)
{
        char **v = searches_make(34, 1, 254);
        char *servers[] = { "10.0.0.1" };
        struct pod_spec s = spec_none(servers, 1, v, 34);
        char *warn[2], *text = pod_resolv_content(&s);
        char *line = strndup(text, strcspn(text, "\n"));

        /* the first 32 kept, then the one over 253 characters dropped: 31 */
        tap_ok(!strncmp(line, "search s0.example s2.example ", 29) && strstr(line, " s31.example") &&
                       !strstr(line, "s32.example") && !strstr(line, "xxx"),
               "search: 32 paths at most, one over 253 characters dropped");
        pod_dns_warnings(&s, warn);
        tap_ok(!warn[0], "no nameserver warning");
        tap_is_str(warn[1] ? warn[1] : "",
                   "Search Line limits were exceeded, some search paths have been omitted, the applied search "
                   "line is: s0.example s2.example s3.example s4.example s5.example s6.example s7.example "
                   "s8.example s9.example s10.example s11.example s12.example s13.example s14.example "
                   "s15.example s16.example s17.example s18.example s19.example s20.example s21.example "
                   "s22.example s23.example s24.example s25.example s26.example s27.example s28.example "
                   "s29.example s30.example s31.example",
                   "the kubelet's search warning");
        free(warn[1]);
        free(line);
        free(text);
        searches_free(v, 34);
}

static void test_search_chars(void)
{
        /* 10 paths of 250 characters: 2509 in the line, the last 2 cut (2007) */
        char **v = calloc(10, sizeof(*v));
        char *warn[2], *text;
        struct pod_spec s;
        size_t len;

        for (size_t i = 0; i < 10; i++) {
                v[i] = calloc(251, 1);
                memset(v[i], 'a' + (char)i, 250);
        }
        s = spec_none(NULL, 0, v, 10);
        text = pod_resolv_content(&s);
        len = strcspn(text, "\n") - strlen("search ");
        tap_is_int((long long)len, 8 * 250 + 7, "search line cut from the end to 2048 characters at most");
        tap_ok(strstr(text, "hhhh") && !strstr(text, "iiii"), "the last paths are the ones cut");
        pod_dns_warnings(&s, warn);
        tap_ok(warn[1] && strstr(warn[1], "Search Line limits were exceeded"), "warned");
        free(warn[1]);
        free(text);
        searches_free(v, 10);
}

int main(void)
{
        test_within();
        test_nameservers();
        test_searches();
        test_search_chars();
        return tap_done();
}
