/* SPDX-License-Identifier: MIT */
/*
 * relay_scan.c - what the relay does with bytes before it forwards them:
 * bytes -> protocol parts (broker/http: HTTP/1.1, h2c, WebSocket frames
 * unmasked) -> the scanning engine (one brk_scan_stream per direction, so
 * a secret split over any number of writes is found at the write that
 * completes it) -> verdict and events. One inspection per byte: the HTTP
 * glue first (its parts; de-chunked and de-framed bodies in its body
 * stream), then the raw stream over the bytes no part covered
 * (brk_http_glue_raw: framing, padding, chunk lines, trailers, the ends of
 * each body run); which syscall wrote the bytes no longer matters.
 *
 * TLS: a stream that opens with a ClientHello goes where rl_tls_route()
 * sends it: a session a hooked library claimed for this socket (shim,
 * before the handshake) is decrypted with its logged keys (tls_dec.c);
 * any other goes to the CA path (relay_mitm.c) when the relay has a
 * session CA, else is refused: "TLS from EXE to HOST cannot be inspected".
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "broker/broker.h"
#include "broker/dns/dns_msg.h"
#include "broker/dnsgate.h"
#include "broker/event.h"
#include "broker/policy.h"
#include "broker/relay/relay_int.h"
#include "broker/relay/tls_dec.h"
#include "broker/relay/tls_keys.h"
#include "broker/relay/tls_rec.h"
#include "broker/relay/tls_upgrade.h"
#include "broker/scan/scan.h"
#include "broker/session.h"
#include "common/log.h"
#include "common/wire.h"

static const char *rl_shown(struct brk_ctx *ctx, const struct rl_scan *s,
			    const struct rl_who *w, char *buf, size_t cap);

void rl_event(struct brk_ctx *ctx, const struct rl_scan *s, const struct rl_who *w,
	      struct brk_event *ev)
{
	char shown[300], rule[600];

	if (s->note && s->note[0]) {
		/* a blind flow: every event names the line that made it so */
		snprintf(rule, sizeof(rule), "%s; %s", ev->rule ? ev->rule : "relay", s->note);
		ev->rule = rule;
	}
	ev->op = s->dir == BRK_SCAN_INGRESS ? "recv" : "send";
	ev->pid = w->pid;
	ev->exe = w->exe;
	/* a bound TLS server name, the approved name, else the server name
	 * through the display rule */
	ev->host = w->host[0] || (s->tl && rl_tk_sni(s->tl))
		   ? rl_shown(ctx, s, w, shown, sizeof(shown)) : NULL;
	ev->addr = &w->a;
	ev->port = w->port;
	/* a caller's enforced stays: a reset that monitor mode does too */
	ev->enforced = ev->enforced || !ctx->monitor;
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

#define RL_HELLO_HEAD 43  /* a ClientHello's record, handshake header, version, random */

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
	bool keys = brk_tls_claim_take(ctx->tlskeys, &w->la, w->lport);

	/* which path each session took: -v -v, and the tests */
	dlp_log(DLP_LOG_DEBUG, "relay: TLS from %s to %s:%d: %s", w->exe,
		w->host[0] ? w->host : "(address)", w->port, keys ? "key path" : "CA path");
	return keys ? RL_TLS_KEYS : RL_TLS_MITM;
}

/*
 * The first bytes of the egress stream: TLS (a ClientHello) or not. A
 * start that could still be a hello (0x16 0x03, fewer than 6 bytes) is
 * held until it is decided, a hello until its client random is in (43
 * bytes, or its shorter record; the route is taken then). *used: bytes taken now (0 or n).
 */
static void rl_tls_sniff(struct rl_scan *s, const uint8_t *p, size_t n, size_t *used)
{
	*used = n;
	if (s->tls != 0 || n == 0)
		return;
	if (p[0] != 0x16 || (n >= 2 && p[1] != 0x03))
		s->tls = -1;
	else if (n < sizeof(s->head))
		*used = 0;      /* wait for the rest of the record header */
	else if (!rl_is_hello(p))
		s->tls = -1;
	else if (n < RL_HELLO_HEAD && n < RL_TLS_HDR + ((size_t)p[3] << 8 | p[4]))
		*used = 0;      /* up to the client random first: a hello written in
			         * pieces is claimed with the piece that completes it
			         * (shim/tls_hello.c) */
	else
		s->tls = 1;
}

/* The refusal of a session nobody can read: event, -EACCES (monitor: 0). */
static int rl_tls_refuse(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w)
{
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "relay-tls" };
	char why[700], ip[64];

	brk_addr_format(&w->a, ip, sizeof(ip));
	snprintf(why, sizeof(why), "TLS from %s to %s cannot be inspected (%s%s)",
		 w->exe[0] ? w->exe : "an unknown program", w->host[0] ? w->host : ip,
		 !s->upgraded ? "" : s->mitm ? "started after plaintext in the same write: "
		 "only a session a hooked TLS library claimed is read there; " :
		 "started after plaintext; ", s->upgraded && s->mitm ? "the CA path takes TLS "
		 "only at the start of a read" : "no hooked TLS library claimed this session");
	ev.reason = why;
	rl_event(ctx, s, w, &ev);
	return ctx->monitor ? 0 : -EACCES;
}

/*
 * The destination as the readable line shows it: the approved name of the
 * address, else the TLS server name through the display rule (it may be
 * the payload), else the address.
 */
static const char *rl_shown(struct brk_ctx *ctx, const struct rl_scan *s,
			    const struct rl_who *w, char *buf, size_t cap)
{
	const char *sni = s->tl ? rl_tk_sni(s->tl) : NULL;

	if (sni && brk_resolved_has(ctx->resolved, sni, &w->a))
		return sni;
	if (w->host[0])
		return w->host;
	if (sni) {
		(void)brk_dnsgate_show_name(ctx, sni, buf, cap);    /* or its redacted form */
		return buf;
	}
	brk_addr_format(&w->a, buf, cap);
	return buf;
}

/*
 * A session on the key path failed (no keys, a record that does not
 * decrypt, a suite the relay cannot open): event, and the reason kept for
 * the hook's next call. Monitor mode logs it, and passes.
 */
static int rl_tls_fail(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
		       const char *why)
{
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "relay-tls", .reason = why };
	char line[900], shown[300];

	rl_event(ctx, s, w, &ev);
	snprintf(line, sizeof(line), "TLS %s %s: %s", s->dir == BRK_SCAN_INGRESS ? "response from"
		 : "send to", rl_shown(ctx, s, w, shown, sizeof(shown)), why);
	brk_tls_set_status(ctx->tlskeys, &w->la, w->lport, line);
	return ctx->monitor ? 0 : -EACCES;
}

/*
 * Did a finding come out of a decoding (base64, gzip, hex...), not only
 * out of the HTTP structure ("http/2:header", "http/1:query") or a split?
 * A placeholder there is in a place no client puts a credential.
 */
