/* SPDX-License-Identifier: MIT */
/*
 * sc_client.c - test client built with gcc -static (no shim can load into
 * it): libc connect/sendto/sendmsg/sendmmsg/getaddrinfo against 127.0.0.0/8.
 * Prints "ok ..." or "err <errno name>" and exits 0 / 1. Run by
 * t/seccomp/run.sh under sc_driver.
 *
 *   tcp IP PORT            blocking connect
 *   nb IP PORT             non-blocking connect: expects EINPROGRESS, then waits
 *   tcp6 IP6 PORT          blocking connect over AF_INET6 (v4-mapped allowed)
 *   udp IP PORT            unconnected sendto
 *   udpmsg IP PORT         unconnected sendmsg with msg_name
 *   dns IP NAME            unconnected sendto of a DNS query to IP:53
 *   dnsmm IP NAME          connect(IP:53) + sendmmsg of A and AAAA queries (glibc style)
 *   tfo IP PORT            sendto(MSG_FASTOPEN)
 *   unix PATH              AF_UNIX stream connect
 *   resolve NAME           getaddrinfo (static glibc: files + DNS, no nscd)
 *   unixpair               sendmsg/sendmmsg on an AF_UNIX socketpair (continue path)
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *what)
{
	int e = errno;

	printf("err %s %s\n", strerrorname_np(e) ? strerrorname_np(e) : "?", what);
	return 1;
}

static void addr4(struct sockaddr_in *s, const char *ip, const char *port)
{
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)strtol(port, NULL, 10));
	inet_pton(AF_INET, ip, &s->sin_addr);
}

/* Minimal DNS query for name, type qt. */
static size_t dnsq(uint8_t *b, const char *name, int qt, int id)
{
	size_t o = 12;
	const char *p = name;

	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = 1; /* RD */
	b[5] = 1; /* QDCOUNT */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		b[o++] = (uint8_t)l;
		memcpy(b + o, p, l);
		o += l;
		p += l;
		if (*p == '.')
			p++;
	}
	b[o++] = 0;
	b[o++] = 0;
	b[o++] = (uint8_t)qt;
	b[o++] = 0;
	b[o++] = 1;
	return o;
}

