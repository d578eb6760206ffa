#!/bin/bash
# Container resources: limits.memory and limits.cpu land in the container's
# cgroup (v2 memory.max / cpu.max, or v1 memory.limit_in_bytes / cfs quota), a
# container over its memory limit ends OOMKilled with exit code 137, and the
# QoS class follows requests and limits.
# timeout: 120
. "$(dirname "$0")/lib.sh"
podfs_setup

cat <<'EOF' | apply_pod default hog || fail "create hog: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: hog
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    # tail keeps the whole (newline-free) input in memory
    command: ["sh", "-c", "head -c 200m /dev/zero | tail"]
    resources:
      limits: {memory: 32Mi}
EOF
cat <<'EOF' | apply_pod default capped || fail "create capped: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: capped
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    resources:
      limits: {memory: 48Mi, cpu: 250m}
EOF

D=$MNT/default
check "hog: Failed" wait_for "$D/hog/phase" Failed 30
is "$(ctr default hog main reason)" OOMKilled "hog: containers/main/reason OOMKilled"
is "$(ctr default hog main exit_code)" 137 "hog: exit code 137"
is "$(jq -r '.containerStatuses[0].state.terminated.reason' "$D/hog/status.json")" OOMKilled \
        "hog: status.json terminated reason OOMKilled"
is "$(jq -r '.containerStatuses[0].state.terminated.exitCode' "$D/hog/status.json")" 137 \
        "hog: status.json exitCode 137"
is "$(jq -r .qosClass "$D/hog/status.json")" Burstable "hog: memory limit only: Burstable"

check "capped: Running" wait_for "$D/capped/phase" Running 20
pid=$(ctr default capped main pid)
if [ -n "$pid" ] && [ -r "/proc/$pid/cgroup" ]; then
        mem=$(cg_file "$pid" memory memory.limit_in_bytes memory.max)
        is "$(cat "$mem" 2>/dev/null)" $((48 * 1024 * 1024)) "capped: memory limit in $(basename "$mem")"
        cpu=$(cg_file "$pid" cpu cpu.cfs_quota_us cpu.max)
        case $cpu in
        */cpu.max) is "$(cat "$cpu" 2>/dev/null)" "25000 100000" "capped: cpu.max" ;;
        *) is "$(cat "$cpu" 2>/dev/null) $(cat "${cpu%/*}/cpu.cfs_period_us" 2>/dev/null)" "25000 100000" \
                "capped: cfs quota and period" ;;
        esac
else
        fail "capped: no pid for the container"
fi
is "$(jq -r .qosClass "$D/capped/status.json")" Guaranteed "capped: limits only: Guaranteed"
is "$(jq -c '.spec.containers[0].resources' "$D/capped/pod.json")" \
        '{"limits":{"cpu":"250m","memory":"48Mi"},"requests":{"cpu":"250m","memory":"48Mi"}}' \
        "capped: pod.json requests default to the limits"

# a resource podfs does not enforce is refused, not ignored
cat <<'EOF' | apply_pod default storage 2>/dev/null && fail "storage: hugepages accepted"
apiVersion: v1
kind: Pod
metadata:
  name: storage
spec:
  containers:
  - name: main
    image: busybox
    resources:
      limits: {hugepages-2Mi: 2Mi}
EOF
check "storage: refused with the key named" \
        grep -q 'resources.limits\[hugepages-2Mi\]: Forbidden: not supported by podfs yet' "$D/.last-error"

finish
