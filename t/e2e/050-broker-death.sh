#!/bin/sh
# 050-broker-death: when the broker dies mid-run, later egress fails closed
# (EACCES plus a dlpjail message), it never silently succeeds.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 web
cat > "$T/client.py" <<PY
import os, signal, socket, errno, sys, time
def attempt():
    s = socket.socket()
    try:
        s.connect(('127.0.0.1', $web_PORT)); return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    finally:
        s.close()
print('before', attempt(), flush=True)
os.kill(os.getppid(), signal.SIGKILL)   # the launcher holds the broker
time.sleep(0.3)
print('after', attempt(), flush=True)
print('again', attempt(), flush=True)
PY
jail --allow 127.0.0.1 -- python3 "$T/client.py" > "$T/out" 2> "$T/err"
sleep 0.5
check "connect works while the broker lives" grep -q "before ok" "$T/out"
check "connect fails with EACCES after the broker died" grep -q "after EACCES" "$T/out"
check "and keeps failing" grep -q "again EACCES" "$T/out"
check "stderr names dlpjail and the cause" grep -q "dlpjail: .*broker unreachable" "$T/err"

# launcher mode never falls back to an ad hoc broker: a dead socket path fails closed
out=$(DLPJAIL_SOCK="$T/nonexistent.sock" LD_PRELOAD="$DLPJAIL_SHIM" \
	curl -s -S "http://127.0.0.1:$web_PORT/nobroker" 2>&1); rc=$?
check "no broker at DLPJAIL_SOCK: curl cannot connect" [ "$rc" -eq 7 ]
check "no broker: the message names dlpjail" sh -c "printf '%s' \"\$1\" | grep -q 'dlpjail: blocked connect to 127.0.0.1:$web_PORT: dlpjail broker unreachable'" _ "$out"
check "no broker: nothing reached the server" sh -c "! grep -q nobroker '$web_LOG'"
out=$(DLPJAIL_SOCK="$T/nonexistent.sock" LD_PRELOAD="$DLPJAIL_SHIM" \
	python3 -c "
import socket
try: socket.getaddrinfo('example.org', 80); print('resolved')
except socket.gaierror as e: print('gaierror', e.errno == socket.EAI_FAIL)" 2>/dev/null)
check "no broker: name lookups fail with EAI_FAIL" [ "$out" = "gaierror True" ]
finish
