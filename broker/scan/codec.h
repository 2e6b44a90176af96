/* SPDX-License-Identifier: MIT */
/*
 * codec.h - decompression for the decode graph (zlib, brotli, zstd,
 * bzip2), with
 * hard output and expansion-ratio caps: a bomb is cut off at the cap and
 * reported, never expanded. Called by decode.c (the decompress and http
 * decoders) only.
 */
#ifndef DLP_BROKER_SCAN_CODEC_H
#define DLP_BROKER_SCAN_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "broker/scan/decode.h"

enum brk_scan_codec {
	BRK_SCAN_CODEC_NONE = -1,
	BRK_SCAN_CODEC_GZIP = 0,
	BRK_SCAN_CODEC_ZLIB,
	BRK_SCAN_CODEC_DEFLATE,   /* raw */
	BRK_SCAN_CODEC_BROTLI,
	BRK_SCAN_CODEC_ZSTD,
	BRK_SCAN_CODEC_BZIP2,
	BRK_SCAN_CODEC_COUNT
};

const char *brk_scan_codec_name(int codec);
/* Codec from magic bytes at p[0] (gzip, zlib, zstd, bzip2), or NONE. */
int brk_scan_codec_sniff(const uint8_t *p, size_t len);
/* Codec named by one Content-Encoding token ("gzip", "x-gzip", "deflate",
 * "br", "zstd"); "identity" gives NONE; unknown gives -2. */
int brk_scan_codec_from_ce(const char *tok, size_t n);
/*
 * Decompress p[0,len) with codec, appending to o. strict = 1 requires a
 * complete, well-formed stream (trial decoding without magic); otherwise a
 * truncated stream yields what it decoded. Returns 1 (output appended),
 * 0 (not this codec), or -EMSGSIZE when the output hit o->max or the ratio
 * cap: env->refused and env->err say so, o keeps the prefix.
 */
int brk_scan_codec_run(int codec, const uint8_t *p, size_t len, int strict,
		       struct brk_scan_out *o, struct brk_scan_dec_env *env);

#endif /* DLP_BROKER_SCAN_CODEC_H */
