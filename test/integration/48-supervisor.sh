#!/usr/bin/env bash
# Programs the shim cannot reach, served by ustack-run's supervisor
# (libclient/supervise.c, ustack-run(1)):
# - a Go program (Go's runtime makes its own system calls): an HTTP server
#   on ustack that the kernel's curl reaches, and an HTTP client on ustack
#   that fetches from a Go server on the kernel, also by name (Go's own
#   resolver over a connected UDP socket: a plain channel); Debian's caddy
#   as a file server and as a reverse proxy to the kernel's side;
# - a statically linked C client and server (no loader, no shim): TCP both
#   ways, UDP sendto/recvfrom both ways, their connection in netstat under
#   their own name;
# - a blocking accept() interrupted by a signal: EINTR without SA_RESTART,
#   restarted with it, as on Linux;
# - USTACK_SUPERVISE=0: the program's own calls go to the kernel, as before;
# - a process the supervisor has no ptrace access to: EPERM, counted;
# - a 32-bit socket() (int 0x80): EAFNOSUPPORT, counted (where the kernel
#   has no 32-bit calls and int 0x80 faults anyway: the same fault, nothing
#   made or counted).
source "$(dirname "$0")/lib.sh"
need_root "48-supervisor"

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
netstat() { "$B/ustackctl" --socket "$SOCK" netstat -n "$@"; }

# --- the programs --------------------------------------------------------
cat >"$TMP/st.c" <<'EOF'
/* st MODE ADDR PORT: srv (accept one, echo, print the peer), cli (send
 * "ping", print our address and the echo, hold the connection ARG4 ms),
 * usrv (answer ARG4 datagrams, 1 by default), ucli (send one, print the
 * answer and the source), uconn (connected: write, recvfrom, recvmmsg), sig (a blocking accept with a SIGALRM at 1 s; ARG4 "restart"
 * sets SA_RESTART); st ifaddrs: getifaddrs()'s IPv4 addresses. ST_NODUMP=1: not dumpable first (no ptrace access
 * for a supervisor without CAP_SYS_PTRACE) */
