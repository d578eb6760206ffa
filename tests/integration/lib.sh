# Helpers for the integration tests (bash). Source it first thing:
#
#   . "$(dirname "$0")/lib.sh"
#   podfs_setup            # private work dir, busybox image, podfs mounted at $MNT
#   ...
#   finish                 # exit 0 when every check passed, 1 otherwise
#
# Every test runs in a private work dir $W (state dir $STATE, mount $MNT). An
# EXIT trap unmounts, stops the daemon and kills every process that belongs to
# this test's state dir (sandboxes, containers, watchers), then removes $W.
# Skip = exit 77 with the missing thing named. Waiting is done with inotify and
# deadlines; where inotify can't see a change (/proc), a bounded retry loop.
#
# Environment: PODFS_BUILD (build dir, default <top>/build), PODFS_KEEP=1
# (keep $W after a failure), PODFS_SANITIZE=1 (fail when a sanitizer reported).

set -u
set -o pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${PODFS_BUILD:-$TOP/build}
case "$BUILD" in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
PODFS_BIN=$BUILD/fs/podfs
PODFS_SANDBOX_BIN=$BUILD/runtime/podfs-sandbox
# the Kubernetes object checker beside the repo, through tests/k8s-conform-current
# (the v1 fields newer than its client's models); a missing checker skips the checks
K8S_CONFORM_TOOL=${K8S_CONFORM_TOOL:-$TOP/../shared/tools/k8s-conform}
K8S_CONFORM=$TOP/tests/k8s-conform-current
[ -x "$K8S_CONFORM_TOOL" ] || K8S_CONFORM=$K8S_CONFORM_TOOL
export K8S_CONFORM_TOOL
TEST_NAME=$(basename "$0" .sh)

W=""
STATE=""
MNT=""
PODFS_PID=""
FAILS=0
PASSES=0

# ---- reporting ---------------------------------------------------------------

now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }
log() { printf '# %s\n' "$*"; }
ok() { PASSES=$((PASSES + 1)); printf 'ok - %s\n' "$*"; }
fail() { FAILS=$((FAILS + 1)); printf 'FAIL - %s\n' "$*"; }
# die MSG: a failure after which the test cannot go on.
die() { fail "$*"; exit 1; }
skip() { printf 'SKIP - %s: %s\n' "$TEST_NAME" "$*"; exit 77; }
# check DESCRIPTION CMD...: ok when CMD succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# is GOT WANT DESCRIPTION
is() {
        if [ "$1" = "$2" ]; then ok "$3"; else fail "$3: got '$1', want '$2'"; fi
}
finish() {
        printf '# %s: %d passed, %d failed\n' "$TEST_NAME" "$PASSES" "$FAILS"
        [ "$FAILS" -eq 0 ] && exit 0
        exit 1
}

# ---- requirements ------------------------------------------------------------

require_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
require_fuse() {
        [ -c /dev/fuse ] || skip "no /dev/fuse"
        command -v fusermount3 >/dev/null || skip "no fusermount3 (apt-get install fuse3)"
}
require_cmd() {
        local c
        for c in "$@"; do command -v "$c" >/dev/null || skip "no $c installed"; done
}
require_binaries() {
        [ -x "$PODFS_BIN" ] || die "podfs not built ($PODFS_BIN)"
        [ -x "$PODFS_SANDBOX_BIN" ] || die "podfs-sandbox not built ($PODFS_SANDBOX_BIN)"
}

# ---- images ------------------------------------------------------------------

# The busybox rootfs, built once per build dir; each test copies it into its own
# image store (cheap: one binary + symlinks) so containers can't touch the cache.
busybox_image() {
        local cache=$BUILD/test-images/busybox
        if [ ! -x "$cache/bin/busybox" ] || [ /bin/busybox -nt "$cache/bin/busybox" ]; then
                mkdir -p "$BUILD/test-images"
                (
                        flock 9
                        if [ ! -x "$cache/bin/busybox" ] || [ /bin/busybox -nt "$cache/bin/busybox" ]; then
                                "$TOP/scripts/mkimage-busybox" "$cache" >/dev/null
                        fi
                ) 9>"$BUILD/test-images/.lock" || die "cannot build the busybox image"
        fi
        echo "$cache"
}

