/* SPDX-License-Identifier: MIT */
/*
 * rl_engine.c - the relay's engine cost per byte, without sockets: the
 * calls relay_scan.c rl_scan_plain() makes for each read of an egress
 * plain-TCP stream (stream scanner, HTTP glue, split matcher), in 64 KiB
 * reads, over the cached JSON stream of gen_json.h, with a session's nine
 * canaries and N known secrets. Prints MB per CPU-second and findings (a
 * clean stream has none). Under callgrind, instructions / bytes is the
 * per-byte cost (bench/relay/README.md).
 *
 *   rl_engine [--mib N] [--chunk N] [--known N] [--known-len L] [--simple] [--loop N] [--http]
 *             [--chunked] [--h2] [--random] [--small N] [--seed N]
 *
 * --simple: rl_bench's old stream (one 64 KiB block of short JSON lines,
 * repeated); --loop N: scan the first N MiB again and again up to --mib
 * (small cache file, same amount scanned); --http: the stream is the body
 * of one HTTP/1.1 POST (Content-Length), as an upload through the relay;
 * --random: 16 MiB of random bytes (a binary upload: bench/tls's 10 MB).
 * --chunked: the body of one chunked HTTP/1.1 POST (16 KiB chunks); --h2:
 * an h2c upload (preface, SETTINGS, HEADERS, 16 KiB DATA frames), each
 * built for --mib bytes (keep it small). --small N: N keep-alive POSTs of
 * a 50-byte JSON body (bench/tls's small load), one feed each, HTTP/1.1 or
 * with --h2 HEADERS + DATA per request: the per-message fixed cost.
 * --known-len L: every known secret L bytes (8-14: the known-secret
 * matcher's step-1 and step-4 indexes). RL_ENGINE_SCALAR=1: the engine's
 * scalar code (brk_scan_dec_simd = 0). --seed N: the canaries from seed N
 * (default 1); --seed 0: fresh ones from getrandom(), as the launcher
 * draws a session's (what the relay's jail loads: these nine, no known
 * secrets; their spellings differ from session to session).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/relay/gen_json.h"
#include "broker/http/http_glue.h"
#include "broker/scan/decode.h"
#include "broker/scan/scan.h"
#include "common/wire.h"

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* n known secrets as bench/scan/scanbench.c adds them (deterministic);
 * klen != 0: all of that length (8-14: the step-1 and step-4 indexes) */
static int add_known(struct brk_scan_engine *e, size_t n, size_t klen)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct brk_scan_known *k = calloc(n ? n : 1, sizeof(*k));
	uint8_t *buf = malloc((n ? n : 1) * 64);
	uint32_t x = 2463534242u;
	size_t i, j;
	int rc;

	if (!k || !buf)
		return -1;
	for (i = 0; i < n; i++) {
		uint8_t *v = buf + i * 64;
		size_t len = klen ? klen : 20 + i * 7 % 45;

		for (j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			v[j] = (uint8_t)al[x % 62];
		}
		k[i].value = v;
		k[i].len = len;
	}
	rc = n ? brk_scan_engine_add_known(e, k, n) : 0;
	free(k);
	free(buf);
	return rc;
}

static uint8_t *simple_block(size_t *len)
{
	size_t cl = 64 * 1024, k;
	char *chunk = malloc(cl);

	for (k = 0; chunk && k < cl; ) {
		int w = snprintf(chunk + k, cl - k, "{\"id\": %zu, \"name\": \"package-%zu\", "
				 "\"tags\": [\"a\", \"b\"], \"ok\": true},\n", k, k * 7);
		if (w <= 0 || (size_t)w >= cl - k)
			break;
		k += (size_t)w;
	}
	if (chunk)
		memset(chunk + k, ' ', cl - k);
	*len = cl;
	return (uint8_t *)chunk;
}

