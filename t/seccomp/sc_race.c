/* SPDX-License-Identifier: MIT */
/*
 * sc_race.c - time-of-check/time-of-use attack on the supervisor. A second
 * thread flips one shared sockaddr between 127.0.0.1 (allowed) and
 * 127.0.0.2 (denied) while the main thread connects from it in a loop
 * (raw syscall). A server thread in the same process accepts and records
 * each accepted socket's local address (getsockname): any connection that
 * landed on 127.0.0.2 is a bypass. Static build.
 *
 *   sc_race tcp PORT N     TCP connect race (servers on 127.0.0.1:PORT and
 *                          127.0.0.2:PORT: only loopback listeners are allowed;
 *                          0 = any free)
 *   sc_race tcpx PORT N    the same without the 127.0.0.2 listener: a server of
 *                          the caller, outside the jail, counts arrivals there
 *                          (under dlpjail a listener of the jail itself is
 *                          reachable without a policy entry). 127.0.0.1:PORT
 *                          is bound with SO_REUSEPORT: the caller keeps it
 *                          reserved (bound, not listening) so that no other
 *                          socket of the machine takes it meanwhile
 *   sc_race udp PORT N     UDP sendto race (server counts datagrams by
 *                          destination address via IP_PKTINFO)
 *
 * N is a minimum: the loop goes on until the race ran both ways (a connect
 * went through, and one was denied or reached 127.0.0.2), at most
 * RACE_MAX_S seconds, so that a flipper thread the scheduler starved on a
 * busy machine does not make the run prove nothing.
 *
 * Prints "attempts=N ok=A denied=D other=O server_allowed=S bypass=B" and
 * exits 0 when bypass == 0, 1 otherwise.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define RACE_MAX_S 20 /* past N attempts, until both ways were seen */

static struct sockaddr_in shared; /* flipped by the flipper thread */
static atomic_int done;
static atomic_long srv_good, srv_bad;
static int lfd, lfd2 = -1;

static void *flipper(void *arg)
{
	volatile uint32_t *a = (volatile uint32_t *)&shared.sin_addr.s_addr;
	uint32_t one = htonl(0x7f000001), two = htonl(0x7f000002);

	(void)arg;
	while (!atomic_load(&done)) {
		*a = one;
		*a = two;
	}
	return NULL;
}

static void count(const struct in_addr *local)
{
	if (local->s_addr == htonl(0x7f000002))
		atomic_fetch_add(&srv_bad, 1);
	else
		atomic_fetch_add(&srv_good, 1);
}

static void *tcp_server(void *arg)
{
	int fd = *(const int *)arg;

	for (;;) {
		struct sockaddr_in l;
		socklen_t ll = sizeof(l);
		int c = accept(fd, NULL, NULL);

		if (c < 0) {
			if (atomic_load(&done))
				break;
			continue;
		}
		if (getsockname(c, (struct sockaddr *)&l, &ll) == 0)
			count(&l.sin_addr);
		close(c);
	}
	return NULL;
}

static void *udp_server(void *arg)
{
	char buf[64], cbuf[128];

	(void)arg;
	for (;;) {
		struct iovec iv = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr m = { .msg_iov = &iv, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;

		if (recvmsg(lfd, &m, 0) < 0) {
			if (atomic_load(&done))
				break;
			continue;
		}
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				count(&pi.ipi_addr);
			}
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	long attempts, i, ok = 0, denied = 0, other = 0;
	struct timespec t0, now;
	pthread_t ft, st, st2;
	int udp, ext, one = 1, fd, tries;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 4)
		return 2;
	udp = !strcmp(argv[1], "udp");
	ext = !strcmp(argv[1], "tcpx");
	attempts = strtol(argv[3], NULL, 10);
	any.sin_port = htons((uint16_t)strtol(argv[2], NULL, 10));
	if (!udp)
		any.sin_addr.s_addr = htonl(0x7f000001);
	lfd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ext)
		setsockopt(lfd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (udp)
		setsockopt(lfd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&any, sizeof(any)) < 0 || (!udp && listen(lfd, 4096) < 0)) {
		perror("sc_race: bind/listen");
		return 2;
	}
	{
		socklen_t l = sizeof(any); /* PORT 0: the kernel picked one */

		getsockname(lfd, (struct sockaddr *)&any, &l);
		any.sin_addr.s_addr = INADDR_ANY;
	}
	if (!udp && !ext) {
		/* the denied address's own listener on the same port */
		struct sockaddr_in two = any;

		two.sin_addr.s_addr = htonl(0x7f000002);
		lfd2 = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(lfd2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd2, (struct sockaddr *)&two, sizeof(two)) < 0 || listen(lfd2, 4096) < 0) {
			perror("sc_race: bind/listen 127.0.0.2");
			return 2;
		}
		pthread_create(&st2, NULL, tcp_server, &lfd2);
	}
	shared = any;
	shared.sin_addr.s_addr = htonl(0x7f000001);
	pthread_create(&st, NULL, udp ? udp_server : tcp_server, &lfd);
	pthread_create(&ft, NULL, flipper, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0;; i++) {
		long r;

		if (i >= attempts) {
			if (ok && (denied || atomic_load(&srv_bad)))
				break; /* both ways */
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - t0.tv_sec >= RACE_MAX_S)
				break;
		}
		fd = (int)syscall(SYS_socket, AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
		if (udp)
			r = syscall(SYS_sendto, fd, "x", 1, 0, &shared, sizeof(shared));
		else
			r = syscall(SYS_connect, fd, &shared, sizeof(shared));
		if (r >= 0)
			ok++;
		else if (errno == EACCES)
			denied++;
		else
			other++;
		close(fd);
	}
	/* let the server drain what was sent */
	for (tries = 0; tries < 200; tries++) {
		if (atomic_load(&srv_good) + atomic_load(&srv_bad) >= ok || (ext && tries > 20))
			break;
		usleep(10000);
	}
	atomic_store(&done, 1);
	pthread_join(ft, NULL);
	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	printf("attempts=%ld ok=%ld denied=%ld other=%ld server_allowed=%ld bypass=%ld\n", i,
	       ok, denied, other, atomic_load(&srv_good), atomic_load(&srv_bad));
	return atomic_load(&srv_bad) ? 1 : 0;
}
