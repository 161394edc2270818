/* SPDX-License-Identifier: MIT */
/*
 * api - the explicit libustack API (ustack.h), linked against libustack.so
 * without the preload shim. Prints one line per check.
 *   api PEER   (test/sockets/peer on PEER: UDP and TCP echo on 7007)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/un.h>
#include <unistd.h>

#include "ustack.h"

static void show(const char *what, long rc)
{
	printf("%s: %s\n", what, rc < 0 ? strerror(errno) : "ok");
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7007) };
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char buf[256];
	int u, t, x, v, n;
	socklen_t vl = sizeof(v);
	struct pollfd p;

	if (argc < 2)
		return 2;
	inet_pton(AF_INET, argv[1], &to.sin_addr);
	u = ustack_socket(AF_INET, SOCK_DGRAM, 0);
	printf("udp socket is ustack's: %d\n", ustack_is_socket(u));
	printf("stdin is ustack's: %d\n", ustack_is_socket(0));
	x = ustack_socket(AF_UNIX, SOCK_DGRAM, 0);
	printf("AF_UNIX socket goes to libc: %d\n", x >= 0 && !ustack_is_socket(x));
	close(x);
	show("ustack_sendto", ustack_sendto(u, "api", 3, 0, (void *)&to, sizeof(to)));
	p = (struct pollfd){ .fd = u, .events = POLLIN };
	printf("ustack_poll: %d\n", ustack_poll(&p, 1, 5000));
	ustack_ioctl(u, FIONREAD, &n);
	printf("FIONREAD: %d\n", n);
	n = (int)ustack_recvfrom(u, buf, sizeof(buf), 0, (void *)&from, &fl);
	printf("ustack_recvfrom: %d from port %d\n", n, ntohs(from.sin_port));
	ustack_close(u);

	t = ustack_socket(AF_INET, SOCK_STREAM, 0);
	show("ustack_connect", ustack_connect(t, (void *)&to, sizeof(to)));
	v = 1500;
	show("TCP_KEEPALIVE 1500 ms", ustack_setsockopt(t, IPPROTO_TCP, TCP_KEEPALIVE, &v, sizeof(v)));
	ustack_getsockopt(t, IPPROTO_TCP, TCP_KEEPALIVE, &v, &vl);
	printf("TCP_KEEPALIVE reads back (whole seconds): %d\n", v);
	ustack_getsockopt(t, IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl);
	printf("TCP_KEEPIDLE: %d\n", v);
	show("ustack_write", ustack_write(t, "hello api", 9));
	n = (int)ustack_read(t, buf, sizeof(buf));
	printf("ustack_read: %d '%.*s'\n", n, n > 0 ? n : 0, buf);
	printf("ustack_fcntl O_NONBLOCK: %d\n", !!(ustack_fcntl(t, F_GETFL) & O_NONBLOCK));
	show("ustack_shutdown SHUT_WR", ustack_shutdown(t, SHUT_WR));
	printf("then ustack_recv: %ld\n", (long)ustack_recv(t, buf, sizeof(buf), 0));
	show("ustack_close", ustack_close(t));
	printf("after close, is ustack's: %d\n", ustack_is_socket(t));
	return 0;
}
