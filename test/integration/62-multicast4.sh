#!/usr/bin/env bash
# IPv4 multicast over ustack against the kernel (issue 12): a python3
# receiver under ustack-run joins a group and gets the kernel's datagrams;
# the capture on the kernel's side shows the IGMPv3 report (Router Alert,
# TTL 1, to 224.0.0.22) and the leave; two sockets on one group and port
# each get a copy; a ustack sender reaches a kernel receiver that joined,
# with TTL 1 by default; IP_MULTICAST_LOOP on and off; a kernel IGMPv2
# query is answered; ustackctl maddr lists the groups and who joined them;
# the options' defaults and errors are the kernel's (same program, both
# stacks); broadcast needs SO_BROADCAST (EACCES). Everything runs in a
# namespace this script makes and deletes.
source "$(dirname "$0")/lib.sh"
need_root "62-multicast4"

B=$PWD/$BUILD
RUN=$B/ustack-run
CTL=$B/ustackctl
US=192.0.2.2
KERNEL=192.0.2.1
G1=239.1.2.3
G2=239.1.2.4
G3=239.1.2.5

NS=ustk-mc4-$$
ip netns add "$NS" || { fail "create namespace"; summary; exit 1; }
NETNS+=("$NS")
ip -n "$NS" link set lo up
in_ns() { ip netns exec "$NS" "$@"; }
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
SOCK=$TMP/ctl.sock
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	--gateway $KERNEL || { fail "ustackd starts"; summary; exit 1; }
ip -n "$NS" addr add $KERNEL/24 dev ustk0
ip -n "$NS" link set ustk0 up
# the kernel's groups go out on the TAP, its broadcasts too
ip -n "$NS" route add 224.0.0.0/4 dev ustk0
ip -n "$NS" route add default via $US
ur() { in_ns timeout 20 "$RUN" --socket "$SOCK" "$@"; }
ctl() { "$CTL" --socket "$SOCK" "$@"; }

CAP=${KEEP_CAP:-$TMP/igmp.pcap}
in_ns timeout 120 tcpdump -i ustk0 -U -n -w "$CAP" igmp 2>/dev/null &
PIDS+=($!)
wait_for 5 test -s "$CAP"

# ---- a receiver on ustack, the kernel sends ----
py_recv=$(cat <<'PY'
import socket, struct, sys, time
group, port, out, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", port))
# an ip_mreqn, INADDR_ANY and no index: ustack's interface
mreq = struct.pack("4s4si", socket.inet_aton(group), socket.inet_aton("0.0.0.0"), 0)
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
open(out, "w").write("joined\n")
s.settimeout(10)
got = []
while len(got) < n:
    d, a = s.recvfrom(2000)
    got.append(d.decode())
    open(out, "a").write(d.decode() + " from " + a[0] + "\n")
time.sleep(float(sys.argv[5]) if len(sys.argv) > 5 else 0)
s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("0.0.0.0")))
print(len(got))
PY
)
py_send=$(cat <<'PY'
import socket, sys, time
group, port, n, ifaddr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
if ifaddr != "-":
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
for i in range(n):
    s.sendto(("msg%d" % i).encode(), (group, port))
    time.sleep(0.05)
PY
)
ur python3 -c "$py_recv" $G1 5007 "$TMP/r1" 3 1 >"$TMP/r1.out" 2>&1 &
R1=$!
PIDS+=($R1)
ur python3 -c "$py_recv" $G1 5007 "$TMP/r2" 3 1 >"$TMP/r2.out" 2>&1 &
R2=$!
PIDS+=($R2)
wait_for 10 grep -q joined "$TMP/r1"
wait_for 10 grep -q joined "$TMP/r2"
out=$(ctl maddr)
n=$(grep "$G1" <<<"$out" | grep -c python3)
check "ustackctl maddr lists $G1 with two sockets of python3 ($(echo $out))" \
	test "$n" -eq 2
check "ustackctl maddr: the link's $G1 has 2 users, IGMPv3" \
	grep -Eq "$G1 +ustk0 +EXCLUDE \{\} +2 +the link \(IGMPv3\)" <<<"$out"
