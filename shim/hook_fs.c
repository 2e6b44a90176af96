/* SPDX-License-Identifier: MIT */
/*
 * hook_fs.c - opens for writing that the jail's read-only binds refused.
 *
 * The launcher keeps the files that run outside the jail later (~/.bashrc,
 * ~/.ssh, .git/hooks: broker/persist.c) read-only in the jail's mount
 * namespace, and the kernel answers a write with EROFS: the file is safe,
 * but nothing told the user that a build step tried. Here a write-open
 * that failed with EROFS is posted to the launcher's broker (DLP_MSG_NOTE,
 * never answered) with the absolute path it named; the broker makes an
 * event of those aimed at its persistence list. Telling only: the kernel
 * has refused already, and a call that bypasses libc (a static binary, a
 * raw syscall, io_uring is refused anyway) is refused without an event.
 * Only under the launcher (DLPJAIL_SOCK): the ad hoc form has no mount
 * namespace, nothing there is read-only (see man/dlpjail.1, "ad hoc").
 * The success path costs one errno test.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/paths.h"
#include "common/wire.h"
#include "shim/shim_int.h"

typedef int open_fn(const char *, int, ...);
typedef int openat_fn(int, const char *, int, ...);
typedef int creat_fn(const char *, mode_t);
typedef FILE *fopen_fn(const char *, const char *);

/* Globals: filled once under fs_once, read-only after. */
static struct {
	open_fn *open, *open64;
	openat_fn *openat, *openat64;
	creat_fn *creat, *creat64;
	fopen_fn *fopen, *fopen64;
} fs_real;
static pthread_once_t fs_once = PTHREAD_ONCE_INIT;
static bool fs_on;

static void *fs_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	return p && !shim_is_self(p) ? p : NULL;
}

static void fs_resolve(void)
{
	fs_real.open = (open_fn *)fs_sym("open");
	fs_real.open64 = (open_fn *)fs_sym("open64");
	fs_real.openat = (openat_fn *)fs_sym("openat");
	fs_real.openat64 = (openat_fn *)fs_sym("openat64");
	fs_real.creat = (creat_fn *)fs_sym("creat");
	fs_real.creat64 = (creat_fn *)fs_sym("creat64");
	fs_real.fopen = (fopen_fn *)fs_sym("fopen");
	fs_real.fopen64 = (fopen_fn *)fs_sym("fopen64");
	fs_on = getenv(DLP_ENV_SOCK) != NULL;
}

/* Tell the broker; errno is kept (the caller reports EROFS). */
static void fs_erofs(int dirfd, const char *path)
{
	char abs[PATH_MAX], dir[PATH_MAX], lnk[32];
	struct dlp_msg m = { .type = DLP_MSG_NOTE, .flags = DLP_NOTE_EROFS };
	int saved = errno, k;
	ssize_t n;

	if (shim_inert || !fs_on || !path || !shim_enter())
		goto out;
	if (path[0] == '/') {
		k = snprintf(abs, sizeof(abs), "%s", path);
	} else {
		if (dirfd == AT_FDCWD) {
			n = getcwd(dir, sizeof(dir)) ? (ssize_t)strlen(dir) : -1;
		} else {
			snprintf(lnk, sizeof(lnk), "/proc/self/fd/%d", dirfd);
			n = readlink(lnk, dir, sizeof(dir) - 1);
		}
		if (n <= 0) {
			shim_leave();
			goto out;
		}
		dir[n] = '\0';
		k = snprintf(abs, sizeof(abs), "%s/%s", dir, path);
	}
	if (k > 0 && (size_t)k < sizeof(abs)) {
		m.data = (const uint8_t *)abs;
		m.data_len = (size_t)k;
		DLP_SET(&m, DLP_K_FLAGS);
		DLP_SET(&m, DLP_K_DATA);
		(void)shim_chan_post(&m);
	}
	shim_leave();
out:
	errno = saved;
}

/* glibc's __OPEN_NEEDS_MODE: O_TMPFILE holds O_DIRECTORY's bit */
static bool fs_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

static bool fs_writes(int flags)
{
	return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)) ||
	       fs_needs_mode(flags);
}

static mode_t fs_mode(int flags, va_list ap)
{
	return fs_needs_mode(flags) ? (mode_t)va_arg(ap, int) : 0;
}

#define FS_READY(fn)                                   \
	do {                                           \
		pthread_once(&fs_once, fs_resolve);    \
		if (!fs_real.fn) {                     \
			errno = ENOSYS;                \
			return -1;                     \
		}                                      \
	} while (0)

#define FS_OPEN(name)                                                           \
	__attribute__((visibility("default"))) int name(const char *path, int flags, ...) \
	{                                                                       \
		va_list ap;                                                     \
		mode_t mode;                                                    \
		int fd;                                                         \
                                                                                \
		va_start(ap, flags);                                            \
		mode = fs_mode(flags, ap);                                      \
		va_end(ap);                                                     \
		FS_READY(name);                                                 \
		fd = fs_real.name(path, flags, mode);                           \
		if (fd < 0 && errno == EROFS && fs_writes(flags))               \
			fs_erofs(AT_FDCWD, path);                               \
		return fd;                                                      \
	}

#define FS_OPENAT(name)                                                         \
	__attribute__((visibility("default"))) int name(int dirfd, const char *path, int flags, ...) \
	{                                                                       \
		va_list ap;                                                     \
		mode_t mode;                                                    \
		int fd;                                                         \
                                                                                \
		va_start(ap, flags);                                            \
		mode = fs_mode(flags, ap);                                      \
		va_end(ap);                                                     \
		FS_READY(name);                                                 \
		fd = fs_real.name(dirfd, path, flags, mode);                    \
		if (fd < 0 && errno == EROFS && fs_writes(flags))               \
			fs_erofs(dirfd, path);                                  \
		return fd;                                                      \
	}

#define FS_CREAT(name)                                                          \
	__attribute__((visibility("default"))) int name(const char *path, mode_t mode) \
	{                                                                       \
		int fd;                                                         \
                                                                                \
		FS_READY(name);                                                 \
		fd = fs_real.name(path, mode);                                  \
		if (fd < 0 && errno == EROFS)                                   \
			fs_erofs(AT_FDCWD, path);                               \
		return fd;                                                      \
	}

#define FS_FOPEN(name)                                                          \
	__attribute__((visibility("default"))) FILE *name(const char *path, const char *mode) \
	{                                                                       \
		FILE *f;                                                        \
                                                                                \
		pthread_once(&fs_once, fs_resolve);                             \
		if (!fs_real.name) {                                            \
			errno = ENOSYS;                                         \
			return NULL;                                            \
		}                                                               \
		f = fs_real.name(path, mode);                                   \
		if (!f && errno == EROFS && mode && strpbrk(mode, "wa+"))       \
			fs_erofs(AT_FDCWD, path);                               \
		return f;                                                       \
	}

#undef open64
#undef openat64
#undef creat64
#undef fopen64
FS_OPEN(open)
FS_OPEN(open64)
FS_OPENAT(openat)
FS_OPENAT(openat64)
FS_CREAT(creat)
FS_CREAT(creat64)
FS_FOPEN(fopen)
FS_FOPEN(fopen64)
