#!/bin/bash
# Pod lifecycle (issue 3): init containers, postStart/preStop hooks (exec, sleep, httpGet),
# liveness/readiness/startup probes (exec, tcpSocket, httpGet) and
# activeDeadlineSeconds, as a Kubernetes user sees them in the tree.
# timeout: 240
. "$(dirname "$0")/lib.sh"
podfs_setup
require_cmd jq

SH=$W/shared           # a hostPath the test and the pods share
mkdir -p "$SH"
st() { jq -r "$2" "$MNT/default/$1/status.json" 2>/dev/null; }
ms_since() { echo $(($(now_ms) - $1)); }
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# ---- init containers ------------------------------------------------------------
cat <<EOF | apply_pod default init || fail "create init"
apiVersion: v1
kind: Pod
metadata:
  name: init
spec:
  restartPolicy: Never
  volumes:
  - {name: work, emptyDir: {}}
  - {name: shared, hostPath: {path: $SH}}
  initContainers:
  - name: first
    image: busybox
    command: ["sh", "-c", "echo first >> /work/order; echo init says hi; until [ -f /shared/init-go ]; do sleep 0.1; done"]
    volumeMounts: [{name: work, mountPath: /work}, {name: shared, mountPath: /shared}]
  - name: second
    image: busybox
    command: ["sh", "-c", "echo second >> /work/order"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "cat /work/order; sleep 1000"]
    volumeMounts: [{name: work, mountPath: /work}]
EOF
P=$MNT/default/init
check "init: Initialized False while the first runs" \
        wait_grep "$P/conditions" '^Initialized False ContainersNotInitialized' 20
is "$(st init '.conditions[] | select(.type=="Initialized") | .message')" \
        "containers with incomplete status: [first second]" "init: message lists both"
is "$(cat "$P/phase")" Pending "init: phase Pending"
is "$(st init '.containerStatuses[0].state.waiting.reason')" PodInitializing "init: app waits PodInitializing"
# the transition, seen by a watcher
inotifywait -t 20 -e modify "$P/conditions" >/dev/null 2>"$W/inotify.err" &
watcher=$!
retry_until 5 grep -q "Watches established" "$W/inotify.err"
touch "$SH/init-go"
check "init: inotify reports the conditions change" wait $watcher
check "init: Initialized True after both" wait_grep "$P/conditions" '^Initialized True' 20
check "init: then Running" wait_for "$P/phase" Running 20
is "$(st init '[.initContainerStatuses[].state.terminated.reason] | join(",")')" "Completed,Completed" \
        "init: both Completed"
check "init: containers/ lists init containers" [ -d "$P/containers/first" ] && [ -d "$P/containers/second" ]
is "$(ctr default init first reason)" Completed "init: containers/first/reason Completed"
check "init: logs/first (kubectl logs -c first)" grep -qx 'init says hi' "$P/logs/first"
check "init: in order, sharing the emptyDir" wait_until 10 "$P/logs/app" \
        sh -c "[ \"\$(cat '$P/logs/app' | tr '\n' ' ')\" = 'first second ' ]"

cat <<EOF | apply_pod default initfail || fail "create initfail"
apiVersion: v1
kind: Pod
metadata:
  name: initfail
spec:
  restartPolicy: Never
  initContainers:
  - {name: bad, image: busybox, command: ["sh", "-c", "exit 3"]}
  containers:
  - {name: app, image: busybox, command: ["true"]}
EOF
check "initfail: Failed" wait_for "$MNT/default/initfail/phase" Failed 20
is "$(st initfail '.initContainerStatuses[0].state.terminated.exitCode')" 3 "initfail: exit code 3"
is "$(st initfail '.containerStatuses[0].state.waiting.reason')" PodInitializing "initfail: app never started"

# ---- postStart ------------------------------------------------------------------
cat <<'EOF' | apply_pod default poststart || fail "create poststart"
apiVersion: v1
kind: Pod
metadata:
  name: poststart
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "until [ -f /tmp/hook ]; do sleep 0.1; done; cat /tmp/hook; sleep 1000"]
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "sleep 1; echo from-hook > /tmp/hook"]}
EOF
t0=$(now_ms)
check "postStart: Running once the hook is done" wait_for "$MNT/default/poststart/phase" Running 20
d=$(ms_since "$t0")
check "postStart: not Running before the hook finished (${d} ms)" [ "$d" -ge 900 ]
check "postStart: ran inside the container" wait_grep "$MNT/default/poststart/logs/main" '^from-hook$' 10