static bool rl_layer_decoded(const char *l)
{
	const char *gt;

	if (!strncmp(l, "split", 5))
		l += 5 + (l[5] == '>');
	if (!strncmp(l, "http/", 5))
		return (gt = strchr(l, '>')) && gt[1];
	return l[0] != '\0';
}

/*
 * A name a DNS-over-HTTPS request asks an allowed resolver for (the HTTP
 * glue's doh_judge): judged as the proxy judges a question (policy,
 * exfiltration checks, budgets; the event is the gate's), so a resolver
 * on an allowed host is no way past the DNS gate and ordinary names still
 * resolve through it (egress-gaps4, t/e2e/411; before, every DoH request
 * was refused). 0 or -EACCES with why (the name shown redacted).
 */
static int rl_doh_judge(void *arg, const char *name, uint16_t qtype, char *why, size_t cap)
{
	const struct rl_doh *d = arg;
	const struct rl_who *w = d->w;

	if (brk_dnsgate_judge(d->ctx, w->pid, w->exe[0] ? w->exe : "an unknown program", name,
			      qtype, "doh", why, cap) == BRK_ALLOW)
		return 0;
	return -EACCES;
}

/*
 * The engine on plaintext p[0..n) of direction s: the HTTP glue (parts,
 * bodies), then the raw stream scanner on what it did not cover, the
 * split matcher on all of it; events for findings.
 * 0 or -EACCES. When tls, a refusal's reason is kept for the hook.
 */
static int rl_scan_plain(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			 const uint8_t *p, size_t n, bool http, bool tls)
{
	struct brk_scan_result res;
	struct brk_event ev = { 0 };
	const char *sni = tls && s->tl ? rl_tk_sni(s->tl) : NULL;
	/* as h_data: the TLS server name picks among the names the broker
	 * resolved to this address, never adds one (an unbound one: no home) */
	const char *host = sni ? (brk_resolved_has(ctx->resolved, sni, &w->a) ? sni : NULL)
			   : w->host[0] ? w->host : NULL;
	char layers[96], line[600], shown[300];
	const char *why = NULL;
	char raw_why[sizeof(res.error)], partial[sizeof(res.error) + 160];
	unsigned long long raw_scanned = 0;
	unsigned i;
	int rc = 0, hrc = 0;
	bool deny_any = false, raw_partial = false;

	if (!n && !s->ss)
		return 0;       /* the EOF flush of a direction that never carried a byte */
	brk_scan_result_clear(&res);    /* not its 1.9 KB per read (scan.h) */
	if (s->dir == BRK_SCAN_INGRESS && n && s->swap_state >= 0)
		rl_border_note(s, p, n);        /* a coded body: rl_border_real_back */
	if (!s->ss && brk_scan_stream_open_dir(ctx->scan, s->dir, &s->ss) < 0) {
		res.blocked = res.refused = 1;
		snprintf(res.error, sizeof(res.error), "out of memory for a scan stream");
	}
	/* inbound HTTP: the glue decodes bodies by their encodings (as h_data) */
	if (s->ss && s->dir == BRK_SCAN_INGRESS && http)
		brk_scan_stream_set_light(s->ss, !s->http.broken);
	/* one inspection per byte: the protocol layer first (its parts, the
	 * de-chunked / de-framed bodies in its body stream), then the raw
	 * stream over what no part covered (brk_http_glue_raw) */
	if (n && http) {
		s->http.policy = ctx->policy;   /* method rules judge requests */
		if (s->front == 0) {
			/* allowed by an address rule: the user chose that server,
			 * its Host headers are its own (a local virtual host) */
			struct brk_decision d;

			brk_policy_check_addr(ctx->policy, &w->a, false, &d);
			s->front = d.verdict == BRK_ALLOW ? -1 : 1;
		}
		s->http.front = s->front > 0;
		s->http.cover = 1;
		/* DNS over HTTPS: its names judged by the DNS gate (rl_doh_judge) */
		s->doh.ctx = ctx;
		s->doh.w = w;
		s->http.doh_judge = rl_doh_judge;
		s->http.doh_arg = &s->doh;
		hrc = brk_http_glue_scan(&s->http, ctx->scan, tls ? DLP_CHAN_TLS : DLP_CHAN_PLAIN,
					 s->dir == BRK_SCAN_INGRESS ? DLP_DIR_RECV : DLP_DIR_SEND,
					 p, n, host, &res);
	}
	if (s->ss)
		rc = brk_http_glue_raw(http ? &s->http : NULL, s->ss, p, n, host, &res,
				       &raw_partial, &raw_scanned, raw_why, sizeof(raw_why));
	if (rc == -ETIMEDOUT && s->dir == BRK_SCAN_INGRESS)
		rc = 0;
	if (hrc < 0 && rc == 0)
		rc = hrc;
	if (http && n && s->dir == BRK_SCAN_EGRESS && !res.blocked) {
		/* known secrets and canaries split over small messages and
		 * connections (scan.h), as h_data() does for the hooks' plaintext:
		 * under the relay the shim sends neither TLS plaintext nor plain TCP */
		int src = brk_scan_split_feed(ctx->scan, host, p, n, &res);

		if (src < 0 && rc == 0)
			rc = src;
	}
	if (raw_partial && !res.partial && !brk_http_glue_decoding(&s->http)) {
		res.partial = 1;
		res.scanned = raw_scanned;
		if (!res.error[0])
			snprintf(res.error, sizeof(res.error), "%s", raw_why);
	}
	if (rc < 0 && !res.blocked) {
		res.blocked = res.refused = 1;
		if (!res.error[0])
			snprintf(res.error, sizeof(res.error), "scanner error: %s", strerror(-rc));
	}
	for (i = 0; i < res.nfindings; i++) {
		const struct brk_finding *f = &res.findings[i];
		bool in = s->dir == BRK_SCAN_INGRESS || f->received;
		/* a placeholder the border did not swap (relay_swap.c): at its home
		 * only raw (an entry that never swaps: it fails authentication
		 * there, as in an HTTP/2 Huffman header the border does not swap), in
		 * a decoded layer never (a place no client puts it) */
		bool ph = !in && f->detector && !strcmp(f->detector, "placeholder");
		bool deny = !in && (!f->in_scope || (ph && rl_layer_decoded(f->layers))) &&
			    f->action == BRK_SCAN_BLOCK;
		/* a replaced credential's real value coming back where the
		 * border cannot put its placeholder in (gzip, base64): reset */
		bool back = s->dir == BRK_SCAN_INGRESS && rl_border_real_back(ctx, s, f);

		deny |= back;
		memset(&ev, 0, sizeof(ev));
		ev.verdict = deny ? BRK_DENY : BRK_ALLOW;
		ev.detector = f->detector;
		ev.match = f->redacted;
		ev.source = f->source;
		snprintf(layers, sizeof(layers), "%s%s%s%s", s->via ? s->via : "relay",
			 tls ? ">tls-plaintext" : "", f->layers[0] ? ">" : "", f->layers);
		ev.layers = layers;
		ev.reason = in ? brk_inbound_reason(f->canary)
			  : f->canary ? "canary token in outbound data (proof of exfiltration)"
			  : ph && deny ? "placeholder of a credential in outbound data (proof of "
					 "exfiltration: the jail only ever held the placeholder)"
			  : ph ? "placeholder sent to its own home domain (never swaps)"
			  : f->in_scope ? "credential sent to its own home domain"
			  : !deny ? "possible credential (this detector only warns)"
			  : "credential sent outside its home domains";
		ev.rule = in ? "received" : f->canary ? "canary" : ph ? "placeholder"
			: f->in_scope ? "home-domain" : "detector";
		if (back) {
			ev.rule = "real-inbound";
			ev.reason = "the real value of a credential the jail holds only as a "
				    "placeholder came back in a layer the border cannot rewrite "
				    "(compressed, encoded): connection reset before the jail reads it";
		}
		rl_event(ctx, s, w, &ev);
		if (back && !why) {
			snprintf(line, sizeof(line), "the real value of %s %s came back in a %s "
				 "layer the border cannot replace by its placeholder: reset",
				 f->detector, f->redacted, f->layers);
			why = line;
		}
		if (deny && !why) {
			char from[300];

			brk_eventlog_from(ctx->log, f->canary ? NULL : f->source, from, sizeof(from));
			snprintf(line, sizeof(line), "%s %s%s %s", f->canary ? "canary token"
				 : f->detector, f->redacted, from, f->canary || ph ? "in outbound data"
				 : "leaving for a host outside its home domains");
			why = line;
		}
		deny_any |= deny;
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
		if (!why)
			why = res.error;
	} else if (res.partial && !s->partial_said) {
		/* under the relay the shim sends no socket data: this is the one event */
		s->partial_said = true;
		snprintf(partial, sizeof(partial), "not fully scanned: %s (decoded layers cover the "
			 "first %llu bytes; raw matching covers all)", res.error, res.scanned);
		memset(&ev, 0, sizeof(ev));
		ev.verdict = BRK_ALLOW;
		ev.rule = "scan-partial";
		ev.reason = partial;
		rl_event(ctx, s, w, &ev);
	}
	if ((res.blocked || deny_any) && !ctx->monitor) {
		if (tls && why) {   /* the hook's next call prints it */
			char full[1000];

			snprintf(full, sizeof(full), "TLS %s %s: %s", s->dir == BRK_SCAN_INGRESS
				 ? "response from" : "send to",
				 rl_shown(ctx, s, w, shown, sizeof(shown)), why);
			brk_tls_set_status(ctx->tlskeys, &w->la, w->lport, full);
		} else {
			rl_say(w, why ? why : res.error[0] ? res.error : "refused");
		}
		return -EACCES;
	}
	return 0;
}

