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
	--capture "$TMP/on.pcap" || { fail "ustackd starts"; summary; exit 1; }
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
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
if command -v tshark >/dev/null; then
	# the transfers' random bytes as data: no dissector guesses at them
	# (Zipkin's 9411 once made tshark read a segment as Thrift)
	bad=$(tshark -r "$TMP/on.pcap" -d tcp.port==9401,data -d tcp.port==9404,data \
		-Y '_ws.malformed || _ws.expert.severity >= error' 2>/dev/null | wc -l)
	big=$(tshark -r "$TMP/on.pcap" -Y "frame.len > 1514 && ip.dst == $US" 2>/dev/null | wc -l)
	check "the capture reads in tshark: no malformed frame ($bad), merged segments as they came ($big over 1514 bytes)" \
		test "$bad" = 0 -a "$big" -gt 0
	outbig=$(tshark -r "$TMP/on.pcap" -Y "frame.len > 1514 && ip.src == $US" 2>/dev/null | wc -l)
	outsegs=$(tshark -r "$TMP/on.pcap" -Y "ip.src == $US && tcp.len >= 1400" 2>/dev/null | wc -l)
	badck=$(tshark -r "$TMP/on.pcap" -o tcp.check_checksum:TRUE -Y "ip.src == $US && tcp.checksum.status == 0" 2>/dev/null | wc -l)
	check "ustack's frames of segments are in the capture as the wire's segments ($outsegs full ones, $outbig over 1514 bytes, $badck bad checksums)" \
		test "$outbig" = 0 -a "$outsegs" -gt 10000 -a "$badck" = 0
else
	fail "tshark is installed (make deps)"
fi

# --- offload no ------------------------------------------------------------
start_ustackd "$NS" "$TMP/ustackd-off.log" "$SOCK" --tap ustk1 --addr $US/24 \
	--offload no || { fail "ustackd starts with --offload no"; summary; exit 1; }
in_ns ip addr add $KERNEL/24 dev ustk1
check "20 MB from the kernel, offload no: intact" transfer 9402
check "20 MB from ustack to the kernel, offload no: intact" transfer_out 9405
gso=$(stat_of rx_gso); cs=$(stat_of rx_csum_offload); tgso=$(stat_of tx_gso)
check "no merged segment, no partial checksum, none to cut (eth.rx_gso $gso, eth.rx_csum_offload $cs, eth.tx_gso $tgso)" \
	test "${gso:-0}" = 0 -a "${cs:-0}" = 0 -a "${tgso:-0}" = 0
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
