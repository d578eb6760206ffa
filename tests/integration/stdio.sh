#!/bin/bash
# A container's stdio and stop signal (issue 12, "Containers"): tty: true (a
# terminal of the container's own devpts, the CRI log stdout-only), stdin: true
# through containers/<c>/stdin (stdinOnce, errnos, a writer that is never read
# does not stall the mount, the stdin survives a kill -9 of the daemon), and
# lifecycle.stopSignal / the image's StopSignal at termination.
# timeout: 240
. "$(dirname "$0")/lib.sh"
podfs_setup
require_cmd jq python3 setpriv

SH=$W/shared
mkdir -p "$SH"
st() { jq -r "$2" "$MNT/default/$1/status.json" 2>/dev/null; }
cri_log() { cat "$STATE/logs/default_$1_$(pod_uid default "$1")/$2/0.log" 2>/dev/null; }

# ---- tty: true ------------------------------------------------------------------
cat <<'EOF' | apply_pod default term || fail "create term"
apiVersion: v1
kind: Pod
metadata:
  name: term
spec:
  containers:
  - name: main
    image: busybox
    tty: true
    command: ["sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; echo to-stderr >&2; stat -c 'pts %g %a' $(tty); echo done; sleep 1000"]
EOF
P=$MNT/default/term
check "tty: Running" wait_for "$P/phase" Running 20
check "tty: done" wait_grep "$P/logs/main" '^done$' 10
check "tty: the terminal is /dev/pts/0 of the container's devpts" grep -qx '/dev/pts/0' "$P/logs/main"
check "tty: stdin, stdout and stderr are the terminal" grep -qx 'all-ttys' "$P/logs/main"
check "tty: group tty (5), mode 620, as runc mounts devpts" grep -qx 'pts 5 620' "$P/logs/main"
check "tty: stderr goes to the terminal too" grep -qx 'to-stderr' "$P/logs/main"
PID=$(ctr default term main pid)
is "$(readlink "/proc/$PID/fd/0")" /dev/pts/0 "tty: /proc/PID/fd/0 of the container"
is "$(readlink "/proc/$PID/fd/2")" /dev/pts/0 "tty: /proc/PID/fd/2 of the container"
is "$(python3 -c 'import fcntl, os, struct, sys, termios
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NOCTTY)
print("%d %d" % struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, bytes(8)))[:2])' "/proc/$PID/fd/0")" "0 0" \
        "tty: no window size given (0 0, as runc leaves it without a console size)"
check "tty: the CRI log has only stdout records" \
        sh -c "[ -n \"\$1\" ] && ! printf '%s\n' \"\$1\" | grep -qv '^[0-9TZ:.-]* stdout F '" _ "$(cri_log term main)"
check "tty: the terminal's \\r\\n ends lines as containerd's logger ends them" \
        sh -c "! printf '%s' \"\$1\" | grep -q \$'\\r'" _ "$(cri_log term main)"
check "tty: no stdin file without stdin: true" test ! -e "$P/containers/main/stdin"
is "$(echo x | fsop write "$P/containers/main/stdin")" EPERM "tty: a write to a stdin that is not there: EPERM (nothing is created)"

# ---- terminationMessagePath, FallbackToLogsOnError (a terminal's log too), workingDir ----
cat <<'EOF' | apply_pod default msgs || fail "create msgs"
apiVersion: v1
kind: Pod
metadata:
  name: msgs
spec:
  restartPolicy: Never
  containers:
  - name: file
    image: busybox
    workingDir: /made/here
    terminationMessagePath: /tmp/custom-msg
    command: ["sh", "-c", "pwd; printf \"done in $(pwd)\" > /tmp/custom-msg"]
  - name: ttyfail
    image: busybox
    tty: true
    terminationMessagePolicy: FallbackToLogsOnError
    command: ["sh", "-c", "echo one; echo two; exit 2"]
EOF
check "msgs: Failed (one container exited 2)" wait_for "$MNT/default/msgs/phase" Failed 20
check "msgs: workingDir made when the image lacks it" grep -qx /made/here "$MNT/default/msgs/logs/file"
is "$(st msgs '.containerStatuses[] | select(.name=="file") | .state.terminated.message')" "done in /made/here" \
        "msgs: the message from a terminationMessagePath of its own"
