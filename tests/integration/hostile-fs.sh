#!/bin/bash
# What a hostile image or pod leaves on disk must not hang or outlive it:
# an image whose /etc/passwd is a FIFO (a blocking open would hang the
# sandbox for ever, and deletion with it) and a pod that writes a directory
# tree far deeper than the fd limit and PATH_MAX (its removal used to fail
# with EMFILE while the pod was logged "removed").
# timeout: 240
. "$(dirname "$0")/lib.sh"
podfs_setup
D=$MNT/default

# ---- an image with a FIFO as /etc/passwd and "User: nobody" -------------------
mkdir -p "$W/fifo-root"
cp -a "$STATE/images/busybox/." "$W/fifo-root/"
rm -f "$W/fifo-root/etc/passwd"
mkfifo "$W/fifo-root/etc/passwd"
oci_image "$STATE/images/fifo-passwd" "$W/fifo-root" '{"User": "nobody", "Cmd": ["sleep", "3600"]}' ||
        die "cannot build the OCI image"

cat <<'EOF2' | apply_pod default fifo || fail "create fifo: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: fifo
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: fifo-passwd
EOF2
# before: the sandbox blocked for ever in open("/etc/passwd") and never published this
check "fifo: the start fails with the user lookup's message, the sandbox does not hang" \
        wait_grep "$D/fifo/events" 'Error: unable to find user nobody: no matching entries in passwd file' 20
is "$(jq -r '.containerStatuses[0].started' "$D/fifo/status.json")" false "fifo: the container never started"
# the sandbox still answers: a deletion ends the pod
rmdir "$D/fifo" || fail "rmdir fifo"
check "fifo: deleted within the grace period" wait_gone "$D/fifo" 20

# ---- a pod that writes a tree 20,000 levels deep ------------------------------
# (the default fd limit is 1,024 and PATH_MAX 4,096; 20,000 levels exceed both)
helper_install deeptree
cat <<'EOF2' | apply_pod default deep || fail "create deep: $(cat "$D/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: deep
spec:
  restartPolicy: Never
  volumes:
  - name: scratch
    emptyDir: {}
  containers:
  - name: main
    image: busybox
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
    command: ["sh", "-c", "deeptree /scratch/t 20000 && deeptree /layer 20000"]
EOF2
check "deep: the pod wrote its trees" wait_for "$D/deep/phase" Succeeded 180
is "$(grep -c '^made 20000$' "$D/deep/logs/main")" 2 "deep: both trees made (emptyDir, writable layer)"
uid=$(pod_uid default deep)
[ -n "$uid" ] || die "deep: no uid"
check "deep: the deep tree is on disk" [ -d "$STATE/pods/$uid" ]
rmdir "$D/deep" || fail "rmdir deep"
check "deep: the pod dir disappears" wait_gone "$D/deep" 60
check "deep: nothing of the pod is left in the state dir" retry_until 30 [ ! -e "$STATE/pods/$uid" ]
check "deep: its logs are gone" bash -c "! ls -d '$STATE/logs/'*_deep_* 2>/dev/null"
check "deep: the daemon logged the removal" grep -q "pod default/deep ($uid) removed" "$W/podfs.log"
check "deep: no removal error logged" bash -c "! grep -q 'stays on disk' '$W/podfs.log'"
finish
