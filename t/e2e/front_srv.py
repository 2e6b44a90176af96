# front_srv.py - a CDN front for t/e2e/368: one address, many sites, the
# site chosen by the Host header (what a fronting CDN forwards to another
# customer's origin). Logs "HOST <host> <request line> <body>" per request.
# usage: front_srv.py BIND PORTFILE LOG
import http.server, os, sys


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with open(sys.argv[3], "ab") as f:
            f.write(b"HOST %s %s %s\n" % (self.headers.get("Host", "").encode(),
                                           self.requestline.encode(), body))
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")

    do_GET = do_POST

    def log_message(self, *a):
        pass


s = http.server.ThreadingHTTPServer((sys.argv[1], 0), H)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
s.serve_forever()
