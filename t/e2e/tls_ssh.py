#!/usr/bin/env python3
# tls_ssh.py - the python3 client of t/e2e/402 (ssl: hooked, the key
# path): SSH and SOCKS inside a TLS session to the loopback recorder
# (tls_rec.py). ssh: an SSH banner, then an opaque "binary packet"
# carrying MARK; ssh1: the banner in 1-byte writes; tunnel-ssh: a CONNECT
# tunnel, then the banner in it; socks: a SOCKS5 greeting; clean: an HTTP
# request carrying MARK; tunnel-clean: MARK in clear inside a tunnel.
# usage: tls_ssh.py MODE PORT CAFILE MARK
import socket, ssl, sys, time
mode, port, ca, mark = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode()
ctx = ssl.create_default_context(cafile=ca)
try:
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                        server_hostname="localhost")
    if mode.startswith("tunnel"):
        s.sendall(b"CONNECT localhost:22 HTTP/1.1\r\nHost: localhost:22\r\n\r\n")
        s.recv(100)
    if mode in ("ssh", "tunnel-ssh"):
        s.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        time.sleep(0.2)
        s.sendall(b"\x00\x00\x01\x0c\x0a\x14" + bytes(range(64)) + mark)
    elif mode == "ssh1":
        for c in b"SSH-2.0-x\r\n":
            s.sendall(bytes([c]))
        s.sendall(mark)
    elif mode == "socks":
        s.sendall(b"\x05\x01\x00")
        s.recv(10)
        s.sendall(b"\x05\x01\x00\x03\x09localhost\x00\x16" + mark)
    elif mode == "tunnel-clean":
        s.sendall(b"tunnel " + mark)
    else:
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n"
                  % len(mark) + mark)
    print(mode, s.recv(100))
    time.sleep(0.3)
except (OSError, ssl.SSLError) as e:
    print(mode, "refused:", e)
