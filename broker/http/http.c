/* SPDX-License-Identifier: MIT */
/*
 * http.c - HTTP stream parser (see http.h): protocol detection, HTTP/1.x
 * messages (start line, headers, query parameters, Content-Length and
 * chunked bodies, pipelining), content decoding (gzip/deflate via zlib with
 * an output cap) and the RAW fallback. HTTP/2 lives in http2.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/http/http_int.h"
#include "common/dlp_err.h"

static const uint8_t h2_preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
#define H2_PREFACE_LEN 24

enum {
	H1_LINE = 0,        /* start line */
	H1_HEADERS,
	H1_BODY_CL,
	H1_CHUNK_SIZE,
	H1_CHUNK_DATA,
	H1_CHUNK_CRLF,
	H1_TRAILERS,
	H1_BODY_EOF,        /* response without length: body until close */
};

const char *brk_http_part_name(enum brk_http_part_kind k)
{
	static const char *const names[] = {
		[BRK_HTTP_START_LINE] = "start-line",
		[BRK_HTTP_HEADER] = "header",
		[BRK_HTTP_QUERY] = "query",
		[BRK_HTTP_BODY] = "body",
		[BRK_HTTP_MSG_END] = "end",
		[BRK_HTTP_RAW] = "raw",
		[BRK_HTTP_ANOMALY] = "anomaly",
	};

	if ((unsigned)k < sizeof(names) / sizeof(names[0]) && names[k])
		return names[k];
	return "unknown";
}

int http_emit(struct brk_http_stream *s, enum brk_http_part_kind k, uint32_t sid,
	      const void *name, size_t nlen, const void *val, size_t vlen, const char *enc)
{
	struct brk_http_part part = {
		.kind = k, .stream_id = sid, .version = s->mode == HTTP_M_H2 ? 2 : 1,
		.name = name, .name_len = nlen, .value = val, .value_len = vlen,
		.encoding = enc,
	};

	part.transformed = s->mode == HTTP_M_H2 || s->mode == HTTP_M_WS || k == BRK_HTTP_QUERY ||
			   (k == BRK_HTTP_BODY && (s->chunked || s->inflating));
	part.ws = k == BRK_HTTP_BODY && s->mode == HTTP_M_WS;

	return s->cb(s->arg, &part);
}

bool http_name_is(const uint8_t *n, size_t nl, const char *want)
{
	return nl == strlen(want) && !strncasecmp((const char *)n, want, nl);
}

/* ---- query parameters ---- */

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent- and plus-decode p into scratch at its current end; returns the length. */
static int url_decode(struct dlp_buf *b, const uint8_t *p, size_t n, size_t *outlen)
{
	uint8_t *dst;
	size_t i, o = 0;
	int rc = dlp_buf_reserve(b, n + 1, &dst);

	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			dst[o++] = (uint8_t)(hexval(p[i + 1]) << 4 | hexval(p[i + 2]));
			i += 2;
		} else if (p[i] == '+') {
			dst[o++] = ' ';
		} else {
			dst[o++] = p[i];
		}
	}
	*outlen = o;
	return 0;
}

int http_emit_query(struct brk_http_stream *s, uint32_t sid, const uint8_t *t, size_t len)
{
	const uint8_t *q = memchr(t, '?', len), *end, *amp, *eq;
	size_t nl, vl;
	int rc;

	if (!q)
		return 0;
	q++;
	end = memchr(q, '#', (size_t)(t + len - q));
	if (!end)
		end = t + len;
	while (q < end) {
		amp = memchr(q, '&', (size_t)(end - q));
		if (!amp)
			amp = end;
		eq = memchr(q, '=', (size_t)(amp - q));
		if (amp > q) {
			dlp_buf_reset(&s->scratch);
			rc = url_decode(&s->scratch, q, (size_t)((eq ? eq : amp) - q), &nl);
			if (rc < 0)
				return rc;
			s->scratch.len = nl;
			rc = url_decode(&s->scratch, eq ? eq + 1 : amp,
					eq ? (size_t)(amp - eq - 1) : 0, &vl);
			if (rc < 0)
				return rc;
			rc = http_emit(s, BRK_HTTP_QUERY, sid, s->scratch.ptr, nl,
				       s->scratch.ptr + nl, vl, NULL);
			if (rc < 0)
				return rc;
		}
		q = amp + 1;
	}
	return 0;
}

