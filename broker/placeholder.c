/* SPDX-License-Identifier: MIT */
/*
 * placeholder.c - placeholders of the secretless jail (placeholder.h):
 * same length, same fixed prefix, same separators, same alphabet per run,
 * valid checksum; and fresh private keys of the same type and format.
 *
 * The prefixes and the CRC32 tail come from the detector registry itself
 * (broker/scan/det_table.h, detect.h), so that a placeholder validates with
 * the very code that recognizes the real value.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "broker/placeholder.h"
#include "broker/scan/det_table.h"
#include "broker/scan/detect.h"
#include "broker/scan/scan.h"

#define PH_MAX 16384
#define PH_TRIES 64

static const char al_digit[] = "0123456789";
static const char al_hexlo[] = "0123456789abcdef";
static const char al_hexup[] = "0123456789ABCDEF";
static const char al_b32up[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char al_upnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char al_lonum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
static const char al_upper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char al_lower[] = "abcdefghijklmnopqrstuvwxyz";
static const char al_alnum[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The smallest usual alphabet holding every byte of run r[0,n). */
static const char *run_alphabet(const uint8_t *r, size_t n)
{
	bool dig = false, lo = false, up = false, lohex = true, uphex = true, b32 = true;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = r[i];

		if (c >= '0' && c <= '9') {
			dig = true;
			b32 = b32 && c >= '2' && c <= '7';
		} else if (c >= 'a' && c <= 'z') {
			lo = true;
			lohex = lohex && c <= 'f';
		} else {
			up = true;
			uphex = uphex && c <= 'F';
		}
	}
	if (!lo && !up)
		return al_digit;
	if (lo && up)
		return al_alnum;
	if (lo)
		return !dig ? al_lower : lohex ? al_hexlo : al_lonum;
	if (uphex && dig)
		return al_hexup;
	if (!dig)
		return al_upper;
	return b32 ? al_b32up : al_upnum;
}

/* Uniform draws from alphabet al into dst[0,n): rejection sampling over
 * CSPRNG bytes, no modulo bias. */
static int draw(const char *al, uint8_t *dst, size_t n)
{
	size_t m = strlen(al), lim = 256 - 256 % m, got = 0;
	uint8_t rb[64];

	while (got < n) {
		size_t i;

		if (RAND_bytes(rb, sizeof(rb)) != 1)
			return -EIO;
		for (i = 0; i < sizeof(rb) && got < n; i++)
			if (rb[i] < lim)
				dst[got++] = (uint8_t)al[rb[i] % m];
	}
	explicit_bzero(rb, sizeof(rb));
	return 0;
}

/* How many leading bytes stay: the detector's anchor the value starts
 * with (the longest), or a JWT's header and its dot. */
static size_t fixed_prefix(const uint8_t *v, size_t len, const struct brk_scan_det *d)
{
	size_t keep = 0, i;

	if (!d)
		return 0;
	if (!strcmp(d->id, "jwt")) {
		const uint8_t *dot = memchr(v, '.', len);

		return dot ? (size_t)(dot - v) + 1 : 0;
	}
	for (i = 0; i < BRK_SCAN_MAX_ANCHORS && d->anchors[i]; i++) {
		size_t al = strlen(d->anchors[i]);

		if (al > keep && al < len && memcmp(v, d->anchors[i], al) == 0)
			keep = al;
	}
	return keep;
}

static int fill(const uint8_t *real, size_t len, size_t keep, const struct brk_scan_det *d,
		uint8_t *ph)
{
	size_t i = keep;
	int rc;

	memcpy(ph, real, len);
	if (d && d->verify == brk_scan_verify_crc32_b62 && len - keep == 36) {
		/* 30 random base62 + their CRC32 in base62 (GitHub, npm) */
		char tail[6];

		if ((rc = draw(al_alnum, ph + keep, 30)) < 0)
			return rc;
		brk_scan_crc32_b62(ph + keep, 30, tail);
		memcpy(ph + keep + 30, tail, 6);
		return 0;
	}
	while (i < len) {
		size_t s = i;

		if (!is_alnum(real[i])) {
			i++;
			continue;
		}
		while (i < len && is_alnum(real[i]))
			i++;
		if ((rc = draw(run_alphabet(real + s, i - s), ph + s, i - s)) < 0)
			return rc;
	}
	return 0;
}

int brk_placeholder_make(const uint8_t *real, size_t len, const char *detector, uint8_t *ph)
{
	const struct brk_scan_det *d = detector ? brk_scan_det_find(detector) : NULL;
	size_t keep, i, free_bytes = 0;
	int tries, rc;

	if (!len || len > PH_MAX)
		return -EINVAL;
	keep = fixed_prefix(real, len, d);
	for (i = keep; i < len; i++)
		free_bytes += is_alnum(real[i]);
	if (free_bytes < 4)
		return -EAGAIN;
	for (tries = 0; tries < PH_TRIES; tries++) {
		const char *id;

		if ((rc = fill(real, len, keep, d, ph)) < 0)
			return rc;
		if (memcmp(ph, real, len) == 0)
			continue;
		/* the detector that knows the real value must know this one:
		 * entropy and shape checks may reject an unlucky draw */
		id = d ? brk_scan_recognize(ph, len) : NULL;
		if (!d || (id && !strcmp(id, d->id)))
			return 0;
	}
	/* still a same-shape stand-in; never the real value */
	return memcmp(ph, real, len) ? 0 : -EAGAIN;
}
