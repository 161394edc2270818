#!/usr/bin/env bash
# TCP Fast Open (RFC 7413) against the Linux kernel, both roles. A kernel
# client (net.ipv4.tcp_fastopen = 3 in the namespace) sends with
# MSG_FASTOPEN twice to a server on ustack (tcp-fastopen = 3, the listener
# with TCP_FASTOPEN): the capture shows the first SYN asking for a cookie
# and our SYN-ACK giving one, the second SYN carrying the cookie and the
# data, our SYN-ACK acknowledging it; the server program reads both, the
# second with TCPI_OPT_SYN_DATA. Then a client on ustack does the same to
# a kernel server with TCP_FASTOPEN: its first SYN asks, the second
# carries the cookie and the data, which the kernel takes; TCP_INFO says
# so (tcpi_fastopen_client_fail 1 the first time, TCPI_OPT_SYN_DATA the
# second), and a non-blocking MSG_FASTOPEN with the cookie returns the
# bytes its SYN carried, and TCP_FASTOPEN_CONNECT's connect() succeeds at
# once, its SYN carrying the first write. The same both ways over IPv6
# (cookies of 128-bit addresses). With tcp-fastopen = 0 MSG_FASTOPEN is
# EOPNOTSUPP, as Linux's.
source "$(dirname "$0")/lib.sh"
need_root "49-fastopen"

B=$PWD/$BUILD
PY=/usr/bin/python3
US=192.0.2.2
KERNEL=192.0.2.1
US6=2001:db8:1::2
KERNEL6=2001:db8:1::1
SOCK=$TMP/ctl.sock
CONF=$TMP/ustackd.conf
CAP=$TMP/tfo.pcap
new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
# IPv6 on in the namespace (new_netns turns it off), before the TAP comes
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=0
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=0
ur() { in_ns timeout 30 "$B/ustack-run" --socket "$SOCK" "$@"; }
C() { "$B/ustackctl" --socket "$SOCK" "$@"; }
# the capture (ustackd writes it as it goes): pkt FILTER
pkt() { tcpdump -r "$CAP" -n -v "$@" 2>/dev/null; }
syns() {   # syns PORT FROM: the SYNs (no ACK) to PORT, one line each
	pkt "tcp dst port $1 and tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0" |
		grep -A1 "^ *$2" | grep "Flags"
}
synacks() {   # synacks PORT FROM
	pkt "tcp src port $1 and tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack != 0" |
		grep -A1 "^ *$2" | grep "Flags"
}

printf 'tap = ustk0\naddr = %s/24\naddr = %s/64\ntcp-fastopen = 3\n' "$US" "$US6" >"$CONF"
ip netns exec "$NS" "$USTACKD" --foreground --config "$CONF" --socket "$SOCK" \
	--capture "$CAP" 2>"$TMP/ustackd.log" &
DPID=$!
PIDS+=("$DPID")
wait_for 10 test -S "$SOCK" || { fail "ustackd starts"; cat "$TMP/ustackd.log"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0
in_ns ip link set ustk0 up
in_ns ip addr add $KERNEL6/64 dev ustk0 nodad
in_ns sysctl -qw net.ipv4.tcp_fastopen=3
check "ustackctl config: tcp-fastopen = 3" bash -c "'$B/ustackctl' --socket '$SOCK' config | grep -qx 'tcp-fastopen = 3'"

# A server: N connections, each read (what came, and TCPI_OPT_SYN_DATA)
# and answered "got:" and what came
cat >"$TMP/server.py" <<'EOF'
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
l = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
l.bind((host, port))
l.listen(16)
l.settimeout(20)
print("listening", flush=True)
for i in range(n):
    c, _ = l.accept()
    c.settimeout(10)
    d = c.recv(1000)
    opts = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)[5]
    print("conn %d got %s syn_data %d" % (i, d.decode(), opts & 32 != 0), flush=True)
    c.sendall(b"got:" + d)
    c.close()
EOF
# A client: sendto(MSG_FASTOPEN) of "helloN" (mode fc: connect() with
# TCP_FASTOPEN_CONNECT, then send()), the answer, TCP_INFO's options and
# tcpi_fastopen_client_fail
cat >"$TMP/client.py" <<'EOF'
import select, socket, sys
host, port, i, nb = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "nb"
# blocking: a timeout would make it O_NONBLOCK
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
if nb:
    s.setblocking(False)
try:
    if sys.argv[4] == "fc":
        s.setsockopt(socket.IPPROTO_TCP, getattr(socket, "TCP_FASTOPEN_CONNECT", 30), 1)
        s.connect((host, port))
        r = s.send(b"hello" + i.encode())
    else:
        r = s.sendto(b"hello" + i.encode(), socket.MSG_FASTOPEN, (host, port))
except OSError as e:
    print("sendto", e.strerror)
    sys.exit(0)
if nb:
    select.select([s], [], [], 10)
s.settimeout(10)
a = s.recv(1000)
t = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
print("sent %d answer %s syn_data %d fail %d" % (r, a.decode(), t[5] & 32 != 0, (t[7] >> 1) & 3))
EOF

