/* SPDX-License-Identifier: MIT */
/*
 * codec.c - bounded decompression through zlib, brotli, zstd and bzip2
 * (codec.h).
 *
 * Output is produced in 16 KiB steps straight into the caller's bounded
 * buffer; after every step the size and ratio caps are checked, so a bomb
 * costs at most the cap in memory and CPU.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <brotli/decode.h>
#include <zstd.h>
#include <bzlib.h>

#include "broker/scan/codec.h"

#define STEP 16384

static const char *const names[BRK_SCAN_CODEC_COUNT] = {
	[BRK_SCAN_CODEC_GZIP] = "gzip",
	[BRK_SCAN_CODEC_ZLIB] = "zlib",
	[BRK_SCAN_CODEC_DEFLATE] = "deflate",
	[BRK_SCAN_CODEC_BROTLI] = "brotli",
	[BRK_SCAN_CODEC_ZSTD] = "zstd",
	[BRK_SCAN_CODEC_BZIP2] = "bzip2",
};

const char *brk_scan_codec_name(int codec)
{
	return codec >= 0 && codec < BRK_SCAN_CODEC_COUNT ? names[codec] : "none";
}

int brk_scan_codec_sniff(const uint8_t *p, size_t len)
{
	if (len >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 0x08)
		return BRK_SCAN_CODEC_GZIP;
	if (len >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd)
		return BRK_SCAN_CODEC_ZSTD;
	/* bzip2: "BZh", the block size digit, the first block's magic (the
	 * digits of pi); an empty stream ("BZh9" and the end magic) holds nothing */
	if (len >= 10 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9' &&
	    memcmp(p + 4, "1AY&SY", 6) == 0)
		return BRK_SCAN_CODEC_BZIP2;
	/* zlib: CM=8, CINFO<=7, no preset dictionary, header check */
	if (len >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && !(p[1] & 0x20) &&
	    ((p[0] << 8) | p[1]) % 31 == 0)
		return BRK_SCAN_CODEC_ZLIB;
	return BRK_SCAN_CODEC_NONE;
}

int brk_scan_codec_from_ce(const char *t, size_t n)
{
	static const struct { const char *name; int codec; } map[] = {
		{ "gzip", BRK_SCAN_CODEC_GZIP }, { "x-gzip", BRK_SCAN_CODEC_GZIP },
		{ "deflate", BRK_SCAN_CODEC_ZLIB }, { "br", BRK_SCAN_CODEC_BROTLI },
		{ "zstd", BRK_SCAN_CODEC_ZSTD }, { "identity", BRK_SCAN_CODEC_NONE },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == n && strncasecmp(t, map[i].name, n) == 0)
			return map[i].codec;
	return -2;
}

/* Make room for one step of output; -EMSGSIZE when the caps are reached. */
static int room(struct brk_scan_out *o, size_t start, size_t inlen, struct brk_scan_dec_env *env,
		int codec, uint8_t **dst, size_t *avail)
{
	size_t produced = o->len - start;
	size_t rcap, lim;
	int rc;

	/* the ratio cap saturates instead of wrapping; start <= len <= max */
	if (!env->max_ratio || __builtin_mul_overflow(inlen, env->max_ratio, &rcap))
		rcap = (size_t)-1;
	if (rcap < env->ratio_floor)
		rcap = env->ratio_floor;
	lim = start > o->max ? 0 : o->max - start;
	if (lim > rcap)
		lim = rcap;
	/* one 16 KiB step at a time: the caller's deadline is checked here */
	if ((rc = brk_scan_deadline_check(env->deadline_ns)) < 0)
		return rc;
	if (produced >= lim) {
		env->refused = 1;
		if (lim == rcap)
			snprintf(env->err, sizeof(env->err),
				 "%s: expands over %zu:1 (%zu -> %zu+ bytes): decompression cut off (bomb cap)",
				 names[codec], env->max_ratio, inlen, produced);
		else
			snprintf(env->err, sizeof(env->err),
				 "%s: output over the %zu-byte scan budget: decompression cut off (bomb cap)",
				 names[codec], o->max);
		return -EMSGSIZE;
	}
	if (o->cap - o->len < STEP) {
		size_t want = o->len + STEP;

		if (want > o->max)
			want = o->max;
		if (o->cap < want) {
			uint8_t *np;
			size_t nc = o->cap ? o->cap : 4096;

			while (nc < want && nc <= o->max / 2)
				nc *= 2;
			if (nc < want || nc > o->max)
				nc = o->max;
			np = realloc(o->p, nc);
			if (!np)
				return -ENOMEM;
			o->p = np;
			o->cap = nc;
		}
	}
	*dst = o->p + o->len;
	*avail = o->cap - o->len;
	if (*avail > lim - produced)
		*avail = lim - produced;
	if (*avail > STEP)
		*avail = STEP;
	return 0;
}

