/* SPDX-License-Identifier: MIT */
/*
 * dnsgate.c - the DNS gate of the broker (see dnsgate.h). Called by
 * broker.c for RESOLVE requests and DNS-flagged DATA, and by the connect
 * decision for name servers and encrypted-DNS endpoints.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/relay/swap_rl.h"
#include "broker/scan/scan.h"
#include "broker/dns/dns_budget.h"
#include "broker/dns/dns_entropy.h"
#include "broker/dns/dns_msg.h"
#include "broker/dns/dns_policy.h"
#include "broker/dnsgate.h"
#include "broker/event.h"
#include "broker/session.h"
#include "common/dlp_buf.h"
#include "common/dlp_err.h"
#include "common/redact.h"

#define DNSGATE_MAX_NS 8

struct brk_dnsgate {
	struct brk_dns_state *dns;
	struct brk_dns_label_limits lim;        /* the config's label thresholds */
	size_t text_min;                        /* decoded text this long: data */
	double text_ratio, text_alnum;
	unsigned nns;
	struct brk_addr ns[DNSGATE_MAX_NS];
	bool has_proxy;                 /* set once before the command starts */
	struct brk_addr proxy;
};

/* Public DNS-over-HTTPS endpoints; an exact allow rule opens one. */
static const char *const doh_hosts[] = {
	"dns.google", "dns.google.com", "cloudflare-dns.com", "mozilla.cloudflare-dns.com",
	"one.one.one.one", "1dot1dot1dot1.cloudflare-dns.com", "security.cloudflare-dns.com",
	"family.cloudflare-dns.com", "dns.quad9.net", "dns9.quad9.net", "dns10.quad9.net",
	"dns11.quad9.net", "doh.opendns.com", "doh.familyshield.opendns.com",
	"dns.nextdns.io", "doh.cleanbrowsing.org", "dns.adguard.com", "dns.adguard-dns.com",
	"doh.dns.sb", "dns.alidns.com", "doh.pub", "dns.controld.com", "doh.mullvad.net",
	"dns.mullvad.net", "freedns.controld.com", "ordns.he.net",
};

/* Their anycast addresses (plain DNS on port 53 to them is judged as DNS). */
static const char *const doh_addrs[] = {
	"1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4", "9.9.9.9", "149.112.112.112",
	"208.67.222.222", "208.67.220.220", "94.140.14.14", "94.140.15.15", "45.90.28.0",
	"45.90.30.0", "185.228.168.168", "2606:4700:4700::1111", "2606:4700:4700::1001",
	"2001:4860:4860::8888", "2001:4860:4860::8844", "2620:fe::fe", "2620:fe::9",
};

/* Decoded label candidates through the credential detectors and canaries. */
static int dns_scan(const uint8_t *p, size_t len, const char **detector, void *arg)
{
	struct brk_ctx *ctx = arg;
	struct brk_scan_result res;
	unsigned i;

	if (brk_scan_buffer(ctx->scan, p, len, NULL, &res) < 0)
		return -1;
	for (i = 0; i < res.nfindings; i++) {
		if (res.findings[i].action == BRK_SCAN_BLOCK) {
			*detector = res.findings[i].detector; /* static registry string */
			return 1;
		}
	}
	return 0;
}

static void load_nameservers(struct brk_dnsgate *g)
{
	struct __res_state rs;
	int i;

	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) != 0)
		return;
	for (i = 0; i < rs.nscount && g->nns < DNSGATE_MAX_NS; i++) {
		const struct sockaddr_in *s4 = &rs.nsaddr_list[i];
		const struct sockaddr_in6 *s6 = rs._u._ext.nsaddrs[i];

		if (s6 && s6->sin6_family == AF_INET6)
			brk_addr_from_sockaddr((const struct sockaddr *)s6, sizeof(*s6),
					       &g->ns[g->nns++], NULL);
		else if (s4->sin_family == AF_INET)
			brk_addr_from_sockaddr((const struct sockaddr *)s4, sizeof(*s4),
					       &g->ns[g->nns++], NULL);
	}
	res_nclose(&rs);
}

