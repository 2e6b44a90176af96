/* SPDX-License-Identifier: MIT */
/*
 * tls_dec.c - decrypt a TLS session in the relay with the keys its hooked
 * library logged (see tls_dec.h). Per direction: record framing, a
 * handshake-message tracker (Finished and KeyUpdate change keys at the end
 * of their record), the current traffic key and sequence number. All
 * cryptography is OpenSSL's: EVP_KDF (TLS13-KDF, TLS1-PRF) and EVP AEAD.
 * Secrets are wiped with OPENSSL_cleanse when replaced or freed.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "broker/addr.h"
#include "broker/relay/tls_dec.h"
#include "broker/relay/tls_enc.h"
#include "broker/relay/tls_keys.h"
#include "broker/relay/tls_rec.h"
#include "common/dlp_err.h"

#define RL_TAG 16
#define RL_TLS_PT_MAX 16384u    /* the largest plaintext of a record (TLS 1.3: + type) */

struct rl_tls_suite {
	uint16_t id;
	bool tls13;
	const char *cipher;     /* EVP name */
	unsigned keylen;
	unsigned ivlen;         /* fixed IV: 12, or the 4-byte GCM salt of TLS 1.2 */
	unsigned explicit_iv;   /* TLS 1.2 GCM: 8 bytes of nonce in each record */
	const char *md;         /* HKDF / PRF hash */
	unsigned hashlen;
};

/* The suites whose records the relay can open; any other is refused. */
static const struct rl_tls_suite rl_suites[] = {
	{ 0x1301, true,  "AES-128-GCM",       16, 12, 0, "SHA256", 32 },
	{ 0x1302, true,  "AES-256-GCM",       32, 12, 0, "SHA384", 48 },
	{ 0x1303, true,  "ChaCha20-Poly1305", 32, 12, 0, "SHA256", 32 },
	{ 0xc02b, false, "AES-128-GCM",       16, 4,  8, "SHA256", 32 }, /* ECDHE-ECDSA */
	{ 0xc02f, false, "AES-128-GCM",       16, 4,  8, "SHA256", 32 }, /* ECDHE-RSA */
	{ 0x009c, false, "AES-128-GCM",       16, 4,  8, "SHA256", 32 }, /* RSA */
	{ 0x009e, false, "AES-128-GCM",       16, 4,  8, "SHA256", 32 }, /* DHE-RSA */
	{ 0xc02c, false, "AES-256-GCM",       32, 4,  8, "SHA384", 48 },
	{ 0xc030, false, "AES-256-GCM",       32, 4,  8, "SHA384", 48 },
	{ 0x009d, false, "AES-256-GCM",       32, 4,  8, "SHA384", 48 },
	{ 0x009f, false, "AES-256-GCM",       32, 4,  8, "SHA384", 48 },
	{ 0xcca8, false, "ChaCha20-Poly1305", 32, 12, 0, "SHA256", 32 }, /* ECDHE-RSA */
	{ 0xcca9, false, "ChaCha20-Poly1305", 32, 12, 0, "SHA256", 32 }, /* ECDHE-ECDSA */
	{ 0xccaa, false, "ChaCha20-Poly1305", 32, 12, 0, "SHA256", 32 }, /* DHE-RSA */
};

enum { EP_PLAIN = 0, EP_HANDSHAKE, EP_APP };

/* Encrypted server handshake records forwarded ahead of their key (a
 * resumed TLS 1.2 session's Finished is one record of 37 to 61 bytes). */
#define RL_DEFER_RECS 4
#define RL_DEFER_BYTES 1024

struct rl_tls_key {
	EVP_CIPHER_CTX *cx;
	EVP_CIPHER_CTX *ex;     /* the same key for resealing (tls_enc.h), or NULL */
	uint8_t iv[12];
	uint64_t seq;
	uint8_t secret[BRK_TLS_SECRET_MAX];     /* TLS 1.3 traffic secret, for KeyUpdate */
	size_t slen;
};

struct rl_tls_side {
	struct rl_tls_hs hs;
	struct rl_tls_key k;
	int epoch;
	bool keyed;             /* k holds the key of the current epoch */
	bool ccs;               /* TLS 1.2: ChangeCipherSpec seen, records encrypted */
	bool fin, ku;           /* Finished / KeyUpdate completed in this record */
	bool mid;               /* a handshake message continues past this record */
	time_t wait_since;      /* a record waits for its key since; 0: not waiting */
	/* application data records held back (RL_TK_HOLD): at the front of
	 * the caller's bytes, their contents joined in hbuf */
	struct rl_held *held;
	unsigned nheld;
	size_t heldlen, heldpt;
	uint8_t *hbuf;          /* RL_HOLD_BYTES + RL_TLS_FRAG_MAX joined, then scratch */
	bool release;           /* rl_tk_release: no more holding */
	/* server handshake records forwarded before their key came (a resumed
	 * TLS 1.2 session, rl_defer_ok): copies, opened before the next one */
	uint8_t *dbuf;
	size_t dlen[RL_DEFER_RECS];
	unsigned ndefer;
	size_t deferlen;
};

/* What resealing a held record needs. */
struct rl_held {
	size_t len, inner, ptlen;
	uint8_t nonce[12], aad[13];
	size_t aadlen;
};
#define RL_HOLD_RECS 64
#define RL_HOLD_BYTES (3 * 4096 + 64)
#define RL_HBUF (RL_HOLD_BYTES + 2 * RL_TLS_FRAG_MAX)

#define RL_PSK_MAX 4
#define RL_ISSUED_MAX 8

struct rl_tk {
	struct brk_tls_keys *keys;
	uint8_t cr[32];
	bool have_cr, have_sh;
	struct rl_tls_sh sh;
	const struct rl_tls_suite *cs;
	struct rl_tls_side side[2];
	int cur;                /* direction whose handshake bytes are being fed */
	char sni[256];
	uint8_t ch_sum[32];     /* what a ClientHello after a HelloRetryRequest must
				 * repeat (rl_ch_sum) */
	bool ch2;               /* that second ClientHello came */
	char why[200];
	uint8_t *cert;          /* the server's Certificate message body, or NULL */
	size_t certlen;
	bool cert_cut;          /* longer than RL_HS_KEEP: not checked */
	int cert_ok;            /* 0 not asked, 1 verified, -1 not */
	/* resumption binding (rl_tk_set_dst): the identities the hello
	 * offered (hashed), the one the server took, those it issued */
	uint8_t psk[RL_PSK_MAX][32];    /* TLS 1.3 pre_shared_key identities */
	unsigned npsk;
	uint8_t tick12[32];             /* TLS 1.2 SessionTicket offered */
	bool have_tick12;
	uint8_t csid[32], ssid[32];     /* client's and server's session ids */
	uint8_t ncsid, nssid;
	int sh_psk;                     /* the identity the ServerHello took, -1 */
	uint8_t issued[RL_ISSUED_MAX][32];      /* not yet kept (cert_ok not 1) */
	unsigned nissued;
	char bound[256];                /* the name cert_ok proved */
	struct brk_addr dst;
	int dport;
	bool have_dst;
	bool reseal;            /* keep encryption contexts: the border swap may
				 * change plaintext (rl_tk_set_reseal) */
	/* growing records (rl_tk_set_room): the end of the caller's bytes, the
	 * room past it, this record's room and growth, the feed's total */
	uint8_t *fend;
	size_t room, room_now, grew, grown;
	/* the last record opened: what its reseal needs */
	uint8_t nonce[12], aad[13];
	size_t aadlen, inner;
	uint8_t pt[RL_TLS_FRAG_MAX];
};

