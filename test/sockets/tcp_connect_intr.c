/* SPDX-License-Identifier: MIT */
/*
 * tcp_connect_intr - a blocking connect and signals, as Linux has it: a
 * handler without SA_RESTART interrupts it (EINTR) and the handshake goes
 * on (a later non-blocking connect says EALREADY, the fd turns writable
 * when it ends, the next connect reports the outcome, the one after that
 * EISCONN); with SA_RESTART the call goes on waiting; SO_SNDTIMEO bounds
 * the wait (EINPROGRESS); a handler may use other sockets meanwhile. A
 * connect that fails at once leaves the fd writable.
 *   tcp_connect_intr PEER SELF   (peer: echo 7007, delayed accept 7016)
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

static const char *peer;
static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* SIGALRM in @ms milliseconds, its handler with or without SA_RESTART */
static void alarm_in(int ms, int restart)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static int connect_to(int fd, const char *ip, int port)
{
	struct sockaddr_in to = sin_of(ip, port);

	return connect(fd, (struct sockaddr *)&to, sizeof(to));
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void wait_writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int n = poll(&p, 1, 15000), e = -1;
	socklen_t l = sizeof(e);

	/* a failed handshake may wake poll with POLLERR before POLLOUT is
	 * set (a race in Linux itself), on ustack with POLLHUP (the channel
	 * is shut a moment before the filler goes): each says it ended */
	line("poll: %d, ended=%d", n,
	     !!(p.revents & (POLLOUT | POLLERR | POLLHUP)));
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
	line("SO_ERROR: %s", errname(e));
}

/* A silent neighbour (.77, never answers ARP): it fails after 3 s. */
static const char *silent(void)
{
	static char ip[64];
	struct in_addr a;

	inet_pton(AF_INET, peer, &a);
	((uint8_t *)&a.s_addr)[3] = 77;
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	return ip;
}

/*
 * 7016 holds one connection in its accept queue for 1.5 s and drops
 * SYNs meanwhile: a second connect waits for a retransmitted SYN.
 */
static void interrupted_then_established(void)
{
	int a = socket(AF_INET, SOCK_STREAM, 0);
	int b = socket(AF_INET, SOCK_STREAM, 0);
	report("connect, fills the accept queue", connect_to(a, peer, 7016));
	alarm_in(300, 0);
	report("blocking connect, signal without SA_RESTART",
	       connect_to(b, peer, 7016));
	line("handler ran: %d", alarms);
	set_nonblock(b);
	report("non-blocking connect while the handshake goes on",
	       connect_to(b, peer, 7016));
	wait_writable(b);
	report("connect once established", connect_to(b, peer, 7016));
	report("connect again", connect_to(b, peer, 7016));
	report("send", send(b, "ab", 2, 0));
	close(a);
	close(b);
}

static void interrupted_then_failed(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	alarm_in(300, 0);
	report("blocking connect to a silent neighbour, signal",
	       connect_to(fd, silent(), 7007));
	line("handler ran: %d", alarms);
	report("blocking connect again: waits for the outcome",
	       connect_to(fd, silent(), 7007));
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	alarm_in(300, 0);
	report("blocking connect to a silent neighbour, signal",
	       connect_to(fd, silent(), 7007));
	set_nonblock(fd);
	report("non-blocking connect while it goes on",
	       connect_to(fd, silent(), 7007));
	wait_writable(fd);
	report("connect once SO_ERROR told the failure",
	       connect_to(fd, silent(), 7007));
	close(fd);
}

static void restarted(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	alarm_in(300, 1);
	report("blocking connect to a silent neighbour, SA_RESTART signal",
	       connect_to(fd, silent(), 7007));
	line("handler ran: %d", alarms);
	close(fd);
}

/* the handler of a signal that comes during a blocking connect: a UDP echo */
static int udp_fd = -1;
static volatile sig_atomic_t echoed;

static void on_alarm_echo(int sig)
{
	char b[8];

	(void)sig;
	if (send(udp_fd, "sig", 3, 0) == 3 && recv(udp_fd, b, sizeof(b), 0) == 3)
		echoed = 1;
}

static void handler_uses_sockets(void)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	struct sigaction sa = { .sa_handler = on_alarm_echo, .sa_flags = SA_RESTART };
	struct itimerval it = { .it_value = { 0, 300000 } };
	struct timeval tv = { 3, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	udp_fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(udp_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	connect(udp_fd, (struct sockaddr *)&to, sizeof(to));
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	report("blocking connect, the handler echoes over UDP meanwhile",
	       connect_to(fd, silent(), 7007));
	line("the handler's echo came back: %d", echoed);
	close(fd);
	close(udp_fd);
}

static void send_timeout(void)
{
	struct timeval tv = { 0, 300000 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	report("blocking connect with SO_SNDTIMEO 0.3 s",
	       connect_to(fd, silent(), 7007));
	set_nonblock(fd);
	report("non-blocking connect while it goes on",
	       connect_to(fd, silent(), 7007));
	wait_writable(fd);
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	tv.tv_sec = 5;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	alarm_in(300, 1);
	report("SO_SNDTIMEO 5 s, SA_RESTART signal", connect_to(fd, silent(), 7007));
	line("handler ran: %d", alarms);
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	report("SO_SNDTIMEO 5 s, established at once", connect_to(fd, peer, 7007));
	close(fd);
}

/* no route to 198.51.100.0/24 on either side: ENETUNREACH at once */
static void failed_at_once(void)
{
	for (int nb = 0; nb < 2; nb++) {
		int fd = socket(AF_INET, SOCK_STREAM | (nb ? SOCK_NONBLOCK : 0), 0);
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int n;

		report(nb ? "non-blocking connect, no route" : "blocking connect, no route",
		       connect_to(fd, "198.51.100.7", 7007));
		n = poll(&p, 1, 2000);
		line("  poll: %d POLLOUT=%d", n, !!(p.revents & POLLOUT));
		close(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tcp_connect_intr PEER SELF\n");
		return 2;
	}
	peer = argv[1];
	interrupted_then_established();
	interrupted_then_failed();
	restarted();
	handler_uses_sockets();
	send_timeout();
	failed_at_once();
	return 0;
}
