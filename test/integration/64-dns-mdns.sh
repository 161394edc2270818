#!/usr/bin/env bash
# Names for programs under ustack-run from the link ustack is on, not from
# the host: ustackd --dhcp takes its address and DNS server from a
# kernel-side dnsmasq, while the namespace's resolv.conf names a server
# that does not exist (198.51.100.53). ustack's DNS stub answers what
# programs send there with dnsmasq's answers: getent, python, curl and
# nginx's resolver find a name only dnsmasq knows. Then multicast DNS:
# ustackd probes for and announces NAME.local, answers the kernel's
# one-shot query (dig, unicast, from an ephemeral port) and a query from
# port 5353 (a multicast response); a program under ustack-run resolves
# a kernel-side responder's OTHER.local through the stub, and a name
# nobody answers fails within a second.
source "$(dirname "$0")/lib.sh"
need_root "64-dns-mdns"
for p in dnsmasq dig nginx curl tshark; do
	PATH=$PATH:/usr/sbin command -v "$p" >/dev/null ||
		{ fail "$p is installed (make deps)"; summary; exit 1; }
done

B=$PWD/$BUILD
CTL=$B/ustackctl
NS=ustk-dns-$$
ip netns add "$NS" || { fail "create namespace"; summary; exit 1; }
NETNS+=("$NS")
# ip netns exec mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf,
# for ustackd and the programs alike
mkdir -p "/etc/netns/$NS"
NOWHERE=198.51.100.53
echo "nameserver $NOWHERE" >"/etc/netns/$NS/resolv.conf"
trap 'cleanup; rm -rf "/etc/netns/$NS"' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
in_ns ip link set lo up
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1

SOCK=$TMP/ctl.sock
LOG=$TMP/ustackd.log
CAP=$TMP/cap.pcap
KERNEL=192.0.2.1
HOST=ustk-mdns
ur() { in_ns timeout 30 "$B/ustack-run" --socket "$SOCK" "$@"; }
counter() {   # counter GROUP NAME
	"$CTL" --socket "$SOCK" stats --json | python3 -c \
		"import json,sys; print(json.load(sys.stdin)['counters'].get('$1', {}).get('$2', 0))"
}
# ms CMD...: run CMD, print its wall time in milliseconds on stderr's fd 3
ms() { local t0 rc; t0=$(date +%s%N); "$@"; rc=$?; echo $((($(date +%s%N) - t0) / 1000000)) >&3; return $rc; }

in_ns ip tuntap add dev ustk0 mode tap
in_ns ip addr add $KERNEL/24 dev ustk0
in_ns ip link set ustk0 up
cat >"$TMP/dnsmasq.conf" <<EOF
interface=ustk0
bind-interfaces
no-resolv
no-hosts
address=/only-dnsmasq.test/192.0.2.77
address=/web.ustack.test/$KERNEL
dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,120
dhcp-option=option:router,$KERNEL
dhcp-option=option:dns-server,$KERNEL
dhcp-authoritative
dhcp-leasefile=$TMP/dnsmasq.leases
log-queries
log-facility=$TMP/dnsmasq.log
pid-file=$TMP/dnsmasq.pid
user=root
group=root
EOF
in_ns timeout 300 dnsmasq --no-daemon --conf-file="$TMP/dnsmasq.conf" 2>"$TMP/dnsmasq.err" &
PIDS+=($!)
wait_for 5 grep -q "DHCP, IP range" "$TMP/dnsmasq.log" || { fail "dnsmasq starts"; summary; exit 1; }
mkdir -p "$TMP/www"
echo "found by name" >"$TMP/www/index.html"
(cd "$TMP/www" && exec ip netns exec "$NS" timeout 300 python3 -m http.server 8000 --bind $KERNEL) >/dev/null 2>&1 &
PIDS+=($!)

ip netns exec "$NS" "$USTACKD" --foreground --socket "$SOCK" --tap ustk0 --dhcp --dhcp-timeout 20 \
	--hostname $HOST --capture "$CAP" 2>"$LOG" &
