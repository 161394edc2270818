#!/usr/bin/env bash
# More stock programs with their stock configurations (55 has the first
# ones), each where ustack stands (under ustack-run, 192.0.2.2) with the
# Linux kernel as its peer (192.0.2.1 on the TAP), in both roles:
#   lighttpd (a minimal config: document root and port): curl and wget
#         fetch a 10 MB file intact, curl fetches three files over one
#         kept-alive connection; the reverse against a kernel lighttpd;
#   haproxy in TCP mode between a kernel client and a kernel lighttpd
#         (keep-alive goes through) and a kernel server that answers at
#         its client's half-close (nc -N); with that backend down, the
#         refused connect seen at once;
#   python3 -m http.server, curl and wget both ways;
#   socat as a TCP and a UDP relay (kernel -> ustack -> kernel), a UDP
#         echo (UDP-RECVFROM,fork) both placements;
#   nc -N: shutdown(SHUT_WR) after stdin's EOF, the answer still read
#         (half-close), both placements;
#   rsync --daemon --no-detach with one module: a tree copied both ways,
#         the daemon in both placements;
#   openssl s_server -www and s_client / curl over TLS, s_server -WWW
#         serving 10 MB to curl, both placements.
#
# USTACK_REFERENCE=kernel runs every check with a second kernel namespace
# (over a veth) where ustack stands, as 55 does.
source "$(dirname "$0")/lib.sh"
need_root "56-stock-more"

B=$PWD/$BUILD
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock
REFERENCE=${USTACK_REFERENCE:-}
for p in lighttpd haproxy python3 socat nc wget rsync openssl curl; do
	PATH=$PATH:/usr/sbin command -v "$p" >/dev/null ||
		{ fail "$p is installed (make deps)"; summary; exit 1; }
done
LIGHTTPD=$(PATH=$PATH:/usr/sbin command -v lighttpd)
HAPROXY=$(PATH=$PATH:/usr/sbin command -v haproxy)

source "$(dirname "$0")/stock.sh"
# timed VAR CMD...: run CMD, VAR gets its wall time in tenths of a second
timed() {
	local v=$1 t0 rc; shift
	t0=$(date +%s%N)
	"$@"
	rc=$?
	printf -v "$v" '%s' $((($(date +%s%N) - t0) / 100000000))
	return $rc
}

mkdir -p "$TMP/www"
head -c 10000000 /dev/urandom >"$TMP/www/10M.bin"
for i in 1 2 3; do head -c $((i * 30000)) /dev/urandom >"$TMP/www/k$i.bin"; done
chmod -R a+rX "$TMP"

# --- lighttpd -----------------------------------------------------------
# lighttpd_conf PORT: only the document root, the port and no pid file
lighttpd_conf() {
	printf 'server.document-root = "%s"\nserver.port = %s\n' "$TMP/www" "$1" \
		>"$TMP/lighttpd-$1.conf"
	echo "$TMP/lighttpd-$1.conf"
}
# http_checks WHERE RUNNER URL [CONNECTS]: curl and wget get the 10 MB
# file intact, curl gets three files with CONNECTS connections per transfer
# ("1 0 0 ", one kept-alive connection: python's http.server answers
# HTTP/1.0 and closes, "1 1 1 " on the kernel too)
http_checks() {
	local where=$1 run=$2 url=$3 connects=${4:-"1 0 0 "} out t rc
	rm -f "$TMP"/got-*
	timed t $run 30 curl -s -o "$TMP/got-curl.bin" -w '%{http_code}' "$url/10M.bin" >"$TMP/curl.out" 2>&1
	rc=$?
	check "$where: curl gets 10 MB intact (exit $rc, HTTP $(cat "$TMP/curl.out"), $((t / 10)).$((t % 10)) s)" \
		same "$TMP/www/10M.bin" "$TMP/got-curl.bin"
	timed t $run 30 wget -q -O "$TMP/got-wget.bin" "$url/10M.bin" >"$TMP/wget.out" 2>&1
	rc=$?
	check "$where: wget gets 10 MB intact (exit $rc, $((t / 10)).$((t % 10)) s)" \
		same "$TMP/www/10M.bin" "$TMP/got-wget.bin"
	out=$($run 20 curl -s -w '%{num_connects} ' -o "$TMP/got-k1.bin" "$url/k1.bin" \
		-o "$TMP/got-k2.bin" "$url/k2.bin" -o "$TMP/got-k3.bin" "$url/k3.bin" 2>&1)
	local good=no
	same "$TMP/www/k1.bin" "$TMP/got-k1.bin" && same "$TMP/www/k2.bin" "$TMP/got-k2.bin" &&
		same "$TMP/www/k3.bin" "$TMP/got-k3.bin" && [ "$out" = "$connects" ] && good=yes
	check "$where: curl gets three files, connections opened per transfer as on the kernel ($out)" \
		test $good = yes
}
bg_us "$TMP/lighttpd-us.log" 120 "$LIGHTTPD" -D -f "$(lighttpd_conf 8500)"
lh=$BGPID
up "$lh" listening 8500
check "lighttpd on ustack listens ($(last "$TMP/lighttpd-us.log"))" listening 8500
http_checks "lighttpd on ustack, the kernel's client" kn http://$US:8500
stop "$lh"
bg_kn "$TMP/lighttpd-k.log" 120 "$LIGHTTPD" -D -f "$(lighttpd_conf 8501)"
lh=$BGPID
up "$lh" kn_listening 8501 || fail "the kernel's lighttpd starts ($(last "$TMP/lighttpd-k.log"))"
http_checks "lighttpd on the kernel, the client on ustack" us http://$KERNEL:8501
stop "$lh"

