/* SPDX-License-Identifier: MIT */
/*
 * sc_srv.c - tiny loopback server for t/seccomp/run.sh, run OUTSIDE the
 * filter: "tcp IP PORT" accepts and closes, "udp IP PORT" reads and drops.
 * Prints "ready PORT" once listening (PORT 0: the kernel picks), runs until
 * killed.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int udp, fd, one = 1;
	char buf[2048];

	if (argc != 4)
		return 2;
	udp = !strcmp(argv[1], "udp");
	a.sin_port = htons((uint16_t)strtol(argv[3], NULL, 10));
	inet_pton(AF_INET, argv[2], &a.sin_addr);
	fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || (!udp && listen(fd, 128) < 0)) {
		perror("sc_srv");
		return 1;
	}
	{
		socklen_t l = sizeof(a);

		getsockname(fd, (struct sockaddr *)&a, &l);
	}
	printf("ready %d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		if (udp) {
			(void)!recv(fd, buf, sizeof(buf), 0);
		} else {
			int c = accept(fd, NULL, NULL);

			if (c >= 0) {
				(void)!read(c, buf, sizeof(buf));
				close(c);
			}
		}
	}
}
