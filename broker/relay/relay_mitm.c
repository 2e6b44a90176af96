/* SPDX-License-Identifier: MIT */
/*
 * relay_mitm.c - the relay's CA path, for TLS clients without hooks (bun's
 * BoringSSL, Go crypto/tls, rustls, node-forge, a fake ClientHello): the
 * relay terminates the jail side's TLS with a leaf the session CA minted
 * for the requested name (tls_ca.c), connects upstream with TLS verifying
 * against the real trust store (same SNI, the ALPN list the client
 * offered; the client gets what upstream chose, so HTTP/2 where both
 * speak it), and feeds the plaintext in between to the engine through
 * rl_scan_feed() exactly as plain TCP is fed (HTTP/1.1, h2, decoded
 * bodies; EGRESS refuses findings, INGRESS never for size).
 *
 * Order of one session, all non-blocking on the pair's epoll thread:
 *  HELLO     the client's first bytes (already scanned raw) go into a
 *            memory BIO; OpenSSL parses the ClientHello and the hello
 *            callback suspends the handshake (SSL_CLIENT_HELLO_RETRY);
 *            not a ClientHello at all: refused;
 *  decide    `blind HOST` for this SNI and address: hand the raw bytes
 *            back to relay.c (uninspected TLS, every event names the
 *            line); else
 *  UPSTREAM  TLS to the upstream socket; an invalid certificate or any
 *            other failure resumes the client's handshake only to fail
 *            it (alert handshake_failure) with an event: never a
 *            silently trusted connection;
 *  DOWN      the client's handshake resumes with the minted leaf; a
 *            client that refuses it (own root store, pinning) fails
 *            here: event and stderr line name the program, the host and
 *            the `blind HOST` line that would pass it;
 *  DATA      plaintext both ways, scanned before it is re-encrypted.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "broker/broker.h"
#include "broker/event.h"
#include "broker/policy.h"
#include "broker/relay/relay_int.h"
#include "broker/relay/tls_ca.h"
#include "broker/relay/tls_rec.h"
#include "broker/relay/tls_resume.h"
#include "broker/relay/tls_roots.h"
#include "broker/session.h"
#include "broker/scan/scan.h"
#include "common/log.h"

#define MITM_PLAIN 32768          /* plaintext per step: what is there, up to two records */
#define MITM_READ_AHEAD 32768     /* OpenSSL reads this much ciphertext per syscall */
#define MITM_RAW_MAX (64 * 1024)  /* raw ClientHello bytes kept for a blind pass */
#define MITM_STEPS 64             /* state machine steps per wake-up */

struct rl_tls {
	struct brk_tls_ca *ca;      /* not owned */
	char *upstream_ca;          /* NULL: the host's trust store */
	pthread_mutex_t lock;       /* the rest: made at the first session */
	bool ready;
	SSL_CTX *down;              /* we are the server to the jail */
	SSL_CTX *up;                /* we are the client to upstream */
	struct rl_resume *resume;   /* sessions of both legs (tls_resume.c) */
	struct rl_roots_live *live; /* upstream trust as it is on disk now */
};

enum mitm_state { M_HELLO, M_UPSTREAM, M_DOWN, M_DOWN_FAIL, M_DATA, M_CLOSING };

struct mitm_dir {
	uint8_t buf[MITM_PLAIN];
	size_t off, len;            /* plaintext scanned, not yet written */
	size_t held;                /* then buf[len..len + held): a tail the border
				     * holds (it may start a placeholder) */
	bool shut;                  /* the source ended: pass it on once written */
	bool eof;
	struct rl_scan scan;
};

struct rl_mitm {
	struct brk_ctx *ctx;
	struct rl_tls *tls;
	struct rl_who who;          /* host: the name verified upstream */
	char addr_host[256];        /* the name the broker handed for the address */
	unsigned long store_gen;    /* of the trust store upstream verifies against */
	int jfd, ufd;
	SSL *cs, *us;
	BIO *jrb;                   /* memory BIO: bytes the jail wrote */
	enum mitm_state st;
	bool hello_seen;
	bool ech;                   /* the jail's hello offers encrypted_client_hello */
	struct rl_scan *raw_scan;   /* the pair's raw egress scan (relay.c) */
	uint8_t *raw;               /* the jail's raw bytes until the hello is decided */
	size_t nraw, nscanned;
	char sni[256];
	uint8_t alpn[256];          /* the client's offer, wire format */
	size_t nalpn;
	uint8_t up_alpn[256];       /* upstream's choice */
	size_t nup_alpn;
	bool rsa_only;              /* the client offers no suite an ECDSA leaf can serve */
	X509 *leaf;
	EVP_PKEY *leaf_key;
	bool jin, jout, uin, uout;  /* what the last operations waited for */
	bool jeof;
	bool stalled;               /* the test hook delayed a read (relay.c) */
	struct mitm_dir d[2];       /* 0 jail -> upstream, 1 upstream -> jail */
	char note[400];             /* "blind HOST (ORIGIN)" of a blind flow */
};

/* ---- events ------------------------------------------------------------ */

