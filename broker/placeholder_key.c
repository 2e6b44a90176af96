/* SPDX-License-Identifier: MIT */
/*
 * placeholder_key.c - the stand-in of a private key file (placeholder.h
 * brk_placeholder_key()): a freshly generated key of the same type and
 * size, in the same file format, so that tools parse it and sign with it
 * (and fail to authenticate). Keys sign in-process: they are never
 * swapped, so nothing needs the same length.
 *
 * PEM (PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY", PKCS#8 "PRIVATE
 * KEY") goes through OpenSSL's decoder, EVP key generation and encoder.
 * OpenSSH's own format ("OPENSSH PRIVATE KEY", PROTOCOL.key), which
 * OpenSSL does not read or write, is parsed for its key type, size and
 * comment and written here: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/
 * 521, unencrypted. An encrypted key (its passphrase is not ours) or
 * another type is -EOPNOTSUPP: the caller falls back to a stand-in that
 * parses as nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "broker/placeholder.h"

#define KEY_MAX 16384
#define OSSH_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----\n"
#define OSSH_END "-----END OPENSSH PRIVATE KEY-----\n"
#define OSSH_MAGIC "openssh-key-v1"   /* followed by its NUL */

/* ---- OpenSSH's format: a bounded reader and writer ---------------------- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static int rd_u32(struct rd *r, uint32_t *v)
{
	if (r->n < 4)
		return -EINVAL;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return 0;
}

static int rd_str(struct rd *r, const uint8_t **s, size_t *len)
{
	uint32_t l;

	if (rd_u32(r, &l) < 0 || l > r->n)
		return -EINVAL;
	*s = r->p;
	*len = l;
	r->p += l;
	r->n -= l;
	return 0;
}

static int str_is(const uint8_t *s, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(s, want, n) == 0;
}

struct wr {
	uint8_t *p;
	size_t n, cap;
	int err;
};

static void wr_raw(struct wr *w, const void *p, size_t n)
{
	if (w->err || n > w->cap - w->n) {
		w->err = 1;
		return;
	}
	memcpy(w->p + w->n, p, n);
	w->n += n;
}

static void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	wr_raw(w, b, 4);
}

static void wr_str(struct wr *w, const void *p, size_t n)
{
	wr_u32(w, (uint32_t)n);
	wr_raw(w, p, n);
}

static void wr_cstr(struct wr *w, const char *s)
{
	wr_str(w, s, strlen(s));
}

/* An SSH mpint: big-endian, a leading zero byte when the top bit is set. */
static void wr_mpint(struct wr *w, const BIGNUM *bn)
{
	uint8_t b[1100];
	int n = BN_num_bytes(bn);

	if (n < 0 || (size_t)n + 1 > sizeof(b)) {
		w->err = 1;
		return;
	}
	b[0] = 0;
	BN_bn2bin(bn, b + 1);
	if (n > 0 && (b[1] & 0x80))
		wr_str(w, b, (size_t)n + 1);
	else
		wr_str(w, b + 1, (size_t)n);
	OPENSSL_cleanse(b, sizeof(b));
}

static void wr_bnparam(struct wr *w, const EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;

	if (!EVP_PKEY_get_bn_param(k, name, &bn)) {
		w->err = 1;
		return;
	}
	wr_mpint(w, bn);
	BN_clear_free(bn);
}

/* The armored base64 body of an OpenSSH key file, decoded. */
static int ossh_decode(const uint8_t *f, size_t len, uint8_t **out, size_t *outlen)
{
	const uint8_t *b = memmem(f, len, OSSH_BEGIN, sizeof(OSSH_BEGIN) - 1), *e;
	uint8_t *clean = NULL, *dec = NULL;
	size_t i, cn = 0;
	int dn, rc = -EINVAL;

	if (!b)
		return -EINVAL;
	b += sizeof(OSSH_BEGIN) - 1;
	e = memmem(b, len - (size_t)(b - f), "-----END", 8);
	if (!e)
		return -EINVAL;
	clean = calloc(1, (size_t)(e - b) + 1);
	dec = malloc((size_t)(e - b) + 1);
	if (!clean || !dec) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; b + i < e; i++)
		if (b[i] != '\n' && b[i] != '\r')
			clean[cn++] = b[i];
	dn = cn % 4 ? -1 : EVP_DecodeBlock(dec, clean, (int)cn);
	if (dn < 0)
		goto out;
	/* EVP_DecodeBlock counts the padding as zero bytes */
	while (cn && clean[cn - 1] == '=' && dn > 0) {
		cn--;
		dn--;
	}
	*out = dec;
	*outlen = (size_t)dn;
	dec = NULL;
	rc = 0;
