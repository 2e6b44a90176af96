/* SPDX-License-Identifier: MIT */
/*
 * dec_unspell.c - the decoder for a token prefix spelled backwards or
 * letter-shifted: "ghp_..." reversed ("..._phg"), in ROT-n for any n
 * ("tuc_..." is ROT13), both at once, and ROT18 (ROT13 plus ROT5 of the
 * digits). A detector whose value we do not know is found by its fixed
 * prefix; these transforms keep that prefix's shape (letters stay letters
 * of the same case, '_' and '-' stay where they were, the letter-to-letter
 * distances mod 26 stay), so the decoder looks only where a '_' or '-'
 * could be one of a prefix's, checks the prefix's shape around it, and
 * puts the window the detector would need, turned back, as a piece of
 * its child layer. The detectors then judge the window as they judge any
 * layer (checksums, shapes): a window that is no token costs its copy.
 *
 * Prefixes are the anchors of the specific detectors (det_table.c) with a
 * '_' or '-' and three letters or more: github_pat_, ghp_, npm_, glpat-,
 * xoxb-, sk-ant-api03-, the PEM BEGIN lines, ... Base64 or hex of a
 * reversed token is found by the graph: base64 decodes, this decoder
 * reverses the child.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "broker/scan/decode.h"
#include "broker/scan/det_table.h"
#include "broker/scan/detect.h"

#define UNSPELL_MAX 96            /* prefixes kept */
#define UNSPELL_WIN_MAX 4096      /* longest window put out */

struct prefix {
	const char *a;
	size_t len;
	size_t win;              /* bytes from the prefix start a match reaches */
};

/*
 * Where to look: a '_' or '-' of a prefix (spelled forwards or backwards)
 * with three letters of one case next to it, on one side, in the text.
 * The key is that trigger byte, the side, the case and the two distances
 * between the three letters mod 26: what any ROT-n leaves as it is. A
 * '_' or '-' in the input is looked at only when its neighbours' key is
 * one of these (a bit in keyset), one in about a hundred in JSON.
 */
#define KEYS (2 * 2 * 2 * 676)
struct entry {
	unsigned key;
	unsigned short pfx;      /* index into prefixes */
	unsigned char at, rev;   /* trigger's index in the text; backwards */
};

static struct prefix prefixes[UNSPELL_MAX];
static size_t nprefixes;
static size_t minrun = (size_t)-1;  /* the shortest token a prefix starts */
static struct entry entries[2 * UNSPELL_MAX];
static size_t nentries;
static uint8_t keyset[KEYS / 8 + 1];

/*
 * The same keys, looked up without arithmetic: pair[a | b << 8] is the
 * distance b - a mod 26 of two letters of one case (32 more if upper),
 * else NOPAIR; a trigger's side is then two such loads, u and v, and
 * one bit of pairset[trigger byte, side][u][v] (mixed cases and NOPAIR
 * never set). In JSON most triggers end there.
 */
#define NOPAIR 31
static uint8_t pair[1 << 16];
static uint64_t pairset[4][64];

static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t w;

	memcpy(&w, p, 2);   /* one load; pair[] is indexed in host order */
	return w;
}
static pthread_once_t once = PTHREAD_ONCE_INIT;

static inline int lower(uint8_t c)
{
	return c >= 'a' && c <= 'z';
}

static inline int upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

/* The key of x y z (three letters of one case) after (side 0) or before
 * (side 1) trigger byte c, or -1. */
static inline int key_of(uint8_t c, int side, uint8_t x, uint8_t y, uint8_t z)
{
	int up;

	if (lower(x) && lower(y) && lower(z))
		up = 0;
	else if (upper(x) && upper(y) && upper(z))
		up = 1;
	else
		return -1;
	return (((c == '-') * 2 + side) * 2 + up) * 676 + (y - x + 26) % 26 * 26 + (z - y + 26) % 26;
}

/* Register prefix k read forwards or backwards under its first trigger
 * with three letters beside it. */
