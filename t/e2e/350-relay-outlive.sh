#!/bin/sh
# 350-relay-outlive: processes that outlive the command (issue 10 item 7).
# Design: the session ends with its command. Whatever the command leaves
# behind (setsid + double fork daemons, connected sockets included) is
# killed before the relay and the seccomp supervisor stop, so nothing of
# the tree can write a byte after the relay is gone. A daemon that sends a
# canary or clean bytes 1 s after the command exited never gets them out and
# is dead when dlpjail returns; a background job the command waits for is
# served as usual; a daemon sleeping 30 s does not keep dlpjail waiting.
. "$(dirname "$0")/lib.sh"

TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv2
O="$top_srcdir/t/e2e/outlive.py"
need_relay

start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG
printf 'POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\ntoken=%s\n' "$TOKEN" > "$T/secret.txt"
printf 'GET /late-clean-%s HTTP/1.1\r\nHost: x\r\n\r\n' "$$" > "$T/clean.txt"

# outlive NAME MODE PAYFILE [DELAY]: run the jailed sender; sets $pid, $secs
outlive() {
	: > "$LOG"
	rm -f "$T/pid"
	t0=$(date +%s)
	timeout 40 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 --canary "$TOKEN" -q \
		-- python3 "$O" "$2" "$PORT" "$T/pid" "$3" "${4:-1}" > "$T/$1.out" 2>&1
	secs=$(( $(date +%s) - t0 ))
	pid=$(cat "$T/pid" 2>/dev/null || echo 0)
}
gone() { [ "$1" -gt 0 ] && ! kill -0 "$1" 2>/dev/null; }

outlive late-canary late "$T/secret.txt"
check "late daemon (setsid, double fork): dead when dlpjail returns" gone "$pid"
sleep 1.5
check "late daemon: its canary never arrives" sh -c "! grep -q '$TOKEN' '$LOG'"

outlive late-clean late "$T/clean.txt"
sleep 1.5
check "late daemon: even clean bytes never arrive (the session is over)" sh -c "[ ! -s '$LOG' ]"

outlive early-clean early "$T/clean.txt"
check "daemon connected before the command exited: dead when dlpjail returns" gone "$pid"
sleep 1.5
check "daemon connected before the exit: nothing arrives after it" sh -c "[ ! -s '$LOG' ]"

outlive sleeper late "$T/clean.txt" 30
check "a daemon sleeping 30 s does not keep dlpjail waiting (${secs}s)" [ "$secs" -lt 10 ]
check "the sleeping daemon is dead" gone "$pid"

outlive wait wait "$T/clean.txt"
check "a background job the command waits for is served" cmp -s "$T/clean.txt" "$LOG"
outlive wait-canary wait "$T/secret.txt"
check "...and scanned: its canary never arrives" sh -c "! grep -q '$TOKEN' '$LOG'"

# static busybox, detached with setsid -f: dead too, nothing arrives
if command -v busybox > /dev/null 2>&1; then
	: > "$LOG"
	timeout 40 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -q -- \
		sh -c "setsid -f sh -c 'echo \$\$ > \"$T/bbpid\"; sleep 1; busybox nc 127.0.0.1 $PORT < \"$T/clean.txt\"'
			i=0; while [ ! -s '$T/bbpid' ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done" \
		> "$T/bb.out" 2>&1
	check "busybox daemon (setsid -f): dead when dlpjail returns" gone "$(cat "$T/bbpid" 2>/dev/null || echo 0)"
	sleep 1.5
	check "busybox daemon: nothing arrives" sh -c "[ ! -s '$LOG' ]"
fi
finish
