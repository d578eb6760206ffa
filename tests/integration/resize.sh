#!/bin/bash
# Updates in place (KEP-1287 resize, image updates): a rewrite of spec.yaml
# where only containers' cpu/memory differ resizes the running containers
# (cgroup files change, same PID) or restarts only the container whose
# resizePolicy says RestartContainer; status shows resources and
# allocatedResources; a resize above the node's allocatable is
# PodResizePending/Infeasible and changes nothing; a QoS change is refused; an
# image change restarts only that container, with the new image, whatever
# the restart policy; a resumed sandbox keeps the allocation.
# timeout: 150
. "$(dirname "$0")/lib.sh"
podfs_setup

# mem_limit PID / cpu_quota PID: what the container's cgroup says.
mem_limit() { cat "$(cg_file "$1" memory memory.limit_in_bytes memory.max)" 2>/dev/null; }
cpu_quota() {
        local f
        f=$(cg_file "$1" cpu cpu.cfs_quota_us cpu.max)
        case $f in
        */cpu.max) cut -d' ' -f1 "$f" 2>/dev/null ;;
        *) cat "$f" 2>/dev/null ;;
        esac
}
new_run() { # POD CTR OLDPID: running with a pid other than OLDPID
        local p
        p=$(ctr default "$1" "$2" pid)
        [ "$(ctr default "$1" "$2" state)" = running ] && [ -n "$p" ] && [ "$p" != "$3" ] && [ -d "/proc/$p" ]
}
jqs() { jq -r "$1" "$D/$2/status.json" 2>/dev/null; }
cond() { jqs "[.conditions[] | select(.type == \"$2\")][0].$3 // \"none\"" "$1"; }

# rz POD A_CPU_REQ A_CPU_LIM A_MEM_LIM B_MEM_LIM: a's policy NotRequired
# (default), b's memory RestartContainer; c has no resources.
rz() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: rz
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: a
    image: busybox
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: $1, memory: 32Mi}
      limits: {cpu: $2, memory: $3}
  - name: b
    image: busybox
    command: ["sleep", "3600"]
    resizePolicy:
    - {resourceName: cpu, restartPolicy: NotRequired}
    - {resourceName: memory, restartPolicy: RestartContainer}
    resources:
      requests: {cpu: 50m, memory: 32Mi}
      limits: {cpu: 100m, memory: $4}
  - name: c
    image: busybox
    command: ["sleep", "3600"]
EOF
}

D=$MNT/default
MI=$((1024 * 1024))
rz 100m 200m 64Mi 64Mi | apply_pod default rz || fail "create rz: $(cat "$D/.last-error")"
check "rz: Running" wait_for "$D/rz/phase" Running 20
uid=$(pod_uid default rz)
pa=$(ctr default rz a pid) pb=$(ctr default rz b pid) pc=$(ctr default rz c pid)
is "$(mem_limit "$pa")" $((64 * MI)) "rz: a's memory limit before"
is "$(cpu_quota "$pa")" 20000 "rz: a's cpu quota before"
is "$(jqs '.containerStatuses[0].allocatedResources.cpu' rz)" 100m "rz: a's allocatedResources.cpu"
is "$(jqs '.containerStatuses[0].resources.limits.memory' rz)" 64Mi "rz: a's resources.limits.memory"
is "$(jqs '.containerStatuses[2].resources // "none"' rz)" none "rz: c without resources shows none"

# resize: a in place (NotRequired), b's memory by a restart of b only
rz 150m 300m 96Mi 80Mi >"$W/rz2.yaml"
cat "$W/rz2.yaml" >"$D/rz/spec.yaml" || fail "resize rz: $(cat "$D/.last-error")"
is "$(pod_uid default rz)" "$uid" "resize: the same pod (uid)"
check "resize: b restarted once" wait_for "$D/rz/containers/b/restarts" 1 20
check "resize: b running again" retry_until 20 new_run rz b "$pb"
check "resize: a's status shows the new limits" \
        wait_until 10 "$D/rz/status.json" _content_has "$D/rz/status.json" '"memory": ?"96Mi"'
