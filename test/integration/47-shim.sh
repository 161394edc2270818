#!/usr/bin/env bash
# Where a program leaves the shim's view (libclient, ustack-run(1)):
# - a socket libc closes itself (getaddrinfo()'s probe socket): the next
#   file opened on its number must read as a file;
# - a child exec'd without the shim (sshd gives a session a clean
#   environment; env -i; a static program): it keeps working, and its new
#   sockets are ustack's too (ustack-run's supervisor serves them); with
#   USTACK_SUPERVISE=0 they are the kernel's, while its parent's stay
#   ustack's;
# - address space randomization off (setarch -R): no trap (said once
#   without the supervisor), libc's own calls served by the supervisor;
# - a stock sshd on ustack loads its host key and runs a session command
#   that opens a socket and looks up a user;
# - servers whose daemon ends: the listener goes quiet, no accept() loop.
source "$(dirname "$0")/lib.sh"
need_root "47-shim"

B=$PWD/$BUILD
RUN=$B/ustack-run
US=192.0.2.2
KERNEL=192.0.2.1
SOCK=$TMP/ctl.sock

new_netns NS || { fail "create namespace"; summary; exit 1; }
start_ustackd "$NS" "$TMP/ustackd.log" "$SOCK" --tap ustk0 --addr $US/24 \
	|| { fail "ustackd starts"; summary; exit 1; }
ip -n "$NS" addr add $KERNEL/24 dev ustk0
in_ns() { ip netns exec "$NS" timeout -k 5 30 "$@"; }
ur() { in_ns "$RUN" --socket "$SOCK" "$@"; }

# a kernel listener for the children, for the whole script: it accepts
# and closes
ip netns exec "$NS" timeout 300 python3 -c '
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("'$KERNEL'", 7300)); l.listen(16)
while True: l.accept()[0].close()' >/dev/null 2>&1 &
PIDS+=($!)
kbound() { ip netns exec "$NS" ss -Htln "sport = :7300" | grep -q .; }
wait_for 10 kbound || fail "the kernel's listener starts"

# --- 1. a socket closed inside libc ------------------------------------
repro='import socket,os; socket.getaddrinfo(None,2222,0,1,0,socket.AI_PASSIVE); print(os.read(os.open("/etc/hostname",0),64).decode().strip())'
want=$(in_ns python3 -c "$repro" 2>&1)
out=$(ur python3 -c "$repro" 2>&1)
check "after getaddrinfo(), a file opened on the probe socket's number reads ($out)" \
	test -n "$want" -a "$out" = "$want"

# --- 2. children without the shim --------------------------------------
# whose socket is it? connected to the kernel's 192.0.2.1, a kernel socket
# has that address too; a ustack socket has 192.0.2.2
whose='import socket; s=socket.socket(); s.connect(("'$KERNEL'",7300)); print(s.getsockname()[0])'
out=$(ur sh -c "env -u LD_PRELOAD python3 -c '$whose'; echo \"exit \$?\"" 2>&1)
check "env -u LD_PRELOAD python3 under ustack-run: a socket, ustack's ($(tr '\n' ' ' <<<"$out"))" \
	test "$out" = $'192.0.2.2\nexit 0'
out=$(ur sh -c "env -i PATH=\$PATH python3 -c '$whose'; python3 -c '$whose'" 2>&1)
check "env -i child on ustack, then its parent's next child on ustack ($(tr '\n' ' ' <<<"$out"))" \
	test "$out" = $'192.0.2.2\n192.0.2.2'
out=$(USTACK_SUPERVISE=0 ur sh -c "env -i PATH=\$PATH python3 -c '$whose'; python3 -c '$whose'" 2>&1)
check "USTACK_SUPERVISE=0: env -i child on the kernel, then its parent's next child on ustack ($(tr '\n' ' ' <<<"$out"))" \
	test "$out" = $'192.0.2.1\n192.0.2.2'
want=$(getent passwd root)
out=$(ur sh -c 'env -u LD_PRELOAD getent passwd root; echo "exit $?"' 2>&1)
check "env -u LD_PRELOAD getent passwd root under ustack-run ($(tr '\n' ' ' <<<"$out"))" \
	test "$out" = "$want"$'\nexit 0'
cat >"$TMP/static.c" <<'EOF'
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7300) }, me;
	socklen_t l = sizeof(me);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, argv[1], &a.sin_addr);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&me, &l))
		return 1;
	printf("%s\n", inet_ntoa(me.sin_addr));
	return 0;
}
EOF
if ${CC:-cc} -static -o "$TMP/static" "$TMP/static.c" 2>"$TMP/static.err"; then
	out=$(ur sh -c "'$TMP/static' $KERNEL; echo \"exit \$?\"" 2>&1)
	check "a static program exec'd under ustack-run: its socket is ustack's ($(tr '\n' ' ' <<<"$out"))" \
		test "$out" = $'192.0.2.2\nexit 0'
	out=$(USTACK_SUPERVISE=0 ur sh -c "'$TMP/static' $KERNEL; echo \"exit \$?\"" 2>&1)
	check "USTACK_SUPERVISE=0: a static program exec'd under ustack-run: its socket is the kernel's ($(tr '\n' ' ' <<<"$out"))" \
		test "$out" = $'192.0.2.1\nexit 0'
else
	fail "cc -static builds a test program: $(head -n1 "$TMP/static.err")"
fi

# --- 3. address space randomization off --------------------------------
out=$(USTACK_SUPERVISE=0 setarch -R ip netns exec "$NS" timeout 30 "$RUN" --socket "$SOCK" \
	sh -c "sh -c true; env -u LD_PRELOAD python3 -c '$whose'; python3 -c '$whose'" \
	2>"$TMP/noaslr.err")
