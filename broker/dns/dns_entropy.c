/* SPDX-License-Identifier: MIT */
/*
 * dns_entropy.c - label features (charset, digit and vowel ratios, entropy
 * normalised by what a random label of that length and alphabet reaches) and
 * label decoding into candidate byte strings (see dns_entropy.h).
 * Called by dns_policy.c and dns_budget.c; no state, no locks.
 */
#include "config.h"

#include <arpa/nameser.h>
#include <errno.h>
#include <math.h>
#include <resolv.h>
#include <string.h>

#include "broker/dns/dns_entropy.h"

/* Alphabet size per charset, indexed by enum brk_dns_charset. base32 counts
 * '=' padding as part of the 32 since it only ever trails. */
static const unsigned brk_dns_cs_alphabet[] = {
	[BRK_DNS_CS_EMPTY] = 1,
	[BRK_DNS_CS_DIGITS] = 10,
	[BRK_DNS_CS_HEX] = 16,
	[BRK_DNS_CS_BASE32] = 32,
	[BRK_DNS_CS_ALNUM] = 37,
	[BRK_DNS_CS_BASE64URL] = 64,
	[BRK_DNS_CS_BASE64] = 65,
	[BRK_DNS_CS_OTHER] = 256,
};

static const char *const brk_dns_cs_names[] = {
	[BRK_DNS_CS_EMPTY] = "empty",
	[BRK_DNS_CS_DIGITS] = "digits",
	[BRK_DNS_CS_HEX] = "hex",
	[BRK_DNS_CS_BASE32] = "base32",
	[BRK_DNS_CS_ALNUM] = "alnum",
	[BRK_DNS_CS_BASE64URL] = "base64url",
	[BRK_DNS_CS_BASE64] = "base64",
	[BRK_DNS_CS_OTHER] = "other",
};

static const char *const brk_dns_enc_names[] = {
	[BRK_DNS_ENC_HEX] = "hex",
	[BRK_DNS_ENC_BASE32] = "base32",
	[BRK_DNS_ENC_BASE64] = "base64",
	[BRK_DNS_ENC_BASE64URL] = "base64url",
};

/* Character class bits of one byte; 0 for bytes outside every encoding. */
#define CC_DIGIT	0x01u
#define CC_LOWER	0x02u
#define CC_UPPER	0x04u
#define CC_HEXLETTER	0x08u	/* a-f A-F */
#define CC_B32DIGIT	0x10u	/* 2-7 */
#define CC_HYPHEN	0x20u
#define CC_UNDERSCORE	0x40u
#define CC_B64SYM	0x80u	/* + / */
#define CC_EQUALS	0x100u

static unsigned brk_dns_cclass(uint8_t c)
{
	unsigned m = 0;

	if (c >= '0' && c <= '9') {
		m |= CC_DIGIT;
		if (c >= '2' && c <= '7')
			m |= CC_B32DIGIT;
	} else if (c >= 'a' && c <= 'z') {
		m |= CC_LOWER;
		if (c <= 'f')
			m |= CC_HEXLETTER;
	} else if (c >= 'A' && c <= 'Z') {
		m |= CC_UPPER;
		if (c <= 'F')
			m |= CC_HEXLETTER;
	} else if (c == '-') {
		m |= CC_HYPHEN;
	} else if (c == '_') {
		m |= CC_UNDERSCORE;
	} else if (c == '+' || c == '/') {
		m |= CC_B64SYM;
	} else if (c == '=') {
		m |= CC_EQUALS;
	}
	return m;
}

const char *brk_dns_charset_name(enum brk_dns_charset cs)
{
	if ((unsigned)cs >= sizeof(brk_dns_cs_names) / sizeof(brk_dns_cs_names[0]))
		return "?";
	return brk_dns_cs_names[cs];
}

const char *brk_dns_encoding_name(enum brk_dns_encoding enc)
{
	if ((unsigned)enc >= BRK_DNS_ENC_COUNT)
		return "?";
	return brk_dns_enc_names[enc];
}

