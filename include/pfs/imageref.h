/* Image references as the kubelet and containers/image read them
 * (distribution/reference's grammar and Docker Hub normalisation):
 * "nginx" is docker.io/library/nginx:latest, "127.0.0.1:5000/app:1" has the
 * registry 127.0.0.1:5000. Used to decide what to pull and to name it. */
#pragma once
#include <stdbool.h>
#include "pfs/error.h"

struct pfs_image_ref {
        char *domain;   /* "docker.io", "127.0.0.1:5000" */
        char *path;     /* "library/nginx" */
        char *tag;      /* "latest" when neither tag nor digest is given; NULL with only a digest */
        char *digest;   /* "sha256:<hex>", or NULL */
};

/* Parse and normalise S. On failure the kubelet's text (InvalidImageName):
 * "couldn't parse image name \"S\": invalid reference format". */
int pfs_image_ref_parse(const char *s, struct pfs_image_ref *ret, struct pfs_error *err);
void pfs_image_ref_free(struct pfs_image_ref *r);
/* "docker.io/library/nginx" */
char *pfs_image_ref_repo(const struct pfs_image_ref *r);
/* "docker.io/library/nginx:1.25" or "...@sha256:..." (tag and digest when both given) */
char *pfs_image_ref_full(const struct pfs_image_ref *r);
