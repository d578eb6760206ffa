#!/bin/bash
# bench/pods.sh [--breakdown] [--bridge] [N=10]: N busybox pods through the mount, one
# after the other, and prints p50 / p90 / max of
#   create   spec.yaml write -> phase reads "Running" (a reader woken by inotify)
#   exit     container killed (SIGKILL from the host) -> phase reads "Failed"
#            (a reader woken by inotify), on K = min(100, N/2) of the pods,
#            each once the pod killed before has been torn down
#   delete   rmdir -> pod dir gone, for a pod that exits on SIGTERM (the others)
#   memory   sandbox RSS/PSS per pod; the daemon's RSS with N pods
#   read     stat + open/read/close of one pod's phase with N pods (a request's cost)
#   idle cpu the daemon's and all sandboxes' CPU while the N pods idle for 10 s
#   left     processes, pod dirs, cgroups and mounts of the pods once all are gone
# and the p50 of the first and of the last 100 creates (flat or not).
# --breakdown: every step of each phase (daemon, sandbox, notifier), as the
# median time from the start of the measurement and from the step before,
# from the step trace podfs writes when PODFS_TRACE names a file.
# --bridge: the pods get podfs's default network (bridge + host-local +
# portmap, the subnet's masquerade once) on a bench-only bridge and /16,
# removed at the end;
# without it, a loopback-only network (the CNI loopback plugin alone).
# Prints figures; asserts nothing. Needs root, FUSE, a build in build/ (or PODFS_BUILD).
BREAKDOWN=0
BRIDGE=0
while :; do
        case "${1:-}" in
        --breakdown) BREAKDOWN=1 ;;
        --bridge) BRIDGE=1 ;;
        *) break ;;
        esac
        shift
done
N=${1:-10}
case "$N" in '' | *[!0-9]* | 0) echo "usage: $0 [--breakdown] [N>0]" >&2; exit 2 ;; esac
. "$(dirname "$0")/../tests/integration/lib.sh"
podfs_setup --no-mount
# a node takes 110 pods unless told more, as the kubelet (its maxPods)
MAXPODS=$((N > 110 ? N : 110))
TRACE=""
if [ "$BREAKDOWN" = 1 ]; then
        TRACE=$W/trace
        export PODFS_TRACE=$TRACE
fi
if [ "$BRIDGE" = 1 ]; then
        BR=pfb$$
        NET=10.232
        ! ip -4 route | grep -q "^10\.232\." || { echo "10.232.0.0/16 is in use here" >&2; exit 1; }
        bench_net_teardown() {
                local r
                ip link del "$BR" 2>/dev/null
                masq_undo
                iptables -t nat -S 2>/dev/null | grep -F "podfs-bench-$$" | grep -- '^-A' | while read -r r; do
                        eval "iptables -t nat ${r/-A/-D}" 2>/dev/null
                done
        }
        TEST_CLEANUP=bench_net_teardown
        # the default network podfs writes into an empty dir, on a bridge and /16 of the bench's own
        # (its masquerade, made sure of at the daemon's start, is made again for
        # the bench's /16 by a second start, and undone at the end when new)
        mkdir -p "$W/cni"
        masq_note
        podfs_start --max-pods "$MAXPODS" --cni-conf-dir "$W/cni"
        podfs_umount
        masq_undo
        sed -i -e "s/\"podfs0\"/\"$BR\"/; s/\"name\": \"podfs\"/\"name\": \"podfs-bench-$$\"/" \
            -e "s|10\.85\.0\.0/16|$NET.0.0/16|g; s|10\.85\.0\.1|$NET.0.1|" \
            -e "s|\"type\": \"host-local\",|\"type\": \"host-local\", \"dataDir\": \"$W/ipam\",|" \
            "$W/cni/podfs.conflist"
        masq_note
        podfs_start --max-pods "$MAXPODS" --cni-conf-dir "$W/cni"
else
        podfs_start --max-pods "$MAXPODS"
fi

echo "podfs bench: N=$N pods, network $([ "$BRIDGE" = 1 ] && echo "bridge $BR" || echo loopback), $(nproc) cpus, $(uname -r), build $BUILD"
/usr/bin/python3 - "$MNT/default" "$N" "$PODFS_PID" "$STATE" "$TRACE" <<'PY'
import collections, ctypes, os, select, signal, statistics, sys, time

ns_dir, n, daemon, state, trace = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
libc = ctypes.CDLL(None, use_errno=True)
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_DELETE = 0x200
ifd = libc.inotify_init1(os.O_CLOEXEC)

