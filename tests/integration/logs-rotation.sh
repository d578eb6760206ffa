#!/bin/bash
# Container logs rotate like kubelet's (--container-log-max-size/-files):
# <run>.log is renamed to <run>.log.<time> before a record would cross the
# size, at most max-files files of a run stay, and no line is lost or doubled
# in what they hold; logs/<c> shows the current file (stat size = read size),
# `tail -f` goes on seeing new lines across a rotation, .previous still shows
# the run before. (A flood with the default limits: hostile-disk.sh.)
# timeout: 180
. "$(dirname "$0")/lib.sh"
podfs_setup --no-mount
podfs_start --container-log-max-size 4Ki --container-log-max-files 3
D=$MNT/default

# bad flag values are refused at start, in words
out=$("$PODFS_BIN" --container-log-max-files 1 "$MNT" 2>&1)
check "--container-log-max-files 1 refused" [ $? = 2 ]
check "... saying why" grep -q "must be a number from 2" <<<"$out"
out=$("$PODFS_BIN" --container-log-max-size 10Qi "$MNT" 2>&1)
check "--container-log-max-size 10Qi refused" [ $? = 2 ]
check "--help names the log flags" sh -c "'$PODFS_BIN' --help | grep -q -- --container-log-max-files"

# logdir NS POD CTR: the container's CRI log directory in the state dir
logdir() { echo "$STATE/logs/$1_$2_$(pod_uid "$1" "$2")/$3"; }
nfiles() { find "$1" -maxdepth 1 -type f -name "$2" | wc -l; }
has_files() { [ "$(nfiles "$1" "$2")" -ge "$3" ]; }

# ---- a counter: every line exactly once in rotated + current ---------------
run_pod default count Never 'seq 1 20000; echo done' 1 || true
check "count: Succeeded" wait_for "$D/count/phase" Succeeded 60
L=$(logdir default count main)
files=$(cd "$L" && ls)
log "count's log dir: $(echo $files)"
check "count: rotated files beside 0.log" has_files "$L" '0.log.*' 1
is "$(nfiles "$L" '*')" 3 "count: max-files (3) files in all"
big=$(find "$L" -type f -size +4k | wc -l)
is "$big" 0 "count: no file above max-size (4Ki)"
# rotated files sort by age by name (kubelet's order), the current file last
seqfile=$W/count.seq
(cd "$L" && for f in $(ls 0.log.* | sort) 0.log; do cut -d' ' -f4- "$f"; done) >"$seqfile"
check "count: records are CRI lines" sh -c "head -n 1 '$L/0.log' | grep -qE '^[0-9T:.-]+Z stdout F '"
is "$(tail -n 1 "$seqfile")" done "count: the last line is in 0.log"
first=$(head -n 1 "$seqfile")
nums=$(grep -c . "$seqfile")
want=$((20000 - first + 2))
is "$nums" "$want" "count: lines $first..20000 + done, none lost or doubled"
check "count: consecutive" awk -v f="$first" '$0 != "done" && $0 != f + NR - 1 { exit 1 }' "$seqfile"
check "count: logs/main is the current file" cmp -s <(cut -d' ' -f4- "$L/0.log") "$D/count/logs/main"
check "count: logs/main stat size = read size" size_matches "$D/count/logs/main"

# ---- tail -f across rotations; .previous ---------------------------------------
cat <<'EOF' | apply_pod default ticker || fail "create ticker: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: ticker
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "[ -e /s/second ] && echo second-run && exec sleep 3600; touch /s/second; i=0; while [ $i -lt 800 ]; do echo tick-$i; i=$((i+1)); usleep 15000; done; exit 1"]
    volumeMounts: [{name: s, mountPath: /s}]
  volumes: [{name: s, emptyDir: {}}]
EOF
check "ticker: Running" wait_for "$D/ticker/phase" Running 20
tail -n +1 -f "$D/ticker/logs/main" >"$W/tail.out" 2>"$W/tail.err" &
TAILPID=$!
L=$(logdir default ticker main)
# one rotated file holds ~100 lines: tick-500 is several rotations later
check "tail -f: sees lines after rotations" wait_grep "$W/tail.out" '^tick-5[0-9][0-9]$' 60
check "ticker: rotated" has_files "$L" '0.log.*' 2
kill "$TAILPID" 2>/dev/null
wait "$TAILPID" 2>/dev/null
log "tail said: $(head -c 300 "$W/tail.err")"
is "$(sort "$W/tail.out" | uniq -d | head -n 3)" "" "tail -f: no line twice"
# the container exits 1, restarts (restartPolicy Always) and says second-run
check "ticker: restarted" wait_grep "$D/ticker/logs/main" '^second-run$' 30
check "ticker: logs/main stat size = read size" size_matches "$D/ticker/logs/main"
check "ticker: .previous stat size = read size" size_matches "$D/ticker/logs/main.previous"
check "ticker: .previous shows the first run's current file" \
        cmp -s <(cut -d' ' -f4- "$L/0.log") "$D/ticker/logs/main.previous"
check "ticker: .previous ends with tick-799" sh -c "tail -n 1 '$D/ticker/logs/main.previous' | grep -qx tick-799"
# a new run keeps the previous run's current file only (kubelet keeps the last dead instance)
check "ticker: the first run's rotations are gone" [ "$(nfiles "$L" '0.log.*')" = 0 ]
check "ticker: 0.log and 1.log stay" [ -f "$L/0.log" ] && [ -f "$L/1.log" ]

rmdir "$D/count" "$D/ticker"
wait_gone "$D/ticker" 30
finish
