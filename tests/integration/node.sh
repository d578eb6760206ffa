#!/bin/bash
# The Node object (MNT/.node/: node.json, labels, taints, persisted in
# STATE/node/), the scheduling fields (accepted, shown in pod.json) and the
# kubelet's admission of a pod bound to this node: nodeSelector / required
# node affinity, nodeName, taints, resources (the write succeeds, the pod
# fails with the kubelet's reason and message); schedulingGates keep a pod
# Pending until a rewrite removes them; priority classes.
# timeout: 150
. "$(dirname "$0")/lib.sh"
podfs_setup
require_cmd jq

N=$MNT/.node
st() { jq -r "$2" "$MNT/default/$1/status.json" 2>/dev/null; }
sleeper() { # NAME EXTRA-SPEC-LINES
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n%b  terminationGracePeriodSeconds: 1\n  containers:\n  - name: main\n    image: busybox\n    command: ["sleep", "1000"]\n' "$1" "$2"
}
HOST=$(jq -r .metadata.name "$N/node.json")
# append LINE to FILE with one write and a checked close (a shell ignores close's error)
append() { python3 -c 'import sys; f = open(sys.argv[1], "a"); f.write(sys.argv[2] + "\n"); f.close()' "$1" "$2" 2>/dev/null; }

# ---- the node object ----------------------------------------------------------
check "node: .node is listed at the top" bash -c "ls -a '$MNT' | grep -qx .node"
is "$(jq -r .kind "$N/node.json")" Node "node.json: kind Node"
is "$(jq -r '.metadata.labels["kubernetes.io/hostname"]' "$N/node.json")" "$HOST" "node.json: hostname label"
is "$(jq -r '.metadata.labels["kubernetes.io/os"]' "$N/node.json")" linux "node.json: os label"
check "node.json: arch label" jq -e '.metadata.labels["kubernetes.io/arch"] | length > 0' "$N/node.json"
is "$(jq -r .status.capacity.pods "$N/node.json")" 110 "node.json: 110 pods"
is "$(jq -r .status.capacity.cpu "$N/node.json")" "$(nproc)" "node.json: cpu capacity"
is "$(jq -r '.status.conditions[] | select(.type=="Ready") | "\(.status) \(.reason)"' "$N/node.json")" \
        "True KubeletReady" "node.json: Ready"
check "node: no new file in .node" bash -c "! touch '$N/other' 2>/dev/null"
check "node: no dir in .node" bash -c "! mkdir '$N/dir' 2>/dev/null"
check "node: labels cannot be removed" bash -c "! rm -f '$N/labels' 2>/dev/null"
check "node: node.json is read-only" bash -c "! echo x > '$N/node.json' 2>/dev/null"
check "node: labels is 0644 root" [ "$(stat -c '%a %u' "$N/labels")" = "644 0" ]
check "labels: the built-in labels" grep -qx "kubernetes.io/hostname=$HOST" "$N/labels"
echo disktype=ssd >>"$N/labels" || fail "labels: append"
check "labels: appended" grep -qx disktype=ssd "$N/labels"
is "$(jq -r '.metadata.labels.disktype' "$N/node.json")" ssd "node.json shows the new label"
check "labels: persisted in STATE/node/labels" grep -qx disktype=ssd "$STATE/node/labels"
check "labels: a bad key is refused" bash -c "$(declare -f append); ! append '$N/labels' 'bad key=x'"
check "labels: nothing changed by the refusal" bash -c "! grep -q 'bad key' '$N/labels'"

# ---- admission: node affinity / selector -----------------------------------------
sleeper nosel "  nodeSelector: {disktype: hdd}\n" | apply_pod default nosel || fail "nosel: the write succeeds"
check "nosel: Failed" wait_for "$MNT/default/nosel/phase" Failed 20
is "$(st nosel .reason)" NodeAffinity "nosel: reason NodeAffinity"
is "$(st nosel .message)" "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector" \
        "nosel: the kubelet's message"
is "$(jq -c 'keys' "$MNT/default/nosel/status.json")" '["message","observedGeneration","phase","reason","startTime"]' \
        "nosel: rejectPod's status only (no conditions, no container statuses; observedGeneration from SetPodStatus)"