is "$(st msgs '.containerStatuses[] | select(.name=="ttyfail") | .state.terminated.message')" "one
two" "msgs: FallbackToLogsOnError takes a terminal's log (no \\r)"
rmdir "$MNT/default/msgs"

# ---- stdin: true ----------------------------------------------------------------
cat <<'EOF' | apply_pod default reader || fail "create reader"
apiVersion: v1
kind: Pod
metadata:
  name: reader
spec:
  containers:
  - name: main
    image: busybox
    stdin: true
    command: ["sh", "-c", "while read l; do echo got $l; done; echo eof"]
EOF
P=$MNT/default/reader
check "stdin: Running" wait_for "$P/phase" Running 20
is "$(stat -c '%A %U' "$P/containers/main/stdin")" "--w------- root" "stdin: write-only, the pod owner's (0200)"
check "stdin: listed in containers/main" sh -c "ls '$P/containers/main' | grep -qx stdin"
echo hello >"$P/containers/main/stdin" || fail "stdin: echo > stdin"
check "stdin: the container read it" wait_grep "$P/logs/main" '^got hello$' 10
echo again >"$P/containers/main/stdin" || fail "stdin: a second writer"
check "stdin: stays open across writers (no stdinOnce)" wait_grep "$P/logs/main" '^got again$' 10
check "stdin: no EOF yet" sh -c "! grep -qx eof '$P/logs/main'"
is "$(echo x | fsop append "$P/containers/main/state")" EACCES "stdin: the rendered files stay read-only"
RPID=$(ctr default reader main pid)

# ---- stdinOnce ------------------------------------------------------------------
cat <<'EOF' | apply_pod default once || fail "create once"
apiVersion: v1
kind: Pod
metadata:
  name: once
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    stdin: true
    stdinOnce: true
    command: ["sh", "-c", "read l; echo got $l; cat; echo eof"]
EOF
P=$MNT/default/once
check "stdinOnce: Running" wait_for "$P/phase" Running 20
printf 'first\nrest\n' >"$P/containers/main/stdin" || fail "stdinOnce: write"
check "stdinOnce: EOF once the first writer closed, the pod completes" wait_for "$P/phase" Succeeded 20
check "stdinOnce: what was written arrived before the EOF" \
        sh -c "[ \"\$(cat '$P/logs/main' | tr '\n' ' ')\" = 'got first rest eof ' ]"
is "$(st once '.containerStatuses[0].state.terminated.exitCode')" 0 "stdinOnce: exit code 0"
is "$(echo x | fsop append "$P/containers/main/stdin")" ENXIO "stdinOnce: not running: ENXIO"

# ---- tty + stdin: the terminal's input ------------------------------------------
cat <<'EOF' | apply_pod default ttyin || fail "create ttyin"
apiVersion: v1
kind: Pod
metadata:
  name: ttyin
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    tty: true
    stdin: true
    stdinOnce: true
    command: ["sh", "-c", "read l; echo got $l; cat >/dev/null; echo eof"]
EOF
P=$MNT/default/ttyin
check "tty+stdin: Running" wait_for "$P/phase" Running 20
echo typed >"$P/containers/main/stdin" || fail "tty+stdin: write"
check "tty+stdin: read through the terminal" wait_grep "$P/logs/main" '^got typed$' 10
check "tty+stdin: stdinOnce ends the input with the terminal's EOF" wait_for "$P/phase" Succeeded 20

# ---- a writer that is never read does not stall the mount -----------------------
cat <<'EOF' | apply_pod default deaf || fail "create deaf"
apiVersion: v1
kind: Pod
metadata:
  name: deaf
spec:
  containers:
  - name: main
    image: busybox
    stdin: true
    command: ["sleep", "1000"]
