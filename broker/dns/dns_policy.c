/* SPDX-License-Identifier: MIT */
/*
 * dns_policy.c - DNS exfiltration config keys and brk_dns_judge() (see
 * dns_policy.h). Combines dns_entropy.c (label figures, decoding),
 * dns_budget.c (session counters, reassembly) and the optional scanner hook
 * into one verdict per query. Called by the broker's resolve path and the
 * raw-DNS handling; nothing else in dns/ decides.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/dns/dns_budget.h"
#include "broker/dns/dns_entropy.h"
#include "broker/dns/dns_msg.h"
#include "broker/dns/dns_policy.h"
#include "common/dlp_err.h"
#include "common/redact.h"

struct brk_dns_state {
	struct brk_dns_config cfg;	/* init-only copy */
	struct brk_dns_budget *budget;	/* has its own lock */
};

/* ---- config keys ---------------------------------------------------- */

enum brk_dns_key_type {
	BRK_DNS_KEY_UINT,
	BRK_DNS_KEY_DOUBLE,
	BRK_DNS_KEY_BOOL,
	BRK_DNS_KEY_QTYPES,
	BRK_DNS_KEY_EXEMPT,
};

struct brk_dns_key {
	const char *name;
	enum brk_dns_key_type type;
	size_t off;
	double min, max;
	const char *deflt;	/* applied by brk_dns_config_defaults() */
	const char *desc;
};

#define KEY(n, t, lo, hi, d, text) { .name = #n, .type = BRK_DNS_KEY_##t, \
	.off = offsetof(struct brk_dns_config, n), .min = lo, .max = hi, \
	.deflt = d, .desc = text }

static const struct brk_dns_key brk_dns_keys[] = {
	KEY(label_min_len, UINT, 2, 63, "12",
	    "labels shorter than this are never high-entropy in one query"),
	KEY(entropy_threshold, DOUBLE, 0.1, 2.0, "0.92",
	    "entropy / expected entropy of a random label of that length and alphabet"),
	KEY(max_vowel_ratio, DOUBLE, 0.0, 1.0, "0.34",
	    "letter-heavy labels with more vowels than this look like words"),
	KEY(long_label_len, UINT, 2, 63, "41",
	    "a high-entropy label at least this long is denied on its own"),
	KEY(query_max_he_bytes, UINT, 0, 255, "64",
	    "most high-entropy label bytes allowed in one name"),
	KEY(text_min_bytes, UINT, 4, 255, "10",
	    "labels decoding (hex/base32/base64) to this much text are denied"),
	KEY(text_min_ratio, DOUBLE, 0.5, 1.0, "0.95",
	    "share of printable bytes for decoded labels to count as text"),
	KEY(text_min_alnum, DOUBLE, 0.0, 1.0, "0.6",
	    "share of letters, digits and spaces for decoded text"),
	KEY(deny_binary_labels, BOOL, 0, 1, "1",
	    "deny labels with bytes outside letters, digits, - _ + / ="),
	KEY(deny_qtypes, QTYPES, 0, 0, "NULL,AXFR,IXFR,MAILA,MAILB",
	    "query types always denied (names or numbers)"),
	KEY(budget_label_min_len, UINT, 1, 63, "4",
	    "labels from this length count towards the session budgets"),
	KEY(max_unique_subdomains, UINT, 1, 1000000, "64",
	    "distinct subdomains per registrable domain per session"),
	KEY(max_unique_he_subdomains, UINT, 1, 1000000, "24",
	    "distinct subdomains with a high-entropy label per registrable domain"),
	KEY(max_he_bytes, UINT, 1, 100000000, "160",
	    "high-entropy label bytes per registrable domain per session"),
	KEY(session_max_he_bytes, UINT, 1, 100000000, "16384",
	    "high-entropy label bytes over all domains per session"),
	KEY(reasm_text_min_bytes, UINT, 8, 512, "16",
	    "labels reassembled across queries decoding to this much text"),
	KEY(counter_drip_queries, UINT, 2, 1000000, "3",
	    "new names in a row whose first label is new data plus a counter"),
	KEY(tunnel_min_queries, UINT, 1, 1000000, "16",
	    "queries to a domain before its type mix is judged"),
	KEY(tunnel_ratio, DOUBLE, 0.0, 1.0, "0.5",
	    "share of TXT/NULL/CNAME/MX/SRV queries that marks a tunnel"),
	KEY(max_domains, UINT, 16, 10000000, "4096",
	    "registrable domains tracked per session; further ones are denied"),
	KEY(block_domain_on_deny, BOOL, 0, 1, "1",
	    "once a domain trips a rule, deny it for the rest of the session"),
	KEY(exempt, EXEMPT, 0, 0, "none",
	    "registrable domains exempt from entropy and budget rules"),
};

