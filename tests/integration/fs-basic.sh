#!/bin/bash
# The tree mechanics of the daemon: namespaces, placeholder pods, rejected
# manifests (close fails, .last-error says why), the usual writers, sizes,
# inotify on pod and namespace dirs, rmdir that returns at once, delete/wait,
# logs (tail -f, poll), restart of the daemon.
# timeout: 120
. "$(dirname "$0")/lib.sh"

podfs_setup
require_cmd python3 jq

D=$MNT/default
errno_of() { fsop "$@"; }

# ---- namespaces --------------------------------------------------------------
is "$(errno_of mkdir "$MNT/team-a")" OK "mkdir namespace"
check "namespace is durable in the state dir" test -d "$STATE/namespaces/team-a"
is "$(errno_of mkdir "$MNT/Team_A")" EINVAL "mkdir namespace: not a DNS-1123 label"
is "$(errno_of rmdir "$MNT/default")" EPERM "rmdir default refused"
check "default refusal explained in .last-error" grep -q 'cannot be removed' "$D/.last-error"
is "$(errno_of mkdir "$MNT/team-a/x")" OK "placeholder in team-a"
is "$(errno_of rmdir "$MNT/team-a")" ENOTEMPTY "rmdir non-empty namespace"
is "$(errno_of rmdir "$MNT/team-a/x")" OK "rmdir placeholder"
is "$(errno_of rmdir "$MNT/team-a")" OK "rmdir empty namespace"
check "namespace gone" _gone "$MNT/team-a"
is "$(errno_of mkdir "$MNT/team-a")" OK "mkdir namespace again"
chmod 0700 "$MNT/team-a"
is "$(stat -c %a "$STATE/namespaces/team-a")" 700 "chmod through the mount changes the namespace"
is "$(stat -c %a "$MNT/team-a")" 700 "namespace mode shown"

# ---- placeholders ------------------------------------------------------------
is "$(errno_of mkdir "$D/ph")" OK "mkdir pod placeholder"
check "placeholder is durable (empty dir in the state dir)" test -d "$STATE/namespaces/default/ph"
is "$(ls -A "$D/ph" | wc -l)" 0 "placeholder is empty"
is "$(errno_of mkdir "$D/Bad_Name")" EINVAL "pod dir name must be a DNS subdomain"
is "$(errno_of rmdir "$D/ph")" OK "rmdir placeholder"
check "placeholder gone from state" _gone "$STATE/namespaces/default/ph"

# ---- rejected manifests ------------------------------------------------------
mkdir "$D/bad"
bad_yaml='apiVersion: v1
kind: Pod
metadata:
  name: bad
spec:
  containers:
  - name: x
'
is "$(printf '%s' "$bad_yaml" | errno_of write "$D/bad/spec.yaml")" EINVAL "invalid manifest: close fails with EINVAL"
check ".last-error names the field" grep -q 'spec.containers\[0\].image: Required value' "$D/.last-error"
check ".last-error names file and line" grep -q 'default/bad/spec.yaml: line' "$D/.last-error"
check "the daemon log has it too" grep -q 'spec.containers\[0\].image' "$W/podfs.log"
check "rejected pod dir stays an empty placeholder" test -z "$(ls -A "$D/bad")"
is "$(printf '%s' "$bad_yaml" | errno_of write "$D/bad.yaml")" EINVAL "invalid drop file: close fails"
check "drop file does not stay" _gone "$D/bad.yaml"
big=$(head -c 1200000 /dev/zero | tr '\0' 'a')
is "$(printf '%s' "$big" | errno_of write "$D/bad/spec.yaml")" EFBIG "manifest > 1 MiB: EFBIG"
rmdir "$D/bad"

# ---- writers -----------------------------------------------------------------
pod_yaml web Always "sleep 1000" 1 >"$W/web.yaml"
mkdir "$D/web"
cat "$W/web.yaml" >"$D/web/spec.yaml"
is "$?" 0 "cat > spec.yaml accepted"
uid1=$(pod_uid default web)
check "index symlink in the state dir" test -n "$uid1"
cmp -s "$W/web.yaml" "$D/web/spec.yaml"
is "$?" 0 "spec.yaml shows the source text"
cat "$W/web.yaml" >"$D/web/spec.yaml"
is "$(pod_uid default web)" "$uid1" "identical rewrite changes nothing"

