#!/bin/bash
# The tree a user sees: namespaces, a pod's files, their content and sizes,
# logs and tail -f, containers/<c>/*.
# timeout: 120
. "$(dirname "$0")/lib.sh"
podfs_setup

# ---- namespaces
check "default namespace exists" test -d "$MNT/default"
check "mkdir creates a namespace" mkdir "$MNT/team-a"
check "the namespace is listed" bash -c "ls '$MNT' | grep -qx team-a"
check "the namespace is durable in the state dir" test -d "$STATE/namespaces/team-a"
check "rmdir removes an empty namespace" rmdir "$MNT/team-a"
check "removed namespace is gone" test ! -e "$MNT/team-a"
r=$(fsop rmdir "$MNT/default")
if [ "$r" != OK ]; then ok "rmdir default fails ($r)"; else fail "rmdir default succeeded"; fi

# ---- a pod through mkdir + cat > spec.yaml
cat >"$W/web.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 3
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo started; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2 & wait $!; done"]
  - name: side
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo side-car >&2; while true; do sleep 60 & wait $!; done"]
EOF
check "mkdir pod dir" mkdir "$MNT/default/web"
check "cat > spec.yaml accepted" bash -c "cat '$W/web.yaml' > '$MNT/default/web/spec.yaml'"
P=$MNT/default/web
check "phase reaches Running" wait_for "$P/phase" Running 20
check "spec.yaml reads back the manifest" bash -c "cmp -s '$W/web.yaml' '$P/spec.yaml' || diff <(/usr/bin/python3 -c 'import yaml,sys,json; print(json.dumps(yaml.safe_load(open(sys.argv[1])),sort_keys=True))' '$W/web.yaml') <(/usr/bin/python3 -c 'import yaml,sys,json; print(json.dumps(yaml.safe_load(open(sys.argv[1])),sort_keys=True))' '$P/spec.yaml')"

for f in spec.yaml phase conditions status.yaml status.json pod.json events; do
        check "$f exists" test -f "$P/$f"
done
check "logs/main exists" test -f "$P/logs/main"
check "logs/side exists" test -f "$P/logs/side"
for f in state reason exit_code restarts ready started pid image; do
        check "containers/main/$f exists" test -f "$P/containers/main/$f"
done

check "ContainersReady True within 10 s" wait_grep "$P/conditions" '^ContainersReady True' 10
for c in PodScheduled Initialized ContainersReady Ready; do
        check "conditions: $c True" grep -q "^$c True" "$P/conditions"
done

# ---- status.json / status.yaml / pod.json
is "$(jq -r .phase "$P/status.json")" Running "status.json .phase"
is "$(jq -r '.containerStatuses | length' "$P/status.json")" 2 "status.json has 2 containerStatuses"
is "$(jq -r '.containerStatuses[] | select(.name=="main") | .ready' "$P/status.json")" true "main is ready"
check "main has state.running.startedAt" bash -c "jq -e '.containerStatuses[] | select(.name==\"main\") | .state.running.startedAt' '$P/status.json' >/dev/null"
check "status.json has startTime" bash -c "jq -e .startTime '$P/status.json' >/dev/null"
check "status.yaml equals status.json" yaml_is_json "$P/status.yaml" "$P/status.json"
UID_=$(pod_uid default web)
is "$(jq -r .kind "$P/pod.json")" Pod "pod.json kind"
is "$(jq -r .apiVersion "$P/pod.json")" v1 "pod.json apiVersion"
is "$(jq -r .metadata.name "$P/pod.json")" web "pod.json metadata.name"
is "$(jq -r .metadata.namespace "$P/pod.json")" default "pod.json metadata.namespace"
is "$(jq -r .metadata.uid "$P/pod.json")" "$UID_" "pod.json metadata.uid is the state dir's"
is "$(jq -r .metadata.labels.app "$P/pod.json")" web "pod.json keeps labels"
check "pod.json creationTimestamp is RFC 3339" bash -c "jq -r .metadata.creationTimestamp '$P/pod.json' | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'"
is "$(jq -r .metadata.deletionTimestamp "$P/pod.json")" null "no deletionTimestamp while running"
is "$(jq -r .spec.restartPolicy "$P/pod.json")" Always "spec defaults: restartPolicy Always"
is "$(jq -r .spec.dnsPolicy "$P/pod.json")" ClusterFirst "spec defaults: dnsPolicy ClusterFirst"
is "$(jq -r .spec.containers[0].terminationMessagePath "$P/pod.json")" /dev/termination-log "spec defaults: terminationMessagePath"
check "spec defaults: imagePullPolicy" bash -c "jq -r .spec.containers[0].imagePullPolicy '$P/pod.json' | grep -qxE 'Always|IfNotPresent|Never'"
is "$(jq -r .status.phase "$P/pod.json")" Running "pod.json .status.phase"

