/* SPDX-License-Identifier: MIT */
/*
 * dec_unspell.c - the decoder for a token prefix spelled backwards or
 * letter-shifted: "ghp_..." reversed ("..._phg"), in ROT-n for any n
 * ("tuc_..." is ROT13), both at once, and ROT18 (ROT13 plus ROT5 of the
 * digits). A detector whose value we do not know is found by its fixed
 * prefix; these transforms keep that prefix's shape (letters stay letters
 * of the same case, '_' and '-' stay where they were, the letter-to-letter
 * distances mod 26 stay), so the decoder looks only where a '_' or '-'
 * could be one of a prefix's, checks the prefix's shape around it, and
 * puts the window the detector would need, turned back, as a piece of
 * its child layer. The detectors then judge the window as they judge any
 * layer (checksums, shapes): a window that is no token costs its copy.
 *
 * Prefixes are the anchors of the specific detectors (det_table.c) with a
 * '_' or '-' and three letters or more: github_pat_, ghp_, npm_, glpat-,
 * xoxb-, sk-ant-api03-, the PEM BEGIN lines, ... Base64 or hex of a
 * reversed token is found by the graph: base64 decodes, this decoder
 * reverses the child.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "broker/scan/decode.h"
#include "broker/scan/det_table.h"
#include "broker/scan/detect.h"

#define UNSPELL_MAX 96            /* prefixes kept */
#define UNSPELL_WIN_MAX 4096      /* longest window put out */

struct prefix {
	const char *a;
	size_t len;
	size_t win;              /* bytes from the prefix start a match reaches */
	uint8_t trig[8];         /* offsets of '_' / '-' in a (up to 8) */
	unsigned ntrig;
};

static struct prefix prefixes[UNSPELL_MAX];
static size_t nprefixes;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int lower(uint8_t c)
{
	return c >= 'a' && c <= 'z';
}

static int upper(uint8_t c)
{
	return c >= 'A' && c <= 'Z';
}

static void setup(void)
{
	size_t i, k, j;

	for (i = 0; i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];

		if (d->flags & (BRK_SCAN_DF_GENERIC | BRK_SCAN_DF_NOCASE))
			continue;
		if (d->check && d->check != brk_scan_check_shape && d->check != brk_scan_check_pem)
			continue;
		for (k = 0; k < BRK_SCAN_MAX_ANCHORS && d->anchors[k] && nprefixes < UNSPELL_MAX; k++) {
			struct prefix *x = &prefixes[nprefixes];
			unsigned letters = 0;

			memset(x, 0, sizeof(*x));
			x->a = d->anchors[k];
			x->len = strlen(x->a);
			for (j = 0; j < x->len; j++) {
				uint8_t c = (uint8_t)x->a[j];

				letters += lower(c) || upper(c);
				if ((c == '_' || c == '-') && x->ntrig < sizeof(x->trig))
					x->trig[x->ntrig++] = (uint8_t)j;
			}
			if (x->len < 4 || letters < 3 || x->ntrig == 0)
				continue;
			x->win = d->maxlen ? d->maxlen : (size_t)d->pre_max + x->len + d->max + 1;
			if (x->win > UNSPELL_WIN_MAX)
				x->win = UNSPELL_WIN_MAX;
			nprefixes++;
		}
	}
}

/*
 * Does the prefix x lie at p[i, i + x->len), read forwards (rev = 0) or
 * backwards from p[i + x->len - 1] (rev = 1), with its letters shifted by
 * one n (mod 26, case kept) and every other byte as it is? *n = the shift.
 * The caller made sure the bytes are there.
 */
static int shape_at(const struct prefix *x, const uint8_t *p, size_t i, int rev, int *n)
{
	size_t j;
	int s = -1;

	for (j = 0; j < x->len; j++) {
		uint8_t a = (uint8_t)x->a[j], c = p[rev ? i + x->len - 1 - j : i + j];
		int base;

		if (lower(a) && lower(c))
			base = 'a';
		else if (upper(a) && upper(c))
			base = 'A';
		else if (a == c && !lower(a) && !upper(a))
			continue;
		else
			return 0;
		if (s < 0)
			s = (c - a + 26) % 26;
		else if ((c - base - (a - base) + 26) % 26 != s)
			return 0;
	}
	*n = s < 0 ? 0 : s;
	return 1;
}

