/* SPDX-License-Identifier: MIT */
/*
 * known.h - the known-secret matcher: exact values (the credentials this
 * session can read, and the canaries) found in the transforms an attacker
 * reaches for first.
 *
 * Internal to broker/scan/: scan.c compiles one set per engine
 * (brk_scan_engine_add_known(), scan.h) and calls brk_known_scan() on every
 * layer it matches and on the raw stream window. It is a matcher of its own
 * (8-byte keys, a bit filter and buckets), not part of the detector
 * database, so the per-session values never reach a cached database and
 * never touch the detector matcher's state.
 *
 * Transforms of each value v (for a private key, of its private fields
 * only, known_key.c: their decoded bytes, cut into 16-byte pieces every 8
 * so that any 23 bytes of them are found, their base64 characters joined
 * and as the file wraps them): v, reversed, rot13,
 * single-byte XOR with any key (matched on the XOR-invariant delta stream
 * b[i]^b[i+1]), repeating-key XOR with keys of 2..8 bytes (the l-delta
 * stream b[i]^b[i+l]; whole ASCII values 8 bytes longer than the key and
 * more), v with 1..4 bytes of junk after each byte (whole values of 11
 * bytes and more, in runs of bytes below 0x80), UTF-16LE/BE, base64 and
 * base64url at stream offsets 0, 1, 2 (the characters that depend only on v), base32 at offsets 0..4, hex in
 * both cases, full percent-encoding in both cases. Part of a value is found
 * too: every pattern longer than BRK_KNOWN_PART_MIN bytes is matched as
 * overlapping pieces of half its length (BRK_KNOWN_PART_MIN ..
 * BRK_KNOWN_PIECE bytes), so about 5/8 of a short pattern, or any 47
 * contiguous bytes of a long one, are enough (a token sent without its
 * checksum tail; all but the last byte, a byte per request). Patterns
 * shorter than BRK_KNOWN_MIN are dropped.
 */
#ifndef DLP_BROKER_SCAN_KNOWN_H
#define DLP_BROKER_SCAN_KNOWN_H

#include <stddef.h>
#include <stdint.h>

#define BRK_KNOWN_MIN 8          /* shortest pattern (and key) */
#define BRK_KNOWN_PIECE 32       /* longest piece of a pattern */
#define BRK_KNOWN_PART_MIN 16    /* shortest piece: shorter patterns whole */
#define BRK_KNOWN_MAX_VALUE 16384 /* longest value accepted (a private key file) */

struct brk_known;

/* One value to find. key = 1: v is a PEM or OpenSSH private key file. */
struct brk_known_in {
	const uint8_t *v;
	size_t len;
	int key;
};

/* Compile n values (copied). Values shorter than BRK_KNOWN_MIN or longer
 * than BRK_KNOWN_MAX_VALUE are skipped (never an error). 0, -ENOMEM. */
int brk_known_new(const struct brk_known_in *in, size_t n, struct brk_known **out);
void brk_known_free(struct brk_known *);
/* Number of patterns (pieces) compiled, for tests and the bench. */
size_t brk_known_npatterns(const struct brk_known *);
/* Longest extent of a match in bytes: how far a stream must look back. */
size_t brk_known_reach(const struct brk_known *);

/* A match of value `which` (index into the input array) at [s, e) of the
 * scanned buffer, in transform xf ("raw", "reversed", "xor", "base64+1",
 * ...). Return nonzero to stop. */
typedef int brk_known_hit_fn(void *ctx, size_t which, size_t s, size_t e, const char *xf);

/* 0: match every index by hash and filter, also those of few keys (tests
 * compare the two ways; default 1). */
extern int brk_known_small;
/* Bit j: the index of step 8, 4, 1 (j = 0, 1, 2) has patterns, few enough
 * to be compared key by key at every position (known.c small_scan()). */
unsigned brk_known_small_mask(const struct brk_known *);

/* Find every match in p[0,len) that ends after offset from (bytes before
 * from were scanned already: stream windows). Returns the number of hits
 * reported. */
size_t brk_known_scan(const struct brk_known *, const uint8_t *p, size_t len, size_t from,
		      brk_known_hit_fn *cb, void *ctx);

/* How many sampled positions of p[0,len) pass the filters of the three
 * step indexes (plain and delta keys counted apart), i.e. would walk a
 * bucket: the probe's cost on clean bytes, for tests and the bench. */
size_t brk_known_filter_passes(const struct brk_known *, const uint8_t *p, size_t len);

/* Is v[0,n) a credential a (non-generic) detector recognizes on its own?
 * Returns the detector's index into brk_scan_detectors, or -1. */
int brk_known_recognize(const uint8_t *v, size_t n);

/* The part of the base-2^bits encoding (alphabet alpha) of (o unknown
 * bytes, v[0,n), unknown bytes) that depends on v alone: the characters
 * whose bits all lie inside v. out holds >= 2 * n + 8; returns its length. */
size_t brk_known_enc_inner(const uint8_t *v, size_t n, unsigned o, unsigned bits,
			   const char *alpha, uint8_t *out);

/* known_key.c: the private fields of the decoded body p[0,n) of a private
 * key file (OpenSSH or DER), as up to max [start, end) ranges of 24 bytes
 * and more: what neither its public key nor a certificate of it holds.
 * Returns their count, or (size_t)-1: a format known_key.c does not read. */
size_t brk_known_key_secret(const uint8_t *p, size_t n, size_t (*seg)[2], size_t max);

/* known_variants.c: the further fixed spellings of v[0,n) (Caesar shifts,
 * reversed encodings, base85/58/36, decimal, binary, escapes, UTF-32, a
 * separator every N characters), each handed to add() with its transform
 * name. 0, or add()'s or -ENOMEM's error. */
typedef int brk_known_add_fn(void *ctx, const uint8_t *p, size_t len, const char *xf);
int brk_known_variants(const uint8_t *v, size_t n, brk_known_add_fn *add, void *ctx);

#endif /* DLP_BROKER_SCAN_KNOWN_H */
