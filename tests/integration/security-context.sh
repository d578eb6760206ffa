#!/bin/bash
# securityContext (issue 13): what a container's /proc/self/status says about
# its user, groups, capabilities, no_new_privs and seccomp; RuntimeDefault's
# allowlist attacked from inside (scprobe: calls it leaves out fail with EPERM,
# clone3 and calls newer than it with ENOSYS); a read-only root; a privileged
# container's devices; runAsNonRoot refusals in the kubelet's words; fsGroup on
# every volume kind, from inside and from the node; hostPID and hostIPC, with
# exec probes in each; sysctls and AppArmor (the node's admission); Pod
# Security Standards per namespace, at pinned versions, exempt namespaces.
# timeout: 240
. "$(dirname "$0")/lib.sh"
podfs_setup --no-mount
podfs_start --allowed-unsafe-sysctls kernel.msgmax
helper_install scprobe

# status_field FILE NAME: the value of "NAME:" in a saved /proc/PID/status
status_field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$1"; }
# logs_of NS POD: the container's log once it printed "END"
logs_done() { wait_grep "$MNT/$1/$2/logs/main" '^END$' 20; }
DEFAULT_CAPS=00000000a80425fb           # containerd's default set
# every capability the node gives us (a runtime cannot give more)
ALL_CAPS=$(awk '$1 == "CapBnd:" { print $2 }' /proc/self/status)

# ---- user, groups, fsGroup, default capabilities ------------------------------

cat <<'EOF' | apply_pod default ids || die "create ids: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: ids
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    supplementalGroups: [4000]
  volumes:
  - name: data
    emptyDir: {}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cat /proc/self/status; echo \"home $HOME\"; stat -c 'data %g %a' /data; touch /data/f && stat -c 'file %g' /data/f; echo END; exec sleep 3600"]
    volumeMounts:
    - {name: data, mountPath: /data}
    readinessProbe:
      exec: {command: ["sh", "-c", "test \"$(id -u):$(id -g)\" = 1000:3000 && id -G | grep -qw 4000"]}
      periodSeconds: 1
EOF
if logs_done default ids; then
        cp "$MNT/default/ids/logs/main" "$W/ids"
        is "$(status_field "$W/ids" Uid)" "1000 1000 1000 1000" "runAsUser: Uid"
        is "$(status_field "$W/ids" Gid)" "3000 3000 3000 3000" "runAsGroup: Gid"
        is "$(status_field "$W/ids" Groups | tr ' ' '\n' | sort -n | xargs)" "2000 3000 4000" \
                "Groups: runAsGroup, fsGroup and supplementalGroups"
        is "$(status_field "$W/ids" CapEff)" 0000000000000000 "a non-root user has no effective capability"
        is "$(status_field "$W/ids" CapBnd)" "$DEFAULT_CAPS" "CapBnd is containerd's default set"
        is "$(status_field "$W/ids" CapInh)" 0000000000000000 "CapInh is empty"
        is "$(status_field "$W/ids" NoNewPrivs)" 0 "allowPrivilegeEscalation unset: no_new_privs 0"
        is "$(status_field "$W/ids" Seccomp)" 0 "seccompProfile unset: Unconfined (the kubelet's default)"
        is "$(grep '^home ' "$W/ids")" "home /" "runAsUser without a passwd entry: HOME=/ (runc's)"
        is "$(grep '^data ' "$W/ids")" "data 2000 2777" "fsGroup: the emptyDir is group 2000, setgid, group-writable"
        is "$(grep '^file ' "$W/ids")" "file 2000" "fsGroup: a new file in it takes group 2000"
fi
check "ids: the exec probe runs as the container's user and groups (Ready)" \
        wait_grep "$MNT/default/ids/conditions" '^Ready True' 20
jq -e '.spec.securityContext == {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000}' \
        "$MNT/default/ids/pod.json" >/dev/null && ok "pod.json shows the pod's securityContext" ||
        fail "pod.json: $(jq -c .spec.securityContext "$MNT/default/ids/pod.json")"

# ---- supplementalGroupsPolicy: Merge (the image's /etc/group) and Strict -------

mkdir -p "$W/groups-root"
cp -a "$STATE/images/busybox/." "$W/groups-root/"
echo 'app:x:1234:1234::/:/bin/sh' >>"$W/groups-root/etc/passwd"
echo 'extra:x:777:daemon,app' >>"$W/groups-root/etc/group"
oci_image "$STATE/images/grouped" "$W/groups-root" '{"User": "app"}' || die "cannot build the OCI image"
for policy in Merge Strict; do
        cat <<EOF | apply_pod default "groups-${policy,,}" || fail "create groups-$policy: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: groups-${policy,,}
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    supplementalGroups: [5000]
    supplementalGroupsPolicy: $policy
  containers:
  - name: main
    image: grouped
    command: ["sh", "-c", "grep -E '^(Uid|Groups):' /proc/self/status; echo END; exec sleep 3600"]
EOF
done
if logs_done default groups-merge; then
        is "$(status_field "$MNT/default/groups-merge/logs/main" Groups | tr ' ' '\n' | sort -n | xargs)" "777 1234 5000" \
                "supplementalGroupsPolicy Merge: the image's groups of the user too"