# helper_build NAME: tests/helpers/NAME.c linked statically (once per build
# dir, rebuilt when the source changes); prints the binary's path.
helper_build() {
        local src=$TOP/tests/helpers/$1.c out=$BUILD/test-helpers/$1
        [ -f "$src" ] || die "no test helper $src"
        mkdir -p "$BUILD/test-helpers"
        (
                flock 9
                if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
                        cc -static -O1 -Wall -Werror -o "$out.tmp" "$src" && mv "$out.tmp" "$out"
                fi
        ) 9>"$BUILD/test-helpers/.lock" || die "cannot build the test helper $1"
        echo "$out"
}
# helper_install NAME [IMAGE_DIR]: put the helper into the image as /bin/NAME
# (default: the test's busybox image under $STATE/images).
helper_install() {
        local bin dst=${2:-$STATE/images/busybox}
        bin=$(helper_build "$1") || exit 1
        install -m 0755 "$bin" "$dst/bin/$1" || die "cannot install the test helper $1"
}

# oci_image LAYOUT ROOTFS CONFIG [TAG=latest]: an OCI image layout at LAYOUT with
# one gzip layer (the contents of ROOTFS, as they are: FIFOs, symlinks, modes)
# and CONFIG as the image's "config" object (JSON, e.g. '{"User": "nobody"}').
oci_image() {
        local l=$1 root=$2 cfg=$3 tag=${4:-latest} t c b m
        t=$(mktemp -d) || return 1
        mkdir -p "$l/blobs/sha256" || return 1
        _oci_blob() {
                local d
                d=$(sha256sum "$1" | cut -d' ' -f1)
                cp "$1" "$l/blobs/sha256/$d"
                printf '"digest":"sha256:%s","size":%s' "$d" "$(stat -c %s "$1")"
        }
        tar -C "$root" -czf "$t/layer" . || return 1
        jq -cn --argjson c "$cfg" '{architecture: "amd64", os: "linux", config: $c,
                rootfs: {type: "layers", diff_ids: []}}' >"$t/config" || return 1
        c=$(_oci_blob "$t/config")
        b=$(_oci_blob "$t/layer")
        printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json",%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",%s}]}' \
                "$c" "$b" >"$t/manifest"
        m=$(_oci_blob "$t/manifest")
        printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
                "$m" "$tag" >"$l/index.json"
        echo '{"imageLayoutVersion":"1.0.0"}' >"$l/oci-layout"
        rm -rf "$t"
}

# ---- setup / teardown --------------------------------------------------------

# podfs_setup [--no-mount]: work dir, state dir with images/busybox, podfs mounted.
podfs_setup() {
        require_root
        require_fuse
        require_cmd inotifywait mountpoint
        require_binaries
        W=$(mktemp -d /tmp/podfs-test.XXXXXX) || die "mktemp"
        chmod 0755 "$W"
        # tests/run cleans up after a test it had to kill
        [ -z "${PODFS_TEST_WORKDIR_FILE:-}" ] || echo "$W" >"$PODFS_TEST_WORKDIR_FILE"
        STATE=$W/state
        MNT=$W/mnt
        mkdir -p "$STATE/images" "$MNT"
        cni_lo_conf
        trap podfs_cleanup EXIT
        trap 'exit 130' INT TERM
        local img
        img=$(busybox_image) || exit 1
        cp -a "$img" "$STATE/images/busybox"
        if [ "${PODFS_SANITIZE:-}" = 1 ]; then
                export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
                export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
        fi
        export PODFS_SANDBOX=$PODFS_SANDBOX_BIN
        # No test reaches a registry off this machine: Docker Hub, where a short
        # name without a local image ("later") would be pulled from, is blocked
        # for skopeo (registries.conf, as a user would configure it).
        printf '[[registry]]\nlocation = "docker.io"\nblocked = true\n\n' >"$W/registries.conf"
        export CONTAINERS_REGISTRIES_CONF=$W/registries.conf
        [ "${1:-}" = --no-mount ] || podfs_start
}

# The network the tests' pods get unless a test says otherwise: the loopback
# plugin only (no bridge, no iptables rule on the test machine). network.sh
# makes bridges of its own.
CNI_LO_DIR=""
cni_lo_conf() {
        CNI_LO_DIR=$W/cni-lo
        mkdir -p "$CNI_LO_DIR"
        printf '{"cniVersion": "1.0.0", "name": "podfs-test-lo", "plugins": [{"type": "loopback"}]}\n' \
                >"$CNI_LO_DIR/lo.conflist"
}

