#!/bin/sh
# 352-relay-local: issue 10 items 4 and 11 under the real launcher.
# Listening sockets: only on loopback (an inbound connection is an outbound
# channel): 0.0.0.0, ::, an unbound socket, a raw syscall(2), busybox nc -l
# and a static Go net.Listen are refused with an event; 127.0.0.1 and ::1
# work. The jail's own loopback servers need no policy entry (python
# http.server + curl, node, busybox wget) and are still relayed: a canary
# posted to one never reaches it; a host process connecting to one is reset
# (it could read what the jail writes). A host loopback service stays refused
# unless the policy allows it, also when the jail joins its port with
# SO_REUSEPORT. UDP goes only to the DNS proxy (and the jail's own UDP
# sockets on loopback): sendto, connect + send, a
# raw syscall(2), a DNS-format payload to another port, busybox nc -u and
# static Go are refused with an event; the UDP receiver gets nothing.
. "$(dirname "$0")/lib.sh"

TOKEN=ghp_Zq3CanaryToken7Xy9Kp2Lm4Nn6Rr8Tt0Vv4
N="$top_srcdir/t/e2e/local_net.py"
"$DLPJAIL" --no-default-policy --relay -- true 2>/dev/null ||
	skip "the relay needs the seccomp backstop (notify)"
BB=$(command -v busybox || true)
GO=""
if command -v go > /dev/null 2>&1 &&
   (cd "$T" && cp "$top_srcdir/t/e2e/local_go.go" . && CGO_ENABLED=0 GO111MODULE=off \
    timeout 120 go build -o local_go local_go.go) 2>/dev/null; then
	GO="$T/local_go"
fi
# no --allow at all: only what the tests below need is reachable
J="--no-default-policy --log $T/events.jsonl --canary $TOKEN -q"
run() { "$DLPJAIL" $J -- "$@" 2>&1; }

# --- listening sockets -------------------------------------------------------
check "listen on 0.0.0.0 refused" sh -c "[ \"\$(\"\$0\" $J -- python3 '$N' listen 0.0.0.0 2>&1)\" = 'err EPERM' ]" "$DLPJAIL"
check "...evented, naming the address" event_has '"op":"refuse"' 'listen on 0\.0\.0\.0:[0-9]+ \(only loopback'
check "listen on :: refused" [ "$(run python3 "$N" listen ::)" = "err EPERM" ]
check "listen on an unbound socket refused" [ "$(run python3 "$N" unbound)" = "err EPERM" ]
check "listen through a raw syscall(2) refused" [ "$(run python3 "$N" rawlisten)" = "err EPERM" ]
check "listen on 127.0.0.1 works" sh -c "\"\$0\" $J -- python3 '$N' listen 127.0.0.1 | grep -q '^ok [0-9]'" "$DLPJAIL"
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	check "listen on ::1 works" sh -c "\"\$0\" $J -- python3 '$N' listen ::1 | grep -q '^ok [0-9]'" "$DLPJAIL"
fi
if [ -n "$BB" ]; then
	out=$(run timeout 3 "$BB" nc -l -p 0 2>&1)
	check "busybox-static nc -l (every address) refused ($out)" sh -c "printf '%s' \"\$1\" | grep -qi 'not permitted'" _ "$out"
fi
if [ -n "$GO" ]; then
	check "static Go net.Listen(:0) refused" sh -c "\"\$0\" $J -- '$GO' listen :0 | grep -q 'operation not permitted'" "$DLPJAIL"
	check "static Go net.Listen(127.0.0.1:0) works" sh -c "\"\$0\" $J -- '$GO' listen 127.0.0.1:0 | grep -q '^ok listening 127.0.0.1:'" "$DLPJAIL"
fi

