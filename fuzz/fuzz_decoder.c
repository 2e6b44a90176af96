/* SPDX-License-Identifier: MIT */
/*
 * fuzz_decoder.c - libFuzzer target for one decoder of the decode graph,
 * chosen at build time with -DFUZZ_DECODER=<name> (see fuzz/build.sh; one
 * binary per entry of brk_scan_decoders[]). Checks: no crash, output never
 * past its bound (len <= cap <= max, with tiny maxes too: the first input
 * byte picks one of 0..254 or 1 MiB), piece offsets sorted and inside the
 * output, the return value one of the documented ones.
 */
#include "config.h"

#include <errno.h>
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
	size_t i, max, pieces[4] = { 0, size / 3, size / 2, size };
	int rc;

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
	max = size && data[0] != 0xff ? data[0] : 1u << 20;
	brk_scan_out_init(&o, max);
	rc = dec->fn(data, size, &o, &env);
	if (o.len > max || o.cap > max || o.max != max)
		abort();
	if (rc != 0 && rc != 1 && rc != -EMSGSIZE && rc != -ENOMEM)
		abort();
	if (env.refused && !env.err[0])
		abort();
	for (i = 0; i < o.npieces; i++)
		if (o.pieces[i] > o.len || (i && o.pieces[i] < o.pieces[i - 1]))
			abort();
	brk_scan_out_free(&o);
	return 0;
}
