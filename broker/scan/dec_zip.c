/* SPDX-License-Identifier: MIT */
/*
 * dec_zip.c - the "zip" decoder of the decode graph (decode.h): the
 * deflated members of a zip archive (and of jar, docx, apk, wheel: the same
 * local headers), found by their local-header magic wherever it starts in
 * a layer, each member's raw deflate undone into a piece of its own.
 *
 * zlib streams that start inside a layer that starts as text (a log line
 * and the compressed bytes) are inflated here too (below, the child then
 * named "zlib"), found in the same pass.
 *
 * Raw deflate has no magic: the decompress decoder tries it only at a
 * layer's and its pieces' starts, never after a local header inside a
 * body, so a file zipped before upload went through unscanned. Stored
 * members (method 0) are already plain in the layer. The trigger is the
 * 4-byte magic (text and random data hold it once in 4 GiB), searched for
 * by its 'P', 64 bytes a test (memmem() cost 11 instructions a byte of
 * random data); nothing else runs on a layer without it, and nothing at
 * all on text the stream found free of control bytes (env->no_magic: the
 * magic holds two).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "broker/scan/codec.h"
#include "broker/scan/decode.h"

#define ZIP_LOCAL_LEN 30        /* fixed part of a local file header */
#define ZLIB_MAX_TRIALS 256     /* zlib headers per layer (random text holds many) */
#define ZIP_MAX_MEMBERS 65536   /* local headers per layer (1 in 4 GiB at random:
				 * nearly all real); more is not fully scanned */
#define ZIP_METHOD_DEFLATE 8

static unsigned le16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int zip_magic_at(const uint8_t *p, size_t len, size_t i)
{
	return i + 4 <= len && p[i] == 'P' && p[i + 1] == 'K' && p[i + 2] == 3 && p[i + 3] == 4;
}

/* A zlib header (RFC 1950: 32 KiB window, deflate, no preset dictionary,
 * the check bits right): 78 01, 78 5e, 78 9c, 78 da. */
static int zlib_magic_at(const uint8_t *p, size_t len, size_t i)
{
	return i + 2 <= len && p[i] == 0x78 && (p[i + 1] == 0x01 || p[i + 1] == 0x5e ||
						p[i + 1] == 0x9c || p[i + 1] == 0xda);
}

/* The first i' >= i in p[0, len) that starts a zip local header, or (zl)
 * a zlib header, else len. */
static inline __attribute__((always_inline)) size_t
next_magic_of(const uint8_t *p, size_t len, size_t i, const int zl)
{
#ifdef __SSE2__
	/* the first bytes, 64 a test (each one in 256 random bytes) */
	const __m128i P = _mm_set1_epi8('P'), X = _mm_set1_epi8(0x78);

	for (; i + 64 <= len; i += 64) {
		__m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
		__m128i x2 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 32));
		__m128i x3 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 48));
		__m128i a = _mm_cmpeq_epi8(x0, P), b = _mm_cmpeq_epi8(x1, P);
		__m128i c = _mm_cmpeq_epi8(x2, P), d = _mm_cmpeq_epi8(x3, P);
		uint64_t m;

		if (zl) {       /* a constant in each caller: no test per block */
			a = _mm_or_si128(a, _mm_cmpeq_epi8(x0, X));
			b = _mm_or_si128(b, _mm_cmpeq_epi8(x1, X));
			c = _mm_or_si128(c, _mm_cmpeq_epi8(x2, X));
			d = _mm_or_si128(d, _mm_cmpeq_epi8(x3, X));
		}
		if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))))
			continue;
		m = (uint64_t)(unsigned)_mm_movemask_epi8(a) | (uint64_t)(unsigned)_mm_movemask_epi8(b) << 16 |
		    (uint64_t)(unsigned)_mm_movemask_epi8(c) << 32 | (uint64_t)(unsigned)_mm_movemask_epi8(d) << 48;
		for (; m; m &= m - 1) {
			size_t k = i + (unsigned)__builtin_ctzll(m);

			if (zip_magic_at(p, len, k) || (zl && zlib_magic_at(p, len, k)))
				return k;
		}
	}
#endif
	for (; i < len; i++)
		if (zip_magic_at(p, len, i) || (zl && zlib_magic_at(p, len, i)))
			return i;
	return len;
}

