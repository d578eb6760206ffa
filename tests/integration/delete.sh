#!/bin/bash
# Deletion: rmdir returns at once; a TERM-trapping container ends within the
# grace, one ignoring TERM is killed at the grace; delete with another grace
# (echo N > delete, 0 = now); wait blocks until the pod is gone; parallel
# deletions overlap and don't block creating pods; no process is left.
# timeout: 150
. "$(dirname "$0")/lib.sh"
podfs_setup

IGNORE_TERM="exec sleep 3600"                 # PID 1 without a handler: SIGTERM is ignored
HONOUR_TERM="trap 'echo got TERM; exit 0' TERM; echo up; while true; do sleep 60 & wait \$!; done"

# pids PID_FILE: the sandbox's and the containers' pids (from the state dir) with start times
record_pids() {
        local uid=$1 out=$2 p
        : >"$out"
        for p in $(sed -n 's/^\(pid\|ctr\.[^=]*\)=//p' "$STATE/pods/$uid/sandbox" 2>/dev/null); do
                echo "$p $(awk '{print $22}' "/proc/$p/stat" 2>/dev/null)" >>"$out"
        done
}
# none_alive PID_FILE UID: no recorded process (same start time) and nothing naming UID
none_alive() {
        local p st
        while read -r p st; do
                # a zombie waiting for init to reap it runs nothing: gone
                [ -n "$st" ] && [ "$(awk '{print $22}' "/proc/$p/stat" 2>/dev/null)" = "$st" ] &&
                        [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] &&
                        { log "pid $p still there: $(tr '\0' ' ' <"/proc/$p/cmdline") state $(awk '{print $3}' "/proc/$p/stat") parent $(awk '{print $4}' "/proc/$p/stat")"; return 1; }
        done <"$1"
        [ -z "$(pod_procs "$2")" ] || { log "left: $(pod_procs "$2" | tr '\n' ' ')"; return 1; }
}
# timed_rmdir DIR: rmdir, prints how long it took in ms
timed_rmdir() {
        local t0 r
        t0=$(now_ms)
        r=$(fsop rmdir "$1")
        echo "$(($(now_ms) - t0)) $r"
}

# ---- 1. a pod ignoring TERM is killed at the grace (4 s); rmdir returns at once
run_pod default stubborn Always "$IGNORE_TERM" 4 || die "stubborn not Running"
U1=$(pod_uid default stubborn)
retry_until 5 grep -q '^ctr\.main=' "$STATE/pods/$U1/sandbox" || log "no ctr.main in the sandbox file"
record_pids "$U1" "$W/stubborn.pids"
check "stubborn: recorded sandbox and container pids" test "$(wc -l <"$W/stubborn.pids")" -ge 2
cat "$MNT/default/stubborn/wait" >/dev/null 2>&1 &
WAITER=$!
# a read of wait interrupted by a signal ends at once: the daemon answers the
# kernel's interrupt (else the reader hangs, unkillable, until the pod is gone)
timeout -s INT 1 cat "$MNT/default/stubborn/wait" >/dev/null 2>&1 &
INTERRUPTED=$!
check "stubborn: an interrupted read of wait ends at once" wait_pid_exit "$INTERRUPTED" 4
t0=$(now_ms)
read -r ms r <<<"$(timed_rmdir "$MNT/default/stubborn")"
is "$r" OK "stubborn: rmdir succeeds"
if [ "$ms" -lt 500 ]; then ok "stubborn: rmdir returned at once (${ms} ms)"; else fail "stubborn: rmdir took ${ms} ms"; fi
check "stubborn: still visible while terminating" test -d "$MNT/default/stubborn"
check "stubborn: pod.json has deletionTimestamp" bash -c "jq -e .metadata.deletionTimestamp '$MNT/default/stubborn/pod.json' >/dev/null"
is "$(jq -r .metadata.deletionGracePeriodSeconds "$MNT/default/stubborn/pod.json")" 4 "stubborn: deletionGracePeriodSeconds 4"
check "stubborn: phase still readable while terminating" grep -qxE 'Running|Pending|Succeeded|Failed' "$MNT/default/stubborn/phase"
r=$(pod_yaml stubborn Always "$IGNORE_TERM" | fsop write "$MNT/default/stubborn/spec.yaml")
if [ "$r" != OK ]; then ok "stubborn: the name can't be reused while terminating ($r)"; else fail "stubborn: spec.yaml accepted while the pod terminates"; fi
check "stubborn: Killing event while terminating" wait_grep "$MNT/default/stubborn/events" Killing 3
check "stubborn: the waiter is still blocked" kill -0 "$WAITER"
check "stubborn: gone" wait_gone "$MNT/default/stubborn" 15
t=$(($(now_ms) - t0))
if [ "$t" -ge 3700 ] && [ "$t" -le 6500 ]; then ok "stubborn: killed at the grace (gone after ${t} ms, grace 4 s)"; else fail "stubborn: gone after ${t} ms, want ~4000 (grace 4 s)"; fi
check "stubborn: wait returned once the pod was gone" wait_pid_exit "$WAITER" 3
check "stubborn: no process of the pod left" none_alive "$W/stubborn.pids" "$U1"
check "stubborn: state dir entry removed" retry_until 3 test ! -e "$STATE/pods/$U1"
check "stubborn: the name can be reused afterwards" run_pod default stubborn Never "$HONOUR_TERM" 2