/* rl_scan_plain()'s engine calls for each read (callgrind: --toggle-collect=feed_all) */
static void __attribute__((noinline))
feed_all(struct brk_scan_stream *ss, struct brk_http_glue *g, const struct brk_scan_engine *e,
	 const uint8_t *data, size_t dlen, size_t total, size_t chunk,
	 unsigned long long *findings, unsigned long long *refused)
{
	struct brk_scan_result res;
	const char *host = NULL;
	size_t off = 0, i;

	while (off < total) {
		size_t at = off % dlen, k = chunk;
		const uint8_t *p = data + at;
		unsigned long long scanned;
		bool partial;
		char why[128];

		if (k > dlen - at)
			k = dlen - at;
		if (k > total - off)
			k = total - off;
		/* as rl_scan_plain: the HTTP parts first, the raw stream on the rest */
		memset(&res, 0, sizeof(res));
		g->cover = 1;
		brk_http_glue_scan(g, e, DLP_CHAN_PLAIN, DLP_DIR_SEND, p, k, host, &res);
		brk_http_glue_raw(g, ss, p, k, host, &res, &partial, &scanned, why, sizeof(why));
		for (i = 0; i < res.nfindings && getenv("RL_ENGINE_SHOW"); i++)
			fprintf(stderr, "finding at %zu: %s %s [%s]\n", off, res.findings[i].detector,
				res.findings[i].redacted, res.findings[i].layers);
		*findings += res.nfindings;
		*refused += res.refused;
		brk_scan_split_feed(e, host, p, k, &res);
		*findings += res.nfindings;
		off += k;
	}
}

static uint8_t *random_block(size_t *len)
{
	size_t n = (size_t)16 << 20, i;
	uint8_t *b = malloc(n);

	for (i = 0; b && i < n; i++)
		b[i] = (uint8_t)(rl_gen_rand() >> 24);
	*len = n;
	return b;
}

/* an HPACK literal header field without indexing, new name (no Huffman) */
static size_t hp_lit(uint8_t *o, const char *n, const char *v)
{
	size_t nl = strlen(n), vl = strlen(v);

	o[0] = 0x00;
	o[1] = (uint8_t)nl;
	memcpy(o + 2, n, nl);
	o[2 + nl] = (uint8_t)vl;
	memcpy(o + 3 + nl, v, vl);
	return 3 + nl + vl;
}

static size_t h2_frame(uint8_t *o, size_t len, uint8_t type, uint8_t flags, uint32_t sid)
{
	o[0] = (uint8_t)(len >> 16);
	o[1] = (uint8_t)(len >> 8);
	o[2] = (uint8_t)len;
	o[3] = type;
	o[4] = flags;
	o[5] = (uint8_t)(sid >> 24);
	o[6] = (uint8_t)(sid >> 16);
	o[7] = (uint8_t)(sid >> 8);
	o[8] = (uint8_t)sid;
	return 9;
}

/* HEADERS of a POST on stream sid into o; returns the frame's length */
static size_t h2_post(uint8_t *o, uint32_t sid, int end_stream)
{
	size_t n = 9;

	n += hp_lit(o + n, ":method", "POST");
	n += hp_lit(o + n, ":scheme", "http");
	n += hp_lit(o + n, ":path", "/upload");
	n += hp_lit(o + n, ":authority", "up.example");
	n += hp_lit(o + n, "content-type", "application/json");
	h2_frame(o, n - 9, 0x1, 0x4 | (end_stream ? 0x1 : 0), sid);
	return n;
}