fi
if logs_done default groups-strict; then
        is "$(status_field "$MNT/default/groups-strict/logs/main" Groups | tr ' ' '\n' | sort -n | xargs)" "1234 5000" \
                "supplementalGroupsPolicy Strict: only the primary group and the spec's"
fi

# ---- capabilities, no_new_privs, seccomp RuntimeDefault, read-only root ------

cat <<'EOF' | apply_pod default locked || die "create locked: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: locked
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cat /proc/self/status; unshare -U true && echo 'unshare ok' || echo 'unshare refused'; echo x >/x 2>/dev/null && echo 'root writable' || echo 'root read-only'; echo x >/tmp/y 2>/dev/null || echo 'tmp read-only'; [ -f /proc/timer_list ] || echo 'timer_list masked'; scprobe unshare keyctl add_key perf_event_open personality-bad clone-newns socket-alg mount chroot clone3 getpid clone personality0 socket-inet; echo END; exec sleep 3600"]
    securityContext:
      capabilities:
        drop: ["ALL"]
        add: ["NET_BIND_SERVICE", "CAP_CHOWN"]
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      seccompProfile: {type: RuntimeDefault}
    readinessProbe:
      exec: {command: ["sh", "-c", "grep -q '^Seccomp:.2' /proc/self/status && grep -q '^NoNewPrivs:.1' /proc/self/status && ! unshare -U true && scprobe keyctl | grep -qx 'keyctl EPERM'"]}
      periodSeconds: 1
EOF
if logs_done default locked; then
        cp "$MNT/default/locked/logs/main" "$W/locked"
        is "$(status_field "$W/locked" Uid)" "0 0 0 0" "locked: root (the image's user)"
        is "$(status_field "$W/locked" CapEff)" 0000000000000401 "drop ALL, add NET_BIND_SERVICE and CAP_CHOWN: CapEff"
        is "$(status_field "$W/locked" CapBnd)" 0000000000000401 "... and CapBnd"
        is "$(status_field "$W/locked" CapInh)" 0000000000000000 "... CapInh empty"
        is "$(status_field "$W/locked" NoNewPrivs)" 1 "allowPrivilegeEscalation false: NoNewPrivs 1"
        is "$(status_field "$W/locked" Seccomp)" 2 "RuntimeDefault: Seccomp 2 (filter)"
        check "RuntimeDefault: unshare -U is refused" grep -qx 'unshare refused' "$W/locked"
        # containerd's profile is an allowlist: what it does not name fails with EPERM
        for sc in unshare keyctl add_key perf_event_open personality-bad clone-newns socket-alg mount chroot; do
                check "RuntimeDefault: $sc fails with EPERM" grep -qx "$sc EPERM" "$W/locked"
        done
        check "RuntimeDefault: clone3 fails with ENOSYS (libc falls back to clone)" grep -qx 'clone3 ENOSYS' "$W/locked"
        for sc in getpid clone personality0 socket-inet; do
                check "RuntimeDefault: $sc is allowed" grep -qx "$sc ok" "$W/locked"
        done
        check "readOnlyRootFilesystem: / refuses writes" grep -qx 'root read-only' "$W/locked"
        check "readOnlyRootFilesystem: /tmp (on the root) too" grep -qx 'tmp read-only' "$W/locked"
        check "not privileged: /proc/timer_list masked" grep -qx 'timer_list masked' "$W/locked"
fi
check "locked: the exec probe has the container's seccomp and no_new_privs (Ready)" \
        wait_grep "$MNT/default/locked/conditions" '^Ready True' 20
jq -e '.spec.containers[0].securityContext == {capabilities: {add: ["NET_BIND_SERVICE", "CAP_CHOWN"], drop: ["ALL"]},
        readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, seccompProfile: {type: "RuntimeDefault"}}' \
        "$MNT/default/locked/pod.json" >/dev/null && ok "pod.json shows the container's securityContext" ||
        fail "pod.json: $(jq -c '.spec.containers[0].securityContext' "$MNT/default/locked/pod.json")"

# RuntimeDefault with containerd's default capabilities and no no_new_privs (the
# filter is loaded before the capabilities are set): what a capability of the
# bounding set allows (chroot with CAP_SYS_CHROOT) and what it does not.
cat <<'EOF' | apply_pod default rtdefault || die "create rtdefault: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: rtdefault
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status; scprobe chroot syslog unshare ptrace keyctl fchmodat2 mseal; ls / >/dev/null && (true | cat) && echo 'shell ok'; echo END; exec sleep 3600"]
EOF
if logs_done default rtdefault; then
        cp "$MNT/default/rtdefault/logs/main" "$W/rtdefault"
        is "$(status_field "$W/rtdefault" Seccomp)" 2 "pod-level RuntimeDefault: Seccomp 2"
        is "$(status_field "$W/rtdefault" NoNewPrivs)" 0 "... no_new_privs 0"
        check "RuntimeDefault: chroot allowed with CAP_SYS_CHROOT in the bounding set" grep -qx 'chroot ok' "$W/rtdefault"
        check "RuntimeDefault: syslog refused without CAP_SYSLOG" grep -qx 'syslog EPERM' "$W/rtdefault"
        check "RuntimeDefault: unshare refused without CAP_SYS_ADMIN" grep -qx 'unshare EPERM' "$W/rtdefault"
        check "RuntimeDefault: keyctl refused even for root" grep -qx 'keyctl EPERM' "$W/rtdefault"
        # runc's stub: a call newer than the profile is ENOSYS (libc falls back), not EPERM
        check "RuntimeDefault: fchmodat2 allowed, or ENOSYS where libseccomp does not know it" \
                grep -qxE 'fchmodat2 (ENOENT|ENOSYS)' "$W/rtdefault"
        check "RuntimeDefault: a call newer than the profile (mseal) fails with ENOSYS" grep -qx 'mseal ENOSYS' "$W/rtdefault"
        check "RuntimeDefault: a shell's pipes, forks and execs work" grep -qx 'shell ok' "$W/rtdefault"
