#!/bin/bash
# Images from registries: a real registry (Debian's docker-registry) on
# 127.0.0.1 only, images pushed with skopeo; podfs pulls them with skopeo.
# imagePullPolicy, the kubelet's events and reasons, back-off, pull secrets,
# concurrent pulls, the store, image volumes (KEP-4639).
# timeout: 300
. "$(dirname "$0")/lib.sh"
for c in skopeo docker-registry htpasswd; do
        command -v "$c" >/dev/null || skip "no $c installed (apt-get install skopeo docker-registry apache2-utils)"
done
podfs_setup --no-mount
require_cmd jq

# ---- registries: one open, one behind htpasswd --------------------------------
# reg_start NAME [HTPASSWD]: a registry on 127.0.0.1:<random>; prints its port.
reg_start() {
        local d=$W/reg-$1 i port
        mkdir -p "$d/store"
        {
                printf 'version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n'
                printf 'storage:\n  filesystem:\n    rootdirectory: %s\n' "$d/store"
                printf 'http:\n  addr: 127.0.0.1:0\n'
                [ -z "${2:-}" ] || printf 'auth:\n  htpasswd:\n    realm: podfs-test\n    path: %s\n' "$2"
        } >"$d/config.yml"
        docker-registry serve "$d/config.yml" >"$d/log" 2>&1 </dev/null &
        for i in $(seq 1 200); do
                port=$(grep -o 'listening on 127.0.0.1:[0-9]*' "$d/log" | head -n1 | cut -d: -f2)
                [ -n "$port" ] && { echo "$port"; return 0; }
                sleep 0.05
        done
        return 1
}
htpasswd -Bbc "$W/htpasswd" alice s3cret >/dev/null 2>&1 || die "htpasswd"
P=$(reg_start open) || die "registry did not start"
PP=$(reg_start auth "$W/htpasswd") || die "protected registry did not start"
REG=127.0.0.1:$P
PREG=127.0.0.1:$PP
log "registries on $REG and $PREG (htpasswd)"
# plain http on loopback: a registries.conf as a user would write one
printf '[[registry]]\nlocation = "%s"\ninsecure = true\n\n[[registry]]\nlocation = "%s"\ninsecure = true\n' \
        "$REG" "$PREG" >>"$CONTAINERS_REGISTRIES_CONF"
# requests for a manifest (tag) seen by the open registry
manifest_gets() { grep -c "\"GET /v2/busybox/manifests/$1 " "$W/reg-open/log"; }

# push_image REF CMD: the busybox rootfs with CMD as its Cmd, pushed to REF.
push_image() {
        local l=$W/layout-$RANDOM
        oci_image "$l" "$STATE/images/busybox" "$(jq -cn --arg c "$2" '{Cmd: ["sh", "-c", $c]}')" v || return 1
        skopeo --registries-conf "$W/registries.conf" copy -q ${3:+--dest-creds "$3"} "oci:$l:v" "docker://$1" ||
                return 1
        rm -rf "$l"
}
# push_dir REF DIR [CREDS]: DIR as a one-layer image without a command (an image volume's content).
push_dir() {
        local l=$W/layout-$RANDOM
        oci_image "$l" "$2" '{}' v || return 1
        skopeo --registries-conf "$W/registries.conf" copy -q ${3:+--dest-creds "$3"} "oci:$l:v" "docker://$1" ||
                return 1
        rm -rf "$l"
}
push_image "$REG/busybox:1" 'echo hello from the registry; sleep 1000' || die "push busybox:1"
digest=sha256:$(skopeo --registries-conf "$W/registries.conf" inspect --raw "docker://$REG/busybox:1" | sha256sum | cut -d' ' -f1)
n1=$(manifest_gets 1)   # skopeo inspect's
push_image "$REG/busybox:2" 'echo second tag; sleep 1000' || die "push busybox:2"
push_image "$PREG/secret:1" 'echo protected; sleep 1000' alice:s3cret || die "push the protected image"
mkdir -p "$W/data" && echo "data from the registry" >"$W/data/marker"
push_dir "$REG/data:1" "$W/data" || die "push data:1"
push_dir "$PREG/data:1" "$W/data" alice:s3cret || die "push the protected data:1"
podfs_start

