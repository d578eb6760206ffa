#!/bin/bash
# A fork bomb in a pod (security issue, finding 6): the pod's cgroup has a pids
# limit (kubelet's podPidsLimit; podfs --pod-pids-limit, 4096 by default), the
# bomb's process count never passes it, other pods still start, the mount
# answers, and the bomb pod is deleted with nothing left behind.
# timeout: 150
. "$(dirname "$0")/lib.sh"
podfs_setup
helper_install forkbomb

# pids_dir PID: the pids cgroup of the pod whose container is PID (the v1 pids
# hierarchy's podfs/<uid>, else the cgroup2 one's).
pids_dir() {
        local pid=$1 rel mnt
        rel=$(awk -F: '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == "pids") print $3 }' \
                "/proc/$pid/cgroup")
        if [ -n "$rel" ]; then
                mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)pids(,|$)/ { print $2; exit }' /proc/self/mounts)
        else
                rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
                mnt=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
        fi
        echo "$mnt${rel%/*}"
}

# ---- the default: 4096 ----
run_pod default plain Always "sleep 3600" 1 || fail "plain: not Running"
pid=$(ctr default plain main pid)
dir=$(pids_dir "$pid")
is "$(cat "$dir/pids.max" 2>/dev/null)" 4096 "default: pids.max of the pod's cgroup ($dir) is 4096"
is "$(cat "$dir/main/pids.max" 2>/dev/null)" max "default: the container's own cgroup sits below it, unlimited itself"
rmdir "$MNT/default/plain"
check "plain: deleted" wait_gone "$MNT/default/plain" 20

# ---- the daemon's flag changes it ----
podfs_umount
check "--pod-pids-limit 0 refused" sh -c '! "$1" --pod-pids-limit 0 --help >/dev/null 2>&1' _ "$PODFS_BIN"
check "--pod-pids-limit x refused" sh -c '! "$1" --pod-pids-limit x --help >/dev/null 2>&1' _ "$PODFS_BIN"
check "podfs --help documents --pod-pids-limit" sh -c '"$1" --help | grep -q -- "--pod-pids-limit N"' _ "$PODFS_BIN"
LIMIT=48
podfs_start --pod-pids-limit "$LIMIT"

cat <<EOF | apply_pod default bomb || fail "create bomb: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: bomb
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["forkbomb", "$((LIMIT * 4))"]
    resources:
      limits: {cpu: 200m}
EOF
B=$MNT/default/bomb
check "bomb: Running" wait_for "$B/phase" Running 20
uid=$(pod_uid default bomb)
pid=$(ctr default bomb main pid)
[ -n "$pid" ] && [ -r "/proc/$pid/cgroup" ] || die "bomb: no pid for the container"
dir=$(pids_dir "$pid")
is "$(cat "$dir/pids.max" 2>/dev/null)" "$LIMIT" "--pod-pids-limit $LIMIT: pids.max of the pod's cgroup"
check "bomb: a fork was refused (EAGAIN)" wait_grep "$B/logs/main" '^fork EAGAIN$' 20
check "bomb: never the safety stop of $((LIMIT * 4)) processes" sh -c '! grep -q "^cap " "$1"' _ "$B/logs/main"

# bomb_count: processes (zombies too: they hold a pid) in the pod's cgroup, from /proc
bomb_count() { grep -l "/podfs/$uid/" /proc/[0-9]*/cgroup 2>/dev/null | wc -l; }
no_procs() { [ -z "$(pod_procs "$uid")" ]; }
max_seen=0 max_cur=0
for i in 1 2 3 4 5; do
        n=$(bomb_count)
        cur=$(cat "$dir/pids.current" 2>/dev/null || echo 0)
        [ "$n" -gt "$max_seen" ] && max_seen=$n
        [ "$cur" -gt "$max_cur" ] && max_cur=$cur
done
log "bomb: up to $max_seen processes in /proc, pids.current up to $max_cur"
check "bomb: pids.current ($max_cur) never above $LIMIT" [ "$max_cur" -le "$LIMIT" ]
check "bomb: its processes ($max_seen) never above $LIMIT" [ "$max_seen" -le "$LIMIT" ]
check "bomb: it did press on the limit (pids.current $max_cur >= $((LIMIT - 2)))" [ "$max_cur" -ge $((LIMIT - 2)) ]
# pids.peak (kernel 6.1+): the most the pod ever had
if [ -r "$dir/pids.peak" ]; then
        peak=$(cat "$dir/pids.peak")
        check "bomb: pids.peak ($peak) never above $LIMIT" [ "$peak" -le "$LIMIT" ]
fi
# refused forks are counted where they happened (v1: the container's cgroup) or at the limit (v2)
check "bomb: pids.events counts refused forks" \
        awk '$1 == "max" { n += $2 } END { exit !(n > 0) }' "$dir/pids.events" "$dir/main/pids.events"

# The node is fine: the mount answers, another pod starts.
t0=$(now_ms)
is "$(timeout 5 cat "$B/phase")" Running "the mount answers during the bomb"
log "reading phase took $(($(now_ms) - t0)) ms"
check "another pod starts during the bomb" run_pod default other Always "echo hello; sleep 3600" 1
check "... and runs" wait_grep "$MNT/default/other/logs/main" '^hello$' 10

# The bomb goes, with everything it made.
rmdir "$B"
check "bomb: deleted" wait_gone "$B" 30
check "bomb: no process left" retry_until 10 no_procs
for h in $(awk '$3 == "cgroup2" || ($3 == "cgroup" && $4 ~ /(^|,)(pids|devices)(,|$)/) { print $2 }' /proc/self/mounts); do
        check "bomb: no cgroup left in $h" [ ! -e "$h/podfs/$uid" ]
done
rmdir "$MNT/default/other"
check "other: deleted" wait_gone "$MNT/default/other" 20

finish
