/* SPDX-License-Identifier: MIT */
/*
 * secrets_tree.c - the two tree readers of the credential collectors
 * (secrets_int.h): strict JSON (RFC 8259, depth TREE_DEPTH) and the YAML
 * that kubectl, gcloud, gh, yarn, hub and compose files are written in:
 * block mappings, "- " lists, plain, single- and double-quoted scalars;
 * flow collections ({a: b}, [a, b], nested, over lines, quoted keys,
 * single-pair maps in sequences); anchors on scalars and on flow and
 * block nodes, aliases and merge keys ("<<: *a") replayed at their own
 * paths within a byte budget (a billion laughs stays linear); block
 * scalars (| and >, literal and folded, without their final line
 * breaks). Tags are ignored (!!binary is not decoded); complex keys
 * ("? ") are refused. Each scalar string goes to the callback with
 * the keys above it; JSON numbers and booleans are not reported (YAML
 * plain scalars all are: the collectors' value filter drops "true").
 * Keys longer than 127 bytes, values longer than the file, a tab in the
 * indentation, an unterminated quote or collection: the walk fails, and a
 * collector that validated first indexes nothing of that file.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/secrets_int.h"

#define KEY_LEN 128
#define ANCHORS 256
#define ANCHOR_NAME 64

/* A YAML anchor: the events emitted under it, log[start, end), their
 * paths below base; replayed at each alias of its name. */
struct anchor {
	char name[ANCHOR_NAME];
	size_t start, end;
	unsigned base;
};

