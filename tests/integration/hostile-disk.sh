#!/bin/bash
# A pod must not fill the node's disk (issue 8, findings 7 and 8):
# - `yes` in a container: its logs rotate (defaults 10Mi x 5 files), the log
#   dir stays bounded while it runs (before: 1.7 GB in 30 s, one file);
# - a container writing past resources.limits.ephemeral-storage, and an
#   emptyDir past its sizeLimit, get the pod evicted as kubelet does it
#   (Failed, reason Evicted, kubelet's message, a Warning Evicted event),
#   also when the data sits 300 directories deep;
# - a pod without limits gets no usage check (no timer in its sandbox);
# - a medium Memory emptyDir's tmpfs is sized to sizeLimit, else the pod's
#   memory limit, else node allocatable memory, never half the host's RAM.
# timeout: 300
. "$(dirname "$0")/lib.sh"
podfs_setup
D=$MNT/default
MI=$((1024 * 1024))

logdir() { echo "$STATE/logs/$1_$2_$(pod_uid "$1" "$2")/$3"; }
# log files (a rotation's new file is a hidden .N.log.new for an instant)
nfiles() { find "$1" -maxdepth 1 -type f -name '[0-9]*' | wc -l; }
has_files() { [ "$(nfiles "$1")" -ge "$2" ]; }
dir_bytes() { du -s -B1 "$1" | cut -f1; }
sandbox_pid() { sed -n 's/^pid=//p' "$STATE/pods/$(pod_uid "$1" "$2")/sandbox"; }
timerfds() { ls -l "/proc/$1/fd" 2>/dev/null | grep -c 'anon_inode:\[timerfd\]'; }
status_field() { jq -r ".$3 // empty" "$D/$2/status.json" 2>/dev/null; }

# ---- yes: logs stay bounded ----------------------------------------------------
run_pod default yes Always 'exec yes' 1 || fail "yes: not running"
L=$(logdir default yes main)
# 5 files = rotated four times and pruning from now on (~40 MiB written)
check "yes: rotated up to max-files (5)" retry_until 90 has_files "$L" 5
max=0
for i in 1 2 3 4 5 6 7 8 9 10; do
        b=$(dir_bytes "$L")
        [ "$b" -gt "$max" ] && max=$b
        n=$(nfiles "$L")
        [ "$n" -le 5 ] || { fail "yes: $n files in its log dir"; break; }
        sleep 0.3
done
log "yes: log dir at most $((max / MI)) MiB over 3 s; files: $(ls "$L" | tr '\n' ' ')"
check "yes: log dir within 5 x 10Mi (+1Mi)" [ "$max" -le $((51 * MI)) ]
check "yes: no file above 10Mi" [ "$(find "$L" -type f -size +10240k | wc -l)" = 0 ]
check "yes: logs/main is the current file only (<= 10Mi)" [ "$(stat -c %s "$D/yes/logs/main")" -le $((10 * MI)) ]
check "yes: logs/main reads y lines" sh -c "head -n 2 '$D/yes/logs/main' | grep -qx y"
check "yes: still Running" [ "$(cat "$D/yes/phase")" = Running ]
# the flood must not starve the sandbox's loop: deletion (grace 1 s) goes through
rmdir "$D/yes"
check "yes: gone within 10 s of rmdir while flooding" wait_gone "$D/yes" 10

# ---- ephemeral-storage: the pod's total ------------------------------------------
cat <<'EOF' | apply_pod default fill || fail "fill: refused: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: fill
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "dd if=/dev/urandom of=/big bs=1M count=12 2>/dev/null; echo written; exec sleep 3600"]
    resources:
      limits: {ephemeral-storage: 10Mi}
EOF
# the same data hidden 300 directories deep is still counted
cat <<'EOF' | apply_pod default deep || fail "deep: refused: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: deep
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "cd /tmp; i=0; while [ $i -lt 300 ]; do mkdir d; cd d; i=$((i+1)); done; dd if=/dev/urandom of=big bs=1M count=12 2>/dev/null; exec sleep 3600"]
    resources:
      limits: {ephemeral-storage: 10Mi}
EOF
check "fill: pod.json shows the limit and the defaulted request" \
        sh -c "jq -ce '.spec.containers[0].resources' '$D/fill/pod.json' | grep -qx '{\"limits\":{\"ephemeral-storage\":\"10Mi\"},\"requests\":{\"ephemeral-storage\":\"10Mi\"}}'"
check "fill: Running" wait_for "$D/fill/phase" Running 20
check "fill: its sandbox checks usage (a timer)" [ "$(timerfds "$(sandbox_pid default fill)")" -ge 1 ]
check "fill: evicted (Failed) within a check period" wait_for "$D/fill/phase" Failed 30
is "$(status_field default fill reason)" Evicted "fill: status.reason"
is "$(status_field default fill message)" \
        "Pod ephemeral local storage usage exceeds the total limit of containers 10Mi. " "fill: status.message"
check "fill: Warning Evicted event" grep -qE "Warning[[:space:]]+Evicted.*total limit of containers 10Mi" \
        "$D/fill/events"
check "fill: the container was killed" wait_for "$D/fill/containers/app/state" terminated 10
check "deep: evicted too" wait_for "$D/deep/phase" Failed 30
is "$(status_field default deep message)" \
        "Pod ephemeral local storage usage exceeds the total limit of containers 10Mi. " "deep: status.message"
