#!/usr/bin/env python3
# h2_hide.py - the attacker's side of 345-relay-one-pass: a plain-TCP
# client that hides a token where the relay's raw scan no longer looks at
# every byte (the body bytes the HTTP layer scans de-framed): h2c DATA
# padding, half in a DATA payload and half in its padding, split over two
# DATA frames, HEADERS padding; HTTP/1.1 chunk extension, trailer, split
# over chunks. The stream goes out in two writes (the cut inside the big
# body), so the relay reads it in pieces. "clean-h2" / "clean-chunked":
# the same framing without a token (must arrive byte for byte).
# usage: h2_hide.py MODE PORT TOKEN OUTFILE   (OUTFILE: the bytes it meant to send)
import os, socket, struct, sys, time

mode, port, tok, outf = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
rnd = bytes((i * 131 + 7) % 251 for i in range(6000))     # binary, no text run
q = b'"' + tok + b'"'
h = len(q) // 2


def frame(t, flags, sid, payload, pad=None):
    if pad is not None:
        payload = bytes([len(pad)]) + payload + pad
        flags |= 0x8
    return struct.pack('>I', len(payload))[1:] + bytes([t, flags]) + struct.pack('>I', sid) + payload


def lit(n, v):
    return b'\x00' + bytes([len(n)]) + n + bytes([len(v)]) + v


def h2(data_frames, hpad=None):
    blk = lit(b':method', b'POST') + lit(b':scheme', b'http') + lit(b':path', b'/up') + \
        lit(b':authority', b'up.example')
    return b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + frame(4, 0, 0, b'') + \
        frame(1, 4, 1, blk, hpad) + b''.join(data_frames)


def chunked(chunks, trailer=b''):
    w = b'POST /up HTTP/1.1\r\nHost: up.example\r\nTransfer-Encoding: chunked\r\n\r\n'
    for data, ext in chunks:
        w += b'%x%s\r\n' % (len(data), ext) + data + b'\r\n'
    return w + b'0\r\n' + trailer + b'\r\n'


zero = bytes(len(q))
if mode == 'pad':
    w = h2([frame(0, 1, 1, rnd, q)])
elif mode == 'padsplit':
    w = h2([frame(0, 1, 1, rnd + q[:h], q[h:])])
elif mode == 'frames':
    w = h2([frame(0, 0, 1, rnd + q[:h]), frame(0, 1, 1, q[h:] + rnd)])
elif mode == 'hdrpad':
    w = h2([frame(0, 1, 1, rnd)], q)
elif mode == 'clean-h2':
    w = h2([frame(0, 0, 1, rnd, zero), frame(0, 1, 1, rnd)], zero)
elif mode == 'chunkext':
    w = chunked([(rnd, b''), (rnd, b';x=' + tok)])
elif mode == 'trailer':
    w = chunked([(rnd, b''), (rnd, b'')], b'X-Sum: ' + tok + b'\r\n')
elif mode == 'chunksplit':
    w = chunked([(rnd + q[:h], b''), (q[h:] + rnd, b'')])
elif mode == 'clean-chunked':
    w = chunked([(rnd, b';x=plain'), (rnd, b'')], b'X-Sum: 1234abcd\r\n')
else:
    sys.exit('unknown mode ' + mode)
with open(outf, 'wb') as f:
    f.write(w)
s = socket.create_connection(('127.0.0.1', port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
try:
    cut = len(w) // 2
    s.sendall(w[:cut])
    time.sleep(0.3)
    s.sendall(w[cut:])
    time.sleep(0.3)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
except OSError as e:
    print('reset:', e, file=sys.stderr)
    sys.exit(1)