double brk_dns_expected_entropy(size_t n, unsigned a)
{
	double p, q, pmf, sum = 0.0;
	size_t k;

	if (n < 2 || a < 2)
		return 0.0;
	/*
	 * H = log2(n) - (1/n) * sum_symbols c*log2(c), and each symbol's count
	 * c is Binomial(n, 1/a), so E[H] = log2(n) - (a/n) * E[c log2 c].
	 * pmf(k+1) = pmf(k) * (n-k)/(k+1) * p/q. pmf(0) = q^n stays a normal
	 * double for n <= 1000 and a >= 2, so n is clamped there (labels are
	 * <= 63, whole names <= 255).
	 */
	if (n > 1000)
		n = 1000;
	p = 1.0 / (double)a;
	q = 1.0 - p;
	pmf = exp((double)n * log(q));
	for (k = 0; k < n; k++) {
		pmf *= ((double)(n - k) / (double)(k + 1)) * (p / q);
		if (k + 1 >= 2)
			sum += pmf * (double)(k + 1) * log2((double)(k + 1));
	}
	return log2((double)n) - ((double)a / (double)n) * sum;
}

/* Which of the character classes occur in a label. */
#define SEEN_NONNAME	0x01u	/* a byte of no class */
#define SEEN_LOWER	0x02u
#define SEEN_UPPER	0x04u
#define SEEN_LETTER_GZ	0x08u	/* a letter outside a-f */
#define SEEN_DIGIT_0189	0x10u	/* a digit outside base32's 2-7 */
#define SEEN_HYPHEN	0x20u
#define SEEN_UNDERSCORE	0x40u
#define SEEN_B64SYM	0x80u
#define SEEN_EQUALS	0x100u
#define SEEN_LETTER	(SEEN_LOWER | SEEN_UPPER)

static enum brk_dns_charset brk_dns_classify(unsigned seen)
{
	int mixed = (seen & SEEN_LETTER) == SEEN_LETTER;

	if (seen & SEEN_NONNAME)
		return BRK_DNS_CS_OTHER;
	if (!(seen & ~SEEN_DIGIT_0189))
		return BRK_DNS_CS_DIGITS;
	if (!mixed && !(seen & (SEEN_LETTER_GZ | SEEN_HYPHEN | SEEN_UNDERSCORE |
				SEEN_B64SYM | SEEN_EQUALS)))
		return BRK_DNS_CS_HEX;
	if (!mixed && !(seen & (SEEN_DIGIT_0189 | SEEN_HYPHEN | SEEN_UNDERSCORE |
				SEEN_B64SYM)))
		return BRK_DNS_CS_BASE32;
	if (!mixed && !(seen & (SEEN_UNDERSCORE | SEEN_B64SYM | SEEN_EQUALS)))
		return BRK_DNS_CS_ALNUM;
	if (!(seen & (SEEN_B64SYM | SEEN_EQUALS)))
		return BRK_DNS_CS_BASE64URL;
	if (!(seen & (SEEN_HYPHEN | SEEN_UNDERSCORE)))
		return BRK_DNS_CS_BASE64;
	return BRK_DNS_CS_OTHER;
}

int brk_dns_label_analyze(const uint8_t *p, size_t len,
			  struct brk_dns_label_stats *st)
{
	unsigned seen = 0, counts[256];
	size_t i, digits = 0, letters = 0, vowels = 0, seg = 0;
	int mixed;
	double h = 0.0;

	if (!st || (!p && len))
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->len = len;
	if (len == 0) {
		st->cs = BRK_DNS_CS_EMPTY;
		st->alphabet = 1;
		return 0;
	}

