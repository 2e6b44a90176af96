/* SPDX-License-Identifier: MIT */
/*
 * dec_zip.c - the "zip" decoder of the decode graph (decode.h): the
 * deflated members of a zip archive (and of jar, docx, apk, wheel: the same
 * local headers), found by their local-header magic wherever it starts in
 * a layer, each member's raw deflate undone into a piece of its own.
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
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "broker/scan/codec.h"
#include "broker/scan/decode.h"

#define ZIP_LOCAL_LEN 30        /* fixed part of a local file header */
#define ZIP_MAX_MEMBERS 256     /* per layer: the budget bounds the rest */
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

/* The first local-header magic at or after i in p[0, len), else len. */
static size_t next_local(const uint8_t *p, size_t len, size_t i)
{
#ifdef __SSE2__
	/* 'P' first, 64 bytes a test (one in 256 random bytes; rare in text) */
	for (; i + 64 <= len; i += 64) {
		const __m128i P = _mm_set1_epi8('P');
		__m128i a = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), P);
		__m128i b = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 16)), P);
		__m128i c = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 32)), P);
		__m128i d = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i + 48)), P);
		uint64_t m;

		if (!_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d))))
			continue;
		m = (uint64_t)(unsigned)_mm_movemask_epi8(a) | (uint64_t)(unsigned)_mm_movemask_epi8(b) << 16 |
		    (uint64_t)(unsigned)_mm_movemask_epi8(c) << 32 | (uint64_t)(unsigned)_mm_movemask_epi8(d) << 48;
		for (; m; m &= m - 1)
			if (zip_magic_at(p, len, i + (unsigned)__builtin_ctzll(m)))
				return i + (unsigned)__builtin_ctzll(m);
	}
#endif
	for (; i < len; i++)
		if (zip_magic_at(p, len, i))
			return i;
	return len;
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

int brk_scan_dec_zip(const uint8_t *p, size_t len, struct brk_scan_out *o,
		     struct brk_scan_dec_env *env)
{
	size_t at = 0;
	int any = 0, n = 0, rc;

	if (env->no_magic)
		return 0;

	while (n < ZIP_MAX_MEMBERS && (at = next_local(p, len, at)) < len) {
		size_t mark = o->len, mnp = o->npieces;

		rc = zip_member(p + at, len - at, o, env);
		if (rc == -EMSGSIZE)
			return 1;       /* keep the capped prefix; env says refused */
		if (rc < 0)
			return rc;
		if (rc > 0) {
			any = 1;
			n++;
		} else {
			o->len = mark;          /* not deflate, or not a member */
			o->npieces = mnp;
		}
		at += 4;
	}
	return any;
}
