#!/bin/sh
# 205-tls-keys: the relay's key path (issue 11 item 1). Hooked libraries
# hand the broker their session keys; the relay decrypts the records it
# forwards and scans the real plaintext, so what the process writes on the
# socket itself cannot pass. Checked: curl over TLS 1.3 (AES-128, AES-256,
# ChaCha20) and TLS 1.2 (AES-GCM, ChaCha20), a gzip body, node fetch, a
# KeyUpdate both ways (openssl s_client 'K'), a pinned-certificate client
# (no CA on this path), and three attackers: plaintext and an own
# "ciphertext" record written on the socket of a real hooked session, and a
# fake ClientHello written from inside a hooked handshake (claimed, but no
# keys): none of it reaches the server.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
command -v curl >/dev/null || skip "curl not installed"
need_relay

make_ca
mkdir -p "$T/saved"
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
start_https 127.0.0.1 w4 --save "$T/saved"
J="--allow 127.0.0.1 --canary $TOKEN"
C="curl -sS --http1.1 --cacert $CA"
U="https://localhost:$w4_PORT"
head -c 100000 /dev/urandom > "$T/up.bin"

# key path event: found by the relay in decrypted bytes
relay_found() { event_has '"op":"send"' '"detector":"canary"' '"action":"blocked"' '"layers":"relay>tls-plaintext'; }

