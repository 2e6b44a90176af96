/* SPDX-License-Identifier: MIT */
/*
 * http_glue.c - per-connection HTTP parsing feeding the scanning engine,
 * for broker.c (see http_glue.h). Only broker.c calls it.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "broker/addr.h"
#include "broker/dns/dns_msg.h"
#include "broker/http/http.h"
#include "broker/http/http_glue.h"
#include "broker/policy.h"
#include "broker/scan/scan.h"
#include "common/dlp_err.h"
#include "common/wire.h"

struct glue_ctx {
	struct brk_http_glue *g;
	const struct brk_scan_engine *eng;
	const char *host;
	int sdir;                       /* BRK_SCAN_EGRESS / BRK_SCAN_INGRESS */
	struct brk_scan_result *res;    /* the caller's: findings appended */
	const uint8_t *in;              /* the bytes of this feed (coverage) */
	size_t inlen;
	/* what the parts of the pending header block found themselves (the
	 * split matcher): merged after the block's own scan (hdr_flush) */
	struct brk_scan_result *held;
};

/* Body bytes v[0..n) went through the body stream: if they are fed bytes
 * as they came (not decoded), the raw scan need not see them again. */
static void cover_note(struct glue_ctx *x, const uint8_t *v, size_t n, int whole)
{
	struct brk_http_glue *g = x->g;
	size_t off;

	if (!g->cover || !n || v < x->in || v + n > x->in + x->inlen || v + n < v)
		return;
	off = (size_t)(v - x->in);
	if (g->ncv && g->cv[g->ncv - 1].off + g->cv[g->ncv - 1].len == off &&
	    g->cv[g->ncv - 1].whole == whole) {
		g->cv[g->ncv - 1].len += n;     /* adjacent: one run */
		return;
	}
	if (g->ncv == g->cvcap) {
		size_t nc = g->cvcap ? 2 * g->cvcap : 16;
		struct brk_http_cover *ncv = realloc(g->cv, nc * sizeof(*ncv));

		if (!ncv)
			return;         /* not noted: the raw scan covers it */
		g->cv = ncv;
		g->cvcap = nc;
	}
	g->cv[g->ncv].off = off;
	g->cv[g->ncv].len = n;
	g->cv[g->ncv].whole = whole;
	g->ncv++;
}

/* Append the findings of r (from one part) to the caller's result. */
static void merge(struct glue_ctx *x, const struct brk_scan_result *r, int version,
		  const char *part)
{
	struct brk_scan_result *res = x->res;
	unsigned i, j;

	if (r->blocked)
		res->blocked = 1;
	if (r->refused) {
		res->refused = 1;
		if (!res->error[0])
			snprintf(res->error, sizeof(res->error), "%s", r->error);
		if (r->rule[0] && !res->rule[0])
			snprintf(res->rule, sizeof(res->rule), "%s", r->rule);
	}
	if (r->partial && !res->partial) {
		res->partial = 1;
		res->scanned = x->g->fed;
		if (!res->error[0])
			snprintf(res->error, sizeof(res->error), "%s", r->error);
	}
	for (i = 0; i < r->nfindings; i++) {
		const struct brk_finding *f = &r->findings[i];
		bool dup = false;

		for (j = 0; j < res->nfindings && !dup; j++)
			dup = !strcmp(res->findings[j].detector, f->detector) &&
			      !strcmp(res->findings[j].redacted, f->redacted);
		if (dup)
			continue;
		if (res->nfindings >= BRK_SCAN_MAX_FINDINGS) {
			res->ndropped++;
			continue;
		}
		res->findings[res->nfindings] = *f;
		snprintf(res->findings[res->nfindings].layers,
			 sizeof(res->findings[0].layers), "http/%d:%s%s%.40s", version, part,
			 f->layers[0] ? ">" : "", f->layers);
		res->nfindings++;
	}
}

/*
 * An HPACK-decoded header, scanned as the line HTTP/1.1 would carry
 * ("name: value"): detectors anchored on the name (basic-auth needs
 * "authorization:" before "Basic ...") see it as they would in clear.
 */
static int scan_header(struct glue_ctx *x, const struct brk_http_part *p,
		       struct brk_scan_result *r)
{
	uint8_t stack[2048], *buf = stack;
	size_t n = p->name_len + 2 + p->value_len;
	int rc;

	if (n > sizeof(stack) && !(buf = malloc(n)))
		return -ENOMEM;
	memcpy(buf, p->name, p->name_len);
	memcpy(buf + p->name_len, ": ", 2);
	memcpy(buf + p->name_len + 2, p->value, p->value_len);
	rc = brk_scan_buffer_dir(x->eng, x->sdir, buf, n, x->host, r);
	explicit_bzero(buf, n);
	if (buf != stack)
		free(buf);
	return rc;
}

/*
 * HTTP/2 headers are scanned together, as the lines HTTP/1.1 would carry
 * ("name: value\r\n" each): one engine call per header block instead of
 * one per header (each call sets up a decode graph: ~9,000 instructions,
 * six or more per request). The lines wait in g->hb until a part that is
 * not an HTTP/2 header comes, or the feed ends (brk_http_glue_scan), so
 * the feed's result holds their findings. A line over HB_MAX is scanned
 * alone. Its start line ("METHOD PATH", emitted after the headers) joins
 * the block; a finding in a block is shown as "http/2:header".
 */
#define HB_MAX (16u << 10)

/* Add r's flags and findings (not yet named by part) to dst. */
static void hold(struct brk_scan_result *dst, const struct brk_scan_result *r)
{
	unsigned i, j;

	dst->blocked |= r->blocked;
	dst->refused |= r->refused;
	dst->partial |= r->partial;
	if (r->error[0] && !dst->error[0])
		snprintf(dst->error, sizeof(dst->error), "%s", r->error);
	dst->ndropped += r->ndropped;
	for (i = 0; i < r->nfindings; i++) {
		for (j = 0; j < dst->nfindings; j++)
			if (!strcmp(dst->findings[j].detector, r->findings[i].detector) &&
			    !strcmp(dst->findings[j].redacted, r->findings[i].redacted))
				break;
		if (j < dst->nfindings)
			continue;
		if (dst->nfindings >= BRK_SCAN_MAX_FINDINGS)
			dst->ndropped++;
		else
			dst->findings[dst->nfindings++] = r->findings[i];
	}
}

