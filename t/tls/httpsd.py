#!/usr/bin/env python3
# httpsd.py - small HTTPS/1.1 server for the TLS end-to-end tests and the bench.
# usage: httpsd.py BIND PORTFILE LOGFILE CERT KEY [--docroot DIR] [--git DIR]
#                  [--leak FILE] [--save DIR] [--auth] [--quiet] [--tls12]
# Binds BIND (IPv4 or IPv6) on an ephemeral port, writes the port to
# PORTFILE and appends every request line, header block and body to LOGFILE
# (unless --quiet), so a test can prove what did or did not arrive.
#   POST/PUT        -> "got N\n" (N = body length; chunked bodies accepted);
#                      POST /save/NAME also stores the body as DIR/NAME (--save)
#   GET /leak       -> the contents of the --leak file (response scanning)
#   GET /git/...    -> git http-backend (smart HTTP, push enabled) on --git DIR;
#                      with --auth, 401 + WWW-Authenticate: Basic until the
#                      request carries an Authorization header (as GitHub
#                      asks git for credentials)
#   GET other       -> a file under --docroot when present, else "hello\n"
import argparse
import http.server
import os
import socket
import ssl
import subprocess
import sys
import urllib.parse

ARGS = None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # one write per response and no Nagle: else delayed ACKs cost 40 ms a request
    wbufsize = -1
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def handle_expect_100(self):
        # the buffered wfile would sit on "100 Continue" and curl waits 1 s
        ok = super().handle_expect_100()
        self.wfile.flush()
        return ok

    def _record(self, body=b""):
        if ARGS.quiet:
            return
        with open(ARGS.logfile, "ab") as f:
            f.write(self.requestline.encode() + b"\n" + bytes(self.headers) + body + b"\n--\n")

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                line = self.rfile.readline()
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n) if n else b""

    def _send(self, code, data, ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _git(self, body):
        if ARGS.auth and not self.headers.get("Authorization"):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        u = urllib.parse.urlsplit(self.path)
        env = dict(os.environ)
        env.update({
            "GIT_PROJECT_ROOT": ARGS.git, "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command, "PATH_INFO": u.path[len("/git"):],
            "QUERY_STRING": u.query, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)), "REMOTE_USER": "test", "REMOTE_ADDR": "127.0.0.1",
            "GIT_HTTP_MAX_REQUEST_BUFFER": "100M",
        })
        enc = self.headers.get("Content-Encoding")
        if enc:
            env["HTTP_CONTENT_ENCODING"] = enc
        p = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, data = p.stdout.partition(b"\r\n\r\n")
        code = 200
        hdrs = []
        for line in head.split(b"\r\n"):
            k, _, v = line.decode().partition(":")
            if k.lower() == "status":
                code = int(v.split()[0])
            elif k:
                hdrs.append((k, v.strip()))
        self.send_response(code)
        for k, v in hdrs:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._record()
        path = urllib.parse.urlsplit(self.path).path
        if ARGS.git and path.startswith("/git/"):
            return self._git(b"")
        if path == "/leak" and ARGS.leak:
            with open(ARGS.leak, "rb") as f:
                return self._send(200, f.read())
        if ARGS.docroot:
            f = os.path.normpath(os.path.join(ARGS.docroot, urllib.parse.unquote(path).lstrip("/")))
            if f.startswith(os.path.abspath(ARGS.docroot)) and os.path.isfile(f):
                with open(f, "rb") as fh:
                    ctype = "application/json" if not f.endswith(".tgz") else "application/octet-stream"
                    return self._send(200, fh.read(), ctype)
            if os.path.isfile(f + ".json"):
                with open(f + ".json", "rb") as fh:
                    return self._send(200, fh.read(), "application/json")
        self._send(200, b"hello\n")

    def do_POST(self):
        body = self._body()
        self._record(body)
        path = urllib.parse.urlsplit(self.path).path
        if ARGS.save and path.startswith("/save/"):
            with open(os.path.join(ARGS.save, os.path.basename(path)), "wb") as f:
                f.write(body)
        if ARGS.git and self.path.startswith("/git/"):
            return self._git(body)
        self._send(200, ("got %d\n" % len(body)).encode())

    do_PUT = do_POST


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients cut off by dlpjail are expected


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("bind")
    ap.add_argument("portfile")
    ap.add_argument("logfile")
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("--docroot")
    ap.add_argument("--git")
    ap.add_argument("--leak")
    ap.add_argument("--save")
    ap.add_argument("--auth", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--tls12", action="store_true", help="speak TLS 1.2 at most")
    ARGS = ap.parse_args()
    if ARGS.docroot:
        ARGS.docroot = os.path.abspath(ARGS.docroot)
    Server.address_family = socket.AF_INET6 if ":" in ARGS.bind else socket.AF_INET
    srv = Server((ARGS.bind, 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    if ARGS.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(ARGS.portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(ARGS.portfile + ".tmp", ARGS.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
