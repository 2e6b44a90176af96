/* SPDX-License-Identifier: MIT */
/*
 * secrets_cloud.c - the cloud and platform credential files (secrets_int.h):
 * gcloud's application default credentials and service-account keys,
 * kubeconfig users, the Azure CLI's token caches and service principals,
 * Terraform's credentials.tfrc.json, hub, composer's auth.json, the AWS
 * CLI's and SSO's credential caches.
 *
 * Each file is read whole with sec_json_walk() after a validating walk (a
 * JSON file that does not parse gives nothing) or sec_yaml_walk_parts()
 * (a YAML file gives what of it parses: a kubeconfig with one bad entry
 * still gives its users). A private key
 * embedded in a file (a service account's "private_key", a kubeconfig's
 * client-key-data) is indexed as a key file (known_key.c: its private
 * fields only).
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "broker/secrets_int.h"

static const char *const google[] = { "oauth2.googleapis.com", "accounts.google.com",
				      "www.googleapis.com", NULL };

struct file_cb {
	struct ctx *c;
	const char *path;
	int whole;                        /* a source names the file, not a line
					   * (lines inside a database's row) */
};

static void source_at(const struct file_cb *f, unsigned line, char *src, size_t cap)
{
	char *colon;

	sec_source_name(f->c, f->path, line, src, cap);
	if (f->whole && (colon = strrchr(src, ':')) != NULL)
		*colon = '\0';
}

static const char *last(const struct tree_ev *e)
{
	return e->depth ? e->path[e->depth - 1] : "";
}

static void add_at(const struct file_cb *f, const struct tree_ev *e, const char *const *homes)
{
	char src[300];

	source_at(f, e->line, src, sizeof(src));
	sec_add_str(f->c, e->v, e->vl, src, homes);
}

static void add_key_at(const struct file_cb *f, const struct tree_ev *e, const char *v,
		       size_t vl)
{
	char src[300];

	struct brk_secret *x;

	source_at(f, e->line, src, sizeof(src));
	if (memmem(v, vl, "PRIVATE KEY-----", 16) &&
	    (x = sec_add(f->c, (const uint8_t *)v, vl, src, NULL, 1)) != NULL)
		x->embedded = 1;
}

static void walk_json(struct ctx *c, const char *path, const char *b, size_t len, tree_fn *fn)
{
	struct file_cb f = { .c = c, .path = path };

	if (sec_json_walk(b, len, NULL, NULL) == 0)
		sec_json_walk(b, len, fn, &f);
}

/* ---- GCP --------------------------------------------------------------- */

/* application_default_credentials.json, adc.json, a service-account key:
 * an authorized user's client_secret and refresh_token (to Google's token
 * endpoint), a service account's private_key (signs; never travels). */
static void gcp_ev(const struct tree_ev *e, void *arg)
{
	const char *k = last(e);

	if (!strcmp(k, "client_secret") || !strcmp(k, "refresh_token"))
		add_at(arg, e, google);
	else if (!strcmp(k, "private_key"))
		add_key_at(arg, e, e->v, e->vl);
}

void sec_parse_gcp(struct ctx *c, const char *path, const char *b, size_t len)
{
	walk_json(c, path, b, len, gcp_ev);
}

/* Credentials among bytes: every balanced {...} that parses as JSON
 * walked like an ADC file, every ya29. token taken whole. */
static void gcloud_bytes(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct file_cb f = { .c = c, .path = path, .whole = 1 };
	const char *p = b, *e = b + len;
	size_t budget = 8 * len + 65536;   /* bytes looked at: "{{{{..." stays linear */
	char src[300];

	while (budget && (p = memchr(p, '{', (size_t)(e - p))) != NULL) {
		const char *q = p;
		unsigned depth = 0;
		int str = 0;

		for (; q < e && q - p < 16384 && budget; q++, budget--) {
			if (str) {
				if (*q == '\\')
					q++;
				else if (*q == '"')
					str = 0;
			} else if (*q == '"') {
				str = 1;
			} else if (*q == '{') {
				depth++;
			} else if (*q == '}' && --depth == 0) {
				break;
			}
		}
		if (q < e && depth == 0 && sec_json_walk(p, (size_t)(q + 1 - p), NULL, NULL) == 0) {
			sec_json_walk(p, (size_t)(q + 1 - p), gcp_ev, &f);
			p = q + 1;
		} else {
			p++;
		}
	}
	for (p = b; (p = memmem(p, (size_t)(e - p), "ya29.", 5)) != NULL; ) {
		const char *q = p + 5;

		while (q < e && (isalnum((unsigned char)*q) || *q == '-' || *q == '_' || *q == '.'))
			q++;
		sec_source_name(c, path, 1, src, sizeof(src));
		src[strlen(src) - 2] = '\0';
		sec_add_str(c, p, (size_t)(q - p), src, google);
		p = q;
	}
}

