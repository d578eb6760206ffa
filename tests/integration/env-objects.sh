#!/bin/bash
# Env from ConfigMaps, Secrets and the downward API (env valueFrom, envFrom):
# values at the container's start, $(VAR) expansion, a missing ConfigMap
# waiting in CreateContainerConfigError until the object is written, and no
# Secret value anywhere in the pod's files, events, logs or the daemon's log.
# timeout: 180
. "$(dirname "$0")/lib.sh"
podfs_setup
require_cmd jq base64 md5sum

st() { jq -r "$2" "$MNT/default/$1/status.json" 2>/dev/null; }

# put_object KIND NAME JSON-DATA-MEMBERS: a ConfigMap or Secret of namespace
# default, applied as a user does (a manifest written into the namespace).
put_object() {
        local kind=$1 name=$2 members=$3
        printf '{"apiVersion": "v1", "kind": "%s", "metadata": {"name": "%s"}, %s}\n' \
                "$kind" "$name" "$members" >"$MNT/default/$name-$kind.yaml"
}

SECRET_VALUE="pw-$RANDOM-$RANDOM-hush"
SECRET_MD5=$(printf %s "$SECRET_VALUE" | md5sum | cut -d' ' -f1)
put_object ConfigMap cfg '"data": {"color": "blue", "size": "XL"}' || fail "apply cfg"
put_object Secret sec "\"stringData\": {\"password\": \"$SECRET_VALUE\"}" || fail "apply sec"

# ---- values -----------------------------------------------------------------------
cat <<'EOF' | apply_pod default envpod || fail "create envpod"
apiVersion: v1
kind: Pod
metadata:
  name: envpod
  labels: {app: shop}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c"]
    args:
    - |
      for v in CFG_color CFG_size NAME NS UID APP NODE HOSTIP MEM CPU COLOR DEP ESC UNDEF; do
        eval "echo $v=\${$v-unset}"
      done
      echo PW_MD5=$(printf %s "$PW" | md5sum | cut -d' ' -f1)
      echo SECRET_MD5=$(printf %s "$password" | md5sum | cut -d' ' -f1)
      echo ARG=$(COLOR)
      sleep 1000
    resources:
      limits: {memory: 64Mi, cpu: 500m}
      requests: {cpu: 250m}
    envFrom:
    - {prefix: CFG_, configMapRef: {name: cfg}}
    - secretRef: {name: sec}
    env:
    - name: NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: NS
      valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
    - name: UID
      valueFrom: {fieldRef: {fieldPath: metadata.uid}}
    - name: APP
      valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
    - name: NODE
      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
    - name: HOSTIP
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
    - name: MEM
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
    - name: CPU
      valueFrom: {resourceFieldRef: {containerName: main, resource: requests.cpu, divisor: 1m}}
    - name: COLOR
      valueFrom: {configMapKeyRef: {name: cfg, key: color}}
    - name: PW
      valueFrom: {secretKeyRef: {name: sec, key: password}}
    - {name: DEP, value: "$(COLOR)-$(NAME)-$(CFG_size)"}
    - {name: ESC, value: "$$(COLOR)"}
    - {name: UNDEF, value: "$(NOPE)-$(PATH)"}
EOF
P=$MNT/default/envpod
check "envpod: Running" wait_for "$P/phase" Running 30
check "envpod: output complete" wait_grep "$P/logs/main" '^ARG=' 10
logline() { grep "^$1=" "$P/logs/main" | head -n1 | cut -d= -f2-; }
is "$(logline CFG_color)" blue "envFrom configMapRef with prefix"
is "$(logline CFG_size)" XL "envFrom: every key"
is "$(logline NAME)" envpod "fieldRef metadata.name"
is "$(logline NS)" default "fieldRef metadata.namespace"
is "$(logline UID)" "$(pod_uid default envpod)" "fieldRef metadata.uid"
is "$(logline APP)" shop "fieldRef metadata.labels['app']"
is "$(logline NODE)" "$(jq -r .spec.nodeName "$P/pod.json")" "fieldRef spec.nodeName (as pod.json shows it)"
is "$(logline HOSTIP)" "$(st envpod .hostIP)" "fieldRef status.hostIP (as status.json shows it)"
is "$(logline MEM)" 64 "resourceFieldRef limits.memory, divisor 1Mi"
is "$(logline CPU)" 250 "resourceFieldRef requests.cpu, divisor 1m"
is "$(logline COLOR)" blue "configMapKeyRef"
is "$(logline DEP)" blue-envpod-XL "\$(VAR) of earlier variables"
is "$(logline ESC)" '$(COLOR)' "\$\$ escapes"
is "$(logline UNDEF)" '$(NOPE)-$(PATH)' "undefined references (and the image's PATH) stay as written"
is "$(logline ARG)" blue "\$(VAR) in args"
is "$(logline PW_MD5)" "$SECRET_MD5" "secretKeyRef"
is "$(logline SECRET_MD5)" "$SECRET_MD5" "envFrom secretRef"
is "$(jq -r '.spec.containers[0].env[0].valueFrom.fieldRef.apiVersion' "$P/pod.json")" v1 \
        "pod.json: fieldRef apiVersion defaulted"

