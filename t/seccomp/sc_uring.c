/* SPDX-License-Identifier: MIT */
/*
 * sc_uring.c - static program attempting an io_uring connect: io_uring
 * operations (IORING_OP_CONNECT, IORING_OP_SEND) run in kernel workers that
 * seccomp never sees, so the backstop must refuse io_uring_setup itself.
 * Prints "ok refused EPERM" (exit 0) or "err ..." (exit 1) when a ring
 * could be created.
 */
#include "config.h"

#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	struct io_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 8, &p);
	if (fd >= 0) {
		printf("err ring created (fd %ld): io_uring connect would bypass the filter\n", fd);
		return 1;
	}
	if (errno == EPERM) {
		printf("ok refused EPERM\n");
		return 0;
	}
	printf("err io_uring_setup failed with %s, want EPERM\n", strerrorname_np(errno));
	return 1;
}
