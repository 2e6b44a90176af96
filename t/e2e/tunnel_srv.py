# tunnel_srv.py - the servers of t/e2e/367: an HTTP proxy that opens
# CONNECT tunnels to wherever it is asked (logging each request line), a
# SOCKS5 proxy (no authentication, IPv4 targets; logs "SOCKS host:port"),
# and a TLS recorder (the tunnels' far end) that logs what it is sent.
# usage: tunnel_srv.py proxy|socks BIND PORTFILE LOG
#        tunnel_srv.py tls BIND PORTFILE LOG CERT KEY
import os, socket, ssl, sys, threading

mode, bind, portfile, log = sys.argv[1:5]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((bind, 0))
s.listen(32)
out = open(log, "ab", buffering=0)
ctx = None
if mode == "tls":
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(sys.argv[5], sys.argv[6])


def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    finally:
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def proxy(c):
    buf = b""
    while True:  # keep-alive: requests one after the other
        while b"\r\n\r\n" not in buf:
            d = c.recv(4096)
            if not d:
                return
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        line = head.split(b"\r\n", 1)[0]
        out.write(b"REQ " + line + b"\n")
        parts = line.split()
        if len(parts) >= 2 and parts[0] == b"CONNECT":
            break
        c.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
    host, port = parts[1].decode().rsplit(":", 1)
    u = socket.create_connection((host, int(port)))
    if buf:
        u.sendall(buf)
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
    pump(c, u)


def socks(c):
    def need(k):
        b = b""
        while len(b) < k:
            d = c.recv(k - len(b))
            if not d:
                raise OSError("short")
            b += d
        return b
    v, nm = need(2)
    need(nm)
    c.sendall(b"\x05\x00")
    ver, cmd, _, atyp = need(4)
    if atyp != 1:
        return
    host = socket.inet_ntoa(need(4))
    port = int.from_bytes(need(2), "big")
    out.write(("SOCKS %s:%d\n" % (host, port)).encode())
    u = socket.create_connection((host, port))
    c.sendall(b"\x05\x00\x00\x01" + b"\0" * 6)
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
    pump(c, u)


def tls(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
        d = t.recv(8192)
        out.write(d + b"\n")
        t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
        t.close()
    except (OSError, ssl.SSLError) as e:
        out.write(("ERR %s\n" % e).encode())


def serve(c):
    try:
        {"proxy": proxy, "socks": socks}.get(mode, tls)(c)
    except OSError:
        pass
    finally:
        c.close()


with open(portfile + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
