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
 *   rl_engine [--mib N] [--chunk N] [--known N] [--simple] [--loop N] [--http]
 *
 * --simple: rl_bench's old stream (one 64 KiB block of short JSON lines,
 * repeated); --loop N: scan the first N MiB again and again up to --mib
 * (small cache file, same amount scanned); --http: the stream is the body
 * of one HTTP/1.1 POST (Content-Length), as an upload through the relay;
 * --random: 16 MiB of random bytes (a binary upload: bench/tls's 10 MB).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/relay/gen_json.h"
#include "broker/http/http_glue.h"
#include "broker/scan/scan.h"
#include "common/wire.h"

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* n known secrets as bench/scan/scanbench.c adds them (deterministic) */
static int add_known(struct brk_scan_engine *e, size_t n)
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
		size_t len = 20 + i * 7 % 45;

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

		if (k > dlen - at)
			k = dlen - at;
		if (k > total - off)
			k = total - off;
		brk_scan_stream_feed(ss, p, k, host, &res);
		for (i = 0; i < res.nfindings && getenv("RL_ENGINE_SHOW"); i++)
			fprintf(stderr, "finding at %zu: %s %s [%s]\n", off, res.findings[i].detector,
				res.findings[i].redacted, res.findings[i].layers);
		*findings += res.nfindings;
		*refused += res.refused;
		if (!res.refused) {
			brk_http_glue_scan(g, e, DLP_CHAN_PLAIN, DLP_DIR_SEND, p, k, host, &res);
			*findings += res.nfindings;
			*refused += res.refused;
		}
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

int main(int argc, char **argv)
{
	struct brk_scan_canary can[BRK_SCAN_CANARY_SHAPES];
	const char *cv[BRK_SCAN_CANARY_SHAPES];
	struct brk_scan_config cfg = { 0 };
	struct brk_scan_engine *e = NULL;
	struct brk_scan_stream *ss = NULL;
	struct brk_http_glue g;
	long long mib = 256, loop = 0;
	size_t chunk = 64 * 1024, nknown = 0, dlen = 0, total, i;
	unsigned long long findings = 0, refused = 0;
	uint8_t seed[32] = { 1 };
	uint8_t *data;
	int simple = 0, http = 0, rnd = 0, a, n;
	double c0, c1;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--mib") && a + 1 < argc)
			mib = atoll(argv[++a]);
		else if (!strcmp(argv[a], "--chunk") && a + 1 < argc)
			chunk = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--known") && a + 1 < argc)
			nknown = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--loop") && a + 1 < argc)
			loop = atoll(argv[++a]);
		else if (!strcmp(argv[a], "--simple"))
			simple = 1;
		else if (!strcmp(argv[a], "--http"))
			http = 1;
		else if (!strcmp(argv[a], "--random"))
			rnd = 1;
		else {
			fprintf(stderr, "usage: rl_engine [--mib N] [--chunk N] [--known N] "
				"[--simple] [--loop MIB]\n");
			return 2;
		}
	}
	if (mib <= 0 || chunk == 0)
		return 2;
	data = rnd ? random_block(&dlen) : simple ? simple_block(&dlen) : rl_gen_cached(loop > 0 && loop < mib ? loop : mib,
							    &dlen);
	if (!data)
		return 1;
	n = brk_scan_canary_generate(can, BRK_SCAN_CANARY_SHAPES, seed, seed);
	for (i = 0; n > 0 && i < (size_t)n; i++)
		cv[i] = can[i].value;
	cfg.canaries = cv;
	cfg.ncanaries = n > 0 ? (size_t)n : 0;
	cfg.cache_dir = "";
	if (brk_scan_engine_new(&cfg, &e) < 0 || add_known(e, nknown) < 0 ||
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
	c0 = cpu();
	feed_all(ss, &g, e, data, dlen, total, chunk, &findings, &refused);
	c1 = cpu();
	printf("engine bytes=%zu cpu_seconds=%.3f MBps=%.1f findings=%llu refused=%llu known=%zu%s\n",
	       total, c1 - c0, total / 1e6 / (c1 - c0), findings, refused, nknown,
	       rnd ? " (random)" : simple ? " (simple)" : http ? " (HTTP body)" : "");
	brk_http_glue_free(&g);
	brk_scan_stream_close(ss);
	brk_scan_engine_free(e);
	return findings || refused ? 3 : 0;
}