# pod NAME IMAGE [POLICY] [EXTRA SPEC LINES]: a pod of one container "main" running the image's Cmd.
pod() {
        cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
${4:-}
  containers:
  - name: main
    image: $(json_str "$2")
${3:+    imagePullPolicy: $3}
YAML
}
ev() { cat "$STATE/pods/$(pod_uid default "$1")/events" 2>/dev/null; }   # TIME\tTYPE\tREASON\tOBJECT\tSOURCE\tMESSAGE
st() { jq -r "$2" "$MNT/default/$1/status.json" 2>/dev/null; }
expect() { is "$2" "$3" "$1"; }   # expect DESCRIPTION GOT WANT

# ---- a pull: events, imageID, the image's Cmd ----------------------------------
pod p1 "$REG/busybox:1" | apply_pod default p1 || fail "create p1"
wait_for "$MNT/default/p1/phase" Running 30 || fail "p1 pulls and runs"
wait_grep "$MNT/default/p1/logs/main" 'hello from the registry' 10 || fail "p1 runs the image's Cmd"
check "Pulling event" grep -qP "\tNormal\tPulling\tspec.containers\{main\}\tkubelet\tPulling image \"$REG/busybox:1\"$" \
        <(ev p1)
check "Pulled event with time and size" grep -qP "\tNormal\tPulled\tspec.containers\{main\}\tkubelet\tSuccessfully pulled image \"$REG/busybox:1\" in [0-9.]+m?s \([0-9.]+m?s including waiting\)\. Image size: [1-9][0-9]+ bytes\.$" \
        <(ev p1)
expect "imageID is REPO@digest" "$(st p1 '.containerStatuses[0].imageID')" "$REG/busybox@$digest"
expect "one manifest request for the pull" "$(manifest_gets 1)" $((n1 + 1))

# ---- IfNotPresent: no second pull ----------------------------------------------
pod p2 "$REG/busybox:1" IfNotPresent | apply_pod default p2 || fail "create p2"
wait_for "$MNT/default/p2/phase" Running 30 || fail "p2 runs"
check "present image: the kubelet's event" grep -qP "\tPulled\t.*Container image \"$REG/busybox:1\" already present on machine and can be accessed by the pod$" \
        <(ev p2)
no_pulling() { ! ev "$1" | grep -qP '\tPulling\t'; }
check "IfNotPresent: no Pulling" no_pulling p2
expect "IfNotPresent pulls once (registry log)" "$(manifest_gets 1)" $((n1 + 1))

# ---- Always notices a re-pushed tag --------------------------------------------
push_image "$REG/busybox:1" 'echo pushed again; sleep 1000' || fail "re-push busybox:1"
pod p3 "$REG/busybox:1" Always | apply_pod default p3 || fail "create p3"
wait_for "$MNT/default/p3/phase" Running 30 || fail "p3 runs"
wait_grep "$MNT/default/p3/logs/main" 'pushed again' 10 || fail "Always runs the re-pushed image"
check "Always: Pulling" grep -q "Pulling image" <(ev p3)
check "a new imageID" test "$(st p3 '.containerStatuses[0].imageID')" != "$REG/busybox@$digest"

# ---- Never ------------------------------------------------------------------------
pod p4 "$REG/busybox:absent" Never | apply_pod default p4 || fail "create p4"
wait_for "$MNT/default/p4/containers/main/reason" ErrImageNeverPull 20 || fail "Never: ErrImageNeverPull"
expect "Never: the kubelet's message" "$(st p4 '.containerStatuses[0].state.waiting.message')" \
        "Container image \"$REG/busybox:absent\" is not present with pull policy of Never"
check "Never: event" grep -qP "\tWarning\tErrImageNeverPull\t.*Container image \"$REG/busybox:absent\" is not present with pull policy of Never$" \
        <(ev p4)
