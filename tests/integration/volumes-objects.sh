#!/bin/bash
# ConfigMaps, Secrets, the downward API and claims as volumes: configMap items
# and modes, updates swapped atomically (a reader never sees a missing or
# mixed file), secret modes, downwardAPI labels/annotations following an
# in-place label change, a projected mix, a missing ConfigMap (ContainerCreating,
# FailedMount, then started once written), claim data outliving its pod, and
# subPathExpr.
# timeout: 300
. "$(dirname "$0")/lib.sh"
podfs_setup
require_cmd jq base64

st() { jq -r "$2" "$MNT/default/$1/status.json" 2>/dev/null; }

# object_put KIND NAME DATA_JSON [EXTRA_JSON]: apply a ConfigMap or Secret of
# namespace default (DATA_JSON its "data": strings, base64 for a Secret) as a
# manifest written into the namespace; the daemon wakes the namespace's
# sandboxes. The one place that knows how objects get to the node.
object_put() {
        local kind=$1 name=$2 data=$3 extra=${4:-'{}'}
        jq -n --arg k "$kind" --arg n "$name" --argjson d "$data" --argjson x "$extra" \
                '{apiVersion: "v1", kind: $k, metadata: {name: $n}, data: $d} + $x' \
                >"$MNT/default/$name-object.yaml" && return 0
        log "object_put $kind $name: $(cat "$MNT/default/.last-error")"
        return 1
}
b64() { printf '%s' "$1" | base64 -w0; }
logs() { cat "$MNT/default/$1/logs/$2" 2>/dev/null; }

