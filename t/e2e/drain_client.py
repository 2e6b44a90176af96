#!/usr/bin/env python3
# drain_client.py - the client of t/e2e/398: writes FILE to 127.0.0.1:PORT
# and exits at once (os._exit: no flush, no close_notify, no goodbye),
# with status 7. plain: a blocking connect; nb: a non-blocking connect
# (EINPROGRESS, the hold port) then blocking writes; tls: python3's ssl
# (a hooked OpenSSL: the key path), verifying against CA.
# usage: drain_client.py plain|nb PORT FILE, drain_client.py tls PORT CA FILE
import os, select, socket, ssl, sys

mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[-1]
data = open(path, "rb").read()
if mode == "nb":
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    select.select([], [c], [], 10)
    c.setblocking(True)
else:
    c = socket.create_connection(("127.0.0.1", port))
if mode == "tls":
    ctx = ssl.create_default_context(cafile=sys.argv[3])
    c = ctx.wrap_socket(c, server_hostname="localhost")
c.sendall(data)
os._exit(7)