cat <<'EOF' | apply_pod default postfail || fail "create postfail"
apiVersion: v1
kind: Pod
metadata:
  name: postfail
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "echo nope; exit 7"]}
EOF
E=$MNT/default/postfail/events
check "postStart failure: FailedPostStartHook event" wait_grep "$E" 'FailedPostStartHook.*Exec lifecycle hook \(\[sh -c echo nope; exit 7\]\) for Container "main" in Pod "postfail_default\(.*\)" failed - error: command .sh -c echo nope; exit 7. exited with 7' 20
check "postStart failure: Killing FailedPostStartHook" wait_grep "$E" 'Killing.*FailedPostStartHook' 10
check "postStart failure: the container is killed (Never: Failed)" wait_for "$MNT/default/postfail/phase" Failed 20

# ---- preStop ----------------------------------------------------------------------
cat <<EOF | apply_pod default prestop || fail "create prestop"
apiVersion: v1
kind: Pod
metadata:
  name: prestop
spec:
  terminationGracePeriodSeconds: 10
  volumes:
  - {name: shared, hostPath: {path: $SH}}
  - {name: scratch, emptyDir: {}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'echo TERM at \$(date +%s) >> /shared/prestop; exit 0' TERM; while true; do sleep 0.1; done"]
    volumeMounts: [{name: shared, mountPath: /shared}, {name: scratch, mountPath: /scratch}]
    lifecycle:
      preStop:
        exec: {command: ["sh", "-c", "echo bye > /scratch/marker; echo preStop at \$(date +%s) >> /shared/prestop; sleep 3"]}
EOF
check "preStop pod Running" wait_for "$MNT/default/prestop/phase" Running 20
uid=$(pod_uid default prestop)
t0=$(now_ms)
rmdir "$MNT/default/prestop" || fail "rmdir prestop"
check "preStop wrote its marker into the emptyDir (seen while terminating)" \
        wait_grep "$STATE/pods/$uid/volumes/scratch/marker" '^bye$' 5
check "terminating: pod.json has deletionTimestamp" grep -q deletionTimestamp "$MNT/default/prestop/pod.json"
check "preStop pod gone" wait_gone "$MNT/default/prestop" 20
d=$(ms_since "$t0")
check "preStop wrote its marker" grep -q '^preStop at' "$SH/prestop"
check "SIGTERM came after preStop" grep -q '^TERM at' "$SH/prestop"
check "preStop's 3 s taken from the grace of 10 s, then SIGTERM (${d} ms)" between "$d" 2800 8000
a=$(sed -n 's/^preStop at //p' "$SH/prestop"); b=$(sed -n 's/^TERM at //p' "$SH/prestop")
check "SIGTERM about 3 s after preStop began (${a} -> ${b})" between $((b - a)) 2 5

cat <<'EOF' | apply_pod default prestopcut || fail "create prestopcut"
apiVersion: v1
kind: Pod
metadata:
  name: prestopcut
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    lifecycle:
      preStop:
        exec: {command: ["sleep", "60"]}
EOF
check "prestopcut Running" wait_for "$MNT/default/prestopcut/phase" Running 20
t0=$(now_ms)
rmdir "$MNT/default/prestopcut" || fail "rmdir prestopcut"
check "prestopcut gone" wait_gone "$MNT/default/prestopcut" 20
d=$(ms_since "$t0")
check "a preStop longer than the grace is cut: grace 2 s + 2 s for SIGTERM (${d} ms)" between "$d" 3500 7000

cat <<'EOF' | apply_pod default prestopsleep || fail "create prestopsleep"
apiVersion: v1
kind: Pod
metadata:
  name: prestopsleep
spec:
  terminationGracePeriodSeconds: 10
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    lifecycle:
      preStop:
        sleep: {seconds: 2}
EOF
check "prestopsleep Running" wait_for "$MNT/default/prestopsleep/phase" Running 20
t0=$(now_ms)
rmdir "$MNT/default/prestopsleep" || fail "rmdir prestopsleep"
check "prestopsleep gone" wait_gone "$MNT/default/prestopsleep" 20
d=$(ms_since "$t0")
check "a sleep preStop (done by the runtime) delays SIGTERM by 2 s (${d} ms)" between "$d" 1800 6000

cat <<EOF | apply_pod default prestophttp || fail "create prestophttp"
apiVersion: v1
kind: Pod
metadata:
  name: prestophttp
spec:
  terminationGracePeriodSeconds: 5
  volumes:
  - {name: shared, hostPath: {path: $SH}}
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www/cgi-bin && printf '#!/bin/sh\\necho \"\$REQUEST_METHOD \$HTTP_USER_AGENT \$HTTP_X_WHY\" > /shared/httpstop\\necho Content-Type: text/plain\\necho\\necho ok\\n' > /www/cgi-bin/stop && chmod +x /www/cgi-bin/stop && exec httpd -f -p 8080 -h /www"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    lifecycle:
      preStop:
        httpGet: {path: /cgi-bin/stop, port: 8080, httpHeaders: [{name: X-Why, value: bye}]}
EOF
check "prestophttp Running" wait_for "$MNT/default/prestophttp/phase" Running 20
rmdir "$MNT/default/prestophttp" || fail "rmdir prestophttp"
check "prestophttp gone" wait_gone "$MNT/default/prestophttp" 20
is "$(cat "$SH/httpstop" 2>/dev/null)" "GET kube-lifecycle/1.34 bye" "an httpGet preStop reached the pod (method, User-Agent, httpHeaders)"

# ---- probes -------------------------------------------------------------------------
cat <<'EOF' | apply_pod default live || fail "create live"
apiVersion: v1
kind: Pod
metadata:
  name: live
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 1000"]
    livenessProbe:
      exec: {command: ["cat", "/tmp/healthy"]}
      periodSeconds: 1
      failureThreshold: 2
EOF
L=$MNT/default/live
check "liveness: restarted once the probe fails" wait_for "$L/containers/main/restarts" 1 30
check "liveness: Unhealthy event" grep -q "Unhealthy.*Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory" "$L/events"
check "liveness: Killing event" grep -q 'Killing.*Container main failed liveness probe, will be restarted' "$L/events"
is "$(st live '.containerStatuses[0].lastState.terminated.reason')" Error "liveness: lastState terminated Error"

cat <<'EOF' | apply_pod default slowprobe || fail "create slowprobe"
apiVersion: v1
kind: Pod
metadata:
  name: slowprobe
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    livenessProbe:
      exec: {command: ["sleep", "30"]}
      periodSeconds: 1
      timeoutSeconds: 1
      failureThreshold: 2
EOF
t0=$(now_ms)
check "a slow exec probe is cut at timeoutSeconds: event" \
        wait_grep "$MNT/default/slowprobe/events" 'Liveness probe failed: command "sleep 30" timed out' 10
check "slow probe: two timeouts restart the container" wait_for "$MNT/default/slowprobe/containers/main/restarts" 1 15
d=$(ms_since "$t0")
check "slow probe: restarted within ~2 periods + grace, not 30 s (${d} ms)" [ "$d" -lt 9000 ]

cat <<EOF | apply_pod default liveprestop || fail "create liveprestop"
apiVersion: v1
kind: Pod
metadata:
  name: liveprestop
spec:
  terminationGracePeriodSeconds: 5
  volumes:
  - {name: shared, hostPath: {path: $SH}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'echo TERM >> /shared/liveprestop; exit 0' TERM; while true; do sleep 0.1; done"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    livenessProbe:
      exec: {command: ["false"]}
      periodSeconds: 1
      failureThreshold: 1
    lifecycle:
      preStop:
        exec: {command: ["sh", "-c", "echo preStop >> /shared/liveprestop"]}
EOF
check "liveness kill runs preStop, then SIGTERM: restarted" \
        wait_for "$MNT/default/liveprestop/containers/main/restarts" 1 20
check "liveness kill: preStop before SIGTERM" \
        sh -c "[ \"\$(head -n 2 '$SH/liveprestop' | tr '\n' ' ')\" = 'preStop TERM ' ]"
is "$(st liveprestop '.containerStatuses[0].lastState.terminated.exitCode')" 0 \
        "liveness kill: the container ended on SIGTERM (exit 0), no SIGKILL"

cat <<EOF | apply_pod default ready || fail "create ready"
apiVersion: v1
kind: Pod
metadata:
  name: ready
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: shared, hostPath: {path: $SH}}
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    readinessProbe:
      exec: {command: ["test", "-f", "/shared/ready"]}
      periodSeconds: 1
EOF
R=$MNT/default/ready
check "readiness: Running" wait_for "$R/phase" Running 20
check "readiness: not Ready without the file" grep -q '^Ready False ContainersNotReady' "$R/conditions"
is "$(ctr default ready main ready)" false "readiness: container not ready"
touch "$SH/ready"
check "readiness: Ready True" wait_grep "$R/conditions" '^Ready True' 10
check "readiness: ContainersReady True" grep -q '^ContainersReady True' "$R/conditions"
rm -f "$SH/ready"
check "readiness: Ready False again" wait_grep "$R/conditions" '^Ready False ContainersNotReady' 10
check "readiness: Unhealthy event" grep -q 'Unhealthy.*Readiness probe failed' "$R/events"
is "$(ctr default ready main restarts)" 0 "readiness: no restart"

cat <<'EOF' | apply_pod default delayed || fail "create delayed"
apiVersion: v1
kind: Pod
metadata:
  name: delayed
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    readinessProbe:
      exec: {command: ["true"]}
      initialDelaySeconds: 3
      periodSeconds: 1
EOF
check "initialDelaySeconds: Running" wait_for "$MNT/default/delayed/phase" Running 20
t0=$(now_ms)
check "initialDelaySeconds: ready after the delay" wait_for "$MNT/default/delayed/containers/main/ready" true 10
d=$(ms_since "$t0")
check "initialDelaySeconds 3: no probe before (${d} ms after Running)" between "$d" 2500 5000

cat <<EOF | apply_pod default startup || fail "create startup"
apiVersion: v1
kind: Pod
metadata:
  name: startup
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: shared, hostPath: {path: $SH}}
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    volumeMounts: [{name: shared, mountPath: /shared}]
    startupProbe:
      exec: {command: ["test", "-f", "/shared/started"]}
      periodSeconds: 1
      failureThreshold: 60
    livenessProbe:
      exec: {command: ["false"]}
      periodSeconds: 1
      failureThreshold: 1
