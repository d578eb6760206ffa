#!/bin/bash
# Durability: kill -9 the daemon while pods run and while one terminates; the
# pods go on without it; a restarted daemon shows the same pods, logs (no lost
# or duplicated lines) and status. Unmount/remount keeps pods running. A killed
# sandbox takes its containers with it and the pod is started again.
# timeout: 150
. "$(dirname "$0")/lib.sh"
podfs_setup

COUNTER="trap 'exit 0' TERM; i=0; while true; do i=\$((i+1)); echo \$i; usleep 20000; done"
run_pod default counter Always "$COUNTER" 2 || die "counter not Running"
run_pod default stubborn Always "exec sleep 3600" 5 || die "stubborn not Running"
pod_yaml job Never "sleep 3; echo job done" | apply_pod default job || die "create job"
wait_for "$MNT/default/job/phase" Running 20 || die "job not Running"

UA=$(pod_uid default counter)
UB=$(pod_uid default stubborn)
UC=$(pod_uid default job)
PA=$(ctr default counter main pid)
SA=$(sed -n 's/^pid=//p' "$STATE/pods/$UA/sandbox")
check "counter has a container pid and a sandbox pid" test -n "$PA" -a -n "$SA"
wait_grep "$MNT/default/counter/logs/main" '^20$' 10 || fail "counter does not count"

# ---- kill -9 while stubborn terminates (5 s grace) and job is about to finish
rmdir "$MNT/default/stubborn" || fail "rmdir stubborn"
check "stubborn's deletion request is durable in meta" grep -q '^deletionTimestamp=' "$STATE/pods/$UB/meta"
podfs_kill9
log "daemon killed"
check "the mount is gone" test ! -d "$MNT/default"
check "counter's container keeps running without the daemon" test -d "/proc/$PA"
check "counter's sandbox keeps running without the daemon" test -d "/proc/$SA"
check "job finishes without the daemon" wait_until 15 "$STATE/pods/$UC" test -e "$STATE/pods/$UC/finished"
check "stubborn's termination completes without the daemon" wait_until 15 "$STATE/pods/$UB" test -e "$STATE/pods/$UB/finished"
n_before=$(tail -n 1 "$(ls "$STATE/logs/default_counter_$UA/main/"*.log | tail -n 1)" | awk '{print $NF}')
log "counter at $n_before while the daemon is down"

# ---- restart the daemon
podfs_start
P=$MNT/default/counter
check "counter is back in the tree" test -d "$P"
is "$(cat "$P/phase")" Running "counter: phase Running"
is "$(jq -r .metadata.uid "$P/pod.json")" "$UA" "counter: same uid"
is "$(ctr default counter main pid)" "$PA" "counter: the same container process (adopted, not restarted)"
is "$(ctr default counter main restarts)" 0 "counter: no restart"
check "job is Succeeded" wait_for "$MNT/default/job/phase" Succeeded 10
check "job's log survived" grep -qx 'job done' "$MNT/default/job/logs/main"
check "stubborn (deleted while the daemon was down) is removed" wait_gone "$MNT/default/stubborn" 10
check "stubborn's state is removed" retry_until 5 test ! -e "$STATE/pods/$UB"
check "counter keeps counting" wait_grep "$P/logs/main" "^$((n_before + 50))\$" 10

# no lost or duplicated lines: the log is exactly 1..N
seq_ok() { awk 'NR != $1 { print "line " NR ": " $0; bad = 1; exit } END { exit bad }' "$1"; }
check "counter log: no lost or duplicated lines after kill -9" seq_ok "$P/logs/main"

# ---- unmount and mount again: pods keep running
check "fusermount3 -u unmounts" podfs_umount
check "counter's container runs while unmounted" test -d "/proc/$PA"
# what a create killed before its meta was durable leaves: no meta, or a torn one
HALF1=00000000-0000-4000-8000-00000000000a HALF2=00000000-0000-4000-8000-00000000000b
mkdir -m 0700 "$STATE/pods/$HALF1" "$STATE/pods/$HALF2"
printf 'uid=%s\nnamesp' "$HALF2" >"$STATE/pods/$HALF2/meta"
podfs_start
check "a pod dir without meta is removed at start" test ! -e "$STATE/pods/$HALF1"
check "a pod dir with a torn meta is removed at start" test ! -e "$STATE/pods/$HALF2"
is "$(cat "$P/phase")" Running "counter Running after remount"
is "$(ctr default counter main pid)" "$PA" "the same container process after remount"
check "counter log still exact after remount" seq_ok "$P/logs/main"

# ---- kill -9 twice in a row during a create
pod_yaml fresh Always "trap 'exit 0' TERM; while true; do sleep 60 & wait \$!; done" 2 | apply_pod default fresh || fail "create fresh"
podfs_kill9
podfs_start
check "a pod created just before kill -9 runs after restart" wait_for "$MNT/default/fresh/phase" Running 20
UF=$(pod_uid default fresh)
check "only one sandbox for it" test "$(pod_procs "$UF" | while read -r p; do
        mapfile -d '' a <"/proc/$p/cmdline"; case "${a[*]}" in *podfs-sandbox*) echo "$p" ;; esac; done | wc -l)" -le 1

# ---- kill -9 of a sandbox: its containers die with it; the pod starts again
SF=$(sed -n 's/^pid=//p' "$STATE/pods/$UF/sandbox")
PF=$(ctr default fresh main pid)
if [ -n "$SF" ] && [ -n "$PF" ]; then
        kill -9 "$SF"
        check "the container died with its sandbox" wait_pid_exit "$PF" 5
        check "the pod is started again" retry_until 20 bash -c "p=\$(cat '$MNT/default/fresh/containers/main/pid' 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != '$PF' ] && [ -d /proc/\$p ]"
        check "fresh is Running again" wait_for "$MNT/default/fresh/phase" Running 10
else
        fail "fresh: no sandbox pid ($SF) or container pid ($PF)"
fi

# ---- the daemon as a user starts it: no -f, it goes to the background once mounted
check "podfs --version" bash -c "'$PODFS_BIN' --version | grep -q '[0-9]'"
check "podfs --help" bash -c "'$PODFS_BIN' --help | grep -q -- --state-dir"
check "unmount before the background start" podfs_umount
if timeout 20 "$PODFS_BIN" --state-dir "$STATE" --cni-conf-dir "$CNI_LO_DIR" "$MNT" >>"$W/podfs.log" 2>&1 </dev/null; then
        ok "podfs without -f returned"
        check "and the tree is mounted" is_mounted "$MNT"
        check "the pods are there" grep -qx Running "$MNT/default/counter/phase"
        bgpid=$(test_pids | while read -r p; do
                mapfile -d '' a 2>/dev/null <"/proc/$p/cmdline"; [ "${a[0]:-}" = "$PODFS_BIN" ] && echo "$p"; done)
        check "the background daemon is running" test -n "$bgpid"
        check "fusermount3 -u unmounts the background daemon" fusermount3 -u "$MNT"
        [ -z "$bgpid" ] || check "the background daemon exited after the unmount" wait_pid_exit "$bgpid" 10
        check "counter still runs with no daemon" test -d "/proc/$PA"
else
        fail "podfs without -f failed or did not return"
fi

finish
