/* SPDX-License-Identifier: MIT */
/*
 * check_tlsdec.c - the key path's record layer (tls_dec.h) against real
 * OpenSSL sessions in memory: a client and a server joined by memory BIOs,
 * the client's key log handed to a key table as the shim does, and every
 * byte between them passed through rl_tk_feed() the way relay.c does it
 * (a buffer per direction, fed again from the first record it did not
 * take). The attacker's framings: records split over reads at every
 * offset, headers split, 1-byte records, records of the largest size with
 * TLS 1.3 padding, a KeyUpdate both ways, an alert in the middle, a
 * record that does not decrypt, TLS 1.2 renegotiation. The invariant
 * checked after every read: the server never got a byte of plaintext the
 * relay's callback had not seen first (nothing forwarded unscanned), and
 * in the end the plaintext arrives byte for byte, scanned once.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "broker/relay/tls_dec.h"
#include "broker/relay/tls_keys.h"
#include "broker/relay/tls_rec.h"

#define CAP (4u << 20)

/* one direction as relay.c holds it: buf[0..fwd) forwarded, [fwd..len) held */
struct dir {
	uint8_t *buf;
	size_t fwd, len;
	uint8_t *seen;          /* application data the callback saw, in order */
	size_t nseen;
	size_t nhs;             /* handshake bytes the callback saw */
	int rc;                 /* the first error of rl_tk_feed */
};

struct pair {
	SSL_CTX *cctx, *sctx;
	SSL *c, *s;
	BIO *c_in, *c_out, *s_in, *s_out;   /* c_out: what the client wrote */
	struct brk_tls_keys *keys;
	struct rl_tk *tk;
	struct dir d[2];        /* 0 client -> server, 1 back */
	uint8_t *got[2];        /* plaintext the far end read */
	size_t ngot[2];
	size_t chunk;           /* bytes per "read" of the relay (0: all there is) */
	unsigned long step;     /* for varying chunk sizes */
	bool vary;
};

static struct brk_tls_keys *keylog_keys;
static bool keylog_lie;         /* the hooked library logs a wrong master secret */

static void keylog(const SSL *ssl, const char *line)
{
	const char *u = strstr(line, "TRAFFIC_SECRET_");
	char bad[512];

	(void)ssl;
	if (u && u[15] != '0')
		return;         /* after a KeyUpdate: the relay derives those itself */
	if (keylog_lie && !strncmp(line, "CLIENT_RANDOM ", 14) && strlen(line) < sizeof(bad)) {
		strcpy(bad, line);
		bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
		line = bad;
	}
	ck_assert_int_ge(brk_tls_keylog(keylog_keys, 1, (const uint8_t *)line, strlen(line)), 0);
}

static int plain(void *arg, int dir, int ctype, uint8_t *p, size_t n)
{
	struct pair *pr = arg;
	struct dir *d = &pr->d[dir];

	if ((ctype & ~RL_TK_LAST) == RL_CT_APPDATA) {
		ck_assert_uint_le(d->nseen + n, CAP);
		memcpy(d->seen + d->nseen, p, n);
		d->nseen += n;
	} else {
		d->nhs += n;
	}
	return 0;
}

/* A throwaway P-256 certificate for the server. */
static void make_cert(EVP_PKEY **key, X509 **crt)
{
	X509_NAME *nm;

	*key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(*key);
	*crt = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(*crt), 1);
	X509_gmtime_adj(X509_getm_notBefore(*crt), -60);
	X509_gmtime_adj(X509_getm_notAfter(*crt), 3600);
	X509_set_pubkey(*crt, *key);
	nm = X509_get_subject_name(*crt);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"localhost",
				   -1, -1, 0);
	X509_set_issuer_name(*crt, nm);
	ck_assert_int_gt(X509_sign(*crt, *key, EVP_sha256()), 0);
}

