#!/usr/bin/env python3
# local_net.py - jailed side of t/e2e/352-relay-local.sh (items 4 and 11):
#   listen ADDR          bind ADDR:0 and listen(); "ok PORT" or "err ERRNO"
#   rawlisten            listen() on a 0.0.0.0 socket through syscall(2)
#   unbound              listen() on an unbound socket
#   reuseport PORT       SO_REUSEPORT bind 127.0.0.1:PORT + listen (a host
#                        service holds it too), "ok", stays 5 s
#   udp PORT TEXT        sendto 127.0.0.1:PORT
#   udpconn PORT TEXT    connect + send
#   dns53 PORT           a DNS-format query to 127.0.0.1:PORT
#   rawudp PORT TEXT     sendto through syscall(2)
#   serve PORTFILE LOG   a recording TCP server on 127.0.0.1 (the jail's own)
#   udpself              a UDP socket of the jail's own on 127.0.0.1, a datagram
#                        to it from a child: "ok self" or "err ..."
#   prefork              3 processes in blocking accept() on one socket, 9
#                        connects: "served 9 blocking" (the socket's mode kept)
import ctypes, errno, os, socket, struct, sys, time

def res(f):
    try:
        print('ok', f())
    except OSError as e:
        print('err', errno.errorcode.get(e.errno, e.errno))

libc = ctypes.CDLL(None, use_errno=True)
NR = {'listen': 50, 'sendto': 44} if os.uname().machine == 'x86_64' else {'listen': 201, 'sendto': 206}

def raw(nr, *a):
    r = libc.syscall(nr, *a)
    if r < 0:
        raise OSError(ctypes.get_errno(), 'raw')
    return r

def query(name):
    q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)
    for l in name.split('.'):
        q += bytes([len(l)]) + l.encode()
    return q + b'\0' + struct.pack('>HH', 1, 1)

m = sys.argv[1]
if m == 'listen':
    fam = socket.AF_INET6 if ':' in sys.argv[2] else socket.AF_INET
    s = socket.socket(fam)
    s.bind((sys.argv[2], 0))
    res(lambda: (s.listen(5), s.getsockname()[1])[1])
elif m == 'rawlisten':
    s = socket.socket()
    s.bind(('0.0.0.0', 0))
    res(lambda: raw(NR['listen'], s.fileno(), 5))
elif m == 'unbound':
    res(lambda: socket.socket().listen(5))
elif m == 'reuseport':
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(('127.0.0.1', int(sys.argv[2])))
    res(lambda: s.listen(5))
    sys.stdout.flush()
    import time; time.sleep(5)  # listening while the test connects (killed with the command)
elif m in ('udp', 'udpconn', 'dns53', 'rawudp'):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dst = ('127.0.0.1', int(sys.argv[2]))
    data = query('leak-%s.example.com' % os.getpid()) if m == 'dns53' else sys.argv[3].encode()
    if m == 'udpconn':
        res(lambda: (s.connect(dst), s.send(data))[1])
    elif m == 'rawudp':
        sa = struct.pack('<H', socket.AF_INET) + struct.pack('>H', dst[1]) + socket.inet_aton(dst[0]) + b'\0' * 8
        buf = ctypes.create_string_buffer(data)
        res(lambda: raw(NR['sendto'], s.fileno(), buf, len(data), 0, ctypes.c_char_p(sa), 16))
    else:
        res(lambda: s.sendto(data, dst))
elif m == 'udpself':
    r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('127.0.0.1', 0)); r.settimeout(3)
    if os.fork() == 0:
        try:
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'self', r.getsockname())
        except OSError as e:
            print('err', errno.errorcode.get(e.errno, e.errno))
        os._exit(0)
    try:
        print('ok', r.recv(16).decode())
    except OSError as e:
        print('err', type(e).__name__)
elif m == 'prefork':
    import fcntl
    s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(16); port = s.getsockname()[1]
    kids = []
    for i in range(3):
        p = os.fork()
        if p == 0:
            while True:
                c, _ = s.accept(); c.sendall(b'w%d' % i); c.close()
        kids.append(p)
    got = []
    for j in range(9):
        c = socket.create_connection(('127.0.0.1', port)); c.settimeout(3); got.append(c.recv(4)); c.close()
    # The supervisor sets O_NONBLOCK on the shared file for the few
    # microseconds of each emulated accept4 (sc_notify.c), so a read
    # that races a kid's accept can see it: what must hold is that it
    # does not stay set. Look three times, 10 ms apart.
    fl = 0
    for t in range(3):
        fl = fcntl.fcntl(s.fileno(), fcntl.F_GETFL)
        if not fl & os.O_NONBLOCK:
            break
        time.sleep(0.01)
    print('served', len([g for g in got if g.startswith(b'w')]), 'nonblock' if fl & os.O_NONBLOCK else 'blocking')
    for k in kids:
        os.kill(k, 9)
elif m == 'serve':
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', 0))
    s.listen(8)
    with open(sys.argv[2] + '.tmp', 'w') as f:
        f.write(str(s.getsockname()[1]))
    os.rename(sys.argv[2] + '.tmp', sys.argv[2])
    while True:
        c, _ = s.accept()
        with c:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                with open(sys.argv[3], 'ab') as f:
                    f.write(b)
                c.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')
