#!/bin/sh
# 305-adhoc-parity: the ad hoc form (LD_PRELOAD=libdlpshim.so, per-user
# broker) enforces the launcher's network rules (issue 10 item 8 with item
# 4), through the one decision module (broker/sc_decide.c): a UDP datagram
# to anything but port 53 of a name server is refused and never arrives
# (python, a raw syscall sendto, a raw connect + write, an env -i child);
# the jail's own loopback UDP socket and TCP server work, with no policy
# line naming them; listen() on 0.0.0.0 is
# refused, on loopback it works; a Unix socket of a host process is
# refused unless a `unix` policy line names it (env -i child too), while
# the per-user broker's own socket stays reachable (shimmed children work).
. "$(dirname "$0")/lib.sh"

TOKEN=xoxb-123456789012-1234567890123-AdhocParityCanaryTokXy
"$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -- true 2>/dev/null ||
	skip "the ad hoc backstop needs seccomp user notification"
[ "$(uname -m)" = x86_64 ] || skip "the raw syscall helper is x86_64 only"
cc -o "$T/udp_raw" "$top_srcdir/t/e2e/adhoc_udp_raw.c" || { echo "cannot build udp_raw"; exit 99; }

# a recording UDP and TCP server on 127.0.0.2:RP (a port of the kernel's,
# free for both: a fixed one collides with a parallel run), a Unix stream
# server outside
python3 -c '
import socket, sys, threading
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.2", 0))
    t = socket.socket()
    try:
        t.bind(("127.0.0.2", u.getsockname()[1])); break
    except OSError:
        u.close(); t.close()
t.listen(16)
x = socket.socket(socket.AF_UNIX); x.bind(sys.argv[1] + "/host.sock"); x.listen(16)
def ux():
    while True:
        c, _ = x.accept(); c.close()
def tcp():
    while True:
        c, _ = t.accept(); c.settimeout(2)
        try:
            b = c.recv(65536)
        except OSError:
            b = b""
        with open(sys.argv[1] + "/tcp.log", "ab") as f:
            f.write(b)
        c.close()
threading.Thread(target=ux, daemon=True).start()
threading.Thread(target=tcp, daemon=True).start()
open(sys.argv[1] + "/srv.port", "w").write(str(u.getsockname()[1]))
import os; os.rename(sys.argv[1] + "/srv.port", sys.argv[1] + "/srv.ready")
while True:
    b, _ = u.recvfrom(65536)
    with open(sys.argv[1] + "/udp.log", "ab") as f:
        f.write(b + b"\n")
' "$T" &
PIDS="$PIDS $!"
i=0; while [ ! -e "$T/srv.ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/srv.ready" ] || { echo "cannot start the servers"; exit 99; }
RP=$(cat "$T/srv.ready")
: > "$T/udp.log"

cat > "$T/p.py" <<'PY'
import os, socket, sys
m, arg = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ''
socket.setdefaulttimeout(5)
try:
    if m == 'udp':
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(arg.encode(), ('127.0.0.2', 9999))
    elif m == 'udpown':
        r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(('127.0.0.1', 0))
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'own', r.getsockname())
        assert r.recv(8) == b'own'
    elif m == 'listen':
        s = socket.socket(); s.bind((arg, 0)); s.listen(1)
        if arg == '127.0.0.1':
            c = socket.create_connection(s.getsockname()); a, _ = s.accept()
            c.sendall(b'hi'); assert a.recv(2) == b'hi'
    elif m == 'tcp':
        socket.create_connection((arg, 9999)).sendall(b'tcp clean')
    elif m == 'unix':
        socket.socket(socket.AF_UNIX).connect(arg)
    print('ok')
except OSError as e:
    print('err', e.errno)
PY
sed -i "s/9999/$RP/" "$T/p.py"

