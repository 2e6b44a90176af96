/* SPDX-License-Identifier: MIT */
/*
 * decode.c - the decoders of the decode graph and their registry (decode.h).
 *
 * Every decoder is total on arbitrary bytes (no UTF-8 assumption: invalid
 * sequences are copied through), writes only into the bounded output
 * buffer, and runs in time linear in its input. scan.c decides which
 * layers to decode further; fuzz/ drives each decoder directly.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "broker/scan/codec.h"
#include "broker/scan/decode.h"
#include "broker/scan/textrun.h"

#define MIN_RUN 16          /* shortest base64/hex run worth decoding */

int brk_scan_dec_simd = 2;  /* decode.h */

int brk_scan_avx2(void)
{
#ifdef __x86_64__
	static int have = -1;   /* racy but idempotent: every thread stores the same */

	if (have < 0)
		have = __builtin_cpu_supports("avx2") ? 1 : 0;
	return brk_scan_dec_simd >= 2 && have;
#else
	return 0;
#endif
}
#define MAX_HTTP_MSGS 64

/* ---- bounded output buffer ---------------------------------------- */

void brk_scan_out_init(struct brk_scan_out *o, size_t max)
{
	memset(o, 0, sizeof(*o));
	o->max = max;
}

/*
 * Room for n more bytes. Invariant: len <= cap <= max, so that the fast
 * path of brk_scan_out_byte() (len < cap) can never write past max, and
 * max - len never wraps. The doubling loop ends: need <= max, and each
 * step either doubles nc or sets it to max.
 */
static int out_grow(struct brk_scan_out *o, size_t n)
{
	size_t need, nc;
	uint8_t *np;

	if (o->len > o->max || n > o->max - o->len)
		return -EMSGSIZE;
	need = o->len + n;
	if (need <= o->cap)
		return 0;
	nc = o->cap ? o->cap : 4096;   /* a window's layer: a few KiB, grown once or not at all */
	while (nc < need)
		nc = nc > o->max / 2 ? o->max : nc * 2;
	if (nc > o->max)
		nc = o->max;  /* a small max: never a cap above it */
	np = realloc(o->p, nc);
	if (!np)
		return -ENOMEM;
	o->p = np;
	o->cap = nc;
	return 0;
}

int brk_scan_out_put(struct brk_scan_out *o, const void *p, size_t n)
{
	int rc;

	if (n == 0)
		return 0;
	rc = out_grow(o, n);
	if (rc < 0)
		return rc;
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return 0;
}

int brk_scan_out_byte(struct brk_scan_out *o, uint8_t c)
{
	if (o->len < o->cap && o->len < o->max) {
		o->p[o->len++] = c;
		return 0;
	}
	return brk_scan_out_put(o, &c, 1);
}

/* p[0..n) as it is, as n brk_scan_out_byte() calls would put it (up to
 * max, then -EMSGSIZE), in one copy: the plain bytes between escapes. */
static int out_run(struct brk_scan_out *o, const uint8_t *p, size_t n)
{
	size_t room = o->max > o->len ? o->max - o->len : 0;
	int rc;

	if (n <= room)
		return brk_scan_out_put(o, p, n);
	if (room && (rc = brk_scan_out_put(o, p, room)) < 0)
		return rc;
	return -EMSGSIZE;
}

/* The first of p[i..len) that is a or b, else len. */
static size_t span_not(const uint8_t *p, size_t i, size_t len, uint8_t a, uint8_t b)
{
	while (i < len && p[i] != a && p[i] != b)
		i++;
	return i;
}

int brk_scan_out_piece(struct brk_scan_out *o, int sep)
{
	int rc;

	if (sep && o->len > 0) {
		rc = brk_scan_out_byte(o, '\n');
		if (rc < 0)
			return rc;
	}
	if (o->npieces && o->pieces[o->npieces - 1] == o->len)
		return 0;
	if (o->npieces == o->pcap) {
		size_t nc = o->pcap ? o->pcap * 2 : 16;
		size_t *np = realloc(o->pieces, nc * sizeof(*np));

		if (!np)
			return -ENOMEM;
		o->pieces = np;
		o->pcap = nc;
	}
	o->pieces[o->npieces++] = o->len;
	return 0;
}

void brk_scan_out_reset(struct brk_scan_out *o)
{
	o->len = 0;
	o->npieces = 0;
}

void brk_scan_out_free(struct brk_scan_out *o)
{
	free(o->p);
	free(o->pieces);
	memset(o, 0, sizeof(*o));
}

/* ---- cooperative deadline ----------------------------------------- */

uint64_t brk_scan_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* set by a relay thread around each pair it serves (relay_wd.c) */
static _Thread_local const atomic_int *scan_abort;

void brk_scan_thread_abort(const atomic_int *flag)
{
	scan_abort = flag;
}

int brk_scan_deadline_check(uint64_t deadline_ns)
{
	if (scan_abort && atomic_load_explicit(scan_abort, memory_order_relaxed))
		return -ETIMEDOUT;
	return deadline_ns && brk_scan_now_ns() > deadline_ns ? -ETIMEDOUT : 0;
}

/* ---- helpers -------------------------------------------------------- */

/* 0-15 for hex digits, 0-63 for both base64 alphabets, -1 otherwise. */
static const int8_t hex_tab[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
	['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14,
	['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15,
	['F'] = 16,
};

static int hexval(uint8_t c)
{
	return hex_tab[c] - 1;  /* stored +1 so that 0 means "not hex" */
}

/* base64 value + 1 for both alphabets (0: not base64) */
static const int8_t b64_tab[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7,
	['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
	['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
	['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
	['-'] = 63, ['/'] = 64, ['_'] = 64,
};

/* UTF-8 (WTF-8 for lone surrogates) of code point cp. */
static int put_cp(struct brk_scan_out *o, uint32_t cp)
{
	uint8_t b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | (cp >> 6));
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | (cp >> 12));
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | (cp >> 18));
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return brk_scan_out_put(o, b, n);
}

/*
 * Escape-style decoders (percent, JSON, entities, quoted-printable) decode
 * only clusters of escapes plus CLUSTER_CTX bytes around them (keys such as
 * "aws_secret_access_key": before a value), not a full copy of a large
 * layer with one escape in it: this keeps the graph's fan-out bounded.
 */
#define CLUSTER_CTX 128
#define CLUSTER_RUN 4096

static int tokch(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '-' || c == '_' || c == '.' || c == '+' || c == '/' || c == '=' || c == '~';
}

/* A byte no text holds (tab, line ends and UTF-8 are text). */
static int ctl_byte(uint8_t c)
{
	return c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f;
}

/* The first byte of [s, i) after its last control byte (i: none). */
static size_t text_from(const uint8_t *p, size_t s, size_t i)
{
	size_t j = i;

	while (j > s && !ctl_byte(p[j - 1]))
		j--;
	return j;
}

/* The first control byte of [last, e), else e. */
static size_t text_to(const uint8_t *p, size_t last, size_t e)
{
	size_t j = last;

	while (j < e && !ctl_byte(p[j]))
		j++;
	return j;
}

/* A cluster shorter than the shortest value worth finding (known secrets
 * start at 8 bytes) is not decoded. */
#define CLUSTER_MIN 8

typedef size_t esc_fn(const uint8_t *p, size_t len, size_t i);
typedef int region_fn(const uint8_t *p, size_t len, struct brk_scan_out *o);

/* Next escape at or after i (escapes start with lead), its length in *k. */
static size_t next_esc(const uint8_t *p, size_t len, size_t i, size_t lim, uint8_t lead,
		       esc_fn *esc, size_t *k)
{
	while (i < lim) {
		const uint8_t *m = memchr(p + i, lead, lim - i);

		if (!m)
			return lim;
		i = (size_t)(m - p);
		if ((*k = esc(p, len, i)) != 0)
			return i;
		i++;
	}
	return lim;
}

static int clustered(const uint8_t *p, size_t len, uint8_t lead, esc_fn *esc, region_fn *dec,
		     struct brk_scan_out *o)
{
	size_t i = 0, prev = 0, k = 0;
	int rc, any = 0;

	while (i < len) {
		size_t s, last, e;

		i = next_esc(p, len, i, len, lead, esc, &k);
		if (i >= len)
			break;
		s = i > CLUSTER_CTX ? i - CLUSTER_CTX : 0;
		if (s < prev)
			s = prev;
		last = i + k;
		for (;;) {
			size_t j = last, lim = last + CLUSTER_CTX < len ? last + CLUSTER_CTX : len;

			j = next_esc(p, len, j, lim, lead, esc, &k);
			if (j >= lim)
				break;
			last = j + k;
		}
		e = last + CLUSTER_CTX < len ? last + CLUSTER_CTX : len;
		/* never cut a token in two: widen to the ends of the runs */
		for (k = 0; e < len && k < CLUSTER_RUN && tokch(p[e]); k++)
			e++;
		for (k = 0; s > prev && k < CLUSTER_RUN && tokch(p[s - 1]); k++)
			s--;
		/* the context is text: in binary (an upload, a tarball) it ends at
		 * the nearest control byte, so a '\' or '&' that random bytes hold
		 * every few KiB costs a few bytes, not a 300-byte near-copy that is
		 * matched and decoded again */
		s = text_from(p, s, i);
		e = text_to(p, last, e);
		if (e - s >= CLUSTER_MIN) {
			if ((rc = brk_scan_out_piece(o, 1)) < 0 || (rc = dec(p + s, e - s, o)) < 0)
				return rc;
			any = 1;
		}
		prev = i = e;
	}
	return any;
}

/* ---- base64 ------------------------------------------------------- */

/*
 * An npm tarball path, "<name>/-/<name>-<major>" (".tgz" and the rest of
 * the version are past the run's end), with "/"-separated segments before
 * it ("org/", a scope): one in every packument entry and lock file line.
 * Its segments of MIN_RUN or more are decoded one by one (b64_segments)
 * as for any run with a '/'; the whole run is not. Decoded whole it is 20
 * random bytes that cost a layer, its match and every decoder again in
 * each window. What that drops: base64 segments under MIN_RUN decoded in
 * the alignment of the run's start, which the sender picks by the length
 * of what precedes them (one more character in the host); the shape asks
 * for the name twice and a number, so a token's own base64 fits it only
 * as a name, which the segments decode aligned.
 */
static int tarball_path(const uint8_t *p, size_t start, size_t end, int *segs)
{
	size_t j = end, k, m, q;

	while (j > start && p[j - 1] >= '0' && p[j - 1] <= '9')
		j--;
	if (j == end || j == start || p[--j] != '-')
		return 0;
	for (k = j; k > start && p[k - 1] != '/'; k--)
		;
	/* p[k,j) is the name; "/-/" before it, then the same name */
	if (k == j || k < start + 3 + (j - k) || p[k - 2] != '-' || p[k - 3] != '/')
		return 0;
	m = k - 3;
	q = m - (j - k);
	/* a segment of MIN_RUN: the last one ("<name>-<major>", longer than
	 * the name) or one before the first name */
	*segs = end - k >= MIN_RUN || q > start + MIN_RUN;
	return (q == start || p[q - 1] == '/') && !memcmp(p + q, p + k, j - k);
}

/*
 * Runs of the union of both alphabets. A run continues across a line break
 * when the line so far is at least MIN_RUN long and the next line goes on
 * with base64 (MIME/PEM wrapping); '=' ends a run (padding, or the
 * separator in key=value). Padding is optional, trailing bits ignored.
 */
/*
 * Skip text that cannot hold a run of MIN_RUN (16) bytes of class tab[]:
 * 64-byte blocks become a bit mask (branch-free) and a block without 16
 * consecutive ones is passed over whole. Returns the start of the first run
 * that may be long enough, or the start of the unchecked tail. Keeps the
 * run decoders near memory speed on ordinary text, where most runs are
 * short words.
 */
#ifdef __SSE2__
/* Unsigned lo <= x <= hi on 16 bytes, via the signed compare. */
static __m128i in_range(__m128i x, uint8_t lo, uint8_t hi)
{
	return _mm_cmpgt_epi8(_mm_set1_epi8((char)(hi - lo + 1 - 128)),
			      _mm_sub_epi8(x, _mm_set1_epi8((char)(lo + 128))));
}

/* Bit mask of the 16 bytes at p that are hex digits (hex) or base64. */
static unsigned class16(const uint8_t *p, int hex)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p), m;

	m = _mm_or_si128(in_range(x, '0', '9'), hex ? in_range(x, 'a', 'f') : in_range(x, 'a', 'z'));
	m = _mm_or_si128(m, hex ? in_range(x, 'A', 'F') : in_range(x, 'A', 'Z'));
	if (!hex) {
		m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('+')));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('/')));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
		m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
	}
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

