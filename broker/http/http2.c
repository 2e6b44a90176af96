/* SPDX-License-Identifier: MIT */
/*
 * http2.c - HTTP/2 for the stream parser (see http.h): frame reassembly,
 * header blocks (HEADERS + CONTINUATION, PUSH_PROMISE) decoded with
 * nghttp2's HPACK inflater so Huffman-coded values come out in clear, DATA
 * per stream id with the stream's own Content-Encoding. Only http.c calls
 * into this file. Without nghttp2 every HTTP/2 byte is passed on as RAW.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/http/http_int.h"
#include "common/dlp_err.h"

#ifdef HAVE_NGHTTP2
#include <nghttp2/nghttp2.h>

#define H2_STREAMS 64
#define H2_HPACK_TABLE_MAX (1u << 16)

enum {
	F_DATA = 0x0, F_HEADERS = 0x1, F_RST_STREAM = 0x3, F_PUSH_PROMISE = 0x5,
	F_CONTINUATION = 0x9,
};
#define FL_END_STREAM 0x1
#define FL_END_HEADERS 0x4
#define FL_PADDED 0x8
#define FL_PRIORITY 0x20

struct h2_stream {
	uint32_t id;            /* 0: free */
	struct http_dec dec;
};

struct h2_state {
	nghttp2_hd_inflater *infl;
	size_t preface_left;    /* connection preface bytes still to skip */
	uint8_t hdr[9];
	size_t nhdr;
	uint32_t flen, fsid;
	uint8_t ftype, fflags;
	struct dlp_buf frame;   /* payload of the current frame */
	struct dlp_buf block;   /* header block across CONTINUATION frames */
	uint32_t block_sid;
	bool block_end_stream;
	bool in_block;
	struct dlp_buf start;   /* synthesized start line of the block */
	/* a DATA frame is not collected: its payload goes out as BODY parts
	 * as it arrives, straight from the fed bytes (the relay's raw scan
	 * then skips them: http_glue.h "cover") */
	bool data;              /* inside a DATA frame's payload */
	bool dpadded;           /* its pad length byte is still to come */
	uint32_t dleft;         /* payload bytes left (data, then padding) */
	uint32_t dpad;          /* padding at its end */
	struct h2_stream streams[H2_STREAMS];
};

static struct h2_stream *stream_of(struct h2_state *h, uint32_t id, bool create)
{
	struct h2_stream *free_slot = NULL;
	unsigned i;

