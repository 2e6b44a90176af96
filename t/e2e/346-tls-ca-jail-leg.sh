#!/bin/sh
# 346-tls-ca-jail-leg: the CA path's leg to the jail speaks TLS 1.2 with a
# client that offers it (broker/relay/relay_mitm.c mitm_offers_tls12: a
# resumed TLS 1.2 session needs no key exchange on either side, and one
# session serves a client's parallel connections), TLS 1.3 with a client
# that offers nothing older; upstream stays TLS 1.3. Both ways: resumed on
# the second connection, no downgrade sentinel (Go's client checks it and
# would refuse the session), HTTP/2 over it, and a canary in a header or
# a gzip body still refused and never at the server; a ticket of one name
# offered for another is never taken (also in 340, which now runs on TLS 1.2).
# To see it fail: drop the cap in mitm_hello_cb ("1.3" comes back where
# "1.2" is expected), cap every client (the TLS 1.3-only one fails), or
# cap without the suite check (the RSA-suites client fails).
. "$(dirname "$0")/lib.sh"
dns_sandbox
. "$top_srcdir/t/tls/lib-tls.sh"

TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
need_relay
command -v go >/dev/null || skip "no go toolchain (Debian: golang-go)"
command -v openssl >/dev/null || skip "openssl not installed"
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/pki" "DNS:*.allowed.test" ||
	{ echo "cannot make test certificates"; exit 99; }
(cd "$T" && cp "$top_srcdir/t/tls/h2d.go" "$top_srcdir/t/tls/tlsca_client.go" . &&
 GO111MODULE=off timeout 120 go build -o h2d h2d.go &&
 CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o gostatic tlsca_client.go) ||
	{ echo "cannot build the Go helpers"; exit 99; }
mkdir -p "$T/save"
"$T/h2d" 127.0.0.1 "$T/port" "$T/srv.log" "$T/pki/server.pem" "$T/pki/server.key" "$T/save" \
	2>/dev/null &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/port" ] || { echo "cannot start h2d"; exit 99; }
touch "$T/srv.log"
U="https://www.allowed.test:$(cat "$T/port")"
J="--allow *.allowed.test --allow 127.0.0.1 --canary $TOKEN --upstream-ca $T/pki/ca.pem"

# a client that offers TLS 1.2 and 1.3 (Go's default): 1.2, resumed
out=$(timeout 30 "$DLPJAIL" --no-default-policy -v -v $J -- "$T/gostatic" versions "$U/v" 3 \
      2> "$T/v12.err")
hs=$(grep 'CA path handshakes' "$T/v12.err")
check "TLS 1.2 offered: the jail leg speaks it, resumed from the second connection ($out)" \
	has "$out" '^1\.2:false 1\.2:true 1\.2:true$'
check "... the relay counts 1 full, 2 resumed on the jail leg ($hs)" \
	has "$hs" 'jail leg 1 full, 2 resumed'
# a client that refuses anything below TLS 1.3 is still served, in 1.3
out=$(TLSCA_MIN13=1 timeout 30 "$DLPJAIL" --no-default-policy -q $J -- "$T/gostatic" versions \
      "$U/v" 3 2>&1)
check "TLS 1.3 only: the jail leg speaks 1.3, resumed too ($out)" \
	has "$out" '^1\.3:false 1\.3:true 1\.3:true$'
# TLS 1.2 offered, but only with an RSA suite there (our leaf is ECDSA):
# capped to 1.2 it would find no common suite; it keeps 1.3
out=$(TLSCA_RSA12=1 timeout 30 "$DLPJAIL" --no-default-policy -q $J -- "$T/gostatic" versions \
      "$U/v" 2 2>&1)
check "TLS 1.2 offered with RSA suites only: the jail leg stays 1.3 ($out)" \
	has "$out" '^1\.3:false 1\.3:true$'
out=$(timeout 30 "$DLPJAIL" --no-default-policy -q $J -- "$T/gostatic" get "$U/hello" 2>&1)
check "HTTP/2 over the TLS 1.2 jail leg ($out)" has "$out" '^HTTP/2.0 200 hello'
# what the jail sends is scanned as before, either version
for min in "" 1; do
	v=${min:+1.3}
	for mode in header gzip; do
		: > "$T/events.jsonl"
		out=$(TLSCA_MIN13=$min timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" \
		      $J -q -- "$T/gostatic" $mode "$U/x" "$TOKEN" 2>&1)
		sleep 0.1
		check "TLS ${v:-1.2} jail leg: canary in a $mode refused ($(echo $out | cut -c1-50))" \
			event_has '"detector":"canary"' '"action":"blocked"' '"layers":"relay:tls-ca'
		check "TLS ${v:-1.2} jail leg: canary in a $mode never at the server" no_token "$T/srv.log"
	done
done
# an attacker's client offers the TLS 1.2 session of one name for another
out=$(timeout 30 "$DLPJAIL" --no-default-policy -v -v $J -- "$T/gostatic" resume-any "$U/hello" \
      "https://other.allowed.test:$(cat "$T/port")/hello" "$U/hello" 2> "$T/any.err")
hs=$(grep 'CA path handshakes' "$T/any.err")
check "TLS 1.2 session of www offered for other: full handshake; www again: resumed ($out)" \
	has "$out" '^resumed false false true'
check "... jail leg 2 full, 1 resumed ($hs)" has "$hs" 'jail leg 2 full, 1 resumed'
finish
