#!/bin/sh
# 389-relay-reset-idle: one side of a relayed connection is reset while
# nothing can move: after its own EOF, with no bytes on the way to it
# (issue 10, connect-speed6). The relay resets the other side, as the
# kernel's RST would reach it without the relay, and goes back to sleep:
# before, the dead socket's level-triggered EPOLLERR|EPOLLHUP woke a
# relay thread at once, over and over, until the other side closed (a
# core spent on nothing). Both ways: the jail half-closes, then closes
# on bytes it never read (its RST); the server half-closes, then closes
# on bytes it never read.
. "$(dirname "$0")/lib.sh"
need_relay

cat > "$T/srv.py" <<'PY'
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
log = open(sys.argv[2], "a")
while True:
    c, _ = s.accept()
    c.settimeout(10)
    mode = c.recv(1)
    if mode == b"J":             # the jail resets after its EOF
        while c.recv(4096):
            pass
        c.sendall(b"x" * 1000)   # never read: the jail's close() sends a RST
        time.sleep(2.5)          # idle meanwhile, connection open
        try:
            c.sendall(b"y")
            time.sleep(0.2)
            c.sendall(b"y")
            log.write("server: send after the jail's reset worked\n")
        except OSError as e:
            log.write("server: send after the jail's reset: %s\n" % type(e).__name__)
    else:                        # "U": the server resets after its EOF
        c.shutdown(socket.SHUT_WR)
        time.sleep(0.5)          # the jail's bytes arrive, never read
    log.flush()
    c.close()
PY
python3 "$T/srv.py" "$T/srv.port" "$T/srv.log" 2> "$T/srv.err" &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/srv.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
P=$(cat "$T/srv.port")
touch "$T/srv.log"

cat > "$T/cli.py" <<'PY'
import socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
c = socket.create_connection(("127.0.0.1", port), timeout=10)
c.sendall(mode.encode())
if mode == "J":
    c.shutdown(socket.SHUT_WR)
    time.sleep(0.8)              # the server's bytes wait here, unread
    c.close()                    # unread bytes: RST
    time.sleep(2.5)
    print("client done")
else:
    while c.recv(4096):
        pass                     # the server's EOF
    c.sendall(b"z" * 1000)       # never read by the server: its close() resets
    time.sleep(2.5)              # idle meanwhile
    try:
        c.sendall(b"z")
        time.sleep(0.2)
        c.sendall(b"z")
        print("client: send after the server's reset worked")
    except OSError as e:
        print("client: send after the server's reset: %s" % type(e).__name__)
PY

# CPU ticks of process $1 (all its threads)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
hz=$(getconf CLK_TCK)
J="--no-default-policy --allow 127.0.0.1 -q --relay"
for m in J U; do
	"$DLPJAIL" $J -- python3 "$T/cli.py" "$P" $m > "$T/cli.$m" 2>&1 &
	jp=$!
	sleep 1.4                    # the reset has happened (0.8 s, 0.5 s)
	t0=$(ticks $jp)
	sleep 1
	t1=$(ticks $jp)
	wait $jp || true
	# one second of an idle relay: far under a tenth of a CPU
	check "$m: the relay sleeps after the reset ($((t1 - t0)) ticks of $hz in 1 s)" \
		[ $((t1 - t0)) -lt $((hz / 10)) ]
done
check "U: the jail's send after the server's reset fails, as without the relay ($(cat "$T/cli.U"))" \
	grep -Eq 'reset: (BrokenPipeError|ConnectionResetError)' "$T/cli.U"
i=0
while ! grep -q "jail's reset" "$T/srv.log" && [ $i -lt 60 ]; do sleep 0.05; i=$((i + 1)); done
check "J: the server's send after the jail's reset fails, as without the relay ($(cat "$T/srv.log"))" \
	grep -Eq "jail's reset: (BrokenPipeError|ConnectionResetError)" "$T/srv.log"
finish