#ifdef __SSE2__
/* Bit mask of the 16 bytes at p whose base64 value is over 52: a digit,
 * '+', '/', '-' or '_' (b64_run's "digits": not a word). */
static unsigned digit16(const uint8_t *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(in_range(x, '0', '9'), _mm_cmpeq_epi8(x, _mm_set1_epi8('+')));

	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('/')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('-')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('_')));
	return (unsigned)_mm_movemask_epi8(m);
}

/* Bit mask of the 16 bytes at p that are hex letters (a-f, A-F). */
static unsigned hexalpha16(const uint8_t *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(in_range(x, 'a', 'f'), in_range(x, 'A', 'F')));
}

/* Bit mask of the 64 bytes at p in lo..hi. */
static uint64_t range64(const uint8_t *p, uint8_t lo, uint8_t hi)
{
	uint64_t m = 0;
	unsigned k;

	for (k = 0; k < 64; k += 16)
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(in_range(
			_mm_loadu_si128((const __m128i *)(const void *)(p + k)), lo, hi)) << k;
	return m;
}
#endif

#ifdef __x86_64__
/*
 * Bit mask of the 64 bytes at p that are base64 (hex = 0) or hex digits,
 * AVX2: a byte's class is lut_hi[high nibble] & lut_lo[low nibble] != 0,
 * one bit per (high nibble, low nibble range) group, two vpshufb a 32
 * bytes. Bytes >= 0x80 have high nibbles 8-15, whose entries are 0.
 */
__attribute__((target("avx2"))) static uint64_t class64_avx2(const uint8_t *p, int hex)
{
	/* base64: bit 0 "+-/" (2B 2D 2F), 1 '0'-'9', 2 'A'-'O' 'a'-'o',
	 * 3 'P'-'Z' 'p'-'z', 4 '_' (5F). hex: bit 1 '0'-'9', 2 'A'-'F' 'a'-'f' */
	const __m256i bhi = _mm256_setr_epi8(0, 0, 1, 2, 4, 8 | 16, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0,
					     0, 0, 1, 2, 4, 8 | 16, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i blo = _mm256_setr_epi8(2 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8,
					     2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 4 | 8, 1 | 4, 4,
					     1 | 4, 4, 1 | 4 | 16,
					     2 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8,
					     2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 4 | 8, 1 | 4, 4,
					     1 | 4, 4, 1 | 4 | 16);
	const __m256i hhi = _mm256_setr_epi8(0, 0, 0, 2, 4, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					     0, 0, 0, 2, 4, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i hlo = _mm256_setr_epi8(2, 2 | 4, 2 | 4, 2 | 4, 2 | 4, 2 | 4, 2 | 4, 2, 2, 2,
					     0, 0, 0, 0, 0, 0,
					     2, 2 | 4, 2 | 4, 2 | 4, 2 | 4, 2 | 4, 2 | 4, 2, 2, 2,
					     0, 0, 0, 0, 0, 0);
	const __m256i lh = hex ? hhi : bhi, ll = hex ? hlo : blo, nib = _mm256_set1_epi8(0x0f);
	uint64_t m = 0;
	unsigned k;

	for (k = 0; k < 64; k += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + k));
		__m256i c = _mm256_and_si256(_mm256_shuffle_epi8(lh, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib)),
					     _mm256_shuffle_epi8(ll, _mm256_and_si256(x, nib)));

		m |= (uint64_t)(uint32_t)~_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, _mm256_setzero_si256())) << k;
	}
	return m;
}
#endif

static size_t skip_short_runs(const int8_t *tab, const uint8_t *p, size_t len, size_t i)
{
#ifdef __x86_64__
	int avx2 = (tab == hex_tab || tab == b64_tab) && brk_scan_avx2();
#endif

	while (i + 64 <= len) {
		uint64_t m = 0, r;
		unsigned k, t;

#ifdef __x86_64__
		if (avx2) {
			m = class64_avx2(p + i, tab == hex_tab);
			goto runs;
		}
#endif
#ifdef __SSE2__
		if (tab == hex_tab || tab == b64_tab) {
			/* First a superset of the alphabet, one range ('0'..'f',
			 * '+'..'z'): a run of 16 holds one of the block's eight
			 * aligned 8-byte groups whole. No group all in range: no
			 * run of 16 starts before the block's trailing range run,
			 * where the next block starts (runs over the edge). */
			uint64_t sm = tab == hex_tab ? range64(p + i, '0', 'f') : range64(p + i, '+', 'z');

			if (!((~sm - 0x0101010101010101ULL) & sm & 0x8080808080808080ULL)) {
				i += 64 - (unsigned)__builtin_clzll(~sm);
				continue;
			}
		}
#endif
#ifdef __SSE2__
		if (tab == hex_tab || tab == b64_tab) {
			for (k = 0; k < 64; k += 16)
				m |= (uint64_t)class16(p + i + k, tab == hex_tab) << k;
		} else
#endif
		for (k = 0; k < 64; k++)
			m |= (uint64_t)(tab[p[i + k]] != 0) << k;
#ifdef __x86_64__
runs:
#endif
		r = m & (m >> 1);
		r &= r >> 2;
		r &= r >> 4;
		r &= r >> 8;
		if (r) {
			k = (unsigned)__builtin_ctzll(r);
			while (k > 0 && (m >> (k - 1)) & 1)
				k--;
			return i + k;
		}
		/* a run at the top may go on in the next block: overlap it */
		t = ~m ? (unsigned)__builtin_clzll(~m) : 64;
		i += 64 - t;
	}
	return i;
}

/* ---- digests ------------------------------------------------------ */

/*
 * Hash digests (npm's shasum, SRI integrity values, lock files) decode to
 * random bytes: as a layer they hold nothing a detector finds, and each
 * cost a match, decompression trials and every decoder again. A value of
 * a digest's length is decoded into a stack buffer first and dropped when
 * its bytes look random: no codec magic, no 8 printable ASCII bytes in a
 * row (a credential), no 12 bytes in a row with the same top bit (text
 * under a single-byte XOR, UTF-16). Anything else is emitted as before.
 */
#define DIGEST_MAX 70           /* bytes of the longest run decoded here */

/* Bit i of the result: bits i .. i + k - 1 of m are all set (k <= 16). */
static uint64_t run_of(uint64_t m, unsigned k)
{
	uint64_t r = m;
	unsigned have = 1;

	while (have * 2 <= k) {
		r &= r >> have;
		have *= 2;
	}
	/* two overlapping runs of have bits make one of k */
	return have < k ? r & (r >> (k - have)) : r;
}

/* The window b[0,64) of a digest of n <= 64 valid bytes (the buffer holds
 * 64): random-looking? (digest_like) */
static int digest_window(const uint8_t *b, size_t n)
{
	uint64_t pr = 0, top = 0, valid = n >= 64 ? ~0ULL : (1ULL << n) - 1, same;
	unsigned k;

#ifdef __SSE2__
	for (k = 0; k < 64; k += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + k));

		pr |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(in_range(x, 0x20, 0x7e),
									    in_range(x, 0x09, 0x0d))) << k;
		top |= (uint64_t)(unsigned)_mm_movemask_epi8(x) << k;
	}
#else
	for (k = 0; k < 64; k++) {
		pr |= (uint64_t)((b[k] >= 0x20 && b[k] < 0x7f) || (b[k] >= 0x09 && b[k] <= 0x0d)) << k;
		top |= (uint64_t)(b[k] >> 7) << k;
	}
#endif
	pr &= valid;
	/* bit i: bytes i and i + 1 share the top bit (both valid) */
	same = ~(top ^ (top >> 1)) & (valid >> 1);
	return !run_of(pr, 8) && !run_of(same, 11);
}

/* b[0,n) (n <= DIGEST_MAX, the buffer holds 64 bytes or n + 8 more) looks
 * like random bytes: see above. Two windows overlap over any run of 12. */
static int digest_like(const uint8_t *b, size_t n)
{
	if (n < 16 || brk_scan_codec_sniff(b, n) != BRK_SCAN_CODEC_NONE)
		return 0;
	return digest_window(b, n < 64 ? n : 64) && (n <= 64 || digest_window(b + n - 64, 64));
}