/* ---- content decoding ---- */

void http_dec_start(struct http_dec *d, const uint8_t *val, size_t n)
{
	size_t i = 0, j;

	memset(d, 0, sizeof(*d));
	while (i < n && (val[i] == ' ' || val[i] == '\t'))
		i++;
	j = n;
	while (j > i && (val[j - 1] == ' ' || val[j - 1] == '\t'))
		j--;
	if (j - i >= sizeof(d->name))
		j = i + sizeof(d->name) - 1;
	memcpy(d->name, val + i, j - i);
	d->name[j - i] = '\0';
	for (i = 0; d->name[i]; i++)
		if (d->name[i] >= 'A' && d->name[i] <= 'Z')
			d->name[i] = (char)(d->name[i] + 32);
	if (!strcmp(d->name, "identity"))
		d->name[0] = '\0';
	if (!strcmp(d->name, "gzip") || !strcmp(d->name, "x-gzip")) {
		/* 15+32: gzip (or zlib) header detected by zlib */
		if (inflateInit2(&d->z, 15 + 32) == Z_OK)
			d->active = 1;
		else
			d->failed = 1;
	} else if (!strcmp(d->name, "deflate")) {
		d->sniff = 1;   /* zlib-wrapped per RFC 9110, raw in practice too often */
	}
}

/* deflate: the first two bytes say zlib (CMF/FLG check) or raw deflate. */
static int dec_sniff(struct http_dec *d, const uint8_t **p, size_t *n, bool *ready)
{
	int window;

	while (d->nhead < 2 && *n) {
		d->head[d->nhead++] = **p;
		(*p)++;
		(*n)--;
	}
	*ready = d->nhead == 2;
	if (!*ready)
		return 0;
	d->sniff = 0;
	window = (d->head[0] & 0x0f) == 8 && ((d->head[0] << 8) | d->head[1]) % 31 == 0 ? 15 : -15;
	if (inflateInit2(&d->z, window) != Z_OK) {
		d->failed = 1;
		return 0;
	}
	d->active = 1;
	return 0;
}

void http_dec_end(struct http_dec *d)
{
	if (d->active)
		inflateEnd(&d->z);
	memset(d, 0, sizeof(*d));
}

/*
 * The inbound bound (brk_http_stream_set_decode_cap) reached by the n bytes
 * just inflated into out: what fits under it is emitted, the decoder ends,
 * and the rest of the body goes on still coded (http_body: d->failed), after
 * one ANOMALY that the glue turns into a "not fully scanned" note. Nothing
 * is dropped from the connection: the stream only stops looking inside.
 */
static int dec_bound(struct brk_http_stream *s, struct http_dec *d, uint32_t sid,
		     const uint8_t *out, size_t n)
{
	size_t keep = n - (size_t)(d->out_total - s->dec_cap);
	int rc = 0;

	inflateEnd(&d->z);
	d->active = 0;
	d->failed = 1;
	if (keep) {
		s->inflating = true;
		rc = http_emit(s, BRK_HTTP_BODY, sid, NULL, 0, out, keep, NULL);
		s->inflating = false;
	}
	if (rc < 0)
		return rc;
	return http_emit(s, BRK_HTTP_ANOMALY, sid, NULL, 0,
			 "decoded body past the inbound bound", 35, NULL);
}

