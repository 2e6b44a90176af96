#!/bin/sh
# 070-fd-protection: the application cannot lose the shim's broker socket:
# closefrom/close_range/close sweeps and dup2 onto its number are absorbed.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 web
cat > "$T/fds.py" <<PY
import os, socket, ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
def attempt(tag):
    s = socket.socket()
    try:
        s.connect(('127.0.0.1', $web_PORT)); r = 'ok'
    except OSError as e:
        r = errno.errorcode.get(e.errno, str(e.errno))
    s.close(); print(tag, r, flush=True)
def broker_fds():
    out = []
    for fd in os.listdir('/proc/self/fd'):
        try:
            if int(fd) >= 900 and os.readlink('/proc/self/fd/' + fd).startswith('socket:'):
                out.append(int(fd))
        except OSError: pass
    return out
attempt('start')
fds = broker_fds(); print('broker-fds', len(fds), flush=True)
libc.closefrom(3); attempt('closefrom')
os.closerange(3, 65536); attempt('closerange')
for fd in broker_fds():
    try: os.close(fd)
    except OSError: pass
attempt('close')
for fd in broker_fds():
    os.dup2(1, fd)
attempt('dup2')
libc.close_range(3, 0xffffffff, 0); attempt('close_range')
PY
out=$(jail --allow 127.0.0.1 -- python3 "$T/fds.py" 2>&1)
echo "$out"
check "the shim holds one broker socket at fd >= 900" sh -c "echo \"\$1\" | grep -q 'broker-fds 1'" _ "$out"
for step in start closefrom closerange close dup2 close_range; do
	check "connect still checked and allowed after $step" sh -c "echo \"\$1\" | grep -q '^$step ok'" _ "$out"
done
check "no 'broker unreachable' along the way" sh -c "! echo \"\$1\" | grep -q unreachable" _ "$out"
finish