/* Hex digests: md5, sha1, sha256, sha384, sha512. */
static int hex_digest_len(size_t n)
{
	return n == 32 || n == 40 || n == 64 || n == 96 || n == 128;
}

static void hex_put(const uint8_t *p, size_t n, uint8_t *d);

/*
 * p[start,end) is a hex digest that the hex decoder would drop (hex_region:
 * hex digits only, a letter among them, a digest's length, random-looking
 * bytes). The base64 decoder, which measured the run, does not list it for
 * the hex decoder: a shasum is walked and decoded once, not twice.
 */
static int hex_digest_run(const uint8_t *p, size_t start, size_t end)
{
	uint8_t d[64] = { 0 };          /* >= 64: digest_like() */
	size_t n = end - start, k = start;
	int letters = 0;

	if (!hex_digest_len(n))
		return 0;
#ifdef __SSE2__
	for (; k + 16 <= end; k += 16) {
		if (class16(p + k, 1) != 0xffff)
			return 0;
		letters |= hexalpha16(p + k) != 0;
	}
#endif
	for (; k < end; k++) {
		if (!hex_tab[p[k]])
			return 0;
		letters |= hex_tab[p[k]] > 10;
	}
	if (!letters)
		return 0;
	hex_put(p + start, n, d);
	return digest_like(d, n / 2);
}

/* Extent of the base64 run at p[i] (see below): end offset, char count,
 * whether it has a digit, '+' or '/'. No output: most runs are words. */
static size_t b64_run(const uint8_t *p, size_t len, size_t i, size_t *nchars, int *digits)
{
	size_t line = 0, n = 0, s;
	int dig = 0;

	for (;;) {
		/* locals: a store through nchars could alias p (uint8_t) */
		s = i;
#ifdef __SSE2__
		/* 16 at a time: runs of hashes and tokens are long */
		while (i + 16 <= len) {
			unsigned m = class16(p + i, 0), run = m == 0xffff ? 16 : (unsigned)__builtin_ctz(~m);

			if (!dig && run)
				dig = (digit16(p + i) & ((1u << run) - 1)) != 0;
			i += run;
			if (run < 16)
				break;
		}
		if (i + 16 > len)
#endif
		for (; i < len && b64_tab[p[i]]; i++)
			dig |= b64_tab[p[i]] > 52;
		line += i - s;
		n += i - s;
		*nchars = n;
		*digits = dig;
		if (i < len && p[i] == '=') {
			while (i < len && p[i] == '=')
				i++;
			return i;
		}
		if (line >= MIN_RUN && i < len && (p[i] == '\n' || p[i] == '\r')) {
			size_t j = i;

			if (p[j] == '\r')
				j++;
			if (j < len && p[j] == '\n')
				j++;
			if (j < len && b64_tab[p[j]]) {
				i = j;
				line = 0;
				continue;
			}
		}
		return i;
	}
}

#ifdef __SSE2__
/*
 * 16 characters of either alphabet at p to 12 bytes at d, SSE2 (writes 13:
 * the caller checks the room); 0 when one of them is no base64 character
 * (a line break, padding: the byte loop below takes those). The value is
 * the character plus an offset chosen per class; four 6-bit values become
 * three bytes by two shift-and-or steps and a byte swap per 32-bit lane.
 */
static int b64_dec16(const uint8_t *p, uint8_t *d)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p), off, v, t, u;
	uint32_t w[4];

	/* 'A' -> 0, 'a' -> 26, '0' -> 52, '+' and '-' -> 62, '/' and '_' -> 63;
	 * every offset is non-zero, so no offset marks a byte outside both */
	off = _mm_or_si128(_mm_or_si128(_mm_and_si128(in_range(x, 'A', 'Z'), _mm_set1_epi8(-65)),
					_mm_and_si128(in_range(x, 'a', 'z'), _mm_set1_epi8(-71))),
			   _mm_or_si128(_mm_or_si128(_mm_and_si128(in_range(x, '0', '9'), _mm_set1_epi8(4)),
						     _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('+')),
								   _mm_set1_epi8(19))),
					_mm_or_si128(_mm_or_si128(_mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('-')),
										_mm_set1_epi8(17)),
								  _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('/')),
										_mm_set1_epi8(16))),
						     _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')),
								   _mm_set1_epi8(-32)))));
	if (_mm_movemask_epi8(_mm_cmpeq_epi8(off, _mm_setzero_si128())))
		return 0;
	v = _mm_add_epi8(x, off);
	/* 16-bit lanes v0 | v1 << 8 -> v0 << 6 | v1; 32-bit t0 | t1 << 16 -> t0 << 12 | t1 */
	t = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0x00ff)), 6), _mm_srli_epi16(v, 8));
	u = _mm_or_si128(_mm_slli_epi32(_mm_and_si128(t, _mm_set1_epi32(0xffff)), 12), _mm_srli_epi32(t, 16));
	/* each lane byte-swapped (<< 8 first): its three bytes in order, then 0 */
	u = _mm_slli_epi32(u, 8);
	u = _mm_or_si128(_mm_slli_epi16(u, 8), _mm_srli_epi16(u, 8));
	u = _mm_shufflehi_epi16(_mm_shufflelo_epi16(u, 0xb1), 0xb1);
	_mm_storeu_si128((__m128i *)(void *)w, u);
	memcpy(d, &w[0], 4);
	memcpy(d + 3, &w[1], 4);
	memcpy(d + 6, &w[2], 4);
	memcpy(d + 9, &w[3], 4);
	return 1;
}
#endif

#ifdef __x86_64__
/*
 * b64_put()'s loop 32 characters a step, AVX2, into 24 bytes (a store of
 * 32: *d + 32 must stay within lim): the class of each character as
 * class64_avx2() finds it (any outside both alphabets ends the loop), its
 * offset by the high nibble, corrected for '-', '/' and '_' (which share
 * one with '+' and 'P'-'Z'), then four 6-bit values to three bytes by two
 * multiply-adds, a byte shuffle per lane and a lane permute. Returns
 * where it stopped in p; *d moves on by 24 a step.
 */
__attribute__((target("avx2"))) static size_t b64_put_avx2(const uint8_t *p, size_t k, size_t end,
							    uint8_t **d, const uint8_t *lim)
{
	const __m256i bhi = _mm256_setr_epi8(0, 0, 1, 2, 4, 8 | 16, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0,
					     0, 0, 1, 2, 4, 8 | 16, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i blo = _mm256_setr_epi8(2 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8,
					     2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 4 | 8, 1 | 4, 4,
					     1 | 4, 4, 1 | 4 | 16,
					     2 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8,
					     2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 2 | 4 | 8, 4 | 8, 1 | 4, 4,
					     1 | 4, 4, 1 | 4 | 16);
	/* by high nibble: 2 '+' (43 -> 62), 3 digits, 4-5 'A'-'Z', 6-7 'a'-'z' */
	const __m256i off = _mm256_setr_epi8(0, 0, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,
					     0, 0, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i nib = _mm256_set1_epi8(0x0f);
	const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,
					      2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);

	for (; k + 32 <= end && *d + 32 <= lim; k += 32, *d += 24) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(p + k));
		__m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), nib), v;
		__m256i c = _mm256_and_si256(_mm256_shuffle_epi8(bhi, hi),
					     _mm256_shuffle_epi8(blo, _mm256_and_si256(x, nib)));

		if (_mm256_movemask_epi8(_mm256_cmpeq_epi8(c, _mm256_setzero_si256())))
			break;  /* a line break, padding: the loops below */
		v = _mm256_shuffle_epi8(off, hi);
		v = _mm256_blendv_epi8(v, _mm256_set1_epi8(17), _mm256_cmpeq_epi8(x, _mm256_set1_epi8('-')));
		v = _mm256_blendv_epi8(v, _mm256_set1_epi8(16), _mm256_cmpeq_epi8(x, _mm256_set1_epi8('/')));
		v = _mm256_blendv_epi8(v, _mm256_set1_epi8(-32), _mm256_cmpeq_epi8(x, _mm256_set1_epi8('_')));
		v = _mm256_add_epi8(x, v);
		/* 16-bit v0 << 6 | v1, then 32-bit t0 << 12 | t1: 24 bits a lane */
		v = _mm256_madd_epi16(_mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140)),
				      _mm256_set1_epi32(0x00011000));
		v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, pack),
						_mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7));
		_mm256_storeu_si256((__m256i *)(void *)*d, v);
	}
	return k;
}
#endif

/* Decode p[start,end) into o (room reserved by the caller). */
static void b64_put(const uint8_t *p, size_t start, size_t end, struct brk_scan_out *o)
{
	uint8_t *d = o->p + o->len;
	uint32_t acc = 0;
	int bits = 0;
	size_t k = start;

#ifdef __x86_64__
	if (brk_scan_avx2())
		k = b64_put_avx2(p, k, end, &d, o->p + o->cap);
#endif
#ifdef __SSE2__
	/* 16 characters at a time while no line break or padding comes
	 * and the buffer has room for the 13th byte written */
	while (brk_scan_dec_simd && k + 16 <= end && (size_t)(d - o->p) + 13 <= o->cap &&
	       b64_dec16(p + k, d)) {
		d += 12;
		k += 16;
	}
#endif
	/* four characters, three bytes at a time while no line break or
	 * padding interrupts (then, and for the tail, one by one) */
	while (k + 4 <= end) {
		int a = b64_tab[p[k]], b = b64_tab[p[k + 1]], c = b64_tab[p[k + 2]],
		    e = b64_tab[p[k + 3]];
		uint32_t v;

		if (!a || !b || !c || !e)
			break;
		v = (uint32_t)(a - 1) << 18 | (uint32_t)(b - 1) << 12 | (uint32_t)(c - 1) << 6 |
		    (uint32_t)(e - 1);
		d[0] = (uint8_t)(v >> 16);
		d[1] = (uint8_t)(v >> 8);
		d[2] = (uint8_t)v;
		d += 3;
		k += 4;
	}
	o->len = (size_t)(d - o->p);
	for (; k < end; k++) {
		int v = b64_tab[p[k]] - 1;

		if (v < 0)
			continue;  /* line breaks, padding */
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o->p[o->len++] = (uint8_t)(acc >> bits);
		}
	}
}