static void gcloud_row(const struct sqlite_row *r, void *arg)
{
	const struct file_cb *f = arg;
	unsigned i;

	for (i = 0; i < r->ncol; i++)
		if (r->type[i] == SQLITE_TEXT || r->type[i] == SQLITE_BLOB)
			gcloud_bytes(f->c, f->path, (const char *)r->v[i], r->n[i]);
}

/* gcloud's credentials.db and access_tokens.db (SQLite): each account's
 * credential is a JSON text in a row (as in an ADC file), an access token
 * a "ya29." string. Read as SQLite (secrets_sqlite.c): each text or blob
 * column of each row, joined across overflow pages (a long credential
 * spills past its table page); and as bytes: what freed space still holds,
 * and all of a file that is not SQLite. */
char *sec_read_beside(const char *path, const char *suffix, size_t *len)
{
	char p[PATH_MAX];

	*len = 0;
	if ((size_t)snprintf(p, sizeof(p), "%s%s", path, suffix) >= sizeof(p))
		return NULL;
	return sec_read_head(p, STORE_MAX, len);
}

void sec_parse_gcloud_db(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct file_cb f = { .c = c, .path = path, .whole = 1 };
	struct sqlite_img im = { .b = (const uint8_t *)b, .len = len };
	char *wal = sec_read_beside(path, "-wal", &im.wal_len);
	char *jr = sec_read_beside(path, "-journal", &im.jrnl_len);

	im.wal = (const uint8_t *)wal;
	im.jrnl = (const uint8_t *)jr;
	gcloud_bytes(c, path, b, len);
	if (wal)
		gcloud_bytes(c, path, wal, im.wal_len);
	if (jr)
		gcloud_bytes(c, path, jr, im.jrnl_len);
	sec_sqlite_walk(&im, 0, gcloud_row, &f);
	sec_wipe_free(wal, im.wal_len);
	sec_wipe_free(jr, im.jrnl_len);
}

/* ---- Kubernetes --------------------------------------------------------- */

/* Names of the first KUBE_N clusters, contexts and users pair a user's
 * credential with its servers; a user past them still gives its
 * credential, with no home (refused everywhere). */
#define KUBE_N 256

/* A kubeconfig's users' credentials go to the servers of the clusters the
 * contexts pair them with (and an OIDC provider's refresh token to its
 * issuer): a first walk collects the names, a second the credentials. */
struct kube {
	struct file_cb f;
	int pass;
	char cl_name[KUBE_N][128], cl_host[KUBE_N][256];
	char cx_user[KUBE_N][128], cx_cluster[KUBE_N][128];
	char us_name[KUBE_N][128], us_issuer[KUBE_N][256];
};

/* The list index at path[i]: -1 none, -2 past KUBE_N. */
static int item(const struct tree_ev *e, unsigned i)
{
	unsigned long n;
	char *end;

	if (i >= e->depth || e->path[i][0] != '#')
		return -1;
	n = strtoul(e->path[i] + 1, &end, 10);
	return *end ? -1 : n >= KUBE_N ? -2 : (int)n;
}

static void kube_homes(const struct kube *k, int u, int issuer, const char **h)
{
	size_t n = 0;
	int i, j;

	for (i = 0; u >= 0 && i < KUBE_N && n + 2 < BRK_SECRET_HOMES; i++) {
		if (!k->us_name[u][0] || strcmp(k->cx_user[i], k->us_name[u]))
			continue;
		for (j = 0; j < KUBE_N && n + 2 < BRK_SECRET_HOMES; j++)
			if (k->cl_host[j][0] && !strcmp(k->cl_name[j], k->cx_cluster[i]))
				h[n++] = k->cl_host[j];
	}
	if (issuer && u >= 0 && k->us_issuer[u][0])
		h[n++] = k->us_issuer[u];
	h[n] = NULL;
}

