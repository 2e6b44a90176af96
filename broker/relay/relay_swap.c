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

/*
 * The places of an outbound HTTP/1.1 stream (swap_rl.h RL_SWAP_*): request
 * lines and headers are where credentials go and are swapped; bodies and
 * chunk framing never (a placeholder in a gist, an issue comment or a
 * package would become the real value in public); a stream that does not
 * open with an HTTP method is some other protocol (swapped anywhere);
 * HTTP/2 is left as it is. Anything ambiguous (bare LF, obs-fold, both
 * Content-Length and Transfer-Encoding, two lengths, an Upgrade or CONNECT
 * tunnel, a head over 16 KiB) loses the framing: no swap for the rest of
 * the connection (fail closed).
 */
enum { H1_START, H1_METHOD, H1_HEAD, H1_BODY, H1_CSIZE, H1_CEXT, H1_CLF, H1_CDATA, H1_CDCR,
       H1_CDLF, H1_TRAIL, H1_TRAILEND, H1_RAW, H1_H2, H1_LOST };
#define H1_HEAD_MAX 16384

struct rl_h1 {
	int st;
	bool seen;              /* a request head was complete before */
	bool chunked, tunnel;
	uint64_t left, csize;
	unsigned cdig, line;
	size_t n;
	char head[H1_HEAD_MAX];
};

static const char *const h1_methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND",
	"PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "MKACTIVITY",
	"CHECKOUT", "MERGE", "SEARCH",
};

/* the value of header name in a complete head, or NULL; *dup: seen twice */
static const char *h1_header(const char *h, const char *name, size_t *vl, bool *dup)
{
	size_t nl = strlen(name);
	const char *line = strstr(h, "\r\n"), *v = NULL, *e;

	*dup = false;
	for (; line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
		const char *l = line + 2;

		if (strncasecmp(l, name, nl) || l[nl] != ':')
			continue;
		if (v)
			*dup = true;
		for (v = l + nl + 1; *v == ' ' || *v == '\t'; v++)
			;
		e = strstr(v, "\r\n");
		for (*vl = (size_t)(e - v); *vl && (v[*vl - 1] == ' ' || v[*vl - 1] == '\t'); (*vl)--)
			;
	}
	return v;
}

/* A complete head (h->head, NUL-terminated): where its body ends. */
static int h1_head_done(struct rl_h1 *h)
{
	const char *cl, *te, *c;
	size_t cll = 0, tel = 0, i;
	bool dupc, dupt;
	uint64_t len = 0;

	for (i = 0; i < h->n; i++) {
		if (h->head[i] == '\n' && (!i || h->head[i - 1] != '\r'))
			return H1_LOST;                 /* bare LF */
		if (h->head[i] == '\n' && i + 1 < h->n && (h->head[i + 1] == ' ' ||
							   h->head[i + 1] == '\t'))
			return H1_LOST;                 /* obs-fold */
	}
	h->seen = true;
	if (!strncmp(h->head, "CONNECT ", 8) || h1_header(h->head, "upgrade", &tel, &dupt))
		return H1_LOST;                         /* a tunnel may follow */
	cl = h1_header(h->head, "content-length", &cll, &dupc);
	te = h1_header(h->head, "transfer-encoding", &tel, &dupt);
	if ((cl && te) || dupc || dupt)
		return H1_LOST;
	if (te) {
		if (tel != 7 || strncasecmp(te, "chunked", 7))
			return H1_LOST;
		h->csize = h->cdig = 0;
		return H1_CSIZE;
	}
	for (c = cl; c && c < cl + cll; c++) {
		if (*c < '0' || *c > '9' || len > (UINT64_MAX - 9) / 10)
			return H1_LOST;
		len = len * 10 + (uint64_t)(*c - '0');
	}
	if (cl && !cll)
		return H1_LOST;
	h->left = len;
	return len ? H1_BODY : H1_START;
}