# --- python3 -m http.server ---------------------------------------------
bg_us "$TMP/pyhttp-us.log" 120 python3 -m http.server 8510 --directory "$TMP/www"
ph=$BGPID
up "$ph" listening 8510
check "python3 -m http.server on ustack listens ($(last "$TMP/pyhttp-us.log"))" listening 8510
http_checks "python3 http.server on ustack, the kernel's client" kn http://$US:8510 "1 1 1 "
stop "$ph"
bg_kn "$TMP/pyhttp-k.log" 120 python3 -m http.server 8511 --bind $KERNEL --directory "$TMP/www"
ph=$BGPID
up "$ph" kn_listening 8511 || fail "the kernel's python3 http.server starts"
http_checks "python3 http.server on the kernel, the client on ustack" us http://$KERNEL:8511 "1 1 1 "
stop "$ph"

# --- haproxy, TCP mode ----------------------------------------------------
cat >"$TMP/haproxy.cfg" <<CFG
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend f
	bind :8520
	default_backend b
backend b
	server s1 $KERNEL:8521
frontend f2
	bind :8522
	default_backend b2
backend b2
	server s2 $KERNEL:8523
CFG
bg_kn "$TMP/hap-back.log" 120 "$LIGHTTPD" -D -f "$(lighttpd_conf 8521)"
hb=$BGPID
up "$hb" kn_listening 8521 || fail "the kernel's backend starts"
bg_us "$TMP/haproxy.log" 120 "$HAPROXY" -db -f "$TMP/haproxy.cfg"
hap=$BGPID
up "$hap" listening 8520
check "haproxy (mode tcp) on ustack listens ($(last "$TMP/haproxy.log"))" listening 8520
http_checks "haproxy on ustack between the kernel's client and server" kn http://$US:8520
# a half-close goes through: the kernel's server answers at EOF
head -c 500000 /dev/urandom >"$TMP/500k.bin"
bg_kn "$TMP/hap-hc.log" 60 socat TCP4-LISTEN:8523,bind=$KERNEL,reuseaddr,fork \
	SYSTEM:'sha256sum | cut -c1-64'
hh=$BGPID
up "$hh" kn_listening 8523 || fail "the kernel's half-close server starts"
out=$(kn 20 nc -N $US 8522 <"$TMP/500k.bin" 2>&1)
check "haproxy on ustack passes nc -N's half-close on, the answer comes back (${out:0:16})" \
	test "$out" = "$(sha256sum <"$TMP/500k.bin" | cut -c1-64)"
stop "$hh"
# its backend down: a refused non-blocking connect shows POLLERR/POLLHUP
# on the kernel, and haproxy takes POLLOUT alone for connected; the
# kernel's client gets its empty answer after haproxy's retries (about
# 3.6 s here), not after "timeout server" (30 s)
stop "$hb"
t0=$(date +%s)
kn 40 curl -sS -o /dev/null http://$US:8520/ >/dev/null 2>&1
dt=$(( $(date +%s) - t0 ))
check "haproxy on ustack with its backend down answers in $dt s, not after its 30 s server timeout" \
	test "$dt" -lt 15