fi

# ---- privileged ---------------------------------------------------------------

hostdev=$(find /dev -maxdepth 1 -type c \( -name 'tty[0-9]*' -o -name kmsg -o -name 'loop-control' \) | head -1)
hostdev=${hostdev#/dev/}
cat <<EOF | apply_pod default priv || die "create priv: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: priv
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cat /proc/self/status; ls /dev; head -c 0 /dev/$hostdev && echo 'opened $hostdev'; grep ' /sys ' /proc/mounts; [ -f /proc/timer_list ] && echo 'timer_list unmasked'; grep -q ' /proc/sys proc ro' /proc/mounts || echo 'proc/sys rw'; echo END; exec sleep 3600"]
    securityContext:
      privileged: true
EOF
if logs_done default priv; then
        cp "$MNT/default/priv/logs/main" "$W/priv"
        is "$(status_field "$W/priv" CapEff)" "$ALL_CAPS" "privileged: every capability"
        is "$(status_field "$W/priv" CapBnd)" "$ALL_CAPS" "privileged: full bounding set"
        check "privileged: the host's /dev/$hostdev is there and opens" grep -qx "opened $hostdev" "$W/priv"
        check "privileged: /sys is read-write" grep -qE '^[^ ]+ /sys [^ ]+ rw[, ]' "$W/priv"
        check "privileged: no masked paths (/proc/timer_list)" grep -qx 'timer_list unmasked' "$W/priv"
        check "privileged: no read-only paths (/proc/sys)" grep -qx 'proc/sys rw' "$W/priv"
fi

# ---- runAsNonRoot: the kubelet's refusals -------------------------------------

# nonroot_case NAME SC IMAGE WANT: the container waits with CreateContainerConfigError and WANT
nonroot_case() {
        local name=$1 sc=$2 image=$3 want=$4 uid msg
        cat <<EOF | apply_pod default "$name" || { fail "create $name: $(cat "$MNT/default/.last-error")"; return; }
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  terminationGracePeriodSeconds: 1
  securityContext: $sc
  containers:
  - name: main
    image: $image
    command: ["sleep", "3600"]
EOF
        check "$name: waiting CreateContainerConfigError" \
                wait_for "$MNT/default/$name/containers/main/reason" CreateContainerConfigError 20
        uid=$(pod_uid default "$name")
        msg=$(jq -r '.containerStatuses[0].state.waiting.message' "$MNT/default/$name/status.json")
        is "$msg" "${want//@POD@/\"${name}_default($uid)\"}" "$name: the kubelet's message"
}
mkdir -p "$W/named-root"
cp -a "$STATE/images/busybox/." "$W/named-root/"
oci_image "$STATE/images/named" "$W/named-root" '{"User": "nobody"}' || die "cannot build the OCI image"
nonroot_case nonroot-image '{runAsNonRoot: true}' busybox \
        'container has runAsNonRoot and image will run as root (pod: @POD@, container: main)'
nonroot_case nonroot-named '{runAsNonRoot: true}' named \
        'container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: @POD@, container: main)'
nonroot_case nonroot-uid0 '{runAsNonRoot: true, runAsUser: 0}' busybox \
        "container's runAsUser breaks non-root policy (pod: @POD@, container: main)"
cat <<'EOF' | apply_pod default nonroot-ok || fail "create nonroot-ok: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: nonroot-ok
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsNonRoot: true, runAsUser: 65534}
  containers:
  - name: main
    image: named
    command: ["sleep", "3600"]
EOF
check "runAsNonRoot with runAsUser 65534 runs" wait_for "$MNT/default/nonroot-ok/phase" Running 20

# ---- the API server's validation ----------------------------------------------

# refused NAME SC WANT: a container securityContext the API server refuses, with WANT in .last-error
refused() {
        local name=$1 sc=$2 want=$3
        mkdir -p "$MNT/default/$name"
        if cat >"$MNT/default/$name/spec.yaml" 2>/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  containers:
  - name: main
    image: busybox
    securityContext: $sc
EOF
        then
                fail "$name: accepted"
        else
                check "$name: refused with '$want'" grep -qF -- "$want" "$MNT/default/.last-error"
        fi
        rmdir "$MNT/default/$name" 2>/dev/null
}
refused bad-priv '{privileged: true, allowPrivilegeEscalation: false}' \
        'spec.containers[0].securityContext: Invalid value: {"privileged":true,"allowPrivilegeEscalation":false}: cannot set `allowPrivilegeEscalation` to false and `privileged` to true'