/*
 * A ClientHello in the egress plaintext of a TLS session the relay reads
 * (terminated by the CA path, or decrypted with a hooked library's keys):
 * TLS inside TLS (a CONNECT through the allowed host, or any inner
 * session an unhooked stack runs, piped through the hooked one), whose
 * records no layer can read. Refused wherever in the stream it starts
 * (redteam-egress4, t/e2e/393). 0 or -EACCES.
 */
static int rl_tls_inner(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			const uint8_t *p, size_t n)
{
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "relay-tls" };
	char why[1100], ip[64];
	size_t at;

	if (!rl_tls_upgrade_find(s->up_tail, s->nup_tail, p, n, &at)) {
		rl_tls_upgrade_tail(s->up_tail, &s->nup_tail, p, n);
		return 0;
	}
	brk_addr_format(&w->a, ip, sizeof(ip));
	snprintf(why, sizeof(why), "TLS inside TLS from %s to %s cannot be inspected (a "
		 "ClientHello in the plaintext of a TLS session; an http:// proxy's CONNECT "
		 "tunnel is read, an https:// proxy's is not)",
		 w->exe[0] ? w->exe : "an unknown program", w->host[0] ? w->host : ip);
	ev.reason = why;
	rl_event(ctx, s, w, &ev);
	return ctx->monitor ? 0 : -EACCES;
}

static int rl_tls_gates(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			const uint8_t *p, size_t n);
static int rl_dns_gate_tls(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			   const uint8_t *p, size_t n);

/*
 * The key path forwards the client's ClientHello as it was written, its
 * server name too, so that name is a destination and a payload: a hooked
 * client's SNI carried anything to any allowed address (hex labels of a
 * token; a name an SNI-routing front on an allowed address forwards to),
 * where the CA path refuses a name the policy does not allow
 * (relay_mitm.c mitm_decide). Now judged before the hello leaves
 * (redteam-egress3, t/e2e/403): a name the broker resolved to this
 * address passes (its lookup was judged); any other is judged as a lookup
 * of it would be (brk_dnsgate_judge: policy, then the exfiltration
 * checks; it writes the event). An address literal passes only as the
 * destination's own address. A hello in several records (its name could
 * leave before it is read) and a server_name extension that holds no one
 * readable name ("?") are refused. 0 or -EACCES.
 */
static int rl_tls_sni_gate(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w)
{
	const char *sni = rl_tk_sni(s->tl);
	char reason[900], line[1100], shown[300];
	struct brk_addr lit, c1, c2;

	if (!rl_tk_client_random(s->tl))
		return rl_tls_fail(ctx, s, w, "a ClientHello in several TLS records is not "
				   "inspected (its server name would leave unjudged)");
	s->sni_judged = true;
	if (!sni || (w->host[0] && !strcasecmp(sni, w->host)) ||
	    brk_resolved_has(ctx->resolved, sni, &w->a))
		return 0;
	if (brk_addr_parse(sni, &lit) == 0) {
		brk_addr_canon(&lit, &c1);
		brk_addr_canon(&w->a, &c2);
		if (c1.v == c2.v && !memcmp(c1.b, c2.b, sizeof(c1.b)))
			return 0;
		return rl_tls_fail(ctx, s, w, "the TLS server name is an address other than "
				   "the one connected to");
	}
	if (brk_dnsgate_judge(ctx, w->pid, w->exe[0] ? w->exe : "an unknown program", sni, 1,
			      "tls-sni", reason, sizeof(reason)) == BRK_ALLOW)
		return 0;
	snprintf(line, sizeof(line), "TLS send to %s: server name not allowed (%s)",
		 rl_shown(ctx, s, w, shown, sizeof(shown)), reason);
	brk_tls_set_status(ctx->tlskeys, &w->la, w->lport, line);
	return -EACCES;
}

