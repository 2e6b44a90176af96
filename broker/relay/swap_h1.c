/* SPDX-License-Identifier: MIT */
/*
 * swap_h1.c - where the border may swap in an outbound HTTP/1.1 stream
 * (swap_rl.h rl_h1_byte): a strict request framer that gives every byte
 * its place. Credentials go in a few places only, and only those are
 * swapped: the value of Authorization, Proxy-Authorization, Cookie and the
 * known token headers (rl_cred_headers), and the authority (userinfo) of
 * an absolute-form request target. Every other header, the request line's
 * path and query: left as they are (RL_SWAP_LEAVE: a placeholder there
 * reaches its home unswapped and fails to authenticate; a home that
 * publishes a header or a query value, a User-Agent in a log, a search
 * term, can never publish the real value). Bodies and chunk framing:
 * never (RL_SWAP_NEVER: refused, even at the home: a gist, an issue
 * comment, a package). A stream that does not open with an HTTP method is
 * some other protocol (swapped anywhere); HTTP/2 is left as it is.
 * Anything ambiguous (bare LF, obs-fold, both Content-Length and
 * Transfer-Encoding, two lengths, an Upgrade or CONNECT tunnel, a head
 * over 16 KiB) loses the framing: no swap for the rest of the connection
 * (fail closed).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "broker/relay/swap_rl.h"

enum { H1_START, H1_METHOD, H1_HEAD, H1_BODY, H1_CSIZE, H1_CEXT, H1_CLF, H1_CDATA, H1_CDCR,
       H1_CDLF, H1_TRAIL, H1_TRAILEND, H1_RAW, H1_H2, H1_LOST };
static const char *const h1_methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND",
	"PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "MKACTIVITY",
	"CHECKOUT", "MERGE", "SEARCH",
};

/* Request headers whose value is a credential (lower case). */
static const char *const rl_cred_headers[] = {
	"authorization",        /* Bearer, token, Basic (decoded by swap_out.c) */
	"proxy-authorization",
	"cookie",
	"private-token",        /* GitLab */
	"job-token",            /* GitLab CI */
	"deploy-token",
	"x-api-key",
	"api-key",
	"x-auth-token",
	"x-access-token",
	"x-github-token",
	"x-gitlab-token",
	"x-vault-token",
	"x-jfrog-art-api",      /* Artifactory */
	"x-goog-api-key",
};

bool rl_cred_header(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(rl_cred_headers) / sizeof(rl_cred_headers[0]); i++)
		if (strlen(rl_cred_headers[i]) == len && !strncasecmp(name, rl_cred_headers[i], len))
			return true;
	return false;
}

size_t rl_swap_accept_enc(uint8_t *v, size_t n)
{
	static const char *const undecoded[] = { "br", "zstd", "compress", "x-compress" };
	size_t i = 0, s, e, t, k, count = 0;

	while (i < n) {
		for (s = i; s < n && (v[s] == ' ' || v[s] == '\t'); s++)
			;
		for (e = s; e < n && v[e] != ','; e++)
			;
		for (t = s; t < e && v[t] != ';' && v[t] != ' ' && v[t] != '\t'; t++)
			;
		for (k = 0; k < sizeof(undecoded) / sizeof(undecoded[0]); k++)
			if (strlen(undecoded[k]) == t - s &&
			    !strncasecmp((const char *)v + s, undecoded[k], t - s)) {
				memset(v + s, ' ', e - s);      /* an empty list element */
				count++;
				break;
			}
		i = e + 1;
	}
	return count;
}

static uint8_t h1_name_place(const char *name, size_t len)
{
	return rl_cred_header(name, len) ? RL_SWAP_HERE : RL_SWAP_LEAVE;
}

/*
 * A byte of a request head (already in h->head at h->n - 1): its place.
 * The request line: only an absolute-form target's authority (after
 * "://", up to the path, query or end: userinfo goes there); a header
 * line: its value if the name is a credential header.
 */
