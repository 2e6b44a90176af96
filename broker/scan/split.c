/* SPDX-License-Identifier: MIT */
/*
 * split.c - rolling per-host, per-field streams of small outbound messages
 * (split.h): a secret sent a byte per request, or half on each of two
 * connections, becomes contiguous again in one of them.
 *
 * Only scan.c calls this. The parser is deliberately small: it reads an
 * HTTP/1 request line, headers and body, or takes a payload that is not
 * HTTP as a body; a form or JSON body gives one field per key.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "broker/scan/split.h"

#define MAX_MSG_FIELDS 64
#define MAX_TOUCHED (1 + BRK_SPLIT_FIELDS)

struct roll {
	uint8_t b[BRK_SPLIT_ROLL];
	size_t len;
	size_t from;                   /* len before the current message */
	uint64_t seq;                  /* message that last touched it */
};

struct field {
	char name[32];
	uint64_t used;
	uint64_t last;                 /* hash of the last value */
	struct roll r;
};

struct hent {
	char host[256];
	uint64_t used;
	struct roll all;               /* changed values of every field */
	struct field f[BRK_SPLIT_FIELDS];
	size_t nf;
	int burnt;                     /* secret index + 1 once caught here */
};

struct brk_split {
	pthread_mutex_t mu;
	struct hent *h[BRK_SPLIT_HOSTS];
	uint64_t tick;
};

/* One value of the current message; p points into the message or dec. */
struct val {
	char name[32];
	const uint8_t *p;
	size_t len;
};

struct msg {
	struct val v[MAX_MSG_FIELDS];
	size_t nv;
	uint8_t dec[BRK_SPLIT_MSG_MAX];  /* percent-decoded values */
	size_t ndec;
};

int brk_split_new(struct brk_split **out)
{
	struct brk_split *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	*out = s;
	return 0;
}

void brk_split_free(struct brk_split *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < BRK_SPLIT_HOSTS; i++) {
		if (s->h[i])
			explicit_bzero(s->h[i], sizeof(*s->h[i]));
		free(s->h[i]);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* ---- parsing ---------------------------------------------------------- */

/* "prefix" + name, lower case, digits dropped (d1=, d2= are one field). */
static void field_name(char *dst, size_t cap, const char *prefix, const uint8_t *n, size_t nl)
{
	size_t o = 0, i;

	for (i = 0; prefix[i] && o + 1 < cap; i++)
		dst[o++] = prefix[i];
	for (i = 0; i < nl && o + 1 < cap; i++)
		if (!isdigit(n[i]))
			dst[o++] = (char)tolower(n[i]);
	dst[o] = '\0';
}

static int hexv(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void add_val(struct msg *m, const char *prefix, const uint8_t *n, size_t nl,
		    const uint8_t *v, size_t vl, int pct)
{
	struct val *x;
	size_t i;

	if (vl == 0 || vl > BRK_SPLIT_VALUE_MAX || m->nv == MAX_MSG_FIELDS)
		return;
	x = &m->v[m->nv];
	field_name(x->name, sizeof(x->name), prefix, n, nl);
	if (pct && memchr(v, '%', vl) && m->ndec + vl <= sizeof(m->dec)) {
		uint8_t *d = m->dec + m->ndec;
		size_t o = 0;

		for (i = 0; i < vl; i++) {
			if (v[i] == '%' && i + 2 < vl && hexv(v[i + 1]) >= 0 && hexv(v[i + 2]) >= 0) {
				d[o++] = (uint8_t)(hexv(v[i + 1]) << 4 | hexv(v[i + 2]));
				i += 2;
			} else {
				d[o++] = v[i];
			}
		}
		m->ndec += o;
		v = d;
		vl = o;
	}
	x->p = v;
	x->len = vl;
	m->nv++;
}

/* a=b&c=d (query strings, form bodies) */
static void parse_form(struct msg *m, const char *prefix, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t e = i, eq;

		while (e < n && p[e] != '&' && p[e] != ';')
			e++;
		for (eq = i; eq < e && p[eq] != '='; eq++)
			;
		if (eq < e)
			add_val(m, prefix, p + i, eq - i, p + eq + 1, e - eq - 1, 1);
		else
			add_val(m, prefix, (const uint8_t *)"", 0, p + i, e - i, 1);
		i = e + 1;
	}
}

/* A Cookie header's pairs, "a=b; c=d", each a field "c:" + its name (white
 * space and digits dropped: c1=, c2= are one field). The HTTP glue gives
 * every Cookie value (HTTP/1 and 2) as field "cookie": its lines are whole
 * there, however the request was cut into writes. */
static void parse_cookie(struct msg *m, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t e = i, eq;

		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		for (e = i; e < n && p[e] != ';'; e++)
			;
		for (eq = i; eq < e && p[eq] != '='; eq++)
			;
		if (eq < e)
			add_val(m, "c:", p + i, eq - i, p + eq + 1, e - eq - 1, 1);
		i = e + 1;
	}
}