mkdir -m 700 "$T/run" "$T/run2"
printf 'allow 127.0.0.0/8\ncanary %s\n' "$TOKEN" > "$T/a.policy"
printf 'allow 127.0.0.0/8\nunix %s/host.sock\n' "$T" > "$T/b.policy"
export XDG_RUNTIME_DIR="$T/run" DLPJAIL_BIN="$DLPJAIL" DLPJAIL_POLICY="$T/a.policy" DLPJAIL_IDLE=5
EV="$T/run/dlpjail/events.jsonl"
# sh is not shimmed-first by accident: it loads the shim, installs the
# filter, and its children (python, env -i python) run under it
adhoc() { timeout 20 env LD_PRELOAD="$DLPJAIL_SHIM" sh -c '"$@"' sh "$@" 2>&1; }
PY="/usr/bin/python3 $T/p.py"

out=$(adhoc $PY udp "py clean")
check "python UDP datagram (clean) to 127.0.0.2:$RP refused ($out)" [ "$out" = "err 13" ]
bpid=$(fuser "$T/run/dlpjail/broker.lock" 2>/dev/null | tr -d ' ')
[ -n "$bpid" ] && PIDS="$PIDS $bpid"
out=$(adhoc "$T/udp_raw" sendto 127.0.0.2 $RP "rawsendto $TOKEN")
check "raw syscall sendto refused ($out)" [ "$out" = "err 13" ]
out=$(adhoc "$T/udp_raw" connect 127.0.0.2 $RP "rawconnect clean")
check "raw syscall connect + write of a clean datagram refused ($out)" [ "$out" = "err 13" ]
out=$(adhoc env -i "$T/udp_raw" sendto 127.0.0.2 $RP "envi $TOKEN")
check "env -i child, raw sendto refused ($out)" [ "$out" = "err 13" ]
out=$(adhoc env -i $PY udp "envipy clean")
check "env -i python child: UDP refused ($out)" [ "$out" = "err 13" ]
sleep 0.2
check "no datagram reached the recording server ($(head -c 200 "$T/udp.log"))" [ ! -s "$T/udp.log" ]
check "the per-user log has the udp refusal" sh -c \
	"grep '\"rule\":\"udp\"' '$EV' | grep -q 'UDP goes only to the session'"
check "no event shows the canary" sh -c "! grep -q '$TOKEN' '$EV'"
check "the jail's own loopback UDP socket works ($(adhoc $PY udpown))" [ "$(adhoc $PY udpown)" = ok ]
check "env -i child: its own loopback UDP socket works" [ "$(adhoc env -i $PY udpown)" = ok ]

out=$(adhoc $PY listen 0.0.0.0)
check "listen on 0.0.0.0 refused ($out)" sh -c "echo '$out' | grep -q '^err '"
out=$(adhoc env -i $PY listen 0.0.0.0)
check "env -i child: listen on 0.0.0.0 refused ($out)" sh -c "echo '$out' | grep -q '^err '"
check "listen, connect, accept on 127.0.0.1 work ($(adhoc $PY listen 127.0.0.1))" \
	[ "$(adhoc $PY listen 127.0.0.1)" = ok ]

