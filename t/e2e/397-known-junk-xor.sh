#!/bin/sh
# 397-known-junk-xor: an AWS secret key in a fake HOME's ~/.aws/credentials
# and a 14-byte DB_PASSWORD in ./.env, both drawn by the test, sent by a
# real python3 client (and curl) through dlpjail with 1..4 random bytes
# after each character and XOR'd with a fresh 3- and 5-byte key, raw and
# as hex, to a recording loopback server: every send is refused, the
# server receives none, the events name the known secret and never the
# value; the values with one character changed, junked or XOR'd, and
# ordinary text junked still go through.
. "$(dirname "$0")/lib.sh"
dns_sandbox
start_http 127.0.0.1 col

H=$T/home
W=$T/work
mkdir -p "$H/.aws" "$W"
AWSSEC=$(python3 -c 'import random; r = random.SystemRandom(); a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"; print("".join(r.choice(a) for _ in range(40)))')
DBPW=$(python3 -c 'import random; r = random.SystemRandom(); a = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"; print("".join(r.choice(a) for _ in range(14)))')
printf '[default]\naws_access_key_id = AKIA7KLFYYLBEG3RHDSV\naws_secret_access_key = %s\n' "$AWSSEC" > "$H/.aws/credentials"
printf 'PORT=3000\nDB_PASSWORD=%s\n' "$DBPW" > "$W/.env"

run() {
	(cd "$W" && HOME="$H" "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" --allow 127.0.0.1 \
		--no-canaries --real-secrets -- "$@") 2>>"$T/jail.err"
}
run python3 "$top_srcdir/t/known/junkxor6.py" send "$col_PORT" "$T/bodies" > "$T/py.out"
sed 's/^/# /' "$T/py.out"
check "python3: 16 junked and XOR'd sends, every one blocked" sh -c \
	"[ \$(grep -Ec '^(aws|env):.* blocked\$' '$T/py.out') -eq 16 ] && ! grep -Eq '^(aws|env):.* sent\$' '$T/py.out'"
check "the sibling values (junked, XOR'd) still go out" sh -c \
	"grep -q '^clean:sibling-junk3 sent\$' '$T/py.out' && grep -q '^clean:sibling-xor3 sent\$' '$T/py.out' &&
	 grep -q '^clean:sibling-env-xor5 sent\$' '$T/py.out'"
check "ordinary text with junk after each character still goes out" grep -q '^clean:text-junk2 sent$' "$T/py.out"

if command -v curl >/dev/null; then
	(cd "$W" && HOME="$H" python3 "$top_srcdir/t/known/junkxor6.py" body "$T/curl.body")
	printf 'curl %s\n' "$(od -An -tx1 -v "$T/curl.body" | tr -d ' \n')" >> "$T/bodies"
	run curl -sS -o /dev/null --max-time 10 --data-binary "@$T/curl.body" "http://127.0.0.1:$col_PORT/c" \
		> "$T/curl.out" 2>&1
	check "curl: the AWS key with 3 bytes of junk after each character is refused" test $? -ne 0
fi
check "the collector received none of them" \
	python3 "$top_srcdir/t/known/junkxor6.py" leaked "$col_LOG" "$T/bodies"
check "the blocks are evented as the known secret, strided and XOR'd" sh -c \
	"grep -Eq '\"detector\":\"known-secret\".*stride[2-5]|stride[2-5].*\"detector\":\"known-secret\"' '$T/events.jsonl' &&
	 grep -Eq '\"detector\":\"known-secret\".*xor|xor.*\"detector\":\"known-secret\"' '$T/events.jsonl'"
check "no event holds a value unredacted" sh -c \
	"! grep -q -e '$AWSSEC' -e '$DBPW' -e '$(printf %.12s "$AWSSEC")' '$T/events.jsonl' '$T/jail.err'"
finish
