#!/bin/sh
# 396-tls12-resume: a resumed TLS 1.2 session on the key path. In the
# abbreviated handshake the server's Finished comes first, and OpenSSL
# logs the master secret only when it writes its own Finished, after it
# read the server's: a relay that held the server's record for that key
# waited 3 s and reset the session (legitimate traffic broken). Checked
# against a real `openssl s_server` (TLS 1.2 only), once with session
# tickets and once with session-id resumption (-no_ticket): curl (two URLs
# on one command line), python3 ssl (session=), node https (an agent
# without keep-alive, which caches sessions) and a GnuTLS client
# (t/tls/gtresume: GnuTLS never logs a resumed session's master secret,
# the shim hands it over) each resume on their second
# connection and it works, and a canary in the body of a POST on a resumed
# session is refused and evented redacted, found in the decrypted bytes
# (the relay read the resumed session, it did not just pass it).
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"
need_relay

make_ca
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
J="--allow 127.0.0.1 --canary $TOKEN"
CA="$T/pki/ca.pem"

# start_s_server NAME ARGS...: a TLS 1.2 s_server -www, its port in ${NAME}_PORT
start_s_server() {
	name=$1
	shift
	openssl s_server -accept 127.0.0.1:0 -cert "$T/pki/server.pem" -key "$T/pki/server.key" \
		-tls1_2 -www "$@" > "$T/$name.log" 2>&1 < /dev/null &
	PIDS="$PIDS $!"
	i=0
	while ! grep -q '^ACCEPT' "$T/$name.log" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	p=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\)$/\1/p' "$T/$name.log" | head -n 1)
	[ -n "$p" ] || { echo "cannot start openssl s_server"; exit 99; }
	eval "${name}_PORT=$p"
}
start_s_server tick
start_s_server sid -no_ticket

relay_found() {
	event_has '"detector":"canary"' '"action":"blocked"' '"layers":"relay>tls-plaintext'
}

cat > "$T/py.py" <<PY
import socket, ssl, sys
port, last = int(sys.argv[1]), sys.argv[2].encode()
ctx = ssl.create_default_context(cafile="$CA")
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
def one(req, session=None):
    s = ctx.wrap_socket(socket.create_connection(("localhost", port)),
                        server_hostname="localhost", session=session)
    reused = s.session_reused
    try:
        s.sendall(req)
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError as e:
        got = b"error " + str(e).encode()
    sess = s.session
    s.close()
    return reused, got, sess
_, got, sess = one(b"GET / HTTP/1.0\r\n\r\n")
print("first", got.split(b"\r\n")[0].decode())
reused, got, _ = one(b"GET / HTTP/1.0\r\n\r\n", sess)
print("second reused=%s %s" % (reused, got.split(b"\r\n")[0].decode()))
body = b"token=" + last
reused, got, _ = one(b"POST / HTTP/1.0\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body),
                     sess)
print("third reused=%s %s" % (reused, got.split(b"\r\n")[0].decode()))
PY

cat > "$T/n.js" <<JS
const https = require('https'), fs = require('fs');
const port = +process.argv[2], last = process.argv[3];
const agent = new https.Agent({ keepAlive: false });
const opts = { host: 'localhost', port, ca: fs.readFileSync('$CA'), agent,
	maxVersion: 'TLSv1.2' };
// the body is written once the handshake is done: a write that drives the
// handshake is scanned by the shim's plaintext gate first (the session is
// not known to be decrypted yet), and this test is about the relay
function one(method, body, next) {
	const r = https.request({ ...opts, method, path: '/' }, res => {
		console.log(method + ' reused=' + res.socket.isSessionReused() + ' ' + res.statusCode);
		res.resume();
		res.on('end', () => setTimeout(next, 50));
	});
	r.on('socket', s => s.once('secureConnect', () => {
		console.log(method + ' connected reused=' + s.isSessionReused());
		r.end(body);
	}));
	r.on('error', e => { console.log(method + ' error ' + e.message); next(); });
}
one('GET', '', () => one('GET', '', () => one('POST', 'token=' + last, () => {})));
JS

