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

int brk_scan_dec_concat(const uint8_t *p, size_t len, struct brk_scan_out *o,
			struct brk_scan_dec_env *env)
{
	const uint8_t *pl = p;
	size_t from = 0;
	int rc = 0, any = 0;

	(void)env;
	while (rc == 0 && from < len && (pl = memchr(p + from, '+', len - from)) != NULL) {
		size_t i = (size_t)(pl - p), a = i, s, e, g;
		uint8_t q;

		from = i + 1;
		for (g = 0; a > 0 && g < GAP_MAX && blank(p[a - 1]); g++)
			a--;
		if (a == 0 || !quote(p[a - 1]))
			continue;
		q = p[a - 1];
		e = a - 1;
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
		if (s == e || p[s] != q || !next_lit(p, len, e, q))
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