stop "$hap"

# --- socat relays and echoes ----------------------------------------------
head -c 2000000 /dev/urandom >"$TMP/2M.bin"
bg_kn "$TMP/echo-k.log" 60 socat TCP4-LISTEN:8531,reuseaddr,fork EXEC:/bin/cat
ek=$BGPID
up "$ek" kn_listening 8531 || fail "the kernel's socat echo starts"
bg_us "$TMP/relay-tcp.log" 60 socat TCP4-LISTEN:8530,reuseaddr,fork TCP4:$KERNEL:8531
rt=$BGPID
up "$rt" listening 8530
timed t kn 30 socat -t 5 -T 20 - TCP4:$US:8530 <"$TMP/2M.bin" >"$TMP/relay.bin" 2>"$TMP/relay-c.log"
check "socat TCP relay on ustack: 2 MB from the kernel to the kernel's echo and back ($((t / 10)).$((t % 10)) s, $(last "$TMP/relay-c.log"))" \
	same "$TMP/2M.bin" "$TMP/relay.bin"
timed t us 30 socat -t 5 -T 20 - TCP4:$KERNEL:8531 <"$TMP/2M.bin" >"$TMP/relay2.bin" 2>"$TMP/relay2-c.log"
check "socat on ustack to the kernel's socat echo: 2 MB back ($((t / 10)).$((t % 10)) s, $(last "$TMP/relay2-c.log"))" \
	same "$TMP/2M.bin" "$TMP/relay2.bin"
stop "$rt"
stop "$ek"

# UDP: an echo (one child per datagram) and a relay in front of it. A
# child shares the bound socket and ends after -T seconds idle: it must
# outlive the start of its cat on a loaded machine (0.5 s did not, once:
# the answer never came), and be gone before the next client sends, or it
# would take that datagram (clients are -t 3 s apart)
bg_kn "$TMP/uecho-k.log" 60 socat -T 1 UDP4-RECVFROM:8541,fork EXEC:/bin/cat
uk=$BGPID
up "$uk" kn_udp 8541 || fail "the kernel's UDP echo starts"
bg_us "$TMP/relay-udp.log" 60 socat UDP4-LISTEN:8540 UDP4:$KERNEL:8541
ru=$BGPID
up "$ru" listening 8540 udp
out=$(echo "via the relay" | kn 10 socat -t 3 - UDP4:$US:8540 2>&1)
check "socat UDP relay on ustack: a datagram to the kernel's echo and back ($out)" \
	test "$out" = "via the relay"
stop "$ru"
stop "$uk"
# the direct client meets an echo of its own (one peer, no children)
bg_kn "$TMP/uecho-k2.log" 60 socat UDP4-RECVFROM:8543 EXEC:/bin/cat
uk=$BGPID
up "$uk" kn_udp 8543 || fail "the kernel's second UDP echo starts"
out=$(echo "from ustack" | us 10 socat -t 3 - UDP4:$KERNEL:8543 2>&1)
check "socat on ustack, UDP, to the kernel's echo ($out)" test "$out" = "from ustack"
stop "$uk"
bg_us "$TMP/uecho-us.log" 60 socat -T 1 UDP4-RECVFROM:8542,fork EXEC:/bin/cat
uu=$BGPID
up "$uu" listening 8542 udp
out=$(for i in 1 2 3; do echo "datagram $i" | kn 10 socat -t 3 - UDP4:$US:8542 2>&1; done | tr '\n' ' ')
check "socat UDP-RECVFROM,fork echo on ustack: three datagrams from the kernel back ($out)" \
	test "$out" = "datagram 1 datagram 2 datagram 3 "
stop "$uu"

