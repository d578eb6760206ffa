#!/bin/bash
# Pod networking (issue 10) through the CNI reference plugins: pods get an IP on
# a bridge of this test's own (name and subnet chosen free, host-local's store
# in the work dir), reach each other and are reached from the node; DEL
# releases the IP when a pod is deleted, when its sandbox was killed (the
# daemon's cleanup) and keeps it across a daemon restart; hostPort through
# portmap; /etc/hosts and resolv.conf; a broken plugin gives
# FailedCreatePodSandBox and retries. Traffic goes only to the test's netns.
# timeout: 300
. "$(dirname "$0")/lib.sh"
podfs_setup --no-mount
require_cmd jq ip iptables wget
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/portmap ] ||
        skip "no CNI plugins in /usr/lib/cni (containernetworking-plugins)"

# ---- the test's network: a free bridge name and /24 ---------------------------
BR=pft$$
ip link show "$BR" >/dev/null 2>&1 && skip "bridge $BR exists"
NET=""
for i in $(seq 0 199); do
        n=$(((($$ + i) % 200) + 20))
        if [ -z "$(ip -4 route show match "10.231.$n.1" | grep -v '^default')" ] &&
           ! ip -4 addr | grep -q "inet 10\.231\.$n\."; then
                NET=10.231.$n
                break
        fi
done
[ -n "$NET" ] || skip "no free 10.231.x.0/24"
NETNAME=podfs-test-$$
IPAM=$W/ipam
hostport_chains_before=$(iptables -t nat -S 2>/dev/null | grep -c -- '-N CNI-HOSTPORT' || true)
LOCALNET_BEFORE=$(localnet_rules)

# the nat rules of this network (their comments name it)
flush_net_rules() {
        local r c
        iptables -t nat -S 2>/dev/null | grep -F "$NETNAME" | grep -- '^-A' | while read -r r; do
                eval "iptables -t nat ${r/-A/-D}" 2>/dev/null
        done
        for c in $(iptables -t nat -S 2>/dev/null | sed -n 's/^-N \(CNI-[0-9a-f]*\)$/\1/p'); do
                iptables -t nat -S "$c" | grep -q -- '^-A' || iptables -t nat -X "$c" 2>/dev/null
        done
}
net_teardown() {
        ip link del "$BR" 2>/dev/null
        [ -z "${BR6:-}" ] || ip link del "$BR6" 2>/dev/null
        [ -z "${FWD6:-}" ] || echo "$FWD6" >/proc/sys/net/ipv6/conf/all/forwarding
        [ -z "$MASQ_BEFORE" ] || masq_undo
        [ -n "$LOCALNET_BEFORE" ] || localnet_rules | while read -r r; do
                eval "iptables -w -t filter ${r/-A/-D}"
        done
        flush_net_rules
        # portmap's shared chains, when this test made them (nothing else uses them)
        if [ "$hostport_chains_before" = 0 ]; then
                iptables -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT 2>/dev/null
                iptables -t nat -D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT 2>/dev/null
                iptables -t nat -D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" \
                        -j CNI-HOSTPORT-MASQ 2>/dev/null
                for c in CNI-HOSTPORT-DNAT CNI-HOSTPORT-SETMARK CNI-HOSTPORT-MASQ; do
                        iptables -t nat -F "$c" 2>/dev/null && iptables -t nat -X "$c" 2>/dev/null
                done
        fi
}
TEST_CLEANUP=net_teardown