expect "Never: Pending" "$(cat "$MNT/default/p4/phase")" Pending

# ---- a malformed reference: InvalidImageName ------------------------------------
pod p5 "nginx:" | apply_pod default p5 || fail "create p5"
wait_for "$MNT/default/p5/containers/main/reason" InvalidImageName 20 || fail "InvalidImageName"
expect "InvalidImageName message" "$(st p5 '.containerStatuses[0].state.waiting.message')" \
        "Failed to apply default image tag \"nginx:\": couldn't parse image name \"nginx:\": invalid reference format"

# ---- a missing tag: ErrImagePull, ImagePullBackOff, then it starts by itself -----
pod p6 "$REG/busybox:3" | apply_pod default p6 || fail "create p6"
wait_for "$MNT/default/p6/containers/main/reason" ErrImagePull 20 || fail "missing tag: ErrImagePull"
check "Failed event with skopeo's message" grep -qP "\tWarning\tFailed\t.*Failed to pull image \"$REG/busybox:3\": .*manifest unknown" \
        <(ev p6)
wait_for "$MNT/default/p6/containers/main/reason" ImagePullBackOff 10 || fail "then ImagePullBackOff"
check "Back-off event" grep -qP "\tNormal\tBackOff\t.*Back-off pulling image \"$REG/busybox:3\"$" <(ev p6)
check "ImagePullBackOff message: the last pull's error after the back-off's words" \
        grep -qP "^Back-off pulling image \"$REG/busybox:3\": ErrImagePull: .*manifest unknown" \
        <(st p6 '.containerStatuses[0].state.waiting.message')
expect "nothing half-pulled: no record of busybox:3" "$(grep -l "busybox:3" "$STATE"/cache/pulled/* 2>/dev/null)" ""
push_image "$REG/busybox:3" 'echo third; sleep 1000' || fail "push busybox:3"
wait_for "$MNT/default/p6/phase" Running 30 || fail "after the push the pod starts by itself (back-off 10 s)"

# ---- two pods pulling at once pull once ------------------------------------------
pod c1 "$REG/busybox:2" >"$W/c1.yaml"
pod c2 "$REG/busybox:2" >"$W/c2.yaml"
mkdir "$MNT/default/c1" "$MNT/default/c2"
cat "$W/c1.yaml" >"$MNT/default/c1/spec.yaml" &
a=$!
cat "$W/c2.yaml" >"$MNT/default/c2/spec.yaml" &
wait "$a" $!
wait_for "$MNT/default/c1/phase" Running 30 || fail "c1 runs"
wait_for "$MNT/default/c2/phase" Running 30 || fail "c2 runs"
expect "two pods at once: one pull of busybox:2" "$(manifest_gets 2)" 1

# ---- a protected registry ---------------------------------------------------------
pod s1 "$PREG/secret:1" | apply_pod default s1 || fail "create s1"
wait_for "$MNT/default/s1/containers/main/reason" ErrImagePull 20 || fail "no credentials: ErrImagePull"
check "no credentials: the registry's refusal" grep -qiP "Failed to pull image \"$PREG/secret:1\": .*(unauthorized|authentication required)" \
        <(ev s1)

# with an imagePullSecret (kubernetes.io/dockerconfigjson), and a missing one beside it
cfg=$(jq -cn --arg r "$PREG" --arg a "$(printf alice:s3cret | base64)" '{auths: {($r): {auth: $a}}}')
cat >"$W/regcred.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata: {name: regcred}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '$cfg'
YAML
cp "$W/regcred.yaml" "$MNT/default/" || fail "apply the Secret"
pod s2 "$PREG/secret:1" "" "  imagePullSecrets: [{name: nosuch}, {name: regcred}]" | apply_pod default s2 || fail "create s2"
wait_for "$MNT/default/s2/phase" Running 30 || fail "imagePullSecrets: the protected image pulls"
wait_grep "$MNT/default/s2/logs/main" protected 10 || fail "s2 runs the protected image"
check "missing secret: the kubelet's warning" grep -qP "\tWarning\tFailedToRetrieveImagePullSecret\t[^\t]*\tkubelet\tUnable to retrieve some image pull secrets \(nosuch\); attempting to pull the image may not succeed\.$" \
        <(ev s2)
