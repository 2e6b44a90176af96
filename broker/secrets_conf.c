/* SPDX-License-Identifier: MIT */
/*
 * secrets_conf.c - the line-oriented credential files (secrets_int.h):
 * .boto and .s3cfg (ini), .my.cnf, gradle.properties, maven's
 * settings.xml and settings-security.xml, .pgpass, .vault-token, and the
 * private keys ~/.ssh/config names with IdentityFile.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/secrets_int.h"

static const char *const aws_id[] = { "*.amazonaws.com", "!s3.amazonaws.com",
				      "!*.s3.amazonaws.com", NULL };
static const char *const google[] = { "oauth2.googleapis.com", "accounts.google.com",
				      "www.googleapis.com", NULL };
static const char *const gcs[] = { "storage.googleapis.com", "*.storage.googleapis.com", NULL };

struct ini_key {
	const char *name;
	const char *const *homes;         /* NULL: never travels (signs) */
};

static void ini(struct ctx *c, const char *path, const char *b, size_t len,
		const struct ini_key *keys, const char *const *host)
{
	struct lines l = { b, b + len, 0 };
	const char *line, *k, *v;
	size_t n, kl, vl, i;
	char src[300];

	while (sec_next_line(&l, &line, &n)) {
		if (!sec_kv(line, n, '=', &k, &kl, &v, &vl) && !sec_kv(line, n, ':', &k, &kl, &v, &vl))
			continue;
		for (i = 0; keys[i].name && !sec_key_is(k, kl, keys[i].name); i++)
			;
		if (!keys[i].name)
			continue;
		sec_source_name(c, path, l.no, src, sizeof(src));
		sec_add_str(c, v, vl, src, keys[i].homes && host ? host : keys[i].homes);
	}
}

/* ~/.boto and gcloud's legacy_credentials/<account>/.boto */
void sec_parse_boto(struct ctx *c, const char *path, const char *b, size_t len)
{
	static const struct ini_key keys[] = {
		{ "aws_access_key_id", aws_id }, { "aws_secret_access_key", NULL },
		{ "gs_access_key_id", gcs }, { "gs_secret_access_key", NULL },
		{ "gs_oauth2_refresh_token", google }, { "client_secret", google },
		{ NULL, NULL },
	};

	ini(c, path, b, len, keys, NULL);
}

/* ~/.s3cfg: the access key and token go to host_base (default AWS). */
void sec_parse_s3cfg(struct ctx *c, const char *path, const char *b, size_t len)
{
	static const char *const aws[] = { "*.amazonaws.com", "amazonaws.com", NULL };
	static const struct ini_key keys[] = {
		{ "access_key", aws }, { "access_token", aws }, { "secret_key", NULL },
		{ "gpg_passphrase", NULL }, { NULL, NULL },
	};
	struct lines l = { b, b + len, 0 };
	char host[256] = "", star[260];
	const char *line, *k, *v, *h[3] = { host, star, NULL };
	size_t n, kl, vl;

	while (sec_next_line(&l, &line, &n))
		if (sec_kv(line, n, '=', &k, &kl, &v, &vl) && sec_key_is(k, kl, "host_base"))
			sec_url_host(v, vl, host, sizeof(host));
	snprintf(star, sizeof(star), "*.%s", host);
	ini(c, path, b, len, keys, host[0] ? h : NULL);
}

/* ~/.my.cnf: password = V (any section: [client], [mysql], ...) */
void sec_parse_mycnf(struct ctx *c, const char *path, const char *b, size_t len)
{
	static const struct ini_key keys[] = { { "password", NULL }, { NULL, NULL } };

	ini(c, path, b, len, keys, NULL);
}

/* ~/.gradle/gradle.properties: a property whose name says password, token,
 * secret or key (not a key id or a key ring's path). */
