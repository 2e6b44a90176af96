#!/usr/bin/env python3
# twin_srv.py - the TLS server of t/e2e/404: one SSLContext (one set of
# session ticket keys, one session cache) on two loopback ports, so a
# session made on the first resumes on the second (a "twin" of the same
# operator). Logs "PORT: " and every request head to LOG, answers 200.
# usage: twin_srv.py BIND PORTFILE LOG CERT KEY   (PORTFILE: "P1 P2")
import os, socket, ssl, sys, threading
bind, portfile, log, cert, key = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
lock = threading.Lock()

def serve(c, port):
    try:
        with ctx.wrap_socket(c, server_side=True) as ts:
            head = b""
            while b"\r\n\r\n" not in head:
                d = ts.recv(4096)
                if not d:
                    return
                head += d
            with lock, open(log, "ab") as f:
                f.write(b"%d: " % port + head)
            ts.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    except (OSError, ssl.SSLError):
        pass

def loop(s, port):
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, port), daemon=True).start()

socks = []
for _ in range(2):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, 0))
    s.listen(16)
    socks.append(s)
ports = [s.getsockname()[1] for s in socks]
with open(portfile + ".tmp", "w") as f:
    f.write("%d %d" % tuple(ports))
os.rename(portfile + ".tmp", portfile)
for s, p in zip(socks[1:], ports[1:]):
    threading.Thread(target=loop, args=(s, p), daemon=True).start()
loop(socks[0], ports[0])
