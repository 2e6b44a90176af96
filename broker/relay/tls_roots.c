/* SPDX-License-Identifier: MIT */
/*
 * tls_roots.c - the host's trust store, looked up on demand (see
 * tls_roots.h): OpenSSL's hashed-directory lookup first, then a lookup of
 * our own that parses the bundle file once, at its first miss, into the
 * store, and answers from it. OpenSSL still builds and verifies every
 * chain (X509_verify_cert); this file only decides when roots are read.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "broker/relay/tls_roots.h"

struct roots_file {
	pthread_mutex_t lock;       /* loaded, certs */
	bool loaded;
	STACK_OF(X509) *certs;      /* the bundle, parsed at the first miss */
	char path[4096];
};

static X509_LOOKUP_METHOD *roots_meth;
static pthread_once_t meth_once = PTHREAD_ONCE_INIT;

/* Parse the bundle once; every certificate also goes into the store. */
static void roots_load(struct roots_file *r, X509_STORE *st)
{
	BIO *b = BIO_new_file(r->path, "r");
	X509 *x;

	r->loaded = true;
	r->certs = sk_X509_new_null();
	while (b && r->certs && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (!sk_X509_push(r->certs, x)) {
			X509_free(x);
			break;
		}
		(void)X509_STORE_add_cert(st, x);   /* a duplicate is no error */
	}
	BIO_free(b);
	ERR_clear_error();   /* the end of the file reads as a PEM error */
}

/* X509_LOOKUP get_by_subject: an issuer the directory did not have. */
static int roots_by_subject(X509_LOOKUP *lu, X509_LOOKUP_TYPE type, const X509_NAME *name,
			    X509_OBJECT *ret)
{
	struct roots_file *r = X509_LOOKUP_get_method_data(lu);
	int i, found = 0;

	if (type != X509_LU_X509 || !r)
		return 0;
	pthread_mutex_lock(&r->lock);
	if (!r->loaded)
		roots_load(r, X509_LOOKUP_get_store(lu));
	for (i = 0; !found && r->certs && i < sk_X509_num(r->certs); i++) {
		X509 *x = sk_X509_value(r->certs, i);

		/* borrowed, as OpenSSL's own lookups answer (the caller takes
		 * its reference): the store and r->certs keep x */
		if (!X509_NAME_cmp(X509_get_subject_name(x), name) &&
		    (found = X509_OBJECT_set1_X509(ret, x)))
			X509_free(x);
	}
	pthread_mutex_unlock(&r->lock);
	return found;
}

static void roots_free(X509_LOOKUP *lu)
{
	struct roots_file *r = X509_LOOKUP_get_method_data(lu);

	if (!r)
		return;
	sk_X509_pop_free(r->certs, X509_free);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void meth_init(void)
{
	roots_meth = X509_LOOKUP_meth_new("dlpjail lazy bundle");
	if (roots_meth) {
		X509_LOOKUP_meth_set_get_by_subject(roots_meth, roots_by_subject);
		X509_LOOKUP_meth_set_free(roots_meth, roots_free);
	}
}

int rl_roots_default(SSL_CTX *ctx)
{
	return rl_roots_store(SSL_CTX_get_cert_store(ctx));
}

int rl_roots_store(X509_STORE *st)
{
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());
	struct roots_file *r = NULL;
	X509_LOOKUP *lu;
	int rc = -EIO;

	pthread_once(&meth_once, meth_init);
	if (!st || !roots_meth)
		goto out;
	lu = X509_STORE_add_lookup(st, X509_LOOKUP_hash_dir());
	if (!lu || X509_LOOKUP_add_dir(lu, dir && *dir ? dir : X509_get_default_cert_dir(),
				       X509_FILETYPE_PEM) != 1)
		goto out;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	pthread_mutex_init(&r->lock, NULL);
	snprintf(r->path, sizeof(r->path), "%s",
		 file && *file ? file : X509_get_default_cert_file());
	lu = X509_STORE_add_lookup(st, roots_meth);
	if (!lu || !X509_LOOKUP_set_method_data(lu, r))
		goto out;
	r = NULL;   /* the lookup's now: roots_free() */
	rc = 0;
out:
	if (r) {
		pthread_mutex_destroy(&r->lock);
		free(r);
	}
	ERR_clear_error();
	return rc;
}