/* What rl_tk_feed hands back: plaintext of either direction of the pair. */
struct rl_tls_arg {
	struct brk_ctx *ctx;
	const struct rl_who *w;
	struct rl_scan *dir[2];
};

/* The name a key-path session is bound to: its SNI, when the broker
 * resolved that name to this address (issue 10 item 6), else none. */
static const char *rl_tls_home(struct brk_ctx *ctx, const struct rl_scan *s,
			       const struct rl_who *w)
{
	const char *sni = s->tl ? rl_tk_sni(s->tl) : NULL;

	/* and its certificate proves the name (item 1: resolution alone is not
	 * enough for a real credential) */
	return sni && brk_resolved_has(ctx->resolved, sni, &w->a) &&
	       rl_border_cert_ok((struct rl_scan *)s, sni) ? sni : NULL;
}

static int rl_tls_plain(void *arg, int dir, int ctype, uint8_t *p, size_t n)
{
	struct rl_tls_arg *a = arg;
	struct rl_scan *s = a->dir[dir];
	bool last = ctype & RL_TK_LAST;
	int sw = 0, rc;

	ctype &= ~RL_TK_LAST;
	if (ctype != RL_CT_APPDATA) {   /* handshake messages are matched raw */
		if (s->dir == BRK_SCAN_EGRESS && !s->sni_judged &&
		    rl_tls_sni_gate(a->ctx, s, a->w) < 0)
			return -EACCES;
		return rl_scan_plain(a->ctx, s, a->w, p, n, false, true);
	}
	if (!last && rl_border_hold(a->ctx, s, p, n))
		return RL_TK_HOLD;      /* the next record may complete a value */
	if (s->dir == BRK_SCAN_EGRESS && (rl_tls_inner(a->ctx, s, a->w, p, n) < 0 ||
					  rl_tls_gates(a->ctx, s, a->w, p, n) < 0 ||
					  rl_dns_gate_tls(a->ctx, s, a->w, p, n) < 0))
		return -EACCES;
	/* application data: the border swap (out before the engine, in after
	 * it), HTTP/1.1 or HTTP/2 as well; a changed record is resealed */
	if (s->dir == BRK_SCAN_EGRESS) {
		/* the home only where the border uses it: bound, or about to
		 * bind with live swaps; without swaps rl_border_start turns it
		 * off, and the name's lookup and certificate check (an X509
		 * verification per session) would be for nothing */
		const char *home = s->swap_state > 0 || (s->swap_state == 0 &&
							 rl_swap_active(a->ctx->swaps))
				   ? rl_tls_home(a->ctx, s, a->w) : NULL;

		s->room = rl_tk_room(s->tl);    /* HTTP/2: a record may grow */
		if ((sw = rl_border(a->ctx, s, a->w, home, p, n)) < 0)
			return sw;
		if (s->grown) {
			rl_tk_grew(s->tl, s->grown);
			dlp_log(DLP_LOG_DEBUG, "relay: an HTTP/2 header block swapped: its TLS "
				"record resealed %zu bytes longer", s->grown);
		}
		n += s->grown;
		s->room = s->grown = 0;
	}
	rc = rl_scan_plain(a->ctx, s, a->w, p, n, true, true);
	rc = rl_border_verdict(a->ctx, s, a->w, rc);
	if (rc == 0 && s->dir == BRK_SCAN_INGRESS) {
		s->room = rl_tk_room(s->tl);    /* HTTP/2 headers may grow too */
		sw = rl_border(a->ctx, s, a->w, NULL, p, n);
		if (sw > 0 && s->grown)
			rl_tk_grew(s->tl, s->grown);
		s->room = s->grown = 0;
	}
	return rc < 0 ? rc : sw < 0 ? sw : sw > 0 ? RL_TK_RESEAL : 0;
}

/*
 * Plain TCP and the CA path's plaintext: the border swap in the relay's
 * buffer (the CA path's plaintext buffer), a tail that may start a
 * placeholder held back (bounded: relay_swap.c). Bound to the name the broker
 * resolved for the address; on the CA path that name is also the one the
 * upstream certificate proved.
 */
static int rl_scan_swapped(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			   uint8_t *p, size_t n, size_t *used)
{
	const char *home = w->host[0] && (!s->ca || brk_resolved_has(ctx->resolved, w->host,
								    &w->a)) ? w->host : NULL;
	size_t keep = rl_border_hold(ctx, s, p, n);
	int rc;

	*used = n - keep;
	if (keep && keep == n)
		return 0;
	n -= keep;
	if (s->dir == BRK_SCAN_EGRESS && rl_border(ctx, s, w, home, p, n) < 0)
		return -EACCES;
	rc = rl_scan_plain(ctx, s, w, p, n, true, false);
	rc = rl_border_verdict(ctx, s, w, rc);
	if (rc == 0 && s->dir == BRK_SCAN_INGRESS && rl_border(ctx, s, w, NULL, p, n) < 0)
		return -EACCES;         /* a real value it could not replace */
	return rc;
}

/* A new session on the key path: shared by both directions of the pair. */
static int rl_tls_start(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w)
{
	if (!s->peer || rl_tk_new(ctx->tlskeys, &s->tl) < 0)
		return -ENOMEM;
	rl_tk_set_dst(s->tl, &w->a, w->port);   /* resumption binding */
	s->tl_owner = true;
	rl_tk_set_reseal(s->tl, rl_swap_active(ctx->swaps));
	s->peer->tl = s->tl;
	s->tls = 3;
	s->peer->tls = 3;
	return 0;
}

/*
 * A SOCKS handshake opening the stream (a SOCKS5 greeting alone: version,
 * 1-16 methods, nothing after it; or a SOCKS4/4a CONNECT request ending in
 * its NUL): the proxy would connect wherever the next bytes say, and what
 * it tunnels is not re-read. Refused (rl_socks_refuse), not parsed.
 */
static bool rl_is_socks(const uint8_t *p, size_t n)
{
	if (n >= 3 && p[0] == 5 && p[1] >= 1 && p[1] <= 16 && n == 2u + p[1])
		return true;
	return n >= 9 && n <= 512 && p[0] == 4 && p[1] == 1 && p[n - 1] == 0;
}

static int rl_socks_refuse(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w)
{
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "relay-socks" };
	char why[400];

	snprintf(why, sizeof(why), "a SOCKS proxy handshake from %s: the relay does not read "
		 "SOCKS tunnels (their destination and bytes would go unjudged)",
		 w->exe[0] ? w->exe : "an unknown program");
	ev.reason = why;
	rl_event(ctx, s, w, &ev);
	return ctx->monitor ? 0 : -EACCES;
}