EOF
P=$MNT/default/deaf
check "deaf: Running" wait_for "$P/phase" Running 20
t0=$(now_ms)
r=$(/usr/bin/python3 - "$P/containers/main/stdin" <<'PY'
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
try:
    for i in range(256):
        os.write(fd, b"x" * 65536)
    print("OK")
except OSError as e:
    print(errno.errorcode[e.errno])
PY
)
is "$r" EAGAIN "deaf: an O_NONBLOCK writer that is not read gets EAGAIN (a nonblocking pipe's answer)"
check "deaf: ... at once, not after a wait" [ $(($(now_ms) - t0)) -lt 5000 ]
# a blocking writer waits as a pipe's does, while the mount serves others, and a signal ends the wait
head -c 16M /dev/zero >"$W/16M"
timeout -s INT 3 /usr/bin/python3 -c "$FSOP_PY" write "$P/containers/main/stdin" <"$W/16M" >"$W/blocked.out" &
blocked=$!
t0=$(now_ms)
for i in $(seq 1 20); do cat "$MNT/default/reader/phase" >/dev/null || fail "deaf: another pod's phase"; done
check "deaf: other requests are served while a writer waits" [ $(($(now_ms) - t0)) -lt 2500 ]
check "deaf: the blocked writer is still waiting" kill -0 "$blocked"
wait "$blocked"
check "deaf: SIGINT ends the blocked write (no unkillable writer)" [ $(($(now_ms) - t0)) -lt 8000 ]
rm -f "$W/16M"
# a nonblocking writer of its own: a loop retrying while other users use the mount
python3 - "$P/containers/main/stdin" <<'PY' &
import errno, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
end = time.time() + 5
while time.time() < end:
    try:
        os.write(fd, b"x" * 65536)
    except OSError as e:
        if e.errno != errno.EAGAIN:
            raise
PY
hammer=$!
t0=$(now_ms)
for i in $(seq 1 20); do cat "$MNT/default/reader/phase" >/dev/null || fail "deaf: another pod's phase"; done
check "deaf: other requests are served while a writer hammers" [ $(($(now_ms) - t0)) -lt 3000 ]
is "$(cat "$MNT/default/reader/phase")" Running "deaf: another pod's phase reads"
wait "$hammer"
is "$?" 0 "deaf: the hammering writer ends by itself (no blocked request)"
# its connection hung up while the sandbox held a full buffer: no busy loop on the hang-up
DSB=$(sed -n 's/^pid=//p' "$STATE/pods/$(pod_uid default deaf)/sandbox")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
deaf_t0=$(cpu_ticks "$DSB")
deaf_ms0=$(now_ms)

# ---- a big file piped in by a plain writer is taken whole (the writer waits for room)
cat <<'EOF' | apply_pod default sink || fail "create sink"
apiVersion: v1
kind: Pod
metadata:
  name: sink
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox, stdin: true, stdinOnce: true, command: [sh, -c, 'echo "bytes $(wc -c)"']}
EOF
check "sink: Running" wait_for "$MNT/default/sink/phase" Running 20
head -c 2M /dev/urandom >"$W/2M"
check "sink: cat of 2 MiB into stdin succeeds" timeout 30 sh -c "cat '$W/2M' >'$MNT/default/sink/containers/main/stdin'"
check "sink: the container read all of it" wait_grep "$MNT/default/sink/logs/main" '^bytes 2097152$' 20
rm -f "$W/2M"

# ---- who may write: the pod's owner (and root) ------------------------------------
as_user() {
        local u=$1
        shift
        (cd / && setpriv --reuid="$u" --regid="$u" --clear-groups -- /bin/sh -c 'exec "$@"' sh "$@")
}
mkdir "$MNT/shared" && chmod 1777 "$MNT/shared" || fail "a sticky namespace"
cat <<'EOF' >"$W/mine.yaml"
apiVersion: v1
kind: Pod
metadata:
  name: mine
spec:
  containers:
  - {name: main, image: busybox, stdin: true, command: [sh, -c, 'while read l; do echo "got $l"; done']}
EOF
is "$(as_user 4242 /usr/bin/python3 -c "$FSOP_PY" write "$MNT/shared/mine.yaml" <"$W/mine.yaml")" OK \
        "owner: user 4242 creates a pod with stdin"
