/* SPDX-License-Identifier: MIT */
/*
 * dec_charcode.c - the decoder for a string spelled as a chain of
 * character-code calls: chr(103)+chr(104) (Python), chr(103).chr(104)
 * (Perl, PHP), Chr(103)&Chr(104) (VBA), [char]103+[char]104
 * (PowerShell), (char)103,(char)104 (C#, Java), CHAR(103)||CHAR(104)
 * (SQL). The number lists the pattern triggers know (decimal and 0x
 * lists, String.fromCharCode(...), \x and octal escapes) carry a fixed
 * separator; these carry a call per character, with any short
 * separator, so each chain of CHAIN_MIN calls or more of one form
 * becomes one piece: the characters joined. The detectors then judge the
 * piece as any layer.
 *
 * Looks only at '(' , ')' and ']' bytes (64 a step with AVX2, memchr
 * else) with the form's name right before them: JSON and prose have few,
 * code a few per line, each a compare or two.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "broker/scan/decode.h"

#define CHAIN_MIN 8       /* calls: shorter chains are no token */
#define SEP_MAX 8         /* bytes between two calls ("+", " . ", "&", "||") */
#define NUM_MAX 8         /* digits of one code (0x0067) */

enum form { F_CALL, F_PS, F_CAST };   /* name(N)  [char]N  (char)N */

static int lc(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* p[i - n, i) is name, any case. */
static int ends_with(const uint8_t *p, size_t i, const char *name)
{
	size_t n = strlen(name), k;

	if (i < n)
		return 0;
	for (k = 0; k < n; k++)
		if (lc(p[i - n + k]) != (uint8_t)name[k])
			return 0;
	return 1;
}

/* The form whose number starts right after p[i] ('(', ']' or ')'), else
 * -1. A name must not continue a longer identifier (mychr( is no chr(). */
static int form_at(const uint8_t *p, size_t i)
{
	static const char *const calls[] = { "chr", "chrw", "char", "chr$" };
	size_t k;

	if (p[i] == '(') {
		for (k = 0; k < sizeof(calls) / sizeof(calls[0]); k++) {
			size_t n = strlen(calls[k]);

			if (ends_with(p, i, calls[k]) &&
			    (i == n || !((lc(p[i - n - 1]) >= 'a' && lc(p[i - n - 1]) <= 'z') ||
					 p[i - n - 1] == '_')))
				return F_CALL;
		}
		return -1;
	}
	if (p[i] == ']')
		return ends_with(p, i, "[char") ? F_PS : -1;
	return ends_with(p, i, "(char") ? F_CAST : -1;
}

/* A code at p[*i] (decimal or 0x hex, blanks before), closed by ')' for
 * a call; its value, *i past it; -1 if none. */
static long code_at(const uint8_t *p, size_t len, size_t *i, int f)
{
	size_t j = *i, d = 0;
	long v = 0;
	int base = 10;

	while (j < len && p[j] == ' ')
		j++;
	if (j + 1 < len && p[j] == '0' && lc(p[j + 1]) == 'x') {
		base = 16;
		j += 2;
	}
	for (; j < len && d < NUM_MAX; j++, d++) {
		int c = lc(p[j]), x = c >= '0' && c <= '9' ? c - '0' :
				       base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (x < 0)
			break;
		v = v * base + x;
	}
	if (d == 0 || v > 0x10ffff)
		return -1;
	while (j < len && p[j] == ' ')
		j++;
	if (f == F_CALL) {
		if (j >= len || p[j] != ')')
			return -1;
		j++;
	}
	*i = j;
	return v;
}

/* Past a separator at p[j] (up to SEP_MAX bytes of no letter, digit or
 * quote) to where the next call's name may start. */
static size_t skip_sep(const uint8_t *p, size_t len, size_t j)
{
	size_t g;

	for (g = 0; j < len && g < SEP_MAX; g++, j++) {
		int c = lc(p[j]);

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '[' || c == '(' ||
		    c == '"' || c == '\'')
			break;
	}
	return j;
}

/* The start of the number of the next call of form f at p[j] (after a
 * separator), else 0. */
static size_t next_call(const uint8_t *p, size_t len, size_t j, int f)
{
	size_t k;

	j = skip_sep(p, len, j);
	/* from j + 1: [char] and (char) open with their own bracket */
	for (k = j + 1; k < len && k - j < 6 && p[k] != '(' && p[k] != ']' && p[k] != ')'; k++)
		;
	if (k >= len || k == j || form_at(p, k) != f)
		return 0;
	/* the name must start where the separator ended */
	if (f == F_CALL ? !((k - j == 3 || k - j == 4) && lc(p[j]) == 'c')
			: p[j] != (f == F_PS ? '[' : '('))
		return 0;
	return k + 1;
}

/* The chain whose first number starts at p[s]: its characters into o as
 * one piece when it has CHAIN_MIN or more; where the scan goes on. */
