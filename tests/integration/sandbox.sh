#!/bin/bash
# podfs-sandbox on its own, without the daemon: a hand-made state dir (meta +
# spec.yaml), then status.json transitions, CRI logs, restarts and back-off,
# image pull errors, deletion with a grace period, sandbox restart (resume),
# and no process of the pod left behind.
. "$(dirname "$0")/lib.sh"

require_root
require_cmd jq inotifywait
[ -x "$PODFS_SANDBOX_BIN" ] || die "podfs-sandbox not built ($PODFS_SANDBOX_BIN)"

W=$(mktemp -d /tmp/podfs-test.XXXXXX) || die "mktemp"
chmod 0755 "$W"
STATE=$W/state
mkdir -p "$STATE/images" "$STATE/pods" "$STATE/namespaces/default"
cni_lo_conf
trap podfs_cleanup EXIT
trap 'exit 130' INT TERM
cp -a "$(busybox_image)" "$STATE/images/busybox" || die "busybox image"
if [ "${PODFS_SANITIZE:-}" = 1 ]; then
        export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
        export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
fi

# ---- helpers -------------------------------------------------------------------

ts() { date -u +%Y-%m-%dT%H:%M:%SZ; }

# new_pod NAME < spec: a pod dir with meta + spec.yaml; prints the uid.
new_pod() {
        local name=$1 uid
        uid=$(cat /proc/sys/kernel/random/uuid)
        mkdir -p "$STATE/pods/$uid"
        printf 'uid=%s\nnamespace=default\nname=%s\ncreationTimestamp=%s\n' "$uid" "$name" "$(ts)" \
                >"$STATE/pods/$uid/meta"
        cat >"$STATE/pods/$uid/spec.yaml"
        ln -s "../../pods/$uid" "$STATE/namespaces/default/$name"
        echo "$uid"
}

# start UID: run the sandbox as the daemon does; returns its exit status.
start() {
        "$PODFS_SANDBOX_BIN" --state-dir "$STATE" --uid "$1" --cni-conf-dir "$CNI_LO_DIR" </dev/null >>"$STATE/pods/$1/sandbox.log" 2>&1
}

# delete UID GRACE: what the daemon does on rmdir (new meta, atomic rename,
# then SIGHUP to the sandbox that holds the pod's lock).
delete() {
        local m=$STATE/pods/$1/meta pid
        { grep -v '^deletion' "$m"; printf 'deletionTimestamp=%s\ndeletionGracePeriodSeconds=%s\n' "$(ts)" "$2"; } >"$m.tmp"
        mv "$m.tmp" "$m"
        pid=$(sed -n 's/^pid=//p' "$STATE/pods/$1/sandbox" 2>/dev/null)
        [ -z "$pid" ] || kill -HUP "$pid" 2>/dev/null || true
}

st() { jq -r "$2" "$STATE/pods/$1/status.json" 2>/dev/null; }
_st_is() { [ "$(st "$1" "$2")" = "$3" ]; }
# wait_st UID JQ WANT [SECONDS]: until jq JQ of status.json prints WANT.
wait_st() {
        wait_until "${4:-20}" "$STATE/pods/$1" _st_is "$1" "$2" "$3" && return 0
        log "wait_st: $2 is '$(st "$1" "$2")', want '$3'"
        return 1
}
wait_finished() { wait_until "${2:-20}" "$STATE/pods/$1" test -e "$STATE/pods/$1/finished"; }
sandbox_pid() { sed -n 's/^pid=//p' "$STATE/pods/$1/sandbox" 2>/dev/null; }
# The sandbox holds an OFD lock on its lock file for its whole life (/proc/locks lists it).
sandbox_gone() {
        local ino
        ino=$(stat -c %i "$STATE/pods/$1/lock" 2>/dev/null) || return 0
        ! grep -q "OFDLCK.*:$ino " /proc/locks
}
logf() { echo "$STATE/logs/default_$2_$1/$3/$4.log"; }

