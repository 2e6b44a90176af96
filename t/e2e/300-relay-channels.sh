#!/bin/sh
# 300-relay-channels: under --relay a secret written on a normally connected
# TCP socket is stopped whatever wrote it (sendfile, socket.sendfile, splice,
# stdio fputs, a raw syscall, one byte per write, after a fake 5-byte header,
# a fake ClientHello (no hooked library claimed it: the CA path takes it and
# scans what follows raw),
# busybox-static nc, a static Go program): the recording server never sees
# it and the event names the detector, the relay and the writing program.
# The same clients' clean bytes arrive byte for byte.
# RELAY_FLAG=--no-relay runs it without the relay: the test must then fail.
. "$(dirname "$0")/lib.sh"

RELAY=${RELAY_FLAG---relay}
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
C="$top_srcdir/t/e2e/relay_client.py"
need_relay

start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG

printf 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 60\r\n\r\ntoken=%s&x=1\n' "$TOKEN" \
	> "$T/secret.txt"
printf 'GET /clean/%s HTTP/1.1\r\nHost: x\r\n\r\n{"a": [1, 2, 3], "b": "text \\u00e9"}\n' "$$" \
	> "$T/clean.txt"

# server_done: until the server has accepted every connection made so far
# and closed them all (their last bytes are in $LOG), 20 s at most; a late
# write of the refused run must not land in the clean run's log
NCONN=0
server_done() {
	NCONN=$((NCONN + 1))
	i=0
	while [ $i -lt 400 ]; do
		read -r open accepted < "$LOG.conns"
		[ "$open" -eq 0 ] && [ "$accepted" -ge "$NCONN" ] && return 0
		sleep 0.05; i=$((i + 1))
	done
	NCONN=$accepted     # no connection came (the checks that follow say so)
}

# channel NAME EXE CMD [PREFIX]: CMD (sh, $PAY is the payload file) in the
# jail, with the secret, then with clean bytes (the server gets PREFIX first)
channel() {
	name=$1 exe=$2 cmd=$3
	printf "${4:-}" > "$T/expect"
	cat "$T/clean.txt" >> "$T/expect"
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(PAY="$T/secret.txt" timeout 20 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" \
	      $RELAY --allow 127.0.0.1 --canary "$TOKEN" -q -- sh -c "$cmd" 2>&1)
	server_done
	check "$name: the canary never reaches the server ($out)" sh -c "! grep -q '$TOKEN' '$LOG'"
	check "$name: the event names the canary, the relay and $exe" event_has '"op":"send"' \
		'"detector":"canary"' '"action":"blocked"' '"layers":"relay' "\"port\":$PORT" \
		"\"exe\":\"[^\"]*$exe"
	: > "$LOG"
	out=$(PAY="$T/clean.txt" timeout 20 "$DLPJAIL" --no-default-policy $RELAY \
	      --allow 127.0.0.1 --canary "$TOKEN" -q -- sh -c "$cmd" 2>&1)
	server_done
	check "$name: clean bytes arrive byte for byte ($out)" cmp -s "$T/expect" "$LOG"
	# what the server got instead, for the log of a failed run
	cmp -s "$T/expect" "$LOG" || { echo "# expected:"; od -c "$T/expect" | sed 's/^/# /'
		echo "# received:"; od -c "$LOG" | sed 's/^/# /'; sed 's/^/# open, accepted: /' "$LOG.conns"; }
}

for m in sendfile socksendfile splice split; do
	channel "python $m" python "python3 '$C' $m $PORT \"\$PAY\""
done
channel "python fake 5-byte TLS header" python "python3 '$C' fakehello5 $PORT \"\$PAY\"" \
	'\026\003\001\002\000'
# a fake ClientHello from a shimmed process: no hooked library claimed the
# session, so the relay refuses it at the hello (nothing of it, or of what
# follows, leaves)
: > "$LOG"
: > "$T/events.jsonl"
out=$(PAY="$T/secret.txt" timeout 20 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" \
      $RELAY --allow 127.0.0.1 --canary "$TOKEN" -q -- python3 "$C" fakehello6 $PORT \
      "$T/secret.txt" 2>&1)
server_done
check "python fake ClientHello: nothing reaches the server ($out)" [ ! -s "$LOG" ]
# the CA path takes the unclaimed hello; the bytes after it are scanned raw
# until OpenSSL has parsed a hello: the canary is found there
check "python fake ClientHello: refused (canary in the raw bytes after it), python named" \
	event_has '"action":"blocked"' '"detector":"canary"' '"exe":"[^"]*python'

cc -o "$T/relay_writer" "$top_srcdir/t/e2e/relay_writer.c" ||
	{ echo "cannot build relay_writer.c"; exit 99; }
channel "C fdopen+fputs" relay_writer "'$T/relay_writer' fputs $PORT \"\$PAY\""
channel "raw syscall instruction" relay_writer "'$T/relay_writer' asm $PORT \"\$PAY\""
channel "raw syscall, one byte each" relay_writer "'$T/relay_writer' asmsplit $PORT \"\$PAY\""

BB=$(command -v busybox || true)
if [ -n "$BB" ] && file -L "$BB" | grep -q 'statically linked'; then
	channel "busybox-static nc" busybox "'$BB' nc -w 2 127.0.0.1 $PORT < \"\$PAY\""
else
	echo "# no busybox-static: skipped"
fi

if command -v go > /dev/null 2>&1 &&
   (cd "$T" && cp "$top_srcdir/t/e2e/relay_go.go" . && CGO_ENABLED=0 GOFLAGS=-mod=mod \
    GO111MODULE=off timeout 120 go build -o relay_go relay_go.go) 2>/dev/null; then
	channel "static Go" relay_go "'$T/relay_go' plain $PORT \"\$PAY\""
else
	echo "# no go toolchain: static Go skipped"
fi

finish
