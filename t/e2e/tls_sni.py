#!/usr/bin/env python3
# tls_sni.py - the python3 client of t/e2e/403 (ssl: hooked, the key
# path): a TLS connection to HOST:PORT whose ClientHello names SNI, then
# GET /MARK. No certificate check (the server's name is not the point).
# usage: tls_sni.py HOST PORT SNI MARK
import socket, ssl, sys
host, port, sni, mark = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    s = ctx.wrap_socket(socket.create_connection((host, port), timeout=10), server_hostname=sni)
    s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
               % (mark, sni)).encode())
    print("answer", s.recv(200).split(b"\r\n")[0])
except (OSError, ssl.SSLError) as e:
    print("refused:", e)