# ---- configMap: items, modes, the AtomicWriter layout ---------------------------
object_put ConfigMap cfg '{"a": "alpha", "b": "beta", "big": "v0"}' || die "write cfg"
cat <<'EOF' | apply_pod default cm || fail "create cm: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: cm
spec:
  volumes:
  - name: some
    configMap:
      name: cfg
      items: [{key: a, path: dir/a.txt, mode: 0600}, {key: b, path: b.txt}]
  - name: all
    configMap: {name: cfg, defaultMode: 0440}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "stat -L -c '%a %n' /some/dir/a.txt /some/b.txt /all/a /all/b; cat /some/dir/a.txt; echo;
      ls -a /all | tr '\\n' ' '; echo; readlink /all/a; echo ls-done;
      last=; while :; do cat /all/big > /tmp/x || echo MISSING; n=$(grep -c . /tmp/x); u=$(sort -u /tmp/x | wc -l);
      [ \"$n\" = 400 ] && [ \"$u\" = 1 ] || { [ \"$(cat /tmp/x)\" = v0 ] || echo \"BAD n=$n u=$u\"; };
      v=$(head -n 1 /tmp/x); [ \"$v\" != \"$last\" ] && echo \"saw $v\" && last=$v; usleep 2000; done"]
    volumeMounts: [{name: some, mountPath: /some}, {name: all, mountPath: /all}]
EOF
P=$MNT/default/cm
check "cm: Running" wait_for "$P/phase" Running 20
check "cm: listing done" wait_grep "$P/logs/main" '^ls-done$' 10
check "cm: item mode 0600" grep -qx '600 /some/dir/a.txt' "$P/logs/main"
check "cm: item without mode takes defaultMode 0644" grep -qx '644 /some/b.txt' "$P/logs/main"
check "cm: defaultMode 0440 on every key" grep -qx '440 /all/a' "$P/logs/main"
check "cm: item content" grep -qx 'alpha' "$P/logs/main"
check "cm: AtomicWriter layout (..data, ..<timestamp>, a link per key)" \
        grep -qE '^\. \.\. \.\.[0-9]{4}_[0-9]{2}_[0-9]{2}_[0-9]{2}_[0-9]{2}_[0-9]{2}\.[0-9]+ \.\.data a b big $' "$P/logs/main"
check "cm: a key is a link to ..data/<key>" grep -qx '\.\.data/a' "$P/logs/main"
is "$(jq -c '.spec.volumes[1].configMap' "$P/pod.json")" '{"name":"cfg","defaultMode":288}' "cm: pod.json volume"

# 20 updates: each must reach the file, whole, within 10 s
big() { local i; for i in $(seq 400); do echo "v$1"; done; }
swaps_ok=1
for i in $(seq 1 20); do
        object_put ConfigMap cfg "$(jq -n --arg b "$(big "$i")" '{a: "alpha", b: "beta", big: $b}')" ||
                { swaps_ok=0; break; }
        wait_grep "$P/logs/main" "^saw v$i\$" 10 >/dev/null || { swaps_ok=0; log "update $i not seen"; break; }
done
is "$swaps_ok" 1 "cm: 20 updates reached the mounted file"
check "cm: the reader never saw a missing or mixed file" sh -c "! grep -qE '^(MISSING|BAD)' '$P/logs/main'"
grep -E -B2 -A2 '^(MISSING|BAD)' "$P/logs/main" | head -20 | sed 's/^/#   /'
is "$(ls -d "$STATE"/pods/*/volumes/all/..2* 2>/dev/null | wc -l)" 1 "cm: old timestamp dirs removed"
is "$(ctr default cm main restarts)" 0 "cm: no restart for an update"

# ---- secret: default 0644, defaultMode 0400 --------------------------------------
object_put Secret sec "{\"user\": \"$(b64 admin)\", \"pass\": \"$(b64 s3cret)\"}" '{"type": "Opaque"}' ||
        die "write sec"
cat <<'EOF' | apply_pod default secpod || fail "create secpod"
apiVersion: v1
kind: Pod
metadata:
  name: secpod
spec:
  volumes:
  - {name: s, secret: {secretName: sec}}
  - {name: ro, secret: {secretName: sec, defaultMode: 0400}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "stat -L -c '%a %n' /s/user /ro/pass; cat /s/pass; echo; echo done; sleep 1000"]
    volumeMounts: [{name: s, mountPath: /s}, {name: ro, mountPath: /ro}]
EOF
S=$MNT/default/secpod
check "secret: done" wait_grep "$S/logs/main" '^done$' 20
check "secret: default mode 0644" grep -qx '644 /s/user' "$S/logs/main"
check "secret: defaultMode 0400" grep -qx '400 /ro/pass' "$S/logs/main"
check "secret: decoded content" grep -qx 's3cret' "$S/logs/main"
is "$(jq -c '.spec.volumes[0].secret' "$S/pod.json")" '{"secretName":"sec","defaultMode":420}' "secret: pod.json default"

# ---- downwardAPI: labels and annotations follow an in-place change ---------------
dw_yaml() {
        sed "s/@TIER@/$1/" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: dw
  labels: {app: shop, tier: "@TIER@"}
  annotations: {note: "say \"hi\""}
spec:
  volumes:
  - name: info
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - {path: mem, resourceFieldRef: {containerName: main, resource: limits.memory, divisor: 1Mi}}
  containers:
  - name: main
    image: busybox
    resources: {limits: {memory: 64Mi}}
    command: ["sh", "-c", "cat /info/name /info/mem; echo; cat /info/annotations; echo; last=;
      while :; do l=$(cat /info/labels); [ \"$l\" != \"$last\" ] && echo \"labels: $(echo $l)\" && last=$l; sleep 0.1; done"]
    volumeMounts: [{name: info, mountPath: /info}]
EOF
}
dw_yaml web | apply_pod default dw || fail "create dw: $(cat "$MNT/default/.last-error")"
D=$MNT/default/dw
check "downward: Running" wait_for "$D/phase" Running 20
check "downward: labels file (sorted key=\"value\" lines)" \
        wait_grep "$D/logs/main" '^labels: app="shop" tier="web"$' 10
check "downward: annotations quoted as Go does" grep -qx 'note="say \\"hi\\""' "$D/logs/main"
check "downward: metadata.name and limits.memory in Mi" grep -qx 'dw64' "$D/logs/main"
uid1=$(jq -r .metadata.uid "$D/pod.json")
dw_yaml api >"$D/spec.yaml" || fail "downward: relabel"
check "downward: the labels file follows, without a restart" \
        wait_grep "$D/logs/main" '^labels: app="shop" tier="api"$' 10
is "$(jq -r .metadata.uid "$D/pod.json")" "$uid1" "downward: same uid"
is "$(jq -r .metadata.labels.tier "$D/pod.json")" api "downward: pod.json shows the new labels"
is "$(ctr default dw main restarts)" 0 "downward: restartCount 0"
dw_yaml api >"$D/spec.yaml" || fail "downward: identical rewrite"
is "$(jq -r .metadata.uid "$D/pod.json")" "$uid1" "downward: an identical rewrite changes nothing"

# ---- projected: configMap + secret + downwardAPI ---------------------------------
cat <<'EOF' | apply_pod default proj || fail "create proj"
apiVersion: v1
kind: Pod
metadata:
  name: proj
  labels: {app: mix}
spec:
  volumes:
  - name: all
    projected:
      defaultMode: 0444
      sources:
      - configMap: {name: cfg, items: [{key: a, path: cm/a}]}
      - secret: {name: sec, items: [{key: user, path: sec/user, mode: 0400}]}
      - downwardAPI: {items: [{path: app, fieldRef: {fieldPath: "metadata.labels['app']"}}]}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cat /all/cm/a; echo; cat /all/sec/user; echo; cat /all/app; echo;
      stat -L -c '%a %n' /all/cm/a /all/sec/user; echo done; sleep 1000"]
    volumeMounts: [{name: all, mountPath: /all}]
EOF
R=$MNT/default/proj
check "projected: done" wait_grep "$R/logs/main" '^done$' 20
is "$(logs proj main | head -n 3 | tr '\n' ' ')" "alpha admin mix " "projected: the three sources"
check "projected: defaultMode and item mode" sh -c "grep -qx '444 /all/cm/a' '$R/logs/main' &&
        grep -qx '400 /all/sec/user' '$R/logs/main'"

# ---- a missing ConfigMap: ContainerCreating, FailedMount, then started -----------
cat <<'EOF' | apply_pod default late || fail "create late"
apiVersion: v1
kind: Pod
metadata:
  name: late
spec:
  volumes:
  - {name: conf, configMap: {name: later}}
  - {name: opt, configMap: {name: nowhere, optional: true}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cat /conf/k; echo; ls /opt | wc -l; sleep 1000"]
    volumeMounts: [{name: conf, mountPath: /conf}, {name: opt, mountPath: /opt}]
EOF
L=$MNT/default/late
check "missing: FailedMount event" wait_grep "$L/events" \
        'FailedMount.*MountVolume\.SetUp failed for volume "conf" : configmap "later" not found' 20
is "$(st late '.containerStatuses[0].state.waiting.reason')" ContainerCreating "missing: ContainerCreating"
is "$(cat "$L/phase")" Pending "missing: Pending"
object_put ConfigMap later '{"k": "now"}' || fail "write later"
check "missing: starts once the object is written" wait_for "$L/phase" Running 20
check "missing: the content, and an empty optional volume" wait_until 10 "$L/logs/main" \
        sh -c "[ \"\$(cat '$L/logs/main' | tr '\n' ' ')\" = 'now 0 ' ]"

cat <<'EOF' | apply_pod default nokey || fail "create nokey"
apiVersion: v1
kind: Pod
metadata:
  name: nokey
spec:
  volumes:
  - {name: conf, configMap: {name: cfg, items: [{key: nope, path: x}]}}
  containers:
  - {name: main, image: busybox, command: ["sleep", "1000"], volumeMounts: [{name: conf, mountPath: /conf}]}
EOF
check "missing key: FailedMount with the kubelet's words" wait_grep "$MNT/default/nokey/events" \
        'MountVolume\.SetUp failed for volume "conf" : configmap references non-existent config key: nope' 20

# ---- persistentVolumeClaim: data outlives the pod --------------------------------
claim_pod() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: store}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", $(json_str "$2")]
    volumeMounts: [{name: data, mountPath: /data}]
EOF
}
claim_pod writer 'echo kept > /data/file' | apply_pod default writer || fail "create writer"
check "claim missing: FailedMount with the kubelet's words" wait_grep "$MNT/default/writer/events" \
        'FailedMount.*error processing PVC default/store: failed to fetch PVC from API server: persistentvolumeclaims "store" not found' 20
is "$(cat "$MNT/default/writer/containers/main/reason")" ContainerCreating "claim missing: the container waits"
mkdir "$MNT/default/.pvcs/store" || fail "claim: mkdir .pvcs/store"
check "claim: writer Succeeded once the claim exists" wait_for "$MNT/default/writer/phase" Succeeded 20
rmdir "$MNT/default/writer" || fail "claim: delete writer"
check "claim: writer gone" wait_gone "$MNT/default/writer" 20
claim_pod reader 'cat /data/file' | apply_pod default reader || fail "create reader"
check "claim: reader Succeeded" wait_for "$MNT/default/reader/phase" Succeeded 20
is "$(logs reader main)" kept "claim: the next pod sees the data"

# ---- subPathExpr -------------------------------------------------------------------
cat <<'EOF' | apply_pod default sub || fail "create sub"
apiVersion: v1
kind: Pod
metadata:
  name: sub
spec:
  restartPolicy: Never
  volumes:
  - {name: work, emptyDir: {}}
  containers:
  - name: main
    image: busybox
    env: [{name: WHO, value: alice}]
    command: ["sh", "-c", "echo hi > /mine/f; ls /all"]
    volumeMounts:
    - {name: work, mountPath: /mine, subPathExpr: "home-$(WHO)"}
    - {name: work, mountPath: /all}
EOF
check "subPathExpr: Succeeded" wait_for "$MNT/default/sub/phase" Succeeded 20
is "$(logs sub main)" home-alice "subPathExpr: expanded from the env"
cat <<'EOF' | apply_pod default subbad || fail "create subbad"
apiVersion: v1
kind: Pod
metadata:
  name: subbad
spec:
  volumes:
  - {name: work, emptyDir: {}}
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    volumeMounts: [{name: work, mountPath: /mine, subPathExpr: "home-$(NOBODY)"}]
EOF
subbad_is() {
        [ "$(jq -r '.containerStatuses[0].state.waiting | .reason + ": " + .message' \
                "$MNT/default/subbad/status.json" 2>/dev/null)" = "$1" ]
}
check "subPathExpr: an unset variable is CreateContainerConfigError" wait_until 20 "$MNT/default/subbad/status.json" \
        subbad_is 'CreateContainerConfigError: missing value for NOBODY'

# ---- pod.json of these pods is a Kubernetes Pod (field names and types) -----------
if [ -x "$K8S_CONFORM" ] && /usr/bin/python3 -c 'import kubernetes, yaml' 2>/dev/null; then
        for p in cm secpod dw proj late reader; do
                check "conform: $p's pod.json" "$K8S_CONFORM" --kind Pod "$MNT/default/$p/pod.json"
        done
else
        log "k8s-conform not available: schema checks skipped"
fi

# ---- image volumes (KEP-4639): read-only, nosuid; a missing image waits -----------
mkdir -p "$STATE/images/tools:1.0" && echo "from the image" >"$STATE/images/tools:1.0/marker"
cat <<'EOF' | apply_pod default img || fail "create img"
apiVersion: v1
kind: Pod
metadata:
  name: img
spec:
  restartPolicy: Never
  volumes:
  - {name: tools, image: {reference: "tools:1.0"}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cat /tools/marker; touch /tools/x 2>/dev/null || echo read-only;
      grep ' /tools ' /proc/mounts | grep -c 'ro,nosuid,nodev'"]
    volumeMounts: [{name: tools, mountPath: /tools}]
EOF
check "image: Succeeded" wait_for "$MNT/default/img/phase" Succeeded 20
is "$(logs img main | tr '\n' ' ')" "from the image read-only 1 " "image: content, read-only, nosuid/nodev"
is "$(jq -c '.spec.volumes[0].image' "$MNT/default/img/pod.json")" \
        '{"reference":"tools:1.0","pullPolicy":"IfNotPresent"}' "image: pod.json default pullPolicy"
cat <<'EOF' | apply_pod default noimg || fail "create noimg"
apiVersion: v1
kind: Pod
metadata:
  name: noimg
spec:
  volumes:
  - {name: tools, image: {reference: "absent:2"}}
  containers:
  - {name: main, image: busybox, command: ["sleep", "1000"], volumeMounts: [{name: tools, mountPath: /tools}]}
EOF
check "image: a missing one waits in ErrImagePull/ImagePullBackOff" wait_until 20 "$MNT/default/noimg/status.json" \
        sh -c "jq -r '.containerStatuses[0].state.waiting.reason' '$MNT/default/noimg/status.json' |
               grep -qE '^(ErrImagePull|ImagePullBackOff)\$'"
check "image: the event names the volume's image" grep -q 'Failed to pull image "absent:2"' "$MNT/default/noimg/events"

finish