static void mitm_event(struct rl_mitm *m, int verdict, const char *rule, const char *reason)
{
	struct brk_event ev = { .op = "send", .verdict = verdict, .rule = rule,
				.reason = reason, .layers = "relay:tls-ca" };

	ev.pid = m->who.pid;
	ev.exe = m->who.exe;
	ev.host = m->who.host[0] ? m->who.host : NULL;
	ev.addr = &m->who.a;
	ev.port = m->who.port;
	ev.enforced = !m->ctx->monitor;
	brk_eventlog_write(m->ctx->log, &ev);
}

static const char *mitm_exe(const struct rl_mitm *m)
{
	return m->who.exe[0] ? m->who.exe : "an unknown program";
}

static const char *mitm_host(struct rl_mitm *m)
{
	if (m->who.host[0])
		return m->who.host;
	brk_addr_format(&m->who.a, m->who.host, sizeof(m->who.host));
	return m->who.host;
}

/* The last OpenSSL error in words (no secrets: library reason strings). */
static void mitm_ssl_why(char *dst, size_t cap)
{
	unsigned long e = ERR_peek_last_error();

	snprintf(dst, cap, "%s", e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e)
		 : "TLS error" : "connection closed");
	ERR_clear_error();
}

/* ---- the ClientHello ------------------------------------------------- */

/* server_name: list(2) type(1) len(2) name */
static void mitm_get_sni(SSL *s, char *dst, size_t cap)
{
	const unsigned char *p;
	size_t n, l;

	dst[0] = '\0';
	if (!SSL_client_hello_get0_ext(s, TLSEXT_TYPE_server_name, &p, &n) || n < 5 ||
	    p[2] != TLSEXT_NAMETYPE_host_name)
		return;
	l = (size_t)p[3] << 8 | p[4];
	if (l + 5 > n || l >= cap || memchr(p + 5, 0, l))
		return;
	memcpy(dst, p + 5, l);
	dst[l] = '\0';
}

/* Can any offered suite use an ECDSA certificate (TLS 1.3 when tls13, else
 * ECDHE_ECDSA of TLS 1.2 and older only)? */
static bool mitm_ecdsa_suite(SSL *s, bool tls13)
{
	const unsigned char *p;
	size_t n = SSL_client_hello_get0_ciphers(s, &p), i;

	for (i = 0; i + 1 < n; i += 2) {
		unsigned c = (unsigned)p[i] << 8 | p[i + 1];

		if ((tls13 && (c >> 8) == 0x13) || c == 0xc009 || c == 0xc00a || c == 0xc023 ||
		    c == 0xc024 || c == 0xc02b || c == 0xc02c || c == 0xcca9)
			return true;
	}
	return false;
}

static bool mitm_ecdsa_ok(SSL *s)
{
	return mitm_ecdsa_suite(s, true);
}

static void mitm_get_alpn(SSL *s, uint8_t *dst, size_t cap, size_t *len)
{
	const unsigned char *p;
	size_t n, l;

	*len = 0;
	if (!SSL_client_hello_get0_ext(s, TLSEXT_TYPE_application_layer_protocol_negotiation,
				       &p, &n) || n < 2)
		return;
	l = (size_t)p[0] << 8 | p[1];
	if (l + 2 > n || l > cap)
		return;
	memcpy(dst, p + 2, l);
	*len = l;
}

/*
 * Does the client speak TLS 1.2 (supported_versions lists 0x0303)? Then,
 * when it also offers a TLS 1.2 suite our ECDSA leaf serves (else only its
 * TLS 1.3 suites can), the jail leg is TLS 1.2: its resumption is abbreviated (no key exchange on
 * either side, and a client reuses one session for parallel connections,
 * where a TLS 1.3 ticket serves one connection and still costs an ECDHE),
 * see README.md "The jail leg's version". The leg is loopback to this
 * broker, which holds the plaintext anyway; upstream keeps TLS 1.3.
 */
static bool mitm_offers_tls12(SSL *s)
{
	const unsigned char *p;
	size_t n, i;

	if (!SSL_client_hello_get0_ext(s, TLSEXT_TYPE_supported_versions, &p, &n) || n < 1 ||
	    (size_t)p[0] + 1 > n)
		return false;   /* no list: a TLS 1.2-or-older client, nothing to cap */
	for (i = 1; i + 1 <= p[0]; i += 2)
		if (p[i] == 0x03 && p[i + 1] == 0x03)
			return true;
	return false;
}

#define MITM_EXT_ECH 0xfe0d     /* encrypted_client_hello (draft-ietf-tls-esni) */

/*
 * Does the jail's hello (its first record, as read) offer ECH? Read from
 * the raw bytes: OpenSSL 3.0 keeps no extension it does not know, so
 * SSL_client_hello_get0_ext() never finds this one.
 */
static bool mitm_raw_ech(const struct rl_mitm *m)
{
	struct rl_tls_ext_it it;
	const uint8_t *d;
	unsigned type;
	size_t l, len, rec;

	if (m->nraw < 9 || m->raw[0] != 0x16 || m->raw[5] != 1)
		return false;
	rec = (size_t)(m->raw[3] << 8 | m->raw[4]);
	if (rec < 4)
		return false;
	len = (size_t)m->raw[6] << 16 | (size_t)m->raw[7] << 8 | m->raw[8];
	len = len < rec - 4 ? len : rec - 4;
	len = len < m->nraw - 9 ? len : m->nraw - 9;
	if (rl_tls_ext_begin(&it, m->raw + 9, len, true) < 0)
		return false;
	while (rl_tls_ext_next(&it, &type, &d, &l) > 0)
		if (type == MITM_EXT_ECH)
			return true;
	return false;
}