expect "the auth file is gone after the pull" "$(ls -A "$STATE/cache/auth" 2>/dev/null)" ""
check "pod.json shows imagePullSecrets" grep -q regcred <(jq -c .spec.imagePullSecrets "$MNT/default/s2/pod.json")

# a wrong password; an unreachable registry
cfg=$(jq -cn --arg r "$PREG" --arg a "$(printf alice:wrong | base64)" '{auths: {($r): {auth: $a}}}')
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: badcred}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: %s\n' \
        "'$cfg'" >"$W/badcred.yaml"
cp "$W/badcred.yaml" "$MNT/default/" || fail "apply the bad Secret"
pod s3 "$PREG/secret:1" Always "  imagePullSecrets: [{name: badcred}]" | apply_pod default s3 || fail "create s3"
wait_for "$MNT/default/s3/containers/main/reason" ErrImagePull 20 || fail "a wrong password: ErrImagePull"
check "a wrong password: the registry's refusal" grep -qiP "Failed to pull image \"$PREG/secret:1\": .*(unauthorized|authentication required)" \
        <(ev s3)
pod u1 "127.0.0.1:1/busybox:1" | apply_pod default u1 || fail "create u1"
wait_for "$MNT/default/u1/containers/main/reason" ErrImagePull 20 || fail "an unreachable registry: ErrImagePull"
check "an unreachable registry: skopeo's reason" grep -qP "Failed to pull image \"127.0.0.1:1/busybox:1\": .*connection refused" \
        <(ev u1)
expect "failed pulls leave no record" "$(cat "$STATE"/cache/pulled/* | grep -c -e '^ref 127.0.0.1:1/' -e "^ref $PREG/")" 1

# ---- image volumes (KEP-4639): pulled as the container images are ------------------
# vpod NAME REFERENCE [PULLPOLICY] [EXTRA SPEC LINES]: a local-image container mounting REFERENCE on /data.
vpod() {
        cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
${4:-}
  volumes:
  - name: data
    image:
      reference: $(json_str "$2")
${3:+      pullPolicy: $3}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cat /data/marker; touch /data/x 2>/dev/null || echo read-only; sleep 1000"]
    volumeMounts: [{name: data, mountPath: /data}]
YAML
}
vpod v1 "$REG/data:1" | apply_pod default v1 || fail "create v1"
wait_for "$MNT/default/v1/phase" Running 30 || fail "image volume: pulled, the pod runs"
wait_grep "$MNT/default/v1/logs/main" 'data from the registry' 10 || fail "image volume: its content is visible"
wait_grep "$MNT/default/v1/logs/main" 'read-only' 10 || fail "image volume: read-only"
check "image volume: Pulling, the pod's event" grep -qP "\tNormal\tPulling\tpod/v1\tkubelet\tPulling image \"$REG/data:1\"$" <(ev v1)
check "image volume: Pulled, the pod's event" grep -qP "\tNormal\tPulled\tpod/v1\tkubelet\tSuccessfully pulled image \"$REG/data:1\" in " <(ev v1)
expect "image volume: default pullPolicy of a tag" "$(jq -r '.spec.volumes[0].image.pullPolicy' "$MNT/default/v1/pod.json")" IfNotPresent
vpod v1b "$REG/data:1" | apply_pod default v1b || fail "create v1b"
wait_for "$MNT/default/v1b/phase" Running 30 || fail "v1b runs"
check "image volume present: the kubelet's event" grep -qP "\tNormal\tPulled\tpod/v1b\tkubelet\tContainer image \"$REG/data:1\" already present on machine and can be accessed by the pod$" <(ev v1b)
check "image volume present: no Pulling" no_pulling v1b

