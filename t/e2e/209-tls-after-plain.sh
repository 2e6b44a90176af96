#!/bin/sh
# 209-tls-after-plain: TLS that starts after plaintext on a relayed
# connection (a STARTTLS-style upgrade, junk before a hello) is no way to
# send ciphertext the relay cannot read (broker/relay/tls_upgrade.c,
# relay_scan.c rl_tls_upgrade). The loopback server reads 10 plaintext
# bytes, then speaks TLS and logs every raw byte and the plaintext.
# Attacker: a static Go client (its own TLS, no hook) sends 10 bytes, then
# a TLS request carrying the canary: in the hello's write, refused with the
# "cannot be inspected" event (the CA path cannot take over bytes still to
# be sent before the hello); written 200 ms before the hello (STARTTLS
# timing), the CA path terminates it and finds the canary; without a CA
# path refused; nothing of it ever arrives. A hooked
# client (python3's ssl, the same upgrade): the relay decrypts it with the
# hooks' keys: clean bytes arrive, the canary is found in the decrypted
# plaintext and never arrives; so is curl through an HTTP CONNECT proxy.
# Plaintext that only looks like a hello split over reads is refused.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay
command -v go >/dev/null || skip "no go toolchain (Debian: golang-go)"
make_ca
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
(cd "$T" && cp "$top_srcdir/t/tls/tlsca_client.go" . &&
 CGO_ENABLED=0 GO111MODULE=off timeout 120 go build -o gostatic tlsca_client.go) ||
	{ echo "cannot build the Go helper"; exit 99; }

cat > "$T/upsrv.py" <<PY
import socket, ssl, sys, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("$T/pki/server.pem", "$T/pki/server.key")
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
open("$T/up.port", "w").write(str(ls.getsockname()[1]))
def log(name, data):
    with open("$T/" + name, "ab") as f:
        f.write(data)
def serve(c):
    try:
        pre = b""
        while len(pre) < 10:
            d = c.recv(10 - len(pre))
            if not d:
                return
            pre += d
        log("raw.log", pre)
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        t = ctx.wrap_bio(inc, out, server_side=True)
        while True:
            try:
                d = t.read(65536)
                log("plain.log", d)
                if b"\r\n\r\n" in d or b"\n" in d:
                    t.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError:
                return
            o = out.read()
            if o:
                c.sendall(o)
            d = c.recv(65536)
            if not d:
                return
            log("raw.log", d)
            inc.write(d)
    finally:
        c.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$T/upsrv.py" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/up.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
UP=$(cat "$T/up.port")

cat > "$T/starttls.py" <<PY
import socket, ssl, sys, time
port, tail = int(sys.argv[1]), sys.argv[2].encode()
ctx = ssl.create_default_context(cafile="$CA")
try:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"STARTTLS!\n")
    time.sleep(0.1)
    t = ctx.wrap_socket(s, server_hostname="localhost")
    t.sendall(b"data-" + tail + b"\n")
    print("reply", t.recv(100)[:15])
except OSError as e:
    print("refused", e)
PY

# gorun MODE FLAG: the Go client's upgrade with the canary inside TLS
gorun() {
	: > "$T/raw.log"; : > "$T/plain.log"; : > "$T/events.jsonl"
	out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" --allow 127.0.0.1 \
	      --upstream-ca "$T/pki/ca.pem" --canary "$TOKEN" ${2:-} -- \
	      "$T/gostatic" $1 "https://localhost:$UP/x" "$TOKEN" 2>&1)
	sleep 0.3
	check "own TLS after 10 plaintext bytes ($1 ${2:-with the CA path}): the canary never arrives ($(echo $out | cut -c1-80))" \
		no_token "$T/plain.log" "$T/raw.log"
}
for args in "prefix" "prefix --no-tls-ca" "prefix-wait --no-tls-ca"; do
	gorun $args
	check "...no TLS record of it reached the server" sh -c "[ \$(wc -c < '$T/raw.log') -le 10 ]"
	check "...refused with the event 'cannot be inspected', after plaintext" \
		event_has '"verdict":"deny"' '"rule":"relay-tls"' 'cannot be inspected .started after plaintext'