int main(int argc, char **argv)
{
	struct sockaddr_in s;
	uint8_t q[512], q2[512];
	int fd;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "tcp") && argc == 4) {
		addr4(&s, argv[2], argv[3]);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
			return fail("connect");
		printf("ok connected\n");
		return 0;
	}
	if (!strcmp(argv[1], "tcp6") && argc == 4) {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

		s6.sin6_port = htons((uint16_t)strtol(argv[3], NULL, 10));
		inet_pton(AF_INET6, argv[2], &s6.sin6_addr);
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&s6, sizeof(s6)) < 0)
			return fail("connect");
		printf("ok connected\n");
		return 0;
	}
	if (!strcmp(argv[1], "nb") && argc == 4) {
		struct pollfd p;
		int err = 0;
		socklen_t l = sizeof(err);

		addr4(&s, argv[2], argv[3]);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fd, (struct sockaddr *)&s, sizeof(s)) == 0) {
			printf("ok connected at once\n");
			return 0;
		}
		if (errno != EINPROGRESS)
			return fail("connect");
		p.fd = fd;
		p.events = POLLOUT;
		poll(&p, 1, 5000);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
		errno = err;
		if (err)
			return fail("so_error");
		printf("ok einprogress then connected\n");
		return 0;
	}
	if ((!strcmp(argv[1], "udp") || !strcmp(argv[1], "udpmsg") || !strcmp(argv[1], "tfo")) &&
	    argc == 4) {
		const char msg[] = "hello";
		ssize_t r;

		addr4(&s, argv[2], argv[3]);
		if (!strcmp(argv[1], "tfo")) {
			fd = socket(AF_INET, SOCK_STREAM, 0);
			r = sendto(fd, msg, sizeof(msg), MSG_FASTOPEN, (struct sockaddr *)&s,
				   sizeof(s));
		} else if (!strcmp(argv[1], "udp")) {
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			r = sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&s, sizeof(s));
		} else {
			struct iovec iv = { .iov_base = (void *)msg, .iov_len = sizeof(msg) };
			struct msghdr m = { .msg_name = &s, .msg_namelen = sizeof(s),
					    .msg_iov = &iv, .msg_iovlen = 1 };

			fd = socket(AF_INET, SOCK_DGRAM, 0);
			r = sendmsg(fd, &m, 0);
		}
		if (r < 0)
			return fail("send");
		printf("ok sent %zd\n", r);
		return 0;
	}
	if (!strcmp(argv[1], "dns") && argc == 4) {
		size_t l = dnsq(q, argv[3], 1, 0x1234);

		addr4(&s, argv[2], "53");
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (sendto(fd, q, l, 0, (struct sockaddr *)&s, sizeof(s)) < 0)
			return fail("sendto");
		printf("ok sent dns\n");
		return 0;
	}
	if (!strcmp(argv[1], "dnsmm") && argc == 4) {
		struct iovec iv[2];
		struct mmsghdr mm[2];
		int n;

		memset(mm, 0, sizeof(mm));
		iv[0].iov_base = q;
		iv[0].iov_len = dnsq(q, argv[3], 1, 1);
		iv[1].iov_base = q2;
		iv[1].iov_len = dnsq(q2, argv[3], 28, 2);
		mm[0].msg_hdr.msg_iov = &iv[0];
		mm[0].msg_hdr.msg_iovlen = 1;
		mm[1].msg_hdr.msg_iov = &iv[1];
		mm[1].msg_hdr.msg_iovlen = 1;
		addr4(&s, argv[2], "53");
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
			return fail("connect");
		n = sendmmsg(fd, mm, 2, MSG_NOSIGNAL);
		if (n < 0)
			return fail("sendmmsg");
		if (n != 2 || mm[0].msg_len != iv[0].iov_len || mm[1].msg_len != iv[1].iov_len) {
			printf("err BADLEN n=%d len0=%u len1=%u\n", n, mm[0].msg_len, mm[1].msg_len);
			return 1;
		}
		printf("ok sendmmsg 2 msg_len %u %u\n", mm[0].msg_len, mm[1].msg_len);
		return 0;
	}
	if (!strcmp(argv[1], "unix") && argc == 3) {
		struct sockaddr_un u = { .sun_family = AF_UNIX };

		snprintf(u.sun_path, sizeof(u.sun_path), "%s", argv[2]);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&u, sizeof(u)) < 0)
			return fail("connect");
		printf("ok connected\n");
		return 0;
	}
	if (!strcmp(argv[1], "unixpair")) {
		int sv[2];
		char b[16];
		struct iovec iv = { .iov_base = "ping", .iov_len = 4 };
		struct msghdr m = { .msg_iov = &iv, .msg_iovlen = 1 };
		struct mmsghdr mm[2] = { { .msg_hdr = m }, { .msg_hdr = m } };

		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
			return fail("socketpair");
		if (sendmsg(sv[0], &m, 0) != 4 || read(sv[1], b, sizeof(b)) != 4)
			return fail("sendmsg");
		if (sendmmsg(sv[0], mm, 2, 0) != 2 || mm[1].msg_len != 4)
			return fail("sendmmsg");
		printf("ok unix sendmsg/sendmmsg\n");
		return 0;
	}
	if (!strcmp(argv[1], "resolve") && argc == 3) {
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
		char ip[64];
		int r = getaddrinfo(argv[2], "80", &hints, &res);

		if (r) {
			printf("err %s getaddrinfo\n", gai_strerror(r));
			return 1;
		}
		getnameinfo(res->ai_addr, res->ai_addrlen, ip, sizeof(ip), NULL, 0, NI_NUMERICHOST);
		printf("ok resolved %s\n", ip);
		return 0;
	}
	fprintf(stderr, "sc_client: bad arguments\n");
	return 2;
}
