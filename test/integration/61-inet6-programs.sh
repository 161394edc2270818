#!/usr/bin/env bash
# Stock programs over AF_INET6 sockets through ustack-run, the Linux kernel
# on the other side of the TAP, both with IPv4 and IPv6 addresses:
#   python3 http.server --bind :: on ustack, curl from the kernel over IPv6
#         and over IPv4 (the server sees ::ffff:a.b.c.d), 30 MB intact;
#         curl -6 on ustack from the kernel's http.server, 30 MB intact;
#   nginx "listen [::]:PORT ipv6only=off" under wrk over both families;
#   socat UDP6 in both roles; nc -6 in both roles, 1 MB intact;
#   redis-server and mosquitto with their stock binds (:: and 0.0.0.0);
#   ping -6 from the stack (iputils' ICMPv6 ping socket);
#   getaddrinfo: the RFC 6724 order comes from ustack's routes (glibc's
#         probe sockets are ustack's), AI_ADDRCONFIG from ustack's addresses;
#   ustackctl netstat's tcp6/udp6 rows and kill by IPv6 endpoints;
#   a 5 MB transfer over IPv6 with the link impaired (loss, reorder).
# Addresses: 192.0.2.0/24 and 2001:db8::/32, inside this test's namespace.
source "$(dirname "$0")/lib.sh"
need_root "61-inet6-programs"

B=$PWD/$BUILD
RUN=$B/ustack-run
US=192.0.2.2
KERNEL=192.0.2.1
US6=2001:db8:1::2
KERNEL6=2001:db8:1::1
SOCK=$TMP/ctl.sock
for p in curl python3 nginx wrk socat nc redis-server redis-cli mosquitto \
	mosquitto_pub mosquitto_sub ping sha256sum; do
	PATH=$PATH:/usr/sbin command -v "$p" >/dev/null ||
		{ fail "$p is installed (make deps)"; summary; exit 1; }
done

new_netns NS || { fail "create namespace"; summary; exit 1; }
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
# names for getaddrinfo: ip netns exec reads /etc/netns/NAME/hosts as
# /etc/hosts; it goes with the namespace
HOSTS_DIR=/etc/netns/$NS
mkdir -p "$HOSTS_DIR"
trap 'rm -rf "$HOSTS_DIR"; cleanup' EXIT
cat >"$HOSTS_DIR/hosts" <<EOF
127.0.0.1 localhost
::1 localhost
$KERNEL6 dual.test
$KERNEL dual.test
2001:db8:77::1 far.test
$KERNEL far.test
EOF

