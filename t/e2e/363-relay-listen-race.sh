#!/bin/sh
# 363-relay-listen-race: a connect to loopback that races the jail's own
# listen() and accept() (issue 10, connect-speed3). The relay's upstream
# records its local address after connect(), whether or not the jail had
# listened when the connect was decided, and an accept() that sees the
# connection before the record waits for it: the jail's own connection is
# served, not reset. DLPJAIL_TEST_CONNECT_DELAY_MS widens both windows
# (before the upstream connect(), and between it and the record). A host
# process that connects to the same listener is still reset.
. "$(dirname "$0")/lib.sh"
need_relay

cat > "$T/race.py" <<'PY'
import socket, sys, threading, time
mode = sys.argv[1]
got = []
s = socket.socket()
s.bind(("127.0.0.1", 0))   # bound now, listening only later
port = s.getsockname()[1]
def server():
    time.sleep(0.02)   # after the client's connect was decided (no listener then)
    s.listen(8)
    c, _ = s.accept()
    got.append(c.recv(100))
    c.sendall(b"pong")
    c.close()
threading.Thread(target=server, daemon=True).start()
if mode == "nb":
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    c.setblocking(True)
    c.settimeout(5)
else:
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
try:
    c.sendall(b"ping")
    r = c.recv(100)
except OSError as e:
    r = repr(e).encode()
time.sleep(0.05)
print("client", r.decode(), "server", b"".join(got).decode())
PY
for m in block nb; do
	out=$(DLPJAIL_TEST_CONNECT_DELAY_MS=300 timeout 20 "$DLPJAIL" --no-default-policy \
		--allow 127.0.0.1 -q --log "$T/events.jsonl" -- python3 "$T/race.py" "$m" 2>&1)
	check "$m connect decided before the jail's listen(), accepted during the record: served ($out)" \
		[ "$out" = "client pong server ping" ]
done
check "...no inbound refusal evented" sh -c "! grep -q 'inbound connection from' '$T/events.jsonl'"
finish
