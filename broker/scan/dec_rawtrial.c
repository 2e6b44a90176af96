/* SPDX-License-Identifier: MIT */
/*
 * dec_rawtrial.c - raw deflate after a short text prefix: "x" or
 * "token=" and then a stream with no header. The decompress decoder
 * (decode.c) tries raw deflate at a layer's start and, by trial, after
 * MID_TEXT (16) text bytes or more, at the MID_BACK offsets before the
 * first non-text byte; a prefix of 1..15 bytes whose stream opens with
 * text bytes of its own, or is followed by no text, was left untried.
 * Here: the offsets 1..15 up to the first non-text byte t (t < 64),
 * each a strict trial (a complete stream, codec.c) that puts out text
 * (every such one is a piece: an offset inside the prefix may parse),
 * and only where the first byte names a fixed or dynamic block: a stored
 * block holds its bytes in the clear, type 3 is no deflate.
 *
 * Cost: text layers (no_magic) and a stream's windows that start inside
 * a message (mid_start) are not looked at; a binary layer pays a few
 * trials at most, which random bytes fail within their first bytes.
 */
#include "config.h"

#include <errno.h>

#include "broker/scan/codec.h"
#include "broker/scan/decode.h"
#include "broker/scan/textrun.h"

#define PREFIX_MAX 15     /* decode.c tries MID_TEXT (16) and more itself */
#define TEXT_LOOK 64      /* a stream's own first bytes may be text */
#define STREAM_MIN 8      /* bytes: a shorter stream holds no token */

/* Three bytes in four of p[0, n) text: what a stream a prefix was put
 * before holds. A trial at an offset inside the prefix that happens to
 * parse (one in a few at 9..14 bytes) puts out random bytes. */
static int mostly_text(const uint8_t *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += brk_scan_text_byte(p[i]);
	return n > 0 && 4 * k >= 3 * n;
}

int brk_scan_dec_rawtrial(const uint8_t *p, size_t len, struct brk_scan_out *o,
			  struct brk_scan_dec_env *env)
{
	size_t t, j, e = len;
	int rc;

	if (env->no_magic || env->mid_start)
		return 0;
	for (t = 0; t < len && t < TEXT_LOOK && brk_scan_text_byte(p[t]); t++)
		;
	if (t == 0 || t == TEXT_LOOK || t == len)
		return 0;
	/* the layer's first piece only: the next starts an unrelated one */
	for (j = 0; j < env->npieces; j++)
		if (env->pieces[j] > 0) {
			e = env->pieces[j] < len ? env->pieces[j] : len;
			break;
		}
	for (j = 1; j <= t && j <= PREFIX_MAX && j + STREAM_MIN <= e; j++) {
		size_t mark = o->len, mnp = o->npieces;
		unsigned btype = p[j] >> 1 & 3;

		/* decode.c's trials (t >= 16: t - 8 .. t) too: it keeps the
		 * first stream that parses, which may start inside the prefix */
		if (btype != 1 && btype != 2)
			continue;
		if ((rc = brk_scan_out_piece(o, 1)) < 0)
			return rc;
		rc = brk_scan_codec_run(BRK_SCAN_CODEC_DEFLATE, p + j, e - j, 1, o, env);
		if (rc > 0 && !mostly_text(o->p + mark, o->len - mark))
			rc = 0;   /* an offset inside the prefix that parses as a stream */
		if (rc > 0 || rc == -EMSGSIZE)
			env->layer = brk_scan_codec_name(BRK_SCAN_CODEC_DEFLATE);
		if (rc == -EMSGSIZE)
			return 1;   /* the capped prefix; env says refused */
		if (rc < 0)
			return rc;
		if (rc == 0) {
			o->len = mark;
			o->npieces = mnp;
		}
		/* on: an earlier offset's stream may be garbage that parses */
	}
	return o->len > 0;
}
