/* SPDX-License-Identifier: MIT */
/*
 * known.c - the known-secret matcher (known.h): expands each value into its
 * transforms, cuts long ones into pieces, and finds them with one 8-byte
 * load per position: a bit filter, then a bucket of candidates compared in
 * full. Single-byte XOR is found through the delta stream d[i] = b[i] ^
 * b[i+1], which XOR with a constant key leaves unchanged. Plain keys are
 * hashed case-folded (FOLD), so a value with its letters' case changed
 * (upper, lower, swapped: the hex, base32 and DNS spellings of it too)
 * lands in the same bucket at no cost per position; a candidate that is
 * not an exact match must differ in letters' case only ("~case").
 * Repeating-key XOR and values with junk between their bytes have an
 * index of 4-byte keys of their own ("quads", below).
 *
 * Only scan.c calls this. A compiled set is read-only.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __x86_64__
#include <immintrin.h>
#endif

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "broker/scan/decode.h"
#include "broker/scan/det_table.h"
#include "broker/scan/detect.h"
#include "broker/scan/known.h"

#define FILTER_MIN 14                     /* filter: 2^14 .. 2^23 bits, */
#define FILTER_MAX 23
#define FILTER_PER_ENTRY 32               /* bits per index entry, two set per key:
					   * ~1/600 of sampled positions pass (and walk
					   * a bucket: cache misses), and the nine
					   * canaries' filter is 256 KiB, not 1 MiB */
#define QFILTER_PER_ENTRY 128           /* the quads': two bits of a 32-bit word a
					   * key, and 4-byte keys of text are few, so
					   * at 32 a vector of 8 in 20 passed (a probe
					   * out of line each); the nine canaries'
					   * filter is 16 KiB (~1 in 150 pass) */
#define MASK56 0x00ffffffffffffffULL
#define FOLD 0x2020202020202020ULL        /* ASCII letters to lower case (and more) */
#define MAX_PATTERNS (1u << 20)
/* Positions are sampled every STEP bytes: each pattern is indexed by the
 * keys at its first STEP offsets, so one of them lines up with a sampled
 * position wherever the pattern starts. A pattern goes to the index of the
 * longest step it allows (len >= key + STEP - 1, the key 8 bytes, 7 on the
 * delta stream): pieces of 15 bytes and more (every long value's) are
 * probed every 8 bytes, values of 11 to 14 every 4, of 8 to 10 at every
 * position. An index without patterns costs nothing. */
#define NINDEX 3
#define XOR_MAXL 8                        /* longest repeating XOR key (quads, below) */
static const unsigned index_step[NINDEX] = { 8, 4, 1 };

struct kpat {
	uint8_t *p;
	uint32_t len;
	uint32_t which;                   /* input index */
	uint8_t delta;                    /* matched on the delta stream */
	uint8_t first;                    /* delta: the value's own first byte */
	uint8_t head[XOR_MAXL];           /* xl: the value's own first xl bytes */
	uint8_t stride;                   /* 2..QSTRIDE_MAX: matched at that stride only (ixq) */
	uint8_t xl;                       /* p is v[i] ^ v[i + xl]: repeating-key XOR (ixq) */
	uint8_t half;                     /* 1, 2: first, second half; found with its mate */
	int32_t mate;                     /* half: the other half's pattern */
	char xf[24];
	uint16_t xfc;                     /* names[]: xf of a match in another case, */
	uint16_t xfs;                     /* ... with junk after each byte (stride) */
};

#define MAX_NAMES 4096                    /* distinct xf names ("base64+1~case") */

struct kent {
	uint64_t key;                     /* key_of() at off: a bucket walk skips the
					   * others without touching their pattern */
	int32_t pat;
	int32_t next;                     /* bucket chain */
	uint32_t off;                     /* key offset inside the pattern */
};

/*
 * An index of few distinct keys (the halves of a value under 32 bytes, a
 * short password: the step-4 and step-1 indexes hold a handful) is matched
 * by comparing every position with the keys at its patterns' offset 0, not
 * by hash and filter at sampled positions (small_scan()): at every position
 * of the step-1 index the two hashes and gathers were 40% of the engine's
 * instructions on text. A position that equals a key is probed as one that
 * passes the filter (probe() checks the key again), so the findings are
 * the same; positions the filter let through falsely are not walked.
 */
#define SMALL_KEYS 16                     /* keys of both kinds, step-1 and step-4 indexes */
#define SMALL_KEYS8 8                     /* step 8: its hash loop costs ~1.8 a byte */

int brk_known_small = 1;                  /* known.h */

struct kindex {
	struct kent *ent;
	size_t nent, cap;
	int32_t *bucket;
	size_t nbucket;                   /* power of two */
	uint64_t *filter;                 /* 2^fbits bits, two per key (filter_has()) */
	unsigned fbits;
	int small;                        /* the keys fit skey[]: compared, not hashed */
	unsigned nskey[2];                /* [delta] */
	uint64_t skey[2][SMALL_KEYS];
};

/* The keys of every small index, compared in one pass over the bytes
 * (small_scan()); bit j of ixm: ix[j] has the key. */
#define SMALL_ALL (2 * SMALL_KEYS + SMALL_KEYS8)

struct ksmall {
	unsigned n[2];                    /* [delta] */
	uint64_t key[2][SMALL_ALL];
	uint8_t ixm[2][SMALL_ALL];
	unsigned ixs;                     /* bit j: ix[j] is matched here */
	/* small_avx2()'s nibble tables, [delta][first lo, first hi, last lo,
	 * last hi][nibble]: bit j % 8 for key j (last: byte 7, 6 of a delta key) */
	uint8_t nib[2][4][16];
};

struct brk_known {
	struct kpat *pat;
	size_t npat, cap;
	struct kindex ix[NINDEX];         /* one per index_step[] */
	struct ksmall sm;                 /* those of them with few keys */
	struct kindex ixq;                /* stride and xl patterns: 4-byte keys (quads) */
	unsigned qkinds;                  /* bit QK_XOR(l), QK_STRIDE(s): some pattern has it */
	uint8_t qmin[XOR_MAXL + 1];       /* shortest xl pattern of each l, 0: none */
	uint8_t qstep[XOR_MAXL + 1];      /* its sampling step: 4, 8 or 16 (qxor_plan()) */
	uint8_t q16;                      /* some l has step 16 */
	uint8_t ql[XOR_MAXL];             /* the l in use, nql of them */
	unsigned nql, qgate8;             /* qgate8 bit l: 8 differences follow a key */
	unsigned qsmin;                   /* shortest strided value, 0: none */
	unsigned qsstep;                  /* its substream step: QSTEP or QSTEP_LONG */
	size_t sreach;
	char (*names)[32];                /* the ~case/~stride2 names, each once */
	size_t nnames, capnames;
	size_t reach;
	int fine;                         /* add_pieces(): a private key's bytes */
};

/* ---- building -------------------------------------------------------- */

/* The key of 8 pattern bytes at p, or of 7 delta bytes (a delta pattern). */
static uint64_t key_of(const uint8_t *p, int delta)
{
	uint64_t k = 0;

	memcpy(&k, p, delta ? 7 : 8);
	return delta ? k : k | FOLD;   /* khash() keeps delta keys apart */
}

/*
 * The hash of a key: (lo ^ hi * b) * a mod 2^32 on its 32-bit halves
 * (multiply-shift of lo with hi mixed in), in the top 32 bits of the
 * result; other constants for delta keys (which keeps them apart from
 * plain ones). The filter and buckets take the top bits, which every bit
 * of lo and hi reaches through the products' carries, so text keys (bytes
 * in 0x20..0x7f) spread; a hash whose top bits followed only the top bytes
 * of the halves crowded them into a few filter words (3,000 positions of
 * 8 MiB of packuments passed, ~400 spread). The AVX2 loop computes exactly
 * this with two vpmulld (hi * b in the high half of each lane, lo XORed
 * in, times a). It was (lo + a) * (hi + b) + lo * c, folded and
 * multiplied again: four multiplies, ~20% of the step-8 loop; lo * a +
 * hi * b alone let twice the text through with some constants.
 */
static const uint32_t hconst[2][2] = {
	{ 0x9e3779b1u, 0x85ebca77u },
	{ 0xc2b2ae3du, 0x27d4eb2fu },
};

static inline uint64_t khash(uint64_t k, int delta)
{
	const uint32_t *c = hconst[delta != 0];

	return (uint64_t)(((uint32_t)k ^ (uint32_t)(k >> 32) * c[1]) * c[0]) << 32;
}

static size_t fbit(uint64_t k, int delta, unsigned bits)
{
	return (size_t)(khash(k, delta) >> (64 - bits));
}

/*
 * The filter sets three bits per key in one 32-bit word: the hash's top
 * fbits - 5 bits choose the word, the three 5-bit fields below them the
 * bits (a blocked Bloom filter, k = 3; the quads' qfilter_has() has two).
 * One load per key as with one bit, and a sampled position that passes
 * walks a bucket: a chain of dependent cache misses (bucket, entry,
 * pattern) that costs more than the rest of its 8 bytes together. One bit
 * at 1/194 fill let 27,000 positions of every 8 MiB of packuments through,
 * nearly all of them false; two let ~1,000. 32-bit words (two bits in
 * 64-bit ones before) so that the AVX2 loop gathers the plain and the
 * delta keys of four positions in one vpgatherdd; with two bits a 32-bit
 * word let twice as many positions of text through as a 64-bit one, three
 * fewer than either (scan_known clean_text_passes_filter).
 */
static inline uint32_t fword(uint64_t h, unsigned bits)
{
	return (uint32_t)(h >> 32) >> (37 - bits);
}

static inline unsigned fsh3(unsigned bits)
{
	return bits <= 22 ? 22 - bits : 0;   /* (at 23 the last field shares a bit) */
}

static inline uint32_t fbits3(uint64_t h, unsigned bits)
{
	uint32_t t = (uint32_t)(h >> 32);

	return 1u << ((t >> (32 - bits)) & 31) | 1u << ((t >> (27 - bits)) & 31) |
	       1u << ((t >> fsh3(bits)) & 31);
}

static inline int filter_has(const uint64_t *filter, uint64_t h, unsigned bits)
{
	const uint32_t *f32 = (const uint32_t *)(const void *)filter;
	uint32_t m = fbits3(h, bits);

	return (f32[fword(h, bits)] & m) == m;
}

/* The index of name xf + sfx in k->names (added once), or -ENOMEM. A few
 * dozen distinct names a session: a linear search. */
static int name_of(struct brk_known *k, const char *xf, const char *sfx)
{
	char n[32];
	size_t i;

	snprintf(n, sizeof(n), "%s%s", xf, sfx);
	for (i = 0; i < k->nnames; i++)
		if (!strcmp(k->names[i], n))
			return (int)i;
	if (k->nnames == k->capnames) {
		size_t nc = k->capnames ? k->capnames * 2 : 64;
		char (*nn)[32];

		if (nc > MAX_NAMES || !(nn = realloc(k->names, nc * sizeof(*nn))))
			return -ENOMEM;
		k->names = nn;
		k->capnames = nc;
	}
	memcpy(k->names[k->nnames], n, sizeof(n));
	return (int)k->nnames++;
}

