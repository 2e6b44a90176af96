#!/bin/sh
# 426-tls-ech-hello: a ClientHello with encrypted_client_hello (ECH,
# 0xfe0d) on the key path (branch egress-gaps5). The hooked library's keys
# would decrypt the session, but the server it reaches is named only in
# the encrypted inner hello: the server-name gate and the home binding
# judged the outer name (a front's), the inner one travelled unjudged.
# Now such a hello is refused before it leaves (tls_dec.c rl_ch_ech, a
# relay-tls event). The same hello without ECH still goes the key path.
# (The CA path terminates TLS: its upstream hello never carries ECH, an
# event relay-ech says so; a blind host's hello with ECH is refused.)
. "$(dirname "$0")/lib.sh"
need_relay

start_server recsrv.py 127.0.0.1 rec
J="--no-default-policy --relay --no-tls-ca --allow 127.0.0.1 --log $T/events.jsonl -q"
run() {
	: > "$rec_LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" $J -- python3 "$top_srcdir/t/e2e/tls_ech.py" "$@" 2>&1)
	sleep 0.3
}

out=$(python3 "$top_srcdir/t/e2e/tls_ech.py" ech "$rec_PORT" 2>&1)
sleep 0.2
check "bare: the ECH hello reaches the server ($out)" grep -q 'ECHINNER' "$rec_LOG"

run ech "$rec_PORT"
check "ech: the hello never arrives ($out)" sh -c "! grep -q 'ECHINNER' '$rec_LOG'"
check "...a relay-tls event names ECH" event_has '"verdict":"deny"' 'relay-tls' \
	'encrypted_client_hello'
run plain "$rec_PORT"
check "plain: the same hello without ECH arrives on the key path ($out)" \
	grep -q 'localhost' "$rec_LOG"
# (the recorder's plain "ok" answer is then refused as no TLS record)
check "...no ECH refusal" sh -c "! grep -q 'encrypted_client_hello' '$T/events.jsonl'"
finish