static void hdr_flush(struct glue_ctx *x)
{
	struct brk_http_glue *g = x->g;
	struct brk_scan_result r;
	int rc;

	if (!g->hblen)
		return;
	brk_scan_result_clear(&r);
	rc = brk_scan_buffer_dir(x->eng, x->sdir, g->hb, g->hblen, x->host, &r);
	explicit_bzero(g->hb, g->hblen);
	g->hblen = 0;
	if (rc == -ETIMEDOUT && x->sdir == BRK_SCAN_INGRESS) {
		rc = 0;             /* partial already: raw findings decide */
	} else if (rc < 0 && !r.blocked) {
		r.blocked = 1;
		r.refused = 1;
		snprintf(r.error, sizeof(r.error), "scanner error in an HTTP header");
	}
	/* the block's own findings first: a value the split matcher also
	 * saw is shown as the header it is in, as when each was scanned alone */
	hold(&r, x->held);
	brk_scan_result_clear(x->held);
	merge(x, &r, 2, "header");
}

/* 1: p's line is in g->hb (scanned at the flush); 0: scan it alone. A
 * start line ("METHOD PATH", no name) is a line of its own. */
static int hdr_add(struct glue_ctx *x, const struct brk_http_part *p)
{
	struct brk_http_glue *g = x->g;
	size_t sep = p->name_len ? 2 : 0, n = p->name_len + sep + p->value_len + 2;

	if (n > HB_MAX || p->name_len > HB_MAX || p->value_len > HB_MAX)
		return 0;
	if (g->hblen + n > HB_MAX)
		hdr_flush(x);
	if (g->hblen + n > g->hbcap) {
		size_t nc = g->hbcap ? g->hbcap : 2048;
		uint8_t *nb;

		while (nc < g->hblen + n)
			nc *= 2;
		if (!(nb = malloc(nc))) {
			hdr_flush(x);
			return 0;
		}
		if (g->hblen)
			memcpy(nb, g->hb, g->hblen);
		if (g->hb)
			explicit_bzero(g->hb, g->hbcap);
		free(g->hb);
		g->hb = nb;
		g->hbcap = nc;
	}
	if (p->name_len)
		memcpy(g->hb + g->hblen, p->name, p->name_len);
	memcpy(g->hb + g->hblen + p->name_len, ": ", sep);
	memcpy(g->hb + g->hblen + p->name_len + sep, p->value, p->value_len);
	memcpy(g->hb + g->hblen + n - 2, "\r\n", 2);
	g->hblen += n;
	return 1;
}

/* ---- request rules (policy.h "method rules") ---- */

static void req_refuse(struct glue_ctx *x, struct brk_scan_result *r, const char *rule,
		       const char *why)
{
	r->blocked = 1;
	r->refused = 1;
	snprintf(r->error, sizeof(r->error), "%.127s", why);
	snprintf(r->rule, sizeof(r->rule), "%.399s", rule);
	(void)x;
}

/* Judge the current request against host (port stripped); 0 allowed. */
static int req_judge(struct glue_ctx *x, const char *host, size_t hl,
		     struct brk_scan_result *r)
{
	struct brk_http_glue *g = x->g;
	struct brk_decision d;
	char name[256];

	if (!host || !hl || !g->req_method[0])
		return 0;
	if (host[0] == '[')
		return 0;       /* an address literal: judged by the connection's name */
	if (hl >= sizeof(name))
		hl = sizeof(name) - 1;
	memcpy(name, host, hl);
	name[hl] = '\0';
	name[strcspn(name, ":")] = '\0';
	brk_policy_check_request(g->policy, name, g->req_method, g->req_target, &d);
	if (d.verdict == BRK_ALLOW)
		return 0;
	req_refuse(x, r, d.rule, d.reason);
	return -EACCES;
}

/* Did the channel open like an HTTP/1 request ("PUT  /x", "get /")? */
static int opened_like_request(const struct brk_http_glue *g)
{
	unsigned i;

	for (i = 0; i < g->nhead && ((g->head[i] | 0x20) >= 'a' && (g->head[i] | 0x20) <= 'z'); i++)
		;
	if (i == g->nhead && g->nhead < sizeof(g->head))
		return 1;       /* too few bytes to tell: judged as one */
	return i > 0 && i < g->nhead && (g->head[i] == ' ' || g->head[i] == '\t');
}

/* A header that asks the server to take the request as another method. */
static int method_override(const struct brk_http_part *p)
{
	static const char *const names[] = {
		"x-http-method-override", "x-http-method", "x-method-override", NULL,
	};
	size_t i;

	for (i = 0; names[i]; i++)
		if (p->name_len == strlen(names[i]) &&
		    !strncasecmp((const char *)p->name, names[i], p->name_len))
			return 1;
	return 0;
}

/*
 * HTTP/1 framing a server and this parser may read differently (request
 * smuggling: a second request hidden in what the parser takes for a
 * body): both Content-Length and Transfer-Encoding, or two different
 * Content-Lengths. 1 when this header makes the message ambiguous.
 */
static int framing_ambiguous(struct brk_http_glue *g, const struct brk_http_part *p)
{
	char v[24];

	if (p->version != 1)
		return 0;
	if (p->name_len == 17 && !strncasecmp((const char *)p->name, "transfer-encoding", 17)) {
		g->req_te = 1;
		return g->req_cl[0] != '\0';
	}
	if (p->name_len != 14 || strncasecmp((const char *)p->name, "content-length", 14))
		return 0;
	snprintf(v, sizeof(v), "%.*s", (int)(p->value_len < 23 ? p->value_len : 23),
		 (const char *)p->value);
	if ((g->req_cl[0] && strcmp(g->req_cl, v)) || g->req_te)
		return 1;
	memcpy(g->req_cl, v, sizeof(v));
	return 0;
}

/*
 * DNS over HTTPS (RFC 8484 application/dns-message, the JSON APIs'
 * application/dns-json, the /dns-query path): an allowed resolver asks
 * for any name the jail puts in a query, past the session's DNS gate and
 * its encoded-name checks (a token cut into labels is no match for the
 * scanner). Without a judge (g->doh_judge) refused; with one (the relay)
 * every name such a request asks for is judged as a lookup of it
 * (doh_judge_*), and a request whose names cannot all be read is refused.
 */
#define BRK_DOH_BODY_MAX 65535
static const char doh_why[] = "DNS over HTTPS: names resolve past the session's DNS gate "
			      "(the jail's resolver answers them)";

static bool doh_header(const struct brk_http_part *p)
{
	/* dns-udpwireformat: draft-ietf-doh-dns-over-https-05's, which
	 * resolvers still take */
	static const char *const types[] = { "application/dns-message", "application/dns-json",
					     "application/dns-udpwireformat" };
	size_t i, j, tl;

	if (!(p->name_len == 6 && !strncasecmp((const char *)p->name, "accept", 6)) &&
	    !(p->name_len == 12 && !strncasecmp((const char *)p->name, "content-type", 12)))
		return false;
	for (i = 0; i < DLP_ARRAY_SIZE(types); i++) {
		tl = strlen(types[i]);
		for (j = 0; j + tl <= p->value_len; j++)
			if (!strncasecmp((const char *)p->value + j, types[i], tl))
				return true;
	}
	return false;
}