	for (i = 0; i < len; i++) {
		unsigned m = brk_dns_cclass(p[i]);
		uint8_t lc = (uint8_t)(p[i] | 0x20);

		if (!m)
			seen |= SEEN_NONNAME;
		if (m & CC_DIGIT) {
			digits++;
			if (!(m & CC_B32DIGIT))
				seen |= SEEN_DIGIT_0189;
		}
		if (m & (CC_LOWER | CC_UPPER)) {
			letters++;
			seen |= (m & CC_LOWER) ? SEEN_LOWER : SEEN_UPPER;
			if (!(m & CC_HEXLETTER))
				seen |= SEEN_LETTER_GZ;
			if (lc == 'a' || lc == 'e' || lc == 'i' || lc == 'o' ||
			    lc == 'u')
				vowels++;
		}
		if (m & CC_HYPHEN)
			seen |= SEEN_HYPHEN;
		if (m & CC_UNDERSCORE)
			seen |= SEEN_UNDERSCORE;
		if (m & CC_B64SYM)
			seen |= SEEN_B64SYM;
		if (m & CC_EQUALS)
			seen |= SEEN_EQUALS;
		if (m & (CC_HYPHEN | CC_UNDERSCORE))
			seg = 0;
		else if (++seg > st->longest_segment)
			st->longest_segment = seg;
	}
	mixed = (seen & SEEN_LETTER) == SEEN_LETTER;
	st->cs = brk_dns_classify(seen);
	st->alphabet = brk_dns_cs_alphabet[st->cs];

	/* Entropy over case-folded characters unless case carries data. */
	memset(counts, 0, sizeof(counts));
	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (!mixed && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c | 0x20);
		counts[c]++;
	}
	for (i = 0; i < 256; i++) {
		if (counts[i]) {
			double f = (double)counts[i] / (double)len;

			h -= f * log2(f);
		}
	}
	st->entropy = h;
	st->digit_ratio = (double)digits / (double)len;
	st->vowel_ratio = letters ? (double)vowels / (double)letters : 0.0;
	st->expected = brk_dns_expected_entropy(len, st->alphabet);
	st->max_reachable = log2((double)(len < st->alphabet ? len : st->alphabet));
	st->score = st->expected > 0.0 ? h / st->expected : 0.0;
	return 0;
}

int brk_dns_label_judge(const struct brk_dns_label_stats *st,
			const struct brk_dns_label_limits *lim,
			struct brk_dns_label_verdict *v)
{
	if (!st || !lim || !v)
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->score = st->score;
	if (st->len < lim->min_len) {
		v->figure = "length";
		v->value = (double)st->len;
		v->limit = lim->min_len;
		return 0;
	}
	if (st->score < lim->min_score) {
		v->figure = "score";
		v->value = st->score;
		v->limit = lim->min_score;
		return 0;
	}
	/*
	 * Words in hostnames are about 40% vowels; random base32/alnum about
	 * 15-20%, hex at most 2/16 of all characters. Mixed-case and
	 * symbol-bearing labels are not words, so the test is skipped there.
	 */
	if ((st->cs == BRK_DNS_CS_BASE32 || st->cs == BRK_DNS_CS_ALNUM) &&
	    st->vowel_ratio > lim->max_vowel_ratio) {
		v->figure = "vowel-ratio";
		v->value = st->vowel_ratio;
		v->limit = lim->max_vowel_ratio;
		return 0;
	}
	v->high = 1;
	v->figure = "score";
	v->value = st->score;
	v->limit = lim->min_score;
	return 1;
}

int brk_dns_label_assess(const uint8_t *p, size_t len,
			 const struct brk_dns_label_limits *lim,
			 struct brk_dns_label_verdict *v)
{
	struct brk_dns_label_stats st;
	struct brk_dns_label_verdict sv;
	size_t i, start = 0, he_bytes = 0, he_len = 0;
	int found = 0;

