#!/bin/sh
# 274-pattern-unspelled: a GitHub PAT no one registered (found by its
# shape and CRC32 tail only) sent by a real node client through the relay
# reversed, ROT13, ROT7, reversed then ROT13, as base64 and hex of it
# reversed (broker/scan/dec_unspell.c), as "ghp_" + "cUpd" + ... literals
# (dec_concat.c) to a recording loopback server:
# every send is refused, the server receives none of them, the events name
# github-pat and the unspell layer; a body of look-alikes still goes out.
. "$(dirname "$0")/lib.sh"
dns_sandbox
command -v node >/dev/null 2>&1 || skip "no node"
start_http 127.0.0.1 col

PAT=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   # det_table.c's sample (valid CRC)
"$DLPJAIL" --no-default-policy --log "$T/events.jsonl" --allow 127.0.0.1 --no-canaries -- \
	node "$top_srcdir/t/known/unspelled.js" "$col_PORT" "$PAT" > "$T/node.out" 2>>"$T/jail.err"
sed 's/^/# /' "$T/node.out"
check "node: 7 disguised sends, every one blocked" sh -c \
	"[ \$(grep -c ' blocked\$' '$T/node.out') -eq 7 ] && ! grep -v '^clean ' '$T/node.out' | grep -q ' sent\$'"
check "the look-alike body still goes out" grep -q '^clean sent$' "$T/node.out"
check "the collector received only the look-alike body" sh -c \
	"[ \$(grep -c 'const t' '$col_LOG') -eq 1 ] && grep -q 'const t = \"var tuc_ab' '$col_LOG'"
check "the blocks are evented as github-pat, layers unspell and concat" \
	event_has '"detector":"github-pat"' '"layers":"[a-z>]*unspell' &&
	event_has '"detector":"github-pat"' '"layers":"[a-z>]*concat'
finish