# ---- 1b. wait returns when the pod is gone from the kernel's view too: a
# script's `cat wait; test -d` never sees the dir. Ten pods go at once (the
# notifier has a queue of their changes to tell), each with a waiter.
SLOW_TERM="trap 'sleep 1; exit 0' TERM; echo up; while true; do sleep 60 & wait \$!; done"
for i in $(seq 1 10); do
        pod_yaml w$i Always "$SLOW_TERM" 10 | apply_pod default w$i || fail "create w$i"
done
for i in $(seq 1 10); do
        wait_for "$MNT/default/w$i/phase" Running 20 || fail "w$i not Running"
done
WAITERS=()
for i in $(seq 1 10); do
        ( exec 7<"$MNT/default/w$i/wait" && stat "$MNT/default/w$i" >/dev/null && touch "$W/open.$i" &&
          timeout 20 cat <&7 >/dev/null 2>&1; [ -e "$MNT/default/w$i" ] && echo "w$i" >>"$W/stale" ) &
        WAITERS+=($!)
done
retry_until 10 bash -c "[ \$(ls '$W'/open.* 2>/dev/null | wc -l) -ge 10 ]" || fail "wait: not every waiter opened"
for i in $(seq 1 10); do rmdir "$MNT/default/w$i" || fail "w$i: rmdir"; done
wait "${WAITERS[@]}"
is "$(cat "$W/stale" 2>/dev/null | tr '\n' ' ')" "" "wait: every pod dir is gone once its wait returns (10 at once)"

# ---- 2. a pod honouring TERM ends long before its grace (30 s)
run_pod default polite Always "$HONOUR_TERM" 30 || die "polite not Running"
wait_grep "$MNT/default/polite/logs/main" '^up$' 5
t0=$(now_ms)
rmdir "$MNT/default/polite" || fail "polite: rmdir"
check "polite: gone" wait_gone "$MNT/default/polite" 10
t=$(($(now_ms) - t0))
if [ "$t" -le 3000 ]; then ok "polite: exited on SIGTERM (gone after ${t} ms, grace 30 s)"; else fail "polite: gone after ${t} ms"; fi

# ---- 3. force delete: echo 0 > delete on a TERM-ignoring pod with a 30 s grace
run_pod default forced Always "$IGNORE_TERM" 30 || die "forced not Running"
U3=$(pod_uid default forced)
record_pids "$U3" "$W/forced.pids"
t0=$(now_ms)
is "$(echo 0 | fsop write "$MNT/default/forced/delete")" OK "forced: echo 0 > delete accepted"
check "forced: gone" wait_gone "$MNT/default/forced" 10
t=$(($(now_ms) - t0))
if [ "$t" -le 2000 ]; then ok "forced: gone after ${t} ms"; else fail "forced: gone after ${t} ms, want < 2000"; fi
check "forced: no process left" none_alive "$W/forced.pids" "$U3"

# ---- 4. delete with another grace: echo 2 > delete
run_pod default regrace Always "$IGNORE_TERM" 30 || die "regrace not Running"
# a value that cannot be a grace period fails at the write itself: bash's
# builtin echo (which never sees the close's error) says so, nothing changes
if out=$(bash -c 'echo 5s > "$1/delete"' _ "$MNT/default/regrace" 2>&1); then
        fail "echo 5s > delete: succeeded"
else
        check "echo 5s > delete: the shell reports EINVAL" grep -q "Invalid argument" <<<"$out"
fi
check "... and .last-error says why" grep -qF 'default/regrace/delete: write a grace period in seconds (0 = now), got "5s"' \
        "$MNT/default/.last-error"
