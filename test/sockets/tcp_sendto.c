/* SPDX-License-Identifier: MIT */
/*
 * tcp_sendto - addresses given to sends on TCP sockets, as Linux has it:
 * a connected socket ignores them (once they are copied in: EINVAL for a
 * sendto length over sizeof(struct sockaddr_storage), EFAULT for an
 * unreadable one; sendmsg clamps the length), MSG_FASTOPEN on a connected
 * socket is EISCONN; a socket that was never connected, and a listening
 * one, answer sends with EPIPE (SIGPIPE unless MSG_NOSIGNAL) and receives
 * with ENOTCONN.
 *   tcp_sendto PEER SELF   (peer: TCP echo 7007)
 */
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

static ssize_t sendmsg_to(int fd, const char *data, void *name, socklen_t len)
{
	struct iovec iov = { (void *)data, 1 };
	struct msghdr m = { .msg_name = name, .msg_namelen = len,
			    .msg_iov = &iov, .msg_iovlen = 1 };

	return sendmsg(fd, &m, 0);
}

static void connected(const char *peer)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	struct sockaddr_in other = sin_of("198.51.100.7", 9);
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[64];
	ssize_t n, got = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	report("connect", connect(fd, (void *)&to, sizeof(to)));
	report("sendto, connected, another address",
	       sendto(fd, "a", 1, 0, (void *)&other, sizeof(other)));
	report("sendto, connected, the peer's address",
	       sendto(fd, "b", 1, 0, (void *)&to, sizeof(to)));
	report("sendto, connected, address length 3",
	       sendto(fd, "c", 1, 0, (void *)&other, 3));
	report("sendto, connected, address length 200",
	       sendto(fd, "x", 1, 0, (void *)&other, 200));
	report("sendto, connected, unreadable address",
	       sendto(fd, "x", 1, 0, (void *)8, sizeof(other)));
	report("sendto, connected, NULL address of length 16",
	       sendto(fd, "d", 1, 0, NULL, 16));
	report("sendto, connected, AF_INET6 address",
	       sendto(fd, "e", 1, 0, (void *)&v6, sizeof(v6)));
	report("sendto, connected, AF_UNSPEC address",
	       sendto(fd, "f", 1, 0, &unspec, sizeof(unspec)));
	report("sendto, connected, MSG_FASTOPEN",
	       sendto(fd, "x", 1, MSG_FASTOPEN, (void *)&other, sizeof(other)));
	report("sendmsg, connected, another address",
	       sendmsg_to(fd, "g", &other, sizeof(other)));
	report("sendmsg, connected, name length 300",
	       sendmsg_to(fd, "h", &other, 300));
	report("sendmsg, connected, unreadable name",
	       sendmsg_to(fd, "x", (void *)8, sizeof(other)));
	report("sendmsg, connected, NULL name of length 16",
	       sendmsg_to(fd, "i", NULL, 16));
	while (got < 9 && (n = recv(fd, buf + got, sizeof(buf) - 1 - (size_t)got, 0)) > 0)
		got += n;
	buf[got] = '\0';
	line("echoed: %s", buf);
	close(fd);
}

static void unusable(const char *peer)
{
	struct sockaddr_in to = sin_of(peer, 7007);
	struct sockaddr_in any = sin_of("0.0.0.0", 0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	char b[8];

	report("sendto, never connected, an address",
	       sendto(fd, "x", 1, 0, (void *)&to, sizeof(to)));
	line("SIGPIPE: %d", sigpipes);
	report("sendto, never connected, MSG_NOSIGNAL",
	       sendto(fd, "x", 1, MSG_NOSIGNAL, (void *)&to, sizeof(to)));
	report("sendto, never connected, address length 200",
	       sendto(fd, "x", 1, MSG_NOSIGNAL, (void *)&to, 200));
	report("sendto, never connected, unreadable address",
	       sendto(fd, "x", 1, MSG_NOSIGNAL, (void *)8, sizeof(to)));
	report("sendmsg, never connected, an address",
	       sendmsg_to(fd, "x", &to, sizeof(to)));
	report("read, never connected", read(fd, b, 1));
	report("write, never connected", write(fd, b, 1));
	report("recvfrom, never connected", recvfrom(fd, b, 1, MSG_DONTWAIT, NULL, NULL));
	close(fd);

	bind(l, (void *)&any, sizeof(any));
	report("listen", listen(l, 1));
	sigpipes = 0;
	report("send, listening", send(l, "x", 1, 0));
	line("SIGPIPE: %d", sigpipes);
	report("sendto, listening, an address",
	       sendto(l, "x", 1, MSG_NOSIGNAL, (void *)&to, sizeof(to)));
	report("write, listening", write(l, "x", 1));
	report("recv, listening", recv(l, b, 1, MSG_DONTWAIT));
	report("read, listening", read(l, b, 1));
	close(l);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: tcp_sendto PEER SELF\n");
		return 2;
	}
	signal(SIGPIPE, on_sigpipe);
	connected(argv[1]);
	unusable(argv[1]);
	return 0;
}