static bool doh_target(const char *t)
{
	const char *q = strstr(t, "/dns-query");

	return q && (q[10] == '\0' || q[10] == '?' || q[10] == '/' || q[10] == '#');
}

/* Percent-decode at most cap-1 bytes of s[0..n) into dst (a server reads
 * "n%61me" as "name"); returns the length written. */
static size_t pct_small(const uint8_t *s, size_t n, char *dst, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 1 < cap; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit(s[i + 1]) && isxdigit(s[i + 2])) {
			char h[3] = { (char)s[i + 1], (char)s[i + 2], 0 };

			dst[o++] = (char)strtol(h, NULL, 16);
			i += 2;
		} else {
			dst[o++] = (char)s[i];
		}
	}
	dst[o] = '\0';
	return o;
}

/* A dns= value whose first 16 base64url characters decode to a DNS query
 * header: QR 0, opcode QUERY, one question, no answers (RFC 8484 GET). */
static bool doh_message(const uint8_t *v, size_t n)
{
	char b[24];
	unsigned char h[16];
	size_t i, l = pct_small(v, n, b, 17);

	if (l < 16)
		return false;
	for (i = 0; i < 16; i++)
		b[i] = b[i] == '-' ? '+' : b[i] == '_' ? '/' : b[i];
	if (EVP_DecodeBlock(h, (const unsigned char *)b, 16) != 12)
		return false;
	return !(h[2] & 0xf8) && h[4] == 0 && h[5] == 1 && !h[6] && !h[7] && !h[8] && !h[9];
}

/* A type= value a resolver takes: a record type's mnemonic or number. */
static bool doh_rrtype(const char *v)
{
	static const char *const rr[] = { "a", "aaaa", "txt", "cname", "mx", "ns", "soa",
		"ptr", "srv", "any", "caa", "https", "svcb", "ds", "dnskey", "null", "naptr",
		"hinfo", "rrsig", "nsec", "tlsa", "spf", "loc", "sshfp", "uri", "*" };
	size_t i;

	if (*v && strspn(v, "0123456789") == strlen(v))
		return atol(v) > 0 && atol(v) < 65536;
	for (i = 0; i < DLP_ARRAY_SIZE(rr); i++)
		if (!strcasecmp(v, rr[i]))
			return true;
	return false;
}

/*
 * A request target shaped like DNS over HTTPS on any path: a dns= parameter
 * holding a DNS query message, or a name= parameter with a record type=
 * (the JSON APIs: Google's /resolve, Cloudflare's, NextDNS', AdGuard's), or
 * name= on a path ending in /resolve. The whole target is read (the first
 * kilobyte is what req_target keeps). "?name=alice" and "?type=user" stay
 * ordinary query strings.
 */
static bool doh_query(const uint8_t *t, size_t n)
{
	const uint8_t *q = memchr(t, '?', n), *e = t + n, *k, *amp, *eq;
	bool name = false, type = false, resolve;
	char key[16], val[16];
	size_t pl;

	for (pl = 0; pl < n && t[pl] != ' ' && t[pl] != '#'; pl++)
		;
	e = t + pl;             /* HTTP/1: " HTTP/1.1" follows the target */
	if (!q || q >= e)
		return false;
	for (pl = (size_t)(q - t); pl && t[pl - 1] == '/'; pl--)
		;
	resolve = pl >= 8 && !strncasecmp((const char *)t + pl - 8, "/resolve", 8);
	for (k = q + 1; k < e; k = amp + 1) {
		amp = memchr(k, '&', (size_t)(e - k));
		if (!amp)
			amp = e;
		eq = memchr(k, '=', (size_t)(amp - k));
		if (!eq)
			continue;
		pct_small(k, (size_t)(eq - k), key, sizeof(key));
		if (!strcasecmp(key, "dns") && doh_message(eq + 1, (size_t)(amp - eq - 1)))
			return true;
		if (!strcasecmp(key, "name") && amp > eq + 1)
			name = true;
		if (!strcasecmp(key, "type")) {
			pct_small(eq + 1, (size_t)(amp - eq - 1), val, sizeof(val));
			type = type || doh_rrtype(val);
		}
	}
	return name && (type || resolve);
}

/* A record type= value as a number (doh_rrtype's mnemonics; 1 for A when
 * absent or unknown: the judgement is the name's). */
static uint16_t doh_qtype(const char *v)
{
	static const struct { const char *n; uint16_t t; } rr[] = {
		{ "a", 1 }, { "ns", 2 }, { "cname", 5 }, { "soa", 6 }, { "null", 10 },
		{ "ptr", 12 }, { "hinfo", 13 }, { "mx", 15 }, { "txt", 16 }, { "aaaa", 28 },
		{ "srv", 33 }, { "naptr", 35 }, { "https", 65 }, { "svcb", 64 }, { "any", 255 },
	};
	size_t i;

	if (*v && strspn(v, "0123456789") == strlen(v) && atol(v) > 0 && atol(v) < 65536)
		return (uint16_t)atol(v);
	for (i = 0; i < DLP_ARRAY_SIZE(rr); i++)
		if (!strcasecmp(v, rr[i].n))
			return rr[i].t;
	return 1;
}

/* A name the judge refused: the request too, saying it was DoH. */
static int doh_refuse(struct glue_ctx *x, struct brk_scan_result *r, const char *why)
{
	char line[sizeof(r->error)];

	snprintf(line, sizeof(line), "DNS over HTTPS: %.100s", why);
	req_refuse(x, r, "dns over https", line);
	return -EACCES;
}

/* One DNS query message (a dns= value decoded, a POST body): its name
 * judged. 0 or -EACCES (r says why). */
static int doh_judge_msg(struct glue_ctx *x, const uint8_t *m, size_t n,
			 struct brk_scan_result *r)
{
	struct brk_dns_query q;
	char why[sizeof(r->error)];

	if (brk_dns_query_parse(m, n, &q) < 0) {
		req_refuse(x, r, "dns over https", "DNS over HTTPS: a message that is not a "
			   "plain DNS query");
		return -EACCES;
	}
	if (x->g->doh_judge(x->g->doh_arg, q.name, q.qtype, why, sizeof(why)) == 0)
		return 0;
	return doh_refuse(x, r, why);
}

/* A dns= value (base64url, maybe percent-encoded): decoded and judged. */
static int doh_judge_b64(struct glue_ctx *x, const uint8_t *v, size_t n,
			 struct brk_scan_result *r)
{
	char *b = malloc(n + 4);
	uint8_t *m = malloc(n + 4);
	size_t i, l;
	int len, rc = -EACCES;

