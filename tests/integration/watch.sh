#!/bin/bash
# Change notification: inotifywait on phase wakes on Pending -> Running ->
# Succeeded; a watch on the pod dir sees the changes; a watch on the namespace
# dir sees the pod dir created and deleted; delete_self reaches a pod dir watcher.
# timeout: 90
. "$(dirname "$0")/lib.sh"
podfs_setup

# bg_watch OUT ARGS...: inotifywait -m ARGS in the background, returning once the
# watch is in place; sets WATCH_PID.
bg_watch() {
        local out=$1
        shift
        inotifywait -m "$@" >"$out" 2>"$out.err" &
        WATCH_PID=$!
        retry_until 5 grep -qs "Watches established" "$out.err" || { cat "$out.err"; return 1; }
}

NSW=$W/ns-events
bg_watch "$NSW" --format '%e %f' "$MNT/default" || die "watch on the namespace dir"
NS_WATCH=$WATCH_PID

cat >"$W/job.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: job
spec:
  restartPolicy: Never
  initContainers:
  - name: init
    image: busybox
    command: ["sleep", "2"]
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo working; sleep 2; echo done"]
EOF
P=$MNT/default/job
mkdir "$P" || die "mkdir pod dir"
HAVE_INIT=1
if ! cat "$W/job.yaml" >"$P/spec.yaml"; then
        # without init containers Pending lasts only until the container starts
        fail "a pod with an init container was rejected: $(cat "$MNT/default/.last-error")"
        HAVE_INIT=0
        sed -i '/initContainers:/,/command: \["sleep", "2"\]/d' "$W/job.yaml"
        cat "$W/job.yaml" >"$P/spec.yaml" || die "write spec.yaml"
fi
t_create=$(now_ms)

# a reader that re-reads phase whenever inotify says it changed
inotifywait -m -e modify,close_write,attrib "$P/phase" 2>"$W/phase.err" |
        while read -r _; do echo "$(now_ms) $(cat "$P/phase")"; done >"$W/phase.seq" &
PHASE_WATCH=$!
retry_until 5 grep -qs 'Watches established' "$W/phase.err" || die "watch on phase: $(cat "$W/phase.err")"
first=$(cat "$P/phase")
bg_watch "$W/dir-events" --format '%e %f' "$P" || die "watch on the pod dir"
DIR_WATCH=$WATCH_PID
[ "$HAVE_INIT" = 1 ] && is "$first" Pending "phase is Pending while the init container runs"
check "phase reaches Succeeded" wait_for "$P/phase" Succeeded 30
# give the watcher the event that just happened (bounded)
retry_until 3 grep -q Succeeded "$W/phase.seq"
kill "$DIR_WATCH" 2>/dev/null
pkill -P "$PHASE_WATCH" 2>/dev/null; kill "$PHASE_WATCH" 2>/dev/null

seq=$( (echo "$first"; awk '{print $2}' "$W/phase.seq") | uniq | tr '\n' ' ')
if [ "$HAVE_INIT" = 1 ]; then
        is "$seq" "Pending Running Succeeded " "phase watcher woke for each change: $seq"
else
        is "${seq#Pending }" "Running Succeeded " "phase watcher woke for each change: $seq"
fi
wakes=$(wc -l <"$W/phase.seq")
if [ "$wakes" -le 6 ]; then ok "phase watcher woken $wakes times for 2-3 changes"; else fail "phase watcher woken $wakes times for 2-3 changes (spurious IN_MODIFY)"; fi
t_running=$(awk '$2=="Running"{print $1; exit}' "$W/phase.seq")
[ -n "$t_running" ] || [ "$first" != Running ] || t_running=$t_create
t_done=$(awk '$2=="Succeeded"{print $1; exit}' "$W/phase.seq")
if [ -n "$t_running" ] && [ -n "$t_done" ]; then
        d=$((t_done - t_running))
        # main runs ~2 s; its end must be seen promptly, not by a periodic refresh
        if [ "$d" -ge 1500 ] && [ "$d" -le 3500 ]; then ok "Running -> Succeeded seen after ${d} ms (container ran ~2 s)"; else fail "Running -> Succeeded seen after ${d} ms, want ~2000"; fi
        if [ "$HAVE_INIT" = 1 ]; then
                d=$((t_running - t_create))
                if [ "$d" -ge 1500 ] && [ "$d" -le 5000 ]; then ok "Pending -> Running seen after ${d} ms (init ran ~2 s)"; else fail "Pending -> Running seen after ${d} ms, want ~2000"; fi
        fi
fi
n=$(grep -c ' phase$' "$W/dir-events")
if [ "$n" -ge 2 ]; then ok "pod dir watch saw phase change $n times"; else fail "pod dir watch saw $n phase events: $(tr '\n' ';' <"$W/dir-events")"; fi
summary=$(awk '{print $NF}' "$W/dir-events" | sort | uniq -c | awk '{printf "%s x%s; ", $2, $1}')
if grep -q ' status.json$' "$W/dir-events"; then ok "pod dir watch saw status.json change"; else fail "pod dir watch saw no status.json change ($summary)"; fi
if grep -q ' conditions$' "$W/dir-events"; then ok "pod dir watch saw conditions change"; else fail "pod dir watch saw no conditions change ($summary)"; fi

# events and conditions are watched files too
is "$(ctr default job main reason)" Completed "main terminated: Completed"
is "$(ctr default job main exit_code)" 0 "main exit code 0"
check "conditions: Ready False PodCompleted" grep -q '^Ready False PodCompleted' "$P/conditions"

# deletion: delete_self on the pod dir, IN_DELETE on the namespace dir
bg_watch "$W/self-events" --format '%e' "$P" || die "watch on pod dir"
SELF_WATCH=$WATCH_PID
check "rmdir of a finished pod" rmdir "$P"
check "pod dir gone" wait_gone "$P" 10
check "pod dir watcher got DELETE_SELF" retry_until 3 grep -q DELETE_SELF "$W/self-events"
kill "$SELF_WATCH" 2>/dev/null
check "namespace watcher got CREATE of job" grep -qE '^CREATE,ISDIR job$' "$NSW"
check "namespace watcher got DELETE of job" retry_until 3 grep -qE '^DELETE,ISDIR job$' "$NSW"

# a pod created with cp shows up as a created dir in the namespace
pod_yaml copied Never "echo hi" >"$W/copied.yaml"
cp "$W/copied.yaml" "$MNT/default/" || fail "cp copied.yaml"
check "namespace watcher got CREATE of a pod made by cp" retry_until 5 grep -qE '^CREATE,ISDIR copied$' "$NSW"
kill "$NS_WATCH" 2>/dev/null

finish
