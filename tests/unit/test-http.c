/* Unit tests for the text of the httpGet client (runtime/http.c). */
#include <errno.h>
#include <string.h>
#include "handler.h"
#include "tap.h"

static void test_request(void)
{
        struct pod_kv h[] = {{"X-Probe", "yes"}, {"user-agent", "mine"}, {"Connection", "keep-alive"}};
        char *r = http_request_build("127.0.0.1:8080", "/healthz", NULL, 0);

        tap_is_str(r, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: kube-probe/1.28\r\n"
                      "Accept: */*\r\nConnection: close\r\n\r\n", "default request");
        free(r);
        r = http_request_build("[::1]:80", NULL, h, 3);
        tap_is_str(r, "GET / HTTP/1.1\r\nHost: [::1]:80\r\nAccept: */*\r\nX-Probe: yes\r\nuser-agent: mine\r\n"
                      "Connection: close\r\n\r\n", "headers override defaults; path defaults to /");
        free(r);
        r = http_url("127.0.0.1:80", "x");
        tap_is_str(r, "http://127.0.0.1:80/x", "url");
        free(r);
}

static void test_status(void)
{
        const char *ok = "HTTP/1.1 200 OK\r\n";
        const char *redirect = "HTTP/1.0 302 Found\r\nLocation: /\r\n";

        tap_is_int(http_response_status(ok, strlen(ok)), 200, "200");
        tap_is_int(http_response_status(redirect, strlen(redirect)), 302, "302");
        tap_is_int(http_response_status("HTTP/1.1 50", 11), 0, "incomplete");
        tap_is_int(http_response_status("SSH-2.0-x\r\n", 11), -EINVAL, "not HTTP");
}

int main(void)
{
        test_request();
        test_status();
        return tap_done();
}