refused bad-admin '{capabilities: {add: [CAP_SYS_ADMIN]}, allowPrivilegeEscalation: false}' \
        'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'
refused bad-uid '{runAsUser: -1}' \
        'spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive'
refused bad-seccomp '{seccompProfile: {type: Foo}}' \
        'spec.containers[0].securityContext.seccompProfile.type: Unsupported value: "Foo": supported values: "Localhost", "RuntimeDefault", "Unconfined"'
refused bad-procmount '{procMount: Unmasked}' \
        'spec.containers[0].securityContext.procMount: Forbidden: `hostUsers` must be false to use `Unmasked`'

# ---- hostPID, hostIPC ---------------------------------------------------------

cat <<'EOF' | apply_pod default hostns || die "create hostns: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: hostns
spec:
  terminationGracePeriodSeconds: 1
  hostPID: true
  hostIPC: true
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cat /proc/1/comm; echo END; exec sleep 3600"]
    readinessProbe:
      exec: {command: ["sh", "-c", "test -d /proc/1"]}
      periodSeconds: 1
    lifecycle:
      postStart:
        exec: {command: ["sh", "-c", "cat /proc/1/comm >/tmp/hook"]}
EOF
check "hostns: Running" wait_for "$MNT/default/hostns/phase" Running 20
pid=$(ctr default hostns main pid)
if [ -n "$pid" ]; then
        is "$(readlink "/proc/$pid/ns/pid")" "$(readlink /proc/self/ns/pid)" "hostPID: the node's pid namespace"
        is "$(readlink "/proc/$pid/ns/ipc")" "$(readlink /proc/self/ns/ipc)" "hostIPC: the node's ipc namespace"
        logs_done default hostns && is "$(head -1 "$MNT/default/hostns/logs/main")" "$(cat /proc/1/comm)" \
                "hostPID: the container sees the node's pid 1"
        is "$(cat "/proc/$pid/root/tmp/hook" 2>/dev/null)" "$(cat /proc/1/comm)" "hostPID: the postStart hook ran there"
fi
check "hostns: the exec probe works (Ready)" wait_grep "$MNT/default/hostns/conditions" '^Ready True' 20
jq -e '.spec.hostPID == true and .spec.hostIPC == true' "$MNT/default/hostns/pod.json" >/dev/null &&
        ok "pod.json shows hostPID and hostIPC" || fail "pod.json: hostPID/hostIPC missing"

# ---- seccompProfile Localhost: STATE/seccomp/<localhostProfile> ---------------

mkdir -p "$STATE/seccomp/profiles"
cat >"$STATE/seccomp/profiles/no-mkdir.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
EOF
cat <<'EOF' | apply_pod default localprof || fail "create localprof: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: localprof
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    seccompProfile: {type: Localhost, localhostProfile: profiles/no-mkdir.json}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "grep '^Seccomp:' /proc/self/status; mkdir /tmp/d 2>&1; touch /tmp/f && echo 'touch ok'; echo END; exec sleep 3600"]
    readinessProbe:
      exec: {command: ["sh", "-c", "! mkdir /tmp/probe-dir"]}
      periodSeconds: 1
  - name: missing
    image: busybox
    command: ["sleep", "3600"]
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: profiles/missing.json}
EOF
if logs_done default localprof; then
        check "Localhost: Seccomp 2" grep -qE '^Seccomp:\s+2$' "$MNT/default/localprof/logs/main"
        check "Localhost: the profile's errno (EACCES) for mkdir" grep -q 'Permission denied' "$MNT/default/localprof/logs/main"
        check "Localhost: what the profile allows works" grep -qx 'touch ok' "$MNT/default/localprof/logs/main"
fi
# containerd reads the profile when it creates the container: CreateContainerError,
# nothing created, the pod worker's retry (10 s) until the profile is there.
prof=$STATE/seccomp/profiles/missing.json
prof_msg="failed to create containerd container: cannot load seccomp profile \"$prof\": open $prof: no such file or directory"
check "Localhost: a missing profile is a CreateContainerError" \
        wait_for "$MNT/default/localprof/containers/missing/reason" CreateContainerError 20
is "$(jq -r '.containerStatuses[] | select(.name == "missing") | .state.waiting.message' "$MNT/default/localprof/status.json")" \
        "$prof_msg" "Localhost missing: containerd's message"
prof_event() { grep -F "Error: $prof_msg" "$MNT/default/localprof/events" | grep -qP '\sWarning\s+Failed\s+spec.containers\{missing\}\s'; }
check "Localhost missing: the kubelet's event" prof_event
is "$(jq -r '[.containerStatuses[] | select(.name == "missing") | .restartCount, .lastState == {}, has("containerID")] | join(" ")' \
        "$MNT/default/localprof/status.json")" "0 true false" "Localhost missing: restartCount 0, no last state, no container ID"
