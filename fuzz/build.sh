#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz/build.sh - builds the libFuzzer targets with clang (ASan + UBSan):
# one per decoder (fuzz_dec_<name>), fuzz_codec and fuzz_pipeline, into
# $OUT (default fuzz/out). Needs clang with libFuzzer and the -dev packages.
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-fuzz/out}
mkdir -p "$OUT"
CC=${CC:-clang}
CFG="$OUT/config.h"
printf '#define _GNU_SOURCE 1\n#define HAVE_HYPERSCAN 1\n' > "$CFG"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. -I$OUT"
LIBS="$(pkg-config --libs libhs zlib libbrotlidec libzstd libcrypto) -lm -lstdc++"
ENGINE="broker/scan/scan.c broker/scan/detect.c broker/scan/det_table.c broker/scan/mpm_naive.c
	broker/scan/mpm_hs.c broker/scan/decode.c broker/scan/codec.c broker/scan/canary_gen.c
	broker/scan/known.c broker/scan/split.c broker/scan/mpm_cache.c broker/scan/canary_seed.c
	broker/scan/jar.c common/redact.c common/log.c"
for d in http multipart decompress json percent html qp base64 hex; do
	$CC $CFLAGS -DFUZZ_DECODER="\"$d\"" -o "$OUT/fuzz_dec_$d" fuzz/fuzz_decoder.c \
		broker/scan/decode.c broker/scan/codec.c $LIBS
done
$CC $CFLAGS -o "$OUT/fuzz_codec" fuzz/fuzz_codec.c broker/scan/codec.c broker/scan/decode.c $LIBS
$CC $CFLAGS -o "$OUT/fuzz_pipeline" fuzz/fuzz_pipeline.c $ENGINE $LIBS
echo "built into $OUT"