# conflist DIR NAME BRIDGE NET: a bridge + host-local + portmap network.
conflist() {
        mkdir -p "$1"
        cat >"$1/10-test.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$2",
  "plugins": [
    {"type": "bridge", "bridge": "$3", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$IPAM", "routes": [{"dst": "0.0.0.0/0"}],
              "ranges": [[{"subnet": "$4.0/24"}]]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}
conflist "$W/cni" "$NETNAME" "$BR" "$NET"
podfs_start --cni-conf-dir "$W/cni"

st() { jq -r "$2" "$MNT/default/$1/status.json" 2>/dev/null; }
pod_ip() { st "$1" '.podIP // empty'; }
# the IPs host-local holds for this network (one file per IP)
held() { find "$IPAM/$NETNAME" -maxdepth 1 -name "$NET.*" -printf '%f\n' 2>/dev/null | sort | tr '\n' ' '; }
nat_rules() { iptables -t nat -S 2>/dev/null | grep -cF "$NETNAME"; }
_has_ip() { [ -n "$(pod_ip "$1")" ]; }
# the top-level keys of status.yaml, in order
yq_keys() { sed -n 's/^\([a-zA-Z]*\):.*/\1/p' "$MNT/default/$1/status.yaml" | tr '\n' ' ' | sed 's/ $//'; }

web_pod() {
        cat <<EOF | apply_pod default "$1"
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hello from $1 > /www/index.html && exec httpd -f -p 80 -h /www"]
EOF
}

# ---- two pods: IPs, pod to pod, node to pod -----------------------------------
web_pod b || fail "create b"
check "b Running" wait_for "$MNT/default/b/phase" Running 20
# its container was made while ADD ran: its events still come in the kubelet's order
is "$(grep -oP '\t\K(Scheduled|Pulled|Created|Started)(?=\t)' "$STATE/pods/$(pod_uid default b)/events" | tr '\n' ' ')" \
        "Scheduled Pulled Created Started " "b's events: Scheduled, Pulled, Created, Started"
check "b has a podIP in status" wait_until 10 "$MNT/default/b/status.json" _has_ip b
BIP=$(pod_ip b)
case "$BIP" in "$NET".*) ok "b's IP $BIP is on the test network" ;; *) fail "b's IP '$BIP' not in $NET.0/24" ;; esac
is "$(st b '.podIPs[0].ip')" "$BIP" "podIPs"
is "$(cat "$MNT/default/b/ip")" "$BIP" "the ip file"
check "ip file: size matches" size_matches "$MNT/default/b/ip"
dflt_dev=$(ip -4 route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") {print $(i + 1); exit}}')
node_ip=$(ip -4 -o addr show dev "${dflt_dev:-lo}" | awk '{sub("/.*", "", $4); print $4; exit}')
if [ -n "$dflt_dev" ]; then
        is "$(st b .hostIP)" "$node_ip" "hostIP is the address of the default route's interface"
fi
is "$(st b '[.hostIPs[].ip] | join(" ")')" "$(st b .hostIP)" "hostIPs: [{ip: hostIP}]"
is "$(yq_keys b)" "observedGeneration phase conditions hostIP hostIPs podIP podIPs startTime containerStatuses qosClass" \
        "status.yaml's keys in the API server's order"
cat <<EOF | apply_pod default a || fail "create a"
apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  restartPolicy: Never
  containers:
  - name: get
    image: busybox
    env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
    command: ["sh", "-c", "echo ip=\$POD_IP; timeout 10 wget -q -O - http://$BIP/"]   # busybox wget -T crashes
EOF
check "a's wget of b by IP succeeds" wait_for "$MNT/default/a/phase" Succeeded 30
check "a got b's page" grep -qx "hello from b" "$MNT/default/a/logs/get"
AIP=$(pod_ip a)
check "a and b have different IPs" test -n "$AIP" -a "$AIP" != "$BIP"
# an env that reads status.podIP: ADD is over before the container is made
check "a's env has its podIP" grep -qx "ip=$AIP" "$MNT/default/a/logs/get"
check "the node reaches b's IP" sh -c "wget -q -T 5 -O - http://$BIP/ | grep -qx 'hello from b'"
check "masquerade rules for the pods" test "$(nat_rules)" -gt 0

# ---- hostPort through portmap; a second pod asking for it is refused -------------
HP=""
for p in 18080 18081 18082 18083 28080; do
        ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { HP=$p; break; }
done
hp_pod() {
        cat <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo hostport $1 > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
    - {containerPort: 8080, hostPort: $HP}
EOF
}
hp_pod hp1 | apply_pod default hp1 || fail "create hp1"
check "hp1 Running" wait_for "$MNT/default/hp1/phase" Running 20
check "hostPort $HP answers on the node's address of the bridge" \
        sh -c "wget -q -T 5 -O - http://$NET.1:$HP/ | grep -qx 'hostport hp1'"
is "$(jq -c '.spec.containers[0].ports[0]' "$MNT/default/hp1/pod.json")" \
        "{\"hostPort\":$HP,\"containerPort\":8080,\"protocol\":\"TCP\"}" "pod.json shows the hostPort"
# CVE-2020-8558: portmap set route_localnet on the bridge; a pod that sends
# to 127.0.0.1 through its gateway (a raw frame: root in a pod has NET_RAW)
# must not reach the node's loopback services. A frame to the bridge's own
# address, sent right after on the same path, shows the path works.
is "$(cat /proc/sys/net/ipv4/conf/$BR/route_localnet)" 1 "portmap set route_localnet on the bridge"
check "the localnet rule is in filter INPUT" test -n "$(localnet_rules)"
LPORT=$((17000 + $$ % 1000))
/usr/bin/python3 - "$W/udp-lo" "$W/udp-br" "$LPORT" "$NET.1" <<'PY' &
import socket, sys
lo, br = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
lo.bind(("127.0.0.1", int(sys.argv[3]))); br.bind((sys.argv[4], int(sys.argv[3])))
open(sys.argv[1] + ".ready", "w").close()
br.settimeout(20)
try:
    open(sys.argv[2], "wb").write(br.recv(100))
except OSError:
    pass
lo.setblocking(False)
try:
    open(sys.argv[1], "wb").write(lo.recv(100))
except OSError:
    pass
PY
LPID=$!
wait_until 10 "$W" test -e "$W/udp-lo.ready" || fail "udp listeners"
HP1_UID=$(pod_uid default hp1)
nsenter --net="/run/podfs/netns/$HP1_UID" /usr/bin/python3 - "$(cat "/sys/class/net/$BR/address")" \
        "$(cat "$MNT/default/hp1/ip")" "$LPORT" "$NET.1" <<'PY' || fail "raw frames from hp1's netns"
import socket, struct, sys
gw, src, port, br = bytes.fromhex(sys.argv[1].replace(":", "")), sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
mac = s.getsockname()[4]
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    return ~(t + (t >> 16)) & 0xffff
def frame(dst, payload):
    udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return gw + mac + b"\x08\x00" + ip + udp
s.send(frame("127.0.0.1", b"to-localhost"))
s.send(frame(br, b"to-bridge"))
PY
wait $LPID
is "$(cat "$W/udp-br" 2>/dev/null)" to-bridge "a pod's raw frame reaches the bridge's address"
is "$(cat "$W/udp-lo" 2>/dev/null)" "" "a pod's raw frame to 127.0.0.1 does not reach the node's loopback"
if [ -x "$K8S_CONFORM" ] && /usr/bin/python3 -c 'import kubernetes, yaml' 2>/dev/null; then
        check "hp1: pod.json (hostPort) conforms to Pod" "$K8S_CONFORM" --kind Pod "$MNT/default/hp1/pod.json"
fi
hp_pod hp2 >"$W/hp2.yaml"
is "$(fsop write "$MNT/default/hp2.yaml" <"$W/hp2.yaml")" EADDRINUSE "a second pod with hostPort $HP: EADDRINUSE"
check "in the kubelet's words" grep -qF "hp2.yaml: Pod \"hp2\" was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" "$MNT/default/.last-error"
check "... naming no pod that holds it" sh -c "! grep -q 'is used by\\|hp1' '$MNT/default/.last-error'"
check "which pod holds it: in the daemon's log only" \
        grep -qF "hp2.yaml: pod hp2: hostPort $HP/TCP is held by pod default/hp1" "$W/podfs.log"
# Pod Security comes first (the API server's admission, before the node's):
# a namespace that forbids hostPorts says so, and names no pod of another namespace
mkdir "$MNT/pssb" || fail "mkdir pssb"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pssb\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n' \
        | fsop write "$MNT/pssb/ns.yaml" >/dev/null
is "$(fsop write "$MNT/pssb/hp2.yaml" <"$W/hp2.yaml")" EACCES "baseline: a hostPort pod is refused by Pod Security, taken port or not"
check "... in the admission's words" grep -qF 'violates PodSecurity "baseline:latest": hostPort (container "web" uses hostPort '"$HP"')' "$MNT/pssb/.last-error"
check "... naming no other pod" sh -c "! grep -q 'hp1' '$MNT/pssb/.last-error'"
check "hp2 does not exist" test ! -e "$MNT/default/hp2"
sed 's/hostPort: [0-9]*}/hostPort: '"$HP"', protocol: UDP}/' "$W/hp2.yaml" >"$W/hp2-udp.yaml"
is "$(fsop write "$MNT/default/hp2.yaml" <"$W/hp2-udp.yaml")" OK "the same port over UDP is free"
check "hp2 (UDP) Running" wait_for "$MNT/default/hp2/phase" Running 20
echo 0 >"$MNT/default/hp1/delete"
echo 0 >"$MNT/default/hp2/delete"
check "hp1 gone" wait_gone "$MNT/default/hp1"
check "hp2 gone" wait_gone "$MNT/default/hp2"
check "no hostport rule left" sh -c "! iptables -t nat -S | grep -q -- '--dport $HP '"
# hostIP: only none and 0.0.0.0 mean every address (the scheduler's
# HostPortInfo); "::" is one address, which 127.0.0.2 does not share
hp_pod hp4 | sed '/hostPort/s/}$/, hostIP: 127.0.0.2}/' >"$W/hp4.yaml"
is "$(fsop write "$MNT/default/hp4.yaml" <"$W/hp4.yaml")" OK "hostPort $HP on hostIP 127.0.0.2"
sed 's/name: hp4/name: hp5/; s/hostIP: 127.0.0.2/hostIP: "::"/' "$W/hp4.yaml" >"$W/hp5.yaml"
is "$(fsop write "$MNT/default/hp5.yaml" <"$W/hp5.yaml")" OK "the same port on hostIP :: is free"
sed 's/name: hp4/name: hp6/' "$W/hp4.yaml" >"$W/hp6.yaml"
is "$(fsop write "$MNT/default/hp6.yaml" <"$W/hp6.yaml")" EADDRINUSE "on 127.0.0.2 again: EADDRINUSE"
echo 0 >"$MNT/default/hp4/delete"
echo 0 >"$MNT/default/hp5/delete"
check "hp4 gone" wait_gone "$MNT/default/hp4"
check "hp5 gone" wait_gone "$MNT/default/hp5"

# ---- bad input: refused at apply with the API server's words, nothing created -------
bad() {
        local name=$1 want=$2
        cat >"$W/$name.yaml"
        is "$(fsop write "$MNT/default/$name.yaml" <"$W/$name.yaml")" EINVAL "$name refused: EINVAL"
        check "$name: $want" grep -qF "$want" "$MNT/default/.last-error"
        check "$name not created" test ! -e "$MNT/default/$name"
}
bad badalias 'spec.hostAliases[0].ip: Invalid value: "10.0.0.256": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: badalias}
spec:
  hostAliases: [{ip: 10.0.0.256, hostnames: [x]}]
  containers: [{name: c, image: busybox}]
EOF
bad badns 'spec.dnsConfig.nameservers: Invalid value: []string{"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"}: must not have more than 3 nameservers' <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: badns}
spec:
  dnsConfig: {nameservers: [1.1.1.1, 1.1.1.2, 1.1.1.3, 1.1.1.4]}
  containers: [{name: c, image: busybox}]