no_created_missing() { ! grep -qP '\s(Created|Started)\s+spec.containers\{missing\}\s' "$MNT/default/localprof/events"; }
check "Localhost missing: no Created/Started event" no_created_missing
is "$(cat "$MNT/default/localprof/phase")" Pending "Localhost missing: the pod is Pending"
two_errors() { [ "$(grep -cF "Error: $prof_msg" "$MNT/default/localprof/events")" -ge 2 ]; }
check "Localhost missing: tried again after the back-off" retry_until 25 two_errors
cp "$STATE/seccomp/profiles/no-mkdir.json" "$prof"
check "Localhost missing: starts once the profile is there" \
        wait_for "$MNT/default/localprof/containers/missing/state" running 25
created_missing() { ! no_created_missing; }
check "Localhost missing: then Created and Started" created_missing
rm -f "$prof"
check "Localhost: the exec probe has the profile too (main Ready)" \
        wait_for "$MNT/default/localprof/containers/main/ready" true 20

# ---- fsGroup on every volume kind the kubelet applies it to ------------------
# configMap, secret, downwardAPI, projected: group fsGroup, files g+r,
# directories setgid g+rx (read-only volumes); claim data: walked, files g+rw,
# directories setgid g+rwx, a symlink's own group only; hostPath untouched.

mkdir -p "$W/fsg-host" && chmod 0755 "$W/fsg-host" && chgrp 0 "$W/fsg-host"
cat <<'EOF' >"$MNT/default/fsg-objects.yaml" || die "fsg objects: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: ConfigMap
metadata:
  name: fsg-cm
data:
  k: conf
---
apiVersion: v1
kind: Secret
metadata:
  name: fsg-sec
data:
  k: c2VjcmV0
EOF
fsg_claim_pod() { # NAME POD-SECURITY-CONTEXT CMD
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  securityContext: $2
  volumes:
  - {name: data, persistentVolumeClaim: {claimName: fsg-store}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", $(json_str "$3")]
    volumeMounts: [{name: data, mountPath: /data}]
EOF
}
mkdir "$MNT/default/.pvcs/fsg-store" || fail "fsGroup: the claim fsg-store"
# what a pod without fsGroup left in the claim: root's group, no group bits
fsg_claim_pod fsg-pre '{}' 'echo x >/data/old && chmod 600 /data/old && mkdir -m 700 /data/sub && ln -s /etc/passwd /data/link' |
        apply_pod default fsg-pre || fail "create fsg-pre"
check "fsg-pre: Succeeded" wait_for "$MNT/default/fsg-pre/phase" Succeeded 30
host_passwd_gid=$(stat -c %g /etc/passwd)
cat <<EOF | apply_pod default fsg || fail "create fsg: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: fsg
  labels: {app: fsg}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000, fsGroup: 2000}
  volumes:
  - {name: cm, configMap: {name: fsg-cm}}
  - {name: sec, secret: {secretName: fsg-sec, defaultMode: 256}}
  - {name: dw, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
  - {name: proj, projected: {sources: [{configMap: {name: fsg-cm}}]}}
  - {name: data, persistentVolumeClaim: {claimName: fsg-store}}
  - {name: host, hostPath: {path: $W/fsg-host, type: Directory}}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "for f in /cm /cm/..data/. /cm/..data/k /sec /sec/..data/k /dw/..data/labels /proj/..data/k /data /data/old /data/sub /host; do stat -c '%n %g %a' \$f; done; stat -c '%n %g' /data/link; cat /sec/k && echo ' read'; echo END; exec sleep 3600"]
    volumeMounts:
    - {name: cm, mountPath: /cm}
    - {name: sec, mountPath: /sec}
    - {name: dw, mountPath: /dw}
    - {name: proj, mountPath: /proj}
    - {name: data, mountPath: /data}
    - {name: host, mountPath: /host}
EOF
if logs_done default fsg; then
        cp "$MNT/default/fsg/logs/main" "$W/fsg"
        fsg_is() { is "$(awk -v f="$1" '$1 == f' "$W/fsg")" "$1 $2" "fsGroup: $1 is $2 (group mode)"; }
        fsg_is /cm "2000 2777"                  # a disk volume dir: 0777 | 02550
        fsg_is /cm/..data/. "2000 2755"         # the timestamped dir: 0755 | 02550
        fsg_is /cm/..data/k "2000 644"          # 0644 | 0440
        fsg_is /sec "2000 3777"
        fsg_is /sec/..data/k "2000 440"         # defaultMode 0400 | 0440
        fsg_is /dw/..data/labels "2000 644"
        fsg_is /proj/..data/k "2000 644"
        fsg_is /data/old "2000 660"             # claim data: 0600 | 0660
        fsg_is /data/sub "2000 2770"            # 0700 | 02770
        is "$(grep '^/data ' "$W/fsg" | cut -d' ' -f2)" 2000 "fsGroup: the claim's directory has the group"
        is "$(grep '^/data/link ' "$W/fsg")" "/data/link 2000" "fsGroup: a symlink in the claim gets the group itself"
        is "$(grep '^/host ' "$W/fsg")" "/host 0 755" "fsGroup: hostPath is not changed"
        check "fsGroup: a 0400 secret is readable by the pod's user through the group" grep -qx 'secret read' "$W/fsg"