static void add_entry(unsigned k, int rev)
{
	const struct prefix *x = &prefixes[k];
	uint8_t t[64];
	size_t n = x->len, j;

	if (n > sizeof(t))
		n = sizeof(t);
	for (j = 0; j < n; j++)
		t[j] = (uint8_t)x->a[rev ? x->len - 1 - j : j];
	for (j = 0; j < n; j++) {
		int key = -1;

		if (t[j] != '_' && t[j] != '-')
			continue;
		if (j >= 3)
			key = key_of(t[j], 0, t[j - 3], t[j - 2], t[j - 1]);
		if (key < 0 && j + 3 < n)
			key = key_of(t[j], 1, t[j + 1], t[j + 2], t[j + 3]);
		if (key < 0)
			continue;
		entries[nentries].key = (unsigned)key;
		entries[nentries].pfx = (unsigned short)k;
		entries[nentries].at = (unsigned char)j;
		entries[nentries].rev = (unsigned char)rev;
		nentries++;
		keyset[key / 8] |= (uint8_t)(1u << (key % 8));
		{
			unsigned grp = (unsigned)key / 1352, up = (unsigned)key / 676 % 2;
			unsigned u = up << 5 | (unsigned)key / 26 % 26, v = up << 5 | (unsigned)key % 26;

			pairset[grp][u] |= 1ull << v;
		}
		return;
	}
}

static void setup(void)
{
	size_t i, k, j;
	unsigned a, b;

	memset(pair, NOPAIR, sizeof(pair));
	for (a = 0; a < 26; a++)
		for (b = 0; b < 26; b++) {
			uint8_t lo[2] = { (uint8_t)('a' + a), (uint8_t)('a' + b) };
			uint8_t up[2] = { (uint8_t)('A' + a), (uint8_t)('A' + b) };

			pair[ld16(lo)] = (uint8_t)((b + 26 - a) % 26);
			pair[ld16(up)] = (uint8_t)(32 | (b + 26 - a) % 26);
		}

	for (i = 0; i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];

		if (d->flags & (BRK_SCAN_DF_GENERIC | BRK_SCAN_DF_NOCASE))
			continue;
		if (d->check && d->check != brk_scan_check_shape && d->check != brk_scan_check_pem)
			continue;
		for (k = 0; k < BRK_SCAN_MAX_ANCHORS && d->anchors[k] && nprefixes < UNSPELL_MAX; k++) {
			struct prefix *x = &prefixes[nprefixes];
			unsigned letters = 0;

			x->a = d->anchors[k];
			x->len = strlen(x->a);
			for (j = 0; j < x->len; j++)
				letters += lower((uint8_t)x->a[j]) || upper((uint8_t)x->a[j]);
			if (x->len < 4 || x->len > 64 || letters < 3)
				continue;
			x->win = d->maxlen ? d->maxlen : (size_t)d->pre_max + x->len + d->max + 1;
			if (x->win > UNSPELL_WIN_MAX)
				x->win = UNSPELL_WIN_MAX;
			if (d->check != brk_scan_check_pem && x->len + d->min < minrun)
				minrun = x->len + d->min;
			add_entry((unsigned)nprefixes, 0);
			add_entry((unsigned)nprefixes, 1);
			nprefixes++;
		}
	}
}

/*
 * Does the prefix x lie at p[i, i + x->len), read forwards (rev = 0) or
 * backwards from p[i + x->len - 1] (rev = 1), with its letters shifted by
 * one n (mod 26, case kept) and every other byte as it is? *n = the shift.
 * The caller made sure the bytes are there.
 */
static int shape_at(const struct prefix *x, const uint8_t *p, size_t i, int rev, int *n)
{
	size_t j;
	int s = -1;

	for (j = 0; j < x->len; j++) {
		uint8_t a = (uint8_t)x->a[j], c = p[rev ? i + x->len - 1 - j : i + j];
		int base;

		if (lower(a) && lower(c))
			base = 'a';
		else if (upper(a) && upper(c))
			base = 'A';
		else if (a == c && !lower(a) && !upper(a))
			continue;
		else
			return 0;
		if (s < 0)
			s = (c - a + 26) % 26;
		else if ((c - base - (a - base) + 26) % 26 != s)
			return 0;
	}
	*n = s < 0 ? 0 : s;
	return 1;
}