	if (!b || !m) {
		req_refuse(x, r, "dns over https", "out of memory for a DNS-over-HTTPS query");
		goto out;
	}
	l = pct_small(v, n, b, n + 1);
	for (i = 0; i < l; i++)
		b[i] = b[i] == '-' ? '+' : b[i] == '_' ? '/' : b[i];
	while (l % 4)
		b[l++] = '=';   /* RFC 8484: unpadded */
	len = EVP_DecodeBlock(m, (const unsigned char *)b, (int)l);
	if (len < 0) {
		req_refuse(x, r, "dns over https", "DNS over HTTPS: a dns= value that is not "
			   "base64url");
		goto out;
	}
	/* EVP_DecodeBlock counts the padding's zero bytes */
	for (i = 0; i < 2 && l > i && b[l - 1 - i] == '='; i++)
		len--;
	rc = doh_judge_msg(x, m, (size_t)len, r);
out:
	free(b);
	free(m);
	return rc;
}

/*
 * Every name a DoH request target asks for (dns= messages, name= with
 * type=) judged; any= true: a name= counts without a type (an Accept
 * header asked for DNS JSON). 0 or -EACCES.
 */
static int doh_judge_target(struct glue_ctx *x, const uint8_t *t, size_t n,
			    struct brk_scan_result *r)
{
	const uint8_t *q = memchr(t, '?', n), *e, *k, *amp, *eq;
	char key[16], val[16], name[1100];
	uint16_t qtype = 1;
	size_t pl;
	bool named = false;

	for (pl = 0; pl < n && t[pl] != ' ' && t[pl] != '#'; pl++)
		;
	e = t + pl;
	name[0] = '\0';
	for (k = q ? q + 1 : e; k < e; k = amp + 1) {
		amp = memchr(k, '&', (size_t)(e - k));
		if (!amp)
			amp = e;
		eq = memchr(k, '=', (size_t)(amp - k));
		if (!eq)
			continue;
		pct_small(k, (size_t)(eq - k), key, sizeof(key));
		if (!strcasecmp(key, "dns") && doh_judge_b64(x, eq + 1, (size_t)(amp - eq - 1), r) < 0)
			return -EACCES;
		if (!strcasecmp(key, "name")) {
			if (named) {
				req_refuse(x, r, "dns over https", "DNS over HTTPS: two name= "
					   "parameters in one request");
				return -EACCES;
			}
			named = true;
			pct_small(eq + 1, (size_t)(amp - eq - 1), name, sizeof(name));
		}
		if (!strcasecmp(key, "type")) {
			pct_small(eq + 1, (size_t)(amp - eq - 1), val, sizeof(val));
			qtype = doh_qtype(val);
		}
	}
	if (named && name[0]) {
		char why[sizeof(r->error)];
		size_t nl = strlen(name);

		if (nl > 1 && name[nl - 1] == '.')
			name[nl - 1] = '\0';   /* "example.com." is the same name */
		if (x->g->doh_judge(x->g->doh_arg, name, qtype, why, sizeof(why)) != 0)
			return doh_refuse(x, r, why);
	}
	return 0;
}

/* A DoH POST's body (application/dns-message): judged once it parses
 * whole (a resolver acts on the whole message only); r set on refusal. */
static int doh_judge_body(struct glue_ctx *x, const struct brk_http_part *p,
			  struct brk_scan_result *r)
{
	struct brk_http_glue *g = x->g;
	struct brk_dns_query q;

	if (g->doh_body == 2 && p->value_len && !p->encoding) {
		req_refuse(x, r, "dns over https", "DNS over HTTPS: bytes after the DNS message "
			   "in its body");
		return -EACCES;
	}
	if (g->doh_body != 1 || p->encoding)
		return 0;       /* a coded body: its decoded parts come too */
	if (!g->doh_msg && !(g->doh_msg = malloc(BRK_DOH_BODY_MAX))) {
		req_refuse(x, r, "dns over https", "out of memory for a DNS-over-HTTPS body");
		return -EACCES;
	}
	if (g->ndoh_msg + p->value_len > BRK_DOH_BODY_MAX) {
		req_refuse(x, r, "dns over https", "DNS over HTTPS: a body larger than a DNS "
			   "message");
		return -EACCES;
	}
	memcpy(g->doh_msg + g->ndoh_msg, p->value, p->value_len);
	g->ndoh_msg += p->value_len;
	if (brk_dns_query_parse(g->doh_msg, g->ndoh_msg, &q) < 0)
		return 0;       /* not whole yet: judged at its end (MSG_END) */
	g->doh_body = 2;
	return doh_judge_msg(x, g->doh_msg, g->ndoh_msg, r);
}

/* The authority of an absolute-form target ("http://h:80/x" -> "h:80"). */
static size_t target_authority(const char *t, const char **a)
{
	const char *s = strstr(t, "://");

	if (strncasecmp(t, "http://", 7) && strncasecmp(t, "https://", 8))
		return 0;
	*a = s + 3;
	return strcspn(*a, "/?#");
}

/*
 * A proxy request: CONNECT HOST:PORT, or an absolute-form target naming
 * another host than the connection's. The proxy connects where the request
 * says, so the destination is judged as a connect of the jail's would be
 * (a name by the resolve rules, an address literal by the address rules):
 * an allowed proxy is no way to every host. 0 allowed, -EACCES refused.
 */
static int req_proxy(struct glue_ctx *x, const char *auth, size_t al, const char *what,
		     struct brk_scan_result *r)
{
	struct brk_http_glue *g = x->g;
	struct brk_decision d;
	struct brk_addr a;
	char name[256], why[sizeof(r->error)];
	const char *h = auth;
	size_t hl;

	if (!al)
		return 0;
	if (h[0] == '[') {
		const char *e = memchr(h, ']', al);

		h++;
		hl = e ? (size_t)(e - h) : al - 1;
	} else {
		for (hl = 0; hl < al && h[hl] != ':'; hl++)
			;
	}
	if (hl >= sizeof(name))
		hl = sizeof(name) - 1;
	memcpy(name, h, hl);
	name[hl] = '\0';
	if (x->host && !strcasecmp(name, x->host))
		return 0;       /* the connection's own destination */
	if (brk_addr_parse(name, &a) == 0)
		brk_policy_check_addr(g->policy, &a, false, &d);
	else
		brk_policy_check_host(g->policy, name, &d);
	if (d.verdict == BRK_ALLOW)
		return 0;
	snprintf(why, sizeof(why), "%s names a destination the policy does not allow", what);
	req_refuse(x, r, d.rule[0] ? d.rule : "proxy target", why);
	return -EACCES;
}

/*
 * What the method rules say about this part (egress only). Returns 0 to
 * go on scanning it, 1 when r now says refused.
 */