EOF
S=$MNT/default/startup
check "startup: Running" wait_for "$S/phase" Running 20
is "$(ctr default startup main started)" false "startup: not started before the startup probe succeeds"
if wait_for "$S/containers/main/restarts" 1 4 >/dev/null; then
        fail "startup: liveness ran before the startup probe succeeded"
else
        ok "startup: liveness held back while not started"
fi
touch "$SH/started"
check "startup: started" wait_for "$S/containers/main/started" true 10
check "startup: then liveness restarts it" wait_for "$S/containers/main/restarts" 1 15

cat <<'EOF' | apply_pod default net || fail "create net"
apiVersion: v1
kind: Pod
metadata:
  name: net
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/ok && exec httpd -f -p 8080 -h /www"]
    ports: [{name: http, containerPort: 8080}]
    readinessProbe:
      httpGet: {path: /ok, port: http, httpHeaders: [{name: X-Test, value: "1"}]}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
  - name: other
    image: busybox
    command: ["sleep", "1000"]
    readinessProbe:
      tcpSocket: {port: 8081}
      periodSeconds: 1
    livenessProbe:
      httpGet: {path: /missing, port: 8080}
      periodSeconds: 1
      failureThreshold: 2
EOF
N=$MNT/default/net
check "httpGet readiness (port by name): web ready" wait_for "$N/containers/web/ready" true 20
check "tcpSocket readiness on a closed port: event" \
        wait_grep "$N/events" 'Readiness probe failed: dial tcp 127.0.0.1:8081: connect: connection refused' 10
