/* SPDX-License-Identifier: MIT */
/*
 * secrets.c - collect the credentials the command can read (secrets.h):
 * the environment, the usual credential files, private keys, ./.env.
 *
 * One small strict parser per file format, each reading a bounded copy
 * (sec_read_head()) line by line. Called by the launcher and the ad hoc broker
 * at start, and by `dlpjail --show-secrets`.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/event.h"
#include "broker/scan/scan.h"
#include "broker/secrets.h"
#include "broker/secrets_int.h"
#include "common/log.h"
#include "common/redact.h"

extern char **environ;

/* ---- values ------------------------------------------------------------ */

/* Shannon entropy in bits a byte; O(n): each distinct byte's term once
 * (called on every line of a long .env) */
double sec_entropy(const uint8_t *p, size_t n)
{
	unsigned cnt[256] = { 0 };
	double h = 0;
	size_t i;

	for (i = 0; i < n; i++)
		cnt[p[i]]++;
	for (i = 0; i < n; i++)
		if (cnt[p[i]]) {
			double q = (double)cnt[p[i]] / (double)n;

			h -= q * log2(q);
			cnt[p[i]] = 0;
		}
	return h;
}

/* A value that starts with '/' and names a path of this host: the file
 * itself, or a top-level directory as its first component (a configured
 * path whose file is gone). Not the first byte alone: base64 secrets
 * start with '/' one time in 64 (an AWS secret key), and their first
 * component is no directory here. */