# ---- a missing ConfigMap ------------------------------------------------------------
cat <<'EOF' | apply_pod default waiter || fail "create waiter"
apiVersion: v1
kind: Pod
metadata:
  name: waiter
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "echo late=$LATE; sleep 1000"]
    env:
    - name: LATE
      valueFrom: {configMapKeyRef: {name: late, key: k}}
EOF
WP=$MNT/default/waiter
check "missing configmap: CreateContainerConfigError" \
        wait_grep "$WP/status.json" 'CreateContainerConfigError' 20
is "$(st waiter '.containerStatuses[0].state.waiting.message')" 'configmap "late" not found' \
        "missing configmap: the kubelet's message"
is "$(cat "$WP/phase")" Pending "missing configmap: phase Pending"
check "missing configmap: Failed event" grep -q 'Failed.*Error: configmap "late" not found' "$WP/events"
t0=$(now_ms)
put_object ConfigMap late '"data": {"k": "now"}' || fail "apply late"
check "missing configmap: starts once the object is written" wait_for "$WP/phase" Running 20
t=$(($(now_ms) - t0))
check "missing configmap: woken, not polled (${t} ms)" [ "$t" -lt 8000 ]
check "missing configmap: the value" wait_grep "$WP/logs/main" '^late=now$' 10

# an update reaches the next start only
put_object ConfigMap late '"data": {"k": "newer"}' || fail "update late"
pid=$(ctr default waiter main pid)
check "update: the running container keeps its value" \
        sh -c "tr '\\0' '\\n' < /proc/$pid/environ | grep -qx LATE=now"
kill -KILL "$pid"
check "update: the next start takes the new value" wait_grep "$WP/logs/main" '^late=newer$' 20

# a missing key, and an optional one
cat <<'EOF' | apply_pod default nokey || fail "create nokey"
apiVersion: v1
kind: Pod
metadata:
  name: nokey
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
    env:
    - name: OPT
      valueFrom: {configMapKeyRef: {name: cfg, key: nope, optional: true}}
    - name: X
      valueFrom: {configMapKeyRef: {name: cfg, key: nope}}
EOF
check "missing key: CreateContainerConfigError" wait_grep "$MNT/default/nokey/status.json" 'CreateContainerConfigError' 20
is "$(st nokey '.containerStatuses[0].state.waiting.message')" "couldn't find key nope in ConfigMap default/cfg" \
        "missing key: the kubelet's message"

# ---- the API server's rules -----------------------------------------------------------
mkdir -p "$MNT/default/both"
r=$(printf '%s\n' 'apiVersion: v1' 'kind: Pod' 'metadata: {name: both}' 'spec:' '  containers:' \
        '  - name: c' '    image: busybox' '    env:' '    - name: A' '      value: x' \
        '      valueFrom: {fieldRef: {fieldPath: metadata.name}}' | fsop write "$MNT/default/both/spec.yaml")
is "$r" EINVAL "value and valueFrom together: rejected"
check "value and valueFrom together: the API server's words" \
        grep -q 'spec.containers\[0\].env\[0\].valueFrom: Invalid value: "": may not be specified when `value` is not empty' \
        "$MNT/default/.last-error"

# ---- no Secret value in what podfs shows or writes -----------------------------------
leaks=$(grep -rlF -- "$SECRET_VALUE" "$STATE" "$W/podfs.log" 2>/dev/null)
is "$leaks" "" "the secret value is in no file of the state dir nor the daemon log"
for f in status.json pod.json events logs/main; do
        check "no secret value in $f" sh -c "! grep -qF -- '$SECRET_VALUE' '$P/$f'"
done
finish