is "$(ctr default net other ready)" false "tcpSocket readiness: other not ready"
check "httpGet liveness 404: event" wait_grep "$N/events" 'Liveness probe failed: HTTP probe failed with statuscode: 404' 10
check "httpGet liveness 404: restarted" wait_for "$N/containers/other/restarts" 1 15
is "$(ctr default net web restarts)" 0 "tcpSocket liveness on the open port: no restart"

# ---- a probe or hook command that cannot start ----------------------------------------
# containerd's ExecSync fails (no exit status): kubelet reports the probe as errored and
# throws the attempt away, so it never counts toward failureThreshold. `sh -c /no/such`
# starts and exits 127: an ordinary failure.
NOSTART='OCI runtime exec failed: exec failed: unable to start container process: exec: "/no/such": stat /no/such: no such file or directory: unknown'
RPC='rpc error: code = Unknown desc = failed to exec in container: failed to start exec "[0-9a-f]{64}": '
cat <<'EOF' | apply_pod default nostart || fail "create nostart"
apiVersion: v1
kind: Pod
metadata:
  name: nostart
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    livenessProbe:
      exec: {command: ["/no/such"]}
      periodSeconds: 1
      failureThreshold: 2
    readinessProbe:
      exec: {command: ["sh", "-c", "/no/such"]}
      periodSeconds: 1
