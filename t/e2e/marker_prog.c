/* SPDX-License-Identifier: MIT */
/*
 * marker_prog.c - a program that declares itself the dlpjail broker (it
 * exports dlpjail_broker_marker, built with -rdynamic) and writes a file to
 * 127.0.0.1:PORT with raw write(2): the shim must not go inert for it, and
 * the relay reads the bytes anyway. t/e2e/303 and 304.
 * usage: marker_prog PORT FILE   (prints "Seccomp: N" of itself first)
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("default"), used)) const int dlpjail_broker_marker = 1;

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[4096], line[256];
	FILE *st;
	ssize_t n;
	int s, f;

	if (argc != 3)
		return 2;
	st = fopen("/proc/self/status", "r");
	while (st && fgets(line, sizeof(line), st))
		if (!strncmp(line, "Seccomp:", 8))
			fputs(line, stdout);
	if (st)
		fclose(st);
	fflush(stdout);
	sin.sin_port = htons((unsigned short)atoi(argv[1]));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("connect");
		return 1;
	}
	f = open(argv[2], O_RDONLY);
	while (f >= 0 && (n = read(f, buf, sizeof(buf))) > 0)
		if (syscall(SYS_write, s, buf, (size_t)n) != n) {
			perror("write");
			return 1;
		}
	shutdown(s, SHUT_WR);
	n = read(s, buf, sizeof(buf));
	return n > 0 ? 0 : 1;
}
