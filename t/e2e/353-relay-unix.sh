#!/bin/sh
# 353-relay-unix: Unix sockets (issue 10 item 4). The jail's own sockets
# work (a stream listener it opened, a datagram socket it holds, an
# abstract listener, socketpair); the session broker's socket works (the
# shim still blocks a canary); a socket of a host process - path, abstract
# or datagram - is refused with an event unless a "unix" policy line names
# it, also from static Go, and a symlink the jail plants under an allowed
# glob does not reach another socket (the policy is matched against the
# resolved path).
. "$(dirname "$0")/lib.sh"

TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv5
"$DLPJAIL" --no-default-policy -- true 2>/dev/null || skip "dlpjail does not run here"
"$DLPJAIL" --no-default-policy --relay -- true 2>/dev/null ||
	skip "Unix socket rules need the seccomp backstop (notify)"
GO=""
if command -v go > /dev/null 2>&1 &&
   (cd "$T" && cp "$top_srcdir/t/e2e/local_go.go" . && CGO_ENABLED=0 GO111MODULE=off \
    timeout 120 go build -o local_go local_go.go) 2>/dev/null; then
	GO="$T/local_go"
fi
AB="dlpjail-t-$$"
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1] + "/host.sock"); s.listen(16)
a = socket.socket(socket.AF_UNIX); a.bind("\0" + sys.argv[2]); a.listen(16)
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d.bind(sys.argv[1] + "/hostd.sock")
open(sys.argv[1] + "/host.ready", "w").close()
time.sleep(60)
' "$T" "$AB" &
PIDS="$PIDS $!"
i=0; while [ ! -e "$T/host.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done

cat > "$T/ux.py" <<'PY'
import os, socket, sys
def tryit(f):
    try:
        f(); print('ok')
    except OSError as e:
        print('err', e.errno)
m, arg = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ''
socket.setdefaulttimeout(5)
if m == 'own':
    s = socket.socket(socket.AF_UNIX); s.bind(arg + '/own.sock'); s.listen(1)
    d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d.bind(arg + '/ownd.sock')
    ab = socket.socket(socket.AF_UNIX); ab.bind('\0own-%d' % os.getpid()); ab.listen(1)
    if os.fork() == 0:
        c = socket.socket(socket.AF_UNIX); c.connect(arg + '/own.sock'); c.sendall(b'stream')
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'dgram', arg + '/ownd.sock')
        socket.socket(socket.AF_UNIX).connect('\0own-%d' % os.getppid())
        os._exit(0)
    a, _ = s.accept(); x, y = socket.socketpair(); x.sendall(b'pair')
    print('own', a.recv(8).decode(), d.recv(8).decode(), ab.accept()[0] and 'abstract', y.recv(8).decode())
elif m == 'connect':
    tryit(lambda: socket.socket(socket.AF_UNIX).connect(arg.replace('@', '\0', 1) if arg[0] == '@' else arg))
elif m == 'sendto':
    tryit(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'x', arg))
PY
J="--no-default-policy --log $T/events.jsonl -q"
out=$(timeout 30 "$DLPJAIL" $J -- python3 "$T/ux.py" own "$T" 2>&1 | tail -1)
check "the jail's own stream, datagram, abstract and socketpair sockets work ($out)" [ "$out" = "own stream dgram abstract pair" ]
check "host stream socket refused" [ "$("$DLPJAIL" $J -- python3 "$T/ux.py" connect "$T/host.sock" 2>&1)" = "err 13" ]
check "...evented" event_has '"op":"refuse"' "AF_UNIX [^\"]*host.sock: not the jail's own socket"
check "host abstract socket refused" [ "$("$DLPJAIL" $J -- python3 "$T/ux.py" connect "@$AB" 2>&1)" = "err 13" ]
check "host datagram socket refused" [ "$("$DLPJAIL" $J -- python3 "$T/ux.py" sendto "$T/hostd.sock" 2>&1)" = "err 13" ]
if [ -n "$GO" ]; then
	check "static Go to the host socket refused" sh -c "\"\$0\" $J -- '$GO' unix '$T/host.sock' | grep -q 'permission denied'" "$DLPJAIL"
fi
out=$("$DLPJAIL" $J --canary "$TOKEN" -- curl -s -S -d "t=$TOKEN" http://127.0.0.1:9/ 2>&1)
check "the broker's own socket still works: the shim blocks a canary" sh -c "printf '%s' \"\$1\" | grep -q 'dlpjail: blocked'" _ "$out"

# a host process connecting to a jail's Unix listener is reset (SO_PEERCRED)
( timeout 20 "$DLPJAIL" $J -- python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4); s.settimeout(3)
open(sys.argv[1] + '.ready', 'w').close()
try:
    c, _ = s.accept(); print('accepted', c.recv(16))
except OSError as e:
    print('none', type(e).__name__)" "$T/jl.sock" > "$T/jl.out" 2>&1 & )
i=0; while [ ! -e "$T/jl.sock.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
python3 -c 'import socket,sys; c=socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); c.sendall(b"host-data")' "$T/jl.sock" 2>/dev/null
# the listener's answer: after its 3 s accept timeout, or at once when accepted
i=0; while [ ! -s "$T/jl.out" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
check "a host process connecting to the jail's Unix listener is refused ($(cat "$T/jl.out"))" grep -q '^none' "$T/jl.out"
check "...evented" event_has '"op":"refuse"' 'inbound connection from pid [0-9]+, not a process of the jail'

printf 'unix %s/host.sock\nunix %s/hostd.sock\nunix @%s\nunix %s/allowed-*.sock\n' "$T" "$T" "$AB" "$T" > "$T/ux.policy"
P="$J -p $T/ux.policy"
check "allowed by 'unix PATH': stream" [ "$("$DLPJAIL" $P -- python3 "$T/ux.py" connect "$T/host.sock" 2>&1)" = "ok" ]
check "allowed by 'unix @NAME': abstract" [ "$("$DLPJAIL" $P -- python3 "$T/ux.py" connect "@$AB" 2>&1)" = "ok" ]
check "allowed by 'unix PATH': datagram" [ "$("$DLPJAIL" $P -- python3 "$T/ux.py" sendto "$T/hostd.sock" 2>&1)" = "ok" ]
mkdir -p "$T/other"
python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4); time.sleep(30)' "$T/other/secret.sock" &
PIDS="$PIDS $!"
sleep 0.3
out=$("$DLPJAIL" $P -- sh -c "ln -s '$T/other/secret.sock' '$T/allowed-evil.sock' && python3 '$T/ux.py' connect '$T/allowed-evil.sock'" 2>&1)
check "a planted symlink under an allowed glob does not reach another socket ($out)" [ "$out" = "err 13" ]
printf 'unix relative.sock\n' > "$T/bad.policy"
"$DLPJAIL" --no-default-policy -p "$T/bad.policy" -- true > "$T/bad.out" 2>&1
check "'unix' needs an absolute path or @NAME" grep -q "must be an absolute path or @NAME" "$T/bad.out"
finish
