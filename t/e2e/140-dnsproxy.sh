#!/bin/sh
# 140-dnsproxy: the broker's DNS proxy (broker/dnsproxy.c) answers allowed
# names through the host's name server, refuses judged names without
# asking upstream, speaks TCP, survives malformed input, and, named in the
# jail's private resolv.conf (broker/mountns.c), catches a static
# resolver. Runs in private network/mount namespaces (dns_sandbox: dnsmasq
# on 127.0.0.53 is "the host's" name server).
. "$(dirname "$0")/lib.sh"
dns_sandbox
P="$top_builddir/t/mountns/dnsproxy_driver"
[ -x "$P" ] || skip "dnsproxy_driver not built"
command -v dig >/dev/null || skip "dig is not installed"

"$P" "$T/addr" 2>"$T/proxy.log" &
PPID_=$!
PIDS="$PIDS $PPID_"
i=0
while [ ! -s "$T/addr" ] && kill -0 $PPID_ 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
if [ ! -s "$T/addr" ]; then
	cat "$T/proxy.log"
	wait $PPID_; [ $? -eq 3 ] && skip "the proxy cannot bind port 53 here"
	fail "the proxy did not start"; finish; exit 1
fi
A=$(cat "$T/addr")
check "the proxy listens on 127.53.x.y ($A)" sh -c "echo '$A' | grep -Eq '^127\.53\.[0-9]+\.[0-9]+$'"
D="dig @$A +tries=1 +time=3"

out=$($D +short www.allowed.test)
check "allowed name is forwarded and answered over UDP" [ "$out" = 127.0.0.1 ]
check "dnsmasq saw it" grep -q "query\[A\] www.allowed.test" "$DNS_LOG"
out=$($D +short +tcp www.allowed.test AAAA; $D +short +tcp txt.allowed.test TXT)
check "TCP queries are forwarded (TXT over TCP: $out)" sh -c "echo '$out' | grep -q v=hello"
check "dnsmasq saw the TCP query" grep -q "query\[TXT\] txt.allowed.test" "$DNS_LOG"

out=$($D www.blocked.allowed.test | grep -o 'status: [A-Z]*')
check "judged name gets REFUSED over UDP ($out)" [ "$out" = "status: REFUSED" ]
out=$($D +tcp www.blocked.allowed.test | grep -o 'status: [A-Z]*')
check "judged name gets REFUSED over TCP ($out)" [ "$out" = "status: REFUSED" ]
out=$($D +qr www.blocked.allowed.test | grep -c 'IN	A')
check "REFUSED echoes the question" [ "${out:-0}" -ge 1 ]
check "a refused name never reaches dnsmasq" sh -c "! grep -q blocked '$DNS_LOG'"
direct=$(dig @127.0.0.53 +tries=1 +time=3 +noall +answer meta.allowed.test)
out=$($D +noall +answer meta.allowed.test)
check "upstream answers pass unchanged" test -n "$direct" -a "x$out" = "x$direct"
direct=$(dig @127.0.0.53 +tries=1 +time=3 nosuch.invalid | grep -o 'status: [A-Z]*')
out=$($D nosuch.invalid | grep -o 'status: [A-Z]*')
check "upstream errors pass unchanged ($direct)" [ "$out" = "$direct" ]

# -- malformed input: FORMERR, drops, resets; the proxy keeps serving
python3 - "$A" > "$T/mal.out" <<'PY'
import socket, struct, sys
a = sys.argv[1]
res = []
def udp(b):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
    s.sendto(b, (a, 53))
    try: r = s.recv(65535); return r
    except socket.timeout: return None
# header + name with a compression pointer: parsed strictly -> FORMERR
r = udp(b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01')
res.append('formerr' if r and r[:2] == b'\x12\x34' and r[3] & 15 == 1 else 'bad:%r' % r)
# short garbage: dropped
res.append('dropped' if udp(b'\x00\x01\x02') is None else 'answered-short')
# a response (QR=1) must not be answered (loop guard)
res.append('dropped' if udp(b'\x12\x34\x81\x80' + b'\0' * 8) is None else 'answered-qr')
for n in (1, 2, 5, 11):
    udp(bytes(range(n)) * 3)
# TCP: bogus length, truncated message, then close
for payload in (b'\x00\x05abc', b'\xff\xff' + b'x' * 100, b'\x00'):
    s = socket.create_connection((a, 53), timeout=2); s.sendall(payload); s.close()
# more TCP clients than the proxy takes, held open
held = [socket.create_connection((a, 53), timeout=2) for _ in range(20)]
for s in held: s.close()
print(' '.join(res))
PY
out=$(cat "$T/mal.out")
check "malformed UDP: FORMERR, short and QR dropped ($out)" [ "$out" = "formerr dropped dropped" ]
out=$($D +short +tcp www.allowed.test)
check "still serving TCP after malformed input" [ "$out" = 127.0.0.1 ]
out=$($D +short www.allowed.test)
check "still serving UDP after malformed input" [ "$out" = 127.0.0.1 ]

# -- the jail's view: private resolv.conf naming the proxy, a static resolver
N="$top_builddir/t/mountns/ns_driver"
if command -v busybox >/dev/null && [ -x "$N" ]; then
	TMPDIR="$T" "$N" -s "$DLPJAIL_SHIM" -r "nameserver $A
" -- busybox nslookup www.blocked.allowed.test > "$T/bb.out" 2>&1
	check "static busybox in the jail asks the proxy and is refused" \
		sh -c "grep -q 'judge www.blocked.allowed.test refuse' '$T/proxy.log'"
	TMPDIR="$T" "$N" -s "$DLPJAIL_SHIM" -r "nameserver $A
" -- busybox nslookup www.allowed.test > "$T/bb.out" 2>&1
	check "static busybox in the jail resolves an allowed name" grep -q 127.0.0.1 "$T/bb.out"
	check "through the proxy" grep -q 'judge www.allowed.test allow' "$T/proxy.log"
fi

kill -TERM $PPID_
wait $PPID_
check "the proxy stops cleanly" [ $? -eq 0 ]
finish