done
# the hello at the start of a read (the plaintext sent before): the CA path
# takes it over, terminates it and finds the canary in its plaintext
gorun prefix-wait ""
check "...the CA path read it: the canary found in its plaintext" \
	event_has '"detector":"canary"' '"layers":"relay:tls-ca'
clean=clean-tail-$(date +%s)-0123456789abcdef
for what in clean canary; do
	: > "$T/raw.log"; : > "$T/plain.log"; : > "$T/events.jsonl"
	tail=$clean
	[ $what = canary ] && tail="x=$TOKEN;"
	out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" --allow 127.0.0.1 \
	      --canary "$TOKEN" --no-tls-ca -- python3 "$T/starttls.py" "$UP" "$tail" 2>&1)
	sleep 0.3
	if [ $what = clean ]; then
		check "hooked STARTTLS: decrypted with the hooks' keys, clean bytes arrive ($out)" \
			grep -qF "data-$clean" "$T/plain.log"
	else
		check "hooked STARTTLS: the canary never arrives ($out)" no_token "$T/plain.log"
		check "hooked STARTTLS: found in the decrypted bytes" \
			event_has '"detector":"canary"' '"layers":"relay>tls-plaintext'
	fi
done
# curl (hooked OpenSSL) through an HTTP CONNECT proxy: TLS after the
# CONNECT exchange, read with the hooks' keys
cat > "$T/proxy.py" <<PY
import socket, threading
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
open("$T/proxy.port", "w").write(str(ls.getsockname()[1]))
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for x in (a, b):
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
def serve(c):
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(4096)
        if not d:
            return
        req += d
    host, port = req.split()[1].decode().rsplit(":", 1)
    u = socket.create_connection(("127.0.0.1", int(port)))
    u.sendall(b"STARTTLS!\n")    # the test server's 10 plaintext bytes
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
    pipe(c, u)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$T/proxy.py" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/proxy.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PP=$(cat "$T/proxy.port")
if command -v curl >/dev/null; then
	for what in clean canary; do
		: > "$T/plain.log"; : > "$T/events.jsonl"
		tail=$clean
		[ $what = canary ] && tail="x=$TOKEN;"
		out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" \
		      --allow 127.0.0.1 --canary "$TOKEN" --no-tls-ca -- \
		      curl -sS -m 10 --noproxy '' -x "http://127.0.0.1:$PP" --cacert "$CA" \
		      -d "data-$tail" "https://localhost:$UP/p" 2>&1)
		sleep 0.3
		if [ $what = clean ]; then
			check "curl via CONNECT proxy: decrypted with the hooks' keys, clean bytes arrive ($out)" \
				grep -qF "data-$clean" "$T/plain.log"
		else
			check "curl via CONNECT proxy: the canary never arrives" no_token "$T/plain.log"
			check "curl via CONNECT proxy: found in the decrypted bytes" \
				event_has '"detector":"canary"' '"layers":"relay>tls-plaintext'
		fi
	done
fi
# plaintext whose hello-shaped bytes start at the end of one read and go on
# in the next: the start left already, so the stream is refused
cat > "$T/straddle.py" <<PY
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
try:
    s.send(b"0123456789\x16\x03")
    time.sleep(0.3)
    s.send(b"\x01\x00\x40\x01\x00\x00\x3c\x03\x03" + b"x" * 60)
    time.sleep(0.3)
    s.send(b"secret=" + sys.argv[2].encode())
    time.sleep(0.3)
    print("sent")
except OSError as e:
    print("refused", e)
PY
: > "$T/raw.log"; : > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" --allow 127.0.0.1 \
      --canary "$TOKEN" -- python3 "$T/straddle.py" "$UP" "$TOKEN" 2>&1)
sleep 0.3
check "a hello split over reads after plaintext: refused ($out)" \
	event_has '"verdict":"deny"' 'cannot be inspected .started after plaintext'
check "...the canary never arrives" no_token "$T/raw.log"
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
