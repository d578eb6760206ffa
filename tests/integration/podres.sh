#!/bin/bash
# Pod-level resources (KEP-2837, spec.resources): accepted with the API
# server's rules, shown in pod.json, decide the QoS class, and set on the
# pod's own cgroup (memory.max / cpu.max, or their v1 equivalents), above the
# containers' cgroups; a pod whose requests do not cover its containers' is
# refused in the API server's words.
# timeout: 90
. "$(dirname "$0")/lib.sh"
podfs_setup
require_cmd jq

pod_level() { local f=$1; echo "$(dirname "$(dirname "$f")")/$(basename "$f")"; }

cat <<'EOF' | apply_pod default capped || fail "create capped: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: capped
spec:
  resources:
    limits: {cpu: 250m, memory: 48Mi}
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
EOF
check "capped: Running" wait_for "$MNT/default/capped/phase" Running 30
is "$(jq -c .spec.resources "$MNT/default/capped/pod.json")" '{"limits":{"cpu":"250m","memory":"48Mi"}}' \
        "capped: pod.json shows spec.resources"
is "$(jq -r .qosClass "$MNT/default/capped/status.json")" Guaranteed "capped: pod-level limits: Guaranteed"
pid=$(cat "$MNT/default/capped/containers/main/pid")
if [ -n "$pid" ] && [ -r "/proc/$pid/cgroup" ]; then
        mem=$(pod_level "$(cg_file "$pid" memory memory.limit_in_bytes memory.max)")
        is "$(cat "$mem" 2>/dev/null)" $((48 * 1024 * 1024)) "capped: the pod cgroup's $(basename "$mem")"
        cpu=$(pod_level "$(cg_file "$pid" cpu cpu.cfs_quota_us cpu.max)")
        case $cpu in
        */cpu.max) is "$(cat "$cpu" 2>/dev/null)" "25000 100000" "capped: the pod cgroup's cpu.max" ;;
        *) is "$(cat "$cpu" 2>/dev/null)" 25000 "capped: the pod cgroup's cfs quota" ;;
        esac
        cmem=$(cg_file "$pid" memory memory.limit_in_bytes memory.max)
        check "capped: the container's own cgroup has no limit" bash -c "[ \"\$(cat '$cmem')\" != $((48 * 1024 * 1024)) ]"
else
        fail "capped: no pid"
fi

if (printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: short\nspec:\n  resources: {requests: {cpu: "1"}}\n  containers:\n  - {name: a, image: busybox, resources: {requests: {cpu: 1500m}}}\n' |
        apply_pod default short) 2>/dev/null; then
        fail "short: refused"
else
        ok "short: refused"
fi
check "short: the API server's words" grep -q 'spec.resources.requests\[cpu\]: Invalid value: "1": must be greater than or equal to aggregate container requests of 1500m' \
        "$MNT/default/.last-error"
finish
