/* SPDX-License-Identifier: MIT */
/*
 * tls_trust.c - where the jail's TLS clients learn to trust the session CA
 * (see tls_trust.h): which variable each client reads, whether it replaces
 * or extends the trust store, and the files behind them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "broker/relay/tls_ca.h"
#include "broker/relay/tls_trust.h"
#include "common/dlp_err.h"

#define TRUST_FILE_MAX (8u << 20)   /* a user's bundle larger than this is not read */

/* The variables, and whether the client adds the file to its own roots
 * (extra: the CA alone) or uses it instead of them (the bundle). */
static const struct {
	const char *name;
	int extra;
} trust_vars[] = {
	{ "SSL_CERT_FILE", 0 },        /* OpenSSL, Go, Python ssl, Ruby */
	{ "NODE_EXTRA_CA_CERTS", 1 },  /* node, bun: added to the bundled roots */
	{ "REQUESTS_CA_BUNDLE", 0 },   /* python requests, pip */
	{ "CURL_CA_BUNDLE", 0 },       /* curl, python requests */
	{ "GIT_SSL_CAINFO", 0 },
	{ "PIP_CERT", 0 },
	{ "DENO_CERT", 0 },
	{ "CARGO_HTTP_CAINFO", 0 },
};

#define TRUST_NVARS DLP_ARRAY_SIZE(trust_vars)

struct brk_tls_trust {
	char dir[PATH_MAX];
	char *bundle;               /* host roots + CA */
	size_t bundle_len;
	const char *ca;             /* not owned */
	size_t ca_len;
	char hashname[2][16];       /* "" when that CA does not exist */
	char *paths[TRUST_NVARS + 2]; /* files written, to remove */
	size_t npaths;
	char *env[TRUST_NVARS];
	size_t nenv;
};

/* path's contents in a buffer with room for `room` more bytes and a NUL */
static int trust_slurp_room(const char *path, size_t room, char **out, size_t *len)
{
	struct stat st;
	char *b;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -EIO;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)TRUST_FILE_MAX)
		goto out;
	b = malloc((size_t)st.st_size + room + 1);
	if (!b) {
		rc = -ENOMEM;
		goto out;
	}
	n = read(fd, b, (size_t)st.st_size);
	if (n < 0) {
		free(b);
		goto out;
	}
	b[n] = '\0';
	*out = b;
	*len = (size_t)n;
	rc = 0;
out:
	close(fd);
	return rc;
}

static int trust_slurp(const char *path, char **out, size_t *len)
{
	return trust_slurp_room(path, 0, out, len);
}

/* Write a + "\n" + b to dir/leaf (0644: the jail's programs read it). */
static int trust_write(struct brk_tls_trust *t, const char *leaf, const char *a, size_t alen,
		       const char *b, size_t blen, char **path)
{
	char p[PATH_MAX + 64];
	int fd, rc = 0;

	snprintf(p, sizeof(p), "%s/%s", t->dir, leaf);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if ((alen && write(fd, a, alen) != (ssize_t)alen) ||
	    (alen && a[alen - 1] != '\n' && write(fd, "\n", 1) != 1) ||
	    write(fd, b, blen) != (ssize_t)blen)
		rc = -EIO;
	close(fd);
	if (rc == 0 && !(*path = strdup(p)))
		rc = -ENOMEM;
	if (rc == 0)
		t->paths[t->npaths++] = *path;
	else
		unlink(p);
	return rc;
}

static const char *trust_getenv(char *const *env, const char *name)
{
	size_t l = strlen(name);

	for (; env && *env; env++)
		if (!strncmp(*env, name, l) && (*env)[l] == '=')
			return *env + l + 1;
	return NULL;
}

int brk_tls_trust_replaces(const char *e)
{
	size_t i, l;

	for (i = 0; i < TRUST_NVARS; i++) {
		l = strlen(trust_vars[i].name);
		if (!strncmp(e, trust_vars[i].name, l) && e[l] == '=')
			return 1;
	}
	return 0;
}

/* Is path the host's default bundle (no copy needed: the jail's view of it
 * already holds the CA)? */
static int trust_is_host(const char *path)
{
	char a[PATH_MAX], b[PATH_MAX];

	return realpath(path, a) && realpath(X509_get_default_cert_file(), b) && !strcmp(a, b);
}

