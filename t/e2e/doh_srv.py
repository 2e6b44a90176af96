#!/usr/bin/env python3
# doh_srv.py - a loopback DNS-over-HTTPS resolver for t/e2e/411 (RFC 8484
# GET ?dns= and POST application/dns-message, the JSON API ?name=&type=):
# every question's name is appended to LOG, A questions are answered with
# 127.0.0.1, others with no answer. Any other request gets "plain".
# With CERT and KEY it speaks HTTPS (curl takes DoH over HTTPS only).
# usage: doh_srv.py BIND PORTFILE LOG [CERT KEY]
import base64, json, os, ssl, struct, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

bind, portfile, log = sys.argv[1:4]
lock = threading.Lock()

def note(name):
    with lock, open(log, "a") as f:
        f.write(name + "\n")

def qname(m):
    i, labels = 12, []
    while m[i]:
        labels.append(m[i + 1:i + 1 + m[i]].decode("latin-1"))
        i += 1 + m[i]
    return ".".join(labels), i + 1

def answer(m):
    name, end = qname(m)
    note(name)
    qtype = struct.unpack("!H", m[end:end + 2])[0]
    an = qtype == 1
    r = m[:2] + struct.pack("!HHHHH", 0x8180, 1, 1 if an else 0, 0, 0) + m[12:end + 4]
    if an:
        r += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([127, 0, 0, 1])
    return r

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def reply(self, body, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        q = parse_qs(urlparse(self.path).query)
        if "dns" in q:
            d = q["dns"][0]
            self.reply(answer(base64.urlsafe_b64decode(d + "=" * (-len(d) % 4))),
                       "application/dns-message")
        elif "name" in q:
            note(q["name"][0])
            self.reply(json.dumps({"Status": 0, "Answer": [{"data": "127.0.0.1"}]}).encode(),
                       "application/dns-json")
        else:
            note("plain " + self.path)
            self.reply(b"plain\n", "text/plain")
    def do_POST(self):
        m = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.reply(answer(m), "application/dns-message")

class S(ThreadingHTTPServer):
    daemon_threads = True
    def handle_error(self, request, addr):
        pass            # a reset connection: what a refused client does

s = S((bind, 0), H)
if len(sys.argv) > 5:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    s.socket = ctx.wrap_socket(s.socket, server_side=True)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
