/* SPDX-License-Identifier: MIT */
/*
 * dec_b58.c - the decoder for base58 (Bitcoin's alphabet) runs. Base58 is
 * one big number: every digit depends on every byte, so the pattern
 * triggers (pat_trigger.c) know a token's leading digits only for a fixed
 * length (ghp_, npm_: 40 bytes); a Slack token, an AWS key pair or a
 * PEM line, whose lengths vary, got through. So the runs are decoded.
 *
 * Cost: a base58 run is also a base64 run, so this looks only inside the
 * runs the base64 decoder measured on the same layer (decode.h
 * brk_scan_runs; it scans the layer itself when that one did not), 64
 * bytes a step with AVX2, at stretches of B58_MIN or more base58 digits that are not all hex (a
 * digest). Their value's top four bytes come first, from a double (53
 * bits: the top 32 exact but at a carry), and only text there (one in 50
 * random runs) pays the exact decode; the child holds the decoded text
 * stretches of TEXT_MIN or more bytes.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

#include "broker/scan/decode.h"

#define B58_MIN 28        /* digits: 20 bytes */
#define B58_MAX 360       /* digits decoded (about 263 bytes); longer: skipped */
#define TEXT_MIN 16

static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Globals: filled once by setup() under pthread_once, read-only after. */
static int8_t digit[256];     /* value, or -1 */
static uint8_t hexd[256];     /* 1: a hex digit */
static double pow58[B58_MAX + 1];   /* 58^k = pow58[k] * 2^pow58e[k], [1, 2) */
static int pow58e[B58_MAX + 1];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void setup(void)
{
	long double x = 1;    /* 64-bit mantissa: 360 steps stay within 2^-55 */
	unsigned k;
	int e = 0;

	memset(digit, -1, sizeof(digit));
	for (k = 0; k < 58; k++)
		digit[(uint8_t)B58[k]] = (int8_t)k;
	for (k = 0; k < 16; k++)
		hexd[(uint8_t)"0123456789abcdef"[k]] = hexd[(uint8_t)"0123456789ABCDEF"[k]] = 1;
	for (k = 0; k <= B58_MAX; k++) {
		pow58[k] = (double)x;
		pow58e[k] = e;
		for (x *= 58; x >= 2; x /= 2)
			e++;
	}
}

static int text(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

/* The top four bytes of the number p[0, n) (no leading '1': those are
 * zero bytes, so p[0] >= 1) are text? Its first ten digits exactly (58^10
 * < 2^64; what follows moves it by less than 58^-9, under the double's
 * 2^-53), times 58^(n - 10) from the table: no libm, a tenth of the work
 * the 24 digits and log2/exp2 took. This, what the decoded bytes look
 * like, is the only gate: a run shaped as an integrity value
 * ("sha512-...==") is decoded like any other, since its writer chooses
 * the shape. */
static int top_text(const uint8_t *p, size_t n)
{
	uint64_t a = 0, bits;
	double v;
	int k, ex;

	for (k = 0; k < 10; k++)
		a = a * 58 + (uint64_t)digit[p[k]];
	v = (double)a * pow58[n - 10];
	memcpy(&bits, &v, sizeof(bits));
	/* v = f * 2^ex, f in [1, 2): the number's top byte starts at bit
	 * ex & ~7, so f * 2^(ex & 7) in [1, 256) is that byte and what follows */
	ex = (int)(bits >> 52) - 1023 + pow58e[n - 10];
	bits = (bits & ((1ull << 52) - 1)) | (uint64_t)(1023 + (ex & 7)) << 52;
	memcpy(&v, &bits, sizeof(v));
	for (k = 0; k < 4; k++) {
		uint8_t c = (uint8_t)v;

		if (!text(c))
			return 0;
		v = (v - c) * 256;
	}
	return 1;
}

/* Decodes p[0, n) exactly; the text stretches into o. */
static int put_run(const uint8_t *p, size_t n, struct brk_scan_out *o)
{
	uint8_t b[B58_MAX];       /* 58^n < 256^n: n bytes are enough */
	size_t nb = 0, i, k, s;
	int rc;

	for (i = 0; i < n; i++) {
		unsigned carry = (unsigned)digit[p[i]];

		for (k = 0; k < nb; k++) {   /* b (little-endian) = b * 58 + carry */
			carry += (unsigned)b[k] * 58;
			b[k] = (uint8_t)carry;
			carry >>= 8;
		}
		while (carry) {
			b[nb++] = (uint8_t)carry;
			carry >>= 8;
		}
	}
	for (i = 0; i < nb / 2; i++) {
		uint8_t c = b[i];

		b[i] = b[nb - 1 - i];
		b[nb - 1 - i] = c;
	}
	for (s = 0; s < nb; s = i + 1) {
		for (i = s; i < nb && text(b[i]); i++)
			;
		if (i - s >= TEXT_MIN && ((rc = brk_scan_out_piece(o, 1)) < 0 ||
					  (rc = brk_scan_out_put(o, b + s, i - s)) < 0))
			return rc;
	}
	return 0;
}

/* One stretch of digits p[s, e): decoded when long enough, not all hex
 * (a digest) and text at its top. */
static int stretch(const uint8_t *p, size_t s, size_t e, struct brk_scan_out *o)
{
	size_t j;

	if (e - s < B58_MIN || e - s > B58_MAX)
		return 0;
	for (j = s; j < e && hexd[p[j]]; j++)
		;
	if (j == e)
		return 0;
	while (s < e && p[s] == '1')
		s++;   /* leading zero bytes */
	if (e - s < B58_MIN || !top_text(p + s, e - s))
		return 0;
	return put_run(p + s, e - s, o);
}

/* The base58 stretches of p[s, e) */
static int in_run(const uint8_t *p, size_t s, size_t e, struct brk_scan_out *o)
{
	size_t i = s, j;
	int rc;

	while (i < e) {
		while (i < e && digit[p[i]] < 0)
			i++;
		for (j = i; j < e && digit[p[j]] >= 0; j++)
			;
		if ((rc = stretch(p, i, j, o)) < 0)
			return rc;
		i = j;
	}
	return 0;
}

#ifdef __x86_64__
/* Bit k set when p[k] is a base58 digit, k < 64: two nibble lookups (bit
 * h of lo[c & 15] set: (h << 4 | c & 15) is a digit; hi[h] = 1 << h). */
__attribute__((target("avx2"), always_inline)) static inline uint64_t digit_mask(const uint8_t *p)
{
	const __m256i lo = _mm256_setr_epi8(
		(char)0xa0, (char)0xf8, (char)0xf8, (char)0xf8, (char)0xf8, (char)0xf8, (char)0xf8,
		(char)0xf8, (char)0xf8, (char)0xe8, (char)0xf0, 0x50, 0x10, 0x50, 0x50, 0x40,
		(char)0xa0, (char)0xf8, (char)0xf8, (char)0xf8, (char)0xf8, (char)0xf8, (char)0xf8,
		(char)0xf8, (char)0xf8, (char)0xe8, (char)0xf0, 0x50, 0x10, 0x50, 0x50, 0x40);
	const __m256i hi = _mm256_setr_epi8(
		0, 0, 0, 0x08, 0x10, 0x20, 0x40, (char)0x80, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0x08, 0x10, 0x20, 0x40, (char)0x80, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i nib = _mm256_set1_epi8(0x0f), zero = _mm256_setzero_si256();
	__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	__m256i ma = _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(a, nib)),
				      _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(a, 4), nib)));
	__m256i mb = _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(b, nib)),
				      _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(b, 4), nib)));

	return ~((uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(ma, zero)) |
		 (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(mb, zero)) << 32);
}

