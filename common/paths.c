/* SPDX-License-Identifier: MIT */
/* paths.c - per-user broker socket location (see paths.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "common/paths.h"

static int put(char *dst, size_t cap, size_t *n, const char *s)
{
	size_t l = strlen(s);

	if (l >= cap - *n)
		return -ENAMETOOLONG;
	memcpy(dst + *n, s, l + 1);
	*n += l;
	return 0;
}

int dlp_user_dir(char *dst, size_t cap)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	size_t n = 0;
	char num[24];
	size_t l;

	if (cap == 0)
		return -ENAMETOOLONG;
	dst[0] = '\0';
	if (xdg && xdg[0] == '/')
		return put(dst, cap, &n, xdg) ?: put(dst, cap, &n, "/dlpjail");
	l = dlp_fmt_uint(num, sizeof(num) - 1, (unsigned long long)syscall(SYS_getuid));
	num[l] = '\0';
	return put(dst, cap, &n, "/tmp/dlpjail-") ?: put(dst, cap, &n, num);
}

int dlp_user_sock(char *dst, size_t cap)
{
	int rc = dlp_user_dir(dst, cap);
	size_t n = strlen(dst);

	return rc ?: put(dst, cap, &n, "/broker.sock");
}
