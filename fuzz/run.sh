#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz/run.sh [SECONDS] - runs every target for SECONDS (default 60) each,
# seeded from t/corpus/pos (small files), new inputs kept in fuzz/out/corpus-*.
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-fuzz/out}
T=${1:-60}
[ -x "$OUT/fuzz_pipeline" ] || fuzz/build.sh
SEEDS="$OUT/seeds"
mkdir -p "$SEEDS"
find t/corpus/pos -size -8k -type f | head -200 | while read -r f; do cp "$f" "$SEEDS/"; done
for t in "$OUT"/fuzz_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	mkdir -p "$OUT/corpus-$n"
	echo "== $n (${T}s)"
	"$t" -max_total_time="$T" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 "$OUT/corpus-$n" "$SEEDS" 2>&1 | grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Done" || true
done