void sec_parse_gradle(struct ctx *c, const char *path, const char *b, size_t len)
{
	static const char *const word[] = { "password", "passwd", "token", "secret", "key", NULL };
	struct lines l = { b, b + len, 0 };
	const char *line, *k, *v;
	size_t n, kl, vl, i;
	char src[300], low[128];

	while (sec_next_line(&l, &line, &n)) {
		if (n && line[0] == '!')
			continue;
		if (!sec_kv(line, n, '=', &k, &kl, &v, &vl) && !sec_kv(line, n, ':', &k, &kl, &v, &vl))
			continue;
		if (kl >= sizeof(low))
			continue;
		for (i = 0; i < kl; i++)
			low[i] = (char)tolower((unsigned char)k[i]);
		low[kl] = '\0';
		for (i = 0; word[i] && !strstr(low, word[i]); i++)
			;
		if (!word[i] || (kl > 5 && !strcmp(low + kl - 5, "keyid")) ||
		    (kl > 4 && (!strcmp(low + kl - 4, "file") || !strcmp(low + kl - 4, "path"))))
			continue;
		sec_source_name(c, path, l.no, src, sizeof(src));
		sec_add_str(c, v, vl, src, NULL);
	}
}

/* The text of an XML element's content, entities decoded; 0 if it holds
 * markup (a nested element, CDATA: not a settings.xml password). */
static size_t xml_text(const char *s, size_t n, char *out, size_t cap)
{
	static const struct { const char *ent; char ch; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
		{ "&apos;", '\'' }, { NULL, 0 },
	};
	size_t i = 0, o = 0, j;

	while (i < n && o + 1 < cap) {
		if (s[i] == '<')
			return 0;
		if (s[i] != '&') {
			out[o++] = s[i++];
			continue;
		}
		for (j = 0; ents[j].ent; j++)
			if (n - i >= strlen(ents[j].ent) && !strncmp(s + i, ents[j].ent, strlen(ents[j].ent)))
				break;
		if (!ents[j].ent)
			return 0;
		out[o++] = ents[j].ch;
		i += strlen(ents[j].ent);
	}
	return i == n ? o : 0;
}

/* ~/.m2/settings.xml <server>/<proxy> <password>, <passphrase>;
 * settings-security.xml <master> (encrypted passwords are secrets too:
 * the master decrypts them). */
void sec_parse_m2(struct ctx *c, const char *path, const char *b, size_t len)
{
	static const char *const tag[] = { "password", "passphrase", "master", NULL };
	const char *p = b, *e = b + len;
	char src[300], val[LINE_MAX_LEN];

	while ((p = memchr(p, '<', (size_t)(e - p))) != NULL) {
		char close[16];
		const char *s, *end;
		size_t i, tl, vl;

		p++;
		for (i = 0; tag[i]; i++) {
			tl = strlen(tag[i]);
			if ((size_t)(e - p) > tl && !strncmp(p, tag[i], tl) && p[tl] == '>')
				break;
		}
		if (!tag[i])
			continue;
		s = p + tl + 1;
		snprintf(close, sizeof(close), "</%s>", tag[i]);
		end = memmem(s, (size_t)(e - s), close, strlen(close));
		if (!end || (size_t)(end - s) >= sizeof(val))
			continue;
		vl = xml_text(s, (size_t)(end - s), val, sizeof(val));
		if (vl) {
			const char *v = val;
			unsigned line = 1;
			const char *q;

			for (q = b; q < s; q++)
				line += *q == '\n';
			sec_trim(&v, &vl);
			sec_source_name(c, path, line, src, sizeof(src));
			sec_add_str(c, v, vl, src, NULL);
		}
		explicit_bzero(val, sizeof(val));
		p = end;
	}
}

/* ~/.pgpass: host:port:database:user:password, "\:" and "\\" escaped;
 * the password goes to its host ("*": anywhere, so no home). */
void sec_parse_pgpass(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct lines l = { b, b + len, 0 };
	const char *line;
	size_t n;

	while (sec_next_line(&l, &line, &n)) {
		char field[5][LINE_MAX_LEN + 1], src[300];
		const char *h[2] = { field[0], NULL };
		size_t i, o = 0, f = 0;

		if (!n || line[0] == '#')
			continue;
		for (i = 0; i < n && f < 5; i++) {
			if (line[i] == '\\' && i + 1 < n) {
				field[f][o++] = line[++i];
			} else if (line[i] == ':' && f < 4) {
				field[f++][o] = '\0';
				o = 0;
			} else {
				field[f][o++] = line[i];
			}
		}
		if (f == 4) {
			field[4][o] = '\0';
			sec_source_name(c, path, l.no, src, sizeof(src));
			sec_add_str(c, field[4], o, src, strcmp(field[0], "*") ? h : NULL);
		}
		explicit_bzero(field, sizeof(field));
	}
}

