#!/usr/bin/env bash
# A TAP's offloads (ustackd.conf(5) offload): with them on (the default)
# the kernel hands ustack its TCP segments merged, up to 64 KiB a read,
# and TCP and UDP with the checksum left partial, and ustack hands the
# kernel frames of up to 64 KiB of TCP segments for it to cut; data must
# arrive intact both ways and the counters must show it (eth.rx_gso,
# eth.rx_csum_offload, eth.tx_gso). With offload no, and while the link
# is impaired, plain frames with whole checksums; a capture taken with
# offloads on reads in tshark without a malformed frame, and holds what
# ustack sent as the wire's segments (none over the MTU).
# UDP (USO, where the kernel takes TUN_F_USO4|USO6): a program's burst of
# datagrams goes as frames the kernel cuts (eth.tx_uso), every datagram
# arriving whole and alone; a kernel sender's UDP_SEGMENT datagrams come
# merged (eth.rx_uso) and reach a program on ustack one by one; the
# capture holds them as the wire carries them. With offload no, none.
source "$(dirname "$0")/lib.sh"
need_root "43-offload"

B=$PWD/$BUILD
RUN=$B/ustack-run
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock
chmod 711 "$TMP"
head -c 20000000 /dev/urandom >"$TMP/f.bin"
chmod 644 "$TMP/f.bin"
SUM=$(sha256sum <"$TMP/f.bin" | cut -d' ' -f1)

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
stat_of() { "$B/ustackctl" --socket "$SOCK" stats | awk -v k="$1" '$1 == k { print $2 }'; }

# a server that reads everything and prints its sha256, in the namespace
sink_py='
import hashlib, socket, sys
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind((sys.argv[1], int(sys.argv[2]))); l.listen(1)
c, _ = l.accept(); h = hashlib.sha256()
while True:
    d = c.recv(1 << 20)
    if not d:
        break
    h.update(d)
print(h.hexdigest(), flush=True)'
# a sender of the file
send_py='
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
with open(sys.argv[3], "rb") as f:
    s.sendall(f.read())
s.close()'
# UDP: an echo server on ustack, the kernel asks
uecho_py='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 9400))
print("bound", flush=True)
d, a = s.recvfrom(65535); s.sendto(d, a)'
uask_py='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b"x" * 3000, (sys.argv[1], 9400))
print(len(s.recvfrom(65535)[0]))'

# UDP: N datagrams, each saying its number and length (1200 bytes, every
# 7th shorter), in bursts; the receiver checks each and counts them
usend_py='
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], int(sys.argv[2])))
n = int(sys.argv[3])
for i in range(n):
    ln = 1200 if i % 7 else 300 + i % 500
    s.send(struct.pack("!II", i, ln) + bytes((i + k) & 255 for k in range(ln - 8)))
    if i % 64 == 63:
        time.sleep(0.002)
print("sent", n, flush=True)'
urecv_py='
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)   # SO_RCVBUFFORCE
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
s.bind((sys.argv[1], int(sys.argv[2]))); s.settimeout(5)
print("bound", flush=True)
n, want, seen, bad = 0, int(sys.argv[3]), set(), 0
try:
    while len(seen) < want:
        d = s.recv(65535)
        i, ln = struct.unpack("!II", d[:8])
        body = bytes((i + k) & 255 for k in range(ln - 8)) if sys.argv[4] == "n" else None
        if len(d) != ln or (body is not None and d[8:] != body):
            bad += 1
        seen.add(i)
except socket.timeout:
    pass
print("got", len(seen), "bad", bad, flush=True)'
# the kernel sends with UDP_SEGMENT: 10 datagrams of 1000 bytes per send
# (the receiver checks each one: number, length, contents)
ugso_py='
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_UDP, 103, 1000)      # UDP_SEGMENT
s.connect((sys.argv[1], int(sys.argv[2])))
n = int(sys.argv[3])
for j in range(0, n, 10):
    s.send(b"".join(struct.pack("!II", i, 1000) + bytes((i + k) & 255 for k in range(992))
                    for i in range(j, j + 10)))
    time.sleep(0.003)
print("sent", n, flush=True)'
udp_out() {     # port n: a program on ustack to the kernel
	in_ns timeout 60 python3 -c "$urecv_py" $KERNEL "$1" "$2" n >"$TMP/urecv-$1.out" 2>&1 &
	local srv=$!
	PIDS+=($srv)
	wait_for 10 grep -q bound "$TMP/urecv-$1.out"
	in_ns timeout 60 "$RUN" --socket "$SOCK" python3 -c "$usend_py" $KERNEL "$1" "$2" >/dev/null
	wait $srv
	grep -q "^got $2 bad 0$" "$TMP/urecv-$1.out"
}
udp_in() {      # port n: the kernel (UDP_SEGMENT) to a program on ustack
	in_ns timeout 60 "$RUN" --socket "$SOCK" python3 -c "$urecv_py" $US "$1" "$2" n \
		>"$TMP/urecv-$1.out" 2>&1 &
	local srv=$!
	PIDS+=($srv)
	wait_for 10 grep -q bound "$TMP/urecv-$1.out"
	in_ns timeout 60 python3 -c "$ugso_py" $US "$1" "$2" >/dev/null
	wait $srv
	grep -q "^got $2 bad 0$" "$TMP/urecv-$1.out"
}

