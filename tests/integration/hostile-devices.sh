#!/bin/bash
# A hostile container and the host's devices (security issue, finding 2). It
# keeps CAP_MKNOD, as under containerd, so it can make the node of the host's
# loop0, /dev/kvm, /dev/loop-control or tty1; the device cgroup must refuse
# to open them, for the container and for an exec probe or hook run in it,
# while the OCI default devices keep working as runc gives them. On the hybrid
# layout the cgroup2 device program and the v1 devices controller are each
# checked alone, by moving the container out of the other one for a round.
# timeout: 120
. "$(dirname "$0")/lib.sh"
podfs_setup
helper_install devprobe

cat <<'EOF' | apply_pod default dev || fail "create dev: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: dev
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["devprobe", "serve"]
    lifecycle:
      postStart:
        exec: {command: ["devprobe", "probe", "/tmp/hook.out"]}
    readinessProbe:
      exec: {command: ["devprobe", "probe", "/tmp/probe.out"]}
      periodSeconds: 1
EOF
D=$MNT/default/dev
check "dev: Running" wait_for "$D/phase" Running 20
uid=$(pod_uid default dev)
pid=$(ctr default dev main pid)
[ -n "$pid" ] && [ -r "/proc/$pid/cgroup" ] || die "dev: no pid for the container"

# expect_round FILE TAG WHAT: the findings of one devprobe round.
expect_round() {
        local f=$1 t=$2 what=$3 n
        field() { awk -v t="$t" -v op="$1" -v n="$2" '$1 == t && $2 == op && $3 == n { print $4 }' "$f"; }
        for n in hostloop kvm loop-control tty1; do
                is "$(field mknod "$n")" OK "$what: mknod $n works (mknod alone opens nothing, as in runc)"
                is "$(field open "$n")" EPERM "$what: opening the host's $n is refused"
                is "$(field read "$n")" "" "$what: nothing read from $n"
        done
        for n in null zero full random urandom ptmx pts/ptmx pts-slave; do   # pts-slave: c 136:N
                is "$(field open "$n")" OK "$what: $n opens"
        done
        is "$(field open tty)" ENXIO "$what: /dev/tty allowed, ENXIO without a controlling terminal (as under runc)"
}

# round TAG: the container's findings for round TAG, once complete.
round() {
        wait_grep "$D/logs/main" "^$1 end\$" 10 || { fail "round $1 did not complete"; return 1; }
        grep "^$1 " "$D/logs/main" >"$W/$1"
}

round r0 && expect_round "$W/r0" r0 "container"

# Where the guard is: the v1 devices controller (v1, hybrid) and the device
# program of the cgroup2 cgroup (v2, hybrid).
v1rel=$(awk -F: '$2 == "devices" { print $3 }' "/proc/$pid/cgroup")
v2rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
v1mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)devices(,|$)/ { print $2; exit }' /proc/self/mounts)
v2mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
has_v1=false has_v2=false
case $v1rel in */podfs/"$uid"/main) has_v1=true ;; esac
case $v2rel in */podfs/"$uid"/main) has_v2=true ;; esac
log "devices: v1 controller ${v1rel:-none}, cgroup2 ${v2rel:-none}"
if $has_v1 || $has_v2; then
        ok "the container is in a devices cgroup or a cgroup2 cgroup of its own"
else
        fail "the container is in neither a devices cgroup nor a cgroup2 cgroup of its own"
fi
if $has_v1; then
        list=$(cat "$v1mnt$v1rel/devices.list")
        check "v1: devices.list is the default list, not 'a *:* rwm'" \
                [ "$(echo "$list" | LC_ALL=C sort | tr '\n' ,)" = \
                        "b *:* m,c *:* m,c 136:* rwm,c 1:3 rwm,c 1:5 rwm,c 1:7 rwm,c 1:8 rwm,c 1:9 rwm,c 5:0 rwm,c 5:1 rwm,c 5:2 rwm," ]
fi

# The hybrid layout: each guard alone, the other one left for a round.
if $has_v1 && $has_v2; then
        echo "$pid" >"$v1mnt/cgroup.procs" || fail "cannot move the container to the devices root"
        check "out of the v1 devices cgroup: 'a *:* rwm' there" grep -qx 'a \*:\* rwm' "$v1mnt/devices.list"
        kill -USR1 "$pid"
        round r1 && expect_round "$W/r1" r1 "cgroup2 device program alone"
        echo "$pid" >"$v1mnt$v1rel/cgroup.procs" || fail "cannot move the container back"

        echo "$pid" >"$v2mnt/cgroup.procs" || fail "cannot move the container to the cgroup2 root"
        kill -USR1 "$pid"
        round r2 && expect_round "$W/r2" r2 "v1 devices controller alone"
        echo "$pid" >"$v2mnt$v2rel/cgroup.procs" || fail "cannot move the container back"
fi

# An exec probe and a hook, cloned into the running container, are held too.
check "dev: Ready (the readiness probe ran)" wait_for "$D/containers/main/ready" true 20
for f in probe hook; do
        out=/proc/$pid/root/tmp/$f.out
        if ! retry_until 10 test -s "$out"; then
                fail "exec $f: no findings in $out"
                continue
        fi
        cp "$out" "$W/$f.out"
        expect_round "$W/$f.out" probe "exec $f"
        if $has_v1; then
                check "exec $f: in the container's v1 devices cgroup" \
                        grep -qE "^cgroup [0-9]+:devices:.*/podfs/$uid/main\$" "$W/$f.out"
        fi
        if $has_v2; then
                check "exec $f: in the container's cgroup2 cgroup" grep -qE "^cgroup 0::.*/podfs/$uid/main\$" "$W/$f.out"
        fi
done

# An init container is confined alike.
cat <<'EOF' | apply_pod default init || fail "create init: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: init
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: setup
    image: busybox
    command: ["sh", "-c", "mknod /dev/l0 b 7 0 && (head -c 1 /dev/l0 >/dev/null 2>&1 && echo read-ok || echo read-refused)"]
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
check "init: Running" wait_for "$MNT/default/init/phase" Running 20
check "init container: the host's loop0 refused" wait_grep "$MNT/default/init/logs/setup" '^read-refused$' 5

# Nothing is left of the pods' cgroups once deleted.
for p in dev init; do
        u=$(pod_uid default "$p")
        rmdir "$MNT/default/$p"
        check "$p: deleted" wait_gone "$MNT/default/$p" 20
        for h in "$v1mnt" "$v2mnt"; do
                [ -n "$h" ] || continue
                check "$p: no cgroup left in $h" [ ! -e "$h/podfs/$u" ]
        done
done

finish
