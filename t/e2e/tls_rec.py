#!/usr/bin/env python3
# tls_rec.py - TLS recorder of t/e2e/393-relay-tls-inner: per connection, TLS sessions one after
# another on the same TCP connection (each ended by close_notify), logging
# plaintext; a "CONNECT" request gets 200 and the tunnel is served as an
# inner TLS session (TLS inside TLS); bytes after a session that are no
# TLS hello are logged raw. Tickets are issued (resumption).
# usage: tls_rec.py BIND PORTFILE LOG CERT KEY
import os, socket, ssl, sys, threading
bind, portfile, log, cert, key = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
out = open(log, "ab", buffering=0)
lock = threading.Lock()
def rec(b):
    with lock:
        out.write(b)

def inner(ts):
    # TLS inside the outer session's plaintext (else the tunnel's bytes
    # are logged as they come)
    first = ts.recv(65536)
    while first and first[:1] != b"\x16":
        rec(b"TUNNEL:" + first)
        ts.sendall(b"ok\n")
        first = ts.recv(65536)
    if not first:
        return
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    i.write(first)
    so = ctx.wrap_bio(i, o, server_side=True)
    while True:
        try:
            d = so.read(65536)
            if not d:
                return
            rec(b"INNER:" + d)
            so.write(b"ok\n")
        except ssl.SSLWantReadError:
            pass
        except (ssl.SSLZeroReturnError, ssl.SSLError, OSError):
            return
        if o.pending:
            ts.sendall(o.read())
        d = ts.recv(65536)
        if not d:
            return
        i.write(d)

def serve(c):
    with c:
        while True:
            c.settimeout(5)
            try:
                h = c.recv(1, socket.MSG_PEEK)
            except OSError:
                return
            if not h:
                return
            if h != b"\x16":
                d = c.recv(65536)
                rec(b"RAW:" + d)
                continue
            try:
                ts = ctx.wrap_socket(c, server_side=True)
            except (ssl.SSLError, OSError) as e:
                rec(b"HSERR\n")
                return
            try:
                while True:
                    d = ts.recv(65536)
                    if not d:
                        break
                    rec(d)
                    if d.startswith(b"CONNECT "):
                        ts.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
                        inner(ts)
                        return
                    ts.sendall(b"ok\n")
                c = ts.unwrap()
            except (ssl.SSLError, OSError):
                return

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((bind, 0)); s.listen(32)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
