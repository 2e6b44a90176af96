/* SPDX-License-Identifier: MIT */
/*
 * relay_swap.c - the border swap in the relay (issue 15; swap_rl.h does the
 * bytes): which entries a connection is bound to, the swap itself, the
 * verdict and event for a placeholder that goes anywhere but its home, and
 * the bounded hold-back of a tail that may start a placeholder. Called by
 * relay_scan.c for plain TCP, the CA path's plaintext and the key path's
 * records (which tls_dec.c then reseals).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <time.h>

#include <openssl/x509_vfy.h>

#include "broker/broker.h"
#include "broker/event.h"
#include "broker/relay/relay_int.h"
#include "broker/relay/tls_dec.h"
#include "broker/relay/tls_keys.h"
#include "broker/relay/tls_roots.h"
#include "broker/scan/scan.h"
#include "common/log.h"
#include "common/redact.h"

static long long rl_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A placeholder on its way to where it may not go: proof of exfiltration. */
static int rl_placeholder_refuse(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
				 const char *host, const struct rl_swap_bad *bad)
{
	const struct brk_swap *e = &ctx->swaps->v[bad->entry];
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "placeholder" };
	char red[DLP_REDACT_MAX], why[600], ip[64];

	dlp_redact(e->ph, e->len, red, sizeof(red));
	brk_addr_format(&w->a, ip, sizeof(ip));
	if (bad->form && !strcmp(bad->form, "request body"))
		snprintf(why, sizeof(why), "placeholder of %s in an HTTP request body to %s (the "
			 "border swaps request lines and headers only: there it could publish the "
			 "real value)", e->source, host && host[0] ? host : w->host[0] ? w->host : ip);
	else
		snprintf(why, sizeof(why), "placeholder of %s (%s) sent to %s, %s (proof of "
			 "exfiltration: the jail only ever held the placeholder)", e->source,
			 bad->form ? bad->form : "raw", host && host[0] ? host : w->host[0] ? w->host
			 : ip, host && host[0] ? "not one of its home domains"
			 : "not a verified home (TLS: a name the broker resolved to this address and "
			   "the server's certificate proves against the host's store or --upstream-ca)");
	ev.reason = why;
	ev.detector = e->detector ? e->detector : "placeholder";
	ev.match = red;
	ev.source = e->source;
	ev.layers = s->ca ? "relay:tls-ca" : "relay";
	rl_event(ctx, s, w, &ev);
	if (ctx->monitor)
		return 0;
	if (s->tl) {            /* the hook's next call prints it */
		char line[900];

		snprintf(line, sizeof(line), "TLS send to %s: %s", w->host[0] ? w->host : ip, why);
		brk_tls_set_status(ctx->tlskeys, &w->la, w->lport, line);
	} else {
		dlp_log(DLP_LOG_WARN, "blocked send to %s: %s", w->host[0] ? w->host : ip, why);
	}
	return -EACCES;
}

/* A bound placeholder left unswapped in a place that is no credential (a
 * header such as X-Token, a path or query): it reaches its home as the
 * placeholder and fails there; said once per connection, as an event. */
static void rl_placeholder_left(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
				const char *host, int entry)
{
	const struct brk_swap *e = &ctx->swaps->v[entry];
	struct brk_event ev = { .verdict = BRK_ALLOW, .rule = "placeholder-unswapped" };
	char red[DLP_REDACT_MAX], why[600];

	s->left_said = true;
	dlp_redact(e->ph, e->len, red, sizeof(red));
	snprintf(why, sizeof(why), "placeholder of %s left as it is on its way to %s: not in a "
		 "credential place (the border swaps Authorization, Proxy-Authorization, Cookie, "
		 "token headers, URL userinfo; not other headers, paths or queries, which a home "
		 "may publish; nor an HTTP/2 header block it could not rewrite): it will not authenticate",
		 e->source, host && host[0] ? host : w->host);
	ev.reason = why;
	ev.detector = e->detector ? e->detector : "placeholder";
	ev.match = red;
	ev.source = e->source;
	ev.layers = s->ca ? "relay:tls-ca" : "relay";
	rl_event(ctx, s, w, &ev);
}

/* Inbound HTTP/2: a real value in a response header block the border
 * could not rewrite (split over records, no room): reset, the jail would
 * read it. */
