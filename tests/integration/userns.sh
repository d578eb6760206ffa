#!/bin/bash
# User namespaces (hostUsers: false, KEP-127; issue 13): each such pod gets
# its own 65536 host ids from --userns-range, recorded in pods/<uid>/userns,
# never shared, kept across a daemon kill -9, released with the pod. Root in
# the pod is an unprivileged uid on the host; the image and every volume are
# idmapped (root's files show as root inside, what pod root writes to a volume
# is uid 0 on the host), the writable layer is the pod's host uid; the pod's
# net namespace is its user namespace's; exec probes and hooks run in it;
# attacks from inside fail; hostNetwork with it is refused; no range left:
# FailedCreatePodSandBox until one is freed.
# timeout: 240
. "$(dirname "$0")/lib.sh"
require_cmd lsns jq
podfs_setup --no-mount
FIRST=1048576                   # 16 x 65536
RANGE=$FIRST:7208960            # 110 pods
if "$PODFS_BIN" --state-dir "$STATE" --userns-range 100000:7208960 "$MNT" 2>"$W/bad-range"; then
        fail "podfs started with an unaligned --userns-range"
else
        is "$(cat "$W/bad-range")" "podfs: --userns-range 100000:7208960: kubelet user assigned ID 100000 is not a multiple of 65536" \
                "an unaligned --userns-range: podfs refuses to start, in the kubelet's words"
fi
podfs_start --userns-range "$RANGE"

# the three numbers of an id map, spaces squeezed
map_of() { awk 'NR == 1 { print $1, $2, $3 }' "$1" 2>/dev/null; }
owner() { stat -c '%u %g' "$1" 2>/dev/null; }
line_of() { sed -n "s/^$2 //p" "$1" | head -1; }

mkdir -p "$W/hostdir"
echo host >"$W/hostdir/hostfile"
chmod 0644 "$W/hostdir/hostfile"
chown 0:0 "$W/hostdir" "$W/hostdir/hostfile"

cat <<EOF | apply_pod default ur || die "create ur: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: ur
spec:
  hostUsers: false
  terminationGracePeriodSeconds: 1
  volumes:
  - {name: scratch, emptyDir: {}}
  - {name: host, hostPath: {path: "$W/hostdir", type: Directory}}
  containers:
  - name: main
    image: busybox
    command:
    - sh
    - -c
    - |
      echo "id \$(id)"
      echo "image \$(stat -c '%u %g' /bin/busybox)"
      echo "hostfile \$(stat -c '%u %g' /host/hostfile)"
      echo "mountpoint-parent \$(stat -c '%u %g' /deep) \$(stat -c '%u %g' /dev /dev/shm | xargs)"
      touch /rootfile /scratch/f /host/new
      mknod /tmp/sda b 8 0 2>/dev/null && echo "mknod ok" || echo "mknod refused"
      echo x >/host/hostfile 2>/dev/null && echo "hostfile written" || echo "hostfile refused"
      echo END
      exec sleep 3600
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
    - {name: host, mountPath: /host}
    - {name: scratch, mountPath: /deep/mnt}
    readinessProbe:
      exec: {command: ["sh", "-c", "cat /proc/self/uid_map >/scratch/probe-map && id -u >/scratch/probe-uid && touch /probe-file"]}
      periodSeconds: 1
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "cat /proc/self/uid_map >/hook-map"]}
EOF
check "ur: Ready" wait_grep "$MNT/default/ur/conditions" '^Ready True' 30
U=$(pod_uid default ur)
PID=$(ctr default ur main pid)
UPPER=$STATE/pods/$U/volumes/.overlay/main/upper
[ -n "$PID" ] || die "ur: no container pid"
wait_grep "$MNT/default/ur/logs/main" '^END$' 20 || die "ur: no END"
cp "$MNT/default/ur/logs/main" "$W/ur.log"