for m in tick sid; do
	eval "P=\$${m}_PORT"
	U="https://localhost:$P"
	: > "$T/events.jsonl"
	# curl: two URLs, one command line (the second resumes)
	out=$(jail $J -- curl -sS -v --cacert "$CA" --tls-max 1.2 -o /dev/null -o /dev/null \
		-w '%{http_code}\n' "$U/" "$U/" 2>&1)
	check "$m: curl resumed the second session" has "$out" 'SSL re-using session ID'
	check "$m: curl: both sessions got an answer" \
		[ "$(printf '%s\n' "$out" | grep -c '^200$')" = 2 ]
	check "$m: curl: no session waited in vain for its keys" \
		sh -c "! grep -q 'never came' '$T/events.jsonl'"
	# curl: a GET, then a POST with a canary on the resumed session
	# (options hold per URL only up to "next")
	o=$(printf 'cacert = "%s"\ntls-max = "1.2"\nverbose\nsilent\nshow-error' "$CA")
	printf 'url = "%s/"\noutput = "/dev/null"\n%s\nnext\nurl = "%s/"\ndata = "token=%s"\n%s\n' \
		"$U" "$o" "$U" "$TOKEN" "$o" > "$T/k"
	: > "$T/events.jsonl"
	out=$(jail $J -- curl -K "$T/k" 2>&1)
	check "$m: curl: the POST rode a resumed session" has "$out" 'SSL re-using session ID'
	check "$m: curl: its canary is refused" has "$out" 'dlpjail: blocked TLS send to localhost'
	check "$m: curl: found by the relay in the resumed session's plaintext" relay_found

	: > "$T/events.jsonl"
	out=$(jail $J -- python3 "$T/py.py" "$P" "$TOKEN" 2>&1)
	check "$m: python3: the second session resumed and got an answer ($out)" \
		has "$out" '^second reused=True HTTP/1.0 200 ok'
	check "$m: python3: the POST on a resumed session is refused" \
		has "$out" '^third reused=True (error|$)'
	check "$m: python3: found by the relay in the resumed session's plaintext" relay_found
	check "$m: python3: no session waited in vain for its keys" \
		sh -c "! grep -q 'never came' '$T/events.jsonl'"

	if command -v node >/dev/null; then
		: > "$T/events.jsonl"
		out=$(jail $J -- node "$T/n.js" "$P" "$TOKEN" 2>&1)
		check "$m: node: the second session resumed and got an answer ($out)" \
			has "$out" '^GET reused=true 200'
		check "$m: node: the POST rode a resumed session" \
			has "$out" '^POST connected reused=true'
		check "$m: node: ... and is refused" has "$out" '^POST error'
		check "$m: node: found by the relay in the resumed session's plaintext" relay_found
		check "$m: node: no session waited in vain for its keys" \
			sh -c "! grep -q 'never came' '$T/events.jsonl'"
	fi
	# GnuTLS (3.7) never logs CLIENT_RANDOM for a resumed TLS 1.2 session:
	# the shim hands over the resumed master secret (hook_gnutls.c)
	if [ -x "$top_builddir/t/tls/gtresume" ]; then
		: > "$T/events.jsonl"
		# in the sanitizer build gtresume is ASan-linked, and the shim's
		# preload comes before ASan's runtime: let ASan accept that order
		out=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		      jail $J -- "$top_builddir/t/tls/gtresume" "$P" "$CA" GET "token=$TOKEN" 2>&1)
		check "$m: gnutls: the second session resumed and got an answer ($out)" \
			sh -c "printf '%s\n' \"\$1\" | grep -A1 '^connected resumed=1' |
				grep -q '^got HTTP/1.0 200 ok'" - "$out"
		check "$m: gnutls: the POST on a resumed session is refused" \
			has "$out" 'dlpjail: blocked TLS send to localhost'
		check "$m: gnutls: found by the relay in the resumed session's plaintext" relay_found
		check "$m: gnutls: no session waited in vain for its keys" \
			sh -c "! grep -q 'never came' '$T/events.jsonl'"
	fi
	check "$m: the event log never holds the token in clear" no_token "$T/events.jsonl"
done
finish