static int rl_real_refuse(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w)
{
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "real-inbound" };

	ev.reason = "the real value of a credential the jail holds only as a placeholder came "
		    "back in an HTTP/2 header block the border could not rewrite: connection reset "
		    "before the jail reads it";
	ev.detector = "known-secret";
	ev.layers = s->ca ? "relay:tls-ca>http/2:header" : "relay>http/2:header";
	rl_event(ctx, s, w, &ev);
	if (ctx->monitor)
		return 0;
	dlp_log(DLP_LOG_WARN, "blocked response from %s: %s", w->host[0] ? w->host : "upstream",
		ev.reason);
	return -EACCES;
}

/*
 * A connection that swaps: the Accept-Encoding lines of request heads in
 * p[0..n) (whole lines, places from mask) lose the codings the engine
 * cannot decode (swap_rl.h rl_swap_accept_enc). Returns lines changed.
 */
static int rl_accept_enc(uint8_t *p, size_t n, const uint8_t *mask)
{
	static const char h[] = "\naccept-encoding:";
	uint8_t *q, *e;
	size_t i = 0;
	int count = 0;

	while (i + sizeof(h) < n && (q = memchr(p + i, '\n', n - i - sizeof(h)))) {
		i = (size_t)(q - p) + 1;
		if (strncasecmp((const char *)q, h, sizeof(h) - 1) ||
		    mask[q - p] == RL_SWAP_NEVER ||
		    !(e = memchr(q + sizeof(h) - 1, '\r', n - (size_t)(q - p) - (sizeof(h) - 1))))
			continue;
		if (rl_swap_accept_enc(q + sizeof(h) - 1, (size_t)(e - q) - (sizeof(h) - 1)))
			count++;
	}
	return count;
}

/* Does an inbound stream open like an HTTP/2 server's: a SETTINGS frame on
 * stream 0 (it may go before the client's preface reached the relay, so
 * the egress side cannot tell)? */
static bool rl_h2_server_start(const uint8_t *p, size_t n)
{
	size_t len;

	if (n < 9)
		return false;
	len = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
	return p[3] == 0x4 && p[4] == 0 && !(p[5] | p[6] | p[7] | p[8]) && len % 6 == 0 &&
	       len <= 6 * 16;
}

/* The first entry bound to swap here (for an event), or 0. */
static int rl_first_bound(const struct rl_swap_bind *b)
{
	size_t i;

	for (i = 0; i < BRK_SECRETS_MAX; i++)
		if ((b->bit[i / 64] >> (i % 64)) & 1)
			return (int)i;
	return 0;
}

/* What went on joins the history (the last RL_SWAP_HIST bytes and their
 * places, the second half of s->hist). */
static void rl_hist_push(struct rl_scan *s, const uint8_t *p, const uint8_t *m, size_t n)
{
	uint8_t *hm = s->hist + RL_SWAP_HIST;

	if (n >= RL_SWAP_HIST) {
		memcpy(s->hist, p + n - RL_SWAP_HIST, RL_SWAP_HIST);
		memcpy(hm, m + n - RL_SWAP_HIST, RL_SWAP_HIST);
		s->nhist = RL_SWAP_HIST;
		return;
	}
	if (s->nhist + n > RL_SWAP_HIST) {
		memmove(s->hist, s->hist + s->nhist + n - RL_SWAP_HIST, RL_SWAP_HIST - n);
		memmove(hm, hm + s->nhist + n - RL_SWAP_HIST, RL_SWAP_HIST - n);
		s->nhist = RL_SWAP_HIST - n;
	}
	memcpy(s->hist + s->nhist, p, n);
	memcpy(hm + s->nhist, m, n);
	s->nhist += n;
}

/* history + p[0..n) in one new buffer (NULL: out of memory) */
static uint8_t *rl_window(const struct rl_scan *s, const uint8_t *p, size_t n)
{
	uint8_t *win = malloc(s->nhist + n);

	if (win && s->nhist)
		memcpy(win, s->hist, s->nhist);
	if (win)
		memcpy(win + s->nhist, p, n);
	return win;
}

/* First use: is there anything to do, and which entries this side may swap. */
static int rl_border_start(struct brk_ctx *ctx, struct rl_scan *s, const char *host)
{
	if (!rl_swap_active(ctx->swaps)) {
		s->swap_state = -1;
		return 0;
	}
	if (!s->hist && !(s->hist = calloc(2, RL_SWAP_HIST)))
		return -ENOMEM;
	if (s->dir == BRK_SCAN_EGRESS && !s->h1 && !(s->h1 = calloc(1, sizeof(*s->h1))))
		return -ENOMEM;
	/* bound once: by then the name is known (SNI, verified name) */
	if (s->dir == BRK_SCAN_EGRESS)
		(void)rl_swap_bind(ctx->swaps, host, &s->swap_bind);
	s->swap_state = 1;
	return 0;
}

