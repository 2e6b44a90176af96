#!/usr/bin/env python3
# dns_framed.py - DNS-over-TCP framing (RFC 7766: 2-byte length, query) to a
# port that is not 53, plain or inside TLS (DNS over TLS, RFC 7858), for
# t/e2e/410. Each NAME is one A query on the one connection; "split" writes
# each frame's length and header apart from its question, "bytes" one byte
# a write. Prints "sent N" when every query was written and answered by the
# recorder, else "refused at I".
# usage: dns_framed.py plain|tls PORT CAFILE whole|split|bytes NAME...
import socket, ssl, struct, sys, time

mode, port, cafile, how = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
names = sys.argv[5:]

def frame(i, name):
    q = struct.pack("!HHHHHH", 0x4100 + i, 0x0100, 1, 0, 0, 0)
    for l in name.split("."):
        q += bytes([len(l)]) + l.encode()
    q += b"\x00\x00\x01\x00\x01"
    return struct.pack("!H", len(q)) + q

s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if mode == "tls":
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    s = ctx.wrap_socket(s, server_hostname="localhost")
for i, name in enumerate(names):
    f = frame(i, name)
    parts = [f] if how == "whole" else [f[:14], f[14:]] if how == "split" else \
        [f[j:j + 1] for j in range(len(f))]
    try:
        for p in parts:
            s.sendall(p)
            if how != "whole":
                time.sleep(0.02)
        if not s.recv(64):
            print("refused at", i + 1); sys.exit(0)
    except OSError as e:
        print("refused at", i + 1, e); sys.exit(0)
print("sent", len(names))
