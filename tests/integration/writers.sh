#!/bin/bash
# The usual writers create pods: shell redirection, cp, tee, install, rsync
# (temp file + rename), an editor's temp file + rename; sed -i of spec.yaml
# replaces the pod; an identical rewrite changes nothing; a multi-document file.
# timeout: 120
. "$(dirname "$0")/lib.sh"
podfs_setup
require_cmd rsync install tee

FOREVER="trap 'exit 0' TERM; echo \"value=\$VALUE\"; while true; do sleep 60 & wait \$!; done"
mk() {  # mk NAME VALUE: a manifest with env VALUE
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    env:
    - name: VALUE
      value: "$2"
    command: ["sh", "-c", $(json_str "$FOREVER")]
EOF
}
D=$MNT/default
for w in redirect cp tee install rsync editor; do mk "by-$w" one >"$W/by-$w.yaml"; done

mkdir "$D/by-redirect" && cat "$W/by-redirect.yaml" >"$D/by-redirect/spec.yaml"
check "shell redirection" test $? -eq 0
check "cp into the namespace dir" cp "$W/by-cp.yaml" "$D/"
check "tee into the namespace dir" bash -c "tee '$D/by-tee.yaml' <'$W/by-tee.yaml' >/dev/null"
check "install -m 644" install -m 644 "$W/by-install.yaml" "$D/"
check "rsync (temp file + rename)" rsync "$W/by-rsync.yaml" "$D/"
check "editor-style temp file + rename" bash -c "mkdir '$D/by-editor' && cp '$W/by-editor.yaml' '$D/by-editor/.spec.yaml.swp' && mv '$D/by-editor/.spec.yaml.swp' '$D/by-editor/spec.yaml'"
for w in redirect cp tee install rsync editor; do
        check "by-$w Running" wait_for "$D/by-$w/phase" Running 20
        check "by-$w log shows the env" wait_grep "$D/by-$w/logs/main" '^value=one$' 5
done
check "no file stays beside the pods" bash -c "! ls -A '$D' | grep -vx '.namespace.yaml' | grep -E '\.yaml|\.swp|^\.by-'"

# identical rewrite: nothing changes
P=$D/by-redirect
uid0=$(pod_uid default by-redirect)
pid0=$(ctr default by-redirect main pid)
cat "$P/spec.yaml" >"$W/same.yaml"
check "identical rewrite accepted" bash -c "cat '$W/same.yaml' > '$P/spec.yaml'"
check "identical cp accepted" cp "$W/by-redirect.yaml" "$D/"
is "$(pod_uid default by-redirect)" "$uid0" "identical rewrite: same uid"
is "$(ctr default by-redirect main pid)" "$pid0" "identical rewrite: same container process"
check "identical rewrite: no deletionTimestamp" bash -c "[ \"\$(jq -r .metadata.deletionTimestamp '$P/pod.json')\" = null ]"

# sed -i on spec.yaml: a different manifest replaces the pod
t0=$(now_ms)
check "sed -i on spec.yaml" sed -i 's/value: "one"/value: "two"/' "$P/spec.yaml"
t=$(($(now_ms) - t0))
if [ "$t" -lt 1500 ]; then ok "sed -i returned after ${t} ms (does not wait for the old pod)"; else fail "sed -i took ${t} ms"; fi
check "spec.yaml shows the new manifest" grep -q 'value: "two"' "$P/spec.yaml"
check "replacement runs the new manifest" wait_grep "$P/logs/main" '^value=two$' 20
check "replacement Running" wait_for "$P/phase" Running 10
uid1=$(pod_uid default by-redirect)
check "replacement has a new uid" test -n "$uid1" -a "$uid1" != "$uid0"
check "the old container is gone" wait_pid_exit "$pid0" 10
is "$(jq -r '.spec.containers[0].env[0].value' "$P/pod.json")" two "pod.json shows the new spec"

# rewrite via cp with a different manifest: replaces as well
mk by-cp three >"$W/by-cp.yaml"
uidc=$(pod_uid default by-cp)
check "cp of a changed manifest" cp "$W/by-cp.yaml" "$D/"
check "by-cp replaced" wait_grep "$D/by-cp/logs/main" '^value=three$' 20
check "by-cp has a new uid" test "$(pod_uid default by-cp)" != "$uidc"

# several documents in one file
{ mk multi-a a; echo ---; mk multi-b b; echo ---; mk multi-c c; } >"$W/multi.yaml"
check "a three-document file via cp" cp "$W/multi.yaml" "$D/"
for x in a b c; do
        check "multi-$x Running" wait_for "$D/multi-$x/phase" Running 20
        check "multi-$x has its own env" wait_grep "$D/multi-$x/logs/main" "^value=$x\$" 5
done

finish