	if (!p || !lim || !v)
		return -EINVAL;
	brk_dns_label_analyze(p, len, &st);
	if (st.cs != BRK_DNS_CS_ALNUM && st.cs != BRK_DNS_CS_BASE64URL) {
		brk_dns_label_judge(&st, lim, v);
		v->he_len = v->high ? len : 0;
		v->he_bytes = v->he_len;
		return (int)v->he_bytes;
	}
	if (st.cs == BRK_DNS_CS_BASE64URL) {
		/* Mixed case: case carries data, judge it whole. A
		 * single-case label with '_' also lands here. */
		int lower = 0, upper = 0;

		for (i = 0; i < len; i++) {
			lower |= p[i] >= 'a' && p[i] <= 'z';
			upper |= p[i] >= 'A' && p[i] <= 'Z';
		}
		if (lower && upper) {
			brk_dns_label_judge(&st, lim, v);
			v->he_len = v->high ? len : 0;
			v->he_bytes = v->he_len;
			return (int)v->he_bytes;
		}
	}
	brk_dns_label_judge(&st, lim, v);	/* defaults when none is high */
	v->high = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != '-' && p[i] != '_')
			continue;
		if (i > start) {
			brk_dns_label_analyze(p + start, i - start, &st);
			if (brk_dns_label_judge(&st, lim, &sv) > 0) {
				he_bytes += i - start;
				if (!found || sv.score > v->score) {
					*v = sv;
					found = 1;
				}
				if (i - start > he_len)
					he_len = i - start;
			}
		}
		start = i + 1;
	}
	v->he_len = he_len;
	v->he_bytes = he_bytes;
	return (int)he_bytes;
}

double brk_dns_printable_ratio(const uint8_t *p, size_t len)
{
	size_t i, n = 0;

	if (!p || len == 0)
		return 0.0;
	for (i = 0; i < len; i++)
		if ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\t' ||
		    p[i] == '\n' || p[i] == '\r')
			n++;
	return (double)n / (double)len;
}

static double brk_dns_alnum_ratio(const uint8_t *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == ' ')
			n++;
	return len ? (double)n / (double)len : 0.0;
}

/* Value of c in enc's alphabet, or -1. '=' is handled by the callers. */
static int brk_dns_digit(enum brk_dns_encoding enc, uint8_t c)
{
	switch (enc) {
	case BRK_DNS_ENC_HEX:
		if (c >= '0' && c <= '9')
			return c - '0';
		c = (uint8_t)(c | 0x20);
		return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
	case BRK_DNS_ENC_BASE32:
		if (c >= '2' && c <= '7')
			return c - '2' + 26;
		c = (uint8_t)(c | 0x20);
		return (c >= 'a' && c <= 'z') ? c - 'a' : -1;
	case BRK_DNS_ENC_BASE64:
	case BRK_DNS_ENC_BASE64URL:
		if (c >= 'A' && c <= 'Z')
			return c - 'A';
		if (c >= 'a' && c <= 'z')
			return c - 'a' + 26;
		if (c >= '0' && c <= '9')
			return c - '0' + 52;
		if (enc == BRK_DNS_ENC_BASE64)
			return c == '+' ? 62 : c == '/' ? 63 : -1;
		return c == '-' ? 62 : c == '_' ? 63 : -1;
	default:
		return -1;
	}
}

static const unsigned brk_dns_enc_bits[] = {
	[BRK_DNS_ENC_HEX] = 4,
	[BRK_DNS_ENC_BASE32] = 5,
	[BRK_DNS_ENC_BASE64] = 6,
	[BRK_DNS_ENC_BASE64URL] = 6,
};

/*
 * Decodes s[0..n) under enc into out (cap bytes); trailing '=' padding is
 * accepted, any other foreign character refuses the whole string. Leftover
 * bits that do not make a byte are dropped. Returns bytes written, or -1.
 */
static long brk_dns_decode(enum brk_dns_encoding enc, const uint8_t *s,
			   size_t n, uint8_t *out, size_t cap)
{
	unsigned bits = brk_dns_enc_bits[enc], acc = 0, nacc = 0;
	size_t i, o = 0;

	while (n > 0 && s[n - 1] == '=' && enc != BRK_DNS_ENC_HEX)
		n--;
	for (i = 0; i < n; i++) {
		int d = brk_dns_digit(enc, s[i]);

		if (d < 0)
			return -1;
		acc = ((acc << bits) | (unsigned)d) & 0xffffu;
		nacc += bits;
		if (nacc >= 8) {
			nacc -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> nacc);
		}
	}
	return (long)o;
}

/* Group size in characters per encoding: the alignments worth trying. */
static const unsigned brk_dns_enc_group[] = {
	[BRK_DNS_ENC_HEX] = 2,
	[BRK_DNS_ENC_BASE32] = 8,
	[BRK_DNS_ENC_BASE64] = 4,
	[BRK_DNS_ENC_BASE64URL] = 4,
};