DPID=$!
PIDS+=("$DPID")
wait_for 25 test -S "$SOCK" || { fail "ustackd --dhcp becomes ready"; cat "$LOG"; summary; exit 1; }
US=$("$CTL" --socket "$SOCK" addr --json | python3 -c \
	"import json,sys; print(json.load(sys.stdin)['dhcp']['addr'])")
ok "ustackd holds a lease ($US), DNS server $KERNEL"
check "the log names the nameserver the stub answers for" \
	grep -q "dns: the stub answers programs' queries to $NOWHERE" "$LOG"
out=$("$CTL" --socket "$SOCK" dns)
echo "$out" | sed 's/^/    /'
check "ustackctl dns: the DHCP server, and the nameserver the stub answers for" \
	bash -c "grep -Eq 'server +$KERNEL ' <<<'$out' && grep -Eq 'stub +$NOWHERE +resolv.conf' <<<'$out'"
out=$("$CTL" --socket "$SOCK" dns --json)
check "ustackctl dns --json: stub_answers_for ($out)" python3 -c '
import json, sys
i = json.loads(sys.argv[1])["interfaces"][0]
assert i["stub_answers_for"] == [sys.argv[2]], i
assert [s["server"] for s in i["servers"]] == [sys.argv[3]], i' "$out" $NOWHERE $KERNEL
check "the kernel's side knows no route to $NOWHERE (the server does not exist)" \
	bash -c "! ip netns exec $NS ip route get $NOWHERE >/dev/null 2>&1"

# ---- unicast DNS through the stub ---------------------------------------
out=$(ur getent hosts only-dnsmasq.test)
check "getent hosts: a name only dnsmasq knows ($out)" \
	grep -q "^192.0.2.77 *only-dnsmasq.test" <<<"$out"
