#!/bin/bash
# Rejections: each bad input fails with an errno (EINVAL for a bad manifest) and
# a readable reason in MNT/<ns>/.last-error, while a running pod's status and
# the state dir stay exactly as they were.
# timeout: 120
. "$(dirname "$0")/lib.sh"
podfs_setup

# the pod that must not be touched
cat >"$W/run.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: run
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 3600 & wait $!; done"]
EOF
apply_pod default run <"$W/run.yaml" || die "create run"
R=$MNT/default/run
wait_for "$R/phase" Running 20 || die "run not Running"
wait_grep "$R/conditions" '^Ready True' 10 || die "run not Ready"
UID_=$(pod_uid default run)
PID_=$(ctr default run main pid)
STATUS_BEFORE=$(cat "$R/status.json")
SPEC_BEFORE=$(cat "$R/spec.yaml")
SUM_BEFORE=$(state_sum)
state_list >"$W/state.before"
LE=$MNT/default/.last-error

N=0
# expect_reject DESCRIPTION TARGET ERRNO_RE REASON_RE < input
#   TARGET: a path to write the input to; ERRNO_RE: allowed errno names;
#   REASON_RE: what .last-error must mention (case-insensitive ERE), "" = no check
expect_reject() {
        local d=$1 target=$2 errs=$3 reason=$4 r
        N=$((N + 1))
        r=$(fsop write "$target")
        if [[ "$r" =~ ^($errs)$ ]]; then
                ok "bad input $N ($d): $r"
        else
                fail "bad input $N ($d): got $r, want $errs"
                return
        fi
        [ -n "$reason" ] || return 0
        local le
        le=$(cat "$LE" 2>/dev/null)
        if [ -n "$le" ] && grep -qiE -- "$reason" <<<"$le"; then
                ok "  .last-error explains it: $(head -n 1 <<<"$le" | cut -c1-150)"
        else
                fail "  .last-error for ($d) does not mention /$reason/: '$(head -c 300 <<<"$le")'"
        fi
}
# expect_errno DESCRIPTION ERRNO_RE OP PATH [ARG]: a tree operation that must fail
expect_errno() {
        local d=$1 errs=$2 r
        shift 2
        N=$((N + 1))
        r=$(fsop "$@" </dev/null)
        if [[ "$r" =~ ^($errs)$ ]]; then ok "bad input $N ($d): $r"; else fail "bad input $N ($d): got $r, want $errs"; fi
}

pod() {     # pod NAME: a valid manifest's head, for the cases to extend
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n' "$1"
}
ctr1='  containers:
  - name: main
    image: busybox
    command: ["sleep", "1"]'

NSF=$MNT/default/bad.yaml

