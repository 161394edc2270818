#!/usr/bin/env bash
# A hostile client of the control socket: random and malformed messages,
# descriptors it does not hold, 100,000 sockets asked for. The daemon must
# answer with errors, stay up, and serve other clients as before.
source "$(dirname "$0")/lib.sh"
need_root "35-hostile"

B=$PWD/$BUILD
RUN=$B/ustack-run
US=192.0.2.2
KERNEL=192.0.2.1
chmod 711 "$TMP"

new_netns NS || { fail "create namespace"; summary; exit 1; }
SOCK=$TMP/ctl.sock
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	--sockets-per-uid 1000 || { fail "ustackd starts"; summary; exit 1; }
ip -n "$NS" addr add $KERNEL/24 dev ustk0
in_ns() { ip netns exec "$NS" "$@"; }
udp_bound() { in_ns ss -Huln "sport = :$1" | grep -q .; }

hostile=$(cat <<'PY'
import os, random, resource, socket, struct, sys, time
HDR = '<IHHIIiI'
MAGIC = 0x75737463
path = sys.argv[1]
VERSION = int(sys.argv[3])
random.seed(4)
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    return s

def msg(typ, body=b'', seq=1, ver=None, magic=MAGIC, ln=None, flags=0, status=0):
    if ver is None:
        ver = VERSION
    if ln is None:
        ln = 24 + len(body)
    return struct.pack(HDR, magic, ver, typ, ln, seq, status, flags) + body

def status(s, m, fds=()):
    if fds:
        socket.send_fds(s, [m], list(fds))
    else:
        s.send(m)
    r, rfds, _, _ = socket.recv_fds(s, 65536, 4)
    for f in rfds:
        os.close(f)
    if not r:
        return 'closed'
    return struct.unpack(HDR, r[:24])[5]

out = {}
# 1. random garbage: every one ends in a disconnect or an error, never a crash
disc = errs = 0
for i in range(300):
    s = conn()
    n = random.randint(0, 300)
    body = bytes(random.getrandbits(8) for _ in range(n))
    if i % 3 == 0 and n >= 24:   # a valid header over random bytes
        body = msg(random.randint(0, 20), body[24:])
    try:
        r = status(s, body)
    except (socket.timeout, ConnectionError):
        r = 'closed'
    if r == 'closed':
        disc += 1
    elif r < 0:
        errs += 1
    s.close()
out['garbage'] = (disc + errs == 300)

s = conn()
sock_req = struct.pack('<iii', socket.AF_INET, socket.SOCK_DGRAM, 0)
# 2. malformed but well framed: error replies, the connection stays
out['short body'] = status(s, msg(2, sock_req[:8]))
out['long body'] = status(s, msg(2, sock_req + b'x'))
out['unknown type'] = status(s, msg(77))
out['reply flag'] = status(s, msg(2 | 0x8000, sock_req))
out['flags set'] = status(s, msg(2, sock_req, flags=4))
out['version 9'] = status(s, msg(2, sock_req, ver=9))
out['bad domain'] = status(s, msg(2, struct.pack('<iii', 1234, 2, 0)))
out['AF_UNIX asked'] = status(s, msg(2, struct.pack('<iii', socket.AF_UNIX, 2, 0)))
out['raw asked'] = status(s, msg(2, struct.pack('<iii', socket.AF_INET, socket.SOCK_RAW, 17)))
# 3. requests naming sockets it does not hold
getname = msg(7)
out['no fd'] = status(s, getname)
r, w = os.pipe()
out['a pipe'] = status(s, getname, [r])
devnull = os.open('/dev/null', os.O_RDONLY)
out['dev null'] = status(s, getname, [devnull])
other = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
out['its own unix socket'] = status(s, getname, [other.fileno()])
out['the control socket itself'] = status(s, getname, [s.fileno()])
out['two fds'] = status(s, getname, [r, w])
out['eight fds'] = status(s, getname, [r] * 8)
out['twenty fds'] = status(s, getname, [r] * 20)
# a real socket, then requests with bad bodies on it
socket.send_fds(s, [msg(2, sock_req)], [])
rep, fds, _, _ = socket.recv_fds(s, 65536, 4)
mine = fds[0]
out['socket'] = struct.unpack(HDR, rep[:24])[5]
bad_addr = struct.pack('<HHII16s', 99, 80, 0, 0, b'')
out['bind bad family'] = status(s, msg(4, bad_addr), [mine])
sockopt = struct.pack('<iiI256s', socket.SOL_SOCKET, socket.SO_RCVBUF, 4096, b'')
out['setsockopt len 4096'] = status(s, msg(9, sockopt), [mine])
# a body of the wrong size, with the socket attached: refused, and the
# descriptor not kept by the daemon (the last check would see it open)
out['setsockopt short body'] = status(s, msg(9, sockopt[:140]), [mine])
dgram = struct.pack('<HHiII', 1, 0, 0, 100, 0) + bytes(28)
out['sendto length lies'] = status(s, msg(13, dgram + b'x' * 5), [mine])
# garbage written straight into the socket's channel
ch = socket.socket(fileno=os.dup(mine))
for i in range(50):
    ch.send(bytes(random.getrandbits(8) for _ in range(random.randint(1, 200))))
out['getsockname after channel garbage'] = status(s, getname, [mine])
ch.close()
# 4. 100,000 sockets asked for, all kept
t0 = time.time()
got = emfile = other_err = 0
held = []
for i in range(100000):
    socket.send_fds(s, [msg(2, sock_req, seq=i)], [])
    rep, fds, _, _ = socket.recv_fds(s, 65536, 4)
    st = struct.unpack(HDR, rep[:24])[5]
    if st == 0:
        got += 1
        held += fds
    elif st == -24:
        emfile += 1
    else:
        other_err += 1
    if time.time() - t0 > 90:
        break
out['sockets granted'] = got
out['EMFILE answers'] = emfile
out['other errors'] = other_err
out['asked'] = i + 1
for k, v in out.items():
    print('%s: %s' % (k, v))
sys.stdout.flush()
# hold them while the test checks that others are served, then exit
time.sleep(float(sys.argv[2]))
PY
)

