#!/bin/sh
# 208-tls-split-hello: a hooked client that writes its ClientHello in
# pieces is claimed and goes the key path (shim/tls_hello.c puts the first
# record together and claims with its last piece; the relay routes only at
# the complete first record, relay_scan.c rl_tls_sniff). Without a session
# CA (--no-tls-ca) an unclaimed session is refused, so a clean request that
# arrives proves the hooks' keys were used. A python3 MemoryBIO client
# (python's ssl over OpenSSL: the hooks see its handshake, not its socket)
# writes everything 1 byte at a time ("bytes"), or the record header and the
# body in two writes ("hdr"), or the hello in one sendmsg of 7 iovecs
# ("iov"): clean bytes arrive, the canary is found in the
# decrypted plaintext and never arrives. Attackers (raw socket writes, the
# server logs every byte it gets): a fake hello carrying a hooked session's
# client random, split 1-3 bytes a write, whose handshake message runs on
# past its record into a second record holding the canary (relay and a TLS
# stack could disagree where the hello ends); a fake hello in 1-byte writes
# followed by the canary in clear; neither lets the canary arrive.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay

make_ca
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
J="--allow 127.0.0.1 --canary $TOKEN --no-tls-ca"
python3 "$top_srcdir/t/tls/rawtlsd.py" "$T/raw.port" "$T/raw.log" "$T/plain.log" \
	"$T/pki/server.pem" "$T/pki/server.key" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/raw.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
RP=$(cat "$T/raw.port")

cat > "$T/hello.py" <<PY
import os, socket, ssl, struct, sys, time
mode, port, tail = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
ctx = ssl.create_default_context(cafile="$CA")
raw = socket.create_connection(("127.0.0.1", port))
raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
o = ctx.wrap_bio(inc, out, server_hostname="localhost")
def put(data, pieces):
    k = 0
    while k < len(data):
        n = pieces(k)
        raw.send(data[k:k + n])
        k += n
        time.sleep(0.0005)
try:
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    if mode == "bytes":
        put(hello, lambda k: 1)
    elif mode == "hdr":
        raw.send(hello[:5]); time.sleep(0.05); raw.send(hello[5:])
    elif mode == "iov":     # one sendmsg, a field per iovec
        raw.sendmsg([hello[:1], hello[1:3], hello[3:5], hello[5:9], hello[9:11],
                     hello[11:30], hello[30:]])
    elif mode == "fake-cont":
        # the hooked session's random in a hello whose handshake length
        # runs past its record; the rest, with the canary, in record two
        body = hello[9:9 + 34] + b"\x00" * 6
        more = b"x-secret=" + tail + b";" * 40
        hs = b"\x01" + struct.pack(">I", len(body) + len(more))[1:] + body
        rec = b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs
        rec2 = b"\x16\x03\x01" + struct.pack(">H", len(more)) + more
        put(rec + rec2, lambda k: 1 + k % 3)
        time.sleep(0.5)
        print("sent")
        sys.exit(0)
    else:   # fake: a hello-shaped record in 1-byte writes, then the canary in clear
        put(hello, lambda k: 1)
        raw.send(b"x-secret=" + tail + b"\n")
        time.sleep(0.5)
        print("sent")
        sys.exit(0)
    while True:
        try:
            o.do_handshake()
            break
        except ssl.SSLWantReadError:
            put(out.read(), lambda k: 1 + k % 5)
            d = raw.recv(65536)
            if not d:
                raise OSError("closed")
            inc.write(d)
    put(out.read(), lambda k: 1 + k % 5)
    o.write(b"data-" + tail + b"\n")
    put(out.read(), lambda k: 1 + k % 5)
    time.sleep(0.5)
    print("sent")
except OSError as e:
    print("refused", e)
PY
clean=clean-tail-$(date +%s)-0123456789abcdef
for mode in bytes hdr iov; do
	for what in clean canary; do
		: > "$T/plain.log"; : > "$T/events.jsonl"
		tail=$clean
		[ $what = canary ] && tail="x=$TOKEN;"
		out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $J -- \
		      python3 "$T/hello.py" $mode "$RP" "$tail" 2>&1)
		sleep 0.3
		if [ $what = clean ]; then
			check "$mode: claimed, the key path carries it, clean bytes arrive ($out)" \
				grep -qF "data-$clean" "$T/plain.log"
			check "$mode: no refusal for an unreadable session" \
				sh -c "! grep -q 'cannot be inspected' '$T/events.jsonl'"
		else
			check "$mode: the canary never reaches the server ($out)" no_token "$T/plain.log"
			check "$mode: the relay found it in the decrypted bytes" \
				event_has '"detector":"canary"' '"layers":"relay>tls-plaintext'
		fi
	done
done
for mode in fake-cont fake; do
	for flag in "" --no-tls-ca; do
		: > "$T/raw.log"; : > "$T/events.jsonl"
		out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" \
		      --allow 127.0.0.1 --canary $TOKEN $flag -- \
		      python3 "$T/hello.py" $mode "$RP" "$TOKEN" 2>&1)
		sleep 0.3
		check "attacker $mode ${flag:-with the CA path}: the canary never arrives ($out)" \
			no_token "$T/raw.log"
		check "attacker $mode ${flag:-with the CA path}: refused with an event" \
			event_has '"verdict":"deny"'
	done
done
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