C() { "$B/ustackctl" --socket "$SOCK" "$@"; }
# us SECONDS CMD...: on ustack, bounded; kn: on the kernel side
us() { local t=$1; shift; ip netns exec "$NS" timeout -k 5 "$t" "$RUN" --socket "$SOCK" "$@"; }
kn() { local t=$1; shift; ip netns exec "$NS" timeout -k 5 "$t" "$@"; }
bg_us() {
	local log=$1 t=$2; shift 2
	ip netns exec "$NS" timeout -k 5 "$t" "$RUN" --socket "$SOCK" "$@" >"$log" 2>&1 &
	BGPID=$!
	PIDS+=("$BGPID")
}
bg_kn() {
	local log=$1 t=$2; shift 2
	ip netns exec "$NS" timeout -k 5 "$t" "$@" >"$log" 2>&1 &
	BGPID=$!
	PIDS+=("$BGPID")
}
stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
kn_listening() { ip netns exec "$NS" ss -Hltn "sport = :$1" | grep -q .; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
dad_done() {
	C stats --json | python3 -c '
import json, sys
sys.exit(json.load(sys.stdin)["counters"]["addr6"]["dad_ok"] < int(sys.argv[1]))' "$1"
}
# start ARGS...: ustackd on the TAP with both families, the kernel's
# addresses on the other side (no DAD there: ours is what is tested)
start() {
	start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
		--addr $US6/64 "$@" || return 1
	ip -n "$NS" addr replace $KERNEL/24 dev ustk0
	ip -n "$NS" addr replace $KERNEL6/64 dev ustk0 nodad
	ip -n "$NS" link set ustk0 up
	wait_for 10 dad_done 2
}
start || { fail "ustackd starts with both families"; summary; exit 1; }

head -c $((30 * 1024 * 1024)) /dev/urandom >"$TMP/big"
mkdir -p "$TMP/www" "$TMP/kwww"
cp "$TMP/big" "$TMP/www/big"
cp "$TMP/big" "$TMP/kwww/big"
big=$(sum "$TMP/big")

# --- python3 http.server --bind :: on ustack ---------------------------
bg_us "$TMP/http.log" 120 python3 -u -m http.server --bind :: --directory "$TMP/www" 8081
http=$BGPID
wait_for 10 ustack_bound "$SOCK" 8081 || fail "http.server --bind :: under ustack-run starts"
out=$(C netstat -n --port 8081)
check "netstat: a tcp6 listener on [::]:8081 ($(grep -m1 LISTEN <<<"$out" | awk '{print $1, $4}'))" \
	grep -qE '^tcp6 .*\[::\]:8081 .*LISTEN' <<<"$out"
kn 60 curl -6 -gsS -o "$TMP/got6" "http://[$US6]:8081/big"
check "curl -6 from the kernel: 30 MB intact from http.server on ustack" \
	test "$(sum "$TMP/got6")" = "$big"
kn 60 curl -4 -sS -o "$TMP/got4" "http://$US:8081/big"
check "curl -4 from the kernel to the same :: server: 30 MB intact" \
	test "$(sum "$TMP/got4")" = "$big"
check "http.server logged the IPv6 client ($KERNEL6)" grep -q "^$KERNEL6 " "$TMP/http.log"
check "http.server logged the IPv4 client v4-mapped (::ffff:$KERNEL)" \
	grep -q "^::ffff:$KERNEL " "$TMP/http.log"
stop "$http"

# --- curl -6 on ustack from the kernel's http.server --------------------
bg_kn "$TMP/khttp.log" 120 python3 -u -m http.server --bind $KERNEL6 --directory "$TMP/kwww" 8082
khttp=$BGPID
wait_for 10 kn_listening 8082 || fail "the kernel's http.server starts"
us 60 curl -6 -gsS -o "$TMP/ugot6" "http://[$KERNEL6]:8082/big"
check "curl -6 on ustack: 30 MB intact from the kernel's http.server" \
	test "$(sum "$TMP/ugot6")" = "$big"
stop "$khttp"

# --- nginx listen [::]:PORT ipv6only=off under wrk -----------------------
# its workers run as nobody: they must reach the files
chmod 711 "$TMP"
mkdir -p "$TMP/ngx/www" "$TMP/ngx/logs"
echo "hello from nginx on ustack over both families" >"$TMP/ngx/www/index.html"
cat >"$TMP/ngx/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $TMP/ngx/nginx.pid;
error_log $TMP/ngx/error.log;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $TMP/ngx;
	proxy_temp_path $TMP/ngx;
	fastcgi_temp_path $TMP/ngx;
	uwsgi_temp_path $TMP/ngx;
	scgi_temp_path $TMP/ngx;
	server {
		listen [::]:8083 ipv6only=off;
		root $TMP/ngx/www;
	}
}
CONF
bg_us "$TMP/nginx.log" 120 nginx -c "$TMP/ngx/nginx.conf" -p "$TMP/ngx"
ngx=$BGPID
wait_for 10 ustack_bound "$SOCK" 8083 || fail "nginx listen [::]:8083 ipv6only=off starts"
for target in "[$US6]" "$US"; do
	kn 30 wrk -t2 -c16 -d3s "http://$target:8083/" >"$TMP/wrk.out" 2>&1
	reqs=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
	errs=$(grep -E 'Socket errors|Non-2xx' "$TMP/wrk.out" | tr -s ' ')
	check "wrk to nginx at $target:8083: ${reqs:-0} requests in 3 s, no socket error, no non-2xx${errs:+ ($errs)}" \
		test "${reqs:-0}" -gt 0 -a -z "$errs"
