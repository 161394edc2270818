#!/usr/bin/env bash
# Stock programs with their stock configurations, as a new user would run
# them: only what running them from a temporary directory needs is set
# (port, host key, pid file, data directory). Each one runs where ustack
# stands (under ustack-run, 192.0.2.2) with the Linux kernel as its peer
# (192.0.2.1 on the TAP), and where it has two roles, also the reverse:
#   sshd: the kernel's ssh runs commands that open sockets, scp both ways
#         (SFTP and scp -O); then ssh and scp on ustack against a kernel sshd;
#   redis-server with its default bind (* -::*): redis-cli from the kernel,
#         and on ustack with its default host (ustack's own loopback);
#   mosquitto with "listener 1883": its clients from the kernel, and on
#         ustack with their default host;
#   an asyncio echo server bound with host=None: 20 MB sent and read back at
#         once, every byte compared, both placements;
#   sockperf TCP ping-pong, both placements;
#   ping, traceroute and tracepath from the stack to the kernel;
#   git daemon, node's http server and memcached with their default
#         addresses, their clients in both placements (nc, git clone);
#   dig (UDP and TCP), curl --tcp-fastopen and iperf3 -u -w 4M on ustack;
#   TCP over 127.0.0.1 inside the stack (ustack's loopback, not the kernel's).
#
# USTACK_REFERENCE=kernel runs every check with a second kernel namespace
# (over a veth) where ustack stands: every check must pass there, which
# shows that a failure under ustack is a difference from the kernel.
source "$(dirname "$0")/lib.sh"
need_root "55-stock-programs"

B=$PWD/$BUILD
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock
REFERENCE=${USTACK_REFERENCE:-}
for p in sshd ssh scp redis-server redis-cli mosquitto mosquitto_pub \
	mosquitto_sub sockperf traceroute tracepath ping socat git node memcached \
	nc dig dnsmasq iperf3 curl; do
	PATH=$PATH:/usr/sbin command -v "$p" >/dev/null ||
		{ fail "$p is installed (make deps)"; summary; exit 1; }
done
SSHD=$(PATH=$PATH:/usr/sbin command -v sshd)

source "$(dirname "$0")/stock.sh"

head -c 1000000 /dev/urandom >"$TMP/1M.bin"

# --- sshd -------------------------------------------------------------
# Debian's own sshd_config, with port, host key, pid file and an
# authorized key made for the test; StrictModes off because the key file
# lies under /tmp. sshd wants its privilege separation directory
# /run/sshd (systemd's RuntimeDirectory): each sshd gets a private /run.
ssh-keygen -q -t ed25519 -N '' -f "$TMP/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/userkey"
cp "$TMP/userkey.pub" "$TMP/authorized_keys"
sshd_args() { # PORT
	echo -D -e -f /etc/ssh/sshd_config -o Port="$1" -o HostKey="$TMP/hostkey" \
		-o PidFile="$TMP/sshd-$1.pid" -o AuthorizedKeysFile="$TMP/authorized_keys" \
		-o StrictModes=no
}
privrun='mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd && exec "$@"'
SSHO=(-F /dev/null -i "$TMP/userkey" -o BatchMode=yes -o StrictHostKeyChecking=no
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=10)
pysock='python3 -c "import socket; socket.socket(); print(\"socket ok\")"'
rootent=$(getent passwd root)

# ssh_checks WHERE RUNNER HOST PORT: ssh and scp run by RUNNER (us or kn)
ssh_checks() {
	local where=$1 run=$2 host=$3 port=$4 out
	out=$($run 20 ssh "${SSHO[@]}" -p "$port" root@"$host" "$pysock" 2>&1)
	check "$where: a remote command opens a socket (python3 socket.socket(): $out)" \
		test "$out" = "socket ok"
	out=$($run 20 ssh "${SSHO[@]}" -p "$port" root@"$host" getent passwd root 2>&1)
	check "$where: a remote getent passwd root ($out)" test "$out" = "$rootent"
	rm -f "$TMP"/scp-*.bin
	$run 30 scp "${SSHO[@]}" -P "$port" "$TMP/1M.bin" root@"$host":"$TMP/scp-up.bin" >/dev/null 2>&1
	check "$where: scp upload (SFTP), 1 MB intact" same "$TMP/1M.bin" "$TMP/scp-up.bin"
	$run 30 scp "${SSHO[@]}" -P "$port" root@"$host":"$TMP/1M.bin" "$TMP/scp-down.bin" >/dev/null 2>&1
	check "$where: scp download (SFTP), 1 MB intact" same "$TMP/1M.bin" "$TMP/scp-down.bin"
	$run 30 scp -O "${SSHO[@]}" -P "$port" "$TMP/1M.bin" root@"$host":"$TMP/scp-upO.bin" >/dev/null 2>&1
	check "$where: scp -O upload, 1 MB intact" same "$TMP/1M.bin" "$TMP/scp-upO.bin"
	$run 30 scp -O "${SSHO[@]}" -P "$port" root@"$host":"$TMP/1M.bin" "$TMP/scp-downO.bin" >/dev/null 2>&1
	check "$where: scp -O download, 1 MB intact" same "$TMP/1M.bin" "$TMP/scp-downO.bin"
}

