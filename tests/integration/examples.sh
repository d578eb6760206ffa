#!/bin/bash
# Every manifest in examples/ runs as it is, with the busybox image.
# timeout: 120
. "$(dirname "$0")/lib.sh"
podfs_setup
D=$MNT/default
EX=$TOP/examples

for f in hello two-containers job multi web sidecar; do
        check "cp examples/$f.yaml" cp "$EX/$f.yaml" "$D/"
done

check "hello Running" wait_for "$D/hello/phase" Running 20
check "hello greets" wait_grep "$D/hello/logs/hello" '^hello from podfs, pod hello$' 10
check "hello ticks" wait_grep "$D/hello/logs/hello" '^tick 2$' 10

check "two-containers Running" wait_for "$D/two-containers/phase" Running 20
check "client fetched the page over localhost from the shared volume" \
        wait_grep "$D/two-containers/logs/client" '^hello through the shared volume$' 20
check "web served it" wait_grep "$D/two-containers/logs/web" 'response:200' 5

check "job Succeeded" wait_for "$D/job/phase" Succeeded 20
is "$(ctr default job count exit_code)" 0 "job exit code 0"
is "$(tail -n 1 "$D/job/logs/count")" done "job log ends with done"

for p in multi-a multi-b; do check "$p Running" wait_for "$D/$p/phase" Running 20; done
check "multi-a says so" wait_grep "$D/multi-a/logs/main" '^I am a$' 5
check "multi-b has its env" wait_grep "$D/multi-b/logs/main" '^I am b$' 5
check "multi-once Succeeded" wait_for "$D/multi-once/phase" Succeeded 20

check "sidecar Succeeded (the shipper stopped once the app was done)" wait_for "$D/sidecar/phase" Succeeded 30
check "sidecar: the shipper followed the app" grep -qx 'work 3' "$D/sidecar/logs/shipper"
check "sidecar: the shipper got SIGTERM" grep -qx 'shipper stopped' "$D/sidecar/logs/shipper"

check "web Running" wait_for "$D/web/phase" Running 20
check "web Ready (httpGet probe)" wait_grep "$D/web/conditions" '^Ready True' 20
check "web's ip file answers (empty on the tests' loopback-only network)" test -f "$D/web/ip"

# the examples stop promptly (they handle SIGTERM)
t0=$(now_ms)
for p in hello two-containers job multi-a multi-b multi-once web sidecar; do rmdir "$D/$p" || fail "rmdir $p"; done
for p in hello two-containers job multi-a multi-b multi-once web sidecar; do check "$p gone" wait_gone "$D/$p" 15; done
t=$(($(now_ms) - t0))
if [ "$t" -lt 5000 ]; then ok "all examples deleted in ${t} ms"; else fail "deleting the examples took ${t} ms"; fi

check "cp examples/stdin.yaml" cp "$EX/stdin.yaml" "$D/"
check "stdin.yaml: on its terminal" wait_grep "$D/shell/logs/main" '^on /dev/pts/0$' 20
echo hello >"$D/shell/containers/main/stdin" || fail "stdin.yaml: write its stdin"
check "stdin.yaml: it read what was typed" wait_grep "$D/shell/logs/main" '^you said: hello$' 10
rmdir "$D/shell" && check "shell gone (SIGQUIT, its stopSignal)" wait_gone "$D/shell" 5

check "cp examples/configmap.yaml" cp "$EX/configmap.yaml" "$D/"
is "$(cat "$D/.configmaps/app-config/LOG_LEVEL")" info "configmap.yaml: the ConfigMap's key"
is "$(cat "$D/.secrets/app-credentials/username")" admin "configmap.yaml: the Secret's key"
check "configmap.yaml: the claim's dir" test -d "$(cat "$D/.pvcs/app-data/path")"
check "configmap.yaml: the pod reads them" wait_grep "$D/configured/logs/app" '^log level info, user admin$' 20
rmdir "$D/configured" && check "configured gone" wait_gone "$D/configured" 15

check "cp examples/volumes.yaml" cp "$EX/volumes.yaml" "$D/"
check "volumes.yaml: first run" wait_grep "$D/files/logs/app" '^runs: 1$' 20
check "volumes.yaml: the ConfigMap's file and the labels file" \
        wait_grep "$D/files/logs/app" '^hello \| app="files" tier="web"$' 20
printf 'bonjour' >"$D/.configmaps/site/greeting" || fail "volumes.yaml: update the greeting"
check "volumes.yaml: the file follows the ConfigMap" wait_grep "$D/files/logs/app" '^bonjour \| ' 20
sed -i 's/tier: web/tier: api/' "$D/files/spec.yaml" || fail "volumes.yaml: relabel"
check "volumes.yaml: the labels file follows, in place" wait_grep "$D/files/logs/app" 'tier="api"$' 20
is "$(cat "$D/files/containers/app/restarts")" 0 "volumes.yaml: no restart"
rmdir "$D/files" && check "files gone" wait_gone "$D/files" 15
cp "$EX/volumes.yaml" "$D/" || fail "volumes.yaml: again"
check "volumes.yaml: the claim kept the count" wait_grep "$D/files/logs/app" '^runs: 2$' 20
rmdir "$D/files" && check "files gone again" wait_gone "$D/files" 15

finish