static void kube_ev(const struct tree_ev *e, void *arg)
{
	struct kube *k = arg;
	const char *h[BRK_SECRET_HOMES + 1];
	int i = item(e, 1);
	const char *key = last(e);

	if (i == -1 || (i == -2 && k->pass == 0))
		return;
	if (k->pass == 0) {
		if (sec_tree_at(e, 0, "clusters") && e->depth == 3 && !strcmp(key, "name"))
			snprintf(k->cl_name[i], sizeof(k->cl_name[i]), "%s", e->v);
		else if (sec_tree_at(e, 0, "clusters") && e->depth == 4 &&
			 sec_tree_at(e, 2, "cluster") && !strcmp(key, "server"))
			sec_url_host(e->v, e->vl, k->cl_host[i], sizeof(k->cl_host[i]));
		else if (sec_tree_at(e, 0, "contexts") && e->depth == 4 &&
			 sec_tree_at(e, 2, "context") && !strcmp(key, "user"))
			snprintf(k->cx_user[i], sizeof(k->cx_user[i]), "%s", e->v);
		else if (sec_tree_at(e, 0, "contexts") && e->depth == 4 &&
			 sec_tree_at(e, 2, "context") && !strcmp(key, "cluster"))
			snprintf(k->cx_cluster[i], sizeof(k->cx_cluster[i]), "%s", e->v);
		else if (sec_tree_at(e, 0, "users") && e->depth == 3 && !strcmp(key, "name"))
			snprintf(k->us_name[i], sizeof(k->us_name[i]), "%s", e->v);
		else if (sec_tree_at(e, 0, "users") && e->depth == 6 &&
			 sec_tree_at(e, 3, "auth-provider") && !strcmp(key, "idp-issuer-url"))
			sec_url_host(e->v, e->vl, k->us_issuer[i], sizeof(k->us_issuer[i]));
		return;
	}
	if (!sec_tree_at(e, 0, "users") || !sec_tree_at(e, 2, "user"))
		return;
	if (e->depth == 4 && (!strcmp(key, "token") || !strcmp(key, "password"))) {
		kube_homes(k, i, 0, h);
		add_at(&k->f, e, h);
	} else if (e->depth == 4 && !strcmp(key, "client-key-data")) {
		char *pem = malloc(e->vl);
		size_t n;

		if (!pem) {
			k->f.c->oom = 1;
			return;
		}
		n = sec_b64_decode(e->v, e->vl, pem, e->vl);
		add_key_at(&k->f, e, pem, n);
		explicit_bzero(pem, e->vl);
		free(pem);
	} else if (e->depth == 4 && !strcmp(key, "client-key")) {
		sec_read_key(k->f.c, e->v);
	} else if (e->depth == 6 && sec_tree_at(e, 3, "auth-provider") &&
		   sec_tree_at(e, 4, "config") &&
		   (!strcmp(key, "access-token") || !strcmp(key, "id-token") ||
		    !strcmp(key, "refresh-token") || !strcmp(key, "client-secret"))) {
		kube_homes(k, i, key[0] == 'r' || key[0] == 'c', h);
		add_at(&k->f, e, h);
	}
}

void sec_parse_kube(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct kube *k = calloc(1, sizeof(*k));
	size_t i = 0;
	int json;

	if (!k) {
		c->oom = 1;
		return;
	}
	k->f.c = c;
	k->f.path = path;
	while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
		i++;
	/* kubectl reads JSON kubeconfigs too; one that is not JSON may be YAML
	 * in flow style */
	json = i < len && b[i] == '{' && sec_json_walk(b, len, NULL, NULL) == 0;
	(json ? sec_json_walk : sec_yaml_walk_parts)(b, len, kube_ev, k);
	k->pass = 1;
	(json ? sec_json_walk : sec_yaml_walk_parts)(b, len, kube_ev, k);
	free(k);
}

/* ---- Azure ------------------------------------------------------------- */

static const char *const azure_api[] = { "*.azure.com", "*.azure.net", "*.windows.net",
					 "*.microsoft.com", "*.microsoftonline.com", NULL };
static const char *const azure_login[] = { "login.microsoftonline.com",
					   "*.microsoftonline.com", "login.windows.net", NULL };

/* msal_token_cache.json: {"AccessToken": {ID: {"secret": ...}}, "RefreshToken": ...} */
static void msal_ev(const struct tree_ev *e, void *arg)
{
	if (e->depth != 3 || strcmp(last(e), "secret"))
		return;
	if (sec_tree_at(e, 0, "AccessToken") || sec_tree_at(e, 0, "IdToken"))
		add_at(arg, e, azure_api);
	else if (sec_tree_at(e, 0, "RefreshToken"))
		add_at(arg, e, azure_login);
}

void sec_parse_azure_msal(struct ctx *c, const char *path, const char *b, size_t len)
{
	walk_json(c, path, b, len, msal_ev);
}

/* accessTokens.json (older az): [{"accessToken", "refreshToken", "_clientSecret"}] */
static void aztok_ev(const struct tree_ev *e, void *arg)
{
	const char *k = last(e);

	if (e->depth != 2)
		return;
	if (!strcmp(k, "accessToken"))
		add_at(arg, e, azure_api);
	else if (!strcmp(k, "refreshToken") || !strcmp(k, "_clientSecret"))
		add_at(arg, e, azure_login);
}

