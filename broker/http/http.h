/* SPDX-License-Identifier: MIT */
/*
 * http.h - HTTP awareness for the broker: turns one direction of one
 * connection's plaintext into "parts" the scanner judges one by one.
 *
 * A stream is fed raw bytes in order (any split, one byte at a time
 * included) and calls back once per part: the request or status line, each
 * header, each query parameter of the request target (split at & and =,
 * percent- and plus-decoded), body bytes (transfer coding removed, and
 * content coding removed too when the stream decodes it: gzip, x-gzip,
 * deflate; anything else is passed on encoded with the coding named), and
 * the end of each message. HTTP/1.0 and 1.1 are parsed with Content-Length,
 * chunked bodies and pipelining; HTTP/2 (client preface, or a server's first
 * SETTINGS frame) with frames, HEADERS/CONTINUATION/PUSH_PROMISE decoded by
 * nghttp2's HPACK inflater (Huffman strings come out in clear) and DATA per
 * stream id. Bytes that are not HTTP, or that stop parsing, are passed on
 * as RAW parts from then on: nothing is ever dropped unscanned.
 *
 * Only broker.c (and the unit tests) call this. A stream is used by one
 * thread at a time. Part pointers are valid only during the callback.
 * Limits: a line or header block of BRK_HTTP_LINE_MAX, an HTTP/2 frame of
 * BRK_HTTP_FRAME_MAX, decoded body output of BRK_HTTP_DECODED_MAX per
 * message; past a limit the stream emits an ANOMALY part and continues as
 * RAW (a body that cannot be decompressed within its caps is an ANOMALY:
 * callers should fail closed on it).
 *
 * A request whose framing a server could read otherwise (two
 * Content-Lengths, CL with TE, a TE not ending in chunked, whitespace
 * around a framing header's name, a fold or bare CR near one, a chunk size
 * strtoul reads differently or of 4 GiB or more: request smuggling) is an
 * ANOMALY "ambiguous framing: ..." and the rest RAW; callers refuse it on
 * egress (http_glue.c). Responses are never judged for their form.
 *
 * Return codes follow common/dlp_err.h.
 */
#ifndef DLP_BROKER_HTTP_HTTP_H
#define DLP_BROKER_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define BRK_HTTP_LINE_MAX (64u * 1024u)
#define BRK_HTTP_FRAME_MAX (1u << 20)
#define BRK_HTTP_DECODED_MAX (64u << 20)

enum brk_http_dir {
	BRK_HTTP_REQUEST = 0,   /* client -> server (DLP_DIR_SEND in a client) */
	BRK_HTTP_RESPONSE = 1,
};

enum brk_http_part_kind {
	BRK_HTTP_START_LINE = 1,  /* value = request line / status line; h2: "METHOD PATH" */
	BRK_HTTP_HEADER,          /* name, value (h2 pseudo-headers included, ":path") */
	BRK_HTTP_QUERY,           /* name, value: one decoded query parameter */
	BRK_HTTP_BODY,            /* value = body bytes (decoded unless encoding != NULL) */
	BRK_HTTP_MSG_END,         /* a message is complete: a flush point */
	BRK_HTTP_RAW,             /* value = bytes not parsed as HTTP */
	BRK_HTTP_ANOMALY,         /* value = why parsing or decoding stopped */
};

struct brk_http_part {
	enum brk_http_part_kind kind;
	uint32_t stream_id;       /* HTTP/2 stream; 0 for HTTP/1.x */
	int version;              /* 1 or 2 */
	const uint8_t *name;
	size_t name_len;
	const uint8_t *value;
	size_t value_len;
	/* BODY only: content coding still applied to value (NULL = plain) */
	const char *encoding;
	/* 1 when value is not a contiguous run of the fed bytes (percent- or
	 * HPACK-decoded, decompressed, de-chunked, de-framed): scanning the raw
	 * bytes alone could miss what it holds */
	int transformed;
	/* BODY only: a WebSocket frame's payload (unmasked, inflated) */
	int ws;
};

/* Return 0 to go on; a negative errno stops the feed and is returned by it. */
typedef int brk_http_part_fn(void *arg, const struct brk_http_part *part);

struct brk_http_stream;

/* New stream for one direction; -ENOMEM. cb is called from brk_http_feed only. */
int brk_http_stream_new(enum brk_http_dir dir, brk_http_part_fn *cb, void *arg,
			struct brk_http_stream **out);
/*
 * Decode at most cap bytes of each content-coded body (0: the default,
 * BRK_HTTP_DECODED_MAX, past which the body is an ANOMALY "decoded body
 * exceeds the size cap"). A smaller cap is an inbound bound, not a failure:
 * past it the stream emits one ANOMALY "decoded body past the inbound
 * bound" and the rest of the body as BODY parts still coded. For response
 * streams whose decoded bodies are matched only for canaries and known
 * secrets coming back (http_glue.c: BRK_HTTP_IN_DECODED).
 */
void brk_http_stream_set_decode_cap(struct brk_http_stream *s, uint64_t cap);
/* Change the callback argument (e.g. a per-call context). */
void brk_http_stream_set_arg(struct brk_http_stream *s, void *arg);
/*
 * Feed the next len bytes. Returns 0, or the callback's negative value
 * (the stream is then unusable: free it), or -ENOMEM.
 */
int brk_http_feed(struct brk_http_stream *s, const uint8_t *p, size_t len);
/* 1 once the stream gave up on HTTP and passes everything as RAW. */
int brk_http_is_raw(const struct brk_http_stream *s);
/* 1 while a body is being content-decoded (gzip/deflate) by this stream:
 * its decoded bytes are emitted as BODY parts, whatever its size. */
int brk_http_decoding(const struct brk_http_stream *s);
/* 1: HTTP/1.x between two messages (the last fed byte ended one, nothing
 * of the next is buffered). */
int brk_http_between(const struct brk_http_stream *s);
/* 2 for HTTP/2, 1 for HTTP/1.x, 0 undecided. */
int brk_http_version(const struct brk_http_stream *s);
void brk_http_stream_free(struct brk_http_stream *s);

/* Name of a part kind for logs and event "layers" ("header", "query", ...). */
const char *brk_http_part_name(enum brk_http_part_kind k);

#endif /* DLP_BROKER_HTTP_HTTP_H */