/*
 * An HTTP CONNECT opening the egress stream: a proxy's tunnel (the HTTP
 * glue judges its destination like a connect). What follows the request
 * head is a new stream to that destination and is sniffed again, so TLS
 * inside the tunnel takes the key or the CA path like any first bytes,
 * never through uninspected as ciphertext. Returns how many bytes of p
 * to take now: n, or the end of the head (the rest is fed again with the
 * next read; a client waits for the proxy's answer before it sends more).
 * A start that could still become "CONNECT " is passed on, not held (a
 * client that writes "C" and waits must get its answer; no proxy acts on
 * half a request line): s->tun_at counts how much of the verb it was.
 */
static size_t rl_tunnel_head(struct rl_scan *s, const uint8_t *p, size_t n, bool *ended)
{
	static const char verb[] = "CONNECT ";
	size_t i;

	*ended = false;
	if (s->tun == 0) {
		size_t at = s->tun_at, left = sizeof(verb) - 1 - at, k = n < left ? n : left;

		if (strncasecmp((const char *)p, verb + at, k)) {
			s->tun = 2;
		} else if (k < left) {
			s->tun_at = (uint8_t)(at + k);
			return n;
		} else {
			s->tun = 1;
		}
	}
	if (s->tun != 1)
		return n;
	for (i = 0; i < n; i++) {
		s->tun_tail = s->tun_tail << 8 | p[i];
		if (s->tun_tail == 0x0d0a0d0au) {
			s->tun = 2;
			*ended = true;
			return i + 1;
		}
	}
	return n;
}

static int rl_scan_feed1(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			 uint8_t *p, size_t n, size_t *used);

/*
 * The egress plaintext of a TLS session the relay reads (the CA path's,
 * the key path's application data) gets the gates a plain stream's start
 * gets (redteam-egress3, t/e2e/402): an SSH banner (relay_ssh.c; SSH over
 * TLS to an allowed host:443 passed unread before) and a SOCKS handshake
 * at its start are refused, and so is a banner at the start of a CONNECT
 * tunnel in it (the tunnel's TLS is refused by rl_tls_inner). Bytes the
 * border holds are fed again: the gates decide on a stream's first 4
 * bytes, and a first piece that short is never held. 0 or -EACCES.
 */
static int rl_tls_gates(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			const uint8_t *p, size_t n)
{
	bool ended;
	size_t k;

	if (s->ssh != 1 && rl_ssh_gate(ctx, s, w, p, n) < 0)
		return -EACCES;
	if (s->tun == 2)
		return 0;
	if (s->tun == 0 && !s->tun_at && rl_is_socks(p, n) && rl_socks_refuse(ctx, s, w) < 0)
		return -EACCES;
	k = rl_tunnel_head(s, p, n, &ended);
	if (!ended)
		return 0;
	s->ssh = 2;     /* SSH inside the tunnel: refused */
	s->ssh_at = 0;
	return k < n ? rl_tls_gates(ctx, s, w, p + k, n - k) : 0;
}

/*
 * Egress plaintext that turns into TLS (STARTTLS, junk before an own
 * stack's hello): the plaintext before the hello is scanned and goes on;
 * the hello is routed as at a connection's start. The CA path takes over
 * the pair's sockets with the bytes from the hello on, so it can take a
 * hello only when nothing is still to be sent before it: one at the start
 * of a read (relay.c reads only when everything forwarded has been sent;
 * a STARTTLS client waits for the server's answer), or one held until
 * more came. A hello that follows plaintext in the same read and that no
 * hooked library claimed is refused (event "cannot be inspected"), and
 * so is a hello whose first bytes left in an earlier read.
 * false: no hello in p (scan it raw); true: handled, *rc is the feed's
 * result (rl_scan_feed1's: 0, -EACCES or RL_SCAN_MITM).
 */
static bool rl_tls_upgrade(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			   uint8_t *p, size_t n, size_t *used, int *rc)
{
	size_t at, u = 0, u2 = 0;
	int f = rl_tls_upgrade_find(s->up_tail, s->nup_tail, p, n, &at);

	*rc = 0;
	if (f == 0) {
		rl_tls_upgrade_tail(s->up_tail, &s->nup_tail, p, n);
		return false;
	}
	*used = 0;
	s->upgraded = true;
	if (f < 0 || (at && ((*rc = rl_scan_swapped(ctx, s, w, p, at, &u)) < 0 || u != at))) {
		if (f > 0 && *rc < 0)
			return true;    /* a finding in the plaintext before it */
		*rc = rl_tls_refuse(ctx, s, w);
		*used = *rc == 0 ? n : 0;   /* monitor: logged, goes on raw */
		return true;
	}
	s->tls = 0;     /* the hello starts the stream the TLS path sees */
	/* ...and its plaintext is a stream of its own: DNS framing at its
	 * start makes it DNS (DNS over TLS after a STARTTLS-like upgrade) */
	s->dns = s->dns_at = 0;
	s->ndns_tail = 0;
	s->upgrade_mid = at > 0;
	*rc = rl_scan_feed1(ctx, s, w, p + at, n - at, &u2);
	if (s->tls == 0)
		s->upgrade_mid = false;     /* held: at the front of the next feed */
	*used = at + u2;
	return true;
}

