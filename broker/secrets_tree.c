/* SPDX-License-Identifier: MIT */
/*
 * secrets_tree.c - the two tree readers of the credential collectors
 * (secrets_int.h): strict JSON (RFC 8259, depth TREE_DEPTH) and the block
 * YAML that kubectl, gcloud and hub write (mappings, "- " lists, plain,
 * single- and double-quoted scalars; flow collections and block scalars
 * are skipped, not read). Each scalar string goes to the callback with the
 * keys above it; numbers and booleans are not credentials and are not
 * reported. Keys longer than 127 bytes, values longer than the file, a
 * tab in the indentation, an unterminated quote: the walk fails, and a
 * collector that validated first indexes nothing of that file.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/secrets_int.h"

#define KEY_LEN 128

struct walk {
	const char *p, *e;
	unsigned line;
	tree_fn *fn;
	void *arg;
	struct tree_ev ev;
	char key[TREE_DEPTH][KEY_LEN];
	char *buf;                        /* a value, unescaped */
	size_t cap;
};

int sec_tree_at(const struct tree_ev *e, unsigned i, const char *want)
{
	if (i >= e->depth)
		return 0;
	if (want[0] == '#' && !want[1])
		return e->path[i][0] == '#';
	return strcmp(e->path[i], want) == 0;
}

static void emit(struct walk *w, unsigned depth, size_t vl)
{
	unsigned i;

	if (!w->fn)
		return;
	for (i = 0; i < depth; i++)
		w->ev.path[i] = w->key[i];
	w->ev.depth = depth;
	w->ev.v = w->buf;
	w->ev.vl = vl;
	w->ev.line = w->line;
	w->fn(&w->ev, w->arg);
}

