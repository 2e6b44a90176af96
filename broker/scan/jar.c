/* SPDX-License-Identifier: MIT */
/* jar.c - the cookie values hosts set this session (see jar.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/jar.h"

struct jar_ent {
	char host[254];                 /* lower case, no trailing dot; "" = empty */
	uint8_t *v;
	size_t n;
};

struct brk_jar {
	pthread_mutex_t mu;
	struct jar_ent e[BRK_JAR_MAX];
	size_t next;                    /* ring position */
};

int brk_jar_new(struct brk_jar **out)
{
	struct brk_jar *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	pthread_mutex_init(&j->mu, NULL);
	*out = j;
	return 0;
}

static void ent_clear(struct jar_ent *e)
{
	if (e->v) {
		explicit_bzero(e->v, e->n);
		free(e->v);
	}
	memset(e, 0, sizeof(*e));
}

void brk_jar_free(struct brk_jar *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < BRK_JAR_MAX; i++)
		ent_clear(&j->e[i]);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

/* host -> h (lower case, no trailing dot); -EINVAL if empty or too long */
static int jar_host(const char *host, char h[254])
{
	size_t hl = host ? strlen(host) : 0, i;

	if (hl && host[hl - 1] == '.')
		hl--;
	if (!hl || hl > 253)
		return -EINVAL;
	for (i = 0; i < hl; i++)
		h[i] = (char)tolower((unsigned char)host[i]);
	h[hl] = '\0';
	return 0;
}

void brk_jar_learn(struct brk_jar *j, const char *host, const uint8_t *v, size_t n)
{
	struct jar_ent *e;
	char h[254];
	uint8_t *c;
	size_t i;

	if (!j || n < BRK_JAR_VALUE_MIN || n > BRK_JAR_VALUE_MAX || jar_host(host, h) < 0)
		return;
	for (i = 0; i < n; i++)
		if (v[i] <= 0x20 || v[i] >= 0x7f || strchr("\",;\\", v[i]))
			return;         /* not a cookie value (RFC 6265 cookie-octet) */
	pthread_mutex_lock(&j->mu);
	for (i = 0; i < BRK_JAR_MAX; i++)
		if (j->e[i].n == n && !strcmp(j->e[i].host, h) && !memcmp(j->e[i].v, v, n))
			goto out;       /* known already */
	c = malloc(n);
	if (!c)
		goto out;       /* not remembered: the value is judged as any */
	memcpy(c, v, n);
	e = &j->e[j->next];
	ent_clear(e);
	memcpy(e->host, h, sizeof(e->host));
	e->v = c;
	e->n = n;
	j->next = (j->next + 1) % BRK_JAR_MAX;
out:
	pthread_mutex_unlock(&j->mu);
}

int brk_jar_has(struct brk_jar *j, const char *host, const uint8_t *v, size_t n, int prefix)
{
	char h[254];
	size_t i;
	int found = 0;

	if (!j || n < BRK_JAR_VALUE_MIN || jar_host(host, h) < 0)
		return 0;
	if (prefix && (n < BRK_JAR_PREFIX_MIN ||
		       (n < BRK_JAR_PREFIX_JWT && n >= 3 && !memcmp(v, "eyJ", 3))))
		prefix = 0;
	pthread_mutex_lock(&j->mu);
	for (i = 0; i < BRK_JAR_MAX && !found; i++) {
		const struct jar_ent *e = &j->e[i];

		found = e->v && (e->n == n || (prefix && e->n > n)) && !memcmp(e->v, v, n) &&
			!strcmp(e->host, h);
	}
	pthread_mutex_unlock(&j->mu);
	return found;
}