asked=$(grep -a "query\[A\] only-dnsmasq.test from" "$TMP/dnsmasq.log" | tail -n1)
check "dnsmasq was asked by ustack's address ($asked)" test "${asked##* from }" = "$US"
out=$(ur getent hosts no-such-name.test; echo "exit $?")
check "an unknown name: getent exits 2 ($(echo $out))" grep -q 'exit 2' <<<"$out"
out=$(ur python3 -c 'import socket; print(socket.gethostbyname("only-dnsmasq.test"))' 2>&1)
check "python3 gethostbyname ($out)" test "$out" = 192.0.2.77
out=$(ur python3 -c '
import socket
print(sorted({a[4][0] for a in socket.getaddrinfo("web.ustack.test", 80, socket.AF_INET)}))' 2>&1)
check "python3 getaddrinfo ($out)" test "$out" = "['$KERNEL']"
out=$(ur curl -s -m 10 http://web.ustack.test:8000/ 2>&1)
check "curl by name ($out)" test "$out" = "found by name"
# dig asks resolv.conf's server itself: it gets the answer from there
out=$(ur dig +short +tries=1 +time=3 only-dnsmasq.test 2>&1)
check "dig (its own resolver, UDP) through the stub ($out)" test "$out" = 192.0.2.77
# bind9's own resolver library (host, nslookup) goes the same way
out=$(ur host only-dnsmasq.test 2>&1 | head -n1)
check "host (bind9's resolver) through the stub ($out)" grep -q "only-dnsmasq.test has address 192.0.2.77" <<<"$out"
out=$(ur nslookup only-dnsmasq.test 2>&1 | grep -A1 "^Name:" | tr '\n' ' ')
check "nslookup through the stub ($out)" grep -q "Address: 192.0.2.77" <<<"$out"
# over TCP (a truncated answer's retry): the connect goes to the link's server
out=$(ur dig +tcp +short +tries=1 +time=3 only-dnsmasq.test 2>&1)
check "dig +tcp: the connect to $NOWHERE goes to dnsmasq ($out, redirected $(counter dns tcp_redirected))" \
	test "$out" = 192.0.2.77 -a "$(counter dns tcp_redirected)" = 1

# nginx's resolver names the server in its configuration: resolv.conf's,
# so the stub answers it too; the name is resolved at each request. Its
# worker runs as nobody, which must reach the control socket.
chmod a+rx "$TMP"
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx;
	proxy_temp_path $TMP/nginx;
	fastcgi_temp_path $TMP/nginx;
	uwsgi_temp_path $TMP/nginx;
	scgi_temp_path $TMP/nginx;
	resolver $NOWHERE valid=1s ipv6=off;
	server {
		listen 8080;
		location / {
			set \$backend web.ustack.test;
			proxy_pass http://\$backend:8000;
		}
	}
}
EOF
in_ns timeout 120 "$B/ustack-run" --socket "$SOCK" /usr/sbin/nginx -c "$TMP/nginx/nginx.conf" \
	>"$TMP/nginx/out.log" 2>&1 &
NGX=$!
PIDS+=("$NGX")
listening() { "$CTL" --socket "$SOCK" netstat -n --state listen | grep -q ":8080 "; }
wait_for 10 listening || fail "nginx listens on ustack"
out=$(in_ns curl -s -m 10 "http://$US:8080/" 2>&1)
check "nginx's resolver: the kernel's curl through nginx on ustack to web.ustack.test ($out)" \
	test "$out" = "found by name"
[ "$out" = "found by name" ] || tail -n 5 "$TMP/nginx/error.log" "$TMP/nginx/out.log"
kill -TERM "$NGX" 2>/dev/null; wait "$NGX" 2>/dev/null

q=$(counter dns queries); a=$(counter dns answered)
check "ustackctl stats: the stub's queries and answers ($q queries, $a answered)" \
	test "$q" -ge 8 -a "$a" -ge 8
out=$("$CTL" --socket "$SOCK" stats | grep -A4 '^dns:')
echo "$out" | sed 's/^/    /'

# ---- multicast DNS: ustack answers for NAME.local -----------------------
wait_for 5 grep -q "mdns: $HOST.local is ours" "$LOG"
check "the log: $HOST.local probed and ours" grep -q "mdns: $HOST.local is ours" "$LOG"
out=$(in_ns dig +short +tries=1 +time=2 -p 5353 @"$US" $HOST.local 2>&1)
check "the kernel's dig, a one-shot query to port 5353: our address ($out)" test "$out" = "$US"
hdr=$(in_ns dig +tries=1 +time=2 -p 5353 @"$US" $HOST.local 2>&1 | grep -E 'flags: qr aa; QUERY: 1, ANSWER: 1' | head -n1)
check "...with the question repeated and one answer ($hdr)" test -n "$hdr"
out=$(in_ns dig +short +tries=1 +time=2 -p 5353 @"$US" $HOST.LOCAL AAAA 2>&1)
check "AAAA (any case): our link-local address, valid on the link mDNS stays on ($(echo $out))" \
	grep -q '^fe80::' <<<"$out"

# a query from port 5353 to the group: the answer is multicast to the group
py_mq=$(cat <<'PY'
import socket, struct, sys, time
ifaddr, name = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 5353))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("224.0.0.251") + socket.inet_aton(ifaddr))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(ifaddr))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
q = struct.pack("!6H", 0, 0, 1, 0, 0, 0)
for l in name.split("."):
    q += bytes([len(l)]) + l.encode()
q += b"\0" + struct.pack("!2H", 1, 1)
s.sendto(q, ("224.0.0.251", 5353))
s.settimeout(0.2)
end = time.time() + 3
while time.time() < end:
    try:
        m, src = s.recvfrom(1500)
    except socket.timeout:
        continue
    if len(m) < 12 or not m[2] & 0x80:
        continue
    # our own query is not looped; an answer: ancount, then the A record
    an = struct.unpack("!H", m[6:8])[0]
    if an and m[-6:-4] == b"\0\x04":
        # the record: type, class (its top bit: cache-flush), TTL, length
        print(src[0], src[1], socket.inet_ntoa(m[-4:]), "qd", m[5], "flush",
              m[-12] >> 7)
        break
PY
)
out=$(in_ns timeout 10 python3 -c "$py_mq" $KERNEL $HOST.local 2>&1)
check "a query from port 5353: a multicast response from $US, no question, cache-flush set ($out)" \
	test "$out" = "$US 5353 $US qd 0 flush 1"

