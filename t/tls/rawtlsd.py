#!/usr/bin/env python3
# rawtlsd.py - a TLS server that records the raw bytes it receives (RAWLOG)
# and the plaintext they decrypt to (PLAINLOG), for the key-path attacker
# tests: what the relay did not forward never shows up in either file.
# usage: rawtlsd.py PORTFILE RAWLOG PLAINLOG CERT KEY   (binds 127.0.0.1)
import socket
import ssl
import sys
import threading

portfile, rawlog, plainlog, cert, key = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
lock = threading.Lock()


def append(path, data):
    with lock, open(path, "ab") as f:
        f.write(data)


def serve(conn):
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_side=True)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            append(rawlog, data)
            inc.write(data)
            while True:
                try:
                    got = tls.read(65536)
                except ssl.SSLWantReadError:
                    break
                if not got:
                    break
                append(plainlog, got)
                tls.write(b"ok\n")
            pending = out.read()
            if pending:
                conn.sendall(pending)
    except (ssl.SSLError, OSError):
        pass
    conn.close()


srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(16)
open(rawlog, "ab").close()
open(plainlog, "ab").close()
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.getsockname()[1]))
import os
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