done
kill -QUIT "$(cat "$TMP/ngx/nginx.pid" 2>/dev/null)" 2>/dev/null
stop "$ngx"

# --- socat UDP6, both roles ---------------------------------------------
bg_us "$TMP/socat-us.log" 30 socat -T 10 UDP6-LISTEN:9001 PIPE
sus=$BGPID
wait_for 10 ustack_bound "$SOCK" 9001 || fail "socat UDP6-LISTEN under ustack-run starts"
out=$(echo "hello over udp6" | kn 10 socat -T 3 - "UDP6:[$US6]:9001")
check "socat UDP6: the kernel's datagram echoed by socat on ustack ($out)" \
	test "$out" = "hello over udp6"
stop "$sus"
bg_kn "$TMP/socat-k.log" 30 socat -T 10 UDP6-LISTEN:9002 PIPE
sk=$BGPID
kn_udp() { ip netns exec "$NS" ss -Hlun "sport = :9002" | grep -q .; }
wait_for 10 kn_udp || fail "the kernel's socat UDP6-LISTEN starts"
out=$(echo "hello back over udp6" | us 10 socat -T 3 - "UDP6:[$KERNEL6]:9002")
check "socat UDP6 on ustack: its datagram echoed by the kernel's socat ($out)" \
	test "$out" = "hello back over udp6"
stop "$sk"

# --- nc -6, both roles ----------------------------------------------------
head -c $((1024 * 1024)) "$TMP/big" >"$TMP/mb"
bg_us "$TMP/nc-us.out" 30 nc -6 -l 9003
ncu=$BGPID
wait_for 10 ustack_bound "$SOCK" 9003 || fail "nc -6 -l under ustack-run starts"
kn 20 nc -6 -N $US6 9003 <"$TMP/mb"
wait "$ncu"
check "nc -6 from the kernel to nc -6 -l on ustack: 1 MB intact" \
	test "$(sum "$TMP/nc-us.out")" = "$(sum "$TMP/mb")"
bg_kn "$TMP/nc-k.out" 30 nc -6 -l $KERNEL6 9004
nck=$BGPID
wait_for 10 kn_listening 9004 || fail "the kernel's nc -6 -l starts"
us 20 nc -6 -N $KERNEL6 9004 <"$TMP/mb"
wait "$nck"
check "nc -6 on ustack to the kernel's nc -6 -l: 1 MB intact" \
	test "$(sum "$TMP/nc-k.out")" = "$(sum "$TMP/mb")"

# --- redis-server and mosquitto, stock binds -----------------------------
bg_us "$TMP/redis.log" 60 redis-server --port 6379 --dir "$TMP"
redis=$BGPID
wait_for 10 ustack_bound "$SOCK" 6379 || fail "redis-server starts"
rows=$(C netstat -n --port 6379 --state listen | grep -cE '^tcp6? ')
check "redis-server's stock bind (* -::*): two listeners, tcp and tcp6 ($rows)" test "$rows" -eq 2
out=$(us 10 redis-cli -h ::1 ping 2>&1)
check "redis-cli on ustack to ::1 (the stack's loopback): $out" test "$out" = PONG
out=$(kn 10 redis-cli -h $US6 ping 2>&1)
check "redis-cli from the kernel over IPv6: protected mode refuses a remote client, as on the kernel (${out:0:40})" \
	grep -q '^DENIED' <<<"$out"
stop "$redis"

printf 'listener 1883\nallow_anonymous true\n' >"$TMP/mosquitto.conf"
bg_us "$TMP/mosquitto.log" 60 mosquitto -c "$TMP/mosquitto.conf"
mosq=$BGPID
wait_for 10 ustack_bound "$SOCK" 1883 || fail "mosquitto starts"
rows=$(C netstat -n --port 1883 --state listen | grep -cE '^tcp6? ')
check "mosquitto's 'listener 1883': two listeners, tcp and tcp6 ($rows)" test "$rows" -eq 2
kn 40 mosquitto_sub -h $US6 -t inet6/t -C 1 -W 30 >"$TMP/mqtt.out" 2>&1 &
sub=$!
for ((i = 0; i < 60; i++)); do
	kn 5 mosquitto_pub -h $US6 -t inet6/t -m "hello over ipv6" 2>/dev/null
	sleep 0.3
	kill -0 $sub 2>/dev/null || break
