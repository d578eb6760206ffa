#!/bin/bash
# ConfigMaps, Secrets and PersistentVolumeClaims: applied from a manifest
# alongside pods (all or nothing), the .configmaps/.secrets/.pvcs tree, shell
# management (mkdir, echo > key, rm, rmdir), the immutable rule, Secrets
# readable by root only and never quoted, a claim in use, kill -9 + restart,
# the per-user quota on stored objects (--max-object-bytes-per-user).
# timeout: 180
. "$(dirname "$0")/lib.sh"
require_cmd setpriv python3
podfs_setup
D=$MNT/default
UA=65534
as_user() {
        local u=$1
        shift
        (cd / && setpriv --reuid="$u" --regid="$u" --clear-groups -- /bin/sh -c 'exec "$@"' sh "$@")
}
user_fsop() {
        local u=$1
        shift
        as_user "$u" /usr/bin/python3 -c "$FSOP_PY" "$@"
}
fails() { ! "$@" 2>/dev/null; }

# ---- a mixed manifest
cat >"$W/mixed.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  LOG_LEVEL: info
  app.properties: |
    a=1
    b=2
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
data:
  user: YWRtaW4=
stringData:
  password: hunter2-s3cr3t
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: data
    persistentVolumeClaim:
      claimName: data
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 60 & wait $!; done"]
YAML
r=$(fsop write "$D/mixed.yaml" <"$W/mixed.yaml")
is "$r" OK "a mixed manifest (ConfigMap, Secret, PVC, Pod) is applied with one write"
check "cp of the same manifest is accepted (identical re-apply)" cp "$W/mixed.yaml" "$D/"
check "the pod was created" test -d "$D/web"
is "$(ls "$D")" web "the namespace lists exactly the pods"
is "$(ls -a "$D" | grep '^\.[a-z]' | tr '\n' ' ')" ".configmaps .last-error .namespace.yaml .pvcs .secrets " "dot entries in the namespace"
is "$(ls "$D/.configmaps")" app-config ".configmaps lists the ConfigMap"
is "$(cat "$D/.configmaps/app-config/LOG_LEVEL")" info "a key's value"
is "$(stat -c %s "$D/.configmaps/app-config/app.properties")" "$(cat "$D/.configmaps/app-config/app.properties" | wc -c)" "stat size = what read returns"
is "$(ls "$D/.configmaps/app-config" | tr '\n' ' ')" "LOG_LEVEL app.properties " "one file per key"
check "..object.yaml shows the ConfigMap" grep -q '^kind: ConfigMap' "$D/.configmaps/app-config/..object.yaml"
check "..object.yaml has a uid and a creationTimestamp" grep -q 'creationTimestamp:' "$D/.configmaps/app-config/..object.yaml"
is "$(cat "$D/.secrets/creds/user")" admin "a Secret's data is decoded"
is "$(cat "$D/.secrets/creds/password")" hunter2-s3cr3t "stringData is merged into data"
check "the Secret's ..object.yaml has its data in base64" grep -q 'password: aHVudGVyMi1zM2NyM3Q=' "$D/.secrets/creds/..object.yaml"
is "$(stat -c '%a %u %g' "$D/.secrets/creds")" "700 0 0" "a Secret's dir is root's, 0700"
is "$(stat -c '%a %u %g' "$D/.secrets/creds/user")" "600 0 0" "a Secret's files are root's, 0600"
check "the claim's object" grep -q 'phase: Bound' "$D/.pvcs/data/..object.yaml"
check "the claim's volumeMode defaults to Filesystem" grep -q 'volumeMode: Filesystem' "$D/.pvcs/data/..object.yaml"
is "$(cat "$D/.pvcs/data/path")" "$STATE/claims/default/data" "the claim's path"
check "the claim's dir exists" test -d "$STATE/claims/default/data"
check "the objects are in the state dir" test -f "$STATE/objects/default/configmaps/app-config"
uid1=$(grep '  uid:' "$D/.configmaps/app-config/..object.yaml")
rv1=$(grep 'resourceVersion:' "$D/.configmaps/app-config/..object.yaml")
is "$rv1" "  resourceVersion: \"1\"" "an identical re-apply changes nothing"