struct walk {
	const char *p, *e;
	unsigned line;
	tree_fn *fn;
	void *arg;
	struct tree_ev ev;
	/* anchors (a walk with fn only): records of {depth, line, keys, vl,
	 * value}; logged and replayed bytes bounded by budget (aliases of
	 * aliases stay linear in the file) */
	char *log;
	size_t logl, logcap, replayed, budget;
	struct anchor anc[ANCHORS];
	unsigned nanc, nopen;
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

/* Append the event about to be emitted to the anchor log: past the
 * budget or out of memory, the anchors just hold less (their values were
 * emitted where they stand). */
static void log_event(struct walk *w, unsigned depth, size_t vl)
{
	size_t need = 2 * sizeof(unsigned) + sizeof(size_t) + vl, i;
	char *q;

	for (i = 0; i < depth; i++)
		need += strlen(w->key[i]) + 1;
	if (w->logl + need > w->budget)
		return;
	if (w->logl + need > w->logcap) {
		size_t cap = w->logcap ? w->logcap * 2 : 4096;

		while (cap < w->logl + need)
			cap *= 2;
		q = malloc(cap);
		if (!q)
			return;
		if (w->log) {
			memcpy(q, w->log, w->logl);
			explicit_bzero(w->log, w->logcap);
			free(w->log);
		}
		w->log = q;
		w->logcap = cap;
	}
	q = w->log + w->logl;
	memcpy(q, &depth, sizeof(depth));
	q += sizeof(depth);
	memcpy(q, &w->line, sizeof(w->line));
	q += sizeof(w->line);
	for (i = 0; i < depth; i++) {
		size_t kl = strlen(w->key[i]) + 1;

		memcpy(q, w->key[i], kl);
		q += kl;
	}
	memcpy(q, &vl, sizeof(vl));
	q += sizeof(vl);
	memcpy(q, w->buf, vl);
	w->logl += need;
}

static void emit(struct walk *w, unsigned depth, size_t vl)
{
	unsigned i;

	if (!w->fn)
		return;
	if (w->nopen)
		log_event(w, depth, vl);
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

/* hex digits at p[0, n) into *u */
static int hexn(const char *p, const char *e, int n, unsigned long *u)
{
	int i;

	*u = 0;
	if (e - p < n)
		return -1;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return -1;
		*u = *u << 4 | (unsigned long)(isdigit((unsigned char)p[i]) ? p[i] - '0' :
					       (tolower((unsigned char)p[i]) - 'a' + 10));
	}
	return 0;
}

/* A double-quoted string at w->p ('"'), JSON escapes, or (!json) YAML's:
 * those and \0 \a \e \v \x.. \U........ \N \_ \L \P, an escaped line
 * break, and line breaks folded (one to a space, n to n-1 newlines: a
 * flow scalar spans lines); into out[cap), NUL-terminated. */
static int dquoted(struct walk *w, char *out, size_t cap, size_t *ol, int json)
{
	size_t o = 0;

	w->p++;
	while (w->p < w->e && *w->p != '"') {
		char ch = *w->p++;
		unsigned long u;

		if (o + 5 > cap)
			return -1;
		if (!json && (ch == '\n' || ch == '\r')) {
			unsigned breaks = 0;

			w->p--;
			while (o && (out[o - 1] == ' ' || out[o - 1] == '\t'))
				o--;
			while (w->p < w->e && (*w->p == ' ' || *w->p == '\t' || *w->p == '\r' ||
					       *w->p == '\n'))
				if (*w->p++ == '\n') {
					breaks++;
					w->line++;
				}
			if (breaks < 2)
				out[o++] = ' ';
			while (breaks-- > 1 && o + 5 <= cap)
				out[o++] = '\n';
			continue;
		}
		if ((unsigned char)ch < 0x20 && json)
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
			if (json)
				return -1;
			switch (ch) {
			case '0': out[o++] = '\0'; break;
			case 'a': out[o++] = '\a'; break;
			case 'e': out[o++] = '\x1b'; break;
			case 'v': out[o++] = '\v'; break;
			case ' ': case '\t': out[o++] = ch; break;
			case 'N': o += utf8(0x85, out + o); break;
			case '_': o += utf8(0xa0, out + o); break;
			case 'L': o += utf8(0x2028, out + o); break;
			case 'P': o += utf8(0x2029, out + o); break;
			case 'x': case 'U':
				if (hexn(w->p, w->e, ch == 'x' ? 2 : 8, &u) < 0 || u > 0x10ffff)
					return -1;
				w->p += ch == 'x' ? 2 : 8;
				o += utf8(u, out + o);
				break;
			case '\r': case '\n':
				/* an escaped line break: the next line joins, its
				 * indentation dropped */
				while (w->p < w->e && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' ||
						       *w->p == '\r'))
					w->line += *w->p++ == '\n';
				if (ch == '\n')
					w->line++;
				break;
			default:
				return -1;
			}
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
	w->budget = 4 * len + 65536;
	w->buf = malloc(w->cap);
	return w->buf ? 0 : -1;
}

static void walk_done(struct walk *w)
{
	explicit_bzero(w->buf, w->cap);
	free(w->buf);
	if (w->log) {
		explicit_bzero(w->log, w->logcap);
		free(w->log);
	}
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

/* emit() with the line a scalar started on (a flow scalar may end lines
 * later) */
static void emit_at(struct walk *w, unsigned depth, size_t vl, unsigned line)
{
	unsigned now = w->line;

	w->line = line;
	emit(w, depth, vl);
	w->line = now;
}

/* ---- YAML anchors and aliases ------------------------------------------ */

/* Start capturing under anchor name[0, nl) for a node at depth base: its
 * index, or -1 (a validating walk, a bad name, too many). */
static int anchor_open(struct walk *w, const char *name, size_t nl, unsigned base)
{
	struct anchor *a;

	if (!w->fn || !nl || nl >= ANCHOR_NAME || w->nanc == ANCHORS)
		return -1;
	a = &w->anc[w->nanc];
	memcpy(a->name, name, nl);
	a->name[nl] = '\0';
	a->start = w->logl;
	a->end = (size_t)-1;
	a->base = base;
	w->nopen++;
	return (int)w->nanc++;
}

static void anchor_close(struct walk *w, int i)
{
	if (i < 0 || w->anc[i].end != (size_t)-1)
		return;
	w->anc[i].end = w->logl;
	w->nopen--;
}

/* An alias *name[0, nl) at depth: the anchor's events again, their paths
 * below its base put below depth. An unknown name replays nothing (an
 * anchor past ANCHORS; the value was reported where it was defined). */
static void replay(struct walk *w, const char *name, size_t nl, unsigned depth)
{
	const struct anchor *a = NULL;
	size_t off, end;
	unsigned line = w->line, i;

	for (i = w->nanc; i-- > 0;)
		if (strlen(w->anc[i].name) == nl && !memcmp(w->anc[i].name, name, nl)) {
			a = &w->anc[i];
			break;
		}
	if (!a || !w->fn)
		return;
	off = a->start;
	end = a->end == (size_t)-1 ? w->logl : a->end;
	while (off < end) {
		const char *q = w->log + off, *k;
		unsigned rd, rl, nd;
		size_t vl;

		memcpy(&rd, q, sizeof(rd));
		q += sizeof(rd);
		memcpy(&rl, q, sizeof(rl));
		q += sizeof(rl);
		k = q;
		for (i = 0; i < rd; i++)
			q += strlen(q) + 1;
		memcpy(&vl, q, sizeof(vl));
		q += sizeof(vl);
		off = (size_t)(q + vl - w->log);
		if (rd < a->base || depth + rd - a->base > TREE_DEPTH)
			continue;
		if (w->replayed + vl + 1 > w->budget)
			break;
		w->replayed += vl + 1;
		nd = depth + rd - a->base;
		for (i = 0; i < rd; k += strlen(k) + 1, i++)
			if (i >= a->base)
				snprintf(w->key[depth + i - a->base], KEY_LEN, "%s", k);
		memcpy(w->buf, q, vl);
		w->buf[vl] = '\0';
		w->line = rl;
		emit(w, nd, vl);   /* may log (and move w->log): q is not used after */
	}
	w->line = line;
}

/* ---- YAML flow collections ---------------------------------------------- */

#define FLOW_STOP " \t\r\n,[]{}"

/* spaces, line breaks and comments between flow tokens */
static void fws(struct walk *w)
{
	while (w->p < w->e) {
		if (*w->p == ' ' || *w->p == '\t' || *w->p == '\r') {
			w->p++;
		} else if (*w->p == '\n') {
			w->p++;
			w->line++;
		} else if (*w->p == '#') {
			while (w->p < w->e && *w->p != '\n')
				w->p++;
		} else {
			break;
		}
	}
}

/* "&name" and "!tag" before a node: the anchor's name (*nl 0: none). */
static void fprops(struct walk *w, const char **name, size_t *nl)
{
	*nl = 0;
	while (w->p < w->e && (*w->p == '&' || *w->p == '!')) {
		const char *s = ++w->p;

		while (w->p < w->e && *w->p && !strchr(FLOW_STOP, *w->p))
			w->p++;
		if (s[-1] == '&') {
			*name = s;
			*nl = (size_t)(w->p - s);
		}
		while (w->p < w->e && (*w->p == ' ' || *w->p == '\t'))
			w->p++;
	}
}

/* A flow scalar at w->p into w->buf: "...", '...' (each may span lines)
 * or plain (to , [ ] { } ": " or " #", lines folded). 0, 1 (empty), -1. */
static int fscalar(struct walk *w, size_t *vl)
{
	size_t o = 0;
	int sp = 0;

	if (w->p < w->e && *w->p == '"')
		return dquoted(w, w->buf, w->cap, vl, 0) < 0 ? -1 : 0;
	if (w->p < w->e && *w->p == '\'') {
		for (w->p++; w->p < w->e; w->p++) {
			if (*w->p == '\'' && w->p + 1 < w->e && w->p[1] == '\'') {
				w->buf[o++] = '\'';
				w->p++;
			} else if (*w->p == '\'') {
				break;
			} else if (*w->p == '\n') {
				while (o && (w->buf[o - 1] == ' ' || w->buf[o - 1] == '\t'))
					o--;
				w->buf[o++] = ' ';
				w->line++;
				while (w->p + 1 < w->e && (w->p[1] == ' ' || w->p[1] == '\t'))
					w->p++;
			} else {
				w->buf[o++] = *w->p;
			}
		}
		if (w->p >= w->e)
			return -1;
		w->p++;
		w->buf[o] = '\0';
		*vl = o;
		return 0;
	}
	while (w->p < w->e) {
		char ch = *w->p;

		if (ch == ',' || ch == '[' || ch == ']' || ch == '{' || ch == '}' || !ch ||
		    (ch == ':' && (w->p + 1 >= w->e || strchr(FLOW_STOP, w->p[1]))) ||
		    (ch == '#' && sp))
			break;
		w->p++;
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			w->line += ch == '\n';
			sp = 1;
			continue;
		}
		if (sp && o)
			w->buf[o++] = ' ';
		sp = 0;
		w->buf[o++] = ch;
	}
	w->buf[o] = '\0';
	*vl = o;
	return o ? 0 : 1;
}

static int fnode(struct walk *w, unsigned depth);

/* A scalar (or an empty one) that may be a key: a map's entry, or in a
 * sequence a single-pair map ("[a: b]"): its value at depth + 1 below
 * the key. Else the scalar itself at depth. */
static int fentry(struct walk *w, unsigned depth, int in_map)
{
	size_t vl = 0;
	unsigned line = w->line;
	int r;

	if (!in_map && w->p < w->e && strchr("{[*&!", *w->p))
		return fnode(w, depth);
	if (in_map && w->p < w->e && (*w->p == '&' || *w->p == '!' || *w->p == '?' ||
				      *w->p == '{' || *w->p == '['))
		return -1;   /* an anchored or complex key */
	r = fscalar(w, &vl);
	if (r < 0)
		return -1;
	fws(w);
	if (w->p < w->e && *w->p == ':') {
		unsigned d = in_map ? depth - 1 : depth;

		if (d >= TREE_DEPTH || vl >= KEY_LEN)
			return -1;
		memcpy(w->key[d], w->buf, vl + 1);
		w->p++;
		fws(w);
		if (w->p < w->e && (*w->p == ',' || *w->p == '}' || *w->p == ']'))
			return 0;   /* a null value */
		if (!strcmp(w->key[d], "<<") && w->p < w->e && *w->p == '*') {
			const char *s = ++w->p;

			while (w->p < w->e && *w->p && !strchr(FLOW_STOP, *w->p))
				w->p++;
			replay(w, s, (size_t)(w->p - s), d);   /* merged into this map */
			return 0;
		}
		return fnode(w, d + 1);
	}
	if (!in_map && r == 0)
		emit_at(w, depth, vl, line);
	return 0;   /* a map key without a value: null */
}

/* A flow collection at w->p ('{' or '['), its entries below depth. */
static int fcoll(struct walk *w, unsigned depth)
{
	char close = *w->p == '{' ? '}' : ']';
	unsigned idx = 0;

	if (depth >= TREE_DEPTH)
		return -1;
	w->p++;
	for (;;) {
		fws(w);
		if (w->p >= w->e)
			return -1;
		if (*w->p == close) {
			w->p++;
			return 0;
		}
		if (close == ']')
			snprintf(w->key[depth], KEY_LEN, "#%u", idx++);
		if (fentry(w, depth + 1, close == '}') < 0)
			return -1;
		fws(w);
		if (w->p < w->e && *w->p == ',') {
			w->p++;
			continue;
		}
		if (w->p >= w->e || *w->p != close)
			return -1;
	}
}

/* A flow node at w->p: properties, then an alias, a collection or a
 * scalar, reported below depth. */
static int fnode(struct walk *w, unsigned depth)
{
	const char *name = NULL;
	size_t nl, vl;
	unsigned line;
	int a, r;

	fws(w);
	fprops(w, &name, &nl);
	fws(w);
	if (w->p >= w->e)
		return -1;
	if (*w->p == '*') {
		const char *s = ++w->p;

		while (w->p < w->e && *w->p && !strchr(FLOW_STOP, *w->p))
			w->p++;
		replay(w, s, (size_t)(w->p - s), depth);
		return 0;
	}
	a = nl ? anchor_open(w, name, nl, depth) : -1;
	line = w->line;
	if (*w->p == '{' || *w->p == '[') {
		r = fcoll(w, depth);
	} else if ((r = fscalar(w, &vl)) == 0) {
		emit_at(w, depth, vl, line);
	}
	anchor_close(w, a);
	return r < 0 ? -1 : 0;
}

/* ---- YAML (block subset) ----------------------------------------------- */

struct frame {
	size_t col;
	int item;                         /* a "- " entry (else a key) */
	unsigned items;                   /* list entries under it so far */
	int anc;                          /* the anchor on its node, or -1 */
};

/* Pop frames down to n, closing the anchors on their nodes. */
static void pop_to(struct walk *w, struct frame *f, unsigned *nf, unsigned n)
{
	while (*nf > n)
		anchor_close(w, f[--*nf].anc);
}

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
		const char *p = w->p, *e = w->e;
		int r;

