/* Pod Security Standards (pss.c, pss_checks.c): the admission checks of
 * k8s.io/pod-security-admission as Kubernetes 1.34 has them, at a policy
 * version ("latest", "v1.N"), in its words. */
#pragma once
#include "pfs/spec.h"

enum pfs_pss_level { PFS_PSS_PRIVILEGED, PFS_PSS_BASELINE, PFS_PSS_RESTRICTED };

/* The newest policy version a check has (hostProbesAndHostLifecycle, v1.34):
 * what "latest" means, and what a newer pinned version is evaluated as. */
#define PFS_PSS_LATEST_MINOR 34

/* "privileged", "baseline", "restricted" -> the level, else -1. */
int pfs_pss_level_of(const char *name);
const char *pfs_pss_level_name(enum pfs_pss_level l);
/* "latest" (or NULL) and "v1.N" -> the minor version the checks are taken
 * at (at most PFS_PSS_LATEST_MINOR); -1 when not a version. */
int pfs_pss_version_minor(const char *version);
/* NULL when s satisfies level at version ("latest" or "v1.N"; NULL is
 * latest), else (caller frees) "violates PodSecurity \"restricted:v1.23\":
 * reason (detail), ...": the baseline checks in force at that version by ID,
 * then at restricted the restricted ones (those that replace a baseline check
 * from their version on take its place). */
char *pfs_pss_check_at(const struct pod_spec *s, enum pfs_pss_level level, const char *version);
/* The same at "latest". */
char *pfs_pss_check(const struct pod_spec *s, enum pfs_pss_level level);
