#!/usr/bin/env python3
# swapsrv.py - loopback HTTP/1.1 server for the secretless-jail border tests
# (t/e2e/360-*): logs every request (line, headers, body) to LOG so a test
# can prove which token arrived, and echoes credentials back so a test can
# prove which one the jail reads.
# usage: swapsrv.py BIND PORTFILE LOG [--tls CERT KEY]
#   GET /echo         -> body "auth=<Authorization> token=<X-Token>\n",
#                        header X-Echo: <Authorization>
#   GET /echo-chunked -> the same body, chunked: two chunks in two writes,
#                        the cut after the Authorization value
#   GET /echo-split   -> identity body written in two writes 50 ms apart,
#                        cut in the middle of the Authorization value
#   GET /echo-gzip    -> the /echo body gzip-compressed (Content-Encoding)
#   GET /gzip         -> "hello gzip\n" gzip-compressed
#   POST/PUT any      -> "got N\n"; the body is logged (and kept as the
#                        last body in LOG.body)
#   GET other         -> "hello\n"
import gzip, http.server, socket, ssl, sys, time

bind, portfile, log = sys.argv[1], sys.argv[2], sys.argv[3]
tls = sys.argv[5:7] if len(sys.argv) > 6 and sys.argv[4] == "--tls" else None


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def _log(self, body=b""):
        with open(log, "ab") as f:
            f.write(self.requestline.encode() + b"\n" + bytes(self.headers) + body + b"\n--\n")

    def _send(self, code, body, extra=()):
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._log()
        auth = self.headers.get("Authorization", "")
        body = ("auth=%s token=%s\n" % (auth, self.headers.get("X-Token", ""))).encode()
        if self.path.startswith("/echo-chunked"):
            cut = 5 + len(auth) + 1
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (body[:cut], body[cut:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
                time.sleep(0.05)
            self.wfile.write(b"0\r\n\r\n")
        elif self.path.startswith("/echo-split"):
            cut = 5 + len(auth) // 2
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:cut])
            self.wfile.flush()
            time.sleep(0.05)
            self.wfile.write(body[cut:])
        elif self.path.startswith("/echo-gzip"):
            self._send(200, gzip.compress(body), [("Content-Encoding", "gzip")])
        elif self.path.startswith("/gzip"):
            self._send(200, gzip.compress(b"hello gzip\n"), [("Content-Encoding", "gzip")])
        elif self.path.startswith("/echo"):
            self._send(200, body, [("X-Echo", auth)])
        else:
            self._send(200, b"hello\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n)
        self._log(body)
        with open(log + ".body", "wb") as f:
            f.write(body)
        self._send(200, b"got %d\n" % len(body))

    do_PUT = do_POST


class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    daemon_threads = True


srv = S((bind, 0), H)
if tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls[0], tls[1])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