jout=$(ctl maddr --json)
check "ustackctl maddr --json ($jout)" grep -q "\"group\": *\"$G1\"" <<<"$jout"
in_ns timeout 10 python3 -c "$py_send" $G1 5007 3 $KERNEL
wait "$R1"; rc1=$?
wait "$R2"; rc2=$?
check "ustack receiver 1 got the kernel's 3 datagrams ($(cat "$TMP/r1.out"))" \
	test $rc1 -eq 0 -a "$(cat "$TMP/r1.out")" = 3
check "ustack receiver 2 (same group and port) got its own copies" \
	test $rc2 -eq 0 -a "$(cat "$TMP/r2.out")" = 3
check "the datagrams came from the kernel's address" grep -q "msg2 from $KERNEL" "$TMP/r1"
no_g1() { ! ctl maddr | grep -q "$G1"; }
wait_for 5 no_g1
check "ustackctl maddr: $G1 gone once both left" no_g1

# the capture: our report to 224.0.0.22 with a Router Alert and TTL 1,
# then the leave (CHANGE_TO_INCLUDE {})
sleep 1.5
dump=$(tcpdump -r "$CAP" -n -v 2>/dev/null)
rep=$(grep -A1 "$US > 224.0.0.22" <<<"$dump")
check "capture: IGMPv3 report from $US to 224.0.0.22" grep -q "igmp v3 report" <<<"$rep"
check "capture: the report joins $G1 (to_ex {})" \
	grep -q "gaddr $G1 to_ex, 0 source(s)" <<<"$dump"
hdr=$(grep -B1 "$US > 224.0.0.22.*gaddr $G1 to_ex" <<<"$dump" | head -n1)
check "capture: the report has TOS 0xc0, TTL 1 and a Router Alert ($hdr)" \
	grep -q "tos 0xc0, ttl 1,.*options (RA)" <<<"$hdr"
check "capture: the leave (to_in {}) for $G1" \
	grep -q "$US > 224.0.0.22: igmp v3 report, 1 group record(s) \[gaddr $G1 to_in, 0 source(s)\]" <<<"$dump"
n=$(grep -c "$US > 224.0.0.22.*gaddr $G1 to_ex" <<<"$dump")
check "capture: the join reported twice (robustness 2): $n" test "$n" -eq 2

# ---- a sender on ustack, the kernel receives ----
py_krecv=$(cat <<'PY'
import socket, struct, sys
group, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", port))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(sys.argv[4])))
s.setsockopt(socket.IPPROTO_IP, 12, 1)    # IP_RECVTTL
open(out, "w").write("joined\n")
s.settimeout(10)
d, anc, flags, a = s.recvmsg(2000, 64)
ttl = [struct.unpack("i", x[2])[0] for x in anc if x[1] == 2]   # IP_TTL
print(d.decode(), a[0], "ttl", ttl[0] if ttl else "?")
PY
)
in_ns timeout 20 python3 -c "$py_krecv" $G2 5008 "$TMP/k1" $KERNEL >"$TMP/k1.out" 2>&1 &
K1=$!
PIDS+=($K1)
wait_for 10 grep -q joined "$TMP/k1"
ur python3 -c "$py_send" $G2 5008 3 -
wait "$K1"
check "kernel receiver got ustack's datagram with TTL 1 ($(cat "$TMP/k1.out"))" \
	grep -q "msg0 $US ttl 1" "$TMP/k1.out"

# ---- IP_MULTICAST_LOOP: our own members get a copy, or not ----
py_loop=$(cat <<'PY'
import socket, struct, sys
group = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("", 5009))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("0.0.0.0")))
s.settimeout(1)
res = []
for loop in (1, 0):
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, loop)
    s.sendto(b"ping%d" % loop, (group, 5009))
    try:
        d, a = s.recvfrom(100)
        res.append("loop%d:got %s" % (loop, d.decode()))
    except socket.timeout:
        res.append("loop%d:none" % loop)
