#!/usr/bin/env python3
# holdsrv.py - upstreams that answer a SYN late or never, for 355: a
# listener whose accept queue is kept full (backlog 0 plus one connection
# of its own), so the kernel drops every SYN to it and the client retries
# after 1 s. MODE blackhole: stays so; open: after 0.5 s the queue is
# emptied and connections are answered "hi\n"; refuse: after 0.5 s it is
# closed (the retry gets a RST); both 0.5 s after PORTFILE.go appears.
# Writes its port to PORTFILE.
# usage: holdsrv.py BIND MODE PORTFILE [PORT]
import socket, sys, threading, time

bind, mode, portfile = sys.argv[1], sys.argv[2], sys.argv[3]
port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
fam = socket.AF_INET6 if ':' in bind else socket.AF_INET
h = socket.socket(fam, socket.SOCK_STREAM)
h.bind((bind, port))
h.listen(0)
fill = socket.socket(fam, socket.SOCK_STREAM)
fill.connect(h.getsockname()[:2])
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % h.getsockname()[1])
import os
os.rename(portfile + '.tmp', portfile)
if mode == 'blackhole':
    while True:
        time.sleep(3600)
# the 0.5 s count from the client's signal (PORTFILE.go), not from start-up
while not os.path.exists(portfile + '.go'):
    time.sleep(0.01)
time.sleep(0.5)
if mode == 'refuse':
    h.close()
    fill.close()
    while True:
        time.sleep(3600)
c, _ = h.accept()
c.close()
h.listen(64)
while True:
    c, _ = h.accept()
    try:
        c.sendall(b'hi\n')
    finally:
        c.close()