EOF
bad badport 'spec.containers[0].ports[0].hostPort: Invalid value: 65536: must be between 1 and 65535, inclusive' <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: badport}
spec:
  containers: [{name: c, image: busybox, ports: [{containerPort: 80, hostPort: 65536}]}]
EOF
bad badproto 'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"' <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: badproto}
spec:
  containers: [{name: c, image: busybox, ports: [{containerPort: 80, protocol: ICMP}]}]
EOF
bad dupport 'spec.containers[1].ports[0].hostPort: Duplicate value: "TCP//9000"' <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: dupport}
spec:
  containers:
  - {name: c, image: busybox, ports: [{containerPort: 80, hostPort: 9000}]}
  - {name: d, image: busybox, ports: [{containerPort: 81, hostPort: 9000}]}
EOF

# ---- /etc/hosts, /etc/resolv.conf, hostname as the kubelet makes them -------------
cat <<'EOF' | apply_pod default dns1 || fail "create dns1"
apiVersion: v1
kind: Pod
metadata: {name: dns1}
spec:
  restartPolicy: Never
  hostname: h1
  subdomain: sub
  setHostnameAsFQDN: true
  hostAliases:
  - {ip: 10.1.2.3, hostnames: [db, db.local]}
  - {ip: "fd00::1", hostnames: [v6]}
  dnsPolicy: None
  dnsConfig:
    nameservers: [10.0.0.10, 10.0.0.11]
    searches: [a.example, b.example]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; hostname; cat /etc/hostname"]
EOF
check "dns1 Succeeded" wait_for "$MNT/default/dns1/phase" Succeeded 20
D1IP=$(pod_ip dns1)
printf '%s\n' "# Kubernetes-managed hosts file." "127.0.0.1	localhost" \
        "::1	localhost ip6-localhost ip6-loopback" "fe00::0	ip6-localnet" "fe00::0	ip6-mcastprefix" \
        "fe00::1	ip6-allnodes" "fe00::2	ip6-allrouters" "$D1IP	h1.sub.default.svc.cluster.local	h1" "" \
        "# Entries added by HostAliases." "10.1.2.3	db	db.local" "fd00::1	v6" "---" \
        "search a.example b.example" "nameserver 10.0.0.10" "nameserver 10.0.0.11" "options ndots:2 edns0" "---" \
        "h1.sub.default.svc.cluster.local" "h1.sub.default.svc.cluster.local" >"$W/dns1.want"
if diff "$W/dns1.want" "$MNT/default/dns1/logs/c" >"$W/dns1.diff"; then
        ok "dns1: /etc/hosts (pod IP, FQDN, hostAliases), resolv.conf (None + dnsConfig), FQDN hostname"
else
        fail "dns1's /etc files differ:"; sed 's/^/#   /' "$W/dns1.diff"
fi
check "no MissingClusterDNS for dnsPolicy None" sh -c "! grep -q MissingClusterDNS '$MNT/default/dns1/events'"
if [ -x "$K8S_CONFORM" ] && /usr/bin/python3 -c 'import kubernetes, yaml' 2>/dev/null; then
        check "dns1: pod.json (hostAliases, dnsConfig, subdomain) conforms to Pod" \
                "$K8S_CONFORM" --kind Pod "$MNT/default/dns1/pod.json"
        check "dns1: status.json (podIP, podIPs, hostIP, hostIPs) conforms to PodStatus" \
                "$K8S_CONFORM" --kind PodStatus "$MNT/default/dns1/status.json"