# The masquerade podfs installs for its default network (fs/masquerade.c),
# global on the machine: a test or bench that makes podfs write its default
# network calls masq_note first and masq_undo at its end, which removes the
# rules that were not there at masq_note.
MASQ_BEFORE=""
# masq_rules [6]: the rules (iptables -S lines) of IPv4, or of IPv6 with 6.
masq_rules() {
        "ip${1:+6}tables" -w -t nat -S POSTROUTING 2>/dev/null | grep -F -- '"podfs masquerade"'
}
# localnet_rules: the filter INPUT rule that keeps pods from the node's 127.0.0.1 (with portmap)
localnet_rules() {
        iptables -w -t filter -S INPUT 2>/dev/null | grep -F -- '"podfs: block incoming localnet connections"'
}
masq_note() { MASQ_BEFORE=$(masq_rules; masq_rules 6 | sed 's/^/6 /'; localnet_rules | sed 's/^/f /'; echo .); }
masq_undo() {
        local r
        masq_rules | while read -r r; do
                grep -qxF -- "$r" <<<"$MASQ_BEFORE" || eval "iptables -w -t nat ${r/-A/-D}"
        done
        localnet_rules | while read -r r; do
                grep -qxF -- "f $r" <<<"$MASQ_BEFORE" || eval "iptables -w -t filter ${r/-A/-D}"
        done
        masq_rules 6 | while read -r r; do
                grep -qxF -- "6 $r" <<<"$MASQ_BEFORE" || eval "ip6tables -w -t nat ${r/-A/-D}"
        done
        return 0
}

# podfs_start [EXTRA ARGS]: start the daemon in the foreground mode, in the
# background of this shell, and wait (bounded) until the mount is there.
podfs_start() {
        "$PODFS_BIN" --state-dir "$STATE" -f --cni-conf-dir "$CNI_LO_DIR" "$@" "$MNT" >>"$W/podfs.log" 2>&1 </dev/null &
        PODFS_PID=$!
        local i
        for i in $(seq 1 200); do
                if is_mounted "$MNT" && [ -d "$MNT/default" ]; then
                        return 0
                fi
                if ! kill -0 "$PODFS_PID" 2>/dev/null; then
                        PODFS_PID=""
                        tail -n 30 "$W/podfs.log" | sed 's/^/# podfs.log: /'
                        die "podfs exited before mounting"
                fi
                sleep 0.05
        done
        tail -n 30 "$W/podfs.log" | sed 's/^/# podfs.log: /'
        die "podfs did not mount $MNT within 10 s"
}

is_mounted() { grep -q " $1 fuse" /proc/self/mounts 2>/dev/null || mountpoint -q "$1" 2>/dev/null; }

# podfs_umount: unmount as a user would and wait for the daemon to exit.
podfs_umount() {
        [ -n "$MNT" ] || return 0
        if is_mounted "$MNT"; then
                timeout 10 fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
        fi
        if [ -n "$PODFS_PID" ]; then
                retry_until 10 daemon_gone "$PODFS_PID" || kill -9 "$PODFS_PID" 2>/dev/null
                if ! retry_until 5 daemon_gone "$PODFS_PID"; then
                        fail "podfs does not end after the unmount; its threads:"
                        task_stacks "$PODFS_PID"
                        fuse_abort "$MNT"
                fi
                wait "$PODFS_PID" 2>/dev/null
                PODFS_PID=""
        fi
        ! is_mounted "$MNT"
}

# podfs_kill9: the daemon dies without any cleanup; the stale mount goes away.
# A daemon that does not end within 5 s of SIGKILL (a thread stuck in the
# kernel, e.g. in a request to its own mount) is a failure: its threads'
# stacks are shown and its FUSE connection is aborted so the test can go on.
podfs_kill9() {
        [ -n "$PODFS_PID" ] || return 0
        disown "$PODFS_PID" 2>/dev/null        # no "Killed" notice; bash still reaps it
        kill -9 "$PODFS_PID" 2>/dev/null
        if ! retry_until 5 daemon_gone "$PODFS_PID"; then
                fail "podfs did not exit within 5 s of kill -9; its threads:"
                task_stacks "$PODFS_PID"
                fuse_abort "$MNT"
                retry_until 5 daemon_gone "$PODFS_PID" || log "still not gone after aborting the connection"
        fi
        PODFS_PID=""
        fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
        return 0
}