static time_t rl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int rl_fail(struct rl_tk *t, int rc, const char *why)
{
	snprintf(t->why, sizeof(t->why), "%s", why);
	return rc;
}

int rl_tk_new(struct brk_tls_keys *keys, struct rl_tk **out)
{
	struct rl_tk *t = calloc(1, sizeof(*t));

	*out = t;
	if (!t)
		return -ENOMEM;
	t->keys = keys;
	return 0;
}

static void rl_key_clear(struct rl_tls_key *k)
{
	EVP_CIPHER_CTX_free(k->cx);
	EVP_CIPHER_CTX_free(k->ex);
	OPENSSL_cleanse(k, sizeof(*k));
}

void rl_tk_free(struct rl_tk *t)
{
	if (!t)
		return;
	rl_key_clear(&t->side[0].k);
	rl_key_clear(&t->side[1].k);
	for (int d = 0; d < 2; d++) {
		if (t->side[d].hbuf)
			OPENSSL_cleanse(t->side[d].hbuf, RL_HBUF);
		free(t->side[d].hbuf);
		free(t->side[d].held);
		free(t->side[d].dbuf);
	}
	if (t->have_cr)
		brk_tls_keys_drop(t->keys, t->cr);
	free(t->cert);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

void rl_tk_set_reseal(struct rl_tk *t, bool on)
{
	t->reseal = on;
}

void rl_tk_set_room(struct rl_tk *t, size_t room)
{
	t->room = room;
	t->grown = 0;
}

size_t rl_tk_room(const struct rl_tk *t)
{
	return t->room_now;
}

void rl_tk_grew(struct rl_tk *t, size_t d)
{
	t->grew = d <= t->room_now ? d : 0;
}

size_t rl_tk_grown(const struct rl_tk *t)
{
	return t->grown;
}

/*
 * The record at r (len bytes) grew by t->grew: its content is t->pt[0..
 * ptlen + d); the inner type and padding go behind it again, the bytes
 * after the record move on, and header and additional data get the new
 * length (TLS 1.3: the header is the additional data).
 */
static void rl_grow_record(struct rl_tk *t, uint8_t *r, size_t *len, size_t ptlen)
{
	size_t d = t->grew, ct;

	memset(t->pt + ptlen + d, 0, t->inner - ptlen);
	if (t->cs->tls13)
		t->pt[ptlen + d] = RL_CT_APPDATA;
	t->inner += d;
	memmove(r + *len + d, r + *len, (size_t)(t->fend - (r + *len)));
	t->fend += d;
	t->room -= d;
	t->grown += d;
	*len += d;
	ct = *len - RL_TLS_HDR;
	r[3] = (uint8_t)(ct >> 8);
	r[4] = (uint8_t)ct;
	if (t->cs->tls13) {
		memcpy(t->aad, r, RL_TLS_HDR);
	} else {
		t->aad[11] = (uint8_t)(t->inner >> 8);
		t->aad[12] = (uint8_t)t->inner;
	}
}

/* The DER certificates of a Certificate body (TLS 1.3: context and
 * per-entry extensions), leaf first. */
static STACK_OF(X509) *rl_cert_list(const uint8_t *b, size_t n, bool tls13)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	size_t off = 0, end, cl;
	const uint8_t *q;
	X509 *x;

	if (tls13) {
		if (n < 1 || (size_t)b[0] + 1 > n)
			goto bad;
		off = 1 + b[0];
	}
	if (!sk || off + 3 > n)
		goto bad;
	end = off + 3 + ((size_t)b[off] << 16 | (size_t)b[off + 1] << 8 | b[off + 2]);
	off += 3;
	if (end > n)
		goto bad;
	while (off + 3 <= end) {
		cl = (size_t)b[off] << 16 | (size_t)b[off + 1] << 8 | b[off + 2];
		off += 3;
		if (off + cl > end)
			goto bad;
		q = b + off;
		if (!(x = d2i_X509(NULL, &q, (long)cl)) || !sk_X509_push(sk, x)) {
			X509_free(x);
			goto bad;
		}
		off += cl;
		if (tls13) {            /* CertificateEntry extensions */
			if (off + 2 > end)
				goto bad;
			off += 2 + ((size_t)b[off] << 8 | b[off + 1]);
		}
	}
	if (sk_X509_num(sk) > 0)
		return sk;
bad:
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

/* ---- resumption binding (rl_tk_set_dst) ---- */

/*
 * Globals: the resumption identities of sessions whose certificate
 * verified, with the name and destination it proved. Written and read by
 * the relay threads under rl_bind_lock; a ring (the oldest is replaced).
 * Hashes only: a ticket is the server's secret-wrapped state, its hash
 * names it. Lives as long as the broker (one run).
 */
#define RL_BIND_MAX 512
struct rl_bind {
	uint8_t h[32];
	char host[256];
	struct brk_addr a;
	int port;
	bool used;
};
static struct rl_bind rl_binds[RL_BIND_MAX];
static unsigned rl_bind_next;
static pthread_mutex_t rl_bind_lock = PTHREAD_MUTEX_INITIALIZER;

/* SHA-256 of a tag byte ('T' ticket or PSK identity, 'S' session id) and b. */
static void rl_bind_hash(char tag, const uint8_t *b, size_t n, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int ol = 0;

	if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, &tag, 1) != 1 || EVP_DigestUpdate(c, b, n) != 1 ||
	    EVP_DigestFinal_ex(c, out, &ol) != 1 || ol != 32)
		memset(out, 0, 32);     /* never matches: rl_bind_* skip a zero hash */
	EVP_MD_CTX_free(c);
}

static bool rl_bind_zero(const uint8_t h[32])
{
	static const uint8_t z[32];

	return !memcmp(h, z, 32);
}

