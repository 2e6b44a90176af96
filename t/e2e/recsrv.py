#!/usr/bin/env python3
# recsrv.py - recording loopback TCP server for the relay tests: every
# connection's bytes are appended to LOG (all connections, in arrival
# order); replies "ok\n" after each read so request/response clients go on.
# LOG.conns holds "OPEN ACCEPTED", the connections open now and accepted so
# far (rewritten on every change), so that a test can wait until the last
# bytes of the connections it made are logged.
# usage: recsrv.py BIND PORTFILE LOG
import os, socket, sys, threading

bind, portfile, log = sys.argv[1], sys.argv[2], sys.argv[3]
fam = socket.AF_INET6 if ':' in bind else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((bind, 0))
s.listen(64)
lock = threading.Lock()
nconns = naccepted = 0

def conns(delta):
    global nconns, naccepted
    with lock:
        nconns += delta
        naccepted += max(delta, 0)
        with open(log + '.conns.tmp', 'w') as f:
            f.write('%d %d' % (nconns, naccepted))
        os.rename(log + '.conns.tmp', log + '.conns')

def serve(c):
    try:
        serve1(c)
    finally:
        conns(-1)

def serve1(c):
    with c:
        while True:
            try:
                b = c.recv(65536)
            except OSError:
                return
            if not b:
                return
            with lock, open(log, 'ab') as f:
                f.write(b)
            try:
                c.sendall(b'ok\n')
            except OSError:
                return

conns(0)
with open(portfile + '.tmp', 'w') as f:
    f.write(str(s.getsockname()[1]))
os.rename(portfile + '.tmp', portfile)
while True:
    c, _ = s.accept()
    conns(1)
    threading.Thread(target=serve, args=(c,), daemon=True).start()