int brk_dnsgate_new(struct brk_ctx *ctx, struct brk_dnsgate **out, char *err, size_t errlen)
{
	struct brk_dns_config cfg;
	struct brk_dnsgate *g;
	const char *const *kv;
	size_t n, i;
	int rc;

	brk_dns_config_defaults(&cfg);
	n = brk_policy_dns(ctx->policy, &kv);
	for (i = 0; i < n; i++) {
		char key[128], msg[200];
		const char *eq = strchr(kv[i], '=');
		size_t kl = eq ? (size_t)(eq - kv[i]) : 0;

		if (!eq || kl >= sizeof(key)) {
			snprintf(err, errlen, "bad dns setting '%s'", kv[i]);
			return -EINVAL;
		}
		memcpy(key, kv[i], kl);
		key[kl] = '\0';
		rc = brk_dns_config_set(&cfg, key, eq + 1, msg, sizeof(msg));
		if (rc < 0) {
			snprintf(err, errlen, "dns %s: %s", key, msg);
			return rc;
		}
	}
	cfg.scan = dns_scan;
	cfg.scan_ctx = ctx;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	rc = brk_dns_state_new(&g->dns, &cfg);
	if (rc < 0) {
		free(g);
		snprintf(err, errlen, "dns state: %s", strerror(-rc));
		return rc;
	}
	g->lim.min_len = cfg.label_min_len;
	g->lim.min_score = cfg.entropy_threshold;
	g->lim.max_vowel_ratio = cfg.max_vowel_ratio;
	g->text_min = cfg.text_min_bytes;
	g->text_ratio = cfg.text_min_ratio;
	g->text_alnum = cfg.text_min_alnum;
	load_nameservers(g);
	*out = g;
	return 0;
}

void brk_dnsgate_free(struct brk_dnsgate *g)
{
	if (!g)
		return;
	brk_dns_state_free(g->dns);
	free(g);
}

void brk_dnsgate_set_proxy(struct brk_dnsgate *g, const struct brk_addr *a)
{
	brk_addr_canon(a, &g->proxy);
	g->has_proxy = true;
}

bool brk_dnsgate_has_proxy(const struct brk_dnsgate *g)
{
	return g && g->has_proxy;
}

bool brk_dnsgate_is_proxy(const struct brk_dnsgate *g, const struct brk_addr *a)
{
	struct brk_addr c;

	if (!g->has_proxy)
		return false;
	brk_addr_canon(a, &c);
	return c.v == g->proxy.v && !memcmp(c.b, g->proxy.b, 16);
}

bool brk_dnsgate_is_nameserver(const struct brk_dnsgate *g, const struct brk_addr *a)
{
	struct brk_addr c, n;
	unsigned i;

	if (brk_dnsgate_is_proxy(g, a))
		return true;
	brk_addr_canon(a, &c);
	for (i = 0; i < g->nns; i++) {
		brk_addr_canon(&g->ns[i], &n);
		if (n.v == c.v && !memcmp(n.b, c.b, 16))
			return true;
	}
	return false;
}

static bool is_doh_host(const char *name)
{
	char norm[256];
	size_t i;

	if (brk_host_normalise(name, norm, sizeof(norm)) < 0)
		return false;
	for (i = 0; i < DLP_ARRAY_SIZE(doh_hosts); i++)
		if (!strcmp(norm, doh_hosts[i]))
			return true;
	return false;
}

bool brk_dnsgate_encrypted_dns(const struct brk_policy *p, const struct brk_addr *a, int port,
			       struct brk_decision *d)
{
	struct brk_addr c, x;
	size_t i;

	if (brk_policy_addr_allowed_exactly(p, a))
		return false;
	if (port == 853) {
		d->verdict = BRK_DENY;
		snprintf(d->rule, sizeof(d->rule), "dns-over-tls (builtin)");
		snprintf(d->reason, sizeof(d->reason), "DNS over TLS (port 853) would hide "
			 "queries from dlpjail; allow the address itself to permit it");
		return true;
	}
	if (port == 53)
		return false;
	brk_addr_canon(a, &c);
	for (i = 0; i < DLP_ARRAY_SIZE(doh_addrs); i++) {
		if (brk_addr_parse(doh_addrs[i], &x) < 0)
			continue;
		if (x.v == c.v && !memcmp(x.b, c.b, 16)) {
			d->verdict = BRK_DENY;
			snprintf(d->rule, sizeof(d->rule), "dns-over-https (builtin)");
			snprintf(d->reason, sizeof(d->reason), "public DNS-over-HTTPS resolver "
				 "would hide queries from dlpjail; allow the address itself to "
				 "permit it");
			return true;
		}
	}
	return false;
}