# imagePullSecrets apply (Always: the registry is asked again, with credentials)
vpod v2 "$PREG/data:1" Always "  imagePullSecrets: [{name: regcred}]" | apply_pod default v2 || fail "create v2"
wait_for "$MNT/default/v2/phase" Running 30 || fail "image volume: imagePullSecrets apply"
wait_grep "$MNT/default/v2/logs/main" 'data from the registry' 10 || fail "v2: the protected volume's content"
vpod v2b "$PREG/data:1" Always | apply_pod default v2b || fail "create v2b"
wait_for "$MNT/default/v2b/containers/main/reason" ErrImagePull 20 || fail "image volume without credentials: ErrImagePull"

# Never, the image absent
vpod v3 "$REG/data:absent" Never | apply_pod default v3 || fail "create v3"
wait_for "$MNT/default/v3/containers/main/reason" ErrImageNeverPull 20 || fail "image volume, Never: ErrImageNeverPull"
expect "image volume, Never: the kubelet's message" "$(st v3 '.containerStatuses[0].state.waiting.message')" \
        "Container image \"$REG/data:absent\" is not present with pull policy of Never"
check "image volume, Never: the pod's event" grep -qP "\tWarning\tErrImageNeverPull\tpod/v3\tkubelet\tContainer image \"$REG/data:absent\" is not present with pull policy of Never$" <(ev v3)
check "image volume, Never: the container's event" grep -qP "\tWarning\tFailed\tspec.containers\{main\}\tkubelet\tError: ErrImageNeverPull$" <(ev v3)
no_created() { ! ev "$1" | grep -qP '\tCreated\t'; }
check "image volume, Never: no container created" no_created v3
expect "image volume, Never: Pending" "$(cat "$MNT/default/v3/phase")" Pending

# absent from the registry: ErrImagePull, ImagePullBackOff, pulled again after the back-off
vpod v4 "$REG/data:missing" | apply_pod default v4 || fail "create v4"
wait_for "$MNT/default/v4/containers/main/reason" ErrImagePull 20 || fail "image volume missing: ErrImagePull"
check "image volume missing: the pod's Failed event" grep -qP "\tWarning\tFailed\tpod/v4\tkubelet\tFailed to pull image \"$REG/data:missing\": .*manifest unknown" <(ev v4)
check "image volume missing: the container's event" grep -qP "\tWarning\tFailed\tspec.containers\{main\}\tkubelet\tError: ErrImagePull$" <(ev v4)
wait_for "$MNT/default/v4/containers/main/reason" ImagePullBackOff 10 || fail "image volume missing: then ImagePullBackOff"
check "image volume missing: the back-off message, with the last pull's error" \
        grep -qP "^Back-off pulling image \"$REG/data:missing\": ErrImagePull: .*manifest unknown" \
        <(st v4 '.containerStatuses[0].state.waiting.message')
check "image volume missing: BackOff, the pod's event" grep -qP "\tNormal\tBackOff\tpod/v4\tkubelet\tBack-off pulling image \"$REG/data:missing\"$" <(ev v4)
two_pulls() { [ "$(ev v4 | grep -cP '\tPulling\t')" -ge 2 ]; }
check "image volume missing: pulled again after the back-off" retry_until 25 two_pulls
t1=$(ev v4 | grep -P '\tPulling\t' | sed -n 1p | cut -f1)
t2=$(ev v4 | grep -P '\tPulling\t' | sed -n 2p | cut -f1)
check "image volume missing: the retry waited the back-off (10 s)" \
        test $(($(date -d "$t2" +%s) - $(date -d "$t1" +%s))) -ge 9
check "image volume missing: no container created" no_created v4
for p in v1 v1b v2 v2b v3 v4; do rmdir "$MNT/default/$p"; done
for p in v1 v1b v2 v2b v3 v4; do wait_gone "$MNT/default/$p" 20 || fail "$p deleted"; done