/* One byte of the stream through the framing: its place. */
static uint8_t h1_byte(struct rl_h1 *h, uint8_t c)
{
	size_t i;
	int hex;

	switch (h->st) {
	case H1_START:
		if (c == '\r' || c == '\n')
			return RL_SWAP_HERE;
		h->n = 0;
		h->st = H1_METHOD;
		/* fall through */
	case H1_METHOD:
		if (c == ' ' && h->n) {
			h->head[h->n] = '\0';
			if (!strcmp(h->head, "PRI")) {
				h->st = h->seen ? H1_LOST : H1_H2;
				return h->seen ? RL_SWAP_NEVER : RL_SWAP_LEAVE;
			}
			for (i = 0; i < sizeof(h1_methods) / sizeof(h1_methods[0]); i++)
				if (!strcmp(h->head, h1_methods[i]))
					break;
			if (i == sizeof(h1_methods) / sizeof(h1_methods[0])) {
				h->st = h->seen ? H1_LOST : H1_RAW;
				return h->seen ? RL_SWAP_NEVER : RL_SWAP_HERE;
			}
			h->head[h->n++] = ' ';
			h->st = H1_HEAD;
			return RL_SWAP_HERE;
		}
		if (c < 'A' || c > 'Z' || h->n >= 16) {
			h->st = h->seen ? H1_LOST : H1_RAW;
			return h->seen ? RL_SWAP_NEVER : RL_SWAP_HERE;
		}
		h->head[h->n++] = (char)c;
		return RL_SWAP_HERE;
	case H1_HEAD:
		if (h->n + 1 >= H1_HEAD_MAX || c == '\0') {
			h->st = H1_LOST;
			return RL_SWAP_NEVER;
		}
		h->head[h->n++] = (char)c;
		if (h->n >= 4 && !memcmp(h->head + h->n - 4, "\r\n\r\n", 4)) {
			h->head[h->n] = '\0';
			h->st = h1_head_done(h);
		}
		return RL_SWAP_HERE;
	case H1_BODY:
		if (!--h->left)
			h->st = H1_START;
		return RL_SWAP_NEVER;
	case H1_CSIZE:
		hex = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f'
		      ? (c | 0x20) - 'a' + 10 : -1;
		if (hex >= 0 && h->cdig < 15) {
			h->csize = h->csize * 16 + (uint64_t)hex;
			h->cdig++;
		} else if (h->cdig && (c == ';' || c == '\r')) {
			h->st = c == ';' ? H1_CEXT : H1_CLF;
		} else {
			h->st = H1_LOST;
		}
		return RL_SWAP_NEVER;
	case H1_CEXT:
		if (c == '\r')
			h->st = H1_CLF;
		return RL_SWAP_NEVER;
	case H1_CLF:
		h->st = c != '\n' ? H1_LOST : h->csize ? H1_CDATA : H1_TRAIL;
		h->left = h->csize;
		h->line = 0;
		return RL_SWAP_NEVER;
	case H1_CDATA:
		if (!--h->left)
			h->st = H1_CDCR;
		return RL_SWAP_NEVER;
	case H1_CDCR:
		h->st = c == '\r' ? H1_CDLF : H1_LOST;
		return RL_SWAP_NEVER;
	case H1_CDLF:
		h->st = c == '\n' ? H1_CSIZE : H1_LOST;
		h->csize = h->cdig = 0;
		return RL_SWAP_NEVER;
	case H1_TRAIL:
		if (c == '\r' && !h->line)
			h->st = H1_TRAILEND;
		else if (c == '\n')
			h->line = 0;
		else if (c != '\r')
			h->line++;
		return RL_SWAP_NEVER;
	case H1_TRAILEND:
		h->st = c == '\n' ? H1_START : H1_LOST;
		return RL_SWAP_NEVER;
	case H1_RAW:
		return RL_SWAP_HERE;
	case H1_H2:
		return RL_SWAP_LEAVE;
	default:
		return RL_SWAP_NEVER;
	}
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
	struct rl_swap_bad bad;
	size_t h, i;
	uint8_t *win, *mask = NULL;
	int r;

	if (s->swap_state < 0 || !n)
		return 0;
	if (s->swap_state == 0 && rl_border_start(ctx, s, host) < 0)
		return s->dir == BRK_SCAN_EGRESS ? -EACCES : 0;  /* fail closed out */
	if (s->swap_state < 0)
		return 0;
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
			mask[h + i] = h1_byte(s->h1, p[i]);
	}
	if (s->dir == BRK_SCAN_INGRESS)
		r = rl_swap_in(ctx->swaps, win, h + n);
	else
		r = rl_swap_out(ctx->swaps, &s->swap_bind, win, h + n, mask, &bad);
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
	return r;
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
