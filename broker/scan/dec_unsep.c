/* SPDX-License-Identifier: MIT */
/*
 * dec_unsep.c - the "unsep" decoder of the decode graph (decode.h): a
 * token cut every n characters (n = 1..8) by one separator ("ghp_cU-pd-x9-
 * 8d..." or "npm_GB_QM_d9_..."), put back together, at whatever offset the
 * first cut falls.
 *
 * known_variants.c adds the cut spellings of a known secret at offset 0,
 * and pat_trigger.c finds a detector's prefix cut where the cuts keep that
 * prefix whole; a cut at any other offset, or by '_' (which tokens hold
 * themselves: "npm_", "ghp_"), went through. This decoder looks for the
 * cuts themselves: three or more of one separator byte at the same
 * distance n + 1 from each other, with groups of token characters between
 * them. A group may hold the separator too ("gh_p__cU": '_' cut every 2 in
 * "ghp_cU"), since the cuts are found by their positions, not by their
 * byte alone. The token is put as a piece of the child with the bytes at
 * the cut positions removed and its uncut head (up to LEAD bytes before
 * the first cut) kept, so a detector sees its prefix and a known secret
 * matches whole. Prose rarely has three words of one length in a row and
 * 10 letters in them; what it has costs the copy of a few words.
 */
#include "config.h"

#include <string.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "broker/scan/decode.h"

#define UNSEP_NMAX 8     /* longest group between cuts */
#define UNSEP_MIN_SEPS 3 /* cuts in a row (two '/' or '-' a few bytes apart
			  * are all over base64 and base64url) */
#define UNSEP_MIN_CUT 8  /* bytes after the first cut: a token's, not "1.2.3" */
#define UNSEP_MIN_OUT 10 /* shortest token put out (a 12-byte password cut) */
#define UNSEP_LEAD 12    /* uncut bytes kept before the first cut, beyond a group */
#define UNSEP_MAX 4096   /* longest token put out */

/* the separators people type between groups (not blanks: prose is words
 * of a few lengths, and known_variants.c and pat_trigger.c cover blanks
 * at the alignments people use) */
static const uint8_t sep_tab[256] = {
	['_'] = 1, ['-'] = 1, ['.'] = 1, [':'] = 1, [','] = 1, [';'] = 1, ['/'] = 1,
	['|'] = 1,
};

/*
 * Byte classes: C_TOK a byte a token's group may hold (printable, no blank,
 * quote, bracket or backslash: what ends a token in JSON, code and prose),
 * C_DIG a digit, C_UPP and C_LOW a letter of each case. Built once (racy
 * but idempotent, as brk_scan_avx2()).
 */
#define C_TOK 1
#define C_DIG 2
#define C_UPP 4
#define C_LOW 8
static uint8_t cls[256];
static int cls_ready;

static void cls_init(void)
{
	unsigned c;

	for (c = 0x21; c < 0x7f; c++)
		cls[c] = strchr("\"'`\\()[]{}<>", (int)c) ? 0 : C_TOK;
	for (c = '0'; c <= '9'; c++)
		cls[c] |= C_DIG;
	for (c = 'A'; c <= 'Z'; c++)
		cls[c] |= C_UPP;
	for (c = 'a'; c <= 'z'; c++)
		cls[c] |= C_LOW;
	cls_ready = 1;
}

/* p[s, s + n) as a group: its classes ORed, 0 when a byte is no token's
 * (the separator itself may be one: "p_" of "ghp_" cut every 2). */
static unsigned group(const uint8_t *p, size_t s, size_t n)
{
	unsigned m = C_TOK, k;

	for (k = 0; k < n; k++) {
		uint8_t b = p[s + k];

		if (!(cls[b] & C_TOK))
			return 0;
		m |= cls[b];
	}
	return m;
}

/* Token-like classes: letters and digits, or both letter cases (prose,
 * dotted names and versions have neither) */
static int mixed(unsigned m)
{
	return ((m & C_DIG) && (m & (C_UPP | C_LOW))) || ((m & C_UPP) && (m & C_LOW));
}

