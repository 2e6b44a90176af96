#!/bin/sh
# 200-tls-openssl: plaintext inside libssl (curl, python3 urllib and
# http.client) is judged without any CA on the client side: a canary in a
# header, a query string or a JSON body is refused before SSL_write
# encrypts it, over IPv4 and IPv6; a response carrying a canary is found in
# the plaintext SSL_read hands over and reported, not refused (issue 12:
# received bytes are no leak); clean uploads and downloads arrive byte for
# byte; --monitor logs and lets through.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"

make_ca
mkdir -p "$T/saved" "$T/docs"
head -c 300000 /dev/urandom > "$T/docs/blob.bin"
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
printf 'error: your token %s is invalid\n' "$TOKEN" > "$T/leak.txt"
start_https 127.0.0.1 w4 --save "$T/saved" --docroot "$T/docs" --leak "$T/leak.txt"
start_https ::1 w6 --save "$T/saved"
J="--allow 127.0.0.1 --allow ::1 --canary $TOKEN"
C="curl -sS --http1.1 --cacert $CA"
U4="https://localhost:$w4_PORT"

# -- curl (libssl) --
out=$(jail $J -- $C -H 'Content-Type: application/json' -d "{\"t\":\"$TOKEN\"}" "$U4/json" 2>&1); rc=$?
check "curl: canary in a JSON body over TLS fails" [ "$rc" -ne 0 ]
check "curl: stderr says dlpjail blocked the TLS send" has "$out" 'dlpjail: blocked TLS send to localhost'
check "curl: the failure is a write error (Permission denied)" has "$out" 'SSL_write.*Permission denied'
check "curl: the event is a TLS-plaintext canary block" \
	event_has '"op":"send"' '"detector":"canary"' '"action":"blocked"' '"layers":"tls-plaintext"' '"host":"localhost"'

out=$(jail $J -- $C -H "Authorization: Bearer $TOKEN" "$U4/hdr" 2>&1)
check "curl: canary in a request header is blocked" has "$out" 'dlpjail: blocked TLS send'
out=$(jail $J -- $C "$U4/q?a=1&token=$TOKEN&b=2" 2>&1)
check "curl: canary in a query string is blocked" has "$out" 'dlpjail: blocked TLS send'
out=$(jail $J -- $C -d "x=$TOKEN" "https://[::1]:$w6_PORT/v6" 2>&1); rc=$?
check "curl: canary over IPv6 (::1) is blocked" [ "$rc" -ne 0 ]
check "curl: IPv6 event carries the address" event_has '"op":"send"' '"ip":"::1"' '"action":"blocked"'

# -- python3 (libssl dlopen'ed by _ssl) --
PY="import ssl, sys, urllib.request, http.client
ctx = ssl.create_default_context(cafile='$CA')"
out=$(jail $J -- python3 -c "$PY
try:
    urllib.request.urlopen('$U4/py', data=b'{\"t\":\"$TOKEN\"}', context=ctx)
    print('sent')
except Exception as e:
    print('blocked', type(e).__name__)" 2>/dev/null)
check "python3 urllib: canary in a JSON body is blocked" has "$out" '^blocked'
out=$(jail $J -- python3 -c "$PY
c = http.client.HTTPSConnection('localhost', $w4_PORT, context=ctx)
try:
    c.request('GET', '/hc', headers={'X-Api-Key': '$TOKEN'}); c.getresponse().read()
    print('sent')
except OSError as e:
    print('blocked', type(e).__name__)" 2>/dev/null)
check "python3 http.client: canary in a header is blocked" has "$out" '^blocked'
out=$(jail $J -- python3 -c "$PY
c = http.client.HTTPSConnection('::1', $w6_PORT, context=ssl._create_unverified_context())
try:
    c.request('GET', '/hc6?k=$TOKEN'); c.getresponse().read()
    print('sent')
except OSError as e:
    print('blocked', type(e).__name__)" 2>/dev/null)
check "python3 http.client over ::1: canary in a query is blocked" has "$out" '^blocked'

check "no server ever received the token" no_token "$w4_LOG" "$w6_LOG"
check "the event log never holds the token in clear" no_token "$T/events.jsonl"

# -- response scanning --
out=$(jail $J -- $C "$U4/leak" 2>&1); rc=$?
check "curl: a response carrying a canary is read (exit $rc)" [ "$rc" -eq 0 ]
check "curl: the response reached the client whole" sh -c "printf '%s' \"\$1\" | grep -qF '$TOKEN'" _ "$out"
check "the canary is a recv event, allowed, rule received" \
	event_has '"op":"recv"' '"detector":"canary"' '"verdict":"allow"' '"rule":"received"'
out=$(jail $J -- python3 -c "$PY
try:
    print(urllib.request.urlopen('$U4/leak', context=ctx).read())
except Exception as e:
    print('blocked', type(e).__name__)" 2>/dev/null)
check "python3: a response carrying a canary is read" sh -c "! printf '%s' \"\$1\" | grep -q '^blocked'" _ "$out"


# -- clean traffic, byte for byte --
head -c 200000 /dev/urandom > "$T/up.bin"
out=$(jail $J -- $C --data-binary @"$T/up.bin" "$U4/save/curl.bin" 2>&1)
check "curl: a clean 200 KB upload goes through" [ "$out" = "got 200000" ]
check "curl: the upload arrived byte for byte" cmp -s "$T/up.bin" "$T/saved/curl.bin"
jail $J -- $C -o "$T/down.bin" "$U4/blob.bin" 2>/dev/null
check "curl: a clean 300 KB download arrives byte for byte" cmp -s "$T/docs/blob.bin" "$T/down.bin"
jail $J -- $C --data-binary @"$T/up.bin" "https://[::1]:$w6_PORT/save/curl6.bin" >/dev/null 2>&1
check "curl over ::1: the upload arrived byte for byte" cmp -s "$T/up.bin" "$T/saved/curl6.bin"
out=$(jail $J -- python3 -c "$PY
body = open('$T/up.bin', 'rb').read()
r = urllib.request.urlopen('$U4/save/py.bin', data=body, context=ctx).read()
d = urllib.request.urlopen('$U4/blob.bin', context=ctx).read()
print(r.decode().strip(), d == open('$T/docs/blob.bin', 'rb').read())" 2>&1)
check "python3: clean upload and download succeed" [ "$out" = "got 200000 True" ]
check "python3: the upload arrived byte for byte" cmp -s "$T/up.bin" "$T/saved/py.bin"
# keep-alive: many requests on one connection, each scanned once
out=$(jail $J -- python3 -c "$PY
c = http.client.HTTPSConnection('localhost', $w4_PORT, context=ctx)
n = 0
for i in range(50):
    c.request('POST', '/ka', body=b'x' * i); n += c.getresponse().read() == b'got %d\n' % i
print(n)" 2>&1)
check "python3: 50 keep-alive requests on one TLS connection succeed" [ "$out" = "50" ]

# -- monitor mode --
: > "$T/events.jsonl"
out=$(jail --monitor $J -- $C -d "m=$TOKEN" "$U4/save/mon.txt" 2>/dev/null)
check "monitor: the canary request goes through" [ "$out" = "got 42" ]
check "monitor: the event says it would have been blocked" event_has '"op":"send"' '"detector":"canary"' '"action":"logged"'
finish
