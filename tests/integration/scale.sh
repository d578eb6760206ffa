#!/bin/bash
# Scale and node limits.
# 1. More pods than fs.inotify.max_user_instances (the per-user count of inotify
#    instances, 128 by default): with it lowered to a small L (the old value is
#    restored on exit), 2L + 10 pods all reach Running, none with a
#    FailedCreatePodSandBox event: a pod costs the node no inotify instance.
#    Deleted all at once with the limit still low, nothing of them is left:
#    no process, no state dir, no cgroup, no mount.
# 2. The daemon out of file descriptors (its RLIMIT_NOFILE lowered while it
#    runs; it keeps 64 for requests): as with a kubelet, the pod is accepted, the one that can't get a
#    sandbox stays Pending with a FailedCreatePodSandBox Warning naming the
#    cause, is retried with back-off (not in a hot loop), and starts once other
#    pods are deleted; deleting pods works while the daemon is short of
#    descriptors, and nothing is left of any of them.
# timeout: 200
. "$(dirname "$0")/lib.sh"
require_cmd prlimit
podfs_setup --no-mount

SYSCTL=/proc/sys/fs/inotify/max_user_instances
OLD_LIMIT=$(cat "$SYSCTL") || skip "no $SYSCTL"
LIMIT=""
CMD="trap 'exit 0' TERM; sleep 3600 & wait"   # ends on TERM; its orphan sleep is left to the cgroup kill

restore_limit() {
        [ -n "$LIMIT" ] || return 0
        [ "$(cat "$SYSCTL")" = "$LIMIT" ] && echo "$OLD_LIMIT" >"$SYSCTL"
        LIMIT=""
}
scale_cleanup() {
        local rc=$?
        restore_limit
        (exit "$rc")
        podfs_cleanup
}
trap scale_cleanup EXIT

# inotify instances open on the machine now (any user's: more headroom, not less)
inotify_in_use() { find /proc/[0-9]*/fd -lname 'anon_inode:inotify' 2>/dev/null | wc -l; }

# ---- waiting on many pods with one inotify instance ---------------------------
# pods_wait SECONDS phase WANT DIR NAME...: until DIR/NAME/phase reads WANT for every NAME
# pods_wait SECONDS gone - DIR NAME...: until no DIR/NAME exists
# Woken by inotify; where no inotify instance is to be had (a node out of them)
# a bounded retry every 100 ms. Prints the pods that did not get there.
pods_wait() { /usr/bin/python3 -c "$PODS_WAIT_PY" "$@"; }
PODS_WAIT_PY=$(cat <<'PY'
import ctypes, os, select, sys, time
tmo, mode, want, d = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
names = sys.argv[5:]
libc = ctypes.CDLL(None, use_errno=True)
ifd = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
if ifd < 0:
    print("# no inotify instance (%s): polling every 100 ms" % os.strerror(ctypes.get_errno()))
def read(p):
    try:
        with open(p) as f:
            return f.read().strip()
    except OSError as e:
        return "(%s)" % e.strerror
def done(n):
    if mode == "gone":
        return not os.path.lexists(os.path.join(d, n))
    return read(os.path.join(d, n, "phase")) == want
if ifd >= 0:
    if mode == "gone":
        libc.inotify_add_watch(ifd, d.encode(), 0x200 | 0x40 | 0x400)   # DELETE, MOVED_FROM, DELETE_SELF
    else:
        for n in names:
            libc.inotify_add_watch(ifd, os.path.join(d, n, "phase").encode(), 0x2 | 0x4 | 0x8)
deadline = time.monotonic() + tmo
left = list(names)
while True:
    left = [n for n in left if not done(n)]
    rem = deadline - time.monotonic()
    if not left or rem <= 0:
        break
    if ifd >= 0:
        if select.select([ifd], [], [], rem)[0]:
            while True:
                try:
                    os.read(ifd, 65536)
                except BlockingIOError:
                    break
    else:
        time.sleep(min(0.1, rem))
for n in left:
    print("%s: %s" % (n, "still there" if mode == "gone" else "phase " + read(os.path.join(d, n, "phase"))))
sys.exit(1 if left else 0)
PY
)