	for (i = 0; i < H2_STREAMS; i++) {
		if (h->streams[i].id == id)
			return &h->streams[i];
		if (!h->streams[i].id && !free_slot)
			free_slot = &h->streams[i];
	}
	if (!create)
		return NULL;
	if (!free_slot) {       /* full: recycle one; its body goes on undecoded */
		free_slot = &h->streams[id % H2_STREAMS];
		http_dec_end(&free_slot->dec);
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->id = id;
	return free_slot;
}

static void stream_end(struct h2_state *h, uint32_t id)
{
	struct h2_stream *st = stream_of(h, id, false);

	if (st) {
		http_dec_end(&st->dec);
		st->id = 0;
	}
}

static int give_up(struct brk_http_stream *s, const char *why, const uint8_t *p, size_t n)
{
	int rc = http_emit(s, BRK_HTTP_ANOMALY, 0, NULL, 0, why, strlen(why), NULL);

	s->mode = HTTP_M_RAW;
	if (rc == 0 && n)
		rc = http_emit(s, BRK_HTTP_RAW, 0, NULL, 0, p, n, NULL);
	return rc;
}

static int decode_block(struct brk_http_stream *s)
{
	struct h2_state *h = s->h2;
	const uint8_t *in = h->block.ptr;
	size_t inlen = h->block.len;
	uint32_t sid = h->block_sid;
	struct h2_stream *st = stream_of(h, sid, true);
	char method[32] = "";
	nghttp2_nv nv;
	ssize_t used;
	int flags, rc;

	dlp_buf_reset(&h->start);
	for (;;) {
		flags = 0;
		/* nghttp2's API takes a non-const input but only reads it */
		used = nghttp2_hd_inflate_hd2(h->infl, &nv, &flags, in, inlen, 1);
		if (used < 0)
			return give_up(s, "HPACK header block does not decode", h->block.ptr,
				       h->block.len);
		in += used;
		inlen -= (size_t)used;
		if (flags & NGHTTP2_HD_INFLATE_EMIT) {
			rc = http_emit(s, BRK_HTTP_HEADER, sid, nv.name, nv.namelen, nv.value,
				       nv.valuelen, NULL);
			if (rc == 0 && http_name_is(nv.name, nv.namelen, ":path")) {
				rc = http_emit_query(s, sid, nv.value, nv.valuelen);
				if (rc == 0)
					rc = dlp_buf_printf(&h->start, "%s%.*s", h->start.len ? " " : "",
							    (int)(nv.valuelen < 8192 ? nv.valuelen : 8192),
							    (const char *)nv.value);
			} else if (rc == 0 && http_name_is(nv.name, nv.namelen, ":method") &&
				   nv.valuelen < sizeof(method)) {
				memcpy(method, nv.value, nv.valuelen);
				method[nv.valuelen] = '\0';
			} else if (rc == 0 && http_name_is(nv.name, nv.namelen, ":status")) {
				rc = dlp_buf_printf(&h->start, "HTTP/2 %.*s",
						    (int)(nv.valuelen < 8 ? nv.valuelen : 8),
						    (const char *)nv.value);
			} else if (rc == 0 && http_name_is(nv.name, nv.namelen, "content-encoding")) {
				http_dec_end(&st->dec);
				http_dec_start(&st->dec, nv.value, nv.valuelen);
			}
			if (rc < 0 && rc != -EMSGSIZE)
				return rc;
		}
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(h->infl);
			break;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && inlen == 0)
			break;
	}
	if (method[0] || h->start.len) {
		uint8_t line[8300];
		size_t ml = strlen(method), n = 0;

		if (ml) {
			memcpy(line, method, ml);
			n = ml;
			if (h->start.len)
				line[n++] = ' ';
		}
		if (h->start.len) {     /* a CONNECT has no :path (and no buffer) */
			memcpy(line + n, h->start.ptr, h->start.len);
			n += h->start.len;
		}
		rc = http_emit(s, BRK_HTTP_START_LINE, sid, NULL, 0, line, n, NULL);
		if (rc < 0)
			return rc;
	}
	dlp_buf_reset(&h->block);
	h->in_block = false;
	if (h->block_end_stream) {
		stream_end(h, sid);
		return http_emit(s, BRK_HTTP_MSG_END, sid, NULL, 0, NULL, 0, NULL);
	}
	return 0;
}

/* Strip padding (and priority fields) from a HEADERS/PUSH_PROMISE/DATA payload. */
static int unpad(uint8_t flags, const uint8_t **p, size_t *n, size_t extra)
{
	size_t pad = 0;

	if (flags & FL_PADDED) {
		if (*n < 1)
			return -EPROTO;
		pad = (*p)[0];
		(*p)++;
		(*n)--;
	}
	if (*n < extra + pad)
		return -EPROTO;
	*p += extra;
	*n -= extra + pad;
	return 0;
}

