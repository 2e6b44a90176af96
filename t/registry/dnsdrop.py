#!/usr/bin/env python3
# dnsdrop.py - a DNS forwarder that never answers AAAA questions, like the
# home routers, VPNs and middleboxes that drop them: a resolver asking for
# AAAA waits out its timeout (glibc: 5 s). Everything else goes to UPSTREAM,
# answered after DELAY_MS (default 0): a slow name server, so that lookups
# made one after another instead of at once show.
# usage: dnsdrop.py LISTEN_IP UPSTREAM_IP LOGFILE [DELAY_MS]   (port 53, UDP)
import socket
import sys
import threading
import time


def qtype(q):
    i = 12
    while i < len(q) and q[i]:
        i += q[i] + 1
    return int.from_bytes(q[i + 1:i + 3], "big") if i + 3 <= len(q) else -1


def main():
    listen, upstream, log = sys.argv[1:4]
    delay = int(sys.argv[4]) / 1000.0 if len(sys.argv) > 4 else 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((listen, 53))
    lock = threading.Lock()

    def relay(q, peer):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(5)
        try:
            u.sendto(q, (upstream, 53))
            r = u.recv(4096)
            time.sleep(delay)
            s.sendto(r, peer)
        except OSError:
            pass
        finally:
            u.close()

    with open(log, "a") as f:
        f.write("started\n")
    while True:
        q, peer = s.recvfrom(4096)
        t = qtype(q)
        with lock, open(log, "a") as f:
            f.write("%s type %d\n" % ("dropped" if t == 28 else "relayed", t))
        if t != 28:
            threading.Thread(target=relay, args=(q, peer), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