fi
cat <<'EOF' | apply_pod default dns2 || fail "create dns2"
apiVersion: v1
kind: Pod
metadata: {name: dns2}
spec:
  restartPolicy: Never
  dnsConfig:
    nameservers: [10.0.0.12]
    searches: [c.example]
    options: [{name: ndots, value: "3"}]
  containers:
  - name: c
    image: busybox
    command: ["cat", "/etc/resolv.conf"]
EOF
check "dns2 Succeeded" wait_for "$MNT/default/dns2/phase" Succeeded 20
node_resolv=/etc/resolv.conf
[ -f /run/systemd/resolve/resolv.conf ] && node_resolv=/run/systemd/resolve/resolv.conf
ns1=$(awk '$1 == "nameserver" {print $2; exit}' "$node_resolv")
check "ClusterFirst falls back to the node's nameservers" sh -c "[ -z '$ns1' ] || grep -qx 'nameserver $ns1' '$MNT/default/dns2/logs/c'"
check "and dnsConfig is appended" sh -c "grep -qx 'nameserver 10.0.0.12' '$MNT/default/dns2/logs/c' && grep -q '^search .*c.example$' '$MNT/default/dns2/logs/c' && grep -q '^options .*ndots:3' '$MNT/default/dns2/logs/c'"
check "a Warning MissingClusterDNS event" grep -qE "Warning +MissingClusterDNS +pod/dns2 " "$MNT/default/dns2/events"
check "in the kubelet's words" grep -qF "pod: \"dns2_default($(pod_uid default dns2))\". kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy." "$MNT/default/dns2/events"
# more nameservers than the kubelet's 3 (the node's and dnsConfig's): the first 3, its warning
cat <<'EOF' | apply_pod default dns3 || fail "create dns3"
apiVersion: v1
kind: Pod
metadata: {name: dns3}
spec:
  restartPolicy: Never
  dnsPolicy: Default
  dnsConfig: {nameservers: [10.0.0.21, 10.0.0.22, 10.0.0.23]}
  containers: [{name: c, image: busybox, command: ["cat", "/etc/resolv.conf"]}]
EOF
check "dns3 Succeeded" wait_for "$MNT/default/dns3/phase" Succeeded 20
ns_all=$( (awk '$1 == "nameserver" {print $2}' "$node_resolv"; printf '%s\n' 10.0.0.21 10.0.0.22 10.0.0.23) | awk '!seen[$0]++')
ns_want=$(head -n 3 <<<"$ns_all")
is "$(awk '$1 == "nameserver" {print $2}' "$MNT/default/dns3/logs/c")" "$ns_want" "dns3: the first 3 nameservers"
if [ "$(wc -l <<<"$ns_all")" -gt 3 ]; then
        check "a Warning DNSConfigForming event in the kubelet's words" grep -qE "Warning +DNSConfigForming +pod/dns3 +Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: $(echo $ns_want)$" "$MNT/default/dns3/events"
else
        check "no DNSConfigForming event (the node has no nameserver)" sh -c "! grep -q DNSConfigForming '$MNT/default/dns3/events'"
fi
check "no DNSConfigForming event within the limits" sh -c "! grep -q DNSConfigForming '$MNT/default/dns2/events'"
rmdir "$MNT/default/dns1" "$MNT/default/dns2" "$MNT/default/dns3"
check "dns1 gone" wait_gone "$MNT/default/dns1"; check "dns2 gone" wait_gone "$MNT/default/dns2"
check "dns3 gone" wait_gone "$MNT/default/dns3"

# an FQDN over 64 characters: the pod does not start, in the kubelet's words
long=h23456789012345678901234567890
cat <<EOF | apply_pod default fqdn || fail "create fqdn"
apiVersion: v1
kind: Pod
metadata: {name: fqdn}
spec:
  hostname: $long
  subdomain: s2345678901234567890
  setHostnameAsFQDN: true
  containers: [{name: c, image: busybox, command: ["true"]}]
EOF
fq=$long.s2345678901234567890.default.svc.cluster.local
check "FQDN too long: FailedCreatePodSandBox" wait_grep "$MNT/default/fqdn/events" "Warning +FailedCreatePodSandBox +pod/fqdn +Failed to create pod sandbox: failed to construct FQDN from pod hostname and cluster domain, FQDN $fq is too long \(64 characters is the max, ${#fq} characters requested\)$" 20
echo 0 >"$MNT/default/fqdn/delete"
check "fqdn gone" wait_gone "$MNT/default/fqdn"

# ---- hostNetwork: no CNI call, the node's address and /etc/hosts (+ aliases) ------
before=$(held)
cat <<'EOF' | apply_pod default hn || fail "create hn"
apiVersion: v1
kind: Pod
metadata: {name: hn}
spec:
  restartPolicy: Never
  hostNetwork: true
  hostAliases: [{ip: 10.9.9.9, hostnames: [alias1]}]
  containers:
  - name: c
    image: busybox
    command: ["cat", "/etc/hosts"]
EOF
check "hn Succeeded" wait_for "$MNT/default/hn/phase" Succeeded 20
is "$(cat "$MNT/default/hn/ip")" "$(st hn .hostIP)" "hostNetwork: ip is the node's address"
check "no network record for a hostNetwork pod" test ! -e "$STATE/pods/$(pod_uid default hn)/network.json"
is "$(held)" "$before" "no address taken for it"
is "$(head -n 1 "$MNT/default/hn/logs/c")" "# Kubernetes-managed hosts file (host network)." "hostNetwork: the kubelet's header"
hn_end=$(($(wc -l </etc/hosts) + 1))
check "then the node's /etc/hosts, then the aliases" sh -c "sed -n '2,${hn_end}p' '$MNT/default/hn/logs/c' | cmp -s - /etc/hosts && tail -n 2 '$MNT/default/hn/logs/c' | grep -qx '10.9.9.9	alias1'"
check "hostNetwork + ClusterFirst: no MissingClusterDNS (the node's DNS is the policy's)" \
        sh -c "! grep -q MissingClusterDNS '$MNT/default/hn/events'"
rmdir "$MNT/default/hn"
cat <<'EOF' | apply_pod default hn2 || fail "create hn2"
apiVersion: v1
kind: Pod
metadata: {name: hn2}
spec:
  restartPolicy: Never
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  containers:
  - name: c
    image: busybox
    command: ["cat", "/etc/resolv.conf"]
