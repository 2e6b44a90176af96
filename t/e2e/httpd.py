#!/usr/bin/env python3
# httpd.py - tiny HTTP/1.1 server for the end-to-end tests.
# usage: httpd.py BIND_ADDR PORTFILE LOGFILE
# Binds BIND_ADDR on an ephemeral port, writes the port to PORTFILE, and
# appends every request line, header block and body to LOGFILE, so a test
# can prove what did or did not reach the server. GET returns "hello";
# POST echoes the body length; GET /secret returns $DLP_T_SECRET in an
# error message (a response that carries a credential).
import http.server
import os
import socket
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _record(self, body=b""):
        with open(sys.argv[3], "ab") as f:
            f.write(self.requestline.encode() + b"\n" + bytes(self.headers) + body + b"\n--\n")

    def do_GET(self):
        self._record()
        data = b"hello\n"
        if self.path.startswith("/secret"):
            # a service that echoes a credential back (an error page, a debug dump)
            data = ("error: bad token %s\n" % os.environ.get("DLP_T_SECRET", "")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        self._record(body)
        data = ("got %d\n" % len(body)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_PUT = do_POST


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients cut off by dlpjail are expected


def main():
    addr = sys.argv[1]
    Server.address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    srv = Server((addr, 0), Handler)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