static int host_path(const uint8_t *v, size_t n)
{
	char p[PATH_MAX];
	const uint8_t *e;
	struct stat st;

	if (n >= sizeof(p))
		return 0;
	memcpy(p, v, n);
	p[n] = '\0';
	if (stat(p, &st) == 0)
		return 1;
	e = memchr(v + 1, '/', n - 1);
	if (!e || e == v + 1)
		return 0;
	p[e - v] = '\0';
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Placeholders left in credential fields (and gcloud's fixed p12
 * password), compared case-insensitively: entropy lets them through
 * ("changeme" has 2.75 bits a byte) and, known, they would block the
 * word in ordinary text everywhere. A real password among them is not
 * protected: the price of not refusing every page that says "password". */
static const char *const placeholder[] = {
	"changeme", "change_me", "change-me", "changeit", "password", "passw0rd", "password1",
	"password123", "mypassword", "yourpassword", "redacted", "<redacted>", "placeholder",
	"undefined", "<password>", "<token>", "notasecret", "your_token", "your-token",
	"your_token_here", "your-token-here", "your_password", "your-password", "secret123",
	"example123", "qwertyuiop", NULL,
};

/* Too short, too plain or obviously not a credential (a path, a number,
 * a placeholder): matching it would block ordinary traffic. */
static int trivial(const uint8_t *v, size_t n)
{
	size_t i, digits = 0;

	if (n < VALUE_MIN || n > 16384)
		return 1;
	for (i = 0; n <= 15 && placeholder[i]; i++)   /* 15: the longest */
		if (strlen(placeholder[i]) == n && !strncasecmp((const char *)v, placeholder[i], n))
			return 1;
	if (v[0] == '~' || (v[0] == '/' && host_path(v, n)) || (n > 2 && v[0] == '$' && v[1] == '{'))
		return 1;
	for (i = 0; i < n; i++)
		digits += isdigit(v[i]) != 0;
	if (digits == n && n < 12)
		return 1;
	return sec_entropy(v, n) < 2.5;
}

int sec_name_says_secret(const char *name, size_t nl)
{
	static const char *const suffix[] = { "_TOKEN", "_SECRET", "_KEY", "_AUTH", NULL };
	char up[128];
	size_t i;

	if (nl >= sizeof(up))
		return 0;
	for (i = 0; i < nl; i++)
		up[i] = (char)toupper((unsigned char)name[i]);
	up[nl] = '\0';
	if (strstr(up, "PASSWORD") || strstr(up, "PASSWD"))
		return 1;
	for (i = 0; suffix[i]; i++) {
		size_t sl = strlen(suffix[i]);

		if (nl > sl && strcmp(up + nl - sl, suffix[i]) == 0)
			return 1;
	}
	return 0;
}

static void add_home(struct brk_secret *x, const char *h)
{
	size_t i;

	if (!h || !*h || x->nhome == BRK_SECRET_HOMES)
		return;
	for (i = 0; i < x->nhome; i++)
		if (strcasecmp(x->home[i], h) == 0)
			return;
	x->home[x->nhome] = strdup(h);
	if (x->home[x->nhome])
		x->nhome++;
}

/* Add value v[0,n) (copied) from source with homes (NULL-terminated). A
 * value seen before only gains the homes. Returns the entry or NULL. */
struct brk_secret *sec_add(struct ctx *c, const uint8_t *v, size_t n, const char *source,
			      const char *const *homes, int key)
{
	struct brk_secret *x = NULL;
	size_t i;

	if (!key && trivial(v, n))
		return NULL;
	for (i = 0; i < c->s->n; i++)
		if (c->s->v[i].len == n && memcmp(c->s->v[i].value, v, n) == 0) {
			x = &c->s->v[i];
			break;
		}
	if (!x) {
		if (c->s->n == BRK_SECRETS_MAX) {
			c->s->dropped++;
			return NULL;
		}
		x = &c->s->v[c->s->n];
		memset(x, 0, sizeof(*x));
		x->value = malloc(n);
		if (!x->value) {
			c->oom = 1;
			return NULL;
		}
		memcpy(x->value, v, n);
		x->len = n;
		x->key = key;
		snprintf(x->source, sizeof(x->source), "%s", source);
		if (!key) {
			const char *id = brk_scan_recognize(v, n);

			x->detector = id;
		}
		c->s->n++;
	}
	for (i = 0; homes && homes[i]; i++)
		add_home(x, homes[i]);
	return x;
}

void sec_add_str(struct ctx *c, const char *v, size_t n, const char *source,
		    const char *const *homes)
{
	sec_add(c, (const uint8_t *)v, n, source, homes, 0);
}

/* ---- files ------------------------------------------------------------- */

/* Read a regular file into a NUL-terminated copy: whole if it has at
 * most max bytes, else (head) its first max bytes cut after their last
 * line break, or (!head) nothing. One read bound: a sparse or huge file
 * costs max bytes at most. */
static char *read_bounded(const char *path, size_t max, size_t *len, int head)
{
	struct stat st;
	char *b = NULL;
	size_t got = 0, want;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || ((size_t)st.st_size > max && !head))
		goto out;
	want = (size_t)st.st_size > max ? max : (size_t)st.st_size;
	b = malloc(want + 1);
	if (!b)
		goto out;
	while (got < want) {
		ssize_t r = read(fd, b + got, want - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if ((size_t)st.st_size > want) {
		const char *nl = got ? memrchr(b, '\n', got) : NULL;
		size_t keep = nl ? (size_t)(nl + 1 - b) : 0;

		explicit_bzero(b + keep, got - keep);   /* callers wipe len bytes */
		got = keep;
	}
	b[got] = '\0';
	*len = got;
out:
	close(fd);
	return b;
}

char *sec_read_small(const char *path, size_t max, size_t *len)
{
	return read_bounded(path, max, len, 0);
}

char *sec_read_head(const char *path, size_t max, size_t *len)
{
	return read_bounded(path, max, len, 1);
}

void sec_wipe_free(char *b, size_t n)
{
	if (b) {
		explicit_bzero(b, n);
		free(b);
	}
}

int sec_next_line(struct lines *l, const char **line, size_t *n)
{
	return sec_next_line_max(l, line, n, LINE_MAX_LEN);
}

int sec_next_line_max(struct lines *l, const char **line, size_t *n, size_t max)
{
	const char *e;

	if (l->p >= l->end)
		return 0;
	e = memchr(l->p, '\n', (size_t)(l->end - l->p));
	if (!e)
		e = l->end;
	*line = l->p;
	*n = (size_t)(e - l->p);
	if (*n && (*line)[*n - 1] == '\r')
		(*n)--;
	if (*n > max)
		*n = 0;   /* too long to be a config line: ignored */
	l->p = e + 1;
	l->no++;
	return 1;
}

void sec_trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

void sec_unquote(const char **s, size_t *n)
{
	sec_trim(s, n);
	if (*n >= 2 && ((**s == '"' && (*s)[*n - 1] == '"') || (**s == '\'' && (*s)[*n - 1] == '\''))) {
		(*s)++;
		*n -= 2;
	}
}

/* "https://user@host:443/path" or "//host/path" -> host. */
void sec_url_host(const char *u, size_t n, char *dst, size_t cap)
{
	const char *e = u + n, *p = u, *at, *h;
	size_t o = 0;

	dst[0] = '\0';
	if (n > 3 && (p = memchr(u, ':', n)) && p + 2 < e && p[1] == '/' && p[2] == '/')
		p += 3;
	else if (n > 2 && u[0] == '/' && u[1] == '/')
		p = u + 2;
	else
		p = u;
	h = p;
	while (p < e && *p != '/' && *p != '?' && *p != '#')
		p++;
	at = memchr(h, '@', (size_t)(p - h));
	if (at)
		h = at + 1;
	for (; h < p && *h != ':' && o + 1 < cap; h++)
		dst[o++] = (char)tolower((unsigned char)*h);
	dst[o] = '\0';
}

void sec_source_name(const struct ctx *c, const char *path, unsigned line, char *dst, size_t cap)
{
	size_t hl = c->home ? strlen(c->home) : 0;

	if (hl && strncmp(path, c->home, hl) == 0 && path[hl] == '/')
		snprintf(dst, cap, "~%s:%u", path + hl, line);
	else
		snprintf(dst, cap, "%s:%u", path, line);
}

const char *sec_env_get(const struct ctx *c, const char *name, size_t nl)
{
	size_t i;

	for (i = 0; c->envp && c->envp[i]; i++)
		if (strncmp(c->envp[i], name, nl) == 0 && c->envp[i][nl] == '=')
			return c->envp[i] + nl + 1;
	return NULL;
}

/* .npmrc: //host/path/:_authToken=V, _auth, _password; global keys use
 * the file's registry= host (default registry.npmjs.org). */
static void parse_npmrc(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct lines l = { b, b + len, 0 };
	char reg[256] = "registry.npmjs.org", src[300], host[256];
	const char *line;
	size_t n;

	while (sec_next_line(&l, &line, &n)) {   /* registry= first: it may come last */
		const char *eq = memchr(line, '=', n), *v;
		size_t vl;

		if (!eq || (size_t)(eq - line) != 8 || strncmp(line, "registry", 8))
			continue;
		v = eq + 1;
		vl = n - 9;
		sec_unquote(&v, &vl);
		sec_url_host(v, vl, host, sizeof(host));
		if (host[0])
			snprintf(reg, sizeof(reg), "%s", host);
	}
	l.p = b;
	l.no = 0;
	while (sec_next_line(&l, &line, &n)) {
		const char *eq, *k = line, *v, *attr;
		const char *homes[2] = { host, NULL };
		size_t kl, vl;

		sec_trim(&k, &n);
		if (!n || *k == '#' || *k == ';' || !(eq = memchr(k, '=', n)))
			continue;
		kl = (size_t)(eq - k);
		v = eq + 1;
		vl = n - kl - 1;
		while (kl && isspace((unsigned char)k[kl - 1]))
			kl--;
		sec_unquote(&v, &vl);
		attr = k;
		if (kl > 2 && k[0] == '/' && k[1] == '/') {
			const char *colon = NULL, *q;

			for (q = k; q < k + kl; q++)
				if (*q == ':' && q + 1 < k + kl && q[1] == '_')
					colon = q;
			if (!colon)
				continue;
			sec_url_host(k, (size_t)(colon - k), host, sizeof(host));
			attr = colon + 1;
			kl = (size_t)(k + kl - attr);
		} else {
			snprintf(host, sizeof(host), "%s", reg);
		}
		if (!((kl == 10 && !strncmp(attr, "_authToken", 10)) ||
		      (kl == 5 && !strncmp(attr, "_auth", 5)) ||
		      (kl == 9 && !strncmp(attr, "_password", 9))))
			continue;
		sec_source_name(c, path, l.no, src, sizeof(src));
		if (vl > 3 && v[0] == '$' && v[1] == '{' && v[vl - 1] == '}') {
			/* ${NAME}: the environment's value goes to this registry */
			const char *ev = sec_env_get(c, v + 2, vl - 3);
			char esrc[340];

			snprintf(esrc, sizeof(esrc), "env %.*s (via %s)", (int)(vl - 3), v + 2, src);
			if (ev)
				sec_add_str(c, ev, strlen(ev), esrc, homes);
			continue;
		}
		sec_add_str(c, v, vl, src, homes);
		if (attr[1] == 'p' || kl == 5) {
			/* _password is base64 of the password, _auth of user:password:
			 * what goes on the wire decoded too (npm sends Basic auth) */
			char dec[LINE_MAX_LEN];
			size_t dl = sec_b64_decode(v, vl, dec, sizeof(dec));
			const char *colon = kl == 5 ? memchr(dec, ':', dl) : NULL;

			if (kl == 5 && colon)
				sec_add_str(c, colon + 1, dl - (size_t)(colon + 1 - dec), src, homes);
			else if (kl != 5)
				sec_add_str(c, dec, dl, src, homes);
			explicit_bzero(dec, sizeof(dec));
		}
	}
}

struct yml_cb {
	struct ctx *c;
	const char *path;
};

static const char *const yarn_dflt[] = { "registry.yarnpkg.com", "registry.npmjs.org", NULL };

#define YARN_SCOPES 32

/* .yarnrc.yml as a tree, two walks: the registries first (npmRegistryServer
 * at the top and in each npmScopes entry), then npmAuthToken /
 * npmAuthIdent anywhere: homed at the "//host" key above it
 * (npmRegistries), else its scope's registry, else the top one, else
 * yarn's defaults. */
struct yarn_cb {
	struct ctx *c;
	const char *path;
	int pass;
	char top[256];
	char scope[YARN_SCOPES][128], shost[YARN_SCOPES][256];
	unsigned nscope;
};

static void yarnrc_ev(const struct tree_ev *e, void *arg)
{
	struct yarn_cb *y = arg;
	const char *k = e->depth ? e->path[e->depth - 1] : "";
	char host[256] = "", src[300];
	const char *h[2] = { host, NULL };
	unsigned i;

	if (y->pass == 0) {
		if (strcmp(k, "npmRegistryServer"))
			return;
		if (e->depth == 1)
			sec_url_host(e->v, e->vl, y->top, sizeof(y->top));
		else if (e->depth == 3 && sec_tree_at(e, 0, "npmScopes") && y->nscope < YARN_SCOPES &&
			 strlen(e->path[1]) < sizeof(y->scope[0])) {
			snprintf(y->scope[y->nscope], sizeof(y->scope[0]), "%s", e->path[1]);
			sec_url_host(e->v, e->vl, y->shost[y->nscope], sizeof(y->shost[0]));
			y->nscope++;
		}
		return;
	}
	if (strcmp(k, "npmAuthToken") && strcmp(k, "npmAuthIdent"))
		return;
	for (i = 0; i + 1 < e->depth; i++)
		if (strstr(e->path[i], "//"))
			sec_url_host(e->path[i], strlen(e->path[i]), host, sizeof(host));
	for (i = 0; !host[0] && e->depth == 3 && sec_tree_at(e, 0, "npmScopes") && i < y->nscope; i++)
		if (!strcmp(y->scope[i], e->path[1]))
			snprintf(host, sizeof(host), "%s", y->shost[i]);
	if (!host[0])
		snprintf(host, sizeof(host), "%s", y->top);
	sec_source_name(y->c, y->path, e->line, src, sizeof(src));
	sec_add_str(y->c, e->v, e->vl, src, host[0] ? h : yarn_dflt);
}

/* .yarnrc.yml: npmAuthToken / npmAuthIdent, under npmRegistries."//host".
 * Read as YAML (block or flow), what of it parses; if not all, line by
 * line too. */
static void parse_yarnrc(struct ctx *c, const char *path, const char *b, size_t len)
{
	const char *const *dflt = yarn_dflt;
	struct lines l = { b, b + len, 0 };
	char host[256] = "", src[300];
	const char *line;
	size_t n, reg_indent = 0;

	struct yarn_cb *y = calloc(1, sizeof(*y));
	int rc;

	if (!y) {
		c->oom = 1;
		return;
	}
	y->c = c;
	y->path = path;
	sec_yaml_walk_parts(b, len, yarnrc_ev, y);
	y->pass = 1;
	rc = sec_yaml_walk_parts(b, len, yarnrc_ev, y);
	free(y);
	if (rc == 0)
		return;
	while (sec_next_line(&l, &line, &n)) {
		size_t ind = 0, tl;
		const char *t, *v;

		while (ind < n && line[ind] == ' ')
			ind++;
		t = line + ind;
		tl = n - ind;
		sec_trim(&t, &tl);
		if (!tl || *t == '#')
			continue;
		if (host[0] && ind <= reg_indent)
			host[0] = '\0';
		if (tl > 1 && t[tl - 1] == ':' && memmem(t, tl, "//", 2)) {
			const char *k = t;
			size_t kl = tl - 1;

			sec_unquote(&k, &kl);
			sec_url_host(k, kl, host, sizeof(host));
			reg_indent = ind;
			continue;
		}
		if (!((tl > 13 && !strncmp(t, "npmAuthToken:", 13)) ||
		      (tl > 13 && !strncmp(t, "npmAuthIdent:", 13))))
			continue;
		v = t + 13;
		tl -= 13;
		sec_unquote(&v, &tl);
		sec_source_name(c, path, l.no, src, sizeof(src));
		if (host[0]) {
			const char *h[2] = { host, NULL };

			sec_add_str(c, v, tl, src, h);
		} else {
			sec_add_str(c, v, tl, src, dflt);
		}
	}
}

/* key = value / key: value (ini, toml, simple yaml); returns 1 and the
 * parts, value unquoted. */
int sec_kv(const char *line, size_t n, char sep, const char **k, size_t *kl, const char **v,
	      size_t *vl)
{
	const char *s = line, *eq;
	size_t sl = n;

	sec_trim(&s, &sl);
	if (!sl || *s == '#' || *s == ';' || !(eq = memchr(s, sep, sl)))
		return 0;
	*k = s;
	*kl = (size_t)(eq - s);
	while (*kl && isspace((unsigned char)s[*kl - 1]))
		(*kl)--;
	*v = eq + 1;
	*vl = sl - (size_t)(eq - s) - 1;
	sec_unquote(v, vl);
	return 1;
}

int sec_key_is(const char *k, size_t kl, const char *want)
{
	return kl == strlen(want) && strncasecmp(k, want, kl) == 0;
}

/* .pypirc: [section] repository = URL, password = V. */
static void parse_pypirc(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct lines l = { b, b + len, 0 };
	char sect[64] = "", repo[256] = "", pw[LINE_MAX_LEN + 1], src[300] = "";
	const char *line, *k, *v;
	size_t n, kl, vl, pwl = 0;
	int done = 0;

	while (!done) {
		int more = sec_next_line(&l, &line, &n);
		const char *t = line;
		size_t tl = more ? n : 0;

		if (more)
			sec_trim(&t, &tl);
		if (!more || (tl > 1 && t[0] == '[')) {
			if (pwl) {
				const char *h[3] = { repo, NULL, NULL };

				if (!repo[0] && !strcmp(sect, "testpypi"))
					h[0] = "test.pypi.org";
				else if (!repo[0]) {
					h[0] = "upload.pypi.org";
					h[1] = "pypi.org";
				}
				sec_add_str(c, pw, pwl, src, h);
			}
			explicit_bzero(pw, sizeof(pw));
			pwl = 0;
			repo[0] = '\0';
			if (!more) {
				done = 1;
				continue;
			}
			snprintf(sect, sizeof(sect), "%.*s", (int)(tl > 2 ? tl - 2 : 0), t + 1);
			continue;
		}
		if (!sec_kv(line, n, '=', &k, &kl, &v, &vl) && !sec_kv(line, n, ':', &k, &kl, &v, &vl))
			continue;
		if (sec_key_is(k, kl, "repository"))
			sec_url_host(v, vl, repo, sizeof(repo));
		else if (sec_key_is(k, kl, "password") && vl < sizeof(pw)) {
			memcpy(pw, v, vl);
			pwl = vl;
			sec_source_name(c, path, l.no, src, sizeof(src));
		}
	}
}

/* .netrc: machine M login L password P (tokens, any layout). */
static void parse_netrc(struct ctx *c, const char *path, const char *b, size_t len)
{
	const char *p = b, *e = b + len;
	char machine[256] = "", src[300];
	unsigned line = 1;
	int want = 0;   /* 1: next token is a machine name, 2: a password */

	while (p < e) {
		const char *t;
		size_t tl;

		while (p < e && isspace((unsigned char)*p))
			line += *p++ == '\n';
		t = p;
		while (p < e && !isspace((unsigned char)*p))
			p++;
		tl = (size_t)(p - t);
		if (!tl)
			break;
		if (want == 1) {
			snprintf(machine, sizeof(machine), "%.*s", (int)tl, t);
			want = 0;
		} else if (want == 2) {
			const char *h[2] = { machine, NULL };

			sec_source_name(c, path, line, src, sizeof(src));
			sec_add_str(c, t, tl, src, machine[0] ? h : NULL);
			want = 0;
		} else if (tl == 7 && !strncmp(t, "machine", 7)) {
			want = 1;
		} else if (tl == 7 && !strncmp(t, "default", 7)) {
			machine[0] = '\0';
		} else if (tl == 8 && !strncmp(t, "password", 8)) {
			want = 2;
		}
	}
}

static size_t pct_decode(const char *s, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char h[3] = { s[i + 1], s[i + 2], 0 };

			out[o++] = (char)strtol(h, NULL, 16);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	return o;
}

/* .git-credentials: https://user:password@host per line. */
static void parse_gitcred(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct lines l = { b, b + len, 0 };
	const char *line;
	size_t n;

	while (sec_next_line(&l, &line, &n)) {
		const char *s = memmem(line, n, "://", 3), *at, *colon;
		char host[256], src[300], dec[LINE_MAX_LEN];
		const char *h[2] = { host, NULL };
		size_t dl;

		if (!s)
			continue;
		s += 3;
		at = memchr(s, '@', (size_t)(line + n - s));
		if (!at)
			continue;
		colon = memchr(s, ':', (size_t)(at - s));
		sec_url_host(line, n, host, sizeof(host));
		sec_source_name(c, path, l.no, src, sizeof(src));
		if (colon) {
			dl = pct_decode(colon + 1, (size_t)(at - colon - 1), dec);
			sec_add_str(c, dec, dl, src, h);
		}
		/* a token as the user name (ghp_...:x-oauth-basic) */
		dl = pct_decode(s, (size_t)((colon ? colon : at) - s), dec);
		if (dl >= VALUE_MIN && sec_recognize(c, dec, dl))
			sec_add_str(c, dec, dl, src, h);
		explicit_bzero(dec, sizeof(dec));
	}
}

size_t sec_b64_decode(const char *s, size_t n, char *out, size_t cap)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned acc = 0, nb = 0;
	size_t i, o = 0;

	for (i = 0; i < n && s[i] != '='; i++) {
		const char *p = strchr(a, s[i]);

		if (!p || !s[i])
			return 0;
		acc = (acc << 6) | (unsigned)(p - a);
		nb += 6;
		if (nb >= 8) {
			nb -= 8;
			if (o < cap)
				out[o++] = (char)(acc >> nb);
		}
	}
	return o;
}

/* ~/.docker/config.json: "auths": { "HOST": { "auth": "b64(user:pw)",
 * "identitytoken": "..." } }. A small tokenizer: strings, { } : , only. */
static void parse_docker(struct ctx *c, const char *path, const char *b, size_t len)
{
	char keys[8][256], src[300], host[256], last[256] = "";
	const char *p = b, *e = b + len;
	unsigned depth = 0, line = 1;
	int after_colon = 0;

	memset(keys, 0, sizeof(keys));
	while (p < e) {
		if (*p == '\n')
			line++;
		if (*p == '{') {
			if (depth < 8 && after_colon)
				snprintf(keys[depth], sizeof(keys[0]), "%s", last);
			depth++;
			after_colon = 0;
		} else if (*p == '}') {
			depth = depth ? depth - 1 : 0;
		} else if (*p == ':') {
			after_colon = 1;
		} else if (*p == ',') {
			after_colon = 0;
		} else if (*p == '"') {
			const char *s = ++p;

			while (p < e && *p != '"')
				p += *p == '\\' ? 2 : 1;
			if (p >= e)
				break;
			if (!after_colon) {
				snprintf(last, sizeof(last), "%.*s", (int)(p - s), s);
			} else if (depth == 3 && !strcmp(keys[1], "auths") &&
				   (!strcmp(last, "auth") || !strcmp(last, "identitytoken") ||
				    !strcmp(last, "registrytoken"))) {
				const char *h[5] = { host, NULL, NULL, NULL, NULL };
				char dec[1024], *colon;
				size_t dl;

				sec_url_host(keys[2], strlen(keys[2]), host, sizeof(host));
				if (!strcmp(host, "index.docker.io")) {
					h[1] = "registry-1.docker.io";
					h[2] = "auth.docker.io";
					h[3] = "docker.io";
				}
				sec_source_name(c, path, line, src, sizeof(src));
				sec_add_str(c, s, (size_t)(p - s), src, h);
				if (!strcmp(last, "auth")) {
					dl = sec_b64_decode(s, (size_t)(p - s), dec, sizeof(dec) - 1);
					dec[dl] = '\0';
					colon = memchr(dec, ':', dl);
					if (colon)
						sec_add_str(c, colon + 1, dl - (size_t)(colon + 1 - dec), src, h);
					explicit_bzero(dec, sizeof(dec));
				}
				after_colon = 0;
			} else {
				after_colon = 0;
			}
		}
		p++;
	}
}

/* ~/.aws/credentials: the key id goes to AWS (its detector's homes); the
 * secret key never travels (requests are signed); a session token does. */
static void parse_aws(struct ctx *c, const char *path, const char *b, size_t len)
{
	static const char *const aws[] = { "*.amazonaws.com", "amazonaws.com", NULL };
	static const char *const idh[] = { "*.amazonaws.com", "!s3.amazonaws.com",
					   "!*.s3.amazonaws.com", NULL };
	struct lines l = { b, b + len, 0 };
	const char *line, *k, *v;
	size_t n, kl, vl;
	char src[300];

	while (sec_next_line(&l, &line, &n)) {
		if (!sec_kv(line, n, '=', &k, &kl, &v, &vl))
			continue;
		sec_source_name(c, path, l.no, src, sizeof(src));
		if (sec_key_is(k, kl, "aws_access_key_id"))
			sec_add_str(c, v, vl, src, idh);
		else if (sec_key_is(k, kl, "aws_secret_access_key"))
			sec_add_str(c, v, vl, src, NULL);
		else if (sec_key_is(k, kl, "aws_session_token") || sec_key_is(k, kl, "aws_security_token"))
			sec_add_str(c, v, vl, src, aws);
	}
}

/* hosts.yml as a tree: HOST: {oauth_token: V} or, gh 2.40 on, HOST:
 * {users: {USER: {oauth_token: V}}} too, block or flow. */
static void gh_ev(const struct tree_ev *e, void *arg)
{
	const struct yml_cb *y = arg;
	char api[300], star[300], src[300];
	const char *h[4] = { e->depth ? e->path[0] : "", api, star, NULL };

	if ((e->depth != 2 && !(e->depth == 4 && !strcmp(e->path[1], "users"))) ||
	    strcmp(e->path[e->depth - 1], "oauth_token"))
		return;
	snprintf(api, sizeof(api), "api.%s", h[0]);
	snprintf(star, sizeof(star), "*.%s", h[0]);
	sec_source_name(y->c, y->path, e->line, src, sizeof(src));
	sec_add_str(y->c, e->v, e->vl, src, h);
}

/* ~/.config/gh/hosts.yml: HOST:\n    oauth_token: V. Read as YAML (block
 * or flow), what of it parses; if not all, line by line too. */
static void parse_gh(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct yml_cb y = { c, path };
	struct lines l = { b, b + len, 0 };
	char host[256] = "", api[300], star[300], src[300];
	const char *line, *k, *v;
	size_t n, kl, vl;

	if (sec_yaml_walk_parts(b, len, gh_ev, &y) == 0)
		return;
	while (sec_next_line(&l, &line, &n)) {
		const char *h[4] = { host, api, star, NULL };

		if (n && line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[n - 1] == ':') {
			snprintf(host, sizeof(host), "%.*s", (int)(n - 1), line);
			snprintf(api, sizeof(api), "api.%s", host);
			snprintf(star, sizeof(star), "*.%s", host);
			continue;
		}
		if (!sec_kv(line, n, ':', &k, &kl, &v, &vl) || !sec_key_is(k, kl, "oauth_token"))
			continue;
		sec_source_name(c, path, l.no, src, sizeof(src));
		sec_add_str(c, v, vl, src, host[0] ? h : NULL);
	}
}

/* ~/.cargo/credentials.toml: [registry] token = "V" (crates.io). */
static void parse_cargo(struct ctx *c, const char *path, const char *b, size_t len)
{
	static const char *const crates[] = { "crates.io", "*.crates.io", NULL };
	struct lines l = { b, b + len, 0 };
	const char *line, *k, *v;
	size_t n, kl, vl;
	int main_reg = 0;
	char src[300];

	while (sec_next_line(&l, &line, &n)) {
		const char *t = line;
		size_t tl = n;

		sec_trim(&t, &tl);
		if (tl && t[0] == '[') {
			main_reg = tl == 10 && !strncmp(t, "[registry]", 10);
			continue;
		}
		if (!sec_kv(line, n, '=', &k, &kl, &v, &vl) || !sec_key_is(k, kl, "token"))
			continue;
		sec_source_name(c, path, l.no, src, sizeof(src));
		sec_add_str(c, v, vl, src, main_reg ? crates : NULL);
	}
}

/* ~/.gem/credentials: ":rubygems_api_key: V" or "https://host: V". */
static void parse_gem(struct ctx *c, const char *path, const char *b, size_t len)
{
	static const char *const rubygems[] = { "rubygems.org", NULL };
	struct lines l = { b, b + len, 0 };
	const char *line;
	size_t n;
	char src[300], host[256];

	while (sec_next_line(&l, &line, &n)) {
		const char *t = line, *sep, *v;
		size_t tl = n, vl;
		const char *h[2] = { host, NULL };

		sec_trim(&t, &tl);
		if (!tl || *t == '#' || *t == '-')
			continue;
		sep = tl > 1 ? memmem(t + 1, tl - 1, ": ", 2) : NULL;
		if (!sep)
			continue;
		v = sep + 2;
		vl = (size_t)(t + tl - v);
		sec_unquote(&v, &vl);
		sec_source_name(c, path, l.no, src, sizeof(src));
		if (memmem(t, (size_t)(sep - t), "://", 3)) {
			const char *k = t;
			size_t kl = (size_t)(sep - t);

			sec_unquote(&k, &kl);
			sec_url_host(k, kl, host, sizeof(host));
			sec_add_str(c, v, vl, src, h);
		} else {
			sec_add_str(c, v, vl, src, rubygems);
		}
	}
}

/* A URL with no credentials in it (no user:password@, no query) or a
 * host name: random-looking enough for the entropy rule, no secret. */
static int plain_locator(const char *v, size_t vl)
{
	const char *s = vl > 3 ? memmem(v, vl, "://", 3) : NULL;
	size_t i, dots = 0;

	if (s)
		return !memchr(v, '@', vl) && !memchr(v, '?', vl);
	for (i = 0; i < vl; i++) {
		if (v[i] == '.')
			dots++;
		else if (!(islower((unsigned char)v[i]) || isdigit((unsigned char)v[i]) || v[i] == '-' ||
			   v[i] == ':'))
			return 0;
	}
	return dots > 0;
}

const char *sec_recognize(struct ctx *c, const char *v, size_t n)
{
	if (c->recognized >= RECOGNIZE_MAX)
		return NULL;
	c->recognized++;
	return brk_scan_recognize((const uint8_t *)v, n);
}

/* the .env rule: a name, a detector or randomness says it is a secret
 * (trivial values first: sec_add() would drop them, and they are most
 * lines of a long file) */
static int env_secret(struct ctx *c, const char *k, size_t kl, const char *v, size_t vl)
{
	if (trivial((const uint8_t *)v, vl))
		return 0;
	return sec_name_says_secret(k, kl) ||
	       (vl >= 20 && sec_entropy((const uint8_t *)v, vl) >= 4.0 && !plain_locator(v, vl)) ||
	       sec_recognize(c, v, vl);
}

/* SCHEME://USER:PASSWORD@HOST... (DATABASE_URL, REDIS_URL): the password,
 * percent-decoded, homed at the host: the URL whole is a value only
 * when the .env rule says so. */
static void url_password(struct ctx *c, const char *v, size_t vl, const char *src)
{
	const char *s = vl > 3 ? memmem(v, vl, "://", 3) : NULL, *end, *at, *colon;
	char host[256], dec[LINE_MAX_LEN];
	const char *h[2] = { host, NULL };

	if (!s)
		return;
	s += 3;
	for (end = s; end < v + vl && *end != '/' && *end != '?' && *end != '#'; end++)
		;
	if (!(at = memrchr(s, '@', (size_t)(end - s))) || !(colon = memchr(s, ':', (size_t)(at - s))))
		return;
	sec_url_host(v, vl, host, sizeof(host));
	sec_add_str(c, dec, pct_decode(colon + 1, (size_t)(at - colon - 1), dec), src,
		    host[0] ? h : NULL);
	explicit_bzero(dec, sizeof(dec));
}

/* ./.env: [export] NAME=VALUE: what a name or a detector says is one, or
 * what looks random enough to be one. */
static void parse_dotenv(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct lines l = { b, b + len, 0 };
	const char *line, *k, *v;
	size_t n, kl, vl;
	char src[300];

	while (sec_next_line(&l, &line, &n)) {
		if (!sec_kv(line, n, '=', &k, &kl, &v, &vl))
			continue;
		if (kl > 7 && !strncmp(k, "export ", 7)) {
			k += 7;
			kl -= 7;
			sec_trim(&k, &kl);
		}
		if (vl > 3 && memmem(v, vl, "://", 3)) {
			sec_source_name(c, path, l.no, src, sizeof(src));
			url_password(c, v, vl, src);
		}
		if (!env_secret(c, k, kl, v, vl))
			continue;
		sec_source_name(c, path, l.no, src, sizeof(src));
		sec_add_str(c, v, vl, src, NULL);
	}
}

/* services.NAME.environment as a map (KEY: V) or a list ("KEY=V"); values
 * anchored elsewhere (x-env: &env) arrive here by alias or merge key */
static void compose_ev(const struct tree_ev *e, void *arg)
{
	const struct yml_cb *y = arg;
	const char *k, *v = e->v, *eq;
	size_t kl, vl = e->vl;
	char src[300];

	if (e->depth != 4 || !sec_tree_at(e, 0, "services") || !sec_tree_at(e, 2, "environment"))
		return;
	k = e->path[3];
	kl = strlen(k);
	if (k[0] == '#') {
		if (!(eq = memchr(v, '=', vl)))
			return;
		k = v;
		kl = (size_t)(eq - v);
		v = eq + 1;
		vl -= kl + 1;
	}
	sec_source_name(y->c, y->path, e->line, src, sizeof(src));
	url_password(y->c, v, vl, src);
	if (!env_secret(y->c, k, kl, v, vl))
		return;
	sec_add_str(y->c, v, vl, src, NULL);
}

/* ./compose.yaml, ./docker-compose.yml: the services' environment, by
 * the .env rule (block or flow YAML, anchors and merge keys followed). */
static void parse_compose(struct ctx *c, const char *path, const char *b, size_t len)
{
	struct yml_cb y = { c, path };

	sec_yaml_walk_parts(b, len, compose_ev, &y);
}

/* ---- the working directory's other env files --------------------------- */

#define ENV_FILES 32
#define ENV_UP 8                       /* parent directories looked at */

struct env_more {
	const char *cwd;
	char (*dst)[PATH_MAX];
	parse_fn **fn;
	size_t n, max;
};

static void env_put(struct env_more *m, const char *dir, const char *name, size_t nl)
{
	size_t i;
	int w;

	if (m->n >= m->max || !nl || memchr(name, '$', nl))
		return;   /* "${ENV_FILE}": compose's interpolation, not a path */
	if (name[0] == '/')
		w = snprintf(m->dst[m->n], PATH_MAX, "%.*s", (int)nl, name);
	else
		w = snprintf(m->dst[m->n], PATH_MAX, "%s/%.*s", dir,
			     (int)(nl > 2 && !strncmp(name, "./", 2) ? nl - 2 : nl),
			     nl > 2 && !strncmp(name, "./", 2) ? name + 2 : name);
	if (w <= 0 || w >= PATH_MAX)
		return;
	for (i = 0; i < m->n; i++)
		if (!strcmp(m->dst[i], m->dst[m->n]))
			return;
	m->fn[m->n++] = parse_dotenv;
}

/* services.NAME.env_file: a path, a list of paths or (compose 2.24 on) of
 * {path: P, required: B}, relative to the compose file */
static void env_file_ev(const struct tree_ev *e, void *arg)
{
	struct env_more *m = arg;

	if (e->depth < 3 || !sec_tree_at(e, 0, "services") || !sec_tree_at(e, 2, "env_file") ||
	    (e->depth > 3 && !sec_tree_at(e, 3, "#")) ||
	    (e->depth == 5 && !sec_tree_at(e, 4, "path")) || e->depth > 5)
		return;
	env_put(m, m->cwd, e->v, e->vl);
}

/* A committed template (.env.example): its values are public, and
 * indexed they would block what the project's docs and tests send. */
static int env_template(const char *suffix)
{
	static const char *const tmpl[] = { "example", "sample", "template", "tmpl", "dist", "defaults",
					    NULL };
	size_t i;

	for (i = 0; tmpl[i]; i++)
		if (!strcasecmp(suffix, tmpl[i]))
			return 1;
	return 0;
}

/* dir's .env.NAME (.env.local, .env.production, .env.development.local:
 * what dotenv loaders and frameworks read over .env), templates aside */
static void env_names(struct env_more *m, const char *dir)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL && m->n < m->max)
		if (!strncmp(de->d_name, ".env.", 5) && de->d_name[5] && !env_template(de->d_name + 5))
			env_put(m, dir, de->d_name, strlen(de->d_name));
	closedir(d);
}