is "$(ctr default rz a pid)" "$pa" "resize: a kept its PID (NotRequired)"
is "$(ctr default rz a restarts)" 0 "resize: a not restarted"
is "$(mem_limit "$pa")" $((96 * MI)) "resize: a's cgroup memory limit"
is "$(cpu_quota "$pa")" 30000 "resize: a's cgroup cpu quota"
is "$(jqs '.containerStatuses[0].allocatedResources.cpu' rz)" 150m "resize: a's allocatedResources.cpu"
is "$(jqs '.containerStatuses[0].resources.limits.cpu' rz)" 300m "resize: a's resources.limits.cpu"
is "$(ctr default rz c pid)" "$pc" "resize: c kept its PID"
is "$(ctr default rz c restarts)" 0 "resize: c not restarted"
pb2=$(ctr default rz b pid)
check "resize: b has a new PID" [ -n "$pb2" ] && [ "$pb2" != "$pb" ]
is "$(mem_limit "$pb2")" $((80 * MI)) "resize: b's new run has the new memory limit"
is "$(jqs '.containerStatuses[1].resources.limits.memory' rz)" 80Mi "resize: b's resources.limits.memory"
check "resize: Killing event for b" grep -q 'Killing.*Container b resize requires restart' "$D/rz/events"
check "resize: ResizeCompleted once b runs again (generation 2)" wait_until 10 "$D/rz/events" \
        grep -qF 'Pod resize completed: {"containers":[{"name":"a","resources":{"limits":{"cpu":"300m","memory":"96Mi"},"requests":{"cpu":"150m","memory":"32Mi"}}},{"name":"b","resources":{"limits":{"cpu":"100m","memory":"80Mi"},"requests":{"cpu":"50m","memory":"32Mi"}}},{"name":"c","resources":{}}],"generation":2}' "$D/rz/events"
check "resize: no resize condition left" \
        wait_until 10 "$D/rz/status.json" sh -c "! grep -q PodResize '$D/rz/status.json'"

# Infeasible: more cpu than the node has; nothing changes
cap=$(($(nproc) * 1000))
rz 100 100 96Mi 80Mi >"$D/rz/spec.yaml" || fail "infeasible rz: $(cat "$D/.last-error")"
check "infeasible: PodResizePending" \
        wait_until 10 "$D/rz/status.json" _content_has "$D/rz/status.json" PodResizePending
is "$(cond rz PodResizePending reason)" Infeasible "infeasible: reason Infeasible"
is "$(cond rz PodResizePending message)" \
        "Node didn't have enough capacity: cpu, requested: 100050, capacity: $cap" "infeasible: the kubelet's message"
is "$(cond rz PodResizePending status)" True "infeasible: status True"
is "$(jqs '.containerStatuses[0].allocatedResources.cpu' rz)" 150m "infeasible: allocatedResources unchanged"
is "$(cpu_quota "$pa")" 30000 "infeasible: cgroup unchanged"
is "$(ctr default rz a pid)" "$pa" "infeasible: a kept its PID"
cat "$W/rz2.yaml" >"$D/rz/spec.yaml" || fail "rz back: $(cat "$D/.last-error")"
check "infeasible: a feasible rewrite clears PodResizePending" \
        wait_until 10 "$D/rz/status.json" sh -c "! grep -q PodResizePending '$D/rz/status.json'"

# a QoS class change is refused, nothing changes
cat <<'EOF' | apply_pod default gq || fail "create gq: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: gq
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    resources:
      limits: {cpu: 200m, memory: 64Mi}
EOF
check "gq: Running" wait_for "$D/gq/phase" Running 20
pg=$(ctr default gq main pid)
before=$(cat "$D/gq/spec.yaml")
if sed 's/limits: {cpu: 200m, memory: 64Mi}/limits: {cpu: 200m, memory: 64Mi}\n      requests: {cpu: 100m}/' \
        <<<"$before" >"$D/gq/spec.yaml" 2>/dev/null; then
        fail "qos: a Guaranteed pod made Burstable was accepted"
else
        ok "qos: the write failed"