static int add_pat(struct brk_known *k, const uint8_t *p, size_t len, size_t which, int delta,
		   uint8_t first, const char *xf)
{
	int ic, is;
	struct kpat *t;

	if (len < BRK_KNOWN_MIN)
		return 0;
	if (k->npat == k->cap) {
		size_t nc = k->cap ? k->cap * 2 : 256;
		struct kpat *np;

		if (nc > MAX_PATTERNS)
			return -ENOMEM;
		np = realloc(k->pat, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		k->pat = np;
		k->cap = nc;
	}
	t = &k->pat[k->npat];
	memset(t, 0, sizeof(*t));
	t->p = malloc(len);
	if (!t->p)
		return -ENOMEM;
	memcpy(t->p, p, len);
	t->len = (uint32_t)len;
	t->which = (uint32_t)which;
	t->delta = (uint8_t)delta;
	t->first = first;
	/* (not snprintf: ~1600 patterns a session, 0.6 us each) */
	memcpy(t->xf, xf, strnlen(xf, sizeof(t->xf) - 1));   /* t is zeroed */
	if (k->npat && !strcmp(k->pat[k->npat - 1].xf, t->xf)) {
		ic = k->pat[k->npat - 1].xfc;   /* the pieces of one form: one name */
		is = k->pat[k->npat - 1].xfs;
	} else if ((ic = name_of(k, t->xf, "~case")) < 0 || (is = name_of(k, t->xf, "~stride2")) < 0) {
		free(t->p);
		return -ENOMEM;
	}
	t->xfc = (uint16_t)ic;
	t->xfs = (uint16_t)is;
	k->npat++;
	return 0;
}

/*
 * Add p[0,len) as overlapping pieces: a part of a secret is as bad as all of
 * it (a token without its checksum tail, whose checksum anyone can redo;
 * all but the last byte of a byte-per-request send). Pieces are half the
 * pattern (BRK_KNOWN_PART_MIN .. BRK_KNOWN_PIECE bytes) every quarter of a
 * piece (half a piece past 128 bytes), plus the tail; a pattern up to
 * BRK_KNOWN_PART_MIN bytes is matched whole. For a delta pattern, orig is
 * the untransformed value (its first byte per piece).
 */
static int add_pieces(struct brk_known *k, const uint8_t *p, size_t len, size_t which, int delta,
		      const uint8_t *orig, const char *xf)
{
	size_t piece = (len + 1) / 2, step, off;
	int rc;

	if (len <= BRK_KNOWN_PART_MIN)
		return add_pat(k, p, len, which, delta, orig ? orig[0] : 0, xf);
	if (piece < BRK_KNOWN_PART_MIN)
		piece = BRK_KNOWN_PART_MIN;
	if (piece > BRK_KNOWN_PIECE)
		piece = BRK_KNOWN_PIECE;
	step = len > 128 ? piece / 2 : piece / 4;
	if (k->fine) {                    /* any 23 bytes of a private key: 16 every 8 */
		piece = BRK_KNOWN_PART_MIN;
		step = piece / 2;
	}
	for (off = 0;; off += step) {
		if (off + piece > len)
			off = len - piece;  /* the tail, overlapping */
		rc = add_pat(k, p + off, piece, which, delta, orig ? orig[off] : 0, xf);
		if (rc < 0 || off + piece == len)
			return rc;
	}
}

#define STRIDE_MAX 256   /* longest value with the byte-by-byte forms */

/*
 * Quads: an index of 4-byte keys (ixq) for the two disguises whose bytes
 * are not contiguous in the value's own order, each probed on the few
 * positions where it can line up:
 *
 * - strided: the value with 1..QSTRIDE_MAX - 1 bytes of junk after each
 *   of its bytes ("n.p.m._", "nQ7pX2m..."): at stride s every s-th byte
 *   is the value. Whole values of QSTRIDE_MIN bytes and more, keys (4
 *   bytes at stride s, case-folded) at substream offsets 0..QSTEP-1, so
 *   one key per phase every QSTEP * s bytes finds them (scan_qstride);
 *   QSTEP_LONG when every strided value is QSTEP_LONG + 3 bytes or more,
 *   only in runs of QRUN bytes and more below 0x80 (the value, its junk).
 * - repeating-key XOR, the key 2..XOR_MAXL bytes: d[i] = c[i] ^ c[i + l]
 *   of the data equals v[i] ^ v[i + l] of the value whatever the key.
 *   Whole values of QXOR_MIN + l bytes and more (12-byte passwords with a
 *   key of up to 4 bytes, 16-byte ones with any), keys at offsets 0..3
 *   (7, 15), probed every 4 (8, 16) bytes for each l in use (scan_qxor).
 */
#define QSTEP 8
#define QSTEP_LONG 16                     /* when every strided value allows it */
#define QSTRIDE_MAX 5
#define QSTRIDE_MIN (QSTEP + 3)
#define QRUN (2 * (QSTRIDE_MIN - 1) + 1)
#define QXOR_STEP 4
#define QXOR_STEP_LONG 8
#define QXOR_STEP_16 16
#define QXOR_MIN BRK_KNOWN_MIN
/* Values of bytes below 0x80 only (tokens, passwords): the difference of
 * two such bytes is below 0x80 too, so a probe needs differences with
 * their top bits clear: 8 of them (1 in 256 on random data) where every
 * pattern of that l has 8 after any of its keys, else 4. An l whose
 * patterns are all 11 bytes and more (8 keys fit) is probed every 8 bytes
 * instead of 4, all 19 and more every 16 (qxor_plan()). */
#define QK_XOR(l) (l)                     /* index kinds: 2..8 */
#define QK_STRIDE(s) (8 + (s))            /* 10..13 */

static const char b64std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char b32hex[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";   /* RFC 4648 section 7 */

/* known.h: the characters of an encoding that v alone decides */
size_t brk_known_enc_inner(const uint8_t *v, size_t n, unsigned o, unsigned bits,
			   const char *alpha, uint8_t *out)
{
	size_t lo = (8 * (size_t)o + bits - 1) / bits, hi = 8 * ((size_t)o + n) / bits, j, r = 0;

	for (j = lo; j < hi; j++) {
		size_t bit = j * bits, b;
		unsigned c = 0;

		for (b = 0; b < bits; b++) {
			size_t at = bit + b, byte = at / 8 - o;

			c = (c << 1) | ((v[byte] >> (7 - at % 8)) & 1u);
		}
		out[r++] = (uint8_t)alpha[c];
	}
	return r;
}

/*
 * Byte lists: each byte of v[0,n) spelled by kind (0 hex, 1 "0x" hex, 2
 * decimal, 3 "\ooo" octal escapes) and joined by sep: "6e:70:6d",
 * "0x6e, 0x70", "110,112", "\156\160" (what xxd -i, a MAC-style dump,
 * Array.from(buf), a C array or a C/Python/JS octal string print). Upper
 * case comes with the case fold. t: room for 7 * n bytes.
 */
static const struct {
	int kind;
	const char *sep, *name;
} byte_lists[] = {
	{ 0, ":", "hex:" }, { 0, "-", "hex-" }, { 0, " ", "hex " }, { 0, ", ", "hex, " },
	{ 0, "|", "hex|" }, { 0, ".", "hex." }, { 0, "\n", "hex\\n" }, { 0, ";", "hex;" },
	{ 1, ",", "0x," }, { 1, ", ", "0x, " }, { 2, ",", "dec," }, { 2, ", ", "dec, " },
	{ 2, " ", "dec " }, { 2, "\n", "dec\\n" }, { 2, ";", "dec;" }, { 2, "|", "dec|" },
	{ 3, "", "octal" },
};

static size_t byte_list(const uint8_t *v, size_t n, int kind, const char *sep, uint8_t *t)
{
	size_t i, m = 0, sl = strlen(sep);

	for (i = 0; i < n; i++) {
		if (i) {
			memcpy(t + m, sep, sl);
			m += sl;
		}
		if (kind == 3) {
			t[m++] = '\\';
			t[m++] = (uint8_t)('0' + (v[i] >> 6));
			t[m++] = (uint8_t)('0' + ((v[i] >> 3) & 7));
			t[m++] = (uint8_t)('0' + (v[i] & 7));
		} else if (kind == 2) {       /* decimal, no sprintf: ~1000 a session */
			if (v[i] >= 100)
				t[m++] = (uint8_t)('0' + v[i] / 100);
			if (v[i] >= 10)
				t[m++] = (uint8_t)('0' + v[i] / 10 % 10);
			t[m++] = (uint8_t)('0' + v[i] % 10);
		} else {
			if (kind == 1) {
				t[m++] = '0';
				t[m++] = 'x';
			}
			t[m++] = (uint8_t)"0123456789abcdef"[v[i] >> 4];
			t[m++] = (uint8_t)"0123456789abcdef"[v[i] & 15];
		}
	}
	return m;
}

struct variant_ctx {
	struct brk_known *k;
	size_t which;
	const char *form;
};

/* brk_known_add_fn for known_variants.c: one more form, as its first and
 * its last half only (the value without its tail, or without its head):
 * the ~150 variants of a value would otherwise be ~750 patterns, and every
 * index entry is a filter bit each sampled position may hit. A half is
 * up to VARIANT_PIECE bytes, not BRK_KNOWN_PIECE: binary digits and UTF-32
 * spell a byte in 8 and 4, and 32 of them would be 4 bytes of the value
 * ("npm_" of every npm token). */
#define VARIANT_PIECE 128
static int add_variant(void *ctx, const uint8_t *p, size_t len, const char *xf)
{
	const struct variant_ctx *c = ctx;
	size_t piece = (len + 1) / 2;
	char name[24];
	int rc;

	snprintf(name, sizeof(name), "%s%s%s", c->form, c->form[0] ? ">" : "", xf);
	if (len <= BRK_KNOWN_PART_MIN)
		return add_pat(c->k, p, len, c->which, 0, 0, name);
	if (piece < BRK_KNOWN_PART_MIN)
		piece = BRK_KNOWN_PART_MIN;
	if (piece > VARIANT_PIECE)
		piece = VARIANT_PIECE;
	if ((rc = add_pat(c->k, p, piece, c->which, 0, 0, name)) < 0)
		return rc;
	return add_pat(c->k, p + len - piece, piece, c->which, 0, 0, name);
}

/* Does v[0,n) mix two of lower case, upper case, digits, other bytes? A
 * half of letters of one case may be a word ("password" + "sunflower"):
 * text holds such pairs, so those values' halves are not indexed. */
static int mixed(const uint8_t *v, size_t n)
{
	unsigned cls = 0, c;
	size_t i;

	for (i = 0; i < n; i++)
		cls |= (v[i] >= 'a' && v[i] <= 'z') ? 1u : (v[i] >= 'A' && v[i] <= 'Z') ? 2u
		       : (v[i] >= '0' && v[i] <= '9') ? 4u : 8u;
	c = (unsigned)__builtin_popcount(cls);
	return c >= 2;
}

/* All transforms of one base form v[0,n) named by form ("" or "key-body"). */
static int add_form(struct brk_known *k, const uint8_t *v, size_t n, size_t which, const char *form)
{
	static const char hexlo[] = "0123456789abcdef";
	uint8_t *t = malloc(7 * n + 16);
	char name[24];
	size_t i, m;
	unsigned o, dl;
	int rc = -ENOMEM;

#define XF(s) (snprintf(name, sizeof(name), "%s%s%s", form, form[0] ? ">" : "", (s)), name)
	if (!t)
		goto out;
	if ((rc = add_pieces(k, v, n, which, 0, NULL, form[0] ? form : "raw")) < 0)
		goto out;
	/* halves of a value too short for pieces to cover them (pieces are
	 * BRK_KNOWN_PART_MIN bytes): {"a":"<first>","b":"<second>"}. A half
	 * alone is no finding (it may be a word); both, in order, within
	 * HALF_GAP bytes are (half_mate()). */
	if (!form[0] && n >= 2 * BRK_KNOWN_MIN && n < 2 * BRK_KNOWN_PART_MIN && mixed(v, n / 2) &&
	    mixed(v + n / 2, n - n / 2)) {
		size_t h = n / 2;

		if ((rc = add_pat(k, v, h, which, 0, 0, "halves")) < 0 ||
		    (rc = add_pat(k, v + h, n - h, which, 0, 0, "halves")) < 0)
			goto out;
		k->pat[k->npat - 2].half = 1;
		k->pat[k->npat - 2].mate = (int32_t)k->npat - 1;
		k->pat[k->npat - 1].half = 2;
		k->pat[k->npat - 1].mate = (int32_t)k->npat - 2;
	}
	/* the whole value with junk after each of its bytes (quads) */
	for (o = 2; n >= QSTRIDE_MIN && n <= STRIDE_MAX && o <= QSTRIDE_MAX; o++) {
		char sfx[16];
		int is;

		snprintf(sfx, sizeof(sfx), "~stride%u", o);
		if ((rc = add_pat(k, v, n, which, 0, 0, form[0] ? form : "raw")) < 0)
			goto out;
		if ((is = name_of(k, k->pat[k->npat - 1].xf, sfx)) < 0) {
			rc = is;
			goto out;
		}
		k->pat[k->npat - 1].stride = (uint8_t)o;
		k->pat[k->npat - 1].xfs = (uint16_t)is;
		k->qkinds |= 1u << QK_STRIDE(o);
		if (!k->qsmin || n < k->qsmin)
			k->qsmin = (unsigned)n;
	}
	for (i = 0; i < n; i++)
		t[i] = v[n - 1 - i];
	if ((rc = add_pieces(k, t, n, which, 0, NULL, XF("reversed"))) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		uint8_t c = v[i];

		t[i] = (c >= 'a' && c <= 'z') ? (uint8_t)('a' + (c - 'a' + 13) % 26)
		       : (c >= 'A' && c <= 'Z') ? (uint8_t)('A' + (c - 'A' + 13) % 26) : c;
	}
	if (memcmp(t, v, n) && (rc = add_pieces(k, t, n, which, 0, NULL, XF("rot13"))) < 0)
		goto out;
	for (i = 0; i + 1 < n; i++)
		t[i] = v[i] ^ v[i + 1];
	if (n > 1 && (rc = add_pieces(k, t, n - 1, which, 1, v, XF("xor"))) < 0)
		goto out;
	/* repeating-key XOR, keys of 2..XOR_MAXL bytes: v[i] ^ v[i + l],
	 * whatever the key (as "xor" above for one byte), whole */
	for (m = 0; m < n && v[m] < 0x80; m++)
		;
	for (o = 2, dl = 0; m == n && n <= STRIDE_MAX && o <= XOR_MAXL; o++) {
		/* a key of o bytes repeats every multiple of o too: l = 6 finds
		 * keys of 2, 3 and 6 bytes, l = 8 of 4 and 8; the largest
		 * multiple the value is long enough for, each l once */
		unsigned l;

		for (l = XOR_MAXL / o * o; l > o && n < l + QXOR_MIN; l -= o)
			;
		if (n < l + QXOR_MIN || ((dl >> l) & 1))
			continue;
		dl |= 1u << l;
		for (i = 0; i + l < n; i++)
			t[i] = v[i] ^ v[i + l];
		if ((rc = add_pat(k, t, n - l, which, 0, v[0], XF("xor"))) < 0)
			goto out;
		k->pat[k->npat - 1].xl = (uint8_t)l;
		memcpy(k->pat[k->npat - 1].head, v, l);
		k->qkinds |= 1u << QK_XOR(l);
		if (!k->qmin[l] || n - l < k->qmin[l])
			k->qmin[l] = (uint8_t)(n - l);
	}
	for (i = 0; i < n; i++) {
		t[2 * i] = v[i];
		t[2 * i + 1] = 0;
	}
	if ((rc = add_pieces(k, t, 2 * n, which, 0, NULL, XF("utf16le"))) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		t[2 * i] = 0;
		t[2 * i + 1] = v[i];
	}
	if ((rc = add_pieces(k, t, 2 * n, which, 0, NULL, XF("utf16be"))) < 0)
		goto out;
	for (o = 0; o < 3; o++) {
		char b[16];

		snprintf(b, sizeof(b), o ? "base64+%u" : "base64", o);
		m = brk_known_enc_inner(v, n, o, 6, b64std, t);
		if ((rc = add_pieces(k, t, m, which, 0, NULL, XF(b))) < 0)
			goto out;
		m = brk_known_enc_inner(v, n, o, 6, b64url, t);
		snprintf(b, sizeof(b), o ? "base64url+%u" : "base64url", o);
		if (memchr(t, '-', m) || memchr(t, '_', m))
			if ((rc = add_pieces(k, t, m, which, 0, NULL, XF(b))) < 0)
				goto out;
	}
	for (o = 0; o < 5; o++) {
		char b[16];

		snprintf(b, sizeof(b), o ? "base32+%u" : "base32", o);
		m = brk_known_enc_inner(v, n, o, 5, b32, t);
		if ((rc = add_pieces(k, t, m, which, 0, NULL, XF(b))) < 0)
			goto out;
		if (n > STRIDE_MAX)
			continue;       /* tokens and passwords, as the byte lists */
		snprintf(b, sizeof(b), o ? "base32hex+%u" : "base32hex", o);
		m = brk_known_enc_inner(v, n, o, 5, b32hex, t);
		if ((rc = add_pieces(k, t, m, which, 0, NULL, XF(b))) < 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		t[2 * i] = (uint8_t)hexlo[v[i] >> 4];
		t[2 * i + 1] = (uint8_t)hexlo[v[i] & 15];
	}
	/* upper-case hex and percent: the case fold (FOLD) */
	if ((rc = add_pieces(k, t, 2 * n, which, 0, NULL, XF("hex"))) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		t[3 * i] = '%';
		t[3 * i + 1] = (uint8_t)hexlo[v[i] >> 4];
		t[3 * i + 2] = (uint8_t)hexlo[v[i] & 15];
	}
	if ((rc = add_pieces(k, t, 3 * n, which, 0, NULL, XF("percent"))) < 0)
		goto out;
	/* tokens and passwords, not key files: a 3 KB key as nine lists would
	 * double a session's patterns (and the time to build them) */
	for (i = 0; n <= STRIDE_MAX && i < sizeof(byte_lists) / sizeof(byte_lists[0]); i++) {
		m = byte_list(v, n, byte_lists[i].kind, byte_lists[i].sep, t);
		if ((rc = add_pieces(k, t, m, which, 0, NULL, XF(byte_lists[i].name))) < 0)
			goto out;
	}
	if (n <= STRIDE_MAX) {
		struct variant_ctx vc = { k, which, form };

		rc = brk_known_variants(v, n, add_variant, &vc);
	}
#undef XF
out:
	free(t);
	return rc;
}

static int b64val(uint8_t c)
{
	const char *p = c ? strchr(b64std, c) : NULL;

	return p ? (int)(p - b64std) : -1;
}

/* The forms of the secret bytes blob[a, b) of a key: the bytes, the base64
 * characters of body that depend on them alone, and those characters as
 * the file wraps them (pos[]: a body character's offset in lines). */
static int add_key_range(struct brk_known *k, const uint8_t *blob, const uint8_t *body,
			 const uint8_t *lines, const size_t *pos, size_t a, size_t b, size_t which)
{
	size_t ca = (8 * a + 5) / 6, cb = 8 * b / 6;
	int rc;

	k->fine = 1;
	rc = add_form(k, blob + a, b - a, which, "key-blob");
	k->fine = 0;
	if (rc < 0 || cb <= ca)
		return rc;
	if ((rc = add_form(k, body + ca, cb - ca, which, "key-body")) < 0)
		return rc;
	return add_form(k, lines + pos[ca], pos[cb - 1] + 1 - pos[ca], which, "key");
}

#define KEY_SEGS 16

/* A private key file: its base64 body without the armor lines, joined
 * (what `grep -v -- -----` sends), as the file wraps it, and decoded (the
 * key blob); of a key whose format known_key.c reads, the private fields
 * only (its public key is public). */
static int add_key_forms(struct brk_known *k, const uint8_t *v, size_t n, size_t which)
{
	uint8_t *body = malloc(n + 1), *blob = malloc(n + 1), *lines = malloc(n + 1);
	size_t *pos = malloc((n + 1) * sizeof(*pos)), seg[KEY_SEGS][2], ns;
	size_t i = 0, bl = 0, ol = 0, ll = 0;
	unsigned acc = 0, nb = 0;
	int rc = -ENOMEM;

	if (!body || !blob || !lines || !pos)
		goto out;
	while (i < n) {
		size_t e = i;
		int armor, header;

		while (e < n && v[e] != '\n')
			e++;
		armor = e - i >= 5 && memcmp(v + i, "-----", 5) == 0;
		header = memchr(v + i, ':', e - i) != NULL;   /* "Proc-Type: ..." */
		for (; !armor && !header && i < e; i++) {
			if (b64val(v[i]) >= 0) {
				pos[bl] = ll;
				body[bl++] = v[i];
			}
			lines[ll++] = v[i];         /* with its line breaks */
		}
		if (!armor && !header && e < n && ll)
			lines[ll++] = '\n';
		i = e + 1;
	}
	for (i = 0; i < bl; i++) {
		acc = (acc << 6) | (unsigned)b64val(body[i]);
		nb += 6;
		if (nb >= 8) {
			nb -= 8;
			blob[ol++] = (uint8_t)(acc >> nb);
		}
	}
	rc = 0;
	ns = ol >= 48 ? brk_known_key_secret(blob, ol, seg, KEY_SEGS) : (size_t)-1;
	if (bl < 64)   /* no recognisable body: the file as it is */
		rc = add_form(k, v, n, which, "");
	else if (ns == (size_t)-1)   /* a format of its own: all of it */
		rc = add_key_range(k, blob, body, lines, pos, 0, ol, which);
	for (i = 0; rc == 0 && bl >= 64 && ns != (size_t)-1 && i < ns; i++)
		rc = add_key_range(k, blob, body, lines, pos, seg[i][0], seg[i][1], which);
out:
	if (body)
		explicit_bzero(body, n);
	if (blob)
		explicit_bzero(blob, n);
	if (lines)
		explicit_bzero(lines, n);
	free(body);
	free(blob);
	free(lines);
	free(pos);
	return rc;
}

void brk_known_free(struct brk_known *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->npat; i++) {
		explicit_bzero(k->pat[i].p, k->pat[i].len);
		free(k->pat[i].p);
	}
	free(k->pat);
	free(k->names);
	free(k->ixq.ent);
	free(k->ixq.bucket);
	free(k->ixq.filter);
	for (i = 0; i < NINDEX; i++) {
		free(k->ix[i].ent);
		free(k->ix[i].bucket);
		free(k->ix[i].filter);
	}
	free(k);
}

/* Drop exact duplicates (hex and HEX of digits, rot13 of digits...). */
static int same_pat(const struct kpat *a, const struct kpat *b)
{
	return a->delta == b->delta && a->stride == b->stride && a->xl == b->xl && !a->half && !b->half &&
	       a->len == b->len &&
	       a->which == b->which &&
	       memcmp(a->p, b->p, a->len) == 0;
}

/* Duplicates (hex and HEX of digits, rot13 of digits...) get len 0 and
 * never match; a hash of the first key keeps this linear. */
static int dedup(struct brk_known *k)
{
	size_t nb, i;
	int32_t *head, *next;

	for (nb = 64; nb < 2 * k->npat; nb *= 2)
		;
	head = malloc(nb * sizeof(*head));
	next = malloc((k->npat + 1) * sizeof(*next));
	if (!head || !next) {
		free(head);
		free(next);
		return -ENOMEM;
	}
	memset(head, 0xff, nb * sizeof(*head));
	for (i = 0; i < k->npat; i++) {
		struct kpat *t = &k->pat[i];
		size_t b = fbit(key_of(t->p, t->delta), t->delta, FILTER_MAX) & (nb - 1);
		int32_t j;

		for (j = head[b]; j >= 0 && !same_pat(&k->pat[j], t); j = next[j])
			;
		if (j >= 0) {
			t->len = 0;
			continue;
		}
		next[i] = head[b];
		head[b] = (int32_t)i;
	}
	free(head);
	free(next);
	return 0;
}

static int index_add(struct kindex *x, size_t pat, size_t off)
{
	if (x->nent == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 256;
		struct kent *ne;

		if (nc > 4 * MAX_PATTERNS)
			return -ENOMEM;
		ne = realloc(x->ent, nc * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		x->ent = ne;
		x->cap = nc;
	}
	x->ent[x->nent].pat = (int32_t)pat;
	x->ent[x->nent].off = (uint32_t)off;
	x->ent[x->nent].key = 0;        /* index_build() */
	x->ent[x->nent++].next = -1;
	return 0;
}

/*
 * The hash of a quad: its 4 bytes XOR a salt of its kind, one 32x32
 * multiply (8 lanes at once in the AVX2 loops, _mm256_mullo_epi32), in
 * the top 32 bits as khash()'s. Keys of two kinds that collide are told
 * apart in the bucket: the entry's key holds the kind above bit 32.
 */
#define QMUL 0x9e3779b1u
#define QSALT(kind) ((uint32_t)(kind) * 0x85ebca6bu)

static inline uint32_t qhash(uint32_t k, unsigned kind)
{
	return (k ^ QSALT(kind)) * QMUL;
}

/*
 * The quad filter: 32-bit words, two bits per key in one word (as
 * filter_has() in 64-bit ones): the hash's top fbits - 5 bits choose the
 * word, the two 5-bit fields below them the bits.
 */
static inline int qfilter_has(const uint32_t *filter, uint32_t h, unsigned fbits)
{
	uint32_t w = filter[h >> (37 - fbits)];

	return (int)((w >> ((h >> (32 - fbits)) & 31)) & (w >> ((h >> (27 - fbits)) & 31)) & 1);
}

/* The quad of pattern t at off: strided ones case-folded, as scanned */
static uint32_t quad_of(const struct kpat *t, size_t off)
{
	uint32_t q;

	memcpy(&q, t->p + off, 4);
	return t->stride ? q | (uint32_t)FOLD : q;
}

static unsigned quad_kind(const struct kpat *t)
{
	return t->stride ? QK_STRIDE(t->stride) : QK_XOR(t->xl);
}

/* Each l's step and gate from its shortest pattern, and the list of the
 * l in use (the scan loops walk it, not all seven). */
static void qxor_plan(struct brk_known *k)
{
	unsigned l;

	for (l = 2; l <= XOR_MAXL; l++) {
		unsigned m = k->qmin[l];

		if (!m)
			continue;
		k->qstep[l] = m >= QXOR_STEP_16 + 3 ? QXOR_STEP_16 : m >= QXOR_STEP_LONG + 3 ? QXOR_STEP_LONG
			      : QXOR_STEP;
		k->q16 |= k->qstep[l] == QXOR_STEP_16;
		if (m - (k->qstep[l] - 1u) >= 8)
			k->qgate8 |= 1u << l;
		k->ql[k->nql++] = (uint8_t)l;
	}
	/* strided: keys at substream offsets 0..qsstep-1 of every value */
	k->qsstep = k->qsmin >= QSTEP_LONG + 3 ? QSTEP_LONG : QSTEP;
}

/* x's buckets (twice its entries, a power of two, all empty) and its
 * filter: sparse enough that a sampled position rarely walks a bucket (the
 * hot loop's cost), small enough for the cache when there are few. */
static int index_alloc(struct kindex *x, size_t per_entry)
{
	size_t nb;

	for (nb = 64; nb < 2 * x->nent; nb *= 2)
		;
	for (x->fbits = FILTER_MIN; x->fbits < FILTER_MAX && (1ul << x->fbits) < per_entry * x->nent;
	     x->fbits++)
		;
	x->bucket = malloc(nb * sizeof(*x->bucket));
	x->filter = calloc((1ul << x->fbits) / 64, sizeof(*x->filter));
	if (!x->bucket || !x->filter)
		return -ENOMEM;
	x->nbucket = nb;
	memset(x->bucket, 0xff, nb * sizeof(*x->bucket));
	return 0;
}

static int qindex_build(const struct brk_known *k, struct kindex *x)
{
	size_t nb, i;
	int rc;

	if (!x->nent)
		return 0;
	if ((rc = index_alloc(x, QFILTER_PER_ENTRY)) < 0)
		return rc;
	nb = x->nbucket;
	for (i = 0; i < x->nent; i++) {
		const struct kpat *t = &k->pat[x->ent[i].pat];
		unsigned kind = quad_kind(t);
		uint32_t q = quad_of(t, x->ent[i].off), h = qhash(q, kind);
		uint32_t *f32 = (uint32_t *)(void *)x->filter;
		size_t b = (h >> (32 - x->fbits)) & (nb - 1);

		x->ent[i].key = (uint64_t)kind << 32 | q;
		x->ent[i].next = x->bucket[b];
		x->bucket[b] = (int32_t)i;
		f32[h >> (37 - x->fbits)] |= 1u << ((h >> (32 - x->fbits)) & 31) | 1u << ((h >> (27 - x->fbits)) & 31);
	}
	return 0;
}

/* x->skey[] of the plain and delta keys at offset 0 of x's patterns, each
 * once, and x->small when they are few enough that comparing each with
 * every position costs less than x's hash loop (SMALL_KEYS). */
static void small_keys(const struct brk_known *k, struct kindex *x, unsigned step)
{
	const unsigned most = step == 8 ? SMALL_KEYS8 : SMALL_KEYS;
	size_t i;

	x->small = 0;
	x->nskey[0] = x->nskey[1] = 0;
	for (i = 0; i < x->nent; i++) {
		int d = k->pat[x->ent[i].pat].delta != 0;
		unsigned j;

		if (x->ent[i].off)
			continue;
		for (j = 0; j < x->nskey[d] && x->skey[d][j] != x->ent[i].key; j++)
			;
		if (j < x->nskey[d])
			continue;
		if (x->nskey[0] + x->nskey[1] == most)
			return;
		x->skey[d][x->nskey[d]++] = x->ent[i].key;
	}
	x->small = 1;
}

/* k->sm: the keys of the small indexes, each once with the indexes that
 * have it. */
static void small_all(struct brk_known *k)
{
	struct ksmall *sm = &k->sm;
	unsigned j, d, a, b;

	memset(sm, 0, sizeof(*sm));
	for (j = 0; j < NINDEX; j++) {
		const struct kindex *x = &k->ix[j];

		if (!x->nent || !x->small)
			continue;
		sm->ixs |= 1u << j;
		for (d = 0; d < 2; d++)
			for (a = 0; a < x->nskey[d]; a++) {
				for (b = 0; b < sm->n[d] && sm->key[d][b] != x->skey[d][a]; b++)
					;
				if (b == sm->n[d])
					sm->key[d][sm->n[d]++] = x->skey[d][a];
				sm->ixm[d][b] |= (uint8_t)(1u << j);
			}
	}
	for (d = 0; d < 2; d++)
		for (b = 0; b < sm->n[d]; b++) {
			uint8_t f = (uint8_t)sm->key[d][b], l = (uint8_t)(sm->key[d][b] >> (d ? 48 : 56));
			uint8_t bit = (uint8_t)(1u << (b % 8));

			sm->nib[d][0][f & 15] |= bit;
			sm->nib[d][1][f >> 4] |= bit;
			sm->nib[d][2][l & 15] |= bit;
			sm->nib[d][3][l >> 4] |= bit;
		}
}

static int index_build(const struct brk_known *k, struct kindex *x)
{
	size_t nb, i;
	int rc;

	if (!x->nent)
		return 0;
	if ((rc = index_alloc(x, FILTER_PER_ENTRY)) < 0)
		return rc;
	nb = x->nbucket;
	for (i = 0; i < x->nent; i++) {
		const struct kpat *t = &k->pat[x->ent[i].pat];
		uint64_t key = key_of(t->p + x->ent[i].off, t->delta);
		uint64_t h = khash(key, t->delta);
		size_t f = (size_t)(h >> (64 - x->fbits));

		x->ent[i].key = key;
		x->ent[i].next = x->bucket[f & (nb - 1)];
		x->bucket[f & (nb - 1)] = (int32_t)i;
		((uint32_t *)(void *)x->filter)[fword(h, x->fbits)] |= fbits3(h, x->fbits);
	}
	if (x >= &k->ix[0] && x < &k->ix[NINDEX])
		small_keys(k, x, index_step[x - &k->ix[0]]);
	return 0;
}

int brk_known_new(const struct brk_known_in *in, size_t n, struct brk_known **out)
{
	struct brk_known *k = calloc(1, sizeof(*k));
	size_t i;
	int rc = -ENOMEM;

	*out = NULL;
	if (!k)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!in[i].v || in[i].len < BRK_KNOWN_MIN || in[i].len > BRK_KNOWN_MAX_VALUE)
			continue;
		/* a key file: its body, never its armor lines (they are public) */
		if (!in[i].key && (rc = add_form(k, in[i].v, in[i].len, i, "")) < 0)
			goto out;
		if (in[i].key && (rc = add_key_forms(k, in[i].v, in[i].len, i)) < 0)
			goto out;
	}
	if ((rc = dedup(k)) < 0)
		goto out;
	qxor_plan(k);
	for (i = 0; i < k->npat; i++) {
		struct kpat *t = &k->pat[i];
		size_t keylen = t->delta ? 7 : 8, off, j;

		if (!t->len)
			continue;
		if (t->xl) {
			if ((size_t)t->len + t->xl > k->reach)
				k->reach = (size_t)t->len + t->xl;
			for (off = 0; off < k->qstep[t->xl]; off++)
				if ((rc = index_add(&k->ixq, i, off)) < 0)
					goto out;
			continue;
		}
		if (t->stride) {
			if ((size_t)t->stride * t->len > k->sreach)
				k->sreach = (size_t)t->stride * t->len;
			for (off = 0; off < k->qsstep; off++)
				if ((rc = index_add(&k->ixq, i, off)) < 0)
					goto out;
			continue;
		}
		if (t->len + t->delta > k->reach)
			k->reach = t->len + t->delta;
		for (j = 0; j + 1 < NINDEX && t->len < keylen + index_step[j] - 1; j++)
			;       /* the last step is 1: every pattern fits */
		for (off = 0; off < index_step[j]; off++)
			if ((rc = index_add(&k->ix[j], i, off)) < 0)
				goto out;
	}
	for (i = 0; i < NINDEX; i++)
		if ((rc = index_build(k, &k->ix[i])) < 0)
			goto out;
	small_all(k);
	if ((rc = qindex_build(k, &k->ixq)) < 0)
		goto out;
	*out = k;
	k = NULL;
	rc = 0;
out:
	brk_known_free(k);
	return rc;
}

size_t brk_known_npatterns(const struct brk_known *k)
{
	size_t i, n = 0;

	for (i = 0; k && i < k->npat; i++)
		n += k->pat[i].len != 0;
	return n;
}

size_t brk_known_reach(const struct brk_known *k)
{
	return k ? k->reach : 0;
}

/* ---- matching -------------------------------------------------------- */

static int delta_eq(const uint8_t *p, const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((uint8_t)(p[i] ^ p[i + 1]) != d[i])
			return 0;
	return 1;
}

/* A half's mate in p[0,len) around its match at q (the first half: the
 * second after it; the second: the first before it), within HALF_GAP
 * bytes: 1 and the extent of both in *s, *e, else 0. */
#define HALF_GAP 64

static int half_mate(const struct brk_known *k, const struct kpat *t, const uint8_t *p, size_t len,
		     size_t q, size_t *s, size_t *e)
{
	const struct kpat *m = &k->pat[t->mate];
	const uint8_t *f;

	if (t->half == 1) {
		size_t a = q + t->len, w = len - a < HALF_GAP + m->len ? len - a : HALF_GAP + m->len;

		if (!(f = memmem(p + a, w, m->p, m->len)))
			return 0;
		*s = q;
		*e = (size_t)(f - p) + m->len;
		return 1;
	}
	{
		size_t a = q > HALF_GAP + m->len ? q - HALF_GAP - m->len : 0;
		const uint8_t *last = NULL;

		for (f = p + a; (f = memmem(f, (size_t)(p + q - f), m->p, m->len)); f++)
			last = f;
		if (!last)
			return 0;
		*s = (size_t)(last - p);
		*e = q + t->len;
		return 1;
	}
}

/* a[0,n) and b[0,n) differ at most in the case of letters */
static int case_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i] && ((a[i] | 0x20) != (b[i] | 0x20) || (a[i] | 0x20) < 'a' ||
				     (a[i] | 0x20) > 'z'))
			return 0;
	return 1;
}

