/* Pod Security Standards (pss.c): the admission checks of
 * k8s.io/pod-security-admission at version "latest", in its words. */
#pragma once
#include "pfs/spec.h"

enum pfs_pss_level { PFS_PSS_PRIVILEGED, PFS_PSS_BASELINE, PFS_PSS_RESTRICTED };

/* "privileged", "baseline", "restricted" -> the level, else -1. */
int pfs_pss_level_of(const char *name);
const char *pfs_pss_level_name(enum pfs_pss_level l);
/* NULL when s satisfies level, else (caller frees)
 * "violates PodSecurity \"restricted:latest\": reason (detail), ...". Not
 * checked (podfs refuses or ignores them at validation): AppArmor (only
 * Unconfined is accepted: see podfs.5), seLinuxOptions (no SELinux on a node
 * podfs runs on: without effect). */
char *pfs_pss_check(const struct pod_spec *s, enum pfs_pss_level level);