EOF
check "hn2 Succeeded" wait_for "$MNT/default/hn2/phase" Succeeded 20
check "hostNetwork + ClusterFirstWithHostNet: MissingClusterDNS, as the kubelet (cluster DNS asked for, none known)" \
        grep -qF "pod: \"hn2_default($(pod_uid default hn2))\". kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to \"Default\" policy." "$MNT/default/hn2/events"
rmdir "$MNT/default/hn2"

# ---- probes and hooks without host target the pod's IP (a server bound to it only) ---------
mkdir -p "$W/hook"
cat <<EOF | apply_pod default probed || fail "create probed"
apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  terminationGracePeriodSeconds: 5
  volumes: [{name: hook, hostPath: {path: $W/hook}}]
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "ip=\$(ip -4 addr show eth0 | awk '/inet /{sub(\"/.*\", \"\", \$2); print \$2}'); mkdir -p /www/cgi-bin; echo ok >/www/index.html; printf '#!/bin/sh\\necho \"\$REQUEST_METHOD \$REMOTE_ADDR\" > /hook/prestop\\necho Content-Type: text/plain\\necho\\necho ok\\n' > /www/cgi-bin/stop; chmod +x /www/cgi-bin/stop; exec httpd -f -p \$ip:8080 -h /www"]
    volumeMounts: [{name: hook, mountPath: /hook}]
    readinessProbe:
      httpGet: {path: /index.html, port: 8080}
      periodSeconds: 1
    livenessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
    lifecycle:
      preStop:
        httpGet: {path: /cgi-bin/stop, port: 8080}
EOF
check "httpGet readiness to the pod IP: Ready" wait_grep "$MNT/default/probed/conditions" '^Ready True' 20
check "tcpSocket liveness to the pod IP: no restart" test "$(ctr default probed web restarts)" = 0
PIP=$(pod_ip probed)
rmdir "$MNT/default/probed"

# ---- deletion releases the IPs and the rules ------------------------------------
AU=$(pod_uid default a) BU=$(pod_uid default b)
check "b's netns is pinned" test -e "/run/podfs/netns/$BU"
is "$(stat -c '%a %U' /run/podfs/netns)" "700 root" "the pins' dir is root's only"
echo 0 >"$MNT/default/b/delete"
rmdir "$MNT/default/a"
check "a gone" wait_gone "$MNT/default/a"
check "b gone" wait_gone "$MNT/default/b"
check "probed gone" wait_gone "$MNT/default/probed"
is "$(cat "$W/hook/prestop" 2>/dev/null)" "GET $PIP" "an httpGet preStop hook without host reached the server bound to the pod IP"
is "$(held)" "" "host-local holds no IP after the deletions"
is "$(nat_rules)" 0 "no nat rule of the network left"
check "no pinned netns left" test ! -e "/run/podfs/netns/$AU" -a ! -e "/run/podfs/netns/$BU"

# ---- kill -9 of a sandbox: the daemon's cleanup runs DEL -------------------------
web_pod c || fail "create c"
check "c Running" wait_for "$MNT/default/c/phase" Running 20
check "c has an IP" wait_until 10 "$MNT/default/c/status.json" _has_ip c
CIP=$(pod_ip c)
uid=$(pod_uid default c)
spid=$(sed -n 's/^pid=//p' "$STATE/pods/$uid/sandbox")
kill -9 "$spid"
_new_ip() { local ip; ip=$(pod_ip c); [ -n "$ip" ] && [ "$ip" != "$CIP" ] && grep -qx Running "$MNT/default/c/phase"; }
check "c restarted with a new sandbox and IP" wait_until 20 "$MNT/default/c/status.json" _new_ip
CIP2=$(pod_ip c)
is "$(held)" "$CIP2 " "the dead sandbox's IP was released"
check "c answers on its new IP" sh -c "wget -q -T 5 -O - http://$CIP2/ | grep -qx 'hello from c'"

# ---- daemon restart: running pods keep their IPs ---------------------------------
podfs_kill9
podfs_start --cni-conf-dir "$W/cni"
is "$(pod_ip c)" "$CIP2" "c keeps its IP across a daemon restart"
is "$(held)" "$CIP2 " "host-local still holds it"

# ---- a "reboot": the daemon down, the pod's processes and its netns pin gone -------
podfs_kill9
uid=$(pod_uid default c)
spid=$(sed -n 's/^pid=//p' "$STATE/pods/$uid/sandbox")
kill -9 "$spid"
retry_until 5 sh -c "! kill -0 $spid 2>/dev/null" || fail "sandbox of c survives kill -9"
umount "/run/podfs/netns/$uid" || fail "unpin c's netns"
flush_net_rules         # a reboot empties the firewall too
podfs_start --cni-conf-dir "$W/cni"
_restarted() { local ip; ip=$(pod_ip c); [ -n "$ip" ] && [ "$ip" != "$CIP2" ] && grep -qx Running "$MNT/default/c/phase"; }
check "after the reboot c runs again with a new IP" wait_until 20 "$MNT/default/c/status.json" _restarted
CIP3=$(pod_ip c)
is "$(held)" "$CIP3 " "DEL without a netns released the old IP"
echo 0 >"$MNT/default/c/delete"
check "c gone" wait_gone "$MNT/default/c"
is "$(held)" "" "host-local empty again"
is "$(nat_rules)" 0 "no nat rule left"

# ---- a record torn by a crash of the machine before its fsync ----------------------
# network.json is made durable only once the first plugin started, before it
# reads its config: a crash before that leaves at worst an empty record that
# no plugin saw. Emulated: the record emptied, host-local's reservation and
# the rules undone while the daemon and the sandbox are down.
web_pod t || fail "create t"
check "t has an IP" wait_until 20 "$MNT/default/t/status.json" _has_ip t
TIP=$(pod_ip t)
podfs_kill9
uid=$(pod_uid default t)
spid=$(sed -n 's/^pid=//p' "$STATE/pods/$uid/sandbox")
kill -9 "$spid"
retry_until 5 sh -c "! kill -0 $spid 2>/dev/null" || fail "sandbox of t survives kill -9"
umount "/run/podfs/netns/$uid" || fail "unpin t's netns"
: >"$STATE/pods/$uid/network.json"
rm -f "$IPAM/$NETNAME/$TIP"
flush_net_rules
podfs_start --cni-conf-dir "$W/cni"
_t_again() { [ -n "$(pod_ip t)" ] && grep -qx Running "$MNT/default/t/phase"; }
check "a torn record: t runs again with an IP" wait_until 20 "$MNT/default/t/status.json" _t_again
is "$(held)" "$(pod_ip t) " "host-local holds t's new IP only"
check "the torn record was dropped, saying so" \
        grep -q "network.json: not a network record (no plugin ran with it: removed)" "$STATE/pods/$uid/sandbox.log"