# daemon_gone PID: no thread of PID is left (a zombie leader with live threads is not gone).
daemon_gone() {
        local t st
        for t in /proc/"$1"/task/*; do
                [ -e "$t" ] || continue
                read -r st 2>/dev/null <"$t/stat" || continue
                st=${st##*) }
                [ "${st%% *}" = Z ] || return 1
        done
        return 0
}
task_stacks() {
        local t
        for t in /proc/"$1"/task/*; do
                log "task ${t##*/}: $(awk '{print $3}' "$t/stat" 2>/dev/null) $(cat "$t/wchan" 2>/dev/null)"
                sed 's/^/#     /' "$t/stack" 2>/dev/null | head -n 12
        done
}
# fuse_abort MNT: end the FUSE connection of MNT (every request fails with ENOTCONN).
fuse_abort() {
        local dev
        # the connections dir needs fusectl mounted (systemd does; a bare VM may not)
        mountpoint -q /sys/fs/fuse/connections || mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null
        dev=$(awk -v m="$1" '$5 == m { split($3, d, ":"); print d[2] }' /proc/self/mountinfo | head -n 1)
        [ -n "$dev" ] && [ -w "/sys/fs/fuse/connections/$dev/abort" ] && echo 1 >"/sys/fs/fuse/connections/$dev/abort"
}

# wait_pid_exit PID SECONDS (not a child: bounded retry on /proc).
wait_pid_exit() {
        local pid=$1 deadline=$(($(now_ms) + $2 * 1000))
        while [ -e "/proc/$pid" ]; do
                # a zombie child of ours counts as exited
                [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && return 0
                [ "$(now_ms)" -ge "$deadline" ] && return 1
                sleep 0.05
        done
        return 0
}

# test_pids: every process that belongs to this test: its command line or root
# names the work dir, or its cgroup names one of the test's pod uids.
test_pids() {
        [ -n "$W" ] || return 0
        local uids=() imgs=() u p i cmd cg
        local -a argv lines
        for u in "$STATE"/pods/*; do [ -e "$u" ] && uids+=("${u##*/}"); done
        for i in "$STATE"/images/*/; do [ -d "$i" ] && imgs+=("$i"); done
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
                mapfile -d '' argv 2>/dev/null <"/proc/$p/cmdline" || continue
                cmd="${argv[*]}"
                case "$cmd" in *"$W"*) echo "$p"; continue ;; esac
                for i in "${imgs[@]}"; do
                        if [ "/proc/$p/root/." -ef "$i." ]; then echo "$p"; continue 2; fi
                done
                [ ${#uids[@]} -gt 0 ] || continue
                mapfile -t lines 2>/dev/null <"/proc/$p/cgroup" || continue
                cg="${lines[*]}"
                for u in "${uids[@]}"; do
                        case "$cg" in *"$u"*) echo "$p"; continue 2 ;; esac
                done
        done
}

kill_test_processes() {
        local i pids
        for i in $(seq 1 50); do
                pids=$(test_pids)
                [ -n "$pids" ] || return 0
                # shellcheck disable=SC2086
                kill -9 $pids 2>/dev/null
                sleep 0.1
        done
        log "processes left behind: $(test_pids | tr '\n' ' ')"
        return 1
}

# The pods whose sandboxes were killed above leave their (empty) cgroups: the
# sandbox's own --cleanup removes them, as the daemon would on its next start.
remove_test_cgroups() {
        local d
        [ -x "$PODFS_SANDBOX_BIN" ] || return 0
        for d in "$STATE"/pods/*/; do
                [ -d "$d" ] || continue
                timeout 10 "$PODFS_SANDBOX_BIN" --state-dir "$STATE" --uid "$(basename "$d")" --cleanup \
                        >/dev/null 2>&1
        done
}

