#!/bin/bash
# bench/network.sh [--rounds R] [--before BUILD] [N=1]: what the pod network
# costs a pod. Runs `bench/pods.sh --breakdown --bridge N` (podfs's default
# network on a bench-only bridge) and `bench/pods.sh --breakdown N` (the
# loopback plugin alone) R times each (default 3), alternately, so that both
# see the same machine; with --before BUILD, also the bridge network with the
# binaries of another build directory (PODFS_BUILD=BUILD: an earlier commit's,
# built aside), in between. Prints per variant the medians over the rounds of
# each round's medians: the record's fsync, ADD (netns pin + plugins) and each
# plugin's ADD, DEL and each plugin's DEL, create -> Running and rmdir -> gone,
# in ms. Needs root, FUSE, a build in build/ (or PODFS_BUILD); asserts nothing.
ROUNDS=3
BEFORE=""
while :; do
        case "${1:-}" in
        --rounds) ROUNDS=$2; shift ;;
        --before) BEFORE=$2; shift ;;
        *) break ;;
        esac
        shift
done
N=${1:-1}
case "$N$ROUNDS" in '' | *[!0-9]*) echo "usage: $0 [--rounds R] [--before BUILD] [N]" >&2; exit 2 ;; esac
BENCH=$(dirname "$0")/pods.sh
OUT=$(mktemp -d /tmp/podfs-bench-net.XXXXXX) || exit 1
trap 'rm -rf "$OUT"' EXIT

echo "podfs network bench: N=$N pods, $ROUNDS rounds, $(nproc) cpus, $(uname -r)"
for r in $(seq 1 "$ROUNDS"); do
        if [ -n "$BEFORE" ]; then
                PODFS_BUILD=$BEFORE "$BENCH" --breakdown --bridge "$N" >"$OUT/before-$r" 2>&1 ||
                        echo "round $r, before: failed (see below)" >&2
        fi
        "$BENCH" --breakdown --bridge "$N" >"$OUT/bridge-$r" 2>&1 || echo "round $r, bridge: failed" >&2
        "$BENCH" --breakdown "$N" >"$OUT/loopback-$r" 2>&1 || echo "round $r, loopback: failed" >&2
done
/usr/bin/python3 - "$OUT" <<'PY'
import collections, os, re, statistics, sys

out = sys.argv[1]

def parse(path):
    """pods.sh's output: the create and delete p50 and each step's median from the step before."""
    top, secs, cur = {}, {}, None
    for line in open(path):
        m = re.match(r"^(create|delete)\s+\(.*?\):\s+p50\s+([\d.]+) ms", line)
        if m:
            top[m.group(1)] = float(m.group(2))
        m = re.match(r"^(create|exit|delete) \(.*\): step", line)
        if m:
            cur = secs.setdefault(m.group(1), {})
            continue
        m = re.match(r"^\s+(\S+)\s+([\d.]+)\s+([\d.]+)\s+\d+$", line)
        if m and cur is not None:
            cur[m.group(1)] = float(m.group(3))
    c, d = secs.get("create", {}), secs.get("delete", {})
    row = {"create -> Running": top.get("create"), "rmdir -> gone": top.get("delete"),
           "record": c.get("sandbox:cni-record"),
           "ADD": sum(v for k, v in c.items() if k in ("sandbox:cni-pinned", "sandbox:cni-add")
                      or k.startswith("sandbox:cni-add-")),
           "DEL": sum(v for k, v in d.items() if k == "sandbox:cni-del" or k.startswith("sandbox:cni-del-"))}
    for k, v in list(c.items()) + list(d.items()):
        if k.startswith("sandbox:cni-add-") or k.startswith("sandbox:cni-del-"):
            row["  " + k[len("sandbox:cni-"):]] = v
    return row

variants = collections.OrderedDict()
for name in sorted(os.listdir(out), key=lambda n: (n.split("-")[0], int(n.split("-")[1]))):
    variants.setdefault(name.split("-")[0], []).append(parse(os.path.join(out, name)))
order = ["record", "ADD", "DEL", "create -> Running", "rmdir -> gone"]
keys = order[:2] + sorted({k for rows in variants.values() for r in rows for k in r if "add-" in k}) + \
       order[2:3] + sorted({k for rows in variants.values() for r in rows for k in r if "del-" in k}) + order[3:]
print("%-22s" % "median ms" + "".join("%14s" % v for v in variants))
for k in keys:
    cells = []
    for rows in variants.values():
        xs = [r[k] for r in rows if r.get(k) is not None]
        cells.append("%14.1f" % statistics.median(xs) if xs else "%14s" % "-")
    print("%-22s" % k + "".join(cells))
PY
