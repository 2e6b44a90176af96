/* SPDX-License-Identifier: MIT */
/*
 * tls_ca.c - the session CA: one ECDSA P-256 CA key and one leaf key per
 * session, leaf certificates minted per name and cached (see tls_ca.h).
 * OpenSSL does all the work (EVP_EC_gen, X509, X509V3 extensions); the
 * keys' BIGNUMs live in OpenSSL's secure heap (mlock, MADV_DONTDUMP).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "broker/policy.h"
#include "broker/relay/tls_ca.h"
#include "common/log.h"

#define CA_SECURE_HEAP (64 * 1024)  /* a few EC keys and their scratch */
#define CA_VALID_SEC (2 * 86400L)   /* the CA: two days */
#define LEAF_VALID_SEC 86400L       /* a leaf: one day */
#define BACKDATE_SEC 3600L          /* notBefore an hour back: clients with a skewed clock */

struct ca_leaf {
	char name[256];
	int rsa;
	X509 *cert;
	unsigned long used;         /* LRU tick */
};

struct ca_chain {
	EVP_PKEY *key;              /* CA key */
	EVP_PKEY *leaf_key;         /* shared by the leaves of this session; made
	                             * with the first leaf (ca->lock), not at start */
	X509 *cert;
};

struct brk_tls_ca {
	struct ca_chain c[2];       /* 0 ECDSA P-256, 1 RSA-2048 (optional) */
	char *pem;
	size_t pem_len;
	pthread_mutex_t lock;       /* leaves, tick */
	struct ca_leaf leaf[BRK_TLS_CA_CACHE];
	unsigned long tick;
};

static int ca_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn;
	int rc = -EIO;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	b[0] &= 0x7f; /* positive */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		rc = 0;
	BN_free(bn);
	return rc;
}

/* One extension from its config text (fixed strings only: no user input). */
static int ca_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!e)
		return -EIO;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -EIO;
}

/*
 * The CA certificate's EC public key without OpenSSL 3.0's encoder lookup
 * (X509_set_pubkey() walks every provider's encoders: ~0.5 ms at its first
 * use in a process, a third of the CA's start). SubjectPublicKeyInfo for
 * an EC key is id-ecPublicKey, the named curve and the uncompressed point
 * (RFC 5480); X509_PUBKEY_set0_param() takes exactly those. Any other key
 * type, or a failure, goes the usual way.
 */
static int ca_set_ec_pubkey(X509 *x, EVP_PKEY *pub)
{
	X509_PUBKEY *xp = X509_get_X509_PUBKEY(x);
	unsigned char *pt = NULL;
	char group[64];
	size_t n = 0;
	int nid;

	if (xp && EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   NULL) == 1 &&
	    (nid = OBJ_txt2nid(group)) != NID_undef &&
	    (n = EVP_PKEY_get1_encoded_public_key(pub, &pt)) > 0 && n <= INT_MAX &&
	    X509_PUBKEY_set0_param(xp, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
				   OBJ_nid2obj(nid), pt, (int)n) == 1)
		return 0;   /* pt is xp's now */
	OPENSSL_free(pt);
	ERR_clear_error();
	return X509_set_pubkey(x, pub) ? 0 : -EIO;
}

/* Version, serial, validity, subject CN, issuer, public key (ca_key: the
 * CA's own, set by ca_set_ec_pubkey()). */
static int ca_skeleton_as(X509 *x, const char *cn, const X509_NAME *issuer, EVP_PKEY *pub,
			  long valid, int ca_key)
{
	X509_NAME *n = X509_NAME_new();
	int rc = -EIO;

	if (!n || !X509_set_version(x, 2) || ca_serial(x) < 0 ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_SEC) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), valid) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"dlpjail",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
					(int)strnlen(cn, 64), -1, 0) ||   /* ub-common-name */
	    !X509_set_subject_name(x, n) ||
	    !X509_set_issuer_name(x, issuer ? issuer : n))
		goto out;
	if (ca_key ? ca_set_ec_pubkey(x, pub) < 0 : !X509_set_pubkey(x, pub))
		goto out;
	rc = 0;
out:
	X509_NAME_free(n);
	return rc;
}