int brk_tls_trust_prepare(const struct brk_tls_ca *ca, const char *dir, char *const *env,
			  const char *etc_bundle, struct brk_tls_trust **out)
{
	struct brk_tls_trust *t = calloc(1, sizeof(*t));
	char *roots = NULL, *own = NULL, *ca_path = NULL, *bundle_path = NULL, *p, leaf[64];
	const char *v;
	size_t nroots = 0, nown, i;
	int rc;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->ca = brk_tls_ca_pem(ca, &t->ca_len);
	for (i = 0; i < 2; i++)
		if (brk_tls_ca_hash(ca, (int)i))
			snprintf(t->hashname[i], sizeof(t->hashname[i]), "%08lx.0",
				 brk_tls_ca_hash(ca, (int)i));
	snprintf(t->dir, sizeof(t->dir), "%s/tls", dir);
	if (mkdir(t->dir, 0755) < 0) {
		rc = -errno;
		t->dir[0] = '\0';
		goto out;
	}
	/* the host's roots as OpenSSL finds them (Debian: /etc/ssl/certs/ca-certificates.crt),
	 * read into the bundle itself (~200 KB: one buffer, no copy), the CA after them */
	if (trust_slurp_room(X509_get_default_cert_file(), 1 + t->ca_len, &roots, &nroots) == 0) {
		t->bundle = roots;
		roots = NULL;
	} else if (!(t->bundle = malloc(1 + t->ca_len + 1))) {
		rc = -ENOMEM;
		goto out;
	}
	t->bundle_len = nroots;
	if (nroots && t->bundle[nroots - 1] != '\n')
		t->bundle[t->bundle_len++] = '\n';
	memcpy(t->bundle + t->bundle_len, t->ca, t->ca_len);
	t->bundle_len += t->ca_len;
	t->bundle[t->bundle_len] = '\0';
	rc = trust_write(t, "session-ca.pem", NULL, 0, t->ca, t->ca_len, &ca_path);
	if (rc == 0 && etc_bundle)
		bundle_path = (char *)etc_bundle;   /* the private /etc shows it */
	else if (rc == 0)
		rc = trust_write(t, "ca-bundle.pem", NULL, 0, t->bundle, t->bundle_len,
				 &bundle_path);
	for (i = 0; rc == 0 && i < TRUST_NVARS; i++) {
		p = trust_vars[i].extra ? ca_path : bundle_path;
		v = trust_getenv(env, trust_vars[i].name);
		/* the user's own file: theirs + the CA, so their choice of roots stands */
		if (v && *v && !(trust_is_host(v) && !trust_vars[i].extra) &&
		    trust_slurp(v, &own, &nown) == 0) {
			snprintf(leaf, sizeof(leaf), "%s.pem", trust_vars[i].name);
			rc = trust_write(t, leaf, own, nown, t->ca, t->ca_len, &p);
			free(own);
			own = NULL;
		}
		if (rc == 0 && asprintf(&t->env[t->nenv++], "%s=%s", trust_vars[i].name, p) < 0) {
			t->nenv--;
			rc = -ENOMEM;
		}
	}
out:
	free(roots);
	if (rc < 0) {
		brk_tls_trust_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

size_t brk_tls_trust_env(const struct brk_tls_trust *t, const char *const **out)
{
	*out = (const char *const *)t->env;
	return t->nenv;
}

const char *brk_tls_trust_bundle(const struct brk_tls_trust *t, size_t *len)
{
	*len = t->bundle_len;
	return t->bundle;
}

const char *brk_tls_trust_ca(const struct brk_tls_trust *t, size_t *len, const char **hash0,
			     const char **hash1)
{
	*len = t->ca_len;
	*hash0 = t->hashname[0];
	*hash1 = t->hashname[1];
	return t->ca;
}

void brk_tls_trust_free(struct brk_tls_trust *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->npaths; i++) {
		unlink(t->paths[i]);
		free(t->paths[i]);
	}
	for (i = 0; i < t->nenv; i++)
		free(t->env[i]);
	if (t->dir[0])
		rmdir(t->dir);
	free(t->bundle);
	free(t);
}
