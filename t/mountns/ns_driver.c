/* SPDX-License-Identifier: MIT */
/*
 * ns_driver.c - test driver for broker/mountns: prepares the jail's mount
 * namespace the way the launcher does, forks, enters it in the child and
 * execs argv there. Only t/e2e/130-mountns.sh runs it.
 *
 * usage: ns_driver -s SHIM [-r RESOLV_TEXT] [-k BROKER_SOCK] -- CMD [ARGS...]
 * exit: the command's status; 2 usage; 3 prepare said -EOPNOTSUPP (the
 * reason on stderr); 4 other prepare errors; 5 child_enter failed.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "broker/mountns.h"

int main(int argc, char **argv)
{
	const char *shim = NULL, *resolv = NULL, *sock = NULL, *base = getenv("TMPDIR");
	struct brk_mountns *ns = NULL;
	char dir[PATH_MAX], why[256];
	int opt, rc, status = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "s:r:k:")) != -1) {
		switch (opt) {
		case 's': shim = optarg; break;
		case 'r': resolv = optarg; break;
		case 'k': sock = optarg; break;
		default: return 2;
		}
	}
	if (!shim || optind >= argc) {
		fprintf(stderr, "usage: ns_driver -s SHIM [-r RESOLV_TEXT] [-k SOCK] -- CMD [ARGS...]\n");
		return 2;
	}
	if (!base || base[0] != '/')
		base = "/tmp";
	snprintf(dir, sizeof(dir), "%s/ns_driver.XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 4;
	}
	rc = brk_mountns_prepare(dir, shim, resolv, &ns, why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "ns_driver: mountns unavailable: %s (%s)\n", why, strerror(-rc));
		rmdir(dir);
		return rc == -EOPNOTSUPP ? 3 : 4;
	}
	if (sock && brk_mountns_set_broker_sock(ns, sock) < 0) {
		status = 4 << 8;
		goto out;
	}
	fprintf(stderr, "ns_driver: method %s\n", brk_mountns_method(ns));
	pid = fork();
	if (pid < 0) {
		perror("fork");
		status = 4 << 8;
		goto out;
	}
	if (pid == 0) {
		if (brk_mountns_child_enter(ns) < 0)
			_exit(5);
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
out:
	brk_mountns_free(ns);
	if (rmdir(dir) < 0)
		fprintf(stderr, "ns_driver: %s left behind: %s\n", dir, strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
