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
#include <time.h>

#include "broker/broker.h"
#include "broker/event.h"
#include "broker/relay/relay_int.h"
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
	snprintf(why, sizeof(why), "placeholder of %s (%s) sent to %s, %s (proof of "
		 "exfiltration: the jail only ever held the placeholder)", e->source,
		 bad->form ? bad->form : "raw", host && host[0] ? host : w->host[0] ? w->host : ip,
		 host && host[0] ? "not one of its home domains" : "not a verified home");
	ev.reason = why;
	ev.detector = e->detector ? e->detector : "placeholder";
	ev.match = red;
	ev.layers = s->ca ? "relay:tls-ca" : "relay";
	rl_event(ctx, s, w, &ev);
	dlp_log(DLP_LOG_WARN, "blocked send to %s: %s", w->host[0] ? w->host : ip, why);
	return ctx->monitor ? 0 : -EACCES;
}

int rl_border(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
	      const char *host, uint8_t *p, size_t n)
{
	struct rl_swap_bad bad;
	int r;

	if (s->swap_state < 0 || !n)
		return 0;
	if (s->swap_state == 0) {
		if (!rl_swap_active(ctx->swaps)) {
			s->swap_state = -1;
			return 0;
		}
		/* bound once: by then the name is known (SNI, verified name) */
		if (s->dir == BRK_SCAN_EGRESS)
			(void)rl_swap_bind(ctx->swaps, host, &s->swap_bind);
		s->swap_state = 1;
	}
	if (s->dir == BRK_SCAN_INGRESS)
		return rl_swap_in(ctx->swaps, p, n);
	r = rl_swap_out(ctx->swaps, &s->swap_bind, p, n, &bad);
	if (r == -EACCES && bad.entry >= 0)
		return rl_placeholder_refuse(ctx, s, w, host, &bad);
	return r;
}

size_t rl_border_hold(struct brk_ctx *ctx, struct rl_scan *s, const uint8_t *p, size_t n)
{
	size_t keep;

	if (s->swap_state < 0 || s->eof || !n || !rl_swap_active(ctx->swaps))
		return 0;
	keep = rl_swap_tail(ctx->swaps, s->dir == BRK_SCAN_EGRESS, p, n);
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
