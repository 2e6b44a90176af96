#!/bin/sh
# 250-large-inbound: legitimate inbound traffic is never refused for its
# size or compression ratio (issue 9): a > 10 MB gzip-encoded packument and
# a > 20 MB .tgz over HTTPS arrive byte for byte under dlpjail with curl,
# python3 and node (exit 0), with at most one "scan-partial" event per
# connection; the broker stays under 64 MB. A canary inside the first MB of
# a large response (plain or gzip-encoded) is found and reported (event,
# rule "received"), not refused: received bytes are no leak (issue 12).
# What must still be refused is an outbound gzip bomb (a POST body: whole,
# chunked, mislabelled), which never reaches the server.
# The data is generated once with a fixed seed and cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/dlpjail-test/large-inbound-v2.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"
command -v node >/dev/null || skip "node not installed"
python3 -c 'import random; random.Random(1).randbytes' 2>/dev/null || skip "python3 >= 3.9 needed"

CACHE=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dlpjail-test/large-inbound-v2
TOKEN=npm_Lg9CanaryInboundQx7Vb2Nm4Kd6Hs8Jw0Pz3
GEN="$top_srcdir/t/tls/large-inbound.py"
mkdir -p "$CACHE" || skip "cannot create $CACHE"
python3 "$GEN" gen "$CACHE" "$TOKEN" || { echo "cannot generate the test data"; exit 99; }
make_ca
# the server reads the cache through links; it writes only under $T/saved
mkdir -p "$T/saved" "$T/docs"
for f in packument.json.gzenc big.tgz canary.json canary.json.gzenc; do
	ln -s "$CACHE/$f" "$T/docs/$f"
done
# the canary served under two names: plain and gzip-encoded
ln -s "$CACHE/canary.json" "$T/docs/plain-canary.json"
python3 "$GEN" serve 127.0.0.1 "$T/w.port" "$T/w.log" "$T/pki/server.pem" "$T/pki/server.key" \
	--docroot "$T/docs" --save "$T/saved" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/w.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/w.port" ] || { echo "cannot start the https server"; exit 99; }
U="https://localhost:$(cat "$T/w.port")"
J="--no-default-policy --log $T/events.jsonl --allow 127.0.0.1 --allow ::1 --canary $TOKEN"

sha() { sha256sum "$1" | cut -d' ' -f1; }
PK=$(sha "$CACHE/packument.json.gzenc")
PJ=$(sha "$CACHE/packument.json")
TG=$(sha "$CACHE/big.tgz")
check "the packument is over 10 MB gzipped" [ "$(wc -c < "$CACHE/packument.json.gzenc")" -gt 10000000 ]
check "the tarball is over 20 MB" [ "$(wc -c < "$CACHE/big.tgz")" -gt 20000000 ]

# run_jail NAME CMD...: dlpjail CMD in the background; the broker's peak RSS
# (VmHWM, kB) goes to $T/NAME.hwm, the exit status is returned
run_jail() {
	name=$1; shift
	"$DLPJAIL" $J -- "$@" > "$T/$name.out" 2>&1 &
	jp=$!
	hwm=0
	while kill -0 "$jp" 2>/dev/null; do
		v=$(awk '/^VmHWM/{print $2}' "/proc/$jp/status" 2>/dev/null)
		[ -n "$v" ] && hwm=$v
		sleep 0.1
	done
	wait "$jp"; rc=$?
	echo "$hwm" > "$T/$name.hwm"
	return $rc
}

# -- curl (OpenSSL) --
run_jail curl curl -sS --cacert "$CA" -o "$T/c.pk" "$U/packument.json" -o "$T/c.tgz" "$U/big.tgz" \
	--next -sS --cacert "$CA" --compressed -o "$T/c.pj" "$U/packument.json"
check "curl: exit 0 for the packument and the tarball" [ $? -eq 0 ]
check "curl: the gzip-encoded packument arrived byte for byte" [ "$(sha "$T/c.pk")" = "$PK" ]
check "curl: the tarball arrived byte for byte" [ "$(sha "$T/c.tgz")" = "$TG" ]
check "curl --compressed: the decoded packument is intact" [ "$(sha "$T/c.pj")" = "$PJ" ]
check "curl: nothing was refused" sh -c "! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"

# -- python3 (urllib, OpenSSL through _ssl) --
run_jail py python3 -c "
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile='$CA')
for path, out in (('packument.json', '$T/p.pk'), ('big.tgz', '$T/p.tgz')):
    with urllib.request.urlopen('$U/' + path, context=ctx) as r, open(out, 'wb') as f:
        f.write(r.read())
"
check "python3: exit 0" [ $? -eq 0 ]
check "python3: the packument arrived byte for byte" [ "$(sha "$T/p.pk")" = "$PK" ]
check "python3: the tarball arrived byte for byte" [ "$(sha "$T/p.tgz")" = "$TG" ]

# -- node (its own TLS hooks) --
run_jail node node -e "
const https = require('https'), fs = require('fs');
const ca = fs.readFileSync('$CA');
function get(path, out) {
  return new Promise((ok, ko) => https.get('$U/' + path, { ca }, (r) => {
    const w = fs.createWriteStream(out); r.pipe(w); w.on('finish', ok); r.on('error', ko);
  }).on('error', ko));
}
get('packument.json', '$T/n.pk').then(() => get('big.tgz', '$T/n.tgz'))
  .catch((e) => { console.error(e.message); process.exit(3); });