check "nosel: no container status in pod.json" jq -e '.status | has("containerStatuses") or has("conditions") | not' "$MNT/default/nosel/pod.json"
check "nosel: a Warning event" grep -q NodeAffinity "$MNT/default/nosel/events"
is "$(jq -r .spec.nodeSelector.disktype "$MNT/default/nosel/pod.json")" hdd "nosel: pod.json shows nodeSelector"

sleeper sel "  nodeSelector: {disktype: ssd}\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n        - matchExpressions: [{key: kubernetes.io/os, operator: In, values: [linux]}]\n" |
        apply_pod default sel || fail "create sel"
check "sel: Running once the node has the label" wait_for "$MNT/default/sel/phase" Running 30
is "$(jq -r '.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key' "$MNT/default/sel/pod.json")" \
        kubernetes.io/os "sel: pod.json shows the affinity"

# ---- nodeName ----------------------------------------------------------------------
sleeper other "  nodeName: some-other-node\n" | apply_pod default other || fail "create other"
check "other: Failed" wait_for "$MNT/default/other/phase" Failed 20
is "$(st other .reason)" NodeName "other: reason NodeName"
is "$(jq -r .spec.nodeName "$MNT/default/other/pod.json")" some-other-node "other: pod.json keeps its nodeName"
is "$(st other .message)" "Pod was rejected: Predicate NodeName failed: node(s) didn't match the requested node name" \
        "other: message"

# ---- the pod's OS label (after the predicates, as the kubelet checks it) -------------
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: winlabel\n  labels: {kubernetes.io/os: windows}\nspec:\n  containers:\n  - {name: main, image: busybox, command: [sleep, "1000"]}\n' |
        apply_pod default winlabel || fail "create winlabel"
check "winlabel: Failed" wait_for "$MNT/default/winlabel/phase" Failed 20
is "$(st winlabel .reason)" PodOSSelectorNodeLabelDoesNotMatch "winlabel: reason"
is "$(st winlabel .message)" 'Pod was rejected: Failed to admit pod as the `kubernetes.io/os` label doesn'"'"'t match node label' \
        "winlabel: message"

# ---- taints --------------------------------------------------------------------------
echo "dedicated=gpu:NoSchedule" >>"$N/taints" || fail "taints: append"
is "$(jq -c '.spec.taints' "$N/node.json")" '[{"effect":"NoSchedule","key":"dedicated","value":"gpu"}]' "node.json: the taint"
check "taints: persisted" grep -qx "dedicated=gpu:NoSchedule" "$STATE/node/taints"
check "taints: a bad effect is refused" bash -c "$(declare -f append); ! append '$N/taints' 'a=b:Sometimes'"
sleeper untol "" | apply_pod default untol || fail "create untol"
check "untol: Failed" wait_for "$MNT/default/untol/phase" Failed 20
is "$(st untol .reason)" TaintToleration "untol: reason TaintToleration"
is "$(st untol .message)" "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate" \
        "untol: message"
sleeper tol "  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]\n" |
        apply_pod default tol || fail "create tol"
check "tol: a tolerating pod runs" wait_for "$MNT/default/tol/phase" Running 30
: >"$N/taints" || fail "taints: truncate"
is "$(cat "$N/taints")" "" "taints: emptied"

# ---- NoExecute: the taint manager evicts what does not tolerate it --------------------
sleeper stay "  tolerations: [{key: maint, operator: Exists, effect: NoExecute}]\n" | apply_pod default stay || fail "create stay"
sleeper later "  tolerations: [{key: maint, operator: Exists, effect: NoExecute, tolerationSeconds: 4}]\n" |
        apply_pod default later || fail "create later"
check "stay: Running" wait_for "$MNT/default/stay/phase" Running 30
check "later: Running" wait_for "$MNT/default/later/phase" Running 30
t0=$(now_ms)
echo "maint:NoExecute" >>"$N/taints" || fail "taints: NoExecute"
check "sel: evicted at once (no toleration)" wait_gone "$MNT/default/sel" 20
check "tol: evicted (tolerates NoSchedule only)" wait_gone "$MNT/default/tol" 20
if wait_gone "$MNT/default/later" 2 >/dev/null; then fail "later: gone before its tolerationSeconds"; else ok "later: stays within its tolerationSeconds"; fi
check "later: evicted after tolerationSeconds" wait_gone "$MNT/default/later" 30
d=$(($(now_ms) - t0))
check "later: gone after ${d} ms (>= 4000)" [ "$d" -ge 4000 ]
is "$(cat "$MNT/default/stay/phase")" Running "stay: a toleration without tolerationSeconds stays"
: >"$N/taints" || fail "taints: truncate"