static void rl_bind_add(const uint8_t h[32], const char *host, const struct brk_addr *a, int port)
{
	struct rl_bind *b;

	if (rl_bind_zero(h))
		return;
	pthread_mutex_lock(&rl_bind_lock);
	b = &rl_binds[rl_bind_next++ % RL_BIND_MAX];
	memcpy(b->h, h, 32);
	snprintf(b->host, sizeof(b->host), "%s", host);
	b->a = *a;
	b->port = port;
	b->used = true;
	pthread_mutex_unlock(&rl_bind_lock);
}

static bool rl_bind_has(const uint8_t h[32], const char *host, const struct brk_addr *a, int port)
{
	struct brk_addr c1, c2;
	bool ok = false;
	unsigned i;

	if (rl_bind_zero(h))
		return false;
	brk_addr_canon(a, &c1);
	pthread_mutex_lock(&rl_bind_lock);
	for (i = 0; i < RL_BIND_MAX && !ok; i++) {
		const struct rl_bind *b = &rl_binds[i];

		if (!b->used || memcmp(b->h, h, 32) || b->port != port ||
		    strcasecmp(b->host, host))
			continue;
		brk_addr_canon(&b->a, &c2);
		ok = c1.v == c2.v && !memcmp(c1.b, c2.b, sizeof(c1.b));
	}
	pthread_mutex_unlock(&rl_bind_lock);
	return ok;
}

void rl_tk_set_dst(struct rl_tk *t, const struct brk_addr *a, int port)
{
	t->dst = *a;
	t->dport = port;
	t->have_dst = true;
}

/* An identity the server issued: kept now if the session is verified,
 * else held until it is (rl_tk_cert_ok), at most RL_ISSUED_MAX. */
static void rl_tk_issued(struct rl_tk *t, const uint8_t h[32])
{
	if (!t->have_dst)
		return;
	if (t->cert_ok > 0)
		rl_bind_add(h, t->bound, &t->dst, t->dport);
	else if (t->nissued < RL_ISSUED_MAX)
		memcpy(t->issued[t->nissued++], h, 32);
}

static void rl_tk_bound(struct rl_tk *t, const char *host)
{
	unsigned i;

	snprintf(t->bound, sizeof(t->bound), "%s", host);
	for (i = 0; t->have_dst && i < t->nissued; i++)
		rl_bind_add(t->issued[i], t->bound, &t->dst, t->dport);
	t->nissued = 0;
}

/* A ClientHello's resumption offers: session id, SessionTicket (35),
 * pre_shared_key identities (41). Best effort: a hello it cannot read
 * offers nothing (no binding, fail closed). */
static void rl_ch_offers(struct rl_tk *t, const uint8_t *b, size_t len)
{
	struct rl_tls_ext_it it;
	const uint8_t *d;
	unsigned type;
	size_t l;

	if (rl_tls_ext_begin(&it, b, len, true) < 0 || it.nsid > sizeof(t->csid))
		return;
	t->ncsid = it.nsid;
	memcpy(t->csid, it.sid, it.nsid);
	while (rl_tls_ext_next(&it, &type, &d, &l) > 0) {
		if (type == 35 && l) {
			rl_bind_hash('T', d, l, t->tick12);
			t->have_tick12 = true;
		} else if (type == 41 && l >= 2) {
			/* identities<2>: identity<2> obfuscated_ticket_age(4) */
			size_t p = 2, ie = 2 + ((size_t)d[0] << 8 | d[1]);

			if (ie > l)
				return;
			while (p + 2 <= ie && t->npsk < RL_PSK_MAX) {
				size_t il = (size_t)d[p] << 8 | d[p + 1];

				if (p + 2 + il + 4 > ie)
					break;
				rl_bind_hash('T', d + p + 2, il, t->psk[t->npsk++]);
				p += 2 + il + 4;
			}
		}
	}
}

/* A ServerHello's resumption answer: its session id, the pre_shared_key
 * identity it selected (41). */
static void rl_sh_answer(struct rl_tk *t, const uint8_t *b, size_t len)
{
	struct rl_tls_ext_it it;
	const uint8_t *d;
	unsigned type;
	size_t l;

	t->sh_psk = -1;
	if (rl_tls_ext_begin(&it, b, len, false) < 0)
		return;
	t->nssid = it.nsid;
	memcpy(t->ssid, it.sid, it.nsid);
	while (rl_tls_ext_next(&it, &type, &d, &l) > 0)
		if (type == 41 && l == 2)
			t->sh_psk = (int)((unsigned)d[0] << 8 | d[1]);
}

/* A NewSessionTicket of the server (TLS 1.3: lifetime, age_add, nonce,
 * ticket; TLS 1.2: lifetime, ticket). */
static void rl_nst(struct rl_tk *t, const uint8_t *b, size_t len)
{
	size_t off = 4, l;
	uint8_t h[32];

	if (!t->cs)
		return;
	if (t->cs->tls13) {
		if (len < 9 || 9 + (size_t)b[8] + 2 > len)
			return;
		off = 9 + b[8];
	}
	if (off + 2 > len)
		return;
	l = (size_t)b[off] << 8 | b[off + 1];
	if (!l || off + 2 + l > len)
		return;
	rl_bind_hash('T', b + off + 2, l, h);
	rl_tk_issued(t, h);
}

/* A session without a Certificate: did the server resume one a verified
 * session to host at this destination issued? */
static bool rl_tk_resumed_bound(const struct rl_tk *t, const char *host)
{
	uint8_t h[32];

	if (!t->have_dst || !t->cs)
		return false;
	if (t->cs->tls13)
		return t->sh_psk >= 0 && (unsigned)t->sh_psk < t->npsk &&
		       rl_bind_has(t->psk[t->sh_psk], host, &t->dst, t->dport);
	if (t->have_tick12 && rl_bind_has(t->tick12, host, &t->dst, t->dport))
		return true;
	if (!t->nssid || t->nssid != t->ncsid || memcmp(t->ssid, t->csid, t->nssid))
		return false;
	rl_bind_hash('S', t->ssid, t->nssid, h);
	return rl_bind_has(h, host, &t->dst, t->dport);
}

bool rl_tk_cert_ok(struct rl_tk *t, X509_STORE *store, const char *host)
{
	STACK_OF(X509) *sk;
	X509_STORE_CTX *vc;

	if (t->cert_ok)
		return t->cert_ok > 0;
	if (!t->cert && t->have_sh && host && rl_tk_resumed_bound(t, host)) {
		t->cert_ok = 1;
		rl_tk_bound(t, host);
		return true;
	}
	if (!t->cert || t->cert_cut || !t->cs || !store || !host)
		return false;
	t->cert_ok = -1;
	sk = rl_cert_list(t->cert, t->certlen, t->cs->tls13);
	vc = sk ? X509_STORE_CTX_new() : NULL;
	if (vc && X509_STORE_CTX_init(vc, store, sk_X509_value(sk, 0), sk) == 1) {
		X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(vc);

		X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
		if (X509_VERIFY_PARAM_set1_host(vp, host, 0) == 1 && X509_verify_cert(vc) == 1)
			t->cert_ok = 1;
	}
	X509_STORE_CTX_free(vc);
	sk_X509_pop_free(sk, X509_free);
	if (t->cert_ok > 0)
		rl_tk_bound(t, host);
	return t->cert_ok > 0;
}

