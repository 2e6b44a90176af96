/* SPDX-License-Identifier: MIT */
/*
 * relay_scan.c - what the relay does with bytes before it forwards them:
 * bytes -> protocol parts (broker/http: HTTP/1.1, h2c, WebSocket frames
 * unmasked) -> the scanning engine (one brk_scan_stream per direction, so
 * a secret split over any number of writes is found at the write that
 * completes it) -> verdict and events. The same two engine calls as
 * broker.c h_data() (stream feed, then the HTTP glue on the same bytes);
 * which syscall wrote the bytes no longer matters.
 *
 * TLS: a stream that opens with a ClientHello goes where rl_tls_route()
 * sends it: a session a hooked library claimed for this socket (shim,
 * before the handshake) is passed; any other goes to the CA path
 * (relay_mitm.c) when the relay has a session CA, else is refused: "TLS
 * from EXE to HOST cannot be inspected". The raw scan never stops, so a
 * fake hello buys nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/event.h"
#include "broker/policy.h"
#include "broker/relay/relay_int.h"
#include "broker/relay/tls_keys.h"
#include "broker/scan/scan.h"
#include "broker/session.h"
#include "common/log.h"
#include "common/wire.h"

static void rl_event(struct brk_ctx *ctx, const struct rl_scan *s, const struct rl_who *w,
		     struct brk_event *ev)
{
	char rule[600];

	if (s->note && s->note[0]) {
		/* a blind flow: every event names the line that made it so */
		snprintf(rule, sizeof(rule), "%s; %s", ev->rule ? ev->rule : "relay", s->note);
		ev->rule = rule;
	}
	ev->op = s->dir == BRK_SCAN_INGRESS ? "recv" : "send";
	ev->pid = w->pid;
	ev->exe = w->exe;
	ev->host = w->host[0] ? w->host : NULL;
	ev->addr = &w->a;
	ev->port = w->port;
	ev->enforced = !ctx->monitor;
	brk_eventlog_write(ctx->log, ev);
}

/*
 * The refusal's stderr line, as the shim printed it when it still sent
 * plain TCP itself: "dlpjail: blocked send to DEST: WHY" (issue 9 item 7:
 * each blocked call names its destination; the summary follows at exit).
 */
static void rl_say(const struct rl_who *w, const char *why)
{
	char ip[64];
	bool v6 = w->a.v == 6;

	brk_addr_format(&w->a, ip, sizeof(ip));
	if (w->host[0])
		dlp_log(DLP_LOG_WARN, "blocked send to %s (%s%s%s:%d): %s", w->host, v6 ? "[" : "",
			ip, v6 ? "]" : "", w->port, why);
	else
		dlp_log(DLP_LOG_WARN, "blocked send to %s%s%s:%d: %s", v6 ? "[" : "", ip,
			v6 ? "]" : "", w->port, why);
}

/* 1 if the first bytes are a TLS handshake record holding a ClientHello. */
static int rl_is_hello(const uint8_t *h)
{
	return h[0] == 0x16 && h[1] == 0x03 && h[2] <= 0x04 && h[5] == 0x01;
}

/*
 * Where a new TLS session of this pair goes, decided once at its
 * ClientHello. A session that a hooked library claimed for this jail
 * socket (tls_keys.h) goes the key path; any other goes the CA path
 * (relay_mitm.c: terminated with a leaf of the session CA, plaintext
 * scanned), refused where the relay has no CA. The one place that chooses.
 */
enum rl_tls_route rl_tls_route(struct brk_ctx *ctx, const struct rl_who *w)
{
	if (brk_tls_claim_take(ctx->tlskeys, &w->la, w->lport))
		return RL_TLS_KEYS;
	return RL_TLS_MITM;
}

/* The TLS gate: 0 pass, RL_SCAN_MITM to the CA path, -EACCES refuse (event written). */
static int rl_tls_gate(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
		       const uint8_t *p, size_t n)
{
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "relay-tls" };
	enum rl_tls_route route;
	char why[700], ip[64];

	while (s->tls == 0 && s->nhead < sizeof(s->head) && n) {
		s->head[s->nhead++] = *p++;
		n--;
	}
	if (s->tls == 0 && s->nhead == sizeof(s->head))
		s->tls = rl_is_hello(s->head) ? 1 : -1;
	if (s->tls != 1)
		return 0;
	s->tls = 2;   /* decided once */
	route = rl_tls_route(ctx, w);
	if (route == RL_TLS_KEYS)
		return 0; /* the hooked library reports this session's plaintext */
	if (route == RL_TLS_MITM && s->mitm)
		return RL_SCAN_MITM; /* terminated by relay_mitm.c, plaintext scanned there */
	brk_addr_format(&w->a, ip, sizeof(ip));
	snprintf(why, sizeof(why), "TLS from %s to %s cannot be inspected (no hooked TLS "
		 "library claimed this session)", w->exe[0] ? w->exe : "an unknown program",
		 w->host[0] ? w->host : ip);
	ev.reason = why;
	rl_event(ctx, s, w, &ev);
	return ctx->monitor ? 0 : -EACCES;
}