# ---- events
check "events: Scheduled/Pulled/Created/Started" bash -c "grep -q Created '$P/events' && grep -q Started '$P/events'"

# ---- containers/<c>/*
is "$(ctr default web main state)" running "containers/main/state"
is "$(ctr default web main ready)" true "containers/main/ready"
is "$(ctr default web main started)" true "containers/main/started"
is "$(ctr default web main restarts)" 0 "containers/main/restarts"
is "$(ctr default web main image)" busybox "containers/main/image"
is "$(ctr default web main exit_code)" "" "containers/main/exit_code empty while running"
pid=$(ctr default web main pid)
check "containers/main/pid is a live process" test -n "$pid" -a -d "/proc/$pid"
check "that process runs on the image's root filesystem" bash -c "[ ! /proc/$pid/root/. -ef / ] && cmp -s /proc/$pid/root/etc/podfs-image '$STATE/images/busybox/etc/podfs-image' && [ \$(stat -L -c %i /proc/$pid/root/bin/busybox) = \$(stat -c %i '$STATE/images/busybox/bin/busybox') ]"

# ---- sizes and readers agree
for f in spec.yaml phase conditions status.yaml status.json pod.json events containers/main/state containers/main/pid containers/main/image; do
        check "stat size = read size: $f" size_matches "$P/$f"
done
check "head -c agrees with cat" bash -c "[ \"\$(head -c 20 '$P/pod.json')\" = \"\$(cat '$P/pod.json' | head -c 20)\" ]"
check "dd bs=7 agrees with cat" bash -c "cmp -s <(dd if='$P/status.json' bs=7 status=none) <(cat '$P/status.json')"

# ---- logs
check "logs/main has the first line" wait_grep "$P/logs/main" '^started$' 10
check "logs are plain lines (no CRI prefix)" bash -c "! grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T.* (stdout|stderr) [FP] ' '$P/logs/main'"
check "stderr is in the log too" wait_grep "$P/logs/side" '^side-car$' 10
check "the CRI log file exists on disk" test -f "$STATE/logs/default_web_${UID_}/main/0.log"
check "the CRI log has the kubelet format" bash -c "grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z stdout F started$' '$STATE'/logs/default_web_${UID_}/main/0.log"
timeout 3 tail -n 0 -f "$P/logs/main" >"$W/tail.out" 2>&1
n=$(grep -c '^tick' "$W/tail.out")
if [ "$n" -ge 4 ]; then ok "tail -f follows the log ($n new lines in 3 s)"; else fail "tail -f saw $n new lines in 3 s (want >= 4)"; fi
prev=0
bad=0
while read -r word num; do
        [ "$word" = tick ] || continue
        if [ "$prev" -ne 0 ] && [ "$num" -ne $((prev + 1)) ]; then bad=1; fi
        prev=$num
done <"$W/tail.out"
is "$bad" 0 "tail -f lines are consecutive"
check "poll() on a log reports new data" /usr/bin/python3 -c '
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
while os.read(fd, 65536):
    pass
p = select.poll()
p.register(fd, select.POLLIN)
t0, empty = time.monotonic(), 0
while time.monotonic() - t0 < 3:
    if p.poll(3000):
        if os.read(fd, 65536):
            # a poll that does not block at EOF would wake (and read nothing) constantly
            sys.exit(0 if empty < 20 else 1)
        empty += 1
sys.exit(1)' "$P/logs/main"
check "logs/main.previous absent before a restart" test ! -e "$P/logs/main.previous"

# ---- listing
check "namespace lists the pod" bash -c "ls '$MNT/default' | grep -qx web"
check "pod dir lists its files" bash -c "ls '$P' | grep -qx status.json && ls '$P' | grep -qx containers && ls '$P/containers' | grep -qx side"

# ---- a second namespace with a pod
mkdir "$MNT/team-b"
pod_yaml pb Always "trap 'exit 0' TERM; while true; do sleep 60 & wait \$!; done" 2 >"$W/pb.yaml"
check "cp into another namespace" cp "$W/pb.yaml" "$MNT/team-b/"
check "pod in team-b Running" wait_for "$MNT/team-b/pb/phase" Running 20
is "$(jq -r .metadata.namespace "$MNT/team-b/pb/pod.json")" team-b "namespace taken from the directory"
check "the applied file is not listed" bash -c "! ls -A '$MNT/team-b' | grep -q 'pb.yaml'"
check "the applied file does not stay" wait_gone "$MNT/team-b/pb.yaml" 3
is "$(fsop rmdir "$MNT/team-b")" ENOTEMPTY "rmdir of a namespace with a pod: ENOTEMPTY"
rmdir "$MNT/team-b/pb"
check "pod in team-b gone after delete" wait_gone "$MNT/team-b/pb" 20
check "now the namespace can be removed" rmdir "$MNT/team-b"

finish
