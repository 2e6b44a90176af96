#!/bin/sh
# 289-lazy-engine: the scanning engine (detector database, known-secret
# matcher, canaries) is set up at its first use, not before the command
# runs. A connection made by the command's very first system calls (a
# static busybox nc, no libc start-up, no shim) still meets a ready engine:
# a canary is refused, clean bytes arrive, several such connections racing
# for the set-up all get it. A session that sends nothing never sets the
# engine up (the debug line "engine set up at its first use").
. "$(dirname "$0")/lib.sh"
need_relay
BB=$(command -v busybox) || skip "busybox-static is not installed"
file "$BB" 2>/dev/null | grep -q 'statically linked' || skip "$BB is not static"

TOKEN=ghp_Lz4CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv2
J="--allow 127.0.0.1 --canary $TOKEN"
SETUP='engine set up at its first use'
start_server recsrv.py 127.0.0.1 rec

# the command's first syscalls: socket, connect, write of the canary
printf 'POST / HTTP/1.1\r\nHost: x\r\n\r\nt=%s\n' "$TOKEN" > "$T/canary.txt"
out=$(jail -vv $J -- timeout 10 "$BB" nc 127.0.0.1 "$rec_PORT" < "$T/canary.txt" 2>&1)
check "a canary sent at once by static nc never reaches the server" \
	sh -c "! grep -q '$TOKEN' '$rec_LOG'"
check "... the send is evented as a blocked canary" \
	event_has '"detector":"canary"' '"action":"blocked"' "\"port\":$rec_PORT"
check "... the engine was set up by that first connection" \
	sh -c "printf '%s' \"\$1\" | grep -q '$SETUP (ready)'" _ "$out"
check "... stderr holds the token only redacted" \
	sh -c "! printf '%s' \"\$1\" | grep -q '$TOKEN'" _ "$out"

# clean bytes at once: the lazily set-up engine lets them through
: > "$rec_LOG"
echo "clean-first-bytes" > "$T/clean.txt"
jail $J -- timeout 10 "$BB" sh -c "$BB nc -w 2 127.0.0.1 $rec_PORT < '$T/clean.txt'" >/dev/null 2>&1
check "clean bytes sent at once arrive" grep -q clean-first-bytes "$rec_LOG"

# four connections racing for the set-up: canaries refused, clean ones pass
: > "$rec_LOG"
: > "$T/events.jsonl"
jail $J -- timeout 15 "$BB" sh -c "
for i in 1 2 3 4; do
	if [ \$((i % 2)) = 0 ]; then f='$T/canary.txt'; else f='$T/clean.txt'; fi
	$BB nc -w 2 127.0.0.1 $rec_PORT < \"\$f\" >/dev/null 2>&1 &
done
wait" >/dev/null 2>&1
check "racing first connections: no canary reached the server" sh -c "! grep -q '$TOKEN' '$rec_LOG'"
check "racing first connections: the clean ones arrived" \
	sh -c "[ \$(grep -c clean-first-bytes '$rec_LOG') -eq 2 ]"
check "racing first connections: two blocked canary events" \
	sh -c "[ \$(grep '\"detector\":\"canary\"' '$T/events.jsonl' | grep -c '\"action\":\"blocked\"') -ge 2 ]"

# sessions that send nothing do not set the engine up
out=$(jail -vv $J -- "$BB" true 2>&1)
check "a session that sends nothing does not set the engine up" \
	sh -c "! printf '%s' \"\$1\" | grep -q '$SETUP'" _ "$out"
out=$(jail -vv $J -- sh -c 'ls / >/dev/null; cat /etc/hostname >/dev/null; echo x | tr x y' 2>&1)
check "... nor one that runs programs (shim in each) without sending" \
	sh -c "! printf '%s' \"\$1\" | grep -q '$SETUP'" _ "$out"
if command -v node >/dev/null; then
	out=$(jail -vv $J -- node -e 'require("fs").readdirSync("/")' 2>&1)
	check "... nor node that reads files" sh -c "! printf '%s' \"\$1\" | grep -q '$SETUP'" _ "$out"
fi
finish
