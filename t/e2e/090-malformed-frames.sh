#!/bin/sh
# 090-malformed-frames: garbage, truncated, oversized and mistyped frames
# drop that client with a logged error; the broker keeps serving others.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 web
S="$T/b.sock"
"$DLPJAIL" broker --foreground --no-default-policy --allow 127.0.0.1 --socket "$S" \
	--log "$T/events.jsonl" 2> "$T/broker.err" &
PIDS="$PIDS $!"
i=0; while [ ! -S "$S" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

python3 - "$S" > "$T/py.out" <<'PY'
import socket, struct, sys, time
path = sys.argv[1]
def send(raw, wait=0.2):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(raw)
    s.shutdown(socket.SHUT_WR)     # EOF after the bytes: truncation is final
    s.settimeout(2)
    try:
        r = s.recv(100)
        print('closed' if r == b'' else 'answered')
    except ConnectionResetError:
        print('closed')
    except socket.timeout:
        print('hung')
    s.close()
frame = lambda body: struct.pack('>I', len(body)) + body
send(frame(b'\xc1\xc1\xc1'))                                  # never-used msgpack byte
send(frame(b'\x94\x01\x04\x01\x81\x0a\xa3abc')[:9])           # truncated, then EOF via shutdown
send(struct.pack('>I', 0x7fffffff) + b'x')                    # oversized length
send(frame(b'\x94\x01\x03\x01\x81\x08\xa3443'))               # port as string
send(frame(b'\x94\x02\x01\x01\x80'))                          # wrong version
send(frame(b'\x94\x01\x03\x01\x83\x06\x02\x07\xc4\x04\x7f\x00\x00\x01\x08\x50'))  # connect before hello
send(struct.pack('>I', 0))                                    # empty frame
PY
check "every malformed client is dropped, none hangs" [ "$(sort -u "$T/py.out")" = closed ]
check "the broker logged why (truncated)" grep -q "malformed frame: truncated frame" "$T/broker.err"
check "the broker logged why (bad msgpack)" grep -q "malformed frame: not a complete msgpack object" "$T/broker.err"
check "the broker logged why (oversized)" grep -q "frame larger than the protocol maximum" "$T/broker.err"
check "the broker logged why (wrong type)" grep -q "wrong type" "$T/broker.err"
check "the broker logged why (version)" grep -q "unsupported protocol version" "$T/broker.err"
check "the broker logged why (order)" grep -q "request before hello" "$T/broker.err"
out=$(DLPJAIL_SOCK="$S" LD_PRELOAD="$DLPJAIL_SHIM" curl -s "http://127.0.0.1:$web_PORT/after" 2>&1)
check "the broker still serves a real client afterwards" [ "$out" = hello ]
finish
