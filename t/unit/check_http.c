/* SPDX-License-Identifier: MIT */
/*
 * check_http.c - unit tests for broker/http (HTTP/1.x and HTTP/2 stream
 * parsing, query decoding, chunked and gzip bodies, HPACK with Huffman
 * strings built by nghttp2's own deflater, RAW fallback). Every case is also
 * fed one byte at a time and must give the same transcript.
 */
#include "config.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "broker/http/http.h"
#include "common/dlp_err.h"
#ifdef HAVE_NGHTTP2
#include <nghttp2/nghttp2.h>
#endif

struct tr {
	char log[65536];        /* one line per non-body part */
	size_t loglen;
	uint8_t body[1 << 20];  /* BODY bytes, all streams */
	size_t bodylen;
	uint8_t raw[1 << 16];
	size_t rawlen;
	int ends, anomalies;
	const char *lastenc;
};

static int on_part(void *arg, const struct brk_http_part *p)
{
	struct tr *t = arg;
	int n;

	switch (p->kind) {
	case BRK_HTTP_BODY:
		ck_assert_uint_le(t->bodylen + p->value_len, sizeof(t->body));
		memcpy(t->body + t->bodylen, p->value, p->value_len);
		t->bodylen += p->value_len;
		if (p->encoding && p->encoding != t->lastenc)
			t->loglen += (size_t)snprintf(t->log + t->loglen, sizeof(t->log) - t->loglen,
						      "encoded:%s\n", p->encoding);
		t->lastenc = p->encoding;
		return 0;
	case BRK_HTTP_RAW:
		ck_assert_uint_le(t->rawlen + p->value_len, sizeof(t->raw));
		memcpy(t->raw + t->rawlen, p->value, p->value_len);
		t->rawlen += p->value_len;
		return 0;
	case BRK_HTTP_MSG_END:
		t->ends++;
		break;
	case BRK_HTTP_ANOMALY:
		t->anomalies++;
		break;
	default:
		break;
	}
	n = snprintf(t->log + t->loglen, sizeof(t->log) - t->loglen, "%s:%u:%.*s=%.*s\n",
		     brk_http_part_name(p->kind), p->stream_id, (int)p->name_len,
		     p->name ? (const char *)p->name : "", (int)p->value_len,
		     p->value ? (const char *)p->value : "");
	if (n > 0 && (size_t)n < sizeof(t->log) - t->loglen)
		t->loglen += (size_t)n;
	return 0;
}

/* Parse buf whole and byte by byte; both transcripts must agree. Returns the whole one. */
static struct tr *run(enum brk_http_dir dir, const void *buf, size_t len)
{
	struct tr *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct brk_http_stream *s;
	size_t i;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(brk_http_stream_new(dir, on_part, a, &s), 0);
	ck_assert_int_eq(brk_http_feed(s, buf, len), 0);
	brk_http_stream_free(s);
	ck_assert_int_eq(brk_http_stream_new(dir, on_part, b, &s), 0);
	for (i = 0; i < len; i++)
		ck_assert_int_eq(brk_http_feed(s, (const uint8_t *)buf + i, 1), 0);
	brk_http_stream_free(s);
	ck_assert_str_eq(a->log, b->log);
	ck_assert_uint_eq(a->bodylen, b->bodylen);
	ck_assert_mem_eq(a->body, b->body, a->bodylen);
	ck_assert_uint_eq(a->rawlen, b->rawlen);
	free(b);
	return a;
}

static bool has(const struct tr *t, const char *line)
{
	return strstr(t->log, line) != NULL;
}

START_TEST(h1_request_parts)
{
	static const char req[] =
		"POST /api/v1?user=bob&token=ghp%5Fabc%2Bdef+x&flag#frag HTTP/1.1\r\n"
		"Host: example.com\r\n"
		"Authorization:   Bearer sekrit  \r\n"
		"Content-Length: 11\r\n"
		"\r\n"
		"{\"a\":\"b\"}\r\n";
	struct tr *t = run(BRK_HTTP_REQUEST, req, strlen(req));

	ck_assert(has(t, "start-line:0:=POST /api/v1?user=bob&token=ghp%5Fabc%2Bdef+x&flag#frag HTTP/1.1\n"));
	ck_assert(has(t, "query:0:user=bob\n"));
	ck_assert(has(t, "query:0:token=ghp_abc+def x\n"));
	ck_assert(has(t, "query:0:flag=\n"));
	ck_assert(has(t, "header:0:Authorization=Bearer sekrit\n"));
	ck_assert(has(t, "header:0:Host=example.com\n"));
	ck_assert_uint_eq(t->bodylen, 11);
	ck_assert_mem_eq(t->body, "{\"a\":\"b\"}\r\n", 11);
	ck_assert_int_eq(t->ends, 1);
	ck_assert_uint_eq(t->rawlen, 0);
	free(t);
}
END_TEST

