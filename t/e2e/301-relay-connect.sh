#!/bin/sh
# 301-relay-connect: under --relay the connect result is the upstream's own
# (ECONNREFUSED for a closed port, blocking, non-blocking, asyncio, node, a
# static Go binary), clean request/response traffic flows both ways, IPv6
# works, and TLS is passed only for a shimmed process: a static Go
# crypto/tls client is refused with an event saying its TLS cannot be
# inspected, and its ClientHello never reaches the server.
# RELAY_FLAG=--no-relay runs it without the relay: the TLS checks then fail.
. "$(dirname "$0")/lib.sh"

RELAY=${RELAY_FLAG---relay}
need_relay

# rec BIND NAME: recording server, sets NAME_PORT
rec() {
	python3 "$top_srcdir/t/e2e/recsrv.py" "$1" "$T/$2.port" "$T/$2.log" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$2.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$2.port" ] || { echo "cannot start the recording server"; exit 99; }
	eval "${2}_PORT=\$(cat \"\$T/$2.port\")"
}
rec 127.0.0.1 v4
# a closed port: bind one, close it
closed_port closed
CLOSED=$closed_PORT

cat > "$T/conn.py" <<'PY'
import asyncio, errno, select, socket, sys
port, closed = int(sys.argv[1]), int(sys.argv[2])
def name(e): return errno.errorcode.get(e, str(e))
s = socket.socket()
try:
    s.connect(('127.0.0.1', closed)); print('blocking connected')
except OSError as e:
    print('blocking', name(e.errno))
s = socket.socket(); s.setblocking(False)
e = s.connect_ex(('127.0.0.1', closed))
if e == errno.EINPROGRESS:
    select.select([], [s], [], 5)
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
print('nonblocking', name(e))
s = socket.socket(); s.setblocking(False)
e = s.connect_ex(('127.0.0.1', port))
if e == errno.EINPROGRESS:
    select.select([], [s], [], 5)
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print('nonblocking open', name(e) if e else 'ok')
async def main():
    try:
        await asyncio.open_connection('127.0.0.1', closed)
        print('asyncio connected')
    except OSError as x:
        print('asyncio', name(x.errno))
    r, w = await asyncio.open_connection('127.0.0.1', port)
    w.write(b'asyncio-clean\n'); await w.drain()
    print('asyncio reply', (await r.readline()).decode().strip())
    w.close()
asyncio.run(main())
PY
out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
      python3 "$T/conn.py" "$v4_PORT" "$CLOSED" 2>&1)
echo "$out"
check "blocking connect to a closed port: ECONNREFUSED" sh -c "echo '$out' | grep -qx 'blocking ECONNREFUSED'"
check "non-blocking connect to a closed port: ECONNREFUSED" sh -c "echo '$out' | grep -qx 'nonblocking ECONNREFUSED'"
check "non-blocking connect to an open port: SO_ERROR 0" sh -c "echo '$out' | grep -qx 'nonblocking open ok'"
check "asyncio to a closed port: ECONNREFUSED" sh -c "echo '$out' | grep -qx 'asyncio ECONNREFUSED'"
check "asyncio request and reply through the relay" sh -c "echo '$out' | grep -qx 'asyncio reply ok'"
check "the server got the asyncio bytes" grep -q 'asyncio-clean' "$T/v4.log"

cat > "$T/conn.js" <<'JS'
const net = require('net');
const [port, closed] = process.argv.slice(2).map(Number);
net.connect(closed, '127.0.0.1').on('error', e => {
	console.log('node', e.code);
	const c = net.connect(port, '127.0.0.1', () => c.write('node-clean\n'));
	c.on('data', d => { console.log('node reply', d.toString().trim()); c.end(); });
	c.on('error', e2 => console.log('node error', e2.code));
});
JS
out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
      node "$T/conn.js" "$v4_PORT" "$CLOSED" 2>&1)
echo "$out"
check "node net to a closed port: ECONNREFUSED" sh -c "echo '$out' | grep -qx 'node ECONNREFUSED'"
check "node net request and reply through the relay" sh -c "echo '$out' | grep -qx 'node reply ok'"

if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
	rec ::1 v6
	out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow ::1 -q -- python3 -c '
import socket, sys
s = socket.create_connection(("::1", int(sys.argv[1])))
s.sendall(b"v6-clean\n"); print("v6", s.recv(10).decode().strip())' "$v6_PORT" 2>&1)
	check "IPv6 through the relay ($out)" [ "$out" = "v6 ok" ]
fi

# a non-blocking connect finished the way Ruby and Java do it: connect() again
# until EISCONN. Each repeat must not open another upstream connection (an
# unpaired one held a single-threaded server until the pairing timeout:
# gem install took 11 s per second connection)
cat > "$T/acc.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(16)
open(sys.argv[1], 'w').write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept()
    with open(sys.argv[2], 'a') as f:
        f.write('accepted\n')
    c.close()