static int inflate_some(struct brk_http_stream *s, struct http_dec *d, uint32_t sid,
			const uint8_t *p, size_t n)
{
	uint8_t out[16384];
	int zr, rc;

	d->z.next_in = (Bytef *)(uintptr_t)p;   /* zlib API is not const; it only reads */
	d->z.avail_in = (uInt)n;
	while (d->z.avail_in > 0) {
		d->z.next_out = out;
		d->z.avail_out = sizeof(out);
		zr = inflate(&d->z, Z_NO_FLUSH);
		if (sizeof(out) - d->z.avail_out) {
			d->out_total += sizeof(out) - d->z.avail_out;
			if (s->dec_cap && d->out_total > s->dec_cap)
				return dec_bound(s, d, sid, out, sizeof(out) - d->z.avail_out);
			if (d->out_total > BRK_HTTP_DECODED_MAX) {
				/* once: the rest of the body goes on still coded */
				inflateEnd(&d->z);
				d->active = 0;
				d->failed = 1;
				return http_emit(s, BRK_HTTP_ANOMALY, sid, NULL, 0,
						 "decoded body exceeds the size cap", 33, NULL);
			}
			s->inflating = true;
			rc = http_emit(s, BRK_HTTP_BODY, sid, NULL, 0, out,
				       sizeof(out) - d->z.avail_out, NULL);
			s->inflating = false;
			if (rc < 0)
				return rc;
		}
		if (zr == Z_STREAM_END) {
			/* concatenated gzip members (rare): start the next one */
			if (d->z.avail_in && inflateReset(&d->z) == Z_OK)
				continue;
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			/*
			 * Not what it claims: say so and pass the bytes on as they are.
			 * zlib may have swallowed some already: replay this chunk whole,
			 * and what it held back before producing any output.
			 */
			inflateEnd(&d->z);
			d->active = 0;
			d->failed = 1;
			rc = http_emit(s, BRK_HTTP_ANOMALY, sid, NULL, 0,
				       "body does not decode as its Content-Encoding", 44, NULL);
			if (rc == 0 && d->nheld)
				rc = http_emit(s, BRK_HTTP_BODY, sid, NULL, 0, d->held, d->nheld,
					       d->name);
			if (rc < 0)
				return rc;
			return http_emit(s, BRK_HTTP_BODY, sid, NULL, 0, p, n, d->name);
		}
		if (zr == Z_BUF_ERROR && d->z.avail_out != 0)
			break;
	}
	if (d->out_total == 0) {
		size_t k = n < sizeof(d->held) - d->nheld ? n : sizeof(d->held) - d->nheld;

		memcpy(d->held + d->nheld, p, k);
		d->nheld += k;
	}
	return 0;
}

int http_body(struct brk_http_stream *s, struct http_dec *d, uint32_t sid,
	      const uint8_t *p, size_t n)
{
	bool ready;
	int rc;

	if (!n)
		return 0;
	if (!d || !d->name[0])
		return http_emit(s, BRK_HTTP_BODY, sid, NULL, 0, p, n, NULL);
	if (d->sniff) {
		dec_sniff(d, &p, &n, &ready);
		if (!ready)
			return 0;
		if (d->failed)
			return http_emit(s, BRK_HTTP_BODY, sid, NULL, 0, d->head, 2, d->name);
		rc = inflate_some(s, d, sid, d->head, 2);
		if (rc < 0 || !n)
			return rc;
	}
	if (!d->active || d->failed)
		return http_emit(s, BRK_HTTP_BODY, sid, NULL, 0, p, n, d->name);
	return inflate_some(s, d, sid, p, n);
}

/* ---- HTTP/1.x ---- */

static int go_raw(struct brk_http_stream *s, const uint8_t *p, size_t n, const char *why)
{
	int rc = 0;

	s->mode = HTTP_M_RAW;
	http_dec_end(&s->dec);
	if (why)
		rc = http_emit(s, BRK_HTTP_ANOMALY, 0, NULL, 0, why, strlen(why), NULL);
	if (rc == 0 && s->line.len)
		rc = http_emit(s, BRK_HTTP_RAW, 0, NULL, 0, s->line.ptr, s->line.len, NULL);
	dlp_buf_reset(&s->line);
	if (rc == 0 && n)
		rc = http_emit(s, BRK_HTTP_RAW, 0, NULL, 0, p, n, NULL);
	return rc;
}

static void msg_reset(struct brk_http_stream *s)
{
	s->st = H1_LINE;
	s->remain = 0;
	s->chunked = s->has_cl = s->no_body = s->upgrade = s->ws_offer = false;
	s->has_te = s->framing_hdr = false;
	s->status = 0;
	http_dec_end(&s->dec);
}

static int msg_end(struct brk_http_stream *s)
{
	bool raw_after = s->upgrade, ws = s->ws_offer && s->dir == BRK_HTTP_REQUEST;
	int rc = http_emit(s, BRK_HTTP_MSG_END, 0, NULL, 0, NULL, 0, NULL);

	msg_reset(s);
	if (rc == 0 && raw_after)
		s->mode = HTTP_M_RAW;   /* 101 / CONNECT: what follows is another protocol */
	if (rc == 0 && ws)
		s->mode = HTTP_M_WS;    /* client frames follow (ws.c) */
	return rc;
}

