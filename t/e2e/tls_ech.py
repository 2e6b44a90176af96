#!/usr/bin/env python3
# tls_ech.py - t/e2e/426: a ClientHello offering encrypted_client_hello
# (ECH, extension 0xfe0d). python3 ssl (hooked: the session is claimed,
# the key path) makes a real hello for "localhost" (MemoryBIO); "ech" adds
# an ECH extension whose payload stands for the encrypted inner hello
# (holding the marker ECHINNER-attack.example), "plain" sends the hello as
# made; "ech PORT FILE" writes the ECH hello to FILE, "raw PORT FILE"
# sends FILE's bytes with no TLS call (unclaimed: the CA path). Prints
# "sent" when the server answered, else "refused".
# usage: tls_ech.py ech|plain PORT [FILE] | tls_ech.py raw PORT FILE
import socket, ssl, struct, sys

mode, port = sys.argv[1], int(sys.argv[2])
if mode == "raw":
    port = int(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
so = ctx.wrap_bio(i, o, server_hostname="localhost")
try:
    so.do_handshake()
except ssl.SSLWantReadError:
    pass
ch = bytearray(o.read())
if mode == "ech":
    # outer ECH: type 0 (outer), HPKE suite, config id, enc, payload
    inner = b"ECHINNER-attack.example" + bytes(32)
    ech = b"\x00\x00\x01\x00\x01\x07" + struct.pack("!H", 32) + bytes(32) + \
        struct.pack("!H", len(inner)) + inner
    ext = struct.pack("!HH", 0xfe0d, len(ech)) + ech
    j = 5 + 4 + 2 + 32
    j += 1 + ch[j]
    j += 2 + struct.unpack("!H", ch[j:j + 2])[0]
    j += 1 + ch[j]
    elen = struct.unpack("!H", ch[j:j + 2])[0]
    ch[j:j + 2] = struct.pack("!H", elen + len(ext))
    ch += ext
    hl = int.from_bytes(ch[6:9], "big") + len(ext)
    ch[6:9] = hl.to_bytes(3, "big")
    ch[3:5] = struct.pack("!H", struct.unpack("!H", ch[3:5])[0] + len(ext))
if mode == "ech" and len(sys.argv) > 3:
    open(sys.argv[3], "wb").write(ch)   # for "raw" (made outside the jail)
    sys.exit(0)
if mode == "raw":
    ch = open(sys.argv[3], "rb").read()
s = socket.create_connection(("127.0.0.1", port), timeout=3)
try:
    s.sendall(bytes(ch))
    print("sent" if s.recv(64) else "refused")
except OSError as e:
    print("refused", e)