EOF
NE=$MNT/default/nostart/events
check "exec probe that cannot start: errored event" wait_grep "$NE" \
        "Unhealthy.*Liveness probe errored and resulted in unknown state: $RPC$NOSTART\$" 20
# more errored attempts than failureThreshold (2), each a period apart: waited for, bounded
errored_at_least() { [ "$(grep -c 'Liveness probe errored' "$1" 2>/dev/null)" -ge "$2" ]; }
check "exec probe that cannot start: 4 attempts in a row" wait_until 15 "$NE" errored_at_least "$NE" 4
is "$(ctr default nostart main restarts)" 0 "exec probe that cannot start: never restarts the container"
is "$(st nostart '.containerStatuses[0].restartCount')" 0 "exec probe that cannot start: restartCount 0"
check "exec probe that cannot start: no Killing event" bash -c "! grep -q Killing '$NE'"
check "sh -c /no/such exits 127: an ordinary failure" wait_grep "$NE" \
        'Unhealthy.*Readiness probe failed: sh: /no/such: not found ?$' 10
is "$(ctr default nostart main ready)" false "sh -c /no/such: not ready"

cat <<'EOF' | apply_pod default posterr || fail "create posterr"
apiVersion: v1
kind: Pod
metadata:
  name: posterr
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    lifecycle:
      postStart:
        exec: {command: ["/no/such"]}
EOF
check "postStart that cannot start: FailedPostStartHook in kubelet's words" wait_grep "$MNT/default/posterr/events" \
        "FailedPostStartHook.*Exec lifecycle hook \(\[/no/such\]\) for Container \"main\" in Pod \"posterr_default\(.*\)\" failed - error: $RPC$NOSTART, message: \"\"\$" 20
check "postStart that cannot start: the container is killed (Never: Failed)" \
        wait_for "$MNT/default/posterr/phase" Failed 20

# ---- httpGet probes and redirects ------------------------------------------------------
# kubelet's client follows a redirect on the probe's host (the last response decides) and
# stops at one to another host: a success with a ProbeWarning event carrying its body.
mkdir -p "$SH/www/cgi-bin"
printf '#!/bin/sh\nprintf "HTTP/1.0 302 Found\\r\\nLocation: /missing\\r\\nContent-Length: 0\\r\\n\\r\\n"\n' \
        > "$SH/www/cgi-bin/local"
printf '#!/bin/sh\nprintf "HTTP/1.0 302 Found\\r\\nLocation: http://0.0.0.0/\\r\\nContent-Length: 4\\r\\n\\r\\naway"\n' \
        > "$SH/www/cgi-bin/away"
chmod 755 "$SH/www/cgi-bin/local" "$SH/www/cgi-bin/away"
cat <<EOF | apply_pod default redirect || fail "create redirect"
apiVersion: v1
kind: Pod
metadata:
  name: redirect
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: www, hostPath: {path: $SH/www}}
  containers:
  - name: web
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    volumeMounts: [{name: www, mountPath: /www}]
    readinessProbe:
      httpGet: {path: /cgi-bin/local, port: 8080}
      periodSeconds: 1
  - name: side
    image: busybox
    command: ["sleep", "1000"]
    readinessProbe:
      httpGet: {path: /cgi-bin/away, port: 8080}
      periodSeconds: 1
EOF
RE=$MNT/default/redirect
check "httpGet redirect to another host: ready" wait_for "$RE/containers/side/ready" true 20
check "httpGet redirect to another host: ProbeWarning with the body" wait_grep "$RE/events" \
        'Warning +ProbeWarning +spec.containers\{side\} +Readiness probe warning: Probe terminated redirects, Response body: away$' 10
check "httpGet redirect on the same host: followed to a 404" wait_grep "$RE/events" \
        'Unhealthy +spec.containers\{web\} +Readiness probe failed: HTTP probe failed with statuscode: 404$' 10
is "$(ctr default redirect web ready)" false "httpGet redirect on the same host: not ready"

# ---- activeDeadlineSeconds --------------------------------------------------------------
cat <<'EOF' | apply_pod default deadline || fail "create deadline"
apiVersion: v1
kind: Pod
metadata:
  name: deadline
spec:
  activeDeadlineSeconds: 2
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, command: ["sleep", "1000"]}
EOF
check "activeDeadlineSeconds: Failed" wait_for "$MNT/default/deadline/phase" Failed 20
is "$(st deadline .reason)" DeadlineExceeded "activeDeadlineSeconds: reason"
is "$(st deadline .message)" "Pod was active on the node longer than the specified deadline" \
        "activeDeadlineSeconds: message"
