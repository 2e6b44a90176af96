/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pipeline.c - libFuzzer target for the whole engine: brk_scan_buffer()
 * with Hyperscan and with the fallback matcher (their findings must be the
 * same: the fallback is the oracle), and the same bytes as an outbound and
 * an inbound stream cut at fuzzer-chosen points. Checks: no crash, oracle
 * agreement, every finding redacted (no '\0'-less strings, prefix at most
 * 4 bytes), result bounds (nfindings <= BRK_SCAN_MAX_FINDINGS, blocked only
 * with a blocking finding or a refusal), inbound never refused, outbound
 * never partial. The engines hold a canary and three known secrets (the
 * split matcher keeps state across inputs: not fuzzed here).
 */
#include "config.h"

#include <errno.h>
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
	/* known secrets of each index step (known.c: 8 for 15+ bytes, 4 for
	 * 11-14, 1 for 8-10), so their matcher runs on every layer too */
	{
		static const struct brk_scan_known k[] = {
			{ .value = (const uint8_t *)"kn0wnSecretValue4FuzzingTheIndex", .len = 32 },
			{ .value = (const uint8_t *)"shortSecr3t", .len = 11 },
			{ .value = (const uint8_t *)"pw9Xq7zK", .len = 8 },
		};

		if (brk_scan_engine_add_known(hs, k, 3) < 0 || brk_scan_engine_add_known(fb, k, 3) < 0)
			abort();
	}
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

static void check_result(const struct brk_scan_result *r, int dir)
{
	unsigned i, blocking = 0;

	if (r->nfindings > BRK_SCAN_MAX_FINDINGS)
		abort();
	for (i = 0; i < r->nfindings; i++) {
		if (memchr(r->findings[i].redacted, '\0', sizeof(r->findings[i].redacted)) == NULL)
			abort();
		blocking |= !r->findings[i].in_scope && r->findings[i].action == BRK_SCAN_BLOCK;
	}
	if (r->blocked && !blocking && !r->refused && !r->ndropped)
		abort();
	if (dir == BRK_SCAN_INGRESS && r->refused)
		abort();  /* inbound is never refused for its size or ratio */
	if (dir == BRK_SCAN_EGRESS && r->partial)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brk_scan_result a, b, r;
	struct brk_scan_stream *s;
	size_t off = 0;
	unsigned i;
	int dir, ra, rb;

	if (!hs)
		init();
	ra = brk_scan_buffer(hs, data, size, "example.com", &a);
	rb = brk_scan_buffer(fb, data, size, "example.com", &b);
	/* -ETIMEDOUT: the per-call deadline (slow sanitizer builds); refused */
	if ((ra < 0 && ra != -ETIMEDOUT) || (rb < 0 && rb != -ETIMEDOUT))
		abort();
	if ((ra < 0 && !(a.blocked && a.refused)) || (rb < 0 && !(b.blocked && b.refused)))
		abort();
	/* the sets can differ only when the 8-slot array overflowed */
	if (!a.ndropped && !b.ndropped && ra == 0 && rb == 0) {
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
	check_result(&a, 0);
	check_result(&b, 0);
	for (dir = BRK_SCAN_EGRESS; dir <= BRK_SCAN_INGRESS; dir++) {
		if (brk_scan_stream_open_dir(hs, dir, &s) < 0)
			abort();
		brk_scan_stream_set_deadline(s, 0);  /* deterministic under the fuzzer */
		for (off = 0;;) {
			size_t k = off < size ? 1 + (data[off] % 13) : 0;

			if (k > size - off)
				k = size - off;
			if (brk_scan_stream_feed(s, k ? data + off : NULL, k, NULL, &r) < 0)
				abort();
			check_result(&r, dir);
			if (k == 0)
				break;
			off += k;
		}
		brk_scan_stream_close(s);
	}
	return 0;
}