static int req_check(struct glue_ctx *x, const struct brk_http_part *p,
		     struct brk_scan_result *r)
{
	struct brk_http_glue *g = x->g;
	const uint8_t *sp;
	size_t n;

	switch (p->kind) {
	case BRK_HTTP_START_LINE:
		/* "METHOD TARGET HTTP/1.1" or HTTP/2's "METHOD PATH" */
		sp = memchr(p->value, ' ', p->value_len);
		n = sp ? (size_t)(sp - p->value) : p->value_len;
		snprintf(g->req_method, sizeof(g->req_method), "%.*s",
			 (int)(n < sizeof(g->req_method) - 1 ? n : sizeof(g->req_method) - 1),
			 (const char *)p->value);
		g->req_target[0] = '\0';
		g->req_target_cut = false;
		g->req_cl[0] = '\0';
		g->req_te = 0;
		if (sp) {
			const uint8_t *t = sp + 1, *e = p->value + p->value_len;
			const uint8_t *sp2 = memchr(t, ' ', (size_t)(e - t));

			n = (size_t)((sp2 ? sp2 : e) - t);
			g->req_target_cut = n >= sizeof(g->req_target);
			if (g->req_target_cut)
				n = sizeof(g->req_target) - 1;
			memcpy(g->req_target, t, n);
			g->req_target[n] = '\0';
		}
		g->doh_body = g->doh_target = 0;
		g->ndoh_msg = 0;
		if (doh_target(g->req_target) ||
		    (sp && doh_query(sp + 1, (size_t)(p->value + p->value_len - sp - 1)))) {
			if (!g->doh_judge) {
				req_refuse(x, r, "dns over https", doh_why);
				return 1;
			}
			if (doh_judge_target(x, sp + 1,
					     (size_t)(p->value + p->value_len - sp - 1), r) < 0)
				return 1;
			g->doh_target = 1;      /* judged: once (the DNS budgets) */
		}
		{
			const char *a = NULL;
			size_t al = target_authority(g->req_target, &a);

			if (req_judge(x, x->host, x->host ? strlen(x->host) : 0, r) < 0 ||
			    req_judge(x, g->req_authority, strlen(g->req_authority), r) < 0 ||
			    (al && req_judge(x, a, al, r) < 0))
				return 1;
			if (!strcasecmp(g->req_method, "CONNECT")) {
				a = g->req_target[0] ? g->req_target : g->req_authority;
				al = strcspn(a, "/?#");
				/* the relay reads a tunnel opened by the first request
				 * only (relay_scan.c rl_tunnel_head): one opened
				 * later would carry its bytes through unread */
				/* an HTTP/2 CONNECT (RFC 9113 8.5, RFC 8441's extended
				 * one: a WebSocket) is a tunnel inside one stream, and
				 * no layer reads its DATA as what it is (TLS, masked
				 * frames): refused (redteam-egress2, t/e2e/382) */
				if (p->version != 1) {
					req_refuse(x, r, "proxy tunnel", "an HTTP/2 CONNECT stream: "
						   "the relay does not read tunnels inside HTTP/2 "
						   "(speak HTTP/1.1 to the proxy: curl without "
						   "--proxy-http2)");
					return 1;
				}
				if (g->req_n++ && p->version == 1) {
					req_refuse(x, r, "proxy tunnel", "a CONNECT after another "
						   "request on the connection: its tunnel "
						   "could not be inspected");
					return 1;
				}
			} else {
				g->req_n++;
			}
			if (req_proxy(x, a, al, strcasecmp(g->req_method, "CONNECT") ?
				      "a proxy request (absolute form)" : "a proxy request (CONNECT)",
				      r) < 0)
				return 1;
		}
		return 0;
	case BRK_HTTP_HEADER:
		if (p->name_len == 10 && !strncasecmp((const char *)p->name, ":authority", 10)) {
			snprintf(g->req_authority, sizeof(g->req_authority), "%.*s",
				 (int)(p->value_len < 255 ? p->value_len : 255),
				 (const char *)p->value);
			/* a front (CDN) routes by it: a destination like a connect's */
			return g->front && x->host &&
			       req_proxy(x, g->req_authority, strlen(g->req_authority),
					 "the :authority (domain fronting)", r) < 0;
		}
		if (p->version == 1 && p->name_len == 4 &&
		    !strncasecmp((const char *)p->name, "host", 4))
			return req_judge(x, (const char *)p->value, p->value_len, r) < 0 ||
			       (g->front && x->host &&
				req_proxy(x, (const char *)p->value, p->value_len,
					  "the Host header (domain fronting)", r) < 0);
		if (doh_header(p)) {
			if (!g->doh_judge) {
				req_refuse(x, r, "dns over https", doh_why);
				return 1;
			}
			/* a body that is a DNS message (POST), or a name= a JSON API
			 * takes without type= on any path */
			if (p->name_len == 12)
				g->doh_body = g->doh_body ? g->doh_body : 1;
			else if (!g->doh_target && g->req_target_cut) {
				/* its name= may lie past what req_target kept
				 * (egress-gaps5, t/e2e/427): no DoH client's target
				 * is that long */
				req_refuse(x, r, "dns over https", "DNS over HTTPS: a request "
					   "target over 1 KiB with an Accept header asking for "
					   "DNS (its names cannot all be read)");
				return 1;
			} else if (!g->doh_target && (g->doh_target = 1) &&
				 doh_judge_target(x, (const uint8_t *)g->req_target,
						  strlen(g->req_target), r) < 0)
				return 1;
			return 0;
		}
		if (method_override(p) && g->req_method[0]) {
			/* judged as the method it asks for, too */
			char m[sizeof(g->req_method)];
			int refused;

			memcpy(m, g->req_method, sizeof(m));
			snprintf(g->req_method, sizeof(g->req_method), "%.*s",
				 (int)(p->value_len < sizeof(m) - 1 ? p->value_len : sizeof(m) - 1),
				 (const char *)p->value);
			refused = req_judge(x, x->host, x->host ? strlen(x->host) : 0, r) < 0;
			memcpy(g->req_method, m, sizeof(m));
			return refused;
		}
		if (framing_ambiguous(g, p) && brk_policy_host_restricted(g->policy, x->host)) {
			req_refuse(x, r, "method rules", "an HTTP/1 request with ambiguous framing "
				   "(Content-Length with Transfer-Encoding, or two lengths) to a "
				   "host that takes only the requests its method rules allow");
			return 1;
		}
		return 0;
	case BRK_HTTP_BODY:
		return doh_judge_body(x, p, r) < 0;
	case BRK_HTTP_MSG_END:
		if (g->doh_body == 1) {
			req_refuse(x, r, "dns over https", "DNS over HTTPS: a body that is not a "
				   "plain DNS query");
			return 1;
		}
		g->doh_body = g->doh_target = 0;
		g->ndoh_msg = 0;
		g->req_method[0] = g->req_target[0] = g->req_authority[0] = '\0';
		g->req_target_cut = false;
		g->req_cl[0] = '\0';
		g->req_te = 0;
		return 0;
	case BRK_HTTP_RAW:
		if (!opened_like_request(g) || !brk_policy_host_restricted(g->policy, x->host))
			return 0;
		req_refuse(x, r, "method rules",
			   "bytes that are not HTTP to a host that takes only the requests its "
			   "method rules allow");
		return 1;
	default:
		return 0;
	}
}

