#!/bin/sh
# 356-relay-udp-own: a datagram to the jail's own UDP socket on loopback is
# judged from a remembered holder (sc_own.c: socket inode -> pid/fd,
# re-checked with one readlink) instead of a walk of every fd of the tree
# per datagram (issue 10 item 3): 300 addressed datagrams, median under
# 0.4 ms (the walk alone was 0.56-1.9 ms). The memory must not outlive
# the socket: after the jail closed its socket and a host process bound
# the same port, the next datagram is refused and never arrives.
. "$(dirname "$0")/lib.sh"

"$DLPJAIL" --no-default-policy --allow 127.0.0.1 -- true 2>/dev/null ||
	skip "needs the seccomp backstop"

cat > "$T/own.py" <<'PY'
import errno, os, socket, sys, time
t = sys.argv[1]
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('127.0.0.1', 0))
a = r.getsockname()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
lat = []
for i in range(300):
    t0 = time.monotonic(); s.sendto(b'own-clean', a); lat.append(time.monotonic() - t0)
    r.recv(100)
lat.sort()
print('median_ms %.3f' % (lat[150] * 1e3))
print('fast' if lat[150] < 0.0004 else 'slow')
# hand the port to a host process: close ours, tell it, wait until it bound
r.close()
open(t + '/port', 'w').write('%d\n' % a[1])
for _ in range(200):
    if os.path.exists(t + '/bound'): break
    time.sleep(0.05)
try:
    s.sendto(b'after-close-secret', a); print('sent after close')
except OSError as e:
    print('after close', errno.errorcode.get(e.errno, e.errno))
PY
cat > "$T/host.py" <<'PY'
import os, socket, sys, time
t = sys.argv[1]
while not os.path.exists(t + '/port'): time.sleep(0.02)
p = int(open(t + '/port').read())
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', p))
open(t + '/bound', 'w').close()
u.settimeout(3)
try:
    print('host got', u.recv(100).decode())
except socket.timeout:
    print('host got nothing')
PY
python3 "$T/host.py" "$T" > "$T/host.out" 2>&1 &
hp=$!
PIDS="$PIDS $hp"
out=$(timeout 60 "$DLPJAIL" --no-default-policy --allow 127.0.0.1 -q -- python3 "$T/own.py" "$T" 2>&1)
echo "$out"
wait "$hp" 2>/dev/null || true
cat "$T/host.out"
if [ -n "${DLP_SANITIZERS:-}" ]; then
	# ASan's supervisor is several times slower on every path (seen 0.42 ms
	# on a loaded CI machine): the bound means nothing there
	echo "# own UDP datagrams under ASan: $(echo "$out" | grep median_ms), not checked"
else
	check "own UDP datagrams: median under 0.4 ms" sh -c "echo '$out' | grep -qx fast"
fi
check "a port the jail gave up, now a host process's: refused" sh -c "echo '$out' | grep -qx 'after close EACCES'"
check "the host process got nothing" grep -qx 'host got nothing' "$T/host.out"
finish
