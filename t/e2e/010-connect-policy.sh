#!/bin/sh
# 010-connect-policy: allowed destinations are reached, denied ones get
# EACCES and an event, with curl, python3 urllib and node net/http, over
# IPv4 and IPv6 loopback.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 v4
start_http ::1 v6

out=$(jail --allow 127.0.0.1 -- curl -s "http://127.0.0.1:$v4_PORT/ok" 2>&1)
check "curl reaches an allowed IPv4 host" [ "$out" = "hello" ]
check "the server saw curl's request" grep -q "GET /ok" "$v4_LOG"
check "allow event written" event_has '"op":"connect"' '"verdict":"allow"' "\"port\":$v4_PORT" '"exe":"[^"]*curl"'

rm -f "$T/events.jsonl"
out=$(jail --allow 10.0.0.0/8 -- curl -s -S "http://127.0.0.1:$v4_PORT/denied" 2>&1); rc=$?
check "curl to a denied host fails (exit 7)" [ "$rc" -eq 7 ]
check "dlpjail explains the block on stderr" sh -c "printf '%s' \"\$1\" | grep -q 'dlpjail: blocked connect to 127.0.0.1:$v4_PORT'" _ "$out"
check "the denied request never reached the server" sh -c "! grep -q 'GET /denied' '$v4_LOG'"
check "deny event names rule and reason" event_has '"verdict":"deny"' '"action":"blocked"' '"rule":"default-deny' '"reason":"address is not allowed'

out=$(jail --allow ::1 -- python3 -c "
import urllib.request,sys
print(urllib.request.urlopen('http://[::1]:$v6_PORT/py6').read().decode().strip())" 2>&1)
check "python3 urllib reaches an allowed IPv6 host" [ "$out" = "hello" ]

out=$(jail --allow 192.0.2.0/24 -- python3 -c "
import socket,errno
s=socket.socket(socket.AF_INET6)
try:
    s.connect(('::1',$v6_PORT)); print('connected')
except OSError as e:
    print(errno.errorcode[e.errno])" 2>/dev/null)
check "python3 connect to a denied IPv6 host gets EACCES" [ "$out" = "EACCES" ]

if command -v node >/dev/null 2>&1; then
	out=$(jail --allow 127.0.0.1 -- node -e "
const http=require('http');
http.get('http://127.0.0.1:$v4_PORT/node',r=>{let d='';r.on('data',c=>d+=c);r.on('end',()=>console.log(d.trim()))}).on('error',e=>console.log(e.code));" 2>/dev/null)
	check "node http reaches an allowed host" [ "$out" = "hello" ]
	out=$(jail -- node -e "
const net=require('net');
const s=net.connect($v4_PORT,'127.0.0.1',()=>{console.log('connected');s.end()});
s.on('error',e=>console.log(e.code));" 2>/dev/null)
	check "node net.connect to a denied host gets EACCES" [ "$out" = "EACCES" ]
else
	fail "node is not installed"
fi

# the deny list wins over the allow list
out=$(jail --allow 127.0.0.0/8 --deny 127.0.0.1 -- curl -s "http://127.0.0.1:$v4_PORT/" 2>/dev/null); rc=$?
check "deny wins over allow" [ "$rc" -eq 7 ]
finish