# ---- the mapping, as the host sees it
is "$(map_of "/proc/$PID/uid_map")" "0 $FIRST 65536" "uid_map: 0 -> $FIRST, 65536 ids"
is "$(map_of "/proc/$PID/gid_map")" "0 $FIRST 65536" "gid_map: the same"
is "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$PID/status")" "$FIRST $FIRST $FIRST $FIRST" \
        "the host sees pod root as uid $FIRST"
is "$(jq -c '.uidMappings' "$STATE/pods/$U/userns")" "[{\"hostId\":$FIRST,\"containerId\":0,\"length\":65536}]" \
        "pods/<uid>/userns records it (the kubelet's format)"
jq -e '.spec.hostUsers == false' "$MNT/default/ur/pod.json" >/dev/null &&
        ok "pod.json shows spec.hostUsers false" || fail "pod.json: spec.hostUsers"

# ---- inside: root, with the image's and the host's root files as root's
case "$(line_of "$W/ur.log" id)" in
"uid=0(root) gid=0(root)"*) ok "id inside: root" ;;
*) fail "id inside: $(line_of "$W/ur.log" id)" ;;
esac
is "$(line_of "$W/ur.log" image)" "0 0" "image files are root's inside (idmapped lower layer)"
is "$(line_of "$W/ur.log" hostfile)" "0 0" "hostPath: host root's file is root's inside (idmapped)"
is "$(line_of "$W/ur.log" mountpoint-parent)" "0 0 0 0 0 0" \
        "what the runtime creates in the root (a mount point's parent, /dev, its shm) is the pod root's"
is "$(owner "$UPPER/deep")" "$FIRST $FIRST" "... which on the host is its host uid"

# ---- what pod root writes: unmapped in the writable layer, mapped in volumes
is "$(owner "$UPPER/rootfile")" "$FIRST $FIRST" "a file in the writable layer is the pod's host uid"
is "$(owner "$STATE/pods/$U/volumes/scratch/f")" "0 0" "emptyDir (idmapped): pod root's file is uid 0 on the host"
is "$(owner "$W/hostdir/new")" "0 0" "hostPath (idmapped): pod root's file is uid 0 on the host"
is "$(line_of "$W/ur.log" hostfile)" "0 0" "the hostPath file is root's inside"
grep -qx "hostfile written" "$W/ur.log" && ok "hostPath: pod root writes the host's root file, as upstream's idmap" ||
        fail "hostPath: $(grep hostfile "$W/ur.log")"

# ---- probes and hooks run in the user namespace, never as host root
is "$(map_of "$STATE/pods/$U/volumes/scratch/probe-map")" "0 $FIRST 65536" "exec probe: the pod's uid_map"
is "$(cat "$STATE/pods/$U/volumes/scratch/probe-uid" 2>/dev/null)" 0 "exec probe: root inside"
is "$(owner "$UPPER/probe-file")" "$FIRST $FIRST" "exec probe: its file is the pod's host uid, not host root's"
is "$(map_of "$UPPER/hook-map")" "0 $FIRST 65536" "postStart hook: the pod's uid_map"
is "$(owner "$UPPER/hook-map")" "$FIRST $FIRST" "postStart hook: its file is the pod's host uid"

# ---- namespaces: the pod's user namespace owns its net namespace
SBX=$(sed -n 's/^pid=//p' "$STATE/pods/$U/sandbox")
is "$(readlink "/proc/$PID/ns/net")" "$(readlink "/proc/$SBX/ns/net")" "the container is in the pod's net namespace"
[ "$(readlink "/proc/$PID/ns/user")" != "$(readlink /proc/self/ns/user)" ] &&
        ok "the container is not in the node's user namespace" || fail "the container is in the node's user namespace"
is "$(lsns -t net -p "$PID" -n -o ONS 2>/dev/null | tr -d ' ')" "$(stat -L -c %i "/proc/$PID/ns/user")" \
        "the pod's net namespace is owned by its user namespace"
