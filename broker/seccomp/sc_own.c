/* SPDX-License-Identifier: MIT */
/*
 * sc_own.c - the jail's own loopback listeners (issue 10 item 11): the
 * supervisor performs every listen() (sc_notify.c h_listen) and records the
 * listening socket's inode here; a later connect() to a loopback address
 * is "to the jail's own server" when the socket LISTENing on that address
 * and port (/proc/TID/net/tcp{,6}, the kernel's own table, read at connect
 * time) has one of those inodes. A listener the jail closed, whose port a
 * host process took over since, does not match. Only sc_notify.c calls it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/seccomp/sc_int.h"

#define SC_OWN_MAX 1024 /* listeners remembered; the oldest is forgotten first */

struct brk_sc_own {
	pthread_mutex_t lock;
	unsigned long ino[SC_OWN_MAX];
	unsigned int next;
};

struct brk_sc_own *brk_sc_own_new(void)
{
	struct brk_sc_own *o = calloc(1, sizeof(*o));

	if (o)
		pthread_mutex_init(&o->lock, NULL);
	return o;
}

void brk_sc_own_free(struct brk_sc_own *o)
{
	if (!o)
		return;
	pthread_mutex_destroy(&o->lock);
	free(o);
}

void brk_sc_own_add(struct brk_sc_own *o, unsigned long ino)
{
	if (!o || !ino)
		return;
	pthread_mutex_lock(&o->lock);
	o->ino[o->next++ % SC_OWN_MAX] = ino;
	pthread_mutex_unlock(&o->lock);
}

static bool sc_own_has(struct brk_sc_own *o, unsigned long ino)
{
	bool hit = false;
	unsigned int i;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < SC_OWN_MAX && !hit; i++)
		hit = ino && o->ino[i] == ino;
	pthread_mutex_unlock(&o->lock);
	return hit;
}

/*
 * Every socket LISTENing on port in /proc/TID/net/FILE whose address is
 * hexaddr (the kernel prints addresses as %08X words of the raw bytes, so
 * our own %08X of the same bytes compares equal) or the wildcard, which
 * could take the connection too: *nown of them are ours, *nother not.
 */
static void sc_own_count(struct brk_sc_own *o, pid_t tid, const char *file, const char *hexaddr,
			 unsigned int port, unsigned int *nown, unsigned int *nother)
{
	char path[64], line[512], la[40];
	unsigned long ino;
	unsigned int lp, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", (int)tid, file);
	f = fopen(path, "re");
	if (!f) {
		(*nother)++; /* cannot tell: not ours */
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*u %*u %lu", la, &lp,
			   &st, &ino) != 4 || st != 0x0A || lp != port)
			continue;
		if (strcasecmp(la, hexaddr) && strspn(la, "0") != strlen(la))
			continue;
		if (sc_own_has(o, ino))
			(*nown)++;
		else
			(*nother)++;
	}
	fclose(f);
}

/*
 * Ours when every listener that could take a connect to ss is ours: a host
 * service sharing the port through SO_REUSEPORT, or on the wildcard
 * address, makes it not ours.
 */
bool brk_sc_own_is_listener(struct brk_sc_own *o, pid_t tid, const struct sockaddr_storage *ss)
{
	char hex4[16] = "-", hex6[40];
	uint32_t w[4];
	unsigned int port, nown = 0, nother = 0;

	if (!o)
		return false;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		if ((ntohl(s4->sin_addr.s_addr) >> 24) != 127)
			return false;
		port = ntohs(s4->sin_port);
		snprintf(hex4, sizeof(hex4), "%08X", (unsigned int)s4->sin_addr.s_addr);
		/* an AF_INET6 listener on ::ffff:127.x.y.z takes v4 connects too */
		w[0] = w[1] = 0;
		w[2] = htonl(0xffff);
		w[3] = s4->sin_addr.s_addr;
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (!IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return false; /* v4-mapped destinations arrive as AF_INET */
		port = ntohs(s6->sin6_port);
		memcpy(w, &s6->sin6_addr, sizeof(w));
	} else {
		return false;
	}
	snprintf(hex6, sizeof(hex6), "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
	if (ss->ss_family == AF_INET)
		sc_own_count(o, tid, "tcp", hex4, port, &nown, &nother);
	sc_own_count(o, tid, "tcp6", hex6, port, &nown, &nother);
	return nown > 0 && nother == 0;
}
