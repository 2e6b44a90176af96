/* SPDX-License-Identifier: MIT */
/*
 * textrun.c - text runs in binary bytes (textrun.h): the shape of a
 * detector expression (shortest match, text bytes only or not) and the
 * text-byte mask the stream's raw matcher skips binary stretches with.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "broker/scan/decode.h"
#include "broker/scan/textrun.h"

struct rx {
	const char *p;
	int bad;
};

static int hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* One escape after '\' (inside or outside a class): its byte in *b, or
 * -1 for a class escape (\s: text bytes only), or -2 unknown. */
static int rx_esc(struct rx *r, uint8_t *b)
{
	char c = *r->p++;

	if (c == 'x' && hexv(r->p[0]) >= 0 && hexv(r->p[1]) >= 0) {
		*b = (uint8_t)(hexv(r->p[0]) * 16 + hexv(r->p[1]));
		r->p += 2;
		return 0;
	}
	if (c == 's' || c == 'd' || c == 'w')
		return -1;
	if (c == 't' || c == 'n' || c == 'r') {
		*b = c == 't' ? '\t' : c == 'n' ? '\n' : '\r';
		return 0;
	}
	if (c && !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z')) {
		*b = (uint8_t)c;  /* an escaped punctuation byte */
		return 0;
	}
	return -2;
}

/* A class after '[': width 1; confined unless negated or a byte outside */
static void rx_class(struct rx *r, int *conf)
{
	int first = 1;

	if (*r->p == '^') {
		*conf = 0;
		r->p++;
	}
	while (*r->p && (*r->p != ']' || first)) {
		uint8_t lo = (uint8_t)*r->p, hi;
		int k = 0;

		first = 0;
		r->p++;
		if (lo == '\\' && (k = rx_esc(r, &lo)) == -2) {
			r->bad = 1;
			return;
		}
		if (k == -1)
			continue;
		hi = lo;
		if (*r->p == '-' && r->p[1] && r->p[1] != ']') {
			r->p++;
			hi = (uint8_t)*r->p++;
			if (hi == '\\' && rx_esc(r, &hi) != 0) {
				r->bad = 1;
				return;
			}
		}
		if (hi < lo || !brk_scan_text_byte(lo) || !brk_scan_text_byte(hi) ||
		    (lo <= 0x0d && hi >= 0x20))
			*conf = 0;
	}
	if (*r->p != ']')
		r->bad = 1;
	else
		r->p++;
}

static size_t rx_alt(struct rx *r, int *conf);

/* A quantifier after an atom of min width w */
static size_t rx_quant(struct rx *r, size_t w)
{
	char *end;
	unsigned long n;

	switch (*r->p) {
	case '?':
	case '*':
		r->p++;
		w = 0;
		break;
	case '+':
		r->p++;
		break;
	case '{':
		n = strtoul(r->p + 1, &end, 10);
		if (end == r->p + 1 || (*end != '}' && *end != ',')) {
			r->bad = 1;
			return 0;
		}
		while (*end && *end != '}')
			end++;
		if (*end != '}') {
			r->bad = 1;
			return 0;
		}
		r->p = end + 1;
		w *= n;
		break;
	default:
		return w;
	}
	if (*r->p == '?')
		r->p++;     /* lazy: the same widths */
	return w;
}

static size_t rx_seq(struct rx *r, int *conf)
{
	size_t sum = 0, w;
	uint8_t b;

	while (*r->p && *r->p != '|' && *r->p != ')' && !r->bad) {
		char c = *r->p++;

		w = 1;
		if (c == '(') {
			if (*r->p == '?') {
				r->bad = 1;     /* (?...) groups: not in the subset */
				return 0;
			}
			w = rx_alt(r, conf);
			if (*r->p != ')') {
				r->bad = 1;
				return 0;
			}
			r->p++;
		} else if (c == '[') {
			rx_class(r, conf);
		} else if (c == '\\') {
			int k = rx_esc(r, &b);

			if (k == -2) {
				r->bad = 1;
				return 0;
			}
			if (k == 0 && !brk_scan_text_byte(b))
				*conf = 0;
		} else if (c == '.') {
			*conf = 0;
		} else if (c == '^' || c == '$' || c == '*' || c == '+' || c == '?' || c == '{') {
			r->bad = 1;
			return 0;
		} else if (!brk_scan_text_byte((uint8_t)c)) {
			*conf = 0;
		}
		sum += rx_quant(r, w);
	}
	return sum;
}

static size_t rx_alt(struct rx *r, int *conf)
{
	size_t best = rx_seq(r, conf), w;

	while (*r->p == '|' && !r->bad) {
		r->p++;
		w = rx_seq(r, conf);
		best = w < best ? w : best;
	}
	return best;
}

int brk_scan_rx_shape(const char *re, size_t *minw, int *confined)
{
	struct rx r = { re, 0 };
	int conf = 1;
	size_t w = rx_alt(&r, &conf);

	if (r.bad || *r.p)
		return -EINVAL;
	*minw = w;
	*confined = conf;
	return 0;
}

/* ---- the text-byte mask ---------------------------------------------- */