START_TEST(h1_chunked_pipelined)
{
	static const char req[] =
		"PUT /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5;ext=1\r\nhello\r\n"
		"7\r\n, world\r\n"
		"0\r\nX-Trailer: t1\r\n\r\n"
		"GET /second?k=v HTTP/1.1\r\nHost: h\r\n\r\n"
		"POST /third HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
	struct tr *t = run(BRK_HTTP_REQUEST, req, strlen(req));

	ck_assert_int_eq(t->ends, 3);
	ck_assert_uint_eq(t->bodylen, 15);
	ck_assert_mem_eq(t->body, "hello, worldabc", 15);
	ck_assert(has(t, "header:0:X-Trailer=t1\n"));
	ck_assert(has(t, "query:0:k=v\n"));
	ck_assert(has(t, "start-line:0:=POST /third HTTP/1.1\n"));
	free(t);
}
END_TEST

static size_t gzip_of(const char *in, uint8_t *out, size_t cap, int window)
{
	z_stream z = { 0 };

	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, window, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)strlen(in);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

START_TEST(h1_gzip_body)
{
	static const char plain[] = "{\"token\":\"ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1\"}";
	uint8_t gz[512], msg[1024];
	size_t gl, hl;
	struct tr *t;
	int window = _i ? -15 : 15 + 16;
	const char *coding = _i ? "deflate" : "gzip";

	gl = gzip_of(plain, gz, sizeof(gz), window);
	hl = (size_t)snprintf((char *)msg, sizeof(msg),
			      "POST /x HTTP/1.1\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
			      coding, gl);
	memcpy(msg + hl, gz, gl);
	ck_assert_ptr_null(memmem(msg, hl + gl, "ghp_", 4));
	t = run(BRK_HTTP_REQUEST, msg, hl + gl);
	ck_assert_uint_eq(t->bodylen, strlen(plain));
	ck_assert_mem_eq(t->body, plain, strlen(plain));
	ck_assert_int_eq(t->anomalies, 0);
	ck_assert_int_eq(t->ends, 1);
	free(t);
}
END_TEST

START_TEST(h1_unknown_coding_passed_encoded)
{
	static const char req[] =
		"POST /x HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: 4\r\n\r\nabcd";
	struct tr *t = run(BRK_HTTP_REQUEST, req, strlen(req));

	ck_assert(has(t, "encoded:br\n"));
	ck_assert_uint_eq(t->bodylen, 4);
	free(t);
}
END_TEST

START_TEST(h1_bad_gzip_is_anomaly)
{
	static const char req[] =
		"POST /x HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: 8\r\n\r\nnot-gzip";
	struct tr *t = run(BRK_HTTP_REQUEST, req, strlen(req));

	ck_assert_int_eq(t->anomalies, 1);
	ck_assert_uint_eq(t->bodylen, 8);     /* passed on as it is */
	free(t);
}
END_TEST

/* Request framings a server could read otherwise: one "ambiguous framing"
 * ANOMALY for a request; the same headers in a response pass (inbound is
 * never refused for its form). Legitimate forms raise none. */
