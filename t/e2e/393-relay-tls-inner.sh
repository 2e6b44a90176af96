#!/bin/sh
# 393-relay-tls-inner: TLS channels around the relay's two TLS paths
# (branch redteam-egress4), against a loopback recorder (tls_rec.py) that
# serves TLS sessions one after another on a connection, bytes after a
# close_notify, and a CONNECT whose tunnel carries an inner TLS session.
# The leak: a static Go client (its own TLS: the CA path) sends CONNECT
# inside its outer session to an allowed host, then an inner TLS session
# carrying the token; the relay terminated the outer session and passed
# the inner ciphertext on unread. Now a ClientHello in the plaintext of a
# CA-path session is refused ("TLS inside TLS"), seen failing with
# rl_tls_inner() off (the token arrived). The same on the key path:
# python3's hooked session carrying the TLS of an unhooked stack (Go on a
# pipe) passed the shim's gate and the relay (both saw ciphertext only);
# refused now, seen failing with the key-path call off. Also checked (already refused
# before this branch, kept as regressions): python3 ssl (hooked, key path)
# resuming a session, a second session on the same TCP connection, bytes
# after close_notify, TLS inside TLS. Legitimate: a resumed TLS 1.3
# session (python3 and Go) and a plaintext CONNECT tunnel inside TLS
# still arrive.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v go >/dev/null || skip "no go toolchain (Debian: golang-go)"
need_relay
make_ca

TOKEN=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
A=ghp_cUpdx98diMhn0dH
(cd "$T" && cp "$top_srcdir/t/e2e/tls_inner_go.go" . &&
 CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o goinner tls_inner_go.go) ||
	{ echo "cannot build tls_inner_go.go"; exit 99; }
python3 "$top_srcdir/t/e2e/tls_rec.py" 127.0.0.1 "$T/rec.port" "$T/rec.log" \
	"$T/pki/server.pem" "$T/pki/server.key" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/rec.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$T/rec.port") LOG=$T/rec.log
touch "$LOG"
PY="python3 $top_srcdir/t/e2e/tls_atk.py"
J="--no-default-policy --relay --allow 127.0.0.1 --upstream-ca $T/pki/ca.pem --log $T/events.jsonl -q"

: > "$LOG"
out=$(SSL_CERT_FILE="$T/pki/ca.pem" timeout 20 "$T/goinner" tls-in-tls "$PORT" "$TOKEN" 2>&1)
sleep 0.3
check "bare: Go's inner TLS session delivers the token ($out)" sh -c "grep -q INNER: '$LOG' && grep -q '$A' '$LOG'"

: > "$LOG"
: > "$T/events.jsonl"
out=$(timeout 20 "$DLPJAIL" $J -- "$T/goinner" tls-in-tls "$PORT" "$TOKEN" 2>&1)
sleep 0.3
check "Go tls-in-tls (CA path): nothing of the inner session arrives ($out)" \
	sh -c "! grep -q INNER '$LOG' && ! grep -q '$A' '$LOG'"
check "Go tls-in-tls: evented as TLS inside TLS, blocked" \
	event_has '"action":"blocked"' '"rule":"relay-tls"' 'TLS inside TLS' "\"port\":$PORT"
check "Go tls-in-tls: no event carries the token" sh -c "! grep -q '$A' '$T/events.jsonl'"

# key path: python3's hooked session carries an unhooked stack's inner
# TLS (Go on a pipe): the shim's gate and the relay's decryption see only
# the inner ciphertext
export GOINNER="$T/goinner"
: > "$LOG"
out=$(timeout 20 $PY pipe-in-tls "$PORT" "$TOKEN" "$T/pki/ca.pem" 2>&1)
sleep 0.3
check "bare: the piped inner session delivers the token ($out)" \
	sh -c "grep -q INNER: '$LOG' && grep -q '$A' '$LOG'"
: > "$LOG"
: > "$T/events.jsonl"
out=$(timeout 20 "$DLPJAIL" $J -- $PY pipe-in-tls "$PORT" "$TOKEN" "$T/pki/ca.pem" 2>&1)
sleep 0.3
check "python3 pipe-in-tls (key path): nothing of the inner session arrives ($out)" \
	sh -c "! grep -q INNER '$LOG' && ! grep -q '$A' '$LOG'"
check "python3 pipe-in-tls: evented as TLS inside TLS, blocked" \
	event_has '"action":"blocked"' '"rule":"relay-tls"' 'TLS inside TLS'

for m in tls-in-tls two-sessions after-close resume13; do
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 30 "$DLPJAIL" $J -- $PY "$m" "$PORT" "$TOKEN" "$T/pki/ca.pem" 2>&1)
	sleep 0.3
	check "python3 $m (key path): the token never arrives ($out)" sh -c "! grep -q '$A' '$LOG'"
	check "python3 $m: refused with an event" event_has '"action":"blocked"'
	check "python3 $m: no event carries the token" sh -c "! grep -q '$A' '$T/events.jsonl'"
done

: > "$LOG"
out=$(timeout 20 "$DLPJAIL" $J -- $PY resume13-clean "$PORT" "$TOKEN" "$T/pki/ca.pem" 2>&1)
sleep 0.3
check "python3 resumed TLS 1.3 session arrives ($out)" \
	sh -c "printf %s \"\$0\" | grep -q True && grep -q world \"\$1\"" "$out" "$LOG"
: > "$LOG"
out=$(timeout 20 "$DLPJAIL" $J -- "$T/goinner" resume13 "$PORT" "$TOKEN" 2>&1)
sleep 0.3
check "Go resumed TLS 1.3 session arrives (CA path) ($out)" \
	sh -c "printf %s \"\$0\" | grep -q 'resumed true' && grep -q world \"\$1\"" "$out" "$LOG"
: > "$LOG"
out=$(timeout 20 "$DLPJAIL" $J -- "$T/goinner" connect-plain "$PORT" "$TOKEN" 2>&1)
sleep 0.3
check "Go plaintext CONNECT tunnel inside TLS arrives ($out)" sh -c "grep -q TUNNEL: '$LOG' && grep -q world '$LOG'"
finish
