/* SPDX-License-Identifier: MIT */
/*
 * dec_b85.c - the decoder for base85 (RFC 1924 / git / Python b85),
 * ascii85 (btoa, Adobe's <~ ~>) and Z85 runs at any alignment. The
 * pattern triggers (pat_trigger.c) find a token prefix under these only
 * where the prefix fills a whole 4-byte group: "ghp_" or "npm_" one to
 * three bytes into a group (any junk byte before the token) leaves no
 * digit the prefix alone decides. So the runs themselves are decoded, at
 * each of the five character phases (junk digits before the encoding
 * shift it), and only what decodes to text becomes the child: every
 * stretch of TEXT_MIN or more printable bytes is one piece (a token is
 * text; random digits decode to text 16 bytes long about once in 10^7),
 * and a decoded run that opens with compression magic is put whole, for
 * the decompress decoder (zlib then base85 is what git's binary patches
 * hold, and what an attacker does next).
 *
 * Cost: the graph runs this on every layer, so it looks only in text runs
 * of RUN_MIN bytes or more (textrun.h) and there only around the bytes that mark a base85 run and are rare in JSON, URLs, base64,
 * hex and prose (RARE: '!' '#' '$' '(' ')' '*' ';' '<' '>' '?' '`' '|'
 * '~' '\'' '\\'), 64 bytes a step; random base85 of a 20-byte token holds
 * one such byte but for 1.6% (ascii85), 1.6% (base85) and 6% (Z85) of
 * values, and a token's digits are fixed by the token: an attacker cannot
 * pick them. A run is decoded once per alphabet and phase.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "broker/scan/codec.h"
#include "broker/scan/decode.h"
#include "broker/scan/textrun.h"

#define RUN_MIN 25        /* digits: 20 bytes, the shortest token worth it */
#define RUN_MAX 8192      /* digits decoded per run (longer: its first part) */
#define TEXT_MIN 16       /* decoded printable bytes put out as a piece */

enum { A_B85, A_A85, A_Z85, NALPHA };

static const char *const alphabets[NALPHA] = {
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~",
	"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstu",
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#",
};

/* The bytes of a base85 run that JSON, URLs, base64, hex and words
 * rarely hold, per alphabet (each a subset of its alphabet's). */
static const char *const rare[NALPHA] = {
	"!#$()*;<>?`|~",
	"!#$'()*;<>?\\`",
	"!*?<>()$#",
};

/* Globals: filled once by setup() under pthread_once, read-only after. */
static int8_t digit[NALPHA][256];     /* value, or -1 */
static uint8_t rare_any[256];         /* bit a: rare in alphabet a */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void setup(void)
{
	unsigned a, k;

	for (a = 0; a < NALPHA; a++) {
		memset(digit[a], -1, sizeof(digit[a]));
		for (k = 0; k < 85; k++)
			digit[a][(uint8_t)alphabets[a][k]] = (int8_t)k;
		for (k = 0; rare[a][k]; k++)
			rare_any[(uint8_t)rare[a][k]] |= (uint8_t)(1u << a);
	}
}

