/* SPDX-License-Identifier: MIT */
/*
 * known_key.c - which bytes of a private key blob are secret (known.h).
 *
 * A private key file holds its public key too: an OpenSSH file has the
 * public blob (what id_*.pub and authorized_keys carry) and the public
 * fields again in its private section, a PEM key the RSA modulus or the EC
 * point that every certificate and SubjectPublicKeyInfo of the key carries.
 * Matching those made a session's own .pub, certificate or kubeconfig
 * client-certificate-data a "leak" of its private key. Only the private
 * fields are indexed: an ed25519 seed, RSA d, p, q, dp, dq, qinv, an EC
 * or DSA scalar, an encrypted key's ciphertext.
 *
 * Formats: "openssh-key-v1" (PROTOCOL.key) and DER (PKCS#1, SEC1,
 * PKCS#8), walked by length only: nothing is decrypted or validated.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "broker/scan/known.h"

#define SECRET_MIN 24   /* shorter private fields are not indexed */

struct segs {
	size_t (*seg)[2];
	size_t n, max;
};

/* A private field [a, b): joins the one before it across a length prefix
 * or a DER header (not public either), so a slice across two fields is
 * matched too; ranges end up SECRET_MIN bytes and more (brk_known_key_secret()). */
static void put(struct segs *s, size_t a, size_t b)
{
	if (s->n && a >= s->seg[s->n - 1][1] && a <= s->seg[s->n - 1][1] + 8) {
		s->seg[s->n - 1][1] = b;
		return;
	}
	if (s->n < s->max) {
		s->seg[s->n][0] = a;
		s->seg[s->n][1] = b;
		s->n++;
	}
}

/* An SSH string at *o: its content [*a, *b), *o past it; 0 or -1. */
static int sshstr(const uint8_t *p, size_t n, size_t *o, size_t *a, size_t *b)
{
	uint32_t l;

	if (n - *o < 4)
		return -1;
	l = (uint32_t)p[*o] << 24 | (uint32_t)p[*o + 1] << 16 | (uint32_t)p[*o + 2] << 8 | p[*o + 3];
	if (l > n - *o - 4)
		return -1;
	*a = *o + 4;
	*b = *a + l;
	*o = *b;
	return 0;
}

static const uint8_t *find(const uint8_t *h, size_t hn, const uint8_t *x, size_t xn)
{
	return xn && xn <= hn ? memmem(h, hn, x, xn) : NULL;
}

/* openssh-key-v1: the private section's fields that the public blob does
 * not contain (an ed25519 "priv" is seed || pub: the seed only). */
static int openssh(const uint8_t *p, size_t n, struct segs *s)
{
	static const char magic[] = "openssh-key-v1";
	size_t o = sizeof(magic), a, b, pa, pb, ca, cb, i, nk;
	int plain;

	if (n < sizeof(magic) || memcmp(p, magic, sizeof(magic)))
		return -1;
	if (sshstr(p, n, &o, &ca, &cb) < 0)          /* cipher */
		return -1;
	plain = cb - ca == 4 && !memcmp(p + ca, "none", 4);
	if (sshstr(p, n, &o, &a, &b) < 0 || sshstr(p, n, &o, &a, &b) < 0 || n - o < 4)
		return -1;                           /* kdf, kdf options */
	nk = (size_t)p[o] << 24 | (size_t)p[o + 1] << 16 | (size_t)p[o + 2] << 8 | p[o + 3];
	o += 4;
	if (nk != 1 || sshstr(p, n, &o, &pa, &pb) < 0 || sshstr(p, n, &o, &a, &b) < 0)
		return -1;                           /* one public blob, the private section */
	if (!plain) {
		put(s, a, b);                        /* ciphertext */
		return 0;
	}
	o = a + 8;                                   /* check ints */
	if (o > b || sshstr(p, b, &o, &ca, &cb) < 0) /* key type */
		return -1;
	/* the fields up to the comment: those the public blob holds are public;
	 * the comment (the .pub's last word) and the padding are not fields */
	for (i = 0; i < 8 && o < b; i++) {
		size_t fa, fb, save = o, ta, tb;

		if (sshstr(p, b, &o, &fa, &fb) < 0)
			break;
		/* the last string before the padding is the comment */
		if (sshstr(p, b, &(size_t){ o }, &ta, &tb) < 0) {
			o = save;
			break;
		}
		if (find(p + pa, pb - pa, p + fa, fb - fa))
			continue;
		if (fb - fa == 64 && find(p + pa, pb - pa, p + fa + 32, 32))
			fb -= 32;                    /* ed25519: seed || pub */
		put(s, fa, fb);
	}
	return 0;
}

/* A DER element at *o: tag, content [*a, *b), *o past it; 0 or -1. */
static int der(const uint8_t *p, size_t n, size_t *o, unsigned *tag, size_t *a, size_t *b)
{
	size_t l, k;

	if (n - *o < 2)
		return -1;
	*tag = p[*o];
	l = p[*o + 1];
	*a = *o + 2;
	if (l & 0x80) {
		k = l & 0x7f;
		if (k == 0 || k > 3 || n - *a < k)
			return -1;
		for (l = 0; k--; )
			l = l << 8 | p[(*a)++];
	}
	if (l > n - *a)
		return -1;
	*b = *a + l;
	*o = *b;
	return 0;
}

/* The leaves of the DER in [o, n): an RSA key's first long INTEGER is its
 * modulus, a BIT STRING an EC public point: public; other long leaves are
 * secret. An OCTET STRING that is DER itself (PKCS#8) is walked. */
static int der_walk(const uint8_t *p, size_t o, size_t n, struct segs *s, int *seen_mod, int depth)
{
	unsigned tag;
	size_t a, b;

	if (depth > 6)
		return -1;
	while (o < n) {
		if (der(p, n, &o, &tag, &a, &b) < 0)
			return -1;
		if (tag & 0x20) {                    /* constructed */
			if (der_walk(p, a, b, s, seen_mod, depth + 1) < 0)
				return -1;
		} else if (tag == 0x04 && b > a && (p[a] == 0x30 || p[a] == 0x04) &&
			   der_walk(p, a, b, &(struct segs){ NULL, 0, 0 }, &(int){ 0 }, depth + 1) == 0) {
			size_t before = s->n;

			if (der_walk(p, a, b, s, seen_mod, depth + 1) < 0)
				return -1;
			if (s->n == before)          /* a scalar that parsed as DER */
				put(s, a, b);
		} else if (tag == 0x02 && b - a >= SECRET_MIN && !*seen_mod) {
			*seen_mod = 1;               /* n */
		} else if (tag == 0x02 || tag == 0x04) {
			put(s, a, b);
		}
	}
	return 0;
}

size_t brk_known_key_secret(const uint8_t *p, size_t n, size_t (*seg)[2], size_t max)
{
	struct segs s = { seg, 0, max };
	size_t i, m = 0;
	int seen_mod = 0;

	if (openssh(p, n, &s) < 0) {
		s.n = 0;
		if (n < 3 || p[0] != 0x30 || der_walk(p, 0, n, &s, &seen_mod, 0) < 0)
			return (size_t)-1;
	}
	for (i = 0; i < s.n; i++)
		if (seg[i][1] - seg[i][0] >= SECRET_MIN) {
			seg[m][0] = seg[i][0];
			seg[m][1] = seg[i][1];
			m++;
		}
	return m;
}