out:
	if (clean)
		OPENSSL_cleanse(clean, (size_t)(e - b) + 1);
	free(clean);
	if (dec)
		OPENSSL_cleanse(dec, (size_t)(e - b) + 1);
	free(dec);
	return rc;
}

/* Type, size and comment of an unencrypted OpenSSH key. */
struct ossh_info {
	char type[32];
	int bits;            /* RSA */
	char curve[16];      /* ECDSA: nistp256 ... */
	char comment[256];
};

static int ossh_parse(const uint8_t *blob, size_t n, struct ossh_info *in)
{
	struct rd r = { blob, n }, pr;
	const uint8_t *cipher, *kdf, *kdfo, *pub, *priv, *t, *x;
	size_t cl, kl, kol, pl, vl, tl, xl;
	uint32_t nkeys, c1, c2;

	memset(in, 0, sizeof(*in));
	if (n < sizeof(OSSH_MAGIC) || memcmp(blob, OSSH_MAGIC, sizeof(OSSH_MAGIC)))
		return -EINVAL;
	r.p += sizeof(OSSH_MAGIC);
	r.n -= sizeof(OSSH_MAGIC);
	if (rd_str(&r, &cipher, &cl) < 0)
		return -EINVAL;
	if (!str_is(cipher, cl, "none"))
		return -EOPNOTSUPP;   /* the passphrase is not ours */
	if (rd_str(&r, &kdf, &kl) < 0 || rd_str(&r, &kdfo, &kol) < 0 || rd_u32(&r, &nkeys) < 0 ||
	    nkeys != 1 || rd_str(&r, &pub, &pl) < 0 || rd_str(&r, &priv, &vl) < 0)
		return -EINVAL;
	pr.p = pub;
	pr.n = pl;
	if (rd_str(&pr, &t, &tl) < 0 || tl >= sizeof(in->type))
		return -EINVAL;
	memcpy(in->type, t, tl);
	if (str_is(t, tl, "ssh-rsa")) {
		/* e, then n: its size */
		if (rd_str(&pr, &x, &xl) < 0 || rd_str(&pr, &x, &xl) < 0 || !xl)
			return -EINVAL;
		while (xl && !x[0]) {
			x++;
			xl--;
		}
		in->bits = (int)xl * 8;
	} else if (!strncmp(in->type, "ecdsa-sha2-", 11)) {
		if (rd_str(&pr, &x, &xl) < 0 || xl >= sizeof(in->curve))
			return -EINVAL;
		memcpy(in->curve, x, xl);
	} else if (strcmp(in->type, "ssh-ed25519")) {
		return -EOPNOTSUPP;
	}
	/* the private section: check ints, the key, then the comment */
	pr.p = priv;
	pr.n = vl;
	if (rd_u32(&pr, &c1) < 0 || rd_u32(&pr, &c2) < 0 || c1 != c2 || rd_str(&pr, &t, &tl) < 0)
		return -EINVAL;
	while (pr.n) {          /* key fields: every one a string; the last is the comment */
		if (rd_str(&pr, &x, &xl) < 0)
			break;
		if (pr.n < 8 && pr.n == (size_t)(pr.n ? pr.p[pr.n - 1] : 0)) {
			snprintf(in->comment, sizeof(in->comment), "%.*s", (int)xl, (const char *)x);
			break;
		}
	}
	return 0;
}

