#!/bin/sh
# 272-known-variants: the npm tokens of a fake HOME's ~/.npmrc sent by a
# real python3 client through the relay in the fixed spellings that
# broker/scan/known_variants.c indexes (Caesar shift, ROT47, base85,
# ascii85, base58, decimal, binary, %uXXXX, UTF-32, a dash every 4) to a
# recording loopback server: every send is refused, the server receives
# none of them, the events name the transform; a clean shifted text still
# goes through.
. "$(dirname "$0")/lib.sh"
dns_sandbox
. "$top_srcdir/t/tls/lib-tls.sh"
start_http 127.0.0.1 col

H=$T/home
W=$T/work
mkdir -p "$H" "$W"
NPM=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   # real format (valid CRC tail)
CORP=CorpT0ken-7fQ2xLp9Vb4Nz8Rk3Wm6hJ          # no detector knows this one
printf '//registry.npmjs.org/:_authToken=%s\n//npm.allowed.test/:_authToken=%s\n' "$NPM" "$CORP" > "$H/.npmrc"

(cd "$W" && HOME="$H" "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" --allow 127.0.0.1 \
	--no-canaries --real-secrets -- python3 "$top_srcdir/t/known/variants.py" send "$col_PORT") \
	> "$T/py.out" 2>>"$T/jail.err"
sed 's/^/# /' "$T/py.out"
check "python3: 20 encoded sends, every one blocked" sh -c \
	"[ \$(grep -c '^npmrc.* blocked\$' '$T/py.out') -eq 20 ] && ! grep -q '^npmrc.* sent\$' '$T/py.out'"
check "the clean shifted text still goes out" grep -q '^clean:rot3 sent$' "$T/py.out"
check "the collector received none of the spellings" \
	python3 "$top_srcdir/t/known/variants.py" leaked "$col_LOG" "$NPM" "$CORP"
check "the blocks are evented with their transform" \
	event_has '"detector":"(known-secret|placeholder)"' '"layers":"[a-z]*>?(rot3|base85\+0|decimal|binary|utf32le|every4)'
finish