# ---- the store: MNT/.images ---------------------------------------------------------
img2="$REG%2Fbusybox:2"
check "ls .images lists the pulled images" grep -qxF "$img2" <(ls -A "$MNT/.images")
check ".images entry: ref" grep -qxF "ref $REG/busybox:2" "$MNT/.images/$img2"
check ".images entry: the pods using it" grep -qE "^pods (default/c1 default/c2|default/c2 default/c1)$" "$MNT/.images/$img2"
check ".images entry: size and id" grep -qE "^size [1-9][0-9]+$" "$MNT/.images/$img2"
expect "rm of an image in use: EBUSY" "$(fsop unlink "$MNT/.images/$img2")" EBUSY
nblobs=$(ls "$STATE/cache/oci/blobs/sha256" | wc -l)
rmdir "$MNT/default/c1" "$MNT/default/c2"
wait_gone "$MNT/default/c1" 20 && wait_gone "$MNT/default/c2" 20 || fail "c1, c2 deleted"
expect "rm of an unused image" "$(fsop unlink "$MNT/.images/$img2")" OK
check "... it is gone from .images" bash -c "! ls -A '$MNT/.images' | grep -qxF '$img2'"
check "... its blobs only it needed are freed" test "$(ls "$STATE/cache/oci/blobs/sha256" | wc -l)" -lt "$nblobs"
pod c3 "$REG/busybox:2" | apply_pod default c3 || fail "create c3"
wait_for "$MNT/default/c3/phase" Running 30 || fail "a removed image is pulled again"

# ---- a sandbox killed mid-pull: the pull dies with it, the next one cleans up ----
exec {lk}>>"$STATE/cache/oci.lock"
flock "$lk"     # the store is busy: the next pull waits for it
pod k1 "$REG/busybox:1" Always | apply_pod default k1 || fail "create k1"
retry_until 10 pgrep -f "podfs-image pull --state-dir $STATE" >/dev/null || fail "k1's pull started"
ipid=$(pgrep -f "podfs-image pull --state-dir $STATE" | head -n1)
spid=$(ps -o ppid= -p "$ipid" | tr -d ' ')
check "the pull is a child of k1's sandbox" grep -q "$(pod_uid default k1)" "/proc/$spid/cmdline"
kill -9 "$spid"
check "the pull dies with its sandbox" retry_until 10 bash -c "! kill -0 $ipid 2>/dev/null"
mkdir -p "$STATE/cache/images/.tmp-999999-dead" && touch "$STATE/cache/oci/oci-put-blob123"
flock -u "$lk"
exec {lk}>&-
wait_for "$MNT/default/k1/phase" Running 30 || fail "k1 runs after its sandbox was restarted"
expect "what a killed pull left is removed by the next one" \
        "$(ls -d "$STATE"/cache/images/.tmp-* "$STATE"/cache/oci/oci-put-blob* 2>/dev/null)" ""

# ---- a full disk during a pull: podfs-image alone, on a 1 MiB tmpfs ----------------
mkdir -p "$W/full"
mount -t tmpfs -o size=1m podfs-test-full "$W/full" || die "mount a tmpfs"
out=$(PODFS_SKOPEO=skopeo "$BUILD/runtime/podfs-image" pull --state-dir "$W/full" --image "$REG/busybox:1" 2>&1)
check "disk full: the pull fails with the reason" grep -q "no space left on device" <<<"$out"
expect "disk full: no record, no temporary file, no half tree" \
        "$(ls -A "$W/full/cache/pulled" "$W/full/cache/images" 2>/dev/null | grep -v ':$' | grep -v '^$'; ls "$W/full/cache/oci" | grep oci-put-blob)" ""
umount "$W/full"

# ---- image GC: a second node on a small tmpfs state dir, thresholds 1 % / 0 % ------
# (every pull then collects: whatever no pod uses goes, least recently used first)
G=$W/gc
mkdir -p "$G/state" "$G/mnt"
mount -t tmpfs -o size=64m podfs-test-gc "$G/state" || die "mount a tmpfs"
"$PODFS_BIN" --state-dir "$G/state" -f --cni-conf-dir "$CNI_LO_DIR" --image-gc-high-threshold 1 --image-gc-low-threshold 0 "$G/mnt" \
        >>"$W/podfs-gc.log" 2>&1 </dev/null &
