#!/bin/sh
# 340-tls-ca: the relay's CA path (broker/relay/relay_mitm.c) for TLS
# clients no hook can read: a static Go program (crypto/tls, HTTP/2), the
# same program built with cgo (shim loaded, its TLS still unhooked), bun
# (BoringSSL) and node-forge (pure JavaScript, RSA only: --tls-ca-rsa).
# Each carries the canary in a header (Go: an HTTP/2 HPACK/Huffman header),
# a query and a gzip body (node-forge also: split over two TLS records):
# refused, never at the server; clean requests
# arrive byte for byte. A client with its own root store gets the clean
# refusal naming 'blind HOST', and works with that line; an upstream with
# an invalid certificate fails the client's handshake with an event; the
# CA key is in no file and /proc/BROKER/mem is closed to the jail; the
# session CA is trusted in the jail only (private /etc, env), the host's
# trust store untouched; TLS sessions resume on both legs, a ticket
# only for the name it was issued for, an upstream session only for the
# address that verified it. Loopback servers use the throwaway test CA, given
# to dlpjail as the "real" trust store (--upstream-ca).
# TLSCA_FLAG=--no-tls-ca runs it without the CA path: it must then fail.
. "$(dirname "$0")/lib.sh"
dns_sandbox
. "$top_srcdir/t/tls/lib-tls.sh"

TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
FLAG=${TLSCA_FLAG:-}
need_relay
command -v go >/dev/null || skip "no go toolchain (Debian: golang-go)"
command -v openssl >/dev/null || skip "openssl not installed"
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/pki" "DNS:*.allowed.test" ||
	{ echo "cannot make test certificates"; exit 99; }
sh "$top_srcdir/t/tls/mkcerts.sh" "$T/bad" "DNS:*.allowed.test" ||
	{ echo "cannot make test certificates"; exit 99; }
# Go builds go to the user's build cache: seconds after the first time
(cd "$T" && cp "$top_srcdir/t/tls/h2d.go" "$top_srcdir/t/tls/tlsca_client.go" . &&
 GO111MODULE=off timeout 120 go build -o h2d h2d.go &&
 CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o gostatic tlsca_client.go &&
 CGO_ENABLED=1 GO111MODULE=off timeout 120 go build -o gocgo tlsca_client.go) ||
	{ echo "cannot build the Go helpers"; exit 99; }

# start_h2 NAME PKI [BIND]: the Go HTTPS server (h2 + http/1.1) on 127.0.0.1
start_h2() {
	mkdir -p "$T/$1.save"
	"$T/h2d" "${3:-127.0.0.1}" "$T/$1.port" "$T/$1.log" "$T/$2/server.pem" "$T/$2/server.key" \
		"$T/$1.save" 2>/dev/null &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$1.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$1.port" ] || { echo "cannot start h2d"; exit 99; }
	touch "$T/$1.log"
}
start_h2 good pki
start_h2 bad bad
GOOD=$(cat "$T/good.port")
BAD=$(cat "$T/bad.port")
H=www.allowed.test
U="https://$H:$GOOD"
J="--allow *.allowed.test --allow 127.0.0.1 --canary $TOKEN --upstream-ca $T/pki/ca.pem $FLAG"
head -c 30000 /dev/urandom | base64 > "$T/body.txt"   # clean, no secret shapes

# attacks CLIENT LABEL CMD...: CMD with MODE and TOKEN appended (mode
# header/query/gzip) each refused, nothing at the server, event names
# the CA path and the program
attacks() {
	label=$1; shift
	for mode in header query gzip ${SPLIT:-}; do
		: > "$T/events.jsonl"
		out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $J -q -- \
		      "$@" $mode "$TOKEN" 2>&1)
		sleep 0.1
		check "$label: canary in a $mode is refused ($(echo $out | cut -c1-60))" \
			event_has '"detector":"canary"' '"action":"blocked"' '"layers":"relay:tls-ca'
		check "$label: canary in a $mode never reaches the server" no_token "$T/good.log"
	done
}

# -- static Go: HTTP/2, HPACK-coded header --
out=$(timeout 30 "$DLPJAIL" --no-default-policy -q $J -- "$T/gostatic" get "$U/hello" 2>&1)
check "static Go: a clean GET works over the CA path, HTTP/2 both sides ($out)" \
	has "$out" '^HTTP/2.0 200 hello HTTP/2.0'