int rl_border(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
	      const char *host, uint8_t *p, size_t n)
{
	struct rl_swap_bad bad = { .entry = -1, .left = -1 };
	size_t h, i;
	uint8_t *win, *mask = NULL;
	int r, r2 = 0;

	if (s->swap_state < 0 || !n)
		return 0;
	if (s->swap_state == 0 && rl_border_start(ctx, s, host) < 0)
		return s->dir == BRK_SCAN_EGRESS ? -EACCES : 0;  /* fail closed out */
	if (s->swap_state < 0)
		return 0;
	s->grown = 0;
	/* without it (no nghttp2, no memory) HTTP/2 goes on unswapped */
	if (s->dir == BRK_SCAN_EGRESS && !s->h2 && !s->h1->seen && s->h1->st == 0 && !s->nhist &&
	    n >= 3 && !memcmp(p, "PRI", 3))
		(void)rl_h2_new(&s->h2, false);
	else if (s->dir == BRK_SCAN_INGRESS && !s->h2 && !s->nhist && rl_h2_server_start(p, n))
		(void)rl_h2_new(&s->h2, true);  /* a server's first SETTINGS */
	if (s->h2) {            /* HTTP/2: the header blocks, re-encoded */
		size_t n2 = n;
		int left;

		r2 = rl_h2_swap(s->h2, ctx->swaps, &s->swap_bind, p, &n2, s->room, &left);
		s->grown = n2 - n;
		n = n2;
		if (r2 < 0)
			return rl_real_refuse(ctx, s, w);
		if (s->dir == BRK_SCAN_EGRESS && left != -1 && !s->left_said)
			rl_placeholder_left(ctx, s, w, host, left >= 0 ? left
					    : rl_first_bound(&s->swap_bind));
	}
	/* the window: a value may have started in what already went on */
	h = s->nhist;
	if (!(win = rl_window(s, p, n)))
		return s->dir == BRK_SCAN_EGRESS ? -EACCES : 0;
	if (s->dir == BRK_SCAN_EGRESS && !(mask = malloc(h + n))) {
		free(win);
		return -EACCES;
	}
	if (mask) {             /* the places: history's, then this piece's */
		memcpy(mask, s->hist + RL_SWAP_HIST, h);
		for (i = 0; i < n; i++)
			mask[h + i] = rl_h1_byte(s->h1, p[i]);
	}
	if (s->dir == BRK_SCAN_INGRESS)
		r = rl_swap_in(ctx->swaps, win, h + n);
	else
		r = rl_swap_out(ctx->swaps, &s->swap_bind, win, h + n, mask, &bad);
	if (r >= 0 && mask && s->swap_bind.n)
		r += rl_accept_enc(win + h, n, mask + h);
	if (r == -EACCES) {
		explicit_bzero(win, h + n);
		free(win);
		free(mask);
		if (bad.entry < 0)
			return -EACCES;
		/* judged after the engine: a method rule or a detector names it first */
		s->ph_bad = bad;
		s->ph_pending = true;
		snprintf(s->ph_host, sizeof(s->ph_host), "%s", host ? host : "");
		return 0;
	}
	if (s->dir == BRK_SCAN_EGRESS && bad.left >= 0 && !s->left_said)
		rl_placeholder_left(ctx, s, w, host, bad.left);
	/* a value whose differing bytes already went on cannot be swapped:
	 * left as it is (it fails at its home; never a leak) */
	if (r > 0 && !memcmp(win, s->hist, h))
		memcpy(p, win + h, n);
	else
		r = 0;
	explicit_bzero(win, h + n);
	free(win);
	if (!mask) {            /* inbound: every place is one */
		mask = malloc(n);
		if (mask)
			memset(mask, RL_SWAP_HERE, n);
	}
	if (mask)
		rl_hist_push(s, p, mask + (s->dir == BRK_SCAN_EGRESS ? h : 0), n);
	free(mask);
	return r + r2;
}