static int text(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

/* Compression magic at b[0]: gzip, zstd, bzip2, and zlib as zlib's own
 * levels write it (78 01/5e/9c/da); the sniff's zlib test alone passes
 * one random digit string in 500. */
static int magic(const uint8_t *b, size_t n)
{
	int c = brk_scan_codec_sniff(b, n);

	if (c == BRK_SCAN_CODEC_ZLIB)
		return b[0] == 0x78 && (b[1] == 0x01 || b[1] == 0x5e || b[1] == 0x9c || b[1] == 0xda);
	return c != BRK_SCAN_CODEC_NONE;
}

/* Puts the text stretches of the digits p[0, n) of alphabet a, decoded
 * from their first (n is cut to whole groups, a last short group padded
 * as the encoders do); compression magic puts the whole run. */
static int decode_run(const int8_t *dg, const uint8_t *p, size_t n, struct brk_scan_out *o)
{
	uint8_t buf[RUN_MAX / 5 * 4 + 4];
	size_t nb = 0, g, s, i;
	int rc;

	for (g = 0; g + 2 <= n; g += 5) {
		size_t have = n - g < 5 ? n - g : 5;
		uint64_t v = 0;

		for (i = 0; i < 5; i++)
			v = v * 85 + (uint64_t)(i < have ? dg[p[g + i]] : 84);
		if (v > 0xffffffffu) {
			v = 0;   /* no encoder writes it: a byte no text holds */
			have = 5;
		}
		for (i = 0; i + 1 < have; i++)
			buf[nb++] = (uint8_t)(v >> (24 - 8 * i));
	}
	if (nb >= TEXT_MIN && magic(buf, nb)) {
		if ((rc = brk_scan_out_piece(o, 1)) < 0)
			return rc;
		return brk_scan_out_put(o, buf, nb);
	}
	for (s = 0; s < nb; s = i + 1) {
		for (i = s; i < nb && text(buf[i]); i++)
			;
		if (i - s >= TEXT_MIN) {
			if ((rc = brk_scan_out_piece(o, 1)) < 0 ||
			    (rc = brk_scan_out_put(o, buf + s, i - s)) < 0)
				return rc;
		}
	}
	return 0;
}

/* A run of RUN_MIN holding p[i] has half of it on one side: are the
 * RUN_MIN / 2 bytes after or before p[i] text? */
static int text_side(const uint8_t *p, size_t len, size_t i)
{
	size_t k, h = RUN_MIN / 2;

	for (k = 1; k <= h && i + k < len && brk_scan_text_byte(p[i + k]); k++)
		;
	if (k > h)
		return 1;
	for (k = 1; k <= h && k <= i && brk_scan_text_byte(p[i - k]); k++)
		;
	return k > h;
}

static int quote(uint8_t c)
{
	return c == '"' || c == '\'' || c == '`';
}

/* The run of alphabet a around p[k]: decoded at every phase; *end is
 * where it ends. */
static int one_run(unsigned a, const uint8_t *p, size_t len, size_t k, size_t *end,
		   struct brk_scan_out *o)
{
	const int8_t *dg = digit[a];
	size_t s = k, e = k, ph;
	int rc;

	while (s > 0 && k - s < RUN_MAX && dg[p[s - 1]] >= 0)
		s--;
	while (e < len && dg[p[e]] >= 0)
		e++;
	*end = e;
	/* a quote is a digit of ascii85 (and '`' of base85) but where one
	 * opens the run and the same one closes it, the string's own: a wrong
	 * last digit would cut the token's end (an encoding may end in a
	 * quote itself: only a pair is taken off) */
	while (e - s >= 2 && quote(p[s]) && p[e - 1] == p[s]) {
		s++;
		e--;
	}
	if (e - s < RUN_MIN)
		return 0;
	if (e - s > RUN_MAX)
		e = s + RUN_MAX;
	for (ph = 0; ph < 5; ph++)
		if ((rc = decode_run(dg, p + s + ph, e - s - ph, o)) < 0)
			return rc;
	return 0;
}

#ifdef __x86_64__
/* The first byte at or after p[from] that is rare in some alphabet, 64
 * bytes a step: '!'..'?' ('!' '#' '$' '\'' '(' ')' '*' ';' '<' '>' '?')
 * and '\\' '`' '|' '~', by two nibble lookups (bit h of lo[c & 15] set:
 * c >> 4 == h); else the end of the whole 64-byte blocks. */
__attribute__((target("avx2"))) static size_t next_rare_avx2(const uint8_t *p, size_t from,
							   size_t len)
{
	/* lo nibble -> the high nibbles (2, 3, 5, 6, 7) with a rare byte */
	const __m256i lo = _mm256_setr_epi8(
		0x40, 0x04, 0x00, 0x04, 0x04, 0x00, 0x00, 0x04,   /* ` ! 2 # $ 5 6 ' */
		0x04, 0x04, 0x04, 0x08, 0xa8, 0x00, 0x88, 0x08,   /* ( ) * ; <\| = >~ ? */
		0x40, 0x04, 0x00, 0x04, 0x04, 0x00, 0x00, 0x04,
		0x04, 0x04, 0x04, 0x08, 0xa8, 0x00, 0x88, 0x08);
	const __m256i hi = _mm256_setr_epi8(
		0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, (char)0x80, 0, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, (char)0x80, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i nib = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
	size_t i;

	for (i = from; i + 64 <= len; i += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32));
		__m256i ma = _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(a, nib)),
					      _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(a, 4), nib)));
		__m256i mb = _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(b, nib)),
					      _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(b, 4), nib)));
		__m256i any = _mm256_or_si256(ma, mb);
		uint64_t m;

		if (_mm256_testz_si256(any, any))
			continue;
		m = ~((uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(ma, zero)) |
		      (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(mb, zero)) << 32);
		if (m)
			return i + (size_t)__builtin_ctzll(m);
	}
	return i;
}
#endif

static size_t next_rare(const uint8_t *p, size_t from, size_t len)
{
#ifdef __x86_64__
	if (brk_scan_avx2()) {
		from = next_rare_avx2(p, from, len);
		if (from + 64 <= len)
			return from;
	}
#endif
	while (from < len && !rare_any[p[from]])
		from++;
	return from;
}

int brk_scan_dec_b85(const uint8_t *p, size_t len, struct brk_scan_out *o,
		     struct brk_scan_dec_env *env)
{
	size_t from = 0, done[NALPHA] = { 0 }, i, e, s;
	unsigned a;
	int rc = 0;

	(void)env;
	if (len < RUN_MIN)
		return 0;
	pthread_once(&once, setup);
	/* only text runs long enough to hold one: binary layers (base64's
	 * children) are passed over 64 bytes a step, a rare byte in binary
	 * costs the look at its 12 neighbours */
	while (rc == 0 && (s = brk_scan_text_window(p, from, len, RUN_MIN)) < len &&
	       (i = next_rare(p, s, len)) < len) {
		from = i + 1;
		if (!text_side(p, len, i))
			continue;
		for (a = 0; a < NALPHA && rc == 0; a++) {
			if (!(rare_any[p[i]] & (1u << a)) || i < done[a])
				continue;   /* not this alphabet's, or decoded with its run */
			rc = one_run(a, p, len, i, &e, o);
			done[a] = e;
		}
	}
	if (rc < 0)
		return rc;
	return o->len > 0;
}
