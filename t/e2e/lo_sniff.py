# lo_sniff.py - records every frame on lo holding MARKER (t/e2e/365): the
# recording end for senders that skip the IP stack (packet sockets).
# argv: marker ready-file log-file; runs until killed. Needs root.
import socket, sys

marker = sys.argv[1].encode()
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind(("lo", 0))
open(sys.argv[2], "w").write("ready\n")
with open(sys.argv[3], "ab", buffering=0) as out:
    while True:
        f = s.recv(65536)
        if marker in f:
            out.write(f + b"\n")