void rl_tk_release(struct rl_tk *t, int dir)
{
	if (t->side[dir].nheld)
		t->side[dir].release = true;
}

const char *rl_tk_why(const struct rl_tk *t)
{
	return t->why[0] ? t->why : "TLS error";
}

const char *rl_tk_sni(const struct rl_tk *t)
{
	return t->sni[0] ? t->sni : NULL;
}

const uint8_t *rl_tk_client_random(const struct rl_tk *t)
{
	return t->have_cr ? t->cr : NULL;
}

/* ---- key schedule (OpenSSL KDFs) ---- */

/*
 * The KDFs and ciphers, fetched once for all sessions: a fetch takes the
 * provider store's lock and a hash lookup, four to twelve times per
 * session otherwise. Fetched objects are immutable and shared by threads;
 * they live as long as the broker. NULL (not available): that key fails.
 */
static const char *const rl_cipher_names[] = { "AES-128-GCM", "AES-256-GCM",
					       "ChaCha20-Poly1305" };
static EVP_KDF *rl_kdf_tls13, *rl_kdf_prf;
static EVP_CIPHER *rl_ciphers[DLP_ARRAY_SIZE(rl_cipher_names)];
static pthread_once_t rl_fetch_once = PTHREAD_ONCE_INIT;

static void rl_fetch_all(void)
{
	size_t i;

	rl_kdf_tls13 = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	rl_kdf_prf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	for (i = 0; i < DLP_ARRAY_SIZE(rl_cipher_names); i++)
		rl_ciphers[i] = EVP_CIPHER_fetch(NULL, rl_cipher_names[i], NULL);
}

static EVP_KDF *rl_kdf(bool tls13)
{
	pthread_once(&rl_fetch_once, rl_fetch_all);
	return tls13 ? rl_kdf_tls13 : rl_kdf_prf;
}

static const EVP_CIPHER *rl_cipher(const char *name)
{
	size_t i;

	pthread_once(&rl_fetch_once, rl_fetch_all);
	for (i = 0; i < DLP_ARRAY_SIZE(rl_cipher_names); i++)
		if (!strcmp(rl_cipher_names[i], name))
			return rl_ciphers[i];
	return NULL;
}

/* HKDF-Expand-Label(secret, label, "", len), RFC 8446 7.1 */
static int rl_expand_label(const char *md, const uint8_t *secret, size_t slen,
			   const char *label, uint8_t *out, size_t len)
{
	static const unsigned char prefix[] = "tls13 ";
	static unsigned char empty[1];
	EVP_KDF *kdf = rl_kdf(true);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, rc = -EINVAL;
	OSSL_PARAM p[7];

	/* OSSL_PARAM wants non-const pointers; nothing is written through them */
	p[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen);
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PREFIX, (void *)prefix,
						 sizeof(prefix) - 1);
	p[4] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label,
						 strlen(label));
	p[5] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_DATA, empty, 0);
	p[6] = OSSL_PARAM_construct_end();
	if (kc && EVP_KDF_derive(kc, out, len, p) > 0)
		rc = 0;
	EVP_KDF_CTX_free(kc);
	return rc;
}

/* TLS 1.2 key block: PRF(master, "key expansion", server_random + client_random) */
static int rl_key_block(const char *md, const uint8_t *master, size_t mlen,
			const uint8_t sr[32], const uint8_t cr[32], uint8_t *out, size_t len)
{
	static const char label[] = "key expansion";
	EVP_KDF *kdf = rl_kdf(false);
	EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint8_t seed[sizeof(label) - 1 + 64];
	OSSL_PARAM p[4];
	int rc = -EINVAL;

	memcpy(seed, label, sizeof(label) - 1);
	memcpy(seed + sizeof(label) - 1, sr, 32);
	memcpy(seed + sizeof(label) - 1 + 32, cr, 32);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master, mlen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed));
	p[3] = OSSL_PARAM_construct_end();
	if (kc && EVP_KDF_derive(kc, out, len, p) > 0)
		rc = 0;
	EVP_KDF_CTX_free(kc);
	return rc;
}

static int rl_key_set(const struct rl_tls_suite *cs, struct rl_tls_key *k, const uint8_t *key,
		      const uint8_t *iv, bool seal)
{
	const EVP_CIPHER *c = rl_cipher(cs->cipher);
	int rc = -EINVAL;

	if (!k->cx)
		k->cx = EVP_CIPHER_CTX_new();
	if (c && k->cx && EVP_DecryptInit_ex(k->cx, c, NULL, key, NULL) > 0)
		rc = 0;
	EVP_CIPHER_CTX_free(k->ex);
	k->ex = NULL;
	if (rc == 0 && seal && !(k->ex = rl_seal_new(cs->cipher, key)))
		rc = -ENOMEM;
	memcpy(k->iv, iv, cs->ivlen);
	k->seq = 0;
	return rc;
}

/* TLS 1.3: key and IV of a traffic secret (kept in k for KeyUpdate). */
static int rl_key13(const struct rl_tls_suite *cs, struct rl_tls_key *k, const uint8_t *secret,
		    size_t slen, bool seal)
{
	uint8_t key[32], iv[12];
	int rc;

	if (slen != cs->hashlen)
		return -EINVAL;
	if (secret != k->secret)
		memcpy(k->secret, secret, slen);
	k->slen = slen;
	rc = rl_expand_label(cs->md, secret, slen, "key", key, cs->keylen);
	if (rc == 0)
		rc = rl_expand_label(cs->md, secret, slen, "iv", iv, 12);
	if (rc == 0)
		rc = rl_key_set(cs, k, key, iv, seal);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	return rc;
}

/* TLS 1.3 KeyUpdate: secret = HKDF-Expand-Label(secret, "traffic upd", "", Hash.length) */
static int rl_key13_update(const struct rl_tls_suite *cs, struct rl_tls_key *k)
{
	bool seal = k->ex != NULL;
	uint8_t next[BRK_TLS_SECRET_MAX];
	int rc = rl_expand_label(cs->md, k->secret, k->slen, "traffic upd", next, k->slen);

	if (rc == 0)
		rc = rl_key13(cs, k, next, k->slen, seal);
	OPENSSL_cleanse(next, sizeof(next));
	return rc;
}

