#!/bin/sh
# 387-known-short-halves: npm tokens of 20 and 24 bytes in a fake HOME's
# ~/.npmrc, whose halves (10 and 12 bytes) are matched by the known-secret
# matcher's small indexes (every position compared with a few keys, not
# hashed: known.c small_scan()), sent by a real python3 client through the
# relay as two JSON fields, deep in a 1 MiB JSON stream, case-changed and
# as a body's last bytes: every send is refused and the server receives
# none; one half alone, the halves in the wrong order and the value with
# one character changed (each in a session of its own: the split matcher
# joins a session's messages) still go out; no event holds a value.
. "$(dirname "$0")/lib.sh"
dns_sandbox
start_http 127.0.0.1 col

H=$T/home
W=$T/work
mkdir -p "$H" "$W"
S20=Hq2mVx9LpK4sRt7wZb3N           # halves of 10: the step-1 index
S24=pX4kM9vB2nQ7wL5tY8hJuE3g       # halves of 12: the step-4 index
printf '//registry.npmjs.org/:_authToken=%s\n//npm.allowed.test/:_authToken=%s\n' "$S20" "$S24" > "$H/.npmrc"

(cd "$W" && HOME="$H" "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" --allow 127.0.0.1 \
	--no-canaries --real-secrets -- python3 "$top_srcdir/t/known/short_halves.py" send "$col_PORT") \
	> "$T/py.out" 2>>"$T/jail.err"
for how in one-half wrong-order one-changed; do
	for i in 0 1; do
		(cd "$W" && HOME="$H" "$DLPJAIL" --no-default-policy --log "$T/events-neg.jsonl" \
			--allow 127.0.0.1 --no-canaries --real-secrets -- \
			python3 "$top_srcdir/t/known/short_halves.py" neg "$col_PORT" $how $i) \
			>> "$T/py.out" 2>>"$T/jail.err"
	done
done
sed 's/^/# /' "$T/py.out"
check "python3: 8 sends of the two values, every one blocked" sh -c \
	"[ \$(grep -c '^npmrc.* blocked\$' '$T/py.out') -eq 8 ] && ! grep -q '^npmrc.* sent\$' '$T/py.out'"
check "the 6 close negatives go out" sh -c \
	"[ \$(grep -c '^clean-.* sent\$' '$T/py.out') -eq 6 ]"
check "the collector received none of the values" \
	python3 "$top_srcdir/t/known/short_halves.py" leaked "$col_LOG" "$S20" "$S24"
check "the blocks are evented as known secrets" event_has '"detector":"(known-secret|placeholder)"'
check "no event holds a value or a half unredacted" sh -c \
	"! grep -q -e '$S20' -e '$S24' -e 'Hq2mVx9LpK' -e '4sRt7wZb3N' -e 'pX4kM9vB2nQ7' -e 'wL5tY8hJuE3g' \
		'$T/events.jsonl' '$T/events-neg.jsonl'"
finish
