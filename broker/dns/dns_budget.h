/* SPDX-License-Identifier: MIT */
/*
 * dns_budget.h - per-session DNS state keyed by registrable domain (libpsl,
 * builtin Public Suffix List): unique subdomains, cumulative high-entropy
 * bytes, query-type mix (tunnel patterns), and reassembly of labels across
 * queries so a secret sent one short label per query can be decoded.
 *
 * The budget only counts; dns_policy.c decides. One struct brk_dns_budget
 * per jailed session, shared by all broker threads serving it: every entry
 * point takes its mutex. Reassembled streams are copied out under the lock
 * and decoded outside it (brk_dns_reasm_walk), so a slow scanner callback
 * never holds other client threads.
 */
#ifndef DLP_BROKER_DNS_DNS_BUDGET_H
#define DLP_BROKER_DNS_DNS_BUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "broker/dns/dns_entropy.h"

struct brk_dns_budget;

#define BRK_DNS_MAX_LABELS	128
#define BRK_DNS_REGDOM_MAX	256

/* A name split into labels, with its registrable domain located. */
struct brk_dns_name {
	uint8_t wire[256];		/* uncompressed wire form */
	unsigned nlabels;
	const uint8_t *label[BRK_DNS_MAX_LABELS];	/* into wire */
	uint8_t len[BRK_DNS_MAX_LABELS];
	unsigned reg_first;		/* first label of the registrable
					 * domain; == nlabels for the root */
	int reg_clean;			/* registrable labels are all LDH */
	char regdom[BRK_DNS_REGDOM_MAX];	/* lower case, presentation */
};

/*
 * Splits name (presentation form, RFC 1035 escapes allowed, a final dot
 * optional) and finds its registrable domain with psl_registrable_domain()
 * over psl_builtin(). A name that is itself a public suffix (or has one
 * label) is its own registrable domain with no subdomain part. Labels with
 * bytes outside [A-Za-z0-9_-] never become part of the lookup string: they
 * stand in as "x", so hostile bytes never reach libpsl.
 * Returns 0, -EINVAL for NULL or a malformed name.
 */
int brk_dns_name_split(const char *name, struct brk_dns_name *n);

/* One judged query, as dns_policy.c hands it over. */
struct brk_dns_obs {
	const struct brk_dns_name *name;
	uint16_t qtype;
	size_t he_bytes;	/* bytes in high-entropy subdomain labels */
	unsigned he_labels;	/* how many such labels */
	/* optional, per subdomain label (index < name->reg_first): its
	 * high-entropy bytes. When set, a label counts towards the domain's
	 * budgets only the first time it is seen at its depth, so a constant
	 * word ("static" in cdn-01.static..cdn-40.static) is counted once. */
	const uint16_t *label_he;
};

/* Counters of one registrable domain after recording a query. */
struct brk_dns_domain_stats {
	unsigned long queries;
	unsigned long unique_subs;	/* distinct subdomain parts */
	unsigned long unique_he_subs;	/* of those, with a suspect label */
	unsigned long he_bytes;		/* suspect bytes over distinct subs */
	unsigned long tunnel_queries;	/* TXT NULL CNAME MX SRV private */
	unsigned long qtype_txt;
	unsigned long qtype_null;
	unsigned long qtype_cname;
	unsigned long session_he_bytes;	/* all domains together */
	unsigned long domains;		/* registrable domains seen */
	const char *blocked;		/* rule that blocked the domain for
					 * the session (static), or NULL */
	int new_sub;			/* this subdomain part was new */
	unsigned counter_run;		/* consecutive new subdomains under one
					 * parent whose first label is new data
					 * with a counter growing in even steps */
	int table_full;			/* domain not tracked: over max_domains */
};

/* Reassembly streams per registrable domain: one per label depth counted
 * from the registrable domain (1 = the label just left of it), up to
 * BRK_DNS_REASM_DEPTHS, plus one (index 0) of whole subdomain parts; then
 * the same again (index BRK_DNS_REASM_DEPTHS + 1 + depth) with counters
 * cut off the labels ("6768-0" -> "6768", "p3-QUtJ" -> "QUtJ"), so a drip
 * that numbers its pieces still reassembles. */
#define BRK_DNS_REASM_DEPTHS	4
#define BRK_DNS_REASM_MAX	512
#define BRK_DNS_REASM_STREAMS	(2 * (BRK_DNS_REASM_DEPTHS + 1))

struct brk_dns_reasm {
	size_t len[BRK_DNS_REASM_STREAMS];
	uint8_t data[BRK_DNS_REASM_STREAMS][BRK_DNS_REASM_MAX];
	int grown[BRK_DNS_REASM_STREAMS];	/* appended to this time */
};

/*
 * A label made of data and a decimal counter joined by '-' or '_':
 * form 0 is "<data>-<counter>" ("6768-0", "QUtJ_12", "ab--007"), form 1
 * "<counter>-<data>" with up to two letters before the counter ("3-QUtJ",
 * "p3-QUtJ"). The data part must be at least 2 characters, the counter
 * 1-6 digits. Returns 1 and the data part and counter, or 0.
 */
int brk_dns_label_counter(const uint8_t *p, size_t n, int form, size_t *doff,
			  size_t *dlen, unsigned long *ctr);

/* Creates an empty session budget tracking at most max_domains registrable
 * domains (0: 4096). Returns 0, -EINVAL, -ENOMEM, or -errno from
 * pthread_mutex_init. */
int brk_dns_budget_new(struct brk_dns_budget **out, unsigned max_domains);
void brk_dns_budget_free(struct brk_dns_budget *b);

/*
 * Records one query: bumps the domain's counters, adds the subdomain part to
 * its distinct set, adds he_bytes to the budgets if the part is new, and
 * appends new parts' labels to the reassembly streams. Fills *st, and
 * *ra (if non-NULL) with a copy of the domain's streams. When the domain
 * table is full, st->table_full is set and nothing is recorded.
 * Returns 0, -EINVAL, -ENOMEM.
 */
int brk_dns_budget_record(struct brk_dns_budget *b,
			  const struct brk_dns_obs *o,
			  struct brk_dns_domain_stats *st,
			  struct brk_dns_reasm *ra);

/* Marks regdom blocked for the rest of the session; rule must be a static
 * string. The first rule sticks. Returns 0, -EINVAL, -ENOENT (never
 * recorded). */
int brk_dns_budget_block(struct brk_dns_budget *b, const char *regdom,
			 const char *rule);

/* Reads a domain's counters without recording. -ENOENT if never seen. */
int brk_dns_budget_lookup(struct brk_dns_budget *b, const char *regdom,
			  struct brk_dns_domain_stats *st);

/*
 * Decodes the streams of ra that grew (all if all is non-zero) under every
 * encoding and alignment (brk_dns_decode_stream) and hands each candidate
 * of at least min_len bytes to fn with depth = stream index. Returns 0 or
 * fn's non-zero value.
 */
typedef int (*brk_dns_reasm_fn)(unsigned depth,
				const struct brk_dns_candidate *c, void *ctx);
int brk_dns_reasm_walk(const struct brk_dns_reasm *ra, int all,
		       size_t min_len, brk_dns_reasm_fn fn, void *ctx);

/* Is qtype one that DNS tunnels favour (TXT, NULL, CNAME, MX, SRV, or the
 * private-use range 65280-65534)? */
int brk_dns_qtype_is_tunnel(uint16_t qtype);

#endif /* DLP_BROKER_DNS_DNS_BUDGET_H */
