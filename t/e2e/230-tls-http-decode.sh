#!/bin/sh
# 230-tls-http-decode: the broker parses the TLS plaintext as HTTP, so a
# canary that never appears in clear on the wire is still found: inside a
# gzip or deflate request body (curl, python3), and in an HTTP/2 header
# that HPACK Huffman-coded (curl --http2 against nghttpd); HTTP/2 query
# strings and DATA frames are judged per stream; clean HTTP/2 traffic is
# intact byte for byte.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"
nm "$DLPJAIL" 2>/dev/null | grep -q brk_http_glue_scan || skip "this dlpjail has no HTTP awareness (broker/http not linked)"

make_ca
mkdir -p "$T/saved" "$T/docs"
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
start_https 127.0.0.1 w4 --save "$T/saved"
J="--allow 127.0.0.1 --allow ::1 --canary $TOKEN"
C="curl -sS --cacert $CA"
U4="https://localhost:$w4_PORT"

# -- compressed bodies (HTTP/1.1) --
printf '{"note":"padding padding padding","t":"%s"}' "$TOKEN" | gzip -c > "$T/body.gz"
check "the gzip body does not carry the token in clear" sh -c "! grep -qF '$TOKEN' '$T/body.gz'"
out=$(jail $J -- $C --http1.1 -H 'Content-Encoding: gzip' -H 'Content-Type: application/json' \
	--data-binary @"$T/body.gz" "$U4/gz" 2>&1); rc=$?
check "curl: canary inside a gzip body is blocked" [ "$rc" -ne 0 ]
check "curl: stderr says dlpjail blocked the TLS send" has "$out" 'dlpjail: blocked TLS send'
check "the event names a decoded layer (gzip sniffed, or the HTTP body)" \
	event_has '"op":"send"' '"detector":"canary"' '"layers":"(relay>)?tls-plaintext>(gzip|http/1:body)'
out=$(jail $J -- python3 -c "
import ssl, urllib.request, zlib
ctx = ssl.create_default_context(cafile='$CA')
body = zlib.compress(b'{\"k\":\"$TOKEN\"}')
req = urllib.request.Request('$U4/deflate', data=body, headers={'Content-Encoding': 'deflate'})
try:
    urllib.request.urlopen(req, context=ctx); print('sent')
except Exception as e:
    print('blocked', type(e).__name__)" 2>/dev/null)
check "python3: canary inside a deflate body is blocked" has "$out" '^blocked'
check "the deflate body was judged decoded by the HTTP layer" \
	event_has '"op":"send"' '"detector":"canary"' '"layers":"(relay>)?tls-plaintext>http/1:body"'
check "curl: a chunked upload with a canary in the second chunk is blocked" sh -c "
	(printf 'x%.0s' \$(seq 1 3000); printf '$TOKEN') | $DLPJAIL --no-default-policy --log '$T/events.jsonl' $J -- \
		$C --http1.1 -H 'Transfer-Encoding: chunked' --data-binary @- '$U4/chunked' >/dev/null 2>&1; [ \$? -ne 0 ]"
printf '{"clean":"body"}' | gzip -c > "$T/clean.gz"
out=$(jail $J -- $C --http1.1 -H 'Content-Encoding: gzip' --data-binary @"$T/clean.gz" "$U4/save/clean.gz" 2>&1)
check "curl: a clean gzip body goes through" [ "$out" = "got $(wc -c < "$T/clean.gz")" ]
check "curl: the clean gzip body arrived byte for byte" cmp -s "$T/clean.gz" "$T/saved/clean.gz"
check "no HTTP/1.1 server received the token" no_token "$w4_LOG"

# -- HTTP/2 (nghttpd, ALPN h2) --
if command -v nghttpd >/dev/null; then
	head -c 250000 /dev/urandom > "$T/docs/blob.bin"
	# port 0: nghttpd does not say which it got, ss does
	nghttpd -v -d "$T/docs" -a 127.0.0.1 0 "$T/pki/server.key" "$T/pki/server.pem" > "$T/h2.log" 2>&1 &
	PIDS="$PIDS $!"
	H2PORT=$(listen_port $!) || { echo "cannot start nghttpd"; exit 99; }
	U2="https://localhost:$H2PORT"
	C2="$C --http2"
	out=$(jail $J -- $C2 -o "$T/h2down.bin" -w '%{http_version}' "$U2/blob.bin" 2>&1)
	check "curl --http2: a clean download uses HTTP/2" [ "$out" = "2" ]
	check "curl --http2: the download arrived byte for byte" cmp -s "$T/docs/blob.bin" "$T/h2down.bin"
	out=$(jail $J -- $C2 -H "X-Api-Key: $TOKEN" "$U2/blob.bin" -o /dev/null 2>&1); rc=$?
	check "curl --http2: canary in an HPACK (Huffman) header is blocked" [ "$rc" -ne 0 ]
	check "the event names the decoded HTTP/2 header as the layer" \
		event_has '"op":"send"' '"detector":"canary"' '"layers":"(relay>)?tls-plaintext>http/2:header"'
	out=$(jail $J -- $C2 "$U2/blob.bin?token=$TOKEN" -o /dev/null 2>&1); rc=$?
	check "curl --http2: canary in the :path query is blocked" [ "$rc" -ne 0 ]
	out=$(jail $J -- $C2 -H 'Content-Type: application/json' -d "{\"t\":\"$TOKEN\"}" "$U2/blob.bin" -o /dev/null 2>&1); rc=$?
	check "curl --http2: canary in a JSON DATA frame is blocked" [ "$rc" -ne 0 ]
	out=$(jail $J -- $C2 -H 'Content-Encoding: gzip' --data-binary @"$T/body.gz" "$U2/blob.bin" -o /dev/null 2>&1); rc=$?
	check "curl --http2: canary in a gzip DATA frame is blocked" [ "$rc" -ne 0 ]
	check "nghttpd never received the token" no_token "$T/h2.log"
else
	echo "# nghttpd (nghttp2-server) not installed: HTTP/2 cases not run"
fi
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
