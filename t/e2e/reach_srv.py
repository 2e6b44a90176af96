#!/usr/bin/env python3
# reach_srv.py - the outside services of 383-outside-reach: an abstract
# Unix listener, a path listener, a TCP and a UDP socket on 127.0.0.1;
# every connection's first read and every datagram go to LOG.
# usage: reach_srv.py DIR ABSTRACTNAME   (DIR/ports: "TCP UDP", DIR/got.log, DIR/agent.sock)
import socket, os, sys, threading
d0, aname = sys.argv[1], sys.argv[2]
log = open(d0 + "/got.log", "ab", 0)
def serve(s):
    while True:
        c = s.accept()[0]
        d = c.recv(1000); log.write(b"%s\n" % d); c.close()
a = socket.socket(socket.AF_UNIX); a.bind("\0" + aname); a.listen(5)
if os.path.exists(d0 + "/agent.sock"): os.unlink(d0 + "/agent.sock")
b = socket.socket(socket.AF_UNIX); b.bind(d0 + "/agent.sock"); b.listen(5)
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen(5)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
open(d0 + "/ports.tmp", "w").write("%d %d\n" % (t.getsockname()[1], u.getsockname()[1]))
os.rename(d0 + "/ports.tmp", d0 + "/ports")
for s in (a, b, t): threading.Thread(target=serve, args=(s,), daemon=True).start()
while True:
    d = u.recv(1000); log.write(b"UDP %s\n" % d)
