#!/bin/bash
# restartPolicy: Never -> Succeeded / Failed; OnFailure restarts until success;
# Always restarts with back-off (at once, then 10 s, 20 s, ...) and shows
# CrashLoopBackOff; restart counts, exit codes, reasons, logs/<c>.previous.
# timeout: 150
. "$(dirname "$0")/lib.sh"
podfs_setup

# Never, exit 0 -> Succeeded
pod_yaml never-ok Never "echo fine; exit 0" | apply_pod default never-ok || fail "create never-ok"
# Never, exit 3 -> Failed
pod_yaml never-bad Never "echo broken >&2; exit 3" | apply_pod default never-bad || fail "create never-bad"
# OnFailure: fails once (marker in an emptyDir), then succeeds
cat <<'EOF' | apply_pod default onfail || fail "create onfail"
apiVersion: v1
kind: Pod
metadata:
  name: onfail
spec:
  restartPolicy: OnFailure
  volumes:
  - name: scratch
    emptyDir: {}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "if [ -f /scratch/ran ]; then echo second run; exit 0; fi; touch /scratch/ran; echo first run; exit 1"]
    volumeMounts:
    - name: scratch
      mountPath: /scratch
EOF
# Always, exits 1 at once: crash loop
pod_yaml crash Always "echo crash \$(date +%s); exit 1" 1 | apply_pod default crash || fail "create crash"
t_crash=$(now_ms)

check "never-ok: Succeeded" wait_for "$MNT/default/never-ok/phase" Succeeded 20
is "$(ctr default never-ok main state)" terminated "never-ok: state terminated"
is "$(ctr default never-ok main reason)" Completed "never-ok: reason Completed"
is "$(ctr default never-ok main exit_code)" 0 "never-ok: exit_code 0"
is "$(ctr default never-ok main restarts)" 0 "never-ok: no restart"
check "never-ok: log kept after exit" grep -qx fine "$MNT/default/never-ok/logs/main"

check "never-bad: Failed" wait_for "$MNT/default/never-bad/phase" Failed 20
is "$(ctr default never-bad main reason)" Error "never-bad: reason Error"
is "$(ctr default never-bad main exit_code)" 3 "never-bad: exit_code 3"
is "$(ctr default never-bad main restarts)" 0 "never-bad: no restart"
is "$(jq -r '.containerStatuses[0].state.terminated.exitCode' "$MNT/default/never-bad/status.json")" 3 "never-bad: status.json exitCode 3"
check "never-bad: stderr in the log" grep -qx broken "$MNT/default/never-bad/logs/main"

check "onfail: Succeeded after one restart" wait_for "$MNT/default/onfail/phase" Succeeded 30
is "$(ctr default onfail main restarts)" 1 "onfail: restarts 1"
is "$(ctr default onfail main exit_code)" 0 "onfail: last exit code 0"
check "onfail: current log is the second run" grep -qx 'second run' "$MNT/default/onfail/logs/main"
check "onfail: logs/main.previous is the first run" grep -qx 'first run' "$MNT/default/onfail/logs/main.previous"
is "$(jq -r '.containerStatuses[0].lastState.terminated.exitCode' "$MNT/default/onfail/status.json")" 1 "onfail: lastState exit code 1"

# crash loop: first restart at once, the next after ~10 s of back-off
C=$MNT/default/crash
check "crash: first restart comes at once" wait_for "$C/containers/main/restarts" 1 8
t1=$(now_ms)
d=$((t1 - t_crash))
log "crash: restarts=1 after ${d} ms"
check "crash: CrashLoopBackOff while backing off" wait_for "$C/containers/main/reason" CrashLoopBackOff 8
is "$(ctr default crash main state)" waiting "crash: state waiting in back-off"
is "$(cat "$C/phase")" Running "crash: phase stays Running (restartPolicy Always)"
check "crash: conditions say ContainersNotReady" grep -q '^ContainersReady False ContainersNotReady' "$C/conditions"
check "crash: BackOff event" grep -q BackOff "$C/events"
is "$(jq -r '.containerStatuses[0].lastState.terminated.reason' "$C/status.json")" Error "crash: lastState terminated Error"
check "crash: second restart after back-off" wait_for "$C/containers/main/restarts" 2 25
t2=$(now_ms)
d=$((t2 - t1))
if [ "$d" -ge 8500 ] && [ "$d" -le 14000 ]; then ok "crash: back-off before the 2nd restart ${d} ms (~10 s)"; else fail "crash: back-off before the 2nd restart ${d} ms, want ~10000"; fi
check "crash: logs/main.previous holds the previous run" grep -q '^crash [0-9]*$' "$C/logs/main.previous"
check "crash: back in back-off" wait_for "$C/containers/main/reason" CrashLoopBackOff 8
# the next restart comes ~20 s later: not within 15 s
if wait_for "$C/containers/main/restarts" 3 15 >/dev/null; then
        fail "crash: third restart came within 15 s (back-off should double to 20 s)"
else
        ok "crash: back-off doubled (no third restart within 15 s)"
fi

finish