# the control protocol's version, as the daemon speaks it
PROTO_VERSION=$(sed -n 's/^#define USTACK_PROTO_VERSION \([0-9]*\).*/\1/p' proto/ustack_proto.h)
in_ns timeout 150 python3 -c "$hostile" "$SOCK" 6 "$PROTO_VERSION" >"$TMP/hostile.out" 2>&1 &
HPID=$!
PIDS+=($HPID)
for i in $(seq 1200); do grep -q '^asked:' "$TMP/hostile.out" && break; sleep 0.1; done
cat "$TMP/hostile.out"
val() { sed -n "s/^$1: //p" "$TMP/hostile.out"; }
check "random garbage: every message refused or disconnected" test "$(val garbage)" = True
for k in 'short body' 'long body' 'unknown type' 'reply flag' 'flags set' 'twenty fds' 'setsockopt len 4096' 'setsockopt short body'; do
	check "$k: EINVAL ($(val "$k"))" test "$(val "$k")" = -22
done
check "another protocol version: EPROTONOSUPPORT" test "$(val 'version 9')" = -93
check "an unknown domain: EAFNOSUPPORT" test "$(val 'bad domain')" = -97
check "AF_UNIX asked: EAFNOSUPPORT" test "$(val 'AF_UNIX asked')" = -97
check "raw socket of another protocol than ICMP asked: EPROTONOSUPPORT" test "$(val 'raw asked')" = -93
check "a request without an fd: EBADF" test "$(val 'no fd')" = -9
for k in 'a pipe' 'dev null' 'its own unix socket' 'the control socket itself'; do
	check "fd not held ($k): ENOTSOCK" test "$(val "$k")" = -88
done
check "two fds: EINVAL" test "$(val 'two fds')" = -22
check "bind with a bad family: EAFNOSUPPORT" test "$(val 'bind bad family')" = -97
check "sendto whose length lies: EINVAL" test "$(val 'sendto length lies')" = -22
check "channel garbage dropped, the socket still answers" \
	test "$(val 'getsockname after channel garbage')" = 0
check "100,000 sockets asked for ($(val asked))" test "$(val asked)" = 100000
check "the quota granted (1000 with one already held: $(val 'sockets granted'))" \
	test "$(val 'sockets granted')" = 999
check "the rest answered EMFILE ($(val 'EMFILE answers'))" test "$(val 'EMFILE answers')" = 99001
check "no other error ($(val 'other errors'))" test "$(val 'other errors')" = 0

kill -0 "$DPID" 2>/dev/null
check "ustackd still running" test $? -eq 0
# other clients, while the hostile one holds its sockets: another uid works
in_ns timeout 20 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 9200))
s.settimeout(10)
d, a = s.recvfrom(100); s.sendto(d, a)' $KERNEL &
PIDS+=($!)
wait_for 10 udp_bound 9200
user_copy "$RUN" "$B/libustack-preload.so"
out=$(in_ns timeout 20 setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TMP/bin/ustack-run" --socket "$SOCK" python3 -c '
import socket, sys
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); c.settimeout(3)
c.sendto(b"still here", (sys.argv[1], 9200)); print(c.recv(100).decode())' $KERNEL 2>&1)
check "another user's program is served meanwhile ($out)" test "$out" = "still here"
wait "$HPID"
sleep 0.5
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
grep -E 'sockets:|control:' "$TMP/ustackd.log"
open=$(sed -n 's/.*sockets: open=\([0-9]*\).*/\1/p' "$TMP/ustackd.log")
check "the hostile client's 1000 sockets closed when it died (open=$open)" test "${open:-1}" -eq 0
check "refusals counted (quota_socks, not_ours, no_proof, chan_bad_msg)" \
	grep -q 'quota_socks=99001 .*not_ours=4 .*chan_bad_msg=50' "$TMP/ustackd.log"

# the memory quota: socket buffers one uid may claim (--socket-mem-per-uid)
start_ustackd "$NS" "$TMP/ustackd-mem.log" "$SOCK" --tap ustk0 --addr $US/24 \
	--socket-mem-per-uid 1M || { fail "ustackd starts with a memory quota"; summary; exit 1; }
out=$(in_ns timeout 20 "$RUN" --socket "$SOCK" python3 -c '
import socket
socks, err = [], None
for i in range(10):
    try:
        socks.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    except OSError as e:
        err = e.errno
        break
print(len(socks), err)
try:
    socks[0].setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    print("setsockopt ok")
except OSError as e:
    print("setsockopt", e.errno)
' 2>&1)
check "memory quota: sockets refused with ENOBUFS once 1 MiB is claimed ($(head -n1 <<<"$out"))" \
	grep -q '^2 105$' <<<"$out"
check "memory quota: a larger SO_RCVBUF refused with ENOBUFS" grep -q '^setsockopt 105$' <<<"$out"
stop_ustackd "$DPID"
check "quota refusals counted" grep -q 'quota_mem=' "$TMP/ustackd-mem.log"
summary