# ---- a kernel client, the server on ustack ---------------------------
in_ns timeout 40 "$B/ustack-run" --socket "$SOCK" $PY "$TMP/server.py" 0.0.0.0 9000 2 \
	>"$TMP/srv.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -q listening "$TMP/srv.out"
c1=$(in_ns timeout 20 $PY "$TMP/client.py" $US 9000 1 b 2>&1)
c2=$(in_ns timeout 20 $PY "$TMP/client.py" $US 9000 2 b 2>&1)
check "kernel client, first: answered ($c1)" grep -q "answer got:hello1" <<<"$c1"
check "kernel client, second: answered ($c2)" grep -q "answer got:hello2" <<<"$c2"
check "kernel client, second: the kernel's TCPI_OPT_SYN_DATA ($c2)" grep -q "syn_data 1" <<<"$c2"
wait_for 5 grep -q "conn 1" "$TMP/srv.out"
srv=$(tr '\n' ' ' <"$TMP/srv.out")
check "server on ustack read both, the second from the SYN ($srv)" \
	grep -q "conn 0 got hello1 syn_data 0 conn 1 got hello2 syn_data 1" <<<"$srv"
s=$(syns 9000 $KERNEL)
s1=$(head -n1 <<<"$s"); s2=$(sed -n 2p <<<"$s")
check "the kernel's first SYN asks for a cookie (${s1##*options})" grep -q "tfo  cookiereq" <<<"$s1"
check "the kernel's second SYN: the cookie and 6 bytes (${s2##*options})" \
	bash -c 'grep -q "tfo  cookie [0-9a-f]\{16\}" <<<"$1" && grep -q "length 6$" <<<"$1"' _ "$s2"