/*
 * A raw deflate stream zlib would refuse at its first block header: block
 * type 3, or a stored block whose LEN and NLEN do not match. Trials on
 * binary layers (decoded base64 of hashes, tarball bytes) stop here
 * without an inflate state (allocation, init, end).
 */
static int deflate_refused(const uint8_t *p, size_t len)
{
	unsigned type;

	if (len == 0)
		return 1;
	type = (p[0] >> 1) & 3;
	if (type == 3)
		return 1;
	return type == 0 && len >= 5 && (p[1] | p[2] << 8) != (~(p[3] | p[4] << 8) & 0xffff);
}

/*
 * One inflate state per thread, reset per run (inflateReset2) instead of
 * set up and torn down: the decode graph tries raw deflate on binary
 * layers of every message. Freed at thread exit.
 */
static pthread_key_t z_key;
static pthread_once_t z_once = PTHREAD_ONCE_INIT;
static int z_key_ok;

static void z_drop(void *v)
{
	z_stream *z = v;

	if (z) {
		inflateEnd(z);
		free(z);
	}
}

static void z_init(void)
{
	z_key_ok = pthread_key_create(&z_key, z_drop) == 0;
}

/* The thread's inflate state for wbits (*own: inflateEnd it after). */
static z_stream *z_get(int wbits, z_stream *local, int *own)
{
	z_stream *z = NULL;

	*own = 0;
	(void)pthread_once(&z_once, z_init);
	if (z_key_ok && !(z = pthread_getspecific(z_key)) && (z = calloc(1, sizeof(*z)))) {
		if (inflateInit2(z, wbits) != Z_OK || pthread_setspecific(z_key, z) != 0) {
			inflateEnd(z);
			free(z);
			z = NULL;
		} else {
			return z;
		}
	}
	if (z && inflateReset2(z, wbits) == Z_OK)
		return z;
	memset(local, 0, sizeof(*local));
	if (inflateInit2(local, wbits) != Z_OK)
		return NULL;
	*own = 1;
	return local;
}

static int run_zlib(int codec, const uint8_t *p, size_t len, int strict,
		    struct brk_scan_out *o, struct brk_scan_dec_env *env)
{
	z_stream local, *zp;
	size_t start = o->len;
	int wbits = codec == BRK_SCAN_CODEC_GZIP ? 31 : codec == BRK_SCAN_CODEC_ZLIB ? 15 : -15;
	int zr = Z_OK, rc = 0, own;