def now():
    return time.monotonic()

def drain(timeout):
    r, _, _ = select.select([ifd], [], [], max(0, timeout))
    if r:
        os.read(ifd, 65536)

def manifest(name):
    return f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: Never
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
    if not xs:
        return "(none)"
    return "p50 %7.1f ms   p90 %7.1f ms   max %7.1f ms" % (
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

def sandbox_file(uid):
    kv = {}
    try:
        for line in open(f"{state}/pods/{uid}/sandbox"):
            k, _, v = line.strip().partition("=")
            kv[k] = v
    except OSError:
        pass
    return kv

def uid_of(name):
    try:
        return os.path.basename(os.readlink(f"{state}/namespaces/default/{name}"))
    except OSError:
        return None

def wait_phase(d, want, t0, what):
    deadline = t0 + 60
    while read(f"{d}/phase") != want:
        if now() > deadline:
            print(f"{os.path.basename(d)}: {what}: phase not {want} after 60 s ({read(d + '/phase')})")
            return False
        drain(deadline - now())
    return True

# ---- create: write spec.yaml, then a reader woken by inotify sees Running
create, starts, uids = [], {}, {}
names = [f"bench-{i}" for i in range(n)]
for name in names:
    d = f"{ns_dir}/{name}"
    t0 = now()
    os.mkdir(d)
    fd = os.open(f"{d}/spec.yaml", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, manifest(name))
    os.close(fd)
    wd = libc.inotify_add_watch(ifd, f"{d}/phase".encode(), IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE)
    if not wait_phase(d, "Running", t0, "create"):
        sys.exit(1)     # no figures from a run that did not hold: the trap cleans up
    create.append(now() - t0)
    starts[name] = t0
    libc.inotify_rm_watch(ifd, wd)
    drain(0)
for name in names:
    uids[name] = uid_of(name)

# ---- a request's cost with N pods: stat + open + read + close of one pod's phase
reads = []
probe = f"{ns_dir}/{names[n // 2]}/phase"
for _ in range(2000):
    t0 = now()
    os.stat(probe)
    read(probe)
    reads.append(now() - t0)

# ---- memory and idle CPU with N pods
time.sleep(1)
sbx = [int(sandbox_file(u).get("pid", 0)) for u in uids.values() if u]
sbx = [p for p in sbx if p > 0]
rss = [mem_kb(p, "VmRSS:") for p in sbx]
pss = [mem_kb(p, "Pss:") for p in sbx]
d0, s0 = cpu_ns(daemon), sum(cpu_ns(p) for p in sbx)
time.sleep(10)
d1, s1 = cpu_ns(daemon), sum(cpu_ns(p) for p in sbx)
daemon_rss = mem_kb(daemon, "VmRSS:")

# ---- exit: SIGKILL a container from the host; phase reads Failed
# Each kill on a settled node: a pod whose only container ended (restartPolicy
# Never) is torn down (its DEL execs a plugin), and that work would compete with
# the next pod's exit for the CPUs; so the next kill waits until the sandbox of
# the pod killed before is gone (not timed).
def wait_gone(pid, deadline):
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        select.select([fd], [], [], max(0, deadline - now()))
    finally:
        os.close(fd)

k = min(100, max(1, n // 2)) if n > 1 else 0
exit_names, exits, kills, exit_end = names[n - k:], [], {}, {}
last_sandbox = 0
for name in exit_names:
    d = f"{ns_dir}/{name}"
    if last_sandbox:
        wait_gone(last_sandbox, now() + 30)
    kv = sandbox_file(uids[name])
    pid = int(kv.get("ctr.main", 0) or 0)
    last_sandbox = int(kv.get("pid", 0) or 0)
    if pid <= 0:
        print(f"{name}: no container pid")
        continue
    wd = libc.inotify_add_watch(ifd, f"{d}/phase".encode(), IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE)
    t0 = now()
    os.kill(pid, signal.SIGKILL)
    if wait_phase(d, "Failed", t0, "exit"):
        exits.append(now() - t0)
        exit_end[name] = now()
    kills[name] = t0
    libc.inotify_rm_watch(ifd, wd)
    drain(0)

# ---- delete: rmdir, then the dir is gone (inotify on the namespace dir)
wd = libc.inotify_add_watch(ifd, ns_dir.encode(), IN_DELETE)
delete, rmdir_ret, rmdirs = [], [], {}
for name in names[:n - k] + exit_names:
    d = f"{ns_dir}/{name}"
    t0 = now()
    os.rmdir(d)
    rmdir_ret.append(now() - t0)
    rmdirs[name] = t0
    deadline = t0 + 60
    while os.path.exists(d):
        if now() > deadline:
            print(f"{name}: still there 60 s after rmdir")
            break
        drain(min(0.5, deadline - now()))
    if name not in kills:
        delete.append(now() - t0)

# ---- what is left of the pods once all are gone
def leftovers():
    want = set(u for u in uids.values() if u)
    procs = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open(f"/proc/{p}/cmdline", "rb").read().decode(errors="replace")
            st = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if st != "Z" and any(u in cmd for u in want):
            procs += 1
    cgroups = 0
    for line in open("/proc/self/mounts"):
        f = line.split()
        if f[2] in ("cgroup", "cgroup2"):
            cgroups += sum(os.path.isdir(f"{f[1]}/podfs/{u}") for u in want)
    mounts = sum(1 for line in open("/proc/self/mountinfo") if line.split()[4].startswith(state + "/"))
    dirs = len(os.listdir(f"{state}/pods"))
    return procs, dirs, cgroups, mounts

deadline = now() + 30
left = leftovers()
while sum(left) and now() < deadline:
    time.sleep(0.2)
    left = leftovers()

print(f"create  (spec.yaml write -> phase Running seen):  {fmt_ms(create)}")
if n >= 200:
    first, last = statistics.median(create[:100]), statistics.median(create[-100:])
    print(f"create  p50 of the first 100: {first*1e3:.1f} ms, of the last 100: {last*1e3:.1f} ms "
          f"(x{last/first:.2f})")
print(f"read    (stat + cat of one pod's phase, x2000): p50 {statistics.median(reads)*1e6:.0f} us   "
      f"p90 {pct(reads, 90)*1e6:.0f} us")
print(f"exit    (SIGKILL -> phase Failed seen, {len(exits)} pods): {fmt_ms(exits)}")
print(f"rmdir   (the call itself):                       {fmt_ms(rmdir_ret)}")
print(f"delete  (rmdir -> dir gone, pod exits on TERM):  {fmt_ms(delete)}")
if rss:
    print(f"sandbox RSS per pod: median {statistics.median(rss)/1024:.1f} MiB, max {max(rss)/1024:.1f} MiB; "
          f"PSS median {statistics.median(pss)/1024:.2f} MiB ({len(rss)} sandboxes)")
print(f"daemon RSS with {n} pods: {daemon_rss/1024:.1f} MiB")
print(f"idle CPU over 10 s with {n} pods: daemon {(d1-d0)/1e6:.3f} ms, all sandboxes {(s1-s0)/1e6:.3f} ms")
print(f"left once all were deleted: {left[0]} processes, {left[1]} pod dirs, {left[2]} cgroups, {left[3]} mounts")

# ---- breakdown: the trace's steps per phase, relative to each pod's start
if not trace:
    sys.exit(0)
key_of = {}
for name, uid in uids.items():
    key_of[f"default/{name}"] = name
    if uid:
        key_of[uid] = name
steps = collections.defaultdict(list)
for line in open(trace):
    parts = line.split()
    if len(parts) == 3 and parts[0] in key_of:
        steps[key_of[parts[0]]].append((int(parts[2]) / 1e9, parts[1]))

def breakdown(title, t0s, ends):
    offs = collections.defaultdict(list)
    gaps = collections.defaultdict(list)
    for name, t0 in t0s.items():
        end = ends.get(name)
        ev = sorted((t, s) for t, s in steps.get(name, []) if t >= t0 and (end is None or t <= end))
        seen, prev = set(), t0
        for t, s in ev:
            if s in seen:
                continue
            seen.add(s)
            offs[s].append(t - t0)
            gaps[s].append(t - prev)
            prev = t
    if not offs:
        return
    print(f"\n{title}: step (median ms from the start | from the step before | pods)")
    for s in sorted(offs, key=lambda s: statistics.median(offs[s])):
        print(f"  {s:34s} {statistics.median(offs[s])*1e3:8.2f} {statistics.median(gaps[s])*1e3:8.2f}"
              f" {len(offs[s]):6d}")

create_end = {name: starts[name] + c for name, c in zip(names, create)}
breakdown("create (spec.yaml write -> Running seen)", starts, create_end)
breakdown("exit (SIGKILL -> Failed seen)", kills, exit_end)
breakdown("delete (rmdir -> gone)", {nm: t for nm, t in rmdirs.items() if nm not in kills}, {})
PY
