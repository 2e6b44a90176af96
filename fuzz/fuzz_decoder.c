/* SPDX-License-Identifier: MIT */
/*
 * fuzz_decoder.c - libFuzzer target for one decoder of the decode graph,
 * chosen at build time with -DFUZZ_DECODER=<name> (see fuzz/build.sh; one
 * binary per entry of brk_scan_decoders[]). Checks: no crash, output never
 * past its bound, piece offsets sorted and inside the output.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/scan/decode.h"

#ifndef FUZZ_DECODER
#define FUZZ_DECODER "base64"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct brk_scan_decoder *dec;
	struct brk_scan_out o;
	struct brk_scan_dec_env env;
	size_t i, pieces[4] = { 0, size / 3, size / 2, size };

	if (!dec) {
		for (i = 0; i < brk_scan_ndecoders; i++)
			if (strcmp(brk_scan_decoders[i].name, FUZZ_DECODER) == 0)
				dec = &brk_scan_decoders[i];
		if (!dec)
			abort();
	}
	memset(&env, 0, sizeof(env));
	env.max_ratio = 50;
	env.ratio_floor = 1 << 16;
	env.pieces = pieces;
	env.npieces = 4;
	brk_scan_out_init(&o, 1 << 20);
	(void)dec->fn(data, size, &o, &env);
	if (o.len > o.max)
		abort();
	for (i = 0; i < o.npieces; i++)
		if (o.pieces[i] > o.len || (i && o.pieces[i] < o.pieces[i - 1]))
			abort();
	brk_scan_out_free(&o);
	return 0;
}
