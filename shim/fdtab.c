/* SPDX-License-Identifier: MIT */
/*
 * fdtab.c - what the shim knows about each fd: one byte per fd number,
 * lock-free, so write() on a file costs one array load. Unknown fds are
 * classified once with getsockopt(SO_DOMAIN/SO_TYPE) through raw syscalls.
 * Also remembers the last partially written buffer per inet fd so a retry
 * of the remainder (or of the same buffer after EAGAIN) is not rescanned.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim/shim_int.h"

#define FDTAB_MAX 65536
#define SCANNED_SLOTS 1024

/* Globals: atomics only, any thread; AS-SAFE. */
static _Atomic unsigned char fdtab[FDTAB_MAX];

struct scanned {
	_Atomic int fd;
	_Atomic(const void *) ptr;
	_Atomic size_t len;
};
static struct scanned scanned_tab[SCANNED_SLOTS];

static enum shim_fd_kind classify(int fd)
{
	int dom = 0, type = 0;
	socklen_t l = sizeof(dom);

	if (SHIM_SYS(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) < 0)
		return SHIM_FD_OTHER;          /* ENOTSOCK, EBADF: not ours to check */
	if (dom != AF_INET && dom != AF_INET6)
		return SHIM_FD_OTHER;
	l = sizeof(type);
	if (SHIM_SYS(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &type, &l) < 0)
		return SHIM_FD_OTHER;
	if (type == SOCK_STREAM)
		return SHIM_FD_INET_STREAM;
	if (type == SOCK_DGRAM)
		return SHIM_FD_INET_DGRAM;
	return SHIM_FD_OTHER;
}

/* AS-SAFE */
enum shim_fd_kind shim_fd_kind(int fd)
{
	enum shim_fd_kind k;
	int saved = errno;

	if (fd < 0)
		return SHIM_FD_OTHER;
	if (fd >= FDTAB_MAX) {
		k = classify(fd);
		errno = saved;
		return k;
	}
	k = atomic_load_explicit(&fdtab[fd], memory_order_relaxed);
	if (k == SHIM_FD_UNKNOWN) {
		k = classify(fd);
		atomic_store_explicit(&fdtab[fd], (unsigned char)k, memory_order_relaxed);
		errno = saved;
	}
	return k;
}

/* AS-SAFE */
void shim_fd_set(int fd, enum shim_fd_kind k)
{
	if (fd >= 0 && fd < FDTAB_MAX)
		atomic_store_explicit(&fdtab[fd], (unsigned char)k, memory_order_relaxed);
	if (fd >= 0)
		atomic_store(&scanned_tab[fd % SCANNED_SLOTS].fd, -1);
}

/* AS-SAFE */
void shim_fd_copy(int from, int to)
{
	enum shim_fd_kind k = SHIM_FD_UNKNOWN;

	if (from >= 0 && from < FDTAB_MAX)
		k = atomic_load_explicit(&fdtab[from], memory_order_relaxed);
	if (k == SHIM_FD_BROKER)
		k = SHIM_FD_UNKNOWN;
	shim_fd_set(to, k);
}

/* AS-SAFE */
void shim_fd_forget_range(unsigned lo, unsigned hi)
{
	unsigned i;

	if (hi >= FDTAB_MAX)
		hi = FDTAB_MAX - 1;
	for (i = lo; i <= hi && i < FDTAB_MAX; i++)
		if (atomic_load_explicit(&fdtab[i], memory_order_relaxed) != SHIM_FD_BROKER)
			atomic_store_explicit(&fdtab[i], SHIM_FD_UNKNOWN, memory_order_relaxed);
}

/* AS-SAFE */
bool shim_fd_already_scanned(int fd, const void *p, size_t len)
{
	struct scanned *s;

	if (fd < 0)
		return false;
	s = &scanned_tab[fd % SCANNED_SLOTS];
	return atomic_load(&s->fd) == fd && atomic_load(&s->ptr) == p &&
	       atomic_load(&s->len) == len;
}

/*
 * After a send of (p,len) returned sent: if only part went out (or none,
 * EAGAIN), remember the rest as approved so the retry is not rescanned.
 * AS-SAFE.
 */
void shim_fd_note_scanned(int fd, const void *p, size_t len, ssize_t sent)
{
	struct scanned *s;

	if (fd < 0)
		return;
	s = &scanned_tab[fd % SCANNED_SLOTS];
	if (sent >= 0 && (size_t)sent >= len) {
		atomic_store(&s->fd, -1);
		return;
	}
	if (sent < 0)
		sent = 0;
	atomic_store(&s->fd, -1);
	atomic_store(&s->ptr, (const char *)p + sent);
	atomic_store(&s->len, len - (size_t)sent);
	atomic_store(&s->fd, fd);
}