/* {"key":"value",...}: string values, named by the key before them. */
static void parse_json(struct msg *m, const uint8_t *p, size_t n)
{
	const uint8_t *key = (const uint8_t *)"";
	size_t kl = 0, i = 0;

	while (i < n) {
		const uint8_t *q = memchr(p + i, '"', n - i);
		size_t s, e, b;

		if (!q)
			break;
		s = i = (size_t)(q - p) + 1;
		/* the closing quote: the next one after an even run of backslashes */
		for (;;) {
			q = i < n ? memchr(p + i, '"', n - i) : NULL;
			if (!q) {
				i = n;
				break;
			}
			i = (size_t)(q - p);
			for (b = i; b > s && p[b - 1] == '\\'; b--)
				;
			if ((i - b) % 2 == 0)
				break;
			i++;
		}
		e = i < n ? i : n;
		i++;
		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
			i++;
		if (i < n && p[i] == ':') {
			key = p + s;
			kl = e - s;
		} else {
			add_val(m, "j:", key, kl, p + s, e - s, 0);
		}
	}
}

static int printable(const uint8_t *p, size_t n)
{
	size_t i = 0;

#ifdef __SSE2__
	/* 16 at a time: a byte < 0x20 or DEL is looked at (tab, CR, LF pass) */
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned c = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_cmplt_epi8(_mm_xor_si128(x, _mm_set1_epi8((char)0x80)),
				       _mm_set1_epi8((char)(0x20 ^ 0x80))),
			_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f))));

		for (; c; c &= c - 1) {
			uint8_t b = p[i + (unsigned)__builtin_ctz(c)];

			if (b != '\t' && b != '\r' && b != '\n')
				return 0;
		}
	}
#endif
	for (; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') || p[i] == 0x7f)
			return 0;
	return 1;
}

static void parse_body(struct msg *m, const uint8_t *p, size_t n)
{
	int text;

	if (n == 0)
		return;
	text = printable(p, n);
	if (text && (p[0] == '{' || p[0] == '[')) {
		parse_json(m, p, n);
		return;
	}
	if (text && memchr(p, '=', n) && !memchr(p, ' ', n) && !memchr(p, '\n', n)) {
		parse_form(m, "f:", p, n);
		return;
	}
	add_val(m, "body", (const uint8_t *)"", 0, p, n, 0);
}

/* Headers whose values say nothing the sender chose byte by byte. */
static int boring_header(const uint8_t *n, size_t nl)
{
	static const char *const skip[] = {
		"host", "content-length", "user-agent", "accept", "accept-encoding",
		"accept-language", "connection", "content-type", "transfer-encoding",
		"expect", "te", "keep-alive", NULL,
	};
	size_t i;

	for (i = 0; skip[i]; i++)
		if (strlen(skip[i]) == nl && strncasecmp((const char *)n, skip[i], nl) == 0)
			return 1;
	return 0;
}

static const uint8_t *line_end(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q = memchr(p, '\n', (size_t)(end - p));

	return q ? q : end;
}

static int parse_http(struct msg *m, const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n, *le = line_end(p, end), *sp1, *sp2, *q, *slash, *h;
	size_t i;

	for (i = 0; i < n && i < 8 && p[i] >= 'A' && p[i] <= 'Z'; i++)
		;
	if (i < 3 || i >= n || p[i] != ' ')
		return 0;
	sp1 = p + i;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1));
	if (!sp2 || (size_t)(le - sp2) < 9 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return 0;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	for (slash = q ? q : sp2; slash > sp1 && slash[-1] != '/'; slash--)
		;
	add_val(m, "path", (const uint8_t *)"", 0, slash, (size_t)((q ? q : sp2) - slash), 1);
	if (q)
		parse_form(m, "q:", q + 1, (size_t)(sp2 - q - 1));
	for (h = le + 1; h < end; h = le + 1) {
		const uint8_t *colon, *v, *ve;

		le = line_end(h, end);
		ve = le > h && le[-1] == '\r' ? le - 1 : le;
		if (ve == h) {
			parse_body(m, le + 1 < end ? le + 1 : end, le + 1 < end ? (size_t)(end - le - 1) : 0);
			break;
		}
		colon = memchr(h, ':', (size_t)(ve - h));
		if (!colon || boring_header(h, (size_t)(colon - h)))
			continue;
		for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++)
			;
		add_val(m, "h:", h, (size_t)(colon - h), v, (size_t)(ve - v), 0);
	}
	return 1;
}

static void parse(struct msg *m, const uint8_t *p, size_t n)
{
	if (n >= 3 && p[0] >= 0x14 && p[0] <= 0x17 && p[1] == 0x03)
		return;   /* TLS records: the plaintext comes through the TLS hooks */
	if (n >= 14 && memcmp(p, "PRI * HTTP/2.0", 14) == 0)
		return;
	if (!parse_http(m, p, n))
		parse_body(m, p, n);
}

/* ---- streams ----------------------------------------------------------- */

static uint64_t vhash(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h ^ n;
}

