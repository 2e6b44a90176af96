/* SPDX-License-Identifier: MIT */
/*
 * dns_policy.h - the DNS exfiltration verdict: thresholds and budgets
 * (struct brk_dns_config, settable by "key=value" strings so the policy
 * parser can pass "dns.<key> <value>" lines through), per-session state, and
 * brk_dns_judge(), the one decision function the broker's resolve path and
 * the shim's raw-DNS hooks call for every query name.
 *
 * A verdict's reason names the rule and the figure that tripped, with the
 * subdomain part of the name only ever in dlp_redact() form.
 * Thread-safe: one struct brk_dns_state per session, shared by the broker's
 * client threads; the config is copied in at creation and read-only after.
 */
#ifndef DLP_BROKER_DNS_DNS_POLICY_H
#define DLP_BROKER_DNS_DNS_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "common/redact.h"

struct brk_dns_state;

/*
 * Optional credential scan over decoded candidates (the scanning engine).
 * Returns > 0 when p[0..len) holds a credential and sets *detector to a
 * static name; 0 when clean; < 0 on error (treated as clean and counted).
 */
typedef int (*brk_dns_scan_fn)(const uint8_t *p, size_t len,
			       const char **detector, void *ctx);

#define BRK_DNS_DENY_QTYPES_MAX	16
#define BRK_DNS_EXEMPT_MAX	32

struct brk_dns_config {
	/* One label, one query (stateless). */
	unsigned label_min_len;		/* high-entropy only from this length */
	double entropy_threshold;	/* normalised score for high-entropy */
	double max_vowel_ratio;		/* more vowels than this: words */
	unsigned long_label_len;	/* high-entropy label this long: deny */
	unsigned query_max_he_bytes;	/* high-entropy bytes in one name */
	unsigned text_min_bytes;	/* labels decoding to this much text */
	double text_min_ratio;		/* printable share that counts as text */
	double text_min_alnum;		/* letters/digits/space share of it */
	int deny_binary_labels;		/* bytes outside base64/LDH in a label */
	uint16_t deny_qtypes[BRK_DNS_DENY_QTYPES_MAX];
	unsigned n_deny_qtypes;
	/* Session budgets per registrable domain. */
	unsigned budget_label_min_len;	/* suspect labels from this length */
	unsigned max_unique_subdomains;
	unsigned max_unique_he_subdomains;
	unsigned max_he_bytes;
	unsigned session_max_he_bytes;	/* all domains together */
	unsigned reasm_text_min_bytes;	/* reassembled text this long: deny */
	unsigned counter_drip_queries;	/* numbered pieces in a row: deny */
	unsigned tunnel_min_queries;	/* mix judged from this many queries */
	double tunnel_ratio;		/* TXT/NULL/CNAME/MX/SRV share */
	unsigned max_domains;		/* tracked per session; more: deny */
	int block_domain_on_deny;	/* a denied domain stays denied */
	/* Registrable domains (or suffixes of them) exempt from entropy and
	 * budget rules; qtype rules still apply. */
	char exempt[BRK_DNS_EXEMPT_MAX][256];
	unsigned n_exempt;
	/* Set by code, not by keys. */
	brk_dns_scan_fn scan;
	void *scan_ctx;
};

/* Fills cfg with the defaults (documented in brk_dns_config_keys). */
void brk_dns_config_defaults(struct brk_dns_config *cfg);

/*
 * Sets one key (without the "dns." prefix) from its text value. Lists
 * ("deny_qtypes", "exempt") take comma-separated values and replace the
 * list; "exempt" with the value "none" empties it. On error writes a
 * message to err (if non-NULL) and returns -EINVAL (unknown key, bad
 * value, out of range) or -ENOSPC (list too long).
 */
int brk_dns_config_set(struct brk_dns_config *cfg, const char *key,
		       const char *value, char *err, size_t errlen);

/* Key names, one per line with default and meaning, for --help and man
 * pages: calls fn once per key. */
typedef void (*brk_dns_key_fn)(const char *key, const char *deflt,
			       const char *desc, void *ctx);
void brk_dns_config_keys(brk_dns_key_fn fn, void *ctx);

/* Creates session state with a copy of cfg (NULL: defaults). Returns 0,
 * -EINVAL, -ENOMEM. */
int brk_dns_state_new(struct brk_dns_state **out,
		      const struct brk_dns_config *cfg);
void brk_dns_state_free(struct brk_dns_state *st);

/* The session's counters for regdom (see dns_budget.h). */
struct brk_dns_domain_stats;
int brk_dns_state_stats(struct brk_dns_state *st, const char *regdom,
			struct brk_dns_domain_stats *out);

enum brk_dns_action {
	BRK_DNS_ALLOW = 0,
	BRK_DNS_DENY = 1,
};

#define BRK_DNS_REASON_MAX	768

struct brk_dns_verdict {
	enum brk_dns_action action;
	const char *rule;	/* static: "ok", "exempt", "malformed-name",
				 * "qtype", "binary-label", "label-entropy",
				 * "query-entropy-bytes", "encoded-text",
				 * "detector", "budget-unique-subdomains",
				 * "budget-unique-he-subdomains",
				 * "budget-entropy-bytes",
				 * "budget-session-bytes", "tunnel-qtype-mix",
				 * "reassembled-text", "reassembled-detector",
				 * "domain-table-full", "domain-blocked" */
	const char *figure;	/* the figure compared, static */
	double value;		/* its value */
	double limit;		/* the limit it met or crossed */
	const char *detector;	/* for the detector rules, else NULL */
	long budget_remaining;	/* high-entropy bytes left for the domain */
	char regdom[256];	/* clear if plain LDH, else redacted */
	char name_redacted[DLP_REDACT_MAX + 256 + 2];
	char reason[BRK_DNS_REASON_MAX];
};

/*
 * Judges one query name (presentation form) of type qtype, records it in
 * the session budget, and fills v. Returns BRK_DNS_ALLOW or BRK_DNS_DENY
 * (also in v->action); a malformed name is a deny, not an error.
 * -EINVAL for NULL arguments, -ENOMEM (v then says deny, "internal").
 */
int brk_dns_judge(struct brk_dns_state *st, const char *qname, uint16_t qtype,
		  struct brk_dns_verdict *v);

#endif /* DLP_BROKER_DNS_DNS_POLICY_H */