/*
 * Subresource Integrity values ("sha512-" and the base64 of the digest):
 * the run starts at the algorithm's name ('-' is base64url), out of step
 * with the digest. 1 when p[start,end) is one whose digest looks random,
 * decoded in step and as the whole run (so nothing either alignment holds
 * is dropped); 0 otherwise, with the in-step decode of an SRI value that
 * does not look random put into o as a piece of its own.
 */
static int sri_digest(const uint8_t *p, size_t start, size_t end, size_t nchars,
		      struct brk_scan_out *o, int *rc)
{
	static const struct { const char *alg; size_t al, chars; } sri[] = {
		{ "sha512-", 7, 86 }, { "sha384-", 7, 64 }, { "sha256-", 7, 43 }, { "sha1-", 5, 27 },
	};
	uint8_t d[DIGEST_MAX + 8] = { 0 }, w[DIGEST_MAX + 8] = { 0 };   /* >= 64: digest_like() */
	struct brk_scan_out t;
	size_t k, n, q, r, j;

	*rc = 0;
	if (end - start > 7 + 86 + 2 || p[start] != 's')
		return 0;
	for (k = 0; k < sizeof(sri) / sizeof(sri[0]); k++)
		if (nchars == sri[k].al + sri[k].chars && !memcmp(p + start, sri[k].alg, sri[k].al))
			break;
	if (k == sizeof(sri) / sizeof(sri[0]))
		return 0;
	/* the whole run as before (w), and the digest in step (d): the same
	 * bits, after the name's al * 6 */
	memset(&t, 0, sizeof(t));
	t.p = w;
	t.cap = t.max = sizeof(w);
	b64_put(p, start, end, &t);
	q = sri[k].al * 6 / 8;
	r = sri[k].al * 6 % 8;
	n = sri[k].chars * 6 / 8;
	/* constant shifts (sha1: 6, the others: 2); 16 bytes a step (w holds
	 * n + q + 1 + 16 bytes: DIGEST_MAX + 8 >= 64 + 5 + 1 + 8, and j + 16 <= n) */
	j = 0;
#ifdef __SSE2__
	for (; brk_scan_dec_simd && j + 16 <= n; j += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(w + q + j));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(w + q + j + 1));
		__m128i o2 = r == 2 ? _mm_or_si128(_mm_and_si128(_mm_slli_epi16(a, 2), _mm_set1_epi8((char)0xfc)),
						  _mm_and_si128(_mm_srli_epi16(b, 6), _mm_set1_epi8(0x03)))
				    : _mm_or_si128(_mm_and_si128(_mm_slli_epi16(a, 6), _mm_set1_epi8((char)0xc0)),
						  _mm_and_si128(_mm_srli_epi16(b, 2), _mm_set1_epi8(0x3f)));

		_mm_storeu_si128((__m128i *)(void *)(d + j), o2);
	}
#endif
	if (r == 2)
		for (; j < n; j++)
			d[j] = (uint8_t)(w[q + j] << 2 | w[q + j + 1] >> 6);  /* w: zeros after */
	else
		for (; j < n; j++)
			d[j] = (uint8_t)(w[q + j] << 6 | w[q + j + 1] >> 2);
	if (digest_like(d, n) && digest_like(w, t.len))
		return 1;
	/* not random: the digest in step too, exactly */
	t.p = d;
	t.len = 0;
	b64_put(p, start + sri[k].al, end, &t);
	if ((*rc = brk_scan_out_piece(o, 1)) == 0)
		*rc = brk_scan_out_put(o, d, t.len);
	return 0;
}

/* A run of hex digits only (either case): decoded as hex, never as
 * base64 (no text a detector finds base64-encodes to hex digits only:
 * every byte would lie in 0x68-0x7f, 0xd0-0xf7 or below 0x18). */
static int hex_only(const uint8_t *p, size_t start, size_t end)
{
	size_t k = start;

#ifdef __SSE2__
	while (k + 16 <= end && class16(p + k, 1) == 0xffff)
		k += 16;        /* a shasum: 40 digits */
#endif
	for (; k < end; k++)
		if (!hex_tab[p[k]] && p[k] != '=' && p[k] != '\r' && p[k] != '\n')
			return 0;
	return 1;
}

#define SEG_RUN_MAX 2048    /* longest run split at '/' (URL-sized) */

/*
 * '/' is a base64 character and a URL path separator: in
 * "/v1/<base64url>/x.png" the run starts at the first '/' and decodes out of
 * alignment. A short run with a '/' is also decoded segment by segment.
 */
static int b64_segments(const uint8_t *p, size_t start, size_t end, struct brk_scan_out *o)
{
	size_t s = start, k;
	int rc;

	if (end - start > SEG_RUN_MAX || !memchr(p + start, '/', end - start))
		return 0;
	for (k = start; k <= end; k++) {
		const uint8_t *q = k < end ? memchr(p + k, '/', end - k) : NULL;

		k = q ? (size_t)(q - p) : end;   /* the next '/', or the run's end */
		if (k - s >= MIN_RUN && !(s == start && k == end)) {
			if ((rc = brk_scan_out_piece(o, 1)) < 0 || (rc = out_grow(o, (k - s) / 4 * 3 + 2)) < 0)
				return rc;
			b64_put(p, s, k, o);
		}
		s = k + 1;
	}
	return 0;
}

#define SHORT_LINES_MIN 3   /* lines of one width in a row */

/* Length of the line at p[i] without its CR, if all of it is base64 and
 * padding and it is shorter than MIN_RUN (0 otherwise); *next: the start
 * of the next line. */
static size_t b64_line(const uint8_t *p, size_t len, size_t i, size_t *next)
{
	const uint8_t *nl = memchr(p + i, '\n', len - i);
	size_t e = nl ? (size_t)(nl - p) : len, n, k;

	*next = nl ? e + 1 : len;
	n = e - i;
	if (n && p[e - 1] == '\r')
		n--;
	if (!n || n >= MIN_RUN)
		return 0;
	for (k = i; k < i + n; k++)
		if (!b64_tab[p[k]] && p[k] != '=')
			return 0;
	return n;
}

/* Whether p[i, i + n) holds a digit, '+' or '/' (b64_run()'s "digits"). */
static int b64_digits(const uint8_t *p, size_t i, size_t n)
{
	while (n--)
		if (b64_tab[p[i++]] > 52)
			return 1;
	return 0;
}

/* A block of nl short lines p[start,end) as one run, if it is one (1). */
static int short_put(const uint8_t *p, size_t start, size_t end, size_t nl, size_t nchars,
		     int dig, struct brk_scan_out *o)
{
	int rc;

	if (nl < SHORT_LINES_MIN || nchars < MIN_RUN || (nchars < 40 && !dig))
		return 0;
	if ((rc = brk_scan_out_piece(o, 1)) < 0 || (rc = out_grow(o, nchars / 4 * 3 + 2)) < 0)
		return rc;
	b64_put(p, start, end, o);
	return 1;
}

/*
 * base64 wrapped at under MIN_RUN characters a line ("base64 -w 8", a
 * MIME part cut short): b64_run() joins lines only from MIN_RUN on, and
 * skip_short_runs() passes such text over. SHORT_LINES_MIN or more lines
 * of one width, then at most one shorter one, are decoded as one run once
 * they hold MIN_RUN characters (and, under 40, a digit, '+' or '/', as
 * for runs). Only layers with a line break pay: one memchr a line.
 */
static int b64_short_lines(const uint8_t *p, size_t len, struct brk_scan_out *o)
{
	size_t i, next, w = 0, nl = 0, start = 0, end = 0, nchars = 0, n;
	int any = 0, rc, dig = 0;
	if (!memchr(p, '\n', len))
		return 0;
	for (i = 0; i < len; i = next) {
		n = b64_line(p, len, i, &next);
		if (n && (n == w || !nl)) {         /* one more line of the width */
			if (!nl)
				start = i, w = n, nchars = 0, dig = 0;
			nl++;
			nchars += n;
			end = i + n;
			dig |= b64_digits(p, i, n);
			if (memchr(p + i, '=', n))
				n = 0;      /* padding ends the run */
			else
				continue;
		} else if (n && n < w && nl + 1 >= SHORT_LINES_MIN) {
			nl++;                /* the last, shorter line */
			nchars += n;
			end = i + n;
			dig |= b64_digits(p, i, n);
			n = 0;
		}
		if ((rc = short_put(p, start, end, nl, nchars, dig, o)) < 0)
			return rc;
		any |= rc;
		/* a base64 line of another width starts the next block */
		nl = 0;
		if (n) {
			start = i, w = n, nl = 1, nchars = n, end = i + n;
			dig = b64_digits(p, i, n);
		}
	}
	if ((rc = short_put(p, start, end, nl, nchars, dig, o)) < 0)
		return rc;
	return any | rc;
}

/*
 * Runs of the union of both alphabets. A run continues across a line break
 * when the line so far is at least MIN_RUN long and the next line goes on
 * with base64 (MIME/PEM wrapping); '=' ends a run (padding, or the
 * separator in key=value). Padding is optional, trailing bits ignored.
 * Runs shorter than MIN_RUN, and runs under 40 chars without a digit, '+'
 * or '/' (identifiers, words), are not decoded.
 */
int brk_scan_dec_base64(const uint8_t *p, size_t len, struct brk_scan_out *o,
			struct brk_scan_dec_env *env)
{
	struct brk_scan_runs *runs = env->runs && env->runs->r ? env->runs : NULL;
	size_t i = 0;
	int rc, any = 0;

	if (runs) {
		runs->n = 0;
		runs->done = 0;
	}
	while (i < len) {
		size_t start, end, nchars;
		int digits, segs;

		i = skip_short_runs(b64_tab, p, len, i);
		while (i < len && !b64_tab[p[i]])
			i++;
		if (i >= len)
			break;
		start = i;
		end = b64_run(p, len, i, &nchars, &digits);
		i = end > start ? end : start + 1;
		if (nchars == end - start && hex_digest_run(p, start, end))
			continue;       /* a shasum: nothing for either decoder */
		if (runs && nchars >= MIN_RUN) {
			if (runs->n < BRK_SCAN_RUNS_MAX) {
				runs->r[runs->n][0] = start;
				runs->r[runs->n][1] = end;
			}
			runs->n++;      /* past the max: the hex decoder scans itself */
		}
		if (nchars < MIN_RUN || (nchars < 40 && !digits) || hex_only(p, start, end))
			continue;
		if (end - start <= SEG_RUN_MAX && tarball_path(p, start, end, &segs)) {
			if (segs && (rc = b64_segments(p, start, end, o)) < 0)
				return rc;
			any |= o->len > 0;
			continue;
		}
		if (sri_digest(p, start, end, nchars, o, &rc) || rc < 0) {
			if (rc < 0)
				return rc;
			continue;       /* a digest: random bytes */
		}
		rc = brk_scan_out_piece(o, 1);
		if (rc == 0)
			rc = out_grow(o, nchars / 4 * 3 + 2);  /* 6 bits a char */
		if (rc < 0)
			return rc;
		b64_put(p, start, end, o);
		any = 1;
		if ((rc = b64_segments(p, start, end, o)) < 0)
			return rc;
	}
	if ((rc = b64_short_lines(p, len, o)) < 0)
		return rc;
	any |= rc;
	if (runs)
		runs->done = runs->n <= BRK_SCAN_RUNS_MAX;
	return any;
}

