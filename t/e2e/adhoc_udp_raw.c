/* adhoc_udp_raw.c - one UDP datagram past every libc hook: socket + sendto
 * by the raw syscall instruction (x86_64), or connect + write the same way.
 * Prints "ok" or "err ERRNO". Built by t/e2e/305-adhoc-parity.sh.
 * Mode dns: sendto of a DNS query (type A) for the name PAYLOAD, after a
 * libc name lookup (under the shim: the broker then knows us as shimmed).
 * usage: adhoc_udp_raw sendto|connect|dns IPV4 PORT PAYLOAD */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

static long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall" : "=a"(r) : "0"(nr), "D"(a), "S"(b), "d"(c), "r"(r10),
			 "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long fd, r;

	if (argc != 5)
		return 2;
	sa.sin_port = htons((unsigned short)atoi(argv[3]));
	inet_pton(AF_INET, argv[2], &sa.sin_addr);
	fd = raw6(SYS_socket, AF_INET, SOCK_DGRAM, 0, 0, 0, 0);
	if (fd < 0) {
		printf("err %ld\n", -fd);
		return 1;
	}
	if (!strcmp(argv[1], "dns")) {
		struct addrinfo *ai = NULL;
		unsigned char q[512] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
		size_t n = 12;
		char *lab;

		if (getaddrinfo("localhost", NULL, NULL, &ai) == 0)
			freeaddrinfo(ai);
		lab = strtok(argv[4], ".");

		for (; lab && n + strlen(lab) + 6 < sizeof(q); lab = strtok(NULL, ".")) {
			q[n++] = (unsigned char)strlen(lab);
			memcpy(q + n, lab, strlen(lab));
			n += strlen(lab);
		}
		q[n++] = 0;
		q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1; /* A, IN */
		r = raw6(SYS_sendto, fd, (long)q, (long)n, 0, (long)&sa, sizeof(sa));
	} else if (!strcmp(argv[1], "connect")) {
		r = raw6(SYS_connect, fd, (long)&sa, sizeof(sa), 0, 0, 0);
		if (r == 0)
			r = raw6(SYS_write, fd, (long)argv[4], (long)strlen(argv[4]), 0, 0, 0);
	} else {
		r = raw6(SYS_sendto, fd, (long)argv[4], (long)strlen(argv[4]), 0, (long)&sa,
			 sizeof(sa));
	}
	if (r < 0)
		printf("err %ld\n", -r);
	else
		printf("ok\n");
	return 0;
}