/* The stream of one upload of total bytes of data, framed (--chunked, --h2). */
static uint8_t *framed(const uint8_t *data, size_t dlen, size_t total, int h2, size_t *outlen)
{
	size_t cap = total + total / 1024 + 4096, n = 0, off = 0;
	uint8_t *o = malloc(cap);
	static const char pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

	if (!o)
		return NULL;
	if (h2) {
		memcpy(o, pre, 24);
		n = 24;
		n += h2_frame(o + n, 0, 0x4, 0, 0);     /* SETTINGS, empty */
		n += h2_post(o + n, 1, 0);
	} else {
		n = (size_t)snprintf((char *)o, cap, "POST /upload HTTP/1.1\r\nHost: up.example\r\n"
				     "Content-Type: application/json\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n");
	}
	while (off < total) {
		size_t k = total - off < 16384 ? total - off : 16384, at = off % dlen;

		if (k > dlen - at)
			k = dlen - at;
		if (h2)
			n += h2_frame(o + n, k, 0x0, off + k == total ? 0x1 : 0, 1);
		else
			n += (size_t)snprintf((char *)o + n, cap - n, "%zx\r\n", k);
		memcpy(o + n, data + at, k);
		n += k;
		off += k;
		if (!h2) {
			memcpy(o + n, "\r\n", 2);
			n += 2;
		}
	}
	if (!h2) {
		memcpy(o + n, "0\r\n\r\n", 5);
		n += 5;
	}
	*outlen = n;
	return o;
}