# shellcheck disable=SC2046
bg_us "$TMP/sshd-us.log" 120 unshare -m --propagation private sh -c "$privrun" sh \
	"$SSHD" $(sshd_args 2222)
sshd_us=$BGPID
up "$sshd_us" listening 2222
check "sshd (stock config) on ustack listens ($(last "$TMP/sshd-us.log"))" listening 2222
ssh_checks "ssh from the kernel to sshd on ustack" kn $US 2222
stop "$sshd_us"
# sshd reads SO_BINDTODEVICE of each connection (its VRF, sys_get_rdomain())
vrf=$(grep -m1 "VRF" "$TMP/sshd-us.log")
check "sshd on ustack reads each connection's device (SO_BINDTODEVICE) ($vrf)" \
	test -z "$vrf"

# shellcheck disable=SC2046
bg_kn "$TMP/sshd-k.log" 120 unshare -m --propagation private sh -c "$privrun" sh \
	"$SSHD" $(sshd_args 2223)
sshd_k=$BGPID
up "$sshd_k" kn_listening 2223 || fail "the kernel's sshd starts ($(last "$TMP/sshd-k.log"))"
ssh_checks "ssh on ustack to the kernel's sshd" us $KERNEL 2223
stop "$sshd_k"

# --- redis --------------------------------------------------------------
# No configuration file: the compiled-in defaults (bind * -::*, protected
# mode on); only the data directory is ours. Protected mode answers a
# client from another host with DENIED, on the kernel as here.
bg_us "$TMP/redis.log" 60 redis-server --port 6379 --dir "$TMP"
redis=$BGPID
up "$redis" listening 6379
check "redis-server with its default bind (* -::*) on ustack listens ($(last "$TMP/redis.log"))" \
	listening 6379
out=$(kn 10 redis-cli -h $US ping 2>&1)
check "redis-cli from the kernel: protected mode refuses a remote client, as on the kernel (${out:0:60})" \
	grep -q '^DENIED Redis is running in protected mode' <<<"$out"
out=$(us 10 redis-cli set stock yes 2>&1; us 10 redis-cli get stock 2>&1)
check "redis-cli on ustack with its default host (127.0.0.1): SET then GET ($(tr '\n' ' ' <<<"$out"))" \
	test "$out" = $'OK\nyes'
stop "$redis"

# --- mosquitto ----------------------------------------------------------
printf 'listener 1883\nallow_anonymous true\n' >"$TMP/mosquitto.conf"
bg_us "$TMP/mosquitto.log" 60 mosquitto -c "$TMP/mosquitto.conf"
mosq=$BGPID
up "$mosq" listening 1883
check "mosquitto with 'listener 1883' on ustack listens ($(last "$TMP/mosquitto.log"))" \
	listening 1883
# mqtt_checks WHERE RUNNER HOST...: mosquitto_sub waits for one message,
# mosquitto_pub publishes until it came (bounded: 60 tries, 30 s)
mqtt_checks() {
	local where=$1 run=$2 i; shift 2
	$run 40 mosquitto_sub "$@" -t "stock/$run" -C 1 -W 30 >"$TMP/mqtt-$run.out" 2>&1 &
	local sub=$!
	for ((i = 0; i < 60; i++)); do
		$run 5 mosquitto_pub "$@" -t "stock/$run" -m "hello $run" 2>/dev/null
		sleep 0.3
		kill -0 $sub 2>/dev/null || break
	done
	wait $sub
	check "$where ($(head -n1 "$TMP/mqtt-$run.out"))" grep -qx "hello $run" "$TMP/mqtt-$run.out"
}
mqtt_checks "mosquitto_sub from the kernel gets what mosquitto_pub from the kernel sent" kn -h $US
mqtt_checks "mosquitto_sub and mosquitto_pub on ustack with their default host (localhost)" us
stop "$mosq"

