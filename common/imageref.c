/* Image references (distribution/reference's grammar; Docker Hub short names
 * normalised as ParseNormalizedNamed does). */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "pfs/imageref.h"
#include "pfs/util.h"

#define NAME_MAX_TOTAL 255

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static bool path_component_ok(const char *s, size_t n)
{
        size_t i = 0;

        if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
                return false;
        while (i < n) {
                if (is_lower_alnum(s[i])) {
                        i++;
                        continue;
                }
                size_t j = i;

                while (j < n && !is_lower_alnum(s[j]))
                        j++;
                /* the separator s[i..j) */
                if (!(j - i == 1 && (s[i] == '.' || s[i] == '_')) && !(j - i == 2 && s[i] == '_' && s[i + 1] == '_') &&
                    strspn(s + i, "-") < j - i)
                        return false;
                i = j;
        }
        return true;
}

/* host[:port], host = label(.label)* with labels [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])? */
static bool domain_ok(const char *s, size_t n)
{
        const char *colon = memchr(s, ':', n);
        size_t hn = colon ? (size_t)(colon - s) : n, i = 0;

        if (colon) {
                size_t pn = n - hn - 1;

                if (pn == 0 || strspn(colon + 1, "0123456789") < pn)
                        return false;
        }
        if (hn == 0)
                return false;
        while (i < hn) {
                size_t j = i;

                while (j < hn && s[j] != '.')
                        j++;
                if (j == i || !isalnum((unsigned char)s[i]) || !isalnum((unsigned char)s[j - 1]))
                        return false;
                for (size_t k = i; k < j; k++)
                        if (!isalnum((unsigned char)s[k]) && s[k] != '-')
                                return false;
                i = j + 1;
                if (j < hn && i == hn)
                        return false; /* trailing dot */
        }
        return true;
}

/* tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} */
static bool tag_ok(const char *t)
{
        size_t n = strlen(t);

        if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '.' && t[i] != '-')
                        return false;
        return true;
}

/* digest: algorithm ":" hex{32,}; sha256 needs exactly 64 lowercase hex */
static bool digest_ok(const char *d)
{
        const char *colon = strchr(d, ':');
        size_t hn;

        if (!colon || colon == d)
                return false;
        for (const char *p = d; p < colon; p++)
                if (!isalnum((unsigned char)*p) && !strchr("-_+.", *p))
                        return false;
        hn = strlen(colon + 1);
        if (hn < 32 || strspn(colon + 1, "0123456789abcdef") != hn)
                return false;
        return (size_t)(colon - d) != 6 || strncmp(d, "sha256", 6) != 0 || hn == 64;
}

static bool path_ok(const char *p)
{
        while (*p) {
                size_t n = strcspn(p, "/");

                if (!path_component_ok(p, n))
                        return false;
                p += n;
                if (*p == '/' && !*++p)
                        return false;
        }
        return true;
}

static int invalid(const char *s, const char *why, struct pfs_error *err)
{
        return pfs_error_set(err, EINVAL, "couldn't parse image name \"%s\": %s", s, why);
}

/* splitDockerDomain: a first component with '.' or ':', "localhost", or an
 * upper-case letter is a registry; otherwise the name is on Docker Hub. */
static void split_domain(const char *name, char **ret_domain, char **ret_path)
{
        const char *slash = strchr(name, '/');
        bool hub = !slash;

        if (slash) {
                size_t n = (size_t)(slash - name);
                bool lower = true;

                for (size_t i = 0; i < n; i++)
                        if (isupper((unsigned char)name[i]))
                                lower = false;
                hub = !memchr(name, '.', n) && !memchr(name, ':', n) && !(n == 9 && !strncmp(name, "localhost", 9)) &&
                      lower;
        }
        if (hub) {
                *ret_domain = xstrdup("docker.io");
                *ret_path = strchr(name, '/') ? xstrdup(name) : xasprintf("library/%s", name);
                return;
        }
        *ret_domain = xstrndup(name, (size_t)(slash - name));
        if (!strcmp(*ret_domain, "index.docker.io")) {
                free(*ret_domain);
                *ret_domain = xstrdup("docker.io");
        }
        *ret_path = !strcmp(*ret_domain, "docker.io") && !strchr(slash + 1, '/') ? xasprintf("library/%s", slash + 1)
                                                                                  : xstrdup(slash + 1);
}

static int check_parts(const char *s, const struct pfs_image_ref *r, struct pfs_error *err)
{
        _cleanup_free_ char *lower = xstrdup(r->path);

        for (char *p = lower; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        if (strcmp(lower, r->path) != 0 && path_ok(lower)) {
                _cleanup_free_ char *why = xasprintf("invalid reference format: repository name (%s) must be lowercase",
                                                     r->path);

                return invalid(s, why, err);
        }
        if (!domain_ok(r->domain, strlen(r->domain)) || !path_ok(r->path) || (r->tag && !tag_ok(r->tag)) ||
            (r->digest && !digest_ok(r->digest)))
                return invalid(s, "invalid reference format", err);
        if (strlen(r->domain) + 1 + strlen(r->path) > NAME_MAX_TOTAL)
                return invalid(s, "repository name must not be more than 255 characters", err);
        return 0;
}

int pfs_image_ref_parse(const char *s, struct pfs_image_ref *ret, struct pfs_error *err)
{
        struct pfs_image_ref r = {0};
        _cleanup_free_ char *name = NULL;
        const char *at = strchr(s, '@'), *end = at ? at : s + strlen(s), *slash, *colon;
        int rc;

        memset(ret, 0, sizeof(*ret));
        if (!*s || strspn(s, " \t\r\n") > 0 || s[strcspn(s, " \t\r\n")])
                return invalid(s, "invalid reference format", err);
        if (strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64) {
                _cleanup_free_ char *why = xasprintf("invalid repository name (%s), cannot specify 64-byte hexadecimal "
                                                     "strings", s);

                return invalid(s, why, err);
        }
        name = xstrndup(s, (size_t)(end - s));
        slash = strrchr(name, '/');
        colon = strrchr(slash ? slash : name, ':');
        if (colon) {
                r.tag = xstrdup(colon + 1);
                name[colon - name] = '\0';
        }
        if (at)
                r.digest = xstrdup(at + 1);
        else if (!r.tag)
                r.tag = xstrdup("latest");
        if (!*name)
                return pfs_image_ref_free(&r), invalid(s, "invalid reference format", err);
        split_domain(name, &r.domain, &r.path);
        rc = check_parts(s, &r, err);
        if (rc < 0)
                return pfs_image_ref_free(&r), rc;
        *ret = r;
        return 0;
}

void pfs_image_ref_free(struct pfs_image_ref *r)
{
        free(r->domain);
        free(r->path);
        free(r->tag);
        free(r->digest);
        memset(r, 0, sizeof(*r));
}

char *pfs_image_ref_repo(const struct pfs_image_ref *r)
{
        return xasprintf("%s/%s", r->domain, r->path);
}

char *pfs_image_ref_full(const struct pfs_image_ref *r)
{
        return xasprintf("%s/%s%s%s%s%s", r->domain, r->path, r->tag ? ":" : "", r->tag ? r->tag : "",
                         r->digest ? "@" : "", r->digest ? r->digest : "");
}
