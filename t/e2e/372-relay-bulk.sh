#!/bin/sh
# 372-relay-bulk: a direction whose read fills the relay's 64 KiB buffer
# reads 256 KiB from then on (relay.c rl_bulk). A plain-TCP client sends
# 8 MiB of JSON lines in 1 MiB writes (the socket always has more than a
# read takes), with a GitHub token deep in the stream: inside one big
# write, split over two writes with a pause between, and as the stream's
# last bytes. The recording server never gets the token nor its second
# half, and the event names the detector; the clean stream arrives byte for
# byte (the buffer changes only while nothing is held: no byte lost, none
# doubled). RELAY_FLAG=--no-relay runs it without the relay: it fails.
. "$(dirname "$0")/lib.sh"

RELAY=${RELAY_FLAG---relay}
TOKEN=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
SECOND=$(printf '%s' "$TOKEN" | cut -c21-)
need_relay

cat > "$T/bulk.py" <<'PY'
import socket, sys, time
mode, port, token, sent = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
lines, n = [], 0
while n < 8 << 20:
    l = b'{"name":"pkg-%d","version":"1.%d.0","shasum":"%040x","ok":true}\n' % (n, n % 97, n * 2654435761)
    lines.append(l)
    n += len(l)
data = b''.join(lines)
s = socket.create_connection(('127.0.0.1', port))
out = []
def send(b):
    s.sendall(b)
    out.append(b)
mid = 5 << 20
if mode == 'clean':
    for i in range(0, len(data), 1 << 20):
        send(data[i:i + (1 << 20)])
elif mode == 'inside':
    send(data[:mid])
    send(data[mid:mid + 300000] + b'"' + token + b'"' + data[mid + 300000:mid + (1 << 20)])
    send(data[mid + (1 << 20):])
elif mode == 'split':
    send(data[:mid] + b'"' + token[:20])
    time.sleep(0.2)
    send(token[20:] + b'"' + data[mid:])
elif mode == 'tail':
    for i in range(0, len(data), 1 << 20):
        send(data[i:i + (1 << 20)])
    send(b'"' + token + b'"')
s.shutdown(socket.SHUT_WR)
s.settimeout(10)
try:
    while s.recv(65536):
        pass
except OSError:
    pass
open(sent, 'wb').write(b''.join(out))
PY

start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG

for m in inside split tail; do
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 60 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $RELAY \
	      --allow 127.0.0.1 -q -- python3 "$T/bulk.py" "$m" "$PORT" "$TOKEN" "$T/sent" 2>&1)
	sleep 0.2
	check "$m: the token never reaches the server" \
		sh -c "! grep -q '$TOKEN' '$LOG' && ! grep -q -- '$SECOND' '$LOG'"
	check "$m: the event names the detector ($(echo "$out" | head -c 200))" \
		event_has '"detector":"github-pat"' '"action":"blocked"'
done
: > "$LOG"
out=$(timeout 60 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
      python3 "$T/bulk.py" clean "$PORT" "$TOKEN" "$T/sent" 2>&1)
i=0
while [ "$(wc -c < "$LOG")" -lt "$(wc -c < "$T/sent")" ] && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
check "clean: 8 MiB arrive byte for byte ($(echo "$out" | head -c 200))" cmp -s "$T/sent" "$LOG"
finish
