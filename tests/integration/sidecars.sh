#!/bin/bash
# Native sidecars (KEP-753): initContainers with restartPolicy Always start in
# order (the next init container once the sidecar is started: its startup
# probe passed), run beside the app containers, are restarted whatever the
# pod's restartPolicy, do not keep a Job-like pod from Succeeded, and stop
# after the app containers in reverse order (order read from what the
# containers themselves wrote, and their logs' timestamps).
# timeout: 200
. "$(dirname "$0")/lib.sh"
podfs_setup
require_cmd jq

SH=$W/shared
mkdir -p "$SH"
st() { jq -r "$2" "$MNT/default/$1/status.json" 2>/dev/null; }
# a sidecar that says when it starts and when SIGTERM stops it
side() { # NAME ORDERFILE
        echo "[\"sh\", \"-c\", \"trap 'echo stop $1 >> /sh/$2; echo $1 stopping; exit 0' TERM; echo start $1 >> /sh/$2; echo $1 up; while :; do sleep 0.1; done\"]"
}

# ---- 1. a Job-like pod: order of start, Succeeded, reverse stop order -------
cat <<EOF | apply_pod default job || fail "create job"
apiVersion: v1
kind: Pod
metadata:
  name: job
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 20
  volumes:
  - {name: sh, hostPath: {path: $SH}}
  initContainers:
  - name: s1
    image: busybox
    restartPolicy: Always
    command: $(side s1 job)
    volumeMounts: [{name: sh, mountPath: /sh}]
  - name: i1
    image: busybox
    command: ["sh", "-c", "echo init i1 >> /sh/job"]
    volumeMounts: [{name: sh, mountPath: /sh}]
  - name: s2
    image: busybox
    restartPolicy: Always
    command: $(side s2 job)
    volumeMounts: [{name: sh, mountPath: /sh}]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo app >> /sh/job; until [ -f /sh/job-go ]; do sleep 0.1; done; echo app done >> /sh/job"]
    volumeMounts: [{name: sh, mountPath: /sh}]
EOF
P=$MNT/default/job
check "job: Running with the sidecars" wait_for "$P/phase" Running 30
check "job: the app ran" wait_grep "$SH/job" '^app$' 20
is "$(tr '\n' ,  < "$SH/job")" "start s1,init i1,start s2,app," "job: start order s1, i1, s2, app"
is "$(st job '[.initContainerStatuses[] | "\(.name):\(.started):\(.state | keys[0])"] | join(",")')" \
        "s1:true:running,i1:false:terminated,s2:true:running" "job: initContainerStatuses started and states"
check "job: Initialized True" grep -q '^Initialized True' "$P/conditions"
is "$(st job '.initContainerStatuses[0].ready')" true "job: a sidecar without readiness probe is ready"
check "job: Ready True (sidecars count)" grep -q '^Ready True' "$P/conditions"
touch "$SH/job-go"
check "job: Succeeded once the app is done (sidecars stopped)" wait_for "$P/phase" Succeeded 30
is "$(tr '\n' , < "$SH/job")" "start s1,init i1,start s2,app,app done,stop s2,stop s1," \
        "job: the sidecars stop after the app, in reverse order"
is "$(st job '[.initContainerStatuses[] | .state.terminated.reason] | join(",")')" "Completed,Completed,Completed" \
        "job: every init container terminated"
is "$(st job '[.initContainerStatuses[].restartCount] | join(",")')" "0,0,0" "job: no restart"
is "$(st job '.containerStatuses[0].state.terminated.exitCode')" 0 "job: app exit code 0"
check "job: Killing events for the sidecars" grep -q 'Stopping container s2' "$P/events"
check "job: finished" retry_until 20 [ -e "$STATE/pods/$(pod_uid default job)/finished" ]
# the CRI logs' own timestamps: s1 up before s2 up, s2 stopping before s1 stopping
L=$STATE/logs/default_job_$(pod_uid default job)
cri_ns() { local t; t=$(grep -m1 " $2\$" "$L/$1/0.log" | cut -d' ' -f1); [ -n "$t" ] && date -d "$t" +%s%N; }
up1=$(cri_ns s1 "s1 up") up2=$(cri_ns s2 "s2 up") st1=$(cri_ns s1 "s1 stopping") st2=$(cri_ns s2 "s2 stopping")
log "CRI timestamps: s1 up $up1, s2 up $up2, s2 stopping $st2, s1 stopping $st1"
check "job: CRI log timestamps, s1 started before s2" [ -n "$up1" ] && [ -n "$up2" ] && [ "$up1" -lt "$up2" ]
check "job: CRI log timestamps, s2 stopped before s1" [ -n "$st1" ] && [ -n "$st2" ] && [ "$st2" -lt "$st1" ]
# the statuses say the same: finishedAt of app <= s2 <= s1
fa=$(st job '.containerStatuses[0].state.terminated.finishedAt')
f2=$(st job '.initContainerStatuses[2].state.terminated.finishedAt')
f1=$(st job '.initContainerStatuses[0].state.terminated.finishedAt')
check "job: finishedAt app <= s2 <= s1 ($fa $f2 $f1)" eval '[[ ! "$f2" < "$fa" && ! "$f1" < "$f2" ]]'

