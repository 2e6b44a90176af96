#!/usr/bin/env python3
# regserver.py - HTTPS stand-in for registry.npmjs.org, pypi.org and github.com.
# usage: regserver.py BIND PORT PORTFILE LOGFILE CERT KEY ROOT   (PORT 0 = ephemeral)
# ROOT is what t/registry/gen.py wrote:
#   GET /NAME, /@SCOPE%2fNAME          npm packument  (ROOT/npm/NAME/index.json, gzip'd
#                                      when the client accepts it, as the registry does)
#   GET /NAME/-/FILE.tgz               npm tarball    (ROOT/npm/NAME/-/FILE.tgz)
#   GET /simple/PROJECT/, /files/FILE  PEP 503 index  (ROOT/pypi/...)
#   /OWNER/REPO.git/...                git smart HTTP (git http-backend on ROOT/git)
#   PUT /NAME                          npm publish: 201, logged, nothing stored
#   POST, DELETE elsewhere             body read (recorded with REG_RECORD), 404
#   GET /PATH with REG_STATIC=DIR      DIR/PATH as it is, before the routes above
#                                      (a GOPROXY, a cargo sparse index, a gem index)
# REG_AUTH_LOG=FILE: "METHOD PATH AUTHORIZATION" per request (the token a test
# expects); REG_PRIVATE=TOKEN: paths under @private need "Bearer TOKEN" (401).
# One line per request (method, path, status, bytes) goes to LOGFILE.
import http.server
import os
import socket
import ssl
import subprocess
import sys
import threading
import urllib.parse

ROOT = LOG = None
# REG_OVERLAY=DIR (environment): files there are served before ROOT's (a test's
# own packages, packed at run time, beside the cached generated ones)
OVERLAY = [os.path.abspath(os.environ["REG_OVERLAY"])] if os.environ.get("REG_OVERLAY") else []
STATIC = os.path.abspath(os.environ["REG_STATIC"]) if os.environ.get("REG_STATIC") else None
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def _log(self, code, n):
        with LOCK, open(LOG, "a") as f:
            f.write("%s %s %d %d\n" % (self.command, self.path, code, n))

    def _send_file(self, path, ctype):
        enc = None
        if ctype == "application/json" and os.path.isfile(path + ".gz") and \
                "gzip" in self.headers.get("Accept-Encoding", ""):
            path, enc = path + ".gz", "gzip"
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        if enc:
            self.send_header("Content-Encoding", enc)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command != "HEAD":
            with open(path, "rb") as f:
                while True:
                    b = f.read(256 * 1024)
                    if not b:
                        break
                    self.wfile.write(b)
        self._log(200, size)

    def _404(self):
        body = b'{"error":"Not found"}\n'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self._log(404, 0)

    def _git(self):
        u = urllib.parse.urlsplit(self.path)
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n) if n else b""
        env = dict(os.environ, GIT_PROJECT_ROOT=os.path.join(ROOT, "git"),
                   GIT_HTTP_EXPORT_ALL="1", REQUEST_METHOD=self.command,
                   PATH_INFO=urllib.parse.unquote(u.path), QUERY_STRING=u.query,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)), REMOTE_ADDR="127.0.0.1")
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        p = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, data = p.stdout.partition(b"\r\n\r\n")
        code, hdrs = 200, []
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
        self._log(code, len(data))

    def _safe(self, *parts):
        for root in OVERLAY + [ROOT]:
            p = os.path.normpath(os.path.join(root, *parts))
            if not p.startswith(root + os.sep):
                return None
            if os.path.exists(p) or root == ROOT:
                return p

    def _auth_gate(self):
        auth = self.headers.get("Authorization", "-")
        if os.environ.get("REG_AUTH_LOG"):
            with LOCK, open(os.environ["REG_AUTH_LOG"], "a") as f:
                f.write("%s %s %s\n" % (self.command, self.path, auth))
        want = os.environ.get("REG_PRIVATE")
        if want and "@private" in urllib.parse.unquote(self.path) and auth != "Bearer " + want:
            body = b'{"error":"authentication required"}\n'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self._log(401, 0)
            return False
        return True

    def do_GET(self):
        if not self._auth_gate():
            return
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        if STATIC:
            f = os.path.normpath(os.path.join(STATIC, path.lstrip("/")))
            if f.startswith(STATIC + os.sep) and os.path.isfile(f):
                return self._send_file(f, "application/octet-stream")
        if ".git/" in path:
            return self._git()
        if path.startswith("/simple/"):
            f = self._safe("pypi", path.lstrip("/"), "index.html")
            if f and os.path.isfile(f):
                return self._send_file(f, "text/html")
            return self._404()
        if path.startswith("/files/"):
            f = self._safe("pypi", path.lstrip("/"))
            if f and os.path.isfile(f):
                return self._send_file(f, "application/octet-stream")
            return self._404()
        name, sep, rest = path.lstrip("/").partition("/-/")
        if sep:
            f = self._safe("npm", name, "-", os.path.basename(rest))
            if f and os.path.isfile(f):
                return self._send_file(f, "application/octet-stream")
            return self._404()
        f = self._safe("npm", name, "index.json")
        if f and os.path.isfile(f):
            return self._send_file(f, "application/json")
        return self._404()

    do_HEAD = do_GET

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def do_PUT(self):
        # npm publish: accepted and logged, nothing stored (a test can see a publish happened)
        body = self._body()
        n = len(body)
        self._record(body)
        body = b'{"ok":true}\n'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self._log(201, n)

    def do_POST(self):
        if not self._auth_gate():
            return
        if ".git/" in self.path:
            return self._git()
        self._record(self._body())
        self._404()   # npm audit and friends: nothing here

    def do_DELETE(self):
        # npm unpublish: logged (a test proves it did or did not arrive), refused
        self._record(self._body())
        self._404()

    def _record(self, body):
        # REG_RECORD=FILE (environment): every POST and PUT as t/attack/collector.py
        # records it ({"chan": "registry:" + User-Agent, "raw": base64}), for the loot checker
        if os.environ.get("REG_RECORD"):
            import base64
            import json
            raw = self.requestline.encode("latin-1") + b"\r\n" + bytes(self.headers) + body
            line = json.dumps({"chan": "registry:" + self.headers.get("User-Agent", ""),
                               "raw": base64.b64encode(raw).decode()}) + "\n"
            with LOCK, open(os.environ["REG_RECORD"], "a") as f:
                f.write(line)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass


def main():
    global ROOT, LOG
    bind, port, portfile, LOG, cert, key, ROOT = sys.argv[1:8]
    ROOT = os.path.abspath(ROOT)
    Server.address_family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    srv = Server((bind, int(port)), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
