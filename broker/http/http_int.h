/* SPDX-License-Identifier: MIT */
/*
 * http_int.h - internals shared by http.c (HTTP/1.x, detection, body
 * decoding) and http2.c (HTTP/2 frames and HPACK). Nothing else includes it.
 */
#ifndef DLP_BROKER_HTTP_HTTP_INT_H
#define DLP_BROKER_HTTP_HTTP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <zlib.h>

#include "broker/http/http.h"
#include "common/dlp_buf.h"

/* Streaming content decoder for one message body. */
struct http_dec {
	int active;             /* 1 while z is initialised */
	int failed;             /* gave up: the rest is passed on encoded */
	int sniff;              /* deflate: zlib or raw decided on the first 2 bytes */
	uint8_t head[2];
	size_t nhead;
	uint8_t held[32];       /* input taken before any output: replayed on failure */
	size_t nheld;
	char name[16];          /* content coding, "" = identity */
	uint64_t out_total;
	z_stream z;
};

struct h2_state;

struct brk_http_stream {
	enum brk_http_dir dir;
	brk_http_part_fn *cb;
	void *arg;
	int mode;               /* HTTP_M_* */
	/* detection */
	uint8_t det[24];
	size_t ndet;
	/* HTTP/1.x */
	int st;                 /* H1_* */
	struct dlp_buf line;    /* the line being collected */
	struct dlp_buf scratch; /* percent-decoding */
	uint64_t remain;        /* body or chunk bytes left */
	bool chunked, has_cl, no_body, upgrade, conn_close;
	bool has_te;            /* a request's Transfer-Encoding was seen */
	bool framing_hdr;       /* the last header line was Content-Length or Transfer-Encoding */
	int status;
	char enc[16];
	struct http_dec dec;
	bool inflating;         /* the BODY being emitted comes out of a decoder */
	uint64_t dec_cap;       /* decoded bytes per body; 0 = BRK_HTTP_DECODED_MAX */
	/* HTTP/2 */
	struct h2_state *h2;
	/* WebSocket (ws.c) */
	bool ws_offer;          /* this request asked for Upgrade: websocket */
	struct ws_state *ws;
};

enum { HTTP_M_DETECT = 0, HTTP_M_H1, HTTP_M_H2, HTTP_M_RAW, HTTP_M_WS };

/* Emit one part. */
int http_emit(struct brk_http_stream *s, enum brk_http_part_kind k, uint32_t sid,
	      const void *name, size_t nlen, const void *val, size_t vlen, const char *enc);
/* Emit the query parameters of a request target (path?query#frag). */
int http_emit_query(struct brk_http_stream *s, uint32_t sid, const uint8_t *target,
		    size_t len);
/* Body bytes under content coding d (may be NULL or identity). */
int http_body(struct brk_http_stream *s, struct http_dec *d, uint32_t sid,
	      const uint8_t *p, size_t n);
/* Start/finish a content decoder for coding name (header value). */
void http_dec_start(struct http_dec *d, const uint8_t *val, size_t n);
void http_dec_end(struct http_dec *d);
/* Case-insensitive compare of a header name. */
bool http_name_is(const uint8_t *n, size_t nl, const char *want);

/* HTTP/2 (http2.c). p/len start at the connection preface (requests) or at
 * the first frame (responses). */
int h2_init(struct brk_http_stream *s);
/* Skip n bytes of connection preface before the first frame. */
void h2_skip_preface(struct brk_http_stream *s, size_t n);
int h2_feed(struct brk_http_stream *s, const uint8_t *p, size_t len);
void h2_free(struct brk_http_stream *s);
/* 1 if an HTTP/2 stream's body is being content-decoded. */
int h2_decoding(const struct brk_http_stream *s);

/* WebSocket client frames after an upgrade request (ws.c). */
int ws_feed(struct brk_http_stream *s, const uint8_t *p, size_t len);
void ws_free(struct brk_http_stream *s);

#endif /* DLP_BROKER_HTTP_HTTP_INT_H */