sanitizer_check() {
        [ "${PODFS_SANITIZE:-}" = 1 ] || return 0
        local f bad=""
        for f in "$W/podfs.log" "$STATE"/pods/*/sandbox.log; do
                [ -f "$f" ] || continue
                if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$f"; then
                        bad="$bad $f"
                        grep -E -A 20 'ERROR: .*Sanitizer|runtime error:' "$f" | head -n 60 | sed 's/^/# /'
                fi
        done
        [ -z "$bad" ] || fail "sanitizer reports in:$bad"
}

podfs_cleanup() {
        local rc=$?
        trap - EXIT
        [ -n "$W" ] || exit "$rc"
        if [ -n "$MNT" ] && is_mounted "$MNT"; then
                timeout 10 fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
        fi
        if [ -n "$PODFS_PID" ]; then
                kill -TERM "$PODFS_PID" 2>/dev/null
                retry_until 5 daemon_gone "$PODFS_PID" || kill -9 "$PODFS_PID" 2>/dev/null
                retry_until 5 daemon_gone "$PODFS_PID" || { fuse_abort "$MNT"; umount -l "$MNT" 2>/dev/null; }
        fi
        disown -a 2>/dev/null   # no "Killed" notices for the test's own background jobs
        kill_test_processes
        remove_test_cgroups
        # a test's own teardown (bridges, firewall rules), once no pod is left
        [ -z "${TEST_CLEANUP:-}" ] || "$TEST_CLEANUP"
        sanitizer_check
        [ "$FAILS" -gt 0 ] && [ "$rc" -eq 0 ] && rc=1
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -f "$W/podfs.log" ]; then
                log "--- last lines of podfs.log"
                tail -n 40 "$W/podfs.log" | sed 's/^/# /'
                local f
                for f in "$STATE"/pods/*/sandbox.log; do
                        [ -s "$f" ] || continue
                        log "--- $f"
                        tail -n 20 "$f" | sed 's/^/# /'
                done
        fi
        if [ "$rc" -ne 0 ] && [ "${PODFS_KEEP:-}" = 1 ]; then
                log "kept $W"
        else
                umount -l "$MNT" 2>/dev/null
                # mounts of sandboxes killed above (they unmount on a normal end)
                local m
                for m in $(awk -v w="$W/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
                        umount -l "$m" 2>/dev/null
                done
                rm -rf --one-file-system "$W"
        fi
        exit "$rc"
}

# ---- waiting -----------------------------------------------------------------

# wait_until SECONDS WATCH CMD...: run CMD until it succeeds, re-checking whenever
# inotify reports a change on WATCH (a file or dir; the nearest existing parent
# if it does not exist yet). Fails after SECONDS. No sleeps: the watch is set up
# before each check, so a change between check and wait is never missed.
wait_until() {
        local tmo=$1 watch=$2
        shift 2
        local deadline=$(($(now_ms) + tmo * 1000))
        local target fifo ipid fd line rem
        fifo=$(mktemp -u "$W/.wait.XXXXXX")
        mkfifo "$fifo" || return 2
        while :; do
                target=$watch
                while [ ! -e "$target" ] && [ "$target" != / ]; do target=$(dirname "$target"); done
                inotifywait -m -e modify,attrib,close_write,create,delete,delete_self,moved_to,moved_from,move_self \
                        "$target" >"$fifo" 2>&1 &
                ipid=$!
                exec {fd}<"$fifo"
                # wait until the watch is in place (inotifywait says so), bounded
                while IFS= read -r -t 5 -u "$fd" line; do
                        case "$line" in "Watches established"*) break ;; "Couldn't"* | "Failed"*) break ;; esac
                done
                while :; do
                        if "$@"; then
                                kill "$ipid" 2>/dev/null; wait "$ipid" 2>/dev/null
                                exec {fd}<&-
                                rm -f "$fifo"
                                return 0
                        fi
                        rem=$((deadline - $(now_ms)))
                        if [ "$rem" -le 0 ]; then
                                kill "$ipid" 2>/dev/null; wait "$ipid" 2>/dev/null
                                exec {fd}<&-
                                rm -f "$fifo"
                                return 1
                        fi
                        # the watched path appeared or vanished: re-target
                        if [ "$target" != "$watch" ] && [ -e "$watch" ]; then break; fi
                        if [ ! -e "$target" ]; then break; fi
                        if ! kill -0 "$ipid" 2>/dev/null; then break; fi
                        IFS= read -r -t "$((rem / 1000)).$(printf %03d $((rem % 1000)))" -u "$fd" line
                done
                kill "$ipid" 2>/dev/null; wait "$ipid" 2>/dev/null
                exec {fd}<&-
                # a watch on a vanished path: don't spin, the next loop re-targets
        done
}

_content_is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
_content_has() { grep -qE -- "$2" "$1" 2>/dev/null; }
_gone() { [ ! -e "$1" ]; }

