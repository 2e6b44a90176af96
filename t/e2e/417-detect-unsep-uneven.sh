#!/bin/sh
# 417-detect-unsep-uneven: a GitHub PAT and an npm token made up here
# (valid CRC32 tails) and an AWS key id of capitals alone, told to no one
# (the detectors' patterns alone), POSTed by a real python3 client and by
# curl through the relay to a recording loopback server, cut the ways the
# separated-token decoder missed (branch unsep-gaps): in two places into
# uneven parts, in groups of 3, 5, 4 and 6, 2, 7, the key id every 3 or 4
# by '_'. Every send is refused, the server gets none, the events name the
# detector and never the value. The same cuts of tokens whose checksum is
# wrong, dates, versions, a UUID, paths, CSV and snake_case go through.
. "$(dirname "$0")/lib.sh"
need_relay
start_http 127.0.0.1 col

J="--no-default-policy --log $T/events.jsonl --allow 127.0.0.1 --no-canaries -q"
(cd "$top_srcdir/t/known" && "$DLPJAIL" $J -- python3 gaps9.py send "$col_PORT" "$T/bodies") \
	> "$T/py.out" 2>>"$T/jail.err"
sed 's/^/# /' "$T/py.out"
check "python3: 11 sends (2 tokens x 4 cuts, a key id x 3), every one blocked" sh -c \
	"[ \$(grep -Ec '^(pat|npm|aws):.* blocked\$' '$T/py.out') -eq 11 ] && ! grep -Eq '^(pat|npm|aws):.* sent\$' '$T/py.out'"
check "bad-checksum tokens cut the same ways and the look-alikes go out" sh -c \
	"[ \$(grep -c '^clean:.* sent\$' '$T/py.out') -eq 14 ] && ! grep -q '^clean:.* blocked\$' '$T/py.out'"
check "the events name the detectors" sh -c \
	"grep -q '\"detector\":\"github-pat\"' '$T/events.jsonl' && grep -q '\"detector\":\"npm-token\"' '$T/events.jsonl' && grep -q '\"detector\":\"aws-access-key-id\"' '$T/events.jsonl'"

if command -v curl >/dev/null; then
	for form in parts3-dash uneven354-underscore; do
		(cd "$top_srcdir/t/known" && python3 gaps9.py body $form "$T/curl.$form")
		printf 'curl-%s %s\n' $form "$(od -An -tx1 -v "$T/curl.$form" | tr -d ' \n')" >> "$T/bodies"
		code=$("$DLPJAIL" $J -- curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/curl.$form" \
			"http://127.0.0.1:$col_PORT/c" 2>>"$T/jail.err")
		check "curl: a token cut as $form is refused (got '$code')" [ "$code" != 200 ]
	done
fi
check "the collector received none of them" \
	python3 "$top_srcdir/t/known/gaps9.py" leaked "$col_LOG" "$T/bodies"
check "no event holds a token unredacted" \
	python3 "$top_srcdir/t/known/unredacted.py" "$T/bodies.values" "$T/events.jsonl" "$T/jail.err"
finish
