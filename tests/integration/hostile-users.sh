#!/bin/bash
# Hostile local users (issue 8, findings 3, 4, 11): what a non-root host user
# (nobody, and a second unprivileged uid) can reach on the host and through
# the mount.
#   3: a setuid-root binary a container plants in its writable layer and in
#      an emptyDir must not be runnable by a host user (the state dir is
#      root's; an old 0755 layout is tightened on start, and the attack is
#      shown to work on that old layout, so this test can fail);
#   4: a pod's files are its owner's and root's; in a sticky namespace no
#      user replaces or deletes another's pod; .last-error is per user;
#      "default" is root's; owners survive a restart;
#  11: temp files held in the daemon's memory are bounded per file, per
#      user and in total, and the memory is returned when they go.
# timeout: 400
. "$(dirname "$0")/lib.sh"

require_cmd setpriv python3 findmnt
podfs_setup
helper_install suidprobe

UA=65534        # nobody
UB=4242         # a second unprivileged uid (no passwd entry needed)
# as_user UID CMD...: run CMD as UID:UID without supplementary groups, from /.
# setpriv still holds root's capabilities while it execs (they go with the
# exec), so it would find CMD where UID cannot: a shell in between, with no
# capabilities left, looks CMD up as UID does.
as_user() {
        local u=$1
        shift
        (cd / && setpriv --reuid="$u" --regid="$u" --clear-groups -- /bin/sh -c 'exec "$@"' sh "$@")
}
# fails CMD...: CMD fails (its stderr dropped)
fails() { ! "$@" 2>/dev/null; }
# user_fsop UID OP PATH [ARG]: one syscall as UID; prints OK or the errno name
user_fsop() {
        local u=$1
        shift
        as_user "$u" /usr/bin/python3 -c "$FSOP_PY" "$@"
}
mode_of() { stat -c %a "$1" 2>/dev/null; }
owner_of() { stat -c %u "$1" 2>/dev/null; }
chmod 0755 "$W"

# ---- 3: setuid files planted by a pod ----------------------------------------

log "--- a pod plants setuid-root binaries in its writable layer and an emptyDir"
cat <<'EOF' | apply_pod default planter || die "create planter: $(cat "$MNT/default/.last-error")"
apiVersion: v1
kind: Pod
metadata:
  name: planter
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - name: data
    emptyDir: {}
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "suidprobe plant /suid /data/suid; exec sleep 3600"]
    volumeMounts:
    - name: data
      mountPath: /data
EOF
wait_for "$MNT/default/planter/phase" Running 30 || die "planter is not Running"
wait_grep "$MNT/default/planter/logs/main" "planted /data/suid" 20 || die "the container did not plant its binaries"
PUID=$(pod_uid default planter)
UPPER=$STATE/pods/$PUID/volumes/.overlay/main/upper/suid
EMPTYDIR=$STATE/pods/$PUID/volumes/data/suid
for f in "$UPPER" "$EMPTYDIR"; do
        check "planted: ${f#"$STATE"/} is setuid root" test -u "$f" -a "$(owner_of "$f")" = 0
done

# attack ATTEMPT_LABEL: nobody runs both planted binaries; prints one line per binary
attack() {
        local f
        for f in "$UPPER" "$EMPTYDIR"; do
                as_user "$UA" "$f" shadow 2>&1 | tr '\n' ' '
                echo
        done
}
check_attack_fails() {
        local out
        out=$(attack)
        if grep -q 'euid=0\|shadow=readable' <<<"$out"; then
                fail "$1: host user nobody ran a pod's setuid binary: $out"
                ls -ld "$STATE" "$STATE/pods" "$STATE/pods/$PUID" "$STATE/pods/$PUID/volumes" "$UPPER" "$EMPTYDIR" | sed 's/^/# /'
        else
                ok "$1: nobody cannot run the planted binaries (${out//$'\n'/; })"
        fi
}
check_attack_fails "state dir of this version"
is "$(mode_of "$STATE")" 711 "STATE is 0711"
for d in pods logs namespaces images objects claims cache node "pods/$PUID" "pods/$PUID/volumes"; do
        is "$(mode_of "$STATE/$d")" 700 "STATE/$d is 0700"