/*
 * The token cut by c every n from p[i] (p[i] == c), measured: its start
 * *s, *k cuts, *tail bytes after the last one. Returns the bytes it puts
 * out, 0 when it is none: fewer than UNSEP_MIN_SEPS cuts, fewer than
 * UNSEP_MIN_CUT bytes after the first, or those not mixed() (dates,
 * versions, dotted names, prose).
 */
static size_t measure(const uint8_t *p, size_t len, size_t i, size_t n, uint8_t c, size_t *s,
		      size_t *k, size_t *tail)
{
	size_t at = i, h, t, lead;
	unsigned m = 0, g;

	*k = 0;
	while (at + 1 + n <= len && p[at] == c && (g = group(p, at + 1, n)) != 0 &&
	       at + 1 + n - i < UNSEP_MAX) {
		m |= g;
		++*k;
		at += n + 1;
	}
	/* the tail: up to n token bytes after the last cut (a short group) */
	t = 0;
	if (at < len && p[at] == c) {
		++*k;
		for (; t < n && at + 1 + t < len && (cls[p[at + 1 + t]] & C_TOK); t++)
			m |= cls[p[at + 1 + t]];
	} else {
		t = n;  /* the last full group is the tail */
	}
	if (*k < UNSEP_MIN_SEPS || *k * n + t - n < UNSEP_MIN_CUT || !mixed(m))
		return 0;
	/* the uncut head: token bytes before the first cut */
	lead = n + UNSEP_LEAD;
	for (h = i; h > 0 && i - h < lead && (cls[p[h - 1]] & C_TOK); h--)
		;
	*s = h;
	*tail = t;
	return (i - h) + (*k - 1) * n + t;
}

/* The token measured above into o as a piece: its head, then each group. */
static int put_token(const uint8_t *p, size_t i, size_t n, size_t s, size_t k, size_t tail,
		     struct brk_scan_out *o)
{
	size_t g;
	int rc;

	if ((rc = brk_scan_out_piece(o, 1)) < 0 || (rc = brk_scan_out_put(o, p + s, i - s)) < 0)
		return rc;
	for (g = 0; g < k; g++)
		if ((rc = brk_scan_out_put(o, p + i + g * (n + 1) + 1, g + 1 < k ? n : tail)) < 0)
			return rc;
	return 0;
}

struct walk {
	size_t base, step, end;   /* the cuts of the longest token put out */
	int any;
};

/* The separator at p[i], 0 < i, i + 2 < len: the tokens cut there, every
 * n that fits (a token holding the separator itself, "Tr0ub4dor&3-horse"
 * cut by '-', may fit more than one, and the matchers judge each reading).
 * A cut of the longest token put out starts no other (a run of k cuts is
 * not put out k times); other bytes inside it may ("ghp__cUpd_x98d": the
 * token's own '_', then the cuts). */
static int at_sep(const uint8_t *p, size_t len, size_t i, unsigned ns, struct brk_scan_out *o,
		  struct walk *w)
{
	uint8_t c = p[i];
	size_t n, k, s, tail;
	int rc;

	if (!(cls[p[i - 1]] & C_TOK) || !(cls[p[i + 1]] & C_TOK))
		return 0;
	if (i < w->end && (i - w->base) % w->step == 0)
		return 0;
	for (; ns; ns &= ns - 1) {
		n = (size_t)__builtin_ctz(ns) + 1;
		size_t last = (UNSEP_MIN_CUT + n - 1) / n;  /* the cuts it needs, after this one */

		if (last < UNSEP_MIN_SEPS - 1)
			last = UNSEP_MIN_SEPS - 1;
		/* the next two cuts and the last it needs: compares before a walk
		 * ("1.2.3.tgz" has too few) */
		if (i + last * (n + 1) >= len || p[i + n + 1] != c || p[i + 2 * n + 2] != c ||
		    p[i + last * (n + 1)] != c || measure(p, len, i, n, c, &s, &k, &tail) < UNSEP_MIN_OUT)
			continue;
		if ((rc = put_token(p, i, n, s, k, tail, o)) < 0)
			return rc;
		w->any = 1;
		if (i + (k - 1) * (n + 1) > w->end) {
			w->base = i;
			w->step = n + 1;
			w->end = i + (k - 1) * (n + 1);
		}
	}
	return 0;
}

