#!/bin/bash
# Conformance: status.json, status.yaml and pod.json of pods in every state
# (Pending with a missing image, Pending in init, Running, CrashLoopBackOff,
# Succeeded, Failed, terminating) are Kubernetes objects: every key a field the
# API defines, every value of its type (checked by ../shared/tools/k8s-conform
# beside the repo), plus the semantics kubectl relies on.
# timeout: 120
. "$(dirname "$0")/lib.sh"
podfs_setup
HAVE_CONFORM=1
if [ ! -x "$K8S_CONFORM" ] || ! /usr/bin/python3 -c 'import kubernetes, yaml' 2>/dev/null; then
        log "k8s-conform not available (../shared/tools/k8s-conform beside the repo, python3-kubernetes): schema checks skipped"
        HAVE_CONFORM=0
fi

FOREVER="trap 'exit 0' TERM; while true; do sleep 60 & wait \$!; done"
pod_yaml running Always "$FOREVER" 2 | apply_pod default running || fail "create running"
pod_yaml succeeded Never "exit 0" | apply_pod default succeeded || fail "create succeeded"
pod_yaml failed Never "exit 2" | apply_pod default failed || fail "create failed"
pod_yaml crashing Always "exit 1" 1 | apply_pod default crashing || fail "create crashing"
pod_yaml terminating Always "exec sleep 3600" 20 | apply_pod default terminating || fail "create terminating"
cat <<'EOF' | apply_pod default noimage || fail "create noimage"
apiVersion: v1
kind: Pod
metadata:
  name: noimage
spec:
  containers:
  - name: main
    image: does-not-exist:1.0
EOF
cat <<'EOF' | apply_pod default initializing || fail "create initializing: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: initializing
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: init
    image: busybox
    command: ["sleep", "3600"]
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
cat <<'EOF' | apply_pod default rich || fail "create rich: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: rich
  labels: {tier: test}
  annotations: {note: "many fields"}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    env:
    - name: A
      value: b
    ports:
    - containerPort: 8080
      name: http
EOF
cat <<'EOF' | apply_pod default limited || fail "create limited: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: limited
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    resources:
      limits: {memory: 64Mi, cpu: 500m}
      requests: {memory: 32Mi, cpu: 100m}
EOF
cat <<'EOF' | apply_pod default probed || fail "create probed: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: probed
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
    readinessProbe:
      exec: {command: ["true"]}
EOF

D=$MNT/default
wait_for "$D/running/phase" Running 20 || fail "running not Running"
wait_for "$D/succeeded/phase" Succeeded 20 || fail "succeeded not Succeeded"
wait_for "$D/failed/phase" Failed 20 || fail "failed not Failed"
wait_for "$D/crashing/containers/main/reason" CrashLoopBackOff 20 || fail "crashing not in CrashLoopBackOff"
wait_for "$D/terminating/phase" Running 20 || fail "terminating not Running"
if [ -f "$D/initializing/phase" ]; then
        wait_until 20 "$D/initializing/status.json" jq -e '.initContainerStatuses[0].state.running' "$D/initializing/status.json" >/dev/null ||
                fail "init container not running: $(jq -c .initContainerStatuses "$D/initializing/status.json")"
fi
for p in rich limited probed; do
        [ -f "$D/$p/phase" ] && { wait_for "$D/$p/phase" Running 20 || fail "$p not Running"; }
done
rmdir "$D/terminating" || fail "rmdir terminating"

# a missing image: Kubernetes' behaviour
check "noimage: phase Pending" wait_for "$D/noimage/phase" Pending 5
check "noimage: ErrImagePull or ImagePullBackOff" wait_grep "$D/noimage/containers/main/reason" '^(ErrImagePull|ImagePullBackOff)$' 10
is "$(ctr default noimage main state)" waiting "noimage: state waiting"
check "noimage: a Warning event names the image" grep -q 'does-not-exist' "$D/noimage/events"

if [ -f "$D/initializing/phase" ]; then
        is "$(cat "$D/initializing/phase")" Pending "initializing: Pending while an init container runs"
        is "$(ctr default initializing main reason)" PodInitializing "initializing: main waits with PodInitializing"
        check "initializing: Initialized False" grep -q '^Initialized False' "$D/initializing/conditions"
fi
check "terminating: deletionTimestamp set" bash -c "jq -e .metadata.deletionTimestamp '$D/terminating/pod.json' >/dev/null"