/* --small: nreq requests, one feed each (bench/tls's 1,000 small POSTs) */
static void __attribute__((noinline))
feed_small(struct brk_scan_stream *ss, struct brk_http_glue *g, const struct brk_scan_engine *e,
	   size_t nreq, int h2, unsigned long long *findings, unsigned long long *refused)
{
	static const char body[] = "{\"id\":1,\"name\":\"bench\",\"tags\":[\"a\",\"b\"],\"ok\":true}";
	struct brk_scan_result res;
	uint8_t m[1024];
	size_t i, n;

	for (i = 0; i < nreq; i++) {
		if (h2) {
			n = 0;
			if (i == 0) {
				memcpy(m, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
				n = 24 + h2_frame(m + 24, 0, 0x4, 0, 0);
			}
			n += h2_post(m + n, (uint32_t)(2 * i + 1), 0);
			n += h2_frame(m + n, sizeof(body) - 1, 0x0, 0x1, (uint32_t)(2 * i + 1));
			memcpy(m + n, body, sizeof(body) - 1);
			n += sizeof(body) - 1;
		} else {
			n = (size_t)snprintf((char *)m, sizeof(m), "POST /p HTTP/1.1\r\nHost: localhost:8443\r\n"
					     "User-Agent: curl/8.5.0\r\nAccept: */*\r\nContent-Length: %zu\r\n"
					     "Content-Type: application/x-www-form-urlencoded\r\n\r\n%s",
					     sizeof(body) - 1, body);
		}
		feed_all(ss, g, e, m, n, n, n, findings, refused);
	}
	(void)res;
}

int main(int argc, char **argv)
{
	struct brk_scan_canary can[BRK_SCAN_CANARY_SHAPES];
	const char *cv[BRK_SCAN_CANARY_SHAPES];
	struct brk_scan_config cfg = { 0 };
	struct brk_scan_engine *e = NULL;
	struct brk_scan_stream *ss = NULL;
	struct brk_http_glue g;
	long long mib = 256, loop = 0;
	size_t chunk = 64 * 1024, nknown = 0, klen = 0, dlen = 0, total, i;
	unsigned long long findings = 0, refused = 0;
	uint8_t seed[32] = { 1 };
	uint8_t *data;
	int simple = 0, http = 0, rnd = 0, chunked = 0, h2 = 0, a, n;
	size_t small = 0;
	long seedn = 1;
	double c0, c1;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--mib") && a + 1 < argc)
			mib = atoll(argv[++a]);
		else if (!strcmp(argv[a], "--chunk") && a + 1 < argc)
			chunk = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--known") && a + 1 < argc)
			nknown = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--known-len") && a + 1 < argc)
			klen = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--loop") && a + 1 < argc)
			loop = atoll(argv[++a]);
		else if (!strcmp(argv[a], "--simple"))
			simple = 1;
		else if (!strcmp(argv[a], "--http"))
			http = 1;
		else if (!strcmp(argv[a], "--random"))
			rnd = 1;
		else if (!strcmp(argv[a], "--chunked"))
			chunked = 1;
		else if (!strcmp(argv[a], "--h2"))
			h2 = 1;
		else if (!strcmp(argv[a], "--small") && a + 1 < argc)
			small = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seedn = atol(argv[++a]);
		else {
			fprintf(stderr, "usage: rl_engine [--mib N] [--chunk N] [--known N] [--known-len L] "
				"[--simple] [--loop MIB] [--http|--chunked|--h2] [--random] [--small N] "
				"[--seed N]\n");
			return 2;
		}
	}
	if (mib <= 0 || chunk == 0)
		return 2;
	if (getenv("RL_ENGINE_SCALAR") && *getenv("RL_ENGINE_SCALAR"))
		brk_scan_dec_simd = 0;  /* the scalar code, for a same-build comparison */
	data = rnd ? random_block(&dlen) : simple ? simple_block(&dlen) : rl_gen_cached(loop > 0 && loop < mib ? loop : mib,
							    &dlen);
	if (!data)
		return 1;
	memcpy(seed, &seedn, sizeof(seedn));
	n = brk_scan_canary_generate(can, BRK_SCAN_CANARY_SHAPES, seedn ? seed : NULL, seed);
	for (i = 0; n > 0 && i < (size_t)n; i++)
		cv[i] = can[i].value;
	cfg.canaries = cv;
	cfg.ncanaries = n > 0 ? (size_t)n : 0;
	cfg.cache_dir = "";
	if (brk_scan_engine_new(&cfg, &e) < 0 || add_known(e, nknown, klen > 64 ? 64 : klen) < 0 ||
	    brk_scan_stream_open_dir(e, BRK_SCAN_EGRESS, &ss) < 0)
		return 1;
	memset(&g, 0, sizeof(g));
	total = (size_t)mib << 20;
	if (http) {
		/* the request head first, then the stream as its body */
		char head[256];
		struct brk_scan_result r;
		int hl = snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: up.example\r\n"
				  "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
				  total);

		brk_scan_stream_feed(ss, (const uint8_t *)head, (size_t)hl, NULL, &r);
		brk_http_glue_scan(&g, e, DLP_CHAN_PLAIN, DLP_DIR_SEND, (const uint8_t *)head,
				   (size_t)hl, NULL, &r);
	}
	if (small) {
		c0 = cpu();
		feed_small(ss, &g, e, small, h2, &findings, &refused);
		c1 = cpu();
		printf("engine requests=%zu cpu_seconds=%.3f us_per_request=%.2f findings=%llu "
		       "refused=%llu known=%zu%s\n", small, c1 - c0, (c1 - c0) * 1e6 / small,
		       findings, refused, nknown, h2 ? " (h2)" : " (HTTP/1.1)");
		goto out;
	}
	if (chunked || h2) {
		uint8_t *w = framed(data, dlen, total, h2, &total);

		if (!w)
			return 1;
		free(data);
		data = w;
		dlen = total;
	}
	c0 = cpu();
	feed_all(ss, &g, e, data, dlen, total, chunk, &findings, &refused);
	c1 = cpu();
	printf("engine bytes=%zu cpu_seconds=%.3f MBps=%.1f findings=%llu refused=%llu known=%zu%s\n",
	       total, c1 - c0, total / 1e6 / (c1 - c0), findings, refused, nknown,
	       h2 ? " (h2 upload)" : chunked ? " (chunked upload)" : rnd ? " (random)"
	       : simple ? " (simple)" : http ? " (HTTP body)" : "");
out:
	brk_http_glue_free(&g);
	brk_scan_stream_close(ss);
	brk_scan_engine_free(e);
	return findings || refused ? 3 : 0;
}