START_TEST(h1_ambiguous_framing)
{
	static const char *const bad[] = {
		"Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello",
		"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
		"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
		" Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"Transfer-Encoding: identity\r\n , chunked\r\n\r\n0\r\n\r\n",
		"X-A: b\rTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
		"Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
		"Content-Length: +5\r\n\r\nhello",
		"Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
		"Transfer-Encoding: chunked\r\n\r\n100000005\r\nhello\r\n0\r\n\r\n",
		"Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
	};
	static const char *const good[] = {
		"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
		"Transfer-Encoding: gzip, Chunked\r\n\r\n0\r\n\r\n",
		"Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"X-Long: a\r\n b\r\nContent-Length: 0\r\n\r\n",
	};
	char buf[512];
	size_t i;
	int n;

	for (i = 0; i < DLP_ARRAY_SIZE(bad); i++) {
		struct tr *t;

		n = snprintf(buf, sizeof(buf), "POST /x HTTP/1.1\r\nHost: h\r\n%s", bad[i]);
		t = run(BRK_HTTP_REQUEST, buf, (size_t)n);
		ck_assert_msg(t->anomalies == 1 && has(t, "anomaly:0:=ambiguous framing: "),
			      "request %zu: %s", i, t->log);
		free(t);
		n = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n%s", bad[i]);
		t = run(BRK_HTTP_RESPONSE, buf, (size_t)n);
		ck_assert_msg(!has(t, "ambiguous"), "response %zu: %s", i, t->log);
		free(t);
	}
	for (i = 0; i < DLP_ARRAY_SIZE(good); i++) {
		struct tr *t;

		n = snprintf(buf, sizeof(buf), "POST /x HTTP/1.1\r\nHost: h\r\n%s", good[i]);
		t = run(BRK_HTTP_REQUEST, buf, (size_t)n);
		ck_assert_msg(t->anomalies == 0 && t->ends == 1, "good %zu: %s", i, t->log);
		free(t);
	}
}
END_TEST

/* Counts only: a body decoded past BRK_HTTP_DECODED_MAX. */
struct cap_count {
	uint64_t decoded, encoded;
	int anomalies, ends;
};

static int on_cap(void *arg, const struct brk_http_part *p)
{
	struct cap_count *c = arg;

	if (p->kind == BRK_HTTP_BODY && p->encoding)
		c->encoded += p->value_len;
	else if (p->kind == BRK_HTTP_BODY)
		c->decoded += p->value_len;
	c->anomalies += p->kind == BRK_HTTP_ANOMALY;
	c->ends += p->kind == BRK_HTTP_MSG_END;
	return 0;
}

/* The decoded-body cap stops the decoder once: one ANOMALY, no more
 * decoded bytes, the rest of the body passed on still coded. */
START_TEST(h1_decoded_cap_once)
{
	size_t plain = BRK_HTTP_DECODED_MAX + (8u << 20), cap = 1u << 20, gl, off, hl;
	uint8_t *zeros = calloc(1, 1u << 20), *gz = malloc(cap);
	char hdr[160];
	struct cap_count c = { 0 };
	struct brk_http_stream *s;
	z_stream z = { 0 };
	size_t i;

	ck_assert_ptr_nonnull(zeros);
	ck_assert_ptr_nonnull(gz);
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_out = gz;
	z.avail_out = (uInt)cap;
	for (i = 0; i < plain >> 20; i++) {
		z.next_in = zeros;
		z.avail_in = 1u << 20;
		ck_assert_int_eq(deflate(&z, i + 1 == plain >> 20 ? Z_FINISH : Z_NO_FLUSH),
				 i + 1 == plain >> 20 ? Z_STREAM_END : Z_OK);
	}
	gl = cap - z.avail_out;
	deflateEnd(&z);
	hl = (size_t)snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
			      "Content-Length: %zu\r\n\r\n", gl);
	ck_assert_int_eq(brk_http_stream_new(BRK_HTTP_RESPONSE, on_cap, &c, &s), 0);
	ck_assert_int_eq(brk_http_feed(s, (const uint8_t *)hdr, hl), 0);
	for (off = 0; off < gl; off += 4096)
		ck_assert_int_eq(brk_http_feed(s, gz + off, gl - off < 4096 ? gl - off : 4096), 0);
	ck_assert_int_eq(c.anomalies, 1);
	ck_assert_uint_le(c.decoded, BRK_HTTP_DECODED_MAX);
	ck_assert_uint_gt(c.encoded, 0);
	ck_assert_int_eq(c.ends, 1);
	brk_http_stream_free(s);
	free(zeros);
	free(gz);
}
END_TEST

START_TEST(h1_responses)
{
	static const char rsp[] =
		"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
		"HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil the end";
	struct tr *t = run(BRK_HTTP_RESPONSE, rsp, strlen(rsp));

	ck_assert(has(t, "start-line:0:=HTTP/1.1 204 No Content\n"));
	ck_assert_int_eq(t->ends, 2);
	ck_assert_uint_eq(t->bodylen, 18);
	ck_assert_mem_eq(t->body, "hellountil the end", 18);
	free(t);
}
END_TEST