#define _GNU_SOURCE             /* recvmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_alarm(int sig) { (void)sig; }

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, p;
	socklen_t l = sizeof(p);
	char buf[256];
	int udp = argv[1][0] == 'u', one = 1, s, c;
	ssize_t n;

	if (argc == 2 && !strcmp(argv[1], "ifaddrs")) {
		struct ifaddrs *ifa, *i;

		if (getifaddrs(&ifa))
			return 1;
		for (i = ifa; i; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
				printf("%s %s\n", i->ifa_name,
				       inet_ntoa(((struct sockaddr_in *)i->ifa_addr)->sin_addr));
		return 0;
	}
	if (argc < 4)
		return 2;
	if (getenv("ST_NODUMP"))
		prctl(PR_SET_DUMPABLE, 0);
	a.sin_port = htons((unsigned short)atoi(argv[3]));
	inet_pton(AF_INET, argv[2], &a.sin_addr);
	s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (s < 0) {
		perror("socket");
		return 1;
	}
	if (!strcmp(argv[1], "srv") || !strcmp(argv[1], "sig") ||
	    !strcmp(argv[1], "usrv")) {
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (void *)&a, sizeof(a)) || (!udp && listen(s, 4))) {
			perror("bind");
			return 1;
		}
		printf("ready\n");
		fflush(stdout);
	}
	if (!strcmp(argv[1], "usrv")) {      /* ARG4: datagrams to answer */
		for (int k = argc > 4 ? atoi(argv[4]) : 1; k > 0; k--) {
			l = sizeof(p);
			n = recvfrom(s, buf, sizeof(buf), 0, (void *)&p, &l);
			if (n < 0 || sendto(s, buf, (size_t)n, 0, (void *)&p, l) != n) {
				perror("usrv");
				return 1;
			}
		}
		printf("from %s\n", inet_ntoa(p.sin_addr));
		return 0;
	}
	if (!strcmp(argv[1], "uconn")) {       /* connected: write, recvfrom */
		struct mmsghdr mm = { 0 };
		struct iovec iov = { buf, sizeof(buf) - 1 };

		if (connect(s, (void *)&a, sizeof(a)) || write(s, "ping", 4) != 4 ||
		    (n = recvfrom(s, buf, sizeof(buf) - 1, 0, (void *)&p, &l)) < 0) {
			perror("uconn");
			return 1;
		}
		buf[n] = 0;
		printf("%s from %s", buf, inet_ntoa(p.sin_addr));
		/* and a second answer through recvmmsg */
		mm.msg_hdr.msg_iov = &iov;
		mm.msg_hdr.msg_iovlen = 1;
		if (write(s, "ping", 4) != 4 || recvmmsg(s, &mm, 1, 0, NULL) != 1) {
			perror("uconn recvmmsg");
			return 1;
		}
		printf(", %u bytes\n", mm.msg_len);
		return 0;
	}
	if (!strcmp(argv[1], "ucli")) {
		if (sendto(s, "ping", 4, 0, (void *)&a, sizeof(a)) != 4 ||
		    (n = recvfrom(s, buf, sizeof(buf) - 1, 0, (void *)&p, &l)) < 0 ||
		    getsockname(s, (void *)&a, &(socklen_t){ sizeof(a) })) {
			perror("ucli");
			return 1;
		}
		buf[n] = 0;
		printf("%s %s", inet_ntoa(a.sin_addr), buf);
		printf(" from %s\n", inet_ntoa(p.sin_addr));
		return 0;
	}
	if (!strcmp(argv[1], "sig")) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sa.sa_flags = argc > 4 && !strcmp(argv[4], "restart") ? SA_RESTART : 0;
		sigaction(SIGALRM, &sa, NULL);
		alarm(1);
		c = accept(s, NULL, NULL);
		printf("%s\n", c >= 0 ? "accepted" : errno == EINTR ? "EINTR" : strerror(errno));
		return 0;
	}
	if (!strcmp(argv[1], "srv")) {
		c = accept(s, (void *)&p, &l);
		if (c < 0) {
			perror("accept");
			return 1;
		}
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		printf("from %s\n", inet_ntoa(p.sin_addr));
		return 0;
	}
	if (connect(s, (void *)&a, sizeof(a)) ||
	    getsockname(s, (void *)&p, &l) || write(s, "ping", 4) != 4 ||
	    (n = read(s, buf, sizeof(buf) - 1)) <= 0) {
		perror("cli");
		return 1;
	}
	buf[n] = 0;
	printf("%s %s\n", inet_ntoa(p.sin_addr), buf);
	fflush(stdout);
	usleep(argc > 4 ? (useconds_t)atoi(argv[4]) * 1000 : 0);
	return 0;
}
EOF
cat >"$TMP/gohttp.go" <<'EOF'
// gohttp serve ADDR:PORT | gohttp URL | gohttp udp-serve ADDR:PORT |
// gohttp udp ADDR:PORT (one datagram, the answer and our address) |
// gohttp addrs (net.InterfaceAddrs())
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

func udp() {
	if os.Args[1] == "udp-serve" {
		pc, err := net.ListenPacket("udp", os.Args[2])
		if err != nil {
			fmt.Println("listen:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		buf := make([]byte, 1500)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			fmt.Println("from", addr)
			pc.WriteTo(append([]byte("echo "), buf[:n]...), addr)
		}
	}
	c, err := net.Dial("udp", os.Args[2])
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	c.Write([]byte("hi"))
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	fmt.Println(string(buf[:n]), err, c.LocalAddr())
}

func main() {
	if os.Args[1] == "udp" || os.Args[1] == "udp-serve" {
		udp()
		return
	}
	if os.Args[1] == "addrs" {
		addrs, err := net.InterfaceAddrs()
		fmt.Println(addrs, err)
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "serve" {
		ln, err := net.Listen("tcp", os.Args[2])
		if err != nil {
			fmt.Println("listen:", err)
			os.Exit(1)
		}
		fmt.Println("listening", ln.Addr())
		http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello %s\n", r.RemoteAddr)
		})
		http.Serve(ln, nil)
		return
	}
	resp, err := http.Get(os.Args[1])
	if err != nil {
		fmt.Println("get:", err)
		os.Exit(1)
	}
	b, _ := io.ReadAll(resp.Body)
	fmt.Print(string(b))
}
EOF
chmod 755 "$TMP"
if ! ${CC:-cc} -static -O -o "$TMP/st" "$TMP/st.c" 2>"$TMP/st.err"; then
	fail "cc -static builds the test program: $(head -n1 "$TMP/st.err")"
fi
if ! command -v go >/dev/null; then
	fail "go is installed (golang-go; make deps)"
elif ! (cd "$TMP" && GOCACHE=$B/gocache GOPATH=$TMP/gopath GO111MODULE=off \
	CGO_ENABLED=0 go build -o "$TMP/gohttp" gohttp.go) >"$TMP/go.err" 2>&1; then
	fail "go builds the test program: $(head -n3 "$TMP/go.err")"