/* Candidates of index x whose key equals the one at p + i (plain keys
 * case-folded); off0: only patterns whose key is at their offset 0 (every
 * position is probed: small_scan()). */
static size_t probe(const struct brk_known *k, const struct kindex *x, const uint8_t *p,
		    size_t len, size_t i, uint64_t key, int delta, int off0, size_t from,
		    brk_known_hit_fn *cb, void *ctx, int *stop)
{
	size_t f = fbit(key, delta, x->fbits), hits = 0;
	int32_t j;

	for (j = x->bucket[f & (x->nbucket - 1)]; j >= 0; j = x->ent[j].next) {
		const struct kpat *t;
		const char *xf;
		size_t q, span;

		if (x->ent[j].key != key || x->ent[j].off > i || (off0 && x->ent[j].off))
			continue;
		t = &k->pat[x->ent[j].pat];
		xf = t->xf;
		if (t->delta != delta)
			continue;
		q = i - x->ent[j].off;
		span = t->len + t->delta;
		if (span > len - q || q + span <= from)
			continue;
		if (delta) {
			/* key 0 is the value itself: the raw pattern reports it */
			if (p[q] == t->first || !delta_eq(p + q, t->p, t->len))
				continue;
		} else if (memcmp(p + q, t->p, t->len)) {
			if (t->half || !case_eq(p + q, t->p, t->len))
				continue;
			xf = k->names[t->xfc];
		}
		if (t->half) {
			size_t hs, he;

			if (!half_mate(k, t, p, len, q, &hs, &he) || he <= from)
				continue;
			/* both halves, redacted as one */
			hits++;
			if (cb(ctx, t->which, hs, he, xf)) {
				*stop = 1;
				break;
			}
			continue;
		}
		hits++;
		if (cb(ctx, t->which, q, q + span, xf)) {
			*stop = 1;
			break;
		}
	}
	return hits;
}

