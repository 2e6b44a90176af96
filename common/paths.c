/* SPDX-License-Identifier: MIT */
/* paths.c - per-user broker socket location, default policy location (see paths.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The directory of this binary, libtool's .libs/ folded into its parent. */
static int exe_dir(char *dir, size_t cap)
{
	ssize_t n = readlink("/proc/self/exe", dir, cap - 1);
	char *s;

	if (n <= 0)
		return -ENOENT;
	dir[n] = '\0';
	s = strrchr(dir, '/');
	if (!s || s == dir)
		return -ENOENT;
	*s = '\0';
	s = strrchr(dir, '/');
	if (s && s != dir && !strcmp(s + 1, ".libs"))
		*s = '\0';
	return 0;
}

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && S_ISDIR(sa.st_mode) &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool readable_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, R_OK) == 0;
}

int dlp_find_default_policy(char *dst, size_t cap, char *tried, size_t tcap)
{
	enum { NCAND = 4 };
	char dir[PATH_MAX], cand[NCAND][PATH_MAX + 64];
	size_t n = 0, i, dl, bl = strlen(DLP_BINDIR), tl = 0;

	if (exe_dir(dir, sizeof(dir)) == 0) {
		if (same_dir(dir, DLP_ABS_TOP_BUILDDIR))
			snprintf(cand[n++], sizeof(cand[0]), "%s/policy/default.policy",
				 DLP_ABS_TOP_SRCDIR);
		dl = strlen(dir);
		if (dl > bl && !strcmp(dir + dl - bl, DLP_BINDIR))
			snprintf(cand[n++], sizeof(cand[0]), "%.*s%s/default.policy",
				 (int)(dl - bl), dir, DLP_PKGDATADIR);
		if (strcmp(dir, DLP_BINDIR))
			snprintf(cand[n++], sizeof(cand[0]), "%s/../share/%s/default.policy",
				 dir, PACKAGE);
	}
	snprintf(cand[n++], sizeof(cand[0]), "%s/default.policy", DLP_PKGDATADIR);
	if (tcap)
		tried[0] = '\0';
	for (i = 0; i < n; i++) {
		if (readable_file(cand[i])) {
			if (strlen(cand[i]) >= cap)
				return -ENAMETOOLONG;
			memcpy(dst, cand[i], strlen(cand[i]) + 1);
			return 0;
		}
		if (tl < tcap)
			tl += (size_t)snprintf(tried + tl, tcap - tl, "%s%s", i ? ", " : "",
					       cand[i]);
	}
	return -ENOENT;
}