out=$(timeout 30 "$DLPJAIL" --no-default-policy -q $J -- "$T/gostatic" post "$U/save/go" \
      "$T/body.txt" 2>&1)
check "static Go: a clean 40 KB POST arrives byte for byte ($out)" cmp -s "$T/body.txt" "$T/good.save/go"
attacks "static Go" "$T/gostatic" "$U/x"

# -- resumption (broker/relay/tls_resume.c): both legs resume a second
# connection to the same name; a ticket the jail got for one name, offered
# by an attacker's client for another, is never taken (a full handshake,
# the upstream verified for that name) --
out=$(timeout 30 "$DLPJAIL" --no-default-policy -v -v $J -- "$T/gostatic" resume-any "$U/hello" \
      "https://other.allowed.test:$GOOD/hello" "$U/hello" 2> "$T/resume.err")
hs=$(grep 'CA path handshakes' "$T/resume.err")
check "resumption: www (full), other with www's ticket (full), www again (resumed) ($out)" \
	has "$out" '^resumed false false true'
check "resumption: the jail leg took only the ticket of its own name ($hs)" \
	has "$hs" 'jail leg 2 full, 1 resumed'
check "resumption: upstream resumed only for the name it verified before" \
	has "$hs" 'upstream leg 2 full, 1 resumed'
# an upstream session serves only the address that verified it: a twin of
# the server on another address (10.99.0.1, same port, same name) holds its
# session ticket keys, as one operator's servers share them, and a
# certificate the trust store refuses; resuming the first server's session
# there would be a connection no certificate was checked for
"$T/h2d" 127.0.0.1 "$T/twin.port" "$T/twin.log" "$T/pki/server.pem" "$T/pki/server.key" \
	"$T/good.save" 10.99.0.1 "$T/bad/server.pem" "$T/bad/server.key" 2>/dev/null &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/twin.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
TP=$(cat "$T/twin.port" 2>/dev/null)
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" -v -v $J --allow 10.99.0.1 -- \
      "$T/gostatic" twin "https://$H:$TP/twin" 10.99.0.1 2> "$T/twin.err")
hs=$(grep 'CA path handshakes' "$T/twin.err")
check "twin: the first server answers ($(echo $out))" has "$out" '^first 200 hello'
check "twin: its twin under the same name, another address, an untrusted certificate, fails ($hs)" \
	has "$out" '^twin ERR'
check "...with the upstream certificate refused, not a resumed session" \
	event_has '"verdict":"deny"' 'invalid upstream certificate'
check "...and the request never reached it" [ "$(grep -c '^GET /twin' "$T/twin.log")" -eq 1 ]
attacks "cgo Go" "$T/gocgo" "$U/x"
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $J -q -- \
      "$T/gostatic" header "$U/h2" "$TOKEN" 2>&1)
check "static Go: the canary in an HTTP/2 header is found HPACK-decoded, proto tls" \
	event_has '"detector":"canary"' '"layers":"relay:tls-ca>http/2:header' '"exe":"[^"]*gostatic' \
	'"proto":"tls"'

# -- no --upstream-ca: the host's trust store, read on demand (tls_roots.c):
# the hashed directory first, the bundle file only for an issuer the
# directory lacks; neither: refused --
J0="--allow *.allowed.test --allow 127.0.0.1"
mkdir -p "$T/hashdir" && cp "$T/pki/ca.pem" "$T/hashdir/" && openssl rehash "$T/hashdir" 2>/dev/null ||
	c_rehash "$T/hashdir" > /dev/null 2>&1
out=$(SSL_CERT_FILE=/nonexistent SSL_CERT_DIR=/nonexistent timeout 30 "$DLPJAIL" \
      --no-default-policy -q $J0 -- "$T/gostatic" get "$U/hello" 2>&1)
check "default trust store without the test CA: the upstream is refused ($(echo $out | cut -c1-80))" \
	has "$out" 'invalid upstream certificate'
out=$(SSL_CERT_FILE="$T/pki/ca.pem" SSL_CERT_DIR=/nonexistent timeout 30 "$DLPJAIL" \
      --no-default-policy -q $J0 -- "$T/gostatic" get "$U/hello" 2>&1)
check "default trust store: a root only in the bundle file verifies ($out)" \
	has "$out" '^HTTP/2.0 200 hello'