# ---- resources ---------------------------------------------------------------------
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n  - name: main\n    image: busybox\n    command: ["sleep", "1000"]\n    resources: {requests: {cpu: "1000"}}\n' |
        apply_pod default big || fail "create big"
check "big: Failed" wait_for "$MNT/default/big/phase" Failed 20
is "$(st big .reason)" OutOfcpu "big: reason OutOfcpu"
check "big: message" bash -c "jq -r .message '$MNT/default/big/status.json' | grep -qx \"Pod was rejected: Node didn't have enough resource: cpu, requested: 1000000, used: [0-9]*, capacity: $(nproc)000\""

# ---- schedulingGates -------------------------------------------------------------------
sleeper gated "  schedulingGates: [{name: example.com/wait}]\n" | apply_pod default gated || fail "create gated"
check "gated: PodScheduled False SchedulingGated" wait_grep "$MNT/default/gated/conditions" '^PodScheduled False SchedulingGated' 20
is "$(cat "$MNT/default/gated/phase")" Pending "gated: Pending"
is "$(st gated '.conditions[] | select(.type=="PodScheduled") | .message')" \
        "Scheduling is blocked due to non-empty scheduling gates" "gated: message"
check "gated: nothing runs" bash -c "! grep -q Started '$MNT/default/gated/events'"
is "$(st gated 'keys | join(",")')" "conditions,phase,qosClass" "gated: status as the API server shows an unscheduled pod"
is "$(jq -r '.spec.nodeName // "none"' "$MNT/default/gated/pod.json")" none "gated: not bound to the node"
check "gated: no Scheduled event" bash -c "! grep -q Scheduled '$MNT/default/gated/events'"
if sleeper g2 "  nodeName: x\n  schedulingGates: [{name: a}]\n" | apply_pod default g2 2>/dev/null; then
        fail "gated: nodeName with gates accepted"
fi
check "gated: the API server's words" grep -q "spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared" "$MNT/default/.last-error"
sleeper gated "" >"$MNT/default/gated/spec.yaml" || fail "gated: rewrite without gates"
check "gated: Running once the gates are gone" wait_for "$MNT/default/gated/phase" Running 40

# ---- priority classes --------------------------------------------------------------------
if out=$(sleeper gold "  priorityClassName: gold\n" | apply_pod default gold 2>&1); then
        fail "priority: an unknown class is refused"
else
        ok "priority: an unknown class is refused ($out)"
fi
log "last-error: $(cat "$MNT/default/.last-error")"
check "priority: the API's words in .last-error" grep -q 'pods "gold" is forbidden: no PriorityClass with name gold was found' \
        "$MNT/default/.last-error"
sleeper crit "  priorityClassName: system-cluster-critical\n" | apply_pod default crit || fail "create crit"
is "$(jq -r .spec.priority "$MNT/default/crit/pod.json")" 2000000000 "crit: priority 2000000000"

# ---- a rejected pod stays as rejectPod left it across a daemon restart ---------------------
NOSEL=$(cat "$MNT/default/nosel/status.json")
check "unmount" podfs_umount
podfs_start
check "nosel: still Failed after restart" wait_for "$MNT/default/nosel/phase" Failed 10
is "$(cat "$MNT/default/nosel/status.json")" "$NOSEL" "nosel: the same status after restart"

# ---- --max-pods: the node's pod capacity (kubelet's maxPods) -------------------------------
if out=$("$PODFS_BIN" --state-dir "$W/state-x" --max-pods 0 "$W/mnt-x" 2>&1); then
        fail "--max-pods 0 accepted"
else
        is "$out" "podfs: --max-pods '0': must be a number from 1 to 1000000" "--max-pods 0: refused, saying why"