static void pair_init(struct pair *pr, int maxver, const char *ciphers, size_t chunk)
{
	EVP_PKEY *key;
	X509 *crt;
	int i;

	memset(pr, 0, sizeof(*pr));
	ck_assert_int_eq(brk_tls_keys_new(&pr->keys), 0);
	brk_tls_keys_set_relay(pr->keys, true);
	keylog_keys = pr->keys;
	ck_assert_int_eq(rl_tk_new(pr->keys, &pr->tk), 0);
	make_cert(&key, &crt);
	pr->cctx = SSL_CTX_new(TLS_client_method());
	pr->sctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_max_proto_version(pr->cctx, maxver);
	SSL_CTX_set_max_proto_version(pr->sctx, maxver);
	if (maxver == TLS1_2_VERSION) {
		ck_assert_int_eq(SSL_CTX_set_cipher_list(pr->cctx, ciphers), 1);
		/* renegotiation is the attack tested: both ends allow it */
		SSL_CTX_clear_options(pr->sctx, SSL_OP_NO_RENEGOTIATION);
		SSL_CTX_clear_options(pr->cctx, SSL_OP_NO_RENEGOTIATION);
	} else if (ciphers) {
		ck_assert_int_eq(SSL_CTX_set_ciphersuites(pr->cctx, ciphers), 1);
	}
	SSL_CTX_set_keylog_callback(pr->cctx, keylog);
	ck_assert_int_eq(SSL_CTX_use_certificate(pr->sctx, crt), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(pr->sctx, key), 1);
	SSL_CTX_set_num_tickets(pr->sctx, 0);
	X509_free(crt);
	EVP_PKEY_free(key);
	pr->c = SSL_new(pr->cctx);
	pr->s = SSL_new(pr->sctx);
	pr->c_in = BIO_new(BIO_s_mem());
	pr->c_out = BIO_new(BIO_s_mem());
	pr->s_in = BIO_new(BIO_s_mem());
	pr->s_out = BIO_new(BIO_s_mem());
	SSL_set_bio(pr->c, pr->c_in, pr->c_out);
	SSL_set_bio(pr->s, pr->s_in, pr->s_out);
	SSL_set_connect_state(pr->c);
	SSL_set_accept_state(pr->s);
	SSL_set_tlsext_host_name(pr->c, "localhost");
	for (i = 0; i < 2; i++) {
		pr->d[i].buf = malloc(CAP);
		pr->d[i].seen = malloc(CAP);
		pr->got[i] = malloc(CAP);
		ck_assert_ptr_nonnull(pr->d[i].buf);
		ck_assert_ptr_nonnull(pr->d[i].seen);
		ck_assert_ptr_nonnull(pr->got[i]);
	}
	pr->chunk = chunk;
}