#ifdef __x86_64__
/*
 * scan_index() AVX2: one 32-byte load is the keys of four positions 8
 * apart (8 / step loads a 32-byte block, at offsets 0, step, ...); their
 * plain and delta hashes (khash(), lane by lane), the eight filter words
 * by one gather, the three bits of each tested. The set bits are then
 * probed in position order, as the scalar loop would. Advances *pos
 * past what it did.
 */
static inline __attribute__((always_inline, target("avx2"))) size_t
scan_avx2(const struct brk_known *k, const struct kindex *x, const size_t step, const uint8_t *p,
	  size_t len, size_t *pos, size_t from, brk_known_hit_fn *cb, void *ctx, int *stop)
{
	/* khash(): hi * b in the high half, lo ^ that there, times a */
	const __m256i bp = _mm256_set1_epi64x((long long)((uint64_t)hconst[0][1] << 32));
	const __m256i bd = _mm256_set1_epi64x((long long)((uint64_t)hconst[1][1] << 32));
	const __m256i ap = _mm256_set1_epi64x((long long)((uint64_t)hconst[0][0] << 32));
	const __m256i ad = _mm256_set1_epi64x((long long)((uint64_t)hconst[1][0] << 32));
	const __m256i m56 = _mm256_set1_epi64x((long long)MASK56), m31 = _mm256_set1_epi32(31);
	const __m256i fold = _mm256_set1_epi64x((long long)FOLD);
	const __m128i shw = _mm_cvtsi32_si128(37 - (int)x->fbits);
	const __m128i sh1 = _mm_cvtsi32_si128(32 - (int)x->fbits);
	const __m128i sh2 = _mm_cvtsi32_si128(27 - (int)x->fbits);
	const __m128i sh3 = _mm_cvtsi32_si128((int)fsh3(x->fbits));
	const int *filter = (const int *)(const void *)x->filter;
	size_t i = *pos, hits = 0;

	for (; i + 32 + (8 - step) <= len; i += 32) {
		unsigned m[8], any = 0, o, q;

		for (o = 0; o < 8; o += (unsigned)step) {
			__m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + o));
			__m256i d = _mm256_and_si256(_mm256_xor_si256(w, _mm256_srli_epi64(w, 8)), m56);
			/* after d: plain keys are case-folded (as scan_index) */
			w = _mm256_or_si256(w, fold);
			/* khash() in the high halves (the low ones end 0) */
			__m256i hw = _mm256_xor_si256(_mm256_mullo_epi32(w, bp), _mm256_slli_epi64(w, 32));
			__m256i hd = _mm256_xor_si256(_mm256_mullo_epi32(d, bd), _mm256_slli_epi64(d, 32));

			hw = _mm256_mullo_epi32(hw, ap);
			hd = _mm256_mullo_epi32(hd, ad);
			/* dword 2j: position j's delta hash, 2j + 1 its plain one */
			__m256i h = _mm256_or_si256(hw, _mm256_srli_epi64(hd, 32));
			__m256i g = _mm256_i32gather_epi32(filter, _mm256_srl_epi32(h, shw), 4);

			/* the bits of filter_has(): the word shifted by each, ANDed */
			g = _mm256_and_si256(_mm256_and_si256(
				_mm256_srlv_epi32(g, _mm256_and_si256(_mm256_srl_epi32(h, sh1), m31)),
				_mm256_srlv_epi32(g, _mm256_and_si256(_mm256_srl_epi32(h, sh2), m31))),
				_mm256_srlv_epi32(g, _mm256_and_si256(_mm256_srl_epi32(h, sh3), m31)));
			m[o] = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32(g, 31)));
			any |= m[o];
		}
		if (__builtin_expect(!any, 1))
			continue;
		/* position i + q is lane q / 8 of the load at offset q % 8 */
		for (q = 0; q < 32; q += (unsigned)step) {
			unsigned j = q / 8, lo = q % 8, pd = (m[lo] >> (2 * j)) & 3;
			uint64_t v, dv;

			if (!pd)
				continue;
			memcpy(&v, p + i + q, 8);
			dv = (v ^ (v >> 8)) & MASK56;
			v |= FOLD;
			if (pd & 2)
				hits += probe(k, x, p, len, i + q, v, 0, 0, from, cb, ctx, stop);
			if (!*stop && (pd & 1))
				hits += probe(k, x, p, len, i + q, dv, 1, 0, from, cb, ctx, stop);
			if (*stop) {
				*pos = i;
				return hits;
			}
		}
	}
	*pos = i;
	return hits;
}

