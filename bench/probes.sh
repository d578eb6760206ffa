#!/bin/bash
# bench/probes.sh [N=100] [PERIOD=1]: N busybox pods, each with an exec
# livenessProbe (`true`, every PERIOD s), idle for 10 s; prints
#   node cpu     busy share of all CPUs from /proc/stat (everything on the node)
#   sandboxes    the sandboxes' own CPU (schedstat) and their reaped children's
#                (the probes' execs: /proc/PID/stat cutime+cstime)
#   daemon       the daemon's CPU
#   probes run   how many probe attempts ran (liveness failures would restart)
# and the same idle window with the probes' pods deleted, for comparison.
# Prints figures; asserts nothing. Needs root, FUSE, a build in build/ (or PODFS_BUILD).
N=${1:-100}
PERIOD=${2:-1}
case "$N$PERIOD" in '' | *[!0-9]*) echo "usage: $0 [N] [PERIOD]" >&2; exit 2 ;; esac
. "$(dirname "$0")/../tests/integration/lib.sh"
podfs_setup

echo "podfs probe bench: N=$N pods with a ${PERIOD}s exec probe, $(nproc) cpus, $(uname -r), build $BUILD"
/usr/bin/python3 - "$MNT/default" "$N" "$PODFS_PID" "$STATE" "$PERIOD" <<'PY'
import os, sys, time

ns_dir, n, daemon, state, period = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
HZ = os.sysconf("SC_CLK_TCK")

def manifest(name, probe):
    m = f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 3600 & wait $!; done"]
"""
    if probe:
        m += f"""    livenessProbe:
      exec: {{command: ["true"]}}
      periodSeconds: {period}
"""
    return m.encode()

def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode().strip()
    except OSError:
        return None

def node_busy():
    f = open("/proc/stat").readline().split()[1:]
    v = [int(x) for x in f]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)

def cpu_ns(pid):
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

def children_ticks(pid):
    try:
        s = open(f"/proc/{pid}/stat").read()
        f = s[s.rindex(")") + 2:].split()
        return int(f[13]) + int(f[14])   # cutime, cstime (fields 16, 17)
    except (OSError, ValueError, IndexError):
        return 0

def sandbox_pids():
    pids = []
    for d in os.listdir(f"{state}/pods"):
        for line in (read(f"{state}/pods/{d}/sandbox") or "").splitlines():
            if line.startswith("pid="):
                pids.append(int(line[4:]))
    return pids

def create(names, probe):
    for name in names:
        os.mkdir(f"{ns_dir}/{name}")
        with open(f"{ns_dir}/{name}/spec.yaml", "wb") as f:
            f.write(manifest(name, probe))
    deadline = time.monotonic() + 120
    for name in names:
        while read(f"{ns_dir}/{name}/phase") != "Running":
            if time.monotonic() > deadline:
                print(f"{name}: not Running after 120 s")
                return
            time.sleep(0.05)

def delete(names):
    for name in names:
        os.rmdir(f"{ns_dir}/{name}")
    deadline = time.monotonic() + 60
    for name in names:
        while os.path.exists(f"{ns_dir}/{name}") and time.monotonic() < deadline:
            time.sleep(0.05)

def measure(label, secs=10):
    sbx = sandbox_pids()
    b0, t0 = node_busy()
    d0 = cpu_ns(daemon)
    s0 = sum(cpu_ns(p) for p in sbx)
    c0 = sum(children_ticks(p) for p in sbx)
    time.sleep(secs)
    b1, t1 = node_busy()
    d1 = cpu_ns(daemon)
    s1 = sum(cpu_ns(p) for p in sbx)
    c1 = sum(children_ticks(p) for p in sbx)
    print(f"{label}: node cpu {100.0 * (b1 - b0) / max(1, t1 - t0):.2f}% of {os.cpu_count()} cpus; "
          f"sandboxes {(s1 - s0) / 1e6 / secs:.2f} ms/s own + {(c1 - c0) * 1000.0 / HZ / secs:.2f} ms/s probes' execs; "
          f"daemon {(d1 - d0) / 1e6 / secs:.2f} ms/s ({len(sbx)} sandboxes)")

names = [f"probe-{i}" for i in range(n)]
t = time.monotonic()
create(names, True)
print(f"{n} pods with probes Running after {time.monotonic() - t:.1f} s")
time.sleep(2)
measure(f"idle 10 s, {n} pods, exec probe every {period}s")
restarts = 0
for name in names:
    try:
        restarts += int(read(f"{ns_dir}/{name}/containers/main/restarts") or 0)
    except ValueError:
        pass
print(f"restarts (a probe failure would cause them): {restarts}")
delete(names)
plain = [f"plain-{i}" for i in range(n)]
create(plain, False)
time.sleep(2)
measure(f"idle 10 s, {n} pods, no probe (comparison)")
delete(plain)
PY
