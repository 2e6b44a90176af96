#!/bin/sh
# 358-sc-lead: the supervisor worker that received a connect() keeps
# receiving (the lead) while it handles it, so a connect that has to wait
# must hand the lead on first, or every trapped call of the whole tree
# waits behind it. Without the relay a blocking connect is waited for by
# the worker itself: to a black hole (t/e2e/holdsrv.py, SYNs dropped) and
# AF_UNIX to a listener whose backlog is full (the worker polls for room).
# While 3 of each wait, a connect to a live server, a UDP send and an
# AF_UNIX connect elsewhere are answered at once. With the relay, the same
# mix (black-holed upstreams wait in the pending-connect thread, not in a
# worker) and a burst of 50 concurrent live connects.
. "$(dirname "$0")/lib.sh"

"$DLPJAIL" --no-default-policy --no-relay --allow 127.0.0.1 -- true 2>/dev/null ||
	skip "needs the seccomp backstop (notify)"

python3 "$top_srcdir/t/e2e/holdsrv.py" 127.0.0.1 blackhole "$T/bh.port" &
PIDS="$PIDS $!"
python3 "$top_srcdir/t/e2e/recsrv.py" 127.0.0.1 "$T/live.port" "$T/live.log" &
PIDS="$PIDS $!"
i=0
while { [ ! -s "$T/bh.port" ] || [ ! -s "$T/live.port" ]; } && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
[ -s "$T/bh.port" ] && [ -s "$T/live.port" ] || { echo "cannot start the servers"; exit 99; }

cat > "$T/lead.py" <<'PY'
import os, socket, sys, threading, time
bh, live, d = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def block_inet():
    s = socket.socket()
    try: s.connect(('127.0.0.1', bh))
    except OSError: pass
full = os.path.join(d, sys.argv[4] + '-full.sock')
l = socket.socket(socket.AF_UNIX); l.bind(full); l.listen(0)
fill = []
for _ in range(2):  # backlog 0 takes one; the second waits in the kernel
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try: c.connect(full)
    except OSError: pass
    fill.append(c)
def block_unix():
    s = socket.socket(socket.AF_UNIX)
    try: s.connect(full)
    except OSError: pass
for f in (block_inet, block_unix) * 3:
    threading.Thread(target=f, daemon=True).start()
if sys.argv[4] == 'burst':
    def one():
        s = socket.socket(); s.settimeout(3); s.connect(('127.0.0.1', live)); s.close()
    ts = [threading.Thread(target=one) for _ in range(50)]
    t0 = time.monotonic()
    for t in ts: t.start()
    for t in ts: t.join()
    print('burst', 'fast' if time.monotonic() - t0 < 2 else 'slow')
time.sleep(0.5)  # they are all waiting now
t0 = time.monotonic()
s = socket.socket(); s.settimeout(3)
s.connect(('127.0.0.1', live)); s.sendall(b'lead-clean\n')
print('live', s.recv(10).decode().strip(), 'fast' if time.monotonic() - t0 < 1 else 'slow')
t0 = time.monotonic()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try: u.sendto(b'x', ('127.0.0.1', 9))
except OSError: pass
print('udp', 'fast' if time.monotonic() - t0 < 1 else 'slow')
ok = os.path.join(d, sys.argv[4] + '-ok.sock')
l2 = socket.socket(socket.AF_UNIX); l2.bind(ok); l2.listen(8)
t0 = time.monotonic()
c = socket.socket(socket.AF_UNIX); c.connect(ok)
print('unix', 'fast' if time.monotonic() - t0 < 1 else 'slow')
sys.stdout.flush()
os._exit(0)
PY
for mode in --no-relay --relay; do
	out=$(timeout 30 "$DLPJAIL" --no-default-policy $mode --allow 127.0.0.1 -q -- \
		python3 "$T/lead.py" "$(cat "$T/bh.port")" "$(cat "$T/live.port")" "$T" \
		"$([ $mode = --relay ] && echo burst || echo -)" 2>&1)
	echo "$mode: $out"
	check "$mode: a live connect while 6 blocking connects wait" sh -c "echo '$out' | grep -qx 'live ok fast'"
	check "$mode: a UDP send while they wait" sh -c "echo '$out' | grep -qx 'udp fast'"
	check "$mode: an AF_UNIX connect while they wait" sh -c "echo '$out' | grep -qx 'unix fast'"
	[ $mode = --relay ] &&
		check "$mode: 50 concurrent live connects" sh -c "echo '$out' | grep -qx 'burst fast'"
done
finish