void sec_parse_azure_tokens(struct ctx *c, const char *path, const char *b, size_t len)
{
	walk_json(c, path, b, len, aztok_ev);
}

/* service_principal_entries.json: [{"client_id", "tenant", "client_secret"}] */
static void azsp_ev(const struct tree_ev *e, void *arg)
{
	if (e->depth == 2 && !strcmp(last(e), "client_secret"))
		add_at(arg, e, azure_login);
}

void sec_parse_azure_sp(struct ctx *c, const char *path, const char *b, size_t len)
{
	walk_json(c, path, b, len, azsp_ev);
}

/* ---- Terraform, hub, composer ------------------------------------------ */

/* credentials.tfrc.json: {"credentials": {HOST: {"token": ...}}} */
static void tfrc_ev(const struct tree_ev *e, void *arg)
{
	const char *h[2] = { NULL, NULL };

	if (e->depth == 3 && sec_tree_at(e, 0, "credentials") && !strcmp(last(e), "token")) {
		h[0] = e->path[1];
		add_at(arg, e, h);
	}
}

void sec_parse_tfrc(struct ctx *c, const char *path, const char *b, size_t len)
{
	walk_json(c, path, b, len, tfrc_ev);
}

/* ~/.config/hub: HOST:\n- user: U\n  oauth_token: T */
static void hub_ev(const struct tree_ev *e, void *arg)
{
	char api[300];
	const char *h[3] = { e->path[0], api, NULL };

	if (e->depth != 3 || strcmp(last(e), "oauth_token"))
		return;
	snprintf(api, sizeof(api), "api.%s", e->path[0]);
	add_at(arg, e, h);
}

void sec_parse_hub(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct file_cb f = { .c = c, .path = path };

	sec_yaml_walk_parts(b, len, hub_ev, &f);
}

/* auth.json: {"http-basic": {HOST: {"username", "password"}}, "github-oauth":
 * {HOST: T}, "gitlab-token": {HOST: T | {"username", "token"}},
 * "gitlab-oauth", "bearer": {HOST: T}, "bitbucket-oauth": {HOST:
 * {"consumer-key", "consumer-secret"}}} */
static void composer_ev(const struct tree_ev *e, void *arg)
{
	static const char *const top[] = { "http-basic", "github-oauth", "gitlab-token",
					   "gitlab-oauth", "bearer", "bitbucket-oauth", NULL };
	const char *k = last(e);
	char api[300];
	const char *h[3] = { NULL, NULL, NULL };
	size_t i;

	if (e->depth < 2 || e->depth > 3)
		return;
	for (i = 0; top[i] && !sec_tree_at(e, 0, top[i]); i++)
		;
	if (!top[i] || (e->depth == 3 && strcmp(k, "password") && strcmp(k, "token") &&
			strcmp(k, "consumer-secret") && strcmp(k, "consumer-key")))
		return;
	h[0] = e->path[1];
	if (!strcasecmp(h[0], "github.com") || !strcasecmp(h[0], "bitbucket.org")) {
		snprintf(api, sizeof(api), "api.%s", h[0]);
		h[1] = api;
	}
	add_at(arg, e, h);
}

void sec_parse_composer(struct ctx *c, const char *path, const char *b, size_t len)
{
	walk_json(c, path, b, len, composer_ev);
}

/* ---- browser cookies --------------------------------------------------- */

/* A profile's cookie store: Firefox's cookies.sqlite (moz_cookies: name,
 * value, host) or Chrome's and Chromium's Cookies (cookies: name, value or
 * encrypted_value, host_key), its rows found through the schema
 * (sqlite_master: the table's root page, its columns' order). A cookie's
 * value is homed at its host (".example.com": the domain and its
 * subdomains). Session-like names (sess, sid, auth, token...) first, then
 * values random enough to be tokens (24 bytes, 4 bits a byte: not a
 * tracker's GA1.2.123.456, a locale, a consent flag); at most FF_MAX a
 * collection (a profile holds thousands; BRK_SECRETS_MAX is for all
 * sources). */
#define FF_MAX 64
#define FF_PROFILES 8                  /* profiles looked at (MORE_MAX is shared) */
#define COOKIE_MAX 8192                /* a decrypted value (browsers keep 4 KiB) */

struct ff {
	struct file_cb f;
	const char *table, *host_col;
	uint32_t root;
	int col_name, col_value, col_host, col_enc;
	int pass;                         /* 0: session-like names, 1: the rest */
	EVP_CIPHER_CTX *aes;              /* Chrome: v10 values (NULL: none yet) */
	EVP_CIPHER *cbc;
	EVP_MD *sha;
	int aes_failed;
	uint8_t plain[COOKIE_MAX + 32];
};