START_TEST(raw_fallback)
{
	static const char junk[] = "\x16\x03\x01 not http at all, token=secret\r\n\r\nmore";
	static const char smtp[] = "EHLO example.com\r\nMAIL FROM:<a@b>\r\n";
	struct tr *t = run(BRK_HTTP_REQUEST, junk, sizeof(junk) - 1);

	ck_assert_uint_eq(t->rawlen, sizeof(junk) - 1);
	ck_assert_mem_eq(t->raw, junk, sizeof(junk) - 1);
	free(t);
	t = run(BRK_HTTP_REQUEST, smtp, sizeof(smtp) - 1);
	ck_assert_uint_eq(t->rawlen, sizeof(smtp) - 1);
	ck_assert_mem_eq(t->raw, smtp, sizeof(smtp) - 1);
	free(t);
}
END_TEST

START_TEST(line_limit)
{
	size_t n = BRK_HTTP_LINE_MAX + 100, i;
	char *req = malloc(n + 20);
	struct tr *t = calloc(1, sizeof(*t));
	struct brk_http_stream *s;

	memcpy(req, "GET /", 5);
	for (i = 5; i < n; i++)
		req[i] = 'a';
	memcpy(req + n, " HTTP/1.1\r\n\r\n", 13);
	ck_assert_int_eq(brk_http_stream_new(BRK_HTTP_REQUEST, on_part, t, &s), 0);
	ck_assert_int_eq(brk_http_feed(s, (uint8_t *)req, n + 13), 0);
	ck_assert(brk_http_is_raw(s));
	ck_assert_int_eq(t->anomalies, 1);
	ck_assert_uint_eq(t->rawlen > 0 ? 1 : 0, 1);
	brk_http_stream_free(s);
	free(req);
	free(t);
}
END_TEST

#ifdef HAVE_NGHTTP2
static size_t frame(uint8_t *out, uint8_t type, uint8_t flags, uint32_t sid, const uint8_t *p,
		    size_t n)
{
	out[0] = (uint8_t)(n >> 16);
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)n;
	out[3] = type;
	out[4] = flags;
	out[5] = (uint8_t)(sid >> 24);
	out[6] = (uint8_t)(sid >> 16);
	out[7] = (uint8_t)(sid >> 8);
	out[8] = (uint8_t)sid;
	memcpy(out + 9, p, n);
	return 9 + n;
}

