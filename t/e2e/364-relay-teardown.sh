#!/bin/sh
# 364-relay-teardown: the relay passes each end's FIN on as the kernel
# would without it (issue 10, connect-speed3: the last FIN of a pair is
# sent by close(), not shutdown() + close()). The jail half-closes first:
# it still reads the whole reply, then EOF (not a reset). The server
# half-closes first: the jail reads the greeting and EOF, and what it
# writes afterwards still reaches the server, which then sees EOF. A
# first write of one byte that could start "CONNECT " or "SSH-" is not
# held back (the server's answer to it arrives).
. "$(dirname "$0")/lib.sh"
need_relay

cat > "$T/srv.py" <<'PY'
import os, socket, sys, threading
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
log = open(sys.argv[2], "a")
def one(c):
    c.settimeout(10)
    first = c.recv(1)
    if first == b"c":              # one byte that could start "CONNECT "
        c.sendall(b"hello-" + first)
        c.close()
        return
    if first == b"C":              # the client half-closes first
        data = first
        while True:
            b = c.recv(4096)
            if not b:
                break
            data += b
        c.sendall(b"pong:" + data + b"x" * 100000)
        c.close()
    else:                          # "S": the server half-closes first
        c.sendall(b"hello")
        c.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            b = c.recv(4096)
            if not b:
                break
            data += b
        log.write("server got %s then eof\n" % data.decode()); log.flush()
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=one, args=(c,), daemon=True).start()
PY
python3 "$T/srv.py" "$T/srv.port" "$T/srv.log" 2> "$T/srv.err" &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/srv.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
P=$(cat "$T/srv.port")
touch "$T/srv.log"

cat > "$T/cli.py" <<'PY'
import socket, sys
port, mode = int(sys.argv[1]), sys.argv[2]
c = socket.create_connection(("127.0.0.1", port), timeout=10)
data = b""
try:
    if mode == "c":
        c.sendall(mode.encode())
        data = c.recv(100)
        print("client got %s" % data.decode())
    elif mode == "C":
        c.sendall(b"Cping")
        c.shutdown(socket.SHUT_WR)
        while True:
            b = c.recv(65536)
            if not b:
                break
            data += b
        print("client got %d bytes, %s, then eof" % (len(data), data[:10].decode()))
    else:
        c.sendall(b"S")
        while True:
            b = c.recv(65536)
            if not b:
                break
            data += b
        c.sendall(b"late")
        c.close()
        print("client got %s then eof" % data.decode())
except OSError as e:
    print("client error", repr(e), len(data))
PY
J="--no-default-policy --allow 127.0.0.1 -q"
for r in 1 2 3; do
	out=$(timeout 20 "$DLPJAIL" $J -- python3 "$T/cli.py" "$P" C 2>&1)
	check "jail half-closes first: whole reply, then EOF ($out)" \
		[ "$out" = "client got 100010 bytes, pong:Cping, then eof" ]
	out=$(timeout 20 "$DLPJAIL" $J -- python3 "$T/cli.py" "$P" S 2>&1)
	check "server half-closes first: greeting, then EOF in the jail ($out)" \
		[ "$out" = "client got hello then eof" ]
done
# a first write of one byte that could still become "CONNECT " (any case:
# "S" is the half-close case above) is passed on, not held
for m in c; do
	out=$(timeout 20 "$DLPJAIL" $J -- python3 "$T/cli.py" "$P" $m 2>&1)
	check "a first write of '$m' alone reaches the server, which answers ($out)" \
		[ "$out" = "client got hello-$m" ]
done
i=0
while [ "$(grep -c '^server got late then eof$' "$T/srv.log")" != 3 ] && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
check "...and what the jail wrote after the server's FIN reached it, then EOF" \
	[ "$(grep -c '^server got late then eof$' "$T/srv.log")" = 3 ]
finish
