#!/bin/sh
# 207-tls-records: the key path under an attacker's record framing, with a
# real hooked client (python3's ssl over OpenSSL; the keys come from the
# hooks) and a server that logs what it decrypts (t/tls/rawtlsd.py).
# Checked: 8 MB written as fast as the client can, then a canary split over
# two records in the same write: the relay reads faster than it scans only
# by holding back (back-pressure), so the canary never arrives, and the
# clean variant arrives byte for byte; a canary in 1-byte records; a canary
# at the end of one 3 MB write; the ciphertext written to the socket 1-3
# bytes at a time by a MemoryBIO client (asyncio's kind; record headers
# split over reads). Padding, KeyUpdate, renegotiation and every split
# offset: t/unit/check_tlsdec.c.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay

make_ca
TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv1
J="--allow 127.0.0.1 --canary $TOKEN"
python3 "$top_srcdir/t/tls/rawtlsd.py" "$T/raw.port" "$T/raw.log" "$T/plain.log" \
	"$T/pki/server.pem" "$T/pki/server.key" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/raw.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
RP=$(cat "$T/raw.port")
head -c 8000000 /dev/urandom > "$T/flood.bin"

cat > "$T/rec.py" <<PY
import os, socket, ssl, sys, time
mode, port, tail = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
ctx = ssl.create_default_context(cafile="$CA")
ctx.maximum_version = ssl.TLSVersion.TLSv1_3
try:
    if mode == "flood":     # all of it in one go; the tail in two records
        s = ctx.wrap_socket(socket.create_connection(("localhost", port)),
                            server_hostname="localhost")
        data = open("$T/flood.bin", "rb").read()
        s.sendall(data)
        s.sendall(tail[:14])
        s.sendall(tail[14:])
    elif mode == "bytes":   # one record per byte
        s = ctx.wrap_socket(socket.create_connection(("localhost", port)),
                            server_hostname="localhost")
        for i in range(len(tail)):
            s.sendall(tail[i:i + 1])
    elif mode == "split":   # its own writes of the ciphertext, 1-3 bytes each
        raw = socket.create_connection(("localhost", port))
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        o = ctx.wrap_bio(inc, out, server_hostname="localhost")
        def flush(step):
            data, k = out.read(), 0
            if step == 0:   # the hello in one piece (the hooks name the session by it)
                raw.sendall(data)
                return
            while k < len(data):
                n = 1 + (k * 7 + step) % 3
                raw.send(data[k:k + n])
                k += n
                if k % 61 == 0:
                    time.sleep(0.001)
        hello = True
        while True:
            try:
                o.do_handshake()
                break
            except ssl.SSLWantReadError:
                flush(0 if hello else 1)
                hello = False
                d = raw.recv(65536)
                if not d:
                    raise OSError("closed")
                inc.write(d)
        flush(1)
        o.write(b"head-" + os.urandom(2000).hex().encode() + b"\n")
        flush(2)
        o.write(tail)
        flush(3)
        raw.settimeout(2)
        raw.recv(100)
    else:                   # the tail inside the flood's last write
        s = ctx.wrap_socket(socket.create_connection(("localhost", port)),
                            server_hostname="localhost")
        s.sendall(open("$T/flood.bin", "rb").read()[:3000000] + tail)
    time.sleep(0.5)
    print("sent")
except OSError as e:
    print("refused", e)
PY
clean=clean-tail-$(date +%s)-0123456789abcdef
for mode in flood bytes one split; do
	for what in clean canary; do
		: > "$T/plain.log"; : > "$T/events.jsonl"
		tail=$clean
		[ $what = canary ] && tail="x=$TOKEN;"
		out=$(jail $J -- python3 "$T/rec.py" $mode "$RP" "$tail" 2>&1)
		sleep 0.3
		if [ $what = clean ]; then
			check "$mode, clean: all of it arrives ($out)" grep -qF "$clean" "$T/plain.log"
			[ $mode = flood ] && check "flood, clean: 8 MB byte for byte, then the tail" \
				sh -c "head -c 8000000 '$T/plain.log' | cmp -s - '$T/flood.bin'"
		else
			check "$mode: the canary never reaches the server ($out)" no_token "$T/plain.log"
			check "$mode: the relay found it in the decrypted bytes" \
				event_has '"detector":"canary"' '"layers":"relay>tls-plaintext'
			check "$mode: the client is told" has "$out" 'dlpjail: .*blocked'
		fi
	done
done
check "the event log never holds the token in clear" no_token "$T/events.jsonl"
finish