/* A leaf's: X509_set_pubkey() keeps the key in the certificate, which the
 * TLS server side reads back at each handshake. */
static int ca_skeleton(X509 *x, const char *cn, const X509_NAME *issuer, EVP_PKEY *pub,
		       long valid)
{
	return ca_skeleton_as(x, cn, issuer, pub, valid, 0);
}

static int ca_chain_new(struct ca_chain *c, const char *label, int rsa)
{
	char cn[128];

	c->key = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
	c->cert = X509_new();
	if (!c->key || !c->cert)
		return -EIO;
	snprintf(cn, sizeof(cn), "dlpjail session CA%s %.40s", rsa ? " (RSA)" : "",
		 label ? label : "");
	if (ca_skeleton_as(c->cert, cn, NULL, c->key, CA_VALID_SEC, 1) < 0 ||
	    ca_ext(c->cert, c->cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") < 0 ||
	    ca_ext(c->cert, c->cert, NID_key_usage, "critical,keyCertSign,cRLSign") < 0 ||
	    ca_ext(c->cert, c->cert, NID_subject_key_identifier, "hash") < 0 ||
	    !X509_sign(c->cert, c->key, EVP_sha256()))
		return -EIO;
	return 0;
}

int brk_tls_ca_new(const char *label, int rsa, struct brk_tls_ca **out)
{
	struct brk_tls_ca *ca;
	BIO *b = NULL;
	BUF_MEM *bm;
	int rc = -EIO, i;

	*out = NULL;
	if (!CRYPTO_secure_malloc_initialized() &&
	    CRYPTO_secure_malloc_init(CA_SECURE_HEAP, 64) == 0)
		dlp_log(DLP_LOG_INFO, "session CA: no OpenSSL secure heap (mlock limit?): "
			"its key stays in ordinary memory");
	ca = calloc(1, sizeof(*ca));
	if (!ca)
		return -ENOMEM;
	pthread_mutex_init(&ca->lock, NULL);
	b = BIO_new(BIO_s_mem());
	for (i = 0; i < 1 + !!rsa; i++)
		if (ca_chain_new(&ca->c[i], label, i) < 0 || !b ||
		    !PEM_write_bio_X509(b, ca->c[i].cert))
			goto out;
	BIO_get_mem_ptr(b, &bm);
	ca->pem = malloc(bm->length + 1);
	if (!ca->pem) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(ca->pem, bm->data, bm->length);
	ca->pem[bm->length] = '\0';
	ca->pem_len = bm->length;
	rc = 0;
out:
	BIO_free(b);
	if (rc < 0) {
		brk_tls_ca_free(ca);
		return rc;
	}
	*out = ca;
	return 0;
}

void brk_tls_ca_free(struct brk_tls_ca *ca)
{
	unsigned i;

	if (!ca)
		return;
	for (i = 0; i < BRK_TLS_CA_CACHE; i++)
		X509_free(ca->leaf[i].cert);
	for (i = 0; i < 2; i++) {
		EVP_PKEY_free(ca->c[i].key);
		EVP_PKEY_free(ca->c[i].leaf_key);
		X509_free(ca->c[i].cert);
	}
	free(ca->pem);
	pthread_mutex_destroy(&ca->lock);
	free(ca);
}

const char *brk_tls_ca_pem(const struct brk_tls_ca *ca, size_t *len)
{
	if (len)
		*len = ca->pem_len;
	return ca->pem;
}

unsigned long brk_tls_ca_hash(const struct brk_tls_ca *ca, int rsa)
{
	return ca->c[!!rsa].cert ? X509_subject_name_hash(ca->c[!!rsa].cert) : 0;
}

int brk_tls_ca_has_rsa(const struct brk_tls_ca *ca)
{
	return ca->c[1].cert != NULL;
}

/* SAN: an iPAddress for an address literal, else a dNSName. */
static int ca_san(X509 *x, const char *name)
{
	GENERAL_NAMES *gens = GENERAL_NAMES_new();
	GENERAL_NAME *g = NULL;
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(name);
	ASN1_IA5STRING *dns = NULL;
	int rc = -EIO;

	if (!gens)
		goto out;
	if (ip) {
		g = GENERAL_NAME_new();
		if (!g)
			goto out;
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		ip = NULL;
	} else {
		dns = ASN1_IA5STRING_new();
		g = GENERAL_NAME_new();
		if (!dns || !g || !ASN1_STRING_set(dns, name, (int)strlen(name)))
			goto out;
		GENERAL_NAME_set0_value(g, GEN_DNS, dns);
		dns = NULL;
	}
	if (!sk_GENERAL_NAME_push(gens, g))
		goto out;
	g = NULL;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1)
		rc = 0;
out:
	GENERAL_NAME_free(g);
	ASN1_OCTET_STRING_free(ip);
	ASN1_IA5STRING_free(dns);
	GENERAL_NAMES_free(gens);
	return rc;
}