# transfer MODE: the kernel sends the file to a server under ustack-run
transfer() {
	local port=$1 out
	in_ns timeout 60 "$RUN" --socket "$SOCK" python3 -c "$sink_py" $US "$port" \
		>"$TMP/sink-$port.out" 2>&1 &
	local srv=$!
	PIDS+=($srv)
	wait_for 10 ustack_bound "$SOCK" "$port"
	in_ns timeout 60 python3 -c "$send_py" $US "$port" "$TMP/f.bin"
	wait $srv
	out=$(cat "$TMP/sink-$port.out")
	[ "$out" = "$SUM" ]
}

kernel_listening() { in_ns ss -Htln "sport = :$1" | grep -q .; }
# transfer_out: a program under ustack-run sends the file to the kernel
transfer_out() {
	local port=$1 out
	in_ns timeout 60 python3 -c "$sink_py" $KERNEL "$port" \
		>"$TMP/ksink-$port.out" 2>&1 &
	local srv=$!
	PIDS+=($srv)
	wait_for 10 kernel_listening "$port"
	in_ns timeout 60 "$RUN" --socket "$SOCK" python3 -c "$send_py" $KERNEL "$port" "$TMP/f.bin"
	wait $srv
	out=$(cat "$TMP/ksink-$port.out")
	[ "$out" = "$SUM" ]
}

