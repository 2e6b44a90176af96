/* SPDX-License-Identifier: MIT */
/*
 * ws.c - WebSocket client frames (RFC 6455) after an HTTP/1.1 request that
 * asked for "Upgrade: websocket": each frame's payload unmasked (every
 * client frame is XORed with a 4-byte key of its own, so the raw stream
 * never sees a secret a browser or node's ws sends) and, for messages
 * under permessage-deflate (RFC 7692: RSV1 on the first frame), inflated
 * with the connection's one LZ77 window. Payloads are emitted as BODY
 * parts (transformed) of one body that lasts as long as the connection: a
 * secret cut over many frames or messages is one run for the body stream.
 * Control frames (ping, pong, close) carry data too: each payload is a
 * part of its own (QUERY "websocket-control"), so that a ping between the
 * frames of a message does not cut it.
 *
 * Bytes that are not a frame (the server refused the upgrade and the
 * client went on with HTTP, or anything else) make the stream RAW from
 * there on, as for any other protocol. Only http.c calls this.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/http/http_int.h"

#define WS_RSV1 0x40
#define WS_OUT 16384            /* unmasked / inflated bytes per BODY part */

struct ws_state {
	uint8_t hdr[14];        /* the frame header being collected */
	size_t nhdr, need;
	uint64_t remain;        /* payload bytes left in this frame */
	uint8_t key[4];
	unsigned koff;          /* payload offset mod 4 */
	bool masked;
	bool control;           /* ping, pong, close */
	uint8_t ctl[125];       /* a control frame's payload */
	size_t nctl;
	bool msg_deflated;      /* the current data message is compressed */
	bool deflated;          /* ... and this frame is one of its frames */
	bool z_on;
	uint64_t out_total;
	z_stream z;
	uint8_t buf[WS_OUT];
};

/* Header length from its first two bytes: 2, 4 or 10, plus 4 when masked. */
static size_t hdr_need(const uint8_t *h)
{
	size_t n = (h[1] & 0x7f) == 126 ? 4 : (h[1] & 0x7f) == 127 ? 10 : 2;

	return n + (h[1] & 0x80 ? 4 : 0);
}

/* Inflate in[0, n) (the message's compressed bytes, or its 00 00 ff ff
 * tail) and emit what comes out. */
static int ws_inflate(struct brk_http_stream *s, struct ws_state *w, const uint8_t *in, size_t n)
{
	int zr, rc = 0;

	if (!w->z_on) {
		memset(&w->z, 0, sizeof(w->z));
		if (inflateInit2(&w->z, -15) != Z_OK)
			return -ENOMEM;
		w->z_on = true;
	}
	w->z.next_in = (Bytef *)(uintptr_t)in;  /* zlib never writes the input */
	w->z.avail_in = (uInt)n;
	do {
		w->z.next_out = w->buf;
		w->z.avail_out = sizeof(w->buf);
		zr = inflate(&w->z, Z_SYNC_FLUSH);
		if (zr != Z_OK && zr != Z_BUF_ERROR && zr != Z_STREAM_END)
			return http_emit(s, BRK_HTTP_ANOMALY, 0, NULL, 0,
					 "body does not inflate (WebSocket permessage-deflate)", 52, NULL);
		w->out_total += sizeof(w->buf) - w->z.avail_out;
		if (w->out_total > BRK_HTTP_DECODED_MAX)
			return http_emit(s, BRK_HTTP_ANOMALY, 0, NULL, 0,
					 "decoded body over the limit (WebSocket permessage-deflate)", 58,
					 NULL);
		if (w->z.avail_out < sizeof(w->buf))
			rc = http_emit(s, BRK_HTTP_BODY, 0, NULL, 0, w->buf,
				       sizeof(w->buf) - w->z.avail_out, NULL);
	} while (rc == 0 && w->z.avail_out == 0);
	w->z.next_in = NULL;
	return rc;
}

/* n payload bytes at p: unmasked, inflated when the message is. */
static int ws_payload(struct brk_http_stream *s, struct ws_state *w, const uint8_t *p, size_t n)
{
	int rc = 0;

	while (n && rc == 0) {
		size_t k = n < sizeof(w->buf) ? n : sizeof(w->buf), i;
		uint8_t *d = w->deflated ? malloc(k) : w->buf;

		if (!d)
			return -ENOMEM;
		for (i = 0; i < k; i++)
			d[i] = w->masked ? p[i] ^ w->key[(w->koff + i) & 3] : p[i];
		w->koff = (unsigned)((w->koff + k) & 3);
		if (w->deflated) {
			rc = ws_inflate(s, w, d, k);
			free(d);
		} else if (w->control) {
			/* collected whole (at most 125 bytes), judged on its own at
			 * the frame's end: not spliced into a message's body */
			size_t room = sizeof(w->ctl) - w->nctl, c = k < room ? k : room;

			memcpy(w->ctl + w->nctl, d, c);
			w->nctl += c;
		} else {
			rc = http_emit(s, BRK_HTTP_BODY, 0, NULL, 0, d, k, NULL);
		}
		p += k;
		n -= k;
	}
	return rc;
}