semantic() {    # semantic POD: what kubectl relies on in .status
        local s=$1/status.json
        jq -e '
          (.phase | IN("Pending","Running","Succeeded","Failed","Unknown")) and
          ((.conditions // []) | all(.type and (.status | IN("True","False","Unknown")))) and
          ((.containerStatuses // []) | all(
              (.name | type == "string") and (.image | type == "string") and
              (.ready | type == "boolean") and (.restartCount | type == "number") and
              (.state | keys | length == 1) and
              (.state | keys[0] | IN("waiting","running","terminated")))) and
          ((.containerStatuses // []) | all(
              if .state.terminated then (.state.terminated.exitCode | type == "number") else true end))
        ' "$s" >/dev/null
}

for p in running succeeded failed crashing terminating noimage initializing rich limited probed; do
        [ -f "$D/$p/phase" ] || { fail "$p: no such pod (rejected or missing), not checked"; continue; }
        check "$p: status.json semantics" semantic "$D/$p"
        is "$(jq -r .status.phase "$D/$p/pod.json")" "$(cat "$D/$p/phase")" "$p: pod.json .status.phase = phase"
        check "$p: status.yaml = status.json" yaml_is_json "$D/$p/status.yaml" "$D/$p/status.json"
        if [ "$HAVE_CONFORM" = 1 ]; then
                check "$p: status.json conforms to PodStatus" "$K8S_CONFORM" --kind PodStatus "$D/$p/status.json"
                check "$p: status.yaml conforms to PodStatus" "$K8S_CONFORM" --kind PodStatus "$D/$p/status.yaml"
                check "$p: pod.json conforms to Pod" "$K8S_CONFORM" --kind Pod "$D/$p/pod.json"
        fi
done
is "$(jq -r '.containerStatuses[0].state.terminated.reason' "$D/failed/status.json")" Error "failed: terminated reason Error"
is "$(jq -r '.containerStatuses[0].state.terminated.reason' "$D/succeeded/status.json")" Completed "succeeded: terminated reason Completed"
is "$(jq -r '.containerStatuses[0].state.waiting.reason' "$D/crashing/status.json")" CrashLoopBackOff "crashing: waiting reason CrashLoopBackOff"
if [ -f "$D/initializing/phase" ]; then
        is "$(jq -r '.initContainerStatuses[0].name' "$D/initializing/status.json")" init "initializing: initContainerStatuses"
fi
if [ -f "$D/rich/phase" ]; then
        is "$(jq -r .metadata.labels.tier "$D/rich/pod.json")" test "pod.json keeps labels"
        is "$(jq -r .metadata.annotations.note "$D/rich/pod.json")" "many fields" "pod.json keeps annotations"
        is "$(jq -r '.spec.containers[0].ports[0].protocol' "$D/rich/pod.json")" TCP "port defaults: protocol TCP"
fi
if [ -f "$D/limited/phase" ]; then
        is "$(jq -r '.spec.containers[0].resources.limits.memory' "$D/limited/pod.json")" 64Mi "pod.json keeps resources"
        is "$(jq -r .qosClass "$D/limited/status.json")" Burstable "limited: qosClass Burstable"
fi
if [ -f "$D/probed/phase" ]; then
        is "$(jq -r '.spec.containers[0].readinessProbe.periodSeconds' "$D/probed/pod.json")" 10 "probe defaults: periodSeconds 10"
        is "$(jq -r '.spec.containers[0].readinessProbe.failureThreshold' "$D/probed/pod.json")" 3 "probe defaults: failureThreshold 3"
        check "probed: Ready once the probe passes" wait_grep "$D/probed/conditions" '^Ready True' 15
fi
is "$(jq -r .qosClass "$D/running/status.json")" BestEffort "running: qosClass BestEffort"
is "$(jq -r '.spec.terminationGracePeriodSeconds' "$D/running/pod.json")" 2 "terminationGracePeriodSeconds kept"
is "$(jq -r '.spec.terminationGracePeriodSeconds' "$D/noimage/pod.json")" 30 "terminationGracePeriodSeconds default 30"
check "every pod.json has a nodeName" bash -c "for f in '$D'/*/pod.json; do jq -e '.spec.nodeName | length > 0' \"\$f\" >/dev/null || exit 1; done"

finish