/*
 * The key of side dir's current epoch from the key table: 0, -EAGAIN (not
 * there yet), or an error. Never blocks.
 */
static int rl_side_key(struct rl_tk *t, int dir)
{
	struct rl_tls_side *s = &t->side[dir];
	const struct rl_tls_suite *cs = t->cs;
	uint8_t sec[BRK_TLS_SECRET_MAX], kb[2 * 32 + 2 * 12];
	enum brk_tls_label label;
	size_t slen = 0;
	int rc;

	if (cs->tls13)
		label = s->epoch == EP_HANDSHAKE ? (dir ? BRK_TLS_S_HS : BRK_TLS_C_HS)
			: (dir ? BRK_TLS_S_AP : BRK_TLS_C_AP);
	else
		label = BRK_TLS_MASTER;
	rc = brk_tls_secret(t->keys, t->cr, label, sec, &slen, 0);
	if (rc == -ENOENT)
		return -EAGAIN;
	if (rc < 0)
		return rl_fail(t, -EPROTO, "the hooked library logged two different keys for "
			       "this session");
	if (cs->tls13) {
		rc = rl_key13(cs, &s->k, sec, slen, t->reseal);
	} else {
		size_t kl = cs->keylen, il = cs->ivlen;

		rc = slen == 48 ? rl_key_block(cs->md, sec, slen, t->sh.random, t->cr, kb,
					       2 * kl + 2 * il) : -EINVAL;
		if (rc == 0)
			rc = rl_key_set(cs, &s->k, kb + (dir ? kl : 0), kb + 2 * kl + (dir ? il : 0),
					t->reseal);
	}
	OPENSSL_cleanse(sec, sizeof(sec));
	OPENSSL_cleanse(kb, sizeof(kb));
	if (rc < 0)
		return rl_fail(t, -EPROTO, "the logged key does not fit the session's cipher suite");
	s->keyed = true;
	return 0;
}

/* ---- records ---- */

/* Open one record r[0..len) of side s into t->pt: plaintext length, inner type. */
static int rl_open(struct rl_tk *t, struct rl_tls_side *s, const uint8_t *r, size_t len,
		   size_t *ptlen, uint8_t *type)
{
	const struct rl_tls_suite *cs = t->cs;
	const uint8_t *frag = r + RL_TLS_HDR, *ct;
	size_t flen = len - RL_TLS_HDR, ctlen;
	uint8_t nonce[12], aad[13];
	size_t aadlen, i;
	int outl = 0, fl = 0;

	if (flen < cs->explicit_iv + RL_TAG)
		return -EPROTO;
	ct = frag + cs->explicit_iv;
	ctlen = flen - cs->explicit_iv - RL_TAG;
	if (cs->explicit_iv) {          /* TLS 1.2 GCM: salt || explicit nonce */
		memcpy(nonce, s->k.iv, 4);
		memcpy(nonce + 4, frag, 8);
	} else {                        /* iv XOR padded sequence number */
		memcpy(nonce, s->k.iv, 12);
		for (i = 0; i < 8; i++)
			nonce[4 + i] ^= (uint8_t)(s->k.seq >> (56 - 8 * i));
	}
	if (cs->tls13) {
		memcpy(aad, r, RL_TLS_HDR);
		aadlen = RL_TLS_HDR;
	} else {                        /* seq || type || version || plaintext length */
		for (i = 0; i < 8; i++)
			aad[i] = (uint8_t)(s->k.seq >> (56 - 8 * i));
		aad[8] = r[0];
		aad[9] = r[1];
		aad[10] = r[2];
		aad[11] = (uint8_t)(ctlen >> 8);
		aad[12] = (uint8_t)ctlen;
		aadlen = 13;
	}
	/* the tag pointer is const in the record; EVP only reads it */
	if (EVP_DecryptInit_ex(s->k.cx, NULL, NULL, NULL, nonce) <= 0 ||
	    EVP_DecryptUpdate(s->k.cx, NULL, &outl, aad, (int)aadlen) <= 0 ||
	    EVP_DecryptUpdate(s->k.cx, t->pt, &outl, ct, (int)ctlen) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(s->k.cx, EVP_CTRL_AEAD_SET_TAG, RL_TAG,
				(void *)(ct + ctlen)) <= 0 ||
	    EVP_DecryptFinal_ex(s->k.cx, t->pt + outl, &fl) <= 0)
		return -EPROTO;
	s->k.seq++;
	*ptlen = (size_t)outl + (size_t)fl;
	memcpy(t->nonce, nonce, sizeof(nonce));
	memcpy(t->aad, aad, aadlen);
	t->aadlen = aadlen;
	t->inner = *ptlen;
	*type = r[0];
	if (cs->tls13) {                /* TLSInnerPlaintext: content || type || zeros */
		while (*ptlen && t->pt[*ptlen - 1] == 0)
			(*ptlen)--;
		if (*ptlen == 0)
			return -EPROTO;
		*type = t->pt[--(*ptlen)];
	}
	return 0;
}

/*
 * SHA-256 of what a second ClientHello (after a HelloRetryRequest) must
 * repeat of the first, RFC 8446 4.1.2: everything but key_share,
 * early_data, cookie, pre_shared_key and padding (the extensions block's
 * length with them). The relay judged the first one (its server name, the
 * route its client random took); a second one that differs in any other
 * byte (another server name, another ALPN offer) would leave unjudged.
 * 0, or -EPROTO for a body whose extensions do not parse.
 */
static int rl_ch_sum(const uint8_t *body, size_t keep, uint8_t out[32])
{
	struct rl_tls_ext_it it;
	const uint8_t *d;
	unsigned type;
	size_t l;
	uint8_t th[4];
	EVP_MD_CTX *md;
	int rc = 0, ok;

	if (rl_tls_ext_begin(&it, body, keep, true) < 0 || !(md = EVP_MD_CTX_new()))
		return -EPROTO;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) > 0 &&
	     EVP_DigestUpdate(md, body, it.off == keep ? keep : it.off - 2) > 0;
	while (ok && (rc = rl_tls_ext_next(&it, &type, &d, &l)) > 0) {
		if (type == 51 || type == 42 || type == 44 || type == 41 || type == 21)
			continue;
		th[0] = (uint8_t)(type >> 8);
		th[1] = (uint8_t)type;
		th[2] = (uint8_t)(l >> 8);
		th[3] = (uint8_t)l;
		ok = EVP_DigestUpdate(md, th, 4) > 0 && EVP_DigestUpdate(md, d, l) > 0;
	}
	ok = ok && rc == 0 && EVP_DigestFinal_ex(md, out, NULL) > 0;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -EPROTO;
}