static void pair_free(struct pair *pr)
{
	int i;

	/* as if closed: a session freed without it is no longer resumed */
	SSL_set_shutdown(pr->c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_set_shutdown(pr->s, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(pr->c);
	SSL_free(pr->s);
	SSL_CTX_free(pr->cctx);
	SSL_CTX_free(pr->sctx);
	rl_tk_free(pr->tk);
	brk_tls_keys_free(pr->keys);
	for (i = 0; i < 2; i++) {
		free(pr->d[i].buf);
		free(pr->d[i].seen);
		free(pr->got[i]);
	}
}

/* The far end of direction dir reads what was forwarded to it. */
static void far_read(struct pair *pr, int dir)
{
	SSL *far = dir ? pr->c : pr->s;
	int n;

	for (;;) {
		n = SSL_read(far, pr->got[dir] + pr->ngot[dir], (int)(CAP - pr->ngot[dir]));
		if (n <= 0)
			break;
		pr->ngot[dir] += (size_t)n;
	}
	ERR_clear_error();
	/* nothing forwarded unscanned: what arrived is a prefix of what was seen */
	ck_assert_uint_le(pr->ngot[dir], pr->d[dir].nseen);
	ck_assert(!memcmp(pr->got[dir], pr->d[dir].seen, pr->ngot[dir]));
}

/*
 * Move what the writing end of dir produced through the relay model:
 * chunk by chunk into the buffer, fed from the first byte not taken,
 * what it takes forwarded to the far end at once.
 */
static void relay(struct pair *pr, int dir)
{
	BIO *from = dir ? pr->s_out : pr->c_out, *to = dir ? pr->c_in : pr->s_in;
	struct dir *d = &pr->d[dir];
	size_t want, used;
	bool waiting;
	int n, rc;

	for (;;) {
		want = pr->chunk ? pr->chunk : CAP - d->len;
		if (pr->vary)   /* 1, 2, 3, 5, 8, ... up to a few records */
			want = 1 + (pr->step++ * 7919) % (pr->chunk ? pr->chunk : 40000);
		if (want > CAP - d->len)
			want = CAP - d->len;
		n = BIO_read(from, d->buf + d->len, (int)want);
		if (n <= 0 && (d->rc || d->fwd == d->len))
			break;
		if (n > 0)
			d->len += (size_t)n;
		if (d->rc)
			continue;       /* the pair was reset: nothing more goes */
		used = 0;
		rc = rl_tk_feed(pr->tk, dir, d->buf + d->fwd, d->len - d->fwd, plain, pr, &used,
				&waiting);
		ck_assert_uint_le(used, d->len - d->fwd);
		if (rc < 0) {
			d->rc = rc;     /* reset: not even the records before it go on */
			continue;
		}
		ck_assert_int_eq(BIO_write(to, d->buf + d->fwd, (int)used) == (int)used || !used, 1);
		d->fwd += used;
		if (used)
			far_read(pr, dir);      /* (nothing new forwarded: nothing to read) */
		if (n <= 0)
			break;  /* held bytes fed again (their keys may have come): done */
	}
}

static void pump(struct pair *pr)
{
	relay(pr, 0);
	relay(pr, 1);
}

static void handshake(struct pair *pr)
{
	int i, rc, rs;

	for (i = 0; i < 40; i++) {
		rc = SSL_do_handshake(pr->c);
		rs = SSL_do_handshake(pr->s);
		pump(pr);
		if (rc == 1 && rs == 1)
			break;
	}
	ck_assert_int_eq(SSL_is_init_finished(pr->c), 1);
	ck_assert_int_eq(SSL_is_init_finished(pr->s), 1);
	ck_assert_int_eq(pr->d[0].rc, 0);
	ck_assert_int_eq(pr->d[1].rc, 0);
	ck_assert_uint_gt(pr->d[1].nhs, 0);
}

/* The client writes n bytes of a pattern in writes of w bytes (records). */
static void client_write(struct pair *pr, size_t n, size_t w, uint8_t *ref, size_t *nref)
{
	size_t off = 0, k;

	while (off < n) {
		k = n - off < w ? n - off : w;
		for (size_t i = 0; i < k; i++)
			ref[*nref + i] = (uint8_t)((*nref + i) * 131 + 7);
		ck_assert_int_eq(SSL_write(pr->c, ref + *nref, (int)k), (int)k);
		*nref += k;
		off += k;
		if (off % (64 * 1024) < w)
			pump(pr);
	}
	pump(pr);
}

static void check_all_arrived(struct pair *pr, const uint8_t *ref, size_t nref)
{
	ck_assert_int_eq(pr->d[0].rc, 0);
	ck_assert_uint_eq(pr->d[0].nseen, nref);        /* scanned once, all of it */
	ck_assert_uint_eq(pr->ngot[0], nref);
	ck_assert(!memcmp(pr->got[0], ref, nref));
	ck_assert_uint_eq(pr->d[0].fwd, pr->d[0].len);  /* no record left behind */
}

/* Splits: every read size from 1 byte (headers split, records split at
 * every offset) up to several records per read; 1-byte records; records
 * of the largest size. TLS 1.3 (AES-GCM, ChaCha20) and TLS 1.2. */
static void run_splits(int maxver, const char *ciphers)
{
	static const size_t chunks[] = { 1, 2, 3, 4, 5, 6, 7, 13, 4096, 16384 + 22, 65472, 0 };
	static const size_t writes[] = { 1, 7, 1000, 16384, 40000 };
	uint8_t *ref = malloc(CAP);
	struct pair pr;
	size_t c, w, nref;

	ck_assert_ptr_nonnull(ref);
	for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
		for (w = 0; w < sizeof(writes) / sizeof(writes[0]); w++) {
			size_t total = writes[w] == 1 ? 300 : chunks[c] && chunks[c] < 8 ? 20000
				       : 150000;

			pair_init(&pr, maxver, ciphers, chunks[c]);
			handshake(&pr);
			nref = 0;
			client_write(&pr, total, writes[w], ref, &nref);
			check_all_arrived(&pr, ref, nref);
			pair_free(&pr);
		}
	/* and reads of every size in turn */
	pair_init(&pr, maxver, ciphers, 40000);
	pr.vary = true;
	handshake(&pr);
	nref = 0;
	client_write(&pr, 500000, 16384, ref, &nref);
	check_all_arrived(&pr, ref, nref);
	pair_free(&pr);
	free(ref);
}

START_TEST(splits_tls13)
{
	run_splits(TLS1_3_VERSION, "TLS_AES_128_GCM_SHA256");
	run_splits(TLS1_3_VERSION, "TLS_CHACHA20_POLY1305_SHA256");
}
END_TEST

START_TEST(splits_tls12)
{
	run_splits(TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384");
}
END_TEST

/* TLS 1.3 padding up to the record limit: the largest records there are. */
START_TEST(padded_records)
{
	uint8_t *ref = malloc(CAP);
	struct pair pr;
	size_t nref = 0;

	pair_init(&pr, TLS1_3_VERSION, NULL, 5000);
	handshake(&pr);
	ck_assert_int_eq(SSL_set_block_padding(pr.c, 16384), 1);
	client_write(&pr, 100, 1, ref, &nref);          /* 1-byte records padded to 16 KiB */
	client_write(&pr, 200000, 16384, ref, &nref);   /* full records, padded */
	client_write(&pr, 100000, 9999, ref, &nref);
	check_all_arrived(&pr, ref, nref);
	ck_assert_uint_gt(pr.d[0].len, 100 * 16384);    /* they were padded */
	pair_free(&pr);
	free(ref);
}
END_TEST

/* KeyUpdate both ways in the middle of a stream, then more data. */
START_TEST(key_update)
{
	uint8_t *ref = malloc(CAP);
	struct pair pr;
	size_t nref = 0;
	int i;

	pair_init(&pr, TLS1_3_VERSION, NULL, 777);
	handshake(&pr);
	for (i = 0; i < 3; i++) {
		client_write(&pr, 50000, 3000, ref, &nref);
		ck_assert_int_eq(SSL_key_update(pr.c, SSL_KEY_UPDATE_REQUESTED), 1);
		client_write(&pr, 1000, 100, ref, &nref);
		/* the server's own update goes out with its next write */
		ck_assert_int_eq(SSL_write(pr.s, "pong", 4), 4);
		pump(&pr);      /* the client reads it (far_read) */
	}
	client_write(&pr, 20000, 1000, ref, &nref);
	check_all_arrived(&pr, ref, nref);
	ck_assert_uint_eq(pr.d[1].nseen, 12);
	ck_assert_uint_eq(pr.ngot[1], 12);
	ck_assert(!memcmp(pr.got[1], "pongpongpong", 12));
	ck_assert_int_eq(pr.d[1].rc, 0);
	pair_free(&pr);
	free(ref);
}
END_TEST

/* A close_notify alert between data (and its record split), then nothing. */
START_TEST(alert_between)
{
	uint8_t *ref = malloc(CAP);
	struct pair pr;
	size_t nref = 0;

	pair_init(&pr, TLS1_3_VERSION, NULL, 3);
	handshake(&pr);
	client_write(&pr, 10000, 1000, ref, &nref);
	(void)SSL_shutdown(pr.c);
	pump(&pr);
	check_all_arrived(&pr, ref, nref);
	pair_free(&pr);
	free(ref);
}
END_TEST

/* A record that does not decrypt: refused, and nothing from it on goes. */
START_TEST(bad_record)
{
	uint8_t *ref = malloc(CAP);
	struct pair pr;
	size_t nref = 0, before;
	struct dir *d = &pr.d[0];

	pair_init(&pr, TLS1_3_VERSION, NULL, 0);
	handshake(&pr);
	client_write(&pr, 5000, 5000, ref, &nref);
	before = pr.ngot[0];
	ck_assert_uint_eq(before, 5000);
	ck_assert_int_eq(SSL_write(pr.c, "token=ghp_secret", 16), 16);
	ck_assert_int_eq(SSL_write(pr.c, "more", 4), 4);
	/* the attacker's byte: the first record's ciphertext, flipped */
	{
		char *q;
		long n = BIO_get_mem_data(pr.c_out, &q);

		ck_assert_int_gt(n, 30);
		q[10] ^= 0x40;
	}
	pump(&pr);
	ck_assert_int_eq(d->rc, -EPROTO);
	ck_assert_uint_eq(pr.ngot[0], before);          /* neither record arrived */
	ck_assert_uint_eq(d->nseen, before);            /* and nothing bogus was scanned */
	pair_free(&pr);
	free(ref);
}
END_TEST

/* TLS 1.2 renegotiation in the middle: refused before the new hello goes. */
START_TEST(renegotiation)
{
	uint8_t *ref = malloc(CAP), b[16];
	struct pair pr;
	size_t nref = 0, fwd;

	pair_init(&pr, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", 11);
	handshake(&pr);
	client_write(&pr, 30000, 1000, ref, &nref);
	fwd = pr.d[0].fwd;
	ck_assert_int_eq(SSL_renegotiate(pr.c), 1);
	(void)SSL_do_handshake(pr.c);
	pump(&pr);
	(void)SSL_read(pr.s, b, sizeof(b));
	ERR_clear_error();
	ck_assert_int_eq(pr.d[0].rc, -EOPNOTSUPP);
	ck_assert_uint_eq(pr.d[0].fwd, fwd);            /* the hello never went on */
	ck_assert_uint_eq(pr.ngot[0], nref);
	pair_free(&pr);
	free(ref);
}
END_TEST

/*
 * A second pair whose client resumes sess with old's server (its context
 * holds the session cache and the ticket keys).
 */
static void pair_resume(struct pair *pr, struct pair *old, SSL_SESSION *sess)
{
	pair_init(pr, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", 0);
	SSL_free(pr->s);
	pr->s = SSL_new(old->sctx);
	pr->s_in = BIO_new(BIO_s_mem());
	pr->s_out = BIO_new(BIO_s_mem());
	SSL_set_bio(pr->s, pr->s_in, pr->s_out);
	SSL_set_accept_state(pr->s);
	ck_assert_int_eq(SSL_set_session(pr->c, sess), 1);
}

/*
 * TLS 1.2 resumption, by ticket and by session id. The abbreviated
 * handshake has the server's Finished first, and OpenSSL logs the master
 * secret only as it writes its own Finished: the relay must let the
 * server's record go before its key (or both wait), open it once the key
 * came, and still hold every client record for it. Then data both ways.
 */
static void run_resume(bool tickets)
{
	uint8_t *ref = malloc(CAP);
	struct pair a, b;
	SSL_SESSION *sess;
	size_t nref = 0;

	ck_assert_ptr_nonnull(ref);
	pair_init(&a, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256", 0);
	if (!tickets) {         /* the server's session cache then */
		SSL_CTX_set_options(a.sctx, SSL_OP_NO_TICKET);
		SSL_set_options(a.s, SSL_OP_NO_TICKET);
	}
	handshake(&a);
	client_write(&a, 1000, 1000, ref, &nref);
	check_all_arrived(&a, ref, nref);
	sess = SSL_get1_session(a.c);
	ck_assert_ptr_nonnull(sess);
	ck_assert_int_eq(SSL_SESSION_is_resumable(sess), 1);
	ck_assert_int_eq(SSL_SESSION_has_ticket(sess), tickets);

	pair_resume(&b, &a, sess);
	handshake(&b);
	ck_assert_int_eq(SSL_session_reused(b.c), 1);
	nref = 0;
	client_write(&b, 30000, 1000, ref, &nref);
	check_all_arrived(&b, ref, nref);
	/* the server's next record: the one forwarded before its key opens first */
	ck_assert_int_eq(SSL_write(b.s, "pong", 4), 4);
	pump(&b);
	ck_assert_int_eq(b.d[1].rc, 0);
	ck_assert_uint_eq(b.ngot[1], 4);
	ck_assert(!memcmp(b.got[1], "pong", 4));
	pair_free(&b);

	/* a wrong master secret for a resumed session: nothing of the client goes */
	keylog_lie = true;
	pair_resume(&b, &a, sess);
	(void)SSL_do_handshake(b.c);
	pump(&b);
	(void)SSL_do_handshake(b.s);
	pump(&b);               /* ServerHello .. Finished: to the client */
	(void)SSL_do_handshake(b.c);
	ck_assert_int_eq(SSL_session_reused(b.c), 1);
	(void)SSL_write(b.c, "token=ghp_secret", 16);
	pump(&b);               /* the client's Finished and data: do not decrypt */
	ck_assert_int_eq(b.d[0].rc, -EPROTO);
	ck_assert_uint_eq(b.d[0].nseen, 0);
	ck_assert_uint_eq(b.ngot[0], 0);
	ck_assert_int_eq(SSL_is_init_finished(b.s), 0);    /* its Finished never went */
	keylog_lie = false;
	pair_free(&b);

	SSL_SESSION_free(sess);
	pair_free(&a);
	free(ref);
}

START_TEST(resume_tls12_ticket)
{
	run_resume(true);
}
END_TEST

START_TEST(resume_tls12_session_id)
{
	run_resume(false);
}
END_TEST

/*
 * A ClientHello body with one extension (type, data) for the SNI parser:
 * version, random, empty session id, one suite, null compression.
 */
static size_t sni_hello(uint8_t *b, unsigned type, const uint8_t *ext, size_t n)
{
	size_t o = 0;

	b[o++] = 3; b[o++] = 3;
	memset(b + o, 0x11, 32); o += 32;
	b[o++] = 0;                             /* session id */
	b[o++] = 0; b[o++] = 2; b[o++] = 0x13; b[o++] = 0x01;
	b[o++] = 1; b[o++] = 0;                 /* compression */
	b[o++] = (uint8_t)((n + 4) >> 8); b[o++] = (uint8_t)(n + 4);
	b[o++] = (uint8_t)(type >> 8); b[o++] = (uint8_t)type;
	b[o++] = (uint8_t)(n >> 8); b[o++] = (uint8_t)n;
	memcpy(b + o, ext, n);
	return o + n;
}

/* redteam-egress3: an SNI the parser cannot read is "?", never "no name" */
START_TEST(sni_parse)
{
	static const uint8_t one[] = { 0, 12, 0, 0, 9, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't' };
	static const uint8_t two[] = { 0, 16, 0, 0, 1, 'a', 0, 0, 1, 'b', 1, 0, 3, 'x', 'y', 'z' };
	static const uint8_t badtype[] = { 0, 4, 1, 0, 1, 'a' };
	uint8_t b[600], ext[400];
	char out[256];
	size_t n;

	rl_tls_parse_sni(b, sni_hello(b, 0, one, sizeof(one)), out, sizeof(out));
	ck_assert_str_eq(out, "localhost");
	rl_tls_parse_sni(b, sni_hello(b, 16, one, sizeof(one)), out, sizeof(out));
	ck_assert_str_eq(out, "");              /* ALPN, no server_name: no name */
	rl_tls_parse_sni(b, sni_hello(b, 0, two, sizeof(two)), out, sizeof(out));
	ck_assert_str_eq(out, "?");             /* a second entry would leave unread */
	rl_tls_parse_sni(b, sni_hello(b, 0, badtype, sizeof(badtype)), out, sizeof(out));
	ck_assert_str_eq(out, "?");
	/* a name of 300 bytes (the buffer holds 255) */
	memset(ext, 'a', sizeof(ext));
	n = 300;
	ext[0] = (uint8_t)((n + 3) >> 8); ext[1] = (uint8_t)(n + 3);
	ext[2] = 0; ext[3] = (uint8_t)(n >> 8); ext[4] = (uint8_t)n;
	rl_tls_parse_sni(b, sni_hello(b, 0, ext, n + 5), out, sizeof(out));
	ck_assert_str_eq(out, "?");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tlsdec");
	TCase *tc = tcase_create("tlsdec");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, splits_tls13);
	tcase_add_test(tc, splits_tls12);
	tcase_add_test(tc, padded_records);
	tcase_add_test(tc, key_update);
	tcase_add_test(tc, alert_between);
	tcase_add_test(tc, bad_record);
	tcase_add_test(tc, renegotiation);
	tcase_add_test(tc, resume_tls12_ticket);
	tcase_add_test(tc, resume_tls12_session_id);
	tcase_add_test(tc, sni_parse);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