static uint8_t h1_head_place(struct rl_h1 *h, uint8_t c)
{
	if (h->rline) {
		if (c == '\n') {
			h->rline = false;
			h->lstart = h->n;
			h->inval = false;
			return RL_SWAP_LEAVE;
		}
		if (h->target == 1) {
			if (c != '/' && c != '?' && c != '#' && c != ' ' && c != '\r')
				return RL_SWAP_HERE;
			h->target = 2;
		} else if (h->target == 0 && c == ' ') {
			h->target = 2;          /* the target ended without an authority */
		} else if (h->target == 0 && c == '/' && h->n >= 3 &&
			   !memcmp(h->head + h->n - 3, "://", 3)) {
			h->target = 1;
		}
		return RL_SWAP_LEAVE;
	}
	if (c == '\n') {
		h->inval = false;
		h->lstart = h->n;
		return RL_SWAP_LEAVE;
	}
	if (!h->inval) {
		if (c == ':') {
			h->inval = true;
			h->vplace = h1_name_place(h->head + h->lstart, h->n - 1 - h->lstart);
		}
		return RL_SWAP_LEAVE;
	}
	return c == '\r' ? RL_SWAP_LEAVE : h->vplace;
}

/* the value of header name in a complete head, or NULL; *dup: seen twice */
static const char *h1_header(const char *h, const char *name, size_t *vl, bool *dup)
{
	size_t nl = strlen(name);
	const char *line = strstr(h, "\r\n"), *v = NULL, *e;

	*dup = false;
	for (; line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
		const char *l = line + 2;

		if (strncasecmp(l, name, nl) || l[nl] != ':')
			continue;
		if (v)
			*dup = true;
		for (v = l + nl + 1; *v == ' ' || *v == '\t'; v++)
			;
		e = strstr(v, "\r\n");
		for (*vl = (size_t)(e - v); *vl && (v[*vl - 1] == ' ' || v[*vl - 1] == '\t'); (*vl)--)
			;
	}
	return v;
}

/* A complete head (h->head, NUL-terminated): where its body ends. */
static int h1_head_done(struct rl_h1 *h)
{
	const char *cl, *te, *c;
	size_t cll = 0, tel = 0, i;
	bool dupc, dupt;
	uint64_t len = 0;

	for (i = 0; i < h->n; i++) {
		if (h->head[i] == '\n' && (!i || h->head[i - 1] != '\r'))
			return H1_LOST;                 /* bare LF */
		if (h->head[i] == '\n' && i + 1 < h->n && (h->head[i + 1] == ' ' ||
							   h->head[i + 1] == '\t'))
			return H1_LOST;                 /* obs-fold */
	}
	h->seen = true;
	if (!strncmp(h->head, "CONNECT ", 8) || h1_header(h->head, "upgrade", &tel, &dupt))
		return H1_LOST;                         /* a tunnel may follow */
	cl = h1_header(h->head, "content-length", &cll, &dupc);
	te = h1_header(h->head, "transfer-encoding", &tel, &dupt);
	if ((cl && te) || dupc || dupt)
		return H1_LOST;
	if (te) {
		if (tel != 7 || strncasecmp(te, "chunked", 7))
			return H1_LOST;
		h->csize = h->cdig = 0;
		return H1_CSIZE;
	}
	for (c = cl; c && c < cl + cll; c++) {
		if (*c < '0' || *c > '9' || len > (UINT64_MAX - 9) / 10)
			return H1_LOST;
		len = len * 10 + (uint64_t)(*c - '0');
	}
	if (cl && !cll)
		return H1_LOST;
	h->left = len;
	return len ? H1_BODY : H1_START;
}

