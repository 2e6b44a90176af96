/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pipeline.c - libFuzzer target for the whole engine: brk_scan_buffer()
 * with Hyperscan and with the fallback matcher (their findings must be the
 * same: the fallback is the oracle), and the same bytes as a stream cut at
 * fuzzer-chosen points. Checks: no crash, oracle agreement, every finding
 * redacted (no '\0'-less strings, prefix at most 4 bytes).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct brk_scan_engine *hs, *fb;

static void init(void)
{
	static const char *const canary[] = { "ghp_CANARYcanaryCANARYcanary0123456789" };
	struct brk_scan_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.canaries = canary;
	cfg.ncanaries = 1;
	if (brk_scan_engine_new(&cfg, &hs) < 0)
		abort();
	cfg.force_fallback = 1;
	if (brk_scan_engine_new(&cfg, &fb) < 0)
		abort();
}

static int has(const struct brk_scan_result *r, const struct brk_finding *f)
{
	unsigned i;

	for (i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].detector, f->detector) &&
		    !strcmp(r->findings[i].redacted, f->redacted))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brk_scan_result a, b, r;
	struct brk_scan_stream *s;
	size_t off = 0;
	unsigned i;

	if (!hs)
		init();
	if (brk_scan_buffer(hs, data, size, "example.com", &a) < 0 ||
	    brk_scan_buffer(fb, data, size, "example.com", &b) < 0)
		abort();
	/* the sets can differ only when the 8-slot array overflowed */
	if (!a.ndropped && !b.ndropped) {
		for (i = 0; i < a.nfindings; i++)
			if (!has(&b, &a.findings[i])) {
				fprintf(stderr, "oracle disagrees: %s %s\n", a.findings[i].detector,
					a.findings[i].redacted);
				abort();
			}
		if (a.nfindings != b.nfindings)
			abort();
	}
	for (i = 0; i < a.nfindings; i++)
		if (strlen(a.findings[i].redacted) >= DLP_REDACT_MAX)
			abort();
	if (brk_scan_stream_open(hs, &s) < 0)
		abort();
	while (off < size) {
		size_t k = 1 + (data[off] % 13);

		if (k > size - off)
			k = size - off;
		if (brk_scan_stream_feed(s, data + off, k, NULL, &r) < 0)
			abort();
		off += k;
	}
	brk_scan_stream_feed(s, NULL, 0, NULL, &r);
	brk_scan_stream_close(s);
	return 0;
}