P=$MNT/shared/mine
check "owner: Running" wait_for "$P/phase" Running 20
is "$(stat -c '%a %u' "$P/containers/main/stdin")" "200 4242" "owner: stdin is the owner's, 0200"
is "$(echo mine | as_user 4242 /usr/bin/python3 -c "$FSOP_PY" append "$P/containers/main/stdin")" OK \
        "owner: the owner writes it"
check "owner: ... and the container reads it" wait_grep "$P/logs/main" '^got mine$' 10
is "$(echo theirs | as_user 65534 /usr/bin/python3 -c "$FSOP_PY" append "$P/containers/main/stdin")" EACCES \
        "owner: another user may not (EACCES)"
# one user holds at most 32 open stdin files: the 33rd open fails (EMFILE), root's still work
out=$(as_user 4242 /usr/bin/python3 -c '
import errno, os, sys
fds = []
try:
    for i in range(40):
        fds.append(os.open(sys.argv[1], os.O_WRONLY))
except OSError as e:
    print(len(fds), errno.errorcode[e.errno])
' "$P/containers/main/stdin" 2>&1)
is "$out" "32 EMFILE" "owner: a user's 33rd open stdin file fails (EMFILE)"
is "$(echo root | /usr/bin/python3 -c "$FSOP_PY" append "$P/containers/main/stdin")" OK \
        "owner: root's open still works while a user holds its share"
rmdir "$P"

# ---- the stdin survives a kill -9 of the daemon ---------------------------------
podfs_kill9
podfs_start
P=$MNT/default/reader
is "$(ctr default reader main pid)" "$RPID" "restart: the same reader process"
echo after-restart >"$P/containers/main/stdin" || fail "restart: write"
check "restart: its stdin is still open" wait_grep "$P/logs/main" '^got after-restart$' 10
check "restart: no EOF was seen" sh -c "! grep -qx eof '$P/logs/main'"

# ---- stopSignal -----------------------------------------------------------------
cat <<EOF | apply_pod default stopper || fail "create stopper"
apiVersion: v1
kind: Pod
metadata:
  name: stopper
spec:
  os: {name: linux}
  terminationGracePeriodSeconds: 20
  volumes: [{name: sh, hostPath: {path: $SH}}]
  containers:
  - name: main
    image: busybox
    lifecycle:
      stopSignal: SIGUSR1
    volumeMounts: [{name: sh, mountPath: /sh}]
    command: ["sh", "-c", "trap 'echo got USR1 > /sh/stopper; exit 0' USR1; trap 'echo got TERM > /sh/stopper; exit 0' TERM; echo ready; while :; do sleep 0.1; done"]
EOF
P=$MNT/default/stopper
check "stopSignal: Running" wait_for "$P/phase" Running 20
check "stopSignal: trap set" wait_grep "$P/logs/main" '^ready$' 10
is "$(st stopper '.containerStatuses[0].stopSignal')" SIGUSR1 "stopSignal: containerStatuses[].stopSignal"
is "$(jq -r '.spec.containers[0].lifecycle.stopSignal + " " + .spec.os.name' "$P/pod.json")" "SIGUSR1 linux" \
        "stopSignal: pod.json shows it and spec.os"
t0=$(now_ms)
rmdir "$P" || fail "stopSignal: rmdir"
check "stopSignal: the pod goes" wait_gone "$P" 20
is "$(cat "$SH/stopper" 2>/dev/null)" "got USR1" "stopSignal: SIGUSR1 delivered at deletion, not SIGTERM"
check "stopSignal: the handler ended it well before the grace" [ $(($(now_ms) - t0)) -lt 15000 ]

# the image's StopSignal, without a stopSignal in the spec (containerd honours it)
mkdir -p "$W/usr2img"
oci_image "$W/usr2img" "$STATE/images/busybox" '{"StopSignal": "SIGUSR2", "Cmd": ["sh"]}' || fail "oci image"
ln -s "$W/usr2img" "$STATE/images/usr2"
cat <<EOF | apply_pod default imgstop || fail "create imgstop"
apiVersion: v1
kind: Pod
metadata:
  name: imgstop
spec:
  terminationGracePeriodSeconds: 20
  volumes: [{name: sh, hostPath: {path: $SH}}]
  containers:
  - name: main
    image: usr2
    imagePullPolicy: Never
    volumeMounts: [{name: sh, mountPath: /sh}]
    command: ["sh", "-c", "trap 'echo got USR2 > /sh/imgstop; exit 0' USR2; trap 'echo got TERM > /sh/imgstop; exit 0' TERM; echo ready; while :; do sleep 0.1; done"]
EOF
P=$MNT/default/imgstop
check "image StopSignal: Running" wait_for "$P/phase" Running 30
check "image StopSignal: trap set" wait_grep "$P/logs/main" '^ready$' 10
is "$(st imgstop '.containerStatuses[0].stopSignal')" null "image StopSignal: no stopSignal in the status without the spec's"
rmdir "$P" || fail "image StopSignal: rmdir"
check "image StopSignal: the pod goes" wait_gone "$P" 20
is "$(cat "$SH/imgstop" 2>/dev/null)" "got USR2" "image StopSignal: SIGUSR2 delivered at deletion"

# without any: SIGTERM, as before
cat <<EOF | apply_pod default termer || fail "create termer"
apiVersion: v1
kind: Pod
metadata:
  name: termer
spec:
  volumes: [{name: sh, hostPath: {path: $SH}}]
  containers:
  - name: main
    image: busybox
    volumeMounts: [{name: sh, mountPath: /sh}]
    command: ["sh", "-c", "trap 'echo got TERM > /sh/termer; exit 0' TERM; echo ready; while :; do sleep 0.1; done"]
EOF
P=$MNT/default/termer
check "default: trap set" wait_grep "$P/logs/main" '^ready$' 20
rmdir "$P" || fail "default: rmdir"
check "default: the pod goes" wait_gone "$P" 20
is "$(cat "$SH/termer" 2>/dev/null)" "got TERM" "default: SIGTERM"

# all the while (seconds), the deaf pod's sandbox held a full buffer and a hung-up connection
deaf_cpu_ms=$((($(cpu_ticks "$DSB") - deaf_t0) * 1000 / $(getconf CLK_TCK)))
deaf_ms=$(($(now_ms) - deaf_ms0))
log "deaf: sandbox CPU ${deaf_cpu_ms} ms in ${deaf_ms} ms"
check "deaf: its sandbox stayed idle (no busy loop on the hang-up)" [ $((deaf_cpu_ms * 4)) -lt $((deaf_ms + 400)) ]

# ---- refusals in the API server's words -----------------------------------------
cat <<'EOF' >"$W/nos.yaml"
apiVersion: v1
kind: Pod
metadata:
  name: nos
spec:
  containers:
  - name: main
    image: busybox
    lifecycle: {stopSignal: SIGUSR1}
EOF
is "$(fsop write "$MNT/default/nos.yaml" <"$W/nos.yaml")" EINVAL "stopSignal without spec.os.name: EINVAL"
check "... with the API server's message" grep -q 'spec.containers\[0\].lifecycle.stopSignal: Forbidden: may not be set for containers with empty `spec.os.name`' \
        "$MNT/default/.last-error"

# spec.os.name windows is valid for the API server; this node's kubelet refuses it
cat <<'EOF' | apply_pod default win || fail "create win"
apiVersion: v1
kind: Pod
metadata:
  name: win
spec:
  os: {name: windows}
  containers:
  - {name: main, image: busybox, lifecycle: {stopSignal: SIGKILL}}
EOF
check "windows: Failed" wait_for "$MNT/default/win/phase" Failed 20
is "$(st win '.reason + ": " + .message')" \
        "PodOSNotSupported: Pod was rejected: Failed to admit pod as the OS field doesn't match node OS" \
        "windows: the kubelet's rejection"

rmdir "$MNT/default/term" "$MNT/default/reader" "$MNT/default/deaf" "$MNT/default/once" "$MNT/default/ttyin" "$MNT/default/win" 2>/dev/null
finish