done
wait $sub
check "mosquitto_sub and mosquitto_pub from the kernel over IPv6 ($(head -n1 "$TMP/mqtt.out"))" \
	grep -qx "hello over ipv6" "$TMP/mqtt.out"
stop "$mosq"

# --- a multicast group joined by a socket on ustack -------------------------
bg_us "$TMP/mcast.log" 30 python3 -c '
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 9006))
idx = socket.if_nametoindex("ustk0")
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
             socket.inet_pton(socket.AF_INET6, "ff02::1:6") + struct.pack("@I", idx))
print("joined", flush=True)
s.settimeout(20)
d, a = s.recvfrom(100)
print(d.decode(), a[0], a[3] == idx, flush=True)'
mc=$BGPID
joined() { grep -q joined "$TMP/mcast.log"; }
wait_for 10 joined || fail "the multicast listener joins ff02::1:6"
for ((i = 0; i < 20; i++)); do
	kn 5 python3 -c 'import socket
socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b"to the group", ("ff02::1:6%ustk0", 9006))'
	sleep 0.2
	kill -0 "$mc" 2>/dev/null || break
done
wait "$mc"
out=$(tail -n1 "$TMP/mcast.log")
check "IPV6_JOIN_GROUP ff02::1:6 on ustack: the kernel's datagram to the group arrives, from its link-local address with the link's scope id ($out)" \
	grep -qE '^to the group fe80::[0-9a-f:]+ True$' <<<"$out"
check "the join was reported with MLD (mld tx_report counted)" bash -c \
	"$B/ustackctl --socket $SOCK stats --json | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"counters\"][\"mld\"][\"tx_report\"] < 3)'"

# --- ping -6 from the stack ------------------------------------------------
out=$(us 20 ping -6 -n -c 3 -i 0.2 -W 2 $KERNEL6 2>&1)
check "ping -6 on ustack (ICMPv6 ping socket): 3 of 3 answered" \
	grep -q '3 packets transmitted, 3 received' <<<"$out"
out=$(us 20 ping -n -c 2 -i 0.2 -W 2 -s 3000 $KERNEL6 2>&1)
check "ping -s 3000 to an IPv6 address on ustack: fragmented, 2 of 2 answered" \
	grep -q '2 packets transmitted, 2 received' <<<"$out"

# --- getaddrinfo ---------------------------------------------------------
cat >"$TMP/gai.py" <<'PY'
import socket, sys
flags = socket.AI_ADDRCONFIG if sys.argv[2] == "addrconfig" else 0
try:
    r = socket.getaddrinfo(sys.argv[1], 80, type=socket.SOCK_STREAM, flags=flags)
    print(" ".join("6" if f == socket.AF_INET6 else "4" for f, *_ in r))
except socket.gaierror as e:
    print("error", e.errno)
PY
# the kernel could reach far.test's IPv6 address, ustack cannot: the
# order must follow ustack's routes (RFC 6724 rule 1)
ip -n "$NS" -6 route add 2001:db8:77::/64 dev ustk0
out=$(us 10 python3 "$TMP/gai.py" dual.test addrconfig)
check "getaddrinfo(dual.test, AI_ADDRCONFIG) on ustack: IPv6 first, then IPv4 ($out)" \
	test "$out" = "6 4"
out=$(us 10 python3 "$TMP/gai.py" far.test addrconfig)
kout=$(kn 10 python3 "$TMP/gai.py" far.test addrconfig)
check "getaddrinfo(far.test) on ustack: its unreachable IPv6 address last ($out; the kernel, which reaches it: $kout)" \
	test "$out" = "4 6" -a "$kout" = "6 4"