/* ---- hex ------------------------------------------------------------ */

/* The n (even) hex digits at p, all hex digits, into d: SSE2 16 at a
 * time ((c & 15) + 9 for letters), the tail one pair at a time. */
static void hex_put(const uint8_t *p, size_t n, uint8_t *d)
{
	size_t k = 0;

#ifdef __SSE2__
	for (; brk_scan_dec_simd && k + 16 <= n; k += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
		__m128i v = _mm_add_epi8(_mm_and_si128(x, _mm_set1_epi8(0x0f)),
					 _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('9')), _mm_set1_epi8(9)));
		__m128i t = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0x00ff)), 4),
					 _mm_srli_epi16(v, 8));

		_mm_storel_epi64((__m128i *)(void *)(d + k / 2), _mm_packus_epi16(t, t));
	}
#endif
	for (; k + 1 < n; k += 2)
		d[k / 2] = (uint8_t)((hex_tab[p[k]] - 1) << 4 | (hex_tab[p[k + 1]] - 1));
}

/*
 * A run of decimal digits that is hex of hex text: every pair at one of
 * the two alignments is '0'-'9', 'A'-'F' or 'a'-'f' spelled in hex (3x,
 * 41-46, 61-66). hex(hex(x)) has no letters, and hex(hex(hex(x))) only
 * 3x pairs, so the letters test alone takes them for numbers. Returns the
 * alignment (0 or 1), or -1: a number (a random digit pair passes with
 * p = 0.22, 16 pairs with p < 1e-10).
 */
static int hex_of_hex(const uint8_t *p, size_t n)
{
	unsigned a;
	size_t k;

	if (n < 2 * MIN_RUN)
		return -1;
	for (a = 0; a < 2; a++) {
		for (k = a; k + 1 < n; k += 2) {
			uint8_t h = p[k], l = p[k + 1];

			if (!(h == '3' || ((h == '4' || h == '6') && l >= '1' && l <= '6')))
				break;
		}
		if (k + 1 >= n)
			return (int)a;
	}
	return -1;
}

/* The hex runs of p[i,len) into o (*any set when one was). */
static int hex_region(const uint8_t *p, size_t i, size_t len, struct brk_scan_out *o, int *any)
{
	int rc;

	while (i < len) {
		size_t s, n;
		int letters = 0;

		i = skip_short_runs(hex_tab, p, len, i);
		while (i < len && !hex_tab[p[i]])
			i++;
		s = i;
#ifdef __SSE2__
		/* 16 at a time, as b64_run */
		while (i + 16 <= len) {
			unsigned m = class16(p + i, 1), run = m == 0xffff ? 16 : (unsigned)__builtin_ctz(~m);

			if (!letters && run)
				letters = (hexalpha16(p + i) & ((1u << run) - 1)) != 0;
			i += run;
			if (run < 16)
				break;
		}
		if (i + 16 > len)
#endif
		for (; i < len && hex_tab[p[i]]; i++)
			letters |= hex_tab[p[i]] > 10;
		n = i - s;
		if (n >= MIN_RUN && !letters) {
			int a = hex_of_hex(p + s, n);

			if (a < 0)
				continue;  /* a decimal number */
			s += (size_t)a;
			n -= (size_t)a;
		}
		if (n < MIN_RUN)
			continue;  /* short */
		if (hex_digest_len(n)) {
			uint8_t d[64] = { 0 };

			hex_put(p + s, n, d);
			if (digest_like(d, n / 2))
				continue;  /* a digest: random bytes */
		}
		rc = brk_scan_out_piece(o, 1);
		if (rc == 0)
			rc = out_grow(o, n / 2);
		if (rc < 0)
			return rc;
		hex_put(p + s, n & ~(size_t)1, o->p + o->len);
		o->len += n / 2;
		*any = 1;
	}
	return 0;
}

/* May p[s,e) hold 16 hex digits in a row? Such a run holds one of the
 * aligned 8-byte groups counted from s whole. lim: p's readable length. */
static int hex_maybe(const uint8_t *p, size_t s, size_t e, size_t lim)
{
	size_t i, k;

	for (i = s; i + 8 <= e; i += 8) {
#ifdef __SSE2__
		if (i + 16 <= lim) {
			unsigned m = class16(p + i, 1);

			if ((m & 0xff) == 0xff || (i + 16 <= e && (m >> 8) == 0xff))
				return 1;
			i += 8;
			continue;
		}
#endif
		for (k = 0; k < 8 && hex_tab[p[i + k]]; k++)
			;
		if (k == 8)
			return 1;
	}
	return 0;
}

int brk_scan_dec_hex(const uint8_t *p, size_t len, struct brk_scan_out *o,
		     struct brk_scan_dec_env *env)
{
	const struct brk_scan_runs *runs = env->runs;
	size_t k;
	int rc, any = 0;

	if (!runs || !runs->r || !runs->done)
		return (rc = hex_region(p, 0, len, o, &any)) < 0 ? rc : any;
	/* only inside the base64 runs the decoder before measured */
	for (k = 0; k < runs->n; k++)
		if (hex_maybe(p, runs->r[k][0], runs->r[k][1], len) &&
		    (rc = hex_region(p, runs->r[k][0], runs->r[k][1], o, &any)) < 0)
			return rc;
	return any;
}

/* ---- percent / form / query ----------------------------------------- */

static size_t esc_percent(const uint8_t *p, size_t len, size_t i)
{
	return (p[i] == '%' && i + 2 < len && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) ? 3 : 0;
}

static int region_percent(const uint8_t *p, size_t len, struct brk_scan_out *o)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		uint8_t c = p[i];

		if (esc_percent(p, len, i)) {
			c = (uint8_t)(hexval(p[i + 1]) << 4 | hexval(p[i + 2]));
			i += 2;
			rc = brk_scan_out_byte(o, c);
			continue;
		}
		if (c == '+')
			c = ' ';
		rc = brk_scan_out_byte(o, c);
		/* each query/form value is a fragment of its own */
		if (rc == 0 && (c == '&' || c == '?' || c == '=' || c == ';'))
			rc = brk_scan_out_piece(o, 0);
	}
	return rc;
}

int brk_scan_dec_percent(const uint8_t *p, size_t len, struct brk_scan_out *o,
			 struct brk_scan_dec_env *env)
{
	(void)env;
	return clustered(p, len, '%', esc_percent, region_percent, o);
}

/* ---- JSON / JS string escapes ------------------------------------- */

static int hex4(const uint8_t *p, size_t len, size_t i, uint32_t *v)
{
	size_t k;

	*v = 0;
	if (i + 4 > len)
		return 0;
	for (k = 0; k < 4; k++) {
		int h = hexval(p[i + k]);

		if (h < 0)
			return 0;
		*v = *v << 4 | (uint32_t)h;
	}
	return 1;
}

static size_t esc_json(const uint8_t *p, size_t len, size_t i)
{
	if (p[i] != '\\' || i + 1 >= len)
		return 0;
	switch (p[i + 1]) {
	case 'u': return i + 5 < len ? 6 : 0;
	case 'x': return i + 3 < len ? 4 : 0;
	/* \" and \\ matter: JSON escaped twice (a key file inside a JSON string) */
	case 'n': case 'r': case 't': case 'b': case 'f': case '"': case '\\': case '/': case '\'':
		return 2;
	default:
		return 0;
	}
}

static int region_json(const uint8_t *p, size_t len, struct brk_scan_out *o)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		uint8_t c = p[i];
		uint32_t cp, lo;
		size_t j = span_not(p, i, len, '"', '\\');

		if (j > i) {
			rc = out_run(o, p + i, j - i);
			i = j - 1;
			continue;
		}
		if (c == '"') {
			rc = brk_scan_out_byte(o, c);
			if (rc == 0)
				rc = brk_scan_out_piece(o, 0);
			continue;
		}
		if (c != '\\' || i + 1 >= len) {
			rc = brk_scan_out_byte(o, c);
			continue;
		}
		switch (p[i + 1]) {
		case 'n': rc = brk_scan_out_byte(o, '\n'); i++; break;
		case 'r': rc = brk_scan_out_byte(o, '\r'); i++; break;
		case 't': rc = brk_scan_out_byte(o, '\t'); i++; break;
		case 'b': rc = brk_scan_out_byte(o, '\b'); i++; break;
		case 'f': rc = brk_scan_out_byte(o, '\f'); i++; break;
		case '"': case '\\': case '/': case '\'':
			rc = brk_scan_out_byte(o, p[i + 1]);
			i++;
			break;
		case 'x':
			if (i + 3 < len && hexval(p[i + 2]) >= 0 && hexval(p[i + 3]) >= 0) {
				rc = brk_scan_out_byte(o, (uint8_t)(hexval(p[i + 2]) << 4 | hexval(p[i + 3])));
				i += 3;
			} else {
				rc = brk_scan_out_byte(o, c);
			}
			break;
		case 'u':
			if (!hex4(p, len, i + 2, &cp)) {
				rc = brk_scan_out_byte(o, c);
				break;
			}
			i += 5;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < len + 0 && p[i + 1] == '\\' &&
			    p[i + 2] == 'u' && hex4(p, len, i + 3, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			}
			rc = put_cp(o, cp);
			break;
		default:
			rc = brk_scan_out_byte(o, c);
		}
	}
	return rc;
}

int brk_scan_dec_json(const uint8_t *p, size_t len, struct brk_scan_out *o,
		      struct brk_scan_dec_env *env)
{
	(void)env;
	return clustered(p, len, '\\', esc_json, region_json, o);
}

/* ---- HTML / XML entities ------------------------------------------ */

