#!/usr/bin/env python3
# tls_hrr.py - t/e2e/412: a second ClientHello after a HelloRetryRequest.
# srv: a TCP server that answers each connection's first record with a
# HelloRetryRequest and appends everything after it to LOG ("CH2:" and the
# bytes). Client modes (python3 ssl, hooked: its hello is claimed, the key
# path): the first ClientHello is a real one (MemoryBIO, server name
# localhost, ALPN "aaaa"); the second is that hello again with
#   keyshare: a new key_share (what RFC 8446 lets change): must arrive
#   sni:      the server name "attack.io" instead
#   alpn:     the ALPN offer "bbbb" instead
#   third:    keyshare, then a third hello
# usage: tls_hrr.py srv BIND PORTFILE LOG | tls_hrr.py MODE PORT
import os, socket, ssl, struct, sys, time

def record(s):
    h = b""
    while len(h) < 5:
        d = s.recv(5 - len(h))
        if not d:
            return None
        h += d
    n = struct.unpack("!H", h[3:5])[0]
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            return None
        b += d
    return h + b

def exts(ch):
    # (offset, type, length) of each extension of a ClientHello record
    i = 5 + 4 + 2 + 32
    i += 1 + ch[i]
    i += 2 + struct.unpack("!H", ch[i:i + 2])[0]
    i += 1 + ch[i]
    end = i + 2 + struct.unpack("!H", ch[i:i + 2])[0]
    i += 2
    out = []
    while i + 4 <= end:
        t, l = struct.unpack("!HH", ch[i:i + 4])
        out.append((i, t, l))
        i += 4 + l
    return out

if sys.argv[1] == "srv":
    bind, portfile, log = sys.argv[2:5]
    ls = socket.socket()
    ls.bind((bind, 0))
    ls.listen(8)
    open(portfile + ".tmp", "w").write(str(ls.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    hrr_random = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
    while True:
        c, _ = ls.accept()
        c.settimeout(3)
        try:
            ch = record(c)
            if not ch:
                c.close(); continue
            sid = ch[5 + 4 + 2 + 32 + 1:5 + 4 + 2 + 32 + 1 + ch[5 + 4 + 2 + 32]]
            ext = b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x33\x00\x02\x00\x17"
            body = b"\x03\x03" + hrr_random + bytes([len(sid)]) + sid + b"\x13\x01\x00" + \
                struct.pack("!H", len(ext)) + ext
            hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
            c.sendall(b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs)
            while True:
                d = c.recv(65536)
                if not d:
                    break
                with open(log, "ab") as f:
                    f.write(b"CH2:" + d + b"\n")
        except OSError:
            pass
        c.close()
    sys.exit(0)

mode, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.set_alpn_protocols(["aaaa"])
i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
so = ctx.wrap_bio(i, o, server_hostname="localhost")
try:
    so.do_handshake()
except ssl.SSLWantReadError:
    pass
ch1 = o.read()
ch2 = bytearray(ch1)
for off, t, l in exts(ch1):
    if t == 51:                          # key_share: a new share
        ch2[off + 4 + l - 1] ^= 0x55
if mode == "sni":
    ch2 = ch2.replace(b"localhost", b"attack.io")
elif mode == "alpn":
    ch2 = ch2.replace(b"\x04aaaa", b"\x04bbbb")
s = socket.create_connection(("127.0.0.1", port), timeout=3)
try:
    s.sendall(ch1)
    hrr = record(s)
    print("hrr", bool(hrr))
    s.sendall(bytes(ch2))
    if mode == "third":
        time.sleep(0.3)
        s.sendall(bytes(ch2).replace(b"localhost", b"thirdhell"))
    time.sleep(0.5)
    print("sent")
except OSError as e:
    print("refused", e)