fi
is "$(sed 's/^[^ ]* //' "$D/.last-error")" \
        "default/gq/spec.yaml: line 1: Pod \"gq\" is invalid: spec: Invalid value: \"Guaranteed\": Pod QOS Class may not change as a result of resizing" \
        "qos: the API server's message"
is "$(cat "$D/gq/spec.yaml")" "$before" "qos: spec.yaml unchanged"
is "$(ctr default gq main pid)" "$pg" "qos: the container runs on"

# an image change restarts that container only, with the new image (restartPolicy Never too)
cp -a "$STATE/images/busybox" "$STATE/images/busybox2"
echo two >"$STATE/images/busybox2/img-version"
im() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: im
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: x
    image: $1
    command: ["sleep", "3600"]
  - name: y
    image: busybox
    command: ["sleep", "3600"]
EOF
}
im busybox | apply_pod default im || fail "create im: $(cat "$D/.last-error")"
check "im: Running" wait_for "$D/im/phase" Running 20
uid=$(pod_uid default im)
px=$(ctr default im x pid) py=$(ctr default im y pid)
im busybox2 >"$D/im/spec.yaml" || fail "image update: $(cat "$D/.last-error")"
check "image: x restarted once" wait_for "$D/im/containers/x/restarts" 1 20
check "image: x running again" retry_until 20 new_run im x "$px"
px2=$(ctr default im x pid)
check "image: x has a new PID" [ -n "$px2" ] && [ "$px2" != "$px" ]
is "$(cat "/proc/$px2/root/img-version" 2>/dev/null)" two "image: x runs the new image"
is "$(ctr default im x image)" busybox2 "image: containers/x/image"
is "$(jqs '.containerStatuses[0].image' im)" busybox2 "image: status image"
is "$(ctr default im y pid)" "$py" "image: y kept its PID"
is "$(ctr default im y restarts)" 0 "image: y not restarted"
is "$(pod_uid default im)" "$uid" "image: the same pod (uid)"
check "image: Killing event" grep -q 'Killing.*Container x definition changed, will be restarted' "$D/im/events"

# a sidecar is resized in place; a finished init container's new image runs nothing
sc() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: sc
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: i
    image: $2
    command: ["true"]
  - name: s
    image: busybox
    restartPolicy: Always
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: 50m}
      limits: {cpu: $1}
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
}
sc 100m busybox | apply_pod default sc || fail "create sc: $(cat "$D/.last-error")"
check "sc: Running" wait_for "$D/sc/phase" Running 20
ps_=$(ctr default sc s pid) pmain=$(ctr default sc main pid)
is "$(cpu_quota "$ps_")" 10000 "sidecar: cpu quota before"
sc 200m busybox2 >"$D/sc/spec.yaml" || fail "sc resize: $(cat "$D/.last-error")"
check "sidecar: resized" wait_until 10 "$D/sc/status.json" sh -c \
        "[ \"\$(jq -r '.initContainerStatuses[1].resources.limits.cpu' '$D/sc/status.json')\" = 200m ]"
is "$(cpu_quota "$ps_")" 20000 "sidecar: cgroup cpu quota, same process"
is "$(ctr default sc s pid)" "$ps_" "sidecar: same PID"
is "$(ctr default sc i restarts)" 0 "init: a new image runs nothing"
is "$(ctr default sc i state)" terminated "init: stays terminated"
is "$(ctr default sc main pid)" "$pmain" "sc: main kept its PID"

# a memory limit below the usage is not written: PodResizeInProgress Error
mem() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: mem
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "v=\$(yes | head -c 40000000); echo ready; while :; do sleep 3600; done"]
    resources:
      requests: {memory: 8Mi}
      limits: {memory: $1}
EOF
}
mem 200Mi | apply_pod default mem || fail "create mem: $(cat "$D/.last-error")"
check "mem: holds its memory" wait_grep "$D/mem/logs/main" '^ready$' 30
pm=$(ctr default mem main pid)
mem 16Mi >"$D/mem/spec.yaml" || fail "mem decrease: $(cat "$D/.last-error")"
check "mem: PodResizeInProgress" \
        wait_until 10 "$D/mem/status.json" _content_has "$D/mem/status.json" PodResizeInProgress
