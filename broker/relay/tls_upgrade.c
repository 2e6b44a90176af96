/* SPDX-License-Identifier: MIT */
/*
 * tls_upgrade.c - a TLS ClientHello inside a relayed plaintext stream
 * (STARTTLS, an HTTP CONNECT tunnel, a few junk bytes before an own TLS
 * stack's hello): found so that the relay routes it like a hello at the
 * start of a connection (relay_scan.c rl_tls_upgrade) instead of
 * forwarding ciphertext it only scanned raw. Pure parsing, no state.
 *
 * What counts: a handshake record header (22, 3.x with x <= 4, a length
 * of 1..2^14) whose fragment starts with handshake type 1; where the bytes
 * are there, the client_version (3.x) of a fragment of 6 bytes or more,
 * or, for a shorter fragment (a hello split over records), a handshake
 * record header after it. Random bytes match at about 1 in 2^40 places.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "broker/relay/tls_upgrade.h"

#define UP_FRAG_MAX 16384

/* Is b[0..m) (m >= 6) the start of a ClientHello record, as far as it goes? */
static bool up_hello_at(const uint8_t *b, size_t m)
{
	size_t len;

	if (b[0] != 0x16 || b[1] != 0x03 || b[2] > 0x04 || b[5] != 0x01)
		return false;
	len = (size_t)b[3] << 8 | b[4];
	if (len == 0 || len > UP_FRAG_MAX)
		return false;
	if (len >= 6)
		return m < 11 || (b[9] == 0x03 && b[10] <= 0x04);
	return m < 5 + len + 2 || (b[5 + len] == 0x16 && b[5 + len + 1] == 0x03);
}

int rl_tls_upgrade_find(const uint8_t *tail, size_t ntail, const uint8_t *p, size_t n,
			size_t *at)
{
	uint8_t j[RL_UPGRADE_TAIL + 16];
	const uint8_t *q;
	size_t i, k, m;

	*at = 0;
	/* a hello that started in bytes already forwarded */
	k = n < 16 ? n : 16;
	if (ntail > RL_UPGRADE_TAIL)
		ntail = RL_UPGRADE_TAIL;
	if (ntail)
		memcpy(j, tail, ntail);
	if (k)
		memcpy(j + ntail, p, k);
	for (i = 0; i < ntail; i++)
		if (j[i] == 0x16 && ntail + k - i >= 6 && up_hello_at(j + i, ntail + k - i))
			return -1;
	/* one in p with at least 6 bytes of it there */
	for (q = p; n >= 6 && (q = memchr(q, 0x16, n - 5 - (size_t)(q - p))); q++) {
		m = n - (size_t)(q - p);
		if (up_hello_at(q, m)) {
			*at = (size_t)(q - p);
			return 1;
		}
		if ((size_t)(q - p) + 1 > n - 6)
			break;
	}
	return 0;
}

void rl_tls_upgrade_tail(uint8_t *tail, size_t *ntail, const uint8_t *p, size_t n)
{
	size_t keep;

	if (n >= RL_UPGRADE_TAIL) {
		memcpy(tail, p + n - RL_UPGRADE_TAIL, RL_UPGRADE_TAIL);
		*ntail = RL_UPGRADE_TAIL;
		return;
	}
	keep = *ntail + n > RL_UPGRADE_TAIL ? RL_UPGRADE_TAIL - n : *ntail;
	memmove(tail, tail + *ntail - keep, keep);
	memcpy(tail + keep, p, n);
	*ntail = keep + n;
}