out=$(SSL_CERT_FILE=/nonexistent SSL_CERT_DIR="$T/hashdir" timeout 30 "$DLPJAIL" \
      --no-default-policy -q $J0 -- "$T/gostatic" get "$U/hello" 2>&1)
check "default trust store: a root only in the hashed directory verifies ($out)" \
	has "$out" '^HTTP/2.0 200 hello'

# -- an address, no name (no SNI): the leaf and the upstream check are for the IP --
if ip -6 addr show dev lo 2>/dev/null | grep -q "::1" && start_h2 v6 pki ::1; then
	out=$(timeout 30 "$DLPJAIL" --no-default-policy -q $J --allow ::1 -- "$T/gostatic" post \
	      "https://[::1]:$(cat "$T/v6.port")/save/v6" "$T/body.txt" 2>&1)
	check "static Go to [::1] (no SNI, iPAddress leaf): the POST arrives ($out)" \
		cmp -s "$T/body.txt" "$T/v6.save/v6"
fi

# -- cgo Go: the shim is loaded, its TLS is not a hooked library --
out=$(timeout 30 "$DLPJAIL" --no-default-policy -q $J -- "$T/gocgo" post "$U/save/cgo" \
      "$T/body.txt" 2>&1)
check "cgo Go: a clean POST arrives byte for byte ($out)" cmp -s "$T/body.txt" "$T/good.save/cgo"

# -- bun (BoringSSL inside the binary; trusts NODE_EXTRA_CA_CERTS) --
BUN=$(command -v bun || true)
if [ -n "$BUN" ]; then
	cat > "$T/bun.js" <<'EOF'
const [url, mode, tok, file] = process.argv.slice(2);
const zlib = require('zlib');
let opt = {};
let u = url;
if (mode === 'header') opt = { headers: { 'x-token': tok } };
if (mode === 'query') u += '?t=' + tok;
if (mode === 'gzip') opt = { method: 'POST', headers: { 'content-encoding': 'gzip' },
			     body: zlib.gzipSync(Buffer.from('payload=' + tok)) };
if (mode === 'post') opt = { method: 'POST', body: require('fs').readFileSync(file) };
try { const r = await fetch(u, opt); console.log(r.status, await r.text()); }
catch (e) { console.log('ERR', e.code || e.message); process.exit(1); }
EOF
	out=$(timeout 30 "$DLPJAIL" --no-default-policy -q $J -- "$BUN" "$T/bun.js" \
	      "$U/save/bun" post - "$T/body.txt" 2>&1)
	check "bun: a clean POST arrives byte for byte ($out)" cmp -s "$T/body.txt" "$T/good.save/bun"
	attacks "bun" "$BUN" "$T/bun.js" "$U/x"
	# a client that leaves in the middle of a large response: the relay's
	# write to it is EPIPE, not SIGPIPE for dlpjail (5 tries: it is a race)
	n=0
	for i in 1 2 3 4 5; do
		out=$(timeout 30 "$DLPJAIL" --no-default-policy -q $J -- sh -c "$BUN -e \"
const r = await fetch('$U/big?bytes=50000000'); await r.body.getReader().read();
process.exit(0)\"; echo survived" 2>&1) && has "$out" '^survived' && n=$((n + 1))
	done
	check "bun leaving mid-response: dlpjail survives every time ($n of 5)" [ $n -eq 5 ]
else
	echo "# bun not installed: skipped"
fi

# -- node-forge (RSA only): refused cleanly without --tls-ca-rsa, inspected with it --
FORGE=${XDG_CACHE_HOME:-$HOME/.cache}/dlpjail-test/node-forge
if [ ! -d "$FORGE/node_modules/node-forge" ] && command -v npm >/dev/null; then
	mkdir -p "$FORGE" && timeout 120 npm install --silent --no-audit --no-fund \
		--prefix "$FORGE" node-forge@1.4.3 >/dev/null 2>&1
