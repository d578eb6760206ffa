#!/bin/bash
# A pod's namespaces: containers reach each other on localhost and share an
# emptyDir; each has its own mount namespace (and pid namespace unless
# shareProcessNamespace); the pod's hostname; the pod is not in the host's
# network namespace.
# timeout: 120
. "$(dirname "$0")/lib.sh"
podfs_setup

cat <<'EOF' | apply_pod default duo || die "create duo"
apiVersion: v1
kind: Pod
metadata:
  name: duo
spec:
  terminationGracePeriodSeconds: 2
  volumes:
  - name: shared
    emptyDir: {}
  containers:
  - name: server
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; nc -l -p 7777 -e sh -c 'read l; echo $l > /shared/got-by-server; echo pong'; echo served; cat /shared/got-by-server; hostname; while true; do sleep 60 & wait $!; done"]
    volumeMounts:
    - name: shared
      mountPath: /shared
  - name: client
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; until echo ping | nc 127.0.0.1 7777 > /data/got-by-client 2>/dev/null && [ -s /data/got-by-client ]; do sleep 0.2; done; echo reply $(cat /data/got-by-client); echo written-by-client > /data/note; while true; do sleep 60 & wait $!; done"]
    volumeMounts:
    - name: shared
      mountPath: /data
EOF
P=$MNT/default/duo
check "duo Running" wait_for "$P/phase" Running 20
check "client got the server's reply over localhost" wait_grep "$P/logs/client" '^reply pong$' 15
check "server got the client's message over localhost" wait_grep "$P/logs/server" '^ping$' 10
check "pod hostname is the pod name" wait_grep "$P/logs/server" '^duo$' 5

spid=$(ctr default duo server pid)
cpid=$(ctr default duo client pid)
if [ -n "$spid" ] && [ -n "$cpid" ] && [ -d "/proc/$spid" ] && [ -d "/proc/$cpid" ]; then
        ok "both containers have a live pid ($spid, $cpid)"
        ns() { readlink "/proc/$1/ns/$2"; }
        check "server has its own mount namespace (not the host's)" test "$(ns "$spid" mnt)" != "$(ns $$ mnt)"
        check "containers have different mount namespaces" test "$(ns "$spid" mnt)" != "$(ns "$cpid" mnt)"
        is "$(ns "$spid" net)" "$(ns "$cpid" net)" "containers share the network namespace"
        check "the pod's network namespace is not the host's" test "$(ns "$spid" net)" != "$(ns $$ net)"
        is "$(ns "$spid" uts)" "$(ns "$cpid" uts)" "containers share the UTS namespace"
        is "$(ns "$spid" ipc)" "$(ns "$cpid" ipc)" "containers share the IPC namespace"
        check "containers have different pid namespaces (no shareProcessNamespace)" test "$(ns "$spid" pid)" != "$(ns "$cpid" pid)"
        is "$(awk '/^NSpid/{print $NF}' "/proc/$spid/status")" 1 "the app is PID 1 in its pid namespace"
        check "the two see the same emptyDir" test -e "/proc/$spid/root/shared/note" -a "/proc/$spid/root/shared/." -ef "/proc/$cpid/root/data/."
        is "$(cat "/proc/$spid/root/shared/note" 2>/dev/null)" written-by-client "server reads what the client wrote"
        check "the server does not see the client's mount" test ! -e "/proc/$spid/root/data/note"
        is "$(nsenter -t "$spid" -u cat /proc/sys/kernel/hostname)" duo "UTS hostname is the pod name"
        check "loopback is up in the pod" bash -c "nsenter -t $spid -n ip -o link show lo | grep -q UP"
else
        fail "container pids: server '$spid' client '$cpid'"
fi

# shareProcessNamespace and spec.hostname
cat <<'EOF' | apply_pod default shared || die "create shared"
apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  shareProcessNamespace: true
  hostname: custom-host
  terminationGracePeriodSeconds: 2
  containers:
  - name: a
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; exec sleep 3600"]
  - name: b
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; hostname; until ps -o pid,args | grep -v grep | grep -q 'sleep 3600'; do sleep 0.2; done; echo sees-a; ps -o pid,args; while true; do sleep 60 & wait $!; done"]
EOF
S=$MNT/default/shared
check "shared Running" wait_for "$S/phase" Running 20
check "with shareProcessNamespace b sees a's process" wait_grep "$S/logs/b" '^sees-a$' 10
check "spec.hostname is the hostname" grep -qx custom-host "$S/logs/b"
apid=$(ctr default shared a pid)
bpid=$(ctr default shared b pid)
if [ -n "$apid" ] && [ -n "$bpid" ]; then
        is "$(readlink "/proc/$apid/ns/pid")" "$(readlink "/proc/$bpid/ns/pid")" "a and b share the pid namespace"
        check "but not the mount namespace" test "$(readlink "/proc/$apid/ns/mnt")" != "$(readlink "/proc/$bpid/ns/mnt")"
else
        fail "shared: container pids a '$apid' b '$bpid'"
fi

finish