# --- nc -N: half-close --------------------------------------------------
# the server reads to EOF, then answers with a digest: the client must
# have shut down its sending side only, and still read the answer
sum=$(sha256sum <"$TMP/2M.bin" | cut -c1-64)
hc_server='sha256sum | cut -c1-64'
bg_us "$TMP/hc-us.log" 60 socat TCP4-LISTEN:8550,reuseaddr SYSTEM:"$hc_server"
hc=$BGPID
up "$hc" listening 8550
timed t kn 20 nc -N $US 8550 <"$TMP/2M.bin" >"$TMP/hc1.out" 2>&1
rc=$?
check "nc -N from the kernel, server on ustack: half-close, the answer read (exit $rc, $((t / 10)).$((t % 10)) s)" \
	test "$rc" = 0 -a "$(cat "$TMP/hc1.out")" = "$sum"
stop "$hc"
bg_kn "$TMP/hc-k.log" 60 socat TCP4-LISTEN:8551,reuseaddr SYSTEM:"$hc_server"
hc=$BGPID
up "$hc" kn_listening 8551 || fail "the kernel's half-close server starts"
timed t us 20 nc -N $KERNEL 8551 <"$TMP/2M.bin" >"$TMP/hc2.out" 2>&1
rc=$?
check "nc -N on ustack to the kernel: half-close, the answer read (exit $rc, $((t / 10)).$((t % 10)) s)" \
	test "$rc" = 0 -a "$(cat "$TMP/hc2.out")" = "$sum"
stop "$hc"
# nc -l receives a file and exits at the sender's EOF
bg_us "$TMP/ncl-us.log" 30 nc -l 8552
ncl=$BGPID
up "$ncl" listening 8552
kn 20 nc -N $US 8552 <"$TMP/2M.bin"
wait "$ncl"
rc=$?
check "nc -l on ustack: 2 MB from the kernel's nc -N, exits $rc at EOF" \
	test "$rc" = 0 -a "$(sha256sum <"$TMP/ncl-us.log" | cut -c1-64)" = "$sum"
bg_kn "$TMP/ncl-k.log" 30 nc -l $KERNEL 8553
ncl=$BGPID
up "$ncl" kn_listening 8553 || fail "the kernel's nc -l starts"
us 20 nc -N $KERNEL 8553 <"$TMP/2M.bin"
wait "$ncl"
rc=$?
check "nc -N on ustack to the kernel's nc -l: 2 MB, it exits $rc at EOF" \
	test "$rc" = 0 -a "$(sha256sum <"$TMP/ncl-k.log" | cut -c1-64)" = "$sum"

# --- rsync daemon ----------------------------------------------------------
mkdir -p "$TMP/tree/a/b" "$TMP/rs"
cp "$TMP/2M.bin" "$TMP/tree/a/two.bin"
cp "$TMP/www/k1.bin" "$TMP/tree/a/b/k1.bin"
echo small >"$TMP/tree/small.txt"
ln -s a/two.bin "$TMP/tree/link"
# rsync_checks WHERE RUNNER HOST PORT: push the tree, pull it back
rsync_checks() {
	local where=$1 run=$2 url=rsync://$3:$4/m rc
	rm -rf "$TMP/rs/up-$4" "$TMP/back-$4"
	timed t $run 30 rsync -a "$TMP/tree/" "$url/up-$4/" >"$TMP/rsync-$4.log" 2>&1
	rc=$?
	check "$where: rsync pushes a tree (exit $rc, $((t / 10)).$((t % 10)) s, $(last "$TMP/rsync-$4.log"))" \
		diff -r --no-dereference "$TMP/tree" "$TMP/rs/up-$4"
	timed t $run 30 rsync -a "$url/up-$4/" "$TMP/back-$4/" >"$TMP/rsync-$4.log" 2>&1
	rc=$?
	check "$where: rsync pulls it back (exit $rc, $((t / 10)).$((t % 10)) s, $(last "$TMP/rsync-$4.log"))" \
		diff -r --no-dereference "$TMP/tree" "$TMP/back-$4"
}
rsyncd_conf() { # PORT
	printf 'use chroot = no\nmunge symlinks = no\nlog file = %s\n[m]\n\tpath = %s\n\tread only = no\n\tuid = root\n\tgid = root\n' \
		"$TMP/rsyncd-$1.log" "$TMP/rs" >"$TMP/rsyncd-$1.conf"
	echo "$TMP/rsyncd-$1.conf"
}
bg_us "$TMP/rsd-us.log" 60 rsync --daemon --no-detach --port=8560 --config="$(rsyncd_conf 8560)"
rsd=$BGPID
up "$rsd" listening 8560
check "rsync --daemon on ustack listens ($(last "$TMP/rsyncd-8560.log"))" listening 8560
rsync_checks "rsync daemon on ustack, the kernel's rsync" kn $US 8560
stop "$rsd"
bg_kn "$TMP/rsd-k.log" 60 rsync --daemon --no-detach --port=8561 --address=$KERNEL \
	--config="$(rsyncd_conf 8561)"
