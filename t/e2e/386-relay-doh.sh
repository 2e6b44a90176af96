#!/bin/sh
# 386-relay-doh: DNS over HTTPS to an allowed host (branch
# redteam-egress3). A DoH resolver resolves any name it is asked, so a
# token cut into two labels of a query name ("ghp_abc.def.x.test") reaches
# the attacker's name server through it, and neither half is a match for
# the scanner. Before, an RFC 8484 POST (application/dns-message), a GET
# /dns-query?dns=, and a JSON API GET (Accept: application/dns-json) all
# reached the allowed server; now each is refused for every host with a
# "dns over https" event, and an ordinary GET still passes. (Port 53 over
# TCP is judged by the DNS gate already: refused as encoded data.)
# Since egress-gaps4 the relay judges each name of a DoH request by the
# DNS gate instead (t/e2e/411: ordinary allowed names resolve); x.test is
# no allowed name here, so these stay refused, now for their names.
. "$(dirname "$0")/lib.sh"
need_relay

TOKEN=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
A=ghp_cUpdx98diMhn0dH B=Qwu4ryzagypDmeE0S3i49
C="$top_srcdir/t/e2e/doh_client.py"
start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG

for m in post get json; do
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 \
	      --log "$T/events.jsonl" -q -- python3 "$C" "$m" "$PORT" "$TOKEN" 2>&1)
	sleep 0.2
	check "$m: the query never reaches the server ($out)" \
		sh -c "! grep -q '$A' '$LOG' && ! grep -q 'dns-query' '$LOG' && ! grep -q 'x.test' '$LOG'"
	check "$m: evented as DNS over HTTPS, blocked" event_has '"action":"blocked"' \
		'DNS over HTTPS' '"rule":"dns over https' "\"port\":$PORT"
done
: > "$LOG"
out=$(timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -q -- \
      python3 "$C" clean "$PORT" "$TOKEN" 2>&1)
sleep 0.2
check "clean: an ordinary GET to the same host arrives ($out)" grep -q 'dns-info' "$LOG"
finish