pod_yaml web2 Always "sleep 1000" 30 >"$W/web2.yaml"
inotifywait -q -m -e create "$D" >"$W/ns.events" 2>&1 &
IW=$!
sleep 0.3
cp "$W/web2.yaml" "$D/"
is "$?" 0 "cp web2.yaml into the namespace"
check "pod dir appears" test -d "$D/web2"
check "the drop file is not listed" bash -c "! ls -A '$D' | grep -q web2.yaml"
check "the drop file is gone soon" wait_gone "$D/web2.yaml" 5
retry_until 5 grep -q 'CREATE,ISDIR web2' "$W/ns.events"
is "$?" 0 "IN_CREATE for the new pod dir on the namespace dir"
kill "$IW" 2>/dev/null; wait "$IW" 2>/dev/null

pod_yaml web Always "sleep 2000" 1 >"$W/web-b.yaml"
pod_yaml inst Always "sleep 1000" 1 >"$W/inst.yaml"
install -m 0644 "$W/inst.yaml" "$D/"
is "$?" 0 "install into the namespace dir (chmod by path after close)"
check "install created the pod" test -d "$D/inst"
install -m 0644 "$W/web-b.yaml" "$D/web/spec.yaml"
is "$?" 0 "install onto spec.yaml"
check "install replaced the pod" grep -q 'sleep 2000' "$D/web/spec.yaml"
check "pod dir survived install's unlink" test -d "$D/web"
uid2=$(pod_uid default web)
check "replacement has a new uid" test "$uid2" != "$uid1"

sed -i 's/sleep 2000/sleep 3000/' "$D/web/spec.yaml"
is "$?" 0 "sed -i on spec.yaml"
check "sed -i applied" grep -q 'sleep 3000' "$D/web/spec.yaml"
check "no temp file left in the pod dir" test -z "$(ls "$D/web" | grep -v -E '^(spec.yaml|phase|conditions|status.yaml|status.json|pod.json|events|logs|containers|delete|wait|ip)$')"

pod_yaml web Always "sleep 4000" 1 | tee "$D/web/spec.yaml" >/dev/null
is "$?" 0 "tee onto spec.yaml"
check "tee applied" grep -q 'sleep 4000' "$D/web/spec.yaml"

if command -v rsync >/dev/null; then
        pod_yaml web2 Always "sleep 5000" 1 >"$W/web2.yaml"
        rsync "$W/web2.yaml" "$D/web2/spec.yaml"
        is "$?" 0 "rsync onto spec.yaml"
        check "rsync applied" grep -q 'sleep 5000' "$D/web2/spec.yaml"
else
        log "rsync not installed: rsync writer not checked"
fi

# a temp file + rename in the namespace dir (editors, rsync into the dir)
pod_yaml web3 Always "sleep 1000" 1 >"$D/.web3.tmp"
check "temp file in the namespace dir" test -f "$D/.web3.tmp"
mv "$D/.web3.tmp" "$D/web3.yaml"
check "rename onto *.yaml applies" test -d "$D/web3"
check "renamed manifest does not stay" _gone "$D/web3.yaml"

# ---- read-only files ---------------------------------------------------------
is "$(echo x | errno_of write "$D/web/phase")" EACCES "write to phase: EACCES"
is "$(errno_of unlink "$D/web/phase")" EPERM "unlink phase: EPERM"
is "$(errno_of unlink "$D/web/nonexistent")" ENOENT "unknown name: ENOENT"

# ---- sizes -------------------------------------------------------------------
wait_for "$D/web/phase" Running 20 || fail "web not Running"
for f in spec.yaml phase conditions status.yaml status.json pod.json events \
        containers/main/state containers/main/image containers/main/restarts .; do
        [ "$f" = . ] && continue
        check "size of $f = bytes read" size_matches "$D/web/$f"
done
check "size of .last-error = bytes read" size_matches "$D/.last-error"
jq -e .metadata.uid "$D/web/pod.json" >/dev/null
is "$?" 0 "pod.json is JSON"