echo 0 >"$MNT/default/t/delete"
check "t gone" wait_gone "$MNT/default/t"
is "$(held)" "" "host-local empty again after t"

# ---- kill -9 of a sandbox while its ADD runs, the pod deleted at once -------------
# (a bridge plugin that takes 1 s over ADD, first in the bin dirs). The sandbox
# dies before its verdict: the daemon runs its cleanup all the same (before,
# the pod was removed with its address held and its netns pinned), and the
# cleanup's DEL waits for the dead sandbox's ADD process (the CNI spec: no
# parallel operations on one container).
mkdir -p "$W/slowbin"
printf '#!/bin/sh
[ "$CNI_COMMAND" != ADD ] || sleep 1
exec /usr/lib/cni/bridge
' >"$W/slowbin/bridge"
chmod 755 "$W/slowbin/bridge"
podfs_umount
podfs_start --cni-conf-dir "$W/cni" --cni-bin-dir "$W/slowbin:/usr/lib/cni"
web_pod slow || fail "create slow"
suid=$(pod_uid default slow)
check "slow: its ADD has begun" retry_until 10 test -s "$STATE/pods/$suid/network.json"
spid=$(sed -n 's/^pid=//p' "$STATE/pods/$suid/sandbox")
kill -9 "$spid"
echo 0 >"$MNT/default/slow/delete"
check "slow gone" wait_gone "$MNT/default/slow" 30
# the dead sandbox's ADD process (a fork: its command line) ends about a second later
check "slow: no process of its sandbox left" retry_until 5 sh -c "! pgrep -f -- '--uid [${suid:0:1}]${suid:1}' >/dev/null"
check "slow: its netns pin is gone" test ! -e "/run/podfs/netns/$suid"
is "$(held)" "" "host-local empty after a sandbox killed during its ADD, the pod deleted"

# ---- a DEL that fails: the pod stays, terminating, its address held --------------
# As the kubelet keeps a pod whose sandbox it cannot stop (FailedKillPod),
# retrying: the record DEL needs is never lost with the pod, and the
# address is released once DEL works again.
mkdir -p "$W/faildel"
printf '#!/bin/sh
if [ "$CNI_COMMAND" = DEL ] && [ -e %s ]; then
        echo "{\\"cniVersion\\": \\"1.0.0\\", \\"code\\": 11, \\"msg\\": \\"simulated DEL failure\\"}"
        exit 1
fi
exec /usr/lib/cni/bridge
' "$W/faildel.on" >"$W/faildel/bridge"
chmod 755 "$W/faildel/bridge"
podfs_umount
podfs_start --cni-conf-dir "$W/cni" --cni-bin-dir "$W/faildel:/usr/lib/cni"
web_pod fd || fail "create fd"
check "fd has an IP" wait_until 20 "$MNT/default/fd/status.json" _has_ip fd
FIP=$(pod_ip fd)
fuid=$(pod_uid default fd)
touch "$W/faildel.on"
echo 0 >"$MNT/default/fd/delete"
check "fd: a FailedKillPod event" wait_grep "$MNT/default/fd/events" 'Warning +FailedKillPod' 20
want='error killing pod: failed to "KillPodSandbox" for "'$fuid'" with KillPodSandboxError: "rpc error: code = Unknown desc = failed to destroy network for sandbox \"'$fuid'\": plugin type=\"bridge\" failed (delete): simulated DEL failure"'
check "... in the kubelet's words, with the plugin's message" grep -qF -- "$want" "$MNT/default/fd/events"
check "fd stays while its DEL fails" test -d "$MNT/default/fd"
check "... shown as terminating" test -n "$(jq -r '.metadata.deletionTimestamp // empty' "$MNT/default/fd/pod.json")"
is "$(held)" "$FIP " "its address stays held by its record, not leaked"
check "tried again (a second FailedKillPod)" wait_until 10 "$MNT/default/fd/events" \
        sh -c "[ \$(grep -c FailedKillPod '$MNT/default/fd/events') -ge 2 ]"
rm -f "$W/faildel.on"
check "fd gone once DEL works" wait_gone "$MNT/default/fd" 30
is "$(held)" "" "its address released"
check "its netns pin is gone" test ! -e "/run/podfs/netns/$fuid"

# ---- a plugin that succeeds with garbage: what it printed is in the event ----------
mkdir -p "$W/garblebin" "$W/cni-garble"
printf '#!/bin/sh\ncat >/dev/null\necho "not json at all"\n' >"$W/garblebin/garble"
chmod 755 "$W/garblebin/garble"
sed 's|"type": "portmap"|"type": "garble"|' "$W/cni/10-test.conflist" >"$W/cni-garble/10-test.conflist"
podfs_umount
podfs_start --cni-conf-dir "$W/cni-garble" --cni-bin-dir "$W/garblebin:/usr/lib/cni"
web_pod g || fail "create g"
check "g: FailedCreatePodSandBox" wait_grep "$MNT/default/g/events" 'Warning +FailedCreatePodSandBox' 20
check "... quoting what the plugin printed" \
        grep -qF 'plugin type="garble" failed (add): invalid result (not a JSON object): "not json at all\n"' "$MNT/default/g/events"
echo 0 >"$MNT/default/g/delete"
check "g gone" wait_gone "$MNT/default/g" 20
is "$(held)" "" "nothing held after g"

# ---- a plugin that is missing: the ADD's error, no address held -------------------
mkdir -p "$W/cni-missing"
sed 's|"type": "portmap"|"type": "nosuchplugin"|' "$W/cni/10-test.conflist" >"$W/cni-missing/10-test.conflist"
podfs_umount
podfs_start --cni-conf-dir "$W/cni-missing"
web_pod m || fail "create m"
check "m: FailedCreatePodSandBox" wait_grep "$MNT/default/m/events" 'Warning +FailedCreatePodSandBox' 20
check "... with the ADD's error (not the undoing's)" \
        grep -qF 'plugin type="nosuchplugin" failed (add): failed to find plugin "nosuchplugin" in path' "$MNT/default/m/events"