/* Resolve an allowed name ourselves and remember the answers (A/AAAA). */
static void learn(struct brk_ctx *ctx, const char *name, uint16_t qtype)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;

	if (qtype != BRK_DNS_T_A && qtype != BRK_DNS_T_AAAA && qtype != BRK_DNS_T_ANY)
		return;
	if (qtype == BRK_DNS_T_A)
		hints.ai_family = AF_INET;
	else if (qtype == BRK_DNS_T_AAAA)
		hints.ai_family = AF_INET6;
	if (brk_dns_is_localhost(name))
		return;	/* answered locally, never asked upstream (RFC 6761) */
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return;
	for (ai = res; ai; ai = ai->ai_next) {
		struct brk_addr a;
		if (brk_addr_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &a, NULL) == 0)
			brk_resolved_add(ctx->resolved, name, &a);
	}
	freeaddrinfo(res);
}

/* ---- how a name is shown ----
 *
 * A name no rule approved is shown in clear only when it is ordinary: it
 * has the shape of a host name people type, and none of the exfiltration
 * checks sees data in it. Everything else is shown redacted. This is the
 * one place that decides; events, the summary and the shim's stderr line
 * all use the form chosen here.
 */

#define SHOW_NAME_MAX   100     /* longer names are not typed by people */
#define SHOW_LABEL_MAX  40
#define SHOW_LABELS_MAX 8

/* Lower-case LDH labels of sane length; a final dot is allowed. */
bool brk_dnsgate_name_shape_ok(const char *name)
{
	size_t n = strlen(name), lab = 0, labels = 0, i;

	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n > SHOW_NAME_MAX)
		return false;
	for (i = 0; i <= n; i++) {
		char c = i < n ? name[i] : '.';

		if (c == '.') {
			if (lab == 0 || lab > SHOW_LABEL_MAX || name[i - 1] == '-' ||
			    ++labels > SHOW_LABELS_MAX)
				return false;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
		if (c == '-' && lab == 0)
			return false;
		lab++;
	}
	return true;
}

/*
 * One '-'-free run of the subdomain labels joined (dots dropped, so a
 * value split over labels is judged whole): ids and encodings switch
 * between letters and digits often, or are long runs of hex or digits;
 * names ("ec2-54-23-1-2", "k8s", "cdn77") do not.
 */
static bool segment_is_data(const char *s, size_t n)
{
	unsigned switches = 0, digits = 0, hex = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		bool d = s[i] >= '0' && s[i] <= '9';

		if (i && d != (s[i - 1] >= '0' && s[i - 1] <= '9'))
			switches++;
		digits += d;
		hex += d || (s[i] >= 'a' && s[i] <= 'f');
	}
	return (n >= 8 && switches >= 4) || (n >= 12 && hex == n) || (n >= 10 && digits == n);
}

/*
 * A high-entropy label is data when it has digits in it or is long: words
 * of twelve distinct-ish letters ("pythonhosted") score high as well.
 */
static bool label_is_data(const uint8_t *p, size_t n, const struct brk_dns_label_limits *lim)
{
	struct brk_dns_label_verdict lv;
	size_t i;

	if (brk_dns_label_assess(p, n, lim, &lv) <= 0)
		return false;
	for (i = 0; i < n; i++)
		if (p[i] >= '0' && p[i] <= '9')
			return true;
	return lv.he_len >= 20;
}

struct show_scan {
	const struct brk_dnsgate *g;
	struct brk_ctx *ctx;
};

/* A decoded candidate that is a credential, a canary or text: data. */
static int show_candidate(const struct brk_dns_candidate *c, void *arg)
{
	struct show_scan *ss = arg;
	const char *det;

	if (dns_scan(c->data, c->len, &det, ss->ctx) != 0)
		return 1;               /* a finding, or a scan error: not ordinary */
	return c->len >= ss->g->text_min && c->printable >= ss->g->text_ratio &&
	       c->alnum >= ss->g->text_alnum;
}

/* Any finding at all (canaries, detectors, even warn-only) in p. */
static bool scan_finds(struct brk_ctx *ctx, const char *p, size_t len)
{
	struct brk_scan_result res;

	if (brk_scan_buffer(ctx->scan, (const uint8_t *)p, len, NULL, &res) < 0)
		return true;
	return res.nfindings > 0 || res.refused;
}

