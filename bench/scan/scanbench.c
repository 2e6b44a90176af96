/* SPDX-License-Identifier: MIT */
/*
 * scanbench.c - throughput and memory of the scanning engine, one thread.
 *
 *   scanbench [--fallback] [--chunk N] MODE LISTFILE
 *
 * LISTFILE names one input file per line; all are read into memory first,
 * then scanned once per MODE: "match" (brk_scan_match_raw: raw matching
 * alone), "full" (brk_scan_buffer: decode graph, decompression, matching)
 * or "stream" (brk_scan_stream_feed in --chunk byte writes, default 16384);
 * "mem" builds the engine and 256 streams and reports resident memory.
 * Prints one line: mode, files, bytes, CPU and wall seconds, MB per CPU
 * second, files with findings,
 * files with BLOCK findings, peak RSS after the engine was built and at the
 * end. Built and driven by bench/scan/run.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "broker/scan/scan.h"

struct input {
	uint8_t *p;
	size_t n;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* n known secrets like a developer's machine holds: tokens of 20 to 64
 * characters, and every tenth a 400-byte private key file (deterministic). */
static int add_known(struct brk_scan_engine *e, size_t n)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct brk_scan_known *k = calloc(n, sizeof(*k));
	uint8_t *buf = malloc(n * 512);
	uint32_t x = 2463534242u;
	size_t i, j;
	int rc;

	if (!k || !buf)
		return -1;
	for (i = 0; i < n; i++) {
		uint8_t *v = buf + i * 512;
		size_t len = i % 10 == 9 ? 400 : 20 + i * 7 % 45;

		for (j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			v[j] = (uint8_t)al[x % 62];
		}
		if (i % 10 == 9) {
			memcpy(v, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36);
			for (j = 106; j < len - 40; j += 71)
				v[j] = '\n';
			memcpy(v + len - 35, "\n-----END OPENSSH PRIVATE KEY-----", 34);
			k[i].key = 1;
		}
		k[i].value = v;
		k[i].len = len;
	}
	rc = brk_scan_engine_add_known(e, k, n);
	free(k);
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	struct brk_scan_config cfg;
	struct brk_scan_engine *e = NULL;
	struct input *in = NULL;
	size_t nin = 0, cap = 0, chunk = 16384, i, total = 0;
	unsigned flagged = 0, blocked = 0;
	const char *mode, *list;
	size_t nknown = 0;
	char line[4096];
	double t0, t1, c0, c1;
	long rss_engine, rss_base;
	FILE *lf;
	int a = 1;

	memset(&cfg, 0, sizeof(cfg));
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "--fallback"))
			cfg.force_fallback = 1;
		else if (!strcmp(argv[a], "--chunk") && a + 1 < argc)
			chunk = strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--known") && a + 1 < argc)
			nknown = strtoul(argv[++a], NULL, 10);
	}
	if (argc - a != 2 || chunk == 0) {
		fprintf(stderr, "usage: scanbench [--fallback] [--chunk N] [--known N] match|full|stream LISTFILE\n");
		return 2;
	}
	mode = argv[a];
	list = argv[a + 1];
	rss_base = rss_kb();
	if (brk_scan_engine_new(&cfg, &e) < 0)
		return 2;
	if (nknown && add_known(e, nknown) < 0)
		return 2;
	rss_engine = rss_kb();
	lf = fopen(list, "r");
	if (!lf)
		return 2;
	while (fgets(line, sizeof(line), lf)) {
		FILE *f;
		long sz;

		line[strcspn(line, "\n")] = '\0';
		f = fopen(line, "rb");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		sz = ftell(f);
		fseek(f, 0, SEEK_SET);
		if (nin == cap) {
			cap = cap ? cap * 2 : 1024;
			in = realloc(in, cap * sizeof(*in));
		}
		in[nin].p = malloc((size_t)sz + 1);
		in[nin].n = fread(in[nin].p, 1, (size_t)sz, f);
		total += in[nin].n;
		nin++;
		fclose(f);
	}
	fclose(lf);
	if (!strcmp(mode, "mem")) {
		/* the broker's footprint: engine + 256 live streams fed 64 KiB each */
		struct brk_scan_stream *ss[256];
		struct brk_scan_result r;
		size_t k;

		for (k = 0; k < 256; k++) {
			brk_scan_stream_open(e, &ss[k]);
			for (i = 0; i < 4 && nin; i++)
				brk_scan_stream_feed(ss[k], in[k % nin].p, in[k % nin].n < 16384 ? in[k % nin].n : 16384,
						     NULL, &r);
		}
		printf("mem matcher=%s rss_before_engine_kb=%ld rss_engine_kb=%ld rss_256_streams_kb=%ld "
		       "(inputs held: %zu KB)\n", brk_scan_engine_matcher(e), rss_base, rss_engine, rss_kb(),
		       total / 1024);
		for (k = 0; k < 256; k++)
			brk_scan_stream_close(ss[k]);
		brk_scan_engine_free(e);
		return 0;
	}
	t0 = now();
	c0 = cpu();
	for (i = 0; i < nin; i++) {
		struct brk_scan_result r;
		unsigned nf = 0;
		int blk = 0;

		if (!strcmp(mode, "match")) {
			brk_scan_match_raw(e, in[i].p, in[i].n, NULL, &r);
			nf = r.nfindings + (unsigned)r.refused;
			blk = r.blocked;
		} else if (!strcmp(mode, "full")) {
			brk_scan_buffer(e, in[i].p, in[i].n, NULL, &r);
			nf = r.nfindings + (unsigned)r.refused;
			blk = r.blocked;
		} else {
			struct brk_scan_stream *s;
			size_t off = 0;

			brk_scan_stream_open(e, &s);
			for (;;) {
				size_t k = in[i].n - off < chunk ? in[i].n - off : chunk;

				brk_scan_stream_feed(s, k ? in[i].p + off : NULL, k, NULL, &r);
				nf += r.nfindings + (unsigned)r.refused;
				blk |= r.blocked;
				if (!k)
					break;
				off += k;
			}
			brk_scan_stream_close(s);
		}
		flagged += nf > 0;
		blocked += blk;
	}
	t1 = now();
	c1 = cpu();
	/* MBps is per CPU-second of this (single) thread, so other load on the
	 * machine does not distort it; wall time is printed too */
	printf("%s matcher=%s files=%zu bytes=%zu cpu_seconds=%.3f wall_seconds=%.3f MBps=%.1f "
	       "flagged=%u blocked=%u rss_engine_kb=%ld rss_peak_kb=%ld\n", mode,
	       brk_scan_engine_matcher(e), nin, total, c1 - c0, t1 - t0, total / 1e6 / (c1 - c0),
	       flagged, blocked, rss_engine, rss_kb());
	for (i = 0; i < nin; i++)
		free(in[i].p);
	free(in);
	brk_scan_engine_free(e);
	return 0;
}