static int under(const char *dir, const char *top)
{
	size_t tl = strlen(top);

	return !strncmp(dir, top, tl) && (dir[tl] == '/' || dir[tl] == '\0');
}

/* The top of from's env files: the repository's root (the nearest parent
 * holding .git) within ENV_UP levels, else HOME if from is under it. */
static int env_top(const char *dir, const char *home, char *top)
{
	char git[PATH_MAX + 8];
	struct stat st;
	unsigned up;

	strcpy(top, dir);
	for (up = 0; up <= ENV_UP; up++) {
		char *slash;

		snprintf(git, sizeof(git), "%s/.git", top);
		if (stat(git, &st) == 0)
			return 0;
		if ((slash = strrchr(top, '/')) == NULL || slash == top)
			break;
		*slash = '\0';
	}
	if (!home || home[0] != '/' || !realpath(home, top) || !under(dir, top))
		return -1;
	return 0;
}

static void env_put_if(struct env_more *m, const char *dir, const char *name)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, name) < sizeof(p) && access(p, F_OK) == 0)
		env_put(m, dir, name, strlen(name));
}

/* The env files of from's parents: a monorepo's package or sub directory
 * loads the root's .env (dotenv-flow, Next.js and Vite with envDir, turbo,
 * nx), direnv its parents' .envrc. Up to the repository's root or HOME,
 * both included (env_top); outside HOME and any repository, none. */
