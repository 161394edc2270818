/* SPDX-License-Identifier: MIT */
/*
 * threads - eight threads at once, each with its own UDP and TCP sockets,
 * making requests (socket, connect, options, names) and moving data in
 * parallel; then fork while they run. Prints totals only.
 *   threads PEER SELF
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define NTHREADS 8
#define ROUNDS 50

static const char *peer;
static int ok_udp[NTHREADS], ok_tcp[NTHREADS];

static void *worker(void *arg)
{
	int id = (int)(long)arg;
	struct sockaddr_in to = sin_of(peer, 7007);
	struct timeval tv = { 5, 0 };
	char buf[64], msg[64];

	for (int r = 0; r < ROUNDS; r++) {
		int u = socket(AF_INET, SOCK_DGRAM, 0), t, one = 1;
		ssize_t n;

		setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		snprintf(msg, sizeof(msg), "t%d r%d", id, r);
		connect(u, (void *)&to, sizeof(to));
		send(u, msg, strlen(msg), 0);
		n = recv(u, buf, sizeof(buf), 0);
		if (n == (ssize_t)strlen(msg) && !memcmp(buf, msg, (size_t)n))
			ok_udp[id]++;
		close(u);
		if (r % 5)
			continue;
		t = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(t, (void *)&to, sizeof(to)) == 0 &&
		    send(t, msg, strlen(msg), 0) == (ssize_t)strlen(msg) &&
		    recv(t, buf, strlen(msg), MSG_WAITALL) == (ssize_t)strlen(msg))
			ok_tcp[id]++;
		close(t);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NTHREADS];
	int udp = 0, tcp = 0, st;
	pid_t pid;

	if (argc < 3)
		return 2;
	peer = argv[1];
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	usleep(20000);
	pid = fork();        /* while the threads hold control connections */
	if (pid == 0) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in to = sin_of(peer, 7007);
		struct timeval tv = { 5, 0 };
		char buf[16];

		setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		sendto(u, "child", 5, 0, (void *)&to, sizeof(to));
		_exit(recv(u, buf, sizeof(buf), 0) == 5 ? 0 : 1);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		udp += ok_udp[i];
		tcp += ok_tcp[i];
	}
	waitpid(pid, &st, 0);
	line("udp round trips: %d of %d", udp, NTHREADS * ROUNDS);
	line("tcp round trips: %d of %d", tcp, NTHREADS * ROUNDS / 5);
	line("forked child while threads ran: %s",
	     WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "ok" : "failed");
	return 0;
}
