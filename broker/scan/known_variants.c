/* SPDX-License-Identifier: MIT */
/*
 * known_variants.c - more fixed spellings of a known secret, computed once
 * at policy load and added to known.c's index like its own transforms (no
 * decoder per byte): Caesar shifts of its letters (ROT-1..25, ROT47,
 * ROT18) and those reversed; its base64, base32 and hex reversed, and hex
 * of its reverse; base85 (RFC 1924 / Python b85), ascii85 and Z85 at the
 * four alignments; uuencode; base58, base62, base36 and decimal of the
 * whole value as one number; binary digits; `%uXXXX`, `\u{XX}`, CSS
 * escapes (`\6e ` and `\00006e`), octal lists; UTF-32; and the value cut
 * every N characters (N = 2..8) by one of the separators people type.
 *
 * Only known.c calls this, for values up to 256 bytes (tokens and
 * passwords, not key files). Each form goes to add(), which cuts it into
 * known.c's pieces; a form that equals the value (a value without
 * letters, shifted) is skipped there as a duplicate.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/known.h"

static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char hexlo[] = "0123456789abcdef";
static const char b85rfc[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
static const char z85[] =
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char b62b[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";   /* upper: the case fold */

/* the separators of "every N characters": the ones people type */
static const char seps[] = "- .:,\n_/|";
#define SEP1_BELOW 23   /* (known.c's strided quads: whole values of 11 and more) */
#define SEP_NMIN 2
#define SEP_NMAX 8

/* Base85 of (o unknown bytes, v): the 5-character groups of 4 bytes that
 * lie inside v, big-endian (alpha NULL: ascii85, '!' + digit). */
static size_t enc85(const uint8_t *v, size_t n, unsigned o, const char *alpha, uint8_t *out)
{
	size_t g, r = 0, first = (o + 3) / 4, last = (o + n) / 4;

	for (g = first; g < last; g++) {
		const uint8_t *p = v + 4 * g - o;
		uint32_t x = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		int d;

		for (d = 4; d >= 0; d--) {
			unsigned c = x % 85;

			out[r + (size_t)d] = alpha ? (uint8_t)alpha[c] : (uint8_t)('!' + c);
			x /= 85;
		}
		r += 5;
	}
	return r;
}

/* v as one big-endian number in base strlen(alpha), most significant
 * digit first (what base58, base36 and str(int.from_bytes()) print).
 * num: n bytes of scratch. */
static size_t enc_num(const uint8_t *v, size_t n, const char *alpha, uint8_t *num, uint8_t *out)
{
	size_t base = strlen(alpha), len = n, r = 0, i, s = 0;

	memcpy(num, v, n);
	while (s < len && !num[s])
		s++;
	while (s < len) {
		unsigned rem = 0;

		for (i = s; i < len; i++) {
			unsigned cur = rem * 256 + num[i];

			num[i] = (uint8_t)(cur / base);
			rem = cur % base;
		}
		out[r++] = (uint8_t)alpha[rem];
		while (s < len && !num[s])
			s++;
	}
	for (i = 0; i < r / 2; i++) {
		uint8_t t = out[i];

		out[i] = out[r - 1 - i];
		out[r - 1 - i] = t;
	}
	return r;
}

static uint8_t shift(uint8_t c, unsigned k, int digits)
{
	if (c >= 'a' && c <= 'z')
		return (uint8_t)('a' + (c - 'a' + k) % 26);
	if (c >= 'A' && c <= 'Z')
		return (uint8_t)('A' + (c - 'A' + k) % 26);
	if (digits && c >= '0' && c <= '9')
		return (uint8_t)('0' + (c - '0' + 5) % 10);
	return c;
}

static void reverse(uint8_t *t, size_t m)
{
	size_t i;

	for (i = 0; i < m / 2; i++) {
		uint8_t x = t[i];

		t[i] = t[m - 1 - i];
		t[m - 1 - i] = x;
	}
}