#undef KEY

/* Query type names accepted by deny_qtypes. */
static const struct {
	const char *name;
	uint16_t type;
} brk_dns_qtype_names[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "NULL", 10 },
	{ "PTR", 12 }, { "HINFO", 13 }, { "MX", 15 }, { "TXT", 16 },
	{ "AAAA", 28 }, { "SRV", 33 }, { "NAPTR", 35 }, { "DNAME", 39 },
	{ "SVCB", 64 }, { "HTTPS", 65 }, { "IXFR", 251 }, { "AXFR", 252 },
	{ "MAILB", 253 }, { "MAILA", 254 }, { "ANY", 255 },
	{ "PRIVATE", 65399 },	/* iodine's private type */
};

static int brk_dns_err(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int brk_dns_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int brk_dns_parse_qtype(const char *s, size_t n, uint16_t *out)
{
	char *end;
	unsigned long v;
	size_t i;

	for (i = 0; i < DLP_ARRAY_SIZE(brk_dns_qtype_names); i++) {
		if (strlen(brk_dns_qtype_names[i].name) == n &&
		    strncasecmp(brk_dns_qtype_names[i].name, s, n) == 0) {
			*out = brk_dns_qtype_names[i].type;
			return 0;
		}
	}
	if (n == 0 || s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || (size_t)(end - s) != n || v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* Splits a comma list, calling add(item, len) per non-empty item. */
static int brk_dns_set_list(struct brk_dns_config *cfg,
			    const struct brk_dns_key *k, const char *value,
			    char *err, size_t errlen)
{
	struct brk_dns_config tmp = *cfg;
	const char *p = value, *c;

	if (k->type == BRK_DNS_KEY_QTYPES)
		tmp.n_deny_qtypes = 0;
	else
		tmp.n_exempt = 0;
	if (k->type == BRK_DNS_KEY_EXEMPT && strcmp(value, "none") == 0)
		goto done;
	for (; *p; p = *c ? c + 1 : c) {
		size_t n;

		c = strchr(p, ',');
		if (!c)
			c = p + strlen(p);
		while (p < c && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(c - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0)
			continue;
		if (k->type == BRK_DNS_KEY_QTYPES) {
			uint16_t t;

			if (tmp.n_deny_qtypes >= BRK_DNS_DENY_QTYPES_MAX)
				return brk_dns_err(err, errlen, -ENOSPC,
						   "dns.%s: more than 16 types",
						   k->name);
			if (brk_dns_parse_qtype(p, n, &t) < 0)
				return brk_dns_err(err, errlen, -EINVAL,
						   "dns.%s: unknown query type in '%s'",
						   k->name, value);
			tmp.deny_qtypes[tmp.n_deny_qtypes++] = t;
		} else {
			size_t i;
			char *e;

			if (tmp.n_exempt >= BRK_DNS_EXEMPT_MAX)
				return brk_dns_err(err, errlen, -ENOSPC,
						   "dns.%s: more than 32 domains",
						   k->name);
			if (n >= sizeof(tmp.exempt[0]))
				return brk_dns_err(err, errlen, -EINVAL,
						   "dns.%s: domain too long in '%s'",
						   k->name, value);
			e = tmp.exempt[tmp.n_exempt];
			for (i = 0; i < n; i++) {
				char ch = p[i];

				if (ch >= 'A' && ch <= 'Z')
					ch = (char)(ch | 0x20);
				if (!((ch >= 'a' && ch <= 'z') ||
				      (ch >= '0' && ch <= '9') || ch == '-' ||
				      ch == '.' || ch == '_'))
					return brk_dns_err(err, errlen, -EINVAL,
							   "dns.%s: bad domain in '%s'",
							   k->name, value);
				e[i] = ch;
			}
			e[n] = '\0';
			if (e[n - 1] == '.')
				e[n - 1] = '\0';
			if (e[0] == '\0' || e[0] == '.')
				return brk_dns_err(err, errlen, -EINVAL,
						   "dns.%s: bad domain in '%s'",
						   k->name, value);
			tmp.n_exempt++;
		}
	}
done:
	*cfg = tmp;
	return 0;
}

int brk_dns_config_set(struct brk_dns_config *cfg, const char *key,
		       const char *value, char *err, size_t errlen)
{
	const struct brk_dns_key *k = NULL;
	char *end;
	double d;
	size_t i;

	if (err && errlen)
		err[0] = '\0';
	if (!cfg || !key || !value)
		return brk_dns_err(err, errlen, -EINVAL, "dns: missing key or value");
	if (strncmp(key, "dns.", 4) == 0)
		key += 4;
	for (i = 0; i < DLP_ARRAY_SIZE(brk_dns_keys); i++)
		if (strcmp(brk_dns_keys[i].name, key) == 0)
			k = &brk_dns_keys[i];
	if (!k)
		return brk_dns_err(err, errlen, -EINVAL, "dns: unknown key '%s'", key);
	if (k->type == BRK_DNS_KEY_QTYPES || k->type == BRK_DNS_KEY_EXEMPT)
		return brk_dns_set_list(cfg, k, value, err, errlen);

	if (k->type == BRK_DNS_KEY_BOOL) {
		static const char *const yes[] = { "1", "yes", "on", "true" };
		static const char *const no[] = { "0", "no", "off", "false" };

		for (i = 0; i < 4; i++) {
			if (strcasecmp(value, yes[i]) == 0 ||
			    strcasecmp(value, no[i]) == 0) {
				*(int *)((char *)cfg + k->off) =
					strcasecmp(value, yes[i]) == 0;
				return 0;
			}
		}
		return brk_dns_err(err, errlen, -EINVAL,
				   "dns.%s: expected yes or no, got '%s'",
				   k->name, value);
	}
	errno = 0;
	d = strtod(value, &end);
	if (errno || end == value || *end != '\0' || !isfinite(d))
		return brk_dns_err(err, errlen, -EINVAL,
				   "dns.%s: not a number: '%s'", k->name, value);
	if (d < k->min || d > k->max)
		return brk_dns_err(err, errlen, -EINVAL,
				   "dns.%s: '%s' out of range", k->name, value);
	if (k->type == BRK_DNS_KEY_UINT) {
		if (d != floor(d))
			return brk_dns_err(err, errlen, -EINVAL,
					   "dns.%s: not a whole number: '%s'",
					   k->name, value);
		*(unsigned *)((char *)cfg + k->off) = (unsigned)d;
	} else {
		*(double *)((char *)cfg + k->off) = d;
	}
	return 0;
}

void brk_dns_config_defaults(struct brk_dns_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < DLP_ARRAY_SIZE(brk_dns_keys); i++)
		(void)brk_dns_config_set(cfg, brk_dns_keys[i].name,
					 brk_dns_keys[i].deflt, NULL, 0);
}

void brk_dns_config_keys(brk_dns_key_fn fn, void *ctx)
{
	size_t i;

	if (!fn)
		return;
	for (i = 0; i < DLP_ARRAY_SIZE(brk_dns_keys); i++)
		fn(brk_dns_keys[i].name, brk_dns_keys[i].deflt,
		   brk_dns_keys[i].desc, ctx);
}

/* ---- state ---------------------------------------------------------- */

int brk_dns_state_new(struct brk_dns_state **out,
		      const struct brk_dns_config *cfg)
{
	struct brk_dns_state *st;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if (cfg)
		st->cfg = *cfg;
	else
		brk_dns_config_defaults(&st->cfg);
	rc = brk_dns_budget_new(&st->budget, st->cfg.max_domains);
	if (rc < 0) {
		free(st);
		return rc;
	}
	*out = st;
	return 0;
}

void brk_dns_state_free(struct brk_dns_state *st)
{
	if (!st)
		return;
	brk_dns_budget_free(st->budget);
	free(st);
}

int brk_dns_state_stats(struct brk_dns_state *st, const char *regdom,
			struct brk_dns_domain_stats *out)
{
	if (!st)
		return -EINVAL;
	return brk_dns_budget_lookup(st->budget, regdom, out);
}

/* ---- judge ---------------------------------------------------------- */

static void brk_dns_deny(struct brk_dns_verdict *v, const char *rule,
			 const char *figure, double value, double limit)
{
	if (v->action == BRK_DNS_DENY)
		return;		/* first rule wins */
	v->action = BRK_DNS_DENY;
	v->rule = rule;
	v->figure = figure;
	v->value = value;
	v->limit = limit;
}

static int brk_dns_exempt(const struct brk_dns_config *cfg, const char *regdom)
{
	size_t rl = strlen(regdom), i;

	for (i = 0; i < cfg->n_exempt; i++) {
		size_t el = strlen(cfg->exempt[i]);

		if (rl == el && strcmp(regdom, cfg->exempt[i]) == 0)
			return 1;
		if (rl > el && regdom[rl - el - 1] == '.' &&
		    strcmp(regdom + rl - el, cfg->exempt[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Fills v->regdom and v->name_redacted: the subdomain part is only ever
 * shown through dlp_redact(), and so is the registrable domain when it has
 * odd bytes or its first label looks like encoded data (data can ride in
 * that label as well: "<data>.com").
 */
static void brk_dns_names(const struct brk_dns_name *n,
			  const struct brk_dns_label_limits *lim,
			  struct brk_dns_verdict *v)
{
	uint8_t sub[BRK_DNS_NAME_TEXT_MAX];
	char red[DLP_REDACT_MAX];
	struct brk_dns_label_verdict lv;
	size_t o = 0;
	unsigned k;
	int clear = n->reg_clean;

	if (clear && n->reg_first < n->nlabels &&
	    brk_dns_label_assess(n->label[n->reg_first], n->len[n->reg_first],
				 lim, &lv) > 0)
		clear = 0;
	if (clear) {
		snprintf(v->regdom, sizeof(v->regdom), "%s", n->regdom);
	} else {
		dlp_redact((const uint8_t *)n->regdom, strlen(n->regdom), red,
			   sizeof(red));
		snprintf(v->regdom, sizeof(v->regdom), "%s", red);
	}
	for (k = 0; k < n->reg_first; k++) {
		if (k)
			sub[o++] = '.';
		memcpy(sub + o, n->label[k], n->len[k]);
		o += n->len[k];
	}
	if (o == 0) {
		snprintf(v->name_redacted, sizeof(v->name_redacted), "%s",
			 v->regdom);
		return;
	}
	dlp_redact(sub, o, red, sizeof(red));
	snprintf(v->name_redacted, sizeof(v->name_redacted), "%s.%s", red,
		 v->regdom);
}

struct brk_dns_judge_ctx {
	const struct brk_dns_config *cfg;
	size_t text_min;
	const char *rule_text;
	const char *rule_detector;
	int hit;
	double printable;
	size_t len;
	const char *detector;
	unsigned long scan_errors;
};

static int brk_dns_candidate_cb(const struct brk_dns_candidate *c, void *ctx)
{
	struct brk_dns_judge_ctx *j = ctx;
	const char *det = NULL;
	int rc;

	if (j->cfg->scan) {
		rc = j->cfg->scan(c->data, c->len, &det, j->cfg->scan_ctx);
		if (rc > 0) {
			j->hit = 2;
			j->detector = det ? det : "scanner";
			j->len = c->len;
			j->printable = c->printable;
			return 1;
		}
		if (rc < 0)
			j->scan_errors++;
	}
	/* Credentials and config lines are mostly letters and digits;
	 * random bytes that happen to be printable are a third symbols. */
	if (c->len >= j->text_min && c->printable >= j->cfg->text_min_ratio &&
	    c->alnum >= j->cfg->text_min_alnum) {
		j->hit = 1;
		j->len = c->len;
		j->printable = c->printable;
		return 1;
	}
	return 0;
}

static int brk_dns_reasm_cb(unsigned depth, const struct brk_dns_candidate *c,
			    void *ctx)
{
	(void)depth;
	return brk_dns_candidate_cb(c, ctx);
}

static int brk_dns_qtype_denied(const struct brk_dns_config *cfg, uint16_t t)
{
	unsigned i;

	for (i = 0; i < cfg->n_deny_qtypes; i++)
		if (cfg->deny_qtypes[i] == t)
			return 1;
	return 0;
}

static void brk_dns_reason(struct brk_dns_verdict *v, uint16_t qtype,
			   const struct brk_dns_domain_stats *ds,
			   const struct brk_dns_config *cfg)
{
	char det[96] = "";

	if (v->detector)
		snprintf(det, sizeof(det), " detector=%s", v->detector);
	snprintf(v->reason, sizeof(v->reason),
		 "dns %s: rule=%s %s=%.3g limit=%.3g%s qtype=%u name=%s "
		 "budget: he_bytes=%lu/%u remaining=%ld subs=%lu/%u he_subs=%lu/%u",
		 v->action == BRK_DNS_DENY ? "deny" : "allow", v->rule,
		 v->figure ? v->figure : "-", v->value, v->limit, det,
		 (unsigned)qtype, v->name_redacted, ds->he_bytes,
		 cfg->max_he_bytes, v->budget_remaining, ds->unique_subs,
		 cfg->max_unique_subdomains, ds->unique_he_subs,
		 cfg->max_unique_he_subdomains);
}

int brk_dns_judge(struct brk_dns_state *st, const char *qname, uint16_t qtype,
		  struct brk_dns_verdict *v)
{
	const struct brk_dns_config *cfg;
	struct brk_dns_label_limits qlim, blim;
	struct brk_dns_domain_stats ds;
	struct brk_dns_judge_ctx jc;
	struct brk_dns_name *n = NULL;
	struct brk_dns_reasm *ra = NULL;
	struct brk_dns_obs obs;
	size_t he_bytes = 0, sus_bytes = 0;
	unsigned k, last, he_labels = 0, sus_labels = 0;
	uint16_t label_he[BRK_DNS_MAX_LABELS] = { 0 };
	int rc = 0;

	if (!v)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->action = BRK_DNS_ALLOW;
	v->rule = "ok";
	v->budget_remaining = -1;
	memset(&ds, 0, sizeof(ds));
	if (!st || !qname) {
		brk_dns_deny(v, "internal", NULL, 0, 0);
		return -EINVAL;
	}
	cfg = &st->cfg;
	n = malloc(sizeof(*n));
	ra = malloc(sizeof(*ra));
	if (!n || !ra) {
		brk_dns_deny(v, "internal", NULL, 0, 0);
		rc = -ENOMEM;
		goto out;
	}

	if (brk_dns_name_split(qname, n) < 0) {
		snprintf(v->regdom, sizeof(v->regdom), "?");
		dlp_redact((const uint8_t *)qname, strnlen(qname, 1024),
			   v->name_redacted, sizeof(v->name_redacted));
		brk_dns_deny(v, "malformed-name", NULL, 0, 0);
		goto out;
	}
	qlim.min_len = cfg->label_min_len;
	qlim.min_score = cfg->entropy_threshold;
	qlim.max_vowel_ratio = cfg->max_vowel_ratio;
	brk_dns_names(n, &qlim, v);

	if (brk_dns_qtype_denied(cfg, qtype))
		brk_dns_deny(v, "qtype", "qtype", qtype, 0);
	if (brk_dns_exempt(cfg, n->regdom)) {
		if (v->action == BRK_DNS_ALLOW)
			v->rule = "exempt";
		goto out;
	}

	/* Per label: every label left of the public suffix. */
	blim = qlim;
	blim.min_len = cfg->budget_label_min_len;
	last = n->reg_first < n->nlabels ? n->reg_first + 1 : n->nlabels;
	for (k = 0; k < last; k++) {
		struct brk_dns_label_stats ls;
		struct brk_dns_label_verdict lv;

		brk_dns_label_analyze(n->label[k], n->len[k], &ls);
		if (ls.cs == BRK_DNS_CS_OTHER && cfg->deny_binary_labels)
			brk_dns_deny(v, "binary-label", "label", k, 0);
		if (brk_dns_label_assess(n->label[k], n->len[k], &qlim, &lv) > 0) {
			he_bytes += lv.he_bytes;
			he_labels++;
			if (lv.he_len >= cfg->long_label_len)
				brk_dns_deny(v, "label-entropy", "score",
					     lv.score, cfg->entropy_threshold);
		}
		if (k < n->reg_first) {
			if (ls.cs == BRK_DNS_CS_OTHER) {
				sus_bytes += ls.len;
				sus_labels++;
				label_he[k] = (uint16_t)ls.len;
			} else if (brk_dns_label_assess(n->label[k], n->len[k],
							&blim, &lv) > 0) {
				sus_bytes += lv.he_bytes;
				sus_labels++;
				label_he[k] = (uint16_t)lv.he_bytes;
			}
		}
	}
	if (he_bytes > cfg->query_max_he_bytes)
		brk_dns_deny(v, "query-entropy-bytes", "bytes",
			     (double)he_bytes, cfg->query_max_he_bytes);

	/* Decoded labels: text or a credential. */
	memset(&jc, 0, sizeof(jc));
	jc.cfg = cfg;
	if (v->action == BRK_DNS_ALLOW) {
		jc.text_min = cfg->text_min_bytes;
		if (brk_dns_decode_candidates_min(qname, cfg->text_min_bytes,
						  brk_dns_candidate_cb, &jc) > 0) {
			if (jc.hit == 2) {
				v->detector = jc.detector;
				brk_dns_deny(v, "detector", "decoded-bytes",
					     (double)jc.len, 0);
			} else {
				brk_dns_deny(v, "encoded-text", "printable",
					     jc.printable, cfg->text_min_ratio);
			}
		}
	}

	/* Session budgets: every query is recorded, denied ones too. */
	obs.name = n;
	obs.qtype = qtype;
	obs.he_bytes = sus_bytes;
	obs.he_labels = sus_labels;
	obs.label_he = label_he;
	rc = brk_dns_budget_record(st->budget, &obs, &ds, ra);
	if (rc < 0) {
		brk_dns_deny(v, "internal", NULL, 0, 0);
		goto out;
	}
	if (ds.table_full)
		brk_dns_deny(v, "domain-table-full", "domains",
			     (double)ds.domains, cfg->max_domains);
	if (ds.blocked)
		brk_dns_deny(v, "domain-blocked", ds.blocked, 0, 0);
	if (ds.unique_subs > cfg->max_unique_subdomains)
		brk_dns_deny(v, "budget-unique-subdomains", "subdomains",
			     (double)ds.unique_subs, cfg->max_unique_subdomains);
	if (ds.unique_he_subs > cfg->max_unique_he_subdomains)
		brk_dns_deny(v, "budget-unique-he-subdomains", "subdomains",
			     (double)ds.unique_he_subs,
			     cfg->max_unique_he_subdomains);
	if (ds.he_bytes > cfg->max_he_bytes)
		brk_dns_deny(v, "budget-entropy-bytes", "bytes",
			     (double)ds.he_bytes, cfg->max_he_bytes);
	if (ds.session_he_bytes > cfg->session_max_he_bytes)
		brk_dns_deny(v, "budget-session-bytes", "bytes",
			     (double)ds.session_he_bytes,
			     cfg->session_max_he_bytes);
	if (ds.counter_run >= cfg->counter_drip_queries)
		brk_dns_deny(v, "counter-drip", "queries", (double)ds.counter_run,
			     cfg->counter_drip_queries);
	if (ds.queries >= cfg->tunnel_min_queries &&
	    (double)ds.tunnel_queries >=
	    cfg->tunnel_ratio * (double)ds.queries)
		brk_dns_deny(v, "tunnel-qtype-mix", "ratio",
			     (double)ds.tunnel_queries / (double)ds.queries,
			     cfg->tunnel_ratio);
	if (v->action == BRK_DNS_ALLOW && ds.new_sub) {
		jc.text_min = cfg->reasm_text_min_bytes;
		jc.hit = 0;
		if (brk_dns_reasm_walk(ra, 0, cfg->reasm_text_min_bytes,
				       brk_dns_reasm_cb, &jc) > 0) {
			if (jc.hit == 2) {
				v->detector = jc.detector;
				brk_dns_deny(v, "reassembled-detector",
					     "decoded-bytes", (double)jc.len, 0);
			} else {
				brk_dns_deny(v, "reassembled-text", "printable",
					     jc.printable, cfg->text_min_ratio);
			}
		}
	}
	v->budget_remaining = ds.he_bytes >= cfg->max_he_bytes
			      ? 0 : (long)(cfg->max_he_bytes - ds.he_bytes);
	if (v->action == BRK_DNS_DENY && cfg->block_domain_on_deny &&
	    !ds.table_full && !ds.blocked)
		(void)brk_dns_budget_block(st->budget, n->regdom, v->rule);
out:
	brk_dns_reason(v, qtype, &ds, cfg);
	free(ra);
	free(n);
	return rc < 0 ? rc : (int)v->action;
}