done
is "$(as_user "$UA" ls "$STATE/pods" 2>/dev/null | wc -l)" 0 "nobody cannot list STATE/pods"
check "nobody cannot read a pod's stored spec" fails as_user $UA cat "$STATE/pods/$PUID/spec.yaml"
opts=$(findmnt -no OPTIONS "$MNT")
check "the mount is nosuid,nodev ($opts)" bash -c "grep -qw nosuid <<<'$opts' && grep -qw nodev <<<'$opts'"

# ---- 4: the access model -----------------------------------------------------

log "--- \"default\" is root's: a pod is root-equivalent"
is "$(mode_of "$MNT/default") $(owner_of "$MNT/default")" "755 0" "default is 0755 root"
is "$(user_fsop "$UA" mkdir "$MNT/default/mine")" EACCES "nobody cannot mkdir a pod in default"
pod_yaml sneaky Always "sleep 3600" >"$W/sneaky.yaml"
chmod 0644 "$W/sneaky.yaml"
check "nobody cannot cp a manifest into default" fails as_user $UA cp "$W/sneaky.yaml" "$MNT/default/"
check "no pod sneaky" test ! -e "$MNT/default/sneaky"

log "--- namespaces: chown/chmod delegate; mkdir takes the caller's owner and mode"
mkdir "$MNT/team" && chown "$UB:$UB" "$MNT/team" && chmod 0755 "$MNT/team"
is "$(user_fsop "$UB" mkdir "$MNT/team/p1")" OK "the namespace's owner creates a pod dir"
is "$(owner_of "$MNT/team/p1") $(mode_of "$MNT/team/p1")" "$UB 755" "pod dir has the caller's owner and mode"
is "$(user_fsop "$UA" mkdir "$MNT/team/p2")" EACCES "another user cannot (0755)"
is "$(user_fsop "$UB" chmod "$MNT/team" 1777)" OK "the namespace's owner chmods it"
is "$(mode_of "$MNT/team")" 1777 "namespace mode is 1777 now"
is "$(user_fsop "$UA" chmod "$MNT/team" 0777)" EPERM "another user cannot chmod it"
is "$(user_fsop "$UA" mkdir "$MNT/team/p2")" OK "another user creates a pod dir in 1777"
is "$(user_fsop "$UA" rmdir "$MNT/team/p1")" EPERM "sticky: nobody cannot remove the other user's empty pod dir"
is "$(user_fsop "$UB" chmod "$MNT/team/p1" 0700)" OK "the owner chmods its pod dir"
is "$(mode_of "$MNT/team/p1")" 700 "... mode shown"
cat >"$W/p1.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: p1
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "3600"]
EOF
chmod 0644 "$W/p1.yaml"
check "nobody cannot write a spec into the other user's pod dir" \
        fails as_user $UA cp "$W/p1.yaml" "$MNT/team/p1/spec.yaml"
check "nobody cannot take the other user's pod dir by a manifest" \
        fails as_user $UA cp "$W/p1.yaml" "$MNT/team/"
check "... EPERM explained in nobody's .last-error" grep -q 'pods "p1" is forbidden' <(as_user "$UA" cat "$MNT/team/.last-error")
is "$(user_fsop "$UA" rmdir "$MNT/team/p2")" OK "nobody removes its own pod dir"
is "$(user_fsop "$UB" rmdir "$MNT/team/p1")" OK "the owner removes its own"