# ---- inotify on the pod dir / files -----------------------------------------
inotifywait -q -t 15 -e modify "$D/web/events" >"$W/ev.events" 2>&1 &
IW=$!
sleep 0.3
echo 0 >"$D/web3/delete" # unrelated pod: must not touch web's events
pod_yaml web Always "sleep 6000" 1 >"$D/web/spec.yaml" # replaced: events change
wait "$IW"
is "$?" 0 "IN_MODIFY on events when the pod changes"

# ---- deletion: rmdir returns at once -----------------------------------------
run_pod default slow Always "sleep 1000" 30 || fail "slow not Running"
t0=$(now_ms)
rmdir "$D/slow"
rc=$?
t1=$(now_ms)
is "$rc" 0 "rmdir of a running pod succeeds"
check "rmdir returned at once ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 1000
check "terminating pod still visible" test -d "$D/slow"
is "$(jq -r .metadata.deletionGracePeriodSeconds "$D/slow/pod.json")" 30 "pod.json: deletionGracePeriodSeconds"
check "pod.json: deletionTimestamp" jq -e .metadata.deletionTimestamp "$D/slow/pod.json"
is "$(errno_of mkdir "$D/slow")" EEXIST "name reuse refused while terminating"
is "$(pod_yaml slow Always "sleep 1" 1 | errno_of write "$D/slow/spec.yaml")" EEXIST "write while terminating: EEXIST"
check ".last-error: object is being deleted" grep -q 'object is being deleted: pods "slow" already exists' "$D/.last-error"
inotifywait -q -t 15 -e delete_self "$D/slow" >"$W/self.events" 2>&1 &
IW=$!
( timeout 15 cat "$D/slow/wait" >/dev/null && echo done >"$W/wait.out" ) &
WP=$!
sleep 0.3
echo 0 >"$D/slow/delete"
wait_gone "$D/slow" 15
is "$?" 0 "delete with grace 0: pod dir disappears"
wait "$IW"
is "$?" 0 "IN_DELETE_SELF on the terminating pod dir"
wait "$WP"
is "$(cat "$W/wait.out" 2>/dev/null)" done "read of wait returned when the pod was gone"
check "state removed" test -z "$(pod_uid default slow)"

# ---- logs: plain text, tail -f follows, poll() wakes ---------------------------
run_pod default talker Always "i=0; while true; do i=\$((i+1)); echo line \$i; sleep 0.2; done" 1 ||
        fail "talker not Running"
L=$D/talker/logs/main
wait_grep "$L" '^line 2$' 10
check "log is plain text (no CRI prefix)" grep -qx 'line 1' "$L"
run_pod_done() { pod_yaml done Never "echo one; echo two >&2; echo three" 1 | apply_pod default done; }
run_pod_done || fail "create done"
wait_for "$D/done/phase" Succeeded 20 || fail "done not Succeeded"
check "size of a finished log = bytes read" size_matches "$D/done/logs/main"
is "$(sort "$D/done/logs/main" | tr '\n' ' ')" "one three two " "stdout and stderr lines in the log"
timeout 3 tail -n 0 -f "$L" >"$W/tail.out" 2>/dev/null
check "tail -f sees new lines ($(wc -l <"$W/tail.out") in 3 s)" test "$(wc -l <"$W/tail.out")" -ge 3
check "poll() on a log reports new data" python3 - "$L" <<'PY'
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
while os.read(fd, 1 << 20):
    pass
p = select.poll()
p.register(fd, select.POLLIN)
t = time.time()
ev = p.poll(5000)
sys.exit(0 if ev and os.read(fd, 65536) and time.time() - t < 3 else 1)
PY
is "$(errno_of unlink "$L")" EPERM "unlink of a log: EPERM"
echo 0 >"$D/talker/delete"

# ---- restart of the daemon ---------------------------------------------------
uidw=$(pod_uid default web2)
podfs_kill9
podfs_start
check "after kill -9 and restart the pods are there" test -d "$D/web2"
is "$(pod_uid default web2)" "$uidw" "same uid after restart"

finish
