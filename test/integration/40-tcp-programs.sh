#!/usr/bin/env bash
# Real programs over ustack's TCP through ustack-run, against the kernel on
# the other side of the TAP: curl and wget download 30 MB, curl uploads
# 30 MB, python3 -m http.server serves the kernel's curl, socat in both
# roles; then 30 MB each way through --impair (loss, reordering,
# duplication, corruption), intact.
source "$(dirname "$0")/lib.sh"
need_root "40-tcp-programs"

B=$PWD/$BUILD
RUN=$B/ustack-run
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock
WWW=$TMP/www
mkdir -p "$WWW"
head -c 30000000 /dev/urandom >"$WWW/f.bin"
SUM=$(sha256sum <"$WWW/f.bin" | cut -d' ' -f1)

new_netns NS || { fail "create namespace"; summary; exit 1; }
in_ns() { ip netns exec "$NS" "$@"; }
ur() { in_ns timeout 60 "$RUN" --socket "$SOCK" "$@"; }
tcp_bound() { in_ns ss -Htln "sport = :$1" | grep -q .; }
us_bound() { "$B/ustackctl" --socket "$SOCK" netstat -n --state listen | grep -q ":$1 "; }
sum_of() { sha256sum <"$1" | cut -d' ' -f1; }

start() {
	start_ustackd "$NS" "$TMP/ustackd-$1.log" "$SOCK" --tap ustk0 --addr $US/24 "${@:2}" \
		|| { fail "ustackd starts ($1)"; summary; exit 1; }
	in_ns ip addr add $KERNEL/24 dev ustk0 2>/dev/null
}

# a kernel-side upload sink: answers with the sha256 of the request body
upload_py=$(cat <<'PY'
import hashlib, http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        n = int(self.headers['Content-Length']); h = hashlib.sha256()
        while n:
            d = self.rfile.read(min(n, 1 << 20)); h.update(d); n -= len(d)
        b = h.hexdigest().encode()
        self.send_response(200); self.send_header('Content-Length', str(len(b)))
        self.end_headers(); self.wfile.write(b)
    do_POST = do_PUT
    def log_message(self, *a): pass
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()
PY
)

start plain
(cd "$WWW" && exec ip netns exec "$NS" timeout 600 python3 -m http.server 8000 --bind $KERNEL) >/dev/null 2>&1 &
PIDS+=($!)
in_ns timeout 600 python3 -c "$upload_py" $KERNEL 8002 >/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 tcp_bound 8000 && wait_for 10 tcp_bound 8002 || fail "kernel-side servers start"

out=$(ur curl -s -o "$TMP/c.bin" -w '%{http_code}' http://$KERNEL:8000/f.bin)
check "curl under ustack-run downloads 30 MB (HTTP $out, sha256 equal)" \
	test "$out" = 200 -a "$(sum_of "$TMP/c.bin")" = "$SUM"
ur wget -q -O "$TMP/w.bin" http://$KERNEL:8000/f.bin
check "wget under ustack-run downloads 30 MB (exit $?, sha256 equal)" \
	test "$(sum_of "$TMP/w.bin")" = "$SUM"
out=$(ur curl -s -T "$WWW/f.bin" http://$KERNEL:8002/up)
check "curl under ustack-run uploads 30 MB (sha256 equal)" test "$out" = "$SUM"
out=$(ur curl -s -o /dev/null -w '%{http_code}' http://$KERNEL:8000/nothing-here)
check "curl: a 404 over ustack ($out)" test "$out" = 404
out=$(ur curl -s -m 5 http://$KERNEL:8999/ 2>&1; echo "exit $?")
check "curl: connection refused ($out)" grep -q 'exit 7' <<<"$out"

(cd "$WWW" && exec ip netns exec "$NS" timeout 200 "$RUN" --socket "$SOCK" \
	python3 -m http.server 8080 --bind $US) >"$TMP/pyserver.log" 2>&1 &
PIDS+=($!)
# python starts slowly on a loaded machine: wait for its listener
wait_for 30 us_bound 8080
out=$(in_ns timeout 60 curl -s -o "$TMP/k.bin" -w '%{http_code}' http://$US:8080/f.bin)
check "python3 -m http.server under ustack-run serves the kernel's curl (HTTP $out, sha256 equal)" \
	test "$out" = 200 -a "$(sum_of "$TMP/k.bin")" = "$SUM"
ok=0
for i in $(seq 20); do
	out=$(in_ns timeout 10 curl -s http://$US:8080/ | grep -c 'f.bin')
	[ "$out" -ge 1 ] && ok=$((ok + 1))
done
check "20 more requests, each on a new connection ($ok/20)" test $ok -eq 20

# socat TCP in both roles
ur socat TCP4-LISTEN:9000,bind=$US,reuseaddr EXEC:/bin/cat &
PIDS+=($!)
wait_for 30 us_bound 9000
out=$(echo "hello over ustack tcp" | in_ns timeout 10 socat -t 2 - TCP4:$US:9000)
check "socat TCP server under ustack-run echoes ($out)" test "$out" = "hello over ustack tcp"
in_ns timeout 30 socat TCP4-LISTEN:9001,bind=$KERNEL,reuseaddr EXEC:/bin/cat &
PIDS+=($!)
wait_for 10 tcp_bound 9001
out=$(echo "hello kernel tcp" | ur socat -t 2 - TCP4:$KERNEL:9001)
check "socat TCP client under ustack-run gets the echo ($out)" test "$out" = "hello kernel tcp"
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0

# 30 MB each way through an impaired link
start impair --impair loss=0.05,reorder=0.05,dup=0.01,corrupt=0.01,seed=11
# --impair corrupts ARP too, which has no checksum (a real link's FCS would
# drop such a frame): let the kernel announce itself a few times, so that
# the neighbour cache ends with its true address
in_ns arping -q -U -c 4 -w 3 -I ustk0 $KERNEL
in_ns ping -q -c 4 -i 0.2 -W 1 $US >/dev/null
# bounds a hang, not the speed: 5 % loss on a shared 2-core machine took
# 17 to 60 s (as the upload below)
out=$(in_ns timeout 300 "$RUN" --socket "$SOCK" curl -s -m 290 -o "$TMP/i.bin" -w '%{http_code} %{size_download} B in %{time_total} s' http://$KERNEL:8000/f.bin)
check "impaired link: 30 MB download intact (HTTP $out, exit $?)" \
	test "${out%% *}" = 200 -a "$(sum_of "$TMP/i.bin")" = "$SUM"
out=$(in_ns timeout 300 "$RUN" --socket "$SOCK" curl -s -m 290 -T "$WWW/f.bin" http://$KERNEL:8002/up)
check "impaired link: 30 MB upload intact" test "$out" = "$SUM"
stop_ustackd "$DPID"
check "ustackd exits 0 after the impaired transfers" test $? -eq 0
grep -E 'impair (rx|tx):' "$TMP/ustackd-impair.log"
summary