# --- offloads on (the default), with a capture ---------------------------
start_ustackd "$NS" "$TMP/ustackd-on.log" "$SOCK" --tap ustk0 --addr $US/24 \
	--offload yes --capture "$TMP/on.pcap" || { fail "ustackd starts"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk0
check "the log says offloads are on ($(grep -o 'offload on' "$TMP/ustackd-on.log" | head -n1))" \
	grep -q "segmentation offload on" "$TMP/ustackd-on.log"
check "20 MB from the kernel to a server on ustack, offloads on: intact" transfer 9401
gso=$(stat_of rx_gso); cs=$(stat_of rx_csum_offload)
check "the kernel's segments came merged (eth.rx_gso $gso) with partial checksums (eth.rx_csum_offload $cs)" \
	test "${gso:-0}" -gt 0 -a "${cs:-0}" -gt 0
check "20 MB from a program on ustack to the kernel, offloads on: intact" transfer_out 9404
tgso=$(stat_of tx_gso)
check "ustack sent frames of segments for the kernel to cut (eth.tx_gso $tgso)" \
	test "${tgso:-0}" -gt 0
in_ns timeout 20 "$RUN" --socket "$SOCK" python3 -c "$uecho_py" $US >"$TMP/uecho.out" 2>&1 &
PIDS+=($!)
wait_for 10 grep -q bound "$TMP/uecho.out"
out=$(in_ns timeout 10 python3 -c "$uask_py" $US 2>&1)
check "a 3000-byte UDP datagram from the kernel (partial checksum) echoed by ustack ($out)" \
	test "$out" = 3000
uso=no
grep -q "UDP segmentation offload on" "$TMP/ustackd-on.log" && uso=yes
udp_out 9407 5000; rc=$?
check "5000 UDP datagrams from a program on ustack to the kernel, offloads on: each whole ($(tail -n1 "$TMP/urecv-9407.out"))" \
	test $rc = 0
tuso=$(stat_of tx_uso); tusos=$(stat_of tx_uso_segs)
if [ $uso = yes ]; then
	check "ustack sent frames of datagrams for the kernel to cut (eth.tx_uso $tuso, $tusos datagrams)" \
		test "${tuso:-0}" -gt 0 -a "${tusos:-0}" -gt "${tuso:-0}"
else
	ok "# SKIP the kernel takes no USO (TUN_F_USO4|USO6, Linux 6.2): eth.tx_uso $tuso"
fi
udp_in 9408 2000; rc=$?
check "2000 datagrams the kernel sent with UDP_SEGMENT reach a program on ustack one by one ($(tail -n1 "$TMP/urecv-9408.out"))" \
	test $rc = 0
ruso=$(stat_of rx_uso); rusos=$(stat_of rx_uso_segs)
if [ $uso = yes ]; then
	check "the kernel's datagrams came merged and were split (eth.rx_uso $ruso, $rusos datagrams)" \
		test "${ruso:-0}" -gt 0 -a "${rusos:-0}" -gt "${ruso:-0}"
fi
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
if command -v tshark >/dev/null; then
	# the transfers' random bytes as data: no dissector guesses at them
	# (Zipkin's 9411 once made tshark read a segment as Thrift)
	bad=$(tshark -r "$TMP/on.pcap" -d tcp.port==9401,data -d tcp.port==9404,data \
		-d udp.port==9407,data -d udp.port==9408,data \
		-Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l)
	big=$(tshark -r "$TMP/on.pcap" -Y "frame.len > 1514 && ip.dst == $US" 2>/dev/null | wc -l)
	check "the capture reads in tshark: no malformed frame ($bad), merged segments as they came ($big over 1514 bytes)" \
		test "$bad" = 0 -a "$big" -gt 0
	outbig=$(tshark -r "$TMP/on.pcap" -Y "frame.len > 1514 && ip.src == $US" 2>/dev/null | wc -l)
	outsegs=$(tshark -r "$TMP/on.pcap" -Y "ip.src == $US && tcp.len >= 1400" 2>/dev/null | wc -l)
	badck=$(tshark -r "$TMP/on.pcap" -o tcp.check_checksum:TRUE -Y "ip.src == $US && tcp.checksum.status == 0" 2>/dev/null | wc -l)
	check "ustack's frames of segments are in the capture as the wire's segments ($outsegs full ones, $outbig over 1514 bytes, $badck bad checksums)" \
		test "$outbig" = 0 -a "$outsegs" -gt 10000 -a "$badck" = 0
	uout=$(tshark -r "$TMP/on.pcap" -Y "udp.dstport == 9407" 2>/dev/null | wc -l)
	uin=$(tshark -r "$TMP/on.pcap" -Y "udp.dstport == 9408" 2>/dev/null | wc -l)
	ubig=$(tshark -r "$TMP/on.pcap" -Y "udp && frame.len > 1514" 2>/dev/null | wc -l)
	ubad=$(tshark -r "$TMP/on.pcap" -o udp.check_checksum:TRUE -Y "udp.checksum.status == 0" 2>/dev/null | wc -l)
	check "the capture holds the UDP datagrams one by one, as the wire carries them ($uout out, $uin in, $ubig over 1514 bytes, $ubad bad checksums)" \
		test "$uout" = 5000 -a "$uin" = 2000 -a "$ubig" = 0 -a "$ubad" = 0
else
	fail "tshark is installed (make deps)"
fi

# --- offload no ------------------------------------------------------------
start_ustackd "$NS" "$TMP/ustackd-off.log" "$SOCK" --tap ustk1 --addr $US/24 \
	--offload no || { fail "ustackd starts with --offload no"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk1
check "20 MB from the kernel, offload no: intact" transfer 9402
check "20 MB from ustack to the kernel, offload no: intact" transfer_out 9405
check "5000 UDP datagrams from ustack to the kernel, offload no: each whole" udp_out 9409 5000
check "2000 UDP_SEGMENT datagrams from the kernel, offload no: one by one" udp_in 9410 2000
gso=$(stat_of rx_gso); cs=$(stat_of rx_csum_offload); tgso=$(stat_of tx_gso)
tuso=$(stat_of tx_uso); ruso=$(stat_of rx_uso)
check "no merged segment, no partial checksum, none to cut (eth.rx_gso $gso, eth.rx_csum_offload $cs, eth.tx_gso $tgso, eth.tx_uso $tuso, eth.rx_uso $ruso)" \
	test "${gso:-0}" = 0 -a "${cs:-0}" = 0 -a "${tgso:-0}" = 0 -a "${tuso:-0}" = 0 -a "${ruso:-0}" = 0
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0

# --- impaired: offloads off while it lasts -----------------------------------
start_ustackd "$NS" "$TMP/ustackd-imp.log" "$SOCK" --tap ustk2 --addr $US/24 \
	--impair loss=0.01,corrupt=0.01,seed=7 || { fail "ustackd starts impaired"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk2
check "20 MB from the kernel through 1% loss and 1% corruption: intact" transfer 9403
check "20 MB from ustack to the kernel through them: intact" transfer_out 9406
a=$(stat_of rx_gso); b=$(stat_of tx_gso); gso=$((${a:-0} + ${b:-0}))
bad=$("$B/ustackctl" --socket "$SOCK" stats | awk '$1 == "rx_bad_cksum" { n += $2 } END { print n + 0 }')
check "impaired: plain frames both ways (eth.rx_gso and tx_gso $gso), corruption caught by checksums ($bad)" \
	test "$gso" = 0 -a "$bad" -gt 0
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
summary