static int rl_scan_feed1(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			 uint8_t *p, size_t n, size_t *used)
{
	struct rl_tls_arg a = { .ctx = ctx, .w = w };
	bool waiting = false;
	int rc;

	*used = n;
	if (s->ca && s->dir == BRK_SCAN_EGRESS && n &&
	    (rl_tls_inner(ctx, s, w, p, n) < 0 || rl_tls_gates(ctx, s, w, p, n) < 0)) {
		*used = 0;
		return -EACCES;
	}
	s->waiting = false;
	if (s->dir == BRK_SCAN_EGRESS && s->tls == 0) {
		rl_tls_sniff(s, p, n, used);
		if (s->tls == 0)
			return 0;
		if (s->tls == 1) {
			enum rl_tls_route route = rl_tls_route(ctx, w);

			s->tls = 2;     /* decided once */
			if (route == RL_TLS_MITM && s->mitm && !s->upgrade_mid) {
				/* terminated by relay_mitm.c, plaintext scanned there;
				 * the hello is scanned raw as it is handed over */
				*used = 0;
				rc = rl_scan_plain(ctx, s, w, p, n, true, false);
				return rc < 0 ? rc : RL_SCAN_MITM;
			}
			if (route != RL_TLS_KEYS)
				return rl_tls_refuse(ctx, s, w);
			if (rl_tls_start(ctx, s, w) < 0)
				return rl_tls_fail(ctx, s, w, "out of memory for a TLS session");
		}
		*used = n;
	}
	if (s->dir == BRK_SCAN_EGRESS && s->tls == -1 && s->ssh != 1 && !s->ca && n) {
		rc = rl_ssh_gate(ctx, s, w, p, n);
		if (rc < 0) {
			*used = 0;      /* refused */
			return -EACCES;
		}
	}
	if (s->dir == BRK_SCAN_EGRESS && s->tls == -1 && s->tun != 2 && !s->ca && n) {
		bool ended;
		size_t k;

		if (s->tun == 0 && !s->tun_at && rl_is_socks(p, n) && rl_socks_refuse(ctx, s, w) < 0)
			return -EACCES;
		k = rl_tunnel_head(s, p, n, &ended);
		if (ended) {
			/* the head alone now (s->tun is 2: no second cut); the
			 * tunnel is fed from its first byte, sniffed again */
			rc = rl_scan_feed1(ctx, s, w, p, k, used);
			s->tls = 0;
			s->ssh = 2;     /* SSH inside a tunnel: refused (relay_ssh.c) */
			s->ssh_at = 0;
			if (s->dns < 0) {
				s->dns = s->dns_at = 0;    /* DNS framing: rl_dns_gate */
				s->ndns_tail = 0;
			}
			return rc < 0 ? rc : 0;
		}
	}
	if (s->dir == BRK_SCAN_EGRESS && s->tls == -1 && !s->ca && !s->tl && n && !s->upgraded &&
	    rl_tls_upgrade(ctx, s, w, p, n, used, &rc))
		return rc;  /* TLS after plaintext: routed (or refused) at its hello */
	if (!s->tl && s->dir == BRK_SCAN_INGRESS && s->peer && s->peer->tls == 2)
		return 0;   /* inbound ciphertext of a blind (`blind HOST`) session */
	if (!s->tl && (s->ca || (s->dir == BRK_SCAN_EGRESS ? s->tls == -1
				: !s->peer || s->peer->tls <= 0)))
		return rl_scan_swapped(ctx, s, w, p, n, used);
	if (!s->tl)
		return rl_scan_plain(ctx, s, w, p, n, true, false);
	/* the key path: whole records only, each forwarded once its plaintext passed */
	a.dir[s->dir == BRK_SCAN_INGRESS] = s;
	a.dir[s->dir != BRK_SCAN_INGRESS] = s->peer;
	if (n == 0)
		return 0;   /* an incomplete record at the end is never forwarded */
	if (rl_border_due(s))
		rl_tk_release(s->tl, s->dir == BRK_SCAN_INGRESS);
	rl_tk_set_room(s->tl, s->buf_room);
	rc = rl_tk_feed(s->tl, s->dir == BRK_SCAN_INGRESS, p, n, rl_tls_plain, &a, used,
			 &waiting);
	s->buf_grown = rl_tk_grown(s->tl);
	s->waiting = waiting;
	if (rc == -EACCES)
		return -EACCES;         /* a finding: events written */
	if (rc < 0 && rl_tls_fail(ctx, s, w, rl_tk_why(s->tl)) < 0)
		return -EACCES;
	if (rc < 0) {
		/* monitor mode: logged; the rest of this session passes, raw-scanned */
		struct rl_scan *owner = s->tl_owner ? s : s->peer;

		rl_tk_free(owner->tl);
		owner->tl_owner = false;
		s->tl = s->peer->tl = NULL;
		*used = n;
	}
	return 0;
}

/* Test hook (t/e2e/359-relay-watchdog.sh): with DLPJAIL_TEST_STALL in the
 * broker's environment, bytes holding the marker stall the scan like a
 * pathological input: until the watchdog stops it, then 3 s more, as a
 * scan that returns late (the refusal must not wait for it). */
#define RL_STALL_ENV "DLPJAIL_TEST_STALL"
#define RL_STALL_DATA "dlpjail-test-stall"

static void rl_stall_hook(const uint8_t *p, size_t n)
{
	static int on = -1;
	struct timespec ts = { .tv_nsec = 10 * 1000000L };
	int i;

	if (on < 0)
		on = getenv(RL_STALL_ENV) != NULL;
	if (!on || !n || !memmem(p, n, RL_STALL_DATA, sizeof(RL_STALL_DATA) - 1))
		return;
	while (!rl_wd_aborted())
		nanosleep(&ts, NULL);
	for (i = 0; i < 300; i++)
		nanosleep(&ts, NULL);
}

/*
 * The start of an egress plaintext stream against a DNS-over-TCP frame
 * (RFC 7766: a 2-byte length, then a query's header: QR 0, opcode QUERY,
 * no RCODE, one question, no answer or authority records, at most one
 * additional: the EDNS OPT). The 14 bytes are length and header only, no
 * name yet, so they go on while they are read (kept in s->dns_head); the
 * byte after them is judged with them. Random bytes match about 1 in
 * 2^60, text never (the counts need NUL bytes). 1 when the stream is DNS
 * framing (s->dns), 0 not or not yet.
 */
static int rl_dns_framed(struct rl_scan *s, const uint8_t *p, size_t n, size_t *k)
{
	const uint8_t *h = s->dns_head;
	size_t at;

	*k = 0;
	if (s->dns)
		return s->dns > 0;
	*k = sizeof(s->dns_head) - s->dns_at < n ? sizeof(s->dns_head) - s->dns_at : n;
	memcpy(s->dns_head + s->dns_at, p, *k);
	s->dns_at = (uint8_t)(s->dns_at + *k);
	at = s->dns_at;
	if ((at >= 2 && (h[0] << 8 | h[1]) < BRK_DNS_HDR_LEN + 5) ||
	    (at >= 5 && (h[4] & 0xf8)) || (at >= 6 && (h[5] & 0x8f)) ||
	    (at >= 7 && h[6]) || (at >= 8 && h[7] != 1) || (at >= 9 && h[8]) ||
	    (at >= 10 && h[9]) || (at >= 11 && h[10]) || (at >= 12 && h[11]) ||
	    (at >= 13 && h[12]) || (at >= 14 && h[13] > 1))
		s->dns = -1;
	else if (at == sizeof(s->dns_head))
		s->dns = 1;
	return s->dns > 0;
}

/*
 * Are p[0..n), egress bytes as read, the stream's plaintext: plain TCP
 * (its start too, unless rl_tls_sniff holds it or finds a ClientHello:
 * the mirror of its test), the CA path's plaintext? Not TLS records.
 */
static bool rl_dns_plain(const struct rl_scan *s, const uint8_t *p, size_t n)
{
	if (s->tl || s->tls > 0)
		return false;
	if (s->ca || s->tls < 0)
		return true;
	return !(p[0] == 0x16 && (n < 2 || p[1] == 0x03) &&
		 (n < sizeof(s->head) || (p[2] <= 0x04 && p[5] == 0x01)));
}

/*
 * How many of p[0..n), DNS-over-TCP stream bytes, may go: every message
 * that ends in them, and of one that does not, only what is still its
 * length and header (no name yet). The rest of a message leaves only
 * once it is whole and judged: a name written one byte a write would
 * otherwise reach the server before its judgement. s->dns_tcp holds the
 * header bytes of the message under way that went already.
 */