/* One byte of the stream through the framing: its place. */
uint8_t rl_h1_byte(struct rl_h1 *h, uint8_t c)
{
	size_t i;
	int hex;
	uint8_t place;

	switch (h->st) {
	case H1_START:
		if (c == '\r' || c == '\n')
			return RL_SWAP_HERE;
		h->n = 0;
		h->st = H1_METHOD;
		/* fall through */
	case H1_METHOD:
		if (c == ' ' && h->n) {
			h->head[h->n] = '\0';
			if (!strcmp(h->head, "PRI")) {
				h->st = h->seen ? H1_LOST : H1_H2;
				return h->seen ? RL_SWAP_NEVER : RL_SWAP_LEAVE;
			}
			for (i = 0; i < sizeof(h1_methods) / sizeof(h1_methods[0]); i++)
				if (!strcmp(h->head, h1_methods[i]))
					break;
			if (i == sizeof(h1_methods) / sizeof(h1_methods[0])) {
				h->st = h->seen ? H1_LOST : H1_RAW;
				return h->seen ? RL_SWAP_NEVER : RL_SWAP_HERE;
			}
			h->head[h->n++] = ' ';
			h->st = H1_HEAD;
			h->rline = true;
			h->target = 0;
			h->inval = false;
			return RL_SWAP_LEAVE;
		}
		if (c < 'A' || c > 'Z' || h->n >= 16) {
			h->st = h->seen ? H1_LOST : H1_RAW;
			return h->seen ? RL_SWAP_NEVER : RL_SWAP_HERE;
		}
		h->head[h->n++] = (char)c;
		return RL_SWAP_HERE;
	case H1_HEAD:
		if (h->n + 1 >= RL_H1_HEAD_MAX || c == '\0') {
			h->st = H1_LOST;
			return RL_SWAP_NEVER;
		}
		h->head[h->n++] = (char)c;
		place = h1_head_place(h, c);
		if (h->n >= 4 && !memcmp(h->head + h->n - 4, "\r\n\r\n", 4)) {
			h->head[h->n] = '\0';
			h->st = h1_head_done(h);
		}
		return place;
	case H1_BODY:
		if (!--h->left)
			h->st = H1_START;
		return RL_SWAP_NEVER;
	case H1_CSIZE:
		hex = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f'
		      ? (c | 0x20) - 'a' + 10 : -1;
		if (hex >= 0 && h->cdig < 15) {
			h->csize = h->csize * 16 + (uint64_t)hex;
			h->cdig++;
		} else if (h->cdig && (c == ';' || c == '\r')) {
			h->st = c == ';' ? H1_CEXT : H1_CLF;
		} else {
			h->st = H1_LOST;
		}
		return RL_SWAP_NEVER;
	case H1_CEXT:
		if (c == '\r')
			h->st = H1_CLF;
		return RL_SWAP_NEVER;
	case H1_CLF:
		h->st = c != '\n' ? H1_LOST : h->csize ? H1_CDATA : H1_TRAIL;
		h->left = h->csize;
		h->line = 0;
		return RL_SWAP_NEVER;
	case H1_CDATA:
		if (!--h->left)
			h->st = H1_CDCR;
		return RL_SWAP_NEVER;
	case H1_CDCR:
		h->st = c == '\r' ? H1_CDLF : H1_LOST;
		return RL_SWAP_NEVER;
	case H1_CDLF:
		h->st = c == '\n' ? H1_CSIZE : H1_LOST;
		h->csize = h->cdig = 0;
		return RL_SWAP_NEVER;
	case H1_TRAIL:
		if (c == '\r' && !h->line)
			h->st = H1_TRAILEND;
		else if (c == '\n')
			h->line = 0;
		else if (c != '\r')
			h->line++;
		return RL_SWAP_NEVER;
	case H1_TRAILEND:
		h->st = c == '\n' ? H1_START : H1_LOST;
		return RL_SWAP_NEVER;
	case H1_RAW:
		return RL_SWAP_HERE;
	case H1_H2:
		return RL_SWAP_LEAVE;
	default:
		return RL_SWAP_NEVER;
	}
}