static bool is_tchar(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Validate and emit a start line (without CRLF). 1 ok, 0 not HTTP. */
static int start_line(struct brk_http_stream *s, const uint8_t *l, size_t n)
{
	const uint8_t *sp1, *sp2;
	size_t i;
	int rc;

	if (s->dir == BRK_HTTP_RESPONSE) {
		if (n < 12 || memcmp(l, "HTTP/1.", 7) || l[8] != ' ')
			return 0;
		for (i = 9; i < 12; i++)
			if (l[i] < '0' || l[i] > '9')
				return 0;
		s->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
		rc = http_emit(s, BRK_HTTP_START_LINE, 0, NULL, 0, l, n, NULL);
		return rc < 0 ? rc : 1;
	}
	sp1 = memchr(l, ' ', n);
	if (!sp1 || sp1 == l)
		return 0;
	for (i = 0; l + i < sp1; i++)
		if (!is_tchar(l[i]))
			return 0;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(l + n - sp1 - 1));
	if (!sp2 || l + n - sp2 != 9 || memcmp(sp2 + 1, "HTTP/1.", 7))
		return 0;
	if (sp1 - l == 7 && !memcmp(l, "CONNECT", 7))
		s->upgrade = true;
	rc = http_emit(s, BRK_HTTP_START_LINE, 0, NULL, 0, l, n, NULL);
	if (rc == 0)
		rc = http_emit_query(s, 0, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	return rc < 0 ? rc : 1;
}

static bool list_has(const uint8_t *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i;

	for (i = 0; i + tl <= n; i++)
		if (!strncasecmp((const char *)v + i, tok, tl))
			return true;
	return false;
}

/*
 * Request smuggling, seen from the relay: a server that reads the framing
 * of a request otherwise than this parser de-chunks what the parser took
 * for raw body bytes (a token cut by a chunk boundary joined again), or
 * takes a "body" for a second request. RFC 9112 tells a server to refuse
 * each of these with 400, so no client that works sends one: the request
 * is not passed on (egress fails closed, http_glue.c), whatever the host.
 */
static int ambiguous(struct brk_http_stream *s, const uint8_t *p, size_t n, const char *why)
{
	char m[160];

	snprintf(m, sizeof(m), "ambiguous framing: %s", why);
	return go_raw(s, p, n, m);
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static bool framing_name(const uint8_t *l, size_t nl)
{
	while (nl && is_ws(*l)) {
		l++;
		nl--;
	}
	while (nl && is_ws(l[nl - 1]))
		nl--;
	return http_name_is(l, nl, "content-length") || http_name_is(l, nl, "transfer-encoding");
}

/* A request's Transfer-Encoding: "chunked" exactly once, and last. */
static bool te_chunked_last(const uint8_t *v, size_t n)
{
	size_t i = 0, b, e;
	int nchunked = 0;
	bool last = false;

	while (i <= n) {
		b = i;
		while (i < n && v[i] != ',')
			i++;
		e = i++;
		while (b < e && is_ws(v[b]))
			b++;
		while (e > b && is_ws(v[e - 1]))
			e--;
		last = http_name_is(v + b, e - b, "chunked");
		nchunked += last;
	}
	return nchunked == 1 && last;
}

/* The request-side framing checks of header_line; 1 when ambiguous. */
static int req_framing(struct brk_http_stream *s, const uint8_t *l, size_t n, size_t nl,
		       bool cl, bool te, const uint8_t *v, size_t vl, const char **why)
{
	uint64_t val = 0;
	size_t i;

	if (memchr(l, '\r', n)) {
		*why = "a bare CR inside a header line";
		return 1;
	}
	s->framing_hdr = cl || te;
	if (!cl && !te) {
		/* only a name with whitespace at an end can trim to one */
		if (nl && (is_ws(l[0]) || is_ws(l[nl - 1])) && framing_name(l, nl)) {
			*why = "whitespace around a Content-Length or Transfer-Encoding name";
			return 1;
		}
		return 0;
	}
	if (cl) {
		for (i = 0; i < vl; i++)
			if (v[i] < '0' || v[i] > '9' || __builtin_mul_overflow(val, 10, &val) ||
			    __builtin_add_overflow(val, (uint64_t)(v[i] - '0'), &val))
				break;
		if (!vl || i < vl)
			*why = "a Content-Length that is not one decimal number";
		else if (s->has_te)
			*why = "Content-Length with Transfer-Encoding";
		else if (s->has_cl && s->remain != val)
			*why = "two different Content-Lengths";
		else
			return 0;
		return 1;
	}
	if (s->has_cl)
		*why = "Content-Length with Transfer-Encoding";
	else if (s->has_te)
		*why = "a second Transfer-Encoding header";
	else if (!te_chunked_last(v, vl))
		*why = "a request Transfer-Encoding that does not end in chunked";
	s->has_te = true;
	return *why != NULL;
}

static int header_line(struct brk_http_stream *s, const uint8_t *l, size_t n)
{
	const uint8_t *colon = memchr(l, ':', n), *v;
	const char *why = NULL;
	size_t nl, vl;
	uint64_t cl = 0;
	size_t i;
	bool is_cl, is_te;

	if (s->dir == BRK_HTTP_REQUEST && s->st == H1_HEADERS && (is_ws(l[0]) || !colon)) {
		/* a fold continues the header before; an indented name may be taken alone */
		if (s->framing_hdr)
			return ambiguous(s, NULL, 0, "a folded Content-Length or Transfer-Encoding");
		if (colon && framing_name(l, (size_t)(colon - l)))
			return ambiguous(s, NULL, 0, "an indented Content-Length or Transfer-Encoding");
	}
	if (!colon || colon == l) {
		/* obsolete line folding or junk: scan it as a header value anyway */
		return http_emit(s, BRK_HTTP_HEADER, 0, NULL, 0, l, n, NULL);
	}
	nl = (size_t)(colon - l);
	v = colon + 1;
	vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	is_cl = http_name_is(l, nl, "content-length");
	is_te = !is_cl && http_name_is(l, nl, "transfer-encoding");
	if (s->dir == BRK_HTTP_REQUEST && s->st == H1_HEADERS &&
	    req_framing(s, l, n, nl, is_cl, is_te, v, vl, &why))
		return ambiguous(s, NULL, 0, why);
	if (is_cl) {
		for (i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9' || __builtin_mul_overflow(cl, 10, &cl) ||
			    __builtin_add_overflow(cl, (uint64_t)(v[i] - '0'), &cl))
				break;
		}
		if (i == vl && vl) {
			s->has_cl = true;
			s->remain = cl;
		}
	} else if (is_te) {
		s->chunked = list_has(v, vl, "chunked");
	} else if (http_name_is(l, nl, "content-encoding")) {
		http_dec_end(&s->dec);
		http_dec_start(&s->dec, v, vl);
	} else if (http_name_is(l, nl, "upgrade") && list_has(v, vl, "websocket")) {
		s->ws_offer = true;
	}
	return http_emit(s, BRK_HTTP_HEADER, 0, l, nl, v, vl, NULL);
}

/* Headers complete: pick the body framing. */
static int headers_done(struct brk_http_stream *s)
{
	if (s->dir == BRK_HTTP_RESPONSE) {
		if (s->status == 101)
			s->upgrade = true;
		if ((s->status >= 100 && s->status < 200) || s->status == 204 ||
		    s->status == 304)
			s->no_body = true;
	}
	if (s->no_body)
		return msg_end(s);
	if (s->chunked) {
		s->st = H1_CHUNK_SIZE;
		return 0;
	}
	if (s->has_cl) {
		if (s->remain == 0)
			return msg_end(s);
		s->st = H1_BODY_CL;
		return 0;
	}
	if (s->dir == BRK_HTTP_RESPONSE && !s->upgrade) {
		s->st = H1_BODY_EOF;
		return 0;
	}
	return msg_end(s);
}

/* Take one line into s->line; returns bytes used, *done when it ended. */
static size_t take_line(struct brk_http_stream *s, const uint8_t *p, size_t n, bool *done,
			int *err)
{
	const uint8_t *nl = memchr(p, '\n', n);
	size_t use = nl ? (size_t)(nl - p) + 1 : n;

	*done = nl != NULL;
	*err = dlp_buf_append(&s->line, p, use);
	return use;
}

static size_t line_len(const struct brk_http_stream *s)
{
	size_t n = s->line.len;

	if (n && s->line.ptr[n - 1] == '\n')
		n--;
	if (n && s->line.ptr[n - 1] == '\r')
		n--;
	return n;
}

static int h1_feed(struct brk_http_stream *s, const uint8_t *p, size_t len)
{
	bool done;
	int rc = 0, err;
	size_t use, n;

	while (len > 0 && s->mode == HTTP_M_H1) {
		switch (s->st) {
		case H1_LINE:
		case H1_HEADERS:
		case H1_CHUNK_SIZE:
		case H1_CHUNK_CRLF:
		case H1_TRAILERS:
			use = take_line(s, p, len, &done, &err);
			if (err < 0)
				return go_raw(s, p + use, len - use, "HTTP line longer than the limit");
			p += use;
			len -= use;
			if (!done)
				break;
			n = line_len(s);
			if (s->st == H1_LINE) {
				if (n == 0) {           /* stray CRLF between messages */
					dlp_buf_reset(&s->line);
					break;
				}
				if (s->dir == BRK_HTTP_REQUEST && n == 14 &&
				    !memcmp(s->line.ptr, h2_preface, 14)) {
					/* h2 prior knowledge after all: hand the rest over */
					dlp_buf_reset(&s->line);
					s->mode = HTTP_M_H2;
					rc = h2_init(s);
					/* the preface's "\r\nSM\r\n\r\n" is still to come */
					h2_skip_preface(s, H2_PREFACE_LEN - 16);
					if (rc == 0)
						rc = h2_feed(s, p, len);
					return rc;
				}
				rc = start_line(s, s->line.ptr, n);
				if (rc == 0)
					return go_raw(s, p, len, NULL);
				if (rc < 0)
					return rc;
				s->st = H1_HEADERS;
			} else if (s->st == H1_HEADERS) {
				if (n == 0)
					rc = headers_done(s);
				else
					rc = header_line(s, s->line.ptr, n);
			} else if (s->st == H1_CHUNK_SIZE) {
				uint64_t sz = 0;
				size_t i;
				int hv = 0;

				for (i = 0; i < n && (hv = hexval(s->line.ptr[i])) >= 0; i++)
					if (__builtin_mul_overflow(sz, 16, &sz) ||
					    __builtin_add_overflow(sz, (uint64_t)hv, &sz))
						break;
				if (i == 0 || (i < n && s->line.ptr[i] != ';' &&
					       s->line.ptr[i] != ' ' && s->line.ptr[i] != '\t')) {
					dlp_buf_reset(&s->line);
					if (s->dir == BRK_HTTP_REQUEST)   /* "0x1a", "+1a": strtoul reads them */
						return ambiguous(s, p, len, "a malformed chunk size");
					return go_raw(s, p, len, "malformed chunk size");
				}
				if (s->dir == BRK_HTTP_REQUEST && sz >> 32) {
					/* a server with a 32-bit size reads another chunk */
					dlp_buf_reset(&s->line);
					return ambiguous(s, p, len, "a chunk size of 4 GiB or more");
				}
				s->remain = sz;
				s->st = sz ? H1_CHUNK_DATA : H1_TRAILERS;
			} else if (s->st == H1_CHUNK_CRLF) {
				if (n && s->dir == BRK_HTTP_REQUEST) {
					dlp_buf_reset(&s->line);
					return ambiguous(s, p, len, "chunk data longer than its size");
				}
				s->st = H1_CHUNK_SIZE;
			} else if (n == 0) {        /* H1_TRAILERS: empty line ends the message */
				rc = msg_end(s);
			} else {
				rc = header_line(s, s->line.ptr, n);
			}
			dlp_buf_reset(&s->line);
			break;
		case H1_BODY_CL:
		case H1_CHUNK_DATA:
			n = len < s->remain ? len : (size_t)s->remain;
			rc = http_body(s, &s->dec, 0, p, n);
			p += n;
			len -= n;
			s->remain -= n;
			if (rc == 0 && s->remain == 0) {
				if (s->st == H1_CHUNK_DATA)
					s->st = H1_CHUNK_CRLF;
				else
					rc = msg_end(s);
			}
			break;
		case H1_BODY_EOF:
			rc = http_body(s, &s->dec, 0, p, len);
			len = 0;
			break;
		}
		if (rc < 0)
			return rc;
	}
	if (len && s->mode == HTTP_M_RAW)
		return http_emit(s, BRK_HTTP_RAW, 0, NULL, 0, p, len, NULL);
	if (len && s->mode == HTTP_M_WS)
		return ws_feed(s, p, len);
	return 0;
}

/* ---- detection and the public API ---- */

static bool looks_like_h2_settings(const uint8_t *d)
{
	/* 24-bit length (multiple of 6), type 4 SETTINGS, flags 0, stream 0 */
	uint32_t len = (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2];

	return d[3] == 0x04 && d[4] == 0 && !(d[5] | d[6] | d[7] | d[8]) && len % 6 == 0 &&
	       len <= 6 * 16;
}

static int detect(struct brk_http_stream *s, const uint8_t *p, size_t len)
{
	size_t need, take;
	int rc;

	need = s->dir == BRK_HTTP_REQUEST ? H2_PREFACE_LEN : 9;
	take = need - s->ndet < len ? need - s->ndet : len;
	memcpy(s->det + s->ndet, p, take);
	s->ndet += take;
	if (s->dir == BRK_HTTP_REQUEST) {
		if (memcmp(s->det, h2_preface, s->ndet) == 0) {
			if (s->ndet < need)
				return 0;       /* still a prefix of the preface */
			s->mode = HTTP_M_H2;
			rc = h2_init(s);
			if (rc == 0)
				rc = h2_feed(s, p + take, len - take);
			return rc;
		}
	} else if (s->ndet < need && !memcmp(s->det, "HTTP/", s->ndet < 5 ? s->ndet : 5)) {
		if (s->ndet < 5)
			return 0;
	} else if (s->ndet < need) {
		return 0;
	} else if (looks_like_h2_settings(s->det)) {
		s->mode = HTTP_M_H2;
		rc = h2_init(s);
		if (rc == 0)
			rc = h2_feed(s, s->det, s->ndet);
		if (rc == 0)
			rc = h2_feed(s, p + take, len - take);
		return rc;
	}
	s->mode = HTTP_M_H1;
	rc = h1_feed(s, s->det, s->ndet);
	if (rc == 0)
		rc = s->mode == HTTP_M_H2 ? 0 : h1_feed(s, p + take, len - take);
	return rc;
}

int brk_http_stream_new(enum brk_http_dir dir, brk_http_part_fn *cb, void *arg,
			struct brk_http_stream **out)
{
	struct brk_http_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->dir = dir;
	s->cb = cb;
	s->arg = arg;
	dlp_buf_init(&s->line, BRK_HTTP_LINE_MAX);
	dlp_buf_init(&s->scratch, 2 * BRK_HTTP_LINE_MAX + 2);
	*out = s;
	return 0;
}

void brk_http_stream_set_decode_cap(struct brk_http_stream *s, uint64_t cap)
{
	s->dec_cap = cap < BRK_HTTP_DECODED_MAX ? cap : 0;
}

int brk_http_feed(struct brk_http_stream *s, const uint8_t *p, size_t len)
{
	if (!len)
		return 0;
	switch (s->mode) {
	case HTTP_M_DETECT:
		return detect(s, p, len);
	case HTTP_M_H1:
		return h1_feed(s, p, len);
	case HTTP_M_H2:
		return h2_feed(s, p, len);
	case HTTP_M_WS:
		return ws_feed(s, p, len);
	default:
		return http_emit(s, BRK_HTTP_RAW, 0, NULL, 0, p, len, NULL);
	}
}

void brk_http_stream_set_arg(struct brk_http_stream *s, void *arg)
{
	s->arg = arg;
}

int brk_http_is_raw(const struct brk_http_stream *s)
{
	return s->mode == HTTP_M_RAW;
}

int brk_http_decoding(const struct brk_http_stream *s)
{
	return s->mode == HTTP_M_H2 ? h2_decoding(s)
	       : s->mode == HTTP_M_H1 && (s->dec.active || s->dec.sniff) && !s->dec.failed;
}

int brk_http_between(const struct brk_http_stream *s)
{
	return s->mode == HTTP_M_H1 && s->st == H1_LINE && s->line.len == 0 && !s->inflating;
}

int brk_http_version(const struct brk_http_stream *s)
{
	return s->mode == HTTP_M_H2 ? 2 : s->mode == HTTP_M_H1 ? 1 : 0;
}

void brk_http_stream_free(struct brk_http_stream *s)
{
	if (!s)
		return;
	h2_free(s);
	ws_free(s);
	http_dec_end(&s->dec);
	dlp_buf_free(&s->line);
	dlp_buf_free(&s->scratch);
	free(s);
}
