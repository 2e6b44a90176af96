#!/usr/bin/env python3
# drain_sink.py - the recording server of t/e2e/398: each connection's bytes
# (TLS: its plaintext) go to DIR/N.bin when it ends, then DIR/done.N says
# "eof" or "reset ...". It never answers (a client that exits with a reply
# unread resets its own connection, and the kernel drops what it had not
# sent yet: that is not the relay's to keep), and TLS sends no tickets for
# the same reason. --linger S: keep the connection S seconds after the
# client's end before closing (a server slow to hang up); --deaf S: read
# nothing for S seconds after the accept (a server slow to read; a small
# receive buffer, so the relay's bytes wait on its side).
# usage: drain_sink.py PORTFILE DIR [--tls CERT KEY] [--linger S] [--deaf S]
import os, socket, ssl, sys, threading, time

args = sys.argv[1:]
pf, d = args[0], args[1]
ctx, linger, deaf = None, 0.0, 0.0
if "--tls" in args:
    i = args.index("--tls")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args[i + 1], args[i + 2])
    ctx.num_tickets = 0
if "--deaf" in args:
    deaf = float(args[args.index("--deaf") + 1])
if "--linger" in args:
    linger = float(args[args.index("--linger") + 1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if deaf:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", 0))
s.listen(64)
open(pf + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(pf + ".tmp", pf)

def one(c, k):
    data, end = b"", "eof"
    try:
        c.settimeout(30)
        time.sleep(deaf)
        if ctx:
            c = ctx.wrap_socket(c, server_side=True)
        while True:
            b = c.recv(65536)
            if not b:
                break
            data += b
        time.sleep(linger)
    except (OSError, ssl.SSLError) as e:
        end = "reset %s" % e.__class__.__name__
    with open(os.path.join(d, "%d.bin" % k), "wb") as f:
        f.write(data)
    with open(os.path.join(d, "done.%d.tmp" % k), "w") as f:
        f.write(end)
    os.rename(os.path.join(d, "done.%d.tmp" % k), os.path.join(d, "done.%d" % k))
    c.close()

n = 0
while True:
    c, _ = s.accept()
    n += 1
    threading.Thread(target=one, args=(c, n), daemon=True).start()
