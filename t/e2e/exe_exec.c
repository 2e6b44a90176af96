/* SPDX-License-Identifier: MIT */
/*
 * exe_exec.c - static helper of t/e2e/371-relay-exe-exec.sh: a process that
 * connects and then becomes another program, so the events of its next
 * connect must name the new one (the supervisor keeps the caller's exe
 * while its memory lives, broker/seccomp/sc_mem.c).
 *
 *   tcp PORT                    connect to 127.0.0.1:PORT, close
 *   exec PORT PROG ARGV...      tcp PORT, then execv(PROG, ARGV)
 *   vfork PORT PROG ARGV...     vfork; the child (sharing our memory) does
 *                               "exec PORT PROG ARGV"; we wait for it
 * The address lives in one global: a static non-PIE image has it at the
 * same place before and after the exec, so a read of the old memory
 * finds the old port there.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sockaddr_in dst;

static int tcp(const char *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	dst.sin_family = AF_INET;
	dst.sin_port = htons((unsigned short)atoi(port));
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = connect(fd, (struct sockaddr *)&dst, sizeof(dst));
	if (r < 0)
		perror("connect");
	close(fd);
	return r < 0;
}

int main(int argc, char **argv)
{
	pid_t pid;
	int st;

	if (argc == 3 && !strcmp(argv[1], "tcp"))
		return tcp(argv[2]);
	if (argc >= 5 && !strcmp(argv[1], "exec")) {
		if (tcp(argv[2]))
			return 1;
		execv(argv[3], argv + 4);
		perror("execv");
		return 1;
	}
	if (argc >= 5 && !strcmp(argv[1], "vfork")) {
		pid = vfork();
		if (pid == 0) {
			if (tcp(argv[2]))
				_exit(1);
			execv(argv[3], argv + 4);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return 1;
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	fprintf(stderr, "usage: exe_exec tcp PORT | exec|vfork PORT PROG ARGV...\n");
	return 2;
}