/* "Set-Cookie: name=value; attrs": the value is the host's own (scan.h). */
static void learn_cookie(struct glue_ctx *x, const struct brk_http_part *p)
{
	const uint8_t *eq, *v, *e;

	if (!x->host || p->name_len != 10 || strncasecmp((const char *)p->name, "set-cookie", 10))
		return;
	eq = memchr(p->value, '=', p->value_len);
	if (!eq)
		return;
	v = eq + 1;
	e = memchr(v, ';', (size_t)(p->value + p->value_len - v));
	if (!e)
		e = p->value + p->value_len;
	while (e > v && (e[-1] == ' ' || e[-1] == '\r'))
		e--;
	if (e - v >= 2 && v[0] == '"' && e[-1] == '"') {
		v++;
		e--;
	}
	brk_scan_cookie_learn(x->eng, x->host, v, (size_t)(e - v));
}

/*
 * An HTTP/2 request's values for the split matcher (scan.h), as split.c
 * reads an HTTP/1 request's from the raw bytes (it cannot read HPACK or
 * DATA frames): each header (":path" with its query, cookie crumbs) and
 * query parameter in a stream named by it, the body in "h2body". A known
 * secret cut over many h2 requests on one connection, or many
 * connections, is one run there. Cookie values (HTTP/1 too: whole lines
 * here, however the writes cut them) go as "cookie": split.c takes them
 * pair by pair.
 */
/* h2 headers whose values the sender does not choose byte by byte (as
 * split.c's boring_header(), plus the pseudo-headers but :path) */
static int split_boring(const struct brk_http_part *p)
{
	static const char *const skip[] = {
		":method", ":scheme", ":authority", "content-length", "user-agent", "accept",
		"accept-encoding", "accept-language", "content-type", "te", NULL,
	};
	size_t i;

	for (i = 0; skip[i]; i++)
		if (strlen(skip[i]) == p->name_len && !strncasecmp((const char *)p->name, skip[i], p->name_len))
			return 1;
	return 0;
}

static int split_values(struct glue_ctx *x, const struct brk_http_part *p, struct brk_scan_result *r)
{
	char field[40];
	size_t i, o;

	if (x->sdir != BRK_SCAN_EGRESS || r->blocked || !p->value_len)
		return 0;
	if (p->version != 2 && !(p->kind == BRK_HTTP_HEADER && p->name_len == 6 &&
				 !strncasecmp((const char *)p->name, "cookie", 6)))
		return 0;       /* HTTP/1: split.c reads the raw bytes; cookies here */
	switch (p->kind) {
	case BRK_HTTP_HEADER:
	case BRK_HTTP_QUERY:
		if (p->kind == BRK_HTTP_HEADER && split_boring(p))
			return 0;
		if (p->kind == BRK_HTTP_HEADER && p->name_len == 6 &&
		    !strncasecmp((const char *)p->name, "cookie", 6)) {
			snprintf(field, sizeof(field), "cookie");   /* split.c: its pairs */
			break;
		}
		/* named as split.c names fields: digits dropped (p1=, p2= are one) */
		o = (size_t)snprintf(field, sizeof(field), "%s", p->kind == BRK_HTTP_QUERY ? "q2:" : "h2:");
		for (i = 0; i < p->name_len && o + 1 < sizeof(field); i++)
			if (p->name[i] < '0' || p->name[i] > '9')
				field[o++] = (char)tolower(p->name[i]);
		field[o] = '\0';
		break;
	case BRK_HTTP_BODY:
		if (p->encoding)
			return 0;       /* still coded: its decoded parts come too */
		snprintf(field, sizeof(field), "h2body");
		break;
	default:
		return 0;
	}
	return brk_scan_split_feed_value(x->eng, x->host, field, p->value, p->value_len, r);
}

/* The body stream of p's message: HTTP/2 streams apart (a slot per
 * stream id, create: take a free one), else, and past the slots, body. */
static struct brk_scan_stream **body_for(struct brk_http_glue *g, const struct brk_http_part *p,
					 int create)
{
	size_t i;

	if (p->version != 2 || !p->stream_id)
		return &g->body;
	for (i = 0; i < BRK_HTTP_GLUE_H2_BODIES; i++)
		if (g->h2sid[i] == p->stream_id)
			return &g->h2b[i];
	if (!create)
		return NULL;
	for (i = 0; i < BRK_HTTP_GLUE_H2_BODIES; i++)
		if (!g->h2sid[i]) {
			g->h2sid[i] = p->stream_id;
			return &g->h2b[i];
		}
	return &g->body;
}

/* Compressed data at the start of a body: gzip, zstd, xz (what a
 * registry serves: .tgz, .tar.zst, .tar.xz). Not zip: its members are
 * often stored as they are. */
static int coded_magic(const uint8_t *v, size_t n)
{
	static const uint8_t gz[] = { 0x1f, 0x8b, 0x08 }, zst[] = { 0x28, 0xb5, 0x2f, 0xfd },
			     xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0x00 };

	return (n >= sizeof(gz) && !memcmp(v, gz, sizeof(gz))) ||
	       (n >= sizeof(zst) && !memcmp(v, zst, sizeof(zst))) ||
	       (n >= sizeof(xz) && !memcmp(v, xz, sizeof(xz)));
}

/* A received HTTP/1.x body part past the first BRK_HTTP_IN_CODED bytes of
 * a body that is still compressed as it is passed (http_glue.h): 1 if it
 * is not to be matched (covered for the raw scan, r says partial). */
static int in_coded_skip(struct glue_ctx *x, const struct brk_http_part *p,
			 struct brk_scan_result *r)
{
	struct brk_http_glue *g = x->g;
	unsigned long long at = g->in_body;

	if (x->sdir != BRK_SCAN_INGRESS || p->version != 1 || !p->value_len)
		return 0;
	g->in_body += p->value_len;
	if (at == 0)
		g->in_coded = !p->encoding && coded_magic(p->value, p->value_len);
	/* still coded past the inbound bound (after BRK_HTTP_IN_DECODED
	 * decoded bytes), or compressed as served */
	if (!(p->encoding ? at >= BRK_HTTP_IN_DECODED : g->in_coded && at >= BRK_HTTP_IN_CODED))
		return 0;
	cover_note(x, p->value, p->value_len, 1);
	r->partial = 1;
	snprintf(r->error, sizeof(r->error), "inbound compressed body past its first 64 KiB: "
		 "passed as it is, not matched");
	return 1;
}

