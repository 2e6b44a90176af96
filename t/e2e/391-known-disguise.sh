#!/bin/sh
# 391-known-disguise: the npm tokens of a fake HOME's ~/.npmrc sent by a
# real python3 client through the relay disguised as repeating-key XOR
# (3-byte key raw, 4-byte key as hex, 7-byte key after binary bytes),
# bzip2 and halves in two JSON fields, to a recording loopback server:
# every send is refused, the server receives none, the events name the
# layer and never the value; bzip2 of ordinary text and XOR'd ordinary
# text still go through.
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
	--no-canaries --real-secrets -- python3 "$top_srcdir/t/known/disguise5.py" send "$col_PORT") \
	> "$T/py.out" 2>>"$T/jail.err"
sed 's/^/# /' "$T/py.out"
check "python3: 10 disguised sends, every one blocked" sh -c \
	"[ \$(grep -c '^npmrc.* blocked\$' '$T/py.out') -eq 10 ] && ! grep -q '^npmrc.* sent\$' '$T/py.out'"
check "bzip2 of ordinary text still goes out" grep -q '^clean:bz2 sent$' "$T/py.out"
check "XOR'd ordinary text still goes out" grep -q '^clean:xor3 sent$' "$T/py.out"
check "the collector received none of the disguises" \
	python3 "$top_srcdir/t/known/disguise5.py" leaked "$col_LOG" "$NPM" "$CORP"
check "the blocks are evented with their layer" \
	event_has '"detector":"(known-secret|placeholder)"' '"layers":"[a-z0-9>]*(xor|bzip2)'
check "no event holds a token unredacted" sh -c \
	"! grep -q -e '$NPM' -e '$CORP' -e 'GBQMd9B4MWQRmD6i' -e 'Vb4Nz8Rk3Wm6' '$T/events.jsonl'"
finish