check "... retried, the same error" wait_until 10 "$MNT/default/m/events" \
        sh -c "[ \$(grep -c 'nosuchplugin\" failed (add)' '$MNT/default/m/events') -ge 2 ]"
# (an attempt in flight holds one until its DEL: none may stay)
_none_held() { [ -z "$(held)" ]; }
check "bridge's DEL ran past the missing plugin: no address stays held" retry_until 10 _none_held
muid=$(pod_uid default m)
echo 0 >"$MNT/default/m/delete"
check "m gone" wait_gone "$MNT/default/m" 20
is "$(held)" "" "nothing held after m"
check "m's netns pin is gone" test ! -e "/run/podfs/netns/$muid"
podfs_umount
podfs_start --cni-conf-dir "$W/cni"

# ---- dual-stack: a conflist with an IPv4 and an IPv6 range (a bridge of its own) ----
# podIPs has both, IPv4 first; podIP and ip the IPv4 one; /etc/hosts a line each.
# (The bridge plugin turns on net.ipv6.conf.all.forwarding: put back at the end.)
if [ "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null)" = 0 ]; then
        FWD6=$(cat /proc/sys/net/ipv6/conf/all/forwarding)
        BR6=pfu$$
        NET2=""
        for i in $(seq 1 199); do
                n=$(((($$ + i) % 200) + 20))
                if [ "10.231.$n" != "$NET" ] && [ -z "$(ip -4 route show match "10.231.$n.1" | grep -v '^default')" ] &&
                   ! ip -4 addr | grep -q "inet 10\.231\.$n\."; then
                        NET2=10.231.$n
                        break
                fi
        done
        NET6=fdcb:$(printf '%x' $(($$ % 65536)))::
        [ -z "$(ip -6 route show match "${NET6}1" | grep -v '^default')" ] || NET2=""
fi
if [ -n "${NET2:-}" ]; then
        podfs_umount
        mkdir -p "$W/cni6"
        cat >"$W/cni6/10-test6.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$NETNAME-6",
  "podfsMasquerade": ["$NET2.0/24", "${NET6}/64"],
  "plugins": [
    {"type": "bridge", "bridge": "$BR6", "isGateway": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$IPAM", "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}],
              "ranges": [[{"subnet": "$NET2.0/24"}], [{"subnet": "${NET6}/64"}]]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
        masq_note
        podfs_start --cni-conf-dir "$W/cni6"
        check "podfsMasquerade: the IPv4 subnet's rule made" sh -c "iptables -t nat -S POSTROUTING | grep -qF -- '-A POSTROUTING -s $NET2.0/24 ! -d $NET2.0/24 -m addrtype ! --dst-type MULTICAST -m comment --comment \"podfs masquerade\" -j MASQUERADE'"
        check "podfsMasquerade: the IPv6 subnet's rule made (ip6tables)" sh -c "ip6tables -t nat -S POSTROUTING | grep -qF -- '-A POSTROUTING -s ${NET6}/64 ! -d ${NET6}/64 -m addrtype ! --dst-type MULTICAST -m comment --comment \"podfs masquerade\" -j MASQUERADE'"
        cat <<EOF | apply_pod default ds || fail "create ds"
apiVersion: v1
kind: Pod
metadata: {name: ds}
spec:
  terminationGracePeriodSeconds: 0
  hostname: h6
  subdomain: sub
  containers:
  - name: web
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo dual > /www/index.html && cat /etc/hosts && exec httpd -f -p 80 -h /www"]
    env: [{name: IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}}]
EOF
        check "ds Running" wait_for "$MNT/default/ds/phase" Running 20
        ds4=$(st ds '.podIPs[0].ip') ds6=$(st ds '.podIPs[1].ip')
        case "$ds4" in "$NET2".*) ok "podIPs[0] is the IPv4 address $ds4" ;; *) fail "podIPs[0] '$ds4'" ;; esac
        case "$ds6" in "$NET6"*) ok "podIPs[1] is the IPv6 address $ds6" ;; *) fail "podIPs[1] '$ds6'" ;; esac
        is "$(st ds '.podIPs | length')" 2 "two podIPs"
        is "$(st ds .podIP)" "$ds4" "podIP: the IPv4 one"
        is "$(cat "$MNT/default/ds/ip")" "$ds4" "the ip file: the IPv4 one"
        check "/etc/hosts: a line for each" sh -c "grep -qx '$ds4	h6.sub.default.svc.cluster.local	h6' '$MNT/default/ds/logs/web' && grep -qx '$ds6	h6.sub.default.svc.cluster.local	h6' '$MNT/default/ds/logs/web'"
        is "$(tr '\0' '\n' <"/proc/$(ctr default ds web pid)/environ" 2>/dev/null | sed -n 's/^IPS=//p')" "$ds4,$ds6" \
                "status.podIPs through the downward API: both, comma-separated"
        check "the node reaches ds over IPv6" sh -c "wget -q -T 5 -O - 'http://[$ds6]/' | grep -qx dual"
        if [ -x "$K8S_CONFORM" ] && /usr/bin/python3 -c 'import kubernetes, yaml' 2>/dev/null; then
                check "ds: status.json (two podIPs) conforms to PodStatus" "$K8S_CONFORM" --kind PodStatus "$MNT/default/ds/status.json"
        fi
        echo 0 >"$MNT/default/ds/delete"
        check "ds gone" wait_gone "$MNT/default/ds"
        is "$(find "$IPAM/$NETNAME-6" -maxdepth 1 -name '[0-9a-f]*[.:]*' 2>/dev/null | wc -l)" 0 "both addresses released"
        podfs_umount
        masq_undo
        check "and removed again" sh -c "! iptables -t nat -S POSTROUTING | grep -qF -- '-s $NET2.0/24' && ! ip6tables -t nat -S POSTROUTING | grep -qF -- '-s ${NET6}/64'"
        ip link del "$BR6" 2>/dev/null
        echo "$FWD6" >/proc/sys/net/ipv6/conf/all/forwarding
else
        log "no IPv6 here (or no free subnet): dual-stack not tested"
fi

