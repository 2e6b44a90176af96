/* SPDX-License-Identifier: MIT */
/*
 * dec_concat.c - the decoder for a string cut into literals joined with
 * '+' ("ghp_" + "cUpd" + ..., 'ab'+'cd', `x` + `y`): JavaScript's (and
 * Python's, Java's, C#'s) concatenation, the first thing an install script
 * does to a value it wants past a scanner. Each chain of two or more
 * literals of one quote kind becomes one piece: their contents joined.
 * Escapes inside are left for the json decoder on the child.
 *
 * Looks only at '+' bytes (memchr) with a quote on both sides (spaces and
 * line breaks between allowed), so base64's '+' and arithmetic cost a
 * compare or two each.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "broker/scan/decode.h"

#define LIT_MAX 512       /* longest literal followed */
#define GAP_MAX 8         /* blanks around a '+' */

static int blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int quote(uint8_t c)
{
	return c == '"' || c == '\'' || c == '`';
}

/* After the quote closing a literal at p[e]: the quote opening the next
 * one of the chain (blanks '+' blanks q), else 0. */
static size_t next_lit(const uint8_t *p, size_t len, size_t e, uint8_t q)
{
	size_t j = e + 1, g;

	for (g = 0; j < len && g < GAP_MAX && blank(p[j]); g++)
		j++;
	if (j >= len || p[j] != '+')
		return 0;
	for (j++, g = 0; j < len && g < GAP_MAX && blank(p[j]); g++)
		j++;
	return j < len && p[j] == q ? j : 0;
}

/* The quote closing the literal opened at p[s] (no escaped quote: a
 * backslash skips the byte after it), else 0. */
static size_t lit_end(const uint8_t *p, size_t len, size_t s, uint8_t q)
{
	size_t e;

	for (e = s + 1; e < len && e - s < LIT_MAX; e++) {
		if (p[e] == '\\')
			e++;
		else if (p[e] == q)
			return e;
		else if (p[e] == '\n' && q != '`')
			return 0;
	}
	return 0;
}

/* A '+' can join literals only after a quote or a blank: one table load
 * rejects base64's and arithmetic's. */
static const uint8_t before_plus[256] = {
	['"'] = 1, ['\''] = 1, ['`'] = 1, [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
};

#ifdef __x86_64__
/* The first '+' at or after p[from] with a quote or blank before it, 64
 * bytes a step (one call per buffer, not per '+'), else the end of the
 * whole 64-byte blocks, where next_plus() goes on byte by byte. */
__attribute__((target("avx2"))) static size_t next_plus_avx2(const uint8_t *p, size_t from, size_t len)
{
	const __m256i plus = _mm256_set1_epi8('+');
	size_t i;

	for (i = from; i + 64 <= len; i += 64) {
		__m256i a, b;
		uint64_t m;

		a = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + i)), plus);
		b = _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32)), plus);
		if (_mm256_testz_si256(_mm256_or_si256(a, b), _mm256_or_si256(a, b)))
			continue;
		m = (uint32_t)_mm256_movemask_epi8(a) | (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32;
		for (; m; m &= m - 1) {
			size_t k = i + (size_t)__builtin_ctzll(m);

			if (k > 0 && before_plus[p[k - 1]])
				return k;
		}
	}
	return i;
}
#endif

/* The next '+' at or after p[from] that may join two literals, or len. */
static size_t next_plus(const uint8_t *p, size_t from, size_t len)
{
	const uint8_t *pl;

#ifdef __x86_64__
	if (brk_scan_avx2()) {
		from = next_plus_avx2(p, from, len);
		if (from + 64 <= len)
			return from;
	}
#endif
	while (from < len && (pl = memchr(p + from, '+', len - from)) != NULL) {
		from = (size_t)(pl - p);
		if (from > 0 && before_plus[p[from - 1]])
			return from;
		from++;
	}
	return len;
}

int brk_scan_dec_concat(const uint8_t *p, size_t len, struct brk_scan_out *o,
			struct brk_scan_dec_env *env)
{
	size_t from = 0, i;
	int rc = 0, any = 0;

	(void)env;
	while (rc == 0 && from < len && (i = next_plus(p, from, len)) < len) {
		size_t a = i, s, e, g;
		uint8_t q;

		from = i + 1;
		for (g = 0; a > 0 && g < GAP_MAX && blank(p[a - 1]); g++)
			a--;
		if (a == 0 || !quote(p[a - 1]))
			continue;
		q = p[a - 1];
		e = a - 1;
		if (!next_lit(p, len, e, q))
			continue;   /* before the walk back: random bytes cost no walk */
		/* the literal that ends at p[e]: back to its opening quote */
		for (s = e; s > 0 && e - s < LIT_MAX;) {
			s--;
			if (p[s] == q && !(s > 0 && p[s - 1] == '\\'))
				break;
			if (p[s] == '\n' && q != '`') {
				s = e;
				break;
			}
		}
		if (s == e || p[s] != q)
			continue;
		if ((rc = brk_scan_out_piece(o, 1)) < 0 ||
		    (rc = brk_scan_out_put(o, p + s + 1, e - s - 1)) < 0)
			break;
		/* then each literal of the chain */
		while ((s = next_lit(p, len, e, q)) && (e = lit_end(p, len, s, q))) {
			if ((rc = brk_scan_out_put(o, p + s + 1, e - s - 1)) < 0)
				break;
			from = e + 1;
		}
		any = 1;
	}
	if (rc < 0)
		return rc;
	return any && o->len;
}