static void env_up(struct env_more *m, const char *from, const char *home)
{
	char dir[PATH_MAX], top[PATH_MAX];
	unsigned up;

	if (!realpath(from, dir) || env_top(dir, home, top) != 0)
		return;
	for (up = 0; up < ENV_UP && m->n < m->max && strcmp(dir, top); up++) {
		char *slash = strrchr(dir, '/');

		if (!slash || slash == dir)
			return;
		*slash = '\0';
		env_put_if(m, dir, ".env");
		env_put_if(m, dir, ".envrc");
		env_names(m, dir);
	}
}

/* cwd's .env.NAME, the files the compose files' services name in env_file,
 * the parents' env files (env_up), and for an npm lifecycle script (run in
 * the package's directory) the project's: npm_config_local_prefix. */
static size_t env_more(struct ctx *c, const char *cwd, char (*dst)[PATH_MAX], parse_fn **fn,
		       size_t max)
{
	static const char *const compose[] = { "compose.yaml", "compose.yml", "docker-compose.yml",
					       "docker-compose.yaml" };
	struct env_more m = { cwd, dst, fn, 0, max < ENV_FILES ? max : ENV_FILES };
	const char *npm = sec_env_get(c, "npm_config_local_prefix", 23);
	char path[PATH_MAX];
	size_t i;

	env_names(&m, cwd);
	for (i = 0; i < sizeof(compose) / sizeof(compose[0]) && m.n < m.max; i++) {
		size_t len = 0;
		char *b;

		if ((size_t)snprintf(path, sizeof(path), "%s/%s", cwd, compose[i]) >= sizeof(path) ||
		    !(b = sec_read_head(path, FILE_MAX, &len)))
			continue;
		sec_yaml_walk_parts(b, len, env_file_ev, &m);
		sec_wipe_free(b, len);
	}
	if (npm && *npm == '/') {
		env_put_if(&m, npm, ".env");
		env_put_if(&m, npm, ".envrc");
		env_names(&m, npm);
	}
	env_up(&m, cwd, c->home);
	if (npm && *npm == '/')
		env_up(&m, npm, c->home);
	return m.n;
}

