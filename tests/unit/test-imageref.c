/* Unit tests for common/imageref.c: normalisation as the kubelet's
 * ParseNormalizedNamed + default tag, and its messages for bad references. */
#include <string.h>
#include "pfs/imageref.h"
#include "pfs/imagestore.h"
#include "pfs/util.h"
#include "tap.h"

static void good(const char *in, const char *want_full, const char *want_repo)
{
        struct pfs_image_ref r;
        struct pfs_error err = {0};

        if (pfs_image_ref_parse(in, &r, &err) < 0) {
                tap_ok(false, "%s parses (%s)", in, err.msg);
                return;
        }
        _cleanup_free_ char *full = pfs_image_ref_full(&r), *repo = pfs_image_ref_repo(&r);

        tap_is_str(full, want_full, in);
        tap_is_str(repo, want_repo, in);
        pfs_image_ref_free(&r);
}

static void bad(const char *in, const char *want_msg)
{
        struct pfs_image_ref r;
        struct pfs_error err = {0};

        tap_ok(pfs_image_ref_parse(in, &r, &err) < 0, "\"%s\" refused", in);
        tap_is_str(err.msg, want_msg, in);
}

/* MNT/.images names: '/' and '%' escaped, and back. */
static void file_names(void)
{
        static const char *const refs[] = { "docker.io/library/nginx:1.25", "127.0.0.1:5000/a%2Fb:1", "x" };

        for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
                _cleanup_free_ char *name = pfs_image_file_name(refs[i]);
                _cleanup_free_ char *back = pfs_image_file_ref(name);

                tap_ok(!strchr(name, '/'), "file name of %s has no '/' (%s)", refs[i], name);
                tap_is_str(back, refs[i], "file name round trip");
        }
        _cleanup_free_ char *n = pfs_image_file_name("docker.io/library/nginx:1.25");

        tap_is_str(n, "docker.io%2Flibrary%2Fnginx:1.25", "the documented form");
}

int main(void)
{
        file_names();
        good("nginx", "docker.io/library/nginx:latest", "docker.io/library/nginx");
        good("nginx:1.14.2", "docker.io/library/nginx:1.14.2", "docker.io/library/nginx");
        good("bitnami/nginx", "docker.io/bitnami/nginx:latest", "docker.io/bitnami/nginx");
        good("index.docker.io/nginx", "docker.io/library/nginx:latest", "docker.io/library/nginx");
        good("127.0.0.1:5000/busybox:1", "127.0.0.1:5000/busybox:1", "127.0.0.1:5000/busybox");
        good("localhost/a/b__c-d.e", "localhost/a/b__c-d.e:latest", "localhost/a/b__c-d.e");
        good("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9", "registry.k8s.io/pause");
        good("a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             "docker.io/library/a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
             "docker.io/library/a");
        bad("nginx:", "couldn't parse image name \"nginx:\": invalid reference format");
        bad("Nginx", "couldn't parse image name \"Nginx\": invalid reference format: repository name "
                     "(library/Nginx) must be lowercase");
        bad("a@sha256:short", "couldn't parse image name \"a@sha256:short\": invalid reference format");
        bad("a b", "couldn't parse image name \"a b\": invalid reference format");
        bad("a//b", "couldn't parse image name \"a//b\": invalid reference format");
        bad("-a", "couldn't parse image name \"-a\": invalid reference format");
        return tap_done();
}
