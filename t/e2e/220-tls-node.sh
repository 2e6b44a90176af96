#!/bin/sh
# 220-tls-node: node carries OpenSSL inside its executable, so LD_PRELOAD
# cannot interpose SSL_write; the shim patches node's exported entry points
# at start-up (hook_node.c). node https and npm (against a fake registry
# served over HTTPS) are judged on plaintext: a canary in a header, query
# or JSON body is refused, a response carrying one is reported (not refused), clean
# uploads/downloads and `npm view`/`npm install` work byte for byte.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v node >/dev/null || skip "node not installed"
nm -D "$(command -v node)" 2>/dev/null | grep -q ' T SSL_write$' || skip "this node does not carry its own OpenSSL"

make_ca
mkdir -p "$T/saved" "$T/docs" "$T/pkg"
head -c 300000 /dev/urandom > "$T/docs/blob.bin"
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
printf 'error: your token %s is invalid\n' "$TOKEN" > "$T/leak.txt"
start_https 127.0.0.1 w4 --save "$T/saved" --docroot "$T/docs" --leak "$T/leak.txt"
start_https ::1 w6 --save "$T/saved"
export NODE_EXTRA_CA_CERTS="$CA"
J="--allow 127.0.0.1 --allow ::1 --canary $TOKEN"

# node_req METHOD HOST PORT PATH [BODY] [HEADER_JSON]: prints "status body" or "blocked CODE"
node_req() {
	jail $J -- node -e "
const https = require('https');
const r = https.request({host: '$2', port: $3, path: '$4', method: '$1', servername: 'localhost',
	headers: ${6:-{\}}}, res => {
	let d = ''; res.on('data', c => d += c);
	res.on('end', () => console.log(res.statusCode, d.trim()));
	res.on('error', e => console.log('blocked', e.code));
});
r.on('error', e => console.log('blocked', e.code));
r.end('${5:-}');" 2>/dev/null
}

out=$(node_req POST localhost "$w4_PORT" /json "{\"t\":\"$TOKEN\"}")
check "node https: canary in a JSON body is blocked (write error)" has "$out" '^blocked EPROTO'
check "node https: the event is a TLS-plaintext canary block" \
	event_has '"exe":"/usr/bin/node"' '"op":"send"' '"detector":"canary"' '"layers":"tls-plaintext' '"action":"blocked"'
out=$(node_req GET localhost "$w4_PORT" /h '' "{'authorization': 'Bearer $TOKEN'}")
check "node https: canary in a header is blocked" has "$out" '^blocked'
out=$(node_req GET localhost "$w4_PORT" "/q?token=$TOKEN")
check "node https: canary in a query string is blocked" has "$out" '^blocked'
out=$(node_req POST ::1 "$w6_PORT" /v6 "x=$TOKEN")
check "node https over ::1: canary is blocked" has "$out" '^blocked'
out=$(node_req GET localhost "$w4_PORT" /leak)
check "node https: a response carrying a canary is read ($out)" has "$out" '^200'
check "node https: the canary is a recv event, allowed" \
	event_has '"exe":"/usr/bin/node"' '"op":"recv"' '"verdict":"allow"' '"rule":"received"'

check "no server received the token" no_token "$w4_LOG" "$w6_LOG"

out=$(jail $J -- node -e "
const https = require('https'), fs = require('fs');
const up = fs.readFileSync('$T/docs/blob.bin');
const r = https.request({host: 'localhost', port: $w4_PORT, path: '/save/node.bin', method: 'POST'}, res => {
	let d = ''; res.on('data', c => d += c); res.on('end', () => {
		https.get({host: 'localhost', port: $w4_PORT, path: '/blob.bin'}, res2 => {
			const parts = []; res2.on('data', c => parts.push(c));
			res2.on('end', () => console.log(d.trim(), Buffer.concat(parts).equals(up)));
		});
	});
});
r.end(up);" 2>&1)
check "node https: clean 300 KB upload and download succeed" [ "$out" = "got 300000 true" ]
check "node https: the upload arrived byte for byte" cmp -s "$T/docs/blob.bin" "$T/saved/node.bin"

# -- npm against a fake registry --
if command -v npm >/dev/null; then
	printf 'module.exports = "dlp demo ok";\n' > "$T/pkg/index.js"
	printf '{"name":"dlp-demo","version":"1.0.0","main":"index.js"}\n' > "$T/pkg/package.json"
	mkdir -p "$T/docs/dlp-demo/-"
	(cd "$T/pkg" && tar -czf "$T/docs/dlp-demo/-/dlp-demo-1.0.0.tgz" --transform 's,^\.,package,' .)
	sha1=$(sha1sum "$T/docs/dlp-demo/-/dlp-demo-1.0.0.tgz" | cut -d' ' -f1)
	integ="sha512-$(openssl dgst -sha512 -binary "$T/docs/dlp-demo/-/dlp-demo-1.0.0.tgz" | base64 -w0)"
	REG="https://localhost:$w4_PORT/"
	cat > "$T/docs/dlp-demo.json" <<JSON
{"name":"dlp-demo","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":"dlp-demo","version":"1.0.0","main":"index.js","dist":{"tarball":"${REG}dlp-demo/-/dlp-demo-1.0.0.tgz","shasum":"$sha1","integrity":"$integ"}}}}
JSON
	NPM="npm --registry=$REG --cafile=$CA --cache=$T/npmcache --no-update-notifier --no-audit --no-fund"
	out=$(jail $J -- $NPM view dlp-demo version 2>/dev/null)
	check "npm view against the HTTPS registry works" [ "$out" = "1.0.0" ]
	mkdir -p "$T/proj"
	printf '{"name":"proj","version":"1.0.0"}\n' > "$T/proj/package.json"
	out=$(cd "$T/proj" && jail $J -- $NPM install dlp-demo 2>&1); rc=$?
	check "npm install from the HTTPS registry works" [ "$rc" -eq 0 ]
	check "npm install: the package arrived byte for byte" cmp -s "$T/pkg/index.js" "$T/proj/node_modules/dlp-demo/index.js"
	out=$(jail $J -- $NPM "--//localhost:$w4_PORT/:_authToken=$TOKEN" --cache="$T/npmcache2" view dlp-demo version 2>&1); rc=$?
	check "npm with a canary auth token fails" [ "$rc" -ne 0 ] || printf "%s\n" "$out" | tail -5
	check "npm: stderr says dlpjail blocked the TLS send" has "$out" 'dlpjail: blocked TLS send'
	check "npm: the registry never received the token" no_token "$w4_LOG"
fi
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