static const struct {
	const char *name;
	const char *utf8;
} entities[] = {
	{ "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" }, { "apos", "'" },
	{ "nbsp", "\xc2\xa0" }, { "colon", ":" }, { "sol", "/" }, { "equals", "=" },
	{ "plus", "+" }, { "lowbar", "_" }, { "hyphen", "-" }, { "dash", "-" },
	{ "period", "." }, { "comma", "," }, { "excl", "!" }, { "num", "#" },
	{ "dollar", "$" }, { "percnt", "%" }, { "lpar", "(" }, { "rpar", ")" },
	{ "ast", "*" }, { "lsqb", "[" }, { "rsqb", "]" }, { "lcub", "{" }, { "rcub", "}" },
	{ "bsol", "\\" }, { "Hat", "^" }, { "grave", "`" }, { "verbar", "|" },
	{ "quest", "?" }, { "commat", "@" }, { "semi", ";" }, { "NewLine", "\n" },
	{ "Tab", "\t" }, { "tilde", "~" },
};

static size_t esc_html(const uint8_t *p, size_t len, size_t i)
{
	size_t j;

	if (p[i] != '&' || i + 2 >= len)
		return 0;
	if (p[i + 1] == '#')
		return 3;
	for (j = i + 1; j < len && j - i <= 8; j++)
		if (p[j] == ';')
			return j - i + 1;
		else if (!((p[j] >= 'a' && p[j] <= 'z') || (p[j] >= 'A' && p[j] <= 'Z')))
			return 0;
	return 0;
}

static int region_html(const uint8_t *p, size_t len, struct brk_scan_out *o)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		size_t j = span_not(p, i, len, '&', '&'), k;
		uint32_t cp = 0;

		if (j > i) {
			rc = out_run(o, p + i, j - i);
			i = j - 1;
			continue;
		}
		if (p[i] != '&' || i + 2 >= len) {
			rc = brk_scan_out_byte(o, p[i]);
			continue;
		}
		j = i + 1;
		if (p[j] == '#') {
			int hex = (j + 1 < len && (p[j + 1] == 'x' || p[j + 1] == 'X'));
			size_t d = j + 1 + (size_t)hex, nd = 0;

			while (d < len && nd < 8 && (hex ? hexval(p[d]) >= 0 : (p[d] >= '0' && p[d] <= '9'))) {
				cp = cp * (hex ? 16 : 10) + (uint32_t)hexval(p[d]);
				d++;
				nd++;
			}
			if (nd == 0 || nd == 8 || cp > 0x10ffff) {
				rc = brk_scan_out_byte(o, p[i]);
				continue;
			}
			if (d < len && p[d] == ';')
				d++;
			rc = put_cp(o, cp);
			i = d - 1;
			continue;
		}
		for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++) {
			size_t nl = strlen(entities[k].name);

			if (j + nl < len && memcmp(p + j, entities[k].name, nl) == 0 && p[j + nl] == ';')
				break;
		}
		if (k == sizeof(entities) / sizeof(entities[0])) {
			rc = brk_scan_out_byte(o, p[i]);
			continue;
		}
		rc = brk_scan_out_put(o, entities[k].utf8, strlen(entities[k].utf8));
		i = j + strlen(entities[k].name);
	}
	return rc;
}

int brk_scan_dec_html(const uint8_t *p, size_t len, struct brk_scan_out *o,
		      struct brk_scan_dec_env *env)
{
	(void)env;
	return clustered(p, len, '&', esc_html, region_html, o);
}

/* ---- quoted-printable ---------------------------------------------- */

static size_t esc_qp(const uint8_t *p, size_t len, size_t i)
{
	if (p[i] != '=' || i + 1 >= len)
		return 0;
	if (p[i + 1] == '\n')
		return 2;
	if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
		return 3;
	return (i + 2 < len && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) ? 3 : 0;
}

static int region_qp(const uint8_t *p, size_t len, struct brk_scan_out *o)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < len && rc == 0; i++) {
		size_t j = span_not(p, i, len, '=', '='), k;

		if (j > i) {
			rc = out_run(o, p + i, j - i);
			i = j - 1;
			continue;
		}
		k = esc_qp(p, len, i);
		if (k == 0) {
			rc = brk_scan_out_byte(o, p[i]);
		} else {
			if (p[i + 1] != '\n' && p[i + 1] != '\r')
				rc = brk_scan_out_byte(o, (uint8_t)(hexval(p[i + 1]) << 4 | hexval(p[i + 2])));
			i += k - 1;
		}
	}
	return rc;
}

int brk_scan_dec_qp(const uint8_t *p, size_t len, struct brk_scan_out *o,
		    struct brk_scan_dec_env *env)
{
	(void)env;
	return clustered(p, len, '=', esc_qp, region_qp, o);
}

/* ---- decompression by magic or by trial ----------------------------- */

static int binaryish(const uint8_t *p, size_t n)
{
	size_t i, bad = 0;

	if (n > 256)
		n = 256;
	for (i = 0; i < n; i++)
		bad += (p[i] < 0x09 || p[i] >= 0x7f || (p[i] > 0x0d && p[i] < 0x20));
	return n >= 8 && bad * 4 >= n;
}

#define MAX_TRIALS 32
/* Raw deflate after a text prefix ("HEADER..." and the stream: no magic):
 * tried at the last MID_BACK offsets before the first non-text byte of
 * the first MID_LOOK bytes, after MID_TEXT text bytes at least (a deflate
 * stream's first bytes may be text themselves). Binary layers (their first
 * non-text byte early) and text layers (no control byte: no_magic) cost
 * nothing. */
#define MID_TEXT 16
#define MID_LOOK 4096
#define MID_BACK 8

/*
 * The first i >= from that starts a gzip (1f 8b 08), zstd (28 b5 2f fd)
 * or bzip2 ("BZh" digit "1AY&SY": 10 bytes, so a "BZ" in text costs one
 * compare) magic number in p[0,len), else len. One SSE2 pass over all
 * three (it was a memchr() call per 0x1f and per 0xb5: every 256 bytes of
 * binary data). bzip2 was sniffed at a layer's start only: junk or a text
 * header before the stream hid it.
 */
static int magic_at(const uint8_t *p, size_t len, size_t i)
{
	return (p[i] == 0x1f && i + 3 <= len && p[i + 1] == 0x8b && p[i + 2] == 0x08) ||
	       (p[i] == 0x28 && i + 4 <= len && p[i + 1] == 0xb5 && p[i + 2] == 0x2f &&
		p[i + 3] == 0xfd) ||
	       (p[i] == 'B' && i + 10 <= len && p[i + 1] == 'Z' &&
		brk_scan_codec_sniff(p + i, len - i) == BRK_SCAN_CODEC_BZIP2);
}

#ifdef __x86_64__
/*
 * next_magic()'s loop 32 positions a step, AVX2, on byte pairs: 1f 8b
 * (gzip) or 28 b5 (zstd) starting at p[j] (one in 32,768 random pairs,
 * where the first byte alone was one in 128), each checked whole. From i
 * while p[i + 32] is readable; *at: where it stopped (no magic before).
 */
__attribute__((target("avx2"))) static size_t next_magic_avx2(const uint8_t *p, size_t len,
							       size_t i, size_t *at)
{
	const __m256i g0 = _mm256_set1_epi8(0x1f), g1 = _mm256_set1_epi8((char)0x8b);
	const __m256i z0 = _mm256_set1_epi8(0x28), z1 = _mm256_set1_epi8((char)0xb5);
	const __m256i b0 = _mm256_set1_epi8('B'), b1 = _mm256_set1_epi8('Z');

	for (; i + 33 <= len; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 1));
		unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
			_mm256_and_si256(_mm256_cmpeq_epi8(a, g0), _mm256_cmpeq_epi8(b, g1)),
			_mm256_or_si256(_mm256_and_si256(_mm256_cmpeq_epi8(a, z0), _mm256_cmpeq_epi8(b, z1)),
					_mm256_and_si256(_mm256_cmpeq_epi8(a, b0), _mm256_cmpeq_epi8(b, b1)))));

		for (; m; m &= m - 1)
			if (magic_at(p, len, i + (unsigned)__builtin_ctz(m)))
				return i + (unsigned)__builtin_ctz(m);
	}
	*at = i;
	return len;
}
#endif

static size_t next_magic(const uint8_t *p, size_t len, size_t i)
{
#ifdef __x86_64__
	if (brk_scan_avx2()) {
		size_t j = next_magic_avx2(p, len, i, &i);

		if (j < len)
			return j;
	}
#endif
#ifdef __SSE2__
	/* the first bytes only (0x1f, '(', 'B'): three in 256 random bytes,
	 * each checked whole */
	for (; i + 32 <= len; i += 32) {
		__m128i a0 = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
				     _mm_cmpeq_epi8(a0, _mm_set1_epi8(0x1f)),
				     _mm_cmpeq_epi8(a0, _mm_set1_epi8(0x28))),
				     _mm_cmpeq_epi8(a0, _mm_set1_epi8('B')))) |
			     (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
				     _mm_cmpeq_epi8(a1, _mm_set1_epi8(0x1f)),
				     _mm_cmpeq_epi8(a1, _mm_set1_epi8(0x28))),
				     _mm_cmpeq_epi8(a1, _mm_set1_epi8('B')))) << 16;

		for (; m; m &= m - 1)
			if (magic_at(p, len, i + (unsigned)__builtin_ctz(m)))
				return i + (unsigned)__builtin_ctz(m);
	}
#endif
	for (; i < len; i++)
		if (magic_at(p, len, i))
			return i;
	return len;
}

int brk_scan_dec_decompress(const uint8_t *p, size_t len, struct brk_scan_out *o,
			    struct brk_scan_dec_env *env)
{
	size_t k, trials = 0, np = env->npieces;
	size_t starts[MAX_TRIALS + 1];
	size_t ns = 0;
	int any = 0, rc;