		w->p = s;
		w->e = s + n;
		r = dquoted(w, w->buf, w->cap, vl, 0);
		w->p = p;
		w->e = e;
		return r < 0 ? -1 : 0;
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

/* What follows "key:" or "- " on a line, r[0, rl), a node below depth:
 * properties, then an alias (merged into the map above if merge), a flow
 * collection (it may run over lines: l moves on to its last), a scalar,
 * or nothing: a block node on the lines below, whose anchor goes to *anc.
 * 0, or -1 (malformed). */
static int ynode(struct walk *w, struct lines *l, const char *r, size_t rl, unsigned depth,
		 int merge, int *anc)
{
	const char *name = NULL, *s;
	size_t nl = 0, vl;
	int a, rc = 0, sc;

	w->p = r;
	w->e = r + rl;
	while (w->p < w->e && (*w->p == ' ' || *w->p == '\t'))
		w->p++;
	fprops(w, &name, &nl);
	s = w->p;
	rl = (size_t)(w->e - s);
	if (!rl || *s == '#') {
		if (nl)
			*anc = anchor_open(w, name, nl, depth);
		return 0;
	}
	if (*s == '*') {
		for (w->p = s + 1; w->p < w->e && *w->p && !strchr(FLOW_STOP, *w->p); w->p++)
			;
		replay(w, s + 1, (size_t)(w->p - s - 1), merge && depth ? depth - 1 : depth);
		return 0;
	}
	a = nl ? anchor_open(w, name, nl, depth) : -1;
	if (*s == '{' || *s == '[') {
		w->p = s;
		w->e = l->end;
		rc = fcoll(w, depth);
		if (rc == 0) {
			/* the rest of its last line: a comment at most */
			while (w->p < w->e && (*w->p == ' ' || *w->p == '\t' || *w->p == '\r'))
				w->p++;
			if (w->p < w->e && *w->p != '\n' && *w->p != '#')
				rc = -1;
			while (w->p < w->e && *w->p != '\n')
				w->p++;
			l->p = w->p < w->e ? w->p + 1 : w->e;
			l->no = w->line;
		}
	} else if ((sc = yscalar(w, s, rl, &vl)) < 0) {
		rc = -1;
	} else if (sc == 0) {
		emit(w, depth, vl);
	}
	anchor_close(w, a);
	return rc;
}

/* A block scalar being read ("key: |" or ">"): its lines, more indented
 * than the key, gathered into w->buf (literal: joined by newlines; folded:
 * by spaces, a blank line a newline), reported without trailing line
 * breaks (a token written so is used without them). */
struct bscalar {
	int on, folded;
	size_t key_col, indent, o;
	unsigned depth, line, blank;
};

static void bs_line(struct walk *w, struct bscalar *bs, const char *line, size_t n, size_t col)
{
	if (col == n) {                       /* blank */
		bs->blank++;
		return;
	}
	if (!bs->indent)
		bs->indent = col;
	if (bs->o) {
		if (bs->folded && !bs->blank)
			w->buf[bs->o++] = ' ';
		else
			w->buf[bs->o++] = '\n';
	}
	while (bs->blank && bs->o) {
		w->buf[bs->o++] = '\n';
		bs->blank--;
	}
	bs->blank = 0;
	col = col < bs->indent ? col : bs->indent;
	memcpy(w->buf + bs->o, line + col, n - col);
	bs->o += n - col;
}

static void bs_end(struct walk *w, struct bscalar *bs)
{
	if (!bs->on)
		return;
	bs->on = 0;
	while (bs->o && (w->buf[bs->o - 1] == ' ' || w->buf[bs->o - 1] == '\r'))
		bs->o--;
	w->buf[bs->o] = '\0';
	if (bs->o)
		emit_at(w, bs->depth, bs->o, bs->line);
}

int sec_yaml_walk(const char *b, size_t len, tree_fn *fn, void *arg)
{
	struct walk *w = malloc(sizeof(*w));
	struct bscalar bs = { 0 };
	struct frame f[TREE_DEPTH];
	struct lines l = { b, b + len, 0 };
	const char *line;
	size_t n, vl;
	unsigned nf = 0;
	int rc = 0, none;

	if (!w)
		return -1;
	if (walk_init(w, b, len, fn, arg) < 0) {
		free(w);
		return -1;
	}
	while (rc == 0 && sec_next_line_max(&l, &line, &n, SIZE_MAX)) {
		size_t col = 0;
		const char *t, *k, *colon;
		size_t tl, kl;
		int dashed = 0;

		w->line = l.no;
		while (col < n && line[col] == ' ')
			col++;
		t = line + col;
		tl = n - col;
		if (bs.on && (!tl || col > bs.key_col)) {
			bs_line(w, &bs, line, n, col);   /* a block scalar's lines */
			continue;
		}
		bs_end(w, &bs);
		if (!tl || *t == '#')
			continue;
		if (*t == '\t') {
			rc = -1;
			break;
		}
		if (col == 0 && tl >= 3 && (!strncmp(t, "---", 3) || !strncmp(t, "...", 3))) {
			pop_to(w, f, &nf, 0);
			continue;
		}
		/* "- " entries, each a level at its dash's column */
		while (tl && *t == '-' && (tl == 1 || t[1] == ' ')) {
			while (nf && (f[nf - 1].col > col || (f[nf - 1].col == col && f[nf - 1].item)))
				pop_to(w, f, &nf, nf - 1);
			if (nf >= TREE_DEPTH) {
				rc = -1;
				break;
			}
			snprintf(w->key[nf], KEY_LEN, "#%u", nf ? f[nf - 1].items++ : 0);
			f[nf].col = col;
			f[nf].item = 1;
			f[nf].items = 0;
			f[nf].anc = -1;
			nf++;
			dashed = 1;
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
		if (dashed && (*t == '&' || *t == '!')) {
			/* "- &a key: v": the anchor is on the entry's map */
			const char *name = NULL;
			size_t nl;

			w->p = t;
			w->e = t + tl;
			fprops(w, &name, &nl);
			if (w->p < w->e && ykey(w->p, (size_t)(w->e - w->p), &k, &kl)) {
				col += (size_t)(w->p - t);
				tl -= (size_t)(w->p - t);
				t = w->p;
				if (nl && f[nf - 1].anc < 0)
					f[nf - 1].anc = anchor_open(w, name, nl, nf);
			}
		}
		colon = *t == '{' || *t == '[' || *t == '*' ? NULL : ykey(t, tl, &k, &kl);
		if (!colon) {
			int r;

			if (*t && strchr("{[*&!", *t)) {
				/* a list entry's (or the document's) flow node, alias or
				 * anchored node */
				none = -1;
				rc = ynode(w, &l, t, tl, nf, 0, dashed ? &f[nf - 1].anc : &none);
				anchor_close(w, none);
				continue;
			}
			/* a list entry's scalar, or a plain continuation line */
			r = yscalar(w, t, tl, &vl);
			if (r < 0)
				rc = -1;
			else if (r == 0 && nf && f[nf - 1].item && f[nf - 1].col + 2 <= col)
				emit(w, nf, vl);
			continue;
		}
		while (nf && f[nf - 1].col >= col)   /* siblings and what they held */
			pop_to(w, f, &nf, nf - 1);
		if (nf >= TREE_DEPTH || kl >= KEY_LEN) {
			rc = -1;
			break;
		}
		memcpy(w->key[nf], k, kl);
		w->key[nf][kl] = '\0';
		f[nf].col = col;
		f[nf].item = 0;
		f[nf].items = 0;
		f[nf].anc = -1;
		nf++;
		{
			const char *r = colon + 1;
			size_t rl = (size_t)(t + tl - r);

			while (rl && *r == ' ') {
				r++;
				rl--;
			}
			if (rl && (*r == '|' || *r == '>')) {
				bs.on = 1;
				bs.folded = *r == '>';
				bs.key_col = col;
				bs.indent = 0;
				bs.o = 0;
				bs.blank = 0;
				bs.depth = nf;
				bs.line = l.no + 1;
			} else
				rc = ynode(w, &l, r, rl, nf, !strcmp(w->key[nf - 1], "<<"), &f[nf - 1].anc);
		}
	}
	if (rc == 0)
		bs_end(w, &bs);
	pop_to(w, f, &nf, 0);
	walk_done(w);
	free(w);
	return rc;
}

/* ---- YAML by parts ------------------------------------------------------ */

/* A part's events with the file's line numbers */
struct part {
	tree_fn *fn;
	void *arg;
	unsigned base;                    /* the part's first line, less one */
};

static void part_ev(const struct tree_ev *e, void *arg)
{
	const struct part *p = arg;
	struct tree_ev x = *e;

	x.line += p->base;
	p->fn(&x, p->arg);
}

/* b[0, len), the part starting on line base + 1: walked if it parses.
 * 1: walked; 0: not. */
static int yaml_part(const char *b, size_t len, unsigned base, tree_fn *fn, void *arg)
{
	struct part p = { fn, arg, base };

	if (sec_yaml_walk(b, len, NULL, NULL) < 0)
		return 0;
	if (fn)
		sec_yaml_walk(b, len, part_ev, &p);
	return 1;
}

/* A line at column 0 that starts a top-level entry: not blank, not a
 * comment, not a "- " item of the key above (kubectl writes "users:\n-
 * name: x"), not the closing of a flow collection. */
static int top_entry(const char *s, size_t n)
{
	return n && !strchr(" \t\r#-]}", s[0]);
}

/* One document b[0, len) from line base + 1: whole, else each top-level
 * entry with its lines. 0: whole; 1: some entry; -1: none. */
static int yaml_doc(const char *b, size_t len, unsigned base, tree_fn *fn, void *arg)
{
	struct lines l = { b, b + len, 0 };
	const char *line, *start = b;
	unsigned start_no = 0;
	size_t n;
	int got = 0;

	if (yaml_part(b, len, base, fn, arg))
		return 0;
	while (sec_next_line_max(&l, &line, &n, SIZE_MAX)) {
		if (line == start || !top_entry(line, n))
			continue;
		got |= yaml_part(start, (size_t)(line - start), base + start_no, fn, arg);
		start = line;
		start_no = l.no - 1;
	}
	got |= yaml_part(start, (size_t)(b + len - start), base + start_no, fn, arg);
	return got ? 1 : -1;
}

int sec_yaml_walk_parts(const char *b, size_t len, tree_fn *fn, void *arg)
{
	struct lines l = { b, b + len, 0 };
	const char *line, *start = b;
	unsigned start_no = 0;
	size_t n;
	int rc, all = 1, got = 0;

	if (yaml_part(b, len, 0, fn, arg))
		return 0;
	while (sec_next_line_max(&l, &line, &n, SIZE_MAX)) {
		if (n < 3 || (strncmp(line, "---", 3) && strncmp(line, "...", 3)))
			continue;
		rc = yaml_doc(start, (size_t)(line - start), start_no, fn, arg);
		all &= rc == 0;
		got |= rc >= 0;
		start = l.p < l.end ? l.p : l.end;
		start_no = l.no;
	}
	rc = yaml_doc(start, (size_t)(b + len - start), start_no, fn, arg);
	all &= rc == 0;
	got |= rc >= 0;
	return got ? (all ? 0 : 1) : -1;
}
