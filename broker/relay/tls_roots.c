/* SPDX-License-Identifier: MIT */
/*
 * tls_roots.c - the host's trust store, looked up on demand (see
 * tls_roots.h): OpenSSL's hashed-directory lookup first, then a lookup of
 * our own that parses the bundle file once, at its first miss, into the
 * store, and answers from it. OpenSSL still builds and verifies every
 * chain (X509_verify_cert); this file only decides when roots are read,
 * and notices when the files behind a store change (rl_roots_live_*).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* ---- the store as it is on disk now ------------------------------------ */

#define LIVE_SRCS 2             /* the file, the hashed directory */
#define LIVE_OLD 16             /* replaced stores kept (their users hold no reference) */

struct rl_roots_live {
	pthread_mutex_t lock;       /* all of it */
	char *file;                 /* NULL: the host's default paths */
	struct stat st[LIVE_SRCS];  /* what cur was read from */
	bool have[LIVE_SRCS];
	X509_STORE *cur;
	X509_STORE *old[LIVE_OLD];
	unsigned nold;
	unsigned long gen;
};

static void live_paths(const struct rl_roots_live *l, const char *p[LIVE_SRCS])
{
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());

	p[0] = l->file ? l->file : file && *file ? file : X509_get_default_cert_file();
	p[1] = l->file ? NULL : dir && *dir ? dir : X509_get_default_cert_dir();
}

static bool live_same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Under l->lock: a new store from the sources as they are now; stamps taken first. */
static int live_load(struct rl_roots_live *l, struct stat st[LIVE_SRCS], bool have[LIVE_SRCS])
{
	X509_STORE *s = X509_STORE_new();
	int rc = -EIO;

	if (!s)
		goto out;
	if (l->file ? X509_STORE_load_file(s, l->file) != 1 : rl_roots_store(s) < 0)
		goto out;
	if (l->cur && l->nold == LIVE_OLD) {
		X509_STORE_free(l->old[0]);   /* the oldest: gone for LIVE_OLD changes */
		memmove(l->old, l->old + 1, (LIVE_OLD - 1) * sizeof(l->old[0]));
		l->nold--;
	}
	if (l->cur)
		l->old[l->nold++] = l->cur;
	l->cur = s;
	s = NULL;
	memcpy(l->st, st, sizeof(l->st));
	memcpy(l->have, have, sizeof(l->have));
	l->gen++;
	rc = 0;
out:
	X509_STORE_free(s);
	ERR_clear_error();
	return rc;
}

int rl_roots_live_new(const char *file, struct rl_roots_live **out)
{
	struct rl_roots_live *l = calloc(1, sizeof(*l));
	X509_STORE *st;

	*out = NULL;
	if (!l || (file && !(l->file = strdup(file)))) {
		free(l);
		return -ENOMEM;
	}
	pthread_mutex_init(&l->lock, NULL);
	if (rl_roots_live_get(l, &st, NULL) < 0) {
		rl_roots_live_free(l);
		return -EIO;
	}
	*out = l;
	return 0;
}

int rl_roots_live_get(struct rl_roots_live *l, X509_STORE **st, unsigned long *gen)
{
	const char *p[LIVE_SRCS];
	struct stat now[LIVE_SRCS];
	bool have[LIVE_SRCS], changed = !l->cur;
	unsigned i;
	int rc = 0;

	live_paths(l, p);
	for (i = 0; i < LIVE_SRCS; i++) {
		memset(&now[i], 0, sizeof(now[i]));
		have[i] = p[i] && stat(p[i], &now[i]) == 0;
	}
	pthread_mutex_lock(&l->lock);
	for (i = 0; i < LIVE_SRCS && !changed; i++)
		changed = have[i] != l->have[i] || (have[i] && !live_same(&now[i], &l->st[i]));
	if (changed)
		rc = live_load(l, now, have);
	*st = l->cur;   /* a failed re-read: the last good store... */
	if (rc < 0 && l->file)
		*st = NULL; /* ...not for a file that no longer loads: fail closed */
	if (gen)
		*gen = l->gen;
	pthread_mutex_unlock(&l->lock);
	return *st ? 0 : -EIO;
}

void rl_roots_live_free(struct rl_roots_live *l)
{
	unsigned i;

	if (!l)
		return;
	for (i = 0; i < l->nold; i++)
		X509_STORE_free(l->old[i]);
	X509_STORE_free(l->cur);
	pthread_mutex_destroy(&l->lock);
	free(l->file);
	free(l);
}