# --- the jail's own loopback servers ----------------------------------------
# (servers take a port of the kernel's (0) and say which: a port the test
# picked and let go could be taken by another test meanwhile)
out=$(timeout 30 "$DLPJAIL" $J -- sh -c "python3 -u -m http.server -b 127.0.0.1 0 >'$T/hs.log' 2>&1 &
	i=0; while ! P=\$(sed -n 's/^Serving HTTP on .* port \\([0-9]*\\) .*/\\1/p' '$T/hs.log' | grep .) && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done
	curl -s -o /dev/null -w 'curl %{http_code}\n' http://127.0.0.1:\$P/
	node -e \"require('http').get('http://127.0.0.1:\$P/',r=>console.log('node',r.statusCode)).on('error',e=>console.log('node',e.code))\"
	python3 -c \"import urllib.request as u; print('python', u.urlopen('http://127.0.0.1:\$P/').status)\"
	${BB:+$BB wget -q -O /dev/null http://127.0.0.1:\$P/ && echo busybox 200}" 2>&1)
for c in curl node python ${BB:+busybox}; do
	check "jailed http.server on 127.0.0.1, jailed $c: 200 without a policy entry" sh -c "printf '%s\n' \"\$1\" | grep -q '^$c 200'" _ "$out"
done
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" $J -- sh -c "python3 '$N' serve '$T/own.port' '$T/own.log' &
	i=0; while [ ! -s '$T/own.port' ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i+1)); done
	P=\$(cat '$T/own.port')
	curl -s -m 5 -d 'hello=world' http://127.0.0.1:\$P/clean; echo
	${BB:-busybox} wget -q -O - --post-data 'token=$TOKEN' http://127.0.0.1:\$P/secret; echo wget=\$?" 2>&1)
check "the jail's own server gets clean bytes" grep -q 'hello=world' "$T/own.log"
check "...but a canary posted to it never reaches it (relayed, scanned)" sh -c "! grep -q '$TOKEN' '$T/own.log'"
check "...evented by the relay" event_has '"detector":"canary"' '"layers":"relay'

# inbound: only connections the jail made are accepted (blocking python
# http.server, non-blocking node accept4); a host process is reset
: > "$T/events.jsonl"
# the jailed servers bind port 0 and write their ports; the host clients
# connect once the jailed clients were answered (a file, not a sleep), and
# the jail stays up until the host clients are done
( timeout 30 "$DLPJAIL" $J -- sh -c "python3 -u -m http.server -b 127.0.0.1 0 > '$T/acc.log' 2>&1 &
	node -e \"const s=require('http').createServer((q,r)=>{require('fs').appendFileSync('$T/acc.log','node '+q.url+'\\\\n');r.end('ok')});
		s.listen(0,'127.0.0.1',()=>require('fs').writeFileSync('$T/p3','' + s.address().port))\" &
	i=0; while { ! P2=\$(sed -n 's/^Serving HTTP on .* port \\([0-9]*\\) .*/\\1/p' '$T/acc.log' | grep .) || [ ! -s '$T/p3' ]; } && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done
	echo \$P2 > '$T/p2.tmp'; mv '$T/p2.tmp' '$T/p2'
	curl -s -o /dev/null -w 'jail-py %{http_code}\\n' http://127.0.0.1:\$P2/
	curl -s -o /dev/null -w 'jail-node %{http_code}\\n' http://127.0.0.1:\$(cat '$T/p3')/jail
	touch '$T/jail.done'
	i=0; while [ ! -e '$T/host.done' ] && [ \$i -lt 300 ]; do sleep 0.05; i=\$((i+1)); done" > "$T/acc.out" 2>&1
  touch "$T/acc.exit" ) &
i=0; while [ ! -e "$T/jail.done" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
P2=$(cat "$T/p2" 2>/dev/null) P3=$(cat "$T/p3" 2>/dev/null)
curl -s -m 3 -o /dev/null "http://127.0.0.1:${P2:-1}/host-$$"; echo "host-py $?" >> "$T/host.out"
curl -s -m 3 -o /dev/null "http://127.0.0.1:${P3:-1}/host-$$"; echo "host-node $?" >> "$T/host.out"
touch "$T/host.done"
i=0; while [ ! -e "$T/acc.exit" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
check "jailed servers answer jailed clients (blocking and non-blocking accept)" sh -c "grep -q 'jail-py 200' '$T/acc.out' && grep -q 'jail-node 200' '$T/acc.out'"
check "a host process connecting to them is reset ($(tr '\n' ' ' < "$T/host.out"))" sh -c "! grep -q 'host-py 0\$' '$T/host.out' && ! grep -q 'host-node 0\$' '$T/host.out'"
check "...and the servers never saw its request" sh -c "! grep -q 'host-$$' '$T/acc.log'"
check "...evented" event_has '"op":"refuse"' 'inbound connection from 127\.0\.0\.1:[0-9]+, not a process of the jail'

out=$(timeout 30 "$DLPJAIL" $J -- python3 "$N" prefork 2>&1)
check "3 processes in blocking accept() on one socket serve 9 connects, the socket stays blocking ($out)" [ "$out" = "served 9 blocking" ]

# a host loopback service: refused unless allowed, also with SO_REUSEPORT
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); open(sys.argv[2], "ab").write(c.recv(4096) or b""); c.close()
' "$T/host.port" "$T/host.log" &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/host.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
HP=$(cat "$T/host.port")
touch "$T/host.log"
out=$(run python3 -c "import socket; socket.create_connection(('127.0.0.1', $HP)).sendall(b'x')")
check "a host loopback service the policy does not allow is refused" sh -c "printf '%s' \"\$1\" | grep -q PermissionError" _ "$out"
out=$(run sh -c "python3 '$N' reuseport $HP > '$T/rp.out' & i=0; while [ ! -s '$T/rp.out' ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done; python3 -c \"import socket; socket.create_connection(('127.0.0.1', $HP)).sendall(b'hijack')\"")
check "joining its port with SO_REUSEPORT does not make it the jail's own" sh -c "printf '%s' \"\$1\" | grep -q PermissionError" _ "$out"
check "...nothing reached the host service" sh -c "! grep -q hijack '$T/host.log'"
out=$("$DLPJAIL" $J --allow 127.0.0.1 -- python3 -c "import socket; c=socket.create_connection(('127.0.0.1', $HP)); c.sendall(b'allowed'); c.recv(1)" 2>&1)
sleep 0.2
check "allowed by the policy, it stays reachable (through the relay)" grep -q allowed "$T/host.log"

# --- UDP: only DNS to the session's proxy --------------------------------------
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    open(sys.argv[2], "ab").write(s.recv(65536) + b"\n")
' "$T/udp.port" "$T/udp.log" &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/udp.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
UP=$(cat "$T/udp.port")
touch "$T/udp.log"
: > "$T/events.jsonl"
for m in udp udpconn rawudp dns53; do
	out=$("$DLPJAIL" $J --allow 127.0.0.1 -- python3 "$N" $m "$UP" "udp-$m-$$" 2>&1)
	check "UDP $m to an allowed host's port $UP refused ($out)" [ "$out" = "err EACCES" ] || [ "$out" = "err EPERM" ]
done
check "...evented: UDP goes only to the DNS proxy" event_has '"op":"(sendto|connect)"' "\"port\":$UP" 'UDP goes only to the session.s DNS proxy'
if [ -n "$BB" ]; then
	"$DLPJAIL" $J --allow 127.0.0.1 -- sh -c "echo udp-bb-$$ | timeout 2 $BB nc -u -w 1 127.0.0.1 $UP" > /dev/null 2>&1
fi
if [ -n "$GO" ]; then
	out=$("$DLPJAIL" $J --allow 127.0.0.1 -- "$GO" udp "127.0.0.1:$UP" "udp-go-$$" 2>&1)
	check "static Go UDP refused ($out)" sh -c "printf '%s' \"\$1\" | grep -q 'permission denied'" _ "$out"
fi
sleep 0.3
check "the UDP receiver got nothing at all" [ ! -s "$T/udp.log" ]
out=$("$DLPJAIL" $J -- python3 "$N" udpself 2>&1)
check "UDP to a socket of the jail's own on loopback is delivered ($out)" [ "$out" = "ok self" ]
# the DNS proxy itself is reachable: a query to the jail's resolv.conf name server
out=$("$DLPJAIL" $J -- python3 -c "
import socket, struct
ns = [l.split()[1] for l in open('/etc/resolv.conf') if l.startswith('nameserver')][0]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
q = struct.pack('>HHHHHH', 7, 0x0100, 1, 0, 0, 0) + b'\x09localhost\x00\x00\x01\x00\x01'
s.sendto(q, (ns, 53)); print('sent', ns)" 2>&1)
check "a query to the session's DNS proxy is sent ($out)" sh -c "printf '%s' \"\$1\" | grep -q '^sent '" _ "$out"
finish
