/* SPDX-License-Identifier: MIT */
/*
 * http_glue.h - what broker.c's h_data() calls after its raw stream scan
 * (the relay calls it first, then its raw scan on brk_http_glue_rest()):
 * the same DATA frame goes through the HTTP parser of that connection and
 * direction, and every part whose bytes the raw scan could not see as they
 * are (query parameters percent-decoded, HTTP/2 headers HPACK-decoded,
 * bodies decompressed, de-chunked or de-framed) is scanned by the scanning
 * engine on its own; decoded body bytes form one more scan stream per
 * message. Findings are appended to the caller's result, their layers
 * prefixed with the HTTP part ("http/2:header>..."); blocked/refused are
 * or-ed in. An ANOMALY (a body that does not decode within its caps) is a
 * refusal on egress: fail closed. Received bytes (DLP_DIR_RECV) are scanned
 * as BRK_SCAN_INGRESS: what cannot be decoded within its caps sets
 * res->partial (once per glue) and is passed on, matched raw.
 *
 * Request rules: with g->policy set, an outbound request whose method and
 * path the policy's method rules do not allow to its host (the name the
 * connection was made to, or the Host header / :authority it names) is
 * refused before its bytes leave: res->refused, blocked, error = why and
 * res->rule = the policy line with its origin. Bytes that are not HTTP
 * (RAW) to a restricted host are refused as well when the channel opened
 * like a request (a method token and a blank: a lenient server may take
 * what this parser does not); other protocols (a TLS record, whose
 * plaintext comes on the TLS channel; SSH; git's pkt-lines) pass, their
 * content scanned.
 *
 * One struct brk_http_glue per (connection, direction), zeroed to start,
 * used by one thread at a time, released with brk_http_glue_free() (also
 * when the fd is reused for a new connection).
 */
#ifndef DLP_BROKER_HTTP_HTTP_GLUE_H
#define DLP_BROKER_HTTP_HTTP_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct brk_http_stream;
struct brk_policy;

/*
 * Inbound bound of a content-coded body (Content-Encoding gzip/deflate of a
 * received message): its first BRK_HTTP_IN_DECODED decoded bytes are
 * scanned (the engine's inbound rule: all of it up to BRK_SCAN_IN_FULL,
 * then canaries and known secrets); the rest is passed as it comes, with
 * one "not fully scanned" note (res->partial). Inbound bytes cannot leak
 * anything; what they are matched for is a canary or known secret echoed
 * back, and inflating all of a 10 MB packument to look for one cost ~11 %
 * of the broker in a cold pnpm install (bench/install/README.md, branch
 * pnpm-speed4). Egress bodies are decoded in full (BRK_HTTP_DECODED_MAX).
 */
#define BRK_HTTP_IN_DECODED (1u << 20)
/*
 * Inbound compressed bodies (HTTP/1.x): a received body still compressed
 * as it is passed on (a .tgz, a gzip/zstd/xz stream the glue does not
 * decode) is matched as it comes for its first BRK_HTTP_IN_CODED bytes, a
 * content-coded body past BRK_HTTP_IN_DECODED decoded bytes not at all
 * (before this, its coded rest was matched raw); the rest is not matched
 * at all (neither by the body stream nor by the raw scan: with cover set it
 * is covered), with one "not fully scanned" note. What a received body is
 * matched for is a canary or known secret coming back, and in deflate,
 * zstd or xz output a value does not appear as its bytes (Huffman-coded
 * literals; only a stored block holds them as they are): the known-secret
 * matcher over the 22 MB tarball of bench/install was ~1/3 of the relay
 * thread in a cold pnpm install and could not find anything a server would
 * not hide by compressing anyway. The decoded part of a content-coded body
 * is scanned as before. HTTP/2 bodies are matched as before.
 */
#define BRK_HTTP_IN_CODED (64u << 10)
struct brk_scan_engine;
struct brk_scan_stream;
struct brk_scan_result;