/* First call: note the hello and suspend; then finish or fail the handshake. */
static int mitm_hello_cb(SSL *s, int *al, void *arg)
{
	struct rl_mitm *m = SSL_get_app_data(s);

	(void)arg;
	if (!m->hello_seen) {
		m->hello_seen = true;
		mitm_get_sni(s, m->sni, sizeof(m->sni));
		mitm_get_alpn(s, m->alpn, sizeof(m->alpn), &m->nalpn);
		m->rsa_only = !mitm_ecdsa_ok(s);
		m->ech = mitm_raw_ech(m);
		/* before OpenSSL picks the version (after this callback): no
		 * TLS 1.3 offered by us, so no downgrade sentinel either; a
		 * client with RSA-only TLS 1.2 suites keeps TLS 1.3 */
		if (mitm_offers_tls12(s) && mitm_ecdsa_suite(s, false) &&
		    SSL_set_max_proto_version(s, TLS1_2_VERSION) != 1)
			return SSL_CLIENT_HELLO_ERROR;
		return SSL_CLIENT_HELLO_RETRY;
	}
	if (m->st == M_DOWN && m->leaf && SSL_use_certificate(s, m->leaf) == 1 &&
	    SSL_use_PrivateKey(s, m->leaf_key) == 1)
		return SSL_CLIENT_HELLO_SUCCESS;
	*al = SSL_AD_HANDSHAKE_FAILURE;
	return SSL_CLIENT_HELLO_ERROR;
}

