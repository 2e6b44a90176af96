#!/bin/sh
# 422-detect-b64-short-lines: a GitHub PAT and an npm token made up here
# (valid CRC32 tails, told to no one: the detectors' patterns alone),
# base64-coded behind a junk prefix and wrapped every 1, 4, 6, 8 or 12
# characters (LF, CRLF), bare and as a MIME part with Content-Transfer-
# Encoding: base64, POSTed by a real python3 client and by curl through the
# relay to a recording loopback server. base64 joined lines only from 16
# characters on (redteam6 found the MIME part leaking). Every send is
# refused, the server gets none, the events name the detector and never the
# value. The same for bad-checksum tokens, and lists of short ids, hex words,
# versions and short lines of prose go out.
. "$(dirname "$0")/lib.sh"
need_relay
start_http 127.0.0.1 col

J="--no-default-policy --log $T/events.jsonl --allow 127.0.0.1 --no-canaries -q"
(cd "$top_srcdir/t/known" && "$DLPJAIL" $J -- python3 gaps10.py send "$col_PORT" "$T/bodies") \
	> "$T/py.out" 2>>"$T/jail.err"
sed 's/^/# /' "$T/py.out"
check "python3: 12 sends (2 tokens x 6 wrappings), every one blocked" sh -c \
	"[ \$(grep -Ec '^(pat|npm):.* blocked\$' '$T/py.out') -eq 12 ] && ! grep -Eq '^(pat|npm):.* sent\$' '$T/py.out'"
check "bad-checksum tokens wrapped the same ways and the look-alikes go out" sh -c \
	"[ \$(grep -c '^clean:.* sent\$' '$T/py.out') -eq 16 ] && ! grep -q '^clean:.* blocked\$' '$T/py.out'"
check "the events name the detectors" sh -c \
	"grep -q '\"detector\":\"github-pat\"' '$T/events.jsonl' && grep -q '\"detector\":\"npm-token\"' '$T/events.jsonl'"

if command -v curl >/dev/null; then
	for form in w8-crlf mime-w8; do
		(cd "$top_srcdir/t/known" && python3 gaps10.py body $form "$T/curl.$form")
		cat "$T/curl.$form.value" >> "$T/bodies.values"
		printf 'curl-%s %s\n' $form "$(od -An -tx1 -v "$T/curl.$form" | tr -d ' \n')" >> "$T/bodies"
		code=$("$DLPJAIL" $J -- curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/curl.$form" \
			"http://127.0.0.1:$col_PORT/c" 2>>"$T/jail.err")
		check "curl: a token wrapped as $form is refused (got '$code')" [ "$code" != 200 ]
	done
fi
check "the collector received none of them" \
	python3 "$top_srcdir/t/known/gaps10.py" leaked "$col_LOG" "$T/bodies"
check "no event holds a token unredacted" \
	python3 "$top_srcdir/t/known/unredacted.py" "$T/bodies.values" "$T/events.jsonl" "$T/jail.err"
finish
