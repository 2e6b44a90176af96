#!/usr/bin/env python3
# collector.py - the attacker's receiving end for t/e2e/500-shai-hulud.sh: records
# every byte that arrives, one JSON line per request or connection, in LOG.
# usage: collector.py LOG CERT KEY HTTPADDR RAWADDR:PORT PORTFILE
#   HTTPADDR:443 (TLS) and :80 (plain)  an allowed drop host
#       (objects.githubusercontent.com) and the GitHub API stand-in
#       (Host api.github.com: POST /user/repos, PUT /repos/O/R/contents/P,
#       GET /user), answering as GitHub does;
#   RAWADDR:PORT                        a raw TCP sink (a host no policy allows).
# A record is {"chan": C, "raw": base64 of the request line, headers and body}:
# C is the path's first segment, "github:" + User-Agent for the API, or the
# first line of a raw connection. PORTFILE is written once all listen.
import base64
import http.server
import json
import socket
import socketserver
import ssl
import sys
import threading
import urllib.parse

LOG = None
LOCK = threading.Lock()


def record(chan, raw):
    with LOCK, open(LOG, "a") as f:
        f.write(json.dumps({"chan": chan, "raw": base64.b64encode(raw).decode()}) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

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

    def _reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _any(self):
        body = self._body()
        raw = self.requestline.encode("latin-1") + b"\r\n" + bytes(self.headers) + body
        host = self.headers.get("Host", "").split(":")[0]
        path = urllib.parse.urlsplit(self.path).path
        if host == "api.github.com":
            record("github:" + self.headers.get("User-Agent", ""), raw)
            if self.command == "POST" and path == "/user/repos":
                name = json.loads(body or b"{}").get("name", "x")
                return self._reply(201, {"full_name": "victim/" + name, "name": name,
                                         "owner": {"login": "victim"}})
            if self.command == "PUT" and "/contents/" in path:
                return self._reply(201, {"content": {"path": path.split("/contents/")[1]}})
            if path == "/user":
                return self._reply(200, {"login": "victim"})
            return self._reply(404, {"message": "Not Found"})
        record(path.strip("/").split("/")[0], raw)
        self._reply(200, {"ok": True})

    do_GET = do_POST = do_PUT = do_HEAD = _any


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass


class Raw(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(5)
        data = b""
        try:
            while True:
                b = self.request.recv(65536)
                if not b:
                    break
                data += b
        except OSError:
            pass
        if data:
            record(data.split(b"\n", 1)[0].decode("latin-1")[:40], data)


class RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global LOG
    LOG, cert, key, http_addr, raw, portfile = sys.argv[1:7]
    open(LOG, "a").close()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    tls = Server((http_addr, 443), Handler)
    tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
    plain = Server((http_addr, 80), Handler)
    rhost, rport = raw.rsplit(":", 1)
    rs = RawServer((rhost, int(rport)), Raw)
    for s in (tls, plain, rs):
        threading.Thread(target=s.serve_forever, daemon=True).start()
    with open(portfile, "w") as f:
        f.write("ready\n")
    threading.Event().wait()


if __name__ == "__main__":
    main()