/* scan_avx2() per constant step (one loop each, as scan_index()) */
#define SCAN_AVX2(n)                                                                              \
	__attribute__((target("avx2"))) static size_t                                              \
	scan##n##_avx2(const struct brk_known *k, const struct kindex *x, const uint8_t *p,        \
		       size_t len, size_t *pos, size_t from, brk_known_hit_fn *cb, void *ctx,       \
		       int *stop)                                                                   \
	{                                                                                           \
		return scan_avx2(k, x, n, p, len, pos, from, cb, ctx, stop);                        \
	}
SCAN_AVX2(8)
SCAN_AVX2(4)
SCAN_AVX2(1)
#endif

/*
 * small_scan(): every position of p, not every step-th, compared with the
 * keys at offset 0 of the small indexes' patterns (k->sm: all of them in
 * one pass over the bytes, not one each), which finds each
 * occurrence once, at its start, as the sampled keys at offsets 0..step-1
 * did. SIMD first: the key's first and last byte (plain keys case-folded,
 * delta keys on the XOR of neighbouring bytes) at 16 or 32 positions a
 * compare; a position where both agree for some key has its whole key
 * compared (small_has()) and is probed.
 */
/* the indexes (bit j: ix[j]) that have plain (delta 0) or delta key v */
static inline unsigned small_has(const struct ksmall *sm, uint64_t v, int delta)
{
	unsigned j;

	for (j = 0; j < sm->n[delta]; j++)
		if (sm->key[delta][j] == v)
			return sm->ixm[delta][j];
	return 0;
}

/* v at p + i (plain or delta) probed in each index of mask m */
static inline size_t small_probe(const struct brk_known *k, unsigned m, const uint8_t *p,
				 size_t len, size_t i, uint64_t v, int delta, size_t from,
				 brk_known_hit_fn *cb, void *ctx, int *stop)
{
	size_t hits = 0;
	unsigned j;

	for (j = 0; j < NINDEX && !*stop; j++)
		if ((m >> j) & 1)
			hits += probe(k, &k->ix[j], p, len, i, v, delta, 1, from, cb, ctx, stop);
	return hits;
}

/* Probe position i of p if its plain or delta key is one of k->sm's. */
static inline size_t small_at(const struct brk_known *k, const uint8_t *p, size_t len, size_t i,
			      size_t from, brk_known_hit_fn *cb, void *ctx, int *stop)
{
	uint64_t w, d;
	size_t hits = 0;
	unsigned m;

	memcpy(&w, p + i, 8);
	d = (w ^ (w >> 8)) & MASK56;
	w |= FOLD;
	if ((m = small_has(&k->sm, w, 0)))
		hits += small_probe(k, m, p, len, i, w, 0, from, cb, ctx, stop);
	if (!*stop && (m = small_has(&k->sm, d, 1)))
		hits += small_probe(k, m, p, len, i, d, 1, from, cb, ctx, stop);
	return hits;
}

/* The candidates mask's positions i + b, in order; 1 to stop. */
static inline int small_mask(const struct brk_known *k, const uint8_t *p, size_t len, size_t i,
			     uint32_t m, size_t from, brk_known_hit_fn *cb, void *ctx, int *stop,
			     size_t *hits)
{
	while (m) {
		*hits += small_at(k, p, len, i + (size_t)__builtin_ctz(m), from, cb, ctx, stop);
		if (*stop)
			return 1;
		m &= m - 1;
	}
	return 0;
}

#ifdef __x86_64__
/* bytes of v whose nibbles both have a bit of one bucket set, in lo (low
 * nibble) and hi (high): nonzero where v may be a key's byte */
static inline __attribute__((always_inline, target("avx2"))) __m256i
nib_match(__m256i v, __m256i lo, __m256i hi)
{
	const __m256i m15 = _mm256_set1_epi8(15);

	return _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(v, m15)),
				_mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), m15)));
}

static inline __attribute__((always_inline, target("avx2"))) __m256i
nib_table(const uint8_t *t)
{
	return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)t));
}

/* AVX2: the first and last byte of every key at once, by nibble tables (one
 * bucket bit per key, the same bucket in both: a bucket of one key is that
 * key's exact pair of bytes; of more, a superset that small_at() sorts out) */
__attribute__((target("avx2"))) static size_t
small_avx2(const struct brk_known *k, const uint8_t *p, size_t len, size_t *pos, size_t from,
	   brk_known_hit_fn *cb, void *ctx, int *stop)
{
	const __m256i fold = _mm256_set1_epi8(0x20), zero = _mm256_setzero_si256();
	const struct ksmall *sm = &k->sm;
	const unsigned np = sm->n[0], nd = sm->n[1];
	const __m256i pf0 = nib_table(sm->nib[0][0]), pf1 = nib_table(sm->nib[0][1]);
	const __m256i pl0 = nib_table(sm->nib[0][2]), pl1 = nib_table(sm->nib[0][3]);
	const __m256i df0 = nib_table(sm->nib[1][0]), df1 = nib_table(sm->nib[1][1]);
	const __m256i dl0 = nib_table(sm->nib[1][2]), dl1 = nib_table(sm->nib[1][3]);
	size_t i = *pos, hits = 0;

	for (; i + 32 + 8 <= len; i += 32) {
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 7));
		__m256i e = zero;

		if (nd) {
			__m256i a1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 1));
			__m256i b6 = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 6));

			e = _mm256_and_si256(nib_match(_mm256_xor_si256(a, a1), df0, df1),
					     nib_match(_mm256_xor_si256(b6, b), dl0, dl1));
		}
		if (np)
			e = _mm256_or_si256(e, _mm256_and_si256(nib_match(_mm256_or_si256(a, fold), pf0, pf1),
								nib_match(_mm256_or_si256(b, fold), pl0, pl1)));
		uint32_t m = ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(e, zero));

		if (__builtin_expect(m != 0, 0) && small_mask(k, p, len, i, m, from, cb, ctx, stop, &hits))
			break;
	}
	*pos = i;
	return hits;
}
#endif