/* hex digits of c into t (width digits at least; 0: as few as needed) */
static size_t put_hex(uint8_t *t, unsigned c, unsigned width)
{
	size_t m = 0;
	int d;

	for (d = 5; d >= 0; d--)
		if ((unsigned)d < width || (c >> (4 * d)) || !d)
			t[m++] = (uint8_t)hexlo[(c >> (4 * d)) & 15];
	return m;
}

/* One escape per byte of v, by kind: %uXXXX, \u{XX}, CSS "\XX " and
 * "\0000XX", octal with a separator. */
enum { E_PCTU, E_UBRACE, E_CSS, E_CSS6, E_OCT_SP, E_OCT_COMMA, E_NKIND };
static const char *const esc_name[E_NKIND] = { "%u", "\\u{}", "css", "css6", "octal ", "octal," };

static size_t per_byte(const uint8_t *v, size_t n, int kind, uint8_t *t)
{
	size_t i, m = 0;

	for (i = 0; i < n; i++) {
		unsigned c = v[i];

		switch (kind) {
		case E_PCTU:
			t[m++] = '%';
			t[m++] = 'u';
			m += put_hex(t + m, c, 4);
			break;
		case E_UBRACE:
			t[m++] = '\\';
			t[m++] = 'u';
			t[m++] = '{';
			m += put_hex(t + m, c, 0);
			t[m++] = '}';
			break;
		case E_CSS:
		case E_CSS6:
			t[m++] = '\\';
			m += put_hex(t + m, c, kind == E_CSS6 ? 6 : 0);
			if (kind == E_CSS)
				t[m++] = ' ';
			break;
		default:
			if (i)
				t[m++] = kind == E_OCT_SP ? ' ' : ',';
			if (c >= 64)
				t[m++] = (uint8_t)('0' + (c >> 6));
			if (c >= 8)
				t[m++] = (uint8_t)('0' + ((c >> 3) & 7));
			t[m++] = (uint8_t)('0' + (c & 7));
		}
	}
	return m;
}

#define ADD(p, m, name)                                                                            \
	do {                                                                                       \
		if ((rc = add(ctx, (p), (m), (name))) < 0)                                         \
			goto out;                                                                  \
	} while (0)