# wait_for FILE CONTENT [SECONDS=20]: until FILE reads CONTENT (trailing newline ignored).
wait_for() {
        local f=$1 want=$2 tmo=${3:-20}
        wait_until "$tmo" "$f" _content_is "$f" "$want" && return 0
        log "wait_for: $f is '$(cat "$f" 2>&1 | head -c 200)', want '$want' (${tmo}s)"
        return 1
}
# wait_grep FILE ERE [SECONDS=20]: until a line of FILE matches ERE.
wait_grep() {
        local f=$1 re=$2 tmo=${3:-20}
        case "$f" in
        # a log tells no inotify watcher of new lines (tail -f reads it again too)
        */logs/*) retry_until "$tmo" _content_has "$f" "$re" && return 0 ;;
        *) wait_until "$tmo" "$f" _content_has "$f" "$re" && return 0 ;;
        esac
        log "wait_grep: no '$re' in $f within ${tmo}s; it has:"
        head -c 2000 "$f" 2>&1 | sed 's/^/#   /'
        return 1
}
# wait_gone PATH [SECONDS=20]: until PATH no longer exists (watching its parent).
wait_gone() {
        local p=$1 tmo=${2:-20}
        wait_until "$tmo" "$(dirname "$p")" _gone "$p" && return 0
        log "wait_gone: $p still there after ${tmo}s"
        return 1
}
# retry_until SECONDS CMD...: bounded retry (every 50 ms) for what inotify can't see.
retry_until() {
        local deadline=$(($(now_ms) + $1 * 1000))
        shift
        while ! "$@"; do
                [ "$(now_ms)" -ge "$deadline" ] && return 1
                sleep 0.05
        done
}

# ---- cgroups -----------------------------------------------------------------

# cg_file PID CONTROLLER V1FILE V2FILE: the container's cgroup file for
# CONTROLLER, in its v1 hierarchy when the controller is a v1 one, else in
# its cgroup2 hierarchy.
cg_file() {
        local pid=$1 ctrl=$2 v1=$3 v2=$4 rel mnt
        rel=$(awk -F: -v c="$ctrl" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' \
                "/proc/$pid/cgroup")
        if [ -n "$rel" ]; then
                mnt=$(awk -v c="$ctrl" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $2 }' \
                        /proc/self/mounts | head -n 1)
                echo "$mnt$rel/$v1"
                return
        fi
        rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$pid/cgroup")
        mnt=$(awk '$3 == "cgroup2" { print $2 }' /proc/self/mounts | head -n 1)
        echo "$mnt$rel/$v2"
}

# ---- pods --------------------------------------------------------------------

# apply_pod NS NAME < manifest: mkdir + write spec.yaml; prints the error on failure.
apply_pod() {
        local ns=$1 name=$2
        mkdir -p "$MNT/$ns/$name" || return 1
        cat >"$MNT/$ns/$name/spec.yaml"
}

# pod_yaml NAME [restartPolicy] -- CMD: a one-container busybox pod running "sh -c CMD".
pod_yaml() {
        local name=$1 policy=${2:-Always} cmd=$3 grace=${4:-30}
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  restartPolicy: $policy
  terminationGracePeriodSeconds: $grace
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", $(json_str "$cmd")]
EOF
}

# json_str STRING: STRING as a JSON (= YAML flow) string literal.
json_str() { jq -Rn --arg s "$1" '$s'; }

# run_pod NS NAME POLICY CMD [GRACE]: create the pod and wait until Running.
run_pod() {
        local ns=$1 name=$2
        pod_yaml "$name" "$3" "$4" "${5:-30}" | apply_pod "$ns" "$name" || return 1
        wait_for "$MNT/$ns/$name/phase" Running 20
}

# pod_pids NS POD: host pids of the pod's sandbox and containers (state dir's view).
pod_uid() { basename "$(readlink "$STATE/namespaces/$1/$2" 2>/dev/null)"; }

# fsop OP PATH [ARG]: a syscall on PATH; prints OK or the errno name (EINVAL ...).
#   write PATH (data on stdin, one write + close), rmdir, mkdir, unlink, rename DST,
#   truncate, chmod MODE
fsop() { /usr/bin/python3 -c "$FSOP_PY" "$@"; }
FSOP_PY=$(cat <<'PY'
import errno, os, sys
op, path = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else None
try:
    if op == "write":
        data = sys.stdin.buffer.read()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            off = 0
            while off < len(data):
                off += os.write(fd, data[off:off + 1048576])
        finally:
            os.close(fd)
    elif op == "append":
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, sys.stdin.buffer.read())
        finally:
            os.close(fd)
    elif op == "rmdir":
        os.rmdir(path)
    elif op == "mkdir":
        os.mkdir(path)
    elif op == "unlink":
        os.unlink(path)
    elif op == "rename":
        os.rename(path, arg)
    elif op == "truncate":
        os.truncate(path, 0)
    elif op == "chmod":
        os.chmod(path, int(arg, 8))
    elif op == "symlink":
        os.symlink(arg, path)
    else:
        sys.exit("fsop: unknown op " + op)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
PY
)

# state_sum: a checksum of the state dir (names, types, modes, symlink targets,
# file contents), leaving out what changes while pods merely run: logs, the
# sandbox log, volumes' contents, and the per-namespace last-error note.
state_sum() {
        (cd "$STATE" && find . \( -path ./images -o -path ./logs -o -path './pods/*/volumes' \
                -o -name sandbox.log -o -name '*last-error*' \) -prune -o -printf '%p %y %m %l\n' |
                LC_ALL=C sort | while read -r path type rest; do
                        if [ "$type" = f ]; then
                                echo "$path $type $rest $(md5sum <"$path" | cut -d' ' -f1)"
                        else
                                echo "$path $type $rest"
                        fi
                done | md5sum | cut -d' ' -f1)
}
# state_list: the same, readable (to show what changed)
state_list() {
        (cd "$STATE" && find . \( -path ./images -o -path ./logs -o -path './pods/*/volumes' \
                -o -name sandbox.log -o -name '*last-error*' \) -prune -o -printf '%p %y %m %s %l\n' | LC_ALL=C sort)
}