is "$(cond mem PodResizeInProgress reason)" Error "mem: reason Error"
check "mem: the message names the usage" grep -q 'memory limit (16777216) below current usage' "$D/mem/status.json"
is "$(mem_limit "$pm")" $((200 * MI)) "mem: the cgroup limit is unchanged"
is "$(jqs '.containerStatuses[0].resources.limits.memory' mem)" 200Mi "mem: resources still the old limit"
is "$(jqs '.containerStatuses[0].allocatedResources.memory' mem)" 8Mi "mem: allocatedResources"
is "$(ctr default mem main pid)" "$pm" "mem: the container runs on"
mem 300Mi >"$D/mem/spec.yaml" || fail "mem increase: $(cat "$D/.last-error")"
check "mem: a raise ends PodResizeInProgress" \
        wait_until 10 "$D/mem/status.json" sh -c "! grep -q PodResizeInProgress '$D/mem/status.json'"
is "$(mem_limit "$pm")" $((300 * MI)) "mem: the cgroup limit raised"

# Deferred: the node has the cpu, the other pods hold it
dd() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: dd
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    resources:
      requests: {cpu: $1}
EOF
}
dd 100m | apply_pod default dd || fail "create dd: $(cat "$D/.last-error")"
check "dd: Running" wait_for "$D/dd/phase" Running 20
dd "$((cap - 100))m" >"$D/dd/spec.yaml" || fail "dd resize: $(cat "$D/.last-error")"
check "deferred: PodResizePending" \
        wait_until 10 "$D/dd/status.json" _content_has "$D/dd/status.json" PodResizePending
is "$(cond dd PodResizePending reason)" Deferred "deferred: reason Deferred"
check "deferred: the kubelet's message" grep -qE \
        "Node didn't have enough resource: cpu, requested: $((cap - 100)), used: [0-9]+, capacity: $cap\"" \
        "$D/dd/status.json"
is "$(jqs '.containerStatuses[0].allocatedResources.cpu' dd)" 100m "deferred: allocatedResources unchanged"
dd 200m >"$D/dd/spec.yaml" || fail "dd resize: $(cat "$D/.last-error")"
check "deferred: a smaller request is allocated" \
        wait_until 10 "$D/dd/status.json" sh -c "! grep -q PodResizePending '$D/dd/status.json'"
is "$(jqs '.containerStatuses[0].allocatedResources.cpu' dd)" 200m "deferred: allocatedResources follow"

# a daemon killed between making spec.yaml durable and waking the sandbox:
# the restarted daemon wakes it (the rename is done here while no daemon runs)
pd=$(ctr default dd main pid)
podfs_kill9
udd=$(pod_uid default dd)
dd 300m >"$STATE/pods/$udd/.spec.yaml.test" && mv "$STATE/pods/$udd/.spec.yaml.test" "$STATE/pods/$udd/spec.yaml"
podfs_start
alloc_is() { [ "$(jqs ".containerStatuses[0].allocatedResources.cpu" "$1")" = "$2" ]; }
check "daemon restart: the resize is applied" wait_until 10 "$D/dd/status.json" alloc_is dd 300m
is "$(ctr default dd main pid)" "$pd" "daemon restart: the same container process"
is "$(jq -r .metadata.generation "$D/dd/pod.json")" 4 "daemon restart: the missed resize is generation 4 (1, Deferred 2, 3)"

# a sandbox that dies and is started again keeps the allocation
sbx=$(sed -n 's/^pid=//p' "$STATE/pods/$(pod_uid default rz)/sandbox")
kill -9 "$sbx"
check "resume: a running again" retry_until 30 new_run rz a "$pa"
check "resume: Running" wait_for "$D/rz/phase" Running 20
pa2=$(ctr default rz a pid)
is "$(cpu_quota "$pa2")" 30000 "resume: a's cgroup cpu quota"
is "$(mem_limit "$pa2")" $((96 * MI)) "resume: a's cgroup memory limit"
is "$(jqs '.containerStatuses[0].allocatedResources.cpu' rz)" 150m "resume: allocatedResources"
is "$(jqs '.containerStatuses[0].resources.limits.memory' rz)" 96Mi "resume: resources"

finish