struct brk_http_glue {
	struct brk_http_stream *hs;     /* NULL until the first feed */
	uint32_t chan;                  /* DLP_CHAN_* the parser was started for */
	int broken;                     /* parser failed (ENOMEM): raw scanning only */
	struct brk_scan_stream *body;   /* decoded body of the current message */
	/* HTTP/2: the bodies of concurrent streams apart (DATA frames of two
	 * requests interleaved are not one run); more at once share body */
#define BRK_HTTP_GLUE_H2_BODIES 4
	struct brk_scan_stream *h2b[BRK_HTTP_GLUE_H2_BODIES];
	uint32_t h2sid[BRK_HTTP_GLUE_H2_BODIES];
	unsigned long long fed;         /* bytes fed (for "scanned" in events) */
	int partial_said;               /* broker.c: the "not fully scanned" event
					 * was written for this connection and
					 * direction (kept across restarts) */
	/* Request rules (policy.h, brk_policy_check_request): set by the
	 * caller before each feed (NULL: none); requests are judged by
	 * method and target against the destination and the Host header
	 * or :authority. The rest is this glue's own state. */
	const struct brk_policy *policy;
	char req_method[24];            /* of the request being parsed */
	char req_target[1024];
	bool req_target_cut;            /* the start line's target was longer */
	char req_authority[256];        /* HTTP/2: :authority, before its start line */
	char req_cl[24];                /* HTTP/1: Content-Length seen ("" none) */
	int req_te;                     /* HTTP/1: Transfer-Encoding seen */
	unsigned req_n;                 /* requests started on this connection */
	/* DNS over HTTPS (caller, set before each feed; NULL: every DoH
	 * request is refused): judges one name a request asks for as a
	 * lookup of it would be (the DNS gate: policy, exfiltration checks,
	 * budgets; it writes the event). 0 allowed, else refused with why. */
	int (*doh_judge)(void *arg, const char *name, uint16_t qtype, char *why, size_t cap);
	void *doh_arg;
	int doh_target;                 /* the request's target was judged */
	int doh_body;                   /* the request's body is a DNS message:
					 * 1 to judge, 2 judged */
	uint8_t *doh_msg;               /* ...its bytes so far (BRK_DOH_BODY_MAX) */
	size_t ndoh_msg;
	int front;                      /* caller: the connection was allowed by its
					 * name, so a Host or :authority naming
					 * another host is judged (domain fronting) */
	uint8_t head[16];               /* first bytes on this channel */
	unsigned nhead;
	/* One inspection per byte (the relay, relay_scan.c): with cover set
	 * by the caller, each feed notes which of the fed bytes a BODY part
	 * handed to the body stream as they are (de-chunked or de-framed
	 * only: h1 chunk data, h2 DATA payload), and brk_http_glue_rest()
	 * gives the caller the bytes its raw scan still needs. */
	int cover;
	struct brk_http_cover {
		size_t off, len;
		int whole;              /* not matched at all: no context kept */
	} *cv;
	size_t ncv, cvcap;
	uint8_t *rest;                  /* brk_http_glue_rest()'s buffer */
	size_t restcap;
	/* HTTP/2 header lines of this feed, scanned together at the next
	 * other part or the feed's end (one engine call per header block,
	 * not one per header); empty between feeds */
	uint8_t *hb;
	size_t hblen, hbcap;
	int at_end;                     /* the last feed ended an HTTP/1.x message */
	/* the received HTTP/1.x body being parsed (BRK_HTTP_IN_CODED) */
	unsigned long long in_body;     /* its bytes so far */
	int in_coded;                   /* it begins as compressed data */
};

/* Bytes of a covered run kept for the raw scan at each of its ends: what
 * touches the run (h2 padding after DATA, a chunk-size line) is matched
 * raw with its neighbours, as it was before the run was cut out. */
#define BRK_HTTP_GLUE_CTX 256u

/*
 * Feed p[0..len) seen in direction dir (DLP_DIR_*) on channel chan
 * (DLP_CHAN_*) toward dest_host (may be NULL). A change of channel (the
 * plain ClientHello, then TLS plaintext on the same fd) restarts the parser.
 * Returns 0 or a negative errno (the result then says refused).
 */
int brk_http_glue_scan(struct brk_http_glue *g, const struct brk_scan_engine *eng,
		       uint32_t chan, uint32_t dir, const uint8_t *p, size_t len,
		       const char *dest_host, struct brk_scan_result *res);
/*
 * After brk_http_glue_scan() with g->cover: the fed bytes p[0..len) the
 * raw stream scan still needs. Every covered run longer than twice
 * BRK_HTTP_GLUE_CTX loses its middle (the body stream scanned it; one
 * '\n' stands for it, so the two ends do not join); the rest (HTTP/1
 * lines, chunk sizes and extensions, trailers, h2 frame headers, HEADERS
 * blocks as sent, padding, compressed bodies, anything not parsed) is
 * kept. *out is p itself when nothing is cut, else the glue's buffer
 * (valid until the next call). 0 or -ENOMEM (then *out = p: scan all).
 */
int brk_http_glue_rest(struct brk_http_glue *g, const uint8_t *p, size_t len,
		       const uint8_t **out, size_t *outlen);
/*
 * The raw stream scan that follows brk_http_glue_scan() (the relay's
 * order: parts first): raw is fed brk_http_glue_rest()'s bytes (g NULL:
 * all of p; len 0: the flush) and its findings, refusal and note are
 * appended to res. A raw "partial" (g set) is handed back in *partial,
 * *scanned and why[] instead: the caller decides it after the HTTP layer,
 * which may decode that body itself. Returns the raw feed's return code.
 */
int brk_http_glue_raw(struct brk_http_glue *g, struct brk_scan_stream *raw, const uint8_t *p,
		      size_t len, const char *dest_host, struct brk_scan_result *res,
		      bool *partial, unsigned long long *scanned, char *why, size_t whycap);
void brk_http_glue_free(struct brk_http_glue *g);
/* 1 while the current message's body is content-decoded here (gzip,
 * deflate) and scanned decoded: a raw-stream decode of it that was cut
 * short lost nothing. */
int brk_http_glue_decoding(const struct brk_http_glue *g);

#endif /* DLP_BROKER_HTTP_HTTP_GLUE_H */