	if (codec == BRK_SCAN_CODEC_DEFLATE && strict && deflate_refused(p, len))
		return 0;
	if (!(zp = z_get(wbits, &local, &own)))
		return -ENOMEM;
	/* zlib's API is not const-correct; it never writes the input */
	zp->next_in = (Bytef *)(uintptr_t)p;
	zp->avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	for (;;) {
		uint8_t *dst;
		size_t av;

		rc = room(o, start, len, env, codec, &dst, &av);
		if (rc < 0)
			break;
		zp->next_out = dst;
		zp->avail_out = (uInt)av;
		zr = inflate(zp, Z_NO_FLUSH);
		o->len += av - zp->avail_out;
		if (zr == Z_STREAM_END) {
			/* gzip members may be concatenated */
			if (codec == BRK_SCAN_CODEC_GZIP && zp->avail_in >= 3 && zp->next_in[0] == 0x1f &&
			    zp->next_in[1] == 0x8b && inflateReset(zp) == Z_OK)
				continue;
			break;
		}
		if (zr != Z_OK)
			break;
		if (zp->avail_in == 0 && zp->avail_out != 0)
			break;  /* truncated input */
	}
	zp->next_in = NULL;
	zp->next_out = NULL;
	if (own)
		inflateEnd(zp);
	if (rc < 0)
		return rc;
	if (zr != Z_STREAM_END && (strict || o->len == start)) {
		o->len = start;
		return 0;
	}
	return o->len > start;
}

/*
 * Brotli trials (every piece of a binary layer) create a decoder each (no
 * reset in brotli 1.0.9), and each decoder makes about ten allocations:
 * creating and destroying it was a third of a trial's instructions. A decoder's
 * memory comes from one arena per thread, emptied when the next decoder
 * is created (one at a time per thread: created, run, destroyed in
 * run_brotli); what does not fit (large windows, many Huffman tables)
 * comes from malloc as before. Freed at thread exit.
 */
#define BR_ARENA (128u << 10)

struct br_arena {
	uint8_t *base;
	size_t used;
};

static pthread_key_t br_key;
static pthread_once_t br_once = PTHREAD_ONCE_INIT;
static int br_key_ok;

static void br_drop(void *v)
{
	struct br_arena *a = v;

	if (a) {
		free(a->base);
		free(a);
	}
}

static void br_init(void)
{
	br_key_ok = pthread_key_create(&br_key, br_drop) == 0;
}

/* The thread's arena, emptied; NULL: malloc only. */
static struct br_arena *br_get(void)
{
	struct br_arena *a;

	(void)pthread_once(&br_once, br_init);
	if (!br_key_ok)
		return NULL;
	if (!(a = pthread_getspecific(br_key))) {
		if (!(a = calloc(1, sizeof(*a))) || !(a->base = malloc(BR_ARENA)) ||
		    pthread_setspecific(br_key, a) != 0) {
			if (a)
				free(a->base);
			free(a);
			return NULL;
		}
	}
	a->used = 0;
	return a;
}

static void *br_alloc(void *opaque, size_t n)
{
	struct br_arena *a = opaque;
	size_t r = (n + 15) & ~(size_t)15;

	if (a && r >= n && r <= BR_ARENA - a->used) {
		void *p = a->base + a->used;

		a->used += r;
		return p;
	}
	return malloc(n);
}

static void br_free(void *opaque, void *p)
{
	struct br_arena *a = opaque;

	if (p && (!a || (uintptr_t)p - (uintptr_t)a->base >= BR_ARENA))
		free(p);
}

static int run_brotli(const uint8_t *p, size_t len, int strict, struct brk_scan_out *o,
		      struct brk_scan_dec_env *env)
{
	struct br_arena *a = br_get();
	BrotliDecoderState *s = BrotliDecoderCreateInstance(br_alloc, br_free, a);
	BrotliDecoderResult r = BROTLI_DECODER_RESULT_ERROR;
	size_t start = o->len, ain = len;
	const uint8_t *nin = p;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	for (;;) {
		uint8_t *dst;
		size_t av, before;

		rc = room(o, start, len, env, BRK_SCAN_CODEC_BROTLI, &dst, &av);
		if (rc < 0)
			break;
		before = av;
		r = BrotliDecoderDecompressStream(s, &ain, &nin, &av, &dst, NULL);
		o->len += before - av;
		if (r != BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT)
			break;
	}
	BrotliDecoderDestroyInstance(s);
	if (rc < 0)
		return rc;
	if (r != BROTLI_DECODER_RESULT_SUCCESS && (strict || r == BROTLI_DECODER_RESULT_ERROR ||
						   o->len == start)) {
		o->len = start;
		return 0;
	}
	return o->len > start;
}