#ifdef __SSE2__
static size_t small_sse2(const struct brk_known *k, const uint8_t *p, size_t len, size_t *pos,
			 size_t from, brk_known_hit_fn *cb, void *ctx, int *stop)
{
	const __m128i fold = _mm_set1_epi8(0x20);
	const struct ksmall *sm = &k->sm;
	const unsigned np = sm->n[0], nd = sm->n[1];
	__m128i f0[SMALL_ALL], f7[SMALL_ALL], d0[SMALL_ALL], d6[SMALL_ALL];
	size_t i = *pos, hits = 0;
	unsigned j;

	for (j = 0; j < np; j++) {
		f0[j] = _mm_set1_epi8((char)sm->key[0][j]);
		f7[j] = _mm_set1_epi8((char)(sm->key[0][j] >> 56));
	}
	for (j = 0; j < nd; j++) {
		d0[j] = _mm_set1_epi8((char)sm->key[1][j]);
		d6[j] = _mm_set1_epi8((char)(sm->key[1][j] >> 48));
	}
	for (; i + 16 + 8 <= len; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 7));
		__m128i e = _mm_setzero_si128();

		if (nd) {
			__m128i a1 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
			__m128i b6 = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 6));
			__m128i x0 = _mm_xor_si128(a, a1), x6 = _mm_xor_si128(b6, b);

			for (j = 0; j < nd; j++)
				e = _mm_or_si128(e, _mm_and_si128(_mm_cmpeq_epi8(x0, d0[j]),
								  _mm_cmpeq_epi8(x6, d6[j])));
		}
		a = _mm_or_si128(a, fold);
		b = _mm_or_si128(b, fold);
		for (j = 0; j < np; j++)
			e = _mm_or_si128(e, _mm_and_si128(_mm_cmpeq_epi8(a, f0[j]), _mm_cmpeq_epi8(b, f7[j])));
		uint32_t m = (uint32_t)_mm_movemask_epi8(e);

		if (__builtin_expect(m != 0, 0) && small_mask(k, p, len, i, m, from, cb, ctx, stop, &hits))
			break;
	}
	*pos = i;
	return hits;
}
#endif

static size_t small_scan(const struct brk_known *k, const uint8_t *p, size_t len, size_t start,
			 size_t from, brk_known_hit_fn *cb, void *ctx, int *stop)
{
	size_t i = start, hits = 0;

#ifdef __x86_64__
	if (brk_scan_avx2())
		hits = small_avx2(k, p, len, &i, from, cb, ctx, stop);
#endif
#ifdef __SSE2__
	if (!*stop && brk_scan_dec_simd)
		hits += small_sse2(k, p, len, &i, from, cb, ctx, stop);
#endif
	for (; !*stop && i + 8 <= len; i++)
		hits += small_at(k, p, len, i, from, cb, ctx, stop);
	return hits;
}

/* The hot loop: one load, two filter tests per sampled position. Inlined
 * per constant step, the filter and its shift in registers. */
static inline __attribute__((always_inline)) size_t
scan_index(const struct brk_known *k, const struct kindex *x, const size_t step,
	   const uint8_t *p, size_t len, size_t start, size_t from,
	   brk_known_hit_fn *cb, void *ctx, int *stop)
{
	const uint64_t *filter = x->filter;
	size_t i = start, hits = 0;

	if (!x->nent)
		return 0;
	if (x->small && brk_known_small)
		return 0;       /* small_scan() */
#ifdef __x86_64__
	if (brk_scan_avx2()) {
		hits = step == 8 ? scan8_avx2(k, x, p, len, &i, from, cb, ctx, stop)
		       : step == 4 ? scan4_avx2(k, x, p, len, &i, from, cb, ctx, stop)
		       : scan1_avx2(k, x, p, len, &i, from, cb, ctx, stop);
		if (*stop)
			return hits;
	}
#endif
	for (; i + 8 <= len; i += step) {
		uint64_t w, d;

		memcpy(&w, p + i, 8);
		d = (w ^ (w >> 8)) & MASK56;
		w |= FOLD;      /* after d: plain keys are case-folded */
		if (__builtin_expect(filter_has(filter, khash(w, 0), x->fbits), 0)) {
			hits += probe(k, x, p, len, i, w, 0, 0, from, cb, ctx, stop);
			if (*stop)
				break;
		}
		if (__builtin_expect(filter_has(filter, khash(d, 1), x->fbits), 0)) {
			hits += probe(k, x, p, len, i, d, 1, 0, from, cb, ctx, stop);
			if (*stop)
				break;
		}
	}
	return hits;
}

/* ---- quads: strided values and repeating-key XOR --------------------- */

/* p[0, s * (n - 1) + 1) at stride s is pat[0,n), letters' case aside */
static int stride_eq(const uint8_t *p, const uint8_t *pat, size_t n, unsigned s, int *exact)
{
	size_t i;

	*exact = 1;
	for (i = 0; i < n; i++) {
		uint8_t a = p[s * i], b = pat[i];

		if (a == b)
			continue;
		if ((a | 0x20) != (b | 0x20) || (a | 0x20) < 'a' || (a | 0x20) > 'z')
			return 0;
		*exact = 0;
	}
	return 1;
}

static int xor_eq(const uint8_t *p, const uint8_t *d, size_t n, size_t l)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((uint8_t)(p[i] ^ p[i + l]) != d[i])
			return 0;
	return 1;
}

/* Candidates of ixq of kind whose quad equals q at p + i (the sampled
 * position: a strided key's first byte, an XOR difference's). */
static size_t probe_quad(const struct brk_known *k, const struct kindex *x, const uint8_t *p,
			 size_t len, size_t i, uint32_t q, unsigned kind, size_t from,
			 brk_known_hit_fn *cb, void *ctx, int *stop)
{
	uint64_t key = (uint64_t)kind << 32 | q;
	size_t b = (qhash(q, kind) >> (32 - x->fbits)) & (x->nbucket - 1), hits = 0;
	int32_t j;

	for (j = x->bucket[b]; j >= 0; j = x->ent[j].next) {
		const struct kpat *t;
		const char *xf;
		size_t back, s, span;

		if (x->ent[j].key != key)
			continue;
		t = &k->pat[x->ent[j].pat];
		if (t->stride) {
			int exact;

			back = (size_t)t->stride * x->ent[j].off;
			span = (size_t)t->stride * (t->len - 1) + 1;
			if (back > i || span > len - (s = i - back) || s + span <= from ||
			    !stride_eq(p + s, t->p, t->len, t->stride, &exact))
				continue;
			xf = k->names[exact ? t->xfs : t->xfc];
		} else {
			back = x->ent[j].off;
			span = (size_t)t->len + t->xl;
			/* head: the value's own first l bytes (a key of zeros:
			 * the raw pattern reports the value itself) */
			if (back > i || span > len - (s = i - back) || s + span <= from ||
			    !memcmp(p + s, t->head, t->xl) || !xor_eq(p + s, t->p, t->len, t->xl))
				continue;
			xf = t->xf;
		}
		hits++;
		if (cb(ctx, t->which, s, s + span, xf)) {
			*stop = 1;
			break;
		}
	}
	return hits;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * The strided layout of one AVX2 step at stride s: the raw offsets of the
 * four keys of the low lane (-1: none), the high lane's the same plus
 * delta, the step. Every phase of the stride is keyed every qsstep
 * substream positions (qsstep * s bytes), as the scalar loop does; a
 * lane's keys lie in 32 bytes from its base.
 */
struct qlayout {
	int8_t o[4];
	uint8_t delta, step, lanes;       /* lanes: mask of the 8 keys used */
	uint8_t y;                        /* the second 16 bytes of a lane: at y (0: 16) */
};

static const struct qlayout qlay[2][QSTRIDE_MAX + 1] = {
	{       /* QSTEP */
		[2] = { { 0, 1, 16, 17 }, 32, 64, 0xff },
		[3] = { { 0, 1, 2, -1 }, 24, 48, 0x77 },
		[4] = { { 0, 1, 2, 3 }, 32, 64, 0xff },
		[5] = { { 0, 1, 2, 3 }, 4, 40, 0x1f },   /* high lane: phase 4 (0..2 again) */
	},
	{       /* QSTEP_LONG */
		/* a phase's keys 32 bytes apart: two of them per 16 bytes at
		 * 0 and at 32 (y), 8 lanes (4 when it was 16 bytes on) */
		[2] = { { 0, 1, 32, 33 }, 64, 128, 0xff, 32 },
		[3] = { { 0, 1, 2, -1 }, 48, 96, 0x77 },
		[4] = { { 0, 1, 2, 3 }, 64, 128, 0xff },
		[5] = { { 0, 1, 2, 3 }, 4, 80, 0x1f },
	},
};

#ifdef __x86_64__
/*
 * scan_qstride() AVX2: the 8 keys of qlay[s] from two pairs of 16-byte
 * loads (p + i, p + i + delta and 16 bytes on), one shuffle of each and
 * their OR; hashed 8 lanes at once (qhash()), filter words by gather,
 * both bits tested; a set lane is probed as the scalar loop would.
 */
static inline __attribute__((always_inline, target("avx2"))) size_t
qstride_avx2(const struct brk_known *k, const struct kindex *x, const unsigned s, const int lng,
	     const uint8_t *p, size_t len, size_t *pos, size_t from, brk_known_hit_fn *cb, void *ctx,
	     int *stop)
{
	const struct qlayout *ly = &qlay[lng][s];
	/* the second 16 bytes of a lane hold key bytes (a constant per s) */
	const int needy = ly->o[3] >= 0 ? ly->o[3] + 3 * (int)s >= 16 : ly->o[2] >= 0 ? ly->o[2] + 3 * (int)s >= 16
			  : ly->o[1] + 3 * (int)s >= 16;
	const unsigned y = ly->y ? ly->y : 16;
	const unsigned kind = QK_STRIDE(s), fb = x->fbits;
	const __m256i salt = _mm256_set1_epi32((int)QSALT(kind)), mul = _mm256_set1_epi32((int)QMUL);
	const __m256i fold = _mm256_set1_epi32(0x20202020), m31 = _mm256_set1_epi32(31);
	const __m128i shw = _mm_cvtsi32_si128(37 - (int)fb), sh1 = _mm_cvtsi32_si128(32 - (int)fb);
	const __m128i sh2 = _mm_cvtsi32_si128(27 - (int)fb);
	const int *filter = (const int *)(const void *)x->filter;
	uint8_t mx[16], my[16];
	size_t i = *pos, hits = 0;
	unsigned a, j;
	__m256i sx, sy;

	for (a = 0; a < 4; a++)
		for (j = 0; j < 4; j++) {
			int off = ly->o[a] < 0 ? -1 : ly->o[a] + (int)(s * j);

			mx[4 * a + j] = off >= 0 && off < 16 ? (uint8_t)off : 0x80;
			my[4 * a + j] = off >= (int)y ? (uint8_t)(off - (int)y) : 0x80;
		}
	sx = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)mx));
	sy = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)my));
	for (; i + ly->delta + y + 16 <= len; i += ly->step) {
		const uint8_t *b = p + i;
		__m256i vx = _mm256_loadu2_m128i((const __m128i *)(const void *)(b + ly->delta),
						 (const __m128i *)(const void *)b);
		__m256i w = _mm256_or_si256(_mm256_shuffle_epi8(vx, sx), fold);
		__m256i h, g;
		unsigned m, r;

		if (needy) {
			__m256i vy = _mm256_loadu2_m128i((const __m128i *)(const void *)(b + ly->delta + y),
							 (const __m128i *)(const void *)(b + y));

			w = _mm256_or_si256(w, _mm256_shuffle_epi8(vy, sy));
		}
		h = _mm256_mullo_epi32(_mm256_xor_si256(w, salt), mul);
		g = _mm256_i32gather_epi32(filter, _mm256_srl_epi32(h, shw), 4);
		g = _mm256_and_si256(_mm256_srlv_epi32(g, _mm256_and_si256(_mm256_srl_epi32(h, sh1), m31)),
				     _mm256_srlv_epi32(g, _mm256_and_si256(_mm256_srl_epi32(h, sh2), m31)));
		m = ly->lanes & (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32(g, 31)));
		if (__builtin_expect(!m, 1))
			continue;
		for (r = 0; r < 8; r++) {
			uint32_t key[8];

			if (!((m >> r) & 1))
				continue;
			_mm256_storeu_si256((__m256i *)(void *)key, w);
			hits += probe_quad(k, x, p, len, i + (r >= 4 ? ly->delta : 0) + (size_t)ly->o[r % 4],
					   key[r], kind, from, cb, ctx, stop);
			if (*stop) {
				*pos = i;
				return hits;
			}
		}
	}
	*pos = i;
	return hits;
}

