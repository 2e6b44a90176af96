#!/usr/bin/env python3
# tee_fwd.py - a loopback TCP forwarder of t/e2e/403: every connection to
# it is forwarded to 127.0.0.1:TARGET, and the client's bytes are appended
# to LOG as they pass (what a server behind an allowed address receives,
# ciphertext included). TARGET 0: no server behind it, a recorder that
# never answers (a client's TLS handshake stays where its hello left it).
# usage: tee_fwd.py BIND PORTFILE LOG TARGET
import os, socket, sys, threading
bind, portfile, log, target = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lock = threading.Lock()

def pipe(a, b, rec):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            if rec:
                with lock, open(log, "ab") as f:
                    f.write(d)
            if b:
                b.sendall(d)
    except OSError:
        pass
    for x in (a, b) if b else (a,):
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((bind, 0))
s.listen(16)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = s.accept()
    if not target:
        threading.Thread(target=pipe, args=(c, None, True), daemon=True).start()
        continue
    u = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pipe, args=(c, u, True), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c, False), daemon=True).start()
