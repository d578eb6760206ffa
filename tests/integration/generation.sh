#!/bin/bash
# metadata.generation and status.observedGeneration (KEP-5067, 1.34): 1 at
# create; a rewrite of labels only keeps it; a resize makes it 2, and the
# status (and each condition) follows once the sandbox acted on it, with the
# kubelet's ResizeCompleted event naming it; a spec.yaml the daemon made
# durable just before a kill -9 is counted once by the restarted daemon, and
# later restarts count nothing; a deletion request is one more.
# timeout: 120
. "$(dirname "$0")/lib.sh"
podfs_setup

D=$MNT/default
gp() { # gp LABEL CPU_REQ CPU_LIM
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: gen
  labels: {v: "$1"}
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: $2, memory: 32Mi}
      limits: {cpu: $3, memory: 64Mi}
EOF
}
meta_gen() { jq -r .metadata.generation "$D/gen/pod.json" 2>/dev/null; }
st() { jq -r "$1" "$D/gen/status.json" 2>/dev/null; }
observed_is() { [ "$(st .observedGeneration)" = "$1" ]; }
conds_are() { [ "$(st '[.conditions[].observedGeneration] | unique | map(tostring) | join(",")')" = "$1" ]; }
alloc_is() { [ "$(st '.containerStatuses[0].allocatedResources.cpu')" = "$1" ]; }

gp a 100m 200m | apply_pod default gen || fail "create gen: $(cat "$D/.last-error")"
check "gen: Running" wait_for "$D/gen/phase" Running 20
is "$(meta_gen)" 1 "create: metadata.generation 1"
check "create: status.observedGeneration 1" wait_until 10 "$D/gen/status.json" observed_is 1
check "create: every condition's observedGeneration 1" conds_are 1
is "$(st '.conditions[0] | keys_unsorted | .[0:2] | join(",")')" "type,observedGeneration" \
        "create: a condition's observedGeneration follows its type"
is "$(st 'keys_unsorted[0]')" observedGeneration "create: observedGeneration first in the status"

# labels only: the same generation
gp b 100m 200m >"$D/gen/spec.yaml" || fail "relabel: $(cat "$D/.last-error")"
is "$(jq -r .metadata.labels.v "$D/gen/pod.json")" b "relabel: the new label shown"
is "$(meta_gen)" 1 "relabel: metadata.generation stays 1"

# a resize: generation 2, observed once acted on, ResizeCompleted names it
gp b 150m 300m >"$D/gen/spec.yaml" || fail "resize: $(cat "$D/.last-error")"
is "$(meta_gen)" 2 "resize: metadata.generation 2"
check "resize: status.observedGeneration 2" wait_until 10 "$D/gen/status.json" observed_is 2
check "resize: allocated" wait_until 10 "$D/gen/status.json" alloc_is 150m
check "resize: every condition's observedGeneration 2" conds_are 2
want='Pod resize completed: {"containers":[{"name":"main","resources":{"limits":{"cpu":"300m","memory":"64Mi"},"requests":{"cpu":"150m","memory":"32Mi"}}}],"generation":2}'
check "resize: the ResizeCompleted event" wait_until 10 "$D/gen/events" grep -qF "$want" "$D/gen/events"
check "resize: ResizeCompleted by the kubelet, Normal" grep -q 'Normal.*ResizeCompleted' "$D/gen/events"
is "$(grep -c ResizeCompleted "$D/gen/events")" 1 "resize: one ResizeCompleted"
is "$(st '.resize // "none"')" none "resize: no status.resize (deprecated, not set since 1.33)"

# a daemon killed after spec.yaml became durable, before meta did: counted once
pid=$(ctr default gen main pid)
uid=$(pod_uid default gen)
podfs_kill9
gp b 200m 400m >"$STATE/pods/$uid/.spec.yaml.test" && mv "$STATE/pods/$uid/.spec.yaml.test" "$STATE/pods/$uid/spec.yaml"
podfs_start
is "$(meta_gen)" 3 "daemon restart: the missed resize counted"
check "daemon restart: status.observedGeneration 3" wait_until 10 "$D/gen/status.json" observed_is 3
check "daemon restart: allocated" wait_until 10 "$D/gen/status.json" alloc_is 200m
is "$(ctr default gen main pid)" "$pid" "daemon restart: the same container process"
podfs_kill9
podfs_start
is "$(meta_gen)" 3 "second restart: counted nothing"
is "$(st .observedGeneration)" 3 "second restart: observedGeneration kept"
is "$(grep -c '^generation=' "$STATE/pods/$uid/meta")" 1 "meta: one generation line"

# deletion: one more, observed by the terminating sandbox
is "$(echo 30 | fsop write "$D/gen/delete")" OK "delete: requested (grace 30 s)"
is "$(meta_gen)" 4 "delete: metadata.generation 4"
check "delete: deletionTimestamp" bash -c "jq -e .metadata.deletionTimestamp '$D/gen/pod.json' >/dev/null"
check "delete: status.observedGeneration 4" wait_until 10 "$D/gen/status.json" observed_is 4
is "$(echo 10 | fsop write "$D/gen/delete")" OK "delete: a shorter grace"
is "$(meta_gen)" 4 "delete: a second request counts nothing"
is "$(echo 0 | fsop write "$D/gen/delete")" OK "delete: now"
check "delete: gone" wait_gone "$D/gen" 20

finish