fi
if [ -d "$FORGE/node_modules/node-forge" ] && command -v node >/dev/null; then
	FC="$top_srcdir/t/tls/forge_client.js"
	export NODE_PATH="$FORGE/node_modules"
	out=$(timeout 30 "$DLPJAIL" --no-default-policy -q $J --tls-ca-rsa -- node "$FC" \
	      "$H" "$GOOD" get 2>&1)
	check "node-forge: a clean GET works over the CA path (RSA leaf, $out)" has "$out" '200 OK hello'
	J0=$J
	J="$J --tls-ca-rsa"
	SPLIT=split attacks "node-forge" node "$FC" "$H" "$GOOD"
	J=$J0
	: > "$T/events.jsonl"
	out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" -q $J -- node "$FC" \
	      "$H" "$GOOD" header "$TOKEN" 2>&1)
	check "node-forge without the RSA CA: its handshake fails cleanly ($out)" has "$out" '^ERR'
	check "node-forge without the RSA CA: never at the server" no_token "$T/good.log"
	# the server name travels upstream in the relay's hello: judged like a lookup
	: > "$T/events.jsonl"
	: > "$T/good.log"
	out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" -q $J -- node "$FC" \
	      exfil-nothing-secret.other.test "$GOOD" get 2>&1)
	check "a server name the policy does not allow is refused at the hello ($out)" \
		event_has '"verdict":"deny"' 'server name not allowed'
	check "... and no request reached the server" [ ! -s "$T/good.log" ]
	# the token in that name, lower-cased: the scan of the hello's raw
	# bytes (known secrets match in any case) or the name check refuses it
	: > "$T/events.jsonl"
	out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" -q $J -- node "$FC" \
	      exfil-"$(echo "$TOKEN" | tr 'A-Z_' 'a-z-')".other.test "$GOOD" get 2>&1)
	check "the token as a server name is refused at the hello ($out)" \
		event_has '"verdict":"deny"'
	check "... and no request reached the server" [ ! -s "$T/good.log" ]
	check "... and the token is in no event, in no case" \
		sh -c '! grep -qiF "$1" "$2"' _ "$(echo "$TOKEN" | tr 'A-Z_' 'a-z-')" "$T/events.jsonl"
	unset NODE_PATH
else
	echo "# node-forge not available (npm registry unreachable?): skipped"
fi

# -- a client with its own root store: clean refusal, then 'blind HOST' --
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $J -- \
      "$T/gostatic" own-roots "$U/own" "$T/pki/ca.pem" 2>&1)
check "own roots: the handshake fails (${out%%
*})" has "$out" '^ERR.*certificate'
check "own roots: stderr names the program, the host and 'blind $H'" \
	has "$out" "dlpjail: TLS client [^ ]*gostatic refused the session CA for $H.*'blind $H'"
check "own roots: the event says the same" event_has '"rule":"relay-tls-ca"' \
	'"exe":"[^"]*gostatic' "\"host\":\"$H\"" "blind $H"
printf 'blind %s\n' "$H" > "$T/blind.policy"
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $J -q -p "$T/blind.policy" \
      -- "$T/gostatic" own-roots "$U/own" "$T/pki/ca.pem" 2>&1)
check "own roots + 'blind $H': it works, uninspected ($out)" has "$out" '^HTTP/2.0 200 hello'
check "own roots + 'blind $H': the event names the line" event_has '"verdict":"allow"' \
	"\"rule\":\"blind $H \\([^)]*blind.policy:1\\)" 'passed uninspected'
printf 'blind %s\n' "*.allowed.test" > "$T/wild.policy"
out=$("$DLPJAIL" --no-default-policy -p "$T/wild.policy" -- true 2>&1)
check "'blind' takes exact names only ($out)" has "$out" 'exact host name'

# -- upstream with an invalid certificate: the client's handshake fails --
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $J -- \
      "$T/gostatic" get "https://$H:$BAD/bad" 2>&1)
check "bad upstream certificate: the client gets a handshake failure (${out%%
*})" has "$out" '^ERR.*handshake failure'
check "bad upstream certificate: event, and nothing reached the server" \
	event_has '"rule":"relay-tls-upstream"' 'invalid upstream certificate' "\"host\":\"$H\""
check "bad upstream certificate: no request at the server" sh -c "! grep -q /bad '$T/bad.log'"