static int run_zstd(const uint8_t *p, size_t len, int strict, struct brk_scan_out *o,
		    struct brk_scan_dec_env *env)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	ZSTD_inBuffer in = { p, len, 0 };
	size_t start = o->len, zr = 1;
	int rc = 0, err = 0;

	if (!d)
		return -ENOMEM;
	ZSTD_initDStream(d);
	/* refuse window sizes beyond 8 MiB: memory, not just output */
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 23);
	for (;;) {
		uint8_t *dst;
		size_t av;
		ZSTD_outBuffer out;

		rc = room(o, start, len, env, BRK_SCAN_CODEC_ZSTD, &dst, &av);
		if (rc < 0)
			break;
		out.dst = dst;
		out.size = av;
		out.pos = 0;
		zr = ZSTD_decompressStream(d, &out, &in);
		o->len += out.pos;
		if (ZSTD_isError(zr)) {
			err = 1;
			break;
		}
		if (zr == 0 && in.pos == in.size)
			break;
		if (in.pos == in.size && out.pos < out.size)
			break;  /* truncated */
	}
	ZSTD_freeDStream(d);
	if (rc < 0)
		return rc;
	if ((err || zr != 0) && (strict || o->len == start)) {
		o->len = start;
		return 0;
	}
	return o->len > start;
}

/*
 * bzip2 (libbz2): the same room() steps, caps and deadline as the others.
 * small = 1: the decoder's memory is ~2.5 bytes a block byte (2.3 MiB at
 * most), not ~4 (3.6 MiB), at about half the speed: an upload is read
 * once, memory is per session thread.
 */
static int run_bzip2(const uint8_t *p, size_t len, int strict, struct brk_scan_out *o,
		     struct brk_scan_dec_env *env)
{
	bz_stream s;
	size_t start = o->len;
	int rc = 0, r = BZ_OK;

	memset(&s, 0, sizeof(s));
	if (BZ2_bzDecompressInit(&s, 0, 1) != BZ_OK)
		return -ENOMEM;
	s.next_in = (char *)(uintptr_t)p;       /* (libbz2 does not write it) */
	s.avail_in = len > UINT_MAX ? UINT_MAX : (unsigned)len;   /* scan budgets are far less */
	for (;;) {
		uint8_t *dst;
		size_t av;

		rc = room(o, start, len, env, BRK_SCAN_CODEC_BZIP2, &dst, &av);
		if (rc < 0)
			break;
		s.next_out = (char *)dst;
		s.avail_out = (unsigned)av;
		r = BZ2_bzDecompress(&s);
		o->len += av - s.avail_out;
		if (r != BZ_OK || (s.avail_in == 0 && s.avail_out != 0))
			break;  /* the end, an error, or truncated */
	}
	BZ2_bzDecompressEnd(&s);
	if (rc < 0)
		return rc;
	if (r != BZ_STREAM_END && (strict || o->len == start)) {
		o->len = start;
		return 0;
	}
	return o->len > start;
}

int brk_scan_codec_run(int codec, const uint8_t *p, size_t len, int strict,
		       struct brk_scan_out *o, struct brk_scan_dec_env *env)
{
	switch (codec) {
	case BRK_SCAN_CODEC_GZIP:
	case BRK_SCAN_CODEC_ZLIB:
	case BRK_SCAN_CODEC_DEFLATE:
		return run_zlib(codec, p, len, strict, o, env);
	case BRK_SCAN_CODEC_BROTLI:
		return run_brotli(p, len, strict, o, env);
	case BRK_SCAN_CODEC_ZSTD:
		return run_zstd(p, len, strict, o, env);
	case BRK_SCAN_CODEC_BZIP2:
		return run_bzip2(p, len, strict, o, env);
	default:
		return 0;
	}
}