static uint64_t row_int(const struct sqlite_row *r, unsigned i)
{
	uint64_t v = 0;
	size_t k;

	for (k = 0; k < r->n[i]; k++)
		v = v << 8 | r->v[i][k];
	return v;
}

/* the column named want in CREATE TABLE x (a TYPE, b TYPE, ...): its
 * index, or -1 */
static int sql_column(const uint8_t *sql, size_t n, const char *want)
{
	const uint8_t *p = memchr(sql, '(', n), *e = sql + n;
	size_t wl = strlen(want);
	int idx = 0, depth = 0, start = 1;

	if (!p)
		return -1;
	for (p++; p < e; p++) {
		if (start) {
			const uint8_t *t;

			while (p < e && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
				p++;
			if (p < e && (*p == '"' || *p == '`' || *p == '['))
				p++;
			for (t = p; t < e && (isalnum(*t) || *t == '_'); t++)
				;
			if ((size_t)(t - p) == wl && !strncasecmp((const char *)p, want, wl))
				return idx;
			start = 0;
			if (p >= e)
				break;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth-- == 0)
			break;
		else if (*p == ',' && depth == 0) {
			idx++;
			start = 1;
		}
	}
	return -1;
}

static void ff_master(const struct sqlite_row *r, void *arg)
{
	struct ff *f = arg;
	size_t tl = strlen(f->table);

	if (r->ncol < 5 || r->type[0] != SQLITE_TEXT || r->n[0] != 5 || memcmp(r->v[0], "table", 5) ||
	    r->type[1] != SQLITE_TEXT || r->n[1] != tl || memcmp(r->v[1], f->table, tl) ||
	    r->type[3] != SQLITE_NUM || r->type[4] != SQLITE_TEXT)
		return;
	f->root = (uint32_t)row_int(r, 3);
	f->col_name = sql_column(r->v[4], r->n[4], "name");
	f->col_value = sql_column(r->v[4], r->n[4], "value");
	f->col_host = sql_column(r->v[4], r->n[4], f->host_col);
	f->col_enc = sql_column(r->v[4], r->n[4], "encrypted_value");
}

static int session_like(const uint8_t *v, size_t n)
{
	static const char *const part[] = { "sess", "sid", "auth", "token", "login", "jwt",
					    "remember", "user_s", "secure", NULL };
	char low[64];
	size_t i;

	if (n >= sizeof(low))
		return 0;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower(v[i]);
	low[n] = '\0';
	for (i = 0; part[i]; i++)
		if (strstr(low, part[i]))
			return 1;
	return 0;
}

/* Chrome's v10 key on Linux, the one it uses without a keyring:
 * PBKDF2-HMAC-SHA1 of "peanuts", salt "saltysalt", 1 iteration, 16 bytes
 * (t/unit chrome_cookies derives it by PKCS5_PBKDF2_HMAC()). A constant:
 * deriving it costs OpenSSL's KDF fetch, 5M instructions at every start. */
static const uint8_t chrome_key[16] = {
	0xfd, 0x62, 0x1f, 0xe5, 0xa2, 0xb4, 0x02, 0x53, 0x9d, 0xfa, 0x14, 0x7c, 0xa9, 0x27, 0x27, 0x78,
};

/* Chrome's v10 value on Linux, e[0, n): AES-128-CBC under chrome_key, IV
 * 16 spaces; from its database version 24 the plaintext starts with
 * SHA-256 of the host_key, dropped. v11 (a key from the desktop keyring)
 * is not read. The cipher is set up at the first v10 value, then only
 * its IV reset. Into f->plain; its length, or 0. */
static size_t chrome_value(struct ff *f, const uint8_t *e, size_t n, const uint8_t *host,
			   size_t hl)
{
	static const uint8_t iv[16] = "                ";
	uint8_t md[32];
	int a = 0, b = 0;

	if (n < 3 + 16 || n - 3 > COOKIE_MAX || (n - 3) % 16 || memcmp(e, "v10", 3))
		return 0;
	if (!f->aes) {
		/* fetched once: EVP_aes_128_cbc() and EVP_sha256() fetch at each use */
		if (f->aes_failed || !(f->aes = EVP_CIPHER_CTX_new()) ||
		    !(f->cbc = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL)) ||
		    !(f->sha = EVP_MD_fetch(NULL, "SHA2-256", NULL)) ||
		    EVP_DecryptInit_ex(f->aes, f->cbc, NULL, chrome_key, iv) != 1) {
			f->aes_failed = 1;
			return 0;
		}
	} else if (EVP_DecryptInit_ex(f->aes, NULL, NULL, NULL, iv) != 1) {
		return 0;
	}
	if (EVP_DecryptUpdate(f->aes, f->plain, &a, e + 3, (int)(n - 3)) != 1 ||
	    EVP_DecryptFinal_ex(f->aes, f->plain + a, &b) != 1)
		return 0;
	a += b;
	if (a >= 32 && EVP_Digest(host, hl, md, NULL, f->sha, NULL) == 1 &&
	    !memcmp(f->plain, md, 32)) {
		memmove(f->plain, f->plain + 32, (size_t)a - 32);
		a -= 32;
	}
	return (size_t)a;
}