out=$(adhoc $PY unix "$T/host.sock")
check "Unix socket of a host process refused ($out)" [ "$out" = "err 13" ]
out=$(adhoc env -i $PY unix "$T/host.sock")
check "env -i child: host Unix socket refused ($out)" [ "$out" = "err 13" ]
check "...evented" sh -c "grep -q 'AF_UNIX [^\"]*host.sock: not the jail' '$EV'"
# a second per-user broker whose policy names the socket
out=$(XDG_RUNTIME_DIR="$T/run2" DLPJAIL_POLICY="$T/b.policy" adhoc $PY unix "$T/host.sock")
check "...reachable when a unix line names it ($out)" [ "$out" = ok ]
b2=$(fuser "$T/run2/dlpjail/broker.lock" 2>/dev/null | tr -d ' ')
[ -n "$b2" ] && PIDS="$PIDS $b2"
out=$(XDG_RUNTIME_DIR="$T/run2" DLPJAIL_POLICY="$T/b.policy" adhoc env -i $PY unix "$T/host.sock")
check "...env -i child too ($out)" [ "$out" = ok ]
# the broker's socket: a shimmed child (under the filter) still talks to it
out=$(adhoc curl -s -S -m 5 -d "t=$TOKEN" http://127.0.0.2:$RP/ 2>&1)
check "the per-user broker's socket stays reachable: the shim blocks a canary ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'dlpjail: blocked'" _ "$out"
check "...and it never arrives" sh -c "! grep -q '$TOKEN' '$T/tcp.log' 2>/dev/null"

# a policy that names no address: the jail's own loopback servers still
# need none (the shim asks the broker, which asks the supervisor of the
# asker's tree), a host's loopback server stays refused
mkdir -m 700 "$T/run4"
printf 'canary %s\n' "$TOKEN" > "$T/d.policy"
out=$(XDG_RUNTIME_DIR="$T/run4" DLPJAIL_POLICY="$T/d.policy" adhoc $PY listen 127.0.0.1)
check "no allow line: the jail's own loopback server is reachable ($out)" [ "$out" = ok ]
b4=$(fuser "$T/run4/dlpjail/broker.lock" 2>/dev/null | tr -d ' ')
[ -n "$b4" ] && PIDS="$PIDS $b4"
out=$(XDG_RUNTIME_DIR="$T/run4" DLPJAIL_POLICY="$T/d.policy" adhoc $PY udpown)
check "no allow line: its own loopback UDP socket too ($out)" [ "$out" = ok ]
out=$(XDG_RUNTIME_DIR="$T/run4" DLPJAIL_POLICY="$T/d.policy" adhoc $PY tcp 127.0.0.2 | tail -1)
check "no allow line: the host's loopback server is refused ($out)" [ "$out" = "err 13" ]
[ -n "$b4" ] && kill "$b4" 2>/dev/null

# DNS: no private /etc, so no DNS proxy; port 53 of the host's name server
# only, and every datagram there judged, a shimmed process's raw syscall
# too (the hooks never saw it). In a network namespace of our own: nothing
# leaves the machine whatever is decided (allowed: ENETUNREACH or sent to
# a loopback resolver nobody answers; refused: EACCES).
NS=$(awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ { print $2; exit }' /etc/resolv.conf)
if [ -n "$NS" ] && unshare -n true 2>/dev/null; then
	mkdir -m 700 "$T/run3"
	printf 'allow *.example.com\ncanary %s\n' "$TOKEN" > "$T/c.policy"
	XDG_RUNTIME_DIR="$T/run3" DLPJAIL_POLICY="$T/c.policy" unshare -n sh -c 'ip link set lo up 2>/dev/null
		q() { timeout 20 env LD_PRELOAD="$DLPJAIL_SHIM" sh -c "\"\$@\"; exit \$?" sh "$@" 2>&1; }
		echo "clean=$(q "$1" dns "$2" 53 www.example.com)"
		echo "canary=$(q "$1" dns "$2" 53 "$3.example.com")"
		echo "envi=$(q env -i "$1" dns "$2" 53 "$3.example.com")"
		echo "other=$(q "$1" dns 127.0.0.2 9999 www.example.com)"
		kill $(fuser "$XDG_RUNTIME_DIR/dlpjail/broker.lock" 2>/dev/null) 2>/dev/null' \
		sh "$T/udp_raw" "$NS" "$TOKEN" > "$T/dns.out" 2>&1
	out=$(tr '\n' ' ' < "$T/dns.out")
	check "raw DNS query of an allowed name to the name server $NS: not refused ($out)" \
		sh -c "grep -q '^clean=' '$T/dns.out' && ! grep -q '^clean=err 13' '$T/dns.out'"
	check "raw DNS query carrying the canary, from a shimmed process: refused" \
		grep -q '^canary=err 13' "$T/dns.out"
	check "...from an env -i child: refused" grep -q '^envi=err 13' "$T/dns.out"
	check "a DNS-format datagram to another port: refused" grep -q '^other=err 13' "$T/dns.out"
	check "no event shows the canary" sh -c "! grep -q '$TOKEN' '$T/run3/dlpjail/events.jsonl'"
fi
[ -n "$bpid" ] && kill "$bpid" 2>/dev/null
[ -n "$b2" ] && kill "$b2" 2>/dev/null
finish