is "$(lsns -t uts -p "$PID" -n -o ONS 2>/dev/null | tr -d ' ')" "$(stat -L -c %i "/proc/$PID/ns/user")" \
        "... and its uts namespace"

# ---- attacks from inside
grep -qx "mknod refused" "$W/ur.log" && ok "pod root cannot mknod a host device" || fail "mknod: $(grep mknod "$W/ur.log")"

cat <<'EOF' | apply_pod default attack || die "create attack: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: attack
spec:
  hostUsers: false
  terminationGracePeriodSeconds: 1
  securityContext:
    sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "80"}]
  containers:
  - name: main
    image: busybox
    securityContext:
      procMount: Unmasked
      capabilities: {add: [NET_ADMIN, SYS_ADMIN]}
    command:
    - sh
    - -c
    - |
      grep -q ' /proc/sys proc ro' /proc/mounts && echo "proc/sys ro" || echo "proc/sys rw"
      echo "sysctl $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"
      v=$(cat /proc/sys/kernel/printk_ratelimit)
      echo "$v" >/proc/sys/kernel/printk_ratelimit 2>/dev/null && echo "host sysctl written" || echo "host sysctl refused"
      ip link set lo mtu 1280 2>/dev/null && echo "own netns: NET_ADMIN ok" || echo "own netns: NET_ADMIN refused"
      mount -t tmpfs t /mnt 2>/dev/null && echo "mount ok" || echo "mount refused"
      umount /etc/hosts 2>/dev/null && echo "runtime's mount undone" || echo "runtime's mount locked"
      mount -o remount,bind,rw /ro 2>/dev/null && echo "read-only mount made rw" || echo "read-only mount locked"
      mknod /tmp/null c 1 3 2>/dev/null && echo "mknod ok" || echo "mknod refused"
      echo END
      exec sleep 3600
    volumeMounts: [{name: ro, mountPath: /ro, readOnly: true}]
  volumes: [{name: ro, emptyDir: {}}]
EOF
if wait_grep "$MNT/default/attack/logs/main" '^END$' 20; then
        cp "$MNT/default/attack/logs/main" "$W/attack.log"
        check "procMount Unmasked (allowed with hostUsers: false): /proc/sys is not read-only" grep -qx "proc/sys rw" "$W/attack.log"
        check "a host-wide sysctl is out of pod root's reach" grep -qx "host sysctl refused" "$W/attack.log"
        check "the pod's sysctls are set in its net namespace" grep -qx "sysctl 80" "$W/attack.log"
        check "NET_ADMIN works on the pod's own net namespace" grep -qx "own netns: NET_ADMIN ok" "$W/attack.log"
        check "SYS_ADMIN counts in the container's own mount namespace (runc's): a tmpfs mounts" \
                grep -qx "mount ok" "$W/attack.log"
        check "... but no mount of the runtime can be undone" grep -qx "runtime's mount locked" "$W/attack.log"
        check "... or made writable" grep -qx "read-only mount locked" "$W/attack.log"
        check "no device node, not even /dev/null's" grep -qx "mknod refused" "$W/attack.log"
fi
AU=$(pod_uid default attack)
is "$(jq -c '.uidMappings[0].hostId' "$STATE/pods/$AU/userns" 2>/dev/null)" $((FIRST + 65536)) \
        "a second pod gets the next 65536 ids, not the first pod's"

# ---- the shared pid namespace's pause process is the pod's root too
cat <<'EOF' | apply_pod default shared || die "create shared: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  hostUsers: false
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo \"pause $(stat -c %u /proc/1) $(cat /proc/1/comm)\"; echo END; exec sleep 3600"]
EOF
if wait_grep "$MNT/default/shared/logs/main" '^END$' 20; then
        is "$(sed -n 's/^pause //p' "$MNT/default/shared/logs/main")" "0 pause" \
                "shareProcessNamespace: pid 1 (pause) is the pod's root, not an unmapped host root"
fi

