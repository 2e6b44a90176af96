/* SPDX-License-Identifier: MIT */
/*
 * tls_rec.h - TLS record framing and handshake-message tracking for the
 * relay's key path (no cryptography here: tls_dec.c decrypts). Pure
 * parsing of untrusted bytes with hard bounds; callers: tls_dec.c only.
 */
#ifndef DLP_BROKER_RELAY_TLS_REC_H
#define DLP_BROKER_RELAY_TLS_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RL_TLS_HDR 5
/* Largest record fragment we accept: TLS 1.2 ciphertext, 2^14 + 2048. */
#define RL_TLS_FRAG_MAX (16384u + 2048u)
#define RL_TLS_REC_MAX (RL_TLS_HDR + RL_TLS_FRAG_MAX)

enum {
	RL_CT_CCS = 20,
	RL_CT_ALERT = 21,
	RL_CT_HANDSHAKE = 22,
	RL_CT_APPDATA = 23,
};

enum {
	RL_HS_CLIENT_HELLO = 1,
	RL_HS_SERVER_HELLO = 2,
	RL_HS_NEW_SESSION_TICKET = 4,
	RL_HS_CERTIFICATE = 11,
	RL_HS_FINISHED = 20,
	RL_HS_KEY_UPDATE = 24,
};

/*
 * The length of the complete record at p[0..n): > 0 when one is there,
 * 0 when more bytes are needed, -EPROTO when the header is not TLS
 * (unknown content type, version not 3.x, fragment too long or empty).
 */
long rl_tls_rec_len(const uint8_t *p, size_t n);

/* Handshake messages of one direction, possibly split over records. */
#define RL_HS_KEEP 16384      /* first bytes of each message body kept (a
			       * server's Certificate chain: the border's
			       * home check, tls_dec.c rl_tk_cert_ok) */
struct rl_tls_hs {
	uint8_t hdr[4];
	unsigned nhdr;
	uint8_t type;
	uint32_t need, got;     /* body length, bytes of it seen */
	uint8_t body[RL_HS_KEEP];
};

/* Called for each complete handshake message (body cut to RL_HS_KEEP). */
typedef int rl_tls_hs_fn(void *arg, uint8_t type, const uint8_t *body, size_t keep,
			 uint32_t len);
/*
 * Feed handshake-content bytes; fn sees every message that completes.
 * Returns 0, fn's negative result, or -EPROTO. *mid is set when a message
 * is still incomplete at the end of p (a key change may not happen then).
 */
int rl_tls_hs_feed(struct rl_tls_hs *h, const uint8_t *p, size_t n, rl_tls_hs_fn *fn,
		   void *arg, bool *mid);

/* What a ServerHello says. */
struct rl_tls_sh {
	uint16_t version;       /* negotiated: 0x0304 from supported_versions, else legacy */
	uint16_t suite;
	uint8_t random[32];
	bool hrr;               /* a HelloRetryRequest, not the real ServerHello */
};
/* Walking a hello's extensions: rl_tls_ext_begin() finds them in a
 * ClientHello (client) or ServerHello body, with its legacy session id;
 * -EPROTO if the body ends before them. A body cut short (RL_HS_KEEP) is
 * read as far as it goes, with cut set. rl_tls_ext_next() gives the next
 * one: 1, 0 at the end, -EPROTO for one that runs past the block. */
struct rl_tls_ext_it {
	const uint8_t *b;
	size_t off, end;
	const uint8_t *sid;
	size_t nsid;
	bool cut;
};
int rl_tls_ext_begin(struct rl_tls_ext_it *it, const uint8_t *body, size_t len, bool client);
int rl_tls_ext_next(struct rl_tls_ext_it *it, unsigned *type, const uint8_t **data, size_t *l);
int rl_tls_parse_server_hello(const uint8_t *body, size_t len, struct rl_tls_sh *out);
/* The server_name of a ClientHello body into out (cap), "" if none, "?" if
 * the extension is there but holds no one readable name under cap. */
void rl_tls_parse_sni(const uint8_t *body, size_t len, char *out, size_t cap);

#endif /* DLP_BROKER_RELAY_TLS_REC_H */
