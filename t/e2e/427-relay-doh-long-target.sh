#!/bin/sh
# 427-relay-doh-long-target: DNS over HTTPS with name= past the first KiB of
# the request target (branch egress-gaps5). A GET whose Accept header asks
# for DNS JSON has its name= judged from the target the glue keeps
# (req_target, 1 KiB): "?pad=<1100 bytes>&name=<hex of a token>.x.allowed.test"
# reached the resolver unjudged. Now such a request (target cut, Accept
# asking for DNS) is refused; a short one is judged as before (an allowed
# name arrives, a hex one is refused), and a long target without a DNS
# Accept header is ordinary HTTP.
. "$(dirname "$0")/lib.sh"
need_relay

start_server recsrv.py 127.0.0.1 rec
HEX=414b49415a3751483358354c5441484a4b4c
J="--no-default-policy --relay --allow 127.0.0.1 --allow *.allowed.test --log $T/events.jsonl -q"
get() {
	: > "$rec_LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" $J -- python3 -c '
import socket, sys
pad, name, acc = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t = "/r?pad=" + "p" * pad + "&name=" + name
s = socket.create_connection(("127.0.0.1", '"$rec_PORT"'), timeout=5)
h = "Accept: %s\r\n" % acc if acc else ""
s.sendall(("GET %s HTTP/1.1\r\nHost: h\r\n%s\r\n" % (t, h)).encode())
try:
    print("sent" if s.recv(9) else "refused")
except OSError as e:
    print("refused", e)' "$@" 2>&1)
	sleep 0.3
}

get 1100 "$HEX.x.allowed.test" application/dns-json
check "long target: the name past the first KiB never arrives ($out)" \
	sh -c "! grep -q '$HEX' '$rec_LOG'"
check "...refused as DNS over HTTPS, an event" event_has '"verdict":"deny"' 'over 1 KiB'
get 10 "$HEX.x.allowed.test" application/dns-json
check "short target: the hex name is refused ($out)" sh -c "! grep -q '$HEX' '$rec_LOG'"
get 10 www.allowed.test application/dns-json
check "short target: an allowed name arrives ($out)" grep -q 'www.allowed.test' "$rec_LOG"
get 1100 www.allowed.test ""
check "long target without a DNS Accept header arrives ($out)" grep -q 'www.allowed.test' "$rec_LOG"
finish