static size_t rl_dns_whole(const struct rl_scan *s, const uint8_t *p, size_t n)
{
	size_t at = 0, cur = s->dns_tcp.len, len;

	for (;;) {
		uint8_t l0 = cur ? s->dns_tcp.ptr[0] : at < n ? p[at] : 0;
		uint8_t l1 = cur > 1 ? s->dns_tcp.ptr[1] : at + 1 - cur < n ? p[at + 1 - cur] : 0;

		if (cur + (n - at) < 2)
			return n;       /* the length itself: passes */
		len = 2u + (size_t)(l0 << 8 | l1);
		if (n - at < len - cur)
			break;
		at += len - cur;
		cur = 0;
	}
	return at + (cur < 2u + BRK_DNS_HDR_LEN ? 2u + BRK_DNS_HDR_LEN - cur < n - at
					      ? 2u + BRK_DNS_HDR_LEN - cur : n - at : 0);
}

/* Every DNS message of these stream bytes judged as the proxy judges a
 * question (brk_dnsgate_raw; a message's header bytes that went are kept
 * in s->dns_tcp). How many bytes may go now (rl_dns_whole), or -EACCES. */
static long rl_dns_judge(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			 const uint8_t *p, size_t n)
{
	char why[600];
	size_t go;

	if (!n)
		return 0;
	if (!s->dns_tcp.max)
		dlp_buf_init(&s->dns_tcp, BRK_DNS_MSG_MAX + 2);
	go = rl_dns_whole(s, p, n);
	if (!go || brk_dnsgate_raw(ctx, w->pid, w->exe[0] ? w->exe : "an unknown program", p, go,
				   true, &s->dns_tcp, why, sizeof(why)) == BRK_ALLOW)
		return (long)go;
	rl_say(w, why);
	return -EACCES;
}

/* Byte i of the gate's view: p[i], or for i < 0 the bytes that went before. */
static uint8_t rl_dns_byte(const struct rl_scan *s, const uint8_t *p, long i)
{
	return i < 0 ? s->dns_tail[s->ndns_tail + i] : p[i];
}

/* The gate let p[0..go) go on a stream not (yet) DNS: keep its last bytes. */
static void rl_dns_went(struct rl_scan *s, const uint8_t *p, size_t go)
{
	size_t keep = sizeof(s->dns_tail), m = go < keep ? go : keep;
	size_t old = s->ndns_tail < keep - m ? s->ndns_tail : keep - m;

	memmove(s->dns_tail, s->dns_tail + s->ndns_tail - old, old);
	memcpy(s->dns_tail + old, p + go - m, m);
	s->ndns_tail = (uint8_t)(old + m);
	s->dns_off += go;
}

/*
 * The question of a query header at c (length, header: rl_dns_framed's
 * test) in p[0..n): 1 with q filled, 0 not a question a resolver would
 * answer, -EAGAIN not all in p yet. The copy judged has no additional
 * record (the question alone decides) and class IN (a resolver forwards
 * class ANY too).
 */
static int rl_dns_question(const struct rl_scan *s, const uint8_t *p, size_t n, long c,
			   struct brk_dns_query *q)
{
	uint8_t h[14], msg[BRK_DNS_HDR_LEN + BRK_DNS_WIRE_NAME_MAX + 4];
	size_t o = (size_t)(c + 14), w = 0, mlen;
	unsigned i;

	for (i = 0; i < sizeof(h); i++)
		h[i] = rl_dns_byte(s, p, c + (long)i);
	mlen = (size_t)(h[0] << 8 | h[1]);
	if (mlen < BRK_DNS_HDR_LEN + 5 || (h[4] & 0xf8) || (h[5] & 0x8f) || h[6] || h[7] != 1 ||
	    h[8] || h[9] || h[10] || h[11] || h[12] || h[13] > 1)
		return 0;
	for (;;) {
		if (o + w >= n)
			return -EAGAIN;
		if (p[o + w] & 0xc0 || w + 1u + p[o + w] > BRK_DNS_WIRE_NAME_MAX)
			return 0;
		if (!p[o + w])
			break;
		w += 1u + p[o + w];
	}
	w++;
	if (o + w + 4 > n)
		return -EAGAIN;
	if (BRK_DNS_HDR_LEN + w + 4 > mlen)
		return 0;
	memcpy(msg, h + 2, BRK_DNS_HDR_LEN - 1);
	msg[2] &= ~0x02;        /* TC: a resolver answers it all the same */
	msg[BRK_DNS_HDR_LEN - 1] = 0;
	memcpy(msg + BRK_DNS_HDR_LEN, p + o, w + 2);
	msg[BRK_DNS_HDR_LEN + w + 2] = 0;
	msg[BRK_DNS_HDR_LEN + w + 3] = BRK_DNS_C_IN;
	if (msg[BRK_DNS_HDR_LEN + w] == 0 && (msg[BRK_DNS_HDR_LEN + w + 1] == 0 ||
					      msg[BRK_DNS_HDR_LEN + w + 1] == BRK_DNS_T_OPT))
		msg[BRK_DNS_HDR_LEN + w + 1] = BRK_DNS_T_A;
	return brk_dns_query_parse(msg, BRK_DNS_HDR_LEN + w + 4, q) == 0;
}

/*
 * A header whose "length" is the CRLF ending an HTTP header block: the
 * body of a DNS-over-HTTPS POST (a DNS message without the length),
 * which the HTTP glue judges name by name (rl_doh_judge, its events say
 * "doh"); judging it here too would count each name twice.
 */
static bool rl_dns_doh_body(const struct rl_scan *s, const uint8_t *p, long c)
{
	return c - 2 >= -(long)s->ndns_tail && rl_dns_byte(s, p, c - 2) == '\r' &&
	       rl_dns_byte(s, p, c - 1) == '\n' && rl_dns_byte(s, p, c) == '\r' &&
	       rl_dns_byte(s, p, c + 1) == '\n';
}

/*
 * A DNS query that starts anywhere inside an egress plaintext stream that
 * did not open with DNS framing (egress-gaps5): after a line ("HELLO\r\n",
 * a PROXY protocol header), after a first frame the resolver rejects and
 * reads past (RFC 7766 framing: a FORMERR, then the next length), after
 * a STARTTLS-like exchange. The server picks up framing at a boundary the
 * client chooses, so every offset is one: a query header there is judged
 * by its question (brk_dnsgate_judge, as the proxy would) before a byte of
 * its name leaves; the bytes from a header whose question is not all in
 * yet are held (at most 2 + 12 + 255 + 4). Cheap: a header's QDCOUNT and
 * ANCOUNT are 00 01 00 00, so memchr for 0x01 finds every candidate and
 * text has none. How many bytes may go, or -EACCES.
 */
