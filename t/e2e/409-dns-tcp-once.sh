#!/bin/sh
# 409-dns-tcp-once: DNS over TCP from a shimmed process is counted once
# (branch egress-gaps4). The shim's send hook judged every query of a TCP
# socket connected to port 53 (SHIM_FD_DNS_TCP, broker.c), and the relay
# judged the same bytes again (relay_scan.c rl_dns_gate): each query went
# into the session's DNS counters twice, so a legitimate tool met the
# per-domain query limits at half of them. With `dns tunnel_min_queries 6`
# and TXT lookups (tunnel types), the 4th TXT query of a shimmed python3
# was refused before (4 queries counted 8 times, >= 6); now 5 pass and the
# 6th is refused, as for a static client the shim does not see. Neither
# judgement is gone: an exfiltration label over TCP is still refused for
# the shimmed client (the relay judges it) and evented.
. "$(dirname "$0")/lib.sh"
dns_sandbox
need_relay
has() { printf '%s\n' "$1" | grep -Eq -- "$2"; }

printf 'dns tunnel_min_queries 6\n' > "$T/dns.policy"
Q="$T/q.py"
cat > "$Q" <<'PY'
import socket, struct, sys
names = sys.argv[1:]
s = socket.create_connection(("127.0.0.53", 53), timeout=5)
for i, name in enumerate(names):
    q = struct.pack("!HHHHHH", 100 + i, 0x100, 1, 0, 0, 0)
    for l in name.split("."):
        q += bytes([len(l)]) + l.encode()
    q += b"\x00\x00\x10\x00\x01"            # TXT IN
    try:
        s.sendall(struct.pack("!H", len(q)) + q)
        h = s.recv(2)
        if len(h) < 2:
            print("refused at", i + 1); sys.exit(0)
        n = struct.unpack("!H", h)[0]
        while n > 0:
            n -= len(s.recv(n))
    except OSError as e:
        print("refused at", i + 1, e.errno); sys.exit(0)
print("all", len(names))
PY

# one TCP connection, one query per name, all under allowed.test
N5="a1.allowed.test b2.allowed.test c3.allowed.test d4.allowed.test e5.allowed.test"
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --policy "$T/dns.policy" --allow '*.allowed.test' \
	--log "$T/events.jsonl" -q -- python3 "$Q" $N5 2>&1)
check "shimmed python3: five TXT queries over TCP all answered ($out)" has "$out" 'all 5'
check "...no tunnel refusal" sh -c "! grep -q 'tunnel' '$T/events.jsonl'"
out=$(timeout 30 "$DLPJAIL" --policy "$T/dns.policy" --allow '*.allowed.test' \
	--log "$T/events.jsonl" -q -- python3 "$Q" $N5 f6.allowed.test g7.allowed.test 2>&1)
check "...the limit still holds: the 6th is refused ($out)" has "$out" 'refused at 6'

HEX=414b49415a3751483358354c5441484a4b4c
: > "$T/events.jsonl"
out=$(timeout 30 "$DLPJAIL" --allow '*.allowed.test' --log "$T/events.jsonl" -q -- \
	python3 "$Q" www.allowed.test "$HEX.x.allowed.test" 2>&1)
sleep 0.3
check "shimmed python3: an exfiltration label over TCP is refused ($out)" has "$out" 'refused at 2'
check "...it never reaches the name server" sh -c "! grep -q '$HEX' '$DNS_LOG'"
check "...a deny event for it, redacted" sh -c \
	"grep -q '\"op\":\"resolve\"' '$T/events.jsonl' && ! grep -q '$HEX' '$T/events.jsonl'"
finish