	/* candidate starts: offset 0, piece starts, gzip/zstd magic anywhere */
	starts[ns++] = 0;
	for (k = 0; k < np && ns < MAX_TRIALS / 2; k++)
		if (env->pieces[k] != 0 && env->pieces[k] < len)
			starts[ns++] = env->pieces[k];
	if (!env->no_magic) {
		size_t first = len;

		for (k = env->magic_from > 1 ? env->magic_from : 1;
		     ns < MAX_TRIALS && (k = next_magic(p, len, k)) < len; k++) {
			if (first == len)
				first = k;
			starts[ns++] = k;
		}
		/* a magic cut by the end (4 bytes) is searched again next time */
		env->magic_first = first < len ? first : len > 4 ? len - 4 : 0;
		if (env->magic_first < env->magic_from)
			env->magic_first = env->magic_from;
	}
	if (!env->no_magic && !env->mid_start) {
		size_t t, j;

		for (t = 0; t < len && t < MID_LOOK && brk_scan_text_byte(p[t]); t++)
			;
		/* a zlib header after a shorter text prefix ("x: " and the
		 * stream) or up to MID_BACK bytes of binary junk: by its header
		 * only, no trial; 78 9c / 78 da / 78 01 end at the first
		 * non-text byte, 78 5e a few bytes before */
		for (j = t > MID_BACK ? t - MID_BACK : 1; t < MID_TEXT && t < len &&
		     j <= (t > MID_BACK ? t : MID_BACK) && j < len && ns < MAX_TRIALS; j++)
			if (brk_scan_codec_sniff(p + j, len - j) == BRK_SCAN_CODEC_ZLIB)
				starts[ns++] = j;
		for (j = t > MID_BACK ? t - MID_BACK : 1; t >= MID_TEXT && t < len && j <= t &&
		     ns < MAX_TRIALS; j++)
			starts[ns++] = j;
	}
	for (k = 0; k < ns && trials < MAX_TRIALS; k++) {
		size_t s = starts[k], e = len, j;
		int codec = brk_scan_codec_sniff(p + s, len - s);
		size_t mark = o->len, mnp = o->npieces;

		for (j = 0; j < np; j++)
			if (env->pieces[j] > s) {
				e = env->pieces[j];
				break;
			}
		if (codec == BRK_SCAN_CODEC_NONE && (!binaryish(p + s, e - s) || (s == 0 && env->mid_start)))
			continue;
		rc = brk_scan_out_piece(o, 1);
		if (rc < 0)
			return rc;
		if (codec != BRK_SCAN_CODEC_NONE) {
			trials++;
			rc = brk_scan_codec_run(codec, p + s, len - s, 0, o, env);
		} else {
			trials += 2;
			codec = BRK_SCAN_CODEC_BROTLI;
			rc = brk_scan_codec_run(codec, p + s, e - s, 1, o, env);
			if (rc == 0) {
				codec = BRK_SCAN_CODEC_DEFLATE;
				rc = brk_scan_codec_run(codec, p + s, e - s, 1, o, env);
			}
		}
		if (rc > 0 || rc == -EMSGSIZE) {
			if (!any)
				env->layer = brk_scan_codec_name(codec);
			any = 1;
			if (rc < 0)
				return 1;  /* keep the capped prefix; env says refused */
		} else if (rc < 0) {
			return rc;
		} else {
			o->len = mark;
			o->npieces = mnp;
		}
	}
	return any;
}

/* ---- multipart ------------------------------------------------------- */

static const uint8_t *find_line_end(const uint8_t *p, const uint8_t *e)
{
	const uint8_t *n = memchr(p, '\n', (size_t)(e - p));

	return n ? n : e;
}

/* Split p[0,len) on "--boundary" lines; each part's body is a piece. */
static int split_multipart(const uint8_t *p, size_t len, const uint8_t *b, size_t bl,
			   struct brk_scan_out *o)
{
	const uint8_t *e = p + len, *cur;
	uint8_t delim[80];
	size_t dl;
	int rc, parts = 0;

	if (bl == 0 || bl > 72)
		return 0;
	delim[0] = '-';
	delim[1] = '-';
	memcpy(delim + 2, b, bl);
	dl = bl + 2;
	cur = memmem(p, len, delim, dl);
	while (cur && parts < 1024) {
		const uint8_t *hs = find_line_end(cur, e), *body, *next;

		if (hs >= e)
			break;
		hs++;
		/* part headers end at an empty line */
		body = hs;
		while (body < e) {
			const uint8_t *le = find_line_end(body, e);

			if (le - body <= 1) {  /* "\n" or "\r\n" */
				body = le < e ? le + 1 : e;
				break;
			}
			body = le < e ? le + 1 : e;
		}
		next = memmem(body, (size_t)(e - body), delim, dl);
		rc = brk_scan_out_piece(o, 1);
		if (rc == 0) {
			const uint8_t *be = next ? next : e;

			/* the CRLF before the delimiter belongs to it */
			if (next && be > body && be[-1] == '\n')
				be--;
			if (next && be > body && be[-1] == '\r')
				be--;
			rc = brk_scan_out_put(o, body, (size_t)(be - body));
		}
		if (rc < 0)
			return rc;
		parts++;
		cur = next;
	}
	return parts > 0;
}

int brk_scan_dec_multipart(const uint8_t *p, size_t len, struct brk_scan_out *o,
			   struct brk_scan_dec_env *env)
{
	size_t i = 2;

	(void)env;
	if (len < 6 || p[0] != '-' || p[1] != '-')
		return 0;
	while (i < len && i < 74 && p[i] > 0x20 && p[i] < 0x7f)
		i++;
	if (i >= len || (p[i] != '\r' && p[i] != '\n') || i < 4)
		return 0;
	return split_multipart(p, len, p + 2, i - 2, o);
}

/* ---- HTTP/1 messages ---------------------------------------------- */

static int is_http_start(const uint8_t *p, size_t len)
{
	static const char *const methods[] = {
		"GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "HEAD ", "OPTIONS ", "CONNECT ", NULL,
	};
	size_t k;

	if (len >= 9 && memcmp(p, "HTTP/1.", 7) == 0)
		return 2;
	for (k = 0; methods[k]; k++)
		if (len > strlen(methods[k]) && memcmp(p, methods[k], strlen(methods[k])) == 0)
			return 1;
	return 0;
}

static int hdr_is(const uint8_t *h, size_t n, const char *name)
{
	size_t nl = strlen(name);

	return n == nl && strncasecmp((const char *)h, name, nl) == 0;
}

/* De-chunk p[0,len) into o; returns bytes of input used. */
static size_t dechunk(const uint8_t *p, size_t len, struct brk_scan_out *o, int *rc)
{
	size_t i = 0;

	*rc = 0;
	while (i < len) {
		size_t sz = 0, nd = 0;

		while (i < len && hexval(p[i]) >= 0 && nd < 15) {
			sz = sz * 16 + (size_t)hexval(p[i++]);
			nd++;
		}
		if (nd == 0)
			break;
		while (i < len && p[i] != '\n')
			i++;  /* chunk extensions */
		if (i >= len)
			break;
		i++;
		if (sz == 0) {
			/* trailer section up to the empty line */
			while (i < len) {
				const uint8_t *le = find_line_end(p + i, p + len);
				size_t ll = (size_t)(le - (p + i));

				i = (size_t)(le - p) + (le < p + len);
				if (ll <= 1)
					break;
			}
			return i;
		}
		if (sz > len - i)
			sz = len - i;
		*rc = brk_scan_out_put(o, p + i, sz);
		if (*rc < 0)
			return i;
		i += sz;
		if (i < len && p[i] == '\r')
			i++;
		if (i < len && p[i] == '\n')
			i++;
	}
	return i;
}

/* The codecs of Content-Encoding list ce[0,cel) into codecs[0,8), their
 * number; an unknown one is noted in env (when not NULL) and skipped. */
static int ce_list(const uint8_t *ce, size_t cel, int codecs[8], struct brk_scan_dec_env *env)
{
	size_t i = 0;
	int n = 0;

	while (i < cel && n < 8) {
		size_t s, e;
		int c;

		while (i < cel && (ce[i] == ' ' || ce[i] == ',' || ce[i] == '\t'))
			i++;
		s = i;
		while (i < cel && ce[i] != ',' && ce[i] != ' ' && ce[i] != '\t')
			i++;
		e = i;
		if (e == s)
			break;
		c = brk_scan_codec_from_ce((const char *)ce + s, e - s);
		if (c == -2) {
			if (env)
				snprintf(env->note, sizeof(env->note), "unknown Content-Encoding '%.*s'",
					 (int)(e - s > 32 ? 32 : e - s), ce + s);
			continue;
		}
		if (c != BRK_SCAN_CODEC_NONE)
			codecs[n++] = c;
	}
	return n;
}

/* Decode body b[0,bl) per Content-Encoding list ce[0,cel) into o. */
static int body_by_ce(const uint8_t *b, size_t bl, const uint8_t *ce, size_t cel,
		      struct brk_scan_out *o, struct brk_scan_dec_env *env)
{
	int codecs[8], n = ce_list(ce, cel, codecs, env), k, rc, sniff = brk_scan_codec_sniff(b, bl);
	struct brk_scan_out a, t;
	const uint8_t *cur = b;
	size_t curl = bl;

	if (n == 0) {
		if (sniff != BRK_SCAN_CODEC_NONE && sniff != BRK_SCAN_CODEC_ZLIB)
			snprintf(env->note, sizeof(env->note),
				 "content-encoding mismatch: header says %s, body is %s",
				 cel ? "identity" : "nothing", brk_scan_codec_name(sniff));
		return brk_scan_out_put(o, b, bl);
	}
	if (codecs[n - 1] != BRK_SCAN_CODEC_BROTLI && codecs[n - 1] != sniff &&
	    !(codecs[n - 1] == BRK_SCAN_CODEC_ZLIB && sniff == BRK_SCAN_CODEC_NONE))
		snprintf(env->note, sizeof(env->note),
			 "content-encoding mismatch: header says %s, body is %s",
			 brk_scan_codec_name(codecs[n - 1]), brk_scan_codec_name(sniff));
	/* Layers alternate between a and t (swapped, never copied); the last
	 * one is decoded straight into o: one copy of a large body at a time. */
	brk_scan_out_init(&a, o->max);
	brk_scan_out_init(&t, o->max);
	for (k = n - 1; k >= 0; k--) {
		int c = codecs[k];
		struct brk_scan_out *dst = k == 0 ? o : &t, sw;

		/* trust the bytes over the header when they disagree */
		if (sniff != BRK_SCAN_CODEC_NONE && sniff != c && c != BRK_SCAN_CODEC_BROTLI)
			c = sniff;
		brk_scan_out_reset(&t);
		rc = brk_scan_codec_run(c, cur, curl, 0, dst, env);
		if (rc == 0 && c == BRK_SCAN_CODEC_ZLIB)  /* "deflate" is often raw */
			rc = brk_scan_codec_run(BRK_SCAN_CODEC_DEFLATE, cur, curl, 0, dst, env);
		if (rc < 0 && rc != -EMSGSIZE)
			goto out;
		if (rc == 0)
			break;  /* not what the header says: keep the bytes as they are */
		if (dst == o) {
			rc = 0;
			goto out;  /* o holds the decoded body (or its capped prefix) */
		}
		sw = a;
		a = t;
		t = sw;
		cur = a.p;
		curl = a.len;
		if (env->refused)
			break;
		sniff = brk_scan_codec_sniff(cur, curl);
	}
	rc = brk_scan_out_put(o, cur, curl);
out:
	brk_scan_out_free(&a);
	brk_scan_out_free(&t);
	return rc;
}