static const struct {
	const char *rel;      /* under HOME, or "./x" for the working directory */
	parse_fn *fn;
} brk_secret_files[] = {
	{ ".npmrc", parse_npmrc },
	{ "./.npmrc", parse_npmrc },
	{ ".yarnrc.yml", parse_yarnrc },
	{ ".pypirc", parse_pypirc },
	{ ".netrc", parse_netrc },
	{ "_netrc", parse_netrc },      /* curl's other name, Git for Windows' homes */
	{ ".git-credentials", parse_gitcred },
	{ ".docker/config.json", parse_docker },
	{ ".aws/credentials", parse_aws },
	{ ".config/gh/hosts.yml", parse_gh },
	{ ".cargo/credentials.toml", parse_cargo },
	{ ".gem/credentials", parse_gem },
	{ "./.env", parse_dotenv },
	{ "./.envrc", parse_dotenv },   /* direnv: export NAME=V */
	{ "./compose.yaml", parse_compose },
	{ "./compose.yml", parse_compose },
	{ "./docker-compose.yml", parse_compose },
	{ "./docker-compose.yaml", parse_compose },
	/* cloud and platform CLIs (secrets_cloud.c) */
	{ ".config/gcloud/application_default_credentials.json", sec_parse_gcp },
	{ ".config/gcloud/credentials.db", sec_parse_gcloud_db },
	{ ".config/gcloud/access_tokens.db", sec_parse_gcloud_db },
	{ ".kube/config", sec_parse_kube },
	{ ".azure/msal_token_cache.json", sec_parse_azure_msal },
	{ ".azure/accessTokens.json", sec_parse_azure_tokens },
	{ ".azure/service_principal_entries.json", sec_parse_azure_sp },
	{ ".terraform.d/credentials.tfrc.json", sec_parse_tfrc },
	{ ".config/hub", sec_parse_hub },
	{ ".composer/auth.json", sec_parse_composer },
	{ ".config/composer/auth.json", sec_parse_composer },
	{ "./auth.json", sec_parse_composer },
	/* build and database tools (secrets_conf.c) */
	{ ".boto", sec_parse_boto },
	{ ".s3cfg", sec_parse_s3cfg },
	{ ".my.cnf", sec_parse_mycnf },
	{ ".pgpass", sec_parse_pgpass },
	{ ".vault-token", sec_parse_vault },
	{ ".gradle/gradle.properties", sec_parse_gradle },
	{ ".m2/settings.xml", sec_parse_m2 },
	{ ".m2/settings-security.xml", sec_parse_m2 },
};

