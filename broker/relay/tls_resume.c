/* SPDX-License-Identifier: MIT */
/*
 * tls_resume.c - TLS session resumption on both legs of the CA path (see
 * tls_resume.h): jail-side tickets bound to the verified upstream name,
 * an upstream session cache keyed by verified name, address, port, ALPN
 * offer and trust store, each session carrying its key and checked again
 * after a resumed handshake: its key, and its chain verified again against
 * the trust store as it is now.
 * OpenSSL does the work (session tickets, SSL_SESSION, the ticket callbacks
 * and ticket app data); this file only decides which session may serve
 * which connection.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>

#include "broker/relay/tls_resume.h"

#define RESUME_HOST 256
#define RESUME_ALPN 256
#define RESUME_ADDR 64

/* What a session was verified for, and may serve again: all of it. */
struct up_key {
	struct rl_resume *r;
	char host[RESUME_HOST];     /* the name (or address literal) checked */
	char addr[RESUME_ADDR];     /* the upstream address connected to */
	int port;
	const X509_STORE *store;    /* the trust store that verified it */
	uint8_t alpn[RESUME_ALPN];
	size_t nalpn;
	unsigned long gen;          /* the store's generation then (not part of the key) */
};

struct up_slot {
	struct up_key k;            /* k.r unused */
	SSL_SESSION *s;             /* NULL: free */
	unsigned long used;         /* LRU tick */
};

struct rl_resume {
	pthread_mutex_t lock;       /* slots, tick */
	struct up_slot slot[RL_RESUME_UP_CACHE];
	unsigned long tick;
	atomic_ulong full[2], resumed[2];
};

/* SSL ex_data: struct up_key *, char *; SSL_SESSION ex_data: struct up_key * */
static int idx_up = -1, idx_down = -1, idx_sess = -1;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

static void ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
	free(ptr);
}

/* A session OpenSSL copies (a TLS 1.3 ticket of a resumed one) gets its own key copy. */
static int sess_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d, int idx,
		    long argl, void *argp)
{
	struct up_key *k = *from_d ? malloc(sizeof(*k)) : NULL;

	(void)to; (void)from; (void)idx; (void)argl; (void)argp;
	if (k)
		memcpy(k, *from_d, sizeof(*k));
	*from_d = k;   /* NULL: the copy carries no key and never resumes */
	return 1;
}

static void idx_init(void)
{
	idx_up = SSL_get_ex_new_index(0, NULL, NULL, NULL, ex_free);
	idx_down = SSL_get_ex_new_index(0, NULL, NULL, NULL, ex_free);
	idx_sess = SSL_SESSION_get_ex_new_index(0, NULL, NULL, sess_dup, ex_free);
}

static bool key_eq(const struct up_key *a, const struct up_key *b)
{
	return a->port == b->port && a->store == b->store && a->nalpn == b->nalpn &&
	       !strcmp(a->host, b->host) && !strcmp(a->addr, b->addr) &&
	       !memcmp(a->alpn, b->alpn, a->nalpn);
}

/* The session's peer certificate names host (a name or an address literal). */
static bool up_cert_names(SSL_SESSION *sess, const char *host)
{
	X509 *x = SSL_SESSION_get0_peer(sess);
	ASN1_OCTET_STRING *lit;
	bool ok;

	if (!x)
		return false;
	lit = a2i_IPADDRESS(host);
	if (lit)
		ok = X509_check_ip(x, ASN1_STRING_get0_data(lit),
				   (size_t)ASN1_STRING_length(lit), 0) == 1;
	else
		ok = X509_check_host(x, host, strlen(host), 0, NULL) == 1;
	ASN1_OCTET_STRING_free(lit);
	return ok;
}

/*
 * A session upstream made: kept only when the handshake that made it
 * verified the certificate (verify result OK under SSL_VERIFY_PEER) and
 * the certificate names the host, for the key it was prepared with, which
 * the session carries from now on. 1: we keep the reference.
 */