/*
 * An identity body is not copied into the message's layer: the layer that
 * holds the message (the root, a stream's windows, a decoded layer) has
 * its bytes as they are, matched and decoded there. What the copy gave
 * was a piece start where undeclared compression is tried; the same trial
 * is made here, on the body's first bytes, and only a body that may be
 * compressed (a codec's magic, or a brotli or raw deflate trial that has
 * not failed by PROBE_OUT bytes of output) is copied, for the decompress
 * decoder to undo whole. A random upload fails both trials in its first
 * bytes.
 */
#define PROBE_OUT 4096

static int body_may_be_coded(const uint8_t *b, size_t bl, const struct brk_scan_dec_env *env)
{
	static const int trial[] = { BRK_SCAN_CODEC_BROTLI, BRK_SCAN_CODEC_DEFLATE };
	size_t k;

	if (brk_scan_codec_sniff(b, bl) != BRK_SCAN_CODEC_NONE)
		return 1;
	if (!binaryish(b, bl))
		return 0;
	for (k = 0; k < sizeof(trial) / sizeof(trial[0]); k++) {
		struct brk_scan_dec_env pe;
		struct brk_scan_out t;
		int rc;

		memset(&pe, 0, sizeof(pe));
		pe.deadline_ns = env->deadline_ns;
		brk_scan_out_init(&t, PROBE_OUT);
		rc = brk_scan_codec_run(trial[k], b, bl, 1, &t, &pe);
		brk_scan_out_free(&t);
		if (rc != 0)
			return 1;       /* decodes, ran past PROBE_OUT, or no answer: copy */
	}
	return 0;
}

/* A folded header line [line, le): its text without the leading and
 * trailing white space, appended to the value before it (RFC 7230 3.2.4:
 * the fold is white space, a value cut over lines is one value). */
static int http_fold(const uint8_t *line, const uint8_t *le, struct brk_scan_out *o)
{
	while (line < le && (*line == ' ' || *line == '\t'))
		line++;
	while (le > line && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
		le--;
	return brk_scan_out_put(o, line, (size_t)(le - line));
}

static int one_http(const uint8_t *p, size_t len, size_t *used, struct brk_scan_out *o,
		    struct brk_scan_dec_env *env)
{
	const uint8_t *e = p + len, *line = p, *le;
	const uint8_t *ce = NULL, *ct = NULL;
	size_t cel = 0, ctl = 0, clen = (size_t)-1, body_off;
	int chunked = 0, rc = 0, kind = is_http_start(p, len), codecs[8];
	struct brk_scan_out body;
	const uint8_t *bp, *bd;
	size_t bl;

	/* start line: the request target is a fragment (query string) */
	le = find_line_end(line, e);
	if (kind == 1) {
		const uint8_t *sp1 = memchr(line, ' ', (size_t)(le - line));
		const uint8_t *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1)) : NULL;

		if (sp1 && sp2) {
			if ((rc = brk_scan_out_piece(o, 1)) < 0 ||
			    (rc = brk_scan_out_put(o, sp1 + 1, (size_t)(sp2 - sp1 - 1))) < 0)
				return rc;
		}
	}
	line = le < e ? le + 1 : e;
	while (line < e) {
		const uint8_t *colon, *v, *ve;

		le = find_line_end(line, e);
		if (le - line <= 1 && (le == line || line[0] == '\r')) {
			line = le < e ? le + 1 : e;
			break;
		}
		if ((line[0] == ' ' || line[0] == '\t') && line > p) {
			/* obs-fold: the value goes on, joined to the last one */
			if ((rc = http_fold(line, le, o)) < 0)
				return rc;
			line = le < e ? le + 1 : e;
			continue;
		}
		colon = memchr(line, ':', (size_t)(le - line));
		if (colon) {
			v = colon + 1;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			ve = le;
			if (ve > v && ve[-1] == '\r')
				ve--;
			if (hdr_is(line, (size_t)(colon - line), "content-encoding")) {
				ce = v;
				cel = (size_t)(ve - v);
			} else if (hdr_is(line, (size_t)(colon - line), "content-type")) {
				ct = v;
				ctl = (size_t)(ve - v);
			} else if (hdr_is(line, (size_t)(colon - line), "transfer-encoding")) {
				chunked = memmem(v, (size_t)(ve - v), "chunked", 7) != NULL;
			} else if (hdr_is(line, (size_t)(colon - line), "content-length")) {
				const uint8_t *d = v;

				clen = 0;
				while (d < ve && *d >= '0' && *d <= '9' && clen < ((size_t)1 << 40))
					clen = clen * 10 + (size_t)(*d++ - '0');
			}
			if ((rc = brk_scan_out_piece(o, 1)) < 0)
				return rc;
			/* a cookie's pairs are judged by their names on a Cookie
			 * line (session cookies are the site's): keep the name */
			if (hdr_is(line, (size_t)(colon - line), "cookie") &&
			    (rc = brk_scan_out_put(o, "Cookie: ", 8)) < 0)
				return rc;
			if ((rc = brk_scan_out_put(o, v, (size_t)(ve - v))) < 0)
				return rc;
		}
		line = le < e ? le + 1 : e;
	}
	body_off = (size_t)(line - p);
	brk_scan_out_init(&body, o->max);
	if (chunked) {
		*used = body_off + dechunk(line, (size_t)(e - line), &body, &rc);
		bp = body.p;
		bl = body.len;
	} else {
		/* a plain body is decoded in place: no copy */
		bl = (size_t)(e - line);
		if (clen != (size_t)-1 && clen < bl)
			bl = clen;
		bp = line;
		*used = body_off + bl;
	}
	if (rc < 0 || bl == 0)
		goto out;
	bd = ct ? memmem(ct, ctl, "boundary=", 9) : NULL;
	if (!bd && !chunked && !ce_list(ce, cel, codecs, env) && !body_may_be_coded(bp, bl, env)) {
		rc = 0;         /* identity, not compressed: the message's layer has it */
	} else if (!bd) {
		if ((rc = brk_scan_out_piece(o, 1)) >= 0)
			rc = body_by_ce(bp, bl, ce, cel, o, env);
	} else {
		struct brk_scan_out dec;
		const uint8_t *bs = bd + 9, *be;

		brk_scan_out_init(&dec, o->max);
		rc = body_by_ce(bp, bl, ce, cel, &dec, env);
		if (bs < ct + ctl && *bs == '"')
			bs++;
		be = bs;
		while (be < ct + ctl && *be != '"' && *be != ';' && *be != ' ')
			be++;
		if (rc >= 0 && (rc = brk_scan_out_piece(o, 1)) >= 0)
			rc = split_multipart(dec.p, dec.len, bs, (size_t)(be - bs), o);
		if (rc == 0)
			rc = brk_scan_out_put(o, dec.p, dec.len);
		brk_scan_out_free(&dec);
	}
out:
	brk_scan_out_free(&body);
	return rc < 0 ? rc : 1;
}

int brk_scan_dec_http(const uint8_t *p, size_t len, struct brk_scan_out *o,
		      struct brk_scan_dec_env *env)
{
	size_t off = 0, used = 0;
	int n = 0, rc;

	if (!is_http_start(p, len))
		return 0;
	while (off < len && n < MAX_HTTP_MSGS && is_http_start(p + off, len - off)) {
		rc = one_http(p + off, len - off, &used, o, env);
		if (rc < 0)
			return rc;
		n++;
		if (used == 0)
			break;
		off += used;
		while (off < len && (p[off] == '\r' || p[off] == '\n'))
			off++;
	}
	if (off < len) {
		/* trailing bytes that are not a message: keep them as a fragment */
		if ((rc = brk_scan_out_piece(o, 1)) < 0 || (rc = brk_scan_out_put(o, p + off, len - off)) < 0)
			return rc;
	}
	return n > 0;
}

/* ---- the registry --------------------------------------------------- */

const struct brk_scan_decoder brk_scan_decoders[] = {
	/* structure first: it gives the others aligned fragments */
	{ .name = "http", .fn = brk_scan_dec_http },
	{ .name = "multipart", .fn = brk_scan_dec_multipart },
	{ .name = "decompress", .fn = brk_scan_dec_decompress },
	{ .name = "rawtrial", .fn = brk_scan_dec_rawtrial },
	{ .name = "zip", .fn = brk_scan_dec_zip },
	{ .name = "json", .fn = brk_scan_dec_json, .local = 1 },
	{ .name = "percent", .fn = brk_scan_dec_percent, .local = 1 },
	{ .name = "html", .fn = brk_scan_dec_html, .local = 1 },
	{ .name = "qp", .fn = brk_scan_dec_qp, .local = 1 },
	{ .name = "concat", .fn = brk_scan_dec_concat, .local = 1 },
	{ .name = "unsep", .fn = brk_scan_dec_unsep, .local = 1 },
	{ .name = "charcode", .fn = brk_scan_dec_charcode, .run = 1 },
	{ .name = "base64", .fn = brk_scan_dec_base64, .run = 1 },
	{ .name = "hex", .fn = brk_scan_dec_hex, .run = 1 },
	{ .name = "base58", .fn = brk_scan_dec_b58, .run = 1 },   /* in base64's runs too */
	/* after base64: it looks only around the runs that one measured, so
	 * it is skipped where those are (a run decoder) */
	{ .name = "unspell", .fn = brk_scan_dec_unspell, .run = 1, .once = 1 },
	{ .name = "base85-any", .fn = brk_scan_dec_b85, .run = 1 },
};

const size_t brk_scan_ndecoders = sizeof(brk_scan_decoders) / sizeof(brk_scan_decoders[0]);
/* scan.c keeps the .once decoders of a path as bits of a uint32_t */
_Static_assert(sizeof(brk_scan_decoders) / sizeof(brk_scan_decoders[0]) <= 32, "decoders > 32");
