#!/usr/bin/env bash
# ustackd's command line, configuration file and background start.
source "$(dirname "$0")/lib.sh"
need_root "05-cli"

out=$("$USTACKD" --help); rc=$?
check "--help exits 0" test $rc -eq 0
for opt in tap pcap addr gateway mac mtu config socket foreground log-level capture impair print-config; do
	check "--help documents --$opt" grep -q -- "--$opt" <<<"$out"
done
check "--version names the version" bash -c "'$USTACKD' --version | grep -q '^ustackd [0-9]'"

out=$("$USTACKD" --bogus 2>&1); rc=$?
check "an unknown option exits 2 ($rc)" test $rc -eq 2
out=$("$USTACKD" --addr 192.0.2.2 --print-config 2>&1); rc=$?
check "an address without prefix is refused, exit 2" test $rc -eq 2
check "...with a message naming the problem" grep -q 'prefix length' <<<"$out"
out=$("$USTACKD" --addr 192.0.2.2/24 --gateway 198.51.100.1 --print-config 2>&1); rc=$?
check "an off-subnet gateway is refused ($out)" test $rc -eq 2
out=$("$USTACKD" --addr 192.0.2.2/24 --impair loss=2 --print-config 2>&1); rc=$?
check "a bad impairment is refused ($out)" test $rc -eq 2

cat >"$TMP/ustackd.conf" <<'CONF'
# a test configuration
tap = ustk9
addr = 192.0.2.2/24
addr = 198.51.100.7/25
gateway = 192.0.2.1
mtu = 9000
neigh_max_entries = 64    # underscores work too
arp-queue-len = 7         # a name from before, now ignored
arp-retries = 4           # a name from before, renamed
impair = loss=0.1,seed=3
CONF
out=$("$USTACKD" --config "$TMP/ustackd.conf" --mtu 1400 --print-config); rc=$?
check "--config with --print-config exits 0" test $rc -eq 0
check "file values are used (tap)" grep -qx 'tap = ustk9' <<<"$out"
check "repeated addr keys give two addresses" test "$(grep -c '^addr = ' <<<"$out")" -eq 2
check "the command line overrides the file (mtu 1400)" grep -qx 'mtu = 1400' <<<"$out"
check "underscore keys are accepted" grep -qx 'neigh-max-entries = 64' <<<"$out"
check "a renamed key is still read (arp-retries)" grep -qx 'neigh-mcast-solicit = 4' <<<"$out"
check "an obsolete key is ignored (arp-queue-len)" grep -qx 'neigh-queue-bytes = 212992' <<<"$out"
check "impairment printed canonically" grep -q '^impair = loss=0.1,.*seed=3$' <<<"$out"
check "a stable default MAC is derived" grep -q '^mac = 02:' <<<"$out"
out2=$("$USTACKD" --config "$TMP/ustackd.conf" --mtu 1400 --print-config)
check "...and it is the same every time" test "$out" = "$out2"
"$USTACKD" --config "$TMP/ustackd.conf" --print-config >"$TMP/printed.conf"
out3=$("$USTACKD" --config "$TMP/printed.conf" --print-config | grep -v '^#')
check "--print-config output reads back as a config file" \
	test "$out3" = "$(grep -v '^#' "$TMP/printed.conf")"

echo "nonsense_key = 1" >"$TMP/bad.conf"
out=$("$USTACKD" --config "$TMP/bad.conf" 2>&1); rc=$?
check "unknown key refused with file and line ($out)" \
	test $rc -eq 2 -a -n "$(grep "bad.conf:1: unknown key 'nonsense_key'" <<<"$out")"

# without --foreground: the parent returns once the daemon is ready
new_netns NS || { fail "create namespace"; summary; exit 1; }
SOCK=$TMP/bg.sock
ip netns exec "$NS" "$USTACKD" --tap ustk0 --addr 192.0.2.2/24 --socket "$SOCK"; rc=$?
check "background start: parent exits 0" test $rc -eq 0
check "background start: the socket exists as the parent returns" test -S "$SOCK"
# the control protocol's version, as the daemon speaks it
PROTO_VERSION=$(sed -n 's/^#define USTACK_PROTO_VERSION \([0-9]*\).*/\1/p' proto/ustack_proto.h)
pid=$(python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1])
s.send(struct.pack("<IHHIIiI", 0x75737463, int(sys.argv[2]), 1, 24, 1, 0, 0))
print(struct.unpack("<II", s.recv(4096)[24:32])[1])' "$SOCK" "$PROTO_VERSION")
if [ -n "$pid" ]; then
	PIDS+=("$pid")
	kill -TERM "$pid"
	wait_for 5 test ! -e "$SOCK"
	check "background daemon (pid $pid) stops on SIGTERM and removes its socket" test ! -e "$SOCK"
else
	fail "background daemon answers HELLO"
fi
ip netns exec "$NS" "$USTACKD" --tap ustk0 --addr 192.0.2.2/24 --mtu 100 \
	--socket "$SOCK" 2>"$TMP/err"; rc=$?
check "a bad MTU fails the start with exit 2 ($(cat "$TMP/err"))" test $rc -eq 2
ip netns exec "$NS" "$USTACKD" --pcap no-such-if0 --addr 192.0.2.2/24 \
	--socket "$SOCK" 2>"$TMP/err"; rc=$?
check "a missing interface fails the start with exit 1 and a reason" \
	test $rc -eq 1 -a -s "$TMP/err"
check "...and leaves no socket behind" test ! -e "$SOCK"

summary
