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
 * 10 letters in them; what it has costs the copy of a few words. A token
 * cut unevenly, in as few as two places, is rejoin()'s (below).
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
#define UNSEP_MIN_UPPER 16 /* shortest token of capitals alone (AWS key ids: 20) */
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
#define C_JG 16  /* a group byte of an uneven cut (rejoin()) */
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
	for (c = 0; c < 256; c++)
		if (cls[c] & (C_DIG | C_UPP | C_LOW) || (sep_tab[c] && c != '/'))
			cls[c] |= C_JG;
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
 * dotted names and versions have neither), or capitals alone over
 * UNSEP_MIN_UPPER bytes put out: a base32 key may draw no digit ("AKIA"
 * and 16 of A-Z2-7: 1 in 5 has none), and constants cut into words of one
 * length ("MAX_LEN_FOR") are shorter. */
static int mixed(unsigned m, size_t out)
{
	return ((m & C_DIG) && (m & (C_UPP | C_LOW))) || ((m & C_UPP) && (m & C_LOW)) ||
	       ((m & (C_DIG | C_UPP | C_LOW)) == C_UPP && out >= UNSEP_MIN_UPPER);
}

/*
 * The token cut by c every n from p[i] (p[i] == c), measured: its start
 * *s, *k cuts, *tail bytes after the last one. A cut between two '/' ends
 * it (an npm tarball's "pkg-767/-/pkg-767-1.2.3.tgz", '-' every 5). Returns the bytes it puts
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
	       (c == '/' || p[at - 1] != '/' || p[at + 1] != '/') &&
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
	if (*k < UNSEP_MIN_SEPS || *k * n + t - n < UNSEP_MIN_CUT)
		return 0;
	/* the uncut head: token bytes before the first cut */
	lead = n + UNSEP_LEAD;
	for (h = i; h > 0 && i - h < lead && (cls[p[h - 1]] & C_TOK); h--)
		;
	if (!mixed(m, (i - h) + (*k - 1) * n + t))
		return 0;
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
	size_t jend;              /* where the last span rejoin() read ends, */
	uint8_t jc;               /* ... cut by jc */
	int any;
};

/*
 * Uneven cuts: a token cut by c in two or more places at any distances
 * ("ghp_dGlMoiyrl-fxX1rTnyFf3-vA7NUt...", or every 3, then 5, then 4).
 * The span is groups of letters, digits and other separators (no '+',
 * '/' or '=': base64 is not rejoined) of 1..UNSEP_JMAX bytes between
 * single cuts; "cc" is the token's own c next to a cut ("ghp__Y5Jh") and
 * is kept as one. Put out when it has UNSEP_MIN_SEPS - 1 cuts or more,
 * UNSEP_MIN_UPPER bytes, mixed() classes and random_like(): snake_case, dates, timestamps, versions
 * and dotted names fail one; a UUID (8-4-4-4-12 hex) is not cut. A short
 * head of letters ("ghp", "npm", "xoxb") is also put out with its cut kept:
 * the cut may be the token's own "ghp_".
 */
#define UNSEP_JMAX 48        /* longest group of an uneven cut */
#define UNSEP_JFIRST 29      /* ... after the first cut (the walk looks 31 on) */
#define UNSEP_MIN_CHANGES 4  /* random_like(): 16 random bytes have about 9 */
#define UNSEP_MIN_CAPS 10
#define UNSEP_JRUN 11        /* bytes from the first cut to the span's end */

static inline int jgroup_byte(uint8_t b, uint8_t c)
{
	return (cls[b] & C_JG) && b != c;
}

static int is_uuid(const uint8_t *p, size_t s, size_t e)
{
	static const char shape[] = "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh";
	size_t k;

	if (e - s != sizeof(shape) - 1)
		return 0;
	for (k = 0; k < sizeof(shape) - 1; k++)
		if (shape[k] == '-' ? p[s + k] != '-' : !strchr("0123456789abcdefABCDEF", p[s + k]))
			return 0;
	return 1;
}

/* The span's bytes without its cuts (a "cc" as one c), the one at keep
 * kept too */
static int put_span(const uint8_t *p, size_t s, size_t e, uint8_t c, size_t keep,
		    struct brk_scan_out *o)
{
	size_t a = s, k = s;
	int rc;

	if ((rc = brk_scan_out_piece(o, 1)) < 0)
		return rc;
	while (k < e) {
		if (p[k] != c || k == keep) {
			k++;
			continue;
		}
		if ((rc = brk_scan_out_put(o, p + a, k - a)) < 0)
			return rc;
		a = k + 1;
		k += k + 1 < e && p[k + 1] == c ? 2 : 1;
	}
	return brk_scan_out_put(o, p + a, e - a);
}