"
check "node: exit 0" [ $? -eq 0 ]
check "node: the packument arrived byte for byte" [ "$(sha "$T/n.pk")" = "$PK" ]
check "node: the tarball arrived byte for byte" [ "$(sha "$T/n.tgz")" = "$TG" ]
check "no large download was refused" sh -c "! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"
check "what was not fully scanned is logged as scan-partial, allowed, with its host" \
	event_has '"op":"recv"' '"host":"localhost"' '"verdict":"allow"' '"rule":"scan-partial"' \
	'not fully scanned: .*bytes'
n=$(grep -c '"scan-partial"' "$T/events.jsonl")
check "at most one scan-partial event per connection (6 connections, $n events)" [ "$n" -le 6 ]
for c in curl py node; do
	h=$(cat "$T/$c.hwm")
	if [ -n "${DLP_SANITIZERS:-}" ]; then
		echo "# $c: broker peak RSS $h kB under ASan: not checked (ASan's shadow memory)"
		continue
	fi
	check "$c: the broker's peak RSS stayed under 64 MB ($h kB)" [ "$h" -gt 0 -a "$h" -lt 65536 ]
done

# -- a canary in received data: found, reported, passed on --
out=$("$DLPJAIL" $J -- curl -sS --cacert "$CA" -o "$T/x.json" "$U/plain-canary.json" 2>&1); rc=$?
check "curl: a response with a canary 512 KiB into 4 MB arrives (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && cmp -s '$T/x.json' '$CACHE/canary.json'"
check "... and is logged as a canary on recv, allowed, rule received" \
	event_has '"op":"recv"' '"detector":"canary"' '"verdict":"allow"' '"rule":"received"'
out=$("$DLPJAIL" $J -- curl -sS --cacert "$CA" -o "$T/y.json" "$U/canary.json" 2>&1); rc=$?
check "curl: the same canary inside a gzip-encoded response arrives (exit $rc)" [ "$rc" -eq 0 ]
check "... and is logged with the decoded HTTP body as its layer" \
	event_has '"op":"recv"' '"detector":"canary"' '"layers":"tls-plaintext>.*(http/1:body|gzip)'
out=$("$DLPJAIL" $J -- node -e "
const https = require('https'), fs = require('fs');
https.get('$U/canary.json', { ca: fs.readFileSync('$CA') }, (r) => {
  r.on('data', () => {}); r.on('end', () => process.exit(0)); r.on('error', () => process.exit(4));
}).on('error', () => process.exit(4));" 2>&1); rc=$?
check "node: the gzip-encoded canary response arrives (exit $rc)" [ "$rc" -eq 0 ]

# -- what must still be refused --
bomb=$(wc -c < "$CACHE/bomb.gz")
out=$("$DLPJAIL" $J -- curl -sS --cacert "$CA" --http1.1 -H 'Content-Encoding: gzip' \
	-H 'Content-Type: application/json' --data-binary @"$CACHE/bomb.gz" "$U/save/bomb" 2>&1); rc=$?
check "curl: an outbound gzip bomb (POST body) is refused" [ "$rc" -ne 0 ]
check "... with a refusal event on send" event_has '"op":"send"' '"verdict":"deny"' '"rule":"scan-refused"'
check "... and the bomb never reached the server" \
	sh -c "[ ! -f '$T/saved/bomb' ] || [ \$(wc -c < '$T/saved/bomb') -lt $bomb ]"
# the attacker's variants: chunked in small writes, another TLS stack,
# and a bomb under a Content-Encoding that names something else
out=$("$DLPJAIL" $J -- curl -sS --cacert "$CA" --http1.1 -H 'Content-Encoding: gzip' \
	-H 'Transfer-Encoding: chunked' --limit-rate 2M --data-binary @"$CACHE/bomb.gz" \
	"$U/save/bomb-chunked" 2>&1); rc=$?
check "curl: a chunked outbound gzip bomb is refused" [ "$rc" -ne 0 ]
check "... and never reached the server" \
	sh -c "[ ! -f '$T/saved/bomb-chunked' ] || [ \$(wc -c < '$T/saved/bomb-chunked') -lt $bomb ]"
out=$("$DLPJAIL" $J -- python3 -c "
import ssl, urllib.request
ctx = ssl.create_default_context(cafile='$CA')
body = open('$CACHE/bomb.gz', 'rb').read()
req = urllib.request.Request('$U/save/bomb-py', data=body, headers={'Content-Encoding': 'br'})
try:
    urllib.request.urlopen(req, context=ctx); print('sent')
except Exception as e:
    print('blocked', type(e).__name__)" 2>/dev/null)
check "python3: a gzip bomb labelled 'br' is refused" has "$out" '^blocked'
check "... and never reached the server" \
	sh -c "[ ! -f '$T/saved/bomb-py' ] || [ \$(wc -c < '$T/saved/bomb-py') -lt $bomb ]"
check "the event log never holds the canary in clear" no_token "$T/events.jsonl"
check "no server log holds the canary in clear" no_token "$T/w.log"
finish
