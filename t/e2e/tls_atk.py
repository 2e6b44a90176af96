#!/usr/bin/env python3
# tls_atk.py - the python3 ssl (hooked, key path) attacker of t/e2e/393:
# resumption, a second session on the same TCP connection, bytes after
# close_notify, TLS inside TLS through a CONNECT (pipe-in-tls: the inner
# session is $GOINNER's, an unhooked stack, its bytes piped through the
# hooked one); "-clean" modes send "world".
# usage: tls_atk.py MODE PORT TOKEN CA
import os, socket, ssl, sys, time
mode, port, tok, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
def conn():
    return socket.create_connection(("127.0.0.1", port))
def req(body):
    return b"POST /p HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(body) + body
r = "?"
try:
    if mode == "plain":
        ts = ctx.wrap_socket(conn(), server_hostname="localhost"); ts.sendall(req(tok)); r = ts.recv(10)
    elif mode.startswith("resume"):
        c12 = ctx
        if mode.startswith("resume12"):
            c12 = ssl.create_default_context(cafile=ca); c12.maximum_version = ssl.TLSVersion.TLSv1_2
        ts = c12.wrap_socket(conn(), server_hostname="localhost"); ts.sendall(req(b"hello")); ts.recv(10)
        sess = ts.session; ts.close()
        ts = c12.wrap_socket(conn(), server_hostname="localhost", session=sess)
        ts.sendall(req(tok if "clean" not in mode else b"world")); r = (ts.session_reused, ts.recv(10))
    elif mode == "two-sessions":
        c = conn()
        ts = ctx.wrap_socket(c, server_hostname="localhost"); ts.sendall(req(b"hello")); ts.recv(10)
        c = ts.unwrap()
        ts = ctx.wrap_socket(c, server_hostname="localhost"); ts.sendall(req(tok)); r = ts.recv(10)
    elif mode == "after-close":
        c = conn()
        ts = ctx.wrap_socket(c, server_hostname="localhost"); ts.sendall(req(b"hello")); ts.recv(10)
        c = ts.unwrap(); c.sendall(b"after:" + tok); r = c.recv(10)
    elif mode == "tls-in-tls":
        ts = ctx.wrap_socket(conn(), server_hostname="localhost")
        ts.sendall(b"CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n"); ts.recv(100)
        i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
        so = ctx.wrap_bio(i, o, server_hostname="localhost")
        while True:
            try:
                so.do_handshake(); break
            except ssl.SSLWantReadError:
                ts.sendall(o.read()); i.write(ts.recv(65536))
        so.write(req(tok)); ts.sendall(o.read())
        time.sleep(0.5)
        r = ts.recv(100)
    elif mode == "pipe-in-tls":
        import subprocess, threading
        ts = ctx.wrap_socket(conn(), server_hostname="localhost")
        ts.sendall(b"CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n"); ts.recv(100)
        g = subprocess.Popen([os.environ["GOINNER"], "pipe", "0", tok.decode()],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)

        def down():
            try:
                while True:
                    d = ts.recv(65536)
                    if not d:
                        break
                    g.stdin.write(d)
                    g.stdin.flush()
            except Exception:
                pass
        threading.Thread(target=down, daemon=True).start()
        while True:
            d = os.read(g.stdout.fileno(), 65536)
            if not d:
                break
            ts.sendall(d)
        r = "piped"
except Exception as e:
    r = "error %r" % e
print(mode, r)
