#!/bin/sh
# 020-canary-post: a canary token in a plain HTTP body is blocked before it
# leaves (curl, python3, node), the server never sees it, the event shows
# it only redacted; a clean body goes through byte for byte. A canary or
# your own token in a response is reported, never refused. Plain TCP is
# the egress relay's (the shim sends none of it under the relay): the
# program sees its connection reset, stderr names the destination.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 web
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
J="--allow 127.0.0.1 --canary $TOKEN"

out=$(jail $J -- curl -s -S -d "token=$TOKEN" "http://127.0.0.1:$web_PORT/curl" 2>&1); rc=$?
check "curl POST with a canary fails" [ "$rc" -ne 0 ]
check "stderr says dlpjail blocked the send" sh -c "printf '%s' \"\$1\" | grep -q 'dlpjail: blocked send'" _ "$out"
check "stderr shows the token only redacted" sh -c "! printf '%s' \"\$1\" | grep -q '$TOKEN'" _ "$out"

out=$(jail $J -- python3 -c "
import urllib.request
try:
    urllib.request.urlopen('http://127.0.0.1:$web_PORT/py', data=b'{\"t\":\"$TOKEN\"}')
    print('sent')
except Exception as e:
    print('blocked', type(e).__name__)" 2>/dev/null)
check "python3 urllib POST with a canary is blocked" sh -c "printf '%s' \"\$1\" | grep -q '^blocked'" _ "$out"

out=$(jail $J -- node -e "
const http=require('http');
const r=http.request({host:'127.0.0.1',port:$web_PORT,path:'/node',method:'POST'},res=>console.log('sent'));
r.on('error',e=>console.log('blocked',e.code)); r.end('x=$TOKEN');" 2>/dev/null)
# the relay resets the stream (ECONNRESET, EPIPE); --no-relay: the shim's EACCES
check "node http POST with a canary is blocked" sh -c "printf '%s' \"\$1\" | grep -Eq '^blocked (EACCES|ECONNRESET|EPIPE)'" _ "$out"

# token split over many small writes (one byte per write)
out=$(jail $J -- python3 -c "
import socket
s=socket.create_connection(('127.0.0.1',$web_PORT))
msg=b'POST /split HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n$TOKEN'
try:
    for i in range(len(msg)): s.send(msg[i:i+1])
    # the relay resets the stream at the byte that completes the token: the
    # last send may already have returned, the read of the answer fails
    if not s.recv(100): raise ConnectionResetError(104, 'reset')
    print('sent')
except OSError as e: print('blocked', e.errno)" 2>/dev/null)
check "a canary sent one byte per write is blocked ($out)" sh -c "printf '%s' \"\$1\" | grep -Eq '^blocked (13|104|32)\$'" _ "$out"

check "the server never received the token" sh -c "! grep -q '$TOKEN' '$web_LOG'"
check "the event names the canary detector" event_has '"op":"send"' '"detector":"canary"' '"action":"blocked"' "\"port\":$web_PORT"
check "the event log never holds the token in clear" sh -c "! grep -q '$TOKEN' '$T/events.jsonl'"
check "the event carries the redacted form" event_has '"match":"ghp_.*\(len=40\)"'

# a response that carries the canary is reported, not refused: received
# bytes are no leak (a cloned repository holding your own token must clone)
export DLP_T_SECRET=$TOKEN
start_http 127.0.0.1 sec
unset DLP_T_SECRET
out=$(jail $J -- curl -s -S "http://127.0.0.1:$sec_PORT/secret" 2>&1); rc=$?
check "a plain HTTP response carrying the canary is read (curl exit $rc)" [ "$rc" -eq 0 ]
check "curl got the whole response" sh -c "printf '%s' \"\$1\" | grep -q 'error: bad token ghp_'" _ "$out"
check "the response is evented as a receive, allowed, rule received" \
	event_has '"op":"recv"' '"detector":"canary"' '"verdict":"allow"' '"rule":"received"'
check "the receive event has the canary redacted" sh -c "! grep -q '$TOKEN' '$T/events.jsonl'"
out=$(jail $J -- python3 -c "
import urllib.request
try: print(urllib.request.urlopen('http://127.0.0.1:$sec_PORT/secret').read().decode().split()[0])
except Exception as e: print('refused')" 2>/dev/null)
check "python3 reads the response body" [ "$out" = error: ]

# your own token (a known secret from the environment) in a download, as in
# a cloned repository that holds it: reported, not refused; sending it out
# to that server is still refused
KNOWN=ghp_K9wn$(printf 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6' | cut -c1-32)
export DLP_T_SECRET=$KNOWN
start_http 127.0.0.1 own
unset DLP_T_SECRET
out=$(GITHUB_TOKEN=$KNOWN jail --allow 127.0.0.1 -- curl -s -S "http://127.0.0.1:$own_PORT/secret" 2>&1); rc=$?
check "a download holding your own token arrives (curl exit $rc)" [ "$rc" -eq 0 ]
check "... evented as received, allowed" event_has '"op":"recv"' '"verdict":"allow"' '"rule":"received"' "\"port\":$own_PORT"
out=$(GITHUB_TOKEN=$KNOWN jail --allow 127.0.0.1 -- curl -s -S -d "t=$KNOWN" "http://127.0.0.1:$own_PORT/up" 2>&1); rc=$?
check "... while sending that token out is refused (curl exit $rc)" [ "$rc" -ne 0 ]
check "the known token never in an event in clear" sh -c "! grep -q '$KNOWN' '$T/events.jsonl'"

BODY='clean-body-0123456789-{"a":[1,2,3]}-äöü'
out=$(jail $J -- curl -s --data-binary "$BODY" "http://127.0.0.1:$web_PORT/clean" 2>&1)
check "a clean POST goes through" [ "$out" = "got $(printf '%s' "$BODY" | wc -c)" ]
check "the clean body arrived byte for byte" grep -qF "$BODY" "$web_LOG"
finish