bool brk_dnsgate_name_ordinary(struct brk_ctx *ctx, const char *name)
{
	const struct brk_dnsgate *g = ctx->dnsgate;
	struct show_scan ss = { .g = g, .ctx = ctx };
	struct brk_dns_name *n;
	char joined[256], v1[256], v2[256];
	size_t o = 0, i, seg, l1 = 0, l2 = 0;
	bool ok = false;
	unsigned k;

	if (!brk_dnsgate_name_shape_ok(name))
		return false;
	n = malloc(sizeof(*n));
	if (!n || brk_dns_name_split(name, n) < 0)
		goto out;
	/* every label left of the public suffix, alone: no high-entropy one */
	for (k = 0; k <= n->reg_first && k < n->nlabels; k++) {
		if (label_is_data(n->label[k], n->len[k], &g->lim))
			goto out;
		memcpy(joined + o, n->label[k], n->len[k]);
		o += n->len[k];
	}
	/* and joined, run by run */
	for (i = 0, seg = 0; i <= o; i++) {
		if (i == o || joined[i] == '-') {
			if (segment_is_data(joined + seg, i - seg))
				goto out;
			seg = i + 1;
		}
	}
	/* decoded (hex, base32, base64; labels alone and joined) */
	if (brk_dns_decode_candidates_min(name, 6, show_candidate, &ss) != 0)
		goto out;
	/* the scanner on the name as typed, and with the separators a split
	 * value would need undone ("ghp-abc.def" is "ghp_abcdef" to a detector) */
	for (i = 0; name[i]; i++) {
		if (name[i] == '.')
			continue;
		v1[l1++] = name[i] == '-' ? '_' : name[i];
		if (name[i] != '-')
			v2[l2++] = name[i];
	}
	o = 0;
	for (i = 0; name[i]; i++)
		if (name[i] != '.')
			joined[o++] = name[i];
	if (scan_finds(ctx, name, strlen(name)) || scan_finds(ctx, joined, o) ||
	    scan_finds(ctx, v1, l1) || scan_finds(ctx, v2, l2))
		goto out;
	ok = true;
out:
	free(n);
	return ok;
}

/*
 * Redacted form: the subdomain part through dlp_redact(), the registrable
 * domain in clear only when it has an ordinary shape and its first label
 * carries no data ("<data>.com" redacts all of it).
 */
void brk_dnsgate_redact_name(const char *host, char *dst, size_t cap)
{
	const char *p = host + strlen(host), *cut = NULL;
	char red[DLP_REDACT_MAX];
	int dots = 0;

	while (p > host) {
		p--;
		if (*p == '.' && ++dots == 2) {
			cut = p;
			break;
		}
	}
	if (cut && brk_dnsgate_name_shape_ok(cut + 1)) {
		size_t fl = strcspn(cut + 1, ".");
		/* the DNS defaults: this runs without a session too */
		static const struct brk_dns_label_limits lim = { .min_len = 12, .min_score = 0.92,
								 .max_vowel_ratio = 0.34 };

		if (!label_is_data((const uint8_t *)cut + 1, fl, &lim) &&
		    !segment_is_data(cut + 1, fl)) {
			dlp_redact((const uint8_t *)host, (size_t)(cut - host), red, sizeof(red));
			snprintf(dst, cap, "<%s>%s", red, cut);
			return;
		}
	}
	dlp_redact((const uint8_t *)host, strnlen(host, 1024), red, sizeof(red));
	snprintf(dst, cap, "<%s>", red);
}

bool brk_dnsgate_show_name(struct brk_ctx *ctx, const char *name, char *dst, size_t cap)
{
	if (brk_dnsgate_name_ordinary(ctx, name)) {
		snprintf(dst, cap, "%s", name);
		return true;
	}
	brk_dnsgate_redact_name(name, dst, cap);
	return false;
}

/* Refusals that an allow line would lift: the allow list's, not content's. */
static bool allow_would_help(const char *rule)
{
	return !strncmp(rule, "default-deny", 12) || !strncmp(rule, "dns-over-https", 14);
}

/*
 * A name holding a secretless-jail placeholder (swap.h): proof of
 * exfiltration, refused whatever the allow list says (issue 15).
 */