/* Put q[0,n) read backwards (rev) or forwards, letters shifted back by
 * sh, digits back by dsh (ROT5), as a new piece of o. */
static int put_window(struct brk_scan_out *o, const uint8_t *q, size_t n, int rev, int sh, int dsh)
{
	size_t j;
	int rc = brk_scan_out_piece(o, 1);

	for (j = 0; j < n && rc == 0; j++) {
		uint8_t c = q[rev ? n - 1 - j : j];

		if (lower(c))
			c = (uint8_t)('a' + (c - 'a' + 26 - sh) % 26);
		else if (upper(c))
			c = (uint8_t)('A' + (c - 'A' + 26 - sh) % 26);
		else if (dsh && c >= '0' && c <= '9')
			c = (uint8_t)('0' + (c - '0' + 10 - dsh) % 10);
		rc = brk_scan_out_byte(o, c);
	}
	return rc;
}

/* The prefix x spelled at p[i]: its window, turned back. */
static int emit(struct brk_scan_out *o, const uint8_t *p, size_t len, const struct prefix *x,
		size_t i, int rev, int n)
{
	size_t s, e;
	int rc;

	if (rev) {
		/* "...body...xiferp": the body is before the prefix */
		e = i + x->len;
		s = e > x->win ? e - x->win : 0;
	} else {
		s = i;
		e = len - i > x->win ? i + x->win : len;
	}
	rc = put_window(o, p + s, e - s, rev, n, 0);
	/* ROT18: the letters by 13, the digits by 5 */
	if (rc == 0 && n == 13)
		rc = put_window(o, p + s, e - s, rev, n, 5);
	return rc;
}

/* The '_' or '-' at p[i] whose neighbours on one side have the key: the
 * prefixes registered under it whose shape is there. */
static __attribute__((noinline)) int at_key(const uint8_t *p, size_t len, size_t i, int key,
					    struct brk_scan_out *o, size_t last[2])
{
	size_t k;
	int rc = 0;

	if (key < 0 || !(keyset[key / 8] & (1u << (key % 8))))
		return 0;
	for (k = 0; k < nentries && rc == 0; k++) {
		const struct entry *en = &entries[k];
		const struct prefix *x = &prefixes[en->pfx];
		size_t s;
		int n;

		if (en->key != (unsigned)key || i < en->at || i - en->at + x->len > len)
			continue;
		s = i - en->at;
		if (!shape_at(x, p, s, en->rev, &n) || (!en->rev && n == 0) || last[en->rev] == s)
			continue;   /* plain text: the detectors saw it */
		last[en->rev] = s;
		rc = emit(o, p, len, x, s, en->rev, n);
	}
	return rc;
}

/* Could the three bytes at p[at] be a side of some key of group grp
 * (trigger byte, side)? Two loads of pair[], one bit of pairset[]. */
static inline __attribute__((always_inline)) int side_maybe(const uint8_t *p, size_t at, unsigned grp)
{
	unsigned u = pair[ld16(p + at)], v = pair[ld16(p + at + 1)];

	return (int)(pairset[grp][u] >> v & 1);
}

/* The '_' or '-' at p[i]: the prefixes whose shape its neighbours have. */
static __attribute__((noinline)) int at_trigger_slow(const uint8_t *p, size_t len, size_t i,
						     struct brk_scan_out *o, size_t last[2])
{
	unsigned grp = (p[i] == '-') * 2u;
	int rc = 0;

	if (i >= 3 && side_maybe(p, i - 3, grp))
		rc = at_key(p, len, i, key_of(p[i], 0, p[i - 3], p[i - 2], p[i - 1]), o, last);
	if (rc == 0 && i + 3 < len && side_maybe(p, i + 1, grp + 1))
		rc = at_key(p, len, i, key_of(p[i], 1, p[i + 1], p[i + 2], p[i + 3]), o, last);
	return rc;
}

/* Most '-' and '_' sit between digits, punctuation or letters no key
 * has: rejected here by four loads of pair[] and two of pairset[], both
 * sides at once, no call. */