# ---- update keeps uid, bumps resourceVersion
sed 's/LOG_LEVEL: info/LOG_LEVEL: debug/' "$W/mixed.yaml" >"$W/mixed2.yaml"
check "a changed manifest is applied" cp "$W/mixed2.yaml" "$D/mixed.yaml"
is "$(cat "$D/.configmaps/app-config/LOG_LEVEL")" debug "the new value"
is "$(grep '  uid:' "$D/.configmaps/app-config/..object.yaml")" "$uid1" "update keeps the uid"
is "$(grep 'resourceVersion:' "$D/.configmaps/app-config/..object.yaml")" "  resourceVersion: \"2\"" "resourceVersion + 1"

# ---- watchers: a manifest's objects reach inotify (the notifier's syscalls)
bg_watch() {
        local out=$1
        shift
        inotifywait -m "$@" >"$out" 2>"$out.err" &
        WATCH_PID=$!
        retry_until 5 grep -qs "Watches established" "$out.err" || { cat "$out.err"; return 1; }
}
bg_watch "$W/cm-dir" --format '%e %f' "$D/.configmaps" || die "watch on .configmaps"
W1=$WATCH_PID
bg_watch "$W/cm-key" --format '%e' "$D/.configmaps/app-config/LOG_LEVEL" || die "watch on a key"
W2=$WATCH_PID
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  k: v\n' >"$W/watched.yaml"
cp "$W/watched.yaml" "$D/"
check "IN_CREATE on .configmaps for a ConfigMap from a manifest" wait_grep "$W/cm-dir" '^CREATE,ISDIR watched$' 5
sed 's/LOG_LEVEL: debug/LOG_LEVEL: warn/' "$W/mixed2.yaml" >"$W/mixed3.yaml"
cp "$W/mixed3.yaml" "$D/mixed.yaml"
check "IN_MODIFY on a key changed by a manifest" wait_grep "$W/cm-key" '^MODIFY' 5
rmdir "$D/.configmaps/watched"
check "IN_DELETE on .configmaps for rmdir" wait_grep "$W/cm-dir" '^DELETE,ISDIR watched$' 5
kill "$W1" "$W2" 2>/dev/null

# ---- all or nothing
cat >"$W/bad.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: never
spec:
  containers:
  - name: main
    image: busybox
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: bad
data:
  "bad key": x
YAML
is "$(fsop write "$D/bad.yaml" <"$W/bad.yaml")" EINVAL "a bad object in a mixed file: EINVAL"
check "the pod of that file was not created" test ! -e "$D/never"
check "the other ConfigMap was not created" test ! -e "$D/.configmaps/bad"
check ".last-error names the file, the line and the key" \
        grep -q "bad.yaml: line 15: ConfigMap \"bad\" is invalid: data\[bad key\]: Invalid value: \"bad key\": a valid config key" "$D/.last-error"
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s2\ndata:\n  k: not*base64-s3cr3t\n' >"$W/b64.yaml"
is "$(fsop write "$D/b64.yaml" <"$W/b64.yaml")" EINVAL "bad base64 in a Secret: EINVAL"
check ".last-error: the API server's decode error" grep -q 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3' "$D/.last-error"
check ".last-error does not quote the value" bash -c "! grep -q s3cr3t '$D/.last-error'"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n' >"$W/ns.yaml"
is "$(fsop write "$D/ns.yaml" <"$W/ns.yaml")" EINVAL "kind Namespace naming another namespace is refused"
printf 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n' >"$W/dep.yaml"
is "$(fsop write "$D/dep.yaml" <"$W/dep.yaml")" EINVAL "kind Deployment is refused"
check ".last-error lists the kinds accepted" grep -q 'supported values: "ConfigMap", "Namespace", "PersistentVolumeClaim", "Pod", "Secret"' "$D/.last-error"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: o\n  namespace: other\n' >"$W/other.yaml"
is "$(fsop write "$D/other.yaml" <"$W/other.yaml")" EINVAL "a ConfigMap for another namespace is refused"

