#!/bin/sh
# 355-relay-async-connect: under the relay a non-blocking connect answers
# EINPROGRESS at once and completes when the upstream does (issue 10 item
# 1), with what the kernel would show: no POLLOUT while the upstream's
# handshake is pending, then POLLOUT and SO_ERROR 0, or POLLERR and
# ECONNREFUSED. Slow and black-holed upstreams hold no supervisor thread:
# 40 blocking and 64 non-blocking connects to a black hole do not starve a
# connect to a live server. Happy eyeballs (curl, node, Go) to a name whose
# IPv6 address black-holes and whose IPv4 address answers get the IPv4
# one within their fallback delay.
# Upstreams: t/e2e/holdsrv.py (SYNs dropped by a full accept queue).
. "$(dirname "$0")/lib.sh"

need_relay

# hold BIND MODE NAME [PORT]: sets NAME_PORT
hold() {
	python3 "$top_srcdir/t/e2e/holdsrv.py" "$1" "$2" "$T/$3.port" ${4:-} &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/$3.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$3.port" ] || { echo "cannot start holdsrv $2"; exit 99; }
	eval "${3}_PORT=\$(cat \"\$T/$3.port\")"
}
hold 127.0.0.1 open slow
hold 127.0.0.1 refuse gone
hold 127.0.0.1 blackhole bh
start_server recsrv.py 127.0.0.1 live
J="--no-default-policy --relay --allow 127.0.0.1 --allow ::1 -q"

cat > "$T/nb.py" <<'PY'
import errno, select, socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
open(sys.argv[3] + '.go', 'w').close()  # holdsrv.py: the 0.5 s start now
s = socket.socket(); s.setblocking(False)
t0 = time.monotonic()
e = s.connect_ex(('127.0.0.1', port))
print('connect', errno.errorcode.get(e, e), 'fast' if time.monotonic() - t0 < 0.2 else 'slow')
p = select.poll(); p.register(s, select.POLLOUT)
print('early', 'none' if not p.poll(150) else 'ready')
ev = p.poll(5000)
print('later', 'err' if ev and ev[0][1] & select.POLLERR else 'out' if ev else 'none')
e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
print('so_error', errno.errorcode.get(e, e))
if e == errno.ECONNRESET:
    # the relay README's window: a refusal is a disconnect, then a connect
    # to a closed port; a poller woken in between reads ECONNRESET, and the
    # RST that follows leaves ECONNREFUSED
    for _ in range(200):
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if e:
            break
        time.sleep(0.01)
    print('so_error_after', errno.errorcode.get(e, e))
if mode == 'open':
    s.setblocking(True); s.settimeout(5)
    print('reply', s.recv(10).decode().strip())
PY
out=$(timeout 30 "$DLPJAIL" $J -- python3 "$T/nb.py" "$slow_PORT" open "$T/slow.port" 2>&1)
echo "$out"
check "slow upstream: EINPROGRESS at once" sh -c "echo '$out' | grep -qx 'connect EINPROGRESS fast'"
check "slow upstream: no POLLOUT while its handshake is pending" sh -c "echo '$out' | grep -qx 'early none'"
check "slow upstream: POLLOUT and SO_ERROR 0 once it answers" sh -c "echo '$out' | grep -qx 'later out' && echo '$out' | grep -qx 'so_error 0'"
check "slow upstream: its bytes arrive through the relay" sh -c "echo '$out' | grep -qx 'reply hi'"
out=$(timeout 30 "$DLPJAIL" $J -- python3 "$T/nb.py" "$gone_PORT" refuse "$T/gone.port" 2>&1)
echo "$out"
check "late refusal: EINPROGRESS at once, then POLLERR" sh -c "echo '$out' | grep -qx 'connect EINPROGRESS fast' && echo '$out' | grep -qx 'early none' && echo '$out' | grep -qx 'later err'"
check "late refusal: SO_ERROR ECONNREFUSED, as the kernel shows it" sh -c "echo '$out' | grep -qx 'so_error ECONNREFUSED' ||
	{ echo '$out' | grep -qx 'so_error ECONNRESET' && echo '$out' | grep -qx 'so_error_after ECONNREFUSED'; }"

cat > "$T/starve.py" <<'PY'
import socket, sys, threading, time
bh, live = int(sys.argv[1]), int(sys.argv[2])
def block():
    s = socket.socket()
    try: s.connect(('127.0.0.1', bh))
    except OSError: pass
keep = []
for _ in range(40):
    threading.Thread(target=block, daemon=True).start()