static void ff_row(const struct sqlite_row *r, void *arg)
{
	struct ff *f = arg;
	char host[256], star[260], src[300];
	const char *h[3] = { host, NULL, NULL };
	unsigned *cnt = &f->f.c->cookies;
	const uint8_t *v;
	size_t hl, vl;

	if ((unsigned)f->col_value >= r->ncol || (unsigned)f->col_host >= r->ncol ||
	    (unsigned)f->col_name >= r->ncol || r->type[f->col_value] != SQLITE_TEXT ||
	    r->type[f->col_host] != SQLITE_TEXT || *cnt >= FF_MAX ||
	    session_like(r->v[f->col_name], r->n[f->col_name]) != !f->pass)
		return;
	v = r->v[f->col_value];
	vl = r->n[f->col_value];
	if (!vl && (unsigned)f->col_enc < r->ncol && r->type[f->col_enc] == SQLITE_BLOB) {
		vl = chrome_value(f, r->v[f->col_enc], r->n[f->col_enc], r->v[f->col_host],
				  r->n[f->col_host]);
		v = f->plain;
	}
	if (f->pass && (vl < 24 || sec_entropy(v, vl) < 4.0))
		return;
	hl = r->n[f->col_host];
	if (hl && r->v[f->col_host][0] == '.')
		hl--;
	if (!hl || hl >= sizeof(host))
		return;
	memcpy(host, r->v[f->col_host] + (r->n[f->col_host] - hl), hl);
	host[hl] = '\0';
	if (r->n[f->col_host] > hl) {
		snprintf(star, sizeof(star), "*.%s", host);
		h[1] = star;
	}
	source_at(&f->f, 0, src, sizeof(src));
	if (sec_add(f->f.c, v, vl, src, h, 0))
		++*cnt;
}

static void parse_cookies(struct ff *f, const char *path, const char *b, size_t len)
{
	struct sqlite_img im = { .b = (const uint8_t *)b, .len = len };
	char *wal = sec_read_beside(path, "-wal", &im.wal_len);
	char *jr = sec_read_beside(path, "-journal", &im.jrnl_len);

	im.wal = (const uint8_t *)wal;
	if (sec_sqlite_walk(&im, 1, ff_master, f) == 0 && f->root && f->col_name >= 0 &&
	    f->col_value >= 0 && f->col_host >= 0) {
		im.jrnl = (const uint8_t *)jr;   /* the table's old pages (not the schema's) */
		sec_sqlite_walk(&im, f->root, ff_row, f);
		f->pass = 1;
		sec_sqlite_walk(&im, f->root, ff_row, f);
	}
	sec_wipe_free(wal, im.wal_len);
	sec_wipe_free(jr, im.jrnl_len);
}

void sec_parse_firefox(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct ff *f = calloc(1, sizeof(*f));

	if (!f) {
		c->oom = 1;
		return;
	}
	*f = (struct ff){ .f = { .c = c, .path = path, .whole = 1 }, .table = "moz_cookies",
			  .host_col = "host", .col_name = -1, .col_value = -1, .col_host = -1,
			  .col_enc = -1 };
	parse_cookies(f, path, b, len);
	free(f);
}

void sec_parse_chrome(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct ff *f = calloc(1, sizeof(*f));

	if (!f) {
		c->oom = 1;
		return;
	}
	*f = (struct ff){ .f = { .c = c, .path = path, .whole = 1 }, .table = "cookies",
			  .host_col = "host_key", .col_name = -1, .col_value = -1, .col_host = -1,
			  .col_enc = -1 };
	parse_cookies(f, path, b, len);
	EVP_CIPHER_CTX_free(f->aes);
	EVP_CIPHER_free(f->cbc);
	EVP_MD_free(f->sha);
	explicit_bzero(f, sizeof(*f));
	free(f);
}

/* ---- paths beyond the fixed table -------------------------------------- */

