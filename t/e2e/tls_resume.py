#!/usr/bin/env python3
# tls_resume.py - the python3 client of t/e2e/404 (ssl: hooked, the key
# path): three connections to github.com carrying "Authorization: Bearer
# $GH_TOKEN" (the jail's placeholder), GET /c0 on PORT1 (full handshake),
# /c1 on PORT1 resuming c0's session, /c2 on PORT2 resuming it too.
# VER: 13, 12 (tickets) or 12sid (TLS 1.2, no tickets: session ids);
# "insecure": no certificate check. Prints each one's result.
# usage: tls_resume.py PORT1 PORT2 CAFILE VER [insecure]
import os, socket, ssl, sys
p1, p2, ca, ver = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
if len(sys.argv) > 5 and sys.argv[5] == "insecure":
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
if ver.startswith("12"):
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
if ver == "12sid":
    ctx.options |= ssl.OP_NO_TICKET
sess = None
for i, port in enumerate((p1, p1, p2)):
    try:
        s = ctx.wrap_socket(socket.create_connection(("github.com", port), timeout=10),
                            server_hostname="github.com", session=sess)
        s.sendall(("GET /c%d HTTP/1.1\r\nHost: github.com\r\nAuthorization: Bearer %s\r\n\r\n"
                   % (i, os.environ["GH_TOKEN"])).encode())
        r = s.recv(100)
        print("c%d" % i, "resumed" if s.session_reused else "full", r.split(b"\r\n")[0])
        if sess is None:
            sess = s.session
        s.close()
    except (OSError, ssl.SSLError) as e:
        print("c%d" % i, "refused:", e)