/*
 * Does a ClientHello offer encrypted_client_hello (ECH, extension 0xfe0d)?
 * Its inner hello, sealed to the server's key, names the server the
 * session really reaches: the relay sees only the outer name, which is
 * all the server-name gate and the home binding judge.
 */
#define RL_EXT_ECH 0xfe0du
static bool rl_ch_ech(const uint8_t *body, size_t keep)
{
	struct rl_tls_ext_it it;
	const uint8_t *d;
	unsigned type;
	size_t l;

	if (rl_tls_ext_begin(&it, body, keep, true) < 0)
		return false;
	while (rl_tls_ext_next(&it, &type, &d, &l) > 0)
		if (type == RL_EXT_ECH)
			return true;
	return false;
}

/* A complete handshake message of direction t->cur. */
static int rl_on_hs(void *arg, uint8_t type, const uint8_t *body, size_t keep, uint32_t len)
{
	struct rl_tk *t = arg;
	struct rl_tls_side *s = &t->side[t->cur];
	size_t i;

	if (t->cur == 0 && type == RL_HS_CLIENT_HELLO && !t->have_cr) {
		if (keep < 34)
			return rl_fail(t, -EPROTO, "ClientHello too short");
		memcpy(t->cr, body + 2, 32);
		t->have_cr = true;
		rl_tls_parse_sni(body, keep, t->sni, sizeof(t->sni));
		rl_ch_offers(t, body, keep);
		brk_tls_route_mark(t->keys, t->cr);
		if (rl_ch_sum(body, keep, t->ch_sum) < 0)
			return rl_fail(t, -EPROTO, "malformed ClientHello");
		/* egress-gaps5, t/e2e/426: the keys would decrypt the session,
		 * but its server name (the gate, the home binding) would be the
		 * outer one, a front's, while the inner one goes unjudged */
		if (rl_ch_ech(body, keep))
			return rl_fail(t, -EOPNOTSUPP, "a ClientHello with "
				       "encrypted_client_hello (ECH) is not inspected: the "
				       "server it reaches is named only in the encrypted inner "
				       "hello, so its server name cannot be judged or bound");
	} else if (t->cur == 0 && type == RL_HS_CLIENT_HELLO && s->epoch != EP_PLAIN) {
		return rl_fail(t, -EOPNOTSUPP, "TLS renegotiation is not inspected");
	} else if (t->cur == 0 && type == RL_HS_CLIENT_HELLO) {
		/* a second hello in the clear: only the one a HelloRetryRequest
		 * asked for, and only as the first was judged (egress-gaps4,
		 * t/e2e/412: an innocent first hello, another server name in
		 * the second, passed) */
		uint8_t sum[32];

		if (!t->sh.hrr || t->have_sh || t->ch2)
			return rl_fail(t, -EPROTO, "a second ClientHello that no "
				       "HelloRetryRequest asked for");
		t->ch2 = true;
		if (keep < 34 || memcmp(body + 2, t->cr, 32) || rl_ch_sum(body, keep, sum) < 0 ||
		    memcmp(sum, t->ch_sum, sizeof(sum)))
			return rl_fail(t, -EPROTO, "the ClientHello after a HelloRetryRequest "
				       "differs from the first beyond what RFC 8446 lets change "
				       "(its server name, ALPN or other offers)");
	} else if (t->cur == 1 && type == RL_HS_SERVER_HELLO && !t->have_sh) {
		if (keep != len || rl_tls_parse_server_hello(body, keep, &t->sh) < 0)
			return rl_fail(t, -EPROTO, "malformed ServerHello");
		if (t->sh.hrr)
			return 0;       /* a second ClientHello and ServerHello follow */
		for (i = 0; i < DLP_ARRAY_SIZE(rl_suites); i++)
			if (rl_suites[i].id == t->sh.suite &&
			    rl_suites[i].tls13 == (t->sh.version == 0x0304))
				t->cs = &rl_suites[i];
		if (!t->cs || (t->sh.version != 0x0304 && t->sh.version != 0x0303))
			return rl_fail(t, -EOPNOTSUPP, "the negotiated TLS version or cipher suite "
				       "cannot be decrypted by the relay");
		t->have_sh = true;
		rl_sh_answer(t, body, keep);
		if (!t->cs->tls13 && t->nssid) {        /* a TLS 1.2 session id to resume */
			uint8_t h[32];

			rl_bind_hash('S', t->ssid, t->nssid, h);
			rl_tk_issued(t, h);
		}
		if (t->cs->tls13) {     /* everything after ServerHello is encrypted */
			t->side[0].epoch = t->side[1].epoch = EP_HANDSHAKE;
			t->side[0].keyed = t->side[1].keyed = false;
		}
	} else if (t->cur == 1 && type == RL_HS_CERTIFICATE && !t->cert) {
		/* kept for the border's home check (rl_tk_cert_ok) */
		t->cert_cut = keep < len;
		if ((t->cert = malloc(keep ? keep : 1)))
			memcpy(t->cert, body, keep);
		t->certlen = keep;
	} else if (t->cur == 1 && type == RL_HS_NEW_SESSION_TICKET && keep == len) {
		rl_nst(t, body, keep);
	} else if (type == RL_HS_FINISHED) {
		s->fin = true;
	} else if (type == RL_HS_KEY_UPDATE) {
		if (!t->cs || !t->cs->tls13 || s->epoch != EP_APP || len != 1)
			return rl_fail(t, -EPROTO, "unexpected KeyUpdate");
		s->ku = true;
	}
	return 0;
}

static int rl_handshake_bytes(struct rl_tk *t, int dir, const uint8_t *p, size_t n)
{
	t->cur = dir;
	return rl_tls_hs_feed(&t->side[dir].hs, p, n, rl_on_hs, t, &t->side[dir].mid);
}

/*
 * Reseal the held records of side s, at rec (the front of the caller's
 * bytes), from their changed contents c (joined, in order). The scratch
 * half of hbuf rebuilds each inner plaintext (content, then for TLS 1.3
 * the inner type and its zero padding).
 */
static int rl_reseal_held(struct rl_tk *t, struct rl_tls_side *s, uint8_t *rec, const uint8_t *c)
{
	uint8_t *sc = s->hbuf + RL_HOLD_BYTES + RL_TLS_FRAG_MAX;
	unsigned i;

	for (i = 0; i < s->nheld; i++) {
		const struct rl_held *h = &s->held[i];

		memcpy(sc, c, h->ptlen);
		memset(sc + h->ptlen, 0, h->inner - h->ptlen);
		if (t->cs->tls13)
			sc[h->ptlen] = RL_CT_APPDATA;
		if (rl_seal(s->k.ex, h->nonce, h->aad, h->aadlen, sc, h->inner,
			    rec + RL_TLS_HDR + t->cs->explicit_iv, rec + h->len - RL_TAG) < 0)
			return rl_fail(t, -EPROTO, "a swapped TLS record could not be resealed");
		c += h->ptlen;
		rec += h->len;
	}
	return 0;
}