static size_t put(char (*dst)[PATH_MAX], parse_fn **fn, size_t n, size_t max, parse_fn *f,
		  const char *a, const char *b, const char *d)
{
	int w;

	if (n >= max)
		return n;
	w = snprintf(dst[n], PATH_MAX, "%s%s%s", a, b ? b : "", d ? d : "");
	if (w <= 0 || w >= PATH_MAX)
		return n;
	fn[n] = f;
	return n + 1;
}

/* ~/.aws/cli/cache/NAME.json (assume-role and SSO role credentials the CLI
 * and botocore keep until they expire: {"Credentials": {"AccessKeyId",
 * "SecretAccessKey", "SessionToken"}}) and ~/.aws/sso/cache/NAME.json (the
 * SSO portal's "accessToken", the OIDC client's "refreshToken" and
 * "clientSecret"). Same homes as ~/.aws/credentials: the key id and the
 * session token travel to AWS, the secret key never does. */
static void aws_cache_ev(const struct tree_ev *e, void *arg)
{
	static const char *const aws[] = { "*.amazonaws.com", "amazonaws.com", NULL };
	static const char *const sso[] = { "*.amazonaws.com", "*.awsapps.com", NULL };
	static const char *const idh[] = { "*.amazonaws.com", "!s3.amazonaws.com",
					   "!*.s3.amazonaws.com", NULL };
	const char *k = last(e);

	if (!strcmp(k, "AccessKeyId"))
		add_at(arg, e, idh);
	else if (!strcmp(k, "SecretAccessKey"))
		add_at(arg, e, NULL);
	else if (!strcmp(k, "SessionToken"))
		add_at(arg, e, aws);
	else if (!strcmp(k, "accessToken") || !strcmp(k, "refreshToken") ||
		 !strcmp(k, "clientSecret"))
		add_at(arg, e, sso);
}

void sec_parse_aws_cache(struct ctx *c, const char *path, const char *b, size_t len)
{
	walk_json(c, path, b, len, aws_cache_ev);
}

/* The newest AWS_CACHE_FILES of a cache directory's JSON files, looking at
 * no more than AWS_CACHE_SEEN entries. botocore never prunes its cache,
 * so an old machine's directory holds hundreds of expired files and the
 * live ones are the most recently written: readdir order would drop them. */
#define AWS_CACHE_FILES 64
#define AWS_CACHE_SEEN 4096

struct aws_file {
	time_t mtime;
	char name[NAME_MAX + 1];
};

/* Keep *de in f[0..*nf) if it is among the newest AWS_CACHE_FILES. */
static void aws_keep(struct aws_file *f, size_t *nf, int dfd, const struct dirent *de)
{
	size_t nl = strlen(de->d_name), i, old = 0;
	struct stat st;

	if (nl < 6 || nl > NAME_MAX || strcmp(de->d_name + nl - 5, ".json") || de->d_name[0] == '.' ||
	    fstatat(dfd, de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
		return;
	if (*nf < AWS_CACHE_FILES) {
		old = (*nf)++;
	} else {
		for (i = 1; i < *nf; i++)
			if (f[i].mtime < f[old].mtime)
				old = i;
		if (f[old].mtime >= st.st_mtime)
			return;
	}
	f[old].mtime = st.st_mtime;
	memcpy(f[old].name, de->d_name, nl + 1);
}

static size_t aws_caches(struct ctx *c, char (*dst)[PATH_MAX], parse_fn **fn, size_t n,
			 size_t max)
{
	static const char *const at[] = { ".aws/cli/cache", ".aws/sso/cache", ".aws/boto/cache" };
	struct aws_file *f;
	char dir[PATH_MAX];
	struct dirent *de;
	size_t i, j, nf;
	DIR *d;

	if (!c->home || !*c->home || (f = malloc(AWS_CACHE_FILES * sizeof(*f))) == NULL)
		return n;
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		unsigned seen = 0;

		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", c->home, at[i]) >= sizeof(dir) ||
		    (d = opendir(dir)) == NULL)
			continue;
		nf = 0;
		while ((de = readdir(d)) != NULL && seen++ < AWS_CACHE_SEEN)
			aws_keep(f, &nf, dirfd(d), de);
		closedir(d);
		for (j = 0; j < nf; j++)
			n = put(dst, fn, n, max, sec_parse_aws_cache, dir, "/", f[j].name);
	}
	free(f);
	return n;
}

/* A service-account key in the working directory: *.json naming itself so
 * (gcloud iam service-accounts keys create writes it where it is told). */
