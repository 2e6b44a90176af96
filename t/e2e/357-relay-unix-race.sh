#!/bin/sh
# 357-relay-unix-race: an AF_UNIX connect is performed by the supervisor on
# the inode it checked (issue 10 item 2). Attacks: a thread re-points a
# symlink between the jail's own socket (allowed) and a host socket no
# 'unix' line names (refused), and another rewrites the sockaddr's path in
# place, while the main thread connects in a loop; a host server counts
# what reaches the forbidden socket: nothing may. The broker still knows
# its shimmed clients by pid (the shim's HELLO over the emulated connect).
. "$(dirname "$0")/lib.sh"

"$DLPJAIL" --no-default-policy --allow 127.0.0.1 -- true 2>/dev/null ||
	skip "needs the seccomp backstop"

cat > "$T/host.py" <<'PY'
import os, socket, sys
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(512)
open(p + '.ready', 'w').close()
n = 0
while True:
    c, _ = s.accept(); n += 1
    open(p + '.count', 'w').write('%d\n' % n)
    c.close()
PY
cat > "$T/race.py" <<'PY'
import ctypes, os, socket, sys, threading, time
d, forbidden, mode, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
own = d + '/own.sock'
srv = socket.socket(socket.AF_UNIX); srv.bind(own); srv.listen(512)
def drain():
    while True:
        c, _ = srv.accept(); c.close()
threading.Thread(target=drain, daemon=True).start()
link = d + '/L'
os.symlink(own, link)
stop = False
libc = ctypes.CDLL(None, use_errno=True)
# sockaddr_un with a path we rewrite in place from another thread
buf = ctypes.create_string_buffer(2 + 108)
buf[0:2] = socket.AF_UNIX.to_bytes(2, 'little')
a1, a2 = own.encode() + b'\0', forbidden.encode() + b'\0'
buf[2:2 + len(a1)] = a1
def flip_link():
    i = 0
    while not stop:
        t = link + '.t'
        try: os.unlink(t)
        except OSError: pass
        os.symlink(forbidden if i % 2 else own, t); os.replace(t, link); i += 1
def flip_name():
    i = 0
    while not stop:
        v = a2 if i % 2 else a1
        ctypes.memmove(ctypes.addressof(buf) + 2, v, len(v)); i += 1
th = threading.Thread(target=flip_link if mode == 'link' else flip_name, daemon=True)
th.start()
ok = refused = 0
path = link.encode() + b'\0'
if mode == 'link':
    lbuf = ctypes.create_string_buffer(2 + 108)
    lbuf[0:2] = socket.AF_UNIX.to_bytes(2, 'little'); lbuf[2:2 + len(path)] = path
for _ in range(n):
    fd = socket.socket(socket.AF_UNIX).detach()
    r = libc.connect(fd, lbuf if mode == 'link' else buf, 110)
    if r == 0: ok += 1
    else: refused += 1
    os.close(fd)
stop = True
print('connects ok=%d refused=%d' % (ok, refused))
PY
python3 "$T/host.py" "$T/host.sock" &
PIDS="$PIDS $!"
i=0
while [ ! -e "$T/host.sock.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
out=$(timeout 120 "$DLPJAIL" --no-default-policy --allow 127.0.0.1 -q -- \
      python3 "$T/race.py" "$T" "$T/host.sock" link 3000 2>&1)
echo "$out" | tail -3
check "symlink race: both kinds of answer seen (the race ran)" sh -c "echo '$out' | grep -q 'ok=[1-9].*refused=[1-9]'"
check "symlink race: nothing reached the forbidden socket" sh -c "[ ! -e '$T/host.sock.count' ]"
rm -f "$T/L" "$T/own.sock" "$T/L.t"
out=$(timeout 120 "$DLPJAIL" --no-default-policy --allow 127.0.0.1 -q -- \
      python3 "$T/race.py" "$T" "$T/host.sock" name 3000 2>&1)
echo "$out" | tail -3
check "sockaddr rewrite race: both kinds of answer seen" sh -c "echo '$out' | grep -q 'ok=[1-9].*refused=[1-9]'"
check "sockaddr rewrite race: nothing reached the forbidden socket" sh -c "[ ! -e '$T/host.sock.count' ]"
[ -e "$T/host.sock.count" ] && echo "# reached the forbidden socket: $(cat "$T/host.sock.count")"
# the broker still names its shimmed clients by their own pid (the shim's
# HELLO came over an emulated AF_UNIX connect, whose SO_PEERCRED is ours)
timeout 30 "$DLPJAIL" --no-default-policy --allow 127.0.0.1 -l "$T/ev.jsonl" -q -- \
	python3 -c 'import os, socket
print("pid", os.getpid())
s = socket.socket()
try: s.connect(("127.0.0.2", 9))
except OSError as e: print(e)' > "$T/deny.out" 2>&1 || true
cat "$T/deny.out"
jp=$(awk '$1=="pid"{print $2}' "$T/deny.out")
check "the broker names the shimmed client by its pid" sh -c "grep '127.0.0.2' '$T/ev.jsonl' | grep -q '\"pid\":$jp[,}]'"
finish
