#!/bin/bash
# Hostile pods trying to get out through the sandbox (issue 8, findings 1, 10
# and 13): a container that scans every process it sees (/proc/*/fd/*, cwd,
# root, exe) while exec probes run and, with shareProcessNamespace, while a
# sibling container starts; inheritable capabilities of containers and probe
# children; fds the daemon would pass to a sandbox; what the pause process
# holds; images whose /proc, /dev or /sys is a symlink; an image where overlay
# is refused.
# The daemon is started the way a careless launcher would: with an extra fd
# and inheritable capabilities, which must reach no pod.
# timeout: 300
. "$(dirname "$0")/lib.sh"
podfs_setup --no-mount
require_cmd setpriv jq

helper_install fdscan

# What must stay out of reach: the host's root, the binaries, the state dir.
HOST_ROOT=$(stat -c %d:%i /)
FORBID=(-f "$(stat -L -c %d:%i "$PODFS_SANDBOX_BIN")" -f "$(stat -L -c %d:%i "$PODFS_BIN")"
        -f "$(stat -c %d:%i "$STATE")")
# A PATH of many missing entries before /bin: the attacker (who writes the pod)
# makes every exec's PATH search long, widening any window before execve.
LONG_PATH=$(printf '/no/such/dir%.0s:' $(seq 1 4000))/bin:/sbin

scan_args() {   # SECONDS [EXTRA...]: fdscan's arguments as a YAML flow list
        local secs=$1
        shift
        printf '%s\n' /bin/fdscan -t "$secs" -r "$HOST_ROOT" "${FORBID[@]}" -s "$W/" "$@" | jq -R . | jq -sc .
}

# ---- the daemon: an inherited fd and inheritable capabilities -----------------
echo "launcher's secret" >"$W/leaked-by-launcher"
cat >"$W/podfs-careless" <<EOF
#!/bin/sh
exec setpriv --inh-caps=+chown,+dac_override,+fowner,+kill,+net_raw,+sys_admin,+sys_ptrace "$PODFS_BIN" "\$@"
EOF
chmod 0755 "$W/podfs-careless"
REAL_PODFS_BIN=$PODFS_BIN
PODFS_BIN=$W/podfs-careless
exec 7<"$W/leaked-by-launcher"
podfs_start
exec 7<&-
PODFS_BIN=$REAL_PODFS_BIN
check "the daemon holds the launcher's fd (the setup works)" \
        bash -c "ls -l /proc/$PODFS_PID/fd/ | grep -q leaked-by-launcher"
check "the daemon has inheritable capabilities (the setup works)" \
        bash -c "grep -q '^CapInh:.*[1-9a-f]' /proc/$PODFS_PID/status"

# findings LOGFILE: the lines of fdscan that are findings
findings() { grep -E '^(ESCAPE|READ|CREATE|HOST|DEVICE|OPAQUE) ' "$1" 2>/dev/null; }
sandbox_pid() { sed -n 's/^pid=//p' "$STATE/pods/$(pod_uid default "$1")/sandbox" 2>/dev/null; }

# ---- 1. exec probes against a pod whose PID 1 scans ----------------------------
cat <<EOF | apply_pod default probed || die "create probed"
apiVersion: v1
kind: Pod
metadata:
  name: probed
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: scan
    image: busybox
    command: $(scan_args 20)
    env:
    - name: PATH
      value: "$LONG_PATH"
    livenessProbe:
      exec:
        command: ["sleep", "0.2"]
      periodSeconds: 1
      failureThreshold: 1000
EOF

# ---- 1b. shareProcessNamespace: a sibling scans while others start and are probed
cat <<EOF | apply_pod default shared || die "create shared"
apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: scan
    image: busybox
    command: $(scan_args 25 -o 1)
  - name: probed
    image: busybox
    command: ["sleep", "3600"]
    env:
    - name: PATH
      value: "$LONG_PATH"
    livenessProbe:
      exec:
        command: ["sleep", "0.2"]
      periodSeconds: 1
      failureThreshold: 1000
  - name: restarter
    image: busybox
    command: ["sh", "-c", "sleep 1; exit 1"]
    env:
    - name: PATH
      value: "$LONG_PATH"
EOF

P=$MNT/default/probed
S=$MNT/default/shared
check "probed: Running" wait_for "$P/phase" Running 30
check "shared: Running" wait_for "$S/phase" Running 30