static EVP_PKEY *ossh_generate(const struct ossh_info *in)
{
	if (!strcmp(in->type, "ssh-ed25519"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!strcmp(in->type, "ssh-rsa"))
		return in->bits >= 1024 && in->bits <= 8192 ?
			EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)in->bits) : NULL;
	if (!strcmp(in->curve, "nistp256"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!strcmp(in->curve, "nistp384"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (!strcmp(in->curve, "nistp521"))
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	return NULL;
}

/* The public blob (pub = 1) or the private fields of k, as OpenSSH lays them out. */
static void ossh_key_fields(struct wr *w, const struct ossh_info *in, EVP_PKEY *k, int pub)
{
	uint8_t a[160], b[160];
	size_t al = sizeof(a), bl = sizeof(b);

	wr_cstr(w, in->type);
	if (!strcmp(in->type, "ssh-ed25519")) {
		if (!EVP_PKEY_get_raw_public_key(k, a, &al) || (!pub &&
		    !EVP_PKEY_get_raw_private_key(k, b, &bl)) || al != 32 || (!pub && bl != 32)) {
			w->err = 1;
			return;
		}
		wr_str(w, a, al);
		if (!pub) {
			uint8_t sk[64];

			memcpy(sk, b, 32);    /* seed || public */
			memcpy(sk + 32, a, 32);
			wr_str(w, sk, 64);
			OPENSSL_cleanse(sk, sizeof(sk));
		}
	} else if (!strcmp(in->type, "ssh-rsa")) {
		if (pub) {
			wr_bnparam(w, k, OSSL_PKEY_PARAM_RSA_E);
			wr_bnparam(w, k, OSSL_PKEY_PARAM_RSA_N);
		} else {
			wr_bnparam(w, k, OSSL_PKEY_PARAM_RSA_N);
			wr_bnparam(w, k, OSSL_PKEY_PARAM_RSA_E);
			wr_bnparam(w, k, OSSL_PKEY_PARAM_RSA_D);
			wr_bnparam(w, k, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);   /* iqmp */
			wr_bnparam(w, k, OSSL_PKEY_PARAM_RSA_FACTOR1);        /* p */
			wr_bnparam(w, k, OSSL_PKEY_PARAM_RSA_FACTOR2);        /* q */
		}
	} else {
		wr_cstr(w, in->curve);
		if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, a, sizeof(a), &al)) {
			w->err = 1;
			return;
		}
		wr_str(w, a, al);
		if (!pub)
			wr_bnparam(w, k, OSSL_PKEY_PARAM_PRIV_KEY);
	}
	OPENSSL_cleanse(b, sizeof(b));
}

static int ossh_write(const struct ossh_info *in, EVP_PKEY *k, uint8_t **out, size_t *outlen)
{
	uint8_t pubb[2048], privb[8192], fileb[12288], *txt = NULL;
	struct wr pw = { pubb, 0, sizeof(pubb), 0 }, vw = { privb, 0, sizeof(privb), 0 };
	struct wr fw = { fileb, 0, sizeof(fileb), 0 };
	uint32_t check;
	size_t b64n, i, o = 0, cap;
	uint8_t pad = 1;
	int rc = -EIO;

	if (RAND_bytes((uint8_t *)&check, sizeof(check)) != 1)
		goto out;
	ossh_key_fields(&pw, in, k, 1);
	wr_u32(&vw, check);
	wr_u32(&vw, check);
	ossh_key_fields(&vw, in, k, 0);
	wr_cstr(&vw, in->comment);
	while (vw.n % 8) {            /* cipher "none": block size 8 */
		wr_raw(&vw, &pad, 1);
		pad++;
	}
	wr_raw(&fw, OSSH_MAGIC, sizeof(OSSH_MAGIC));
	wr_cstr(&fw, "none");
	wr_cstr(&fw, "none");
	wr_str(&fw, "", 0);
	wr_u32(&fw, 1);
	wr_str(&fw, pubb, pw.n);
	wr_str(&fw, privb, vw.n);
	if (pw.err || vw.err || fw.err)
		goto out;
	b64n = 4 * ((fw.n + 2) / 3);
	cap = sizeof(OSSH_BEGIN) + b64n + b64n / 70 + 2 + sizeof(OSSH_END);
	txt = malloc(cap + b64n + 1);
	if (!txt) {
		rc = -ENOMEM;
		goto out;
	}
	{
		uint8_t *b64 = txt + cap;   /* scratch after the text */

		EVP_EncodeBlock(b64, fileb, (int)fw.n);
		memcpy(txt, OSSH_BEGIN, sizeof(OSSH_BEGIN) - 1);
		o = sizeof(OSSH_BEGIN) - 1;
		for (i = 0; i < b64n; i += 70) {   /* ssh-keygen's line length */
			size_t l = b64n - i < 70 ? b64n - i : 70;

			memcpy(txt + o, b64 + i, l);
			o += l;
			txt[o++] = '\n';
		}
		memcpy(txt + o, OSSH_END, sizeof(OSSH_END) - 1);
		o += sizeof(OSSH_END) - 1;
		OPENSSL_cleanse(b64, b64n + 1);
	}
	*out = txt;
	*outlen = o;
	txt = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(privb, sizeof(privb));
	OPENSSL_cleanse(fileb, sizeof(fileb));
	free(txt);
	return rc;
}

