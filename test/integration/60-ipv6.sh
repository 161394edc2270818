#!/usr/bin/env bash
# IPv6 on the link against the Linux kernel: ping6 to ustack's global and
# link-local addresses (all sizes to 1452, and fragmented), all-nodes,
# SLAAC and RDNSS from a kernel-side radvd, and a
# capture tshark reads without a malformed frame. Addresses: 2001:db8::/32
# (RFC 3849), inside this test's own namespace.
source "$(dirname "$0")/lib.sh"
need_root "60-ipv6"

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
# the kernel side speaks IPv6 here (lib.sh turns it off by default)
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=0
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=0
SOCK=$TMP/ctl.sock
CAP=$TMP/cap.pcap
USTACKCTL=${USTACKCTL:-$PWD/$BUILD/ustackctl}
C() { "$USTACKCTL" --socket "$SOCK" "$@"; }
US6=2001:db8:1::2
KERNEL6=2001:db8:1::1

start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr 192.0.2.2/24 \
	--addr $US6/64 --hostname ustk-six --capture "$CAP" || { fail "ustackd starts"; summary; exit 1; }
in_ns ip link set ustk0 up
in_ns ip addr add 192.0.2.1/24 dev ustk0
in_ns ip addr add $KERNEL6/64 dev ustk0
# both sides finish duplicate address detection
kernel_ready() { ! in_ns ip -6 addr show dev ustk0 tentative | grep -q inet6; }
check "the kernel's addresses pass DAD" wait_for 10 kernel_ready
dad_ok() { C stats --json | python3 -c 'import json,sys; c=json.load(sys.stdin)["counters"]; sys.exit(0 if c["addr6"]["dad_ok"] >= 2 else 1)'; }
check "ustack's link-local and static addresses pass DAD" wait_for 10 dad_ok

answered=0
for i in $(seq 0 99); do
	size=$((i * 1452 / 99))
	in_ns ping -6 -n -q -c 1 -W 1 -s $size $US6 >/dev/null && answered=$((answered + 1))
done
check "ping -6: 100 of 100 echo requests of 0..1452 bytes answered ($answered)" \
	test "$answered" -eq 100
out=$(in_ns ping -6 -n -c 3 -i 0.2 -W 2 -s 4000 $US6)
check "ping -6 -s 4000: fragmented both ways, 3 answered" \
	grep -q '3 packets transmitted, 3 received' <<<"$out"

# all nodes: the kernel hears itself and ustack; ustack answers from its
# link-local address, which then answers a ping with the %interface scope
out=$(in_ns ping -6 -n -c 2 -i 0.3 -W 1 ff02::1%ustk0 2>&1)
kll=$(in_ns ip -6 addr show dev ustk0 scope link | awk '/inet6/{sub("/.*","",$2); print $2}')
ull=$(grep -o 'from fe80::[0-9a-f:]*' <<<"$out" | awk '{print $2}' | grep -vx "$kll" | head -n1)
check "ping ff02::1: ustack answers from a link-local address ($ull)" test -n "$ull"
out=$(in_ns ping -6 -n -c 3 -i 0.2 -W 2 "$ull%ustk0")
check "ping -6 to ustack's link-local address with %ustk0" \
	grep -q '3 packets transmitted, 3 received' <<<"$out"
check "the link-local identifier is not the MAC (RFC 7217)" \
	bash -c "! grep -qi 'ff:fe' <<<'$ull'"

# SLAAC and RDNSS from radvd on the kernel side
cat >"$TMP/radvd.conf" <<EOF
interface ustk0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 4;
	AdvDefaultLifetime 600;
	prefix 2001:db8:2::/64 { AdvOnLink on; AdvAutonomous on;
		AdvValidLifetime 3600; AdvPreferredLifetime 1800; };
	RDNSS 2001:db8:2::53 { AdvRDNSSLifetime 600; };
	DNSSL lab.example { AdvDNSSLLifetime 600; };
};
EOF
in_ns sysctl -qw net.ipv6.conf.all.forwarding=1
in_ns timeout 60 radvd -n -C "$TMP/radvd.conf" -p "$TMP/radvd.pid" -m stderr \
	2>"$TMP/radvd.log" &
PIDS+=($!)
slaac_ok() { C stats --json | python3 -c 'import json,sys; c=json.load(sys.stdin)["counters"]; sys.exit(0 if c["addr6"]["dad_ok"] >= 3 and c["addr6"]["slaac"] >= 1 else 1)'; }
check "radvd's prefix gives ustack a SLAAC address that passes DAD" wait_for 20 slaac_ok
dns_ok() { C dns | grep -q 2001:db8:2::53; }
check "ustackctl dns: radvd's RDNSS server ($(C dns | awk '$2 == "server" {print $3}'))" \
	wait_for 10 dns_ok
out=$(C dns --json)
check "ustackctl dns --json: the server and the search domain, with lifetimes" python3 -c '
import json, sys
i = json.loads(sys.argv[1])["interfaces"][0]
assert i["name"] == "ustk0", i
assert [s["server"] for s in i["servers"]] == ["2001:db8:2::53"], i
assert [d["domain"] for d in i["search"]] == ["lab.example"], i
assert 0 < i["servers"][0]["lifetime_s"] <= 600, i' "$out"
out=$(C stats --json)
check "router advertisements counted" python3 -c '
import json,sys
c = json.loads(sys.argv[1])["counters"]
assert c["nd"]["rx_ra"] >= 1, c["nd"]' "$out"

# multicast DNS over IPv6: the kernel's one-shot query to ff02::fb on the
# link gets ustack's AAAA records (its link-local one among them)
py_mdns6=$(cat <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
idx = socket.if_nametoindex("ustk0")
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
q = struct.pack("!6H", 0x5151, 0, 1, 0, 0, 0) + b"\x08ustk-six\x05local\x00" + struct.pack("!2H", 28, 1)
s.sendto(q, ("ff02::fb", 5353, 0, idx))
s.settimeout(3)
m, src = s.recvfrom(1500)
an, o = struct.unpack("!H", m[6:8])[0], len(q)
for _ in range(an):
    o += 2 if m[o] & 0xc0 == 0xc0 else 0
    t, c, ttl, n = struct.unpack("!HHIH", m[o:o + 10])
    if t == 28:
        print(socket.inet_ntop(socket.AF_INET6, m[o + 10:o + 26]))
    o += 10 + n
PY
)
out=$(in_ns timeout 10 python3 -c "$py_mdns6" 2>&1 | sort | tr '\n' ' ')
check "mDNS over IPv6: ustk-six.local AAAA, answered to the kernel's one-shot query ($out)" \
	bash -c "grep -qw '$US6' <<<'$out' && grep -q 'fe80::' <<<'$out'"

stop_ustackd "$DPID"
check "ustackd exits cleanly" test $? -eq 0
bad=$(tshark -r "$CAP" -Y '_ws.malformed || _ws.expert.severity == "Error"' 2>/dev/null | wc -l)
check "capture: no malformed frame ($bad)" test "$bad" -eq 0
kinds=$(tshark -r "$CAP" -T fields -e icmpv6.type 2>/dev/null | sort -u | tr '\n' ' ')
check "capture holds NS, NA, RS, RA, MLDv2 and echo ($kinds)" \
	bash -c "for t in 128 129 133 134 135 136 143; do grep -qw \$t <<<'$kinds' || exit 1; done"
summary