out=$(us 10 python3 "$TMP/gai.py" localhost none)
check "getaddrinfo(localhost) on ustack: ::1 first, as on Linux ($out)" test "$out" = "6 4"

# --- ustackctl kill by IPv6 endpoints ------------------------------------
bg_us "$TMP/hold.log" 60 python3 -c '
import socket, time
s = socket.socket(socket.AF_INET6)
s.bind(("::", 9005)); s.listen(1)
c, a = s.accept()
print("accepted", a[0], flush=True)
try:
    while c.recv(100): pass
    print("eof", flush=True)
except OSError as e:
    print("error", e.errno, flush=True)
time.sleep(1)'
hold=$BGPID
wait_for 10 ustack_bound "$SOCK" 9005 || fail "the IPv6 holder starts"
bg_kn "$TMP/holdc.log" 30 python3 -c '
import socket, sys, time
c = socket.create_connection((sys.argv[1], 9005))
print("local", c.getsockname()[1], flush=True)
time.sleep(20)' $US6
holdc=$BGPID
est() { C netstat -n --port 9005 --state established | grep -q '^tcp6 '; }
wait_for 10 est || fail "the IPv6 connection is up"
lport=$(C netstat -n --port 9005 --state established --json | python3 -c '
import json, sys
s = json.load(sys.stdin)["sockets"][0]
print(s["remote"].rsplit(":", 1)[1])')
out=$(C kill --local "[$US6]:9005" --remote "[$KERNEL6]:$lport" 2>&1)
check "ustackctl kill --local [$US6]:9005 --remote [$KERNEL6]:$lport ($out)" \
	test "$out" = "killed 1 connection"
wait "$hold"
check "the program's connection ended with an error (ECONNABORTED: $(tail -n1 "$TMP/hold.log"))" \
	grep -q '^error 103' "$TMP/hold.log"
stop "$holdc"

stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0

# --- a transfer over IPv6 with the link impaired ---------------------------
start --impair loss=0.02,reorder=0.02,seed=9 ||
	{ fail "ustackd starts with --impair"; summary; exit 1; }
head -c $((5 * 1024 * 1024)) "$TMP/big" >"$TMP/kwww/five"
bg_kn "$TMP/khttp2.log" 120 python3 -u -m http.server --bind $KERNEL6 --directory "$TMP/kwww" 8084
khttp=$BGPID
wait_for 10 kn_listening 8084 || fail "the kernel's http.server starts"
us 90 curl -6 -gsS -o "$TMP/imp" "http://[$KERNEL6]:8084/five"
check "curl -6 on ustack with 2% loss and 2% reordering: 5 MB intact" \
	test "$(sum "$TMP/imp")" = "$(sum "$TMP/kwww/five")"
stop "$khttp"
stop_ustackd "$DPID"
check "ustackd exits 0 after the impaired transfer" test $? -eq 0
lost=$(log_value "$TMP/ustackd.log" "impair rx:" lost)
check "the impairment lost received frames (${lost:-?})" test "${lost:-0}" -gt 0

# --- AI_ADDRCONFIG from ustack's addresses: a stack without IPv6 ----------
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 --ipv6 no ||
	{ fail "ustackd starts with --ipv6 no"; summary; exit 1; }
ip -n "$NS" addr replace $KERNEL/24 dev ustk0
ip -n "$NS" addr replace $KERNEL6/64 dev ustk0 nodad
out=$(us 10 python3 "$TMP/gai.py" dual.test addrconfig)
kout=$(kn 10 python3 "$TMP/gai.py" dual.test addrconfig)
check "AI_ADDRCONFIG on a stack without IPv6: IPv4 only ($out), where the kernel gives both ($kout)" \
	test "$out" = "4" -a "$kout" = "6 4"
out=$(us 10 python3 -c 'import socket; socket.socket(socket.AF_INET6)' 2>&1 | tail -n1)
check "a stack without IPv6 still creates AF_INET6 sockets, as Linux with disable_ipv6 (${out:-ok})" \
	test -z "$out"
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
summary