# ---- shell management
check "mkdir makes an empty ConfigMap" mkdir "$D/.configmaps/app"
check "it has only ..object.yaml" test "$(ls -A "$D/.configmaps/app")" = ..object.yaml
check "echo > key creates a key" bash -c "echo debug > '$D/.configmaps/app/LOG_LEVEL'"
is "$(cat "$D/.configmaps/app/LOG_LEVEL")" debug "cat reads it back"
check "echo >> key appends" bash -c "echo more >> '$D/.configmaps/app/LOG_LEVEL'"
is "$(cat "$D/.configmaps/app/LOG_LEVEL")" "debug
more" "the appended value"
check "the key is in the state dir" grep -q '"LOG_LEVEL": "debug\\nmore\\n"' "$STATE/objects/default/configmaps/app"
check "a ConfigMap's file is the creator's, 0644" test "$(stat -c %a "$D/.configmaps/app/LOG_LEVEL")" = 644
is "$(echo x | fsop write "$D/.configmaps/app/bad key")" EINVAL "a bad key name: EINVAL"
check ".last-error says why" grep -q 'data\[bad key\]: Invalid value' "$D/.last-error"
is "$(fsop write "$D/.configmaps/app/..data" </dev/null)" EPERM "a key starting with .. is refused"
is "$(fsop unlink "$D/.configmaps/app/..object.yaml")" EPERM "..object.yaml cannot be removed"
is "$(echo x | fsop write "$D/.configmaps/app/..object.yaml")" EACCES "..object.yaml cannot be written"
check "mv renames a key" bash -c "echo moved > '$D/.configmaps/app/tmpkey' && mv '$D/.configmaps/app/tmpkey' '$D/.configmaps/app/moved'"
is "$(cat "$D/.configmaps/app/moved" 2>&1)" moved "the renamed key's value"
check "the old name is gone" test ! -e "$D/.configmaps/app/tmpkey"
check "sed -i edits a key (temp file + rename)" sed -i 's/moved/edited/' "$D/.configmaps/app/moved"
is "$(cat "$D/.configmaps/app/moved")" edited "sed -i's result"
is "$(ls "$D/.configmaps/app" | tr '\n' ' ')" "LOG_LEVEL moved " "no temp key left behind"
rm "$D/.configmaps/app/moved"
check "rm removes a key" rm "$D/.configmaps/app/LOG_LEVEL"
check "the key is gone" test ! -e "$D/.configmaps/app/LOG_LEVEL"
head -c 1100000 /dev/zero >"$W/big"
r=$(fsop write "$D/.configmaps/app/big" <"$W/big")
case "$r" in EFBIG | EINVAL) ok "a value over 1 MiB is refused ($r)" ;; *) fail "a value over 1 MiB: $r" ;; esac
check "rmdir of a non-empty ConfigMap deletes it" bash -c "echo x > '$D/.configmaps/app/k' && rmdir '$D/.configmaps/app'"
check "it is gone" test ! -e "$D/.configmaps/app"
check "and gone from the state dir" test ! -e "$STATE/objects/default/configmaps/app"
check "the name can be used again at once" bash -c "mkdir '$D/.configmaps/app' && echo again > '$D/.configmaps/app/k2'"
is "$(cat "$D/.configmaps/app/k2")" again "the new ConfigMap's key"
check "its old key is not there" test ! -e "$D/.configmaps/app/k"
rmdir "$D/.configmaps/app"
check "mkdir .secrets/tok makes a Secret" mkdir "$D/.secrets/tok"
check "echo > a Secret's key" bash -c "printf 'p4ss-s3cr3t' > '$D/.secrets/tok/token'"
is "$(cat "$D/.secrets/tok/token")" p4ss-s3cr3t "root reads the Secret"
is "$(user_fsop $UA write "$D/.secrets/tok/x" </dev/null)" EACCES "a user cannot write a Secret"
check "a user cannot read a Secret" bash -c "! as_user $UA cat '$D/.secrets/tok/token' 2>/dev/null"
check "a user cannot list a Secret" bash -c "! as_user $UA ls '$D/.secrets/tok' 2>/dev/null"
is "$(user_fsop $UA mkdir "$D/.configmaps/mine")" EACCES "a user who cannot create pods cannot create ConfigMaps"
check "mkdir .pvcs/scratch makes a claim" mkdir "$D/.pvcs/scratch"
check "its data dir is made" test -d "$STATE/claims/default/scratch"
check "rmdir of an unused claim deletes it" rmdir "$D/.pvcs/scratch"
check "its data dir is removed" test ! -e "$STATE/claims/default/scratch"

# ---- many keys: a listing with sizes does not parse the object per key
python3 - "$W/many.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many\ndata:\n")
    for i in range(2000):
        f.write("  key%04d: %s\n" % (i, "v" * 400))