sa=$(synacks 9000 $US)
sa1=$(head -n1 <<<"$sa"); sa2=$(sed -n 2p <<<"$sa")
cookie=$(grep -o "tfo  cookie [0-9a-f]*" <<<"$sa1")
check "our first SYN-ACK gives the cookie ($cookie)" test -n "$cookie"
check "... the one the second SYN carries" grep -q "$cookie" <<<"$s2"
ack2=$(grep -o "ack [0-9]*" <<<"$sa2")
seq2=$(grep -o "seq [0-9]*" <<<"$s2")
check "our second SYN-ACK acknowledges the data ($seq2, $ack2)" \
	test "${ack2#ack }" = $(( ${seq2#seq } + 7 ))
n=$(C stats --json | $PY -c 'import json,sys; c=json.load(sys.stdin)["counters"]["tcp"]; print(c["fastopen_cookie_reqd"], c["fastopen_passive"])')
check "ustackctl stats: fastopen_cookie_reqd 1, fastopen_passive 1 ($n)" test "$n" = "1 1"

# ---- a client on ustack, the kernel server --------------------------
in_ns timeout 40 $PY "$TMP/server.py" $KERNEL 9001 4 >"$TMP/ksrv.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -q listening "$TMP/ksrv.out"
u1=$(ur $PY "$TMP/client.py" $KERNEL 9001 1 b 2>&1)
u2=$(ur $PY "$TMP/client.py" $KERNEL 9001 2 b 2>&1)
u3=$(ur $PY "$TMP/client.py" $KERNEL 9001 3 nb 2>&1)
u4=$(ur $PY "$TMP/client.py" $KERNEL 9001 4 fc 2>&1)
check "ustack client, first: answered, no cookie yet ($u1)" \
	grep -q "sent 6 answer got:hello1 syn_data 0 fail 1" <<<"$u1"
check "ustack client, second: its data in the SYN ($u2)" \
	grep -q "sent 6 answer got:hello2 syn_data 1 fail 0" <<<"$u2"
check "ustack client, non-blocking with the cookie: sendto says 6 ($u3)" \
	grep -q "sent 6 answer got:hello3 syn_data 1 fail 0" <<<"$u3"
check "ustack client, TCP_FASTOPEN_CONNECT: the write in the SYN ($u4)" \
	grep -q "sent 6 answer got:hello4 syn_data 1 fail 0" <<<"$u4"
wait_for 5 grep -q "conn 3" "$TMP/ksrv.out"
ksrv=$(tr '\n' ' ' <"$TMP/ksrv.out")
check "the kernel server read all four, the last three from the SYN ($ksrv)" \
	grep -q "conn 0 got hello1 syn_data 0 conn 1 got hello2 syn_data 1 conn 2 got hello3 syn_data 1 conn 3 got hello4 syn_data 1" <<<"$ksrv"
s=$(syns 9001 $US)
s1=$(head -n1 <<<"$s"); s2=$(sed -n 2p <<<"$s")
check "our first SYN asks for a cookie (${s1##*options})" grep -q "tfo  cookiereq" <<<"$s1"
kc=$(synacks 9001 $KERNEL | head -n1 | grep -o "tfo  cookie [0-9a-f]*")
check "the kernel's SYN-ACK gives one ($kc)" test -n "$kc"
check "our second SYN: that cookie and 6 bytes (${s2##*options})" \
	bash -c 'grep -q "$2" <<<"$1" && grep -q "length 6$" <<<"$1"' _ "$s2" "$kc"
s4=$(sed -n 4p <<<"$s")
check "our fourth SYN (TCP_FASTOPEN_CONNECT): the cookie and 6 bytes (${s4##*options})" \
	bash -c 'grep -q "$2" <<<"$1" && grep -q "length 6$" <<<"$1"' _ "$s4" "$kc"

# a blocking MSG_FASTOPEN of 5000 bytes: the SYN takes what fits, the
# rest follows; sendto says 5000 and the kernel echoes them all
cat >"$TMP/echo.py" <<'EOF'
import socket, sys
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_TCP, socket.TCP_FASTOPEN, 16)
l.bind((sys.argv[1], int(sys.argv[2])))
l.listen(4)
l.settimeout(20)
print("listening", flush=True)
c, _ = l.accept()
c.settimeout(10)
while True:
    d = c.recv(65536)
    if not d:
        break
    c.sendall(d)
c.close()
EOF
cat >"$TMP/big.py" <<'EOF'
import socket, sys
data = bytes((i * 7) % 251 for i in range(5000))
s = socket.socket()
n = s.sendto(data, socket.MSG_FASTOPEN, (sys.argv[1], int(sys.argv[2])))
s.shutdown(socket.SHUT_WR)
s.settimeout(10)
back = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    back += d
print("sent %d back %d %s" % (n, len(back), "same" if back == data else "differ"))
EOF
in_ns timeout 40 $PY "$TMP/echo.py" $KERNEL 9002 >"$TMP/echo.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -q listening "$TMP/echo.out"
big=$(ur $PY "$TMP/big.py" $KERNEL 9002 2>&1)
check "blocking MSG_FASTOPEN of 5000 bytes: all sent, echoed intact ($big)" \
	grep -q "sent 5000 back 5000 same" <<<"$big"
sb=$(syns 9002 $US | head -n1)
check "... its SYN carried 1420 of them (${sb##*options})" grep -q "length 1420$" <<<"$sb"

# ---- IPv6, both ways -------------------------------------------------
dad_ok() { C stats --json | $PY -c 'import json,sys; c=json.load(sys.stdin)["counters"]; sys.exit(0 if c["addr6"]["dad_ok"] >= 2 else 1)'; }
wait_for 10 dad_ok
in_ns timeout 40 "$B/ustack-run" --socket "$SOCK" $PY "$TMP/server.py" :: 9003 2 \
	>"$TMP/srv6.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -q listening "$TMP/srv6.out"
c1=$(in_ns timeout 20 $PY "$TMP/client.py" $US6 9003 1 b 2>&1)
c2=$(in_ns timeout 20 $PY "$TMP/client.py" $US6 9003 2 b 2>&1)
wait_for 5 grep -q "conn 1" "$TMP/srv6.out"
srv=$(tr '\n' ' ' <"$TMP/srv6.out")
check "IPv6: a kernel client's second SYN carries its data to ustack ($c2; $srv)" \
	bash -c 'grep -q "answer got:hello2 syn_data 1" <<<"$1" &&
		 grep -q "conn 0 got hello1 syn_data 0 conn 1 got hello2 syn_data 1" <<<"$2"' _ "$c2" "$srv"
in_ns timeout 40 $PY "$TMP/server.py" $KERNEL6 9004 2 >"$TMP/ksrv6.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -q listening "$TMP/ksrv6.out"
u1=$(ur $PY "$TMP/client.py" $KERNEL6 9004 1 b 2>&1)
u2=$(ur $PY "$TMP/client.py" $KERNEL6 9004 2 b 2>&1)
wait_for 5 grep -q "conn 1" "$TMP/ksrv6.out"
ksrv=$(tr '\n' ' ' <"$TMP/ksrv6.out")
check "IPv6: ustack's second SYN carries its data to the kernel ($u1; $u2; $ksrv)" \
	bash -c 'grep -q "fail 1" <<<"$1" && grep -q "answer got:hello2 syn_data 1 fail 0" <<<"$2" &&
		 grep -q "conn 0 got hello1 syn_data 0 conn 1 got hello2 syn_data 1" <<<"$3"' _ "$u1" "$u2" "$ksrv"

# ---- tcp-fastopen = 0: MSG_FASTOPEN is EOPNOTSUPP ---------------------
sed -i 's/^tcp-fastopen = 3$/tcp-fastopen = 0/' "$CONF"
kill -HUP "$DPID"
wait_for 5 bash -c "'$B/ustackctl' --socket '$SOCK' config | grep -qx 'tcp-fastopen = 0'"
u5=$(ur $PY "$TMP/client.py" $KERNEL 9001 5 b 2>&1)
check "tcp-fastopen = 0 (a reload): MSG_FASTOPEN fails EOPNOTSUPP ($u5)" \
	grep -q "sendto Operation not supported" <<<"$u5"

check "ustackd still runs" kill -0 "$DPID"
stop_ustackd "$DPID"
summary