# --- asyncio echo, host=None ------------------------------------------
cat >"$TMP/echo.py" <<'PY'
import asyncio, os, sys

async def serve(port):
    async def echo(r, w):
        while True:
            d = await r.read(65536)
            if not d:
                break
            w.write(d)
            await w.drain()
        w.close()
    srv = await asyncio.start_server(echo, host=None, port=port)
    print('listening on', *(s.getsockname()[:2] for s in srv.sockets), flush=True)
    async with srv:
        await srv.serve_forever()

async def client(host, port, size):
    data = os.urandom(size)
    r, w = await asyncio.open_connection(host, port)
    async def send():   # everything at once, while the other task reads
        w.write(data)
        await w.drain()
        w.write_eof()
    async def recv():
        got = bytearray()
        while len(got) < size:
            d = await r.read(1 << 20)
            if not d:
                break
            got += d
        return bytes(got)
    got = (await asyncio.gather(send(), recv()))[1]
    w.close()
    print('%d of %d bytes back, %s' % (len(got), size,
          'identical' if got == data else 'DIFFERENT'))
    return 0 if got == data else 1

if sys.argv[1] == 'server':
    asyncio.run(serve(int(sys.argv[2])))
else:
    sys.exit(asyncio.run(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
PY
bg_us "$TMP/echo-us.log" 120 python3 "$TMP/echo.py" server 8800
echo_us=$BGPID
up "$echo_us" listening 8800
check "asyncio server with host=None on ustack listens ($(last "$TMP/echo-us.log"))" listening 8800
out=$(kn 60 python3 "$TMP/echo.py" client $US 8800 20000000 2>&1 | tail -n1)
check "asyncio: 20 MB echoed by the server on ustack, sent and read at once ($out)" \
	test "$out" = "20000000 of 20000000 bytes back, identical"
stop "$echo_us"
bg_kn "$TMP/echo-k.log" 120 python3 "$TMP/echo.py" server 8801
echo_k=$BGPID
up "$echo_k" kn_listening 8801 || fail "the kernel's asyncio server starts"
out=$(us 60 python3 "$TMP/echo.py" client $KERNEL 8801 20000000 2>&1 | tail -n1)
check "asyncio: 20 MB from a client on ustack echoed by the kernel ($out)" \
	test "$out" = "20000000 of 20000000 bytes back, identical"
stop "$echo_k"

# --- sockperf -----------------------------------------------------------
# pingpong_ok LOG: sockperf's client ran, every message came back
pingpong_ok() {
	local sent recv
	sent=$(sed -n 's/.*SentMessages=\([0-9]*\).*/\1/p' "$1" | tail -n1)
	recv=$(sed -n 's/.*ReceivedMessages=\([0-9]*\).*/\1/p' "$1" | tail -n1)
	echo "${recv:-0} of ${sent:-0} messages back"
	[ "${sent:-0}" -gt 0 ] && [ "$sent" = "$recv" ]
}
bg_us "$TMP/sockperf-us.log" 60 sockperf server --tcp -p 11111
sp=$BGPID
up "$sp" listening 11111
kn 20 sockperf ping-pong --tcp -i $US -p 11111 -t 3 >"$TMP/pp1.log" 2>&1
rc=$?
good=no
res=$(pingpong_ok "$TMP/pp1.log") && [ $rc -eq 0 ] && good=yes
check "sockperf TCP ping-pong, server on ustack, 3 s: exit $rc, $res" test $good = yes
[ "$rc" -ne 0 ] && grep -h ERROR "$TMP/pp1.log" "$TMP/sockperf-us.log" | head -n2
stop "$sp"
bg_kn "$TMP/sockperf-k.log" 60 sockperf server --tcp -p 11112
sp=$BGPID
up "$sp" kn_listening 11112 || fail "the kernel's sockperf server starts"
us 20 sockperf ping-pong --tcp -i $KERNEL -p 11112 -t 3 >"$TMP/pp2.log" 2>&1
rc=$?
good=no
res=$(pingpong_ok "$TMP/pp2.log") && [ $rc -eq 0 ] && good=yes
check "sockperf TCP ping-pong, client on ustack, 3 s: exit $rc, $res" test $good = yes
[ "$rc" -ne 0 ] && grep -h ERROR "$TMP/pp2.log" | head -n2
stop "$sp"

# --- ping, traceroute, tracepath from the stack ------------------------
out=$(us 15 ping -n -c 3 -i 0.2 -W 2 $KERNEL 2>&1)
check "ping from ustack: 3 echoes answered ($(grep -E 'received|ping:' <<<"$out" | head -n1))" \
	grep -q '3 packets transmitted, 3 received' <<<"$out"
out=$(us 30 traceroute -n -q 1 -w 2 -m 3 $KERNEL 2>&1)
check "traceroute from ustack: the kernel at hop 1 ($(sed -n 2p <<<"$out"))" \
	grep -qE "^ 1  $KERNEL " <<<"$out"
out=$(us 30 tracepath -n -m 3 $KERNEL 2>&1)
rc=$?
good=no
[ $rc -eq 0 ] && grep -q 'hops 1 back 1' <<<"$out" && good=yes
check "tracepath from ustack: reached in 1 hop, exit $rc ($(tail -n1 <<<"$out" | sed 's/^ *//'))" \
	test $good = yes

# --- more servers and clients, default settings ------------------------
# git daemon (binds every address of both families), both placements
mkdir -p "$TMP/git"
git init -q --bare "$TMP/git/repo.git"
git init -q "$TMP/git/src"
cp "$TMP/1M.bin" "$TMP/git/src/blob"
git -C "$TMP/git/src" add blob
git -C "$TMP/git/src" -c user.email=t@example.org -c user.name=t commit -qm blob
git -C "$TMP/git/src" push -q "$TMP/git/repo.git" HEAD:refs/heads/main
git -C "$TMP/git/repo.git" symbolic-ref HEAD refs/heads/main
gitd_args=(daemon --base-path="$TMP/git" --export-all --reuseaddr)
bg_us "$TMP/gitd-us.log" 60 git "${gitd_args[@]}"
gitd=$BGPID
up "$gitd" listening 9418
kn 30 git clone -q git://$US/repo.git "$TMP/git/c1" >"$TMP/git-c1.log" 2>&1
check "git daemon on ustack: the kernel's git clone gets the repository" \
	same "$TMP/1M.bin" "$TMP/git/c1/blob"
stop "$gitd"
check "git daemon on ustack logged nothing, as on the kernel ($(last "$TMP/gitd-us.log"))" \
	test ! -s "$TMP/gitd-us.log"
bg_kn "$TMP/gitd-k.log" 60 git "${gitd_args[@]}" --listen=$KERNEL
gitd=$BGPID
up "$gitd" kn_listening 9418 || fail "the kernel's git daemon starts"
us 30 git clone -q git://$KERNEL/repo.git "$TMP/git/c2" >"$TMP/git-c2.log" 2>&1
check "git clone on ustack from the kernel's git daemon ($(last "$TMP/git-c2.log"))" \
	same "$TMP/1M.bin" "$TMP/git/c2/blob"
stop "$gitd"

# node's http server with its default host (::, or 0.0.0.0 without IPv6)
cat >"$TMP/node-http.js" <<'JS'
const http = require('http');
if (process.argv[2] === 'server') {
	const s = http.createServer((q, r) => r.end('hello from node\n'));
	s.listen(8300, () => console.log('listening on', s.address().address));
} else {
	http.get(process.argv[2], r => {
		let d = '';
		r.on('data', c => d += c);
		r.on('end', () => console.log(r.statusCode, d.trim()));
	}).on('error', e => { console.log('error', e.code); process.exit(1); });
}
JS
bg_us "$TMP/node-us.log" 60 node "$TMP/node-http.js" server
node=$BGPID
up "$node" listening 8300
out=$(kn 10 curl -s -m 5 http://$US:8300/ 2>&1)
check "node http server on ustack answers the kernel's curl ($out)" test "$out" = "hello from node"
out=$(us 10 node "$TMP/node-http.js" http://localhost:8300/ 2>&1)
check "node http client on ustack to localhost ($out)" test "$out" = "200 hello from node"
stop "$node"
bg_kn "$TMP/node-k.log" 60 node "$TMP/node-http.js" server
node=$BGPID
up "$node" kn_listening 8300 || fail "the kernel's node server starts"
out=$(us 10 node "$TMP/node-http.js" http://$KERNEL:8300/ 2>&1)
check "node http client on ustack to the kernel's node server ($out)" test "$out" = "200 hello from node"
stop "$node"

# memcached with no option but its user; nc as its client
mc_talk() { printf 'set stock 0 0 3\r\nyes\r\nget stock\r\nquit\r\n'; }
bg_us "$TMP/memcached.log" 60 memcached -u nobody
mc=$BGPID
up "$mc" listening 11211
out=$(mc_talk | kn 10 nc -q 2 $US 11211 | tr -d '\r' | tr '\n' ' ')
check "memcached on ustack: nc from the kernel stores and gets ($out)" \
	test "$out" = "STORED VALUE stock 0 3 yes END "
out=$(mc_talk | us 10 nc -q 2 localhost 11211 2>&1 | tr -d '\r' | tr '\n' ' ')
check "memcached on ustack: nc on ustack to localhost ($out)" \
	test "$out" = "STORED VALUE stock 0 3 yes END "
stop "$mc"

# dig on ustack against the kernel's dnsmasq (which forwards nothing)
bg_kn "$TMP/dnsmasq.log" 60 dnsmasq --no-daemon --conf-file=/dev/null --no-resolv \
	--no-hosts --pid-file= --listen-address=$KERNEL --bind-interfaces \
	--address=/stock.test/192.0.2.99
dm=$BGPID
up "$dm" kn_listening 53 || fail "the kernel's dnsmasq starts ($(last "$TMP/dnsmasq.log"))"
out=$(us 10 dig +short +time=2 +tries=2 @$KERNEL a.stock.test 2>&1 | tail -n1)
check "dig on ustack, UDP ($out)" test "$out" = 192.0.2.99
out=$(us 10 dig +short +tcp +time=2 +tries=2 @$KERNEL b.stock.test 2>&1 | tail -n1)
check "dig +tcp on ustack ($out)" test "$out" = 192.0.2.99
stop "$dm"

# curl --tcp-fastopen on ustack (the kernel has no cookie yet: plain SYN)
mkdir -p "$TMP/www"
cp "$TMP/1M.bin" "$TMP/www/f.bin"
bg_kn "$TMP/http-k.log" 60 python3 -m http.server 8400 --bind $KERNEL --directory "$TMP/www"
http=$BGPID
up "$http" kn_listening 8400 || fail "the kernel's python3 http.server starts"
out=$(us 20 curl -s --tcp-fastopen -o "$TMP/tfo.bin" -w '%{http_code}' http://$KERNEL:8400/f.bin 2>&1)
check "curl --tcp-fastopen on ustack (HTTP $out, 1 MB intact)" same "$TMP/1M.bin" "$TMP/tfo.bin"
stop "$http"

# iperf3 UDP with a 4 MB socket buffer (-w): it checks what it got (the
# kernel doubles what net.core.wmem_max allows; ustackd has the same cap)
bg_kn "$TMP/iperf-k.log" 60 iperf3 -s -1 -p 5300 -B $KERNEL
ip3=$BGPID
up "$ip3" kn_listening 5300 || fail "the kernel's iperf3 starts"
out=$(us 30 iperf3 -c $KERNEL -p 5300 -u -b 50M -w 4M -t 2 2>&1)
rc=$?
check "iperf3 -u -w 4M on ustack runs (exit $rc: $(grep -E 'receiver|error' <<<"$out" | head -n1 | sed 's/  */ /g'))" \
	test $rc -eq 0
stop "$ip3"

# --- TCP over 127.0.0.1 inside the stack -------------------------------
bg_us "$TMP/lo.log" 30 socat TCP4-LISTEN:9100,bind=127.0.0.1,reuseaddr EXEC:/bin/cat
lo=$BGPID
up "$lo" listening 9100
check "a server on ustack listens on 127.0.0.1 ($(last "$TMP/lo.log"))" listening 9100
us 20 socat -t 5 -T 10 - TCP4:127.0.0.1:9100 <"$TMP/1M.bin" >"$TMP/lo.bin" 2>"$TMP/lo-client.log"
check "TCP over 127.0.0.1 inside ustack: 1 MB echoed intact ($(last "$TMP/lo-client.log"))" \
	same "$TMP/1M.bin" "$TMP/lo.bin"
out=$(kn 5 socat -T 2 - TCP4:127.0.0.1:9100 </dev/null 2>&1)
check "the kernel's own 127.0.0.1:9100 is another host's loopback: refused" \
	grep -q 'Connection refused' <<<"$out"
stop "$lo"

if [ "$REFERENCE" != kernel ]; then
	stop_ustackd "$DPID"
	check "ustackd exits 0" test $? -eq 0
	grep -E 'sockets:|control:' "$TMP/ustackd.log"
fi
summary