/* Does p[0, n) start as text (its first 64 bytes without a control byte)? */
static int text_start(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < 64; i++)
		if (p[i] < 0x09 || (p[i] > 0x0d && p[i] < 0x20) || p[i] == 0x7f)
			return 0;
	return n > 0;
}

/* The member whose local header is at p[0, len): its deflated data into o
 * as a piece. 1 decoded, 0 not a deflated member, negative errno. */
static int zip_member(const uint8_t *p, size_t len, struct brk_scan_out *o,
		      struct brk_scan_dec_env *env)
{
	size_t data, clen;
	int rc;

	if (len < ZIP_LOCAL_LEN || le16(p + 8) != ZIP_METHOD_DEFLATE)
		return 0;
	data = ZIP_LOCAL_LEN + le16(p + 26) + (size_t)le16(p + 28);
	if (data >= len)
		return 0;
	clen = le32(p + 18);
	/* streamed members (flag bit 3) carry their sizes after the data:
	 * the deflate stream ends itself */
	if (clen == 0 || clen > len - data)
		clen = len - data;
	if ((rc = brk_scan_out_piece(o, 1)) < 0)
		return rc;
	return brk_scan_codec_run(BRK_SCAN_CODEC_DEFLATE, p + data, clen, 0, o, env);
}

/*
 * A zlib stream at p[0, len) (after a text prefix: "log: " and the
 * compressed bytes; one at a layer's or piece's start is the decompress
 * decoder's), inflated as far as the layer goes. What decodes to fewer
 * than ZLIB_MIN_OUT bytes is dropped: random data holds a header every
 * 16 KiB and inflates a few bytes before failing.
 */
#define ZLIB_MIN_OUT 16

static int zlib_member(const uint8_t *p, size_t len, struct brk_scan_out *o,
		       struct brk_scan_dec_env *env)
{
	size_t mark;
	int rc;

	if ((rc = brk_scan_out_piece(o, 1)) < 0)
		return rc;
	mark = o->len;
	rc = brk_scan_codec_run(BRK_SCAN_CODEC_ZLIB, p, len, 0, o, env);
	return rc > 0 && o->len - mark < ZLIB_MIN_OUT ? 0 : rc;
}

int brk_scan_dec_zip(const uint8_t *p, size_t len, struct brk_scan_out *o,
		     struct brk_scan_dec_env *env)
{
	size_t at = 0;
	int any = 0, zip = 0, nz = 0, nzl = 0, rc, zl;

	if (env->no_magic)
		return 0;
	/* zlib only after a text start ("log: " and the stream): a binary
	 * layer (an upload, a tarball) holds a zlib-like header every 16 KiB */
	/* short layers (header values, JSON strings) hold neither first byte:
	 * two memchr() calls, not a walk per byte */
	if (len < 4 * 64 && !memchr(p, 'P', len) && !memchr(p, 0x78, len))
		return 0;
	zl = text_start(p, len);
	while ((at = zl && nzl < ZLIB_MAX_TRIALS ? next_magic_of(p, len, at, 1)
					       : next_magic_of(p, len, at, 0)) < len) {
		size_t mark = o->len, mnp = o->npieces;
		int is_zip = p[at] == 'P';

		if (is_zip && nz++ == ZIP_MAX_MEMBERS) {
			/* an archive of more members than are tried: its last
			 * ones would go out unread (egress refuses, scan.c) */
			env->refused = 1;
			snprintf(env->err, sizeof(env->err), "zip: over %d members: not fully scanned",
				 ZIP_MAX_MEMBERS);
			break;
		}
		if (is_zip)
			rc = zip_member(p + at, len - at, o, env);
		else
			rc = at ? zlib_member(p + at, len - at, o, env) : 0;
		nzl += !is_zip; /* every trial counts: random data holds many headers */
		if (rc == -EMSGSIZE)
			return 1;       /* keep the capped prefix; env says refused */
		if (rc < 0)
			return rc;
		if (rc > 0) {
			any = 1;
			zip |= is_zip;
		} else {
			o->len = mark;          /* not deflate, or not a member */
			o->npieces = mnp;
		}
		at += 2;
	}
	if (any && !zip)
		env->layer = "zlib";
	return any;
}