# ---- 13. the daemon's fds are not in the sandbox ----------------------------------
for pod in probed shared; do
        spid=$(sandbox_pid "$pod")
        if [ -n "$spid" ] && [ -d "/proc/$spid" ]; then
                links=$(for f in /proc/"$spid"/fd/*; do readlink "$f"; done 2>/dev/null)
                check "$pod: sandbox $spid holds no /dev/fuse" bash -c "! grep -qx /dev/fuse <<<'$links'"
                check "$pod: sandbox $spid holds no fd the daemon inherited" \
                        bash -c "! grep -q leaked-by-launcher <<<'$links'"
        else
                fail "$pod: no sandbox pid"
        fi
done

# ---- 13. the pause process holds nothing --------------------------------------------
spid=$(sandbox_pid shared)
pause=""
for c in $(cat /proc/"$spid"/task/*/children 2>/dev/null); do
        [ "$(cat "/proc/$c/comm" 2>/dev/null)" = pause ] && pause=$c
done
if [ -n "$pause" ]; then
        for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
                is "$(awk -v k="$cap:" '$1 == k {print $2}' "/proc/$pause/status")" 0000000000000000 \
                        "pause: $cap empty"
        done
        is "$(awk '$1 == "NoNewPrivs:" {print $2}' "/proc/$pause/status")" 1 "pause: no_new_privs"
        is "$(ls -A "/proc/$pause/fd" | wc -l)" 0 "pause: no open fd"
        check "pause: its root is not the host's /" test "$(stat -L -c %d:%i "/proc/$pause/root")" != "$HOST_ROOT"
        is "$(ls -A "/proc/$pause/root/" | wc -l)" 0 "pause: its root is empty"
        check "pause: its root is read-only" \
                bash -c "grep -qE '^[0-9]+ [0-9]+ [^ ]+ / / ro' /proc/$pause/mountinfo"
        is "$(stat -L -c %d:%i "/proc/$pause/cwd")" "$(stat -L -c %d:%i "/proc/$pause/root")" "pause: cwd is its root"
else
        fail "shared: no pause process under sandbox $spid"
fi

# ---- 10. no inheritable capabilities -------------------------------------------------
mkdir -p "$STATE/images/nobody"
cp -a "$STATE/images/busybox" "$STATE/images/nobody/rootfs"
chmod 0755 "$STATE/images/nobody/rootfs"   # the test image's root is 0700 (mktemp)
echo '{"process": {"user": {"uid": 65534, "gid": 65534}}}' >"$STATE/images/nobody/config.json"
for img in busybox nobody; do
        cat <<EOF | apply_pod default "caps-$img" || die "create caps-$img"
apiVersion: v1
kind: Pod
metadata:
  name: caps-$img
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $img
    command: ["sh", "-c", "grep CapInh /proc/self/status; exec sleep 3600"]
    livenessProbe:
      exec:
        command: ["sh", "-c", "grep CapInh /proc/self/status > /tmp/probe-capinh.new && mv /tmp/probe-capinh.new /tmp/probe-capinh"]
      periodSeconds: 1
EOF
done
for img in busybox nobody; do
        C=$MNT/default/caps-$img
        who=$([ "$img" = busybox ] && echo root || echo "uid 65534")
        check "caps-$img: Running" wait_for "$C/phase" Running 30
        check "caps-$img ($who): the container's CapInh is empty" \
                wait_grep "$C/logs/main" '^CapInh:[[:space:]]+0000000000000000$' 10
        pid=$(ctr default "caps-$img" main pid)
        is "$(awk '$1 == "CapInh:" {print $2}' "/proc/$pid/status" 2>/dev/null)" 0000000000000000 \
                "caps-$img ($who): CapInh of the container's process seen from the host"
        check "caps-$img: the probe ran" retry_until 10 test -s "/proc/$pid/root/tmp/probe-capinh"
        is "$(awk '{print $2}' "/proc/$pid/root/tmp/probe-capinh" 2>/dev/null)" 0000000000000000 \
                "caps-$img ($who): CapInh of an exec probe child"
done
[ "$(awk '$1 == "Uid:" {print $2}' "/proc/$(ctr default caps-nobody main pid)/status" 2>/dev/null)" = 65534 ] ||
        fail "caps-nobody does not run as uid 65534 (the test's image config is not used)"

# ---- 1. what the scanners found ---------------------------------------------------------
check "probed: the scan ran to its end" wait_grep "$P/logs/scan" '^DONE ' 40
check "shared: the scan ran to its end" wait_grep "$S/logs/scan" '^DONE ' 40
n=$(grep -cE '^SEEN [0-9]+ (sleep|podfs-sandbox)$' "$P/logs/scan")
check "probed: the scanner saw the probe children ($n)" [ "$n" -ge 5 ]
n=$(grep -cE '^SEEN [0-9]+ (sleep|podfs-sandbox|sh)$' "$S/logs/scan")
check "shared: the scanner saw the sibling's probes and starts ($n)" [ "$n" -ge 5 ]
check "shared: the restarter was restarted while the scan ran" \
        [ "$(ctr default shared restarter restarts)" -ge 1 ]