/* A random token's classes along p[s, e), the cuts skipped: changes of
 * class (digit, capital, small letter) every two bytes or so, where a
 * timestamp ("2023-11-02T08:05:59Z") or a versioned name has three or
 * four, or, without small letters (a base32 key id), UNSEP_MIN_CAPS
 * capitals (a timestamp has two) */
static int random_like(const uint8_t *p, size_t s, size_t e)
{
	unsigned n = 0, caps = 0, small = 0, prev = 0, k;

	for (; s < e; s++) {
		if (!(k = cls[p[s]] & (C_DIG | C_UPP | C_LOW)))
			continue;
		n += prev && k != prev;
		caps += k == C_UPP;
		small |= k == C_LOW;
		prev = k;
	}
	return n >= UNSEP_MIN_CHANGES || (!small && caps >= UNSEP_MIN_CAPS);
}

static int rejoin(const uint8_t *p, size_t len, size_t i, struct brk_scan_out *o,
		  struct walk *w)
{
	uint8_t c = p[i];
	size_t s, e, g, cuts = 0, out, head;
	unsigned m = C_TOK, hm = 0;
	int rc;

	if (c == '/' || (c == w->jc && i < w->jend) || i + 2 >= len ||
	    !jgroup_byte(p[i - 1], c))
		return 0;
	/* the cuts first: most separators have no second one */
	for (e = i; e < len && p[e] == c;) {
		size_t at = e + 1;

		size_t gmax = cuts ? UNSEP_JMAX : UNSEP_JFIRST;

		if (at < len && p[at] == c)
			at++;   /* "cc": the token's own c */

		for (g = at; g < len && g - at < gmax && jgroup_byte(p[g], c); g++)
			m |= cls[p[g]];
		if (g == at || (g < len && jgroup_byte(p[g], c)))
			break;  /* no group, or one too long for a cut token's */
		cuts++;
		e = g;
	}
	/* two cuts and 11 bytes on from the first: what the walk's filters
	 * ask before they offer a separator */
	if (cuts < UNSEP_MIN_SEPS - 1 || e - i < UNSEP_JRUN)
		return 0;
	/* a span is read once, from its first cut the walk offers */
	w->jend = e;
	w->jc = c;
	if (e < len && (p[e] == '+' || p[e] == '/' || p[e] == '='))
		return 0;       /* inside base64 or a path */
	for (s = i; s > 0 && i - s < UNSEP_JMAX && jgroup_byte(p[s - 1], c); s--)
		hm |= cls[p[s - 1]];
	/* a head too long for a cut token's, or inside base64 or a path */
	if (s > 0 && (jgroup_byte(p[s - 1], c) || p[s - 1] == '+' || p[s - 1] == '/'))
		return 0;
	head = i - s;
	out = e - s - cuts;     /* a "cc" is one byte more, which UNSEP_MAX forgives */
	m |= hm;
	if (out < UNSEP_MIN_UPPER || out > UNSEP_MAX || !mixed(m, out) || !random_like(p, s, e) ||
	    is_uuid(p, s, e))
		return 0;
	if ((rc = put_span(p, s, e, c, (size_t)-1, o)) < 0)
		return rc;
	if (head <= 4 && !(hm & C_DIG) && (rc = put_span(p, s, e, c, i, o)) < 0)
		return rc;
	w->any = 1;
	return 0;
}

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
	/* a path segment after the cut ("pkg-2842/-/pkg-2842-4.2.9.tgz": an
	 * npm tarball's URL, '-' every 5): no token from this cut. A token
	 * whose group starts with '/' (base64, 1 in 64) is read from its next
	 * cut on, the group before it kept uncut in the head. */
	if (p[i + 1] == '/' && c != '/')
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
/*
 * Two masks of 32 bytes at p: *sep bit j when p[j] is a separator (sep_tab),
 * by one lookup per low nibble of the byte the separator with that nibble
 * would be ('_' 5f and '/' 2f, '|' 7c and ',' 2c share one, hence two
 * tables), and *tok bit j when p[j] may be a token's byte: printable, no
 * blank or '"' (a superset of C_TOK: the walk only skips what at_sep()
 * refuses, so it may let through more, never less).
 */