# ---- leftovers -----------------------------------------------------------------
# (UIDFILE: the pods' uids, one a line)

# procs_of UIDFILE: live processes whose command line or cgroup names one of the uids
procs_of() {
        local f p st
        for f in $(grep -lsaF -f "$1" /proc/[0-9]*/cgroup /proc/[0-9]*/cmdline); do
                p=${f#/proc/}
                p=${p%%/*}
                [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
                read -r st 2>/dev/null <"/proc/$p/stat" || continue
                st=${st##*) }
                [ "${st%% *}" = Z ] || echo "$p:$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
        done | sort -u
}
# cgroups_of UIDFILE: podfs/<uid> cgroup dirs left in any cgroup hierarchy
cgroups_of() {
        local h u
        for h in $(awk '$3 == "cgroup2" || $3 == "cgroup" { print $2 }' /proc/self/mounts); do
                while read -r u; do
                        [ -e "$h/podfs/$u" ] && echo "$h/podfs/$u"
                done <"$1"
        done
}
pod_dirs_left() { ls -A "$STATE/pods" 2>/dev/null; }
mounts_under_state() { awk -v s="$STATE/" 'index($5, s) == 1 { print $5 }' /proc/self/mountinfo; }
_prints_nothing() { [ -z "$("$@")" ]; }
# check_none DESCRIPTION CMD...: ok once CMD prints nothing (bounded retry, 10 s)
check_none() {
        local d=$1
        shift
        if retry_until 10 _prints_nothing "$@"; then ok "$d"; else fail "$d: $("$@" | head -n 3 | tr '\n' ' ')"; fi
}
# leftovers_check WHAT UIDFILE: nothing of the pods is left
leftovers_check() {
        grep -q . "$2" || { fail "$1: no uids recorded"; return; }
        check_none "$1: no process of them left" procs_of "$2"
        check_none "$1: no pod dir left in the state dir" pod_dirs_left
        check_none "$1: no cgroup of them left" cgroups_of "$2"
        check_none "$1: no mount left under the state dir" mounts_under_state
}

# ---- 1. more pods than inotify instances ----------------------------------------
USED=$(inotify_in_use)
LIMIT=$((USED + 24))
[ "$LIMIT" -ge 32 ] || LIMIT=32
[ "$LIMIT" -le 96 ] || { LIMIT=""; skip "$USED inotify instances in use: too many to test with a low limit"; }
N=$((2 * LIMIT + 10))
log "inotify instances: $USED in use, max_user_instances $OLD_LIMIT -> $LIMIT; $N pods"
echo "$LIMIT" >"$SYSCTL" || { LIMIT=""; skip "cannot write $SYSCTL"; }
# should this shell be killed without its EXIT trap: the old value back when it ends
setsid -f sh -c 'tail --pid="$1" -f /dev/null; [ "$(cat "$2")" = "$3" ] && echo "$4" >"$2"' \
        _ "$$" "$SYSCTL" "$LIMIT" "$OLD_LIMIT" </dev/null >/dev/null 2>&1
podfs_start

D=$MNT/default
NAMES=()
t0=$(now_ms)
for i in $(seq 1 "$N"); do
        NAMES+=("s$i")
        pod_yaml "s$i" Always "$CMD" 5 | apply_pod default "s$i" ||
                fail "s$i: create refused: $(cat "$D/.last-error" 2>/dev/null)"
done
log "$N pods created in $(($(now_ms) - t0)) ms"
: >"$W/uids"
for n in "${NAMES[@]}"; do u=$(pod_uid default "$n"); [ -z "$u" ] || echo "$u" >>"$W/uids"; done
is "$(grep -c . "$W/uids")" "$N" "$N pods have a uid"

if pods_wait 30 phase Running "$D" "${NAMES[@]}" >"$W/not-running"; then
        ok "all $N pods Running with max_user_instances $LIMIT (after $(($(now_ms) - t0)) ms)"
else
        fail "$(grep -c '^s' "$W/not-running") of $N pods not Running with max_user_instances $LIMIT"
        head -n 5 "$W/not-running" | sed 's/^/#   /'
fi
failed=$(for n in "${NAMES[@]}"; do grep -q FailedCreatePodSandBox "$D/$n/events" 2>/dev/null && echo "$n"; done)
is "$(echo -n "$failed" | grep -c .)" 0 "no pod has a FailedCreatePodSandBox event"
if [ -n "$failed" ]; then
        f=$(echo "$failed" | head -n 1)
        log "$f: $(grep FailedCreatePodSandBox "$D/$f/events" | tail -n 1)"
fi

# all deleted at once, the limit still low: every sandbox stops its pod (and
# empties its cgroup) at the same time
t0=$(now_ms)
refused=0
for n in "${NAMES[@]}"; do
        [ "$(fsop rmdir "$D/$n")" = OK ] || refused=$((refused + 1))
done
is "$refused" 0 "every rmdir accepted"
if pods_wait 60 gone - "$D" "${NAMES[@]}" >"$W/not-gone"; then
        ok "all $N pods gone after $(($(now_ms) - t0)) ms"
else
        fail "$(grep -c '^s' "$W/not-gone") of $N pods not gone"
        head -n 5 "$W/not-gone" | sed 's/^/#   /'
fi
leftovers_check "$N pods deleted with max_user_instances $LIMIT" "$W/uids"
restore_limit
is "$(cat "$SYSCTL")" "$OLD_LIMIT" "max_user_instances restored"

# ---- 2. the daemon out of file descriptors --------------------------------------
# Each running pod holds a descriptor of the daemon's (its sandbox's pidfd),
# and the daemon keeps 64 free for requests: with its soft RLIMIT_NOFILE set so
# that 64 + a dozen descriptor numbers are free below it, a few pods in it runs
# out. (Only the soft limit: raising a hard limit back
# takes CAP_SYS_RESOURCE, which a node may not give.)
OLD_NOFILE=$(prlimit --pid "$PODFS_PID" --nofile --noheadings --raw -o SOFT,HARD) || die "prlimit"
fds=" $(ls "/proc/$PODFS_PID/fd" | tr '\n' ' ') "
nfd=$(echo $fds | wc -w)
NOFILE=0 free=0
while [ "$free" -lt 76 ]; do
        case "$fds" in *" $NOFILE "*) ;; *) free=$((free + 1)) ;; esac
        NOFILE=$((NOFILE + 1))
done
prlimit --pid "$PODFS_PID" --nofile="$NOFILE:${OLD_NOFILE#* }" || die "cannot lower the daemon's RLIMIT_NOFILE"
log "daemon: $nfd descriptors open, soft RLIMIT_NOFILE ${OLD_NOFILE% *} -> $NOFILE (76 free)"

sandbox_failed() { grep -q FailedCreatePodSandBox "$1/events" 2>/dev/null; }
started_or_failed() { _content_is "$1/phase" Running || sandbox_failed "$1"; }
RUNNING=() PENDING="" REFUSED=""
: >"$W/uids2"
keep_uid() { local u; u=$(pod_uid default "$1"); [ -z "$u" ] || echo "$u" >>"$W/uids2"; }
for i in $(seq 1 24); do
        P=$D/f$i
        t_create=$(now_ms)
        r=$(fsop mkdir "$P")
        [ "$r" = OK ] && r=$(pod_yaml "f$i" Always "$CMD" 5 | fsop write "$P/spec.yaml")
        if [ "$r" != OK ]; then
                REFUSED="f$i: $r; .last-error: $(tail -n 1 "$D/.last-error" 2>&1)"
                break
        fi
        keep_uid "f$i"
        wait_until 20 "$P" started_or_failed "$P" || { fail "f$i: neither Running nor a FailedCreatePodSandBox event"; break; }
        if sandbox_failed "$P"; then
                PENDING=f$i
                break
        fi
        RUNNING+=("f$i")
done
log "${#RUNNING[@]} pods Running before the limit"
check "out of descriptors: ${#RUNNING[@]} pods ran, then the limit was hit" test -n "$PENDING$REFUSED" -a "${#RUNNING[@]}" -gt 0
is "$REFUSED" "" "out of descriptors: the create is accepted (the node's trouble shows in the pod's status)"
if [ -n "$REFUSED" ]; then
        check "out of descriptors: a refused create's .last-error names the cause" \
                grep -q 'Too many open files' "$D/.last-error"
fi
if [ -n "$PENDING" ]; then
        P=$D/$PENDING
        is "$(cat "$P/phase")" Pending "$PENDING: Pending"
        check "$PENDING: a Warning FailedCreatePodSandBox event names the cause" \
                grep -qE 'Warning +FailedCreatePodSandBox +pod/'"$PENDING"' +Failed to create pod sandbox: no file descriptor left for another pod: .* the open files limit of podfs is '"$NOFILE"' ' "$P/events"
        grep FailedCreatePodSandBox "$P/events" | head -n 1 | sed 's/^/#   /'
        check "$PENDING: the event's message is the error, not a log line (no time or program prefix in it)" \
                sh -c '! grep -qE "Failed to create pod sandbox: ([0-9]{4}-[0-9]{2}-[0-9]{2}T|[a-z-]+\[[0-9]+\]:)" "$1"' _ "$P/events"
        is "$(jq -r '.status.containerStatuses[0].state.waiting.reason' "$P/pod.json" 2>/dev/null)" ContainerCreating \
                "$PENDING: its container is waiting in ContainerCreating"
        n_events() { [ "$(grep -c FailedCreatePodSandBox "$1/events" 2>/dev/null)" -ge "$2" ]; }
        check "$PENDING: retried (a second FailedCreatePodSandBox within 10 s)" wait_until 10 "$P" n_events "$P" 2
        check "$PENDING: retried again (a third within 15 s)" wait_until 15 "$P" n_events "$P" 3
        # the first attempt comes with the create, the second at once, the third 1 s later
        t=$(($(now_ms) - t_create))
        if [ "$t" -ge 900 ]; then ok "$PENDING: with back-off (the third attempt ${t} ms after the create)"
        else fail "$PENDING: three attempts within ${t} ms of the create: no back-off"; fi
fi

# lifted: other pods deleted, their descriptors free again
for n in "${RUNNING[@]:0:4}"; do
        is "$(fsop rmdir "$D/$n")" OK "$n: rmdir accepted while the daemon is out of descriptors"
done
for n in "${RUNNING[@]:0:4}"; do wait_gone "$D/$n" 20 || fail "$n: not gone"; done
if [ -n "$PENDING" ]; then
        check "$PENDING: Running once other pods were deleted" wait_for "$D/$PENDING/phase" Running 40
fi
pod_yaml after Always "$CMD" 5 | apply_pod default after || fail "after: create refused: $(tail -n 1 "$D/.last-error")"
keep_uid after
check "after the deletions a new pod runs" wait_for "$D/after/phase" Running 20

prlimit --pid "$PODFS_PID" --nofile="${OLD_NOFILE/ /:}" || fail "cannot restore the daemon's RLIMIT_NOFILE"
LEFT=()
for P in "$D"/*/; do
        P=${P%/}
        LEFT+=("$P")
        rmdir "$P" || fail "rmdir ${P##*/}"
done
for P in "${LEFT[@]}"; do wait_gone "$P" 20 || fail "${P##*/}: not gone"; done
leftovers_check "the pods of part 2" "$W/uids2"


# ---- 3. what a container gets of the raised limit --------------------------------
# The daemon raises its own soft RLIMIT_NOFILE to the hard one (a pidfd per
# pod); a container starts with the usual soft 1024 again, hard unchanged.
hard=$(prlimit --pid "$PODFS_PID" --nofile --noheadings --raw -o HARD)
pod_yaml limits Never 'echo "nofile $(ulimit -Sn) $(ulimit -Hn)"' 1 | apply_pod default limits ||
        fail "limits: create refused"
wait_for "$D/limits/phase" Succeeded 20 || fail "limits: not Succeeded"
soft_want=1024
[ "$hard" -ge 1024 ] || soft_want=$hard
is "$(cat "$D/limits/logs/main")" "nofile $soft_want $hard" "a container's RLIMIT_NOFILE: soft $soft_want, hard the daemon's $hard"
rmdir "$D/limits"

finish
