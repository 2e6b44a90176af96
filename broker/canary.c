/* SPDX-License-Identifier: MIT */
/* canary.c - exact canary token matching across writes (see canary.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/canary.h"

struct brk_canary_set {
	size_t n;
	size_t maxlen;
	char **tok;
	size_t *len;
};

int brk_canary_set_new(const char *const *tokens, size_t n, struct brk_canary_set **out)
{
	struct brk_canary_set *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return -ENOMEM;
	s->tok = calloc(n ? n : 1, sizeof(char *));
	s->len = calloc(n ? n : 1, sizeof(size_t));
	if (!s->tok || !s->len)
		goto nomem;
	for (i = 0; i < n; i++) {
		size_t l = strlen(tokens[i]);
		if (l == 0 || l > BRK_CANARY_MAX_LEN) {
			brk_canary_set_free(s);
			return -EINVAL;
		}
		s->tok[i] = strdup(tokens[i]);
		if (!s->tok[i])
			goto nomem;
		s->len[i] = l;
		s->n++;
		if (l > s->maxlen)
			s->maxlen = l;
	}
	*out = s;
	return 0;
nomem:
	brk_canary_set_free(s);
	return -ENOMEM;
}

void brk_canary_set_free(struct brk_canary_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		free(s->tok[i]);
	free(s->tok);
	free(s->len);
	free(s);
}

size_t brk_canary_count(const struct brk_canary_set *s)
{
	return s ? s->n : 0;
}

const char *brk_canary_token(const struct brk_canary_set *s, size_t i)
{
	return i < s->n ? s->tok[i] : NULL;
}

static int search(const struct brk_canary_set *s, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (memmem(p, len, s->tok[i], s->len[i]))
			return (int)i;
	return -1;
}

int brk_canary_feed(const struct brk_canary_set *s, struct brk_canary_stream *st,
		    const uint8_t *p, size_t len)
{
	uint8_t joint[2 * BRK_CANARY_MAX_LEN];
	size_t keep, head;
	int hit;

	if (!s || s->n == 0)
		return -1;
	hit = search(s, p, len);
	if (hit >= 0 || !st)
		return hit;
	/* tokens straddling the previous bytes and this buffer */
	head = len < s->maxlen - 1 ? len : s->maxlen - 1;
	if (st->tail_len && head) {
		memcpy(joint, st->tail, st->tail_len);
		memcpy(joint + st->tail_len, p, head);
		hit = search(s, joint, st->tail_len + head);
	}
	/* new tail: last maxlen-1 bytes of (tail + p) */
	keep = s->maxlen - 1;
	if (len >= keep) {
		memcpy(st->tail, p + len - keep, keep);
		st->tail_len = keep;
	} else {
		size_t from_old = st->tail_len + len > keep ? keep - len : st->tail_len;
		memmove(st->tail, st->tail + st->tail_len - from_old, from_old);
		memcpy(st->tail + from_old, p, len);
		st->tail_len = from_old + len;
	}
	return hit;
}