static int judge_placeholder(struct brk_ctx *ctx, struct brk_event *ev, int entry,
			     const char *name, const char *via, char *reason, size_t rlen)
{
	const struct brk_swap *e = &ctx->swaps->v[entry];
	char shown[300], why[400], rule[64], red[DLP_REDACT_MAX];

	brk_dnsgate_redact_name(name, shown, sizeof(shown));
	dlp_redact(e->ph, e->len, red, sizeof(red));
	snprintf(why, sizeof(why), "placeholder of %s in a DNS name (proof of exfiltration: "
		 "the jail only ever held the placeholder)", e->source);
	snprintf(rule, sizeof(rule), "placeholder via %s", via);
	ev->host = shown;
	ev->reason = why;
	ev->rule = rule;
	ev->detector = "placeholder";
	ev->match = red;
	ev->source = e->source;   /* where the real value was read; words redacted */
	ev->verdict = BRK_DENY;
	ev->enforced = !ctx->monitor;
	brk_eventlog_write(ctx->log, ev);
	if (reason)
		snprintf(reason, rlen, "%s %s: %s", !strcmp(via, "getaddrinfo") ? "name lookup of"
			 : "DNS query for", shown, why);
	return ctx->monitor ? BRK_ALLOW : BRK_DENY;
}

int brk_dnsgate_judge(struct brk_ctx *ctx, pid_t pid, const char *exe, const char *name,
		      uint16_t qtype, const char *via, char *reason, size_t rlen)
{
	struct brk_event ev = { .op = "resolve", .pid = pid, .exe = exe, .port = -1 };
	struct brk_dns_verdict v;
	struct brk_decision d;
	char shown[sizeof(v.name_redacted) + 64], rule[480], allow[256], why[BRK_POLICY_REASON_MAX + 80];
	const char *verb = !strcmp(via, "getaddrinfo") ? "name lookup of" : "DNS query for";
	int phe;

	if ((phe = rl_swap_in_name(ctx->swaps, name)) >= 0)
		return judge_placeholder(ctx, &ev, phe, name, via, reason, rlen);
	brk_policy_check_host(ctx->policy, name, &d);
	if (d.verdict == BRK_ALLOW && is_doh_host(name) &&
	    !brk_policy_host_allowed_exactly(ctx->policy, name)) {
		d.verdict = BRK_DENY;
		snprintf(d.rule, sizeof(d.rule), "dns-over-https (builtin)");
		snprintf(d.reason, sizeof(d.reason), "public DNS-over-HTTPS resolver would hide "
			 "queries from dlpjail; allow the host by exact name to permit it");
	}
	if (d.verdict != BRK_ALLOW) {
		/*
		 * Refused by the allow list: the query never leaves, but the name
		 * is shown (stderr, events, summary). The exfiltration checks
		 * (which also count it in the session budgets and reassembly)
		 * and the ordinary-name test decide whether that is in clear.
		 */
		int dv = brk_dns_judge(ctx->dnsgate->dns, name, qtype, &v);

		snprintf(why, sizeof(why), "%s", d.reason);
		if (dv == BRK_DNS_ALLOW && brk_dnsgate_name_ordinary(ctx, name)) {
			snprintf(shown, sizeof(shown), "%s", name);
			if (allow_would_help(d.rule) &&
			    brk_host_normalise(name, allow, sizeof(allow)) == 0)
				ev.allow = allow;
		} else {
			brk_dnsgate_redact_name(name, shown, sizeof(shown));
			ev.detector = dv == BRK_DNS_DENY ? v.detector : NULL;
			snprintf(why, sizeof(why), "%s (name shown redacted: it looks like "
				 "encoded data%s%s)", d.reason, dv == BRK_DNS_DENY ? ", dns rule " : "",
				 dv == BRK_DNS_DENY ? v.rule : "");
		}
		ev.host = shown;
		ev.reason = why;
		snprintf(rule, sizeof(rule), "%s via %s", d.rule, via);
	} else if (brk_dns_judge(ctx->dnsgate->dns, name, qtype, &v) != BRK_DNS_ALLOW) {
		d.verdict = BRK_DENY;
		snprintf(why, sizeof(why), "%s", v.reason);
		snprintf(shown, sizeof(shown), "%s", v.name_redacted);
		ev.host = shown;
		ev.reason = v.reason;
		ev.detector = v.detector;
		snprintf(rule, sizeof(rule), "dns-%s via %s", v.rule, via);
	} else {
		ev.host = name;
		ev.reason = d.reason;
		snprintf(rule, sizeof(rule), "%s via %s", d.rule, via);
	}
	ev.rule = rule;
	ev.verdict = d.verdict;
	ev.enforced = !ctx->monitor;
	brk_eventlog_write(ctx->log, &ev);
	/* the shim prints this line as it is: "name lookup of SHOWN: why" */
	if (reason && d.verdict != BRK_ALLOW)
		snprintf(reason, rlen, "%s %s: %s", verb, shown, why);
	else if (reason)
		snprintf(reason, rlen, "%s", d.reason);
	if (d.verdict != BRK_ALLOW && !ctx->monitor)
		return BRK_DENY;
	return BRK_ALLOW;
}

