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

# the CA path: an unclaimed hello (bytes made outside the jail, sent with
# no TLS call) is terminated; upstream gets the relay's own hello
. "$top_srcdir/t/tls/lib-tls.sh"
make_ca
python3 "$top_srcdir/t/e2e/tls_rec.py" 127.0.0.1 "$T/trec.port" "$T/trec.log" \
	"$T/pki/server.pem" "$T/pki/server.key" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/trec.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
python3 "$top_srcdir/t/e2e/tls_ech.py" ech 0 "$T/ech.bin"
: > "$T/events.jsonl"
out=$(timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 --allow localhost \
	--upstream-ca "$T/pki/ca.pem" --log "$T/events.jsonl" -q -- \
	python3 "$top_srcdir/t/e2e/tls_ech.py" raw "$(cat "$T/trec.port")" "$T/ech.bin" 2>&1)
sleep 0.3
check "CA path: the ECH hello is terminated, an event says ECH is not offered upstream ($out)" \
	event_has '"verdict":"allow"' 'relay-ech' 'not offered upstream'
finish