static int on_part(void *arg, const struct brk_http_part *p)
{
	struct glue_ctx *x = arg;
	struct brk_scan_stream **bs;
	struct brk_scan_result r;
	int rc = 0, held = 0;

	brk_scan_result_clear(&r);
	if (p->kind == BRK_HTTP_START_LINE && p->version == 1)
		x->g->in_body = x->g->in_coded = 0;     /* a new message */
	if (x->g->hblen && !(p->version == 2 && (p->kind == BRK_HTTP_HEADER ||
						 p->kind == BRK_HTTP_START_LINE)))
		hdr_flush(x);   /* the header block ended */
	if (x->sdir == BRK_SCAN_INGRESS && p->kind == BRK_HTTP_HEADER)
		learn_cookie(x, p);
	if (p->version == 1 && p->kind == BRK_HTTP_HEADER && (rc = split_values(x, p, &r)) == 0 &&
	    r.blocked) {
		merge(x, &r, p->version, brk_http_part_name(p->kind));
		return 0;
	}
	if (x->g->policy && x->sdir == BRK_SCAN_EGRESS && req_check(x, p, &r)) {
		merge(x, &r, p->version, brk_http_part_name(p->kind));
		return 0;
	}
	switch (p->kind) {
	case BRK_HTTP_HEADER:
		if (!p->transformed)
			return 0;       /* the raw stream saw exactly these bytes */
		if (p->name_len && p->value_len) {
			if (p->version == 2 && hdr_add(x, p))
				held = 1;       /* scanned with its block */
			else
				rc = scan_header(x, p, &r);
			break;
		}
		/* fall through */
	case BRK_HTTP_START_LINE:
	case BRK_HTTP_QUERY:
		if (!p->transformed)
			return 0;       /* the raw stream saw exactly these bytes */
		if (p->kind == BRK_HTTP_START_LINE && p->version == 2 && !p->name_len &&
		    p->value_len && hdr_add(x, p)) {
			held = 1;       /* HTTP/2's "METHOD PATH": a line of its block */
			break;
		}
		if (p->name_len)
			rc = brk_scan_buffer_dir(x->eng, x->sdir, p->name, p->name_len, x->host, &r);
		if (rc == 0 && !r.nfindings && p->value_len)
			rc = brk_scan_buffer_dir(x->eng, x->sdir, p->value, p->value_len, x->host,
						 &r);
		break;
	case BRK_HTTP_BODY:
		if (in_coded_skip(x, p, &r))
			break;          /* compressed, past its first 64 KiB */
		if (!p->transformed || p->encoding)
			return 0;       /* as on the wire (or still coded): raw scan covers it */
		bs = body_for(x->g, p, 1);
		if (!*bs && brk_scan_stream_open_dir(x->eng, x->sdir, bs) < 0)
			return 0;
		/* inbound: the declared encodings are undone; decode text only */
		brk_scan_stream_set_light(*bs, 1);
		rc = brk_scan_stream_feed(*bs, p->value, p->value_len, x->host, &r);
		if (rc == 0)
			cover_note(x, p->value, p->value_len, 0);
		/* a WebSocket payload joins the split matcher's "ws" stream (a
		 * secret cut over frames on many connections): the raw bytes the
		 * relay gives it are masked */
		if (rc == 0 && p->ws && x->sdir == BRK_SCAN_EGRESS && !r.blocked)
			rc = brk_scan_split_feed_value(x->eng, x->host, "ws", p->value, p->value_len, &r);
		break;
	case BRK_HTTP_MSG_END:
		x->g->in_body = 0;
		x->g->in_coded = 0;
		bs = body_for(x->g, p, 0);
		if (!bs)
			bs = &x->g->body;       /* no body of its own (or past the slots) */
		else if (bs != &x->g->body)
			x->g->h2sid[bs - x->g->h2b] = 0;   /* the slot is free again */
		if (*bs) {
			rc = brk_scan_stream_feed(*bs, NULL, 0, x->host, &r);
			/* kept for the next message: no stream setup per request */
			if (brk_scan_stream_reset(*bs) < 0) {
				brk_scan_stream_close(*bs);
				*bs = NULL;
			}
		}
		break;
	case BRK_HTTP_ANOMALY:
		/* a body we could not decode cannot be judged: egress fails
		 * closed; ingress goes on matched raw (the encoded bytes) */
		if (!strncmp((const char *)p->value, "decoded body", 12) ||
		    !strncmp((const char *)p->value, "body does not", 13) ||
		    !strncmp((const char *)p->value, "ambiguous framing", 17)) {
			if (x->sdir == BRK_SCAN_INGRESS) {
				r.partial = 1;
			} else {
				r.blocked = 1;
				r.refused = 1;
			}
			snprintf(r.error, sizeof(r.error), "%.*s", (int)p->value_len,
				 (const char *)p->value);
		}
		break;
	case BRK_HTTP_RAW:
		return 0;           /* the caller scanned the raw bytes already */
	}
	if (rc == 0 && p->version == 2)
		rc = split_values(x, p, &r);
	if (rc == -ETIMEDOUT && x->sdir == BRK_SCAN_INGRESS) {
		rc = 0;             /* partial already: raw findings decide */
	} else if (rc < 0 && !r.blocked) {
		r.blocked = 1;
		r.refused = 1;
		snprintf(r.error, sizeof(r.error), "scanner error in an HTTP %s",
			 brk_http_part_name(p->kind));
	}
	if (held && x->g->hblen)
		hold(x->held, &r);      /* after its block's scan (hdr_flush) */
	else
		merge(x, &r, p->version, brk_http_part_name(p->kind));
	return 0;               /* keep going: monitor mode lets the bytes through */
}

/* New parser state, same connection: what h_data counts is kept. */
static void glue_restart(struct brk_http_glue *g, int broken)
{
	unsigned long long fed = g->fed;
	int said = g->partial_said;
	const struct brk_policy *pol = g->policy;
	int cover = g->cover;

	brk_http_glue_free(g);
	g->broken = broken;
	g->fed = fed;
	g->partial_said = said;
	g->policy = pol;
	g->cover = cover;
}