print(" ".join(res))
PY
)
out=$(ur python3 -c "$py_loop" $G3 2>&1)
check "IP_MULTICAST_LOOP 1 loops back, 0 does not ($out)" \
	test "$out" = "loop1:got ping1 loop0:none"
kout=$(in_ns timeout 10 python3 -c "$py_loop" $G3 2>&1)
check "... as the kernel does ($kout)" test "$out" = "$kout"

# ---- the options' defaults and errors, both stacks ----
py_opts=$(cat <<'PY'
import errno, socket, struct
IP_MULTICAST_ALL, IP_ADD_SOURCE_MEMBERSHIP, IP_DROP_SOURCE_MEMBERSHIP = 49, 39, 40
MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP = 42, 45
res = []
def t(name, f):
    try:
        r = f()
        res.append("%s=%s" % (name, "ok" if r is None else r))
    except OSError as e:
        res.append("%s=%s" % (name, errno.errorcode[e.errno]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
g = socket.inet_aton("239.7.7.7")
any4 = socket.inet_aton("0.0.0.0")
for o in ("IP_MULTICAST_TTL", "IP_MULTICAST_LOOP"):
    t(o, lambda: s.getsockopt(socket.IPPROTO_IP, getattr(socket, o)))
t("ALL", lambda: s.getsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL))
t("IF", lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4))
t("ttl_byte", lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1))
t("ttl256", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 256))
t("ttl-1", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, -1))
t("loop5", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 5))
t("loop5get", lambda: s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP))
t("all2", lambda: s.setsockopt(socket.IPPROTO_IP, IP_MULTICAST_ALL, 2))
t("join", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, g + any4))
t("join_again", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, g + any4))
t("join_unicast", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                                        socket.inet_aton("10.1.1.1") + any4))
t("join_short", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, g))
t("join_nodev", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                                      g + socket.inet_aton("10.9.9.9")))
t("drop", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, g + any4))
t("drop_again", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, g + any4))
src = socket.inet_aton("192.0.2.77")
t("src_drop_nojoin", lambda: s.setsockopt(socket.IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, g + any4 + src))
t("src_add", lambda: s.setsockopt(socket.IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, g + any4 + src))
t("src_add_again", lambda: s.setsockopt(socket.IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, g + any4 + src))
t("src_short", lambda: s.setsockopt(socket.IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, g + any4))
t("join_on_ssm", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, g + any4))
t("src_drop", lambda: s.setsockopt(socket.IPPROTO_IP, IP_DROP_SOURCE_MEMBERSHIP, g + any4 + src))
t("drop_after_src", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, g + any4))
gr = struct.pack("I", 0) + b"\0" * 4 + struct.pack("HH4s", socket.AF_INET, 0, g) + b"\0" * 120
t("mcast_join", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_JOIN_GROUP, gr))
t("mcast_join_again", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_JOIN_GROUP, gr))
t("mcast_leave", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_LEAVE_GROUP, gr))
t("mcast_short", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_JOIN_GROUP, gr[:100]))
MCAST_JOIN_SOURCE_GROUP, MCAST_LEAVE_SOURCE_GROUP = 46, 47
sin = lambda a: struct.pack("HH4s", socket.AF_INET, 0, a) + b"\0" * 120
gsr = struct.pack("I", 0) + b"\0" * 4 + sin(g) + sin(socket.inet_aton("192.0.2.88"))
t("ssm_join", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP, gsr))
t("ssm_join_again", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP, gsr))
t("ssm_short", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_JOIN_SOURCE_GROUP, gsr[:260]))
t("ssm_leave", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_LEAVE_SOURCE_GROUP, gsr))
t("ssm_leave_again", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_LEAVE_SOURCE_GROUP, gsr))
gr6 = struct.pack("I", 0) + b"\0" * 4 + struct.pack("HH", socket.AF_INET6, 0) + b"\0" * 124
t("mcast_inet6", lambda: s.setsockopt(socket.IPPROTO_IP, MCAST_JOIN_GROUP, gr6))
t("if_addr", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(MYADDR)))
t("if_get", lambda: socket.inet_ntoa(s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4)))
t("if_bad", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.9.9.9")))
t("if_short", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, b"\0\0"))
t("if_any", lambda: s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, any4))
t("if_get_any", lambda: socket.inet_ntoa(s.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4)))
t("bcast_noflag", lambda: s.sendto(b"x", ("192.0.2.255", 5010)) and None)
t("limited_noflag", lambda: s.sendto(b"x", ("255.255.255.255", 5010)) and None)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
t("bcast_flag", lambda: s.sendto(b"x", ("192.0.2.255", 5010)) and None)
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t("tcp_join", lambda: tcp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, g + any4))
t("tcp_if", lambda: tcp.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, any4))
print(" ".join(res))
PY
)
uout=$(ur python3 -c "MYADDR='$US'
$py_opts" 2>&1)
kout=$(in_ns timeout 10 python3 -c "MYADDR='$KERNEL'
$py_opts" 2>&1)
check "multicast options: defaults as Linux (TTL 1, loop 1, all 1) ($uout)" \
	grep -q "IP_MULTICAST_TTL=1 IP_MULTICAST_LOOP=1 ALL=1" <<<"$uout"
check "broadcast without SO_BROADCAST is EACCES" \
	grep -q "bcast_noflag=EACCES limited_noflag=EACCES bcast_flag=ok" <<<"$uout"
kout=${kout//$KERNEL/$US}       # IP_MULTICAST_IF set to each one's own
if [ "$uout" = "$kout" ]; then
	ok "multicast options: every result as the kernel's"
else
	fail "multicast options differ: ustack [$uout] kernel [$kout]"
	diff <(tr ' ' '\n' <<<"$uout") <(tr ' ' '\n' <<<"$kout")
fi

# ---- a kernel IGMPv2 query: answered with a v2 report ----
py_hold=$(cat <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton(sys.argv[1]), socket.inet_aton("0.0.0.0")))
open(sys.argv[2], "w").write("joined\n")
time.sleep(float(sys.argv[3]))
PY
)
ur python3 -c "$py_hold" $G3 "$TMP/h1" 15 &
H1=$!
PIDS+=($H1)
wait_for 10 grep -q joined "$TMP/h1"
sleep 1.2
# an IGMPv2 general query (Max Resp Time 1 s) from the kernel's side,
# written on a packet socket: 224.0.0.1, TTL 1, Router Alert
py_query=$(cat <<'PY'
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
igmp = struct.pack("!BBH4s", 0x11, 10, 0, b"\0" * 4)
igmp = igmp[:2] + struct.pack("!H", csum(igmp)) + igmp[4:]
src = socket.inet_aton(sys.argv[2])
ip = struct.pack("!BBHHHBBH4s4s", 0x46, 0xc0, 24 + len(igmp), 1, 0, 1, 2, 0,
                 src, socket.inet_aton("224.0.0.1")) + b"\x94\x04\0\0"
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
mac = open("/sys/class/net/%s/address" % sys.argv[1]).read().strip()
eth = bytes.fromhex("01005e000001") + bytes.fromhex(mac.replace(":", "")) + b"\x08\x00"
s.send(eth + ip + igmp)
PY
)
in_ns python3 -c "$py_query" ustk0 $KERNEL
v2_seen() { tcpdump -r "$CAP" -n 2>/dev/null | grep -q "$US > $G3: igmp v2 report $G3"; }
wait_for 5 v2_seen
check "an IGMPv2 query is answered with a v2 report for $G3" v2_seen
out=$(ctl stats --json | python3 -c 'import json, sys
c = json.load(sys.stdin)["counters"]["igmp"]
print(c.get("rx_query", 0), min(c.get("tx_v12", 0), 1), c.get("rx_bad", 0))')
check "ustackctl stats: the query, a v2 report, nothing malformed ($out)" \
	test "$out" = "1 1 0"
kill "$H1" 2>/dev/null
wait "$H1" 2>/dev/null

check "ustackd still runs" kill -0 "$DPID"
stop_ustackd "$DPID"
check "ustackd exits 0 on SIGTERM" test $? -eq 0
summary