#define MORE_MAX 320          /* env_more 32, the AWS caches 3 x 64, the rest */

/* The paths beyond the table (secrets_int.h, env_more()): malloc'd, *dst
 * to free. */
static size_t more_paths(struct ctx *c, const char *cwd, char (**dst)[PATH_MAX], parse_fn **fn)
{
	size_t n;

	*dst = malloc(MORE_MAX * sizeof(**dst));
	if (!*dst)
		return 0;
	n = env_more(c, cwd, *dst, fn, MORE_MAX);
	n += sec_cloud_more(c, cwd, *dst + n, fn + n, MORE_MAX - n);
	return n + sec_conf_more(c, *dst + n, fn + n, MORE_MAX - n);
}

/* A file of ~/.ssh that may be a private key: not a public key, the
 * config, known_hosts or authorized_keys (id_*, *.pem, *.key, any name
 * IdentityFile gives). */
static int ssh_candidate(const char *name)
{
	size_t nl = strlen(name);

	return name[0] != '.' && !(nl > 4 && !strcmp(name + nl - 4, ".pub")) &&
	       strcmp(name, "config") && strncmp(name, "known_hosts", 11) &&
	       strncmp(name, "authorized_keys", 15) && strcmp(name, "environment") &&
	       strcmp(name, "rc");
}