# a responder on the kernel's side, for ustack's programs to find
py_resp=$(cat <<'PY'
import socket, struct, sys
ifaddr, name = sys.argv[1], sys.argv[2].lower()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 5353))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton("224.0.0.251") + socket.inet_aton(ifaddr))
while True:
    m, src = s.recvfrom(1500)
    if len(m) < 12 or m[2] & 0x80 or struct.unpack("!H", m[4:6])[0] != 1:
        continue
    o, labels = 12, []
    while m[o]:
        labels.append(m[o + 1:o + 1 + m[o]].decode().lower()); o += 1 + m[o]
    qtype, qclass = struct.unpack("!2H", m[o + 1:o + 5])
    qend = o + 5
    if ".".join(labels) != name or qtype != 1 or src[1] == 5353:
        continue
    # RFC 6762 6.7: a one-shot query gets its id and question back
    r = m[:2] + struct.pack("!5H", 0x8400, 1, 1, 0, 0) + m[12:qend]
    r += struct.pack("!HHHIH", 0xc00c, 1, 1, 10, 4) + socket.inet_aton(ifaddr)
    s.sendto(r, src)
    print("answered", src[0], flush=True)
PY
)
in_ns timeout 120 python3 -c "$py_resp" $KERNEL kpeer.local >"$TMP/resp.log" 2>&1 &
PIDS+=($!)
sleep 0.5
out=$( { ms ur getent hosts kpeer.local; } 3>"$TMP/t1" 2>&1)
t=$(cat "$TMP/t1")
check "getent hosts kpeer.local: the kernel's responder's address ($out, $t ms)" \
	grep -q "^$KERNEL *kpeer.local" <<<"$out"
check "...in under a second, though nobody answers its AAAA ($t ms)" test "$t" -lt 1000
check "the responder was asked by ustack ($(tail -n1 "$TMP/resp.log"))" \
	grep -q "answered $US" "$TMP/resp.log"
out=$( { ms ur getent hosts nobody-here.local; echo "exit $?"; } 3>"$TMP/t2" 2>&1)
t=$(cat "$TMP/t2")
check "a .local name nobody answers: getent exits 2 ($(echo $out), $t ms)" \
	grep -q "exit 2" <<<"$out"
check "...within a second and a half (AAAA and A, 400 ms each: $t ms)" test "$t" -lt 1500
out=$(ur getent hosts $HOST.local)
check "our own name through the stub: our address ($out)" grep -q "^$US *$HOST.local" <<<"$out"
out=$(ur python3 -c 'import socket; print(socket.gethostbyname("kpeer.local"))' 2>&1)
check "python3 gethostbyname kpeer.local ($out)" test "$out" = $KERNEL

m=$(counter mdns tx_answer); r=$(counter dns mdns_answered); l=$(counter dns local)
check "counters: answers sent ($m), answers from responders ($r), our own name ($l)" \
	test "$m" -ge 3 -a "$r" -ge 2 -a "$l" -ge 1
check "nothing malformed (mdns rx_malformed $(counter mdns rx_malformed), dns malformed $(counter dns malformed))" \
	test "$(counter mdns rx_malformed)" = 0 -a "$(counter dns malformed)" = 0

kill -TERM "$DPID"; wait "$DPID"
rc=$?
check "ustackd exits 0 on SIGTERM ($rc)" test $rc -eq 0
[ $rc = 0 ] || tail -n 5 "$LOG"
# the probes went before the lease, over IPv6 (the kernel side has it off)
probes=$(tshark -r "$CAP" -Y "mdns && dns.flags.response == 0 && dns.count.auth_rr > 0" 2>/dev/null | wc -l)
ann=$(tshark -r "$CAP" -Y "mdns && ip.src == $US && ip.dst == 224.0.0.251 && dns.flags.response == 1" 2>/dev/null | wc -l)
check "capture: 3 probes with our records as proposals ($probes)" test "$probes" -eq 3
check "capture: 2 announcements over IPv4 once leased, then the multicast answer ($ann)" test "$ann" -eq 3
bad=$(tshark -r "$CAP" -Y "_ws.malformed || _ws.expert.severity == error" 2>/dev/null | wc -l)
check "capture: no malformed frame ($bad)" test "$bad" -eq 0
summary