int rl_scan_feed(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
		 const uint8_t *p, size_t n)
{
	struct brk_scan_result res;
	struct brk_event ev = { 0 };
	const char *host = w->host[0] ? w->host : NULL;
	char layers[96], why[BRK_POLICY_REASON_MAX] = "";
	unsigned i;
	int rc = 0, hrc;
	bool deny_any = false;
	int gate = 0;

	if (s->dir == BRK_SCAN_EGRESS && n && s->tls < 2) {
		gate = rl_tls_gate(ctx, s, w, p, n);
		if (gate < 0)
			return -EACCES;
	}
	memset(&res, 0, sizeof(res));
	if (!s->ss && brk_scan_stream_open_dir(ctx->scan, s->dir, &s->ss) < 0) {
		res.blocked = res.refused = 1;
		snprintf(res.error, sizeof(res.error), "out of memory for a scan stream");
	}
	if (s->ss)
		rc = brk_scan_stream_feed(s->ss, n ? p : NULL, n, host, &res);
	if (rc == -ETIMEDOUT && s->dir == BRK_SCAN_INGRESS)
		rc = 0;
	if (!res.refused && n) {
		s->http.policy = ctx->policy;   /* method rules judge requests */
		hrc = brk_http_glue_scan(&s->http, ctx->scan, DLP_CHAN_PLAIN,
					 s->dir == BRK_SCAN_INGRESS ? DLP_DIR_RECV : DLP_DIR_SEND,
					 p, n, host, &res);
		if (hrc < 0 && rc == 0)
			rc = hrc;
	}
	if (s->dir == BRK_SCAN_EGRESS && n && !res.blocked) {
		/* known secrets and canaries split over small writes and
		 * connections (scan.h): the shim no longer sends plain TCP */
		hrc = brk_scan_split_feed(ctx->scan, host, p, n, &res);
		if (hrc < 0 && rc == 0)
			rc = hrc;
	}
	if (rc < 0 && !res.blocked) {
		res.blocked = res.refused = 1;
		if (!res.error[0])
			snprintf(res.error, sizeof(res.error), "scanner error: %s", strerror(-rc));
	}
	for (i = 0; i < res.nfindings; i++) {
		const struct brk_finding *f = &res.findings[i];
		bool in = s->dir == BRK_SCAN_INGRESS || f->received;
		bool deny = !in && !f->in_scope && f->action == BRK_SCAN_BLOCK;

		memset(&ev, 0, sizeof(ev));
		ev.verdict = deny ? BRK_DENY : BRK_ALLOW;
		ev.detector = f->detector;
		ev.match = f->redacted;
		snprintf(layers, sizeof(layers), "%s%s%s", s->via ? s->via : "relay",
			 f->layers[0] ? ">" : "", f->layers);
		ev.layers = layers;
		ev.reason = in ? brk_inbound_reason(f->canary)
			  : f->canary ? "canary token in outbound data (proof of exfiltration)"
			  : f->in_scope ? "credential sent to its own home domain"
			  : !deny ? "possible credential (this detector only warns)"
			  : "credential sent outside its home domains";
		ev.rule = in ? "received" : f->canary ? "canary"
			: f->in_scope ? "home-domain" : "detector";
		rl_event(ctx, s, w, &ev);
		deny_any |= deny;
		if (deny && !why[0])
			snprintf(why, sizeof(why), "%s %s %s", f->canary ? "canary token"
				 : f->detector, f->redacted, f->canary ? "in outbound data"
				 : "leaving for a host outside its home domains");
	}
	if (s->dir == BRK_SCAN_INGRESS && res.refused) {
		/* inbound is never refused: findings were events, a scan that
		 * could not finish is "not fully scanned" */
		res.refused = res.blocked = 0;
		res.partial = 1;
	}
	if (s->dir == BRK_SCAN_INGRESS)
		res.blocked = 0;
	if (res.refused) {
		memset(&ev, 0, sizeof(ev));
		ev.verdict = BRK_DENY;
		ev.rule = res.rule[0] ? res.rule : "scan-refused";
		ev.layers = "relay";
		ev.reason = res.error;
		rl_event(ctx, s, w, &ev);
	} else if (res.partial && !s->partial_said) {
		/* plain TCP only (TLS ciphertext is not scanned here): under the
		 * relay the shim sends no plain socket data, so this is the one event */
		s->partial_said = true;
		memset(&ev, 0, sizeof(ev));
		ev.verdict = BRK_ALLOW;
		ev.rule = "scan-partial";
		ev.reason = res.error;
		rl_event(ctx, s, w, &ev);
	}
	if ((res.blocked || deny_any) && !ctx->monitor) {
		if (!why[0])
			snprintf(why, sizeof(why), "cannot inspect outbound data: %s",
				 res.error[0] ? res.error : "refused");
		rl_say(w, why);
		return -EACCES;
	}
	return gate == RL_SCAN_MITM ? RL_SCAN_MITM : 0;
}

void rl_scan_free(struct rl_scan *s)
{
	brk_scan_stream_close(s->ss);
	s->ss = NULL;
	brk_http_glue_free(&s->http);
}