# ---- a volume on a filesystem without idmapped mounts: runc's error, never an unmapped mount
cat <<'EOF' | apply_pod default noidmap || die "create noidmap: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: noidmap
spec:
  hostUsers: false
  restartPolicy: Never
  volumes:
  - {name: sys, hostPath: {path: /sys/kernel/mm, type: Directory}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo mounted"]
    volumeMounts: [{name: sys, mountPath: /mm}]
EOF
WANT='failed to set MOUNT_ATTR_IDMAP on /sys/kernel/mm: invalid argument (maybe the filesystem used doesn'"'"'t support idmap mounts on this kernel?)'
check "noidmap: Failed" wait_for "$MNT/default/noidmap/phase" Failed 20
is "$(jq -r '.containerStatuses[0].state.terminated.reason' "$MNT/default/noidmap/status.json" 2>/dev/null)" \
        StartError "sysfs cannot be idmapped: the container does not start (StartError)"
check "... with runc's message" grep -qF -- "$WANT" "$MNT/default/noidmap/status.json"
check "... and a Failed event" grep -qF -- "Error: failed to fulfil mount request: $WANT" "$MNT/default/noidmap/events"

# ---- refused by the API server's validation
mkdir -p "$MNT/default/hn"
if cat >"$MNT/default/hn/spec.yaml" 2>/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: hn
spec:
  hostUsers: false
  hostNetwork: true
  containers:
  - name: main
    image: busybox
EOF
then
        fail "hostUsers: false with hostNetwork: accepted"
else
        check "hostUsers: false with hostNetwork: refused in the API server's words" grep -qF \
                'spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false' "$MNT/default/.last-error"
fi
rmdir "$MNT/default/hn" 2>/dev/null

# ---- kill -9 of the daemon: running pods keep their ranges, new pods get others
podfs_kill9
podfs_start --userns-range "$RANGE"
check "ur: still Running after the daemon's restart" wait_for "$MNT/default/ur/phase" Running 20
is "$(map_of "/proc/$PID/uid_map")" "0 $FIRST 65536" "ur's container kept its mapping"
run_pod default plain Never "exec sleep 3600" >/dev/null || fail "plain pod"
cat <<'EOF' | apply_pod default late || die "create late: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: late
spec:
  hostUsers: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "exec sleep 3600"]
