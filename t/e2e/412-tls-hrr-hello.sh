#!/bin/sh
# 412-tls-hrr-hello: the ClientHello after a HelloRetryRequest is judged
# as the first was (branch egress-gaps4). The key path read a session's
# first ClientHello (its server name judged, its client random routed)
# and took any later one in the clear for handshake bytes, matched raw:
# a client (python3 ssl, hooked: its first hello real and claimed) behind
# a server that answers with a HelloRetryRequest (tls_hrr.py srv) sent
# a second hello naming another server ("attack.io", unjudged by the name
# gate) or offering another ALPN, and both reached the server (seen with
# the check in tls_dec.c rl_on_hs off). Now the second hello must repeat
# the first but for what RFC 8446 4.1.2 lets change (key_share,
# early_data, cookie, pre_shared_key, padding: rl_ch_sum), and no third
# one is taken: each is refused before it leaves (relay-tls event).
# Legitimate: the same hello with a new key share arrives, and a real
# HelloRetryRequest (openssl s_server -groups P-256 against python3's
# X25519 first share) completes through the key path.
# The end of a key-path stream (drain): bytes held when the client closed
# its socket (records waiting for their keys, an incomplete record) were
# cut with no event (relay.c at EOF). Now records waiting for keys are
# waited for (bounded by the key path's key wait and the drain) and go
# on, then the stream ends; what is still cut is evented (relay-drain:
# how many bytes and what, none of them). The incomplete record's event
# fails without rl_scan_dropped(); the late-keys case (a request written,
# the socket closed at once, DLPJAIL_TEST_KEYLOG_DELAY_MS=600) passes
# with and without the wait: the hooks answer the client's application
# key before its first application record, so no record of it waits.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay
make_ca

H="$top_srcdir/t/e2e/tls_hrr.py"
python3 "$H" srv 127.0.0.1 "$T/hrr.port" "$T/hrr.log" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/hrr.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$T/hrr.port") LOG=$T/hrr.log
J="--no-default-policy --relay --no-tls-ca --allow 127.0.0.1 --log $T/events.jsonl -q"
run() {
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" $J -- python3 "$H" "$@" 2>&1)
	sleep 0.3
}

out=$(python3 "$H" sni "$PORT" 2>&1)
sleep 0.2
check "bare: the second hello reaches the server ($out)" grep -q 'attack.io' "$LOG"

run keyshare "$PORT"
check "keyshare: the second hello with a new key share arrives ($out)" grep -q 'CH2:' "$LOG"
check "...with no refusal" sh -c "! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"
run sni "$PORT"
check "sni: a second hello naming another server never arrives ($out)" \
	sh -c "! grep -q 'attack.io' '$LOG'"
check "...a relay-tls event says why" event_has '"verdict":"deny"' 'relay-tls' \
	'after a HelloRetryRequest differs'
run alpn "$PORT"
check "alpn: a second hello with another ALPN offer never arrives ($out)" \
	sh -c "! grep -q 'bbbb' '$LOG'"
check "...a relay-tls event" event_has '"verdict":"deny"' 'relay-tls' 'HelloRetryRequest'
run third "$PORT"
check "third: a hello after the second never arrives ($out)" sh -c "! grep -q 'thirdhell' '$LOG'"
check "...a relay-tls event" event_has '"verdict":"deny"' 'relay-tls' 'no HelloRetryRequest asked'

# a real HelloRetryRequest: s_server offers P-256 only, python3 sends X25519 first
: > "$T/ss.log"
openssl s_server -accept 127.0.0.1:0 -cert "$T/pki/server.pem" -key "$T/pki/server.key" \
	-groups P-256 -tls1_3 -www -trace > "$T/ss.log" 2>&1 &
PIDS="$PIDS $!"
i=0
while ! grep -q '^ACCEPT' "$T/ss.log" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
SPORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$T/ss.log" | head -1)
: > "$T/events.jsonl"
out=$(timeout 20 "$DLPJAIL" $J -- python3 -c '
import socket, ssl, sys
c = ssl.create_default_context(cafile=sys.argv[2])
s = c.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
s.sendall(b"GET / HTTP/1.0\r\n\r\n"); d = b""
while True:
    b = s.recv(4096)
    if not b: break
    d += b
print("status", d.split(b"\r\n")[0].decode())' "$SPORT" "$T/pki/ca.pem" 2>&1)
check "python3 through a real HelloRetryRequest (key path) gets its page ($out)" \
	has "$out" 'status HTTP/1.0 200'
check "...the server saw two ClientHellos" sh -c "[ \$(grep -c 'ClientHello, Length' '$T/ss.log') -ge 2 ]"
check "...no refusal" sh -c "! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"

start_https 127.0.0.1 w
out=$(DLPJAIL_TEST_KEYLOG_DELAY_MS=600 timeout 20 "$DLPJAIL" $J -- python3 -c '
import socket, ssl, sys, time
c = ssl.create_default_context(cafile=sys.argv[2])
s = c.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
b = b"last-words-412"
s.sendall(b"POST /p HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(b) + b)
s.close(); time.sleep(2); print("closed")' "$w_PORT" "$T/pki/ca.pem" 2>&1)
sleep 0.3
check "keys late, socket closed at once: the request still arrives ($out)" grep -q 'last-words-412' "$w_LOG"
: > "$T/events.jsonl"
out=$(timeout 20 "$DLPJAIL" $J -- python3 -c '
import socket, ssl, sys, time
c = ssl.create_default_context(cafile=sys.argv[2])
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
so = c.wrap_bio(i, o, server_hostname="localhost")
while True:
    try:
        so.do_handshake(); break
    except ssl.SSLWantReadError:
        raw.sendall(o.read()); i.write(raw.recv(65536))
raw.sendall(o.read())
so.write(b"GET /half-record-412 HTTP/1.1\r\nHost: localhost\r\n\r\n")
rec = o.read()
raw.sendall(rec[:len(rec) // 2]); raw.close(); time.sleep(1); print("cut")' "$w_PORT" "$T/pki/ca.pem" 2>&1)
sleep 0.3
check "an incomplete record at the end: evented ($out)" \
	event_has '"rule":"relay-drain"' 'incomplete TLS record' '"op":"send"'
check "...and never forwarded" sh -c "! grep -q 'half-record-412' '$w_LOG'"
finish
