/* SPDX-License-Identifier: MIT */
/*
 * pat_trigger.c - token prefixes under encodings as trigger literals
 * (pat_trigger.h).
 *
 * A class, not a list of samples: every detector whose anchor is a
 * distinctive literal prefix gets that prefix encoded by every scheme
 * below. Character-wise schemes (a number per byte with its prefix,
 * suffix and separator; rot47; utf-16/32; separators every N characters)
 * encode the prefix character by character; group schemes (base32,
 * base64 reversed, base85/ascii85/z85) keep, at each alignment, only the
 * characters that depend on the prefix alone, and remember how far back
 * their group starts. scan.c adds the literals to the detector database
 * (one pass, one scratch, cached with it); a hit comes back here to be
 * decoded from the group or list start, at most BRK_PAT_TRIG_WINDOW input
 * bytes, and the detector's own check decides.
 *
 * Not here: whole-number encodings (base58, base36, one decimal number),
 * whose digits all depend on every byte, and base85 groups the prefix
 * only partly fills (a 4-byte prefix off its group's alignment).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/det_table.h"
#include "broker/scan/detect.h"
#include "broker/scan/pat_trigger.h"

#define PREFIX_MAX 8      /* character-wise schemes encode this much of an anchor */
#define GROUP_PREFIX 16   /* group schemes: this much (more full groups) */
#define LIT_MIN 4         /* shorter literals would fire on ordinary text */
#define LIT_MAX 96
#define BIGN_MAX 64       /* K_BIGN: tokens up to this many bytes */

enum kind {
	K_NUM,    /* pre digits suf, joined by sep */
	K_ROT47,
	K_SEP,    /* the text with a separator every n characters */
	K_WIDE,   /* utf-16/32: width bytes per character */
	K_BITS,   /* base32/base64: bits per character, MSB first */
	K_B85,    /* base85 family: 4 bytes as 5 digits, most significant first */
	K_BIGN,   /* the whole token as one number (base58, base36, decimal) */
};