check "fill: no DisruptionTarget (kubelet sets none for a local storage eviction)" \
        sh -c "! jq -e '.conditions[] | select(.type == \"DisruptionTarget\")' '$D/fill/status.json' >/dev/null"

# ---- ephemeral-storage: one container over its own limit -------------------------
cat <<'EOF' | apply_pod default two || fail "two: refused: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: small
    image: busybox
    command: ["sh", "-c", "dd if=/dev/urandom of=/big bs=1M count=3 2>/dev/null; exec sleep 3600"]
    resources:
      limits: {ephemeral-storage: 1Mi}
  - name: large
    image: busybox
    command: ["sleep", "3600"]
    resources:
      limits: {ephemeral-storage: 1Gi}
      requests: {ephemeral-storage: 100Mi}
EOF
check "two: evicted" wait_for "$D/two/phase" Failed 30
is "$(status_field default two reason)" Evicted "two: status.reason"
is "$(status_field default two message)" \
        'Container small exceeded its local ephemeral storage limit "1Mi". ' "two: status.message"
check "two: the other container was killed too" wait_for "$D/two/containers/large/state" terminated 10

# ---- emptyDir sizeLimit ---------------------------------------------------------------
cat <<'EOF' | apply_pod default cache || fail "cache: refused: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: cache
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "dd if=/dev/urandom of=/cache/big bs=1M count=12 2>/dev/null; exec sleep 3600"]
    volumeMounts: [{name: cache, mountPath: /cache}]
  volumes:
  - name: cache
    emptyDir: {sizeLimit: 10Mi}
EOF
check "cache: evicted" wait_for "$D/cache/phase" Failed 30
is "$(status_field default cache reason)" Evicted "cache: status.reason"
is "$(status_field default cache message)" \
        'Usage of EmptyDir volume "cache" exceeds the limit "10Mi". ' "cache: status.message"
check "cache: Warning Evicted event" grep -qE 'Warning[[:space:]]+Evicted.*EmptyDir volume "cache"' "$D/cache/events"

# ---- under the limits nothing happens; no limit = no check -------------------------
cat <<'EOF' | apply_pod default modest || fail "modest: refused: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: modest
spec:
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "dd if=/dev/zero of=/cache/f bs=1M count=1 2>/dev/null; echo done; exec sleep 3600"]
    volumeMounts: [{name: cache, mountPath: /cache}]
    resources:
      limits: {ephemeral-storage: 50Mi}
  volumes:
  - name: cache
    emptyDir: {sizeLimit: 20Mi}
EOF
run_pod default idle Always 'exec sleep 3600' 1 || fail "idle: not running"
check "idle: its sandbox has no timer (no limit, no check)" [ "$(timerfds "$(sandbox_pid default idle)")" = 0 ]
check "modest: Running" wait_for "$D/modest/phase" Running 20
check "modest: wrote its file" wait_grep "$D/modest/logs/app" '^done$' 20
# two check periods later it still runs (a bounded wait for what must not happen)
check "modest: not evicted after 2 checks" eval '! wait_for "$D/modest/phase" Failed 21 >/dev/null'

is "$(cat "$D/modest/phase")" Running "modest: still Running"

# ---- medium Memory emptyDirs: bounded tmpfs ---------------------------------------------
mem_pod() {
        local name=$1 limits=$2 size_limit=$3
        cat <<EOF | apply_pod default "$name" || fail "$name: refused: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "grep ' /m ' /proc/mounts; exec sleep 3600"]
    volumeMounts: [{name: m, mountPath: /m}]
    $limits
  - name: side
    image: busybox
    command: ["sleep", "3600"]
    $limits
  volumes:
  - name: m
    emptyDir: {medium: Memory$size_limit}
EOF
}
tmpfs_kb() { sed -n 's/.* tmpfs .*size=\([0-9]*\)k.*/\1/p' "$D/$1/logs/app" | head -n 1; }
mem_pod memsized "resources: {limits: {memory: 64Mi}}" ", sizeLimit: 8Mi"
mem_pod mempod "resources: {limits: {memory: 48Mi}}" ""
mem_pod memnode "" ""
for p in memsized mempod memnode; do
        wait_grep "$D/$p/logs/app" ' /m tmpfs ' 20 || fail "$p: no tmpfs at /m"
done
is "$(tmpfs_kb memsized)" 8192 "Memory emptyDir: sizeLimit 8Mi -> tmpfs size 8Mi"
is "$(tmpfs_kb mempod)" $((2 * 48 * 1024)) "Memory emptyDir: no sizeLimit -> the pod's memory limit (2 x 48Mi)"
total_kb=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
want=$(((total_kb * 1024 - 100 * MI + 4095) / 4096 * 4))        # tmpfs rounds up to pages
is "$(tmpfs_kb memnode)" "$want" "Memory emptyDir: no limits -> node allocatable (MemTotal - 100Mi), not half the RAM"

for p in fill deep two cache modest idle memsized mempod memnode; do rmdir "$D/$p"; done
for p in fill deep two cache modest idle memsized mempod memnode; do wait_gone "$D/$p" 40 || fail "$p: not gone"; done
finish