static int brk_dns_emit(enum brk_dns_encoding enc, const uint8_t *s, size_t n,
			size_t offset, unsigned first, unsigned nlabels,
			size_t min_len, brk_dns_candidate_fn fn, void *ctx)
{
	uint8_t buf[BRK_DNS_DECODE_MAX];
	struct brk_dns_candidate c;
	long got;

	if (offset >= n)
		return 0;
	got = brk_dns_decode(enc, s + offset, n - offset, buf, sizeof(buf));
	if (got < 0 || (size_t)got < min_len || got == 0)
		return 0;
	c.enc = enc;
	c.first_label = first;
	c.nlabels = nlabels;
	c.offset = offset;
	c.data = buf;
	c.len = (size_t)got;
	c.printable = brk_dns_printable_ratio(buf, c.len);
	c.alnum = brk_dns_alnum_ratio(buf, c.len);
	return fn(&c, ctx);
}

int brk_dns_decode_stream(const uint8_t *s, size_t n, size_t min_len,
			  brk_dns_candidate_fn fn, void *ctx)
{
	unsigned e, off;
	int rc;

	if (!fn || (!s && n))
		return -EINVAL;
	for (e = 0; e < BRK_DNS_ENC_COUNT; e++) {
		for (off = 0; off < brk_dns_enc_group[e]; off++) {
			rc = brk_dns_emit((enum brk_dns_encoding)e, s, n, off, 0,
					  0, min_len, fn, ctx);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/* Decodes labels [i, j) of a split name joined without dots. */
static int brk_dns_emit_run(const uint8_t *const *lab, const uint8_t *lablen,
			    unsigned i, unsigned j, size_t min_len,
			    brk_dns_candidate_fn fn, void *ctx)
{
	uint8_t joined[NS_MAXCDNAME];
	size_t n = 0;
	unsigned k, e;
	int rc;

	for (k = i; k < j; k++) {
		memcpy(joined + n, lab[k], lablen[k]);
		n += lablen[k];
	}
	for (e = 0; e < BRK_DNS_ENC_COUNT; e++) {
		rc = brk_dns_emit((enum brk_dns_encoding)e, joined, n, 0, i,
				  j - i, min_len, fn, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

int brk_dns_decode_candidates_min(const char *name, size_t min_len,
				  brk_dns_candidate_fn fn, void *ctx)
{
	uint8_t wire[NS_MAXCDNAME];
	const uint8_t *lab[NS_MAXCDNAME / 2];
	uint8_t lablen[NS_MAXCDNAME / 2];
	unsigned nl = 0, end, i, d;
	size_t off = 0;
	int rc;

	if (!name || !fn)
		return -EINVAL;
	if (min_len == 0)
		min_len = 6;
	if (ns_name_pton(name, wire, sizeof(wire)) < 0)
		return -EINVAL;
	/* ns_name_pton produced a valid uncompressed name: walk it. */
	while (off < sizeof(wire) && wire[off] != 0) {
		lablen[nl] = wire[off];
		lab[nl] = wire + off + 1;
		off += 1u + wire[off];
		nl++;
	}
	end = nl >= 2 ? nl - 1 : nl;
	for (i = 0; i < end; i++) {
		/* The label alone, then runs ending three, two, one and no
		 * labels short of the end (the attacker's own domain sits
		 * there), shortest first so the cleanest decoding is seen
		 * first. */
		rc = brk_dns_emit_run(lab, lablen, i, i + 1, min_len, fn, ctx);
		if (rc)
			return rc;
		for (d = 4; d-- > 0;) {
			if (end < d || end - d <= i + 1)
				continue;
			rc = brk_dns_emit_run(lab, lablen, i, end - d, min_len,
					      fn, ctx);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int brk_dns_decode_candidates(const char *name, brk_dns_candidate_fn fn,
			      void *ctx)
{
	return brk_dns_decode_candidates_min(name, 0, fn, ctx);
}