struct scheme {
	const char *name;
	uint8_t kind;
	uint8_t rev;              /* the whole encoded text is reversed */
	uint8_t base, width, upper; /* K_NUM; width 0 = variable; K_WIDE: width, upper = BE */
	const char *pre, *suf, *sep;
	const char *alpha;        /* K_BITS, K_B85 */
	uint8_t bits;             /* K_BITS */
};

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char B32L[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char B32H[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char B36L[] = "0123456789abcdefghijklmnopqrstuvwxyz";
static const char B36U[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char B62A[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char DEC[] = "0123456789";
static const char UU[] = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_";
static const char B85[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
static const char A85[] = "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstu";
static const char Z85[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* Separators a K_SEP scheme tries; literals for every n <= SEP_LIT_N
 * (longer groups keep the raw prefix whole: the raw prefix triggers). */
static const char SEPS[] = ".-: \n,;/|\t";
#define SEP_LIT_N 3
#define SEP_MAX_N 8

static const struct scheme schemes[] = {
	{ .name = "percent-u", .kind = K_NUM, .base = 16, .width = 4, .pre = "%u" },
	{ .name = "percent-u", .kind = K_NUM, .base = 16, .width = 4, .upper = 1, .pre = "%u" },
	{ .name = "js-u-brace", .kind = K_NUM, .base = 16, .pre = "\\u{", .suf = "}" },
	{ .name = "js-u-brace", .kind = K_NUM, .base = 16, .upper = 1, .pre = "\\u{", .suf = "}" },
	{ .name = "css", .kind = K_NUM, .base = 16, .pre = "\\" },
	{ .name = "octal-escape", .kind = K_NUM, .base = 8, .width = 3, .pre = "\\" },
	{ .name = "css", .kind = K_NUM, .base = 16, .pre = "\\", .suf = " " },
	{ .name = "css", .kind = K_NUM, .base = 16, .width = 6, .pre = "\\" },
	{ .name = "binary", .kind = K_NUM, .base = 2, .width = 8 },
	{ .name = "binary", .kind = K_NUM, .base = 2, .width = 8, .sep = " " },
	{ .name = "octal-list", .kind = K_NUM, .base = 8, .sep = " " },
	{ .name = "octal-list", .kind = K_NUM, .base = 8, .sep = "," },
	{ .name = "decimal-list", .kind = K_NUM, .base = 10, .sep = "," },
	{ .name = "decimal-list", .kind = K_NUM, .base = 10, .sep = ", " },
	{ .name = "decimal-list", .kind = K_NUM, .base = 10, .sep = " " },
	{ .name = "decimal-list", .kind = K_NUM, .base = 10, .sep = ";" },
	{ .name = "binary", .kind = K_NUM, .base = 2, .width = 8, .sep = "," },
	{ .name = "hex-list", .kind = K_NUM, .base = 16, .pre = "0x", .sep = ", " },
	{ .name = "hex-list", .kind = K_NUM, .base = 16, .pre = "0x", .sep = "," },
	{ .name = "hex-list", .kind = K_NUM, .base = 16, .upper = 1, .pre = "0x", .sep = ", " },
	{ .name = "hex-list", .kind = K_NUM, .base = 16, .upper = 1, .pre = "0x", .sep = "," },
	{ .name = "hex-spaced", .kind = K_NUM, .base = 16, .width = 2, .sep = " " },
	{ .name = "hex-spaced", .kind = K_NUM, .base = 16, .width = 2, .upper = 1, .sep = " " },
	{ .name = "hex-spaced", .kind = K_NUM, .base = 16, .width = 2, .sep = ":" },
	{ .name = "hex-spaced", .kind = K_NUM, .base = 16, .width = 2, .upper = 1, .sep = ":" },
	{ .name = "hex-spaced", .kind = K_NUM, .base = 16, .width = 2, .sep = "-" },
	{ .name = "hex-spaced", .kind = K_NUM, .base = 16, .width = 2, .upper = 1, .sep = "-" },
	{ .name = "hex-reversed", .kind = K_NUM, .rev = 1, .base = 16, .width = 2 },
	{ .name = "hex-reversed", .kind = K_NUM, .rev = 1, .base = 16, .width = 2, .upper = 1 },
	{ .name = "rot47", .kind = K_ROT47 },
	{ .name = "rot47-reversed", .kind = K_ROT47, .rev = 1 },
	{ .name = "separated", .kind = K_SEP },
	{ .name = "utf16le", .kind = K_WIDE, .width = 2 },
	{ .name = "utf16be", .kind = K_WIDE, .width = 2, .upper = 1 },
	{ .name = "utf32le", .kind = K_WIDE, .width = 4 },
	{ .name = "utf32be", .kind = K_WIDE, .width = 4, .upper = 1 },
	{ .name = "base32", .kind = K_BITS, .alpha = B32, .bits = 5 },
	{ .name = "base32-reversed", .kind = K_BITS, .rev = 1, .alpha = B32, .bits = 5 },
	{ .name = "base32", .kind = K_BITS, .alpha = B32L, .bits = 5 },
	{ .name = "base32hex", .kind = K_BITS, .alpha = B32H, .bits = 5 },
	{ .name = "base64-reversed", .kind = K_BITS, .rev = 1, .alpha = B64, .bits = 6 },
	{ .name = "uuencode", .kind = K_BITS, .alpha = UU, .bits = 6 },
	{ .name = "base85", .kind = K_B85, .alpha = B85 },
	{ .name = "ascii85", .kind = K_B85, .alpha = A85 },
	{ .name = "z85", .kind = K_B85, .alpha = Z85 },
	{ .name = "base58", .kind = K_BIGN, .alpha = B58 },
	{ .name = "base36", .kind = K_BIGN, .alpha = B36L },
	{ .name = "base36", .kind = K_BIGN, .alpha = B36U },
	{ .name = "base62", .kind = K_BIGN, .alpha = B62A },
	{ .name = "decimal", .kind = K_BIGN, .alpha = DEC },
};
#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

struct trig {
	char lit[LIT_MAX];
	uint8_t len;
	uint8_t scheme;
	uint8_t lead;             /* group schemes: characters from the group start */
	uint8_t skip;             /* ... and filler bytes before the anchor */
	char sep;                 /* K_SEP: its separator, 0 = any (raw prefix) */
	uint8_t tlen;             /* K_BIGN: the token's length in bytes */
	uint16_t det;
	uint8_t anchor;
};

struct brk_pat_trig {
	struct trig *t;
	size_t n, cap;
	size_t run;               /* building: where the current anchor's triggers begin */
};

/* ---- building -------------------------------------------------------- */

/* Anchors worth a trigger: a specific detector's case-sensitive literal
 * prefix, judged by the shape check alone, long enough to be distinctive. */
static int anchor_wanted(const struct brk_scan_det *d, unsigned k)
{
	if (d->flags & (BRK_SCAN_DF_GENERIC | BRK_SCAN_DF_NOCASE | BRK_SCAN_DF_KEYED))
		return 0;
	if (d->check && d->check != brk_scan_check_shape)
		return 0;
	return strlen(d->anchors[k]) >= 4;
}

static int push(struct brk_pat_trig *t, const struct trig *x)
{
	size_t i;

	if (x->len < LIT_MIN)
		return 0;
	/* the same literal for the same anchor: an anchor's triggers are pushed
	 * together (brk_pat_trig_new), so only its own run is searched, not all
	 * ~9000 (that search was 30 ms of every dlpjail start) */
	for (i = t->run; i < t->n; i++)
		if (t->t[i].det == x->det && t->t[i].anchor == x->anchor &&
		    t->t[i].len == x->len && !memcmp(t->t[i].lit, x->lit, x->len))
			return 0;
	if (t->n == t->cap) {
		size_t nc = t->cap ? 2 * t->cap : 1024;
		struct trig *nt = realloc(t->t, nc * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		t->t = nt;
		t->cap = nc;
	}
	t->t[t->n++] = *x;
	return 0;
}

static void put(struct trig *x, const char *s, size_t n)
{
	if (x->len + n >= LIT_MAX) {
		x->len = LIT_MAX;   /* too long: push() keeps it out below */
		return;
	}
	memcpy(x->lit + x->len, s, n);
	x->len = (uint8_t)(x->len + n);
}

static void num_digits(char *dst, unsigned v, unsigned base, unsigned width, int upper)
{
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[16];
	size_t n = 0, i;

	do {
		tmp[n++] = dig[v % base];
		v /= base;
	} while (v && n < sizeof(tmp));
	while (n < width && n < sizeof(tmp))
		tmp[n++] = '0';
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	dst[n] = '\0';
}

static void reverse(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n / 2; i++) {
		uint8_t c = p[i];

		p[i] = p[n - 1 - i];
		p[n - 1 - i] = c;
	}
}

static int build_charwise(struct brk_pat_trig *t, const struct scheme *sc, struct trig *x,
			  const char *a, size_t n)
{
	size_t i;
	char d[24];

	for (i = 0; i < n; i++) {
		unsigned c = (uint8_t)a[i];

		switch (sc->kind) {
		case K_NUM:
			if (i && sc->sep)
				put(x, sc->sep, strlen(sc->sep));
			if (sc->pre)
				put(x, sc->pre, strlen(sc->pre));
			num_digits(d, c, sc->base, sc->width, sc->upper);
			put(x, d, strlen(d));
			if (sc->suf)
				put(x, sc->suf, strlen(sc->suf));
			break;
		case K_ROT47:
			d[0] = (char)(c >= 33 && c <= 126 ? 33 + (c - 33 + 47) % 94 : c);
			put(x, d, 1);
			break;
		case K_WIDE:
			memset(d, 0, sc->width);
			d[sc->upper ? sc->width - 1 : 0] = (char)c;
			put(x, d, sc->width);
			break;
		}
	}
	if (sc->rev && x->len < LIT_MAX)
		reverse((uint8_t *)x->lit, x->len);
	return push(t, x);
}

/* Separated every sn characters, the anchor starting al into a group. */
static int build_sep(struct brk_pat_trig *t, struct trig *x, const char *a, size_t n)
{
	struct trig base = *x;
	size_t sn, al, i, s;
	int rc, inner;

	base.sep = 0;
	put(&base, a, n);           /* the raw prefix: longer groups, any separator */
	if ((rc = push(t, &base)) < 0)
		return rc;
	for (s = 0; SEPS[s]; s++)
		for (sn = 1; sn <= SEP_LIT_N; sn++)
			for (al = 0; al < sn; al++) {
				struct trig y = *x;

				y.sep = SEPS[s];
				inner = 0;
				for (i = 0; i < n; i++) {
					put(&y, a + i, 1);
					if ((al + i + 1) % sn == 0 && i + 1 < n) {
						put(&y, &SEPS[s], 1);
						inner = 1;
					}
				}
				if (inner && (rc = push(t, &y)) < 0)
					return rc;
			}
	return 0;
}

/* base32/base64 at each alignment: the characters whose bits all come
 * from the anchor, and how many characters of its group come before. */
static int build_bits(struct brk_pat_trig *t, const struct scheme *sc, struct trig *x,
		      const char *a, size_t n)
{
	unsigned gb = sc->bits == 5 ? 5 : 3;   /* bytes per group */
	unsigned k;
	int rc;

	for (k = 0; k < gb; k++) {
		struct trig y = *x;
		size_t lo = 8 * k, hi = 8 * (k + n), j0 = (lo + sc->bits - 1) / sc->bits, j;

		for (j = j0; (j + 1) * sc->bits <= hi; j++) {
			unsigned v = 0, b;

			for (b = 0; b < sc->bits; b++) {
				size_t bit = j * sc->bits + b, byte = bit / 8;
				unsigned c = byte < k ? 0 : (uint8_t)a[byte - k];

				v = (v << 1) | ((c >> (7 - bit % 8)) & 1);
			}
			put(&y, &sc->alpha[v], 1);
		}
		y.lead = (uint8_t)j0;
		y.skip = (uint8_t)k;
		if (sc->rev && y.len < LIT_MAX)
			reverse((uint8_t *)y.lit, y.len);
		if ((rc = push(t, &y)) < 0)
			return rc;
	}
	return 0;
}

/* base85 family: only groups the anchor fills completely are known. */
static int build_b85(struct brk_pat_trig *t, const struct scheme *sc, struct trig *x,
		     const char *a, size_t n)
{
	unsigned k;
	int rc;

	for (k = 0; k < 4; k++) {
		struct trig y = *x;
		size_t g0 = (k + 3) / 4, g;

		for (g = g0; 4 * g + 4 <= k + n; g++) {
			uint32_t v = 0;
			char d[5];
			int i;

			for (i = 0; i < 4; i++)
				v = (v << 8) | (uint8_t)a[4 * g + (size_t)i - k];
			for (i = 4; i >= 0; i--) {
				d[i] = sc->alpha[v % 85];
				v /= 85;
			}
			put(&y, d, 5);
		}
		y.lead = (uint8_t)(5 * g0);
		y.skip = (uint8_t)k;
		if ((rc = push(t, &y)) < 0)
			return rc;
	}
	return 0;
}

/* p[0, n) big-endian as a number in alpha's base, most significant digit
 * first, into dst (cap > 2.5 n); its length. Long division by the largest
 * power of the base that fits 32 bits, over 32-bit words: it runs ~200
 * times per fixed-length detector at every start, a digit and a byte at a
 * time it was 3.5 ms of it. */
static size_t to_base(const uint8_t *p, size_t n, const char *alpha, char *dst, size_t cap)
{
	uint32_t w[BIGN_MAX / 4 + 1] = { 0 };
	uint64_t big = 1;
	unsigned base = (unsigned)strlen(alpha), m = 0, j;
	size_t nw = (n + 3) / 4, nd = 0, i, lo = 0;

	while (big * base <= UINT32_MAX) {
		big *= base;
		m++;
	}
	for (i = 0; i < n; i++) {   /* the first word holds the odd bytes */
		size_t r = n - 1 - i;

		w[nw - 1 - r / 4] |= (uint32_t)p[i] << (8 * (r % 4));
	}
	do {
		uint64_t rem = 0;

		for (i = lo; i < nw; i++) {
			uint64_t cur = rem << 32 | w[i];

			w[i] = (uint32_t)(cur / big);
			rem = cur % big;
		}
		while (lo < nw && w[lo] == 0)
			lo++;
		/* m digits of rem; the most significant part without leading zeros */
		for (j = 0; j < m && nd + 1 < cap; j++) {
			dst[nd++] = alpha[rem % base];
			rem /= base;
			if (lo == nw && rem == 0)
				break;
		}
	} while (lo < nw && nd + 1 < cap);
	reverse((uint8_t *)dst, nd);
	dst[nd] = '\0';
	return nd;
}

/* The digits all tokens anchor + p[0, pn) + anything (L bytes in all)
 * share, at least want of them, as trigger x (pushed); 0 or -ENOMEM. */
static int bign_range(struct brk_pat_trig *t, const struct scheme *sc, struct trig x,
		      const uint8_t *p, size_t pn, size_t L, size_t want)
{
	uint8_t lo[BIGN_MAX], hi[BIGN_MAX];
	char slo[4 * BIGN_MAX], shi[4 * BIGN_MAX];
	size_t nl, nh, k;

	memset(lo, 0, L);
	memset(hi, 0xff, L);
	memcpy(lo, p, pn);
	memcpy(hi, p, pn);
	nl = to_base(lo, L, sc->alpha, slo, sizeof(slo));
	nh = to_base(hi, L, sc->alpha, shi, sizeof(shi));
	if (nl != nh)
		return 1;
	for (k = 0; k < nl && k < want && slo[k] == shi[k]; k++)
		;
	if (k < want)
		return 1;   /* the bytes fix too few digits */
	put(&x, slo, k);
	x.tlen = (uint8_t)L;
	return push(t, &x);
}

/*
 * A fixed-length token as one number: its leading digits depend on the
 * anchor and the length alone (the rest moves only the low digits), so
 * the digits that the smallest (anchor, then zeros) and the largest
 * (anchor, then 0xff) token of that length share are its literal. Where
 * that range straddles a digit boundary, the token's next character
 * splits it: one literal per part (most coincide).
 */
static int build_bign(struct brk_pat_trig *t, const struct scheme *sc, struct trig *x,
		      const struct brk_scan_det *d, const char *a, size_t al)
{
	uint8_t p[BIGN_MAX];
	size_t L = al + d->min, want = 0;
	double span = 1;
	unsigned c;
	int rc;

	if (d->min != d->max || d->pre_min || L > BIGN_MAX || al + 1 > L)
		return 0;
	/* enough digits that a chance match is 1 in 5e8 */
	while (span < 5e8) {
		span *= (double)strlen(sc->alpha);
		want++;
	}
	memcpy(p, a, al);
	if ((rc = bign_range(t, sc, *x, p, al, L, want)) <= 0)
		return rc;
	for (c = 0x21; c < 0x7f; c++) {
		if (!brk_scan_cls_has(d->cls, (uint8_t)c))
			continue;
		p[al] = (uint8_t)c;
		if ((rc = bign_range(t, sc, *x, p, al + 1, L, want)) < 0)
			return rc;
	}
	return 0;
}

int brk_pat_trig_new(struct brk_pat_trig **out)
{
	struct brk_pat_trig *t = calloc(1, sizeof(*t));
	size_t i, k, s;
	int rc = 0;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	for (i = 0; rc == 0 && i < brk_scan_ndetectors; i++) {
		const struct brk_scan_det *d = &brk_scan_detectors[i];

		for (k = 0; rc == 0 && k < BRK_SCAN_MAX_ANCHORS && d->anchors[k]; k++) {
			const char *a = d->anchors[k];
			size_t al = strlen(a);

			if (!anchor_wanted(d, (unsigned)k))
				continue;
			t->run = t->n;
			for (s = 0; rc == 0 && s < NSCHEMES; s++) {
				const struct scheme *sc = &schemes[s];
				struct trig x = { .scheme = (uint8_t)s, .det = (uint16_t)i,
						  .anchor = (uint8_t)k };
				size_t cn = al < PREFIX_MAX ? al : PREFIX_MAX;
				size_t gn = al < GROUP_PREFIX ? al : GROUP_PREFIX;

				if (sc->kind == K_SEP)
					rc = build_sep(t, &x, a, cn);
				else if (sc->kind == K_BITS)
					rc = build_bits(t, sc, &x, a, gn);
				else if (sc->kind == K_B85)
					rc = build_b85(t, sc, &x, a, gn);
				else if (sc->kind == K_BIGN)
					rc = build_bign(t, sc, &x, d, a, al);
				else
					rc = build_charwise(t, sc, &x, a, cn);
			}
		}
	}
	if (rc < 0) {
		brk_pat_trig_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void brk_pat_trig_free(struct brk_pat_trig *t)
{
	if (!t)
		return;
	free(t->t);
	free(t);
}

size_t brk_pat_trig_count(const struct brk_pat_trig *t)
{
	return t ? t->n : 0;
}

const char *brk_pat_trig_lit(const struct brk_pat_trig *t, size_t i, size_t *len)
{
	*len = t->t[i].len;
	return t->t[i].lit;
}

/* ---- decoding -------------------------------------------------------- */

/* What a decoder got: bytes written, where its input stopped, and whether
 * it stopped because the input ran out (not at a delimiter). */
struct dec {
	size_t n, used;
	int out_of_input;
};

static int digit_val(uint8_t c, unsigned base)
{
	int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;

	return v < (int)base ? v : -1;
}

/* 1 if p[i, len) starts with s; 0 if not; 2 if it is a prefix of s. */
static int lit_at(const uint8_t *p, size_t len, size_t i, const char *s)
{
	size_t n = s ? strlen(s) : 0, k;

	for (k = 0; k < n; k++) {
		if (i + k >= len)
			return 2;
		if (p[i + k] != (uint8_t)s[k])
			return 0;
	}
	return 1;
}

static void dec_num(const struct scheme *sc, const uint8_t *p, size_t len, uint8_t *out,
		    size_t cap, struct dec *r)
{
	size_t i = 0, maxd = sc->width ? sc->width : sc->base == 2 ? 8 : sc->base == 8 ? 3
			     : sc->base == 10 ? 3 : 6;

	while (r->n < cap) {
		unsigned v = 0;
		size_t nd = 0;
		int m, dv;

		if (r->n && sc->sep) {
			if ((m = lit_at(p, len, i, sc->sep)) != 1) {
				r->out_of_input = m == 2;
				break;
			}
			i += strlen(sc->sep);
		}
		if ((m = lit_at(p, len, i, sc->pre)) != 1) {
			r->out_of_input = m == 2;
			break;
		}
		i += sc->pre ? strlen(sc->pre) : 0;
		while (nd < maxd && i + nd < len && (dv = digit_val(p[i + nd], sc->base)) >= 0) {
			v = v * sc->base + (unsigned)dv;
			nd++;
		}
		if (i + nd == len && nd < maxd)
			r->out_of_input = 1;    /* a last number, or one still growing */
		if (!nd || (sc->width && nd != sc->width) || v > 255)
			break;
		i += nd;
		if ((m = lit_at(p, len, i, sc->suf)) != 1) {
			r->out_of_input = m == 2;
			break;
		}
		i += sc->suf ? strlen(sc->suf) : 0;
		out[r->n++] = (uint8_t)v;
		r->used = i;
	}
}

static void dec_rot47(const uint8_t *p, size_t len, uint8_t *out, size_t cap, struct dec *r)
{
	size_t i;

	for (i = 0; i < len && r->n < cap && p[i] >= 33 && p[i] <= 126; i++)
		out[r->n++] = (uint8_t)(33 + (p[i] - 33 + 47) % 94);
	r->used = i;
	r->out_of_input = i == len;
}

static void dec_wide(const struct scheme *sc, const uint8_t *p, size_t len, uint8_t *out,
		     size_t cap, struct dec *r)
{
	size_t i, w = sc->width, k;

	for (i = 0; i + w <= len && r->n < cap; i += w) {
		size_t at = sc->upper ? i + w - 1 : i;

		for (k = 0; k < w && (i + k == at || p[i + k] == 0); k++)
			;
		if (k < w || p[at] < 0x20 || p[at] > 0x7e)
			break;
		out[r->n++] = p[at];
	}
	r->used = i;
	r->out_of_input = i + w > len;
}

/* The text with separator sep every n characters removed: the first gap
 * may be shorter (the anchor starts inside a group), the others equal. */
static void dec_sep(char sep, const uint8_t *p, size_t len, uint8_t *out, size_t cap,
		    struct dec *r)
{
	size_t i, gap = 0, first = 0, n = 0, seps = 0;

	for (i = 0; i < len && r->n < cap; i++) {
		uint8_t c = p[i];

		if (c == (uint8_t)sep) {
			if (!gap)
				break;          /* two in a row: the end */
			if (seps == 0)
				first = gap;
			else if (seps == 1)
				n = gap;
			else if (gap != n)
				break;
			if (seps >= 1 && first > n && n)
				break;
			seps++;
			gap = 0;
			continue;
		}
		if (c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c > 0x7e)
			break;
		if (seps >= 2 && gap == n)
			break;                  /* a group too long: past the token */
		out[r->n++] = c;
		gap++;
		r->used = i + 1;
	}
	r->out_of_input = i == len;
	if (seps < 2)
		r->n = 0;                       /* not a separated token */
}

static int alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int b_index(const char *alpha, uint8_t c)
{
	const char *q = c ? strchr(alpha, c) : NULL;

	return q ? (int)(q - alpha) : -1;
}

static void dec_bits(const struct scheme *sc, const uint8_t *p, size_t len, uint8_t *out,
		     size_t cap, struct dec *r)
{
	unsigned acc = 0, nb = 0;
	size_t i;
	int v;

	for (i = 0; i < len && r->n < cap && (v = b_index(sc->alpha, p[i])) >= 0; i++) {
		acc = (acc << sc->bits) | (unsigned)v;
		nb += sc->bits;
		if (nb >= 8) {
			nb -= 8;
			out[r->n++] = (uint8_t)(acc >> nb);
			acc &= (1u << nb) - 1;
		}
	}
	r->used = i;
	r->out_of_input = i == len;
}

static void dec_b85(const struct scheme *sc, const uint8_t *p, size_t len, uint8_t *out,
		    size_t cap, struct dec *r)
{
	size_t i = 0, k, m;
	int v;

	while (r->n + 4 <= cap) {
		uint64_t acc = 0;

		for (m = 0; m < 5 && i + m < len && (v = b_index(sc->alpha, p[i + m])) >= 0; m++)
			acc = acc * 85 + (unsigned)v;
		if (m < 5) {
			r->out_of_input = i + m == len;
			if (m >= 2) {           /* a short last group: pad with the top digit */
				for (k = m; k < 5; k++)
					acc = acc * 85 + 84;
				for (k = 0; k + 1 < m; k++)
					out[r->n++] = (uint8_t)(acc >> (24 - 8 * k));
				r->used = i + m;
			}
			return;
		}
		if (acc > 0xffffffffu)
			return;
		for (k = 0; k < 4; k++)
			out[r->n++] = (uint8_t)(acc >> (24 - 8 * k));
		i += 5;
		r->used = i;
	}
}

/* The run of alpha's digits as one number, into out: n bytes (leading
 * zero bytes dropped). */
static void dec_bign(const struct scheme *sc, const uint8_t *p, size_t len, uint8_t *out,
		     size_t cap, struct dec *r)
{
	uint8_t v[BIGN_MAX + 1];
	unsigned base = (unsigned)strlen(sc->alpha);
	size_t i, k, lo;
	int dv;

	memset(v, 0, sizeof(v));
	for (i = 0; i < len && (dv = b_index(sc->alpha, p[i])) >= 0; i++) {
		unsigned carry = (unsigned)dv;

		for (k = sizeof(v); k-- > 0;) {
			unsigned cur = v[k] * base + carry;

			v[k] = (uint8_t)cur;
			carry = cur >> 8;
		}
		if (carry || v[0])
			return;                 /* longer than any token */
	}
	r->out_of_input = i == len;
	r->used = i;
	for (lo = 0; lo < sizeof(v) && v[lo] == 0; lo++)
		;
	for (k = lo; k < sizeof(v) && r->n < cap; k++)
		out[r->n++] = v[k];
	explicit_bzero(v, sizeof(v));
}

int brk_pat_trig_decode(const struct brk_pat_trig *t, size_t i, const uint8_t *buf, size_t len,
			size_t end, int final, uint8_t *out, size_t cap, size_t *outlen,
			struct brk_pat_trig_hit *hit)
{
	const struct trig *x = &t->t[i];
	const struct scheme *sc = &schemes[x->scheme];
	const struct brk_scan_det *d = &brk_scan_detectors[x->det];
	const char *a = d->anchors[x->anchor];
	size_t al = strlen(a), start, from, to = 0, wn;
	uint8_t win[BRK_PAT_TRIG_WINDOW + 8], tmp[BRK_PAT_TRIG_WINDOW];
	struct dec r = { 0 };
	const uint8_t *w;
	int more;

	*outlen = 0;
	if (end < x->len || end > len)
		return 0;
	start = end - x->len;
	if (sc->rev) {
		/* the text goes on to the left; its group start is to the right */
		if (end + x->lead > len)
			return final ? 0 : 2;
		to = end + x->lead;
		from = to > BRK_PAT_TRIG_WINDOW ? to - BRK_PAT_TRIG_WINDOW : 0;
		wn = to - from;
		memcpy(win, buf + from, wn);
		reverse(win, wn);
		w = win;
		more = 0;  /* what comes before arrived already */
	} else {
		if (start < x->lead)
			return 0;
		from = start - x->lead;
		wn = len - from < BRK_PAT_TRIG_WINDOW ? len - from : BRK_PAT_TRIG_WINDOW;
		w = buf + from;
		more = !final && from + wn == len;
	}
	switch (sc->kind) {
	case K_NUM:
		dec_num(sc, w, wn, tmp, sizeof(tmp), &r);
		break;
	case K_ROT47:
		dec_rot47(w, wn, tmp, sizeof(tmp), &r);
		break;
	case K_WIDE:
		dec_wide(sc, w, wn, tmp, sizeof(tmp), &r);
		break;
	case K_BITS:
		dec_bits(sc, w, wn, tmp, sizeof(tmp), &r);
		break;
	case K_B85:
		dec_b85(sc, w, wn, tmp, sizeof(tmp), &r);
		break;
	case K_BIGN:
		/* the number starts at the literal, and has the token's length */
		if (start && b_index(sc->alpha, buf[start - 1]) >= 0)
			return 0;
		dec_bign(sc, w, wn, tmp, sizeof(tmp), &r);
		if (r.n != x->tlen && !(more && r.out_of_input))
			r.n = 0;
		break;
	case K_SEP:
		/* a token starts a word: not the tail of a group of something
		 * separated alike (a source map's "KAAK,IAAI") */
		if (start && alnum(buf[start - 1]))
			return 0;
		if (x->sep) {
			dec_sep(x->sep, w, wn, tmp, sizeof(tmp), &r);
		} else {
			size_t s;

			for (s = 0; SEPS[s]; s++) {
				memset(&r, 0, sizeof(r));
				dec_sep(SEPS[s], w, wn, tmp, sizeof(tmp), &r);
				if (r.n >= al + d->min)
					break;
			}
		}
		break;
	}
	if (r.n < x->skip + al || memcmp(tmp + x->skip, a, al) != 0) {
		explicit_bzero(tmp, sizeof(tmp));
		return more && r.out_of_input ? 2 : 0;
	}
	*outlen = r.n - x->skip < cap ? r.n - x->skip : cap;
	memcpy(out, tmp + x->skip, *outlen);
	explicit_bzero(tmp, sizeof(tmp));
	if (sc->rev)
		explicit_bzero(win, wn);
	hit->det = x->det;
	hit->anchor = x->anchor;
	hit->scheme = sc->name;
	hit->more = more && r.out_of_input;
	if (sc->rev) {
		hit->s = r.used <= to ? to - r.used : 0;
		hit->e = to;
	} else {
		hit->s = from;
		hit->e = from + r.used;
	}
	return 1;
}