static int up_new_cb(SSL *s, SSL_SESSION *sess)
{
	struct up_key *k = SSL_get_ex_data(s, idx_up), *sk;
	struct rl_resume *r;
	struct up_slot *old;
	unsigned i;

	if (!k || SSL_get_verify_result(s) != X509_V_OK || !SSL_SESSION_is_resumable(sess) ||
	    !SSL_get0_peer_certificate(s) || !up_cert_names(sess, k->host))
		return 0;
	sk = SSL_SESSION_get_ex_data(sess, idx_sess);
	if (sk && !key_eq(sk, k))
		return 0;   /* made under another key: never kept for this one */
	if (!sk) {
		if (!(sk = malloc(sizeof(*sk))))
			return 0;
		*sk = *k;
		sk->r = NULL;
		if (!SSL_SESSION_set_ex_data(sess, idx_sess, sk)) {
			free(sk);
			return 0;
		}
	}
	r = k->r;
	pthread_mutex_lock(&r->lock);
	old = &r->slot[0];
	for (i = 0; i < RL_RESUME_UP_CACHE; i++) {
		struct up_slot *sl = &r->slot[i];

		if (sl->s && key_eq(&sl->k, k)) {
			old = sl;
			break;
		}
		if (!sl->s || (old->s && sl->used < old->used))
			old = sl;
	}
	SSL_SESSION_free(old->s);
	old->s = sess;
	old->k = *k;
	old->k.r = NULL;
	old->used = ++r->tick;
	pthread_mutex_unlock(&r->lock);
	return 1;
}

/* Jail leg: the new ticket carries the name verified upstream. */
static int down_gen_cb(SSL *s, void *arg)
{
	const char *h = SSL_get_ex_data(s, idx_down);
	SSL_SESSION *ss = SSL_get0_session(s);

	(void)arg;
	if (h && ss)
		(void)SSL_SESSION_set1_ticket_appdata(ss, h, strlen(h));
	return 1;   /* a ticket without the name is never taken back (below) */
}

/* Jail leg: a ticket serves only a connection to the name it was made for. */
static SSL_TICKET_RETURN down_dec_cb(SSL *s, SSL_SESSION *ss, const unsigned char *kn,
				     size_t knl, SSL_TICKET_STATUS st, void *arg)
{
	const char *h = SSL_get_ex_data(s, idx_down);
	void *d = NULL;
	size_t n = 0;

	(void)kn; (void)knl; (void)arg;
	if (st == SSL_TICKET_EMPTY || st == SSL_TICKET_NO_DECRYPT)
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	if (st != SSL_TICKET_SUCCESS && st != SSL_TICKET_SUCCESS_RENEW)
		return SSL_TICKET_RETURN_ABORT;
	if (!h || !ss || !SSL_SESSION_get0_ticket_appdata(ss, &d, &n) || n != strlen(h) ||
	    memcmp(d, h, n))
		return SSL_TICKET_RETURN_IGNORE_RENEW;   /* full handshake, new ticket */
	return st == SSL_TICKET_SUCCESS ? SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_USE_RENEW;
}