static void roll_put(struct roll *r, uint64_t seq, struct roll **touched, size_t *nt,
		     const uint8_t *p, size_t n)
{
	if (r->seq != seq) {
		r->seq = seq;
		r->from = r->len;
		if (*nt < MAX_TOUCHED)
			touched[(*nt)++] = r;
	}
	if (r->len + n > BRK_SPLIT_ROLL) {
		size_t drop = r->len + n - BRK_SPLIT_ROLL;

		memmove(r->b, r->b + drop, r->len - drop);
		r->len -= drop;
		r->from = r->from > drop ? r->from - drop : 0;
	}
	memcpy(r->b + r->len, p, n);
	r->len += n;
}

static struct hent *host_get(struct brk_split *s, const char *host)
{
	size_t i, lru = 0;

	for (i = 0; i < BRK_SPLIT_HOSTS; i++) {
		if (s->h[i] && strcasecmp(s->h[i]->host, host) == 0)
			goto found;
		if (!s->h[i] || (s->h[lru] && s->h[i]->used < s->h[lru]->used))
			lru = i;
	}
	i = lru;
	if (!s->h[i]) {
		s->h[i] = calloc(1, sizeof(*s->h[i]));
		if (!s->h[i])
			return NULL;
	} else {
		memset(s->h[i], 0, sizeof(*s->h[i]));
	}
	snprintf(s->h[i]->host, sizeof(s->h[i]->host), "%s", host);
found:
	s->h[i]->used = ++s->tick;
	return s->h[i];
}

static struct field *field_get(struct hent *h, const char *name, uint64_t tick, int *fresh)
{
	size_t i, lru = 0;

	*fresh = 0;
	for (i = 0; i < h->nf; i++) {
		if (strcmp(h->f[i].name, name) == 0)
			goto found;
		if (h->f[i].used < h->f[lru].used)
			lru = i;
	}
	i = h->nf < BRK_SPLIT_FIELDS ? h->nf++ : lru;
	memset(&h->f[i], 0, sizeof(h->f[i]));
	snprintf(h->f[i].name, sizeof(h->f[i].name), "%s", name);
	*fresh = 1;
found:
	h->f[i].used = tick;
	return &h->f[i];
}

static int feed_msg(struct brk_split *s, const char *host, const char *field, const uint8_t *p,
		    size_t len, brk_split_match_fn *cb, void *ctx);

int brk_split_feed(struct brk_split *s, const char *host, const uint8_t *p, size_t len,
		   brk_split_match_fn *cb, void *ctx)
{
	return feed_msg(s, host, NULL, p, len, cb, ctx);
}

int brk_split_feed_value(struct brk_split *s, const char *host, const char *field,
			 const uint8_t *p, size_t len, brk_split_match_fn *cb, void *ctx)
{
	return feed_msg(s, host, field, p, len, cb, ctx);
}

/* The message p[0, len), parsed (field NULL), or one value of field. */
static int feed_msg(struct brk_split *s, const char *host, const char *field, const uint8_t *p,
		    size_t len, brk_split_match_fn *cb, void *ctx)
{
	struct msg *m;
	struct roll *touched[MAX_TOUCHED];
	struct hent *h;
	size_t i, nt = 0;
	uint64_t seq;
	int rc = 0;

	if (!s || !p || len == 0)
		return 0;
	if (len > BRK_SPLIT_MSG_MAX)
		len = BRK_SPLIT_MSG_MAX;  /* request line, headers, start of body */
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->nv = 0;
	m->ndec = 0;
	if (field && !strcmp(field, "cookie"))
		parse_cookie(m, p, len);
	else if (field)
		add_val(m, field, (const uint8_t *)"", 0, p, len, 0);
	else
		parse(m, p, len);
	pthread_mutex_lock(&s->mu);
	h = host_get(s, host ? host : "");
	if (!h) {
		pthread_mutex_unlock(&s->mu);
		rc = -ENOMEM;
		goto out;
	}
	if (h->burnt) {
		/* this host was caught collecting a secret in pieces: the rest
		 * would follow (a retry, the bytes after the refused one) */
		rc = h->burnt;
		pthread_mutex_unlock(&s->mu);
		goto out;
	}
	seq = ++s->tick;
	for (i = 0; i < m->nv; i++) {
		int fresh;
		struct field *f = field_get(h, m->v[i].name, seq, &fresh);
		uint64_t vh = vhash(m->v[i].p, m->v[i].len);

		roll_put(&f->r, seq, touched, &nt, m->v[i].p, m->v[i].len);
		if (fresh || vh != f->last)
			roll_put(&h->all, seq, touched, &nt, m->v[i].p, m->v[i].len);
		f->last = vh;
	}
	for (i = 0; i < nt && rc <= 0; i++)
		rc = cb(ctx, touched[i]->b, touched[i]->len, touched[i]->from);
	if (rc > 0) {
		h->burnt = rc;
		for (i = 0; i < nt; i++) {
			explicit_bzero(touched[i]->b, sizeof(touched[i]->b));
			touched[i]->len = touched[i]->from = 0;
		}
	}
	pthread_mutex_unlock(&s->mu);
out:
	explicit_bzero(m->dec, m->ndec);
	free(m);
	return rc;
}