# -- the CA key: in no file, not in the broker's memory for the jail (also
# without Landlock, which forbids the jail ptrace access by itself: then the
# broker being non-dumpable and the jail lacking CAP_SYS_PTRACE do) --
for ll in 0 1; do
pre=; [ $ll = 1 ] && pre="env DLPJAIL_NO_LANDLOCK=1"
out=$($pre timeout 30 "$DLPJAIL" --no-default-policy -q $J -- python3 -c '
import os, sys
try:
    open("/proc/%d/mem" % os.getppid(), "rb"); print("mem readable")
except OSError as e:
    print("mem closed", e.errno)
d = os.path.dirname(os.environ.get("NODE_EXTRA_CA_CERTS", "/nonexistent"))
keys = [f for f in os.listdir(d) if b"PRIVATE KEY" in open(os.path.join(d, f), "rb").read()]
print("keys", len(keys), "files", len(os.listdir(d)))
' 2>&1)
[ $ll = 1 ] && ll=" (no Landlock)" || ll=""
check "/proc/BROKER/mem cannot be opened from the jail$ll ($out)" has "$out" '^mem closed'
check "no private key in the session's TLS files$ll" has "$out" '^keys 0 files [1-9]'
done

# -- trusted only inside: /etc in the jail, env; the host store untouched --
SYS=/etc/ssl/certs/ca-certificates.crt
before=$(sha256sum "$SYS" 2>/dev/null)
HOSTLEN=$(stat -c %s "$SYS" 2>/dev/null || echo 0); export HOSTLEN
out=$(SSL_CERT_FILE="$T/pki/ca.pem" timeout 30 "$DLPJAIL" --no-default-policy -q $J -- sh -c '
for v in SSL_CERT_FILE NODE_EXTRA_CA_CERTS REQUESTS_CA_BUNDLE CURL_CA_BUNDLE GIT_SSL_CAINFO \
         PIP_CERT DENO_CERT CARGO_HTTP_CAINFO; do
	eval f=\$$v; [ -s "$f" ] && grep -q "BEGIN CERTIFICATE" "$f" && echo "env $v"
done
echo "own $(grep -c "BEGIN CERTIFICATE" "$SSL_CERT_FILE")"
grep -c "BEGIN CERTIFICATE" /etc/ssl/certs/ca-certificates.crt | sed "s/^/etc /"
tail -c 2000 /etc/ssl/certs/ca-certificates.crt | grep -c "BEGIN CERT" | sed "s/^/tail /"
echo "prefix $(head -c "$HOSTLEN" /etc/ssl/certs/ca-certificates.crt | sha256sum | cut -c1-64)"
' 2>&1)
check "all eight trust variables point at a bundle in the jail" \
	sh -c "[ \$(printf '%s\n' \"$out\" | grep -c '^env ') -eq 8 ]"
check "a user's SSL_CERT_FILE is kept: its roots + the session CA, no host roots" \
	has "$out" '^own 2$'
hostn=$(grep -c "BEGIN CERTIFICATE" "$SYS" 2>/dev/null || echo 0)
check "the jail's /etc bundle is the host's roots + the session CA ($hostn + 1)" \
	has "$out" "^etc $((hostn + 1))\$"
check "the jail's /etc bundle starts with the host's bundle, byte for byte" \
	has "$out" "^prefix $(head -c "$HOSTLEN" "$SYS" | sha256sum | cut -c1-64)\$"
check "the host's trust store is unchanged" [ "$before" = "$(sha256sum "$SYS" 2>/dev/null)" ]
out=$(timeout 30 "$DLPJAIL" --no-default-policy -q --no-mountns $J -- sh -c '
grep -c "BEGIN CERTIFICATE" /etc/ssl/certs/ca-certificates.crt; echo "$SSL_CERT_FILE"
echo "bundle $(grep -c "BEGIN CERTIFICATE" "$SSL_CERT_FILE")"
echo "prefix $(head -c "$HOSTLEN" "$SSL_CERT_FILE" | sha256sum | cut -c1-64)"' 2>&1)
check "--no-mountns: /etc untouched in the jail, the env still set ($(echo $out | cut -c1-60))" \
	has "$out" "^$hostn\$"
check "--no-mountns: SSL_CERT_FILE is the host's bundle byte for byte + the session CA" \
	sh -c "printf '%s\n' \"\$1\" | grep -q '^bundle $((hostn + 1))\$' &&
	printf '%s\n' \"\$1\" | grep -q '^prefix $(head -c "$HOSTLEN" "$SYS" | sha256sum | cut -c1-64)\$'" _ "$out"
out=$(timeout 30 "$DLPJAIL" --no-default-policy -q --no-mountns $J -- "$T/gostatic" get "$U/nm" 2>&1)
check "--no-mountns: static Go trusts the session CA through SSL_CERT_FILE ($out)" \
	has "$out" '^HTTP/2.0 200'
finish