is "$(jq -r '.metadata.deletionTimestamp // "none"' "$MNT/default/regrace/pod.json")" none "... the pod is not being deleted"
# what a refused write held is given back: 4200 refused writes of 4 KiB (more
# than a user's 16 MiB of writers' memory) leave the next write its room
is "$(/usr/bin/python3 - "$MNT/default/regrace/delete" <<'PY'
import errno, os, sys
for i in range(4200):
    fd = os.open(sys.argv[1], os.O_WRONLY)
    try:
        os.write(fd, b"x" * 4096)
        print("accepted"); break
    except OSError as e:
        if e.errno != errno.EINVAL:
            print(errno.errorcode[e.errno], "at write", i); break
    finally:
        try:
            os.close(fd)
        except OSError:
            pass
else:
    print("EINVAL each time")
PY
)" "EINVAL each time" "4200 refused writes: EINVAL each time, never EDQUOT"
t0=$(now_ms)
is "$(echo 2 | fsop write "$MNT/default/regrace/delete")" OK "regrace: echo 2 > delete accepted"
is "$(jq -r .metadata.deletionGracePeriodSeconds "$MNT/default/regrace/pod.json" 2>/dev/null)" 2 "regrace: deletionGracePeriodSeconds 2"
check "regrace: gone" wait_gone "$MNT/default/regrace" 10
t=$(($(now_ms) - t0))
if [ "$t" -ge 1700 ] && [ "$t" -le 4500 ]; then ok "regrace: killed at the new grace (${t} ms)"; else fail "regrace: gone after ${t} ms, want ~2000"; fi
r=$(echo 1 | fsop write "$MNT/default/nonexistent/delete")
if [ "$r" != OK ]; then ok "delete of a missing pod fails ($r)"; else fail "delete of a missing pod succeeded"; fi

# ---- 5. parallel deletions overlap and don't block creating other pods
N=5
for i in $(seq 1 $N); do
        pod_yaml "par$i" Always "$IGNORE_TERM" 3 | apply_pod default "par$i" || fail "create par$i"
done
for i in $(seq 1 $N); do
        wait_for "$MNT/default/par$i/phase" Running 20 || fail "par$i not Running"
done
t0=$(now_ms)
pids=()
for i in $(seq 1 $N); do
        (timed_rmdir "$MNT/default/par$i" >"$W/rmdir.$i") &
        pids+=($!)
done
wait "${pids[@]}"
slow=0
for i in $(seq 1 $N); do
        read -r ms r <"$W/rmdir.$i"
        [ "$r" = OK ] || fail "par$i: rmdir $r"
        [ "$ms" -lt 1000 ] || slow=$((slow + 1))
done
is "$slow" 0 "parallel rmdirs all returned within 1 s"
# while they terminate: a new pod in the same namespace
tc=$(now_ms)
pod_yaml newcomer Always "$HONOUR_TERM" 2 | apply_pod default newcomer || fail "create newcomer"
t=$(($(now_ms) - tc))
if [ "$t" -lt 1000 ]; then ok "creating a pod during deletions took ${t} ms"; else fail "creating a pod during deletions took ${t} ms"; fi
check "newcomer Running while the others terminate" wait_for "$MNT/default/newcomer/phase" Running 10
check "some par pods still terminating while newcomer runs" test -d "$MNT/default/par1" -o -d "$MNT/default/par$N"
for i in $(seq 1 $N); do
        wait_gone "$MNT/default/par$i" 15 || fail "par$i not gone"
done
t=$(($(now_ms) - t0))
if [ "$t" -le 6500 ]; then ok "$N deletions with 3 s grace overlapped (all gone after ${t} ms)"; else fail "$N deletions took ${t} ms (serialised?)"; fi

# ---- 6. a finished pod is removed at once
pod_yaml done-pod Never "echo bye" | apply_pod default done-pod || fail "create done-pod"
wait_for "$MNT/default/done-pod/phase" Succeeded 20 || fail "done-pod not Succeeded"
rmdir "$MNT/default/done-pod" || fail "rmdir done-pod"
check "a finished pod's dir goes at once" wait_gone "$MNT/default/done-pod" 3


# ---- 7. deleted while its sandbox is starting: the daemon's SIGHUP to the
# sandbox, or the sandbox's own read of meta, must catch every request (a
# pod that never learns of its deletion would run for ever; a container
# TERMed before its shell set the trap ignores it as pid 1: the 3 s grace ends it)
for i in $(seq 1 12); do
        pod_yaml race$i Always "$HONOUR_TERM" 3 | apply_pod default race$i || fail "create race$i"
        # at once, then after a few ms: while the sandbox starts, or its container
        [ $((i % 2)) = 0 ] || retry_until 1 test -e "$MNT/default/race$i/phase"
        rmdir "$MNT/default/race$i" || fail "rmdir race$i"
done
for i in $(seq 1 12); do
        wait_gone "$MNT/default/race$i" 15 || fail "race$i: deleted while starting, still there"
done
ok "12 pods deleted while their sandboxes started are gone"

finish