fi
check "--max-pods x and 1000001 refused" sh -c '! "$1" --max-pods x --help >/dev/null 2>&1 && ! "$1" --max-pods 1000001 --help >/dev/null 2>&1' _ "$PODFS_BIN"
check "podfs --help documents --max-pods" sh -c '"$1" --help | grep -q -- "--max-pods N"' _ "$PODFS_BIN"
live=$(grep -lxE 'Pending|Running' "$MNT"/*/*/phase | wc -l)
check "unmount" podfs_umount
podfs_start --max-pods $((live + 1))
is "$(jq -r '"\(.status.capacity.pods) \(.status.allocatable.pods)"' "$N/node.json")" "$((live + 1)) $((live + 1))" \
        "node.json: capacity and allocatable pods from --max-pods"
sleeper fits "" | apply_pod default fits || fail "create fits"
check "fits: Running (the last pod the node takes)" wait_for "$MNT/default/fits/phase" Running 30
sleeper over "" | apply_pod default over || fail "create over"
check "over: Failed" wait_for "$MNT/default/over/phase" Failed 20
is "$(st over .reason)" OutOfpods "over: reason OutOfpods"
is "$(st over .message)" "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: $((live + 1)), capacity: $((live + 1))" \
        "over: the kubelet's message"
echo 0 >"$MNT/default/fits/delete"
check "fits gone" wait_gone "$MNT/default/fits" 20
sleeper over2 "" | apply_pod default over2 || fail "create over2"
check "over2: Running once a pod ended" wait_for "$MNT/default/over2/phase" Running 30

# Many pods at once with room for some: the kubelet admits them one at a
# time, counting those it admitted: exactly as many run as there is room for,
# and a rejected one never saw more pods used than the capacity.
for p in over over2; do echo 0 >"$MNT/default/$p/delete"; done
check "over, over2 gone" wait_gone "$MNT/default/over2" 20
check "unmount" podfs_umount
podfs_start --max-pods $((live + 3))
# a gated pod is not bound to the node: it takes no room
sleeper gate2 "  schedulingGates: [{name: example.com/wait}]\n" | apply_pod default gate2 || fail "create gate2"
check "gate2: gated" wait_grep "$MNT/default/gate2/conditions" '^PodScheduled False SchedulingGated' 20
for i in 1 2 3 4 5 6; do sleeper "burst$i" ""; echo ---; done >"$W/burst.yaml"
cp "$W/burst.yaml" "$MNT/default/" || fail "apply the burst"
burst_settled() {
        local i ph
        for i in 1 2 3 4 5 6; do
                ph=$(cat "$MNT/default/burst$i/phase" 2>/dev/null)
                [ "$ph" = Running ] || [ "$ph" = Failed ] || return 1
        done
}
check "burst: every pod Running or Failed" retry_until 60 burst_settled
is "$(grep -lx Running "$MNT"/default/burst*/phase | wc -l)" 3 "burst: as many run as there is room for (3)"
is "$(grep -lx Failed "$MNT"/default/burst*/phase | wc -l)" 3 "burst: the others are rejected"
for i in 1 2 3 4 5 6; do
        [ "$(cat "$MNT/default/burst$i/phase")" = Failed ] || continue
        is "$(st "burst$i" .message)" "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: $((live + 3)), capacity: $((live + 3))" \
                "burst$i: rejected with used = capacity"
done
for i in 1 2 3 4 5 6; do echo 0 >"$MNT/default/burst$i/delete"; done
echo 0 >"$MNT/default/gate2/delete"

# a sandbox stuck while it holds the admission lock (a hung disk) holds the
# node's other pods up for 60 s at most: then they are admitted without it
/usr/bin/python3 -c 'import fcntl, sys, time; f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(90)' \
        "$STATE/admission.lock" &
HOLDER=$!
retry_until 5 sh -c "grep -q ' FLOCK .* WRITE ' /proc/locks" || fail "the test holds the admission lock"
t0=$(now_ms)
sleeper late "" | apply_pod default late || fail "create late"
check "late: Running although the lock stays held" wait_for "$MNT/default/late/phase" Running 80
t=$(($(now_ms) - t0))
if [ "$t" -ge 59000 ]; then ok "late: waited for the lock first (${t} ms)"; else fail "late: Running after ${t} ms, before the 60 s"; fi
check "late: its sandbox says why" grep -q "admission lock: held for 60 s by another sandbox" \
        "$STATE/pods/$(pod_uid default late)/sandbox.log"
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
echo 0 >"$MNT/default/late/delete"

finish