static int judge_query(struct brk_ctx *ctx, pid_t pid, const char *exe,
		       const struct brk_dns_query *q, char *reason, size_t rlen)
{
	int v = brk_dnsgate_judge(ctx, pid, exe, q->name, q->qtype, "raw-dns", reason, rlen);

	if (v == BRK_ALLOW)
		learn(ctx, q->name, q->qtype);
	return v;
}

static int refuse_raw(struct brk_ctx *ctx, pid_t pid, const char *exe, const char *why,
		      char *reason, size_t rlen)
{
	struct brk_event ev = { .op = "send", .pid = pid, .exe = exe, .port = 53,
				.verdict = BRK_DENY, .enforced = !ctx->monitor,
				.rule = "dns-malformed", .reason = why };

	brk_eventlog_write(ctx->log, &ev);
	snprintf(reason, rlen, "DNS query: %s", why);
	return ctx->monitor ? BRK_ALLOW : BRK_DENY;
}

/*
 * A raw query for localhost or a .localhost name (RFC 6761) is answered by
 * the session's DNS proxy (launcher.c's px_judge, exe "dns-proxy"); sent
 * anywhere else it would reach a real name server: refused.
 */
static int localhost_leaves(struct brk_ctx *ctx, pid_t pid, const char *exe,
			    const struct brk_dns_query *q, char *reason, size_t rlen)
{
	struct brk_event ev = { .op = "resolve", .pid = pid, .exe = exe, .port = 53,
				.verdict = BRK_DENY, .enforced = !ctx->monitor,
				.rule = "dns-localhost-upstream",
				.reason = "localhost names are answered locally, never sent to a name server" };
	char shown[256];

	if ((exe && !strcmp(exe, "dns-proxy")) || !brk_dns_is_localhost(q->name))
		return 0;
	/* "<data>.localhost" is still data: shown like any other name */
	brk_dnsgate_show_name(ctx, q->name, shown, sizeof(shown));
	ev.host = shown;
	brk_eventlog_write(ctx->log, &ev);
	snprintf(reason, rlen, "DNS query: %s", ev.reason);
	return 1;
}

int brk_dnsgate_raw(struct brk_ctx *ctx, pid_t pid, const char *exe, const uint8_t *p,
		    size_t len, bool tcp, struct dlp_buf *tcp_buf, char *reason, size_t rlen)
{
	struct brk_dns_query q;
	size_t used;
	int rc;

	if (!tcp) {
		rc = brk_dns_query_parse(p, len, &q);
		if (rc < 0)
			return refuse_raw(ctx, pid, exe, "data sent to port 53 is not a plain "
					  "DNS query", reason, rlen);
		if (localhost_leaves(ctx, pid, exe, &q, reason, rlen))
			return ctx->monitor ? BRK_ALLOW : BRK_DENY;
		return judge_query(ctx, pid, exe, &q, reason, rlen);
	}
	if (dlp_buf_append(tcp_buf, p, len) < 0)
		return refuse_raw(ctx, pid, exe, "oversized DNS-over-TCP message", reason, rlen);
	for (;;) {
		rc = brk_dns_query_parse_tcp(tcp_buf->ptr, tcp_buf->len, &q, &used);
		if (rc == -EAGAIN)
			return BRK_ALLOW;       /* partial message: judged when complete */
		if (rc < 0) {
			dlp_buf_reset(tcp_buf);
			return refuse_raw(ctx, pid, exe, "data sent to port 53 is not a plain "
					  "DNS query", reason, rlen);
		}
		dlp_buf_consume(tcp_buf, used);
		if (localhost_leaves(ctx, pid, exe, &q, reason, rlen) && !ctx->monitor)
			return BRK_DENY;
		if (judge_query(ctx, pid, exe, &q, reason, rlen) != BRK_ALLOW)
			return BRK_DENY;
		if (tcp_buf->len == 0)
			return BRK_ALLOW;
	}
}