# pod_left UID: processes of the pod (cgroup/cmdline naming it, or rooted in an image).
pod_left() {
        local u=$1 p i
        local -a argv lines
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
                mapfile -d "" argv 2>/dev/null <"/proc/$p/cmdline" || continue
                mapfile -t lines 2>/dev/null <"/proc/$p/cgroup" || continue
                case "${argv[*]} ${lines[*]}" in *"$u"*) echo "$p"; continue ;; esac
                for i in "$STATE"/images/*/; do
                        if [ "/proc/$p/root/." -ef "$i." ]; then echo "$p"; continue 2; fi
                done
        done
}
no_pod_left() { [ -z "$(pod_left "$1")" ]; }

spec() { # NAME POLICY GRACE then containers as "name|image|json-command" args
        local name=$1 policy=$2 grace=$3 c n img cmd
        shift 3
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  restartPolicy: %s\n' "$name" "$policy"
        printf '  terminationGracePeriodSeconds: %s\n  containers:\n' "$grace"
        for c in "$@"; do
                IFS='|' read -r n img cmd <<<"$c"
                printf '  - name: %s\n    image: %s\n    command: %s\n' "$n" "$img" "$cmd"
        done
}
sh_cmd() { jq -cn --arg s "$1" '["sh","-c",$s]'; }

# ---- 1. a pod that runs to completion: status, CRI logs, events -------------------

uid=$(spec hello Never 30 "app|busybox|$(sh_cmd 'echo hello; echo oops >&2; printf partial')" | new_pod hello)
t0=$(now_ms)
start "$uid"; rc=$?
is "$rc" 0 "sandbox start returns 0"
check "sandbox returns at once ($(( $(now_ms) - t0 )) ms)" [ $(( $(now_ms) - t0 )) -lt 3000 ]
check "a run-to-completion pod finishes" wait_finished "$uid"
is "$(st "$uid" .phase)" Succeeded "phase Succeeded"
is "$(st "$uid" '.containerStatuses[0].state.terminated.reason')" Completed "terminated reason Completed"
is "$(st "$uid" '.containerStatuses[0].state.terminated.exitCode')" 0 "exitCode 0"
is "$(st "$uid" '.containerStatuses[0].ready')" false "not ready once terminated"
is "$(st "$uid" '.containerStatuses[0].restartCount')" 0 "restartCount 0"
f=$(logf "$uid" hello app 0)
check "log file in <ns>_<pod>_<uid>/<ctr>/0.log" test -f "$f"
check "stdout line as F record" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z stdout F hello$' "$f"
check "stderr line as F record" grep -qE 'Z stderr F oops$' "$f"
check "unterminated last line as P record" grep -qE 'Z stdout P partial$' "$f"
ev=$STATE/pods/$uid/events
check "event Pulled" grep -qP '\tNormal\tPulled\tspec.containers\{app\}\tkubelet\tContainer image "busybox" already present on machine and can be accessed by the pod$' "$ev"
check "event Created" grep -qP '\tCreated\t.*\tCreated container: app$' "$ev"
check "event Started" grep -qP '\tStarted\t.*\tStarted container app$' "$ev"
check "sandbox gone after finishing" retry_until 5 sandbox_gone "$uid"
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

# the writable layer lives for one run: "volatile" (never synced below, so the
# container's end waits for no sync of the state dir's filesystem)
uid=$(spec layer Never 30 "app|busybox|$(sh_cmd "awk '\$5 == \"/\"' /proc/self/mountinfo")" | new_pod layer)
start "$uid"
check "layer: finishes" wait_finished "$uid"
check "the writable layer is an overlay mounted volatile" grep -qE ' / rw[^ ]* .*- overlay overlay .*(,volatile|fsync=volatile)' "$(logf "$uid" layer app 0)"

# ---- 2. a long line is split into P records -----------------------------------------

uid=$(spec long Never 30 "app|busybox|$(sh_cmd 'head -c 40000 /dev/zero | tr "\\0" x; echo')" | new_pod long)
start "$uid"
check "long-line pod finishes" wait_finished "$uid"
f=$(logf "$uid" long app 0)
is "$(grep -c ' stdout P ' "$f")" 2 "40000-byte line: two P records"
is "$(grep -c ' stdout F ' "$f")" 1 "... and one F record"
is "$(awk '{ n += length($4) } END { print n }' "$f")" 40000 "... carrying every byte"

# ---- 3. restarts and back-off (Always) ---------------------------------------------

uid=$(spec crash Always 30 "app|busybox|$(sh_cmd 'echo run; exit 3')" | new_pod crash)
start "$uid"
check "first restart at once (restartCount 1)" wait_st "$uid" '.containerStatuses[0].restartCount' 1 10
check "then CrashLoopBackOff" wait_st "$uid" '.containerStatuses[0].state.waiting.reason' CrashLoopBackOff 10
is "$(st "$uid" '.containerStatuses[0].state.waiting.message')" \
        "back-off 10s restarting failed container=app pod=crash_default($uid)" "kubelet's back-off message"
is "$(st "$uid" '.containerStatuses[0].lastState.terminated.reason')" Error "lastState terminated Error"
is "$(st "$uid" '.containerStatuses[0].lastState.terminated.exitCode')" 3 "lastState exitCode 3"
is "$(st "$uid" .phase)" Running "phase stays Running (restartPolicy Always)"
check "one log file per run (0.log, 1.log)" test -f "$(logf "$uid" crash app 0)" -a -f "$(logf "$uid" crash app 1)"
check "BackOff event" grep -qP "\tWarning\tBackOff\tspec.containers\{app\}\tkubelet\tBack-off restarting failed container app in pod crash_default\($uid\)$" "$STATE/pods/$uid/events"
t0=$(now_ms)
check "restarted after the 10 s back-off (restartCount 2)" wait_st "$uid" '.containerStatuses[0].restartCount' 2 15
dt=$(( $(now_ms) - t0 ))
check "back-off lasted about 10 s (${dt} ms after we looked)" [ "$dt" -ge 7000 ]
check "next back-off is 20s" wait_st "$uid" '.containerStatuses[0].state.waiting.message' \
        "back-off 20s restarting failed container=app pod=crash_default($uid)" 5
delete "$uid" 30
check "deleting during back-off finishes at once" wait_finished "$uid" 5
is "$(st "$uid" .phase)" Failed "deleted crashing pod: phase Failed"
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

uid=$(spec predeleted Always 30 'app|busybox|["sleep","1000"]' | new_pod predeleted)
delete "$uid" 30
start "$uid"
check "a pod deleted before its sandbox started finishes at once" wait_finished "$uid" 5
check "... without starting anything" [ -z "$(grep -P '\tStarted\t' "$STATE/pods/$uid/events" 2>/dev/null)" ]

# ---- 4. OnFailure / exec failure / Never failure ------------------------------------

uid=$(spec onf OnFailure 30 "app|busybox|$(sh_cmd 'exit 0')" | new_pod onf)
start "$uid"
check "OnFailure + exit 0 finishes" wait_finished "$uid"
is "$(st "$uid" .phase)" Succeeded "OnFailure + exit 0: Succeeded"

uid=$(spec noexec Never 30 'app|busybox|["/no/such/binary"]' | new_pod noexec)
start "$uid"
check "exec failure finishes (Never)" wait_finished "$uid"
is "$(st "$uid" '.containerStatuses[0].state.terminated.reason')" StartError "exec failure: StartError"
is "$(st "$uid" '.containerStatuses[0].state.terminated.exitCode')" 128 "exec failure: exitCode 128"
check "exec failure: message says why" [ -n "$(st "$uid" '.containerStatuses[0].state.terminated.message // empty')" ]
is "$(st "$uid" .phase)" Failed "exec failure: Failed"
check "Failed event" grep -qP '\tWarning\tFailed\tspec.containers\{app\}\tkubelet\tError: ' "$STATE/pods/$uid/events"

# no command, and an image without one: containerd cannot make the container's
# spec, so nothing runs: CreateContainerError (retried), not a StartError
uid=$(printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: nocmd\nspec:\n  restartPolicy: Never\n  containers:\n  - name: app\n    image: busybox\n' \
        | new_pod nocmd)
start "$uid"
check "no command: CreateContainerError" wait_st "$uid" '.containerStatuses[0].state.waiting.reason' CreateContainerError
check "... in containerd's words" sh -c "jq -r '.containerStatuses[0].state.waiting.message' '$STATE/pods/$uid/status.json' \
        | grep -qxE 'failed to generate container \"[0-9a-f]{64}\" spec: failed to generate spec: no command specified'"
is "$(st "$uid" '.containerStatuses[0].restartCount')" 0 "no command: restartCount 0 (it never ran)"
check "no command: the Failed event" grep -qP \
        '\tWarning\tFailed\tspec.containers\{app\}\tkubelet\tError: failed to generate container "[0-9a-f]{64}" spec: failed to generate spec: no command specified$' \
        "$STATE/pods/$uid/events"
delete "$uid" 0
check "no command: deleted" wait_finished "$uid"

uid=$(spec fails Never 30 "app|busybox|$(sh_cmd 'exit 7')" "ok|busybox|$(sh_cmd 'exit 0')" | new_pod fails)
start "$uid"
check "Never with a failing container finishes" wait_finished "$uid"
is "$(st "$uid" .phase)" Failed "one container exit 7: Failed"
is "$(st "$uid" '.containerStatuses[] | select(.name=="app") | .state.terminated.exitCode')" 7 "exitCode 7 recorded"

# ---- 4b. terminated.message: terminationMessagePath, FallbackToLogsOnError --------------

uid=$(new_pod msg <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: msg
spec:
  restartPolicy: Never
  containers:
  - name: file
    image: busybox
    command: ["sh", "-c", "printf 'all done' > /dev/termination-log"]
  - name: fallback
    image: busybox
    terminationMessagePolicy: FallbackToLogsOnError
    command: ["sh", "-c", "echo one; echo two; exit 2"]
EOF
)
start "$uid"
check "termination message pod finishes" wait_finished "$uid"
is "$(st "$uid" '.containerStatuses[] | select(.name=="file") | .state.terminated.message')" "all done" \
        "message from terminationMessagePath"
is "$(st "$uid" '.containerStatuses[] | select(.name=="fallback") | .state.terminated.message')" "one
two" "FallbackToLogsOnError: the log's tail"

# ---- 4c. shareProcessNamespace: one pid namespace, a pause process, nothing left --------

uid=$(new_pod shared <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 5
  containers:
  - name: a
    image: busybox
    command: ["sleep", "1000"]
  - name: b
    image: busybox
    command: ["sh", "-c", "sleep 0.5; ps -o pid,args; sleep 1000"]
EOF
)
start "$uid"
check "shared-pid pod Running" wait_st "$uid" .phase Running 10
check "b sees a's sleep (one pid namespace)" wait_grep "$(logf "$uid" shared b 0)" 'stdout F +[0-9]+ sleep 1000' 5
t0=$(now_ms)
delete "$uid" 5
check "shared pid ns: a plain sleep dies of SIGTERM (not pid 1)" wait_finished "$uid" 4
dt=$(( $(now_ms) - t0 ))
check "... before the grace (${dt} ms)" [ "$dt" -lt 4000 ]
is "$(st "$uid" '.containerStatuses[] | select(.name=="a") | .state.terminated.exitCode')" 143 "a: exitCode 143"
check "no process of the pod left (pause included)" retry_until 5 no_pod_left "$uid"

# ---- 4d. init containers: in order, each to completion; a failure stops the pod ----------

uid=$(new_pod init <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: init
spec:
  restartPolicy: Never
  initContainers:
  - name: first
    image: busybox
    command: ["sh", "-c", "sleep 0.3; echo one > /work/order"]
    volumeMounts: [{name: w, mountPath: /work}]
  - name: second
    image: busybox
    command: ["sh", "-c", "echo two >> /work/order"]
    volumeMounts: [{name: w, mountPath: /work}]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "cat /work/order"]
    volumeMounts: [{name: w, mountPath: /work}]
  volumes:
  - name: w
    emptyDir: {}
EOF
)
start "$uid"
check "while the first init container runs: app waits PodInitializing" \
        wait_st "$uid" '.containerStatuses[0].state.waiting.reason' PodInitializing 2
check "init pod finishes" wait_finished "$uid"
is "$(st "$uid" .phase)" Succeeded "init pod: Succeeded"
is "$(st "$uid" '[.initContainerStatuses[] | .state.terminated.reason] | join(",")')" "Completed,Completed" \
        "both init containers Completed"
is "$(st "$uid" '[.initContainerStatuses[] | .ready] | all')" true "completed init containers are ready"
check "app ran after both, in order" grep -qz 'stdout F one.*stdout F two' "$(logf "$uid" init app 0)"
check "events name spec.initContainers{first}" grep -qP '\tStarted\tspec.initContainers\{first\}\t' "$STATE/pods/$uid/events"

uid=$(new_pod initfail <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: initfail
spec:
  restartPolicy: Never
  initContainers:
  - name: bad
    image: busybox
    command: ["sh", "-c", "exit 4"]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "echo should not run"]
EOF
)
start "$uid"
check "failed init container (Never) finishes the pod" wait_finished "$uid"
is "$(st "$uid" .phase)" Failed "failed init: Failed"
is "$(st "$uid" '.initContainerStatuses[0].state.terminated.exitCode')" 4 "init exitCode 4"
is "$(st "$uid" '.containerStatuses[0].state.waiting.reason')" PodInitializing "app never ran (PodInitializing)"
check "no app log" [ ! -e "$(logf "$uid" initfail app 0)" ]

uid=$(new_pod initretry <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: initretry
spec:
  initContainers:
  - name: flaky
    image: busybox
    command: ["sh", "-c", "if [ -e /w/x ]; then exit 0; fi; touch /w/x; exit 1"]
    volumeMounts: [{name: w, mountPath: /w}]
  containers:
  - name: app
    image: busybox
    command: ["sleep", "1000"]
  volumes:
  - name: w
    emptyDir: {}
EOF
)
start "$uid"
check "failed init container restarted (Always), then the app runs" wait_st "$uid" .phase Running 10
is "$(st "$uid" '.initContainerStatuses[0].restartCount')" 1 "init restartCount 1"
delete "$uid" 0
check "deleted" wait_finished "$uid" 5
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

# ---- 4e. activeDeadlineSeconds: the pod fails, its containers stop -------------------

uid=$(spec deadline Always 1 'app|busybox|["sleep","1000"]' | sed 's/^spec:$/spec:\n  activeDeadlineSeconds: 1/' | new_pod deadline)
start "$uid"
check "deadline pod finishes after deadline + grace" wait_finished "$uid" 6
is "$(st "$uid" '[.phase, .reason] | join(" ")')" "Failed DeadlineExceeded" "phase Failed, reason DeadlineExceeded"
check "DeadlineExceeded event" grep -qP '\tNormal\tDeadlineExceeded\tpod/deadline\tkubelet\tPod was active on the node longer than the specified deadline$' "$STATE/pods/$uid/events"
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

# ---- 4f. probes and hooks -----------------------------------------------------------

uid=$(new_pod probes <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: probes
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "trap 'echo got TERM; exit 0' TERM; sleep 1000 & wait"]
    readinessProbe:
      exec: {command: ["test", "-e", "/tmp/ready"]}
      periodSeconds: 1
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "sleep 1; touch /tmp/ready"]}
      preStop:
        exec: {command: ["sh", "-c", "echo prestop > /proc/1/fd/1"]}
  - name: live
    image: busybox
    command: ["sleep", "1000"]
    livenessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
      failureThreshold: 2
      terminationGracePeriodSeconds: 1
EOF
)
start "$uid"
check "probes pod: live running" wait_st "$uid" '.containerStatuses[1].state.running != null' true 10
is "$(st "$uid" '.containerStatuses[0].state.waiting.reason')" ContainerCreating \
        "postStart still running (1 s): app not running yet, as kubelet shows it"
is "$(st "$uid" '.containerStatuses[] | select(.name=="app") | .ready')" false "app not ready during postStart"
check "postStart made the readiness probe pass: ready" \
        wait_st "$uid" '.containerStatuses[] | select(.name=="app") | .ready' true 6
check "liveness failures restart the container" \
        wait_st "$uid" '.containerStatuses[] | select(.name=="live") | .restartCount' 1 10
check "Unhealthy event with kubelet's message" grep -qP '\tWarning\tUnhealthy\tspec.containers\{live\}\tkubelet\tLiveness probe failed: dial tcp 127.0.0.1:8080: connect: connection refused$' "$STATE/pods/$uid/events"
check "Killing event for the liveness failure" grep -qP '\tKilling\t.*\tContainer live failed liveness probe, will be restarted$' "$STATE/pods/$uid/events"
delete "$uid" 5
check "probes pod deleted" wait_finished "$uid" 10
check "preStop ran before SIGTERM" grep -qz 'stdout F prestop.*stdout F got TERM' "$(logf "$uid" probes app 0)"
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

# ---- 5. missing image: ErrImagePull, ImagePullBackOff, then it appears ----------------

uid=$(spec noimg Always 30 "app|later|$(sh_cmd 'sleep 1000')" | new_pod noimg)
start "$uid"
check "missing image: ErrImagePull" wait_st "$uid" '.containerStatuses[0].state.waiting.reason' ErrImagePull 5
is "$(st "$uid" .phase)" Pending "missing image: Pending"
check "then ImagePullBackOff" wait_st "$uid" '.containerStatuses[0].state.waiting.reason' ImagePullBackOff 5
pull_err=$(grep -oP '\tWarning\tFailed\tspec.containers\{app\}\tkubelet\tFailed to pull image "later": \K.+' \
        "$STATE/pods/$uid/events" | head -n 1)
is "$(st "$uid" '.containerStatuses[0].state.waiting.message')" "Back-off pulling image \"later\": ErrImagePull: $pull_err" \
        "ImagePullBackOff message: the last pull's error after the back-off's words"
check "BackOff event: the back-off's words alone" \
        grep -qP '\tNormal\tBackOff\tspec.containers\{app\}\tkubelet\tBack-off pulling image "later"$' "$STATE/pods/$uid/events"
ln -s busybox "$STATE/images/later"
check "the image appearing makes it start" wait_st "$uid" '.containerStatuses[0].state.running != null' true 20
is "$(st "$uid" .phase)" Running "phase Running"
is "$(st "$uid" '.containerStatuses[0].restartCount')" 0 "pull retries are no restarts"
delete "$uid" 0
check "grace 0: finished at once" wait_finished "$uid" 5
is "$(st "$uid" '.containerStatuses[0].state.terminated.exitCode')" 137 "grace 0: SIGKILL (137)"
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

# ---- 6. a second sandbox for the same pod; deletion with a grace period ------------

trap_cmd='trap "echo got TERM; exit 0" TERM; echo ready; sleep 1000 & wait'
uid=$(spec term Always 30 "trapper|busybox|$(sh_cmd "$trap_cmd")" 'sleeper|busybox|["sleep","1000"]' | new_pod term)
start "$uid"
check "pod with two containers Running" wait_st "$uid" .phase Running 10
check "both containers ready" wait_st "$uid" '[.containerStatuses[].ready] | all' true 10
check "sandbox file lists container pids" wait_until 5 "$STATE/pods/$uid" grep -q '^ctr.sleeper=[0-9]' "$STATE/pods/$uid/sandbox"
spid=$(sandbox_pid "$uid")
out=$("$PODFS_SANDBOX_BIN" --state-dir "$STATE" --uid "$uid" 2>&1 </dev/null); rc=$?
is "$rc" 0 "a second sandbox for the same pod exits 0"
check "... saying the pod's sandbox is already running" grep -q "already running" <<<"$out"
is "$(sandbox_pid "$uid")" "$spid" "... and leaves the running one alone"
wait_grep "$(logf "$uid" term trapper 0)" 'stdout F ready' 5 >/dev/null
t0=$(now_ms)
delete "$uid" 3
check "TERM-trapping container exits early" wait_st "$uid" \
        '.containerStatuses[] | select(.name=="trapper") | .state.terminated.exitCode' 0 3
check "Killing events" grep -qP '\tNormal\tKilling\tspec.containers\{sleeper\}\tkubelet\tStopping container sleeper$' "$STATE/pods/$uid/events"
check "pod finishes after the grace" wait_finished "$uid" 10
dt=$(( $(now_ms) - t0 ))
check "TERM-ignoring container killed at the grace (${dt} ms)" [ "$dt" -ge 2500 ] && [ "$dt" -lt 6000 ]
is "$(st "$uid" '.containerStatuses[] | select(.name=="sleeper") | .state.terminated.exitCode')" 137 "sleeper: exitCode 137"
is "$(st "$uid" '.containerStatuses[] | select(.name=="sleeper") | .state.terminated.reason')" Error "sleeper: reason Error"
is "$(st "$uid" .phase)" Failed "terminated pod with a 137: Failed"
is "$(st "$uid" '.containerStatuses[] | select(.name=="trapper") | .restartCount')" 0 "no restart during termination"
check "trapper's TERM handler output logged" grep -q 'stdout F got TERM' "$(logf "$uid" term trapper 0)"
check "sandbox gone" retry_until 5 sandbox_gone "$uid"
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

# ---- 7. a shorter grace arriving later shortens the deadline -------------------------

uid=$(spec shorten Always 30 'app|busybox|["sleep","1000"]' | new_pod shorten)
start "$uid"
check "pod Running" wait_st "$uid" .phase Running 10
delete "$uid" 60
sleep 0.5
check "still terminating after 0.5 s" [ ! -e "$STATE/pods/$uid/finished" ]
t0=$(now_ms)
delete "$uid" 1
check "shortened grace ends the pod" wait_finished "$uid" 5
dt=$(( $(now_ms) - t0 ))
check "within about a second (${dt} ms)" [ "$dt" -lt 3000 ]
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

# ---- 8. sandbox stopped by SIGTERM, then resumed; killed, cleaned up, resumed ---------

uid=$(spec resume Always 2 "app|busybox|$(sh_cmd 'echo up; sleep 1000')" | new_pod resume)
start "$uid"
check "pod Running" wait_st "$uid" .phase Running 10
spid=$(sandbox_pid "$uid")
kill -TERM "$spid"
check "SIGTERM: the sandbox stops within the pod's grace" retry_until 6 sandbox_gone "$uid"
check "... without writing finished" [ ! -e "$STATE/pods/$uid/finished" ]
check "no process of the pod left" retry_until 5 no_pod_left "$uid"
start "$uid"
check "resumed: running again" wait_st "$uid" '.containerStatuses[0].state.running != null' true 10
is "$(st "$uid" '.containerStatuses[0].restartCount')" 1 "resumed: restartCount continues (1)"
is "$(st "$uid" '.containerStatuses[0].lastState.terminated.exitCode')" 137 "resumed: lastState = the run that was stopped"
check "resumed run logs into 1.log" wait_grep "$(logf "$uid" resume app 1)" 'stdout F up' 5
spid=$(sandbox_pid "$uid")
kill -KILL "$spid"
check "sandbox killed: its containers die with it" retry_until 5 no_pod_left "$uid"
"$PODFS_SANDBOX_BIN" --state-dir "$STATE" --uid "$uid" --cleanup >>"$STATE/pods/$uid/sandbox.log" 2>&1
is "$?" 0 "--cleanup exits 0"
start "$uid"
check "resumed after a crash: running again" wait_st "$uid" '.containerStatuses[0].state.running != null' true 10
is "$(st "$uid" '.containerStatuses[0].restartCount')" 2 "restartCount 2"
is "$(st "$uid" '.containerStatuses[0].lastState.terminated.reason')" Unknown "lastState reason Unknown"
is "$(st "$uid" '.containerStatuses[0].lastState.terminated.exitCode')" 255 "lastState exitCode 255"
delete "$uid" 0
check "deleted" wait_finished "$uid" 5
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

# ---- 9. an idle pod costs ~0 CPU ----------------------------------------------------

uid=$(spec idle Always 30 'app|busybox|["sleep","1000"]' | new_pod idle)
start "$uid"
check "idle pod Running" wait_st "$uid" .phase Running 10
spid=$(sandbox_pid "$uid")
c0=$(awk '{ print $14 + $15 }' "/proc/$spid/stat")
sleep 2
c1=$(awk '{ print $14 + $15 }' "/proc/$spid/stat")
check "idle sandbox used no CPU over 2 s ($((c1 - c0)) ticks)" [ $((c1 - c0)) -le 1 ]
delete "$uid" 0
check "deleted" wait_finished "$uid" 5
check "no process of the pod left" retry_until 5 no_pod_left "$uid"

finish