rsd=$BGPID
up "$rsd" kn_listening 8561 || fail "the kernel's rsync daemon starts ($(last "$TMP/rsyncd-8561.log"))"
rsync_checks "rsync on ustack, the kernel's daemon" us $KERNEL 8561
stop "$rsd"

# --- openssl s_server / s_client -----------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=stock -keyout "$TMP/tls.key" -out "$TMP/tls.crt" 2>/dev/null
# tls_checks WHERE RUNNER HOST PORT: s_client and curl -k
tls_checks() {
	local where=$1 run=$2 host=$3 port=$4 out
	out=$(printf 'GET / HTTP/1.0\r\n\r\n' | $run 20 openssl s_client -connect "$host:$port" -quiet 2>&1)
	check "$where: openssl s_client gets s_server's page ($(grep -m1 -E 'HTTP/|error|errno' <<<"$out" | tr -d '\r'))" \
		grep -q 'Ciphers supported in s_server binary' <<<"$out"
	out=$($run 20 curl -sk "https://$host:$port/" 2>&1)
	check "$where: curl -k over TLS gets s_server's page" \
		grep -q 'Ciphers supported in s_server binary' <<<"$out"
}
# tls_file WHERE RUNNER HOST PORT: curl -k gets 10 MB from s_server -WWW
tls_file() {
	local where=$1 run=$2 host=$3 port=$4 t rc
	rm -f "$TMP/got-tls.bin"
	timed t $run 30 curl -sk -o "$TMP/got-tls.bin" "https://$host:$port/10M.bin"
	rc=$?
	check "$where: curl -k gets 10 MB over TLS from s_server -WWW intact (exit $rc, $((t / 10)).$((t % 10)) s)" \
		same "$TMP/www/10M.bin" "$TMP/got-tls.bin"
}
bg_us "$TMP/tls-us.log" 60 openssl s_server -accept 8570 -cert "$TMP/tls.crt" -key "$TMP/tls.key" -www
tls=$BGPID
up "$tls" listening 8570
check "openssl s_server on ustack listens ($(last "$TMP/tls-us.log"))" listening 8570
tls_checks "openssl s_server -www on ustack, the kernel's clients" kn $US 8570
stop "$tls"
bg_kn "$TMP/tls-k.log" 60 openssl s_server -accept 8571 -cert "$TMP/tls.crt" -key "$TMP/tls.key" -www
tls=$BGPID
up "$tls" kn_listening 8571 || fail "the kernel's s_server starts"
tls_checks "openssl s_server -www on the kernel, the clients on ustack" us $KERNEL 8571
stop "$tls"
# s_server -WWW serves the files of its working directory
bg_us "$TMP/tlsf-us.log" 60 sh -c 'cd "$1" && shift && exec "$@"' sh "$TMP/www" \
	openssl s_server -accept 8572 -cert "$TMP/tls.crt" -key "$TMP/tls.key" -WWW -quiet
tls=$BGPID
up "$tls" listening 8572
tls_file "openssl s_server -WWW on ustack, the kernel's curl" kn $US 8572
stop "$tls"
bg_kn "$TMP/tlsf-k.log" 60 sh -c 'cd "$1" && shift && exec "$@"' sh "$TMP/www" \
	openssl s_server -accept 8573 -cert "$TMP/tls.crt" -key "$TMP/tls.key" -WWW -quiet
tls=$BGPID
up "$tls" kn_listening 8573 || fail "the kernel's s_server -WWW starts"
tls_file "openssl s_server -WWW on the kernel, curl on ustack" us $KERNEL 8573
stop "$tls"

if [ "$REFERENCE" != kernel ]; then
	stop_ustackd "$DPID"
	check "ustackd exits 0" test $? -eq 0
	grep -E 'sockets:|control:' "$TMP/ustackd.log"
fi
summary