# ---- 2. a sidecar is restarted even with restartPolicy Never, even after exit 0 ----
cat <<EOF | apply_pod default crashside || fail "create crashside"
apiVersion: v1
kind: Pod
metadata:
  name: crashside
spec:
  restartPolicy: Never
  volumes:
  - {name: sh, hostPath: {path: $SH}}
  initContainers:
  - name: side
    image: busybox
    restartPolicy: Always
    command: ["sh", "-c", "echo run >> /sh/crashside; sleep 1; [ \$(grep -c run /sh/crashside) = 1 ] && exit 0; exit 3"]
    volumeMounts: [{name: sh, mountPath: /sh}]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "until [ \$(grep -c run /sh/crashside) -ge 2 ]; do sleep 0.1; done"]
    volumeMounts: [{name: sh, mountPath: /sh}]
EOF
P=$MNT/default/crashside
check "crashside: the sidecar restarted (restartPolicy Never)" wait_for "$P/containers/side/restarts" 1 30
check "crashside: Succeeded once the app is done" wait_for "$P/phase" Succeeded 40
is "$(st crashside '.initContainerStatuses[0].lastState.terminated.exitCode')" 0 \
        "crashside: restarted after exiting 0 (lastState exit code 0)"
is "$(st crashside '.containerStatuses[0].restartCount')" 0 "crashside: the app did not restart"

# ---- 3. a startup probe holds the next container back; deletion order --------
cat <<EOF | apply_pod default probed || fail "create probed"
apiVersion: v1
kind: Pod
metadata:
  name: probed
spec:
  terminationGracePeriodSeconds: 20
  volumes:
  - {name: sh, hostPath: {path: $SH}}
  initContainers:
  - name: side
    image: busybox
    restartPolicy: Always
    command: $(side side probed)
    volumeMounts: [{name: sh, mountPath: /sh}]
    startupProbe: {exec: {command: ["test", "-f", "/sh/probed-go"]}, periodSeconds: 1}
    readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'echo stop app >> /sh/probed; exit 0' TERM; echo start app >> /sh/probed; while :; do sleep 0.1; done"]
    volumeMounts: [{name: sh, mountPath: /sh}]
EOF
P=$MNT/default/probed
check "probed: the sidecar runs" wait_grep "$SH/probed" '^start side$' 30
check "probed: Initialized False until the startup probe passes" \
        wait_grep "$P/conditions" '^Initialized False ContainersNotInitialized' 10
is "$(st probed '.conditions[] | select(.type=="Initialized") | .message')" \
        "containers with incomplete status: [side]" "probed: message names the sidecar"
is "$(st probed '.initContainerStatuses[0].started')" false "probed: started false"
is "$(st probed '.containerStatuses[0].state.waiting.reason')" PodInitializing "probed: app waits PodInitializing"
is "$(cat "$P/phase")" Pending "probed: Pending"
touch "$SH/probed-go"
check "probed: the app starts once the probe passed" wait_grep "$SH/probed" '^start app$' 20
check "probed: Running" wait_for "$P/phase" Running 10
check "probed: Ready" wait_grep "$P/conditions" '^Ready True' 10
is "$(st probed '.initContainerStatuses[0].started')" true "probed: started true"
rmdir "$P" || fail "probed: rmdir"
check "probed: gone" wait_gone "$P" 40
is "$(tr '\n' , < "$SH/probed")" "start side,start app,stop app,stop side," "probed: deletion stops the app, then the sidecar"

finish
