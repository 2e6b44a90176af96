#!/bin/sh
# 302-home-bound: a credential's home-domain exception holds only for an
# address the broker itself resolved for that home name in this session
# (issue 10 item 6). The test's DNS (dns_sandbox) maps api.github.com to
# 10.99.0.1; 127.0.0.9 is a server nobody resolved. A real-format GitHub
# token (valid CRC32, not a canary) goes to api.github.com and is refused
# when the client names api.github.com itself: TLS SNI spoofing (curl
# --resolve), a plain Host header, plain --resolve, on the hooks' path
# (--no-relay) and the relay's path (default, and static busybox wget,
# which the relay alone reads).
. "$(dirname "$0")/lib.sh"
dns_sandbox
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/pki" "DNS:api.github.com" ||
	{ echo "cannot make test certificates"; exit 99; }
start_https 0.0.0.0 web
start_http 0.0.0.0 plain

TOKEN=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   # valid CRC32 tail (245-git-push-token)
J="--allow api.github.com --allow 127.0.0.0/8 --no-canaries -q"
H="Authorization: token $TOKEN"

# arrived LOG: the token reached that server
arrived() { grep -qF "$TOKEN" "$1"; }
blocked() { event_has '"detector":"github-pat"' '"action":"blocked"' "$@"; }

for mode in relay no-relay; do
	if [ $mode = relay ]; then R=""; else R=--no-relay; fi
	: > "$web_LOG"; : > "$T/events.jsonl"
	out=$(jail $J $R -- curl -s -S --cacert "$CA" -H "$H" "https://api.github.com:$web_PORT/ok" 2>&1)
	check "$mode: TLS to the resolved api.github.com carries the token ($out)" arrived "$web_LOG"

	: > "$web_LOG"; : > "$T/events.jsonl"
	out=$(jail $J $R -- curl -s -S --cacert "$CA" -H "$H" \
	      --resolve "api.github.com:$web_PORT:127.0.0.9" "https://api.github.com:$web_PORT/spoof" 2>&1)
	check "$mode: TLS SNI api.github.com to an address nobody resolved: never arrives ($out)" \
		sh -c "! grep -qF '$TOKEN' '$web_LOG'"
	check "$mode: ... and the event names the detector" blocked

	: > "$plain_LOG"; : > "$T/events.jsonl"
	out=$(jail $J $R -- curl -s -S -H "$H" "http://api.github.com:$plain_PORT/ok" 2>&1)
	check "$mode: plain HTTP to the resolved api.github.com carries the token ($out)" \
		arrived "$plain_LOG"

	: > "$plain_LOG"; : > "$T/events.jsonl"
	out=$(jail $J $R -- curl -s -S -H "$H" -H "Host: api.github.com" \
	      "http://127.0.0.9:$plain_PORT/hostspoof" 2>&1)
	check "$mode: Host: api.github.com to 127.0.0.9: never arrives ($out)" \
		sh -c "! grep -qF '$TOKEN' '$plain_LOG'"
	check "$mode: ... and the event names the detector" blocked

	: > "$plain_LOG"; : > "$T/events.jsonl"
	out=$(jail $J $R -- curl -s -S -H "$H" --resolve "api.github.com:$plain_PORT:127.0.0.9" \
	      "http://api.github.com:$plain_PORT/resolve" 2>&1)
	check "$mode: plain --resolve api.github.com:127.0.0.9: never arrives ($out)" \
		sh -c "! grep -qF '$TOKEN' '$plain_LOG'"
	check "$mode: ... and the event names the detector" blocked
done

# node's own TLS (memory BIOs: the shim finds the socket by the client random)
if command -v node >/dev/null; then
	NJS='const https = require("https"), fs = require("fs");
const [host, sni, port, ca, tok] = process.argv.slice(1);
const r = https.request({ host, servername: sni, port, method: "POST", path: "/node",
	ca: fs.readFileSync(ca), headers: { Authorization: "token " + tok } },
	res => { res.resume(); res.on("end", () => console.log("sent")); });
r.on("error", e => console.log("blocked"));
r.end("x");'
	: > "$web_LOG"
	out=$(jail $J -- node -e "$NJS" api.github.com api.github.com "$web_PORT" "$CA" "$TOKEN" 2>/dev/null)
	check "node TLS to the resolved api.github.com carries the token ($out)" arrived "$web_LOG"
	: > "$web_LOG"; : > "$T/events.jsonl"
	out=$(jail $J -- node -e "$NJS" 127.0.0.9 api.github.com "$web_PORT" "$CA" "$TOKEN" 2>/dev/null)
	check "node TLS to 127.0.0.9 with SNI api.github.com: never arrives ($out)" \
		sh -c "! grep -qF '$TOKEN' '$web_LOG'"
	check "node: the event names the detector" blocked
fi

BB=$(command -v busybox || true)
if [ -n "$BB" ] && file -L "$BB" | grep -q 'statically linked'; then
	: > "$plain_LOG"; : > "$T/events.jsonl"
	out=$(jail $J -- "$BB" wget -q -O /dev/null --header "$H" \
	      "http://api.github.com:$plain_PORT/bb" 2>&1)
	check "static busybox (relay only): the resolved api.github.com gets the token ($out)" \
		arrived "$plain_LOG"
	: > "$plain_LOG"; : > "$T/events.jsonl"
	out=$(jail $J -- "$BB" wget -q -O /dev/null --header "$H" --header "Host: api.github.com" \
	      "http://127.0.0.9:$plain_PORT/bbspoof" 2>&1)
	check "static busybox: Host: api.github.com to 127.0.0.9 never arrives ($out)" \
		sh -c "! grep -qF '$TOKEN' '$plain_LOG'"
	check "static busybox: the relay's event names the detector" blocked '"layers":"relay'
else
	echo "# no busybox-static: skipped"
fi
check "no event shows the token" sh -c "! grep -qF '$TOKEN' '$T/events.jsonl'"
finish
