#!/bin/bash
# bench/pods.sh [N=10]: create N busybox pods through the mount, one after the
# other, and print (median, p90):
#   create   spec.yaml write -> phase reads "Running" (a reader woken by inotify)
#   delete   rmdir -> pod dir gone, for a pod that exits on SIGTERM
#   rss      sandbox process RSS per pod; the daemon's RSS with N pods
#   idle cpu the daemon's (and all sandboxes') CPU while the N pods idle for 10 s
# Prints figures; asserts nothing. Needs root, FUSE, a build in build/ (or PODFS_BUILD).
N=${1:-10}
case "$N" in '' | *[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
. "$(dirname "$0")/../tests/integration/lib.sh"
podfs_setup

echo "podfs bench: N=$N pods, $(nproc) cpus, $(uname -r), build $BUILD"
/usr/bin/python3 - "$MNT/default" "$N" "$PODFS_PID" "$STATE" <<'PY'
import ctypes, os, select, statistics, struct, sys, time

ns_dir, n, daemon, state = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
libc = ctypes.CDLL(None, use_errno=True)
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_DELETE, IN_DELETE_SELF = 0x200, 0x400
ifd = libc.inotify_init1(os.O_CLOEXEC)

def now():
    return time.monotonic()

def drain(timeout):
    r, _, _ = select.select([ifd], [], [], timeout)
    if r:
        os.read(ifd, 65536)

def manifest(name):
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  terminationGracePeriodSeconds: 10
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 3600 & wait $!; done"]
""".encode()

def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode().strip()
    except OSError:
        return None

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def fmt_ms(xs):
    return "median %7.1f ms   p90 %7.1f ms   max %7.1f ms" % (
        statistics.median(xs) * 1e3, pct(xs, 90) * 1e3, max(xs) * 1e3)

def cpu_ns(pid):
    """CPU time of all threads of pid, in ns (schedstat: exact, not in clock ticks)."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                total += int(open(f"/proc/{pid}/task/{t}/schedstat").read().split()[0])
            except OSError:
                pass
    except OSError:
        pass
    return total

def mem_kb(pid, key):
    """VmRSS from status, or Pss from smaps_rollup (shared pages divided among sharers)."""
    f = f"/proc/{pid}/status" if key == "VmRSS:" else f"/proc/{pid}/smaps_rollup"
    try:
        for line in open(f):
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0

def rss_kb(pid):
    return mem_kb(pid, "VmRSS:")

def sandbox_pids():
    pids = []
    for d in os.listdir(f"{state}/pods"):
        try:
            for line in open(f"{state}/pods/{d}/sandbox"):
                if line.startswith("pid="):
                    pids.append(int(line[4:]))
        except OSError:
            pass
    return pids

# ---- create: write spec.yaml, then a reader woken by inotify sees Running
create = []
names = [f"bench-{i}" for i in range(n)]
for name in names:
    d = f"{ns_dir}/{name}"
    t0 = now()
    os.mkdir(d)
    fd = os.open(f"{d}/spec.yaml", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, manifest(name))
    os.close(fd)
    wd = libc.inotify_add_watch(ifd, f"{d}/phase".encode(), IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE)
    deadline = t0 + 30
    while read(f"{d}/phase") != "Running":
        if now() > deadline:
            print(f"{name}: not Running after 30 s ({read(d + '/phase')})")
            break
        drain(deadline - now())
    create.append(now() - t0)
    libc.inotify_rm_watch(ifd, wd)
    drain(0)

# ---- memory and idle CPU with N pods
time.sleep(1)
sbx = sandbox_pids()
rss = [rss_kb(p) for p in sbx]
pss = [mem_kb(p, "Pss:") for p in sbx]
d0, s0 = cpu_ns(daemon), sum(cpu_ns(p) for p in sbx)
time.sleep(10)
d1, s1 = cpu_ns(daemon), sum(cpu_ns(p) for p in sbx)
daemon_rss = rss_kb(daemon)

# ---- delete: rmdir, then the dir is gone (inotify on the namespace dir)
wd = libc.inotify_add_watch(ifd, ns_dir.encode(), IN_DELETE)
delete, rmdir_ret = [], []
for name in names:
    d = f"{ns_dir}/{name}"
    t0 = now()
    os.rmdir(d)
    rmdir_ret.append(now() - t0)
    deadline = t0 + 30
    while os.path.exists(d):
        if now() > deadline:
            print(f"{name}: still there 30 s after rmdir")
            break
        drain(min(0.5, deadline - now()))
    delete.append(now() - t0)

print(f"create  (spec.yaml write -> phase Running seen):  {fmt_ms(create)}")
print(f"rmdir   (the call itself):                       {fmt_ms(rmdir_ret)}")
print(f"delete  (rmdir -> dir gone, pod exits on TERM):  {fmt_ms(delete)}")
if rss:
    print(f"sandbox RSS per pod: median {statistics.median(rss)/1024:.1f} MiB, max {max(rss)/1024:.1f} MiB; "
          f"PSS median {statistics.median(pss)/1024:.2f} MiB ({len(rss)} sandboxes)")
print(f"daemon RSS with {n} pods: {daemon_rss/1024:.1f} MiB")
print(f"idle CPU over 10 s with {n} pods: daemon {(d1-d0)/1e6:.3f} ms, all sandboxes {(s1-s0)/1e6:.3f} ms")
PY
