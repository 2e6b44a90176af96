#!/bin/sh
# 354-relay-getpeername: under the relay the kernel's peer of a TCP socket
# is the relay's loopback listener; the shim's getpeername() answers the
# destination the program connected to (python, node, after dup(), over
# ::1), and keeps the kernel's errors (ENOTCONN). Processes without the shim
# (static Go) see the relay: documented in dlpjail(1).
. "$(dirname "$0")/lib.sh"

need_relay
python3 "$top_srcdir/t/e2e/recsrv.py" 127.0.0.1 "$T/rec.port" "$T/rec.log" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/rec.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
PORT=$(cat "$T/rec.port")
J="--no-default-policy --relay --allow 127.0.0.1 --allow ::1 -q"

out=$("$DLPJAIL" $J -- python3 -c "
import os, socket
s = socket.create_connection(('127.0.0.1', $PORT))
d = socket.socket(fileno=os.dup(s.fileno()))
u = socket.socket()
try:
    u.getpeername(); e = 'none'
except OSError as x:
    e = x.errno
print(s.getpeername()[1], d.getpeername()[1], e == 107)" 2>&1)
check "python getpeername() is the destination, not the relay ($out)" [ "$out" = "$PORT $PORT True" ]
out=$("$DLPJAIL" $J -- node -e "const s=require('net').connect($PORT,'127.0.0.1',()=>{console.log(s.remoteAddress+':'+s.remotePort);s.end()})" 2>&1)
check "node remoteAddress:remotePort is the destination ($out)" [ "$out" = "127.0.0.1:$PORT" ]
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	python3 "$top_srcdir/t/e2e/recsrv.py" ::1 "$T/rec6.port" "$T/rec6.log" &
	PIDS="$PIDS $!"
	i=0
	while [ ! -s "$T/rec6.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	P6=$(cat "$T/rec6.port")
	out=$("$DLPJAIL" $J -- python3 -c "
import socket
s = socket.create_connection(('::1', $P6)); print(s.getpeername()[0], s.getpeername()[1])" 2>&1)
	check "python over ::1: the destination ($out)" [ "$out" = "::1 $P6" ]
fi
finish
