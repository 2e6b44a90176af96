#!/bin/sh
# 258-inbound-known: a known secret of the session coming IN is no leak
# (issue 12: "cloning a repo containing your own token fails"). With the
# user's npm token in ~/.npmrc (a known secret) and the same .npmrc
# committed to a repository: git clone over HTTPS (git-remote-https,
# libcurl-gnutls), curl (OpenSSL) and python3 downloads of it over HTTPS,
# and curl and python3 over plain HTTP (the egress relay's stream), all
# work byte for byte under dlpjail, each with a passed "recv" event that
# names the secret only redacted. Under the secretless jail (issue 15) the
# token in a download arrives as its placeholder (same length, every other
# byte as sent): the jail never learns it that way; the clone's packed
# objects are compressed and stay as they are. The same token going OUT to that allowed
# server (curl POST, python3 plain send(), one byte per send()) is still
# refused and never arrives. Inbound reads do not wait for the broker, so
# the events are checked after dlpjail has exited (it drains them first).
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v git >/dev/null || skip "git not installed"
command -v curl >/dev/null || skip "curl not installed"
make_ca

H=$T/home
mkdir -p "$H" "$T/docs" "$T/git"
NPM=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   # real format (valid CRC tail), as in 270
printf '//registry.npmjs.org/:_authToken=%s\n' "$NPM" > "$H/.npmrc"
cp "$H/.npmrc" "$T/docs/npmrc.txt"
export GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 GIT_SSL_CAINFO="$CA"
git init -q --bare "$T/git/repo.git"
git -C "$T/git/repo.git" symbolic-ref HEAD refs/heads/main
git init -q "$T/src"
cp "$H/.npmrc" "$T/src/.npmrc"
git -C "$T/src" add .npmrc
git -C "$T/src" -c user.name=t -c user.email=t@t commit -q -m "project with its .npmrc"
git -C "$T/src" push -q "$T/git/repo.git" HEAD:refs/heads/main
start_https 127.0.0.1 srv --git "$T/git" --docroot "$T/docs"
export DLP_T_SECRET=$NPM
start_http 127.0.0.1 web
unset DLP_T_SECRET
# what the plain server sends for GET /secret
printf 'error: bad token %s\n' "$NPM" > "$T/secret.want"

J="--allow 127.0.0.1 --no-canaries"
# run CMD...: under dlpjail with the fake HOME (its .npmrc: the known secret)
run() {
	HOME="$H" timeout 60 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $J -- "$@"
}

# same_shape GOT WANT: as sent, except the token became a placeholder of its shape
same_shape() {
	python3 - "$1" "$2" "$NPM" <<'PY'
import re, sys
a, b, t = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), sys.argv[3].encode()
pat = rb"npm_[A-Za-z0-9]{36}"
sys.exit(0 if len(a) == len(b) and t not in a and re.search(pat, a)
         and re.sub(pat, b"X", a) == re.sub(pat, b"X", b) else 1)
PY
}

out=$(HOME="$H" "$DLPJAIL" --show-secrets 2>&1)
check "the npm token is a known secret of the session" has "$out" '^npm_.*from ~/.npmrc:1'

# -- inbound: read as it came, evented --
run git clone -q "https://127.0.0.1:$srv_PORT/git/repo.git" "$T/clone" > "$T/git.out" 2>&1; rc=$?
check "git clone of a repository holding the user's token works (exit $rc)" \
	cmp -s "$T/clone/.npmrc" "$H/.npmrc"
run curl -sS --cacert "$CA" -o "$T/c.txt" "https://127.0.0.1:$srv_PORT/npmrc.txt" 2>&1; rc=$?
check "curl: HTTPS download of a file holding the token, read as its placeholder (exit $rc)" \
	same_shape "$T/c.txt" "$H/.npmrc"
run python3 -c "
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile='$CA')
sys.stdout.write(urllib.request.urlopen('https://127.0.0.1:$srv_PORT/npmrc.txt', context=ctx).read().decode())
" > "$T/p.txt" 2>&1; rc=$?
check "python3: HTTPS download of a file holding the token, read as its placeholder (exit $rc)" \
	same_shape "$T/p.txt" "$H/.npmrc"
run curl -sS -o "$T/h.txt" "http://127.0.0.1:$web_PORT/secret" 2>&1; rc=$?
check "curl: plain HTTP response holding the token, read as its placeholder (exit $rc)" \
	same_shape "$T/h.txt" "$T/secret.want"
run python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', $web_PORT))
s.sendall(b'GET /secret HTTP/1.0\r\nHost: x\r\n\r\n')
d = b''
while True:
    b = s.recv(7)   # small reads: many recv calls, one stream
    if not b: break
    d += b
sys.stdout.write(d.split(b'\r\n\r\n', 1)[1].decode())
" > "$T/r.txt" 2>&1; rc=$?
check "python3: plain recv() in 7-byte reads of the token, read as its placeholder (exit $rc)" \
	same_shape "$T/r.txt" "$T/secret.want"
check "the token coming in is evented: recv, passed, redacted" \
	event_has '"op":"recv"' '"verdict":"allow"' '"reason":"credential in received data' '"match":"npm_'
check "... for git (TLS plaintext) and for the plain stream" sh -c \
	"grep '\"op\":\"recv\"' '$T/events.jsonl' | grep -Eq '\"layers\":\"(relay>)?tls-plaintext' &&
	 grep '\"op\":\"recv\"' '$T/events.jsonl' | grep -q '\"layers\":\"relay'"
check "no receive was refused" sh -c "! grep '\"op\":\"recv\"' '$T/events.jsonl' | grep -q '\"verdict\":\"deny\"'"

# -- outbound: the same token to the same allowed server is still refused --
: > "$web_LOG"
run curl -sS -d "t=$NPM" "http://127.0.0.1:$web_PORT/post" > /dev/null 2>&1; rc=$?
check "curl POST of the token is refused (exit $rc)" [ "$rc" -ne 0 ]
out=$(run python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $web_PORT))
msg = b'POST /send HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n$NPM'
try:
    s.send(msg[:60]); s.send(msg[60:]); s.recv(100); print('sent')
except OSError as e: print('refused', e.errno)" 2>/dev/null)
check "python3 plain send() of the token is refused ($out)" has "$out" '^refused'
out=$(run python3 -c "
import socket
s = socket.create_connection(('127.0.0.1', $web_PORT))
msg = b'POST /drip HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n$NPM'
try:
    for i in range(len(msg)): s.send(msg[i:i+1])
    s.recv(100); print('sent')
except OSError as e: print('refused', e.errno)" 2>/dev/null)
check "python3: one byte per send() is refused ($out)" has "$out" '^refused'
check "the server never received the token" sh -c "! grep -qF '$NPM' '$web_LOG'"
check "the refusals are send events, denied" event_has '"op":"send"' '"verdict":"deny"' '"match":"npm_'
check "the event log never holds the token in clear" sh -c "! grep -qF '$NPM' '$T/events.jsonl'"
finish
