#!/bin/bash
# Issue 8, finding 5: one manifest must not freeze the mount. A 10,000-container
# pod (400-600 KB, under the 1 MiB manifest limit) kept the daemon and the
# sandbox at 100 % CPU and every FUSE request of every user waiting for
# minutes. Now: such a pod is refused at once (EINVAL, .last-error names the
# field and the limit), a manifest of 60,000 annotation keys likewise, and one
# of 101 pods (POD_MAX_PER_MANIFEST = 100) before anything is created; a pod
# of the largest allowed size (POD_MAX_CONTAINERS = 250) starts, runs and is
# deleted in bounded time, and all the while another pod's files (phase,
# .last-error, a log) answer: each read is bounded by `timeout 5` (a generous
# bound, not a benchmark); the times are printed.
# timeout: 600
. "$(dirname "$0")/lib.sh"
podfs_setup

MAX=${PODFS_TEST_MAX_CONTAINERS:-250}     # POD_MAX_CONTAINERS (include/pfs/spec.h)
D=$MNT/default
# tfsop SECONDS OP PATH: fsop bounded in time
tfsop() { timeout "$1" /usr/bin/python3 -c "$FSOP_PY" "${@:2}"; }
run_pod default small Always 'while true; do echo tick; sleep 1; done' 2 || die "small pod not Running"
wait_grep "$D/small/logs/main" tick 10 || die "small pod logs nothing"

# ---- a prober: another pod's files, read in a loop while the big pods come and go
PROBE_LOG=$W/probe.log
PROBE_STOP=$W/probe.stop
: >"$PROBE_LOG"
probe() {
        local f t0 t1 rc
        while [ ! -e "$PROBE_STOP" ]; do
                for f in "$D/small/phase" "$D/.last-error" "$D/small/logs/main" "$D/small/containers/main/state"; do
                        t0=$(now_ms)
                        timeout -k 1 5 cat "$f" >/dev/null 2>&1
                        rc=$?
                        t1=$(now_ms)
                        printf '%s %s %s %s\n' "$1" "$((t1 - t0))" "$rc" "${f#"$MNT"/}" >>"$PROBE_LOG"
                done
                sleep 0.2       # pacing the reads, not waiting for anything
        done
}
# probe_start NAME: start probing, tagging the reads with NAME
PROBE_PID=""
probe_start() { rm -f "$PROBE_STOP"; probe "$1" & PROBE_PID=$!; }
probe_stop() {
        touch "$PROBE_STOP"
        [ -n "$PROBE_PID" ] && wait "$PROBE_PID"
        PROBE_PID=""
}
# probe_report NAME: how the reads of phase NAME went
probe_report() {
        local n bad max
        n=$(awk -v p="$1" '$1 == p' "$PROBE_LOG" | wc -l)
        bad=$(awk -v p="$1" '$1 == p && $3 != 0' "$PROBE_LOG" | wc -l)
        max=$(awk -v p="$1" '$1 == p && $2 > m { m = $2 } END { print m + 0 }' "$PROBE_LOG")
        log "$1: $n reads of another pod's files, slowest ${max} ms"
        if [ "$n" -gt 0 ] && [ "$bad" -eq 0 ]; then
                ok "$1: another pod's phase, .last-error, log and state answered ($n reads, slowest ${max} ms)"
        else
                fail "$1: $bad of $n reads of another pod's files failed or took over 5 s: $(awk -v p="$1" '$1 == p && $3 != 0' "$PROBE_LOG" | head -n 5 | tr '\n' ';')"
        fi
}

# ---- 1. 10,000 containers: refused at once, naming the field and the limit
python3 - "$W/huge.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: huge\nspec:\n  containers:\n")
    for i in range(10000):
        f.write("  - {name: c%d, image: busybox, command: [sleep, '3600']}\n" % i)
PY
log "huge.yaml: $(stat -c %s "$W/huge.yaml") bytes, 10000 containers"
probe_start huge
t0=$(now_ms)
r=$(tfsop 60 write "$D/huge.yaml" <"$W/huge.yaml")
t1=$(now_ms)
log "applying 10000 containers took $((t1 - t0)) ms: $r"
is "$r" EINVAL "a 10000-container pod is refused with EINVAL"
if [ "$r" = OK ]; then  # the old behaviour: don't leave 10000 containers starting
        echo 0 >"$D/huge/delete" 2>/dev/null
        probe_stop
        die "the 10000-container pod was accepted"
fi
check ".last-error: spec.containers: Too many: 10000: must have at most $MAX items" \
        grep -q "spec.containers: Too many: 10000: must have at most $MAX items" "$D/.last-error"
log ".last-error: $(cut -c1-200 "$D/.last-error")"
# the same through a pod directory's spec.yaml
t0=$(now_ms)
mkdir "$D/huge" || fail "mkdir huge"
r=$(tfsop 60 write "$D/huge/spec.yaml" <"$W/huge.yaml")
t1=$(now_ms)
log "writing it as huge/spec.yaml took $((t1 - t0)) ms: $r"
is "$r" EINVAL "huge/spec.yaml is refused with EINVAL"
rmdir "$D/huge" 2>/dev/null
[ -z "$(ls "$STATE/pods" | grep -v "^$(pod_uid default small)$")" ] && ok "nothing of the refused pod in the state dir" ||
        fail "the refused pod left state: $(ls "$STATE/pods")"

