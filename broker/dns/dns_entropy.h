/* SPDX-License-Identifier: MIT */
/*
 * dns_entropy.h - per-label features of DNS names and decoding of labels
 * that look like encoded data (hex, base32, base64, base64url).
 *
 * Pure functions, no state, no allocation on the heap: safe to call from any
 * broker thread. dns_policy.c combines the figures into a verdict; the lead
 * may also call brk_dns_decode_candidates() to run the scanning engine over
 * the bytes a name decodes to.
 *
 * Entropy is normalised by the entropy a uniformly random string of the same
 * length over the label's alphabet is expected to have (computed exactly from
 * the binomial letter counts), so a random hex label of 32 characters scores
 * about 1.0 even though it can never reach log2(32) bits per character.
 */
#ifndef DLP_BROKER_DNS_DNS_ENTROPY_H
#define DLP_BROKER_DNS_DNS_ENTROPY_H

#include <stddef.h>
#include <stdint.h>

/* Smallest alphabet a label fits in, most specific first. */
enum brk_dns_charset {
	BRK_DNS_CS_EMPTY = 0,
	BRK_DNS_CS_DIGITS,	/* [0-9]                          10 */
	BRK_DNS_CS_HEX,		/* [0-9a-f] single case           16 */
	BRK_DNS_CS_BASE32,	/* [a-z2-7] single case (RFC 4648) 32, '=' allowed */
	BRK_DNS_CS_ALNUM,	/* [a-z0-9-] single case (LDH)    37 */
	BRK_DNS_CS_BASE64URL,	/* [A-Za-z0-9_-] mixed case       64 */
	BRK_DNS_CS_BASE64,	/* [A-Za-z0-9+/=]                 65 */
	BRK_DNS_CS_OTHER,	/* anything else, raw bytes      256 */
};

/* Short lower-case name of a charset ("hex", "base32", ...). */
const char *brk_dns_charset_name(enum brk_dns_charset cs);

struct brk_dns_label_stats {
	size_t len;
	enum brk_dns_charset cs;
	unsigned alphabet;	/* size of cs's alphabet */
	double digit_ratio;	/* digits / len */
	double vowel_ratio;	/* a e i o u (any case) / letters, 0 if none */
	double entropy;		/* Shannon, bits per character (case folded
				 * unless the label is mixed case) */
	double expected;	/* expected entropy of a random string of len
				 * characters over alphabet */
	double max_reachable;	/* min(log2(alphabet), log2(len)) */
	double score;		/* entropy / expected, 0 when len < 2 */
	size_t longest_segment;	/* longest run between '-' or '_' */
};

/* Fills st with the features of the label p[0..len). len may be 0..255;
 * returns 0, or -EINVAL on NULL arguments. */
int brk_dns_label_analyze(const uint8_t *p, size_t len,
			  struct brk_dns_label_stats *st);

/* Expected Shannon entropy (bits/char) of a uniformly random string of n
 * characters over an alphabet of a symbols. 0 for n < 2 or a < 2. */
double brk_dns_expected_entropy(size_t n, unsigned a);

/* Thresholds for brk_dns_label_judge(); dns_policy.c fills them from its
 * config. */
struct brk_dns_label_limits {
	unsigned min_len;	/* shorter labels are never high-entropy */
	double min_score;	/* score at or above this is high-entropy */
	double max_vowel_ratio;	/* letter-heavy labels above this look like
				 * words, not encoded data */
};

struct brk_dns_label_verdict {
	int high;		/* 1 if the label is high-entropy */
	double score;		/* the normalised entropy */
	const char *figure;	/* the figure that decided: "score", "length",
				 * "vowel-ratio" (static string) */
	double value;		/* that figure's value */
	double limit;		/* and its limit */
	size_t he_len;		/* longest high-entropy stretch (label or
				 * segment), 0 if none */
	size_t he_bytes;	/* high-entropy bytes in the label */
};

/* Decides whether a label looks like encoded data. Returns v->high (0/1) or
 * -EINVAL. */
int brk_dns_label_judge(const struct brk_dns_label_stats *st,
			const struct brk_dns_label_limits *lim,
			struct brk_dns_label_verdict *v);

/*
 * Judges a whole label the way dns_policy.c needs it: a single-case label
 * with '-' or '_' in it is judged segment by segment (hex and base32 never
 * emit separators, so there they split words and ids: "k8s-prod-1a2b3c4d5e"
 * is three short segments, not one 18-character random string); other
 * labels as a whole. Fills v for the highest-scoring high segment (or the
 * whole label when none is high) with he_len and he_bytes set.
 * Returns he_bytes (>= 0) or -EINVAL.
 */
int brk_dns_label_assess(const uint8_t *p, size_t len,
			 const struct brk_dns_label_limits *lim,
			 struct brk_dns_label_verdict *v);

enum brk_dns_encoding {
	BRK_DNS_ENC_HEX = 0,
	BRK_DNS_ENC_BASE32,
	BRK_DNS_ENC_BASE64,
	BRK_DNS_ENC_BASE64URL,
	BRK_DNS_ENC_COUNT
};

const char *brk_dns_encoding_name(enum brk_dns_encoding enc);

/* Longest decoded candidate: 255 name bytes decode to at most 191 bytes, the
 * reassembly streams of dns_budget.c to at most 768. */
#define BRK_DNS_DECODE_MAX 1024

struct brk_dns_candidate {
	enum brk_dns_encoding enc;
	unsigned first_label;	/* labels [first_label, first_label+nlabels) */
	unsigned nlabels;	/* 0 when decoded from a stream, not a name */
	size_t offset;		/* characters skipped before decoding */
	const uint8_t *data;	/* decoded bytes, valid during the callback */
	size_t len;
	double printable;	/* fraction of printable ASCII (incl. \t\r\n) */
	double alnum;		/* fraction of [A-Za-z0-9] and space */
};

/* Called once per candidate; a non-zero return stops the walk and is
 * returned by the walker. */
typedef int (*brk_dns_candidate_fn)(const struct brk_dns_candidate *c,
				    void *ctx);

/*
 * Decodes the labels of name (presentation form, escapes as RFC 1035 /
 * ns_name_pton) as hex, base32, base64 and base64url: each label alone and
 * every run of consecutive labels joined (a secret split over labels),
 * dropping the last label (the TLD) when there are two or more. Candidates
 * shorter than min_len decoded bytes are skipped (0: use 6).
 * Returns 0 when the walk finished, the callback's non-zero value when it
 * stopped it, -EINVAL for a NULL or malformed name.
 */
int brk_dns_decode_candidates(const char *name, brk_dns_candidate_fn fn,
			      void *ctx);
int brk_dns_decode_candidates_min(const char *name, size_t min_len,
				  brk_dns_candidate_fn fn, void *ctx);

/*
 * Decodes the character stream s[0..n) under every encoding and every
 * alignment (offsets 0..7 for base32, 0..3 for base64, 0..1 for hex): the
 * stream may start mid-group when it was reassembled from a window.
 * Candidates shorter than min_len bytes are skipped. Return as above.
 */
int brk_dns_decode_stream(const uint8_t *s, size_t n, size_t min_len,
			  brk_dns_candidate_fn fn, void *ctx);

/* Fraction of bytes in p[0..len) that are printable ASCII or \t \r \n. */
double brk_dns_printable_ratio(const uint8_t *p, size_t len);

#endif /* DLP_BROKER_DNS_DNS_ENTROPY_H */
