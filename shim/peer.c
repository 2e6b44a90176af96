/* SPDX-License-Identifier: MIT */
/*
 * peer.c - the destination each inet stream fd was connect()ed to, so that
 * getpeername() shows it and not the egress relay the supervisor connected
 * the socket to (issue 10 item 1). One slot per fd number below
 * PEER_SLOTS, keyed by the socket's inode as well: a closed and reused fd
 * number, or a dup2()ed other socket, never answers with a stale address
 * (the kernel's answer is used then). A per-slot sequence counter makes
 * the copy consistent without locks. AS-SAFE, any thread.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <netinet/in.h>

#include "shim/shim_int.h"

#define PEER_SLOTS 4096

struct peer_slot {
	atomic_uint seq;          /* odd while written */
	unsigned long ino;        /* the socket's inode when recorded */
	socklen_t len;
	struct sockaddr_in6 sa;   /* large enough for either family */
};
/* Globals: per-slot seqlocks; AS-SAFE. */
static struct peer_slot peer_tab[PEER_SLOTS];

static unsigned long peer_ino(int fd)
{
	struct stat st;

	if (SHIM_SYS(SYS_fstat, fd, &st) < 0)
		return 0;
	return (unsigned long)st.st_ino;
}

void shim_peer_note(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct peer_slot *s;
	unsigned long ino;
	int saved = errno;

	if (fd < 0 || fd >= PEER_SLOTS || len > sizeof(s->sa) || len < sizeof(sa_family_t))
		return;
	ino = peer_ino(fd);
	errno = saved;
	if (!ino)
		return;
	s = &peer_tab[fd];
	atomic_fetch_add(&s->seq, 1);
	s->ino = ino;
	s->len = len;
	memcpy(&s->sa, sa, len);
	atomic_fetch_add(&s->seq, 1);
}

int shim_peer_lookup(int fd, struct sockaddr_storage *out, socklen_t *len)
{
	struct peer_slot *s;
	unsigned long ino;
	unsigned int a, b;
	int tries, saved = errno;

	if (fd < 0 || fd >= PEER_SLOTS)
		return -1;
	s = &peer_tab[fd];
	if (!atomic_load(&s->seq))
		return -1; /* never recorded: skip the fstat */
	ino = peer_ino(fd);
	errno = saved;
	for (tries = 0; tries < 8; tries++) {
		a = atomic_load(&s->seq);
		if (a & 1)
			continue;
		memcpy(out, &s->sa, sizeof(s->sa));
		*len = s->len;
		b = s->ino == ino && ino;
		if (atomic_load(&s->seq) == a)
			return b ? 0 : -1;
	}
	return -1;
}

/* dup and friends: the copy has the same socket (the inode check holds). */
void shim_peer_copy(int from, int to)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int saved = errno;

	if (shim_peer_lookup(from, &ss, &len) == 0)
		shim_peer_note(to, (const struct sockaddr *)&ss, len);
	errno = saved;
}
