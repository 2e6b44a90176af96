/* SPDX-License-Identifier: MIT */
/*
 * fuzz_codec.c - libFuzzer target for the decompressors (codec.c): the
 * first byte picks the codec and strict mode, the rest is the stream.
 * Checks: no crash, the output cap and the ratio cap always hold.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct brk_scan_out o;
	struct brk_scan_dec_env env;
	int codec, strict;

	if (size < 1)
		return 0;
	codec = data[0] % BRK_SCAN_CODEC_COUNT;
	strict = data[0] >> 7;
	memset(&env, 0, sizeof(env));
	env.max_ratio = 100;
	env.ratio_floor = 1 << 16;
	brk_scan_out_init(&o, 1 << 22);
	(void)brk_scan_codec_run(codec, data + 1, size - 1, strict, &o, &env);
	if (o.len > o.max || (o.len > env.ratio_floor && o.len > (size - 1) * env.max_ratio + 16384))
		abort();
	(void)brk_scan_codec_sniff(data, size);
	brk_scan_out_free(&o);
	return 0;
}