static int sa_key_file(const char *path)
{
	size_t len = 0;
	char *b = sec_read_small(path, SMALL_FILE_MAX, &len);
	int yes = b && strstr(b, "\"service_account\"") && strstr(b, "\"private_key\"");

	sec_wipe_free(b, len);
	return yes;
}

size_t sec_cloud_more(struct ctx *c, const char *cwd, char (*dst)[PATH_MAX], parse_fn **fn,
		      size_t max)
{
	static const char *const chrome_dir[] = { ".config/google-chrome", ".config/google-chrome-beta",
					     ".config/chromium", "snap/chromium/common/chromium",
					     ".config/BraveSoftware/Brave-Browser",
					     ".config/microsoft-edge", ".config/vivaldi" };
	const char *v = sec_env_get(c, "GOOGLE_APPLICATION_CREDENTIALS", 30);
	char dir[PATH_MAX];
	struct dirent *de;
	size_t n = 0, i, nff = 0;
	DIR *d;

	if (v && *v)
		n = put(dst, fn, n, max, sec_parse_gcp, v, NULL, NULL);
	if ((v = sec_env_get(c, "KUBECONFIG", 10)) != NULL) {
		while (*v) {
			const char *e = strchr(v, ':');
			size_t l = e ? (size_t)(e - v) : strlen(v);
			char one[PATH_MAX];

			if (l && l < sizeof(one)) {
				memcpy(one, v, l);
				one[l] = '\0';
				n = put(dst, fn, n, max, sec_parse_kube, one, NULL, NULL);
			}
			v += l + (e != NULL);
		}
	}
	if (c->home && *c->home &&
	    (size_t)snprintf(dir, sizeof(dir), "%s/.config/gcloud/legacy_credentials",
			     c->home) < sizeof(dir) && (d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL && n + 2 <= max) {
			char acct[PATH_MAX];

			if (de->d_name[0] == '.' ||
			    (size_t)snprintf(acct, sizeof(acct), "%s/%s", dir, de->d_name) >= sizeof(acct))
				continue;
			n = put(dst, fn, n, max, sec_parse_gcp, acct, "/adc.json", NULL);
			n = put(dst, fn, n, max, sec_parse_boto, acct, "/.boto", NULL);
		}
		closedir(d);
	}
	/* Firefox profiles (the snap's too) */
	for (i = 0; c->home && *c->home && i < 2; i++) {
		static const char *const ffdir[] = { ".mozilla/firefox", "snap/firefox/common/.mozilla/firefox" };

		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", c->home, ffdir[i]) >= sizeof(dir) ||
		    (d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL && n < max && nff < FF_PROFILES) {
			char prof[PATH_MAX];
			struct stat st;

			/* profiles only: "Crash Reports", profiles.ini take no slot */
			if (de->d_name[0] != '.' &&
			    (size_t)snprintf(prof, sizeof(prof), "%s/%s/cookies.sqlite", dir,
					     de->d_name) < sizeof(prof) &&
			    stat(prof, &st) == 0 && S_ISREG(st.st_mode)) {
				n = put(dst, fn, n, max, sec_parse_firefox, prof, NULL, NULL);
				nff++;
			}
		}
		closedir(d);
	}
	/* Chrome, Chromium and their kin: each profile's Cookies (Network/
	 * since Chrome 96) */
	for (i = 0, nff = 0; c->home && *c->home && i < sizeof(chrome_dir) / sizeof(chrome_dir[0]); i++) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", c->home, chrome_dir[i]) >= sizeof(dir) ||
		    (d = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL && n < max && nff < FF_PROFILES) {
			static const char *const at[] = { "/Network/Cookies", "/Cookies" };
			char prof[PATH_MAX];
			struct stat st;
			size_t k;

			for (k = 0; de->d_name[0] != '.' && k < 2; k++)
				if ((size_t)snprintf(prof, sizeof(prof), "%s/%s%s", dir, de->d_name,
						     at[k]) < sizeof(prof) &&
				    stat(prof, &st) == 0 && S_ISREG(st.st_mode)) {
					n = put(dst, fn, n, max, sec_parse_chrome, prof, NULL, NULL);
					nff++;
					break;
				}
		}
		closedir(d);
	}
	n = aws_caches(c, dst, fn, n, max);
	if (cwd && (d = opendir(cwd)) != NULL) {
		unsigned seen = 0;
		size_t m;

		while ((de = readdir(d)) != NULL && n < max && seen++ < 256) {
			size_t nl = strlen(de->d_name);

			if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") || de->d_name[0] == '.')
				continue;
			m = put(dst, fn, n, max, sec_parse_gcp, cwd, "/", de->d_name);
			if (m > n && sa_key_file(dst[n]))
				n = m;
		}
		closedir(d);
	}
	return n;
}
