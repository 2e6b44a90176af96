#!/bin/sh
# 407-detect-charcode: a GitHub PAT and an npm token made up here (the real
# shape, valid CRC32 tails) that no one told the jail about (no canary, no
# known secret: the detectors' patterns alone), POSTed by a real python3
# client and by curl through the relay to a recording loopback server as
# character-code call chains: chr(N)+, chr(N) ., Chr(N) &, ChrW(N)&,
# [char]N+, (char)N, CHAR(N)||, chr(0xNN)+ (Python, Perl/PHP, VBA, PowerShell,
# C#, SQL).
# Every send is refused, the server gets none of them, the events name the
# detector and the charcode layer and never the value. The close negatives
# (bad-checksum tokens in the same forms, chr() chains of text, code with
# chr() and casts) go through.
. "$(dirname "$0")/lib.sh"
need_relay
start_http 127.0.0.1 col

J="--no-default-policy --log $T/events.jsonl --allow 127.0.0.1 --no-canaries -q"
(cd "$top_srcdir/t/known" && "$DLPJAIL" $J -- python3 gaps8.py send charcode "$col_PORT" "$T/bodies") \
	> "$T/py.out" 2>>"$T/jail.err"
sed 's/^/# /' "$T/py.out"
check "python3: 16 sends (2 tokens x 8 forms), every one blocked" sh -c \
	"[ \$(grep -Ec '^(pat|npm):.* blocked\$' '$T/py.out') -eq 16 ] && ! grep -Eq '^(pat|npm):.* sent\$' '$T/py.out'"
check "bad-checksum tokens in the same forms and the benign look-alikes go out" sh -c \
	"[ \$(grep -c '^clean:.* sent\$' '$T/py.out') -eq 19 ] && ! grep -q '^clean:.* blocked\$' '$T/py.out'"
check "the events name the detectors and the charcode layer" sh -c \
	"grep -q '\"detector\":\"github-pat\"' '$T/events.jsonl' && grep -q '\"detector\":\"npm-token\"' '$T/events.jsonl' &&
	 grep -Eq '\"layers\":\"([a-z0-9]+>)*charcode' '$T/events.jsonl'"

if command -v curl >/dev/null; then
	for form in chr-plus vba-amp ps-char; do
		(cd "$top_srcdir/t/known" && python3 gaps8.py body charcode $form "$T/curl.$form")
		cat "$T/curl.$form.value" >> "$T/bodies.values"
		printf 'curl-%s %s\n' $form "$(od -An -tx1 -v "$T/curl.$form" | tr -d ' \n')" >> "$T/bodies"
		code=$("$DLPJAIL" $J -- curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/curl.$form" \
			"http://127.0.0.1:$col_PORT/c" 2>>"$T/jail.err")
		check "curl: a token as $form is refused (got '$code')" [ "$code" != 200 ]
	done
fi
check "the collector received none of them" \
	python3 "$top_srcdir/t/known/gaps8.py" leaked "$col_LOG" "$T/bodies"
check "no event holds a token unredacted" \
	python3 "$top_srcdir/t/known/unredacted.py" "$T/bodies.values" "$T/events.jsonl" "$T/jail.err"
finish