expect_reject "YAML syntax error" "$NSF" EINVAL 'line|yaml|parse|syntax' <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: x
spec: [
EOF
expect_reject "tab indentation" "$NSF" EINVAL 'line|yaml|tab' <<<"$(printf 'apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n')"
expect_reject "not a mapping" "$NSF" EINVAL 'mapping|object|map|kind|expected' <<<'- just
- a list'
expect_reject "a manifest of only a comment" "$R/spec.yaml" EINVAL 'empty|kind|apiVersion|document|no ' <<<'# nothing here'
# a zero-byte write (a truncating open and close) applies nothing
is "$(fsop write "$R/spec.yaml" </dev/null)" OK "an empty write is ignored"
expect_reject "binary garbage" "$NSF" EINVAL 'yaml|utf|character|invalid|parse|line' < <(head -c 512 /dev/urandom | tr -d '\n' ; printf '\x00\xff\xfe')
expect_reject "kind Deployment" "$NSF" EINVAL 'kind|Deployment' <<<"apiVersion: apps/v1
kind: Deployment
metadata:
  name: x"
expect_reject "apiVersion v2" "$NSF" EINVAL 'apiVersion|v2' <<<"apiVersion: v2
kind: Pod
metadata:
  name: x
spec:
$ctr1"
expect_reject "no containers" "$NSF" EINVAL 'containers' <<<"$(pod nocontainers)
  restartPolicy: Never"
expect_reject "containers is a string" "$NSF" EINVAL 'containers' <<<"$(pod wrongtype)
  containers: not-a-list"
expect_reject "unknown field in spec" "$NSF" EINVAL 'containerz' <<<"$(pod unknownfield)
  containerz: []
$ctr1"
expect_reject "unknown field in a container" "$NSF" EINVAL 'imagee' <<<"$(pod unknownctr)
  containers:
  - name: main
    imagee: busybox"
expect_reject "name with uppercase and _" "$NSF" EINVAL 'name|RFC|lower|DNS' <<<"$(pod Web_Server)
$ctr1"
expect_reject "name ../x" "$NSF" EINVAL 'name|RFC|DNS|\.\.' <<<"$(pod ../x)
$ctr1"
expect_reject "name with /" "$NSF" EINVAL 'name|RFC|DNS|/' <<<"$(pod a/b)
$ctr1"
expect_reject "name of 254 chars" "$NSF" EINVAL 'name|long|253|63|characters' <<<"$(pod "$(printf 'a%.0s' $(seq 1 254))")
$ctr1"
expect_reject "no metadata.name" "$NSF" EINVAL 'name' <<<"apiVersion: v1
kind: Pod
metadata: {}
spec:
$ctr1"
expect_reject "duplicate container names" "$NSF" EINVAL 'duplicate|main|unique' <<<"$(pod dupctr)
  containers:
  - name: main
    image: busybox
  - name: main
    image: busybox"
expect_reject "container without image" "$NSF" EINVAL 'image' <<<"$(pod noimage)
  containers:
  - name: main
    command: [sleep, '1']"
expect_reject "grace period is a string" "$NSF" EINVAL 'terminationGracePeriodSeconds|integer|number' <<<"$(pod gracestr)
  terminationGracePeriodSeconds: thirty
$ctr1"
expect_reject "negative grace period" "$NSF" EINVAL 'terminationGracePeriodSeconds|negative|non-negative|>= ?0' <<<"$(pod graceneg)
  terminationGracePeriodSeconds: -5
$ctr1"
expect_reject "restartPolicy Sometimes" "$NSF" EINVAL 'restartPolicy|Sometimes' <<<"$(pod policy)
  restartPolicy: Sometimes
$ctr1"
expect_reject "containerPort 70000" "$NSF" EINVAL 'port|70000|65535|range' <<<"$(pod port)
  containers:
  - name: main
    image: busybox
    ports:
    - containerPort: 70000"
expect_reject "volumeMount of an undefined volume" "$NSF" EINVAL 'volume|nope|not found' <<<"$(pod novol)
  containers:
  - name: main
    image: busybox
    volumeMounts:
    - name: nope
      mountPath: /x"
expect_reject "duplicate volume names" "$NSF" EINVAL 'duplicate|vol|unique' <<<"$(pod dupvol)
  volumes:
  - name: vol
    emptyDir: {}
  - name: vol
    emptyDir: {}
$ctr1"
expect_reject "duplicate key in a mapping" "$NSF" EINVAL 'duplicate|name|key' <<<"apiVersion: v1
kind: Pod
metadata:
  name: dupkey
  name: dupkey2
spec:
$ctr1"
expect_reject "metadata.namespace other than the directory" "$NSF" EINVAL 'namespace|other' <<<"apiVersion: v1
kind: Pod
metadata:
  name: wrongns
  namespace: other
spec:
$ctr1"
expect_reject "spec.yaml naming another pod" "$R/spec.yaml" EINVAL 'name|other|run|match' <<<"$(pod other)
$ctr1"
expect_reject "spec.yaml with two documents" "$R/spec.yaml" EINVAL 'document|one|single|multiple' <<<"$(cat "$W/run.yaml")
---
$(cat "$W/run.yaml")"
expect_reject "bad manifest into the running pod's spec.yaml" "$R/spec.yaml" EINVAL 'containerz' <<<"$(pod run)
  containerz: []"
expect_reject "multi-document file with a bad second document" "$NSF" EINVAL 'imagee|document|2' <<<"$(pod gooddoc)
$ctr1
---
$(pod baddoc)
  containers:
  - name: main
    imagee: busybox"
check "  nothing of a rejected multi-document file was applied" test ! -e "$MNT/default/gooddoc"
# huge input: 20 MB
N=$((N + 1))
r=$( { pod huge; echo "$ctr1"; head -c 20000000 /dev/zero | tr '\0' '#' | fold -w 100 | sed 's/^/# /'; } | fsop write "$NSF")
if [ "$r" != OK ]; then ok "bad input $N (20 MB manifest): $r"; else fail "bad input $N (20 MB manifest) accepted"; fi
check "  the huge pod does not exist" test ! -e "$MNT/default/huge"

# operations on the tree
expect_errno "write to phase" 'EACCES|EPERM|EROFS|EBADF' write "$R/phase"
expect_errno "write to status.json" 'EACCES|EPERM|EROFS|EBADF' write "$R/status.json"
expect_errno "truncate pod.json" 'EACCES|EPERM|EROFS|EBADF' truncate "$R/pod.json"
expect_errno "unlink phase" 'EACCES|EPERM|EROFS|EBUSY' unlink "$R/phase"
expect_errno "write to a container file" 'EACCES|EPERM|EROFS|EBADF' write "$R/containers/main/state"
expect_errno "mkdir inside a pod dir" 'EACCES|EPERM|EROFS|EINVAL' mkdir "$R/sub"
expect_errno "rmdir default" 'EBUSY|EPERM|EACCES|ENOTEMPTY' rmdir "$MNT/default"
expect_errno "mkdir namespace Bad_NS" 'EINVAL' mkdir "$MNT/Bad_NS"
expect_errno "mkdir pod dir Bad_Pod" 'EINVAL' mkdir "$MNT/default/Bad_Pod"
expect_errno "rename a pod dir" 'EPERM|EACCES|EXDEV|EINVAL|EBUSY|ENOTSUP|EOPNOTSUPP' rename "$R" "$MNT/default/run2"
expect_errno "symlink in a namespace" 'EPERM|EACCES|EROFS|ENOTSUP|EOPNOTSUPP|ENOSYS' symlink "$MNT/default/link" /etc
N=$((N + 1))
r=$(echo soon | fsop write "$R/delete")
if [ "$r" = EINVAL ]; then ok "bad input $N (delete 'soon'): EINVAL"; else fail "bad input $N (delete 'soon'): $r"; fi
N=$((N + 1))
r=$(printf '%s\n' -3 | fsop write "$R/delete")
if [ "$r" = EINVAL ]; then ok "bad input $N (delete -3): EINVAL"; else fail "bad input $N (delete -3): $r"; fi

log "$N bad inputs tried"
check "at least 20 distinct bad inputs" test "$N" -ge 20

# nothing was touched
check "the running pod is still Running" grep -qx Running "$R/phase"
is "$(pod_uid default run)" "$UID_" "the running pod's uid is unchanged"
is "$(ctr default run main pid)" "$PID_" "the container was not restarted (same pid)"
is "$(ctr default run main restarts)" 0 "no restart"
check "status.json unchanged" test "$(cat "$R/status.json")" = "$STATUS_BEFORE"
check "spec.yaml unchanged" test "$(cat "$R/spec.yaml")" = "$SPEC_BEFORE"
SUM_AFTER=$(state_sum)
if [ "$SUM_AFTER" = "$SUM_BEFORE" ]; then
        ok "state dir unchanged (checksum)"
else
        fail "state dir changed:"
        state_list | diff "$W/state.before" - | sed 's/^/# /'
fi
check "no pod was created by a rejected input" bash -c "[ \"\$(ls '$MNT/default')\" = run ]"
check "the bad.yaml file did not stay" test ! -e "$NSF"

finish