/* qstride_avx2() per stride and step, each layout a constant */
#define QSTRIDE_AVX2(s, lng)                                                                       \
	__attribute__((target("avx2"))) static size_t                                              \
	qstride##s##_##lng(const struct brk_known *k, const struct kindex *x, const uint8_t *p,    \
			   size_t len, size_t *pos, size_t from, brk_known_hit_fn *cb, void *ctx,   \
			   int *stop)                                                               \
	{                                                                                           \
		return qstride_avx2(k, x, s, lng, p, len, pos, from, cb, ctx, stop);                \
	}
QSTRIDE_AVX2(2, 0)
QSTRIDE_AVX2(3, 0)
QSTRIDE_AVX2(4, 0)
QSTRIDE_AVX2(5, 0)
QSTRIDE_AVX2(2, 1)
QSTRIDE_AVX2(3, 1)
QSTRIDE_AVX2(4, 1)
QSTRIDE_AVX2(5, 1)

typedef size_t qstride_fn(const struct brk_known *, const struct kindex *, const uint8_t *, size_t,
			  size_t *, size_t, brk_known_hit_fn *, void *, int *);
static qstride_fn *const qstride_tab[2][QSTRIDE_MAX + 1] = {
	{ [2] = qstride2_0, [3] = qstride3_0, [4] = qstride4_0, [5] = qstride5_0 },
	{ [2] = qstride2_1, [3] = qstride3_1, [4] = qstride4_1, [5] = qstride5_1 },
};
#endif

/* One stride s over the ASCII run p[start, len): per phase one key
 * every qsstep * s bytes (the keys at offsets start + j * qsstep * s + r,
 * r < s). */
static size_t scan_qstride(const struct brk_known *k, const struct kindex *x, unsigned s,
			   const uint8_t *p, size_t len, size_t start, size_t from,
			   brk_known_hit_fn *cb, void *ctx, int *stop)
{
	const uint32_t *filter = (const uint32_t *)(const void *)x->filter;
	size_t i = start, hits = 0;

#ifdef __x86_64__
	if (brk_scan_avx2()) {
		hits = qstride_tab[k->qsstep == QSTEP_LONG][s](k, x, p, len, &i, from, cb, ctx, stop);
		if (*stop)
			return hits;
	}
#endif
	for (; i + 3 * s < len; i += k->qsstep * s) {
		unsigned r;

		for (r = 0; r < s && i + r + 3 * s < len; r++) {
			const uint8_t *b = p + i + r;
			uint32_t q = ((uint32_t)b[0] | (uint32_t)b[s] << 8 | (uint32_t)b[2 * s] << 16 |
				      (uint32_t)b[3 * s] << 24) | (uint32_t)FOLD;

			if (__builtin_expect(qfilter_has(filter, qhash(q, QK_STRIDE(s)), x->fbits), 0)) {
				hits += probe_quad(k, x, p, len, i + r, q, QK_STRIDE(s), from, cb, ctx, stop);
				if (*stop)
					return hits;
			}
		}
	}
	return hits;
}

/*
 * Strided values lie in runs of bytes below 0x80 of QRUN bytes and more
 * (the value and its junk): such a run holds an 8-byte word at an offset
 * that is a multiple of 8, which one AND finds; binary bytes cost that
 * search only (1 word in 256 of random bytes passes it).
 */
#define ASCII8 0x8080808080808080ULL

#ifdef __x86_64__
/* the first i >= from, multiple of 8, with p[i, i + 8) below 0x80 */
__attribute__((target("avx2"))) static size_t ascii_word_avx2(const uint8_t *p, size_t i, size_t len)
{
	const __m256i hi = _mm256_set1_epi64x((long long)ASCII8);

	for (; i + 32 <= len; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		unsigned m = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(
			_mm256_cmpeq_epi64(_mm256_and_si256(v, hi), _mm256_setzero_si256())));

		if (m)
			return i + 8 * (size_t)__builtin_ctz(m);
	}
	return i;
}

/* the first i >= from with p[i] >= 0x80 */
__attribute__((target("avx2"))) static size_t ascii_end_avx2(const uint8_t *p, size_t i, size_t len)
{
	/* 64 bytes a step while they are all ASCII (text: the whole buffer) */
	for (; i + 64 <= len; i += 64)
		if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(p + i)),
				_mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32)))))
			break;
	for (; i + 32 <= len; i += 32) {
		unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + i)));

		if (m)
			return i + (size_t)__builtin_ctz(m);
	}
	return i;
}
#endif

static size_t ascii_word(const uint8_t *p, size_t i, size_t len)
{
#ifdef __x86_64__
	if (brk_scan_avx2())
		i = ascii_word_avx2(p, i, len);
#endif
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		if (!(w & ASCII8))
			return i;
	}
	return len;
}

static size_t ascii_end(const uint8_t *p, size_t i, size_t len)
{
#ifdef __x86_64__
	if (brk_scan_avx2())
		i = ascii_end_avx2(p, i, len);
#endif
	while (i < len && p[i] < 0x80)
		i++;
	return i;
}

static size_t scan_strided(const struct brk_known *k, const uint8_t *p, size_t len, size_t start,
			   size_t from, brk_known_hit_fn *cb, void *ctx, int *stop)
{
	size_t a = start, w, e, hits = 0;
	unsigned s;

	while (!*stop && (w = ascii_word(p, (a + 7) & ~(size_t)7, len)) < len) {
		size_t b = w;

		while (b > a && p[b - 1] < 0x80)   /* under 8: the word before had one */
			b--;
		e = ascii_end(p, w + 8, len);
		for (s = 2; e - b >= QRUN && s <= QSTRIDE_MAX && !*stop; s++)
			if ((k->qkinds >> QK_STRIDE(s)) & 1)
				hits += scan_qstride(k, &k->ixq, s, p, e, b, from, cb, ctx, stop);
		a = e;
	}
	return hits;
}

#ifdef __x86_64__
/*
 * qxor_avx2()'s constants, in locals: the loop calls out (probe_quad(),
 * the callback) only on a filter pass, so with them in k the compiler
 * reloads k's fields and rebuilds the shift counts for every vector (they
 * were a third of the loop's instructions).
 */
struct qconst {
	__m128i shw, sh1, sh2;            /* filter word, first and second bit */
	__m256i m31, mul;
	const int *filter;
	unsigned nql;
	uint8_t l[XOR_MAXL], step[XOR_MAXL], g8[XOR_MAXL];
	__m256i salt[XOR_MAXL];           /* QSALT(QK_XOR(l)) */
};

__attribute__((target("avx2"))) static void qconst_init(const struct brk_known *k, const struct kindex *x,
							struct qconst *c)
{
	unsigned j;

	c->shw = _mm_cvtsi32_si128(37 - (int)x->fbits);
	c->sh1 = _mm_cvtsi32_si128(32 - (int)x->fbits);
	c->sh2 = _mm_cvtsi32_si128(27 - (int)x->fbits);
	c->m31 = _mm256_set1_epi32(31);
	c->mul = _mm256_set1_epi32((int)QMUL);
	c->filter = (const int *)(const void *)x->filter;
	c->nql = k->nql;
	for (j = 0; j < k->nql; j++) {
		unsigned l = k->ql[j];

		c->l[j] = (uint8_t)l;
		c->step[j] = k->qstep[l];
		c->g8[j] = (uint8_t)((k->qgate8 >> l) & 1);
		c->salt[j] = _mm256_set1_epi32((int)QSALT(QK_XOR(l)));
	}
}

/* The loop constants of qpass_avx2(), in registers */
struct qreg {
	__m256i mul, m31, salt;
	__m128i shw, sh1, sh2;
	const int *filter;
};

/* The lanes of 8 quads w whose hash (qhash(), salt its kind's) has both
 * filter bits set. */
static inline __attribute__((always_inline, target("avx2"))) unsigned
qpass_avx2(__m256i w, struct qreg r)
{
	__m256i h = _mm256_mullo_epi32(_mm256_xor_si256(w, r.salt), r.mul);
	__m256i g = _mm256_i32gather_epi32(r.filter, _mm256_srl_epi32(h, r.shw), 4);

	g = _mm256_and_si256(_mm256_srlv_epi32(g, _mm256_and_si256(_mm256_srl_epi32(h, r.sh1), r.m31)),
			     _mm256_srlv_epi32(g, _mm256_and_si256(_mm256_srl_epi32(h, r.sh2), r.m31)));
	return (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_slli_epi32(g, 31)));
}

/* The lanes m that passed: each quad p[base + pos[r]] ^ p[... + l] probed
 * (out of line: the hot loop keeps its registers). */
static __attribute__((noinline)) size_t
qhits(const struct brk_known *k, const struct kindex *x, unsigned m, unsigned l, const uint8_t *p,
      size_t len, size_t base, const uint8_t *pos, size_t from, brk_known_hit_fn *cb, void *ctx,
      int *stop)
{
	size_t hits = 0;
	unsigned r;

	for (r = 0; r < 8 && !*stop; r++) {
		size_t at = base + pos[r];

		if ((m >> r) & 1)
			hits += probe_quad(k, x, p, len, at, load32(p + at) ^ load32(p + at + l), QK_XOR(l), from,
					   cb, ctx, stop);
	}
	return hits;
}

/* lane r of a step-4 vector (32 bytes), of a step-8 one (_mm256_shuffle_ps(w0, w1,
 * 2,0,2,0): the even quads of 64 bytes, lane by lane), of a step-16 one */
static const uint8_t qpos4[8] = { 0, 4, 8, 12, 16, 20, 24, 28 };
static const uint8_t qpos8[8] = { 0, 8, 32, 40, 16, 24, 48, 56 };
static const uint8_t qpos16[8] = { 0, 16, 32, 48, 64, 80, 96, 112 };

/* Lanes whose quad (gate8: and the next one too) is all below 0x80. */
static inline __attribute__((always_inline, target("avx2"))) unsigned
qascii4(__m256i w, int gate8)
{
	unsigned ok = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(
		_mm256_and_si256(w, _mm256_set1_epi32((int)0x80808080u)), _mm256_setzero_si256())));

	return gate8 ? ok & (ok >> 1 | 0x80) : ok;   /* the last lane: its 4 */
}