#ifdef __x86_64__
__attribute__((target("avx2"), always_inline)) static inline uint64_t mask64_avx2(const uint8_t *p)
{
	/* signed compares: bytes >= 0x80 are negative, never text */
	const __m256i a = _mm256_set1_epi8(0x1f), b = _mm256_set1_epi8(0x7f);
	const __m256i c = _mm256_set1_epi8(0x08), d = _mm256_set1_epi8(0x0e);
	__m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	__m256i t0 = _mm256_or_si256(_mm256_and_si256(_mm256_cmpgt_epi8(x0, a), _mm256_cmpgt_epi8(b, x0)),
				     _mm256_and_si256(_mm256_cmpgt_epi8(x0, c), _mm256_cmpgt_epi8(d, x0)));
	__m256i t1 = _mm256_or_si256(_mm256_and_si256(_mm256_cmpgt_epi8(x1, a), _mm256_cmpgt_epi8(b, x1)),
				     _mm256_and_si256(_mm256_cmpgt_epi8(x1, c), _mm256_cmpgt_epi8(d, x1)));

	return (uint64_t)(uint32_t)_mm256_movemask_epi8(t0) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(t1) << 32;
}

__attribute__((target("avx2"))) static uint64_t mask64_avx2_fn(const uint8_t *p)
{
	return mask64_avx2(p);
}
#endif

uint64_t brk_scan_text_mask64(const uint8_t *p)
{
	uint64_t m = 0;
	unsigned k;

#ifdef __x86_64__
	if (brk_scan_avx2())
		return mask64_avx2_fn(p);
#endif
#ifdef __SSE2__
	if (brk_scan_dec_simd >= 1) {
		const __m128i a = _mm_set1_epi8(0x1f), b = _mm_set1_epi8(0x7f);
		const __m128i c = _mm_set1_epi8(0x08), d = _mm_set1_epi8(0x0e);

		for (k = 0; k < 64; k += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
			__m128i t = _mm_or_si128(_mm_and_si128(_mm_cmpgt_epi8(x, a), _mm_cmpgt_epi8(b, x)),
						 _mm_and_si128(_mm_cmpgt_epi8(x, c), _mm_cmpgt_epi8(d, x)));

			m |= (uint64_t)(unsigned)_mm_movemask_epi8(t) << k;
		}
		return m;
	}
#endif
	for (k = 0; k < 64; k++)
		m |= (uint64_t)brk_scan_text_byte(p[k]) << k;
	return m;
}

/* Bits k of m where bits k .. k + l - 1 are all set (1 <= l <= 64). */
static inline uint64_t ones_from(uint64_t y, size_t l)
{
	size_t have, sh;

	for (have = 1; have < l && y; have += sh) {
		sh = have < l - have ? have : l - have;
		y &= y >> sh;
	}
	return y;
}

#ifdef __x86_64__
/* brk_scan_text_window() 64 bytes a load, blocks overlapping by l - 1 */
__attribute__((target("avx2"))) static size_t window_avx2(const uint8_t *p, size_t i, size_t hi,
							  size_t l)
{
	const size_t step = 64 - (l - 1);
	/* 5..8 (the detector table's): three shifts whatever l is */
	const unsigned s3 = (unsigned)(l > 4 ? l - 4 : 0);

	if (l >= 5 && l <= 8) {
		for (; i + 64 <= hi; i += step) {
			uint64_t y = mask64_avx2(p + i);

			y &= y >> 1;
			y &= y >> 2;
			y &= y >> s3;
			if (y)
				return i + (size_t)__builtin_ctzll(y);
		}
		return i;
	}
	for (; i + 64 <= hi; i += step) {
		uint64_t y = ones_from(mask64_avx2(p + i), l);

		if (y)
			return i + (size_t)__builtin_ctzll(y);
	}
	return i;
}
#endif

size_t brk_scan_text_window(const uint8_t *p, size_t from, size_t hi, size_t l)
{
	size_t i = from, step = 64 - (l - 1), n;
	uint64_t y;

#ifdef __x86_64__
	if (brk_scan_avx2())
		i = window_avx2(p, i, hi, l);
#endif
	for (; i + l <= hi; i += step) {
		n = hi - i < 64 ? hi - i : 64;
		if (n == 64) {
			y = brk_scan_text_mask64(p + i);
		} else {
			size_t k;

			for (y = 0, k = 0; k < n; k++)
				y |= (uint64_t)brk_scan_text_byte(p[i + k]) << k;
		}
		if ((y = ones_from(y, l)) != 0)
			return i + (size_t)__builtin_ctzll(y);
	}
	return hi;
}

#ifdef __x86_64__
__attribute__((target("avx2"))) static size_t end_avx2(const uint8_t *p, size_t i, size_t hi)
{
	for (; i + 64 <= hi; i += 64) {
		uint64_t m = ~mask64_avx2(p + i);

		if (m)
			return i + (size_t)__builtin_ctzll(m);
	}
	return i;
}
#endif

size_t brk_scan_text_end(const uint8_t *p, size_t i, size_t hi)
{
#ifdef __x86_64__
	if (brk_scan_avx2()) {
		i = end_avx2(p, i, hi);
		if (i + 64 <= hi)
			return i;
	}
#endif
	for (; i + 64 <= hi; i += 64) {
		uint64_t m = ~brk_scan_text_mask64(p + i);

		if (m)
			return i + (size_t)__builtin_ctzll(m);
	}
	while (i < hi && brk_scan_text_byte(p[i]))
		i++;
	return i;
}
