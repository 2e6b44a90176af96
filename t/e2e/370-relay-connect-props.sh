#!/bin/sh
# 370-relay-connect-props: what a relayed connect must keep of the socket
# the program made (issue 10 items 1 and 7), whatever road the supervisor
# takes to the relay: options set before connect() (SO_KEEPALIVE,
# TCP_NODELAY, TCP_KEEPIDLE, SO_RCVBUF, IP_TOS), the file's flags (a
# blocking socket stays blocking, FD_CLOEXEC as it was), a dup() taken
# before connect() is the connected socket (its bytes are carried and
# scanned), a child forked after connect() writes through the relay too
# (its canary never arrives), a refused upstream is ECONNREFUSED (blocking;
# non-blocking: at once, or EINPROGRESS then SO_ERROR ECONNREFUSED), a live one
# EINPROGRESS then POLLOUT with SO_ERROR 0. A road that swapped the
# socket (SECCOMP_IOCTL_NOTIF_ADDFD of a pre-connected one) fails most of it.
. "$(dirname "$0")/lib.sh"

TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv3
need_relay
start_server recsrv.py 127.0.0.1 rec
closed_port dead
J="--no-default-policy --relay --allow 127.0.0.1 --canary $TOKEN -q"

cat > "$T/props.py" <<'PY'
import errno, fcntl, os, select, socket, sys, time
port, dead, token, tag = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def opts(s):
    return (s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
            s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
            s.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
            s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
            s.getsockopt(socket.IPPROTO_IP, socket.IP_TOS))
def setopts(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 77)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 40000)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0x10)
def recv_ok(s):
    s.settimeout(5)
    try:
        return s.recv(16).startswith(b'ok')
    except OSError:
        return False
# options and file flags kept
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
setopts(s)
before = opts(s)
s.connect(('127.0.0.1', port))
print('opts', opts(s) == before, opts(s), before)
print('blocking', fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK == 0)
print('cloexec', fcntl.fcntl(s.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC != 0)
u = socket.socket()
os.set_inheritable(u.fileno(), True)
u.connect(('127.0.0.1', port))
print('nocloexec', fcntl.fcntl(u.fileno(), fcntl.F_GETFD) & fcntl.FD_CLOEXEC == 0)
s.sendall(('GET /opts-%s HTTP/1.1\r\nHost: x\r\n\r\n' % tag).encode())
print('opts-carried', recv_ok(s))
u.close(); s.close()
# a dup taken before connect() is the connected socket
s = socket.socket()
d = socket.socket(fileno=os.dup(s.fileno()))
s.connect(('127.0.0.1', port))
d.sendall(('GET /dup-%s HTTP/1.1\r\nHost: x\r\n\r\n' % tag).encode())
print('dup-carried', recv_ok(d))
try:
    d.sendall(('POST /dup HTTP/1.1\r\nHost: x\r\nContent-Length: 47\r\n\r\ntoken=%s\n' % token).encode())
    time.sleep(0.3)
    d.sendall(b'x')
    d.settimeout(3)
    r = d.recv(16)
    print('dup-canary-refused', r in (b'',))
except OSError:
    print('dup-canary-refused', True)
d.close(); s.close()
# a child forked after connect() writes through the relay
s = socket.create_connection(('127.0.0.1', port))
pid = os.fork()
if pid == 0:
    try:
        s.sendall(('GET /fork-%s HTTP/1.1\r\nHost: x\r\n\r\n' % tag).encode())
        ok = recv_ok(s)
        s.sendall(('POST /fork HTTP/1.1\r\nHost: x\r\nContent-Length: 47\r\n\r\ntoken=%s\n' % token).encode())
        time.sleep(0.3)
        os._exit(0 if ok else 1)
    except OSError:
        os._exit(0)
_, st = os.waitpid(pid, 0)
print('fork-carried', os.WEXITSTATUS(st) == 0)
s.close()
# refused and live upstreams, blocking and not
s = socket.socket()
try:
    s.connect(('127.0.0.1', dead)); e = 0
except OSError as x:
    e = x.errno
print('refused-blocking', e == errno.ECONNREFUSED, e)
s.close()
for name, p, want in (('refused-nb', dead, errno.ECONNREFUSED), ('live-nb', port, 0)):
    s = socket.socket()
    s.setblocking(False)
    e = s.connect_ex(('127.0.0.1', p))
    r = select.poll(); r.register(s, select.POLLOUT)
    ev = r.poll(5000)
    so = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    # a loopback refusal is known at once: answered at once (as asyncio,
    # libuv and Go accept; the kernel says EINPROGRESS, then SO_ERROR)
    now = want and e == want
    print(name, now or (e == errno.EINPROGRESS and bool(ev) and so == want), e, so)
    s.close()
PY
out=$("$DLPJAIL" $J -- python3 "$T/props.py" "$rec_PORT" "$dead_PORT" "$TOKEN" "$$" 2>&1)
echo "$out"
has() { printf '%s\n' "$out" | grep -q "^$1 True"; }
check "options set before connect() are kept" has opts
check "a blocking socket stays blocking after connect()" has blocking
check "FD_CLOEXEC is kept" has cloexec
check "no FD_CLOEXEC stays none" has nocloexec
check "the socket with options carries bytes" has opts-carried
check "a dup() taken before connect() carries bytes" has dup-carried
check "a canary through the dup is refused" has dup-canary-refused
check "a child forked after connect() carries bytes" has fork-carried
check "a refused upstream: blocking connect() ECONNREFUSED" has refused-blocking
check "a refused upstream: non-blocking ECONNREFUSED (at once or in SO_ERROR)" has refused-nb
check "a live upstream: non-blocking EINPROGRESS, then POLLOUT, SO_ERROR 0" has live-nb
sleep 0.5
check "bytes of the kept, dup'ed and forked sockets arrived" sh -c \
	"grep -q 'opts-$$' '$rec_LOG' && grep -q 'dup-$$' '$rec_LOG' && grep -q 'fork-$$' '$rec_LOG'"
check "no canary arrived (dup, forked child)" sh -c "! grep -q '$TOKEN' '$rec_LOG'"
finish