/*
 * The certificate again from its DER: a certificate built in memory keeps
 * no encoding, so every i2d_X509() (OpenSSL's server writes the leaf twice
 * per full handshake: its length, then its bytes) encoded the whole TBS
 * again, ~12 us each here; a parsed one keeps its TBS bytes (~1 us).
 */
static X509 *ca_reparse(X509 *x)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509 *y = NULL;
	int n = i2d_X509(x, &der);

	p = der;
	if (n > 0)
		y = d2i_X509(NULL, &p, n);
	OPENSSL_free(der);
	X509_free(x);
	return y;
}

static X509 *ca_mint(struct ca_chain *c, const char *name, int rsa)
{
	X509 *x = X509_new();

	if (!x || ca_skeleton(x, name, X509_get_subject_name(c->cert), c->leaf_key,
			      LEAF_VALID_SEC) < 0 ||
	    ca_san(x, name) < 0 ||
	    ca_ext(x, c->cert, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    ca_ext(x, c->cert, NID_key_usage, rsa ? "critical,digitalSignature,keyEncipherment"
		   : "critical,digitalSignature") < 0 ||
	    ca_ext(x, c->cert, NID_ext_key_usage, "serverAuth") < 0 ||
	    ca_ext(x, c->cert, NID_authority_key_identifier, "keyid:always") < 0 ||
	    !X509_sign(x, c->key, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return ca_reparse(x);
}

int brk_tls_ca_leaf(struct brk_tls_ca *ca, const char *name, int rsa, X509 **cert,
		    EVP_PKEY **key)
{
	struct ca_chain *c;
	char norm[256];
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(name);
	struct ca_leaf *old;
	X509 *x = NULL;
	unsigned i;
	int rc = 0;

	*cert = NULL;
	*key = NULL;
	rsa = rsa && ca->c[1].cert;
	c = &ca->c[rsa];
	if (ip) {
		ASN1_OCTET_STRING_free(ip);
		snprintf(norm, sizeof(norm), "%s", name);
	} else if (brk_host_normalise(name, norm, sizeof(norm)) < 0) {
		return -EINVAL;
	}
	pthread_mutex_lock(&ca->lock);
	old = &ca->leaf[0];
	for (i = 0; i < BRK_TLS_CA_CACHE; i++) {
		struct ca_leaf *l = &ca->leaf[i];

		if (l->cert && l->rsa == rsa && !strcmp(l->name, norm)) {
			x = l->cert;
			l->used = ++ca->tick;
			break;
		}
		if (!l->cert || (old->cert && l->used < old->used))
			old = l;
	}
	/* the leaves' key: a session whose command makes no CA-path connection
	 * (most warm installs) never pays the keygen (an RSA one: ~50 ms) */
	if (!c->leaf_key && !(c->leaf_key = rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"))) {
		rc = -EIO;
		goto out;
	}
	if (!x) {
		x = ca_mint(c, norm, rsa);
		if (!x) {
			rc = -EIO;
			goto out;
		}
		X509_free(old->cert);
		old->cert = x;
		old->used = ++ca->tick;
		old->rsa = rsa;
		snprintf(old->name, sizeof(old->name), "%s", norm);
	}
	X509_up_ref(x);
	EVP_PKEY_up_ref(c->leaf_key);
	*cert = x;
	*key = c->leaf_key;
out:
	pthread_mutex_unlock(&ca->lock);
	return rc;
}