fi
is "$(stat -c %g /etc/passwd)" "$host_passwd_gid" "fsGroup: the symlink's target on the host is untouched"
is "$(stat -c '%g %a' "$W/fsg-host")" "0 755" "fsGroup: hostPath untouched, seen from the host"
fsg_uid=$(pod_uid default fsg)
is "$(stat -c '%g %a' "$STATE/pods/$fsg_uid/volumes/cm/..data/k" 2>&1)" "2000 644" "fsGroup: the configMap's file, seen from the host"
rmdir "$MNT/default/fsg" || fail "delete fsg"
check "fsg: gone" wait_gone "$MNT/default/fsg" 30
# OnRootMismatch: the claim's root matches, nothing below is walked; Always (the default) walks
fsg_claim_pod fsg-late '{}' 'echo y >/data/late && chgrp 0 /data/late' | apply_pod default fsg-late || fail "create fsg-late"
check "fsg-late: Succeeded" wait_for "$MNT/default/fsg-late/phase" Succeeded 30
fsg_claim_pod fsg-skip '{fsGroup: 2000, fsGroupChangePolicy: OnRootMismatch}' 'stat -c "late %g" /data/late' |
        apply_pod default fsg-skip || fail "create fsg-skip"
check "fsg-skip: Succeeded" wait_for "$MNT/default/fsg-skip/phase" Succeeded 30
is "$(cat "$MNT/default/fsg-skip/logs/main")" "late 0" "fsGroupChangePolicy OnRootMismatch: a matching root is not walked"
fsg_claim_pod fsg-walk '{fsGroup: 2000}' 'stat -c "late %g" /data/late' | apply_pod default fsg-walk || fail "create fsg-walk"
check "fsg-walk: Succeeded" wait_for "$MNT/default/fsg-walk/phase" Succeeded 30
is "$(cat "$MNT/default/fsg-walk/logs/main")" "late 2000" "fsGroupChangePolicy unset (Always): the claim is walked"

# ---- sysctls: the safe set, --allowed-unsafe-sysctls, the rest refused --------

host_port_start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
cat <<'EOF' | apply_pod default sysctls || fail "create sysctls: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: sysctls
spec:
  terminationGracePeriodSeconds: 1
  securityContext:
    sysctls:
    - {name: net.ipv4.ip_unprivileged_port_start, value: "80"}
    - {name: kernel.msgmax, value: "4242"}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/msgmax; echo END; exec sleep 3600"]
EOF
if logs_done default sysctls; then
        is "$(head -2 "$MNT/default/sysctls/logs/main" | xargs)" "80 4242" "sysctls: a safe one and an allowed unsafe one, in the pod"
fi
is "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" "$host_port_start" "sysctls: the node's value is untouched"
# An unsafe sysctl the node does not allow: the API server accepts the pod, the
# kubelet's admission fails it (SysctlForbidden); nothing runs.
pod_yaml unsafe Never "true" 1 | sed 's/^spec:$/spec:\n  securityContext:\n    sysctls: [{name: kernel.msgmnb, value: "1"}]/' >"$W/unsafe.yaml"
is "$(fsop write "$MNT/default/unsafe.yaml" <"$W/unsafe.yaml")" OK "an unsafe sysctl the node does not allow: accepted at apply"
check "unsafe: Failed by the node's admission" wait_for "$MNT/default/unsafe/phase" Failed 20
is "$(jq -r .reason "$MNT/default/unsafe/status.json")" SysctlForbidden "unsafe: reason SysctlForbidden"
is "$(jq -r .message "$MNT/default/unsafe/status.json")" 'Pod was rejected: forbidden sysctl: "kernel.msgmnb" not allowlisted' \
        "unsafe: the kubelet's message"
check "unsafe: a Warning event SysctlForbidden" grep -q 'Warning.*SysctlForbidden.*forbidden sysctl: "kernel.msgmnb" not allowlisted' \
        "$MNT/default/unsafe/events"
check "unsafe: no container ran" bash -c "[ ! -s '$MNT/default/unsafe/logs/main' ]"
pod_yaml badsysctl Never "true" 1 | sed 's/^spec:$/spec:\n  hostNetwork: true\n  securityContext:\n    sysctls: [{name: net.ipv4.tcp_syncookies, value: "1"}]/' >"$W/badsysctl.yaml"
is "$(fsop write "$MNT/default/badsysctl.yaml" <"$W/badsysctl.yaml")" EINVAL "a net sysctl with hostNetwork: refused at apply (API server)"
check "... in the API server's words" grep -qF "spec.securityContext.sysctls[0].name: Invalid value: \"net.ipv4.tcp_syncookies\": may not be specified when 'hostNetwork' is true" "$MNT/default/.last-error"

# ---- AppArmor: this node has none -------------------------------------------