for pod in probed shared; do
        f=$(findings "$MNT/default/$pod/logs/scan")
        is "$f" "" "$pod: nothing of the sandbox or the host reachable from the container"
done
left=$(find "$STATE" -name 'fdscan-escape-*' 2>/dev/null)
is "$left" "" "no file created in the state dir from a container"

# ---- 13. an image whose /proc (or /dev, /sys) is a symlink -------------------------------
# /proc -> /dev/p with /dev/p in the image: procfs would land where /dev's
# tmpfs hides it and the masks would not find it. runc refuses; so do we.
symlink_image() {       # NAME DIR: busybox with DIR -> /dev/p (or /tmp/d for /dev)
        local img=$STATE/images/$1 dir=$2 to=/dev/p
        [ "$dir" = dev ] && to=/tmp/d
        cp -a "$STATE/images/busybox" "$img"
        rm -rf "${img:?}/$dir"
        mkdir -p "$img$to"
        ln -s "$to" "$img/$dir"
}
for spec in proc:proc dev:tmpfs sys:sysfs; do
        dir=${spec%%:*} name=${spec%%:*}sym
        symlink_image "$name" "$dir"
        cat <<EOF | apply_pod default "$name" || die "create $name"
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: $name
    command: ["sh", "-c", "echo started; ls /$dir/"]
EOF
done
for spec in proc:proc dev:tmpfs sys:sysfs; do
        dir=${spec%%:*} fstype=${spec#*:} name=${spec%%:*}sym
        Q=$MNT/default/$name
        img=$STATE/images/$name
        check "$name: Failed" wait_for "$Q/phase" Failed 30
        is "$(jq -r '.containerStatuses[0].state.terminated.reason' "$Q/status.json")" StartError "$name: StartError"
        msg=$(jq -r '.containerStatuses[0].state.terminated.message' "$Q/status.json")
        check "$name: the message says why ($msg)" \
                grep -qF "filesystem \"$fstype\" must be mounted on ordinary directory" <<<"$msg"
        check "$name: the event says it too" grep -q 'must be mounted on ordinary directory' "$Q/events"
        # it failed in its setup, while the pod's ADD may still have run: as
        # the kubelet (containers only in a sandbox whose network is up), the
        # container was Created, then Failed
        is "$(grep -oP '\s\K(Created|Failed)(?=\s+spec\.containers\{main\}\s)' "$Q/events" | tr '\n' ' ')" \
                "Created Failed " "$name: events Created, then Failed"
        is "$(cat "$Q/logs/main" 2>/dev/null)" "" "$name: the command never ran"
        check "$name: the image is untouched (/$dir still the symlink, its target empty)" \
                bash -c "[ -L '$img/$dir' ] && [ -z \"\$(ls -A '$img/$(readlink "$img/$dir")')\" ]"
        check "$name: nothing mounted on the host below the image" bash -c "! grep -qF ' $img' /proc/self/mountinfo"
done

# ---- 13. overlay refused: the container fails, the shared image stays as it was ------------
# overlayfs stacks at most two deep: an image on an overlay over an overlay
# cannot get a writable layer of its own.
O=$W/ovl
mkdir -p "$O"/{u1,w1,m1,u2,w2,m2} "$STATE/images/deep"
cp -a "$STATE/images/busybox" "$O/l1"
if mount -t overlay ovl1 -o "lowerdir=$O/l1,upperdir=$O/u1,workdir=$O/w1" "$O/m1" &&
   mount -t overlay ovl2 -o "lowerdir=$O/m1,upperdir=$O/u2,workdir=$O/w2" "$O/m2" &&
   mount --bind "$O/m2" "$STATE/images/deep"; then
        cat <<'EOF' | apply_pod default deep || die "create deep"
apiVersion: v1
kind: Pod
metadata:
  name: deep
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: deep
    command: ["sh", "-c", "echo pwned > /pwned; echo started"]
EOF
        D=$MNT/default/deep
        check "deep: Failed" wait_for "$D/phase" Failed 30
        is "$(jq -r '.containerStatuses[0].state.terminated.reason' "$D/status.json")" StartError "deep: StartError"
        msg=$(jq -r '.containerStatuses[0].state.terminated.message' "$D/status.json")
        check "deep: the message names the writable layer ($msg)" grep -q 'writable layer' <<<"$msg"
        check "deep: the shared image was not written" test ! -e "$STATE/images/deep/pwned" -a ! -e "$O/u2/pwned"
        is "$(cat "$D/logs/main" 2>/dev/null)" "" "deep: the command never ran"
else
        log "cannot stack overlays here; the overlay-refused case is not tested"
fi

finish