/* ~/.vault-token: the whole file, to $VAULT_ADDR's host if set. */
void sec_parse_vault(struct ctx *c, const char *path, const char *b, size_t len)
{
	const char *addr = sec_env_get(c, "VAULT_ADDR", 10), *v = b;
	char host[256] = "", src[300];
	const char *h[2] = { host, NULL };

	if (addr)
		sec_url_host(addr, strlen(addr), host, sizeof(host));
	sec_trim(&v, &len);
	if (!len || memchr(v, '\n', len))
		return;   /* one token, one line */
	sec_source_name(c, path, 1, src, sizeof(src));
	src[strlen(src) - 2] = '\0';   /* a file, not a line */
	sec_add_str(c, v, len, src, host[0] ? h : NULL);
}

/* ---- private key files -------------------------------------------------- */

void sec_parse_keyfile(struct ctx *c, const char *path, const char *b, size_t len)
{
	char src[4500];

	if (len > KEY_FILE_MAX || !memmem(b, len, "PRIVATE KEY-----", 16))
		return;
	sec_source_name(c, path, 1, src, sizeof(src));
	src[strlen(src) - 2] = '\0';
	sec_add(c, (const uint8_t *)b, len, src, NULL, 1);
}

void sec_read_key(struct ctx *c, const char *path)
{
	size_t len = 0;
	char *b;

	if (path[0] != '/')
		return;   /* relative to a file we do not track */
	b = sec_read_small(path, KEY_FILE_MAX, &len);
	if (b)
		sec_parse_keyfile(c, path, b, len);
	sec_wipe_free(b, len);
}

/* ~/.ssh/config: IdentityFile P (or IdentityFile=P), "~/" and %d expanded;
 * paths with other %-tokens or relative ones are skipped. */
size_t sec_conf_more(struct ctx *c, char (*dst)[PATH_MAX], parse_fn **fn, size_t max)
{
	char cfg[PATH_MAX];
	struct lines l;
	const char *line;
	size_t n, len = 0, m = 0;
	char *b;

	if (!c->home || !*c->home ||
	    (size_t)snprintf(cfg, sizeof(cfg), "%s/.ssh/config", c->home) >= sizeof(cfg))
		return 0;
	b = sec_read_head(cfg, FILE_MAX, &len);
	if (!b)
		return 0;
	l.p = b;
	l.end = b + len;
	l.no = 0;
	while (sec_next_line(&l, &line, &n) && m < max) {
		const char *t = line, *v;
		size_t tl = n, vl;
		int w;

		sec_trim(&t, &tl);
		if (tl < 13 || strncasecmp(t, "IdentityFile", 12) ||
		    !(isspace((unsigned char)t[12]) || t[12] == '='))
			continue;
		v = t + 13;
		vl = tl - 13;
		sec_trim(&v, &vl);
		if (vl && *v == '=') {
			v++;
			vl--;
		}
		sec_unquote(&v, &vl);
		if (vl > 2 && (!strncmp(v, "~/", 2) || !strncmp(v, "%d/", 3))) {
			size_t skip = v[0] == '~' ? 2 : 3;

			w = snprintf(dst[m], PATH_MAX, "%s/%.*s", c->home, (int)(vl - skip), v + skip);
		} else if (vl && v[0] == '/') {
			w = snprintf(dst[m], PATH_MAX, "%.*s", (int)vl, v);
		} else {
			continue;
		}
		if (w <= 0 || w >= PATH_MAX || strchr(dst[m], '%'))
			continue;
		fn[m++] = sec_parse_keyfile;
	}
	sec_wipe_free(b, len);
	return m;
}
