#!/usr/bin/env python3
# ws_client.py - the attacker's side of 369-relay-websocket: a WebSocket
# client (RFC 6455 framing by hand, as node's ws or a browser sends it:
# every frame masked with a key of its own) that sends a token four bytes
# a frame ("frames"), in continuation frames with a ping between them
# ("fragments"), under permessage-deflate with the window carried over
# ("deflate"), or a clean chat ("clean"); one write per frame, a short
# pause between, so the relay reads them apart. "unmask LOG": the payloads
# of the frames a recording server logged, unmasked and inflated, on
# stdout (the test checks the token never arrived).
# usage: ws_client.py MODE PORT TOKEN | ws_client.py unmask LOG
import os, socket, struct, sys, time, zlib

HS = (b"GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")


def frame(b0, payload):
    n = len(payload)
    h = bytes([b0]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    k = os.urandom(4)
    return h + k + bytes(c ^ k[i % 4] for i, c in enumerate(payload))


def unmask(data):
    i = data.find(b"\r\n\r\n")
    i = i + 4 if i >= 0 else 0
    out, z = b"", zlib.decompressobj(-15)
    while i + 6 <= len(data):
        b0, n, h = data[i], data[i + 1] & 0x7f, 2
        if n == 126:
            n, h = struct.unpack(">H", data[i + 2:i + 4])[0], 4
        k = data[i + h:i + h + 4]
        p = bytes(c ^ k[j % 4] for j, c in enumerate(data[i + h + 4:i + h + 4 + n]))
        if b0 & 0x40:       # permessage-deflate, as the server would inflate it
            try:
                p = z.decompress(p + b"\x00\x00\xff\xff")
            except zlib.error:
                pass
        out += p
        i += h + 4 + n
    return out


if sys.argv[1] == "unmask":
    sys.stdout.buffer.write(unmask(open(sys.argv[2], "rb").read()))
    sys.exit(0)
mode, port, tok = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
frames = []
if mode == "frames":
    frames = [frame(0x81, tok[i:i + 4]) for i in range(0, len(tok), 4)]
elif mode == "fragments":
    frames = [frame(0x01, tok[:10]), frame(0x89, b"keepalive"), frame(0x00, tok[10:25]),
              frame(0x80, tok[25:])]
elif mode == "deflate":
    z = zlib.compressobj(6, zlib.DEFLATED, -15)
    for m in (b'{"type":"hello"}', b'{"type":"hello"}', b'{"type":"env","token":"' + tok + b'"}'):
        d = z.compress(m) + z.flush(zlib.Z_SYNC_FLUSH)
        frames.append(frame(0xc1, d[:-4]))
else:
    frames = [frame(0x81, b'{"type":"hello","id":"550e8400-e29b-41d4-a716-446655440000"}'),
              frame(0x89, b""), frame(0x81, b'{"type":"message","text":"see you at 10:30"}')]
s = socket.create_connection(("127.0.0.1", port))
try:
    s.sendall(HS)
    time.sleep(0.05)
    for f in frames:
        s.sendall(f)
        time.sleep(0.02)
    time.sleep(0.1)
except OSError as e:
    print("send failed: %s" % e)
    sys.exit(1)
s.close()
