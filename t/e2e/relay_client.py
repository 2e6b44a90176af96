#!/usr/bin/env python3
# relay_client.py - the ways a jailed process can write bytes on a normally
# connected TCP socket without a send()/write() call the shim sees; used by
# t/e2e/300-relay-*.sh. usage: relay_client.py MODE PORT PAYLOAD_FILE
# Prints "sent N" and the first reply line, or "error ERRNO-NAME".
import errno, os, socket, sys

mode, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = open(path, 'rb').read()
s = socket.create_connection(('127.0.0.1', port))
try:
    if mode == 'sendfile':          # os.sendfile(2): file -> socket in the kernel
        fd = os.open(path, os.O_RDONLY)
        n = os.sendfile(s.fileno(), fd, 0, len(data))
    elif mode == 'socksendfile':    # socket.sendfile (sendfile(2) under the hood)
        with open(path, 'rb') as f:
            n = s.sendfile(f)
    elif mode == 'splice':          # file -> pipe -> socket, no user-space copy
        r, w = os.pipe()
        fd = os.open(path, os.O_RDONLY)
        n = 0
        while n < len(data):
            k = os.splice(fd, w, len(data) - n)
            n += os.splice(r, s.fileno(), k)
    elif mode == 'split':           # one byte per sendfile(2)
        fd = os.open(path, os.O_RDONLY)
        n = 0
        while n < len(data):
            n += os.sendfile(s.fileno(), fd, n, 1)
    elif mode in ('fakehello5', 'fakehello6'):
        # a TLS record header (and a ClientHello type byte), then the
        # bytes by sendfile: the relay must go on scanning as plain
        s.send(b'\x16\x03\x01\x02\x00' + (b'\x01' if mode == 'fakehello6' else b''))
        fd = os.open(path, os.O_RDONLY)
        n = os.sendfile(s.fileno(), fd, 0, len(data))
    else:
        sys.exit('unknown mode ' + mode)
    print('sent', n)
    print('reply', s.recv(64).decode(errors='replace').strip())
except OSError as e:
    print('error', errno.errorcode.get(e.errno, e.errno))