EOF
check "late: Running" wait_for "$MNT/default/late/phase" Running 20
LPID=$(ctr default late main pid)
LU=$(pod_uid default late)
# the ranges of the other pods (ur, attack, shared, noidmap: slots 0..3), all still there
OTHERS=$(for f in "$STATE"/pods/*/userns; do [ "$f" = "$STATE/pods/$LU/userns" ] || jq '.uidMappings[0].hostId' "$f"; done | sort -n | xargs)
is "$OTHERS" "$FIRST $((FIRST + 65536)) $((FIRST + 2 * 65536)) $((FIRST + 3 * 65536))" "four pods hold the first four ranges"
is "$(map_of "/proc/$LPID/uid_map")" "0 $((FIRST + 4 * 65536)) 65536" \
        "a pod made after the restart gets the lowest free range, none of theirs"
[ -e "$STATE/pods/$(pod_uid default plain)/userns" ] && fail "a hostUsers: true pod has a userns file" ||
        ok "a pod without hostUsers: false has no range"
PPID_=$(ctr default plain main pid)
is "$(map_of "/proc/$PPID_/uid_map")" "0 0 4294967295" "a pod without hostUsers: false: the node's user namespace"

# ---- kill -9 of late's sandbox: the pod starts again with the same range
LS=$(sed -n 's/^pid=//p' "$STATE/pods/$LU/sandbox")
if [ -n "$LS" ] && [ -n "$LPID" ]; then
        kill -9 "$LS"
        check "late's container died with its sandbox" wait_pid_exit "$LPID" 5
        check "late is started again" retry_until 20 bash -c "p=\$(cat '$MNT/default/late/containers/main/pid' 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != '$LPID' ] && [ -d /proc/\$p ]"
        is "$(map_of "/proc/$(ctr default late main pid)/uid_map")" "0 $((FIRST + 4 * 65536)) 65536" \
                "late's new sandbox kept its range"
else
        fail "late: no sandbox pid ($LS) or container pid ($LPID)"
fi

# ---- a non-root user of the pod: its processes and probes, inside and on the host
cat <<'EOF' | apply_pod default nonroot || die "create nonroot: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: nonroot
spec:
  hostUsers: false
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000, runAsGroup: 3000}
  volumes:
  - {name: scratch, emptyDir: {}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "touch /scratch/main; exec sleep 3600"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
    readinessProbe:
      exec: {command: ["sh", "-c", "id -u >/scratch/probe-uid && id -g >>/scratch/probe-uid && touch /scratch/probe"]}
      periodSeconds: 1
EOF
check "nonroot: Ready" wait_grep "$MNT/default/nonroot/conditions" '^Ready True' 30
NU=$(pod_uid default nonroot)
NH=$(jq '.uidMappings[0].hostId' "$STATE/pods/$NU/userns" 2>/dev/null)
NPID=$(ctr default nonroot main pid)
is "$(awk '$1 == "Uid:" { print $2 }' "/proc/$NPID/status" 2>/dev/null)" "$((NH + 1000))" \
        "runAsUser 1000 is host uid H+1000"
is "$(xargs <"$STATE/pods/$NU/volumes/scratch/probe-uid" 2>/dev/null)" "1000 3000" "the exec probe runs as 1000:3000 inside"
is "$(owner "$STATE/pods/$NU/volumes/scratch/probe")" "1000 3000" "the probe's file in the emptyDir: 1000:3000 on disk (idmapped)"
is "$(owner "$STATE/pods/$NU/volumes/scratch/main")" "1000 3000" "the container's file too"

# ---- deletion releases the range
rmdir "$MNT/default/ur" || fail "rmdir ur"
check "ur's pod dir is removed" wait_gone "$STATE/pods/$U" 30
cat <<'EOF' | apply_pod default again || die "create again: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: again
spec:
  hostUsers: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "exec sleep 3600"]
EOF
check "again: Running" wait_for "$MNT/default/again/phase" Running 20
is "$(map_of "/proc/$(ctr default again main pid)/uid_map")" "0 $FIRST 65536" "a deleted pod's range is given again"

# ---- exhaustion: the other 104 slots held by pods (their directories as a sandbox leaves them)
fake() { printf 'fffffff0-0000-4000-8000-%012d' "$1"; }
for i in $(seq 6 109); do
        mkdir -p "$STATE/pods/$(fake "$i")"
        h=$((FIRST + i * 65536))
        printf '{"uidMappings":[{"hostId":%d,"containerId":0,"length":65536}],"gidMappings":[{"hostId":%d,"containerId":0,"length":65536}]}\n' \
                "$h" "$h" >"$STATE/pods/$(fake "$i")/userns"
done
cat <<'EOF' | apply_pod default full || die "create full: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: full
spec:
  hostUsers: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "exec sleep 3600"]
EOF
check "no range left: FailedCreatePodSandBox with the kubelet's message" wait_grep "$MNT/default/full/events" \
        'FailedCreatePodSandBox +pod/full +Failed to create pod sandbox: create user namespace: could not find an empty slot to allocate a user namespace$' 20
is "$(cat "$MNT/default/full/phase")" Pending "... and the pod stays Pending"
rm -rf "$STATE/pods/$(fake 50)"
check "a range freed: the pod starts at its next attempt" wait_for "$MNT/default/full/phase" Running 60
is "$(map_of "/proc/$(ctr default full main pid)/uid_map")" "0 $((FIRST + 50 * 65536)) 65536" "... with that range"
rm -rf "$STATE"/pods/fffffff0-*

finish