PY
python3 "$T/acc.py" "$T/acc.port" "$T/acc.log" &
PIDS="$PIDS $!"
i=0; while [ ! -s "$T/acc.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- python3 -c '
import errno, select, socket, sys
s = socket.socket(); s.setblocking(False)
r = [s.connect_ex(("127.0.0.1", int(sys.argv[1])))]
select.select([], [s], [], 5)
r += [s.connect_ex(("127.0.0.1", int(sys.argv[1]))) for _ in range(3)]
print(" ".join(errno.errorcode.get(e, str(e)) for e in r))' "$(cat "$T/acc.port")" 2>&1)
sleep 0.5
check "connect() again on a connected socket: EISCONN ($out)" [ "$out" = "EINPROGRESS EISCONN EISCONN EISCONN" ]
check "... and the server saw one connection, not four ($(wc -l < "$T/acc.log"))" [ "$(wc -l < "$T/acc.log")" -eq 1 ]

# many threads at once against a server that closes after each response
# (both fds of a pair in one epoll batch: a use-after-free once)
start_http 127.0.0.1 web
cat > "$T/thr.py" <<'PY'
import sys, threading, urllib.request
url, res, lock = sys.argv[1], {'ok': 0, 'bad': 0}, threading.Lock()
def worker(i):
    for j in range(15):
        try:
            urllib.request.urlopen(url + '/t%d_%d' % (i, j), data=b'clean').read(); r = 'ok'
        except Exception:
            r = 'bad'
        with lock: res[r] += 1
ts = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(res['ok'], res['bad'])
PY
for round in 1 2; do
	out=$(timeout 60 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
	      python3 "$T/thr.py" "http://127.0.0.1:$web_PORT" 2>/dev/null)
	check "8 threads x 15 HTTP POSTs through the relay, round $round ($out)" [ "$out" = "120 0" ]
done

SC="$top_builddir/t/seccomp"
if [ -x "$SC/sc_client" ]; then
	out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
	      "$SC/sc_client" tfo 127.0.0.2 "$v4_PORT" 2>/dev/null)
	check "TCP Fast Open to a denied address: EACCES ($out)" sh -c "echo '$out' | grep -q '^err EACCES'"
	out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
	      "$SC/sc_client" tfo 127.0.0.1 "$v4_PORT" 2>/dev/null)
	check "TCP Fast Open to an allowed address does not bypass the relay ($out)" \
		sh -c "echo '$out' | grep -q '^err EOPNOTSUPP'"
fi

GO_OK=0
if command -v go > /dev/null 2>&1 &&
   (cd "$T" && cp "$top_srcdir/t/e2e/relay_go.go" . && CGO_ENABLED=0 GO111MODULE=off \
    timeout 120 go build -o relay_go relay_go.go) 2>/dev/null; then
	GO_OK=1
fi
if [ $GO_OK = 1 ]; then
	printf 'hello\n' > "$T/hello.txt"
	out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 -q -- \
	      "$T/relay_go" plain "$CLOSED" "$T/hello.txt" 2>&1)
	check "static Go to a closed port: connection refused ($out)" \
		sh -c "echo '$out' | grep -q 'connection refused'"
	: > "$T/v4.log"
	: > "$T/events.jsonl"
	# without the session CA (--no-tls-ca): refused; the CA path is t/e2e/340-tls-ca.sh
	out=$(timeout 30 "$DLPJAIL" --no-default-policy --log "$T/events.jsonl" $RELAY \
	      --no-tls-ca --allow 127.0.0.1 -q -- "$T/relay_go" tls "$v4_PORT" "$T/hello.txt" 2>&1)
	sleep 0.2
	check "static Go crypto/tls: its ClientHello never reaches the server" \
		sh -c "! grep -q 'example.test' '$T/v4.log'"
	check "the event says the Go program's TLS cannot be inspected" event_has \
		'"rule":"relay-tls"' '"verdict":"deny"' 'TLS from [^ ]*relay_go to 127.0.0.1 cannot be inspected'
else
	echo "# no go toolchain: static Go skipped"
fi

# a shimmed process's TLS (python ssl: its plaintext goes through the hooks)
# passes; its server name is a destination as well (the key path's name
# gate, t/e2e/403), so the policy allows it
: > "$T/v4.log"
out=$(timeout 30 "$DLPJAIL" --no-default-policy $RELAY --allow 127.0.0.1 --allow shimmed.test -q -- python3 -c '
import socket, ssl, sys
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
try:
    c.wrap_socket(s, server_hostname="shimmed.test")
except (ssl.SSLError, OSError) as e:
    print("handshake failed as expected")' "$v4_PORT" 2>&1)
sleep 0.2
check "a shimmed TLS library's ClientHello reaches the server" grep -q 'shimmed.test' "$T/v4.log"

finish
