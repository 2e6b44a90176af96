#!/bin/sh
# 252-inbound-bound: a received Content-Encoding gzip body is inflated for
# scanning only up to BRK_HTTP_IN_DECODED (1 MiB, broker/http/http_glue.h);
# the rest is passed byte for byte with one "not fully scanned" event
# (scan-partial; one per connection and direction, so the first reason
# shown is the engine's 64 KiB inbound rule). A canary echoed in the first
# part is still found (curl through the relay, node through its hooks); one
# past the bound arrives unreported (the limit, checked so that a change of
# the bound shows) and the response is never truncated or refused. Egress keeps decoding all of a gzip body: a
# canary 3 MiB into a gzip'd POST body is refused and never reaches the
# server. The data (about 6 MB) is generated per run in $T: the canary is
# the test's own.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"
command -v node >/dev/null || skip "node not installed"
python3 -c 'import random; random.Random(1).randbytes' 2>/dev/null || skip "python3 >= 3.9 needed"

TOKEN=npm_Ib7BoundCanaryQx3Vb9Nm2Kd5Hs1Jw8Pz4Lt
GEN="$top_srcdir/t/tls/large-inbound.py"
make_ca
mkdir -p "$T/saved" "$T/docs"
# early.json: the canary ~900 KiB in (under the bound); late.json: 3 MiB in
python3 - "$T/docs" "$TOKEN" <<'PY' || { echo "cannot generate the test data"; exit 99; }
import gzip, random, sys
d, tok = sys.argv[1], sys.argv[2].encode()
rnd = random.Random(252)
def filler(n):
    return b",".join(b'{"k":"%s"}' % rnd.randbytes(24).hex().encode() for _ in range(n // 60 + 1))
for name, at, size in (("early", 900 << 10, 2 << 20), ("late", 3 << 20, 4 << 20)):
    body = b'{"v":[' + filler(at) + b',{"token":"' + tok + b'"},' + filler(size - at) + b"]}"
    open("%s/%s.json" % (d, name), "wb").write(body)
    open("%s/%s.json.gzenc" % (d, name), "wb").write(gzip.compress(body, 6, mtime=0))
PY
python3 "$GEN" serve 127.0.0.1 "$T/w.port" "$T/w.log" "$T/pki/server.pem" "$T/pki/server.key" \
	--docroot "$T/docs" --save "$T/saved" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/w.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/w.port" ] || { echo "cannot start the https server"; exit 99; }
U="https://localhost:$(cat "$T/w.port")"
J="--no-default-policy --allow 127.0.0.1 --allow ::1 --canary $TOKEN"
sha() { sha256sum "$1" | cut -d' ' -f1; }

# -- under the bound: found --
cp "$T/events.jsonl" "$T/ev.$(date +%s%N)" 2>/dev/null; rm -f "$T/events.jsonl"
"$DLPJAIL" $J --log "$T/events.jsonl" -- curl -sS --cacert "$CA" -o "$T/e.gz" "$U/early.json" \
	>"$T/e.out" 2>&1; rc=$?
check "curl: the gzip response with a canary 900 KiB in arrives (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && cmp -s '$T/e.gz' '$T/docs/early.json.gzenc'"
check "... and the canary is found in the decoded body (recv, allowed, rule received)" \
	event_has '"op":"recv"' '"detector":"canary"' '"verdict":"allow"' '"rule":"received"' \
	'"layers":"(relay>)?tls-plaintext>.*(http/1:body|gzip)'
check "... noted as not fully scanned (one scan-partial event), not refused" \
	sh -c "grep -q '\"rule\":\"scan-partial\"' '$T/events.jsonl' && ! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"
cp "$T/events.jsonl" "$T/ev.$(date +%s%N)" 2>/dev/null; rm -f "$T/events.jsonl"
"$DLPJAIL" $J --log "$T/events.jsonl" -- node -e "
const https = require('https'), fs = require('fs');
https.get('$U/early.json', { ca: fs.readFileSync('$CA') }, (r) => {
  r.on('data', () => {}); r.on('end', () => process.exit(0)); r.on('error', () => process.exit(4));
}).on('error', () => process.exit(4));" >"$T/n.out" 2>&1; rc=$?
check "node (hooks): the early-canary response arrives (exit $rc)" [ "$rc" -eq 0 ]
check "... and its canary is found" event_has '"op":"recv"' '"detector":"canary"' '"rule":"received"'

# -- past the bound: passed whole, noted --
cp "$T/events.jsonl" "$T/ev.$(date +%s%N)" 2>/dev/null; rm -f "$T/events.jsonl"
"$DLPJAIL" $J --log "$T/events.jsonl" -- curl -sS --cacert "$CA" -o "$T/l.gz" "$U/late.json" \
	--next -sS --cacert "$CA" --compressed -o "$T/l.json" "$U/late.json" >"$T/l.out" 2>&1; rc=$?
check "curl: the 4 MB gzip response arrives byte for byte (exit $rc)" \
	sh -c "[ $rc -eq 0 ] && [ '$(sha "$T/docs/late.json.gzenc")' = \"\$(sha256sum < '$T/l.gz' | cut -d' ' -f1)\" ]"
check "curl --compressed: it decodes whole" cmp -s "$T/l.json" "$T/docs/late.json"
check "... logged as not fully scanned (scan-partial, allowed)" \
	event_has '"op":"recv"' '"verdict":"allow"' '"rule":"scan-partial"'
check "... and its canary, 2 MiB past the bound, is not looked for (the documented limit)" \
	sh -c "! grep -q '\"detector\":\"canary\"' '$T/events.jsonl'"
check "... nothing refused" sh -c "! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"

# -- egress is not bounded: a canary 3 MiB into a gzip'd POST body --
cp "$T/events.jsonl" "$T/ev.$(date +%s%N)" 2>/dev/null; rm -f "$T/events.jsonl"
"$DLPJAIL" $J --log "$T/events.jsonl" -- curl -sS --cacert "$CA" --http1.1 \
	-H 'Content-Encoding: gzip' -H 'Content-Type: application/json' \
	--data-binary @"$T/docs/late.json.gzenc" "$U/save/late" >"$T/p.out" 2>&1; rc=$?
check "curl: a gzip'd POST with a canary 3 MiB in is refused (exit $rc)" [ "$rc" -ne 0 ]
check "... with a refusal on send" event_has '"op":"send"' '"verdict":"deny"'
check "... and it never reached the server whole" \
	sh -c "[ ! -f '$T/saved/late' ] || ! cmp -s '$T/saved/late' '$T/docs/late.json.gzenc'"
check "the event logs never hold the canary in clear" no_token "$T/events.jsonl"
check "the server log never holds the canary in clear" no_token "$T/w.log"
finish