/* Headers deflated by nghttp2 itself: values are Huffman coded. */
static size_t hpack(nghttp2_hd_deflater *d, const char *const *kv, size_t nkv, uint8_t *out,
		    size_t cap)
{
	nghttp2_nv nv[16];
	size_t i;
	ssize_t n;

	for (i = 0; i < nkv; i++) {
		nv[i].name = (uint8_t *)(uintptr_t)kv[2 * i];
		nv[i].namelen = strlen(kv[2 * i]);
		nv[i].value = (uint8_t *)(uintptr_t)kv[2 * i + 1];
		nv[i].valuelen = strlen(kv[2 * i + 1]);
		nv[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	n = nghttp2_hd_deflate_hd(d, out, cap, nv, nkv);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

START_TEST(h2_hpack_huffman)
{
	static const char tok[] = "ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1";
	const char *const h1[] = {
		":method", "POST", ":scheme", "https", ":authority", "example.com",
		":path", "/upload?q=ghp%5Fsecret&x=1", "x-api-key", tok,
		"content-encoding", "gzip",
	};
	const char *const h3[] = {
		":method", "GET", ":scheme", "https", ":authority", "example.com",
		":path", "/again", "x-api-key", tok,   /* now from the dynamic table */
	};
	static const char plain[] = "{\"body\":\"gzip inside h2\"}";
	uint8_t buf[8192], blk[1024], gz[256], data[300];
	nghttp2_hd_deflater *d;
	size_t n = 0, bl, gl;
	struct tr *t;

	ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
	memcpy(buf, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	n = 24;
	n += frame(buf + n, 0x4, 0, 0, (const uint8_t *)"\x00\x03\x00\x00\x00\x64", 6);
	bl = hpack(d, h1, 6, blk, sizeof(blk));
	ck_assert_ptr_null(memmem(blk, bl, tok, strlen(tok)));  /* Huffman: not in clear */
	/* HEADERS with padding + priority, split into a CONTINUATION */
	{
		uint8_t hp[1024];
		size_t half = bl / 2, hn = 0;

		hp[hn++] = 3;                                   /* pad length */
		memcpy(hp + hn, "\x00\x00\x00\x00\x10", 5);     /* priority */
		hn += 5;
		memcpy(hp + hn, blk, half);
		hn += half;
		memset(hp + hn, 0, 3);
		hn += 3;
		n += frame(buf + n, 0x1, 0x8 | 0x20, 1, hp, hn);
		n += frame(buf + n, 0x9, 0x4, 1, blk + half, bl - half);
	}
	gl = gzip_of(plain, gz, sizeof(gz), 15 + 16);
	data[0] = 2;                                            /* padded DATA */
	memcpy(data + 1, gz, gl);
	memset(data + 1 + gl, 0, 2);
	n += frame(buf + n, 0x0, 0x8 | 0x1, 1, data, gl + 3);
	bl = hpack(d, h3, 5, blk, sizeof(blk));
	n += frame(buf + n, 0x1, 0x4 | 0x1, 3, blk, bl);
	nghttp2_hd_deflate_del(d);

	t = run(BRK_HTTP_REQUEST, buf, n);
	ck_assert_int_eq(t->anomalies, 0);
	ck_assert(has(t, "header:1:x-api-key=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1\n"));
	ck_assert(has(t, "header:3:x-api-key=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1\n"));
	ck_assert(has(t, "query:1:q=ghp_secret\n"));
	ck_assert(has(t, "start-line:1:=POST /upload?q=ghp%5Fsecret&x=1\n"));
	ck_assert(has(t, "start-line:3:=GET /again\n"));
	ck_assert(has(t, "end:1:=\n"));
	ck_assert(has(t, "end:3:=\n"));
	ck_assert_uint_eq(t->bodylen, strlen(plain));
	ck_assert_mem_eq(t->body, plain, strlen(plain));
	ck_assert_uint_eq(t->rawlen, 0);
	free(t);
}
END_TEST

START_TEST(h2_response_detected)
{
	const char *const h[] = { ":status", "200", "set-cookie", "session=abcdef0123456789" };
	uint8_t buf[2048], blk[512];
	nghttp2_hd_deflater *d;
	size_t n = 0, bl;
	struct tr *t;

	ck_assert_int_eq(nghttp2_hd_deflate_new(&d, 4096), 0);
	n += frame(buf + n, 0x4, 0, 0, (const uint8_t *)"\x00\x03\x00\x00\x00\x64", 6);
	bl = hpack(d, h, 2, blk, sizeof(blk));
	n += frame(buf + n, 0x1, 0x4, 1, blk, bl);
	n += frame(buf + n, 0x0, 0x1, 1, (const uint8_t *)"body!", 5);
	nghttp2_hd_deflate_del(d);
	t = run(BRK_HTTP_RESPONSE, buf, n);
	ck_assert(has(t, "header:1:set-cookie=session=abcdef0123456789\n"));
	ck_assert(has(t, "start-line:1:=HTTP/2 200\n"));
	ck_assert_uint_eq(t->bodylen, 5);
	free(t);
}
END_TEST

START_TEST(h2_bad_hpack_goes_raw)
{
	uint8_t buf[256];
	size_t n = 24;
	struct tr *t;

	memcpy(buf, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	/* indexed header field 0x7f... = index far past any table */
	n += frame(buf + n, 0x1, 0x4, 1, (const uint8_t *)"\xff\xff\xff\x0f", 4);
	memcpy(buf + n, "trailing", 8);
	n += 8;
	t = run(BRK_HTTP_REQUEST, buf, n);
	ck_assert_int_eq(t->anomalies, 1);
	ck_assert_uint_ge(t->rawlen, 8);
	free(t);
}
END_TEST
#endif

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, h1_request_parts);
	tcase_add_test(tc, h1_chunked_pipelined);
	tcase_add_loop_test(tc, h1_gzip_body, 0, 2);
	tcase_add_test(tc, h1_unknown_coding_passed_encoded);
	tcase_add_test(tc, h1_bad_gzip_is_anomaly);
	tcase_add_test(tc, h1_ambiguous_framing);
	tcase_add_test(tc, h1_decoded_cap_once);
	tcase_add_test(tc, h1_responses);
	tcase_add_test(tc, raw_fallback);
	tcase_add_test(tc, line_limit);
#ifdef HAVE_NGHTTP2
	tcase_add_test(tc, h2_hpack_huffman);
	tcase_add_test(tc, h2_response_detected);
	tcase_add_test(tc, h2_bad_hpack_goes_raw);
#endif
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(http_suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