# ---- 2. 60,000 annotation keys (a mapping searched key by key was quadratic)
python3 - "$W/annotations.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("apiVersion: v1\nkind: Pod\nmetadata:\n  name: notes\n  annotations:\n")
    for i in range(60000):
        f.write("    k%d: v\n" % i)
    f.write("spec:\n  containers:\n  - {name: main, image: busybox}\n")
PY
t0=$(now_ms)
r=$(tfsop 60 write "$D/notes.yaml" <"$W/annotations.yaml")
t1=$(now_ms)
log "applying 60000 annotations ($(stat -c %s "$W/annotations.yaml") bytes) took $((t1 - t0)) ms: $r"
is "$r" EINVAL "60000 annotations (over 256 KiB) are refused"
check ".last-error: metadata.annotations: Too long" grep -q "metadata.annotations: Too long" "$D/.last-error"
# ---- 3. 101 pods in one manifest (each made durable and started while the writer's close waits)
python3 - "$W/multi.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(101):
        f.write("---\napiVersion: v1\nkind: Pod\nmetadata: {name: m%d}\n"
                "spec: {containers: [{name: c, image: busybox, command: [sleep, '3600']}]}\n" % i)
PY
t0=$(now_ms)
r=$(tfsop 60 write "$D/multi.yaml" <"$W/multi.yaml")
log "applying 101 pods in one manifest took $(($(now_ms) - t0)) ms: $r"
is "$r" EINVAL "101 pods in one manifest are refused"
check ".last-error: Too many: 101 documents: must have at most 100 documents in one manifest" \
        grep -q "multi.yaml: Too many: 101 documents: must have at most 100 documents in one manifest" "$D/.last-error"
[ ! -e "$D/m0" ] && ok "none of them was created" || fail "m0 was created"
probe_stop
probe_report huge

# ---- 4. the largest pod allowed: starts, runs, answers, is deleted
{
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n'
        for i in $(seq 0 $((MAX - 1))); do
                printf "  - {name: c%d, image: busybox, command: [sleep, '3600']}\n" "$i"
        done
} >"$W/big.yaml"
probe_start big-start
t0=$(now_ms)
tfsop 60 write "$D/big.yaml" <"$W/big.yaml" >"$W/big.r"
t1=$(now_ms)
log "applying $MAX containers took $((t1 - t0)) ms: $(cat "$W/big.r")"
is "$(cat "$W/big.r")" OK "a $MAX-container pod is accepted"
[ "$(cat "$W/big.r")" = OK ] || { probe_stop; die "$(cat "$D/.last-error")"; }
# how often the sandbox rewrites status.json while the containers start (printed)
inotifywait -q -m -e moved_to --format '%f' "$STATE/pods/$(pod_uid default big)" >"$W/big.writes" 2>/dev/null &
WRITES_PID=$!
if wait_for "$D/big/phase" Running 300; then
        t2=$(now_ms)
        log "all $MAX containers running $((t2 - t1)) ms after the apply"
        ok "the $MAX-container pod reached Running"
else
        fail "the $MAX-container pod did not reach Running in 300 s: $(jq -c '[.containerStatuses[].state | keys[0]] | group_by(.) | map({(.[0]): length}) | add' "$D/big/status.json" 2>&1)"
fi
probe_stop
probe_report big-start
kill "$WRITES_PID" 2>/dev/null
wait "$WRITES_PID" 2>/dev/null
log "status.json was rewritten $(grep -c '^status.json$' "$W/big.writes") times while $MAX containers started"

probe_start big-running
t0=$(now_ms)
n=$(timeout 10 jq '.containerStatuses | length' "$D/big/status.json")
is "$n" "$MAX" "status.json lists $MAX container statuses"
running=$(timeout 10 jq '[.containerStatuses[] | select(.state.running)] | length' "$D/big/status.json")
is "$running" "$MAX" "all $MAX are running"
is "$(timeout 5 ls "$D/big/containers" | wc -l)" "$MAX" "containers/ lists $MAX"
is "$(timeout 5 cat "$D/big/containers/c$((MAX - 1))/state")" running "containers/c$((MAX - 1))/state"
t1=$(now_ms)
log "reading the big pod's status.json, containers/ and a state took $((t1 - t0)) ms"
probe_stop
probe_report big-running

probe_start big-delete
t0=$(now_ms)
r=$(tfsop 120 rmdir "$D/big")
t1=$(now_ms)
log "rmdir of the $MAX-container pod took $((t1 - t0)) ms: $r"
is "$r" OK "rmdir of the big pod"
if wait_gone "$D/big" 120; then
        log "the big pod was gone $(($(now_ms) - t0)) ms after rmdir"
        ok "the big pod is deleted in bounded time"
else
        fail "the big pod still there 120 s after rmdir"
fi
probe_stop
probe_report big-delete
is "$(cat "$D/small/phase")" Running "the small pod still runs"
finish