static long rl_dns_mid(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
		       const uint8_t *p, size_t n)
{
	struct brk_dns_query q;
	long i = -(long)s->ndns_tail, c;
	const uint8_t *hit;
	char why[600];
	int r;

	s->dns_held = false;
	while (i < (long)n) {
		if (i >= 0) {
			if (!(hit = memchr(p + i, 1, n - (size_t)i)))
				break;
			i = hit - p;
		} else if (rl_dns_byte(s, p, i) != 1) {
			i++;
			continue;
		}
		c = i++ - 7;
		/* a header that left whole was judged then; one that ends
		 * past p is looked at with the next bytes (its tail kept) */
		if (c < -(long)s->ndns_tail || c + 14 > (long)n ||
		    s->dns_off + c + 1 <= s->dns_mid)
			continue;
		if (rl_dns_doh_body(s, p, c))
			continue;
		if ((r = rl_dns_question(s, p, n, c, &q)) == -EAGAIN) {
			n = c > 0 ? (size_t)c : 0;
			s->dns_held = true;
			break;
		}
		if (!r)
			continue;
		if (brk_dnsgate_judge(ctx, w->pid, w->exe[0] ? w->exe : "an unknown program",
				      q.name, q.qtype, "dns-in-stream", why, sizeof(why)) !=
		    BRK_ALLOW) {
			rl_say(w, why);
			return -EACCES;
		}
		s->dns_mid = s->dns_off + c + 1;
	}
	rl_dns_went(s, p, n);
	return (long)n;
}

/*
 * DNS over TCP the relay forwards: every DNS message in it is judged as
 * the proxy judges a question, a message goes only once it is whole and
 * judged, and a stream that stops being DNS is refused. Port 53 but the
 * session's proxy: every byte (before, redteam-egress3, t/e2e/404: the
 * shim judged DNS over TCP only for the calls it hooks, so a static Go
 * client's "<hex>.attacker.test" reached the host's name server and the
 * attacker's behind it). Any other port (egress-gaps4, t/e2e/410): an
 * egress plaintext stream that opens with DNS framing (rl_dns_framed):
 * plain TCP to a resolver on an allowed port, DNS over TLS inside a
 * session the relay reads (the key path's application data, the CA
 * path's plaintext) to an allowed host:443 or :853; before, such a
 * resolver resolved any name it was asked past the DNS gate. tls_plain: p
 * is the key path's plaintext (else the stream's bytes as rl_scan_feed
 * forwards them). How many bytes of p may go now, or -EACCES.
 */
static long rl_dns_gate(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			const uint8_t *p, size_t n, bool tls_plain)
{
	size_t k;
	long go;

	if (s->dir != BRK_SCAN_EGRESS || !n)
		return (long)n;
	if (w->port == 53 && !tls_plain)
		return brk_dnsgate_is_proxy(ctx->dnsgate, &w->a) ? (long)n
		       : rl_dns_judge(ctx, s, w, p, n);
	if (w->port == 53 || (!tls_plain && !rl_dns_plain(s, p, n)))
		return (long)n;         /* port 53: judged as sent; not plaintext */
	if (s->dns > 0)
		return rl_dns_judge(ctx, s, w, p, n);
	if (s->dns < 0)
		return rl_dns_mid(ctx, s, w, p, n);
	if (!rl_dns_framed(s, p, n, &k)) {
		if (s->dns == 0) {
			rl_dns_went(s, p, n);   /* the header's bytes: no name yet */
			return (long)n;
		}
		/* not DNS from its start: its first bytes went (the tail) */
		return rl_dns_mid(ctx, s, w, p, n);
	}
	/* framing found with the byte after its header: the header, then the rest */
	if (rl_dns_judge(ctx, s, w, s->dns_head, sizeof(s->dns_head)) < 0 ||
	    (go = rl_dns_judge(ctx, s, w, p + k, n - k)) < 0)
		return -EACCES;
	return (long)k + go;
}

/* The key path's plaintext: a record is forwarded whole or not at all, so
 * a DNS message whose name runs past its record is refused, not held. */
static int rl_dns_gate_tls(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
			   const uint8_t *p, size_t n)
{
	long go = rl_dns_gate(ctx, s, w, p, n, true);

	if (go < 0)
		return -EACCES;
	if ((size_t)go < n)
		return rl_tls_fail(ctx, s, w, "a DNS message whose name runs past its TLS record "
				   "is not judged before it leaves");
	return 0;
}

int rl_scan_feed(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w,
		 uint8_t *p, size_t n, size_t *used)
{
	size_t ahead;
	long go;
	int rc;

	if (rl_wd_fired()) {
		/* refused already (the watchdog, a drain that ran out): no scan,
		 * no second event for what is reset anyway */
		*used = 0;
		return -EACCES;
	}
	rl_stall_hook(p, n);
	/* the DNS gate sees each byte once: what the feed leaves is fed again */
	ahead = s->dns_ahead < n ? s->dns_ahead : n;
	if ((go = rl_dns_gate(ctx, s, w, p + ahead, n - ahead, false)) < 0) {
		*used = 0;
		return -EACCES;
	}
	go += (long)ahead;
	if (n && !go) {
		*used = 0;      /* the rest of a DNS message: with what comes next */
		return 0;
	}
	rc = rl_scan_feed1(ctx, s, w, p, (size_t)go, used);
	s->dns_ahead = rc == 0 && *used < (size_t)go ? (size_t)go - *used : 0;
	if (rl_wd_fired()) {
		/* the watchdog refused this pair (event written): none of it goes */
		*used = 0;
		return -EACCES;
	}
	return rc;
}

void rl_scan_dropped(struct brk_ctx *ctx, struct rl_scan *s, const struct rl_who *w, size_t n)
{
	struct brk_event ev = { .verdict = BRK_DENY, .rule = "relay-drain" };
	char why[300];

	if (!n || s->dir != BRK_SCAN_EGRESS)
		return;
	/* what it was, never its bytes: a record's plaintext is unread */
	snprintf(why, sizeof(why), "%zu byte(s) the jail sent before its end were not "
		 "forwarded: %s", n, s->waiting ? "TLS records still waiting for their keys"
		 : s->tl ? "an incomplete TLS record" : s->dns_tcp.len ? "an incomplete DNS message"
		 : s->dns_held ? "a DNS query inside the stream whose question was incomplete"
		 : "the start of a stream not yet decided (an incomplete TLS ClientHello)");
	ev.reason = why;
	rl_event(ctx, s, w, &ev);
	rl_say(w, why);
}

void rl_scan_free(struct rl_scan *s)
{
	dlp_buf_free(&s->dns_tcp);
	if (s->hist)
		explicit_bzero(s->hist, RL_SWAP_HIST);
	free(s->hist);
	s->hist = NULL;
	free(s->h1);
	s->h1 = NULL;
	rl_h2_free(s->h2);
	s->h2 = NULL;
	brk_scan_stream_close(s->ss);
	s->ss = NULL;
	brk_http_glue_free(&s->http);
	if (s->tl_owner)
		rl_tk_free(s->tl);
	s->tl = NULL;
	s->tl_owner = false;
}