notes=$(grep -c 'randomization is off' "$TMP/noaslr.err")
check "setarch -R, USTACK_SUPERVISE=0: the shimless child works, the shim's sockets stay ustack's ($(tr '\n' ' ' <<<"$out"))" \
	test "$out" = $'192.0.2.1\n192.0.2.2'
check "setarch -R, USTACK_SUPERVISE=0: ustack-run says once that the trap is off ($notes)" test "$notes" -eq 1
# with the supervisor, libc's own calls (getaddrinfo's probe, a resolver)
# reach ustack without the trap, and nothing is said
out=$(setarch -R ip netns exec "$NS" timeout 30 "$RUN" --socket "$SOCK" \
	sh -c "env -u LD_PRELOAD python3 -c '$whose'; python3 -c '$whose'; getent ahostsv4 localhost | head -n1" \
	2>"$TMP/noaslr2.err")
check "setarch -R: every socket ustack's, getent works, nothing said ($(tr '\n' ' ' <<<"$out")$(cat "$TMP/noaslr2.err"))" \
	test "$(head -n2 <<<"$out")" = $'192.0.2.2\n192.0.2.2' -a ! -s "$TMP/noaslr2.err" -a -n "$(sed -n 3p <<<"$out")"

# --- 4. a stock sshd on ustack ------------------------------------------
SSHD=$(PATH=$PATH:/usr/sbin command -v sshd)
if [ -z "$SSHD" ] || ! command -v ssh >/dev/null; then
	fail "sshd and ssh are installed (make deps)"
else
	ssh-keygen -q -t ed25519 -N '' -f "$TMP/hostkey"
	ssh-keygen -q -t ed25519 -N '' -f "$TMP/userkey"
	cp "$TMP/userkey.pub" "$TMP/authorized_keys"
	# sshd wants /run/sshd (systemd's RuntimeDirectory): a private /run
	ip netns exec "$NS" timeout -k 5 60 "$RUN" --socket "$SOCK" \
		unshare -m --propagation private sh -c \
		'mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd && exec "$@"' \
		sh "$SSHD" -D -e -f /etc/ssh/sshd_config -o Port=2222 \
		-o HostKey="$TMP/hostkey" -o PidFile="$TMP/sshd.pid" \
		-o AuthorizedKeysFile="$TMP/authorized_keys" -o StrictModes=no \
		>"$TMP/sshd.log" 2>&1 &
	sshd=$!
	PIDS+=($sshd)
	listening() { "$B/ustackctl" --socket "$SOCK" netstat -n --state listen | grep -q ":2222 "; }
	wait_for 10 listening
	check "sshd on ustack loads its host key and listens ($(tail -n1 "$TMP/sshd.log"))" listening
	out=$(in_ns ssh -F /dev/null -i "$TMP/userkey" -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR -o ConnectTimeout=10 -p 2222 root@$US \
		"python3 -c '$whose'; getent passwd root | cut -d: -f1" 2>&1)
	check "an ssh session on ustack's sshd: python3 opens a socket (ustack's), getent works ($(tr '\n' ' ' <<<"$out"))" \
		test "$out" = $'192.0.2.2\nroot'
	kill -TERM $sshd 2>/dev/null
	wait $sshd 2>/dev/null
fi

# --- 5. servers that outlive the daemon --------------------------------
# the listening channel reads end-of-file when ustackd ends: a program's
# event loop must not spin on accept() (asyncio logged an EINVAL
# traceback each time, at full CPU), a blocking accept() must block
cat >"$TMP/aserver.py" <<'EOF2'
import asyncio, sys
async def main():
    srv = await asyncio.start_server(lambda r, w: w.close(), sys.argv[1], 7400)
    print("listening", flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
EOF2
cat >"$TMP/bserver.py" <<'EOF2'
import socket, sys
l = socket.socket(); l.bind((sys.argv[1], 7401)); l.listen(8)
print("listening", flush=True)
while True:
    try:
        l.accept()[0].close()
    except OSError as e:
        print("accept:", e, flush=True)
EOF2
chmod 644 "$TMP"/?server.py
ip netns exec "$NS" timeout -k 5 60 "$RUN" --socket "$SOCK" python3 "$TMP/aserver.py" $US >"$TMP/aserver.log" 2>&1 &
asrv=$!
ip netns exec "$NS" timeout -k 5 60 "$RUN" --socket "$SOCK" python3 "$TMP/bserver.py" $US >"$TMP/bserver.log" 2>&1 &
bsrv=$!
PIDS+=($asrv $bsrv)
up() { grep -q listening "$TMP/aserver.log" && grep -q listening "$TMP/bserver.log"; }
wait_for 10 up || fail "the two servers listen on ustack"
stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
said() { grep -q "ustackd is gone" "$TMP/aserver.log"; }
wait_for 10 said
check "asyncio's listener, its daemon gone: said once on stderr ($(grep -c "ustackd is gone" "$TMP/aserver.log"))" \
	test "$(grep -c "ustackd is gone" "$TMP/aserver.log")" = 1
# a spinning loop would have written hundreds of tracebacks by now
sleep 1
check "asyncio does not spin on accept() ($(grep -c Errno "$TMP/aserver.log") errors logged)" \
	test "$(grep -c Errno "$TMP/aserver.log")" = 0
check "a blocking accept() blocks ($(grep -c accept: "$TMP/bserver.log") errors)" \
	test "$(grep -c accept: "$TMP/bserver.log")" = 0
check "both servers still run" kill -0 $asrv $bsrv
summary