/* The client gets upstream's choice, or no ALPN when upstream chose none. */
static int mitm_alpn_cb(SSL *s, const unsigned char **out, unsigned char *outlen,
			const unsigned char *in, unsigned int inlen, void *arg)
{
	struct rl_mitm *m = SSL_get_app_data(s);
	unsigned i = 0;

	(void)arg;
	while (m->nup_alpn && i < inlen) {
		unsigned l = in[i];

		if (i + 1 + l > inlen)
			break;
		if (l == m->nup_alpn && !memcmp(in + i + 1, m->up_alpn, l)) {
			*out = in + i + 1;
			*outlen = (unsigned char)l;
			return SSL_TLSEXT_ERR_OK;
		}
		i += 1 + l;
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* ---- contexts ----------------------------------------------------------- */

/*
 * The two contexts, made at the first CA-path session (under t->lock):
 * OpenSSL 3's SSL_CTX_new and the host's ~150 roots cost a session that
 * never meets unhooked TLS several ms of start-up otherwise. 0 or -EIO.
 */
static int mitm_ready(struct rl_tls *t)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if (t->ready)
		goto out;
	rc = -EIO;
	t->down = SSL_CTX_new(TLS_server_method());
	t->up = SSL_CTX_new(TLS_client_method());
	if (!t->down || !t->up)
		goto out;
	SSL_CTX_set_min_proto_version(t->down, TLS1_2_VERSION);
	SSL_CTX_set_min_proto_version(t->up, TLS1_2_VERSION);
	SSL_CTX_set_options(t->down, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_options(t->up, SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(t->down, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_mode(t->up, SSL_MODE_ENABLE_PARTIAL_WRITE |
			 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* several records per read syscall (upstream) or BIO copy (jail side) */
	SSL_CTX_set_read_ahead(t->down, 1);
	SSL_CTX_set_read_ahead(t->up, 1);
	SSL_CTX_set_default_read_buffer_len(t->down, MITM_READ_AHEAD);
	SSL_CTX_set_default_read_buffer_len(t->up, MITM_READ_AHEAD);
	if (brk_tls_ca_has_rsa(t->ca)) {
		/* RSA-only clients (node-forge: TLS 1.1, RSA key transport): the
		 * leg to the jail is loopback inside this machine; upstream keeps
		 * the library's defaults */
		SSL_CTX_set_min_proto_version(t->down, TLS1_VERSION);
		SSL_CTX_set_cipher_list(t->down, "DEFAULT:@SECLEVEL=0");
	}
	SSL_CTX_set_client_hello_cb(t->down, mitm_hello_cb, NULL);
	SSL_CTX_set_alpn_select_cb(t->down, mitm_alpn_cb, NULL);
	SSL_CTX_set_verify(t->up, SSL_VERIFY_PEER, NULL);
	/* every upstream connection verifies against the store as it is now
	 * (SSL_set1_verify_cert_store): the file, or the default paths read on
	 * demand, read again when they change; the context's stays empty */
	if (rl_roots_live_new(t->upstream_ca, &t->live) < 0)
		goto out;
	/* resumption on both legs: tickets to the jail, sessions upstream */
	if (rl_resume_new(t->down, t->up, &t->resume) < 0)
		goto out;
	t->ready = true;
	rc = 0;
out:
	ERR_clear_error();
	if (rc < 0) {
		SSL_CTX_free(t->down);
		SSL_CTX_free(t->up);
		t->down = t->up = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

int rl_tls_new(struct brk_tls_ca *ca, const char *upstream_ca, struct rl_tls **out,
	       char *err, size_t errlen)
{
	struct rl_tls *t;
	X509 *x = NULL;
	FILE *f;

	*out = NULL;
	if (upstream_ca) {
		/* a file given on the command line is checked now */
		f = fopen(upstream_ca, "re");
		x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
		if (f)
			fclose(f);
		ERR_clear_error();
		if (!x) {
			snprintf(err, errlen, "cannot load the upstream trust store %s: %s",
				 upstream_ca, f ? "no PEM certificate in it" : strerror(errno));
			return -EINVAL;
		}
		X509_free(x);
	}
	t = calloc(1, sizeof(*t));
	if (!t || (upstream_ca && !(t->upstream_ca = strdup(upstream_ca)))) {
		free(t);
		return -ENOMEM;
	}
	t->ca = ca;
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void rl_tls_free(struct rl_tls *t)
{
	unsigned long full[2], resumed[2];

	if (!t)
		return;
	if (t->resume) {
		rl_resume_stats(t->resume, full, resumed);
		dlp_log(DLP_LOG_DEBUG, "relay: CA path handshakes: jail leg %lu full, %lu "
			"resumed; upstream leg %lu full, %lu resumed", full[0], resumed[0],
			full[1], resumed[1]);
	}
	rl_resume_free(t->resume);
	rl_roots_live_free(t->live);
	SSL_CTX_free(t->down);
	SSL_CTX_free(t->up);
	pthread_mutex_destroy(&t->lock);
	free(t->upstream_ca);
	free(t);
}

/* ---- one session ------------------------------------------------------ */

int rl_mitm_new(struct brk_ctx *ctx, struct rl_tls *tls, const struct rl_who *w,
		struct rl_scan *raw_scan, int jfd, int ufd, const uint8_t *first, size_t n,
		struct rl_mitm **out)
{
	struct rl_mitm *m = calloc(1, sizeof(*m));
	BIO *wb = NULL;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	m->ctx = ctx;
	m->tls = tls;
	m->who = *w;
	snprintf(m->addr_host, sizeof(m->addr_host), "%s", w->host);
	m->raw_scan = raw_scan;
	m->jfd = jfd;
	m->ufd = ufd;
	m->d[0].scan.dir = BRK_SCAN_EGRESS;
	m->d[1].scan.dir = BRK_SCAN_INGRESS;
	m->d[0].scan.tls = m->d[1].scan.tls = -1;   /* plaintext: no gate */
	m->d[0].scan.via = m->d[1].scan.via = "relay:tls-ca";
	m->d[0].scan.ca = m->d[1].scan.ca = true;       /* the border swap's binding */
	/* plaintext: no TLS sniffing or key path inside the terminated session */
	m->d[0].scan.tls = m->d[1].scan.tls = -1;
	m->raw = malloc(MITM_RAW_MAX);
	if (mitm_ready(tls) < 0) {
		dlp_log(DLP_LOG_WARN, "relay: cannot set up TLS for the CA path (trust store %s)",
			tls->upstream_ca ? tls->upstream_ca : "of the host");
		rl_mitm_free(m);
		return -EIO;
	}
	m->cs = SSL_new(tls->down);
	m->jrb = BIO_new(BIO_s_mem());
	wb = BIO_new_socket(jfd, BIO_NOCLOSE);
	if (!m->raw || !m->cs || !m->jrb || !wb || n > MITM_RAW_MAX ||
	    BIO_write(m->jrb, first, (int)n) != (int)n) {
		BIO_free(wb);
		BIO_free(m->jrb);   /* not the SSL's yet */
		rl_mitm_free(m);
		return -ENOMEM;
	}
	BIO_set_mem_eof_return(m->jrb, -1);      /* empty: "retry", not EOF */
	SSL_set_bio(m->cs, m->jrb, wb);
	SSL_set_app_data(m->cs, m);
	SSL_set_accept_state(m->cs);
	memcpy(m->raw, first, n);
	m->nraw = m->nscanned = n;
	*out = m;
	return 0;
}

void rl_mitm_free(struct rl_mitm *m)
{
	if (!m)
		return;
	SSL_free(m->cs);   /* and its BIOs */
	SSL_free(m->us);
	X509_free(m->leaf);
	EVP_PKEY_free(m->leaf_key);
	rl_scan_free(&m->d[0].scan);
	rl_scan_free(&m->d[1].scan);
	free(m->raw);
	free(m);
}

X509_STORE *rl_tls_store(struct rl_tls *t)
{
	X509_STORE *st = NULL;

	if (!t || mitm_ready(t) < 0 || rl_roots_live_get(t->live, &st, NULL) < 0)
		return NULL;
	return st;
}

/* The upstream leg verifies against the trust store as it is now (its own
 * reference: a store replaced meanwhile lives as long as this connection). */
static int mitm_up_store(struct rl_mitm *m)
{
	X509_STORE *st;

	if (rl_roots_live_get(m->tls->live, &st, &m->store_gen) < 0)
		return -EIO;
	return SSL_set1_verify_cert_store(m->us, st) == 1 ? 0 : -ENOMEM;
}

/*
 * The secretless jail's border (relay_swap.c) swaps HTTP/1.1 headers, not
 * HPACK Huffman strings: where a credential would be swapped on this
 * session (the verified name is a bound home), "h2" is taken out of the
 * client's ALPN list when it offers something else, so both legs speak
 * HTTP/1.1 (the jail's leg gets upstream's choice).
 */
static void mitm_alpn_for_swap(struct rl_mitm *m)
{
	struct rl_swap_bind b;
	uint8_t out[sizeof(m->alpn)];
	size_t i = 0, o = 0, l;

	if (!m->nalpn || !rl_swap_active(m->ctx->swaps) ||
	    !brk_resolved_has(m->ctx->resolved, m->who.host, &m->who.a) ||
	    !rl_swap_bind(m->ctx->swaps, m->who.host, &b))
		return;
	while (i < m->nalpn && (l = m->alpn[i]) && i + 1 + l <= m->nalpn) {
		if (!(l == 2 && !memcmp(m->alpn + i + 1, "h2", 2))) {
			memcpy(out + o, m->alpn + i, 1 + l);
			o += 1 + l;
		}
		i += 1 + l;
	}
	if (o && o < m->nalpn) {
		memcpy(m->alpn, out, o);
		m->nalpn = o;
	}
}

const uint8_t *rl_mitm_raw(const struct rl_mitm *m, size_t *n, size_t *scanned)
{
	*n = m->nraw;
	*scanned = m->nscanned;
	return m->raw;
}

/* More of the jail's bytes into the memory BIO: 1 got some, 0 none now, <0 error. */
static int mitm_jail_fill(struct rl_mitm *m)
{
	uint8_t b[MITM_PLAIN];
	size_t used;
	ssize_t n;

	if (m->jeof)
		return 0;
	n = recv(m->jfd, b, sizeof(b), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			m->jin = true;
			return 0;
		}
		return -errno;
	}
	if (n == 0) {
		m->jeof = true;
		BIO_set_mem_eof_return(m->jrb, 0);
		return 1; /* let OpenSSL see the end */
	}
	if (rl_test_stall())    /* only a delay (relay.c): then back to epoll */
		m->stalled = true;
	if (!m->hello_seen) {
		/* raw bytes are scanned raw, as on any stream: a fake hello
		 * followed by a secret is found here (and never forwarded) */
		if (m->nraw + (size_t)n > MITM_RAW_MAX ||
		    rl_scan_feed(m->ctx, m->raw_scan, &m->who, b, (size_t)n, &used) < 0)
			return -EACCES;
		memcpy(m->raw + m->nraw, b, (size_t)n);
		m->nraw += (size_t)n;
		m->nscanned = m->nraw;
	}
	return BIO_write(m->jrb, b, (int)n) == (int)n ? 1 : -ENOMEM;
}

/*
 * Map an SSL result: 1 progress possible (the jail BIO got bytes), 0 wait
 * (interest noted), -1 failed, -2 the raw scan refused the jail's bytes.
 */
static int mitm_wait(struct rl_mitm *m, SSL *ssl, int ret)
{
	int e = SSL_get_error(ssl, ret), r;

	if (e == SSL_ERROR_WANT_READ) {
		if (ssl != m->cs) {
			m->uin = true;
			return 0;
		}
		r = mitm_jail_fill(m);
		return r == -EACCES ? -2 : r < 0 ? -1 : r;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		if (ssl == m->cs)
			m->jout = true;
		else
			m->uout = true;
		return 0;
	}
	return -1;
}

/* Is this failure of the jail-side handshake the client refusing our leaf? */
static bool mitm_refused_leaf(void)
{
	unsigned long e = ERR_peek_last_error();
	int r = ERR_GET_REASON(e);

	if (!e)
		return true;  /* closed the connection after our certificate */
	return r == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
	       r == SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE ||
	       r == SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED ||
	       r == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED ||
	       r == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN ||
	       r == SSL_R_TLSV1_ALERT_UNKNOWN_CA || r == SSL_R_TLSV1_ALERT_ACCESS_DENIED ||
	       r == SSL_R_TLSV1_ALERT_DECRYPT_ERROR || r == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

/* The hello is parsed: pass blind, or start the upstream handshake. */
static int mitm_decide(struct rl_mitm *m)
{
	const struct brk_policy *pol = atomic_load(&m->ctx->policy);
	const char *name = m->sni[0] ? m->sni : NULL, *origin;
	char why[1400], ip[64];
	ASN1_OCTET_STRING *lit = name ? a2i_IPADDRESS(name) : NULL;

	/* exact names only, and only the name the broker handed for this address */
	origin = name && !lit && !strcasecmp(name, m->addr_host) ? brk_policy_blind(pol, name)
		: NULL;
	if (origin && m->ech) {
		/* a blind flow forwards the jail's hello as it is: with ECH the
		 * server behind the front is the inner hello's, never judged */
		snprintf(why, sizeof(why), "TLS from %s to %s refused: encrypted_client_hello "
			 "(ECH) in a hello to a blind host would reach a server named only in "
			 "its encrypted inner hello, uninspected", mitm_exe(m), name);
		mitm_event(m, BRK_DENY, "relay-tls", why);
		ASN1_OCTET_STRING_free(lit);
		return -EACCES;
	}
	if (origin) {
		snprintf(m->note, sizeof(m->note), "blind %s (%s)", name, origin);
		snprintf(why, sizeof(why), "TLS from %s to %s passed uninspected (%s)",
			 mitm_exe(m), name, m->note);
		snprintf(m->who.host, sizeof(m->who.host), "%s", name);
		mitm_event(m, BRK_ALLOW, m->note, why);
		ASN1_OCTET_STRING_free(lit);
		return RL_MITM_BLIND;
	}
	m->us = SSL_new(m->tls->up);
	if (!m->us || SSL_set_fd(m->us, m->ufd) != 1 || mitm_up_store(m) < 0) {
		ASN1_OCTET_STRING_free(lit);
		return -ENOMEM;
	}
	if (name && !lit) {
		struct brk_decision d;

		/* the name the client asked for is the name upstream must prove;
		 * it travels upstream in our hello: a name the policy does not
		 * allow (an exfiltration-shaped SNI) is refused like a lookup */
		if (brk_host_normalise(name, m->who.host, sizeof(m->who.host)) < 0) {
			snprintf(why, sizeof(why), "TLS from %s: server name is not a host name",
				 mitm_exe(m));
			m->who.host[0] = '\0';
			mitm_event(m, BRK_DENY, "relay-tls", why);
			ASN1_OCTET_STRING_free(lit);
			return -EACCES;
		}
		memset(&d, 0, sizeof(d));
		if (strcasecmp(m->who.host, m->addr_host))
			brk_policy_check_host(pol, m->who.host, &d);
		if (d.verdict != BRK_ALLOW) {
			snprintf(why, sizeof(why), "TLS from %s: server name not allowed: %s",
				 mitm_exe(m), d.reason);
			m->who.host[0] = '\0';
			mitm_event(m, BRK_DENY, d.rule[0] ? d.rule : "relay-tls", why);
			ASN1_OCTET_STRING_free(lit);
			return -EACCES;
		}
		/* no name check set is no verification: fail closed */
		if (SSL_set_tlsext_host_name(m->us, m->who.host) != 1 ||
		    SSL_set1_host(m->us, m->who.host) != 1) {
			ASN1_OCTET_STRING_free(lit);
			return -ENOMEM;
		}
	} else {
		brk_addr_format(&m->who.a, ip, sizeof(ip));
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(m->us), name ? name : ip) != 1) {
			ASN1_OCTET_STRING_free(lit);
			return -ENOMEM;
		}
		snprintf(m->who.host, sizeof(m->who.host), "%s", name ? name : ip);
	}
	ASN1_OCTET_STRING_free(lit);
	if (m->ech) {
		/* terminated here: the upstream hello is the relay's own, without
		 * ECH, for the outer name the policy judged above and the
		 * certificate must prove; a client that insists on ECH fails */
		snprintf(why, sizeof(why), "TLS from %s: encrypted_client_hello (ECH) not "
			 "offered upstream; the session goes to the outer name %s", mitm_exe(m),
			 m->who.host);
		mitm_event(m, BRK_ALLOW, "relay-ech", why);
	}
	brk_addr_format(&m->who.a, ip, sizeof(ip));
	mitm_alpn_for_swap(m);
	if (m->nalpn)
		SSL_set_alpn_protos(m->us, m->alpn, (unsigned)m->nalpn);
	/* a session of an earlier verified handshake for this very name */
	if (rl_resume_up_prepare(m->tls->resume, m->us, m->who.host, ip, m->who.port, m->alpn,
				 m->nalpn, m->store_gen) < 0)
		return -ENOMEM;
	SSL_set_connect_state(m->us);
	m->st = M_UPSTREAM;
	return 0;
}

/* Upstream's handshake is done or failed: resume the client's. */
static void mitm_upstream_done(struct rl_mitm *m, bool ok)
{
	const unsigned char *a = NULL;
	unsigned al = 0;
	long vr;
	char why[900], err[200];

	if (!ok) {
		vr = SSL_get_verify_result(m->us);
		mitm_ssl_why(err, sizeof(err));
		snprintf(why, sizeof(why), "TLS to %s for %s refused: %s%s; the client's "
			 "handshake is failed (never a silently trusted connection)", mitm_host(m),
			 mitm_exe(m), vr != X509_V_OK ? "invalid upstream certificate: " : "",
			 vr != X509_V_OK ? X509_verify_cert_error_string(vr) : err);
		mitm_event(m, BRK_DENY, "relay-tls-upstream", why);
		dlp_log(DLP_LOG_WARN, "%s", why);
		m->st = M_DOWN_FAIL;
		return;
	}
	if (rl_resume_up_check(m->us) < 0) {
		/* resumed, but not with a session verified for exactly this
		 * name, address, port, ALPN offer and trust store */
		snprintf(why, sizeof(why), "TLS to %s for %s refused: a resumed upstream session "
			 "that was not verified for this connection; the client's handshake is "
			 "failed", mitm_host(m), mitm_exe(m));
		mitm_event(m, BRK_DENY, "relay-tls-upstream", why);
		dlp_log(DLP_LOG_WARN, "%s", why);
		m->st = M_DOWN_FAIL;
		return;
	}
	rl_resume_count(m->tls->resume, m->us, 1);
	SSL_get0_alpn_selected(m->us, &a, &al);
	if (a && al) {
		memcpy(m->up_alpn, a, al);
		m->nup_alpn = al;
	}
	if (brk_tls_ca_leaf(m->tls->ca, m->who.host, m->rsa_only, &m->leaf, &m->leaf_key) < 0) {
		snprintf(why, sizeof(why), "TLS from %s to %s: cannot mint a certificate",
			 mitm_exe(m), mitm_host(m));
		mitm_event(m, BRK_DENY, "relay-tls", why);
		m->st = M_DOWN_FAIL;
		return;
	}
	/* the jail's tickets name the host verified above, and serve it only */
	if (rl_resume_down_bind(m->cs, m->who.host) < 0) {
		m->st = M_DOWN_FAIL;
		return;
	}
	m->st = M_DOWN;
}

static void mitm_refusal(struct rl_mitm *m)
{
	char why[1600], err[200];
	const char *h = mitm_host(m);
	bool leaf = mitm_refused_leaf();

	mitm_ssl_why(err, sizeof(err));
	if (leaf)
		snprintf(why, sizeof(why), "TLS client %s refused the session CA for %s (%s: its "
			 "own root store or a pinned key); the policy line 'blind %s' lets it "
			 "through uninspected%s", mitm_exe(m), h, err, h,
			 strcasecmp(h, m->addr_host) ? " when it connects to an address dlpjail "
			 "resolved for that name (this one it did not)" : "");
	else
		snprintf(why, sizeof(why), "TLS handshake of %s with %s failed: %s", mitm_exe(m),
			 h, err);
	mitm_event(m, BRK_DENY, "relay-tls-ca", why);
	if (leaf)
		dlp_log(DLP_LOG_WARN, "%s", why);
}

/* Handshake states: 1 progressed, 0 waiting, <0 reset, RL_MITM_BLIND, 2 closing. */
static int mitm_handshake_step(struct rl_mitm *m)
{
	char why[1200], err[200];
	int r, w;

	switch (m->st) {
	case M_HELLO:
		r = SSL_do_handshake(m->cs);
		if (SSL_get_error(m->cs, r) == SSL_ERROR_WANT_CLIENT_HELLO_CB) {
			ERR_clear_error();
			r = mitm_decide(m);
			return r ? r : 1;
		}
		w = mitm_wait(m, m->cs, r);
		if (w >= 0 || w == -2)
			return w == -2 ? -EACCES : w;
		/* a fake ClientHello, or TLS OpenSSL cannot parse: nothing to inspect */
		mitm_ssl_why(err, sizeof(err));
		snprintf(why, sizeof(why), "TLS from %s to %s cannot be inspected: not a TLS "
			 "handshake the relay can terminate (%s)", mitm_exe(m), mitm_host(m), err);
		mitm_event(m, BRK_DENY, "relay-tls", why);
		return -EACCES;
	case M_UPSTREAM:
		r = SSL_do_handshake(m->us);
		if (r == 1 || (w = mitm_wait(m, m->us, r)) < 0) {
			mitm_upstream_done(m, r == 1);
			return 1;
		}
		return w;
	case M_DOWN_FAIL:
		(void)SSL_do_handshake(m->cs);  /* the callback fails it: alert */
		ERR_clear_error();
		m->st = M_CLOSING;
		return 2;
	case M_DOWN:
		r = SSL_do_handshake(m->cs);
		if (r == 1) {
			rl_resume_count(m->tls->resume, m->cs, 0);
			m->st = M_DATA;
			return 1;
		}
		w = mitm_wait(m, m->cs, r);
		if (w >= 0)
			return w;
		mitm_refusal(m);
		return -EACCES;
	default:
		return 0;
	}
}

/*
 * Scan buf[0..got) of direction x: what may go is buf[0..len), a tail the
 * border holds back (relay_swap.c: it may start a placeholder split over
 * the client's TLS records) stays at buf[len..len + held) and is scanned
 * again with what comes next, or alone once its deadline passed.
 */
static int mitm_scan(struct rl_mitm *m, struct mitm_dir *x, size_t got)
{
	size_t used;

	if (rl_scan_feed(m->ctx, &x->scan, &m->who, x->buf, got, &used) < 0)
		return -EACCES;
	x->off = 0;
	x->len = used;
	x->held = got - used;
	return 1;
}

/* Direction d's source ended: close_notify and EOF passed on. */
static void mitm_shut(struct rl_mitm *m, int d)
{
	(void)SSL_shutdown(d ? m->cs : m->us);
	(void)shutdown(d ? m->jfd : m->ufd, SHUT_WR);
}

/* One direction of plaintext: 1 progressed, 0 waiting, <0 reset. */
static int mitm_pump(struct rl_mitm *m, int d)
{
	struct mitm_dir *x = &m->d[d];
	SSL *src = d ? m->us : m->cs, *dst = d ? m->cs : m->us;
	size_t used, got;
	int n, w;

	if (x->off < x->len) {
		n = SSL_write(dst, x->buf + x->off, (int)(x->len - x->off));
		if (n > 0) {
			x->off += (size_t)n;
			return 1;
		}
		w = mitm_wait(m, dst, n);
		return w < 0 ? -EIO : w;
	}
	if (x->shut) {
		x->shut = false;
		mitm_shut(m, d);
		return 1;
	}
	if (x->held && x->len) {        /* the held tail to the front */
		memmove(x->buf, x->buf + x->len, x->held);
		x->off = x->len = 0;
	}
	if (x->eof)
		return 0;
	got = x->held;
	n = SSL_read(src, x->buf + got, (int)(sizeof(x->buf) - got));
	if (n > 0) {
		got += (size_t)n;
		/* the records already here (read ahead, or in the jail's BIO) join
		 * this one: one scan call and one SSL_write for all of them */
		while (got < sizeof(x->buf) && (SSL_has_pending(src) ||
						(src == m->cs && BIO_ctrl_pending(m->jrb) > 0))) {
			n = SSL_read(src, x->buf + got, (int)(sizeof(x->buf) - got));
			if (n <= 0)
				break;  /* a partial record or the end: the next call sees it */
			got += (size_t)n;
		}
		/* scanned before a byte of it is encrypted again */
		return mitm_scan(m, x, got);
	}
	w = SSL_get_error(src, n);
	if (w == SSL_ERROR_ZERO_RETURN || (w == SSL_ERROR_SYSCALL && (d || m->jeof)) ||
	    (w == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_last_error()) ==
	     SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
		ERR_clear_error();
		x->eof = true;
		x->scan.eof = true;     /* nothing more is held */
		if (x->held && mitm_scan(m, x, x->held) < 0)
			return -EACCES;
		if (rl_scan_feed(m->ctx, &x->scan, &m->who, NULL, 0, &used) < 0)
			return -EACCES;
		if (x->off < x->len)    /* the released tail first */
			x->shut = true;
		else
			mitm_shut(m, d);
		return 1;
	}
	w = mitm_wait(m, src, n);
	if (w == 0 && x->held && x->scan.waiting) {
		/* nothing new: the held tail again (it goes once its deadline passed) */
		x->scan.waiting = false;
		if (mitm_scan(m, x, x->held) < 0)
			return -EACCES;
		return x->len ? 1 : 0;
	}
	return w < 0 ? -EIO : w;
}

bool rl_mitm_waiting(const struct rl_mitm *m)
{
	return (m->d[0].held && m->d[0].scan.waiting) || (m->d[1].held && m->d[1].scan.waiting);
}

bool rl_mitm_egress_done(const struct rl_mitm *m)
{
	const struct mitm_dir *x = &m->d[0];

	switch (m->st) {
	case M_HELLO:
	case M_UPSTREAM:
		/* no application data before the client has our Finished */
		return m->jeof;
	case M_DOWN:
		return false;   /* its Finished and first records may wait in jrb */
	case M_DATA:
		return x->eof && x->off >= x->len && !x->held && !x->shut;
	default:
		return true;    /* refused: nothing of it goes */
	}
}

int rl_mitm_serve(struct rl_mitm *m, uint32_t mask[2])
{
	unsigned k;
	int r = 0, a;
	uint8_t sink[4096];

	for (k = 0; k < MITM_STEPS; k++) {
		if (m->stalled) {
			/* one read per wake-up, as relay.c does: a stop may come between */
			m->stalled = false;
			k = MITM_STEPS;
			break;
		}
		m->jin = m->jout = m->uin = m->uout = false;
		if (m->st == M_CLOSING) {
			/* the alert is out: drain what the client still sends, then close */
			while (recv(m->jfd, sink, sizeof(sink), 0) > 0)
				;
			return 1;
		}
		if (m->st != M_DATA) {
			r = mitm_handshake_step(m);
			if (r < 0 || r == RL_MITM_BLIND)
				return r;
			if (r == 0)
				break;
			continue;
		}
		r = mitm_pump(m, 0);
		if (r < 0)
			return r;
		a = mitm_pump(m, 1);
		if (a < 0)
			return a;
		if (m->d[0].eof && m->d[1].eof && m->d[0].off >= m->d[0].len &&
		    m->d[1].off >= m->d[1].len)
			return 1;
		if (!r && !a)
			break;
	}
	mask[0] = (m->jin ? EPOLLIN : 0) | (m->jout ? EPOLLOUT : 0);
	mask[1] = (m->uin ? EPOLLIN : 0) | (m->uout ? EPOLLOUT : 0);
	if (k == MITM_STEPS) {
		/* still busy, maybe on bytes OpenSSL buffered: come back at once
		 * (a writable socket wakes a level-triggered epoll) */
		mask[0] |= EPOLLOUT;
		mask[1] |= EPOLLOUT;
	}
	return 0;
}

const char *rl_mitm_note(const struct rl_mitm *m)
{
	return m->note;
}
