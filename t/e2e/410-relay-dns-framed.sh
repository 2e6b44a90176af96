#!/bin/sh
# 410-relay-dns-framed: DNS over TCP framing inside allowed channels
# (branch egress-gaps4). The DNS gate judged TCP queries to port 53 only:
# a resolver on an allowed host answering on another port (plain TCP, RFC
# 7766 framing) or behind TLS on 443 (DNS over TLS framing inside the
# session's plaintext) resolved any name the jail put in a query, so
# "<hex of a token>.x.allowed.test" reached the name server behind it
# while the scanner saw no token. Before the fix each leak below reached
# the recorder (seen with rl_dns_gate()'s framing branch off); now an
# egress plaintext stream that opens with a DNS query frame
# (rl_dns_framed) has every message judged by the DNS gate: the
# exfiltration label is refused with a redacted event, for a frame written
# whole, split after its header and one byte a write, on plain TCP and on
# the key path (python3's hooked OpenSSL); an ordinary allowed name still
# arrives, and HTTP on the same ports is untouched.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay
make_ca

C="python3 $top_srcdir/t/e2e/dns_framed.py"
start_server recsrv.py 127.0.0.1 rec
python3 "$top_srcdir/t/e2e/tls_rec.py" 127.0.0.1 "$T/trec.port" "$T/trec.log" \
	"$T/pki/server.pem" "$T/pki/server.key" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/trec.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
TPORT=$(cat "$T/trec.port") TLOG=$T/trec.log
touch "$TLOG"
HEX=414b49415a3751483358354c5441484a4b4c
J="--no-default-policy --relay --allow 127.0.0.1 --allow *.allowed.test --log $T/events.jsonl -q"
run() {
	: > "$rec_LOG"
	: > "$TLOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" $J -- $C "$@" 2>&1)
	sleep 0.3
}

out=$($C plain "$rec_PORT" "$CA" whole "$HEX.x.allowed.test" 2>&1)
sleep 0.2
check "bare: the framed query reaches the recorder ($out)" grep -q "$HEX" "$rec_LOG"

for how in whole split bytes; do
	run plain "$rec_PORT" "$CA" $how www.allowed.test "$HEX.x.allowed.test"
	check "plain $how: the exfiltration label never arrives ($out)" \
		sh -c "! grep -q '$HEX' '$rec_LOG'"
	[ $how = whole ] && check "plain $how: refused at the second query" has "$out" 'refused at 2'
	check "plain $how: a deny event for the query" \
		event_has '"verdict":"deny"' '"op":"resolve"' 'allowed.test'
	check "...the name shown redacted" sh -c "! grep -q '$HEX' '$T/events.jsonl'"
	run tls "$TPORT" "$CA" $how www.allowed.test "$HEX.x.allowed.test"
	check "TLS key path $how: the exfiltration label never arrives ($out)" \
		sh -c "! grep -q '$HEX' '$TLOG'"
	[ $how = whole ] &&
		check "TLS key path $how: refused at the second query" has "$out" 'refused at 2'
	# one byte a record: the name would leave before it is whole (refused)
	[ $how = bytes ] && check "TLS key path $how: refused as a DNS message past its record" \
		event_has '"verdict":"deny"' 'relay-tls' 'past its TLS record'
	[ $how = bytes ] ||
		check "TLS key path $how: a deny event for the query" \
			event_has '"verdict":"deny"' '"op":"resolve"' 'allowed.test'
	check "...the name shown redacted" sh -c "! grep -q '$HEX' '$T/events.jsonl'"
done

run plain "$rec_PORT" "$CA" whole www.allowed.test api.allowed.test
check "plain: ordinary allowed names arrive ($out)" has "$out" 'sent 2'
check "...both in the recorder" sh -c "grep -q 'api' '$rec_LOG' && ! grep -q deny '$T/events.jsonl'"
run tls "$TPORT" "$CA" split www.allowed.test api.allowed.test
check "TLS key path: ordinary allowed names arrive ($out)" has "$out" 'sent 2'
check "...both in the recorder" sh -c "grep -q 'api' '$TLOG'"
run tls "$TPORT" "$CA" whole www.other.test
check "TLS key path: a name the policy does not allow is refused ($out)" has "$out" 'refused at 1'
: > "$rec_LOG"
out=$(timeout 20 "$DLPJAIL" $J -- python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", '"$rec_PORT"'))
s.sendall(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n"); print(s.recv(9))' 2>&1)
check "plain HTTP on the same port arrives ($out)" grep -q 'GET /x' "$rec_LOG"

# CA path (static Go: its own TLS, no hook)
if command -v go >/dev/null; then
	(cd "$T" && cp "$top_srcdir/t/e2e/dns_framed_go.go" . &&
	 CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o godot dns_framed_go.go) ||
		{ echo "cannot build dns_framed_go.go"; exit 99; }
	G="--upstream-ca $T/pki/ca.pem"
	: > "$TLOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" $J $G -- "$T/godot" "$TPORT" www.allowed.test \
		"$HEX.x.allowed.test" 2>&1)
	sleep 0.3
	check "Go DNS over TLS (CA path): the exfiltration label never arrives ($out)" \
		sh -c "! grep -q '$HEX' '$TLOG'"
	check "...refused at the second query" has "$out" 'refused at 2'
	check "...a deny event, the name redacted" sh -c "grep -q '\"verdict\":\"deny\"' \
		'$T/events.jsonl' && ! grep -q '$HEX' '$T/events.jsonl'"
	: > "$TLOG"
	out=$(timeout 20 "$DLPJAIL" $J $G -- "$T/godot" "$TPORT" www.allowed.test api.allowed.test 2>&1)
	sleep 0.3
	check "Go DNS over TLS (CA path): ordinary allowed names arrive ($out)" has "$out" 'sent 2'
	check "...in the recorder" grep -q api "$TLOG"
else
	echo "# no go toolchain: the CA-path half skipped"
fi
finish