int rl_resume_new(SSL_CTX *down, SSL_CTX *up, struct rl_resume **out)
{
	struct rl_resume *r;

	*out = NULL;
	if (pthread_once(&idx_once, idx_init) != 0 || idx_up < 0 || idx_down < 0 || idx_sess < 0)
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	/* jail leg: stateless tickets, no server cache (rustls, Go and
	 * BoringSSL use a TLS 1.3 ticket once: a few per handshake keep
	 * parallel connections resuming),
	 * no early data (SSL_CTX_set_max_early_data stays 0) */
	SSL_CTX_clear_options(down, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(down, 4);
	SSL_CTX_set_session_cache_mode(down, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_set_session_ticket_cb(down, down_gen_cb, down_dec_cb, r) != 1)
		goto fail;
	/* upstream leg: sessions come to up_new_cb, OpenSSL stores none itself */
	SSL_CTX_set_session_cache_mode(up, SSL_SESS_CACHE_CLIENT |
				       SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(up, up_new_cb);
	*out = r;
	return 0;
fail:
	pthread_mutex_destroy(&r->lock);
	free(r);
	return -EIO;
}

void rl_resume_free(struct rl_resume *r)
{
	unsigned i;

	if (!r)
		return;
	for (i = 0; i < RL_RESUME_UP_CACHE; i++)
		SSL_SESSION_free(r->slot[i].s);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int rl_resume_up_prepare(struct rl_resume *r, SSL *us, const char *host, const char *addr,
			 int port, const uint8_t *alpn, size_t nalpn, unsigned long gen)
{
	struct up_key *k;
	unsigned i;

	if (!r)
		return 0;
	if (strlen(host) >= RESUME_HOST || strlen(addr) >= RESUME_ADDR || nalpn > RESUME_ALPN)
		return 0;   /* not cached: a full handshake */
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->r = r;
	snprintf(k->host, sizeof(k->host), "%s", host);
	snprintf(k->addr, sizeof(k->addr), "%s", addr);
	k->port = port;
	k->store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(us));
	memcpy(k->alpn, alpn, nalpn);
	k->nalpn = nalpn;
	k->gen = gen;
	if (!SSL_set_ex_data(us, idx_up, k)) {
		free(k);
		return -ENOMEM;
	}
	pthread_mutex_lock(&r->lock);
	for (i = 0; i < RL_RESUME_UP_CACHE; i++) {
		struct up_slot *sl = &r->slot[i];

		if (sl->s && key_eq(&sl->k, k)) {
			(void)SSL_set_session(us, sl->s);   /* its own reference */
			sl->used = ++r->tick;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/*
 * The resumed session's chain verified again, now: the peer chain the
 * session kept from the handshake that made it, against us's trust store
 * as it is now (a root removed since fails) with us's parameters (the
 * host name or address, purpose, time), as OpenSSL's own handshake check
 * does it (ssl_verify_cert_chain). A store of the same generation as the
 * one that verified the session holds the same roots: then only time can
 * have changed the answer, and each certificate's notAfter is checked
 * (no signature is verified twice against the same store).
 */
static bool up_chain_ok(SSL *us, SSL_SESSION *sess, bool same_store)
{
	X509 *leaf = SSL_SESSION_get0_peer(sess);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(us);
	X509_STORE *st = NULL;
	X509_STORE_CTX *vc;
	bool ok = false;
	int i;

	if (leaf && chain && same_store) {
		for (i = 0; i < sk_X509_num(chain); i++)
			if (X509_cmp_current_time(X509_get0_notAfter(sk_X509_value(chain, i))) <= 0)
				return false;
		return true;
	}
	if (SSL_get0_verify_cert_store(us, &st) != 1 || !st)
		st = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(us));
	if (!leaf || !chain || !st || !(vc = X509_STORE_CTX_new()))
		return false;
	if (X509_STORE_CTX_init(vc, st, leaf, chain) == 1 &&
	    X509_STORE_CTX_set_default(vc, "ssl_server") == 1 &&
	    X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(vc), SSL_get0_param(us)) == 1)
		ok = X509_verify_cert(vc) == 1;
	X509_STORE_CTX_free(vc);
	return ok;
}

int rl_resume_up_check(SSL *us)
{
	const struct up_key *k = SSL_get_ex_data(us, idx_up), *sk;
	SSL_SESSION *sess = SSL_get0_session(us);

	if (!SSL_session_reused(us))
		return 0;   /* a full handshake: OpenSSL verified it just now */
	/*
	 * Resumed: no certificate came, OpenSSL checks neither chain nor name
	 * again; what holds is what the session carries from the handshake
	 * that made it, and it must be for exactly this connection.
	 */
	sk = sess && idx_sess >= 0 ? SSL_SESSION_get_ex_data(sess, idx_sess) : NULL;
	if (!k || !sk || !key_eq(sk, k) || SSL_get_verify_result(us) != X509_V_OK ||
	    !up_cert_names(sess, k->host) ||
	    X509_cmp_current_time(X509_get0_notAfter(SSL_SESSION_get0_peer(sess))) <= 0)
		return -EACCES;   /* another key, no verified name, or expired since */
	if (!up_chain_ok(us, sess, sk->gen == k->gen))
		return -EACCES;   /* no longer trusted: a root removed, a chain expired */
	return 0;
}

int rl_resume_down_bind(SSL *cs, const char *host)
{
	char *h, *old;

	if (idx_down < 0 || !(h = strdup(host)))
		return -ENOMEM;
	old = SSL_get_ex_data(cs, idx_down);
	if (!SSL_set_ex_data(cs, idx_down, h)) {
		free(h);
		return -ENOMEM;
	}
	free(old);
	return 0;
}

void rl_resume_count(struct rl_resume *r, SSL *s, int up)
{
	if (r)
		atomic_fetch_add(SSL_session_reused(s) ? &r->resumed[!!up] : &r->full[!!up], 1);
}

void rl_resume_stats(const struct rl_resume *r, unsigned long full[2], unsigned long resumed[2])
{
	unsigned i;

	for (i = 0; i < 2; i++) {
		full[i] = r ? atomic_load(&r->full[i]) : 0;
		resumed[i] = r ? atomic_load(&r->resumed[i]) : 0;
	}
}