__attribute__((target("avx2"))) static void masks32(const uint8_t *p, uint32_t *sep,
						    uint32_t *tok)
{
	const __m256i ta = _mm256_setr_epi8(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3a, 0x3b, 0x2c, 0x2d,
					    0x2e, 0x2f, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x3a, 0x3b,
					    0x2c, 0x2d, 0x2e, 0x2f);
	const __m256i tb = _mm256_setr_epi8(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7c, 0, 0, 0x5f,
					    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7c, 0, 0, 0x5f);
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i s = _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_shuffle_epi8(ta, x)),
				    _mm256_cmpeq_epi8(x, _mm256_shuffle_epi8(tb, x)));
	__m256i t = _mm256_andnot_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('"')),
					_mm256_cmpgt_epi8(x, _mm256_set1_epi8(0x20)));

	*sep = (uint32_t)_mm256_movemask_epi8(s);
	*tok = (uint32_t)_mm256_movemask_epi8(t);
}

/* masks32() of p[off, off + 64) into 64-bit masks */
__attribute__((target("avx2"), always_inline)) static inline void
masks64(const uint8_t *p, uint64_t *sep, uint64_t *tok)
{
	uint32_t a, b, c, d;

	masks32(p, &a, &b);
	masks32(p + 32, &c, &d);
	*sep = (uint64_t)a | (uint64_t)c << 32;
	*tok = (uint64_t)b | (uint64_t)d << 32;
}

/* ... at the end: the bytes past len are zeros (neither) */
__attribute__((target("avx2"), noinline)) static void masks64_end(const uint8_t *p, size_t len,
								  size_t off, uint64_t *sep,
								  uint64_t *tok)
{
	uint8_t pad[64] = { 0 };

	if (off < len)
		memcpy(pad, p + off, len - off);
	masks64(pad, sep, tok);
}

/*
 * The walk 64 bytes a step, the next block's masks read ahead (zeros past
 * len). A separator is looked at only when at_sep() could take it, by
 * filters from the cheapest: token bytes both sides of it (JSON's '":"'
 * and '","', prose's ", " fail here: one AND of three masks a block), a
 * run of 11 token bytes from it, a separator n + 1 and 2n + 2 on for some
 * n (eight shifted ANDs a block), then per separator left: the same byte
 * there and token bytes up to the second (a compare of the 32 bytes from
 * it, a bit extract of the even bits). Each is implied by what at_sep()
 * and measure() check, so the walk puts out what the scalar loop does
 * (t/unit/scan_unsep_test.c). Returns where it stopped (len: all of it);
 * a negative errno in *rc.
 */
__attribute__((target("avx2,bmi2"))) static size_t walk_avx2(const uint8_t *p, size_t len,
							     struct brk_scan_out *o,
							     struct walk *w, int *rc)
{
	size_t i = 0;
	uint64_t sc, tc, sn, tn, tp = 0;