# pod_procs UID: pids of processes whose cgroup or command line names UID.
pod_procs() {
        local u=$1 p st
        local -a argv lines
        for p in /proc/[0-9]*; do
                p=${p#/proc/}
                [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
                mapfile -d '' argv 2>/dev/null <"/proc/$p/cmdline" || continue
                mapfile -t lines 2>/dev/null <"/proc/$p/cgroup" || continue
                case "${argv[*]} ${lines[*]}" in
                *"$u"*)
                        # a zombie (exited, not yet reaped by init) runs nothing
                        read -r st 2>/dev/null <"/proc/$p/stat" || continue
                        st=${st##*) }
                        [ "${st%% *}" = Z ] || echo "$p"
                        ;;
                esac
        done
}

# pod_dir NS POD / ctr NS POD CTR FILE: paths and one-value container files.
pod_dir() { echo "$MNT/$1/$2"; }
ctr() { cat "$MNT/$1/$2/containers/$3/$4" 2>/dev/null; }

# size_matches FILE: stat's size equals the bytes a read returns.
size_matches() {
        local s n
        s=$(stat -c %s "$1") || return 1
        n=$(cat "$1" | wc -c) || return 1
        [ "$s" = "$n" ] || { log "$1: stat size $s, read $n bytes"; return 1; }
}

# yaml_is_json YAML JSON: the YAML file holds the same data as the JSON file
# (read as a YAML 1.1 reader does: an unquoted time is a timestamp, not a string).
yaml_is_json() {
        /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys, yaml
a = yaml.safe_load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
def diff(x, y, path):
    if type(x) != type(y):
        return "%s: YAML gives %s %r, JSON %s %r" % (path, type(x).__name__, x, type(y).__name__, y)
    if isinstance(x, dict):
        for k in sorted(set(x) | set(y)):
            if k not in x or k not in y:
                return "%s.%s: only in %s" % (path, k, "YAML" if k in x else "JSON")
            d = diff(x[k], y[k], path + "." + k)
            if d:
                return d
    elif isinstance(x, list):
        if len(x) != len(y):
            return "%s: %d items in YAML, %d in JSON" % (path, len(x), len(y))
        for i, (p, q) in enumerate(zip(x, y)):
            d = diff(p, q, "%s[%d]" % (path, i))
            if d:
                return d
    elif x != y:
        return "%s: YAML %r, JSON %r" % (path, x, y)
    return None
d = diff(a, b, "")
if d:
    print("# " + d)
    sys.exit(1)
PY
}
