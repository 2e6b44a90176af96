/* SPDX-License-Identifier: MIT */
/*
 * fuzz_codec.c - libFuzzer target for the decompressors (codec.c): the
 * first byte picks the codec and strict mode, the rest is the stream.
 * Checks: no crash, the output cap (len <= cap <= max; bit 6 of the first
 * byte picks a tiny max from the second byte) and the ratio cap always
 * hold, appended output starts after what was there, and a refusal says why.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brk_scan_out o;
	struct brk_scan_dec_env env;
	int codec, strict, rc;
	size_t max, pre;

	if (size < 2)
		return 0;
	codec = data[0] % BRK_SCAN_CODEC_COUNT;
	strict = data[0] >> 7;
	max = (data[0] & 0x40) ? data[1] : 1u << 22;
	memset(&env, 0, sizeof(env));
	env.max_ratio = 100;
	env.ratio_floor = 1 << 16;
	brk_scan_out_init(&o, max);
	/* something already in the buffer: the codec appends after it */
	pre = max < 3 ? max : 3;
	if (brk_scan_out_put(&o, "abc", pre) < 0)
		abort();
	rc = brk_scan_codec_run(codec, data + 2, size - 2, strict, &o, &env);
	if (o.len > max || o.cap > max || o.len < pre || memcmp(o.p ? o.p : (uint8_t *)"", "abc", pre))
		abort();
	if (o.len - pre > env.ratio_floor && o.len - pre > (size - 2) * env.max_ratio + 16384)
		abort();
	if (rc == -EMSGSIZE && (!env.refused || !env.err[0]))
		abort();
	if (rc != 0 && rc != 1 && rc != -EMSGSIZE && rc != -ENOMEM)
		abort();
	(void)brk_scan_codec_sniff(data, size);
	brk_scan_out_free(&o);
	return 0;
}