/* Some B58_MIN (28) consecutive bits of m set? */
static int has28(uint64_t m)
{
	uint64_t a2 = m & m >> 1, a4 = a2 & a2 >> 2, a8 = a4 & a4 >> 4, a16 = a8 & a8 >> 8;

	return (a16 & a8 >> 16 & a4 >> 24) != 0;
}

/* in_run() over p[s, e), 64 digits a step: a block's stretches are
 * walked (by its mask) only when one of B58_MIN may end in it; cur is
 * the stretch carried in from the blocks before. */
__attribute__((target("avx2"))) static int in_run_avx2(const uint8_t *p, size_t s, size_t e,
						     size_t len, struct brk_scan_out *o)
{
	size_t i = s, cur = 0;
	int rc;

	/* a run's last block is read whole where the layer goes on (most
	 * runs are shorter than 64), its bits past e cleared */
	for (; i < e && i + 64 <= len; i += 64) {
		uint64_t m = digit_mask(p + i);
		size_t n = e - i < 64 ? e - i : 64, pos = 0;

		if (n < 64)
			m &= (1ull << n) - 1;
		if (m == ~0ull) {
			cur += 64;
			continue;
		}
		if (cur + (size_t)__builtin_ctzll(~m) < B58_MIN && !has28(m)) {
			cur = (size_t)__builtin_clzll(~m);   /* digits at the block's end */
			continue;
		}
		while (pos < n) {
			uint64_t x = m >> pos;

			if (x & 1) {
				size_t ones = ~x ? (size_t)__builtin_ctzll(~x) : 64 - pos;

				cur += ones;
				pos += ones;
				continue;
			}
			if (cur >= B58_MIN && (rc = stretch(p, i + pos - cur, i + pos, o)) < 0)
				return rc;
			cur = 0;
			pos = x ? pos + (size_t)__builtin_ctzll(x) : n;
		}
	}
	if (i < e)
		return in_run(p, i - cur, e, o);
	return cur >= B58_MIN ? stretch(p, e - cur, e, o) : 0;
}
#endif

static int runs_of(const uint8_t *p, size_t s, size_t e, size_t len, struct brk_scan_out *o)
{
#ifdef __x86_64__
	if (brk_scan_avx2())
		return in_run_avx2(p, s, e, len, o);
#else
	(void)len;
#endif
	return in_run(p, s, e, o);
}

int brk_scan_dec_b58(const uint8_t *p, size_t len, struct brk_scan_out *o,
		     struct brk_scan_dec_env *env)
{
	size_t k;
	int rc = 0;

	pthread_once(&once, setup);
	if (env->runs && env->runs->done) {
		for (k = 0; k < env->runs->n && rc == 0; k++)
			if (env->runs->r[k][1] - env->runs->r[k][0] >= B58_MIN)
				rc = runs_of(p, env->runs->r[k][0], env->runs->r[k][1], len, o);
	} else {
		rc = runs_of(p, 0, len, len, o);
	}
	if (rc < 0)
		return rc;
	return o->len > 0;
}