static int key_openssh(const uint8_t *real, size_t len, uint8_t **out, size_t *outlen)
{
	struct ossh_info in;
	uint8_t *blob = NULL;
	size_t bn = 0;
	EVP_PKEY *k = NULL;
	int rc = ossh_decode(real, len, &blob, &bn);

	if (rc < 0)
		return rc;
	rc = ossh_parse(blob, bn, &in);
	OPENSSL_cleanse(blob, bn);
	free(blob);
	if (rc < 0)
		return rc;
	k = ossh_generate(&in);
	if (!k)
		return -EOPNOTSUPP;
	rc = ossh_write(&in, k, out, outlen);
	EVP_PKEY_free(k);
	return rc;
}

/* ---- PEM: OpenSSL reads, generates and writes ------------------------ */

/* No passphrase: an encrypted PEM key fails to load. */
static int no_pass(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return 0;
}

static EVP_PKEY *pem_generate(const EVP_PKEY *real)
{
	char grp[64];
	size_t gl = 0;

	switch (EVP_PKEY_get_base_id(real)) {
	case EVP_PKEY_RSA:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)EVP_PKEY_get_bits(real));
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(real, OSSL_PKEY_PARAM_GROUP_NAME, grp,
						    sizeof(grp), &gl))
			return NULL;
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", grp);
	case EVP_PKEY_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case EVP_PKEY_ED448:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	default:
		return NULL;
	}
}

static int key_pem(const uint8_t *real, size_t len, uint8_t **out, size_t *outlen)
{
	BIO *in = BIO_new_mem_buf(real, (int)len), *o = NULL;
	EVP_PKEY *rk = NULL, *k = NULL;
	int traditional = memmem(real, len, "-----BEGIN RSA PRIVATE KEY-----", 31) ||
			  memmem(real, len, "-----BEGIN EC PRIVATE KEY-----", 30);
	char *mem;
	long ml;
	int rc = -EOPNOTSUPP;

	if (!in)
		return -ENOMEM;
	if (memmem(real, len, "ENCRYPTED", 9))
		goto out;   /* PKCS#8 encrypted, or Proc-Type: 4,ENCRYPTED */
	rk = PEM_read_bio_PrivateKey(in, NULL, no_pass, NULL);
	if (!rk)
		goto out;
	k = pem_generate(rk);
	if (!k)
		goto out;
	rc = -EIO;
	o = BIO_new(BIO_s_secmem());
	if (!o || !(traditional ? PEM_write_bio_PrivateKey_traditional(o, k, NULL, NULL, 0, NULL, NULL)
				: PEM_write_bio_PrivateKey(o, k, NULL, NULL, 0, NULL, NULL)))
		goto out;
	ml = BIO_get_mem_data(o, &mem);
	if (ml <= 0 || !(*out = malloc((size_t)ml))) {
		rc = ml <= 0 ? -EIO : -ENOMEM;
		goto out;
	}
	memcpy(*out, mem, (size_t)ml);
	*outlen = (size_t)ml;
	rc = 0;
out:
	EVP_PKEY_free(rk);
	EVP_PKEY_free(k);
	BIO_free(in);
	BIO_free(o);
	return rc;
}

/* ---- the public half, as a .pub line ----------------------------------- */

static int no_pass(char *buf, int size, int rw, void *u);