int brk_http_glue_scan(struct brk_http_glue *g, const struct brk_scan_engine *eng,
		       uint32_t chan, uint32_t dir, const uint8_t *p, size_t len,
		       const char *dest_host, struct brk_scan_result *res)
{
	struct brk_scan_result held;    /* not zeroed: cleared (scan.h) */
	struct glue_ctx x = { .g = g, .eng = eng, .host = dest_host, .res = res,
			      .sdir = dir == DLP_DIR_RECV ? BRK_SCAN_INGRESS : BRK_SCAN_EGRESS,
			      .in = p, .inlen = len, .held = &held };
	int rc;

	brk_scan_result_clear(&held);

	g->ncv = 0;
	g->at_end = 0;

	if (g->broken) {
		/* no parser, no judging of requests: a restricted host gets none */
		if (g->policy && x.sdir == BRK_SCAN_EGRESS && len &&
		    brk_policy_host_restricted(g->policy, dest_host)) {
			struct brk_scan_result r;

			memset(&r, 0, sizeof(r));
			req_refuse(&x, &r, "method rules", "the HTTP parser of this connection "
				   "failed: no request to a restricted host can be judged");
			merge(&x, &r, 1, "raw");
		}
		return 0;
	}
	if (g->hs && g->chan != chan)
		glue_restart(g, 0);
	if (!g->hs) {
		rc = brk_http_stream_new(dir == DLP_DIR_RECV ? BRK_HTTP_RESPONSE : BRK_HTTP_REQUEST,
					 on_part, NULL, &g->hs);
		if (rc < 0) {
			g->broken = 1;
			return rc;
		}
		if (dir == DLP_DIR_RECV)
			brk_http_stream_set_decode_cap(g->hs, BRK_HTTP_IN_DECODED);
		g->chan = chan;
		g->nhead = 0;
	}
	if (g->nhead < sizeof(g->head) && len) {
		size_t k = sizeof(g->head) - g->nhead < len ? sizeof(g->head) - g->nhead : len;

		memcpy(g->head + g->nhead, p, k);
		g->nhead += (unsigned)k;
	}
	brk_http_stream_set_arg(g->hs, &x);
	rc = brk_http_feed(g->hs, p, len);
	hdr_flush(&x);          /* the feed's headers are in its result */
	g->at_end = rc >= 0 && len && g->hs && brk_http_between(g->hs);
	g->fed += len;
	if (g->hs)
		brk_http_stream_set_arg(g->hs, NULL);
	if (rc < 0)
		glue_restart(g, 1);
	return rc;
}

int brk_http_glue_decoding(const struct brk_http_glue *g)
{
	return g->hs && !g->broken && brk_http_decoding(g->hs);
}

int brk_http_glue_rest(struct brk_http_glue *g, const uint8_t *p, size_t len,
		       const uint8_t **out, size_t *outlen)
{
	const size_t k = BRK_HTTP_GLUE_CTX;
	size_t i, at = 0, o = 0, cut = 0;

	*out = p;
	*outlen = len;
	for (i = 0; i < g->ncv; i++)
		cut += g->cv[i].whole || g->cv[i].len > 2 * k + 1;
	if (!cut)
		return 0;
	if (g->restcap < len) {
		uint8_t *nb = malloc(len);

		if (!nb)
			return -ENOMEM;
		if (g->rest)
			explicit_bzero(g->rest, g->restcap);
		free(g->rest);
		g->rest = nb;
		g->restcap = len;
	}
	for (i = 0; i < g->ncv; i++) {
		const struct brk_http_cover *c = &g->cv[i];
		size_t kc = c->whole ? 0 : k;   /* context kept at each end */

		if ((!c->whole && c->len <= 2 * k + 1) || c->off < at || c->off + c->len > len)
			continue;
		memcpy(g->rest + o, p + at, c->off + kc - at);
		o += c->off + kc - at;
		g->rest[o++] = '\n';
		at = c->off + c->len - kc;
	}
	memcpy(g->rest + o, p + at, len - at);
	o += len - at;
	*out = g->rest;
	*outlen = o;
	return 0;
}

/* Append what the raw scan found (rr) to the HTTP layer's result. */
static void merge_raw(struct brk_scan_result *res, const struct brk_scan_result *rr)
{
	unsigned i, j;

	res->blocked |= rr->blocked;
	if (rr->refused && !res->refused) {
		res->refused = 1;
		snprintf(res->error, sizeof(res->error), "%s", rr->error);
		snprintf(res->rule, sizeof(res->rule), "%s", rr->rule);
	}
	if (rr->partial && !res->partial) {
		res->partial = 1;
		res->scanned = rr->scanned;
		if (!res->error[0])
			snprintf(res->error, sizeof(res->error), "%s", rr->error);
	}
	if (rr->note[0] && !res->note[0])
		snprintf(res->note, sizeof(res->note), "%s", rr->note);
	res->ndropped += rr->ndropped;
	for (i = 0; i < rr->nfindings; i++) {
		bool dup = false;

		for (j = 0; j < res->nfindings && !dup; j++)
			dup = !strcmp(res->findings[j].detector, rr->findings[i].detector) &&
			      !strcmp(res->findings[j].redacted, rr->findings[i].redacted);
		if (dup)
			continue;
		if (res->nfindings < BRK_SCAN_MAX_FINDINGS)
			res->findings[res->nfindings++] = rr->findings[i];
		else
			res->ndropped++;
	}
}

int brk_http_glue_raw(struct brk_http_glue *g, struct brk_scan_stream *raw, const uint8_t *p,
		      size_t len, const char *dest_host, struct brk_scan_result *res,
		      bool *partial, unsigned long long *scanned, char *why, size_t whycap)
{
	struct brk_scan_result rr;
	const uint8_t *rp = p;
	size_t rn = len;
	int rc;

	if (g && len && brk_http_glue_rest(g, p, len, &rp, &rn) < 0) {
		rp = p;
		rn = len;
	}
	rc = brk_scan_stream_feed(raw, rn ? rp : NULL, rn, dest_host, &rr);
	if (g && len && g->at_end && rc >= 0)
		brk_scan_stream_mark_end(raw);  /* its window need not reach back */
	if (rr.partial && g) {
		/* decided after the HTTP layer, which may decode that body itself */
		*partial = true;
		*scanned = rr.scanned;
		snprintf(why, whycap, "%s", rr.error);
		rr.partial = 0;
		rr.error[0] = '\0';
	}
	if (rr.nfindings || rr.blocked || rr.refused || rr.partial || rr.note[0] || rr.ndropped)
		merge_raw(res, &rr);
	return rc;
}

void brk_http_glue_free(struct brk_http_glue *g)
{
	brk_http_stream_free(g->hs);
	brk_scan_stream_close(g->body);
	for (size_t i = 0; i < BRK_HTTP_GLUE_H2_BODIES; i++)
		brk_scan_stream_close(g->h2b[i]);
	free(g->cv);
	free(g->doh_msg);
	if (g->rest)
		explicit_bzero(g->rest, g->restcap);
	free(g->rest);
	if (g->hb)
		explicit_bzero(g->hb, g->hbcap);
	free(g->hb);
	memset(g, 0, sizeof(*g));
}