static size_t utf8(unsigned long u, char *o)
{
	if (u < 0x80) {
		o[0] = (char)u;
		return 1;
	}
	if (u < 0x800) {
		o[0] = (char)(0xc0 | u >> 6);
		o[1] = (char)(0x80 | (u & 0x3f));
		return 2;
	}
	if (u < 0x10000) {
		o[0] = (char)(0xe0 | u >> 12);
		o[1] = (char)(0x80 | (u >> 6 & 0x3f));
		o[2] = (char)(0x80 | (u & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | u >> 18);
	o[1] = (char)(0x80 | (u >> 12 & 0x3f));
	o[2] = (char)(0x80 | (u >> 6 & 0x3f));
	o[3] = (char)(0x80 | (u & 0x3f));
	return 4;
}

static int hex4(const char *p, const char *e, unsigned long *u)
{
	int i;

	*u = 0;
	if (e - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return -1;
		*u = *u << 4 | (unsigned long)(isdigit((unsigned char)p[i]) ? p[i] - '0' :
					       (tolower((unsigned char)p[i]) - 'a' + 10));
	}
	return 0;
}

/* A double-quoted string at w->p ('"'), JSON escapes (YAML's are a
 * superset: \0 \a \e \x.. are refused there too, strictness costs nothing
 * for credentials); into out[cap), NUL-terminated. */
static int dquoted(struct walk *w, char *out, size_t cap, size_t *ol, int json)
{
	size_t o = 0;

	w->p++;
	while (w->p < w->e && *w->p != '"') {
		char ch = *w->p++;
		unsigned long u;

		if (o + 5 > cap)
			return -1;
		if ((unsigned char)ch < 0x20 && (json || ch == '\n'))
			return -1;
		if (ch != '\\') {
			out[o++] = ch;
			continue;
		}
		if (w->p >= w->e)
			return -1;
		ch = *w->p++;
		switch (ch) {
		case '"': case '\\': case '/': out[o++] = ch; break;
		case 'n': out[o++] = '\n'; break;
		case 't': out[o++] = '\t'; break;
		case 'r': out[o++] = '\r'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'u':
			if (hex4(w->p, w->e, &u) < 0)
				return -1;
			w->p += 4;
			if (u >= 0xd800 && u < 0xdc00) {
				unsigned long lo;

				if (w->e - w->p < 6 || w->p[0] != '\\' || w->p[1] != 'u' ||
				    hex4(w->p + 2, w->e, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				w->p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u < 0xe000) {
				return -1;
			}
			o += utf8(u, out + o);
			break;
		default:
			return -1;
		}
	}
	if (w->p >= w->e)
		return -1;
	w->p++;
	out[o] = '\0';
	*ol = o;
	return 0;
}

/* ---- JSON -------------------------------------------------------------- */

static void jws(struct walk *w)
{
	while (w->p < w->e && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
		w->line += *w->p++ == '\n';
}

static int jvalue(struct walk *w, unsigned depth)
{
	size_t vl;
	unsigned idx = 0;

	jws(w);
	if (w->p >= w->e)
		return -1;
	if (*w->p == '"') {
		if (dquoted(w, w->buf, w->cap, &vl, 1) < 0)
			return -1;
		emit(w, depth, vl);
		return 0;
	}
	if (*w->p == '{' || *w->p == '[') {
		char close = *w->p == '{' ? '}' : ']';

		if (depth >= TREE_DEPTH)
			return -1;
		w->p++;
		jws(w);
		if (w->p < w->e && *w->p == close) {
			w->p++;
			return 0;
		}
		for (;;) {
			jws(w);
			if (close == '}') {
				if (w->p >= w->e || *w->p != '"' ||
				    dquoted(w, w->key[depth], KEY_LEN, &vl, 1) < 0)
					return -1;
				jws(w);
				if (w->p >= w->e || *w->p++ != ':')
					return -1;
			} else {
				snprintf(w->key[depth], KEY_LEN, "#%u", idx++);
			}
			if (jvalue(w, depth + 1) < 0)
				return -1;
			jws(w);
			if (w->p >= w->e)
				return -1;
			if (*w->p == ',') {
				w->p++;
				continue;
			}
			if (*w->p++ != close)
				return -1;
			return 0;
		}
	}
	/* true, false, null, a number */
	vl = 0;
	while (w->p < w->e && (isalnum((unsigned char)*w->p) || *w->p == '.' || *w->p == '-' ||
			       *w->p == '+')) {
		w->p++;
		vl++;
	}
	return vl ? 0 : -1;
}

static int walk_init(struct walk *w, const char *b, size_t len, tree_fn *fn, void *arg)
{
	memset(w, 0, sizeof(*w) - sizeof(w->key) - sizeof(w->buf) - sizeof(w->cap));
	w->p = b;
	w->e = b + len;
	w->line = 1;
	w->fn = fn;
	w->arg = arg;
	w->cap = len + 8;
	w->buf = malloc(w->cap);
	return w->buf ? 0 : -1;
}

static void walk_done(struct walk *w)
{
	explicit_bzero(w->buf, w->cap);
	free(w->buf);
}

int sec_json_walk(const char *b, size_t len, tree_fn *fn, void *arg)
{
	struct walk *w = malloc(sizeof(*w));
	int rc = -1;

	if (!w)
		return -1;
	if (walk_init(w, b, len, fn, arg) == 0) {
		if (len >= 3 && !memcmp(b, "\xef\xbb\xbf", 3))
			w->p += 3;
		rc = jvalue(w, 0);
		jws(w);
		if (rc == 0 && w->p != w->e)
			rc = -1;
		walk_done(w);
	}
	free(w);
	return rc;
}

/* ---- YAML (block subset) ----------------------------------------------- */

struct frame {
	size_t col;
	int item;                         /* a "- " entry (else a key) */
	unsigned items;                   /* list entries under it so far */
};

/* A YAML scalar at s[0,n) (a line's rest): plain (to " #"), '...' or
 * "..."; into w->buf. -1: an unterminated quote. 1: not a scalar we read
 * (a flow collection, a block scalar indicator, an anchor, empty). */
static int yscalar(struct walk *w, const char *s, size_t n, size_t *vl)
{
	size_t o = 0, i;

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n || *s == '#' || *s == '{' || *s == '[' || *s == '|' || *s == '>' || *s == '&' ||
	    *s == '*' || *s == '!')
		return 1;
	if (*s == '"') {
		struct walk t = *w;

		t.p = s;
		t.e = s + n;
		if (dquoted(&t, w->buf, w->cap, vl, 0) < 0)
			return -1;
		return 0;
	}
	if (*s == '\'') {
		for (i = 1; i < n; i++) {
			if (s[i] == '\'' && i + 1 < n && s[i + 1] == '\'') {
				w->buf[o++] = '\'';
				i++;
			} else if (s[i] == '\'') {
				break;
			} else {
				w->buf[o++] = s[i];
			}
		}
		if (i >= n)
			return -1;
		w->buf[o] = '\0';
		*vl = o;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '#' && i && (s[i - 1] == ' ' || s[i - 1] == '\t'))
			break;
		w->buf[o++] = s[i];
	}
	while (o && (w->buf[o - 1] == ' ' || w->buf[o - 1] == '\t'))
		o--;
	w->buf[o] = '\0';
	*vl = o;
	return o ? 0 : 1;
}

/* The key of "key: rest" / "key:" in t[0,n): its end (the ':'), or NULL. */
static const char *ykey(const char *t, size_t n, const char **k, size_t *kl)
{
	size_t i = 0;

	if (n && (*t == '"' || *t == '\'')) {
		for (i = 1; i < n && t[i] != *t; i++)
			i += t[i] == '\\' && *t == '"';
		if (i >= n || i + 1 >= n || t[i + 1] != ':' || (i + 2 < n && t[i + 2] != ' '))
			return NULL;
		*k = t + 1;
		*kl = i - 1;
		return t + i + 1;
	}
	for (i = 0; i < n; i++)
		if (t[i] == ':' && (i + 1 == n || t[i + 1] == ' ' || t[i + 1] == '\t'))
			break;
		else if (t[i] == '#' && i && t[i - 1] == ' ')
			return NULL;
	if (i == n || i == 0)
		return NULL;
	*k = t;
	*kl = i;
	return t + i;
}

int sec_yaml_walk(const char *b, size_t len, tree_fn *fn, void *arg)
{
	struct walk *w = malloc(sizeof(*w));
	struct frame f[TREE_DEPTH];
	struct lines l = { b, b + len, 0 };
	const char *line;
	size_t n, skip_col = (size_t)-1, vl;
	unsigned nf = 0;
	int rc = 0;

	if (!w)
		return -1;
	if (walk_init(w, b, len, fn, arg) < 0) {
		free(w);
		return -1;
	}
	while (rc == 0 && sec_next_line(&l, &line, &n)) {
		size_t col = 0;
		const char *t, *k, *colon;
		size_t tl, kl;

		w->line = l.no;
		while (col < n && line[col] == ' ')
			col++;
		t = line + col;
		tl = n - col;
		if (!tl || *t == '#')
			continue;
		if (*t == '\t') {
			rc = -1;
			break;
		}
		if (skip_col != (size_t)-1 && col > skip_col)
			continue;                 /* a block scalar's lines */
		skip_col = (size_t)-1;
		if (col == 0 && tl >= 3 && (!strncmp(t, "---", 3) || !strncmp(t, "...", 3))) {
			nf = 0;
			continue;
		}
		/* "- " entries, each a level at its dash's column */
		while (tl && *t == '-' && (tl == 1 || t[1] == ' ')) {
			while (nf && (f[nf - 1].col > col || (f[nf - 1].col == col && f[nf - 1].item)))
				nf--;
			if (nf >= TREE_DEPTH) {
				rc = -1;
				break;
			}
			snprintf(w->key[nf], KEY_LEN, "#%u", nf ? f[nf - 1].items++ : 0);
			f[nf].col = col;
			f[nf].item = 1;
			f[nf].items = 0;
			nf++;
			t++;
			tl--;
			col++;
			while (tl && *t == ' ') {
				t++;
				tl--;
				col++;
			}
		}
		if (rc < 0 || !tl)
			continue;
		colon = ykey(t, tl, &k, &kl);
		if (!colon) {
			/* a list entry's scalar, or a plain continuation line */
			int r = yscalar(w, t, tl, &vl);

			if (r < 0)
				rc = -1;
			else if (r == 0 && nf && f[nf - 1].item && f[nf - 1].col + 2 <= col)
				emit(w, nf, vl);
			continue;
		}
		while (nf && f[nf - 1].col >= col)   /* siblings and what they held */
			nf--;
		if (nf >= TREE_DEPTH || kl >= KEY_LEN) {
			rc = -1;
			break;
		}
		memcpy(w->key[nf], k, kl);
		w->key[nf][kl] = '\0';
		f[nf].col = col;
		f[nf].item = 0;
		f[nf].items = 0;
		nf++;
		{
			const char *r = colon + 1;
			size_t rl = (size_t)(t + tl - r);
			int s = yscalar(w, r, rl, &vl);

			while (rl && *r == ' ') {
				r++;
				rl--;
			}
			if (s < 0)
				rc = -1;
			else if (s == 0)
				emit(w, nf, vl);
			if (rl && (*r == '|' || *r == '>'))
				skip_col = col;
		}
	}
	walk_done(w);
	free(w);
	return rc;
}