static inline __attribute__((always_inline)) int at_trigger(const uint8_t *p, size_t len, size_t i,
							    struct brk_scan_out *o, size_t last[2])
{
	if (i >= 3 && i + 4 <= len) {
		unsigned grp = (p[i] == '-') * 2u;
		uint64_t h = pairset[grp][pair[ld16(p + i - 3)]] >> pair[ld16(p + i - 2)] |
			     pairset[grp + 1][pair[ld16(p + i + 1)]] >> pair[ld16(p + i + 2)];

		if (!(h & 1))
			return 0;
	}
	return at_trigger_slow(p, len, i, o, last);
}

#ifdef __x86_64__
/* Bit k < 16: p[at + k] is '_' or '-'. */
static inline unsigned trig16(const uint8_t *p, size_t at)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + at));

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')),
							_mm_cmpeq_epi8(x, _mm_set1_epi8('-'))));
}
#endif

/* The triggers in p[lo, hi) (p[0, len) readable). Inlined: one call
 * per run cost as much as the run's blocks. */
static inline __attribute__((always_inline)) int scan_range(const uint8_t *p, size_t len, size_t lo, size_t hi, struct brk_scan_out *o,
		      size_t last[2])
{
	size_t i = lo;
	int rc = 0;

#ifdef __x86_64__
	if (brk_scan_dec_simd && len >= 16) {
		/* whole blocks, then the last one loaded where it still fits in
		 * p[0, len) and masked to [i, hi): no byte-by-byte tail */
		for (; rc == 0 && i + 16 <= hi; i += 16) {
			unsigned m = trig16(p, i);

			for (; m && rc == 0; m &= m - 1)
				rc = at_trigger(p, len, i + (unsigned)__builtin_ctz(m), o, last);
		}
		if (rc == 0 && i < hi) {
			size_t at = i + 16 <= len ? i : len - 16;
			unsigned m = trig16(p, at) >> (i - at) & ((1u << (hi - i)) - 1);

			for (; m && rc == 0; m &= m - 1)
				rc = at_trigger(p, len, i + (unsigned)__builtin_ctz(m), o, last);
		}
		return rc;
	}
#endif
	for (; i < hi && rc == 0; i++)
		if (p[i] == '_' || p[i] == '-')
			rc = at_trigger(p, len, i, o, last);
	return rc;
}

/* How far around a run of token characters a prefix may lie: a PEM
 * BEGIN line (not a run: it has spaces) before its body, of 64 or more
 * characters (after it, reversed). Every other prefix is made of token
 * characters: inside its run. */
#define RUN_REACH 48
#define PEM_RUN 64

int brk_scan_dec_unspell(const uint8_t *p, size_t len, struct brk_scan_out *o,
			 struct brk_scan_dec_env *env)
{
	const struct brk_scan_runs *runs = env ? env->runs : NULL;
	size_t last[2] = { (size_t)-1, (size_t)-1 }, k, done = 0;
	int rc = 0;

	pthread_once(&once, setup);
	if (len < 8)
		return 0;
	if (runs && runs->r && runs->done) {
		/* the base64 decoder before this one measured the runs of 16 or
		 * more base64/base64url characters: a token, shifted or
		 * reversed, is one ('_' and '-' included); look only there */
		for (k = 0; k < runs->n && rc == 0; k++) {
			size_t lo = runs->r[k][0], hi = runs->r[k][1];

			if (hi - lo < minrun)
				continue;   /* too short to hold any of the tokens */
			if (hi - lo >= PEM_RUN) {
				lo = lo > RUN_REACH ? lo - RUN_REACH : 0;
				hi = len - hi > RUN_REACH ? hi + RUN_REACH : len;
			}

			if (lo < done)
				lo = done;
			if (lo < hi)
				rc = scan_range(p, len, lo, hi, o, last);
			if (hi > done)
				done = hi;
		}
	} else {
		rc = scan_range(p, len, 0, len, o, last);
	}
	if (rc < 0 && rc != -EMSGSIZE)
		return rc;
	if (!o->len)
		return 0;
	return rc == -EMSGSIZE ? rc : 1;
}