static void read_file(struct ctx *c, const char *path, parse_fn *fn)
{
	int store = fn == sec_parse_firefox || fn == sec_parse_chrome || fn == sec_parse_gcloud_db;
	size_t len = 0;
	char *b = sec_read_head(path, store ? STORE_MAX : FILE_MAX, &len);

	if (!b)
		return;
	fn(c, path, b, len);
	sec_wipe_free(b, len);
}

/* ~/.ssh: private keys (PEM or OpenSSH armor, encrypted or not), whole
 * files, whatever their names. */
static void read_ssh(struct ctx *c)
{
	char dir[4096], path[4400];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/.ssh", c->home);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t len = 0;
		char *b;

		if (!ssh_candidate(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		b = sec_read_small(path, KEY_FILE_MAX, &len);
		if (b)
			sec_parse_keyfile(c, path, b, len);
		sec_wipe_free(b, len);
	}
	closedir(d);
}

static void read_env(struct ctx *c)
{
	char src[200];
	size_t i;

	for (i = 0; c->envp && c->envp[i]; i++) {
		const char *eq = strchr(c->envp[i], '='), *v;
		size_t nl, vl;

		if (!eq)
			continue;
		nl = (size_t)(eq - c->envp[i]);
		v = eq + 1;
		vl = strlen(v);
		if (nl >= 8 && !strncmp(c->envp[i], "DLPJAIL_", 8))
			continue;
		if (vl > 4096 || (!sec_name_says_secret(c->envp[i], nl) &&
				  !brk_scan_recognize((const uint8_t *)v, vl)))
			continue;
		snprintf(src, sizeof(src), "env %.*s", (int)(nl < 120 ? nl : 120), c->envp[i]);
		sec_add_str(c, v, vl, src, NULL);
	}
}

int brk_secrets_collect(struct brk_secrets *s, char *const *envp, const char *home,
			const char *cwd)
{
	struct ctx c = { .s = s, .envp = envp };
	char path[4400], (*more)[PATH_MAX] = NULL;
	parse_fn *fn[MORE_MAX];
	size_t i, nmore;

	s->n = 0;
	s->dropped = 0;
	c.home = home ? home : getenv("HOME");
	if (!cwd)
		cwd = ".";
	read_env(&c);
	for (i = 0; i < sizeof(brk_secret_files) / sizeof(brk_secret_files[0]); i++) {
		const char *rel = brk_secret_files[i].rel;

		if (rel[0] == '.' && rel[1] == '/')
			snprintf(path, sizeof(path), "%s/%s", cwd, rel + 2);
		else if (c.home && *c.home)
			snprintf(path, sizeof(path), "%s/%s", c.home, rel);
		else
			continue;
		read_file(&c, path, brk_secret_files[i].fn);
	}
	if (c.home && *c.home)
		read_ssh(&c);
	nmore = more_paths(&c, cwd, &more, fn);
	for (i = 0; i < nmore; i++)
		read_file(&c, more[i], fn[i]);
	free(more);
	return c.oom ? -ENOMEM : 0;
}

size_t brk_secrets_files(const char *home, const char *cwd, char (*dst)[PATH_MAX], size_t max)
{
	char dir[PATH_MAX], (*more)[PATH_MAX] = NULL;
	struct ctx c = { .envp = environ };
	parse_fn *fn[MORE_MAX];
	struct dirent *de;
	struct stat st;
	size_t i, n = 0, nmore;
	DIR *d;

	if (!home)
		home = getenv("HOME");
	c.home = home;
	if (!cwd)
		cwd = ".";
	for (i = 0; i < sizeof(brk_secret_files) / sizeof(brk_secret_files[0]) && n < max; i++) {
		const char *rel = brk_secret_files[i].rel;
		int w;

		if (rel[0] == '.' && rel[1] == '/')
			w = snprintf(dst[n], PATH_MAX, "%s/%s", cwd, rel + 2);
		else if (home && *home)
			w = snprintf(dst[n], PATH_MAX, "%s/%s", home, rel);
		else
			continue;
		if (w > 0 && w < PATH_MAX && stat(dst[n], &st) == 0 && S_ISREG(st.st_mode))
			n++;
	}
	if (home && *home && (size_t)snprintf(dir, sizeof(dir), "%s/.ssh", home) < sizeof(dir) &&
	    (d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL && n < max) {
			int w;

			if (!ssh_candidate(de->d_name))
				continue;
			w = snprintf(dst[n], PATH_MAX, "%s/%s", dir, de->d_name);
			if (w > 0 && w < PATH_MAX && stat(dst[n], &st) == 0 && S_ISREG(st.st_mode))
				n++;
		}
		closedir(d);
	}
	nmore = more_paths(&c, cwd, &more, fn);
	for (i = 0; i < nmore && n < max; i++)
		if (stat(more[i], &st) == 0 && S_ISREG(st.st_mode))
			memcpy(dst[n++], more[i], PATH_MAX);
	free(more);
	return n;
}

void brk_secrets_free(struct brk_secrets *s)
{
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		explicit_bzero(s->v[i].value, s->v[i].len);
		free(s->v[i].value);
		for (j = 0; j < s->v[i].nhome; j++)
			free(s->v[i].home[j]);
	}
	s->n = 0;
}