check "activeDeadlineSeconds: event" grep -q 'DeadlineExceeded' "$MNT/default/deadline/events"
check "activeDeadlineSeconds: container stopped" \
        wait_until 10 "$MNT/default/deadline/status.json" sh -c "[ \"\$(jq -r '.containerStatuses[0].state | keys[0]' '$MNT/default/deadline/status.json')\" = terminated ]"

# ---- activeDeadlineSeconds updated in place: set or lowered, never raised or removed -----
dl() { # SPEC-LINE
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: dl\nspec:\n%b  terminationGracePeriodSeconds: 1\n  containers:\n  - {name: main, image: busybox, command: ["sleep", "1000"]}\n' "$1"
}
dl "  activeDeadlineSeconds: 600\n" | apply_pod default dl || fail "create dl"
check "dl: Running" wait_for "$MNT/default/dl/phase" Running 20
DU=$(pod_uid default dl) DP=$(ctr default dl main pid)
is "$(dl "  activeDeadlineSeconds: 700\n" | fsop write "$MNT/default/dl/spec.yaml")" EINVAL "dl: raising the deadline is refused"
check "dl: the API server's words on raising" grep -qF 'Pod "dl" is invalid: spec.activeDeadlineSeconds: Invalid value: 700: must be less than or equal to previous value' \
        "$MNT/default/.last-error"
is "$(dl "" | fsop write "$MNT/default/dl/spec.yaml")" EINVAL "dl: removing the deadline is refused"
check "dl: the API server's words on removing" grep -qF 'Pod "dl" is invalid: spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value' \
        "$MNT/default/.last-error"
is "$(jq -r .spec.activeDeadlineSeconds "$MNT/default/dl/pod.json")" 600 "dl: still 600 after the refusals"
dl "  activeDeadlineSeconds: 2\n" >"$MNT/default/dl/spec.yaml" || fail "dl: lowering the deadline to 2"
is "$(pod_uid default dl)" "$DU" "dl: updated in place (same uid)"
is "$(jq -r .spec.activeDeadlineSeconds "$MNT/default/dl/pod.json")" 2 "dl: pod.json shows 2"
check "dl: Failed once the lowered deadline passed" wait_for "$MNT/default/dl/phase" Failed 20
is "$(st dl .reason)" DeadlineExceeded "dl: reason DeadlineExceeded"
is "$(pod_uid default dl)" "$DU" "dl: the same pod failed"
check "dl: no restart before the deadline" bash -c "! grep -q SandboxChanged '$MNT/default/dl/events' && [ \"\$(jq -r '.containerStatuses[0].restartCount' '$MNT/default/dl/status.json')\" = 0 ]"
is "$(grep -c 'Started.*main' "$MNT/default/dl/events")" 1 "dl: the container started once (pid $DP)"

# ---- quantities compare by value: another spelling is an identical rewrite ----------------
quant() { # CPU MEMORY
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: quant\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: main\n    image: busybox\n    command: ["sleep", "1000"]\n    resources:\n      limits: {cpu: %s, memory: %s}\n' "$1" "$2"
}
quant 1 1Gi | apply_pod default quant || fail "create quant"
check "quant: Running" wait_for "$MNT/default/quant/phase" Running 20
QU=$(pod_uid default quant) QP=$(ctr default quant main pid)
quant 1000m '"1073741824"' >"$MNT/default/quant/spec.yaml" || fail "quant: rewrite with cpu 1000m, memory 1073741824"
check "quant: the rewrite changed nothing" grep -q "pod default/quant unchanged" "$W/podfs.log"
is "$(pod_uid default quant)" "$QU" "quant: the same pod (uid)"
is "$(jq -r .metadata.uid "$MNT/default/quant/pod.json")" "$QU" "quant: pod.json's uid"
is "$(ctr default quant main pid)" "$QP" "quant: the same container process"
quant 1001m 1Gi >"$MNT/default/quant/spec.yaml" || fail "quant: rewrite with cpu 1001m"
check "quant: another value is a resize in place" retry_until 20 bash -c "[ \"\$(jq -r '.containerStatuses[0].resources.limits.cpu' '$MNT/default/quant/status.json' 2>/dev/null)\" = 1001m ]"
is "$(pod_uid default quant)" "$QU" "quant: resized, the same pod (uid)"
is "$(ctr default quant main pid)" "$QP" "quant: resized, the same container process"

finish
