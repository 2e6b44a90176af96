/* SPDX-License-Identifier: MIT */
/*
 * pat_trigger.h - token prefixes under encodings (pat_trigger.c).
 * Internal to broker/scan/ (scan.c) and its tests.
 *
 * The detector table only sees the layers the decode graph produces. A
 * token written as rot47, %uXXXX, a css escape list, utf-32, base32 or
 * base85 is no layer of its own, but its detector's literal prefix
 * ("ghp_", "npm_", "AKIA") encoded that way is a literal. Each such
 * literal is a trigger; a hit decodes a small window from it (bounded) and
 * the detector decides on the decoded bytes. A hit that decodes to no
 * full detector match is nothing.
 */
#ifndef DLP_BROKER_SCAN_PAT_TRIGGER_H
#define DLP_BROKER_SCAN_PAT_TRIGGER_H

#include <stddef.h>
#include <stdint.h>

/* Encoded input a trigger decodes at most (the window around a hit). */
#define BRK_PAT_TRIG_WINDOW 1024

struct brk_pat_trig;

/* Build the triggers of every detector with a distinctive literal prefix.
 * 0 or -ENOMEM. */
int brk_pat_trig_new(struct brk_pat_trig **out);
void brk_pat_trig_free(struct brk_pat_trig *t);
size_t brk_pat_trig_count(const struct brk_pat_trig *t);
/* Trigger i's literal (case-sensitive). */
const char *brk_pat_trig_lit(const struct brk_pat_trig *t, size_t i, size_t *len);

struct brk_pat_trig_hit {
	size_t det;                 /* detector index (det_table.h) */
	unsigned anchor;            /* its anchor: out[0, strlen) is that anchor */
	const char *scheme;         /* encoding name, e.g. "rot47", "base32" */
	size_t s, e;                /* encoded span in buf */
	int more;                   /* the input ran out at len (not final):
				     * more bytes may make the token longer */
};

/*
 * Trigger i matched buf[end - litlen, end). Decode from there into
 * out[0, cap) (*outlen bytes; they start with the detector's anchor).
 * Returns 1 when decoded (see hit->more), 0 when it does not decode to the
 * anchor, 2 when the input ran out at len before the anchor was complete
 * and !final (more bytes may complete it).
 */
int brk_pat_trig_decode(const struct brk_pat_trig *t, size_t i, const uint8_t *buf, size_t len,
			size_t end, int final, uint8_t *out, size_t cap, size_t *outlen,
			struct brk_pat_trig_hit *hit);

#endif /* DLP_BROKER_SCAN_PAT_TRIGGER_H */
