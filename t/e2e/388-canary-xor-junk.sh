#!/bin/sh
# 388-canary-xor-junk: the session's own canaries (dlpjail's default: the
# nine values it exports, no known secrets; the relay's jail case), read
# from the environment by a real python3 client and sent through the relay
# XOR'd with a fresh key of each length 2..8 (in binary noise, or as hex)
# and with 1..4 random bytes after each character, to a recording
# loopback server: every send is refused, the server receives none, the
# events never hold a canary. Close negatives go out: a fresh value of
# each canary's shape XOR'd and junked, each canary with one character
# changed XOR'd and junked, ordinary text junked. (broker/scan/known.c:
# the quad index's XOR and stride passes, their AVX2 loops.)
. "$(dirname "$0")/lib.sh"
start_http 127.0.0.1 col

jail --allow 127.0.0.1 -- python3 "$top_srcdir/t/known/canaryxor.py" send "$col_PORT" "$T/bodies" \
	> "$T/py.out" 2>>"$T/jail.err"
grep -E 'blocked$|^canaries' "$T/py.out" | sed 's/^/# /' | head -3
grep -E 'sent$' "$T/py.out" | grep -Ev '^clean:|:hex-gap-' | sed 's/^/# MISSED /'
grep -E ':hex-gap-' "$T/py.out" | sed 's/^/# open (decode graph: 40 hex digits are a digest) /'
grep -E '^clean:.* blocked$' "$T/py.out" | sed 's/^/# WRONGLY BLOCKED /'

check "the client found the eight prefixed canaries" grep -q '^canaries 8$' "$T/py.out"
check "all 88 XOR'd and junked sends are refused" sh -c \
	"[ \$(grep -Ev '^(clean:|canaries)|:hex-gap-' '$T/py.out' | grep -c .) -eq 88 ] &&
	 [ \$(grep -Ev '^(clean:|canaries)|:hex-gap-' '$T/py.out' | grep -c ' blocked\$') -eq 88 ]"
check "the close negatives (fresh values, a character changed, text) all go out" sh -c \
	"[ \$(grep -c '^clean:.* sent\$' '$T/py.out') -eq 41 ]"
grep -v ':hex-gap-' "$T/bodies" > "$T/bodies.counted"
check "the collector received none of the refused bodies" \
	python3 "$top_srcdir/t/known/canaryxor.py" leaked "$col_LOG" "$T/bodies.counted"
check "the blocks are evented as canaries, XOR'd and strided" sh -c \
	"grep '\"detector\":\"canary\"' '$T/events.jsonl' | grep -q xor &&
	 grep '\"detector\":\"canary\"' '$T/events.jsonl' | grep -q stride"
check "no event or error holds a canary unredacted" sh -c \
	"[ -s '$T/bodies.values' ] && ! grep -q -F -f '$T/bodies.values' '$T/events.jsonl' '$T/jail.err'"
finish
