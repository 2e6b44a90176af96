/* SPDX-License-Identifier: MIT */
/*
 * swap_rl.h - the border half of the secretless jail (issue 15, swap.h):
 * in the plaintext the relay forwards, a placeholder going to its entry's
 * home becomes the real value (swap_out.c), a placeholder going anywhere
 * else is proof of exfiltration, and a real value coming back becomes its
 * placeholder before the jail reads it (swap_in.c).
 *
 * Forms undone (each the same length for placeholder and real value, by
 * construction of the placeholder: only [A-Za-z0-9] bytes differ):
 *   raw bytes; percent-encoded (%XX of the other bytes, upper, lower or mixed hex);
 *   JSON-escaped ("\/", "\"", "\\", "\u00XX"); outbound also inside an HTTP
 *   Basic credential ("Basic " + base64 of "user:pass": decoded, swapped,
 *   re-encoded with OpenSSL's EVP_EncodeBlock).
 * HTTP/2 header blocks are decoded and re-encoded by swap_h2.c (HPACK,
 * Huffman too). Not undone here (so a placeholder there goes home
 * unswapped, and the engine's placeholder entries see it elsewhere): gzip,
 * base64 other than Basic, a value split over more than one hold.
 *
 * All functions work in place on one buffer; callers: relay_scan.c (plain
 * TCP, the CA path's plaintext, the key path's records before resealing).
 */
#ifndef DLP_BROKER_RELAY_SWAP_RL_H
#define DLP_BROKER_RELAY_SWAP_RL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/swap.h"

/* Longest value handled; longer entries are neither swapped nor held. */
#define RL_SWAP_VMAX 4096
/* A tail shorter than this is never held back (see rl_swap_tail). */
#define RL_SWAP_HOLD_MIN 4
/* Bytes kept of what already went on, so a value split over pieces is
 * found where it ends (its start is the same in placeholder and real
 * value up to the first alphanumeric byte that differs, e.g. "ghp_"). */
#define RL_SWAP_HIST 1024
/* Held bytes go on unswapped after this long without more bytes. */
#define RL_SWAP_HOLD_MS 500

/* Which entries one connection is bound to: the entry's home names it. */
struct rl_swap_bind {
	uint64_t bit[(BRK_SECRETS_MAX + 63) / 64];     /* swapped here */
	uint64_t home[(BRK_SECRETS_MAX + 63) / 64];    /* its home, but it never swaps:
							* passes as it is (fails to
							* authenticate; the engine agrees) */
	unsigned n;
};

/*
 * Bind host (a name the broker resolved for this connection's address, for
 * TLS also the verified server name; NULL: none) to the entries whose home
 * it matches and which swap (swaps && replaced). Returns b->n (swapping
 * entries bound).
 */
unsigned rl_swap_bind(const struct brk_swaps *sw, const char *host, struct rl_swap_bind *b);

/* A placeholder found where it may not go. */
struct rl_swap_bad {
	int entry;              /* index into sw->v, -1: none */
	const char *form;       /* "raw", "percent", "json", "basic-auth" */
	int left;               /* a bound entry's placeholder left unswapped in
				 * a RL_SWAP_LEAVE place (not a credential
				 * header), -1: none */
};

/* Places in an outbound stream (a mask byte per byte of p, or NULL: all
 * RL_SWAP_HERE). */
enum {
	RL_SWAP_NEVER = 0,      /* an HTTP/1.1 request body, or framing the relay
				 * lost: a placeholder there is refused even at
				 * its home (swapping it could publish the value,
				 * e.g. a gist or an issue comment) */
	RL_SWAP_LEAVE = 1,      /* HTTP/2, a header that is no credential, the
				 * request line's path and query: not rewritten;
				 * goes on unswapped (fails to authenticate) */
	RL_SWAP_HERE = 2,       /* a credential header's value (Authorization,
				 * Cookie, token headers: swap_h1.c), an
				 * absolute URL's userinfo, or a stream that is
				 * not HTTP at all */
};

/*
 * The places of an outbound HTTP/1.1 stream (swap_h1.c): feed every byte
 * in order through one zeroed struct per connection direction; the result
 * is that byte's RL_SWAP_* place.
 */