int brk_secrets_apply(const struct brk_secrets *s, struct brk_scan_engine *e)
{
	struct brk_scan_known *k = calloc(s->n + 1, sizeof(*k));
	size_t i;
	int rc;

	if (!k)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		k[i].value = s->v[i].value;
		k[i].len = s->v[i].len;
		k[i].home = (const char *const *)s->v[i].home;
		k[i].nhome = s->v[i].nhome;
		k[i].detector = s->v[i].detector;
		k[i].key = s->v[i].key;
		k[i].source = s->v[i].source;
	}
	rc = brk_scan_engine_add_known(e, k, s->n);
	free(k);
	return rc;
}

int brk_secrets_load(struct brk_scan_engine *e)
{
	struct brk_secrets *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	rc = brk_secrets_collect(s, environ, NULL, NULL);
	if (rc == 0)
		rc = brk_secrets_apply(s, e);
	if (rc == 0)
		dlp_log(DLP_LOG_INFO, "%zu known secret%s loaded (dlpjail --show-secrets lists them)",
			s->n, s->n == 1 ? "" : "s");
	if (rc == 0 && s->dropped)
		dlp_log(DLP_LOG_WARN, "%zu more credential value%s past the cap of %d: not known "
			"(detectors still apply)", s->dropped, s->dropped == 1 ? "" : "s",
			BRK_SECRETS_MAX);
	brk_secrets_free(s);
	free(s);
	return rc;
}

int brk_secrets_show(FILE *out)
{
	struct brk_secrets *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return 2;
	rc = brk_secrets_collect(s, environ, NULL, NULL);
	if (rc < 0) {
		fprintf(stderr, "dlpjail: collecting known secrets: %s\n", strerror(-rc));
		free(s);
		return 2;
	}
	brk_secrets_list(out, s, NULL, NULL);
	brk_secrets_free(s);
	free(s);
	return 0;
}

/* src as events show it (the shape rule), and a known value in it (a key
 * file named after the .netrc password) redacted whole: events have the
 * engine for that, --show-secrets has the values. */
static void source_shown(const struct brk_secrets *s, const char *src, char *out, size_t cap)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].len >= VALUE_MIN && memmem(src, strlen(src), s->v[i].value, s->v[i].len)) {
			dlp_redact((const uint8_t *)src, strlen(src), out,
				   cap < DLP_REDACT_MAX ? cap : DLP_REDACT_MAX);
			return;
		}
	brk_event_source_clean(NULL, src, out, cap);
}

void brk_secrets_list(FILE *out, const struct brk_secrets *s, brk_secrets_more_fn *more,
		      void *arg)
{
	size_t i, j;

	fprintf(out, "%zu known secret%s (values of fewer than %d bytes or low entropy are skipped)\n",
		s->n, s->n == 1 ? "" : "s", VALUE_MIN);
	if (s->dropped)
		fprintf(out, "%zu more past the cap of %d: not known\n", s->dropped, BRK_SECRETS_MAX);
	for (i = 0; i < s->n; i++) {
		const struct brk_secret *x = &s->v[i];
		const char *const *dh = x->detector ? brk_scan_detector_homes(x->detector) : NULL;
		char red[DLP_REDACT_MAX], src[256];
		size_t nh = 0;

		dlp_redact(x->value, x->len, red, sizeof(red));
		/* a file name is anyone's choice (~/.ssh/NAME): as events show it */
		source_shown(s, x->source, src, sizeof(src));
		fprintf(out, "%s  %s%s%s  from %s  homes:", red, x->key ? "private key" : "",
			x->detector ? x->detector : "", x->key || x->detector ? "" : "value", src);
		for (j = 0; j < x->nhome; j++, nh++)
			fprintf(out, " %s", x->home[j]);
		for (j = 0; dh && dh[j]; j++) {
			size_t k;

			for (k = 0; k < x->nhome && strcasecmp(x->home[k], dh[j]); k++)
				;
			if (k == x->nhome) {
				fprintf(out, " %s", dh[j]);
				nh++;
			}
		}
		fprintf(out, "%s\n", nh ? "" : " (none: blocked everywhere)");
		if (more)
			more(out, i, arg);
	}
}
