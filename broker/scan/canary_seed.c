/* SPDX-License-Identifier: MIT */
/*
 * canary_seed.c - the per-user key behind the canary variable names
 * (brk_scan_canary_user_key(), scan.h), so a user's canaries keep their
 * names from run to run (reproducible sessions, stable decoys) while their
 * values stay fresh. Called by the launcher once per session.
 *
 * The key is 32 random bytes in $XDG_STATE_HOME/dlpjail/canary-names.key
 * (0600, in a 0700 directory), written once through a temporary file and
 * link(2), so concurrent first runs agree on one key. Without a usable
 * state directory the key is a hash of uid and user name: stable, but
 * predictable for that uid and name.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/scan/scan.h"

#define KEY_FILE "canary-names.key"

/* mkdir -p for the last two components of dir ("$HOME/.local/state" exists
 * or is created, then "dlpjail"), each 0700. */
static int mkdirs(char *dir)
{
	char *p;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return mkdir(dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

static int state_dir(char *dst, size_t cap)
{
	const char *x = getenv("XDG_STATE_HOME"), *h = getenv("HOME");
	int n;

	if (x && x[0] == '/')
		n = snprintf(dst, cap, "%s/dlpjail", x);
	else if (h && h[0] == '/')
		n = snprintf(dst, cap, "%s/.local/state/dlpjail", h);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int read_key(const char *path, uint8_t key[32])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, key, 32);
	close(fd);
	return n == 32 ? 0 : -EINVAL;
}

static int file_key(uint8_t key[32])
{
	char dir[PATH_MAX], path[PATH_MAX + 32], tmp[PATH_MAX + 48];
	uint8_t fresh[32];
	int fd, rc;

	if ((rc = state_dir(dir, sizeof(dir))) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/" KEY_FILE, dir);
	if (read_key(path, key) == 0)
		return 0;
	if ((rc = mkdirs(dir)) < 0)
		return rc;
	if (getrandom(fresh, sizeof(fresh), 0) != sizeof(fresh))
		return -EIO;
	snprintf(tmp, sizeof(tmp), "%s/." KEY_FILE ".%ld", dir, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	rc = write(fd, fresh, sizeof(fresh)) == (ssize_t)sizeof(fresh) ? 0 : -EIO;
	close(fd);
	if (rc == 0 && link(tmp, path) < 0 && errno != EEXIST)
		rc = -errno;
	unlink(tmp);
	explicit_bzero(fresh, sizeof(fresh));
	/* whoever linked first won: everyone reads the same key */
	return rc < 0 ? rc : read_key(path, key);
}

/* splitmix64 over uid and name: a fallback, not a secret */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void derived_key(uint8_t key[32])
{
	struct passwd *pw = getpwuid(getuid());
	const char *name = pw && pw->pw_name ? pw->pw_name : "";
	uint64_t h = mix(0x646c706a61696cULL ^ (uint64_t)getuid()), w[4];
	size_t i;

	for (i = 0; name[i]; i++)
		h = mix(h ^ (unsigned char)name[i]);
	for (i = 0; i < 4; i++) {
		h = mix(h + i);
		w[i] = h;
	}
	memcpy(key, w, 32);
}

int brk_scan_canary_user_key(uint8_t key[32])
{
	if (file_key(key) == 0)
		return 0;
	derived_key(key);
	return 1;
}