PY
check "a ConfigMap of 2000 keys (800 KB)" cp "$W/many.yaml" "$D/"
t0=$(now_ms)
n=$(ls -l "$D/.configmaps/many" | grep -c ' key')
t=$(($(now_ms) - t0))
is "$n" 2000 "ls -l lists its 2000 keys"
if [ "$t" -lt 5000 ]; then ok "ls -l of 2000 keys in ${t} ms"; else fail "ls -l of 2000 keys took ${t} ms"; fi
rmdir "$D/.configmaps/many"

# ---- immutable
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frozen\nimmutable: true\ndata:\n  k: v1\n' >"$W/frozen.yaml"
check "an immutable ConfigMap" cp "$W/frozen.yaml" "$D/"
sed 's/k: v1/k: v2/' "$W/frozen.yaml" >"$W/frozen2.yaml"
is "$(fsop write "$D/frozen.yaml" <"$W/frozen2.yaml")" EPERM "changing an immutable ConfigMap's data: EPERM"
check ".last-error: field is immutable" grep -q 'ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set' "$D/.last-error"
is "$(echo v3 | fsop write "$D/.configmaps/frozen/k")" EPERM "echo > a key of an immutable ConfigMap: EPERM"
is "$(cat "$D/.configmaps/frozen/k")" v1 "the value did not change"
check "an immutable object can be deleted" rmdir "$D/.configmaps/frozen"

# ---- owners: a user who may create pods manages their own objects only
mkdir "$MNT/shared" && chmod 0777 "$MNT/shared"
check "root's ConfigMap in a shared namespace" mkdir "$MNT/shared/.configmaps/roots"
is "$(user_fsop $UA mkdir "$MNT/shared/.configmaps/mine")" OK "a user who may create pods creates a ConfigMap"
is "$(stat -c %u "$MNT/shared/.configmaps/mine")" $UA "it is the user's"
is "$(echo v | user_fsop $UA write "$MNT/shared/.configmaps/mine/k")" OK "the user writes a key of it"
is "$(user_fsop $UA rmdir "$MNT/shared/.configmaps/roots")" EACCES "the user cannot delete root's ConfigMap"
check ".last-error: forbidden" as_user $UA grep -q 'configmaps "roots" is forbidden: User "65534" cannot delete' "$MNT/shared/.last-error"
is "$(user_fsop $UA rmdir "$MNT/shared/.configmaps/mine")" OK "the user deletes their own"
rmdir "$MNT/shared/.configmaps/roots"

# ---- kill -9 and restart
before=$(cat "$D/.configmaps/app-config/..object.yaml" "$D/.secrets/creds/..object.yaml")
podfs_kill9
podfs_start
is "$(cat "$D/.configmaps/app-config/..object.yaml" "$D/.secrets/creds/..object.yaml")" "$before" "the same objects after kill -9 and a restart"
is "$(cat "$D/.secrets/creds/password")" hunter2-s3cr3t "the Secret's value after the restart"

# ---- a claim in use
check "web runs" wait_for "$D/web/phase" Running 20
is "$(fsop rmdir "$D/.pvcs/data")" EBUSY "rmdir of a claim a running pod uses: EBUSY"
check ".last-error names the pod" grep -q 'persistentvolumeclaims "data" is in use by pod "web"' "$D/.last-error"
check "the claim is still there" test -d "$STATE/claims/default/data"
echo 0 >"$D/web/delete"
check "web is gone" wait_gone "$D/web" 20
check "rmdir of the claim once unused" rmdir "$D/.pvcs/data"
check "its data dir is removed" test ! -e "$STATE/claims/default/data"
check "secret values are not in the daemon log" bash -c "! grep -q -e s3cr3t -e hunter2 '$W/podfs.log'"
check "rmdir of a namespace with objects: refused" bash -c "mkdir '$MNT/ns2' && mkdir '$MNT/ns2/.configmaps/c' && ! rmdir '$MNT/ns2' 2>/dev/null"
check "its objects deleted, the namespace goes" bash -c "rmdir '$MNT/ns2/.configmaps/c' && rmdir '$MNT/ns2'"

# ---- the per-user quota on stored objects: no user fills the node's disk
log "--- --max-object-bytes-per-user 3Mi"
check "podfs --help documents --max-object-bytes-per-user" \
        sh -c '"$1" --help | grep -q -- "--max-object-bytes-per-user QUANTITY"' _ "$PODFS_BIN"
