#!/usr/bin/env python3
# outlive.py - a process that outlives the command (for 350-relay-outlive).
#   outlive.py late  PORT PIDFILE PAYFILE DELAY  daemon (double fork + setsid)
#                                                 connects and sends DELAY s later
#   outlive.py early PORT PIDFILE PAYFILE DELAY  daemon connects first, sends later
#   outlive.py wait  PORT PIDFILE PAYFILE DELAY  background child the command waits for
# The command's process returns once PIDFILE holds the sender's pid (and, for
# early, once its socket is connected).
import os, socket, sys, time

mode, port, pidfile, payfile, delay = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
pay = open(payfile, 'rb').read()
r, w = os.pipe()

def sender():
    s = None
    if mode == 'early':
        s = socket.create_connection(('127.0.0.1', port))
    with open(pidfile + '.tmp', 'w') as f:
        f.write(str(os.getpid()))
    os.rename(pidfile + '.tmp', pidfile)
    os.write(w, b'x')
    time.sleep(delay)
    if s is None:
        s = socket.create_connection(('127.0.0.1', port))
    s.sendall(pay)
    s.recv(16)
    s.close()
    os._exit(0)

if mode == 'wait':
    p = os.fork()
    if p == 0:
        sender()
    os.read(r, 1)
    os.waitpid(p, 0)
    sys.exit(0)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in (0, 1, 2):
            os.close(fd)
        sender()
    os._exit(0)
os.read(r, 1)