size_t rl_border_hold(struct brk_ctx *ctx, struct rl_scan *s, const uint8_t *p, size_t n)
{
	size_t keep;

	uint8_t *win;

	if (s->swap_state < 0 || s->eof || !n || !rl_swap_active(ctx->swaps))
		return 0;
	if (!(win = rl_window(s, p, n)))
		return 0;
	keep = rl_swap_tail(ctx->swaps, s->dir == BRK_SCAN_EGRESS, win, s->nhist + n);
	explicit_bzero(win, s->nhist + n);
	free(win);
	if (keep > n)
		keep = n;       /* the start already went on: hold what is here */
	if (!keep) {
		s->held_since = 0;
		return 0;
	}
	if (!s->held_since)
		s->held_since = rl_ms();
	else if (rl_ms() - s->held_since > RL_SWAP_HOLD_MS) {
		s->held_since = 0;
		return 0;       /* nothing more came: on it goes, unswapped */
	}
	s->waiting = true;
	return keep;
}

int rl_border_verdict(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w, int rc)
{
	if (!s->ph_pending)
		return rc;
	s->ph_pending = false;
	if (rc < 0)
		return rc;      /* refused already, under its own rule */
	return rl_placeholder_refuse(ctx, s, w, s->ph_host, &s->ph_bad);
}

bool rl_border_due(struct rl_scan *s)
{
	if (!s->held_since)
		return false;
	if (!s->eof && rl_ms() - s->held_since <= RL_SWAP_HOLD_MS)
		return false;
	s->held_since = 0;
	return true;
}

/* An inbound piece: does a response head in it declare a content coding
 * (gzip, deflate, br, ...)? Sticky for the connection. */
void rl_border_note(struct rl_scan *s, const uint8_t *p, size_t n)
{
	static const char h[] = "\ncontent-encoding:";
	const uint8_t *q;
	size_t i, k;

	for (i = 0; !s->coded && i + sizeof(h) < n; i = (size_t)(q - p) + 1) {
		if (!(q = memchr(p + i, '\n', n - i)))
			break;
		if ((size_t)(q - p) + sizeof(h) >= n ||
		    strncasecmp((const char *)q, h, sizeof(h) - 1))
			continue;
		i = (size_t)(q - p);
		for (k = i + sizeof(h) - 1; k < n && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		s->coded = !(n - k >= 8 && !strncasecmp((const char *)p + k, "identity", 8));
	}
}

bool rl_border_real_back(struct brk_ctx *ctx, struct rl_scan *s, const struct brk_finding *f)
{
	char red[DLP_REDACT_MAX];
	const char *l = f->layers;
	size_t i;

	if (!ctx->swaps || f->canary)
		return false;
	/* what swap_in.c undoes: raw, percent-encoded; an HTTP part ("http/1:
	 * header") is the same bytes, a body too unless an HTTP/1.1 response
	 * declared a coding (HTTP/2's header is HPACK: a body there counts as
	 * coded, fail closed) */
	if (!strcmp(l, "") || !strcmp(l, "percent"))
		return false;
	if (!strncmp(l, "http", 4) && !strchr(l, '>') &&
	    (!strstr(l, ":body") || (strncmp(l, "http/2", 6) && !s->coded)) &&
	    !(!strncmp(l, "http/2:header", 13) && rl_h2_lost(s->h2)))
		return false;   /* (an HTTP/2 header the border can no longer rewrite: reset) */
	for (i = 0; i < ctx->swaps->n; i++) {
		const struct brk_swap *e = &ctx->swaps->v[i];

		if (!e->replaced || !e->real || !e->ph || e->key)
			continue;
		dlp_redact(e->real, e->len, red, sizeof(red));
		if (!strcmp(red, f->redacted))
			return true;
	}
	return false;
}

/* The host's trust store, for a relay without a CA path (made once; its
 * roots are read on demand, tls_roots.h, not the whole bundle file at the
 * first check). */
static X509_STORE *rl_host_store(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static X509_STORE *st;

	pthread_mutex_lock(&lock);
	if (!st && (st = X509_STORE_new()) && rl_roots_store(st) < 0) {
		X509_STORE_free(st);
		st = NULL;
	}
	pthread_mutex_unlock(&lock);
	return st;
}

bool rl_border_cert_ok(struct rl_scan *s, const char *name)
{
	struct rl_scan *e = s->dir == BRK_SCAN_EGRESS ? s : s->peer;
	X509_STORE *st;

	if (!s->tl)
		return false;
	st = e && e->trust ? rl_tls_store(e->trust) : rl_host_store();
	return rl_tk_cert_ok(s->tl, st, name);
}
