# SPDX-License-Identifier: MIT
# unix_send.py - AF_UNIX sends the seccomp supervisor now performs itself
# (no CONTINUE): a datagram to an absolute and to a relative path (resolved
# in the caller's root and cwd), SCM_RIGHTS (the fd numbers are the
# caller's), and a connected pair. Prints "ok unix-send" or "FAIL ...".
#   python3 unix_send.py DIR
import array, os, socket, sys

d = sys.argv[1]
os.chdir(d)
r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
r.bind(os.path.join(d, "abs.sock"))
rel = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
rel.bind("rel.sock")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"to-abs", os.path.join(d, "abs.sock"))
s.sendto(b"to-rel", "rel.sock")
got = (r.recv(64), rel.recv(64))
if got != (b"to-abs", b"to-rel"):
    print("FAIL paths", got); sys.exit(1)
try:
    s.sendto(b"x", os.path.join(d, "missing.sock"))
    print("FAIL missing path accepted"); sys.exit(1)
except FileNotFoundError:
    pass
with open("payload", "w") as f:
    f.write("passed-fd-content")
a, b = socket.socketpair()
fd = os.open("payload", os.O_RDONLY)
a.sendmsg([b"fd"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
msg, anc, _, _ = b.recvmsg(16, socket.CMSG_SPACE(4))
fds = array.array("i")
for lvl, typ, data in anc:
    if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[:4])
if msg != b"fd" or len(fds) != 1 or os.read(fds[0], 64) != b"passed-fd-content":
    print("FAIL SCM_RIGHTS", msg, list(fds)); sys.exit(1)
print("ok unix-send")