retry_until 10 test -d "$G/mnt/default" || die "the second daemon did not mount"
gpod() { mkdir -p "$G/mnt/default/$1" && pod "$1" "$2" >"$G/mnt/default/$1/spec.yaml"; }
gimgs() { ls -A "$G/mnt/.images"; }
gpod g1 "$REG/busybox:1" || fail "create g1"
wait_for "$G/mnt/default/g1/phase" Running 30 || fail "g1 runs"
mkdir -p "$G/mnt/default/gv" && vpod gv "$REG/data:1" >"$G/mnt/default/gv/spec.yaml" || fail "create gv"
sed -i "s|image: busybox|image: $REG/busybox:1|" "$G/mnt/default/gv/spec.yaml"
wait_for "$G/mnt/default/gv/phase" Running 30 || fail "gv runs with its image volume"
gpod g2 "$REG/busybox:2" || fail "create g2"
wait_for "$G/mnt/default/g2/phase" Running 30 || fail "g2 runs"
check "GC never removes an image in use" grep -qxF "$REG%2Fbusybox:1" <(gimgs)
rmdir "$G/mnt/default/g2"
wait_gone "$G/mnt/default/g2" 20 || fail "g2 deleted"
check "an image no pod uses stays until a pull crosses the threshold" grep -qxF "$REG%2Fbusybox:2" <(gimgs)
gpod g3 "$REG/busybox:3" || fail "create g3"
wait_for "$G/mnt/default/g3/phase" Running 30 || fail "g3 runs"
check "GC removed the unused image" bash -c "! grep -qxF '$REG%2Fbusybox:2' <(ls -A '$G/mnt/.images')"
check "... and kept the ones in use" grep -qxF "$REG%2Fbusybox:1" <(gimgs)
check "... and the one just pulled" grep -qxF "$REG%2Fbusybox:3" <(gimgs)
check "... and the one a running pod mounts as a volume" grep -qxF "$REG%2Fdata:1" <(gimgs)
check ".images: the pod mounting it uses it" grep -qx "pods default/gv" "$G/mnt/.images/$REG%2Fdata:1"
expect "a low threshold not below the high one is refused" \
        "$("$PODFS_BIN" --image-gc-high-threshold 50 --image-gc-low-threshold 50 "$G/mnt" 2>&1)" \
        "podfs: --image-gc-low-threshold (50) must be less than --image-gc-high-threshold (50)"
echo 0 >"$G/mnt/default/g1/delete"; echo 0 >"$G/mnt/default/g3/delete"; echo 0 >"$G/mnt/default/gv/delete"
wait_gone "$G/mnt/default/g1" 20 && wait_gone "$G/mnt/default/g3" 20 && wait_gone "$G/mnt/default/gv" 20 ||
        fail "g1, g3 and gv deleted"
fusermount3 -u "$G/mnt" 2>/dev/null

# ---- a digest mismatch: the registry serves a corrupted blob ---------------------
push_image "$REG/corrupt:1" 'echo corrupt' || fail "push corrupt:1"
cdig=$(skopeo --registries-conf "$CONTAINERS_REGISTRIES_CONF" inspect --raw "docker://$REG/corrupt:1" | jq -r .config.digest)
blob=$W/reg-open/store/docker/registry/v2/blobs/sha256/${cdig:7:2}/${cdig#sha256:}/data
[ -f "$blob" ] || fail "the config blob in the registry's storage"
tr '{' '[' <"$blob" >"$blob.x" && mv "$blob.x" "$blob"
mkdir -p "$W/dm"
out=$("$BUILD/runtime/podfs-image" pull --state-dir "$W/dm" --image "$REG/corrupt:1" 2>&1)
check "digest mismatch: refused with skopeo's reason" grep -qi "digest" <<<"$out"
expect "digest mismatch: no record, no tree" "$(ls -A "$W/dm/cache/pulled" "$W/dm/cache/images" 2>/dev/null | grep -v ':$' | grep -v '^$')" ""

finish