if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" != Y ]; then
        # the field, and the deprecated annotation (the API server syncs the two)
        pod_yaml aa Never "true" 1 | sed 's/^spec:$/spec:\n  securityContext:\n    appArmorProfile: {type: RuntimeDefault}/' >"$W/aa.yaml"
        pod_yaml aanno Never "true" 1 | sed 's|^metadata:$|metadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/main: localhost/k8s-deny-write|' >"$W/aanno.yaml"
        pod_yaml aaun Never "true" 1 | sed 's/^    image: busybox$/    image: busybox\n    securityContext:\n      appArmorProfile: {type: Unconfined}/' >"$W/aaun.yaml"
        for p in aa aanno; do
                is "$(fsop write "$MNT/default/$p.yaml" <"$W/$p.yaml")" OK "$p: an AppArmor profile is accepted at apply"
                check "$p: Failed by the node's admission" wait_for "$MNT/default/$p/phase" Failed 20
                is "$(jq -r '"\(.reason)|\(.message)"' "$MNT/default/$p/status.json")" \
                        "AppArmor|Pod was rejected: Cannot enforce AppArmor: AppArmor is not enabled on the host" \
                        "$p: the kubelet's reason and message"
        done
        is "$(fsop write "$MNT/default/aaun.yaml" <"$W/aaun.yaml")" OK "aaun: Unconfined is accepted"
        check "aaun: Unconfined runs without AppArmor (Succeeded)" wait_for "$MNT/default/aaun/phase" Succeeded 30
else
        echo "# AppArmor is enabled on this host: the checks of a host without it do not apply"
fi

# ---- pod.json with every securityContext field here is a Kubernetes Pod ------

if [ -x "$K8S_CONFORM" ] && /usr/bin/python3 -c 'import kubernetes, yaml' 2>/dev/null; then
        for p in ids locked priv hostns sysctls localprof; do
                check "$p: pod.json conforms to Pod" "$K8S_CONFORM" --kind Pod "$MNT/default/$p/pod.json"
        done
else
        log "k8s-conform not available: schema checks skipped"
fi

# ---- Pod Security Standards per namespace -------------------------------------

mkdir "$MNT/pss" || die "mkdir pss"
cat >"$W/ns.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: pss
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
EOF
is "$(fsop write "$MNT/pss/ns.yaml" <"$W/ns.yaml")" OK "a Namespace manifest sets the namespace's labels"
check ".namespace.yaml shows the labels" grep -q 'pod-security.kubernetes.io/enforce: restricted' "$MNT/pss/.namespace.yaml"
bb_pod() {      # bb_pod NAME [POD SECURITY CONTEXT] [CONTAINER SECURITY CONTEXT]: a seed-style busybox pod
        printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  terminationGracePeriodSeconds: 1\n' "$1"
        [ -z "${2:-}" ] || printf '  securityContext: %s\n' "$2"
        printf '  containers:\n  - name: main\n    image: busybox\n    command: ["sleep", "3600"]\n'
        [ -z "${3:-}" ] || printf '    securityContext: %s\n' "$3"
}
bb_pod bb >"$W/bb.yaml"
is "$(fsop write "$MNT/pss/bb.yaml" <"$W/bb.yaml")" EACCES "restricted: the plain busybox pod is refused (EACCES)"
check "restricted: the admission's message" grep -qF 'pss/bb.yaml: pods "bb" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "main" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "main" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "main" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "main" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")' "$MNT/pss/.last-error"
check "restricted: nothing was created" test ! -e "$MNT/pss/bb"
bb_pod bb '{runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}' \
        '{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}' >"$W/bb.yaml"
is "$(fsop write "$MNT/pss/bb.yaml" <"$W/bb.yaml")" OK "restricted: the same pod with the required fields is accepted"
check "restricted: it runs" wait_for "$MNT/pss/bb/phase" Running 20
# (Running is also what a crash-looping pod reports: look at the container)
check "restricted: the container started and stays up" wait_grep "$MNT/pss/bb/containers/main/state" '^running$' 20
is "$(jq -r '.containerStatuses[0].restartCount' "$MNT/pss/bb/status.json")" 0 "restricted: no restart"
PID_BB=$(sed -n 's/^ctr\.main=//p' "$STATE/pods/$(pod_uid pss bb)/sandbox")
is "$(awk '/^Uid:/ {print $2}' "/proc/$PID_BB/status" 2>/dev/null)" 1000 "restricted: it runs as its user (capabilities drop ALL)"
is "$(awk '/^CapEff:/ {print $2}' "/proc/$PID_BB/status" 2>/dev/null)" 0000000000000000 "restricted: no effective capability"
is "$(awk '/^CapBnd:/ {print $2}' "/proc/$PID_BB/status" 2>/dev/null)" 0000000000000000 "restricted: an empty bounding set"

