/* metadata.generation of pods (KEP-5067) and the kubelet's messages that
 * name it: see common/generation.c. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "pfs/error.h"
#include "pfs/store.h"

struct pod_spec;

/* An update in place from old to new is a new generation: its spec changed,
 * not only labels or annotations (updatePodGeneration). */
bool pod_spec_update_bumps_generation(const struct pod_spec *old, const struct pod_spec *new);
/* The hex sha256 of the spec without metadata, canonical (quantities by
 * value, maps by sorted keys): equal for specs the API server finds equal. */
void pod_spec_generation_hash(const struct pod_spec *s, char out[65]);
/* m's spec_sum (of s->source, as spec.yaml holds it) and spec_hash. */
void pod_meta_set_spec(struct pod_meta *m, const struct pod_spec *s);
/* The daemon's check of a pod whose spec.yaml may be newer than its meta (a
 * kill between the two writes of an update in place): spec.yaml's digest
 * differs from specSum -> its spec's hash is compared with specHash, the
 * generation counts one more when they differ, and meta is rewritten with
 * both digests (durably). 1 when the generation moved, 0 when nothing did
 * (or meta records no digests), -errno. */
int pod_generation_recover(int pod_dirfd, struct pod_meta *m, struct pfs_error *err);
/* events.PodResizeCompletedMsg (kubelet 1.34): "Pod resize completed: " and
 * the allocated resources of every init container and container as JSON,
 * with the generation. Caller frees. */
char *pod_resize_completed_message(const struct pod_spec *allocated, int64_t generation);