/* The frame header in w->hdr is complete. */
static int ws_frame(struct brk_http_stream *s, struct ws_state *w)
{
	const uint8_t *h = w->hdr;
	unsigned op = h[0] & 0x0f;
	size_t i, at = 2;
	int rc = 0;

	w->remain = h[1] & 0x7f;
	if (w->remain == 126) {
		w->remain = (uint64_t)h[2] << 8 | h[3];
		at = 4;
	} else if (w->remain == 127) {
		for (w->remain = 0, i = 2; i < 10; i++)
			w->remain = w->remain << 8 | h[i];
		at = 10;
	}
	w->masked = (h[1] & 0x80) != 0;
	if (w->masked)
		memcpy(w->key, h + at, 4);
	w->koff = 0;
	if (op == 1 || op == 2)
		w->msg_deflated = (h[0] & WS_RSV1) != 0;   /* a message's first frame */
	/* a control frame is at most 125 bytes (RFC 6455 5.5); a longer one
	 * (only a peer of the sender's own would take it) is read as data, so
	 * that no byte of it goes unmasked past the 125 collected */
	w->control = op >= 8 && w->remain <= sizeof(w->ctl);
	w->nctl = 0;
	w->deflated = !w->control && w->msg_deflated;   /* control frames: plain */
	/* a compressed message's last frame: the flush marker RFC 7692 drops */
	if (w->remain == 0 && w->deflated && (h[0] & 0x80))
		rc = ws_inflate(s, w, (const uint8_t *)"\x00\x00\xff\xff", 4);
	return rc;
}

/* Is the frame header h[0, n) (n >= 2) a client frame? Known opcodes, and
 * RSV2/RSV3 clear (no extension this parser does not know). */
static bool ws_plausible(const uint8_t *h)
{
	unsigned op = h[0] & 0x0f;

	return !(h[0] & 0x30) && (op <= 2 || (op >= 8 && op <= 10));
}

int ws_feed(struct brk_http_stream *s, const uint8_t *p, size_t len)
{
	struct ws_state *w = s->ws;
	int rc = 0;

	if (!w && !(w = s->ws = calloc(1, sizeof(*w))))
		return -ENOMEM;
	while (len && rc == 0 && s->mode == HTTP_M_WS) {
		if (w->remain) {
			size_t n = len < w->remain ? len : (size_t)w->remain;
			uint8_t fin = w->hdr[0] & 0x80;

			rc = ws_payload(s, w, p, n);
			p += n;
			len -= n;
			w->remain -= n;
			if (rc == 0 && w->remain == 0 && fin && w->deflated)
				rc = ws_inflate(s, w, (const uint8_t *)"\x00\x00\xff\xff", 4);
			if (rc == 0 && w->remain == 0 && w->control && w->nctl)
				rc = http_emit(s, BRK_HTTP_QUERY, 0, "websocket-control", 17, w->ctl,
					       w->nctl, NULL);
			continue;
		}
		w->hdr[w->nhdr++] = *p++;
		len--;
		if (w->nhdr == 2) {
			if (!ws_plausible(w->hdr)) {
				/* not a frame: raw from its first byte on */
				s->mode = HTTP_M_RAW;
				rc = http_emit(s, BRK_HTTP_ANOMALY, 0, NULL, 0, "not a WebSocket frame", 21,
					       NULL);
				if (rc == 0)
					rc = http_emit(s, BRK_HTTP_RAW, 0, NULL, 0, w->hdr, 2, NULL);
				w->nhdr = 0;
				break;
			}
			w->need = hdr_need(w->hdr);
		}
		if (w->nhdr >= 2 && w->nhdr == w->need) {
			rc = ws_frame(s, w);
			w->nhdr = 0;
		}
	}
	if (rc == 0 && len && s->mode == HTTP_M_RAW)
		rc = http_emit(s, BRK_HTTP_RAW, 0, NULL, 0, p, len, NULL);
	return rc;
}

void ws_free(struct brk_http_stream *s)
{
	struct ws_state *w = s->ws;

	if (!w)
		return;
	if (w->z_on)
		inflateEnd(&w->z);
	free(w);
	s->ws = NULL;
}