/* Let the held records of side dir at rec go on, as they are or swapped. */
static int rl_release_held(struct rl_tk *t, int dir, uint8_t *rec, rl_tk_plain_fn *fn, void *arg)
{
	struct rl_tls_side *s = &t->side[dir];
	int rc = fn(arg, dir, RL_CT_APPDATA | RL_TK_LAST, s->hbuf, s->heldpt);

	if (rc == RL_TK_RESEAL)
		rc = rl_reseal_held(t, s, rec, s->hbuf);
	s->nheld = 0;
	s->heldlen = s->heldpt = 0;
	s->release = false;
	return rc;
}

/*
 * An application data record's plaintext (t->pt, ptlen; inner length
 * t->inner) to the caller, joined to the records held before it: the
 * caller swaps in place (RL_TK_RESEAL: every record of the join is
 * resealed), or holds it too (RL_TK_HOLD: more may complete a value).
 */
static int rl_appdata(struct rl_tk *t, int dir, uint8_t *r, size_t len, size_t ptlen,
		      rl_tk_plain_fn *fn, void *arg)
{
	struct rl_tls_side *s = &t->side[dir];
	uint8_t *pt = t->pt;
	size_t n = ptlen;
	bool may_hold = t->reseal && !s->release && s->nheld < RL_HOLD_RECS &&
			s->heldpt + ptlen <= RL_HOLD_BYTES;
	struct rl_held *h;
	int rc;

	if (s->nheld) {
		memcpy(s->hbuf + s->heldpt, t->pt, ptlen);
		pt = s->hbuf;
		n = s->heldpt + ptlen;
	}
	/* room to grow: a lone record, up to the largest plaintext TLS allows */
	t->grew = 0;
	t->room_now = 0;
	if (!s->nheld && t->reseal && t->inner < RL_TLS_PT_MAX + t->cs->tls13)
		t->room_now = RL_TLS_PT_MAX + t->cs->tls13 - t->inner;
	if (t->room_now > t->room)
		t->room_now = t->room;
	rc = fn(arg, dir, RL_CT_APPDATA | (may_hold ? 0 : RL_TK_LAST), pt, n);
	t->room_now = 0;
	if (rc != RL_TK_RESEAL)
		t->grew = 0;
	if (rc == RL_TK_HOLD) {
		if (!may_hold)
			return rl_fail(t, -EPROTO, "internal: a hold past its bound");
		if (!s->hbuf && !(s->hbuf = malloc(RL_HBUF)))
			return rl_fail(t, -ENOMEM, "out of memory");
		if (!s->held && !(s->held = calloc(RL_HOLD_RECS, sizeof(*s->held))))
			return rl_fail(t, -ENOMEM, "out of memory");
		if (!s->nheld)
			memcpy(s->hbuf, t->pt, ptlen);
		h = &s->held[s->nheld++];
		h->len = len;
		h->inner = t->inner;
		h->ptlen = ptlen;
		memcpy(h->nonce, t->nonce, sizeof(h->nonce));
		memcpy(h->aad, t->aad, t->aadlen);
		h->aadlen = t->aadlen;
		s->heldlen += len;
		s->heldpt += ptlen;
		return RL_TK_HOLD;
	}
	if (rc < 0)
		return rc;
	if (rc == RL_TK_RESEAL) {
		/* this record: its content back into t->pt (the inner type and
		 * padding are still behind it there), then the held ones */
		if (pt != t->pt)
			memcpy(t->pt, pt + s->heldpt, ptlen);
		if (t->grew)
			rl_grow_record(t, r, &len, ptlen);
		rc = rl_seal(s->k.ex, t->nonce, t->aad, t->aadlen, t->pt, t->inner,
			     r + RL_TLS_HDR + t->cs->explicit_iv, r + len - RL_TAG) < 0
		     ? rl_fail(t, -EPROTO, "a swapped TLS record could not be resealed") : 0;
		if (rc == 0 && s->nheld)
			rc = rl_reseal_held(t, s, r - s->heldlen, pt);
	}
	s->nheld = 0;
	s->heldlen = s->heldpt = 0;
	s->release = false;
	return rc;
}

/*
 * May record r (len bytes, header type type) of side dir go on before its
 * key came? Only an encrypted TLS 1.2 handshake record from the server,
 * within the bounds. A resumed TLS 1.2 session has the server's Finished
 * first, and OpenSSL logs the master secret only when it writes its own
 * Finished (tls_construct_finished), after it read the server's: holding
 * that record for the key would wait for a key that waits for the record.
 * Server bytes are no egress risk, and the record is still opened (and
 * must open) before the next server record, so nothing of the server is
 * read unchecked past it; the client's records keep waiting for their key.
 */
static bool rl_defer_ok(const struct rl_tk *t, int dir, uint8_t type, size_t len)
{
	const struct rl_tls_side *s = &t->side[dir];

	return dir == 1 && t->cs && !t->cs->tls13 && s->ccs && type == RL_CT_HANDSHAKE &&
	       s->ndefer < RL_DEFER_RECS && s->deferlen + len <= RL_DEFER_BYTES;
}

static int rl_defer(struct rl_tk *t, struct rl_tls_side *s, const uint8_t *r, size_t len)
{
	if (!s->dbuf && !(s->dbuf = malloc(RL_DEFER_BYTES)))
		return rl_fail(t, -ENOMEM, "out of memory");
	memcpy(s->dbuf + s->deferlen, r, len);
	s->dlen[s->ndefer++] = len;
	s->deferlen += len;
	return 0;
}

static int rl_record(struct rl_tk *t, int dir, uint8_t *r, size_t len,
		     rl_tk_plain_fn *fn, void *arg);

/* The key came: open the records of side dir forwarded before it, in order. */
static int rl_undefer(struct rl_tk *t, int dir, rl_tk_plain_fn *fn, void *arg)
{
	struct rl_tls_side *s = &t->side[dir];
	unsigned i, n = s->ndefer;
	size_t off = 0;
	int rc = 0;

	s->ndefer = 0;
	for (i = 0; i < n && rc == 0; i++) {
		rc = rl_record(t, dir, s->dbuf + off, s->dlen[i], fn, arg);
		off += s->dlen[i];
	}
	s->deferlen = 0;
	return rc < 0 ? rc : 0;
}