for _ in range(64):
    s = socket.socket(); s.setblocking(False); s.connect_ex(('127.0.0.1', bh)); keep.append(s)
time.sleep(0.3)
t0 = time.monotonic()
s = socket.socket(); s.settimeout(3)
s.connect(('127.0.0.1', live)); s.sendall(b'starve-clean\n')
print('live', s.recv(10).decode().strip(), 'fast' if time.monotonic() - t0 < 1.5 else 'slow')
sys.stdout.flush()
import os; os._exit(0)
PY
out=$(timeout 30 "$DLPJAIL" $J -- python3 "$T/starve.py" "$bh_PORT" "$live_PORT" 2>&1)
echo "$out"
check "104 connects to a black hole do not starve a live one" sh -c "echo '$out' | grep -qx 'live ok fast'"

# happy eyeballs: the same port on ::1 (black hole) and 127.0.0.1 (answers)
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	hold ::1 blackhole bh6 "$live_PORT" || true
	if [ -n "${bh6_PORT:-}" ]; then
		out=$(timeout 30 "$DLPJAIL" $J -- curl -sS --http0.9 --max-time 8 \
		      --resolve "he.test:$live_PORT:[::1],127.0.0.1" -d curl-he \
		      "http://he.test:$live_PORT/" 2>&1)
		echo "$out"
		check "curl happy eyeballs: IPv4 after a black-holed IPv6" sh -c "echo '$out' | grep -q '^ok'"
		cat > "$T/he.js" <<'JS'
const net = require('net');
const port = Number(process.argv[2]);
const lookup = (h, o, cb) => cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
const t0 = Date.now();
const c = net.connect({ host: 'he.test', port, lookup, autoSelectFamily: true,
			autoSelectFamilyAttemptTimeout: 250 }, () => c.write('node-he\n'));
c.on('data', d => { console.log('node', d.toString().trim(), c.remoteFamily || ''); c.end(); });
c.on('error', e => console.log('node error', e.code));
setTimeout(() => { console.log('node timeout'); process.exit(1); }, 8000).unref();
JS
		out=$(timeout 30 "$DLPJAIL" $J -- node "$T/he.js" "$live_PORT" 2>&1)
		echo "$out"
		check "node autoSelectFamily: IPv4 after a black-holed IPv6" sh -c "echo '$out' | grep -q '^node ok'"
		if command -v go > /dev/null 2>&1; then
			mkdir -p "$T/he"
			cat > "$T/he/he.go" <<'GO'
package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"time"
)

// Happy eyeballs as net.Dialer does it for a name with both families.
func main() {
	port := os.Args[1]
	d := net.Dialer{Timeout: 8 * time.Second, FallbackDelay: 250 * time.Millisecond}
	ctx := context.Background()
	// dialParallel over the primaries (IPv6) and fallbacks (IPv4), like a name lookup gives them
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 2)
	go func() { c, e := d.DialContext(ctx, "tcp", "[::1]:"+port); ch <- res{c, e} }()
	time.Sleep(250 * time.Millisecond)
	go func() { c, e := d.DialContext(ctx, "tcp", "127.0.0.1:"+port); ch <- res{c, e} }()
	for i := 0; i < 2; i++ {
		x := <-ch
		if x.err != nil {
			continue
		}
		fmt.Fprintf(x.c, "go-he\n")
		l, _ := bufio.NewReader(x.c).ReadString('\n')
		fmt.Print("go ", l)
		// the black-holed dial ends at its own deadline (netpoll), not in connect()
		t0 := time.Now()
		short := net.Dialer{Timeout: time.Second}
		if _, err := short.Dial("tcp", "[::1]:"+port); err != nil && time.Since(t0) < 2*time.Second {
			fmt.Println("go deadline ok")
		}
		os.Exit(0)
	}
	fmt.Println("go failed")
}
GO
			if (cd "$T/he" && GOFLAGS=-mod=mod CGO_ENABLED=0 GO111MODULE=off \
			    timeout 120 go build -o he he.go) 2>/dev/null; then
				out=$(timeout 30 "$DLPJAIL" $J -- "$T/he/he" "$live_PORT" 2>&1)
				echo "$out"
				check "static Go: IPv4 dial completes while IPv6 black-holes" sh -c "echo '$out' | grep -qx 'go ok'"
				check "static Go: a black-holed dial ends at its own 1 s deadline" sh -c "echo '$out' | grep -qx 'go deadline ok'"
			else
				echo "# go build failed: Go skipped"
			fi
		fi
	fi
else
	echo "# lo has no ::1: happy-eyeballs checks skipped"
fi
finish