fi

# --- 1. Go ----------------------------------------------------------------
ip netns exec "$NS" timeout -k 5 60 "$RUN" --socket "$SOCK" \
	"$TMP/gohttp" serve $US:8080 >"$TMP/gos.log" 2>&1 &
PIDS+=($!)
up() { grep -q listening "$TMP/gos.log"; }
wait_for 10 up
check "a Go HTTP server under ustack-run listens ($(head -n1 "$TMP/gos.log"))" \
	grep -q "listening $US:8080" "$TMP/gos.log"
out=$(in_ns curl -sS --max-time 10 http://$US:8080/ 2>&1)
check "the kernel's curl reaches it: $out" grep -q "^hello $KERNEL:" <<<"$out"
own=$(netstat --state listen | grep ":8080 ")
check "netstat names the Go program, not ustack-run ($own)" grep -q "/gohttp" <<<"$own"

ip netns exec "$NS" timeout -k 5 60 "$TMP/gohttp" serve $KERNEL:8081 >"$TMP/gok.log" 2>&1 &
PIDS+=($!)
kup() { grep -q listening "$TMP/gok.log"; }
wait_for 10 kup
out=$(ur "$TMP/gohttp" http://$KERNEL:8081/ 2>&1)
check "a Go HTTP client under ustack-run fetches from the kernel's side from ustack's address: $out" \
	grep -q "^hello $US:" <<<"$out"
# by name: Go's own resolver reads and writes a connected UDP socket (a
# plain channel), asking the kernel-side dnsmasq that resolv.conf names
mkdir -p "/etc/netns/$NS"
echo "nameserver $KERNEL" >"/etc/netns/$NS/resolv.conf"
trap 'cleanup; rm -rf "/etc/netns/$NS"' EXIT
in_ns dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces \
	--listen-address=$KERNEL --address=/go.ustack.test/$KERNEL \
	--log-queries --log-facility=- >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=($!)
dns_up() { ip netns exec "$NS" ss -Hlun "sport = :53" | grep -q .; }
wait_for 10 dns_up
out=$(ur "$TMP/gohttp" http://go.ustack.test:8081/ 2>&1)
asked=$(grep -a "query\[A\] go.ustack.test" "$TMP/dnsmasq.log" | head -n1)
check "the Go client by name: its resolver's UDP is ustack's ($out; $asked)" \
	test "${out%%:*}" = "hello $US" -a "${asked##* from }" = "$US"
# the addresses a Go program and a static one list (netlink dumps through
# the supervisor) are ustack's
out=$(ur "$TMP/gohttp" addrs 2>&1)
check "Go's net.InterfaceAddrs() under ustack-run lists ustack's address ($out)" \
	grep -q " $US/24 " <<<"$out"
out=$(ur "$TMP/st" ifaddrs 2>&1 | tr '\n' ' ')
check "a static program's getifaddrs() under ustack-run: ustack's address ($out)" \
	grep -q "ustk0 $US " <<<"$out"

# UDP: Go's ReadFrom/WriteTo (recvfrom, sendto) on a dual-stack socket,
# and Dial/Write/Read (a connected socket: a plain channel)
ip netns exec "$NS" timeout -k 5 30 "$RUN" --socket "$SOCK" "$TMP/gohttp" udp-serve :9000 >"$TMP/gou.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS" timeout -k 5 30 "$TMP/gohttp" udp-serve $KERNEL:9001 >"$TMP/gouk.log" 2>&1 &
PIDS+=($!)
uup() { grep -q ready "$TMP/gou.log" && grep -q ready "$TMP/gouk.log"; }
wait_for 10 uup
out=$(in_ns "$TMP/gohttp" udp $US:9000 2>&1)
check "a Go UDP server under ustack-run answers the kernel's Go client ($out; $(tail -n1 "$TMP/gou.log"))" \
	test "${out%%:*}" = "echo hi <nil> $KERNEL" -a "$(tail -n1 "$TMP/gou.log")" = "from ${out##* }"
out=$(ur "$TMP/gohttp" udp $KERNEL:9001 2>&1)
check "a Go UDP client under ustack-run, answered by the kernel's ($out; $(tail -n1 "$TMP/gouk.log"))" \
	test "${out%%:*}" = "echo hi <nil> $US" -a "$(tail -n1 "$TMP/gouk.log")" = "from ${out##* }"
out=$(USTACK_SUPERVISE=0 ur "$TMP/gohttp" http://$KERNEL:8081/ 2>&1)
check "USTACK_SUPERVISE=0: the Go client's socket is the kernel's: $out" \
	grep -q "^hello $KERNEL:" <<<"$out"

# caddy, a stock Go server from Debian (dynamically linked with cgo: the
# shim is loaded, Go's own calls go to the supervisor), both roles: a file
# server for the kernel's curl, and a reverse proxy to a kernel backend
if ! command -v caddy >/dev/null; then
	fail "caddy is installed (make deps)"
else
	mkdir -p "$TMP/www" "$TMP/caddy-home"
	echo "caddy on ustack" >"$TMP/www/index.html"
	(cd "$TMP/www" && exec ip netns exec "$NS" timeout -k 5 60 python3 -m http.server 8000 --bind $KERNEL) >/dev/null 2>&1 &
	PIDS+=($!)
	ip netns exec "$NS" timeout -k 5 60 env HOME="$TMP/caddy-home" "$RUN" --socket "$SOCK" \
		caddy file-server --listen $US:8090 --root "$TMP/www" >"$TMP/caddy1.log" 2>&1 &
	caddy1=$!
	PIDS+=($caddy1)
	ip netns exec "$NS" timeout -k 5 60 env HOME="$TMP/caddy-home" "$RUN" --socket "$SOCK" \
		caddy reverse-proxy --from :8091 --to $KERNEL:8000 >"$TMP/caddy2.log" 2>&1 &
	caddy2=$!
	PIDS+=($caddy2)
	backend() { ip netns exec "$NS" ss -Htln "sport = :8000" | grep -q .; }
	wait_for 15 backend
	wait_for 15 ustack_bound "$SOCK" 8090
	wait_for 15 ustack_bound "$SOCK" 8091
	out=$(in_ns curl -sS --max-time 10 http://$US:8090/ 2>&1)
	check "caddy file-server under ustack-run serves the kernel's curl ($out)" \
		test "$out" = "caddy on ustack"
	out=$(in_ns curl -sS --max-time 10 -w " %{http_code}" http://$US:8091/ 2>&1)
	check "caddy reverse-proxy under ustack-run reaches the kernel's backend ($out$(grep -m1 -o '"error":"[^"]*' "$TMP/caddy2.log"))" \
		test "$out" = "caddy on ustack
 200"
	kill -TERM $caddy1 $caddy2 2>/dev/null
	wait $caddy1 $caddy2 2>/dev/null
fi

# --- 2. static C ------------------------------------------------------------
# started LOG CMD...: a server in the namespace, its pid in BG, once it has
# said "ready"
started() {
	local log=$1; shift
	ip netns exec "$NS" timeout -k 5 20 "$@" >"$log" 2>&1 &
	BG=$!
	PIDS+=($BG)
	wait_for 10 grep -q ready "$log"
}
started "$TMP/srv.log" "$RUN" --socket "$SOCK" "$TMP/st" srv $US 7500
out=$(in_ns "$TMP/st" cli $US 7500 2>&1)
wait $BG
check "a static server under ustack-run accepts the kernel's client ($out; $(tail -n1 "$TMP/srv.log"))" \
	test "$out" = "$KERNEL ping" -a "$(tail -n1 "$TMP/srv.log")" = "from $KERNEL"

started "$TMP/ksrv.log" "$TMP/st" srv $KERNEL 7501
ip netns exec "$NS" timeout -k 5 20 "$RUN" --socket "$SOCK" "$TMP/st" cli $KERNEL 7501 1500 >"$TMP/cli.log" 2>&1 &
cli=$!
PIDS+=($cli)
held() { netstat | grep -q "$KERNEL:7501 .*ESTABLISHED"; }
wait_for 10 held
row=$(netstat | grep "$KERNEL:7501 ")
check "a static client's connection in netstat under its own name ($row)" \
	grep -q "ESTABLISHED.*/st " <<<"$row"
wait $cli
check "the static client's socket is ustack's ($(cat "$TMP/cli.log"))" \
	test "$(cat "$TMP/cli.log")" = "$US ping"

started "$TMP/usrv.log" "$RUN" --socket "$SOCK" "$TMP/st" usrv $US 7502
out=$(in_ns "$TMP/st" ucli $US 7502 2>&1)
wait $BG
# (an unbound UDP socket's name after sendto is 0.0.0.0, as on Linux)
check "UDP: a static server under ustack-run answers the kernel's datagram ($out; $(tail -n1 "$TMP/usrv.log"))" \
	test "$out" = "0.0.0.0 ping from $US" -a "$(tail -n1 "$TMP/usrv.log")" = "from $KERNEL"
started "$TMP/kusrv.log" "$TMP/st" usrv $KERNEL 7503
out=$(ur "$TMP/st" ucli $KERNEL 7503 2>&1)
wait $BG
check "UDP: a static client under ustack-run, answered from ustack's address ($out; $(tail -n1 "$TMP/kusrv.log"))" \
	test "$out" = "0.0.0.0 ping from $KERNEL" -a "$(tail -n1 "$TMP/kusrv.log")" = "from $US"

# a connected UDP socket of a static program (a plain channel): write(),
# then recvfrom() that asks for the address, then recvmmsg()
started "$TMP/kusrv2.log" "$TMP/st" usrv $KERNEL 7507 2
out=$(ur "$TMP/st" uconn $KERNEL 7507 2>&1)
wait $BG
check "UDP, connected, static under ustack-run: recvfrom names the peer, recvmmsg gets the next ($out; $(tail -n1 "$TMP/kusrv2.log"))" \
	test "$out" = "ping from $KERNEL, 4 bytes" -a "$(tail -n1 "$TMP/kusrv2.log")" = "from $US"

# --- 3. a signal during a blocking accept ----------------------------------
out=$(ur "$TMP/st" sig $US 7504 2>&1 | tail -n1)
check "a blocking accept() and a signal without SA_RESTART: EINTR ($out)" test "$out" = EINTR
ip netns exec "$NS" timeout -k 5 20 "$RUN" --socket "$SOCK" "$TMP/st" sig $US 7505 restart >"$TMP/sig.log" 2>&1 &
sig=$!
PIDS+=($sig)
sleep 1.5
in_ns "$TMP/st" cli $US 7505 >/dev/null 2>&1
wait $sig
check "with SA_RESTART the accept() goes on after the signal and accepts ($(tail -n1 "$TMP/sig.log"))" \
	test "$(tail -n1 "$TMP/sig.log")" = accepted

# --- 4. a process the supervisor may not reach ------------------------------
# run as nobody, the supervisor has no ptrace access to a process that made
# itself not dumpable: its connect() fails with EPERM (never the kernel's
# socket), and the daemon counts it
user_copy "$RUN" "$B/libustack-preload.so" "$TMP/st"
out=$(in_ns setpriv --reuid 65534 --regid 65534 --clear-groups env ST_NODUMP=1 \
	"$TMP/bin/ustack-run" --socket "$SOCK" "$TMP/bin/st" cli $KERNEL 7506 2>&1)
refused=$("$B/ustackctl" --socket "$SOCK" stats | grep -o "sup_refused[ =:]*[0-9]*")
check "not dumpable, run as nobody: connect() fails with EPERM, counted ($out; $refused)" \
	test "$out" = "cli: Operation not permitted" -a "${refused##*[ =:]}" = 1

# --- 5. a 32-bit socket() (int 0x80) --------------------------------------
cat >"$TMP/i386.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
int main(void)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r)
			 : "a"(359L), "b"((long)AF_INET), "c"((long)SOCK_STREAM), "d"(0L)
			 : "memory");
	printf("%s\n", r < 0 ? strerror((int)-r) : "a socket");
	return 0;
}
EOF
if ${CC:-cc} -static -O -o "$TMP/i386" "$TMP/i386.c" 2>"$TMP/i386.err"; then
	# a kernel (or hypervisor) without 32-bit system calls from a 64-bit
	# process faults at int 0x80 (SIGSEGV) without ustack too: then
	# what is checked is that ustack-run changes nothing, no socket made
	in_ns "$TMP/i386" >/dev/null 2>&1
	bare=$?
	out=$(ur "$TMP/i386" 2>&1)
	st=$?
	refused=$("$B/ustackctl" --socket "$SOCK" stats | grep -o "sup_refused[ =:]*[0-9]*")
	if [ "$bare" -eq 139 ]; then
		check "a 32-bit socket(AF_INET) faults on this kernel without ustack; under ustack-run the same, nothing counted ($st; $refused)" \
			test "$st" -eq 139 -a "${refused##*[ =:]}" = 1
	else
		check "a 32-bit socket(AF_INET) under ustack-run: EAFNOSUPPORT, counted, never the kernel's ($out; $refused)" \
			test "$out" = "Address family not supported by protocol" -a "${refused##*[ =:]}" = 2
	fi
else
	fail "cc builds the int 0x80 program: $(head -n1 "$TMP/i386.err")"
fi

stop_ustackd "$DPID"
check "ustackd exits 0" test $? -eq 0
summary
