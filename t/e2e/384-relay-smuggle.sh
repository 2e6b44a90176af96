#!/bin/sh
# 384-relay-smuggle: HTTP/1.1 request smuggling against the relay (branch
# redteam-egress3). Each request cuts a GitHub token in two with a chunk
# boundary and frames its body so that a lenient server de-chunks where the
# relay's parser did not (two Content-Lengths, CL with TE, a second TE,
# whitespace before the colon, an indented or folded TE, a bare CR ending a
# header, a "0x" or 32-bit-overflowing chunk size): the relay scanned two
# halves no detector matches and the server would join them. Before the fix
# every one of them reached the recording server; now each is refused for
# every host with "ambiguous framing" in the event, and a plain chunked
# upload (curl -T -) and a doubled identical Content-Length still pass.
. "$(dirname "$0")/lib.sh"
need_relay

TOKEN=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
A=ghp_cUpdx98diMhn0dH B=Qwu4ryzagypDmeE0S3i49
C="$top_srcdir/t/e2e/smuggle.py"
start_server recsrv.py 127.0.0.1 rec
PORT=$rec_PORT LOG=$rec_LOG

for m in two-lengths cl-te two-te te-space te-indent te-fold te-bare-cr chunk-0x chunk-4g; do
	: > "$LOG"
	: > "$T/events.jsonl"
	out=$(timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 \
	      --log "$T/events.jsonl" -q -- python3 "$C" "$m" "$PORT" "$TOKEN" 2>&1)
	sleep 0.2
	check "$m: neither half of the token reaches the server ($out)" \
		sh -c "! grep -q '$A' '$LOG' && ! grep -q '$B' '$LOG'"
	check "$m: the event says ambiguous framing, relay, blocked" event_has '"action":"blocked"' \
		'ambiguous framing' '"layers":"relay' "\"port\":$PORT"
done
for m in clean clean-same-lengths; do
	: > "$LOG"
	out=$(timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -q -- \
	      python3 "$C" "$m" "$PORT" "$TOKEN" 2>&1)
	sleep 0.2
	check "$m: the request arrives ($out)" grep -q hello "$LOG"
done
: > "$LOG"
echo "a chunked upload" | timeout 20 "$DLPJAIL" --no-default-policy --relay --allow 127.0.0.1 -q -- \
	curl -sS -H Expect: -T - "http://127.0.0.1:$PORT/put" -o /dev/null -m 5 > "$T/curl.out" 2>&1
sleep 0.2
check "curl -T - (Transfer-Encoding: chunked) arrives whole" \
	sh -c "grep -qi 'transfer-encoding: chunked' '$LOG' && grep -q 'a chunked upload' '$LOG'"
finish