static int frame_done(struct brk_http_stream *s)
{
	struct h2_state *h = s->h2;
	const uint8_t *p = h->frame.ptr;
	size_t n = h->frame.len;
	struct h2_stream *st;
	uint32_t sid = h->fsid;
	int rc = 0;

	if (h->in_block && h->ftype != F_CONTINUATION)
		return give_up(s, "HTTP/2 header block interrupted", p, n);
	switch (h->ftype) {
	case F_DATA:
		if (unpad(h->fflags, &p, &n, 0) < 0)
			return give_up(s, "malformed HTTP/2 DATA frame", h->frame.ptr, h->frame.len);
		st = stream_of(h, sid, true);
		rc = http_body(s, &st->dec, sid, p, n);
		if (rc == 0 && (h->fflags & FL_END_STREAM)) {
			stream_end(h, sid);
			rc = http_emit(s, BRK_HTTP_MSG_END, sid, NULL, 0, NULL, 0, NULL);
		}
		return rc;
	case F_HEADERS:
	case F_PUSH_PROMISE:
		if (unpad(h->fflags, &p, &n, h->ftype == F_PUSH_PROMISE ? 4 :
			  (h->fflags & FL_PRIORITY) ? 5 : 0) < 0)
			return give_up(s, "malformed HTTP/2 HEADERS frame", h->frame.ptr,
				       h->frame.len);
		if (h->ftype == F_PUSH_PROMISE) {
			const uint8_t *q = p - 4;

			sid = ((uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 |
			       q[3]) & 0x7fffffffu;
		}
		dlp_buf_reset(&h->block);
		h->block_sid = sid;
		h->block_end_stream = h->ftype == F_HEADERS && (h->fflags & FL_END_STREAM);
		h->in_block = true;
		/* fallthrough */
	case F_CONTINUATION:
		if (!h->in_block)
			return give_up(s, "HTTP/2 CONTINUATION without HEADERS", p, n);
		if (dlp_buf_append(&h->block, p, n) < 0)
			return give_up(s, "HTTP/2 header block larger than the limit", p, n);
		if (h->fflags & FL_END_HEADERS)
			return decode_block(s);
		return 0;
	case F_RST_STREAM:
		stream_end(h, sid);
		return 0;
	default:
		return 0;               /* SETTINGS, PING, WINDOW_UPDATE...: no payload data */
	}
}

/*
 * The next bytes of a DATA frame's payload: the pad length, body bytes
 * (BODY parts of the stream's body, fed bytes as they are), padding
 * (never a part: raw-scanned). The frame ends with its last byte.
 */
static int data_take(struct brk_http_stream *s, const uint8_t **pp, size_t *lenp)
{
	struct h2_state *h = s->h2;
	const uint8_t *p = *pp;
	size_t len = *lenp, take, body;
	struct h2_stream *st;
	int rc = 0;

	if (h->dpadded) {
		if (!len && h->dleft)
			return 0;
		if (!h->dleft || p[0] > h->dleft - 1) {
			*lenp = 0;
			return give_up(s, "malformed HTTP/2 DATA frame", p, len);
		}
		h->dpad = p[0];
		h->dpadded = false;
		p++;
		len--;
		h->dleft--;
	}
	body = h->dleft > h->dpad ? h->dleft - h->dpad : 0;     /* then padding */
	if (body && len) {
		take = len < body ? len : body;
		st = stream_of(h, h->fsid, true);
		rc = http_body(s, &st->dec, h->fsid, p, take);
		p += take;
		len -= take;
		h->dleft -= (uint32_t)take;
		if (rc < 0)
			goto out;
	}
	if (h->dleft && h->dleft <= h->dpad && len) {
		take = len < h->dleft ? len : h->dleft;
		p += take;
		len -= take;
		h->dleft -= (uint32_t)take;
	}
	if (h->dleft == 0) {
		h->data = false;
		h->nhdr = 0;
		if (h->fflags & FL_END_STREAM) {
			stream_end(h, h->fsid);
			rc = http_emit(s, BRK_HTTP_MSG_END, h->fsid, NULL, 0, NULL, 0, NULL);
		}
	}
out:
	*pp = p;
	*lenp = len;
	return rc;
}

int h2_init(struct brk_http_stream *s)
{
	struct h2_state *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	if (nghttp2_hd_inflate_new(&h->infl) != 0) {
		free(h);
		return -ENOMEM;
	}
	/* accept any table size the peer's encoder may announce up to our cap */
	nghttp2_hd_inflate_change_table_size(h->infl, H2_HPACK_TABLE_MAX);
	dlp_buf_init(&h->frame, BRK_HTTP_FRAME_MAX);
	dlp_buf_init(&h->block, BRK_HTTP_LINE_MAX);
	dlp_buf_init(&h->start, 8300);
	s->h2 = h;
	return 0;
}

void h2_skip_preface(struct brk_http_stream *s, size_t n)
{
	if (s->h2)
		s->h2->preface_left = n;
}

int h2_feed(struct brk_http_stream *s, const uint8_t *p, size_t len)
{
	struct h2_state *h = s->h2;
	size_t take;
	int rc;

	while (len > 0 && s->mode == HTTP_M_H2) {
		if (h->preface_left) {
			take = len < h->preface_left ? len : h->preface_left;
			h->preface_left -= take;
			p += take;
			len -= take;
			continue;
		}
		if (h->nhdr < 9) {
			take = 9 - h->nhdr < len ? 9 - h->nhdr : len;
			memcpy(h->hdr + h->nhdr, p, take);
			h->nhdr += take;
			p += take;
			len -= take;
			if (h->nhdr < 9)
				return 0;
			h->flen = (uint32_t)h->hdr[0] << 16 | (uint32_t)h->hdr[1] << 8 | h->hdr[2];
			h->ftype = h->hdr[3];
			h->fflags = h->hdr[4];
			h->fsid = ((uint32_t)h->hdr[5] << 24 | (uint32_t)h->hdr[6] << 16 |
				   (uint32_t)h->hdr[7] << 8 | h->hdr[8]) & 0x7fffffffu;
			dlp_buf_reset(&h->frame);
			if (h->flen > BRK_HTTP_FRAME_MAX)
				return give_up(s, "HTTP/2 frame larger than the limit", p, len);
			if (h->ftype == F_DATA && !h->in_block) {
				h->data = true;
				h->dpadded = (h->fflags & FL_PADDED) != 0;
				h->dleft = h->flen;
				h->dpad = 0;
			}
		}
		if (h->data) {
			rc = data_take(s, &p, &len);
			if (rc < 0)
				return rc;
			continue;
		}
		take = h->flen - h->frame.len < len ? h->flen - h->frame.len : len;
		if (dlp_buf_append(&h->frame, p, take) < 0)
			return -ENOMEM;
		p += take;
		len -= take;
		if (h->frame.len < h->flen)
			return 0;
		h->nhdr = 0;
		rc = frame_done(s);
		if (rc < 0)
			return rc;
	}
	if (len && s->mode == HTTP_M_RAW)
		return http_emit(s, BRK_HTTP_RAW, 0, NULL, 0, p, len, NULL);
	return 0;
}

int h2_decoding(const struct brk_http_stream *s)
{
	unsigned i;

	for (i = 0; s->h2 && i < H2_STREAMS; i++)
		if (s->h2->streams[i].id && (s->h2->streams[i].dec.active || s->h2->streams[i].dec.sniff) &&
		    !s->h2->streams[i].dec.failed)
			return 1;
	return 0;
}

void h2_free(struct brk_http_stream *s)
{
	struct h2_state *h = s->h2;
	unsigned i;

	if (!h)
		return;
	for (i = 0; i < H2_STREAMS; i++)
		http_dec_end(&h->streams[i].dec);
	nghttp2_hd_inflate_del(h->infl);
	dlp_buf_free(&h->frame);
	dlp_buf_free(&h->block);
	dlp_buf_free(&h->start);
	free(h);
	s->h2 = NULL;
}

#else /* !HAVE_NGHTTP2: HTTP/2 is recognised but scanned as raw bytes */

int h2_init(struct brk_http_stream *s)
{
	s->mode = HTTP_M_RAW;
	return http_emit(s, BRK_HTTP_ANOMALY, 0, NULL, 0, "HTTP/2 without nghttp2", 22, NULL);
}

void h2_skip_preface(struct brk_http_stream *s, size_t n)
{
	(void)s;
	(void)n;
}

int h2_feed(struct brk_http_stream *s, const uint8_t *p, size_t len)
{
	return len ? http_emit(s, BRK_HTTP_RAW, 0, NULL, 0, p, len, NULL) : 0;
}

void h2_free(struct brk_http_stream *s)
{
	(void)s;
}

int h2_decoding(const struct brk_http_stream *s)
{
	(void)s;
	return 0;
}
#endif
