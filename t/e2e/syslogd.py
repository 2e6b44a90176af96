#!/usr/bin/env python3
# syslogd.py SOCKET OUT: a test syslog daemon: receives datagrams on the
# unix socket SOCKET and appends each to OUT, one per line. Stops on SIGTERM.
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as out:
    open(sys.argv[2] + ".ready", "w").close()
    while True:
        out.write(s.recv(65536) + b"\n")