int brk_known_variants(const uint8_t *v, size_t n, brk_known_add_fn *add, void *ctx)
{
	uint8_t *t = malloc(10 * n + 16), *u = malloc(10 * n + 16);
	char name[24];
	size_t i, m;
	unsigned o, k;
	int rc = -ENOMEM;

	if (!t || !u)
		goto out;
	rc = 0;
	/* Caesar shifts of the letters (13 is known.c's), ROT18, ROT47, and
	 * each reversed */
	for (k = 1; k <= 27; k++) {
		for (i = 0; i < n; i++)
			t[i] = k == 26 ? shift(v[i], 13, 1)
			       : k == 27 ? (v[i] >= 33 && v[i] <= 126 ? (uint8_t)(33 + (v[i] - 33 + 47) % 94) : v[i])
			       : shift(v[i], k, 0);
		if (k == 26)
			snprintf(name, sizeof(name), "rot18");
		else if (k == 27)
			snprintf(name, sizeof(name), "rot47");
		else
			snprintf(name, sizeof(name), "rot%u", k);
		if (k != 13 && memcmp(t, v, n))
			ADD(t, n, name);
		reverse(t, n);
		snprintf(name + strlen(name), sizeof(name) - strlen(name), "+reversed");
		if (memcmp(t, v, n))
			ADD(t, n, name);
	}
	/* encodings reversed, and of the value reversed */
	for (o = 0; o < 3; o++) {
		m = brk_known_enc_inner(v, n, o, 6, b64std, t);
		reverse(t, m);
		snprintf(name, sizeof(name), "base64+%u+reversed", o);
		ADD(t, m, name);
	}
	m = brk_known_enc_inner(v, n, 0, 5, b32, t);
	reverse(t, m);
	ADD(t, m, "base32+reversed");
	for (i = 0; i < n; i++) {
		t[2 * i] = (uint8_t)hexlo[v[i] >> 4];
		t[2 * i + 1] = (uint8_t)hexlo[v[i] & 15];
	}
	reverse(t, 2 * n);
	ADD(t, 2 * n, "hex+reversed");
	for (i = 0; i < 2 * n; i++) {     /* hex of the reversed hex */
		u[2 * i] = (uint8_t)hexlo[t[i] >> 4];
		u[2 * i + 1] = (uint8_t)hexlo[t[i] & 15];
	}
	ADD(u, 4 * n, "hex+reversed+hex");
	for (i = 0; i < n; i++) {
		t[2 * i] = (uint8_t)hexlo[v[n - 1 - i] >> 4];
		t[2 * i + 1] = (uint8_t)hexlo[v[n - 1 - i] & 15];
	}
	ADD(t, 2 * n, "reversed+hex");
	/* base85 family at its four alignments; uuencode (both zero digits) */
	for (o = 0; o < 4; o++) {
		snprintf(name, sizeof(name), "base85+%u", o);
		ADD(t, enc85(v, n, o, b85rfc, t), name);
		snprintf(name, sizeof(name), "ascii85+%u", o);
		ADD(t, enc85(v, n, o, NULL, t), name);
		snprintf(name, sizeof(name), "z85+%u", o);
		ADD(t, enc85(v, n, o, z85, t), name);
	}
	{
		char uua[65];

		for (i = 0; i < 64; i++)
			uua[i] = (char)(i ? 32 + i : '`');
		uua[64] = 0;
		ADD(t, brk_known_enc_inner(v, n, 0, 6, uua, t), "uuencode");
		uua[0] = ' ';
		m = brk_known_enc_inner(v, n, 0, 6, uua, t);
		if (memchr(t, ' ', m))
			ADD(t, m, "uuencode");
	}
	/* the value as one number */
	ADD(t, enc_num(v, n, b58, u, t), "base58");
	ADD(t, enc_num(v, n, b62, u, t), "base62");
	ADD(t, enc_num(v, n, b62b, u, t), "base62");
	ADD(t, enc_num(v, n, b36, u, t), "base36");
	ADD(t, enc_num(v, n, "0123456789", u, t), "decimal");
	/* one escape per byte; binary digits */
	for (k = 0; k < E_NKIND; k++)
		ADD(t, per_byte(v, n, (int)k, t), esc_name[k]);
	for (i = 0, m = 0; i < n; i++) {
		int b;

		for (b = 7; b >= 0; b--)
			t[m++] = (uint8_t)('0' + ((v[i] >> b) & 1));
	}
	ADD(t, m, "binary");
	for (i = 0, m = 0; i < 8 * n; i++) {
		if (i && i % 8 == 0)
			u[m++] = ' ';
		u[m++] = t[i];
	}
	ADD(u, m, "binary ");
	/* UTF-32 */
	memset(t, 0, 4 * n);
	for (i = 0; i < n; i++)
		t[4 * i] = v[i];
	ADD(t, 4 * n, "utf32le");
	memset(t, 0, 4 * n);
	for (i = 0; i < n; i++)
		t[4 * i + 3] = v[i];
	ADD(t, 4 * n, "utf32be");
	/* a separator every N characters (N = 1 of values of 23 bytes and
	 * more is known.c's stride 2, whole; of shorter ones here, halves
	 * too: "a.b.c" of a part of the value) */
	for (k = n < SEP1_BELOW ? 1 : SEP_NMIN; k <= SEP_NMAX && k < n; k++) {
		for (o = 0; seps[o]; o++) {
			for (i = 0, m = 0; i < n; i++) {
				if (i && i % k == 0)
					t[m++] = (uint8_t)seps[o];
				t[m++] = v[i];
			}
			snprintf(name, sizeof(name), "every%u", k);
			ADD(t, m, name);
		}
	}
out:
	if (t)
		explicit_bzero(t, 10 * n + 16);
	if (u)
		explicit_bzero(u, 10 * n + 16);
	free(t);
	free(u);
	return rc;
}