	if (len >= 64)
		masks64(p, &sc, &tc);
	else
		masks64_end(p, len, 0, &sc, &tc);
	sc &= ~(uint64_t)1;     /* p[0]: no byte before it */
	for (; i < len; i += 64) {
		uint64_t m, mj;

		if (i + 128 <= len)
			masks64(p + i + 64, &sn, &tn);
		else
			masks64_end(p, len, i + 64, &sn, &tn);
		m = sc & (tc << 1 | tp >> 63) & (tc >> 1 | tn << 63);
		mj = 0;
		if (m) {
			/* ... that starts a run of at least 11 token bytes (a
			 * separator, 8 bytes of groups and two more cuts: measure()),
			 * and has a separator with token bytes both sides n + 1 on
			 * and one 2n + 2 on, for some n (the next block's are taken
			 * as if they had token bytes both sides) */
			unsigned __int128 y = (unsigned __int128)tn << 64 | tc, r2, r4;
			unsigned __int128 x = (unsigned __int128)sn << 64 | sc;
			unsigned __int128 xm = (unsigned __int128)sn << 64 | m;
			uint64_t f = 0;

			r2 = y & y >> 1;
			r4 = r2 & r2 >> 2;
			m &= (uint64_t)r4 & (uint64_t)(r4 >> 4) & (uint64_t)(r4 >> 7);
			mj = m;         /* rejoin() wants no more */
#define UNSEP_AT(d) ((uint64_t)(xm >> (d)) & (uint64_t)(x >> (2 * (d))))
			if (m) {
				f = UNSEP_AT(2) | UNSEP_AT(3) | UNSEP_AT(4) | UNSEP_AT(5) |
				    UNSEP_AT(6) | UNSEP_AT(7) | UNSEP_AT(8) | UNSEP_AT(9);
				m &= f;
			}
#undef UNSEP_AT
		}
		for (; mj; mj &= mj - 1) {
			size_t at = i + (size_t)__builtin_ctzll(mj);
			__m256i v;
			uint32_t e, t;
			unsigned run, ns;

			if (at + 32 <= len) {
				v = _mm256_loadu_si256((const __m256i *)(const void *)(p + at));
			} else {
				uint8_t pad[32] = { 0 };

				memcpy(pad, p + at, len - at);
				v = _mm256_loadu_si256((const __m256i *)(const void *)pad);
			}
			/* from p[at] on: bytes equal to it, token bytes (none past
			 * the end: the zeros of pad) */
			e = (uint32_t)_mm256_movemask_epi8(
				_mm256_cmpeq_epi8(v, _mm256_set1_epi8((char)p[at])));
			t = (uint32_t)_mm256_movemask_epi8(_mm256_andnot_si256(
				_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')),
				_mm256_cmpgt_epi8(v, _mm256_set1_epi8(0x20))));
			run = (unsigned)__builtin_ctz(~t | 1u << 31);
			if (m & (mj & -mj)) {
				/* bit n - 1: the same separator n + 1 and 2n + 2 on,
				 * and token bytes up to the second (at_sep() and
				 * measure() ask for no less) */
				ns = (e >> 2) & (unsigned)_pext_u32(e >> 4, 0x5555) & 0xff;

				if (!(e & 1u << 16))
					ns &= ~1u;      /* n = 1 wants 8 cuts on */
				if (!(e & 1u << 12))
					ns &= ~6u;      /* n = 2, 3 want 4 and 3 */
				ns &= run < 5 ? 0 : (1u << ((run - 3) / 2)) - 1;
				if (ns && (*rc = at_sep(p, len, at, ns, o, w)) < 0)
					return i;
			}
			/* rejoin(): a second cut by the same byte within 31 on,
			 * token bytes up to it and no '/' or '+' (no group's) */
			t &= ~(uint32_t)_mm256_movemask_epi8(
				_mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('/')),
						_mm256_cmpeq_epi8(v, _mm256_set1_epi8('+'))));
			run = ~t ? (unsigned)__builtin_ctz(~t) : 32;
			if (at + 2 < len && p[at] != '/' && (e & ~3u & (run < 32 ? (1u << run) - 1 : ~0u)) &&
			    (*rc = rejoin(p, len, at, o, w)) < 0)
				return i;
		}
		tp = tc;
		sc = sn;
		tc = tn;
	}
	return i;
}
#endif

#ifdef __x86_64__
/* BMI2's bit extract, which the walk uses (every AVX2 CPU has it) */
static int have_bmi2(void)
{
	static int have = -1;   /* racy but idempotent, as brk_scan_avx2() */

	if (have < 0)
		have = __builtin_cpu_supports("bmi2") ? 1 : 0;
	return have;
}
#endif

#ifdef __x86_64__
/* Bit j: p[j] is a control byte other than a tab or line end, DEL or a
 * high byte (binary_start()) */
__attribute__((target("avx2"))) static uint32_t binary32(const uint8_t *p)
{
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
	/* signed: the high bytes are below 0x20 too */
	__m256i low = _mm256_cmpgt_epi8(_mm256_set1_epi8(0x20), x);
	__m256i ok = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('\t')),
						      _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\n'))),
				     _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\r')));
	__m256i bad = _mm256_or_si256(_mm256_andnot_si256(ok, low),
				      _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7f)));

	return (uint32_t)_mm256_movemask_epi8(bad);
}
#endif

/* A layer that starts as binary data (a quarter of its first 256 bytes
 * control or high bytes: an upload, a compressed body) is not walked: a
 * cut token is text, and text inside binary bytes comes out of the
 * decompress and zip decoders as a layer of its own. */
static int binary_start(const uint8_t *p, size_t len)
{
	size_t i = 0, n = len < 256 ? len : 256, bad = 0;

#ifdef __x86_64__
	if (brk_scan_avx2())
		for (; i + 32 <= n; i += 32)
			bad += (size_t)__builtin_popcount(binary32(p + i));
#endif
	for (; i < n; i++)
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
	if (brk_scan_avx2() && have_bmi2()) {
		i = walk_avx2(p, len, o, &w, &rc);
		if (rc < 0)
			return rc;
		if (i == 0)
			i = 1;
	}
#endif
	for (; i + 2 < len; i++)
		if (sep_tab[p[i]] == 1 && ((rc = at_sep(p, len, i, 0xff, o, &w)) < 0 ||
					   (rc = rejoin(p, len, i, o, &w)) < 0))
			return rc;
	return w.any && o->len;
}