/* Put q[0,n) read backwards (rev) or forwards, letters shifted back by
 * sh, digits back by dsh (ROT5), as a new piece of o. */
static int put_window(struct brk_scan_out *o, const uint8_t *q, size_t n, int rev, int sh, int dsh)
{
	size_t j;
	int rc = brk_scan_out_piece(o, 1);

	for (j = 0; j < n && rc == 0; j++) {
		uint8_t c = q[rev ? n - 1 - j : j];

		if (lower(c))
			c = (uint8_t)('a' + (c - 'a' + 26 - sh) % 26);
		else if (upper(c))
			c = (uint8_t)('A' + (c - 'A' + 26 - sh) % 26);
		else if (dsh && c >= '0' && c <= '9')
			c = (uint8_t)('0' + (c - '0' + 10 - dsh) % 10);
		rc = brk_scan_out_byte(o, c);
	}
	return rc;
}

/* The prefix x spelled at p[i]: its window, turned back. */
static int emit(struct brk_scan_out *o, const uint8_t *p, size_t len, const struct prefix *x,
		size_t i, int rev, int n)
{
	size_t s, e;
	int rc;

	if (rev) {
		/* "...body...xiferp": the body is before the prefix */
		e = i + x->len;
		s = e > x->win ? e - x->win : 0;
	} else {
		s = i;
		e = len - i > x->win ? i + x->win : len;
	}
	rc = put_window(o, p + s, e - s, rev, n, 0);
	/* ROT18: the letters by 13, the digits by 5 */
	if (rc == 0 && n == 13)
		rc = put_window(o, p + s, e - s, rev, n, 5);
	return rc;
}

int brk_scan_dec_unspell(const uint8_t *p, size_t len, struct brk_scan_out *o,
			 struct brk_scan_dec_env *env)
{
	size_t i, k, last[2] = { (size_t)-1, (size_t)-1 };
	const uint8_t *u, *d;
	int rc = 0;

	(void)env;
	pthread_once(&once, setup);
	if (len < 8)
		return 0;
	/* the next '_' and the next '-', each searched again only once passed
	 * (glibc's memchr is wide; both bytes are sparse in text) */
	u = memchr(p, '_', len);
	d = memchr(p, '-', len);
	while ((u || d) && rc == 0) {
		const uint8_t *q = !u ? d : !d ? u : u < d ? u : d;

		i = (size_t)(q - p);
		for (k = 0; k < nprefixes && rc == 0; k++) {
			const struct prefix *x = &prefixes[k];
			unsigned t;

			for (t = 0; t < x->ntrig && rc == 0; t++) {
				size_t j = x->trig[t], s;
				int n, rev;

				if (x->a[j] != (char)*q)
					continue;
				for (rev = 0; rev < 2 && rc == 0; rev++) {
					/* forwards the prefix starts j before p[i]; backwards
					 * (its last byte first) len - 1 - j before */
					size_t back = rev ? x->len - 1 - j : j;

					if (i < back || i - back + x->len > len)
						continue;
					s = i - back;
					if (!shape_at(x, p, s, rev, &n) || (!rev && n == 0) || last[rev] == s)
						continue;   /* plain text; github_pat_ and its two '_' */
					last[rev] = s;
					rc = emit(o, p, len, x, s, rev, n);
				}
			}
		}
		if (q == u)
			u = i + 1 < len ? memchr(p + i + 1, '_', len - i - 1) : NULL;
		else
			d = i + 1 < len ? memchr(p + i + 1, '-', len - i - 1) : NULL;
	}
	if (rc < 0 && rc != -EMSGSIZE)
		return rc;
	if (!o->len)
		return 0;
	return rc == -EMSGSIZE ? rc : 1;
}
