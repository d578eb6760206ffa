#!/bin/bash
# bench/vs-podman.sh [--podfs-only] [R=20]: the same one-container busybox pod
# (a sleep loop that exits on SIGTERM) through podfs and through podman,
# alternating podfs, podman, podfs, podman ... for R rounds (after one warm-up
# round each), and prints the median of
#   create   podfs:  mkdir + spec.yaml write -> phase reads "Running" (a reader woken by inotify)
#            podman: `podman kube play FILE` (it returns once the pod's containers are started)
#   delete   podfs:  rmdir -> the pod dir is gone (inotify on the namespace dir)
#            podman: `podman pod rm -f -t 0 NAME`
# for each, and podman's time over podfs's. podman's times include the start of
# its command-line tool, as a user of it pays it.
# podman gets the busybox rootfs the tests use (`podman import`, tagged
# localhost/podfs-bench-busybox:<pid>, removed at the end): no network needed.
# Without podman installed it says so and exits 0. --podfs-only: the podfs
# half alone (no podman needed). Needs root, FUSE, a build in build/ (or PODFS_BUILD).
PODFS_ONLY=0
if [ "${1:-}" = --podfs-only ]; then
        PODFS_ONLY=1
        shift
fi
R=${1:-20}
case "$R" in '' | *[!0-9]* | 0) echo "usage: $0 [--podfs-only] [R>0]" >&2; exit 2 ;; esac
PODMAN=""
if [ "$PODFS_ONLY" = 0 ]; then
        PODMAN=$(command -v podman) || { echo "podman not found: skipping"; exit 0; }
fi
. "$(dirname "$0")/../tests/integration/lib.sh"
podfs_setup

IMAGE=""
KUBE_PLAY=()
if [ -n "$PODMAN" ]; then
        # podman 4.4+ names it "kube play", older ones "play kube"
        if "$PODMAN" kube play --help >/dev/null 2>&1; then KUBE_PLAY=("$PODMAN" kube play)
        else KUBE_PLAY=("$PODMAN" play kube); fi
        IMAGE=localhost/podfs-bench-busybox:$$
        bench_cleanup() {
                local rc=$? p
                for p in $("$PODMAN" pod ps -q --filter "label=podfs-bench=$$" 2>/dev/null); do
                        "$PODMAN" pod rm -f -t 0 "$p" >/dev/null 2>&1
                done
                "$PODMAN" rmi -f "$IMAGE" >/dev/null 2>&1
                (exit "$rc")
                podfs_cleanup
        }
        trap bench_cleanup EXIT
        tar -C "$STATE/images/busybox" -cf "$W/busybox.tar" . || die "cannot pack the busybox rootfs"
        "$PODMAN" import "$W/busybox.tar" "$IMAGE" >"$W/import.log" 2>&1 || {
                sed 's/^/# /' "$W/import.log"
                die "podman import failed"
        }
        echo "podman: $("$PODMAN" --version), ${KUBE_PLAY[*]##*/}"
fi

echo "podfs vs podman: R=$R rounds, $(nproc) cpus, $(uname -r), build $BUILD"
/usr/bin/python3 - "$MNT/default" "$R" "$W" "$IMAGE" "$$" "${KUBE_PLAY[@]}" <<'PY'
import ctypes, os, select, statistics, subprocess, sys, time

ns_dir, rounds, work, image, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
kube_play = sys.argv[6:]
podman = kube_play[0] if kube_play else None
libc = ctypes.CDLL(None, use_errno=True)
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_DELETE = 0x2, 0x4, 0x8, 0x200
ifd = libc.inotify_init1(os.O_CLOEXEC)
if ifd < 0:
    sys.exit("inotify_init1: " + os.strerror(ctypes.get_errno()))
CMD = "trap 'exit 0' TERM; while true; do sleep 3600 & wait $!; done"

def manifest(name, img, extra=""):
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}{extra}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 10
  containers:
  - name: main
    image: {img}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "{CMD}"]
"""

def now():
    return time.monotonic()

def drain(timeout):
    if select.select([ifd], [], [], max(0, timeout))[0]:
        os.read(ifd, 65536)

def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None

def podfs_create(name):
    d = f"{ns_dir}/{name}"
    t0 = now()
    os.mkdir(d)
    fd = os.open(f"{d}/spec.yaml", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, manifest(name, "busybox").encode())
    os.close(fd)
    wd = libc.inotify_add_watch(ifd, f"{d}/phase".encode(), IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE)
    deadline = t0 + 60
    while read(f"{d}/phase") != "Running":
        if now() > deadline:
            sys.exit(f"podfs: {name}: phase {read(d + '/phase')} 60 s after the create")
        drain(deadline - now())
    t = now() - t0
    libc.inotify_rm_watch(ifd, wd)
    drain(0)
    return t

def podfs_delete(name):
    d = f"{ns_dir}/{name}"
    wd = libc.inotify_add_watch(ifd, ns_dir.encode(), IN_DELETE)
    t0 = now()
    os.rmdir(d)
    deadline = t0 + 60
    while os.path.exists(d):
        if now() > deadline:
            sys.exit(f"podfs: {name}: still there 60 s after rmdir")
        drain(deadline - now())
    t = now() - t0
    libc.inotify_rm_watch(ifd, wd)
    drain(0)
    return t

def run(argv, what):
    t0 = now()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    t = now() - t0
    if p.returncode != 0:
        sys.exit(f"podman: {what} failed ({p.returncode}): {p.stdout.strip()}")
    return t

def podman_create(name):
    path = f"{work}/{name}.yaml"
    with open(path, "w") as f:
        f.write(manifest(name, image, f"\n  labels:\n    podfs-bench: \"{tag}\""))
    t = run(kube_play + [path], f"kube play {name}")
    state = subprocess.run([podman, "pod", "inspect", "--format", "{{.State}}", name],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout.strip()
    if state != "Running":
        sys.exit(f"podman: {name}: pod state '{state}' after kube play")
    return t

def podman_delete(name):
    return run([podman, "pod", "rm", "-f", "-t", "0", name], f"pod rm {name}")

sides = [("podfs", podfs_create, podfs_delete)]
if podman:
    sides.append(("podman", podman_create, podman_delete))
res = {s[0]: ([], []) for s in sides}
for r in range(rounds + 1):          # round 0 warms up (podman builds its pause image, caches fill)
    for label, create, delete in sides:
        name = f"vs-{label}-{tag}-{r}"
        c = create(name)
        d = delete(name)
        if r > 0:
            res[label][0].append(c)
            res[label][1].append(d)

def med(xs):
    return statistics.median(xs) * 1e3

print(f"{'':14s} {'create p50':>12s} {'delete p50':>12s}   (ms, {rounds} rounds)")
for label, _, _ in sides:
    c, d = res[label]
    print(f"{label:14s} {med(c):12.1f} {med(d):12.1f}")
if podman:
    (pc, pd), (qc, qd) = res["podfs"], res["podman"]
    print(f"{'podman/podfs':14s} {med(qc) / med(pc):11.2f}x {med(qd) / med(pd):11.2f}x")
PY