static size_t chain(const uint8_t *p, size_t len, size_t s, int f, struct brk_scan_out *o, int *rc)
{
	uint8_t buf[512];
	size_t n = 0, j = s, total = 0, nx;
	long v;

	while ((v = code_at(p, len, &j, f)) >= 0) {
		if (n == sizeof(buf)) {
			if (total == 0 && (*rc = brk_scan_out_piece(o, 1)) < 0)
				return len;
			if ((*rc = brk_scan_out_put(o, buf, n)) < 0)
				return len;
			total += n;
			n = 0;
		}
		/* beyond ASCII: a byte the detectors' classes reject, not a
		 * shortened token */
		buf[n++] = v < 0x80 ? (uint8_t)v : 0x80;
		if (!(nx = next_call(p, len, j, f)))
			break;
		j = nx;
	}
	if (total + n >= CHAIN_MIN) {
		if (total == 0 && (*rc = brk_scan_out_piece(o, 1)) < 0)
			return len;
		if ((*rc = brk_scan_out_put(o, buf, n)) < 0)
			return len;
	}
	return j > s ? j : s + 1;
}

/* A byte that may end a form's name: one table load rejects the rest. */
static const uint8_t closer[256] = { ['('] = 1, [')'] = 1, [']'] = 1 };

static int name_end(uint8_t c)
{
	return lc(c) == 'r' || lc(c) == 'w' || c == '$';
}

#ifdef __x86_64__
/* Bit k set when p[k] may end a form's name (name_end), k < 64. */
__attribute__((target("avx2"))) static uint64_t name_end_mask(const uint8_t *p)
{
	const __m256i low = _mm256_set1_epi8(0x20), r = _mm256_set1_epi8('r'),
		      w = _mm256_set1_epi8('w'), dol = _mm256_set1_epi8('$');
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	__m256i la = _mm256_or_si256(a, low), lb = _mm256_or_si256(b, low);
	__m256i ma = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(la, r), _mm256_cmpeq_epi8(la, w)),
				     _mm256_cmpeq_epi8(a, dol));
	__m256i mb = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(lb, r), _mm256_cmpeq_epi8(lb, w)),
				     _mm256_cmpeq_epi8(b, dol));

	return (uint32_t)_mm256_movemask_epi8(ma) | (uint64_t)(uint32_t)_mm256_movemask_epi8(mb) << 32;
}

/* The first '(' ')' or ']' at or after p[from] that ends a form's name,
 * 64 bytes a step, else the end of the whole 64-byte blocks. */
__attribute__((target("avx2"))) static size_t next_closer_avx2(const uint8_t *p, size_t from,
							     size_t len)
{
	const __m256i lp = _mm256_set1_epi8('('), rp = _mm256_set1_epi8(')'),
		      rb = _mm256_set1_epi8(']');
	size_t i;

	for (i = from; i + 64 <= len; i += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32));
		__m256i ma = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(a, lp),
							     _mm256_cmpeq_epi8(a, rp)),
					     _mm256_cmpeq_epi8(a, rb));
		__m256i mb = _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(b, lp),
							     _mm256_cmpeq_epi8(b, rp)),
					     _mm256_cmpeq_epi8(b, rb));
		uint64_t m;

		if (_mm256_testz_si256(_mm256_or_si256(ma, mb), _mm256_or_si256(ma, mb)))
			continue;
		m = (uint32_t)_mm256_movemask_epi8(ma) | (uint64_t)(uint32_t)_mm256_movemask_epi8(mb) << 32;
		/* the byte before each: 'r' or 'R' (chr, char, [char, (char),
		 * 'w' or '$' (chrw, chr$); binary bytes hold a closer every 85
		 * bytes, this pair one in 5000 */
		if (i > 0)
			m &= name_end_mask(p + i - 1);
		for (; m; m &= m - 1) {
			size_t k = i + (size_t)__builtin_ctzll(m);

			if (k >= 3 && name_end(p[k - 1]))
				return k;
		}
	}
	return i;
}
#endif

static size_t next_closer(const uint8_t *p, size_t from, size_t len)
{
#ifdef __x86_64__
	if (brk_scan_avx2()) {
		from = next_closer_avx2(p, from, len);
		if (from + 64 <= len)
			return from;
	}
#endif
	for (; from < len; from++)
		if (closer[p[from]] && from >= 3 && name_end(p[from - 1]))
			return from;
	return len;
}

int brk_scan_dec_charcode(const uint8_t *p, size_t len, struct brk_scan_out *o,
			  struct brk_scan_dec_env *env)
{
	size_t from = 0, i;
	int rc = 0;

	(void)env;
	while (rc == 0 && from < len && (i = next_closer(p, from, len)) < len) {
		int f = form_at(p, i);

		from = i + 1;
		if (f >= 0)
			from = chain(p, len, i + 1, f, o, &rc);
	}
	if (rc < 0)
		return rc;
	return o->len > 0;
}