#define RL_H1_HEAD_MAX 16384
struct rl_h1 {
	int st;
	bool seen;              /* a request head was complete before */
	bool chunked, tunnel;
	uint64_t left, csize;
	unsigned cdig, line;
	bool rline;             /* in the request line */
	int target;             /* its target: 0 before "://", 1 authority, 2 past */
	bool inval;             /* in a header line's value */
	uint8_t vplace;         /* the place of that value's bytes */
	size_t lstart;          /* where the current head line starts */
	size_t n;
	char head[RL_H1_HEAD_MAX];
};
uint8_t rl_h1_byte(struct rl_h1 *h, uint8_t c);
/* Is name[0..len) a header whose value is a credential (swap_h1.c)? */
bool rl_cred_header(const char *name, size_t len);
/*
 * An Accept-Encoding value v[0..n), in place: the codings the engine
 * cannot decode (br, zstd, compress) become blanks (an empty list
 * element, RFC 9110 5.6.1), so a home never compresses a response the
 * border could not look into (a real value inside would reach the jail).
 * Same length. Returns how many were blanked.
 */
size_t rl_swap_accept_enc(uint8_t *v, size_t n);

/*
 * HTTP/2 (swap_h2.c): one per connection direction, fed every byte from
 * the connection preface on (in: the server's first frame). In place in
 * p[0..*n): out, a bound placeholder in a credential header of a HEADERS
 * frame wholly inside p becomes the real value; in, a real value of a
 * replaced entry in any response header becomes its placeholder (HPACK
 * string re-encoded, frame padding or length adjusted); *n grows by at
 * most room. Returns swaps (>= 0), or in: -EACCES for a real value it
 * could not replace (a block split over calls, no room). *left (out): a
 * bound entry's placeholder that stays (another header: its index; a
 * split block or no room: -2), else -1.
 */
struct rl_h2;
int rl_h2_new(struct rl_h2 **out, bool in);
void rl_h2_free(struct rl_h2 *h);
/* Out of step with the peer's HPACK encoder: it rewrites nothing more. */
bool rl_h2_lost(const struct rl_h2 *h);
int rl_h2_swap(struct rl_h2 *h, const struct brk_swaps *sw, const struct rl_swap_bind *b,
	       uint8_t *p, size_t *n, size_t room, int *left);

/*
 * Outbound: every placeholder of a bound entry in p[0..n) becomes its real
 * value where mask allows; returns how many were swapped (>= 0). A
 * placeholder of any other replaced entry, or in a RL_SWAP_NEVER place:
 * -EACCES, *bad says which (the caller drops the bytes).
 */
int rl_swap_out(const struct brk_swaps *sw, const struct rl_swap_bind *b, uint8_t *p,
		size_t n, const uint8_t *mask, struct rl_swap_bad *bad);

/* Inbound: every real value of a replaced entry becomes its placeholder.
 * Returns how many. */
int rl_swap_in(const struct brk_swaps *sw, uint8_t *p, size_t n);

/*
 * How many bytes at the end of p[0..n) to hold back until more arrive: the
 * longest tail (>= RL_SWAP_HOLD_MIN bytes) that is a proper prefix of a
 * form of a value (placeholder when out, real value when in), or, out, an
 * HTTP Basic credential whose line has not ended. 0: nothing to hold.
 */
size_t rl_swap_tail(const struct brk_swaps *sw, bool out, const uint8_t *p, size_t n);

/*
 * Form f (RL_SWAP_RAW .. RL_SWAP_FORMS-1) of v[0..n) into out[0..cap):
 * its length; 0 when form f > raw is the same as raw, or does not fit.
 * Shared by swap_out.c and swap_in.c.
 */
enum { RL_SWAP_RAW = 0, RL_SWAP_PCT_UP, RL_SWAP_PCT_LOW, RL_SWAP_JSON, RL_SWAP_FORMS };
size_t rl_swap_form(int f, const uint8_t *v, size_t n, uint8_t *out, size_t cap);
/* The first occurrence of form a[0..al) (of form f) in p[0..n), or NULL:
 * exact, except that a percent form's hex letters match in either case,
 * mixed within one value too (%2f%2F). */
uint8_t *rl_swap_find(int f, const uint8_t *a, size_t al, uint8_t *p, size_t n);
/* Write form b[0..bl) over a match q of the same form: a percent form's
 * hex digits stay as the writer sent them (only alphanumerics differ). */
void rl_swap_put(int f, uint8_t *q, const uint8_t *b, size_t bl);
extern const char *const rl_swap_form_name[RL_SWAP_FORMS];

/*
 * The entry whose placeholder is in the host name (case-insensitive, raw:
 * DNS keeps neither case nor any encoding the border undoes), or -1. For
 * the DNS gate (dnsgate.c): a placeholder in a name is refused even under
 * an allow line, rule "placeholder".
 */
int rl_swap_in_name(const struct brk_swaps *sw, const char *name);

/* true if the table has anything this direction would act on. */
bool rl_swap_active(const struct brk_swaps *sw);

#endif /* DLP_BROKER_RELAY_SWAP_RL_H */