/* OpenSSH's names for a key OpenSSL holds. */
static int ossh_info_of(EVP_PKEY *k, struct ossh_info *in)
{
	char grp[64];
	size_t gl = 0;

	memset(in, 0, sizeof(*in));
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_ED25519:
		snprintf(in->type, sizeof(in->type), "ssh-ed25519");
		return 0;
	case EVP_PKEY_RSA:
		snprintf(in->type, sizeof(in->type), "ssh-rsa");
		return 0;
	case EVP_PKEY_EC:
		if (!EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, grp, sizeof(grp), &gl))
			return -EINVAL;
		if (!strcmp(grp, "prime256v1") || !strcmp(grp, "P-256"))
			snprintf(in->curve, sizeof(in->curve), "nistp256");
		else if (!strcmp(grp, "secp384r1") || !strcmp(grp, "P-384"))
			snprintf(in->curve, sizeof(in->curve), "nistp384");
		else if (!strcmp(grp, "secp521r1") || !strcmp(grp, "P-521"))
			snprintf(in->curve, sizeof(in->curve), "nistp521");
		else
			return -EOPNOTSUPP;
		snprintf(in->type, sizeof(in->type), "ecdsa-sha2-%s", in->curve);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int pub_line(const char *type, const uint8_t *blob, size_t bl, const char *comment,
		    char **out, size_t *outlen)
{
	size_t cap = strlen(type) + 4 * ((bl + 2) / 3) + strlen(comment) + 4;
	char *l = malloc(cap);
	int n;

	if (!l)
		return -ENOMEM;
	n = snprintf(l, cap, "%s ", type);
	n += EVP_EncodeBlock((uint8_t *)l + n, blob, (int)bl);
	n += snprintf(l + n, cap - (size_t)n, "%s%s\n", comment[0] ? " " : "", comment);
	*out = l;
	*outlen = (size_t)n;
	return 0;
}

int brk_placeholder_key_pub(const uint8_t *key, size_t len, const char *comment, char **out,
			    size_t *outlen)
{
	struct ossh_info in;
	uint8_t pubb[2048], *blob = NULL;
	struct wr pw = { pubb, 0, sizeof(pubb), 0 };
	size_t bn = 0;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (!len || len > KEY_MAX)
		return -EINVAL;
	if (memmem(key, len, OSSH_BEGIN, sizeof(OSSH_BEGIN) - 1)) {
		/* the public blob is the file's first key string */
		struct rd r;
		const uint8_t *p;
		size_t pl, skip;
		uint32_t nk;

		if ((rc = ossh_decode(key, len, &blob, &bn)) < 0)
			return rc;
		rc = ossh_parse(blob, bn, &in);
		r.p = blob + sizeof(OSSH_MAGIC);
		r.n = bn > sizeof(OSSH_MAGIC) ? bn - sizeof(OSSH_MAGIC) : 0;
		for (skip = 0; rc == 0 && skip < 3; skip++)
			rc = rd_str(&r, &p, &pl);
		if (rc == 0 && (rd_u32(&r, &nk) < 0 || rd_str(&r, &p, &pl) < 0))
			rc = -EINVAL;
		if (rc == 0)
			rc = pub_line(in.type, p, pl, comment ? comment : in.comment, out, outlen);
		OPENSSL_cleanse(blob, bn);
		free(blob);
		return rc;
	} else {
		BIO *b = BIO_new_mem_buf(key, (int)len);
		EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, no_pass, NULL) : NULL;

		rc = k ? ossh_info_of(k, &in) : -EINVAL;
		if (rc == 0) {
			ossh_key_fields(&pw, &in, k, 1);
			rc = pw.err ? -EIO : pub_line(in.type, pubb, pw.n, comment ? comment : "",
						      out, outlen);
		}
		EVP_PKEY_free(k);
		BIO_free(b);
		return rc;
	}
}

int brk_placeholder_key(const uint8_t *real, size_t len, uint8_t **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (!len || len > KEY_MAX)
		return -EINVAL;
	if (memmem(real, len, OSSH_BEGIN, sizeof(OSSH_BEGIN) - 1))
		return key_openssh(real, len, out, outlen);
	if (memmem(real, len, "PRIVATE KEY-----", 16))
		return key_pem(real, len, out, outlen);
	return -EINVAL;
}