mkdir "$MNT/pssw" || die "mkdir pssw"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pssw\n  labels:\n    pod-security.kubernetes.io/warn: baseline\n' >"$W/nsw.yaml"
is "$(fsop write "$MNT/pssw/ns.yaml" <"$W/nsw.yaml")" OK "warn: baseline"
bb_pod hp >"$W/hp.yaml"
sed -i 's/^spec:$/spec:\n  hostPID: true/' "$W/hp.yaml"
is "$(fsop write "$MNT/pssw/hp.yaml" <"$W/hp.yaml")" OK "warn: a hostPID pod is accepted"
check "warn: the warning is in .last-error" grep -qF 'pssw/hp.yaml: Warning: would violate PodSecurity "baseline:latest": host namespaces (hostPID=true) (pod "hp" was accepted)' "$MNT/pssw/.last-error"
check "warn: the pod runs" wait_for "$MNT/pssw/hp/phase" Running 20
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pssw\n  labels:\n    pod-security.kubernetes.io/enforce: strict\n' >"$W/nsb.yaml"
is "$(fsop write "$MNT/pssw/ns.yaml" <"$W/nsb.yaml")" EINVAL "an unknown level is refused"
check "... with the admission's words" grep -qF 'metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted' "$MNT/pssw/.last-error"

# enforce-version pins the checks of that policy version: runAsUser=0 is
# refused at restricted from v1.23 on, not at v1.22; warn has its own version
mkdir "$MNT/pssv" || die "mkdir pssv"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pssv\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: v1.22\n    pod-security.kubernetes.io/warn: restricted\n    pod-security.kubernetes.io/warn-version: v1.23\n' >"$W/nsv.yaml"
is "$(fsop write "$MNT/pssv/ns.yaml" <"$W/nsv.yaml")" OK "enforce-version v1.22, warn-version v1.23"
bb_pod r0 '{runAsNonRoot: true, runAsUser: 0, seccompProfile: {type: RuntimeDefault}}' \
        '{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}' >"$W/r0.yaml"
is "$(fsop write "$MNT/pssv/r0.yaml" <"$W/r0.yaml")" OK "restricted:v1.22: runAsUser 0 is accepted (its check is from v1.23)"
check "... and the v1.23 warning says so" grep -qF 'pssv/r0.yaml: Warning: would violate PodSecurity "restricted:v1.23": runAsUser=0 (pod must not set runAsUser=0) (pod "r0" was accepted)' "$MNT/pssv/.last-error"
bb_pod bbv >"$W/bbv.yaml"
is "$(fsop write "$MNT/pssv/bbv.yaml" <"$W/bbv.yaml")" EACCES "restricted:v1.22: the plain busybox pod is refused"
check "... with the version in the message" grep -qF 'pods "bbv" is forbidden: violates PodSecurity "restricted:v1.22": allowPrivilegeEscalation != false' "$MNT/pssv/.last-error"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pssv\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: "1.22"\n' >"$W/nsvb.yaml"
is "$(fsop write "$MNT/pssv/ns.yaml" <"$W/nsvb.yaml")" EINVAL "a version that is not v1.N is refused"
check "... with the admission's words" grep -qF 'metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: "1.22": must be "latest" or "v1.x"' "$MNT/pssv/.last-error"

chmod 1777 "$MNT/pssw"
is "$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups -- /usr/bin/python3 -c "$FSOP_PY" write "$MNT/pssw/ns2.yaml" <"$W/nsw.yaml")" EPERM \
        "a user who may create pods in the namespace may not set its labels"
(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups -- cat "$MNT/pssw/.last-error") >"$W/nobody-err" 2>&1
check "... and is told why in their .last-error" \
        grep -qF 'namespaces "pssw" is forbidden: User "65534" cannot update resource "namespaces"' "$W/nobody-err"

# ---- --pod-security-enforce: the level of namespaces without labels; labels survive a restart

podfs_umount || die "cannot unmount"
podfs_start --pod-security-enforce baseline --allowed-unsafe-sysctls kernel.msgmax \
        --pod-security-exempt-namespaces sys,pssv
mkdir "$MNT/dflt" || die "mkdir dflt"
bb_pod privd '' '{privileged: true}' >"$W/privd.yaml"
is "$(fsop write "$MNT/dflt/privd.yaml" <"$W/privd.yaml")" EACCES \
        "--pod-security-enforce baseline: a privileged pod is refused in a namespace without labels"
check "... in the admission's words" grep -qF 'pods "privd" is forbidden: violates PodSecurity "baseline:latest": privileged (container "main" must not set securityContext.privileged=true)' "$MNT/dflt/.last-error"
bb_pod plain >"$W/plain.yaml"
is "$(fsop write "$MNT/dflt/plain.yaml" <"$W/plain.yaml")" OK "--pod-security-enforce baseline: the plain busybox pod is accepted"
is "$(fsop write "$MNT/pss/plain.yaml" <"$W/plain.yaml")" EACCES "a namespace's restricted label holds after a restart"
check ".namespace.yaml after a restart" grep -q 'pod-security.kubernetes.io/enforce: restricted' "$MNT/pss/.namespace.yaml"
# --pod-security-exempt-namespaces: neither the default level nor the labels apply
mkdir "$MNT/sys" || die "mkdir sys"
is "$(fsop write "$MNT/sys/privd.yaml" <"$W/privd.yaml")" OK "an exempt namespace: the privileged pod is accepted"
sed 's/name: plain/name: plain2/' "$W/plain.yaml" >"$W/plain2.yaml"
is "$(fsop write "$MNT/pssv/plain2.yaml" <"$W/plain2.yaml")" OK "an exempt namespace: its restricted label is not checked"

finish
