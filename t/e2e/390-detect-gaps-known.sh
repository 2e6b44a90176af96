#!/bin/sh
# 390-detect-gaps-known: an AWS secret key in a fake HOME's
# ~/.aws/credentials and a 20-byte DB_PASSWORD in ./.env, both drawn by the
# test, sent by a real python3 client (and curl) through dlpjail to a
# recording loopback server in the encodings that got past the engine
# (branch detect-gaps): hex of hex and of that, base64 of base64 of hex,
# bzip2 and zlib after junk or a text header, base64 of junk and bzip2,
# the value cut every 2..6 bytes by '_', '-' or '.' at a random offset.
# Every send is refused, the server receives none, the events name the
# known secret and never the value; fresh values of the same shape in
# the same forms, benign hex of hex, benign bzip2 and zlib
# after a header, snake_case and dotted identifiers still go through.
. "$(dirname "$0")/lib.sh"
dns_sandbox
start_http 127.0.0.1 col

H=$T/home
W=$T/work
mkdir -p "$H/.aws" "$W"
AWSSEC=$(python3 -c 'import random; r = random.SystemRandom(); a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"; print("".join(r.choice(a) for _ in range(40)))')
DBPW=$(python3 -c 'import random; r = random.SystemRandom(); a = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"; print("".join(r.choice(a) for _ in range(20)))')
printf '[default]\naws_access_key_id = AKIA7KLFYYLBEG3RHDSV\naws_secret_access_key = %s\n' "$AWSSEC" > "$H/.aws/credentials"
printf 'PORT=3000\nDB_PASSWORD=%s\n' "$DBPW" > "$W/.env"

run() {
	(cd "$W" && HOME="$H" "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" --allow 127.0.0.1 \
		--no-canaries --real-secrets -- "$@") 2>>"$T/jail.err"
}
run python3 "$top_srcdir/t/known/gaps7.py" send known "$col_PORT" "$T/bodies" > "$T/py.out"
sed 's/^/# /' "$T/py.out"
check "python3: 20 sends (2 values x 10 forms), every one blocked" sh -c \
	"[ \$(grep -Ec '^(aws|env):.* blocked\$' '$T/py.out') -eq 20 ] && ! grep -Eq '^(aws|env):.* sent\$' '$T/py.out'"
check "the sibling values in the same forms and the benign look-alikes still go out" sh -c \
	"[ \$(grep -c '^clean:.* sent\$' '$T/py.out') -eq 15 ] && ! grep -q '^clean:.* blocked\$' '$T/py.out'"

if command -v curl >/dev/null; then
	for form in hexhex bz2-junk cut-underscore; do
		(cd "$W" && HOME="$H" python3 "$top_srcdir/t/known/gaps7.py" body known $form "$T/curl.$form")
		printf 'curl-%s %s\n' $form "$(od -An -tx1 -v "$T/curl.$form" | tr -d ' \n')" >> "$T/bodies"
		run curl -sS -o /dev/null --max-time 10 --data-binary "@$T/curl.$form" \
			"http://127.0.0.1:$col_PORT/c" > "$T/curl.out" 2>&1
		check "curl: the AWS key as $form is refused" test $? -ne 0
	done
fi
check "the collector received none of them" \
	python3 "$top_srcdir/t/known/gaps7.py" leaked "$col_LOG" "$T/bodies"
check "the blocks are evented as the known secret" \
	grep -q '"detector":"known-secret"' "$T/events.jsonl"
check "no event holds a value unredacted" sh -c \
	"! grep -q -e '$AWSSEC' -e '$DBPW' -e '$(printf %.12s "$AWSSEC")' '$T/events.jsonl' '$T/jail.err'"
finish