/*
 * An alert record is forwarded without a scan, so it must hold one alert:
 * level and description, 2 bytes (RFC 8446 5.1 and 6: never fragmented
 * or coalesced; every library sends them so). Before (redteam-egress3,
 * t/e2e/403): a client writing a raw record of type 21 after its hello
 * (plaintext) or sealed with its own session's keys (which a process can
 * always log) carried up to 16 KiB of anything past the relay unread.
 * Egress only: what a server sends is the jail's to read.
 */
static int rl_alert_ok(struct rl_tk *t, int dir, size_t ptlen)
{
	if (dir == 0 && ptlen != 2)
		return rl_fail(t, -EPROTO, "a TLS alert record that is not one alert");
	return 0;
}

/* One complete record of direction dir. -EAGAIN: its key is not there yet. */
static int rl_record(struct rl_tk *t, int dir, uint8_t *r, size_t len,
		     rl_tk_plain_fn *fn, void *arg)
{
	struct rl_tls_side *s = &t->side[dir];
	bool enc = s->epoch != EP_PLAIN || s->ccs;
	uint8_t *pt = r + RL_TLS_HDR;
	size_t ptlen = len - RL_TLS_HDR;
	uint8_t type = r[0];
	int rc;

	if (type == RL_CT_CCS) {
		/* TLS 1.3 middlebox compatibility, or TLS 1.2: encrypted from here */
		if (ptlen != 1 || pt[0] != 1)
			return rl_fail(t, -EPROTO, "malformed ChangeCipherSpec");
		if (t->have_sh && !t->cs->tls13) {
			if (s->ccs)
				return rl_fail(t, -EOPNOTSUPP, "TLS renegotiation is not inspected");
			s->ccs = true;
			s->epoch = EP_APP;
		}
		return 0;
	}
	if (!enc) {
		if (type == RL_CT_APPDATA)
			return rl_fail(t, -EOPNOTSUPP, t->have_sh ? "application data before the "
				       "handshake finished" : "TLS early data (0-RTT) is not inspected");
		if (type == RL_CT_ALERT)
			return rl_alert_ok(t, dir, ptlen);
		rc = rl_handshake_bytes(t, dir, pt, ptlen);
		if (rc == 0)
			rc = fn(arg, dir, RL_CT_HANDSHAKE, pt, ptlen);
		return rc;
	}
	if (!s->keyed) {
		rc = rl_side_key(t, dir);
		if (rc == -EAGAIN && rl_defer_ok(t, dir, type, len))
			return rl_defer(t, s, r, len);
		if (rc < 0)
			return rc;
	}
	if (s->ndefer && (rc = rl_undefer(t, dir, fn, arg)) < 0)
		return rc;
	if (rl_open(t, s, r, len, &ptlen, &type) < 0)
		return rl_fail(t, -EPROTO, "a TLS record does not decrypt with the session's keys");
	s->fin = s->ku = false;
	if (type != RL_CT_APPDATA && s->nheld) {
		/* a KeyUpdate or an alert after held data: the held records go
		 * first, under the key they were opened with */
		rc = rl_release_held(t, dir, r - s->heldlen, fn, arg);
		if (rc < 0)
			return rc;
	}
	if (type == RL_CT_HANDSHAKE) {
		rc = rl_handshake_bytes(t, dir, t->pt, ptlen);
		if (rc == 0)
			rc = fn(arg, dir, RL_CT_HANDSHAKE, t->pt, ptlen);
	} else if (type == RL_CT_APPDATA) {
		if (t->cs->tls13 && s->epoch != EP_APP)
			return rl_fail(t, -EPROTO, "application data under handshake keys");
		/* the border swap may change it (same key, nonce, seq) or hold it */
		rc = rl_appdata(t, dir, r, len, ptlen, fn, arg);
		if (rc == RL_TK_HOLD)
			return rc;
	} else if (type == RL_CT_ALERT) {
		rc = rl_alert_ok(t, dir, ptlen);
	} else {
		rc = rl_fail(t, -EPROTO, "unknown TLS content type");
	}
	if (rc < 0)
		return rc;
	if ((s->fin || s->ku) && s->mid)
		return rl_fail(t, -EPROTO, "a key change in the middle of a handshake message");
	if (s->fin && t->cs->tls13 && s->epoch == EP_HANDSHAKE) {
		s->epoch = EP_APP;      /* the next record is under the traffic secret */
		s->keyed = false;
	}
	if (s->ku && rl_key13_update(t->cs, &s->k) < 0)
		return rl_fail(t, -EPROTO, "KeyUpdate failed");
	return 0;
}

int rl_tk_feed(struct rl_tk *t, int dir, uint8_t *p, size_t n, rl_tk_plain_fn *fn,
		void *arg, size_t *used, bool *waiting)
{
	struct rl_tls_side *sd = &t->side[dir];
	size_t off = 0, keep = (size_t)-1;  /* keep: offset of the first held record */
	long len;
	int rc = 0;

	*waiting = false;
	t->fend = p + n;
	if (sd->nheld) {
		/* held records are at the front, as they were left */
		if (n < sd->heldlen)
			return rl_fail(t, -EPROTO, "internal: held TLS records are gone");
		off = sd->heldlen;
		keep = 0;
		if ((off == n || rl_tls_rec_len(p + off, n - off) == 0) && sd->release) {
			rc = rl_release_held(t, dir, p, fn, arg);
			keep = (size_t)-1;
			if (rc < 0) {
				*used = 0;
				return rc;
			}
		}
	}
	while (off < n) {
		len = rl_tls_rec_len(p + off, n - off);
		if (len < 0) {
			rc = rl_fail(t, -EPROTO, "bytes that are not TLS records on a TLS session");
			break;
		}
		if (len == 0)
			break;
		t->grew = 0;
		rc = rl_record(t, dir, p + off, (size_t)len, fn, arg);
		len += (long)t->grew;   /* resealed longer (rl_grow_record) */
		n = (size_t)(t->fend - p);
		t->grew = 0;
		if (rc == -EAGAIN) {
			rc = 0;
			*waiting = true;
			if (!t->side[dir].wait_since)
				t->side[dir].wait_since = rl_now();
			else if (rl_now() - t->side[dir].wait_since > RL_TLS_KEY_WAIT_SEC)
				rc = rl_fail(t, -ENOKEY, "the TLS keys of this session never came "
					     "from its hooked library");
			break;
		}
		if (rc == RL_TK_HOLD) {
			rc = 0;
			if (keep == (size_t)-1)
				keep = off;
		} else if (rc < 0) {
			break;
		} else {
			keep = (size_t)-1;  /* whatever was held went with this record */
		}
		t->side[dir].wait_since = 0;
		off += (size_t)len;
	}
	if (keep != (size_t)-1 && rc == 0) {
		*waiting = true;        /* held: fed again with what follows, or released */
		off = keep;
	}
	*used = off;
	return rc;
}