/* 8 difference quads of one l, step 8: the even quads of w0, w1 (64
 * bytes, _mm256_shuffle_ps(w0, w1, 2,0,2,0), lane r at qpos8[r]); text:
 * all 72 bytes are ASCII (no lane dropped), else lanes whose differences
 * are not below 0x80 (gate8: 8 of them, the quad and the next) drop. */
static inline __attribute__((always_inline, target("avx2"))) unsigned
qlanes8_avx2(__m256i w0, __m256i w1, int text, int gate8, struct qreg r)
{
	const __m256i hi = _mm256_set1_epi32((int)0x80808080u);
	__m256i w = _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(w0), _mm256_castsi256_ps(w1),
							  _MM_SHUFFLE(2, 0, 2, 0)));
	unsigned ok = 0xff;

	if (!text && gate8) {
		__m256i z0 = _mm256_cmpeq_epi64(_mm256_and_si256(w0, hi), _mm256_setzero_si256());
		__m256i z1 = _mm256_cmpeq_epi64(_mm256_and_si256(w1, hi), _mm256_setzero_si256());

		ok = (unsigned)_mm256_movemask_ps(_mm256_shuffle_ps(_mm256_castsi256_ps(z0),
			_mm256_castsi256_ps(z1), _MM_SHUFFLE(2, 0, 2, 0)));
	} else if (!text) {
		ok = qascii4(w, 0);
	}
	return ok ? ok & qpass_avx2(w, r) : 0;
}

/* Is p[i, i + n + XOR_MAXL) all below 0x80 (the bytes of a block and
 * those its differences reach)? n: a multiple of 32. */
static inline __attribute__((always_inline, target("avx2"))) int
qtext_avx2(const uint8_t *p, size_t i, size_t n)
{
	__m256i o = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + n + XOR_MAXL - 32));
	size_t b;

	for (b = 0; b < n; b += 32)
		o = _mm256_or_si256(o, _mm256_loadu_si256((const __m256i *)(const void *)(p + i + b)));
	return !_mm256_movemask_epi8(o);
}

/*
 * One l (c->l[j]) over the nb 128-byte blocks from base (bit b of tm:
 * block b is text; alltext: all are, a constant so that the text loop
 * has no branch), its quads every step bytes (a constant per caller):
 * the loop's constants pinned in registers (the asm: GCC otherwise
 * rebuilds them per vector), the rare lanes that pass probed out of line.
 */
static inline __attribute__((always_inline, target("avx2"))) size_t
qxor_run(const struct brk_known *k, const struct kindex *x, const struct qconst *c, unsigned j,
	 const unsigned step, const int alltext, const uint8_t *p, size_t len, size_t base, size_t nb,
	 uint64_t tm, size_t from, brk_known_hit_fn *cb, void *ctx, int *stop)
{
	const __m256i idx = _mm256_setr_epi32(0, 16, 32, 48, 64, 80, 96, 112);
	const unsigned l = c->l[j];
	const int g8 = c->g8[j];
	struct qreg r = { c->mul, c->m31, c->salt[j], c->shw, c->sh1, c->sh2, c->filter };
	size_t b, hits = 0;

	__asm__("" : "+x"(r.mul), "+x"(r.m31), "+x"(r.salt));
	for (b = 0; b < nb; b++) {
		const size_t i = base + 128 * b;
		const int text = alltext || ((tm >> b) & 1);
		const __m256i *v = (const __m256i *)(const void *)(p + i);
		const __m256i *u = (const __m256i *)(const void *)(p + i + l);
		unsigned mh[4] = { 0, 0, 0, 0 }, h, ok;

		if (step == QXOR_STEP_16) {
			__m256i w = _mm256_xor_si256(
				_mm256_i32gather_epi32((const int *)(const void *)(p + i), idx, 1),
				_mm256_i32gather_epi32((const int *)(const void *)(p + i + l), idx, 1));

			ok = text ? 0xff : qascii4(w, 0);
			if (__builtin_expect(!ok || !(mh[0] = ok & qpass_avx2(w, r)), 1))
				continue;
			hits += qhits(k, x, mh[0], l, p, len, i, qpos16, from, cb, ctx, stop);
		} else if (step == QXOR_STEP_LONG) {
			mh[0] = qlanes8_avx2(_mm256_xor_si256(_mm256_loadu_si256(v), _mm256_loadu_si256(u)),
					     _mm256_xor_si256(_mm256_loadu_si256(v + 1), _mm256_loadu_si256(u + 1)),
					     text, g8, r);
			mh[1] = qlanes8_avx2(_mm256_xor_si256(_mm256_loadu_si256(v + 2), _mm256_loadu_si256(u + 2)),
					     _mm256_xor_si256(_mm256_loadu_si256(v + 3), _mm256_loadu_si256(u + 3)),
					     text, g8, r);
			if (__builtin_expect(!(mh[0] | mh[1]), 1))
				continue;
			if (mh[0])
				hits += qhits(k, x, mh[0], l, p, len, i, qpos8, from, cb, ctx, stop);
			if (mh[1] && !*stop)
				hits += qhits(k, x, mh[1], l, p, len, i + 64, qpos8, from, cb, ctx, stop);
		} else {
			unsigned any = 0;

			for (h = 0; h < 4; h++) {
				__m256i w = _mm256_xor_si256(_mm256_loadu_si256(v + h), _mm256_loadu_si256(u + h));

				ok = text ? 0xff : qascii4(w, g8);
				mh[h] = ok ? ok & qpass_avx2(w, r) : 0;
				any |= mh[h];
			}
			if (__builtin_expect(!any, 1))
				continue;
			for (h = 0; h < 4 && !*stop; h++)
				if (mh[h])
					hits += qhits(k, x, mh[h], l, p, len, i + 32 * h, qpos4, from, cb, ctx, stop);
		}
		if (*stop)
			break;
	}
	return hits;
}

#define QSEG 64                           /* blocks of 128 bytes a segment */

/*
 * scan_qxor() AVX2, by segments of QSEG 128-byte blocks: which blocks
 * are text (their 136 bytes all ASCII: no difference can have a top bit,
 * so no lane is dropped) is found once, then each l runs over the
 * segment on its own (qblock_avx2(): its step and gate fixed for the
 * loop): the differences of p[i, ...) and p[i + l, ...), quads every 4,
 * 8 or 16 bytes, each vector hashed, its filter words gathered and both
 * bits tested (qpass_avx2()); the rare lanes that pass are probed out of
 * line. Hits come l by l, not in position order (as the index passes
 * before this one).
 */
__attribute__((target("avx2"))) static size_t
qxor_avx2(const struct brk_known *k, const struct kindex *x, const uint8_t *p, size_t len,
	  size_t *pos, size_t from, brk_known_hit_fn *cb, void *ctx, int *stop)
{
	const size_t i0 = *pos;
	const size_t nblk = len >= i0 + 128 + XOR_MAXL ? (len - i0 - XOR_MAXL) / 128 : 0;
	size_t seg, hits = 0;
	struct qconst c;

	qconst_init(k, x, &c);
	for (seg = 0; seg < nblk; seg += QSEG) {
		const size_t nb = nblk - seg < QSEG ? nblk - seg : QSEG, base = i0 + 128 * seg;
		uint64_t tm = 0;
		unsigned j;
		size_t b;
		int all;

		for (b = 0; b < nb; b++)
			tm |= (uint64_t)qtext_avx2(p, base + 128 * b, 128) << b;
		all = tm == (nb < QSEG ? (1ULL << nb) - 1 : ~0ULL);

#define QRUN_(st, at) qxor_run(k, x, &c, j, st, at, p, len, base, nb, tm, from, cb, ctx, stop)
		for (j = 0; j < c.nql && !*stop; j++)
			hits += c.step[j] == QXOR_STEP_16 ? (all ? QRUN_(QXOR_STEP_16, 1) : QRUN_(QXOR_STEP_16, 0))
				: c.step[j] == QXOR_STEP_LONG ? (all ? QRUN_(QXOR_STEP_LONG, 1) : QRUN_(QXOR_STEP_LONG, 0))
				: all ? QRUN_(QXOR_STEP, 1) : QRUN_(QXOR_STEP, 0);
#undef QRUN_
		if (*stop) {
			*pos = base;
			return hits;
		}
	}
	/* every l done up to the same end; the scalar loop finishes from
	 * there, each l on its own grid from the start */
	*pos = i0 + 128 * nblk;
	return hits;
}
#endif

/* Every l in use: the difference of the 4 bytes at i and at i + l, every
 * qstep[l] bytes from start. */
static size_t scan_qxor(const struct brk_known *k, const struct kindex *x, const uint8_t *p,
			size_t len, size_t start, size_t from, brk_known_hit_fn *cb, void *ctx,
			int *stop)
{
	const uint32_t *filter = (const uint32_t *)(const void *)x->filter;
	size_t i = start, hits = 0;

#ifdef __x86_64__
	if (brk_scan_avx2()) {
		hits = qxor_avx2(k, x, p, len, &i, from, cb, ctx, stop);
		if (*stop)
			return hits;
	}
#endif
	for (; i + 6 <= len; i += QXOR_STEP) {
		uint32_t a = load32(p + i);
		unsigned j;

		for (j = 0; j < k->nql; j++) {
			unsigned l = k->ql[j];
			uint32_t w;

			if (i + l + 4 > len || (i - start) % k->qstep[l])
				continue;
			w = a ^ load32(p + i + l);
			if (!(w & 0x80808080u) &&
			    __builtin_expect(qfilter_has(filter, qhash(w, QK_XOR(l)), x->fbits), 0)) {
				hits += probe_quad(k, x, p, len, i, w, QK_XOR(l), from, cb, ctx, stop);
				if (*stop)
					return hits;
			}
		}
	}
	return hits;
}

size_t brk_known_scan(const struct brk_known *k, const uint8_t *p, size_t len, size_t from,
		      brk_known_hit_fn *cb, void *ctx)
{
	size_t start, hits = 0;
	int stop = 0;

	if (!k || len < BRK_KNOWN_MIN)
		return 0;
	start = from > k->reach ? from - k->reach : 0;
	/* index_step[] = { 8, 4, 1 }, spelled out so each loop has a constant step */
	hits += scan_index(k, &k->ix[0], 8, p, len, start, from, cb, ctx, &stop);
	if (!stop)
		hits += scan_index(k, &k->ix[1], 4, p, len, start, from, cb, ctx, &stop);
	if (!stop)
		hits += scan_index(k, &k->ix[2], 1, p, len, start, from, cb, ctx, &stop);
	if (!stop && k->sm.ixs && brk_known_small)
		hits += small_scan(k, p, len, start, from, cb, ctx, &stop);
	if (!stop && k->ixq.nent)
		hits += scan_strided(k, p, len, from > k->sreach ? from - k->sreach : 0, from, cb, ctx,
				     &stop);
	if (!stop && k->ixq.nent)
		hits += scan_qxor(k, &k->ixq, p, len, start, from, cb, ctx, &stop);
	return hits;
}

unsigned brk_known_small_mask(const struct brk_known *k)
{
	return k ? k->sm.ixs : 0;
}

size_t brk_known_filter_passes(const struct brk_known *k, const uint8_t *p, size_t len)
{
	size_t n = 0, i, j;

	for (j = 0; k && j < NINDEX; j++) {
		const struct kindex *x = &k->ix[j];

		for (i = 0; x->nent && i + 8 <= len; i += index_step[j]) {
			uint64_t w, d;

			memcpy(&w, p + i, 8);
			d = (w ^ (w >> 8)) & MASK56;
			n += (size_t)filter_has(x->filter, khash(w | FOLD, 0), x->fbits);
			n += (size_t)filter_has(x->filter, khash(d, 1), x->fbits);
		}
	}
	return n;
}

/* ---- recognizing ------------------------------------------------------- */

int brk_known_recognize(const uint8_t *v, size_t n)
{
	return brk_scan_det_specific_at(v, n, 0, n, 1, BRK_SCAN_CHK_YES);
}
