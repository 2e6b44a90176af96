#!/bin/sh
# 359-relay-watchdog: a relay scan that makes no progress (the test stall
# hook: DLPJAIL_TEST_STALL and bytes holding the marker stall the scan like
# a pathological input, and return only 3 s after the watchdog told them to
# stop) becomes a refused connection with an event within the
# policy's `watchdog` seconds: the jailed client sees its connection end
# before the stuck scan returns, the server never gets the stalled bytes or
# anything after them, the event and the stderr line name the watchdog, and
# the relay thread serves new connections afterwards.
# RELAY_WD=0 sets `watchdog 0` (no watchdog): the test must then fail.
. "$(dirname "$0")/lib.sh"

need_relay

start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG
: > "$LOG"
printf 'watchdog %s\nallow 127.0.0.1\n' "${RELAY_WD:-1}" > "$T/wd.policy"

out=$(DLPJAIL_TEST_STALL=1 timeout 20 "$DLPJAIL" --policy "$T/wd.policy" --log "$T/events.jsonl" \
	--relay -- python3 -c '
import socket, sys, time, errno
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"part-one;"); s.recv(16)
s.sendall(b"dlpjail-test-stall")
t0 = time.time()
s.settimeout(8)
try:
    b = s.recv(16); end = "eof" if not b else "data"
except socket.timeout:
    end = "hung"
except OSError as e:
    end = errno.errorcode.get(e.errno, str(e.errno))
dt = time.time() - t0
try:
    s.sendall(b"part-two;"); time.sleep(0.2); s.sendall(b"part-two;"); after = "sent"
except OSError as e:
    after = "refused"
time.sleep(1.5)      # the stalled scan has returned by now
ok = 0
for i in range(4):
    t = socket.create_connection(("127.0.0.1", port)); t.settimeout(5)
    t.sendall(b"new-conn-%d;" % i)
    try:
        ok += t.recv(16) == b"ok\n"
    except OSError:
        pass
    t.close()
print(end, "%.2f" % dt, after, ok)' "$PORT" 2>"$T/err")
set -- $out
sleep 0.2
check "watchdog: the stalled connection ends (${1:-none}), not hangs" \
	sh -c "[ '${1:-}' = eof ] || [ '${1:-}' = ECONNRESET ]"
check "watchdog: within the limit + 2 s, before the stuck scan returned (${2:-} s)" \
	awk -v t="${2:-99}" 'BEGIN { exit !(t < 3.0) }'
check "watchdog: later sends on that connection fail (${3:-})" [ "${3:-}" = refused ]
check "watchdog: the relay serves new connections (${4:-0}/4)" [ "${4:-0}" = 4 ]
check "watchdog: the server got the bytes before the stall only" \
	sh -c "grep -q 'part-one;' '$LOG' && ! grep -q 'dlpjail-test-stall\|part-two' '$LOG'"
check "watchdog: and the new connections' bytes" grep -q 'new-conn-3;' "$LOG"
check "watchdog: the event names op, pid, exe, destination and the watchdog" \
	event_has '"op":"send"' '"pid":[0-9]+' '"exe":"[^"]*python' '"verdict":"deny"' \
	'"rule":"watchdog"' "\"port\":$PORT" \
	'"reason":"relay watchdog: a scan made no progress for 1 s"'
check "watchdog: stderr says what was blocked and why" \
	grep -q "blocked send to 127.0.0.1:$PORT: relay watchdog" "$T/err"
finish
