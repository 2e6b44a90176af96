/* SPDX-License-Identifier: MIT */
/* session.c - approved-address memory of a session (see session.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/session.h"

/* The names handed out for one address (one address, many names: CDNs,
 * shared hosting, the tests' loopback), newest in host[0]. */
#define RESOLVED_NAMES 4

struct resolved_ent {
	struct brk_addr a;
	char host[RESOLVED_NAMES][256];
};

struct brk_resolved {
	pthread_mutex_t lock;
	size_t n, next;                 /* ring: next slot to overwrite when full */
	struct resolved_ent ent[BRK_SESSION_MAX_RESOLVED];
};

int brk_resolved_new(struct brk_resolved **out)
{
	struct brk_resolved *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void brk_resolved_free(struct brk_resolved *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static struct resolved_ent *find(struct brk_resolved *r, const struct brk_addr *a)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->ent[i].a.v == a->v && !memcmp(r->ent[i].a.b, a->b, 16))
			return &r->ent[i];
	return NULL;
}

void brk_resolved_add(struct brk_resolved *r, const char *host, const struct brk_addr *a)
{
	struct resolved_ent *e;
	struct brk_addr c;
	size_t i;

	brk_addr_canon(a, &c);
	pthread_mutex_lock(&r->lock);
	e = find(r, &c);
	if (!e) {
		if (r->n < BRK_SESSION_MAX_RESOLVED) {
			e = &r->ent[r->n++];
		} else {
			e = &r->ent[r->next];
			r->next = (r->next + 1) % BRK_SESSION_MAX_RESOLVED;
		}
		memset(e->host, 0, sizeof(e->host));
		e->a = c;
	}
	for (i = 0; i < RESOLVED_NAMES - 1 && e->host[i][0] && strcasecmp(e->host[i], host); i++)
		;
	/* move it (or the oldest) out of the way, the name goes first */
	memmove(e->host[1], e->host[0], i * sizeof(e->host[0]));
	snprintf(e->host[0], sizeof(e->host[0]), "%s", host);
	pthread_mutex_unlock(&r->lock);
}

bool brk_resolved_lookup(struct brk_resolved *r, const struct brk_addr *a,
			 char *host, size_t cap)
{
	struct resolved_ent *e;
	struct brk_addr c;

	brk_addr_canon(a, &c);
	pthread_mutex_lock(&r->lock);
	e = find(r, &c);
	if (e && host)
		snprintf(host, cap, "%s", e->host[0]);
	pthread_mutex_unlock(&r->lock);
	return e != NULL;
}

bool brk_resolved_has(struct brk_resolved *r, const char *host, const struct brk_addr *a)
{
	struct resolved_ent *e;
	struct brk_addr c;
	bool found = false;
	size_t i;

	if (!host || !*host)
		return false;
	brk_addr_canon(a, &c);
	pthread_mutex_lock(&r->lock);
	e = find(r, &c);
	for (i = 0; e && i < RESOLVED_NAMES && e->host[i][0] && !found; i++)
		found = !strcasecmp(e->host[i], host);
	pthread_mutex_unlock(&r->lock);
	return found;
}

#define PIDSET_MAX 4096

struct brk_pidset {
	pthread_mutex_t lock;
	size_t n;
	struct { pid_t pid; unsigned refs; } e[PIDSET_MAX];
};

int brk_pidset_new(struct brk_pidset **out)
{
	struct brk_pidset *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
	return 0;
}

void brk_pidset_free(struct brk_pidset *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void brk_pidset_add(struct brk_pidset *s, pid_t pid)
{
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n; i++)
		if (s->e[i].pid == pid)
			break;
	if (i < s->n)
		s->e[i].refs++;
	else if (s->n < PIDSET_MAX) {
		s->e[s->n].pid = pid;
		s->e[s->n].refs = 1;
		s->n++;
	}
	pthread_mutex_unlock(&s->lock);
}

void brk_pidset_del(struct brk_pidset *s, pid_t pid)
{
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n; i++) {
		if (s->e[i].pid != pid)
			continue;
		if (--s->e[i].refs == 0)
			s->e[i] = s->e[--s->n];
		break;
	}
	pthread_mutex_unlock(&s->lock);
}

bool brk_pidset_has(struct brk_pidset *s, pid_t pid)
{
	bool found = false;
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n && !found; i++)
		found = s->e[i].pid == pid;
	pthread_mutex_unlock(&s->lock);
	return found;
}
