/* Private to the object module: validation into the spec module's error list
 * (object_validate.c), shared by decoding (object_decode.c). */
#pragma once
#include "pfs/object.h"
#include "spec_internal.h"

/* The API server's ValidateConfigMap / ValidateSecret /
 * ValidatePersistentVolumeClaim over o. */
void object_validate_errs(const struct pfs_object *o, struct spec_errs *e);
/* The quantity rules of a claim's spec.resources.requests.storage. */
void object_validate_storage(struct spec_errs *e, const char *path, const char *q);
/* A claim's spec from the document root (object_pvc.c); errors into e. */
struct yval *object_pvc_spec_decode(struct spec_errs *e, const struct yval *root);