log "--- pods of two users in a shared sticky namespace"
mkdir "$MNT/shared" && chmod 1777 "$MNT/shared"
user_manifest() { # NAME SECRET [CMD]
        cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    env:
    - name: DB_PASSWORD
      value: $2
    command: ["sh", "-c", "echo password=\$DB_PASSWORD; exec ${3:-sleep 3600}"]
EOF
}
user_manifest alice s3cret-alice >"$W/alice.yaml"
user_manifest bob s3cret-bob >"$W/bob.yaml"
user_manifest alice s3cret-evil "sleep 7200" >"$W/evil-alice.yaml"
{ user_manifest bob2 s3cret-evil; echo ---; user_manifest alice s3cret-evil; } >"$W/multi.yaml"
user_manifest bobold s3cret-bobold >"$W/bobold.yaml"
chmod 0644 "$W"/*.yaml
check "nobody creates alice by cp" as_user "$UA" cp "$W/alice.yaml" "$MNT/shared/"
check "uid $UB creates bob by mkdir + spec.yaml" \
        as_user "$UB" sh -c "mkdir '$MNT/shared/bob' && cat '$W/bob.yaml' >'$MNT/shared/bob/spec.yaml'"
check "uid $UB creates bobold" as_user "$UB" cp "$W/bobold.yaml" "$MNT/shared/"
for p in alice bob bobold; do
        wait_for "$MNT/shared/$p/phase" Running 30 || fail "$p is not Running"
done
wait_grep "$MNT/shared/alice/logs/main" "password=s3cret-alice" 20 || fail "alice logged nothing"
A=$MNT/shared/alice
AUID=$(pod_uid shared alice)

is "$(owner_of "$A") $(owner_of "$MNT/shared/bob")" "$UA $UB" "ls -l shows each pod's owner"
is "$(owner_of "$A/spec.yaml") $(owner_of "$A/logs/main")" "$UA $UA" "... and its files' owner"
is "$(grep -c "^owner=$UA\$" "$STATE/pods/$AUID/meta")" 1 "the owner is in the pod's meta"
for f in spec.yaml:600 pod.json:400 status.json:400 status.yaml:400 events:400 phase:444 conditions:444 \
        wait:444 delete:200 logs:500 logs/main:400 containers:500 containers/main:500 containers/main/state:400; do
        is "$(mode_of "$A/${f%%:*}")" "${f##*:}" "mode of ${f%%:*}"
done

for f in spec.yaml pod.json status.json status.yaml events logs/main containers/main/state containers/main/image; do
        out=$(as_user "$UB" cat "$A/$f" 2>&1)
        rc=$?
        if [ "$rc" -ne 0 ] && ! grep -q s3cret <<<"$out"; then
                ok "uid $UB cannot read alice's $f"
        else
                fail "uid $UB read alice's $f: $(head -c 200 <<<"$out")"
        fi
done
check "uid $UB cannot list alice's logs/" fails as_user "$UB" ls "$A/logs"
is "$(as_user "$UB" cat "$A/phase")" Running "uid $UB reads alice's phase"
check "uid $UB reads alice's conditions" as_user "$UB" grep -q '^Ready True' "$A/conditions"
check "alice's owner reads its spec" grep -q s3cret-alice <(as_user "$UA" cat "$A/spec.yaml")
check "alice's owner reads its pod.json" grep -q s3cret-alice <(as_user "$UA" cat "$A/pod.json")
check "alice's owner reads its logs" grep -q password=s3cret-alice <(as_user "$UA" cat "$A/logs/main")
check "root reads alice's spec" grep -q s3cret-alice "$A/spec.yaml"
check "root reads alice's logs" grep -q password=s3cret-alice "$A/logs/main"

log "--- an image as a path of the node is root's alone (it would be the node's files)"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: hostroot\nspec:\n  containers:\n  - {name: main, image: /, command: [head, "-2", /etc/shadow]}\n' >"$W/hostroot.yaml"
is "$(as_user "$UB" /usr/bin/python3 -c "$FSOP_PY" write "$MNT/shared/hostroot.yaml" <"$W/hostroot.yaml")" EPERM \
        "uid $UB: image / is refused (EPERM)"
check "... explained in uid $UB's .last-error" \
        grep -qF 'pods "hostroot" is forbidden: image "/": only root may name an image by a path of the node' \
        <(as_user "$UB" cat "$MNT/shared/.last-error")
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: hostvol\nspec:\n  volumes: [{name: r, image: {reference: /etc}}]\n  containers:\n  - {name: main, image: busybox, command: [cat, /r/shadow], volumeMounts: [{name: r, mountPath: /r}]}\n' >"$W/hostvol.yaml"
is "$(as_user "$UB" /usr/bin/python3 -c "$FSOP_PY" write "$MNT/shared/hostvol.yaml" <"$W/hostvol.yaml")" EPERM \
        "uid $UB: an image volume of /etc is refused (EPERM)"
check "... and nothing was created" test ! -e "$MNT/shared/hostroot" -a ! -e "$MNT/shared/hostvol"

log "--- uid $UB tries to replace or delete alice's pod"
check "rewrite of alice's spec.yaml fails" fails as_user "$UB" sh -c "cat '$W/evil-alice.yaml' >'$A/spec.yaml'"
check "cp of a manifest named alice fails" fails as_user $UB cp "$W/evil-alice.yaml" "$MNT/shared/alice.yaml"
is "$(as_user "$UB" /usr/bin/python3 -c "$FSOP_PY" write "$MNT/shared/alice.yaml" <"$W/evil-alice.yaml")" EPERM \
        "... with EPERM"
check "... explained in uid $UB's .last-error" \
        grep -q 'pods "alice" is forbidden: User "4242" cannot update resource "pods" in API group "" in the namespace "shared"' \
        <(as_user "$UB" cat "$MNT/shared/.last-error")
check "a multi-document file naming alice fails" fails as_user $UB cp "$W/multi.yaml" "$MNT/shared/"
check "... and creates none of its pods" test ! -e "$MNT/shared/bob2"
as_user "$UB" sh -c "cat '$W/evil-alice.yaml' >'$MNT/shared/.evil.tmp'" || fail "uid $UB cannot write a temp file"
is "$(user_fsop "$UB" rename "$MNT/shared/.evil.tmp" "$MNT/shared/alice.yaml")" EPERM "rename onto alice.yaml: EPERM"
as_user "$UB" rm -f "$MNT/shared/.evil.tmp"
is "$(user_fsop "$UB" rmdir "$A")" EPERM "rmdir alice: EPERM (sticky)"
is "$(echo 0 | user_fsop "$UB" append "$A/delete")" EACCES "writing alice's delete: EACCES"
is "$(pod_uid shared alice)" "$AUID" "alice is the same pod"
is "$(cat "$A/phase")" Running "... and still Running"
check "alice's spec is unchanged" grep -q s3cret-alice "$A/spec.yaml"

log "--- .last-error is per user"
cat >"$W/bad.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: alice-hunter2
spec:
  restartPolicy: Hunter2Policy
  containers:
  - name: main
    image: busybox
EOF
chmod 0644 "$W/bad.yaml"
check "nobody's bad manifest is refused" fails as_user $UA cp "$W/bad.yaml" "$MNT/shared/"
le_a=$(as_user "$UA" cat "$MNT/shared/.last-error")
le_b=$(as_user "$UB" cat "$MNT/shared/.last-error")
le_root=$(cat "$MNT/shared/.last-error")
check "nobody's .last-error explains it" grep -q hunter2 <<<"$le_a"
check "nobody's .last-error does not show uid $UB's rejection" fails grep -q forbidden <<<"$le_a"
check "uid $UB's .last-error is its own rejection" grep -q forbidden <<<"$le_b"
check "uid $UB's .last-error does not show nobody's manifest" fails grep -qi hunter2 <<<"$le_b"
check "root's .last-error shows neither" fails grep -qi 'hunter2\|forbidden' <<<"$le_root"

# ---- restart: an old (0755) state dir, owners from meta ----------------------

log "--- a state dir of an older version: 0755 everywhere, a pod without owner in meta"
BOUID=$(pod_uid shared bobold)
podfs_umount || fail "unmount"
chmod 0755 "$STATE" "$STATE"/{pods,logs,namespaces,images} "$STATE/pods/$PUID" "$STATE/pods/$PUID/volumes"
sed -i '/^owner=/d; /^group=/d' "$STATE/pods/$BOUID/meta"
out=$(attack)
if grep -q 'euid=0' <<<"$out" && grep -q 'shadow=readable' <<<"$out"; then
        ok "on the old layout the attack works (the test can fail): ${out//$'\n'/; }"
else
        log "on the old layout nobody did not get root ($out): setuid may not work on $W's filesystem"
fi
podfs_start
is "$(mode_of "$STATE")" 711 "restart tightens STATE to 0711"
for d in pods logs namespaces images objects claims cache node "pods/$PUID" "pods/$PUID/volumes"; do
        is "$(mode_of "$STATE/$d")" 700 "restart tightens STATE/$d to 0700"
done
check_attack_fails "after the restart"
check "the planted files are still there (chmod only)" test -u "$UPPER" -a -u "$EMPTYDIR"
is "$(cat "$MNT/default/planter/phase")" Running "planter still Running"
is "$(owner_of "$A")" "$UA" "alice is still nobody's after the restart"
check "uid $UB still cannot read alice's spec" fails as_user $UB cat "$A/spec.yaml"
is "$(owner_of "$MNT/shared/bobold")" 0 "a pod whose meta has no owner is root's"
check "... its former creator cannot read it" fails as_user $UB cat "$MNT/shared/bobold/spec.yaml"
check "root hands it back: chown" chown "$UB:$UB" "$MNT/shared/bobold"
is "$(owner_of "$MNT/shared/bobold")" "$UB" "... owner shown"
is "$(grep -c "^owner=$UB\$" "$STATE/pods/$BOUID/meta")" 1 "... and kept in meta"
check "... its owner reads it again" grep -q s3cret-bobold <(as_user "$UB" cat "$MNT/shared/bobold/spec.yaml")
check "... who cannot give it away (chown is root's)" fails as_user "$UB" chown "$UA" "$MNT/shared/bobold"
is "$(user_fsop "$UB" chmod "$MNT/shared/bobold" 0777)" EPERM "a pod's mode is fixed"

# ---- owners replace and delete their own; root everything -------------------

log "--- the owner replaces and deletes its own pod; root edits keep the owner"
BUID=$(pod_uid shared bob)
user_manifest bob s3cret-bob "sleep 7200" >"$W/bob2.yaml"
chmod 0644 "$W/bob2.yaml"
check "uid $UB rewrites its spec.yaml" as_user "$UB" sh -c "cat '$W/bob2.yaml' >'$MNT/shared/bob/spec.yaml'"
check "... a new pod" test "$(pod_uid shared bob)" != "$BUID"
is "$(owner_of "$MNT/shared/bob")" "$UB" "... still uid $UB's"
wait_for "$MNT/shared/bob/phase" Running 30 || fail "replaced bob is not Running"
is "$(user_fsop "$UB" rmdir "$MNT/shared/bob")" OK "uid $UB deletes its own pod"
wait_gone "$MNT/shared/bob" 30 || fail "bob is not gone"
check "root rewrites alice's spec.yaml" sh -c "cat '$W/evil-alice.yaml' >'$A/spec.yaml'"
check "... a new pod" test "$(pod_uid shared alice)" != "$AUID"
is "$(owner_of "$A")" "$UA" "... still nobody's"
check "... whose owner reads it" grep -q s3cret-evil <(as_user "$UA" cat "$A/spec.yaml")
check "root deletes alice" rmdir "$A"
check "root deletes bobold" rmdir "$MNT/shared/bobold"

# ---- 11: temp files in the daemon's memory ----------------------------------

log "--- temp files: 1 MiB per file, 16 MiB per user, 64 MiB in all"
WRITE_PY=$(cat <<'PY'
import errno, os, sys
d, n, size, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
data = b"x" * size
res = {}
for i in range(n):
    try:
        fd = os.open("%s/junk.%s.%d" % (d, tag, i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            off = 0
            while off < len(data):
                off += os.write(fd, data[off:])
        finally:
            os.close(fd)
        k = "OK"
    except OSError as e:
        k = errno.errorcode.get(e.errno, str(e.errno))
    res[k] = res.get(k, 0) + 1
print(" ".join("%s=%d" % kv for kv in sorted(res.items())))
PY
)
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$PODFS_PID/status"; }
MIB=1048576
rss0=$(rss_kb)
out=$(as_user "$UA" /usr/bin/python3 -c "$WRITE_PY" "$MNT/shared" 1000 "$MIB" a)
log "nobody wrote 1000 x 1 MiB: $out"
is "$out" "EDQUOT=984 OK=16" "nobody: 16 files of 1 MiB, then EDQUOT"
rss1=$(rss_kb)
log "daemon RSS: ${rss0} kB before, ${rss1} kB after"
if [ "${PODFS_SANITIZE:-}" = 1 ]; then
        log "RSS bounds not checked under sanitizers (their allocator keeps freed memory)"
else
        check "RSS grew by at most 16 MiB + 8 MiB ($(((rss1 - rss0) / 1024)) MiB)" test $((rss1 - rss0)) -le $((24 * 1024))
fi
# a manifest whose write ran into the quota half-way holds a valid-looking
# prefix (the rest is a comment): it must not be applied
as_user "$UA" truncate -s 512K "$MNT/shared/junk.a.0" || fail "truncate a temp file"
{ pod_yaml partial Always "sleep 3600"; yes '# padding padding padding padding padding padding' | head -c 1000000; } \
        >"$W/partial.yaml"
chmod 0644 "$W/partial.yaml"
check "a manifest cut short by EDQUOT fails" fails as_user "$UA" cp "$W/partial.yaml" "$MNT/shared/"
check "... is not applied" test ! -e "$MNT/shared/partial"
check "... and .last-error says why" grep -q 'a write failed (Disk quota exceeded): nothing applied' \
        <(as_user "$UA" cat "$MNT/shared/.last-error")
is "$(as_user "$UB" /usr/bin/python3 -c "$WRITE_PY" "$MNT/shared" 1 $((MIB + 1)) big)" "EFBIG=1" "a file past 1 MiB: EFBIG"
as_user "$UB" rm -f "$MNT/shared/junk.big.0"
is "$(as_user "$UB" /usr/bin/python3 -c "$WRITE_PY" "$MNT/shared" 3 "$MIB" b)" "OK=3" "another user has a share of its own"
for u in 4301 4302 4303; do
        as_user "$u" /usr/bin/python3 -c "$WRITE_PY" "$MNT/shared" 16 "$MIB" "u$u" >/dev/null
done
out=$(as_user 4304 /usr/bin/python3 -c "$WRITE_PY" "$MNT/shared" 16 "$MIB" u4304)
# held: 16 (nobody) + 1 + 3 (uid B) + 3 x 16 asked: past 64 MiB in all, nothing is left for the next
is "$out" "ENOSPC=16" "past 64 MiB in all: ENOSPC ($out)"
rss2=$(rss_kb)
if [ "${PODFS_SANITIZE:-}" != 1 ]; then
        check "RSS grew by at most 64 MiB + 8 MiB ($(((rss2 - rss0) / 1024)) MiB)" test $((rss2 - rss0)) -le $((72 * 1024))
fi
as_user "$UA" sh -c "rm -f '$MNT'/shared/junk.a.*"
as_user "$UB" sh -c "rm -f '$MNT'/shared/junk.b.*"
for u in 4301 4302 4303 4304; do as_user "$u" sh -c "rm -f '$MNT'/shared/junk.u$u.*"; done
is "$(ls -A "$MNT/shared" | grep -c junk)" 0 "all junk removed"
rss3=$(rss_kb)
log "daemon RSS after removing them: ${rss3} kB"
if [ "${PODFS_SANITIZE:-}" != 1 ]; then
        check "the memory is returned (RSS within 4 MiB of the start)" test $((rss3 - rss0)) -le $((4 * 1024))
fi
is "$(as_user "$UA" /usr/bin/python3 -c "$WRITE_PY" "$MNT/shared" 2 "$MIB" again)" "OK=2" "nobody may write again"
as_user "$UA" sh -c "rm -f '$MNT'/shared/junk.again.*"

finish
