#!/usr/bin/env python3
# dns_mid.py - DNS-over-TCP query frames that do not open the stream, for
# t/e2e/425: after a line ("line": "HELLO\r\n" first), after a first frame
# a resolver would reject and read past ("junk": a response frame first),
# after a plaintext upgrade to TLS ("starttls": "STARTTLS\r\n", then DNS
# over TLS in the session, after an "EHLO" line; "starttls0": at its
# start). "split" moves each frame's cut into the middle
# of its header, "bytes" writes one byte a write. "blob" sends an HTTP
# POST whose binary body holds near-misses of a query header (the
# legitimate look-alike). Prints "sent N" when every write was answered,
# else "refused at I".
# usage: dns_mid.py line|junk|starttls|starttls0|blob PORT CAFILE whole|split|bytes NAME...
import socket, ssl, struct, sys, time

mode, port, cafile, how = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
names = sys.argv[5:]

def frame(i, name, flags=0x0100):
    q = struct.pack("!HHHHHH", 0x4100 + i, flags, 1, 0, 0, 0)
    for l in name.split("."):
        q += bytes([len(l)]) + l.encode()
    q += b"\x00\x00\x01\x00\x01"
    return struct.pack("!H", len(q)) + q

s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
first = b""
if mode == "line":
    first = b"HELLO\r\n"
elif mode == "junk":
    first = frame(9, "x.invalid", 0x8180)   # QR set: no query, FORMERR
elif mode in ("starttls", "starttls0"):
    s.sendall(b"STARTTLS\r\n")
    time.sleep(0.2)
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    s = ctx.wrap_socket(s, server_hostname="localhost")
    first = b"EHLO x\r\n" if mode == "starttls" else b""
if mode == "blob":
    # binary with QDCOUNT-like runs: no label sequence, a pointer, a
    # response flag; a real upload carries such bytes
    body = (b"\x00\x10\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x01\xc0\x0c" +
            b"\x00\x20\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x00\x00\x01\x00\x01" +
            bytes(range(256)) * 4)
    req = b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    s.sendall(req)
    print("sent 1" if s.recv(64) else "refused at 1")
    sys.exit(0)
for i, name in enumerate(names):
    f = (first if i == 0 else b"") + frame(i, name)
    cut = len(first) + 9 if i == 0 else 9
    parts = [f] if how == "whole" else [f[:cut], f[cut:]] if how == "split" else \
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