for v in "tls13 --tlsv1.3" "tls13-aes256 --tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384" \
	 "tls13-chacha --tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256" \
	 "tls12-gcm --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256" \
	 "tls12-aes256 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384" \
	 "tls12-chacha --tls-max 1.2 --ciphers ECDHE-RSA-CHACHA20-POLY1305"; do
	name=${v%% *}; opts=${v#* }
	: > "$T/events.jsonl"
	out=$(jail $J -- $C $opts "$U/q?token=$TOKEN" 2>&1)
	check "$name: a canary in the query is refused" has "$out" 'dlpjail: blocked TLS send to localhost'
	check "$name: the relay found it in the decrypted bytes" relay_found
	rm -f "$T/saved/$name.bin"
	jail $J -- $C $opts --data-binary @"$T/up.bin" "$U/save/$name.bin" >/dev/null 2>&1
	check "$name: a clean 100 KB upload arrives byte for byte" cmp -s "$T/up.bin" "$T/saved/$name.bin"
done

printf '{"token":"%s"}' "$TOKEN" | gzip > "$T/body.gz"
: > "$T/events.jsonl"
out=$(jail $J -- $C -H 'Content-Encoding: gzip' --data-binary @"$T/body.gz" "$U/gz" 2>&1)
check "gzip body: refused" has "$out" 'dlpjail: blocked TLS send'
check "gzip body: found decoded in the decrypted body" \
	event_has '"detector":"canary"' '"layers":"relay>tls-plaintext>.*(gzip|http/1:body)'

PIN=$(openssl x509 -in "$T/pki/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
      openssl dgst -sha256 -binary | base64)
out=$(jail $J -- $C --pinnedpubkey "sha256//$PIN" "$U/pinned" 2>&1)
check "a pinned-certificate client connects (nothing in the middle) ($out)" [ "$out" = hello ]

if command -v node >/dev/null; then
	: > "$T/events.jsonl"
	out=$(NODE_EXTRA_CA_CERTS="$CA" jail $J -- node -e "
fetch('$U/f', {headers: {'x-key': '$TOKEN'}}).then(r => r.text()).then(t => console.log('sent', t))
  .catch(e => console.log('blocked', e.cause ? e.cause.code : e.message));" 2>&1)
	check "node fetch: a canary in a header is refused" has "$out" 'blocked'
	check "node fetch: found by the relay" relay_found
	out=$(NODE_EXTRA_CA_CERTS="$CA" jail $J -- node -e "
fetch('$U/f').then(r => r.text()).then(t => console.log('sent', t.trim()));" 2>&1)
	check "node fetch: a clean request works ($out)" has "$out" '^sent hello'
fi

# -- KeyUpdate, both ways (s_client: K = update and request the peer's) --
mkfifo "$T/ssin"
sleep 30 > "$T/ssin" &
PIDS="$PIDS $!"
openssl s_server -accept 127.0.0.1:0 -cert "$T/pki/server.pem" -key "$T/pki/server.key" \
	-quiet < "$T/ssin" > "$T/ss.log" 2>&1 &
PIDS="$PIDS $!"
SSP=""
i=0
while [ -z "$SSP" ] && [ $i -lt 50 ]; do
	SSP=$(ss -ltnp 2>/dev/null | awk -v p="pid=$!," 'index($0, p) { split($4, a, ":"); print a[2] }')
	sleep 0.1; i=$((i + 1))
done
if [ -n "$SSP" ]; then
	: > "$T/events.jsonl"
	# s_client takes K/k as a command only when it reads it alone: each
	# step waits until the server has the line before it (a fixed sleep
	# was too short under ASan on a loaded machine).
	ss_has() { i=0; while ! grep -q "^$1\$" "$T/ss.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; }
	out=$( (printf 'clean-one\n'; ss_has clean-one; printf 'K\n'; sleep 0.3; printf 'clean-two\n'
		ss_has clean-two; printf 'k\n'; sleep 0.3; printf 'clean-three\n'; ss_has clean-three
		printf 'x=%s\n' "$TOKEN"; sleep 0.5) |
	      jail $J -- openssl s_client -connect "127.0.0.1:$SSP" -CAfile "$CA" \
		-servername localhost 2>&1)
	sleep 0.2
	check "KeyUpdate: s_client updated its keys twice" [ "$(printf '%s\n' "$out" | grep -c KEYUPDATE)" -ge 2 ]
	check "KeyUpdate: clean lines after both updates arrive" \
		sh -c "grep -q clean-two '$T/ss.log' && grep -q clean-three '$T/ss.log'"
	check "KeyUpdate: the canary after them is refused" has "$out" 'dlpjail: blocked TLS send'
	check "KeyUpdate: ... and never reaches the server" no_token "$T/ss.log"
	check "KeyUpdate: found by the relay under the updated keys" relay_found
else
	echo "# openssl s_server did not start: KeyUpdate not checked"
fi

# -- attackers --
python3 "$top_srcdir/t/tls/rawtlsd.py" "$T/raw.port" "$T/raw.log" "$T/plain.log" \
	"$T/pki/server.pem" "$T/pki/server.key" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/raw.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
RP=$(cat "$T/raw.port")
# the marker: the token XORed with 0x55, which no detector reads, so only
# "not forwarded" can keep it from the server
MARK=$(python3 -c "print(bytes(b ^ 0x55 for b in b'$TOKEN').hex())")
cat > "$T/own.py" <<PY
import os, socket, ssl, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
mark = bytes.fromhex("$MARK")
ctx = ssl.create_default_context(cafile="$CA")
s = ctx.wrap_socket(socket.create_connection(("localhost", port)), server_hostname="localhost")
s.sendall(b"clean-before\n")
s.recv(100)
if mode == "plain":
    os.write(s.fileno(), b"x=" + mark + b"\n")
else:   # a record of its own: header, then bytes that are no ciphertext of this session
    body = os.urandom(8) + mark + os.urandom(16)
    os.write(s.fileno(), b"\x17\x03\x03" + len(body).to_bytes(2, "big") + body)
time.sleep(0.3)
try:
    s.sendall(b"clean-after\n")
    print("sent", s.recv(100))
except OSError as e:
    print("refused")
PY
for mode in plain record; do
	: > "$T/raw.log"; : > "$T/plain.log"; : > "$T/events.jsonl"
	out=$(jail $J -- python3 "$T/own.py" $mode "$RP" 2>&1)
	sleep 0.2
	check "own $mode bytes after a hooked handshake: the hooked bytes went first" \
		grep -q clean-before "$T/plain.log"
	check "own $mode bytes: never forwarded (not in the server's raw bytes) ($out)" \
		sh -c "python3 -c \"import sys; sys.exit(bytes.fromhex('$MARK') in open('$T/raw.log','rb').read())\""
	check "own $mode bytes: the session is reset (nothing after it arrives)" \
		sh -c "! grep -q clean-after '$T/plain.log'"
	check "own $mode bytes: a relay-tls event says why" event_has '"rule":"relay-tls"' \
		'"action":"blocked"' '(not TLS records|does not decrypt)'
done

# a fake ClientHello from inside a hooked handshake: claimed (the thread is
# in one), but no keys ever come for it, and what follows it is refused
python3 "$top_srcdir/t/e2e/recsrv.py" 127.0.0.1 "$T/rec.port" "$T/rec.log" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/rec.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
touch "$T/rec.log"
cat > "$T/fake.py" <<PY
import os, socket, ssl, sys
mark = bytes.fromhex("$MARK")
b = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
body = b"\x03\x03" + os.urandom(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00" + b"\x00\x00"
hs = b"\x01" + len(body).to_bytes(3, "big") + body
hello = b"\x16\x03\x01" + len(hs).to_bytes(2, "big") + hs
rec = b"\x17\x03\x03" + (len(mark) + 16).to_bytes(2, "big") + mark + os.urandom(16)
done = []
def cb(conn, direction, version, ctype, mtype, data):
    if not done:
        done.append(1)
        try:
            # the relay may reset b first: the server's "ok" after the
            # forwarded hello is not a TLS record either
            os.write(b.fileno(), hello)
            os.write(b.fileno(), rec)
        except OSError:
            pass
ctx = ssl.create_default_context(cafile="$CA")
ctx._msg_callback = cb
s = ctx.wrap_socket(socket.create_connection(("localhost", int(sys.argv[1]))), server_hostname="localhost")
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
print("hooked session", s.recv(100).split(b"\r\n")[0].decode())
PY
: > "$T/events.jsonl"
out=$(jail $J -- python3 "$T/fake.py" "$w4_PORT" "$(cat "$T/rec.port")" 2>&1)
sleep 0.3
check "fake hello inside a hooked handshake: the real session works ($out)" has "$out" 'hooked session HTTP/1.. 200'
check "fake hello: what follows it never reaches the server" \
	sh -c "python3 -c \"import sys; sys.exit(bytes.fromhex('$MARK') in open('$T/rec.log','rb').read())\""
check "fake hello: refused on the key path (no keys for it)" event_has '"rule":"relay-tls"' \
	'"action":"blocked"' 'early data|keys|not TLS records'
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