# ---- the default network: written into a config dir that has none --------------
# (and its masquerade made sure of, once for the subnet: global, undone at the end
# when it was not there before)
podfs_umount
masq_note
mkdir -p "$W/cni-empty"
podfs_start --cni-conf-dir "$W/cni-empty"
check "the default network written: podfs0, 10.85.0.0/16, no per-pod ipMasq, podfsMasquerade, portmap" \
        jq -e '.name == "podfs" and .podfsMasquerade == ["10.85.0.0/16"] and
        .plugins[0].type == "bridge" and .plugins[0].bridge == "podfs0" and .plugins[0].ipMasq == false and
        .plugins[0].ipam.type == "host-local" and .plugins[0].ipam.ranges[0][0].subnet == "10.85.0.0/16" and
        .plugins[1].type == "portmap" and .plugins[1].capabilities.portMappings == true' \
        "$W/cni-empty/podfs.conflist"
masq_want='-A POSTROUTING -s 10.85.0.0/16 ! -d 10.85.0.0/16 -m addrtype ! --dst-type MULTICAST -m comment --comment "podfs masquerade" -j MASQUERADE'
is "$(masq_rules)" "$masq_want" "the default network's masquerade: one rule for 10.85.0.0/16"
podfs_umount
podfs_start --cni-conf-dir "$W/cni-empty"
is "$(masq_rules)" "$masq_want" "made sure of again at the next start: nothing doubled"
podfs_umount
masq_undo

# ---- a config or plugin other users may change is not used ------------------------
# root runs the plugins on the config's word: a file (or its directory)
# that another user can write is refused, with the reason in the event
mkdir -p "$W/cni-open"
cp "$W/cni/10-test.conflist" "$W/cni-open/"
chmod 0666 "$W/cni-open/10-test.conflist"
podfs_start --cni-conf-dir "$W/cni-open"
web_pod o || fail "create o"
check "o: FailedCreatePodSandBox" wait_grep "$MNT/default/o/events" 'Warning +FailedCreatePodSandBox' 20
check "... the config is not used, and why" grep -qF "network config \"$W/cni-open/10-test.conflist\" is not used: '$W/cni-open/10-test.conflist' (owner 0, group 0, mode 0666) may be changed by users other than root" "$MNT/default/o/events"
is "$(held)" "" "o holds no address"
echo 0 >"$MNT/default/o/delete"
check "o gone" wait_gone "$MNT/default/o" 20
podfs_umount
# (a directory above the plugin's: anybody could rename its own away)
mkdir -p "$W/openbin/sub"
cp /usr/lib/cni/bridge "$W/openbin/sub/bridge"
chmod 0777 "$W/openbin"
podfs_start --cni-conf-dir "$W/cni" --cni-bin-dir "$W/openbin/sub:/usr/lib/cni"
web_pod o2 || fail "create o2"
check "o2: FailedCreatePodSandBox" wait_grep "$MNT/default/o2/events" 'Warning +FailedCreatePodSandBox' 20
check "... a plugin below a directory anybody may write to is not run" \
        grep -qF "plugin \"$W/openbin/sub/bridge\" is not used: '$W/openbin' (owner 0, group 0, mode 0777) may be changed by users other than root" "$MNT/default/o2/events"
echo 0 >"$MNT/default/o2/delete"
check "o2 gone" wait_gone "$MNT/default/o2" 20
is "$(held)" "" "nothing held after o, o2"
podfs_umount

# ---- a broken network config: FailedCreatePodSandBox, retried with back-off ------
mkdir -p "$W/cni-broken"
sed 's|"subnet": "[^"]*"|"subnet": "not-a-subnet"|' "$W/cni/10-test.conflist" >"$W/cni-broken/10-test.conflist"
podfs_start --cni-conf-dir "$W/cni-broken"
web_pod d || fail "create d"
want='Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "'$(pod_uid default d)'": plugin type="bridge" failed (add): invalid CIDR address: not-a-subnet'
check "FailedCreatePodSandBox with the plugin's message" wait_grep "$MNT/default/d/events" 'Warning +FailedCreatePodSandBox' 20
check "the event has kubelet's words and the plugin's error" grep -qF "$want" "$MNT/default/d/events"
is "$(cat "$MNT/default/d/phase")" Pending "d stays Pending"
is "$(cat "$MNT/default/d/ip")" "" "no ip yet"
is "$(held)" "" "a failed ADD holds no IP"
# its container was made while ADD ran, and killed unrun: the kubelet's events show none
check "no Pulled/Created/Started event for a sandbox that failed" \
        sh -c "! grep -Eq ' (Pulled|Created|Started) ' '$MNT/default/d/events'"
# an image volume's image is the pod's, and pulled in a sandbox that is up too
mkdir -p "$STATE/images/tools:1.0"
cat <<'EOF' | apply_pod default dv || fail "create dv"
apiVersion: v1
kind: Pod
metadata: {name: dv}
spec:
  terminationGracePeriodSeconds: 0
  volumes: [{name: tools, image: {reference: "tools:1.0"}}]
  containers:
  - {name: main, image: busybox, command: [sleep, "1000"], volumeMounts: [{name: tools, mountPath: /tools}]}
EOF
check "dv: FailedCreatePodSandBox" wait_grep "$MNT/default/dv/events" 'Warning +FailedCreatePodSandBox' 20
check "dv: no Pulled event of its image volume either" sh -c "! grep -q ' Pulled ' '$MNT/default/dv/events'"
echo 0 >"$MNT/default/dv/delete"
check "dv gone" wait_gone "$MNT/default/dv" 20
is "$(nat_rules)" 0 "nor a rule"
# the config is fixed: the next retry (back-off) brings the pod up; a watcher of ip is woken
inotifywait -t 40 -e modify "$MNT/default/d/ip" >"$W/ip-watch" 2>&1 &
wpid=$!
retry_until 5 grep -q "Watches established" "$W/ip-watch" || fail "watch of ip"
cp "$W/cni/10-test.conflist" "$W/cni-broken/10-test.conflist"
check "d Running once the config is fixed" wait_for "$MNT/default/d/phase" Running 40
wait "$wpid"
check "inotify watcher of ip woken" grep -q MODIFY "$W/ip-watch"
DIP=$(cat "$MNT/default/d/ip")
case "$DIP" in "$NET".*) ok "d's ip $DIP" ;; *) fail "d's ip '$DIP'" ;; esac
echo 0 >"$MNT/default/d/delete"
check "d gone" wait_gone "$MNT/default/d"
is "$(held)" "" "host-local empty at the end"
is "$(nat_rules)" 0 "no nat rule at the end"

finish
