/* SPDX-License-Identifier: MIT */
/*
 * sc_raw.c - static test client that bypasses libc's wrappers with raw
 * syscall(SYS_connect / SYS_sendto / SYS_sendmsg), as a hostile or exotic
 * runtime would. Prints "ok ..." or "err <errno name>", exits 0 / 1.
 *
 *   tcp IP PORT      syscall(SYS_connect)
 *   udp IP PORT      syscall(SYS_sendto) with a destination
 *   unspec IP PORT   syscall(SYS_sendto) on UDPv4 with sin_family = AF_UNSPEC
 *                    (the kernel still sends to sin_addr)
 *   mapped IP PORT   syscall(SYS_connect) on AF_INET6 to ::ffff:IP
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int res(long r, const char *what)
{
	if (r < 0) {
		printf("err %s %s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?", what);
		return 1;
	}
	printf("ok %s %ld\n", what, r);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in s = { .sin_family = AF_INET };
	const char msg[] = "raw";
	long fd;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc != 4)
		return 2;
	s.sin_port = htons((uint16_t)strtol(argv[3], NULL, 10));
	inet_pton(AF_INET, argv[2], &s.sin_addr);
	if (!strcmp(argv[1], "tcp")) {
		fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		return res(syscall(SYS_connect, fd, &s, sizeof(s)), "connect");
	}
	if (!strcmp(argv[1], "udp") || !strcmp(argv[1], "unspec")) {
		if (!strcmp(argv[1], "unspec"))
			s.sin_family = AF_UNSPEC;
		fd = syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0);
		return res(syscall(SYS_sendto, fd, msg, sizeof(msg), 0, &s, sizeof(s)), "sendto");
	}
	if (!strcmp(argv[1], "mapped")) {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = s.sin_port };

		s6.sin6_addr.s6_addr[10] = 0xff;
		s6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6.sin6_addr.s6_addr[12], &s.sin_addr, 4);
		fd = syscall(SYS_socket, AF_INET6, SOCK_STREAM, 0);
		return res(syscall(SYS_connect, fd, &s6, sizeof(s6)), "connect");
	}
	return 2;
}