check "--max-object-bytes-per-user lots and -1Mi refused" sh -c '! "$1" --max-object-bytes-per-user lots --help \
        >/dev/null 2>&1 && ! "$1" --max-object-bytes-per-user -1Mi --help >/dev/null 2>&1' _ "$PODFS_BIN"
UB=4242
podfs_umount || die "unmount"
podfs_start --max-object-bytes-per-user 3Mi
Q=$MNT/quota
mkdir "$Q" && chmod 1777 "$Q" || die "mkdir quota"
head -c 1000000 /dev/zero | tr '\0' x >"$W/big"
QRE='configmaps "f4" is forbidden: exceeded quota: podfs-user-65534, requested: objects.bytes=[0-9]+, used: objects.bytes=[0-9]+, limited: objects.bytes=3Mi$'
fill() { as_user "$1" sh -c "mkdir '$Q/.configmaps/$2' && cp '$W/big' '$Q/.configmaps/$2/k'"; }
for i in 1 2 3; do check "nobody stores f$i (1 MB)" fill "$UA" "f$i"; done
check "f4's dir (a few bytes) fits" as_user "$UA" mkdir "$Q/.configmaps/f4"
is "$(user_fsop "$UA" write "$Q/.configmaps/f4/k" <"$W/big")" EDQUOT "a 4th MB past 3Mi: EDQUOT"
log "nobody's .last-error: $(as_user "$UA" cat "$Q/.last-error")"
check ".last-error says it as the API server's quota refusal" \
        grep -qE "quota/.configmaps/f4/k: $QRE" <(as_user "$UA" cat "$Q/.last-error")
check "... nothing stored: the key holds nothing" test ! -s "$Q/.configmaps/f4/k"
check "... nor in the state dir" bash -c "! grep -q xxxxxxxx '$STATE/objects/quota/configmaps/f4'"
check "cp of a 1 MB key fails too" fails as_user "$UA" cp "$W/big" "$Q/.configmaps/f4/k"
{
        printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m-small\ndata:\n  a: b\n---\n'
        printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m-big\ndata:\n  k: '
        cat "$W/big"
        echo
} >"$W/m.yaml"
is "$(user_fsop "$UA" write "$Q/m.yaml" <"$W/m.yaml")" EDQUOT "a manifest past the quota: EDQUOT"
check "... names the object past it" grep -q 'quota/m.yaml: configmaps "m-big" is forbidden: exceeded quota: podfs-user-65534' \
        <(as_user "$UA" cat "$Q/.last-error")
check "... all or nothing: its small ConfigMap is not stored either" \
        test ! -e "$STATE/objects/quota/configmaps/m-small" -a ! -e "$STATE/objects/quota/configmaps/m-big"
check "rm of a key frees room" as_user "$UA" rm "$Q/.configmaps/f1/k"
is "$(user_fsop "$UA" write "$Q/.configmaps/f4/k" <"$W/big")" OK "... f4 now fits"
check "another user has a quota of its own" fill "$UB" g1
for i in 1 2 3 4; do check "root is not limited (r$i)" fill 0 "r$i"; done

log "--- kill -9, start again: the usage is counted from the state dir"
podfs_kill9
podfs_start --max-object-bytes-per-user 3Mi
check "f5's dir fits" as_user "$UA" mkdir "$Q/.configmaps/f5"
is "$(user_fsop "$UA" write "$Q/.configmaps/f5/k" <"$W/big")" EDQUOT "after the restart still refused"
check "rmdir of an object frees room" as_user "$UA" rmdir "$Q/.configmaps/f2"
is "$(user_fsop "$UA" write "$Q/.configmaps/f5/k" <"$W/big")" OK "... f5 now fits"
check "uid $UB may still store" fill "$UB" g2
head -c 100000 /dev/zero | tr '\0' x >"$W/100k"
check "nobody stores a 100 kB key (room left: about 140 kB)" \
        as_user "$UA" sh -c "mkdir '$Q/.configmaps/s' && cp '$W/100k' '$Q/.configmaps/s/v'"
check "sed -i doubling it is refused" fails as_user "$UA" sed -i 's/x/xx/g' "$Q/.configmaps/s/v"
is "$(wc -c <"$Q/.configmaps/s/v")" 100000 "... the key unchanged"
check "... EDQUOT in .last-error" grep -q 'configmaps "s" is forbidden: exceeded quota: podfs-user-65534' \
        <(as_user "$UA" cat "$Q/.last-error")
finish