#ifdef __x86_64__
/* Bit j: p[j] is a separator (sep_tab), 32 bytes, by two nibble
 * lookups: '_' 5f, '-' 2d, '.' 2e, ':' 3a, ',' 2c, ';' 3b, '/' 2f, '|' 7c. */
__attribute__((target("avx2"))) static uint32_t seps32(const uint8_t *p)
{
	const __m256i lo = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 9, 1, 1, 5,
					    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 9, 1, 1, 5);
	const __m256i hi = _mm256_setr_epi8(0, 0, 1, 2, 0, 4, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0,
					    0, 0, 1, 2, 0, 4, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0);
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i h = _mm256_and_si256(_mm256_srli_epi16(x, 4), _mm256_set1_epi8(0x0f));
	__m256i m = _mm256_and_si256(_mm256_shuffle_epi8(lo, x), _mm256_shuffle_epi8(hi, h));

	return ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
}

/*
 * The walk 32 bytes a step: a separator is looked at only when two more
 * follow it n + 1 and 2n + 2 bytes on for some n <= 8 (a 64-bit mask of
 * the separators from here: 13 shifts a step). Returns where it stopped
 * (the scalar loop goes on); a negative errno in *rc.
 */
__attribute__((target("avx2"))) static size_t walk_avx2(const uint8_t *p, size_t len,
							struct brk_scan_out *o, struct walk *w,
							int *rc)
{
	size_t i = 0;
	uint64_t cur, nx;

	if (len < 96)
		return 0;
	cur = seps32(p) & ~(uint32_t)1;     /* p[0]: no byte before it */
	for (; i + 96 <= len; i += 32) {
		uint64_t x, m, t1, t2, t3, t4, t5, t6, t7, t8;

		nx = seps32(p + i + 32);
		x = cur | nx << 32;
		if (cur) {
			t1 = x >> 2 & x >> 4;
			t2 = x >> 3 & x >> 6;
			t3 = x >> 4 & x >> 8;
			t4 = x >> 5 & x >> 10;
			t5 = x >> 6 & x >> 12;
			t6 = x >> 7 & x >> 14;
			t7 = x >> 8 & x >> 16;
			t8 = x >> 9 & x >> 18;
			for (m = cur & (t1 | t2 | t3 | t4 | t5 | t6 | t7 | t8); m; m &= m - 1) {
				unsigned j = (unsigned)__builtin_ctzll(m);
				unsigned ns = (unsigned)((t1 >> j & 1) | (t2 >> j & 1) << 1 |
							 (t3 >> j & 1) << 2 | (t4 >> j & 1) << 3 |
							 (t5 >> j & 1) << 4 | (t6 >> j & 1) << 5 |
							 (t7 >> j & 1) << 6 | (t8 >> j & 1) << 7);

				if ((*rc = at_sep(p, len, i + j, ns, o, w)) < 0)
					return i;
			}
		}
		cur = nx;
	}
	return i;
}
#endif

/* A layer that starts as binary data (a quarter of its first 256 bytes
 * control or high bytes: an upload, a compressed body) is not walked: a
 * cut token is text, and text inside binary bytes comes out of the
 * decompress and zip decoders as a layer of its own. */
static int binary_start(const uint8_t *p, size_t len)
{
	size_t i, n = len < 256 ? len : 256, bad = 0;

	for (i = 0; i < n; i++)
		bad += p[i] >= 0x7f || (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r');
	return bad * 4 >= n;
}

int brk_scan_dec_unsep(const uint8_t *p, size_t len, struct brk_scan_out *o,
		       struct brk_scan_dec_env *env)
{
	struct walk w = { .step = 1 };
	size_t i = 1;
	int rc = 0;

	(void)env;
	if (len < UNSEP_MIN_OUT + UNSEP_MIN_SEPS)
		return 0;
	if (!cls_ready)
		cls_init();
	if (binary_start(p, len))
		return 0;
#ifdef __x86_64__
	if (brk_scan_avx2()) {
		i = walk_avx2(p, len, o, &w, &rc);
		if (rc < 0)
			return rc;
		if (i == 0)
			i = 1;
	}
#endif
	for (; i + 2 < len; i++)
		if (sep_tab[p[i]] == 1 && (rc = at_sep(p, len, i, 0xff, o, &w)) < 0)
			return rc;
	return w.any && o->len;
}
